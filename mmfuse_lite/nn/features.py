"""What every encoder returns: tokens, a mask, and one summary vector.

Fusion strategies differ in what they combine: whole-input vectors (intermediate,
late, tensor fusion) or token sequences (cross-attention, transformers). So each
encoder gives both, and each fusion module takes what it needs.
"""
from __future__ import annotations

import math
from typing import NamedTuple

import torch


class Features(NamedTuple):
    """One modality, encoded.

    tokens: (B, N, D) one vector per image patch, word or sound frame.
    mask: (B, N) bool, True for real tokens (False for padding), or None if all are real.
    vector: (B, D) a summary of the whole input (pooled tokens).
    """

    tokens: torch.Tensor
    mask: torch.Tensor | None
    vector: torch.Tensor


def masked_mean(tokens: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
    """Mean over the real tokens: (B, N, D), (B, N) -> (B, D)."""
    if mask is None:
        return tokens.mean(1)
    m = mask.unsqueeze(-1).to(tokens.dtype)
    return (tokens * m).sum(1) / m.sum(1).clamp_min(1)


def to_grid(tokens: torch.Tensor) -> torch.Tensor:
    """Image tokens (B, H*W, D) back to a feature map (B, D, H, W); the grid must be square."""
    b, n, d = tokens.shape
    side = math.isqrt(n)
    if side * side != n:
        raise ValueError(f"expected a square grid of image tokens, got {n} tokens")
    return tokens.transpose(1, 2).reshape(b, d, side, side)
