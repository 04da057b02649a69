"""The student workspace: a course update reaches work/ and never overwrites what was written."""

from __future__ import annotations

import copy
import json
import subprocess
import sys

import nbformat
import pytest

from cnnkit.workspace import merge, sync
from tests.conftest import REPO

NB = "01_convolution.ipynb"


def _course_nb(*cells):
    """A release-like notebook: (kind, source, grade_id or None, solution?) per cell."""
    nb = nbformat.v4.new_notebook()
    for i, (kind, source, grade_id, solution) in enumerate(cells):
        new = nbformat.v4.new_code_cell if kind == "code" else nbformat.v4.new_markdown_cell
        meta = {}
        if grade_id:
            meta["nbgrader"] = {"grade_id": grade_id, "solution": solution, "grade": not solution}
        cell = new(source, metadata=meta)
        cell["id"] = grade_id.replace("_", "-") if grade_id else f"cell-{i:03d}"
        nb.cells.append(cell)
    return nb


V1 = [
    ("markdown", "# Chapter\nConvolution (卷积) is a sum of prodcts.", None, False),
    ("code", "import numpy as np", None, False),
    ("code", "def f(x):\n    # YOUR CODE HERE\n    raise NotImplementedError()", "f", True),
    ("code", "assert f(1) == 2", "f_test", False),
    ("markdown", "The end.", None, False),
]


def _v2():
    """The course's next version: a typo fixed, a cell inserted before the exercise, a new
    exercise at the end (so every plain cell after the insertion changes position)."""
    cells = list(V1)
    cells[0] = ("markdown", "# Chapter\nConvolution (卷积) is a sum of products.", None, False)
    cells.insert(1, ("markdown", "A new paragraph.", None, False))
    cells.append(("code", "def g(x):\n    raise NotImplementedError()", "g", True))
    cells.append(("code", "assert g(1) == 3", "g_test", False))
    return _course_nb(*cells)


def _student_copy(base):
    mine = copy.deepcopy(base)
    mine.cells[2].source = "def f(x):\n    return 2 * x  # my answer"
    mine.cells[2].outputs = []
    added = nbformat.v4.new_code_cell("print('my scratch work')")
    added["id"] = "a1b2c3d4"
    mine.cells.insert(3, added)
    return mine


def _sources(nb):
    return [c.source for c in nb.cells]


def test_update_keeps_answers_and_added_cells_and_takes_the_course_fix():
    base = _course_nb(*V1)
    merged, notes = merge(base, _student_copy(base), _v2())
    src = _sources(merged)
    assert "def f(x):\n    return 2 * x  # my answer" in src
    assert (
        src.index("print('my scratch work')")
        == src.index("def f(x):\n    return 2 * x  # my answer") + 1
    ), "an added cell stays after the cell it followed"
    assert "Convolution (卷积) is a sum of products." in src[0], "the typo fix reached the copy"
    assert "A new paragraph." in src and "assert g(1) == 3" in src
    assert notes == []
    nbformat.validate(merged)


def test_an_edited_locked_cell_is_kept_and_the_conflict_named():
    base = _course_nb(*V1)
    mine = _student_copy(base)
    mine.cells[0].source = "# Chapter\nMy own notes on 卷积."
    merged, notes = merge(base, mine, _v2())
    assert merged.cells[0].source == "# Chapter\nMy own notes on 卷积."
    assert len(notes) == 1 and "you edited it and the course changed it" in notes[0]


def test_a_cell_removed_by_the_course_is_kept_when_the_student_wrote_in_it():
    base = _course_nb(*V1)
    mine = _student_copy(base)
    mine.cells[-1].source = "The end. My summary: it worked."
    v2 = _course_nb(*V1[:-1])
    merged, notes = merge(base, mine, v2)
    assert "The end. My summary: it worked." in _sources(merged)
    assert any("removed from the course" in n for n in notes)


def test_without_a_base_nothing_the_student_wrote_is_lost():
    mine = _student_copy(_course_nb(*V1))
    merged, _ = merge(None, mine, _v2())
    src = _sources(merged)
    for cell in mine.cells:
        assert cell.source in src
    assert len({c["id"] for c in merged.cells}) == len(merged.cells)


def _write(nb, path):
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)


def test_sync_adds_new_chapters_backs_up_and_is_idempotent(tmp_path):
    course, work = tmp_path / "notebooks", tmp_path / "work"
    _write(_course_nb(*V1), course / "01_a.ipynb")
    assert sync(course, work, log=lambda *a: None) == {"01_a.ipynb": "added"}
    mine = _student_copy(nbformat.read(work / "01_a.ipynb", as_version=4))
    _write(mine, work / "01_a.ipynb")
    before = (work / "01_a.ipynb").read_bytes()

    _write(_v2(), course / "01_a.ipynb")
    _write(_course_nb(*V1), course / "02_b.ipynb")
    done = sync(course, work, log=lambda *a: None)
    assert done["02_b.ipynb"] == "added" and done["01_a.ipynb"].startswith("updated")
    backups = list((work / ".course" / "backup").glob("*/01_a.ipynb"))
    assert len(backups) == 1 and backups[0].read_bytes() == before
    after = (work / "01_a.ipynb").read_bytes()
    assert "my answer" in after.decode() and "sum of products" in after.decode()

    again = sync(course, work, log=lambda *a: None)
    assert set(again.values()) == {"unchanged"}
    assert (work / "01_a.ipynb").read_bytes() == after


@pytest.mark.parametrize("chapter", sorted(p.name for p in (REPO / "notebooks").glob("*.ipynb")))
def test_real_chapters_every_answer_survives_a_course_change(chapter, tmp_path):
    """On each real notebook: answer every solution cell, add a cell, then let the course
    insert a cell at the top and fix text everywhere; every answer and the added cell
    survive and every course change arrives."""
    real = nbformat.read(REPO / "notebooks" / chapter, as_version=4)
    mine = copy.deepcopy(real)
    answers = []
    for k, cell in enumerate(mine.cells):
        if cell.get("metadata", {}).get("nbgrader", {}).get("solution"):
            cell.source = f"answer_{k} = {k}  # mine"
            answers.append(cell.source)
    scratch = nbformat.v4.new_code_cell("scratch = 'mine'")
    mine.cells.insert(5, scratch)
    new = copy.deepcopy(real)
    intro = nbformat.v4.new_markdown_cell("New introduction.")
    intro["id"] = "cell-new"
    new.cells.insert(0, intro)
    fixed = 0
    for cell in new.cells:
        if cell.cell_type == "markdown" and "nbgrader" not in cell.metadata and cell is not intro:
            cell.source += "\n\n(fixed)"
            fixed += 1
    merged, notes = merge(real, mine, new)
    src = _sources(merged)
    assert answers and all(a in src for a in answers)
    assert "scratch = 'mine'" in src
    assert src[0] == "New introduction."
    assert sum(s.endswith("(fixed)") for s in src) == fixed
    assert notes == []
    nbformat.validate(merged)


def test_course_sh_workspace_uses_sync(tmp_path):
    """The command line the setup script calls works on the repository's notebooks."""
    work = tmp_path / "work"
    cmd = [sys.executable, "-m", "cnnkit.workspace", str(REPO / "notebooks"), str(work), "-q"]
    first = subprocess.run(cmd, capture_output=True, text=True, check=True)
    assert first.stdout.count(": added") == len(list((REPO / "notebooks").glob("*.ipynb")))
    nb = json.loads((work / NB).read_text())
    nb["cells"][0]["source"] = "edited by me"
    (work / NB).write_text(json.dumps(nb))
    second = subprocess.run(cmd, capture_output=True, text=True, check=True)
    assert second.stdout == ""
    assert json.loads((work / NB).read_text())["cells"][0]["source"] == "edited by me"
    assert (
        "sync" in (REPO / "course.sh").read_text()
        or "cnnkit.workspace" in (REPO / "course.sh").read_text()
    )
