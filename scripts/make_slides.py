"""One reveal.js slide deck per syllabus week, built from the executed chapters.

    python scripts/make_slides.py [--cache _build/.jupyter_cache] [--out _build/html/slides]

`make book` runs this after the build (`make slides` alone, after a book build), so the
decks are published beside the book, and the instructor guide links them. The outputs come
from the execution cache the book was built from (the `_build/.jupyter_cache` link points
at the profile's own cache), so a figure on a slide is the figure in the book. A deck keeps
what a lecture shows and drops what a lab reads:

* every section heading opens a slide (``##``) or a sub-slide (``###``), with the first
  paragraph under it as its lead;
* display equations, tables and lists stay; the rest of the prose goes;
* code is never shown; a code cell's figures and short printed results stay, each figure
  on its own sub-slide; widgets (which need a kernel) and long printouts go;
* solutions, exercises and the quiz's answers stay out; the chapter's
  quiz questions close the deck, for the lecture's last five minutes.
"""
from __future__ import annotations

import argparse
import codecs
import pathlib
import re

import latexcodec  # noqa: F401  (registers the "ulatex" codec used for names in references.bib)
import nbformat

ROOT = pathlib.Path(__file__).resolve().parents[1]

# week -> [(chapter notebook, first section, last section)]; None means the chapter's end
WEEKS = {
    1: [("01_shapes_world", None, None)],
    2: [("02_autoencoder", None, None)],
    3: [("03_vq_vae", None, "3.4")],
    4: [("03_vq_vae", "3.5", None)],
    5: [("04_codebook_lab", None, None)],
    6: [("05_vqgan", None, "5.3")],
    7: [("05_vqgan", "5.4", None)],
    8: [("06_fusion_strategies", None, None)],
    9: [("07_attention_fusion", None, None)],
    10: [("08_contrastive_alignment", None, None)],
    11: [("09_text_to_image", None, None), ("10_sound_and_motion", None, None)],
    12: [("book/scaling_up.md", None, None), ("book/misconceptions.md", None, None)],
}
MAX_PRINTED_LINES = 8
_SECTION = re.compile(r"^#{2,3} (\d+\.\d+)\b", re.M)
_DISPLAY_MATH = re.compile(r"^\$\$.*?^.*?\$\$\s*$|^\$\$.*?\$\$", re.M | re.S)
_SOLUTION = re.compile(r"^(:{3,})\{solution\}.*?^\1\s*$", re.M | re.S)
_ROLE = re.compile(r"\{([\w:-]+)\}`([^`]*)`")
_DIRECTIVE = re.compile(r"^:{3,}\{(\w+)\}.*$|^:{3,}\s*$|^:\w+:.*$", re.M)


def _authors_years() -> dict[str, str]:
    """references.bib key -> "Esser et al. 2021", for citations on slides."""
    from pybtex.database import parse_file
    out = {}
    for key, entry in parse_file(ROOT / "references.bib").entries.items():
        people = entry.persons.get("author") or entry.persons.get("editor") or []
        name = " ".join(people[0].last_names) if people else key
        name = codecs.decode(name, "ulatex").replace("{", "").replace("}", "")   # Baltru{\v{s}}aitis -> Baltrušaitis
        out[key] = f"{name}{' et al.' if len(people) > 2 else ''} {entry.fields.get('year', '')}".strip()
    return out


def plain_roles(text: str, cites: dict[str, str]) -> str:
    """MyST roles as plain text: {cite}`a` -> (Author year), {doc}`Chapter 5 <...>` -> Chapter 5."""
    def one(m):
        role, body = m.group(1), m.group(2)
        if role.startswith("cite"):
            return "(" + "; ".join(cites.get(k.strip(), k.strip()) for k in body.split(",")) + ")"
        if role == "numref":
            return "an exercise" if body.startswith(("exercise", "Exercise")) else body.split("<")[0].strip()
        shown = body.split("<")[0].strip() if "<" in body else body
        return shown.replace("%s", "").strip()
    return _ROLE.sub(one, text)


def page_notebook(path: pathlib.Path) -> nbformat.NotebookNode:
    """A markdown page of the book as a notebook: one markdown cell per section."""
    parts = re.split(r"(?m)^(?=## )", path.read_text())
    return nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(p.strip()) for p in parts if p.strip()])


def _section_of(cell) -> str | None:
    m = _SECTION.search(cell.source) if cell.cell_type == "markdown" else None
    return m.group(1) if m else None


def _key(section: str) -> tuple[int, int]:
    return tuple(int(x) for x in section.split("."))


def select_cells(nb, first: str | None, last: str | None) -> list:
    """The cells of sections ``first`` to ``last`` (numbers such as "3.5"), up to the exercises."""
    cells, inside = [], first is None
    for cell in nb.cells:
        text = cell.source if cell.cell_type == "markdown" else ""
        if text.startswith("## Exercises") or text.startswith("## Summary"):
            break
        section = _section_of(cell)
        if section and first and _key(section) >= _key(first):
            inside = True
        if section and last and _key(section) > _key(last):
            break
        if inside:
            cells.append(cell)
    return cells


def slide_markdown(source: str) -> str | None:
    """A markdown cell cut down to its slide: heading and lead, equations, tables and lists."""
    source = _SOLUTION.sub("", source)
    if "## Check your understanding" in source:      # the quiz: questions, not answers
        source = re.sub(r"<details>.*?</details>", "", source, flags=re.S)
        return re.sub(r"\nAnswer each question before.*?\n\n", "\n", source, flags=re.S).strip()
    kept, lead_taken = [], False
    for block in re.split(r"\n\s*\n", source.strip()):
        b = _DIRECTIVE.sub("", block).strip()
        if not b:
            continue
        if b.startswith("#"):
            kept.append(b)
            lead_taken = False
        elif b.startswith("$$") or b.startswith("|") or b.startswith("- ") or re.match(r"\d+\. ", b):
            kept.append(b)
        elif not lead_taken and kept and kept[-1].startswith("#"):
            kept.append(b)                              # the paragraph right under a heading
            lead_taken = True
    return "\n\n".join(kept) or None


def slide_outputs(outputs) -> list:
    """The outputs a slide shows: figures, tables, short printouts; no widgets, no long text."""
    kept = []
    for out in outputs:
        data = out.get("data", {})
        if "application/vnd.jupyter.widget-view+json" in data:
            continue
        if out.get("output_type") == "stream":
            text = out.get("text", "")
            if out.get("name") == "stdout" and 0 < len(text.splitlines()) <= MAX_PRINTED_LINES:
                kept.append(out)
        elif "image/png" in data or "text/markdown" in data or "text/html" in data:
            kept.append(out)
    return kept


def executed(name: str, cache_dir: pathlib.Path) -> nbformat.NotebookNode:
    """A chapter with the outputs of its cached execution (jupyter-cache, as myst-nb stores it)."""
    from jupyter_cache import get_cache
    nb = nbformat.read(ROOT / "notebooks" / f"{name}.ipynb", as_version=4)
    try:
        _, merged = get_cache(str(cache_dir)).merge_match_into_notebook(nb)
    except KeyError:
        raise FileNotFoundError(f"{name}: no executed copy in {cache_dir}; build the book first (make book), "
                                "the decks are made from its executed notebooks") from None
    return merged


def week_notebook(week: int, cache_dir: pathlib.Path) -> nbformat.NotebookNode:
    """The slide notebook of one week: selected cells, with reveal.js slide types."""
    cells, cites = [], _authors_years()
    for name, first, last in WEEKS[week]:
        if name.endswith(".md"):
            nb = page_notebook(ROOT / name)
        else:
            nb = executed(name, cache_dir)
        title = nb.cells[0].source.splitlines()[0].lstrip("# ") if first else None
        if title:   # a deck that starts mid-chapter still names the chapter
            cells.append(nbformat.v4.new_markdown_cell(f"# {title}\n\n(continued, section {first} on)"))
        for cell in select_cells(nb, first, last):
            tags = set(cell.metadata.get("tags", []))
            if tags & {"remove-cell", "hide-cell", "package-sync"}:
                continue
            if cell.cell_type == "markdown":
                text = slide_markdown(cell.source)
                if text:
                    text = plain_roles(text, cites)
                    new = nbformat.v4.new_markdown_cell(text)
                    new.metadata["slideshow"] = {"slide_type": "slide" if text.lstrip().startswith(("# ", "## "))
                                                 else "subslide" if text.startswith("#") else "-"}
                    cells.append(new)
            elif cell.cell_type == "code":
                outputs = slide_outputs(cell.get("outputs", []))
                if outputs:
                    new = nbformat.v4.new_code_cell("")
                    new.outputs = outputs
                    new.metadata["slideshow"] = {"slide_type": "subslide" if any(
                        "image/png" in o.get("data", {}) for o in outputs) else "-"}
                    cells.append(new)
    if cells:
        cells[0].metadata["slideshow"] = {"slide_type": "slide"}
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--cache", default=str(ROOT / "_build" / ".jupyter_cache"))
    p.add_argument("--out", default=str(ROOT / "_build" / "html" / "slides"))
    args = p.parse_args(argv)
    from nbconvert import SlidesExporter

    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    exporter = SlidesExporter(exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True)
    exporter.reveal_scroll = True
    for week in WEEKS:
        nb = week_notebook(week, pathlib.Path(args.cache))
        figures = sum("image/png" in o.get("data", {}) for c in nb.cells for o in c.get("outputs", []))
        if figures == 0 and any(not n.endswith(".md") for n, _, _ in WEEKS[week]):
            raise SystemExit(f"week {week}: no figure found in the executed chapters; is the cache empty?")
        html, _ = exporter.from_notebook_node(nb)
        path = out / f"week{week:02d}.html"
        path.write_text(html)
        n = sum(c.metadata.get("slideshow", {}).get("slide_type") in ("slide", "subslide") for c in nb.cells)
        print(f"wrote {path.relative_to(out.parent)}: {n} slides, {figures} figures, {len(html) // 1024} KiB")


if __name__ == "__main__":
    main()
