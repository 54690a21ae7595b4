"""Vector quantisation: replace each vector by its nearest codebook entry.

VQ-VAE (van den Oord et al., 2017, "Neural Discrete Representation Learning").
The lookup is an argmin, not a linear map, so it has no useful gradient; the
straight-through estimator copies the decoder-side gradient to the encoder, and two
extra losses train the codebook and keep the encoder close to it:

    loss = ||sg[z_e] - e||^2  +  beta * ||z_e - sg[e]||^2,   beta = 0.25

(codebook term, then commitment term; taming-transformers' default "legacy" mode
puts beta on the codebook term instead).

The keyword options are the cures for codebook collapse that chapter 4 measures:
EMA codebook updates, k-means initialisation, dead-code restarts, and low-dimensional
l2-normalised (cosine) codes. With none of them this is exactly chapter 3's quantiser.
"""
from __future__ import annotations

from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import nn

from ..checks import check_fits_module, check_indices, check_number, check_positive_int, check_tensor


def nearest_code(z: torch.Tensor, codebook: torch.Tensor) -> torch.Tensor:
    """Index of the nearest codebook row for each row of ``z``: (M, D), (K, D) -> (M,).

    Squared distances by the expansion ||z||^2 - 2 z.e + ||e||^2, so only an (M, K)
    matrix is formed, never an (M, K, D) tensor of differences.
    """
    check_tensor(z, "z", dims=2, kind="float")
    check_tensor(codebook, "codebook", dims=2, kind="float")
    if z.shape[1] != codebook.shape[1]:
        raise ValueError(f"z (M, D) and codebook (K, D) must share D, got {tuple(z.shape)} and {tuple(codebook.shape)}")
    d = z.pow(2).sum(1, keepdim=True) - 2 * z @ codebook.t() + codebook.pow(2).sum(1)
    return d.argmin(1)


def kmeans(x: torch.Tensor, k: int, iters: int = 10, cosine: bool = False) -> torch.Tensor:
    """Lloyd's k-means on the rows of ``x`` (N, D): returns ``k`` centroids (k, D).

    Seeded with ``k`` random rows; a centroid that loses all its points keeps its place.
    """
    check_tensor(x, "x", dims=2, kind="float")
    check_positive_int(k, "k")
    check_positive_int(iters, "iters")
    n = x.shape[0]
    start = torch.randperm(n, device=x.device)[:k] if n >= k else torch.randint(n, (k,), device=x.device)
    centroids = x[start].clone()
    for _ in range(iters):
        idx = nearest_code(x, centroids)
        counts = torch.bincount(idx, minlength=k)
        sums = torch.zeros_like(centroids).index_add_(0, idx, x)
        filled = counts > 0
        centroids[filled] = sums[filled] / counts[filled, None]
        if cosine:
            centroids = F.normalize(centroids, dim=1)
    return centroids


@torch.no_grad()
def ema_update(cluster_size: torch.Tensor, code_sum: torch.Tensor, h: torch.Tensor, indices: torch.Tensor,
               decay: float = 0.99, eps: float = 1e-5) -> torch.Tensor:
    """One EMA codebook step (VQ-VAE paper, appendix A.1); returns the new codebook (K, D).

    ``cluster_size`` (K,) and ``code_sum`` (K, D) are moving averages of how many vectors
    each code received and of their sum; both are updated in place. Each code becomes the
    mean of its vectors, sum / count, with Laplace smoothing (``eps``) so that a code that
    received nothing does not divide by zero.

    A code that receives nothing does not keep its place for ever. Its count and its sum
    both shrink by ``decay`` per step, so the ratio holds still only while the count is
    large against ``eps``; once decay**t * count falls to about ``eps`` (for decay 0.99,
    count 1 and eps 1e-5: after about ln(1e-5) / ln(0.99) = 1,150 steps) the smoothed
    count stops shrinking and the code slides to the origin. Measured in
    ``tests/test_codebook_cures.py``: a code at (3, 3) is at 2.4 after 1,000 steps and
    below 0.1 after 1,500.
    """
    check_tensor(h, "h", dims=2, kind="float")
    check_tensor(indices, "indices", dims=1, kind="int")
    if cluster_size.dim() != 1 or code_sum.shape != (len(cluster_size), h.shape[1]) or len(indices) != len(h):
        raise ValueError(f"expected cluster_size (K,), code_sum (K, D), h (M, D) and indices (M,), got "
                         f"{tuple(cluster_size.shape)}, {tuple(code_sum.shape)}, {tuple(h.shape)}, {tuple(indices.shape)}")
    check_indices(indices, len(cluster_size))
    check_number(decay, "decay", 0, 1, low_open=True, high_open=True)
    k = cluster_size.shape[0]
    counts = torch.bincount(indices, minlength=k).to(cluster_size.dtype)
    sums = torch.zeros_like(code_sum).index_add_(0, indices, h.to(code_sum.dtype))
    cluster_size.lerp_(counts, 1 - decay)     # N_k <- decay N_k + (1 - decay) n_k
    code_sum.lerp_(sums, 1 - decay)           # m_k <- decay m_k + (1 - decay) sum of its vectors
    n = cluster_size.sum()
    smoothed = (cluster_size + eps) / (n + k * eps) * n
    return code_sum / smoothed[:, None]


class VQOutput(NamedTuple):
    """What :class:`VectorQuantizer` returns. ``loss`` = codebook + beta * commitment."""

    quantized: torch.Tensor        # same shape as the input; straight-through gradient
    indices: torch.Tensor          # (B, H, W) for maps, (B, N) for sequences
    codebook_loss: torch.Tensor    # ||sg[z_e] - e||^2: moves only the codebook
    commitment_loss: torch.Tensor  # ||z_e - sg[e]||^2: moves only the encoder
    loss: torch.Tensor


class VectorQuantizer(nn.Module):
    """A codebook of ``num_codes`` vectors, with a straight-through nearest-code lookup.

    Accepts feature maps (B, C, H, W) with C == dim, or sequences (B, N, C).

    Options (chapter 4):
        code_dim: look codes up in a smaller space; linear projections map
            ``dim -> code_dim`` before the lookup and back after it.
        cosine: l2-normalise inputs and codes, so the nearest code is the most similar
            direction.
        ema_decay: update codes as exponential moving averages of the vectors assigned
            to them (decay 0.99 in the paper) instead of by gradient; the codebook term
            is then only logged.
        eps: Laplace smoothing of the EMA cluster sizes, so an unused code does not
            divide by zero.
        kmeans_init: set the codebook by k-means on the first training batch.
        restart_below: a code whose moving-average use per batch falls below this is
            moved onto a random encoder output of the current batch (0 = off).
        restart_grace: steps a new or just-restarted code is given before it can be
            restarted. The usage average starts at, and a restarted code's is reset to,
            ``restart_below / decay**restart_grace``, so an unused code takes that many
            steps to fall below the threshold (vector-quantize-pytorch's
            ``reset_cluster_size`` is the same knob). The default, 100, is the horizon of
            the 0.99 average; 0 restarts every code unused in the first batch at step 1,
            which is then a data initialisation rather than a restart.
    """

    def __init__(self, num_codes: int = 64, dim: int = 8, beta: float = 0.25, *, code_dim: int | None = None,
                 cosine: bool = False, ema_decay: float | None = None, eps: float = 1e-5,
                 kmeans_init: bool = False, kmeans_iters: int = 10, restart_below: float = 0.0,
                 restart_grace: int = 100):
        super().__init__()
        check_positive_int(num_codes, "num_codes")
        check_positive_int(dim, "dim")
        if not beta >= 0:
            raise ValueError(f"beta must be >= 0, got {beta}")
        if ema_decay is not None and not 0 < ema_decay < 1:
            raise ValueError(f"ema_decay must be in (0, 1) (the paper uses 0.99), got {ema_decay}")
        if not restart_below >= 0:
            raise ValueError(f"restart_below must be >= 0, got {restart_below}")
        if isinstance(restart_grace, bool) or not isinstance(restart_grace, int) or restart_grace < 0:
            raise ValueError(f"restart_grace must be an int >= 0 (steps), got {restart_grace!r}")
        self.num_codes, self.dim, self.beta = num_codes, dim, beta
        self.code_dim = check_positive_int(code_dim, "code_dim") if code_dim is not None else dim
        self.cosine, self.ema_decay, self.eps = cosine, ema_decay, eps
        self.kmeans_iters, self.restart_below, self.restart_grace = kmeans_iters, restart_below, restart_grace
        self.usage_decay = ema_decay if ema_decay is not None else 0.99
        # where the usage average starts, and where a restart puts it back
        self.usage_start = restart_below / self.usage_decay ** restart_grace if restart_below > 0 else 1.0
        self.codebook = nn.Embedding(num_codes, self.code_dim)
        nn.init.uniform_(self.codebook.weight, -1 / num_codes, 1 / num_codes)
        if self.code_dim != dim:
            self.project_in, self.project_out = nn.Linear(dim, self.code_dim), nn.Linear(self.code_dim, dim)
        else:
            self.project_in, self.project_out = nn.Identity(), nn.Identity()
        # Buffers only for the options that need them, so chapter 3's state dict stays as it was.
        if ema_decay is not None or restart_below > 0:
            # moving average of uses per batch
            self.register_buffer("cluster_size", torch.full((num_codes,), self.usage_start))
        if ema_decay is not None:
            self.codebook.weight.requires_grad_(False)
            self.register_buffer("code_sum", self.codebook.weight.detach() * self.usage_start)   # sum = code * count
        if kmeans_init:
            self.register_buffer("initialised", torch.tensor(False))

    def _flatten(self, z: torch.Tensor) -> torch.Tensor:
        if not isinstance(z, torch.Tensor):
            raise TypeError(f"expected a torch.Tensor, got {type(z).__name__}")
        if not torch.is_floating_point(z):
            raise TypeError(f"expected a floating-point tensor, got dtype {z.dtype}")
        if z.dim() in (3, 4) and z.shape[0] == 0:
            raise ValueError(f"the quantizer got an empty batch (shape {tuple(z.shape)}): at least one item is needed")
        check_fits_module(z, self, "the quantizer's input")
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

    def codes(self) -> torch.Tensor:
        """The code vectors as the lookup sees them: (num_codes, code_dim)."""
        w = self.codebook.weight
        return F.normalize(w, dim=1) if self.cosine else w

    def forward(self, z: torch.Tensor) -> VQOutput:
        flat = self._flatten(z)
        h = self.project_in(flat)
        # The lookup and the losses run in float32 even under autocast (as in
        # vector-quantize-pytorch): in bfloat16, with its 8-bit mantissa, nearby distances
        # tie or swap, so the nearest code would depend on the precision.
        with torch.autocast(h.device.type, enabled=False):
            h = h.float()
            if self.cosine:
                h = F.normalize(h, dim=1)
            if self.training and (hasattr(self, "initialised") or hasattr(self, "cluster_size")) \
                    and not torch.isfinite(h).all():
                # k-means, EMA and restarts would write NaN into the codebook: refuse first
                raise FloatingPointError("the quantizer got non-finite encoder outputs (NaN or inf); "
                                         "the codebook was not updated")
            if self.training and hasattr(self, "initialised") and not self.initialised:
                self._kmeans_init(h.detach())
            codes = self.codes().float()
            indices = nearest_code(h.detach(), codes.detach())
            q = codes[indices]
            codebook_loss = F.mse_loss(q, h.detach())      # no gradient when the codebook is an EMA
            commitment_loss = F.mse_loss(h, q.detach())
            if self.training and hasattr(self, "cluster_size"):
                self._update_codebook(h.detach(), indices)
            q = h + (q - h).detach()                      # straight-through: forward q, backward identity
        index_shape = (z.shape[0], *z.shape[2:]) if z.dim() == 4 else z.shape[:2]
        return VQOutput(self._unflatten(self.project_out(q), z), indices.view(index_shape), codebook_loss,
                        commitment_loss, codebook_loss + self.beta * commitment_loss)

    @torch.no_grad()
    def _kmeans_init(self, h: torch.Tensor) -> None:
        self.codebook.weight.data.copy_(kmeans(h.float(), self.num_codes, self.kmeans_iters, self.cosine))
        if hasattr(self, "code_sum"):
            self.code_sum.copy_(self.codebook.weight * self.cluster_size[:, None])
        self.initialised.fill_(True)

    @torch.no_grad()
    def _update_codebook(self, h: torch.Tensor, indices: torch.Tensor) -> None:
        if self.ema_decay is not None:
            self.codebook.weight.data.copy_(
                ema_update(self.cluster_size, self.code_sum, h, indices, self.ema_decay, self.eps))
        else:   # only the usage statistics, for restarts
            counts = torch.bincount(indices, minlength=self.num_codes).to(self.cluster_size.dtype)
            self.cluster_size.lerp_(counts, 1 - self.usage_decay)
        if self.restart_below > 0:
            dead = self.cluster_size < self.restart_below
            if dead.any():
                picks = torch.randint(h.shape[0], (int(dead.sum()),), device=h.device)
                # .data: the backward pass of this step may still hold the old weights
                self.codebook.weight.data[dead] = h[picks].to(self.codebook.weight.dtype)
                self.cluster_size[dead] = self.usage_start        # restart_grace steps before the next restart
                if hasattr(self, "code_sum"):
                    self.code_sum[dead] = self.codebook.weight[dead] * self.usage_start

    def lookup(self, indices: torch.Tensor) -> torch.Tensor:
        """Code vectors for an index grid (B, H, W) -> (B, dim, H, W), or (B, N) -> (B, N, dim)."""
        check_indices(indices, self.num_codes)
        vectors = self.project_out(self.codes()[indices.long()])
        return vectors.permute(0, 3, 1, 2) if indices.dim() == 3 else vectors
