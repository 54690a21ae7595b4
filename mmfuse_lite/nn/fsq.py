"""Finite scalar quantisation (FSQ): a fixed grid instead of a learned codebook.

Mentzer et al., 2023, "Finite Scalar Quantization: VQ-VAE Made Simple". Project to a
few channels, squash channel i into a range with ``levels[i]`` integer points, and round
(straight-through). The implicit codebook is the grid: prod(levels) codes, all of them
reachable, with no codebook loss, no commitment loss and nothing to collapse.
"""
from __future__ import annotations

import math

import torch
from torch import nn

from ..checks import check_fits_module, check_indices, check_positive_int
from .quantize import VQOutput


def fsq_bound(h: torch.Tensor, levels: torch.Tensor, eps: float = 1e-3) -> torch.Tensor:
    """Squash channel i of ``h`` (..., len(levels)) so that rounding gives exactly levels[i] integers.

    For odd L the range is (-(L-1)/2, (L-1)/2); for even L it is shifted by half a step
    (L = 8 rounds to -4..3). ``eps`` lets tanh reach the outermost integers.
    """
    half = (levels - 1) * (1 + eps) / 2
    offset = (levels % 2 == 0).to(h.dtype) * 0.5
    shift = torch.atanh(offset / half)
    return torch.tanh(h + shift) * half - offset


class FSQ(nn.Module):
    """Quantise each of ``len(levels)`` channels to ``levels[i]`` values in [-1, 1].

    Accepts feature maps (B, dim, H, W) or sequences (B, N, dim); ``dim`` is projected
    to ``len(levels)`` channels and back. Returns a :class:`VQOutput` with zero losses.
    """

    def __init__(self, levels=(8, 8, 8), dim: int | None = None, eps: float = 1e-3):
        super().__init__()
        levels = list(levels)
        if not levels or any(isinstance(l, bool) or not isinstance(l, int) or l < 3 for l in levels):
            # L = 2 puts the rounding threshold far out in tanh's tail: one value is almost never reached
            raise ValueError(f"levels must be a non-empty list of ints >= 3, e.g. (8, 5, 5, 5), got {levels}")
        self.dim = check_positive_int(dim, "dim") if dim is not None else len(levels)
        self.num_codes = math.prod(levels)
        self.register_buffer("levels", torch.tensor(levels), persistent=False)
        self.register_buffer("basis", torch.tensor([math.prod(levels[:i]) for i in range(len(levels))]),
                             persistent=False)
        self.eps = eps
        if self.dim != len(levels):
            self.project_in, self.project_out = nn.Linear(self.dim, len(levels)), nn.Linear(len(levels), self.dim)
        else:
            self.project_in, self.project_out = nn.Identity(), nn.Identity()

    def bound(self, h: torch.Tensor) -> torch.Tensor:
        return fsq_bound(h, self.levels, self.eps)

    def forward(self, z: torch.Tensor) -> VQOutput:
        if not isinstance(z, torch.Tensor) or not torch.is_floating_point(z) or z.dim() not in (3, 4):
            raise ValueError(f"expected a float feature map (B, C, H, W) or sequence (B, N, C), "
                             f"got {getattr(z, 'shape', type(z).__name__)}")
        if z.shape[0] == 0:
            raise ValueError(f"FSQ got an empty batch (shape {tuple(z.shape)}): at least one item is needed")
        check_fits_module(z, self, "the quantizer's input")
        channels = 1 if z.dim() == 4 else 2
        if z.shape[channels] != self.dim:
            raise ValueError(f"FSQ expects {self.dim} channels in dim {channels}, got shape {tuple(z.shape)}")
        flat = z.movedim(channels, -1).reshape(-1, self.dim)
        h = self.project_in(flat)
        with torch.autocast(h.device.type, enabled=False):   # bound and round in float32, even under autocast
            b = self.bound(h.float())
            q = b + (b.round() - b).detach()                  # round, straight-through
        indices = ((q.detach() + self.levels // 2).long() * self.basis).sum(1)
        out = self.project_out(q / (self.levels // 2))    # grid values scaled into [-1, 1]
        out = out.view(*z.movedim(channels, -1).shape[:-1], self.dim).movedim(-1, channels)
        zero = z.new_zeros(())
        index_shape = (z.shape[0], *z.shape[2:]) if z.dim() == 4 else z.shape[:2]
        return VQOutput(out, indices.view(index_shape), zero, zero, zero)

    def grid(self, indices: torch.Tensor) -> torch.Tensor:
        """Indices (...,) -> grid points (..., len(levels)) in [-1, 1]."""
        digits = (indices.long()[..., None] // self.basis) % self.levels
        return (digits - self.levels // 2) / (self.levels // 2)

    def lookup(self, indices: torch.Tensor) -> torch.Tensor:
        """Code vectors for an index grid (B, H, W) -> (B, dim, H, W), or (B, N) -> (B, N, dim)."""
        check_indices(indices, self.num_codes)
        vectors = self.project_out(self.grid(indices))
        return vectors.permute(0, 3, 1, 2) if indices.dim() == 3 else vectors
