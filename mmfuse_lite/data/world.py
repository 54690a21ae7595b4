"""The Shapes world: scenes of one to three coloured shapes, rendered to images.

A *scene* is a small table of objects (shape, colour, size, grid cell). Everything
else, the image, the caption, the sound and the task labels, is computed from
the scene, so the modalities agree by construction.

Scenes sit on a 3x3 grid of cells, one object per cell, so that "left of" and
"above" are never ambiguous. Within a scene, shapes are distinct and colours are
distinct, so "the square" or "the red shape" always names one object.
"""
from __future__ import annotations

import hashlib

import numpy as np

SHAPES = ("circle", "square", "triangle", "diamond")
COLOURS = ("red", "yellow", "green", "cyan", "blue", "purple")
SIZES = ("small", "large")
RGB = np.array([(220, 45, 45), (235, 205, 40), (45, 170, 65),
                (40, 195, 205), (45, 85, 225), (150, 60, 195)], dtype=np.float32) / 255
GRID = 3
MAX_OBJECTS = 3
# Never shown in train/val/test; the "heldout" split puts it in every scene.
HELDOUT = ("red", "triangle")
SPLITS = ("train", "val", "test", "heldout")
_SPLIT_ID = {s: i for i, s in enumerate(SPLITS)}
_RADIUS = {"small": 0.28, "large": 0.46}  # in grid cells
NOISE_STD = 0.035  # per-pixel noise: no model can predict it, so it caps PSNR near 29 dB


def _check_int(name: str, value, low: int, high: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an int, got {type(value).__name__} ({value!r})")
    if value < low or (high is not None and value > high):
        rng = f">= {low}" if high is None else f"in [{low}, {high}]"
        raise ValueError(f"{name} must be {rng}, got {value}")
    return int(value)


def split_rng(split: str, seed: int) -> np.random.Generator:
    """The random generator of one split: fixed by (seed, split), independent across splits."""
    if split not in _SPLIT_ID:
        raise ValueError(f"unknown split {split!r}: expected one of {', '.join(SPLITS)}")
    return np.random.default_rng([_check_int("seed", seed, 0), _SPLIT_ID[split]])


def sample_scenes(n: int, split: str = "train", seed: int = 0,
                  min_objects: int = 1, max_objects: int = MAX_OBJECTS,
                  rng: np.random.Generator | None = None) -> dict[str, np.ndarray]:
    """Sample ``n`` scenes. Returns int arrays of shape (n, 3), -1 where no object.

    Keys: ``shape``, ``colour``, ``size``, ``row``, ``col`` (objects) and
    ``count`` (n,). The held-out colour/shape pair appears only in ``heldout``.
    """
    n = _check_int("n", n, 1)
    max_objects = _check_int("max_objects", max_objects, 1, MAX_OBJECTS)
    min_objects = _check_int("min_objects", min_objects, 1, max_objects)
    rng = rng if rng is not None else split_rng(split, seed)
    held_c, held_s = COLOURS.index(HELDOUT[0]), SHAPES.index(HELDOUT[1])
    count = rng.integers(min_objects, max_objects + 1, size=n)
    out = {k: np.full((n, MAX_OBJECTS), -1, dtype=np.int64) for k in ("shape", "colour", "size", "row", "col")}
    for i in range(n):
        k = count[i]
        shapes = rng.permutation(len(SHAPES))[:k]
        colours = rng.permutation(len(COLOURS))[:k]
        if split == "heldout":
            # object 0 is the held-out pair; the others avoid both its colour and shape
            shapes = np.concatenate([[held_s], rng.permutation([s for s in range(len(SHAPES)) if s != held_s])[:k - 1]])
            colours = np.concatenate([[held_c], rng.permutation([c for c in range(len(COLOURS)) if c != held_c])[:k - 1]])
        else:
            while np.any((shapes == held_s) & (colours == held_c)):
                colours = rng.permutation(len(COLOURS))[:k]
        cells = rng.permutation(GRID * GRID)[:k]
        out["shape"][i, :k] = shapes
        out["colour"][i, :k] = colours
        out["size"][i, :k] = rng.integers(0, len(SIZES), size=k)
        out["row"][i, :k] = cells // GRID
        out["col"][i, :k] = cells % GRID
    out["count"] = count.astype(np.int64)
    return out


def _signed_distance(shape: int, dx: np.ndarray, dy: np.ndarray, r: np.ndarray) -> np.ndarray:
    """Signed distance (pixels, negative inside) of every pixel to a shape's outline."""
    if shape == 0:  # circle
        return np.sqrt(dx**2 + dy**2) - r
    if shape == 1:  # square
        return np.maximum(np.abs(dx), np.abs(dy)) - 0.85 * r
    if shape == 2:  # upright equilateral triangle: the largest of three half-plane distances
        rt = 1.3 * r
        return np.maximum.reduce([dy - rt / 2, -np.sqrt(3) / 2 * dx - dy / 2 - rt / 2,
                                  np.sqrt(3) / 2 * dx - dy / 2 - rt / 2])
    return (np.abs(dx) + np.abs(dy) - 1.25 * r) / np.sqrt(2)  # diamond


def render(scenes: dict[str, np.ndarray], image_size: int = 32,
           rng: np.random.Generator | None = None, chunk: int = 2048) -> np.ndarray:
    """Render scenes to uint8 images of shape (n, 3, image_size, image_size).

    The background is a soft colour gradient with pixel noise, and each object
    gets a small jitter in position and colour, so reconstruction is not trivial.
    """
    image_size = _check_int("image_size", image_size, 16)
    rng = rng if rng is not None else np.random.default_rng(0)
    n = len(scenes["count"])
    s = image_size
    cell = s / GRID
    yy, xx = np.mgrid[0:s, 0:s].astype(np.float32) + 0.5
    out = np.empty((n, 3, s, s), dtype=np.uint8)
    for lo in range(0, n, chunk):
        hi = min(n, lo + chunk)
        m = hi - lo
        # background: grey level + gentle linear gradient per channel + noise
        base = rng.uniform(0.42, 0.62, size=(m, 1, 1, 1)).astype(np.float32)
        tint = rng.uniform(-0.04, 0.04, size=(m, 3, 1, 1)).astype(np.float32)
        gx, gy = (rng.uniform(-0.12, 0.12, size=(2, m, 1, 1, 1)).astype(np.float32))
        img = base + tint + gx * (xx / s - 0.5) + gy * (yy / s - 0.5)
        img = img + NOISE_STD * rng.standard_normal((m, 3, s, s), dtype=np.float32)
        for k in range(MAX_OBJECTS):
            present = scenes["count"][lo:hi] > k
            jitter = rng.uniform(-0.12, 0.12, size=(2, m)) * cell
            colour_jit = rng.uniform(-0.06, 0.06, size=(m, 3))
            if not present.any():
                continue
            sh = np.where(present, scenes["shape"][lo:hi, k], 0)
            cx = (scenes["col"][lo:hi, k] + 0.5) * cell + jitter[0]
            cy = (scenes["row"][lo:hi, k] + 0.5) * cell + jitter[1]
            r = np.where(scenes["size"][lo:hi, k] == 1, _RADIUS["large"], _RADIUS["small"]) * cell
            dx, dy, r = xx - cx[:, None, None], yy - cy[:, None, None], r[:, None, None]
            d = np.empty((m, s, s), dtype=np.float32)
            for shape in range(len(SHAPES)):
                sel = sh == shape
                d[sel] = _signed_distance(shape, dx[sel], dy[sel], r[sel])
            alpha = np.clip(0.5 - d, 0.0, 1.0) * present[:, None, None]   # 1-pixel anti-aliased edge
            colour = np.clip(RGB[np.where(present, scenes["colour"][lo:hi, k], 0)] + colour_jit, 0, 1)
            a = alpha[:, None].astype(np.float32)
            img = img * (1 - a) + a * colour[:, :, None, None].astype(np.float32)
        out[lo:hi] = np.clip(np.rint(img * 255), 0, 255).astype(np.uint8)
    return out


def digest(*arrays: np.ndarray) -> str:
    """SHA-256 of the arrays' bytes (dtype and shape included): a fingerprint of a split."""
    h = hashlib.sha256()
    for a in arrays:
        a = np.ascontiguousarray(a)
        h.update(f"{a.dtype}{a.shape}".encode())
        h.update(a.tobytes())
    return h.hexdigest()
