"""Fusion over time: a clip's frames as a sequence of VQGAN code maps.

The composition is chapter 6's ``(encoders, fusion, head)`` with time as the axis of
fusion: :class:`FrameEncoder` turns each frame's 8 x 8 code map into one vector, a
temporal fusion turns the frames' vectors into one, and a linear head per question
answers. :class:`MeanOverTime` averages the frames, so it cannot see their order;
:class:`TemporalTransformer` adds a time embedding to each frame and attends across them.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ..checks import check_positive_int, check_tensor
from ..data.motion import CHANGES, MOTIONS


class FrameEncoder(nn.Module):
    """Code maps (B, T, H, W) -> frame vectors (B, T, dim): look each code up in the VQGAN's
    own codebook (frozen), two strided convolutions, flatten. The flatten keeps where things
    are, which motion is about."""

    def __init__(self, codebook: torch.Tensor, dim: int = 64, grid: int = 8):
        super().__init__()
        codebook = check_tensor(codebook, "codebook", dims=2, kind="float")
        for name, v in (("dim", dim), ("grid", grid)):
            check_positive_int(v, name)
        self.num_codes, self.grid = len(codebook), grid
        # the codebook's vectors already say what each code draws; learned-from-scratch ids only get memorised
        self.embed = nn.Embedding.from_pretrained(codebook.detach().clone(), freeze=True)
        self.conv = nn.Sequential(nn.Conv2d(codebook.shape[1], dim, 3, stride=2, padding=1), nn.GELU(),
                                  nn.Conv2d(dim, dim, 3, stride=2, padding=1), nn.GELU())
        self.proj = nn.Linear(dim * (grid // 4) ** 2, dim)

    def forward(self, codes: torch.Tensor) -> torch.Tensor:
        codes = check_tensor(codes, "codes", dims=4, kind="int")
        if codes.shape[2:] != (self.grid, self.grid):
            raise ValueError(f"codes must be (B, T, {self.grid}, {self.grid}) code maps, got {tuple(codes.shape)}")
        if codes.min() < 0 or codes.max() >= self.num_codes:
            raise ValueError(f"codes must lie in [0, {self.num_codes}), got [{int(codes.min())}, {int(codes.max())}]")
        b, t = codes.shape[:2]
        x = self.embed(codes.flatten(0, 1)).permute(0, 3, 1, 2)        # (B*T, 32, H, W)
        return self.proj(self.conv(x).flatten(1)).unflatten(0, (b, t))


class MeanOverTime(nn.Module):
    """Frame vectors (B, T, D) -> (B, D), their mean: the same for any order of the frames."""

    def forward(self, frames: torch.Tensor) -> torch.Tensor:
        return frames.mean(1)


class TemporalTransformer(nn.Module):
    """Frame vectors (B, T, D) -> (B, D): a learned time embedding per frame, a [CLS] token,
    and a small transformer encoder; the [CLS] output sums up the clip."""

    def __init__(self, dim: int = 64, frames: int = 8, layers: int = 2, heads: int = 4):
        super().__init__()
        self.time = nn.Parameter(torch.randn(frames, dim) * 0.02)
        self.cls = nn.Parameter(torch.zeros(1, 1, dim))
        block = nn.TransformerEncoderLayer(dim, heads, 2 * dim, dropout=0.0, batch_first=True, norm_first=True)
        self.encoder = nn.TransformerEncoder(block, layers, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(dim)

    def forward(self, frames: torch.Tensor) -> torch.Tensor:
        if frames.shape[1] != len(self.time):
            raise ValueError(f"expected {len(self.time)} frames, got {frames.shape[1]}")
        x = torch.cat([self.cls.expand(len(frames), -1, -1), frames + self.time], 1)
        return self.norm(self.encoder(x)[:, 0])


class ClipClassifier(nn.Module):
    """Code maps of a clip (B, T, 8, 8) -> logits of its one object's ``motion`` (5) and ``change`` (4)."""

    def __init__(self, codebook: torch.Tensor, fusion: str = "transformer", dim: int = 64, frames: int = 8):
        super().__init__()
        if fusion not in ("mean", "transformer"):
            raise ValueError(f"fusion must be 'mean' or 'transformer', got {fusion!r}")
        self.encoder = FrameEncoder(codebook, dim)
        self.fusion = MeanOverTime() if fusion == "mean" else TemporalTransformer(dim, frames)
        self.heads = nn.ModuleDict({"motion": nn.Linear(dim, len(MOTIONS)), "change": nn.Linear(dim, len(CHANGES))})

    def forward(self, codes: torch.Tensor) -> dict[str, torch.Tensor]:
        z = self.fusion(self.encoder(codes))
        return {k: head(z) for k, head in self.heads.items()}


def clip_loss(model: ClipClassifier, batch: dict) -> tuple[torch.Tensor, dict]:
    """Cross-entropy of the motion and of the change, summed."""
    logits = model(batch["codes"])
    loss = sum(F.cross_entropy(logits[k], batch[k]) for k in ("motion", "change"))
    return loss, {}


@torch.no_grad()
def clip_predictions(model: ClipClassifier, codes: torch.Tensor, batch_size: int = 500) -> dict[str, torch.Tensor]:
    """Predicted motion and change of every clip."""
    model.eval()
    device = next(model.parameters()).device
    parts = [model(codes[i:i + batch_size].to(device)) for i in range(0, len(codes), batch_size)]
    return {k: torch.cat([p[k] for p in parts]).argmax(-1).cpu() for k in ("motion", "change")}
