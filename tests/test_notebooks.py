"""Conventions every chapter notebook follows (design section 4)."""
import pathlib
import re

import nbformat
import pytest
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text())
TOC = (ROOT / "_toc.yml").read_text()


def load(path):
    return nbformat.read(path, as_version=4)


def test_there_are_notebooks():
    assert len(NOTEBOOKS) >= 2


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_stored_without_outputs(path):
    for cell in load(path).cells:
        if cell.cell_type == "code":
            assert not cell.outputs and cell.execution_count is None, f"{path.name}: cell has stored outputs"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_structure(path):
    nb = load(path)
    first = nb.cells[0]
    assert first.cell_type == "markdown" and first.source.startswith("# "), "title first"
    assert "Learning objectives" in first.source
    code = [c for c in nb.cells if c.cell_type == "code"]
    # Colab cell: installs from the one repository URL in _config.yml
    url = CONFIG["repository"]["url"]
    assert "google.colab" in code[0].source and f"git+{url}" in code[0].source
    assert "cfg = setup()" in code[1].source, "second code cell calls setup()"
    headings = [line for c in nb.cells if c.cell_type == "markdown" for line in c.source.splitlines()
                if line.startswith("#")]
    assert "## Exercises" in headings and "## Summary" in headings
    assert f"notebooks/{path.stem}" in TOC


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_exercises(path):
    nb = load(path)
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    labels = re.findall(r":::\{exercise\}\s*\n:label: (\S+)", text)
    assert len(labels) >= 3, "at least three exercises"
    for label in labels:
        assert re.search(r":::\{solution\} " + re.escape(label) + r"\s*\n:class: dropdown", text), label
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    assert code.count("### BEGIN SOLUTION") == code.count("### END SOLUTION") >= 1
    assert re.search(r"check_\w+\(", code), "at least one code exercise has a checker"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_sizes_come_from_the_profile(path):
    code = "\n".join(c.source for c in load(path).cells if c.cell_type == "code")
    assert "MMFUSE_PROFILE" not in code, "notebooks read the profile through setup(), never set it"
    assert re.search(r"\bassert\b", code), "claims are asserted"
