"""The sound judge: a classifier that hears which note each slot of a sound plays.

The sound analogue of chapter 5's shapes judge. A Shapes sound has three note slots of 8
spectrogram frames each (see :mod:`mmfuse_lite.nn.sound_vq`). The same small network reads
every slot and names its shape (timbre; or silence), colour (pitch) and size (loudness).
It is trained on true sounds only, then asked about generated ones.
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..checks import check_fits_module, check_tensor
from ..data.sounds import reading_order
from ..data.world import COLOURS, MAX_OBJECTS, SHAPES, SIZES
from .sound_vq import BINS, FRAMES

SLOT = FRAMES // MAX_OBJECTS             # 8 frames per note slot
SILENT = len(SHAPES)                     # the shape class of an empty slot


def slot_labels(scenes: dict) -> dict[str, torch.Tensor]:
    """What each slot of a scene's sound plays, in reading order (column, then row):
    ``shape`` (N, 3) with 4 = silence, ``colour`` and ``size`` (N, 3), -1 where silent."""
    order = reading_order(scenes)
    out = {k: torch.from_numpy(np.take_along_axis(scenes[k], order, axis=1)) for k in ("shape", "colour", "size")}
    out["shape"] = out["shape"].masked_fill(out["shape"] < 0, SILENT)
    return out


class SoundJudge(nn.Module):
    """Spectrograms (B, 129, 24) -> logits per slot: ``shape`` (B, 3, 5), ``colour`` (B, 3, 6),
    ``size`` (B, 3, 2)."""

    def __init__(self, width: int = 128):
        super().__init__()
        self.net = nn.Sequential(nn.Conv1d(BINS, width, 3, padding=1), nn.GELU(),
                                 nn.Conv1d(width, width, 3, padding=1), nn.GELU())
        self.heads = nn.ModuleDict({"shape": nn.Linear(2 * width, len(SHAPES) + 1),
                                    "colour": nn.Linear(2 * width, len(COLOURS)),
                                    "size": nn.Linear(2 * width, len(SIZES))})

    def forward(self, spec: torch.Tensor) -> dict[str, torch.Tensor]:
        spec = check_tensor(spec, "spec", dims=3, kind="float")
        if spec.shape[1:] != (BINS, FRAMES):
            raise ValueError(f"spec must be (B, {BINS}, {FRAMES}) spectrograms from sound_spectrogram(), "
                             f"got {tuple(spec.shape)}")
        check_fits_module(spec, self, "spec")
        h = self.net(spec).unflatten(2, (MAX_OBJECTS, SLOT))         # (B, width, 3, 8)
        h = torch.cat([h.mean(3), h.amax(3)], 1).transpose(1, 2)     # (B, 3, 2 width): one vector per slot
        return {k: head(h) for k, head in self.heads.items()}

    @torch.no_grad()
    def hear(self, spec: torch.Tensor, batch_size: int = 1000) -> dict[str, torch.Tensor]:
        """Predicted labels per slot, (B, 3) each, -1 for colour and size where the slot is silent."""
        self.eval()
        parts = [self(spec[i:i + batch_size]) for i in range(0, len(spec), batch_size)]
        out = {k: torch.cat([p[k] for p in parts]).argmax(-1) for k in ("shape", "colour", "size")}
        silent = out["shape"] == SILENT
        return {"shape": out["shape"], "colour": out["colour"].masked_fill(silent, -1),
                "size": out["size"].masked_fill(silent, -1)}


def sound_judge_loss(model: SoundJudge, batch: dict) -> tuple[torch.Tensor, dict]:
    """Cross-entropy of every slot's shape (or silence), and of the colour and size of
    the slots that play a note."""
    logits = model(batch["spec"])
    loss = F.cross_entropy(logits["shape"].flatten(0, 1), batch["shape"].flatten())
    for k in ("colour", "size"):
        loss = loss + F.cross_entropy(logits[k].flatten(0, 1), batch[k].flatten(), ignore_index=-1)
    return loss, {}


def heard_accuracy(heard: dict, truth: dict) -> dict[str, float]:
    """Per-attribute accuracy over the slots that truly play a note (``truth`` from
    :func:`slot_labels`), and ``note``: all three right at once. A generated silence where
    a note belongs counts as wrong."""
    played = truth["shape"] != SILENT
    if not played.any():
        raise ValueError("truth has no slot that plays a note: there is nothing to score")
    right = {k: (heard[k] == truth[k])[played] for k in ("shape", "colour", "size")}
    right["note"] = right["shape"] & right["colour"] & right["size"]
    return {k: v.float().mean().item() for k, v in right.items()}


def load_sound_judge(name: str = "sound_judge") -> SoundJudge:
    """The shipped sound judge (``scripts/train_sound_vq.py --judge``), in eval mode."""
    from .. import checkpoints
    path = checkpoints.shipped(name)
    model = SoundJudge(**checkpoints.load_card(path)["config"])
    checkpoints.load(model, path)
    return model.eval()
