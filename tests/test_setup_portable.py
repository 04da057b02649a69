"""The setup beyond Debian: ./course.sh without sha256sum and apt-get, and cnnkit.lab.

The script runs for real on a copy of the repository whose .venv is a stand-in: its
python forwards to this test's interpreter but refuses ``-m pip`` (so a wrong
install stamp fails the test instead of reinstalling the shared environment).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from cnnkit import lab

REPO = Path(__file__).resolve().parent.parent
BANNED = {"sha256sum", "apt-get", "apt", "dpkg"}


def _path_without(banned, where):
    """A PATH of one folder linking every command on PATH except ``banned``."""
    where.mkdir()
    for folder in os.environ["PATH"].split(os.pathsep):
        if not os.path.isdir(folder):
            continue
        for entry in os.scandir(folder):
            target = where / entry.name
            if entry.name in banned or target.exists() or not os.access(entry.path, os.X_OK):
                continue
            target.symlink_to(entry.path)
    return str(where)


@pytest.fixture
def course_copy(tmp_path):
    root = tmp_path / "course"
    root.mkdir()
    for name in ("course.sh", "pyproject.toml", "README.md"):
        shutil.copy2(REPO / name, root / name)
    for name in ("cnnkit", "notebooks", "deploy"):
        shutil.copytree(REPO / name, root / name, ignore=shutil.ignore_patterns("__pycache__"))
    venv_bin = root / ".venv" / "bin"
    venv_bin.mkdir(parents=True)
    (venv_bin / "python").write_text(
        "#!/bin/sh\n"
        'if [ "$1" = -m ] && [ "$2" = pip ]; then echo "PIP CALLED: $*" >&2; exit 3; fi\n'
        f'exec {sys.executable} "$@"\n'
    )
    (venv_bin / "python").chmod(0o755)
    digest = hashlib.sha256((root / "pyproject.toml").read_bytes()).hexdigest()[:16]
    (root / ".venv" / f".installed-{digest}-").touch()
    return root


def _run(root, tmp_path, *args):
    import matplotlib

    env = dict(os.environ, PATH=_path_without(BANNED, tmp_path / "bin"), HOME=str(tmp_path))
    env["MPLCONFIGDIR"] = matplotlib.get_configdir()  # its font cache: built once, not per test
    env.pop("JUPYTER_CONFIG_PATH", None)
    debian = Path("/usr/share/datasets/fashion-mnist")
    if debian.is_dir():  # stands for a copy already in the user cache: no download here
        env["CNNKIT_FASHION_MNIST"] = str(debian)
    return subprocess.run(
        ["bash", str(root / "course.sh"), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_the_banned_commands_are_really_gone(tmp_path):
    path = _path_without(BANNED, tmp_path / "bin")
    for name in BANNED:
        assert shutil.which(name, path=path) is None
    assert shutil.which("bash", path=path) is not None


def test_setup_without_sha256sum_and_apt(course_copy, tmp_path):
    run = _run(course_copy, tmp_path, "setup")
    assert run.returncode == 0, run.stdout + run.stderr
    assert "PIP CALLED" not in run.stderr  # the stamp was computed without sha256sum
    assert "command not found" not in run.stderr
    assert "Debian packages" not in run.stdout  # no apt, so nothing tried


def test_lab_without_sha256sum_and_apt(course_copy, tmp_path):
    """./course.sh lab reaches JupyterLab (asked only for its version here)."""
    run = _run(course_copy, tmp_path, "lab", "--version")
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.strip().splitlines()[-1][0].isdigit()  # e.g. 4.2.5
    assert sorted(p.name for p in (course_copy / "work").glob("*.ipynb")) == sorted(
        p.name for p in (course_copy / "notebooks").glob("*.ipynb")
    )


def test_pyproject_license_is_an_spdx_string():
    import tomllib

    data = tomllib.loads((REPO / "pyproject.toml").read_text())
    assert data["project"]["license"] == "MIT"  # a table is deprecated by setuptools


# --------------------------------------------------------------------------- cnnkit.lab


def test_lab_finds_the_course_and_copies_new_chapters_only(course_copy):
    assert lab.course_root(course_copy) == course_copy.resolve()
    copied = lab.workspace(course_copy)
    assert copied and all(p.parent == course_copy / "work" for p in copied)
    mine = copied[0]
    mine.write_bytes(mine.read_bytes() + b"\n")  # the student's edits
    answer = mine.read_bytes()
    assert lab.workspace(course_copy) == []
    assert mine.read_bytes() == answer


def test_lab_environment_hides_the_instructor_ui(course_copy):
    env = lab.lab_environment(course_copy, env={"JUPYTER_CONFIG_PATH": "/elsewhere"})
    first, rest = env["JUPYTER_CONFIG_PATH"].split(os.pathsep)
    assert Path(first) == course_copy / "deploy" / "student-lab" and rest == "/elsewhere"
    page = json.loads((Path(first) / "labconfig" / "page_config.json").read_text())
    assert page["disabledExtensions"]["@jupyter/nbgrader:formgrader"] is True
    assert page["disabledExtensions"]["@jupyter/nbgrader:create-assignment"] is True
    assert (Path(env["MATPLOTLIBRC"]) / "matplotlibrc").is_file()


def test_lab_command(course_copy):
    command = lab.lab_command(course_copy, ["--no-browser"])
    assert command[:3] == [sys.executable, "-m", "jupyterlab"]
    assert f"--ServerApp.root_dir={course_copy / 'work'}" in command
    assert command[-1] == "--no-browser"
