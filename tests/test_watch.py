"""Grade on submit: the watcher takes in submissions, grades them and writes feedback.

Real nbgrader and the real sandbox on the toy chapter, from both places submissions come
from: a folder of ``<student>/<chapter>.ipynb`` and nbgrader's exchange inbound. A
resubmission replaces the grade (the latest counts) and the earlier one is kept.
"""

from __future__ import annotations

import os
import shutil
import time

import pytest

from autograder import grade, watch
from autograder.build import build
from tests.conftest import FIXTURES, require_sandbox

pytestmark = pytest.mark.slow


def _drop(path, source, age=5.0):
    """Hand in ``source`` as ``path``, written ``age`` seconds ago (settled)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, path)
    when = time.time() - age
    os.utime(path, (when, when))


def _exchange_submit(exchange, student, stamp, source):
    """What ``nbgrader submit`` leaves in the exchange: one folder per submission."""
    folder = exchange / "cnn-course" / "inbound" / f"{student}+01_toy+{stamp}+abc{stamp[-2:]}"
    folder.mkdir(parents=True)
    shutil.copyfile(source, folder / "01_toy.ipynb")
    (folder / "timestamp.txt").write_text(stamp)
    return folder


def test_watch_grades_new_submissions_and_resubmissions_with_feedback(tmp_path):
    require_sandbox()
    course_dir, out_dir = tmp_path / "course", tmp_path / "notebooks"
    build(course_dir, out_dir=out_dir, solutions_dir=FIXTURES / "solutions")
    solution = course_dir / "source" / "01_toy" / "01_toy.ipynb"
    stub = out_dir / "01_toy.ipynb"
    inbound, exchange = tmp_path / "inbound", tmp_path / "exchange"
    # From a folder: a student hands in the stub ...
    _drop(inbound / "folder_student" / "01_toy.ipynb", stub)
    # ... and from the exchange, another hands in the stub and later the solution.
    early, late = "2026-01-01 10:00:00.000000 UTC", "2026-01-01 11:00:00.000000 UTC"
    first = _exchange_submit(exchange, "exchange_student", early, stub)
    last = _exchange_submit(exchange, "exchange_student", late, solution)
    settings = {"cell_timeout": 6, "timeout": 120, "log": lambda *a: None}

    graded = watch.watch(course_dir, inbound=inbound, exchange=exchange, rounds=1, **settings)
    assert {o.student: o.score for o in graded} == {"folder_student": 0, "exchange_student": 3}
    for student in ("folder_student", "exchange_student"):
        page = course_dir / "feedback" / student / "01_toy" / "01_toy.html"
        assert page.is_file()
    # The exchange keeps every submission; the latest was graded.
    assert first.is_dir() and last.is_dir()
    taken = course_dir / "submitted" / "exchange_student" / "01_toy" / "timestamp.txt"
    assert taken.read_text().strip().startswith("2026-01-01 11:00:00")

    # The folder student resubmits the solution: graded again, feedback redone at once,
    # the earlier submission kept; the exchange student, unchanged, is not run again.
    page = course_dir / "feedback" / "folder_student" / "01_toy" / "01_toy.html"
    before = page.stat().st_mtime
    _drop(inbound / "folder_student" / "01_toy.ipynb", solution, age=2.0)
    start = time.monotonic()
    again = watch.watch(course_dir, inbound=inbound, exchange=exchange, rounds=1, **settings)
    took = time.monotonic() - start
    assert [(o.student, o.score) for o in again] == [("folder_student", 3)]
    assert page.stat().st_mtime > before
    print(f"\nresubmission graded with its feedback in {took:.1f} s")
    history = list((course_dir / watch.HISTORY / "folder_student" / "01_toy").iterdir())
    assert len(history) == 1
    assert (history[0] / "01_toy.ipynb").read_bytes() == stub.read_bytes()
    totals = {o.student: o.score for o in grade.autograde(course_dir, log=lambda *a: None)}
    assert totals == {"folder_student": 3, "exchange_student": 3}


def test_a_file_still_being_written_waits_for_the_next_round(tmp_path):
    course_dir = tmp_path / "course"
    (course_dir / "source" / "01_toy").mkdir(parents=True)
    inbound = tmp_path / "inbound"
    _drop(inbound / "s" / "01_toy.ipynb", FIXTURES / "solutions" / "01_toy.py", age=0.0)
    _drop(inbound / "s" / "99_unknown.ipynb", FIXTURES / "solutions" / "01_toy.py")
    assert watch.take_in_folder(course_dir, inbound) == []
    assert watch.take_in_folder(course_dir, inbound, now=time.time() + 5) == [("s", "01_toy")]
    assert watch.take_in_folder(course_dir, inbound, now=time.time() + 5) == []
