"""Each answer lives once: the references are the solution cells, not a second copy."""

from __future__ import annotations

import ast
import importlib

import jupytext
import pytest

from autograder.course import SOLUTIONS, assignments
from autograder.release import _bodies
from tests.conftest import REPO

REFERENCES = sorted((REPO / "autograder" / "reference").glob("ch[0-9][0-9]_*.py"))


def _solution_names(chapter: str) -> set:
    nb = jupytext.read(SOLUTIONS / f"{chapter}.py", fmt="py:percent")
    names = set()
    for cell in nb.cells:
        if cell.cell_type == "code" and cell.metadata.get("nbgrader", {}).get("solution"):
            tree = ast.parse(cell.source)
            names |= {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}
    return names


def _chapter_of(path) -> str:
    number = path.stem[2:4]
    return next(c for c in assignments() if c.startswith(number))


def test_every_chapter_has_a_reference():
    assert len(REFERENCES) == len(assignments()) >= 6


@pytest.mark.parametrize("path", REFERENCES, ids=lambda p: p.stem)
def test_reference_answers_are_the_solution_cells(path):
    chapter = _chapter_of(path)
    module = importlib.import_module(f"autograder.reference.{path.stem}")
    names = _solution_names(chapter)
    assert names, chapter
    for name in names:
        func = getattr(module, name, None)
        if func is None:
            continue  # not needed by the hidden tests
        assert func.__code__.co_filename == f"<solutions/{chapter}.py>", (
            f"{path.name} defines its own {name}: take it from the solution cells instead"
        )


@pytest.mark.parametrize("path", REFERENCES, ids=lambda p: p.stem)
def test_no_reference_body_repeats_a_solution_body(path):
    chapter = _chapter_of(path)
    nb = jupytext.read(SOLUTIONS / f"{chapter}.py", fmt="py:percent")
    solution_bodies = {}
    for cell in nb.cells:
        if cell.cell_type == "code" and cell.metadata.get("nbgrader", {}).get("solution"):
            solution_bodies.update(_bodies(ast.parse(cell.source)))
    mine = _bodies(ast.parse(path.read_text()))
    repeated = sorted(mine[k] for k in mine if k in solution_bodies)
    assert not repeated, f"{path.name} repeats the solution of {repeated}"


def test_the_check_can_fail(tmp_path, monkeypatch):
    # A reference that writes its own conv1d is caught by the body comparison.
    source = (SOLUTIONS / "01_convolution.py").read_text()
    start = source.index("def conv1d(")
    copy = source[start : source.index("\n\n\n", start)].replace("### BEGIN SOLUTION", "")
    bodies = _bodies(ast.parse(copy))
    nb = jupytext.read(SOLUTIONS / "01_convolution.py", fmt="py:percent")
    solution = {}
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("solution"):
            solution.update(_bodies(ast.parse(cell.source)))
    assert any(k in solution for k in bodies)
