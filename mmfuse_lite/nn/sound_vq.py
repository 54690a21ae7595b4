"""A VQ tokenizer for sounds: spectrogram -> 1-D conv encoder -> codes -> decoder -> spectrogram.

A Shapes sound (3,000 samples at 8 kHz, three 1,000-sample note slots) becomes a
log-magnitude spectrogram of 129 frequency bins x 24 frames: a hop of 125 samples puts
exactly 8 frames in each note slot. The encoder treats the bins as channels of a Conv1d
over time and halves the time axis once, so a sound is a sentence of 12 codes, 4 per note.
The decoder mirrors it. :func:`griffin_lim` turns a decoded spectrogram back into a
waveform by estimating the phase the spectrogram threw away.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ..checks import check_fits_module, check_indices, check_positive_int, check_tensor
from .quantize import VectorQuantizer, VQOutput

N_FFT, HOP = 256, 125            # 129 bins; 8 frames per 1,000-sample note
BINS = N_FFT // 2 + 1
FRAMES = 24                      # 3 note slots x 8 frames


def sound_spectrogram(wave: torch.Tensor) -> torch.Tensor:
    """Waveforms (B, 3000) -> log1p |STFT| (B, 129, 24), the tokenizer's input.

    The STFT is centred, so it has 25 frames; the last one, centred on the final sample,
    is dropped to keep 8 frames per note slot."""
    wave = check_tensor(torch.as_tensor(wave), "wave", dims=2, kind="float")
    if wave.shape[1] != HOP * FRAMES:
        raise ValueError(f"wave must be (B, {HOP * FRAMES}) Shapes sounds, got shape {tuple(wave.shape)}")
    spec = torch.stft(wave.float(), N_FFT, hop_length=HOP, window=torch.hann_window(N_FFT, device=wave.device),
                      return_complex=True).abs()
    return torch.log1p(spec[..., :FRAMES])


@torch.no_grad()
def griffin_lim(spec: torch.Tensor, length: int = HOP * FRAMES, iters: int = 32, seed: int = 0) -> torch.Tensor:
    """Log-magnitude spectrograms (B, 129, 24) -> waveforms (B, length), by Griffin-Lim.

    Start from random phases; then, ``iters`` times, make a waveform with these magnitudes
    and phases, take its STFT and keep only its phases. The magnitudes are always the given
    ones, so the result moves towards a waveform whose spectrogram is the given one; it
    gets close, not exact (the phases of overlapping windows never agree perfectly)."""
    spec = check_tensor(spec, "spec", dims=3, kind="float")
    if spec.shape[1:] != (BINS, FRAMES):
        raise ValueError(f"spec must be (B, {BINS}, {FRAMES}) log-magnitude spectrograms, got {tuple(spec.shape)}")
    mag = torch.expm1(spec.clamp_min(0))
    mag = F.pad(mag, (0, 1))                       # the dropped last frame, as silence
    window = torch.hann_window(N_FFT, device=spec.device)
    g = torch.Generator(device="cpu").manual_seed(seed)
    phase = torch.exp(2j * torch.pi * torch.rand(mag.shape, generator=g)).to(spec.device)
    for _ in range(iters):
        wave = torch.istft(mag * phase, N_FFT, hop_length=HOP, window=window, length=length)
        phase = torch.exp(1j * torch.stft(wave, N_FFT, hop_length=HOP, window=window, return_complex=True).angle())
    return torch.istft(mag * phase, N_FFT, hop_length=HOP, window=window, length=length).clamp(-1, 1)


class SoundVQ(nn.Module):
    """Spectrogram (B, 129, 24) -> codes (B, 12) -> spectrogram. ``forward`` returns
    ``(reconstruction, VQOutput)``, like chapter 3's VQ-VAE."""

    def __init__(self, num_codes: int = 128, dim: int = 16, width: int = 128, beta: float = 0.25):
        super().__init__()
        for name, v in (("num_codes", num_codes), ("dim", dim), ("width", width)):
            check_positive_int(v, name)
        self.encoder = nn.Sequential(
            nn.Conv1d(BINS, width, 3, padding=1), nn.GELU(),
            nn.Conv1d(width, width, 4, stride=2, padding=1), nn.GELU(),   # 24 -> 12 frames
            nn.Conv1d(width, width, 3, padding=1), nn.GELU(),
            nn.Conv1d(width, dim, 1))
        # k-means start and dead-code restarts (chapter 4) keep the whole codebook in use
        self.quantizer = VectorQuantizer(num_codes, dim, beta, kmeans_init=True, restart_below=0.02)
        self.decoder = nn.Sequential(
            nn.Conv1d(dim, width, 3, padding=1), nn.GELU(),
            nn.ConvTranspose1d(width, width, 4, stride=2, padding=1), nn.GELU(),  # 12 -> 24 frames
            nn.Conv1d(width, width, 3, padding=1), nn.GELU(),
            nn.Conv1d(width, BINS, 1))

    def _check(self, spec: torch.Tensor) -> torch.Tensor:
        spec = check_tensor(spec, "spec", dims=3, kind="float")
        if spec.shape[1:] != (BINS, FRAMES):
            raise ValueError(f"spec must be (B, {BINS}, {FRAMES}) spectrograms from sound_spectrogram(), "
                             f"got {tuple(spec.shape)}")
        return check_fits_module(spec, self, "spec")

    def forward(self, spec: torch.Tensor) -> tuple[torch.Tensor, VQOutput]:
        z = self.encoder(self._check(spec)).transpose(1, 2)      # (B, 12, dim): a sequence
        vq = self.quantizer(z)
        return self.decoder(vq.quantized.transpose(1, 2)), vq

    @torch.no_grad()
    def encode(self, spec: torch.Tensor) -> torch.Tensor:
        """Spectrograms -> codes (B, 12). Switches to eval mode: in training mode the
        quantiser would update its codebook (k-means start, restarts)."""
        self.eval()
        return self.quantizer(self.encoder(self._check(spec)).transpose(1, 2)).indices

    @torch.no_grad()
    def decode(self, codes: torch.Tensor) -> torch.Tensor:
        """Codes (B, 12) -> spectrograms (B, 129, 24)."""
        codes = check_tensor(codes, "codes", dims=2, kind="int")
        if codes.shape[1] != FRAMES // 2:
            raise ValueError(f"codes must be (B, {FRAMES // 2}), one sound's sentence per row, got {tuple(codes.shape)}")
        check_indices(codes, self.quantizer.num_codes, "codes")
        return self.decoder(self.quantizer.lookup(codes.to(self.decoder[0].weight.device)).transpose(1, 2))


def sound_vq_loss(model: SoundVQ, batch) -> tuple[torch.Tensor, dict]:
    """Spectrogram MSE + codebook + beta * commitment, and the parts for logging."""
    spec = batch["spec"] if isinstance(batch, dict) else batch
    recon, vq = model(spec)
    rec = F.mse_loss(recon, spec)
    used = vq.indices.unique().numel() / model.quantizer.num_codes
    return rec + vq.loss, {"reconstruction": rec.detach(), "commitment": vq.commitment_loss.detach(),
                           "batch_usage": used}


def load_sound_vq(name: str = "sound_vq") -> SoundVQ:
    """The shipped sound tokenizer of chapter 10 (``scripts/train_sound_vq.py``), in eval mode."""
    from .. import checkpoints
    path = checkpoints.shipped(name)
    model = SoundVQ(**checkpoints.load_card(path)["config"])
    checkpoints.load(model, path)
    return model.eval()
