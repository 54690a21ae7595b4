"""Student versions of the notebooks: the same chapters with the solutions taken out.

    python -m mmfuse_lite.student notebooks student      # what `make student` runs

Follows the nbgrader markup, so instructors who use nbgrader can use the notebooks as
they are:

* in a code cell, each region between ``### BEGIN SOLUTION`` and ``### END SOLUTION``
  becomes ``# YOUR CODE HERE`` and ``raise NotImplementedError(...)``, indented like the
  region it replaces, so the ``def`` line and the ``check_*`` call around it stay;
* in a markdown cell, every ``{solution}`` directive (the dropdowns of the book) is
  removed, with the blank lines around it;
* outputs and execution counts are cleared;
* a stubbed cell loses the ``hide-cell`` tag that folds the solution away in the book, so a
  student book built from these notebooks shows the exercise's code in plain view.

Everything else is copied unchanged.
"""
from __future__ import annotations

import argparse
import pathlib
import re

import nbformat

BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
HIDDEN = "hide-cell"   # the book folds solution cells away behind a click (see tests/test_book.py)
STUB = "raise NotImplementedError(\"exercise: replace this line with your solution\")"
# a colon fence of three or more colons opening a {solution} directive, up to the same fence closing it
_SOLUTION = re.compile(r"^(?P<fence>:{3,})\{solution\}.*?^(?P=fence)[ \t]*$\n?", re.M | re.S)


class SolutionMarkupError(ValueError):
    """The solution markers of a cell do not pair up."""


def strip_code(source: str, where: str = "cell") -> str:
    """Replace every BEGIN/END SOLUTION region of a code cell by a stub that raises."""
    out, inside, indent = [], False, ""
    for n, line in enumerate(source.splitlines(), 1):
        stripped = line.strip()
        if stripped == BEGIN:
            if inside:
                raise SolutionMarkupError(f"{where}, line {n}: a second {BEGIN!r} before {END!r}")
            inside, indent = True, line[: len(line) - len(line.lstrip())]
            out += [f"{indent}# YOUR CODE HERE", f"{indent}{STUB}"]
        elif stripped == END:
            if not inside:
                raise SolutionMarkupError(f"{where}, line {n}: {END!r} without a {BEGIN!r} before it")
            inside = False
        elif not inside:
            out.append(line)
        # lines inside a region are dropped
    if inside:
        raise SolutionMarkupError(f"{where}: {BEGIN!r} is never closed by {END!r}")
    return "\n".join(out)


def strip_markdown(source: str) -> str:
    """Remove every ``{solution}`` directive from a markdown cell."""
    if "{solution}" not in source:
        return source
    text = _SOLUTION.sub("", source)
    return re.sub(r"\n{3,}", "\n\n", text).strip("\n")


def student_notebook(nb: nbformat.NotebookNode, name: str = "notebook") -> nbformat.NotebookNode:
    """A copy of ``nb`` with solutions replaced by stubs and outputs cleared."""
    nb = nbformat.from_dict(nb)  # a deep copy
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            stubbed = strip_code(cell.source, f"{name}, cell {i}")
            if stubbed != cell.source and HIDDEN in cell.metadata.get("tags", []):
                cell.metadata["tags"] = [t for t in cell.metadata["tags"] if t != HIDDEN]
            cell.source, cell.outputs, cell.execution_count = stubbed, [], None
        elif cell.cell_type == "markdown":
            cell.source = strip_markdown(cell.source)
    nb.metadata["mmfuse"] = {"version": "student"}
    return nb


def make_student(src: str | pathlib.Path, dst: str | pathlib.Path) -> list[pathlib.Path]:
    """Write the student version of every ``*.ipynb`` in ``src`` into ``dst``; returns the paths."""
    src, dst = pathlib.Path(src), pathlib.Path(dst)
    paths = sorted(src.glob("*.ipynb"))
    if not paths:
        raise FileNotFoundError(f"no notebooks (*.ipynb) in {src}")
    dst.mkdir(parents=True, exist_ok=True)
    written = []
    for path in paths:
        nb = student_notebook(nbformat.read(path, as_version=4), path.name)
        nbformat.write(nb, dst / path.name)
        written.append(dst / path.name)
    return written


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description="Write student versions of the notebooks (solutions removed).")
    p.add_argument("src", nargs="?", default="notebooks")
    p.add_argument("dst", nargs="?", default="student")
    args = p.parse_args(argv)
    for path in make_student(args.src, args.dst):
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
