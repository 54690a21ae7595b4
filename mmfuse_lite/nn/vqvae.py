"""VQ-VAE: the chapter-2 encoder and decoder with a vector quantiser in between."""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .autoencoder import Decoder, Encoder
from .quantize import VectorQuantizer, VQOutput


class VQVAE(nn.Module):
    """Encoder -> quantiser -> Decoder. ``forward`` returns ``(reconstruction, VQOutput)``.

    ``quantizer`` replaces the default ``VectorQuantizer(num_codes, dim, beta)``: any module
    with ``dim``, ``num_codes`` and ``lookup`` that returns a :class:`VQOutput` (chapter 4
    plugs in the collapse cures and FSQ).
    """

    def __init__(self, width: int = 32, dim: int = 8, num_codes: int = 64, downsamples: int = 2,
                 beta: float = 0.25, channels: int = 3, quantizer: nn.Module | None = None):
        super().__init__()
        if quantizer is not None and getattr(quantizer, "dim", dim) != dim:
            raise ValueError(f"the quantizer expects dim={quantizer.dim} channels, but the encoder makes dim={dim}")
        self.encoder = Encoder(channels, width, dim, downsamples)
        self.quantizer = quantizer if quantizer is not None else VectorQuantizer(num_codes, dim, beta)
        self.decoder = Decoder(channels, width, dim, downsamples)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, VQOutput]:
        vq = self.quantizer(self.encoder(x))
        return self.decoder(vq.quantized), vq

    @torch.no_grad()
    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """Images -> code maps (B, H', W') of integer indices."""
        return self.quantizer(self.encoder(x)).indices

    @torch.no_grad()
    def decode(self, indices: torch.Tensor) -> torch.Tensor:
        """Code maps (B, H', W') -> images."""
        return self.decoder(self.quantizer.lookup(indices))


def vqvae_loss(model: VQVAE, batch) -> tuple[torch.Tensor, dict]:
    """Reconstruction MSE + codebook + beta * commitment, with the parts for logging.

    ``batch_usage`` is the fraction of the codebook used by this batch (a lower bound on
    the usage over a split, cheap enough to log every step).
    """
    x = batch["image"] if isinstance(batch, dict) else batch
    x_hat, vq = model(x)
    rec = F.mse_loss(x_hat, x)
    used = vq.indices.unique().numel() / model.quantizer.num_codes
    return rec + vq.loss, {"reconstruction": rec.detach(), "codebook": vq.codebook_loss.detach(),
                           "commitment": vq.commitment_loss.detach(), "batch_usage": used}


@torch.no_grad()
def encode_codes(model: VQVAE, images: torch.Tensor, batch_size: int = 500) -> torch.Tensor:
    """Code maps (N, H', W') of many images (N, 3, H, W), float in [0, 1] or uint8, encoded
    ``batch_size`` at a time on the model's device; returned on the CPU."""
    if not isinstance(images, torch.Tensor) or images.dim() != 4 or images.shape[1] != 3:
        raise ValueError(f"images must be a tensor (N, 3, H, W), got {getattr(images, 'shape', type(images).__name__)}")
    if images.dtype != torch.uint8 and images.numel() and (images.min() < 0 or images.max() > 1):
        raise ValueError(f"float images must lie in [0, 1], got [{images.min().item():.3g}, {images.max().item():.3g}]; "
                         f"divide uint8 values by 255 or pass the uint8 tensor")
    model.eval()              # BatchNorm statistics and codebook updates must not move while coding
    device = next(model.parameters()).device
    scale = 255.0 if images.dtype == torch.uint8 else 1.0     # uint8 frames as the worlds store them
    return torch.cat([model.encode(x.to(device).float() / scale).cpu() for x in images.split(batch_size)])


def load_vqgan(name: str = "vqgan_shapes") -> VQVAE:
    """The shipped VQGAN of chapter 5 (a :class:`VQVAE` trained with VQGAN's losses), in eval mode."""
    from .. import checkpoints
    path = checkpoints.shipped(name)
    model = VQVAE(**checkpoints.load_card(path)["config"])
    checkpoints.load(model, path)
    return model.eval()
