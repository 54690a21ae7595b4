"""Pairs of pictures for a Siamese network: the same scene twice, or a near miss.

A *same* pair is one scene rendered twice: each rendering draws its own background,
pixel noise and object jitter, so the two images differ in every pixel. A *different*
pair is a scene and a near miss, a copy with one attribute of one object changed
(colour, shape, size or position, chosen uniformly; see
:func:`mmfuse_lite.data.tasks.perturb`), so a model must look at every object to tell
them apart. Every scene gives one pair of each kind.
"""
from __future__ import annotations

import numpy as np

from .tasks import ATTRIBUTES, perturb
from .world import SPLITS, _check_int, render, sample_scenes

KEYS = ("shape", "colour", "size", "row", "col")


def _change(a: dict, b: dict, i: int) -> str:
    """Which attribute differs between row i of two scene tables ('' when none)."""
    if (a["row"][i] != b["row"][i]).any() or (a["col"][i] != b["col"][i]).any():
        return "position"
    return next((k for k in ("colour", "shape", "size") if (a[k][i] != b[k][i]).any()), "")


def scene_pairs(split: str = "train", n: int = 1000, seed: int = 0, image_size: int = 32,
                min_objects: int = 1, max_objects: int = 3) -> dict:
    """``n`` scenes of one split, each drawn three times, deterministic in ``(split, n, seed)``.

    Returns a dict of uint8 arrays (n, 3, H, W): ``a``, the scene; ``b``, the same scene
    rendered again; ``c``, a near miss, the scene with one attribute of one object changed,
    rendered once; and ``change`` (n,) str, which attribute that was. ``(a, b)`` is a same
    pair, ``(a, c)`` a different one. Example::

        pairs = scene_pairs("val", n=500)
        pairs["a"].shape, pairs["change"][:4]
    """
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}: expected one of {', '.join(SPLITS)}")
    n = _check_int("n", n, 1)
    rng = np.random.default_rng([_check_int("seed", seed, 0), SPLITS.index(split), 7])   # not ShapesWorld's draws
    scenes = sample_scenes(n, split, rng=rng, min_objects=min_objects, max_objects=max_objects)
    other = {k: v.copy() for k, v in scenes.items()}
    for i in range(n):
        one = perturb(scenes, i, ATTRIBUTES[rng.integers(len(ATTRIBUTES))], rng, allow_heldout=split == "heldout")
        for k in KEYS:
            other[k][i] = one[k][0]
    change = np.array([_change(scenes, other, i) for i in range(n)])
    assert (change != "").all(), "every near miss differs from its scene"
    return {"a": render(scenes, image_size, rng), "b": render(scenes, image_size, rng),
            "c": render(other, image_size, rng), "change": change}
