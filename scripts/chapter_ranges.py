"""Run chapters once per seed and record their seed-range figures in data/seed_ranges.json.

    python scripts/chapter_ranges.py ch7 --profile ci --seeds 0 1 2 3 4 20 21 22 23 24
    python scripts/chapter_ranges.py ch2 ch9 --profile cpu --seeds 0 1 2
    python scripts/chapter_ranges.py --table      # only rewrite the results page's table

Each chapter is executed top to bottom in a fresh kernel per seed (``MMFUSE_SEED``), exactly
as the book runs it. Every ``show_seed_ranges`` cell records its values as it draws them;
this script collects them and writes, per figure and profile, the seeds and each number's
value at every seed (seeds already measured with the same numbers are kept). The chapters
draw those ranges, the prose quotes them (checked by ``tests/test_seed_range_quotes.py``),
and the results page lists them all (``book/seed_ranges_table.md``, rewritten after every
run). A seed that fails stops the chapter and nothing of it is written.
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import pathlib
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from mmfuse_lite import seed_ranges  # noqa: E402


def notebook_of(chapter: str) -> pathlib.Path:
    found = sorted((ROOT / "notebooks").glob(f"{int(chapter[2:]):02d}_*.ipynb")) if chapter[2:].isdigit() else []
    if not found:
        raise SystemExit(f"no notebook for chapter {chapter!r}; give chapters as ch2, ch7, ...")
    return found[0]


def run_once(path: pathlib.Path, profile: str, seed: int) -> list[dict]:
    """Execute the notebook at (profile, seed); return what its seed-range cells recorded."""
    import nbformat
    from jupyter_cache.executors.utils import single_nb_execution
    with tempfile.TemporaryDirectory() as tmp:
        log = pathlib.Path(tmp) / "ranges.jsonl"
        os.environ.update({"MMFUSE_PROFILE": profile, "MMFUSE_SEED": str(seed),
                           seed_ranges.LOG_VARIABLE: str(log)})
        nb = nbformat.read(path, as_version=4)
        result = single_nb_execution(nb, cwd=str(path.parent), timeout=1800, allow_errors=False, meta_override=True)
        if result.err:
            raise RuntimeError(f"{path.name} failed at {profile} seed {seed}:\n{result.exc_string or result.err!r}")
        records = [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []
    if not records:
        raise RuntimeError(f"{path.name} has no show_seed_ranges cell: nothing to record")
    return records


def measure(chapter: str, profile: str, seeds: list[int]) -> dict:
    path, start, entries = notebook_of(chapter), time.perf_counter(), {}
    for seed in seeds:
        t = time.perf_counter()
        for rec in run_once(path, profile, seed):
            entry = entries.setdefault(rec["name"], {"seeds": [], "values": {}})
            entry["seeds"].append(seed)
            for panel, rows in rec["values"].items():
                for row, value in rows.items():
                    entry["values"].setdefault(panel, {}).setdefault(row, []).append(round(value, 4))
        print(f"  {chapter} {profile} seed {seed}: {time.perf_counter() - t:.0f} s", flush=True)
    for name, entry in entries.items():
        lengths = {len(col) for rows in entry["values"].values() for col in rows.values()}
        if lengths != {len(seeds)} or entry["seeds"] != seeds:
            raise RuntimeError(f"{name}: recorded for seeds {entry['seeds']} with {lengths} values; expected "
                               f"one call per seed for {seeds}")
        entry.update(measured=datetime.date.today().isoformat(), seconds=round(time.perf_counter() - start),
                     command=f"python scripts/chapter_ranges.py {chapter} --profile {profile} "
                             f"--seeds {' '.join(map(str, seeds))}")
    return entries


def merged(old: dict | None, new: dict) -> dict:
    """``new``, plus the seeds of ``old`` that it did not re-run, when both hold the same rows
    (runs of one chapter can be spread over several calls). Different rows: ``new`` alone."""
    same_rows = old is not None and {p: set(r) for p, r in old["values"].items()} == \
        {p: set(r) for p, r in new["values"].items()}
    if not same_rows:
        return new
    keep = [i for i, s in enumerate(old["seeds"]) if s not in new["seeds"]]
    order = sorted(range(len(keep) + len(new["seeds"])),
                   key=lambda i: (old["seeds"][keep[i]] if i < len(keep) else new["seeds"][i - len(keep)]))
    def combine(a, b):
        both = [a[i] for i in keep] + b
        return [both[i] for i in order]
    return {"seeds": combine(old["seeds"], new["seeds"]),
            "values": {p: {r: combine(old["values"][p][r], col) for r, col in rows.items()}
                       for p, rows in new["values"].items()},
            "measured": new["measured"], "seconds": old.get("seconds", 0) + new["seconds"],
            "command": sorted(set(_list(old.get("command")) + _list(new["command"])))}


def _list(x) -> list:
    return [] if x is None else list(x) if isinstance(x, list) else [x]


TABLE = ROOT / "book" / "seed_ranges_table.md"


def _number(v: float, big: bool) -> str:
    return f"{v:.1f}" if big else f"{v:.3f}"


def figure_order() -> dict[str, int]:
    """Each seed-range figure's place in the book: {name: index}, in reading order."""
    import re
    import nbformat
    names = []
    for path in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            if cell.cell_type == "code":
                names += re.findall(r'show_seed_ranges\(cfg, "([^"]+)"', cell.source)
    return {n: i for i, n in enumerate(names)}


def table(data: dict) -> str:
    """Every measured range as a Markdown table for the results page: one row per number."""
    lines = ["| Ch. | Figure | Panel: number | `ci` | `cpu` |", "|---|---|---|---|---|"]
    chapters = data.get("chapters", {})
    order = figure_order()
    for name in sorted(chapters, key=lambda n: (int(n.split("-")[0][2:]), order.get(n, len(order)), n)):
        by_profile = chapters[name]
        first = next(iter(by_profile.values()))["values"]
        for panel, rows in first.items():
            for row in rows:
                cells = []
                for profile in ("ci", "cpu"):
                    entry = by_profile.get(profile)
                    if entry is None:
                        cells.append("")
                        continue
                    col = entry["values"][panel][row]
                    big = max(abs(v) for v in col) >= 10
                    lo, hi = _number(min(col), big), _number(max(col), big)
                    cells.append(f"{lo if lo == hi else lo + ' … ' + hi} (seeds {seed_ranges._seeds(entry['seeds'])})")
                lines.append(f"| {name.split('-')[0][2:]} | {name} | {panel}: {row} | {cells[0]} | {cells[1]} |")
    return "\n".join(lines) + "\n"


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("chapters", nargs="*", help="ch2, ch7, ...")
    p.add_argument("--table", action="store_true", help="only rewrite book/seed_ranges_table.md from the JSON")
    p.add_argument("--profile", default="ci", choices=("ci", "cpu"))
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    args = p.parse_args(argv)
    if args.table or not args.chapters:
        TABLE.write_text(table(json.loads(seed_ranges.FILE.read_text())))
        print(f"wrote {TABLE.relative_to(ROOT)}")
        return
    for chapter in args.chapters:
        notebook_of(chapter)
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    for chapter in args.chapters:
        entries = measure(chapter, args.profile, args.seeds)
        # read again just before writing, so that runs of other chapters in parallel keep theirs
        data = json.loads(seed_ranges.FILE.read_text()) if seed_ranges.FILE.exists() else {}
        for name, entry in entries.items():
            place = data.setdefault("chapters", {}).setdefault(name, {})
            place[args.profile] = merged(place.get(args.profile), entry)
        seed_ranges.FILE.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")
        TABLE.write_text(table(data))
        print(f"{chapter} ({args.profile}, seeds {args.seeds}): wrote {', '.join(entries)}", flush=True)


if __name__ == "__main__":
    main()
