"""Canvas and Moodle grade-import files, read back by the rules each LMS documents.

Each written file is compared with a sample file in that LMS's documented format
(tests/fixtures/lms/, sources in autograder/lms.py) and then "imported" by a reader
that follows the documented rules: the user columns and their order, how a student is
matched, which columns are grades, the Points Possible row.
"""

from __future__ import annotations

import csv
import os
import sys
from pathlib import Path

import pytest

from autograder import lms
from autograder.lms import ClassGrades, StudentInfo

FIXTURES = Path(__file__).parent / "fixtures" / "lms"

GRADES = ClassGrades(
    students=[
        StudentInfo("alice", "Alice", "Zhang", "Alice.Zhang@example.edu", "9001"),
        StudentInfo("bob", "Bob", "Li, Jr.", "bob@example.edu", ""),
        StudentInfo("carol"),  # nothing but the login known
    ],
    chapters=["01_convolution", "02_padding_stride"],
    max_scores={"01_convolution": 30.0, "02_padding_stride": 25.0},
    scores={
        ("alice", "01_convolution"): 30.0,
        ("alice", "02_padding_stride"): 12.5,
        ("bob", "01_convolution"): 7.0,
        ("carol", "02_padding_stride"): 0.0,
    },
)


def _rows(path):
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.reader(fh))


# --------------------------------------------------------------------------- Canvas


def canvas_import(path):
    """Read a Canvas Gradebook import file as Canvas's guide describes it.

    Returns ``{student key: {assignment: score or None}}`` and ``{assignment: points}``.
    """
    sample_header = _rows(FIXTURES / "canvas_gradebook_export.csv")[0]
    header, *rows = _rows(path)
    user_columns = sample_header[:5]
    assert header[:5] == user_columns, "the user columns of Canvas's export, in order"
    assignments = header[5:]
    read_only = {"Current Score", "Unposted Current Score", "Final Score", "Unposted Final Score"}
    assert not read_only & set(assignments)
    points = {}
    if rows and rows[0][0].strip() == "Points Possible":
        points = {a: float(v) for a, v in zip(assignments, rows[0][5:], strict=True)}
        rows = rows[1:]
    students = {}
    for row in rows:
        assert len(row) == len(header)
        name, canvas_id, sis_user, sis_login, _section = row[:5]
        key = canvas_id or sis_user or sis_login or name  # Canvas matches on one of these
        assert key, f"row matches no student: {row}"
        grades = {}
        for a, v in zip(assignments, row[5:], strict=True):
            grades[a] = None if v == "" else float(v)  # empty: grade left unchanged
            if grades[a] is not None and a in points:
                assert 0 <= grades[a] <= points[a]
        students[key] = grades
    return students, points


def test_canvas_sample_is_read_by_the_reader():
    # the reader accepts the documented sample itself, so it checks the format, not our file
    students, points = canvas_import(FIXTURES / "canvas_gradebook_export_grades_only.csv")
    assert points == {"Homework 1 (1001)": 10.0}
    assert students == {"4321": {"Homework 1 (1001)": 8.0}, "4322": {"Homework 1 (1001)": None}}


def test_canvas_file(tmp_path):
    path = lms.write_canvas_csv(GRADES, tmp_path / "canvas.csv", section="CNN 2026")
    students, points = canvas_import(path)
    assert points == {"01_convolution": 30.0, "02_padding_stride": 25.0}
    assert students["9001"] == {"01_convolution": 30.0, "02_padding_stride": 12.5}
    assert students["bob"] == {"01_convolution": 7.0, "02_padding_stride": None}
    assert students["carol"] == {"01_convolution": None, "02_padding_stride": 0.0}
    rows = _rows(path)
    assert rows[2][0] == "Zhang, Alice" and rows[3][0] == "Li, Jr., Bob"  # quoted commas
    assert {r[4] for r in rows[2:]} == {"CNN 2026"}


def test_canvas_file_into_existing_assignments(tmp_path):
    titles = {"01_convolution": "Chapter 1 (1001)"}
    path = lms.write_canvas_csv(GRADES, tmp_path / "canvas.csv", titles=titles)
    assert _rows(path)[0][5:] == ["Chapter 1 (1001)", "02_padding_stride"]
    with pytest.raises(ValueError, match="titles"):
        lms.write_canvas_csv(GRADES, tmp_path / "x.csv", titles={"99_nope": "x"})


# --------------------------------------------------------------------------- Moodle

MOODLE_IDENTIFIERS = {  # "Map from" column -> "Map to" user field, as Moodle's docs list them
    "Username": "username",
    "Email address": "useremail",
    "ID number": "useridnumber",
}


def moodle_import(path, map_from, users):
    """Import as Moodle's CSV grade import does, with ``map_from`` mapped to its user field.

    ``users`` are Moodle's accounts (dicts of user fields); returns ``{username: {column:
    grade}}`` for the columns mapped to grade items (every non-profile column here).
    """
    sample_header = _rows(FIXTURES / "moodle_grade_export.csv")[0]
    profile = set(sample_header[:6]) | {"Username"}
    header, *rows = _rows(path)
    assert map_from in header
    field = MOODLE_IDENTIFIERS[map_from]
    grade_columns = [c for c in header if c not in profile]
    assert grade_columns, "no grade columns"
    imported = {}
    for row in rows:
        assert len(row) == len(header)
        value = dict(zip(header, row, strict=True))
        # exact comparison: Moodle compares e-mail addresses case-sensitively
        user = next((u for u in users if u[field] == value[map_from]), None)
        assert user is not None, f"{map_from}={value[map_from]!r} matches no Moodle user"
        imported[user["username"]] = {
            c: None if value[c] in ("", "-") else float(value[c]) for c in grade_columns
        }
    return imported


MOODLE_USERS = [
    {"username": "alice", "useremail": "Alice.Zhang@example.edu", "useridnumber": "alice"},
    {"username": "bob", "useremail": "bob@example.edu", "useridnumber": "bob"},
    {"username": "carol", "useremail": "", "useridnumber": "carol"},
]


def test_moodle_sample_is_read_by_the_reader():
    users = [
        {"username": "jdoe", "useremail": "Jane.Doe@example.edu", "useridnumber": "S001"},
        {"username": "rroe", "useremail": "rroe@example.edu", "useridnumber": "S002"},
    ]
    got = moodle_import(FIXTURES / "moodle_grade_export.csv", "ID number", users)
    assert got["jdoe"]["Assignment: Homework 1 (Real)"] == 8.0
    assert got["rroe"]["Assignment: Homework 1 (Real)"] is None


@pytest.mark.parametrize("map_from", ["Username", "ID number"])
def test_moodle_file(tmp_path, map_from):
    path = lms.write_moodle_csv(GRADES, tmp_path / "moodle.csv")
    header = _rows(path)[0]
    sample_profile = _rows(FIXTURES / "moodle_grade_export.csv")[0][:6]
    assert [c for c in header if c in sample_profile] == sample_profile  # same names, order
    got = moodle_import(path, map_from, MOODLE_USERS)
    assert got == {
        "alice": {"01_convolution": 30.0, "02_padding_stride": 12.5},
        "bob": {"01_convolution": 7.0, "02_padding_stride": None},
        "carol": {"01_convolution": None, "02_padding_stride": 0.0},
    }


def test_moodle_file_by_email_keeps_its_case(tmp_path):
    path = lms.write_moodle_csv(GRADES, tmp_path / "moodle.csv")
    users = [u for u in MOODLE_USERS if u["useremail"]]
    rows = [r for r in _rows(path) if r[6]]  # carol has no e-mail
    (tmp_path / "with_email.csv").write_text(
        "\n".join(",".join(f'"{c}"' for c in r) for r in [_rows(path)[0], *rows[1:]]) + "\n"
    )
    got = moodle_import(tmp_path / "with_email.csv", "Email address", users)
    assert got["alice"]["01_convolution"] == 30.0


def test_scores_are_written_as_plain_numbers():
    assert [lms._number(v) for v in (30.0, 12.5, 0.0, 1 / 3, None)] == [
        "30",
        "12.5",
        "0",
        "0.33",
        "",
    ]


# --------------------------------------------------------------------------- gradebook


def _gradebook(course):
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", "cnn-course") as gb:
        for chapter, points in (("01_convolution", (10, 20)), ("02_padding_stride", (5,))):
            gb.add_assignment(chapter)
            gb.add_notebook(chapter, chapter)
            for i, p in enumerate(points):
                gb.add_grade_cell(f"c{i}", chapter, chapter, max_score=p, cell_type="code")
        gb.add_student("alice", first_name="Alice", last_name="Zhang", email="a@x.edu")
        gb.add_student("bob")
        gb.add_submission("01_convolution", "alice")
        gb.add_submission("02_padding_stride", "bob")
        gb.find_grade("c0", "01_convolution", "01_convolution", "alice").auto_score = 10
        grade = gb.find_grade("c1", "01_convolution", "01_convolution", "alice")
        grade.auto_score, grade.manual_score = 3, 15  # a score edited in Formgrader wins
        gb.find_grade("c0", "02_padding_stride", "02_padding_stride", "bob").auto_score = 2.5
        gb.db.commit()


# nbgrader's add_submission trips SQLAlchemy's autoflush warning (a RuntimeWarning)
@pytest.mark.filterwarnings("ignore::sqlalchemy.exc.SAWarning")
def test_read_gradebook(tmp_path, monkeypatch):
    """Chapter totals come from nbgrader's gradebook, manual scores included."""
    # a new gradebook runs nbgrader's alembic, installed beside this interpreter
    monkeypatch.setenv("PATH", f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")

    course = tmp_path / "course"
    course.mkdir()
    _gradebook(course)
    grades = lms.read_gradebook(course)
    assert [s.id for s in grades.students] == ["alice", "bob"]
    assert grades.students[0].email == "a@x.edu"
    assert grades.max_scores == {"01_convolution": 30, "02_padding_stride": 5}
    assert grades.scores == {("alice", "01_convolution"): 25, ("bob", "02_padding_stride"): 2.5}


@pytest.mark.filterwarnings("ignore::sqlalchemy.exc.SAWarning")
def test_export_command_with_course_dir_after_the_command(tmp_path, monkeypatch):
    """python -m autograder export --course-dir X --canvas-to ... --moodle-to ..."""
    from autograder import __main__ as cli
    from autograder import grade

    monkeypatch.setenv("PATH", f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    course = tmp_path / "course"
    course.mkdir()
    _gradebook(course)
    seen = []  # nbgrader's own CSV exports are not under test here
    monkeypatch.setattr(grade, "export_csv", lambda d, p: seen.append(d) or p)
    monkeypatch.setattr(grade, "export_checks_csv", lambda d, p: seen.append(d) or p)
    canvas, moodle = tmp_path / "canvas.csv", tmp_path / "moodle.csv"
    argv = ["export", "--course-dir", str(course), "--canvas-to", str(canvas)]
    assert cli.main([*argv, "--moodle-to", str(moodle), "--section", "A"]) == 0
    assert seen == [course.resolve()] * 2
    students, points = canvas_import(canvas)
    assert students["alice"] == {"01_convolution": 25.0, "02_padding_stride": None}
    assert moodle_import(moodle, "Username", MOODLE_USERS)["bob"]["02_padding_stride"] == 2.5
    # before the command, as before
    assert cli.main(["--course-dir", str(course), "export", "--to", "x.csv"]) == 0
    assert seen[-1] == course.resolve()
