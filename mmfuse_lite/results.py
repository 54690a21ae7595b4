"""Headline numbers: each chapter records its key results for the book's results page.

``headlines(cfg, "ch2", {"psnr_best": 27.1})`` prints the numbers and, when myst-nb is
installed (the book build, nbval), *glues* each one as ``ch2_psnr_best``, with the
profile and seed as ``ch2_profile`` and ``ch2_seed``. ``book/results.md`` pastes
them with ``{glue:text}`` roles, so its table is produced by the run that built the
book and is never typed in by hand. On Colab, without myst-nb, it only prints.
"""
from __future__ import annotations

import math
import numbers


def plain_values(chapter: str, values: dict) -> dict:
    """A chapter's headline numbers checked and turned into plain Python values (numpy and
    torch scalars become floats or ints), as :func:`headlines` glues them."""
    if not (isinstance(chapter, str) and chapter.startswith("ch") and chapter[2:].isdigit()):
        raise ValueError(f"chapter must look like 'ch2', got {chapter!r}")
    if not values:
        raise ValueError(f"{chapter}: no headline numbers given; pass a dict such as {{'psnr': 24.1}}")
    clean = {}
    for key, value in values.items():
        if isinstance(value, bool) or not isinstance(value, (numbers.Real, str)) and not hasattr(value, "item"):
            raise TypeError(f"{chapter}_{key}: expected a number or a string, got {type(value).__name__}")
        value = value.item() if hasattr(value, "item") else value     # numpy / torch scalars -> Python
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError(f"{chapter}_{key} is {value}: a headline number must be finite")
        clean[key] = value
    return clean


def headlines(cfg, chapter: str, values: dict) -> None:
    """Record a chapter's headline numbers: print them, and glue them for the results page.
    Returns None, so the cell that calls it shows the printed table and nothing else."""
    clean = plain_values(chapter, values)
    try:
        from myst_nb import glue
    except ImportError:          # Colab, plain Jupyter: nothing to glue into
        glue = None
    if glue is not None:
        for key, value in {"profile": cfg.profile, "seed": cfg.seed, **clean}.items():
            glue(f"{chapter}_{key}", value, display=False)
    width = max(map(len, clean))
    print(f"headline numbers of {chapter} ({cfg.profile} profile, seed {cfg.seed}):")
    for key, value in clean.items():
        print(f"  {key:{width}s}  {value:.4g}" if isinstance(value, float) else f"  {key:{width}s}  {value}")
