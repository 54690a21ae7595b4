"""Image encoders for fusion: a small CNN (patch tokens), and raw grids for early fusion."""
from __future__ import annotations

import math

import torch
from torch import nn

from ..checks import check_fits_module, check_image_batch, check_positive_int
from .autoencoder import conv_block
from .features import Features


class ImageEncoder(nn.Module):
    """(B, 3, S, S) -> Features: a grid of (S / 2**downsamples)^2 patch tokens of size ``dim``.

    Each token gets a learned position embedding, so attention over the tokens knows
    where each patch is. The summary vector is the global average of the feature map
    (before position embeddings), as in a ResNet: it says *what* is there, and keeps
    only what the convolutions wrote into the channels about *where*.
    """

    def __init__(self, dim: int = 32, width: int = 16, downsamples: int = 2, image_size: int = 32,
                 in_channels: int = 3):
        super().__init__()
        check_positive_int(dim, "dim")
        check_positive_int(width, "width")
        layers, c = [conv_block(in_channels, width)], width
        for _ in range(downsamples):
            layers.append(conv_block(c, 2 * c, 4, 2))
            c *= 2
        layers.append(nn.Conv2d(c, dim, 1))
        self.net = nn.Sequential(*layers)
        self.dim, self.in_channels, self.downsamples = dim, in_channels, downsamples
        self.pos = nn.Parameter(0.02 * torch.randn(1, (image_size >> downsamples) ** 2, dim))

    def forward(self, images: torch.Tensor) -> Features:
        check_image_batch(images, self.in_channels, multiple=2 ** self.downsamples)
        check_fits_module(images, self, "images")
        h = self.net(images)
        tokens = h.flatten(2).transpose(1, 2)
        if tokens.shape[1] != self.pos.shape[1]:
            raise ValueError(f"expected {self.pos.shape[1]} patches (the image_size this encoder was built for), "
                             f"got {tokens.shape[1]} from images of shape {tuple(images.shape)}")
        return Features(tokens + self.pos, None, h.mean((2, 3)))


class GridTokens(nn.Module):
    """No encoder at all: every position of an image-like grid (pixels, or a VQGAN latent
    grid) is a token of its ``channels`` values. Early fusion uses it."""

    def __init__(self, channels: int = 3):
        super().__init__()
        self.dim = channels

    def forward(self, images: torch.Tensor) -> Features:
        check_image_batch(images, self.dim)
        return Features(images.flatten(2).transpose(1, 2), None, images.mean((2, 3)))


def sincos_2d(size: int, dim: int) -> torch.Tensor:
    """Fixed 2-D position codes (size * size, dim): sines and cosines of x and of y at
    ``dim // 4`` frequencies each, as in the Transformer, one half for each axis."""
    if dim % 4:
        raise ValueError(f"dim must be divisible by 4 (sin and cos of x and y), got {dim}")
    ys, xs = torch.meshgrid(torch.arange(size).float(), torch.arange(size).float(), indexing="ij")
    freq = torch.exp(-math.log(size) * torch.arange(dim // 4) / (dim // 4))
    parts = [f(c[..., None] * freq) for c in (xs, ys) for f in (torch.sin, torch.cos)]
    return torch.cat(parts, -1).view(size * size, dim)


class PatchTokens(nn.Module):
    """(B, C, S, S) latent grid (the VQGAN's, chapter 5) -> Features: one token per cell.

    A small MLP reads each cell on its own (*what* is there) and a fixed 2-D sin-cos
    code says *where* it is. With no convolution to learn, attention can find objects
    within a few hundred steps; learned position embeddings start near zero and made
    the same models take thousands.
    """

    def __init__(self, channels: int = 16, dim: int = 32, size: int = 8):
        super().__init__()
        check_positive_int(dim, "dim")
        self.mlp = nn.Sequential(nn.Linear(channels, dim), nn.GELU(), nn.Linear(dim, dim))
        self.register_buffer("pos", sincos_2d(size, dim), persistent=False)
        self.dim, self.in_channels, self.size = dim, channels, size

    def forward(self, grid: torch.Tensor) -> Features:
        check_image_batch(grid, self.in_channels, name="grid")
        check_fits_module(grid, self, "grid")
        if grid.shape[-1] != self.size:
            raise ValueError(f"expected a {self.size} x {self.size} grid, got shape {tuple(grid.shape)}")
        what = self.mlp(grid.flatten(2).transpose(1, 2))
        return Features(what + self.pos, None, what.mean(1))


def _grid_vector(module: nn.Module, grid: torch.Tensor) -> Features:
    """``module.net`` on a checked (B, C, S, S) grid, as a summary vector (GridConv, GridMLP)."""
    check_image_batch(grid, module.in_channels, name="grid")
    check_fits_module(grid, module, "grid")
    if grid.shape[-2:] != (module.size, module.size):
        raise ValueError(f"expected a {module.size} x {module.size} grid, got shape {tuple(grid.shape)}")
    return Features(None, None, module.net(grid))


class GridConv(nn.Module):
    """(B, C, S, S) grid (the VQGAN's latents) -> Features with a summary vector only.

    Two 3x3 convolutions read every cell with the same weights, so an object is
    recognised wherever it is, from fewer examples than a flat MLP needs; a 1x1
    convolution squeezes each cell to ``squeeze`` channels, and a linear layer over the
    flattened map keeps each cell's place. Chapter 8's Siamese network uses it.
    """

    def __init__(self, channels: int = 16, size: int = 8, dim: int = 64, width: int = 32, squeeze: int = 8):
        super().__init__()
        for name, v in (("channels", channels), ("size", size), ("dim", dim), ("width", width), ("squeeze", squeeze)):
            check_positive_int(v, name)
        self.net = nn.Sequential(nn.Conv2d(channels, width, 3, padding=1), nn.GELU(),
                                 nn.Conv2d(width, width, 3, padding=1), nn.GELU(),
                                 nn.Conv2d(width, squeeze, 1), nn.Flatten(), nn.Linear(squeeze * size * size, dim))
        self.dim, self.in_channels, self.size = dim, channels, size

    def forward(self, grid: torch.Tensor) -> Features:
        return _grid_vector(self, grid)


class GridMLP(nn.Module):
    """(B, C, S, S) grid (the VQGAN's latents) -> Features with a summary vector only.

    The grid is flattened and read by a two-layer MLP, so every cell keeps its place in
    the input vector: positions survive, where a global average would lose them. The
    contrastive chapter uses it as its image encoder: captions say where objects are.
    """

    def __init__(self, channels: int = 16, size: int = 8, dim: int = 64, hidden: int = 128):
        super().__init__()
        for name, v in (("channels", channels), ("size", size), ("dim", dim), ("hidden", hidden)):
            check_positive_int(v, name)
        self.net = nn.Sequential(nn.Flatten(), nn.Linear(channels * size * size, hidden), nn.GELU(),
                                 nn.Linear(hidden, dim))
        self.dim, self.in_channels, self.size = dim, channels, size

    def forward(self, grid: torch.Tensor) -> Features:
        return _grid_vector(self, grid)
