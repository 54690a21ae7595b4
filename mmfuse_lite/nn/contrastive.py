"""Contrastive alignment, CLIP-style (Radford et al. 2021): two encoders, one space.

An image encoder and a text encoder each end in a linear projection to ``dim`` and an
L2 normalisation, so a dot product is a cosine similarity. In a batch of B matching
pairs, the B x B similarity matrix should peak on its diagonal: the symmetric InfoNCE
loss is a B-way classification of each image's caption among the batch's captions,
averaged with the same for each caption's image. The similarities are multiplied by a
learned logit scale 1 / tau, initialised at 1 / 0.07 and clipped at 100, as in CLIP.
The clip is applied to the parameter itself, in place, as open_clip does after each
optimiser step; clipping a copy in the forward pass would zero the parameter's gradient
once it passed the ceiling, and the temperature could never come back down.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from ..checks import check_device, check_positive_int, check_tensor
from ..train import to_device

INIT_TEMPERATURE = 0.07           # CLIP's initial tau, taken from Wu et al. (2018)
MAX_LOGIT_SCALE = math.log(100)   # CLIP clips the logit scale 1 / tau at 100


def info_nce(logits: torch.Tensor) -> torch.Tensor:
    """Symmetric InfoNCE of a (B, B) logit matrix whose diagonal holds the matching pairs:
    the mean of the cross-entropy over rows (image -> text) and over columns (text -> image)."""
    check_tensor(logits, "logits", dims=2, kind="float")
    if logits.shape[0] != logits.shape[1]:
        raise ValueError(f"logits must be a square (B, B) matrix, got shape {tuple(logits.shape)}")
    target = torch.arange(len(logits), device=logits.device)
    return (F.cross_entropy(logits, target) + F.cross_entropy(logits.t(), target)) / 2



def multi_positive_info_nce(logits: torch.Tensor, positives: torch.Tensor) -> torch.Tensor:
    """InfoNCE when a row can have several right answers: ``positives[i, j]`` says that text j
    describes image i (its diagonal must be true). Each direction's target spreads evenly
    over the row's positives, so a caption that is true of two images in the batch is no
    longer pushed away from either (the loss of UniCL, Yang et al., 2022). With only the
    diagonal true it is :func:`info_nce`."""
    check_tensor(logits, "logits", dims=2, kind="float")
    if not isinstance(positives, torch.Tensor) or positives.dtype != torch.bool or positives.shape != logits.shape:
        raise ValueError(f"positives must be a bool tensor of the logits' shape {tuple(logits.shape)}, got "
                         f"{getattr(positives, 'dtype', type(positives).__name__)} {tuple(getattr(positives, 'shape', ()))}")
    if not positives.diagonal().all():
        raise ValueError("positives must be true on the diagonal: each text describes its own image")
    target = positives.to(logits.dtype)
    i2t = -(F.log_softmax(logits, 1) * target / target.sum(1, keepdim=True)).sum(1).mean()
    t2i = -(F.log_softmax(logits.t(), 1) * target.t() / target.t().sum(1, keepdim=True)).sum(1).mean()
    return (i2t + t2i) / 2

class CLIP(nn.Module):
    """Two Features encoders projected into one normalised embedding space.

    Args:
        image_encoder, text_encoder: modules returning :class:`Features` with a ``.dim``.
        dim: size of the shared embedding.
        temperature: the initial tau; the logit scale starts at ln(1 / tau).
        learn_temperature: learn the logit scale (CLIP) or keep it fixed.
    """

    def __init__(self, image_encoder: nn.Module, text_encoder: nn.Module, dim: int = 32,
                 temperature: float = INIT_TEMPERATURE, learn_temperature: bool = True):
        super().__init__()
        if not temperature >= 0.01:
            raise ValueError(f"temperature must be at least 0.01 (logit scale at most 100), got {temperature}")
        self.image_encoder, self.text_encoder = image_encoder, text_encoder
        self.image_proj = nn.Linear(image_encoder.dim, dim, bias=False)
        self.text_proj = nn.Linear(text_encoder.dim, dim, bias=False)
        self.logit_scale = nn.Parameter(torch.tensor(math.log(1 / temperature)), requires_grad=learn_temperature)
        self.dim = dim

    @torch.no_grad()
    def clamp_logit_scale_(self) -> None:
        """Clip the logit scale at ln 100, in place. Every forward pass calls it first, so the
        previous optimiser step's overshoot is undone before it is used (open_clip clamps
        right after ``optimizer.step()``; the effect is the same). Then the parameter always
        gets a gradient, also at the ceiling, and can move back down."""
        self.logit_scale.clamp_(max=MAX_LOGIT_SCALE)

    @property
    def scale(self) -> torch.Tensor:
        """1 / tau = exp(logit_scale), at most 100 once a forward pass has clipped it."""
        return self.logit_scale.exp()

    def encode_image(self, images) -> torch.Tensor:
        return F.normalize(self.image_proj(self.image_encoder(images).vector), dim=-1)

    def encode_text(self, texts) -> torch.Tensor:
        return F.normalize(self.text_proj(self.text_encoder(texts).vector), dim=-1)

    def forward(self, images, texts) -> torch.Tensor:
        """(B, B) logits: entry (i, j) is the scaled similarity of image i and text j."""
        self.clamp_logit_scale_()
        img, txt = self.encode_image(images), self.encode_text(texts)
        if img.shape[0] != txt.shape[0]:
            raise ValueError(f"expected as many images as texts, got {img.shape[0]} images and {txt.shape[0]} texts")
        return self.scale * img @ txt.t()


def clip_loss(model: CLIP, batch: dict):
    """:func:`info_nce` on a batch ``{"image", "text"}``, for :func:`mmfuse_lite.train.fit`;
    also logs the batch's image -> text accuracy and the temperature."""
    logits = model(batch["image"], batch["text"])
    acc = (logits.argmax(1) == torch.arange(len(logits), device=logits.device)).float().mean()
    return info_nce(logits), {"acc": acc, "temperature": 1 / model.scale.detach()}


@torch.no_grad()
def embed(model: CLIP, data, modality: str, batch_size: int = 500, device: str = "cpu") -> torch.Tensor:
    """Normalised embeddings (N, dim) of images or texts, in batches, on the CPU."""
    if modality not in ("image", "text"):
        raise ValueError(f"modality must be 'image' or 'text', got {modality!r}")
    if len(data) == 0:
        raise ValueError(f"no {modality}s to embed: data is empty")
    check_positive_int(batch_size, "batch_size")
    device = check_device(device)
    model.eval()
    encode = model.encode_image if modality == "image" else model.encode_text
    return torch.cat([encode(to_device(data[i:i + batch_size], device)).float().cpu()
                      for i in range(0, len(data), batch_size)])


def recall_at_k(similarity: torch.Tensor, ks=(1, 5, 10)) -> dict[int, float]:
    """Recall@k of a (N, N) query-by-item similarity whose item i is query i's match:
    the fraction of queries whose match ranks among the k most similar items."""
    check_tensor(similarity, "similarity", dims=2, kind="float")
    if similarity.shape[0] != similarity.shape[1]:
        raise ValueError(f"similarity must be a square (N, N) matrix, got shape {tuple(similarity.shape)}")
    if isinstance(ks, int) or not ks or any(isinstance(k, bool) or not isinstance(k, int) or k < 1 for k in ks):
        raise ValueError(f"ks must be a non-empty sequence of ints >= 1, e.g. (1, 5, 10), got {ks!r}")
    match = similarity.diagonal()[:, None]
    rank = (similarity > match).sum(1)          # items strictly more similar than the match
    return {k: (rank < k).float().mean().item() for k in ks}


@torch.no_grad()
def class_embeddings(model: CLIP, prompts: dict, tokenizer, device: str = "cpu") -> torch.Tensor:
    """Zero-shot classifier weights (C, dim): for each class, the normalised mean of the
    embeddings of its prompts (CLIP's prompt ensembling). ``prompts``: class -> list of texts."""
    rows = []
    for name, texts in prompts.items():
        if isinstance(texts, str) or not texts:
            raise ValueError(f"class {name!r}: expected a non-empty list of prompts, got {texts!r}")
        tokenizer.require(texts, f"the prompts of class {name!r}")
        rows.append(F.normalize(embed(model, tokenizer(texts), "text", device=device).mean(0), dim=0))
    return torch.stack(rows)


def semantic_recall_at_1(similarity: torch.Tensor, true) -> float:
    """Recall@1 where the first item counts when it is *true* for the query, not only when
    it is the query's own item. ``similarity`` (Q, I) query-by-item; ``true`` (Q, I) bool,
    e.g. from :func:`mmfuse_lite.data.parse.truth_matrix` (transpose it for image queries)."""
    check_tensor(similarity, "similarity", dims=2, kind="float")
    true = torch.as_tensor(true)
    if true.dtype != torch.bool or true.shape != similarity.shape:
        raise ValueError(f"true must be a bool matrix of the similarity's shape {tuple(similarity.shape)}, "
                         f"got {true.dtype} of shape {tuple(true.shape)}")
    first = similarity.argmax(1)
    return true[torch.arange(len(first)), first].float().mean().item()


def exact_recall_ceiling(true) -> float:
    """The best exact-pair Recall@1 any model can expect when query j is true of
    ``true[j].sum()`` items and ranks them in an order nothing in the data decides: the
    mean of 1 / (number of items the query is true of)."""
    true = torch.as_tensor(true)
    return (1 / true.sum(1).clamp_min(1).float()).mean().item()


# zero-shot classification of one-object images: every caption of the form
# "a <size> <colour> <shape> <position>" whose attribute has the class's value
ATTRIBUTES = ("colour", "shape", "size", "position")


def attribute_prompts(attribute: str, value) -> list[str]:
    """Every 'a <size> <colour> <shape> <position>' prompt whose ``attribute`` is ``value``
    (a colour, shape or size name, or a (row, col) cell for position)."""
    import itertools
    from ..data.captions import POSITION_WORDS, SHAPE_WORDS, SIZE_WORDS
    from ..data.world import COLOURS, SHAPES, SIZES
    if attribute not in ATTRIBUTES:
        raise ValueError(f"attribute must be one of {ATTRIBUTES}, got {attribute!r}")
    return [f"a {SIZE_WORDS[size][0]} {colour} {SHAPE_WORDS[shape][0]} {POSITION_WORDS[cell][0]}"
            for size, colour, shape, cell in itertools.product(SIZES, COLOURS, SHAPES, POSITION_WORDS)
            if dict(size=size, colour=colour, shape=shape, position=cell)[attribute] == value]


def attribute_values(attribute: str) -> list:
    from ..data.captions import POSITION_WORDS
    from ..data.world import COLOURS, SHAPES, SIZES
    return {"colour": list(COLOURS), "shape": list(SHAPES), "size": list(SIZES),
            "position": list(POSITION_WORDS)}[attribute]


def attribute_labels(scenes: dict, idx, attribute: str) -> torch.Tensor:
    """The class index of ``attribute`` of the first object of scenes ``idx``."""
    import numpy as np
    idx = np.asarray(idx)
    if attribute == "position":
        cells = attribute_values("position")
        return torch.tensor([cells.index((int(scenes["row"][i, 0]), int(scenes["col"][i, 0]))) for i in idx])
    return torch.from_numpy(np.asarray(scenes[attribute][idx, 0]).astype("int64"))


def zero_shot_accuracy(model: CLIP, images: torch.Tensor, scenes: dict, idx, tokenizer,
                       device: str = "cpu") -> dict[str, float]:
    """Zero-shot accuracy per attribute on one-object images ``images`` (rows of scenes ``idx``):
    each image takes the class whose prompt embedding (:func:`class_embeddings`) is closest."""
    emb = embed(model, images, "image", device=device)
    out = {}
    for attribute in ATTRIBUTES:
        weights = class_embeddings(model, {v: attribute_prompts(attribute, v) for v in attribute_values(attribute)},
                                   tokenizer, device=device)
        out[attribute] = ((emb @ weights.t()).argmax(1) == attribute_labels(scenes, idx, attribute)).float().mean().item()
    return out


def build_clip_from_card(config: dict) -> CLIP:
    """Chapter 8's CLIP as a shipped card describes it (``scripts/train_clip.py`` writes it):
    a GridMLP over the VQGAN's latent grid and a GRU over word ids, both of width ``dim``."""
    from .image import GridMLP
    from .text import TextEncoder
    dim = config["dim"]
    return CLIP(GridMLP(config["channels"], config["size"], dim, config["hidden"]),
                TextEncoder(config["vocab_size"], dim), dim)


def load_clip() -> tuple[CLIP, dict]:
    """The shipped, converged ``clip_shapes`` model and its card, in eval mode."""
    from .. import checkpoints
    path = checkpoints.shipped("clip_shapes")
    card = checkpoints.load_card(path)
    model = build_clip_from_card(card["config"])
    checkpoints.load(model, path)
    return model.eval(), card


@torch.no_grad()
def caption_pairs(split: str, n: int, seed: int = 0, vqgan: nn.Module | None = None, tokenizer=None):
    """Chapter 8's data: ``(world, {"image": VQGAN latents, "text": caption ids})`` of ShapesWorld(split, n, seed)."""
    from ..data import ShapesWorld, WordTokenizer
    from .multimodal import vq_latents
    world = ShapesWorld(split, n=n, seed=seed)
    pixels = torch.from_numpy(world.images).float() / 255
    return world, {"image": vq_latents(pixels, vqgan), "text": (tokenizer or WordTokenizer())(world.captions)}


def alignment_scores(model: CLIP, world, data: dict, tokenizer, true=None) -> dict[str, float]:
    """What ``clip_shapes``'s card records, on one split: exact-pair and semantic Recall@1
    both ways, the exact-pair ceilings, and zero-shot accuracy per attribute on the
    one-object scenes. ``true``: the split's truth matrix, if already computed."""
    import numpy as np
    from ..data.parse import truth_matrix
    img, txt = embed(model, data["image"], "image"), embed(model, data["text"], "text")
    sim = img @ txt.t()
    if true is None:
        true = torch.from_numpy(truth_matrix(world.captions, world.scenes))     # true[j, i]: caption j fits image i
    one = np.flatnonzero(world.scenes["count"] == 1)
    out = {"r1_i2t": recall_at_k(sim, (1,))[1], "r1_t2i": recall_at_k(sim.t(), (1,))[1],
           "semantic_r1_i2t": semantic_recall_at_1(sim, true.t()), "semantic_r1_t2i": semantic_recall_at_1(sim.t(), true),
           "ceiling_r1_i2t": exact_recall_ceiling(true.t()), "ceiling_r1_t2i": exact_recall_ceiling(true)}
    out.update({f"zero_shot_{k}": v for k, v in
                zero_shot_accuracy(model, data["image"][one], world.scenes, one, tokenizer).items()})
    return {k: round(v, 4) for k, v in out.items()}
