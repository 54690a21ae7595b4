"""Pictures: image grids, loss curves, spectrograms."""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import torch
from torchvision.utils import make_grid

from .checks import check_positive_int, describe


def _as_tensor(x, name: str) -> torch.Tensor:
    try:
        return torch.as_tensor(x).detach().cpu()
    except (TypeError, ValueError, RuntimeError):
        raise TypeError(f"{name} must be a tensor or array of numbers, got {describe(x)}") from None


def to_numpy_image(x) -> np.ndarray:
    """(3, H, W) tensor / uint8 array -> (H, W, 3) float array in [0, 1] for imshow."""
    x = _as_tensor(x, "image")
    if x.dtype == torch.uint8:
        x = x.float() / 255
    if x.dim() != 3 or x.shape[0] not in (1, 3):
        hint = " (channels last? use x.permute(2, 0, 1))" if x.dim() == 3 and x.shape[-1] in (1, 3) else ""
        raise ValueError(f"expected one image (C, H, W) with C = 1 or 3, got shape {tuple(x.shape)}{hint}")
    return x.float().clamp(0, 1).permute(1, 2, 0).numpy()


def show_images(images, nrow: int = 8, titles=None, scale: float = 1.3, title: str | None = None):
    """Show a batch of images (B, 3, H, W) in a grid; with ``titles``, one axis per image."""
    images = _as_tensor(images, "images")
    if images.dtype == torch.uint8:
        images = images.float() / 255
    if images.dim() != 4 or images.shape[1] not in (1, 3) or len(images) == 0:
        hint = " (add a batch dimension with x[None])" if images.dim() == 3 else ""
        raise ValueError(f"expected a non-empty batch (B, C, H, W) with C = 1 or 3, got shape "
                         f"{tuple(images.shape)}{hint}")
    check_positive_int(nrow, "nrow")
    if titles is not None and (isinstance(titles, str) or len(titles) != len(images)):
        raise ValueError(f"titles must be a list with one title per image ({len(images)}), got {describe(titles)}")
    n = len(images)
    if titles is None:
        grid = make_grid(images.float().clamp(0, 1), nrow=nrow, padding=2, pad_value=1.0)
        rows = (n + nrow - 1) // nrow
        fig, ax = plt.subplots(figsize=(scale * min(n, nrow), scale * rows))
        ax.imshow(to_numpy_image(grid), interpolation="nearest")
        ax.axis("off")
    else:
        rows = (n + nrow - 1) // nrow
        fig, axes = plt.subplots(rows, nrow, figsize=(scale * 1.6 * nrow, scale * 2.2 * rows), squeeze=False)
        for ax in axes.flat:
            ax.axis("off")
        for ax, img, t in zip(axes.flat, images, titles):
            ax.imshow(to_numpy_image(img), interpolation="nearest")
            ax.set_title(t, fontsize=7, wrap=True)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def compare_rows(rows: dict, n: int = 8, scale: float = 1.2):
    """One labelled row per entry, e.g. ``{"original": x, "reconstruction": y}``."""
    if not isinstance(rows, dict) or not rows:
        raise TypeError(f"rows must be a non-empty dict of label -> image batch, got {describe(rows)}")
    check_positive_int(n, "n")
    short = {k: len(v) for k, v in rows.items() if len(v) < n}
    if short:
        raise ValueError(f"every row needs at least n={n} images, got {short}")
    fig, axes = plt.subplots(len(rows), n, figsize=(scale * n, scale * len(rows) + 0.3), squeeze=False)
    for r, (label, imgs) in enumerate(rows.items()):
        for c in range(n):
            axes[r, c].imshow(to_numpy_image(imgs[c]), interpolation="nearest")
            axes[r, c].set_xticks([]), axes[r, c].set_yticks([])
        axes[r, 0].set_ylabel(label, fontsize=9)
    fig.tight_layout()
    return fig


def plot_history(history: dict, keys=("loss",), logy: bool = True, ax=None, label: str | None = None):
    """Plot logged values of :func:`mmfuse_lite.train.fit` against the step."""
    if not isinstance(history, dict) or "step" not in history:
        raise TypeError(f"history must be the dict fit() returns (with a 'step' list), got {describe(history)}")
    keys = (keys,) if isinstance(keys, str) else keys
    ax = ax or plt.subplots(figsize=(5, 3))[1]
    for k in keys:
        if k not in history:
            raise KeyError(f"{k!r} is not in the history; it has {sorted(history)}")
        ax.plot(history["step"], history[k], label=label or k)
    ax.set_xlabel("step")
    if logy:
        ax.set_yscale("log")
    ax.legend()
    return ax


def show_spectrogram(spec, ax=None, title: str | None = None, sample_rate: int = 8000, hop: int = 64):
    """Draw a (freq, frames) log-magnitude spectrogram with axes in seconds and Hz."""
    spec = _as_tensor(spec, "spec")
    if spec.dim() != 2:
        raise ValueError(f"expected one spectrogram (freq, frames), got shape {tuple(spec.shape)}")
    spec = spec.float().numpy()
    ax = ax or plt.subplots(figsize=(4, 2.5))[1]
    ax.imshow(spec, origin="lower", aspect="auto", cmap="magma",
              extent=(0, spec.shape[1] * hop / sample_rate, 0, sample_rate / 2))
    ax.set_xlabel("time (s)")
    ax.set_ylabel("Hz")
    if title:
        ax.set_title(title, fontsize=8)
    return ax


def show_code_map(image, indices, reconstruction=None, num_codes: int | None = None, title: str = ""):
    """Image | its code map (one colour per code index) | optional reconstruction."""
    idx = _as_tensor(indices, "indices")
    if idx.dim() != 2 or torch.is_floating_point(idx):
        raise ValueError(f"indices must be one integer code map (H', W'), got {describe(idx)}")
    panels = 3 if reconstruction is not None else 2
    fig, axes = plt.subplots(1, panels, figsize=(2.4 * panels, 2.6))
    axes[0].imshow(to_numpy_image(image), interpolation="nearest")
    axes[0].set_title("image", fontsize=9)
    idx = torch.as_tensor(indices).cpu().numpy()
    axes[1].imshow(idx, cmap="nipy_spectral", vmin=0, vmax=(num_codes or idx.max() + 1) - 1, interpolation="nearest")
    if idx.shape[0] <= 16:
        for (r, c), k in np.ndenumerate(idx):
            axes[1].text(c, r, str(k), ha="center", va="center", fontsize=4.5, color="white")
    axes[1].set_title(f"code map {idx.shape[0]}x{idx.shape[1]}", fontsize=9)
    if reconstruction is not None:
        axes[2].imshow(to_numpy_image(reconstruction), interpolation="nearest")
        axes[2].set_title("decoded", fontsize=9)
    for ax in axes:
        ax.axis("off")
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig


def highlight_code(images, indices, code: int, nrow: int = 8):
    """Images with every grid cell that uses ``code`` outlined; the rest dimmed."""
    images = _as_tensor(images, "images").float()
    indices = _as_tensor(indices, "indices")
    if images.dim() != 4 or indices.dim() != 3 or len(images) != len(indices) or not len(images):
        raise ValueError(f"expected images (B, C, H, W) and their code maps (B, H', W') with the same B >= 1, "
                         f"got {tuple(images.shape)} and {tuple(indices.shape)}")
    if images.shape[-1] % indices.shape[-1]:
        raise ValueError(f"the code map side {indices.shape[-1]} must divide the image side {images.shape[-1]}")
    n, rows = len(images), (len(images) + nrow - 1) // nrow
    cell = images.shape[-1] // indices.shape[-1]
    mask = (indices == code).float().repeat_interleave(cell, 1).repeat_interleave(cell, 2)[:, None]
    shown = images.clamp(0, 1) * (0.35 + 0.65 * mask)
    fig, axes = plt.subplots(rows, nrow, figsize=(1.2 * nrow, 1.25 * rows + 0.3), squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for i in range(n):
        axes.flat[i].imshow(to_numpy_image(shown[i]), interpolation="nearest")
    fig.suptitle(f"code {code}: used at {int((indices == code).sum())} positions in these {n} images", fontsize=9)
    fig.tight_layout()
    return fig


def show_attention(image, weights, title: str = "", labels=None, axes=None):
    """An image, then one panel per query: its attention over the image's patches.

    ``weights`` (Q, N) with N = S * S patches (one query: (N,)). Each map is stretched
    over the image, so a bright patch is where that query looked.
    """
    w = torch.as_tensor(weights).detach().cpu().float()
    w = w[None] if w.dim() == 1 else w
    side = int(round(w.shape[-1] ** 0.5))
    if w.dim() != 2 or side * side != w.shape[-1]:
        raise ValueError(f"expected weights (queries, S * S patches), got shape {tuple(w.shape)}")
    img = to_numpy_image(image)
    if axes is None:
        _, axes = plt.subplots(1, 1 + len(w), figsize=(1.9 * (1 + len(w)), 2.1))
    axes[0].imshow(img)
    axes[0].set_title(title, fontsize=8)
    h, wd = img.shape[:2]
    for i, (ax, m) in enumerate(zip(axes[1:], w)):
        ax.imshow(img * 0.35)
        ax.imshow(m.view(side, side).numpy(), cmap="inferno", alpha=0.75, extent=(0, wd, h, 0), vmin=0)
        ax.set_title(labels[i] if labels else f"query {i + 1}", fontsize=8)
    for ax in axes:
        ax.axis("off")
    return axes


def show_clip(frames, codes, caption: str = "", truth: str | None = None, num_codes: int | None = None,
              marks=None):
    """A clip over time: its frames (T, 3, H, W) above their code maps (T, h, w), one colour
    per code index. ``marks`` (T, K, 2), the objects' centres as fractions (x, y) of the frame
    (nan where none), are ringed on the code maps: the background's codes change from frame
    to frame too (fresh pixel noise), so the eye needs help to find the object's cells.
    ``caption`` (a written one) and ``truth`` go in the title."""
    frames, idx = _as_tensor(frames, "frames"), _as_tensor(codes, "codes")
    if frames.dim() != 4 or idx.dim() != 3 or len(frames) != len(idx) or torch.is_floating_point(idx):
        raise ValueError(f"expected frames (T, 3, H, W) and integer code maps (T, h, w) of the same T, "
                         f"got {describe(frames)} and {describe(idx)}")
    t = len(frames)
    fig, axes = plt.subplots(2, t, figsize=(1.3 * t, 3.0))
    top = int(num_codes or idx.max() + 1) - 1
    for f in range(t):
        axes[0, f].imshow(to_numpy_image(frames[f]), interpolation="nearest")
        axes[0, f].set_title(f"frame {f}", fontsize=7)
        axes[1, f].imshow(idx[f].cpu().numpy(), cmap="nipy_spectral", vmin=0, vmax=top, interpolation="nearest")
        if marks is not None:
            h, w = idx.shape[1:]
            xy = np.asarray(marks, dtype=float)[f].reshape(-1, 2)
            axes[1, f].scatter(xy[:, 0] * w - 0.5, xy[:, 1] * h - 0.5, s=260, facecolors="none", edgecolors="white",
                               linewidths=1.5)
    for ax in axes.flat:
        ax.axis("off")
    lines = [f"written: {caption}"] if caption else []
    lines += [f"true: {truth}"] if truth else []
    if lines:
        fig.suptitle("\n".join(lines), fontsize=9, x=0.01, ha="left")
    fig.tight_layout()
    return fig
