"""Image encoders for fusion: a small CNN (patch tokens), and raw grids for early fusion."""
from __future__ import annotations

import torch
from torch import nn

from ..checks import check_image_batch, check_positive_int
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
