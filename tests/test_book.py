"""The appendix pages: results come from glue, references are cited, glossary and lab times are complete."""
import json
import pathlib
import re
import sys

import nbformat
import pytest
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[1]
BOOK = ROOT / "book"
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
sys.path.insert(0, str(ROOT / "scripts"))


def all_text() -> str:
    pages = [p.read_text() for p in BOOK.glob("*.md")]
    cells = [c.source for p in NOTEBOOKS for c in nbformat.read(p, as_version=4).cells if c.cell_type == "markdown"]
    return "\n".join(pages + cells)


def test_every_reference_is_cited_and_every_citation_exists():
    entries = re.findall(r"^@\w+\{([^,]+),", (ROOT / "references.bib").read_text(), re.M)
    keys = set(entries)
    assert len(keys) == len(entries), "a key is in references.bib twice: the bibliography then drops entries"
    cited = {k.strip() for group in re.findall(r"\{cite[pt]?\}`([^`]+)`", all_text()) for k in group.split(",")}
    assert cited - keys == set(), f"cited but not in references.bib: {cited - keys}"
    assert keys - cited == set(), f"in references.bib but never cited: {keys - cited}"


def headline_keys(path) -> set[str]:
    nb = nbformat.read(path, as_version=4)
    cells = [c.source for c in nb.cells if c.cell_type == "code" and "headlines(cfg," in c.source]
    assert len(cells) == 1, f"{path.name} needs one headlines(cfg, ...) cell before its exercises"
    chapter = re.search(r'headlines\(cfg, "(ch\d+)"', cells[0]).group(1)
    keys = set(re.findall(r'"(\w+)":', cells[0]))
    keys |= {f"zero_shot_{a}" for a in ("colour", "shape", "size", "position")} if "zero_shot_" in cells[0] else set()
    return {f"{chapter}_{k}" for k in keys | {"profile", "seed"}}


def test_results_page_pastes_only_numbers_the_chapters_glue():
    page = (BOOK / "results.md").read_text()
    refs = re.findall(r"\{glue:text\}`\.\./notebooks/([\w]+)\.ipynb::(\w+):[^`]+`", page)
    assert len(refs) == page.count("{glue"), "every glue role names a notebook, a key and a format"
    by_notebook = {}
    for nb, key in refs:
        by_notebook.setdefault(nb, set()).add(key)
    assert sorted(by_notebook) == [p.stem for p in NOTEBOOKS], "one row per chapter"
    for path in NOTEBOOKS:
        missing = by_notebook[path.stem] - headline_keys(path)
        assert not missing, f"results.md pastes keys {path.name} never glues: {missing}"
    assert not re.search(r"\|\s*\d+\.\d+\s*\|", page), "numbers in results.md must be glued, not typed"


def test_glossary_gives_chinese_and_a_definition_for_every_term():
    rows = [r for r in (BOOK / "glossary.md").read_text().splitlines() if r.startswith("| ") and not r.startswith("| English")]
    assert len(rows) >= 100
    terms = []
    for row in rows:
        cols = [c.strip() for c in row.strip("|").split(" | ")]
        assert len(cols) == 3 and all(cols), row
        assert re.search(r"[\u4e00-\u9fff]", cols[1]) or cols[1] == cols[0], f"no Chinese for {cols[0]}"
        terms.append(cols[0].lower())
    glossary = " ".join(terms)
    # the terms each chapter's learning objectives rely on
    for term in ("autoencoder", "bottleneck", "psnr", "codebook", "straight-through", "commitment", "perplexity",
                 "collapse", "ema", "k-means", "fsq", "vqgan", "patchgan", "hinge", "adaptive weight", "warm-up",
                 "perceptual", "fréchet", "early fusion", "late fusion", "tensor fusion", "film", "cross-attention",
                 "modality dropout", "infonce", "temperature", "recall@k", "zero-shot", "classifier-free guidance",
                 "top-k", "prior", "ddp", "torchrun", "linear probe", "synergistic", "hard negative"):
        assert term in glossary, f"the glossary lacks {term!r}"


def test_lab_time_table_is_generated_from_the_measurements():
    from time_labs import render_table
    times = json.loads((BOOK / "lab_times.json").read_text())
    assert (BOOK / "lab_times_table.md").read_text() == render_table(times), \
        "book/lab_times_table.md is stale: rerun scripts/time_labs.py"
    for profile in ("ci", "cpu"):
        measured = times[profile]["notebooks"]
        assert sorted(measured) == [p.stem for p in NOTEBOOKS], f"{profile}: every chapter is timed"
        assert all(r["error"] is None for r in measured.values()), f"{profile}: a chapter failed"
    assert "{include} lab_times_table.md" in (BOOK / "instructor_guide.md").read_text()


def test_instructor_guide_covers_twelve_weeks_and_every_chapter():
    guide = (BOOK / "instructor_guide.md").read_text()
    weeks = re.findall(r"^\| (\d+) \|", guide, re.M)
    assert [int(w) for w in weeks] == list(range(1, 13))
    for path in NOTEBOOKS:
        assert f"../notebooks/{path.stem}" in guide, f"the syllabus never assigns {path.stem}"
    for topic in ("Colab", "JupyterHub", "make student", "nbgrader", "check_"):
        assert topic in guide


def test_pages_workflow_runs_make_test_then_make_book_then_publishes_the_book():
    wf = yaml.safe_load((ROOT / ".github" / "workflows" / "book.yml").read_text())
    steps = wf["jobs"]["test"]["steps"]
    runs = [s.get("run") for s in steps]
    assert "make test" in runs and "make book" in runs
    upload = next(s for s in steps if "upload-pages-artifact" in s.get("uses", ""))
    assert upload["with"]["path"] == "_build/html"
    # the published HTML is the last one built: make book's, in the laptop's profile
    assert runs.index("make test") < runs.index("make book") < steps.index(upload)
    assert "MMFUSE_PROFILE" not in (ROOT / ".github" / "workflows" / "book.yml").read_text()
    publish = wf["jobs"]["publish"]
    assert publish["needs"] == "test" and any("deploy-pages" in s.get("uses", "") for s in publish["steps"])
    assert publish["permissions"] == {"pages": "write", "id-token": "write"}
    readme = (ROOT / "README.md").read_text()
    assert ".github/workflows/book.yml" in readme and "GitHub Pages" in readme


@pytest.mark.parametrize("page", ["results", "misconceptions", "glossary", "scaling_up", "instructor_guide", "projects"])
def test_appendix_pages_are_in_the_table_of_contents(page):
    assert f"book/{page}" in (ROOT / "_toc.yml").read_text()


def test_every_misconception_states_the_truth_and_its_evidence():
    page = (BOOK / "misconceptions.md").read_text()
    sections = re.split(r"\n## ", page)[1:]
    assert len(sections) >= 20
    for sec in sections:
        title = sec.splitlines()[0]
        assert title.startswith('"'), f"{title}: state what is often claimed, in quotes"
        assert "**True:**" in sec or "**Names differ" in sec, f"{title}: say what is true"
        assert "{cite}" in sec or re.search(r"[Cc]hapter \d|tests/test_\w+\.py", sec), \
            f"{title}: give a cell, a test or a citation as evidence"
    # the corrections of the course design, section 6
    for fact in ("Neural Discrete Representation Learning", "quantum", "nearest-neighbour lookup",
                 "VQVAEForMultimodalModeling", "β = 0.25", "Taming Transformers"):
        assert fact in page, fact


def test_headlines_glue_plain_values_and_refuse_bad_ones(capsys):
    import numpy as np
    import torch
    from mmfuse_lite.results import headlines, plain_values
    from mmfuse_lite.runtime import setup
    cfg = setup(profile="ci", seed=3, quiet=True)
    values = {"psnr": np.float64(24.5), "usage": torch.tensor(0.9), "best": "k-means init", "n": 3}
    out = plain_values("ch2", values)
    assert out == {"psnr": 24.5, "usage": pytest.approx(0.9), "best": "k-means init", "n": 3}
    assert type(out["psnr"]) is float and type(out["usage"]) is float
    assert headlines(cfg, "ch2", values) is None, "nothing to echo under the printed table"
    printed = capsys.readouterr().out
    assert "ci profile, seed 3" in printed and "k-means init" in printed
    with pytest.raises(ValueError, match="like 'ch2'"):
        headlines(cfg, "chapter 2", {"x": 1.0})
    with pytest.raises(TypeError, match="ch2_x: expected a number or a string, got list"):
        headlines(cfg, "ch2", {"x": [1.0]})
    with pytest.raises(ValueError, match="no headline numbers"):
        headlines(cfg, "ch2", {})
    with pytest.raises(ValueError, match="must be finite"):
        headlines(cfg, "ch2", {"x": float("nan")})


def test_ci_runs_both_readme_commands_and_each_profile_has_its_own_cache():
    ci = (ROOT / ".ci" / "run").read_text()
    assert ci.index("make test") < ci.index("make book")
    makefile = (ROOT / "Makefile").read_text()
    assert ".jupyter_cache-$$profile" in makefile and "--all" in makefile
    import conftest
    import os
    old = os.environ.get("MMFUSE_PROFILE")
    try:
        os.environ["MMFUSE_PROFILE"] = "ci"
        ci_cache = conftest._cache_path()
        os.environ["MMFUSE_PROFILE"] = "cpu"
        assert conftest._cache_path() != ci_cache and ci_cache.name.endswith("-ci")
    finally:
        os.environ.pop("MMFUSE_PROFILE") if old is None else os.environ.__setitem__("MMFUSE_PROFILE", old)


def test_echoed_values_are_found_in_a_cells_outputs():
    from mmfuse_lite.notebook_outputs import echoed_values
    result = lambda text: {"output_type": "execute_result", "data": {"text/plain": text}}   # noqa: E731
    printed = {"output_type": "stream", "name": "stdout", "text": "True\n"}
    assert echoed_values([printed, result("True")]) == ["True"]
    assert echoed_values([result("{'psnr': 24.5,\n 'usage': 0.9}")]) == ["{'psnr': 24.5,\n 'usage': 0.9}"]
    assert echoed_values([result(["Fal", "se"])]) == ["False"]
    assert echoed_values([printed, result("tensor(True)"), result("(3, 32, 32)"),
                          {"output_type": "display_data", "data": {"text/plain": "True"}}]) == []
    assert echoed_values([result("<Figure size 640x480 with 1 Axes>")]) == ["<Figure size 640x480 with 1 Axes>"]
    assert echoed_values([result("[<matplotlib.lines.Line2D at 0x7f>]")]) == ["[<matplotlib.lines.Line2D at 0x7f>]"]
    assert echoed_values([result("Text(0.5, 1.0, 'PSNR')")]) == ["Text(0.5, 1.0, 'PSNR')"]


def test_a_figure_shown_twice_in_one_cell_is_found():
    from mmfuse_lite.notebook_outputs import duplicate_figures
    image = lambda png: {"output_type": "display_data", "data": {"image/png": png}}   # noqa: E731
    assert duplicate_figures([image("iVBOR-a"), image("iVBOR-b")]) == 0
    assert duplicate_figures([image("iVBOR-a"), {"output_type": "stream", "text": "x"}, image("iVBOR-a\n")]) == 1


def test_the_html_check_finds_solution_code_shown_without_a_click():
    sys.path.insert(0, str(ROOT / "scripts"))
    from check_book_html import solution_lines, visible_solutions
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("def f(z, c):\n    ### BEGIN SOLUTION\n    d = torch.cdist(z, c)\n"
                                  "    return d.argmin(1)\n    ### END SOLUTION\ncheck(f)"),
        nbformat.v4.new_code_cell("def g(d):\n    return d.argmin(1)   # shown in the open: gives nothing away")])
    lines = solution_lines(nb)
    assert "d = torch.cdist(z, c)" in lines and "return d.argmin(1)" not in lines
    code = "<pre>def f(z, c):\n    ### BEGIN SOLUTION\n    d = torch.cdist(z, c)</pre>"
    assert visible_solutions(f"<div class='cell'>{code}</div>", lines)
    assert visible_solutions(f"<details open><summary>x</summary>{code}</details>", lines)
    assert not visible_solutions(f"<details class='hide'><summary>Show</summary>{code}</details>", lines)
    assert not visible_solutions(f"<div class='solution dropdown admonition'>{code}</div>", lines)
    assert not visible_solutions("<pre>def g(d):\n    return d.argmin(1)</pre>", lines)


def test_exercises_are_numbered_by_chapter_and_referred_to_by_number():
    sys.path.insert(0, str(ROOT / "book" / "_ext"))
    from chapter_exercise_numbers import chapter_of, renumber
    assert chapter_of("notebooks/03_vq_vae") == 3 and chapter_of("book/results") is None
    numbers = {"notebooks/03_vq_vae": {"exercise": {"ex-b": (9,), "ex-a": (8,)}, "figure": {"f": (4,)}},
               "book/results": {"exercise": {"ex-c": (1,)}}}
    assert renumber(numbers) == ["notebooks/03_vq_vae"]
    assert numbers["notebooks/03_vq_vae"] == {"exercise": {"ex-a": (3, 1), "ex-b": (3, 2)}, "figure": {"f": (4,)}}
    assert numbers["book/results"] == {"exercise": {"ex-c": (1,)}}
    assert "chapter_exercise_numbers" in (ROOT / "_config.yml").read_text()
    # prose names an exercise through {numref}, which prints "exercise 3.1"; never by a typed number
    for path in NOTEBOOKS:
        for cell in nbformat.read(path, as_version=4).cells:
            typed = re.findall(r"[Ee]xercises? (?:\d+\b(?!\.\d)|\{ref\})", cell.source)
            assert not typed, f"{path.name} {cell.get('id')}: {typed} (use {{numref}}`exercise %s <label>`)"


def test_slides_keep_headings_equations_and_figures_and_drop_code_prose_and_answers():
    sys.path.insert(0, str(ROOT / "scripts"))
    import make_slides as ms
    assert set(ms.WEEKS) == set(range(1, 13))
    guide = (BOOK / "instructor_guide.md").read_text()
    assert all(f'href="../slides/week{w:02d}.html"' in guide for w in ms.WEEKS), "the guide links every deck"
    md = ms.slide_markdown("## 3.2 The estimator\n\nLead paragraph.\n\nMore prose.\n\n$$\na = b\n$$\n\n"
                           "| x | y |\n|---|---|\n\n:::{solution} ex\n:class: dropdown\nsecret\n:::")
    assert md.startswith("## 3.2 The estimator\n\nLead paragraph.") and "$$\na = b\n$$" in md
    assert "More prose" not in md and "secret" not in md and "| x | y |" in md
    quiz = ms.slide_markdown("## Check your understanding\n\n**1.** Q?\n\n<details><summary>Answer</summary>\n\n42\n\n</details>")
    assert "Q?" in quiz and "42" not in quiz
    widget = {"output_type": "display_data", "data": {"application/vnd.jupyter.widget-view+json": {}, "text/plain": "w"}}
    figure = {"output_type": "display_data", "data": {"image/png": "iVBOR"}}
    short = {"output_type": "stream", "name": "stdout", "text": "PSNR 24.1 dB\n"}
    long = {"output_type": "stream", "name": "stdout", "text": "x\n" * 20}
    assert ms.slide_outputs([widget, figure, short, long]) == [figure, short]
    assert ms.plain_roles("{cite}`esser2021taming` and {doc}`Chapter 5 <../notebooks/05_vqgan>`",
                          {"esser2021taming": "Esser et al. 2021"}) == "(Esser et al. 2021) and Chapter 5"
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(s) for s in
                                         ("# 3. T", "## 3.4 a", "## 3.5 b", "### c", "## 3.6 d", "## Exercises", "x")])
    assert [c.source for c in ms.select_cells(nb, "3.5", "3.5")] == ["## 3.5 b", "### c"]
    assert [c.source for c in ms.select_cells(nb, None, "3.4")] == ["# 3. T", "## 3.4 a"]


def test_every_chapter_ends_with_its_summary():
    for path in NOTEBOOKS:
        cells = nbformat.read(path, as_version=4).cells
        summary = [i for i, c in enumerate(cells) if c.cell_type == "markdown" and re.search(r"^## Summary", c.source, re.M)]
        assert summary == [len(cells) - 1], f"{path.name}: the summary must be the last cell, after every exercise"
        assert "{exercise}" not in cells[-1].source.split("## Summary")[1], f"{path.name}: an exercise after the summary"
