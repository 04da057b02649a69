"""Grading on many machines: Celery workers, a real Redis broker, a real PostgreSQL gradebook.

Two workers (separate processes, as on two machines) grade 20 submissions of the toy
chapter, among them an infinite loop, ``os._exit``, invalid JSON and a duplicated grade
cell. While worker A grades a slow submission it is killed with ``kill -9``, main
process and pool together, as when a machine dies: its task must come back through
the broker's visibility timeout and be graded by worker B. Then there must be exactly
20 grade rows, and every score must be the one the serial local run gives (the
``EXPECTED`` scores that tests/test_grading_engine.py checks the serial run against).

``./course.sh test`` installs and starts redis-server and PostgreSQL (``start_services``)
and says where (``AUTOGRADER_TEST_BROKER``, ``AUTOGRADER_TEST_DB``). Where they are not
running this skips, except on CI, where it fails.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import uuid

import nbformat
import pytest

from autograder import grade, gradebook_io
from autograder.build import build
from autograder.course import ensure_course_config, nbgrader_env
from tests.conftest import FIXTURES, REPO, require_sandbox, submit
from tests.test_grading_engine import EXPECTED

pytestmark = pytest.mark.slow

BROKER = os.environ.get("AUTOGRADER_TEST_BROKER", "redis://127.0.0.1:6379/0")
ADMIN_DB = os.environ.get(
    "AUTOGRADER_TEST_DB", "postgresql+psycopg://autograder:autograder@127.0.0.1:5432/postgres"
)
VISIBILITY = 25  # s: longer than any one toy submission takes, short for the test

GOOD = "def double(x):\n    return 2 * x"
BODIES = {
    "solution": "import time\ntime.sleep(3)\n" + GOOD,  # slow enough to be killed mid-task
    "stub": None,
    "invalid_json": None,
    "duplicated_cell": None,
    "kills_kernel": "import os\nos._exit(1)",
    "never_ends": "while True:\n    pass",
    "partial": "def double(x):\n    return 4 if x == 2 else 0",
    "bad_timestamp": GOOD,
}
SCORES = {
    "solution": EXPECTED["a_solution"],
    "stub": EXPECTED["b_stub"],
    "invalid_json": EXPECTED["c_invalid_json"],
    "duplicated_cell": EXPECTED["d_duplicated_cell"],
    "kills_kernel": EXPECTED["e_kills_kernel"],
    "never_ends": EXPECTED["f_never_ends"],
    "partial": EXPECTED["g_partial"],
    "bad_timestamp": EXPECTED["h_bad_timestamp"],
}
# 20 submissions; the slow ones come first, so that worker A is met grading one.
CLASS = (
    ["solution"] * 5
    + ["never_ends", "kills_kernel", "kills_kernel", "invalid_json", "invalid_json"]
    + ["duplicated_cell"] * 3
    + ["stub"] * 3
    + ["partial"] * 2
    + ["bad_timestamp"] * 2
)
SLOW = "solution"


def _services_or_skip():
    """Redis and PostgreSQL answer, or skip (fail on CI, where they must be tested)."""
    try:
        import psycopg
        import redis
        from sqlalchemy.engine import make_url

        redis.Redis.from_url(BROKER, socket_connect_timeout=3).ping()
        url = make_url(ADMIN_DB)
        psycopg.connect(
            host=url.host,
            port=url.port or 5432,
            user=url.username,
            password=url.password,
            dbname=url.database,
            connect_timeout=3,
        ).close()
    except Exception as exc:
        if os.environ.get("CI"):
            raise
        pytest.skip(f"Redis or PostgreSQL is not running ({type(exc).__name__}: {exc})")


@pytest.fixture
def database():
    """A fresh PostgreSQL database for one course; dropped afterwards."""
    import psycopg
    from sqlalchemy.engine import make_url

    _services_or_skip()
    admin = make_url(ADMIN_DB)
    name = f"autograder_test_{uuid.uuid4().hex[:10]}"
    connect = dict(
        host=admin.host, port=admin.port or 5432, user=admin.username, password=admin.password
    )
    with psycopg.connect(dbname=admin.database, autocommit=True, **connect) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    yield admin.set(database=name).render_as_string(hide_password=False)
    with psycopg.connect(dbname=admin.database, autocommit=True, **connect) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def _course(root, url):
    """The toy chapter built into a course whose gradebook is ``url``; 20 submissions."""
    course_dir, out_dir = root / "course", root / "notebooks"
    ensure_course_config(course_dir)
    with open(course_dir / "nbgrader_config.py", "a", encoding="utf-8") as fh:
        fh.write(f"c.CourseDirectory.db_url = {url!r}\n")
    build(course_dir, out_dir=out_dir, solutions_dir=FIXTURES / "solutions")
    source = course_dir / "source" / "01_toy" / "01_toy.ipynb"
    students = {}
    for i, kind in enumerate(CLASS):
        student = f"s{i:02d}_{kind}"
        students[student] = kind
        path = root / f"{student}.ipynb"
        nb = nbformat.read(source, as_version=4)
        if kind == "stub":
            nb = nbformat.read(out_dir / "01_toy.ipynb", as_version=4)
        elif kind == "duplicated_cell":
            nb.cells.append(nb.cells[3].copy())
        elif BODIES[kind] is not None:
            for cell in nb.cells:
                if cell.metadata.get("nbgrader", {}).get("solution"):
                    cell.source = BODIES[kind]
        # Written as plain JSON: nbformat would "correct" the duplicated cell's id.
        path.write_text(json.dumps(nb))
        if kind == "invalid_json":
            path.write_text('{"cells": [')
        target = submit(course_dir, student, "01_toy", path)
        if kind == "bad_timestamp":
            (target.parent / "timestamp.txt").write_text("not a time")
    return course_dir, students


def _start_worker(course_dir, name, logfile, queue):
    env = {
        **nbgrader_env(),
        "AUTOGRADER_QUEUE": queue,
        "AUTOGRADER_VISIBILITY_TIMEOUT": str(VISIBILITY),
    }
    cmd = [sys.executable, "-m", "autograder", "--course-dir", str(course_dir), "worker"]
    cmd += ["--broker", BROKER, "--concurrency", "1", "--name", name, "--logfile", str(logfile)]
    return subprocess.Popen(
        cmd,
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def _kill_when_busy(worker, logfile, killed, deadline=240):
    """kill -9 worker A (its whole process group) one second into a slow submission."""
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        text = logfile.read_text() if logfile.exists() else ""
        started = re.findall(r"grading (\S+)/01_toy", text)
        done = set(re.findall(r"graded (\S+)/01_toy", text))
        busy = [s for s in started if s not in done]
        if busy and busy[-1].endswith(SLOW):
            time.sleep(1.0)
            if f"graded {busy[-1]}/" in logfile.read_text():
                continue  # finished meanwhile: wait for its next slow one
            os.killpg(worker.pid, signal.SIGKILL)
            killed.append(busy[-1])
            return
        time.sleep(0.1)


def test_two_workers_grade_a_class_through_redis_into_postgresql(tmp_path, database, monkeypatch):
    require_sandbox()
    course_dir, students = _course(tmp_path, database)
    queue = f"grading-test-{uuid.uuid4().hex[:8]}"
    monkeypatch.setenv("AUTOGRADER_QUEUE", queue)
    logs = {name: tmp_path / f"{name}.log" for name in ("A", "B")}
    workers = {
        name: _start_worker(course_dir, f"{name}@%h", logs[name], queue) for name in ("A", "B")
    }
    killed: list[str] = []
    killer = threading.Thread(target=_kill_when_busy, args=(workers["A"], logs["A"], killed))
    killer.start()
    start = time.monotonic()
    try:
        outcomes = grade.autograde(
            course_dir, broker=BROKER, cell_timeout=6, timeout=120, log=lambda *a: None
        )
    finally:
        killer.join()
        for proc in workers.values():
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    seconds = time.monotonic() - start
    print(f"\n20 submissions on 2 Celery workers, one killed: {seconds:.0f} s")

    # Every submission has its serial score.
    assert {o.student: o.score for o in outcomes} == {s: SCORES[k] for s, k in students.items()}
    assert all(o.ok and o.status == "graded" for o in outcomes), [o.line() for o in outcomes]
    # The task worker A died in came back through the broker and B graded it.
    assert len(killed) == 1
    (lost,) = [o for o in outcomes if o.student == killed[0]]
    assert lost.redelivered and lost.worker.startswith("B@"), (lost.worker, lost.redelivered)
    assert "redelivered" in logs["B"].read_text()
    # Exactly one grade row per submission, in PostgreSQL, with its ledger row.
    from nbgrader.api import Gradebook

    with Gradebook(database, "cnn-course") as gb:
        rows = [(s.student.id, s.assignment.name) for s in gb.find_assignment("01_toy").submissions]
    assert sorted(rows) == sorted((s, "01_toy") for s in students)
    ledger = gradebook_io.ledger(database, "cnn-course")
    assert {s: r["score"] for (s, _), r in ledger.items()} == {
        s: SCORES[k] for s, k in students.items()
    }
    # Feedback can be made: the graded notebooks are in the course directory.
    for student in students:
        assert (course_dir / "autograded" / student / "01_toy" / "01_toy.ipynb").is_file()
    # A second run grades nothing: the class is up to date.
    again = grade.autograde(course_dir, broker=BROKER, log=lambda *a: None)
    assert {o.status for o in again} == {"unchanged"}


def test_a_sqlite_gradebook_is_refused_with_a_broker(tmp_path):
    from autograder import distributed

    results = distributed.grade_remote(
        "redis://127.0.0.1:1/0", tmp_path, "cnn-course", "sqlite:///gradebook.db", {}
    )
    with pytest.raises(RuntimeError, match="c.CourseDirectory.db_url"):
        next(results)
