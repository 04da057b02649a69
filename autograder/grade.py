"""Instructor grading steps over an nbgrader course directory.

nbgrader keeps the gradebook. ``autograde`` hands submissions to long-lived worker
processes (``worker.py``) and is the only writer of the course gradebook
(``gradebook_io.py``). Before nbgrader sees a submission, ``stage`` rebuilds it
from the instructor's source with only the student's answers taken over, so invalid
JSON, duplicated, edited or deleted cells and tampered metadata cannot change what is
graded. During grading the student's code runs in a bubblewrap sandbox and every check
runs in the judge (``judged_execute.py``).
"""

from __future__ import annotations

import copy
import csv
import hashlib
import json
import os
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbgrader.api import Gradebook, MissingEntry

from autograder import gradebook_io
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
    status: str = ""  # graded, unchanged (kept its grade) or failed
    flagged: bool = False
    seconds: float = 0.0  # a worker's time on it
    worker: str = ""  # which remote worker graded it (scale-out only)
    redelivered: bool = False  # its task was redelivered after a worker was lost

    def __post_init__(self):
        if not self.status:
            self.status = "graded" if self.ok else "failed"

    def line(self) -> str:
        if not self.ok:
            return f"FAIL  {self.student}/{self.assignment}: {self.message}"
        tag = "OK   " if self.status == "graded" else "SAME "
        note = f"  [{self.message}]" if self.message else ""
        return f"{tag} {self.student}/{self.assignment}: {self.score:g} / {self.max_score:g}{note}"


def db_url(course_dir: Path) -> str:
    """The course gradebook: ``c.CourseDirectory.db_url`` of the course's
    ``nbgrader_config.py`` (any SQLAlchemy URL nbgrader takes, PostgreSQL included),
    by default ``gradebook.db`` in the course directory, as nbgrader's own default."""
    course_dir = Path(course_dir).resolve()
    config_file = course_dir / "nbgrader_config.py"
    # Loading the configuration imports the judge and nbgrader's preprocessors: only
    # where it may set a database.
    if config_file.is_file() and "db_url" in config_file.read_text(encoding="utf-8"):
        from traitlets.config.loader import PyFileConfigLoader

        config = PyFileConfigLoader("nbgrader_config.py", path=str(course_dir)).load_config()
        if config.CourseDirectory.get("db_url"):
            return config.CourseDirectory.db_url
    return f"sqlite:///{course_dir / 'gradebook.db'}"


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


def stage(
    course_dir: Path,
    student: str,
    assignment: str,
    target: Path | None = None,
    original: Path | None = None,
) -> list[str]:
    """Write the reconstructed submission (default: under ``.staged/``); returns notes.

    The submitted files are read from ``original`` (default: the course's
    ``submitted/<student>/<assignment>/``; a remote worker gets them in its task)."""
    course_dir = Path(course_dir)
    original = Path(original) if original else course_dir / "submitted" / student / assignment
    target = Path(target) if target else course_dir / STAGED / student / assignment
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
    if stamp.is_file():
        from nbgrader.utils import parse_utc

        try:
            if stamp.stat().st_size > 200:
                raise ValueError("too long")
            parse_utc(stamp.read_text(encoding="utf-8").strip())
        except Exception:
            notes.append("timestamp.txt is not a time; graded as if not late")
        else:
            shutil.copy2(stamp, target / "timestamp.txt")
    return notes


def _grading_code_sha256() -> str:
    """The grading code's part of every chapter's hash: judge, references, hidden tests."""
    digest = hashlib.sha256()
    here = Path(__file__).resolve().parent
    for path in sorted(here.rglob("*.py")):
        digest.update(str(path.relative_to(here)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def source_sha256(course_dir: Path, assignment: str, code: str | None = None) -> str:
    """What a grade depends on besides the submission: the chapter's source notebooks
    and the grading code (``code``, from ``_grading_code_sha256``, read once per run)."""
    notebooks = gradebook_io.files_sha256(Path(course_dir) / "source" / assignment)
    code = code if code is not None else _grading_code_sha256()
    return hashlib.sha256(f"{notebooks}:{code}".encode()).hexdigest()


def _submission_sha256(course_dir: Path, student: str, assignment: str) -> str:
    return gradebook_io.files_sha256(Path(course_dir) / "submitted" / student / assignment)


def _template(course_dir: Path, course_id: str, assignments) -> Path:
    """A gradebook with the assignments' structure only: each worker grades into a copy."""
    folder = Path(course_dir) / ".grading"
    folder.mkdir(exist_ok=True)
    path = folder / f"template-{os.getpid()}.db"
    path.unlink(missing_ok=True)
    gradebook_io.copy_structure(
        db_url(course_dir), gradebook_io.sqlite_url(path), course_id, sorted(assignments)
    )
    return path


def _failed(student: str, assignment: str, message: str) -> dict:
    """A worker's result for a task that produced none."""
    return {"student": student, "assignment": assignment, "ok": False, "message": message}


UNSANDBOXED = "UNSANDBOXED: student code ran with the grader's rights"


def result_note(result: dict, warning: str = "") -> str:
    """The note kept with a grade: what staging found, review flags, an unsandboxed run."""
    notes = list(result.get("notes", []))
    if result.get("flags"):
        notes.append("review by hand: " + "; ".join(result["flags"]))
    if warning or result.get("unsandboxed"):
        notes.insert(0, warning or UNSANDBOXED)
    return "; ".join(notes)


def _record(
    course_dir: Path, course_id: str, url: str, result: dict, hashes, warning: str
) -> Outcome:
    """The single writer: one result into ``autograded/`` and the course gradebook.

    A result a remote worker has already written to the gradebook (``applied``) only
    has its graded notebooks written here."""
    student, assignment = result["student"], result["assignment"]
    seconds = result.get("seconds", 0.0)
    extra = {"worker": result.get("worker", ""), "redelivered": result.get("redelivered", False)}
    if not result["ok"]:
        return Outcome(
            student, assignment, False, message=result["message"], seconds=seconds, **extra
        )
    note = result_note(result, warning)
    folder = Path(course_dir) / "autograded" / student / assignment
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    for name, text in result["files"].items():
        (folder / name).write_text(text, encoding="utf-8")
    # What nbgrader's own autograde keeps beside the notebooks: generate_feedback copies
    # both into feedback/, where release_feedback needs them.
    submitted = Path(course_dir) / "submitted" / student / assignment
    for name in ("timestamp.txt", "submission_secret.txt"):
        if (submitted / name).is_file():
            shutil.copy2(submitted / name, folder / name)
    if "applied" in result:
        score, max_score = result["applied"]
    else:
        score, max_score = gradebook_io.apply(
            url, course_id, assignment, student, result["grades"], *hashes, note
        )
    return Outcome(
        student,
        assignment,
        True,
        score,
        max_score,
        note,
        flagged=bool(result["flags"]),
        seconds=seconds,
        **extra,
    )


def _worker_context():
    """Where grading workers come from: a fork server with nbgrader already imported.

    pebble starts a replacement worker from its manager thread while this thread may
    hold a lock (logging's, an import lock); a child forked then can wait on that lock
    forever. The fork server is single-threaded, so its children start clean, and it
    imports nbgrader (about 4 s) once for every worker it ever starts.
    """
    import multiprocessing

    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["nbgrader.apps", "autograder.worker"])
    return context


def _grade_local(course_dir: Path, course_id: str, todo: dict, timeout, workers, settings):
    """Grade ``todo`` in this machine's worker pool; yields each worker's result."""
    from concurrent.futures import FIRST_COMPLETED, wait
    from concurrent.futures import TimeoutError as TaskTimeout

    from pebble import ProcessExpired, ProcessPool

    from autograder import worker

    try:
        template = _template(course_dir, course_id, {a for _, a in todo})
    except MissingEntry as exc:
        raise RuntimeError(f"{exc}: build the course first (python -m autograder build)") from exc
    # The workers' private course roots, in memory where there is a /dev/shm.
    scratch = tempfile.mkdtemp(
        prefix="cnn-grading-", dir="/dev/shm" if Path("/dev/shm").is_dir() else None
    )
    settings = {
        **settings,
        # Workers come from a fork server started once per process, so they get the
        # caller's environment as it is now, as forked workers would.
        "environ": dict(os.environ),
        "course_id": course_id,
        "scratch": scratch,
    }
    n = max(1, min(workers or os.cpu_count() or 1, len(todo)))
    try:
        with ProcessPool(
            max_workers=n,
            context=_worker_context(),
            initializer=worker.init,
            initargs=(str(course_dir), str(template), settings),
        ) as pool:
            pending = {
                pool.schedule(worker.grade_one, key, timeout=timeout): (key, 0) for key in todo
            }
            while pending:
                finished, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in finished:
                    (student, assignment), tries = pending.pop(future)
                    try:
                        result = future.result()
                    except ProcessExpired as exc:
                        # Run once more: the worker, not the task, may have been at fault.
                        if tries == 0:
                            again = pool.schedule(
                                worker.grade_one, (student, assignment), timeout=timeout
                            )
                            pending[again] = ((student, assignment), 1)
                            continue
                        result = _failed(
                            student, assignment, f"the grading worker died twice ({exc})"
                        )
                    except TaskTimeout:
                        result = _failed(
                            student, assignment, f"grading took over {timeout:g} s and was stopped"
                        )
                    except Exception as exc:  # the grader's own failure, reported, not fatal
                        result = _failed(student, assignment, f"{type(exc).__name__}: {exc}")
                    yield result
    finally:
        template.unlink(missing_ok=True)
        shutil.rmtree(scratch, ignore_errors=True)


def autograde(
    course_dir: Path,
    chapters=None,
    students=None,
    timeout: float = 900,
    course_id: str = "cnn-course",
    log=print,
    unsandboxed: bool = False,
    cell_timeout: float | None = None,
    workers: int | None = None,
    force: bool = False,
    progress: bool = False,
    broker: str | None = None,
) -> list[Outcome]:
    """Autograde the submissions that changed since they were last graded, in parallel.

    ``workers`` long-lived worker processes (default: one per core) each grade one
    submission at a time (``worker.py``); this process is the only one that writes the
    course gradebook. A submission whose files and chapter source are unchanged keeps
    its grade unless ``force``. A worker that dies mid-task has its task run once more;
    a task over ``timeout`` seconds is stopped and reported. Student code runs in the
    bubblewrap sandbox; without one this raises ``SandboxUnavailable`` unless
    ``unsandboxed`` is set, and every report then says so.

    With ``broker`` (a Redis URL), the submissions go instead as Celery tasks to
    workers on any machine (``distributed.py``), which write each grade to the course
    gradebook themselves (a database server, e.g. PostgreSQL); this process waits for
    them and writes the graded notebooks for feedback.
    """
    from tqdm import tqdm

    course_dir = Path(course_dir).resolve()
    if not unsandboxed and broker is None:
        check_available()
    url = db_url(course_dir)
    pairs = submissions(course_dir, chapters, students)
    code = _grading_code_sha256()
    sources = {a: source_sha256(course_dir, a, code) for a in {a for _, a in pairs}}
    graded = {} if force else gradebook_io.ledger(url, course_id)
    outcomes, todo = [], {}
    for student, assignment in pairs:
        hashes = (_submission_sha256(course_dir, student, assignment), sources[assignment])
        row = graded.get((student, assignment))
        # Feedback is made from autograded/: a grade whose graded notebook is gone
        # (a remote grade whose command was stopped) is graded again.
        if (
            gradebook_io.up_to_date(row, *hashes)
            and (course_dir / "autograded" / student / assignment).is_dir()
        ):
            outcomes.append(
                Outcome(
                    student,
                    assignment,
                    True,
                    row["score"],
                    row["max_score"],
                    row["notes"] or "",
                    status="unchanged",
                )
            )
        else:
            todo[(student, assignment)] = hashes
    if not todo:
        return sorted(outcomes, key=lambda o: (o.student, o.assignment))
    warning = UNSANDBOXED if unsandboxed and broker is None else ""
    if broker:
        from autograder import distributed

        results = distributed.grade_remote(
            broker, course_dir, course_id, url, todo, timeout=timeout, cell_timeout=cell_timeout
        )
    else:
        backup_gradebook(course_dir)
        settings = {"unsandboxed": unsandboxed, "cell_timeout": cell_timeout}
        results = _grade_local(course_dir, course_id, todo, timeout, workers, settings)
    bar = tqdm(total=len(todo), unit="nb", desc="grading", disable=not progress)
    say = bar.write if progress else log
    try:
        for result in results:
            key = (result["student"], result["assignment"])
            outcome = _record(course_dir, course_id, url, result, todo[key], warning)
            outcomes.append(outcome)
            say(outcome.line())
            bar.update()
    finally:
        results.close()
        bar.close()
    return sorted(outcomes, key=lambda o: (o.student, o.assignment))


def summary(outcomes: list[Outcome]) -> str:
    """graded / unchanged / failed (with reasons) / flagged, for the end of a run."""
    graded = [o for o in outcomes if o.status == "graded"]
    unchanged = [o for o in outcomes if o.status == "unchanged"]
    failed = [o for o in outcomes if o.status == "failed"]
    flagged = [o for o in outcomes if o.flagged]
    lines = [
        f"{len(graded)} graded, {len(unchanged)} unchanged (kept their grade), "
        f"{len(failed)} failed, {len(flagged)} flagged for review"
    ]
    for o in failed:
        reason = o.message.strip().splitlines()[-1] if o.message.strip() else "unknown"
        lines.append(f"  failed  {o.student}/{o.assignment}: {reason}")
    for o in flagged:
        lines.append(f"  flagged {o.student}/{o.assignment}: {o.message}")
    return "\n".join(lines)


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
