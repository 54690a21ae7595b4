"""Measure the labs' reference solutions over seeds; write data/seed_ranges.json.

    python scripts/seed_ranges.py --profile ci --seeds 0 1 2 3 4            # every lab
    python scripts/seed_ranges.py ch2-batchnorm --profile ci --seeds 0 1 2 3 4

A lab's reference solution is the function in its chapter's lab cell (the code between the
solution markers, which `make student` strips). This script runs that very cell's
definitions, then ``run_lab`` at the profile's sizes for each seed, and records every
arm's scores. ``check_lab`` prints the resulting range beside a student's short run, and
``run_lab`` beside their full one, so the range a student compares with is measured,
never typed in.
"""
from __future__ import annotations

import argparse
import ast
import datetime
import json
import pathlib
import sys
import time

import nbformat

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from mmfuse_lite import labs  # noqa: E402
from mmfuse_lite.runtime import setup  # noqa: E402


def lab_function(name: str):
    """The reference lab function of ``name``: the definitions of the notebook cell that checks it."""
    for path in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            if cell.cell_type == "code" and f'check_lab(' in cell.source and f'"{name}"' in cell.source:
                tree = ast.parse(cell.source)
                keep = [n for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom, ast.FunctionDef))]
                namespace: dict = {}
                exec(compile(ast.Module(body=keep, type_ignores=[]), f"{path.name}:{cell.get('id')}", "exec"), namespace)
                fn = [n.name for n in keep if isinstance(n, ast.FunctionDef)][-1]
                return namespace[fn], f"{path.name} cell {cell.get('id')}"
    raise LookupError(f"no notebook cell calls check_lab(..., {name!r})")


def measure(name: str, profile: str, seeds: list[int]) -> dict:
    import torch
    fn, where = lab_function(name)
    scores = {arm: {k: [] for k in labs.LABS[name].scores} for arm in labs.LABS[name].arms}
    start = time.perf_counter()
    for seed in seeds:
        cfg = setup(profile=profile, seed=seed, device="cpu")
        torch.manual_seed(seed)
        result = labs.run_lab(fn, name, cfg)
        for arm, per_key in scores.items():
            for key in per_key:
                per_key[key].append(round(float(result[arm][key]), 4))
    n_train, n_eval = labs.LABS[name].sizes(cfg)
    return {"seeds": seeds, "steps": labs.LABS[name].budget(cfg), "n_train": n_train, "n_eval": n_eval,
            "scores": scores, "reference": where, "seconds": round(time.perf_counter() - start),
            "measured": datetime.date.today().isoformat(),
            "command": f"python scripts/seed_ranges.py {name} --profile {profile} --seeds {' '.join(map(str, seeds))}"}


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("labs", nargs="*", help=f"default: every lab ({', '.join(labs.LABS)})")
    p.add_argument("--profile", default="ci", choices=("ci", "cpu"))
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    args = p.parse_args(argv)
    for name in args.labs or list(labs.LABS):
        if name not in labs.LABS:
            p.error(f"no lab named {name!r}; the labs are {', '.join(labs.LABS)}")
    for name in args.labs or list(labs.LABS):
        entry = measure(name, args.profile, args.seeds)
        # read again just before writing, so that runs of other labs in parallel keep their entries
        data = json.loads(labs.RANGES.read_text()) if labs.RANGES.exists() else {}
        data.setdefault("labs", {}).setdefault(name, {})[args.profile] = entry
        labs.RANGES.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")   # after every lab
        print(f"{name} ({args.profile}, seeds {args.seeds}): {entry['seconds']} s")
        print(labs.describe_range(name, args.profile))


if __name__ == "__main__":
    main()
