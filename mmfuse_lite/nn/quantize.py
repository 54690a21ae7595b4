"""Vector quantisation: replace each vector by its nearest codebook entry.

VQ-VAE (van den Oord et al., 2017, "Neural Discrete Representation Learning").
The lookup is an argmin, not a linear map, so it has no useful gradient; the
straight-through estimator copies the decoder-side gradient to the encoder, and two
extra losses train the codebook and keep the encoder close to it:

    loss = ||sg[z_e] - e||^2  +  beta * ||z_e - sg[e]||^2,   beta = 0.25

(codebook term, then commitment term; taming-transformers' default "legacy" mode
puts beta on the codebook term instead).
"""
from __future__ import annotations

from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import nn

from ..checks import check_positive_int


def nearest_code(z: torch.Tensor, codebook: torch.Tensor) -> torch.Tensor:
    """Index of the nearest codebook row for each row of ``z``: (M, D), (K, D) -> (M,).

    Squared distances by the expansion ||z||^2 - 2 z.e + ||e||^2, so only an (M, K)
    matrix is formed, never an (M, K, D) tensor of differences.
    """
    d = z.pow(2).sum(1, keepdim=True) - 2 * z @ codebook.t() + codebook.pow(2).sum(1)
    return d.argmin(1)


class VQOutput(NamedTuple):
    """What :class:`VectorQuantizer` returns. ``loss`` = codebook + beta * commitment."""

    quantized: torch.Tensor        # same shape as the input; straight-through gradient
    indices: torch.Tensor          # (B, H, W) for maps, (B, N) for sequences
    codebook_loss: torch.Tensor    # ||sg[z_e] - e||^2: moves only the codebook
    commitment_loss: torch.Tensor  # ||z_e - sg[e]||^2: moves only the encoder
    loss: torch.Tensor


class VectorQuantizer(nn.Module):
    """A codebook of ``num_codes`` vectors of size ``dim``, with a straight-through lookup.

    Accepts feature maps (B, C, H, W) with C == dim, or sequences (B, N, C).
    """

    def __init__(self, num_codes: int = 64, dim: int = 8, beta: float = 0.25):
        super().__init__()
        check_positive_int(num_codes, "num_codes")
        check_positive_int(dim, "dim")
        if not beta >= 0:
            raise ValueError(f"beta must be >= 0, got {beta}")
        self.num_codes, self.dim, self.beta = num_codes, dim, beta
        self.codebook = nn.Embedding(num_codes, dim)
        nn.init.uniform_(self.codebook.weight, -1 / num_codes, 1 / num_codes)

    def _flatten(self, z: torch.Tensor) -> torch.Tensor:
        if not isinstance(z, torch.Tensor):
            raise TypeError(f"expected a torch.Tensor, got {type(z).__name__}")
        if not torch.is_floating_point(z):
            raise TypeError(f"expected a floating-point tensor, got dtype {z.dtype}")
        if z.dim() == 4:
            if z.shape[1] != self.dim:
                raise ValueError(f"feature map has {z.shape[1]} channels in dim 1 (shape {tuple(z.shape)}), "
                                 f"but the codebook vectors have dim={self.dim}")
            return z.permute(0, 2, 3, 1).reshape(-1, self.dim)
        if z.dim() == 3:
            if z.shape[2] != self.dim:
                raise ValueError(f"sequence has {z.shape[2]} channels in dim 2 (shape {tuple(z.shape)}), "
                                 f"but the codebook vectors have dim={self.dim}")
            return z.reshape(-1, self.dim)
        raise ValueError(f"expected a feature map (B, C, H, W) or a sequence (B, N, C), got shape {tuple(z.shape)}")

    def _unflatten(self, flat: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
        if like.dim() == 4:
            b, _, h, w = like.shape
            return flat.view(b, h, w, -1).permute(0, 3, 1, 2)
        return flat.view(*like.shape[:2], -1)

    def forward(self, z: torch.Tensor) -> VQOutput:
        flat = self._flatten(z)
        indices = nearest_code(flat.detach(), self.codebook.weight.detach())
        q = self.codebook(indices)
        codebook_loss = F.mse_loss(q, flat.detach())
        commitment_loss = F.mse_loss(flat, q.detach())
        q = flat + (q - flat).detach()          # straight-through: forward q, backward identity
        index_shape = (z.shape[0], *z.shape[2:]) if z.dim() == 4 else z.shape[:2]
        return VQOutput(self._unflatten(q, z), indices.view(index_shape), codebook_loss, commitment_loss,
                        codebook_loss + self.beta * commitment_loss)

    def lookup(self, indices: torch.Tensor) -> torch.Tensor:
        """Code vectors for an index grid (B, H, W) -> (B, dim, H, W), or (B, N) -> (B, N, dim)."""
        if not isinstance(indices, torch.Tensor) or indices.dtype not in (torch.long, torch.int, torch.int16):
            raise TypeError(f"indices must be an integer tensor, got {getattr(indices, 'dtype', type(indices))}")
        if indices.numel() and (indices.min() < 0 or indices.max() >= self.num_codes):
            raise ValueError(f"indices must be in [0, {self.num_codes}), got range "
                             f"[{indices.min().item()}, {indices.max().item()}]")
        vectors = self.codebook(indices.long())
        return vectors.permute(0, 3, 1, 2) if indices.dim() == 3 else vectors
