"""The grading engine: parallel workers, one writer, incremental regrades, kill -9 safety.

Real nbgrader and the real sandbox on the toy chapter. What must hold: parallel grading
gives the serial scores; each submission has exactly one grade row; an unchanged
submission keeps its grade without being run; a manual score survives a regrade; and a
``kill -9`` of the command or of a worker loses no grade and the next run (or the
redelivered task) finishes the rest.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time

import nbformat
import pytest

from autograder import grade, gradebook_io
from autograder.build import build
from autograder.course import nbgrader_env
from tests.conftest import FIXTURES, REPO, require_sandbox, submit

pytestmark = pytest.mark.slow

EXPECTED = {
    "a_solution": 3,
    "b_stub": 0,
    "c_invalid_json": 0,
    "d_duplicated_cell": 3,
    "e_kills_kernel": 0,
    "f_never_ends": 0,
    "g_partial": 1,
    "h_bad_timestamp": 3,
}


def _fresh_course(root):
    course_dir, out_dir = root / "course", root / "notebooks"
    build(course_dir, out_dir=out_dir, solutions_dir=FIXTURES / "solutions")
    return course_dir, out_dir


def _variant(out_dir, tmp, name, body):
    nb = nbformat.read(out_dir / "01_toy.ipynb", as_version=4)
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("solution"):
            cell.source = body
    path = tmp / f"{name}.ipynb"
    nbformat.write(nb, path)
    return path


def _submit_class(course_dir, out_dir, tmp, sleep=0.0):
    solution = course_dir / "source" / "01_toy" / "01_toy.ipynb"
    good = "def double(x):\n    return 2 * x"
    if sleep:
        solution = _variant(out_dir, tmp, "slow", f"import time\ntime.sleep({sleep})\n{good}")
    submit(course_dir, "a_solution", "01_toy", solution)
    submit(course_dir, "b_stub", "01_toy", out_dir / "01_toy.ipynb")
    bad = tmp / "bad.ipynb"
    bad.write_text('{"cells": [')
    submit(course_dir, "c_invalid_json", "01_toy", bad)
    nb = nbformat.read(course_dir / "source" / "01_toy" / "01_toy.ipynb", as_version=4)
    nb.cells.append(nb.cells[3].copy())
    nbformat.write(nb, tmp / "dup.ipynb")
    submit(course_dir, "d_duplicated_cell", "01_toy", tmp / "dup.ipynb")
    submit(
        course_dir,
        "e_kills_kernel",
        "01_toy",
        _variant(out_dir, tmp, "kill", "import os\nos._exit(1)"),
    )
    submit(
        course_dir,
        "f_never_ends",
        "01_toy",
        _variant(out_dir, tmp, "loop", "while True:\n    pass"),
    )
    partial = "def double(x):\n    return 4 if x == 2 else 0"
    submit(course_dir, "g_partial", "01_toy", _variant(out_dir, tmp, "partial", partial))
    path = submit(course_dir, "h_bad_timestamp", "01_toy", solution)
    (path.parent / "timestamp.txt").write_text("not a time")


def _scores(outcomes):
    return {o.student: o.score for o in outcomes}


def _grade_rows(course_dir):
    from nbgrader.api import Gradebook

    with Gradebook(grade.db_url(course_dir), "cnn-course") as gb:
        subs = [(s.student.id, s.assignment.name) for a in gb.assignments for s in a.submissions]
    return subs


@pytest.fixture(scope="module")
def classes(tmp_path_factory):
    """The same class graded serially (1 worker) and in parallel (2 workers)."""
    require_sandbox()
    out = {}
    for workers in (1, 2):
        root = tmp_path_factory.mktemp(f"w{workers}")
        course_dir, out_dir = _fresh_course(root)
        _submit_class(course_dir, out_dir, root)
        outcomes = grade.autograde(
            course_dir, workers=workers, cell_timeout=6, timeout=120, log=lambda *a: None
        )
        out[workers] = (course_dir, out_dir, outcomes)
    return out


def test_parallel_scores_equal_serial_and_expected(classes):
    serial, parallel = _scores(classes[1][2]), _scores(classes[2][2])
    assert serial == EXPECTED
    assert parallel == serial
    assert all(o.ok and o.status == "graded" for o in classes[2][2])
    bad = {o.student: o.message for o in classes[2][2]}["h_bad_timestamp"]
    assert "timestamp.txt is not a time" in bad


def test_exactly_one_grade_row_per_submission(classes):
    course_dir = classes[2][0]
    rows = _grade_rows(course_dir)
    assert sorted(rows) == sorted((s, "01_toy") for s in EXPECTED)
    ledger = gradebook_io.ledger(grade.db_url(course_dir), "cnn-course")
    assert {k: r["score"] for k, r in ledger.items()} == {
        (s, "01_toy"): v for s, v in EXPECTED.items()
    }


def test_unchanged_submissions_keep_their_grade_and_changed_ones_are_regraded(classes):
    course_dir, out_dir, _ = classes[2]
    again = grade.autograde(course_dir, cell_timeout=6, log=lambda *a: None)
    assert {o.status for o in again} == {"unchanged"}
    assert _scores(again) == EXPECTED
    # The stub student submits the solution: only that one is graded again.
    submit(course_dir, "b_stub", "01_toy", course_dir / "source" / "01_toy" / "01_toy.ipynb")
    changed = grade.autograde(course_dir, cell_timeout=6, log=lambda *a: None)
    assert {o.student for o in changed if o.status == "graded"} == {"b_stub"}
    assert _scores(changed)["b_stub"] == 3
    forced = grade.autograde(
        course_dir, students=["a_solution", "g_partial"], force=True, log=lambda *a: None
    )
    assert [(o.student, o.status, o.score) for o in forced] == [
        ("a_solution", "graded", 3),
        ("g_partial", "graded", 1),
    ]
    assert len(_grade_rows(course_dir)) == len(EXPECTED)


def test_a_changed_chapter_source_regrades(classes, monkeypatch):
    course_dir = classes[1][0]
    monkeypatch.setattr(grade, "source_sha256", lambda *a: "a new version of the chapter")
    outcomes = grade.autograde(course_dir, students=["a_solution"], log=lambda *a: None)
    assert [(o.status, o.score) for o in outcomes] == [("graded", 3)]


def test_a_manual_score_survives_a_regrade(classes):
    from nbgrader.api import Gradebook

    course_dir = classes[1][0]
    with Gradebook(grade.db_url(course_dir), "cnn-course") as gb:
        g = gb.find_grade("double_hidden", "01_toy", "01_toy", "g_partial")
        g.manual_score = 2.0
        gb.db.commit()
    (outcome,) = grade.autograde(
        course_dir, students=["g_partial"], force=True, log=lambda *a: None
    )
    assert outcome.score == 3  # 1 auto (visible) + 2 manual (hidden)
    with Gradebook(grade.db_url(course_dir), "cnn-course") as gb:
        g = gb.find_grade("double_hidden", "01_toy", "01_toy", "g_partial")
        assert (g.auto_score, g.manual_score, g.needs_manual_grade) == (0.0, 2.0, True)


def _command(course_dir, *extra):
    cmd = [sys.executable, "-m", "autograder", "--course-dir", str(course_dir), "autograde"]
    cmd += ["--cell-timeout", "6"]
    return subprocess.Popen(
        [*cmd, *extra],
        cwd=REPO,
        env=nbgrader_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _children(pid: int) -> list[int]:
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = open(f"/proc/{entry}/stat").read()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                out.append(int(entry))
    return out


def _descendants(pid: int) -> list[int]:
    out = []
    for child in _children(pid):
        out += [child, *_descendants(child)]
    return out


def _wait_for(condition, timeout=180):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if condition():
            return True
        time.sleep(0.2)
    return False


def test_kill_9_of_the_command_loses_no_grade_and_the_next_run_finishes(tmp_path):
    require_sandbox()
    course_dir, out_dir = _fresh_course(tmp_path)
    _submit_class(course_dir, out_dir, tmp_path)
    url = grade.db_url(course_dir)
    proc = _command(course_dir, "--workers", "1")
    assert _wait_for(lambda: len(gradebook_io.ledger(url, "cnn-course")) >= 2)
    # The fork server, the workers and their sandboxes.
    spawned = _descendants(proc.pid)
    assert len(spawned) >= 2
    proc.kill()
    proc.wait()
    # ... all die with the command.
    assert _wait_for(lambda: not any(os.path.exists(f"/proc/{p}") for p in spawned), 20)
    before = gradebook_io.ledger(url, "cnn-course")
    assert 2 <= len(before) < len(EXPECTED)
    for (student, _), row in before.items():
        assert row["score"] == EXPECTED[student]
    outcomes = grade.autograde(course_dir, cell_timeout=6, log=lambda *a: None)
    assert _scores(outcomes) == EXPECTED
    kept = {o.student for o in outcomes if o.status == "unchanged"}
    assert {s for s, _ in before} <= kept
    assert sorted(_grade_rows(course_dir)) == sorted((s, "01_toy") for s in EXPECTED)


def test_a_worker_killed_mid_task_has_its_task_redelivered(tmp_path):
    require_sandbox()
    course_dir, out_dir = _fresh_course(tmp_path)
    _submit_class(course_dir, out_dir, tmp_path, sleep=4)
    proc = _command(course_dir, "--workers", "2")

    # The first submissions sleep in the sandbox: kill every worker while they do.
    # Workers are the fork server's children, so the command's grandchildren.
    def workers():
        return [w for c in _children(proc.pid) for w in _children(c)]

    assert _wait_for(lambda: len(workers()) >= 2, 180)
    time.sleep(3)
    victims = workers()
    for pid in victims:
        os.kill(pid, signal.SIGKILL)
    out, _ = proc.communicate(timeout=600)
    assert proc.returncode == 0, out
    assert f"{len(EXPECTED)} graded, 0 unchanged" in out
    url = grade.db_url(course_dir)
    ledger = gradebook_io.ledger(url, "cnn-course")
    assert {s: r["score"] for (s, _), r in ledger.items()} == EXPECTED
    assert sorted(_grade_rows(course_dir)) == sorted((s, "01_toy") for s in EXPECTED)
    shutil.rmtree(course_dir)
