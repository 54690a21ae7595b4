"""Interactive widgets (ipywidgets). Each has a static twin in :mod:`mmfuse_lite.viz` for the book."""
from __future__ import annotations

import ipywidgets as W
import matplotlib.pyplot as plt
import torch

from .viz import to_numpy_image


@torch.no_grad()
def interpolate_latents(model, a: torch.Tensor, b: torch.Tensor, steps: int = 8) -> torch.Tensor:
    """Decode straight-line mixes of the latents of images a and b (each (3, H, W))."""
    za, zb = model.encoder(a[None]), model.encoder(b[None])
    ts = torch.linspace(0, 1, steps).view(-1, 1, 1, 1)
    return model.decoder((1 - ts) * za + ts * zb).clamp(0, 1)


def latent_interpolation(model, images: torch.Tensor) -> W.Widget:
    """Pick two images and slide ``t`` from 0 to 1 to see the decoded latent mix."""
    n = len(images)
    first = W.IntSlider(0, 0, n - 1, description="image A")
    second = W.IntSlider(min(1, n - 1), 0, n - 1, description="image B")
    t = W.FloatSlider(0.5, min=0, max=1, step=0.05, description="t")

    @torch.no_grad()
    def draw(a, b, t):
        za, zb = model.encoder(images[a][None]), model.encoder(images[b][None])
        mix = model.decoder((1 - t) * za + t * zb)[0].clamp(0, 1)
        fig, axes = plt.subplots(1, 3, figsize=(6, 2.2))
        for ax, img, title in zip(axes, (images[a], mix, images[b]), ("A", f"decoded mix t={t:.2f}", "B")):
            ax.imshow(to_numpy_image(img), interpolation="nearest")
            ax.set_title(title, fontsize=9)
            ax.axis("off")
        plt.show()

    return W.interactive(draw, a=first, b=second, t=t)
