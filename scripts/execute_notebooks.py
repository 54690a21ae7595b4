"""Execute the book's notebooks in parallel into the execution cache that `make book` reads.

    python scripts/execute_notebooks.py                  # every notebook not yet cached, 2 at a time
    python scripts/execute_notebooks.py --jobs 1         # one at a time

jupyter-book executes the notebooks of a cache-mode build one after another. On a
2-core laptop two kernels with one thread each get through the book faster than one
kernel with two threads: the chapters' models are small, and much of a step is Python
and small-tensor work that a second thread barely speeds up. This script runs them
that way, longest first (times from ``book/lab_times.json``), and stores each executed
notebook in the cache (``_build/.jupyter_cache``, the link the Makefile points at the
profile's own cache), where the book build finds it and executes nothing. A failing
notebook is reported with its cell and error, nothing of it is cached, and the script
exits with status 1 after the others finish.
"""
import argparse
import concurrent.futures
import json
import os
import pathlib
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]


def book_notebooks() -> list[pathlib.Path]:
    import yaml
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [c["file"] for part in toc.get("parts", []) for c in part.get("chapters", [])]
    return [ROOT / f"{f}.ipynb" for f in files if (ROOT / f"{f}.ipynb").exists()]


def expected_seconds(profile: str) -> dict[str, float]:
    """Last measured time of each notebook in this profile (0 when unknown)."""
    try:
        times = json.loads((ROOT / "book" / "lab_times.json").read_text())
        return {k: v.get("seconds") or 0 for k, v in times.get(profile, {}).get("notebooks", {}).items()}
    except (OSError, ValueError, AttributeError):
        return {}


def execute(path: pathlib.Path, timeout: int):
    """(notebook with outputs, seconds, error text or None), executed as myst-nb's cache mode does."""
    import nbformat
    from jupyter_cache.executors.utils import single_nb_execution
    nb = nbformat.read(path, as_version=4)
    result = single_nb_execution(nb, cwd=str(path.parent), timeout=timeout, allow_errors=False,
                                 meta_override=True)
    return nb, result.time, (result.exc_string or repr(result.err)) if result.err else None


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("notebooks", nargs="*", help="only these notebooks (default: every notebook of _toc.yml)")
    ap.add_argument("--jobs", type=int, default=2, help="notebooks executed at once (default 2)")
    ap.add_argument("--threads", type=int, default=None,
                    help="torch threads per kernel (default: the machine's cores / jobs)")
    ap.add_argument("--cache", default=str(ROOT / "_build" / ".jupyter_cache"))
    ap.add_argument("--timeout", type=int, default=900, help="seconds per cell")
    args = ap.parse_args()
    if args.jobs < 1:
        ap.error(f"--jobs must be at least 1, got {args.jobs}")
    threads = args.threads or max(1, (os.cpu_count() or 1) // args.jobs)
    os.environ["OMP_NUM_THREADS"] = os.environ["MKL_NUM_THREADS"] = str(threads)   # the kernels inherit it

    from jupyter_cache import get_cache
    from jupyter_cache.base import CacheBundleIn
    from mmfuse_lite.runtime import get_profile
    cache = get_cache(args.cache)
    chosen = [pathlib.Path(p).resolve() for p in args.notebooks] or book_notebooks()
    missing = [str(p) for p in chosen if not p.is_file()]
    if missing:
        ap.error(f"no such notebook: {', '.join(missing)}")
    todo = []
    for path in chosen:
        try:
            cache.match_cache_file(str(path))
        except KeyError:
            todo.append(path)
    profile = get_profile()
    guess = expected_seconds(profile)
    todo.sort(key=lambda p: -guess.get(p.stem, 0))
    print(f"executing {len(todo)} notebooks in the '{profile}' profile, {args.jobs} at a time with "
          f"{threads} thread(s) each ({len(chosen) - len(todo)} already cached)", flush=True)
    failed, t0 = [], time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
        jobs = {pool.submit(execute, p, args.timeout): p for p in todo}
        for job in concurrent.futures.as_completed(jobs):
            path = jobs[job]
            nb, seconds, error = job.result()
            if error:
                failed.append(path.name)
                print(f"  {path.name:40s} {seconds:6.1f} s  FAILED\n{error}", flush=True)
                continue
            cache.cache_notebook_bundle(CacheBundleIn(nb, str(path), data={"execution_seconds": seconds}),
                                        check_validity=False, overwrite=True)
            print(f"  {path.name:40s} {seconds:6.1f} s  ok", flush=True)
    print(f"executed in {time.perf_counter() - t0:.0f} s" + (f"; FAILED: {', '.join(failed)}" if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
