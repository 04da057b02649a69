"""Instructor grading steps over an nbgrader course directory.

nbgrader keeps the gradebook, and this module runs it one submission at a time, in its
own process with a time limit. Before nbgrader sees a submission, ``stage`` rebuilds it
from the instructor's source with only the student's answers taken over, so invalid
JSON, duplicated, edited or deleted cells and tampered metadata cannot change what is
graded. During grading the student's code runs in a bubblewrap sandbox and every check
runs in the judge (``judged_execute.py``).
"""

from __future__ import annotations

import copy
import csv
import json
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbgrader.api import Gradebook, MissingEntry

from autograder.course import CODE_STUB, TEXT_STUB, run_nbgrader
from autograder.sandbox import check_available


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


STAGED = ".staged"  # the reconstructed submissions nbgrader reads, inside the course dir


def _text(source) -> str:
    if isinstance(source, list):
        return "".join(str(s) for s in source)
    return source if isinstance(source, str) else ""


def read_submitted(path: Path) -> tuple[list, list[str]]:
    """The cells of a submitted notebook as plain dicts, and what was wrong with it."""
    try:
        data = json.loads(Path(path).read_bytes().decode("utf-8"))
        cells = data["cells"]
        if not isinstance(cells, list):
            raise TypeError("cells is not a list")
    except Exception as exc:
        return [], [
            f"{Path(path).name} is not a readable notebook ({type(exc).__name__}); graded as blank"
        ]
    return [c for c in cells if isinstance(c, dict)], []


def reconstruct(source_nb, submitted_cells: list) -> tuple[nbformat.NotebookNode, list[str]]:
    """The notebook to grade: the source's cells, with only the student's answers taken over.

    Every locked, test and text cell, all metadata and the kernelspec come from the
    instructor's source. From the submission come only the sources of its solution cells
    (matched by grade id, or by cell id when the metadata was tampered with; the first
    copy wins) and the cells the student added (placed after the cell they followed,
    their metadata dropped). A solution cell the student deleted gets its release stub
    back. So edited, deleted or duplicated cells, tampered points and a wrong kernel
    cannot change what is graded.
    """
    notes = []
    by_grade_id, by_cell_id = {}, {}
    for cell in source_nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id:
            by_grade_id[grade_id] = cell
        if cell.get("id"):
            by_cell_id[cell["id"]] = cell
    answers: dict[str, str] = {}
    extras: dict[str | None, list] = {}
    anchor = None
    seen = set()
    for cell in submitted_cells:
        metadata = cell.get("metadata") if isinstance(cell.get("metadata"), dict) else {}
        meta = metadata.get("nbgrader")
        grade_id = meta.get("grade_id") if isinstance(meta, dict) else None
        target = by_grade_id.get(grade_id) if isinstance(grade_id, str) else None
        if target is None and isinstance(cell.get("id"), str):
            target = by_cell_id.get(cell["id"])
        if target is None:
            if meta:
                notes.append("a cell with unknown grading metadata was graded as a plain cell")
            kind = cell.get("cell_type")
            if kind in ("code", "markdown"):
                extras.setdefault(anchor, []).append((kind, _text(cell.get("source"))))
            continue
        key = target.get("id")
        anchor = key
        if key in seen:
            notes.append(f"cell {key!r} appears more than once; the first copy was graded")
            continue
        seen.add(key)
        target_meta = target.metadata.get("nbgrader", {})
        if target_meta.get("solution") and cell.get("cell_type") == target.cell_type:
            answers[target_meta["grade_id"]] = _text(cell.get("source"))
    missing = [
        g
        for g, c in by_grade_id.items()
        if c.metadata["nbgrader"].get("solution") and g not in answers
    ]
    if missing and submitted_cells:
        notes.append(f"solution cells missing from the submission: {', '.join(missing)}")
    out = nbformat.v4.new_notebook(metadata=copy.deepcopy(source_nb.metadata))

    def add_extras(key):
        for i, (kind, text) in enumerate(extras.get(key, [])):
            new = (
                nbformat.v4.new_code_cell(text)
                if kind == "code"
                else nbformat.v4.new_markdown_cell(text)
            )
            new["id"] = f"added-{len(out.cells):03d}-{i}"
            out.cells.append(new)

    add_extras(None)
    for cell in source_nb.cells:
        new = copy.deepcopy(cell)
        meta = new.metadata.get("nbgrader", {})
        if meta.get("solution"):
            new.source = answers.get(meta["grade_id"], _stub(cell))
        out.cells.append(new)
        add_extras(cell.get("id"))
    return out, notes


def _stub(cell) -> str:
    """The release version of a solution cell (what students start from), by nbgrader."""
    from nbgrader.preprocessors import ClearSolutions

    clear = ClearSolutions(code_stub=CODE_STUB, text_stub=TEXT_STUB)
    stubbed, _ = clear.preprocess_cell(copy.deepcopy(cell), {"language": "python"}, 0)
    return stubbed.source


def stage(course_dir: Path, student: str, assignment: str) -> list[str]:
    """Write the reconstructed submission under ``.staged/``; returns notes for the report."""
    course_dir = Path(course_dir)
    original = course_dir / "submitted" / student / assignment
    target = course_dir / STAGED / student / assignment
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    notes = []
    names = release_names(course_dir, assignment)
    present = sorted(p.name for p in original.glob("*.ipynb"))
    others = [p for p in present if p not in names]
    for name in names:
        path = original / name
        if not path.exists():
            if len(others) == 1 and len(names) == 1:
                path = original / others.pop()
                notes.append(f"{path.name} was graded as {name} (renamed notebook)")
            else:
                notes.append(f"missing {name}; graded as blank")
        cells, problems = read_submitted(path) if path.exists() else ([], [])
        notes += problems
        source_nb = nbformat.read(course_dir / "source" / assignment / name, as_version=4)
        nb, more = reconstruct(source_nb, cells)
        notes += more
        nbformat.write(nb, target / name)
    if others:
        notes.append(f"extra notebooks not graded: {', '.join(others)}")
    stamp = original / "timestamp.txt"
    if stamp.is_file() and stamp.stat().st_size < 200:
        shutil.copy2(stamp, target / "timestamp.txt")
    return notes


def autograde(
    course_dir: Path,
    chapters=None,
    students=None,
    timeout: float = 900,
    course_id: str = "cnn-course",
    log=print,
    unsandboxed: bool = False,
    cell_timeout: float | None = None,
) -> list[Outcome]:
    """Autograde every submission, each in its own nbgrader process.

    Student code runs in the bubblewrap sandbox; without one this raises
    ``SandboxUnavailable`` unless ``unsandboxed`` is set, and every report says so.
    """
    course_dir = Path(course_dir).resolve()
    if not unsandboxed:
        check_available()
    backup_gradebook(course_dir)
    outcomes = []
    extra = ["--JudgedExecute.unsandboxed=True"] if unsandboxed else []
    if cell_timeout is not None:
        extra += [
            f"--JudgedExecute.cell_timeout={cell_timeout}",
            f"--JudgedExecute.check_timeout={cell_timeout}",
        ]
    warning = "UNSANDBOXED: student code ran with the grader's rights" if unsandboxed else ""
    for student, assignment in submissions(course_dir, chapters, students):
        notes = stage(course_dir, student, assignment)
        snapshot = _read_gradebook(course_dir)
        result = run_nbgrader(
            [
                "autograde",
                assignment,
                f"--student={student}",
                "--force",
                "--create",
                f"--CourseDirectory.submitted_directory={STAGED}",
                *extra,
            ],
            course_dir,
            timeout=timeout,
        )
        damage = _gradebook_damage(course_dir, snapshot, course_id)
        if damage:
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
            for flag in suspicious_code(course_dir / STAGED / student / assignment / name)
        ]
        if flags:
            notes.append("review by hand: " + "; ".join(flags))
        if warning:
            notes.insert(0, warning)
        note = "; ".join(notes)
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
