"""Time the Shapes world generator on one core.

    python scripts/benchmark_world.py [n]

Prints seconds for n scenes (default 10,000) with images, captions and sounds,
and the time spent on each part.
"""
import os
import sys
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import torch  # noqa: E402

from mmfuse_lite.data import ShapesWorld  # noqa: E402
from mmfuse_lite.data.captions import caption  # noqa: E402
from mmfuse_lite.data.sounds import synthesise  # noqa: E402
from mmfuse_lite.data.world import render, sample_scenes  # noqa: E402


def main(n: int = 10_000) -> None:
    torch.set_num_threads(1)
    parts = {}
    t = time.perf_counter()
    scenes = sample_scenes(n, "train")
    parts["scenes"] = time.perf_counter() - t
    t = time.perf_counter()
    render(scenes, 32, np.random.default_rng(0))
    parts["images"] = time.perf_counter() - t
    t = time.perf_counter()
    [caption(scenes, i, np.random.default_rng(i)) for i in range(n)]
    parts["captions"] = time.perf_counter() - t
    t = time.perf_counter()
    synthesise(scenes)
    parts["sounds"] = time.perf_counter() - t
    t = time.perf_counter()
    world = ShapesWorld("train", n=n)
    _ = world.sounds
    total = time.perf_counter() - t
    print(f"ShapesWorld('train', n={n}) with sounds: {total:.2f} s on one core "
          f"({n / total:,.0f} scenes/s)")
    print("  parts: " + ", ".join(f"{k} {v:.2f} s" for k, v in parts.items()))


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000)
