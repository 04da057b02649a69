"""Grading beyond one machine: Celery tasks through a Redis broker, grades in a database.

``python -m autograder autograde --broker redis://HOST:6379/0`` sends each submission
that needs grading as one Celery task; workers on any machine take them
(``python -m autograder worker --broker ...``, or ``celery -A autograder.distributed
worker`` with ``AUTOGRADER_BROKER`` set). A worker grades exactly as the local pool
does (``worker.py``: staging, the sandbox, the judge, nbgrader) and writes the grade
and its ledger row to the course gradebook itself, in one transaction, so the
gradebook must be a database server every machine reaches (PostgreSQL: set
``c.CourseDirectory.db_url`` in the course's ``nbgrader_config.py``).

What a task carries: the submitted files, their hash, the hash of the chapter (its
source notebooks and the grading code) and the gradebook's URL. A worker refuses a
task whose chapter hash differs from its own checkout's, so a stale worker cannot
grade with old hidden tests.

Losing a worker loses no task. Tasks are acknowledged only when done (``acks_late``):
a task whose pool process dies is put back at once (``reject_on_worker_lost``), and
one whose whole worker or machine dies goes back to the queue when the broker's
visibility timeout passes (``AUTOGRADER_VISIBILITY_TIMEOUT``, default 1200 s, which
must exceed the longest grading). A task may so run twice, but it yields one grade
row: nbgrader keeps one submission per student and assignment, the ledger one row,
and a write that collides with a concurrent one is retried.
"""

from __future__ import annotations

import base64
import os
import random
import shutil
import socket
import tempfile
import time
from pathlib import Path

from celery import Celery
from celery.signals import worker_process_shutdown
from celery.utils.log import get_task_logger

BROKER_ENV = "AUTOGRADER_BROKER"
QUEUE_ENV = "AUTOGRADER_QUEUE"
VISIBILITY_ENV = "AUTOGRADER_VISIBILITY_TIMEOUT"
COURSE_ENV = "AUTOGRADER_COURSE_DIR"
UNSANDBOXED_ENV = "AUTOGRADER_UNSANDBOXED"
TASK = "autograder.grade"
DEFAULT_BROKER = "redis://127.0.0.1:6379/0"

log = get_task_logger(__name__)


def make_app(broker: str | None = None) -> Celery:
    """The Celery application, for the command (sending) and the workers (running)."""
    broker = broker or os.environ.get(BROKER_ENV) or DEFAULT_BROKER
    visibility = float(os.environ.get(VISIBILITY_ENV, 1200))
    app = Celery("autograder", broker=broker, backend=broker)
    app.conf.update(
        task_serializer="json",
        result_serializer="json",
        accept_content=["json"],
        # Acknowledge a task only once it is graded and written; a pool process that
        # dies puts its task back (a grade is written at most once per run anyway).
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        broker_transport_options={
            "visibility_timeout": visibility,
            # Look for the tasks of lost workers every few seconds, not every 100 s.
            "unacked_restore_interval": max(1, min(10, int(visibility / 10))),
            "unacked_restore_throttle": 1,
        },
        broker_connection_retry_on_startup=True,
        result_expires=7 * 24 * 3600,
        task_default_queue=os.environ.get(QUEUE_ENV, "grading"),
    )
    app.task(name=TASK, bind=True)(_grade_task)
    return app


def _files(directory: Path) -> dict[str, str]:
    return {
        p.name: base64.b64encode(p.read_bytes()).decode("ascii")
        for p in sorted(Path(directory).glob("*"))
        if p.is_file()
    }


def grade_remote(
    broker: str,
    course_dir: Path,
    course_id: str,
    url: str,
    todo: dict,
    timeout: float = 900,
    cell_timeout: float | None = None,
    poll: float = 0.5,
):
    """Send ``todo`` (``{(student, assignment): hashes}``) as tasks; yield their results.

    Waits as long as it takes: with no worker running, tasks wait in the queue.
    """
    from celery.result import AsyncResult

    if url.startswith("sqlite"):
        raise RuntimeError(
            "grading through a broker needs the gradebook in a database server every "
            "worker reaches: set c.CourseDirectory.db_url (e.g. postgresql+psycopg://...) "
            f"in {Path(course_dir) / 'nbgrader_config.py'}"
        )
    app = make_app(broker)
    ids = {}
    for (student, assignment), (sub_sha, src_sha) in todo.items():
        payload = {
            "student": student,
            "assignment": assignment,
            "course_id": course_id,
            "db_url": url,
            "files": _files(Path(course_dir) / "submitted" / student / assignment),
            "submission_sha256": sub_sha,
            "source_sha256": src_sha,
            "cell_timeout": cell_timeout,
        }
        # The hard limit kills the pool process; such a task is failed, not put back.
        sent = app.send_task(TASK, args=[payload], time_limit=timeout + 60)
        ids[sent.id] = (student, assignment)
    try:
        for task_id, meta in app.backend.get_many(list(ids), interval=poll):
            student, assignment = ids[task_id]
            if meta["status"] == "SUCCESS":
                yield meta["result"]
            else:
                error = meta.get("result")
                yield {
                    "student": student,
                    "assignment": assignment,
                    "ok": False,
                    "message": f"the grading task failed: {error!r}",
                }
    finally:
        for task_id in ids:
            AsyncResult(task_id, app=app).forget()
        app.close()


# --- the worker side ------------------------------------------------------------------

_local: dict = {}


def _code_sha256() -> str:
    """The hash of the grading code this worker loaded: taken once, when it started, as
    a checkout updated under a running worker does not change what it runs."""
    from autograder import grade

    if "code" not in _local:
        _local["code"] = grade._grading_code_sha256()
    return _local["code"]


def _course_dir() -> Path:
    from autograder.course import DEFAULT_COURSE_DIR

    return Path(os.environ.get(COURSE_ENV) or DEFAULT_COURSE_DIR).resolve()


def _prepare(payload: dict) -> None:
    """Start this pool process's grader (``worker.init``) for the task's settings, once.

    Its template gradebook (the assignments' structure) is copied from the course
    gradebook, and made again when a task brings an assignment it lacks.
    """
    from autograder import gradebook_io, worker

    key = (payload["db_url"], payload["course_id"], payload.get("cell_timeout"))
    known = _local.get("assignments", set())
    if _local.get("key") == key and payload["assignment"] in known:
        return
    if "key" in _local:
        worker.shutdown()
    if "scratch" not in _local:
        _local["scratch"] = tempfile.mkdtemp(
            prefix="cnn-celery-", dir="/dev/shm" if Path("/dev/shm").is_dir() else None
        )
    scratch = _local["scratch"]
    template = Path(scratch) / "template.db"
    template.unlink(missing_ok=True)
    with gradebook_io._gradebook(payload["db_url"], payload["course_id"]) as gb:
        assignments = {a.name for a in gb.assignments}
    gradebook_io.copy_structure(
        payload["db_url"],
        gradebook_io.sqlite_url(template),
        payload["course_id"],
        sorted(assignments),
    )
    settings = {
        "course_id": payload["course_id"],
        "unsandboxed": bool(os.environ.get(UNSANDBOXED_ENV)),
        "cell_timeout": payload.get("cell_timeout"),
        "scratch": scratch,
    }
    worker.init(str(_course_dir()), str(template), settings)
    _local.update(key=key, assignments=assignments)


def _apply(payload: dict, result: dict, note: str) -> tuple[float, float]:
    """Write the grade and its ledger row, retrying a write that met a concurrent one
    (two deliveries of one task, or two workers adding the same student)."""
    from sqlalchemy.exc import DBAPIError

    from autograder import gradebook_io

    for attempt in range(6):
        try:
            return gradebook_io.apply(
                payload["db_url"],
                payload["course_id"],
                payload["assignment"],
                payload["student"],
                result["grades"],
                payload["submission_sha256"],
                payload["source_sha256"],
                note,
            )
        except DBAPIError:
            if attempt == 5:
                raise
            time.sleep(0.2 * (attempt + 1) + random.random() * 0.3)
    raise AssertionError("unreachable")


def _grade_task(self, payload: dict) -> dict:
    """One submission: check the chapter's version, grade, write; the result as data."""
    from autograder import grade, gradebook_io, worker

    student, assignment = payload["student"], payload["assignment"]
    delivery = self.request.delivery_info or {}
    where = {
        "worker": self.request.hostname or socket.gethostname(),
        "redelivered": bool(delivery.get("redelivered")),
    }
    again = " (redelivered)" if where["redelivered"] else ""
    log.info("grading %s/%s%s", student, assignment, again)
    course_dir = _course_dir()
    mine = grade.source_sha256(course_dir, assignment, _code_sha256())
    if mine != payload["source_sha256"]:
        return {
            "student": student,
            "assignment": assignment,
            "ok": False,
            "message": f"worker {where['worker']} has another version of {assignment} or of "
            "the grading code: check out the same commit and rebuild its course",
            **where,
        }
    incoming = Path(tempfile.mkdtemp(prefix="submitted-"))
    try:
        for name, data in payload["files"].items():
            (incoming / Path(name).name).write_bytes(base64.b64decode(data))
        if gradebook_io.files_sha256(incoming) != payload["submission_sha256"]:
            raise ValueError("the submitted files do not match their hash")
        _prepare(payload)
        result = worker.grade_one(student, assignment, str(incoming))
    finally:
        shutil.rmtree(incoming, ignore_errors=True)
    result.update(where, unsandboxed=bool(os.environ.get(UNSANDBOXED_ENV)))
    if result["ok"]:
        result["applied"] = _apply(payload, result, grade.result_note(result))
        del result["grades"]
    log.info("graded %s/%s", student, assignment)
    return result


@worker_process_shutdown.connect
def _clean_up(**_) -> None:
    """A pool process that stops removes its spare kernel and its scratch directory."""
    if "key" in _local:
        from autograder import worker

        worker.shutdown()
    if "scratch" in _local:
        shutil.rmtree(_local["scratch"], ignore_errors=True)


app = make_app()  # `celery -A autograder.distributed worker` finds this


def run_worker(
    course_dir: Path,
    broker: str | None,
    concurrency: int | None = None,
    unsandboxed: bool = False,
    name: str | None = None,
    logfile: str | None = None,
) -> None:
    """``python -m autograder worker``: take grading tasks until stopped."""
    from autograder.sandbox import check_available

    if not unsandboxed:
        check_available()
    os.environ[COURSE_ENV] = str(Path(course_dir).resolve())
    if unsandboxed:
        os.environ[UNSANDBOXED_ENV] = "1"
    from autograder.course import nbgrader_env

    os.environ.update(nbgrader_env())
    # Loaded once here, so that every pool process forked from this one has it.
    import nbgrader.apps  # noqa: F401

    import autograder.worker  # noqa: F401

    _code_sha256()  # before the pool processes are forked, so they all share it
    worker_app = make_app(broker)
    argv = ["worker", "--loglevel=INFO", f"--concurrency={concurrency or os.cpu_count() or 1}"]
    if name:
        argv.append(f"--hostname={name}")
    if logfile:
        argv.append(f"--logfile={logfile}")
    worker_app.worker_main(argv)
