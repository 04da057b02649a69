"""Instructor grading steps over an nbgrader course directory.

nbgrader does the work; this module runs it one submission at a time, in its own
process with a time limit, so a broken or malicious notebook (invalid JSON, a
duplicated grade cell, a kernel that dies or never returns) is reported and skipped
while every other submission is still graded.
"""

from __future__ import annotations

import csv
import json
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from nbgrader.api import Gradebook, MissingEntry

from autograder.course import run_nbgrader


@dataclass
class Outcome:
    """What happened to one (student, assignment) submission."""

    student: str
    assignment: str
    ok: bool
    score: float | None = None
    max_score: float | None = None
    message: str = ""


def db_url(course_dir: Path) -> str:
    return f"sqlite:///{Path(course_dir).resolve() / 'gradebook.db'}"


def submissions(course_dir: Path, chapters=None, students=None) -> list[tuple[str, str]]:
    """(student, assignment) pairs found under ``submitted/<student>/<assignment>/``."""
    root = Path(course_dir) / "submitted"
    pairs = []
    for student_dir in sorted(p for p in root.glob("*") if p.is_dir()):
        if students and student_dir.name not in students:
            continue
        for assignment_dir in sorted(p for p in student_dir.glob("*") if p.is_dir()):
            if chapters and assignment_dir.name not in chapters:
                continue
            pairs.append((student_dir.name, assignment_dir.name))
    return pairs


def precheck(submission_dir: Path, expected: list[str]) -> str | None:
    """Return why a submission cannot be graded as it stands, or None if it looks sound.

    Catches, before nbgrader starts, what would otherwise surface as a traceback in
    the middle of a run: unreadable notebooks and grade cells that appear twice.
    """
    for name in expected:
        path = submission_dir / name
        if not path.exists():
            return f"missing {name}"
        try:
            nb = json.loads(path.read_text(encoding="utf-8"))
            cells = nb["cells"]
        except Exception as exc:
            return f"{name} is not a readable notebook ({type(exc).__name__}: {exc})"
        ids = [
            (c.get("metadata") or {}).get("nbgrader", {}).get("grade_id")
            for c in cells
            if isinstance(c, dict)
        ]
        ids = [i for i in ids if i]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            return f"{name} has duplicated grade cells {dupes} (copied cells?)"
    return None


def _score(course_dir: Path, course_id: str, assignment: str, student: str):
    with Gradebook(db_url(course_dir), course_id) as gb:
        sub = gb.find_submission(assignment, student)
        return sub.score, sub.max_score


def backup_gradebook(course_dir: Path) -> Path | None:
    """Copy gradebook.db aside before a run, so no run can lose an earlier grade."""
    db = Path(course_dir) / "gradebook.db"
    if not db.exists():
        return None
    stamp = time.strftime("%Y%m%d-%H%M%S")
    backup_dir = Path(course_dir) / "gradebook-backups"
    backup_dir.mkdir(exist_ok=True)
    target = backup_dir / f"gradebook-{stamp}.db"
    shutil.copy2(db, target)
    return target


# Code in a solution cell that has no business in an exercise answer: reaching into
# the grader, the kernel or other modules' globals. Such submissions are still graded,
# and flagged for a person to look at.
SUSPICIOUS = {
    "autograder": "imports or touches the autograder",
    "get_ipython": "drives the IPython kernel",
    "showtraceback": "changes how errors are shown",
    "sys.modules": "reaches into loaded modules",
    "builtins": "changes Python's builtins",
    "gradebook": "mentions the gradebook",
    "__code__": "rewrites function code",
    "os.remove": "deletes files",
    "shutil": "moves or deletes files",
    "subprocess": "runs programs",
    "os.system": "runs programs",
    "os._exit": "kills the kernel",
    "sys.exit": "stops the kernel",
    "setattr(": "patches objects it did not write",
}


def suspicious_code(path: Path) -> list[str]:
    """Reasons to look at a submission by hand, from the text of its solution cells."""
    try:
        cells = json.loads(Path(path).read_text(encoding="utf-8"))["cells"]
    except Exception:
        return []
    found = []
    for cell in cells:
        meta = (cell.get("metadata") or {}).get("nbgrader") or {}
        if not meta.get("solution"):
            continue
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else source
        for needle, why in SUSPICIOUS.items():
            if needle in source:
                found.append(f"{meta.get('grade_id', '?')}: {why} ({needle})")
    return found


def _read_gradebook(course_dir: Path) -> bytes:
    db = Path(course_dir) / "gradebook.db"
    return db.read_bytes() if db.exists() else b""


def _submission_keys(course_dir: Path, course_id: str) -> set:
    return _submission_keys_at(Path(course_dir).resolve() / "gradebook.db", course_id)


def _gradebook_damage(course_dir: Path, snapshot: bytes, course_id: str) -> str | None:
    """Why the gradebook looks tampered with after a run, or None if it is intact.

    Every submission graded before the run must still be there; a missing file or
    lost rows means the submission's code touched the gradebook.
    """
    if not snapshot:
        return None
    db = Path(course_dir) / "gradebook.db"
    if not db.exists():
        return "the gradebook was deleted while this submission ran"
    tmp = Path(course_dir) / ".gradebook-snapshot.db"
    tmp.write_bytes(snapshot)
    try:
        before = _submission_keys_at(tmp, course_id)
        try:
            after = _submission_keys(course_dir, course_id)
        except Exception as exc:
            return f"the gradebook is unreadable after this submission ran ({exc})"
    finally:
        tmp.unlink(missing_ok=True)
    lost = before - after
    if lost:
        return (
            f"grades of {len(lost)} earlier submissions vanished from the gradebook "
            "while this submission ran"
        )
    return None


def _submission_keys_at(db_path: Path, course_id: str) -> set:
    with Gradebook(f"sqlite:///{db_path}", course_id) as gb:
        return {
            (sub.student.id, assignment.name)
            for assignment in gb.assignments
            for sub in assignment.submissions
        }


def release_names(course_dir: Path, assignment: str) -> list[str]:
    source = Path(course_dir) / "source" / assignment
    return sorted(p.name for p in source.glob("*.ipynb"))


def autograde(
    course_dir: Path,
    chapters=None,
    students=None,
    timeout: float = 900,
    course_id: str = "cnn-course",
    log=print,
) -> list[Outcome]:
    """Autograde every submission, each in its own nbgrader process."""
    course_dir = Path(course_dir).resolve()
    backup_gradebook(course_dir)
    outcomes = []
    for student, assignment in submissions(course_dir, chapters, students):
        sub_dir = course_dir / "submitted" / student / assignment
        problem = precheck(sub_dir, release_names(course_dir, assignment))
        if problem:
            outcomes.append(Outcome(student, assignment, False, message=problem))
            log(f"SKIP  {student}/{assignment}: {problem}")
            continue
        snapshot = _read_gradebook(course_dir)
        result = run_nbgrader(
            ["autograde", assignment, f"--student={student}", "--force", "--create"],
            course_dir,
            timeout=timeout,
        )
        damage = _gradebook_damage(course_dir, snapshot, course_id)
        if damage:
            # The submission's code reached the gradebook (deleted or rewrote it):
            # put the earlier grades back and do not trust this run.
            (course_dir / "gradebook.db").write_bytes(snapshot)
            outcomes.append(Outcome(student, assignment, False, message=damage))
            log(f"FAIL  {student}/{assignment}: {damage}; gradebook restored")
            continue
        if result.returncode != 0:
            tail = "\n".join((result.stderr or result.stdout).strip().splitlines()[-8:])
            outcomes.append(Outcome(student, assignment, False, message=tail))
            log(f"FAIL  {student}/{assignment}: nbgrader exited {result.returncode}\n{tail}")
            continue
        try:
            score, max_score = _score(course_dir, course_id, assignment, student)
        except MissingEntry:
            outcomes.append(Outcome(student, assignment, False, message="no grade recorded"))
            log(f"FAIL  {student}/{assignment}: no grade recorded")
            continue
        flags = [
            flag
            for name in release_names(course_dir, assignment)
            for flag in suspicious_code(sub_dir / name)
        ]
        note = "review by hand: " + "; ".join(flags) if flags else ""
        outcomes.append(Outcome(student, assignment, True, score, max_score, note))
        log(
            f"OK    {student}/{assignment}: {score:g} / {max_score:g}"
            + (f"  [{note}]" if note else "")
        )
    return outcomes


def export_csv(course_dir: Path, path: Path) -> Path:
    """Total scores per (student, assignment), via nbgrader's own CSV exporter."""
    course_dir = Path(course_dir).resolve()
    path = Path(path).resolve()
    result = run_nbgrader(["export", f"--to={path}"], course_dir, timeout=600)
    if result.returncode != 0 or not path.exists():
        raise RuntimeError(f"nbgrader export failed:\n{result.stdout}\n{result.stderr}")
    return path


def export_checks_csv(course_dir: Path, path: Path, course_id: str = "cnn-course") -> Path:
    """One row per graded check: which checks each student passed, for partial credit review."""
    course_dir = Path(course_dir).resolve()
    rows = []
    with Gradebook(db_url(course_dir), course_id) as gb:
        for assignment in gb.assignments:
            for notebook in assignment.notebooks:
                for sub in gb.notebook_submissions(notebook.name, assignment.name):
                    for grade in sub.grades:
                        rows.append(
                            {
                                "student": sub.student.id,
                                "assignment": assignment.name,
                                "notebook": notebook.name,
                                "check": grade.name,
                                "score": grade.score,
                                "max_score": grade.max_score,
                            }
                        )
    rows.sort(key=lambda r: (r["student"], r["assignment"], r["notebook"], r["check"]))
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(
            fh, fieldnames=["student", "assignment", "notebook", "check", "score", "max_score"]
        )
        writer.writeheader()
        writer.writerows(rows)
    return Path(path)


def feedback(course_dir: Path, chapters=None, students=None, timeout: float = 600, log=print):
    """Generate feedback HTML, one submission at a time; returns the outcomes."""
    course_dir = Path(course_dir).resolve()
    outcomes = []
    root = course_dir / "autograded"
    for student_dir in sorted(p for p in root.glob("*") if p.is_dir()):
        if students and student_dir.name not in students:
            continue
        for assignment_dir in sorted(p for p in student_dir.glob("*") if p.is_dir()):
            assignment = assignment_dir.name
            if chapters and assignment not in chapters:
                continue
            result = run_nbgrader(
                ["generate_feedback", assignment, f"--student={student_dir.name}", "--force"],
                course_dir,
                timeout=timeout,
            )
            ok = result.returncode == 0
            outcomes.append(
                Outcome(
                    student_dir.name, assignment, ok, message="" if ok else result.stderr[-2000:]
                )
            )
            log(f"{'OK  ' if ok else 'FAIL'}  feedback {student_dir.name}/{assignment}")
    return outcomes
