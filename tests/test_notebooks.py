"""Every chapter, end to end through real nbgrader.

One course directory is built per test session from ``solutions/``; then for every
chapter the instructor solution and the generated student notebook are submitted
and autograded. The solution must earn full marks with no error and nothing on
stderr anywhere; the student version must run (its only errors are the
``NotImplementedError`` of unfinished exercises) and earn zero on every check; and
``notebooks/`` must be byte-identical to the fresh build.
"""

from __future__ import annotations

import json
import os

import nbformat
import pytest

from autograder import grade
from autograder.build import build
from autograder.course import NOTEBOOKS, assignments
from tests.conftest import submit

pytestmark = pytest.mark.slow

# COURSE_CHAPTERS=01_convolution,02_padding_stride limits a run to some chapters while
# writing them; CI runs all.
CHAPTERS = [c for c in os.environ.get("COURSE_CHAPTERS", "").split(",") if c] or assignments()


@pytest.fixture(scope="session")
def course(tmp_path_factory):
    root = tmp_path_factory.mktemp("course")
    course_dir, out_dir = root / "course", root / "notebooks"
    build(course_dir, CHAPTERS, out_dir=out_dir)
    for chapter in CHAPTERS:
        submit(
            course_dir, "solution", chapter, course_dir / "source" / chapter / f"{chapter}.ipynb"
        )
        submit(course_dir, "student", chapter, out_dir / f"{chapter}.ipynb")
    outcomes = grade.autograde(course_dir, log=lambda *a: None)
    return course_dir, out_dir, {(o.student, o.assignment): o for o in outcomes}


def _grades(course_dir, chapter, student):
    with grade.Gradebook(grade.db_url(course_dir), "cnn-course") as gb:
        sub = gb.find_submission_notebook(chapter, chapter, student)
        return {g.name: (g.score, g.max_score) for g in sub.grades}


def _autograded(course_dir, student, chapter):
    path = course_dir / "autograded" / student / chapter / f"{chapter}.ipynb"
    return nbformat.read(path, as_version=4)


def test_there_are_chapters():
    assert CHAPTERS and all(c in assignments() for c in CHAPTERS)


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_notebooks_match_a_fresh_build(course, chapter):
    _, out_dir, _ = course
    committed = NOTEBOOKS / f"{chapter}.ipynb"
    assert committed.exists(), f"run `python -m autograder build` to create {committed}"
    assert committed.read_bytes() == (out_dir / f"{chapter}.ipynb").read_bytes(), (
        f"notebooks/{chapter}.ipynb drifted from solutions/{chapter}.py: "
        "run `python -m autograder build` and commit the result"
    )


@pytest.mark.skipif("COURSE_CHAPTERS" in os.environ, reason="only some chapters selected")
def test_no_stray_student_notebooks():
    assert sorted(p.stem for p in NOTEBOOKS.glob("*.ipynb")) == CHAPTERS


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_solution_earns_full_marks(course, chapter):
    course_dir, _, outcomes = course
    outcome = outcomes[("solution", chapter)]
    assert outcome.ok, outcome.message
    grades = _grades(course_dir, chapter, "solution")
    assert len(grades) >= 3
    missing = {name: g for name, g in grades.items() if g[0] != g[1]}
    assert not missing, f"checks not at full marks: {missing}"


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_solution_runs_clean(course, chapter):
    course_dir, _, _ = course
    nb = _autograded(course_dir, "solution", chapter)
    for index, cell in enumerate(nb.cells):
        for output in cell.get("outputs", []):
            assert output.output_type != "error", f"cell {index}: {output.ename}: {output.evalue}"
            if output.output_type == "stream":
                assert output.name != "stderr", f"cell {index} wrote to stderr: {output.text[:300]}"


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_student_version_runs_and_earns_zero(course, chapter):
    course_dir, _, outcomes = course
    outcome = outcomes[("student", chapter)]
    assert outcome.ok, outcome.message
    grades = _grades(course_dir, chapter, "student")
    assert grades and all(score == 0 for score, _ in grades.values()), grades
    nb = _autograded(course_dir, "student", chapter)
    errors = [
        (i, o.ename, o.evalue)
        for i, cell in enumerate(nb.cells)
        for o in cell.get("outputs", [])
        if o.output_type == "error"
    ]
    assert errors, "the student version should fail its checks"
    unexpected = [e for e in errors if e[1] != "NotImplementedError"]
    assert not unexpected, f"errors other than NotImplementedError: {unexpected}"


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_no_solution_or_hidden_test_text_in_student_notebooks(course, chapter):
    course_dir, _, _ = course
    source = nbformat.read(course_dir / "source" / chapter / f"{chapter}.ipynb", as_version=4)
    student_text = (NOTEBOOKS / f"{chapter}.ipynb").read_text()
    for marker in ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "autograder.hidden"):
        assert marker not in student_text
    # every line inside a solution or hidden-test region is gone, unless the same line
    # also stands in visible code (a provided helper may share `N, C, H, W = X.shape`)
    visible = set()
    for cell in source.cells:
        inside = False
        for line in cell.source.splitlines():
            inside = ("### BEGIN" in line) or (inside and "### END" not in line)
            if not inside:
                visible.add(line.strip())
    for cell in source.cells:
        inside = False
        for line in cell.source.splitlines():
            if "### BEGIN" in line:
                inside = True
                continue
            if "### END" in line:
                inside = False
                continue
            text = line.strip()
            if inside and len(text) > 12 and not text.startswith("#") and text not in visible:
                assert json.dumps(text)[1:-1] not in student_text, line


def test_committed_notebooks_have_no_outputs():
    import subprocess

    files = subprocess.run(
        ["git", "ls-files", "*.ipynb"], capture_output=True, text=True, cwd=NOTEBOOKS.parent
    ).stdout.split()
    assert files, "no notebooks tracked"
    for f in files:
        nb = json.loads((NOTEBOOKS.parent / f).read_text())
        for cell in nb["cells"]:
            if cell["cell_type"] == "code":
                assert cell["outputs"] == [] and cell["execution_count"] is None, f
