"""Number exercises by chapter: "Exercise 3.1", "Exercise 3.2", ... instead of one count
across the book.

Sphinx numbers enumerable nodes (figures, sphinx-exercise's exercises) in one sequence
unless the table of contents is numbered, and a numbered toc would put a second number
before our chapter titles, which carry their own ("# 3. VQ-VAE") so that they read the
same in Jupyter. So this extension renumbers the exercises once Sphinx has assigned its
numbers: the chapter number comes from the notebook's file name (``notebooks/03_...``),
the exercise number from the order within the chapter. Titles, solutions ("Solution to
Exercise 3.1") and {ref}/{numref} links all read the renumbered value.
"""
from __future__ import annotations

import re

_CHAPTER = re.compile(r"(?:^|/)(\d+)_[^/]*$")


def chapter_of(docname: str) -> int | None:
    """The chapter number in a notebook's name, ``notebooks/03_vq_vae`` -> 3; None for other pages."""
    m = _CHAPTER.search(docname)
    return int(m.group(1)) if m else None


def renumber(fignumbers: dict) -> list[str]:
    """Give each chapter's exercises the numbers (chapter, 1), (chapter, 2), ... in their order;
    ``fignumbers`` is Sphinx's ``env.toc_fignumbers``. Returns the documents changed."""
    changed = []
    for docname, by_type in fignumbers.items():
        chapter, numbers = chapter_of(docname), by_type.get("exercise")
        if chapter is None or not numbers:
            continue
        in_order = sorted(numbers, key=numbers.get)          # the book-wide count keeps page order
        renumbered = {ident: (chapter, i) for i, ident in enumerate(in_order, 1)}
        if renumbered != numbers:
            by_type["exercise"] = renumbered
            changed.append(docname)
    return changed


def _on_env_get_updated(app, env) -> list[str]:
    return renumber(env.toc_fignumbers)


def setup(app):
    # priority 900: after Sphinx's own toctree collector (500) has assigned the numbers
    app.connect("env-get-updated", _on_env_get_updated, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
