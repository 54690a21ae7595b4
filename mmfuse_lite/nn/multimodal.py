"""A multimodal model is (encoders, fusion, head), as in MultiBench; recipes for every strategy."""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ..checks import check_device, check_names, check_positive_int, check_same_batch, describe
from ..metrics import accuracy
from ..train import fit, to_device
from .audio import SoundEncoder
from .fusion import (ConcatFusion, CrossAttentionFusion, EarlyFusion, FiLMFusion, LateFusion, LowRankFusion,
                     TensorFusion, TransformerFusion, mlp_head)
from .image import GridTokens, ImageEncoder
from .text import BagOfWords, TextEncoder


class MultimodalModel(nn.Module):
    """logits = head(fusion({modality: encoder(batch[modality])})).

    A modality absent from the batch, or None there, reaches the fusion module as None.
    ``modality_dropout``: during training, each *sample* loses, with this probability,
    one of its modalities (chosen at random, never its last one), so the model learns to
    cope with a missing input: ModDrop (Neverova et al. 2016), see :meth:`fuse_with_dropout`.
    """

    def __init__(self, encoders: dict[str, nn.Module], fusion: nn.Module, head: nn.Module,
                 modality_dropout: float = 0.0):
        super().__init__()
        if not 0 <= modality_dropout < 1:
            raise ValueError(f"modality_dropout must be in [0, 1), got {modality_dropout}")
        if not isinstance(encoders, dict) or not encoders:
            raise TypeError(f"encoders must be a non-empty dict of modality -> encoder module, got {describe(encoders)}")
        for name, m in (("fusion", fusion), ("head", head), *((f"encoders[{k!r}]", e) for k, e in encoders.items())):
            if not isinstance(m, nn.Module):
                raise TypeError(f"{name} must be a torch.nn.Module, got {describe(m)}")
        self.encoders, self.fusion, self.head = nn.ModuleDict(encoders), fusion, head
        self.modality_dropout = modality_dropout

    def forward(self, batch: dict) -> torch.Tensor:
        if not isinstance(batch, dict):
            raise TypeError(f"expected a dict of modality -> input (keys {list(self.encoders)}), "
                            f"got {type(batch).__name__}")
        present = [k for k in self.encoders if batch.get(k) is not None]
        if not present:
            raise ValueError(f"the batch has none of this model's modalities {list(self.encoders)}; "
                             f"its keys are {list(batch)}")
        sizes = {k: len(batch[k]) for k in present if hasattr(batch[k], "__len__")}
        check_same_batch(sizes, "MultimodalModel")
        if not next(iter(sizes.values()), 1):
            raise ValueError(f"the batch is empty ({sizes}): at least one example is needed")
        feats = {k: self.encoders[k](batch[k]) if k in present else None for k in self.encoders}
        if self.training and self.modality_dropout and len(present) > 1:
            return self.head(self.fuse_with_dropout(feats, present))
        return self.head(self.fusion(feats))

    def fuse_with_dropout(self, feats: dict, present: list[str]) -> torch.Tensor:
        """Fusion with per-sample modality dropout (ModDrop, Neverova et al. 2016).

        Each sample independently, with probability ``modality_dropout``, loses one of the
        ``present`` modalities, chosen at random. The samples that lost the same modality
        are fused together with that modality set to None, and the rows are put back in
        their order. So a dropped sample meets the fusion exactly as a sample whose
        modality is missing at test time does, whatever the fusion: zeros for
        concatenation, tensor and low-rank fusion; left out of the average or the product
        for late fusion; no tokens for the transformer. (Zeroing the dropped samples'
        features in one batch would be simpler, but late fusion and the transformer
        would then train on a zero input that they never see at test time.) A fusion
        that needs every modality (early, FiLM without image, cross-attention) refuses.
        """
        first = next(t for t in feats[present[0]] if t is not None)
        b, device = first.shape[0], first.device
        lost = torch.randint(len(present), (b,))                    # which modality each sample would lose
        lost[torch.rand(b) >= self.modality_dropout] = -1           # -1: this sample keeps all of them
        rows, fused = [], []
        for i in lost.unique().tolist():
            idx = (lost == i).nonzero().squeeze(1).to(device)
            group = {k: None if f is None or (i >= 0 and k == present[i])
                     else type(f)(*(None if t is None else t[idx] for t in f)) for k, f in feats.items()}
            rows.append(idx)
            fused.append(self.fusion(group))
        return torch.cat(fused)[torch.cat(rows).argsort()]


STRATEGIES = ("early", "intermediate", "late-mean", "late-product", "tensor", "low-rank", "film",
              "cross-attention", "transformer")


def build_model(strategy: str, modalities, num_classes: int, vocab_size: int, dim: int = 32,
                width: int = 16, modality_dropout: float = 0.0, text_encoder: nn.Module | None = None,
                image_shape: tuple[int, int] = (3, 32), depth: int = 1) -> MultimodalModel:
    """A :class:`MultimodalModel` for one of :data:`STRATEGIES`, with the course's encoders.

    ``modalities`` is a subset of ("image", "text", "sound"). One modality with
    ``"intermediate"`` is a unimodal baseline. ``text_encoder`` replaces the GRU
    (for example with a :class:`PretrainedTextEncoder`). ``image_shape`` is (channels, size)
    of the image input: (3, 32) for pixels, (16, 8) for the VQGAN's latent grid
    (:func:`vq_latents`); either way the image becomes an 8 x 8 grid of tokens (4 x 4 for
    the transformer, whose cost grows with the square of the number of tokens). ``depth``
    is the number of FiLM blocks, cross-attention or transformer layers.
    """
    if strategy not in STRATEGIES:
        raise ValueError(f"unknown strategy {strategy!r}: expected one of {', '.join(STRATEGIES)}")
    modalities = check_names(modalities, ("image", "text", "sound"), "modalities")
    if not modalities or len(set(modalities)) != len(modalities):
        raise ValueError(f"modalities must be a non-empty list of distinct names, got {modalities}")
    check_positive_int(num_classes, "num_classes")
    if num_classes < 2:
        raise ValueError(f"num_classes must be >= 2 (a classifier chooses between classes), got {num_classes}")
    for name, v in (("vocab_size", vocab_size), ("dim", dim), ("width", width), ("depth", depth)):
        check_positive_int(v, name)
    if not (isinstance(image_shape, (tuple, list)) and len(image_shape) == 2
            and all(isinstance(v, int) and v >= 1 for v in image_shape)):
        raise ValueError(f"image_shape must be (channels, size), e.g. (3, 32), got {image_shape!r}")
    channels, size = image_shape
    downsamples = max(0, (size // 8).bit_length() - 1)
    if strategy in ("early", "film", "cross-attention") and set(modalities) != {"image", "text"}:
        raise ValueError(f"{strategy} fusion combines exactly image and text, got {modalities}")
    if strategy == "early":
        encoders = {"image": GridTokens(channels), "text": BagOfWords(vocab_size, 16)}
        fusion = EarlyFusion(16, dim, width, channels, downsamples, size)
    else:
        # self-attention over all tokens costs (tokens)^2: the transformer gets a 4 x 4 image grid
        extra = 1 if strategy == "transformer" else 0
        make = {"image": lambda: ImageEncoder(dim, width, downsamples + extra, size, channels),
                "text": lambda: text_encoder if text_encoder is not None else TextEncoder(vocab_size, dim),
                "sound": lambda: SoundEncoder(dim)}
        unknown = [m for m in modalities if m not in make]
        if unknown or not modalities:
            raise ValueError(f"modalities must be a non-empty subset of {tuple(make)}, got {modalities}")
        encoders = {m: make[m]() for m in modalities}
        dims = {m: e.dim for m, e in encoders.items()}
        fusion = {"intermediate": lambda: ConcatFusion(dims),
                  "late-mean": lambda: LateFusion(dims, num_classes, "mean"),
                  "late-product": lambda: LateFusion(dims, num_classes, "product"),
                  "tensor": lambda: TensorFusion(dims, 2 * dim),
                  "low-rank": lambda: LowRankFusion(dims, 2 * dim, rank=8),
                  "film": lambda: FiLMFusion(dims["image"], dims["text"], depth),
                  "cross-attention": lambda: CrossAttentionFusion(dims["text"], dims["image"], dim, layers=depth),
                  "transformer": lambda: TransformerFusion(dims, dim, layers=depth)}[strategy]()
    head = nn.Identity() if strategy.startswith("late") else mlp_head(fusion.out_dim, num_classes)
    return MultimodalModel(encoders, fusion, head, modality_dropout)


def classification_loss(model: nn.Module, batch: dict):
    """Cross-entropy, and the batch accuracy for the history."""
    logits = model(batch)
    return F.cross_entropy(logits, batch["label"]), {"acc": accuracy(logits.detach(), batch["label"])}


def fit_classifier(model: nn.Module, data, steps: int, lr: float = 2e-3, device: str = "cpu",
                   desc: str = "training", progress: bool = True, cosine: bool = False, warmup: int = 0) -> dict:
    """:func:`mmfuse_lite.train.fit` with the cross-entropy loss."""
    return fit(model, classification_loss, data, steps, lr=lr, device=device, desc=desc, progress=progress,
               cosine=cosine, warmup=warmup)


@torch.no_grad()
def predict(model: nn.Module, data: dict, drop=(), batch_size: int = 500, device: str = "cpu") -> torch.Tensor:
    """Logits for every row of a task-tensor dict, with the modalities in ``drop`` missing."""
    if not isinstance(data, dict) or not data:
        raise TypeError(f"data must be a non-empty dict of name -> tensor (from task_tensors), got {describe(data)}")
    modalities = list(getattr(model, "encoders", {}))
    drop = check_names(drop, modalities or list(data), "drop")
    device = check_device(device)
    check_positive_int(batch_size, "batch_size")
    inputs = {k: v for k, v in data.items() if k in modalities} if modalities else dict(data)
    if not inputs:
        raise ValueError(f"data has none of the model's modalities {modalities}; its keys are {list(data)}")
    n = check_same_batch({k: len(v) for k, v in data.items()}, "predict")
    if n == 0:
        raise ValueError("data is empty: no rows to predict")
    model.eval()
    keys = [k for k in data if k not in drop]
    out = []
    for i in range(0, n, batch_size):
        batch = {k: data[k][i:i + batch_size] for k in keys}
        out.append(model(to_device(batch, device)).float().cpu())
    return torch.cat(out)


def evaluate(model: nn.Module, data: dict, drop=(), device: str = "cpu") -> float:
    """Accuracy on a task-tensor dict, with the modalities in ``drop`` missing."""
    if not isinstance(data, dict) or "label" not in data:
        raise ValueError(f"data must be a task-tensor dict with a 'label' entry, got {describe(data) if not isinstance(data, dict) else list(data)}")
    return accuracy(predict(model, data, drop, device=device), data["label"])


@torch.no_grad()
def vq_latents(images: torch.Tensor, model: nn.Module | None = None, batch_size: int = 500) -> torch.Tensor:
    """Images (N, 3, 32, 32) -> the VQGAN's quantised latent grids (N, 16, 8, 8).

    ``model`` defaults to the shipped ``vqgan_shapes`` checkpoint of chapter 5. A frozen
    encoder computed once makes every fusion experiment fast: the fusion models learn
    to combine, not to see.
    """
    from ..checks import check_image_batch
    check_image_batch(images)
    if model is None:
        from .vqvae import load_vqgan
        model = load_vqgan()
    model.eval()
    out = [model.quantizer.lookup(model.encode(images[i:i + batch_size]))
           for i in range(0, len(images), batch_size)]
    return torch.cat(out)


@torch.no_grad()
def task_data(task: str, split: str, n: int, seed: int = 0, vqgan: nn.Module | None = None) -> dict:
    """Chapter 6's task tensors (``task_tensors``: "synergistic", "redundant", ...) on one-object
    scenes, ready for a model: ``image`` holds the VQGAN latents (:func:`vq_latents`), ``text``
    the WordTokenizer ids, ``label`` the answer."""
    from ..data import ShapesWorld, task_tensors
    data = task_tensors(ShapesWorld(split, n=n, seed=seed, max_objects=1), task, ("image", "text"))
    data["image"] = vq_latents(data["image"], vqgan)
    return data


def caption_matching_data(split: str, n: int, seed: int = 0, vqgan: nn.Module | None = None) -> dict:
    """Chapter 6's synergistic task: is this caption true of this image, or was one attribute
    changed? ``label`` 1 for a true caption (see :func:`task_data`)."""
    return task_data("synergistic", split, n, seed, vqgan)


@torch.no_grad()
def colour_check_data(world, seed: int, vqgan: nn.Module | None = None, tokenizer=None) -> dict:
    """Chapter 6's colour check (section 6.7): every scene's caption with its own colour
    (label 1) or another one (label 0), the image turned grey (``image``: VQGAN latents of the
    grey picture), ``text`` (WordTokenizer ids, padded to the longest caption) and ``sound``
    (the scene's spectrogram). Only text and sound can tell: the sound's pitch is the colour."""
    import re

    import numpy as np

    from ..data import COLOURS, WordTokenizer, spectrogram
    tokenizer = tokenizer or WordTokenizer()
    rng = np.random.default_rng(seed)
    index, captions, colours = world.task("redundant")          # every scene, its caption and colour
    texts, labels = [], []
    for text, c in zip(captions, colours):
        right = rng.random() < 0.5
        other = COLOURS[rng.choice([k for k in range(len(COLOURS)) if k != c])]
        texts.append(text if right else re.sub(rf"\b{COLOURS[c]}\b", other, text))
        labels.append(int(right))
    pixels = torch.from_numpy(world.images[index]).float().div(255)
    ids = tokenizer(texts)
    return {"image": vq_latents(pixels.mean(1, keepdim=True).expand(-1, 3, -1, -1), vqgan),
            "text": ids[:, :int((ids != 0).sum(1).max())], "label": torch.tensor(labels),
            "sound": spectrogram(torch.from_numpy(world.sounds[index]))}


QUESTION_TASKS = ("where", "hop")


@torch.no_grad()
def question_data(task: str, split: str, n: int, seed: int = 0, vqgan: nn.Module | None = None) -> dict:
    """Chapter 7's questions: ``task`` "where" ("is the red circle left or right of the blue
    square ?", scenes of two or more objects) or "hop" ("what colour is the shape nearest to
    the red circle ?", three objects). ``image`` the VQGAN latents, ``text`` the ids of
    :func:`question_tokenizer`, ``label`` an index into SIDES (where) or COLOURS (hop),
    ``question`` the strings."""
    from ..data import TASKS, ShapesWorld, task_tensors
    world = ShapesWorld(split, n=n, seed=seed, min_objects=TASKS[_check_question_task(task)]["min_objects"])
    data = task_tensors(world, task, ("image", "text"), question_tokenizer(task))
    data["image"] = vq_latents(data["image"], vqgan)
    data["question"] = world.task(task)[1]
    return data


def _check_question_task(task: str) -> str:
    if task not in QUESTION_TASKS:
        raise ValueError(f"task must be one of {', '.join(QUESTION_TASKS)}, got {task!r}")
    return task


def question_tokenizer(task: str):
    """The grammar's words plus the task's own: WHERE_WORDS ("or") or HOP_WORDS ("shape", "nearest", "closest")."""
    from ..data import HOP_WORDS, WHERE_WORDS, WordTokenizer
    return WordTokenizer(extra_words={"where": WHERE_WORDS, "hop": HOP_WORDS}[_check_question_task(task)])


QUESTION_FUSIONS = ("concatenation", "FiLM", "attention", "transformer")


def build_where_model(fusion: str, vocab_size: int, dim: int = 32, queries: int = 2, task: str = "where",
                      layers: int = 3) -> MultimodalModel:
    """Chapter 7's question model: PatchTokens on the VQGAN grid, a GRU on the question, and
    ``fusion`` one of :data:`QUESTION_FUSIONS`; the head answers a side (where) or a colour
    (hop). ``queries`` is the attention's number of glimpses, ``layers`` the transformer's depth."""
    from ..data import COLOURS, SIDES
    from .image import PatchTokens
    from .fusion import QuestionAttentionFusion
    makers = {"concatenation": lambda: ConcatFusion({"image": dim, "text": dim}),
              "FiLM": lambda: FiLMFusion(dim, dim, blocks=1),
              "attention": lambda: QuestionAttentionFusion(dim, dim, queries=queries),
              "transformer": lambda: TransformerFusion({"image": dim, "text": dim}, dim, heads=4, layers=layers,
                                                       positions={"text": 40})}
    if fusion not in makers:
        raise ValueError(f"fusion must be one of {', '.join(makers)}, got {fusion!r}")
    classes = len({"where": SIDES, "hop": COLOURS}[_check_question_task(task)])
    f = makers[fusion]()
    return MultimodalModel({"image": PatchTokens(16, dim, 8), "text": TextEncoder(vocab_size, dim)}, f,
                           mlp_head(f.out_dim, classes))


def build_from_card(config: dict) -> MultimodalModel:
    """The model a shipped fusion card describes (``scripts/train_fusion.py`` and
    ``scripts/train_where.py`` write them)."""
    if config.get("task") in QUESTION_TASKS:
        return build_where_model(config["fusion"], config["vocab_size"], config["dim"], config["queries"],
                                 config["task"], config.get("layers", 3))
    text = BagOfWords(config["vocab_size"], config["text_dim"]) if "text" in config["modalities"] else None
    return build_model(config["strategy"], tuple(config["modalities"]), config["num_classes"], config["vocab_size"],
                       dim=config.get("dim", 32), width=config["width"], depth=config.get("depth", 1),
                       image_shape=tuple(config["image_shape"]), text_encoder=text)


def load_fusion(name: str) -> tuple[MultimodalModel, dict]:
    """A shipped, converged fusion model and its card, in eval mode: ``fusion_caption_film``,
    ``fusion_caption_image``, ``fusion_where_attention``, ... (see ``data/checkpoints/*.json``)."""
    from .. import checkpoints
    path = checkpoints.shipped(name)
    card = checkpoints.load_card(path)
    model = build_from_card(card["config"])
    checkpoints.load(model, path)
    return model.eval(), card
