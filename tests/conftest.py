"""Shared fixtures: a course directory built once per session through real nbgrader."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import matplotlib
import pytest

# Plots in the test process itself stay off-screen; notebook kernels keep the inline
# backend (set through the environment, it would reach them and drop their figures).
matplotlib.use("Agg")
# Two BLAS threads on two shared cores collapse under load; one is faster and steadier.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

REPO = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def require_sandbox():
    """Skip where bubblewrap cannot run, but fail on CI: there the sandbox must be tested."""
    from autograder.sandbox import SandboxUnavailable, check_available

    try:
        check_available()
    except SandboxUnavailable as exc:
        if os.environ.get("CI"):
            raise
        pytest.skip(str(exc))


def submit(course_dir: Path, student: str, chapter: str, notebook: Path) -> Path:
    """Place ``notebook`` as ``submitted/<student>/<chapter>/<chapter>.ipynb``."""
    target = course_dir / "submitted" / student / chapter / f"{chapter}.ipynb"
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(notebook, target)
    return target


@pytest.fixture(scope="session")
def toy_course(tmp_path_factory):
    """The toy chapter built into a fresh course directory: (course_dir, student_dir)."""
    from autograder.build import build

    root = tmp_path_factory.mktemp("toy")
    course_dir, out_dir = root / "course", root / "notebooks"
    build(course_dir, out_dir=out_dir, solutions_dir=FIXTURES / "solutions")
    return course_dir, out_dir
