"""A long-lived grading worker: nbgrader loaded once, one submission at a time.

Starting nbgrader costs seconds (its imports alone take about 4 s here), so a worker
process pays that once and then grades submission after submission in-process, with
nbgrader's own ``Autograde`` converter and the course configuration. Each submission
gets a private course root: the staged notebook (``grade.stage``), a fresh copy of a
gradebook holding only the assignments' structure, and its own ``autograded/``. So a
worker never opens the course gradebook, and what it returns is plain data that one
writer applies (``gradebook_io.apply``).

While a submission's results are packed up, the worker already starts the sandboxed
kernel for the next one (``judge.prepare_spare``), so that its start-up and imports
overlap with other work.
"""

from __future__ import annotations

import ctypes
import os
import shutil
import signal
import tempfile
import time
import warnings
from pathlib import Path

from autograder import gradebook_io

_state: dict = {}


def _die_with_parent() -> None:
    # A worker whose command was killed (kill -9) must not run on: it would only grade
    # into a private directory nobody reads. Its parent is the fork server, which exits
    # as soon as the command is gone.
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except OSError:
        pass


def init(course_dir: str, template_db: str, settings: dict) -> None:
    """Load nbgrader and the course configuration once per worker process."""
    _die_with_parent()
    if "environ" in settings:
        os.environ.clear()
        os.environ.update(settings["environ"])
    # A worker may inherit its starter's warning filters (pytest's "error" ones, say);
    # grading must not depend on who started it, so it starts from Python's defaults.
    warnings.resetwarnings()
    from sqlalchemy.exc import SAWarning

    # nbgrader's update_or_create_submission trips these in every autograde run.
    warnings.filterwarnings("ignore", category=SAWarning)
    from nbgrader.apps import NbGraderAPI
    from threadpoolctl import threadpool_limits
    from traitlets.config.loader import PyFileConfigLoader

    from autograder.course import ensure_course_config, nbgrader_env

    # The judge's own NumPy work (references, comparisons) stays on one core per worker.
    threadpool_limits(1)
    os.environ.update(nbgrader_env())
    course_dir = Path(course_dir)
    ensure_course_config(course_dir)
    root = Path(tempfile.mkdtemp(prefix="worker-", dir=settings.get("scratch")))
    (root / "source").symlink_to(course_dir / "source")
    config = PyFileConfigLoader("nbgrader_config.py", path=str(course_dir)).load_config()
    config.CourseDirectory.root = str(root)
    # The private gradebook, even where the course's is a database server.
    config.CourseDirectory.db_url = gradebook_io.sqlite_url(root / "gradebook.db")
    config.CourseDirectory.course_id = settings.get("course_id", "cnn-course")
    config.JudgedExecute.course_root = str(course_dir)
    if settings.get("unsandboxed"):
        config.JudgedExecute.unsandboxed = True
    if settings.get("cell_timeout") is not None:
        config.JudgedExecute.cell_timeout = settings["cell_timeout"]
        config.JudgedExecute.check_timeout = settings["cell_timeout"]
    config.JudgedExecute.keep_spare = True
    _state.update(
        course_dir=course_dir,
        root=root,
        template=Path(template_db),
        api=NbGraderAPI(config=config),
        course_id=config.CourseDirectory.course_id,
    )


def grade_one(student: str, assignment: str, original: str | None = None) -> dict:
    """Grade ``submitted/<student>/<assignment>`` of the course (or the submitted files
    in ``original``); returns the result."""

    start = time.perf_counter()
    out = _grade(student, assignment, original)
    out["seconds"] = time.perf_counter() - start
    return out


def _grade(student: str, assignment: str, original: str | None = None) -> dict:
    from autograder import grade

    course_dir, root = _state["course_dir"], _state["root"]
    for sub in ("submitted", "autograded"):
        shutil.rmtree(root / sub, ignore_errors=True)
    staged = root / "submitted" / student / assignment
    notes = grade.stage(course_dir, student, assignment, target=staged, original=original)
    db = root / "gradebook.db"
    shutil.copyfile(_state["template"], db)
    result = _state["api"].autograde(assignment, student, force=True, create=True)
    out = {"student": student, "assignment": assignment, "notes": notes}
    if not result["success"]:
        text = "\n".join(x for x in (result.get("log"), result.get("error")) if x).strip()
        out.update(ok=False, message="\n".join(text.splitlines()[-8:]))
        return out
    names = grade.release_names(course_dir, assignment)
    graded_dir = root / "autograded" / student / assignment
    out.update(
        ok=True,
        grades=gradebook_io.extract(
            gradebook_io.sqlite_url(db), _state["course_id"], assignment, student
        ),
        files={n: (graded_dir / n).read_text() for n in names if (graded_dir / n).exists()},
        flags=[f for n in names for f in grade.suspicious_code(staged / n)],
    )
    return out


def shutdown() -> None:
    """Stop the spare kernel and remove the private root (the pool's workers just exit)."""
    from autograder.judge import close_spares

    close_spares()
    if "root" in _state:
        shutil.rmtree(_state["root"], ignore_errors=True)
