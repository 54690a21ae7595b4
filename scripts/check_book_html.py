"""Check the built HTML book: no exercise solution is readable without a click, and the
instructor guide's links to the slide decks lead somewhere.

    python scripts/check_book_html.py [_build/html]      # make book and make book-strict run it

Solutions are hidden two ways: a code solution cell carries the ``hide-cell`` tag, which
myst-nb renders as a closed ``<details>`` ("Show code cell content"), and the written
solutions are sphinx-exercise ``{solution}`` dropdowns, which sphinx-togglebutton folds.
The check takes every line of solution code from the notebooks (between ``### BEGIN
SOLUTION`` and ``### END SOLUTION``) and fails if any code block of the chapter's page
shows one outside a closed ``<details>`` or a dropdown.
"""
from __future__ import annotations

import pathlib
import sys

import nbformat
from bs4 import BeautifulSoup

from mmfuse_lite.student import strip_code, strip_markdown

ROOT = pathlib.Path(__file__).resolve().parents[1]
BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"


def solution_lines(nb) -> set[str]:
    """The lines of a notebook's code solutions (the markers included) that the chapter does
    not also show in the open: section 3.1 builds the nearest-code lookup that exercise 3.1
    asks for, and a line shared with such a cell gives nothing away."""
    outside = "\n".join(strip_code(c.source) if c.cell_type == "code" else strip_markdown(c.source)
                         for c in nb.cells)
    lines, inside = {BEGIN}, False
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        for line in cell.source.splitlines():
            line = line.strip()
            if line in (BEGIN, END):
                inside = line == BEGIN
            elif inside and len(line) >= 12 and line not in outside:   # skip "return x" and the like
                lines.add(line)
    return lines


def is_folded(element) -> bool:
    """Whether the element sits in something a reader must click open first."""
    for parent in element.parents:
        if parent.name == "details" and not parent.has_attr("open"):
            return True
        if parent.name == "div" and "dropdown" in (parent.get("class") or []):
            return True
    return False


def visible_solutions(html: str, lines: set[str]) -> list[str]:
    """The solution lines that a code block of the page shows without a click."""
    shown = []
    for block in BeautifulSoup(html, "html.parser").find_all("pre"):
        text = block.get_text()
        hits = [line for line in lines if line in text]
        if hits and not is_folded(block):
            shown += hits
    return shown


def dead_links(page: pathlib.Path, under: str = "slides/") -> list[str]:
    """The relative links of a page into ``under`` (the decks of make_slides.py) that lead nowhere."""
    links = [a["href"] for a in BeautifulSoup(page.read_text(), "html.parser").find_all("a", href=True)]
    return [h for h in links if under in h and "://" not in h
            and not (page.parent / h.split("#")[0]).resolve().exists()]


def main(html_dir: str = "_build/html") -> int:
    html_dir = pathlib.Path(html_dir)
    guide = html_dir / "book" / "instructor_guide.html"
    problems = [f"{guide.name}: a link to a slide deck leads nowhere: {h} (run scripts/make_slides.py)"
                for h in (dead_links(guide) if guide.exists() else [])]
    for path in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        page = html_dir / "notebooks" / f"{path.stem}.html"
        if not page.exists():
            problems.append(f"{page}: missing; build the book first")
            continue
        lines = solution_lines(nbformat.read(path, as_version=4))
        shown = visible_solutions(page.read_text(), lines)
        if shown:
            problems.append(f"{page.name}: solution code visible without a click: {shown[0]!r}"
                            f" (+{len(shown) - 1} more); tag the solution cell 'hide-cell'")
    for p in problems:
        print(p)
    print("check_book_html:", "failed" if problems else "every code solution is folded")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
