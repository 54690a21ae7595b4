"""Shapes in motion: short clips in which each object moves or stays, and may change once.

A *clip* is a small table of one or two objects. Each has a shape, a colour and a size,
a start position, a motion (it stays, or moves left, right, up or down, the same distance
every frame) and at most one change: it turns another colour, grows (small to large) or
shrinks (large to small) at one frame. Frames and captions ("the small red circle moves
left and turns blue") are computed from the clip, so they agree by construction, and
everything is generated from ``(split, seed)``, like the still world.
"""
from __future__ import annotations

import numpy as np

from .world import _RADIUS, _SPLIT_ID, COLOURS, GRID, NOISE_STD, RGB, SHAPES, SIZES, _check_int, _signed_distance

FRAMES = 8
MAX_CLIP_OBJECTS = 2
MOTIONS = ("stays", "left", "right", "up", "down")
CHANGES = ("none", "colour", "grows", "shrinks")
STEP = 0.0625                 # distance moved per frame, as a fraction of the frame (2 pixels at 32)
MARGIN = 0.19                 # keeps the largest shape inside the frame all clip long
_DIRECTION = np.array([(0, 0), (-1, 0), (1, 0), (0, -1), (0, 1)], dtype=np.float64)   # (dx, dy), y down
# the words a motion caption adds to the still world's: WordTokenizer(extra_words=MOTION_WORDS)
MOTION_WORDS = ("moves", "up", "down", "stays", "still", "turns", "grows", "shrinks", "and")


def clip_rng(split: str, seed: int) -> np.random.Generator:
    """The random generator of one split of clips, independent of the still world's."""
    if split not in ("train", "val", "test"):
        raise ValueError(f"unknown split {split!r} for clips: expected one of train, val, test")
    return np.random.default_rng([_check_int("seed", seed, 0), _SPLIT_ID[split], 1000])


def sample_clips(n: int, split: str = "train", seed: int = 0, min_objects: int = 1,
                 max_objects: int = MAX_CLIP_OBJECTS, rng: np.random.Generator | None = None) -> dict:
    """Sample ``n`` clips. Returns arrays of shape (n, 2), -1 (or nan) where no object.

    Keys: ``shape``, ``colour``, ``size`` (at the start), ``motion`` (index into MOTIONS),
    ``change`` (index into CHANGES), ``new_colour`` (-1 unless it turns), ``change_frame``
    (the first frame after the change, 2..6), ``x``, ``y`` (start centre, fractions of the
    frame); and ``count`` (n,). Within a clip shapes are distinct, and so are all colours,
    the new ones included, so "the red shape" names one object in every frame.
    """
    n = _check_int("n", n, 1)
    max_objects = _check_int("max_objects", max_objects, 1, MAX_CLIP_OBJECTS)
    min_objects = _check_int("min_objects", min_objects, 1, max_objects)
    rng = rng if rng is not None else clip_rng(split, seed)
    count = rng.integers(min_objects, max_objects + 1, size=n)
    ints = ("shape", "colour", "size", "motion", "change", "new_colour", "change_frame")
    out = {k: np.full((n, MAX_CLIP_OBJECTS), -1, dtype=np.int64) for k in ints}
    out.update({k: np.full((n, MAX_CLIP_OBJECTS), np.nan) for k in ("x", "y")})
    for i in range(n):
        k = count[i]
        for _ in range(1000):                                  # redraw until the objects never overlap
            clip = _sample_objects(k, rng)
            if k == 1 or _apart(clip):
                break
        else:
            raise RuntimeError("could not place two objects apart in 1000 draws")   # never seen
        for key, v in clip.items():
            out[key][i, :k] = v
    out["count"] = count.astype(np.int64)
    return out


def _sample_objects(k: int, rng: np.random.Generator) -> dict:
    colours = rng.permutation(len(COLOURS))[:2 * k]            # k start colours, then k spare ones
    change = rng.integers(0, len(CHANGES), size=k)
    motion = rng.integers(0, len(MOTIONS), size=k)
    size = rng.integers(0, len(SIZES), size=k)
    size = np.where(change == 2, 0, np.where(change == 3, 1, size))   # grows from small, shrinks from large
    clip = {"shape": rng.permutation(len(SHAPES))[:k], "colour": colours[:k], "size": size, "motion": motion,
            "change": change, "new_colour": np.where(change == 1, colours[k:], -1),
            "change_frame": np.where(change > 0, rng.integers(2, FRAMES - 1, size=k), -1)}
    travel = (FRAMES - 1) * STEP * _DIRECTION[motion]          # (k, 2)
    for axis, key in enumerate(("x", "y")):
        lo = MARGIN - np.minimum(travel[:, axis], 0)           # start far enough from the edge it moves to
        hi = 1 - MARGIN - np.maximum(travel[:, axis], 0)
        clip[key] = rng.uniform(lo, hi)
    return clip


def _apart(clip: dict) -> bool:
    """Whether two objects stay clear of each other in every frame (by their largest extent)."""
    t = np.arange(FRAMES)[None]
    d = _DIRECTION[clip["motion"]]
    x, y = clip["x"][:, None] + STEP * t * d[:, :1], clip["y"][:, None] + STEP * t * d[:, 1:]
    gap = np.hypot(x[0] - x[1], y[0] - y[1]).min()
    return gap > 2 * 1.3 * _RADIUS["large"] / GRID + 0.03


def object_tracks(clips: dict) -> dict[str, np.ndarray]:
    """Each object's colour, size and centre in every frame: arrays (n, 2, FRAMES)."""
    t = np.arange(FRAMES)
    after = (clips["change_frame"][..., None] >= 0) & (t >= clips["change_frame"][..., None])
    change = clips["change"][..., None]
    colour = np.where(after & (change == 1), clips["new_colour"][..., None], clips["colour"][..., None])
    size = np.where(after & (change == 2), 1, np.where(after & (change == 3), 0, clips["size"][..., None]))
    d = _DIRECTION[np.maximum(clips["motion"], 0)]             # (n, 2, 2)
    x = clips["x"][..., None] + STEP * t * d[..., 0:1]
    y = clips["y"][..., None] + STEP * t * d[..., 1:2]
    return {"colour": colour, "size": size, "x": x, "y": y}


def render_clips(clips: dict, image_size: int = 32, rng: np.random.Generator | None = None) -> np.ndarray:
    """Render clips to uint8 frames (n, FRAMES, 3, image_size, image_size).

    Like the still world: a soft background gradient (fixed for a clip), fresh pixel noise
    in every frame, and a small colour jitter per object (fixed for the clip)."""
    image_size = _check_int("image_size", image_size, 16)
    rng = rng if rng is not None else np.random.default_rng(0)
    n, s = len(clips["count"]), image_size
    tracks = object_tracks(clips)
    yy, xx = np.mgrid[0:s, 0:s].astype(np.float32) + 0.5
    base = rng.uniform(0.42, 0.62, size=(n, 1, 1, 1)).astype(np.float32)
    tint = rng.uniform(-0.04, 0.04, size=(n, 3, 1, 1)).astype(np.float32)
    gx, gy = rng.uniform(-0.12, 0.12, size=(2, n, 1, 1, 1)).astype(np.float32)
    background = base + tint + gx * (xx / s - 0.5) + gy * (yy / s - 0.5)
    colour_jit = rng.uniform(-0.06, 0.06, size=(n, MAX_CLIP_OBJECTS, 3))
    out = np.empty((n, FRAMES, 3, s, s), dtype=np.uint8)
    for f in range(FRAMES):
        img = background + NOISE_STD * rng.standard_normal((n, 3, s, s), dtype=np.float32)
        for k in range(MAX_CLIP_OBJECTS):
            present = clips["count"] > k
            if not present.any():
                continue
            cx = np.nan_to_num(tracks["x"][:, k, f]) * s
            cy = np.nan_to_num(tracks["y"][:, k, f]) * s
            r = np.where(tracks["size"][:, k, f] == 1, _RADIUS["large"], _RADIUS["small"]) * s / GRID
            dx, dy, r = xx - cx[:, None, None], yy - cy[:, None, None], r[:, None, None]
            d = np.empty((n, s, s), dtype=np.float32)
            shape = np.maximum(clips["shape"][:, k], 0)
            for sh in range(len(SHAPES)):
                sel = shape == sh
                d[sel] = _signed_distance(sh, dx[sel], dy[sel], r[sel])
            alpha = (np.clip(0.5 - d, 0.0, 1.0) * present[:, None, None])[:, None].astype(np.float32)
            colour = np.clip(RGB[np.maximum(tracks["colour"][:, k, f], 0)] + colour_jit[:, k], 0, 1)
            img = img * (1 - alpha) + alpha * colour[:, :, None, None].astype(np.float32)
        out[:, f] = np.clip(np.rint(img * 255), 0, 255).astype(np.uint8)
    return out


def _object_phrase(clips: dict, i: int, k: int) -> str:
    noun = f"the {SIZES[clips['size'][i, k]]} {COLOURS[clips['colour'][i, k]]} {SHAPES[clips['shape'][i, k]]}"
    motion, change = MOTIONS[clips["motion"][i, k]], CHANGES[clips["change"][i, k]]
    verbs = [] if motion == "stays" else [f"moves {motion}"]
    if change == "colour":
        verbs.append(f"turns {COLOURS[clips['new_colour'][i, k]]}")
    elif change != "none":
        verbs.append(change)
    return f"{noun} {' and '.join(verbs) if verbs else 'stays still'}"


def clip_caption(clips: dict, i: int) -> str:
    """The caption of clip ``i``: one phrase per object, left to right at the start."""
    order = sorted(range(clips["count"][i]), key=lambda k: clips["x"][i, k])
    return " , and ".join(_object_phrase(clips, i, k) for k in order)


class ShapesClips:
    """One split of Shapes clips, generated in memory from ``(split, seed)``.

    Attributes:
        clips: dict of arrays, see :func:`sample_clips`.
        frames: uint8 array (n, FRAMES, 3, H, W).
        captions: list of n strings.

    Example::

        clips = ShapesClips("train", n=1000)
        clips.frames.shape, clips.captions[0]
    """

    def __init__(self, split: str = "train", n: int = 1000, seed: int = 0, image_size: int = 32,
                 min_objects: int = 1, max_objects: int = MAX_CLIP_OBJECTS):
        rng = clip_rng(split, seed)
        self.split, self.seed, self.image_size = split, seed, image_size
        self.clips = sample_clips(n, split, rng=rng, min_objects=min_objects, max_objects=max_objects)
        self.frames = render_clips(self.clips, image_size, rng)
        self.captions = [clip_caption(self.clips, i) for i in range(n)]

    def __len__(self) -> int:
        return len(self.frames)

    def __repr__(self) -> str:
        return f"ShapesClips(split={self.split!r}, n={len(self)}, seed={self.seed}, image_size={self.image_size})"
