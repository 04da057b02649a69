"""Grades as data: a worker's private gradebook in, one transaction on the course's out.

Workers never open the course gradebook. Each submission is graded by nbgrader into a
private, throw-away SQLite gradebook that holds only the assignment's structure
(``copy_structure``); what nbgrader wrote there is read back as plain data
(``extract``), and the one writer applies it to the course gradebook (``apply``), an
SQLite file or any SQLAlchemy URL nbgrader takes, PostgreSQL included.

``apply`` also records the submission in a ledger table beside nbgrader's, in the same
transaction as the grades: the hash of the submitted files and of the chapter's source.
A later run skips a submission whose hashes are unchanged (``up_to_date``), and a run
killed at any point leaves either the old grade or the new one, never half of each.
"""

from __future__ import annotations

import contextlib
import datetime
import hashlib
import warnings
from pathlib import Path

from nbgrader.api import Gradebook
from sqlalchemy import text
from sqlalchemy.exc import SAWarning


@contextlib.contextmanager
def _gradebook(db_url: str, course_id: str):
    """nbgrader's Gradebook, quiet: its update_or_create_submission trips SQLAlchemy's
    autoflush warnings (inside `nbgrader autograde` too), which say nothing about grades
    and, being RuntimeWarnings, would turn into errors under strict warning filters."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SAWarning)
        with Gradebook(db_url, course_id) as gb:
            yield gb


LEDGER = "autograder_ledger"
LEDGER_DDL = f"""
CREATE TABLE IF NOT EXISTS {LEDGER} (
    student VARCHAR(128) NOT NULL,
    assignment VARCHAR(128) NOT NULL,
    submission_sha256 VARCHAR(64) NOT NULL,
    source_sha256 VARCHAR(64) NOT NULL,
    score FLOAT,
    max_score FLOAT,
    notes TEXT,
    graded_at VARCHAR(32) NOT NULL,
    PRIMARY KEY (student, assignment)
)
"""


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{Path(path).resolve()}"


def files_sha256(directory: Path, pattern: str = "*") -> str:
    """One hash over the names and bytes of the files directly in ``directory``."""
    digest = hashlib.sha256()
    for path in sorted(Path(directory).glob(pattern)):
        if path.is_file():
            digest.update(path.name.encode() + b"\0")
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def copy_structure(src_url: str, dst_url: str, course_id: str, assignments) -> None:
    """Create a gradebook at ``dst_url`` with the assignments' cells and no submissions."""
    with _gradebook(src_url, course_id) as src, _gradebook(dst_url, course_id) as dst:
        for name in assignments:
            a = src.find_assignment(name)
            dst.update_or_create_assignment(name, duedate=a.duedate)
            for nb in a.notebooks:
                dst.update_or_create_notebook(nb.name, name, kernelspec=nb.kernelspec)
                for c in nb.grade_cells:
                    dst.update_or_create_grade_cell(
                        c.name, nb.name, name, max_score=c.max_score, cell_type=c.cell_type
                    )
                for c in nb.solution_cells:
                    dst.update_or_create_solution_cell(c.name, nb.name, name)
                for c in nb.task_cells:
                    dst.update_or_create_task_cell(
                        c.name, nb.name, name, max_score=c.max_score, cell_type=c.cell_type
                    )
                for c in nb.source_cells:
                    dst.update_or_create_source_cell(
                        c.name,
                        nb.name,
                        name,
                        cell_type=c.cell_type,
                        locked=c.locked,
                        source=c.source,
                        checksum=c.checksum,
                    )


def extract(db_url: str, course_id: str, assignment: str, student: str) -> dict:
    """What nbgrader recorded for one submission, as plain data."""
    with _gradebook(db_url, course_id) as gb:
        sub = gb.find_submission(assignment, student)
        notebooks = {}
        for snb in sub.notebooks:
            notebooks[snb.name] = {
                "late_penalty": snb.late_submission_penalty,
                "grades": {g.name: g.auto_score for g in snb.grades},
                "comments": {c.name: c.auto_comment for c in snb.comments},
            }
        return {
            "timestamp": sub.timestamp.isoformat() if sub.timestamp else None,
            "notebooks": notebooks,
        }


def _ensure_ledger(gb: Gradebook) -> None:
    gb.db.execute(text(LEDGER_DDL))


def apply(
    db_url: str,
    course_id: str,
    assignment: str,
    student: str,
    grades: dict,
    submission_sha256: str,
    source_sha256: str,
    notes: str = "",
) -> tuple[float, float]:
    """Write one submission's grades and its ledger row; returns (score, max score).

    Auto scores and comments are replaced; a grader's manual score stays, and, as
    nbgrader does, marks the cell for review.
    """
    with _gradebook(db_url, course_id) as gb:
        gb.update_or_create_student(student)
        kwargs = {}
        if grades.get("timestamp"):
            kwargs["timestamp"] = datetime.datetime.fromisoformat(grades["timestamp"])
        sub = gb.update_or_create_submission(assignment, student, **kwargs)
        for snb in sub.notebooks:
            data = grades["notebooks"].get(snb.name)
            if data is None:  # a notebook nbgrader did not grade: zero, as nbgrader does
                data = {"late_penalty": None, "grades": {}, "comments": {}}
            for grade in snb.grades:
                score = data["grades"].get(grade.name, 0.0)
                grade.auto_score = score
                grade.needs_manual_grade = grade.manual_score is not None or score is None
            for comment in snb.comments:
                comment.auto_comment = data["comments"].get(comment.name)
            snb.late_submission_penalty = data["late_penalty"]
        _ensure_ledger(gb)
        gb.db.execute(
            text(f"DELETE FROM {LEDGER} WHERE student = :s AND assignment = :a"),
            {"s": student, "a": assignment},
        )
        gb.db.flush()
        score, max_score = sub.score, sub.max_score
        gb.db.execute(
            text(f"INSERT INTO {LEDGER} VALUES (:s, :a, :sub, :src, :score, :max, :notes, :at)"),
            {
                "s": student,
                "a": assignment,
                "sub": submission_sha256,
                "src": source_sha256,
                "score": score,
                "max": max_score,
                "notes": notes,
                "at": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            },
        )
        gb.db.commit()
        return score, max_score


def ledger(db_url: str, course_id: str) -> dict:
    """``{(student, assignment): row}`` of every submission graded so far."""
    with _gradebook(db_url, course_id) as gb:
        _ensure_ledger(gb)
        rows = gb.db.execute(text(f"SELECT * FROM {LEDGER}")).mappings().all()
        gb.db.commit()
    return {(r["student"], r["assignment"]): dict(r) for r in rows}


def up_to_date(row: dict | None, submission_sha256: str, source_sha256: str) -> bool:
    return (
        row is not None
        and row["submission_sha256"] == submission_sha256
        and row["source_sha256"] == source_sha256
    )
