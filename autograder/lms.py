"""Grades to a learning management system: Canvas and Moodle grade-import CSV files.

One row per student and one column per chapter (the chapter's total score), beside
nbgrader's own CSV (``nbgrader export``) and the per-check CSV. Students come from
nbgrader's gradebook, whose ``Student`` rows hold ``first_name``, ``last_name``,
``email`` and ``lms_user_id`` (fill them with ``nbgrader db student import`` from the
LMS's class list). A student with no submission of a chapter gets an empty cell: the
LMS leaves that grade as it was, and the instructor decides what a missing chapter costs.

Canvas, "How do I import grades in the Gradebook?" (Canvas Instructor Guide,
community.canvaslms.com/t5/Instructor-Guide/How-do-I-import-grades-in-the-Gradebook/ta-p/807)
and its summary in teaching.resources.osu.edu/toolsets/carmencanvas/guides/
calculating-final-grades/import-csv-file-carmen-grades: the file is the Gradebook's own
export format. Its columns are ``Student`` ("Last, First"), ``ID`` (Canvas's user id),
``SIS User ID``, ``SIS Login ID`` and ``Section`` (a student is matched by one of the
first four), then one column per assignment; a column whose name matches no assignment
creates one. A second row that starts with ``Points Possible`` gives each assignment's
maximum. UTF-8, comma separated.

Moodle, "Grade import" (docs.moodle.org/405/en/Grade_import): the CSV import takes
the format of Moodle's grade export, a header row then one row per user; at import the
instructor maps one identifying column ("Map from") to a user field ("Map to":
``userid``, ``username``, ``useridnumber`` or ``useremail``) and each other column to
a grade item or to a new grade item. Email addresses are compared case-sensitively
there, so they are written exactly as stored. The export's user columns are
``First name``, ``Last name``, ``ID number``, ``Institution``, ``Department`` and
``Email address``; ``Username`` is added here, since it is the hub login.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "CANVAS_USER_COLUMNS",
    "MOODLE_USER_COLUMNS",
    "ClassGrades",
    "StudentInfo",
    "read_gradebook",
    "write_canvas_csv",
    "write_moodle_csv",
]

CANVAS_USER_COLUMNS = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")
MOODLE_USER_COLUMNS = (
    "First name",
    "Last name",
    "ID number",
    "Username",
    "Institution",
    "Department",
    "Email address",
)


@dataclass(frozen=True)
class StudentInfo:
    """A student as nbgrader's gradebook knows them (``id`` is the login)."""

    id: str
    first_name: str = ""
    last_name: str = ""
    email: str = ""
    lms_user_id: str = ""


@dataclass(frozen=True)
class ClassGrades:
    """Chapter totals of a class.

    Attributes
    ----------
    students : list of StudentInfo
    chapters : list of str
        Assignment names, e.g. ``01_convolution``, in order.
    max_scores : dict
        ``{chapter: points possible}``.
    scores : dict
        ``{(student id, chapter): total score}``; absent when not submitted.
    """

    students: list
    chapters: list
    max_scores: dict
    scores: dict


def read_gradebook(course_dir, course_id="cnn-course"):
    """Read a course's ``gradebook.db`` into a `ClassGrades`."""
    from nbgrader.api import Gradebook

    from autograder.grade import db_url

    with Gradebook(db_url(Path(course_dir).resolve()), course_id) as gb:
        students = [
            StudentInfo(
                s.id, s.first_name or "", s.last_name or "", s.email or "", s.lms_user_id or ""
            )
            for s in sorted(gb.students, key=lambda s: s.id)
        ]
        chapters = sorted(a.name for a in gb.assignments)
        max_scores = {a.name: a.max_score for a in gb.assignments}
        scores = {}
        for chapter in chapters:
            for sub in gb.assignment_submissions(chapter):
                scores[(sub.student.id, chapter)] = sub.score
    return ClassGrades(students, chapters, max_scores, scores)


def _number(value):
    """A score as the LMS reads it: no trailing ``.0``, at most 2 decimals."""
    if value is None:
        return ""
    value = round(float(value), 2)
    return str(int(value)) if value.is_integer() else f"{value:g}"


def _check_columns(grades, titles):
    if titles is None:
        return {c: c for c in grades.chapters}
    unknown = set(titles) - set(grades.chapters)
    if unknown:
        raise ValueError(
            f"titles names chapters not in the gradebook: {sorted(unknown)}; "
            f"expected some of {grades.chapters}"
        )
    return {c: titles.get(c, c) for c in grades.chapters}


def write_canvas_csv(grades, path, *, section="", titles=None):
    """Write a Canvas Gradebook import file; return its path.

    Parameters
    ----------
    grades : ClassGrades
    path : str or os.PathLike
    section : str
        Written in every row's ``Section`` column (Canvas requires the column).
    titles : dict, optional
        ``{chapter: Canvas assignment column}``, e.g. ``{"01_convolution": "Chapter 1
        (123)"}`` to fill an existing Canvas assignment (its id in brackets, as Canvas's
        export writes it); by default each chapter's name, which creates the assignment.
    """
    names = _check_columns(grades, titles)
    path = Path(path)
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow([*CANVAS_USER_COLUMNS, *(names[c] for c in grades.chapters)])
        writer.writerow(
            [
                "Points Possible",
                "",
                "",
                "",
                "",
                *(_number(grades.max_scores[c]) for c in grades.chapters),
            ]
        )
        for s in grades.students:
            full = ", ".join(n for n in (s.last_name, s.first_name) if n) or s.id
            writer.writerow(
                [
                    full,
                    s.lms_user_id,
                    "",
                    s.id,
                    section,
                    *(_number(grades.scores.get((s.id, c))) for c in grades.chapters),
                ]
            )
    return path


def write_moodle_csv(grades, path, *, titles=None):
    """Write a Moodle grade import file; return its path.

    Map ``Username`` to ``username`` (or ``Email address`` to ``useremail``, ``ID
    number`` to ``useridnumber``) at import, and each chapter column to its grade item.

    Parameters
    ----------
    grades : ClassGrades
    path : str or os.PathLike
    titles : dict, optional
        ``{chapter: column name}``; by default the chapter's name.
    """
    names = _check_columns(grades, titles)
    path = Path(path)
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow([*MOODLE_USER_COLUMNS, *(names[c] for c in grades.chapters)])
        for s in grades.students:
            writer.writerow(
                [
                    s.first_name,
                    s.last_name,
                    s.id,
                    s.id,
                    "",
                    "",
                    s.email,
                    *(_number(grades.scores.get((s.id, c))) for c in grades.chapters),
                ]
            )
    return path
