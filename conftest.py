"""pytest hooks for the nbval run over notebooks/.

nbval executes every notebook once. Here we collect the outputs it saw and store
each fully passing notebook in the book's jupyter-cache (the ``execute.cache``
path of ``_config.yml``). The book build runs with ``execute_notebooks: cache``,
finds them there, and does not execute them a second time.

nbval ignores widget ("comm") messages, so we record them here the way nbclient
does and save the widget state in the notebook metadata: the book then shows each
widget as the notebook left it.

A cell that shows an echoed value (a bare ``True`` under a checker's message, a dict under
a printed table, a matplotlib object) or the same figure twice fails: see
:mod:`mmfuse_lite.notebook_outputs`.

We also time each notebook and print the table. Over the ``ci`` budget
(``MMFUSE_NOTEBOOK_BUDGET`` seconds, default 150: two notebooks run at once, one thread each) a
notebook gets a printed warning; only
beyond three times the budget, a runaway rather than a loaded machine, does the session
fail. Speed itself is measured by ``scripts/time_labs.py``, not by a pass/fail test.

Each profile has its own execution cache (``_build/.jupyter_cache-<profile>``): the
book built after ``make test`` executes in its own profile instead of reusing the
``ci`` outputs.
"""
from __future__ import annotations

import os
import pathlib
import time
from collections import defaultdict

import pytest

from mmfuse_lite.notebook_outputs import duplicate_figures, echoed_values

ROOT = pathlib.Path(__file__).parent
_started: dict[str, float] = {}
_finished: dict[str, float] = {}
_failed: set[str] = set()
_outputs: dict[str, dict[int, list]] = defaultdict(dict)
_widgets: dict[str, dict[str, dict]] = defaultdict(dict)


def _record_widgets(nbfile, msg) -> None:
    """Keep the latest state of every widget model, as nbclient's store_widget_state does."""
    if msg["msg_type"] not in ("comm_open", "comm_msg"):
        return
    content = msg["content"]
    state = content.get("data", {}).get("state")
    if state is not None:
        _widgets[str(nbfile.fspath)].setdefault(content["comm_id"], {}).update(state)


try:
    from nbval.plugin import IPyNbFile

    _get_kernel_message = IPyNbFile.get_kernel_message

    def _get_kernel_message_and_record(self, timeout=None, stream="iopub"):
        msg = _get_kernel_message(self, timeout=timeout, stream=stream)
        if stream == "iopub":
            _record_widgets(self, msg)
        return msg

    IPyNbFile.get_kernel_message = _get_kernel_message_and_record

    from nbval.plugin import IPyNbCell

    _cell_init = IPyNbCell.__init__

    def _cell_init_patient(self, *args, **kwargs):
        _cell_init(self, *args, **kwargs)
        # nbval gives a finished cell's last messages 5 s to arrive; with two kernels on two
        # cores (make test's two workers) a busy machine has needed more (a cell that trains
        # three models, with progress bars). A real hang is still caught by the cell timeout.
        self.output_timeout = 60

    IPyNbCell.__init__ = _cell_init_patient
except ImportError:  # nbval not installed: nothing to record
    pass


def _notebook_of(item) -> str | None:
    path = str(getattr(item, "path", getattr(item, "fspath", "")))
    return path if path.endswith(".ipynb") else None


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item):
    nb = _notebook_of(item)
    if nb:
        _started.setdefault(nb, time.perf_counter())
    outcome = yield
    if nb:
        _finished[nb] = time.perf_counter()
        outs = getattr(item, "test_outputs", None)
        if outs is not None:
            _outputs[nb][item.cell_num] = list(outs)
            echoed = echoed_values(outs)
            if echoed and outcome.excinfo is None:
                outcome.force_exception(AssertionError(
                    f"the cell shows an echoed value under its output: {echoed[0][:60]!r}; a reader of the book "
                    "sees it as noise. End the cell with a statement (an assignment, a print) or make the last "
                    "call return None"))
            elif duplicate_figures(outs) and outcome.excinfo is None:
                outcome.force_exception(AssertionError(
                    "the cell shows the same figure twice; display each figure once (a plt.show() after a "
                    "helper that already showed it, or a returned Figure echoed after plt.show())"))


def pytest_runtest_logreport(report):
    if report.failed and report.nodeid.split("::")[0].endswith(".ipynb"):
        _failed.add(str(ROOT / report.nodeid.split("::")[0]))


def _cache_path() -> pathlib.Path:
    """The execution cache of this run's profile (the Makefile gives the book the same one)."""
    import yaml
    cfg = yaml.safe_load((ROOT / "_config.yml").read_text())
    base = cfg.get("execute", {}).get("cache", "_build/.jupyter_cache")
    return ROOT / f"{base}-{os.environ.get('MMFUSE_PROFILE') or 'default'}"


def _store(nb_path: str, seconds: float) -> None:
    import nbformat
    from jupyter_cache import get_cache
    from jupyter_cache.base import CacheBundleIn

    nb = nbformat.read(nb_path, as_version=4)
    code_cells = [c for c in nb.cells if c.cell_type == "code"]
    outputs = _outputs[nb_path]
    for num, cell in enumerate(code_cells):
        cell.outputs = [nbformat.from_dict(dict(o)) for o in outputs.get(num, [])]
        for o in cell.outputs:
            if o.get("output_type") == "execute_result":
                o.setdefault("execution_count", num + 1)
                o.setdefault("metadata", {})
            elif o.get("output_type") == "display_data":
                o.setdefault("metadata", {})
        cell.execution_count = num + 1
    states = {k: v for k, v in _widgets.get(nb_path, {}).items() if "_model_name" in v}
    if states:
        nb.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {
            "version_major": 2, "version_minor": 0,
            "state": {k: {"model_name": v["_model_name"], "model_module": v["_model_module"],
                          "model_module_version": v["_model_module_version"], "state": v}
                      for k, v in states.items()}}}
    cache = get_cache(str(_cache_path()))
    cache.cache_notebook_bundle(CacheBundleIn(nb, str(pathlib.Path(nb_path).resolve()),
                                              data={"execution_seconds": seconds}),
                                check_validity=False, overwrite=True)


def _timing_lines() -> list[tuple[str, float, bool]]:
    """(notebook, seconds, failed) for each notebook this process ran; passing ones are cached for the book."""
    rows = []
    for nb in sorted(_started):
        seconds = _finished.get(nb, _started[nb]) - _started[nb]
        if nb not in _failed:
            _store(nb, seconds)
        rows.append((pathlib.Path(nb).name, seconds, nb in _failed))
    return rows


_worker_rows: list = []


def pytest_testnodedown(node, error):
    """Under pytest-xdist (``-n 2``), each worker sends its notebook timings back here."""
    _worker_rows.extend(getattr(node, "workeroutput", {}).get("notebook_timings", []))


def pytest_sessionfinish(session, exitstatus):
    budget = float(os.environ.get("MMFUSE_NOTEBOOK_BUDGET", "150"))
    profile = os.environ.get("MMFUSE_PROFILE", "")
    rows = _timing_lines() if _started else []
    if hasattr(session.config, "workeroutput"):          # an xdist worker: the controller prints the table
        session.config.workeroutput["notebook_timings"] = rows
        return
    rows = sorted(rows + _worker_rows)
    if not rows:
        return
    lines, over, runaway = [], [], []
    for name, seconds, failed in rows:
        lines.append(f"  {name:40s} {seconds:6.1f} s  {'FAILED' if failed else 'ok'}")
        if profile == "ci" and seconds > budget:
            over.append(f"{name} ({seconds:.0f} s)")
        if profile == "ci" and seconds > 3 * budget:
            runaway.append(name)
    tr = session.config.pluginmanager.get_plugin("terminalreporter")
    write = tr.write_line if tr else print
    write("")
    write(f"notebook timings (profile={profile or 'default'}; passing notebooks cached for the book):")
    for line in lines:
        write(line)
    if over:
        write(f"WARNING: over the {budget:.0f} s ci budget (a loaded machine, or a chapter that grew): "
              f"{', '.join(over)}; re-measure with scripts/time_labs.py --profile ci")
    if runaway:
        write(f"FAILED: more than 3 x the {budget:.0f} s ci budget: {', '.join(runaway)}")
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
