"""Sounds of the Shapes world: each object plays a short note, left to right.

Pitch follows colour (red lowest, purple highest), timbre and envelope follow
shape, loudness follows size. A scene's sound is its objects' notes in reading
order (by column, then row), padded with silence to three slots.
"""
from __future__ import annotations

import numpy as np
import torch

from .world import MAX_OBJECTS

SAMPLE_RATE = 8000
NOTE_SECONDS = 0.125
NOTE_LEN = int(SAMPLE_RATE * NOTE_SECONDS)       # 1000 samples per note
SOUND_LEN = NOTE_LEN * MAX_OBJECTS               # 3000 samples per scene
# Hz per colour, in COLOURS order: C4 E4 G4 B4 D5 F5
PITCH = np.array([261.6, 329.6, 392.0, 493.9, 587.3, 698.5])
LOUDNESS = np.array([0.45, 0.9])                 # small, large


def note(shape: np.ndarray, colour: np.ndarray, size: np.ndarray) -> np.ndarray:
    """Waveforms (n, NOTE_LEN) for n objects, vectorised.

    circle: pure sine, smooth envelope; square: odd harmonics, flat envelope;
    triangle: bright, plucked (fast decay); diamond: sine with tremolo.
    """
    t = np.arange(NOTE_LEN) / SAMPLE_RATE
    f = PITCH[colour][:, None]
    phase = 2 * np.pi * f * t
    sine = np.sin(phase)
    odd = np.sin(phase) + np.sin(3 * phase) / 3 + np.sin(5 * phase) / 5
    bright = np.sin(phase) + 0.6 * np.sin(2 * phase) + 0.3 * np.sin(4 * phase)
    tremolo = sine * (0.6 + 0.4 * np.sin(2 * np.pi * 24 * t))
    hann = np.sin(np.pi * t / NOTE_SECONDS) ** 2
    flat = np.clip(np.minimum(t, NOTE_SECONDS - t) / 0.01, 0, 1)
    pluck = np.exp(-t / 0.025) * np.clip(t / 0.002, 0, 1)
    waves = np.stack([sine * hann, odd * flat * 0.8, bright * pluck, tremolo * hann])  # (4, n, T)
    return waves[shape, np.arange(len(shape))] * LOUDNESS[size][:, None]


def note_table() -> np.ndarray:
    """All 4 x 6 x 2 distinct notes, (shape, colour, size, NOTE_LEN) float32: scenes index into it."""
    s, c, z = np.meshgrid(np.arange(4), np.arange(len(PITCH)), np.arange(2), indexing="ij")
    return note(s.ravel(), c.ravel(), z.ravel()).reshape(*s.shape, NOTE_LEN).astype(np.float32)


def reading_order(scenes: dict[str, np.ndarray]) -> np.ndarray:
    """Object indices (n, 3) in the order a scene's sound plays them: left to right, then
    top to bottom; absent objects last."""
    key = np.where(scenes["shape"] >= 0, scenes["col"] * 10 + scenes["row"], 999)
    return np.argsort(key, axis=1, kind="stable")


def synthesise(scenes: dict[str, np.ndarray], rng: np.random.Generator | None = None) -> np.ndarray:
    """Float32 sounds (n, SOUND_LEN) in [-1, 1] for all scenes, with a little noise."""
    rng = rng if rng is not None else np.random.default_rng(0)
    n = len(scenes["count"])
    table = note_table()
    order = reading_order(scenes)
    take = {k: np.take_along_axis(scenes[k], order, axis=1) for k in ("shape", "colour", "size")}
    present = take["shape"] >= 0
    notes = table[np.maximum(take["shape"], 0), np.maximum(take["colour"], 0), np.maximum(take["size"], 0)]
    notes *= present[..., None]
    out = notes.reshape(n, SOUND_LEN) + 0.01 * rng.standard_normal((n, SOUND_LEN), dtype=np.float32)
    return np.clip(out, -1, 1, out=out)


def spectrogram(wave, n_fft: int = 256, hop: int = 64) -> torch.Tensor:
    """Log-magnitude spectrogram: (..., T) waveform -> (..., n_fft // 2 + 1, frames)."""
    wave = torch.as_tensor(wave)
    if not torch.is_floating_point(wave):
        raise TypeError(f"expected a float waveform, got dtype {wave.dtype}")
    if wave.shape[-1] < n_fft:
        raise ValueError(f"waveform has {wave.shape[-1]} samples, fewer than n_fft={n_fft}")
    lead = wave.shape[:-1]
    spec = torch.stft(wave.reshape(-1, wave.shape[-1]).float(), n_fft, hop_length=hop,
                      window=torch.hann_window(n_fft, device=wave.device), return_complex=True).abs()
    return torch.log1p(spec).reshape(*lead, *spec.shape[-2:])
