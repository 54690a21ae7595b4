"""A sound encoder: log spectrogram -> 1-D convolutions over time -> frame tokens."""
from __future__ import annotations

import torch
from torch import nn

from ..checks import check_fits_module, check_positive_int
from ..data.sounds import spectrogram
from .features import Features


class SoundEncoder(nn.Module):
    """(B, T) waveforms -> Features: one token per group of 4 spectrogram frames.

    The frequency bins are the input channels of a Conv1d over time, so a filter can
    respond to a pitch (a colour in the Shapes world) or a timbre (a shape) wherever
    in time the note is.
    """

    def __init__(self, dim: int = 32, width: int = 32, n_fft: int = 256, hop: int = 64, max_tokens: int = 64):
        super().__init__()
        check_positive_int(dim, "dim")
        bins = n_fft // 2 + 1
        self.n_fft, self.hop, self.dim = n_fft, hop, dim
        self.net = nn.Sequential(nn.BatchNorm1d(bins), nn.Conv1d(bins, width, 5, 2, 2), nn.GELU(),
                                 nn.Conv1d(width, dim, 5, 2, 2))
        self.pos = nn.Parameter(0.02 * torch.randn(1, max_tokens, dim))

    def forward(self, sound: torch.Tensor) -> Features:
        """``sound``: waveforms (B, T), or their spectrograms (B, n_fft // 2 + 1, frames)
        computed once in advance (faster when the same sounds are seen many times)."""
        bins = self.n_fft // 2 + 1
        ok = isinstance(sound, torch.Tensor) and torch.is_floating_point(sound) and (
            sound.dim() == 2 or (sound.dim() == 3 and sound.shape[1] == bins))
        if not ok:
            got = f"shape {tuple(sound.shape)}, dtype {sound.dtype}" if isinstance(sound, torch.Tensor) \
                else type(sound).__name__
            raise ValueError(f"SoundEncoder expects float waveforms (B, T) or spectrograms (B, {bins}, frames), "
                             f"got {got}")
        if sound.shape[0] == 0:
            raise ValueError(f"sound is an empty batch (shape {tuple(sound.shape)}): at least one is needed")
        check_fits_module(sound, self, "sound")
        spec = spectrogram(sound, self.n_fft, self.hop) if sound.dim() == 2 else sound
        h = self.net(spec)                                          # (B, dim, frames / 4)
        tokens = h.transpose(1, 2)
        if tokens.shape[1] > self.pos.shape[1]:
            raise ValueError(f"sound too long: {tokens.shape[1]} tokens, max_tokens={self.pos.shape[1]}")
        return Features(tokens + self.pos[:, :tokens.shape[1]], None, h.mean(2))
