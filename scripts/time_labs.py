"""Time every chapter notebook, top to bottom in a fresh kernel, in one profile.

    python scripts/time_labs.py --profile cpu            # all chapters; writes book/lab_times.json
    python scripts/time_labs.py --profile gpu 05 09      # only chapters whose file starts with 05 or 09

Each run records the wall time per notebook, the three slowest cells, the device and the
machine, and merges them into ``book/lab_times.json`` under the profile's name. It then
rewrites ``book/lab_times_table.md`` from that file; the instructor guide includes the
table, so its numbers come from a measurement, never from typing. A notebook that fails
is recorded with its error and the script carries on.
"""
import argparse
import json
import os
import pathlib
import platform
import re
import time

import nbformat
import torch
from nbclient import NotebookClient

from mmfuse_lite.runtime import PROFILES

ROOT = pathlib.Path(__file__).resolve().parents[1]
OUT = ROOT / "book" / "lab_times.json"
TABLE = ROOT / "book" / "lab_times_table.md"


class TimedClient(NotebookClient):
    """An nbclient that remembers how long each code cell took."""

    def __init__(self, nb, **kw):
        super().__init__(nb, **kw)
        self.cell_seconds = []

    async def async_execute_cell(self, cell, cell_index, *args, **kw):
        start = time.perf_counter()
        try:
            return await super().async_execute_cell(cell, cell_index, *args, **kw)
        finally:
            if cell.cell_type == "code":
                self.cell_seconds.append((time.perf_counter() - start, cell_index))


def time_notebook(path: pathlib.Path, timeout: int) -> dict:
    nb = nbformat.read(path, as_version=4)
    client = TimedClient(nb, timeout=timeout, kernel_name="python3",
                         resources={"metadata": {"path": str(path.parent)}})
    start, error = time.perf_counter(), None
    try:
        client.execute()
    except Exception as e:  # record the failure (and the cell it happened in) and go on with the next chapter
        last = client.cell_seconds[-1][1] if client.cell_seconds else None
        lines = [re.sub(r"\x1b\[[0-9;]*m", "", line) for line in str(e).splitlines() if line.strip()]
        error = f"cell {last}: {type(e).__name__}: {lines[-1] if lines else ''}"
    seconds = time.perf_counter() - start
    slowest = sorted(client.cell_seconds, reverse=True)[:3]
    return {"seconds": round(seconds, 1), "error": error,
            "slowest_cells": [{"cell": i, "seconds": round(s, 1)} for s, i in slowest]}


def title(stem: str) -> str:
    """The chapter's title: the first heading of its notebook."""
    first = nbformat.read(ROOT / "notebooks" / f"{stem}.ipynb", as_version=4).cells[0].source
    return first.splitlines()[0].lstrip("# ").strip()


def minutes(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 90 else f"{seconds / 60:.1f} min"


def render_table(times: dict) -> str:
    """The markdown table of lab times, one column per profile (— where not measured)."""
    chapters = sorted({nb for entry in times.values() for nb in entry["notebooks"]})
    head = ["Chapter"] + [f"`{p}` profile<br>({times[p]['machine']})" if p in times else f"`{p}` profile"
                          for p in PROFILES]
    rows = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for nb in chapters:
        cells = [title(nb)]
        for p in PROFILES:
            r = times.get(p, {}).get("notebooks", {}).get(nb)
            cells.append("not measured yet" if r is None else
                         minutes(r["seconds"]) + ("" if r["error"] is None else f" (failed: {r['error']})"))
        rows.append("| " + " | ".join(cells) + " |")
    total = ["**all chapters**"] + [
        f"**{minutes(sum(r['seconds'] for r in times[p]['notebooks'].values()))}**" if p in times else "—"
        for p in PROFILES]
    rows.append("| " + " | ".join(total) + " |")
    return ("<!-- written by scripts/time_labs.py from book/lab_times.json; do not edit by hand -->\n"
            + "\n".join(rows) + "\n")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--profile", required=True, choices=PROFILES)
    p.add_argument("--timeout", type=int, default=3600, help="seconds per cell")
    p.add_argument("chapters", nargs="*", help="prefixes such as 01 05 (default: all)")
    args = p.parse_args(argv)

    os.environ["MMFUSE_PROFILE"] = args.profile
    paths = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    if args.chapters:
        paths = [q for q in paths if q.name[:2] in args.chapters]
        if not paths:
            raise SystemExit(f"no notebook starts with {args.chapters}; expected two-digit prefixes such as 01")
    times = json.loads(OUT.read_text()) if OUT.exists() else {}
    entry = times.setdefault(args.profile, {"notebooks": {}})
    entry["machine"] = (f"{os.cpu_count()} CPU cores, "
                        + (torch.cuda.get_device_name(0) if torch.cuda.is_available() else "no GPU"))
    entry["torch"], entry["python"] = torch.__version__, platform.python_version()
    entry["command"] = "python scripts/time_labs.py --profile " + args.profile
    for path in paths:
        result = time_notebook(path, args.timeout)
        entry["notebooks"][path.stem] = result
        status = "ok" if result["error"] is None else f"FAILED ({result['error']})"
        print(f"{path.stem:32s} {result['seconds']:8.1f} s  {status}", flush=True)
        OUT.write_text(json.dumps(times, indent=1, sort_keys=True) + "\n")  # after each, so a long run keeps what it measured
        TABLE.write_text(render_table(times))
    print(f"wrote {OUT.relative_to(ROOT)} and {TABLE.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
