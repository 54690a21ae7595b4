"""`make student`: solutions stripped, checkers fail helpfully on the stubs, pass on the reference."""
import ast
import math
import pathlib
import re

import nbformat
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from mmfuse_lite import exercises, labs
from mmfuse_lite.student import BEGIN, END, SolutionMarkupError, make_student, strip_code, strip_markdown

ROOT = pathlib.Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


@pytest.fixture(scope="module")
def student_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("student")
    assert len(make_student(ROOT / "notebooks", out)) == len(NOTEBOOKS)
    return out


def solution_lines(source: str) -> list[str]:
    lines, inside = [], False
    for line in source.splitlines():
        if line.strip() in (BEGIN, END):
            inside = line.strip() == BEGIN
        elif inside and line.strip():
            lines.append(line.strip())
    return lines


def solution_cells(nb):
    return [c for c in nb.cells if c.cell_type == "code" and BEGIN in c.source]


def checker_calls(source: str) -> list[tuple[str, str, tuple]]:
    """(checker, function name, further arguments) for every top-level ``check_x(fn, ...)`` call
    of a cell; ``check_lab(fn, "ch2-batchnorm")`` names its lab."""
    calls = []
    for node in ast.parse(source).body:
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
            f = node.value.func
            if isinstance(f, ast.Name) and f.id.startswith("check_"):
                rest = tuple(ast.literal_eval(a) for a in node.value.args[1:])
                calls.append((f.id, node.value.args[0].id, rest))
    return calls


def checker(name: str, rest: tuple):
    if name == "check_lab":
        return lambda fn: labs.check_lab(fn, *rest)
    return getattr(exercises, name)


def defs_only(source: str) -> str:
    """The imports and function definitions of a cell: what a checker needs, without the notebook's state."""
    tree = ast.parse(source)
    keep = [n for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom, ast.FunctionDef))]
    return ast.unparse(ast.Module(body=keep, type_ignores=[]))


def run_checks(source: str):
    namespace = {"torch": torch, "F": F, "math": math, "np": np}
    exec(compile(defs_only(source), "<exercise>", "exec"), namespace)
    return [(name, checker(name, rest), namespace[fn]) for name, fn, rest in checker_calls(source)]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_no_solution_survives_in_the_student_notebook(path, student_dir):
    reference = nbformat.read(path, as_version=4)
    student = nbformat.read(student_dir / path.name, as_version=4)
    assert len(student.cells) == len(reference.cells)
    text = "\n".join(c.source for c in student.cells)
    assert BEGIN not in text and END not in text
    assert "{solution}" not in text, "a solution dropdown survived"
    assert "{exercise}" in text, "the exercises themselves must stay"
    assert all(not c.get("outputs") and c.get("execution_count") is None
               for c in student.cells if c.cell_type == "code")
    # a solution line that the rest of the chapter does not also contain must be gone
    outside = "\n".join(strip_code(c.source) for c in reference.cells if c.cell_type == "code")
    outside += "\n".join(strip_markdown(c.source) for c in reference.cells if c.cell_type == "markdown")
    secret = [line for c in solution_cells(reference) for line in solution_lines(c.source) if line not in outside]
    assert secret, "every chapter has code solutions"
    survivors = [line for line in secret if line in text]
    assert not survivors, f"solution code survived in {path.name}: {survivors}"
    # everything else is unchanged
    for r, s in zip(reference.cells, student.cells):
        if r.cell_type == "code" and BEGIN not in r.source:
            assert r.source == s.source
        if r.cell_type == "code" and BEGIN in r.source:      # folded in the book, open for students
            assert "hide-cell" in r.metadata.get("tags", []), f"solution cell {r.id} is not folded in the book"
            assert "hide-cell" not in s.metadata.get("tags", [])
        if r.cell_type == "markdown" and "{solution}" not in r.source:
            assert r.source == s.source


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_checkers_pass_the_reference_and_fail_the_stub_helpfully(path, student_dir):
    reference = nbformat.read(path, as_version=4).cells
    student = nbformat.read(student_dir / path.name, as_version=4).cells
    checked = 0
    for ref_cell, stub_cell in zip(reference, student):
        if ref_cell.cell_type != "code" or BEGIN not in ref_cell.source:
            continue
        for (name, check, fn), (_, _, stub) in zip(run_checks(ref_cell.source), run_checks(stub_cell.source)):
            if name != "check_lab":   # a lab's reference trains models: nbval runs it in the notebook
                check(fn)             # raises ExerciseError if it rejects the reference solution
            with pytest.raises(exercises.ExerciseError, match="NotImplementedError.*Replace the stub"):
                check(stub)
            checked += 1
    assert checked >= 1, f"{path.name} needs at least one code exercise with a check_* call"


def test_every_checker_is_used_by_a_chapter():
    used, used_labs = set(), set()
    for path in NOTEBOOKS:
        for cell in solution_cells(nbformat.read(path, as_version=4)):
            calls = checker_calls(cell.source)
            used |= {name for name, _, _ in calls if name != "check_lab"}
            used_labs |= {rest[0] for name, _, rest in calls if name == "check_lab"}
    defined = {n for n in dir(exercises) if n.startswith("check_")}
    assert defined == used, f"checkers no chapter calls: {defined - used}; calls to missing ones: {used - defined}"
    assert used_labs == set(labs.LABS), f"labs no chapter checks: {set(labs.LABS) - used_labs}"


def test_every_chapter_has_three_exercises_with_dropdown_solutions():
    for path in NOTEBOOKS:
        text = "\n".join(c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "markdown")
        labels = re.findall(r"^:::\{exercise\}\n:label: (\S+)", text, re.M)
        solved = re.findall(r"^:::\{solution\} (\S+)\n:class: dropdown", text, re.M)
        assert len(labels) >= 3, f"{path.name}: {len(labels)} exercises"
        assert set(labels) == set(solved), f"{path.name}: exercises without a dropdown solution: {set(labels) - set(solved)}"


def test_stub_keeps_the_indentation_and_the_code_around_it():
    src = f"def f(x):\n    {BEGIN}\n    return x + 1\n    {END}\n\ncheck(f)"
    out = strip_code(src)
    assert "return x + 1" not in out and out.endswith("check(f)")
    namespace = {}
    exec(out.replace("check(f)", ""), namespace)
    with pytest.raises(NotImplementedError):
        namespace["f"](1)


@pytest.mark.parametrize("src, match", [
    (f"{BEGIN}\nx = 1", "never closed"),
    (f"x = 1\n{END}", "without"),
    (f"{BEGIN}\n{BEGIN}\n{END}", "second"),
])
def test_unpaired_markers_are_reported(src, match):
    with pytest.raises(SolutionMarkupError, match=match):
        strip_code(src, "demo.ipynb, cell 3")


def test_markdown_keeps_the_exercise_and_drops_the_solution():
    md = ":::{exercise}\n:label: e\n\nDo it.\n:::\n\n:::{solution} e\n:class: dropdown\n\nDone.\n:::\n\nAfter."
    assert strip_markdown(md) == ":::{exercise}\n:label: e\n\nDo it.\n:::\n\nAfter."


def test_make_student_refuses_an_empty_folder(tmp_path):
    with pytest.raises(FileNotFoundError, match="no notebooks"):
        make_student(tmp_path, tmp_path / "out")
