"""Seed ranges: what a chapter's numbers did over several seeds, measured by a script and drawn.

A chapter cell calls ``show_seed_ranges(cfg, "ch7-fusion", {"accuracy": {"FiLM": 0.71, ...}})``
(panels of rows: one panel per unit). It draws the range that ``scripts/chapter_ranges.py``
measured by running the whole chapter once per seed, a dot per seed and a bar from the
lowest to the highest, with this run's value as a red diamond. When that script runs the
chapter, the same call records this run's values (the file named by
``$MMFUSE_SEED_RANGES_LOG``), so a range holds the values of this very cell at other seeds.
The prose quotes them, and ``tests/test_seed_ranges.py`` checks each quote against
``data/seed_ranges.json`` with :func:`quote`: nothing is typed in by hand.
"""
from __future__ import annotations

import json
import math
import os
import pathlib

FILE = pathlib.Path(__file__).resolve().parents[1] / "data" / "seed_ranges.json"
REPOSITORY_RAW = "https://raw.githubusercontent.com/mmfuse/mmfuse/main/data/seed_ranges.json"
LOG_VARIABLE = "MMFUSE_SEED_RANGES_LOG"
PROFILE_COLOURS = {"ci": "C0", "cpu": "C1", "gpu": "C2"}


def _checked(name: str, values) -> dict:
    if not (isinstance(name, str) and name.startswith("ch") and "-" in name):
        raise ValueError(f"name must look like 'ch7-fusion' (chapter, dash, figure), got {name!r}")
    if not isinstance(values, dict) or not values or not all(isinstance(v, dict) and v for v in values.values()):
        raise TypeError(f"{name}: values must be {{panel: {{row: number}}}} with at least one row, "
                        f"got {type(values).__name__} {values!r:.80}")
    clean = {}
    for panel, rows in values.items():
        clean[panel] = {}
        for row, value in rows.items():
            value = value.item() if hasattr(value, "item") else value
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
                raise ValueError(f"{name}: {panel} / {row} must be a finite number, got {value!r}")
            clean[panel][row] = float(value)
    return clean


def load() -> dict:
    """Every measured range: ``data/seed_ranges.json`` in a clone of the repository. A pip-installed
    package (Colab) has no ``data/``: a copy is then downloaded once into ``~/.cache/mmfuse`` when
    online; offline, nothing (the figures then show only the reader's own run, and say so)."""
    if FILE.exists():
        return json.loads(FILE.read_text())
    cache = pathlib.Path.home() / ".cache" / "mmfuse" / FILE.name
    if not cache.exists():
        from .runtime import is_online
        if not is_online("raw.githubusercontent.com"):
            return {}
        import urllib.request
        cache.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache.with_suffix(".part")
        try:
            urllib.request.urlretrieve(REPOSITORY_RAW, tmp)
            json.loads(tmp.read_text())              # keep only a file that parses
            os.replace(tmp, cache)
        except (OSError, ValueError):
            tmp.unlink(missing_ok=True)
            return {}
    return json.loads(cache.read_text())


def measured(name: str, profile: str) -> dict | None:
    """The entry ``scripts/chapter_ranges.py`` wrote for figure ``name`` at ``profile``, or None."""
    return load().get("chapters", {}).get(name, {}).get(profile)


def values_over_seeds(name: str, panel: str, row: str, profiles=("ci",), seeds=None) -> list[float]:
    """Every measured value of one row (or of several: a tuple of rows), over ``profiles``, and
    only at ``seeds`` when given."""
    out = []
    for profile in profiles:
        entry = measured(name, profile)
        if entry is None:
            raise LookupError(f"no seed range measured for {name!r} at the {profile!r} profile; run "
                              f"python scripts/chapter_ranges.py {name.split('-')[0]} --profile {profile}")
        for one in ([row] if isinstance(row, str) else row):
            try:
                column = entry["values"][panel][one]
            except KeyError:
                raise KeyError(f"{name} ({profile}) has no row {panel!r} / {one!r}; it has "
                               f"{ {p: list(r) for p, r in entry['values'].items()} }") from None
            out += [v for s, v in zip(entry["seeds"], column) if seeds is None or s in seeds]
    if not out:
        raise LookupError(f"{name} / {panel} / {row}: none of seeds {seeds} was measured at {profiles}")
    return out


def quote(name: str, panel: str, row: str, profiles=("ci",), digits: int = 2, scale: float = 1.0,
          sep: str = "–", seeds=None) -> str:
    """The range as the prose writes it: ``'0.50–0.55'``, rounded to ``digits``; ``scale=100``
    gives points or percent. A range whose ends round alike is one number."""
    vals = [v * scale for v in values_over_seeds(name, panel, row, profiles, seeds)]
    lo, hi = f"{min(vals):.{digits}f}", f"{max(vals):.{digits}f}"
    return lo if lo == hi else f"{lo}{sep}{hi}"


def record(cfg, name: str, values: dict) -> None:
    """Append this run's values to ``$MMFUSE_SEED_RANGES_LOG`` when the script set it."""
    path = os.environ.get(LOG_VARIABLE)
    if path:
        with open(path, "a") as f:
            f.write(json.dumps({"name": name, "profile": cfg.profile, "seed": cfg.seed,
                                "values": _checked(name, values)}) + "\n")


def show_seed_ranges(cfg, name: str, values: dict, title: str | None = None):
    """Draw the measured seed range of every row, with this run's value; record the run's values.

    One panel per key of ``values`` (its x-axis label), one row per number, panels stacked. The range is
    drawn for every profile measured (a colour each); without any, only this run is drawn
    and the title says so. Returns the figure (shown by the notebook; close it if unused)."""
    import matplotlib.pyplot as plt
    values = _checked(name, values)
    record(cfg, name, values)
    by_profile = load().get("chapters", {}).get(name, {})      # read the file once, not per profile
    entries = {p: by_profile[p] for p in PROFILE_COLOURS if p in by_profile}
    for profile, entry in entries.items():       # a stale range fails, except while the script measures anew
        if _rows(entry["values"]) != _rows(values) and not os.environ.get(LOG_VARIABLE):
            raise ValueError(
                f"{name}: the seed range in {FILE.name} ({profile}) was measured for other numbers than this cell "
                f"draws (it has {sorted(_rows(entry['values']) - _rows(values))[:3]}..., this cell "
                f"{sorted(_rows(values) - _rows(entry['values']))[:3]}...); measure it again: {entry['command']}")
    heights = [len(rows) + 1.6 for rows in values.values()]      # one column: each panel as tall as its rows
    fig, axes = plt.subplots(len(values), 1, figsize=(9, 0.27 * sum(heights) + 0.4), squeeze=False,
                             gridspec_kw={"height_ratios": heights})
    for ax, (panel, run) in zip(axes.flat, values.items()):
        labels = list(run)
        for y, row in enumerate(labels):
            for k, (profile, entry) in enumerate(entries.items()):
                column = entry["values"].get(panel, {}).get(row)
                if not column:
                    continue
                dy = 0.13 * (k - (len(entries) - 1) / 2)
                ax.plot([min(column), max(column)], [y + dy] * 2, color=PROFILE_COLOURS[profile], lw=6,
                        alpha=0.3, solid_capstyle="round")
                ax.plot(column, [y + dy] * len(column), "o", color=PROFILE_COLOURS[profile], ms=3.5,
                        label=f"{profile}, seeds {_seeds(entry['seeds'])}" if y == 0 else None)
            ax.plot([run[row]], [y], "D", color="C3", ms=6, label=f"this run ({cfg.profile}, seed {cfg.seed})"
                    if y == 0 else None)
        ax.set_yticks(range(len(labels)), labels, fontsize=8)
        ax.set_ylim(len(labels) - 0.5, -0.5)
        ax.set_xlabel(panel, fontsize=9)
        ax.grid(axis="x", alpha=0.3)
    head = title or name
    if not entries:
        head += " (no seed range measured yet: this run only)"
    axes[0][0].set_title(head, fontsize=9, loc="left")
    axes.flat[0].legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)   # off the data
    fig.tight_layout()
    return fig


def _rows(values: dict) -> set:
    return {(panel, row) for panel, rows in values.items() for row in rows}


def _seeds(seeds: list[int]) -> str:
    """[0, 1, 2, 3, 4, 20, 21] -> '0–4, 20–21'."""
    parts, start = [], None
    for i, s in enumerate(seeds):
        start = s if start is None else start
        if i + 1 == len(seeds) or seeds[i + 1] != s + 1:
            parts.append(str(s) if s == start else f"{start}–{s}")
            start = None
    return ", ".join(parts)
