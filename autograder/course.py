"""Where things live, and how nbgrader is called.

One place for the repository layout and for running nbgrader as a subprocess, so that
every instructor command uses the same configuration and PATH.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SOLUTIONS = REPO / "solutions"
NOTEBOOKS = REPO / "notebooks"
CONFIG = Path(__file__).resolve().parent / "nbgrader_config.py"
DEFAULT_COURSE_DIR = REPO / "course"

# What students see in place of each solution (nbgrader's ClearSolutions stubs); the
# grader puts the same stub back where a submission lost a solution cell.
CODE_STUB = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
TEXT_STUB = "YOUR ANSWER HERE"


def assignments(solutions_dir: Path = SOLUTIONS) -> list[str]:
    """Names of the chapters, e.g. ``["01_convolution", ...]``, from ``solutions/NN_*.py``."""
    return sorted(p.stem for p in solutions_dir.glob("[0-9][0-9]_*.py"))


def nbgrader_env() -> dict:
    """Environment for nbgrader subprocesses.

    nbgrader runs ``alembic`` through PATH when it creates a gradebook, so the
    interpreter's own ``bin/`` must come first, or it fails with
    "No such file or directory: 'alembic'".
    """
    env = dict(os.environ)
    bindir = str(Path(sys.executable).parent)
    env["PATH"] = bindir + os.pathsep + env.get("PATH", "")
    # The course packages must be importable by the grading kernel even when the
    # repository is not installed (a plain checkout).
    env["PYTHONPATH"] = str(REPO) + (
        os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else ""
    )
    return env


def ensure_course_config(course_dir: Path) -> Path:
    """Give the course directory an ``nbgrader_config.py`` that loads the course's own.

    nbgrader reads ``nbgrader_config.py`` from the course root (its ``--config`` flag
    expects a name without ``.py`` and silently loads nothing otherwise). The file is
    written once; instructors may add their own settings below the first lines.
    """
    course_dir = Path(course_dir)
    course_dir.mkdir(parents=True, exist_ok=True)
    path = course_dir / "nbgrader_config.py"
    if not path.exists():
        path.write_text(
            "# Written by `python -m autograder`: the course configuration, then local overrides.\n"
            "c = get_config()  # noqa: F821\n"
            f"load_subconfig({str(CONFIG)!r})  # noqa: F821\n"
        )
    return path


def run_nbgrader(
    args: list[str], course_dir: Path, timeout: float | None = None
) -> subprocess.CompletedProcess:
    """Run ``nbgrader <args>`` on ``course_dir`` with the course configuration.

    Output is captured and returned, never raised on: callers decide what a failure
    means (one broken submission must not stop the others). On ``timeout`` the whole
    process group is killed, kernels included, and the return code is -9.
    """
    ensure_course_config(course_dir)
    cmd = [sys.executable, "-m", "nbgrader", *args, f"--CourseDirectory.root={course_dir}"]
    proc = subprocess.Popen(
        cmd,
        cwd=course_dir,
        env=nbgrader_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        err += f"\n[autograder] nbgrader {args[0]} killed after {timeout:.0f} s"
        return subprocess.CompletedProcess(cmd, -9, out, err)
    return subprocess.CompletedProcess(cmd, proc.returncode, out, err)
