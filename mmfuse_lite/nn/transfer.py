"""Learning from fewer pairs: augmentation and transfer for chapter 8's dual encoder.

Two ways to get more from a small set of image-caption pairs, each measured the same way:
train, score on ``val`` every few hundred steps, keep the best state, report on ``test``.

* Augmentation (:mod:`mmfuse_lite.data.augment`): more views of the same pairs.
* Transfer: an image side that was already trained, the VQGAN encoder of chapter 5, kept
  frozen (``"frozen"``: a GridMLP on its quantised latents, chapter 8's model) or trained on
  from its weights (``"finetuned"``), against the same convolutional encoder, fresh, trained
  end to end by the contrastive loss (``"scratch"``).
"""
from __future__ import annotations

import copy

import torch
from torch import nn
from tqdm.auto import tqdm

from ..checks import check_choice, check_positive_int
from .autoencoder import Encoder
from .contrastive import CLIP, alignment_scores, clip_loss
from .features import Features
from .image import GridMLP
from .text import TextEncoder

IMAGE_SIDES = ("frozen", "finetuned", "scratch")
ARMS = {                                   # the augmentation arms: keyword arguments of data.augment.augment
    "none": None,
    "caption-true": {},
    "flip, caption kept": {"flip": "naive"},
    "any hue": {"max_hue": 180.0},
    "resized crop": {"crop_scale": 0.5},
}


class PixelGridMLP(nn.Module):
    """Pixels -> a convolutional encoder (the VQGAN's architecture) -> a GridMLP: the image
    side trained from scratch. (B, 3, 32, 32) -> Features with a summary vector."""

    def __init__(self, width: int = 32, channels: int = 16, size: int = 8, dim: int = 64, hidden: int = 128):
        super().__init__()
        self.encoder = Encoder(3, width, channels, 2)
        self.head = GridMLP(channels, size, dim, hidden)
        self.dim = dim

    def forward(self, images: torch.Tensor) -> Features:
        return self.head(self.encoder(images))


def build_pair_model(image_side: str = "frozen", vocab_size: int = 53, dim: int = 64, hidden: int = 128,
                     width: int = 32, seed: int = 0, pretrained: bool = True) -> CLIP:
    """Chapter 8's dual encoder with a ``"frozen"`` image side (a GridMLP over the VQGAN's
    latents; the VQGAN itself stays outside the model, so it reads latents), or one that
    reads pixels (:class:`PixelGridMLP`): ``"scratch"`` (fresh) or ``"finetuned"`` (its
    encoder starts as the shipped VQGAN's when ``pretrained``)."""
    check_choice(image_side, IMAGE_SIDES, "image_side")
    torch.manual_seed(seed)
    if image_side == "frozen":
        image = GridMLP(16, 8, dim, hidden)
    else:
        image = PixelGridMLP(width, 16, 8, dim, hidden)
        if image_side == "finetuned" and pretrained:
            from .vqvae import load_vqgan
            image.encoder.load_state_dict(load_vqgan().encoder.state_dict())
    return CLIP(image, TextEncoder(vocab_size, dim), dim)


def fit_on_val(model: CLIP, train: dict, val_world, val: dict, tokenizer, steps: int, every: int,
               batch_size: int = 128, lr: float = 2e-3, seed: int = 0, device: str = "cpu",
               patience: int | None = None, optimizer: torch.optim.Optimizer | None = None,
               desc: str = "CLIP", progress: bool = True) -> dict:
    """Train with :func:`clip_loss`; every ``every`` steps score ``val`` (mean semantic Recall@1
    of both directions) and keep the best state, which ``model`` holds at the end. With
    ``patience``, stop once that many scores in a row were not better than the best.
    ``optimizer``: your own (e.g. with parameter groups); by default Adam at ``lr``.
    Training stops at the last multiple of ``every`` that is at most ``steps``.
    Returns ``{"step": [...], "val": [...], "best_step": s, "best_val": v}``."""
    from ..data import Batches
    from ..train import adam, fit
    check_positive_int(steps, "steps")
    check_positive_int(every, "every")
    if every > steps:
        raise ValueError(f"every ({every}) must be at most steps ({steps}): nothing would be scored")
    true = _truth(val_world)
    optimizer, batches = optimizer or adam(model.parameters(), lr), Batches(train, batch_size, seed)
    history, best = {"step": [], "val": []}, (-1.0, 0, None)
    bar = tqdm(range(every, steps + 1, every), desc=desc, disable=not progress, leave=False)
    for step in bar:
        fit(model, clip_loss, batches, every, lr=lr, device=device, optimizer=optimizer, progress=False)
        model.cpu()
        v = alignment_scores(model, val_world, val, tokenizer, true=true)
        score = semantic_r1(v)
        history["step"].append(step)
        history["val"].append(score)
        if score > best[0]:
            best = (score, step, copy.deepcopy(model.state_dict()))
        bar.set_postfix(val=f"{score:.3f}", best=f"{best[0]:.3f}")
        if patience is not None and step - best[1] >= patience * every:
            break
    model.load_state_dict(best[2])
    history.update(best_step=best[1], best_val=best[0])
    return history


def _truth(world) -> torch.Tensor:
    from ..data.parse import truth_matrix
    return torch.from_numpy(truth_matrix(world.captions, world.scenes))


def semantic_r1(scores: dict) -> float:
    """The mean of the two directions' semantic Recall@1 in :func:`alignment_scores`' dict."""
    return (scores["semantic_r1_i2t"] + scores["semantic_r1_t2i"]) / 2


def load_pair_model(name: str) -> tuple[CLIP, dict]:
    """A shipped model of the augmentation or transfer experiments (``scripts/train_transfer.py``)
    and its card, in eval mode: ``augment_<arm>`` or ``transfer_<side>_<pairs>``."""
    from .. import checkpoints
    path = checkpoints.shipped(name)
    card = checkpoints.load_card(path)
    c = card["config"]
    model = build_pair_model(c["image_side"], c["vocab_size"], c["dim"], c["hidden"], c["width"], pretrained=False)
    checkpoints.load(model, path)
    return model.eval(), card


def arm_slug(arm: str) -> str:
    """'flip, caption kept' -> 'flip_caption_kept': the arm's part of a checkpoint name."""
    check_choice(arm, tuple(ARMS), "arm")
    return "".join(ch if ch.isalnum() else "_" for ch in arm).replace("__", "_").strip("_")


__all__ = ["ARMS", "IMAGE_SIDES", "PixelGridMLP", "arm_slug", "build_pair_model", "fit_on_val", "load_pair_model",
           "semantic_r1"]
