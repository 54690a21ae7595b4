import time
import warnings

import numpy as np
import pytest

from mmfuse_lite.data import COLOURS, HELDOUT, SHAPES, ShapesWorld
from mmfuse_lite.data.world import GRID, digest, render, sample_scenes, split_rng

# Fingerprint of ShapesWorld("val", n=64, seed=0). If the generator changes on purpose,
# update it here and say so in the commit; an accidental change fails this test.
VAL64_DIGEST = "5f82b5fa87279e7ca5b982d490dac87f29c067728fd1b34c1e41f6c6135bf4ab"


def test_same_seed_same_bytes():
    a, b = ShapesWorld("val", n=64), ShapesWorld("val", n=64)
    assert a.digest() == b.digest() and a.captions == b.captions


def test_pinned_digest():
    assert ShapesWorld("val", n=64).digest() == VAL64_DIGEST


def test_seeds_and_splits_differ():
    assert ShapesWorld("val", n=32).digest() != ShapesWorld("val", n=32, seed=1).digest()
    assert ShapesWorld("val", n=32).digest() != ShapesWorld("test", n=32).digest()


def test_images_and_scenes_are_valid():
    w = ShapesWorld("train", n=500)
    assert w.images.shape == (500, 3, 32, 32) and w.images.dtype == np.uint8
    s = w.scenes
    assert set(np.unique(s["count"])) == {1, 2, 3}
    for i in range(500):
        k = s["count"][i]
        assert len(set(s["shape"][i, :k])) == k and len(set(s["colour"][i, :k])) == k
        cells = set(zip(s["row"][i, :k], s["col"][i, :k]))
        assert len(cells) == k and all(0 <= r < GRID and 0 <= c < GRID for r, c in cells)
        assert (s["shape"][i, k:] == -1).all()
    assert w.images.std() > 10          # textured, not flat


def test_heldout_pair():
    c, s = COLOURS.index(HELDOUT[0]), SHAPES.index(HELDOUT[1])
    for split in ("train", "val", "test"):
        sc = ShapesWorld(split, n=400).scenes
        assert not ((sc["colour"] == c) & (sc["shape"] == s)).any()
    sc = ShapesWorld("heldout", n=100).scenes
    assert ((sc["colour"] == c) & (sc["shape"] == s)).any(1).all()


def test_64_pixel_option():
    w = ShapesWorld("val", n=8, image_size=64)
    assert w.images.shape == (8, 3, 64, 64)


def test_object_count_range():
    w = ShapesWorld("val", n=50, min_objects=2, max_objects=2)
    assert (w.scenes["count"] == 2).all()


def test_object_is_drawn_where_the_scene_says():
    sc = sample_scenes(200, "val")
    img = render(sc, rng=np.random.default_rng(0)).astype(float) / 255
    from mmfuse_lite.data.world import RGB
    one = np.flatnonzero(sc["count"] == 1)
    for i in one[:20]:
        r, c = sc["row"][i, 0], sc["col"][i, 0]
        centre = img[i, :, int((r + 0.5) * 32 / 3), int((c + 0.5) * 32 / 3)]
        assert np.abs(centre - RGB[sc["colour"][i, 0]]).max() < 0.2


def test_generation_is_not_a_runaway():
    """Speed is measured by scripts/benchmark_world.py, not by a pass/fail test: over the
    10 s budget (about 3 s on an idle core) this warns; only a runaway, six times the
    budget (a per-pixel Python loop, say), fails."""
    start = time.perf_counter()
    w = ShapesWorld("train", n=10_000)
    _ = w.sounds
    seconds = time.perf_counter() - start
    if seconds > 10:
        warnings.warn(f"10,000 scenes took {seconds:.1f} s (budget 10 s): a loaded machine, or a slower "
                      "generator; measure with python scripts/benchmark_world.py")
    assert seconds < 60, f"10,000 scenes took {seconds:.1f} s: the generator has a runaway"


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(n=-5), ValueError, "n must be >= 1, got -5"),
    (dict(n=2.5), TypeError, "n must be an int"),
    (dict(split="training"), ValueError, "unknown split 'training'"),
    (dict(seed=-1), ValueError, "seed"),
    (dict(image_size=8), ValueError, "image_size"),
    (dict(max_objects=4), ValueError, "max_objects"),
])
def test_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        ShapesWorld(**{"split": "val", "n": 4, **kwargs})


def test_digest_covers_dtype_and_shape():
    a = np.zeros(4, dtype=np.uint8)
    assert digest(a) != digest(a.astype(np.int16)) and digest(a) != digest(a.reshape(2, 2))
    with pytest.raises(ValueError):
        split_rng("nope", 0)
