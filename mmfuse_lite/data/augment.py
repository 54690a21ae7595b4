"""Image augmentations for image-caption pairs that keep the caption true.

An augmentation for contrastive training must not change what the caption says. In the
Shapes world a caption names colours, shapes, sizes and grid cells, so:

* a horizontal flip is allowed only if the caption's "left" and "right" swap with it;
* a crop may move the picture by a couple of pixels, never an object out of its cell;
* a colour jitter may shift hue a little, never so far that red reads as yellow.

The ``naive_*`` versions break those rules on purpose: chapter 8 measures what they cost.
"""
from __future__ import annotations

import re

import numpy as np
import torch
import torch.nn.functional as F

from ..checks import check_image_batch, check_number, check_pixel_range

SWAP = {"left": "right", "right": "left"}
SAFE_SHIFT = 2            # pixels per axis: an object's centre stays in its cell (jitter 1.3 + 2 < 5.3, half a cell)
SAFE_HUE = 10.0           # degrees in YIQ, where the nearest two named colours (green, cyan) are 38 apart


def flip_captions(captions):
    """Captions of the mirrored pictures: every "left" becomes "right" and back."""
    if isinstance(captions, str):
        raise TypeError("captions must be a list of strings, got one string; wrap it in a list")
    return [re.sub(r"\b(left|right)\b", lambda m: SWAP[m.group(0)], c) for c in captions]


def hflip(images: torch.Tensor) -> torch.Tensor:
    """Mirror (N, 3, H, W) images left to right."""
    check_image_batch(images)
    return images.flip(-1)


def shift(images: torch.Tensor, dx: torch.Tensor, dy: torch.Tensor) -> torch.Tensor:
    """Move each image by (dx, dy) whole pixels: a crop of the picture padded by repeating its
    edge pixels (which leaves short streaks along the borders)."""
    check_image_batch(images)
    n, _, h, w = images.shape
    if dx.shape != (n,) or dy.shape != (n,):
        raise ValueError(f"dx and dy must have shape ({n},), got {tuple(dx.shape)} and {tuple(dy.shape)}")
    if dx.is_floating_point() or dy.is_floating_point():
        raise TypeError(f"dx and dy must be integer tensors (whole pixels), got {dx.dtype} and {dy.dtype}")
    p = int(max(dx.abs().max(), dy.abs().max()))
    padded = F.pad(images, (p, p, p, p), mode="replicate")
    dx, dy, device = dx.to(images.device), dy.to(images.device), images.device
    rows = torch.arange(h, device=device)[None, :] + p - dy[:, None]         # (N, H): source row of each row
    cols = torch.arange(w, device=device)[None, :] + p - dx[:, None]
    idx = torch.arange(n, device=device)[:, None, None]
    return padded.permute(0, 2, 3, 1)[idx, rows[:, :, None], cols[:, None, :]].permute(0, 3, 1, 2)


def hue_rotate(images: torch.Tensor, degrees: torch.Tensor) -> torch.Tensor:
    """Turn each image's hue by ``degrees`` (one per image): a rotation of the chroma plane
    of YIQ space, which leaves the brightness Y alone. Greys stay grey."""
    check_image_batch(images)
    if degrees.shape != (len(images),):
        raise ValueError(f"degrees must have shape ({len(images)},), got {tuple(degrees.shape)}")
    to_yiq = torch.tensor([[0.299, 0.587, 0.114], [0.596, -0.274, -0.322], [0.211, -0.523, 0.312]],
                          dtype=images.dtype, device=images.device)
    t = torch.deg2rad(degrees.to(images))
    c, s, one, zero = torch.cos(t), torch.sin(t), torch.ones_like(t), torch.zeros_like(t)
    rot = torch.stack([torch.stack([one, zero, zero], -1), torch.stack([zero, c, -s], -1),
                       torch.stack([zero, s, c], -1)], -2)                    # (N, 3, 3)
    m = torch.linalg.inv(to_yiq) @ rot @ to_yiq
    return torch.einsum("nij,njhw->nihw", m, images).clamp(0, 1)


def augment(images: torch.Tensor, captions, generator: torch.Generator, flip: str = "relabel",
            max_shift: int = SAFE_SHIFT, max_hue: float = SAFE_HUE, brightness: float = 0.1,
            crop_scale: float = 1.0):
    """One random augmented view of each pair: ``(images, captions)``.

    flip: "relabel" (mirror half the pairs and swap left/right in their captions), "naive"
    (mirror, keep the caption: now false for objects off the middle column) or "none".
    max_shift: largest move in pixels; max_hue: largest hue turn in degrees (180: any);
    brightness: images are scaled by a factor in [1 - b, 1 + b].
    crop_scale below 1: also a random square crop of that fraction of the side or more,
    resized back (like torchvision's RandomResizedCrop, whose ``scale`` is a fraction of the
    area); it moves objects between cells, so captions go false.
    Random draws come from ``generator`` on the CPU; the images may be on any device.
    """
    check_image_batch(images)
    check_pixel_range(images, low=0.0, high=1.0)
    if len(captions) != len(images) or isinstance(captions, str):
        raise ValueError(f"expected one caption per image, got {len(images)} images and "
                         f"{1 if isinstance(captions, str) else len(captions)} captions")
    if flip not in ("relabel", "naive", "none"):
        raise ValueError(f"flip must be 'relabel', 'naive' or 'none', got {flip!r}")
    check_number(max_hue, "max_hue", 0, 180)
    check_number(brightness, "brightness", 0, 1)
    check_number(crop_scale, "crop_scale", 0.1, 1)
    if isinstance(max_shift, bool) or not isinstance(max_shift, int) or not 0 <= max_shift < images.shape[-1] // 4:
        raise ValueError(f"max_shift must be an int in [0, {images.shape[-1] // 4}), got {max_shift!r}")
    n = len(images)
    u = lambda *shape: torch.rand(*shape, generator=generator).to(images.device)       # noqa: E731
    out, captions = images, list(captions)
    if crop_scale < 1:
        out = random_resized_crop(out, crop_scale, generator)
    if max_shift:
        dx, dy = (torch.randint(-max_shift, max_shift + 1, (2, n), generator=generator))
        out = shift(out, dx, dy)
    if flip != "none":
        mirror = u(n) < 0.5
        out = torch.where(mirror[:, None, None, None], out.flip(-1), out)
        if flip == "relabel":
            flipped = flip_captions(captions)
            captions = [f if m else c for c, f, m in zip(captions, flipped, mirror.tolist())]
    if max_hue:
        out = hue_rotate(out, (2 * u(n) - 1) * max_hue)
    if brightness:
        out = (out * (1 + (2 * u(n, 1, 1, 1) - 1) * brightness)).clamp(0, 1)
    return out, captions


def random_resized_crop(images: torch.Tensor, min_scale: float, generator: torch.Generator) -> torch.Tensor:
    """Crop a random square whose side is ``min_scale`` to 1 times the image's (a fraction of
    the side, not of the area), anywhere in the image, and resize it back."""
    check_image_batch(images)
    check_number(min_scale, "min_scale", 0.1, 1)
    n = len(images)
    side = min_scale + (1 - min_scale) * torch.rand(n, generator=generator)            # fraction of the side
    centre = (1 - side) * (2 * torch.rand(2, n, generator=generator) - 1)             # keeps the crop inside
    theta = torch.zeros(n, 2, 3)
    theta[:, 0, 0], theta[:, 1, 1], theta[:, 0, 2], theta[:, 1, 2] = side, side, centre[0], centre[1]
    grid = F.affine_grid(theta.to(images), list(images.shape), align_corners=False)
    return F.grid_sample(images, grid, mode="bilinear", padding_mode="border", align_corners=False)


def augmented_views(images: torch.Tensor, captions, views: int, seed: int = 0, **kwargs):
    """``views`` augmented copies of every pair, drawn in advance: (views * N images, captions),
    view by view. A frozen encoder then encodes each copy once, not at every step."""
    if isinstance(views, bool) or not isinstance(views, int) or views < 1:
        raise ValueError(f"views must be an int >= 1, got {views!r}")
    g = torch.Generator().manual_seed(seed)
    outs = [augment(images, captions, g, **kwargs) for _ in range(views)]
    return torch.cat([o[0] for o in outs]), [c for o in outs for c in o[1]]


def named_colour(rgb: np.ndarray) -> np.ndarray:
    """The index of the world's named colour nearest in hue to each RGB row (N, 3)."""
    from .world import RGB
    hue = lambda x: np.degrees(np.arctan2(np.sqrt(3) * (x[..., 1] - x[..., 2]),            # noqa: E731
                                          2 * x[..., 0] - x[..., 1] - x[..., 2]))
    d = (hue(np.asarray(rgb))[:, None] - hue(RGB)[None, :] + 180) % 360 - 180
    return np.abs(d).argmin(1)


__all__ = ["SAFE_HUE", "SAFE_SHIFT", "SWAP", "augment", "augmented_views", "flip_captions", "hflip", "hue_rotate",
           "named_colour", "random_resized_crop", "shift"]
