"""A small convolutional autoencoder: the encoder and decoder every later model reuses.

Encoder: (B, 3, H, W) -> (B, latent_channels, H / 2**downsamples, W / 2**downsamples).
Decoder: the mirror image. The VQ-VAE (chapter 3) and VQGAN (chapter 5) put a
quantiser between the two.
"""
from __future__ import annotations

import torch
from torch import nn

from ..checks import check_fits_module, check_image_batch, check_pixel_range, check_positive_int


def conv_block(c_in: int, c_out: int, kernel: int = 3, stride: int = 1, transpose: bool = False) -> nn.Sequential:
    """Convolution -> BatchNorm -> SiLU. Stride 2 halves the size; ``transpose`` doubles it.

    BatchNorm makes these small models leave the "grey background" plateau in a
    few hundred steps instead of a thousand.
    """
    conv = nn.ConvTranspose2d if transpose else nn.Conv2d
    return nn.Sequential(conv(c_in, c_out, kernel, stride, padding=(kernel - 1) // 2 if kernel != 4 else 1),
                         nn.BatchNorm2d(c_out), nn.SiLU())


class Encoder(nn.Module):
    """Image -> latent feature map. Each downsample halves H and W and doubles the width."""

    def __init__(self, in_channels: int = 3, width: int = 32, latent_channels: int = 8, downsamples: int = 2):
        super().__init__()
        for name, v in (("in_channels", in_channels), ("width", width),
                        ("latent_channels", latent_channels), ("downsamples", downsamples)):
            check_positive_int(v, name)
        self.in_channels, self.latent_channels, self.downsamples = in_channels, latent_channels, downsamples
        layers, ch = [conv_block(in_channels, width)], width
        for _ in range(downsamples):
            layers.append(conv_block(ch, 2 * ch, kernel=4, stride=2))
            ch *= 2
        layers += [conv_block(ch, ch), nn.Conv2d(ch, latent_channels, 1)]
        self.net = nn.Sequential(*layers)

    def forward(self, x):
        check_image_batch(x, self.in_channels, 2 ** self.downsamples)
        check_fits_module(x, self, "images")
        check_pixel_range(x)
        return self.net(x)


class Decoder(nn.Module):
    """Latent feature map -> image. Mirrors :class:`Encoder`; the output is not squashed."""

    def __init__(self, out_channels: int = 3, width: int = 32, latent_channels: int = 8, upsamples: int = 2):
        super().__init__()
        for name, v in (("out_channels", out_channels), ("width", width),
                        ("latent_channels", latent_channels), ("upsamples", upsamples)):
            check_positive_int(v, name)
        self.latent_channels = latent_channels
        ch = width * 2 ** upsamples
        layers = [conv_block(latent_channels, ch, kernel=1), conv_block(ch, ch)]
        for _ in range(upsamples):
            layers.append(conv_block(ch, ch // 2, kernel=4, stride=2, transpose=True))
            ch //= 2
        layers.append(nn.Conv2d(ch, out_channels, 3, padding=1))
        self.net = nn.Sequential(*layers)

    @property
    def last_layer(self) -> torch.Tensor:
        """Weight of the final convolution (VQGAN's adaptive weight is measured here)."""
        return self.net[-1].weight

    def forward(self, z):
        check_image_batch(z, self.latent_channels, name="latents")
        check_fits_module(z, self, "latents")
        return self.net(z)


class Autoencoder(nn.Module):
    """Encoder + decoder. ``forward`` returns ``(reconstruction, latent)``."""

    def __init__(self, width: int = 32, latent_channels: int = 8, downsamples: int = 2, channels: int = 3):
        super().__init__()
        self.encoder = Encoder(channels, width, latent_channels, downsamples)
        self.decoder = Decoder(channels, width, latent_channels, downsamples)

    def forward(self, x):
        z = self.encoder(x)
        return self.decoder(z), z

    def bottleneck_size(self, image_size: int = 32) -> int:
        """Numbers per image in the latent: latent_channels * (image_size / 2**downsamples)**2."""
        side = image_size // 2 ** self.encoder.downsamples
        return self.decoder.latent_channels * side * side
