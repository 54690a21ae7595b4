"""A Siamese network (Bromley et al. 1993): two inputs of one kind, one encoder.

Both inputs go through the *same* encoder, weights and all, and a pair is scored by the
cosine of its two embeddings. Sharing is what makes it a comparison: the score is
symmetric, an input compared with itself gets the highest score there is, and every
example trains the one encoder on both sides. It needs both inputs to be the same kind
of thing; an image and a caption need a tower each (the dual encoder of
:mod:`mmfuse_lite.nn.contrastive`). Pass ``second`` to untie the twins: two towers of the
same shape with their own weights, the comparison chapter 8 makes.

Training is CLIP's loss with one encoder (:func:`siamese_loss`): a scene's second
rendering must score above every other scene of the batch *and* above every near miss
(the scene with one attribute changed). A threshold on the cosine, chosen on the
validation pairs (:func:`best_threshold`), then says "same" or "different".
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..checks import check_number, check_positive_int, check_tensor, describe

TEMPERATURE = 0.07     # CLIP's starting temperature, kept fixed


class Siamese(nn.Module):
    def __init__(self, encoder: nn.Module, dim: int = 32, second: nn.Module | None = None):
        super().__init__()
        check_positive_int(dim, "dim")
        for name, e in (("encoder", encoder), ("second", second)):
            if e is not None and not (isinstance(e, nn.Module) and isinstance(getattr(e, "dim", None), int)):
                raise TypeError(f"{name} must be an nn.Module with an int .dim (e.g. mnn.GridConv), got {describe(e)}")
        self.towers = nn.ModuleList([encoder] if second is None else [encoder, second])
        self.proj = nn.ModuleList(nn.Linear(t.dim, dim, bias=False) for t in self.towers)
        self.dim = dim

    @property
    def shared(self) -> bool:
        return len(self.towers) == 1

    def embed(self, x: torch.Tensor, side: int = 0) -> torch.Tensor:
        """Unit vectors (B, dim) of the inputs on ``side`` 0 (first) or 1 (second)."""
        if side not in (0, 1):
            raise ValueError(f"side must be 0 (the first input) or 1 (the second), got {side!r}")
        i = 0 if self.shared else side
        return F.normalize(self.proj[i](self.towers[i](x).vector), dim=-1)

    def forward(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        """The cosine similarity (B,) of ``a[i]`` and ``b[i]``."""
        check_tensor(a, "a")
        check_tensor(b, "b")
        if a.shape != b.shape or a.dtype != b.dtype:
            raise ValueError(f"a Siamese network compares two things of one kind, but a is {describe(a)} and b is "
                             f"{describe(b)}; to compare an image with a caption use two towers (mnn.CLIP)")
        return (self.embed(a, 0) * self.embed(b, 1)).sum(-1)


def siamese_loss(model: Siamese, batch: dict, temperature: float = TEMPERATURE):
    """InfoNCE of each ``a[i]`` picking ``b[i]`` among every ``b`` and every near miss ``c``."""
    a, b, c = model.embed(batch["a"], 0), model.embed(batch["b"], 1), model.embed(batch["c"], 1)
    logits = a @ torch.cat([b, c]).t() / temperature          # (B, 2B)
    target = torch.arange(len(a), device=a.device)
    return F.cross_entropy(logits, target), {"accuracy": (logits.argmax(1) == target).float().mean().item()}


@torch.no_grad()
def pair_scores(model: Siamese, a: torch.Tensor, b: torch.Tensor, batch_size: int = 500) -> torch.Tensor:
    """``model(a, b)`` in eval mode, batch by batch."""
    check_positive_int(batch_size, "batch_size")
    model.eval()
    return torch.cat([model(a[i:i + batch_size], b[i:i + batch_size]) for i in range(0, len(a), batch_size)])


def best_threshold(same: torch.Tensor, different: torch.Tensor) -> float:
    """The cosine threshold that best separates the scores of same pairs from those of
    different pairs ("same" when score > threshold): choose it on validation pairs."""
    check_tensor(same, "same", dims=1, kind="float")
    check_tensor(different, "different", dims=1, kind="float")
    scores = torch.cat([same, different])
    labels = torch.cat([torch.ones_like(same), torch.zeros_like(different)])
    order = scores.argsort()
    # threshold at each sorted score: the pairs at or below it are called "different"
    correct = (1 - labels[order]).cumsum(0) + labels[order].flip(0).cumsum(0).flip(0) - labels[order]
    i = int(correct.argmax())
    return scores[order][i].item()


def verification_accuracy(same: torch.Tensor, different: torch.Tensor, threshold: float) -> float:
    """The share of pairs called right: same pairs above ``threshold``, different ones not."""
    check_number(threshold, "threshold")
    return torch.cat([same > threshold, different <= threshold]).float().mean().item()


def margin_loss(distance: torch.Tensor, same: torch.Tensor, margin: float = 1.0) -> torch.Tensor:
    """The contrastive loss of Hadsell, Chopra and LeCun (2006): pull a same pair together
    (d^2), push a different pair apart until it is ``margin`` away (max(0, m - d)^2), mean
    over the batch. ``distance`` (B,) >= 0, ``same`` (B,) of 0 / 1."""
    check_tensor(distance, "distance", dims=1, kind="float")
    check_tensor(same, "same", dims=1)
    check_number(margin, "margin", low=0, low_open=True)
    if same.shape != distance.shape:
        raise ValueError(f"same must have the shape of distance {tuple(distance.shape)}, got {tuple(same.shape)}")
    same = same.to(distance.dtype)
    return (same * distance ** 2 + (1 - same) * F.relu(margin - distance) ** 2).mean()


def scene_pair_latents(split: str, n: int, seed: int = 0, vqgan: nn.Module | None = None) -> tuple[dict, dict]:
    """:func:`mmfuse_lite.data.pairs.scene_pairs` as VQGAN latent grids ``{a, b, c}``, and the
    pairs themselves (the pictures, and ``change``)."""
    from ..data.pairs import scene_pairs
    from .multimodal import vq_latents
    from .vqvae import load_vqgan
    vqgan = vqgan if vqgan is not None else load_vqgan()
    p = scene_pairs(split, n, seed)
    return {k: vq_latents(torch.from_numpy(p[k]).float() / 255, vqgan) for k in "abc"}, p


def verification_scores(model: Siamese, val: dict, test: dict, change: np.ndarray) -> dict[str, float]:
    """Test accuracy with the threshold chosen on ``val``: overall, on same pairs, and on
    the near misses of each changed attribute (``change``, one per test scene); plus the
    asymmetry, the mean |s(a, b) - s(b, a)|, and ``self``, the mean s(a, a)."""
    if len(change) != len(test["a"]):
        raise ValueError(f"change must name the changed attribute of each of the {len(test['a'])} test scenes, "
                         f"got {len(change)}")
    threshold = best_threshold(pair_scores(model, val["a"], val["b"]), pair_scores(model, val["a"], val["c"]))
    same, near = pair_scores(model, test["a"], test["b"]), pair_scores(model, test["a"], test["c"])
    out = {"threshold": threshold, "accuracy": verification_accuracy(same, near, threshold),
           "same": (same > threshold).float().mean().item()}
    for c in ("colour", "shape", "size", "position"):
        out[c] = (near[torch.as_tensor(change == c)] <= threshold).float().mean().item()
    out["asymmetry"] = (pair_scores(model, test["b"], test["a"]) - same).abs().mean().item()
    out["self"] = pair_scores(model, test["a"], test["a"]).mean().item()
    return out


def build_siamese_from_card(config: dict) -> Siamese:
    """The model a shipped Siamese card describes (``scripts/train_siamese.py`` writes them)."""
    from .image import GridConv
    make = lambda: GridConv(16, 8, config["dim"], config["width"], config["squeeze"])   # noqa: E731
    return Siamese(make(), config["dim"], None if config["shared"] else make())


def load_siamese(name: str = "siamese_scenes") -> tuple[Siamese, dict]:
    """A shipped, converged twin and its card, in eval mode: ``siamese_scenes`` (one encoder)
    or ``siamese_scenes_untied`` (two)."""
    from .. import checkpoints
    path = checkpoints.shipped(name)
    card = checkpoints.load_card(path)
    model = build_siamese_from_card(card["config"])
    checkpoints.load(model, path)
    return model.eval(), card
