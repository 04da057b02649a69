"""Self-study checking (``./course.sh check``), the student's own package and ``update``."""

from __future__ import annotations

import copy
import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import numpy as np
import pytest

from autograder import check as check_mod
from autograder.build import read_source
from cnnkit import selfcheck
from cnnkit.mine import load
from tests.conftest import REPO, require_sandbox

CHAPTER = "01_convolution"
WRONG_CORR2D = '''
def corr2d(X, K):
    """Flips the kernel: a convolution, not a cross-correlation."""
    X = np.asarray(X, dtype=float)
    K = np.asarray(K, dtype=float)[::-1, ::-1]
    kh, kw = K.shape
    out = np.zeros((X.shape[0] - kh + 1, X.shape[1] - kw + 1))
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            out[i, j] = np.sum(X[i : i + kh, j : j + kw] * K)
    return out
'''


@pytest.fixture(scope="module")
def solved():
    """Chapter 1 with every solution cell answered (the instructor's answers)."""
    return read_source(REPO / "solutions" / f"{CHAPTER}.py")


def _write(nb, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{CHAPTER}.ipynb"
    nbformat.write(nb, path)
    return path


@pytest.mark.slow
def test_a_solved_chapter_scores_full_marks_and_goes_into_mine(solved, tmp_path):
    require_sandbox()
    path = _write(solved, tmp_path / "work")
    report = check_mod.check(path, package=tmp_path / "work" / "mine")
    assert report.max_score == 21 and report.score == 21, report.text()
    assert {"corr2d", "conv1d", "conv2d"} <= set(report.exported)
    mine = load({"corr2d": np.sum}, package=tmp_path / "work" / "mine", quiet=True)
    assert mine.owner["corr2d"] == "mine/ch01_convolution"
    X = np.array([[1, 2, 3, 0], [0, 1, 2, 3], [3, 0, 1, 2], [2, 3, 0, 1]])
    K = np.array([[2, 0, 1], [0, 1, 2], [1, 0, 2]])
    assert np.array_equal(mine.corr2d(X, K), [[15, 16], [6, 15]])


@pytest.mark.slow
def test_a_wrong_answer_is_named_costs_its_checks_and_stays_out_of_mine(solved, tmp_path):
    require_sandbox()
    nb = copy.deepcopy(solved)
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == "corr2d":
            cell.source = "import numpy as np\n" + WRONG_CORR2D
    path = _write(nb, tmp_path / "work")
    report = check_mod.check(path, package=tmp_path / "work" / "mine")
    failed = {c.grade_id: c.message for c in report.checks if c.points < c.max_points}
    assert "corr2d_worked_example" in failed
    assert "convolution, not cross-correlation" in " ".join(failed["corr2d_worked_example"].split())
    assert report.score < report.max_score
    assert "corr2d" not in report.exported and "conv1d" in report.exported
    text = report.text()
    # What the feedback would show, never the hidden tests' code or their helpers.
    assert "autograder" not in text and "BEGIN HIDDEN" not in text and "ch01." not in text


@pytest.mark.slow
def test_the_blank_notebook_scores_zero_and_exports_nothing(tmp_path):
    require_sandbox()
    shutil.copy2(REPO / "notebooks" / f"{CHAPTER}.ipynb", tmp_path / f"{CHAPTER}.ipynb")
    out = subprocess.run(
        [sys.executable, "-m", "autograder", "check", "01", "--work", str(tmp_path)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 1, out.stdout + out.stderr
    assert "01_convolution: 0 / 21 points" in out.stdout
    assert "not implemented yet" in out.stdout
    assert not list((tmp_path / "mine").glob("ch*.py"))


def test_a_notebook_name_that_fits_no_chapter_is_refused(tmp_path):
    with pytest.raises(ValueError, match="cannot tell which chapter"):
        check_mod.chapter_of(tmp_path / "homework.ipynb")
    assert check_mod.chapter_of(tmp_path / "01_my_copy.ipynb") == CHAPTER
    with pytest.raises(FileNotFoundError, match="run ./course.sh once"):
        check_mod.find_notebook("42", tmp_path)


def test_mine_falls_back_and_skips_a_broken_module(tmp_path, capsys):
    package = tmp_path / "mine"
    package.mkdir()
    (package / "ch01_a.py").write_text("def f(x):\n    return 'ch01'\n")
    (package / "ch02_b.py").write_text("def f(x):\n    return 'ch02'\n")
    (package / "ch03_c.py").write_text("def g(:\n")
    fns = load({"f": lambda x: "cnnkit", "h": lambda x: "cnnkit"}, package=package)
    assert fns.f(0) == "ch02", "a later chapter's version wins"
    assert fns.h(0) == "cnnkit" and fns.owner == {"f": "mine/ch02_b", "h": "cnnkit"}
    printed = capsys.readouterr().out
    assert "ch03_c.py could not be imported (SyntaxError" in printed
    assert "yours (mine/ch02_b)" in printed
    with pytest.raises(TypeError, match="fallbacks"):
        load({"f": 3}, package=package)


def test_selfcheck_lists_hidden_only_checks_apart():
    nb = nbformat.read(REPO / "notebooks" / f"{CHAPTER}.ipynb", as_version=4)
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == "corr2d_worked_example":
            cell.outputs = [
                nbformat.v4.new_output("error", ename="CheckFailed", evalue="flipped", traceback=[])
            ]
    got = {g: (p, m) for g, p, _, m in selfcheck.results(nb)}
    assert got["corr2d_worked_example"] == (0.0, "CheckFailed: flipped")
    assert got["conv2d_worked_example"][0] == 1.0
    assert got["corr2d_random"][0] is None, "a hidden-only check is not reported as passed"


def _fake_venv(root: Path) -> None:
    """A .venv for ``root`` that is this test run's environment, already set up."""
    venv = root / ".venv"
    (venv / "bin").mkdir(parents=True)
    shutil.copy2(Path(sys.prefix) / "pyvenv.cfg", venv / "pyvenv.cfg")
    (venv / "lib").symlink_to(Path(sys.prefix) / "lib")
    (venv / "bin" / "python").symlink_to(Path(sys.executable).resolve())
    digest = hashlib.sha256((root / "pyproject.toml").read_bytes()).hexdigest()[:16]
    (venv / f".installed-{digest}-").touch()


def _git(cwd, *args):
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


@pytest.mark.slow
def test_course_sh_update_brings_a_fix_and_keeps_every_answer(tmp_path):
    """A student clone, an upstream that fixes a typo, and ``./course.sh update``."""
    upstream = tmp_path / "upstream"
    (upstream / "notebooks").mkdir(parents=True)
    for name in ("course.sh", "pyproject.toml"):
        shutil.copy2(REPO / name, upstream / name)
    shutil.copy2(REPO / "notebooks" / f"{CHAPTER}.ipynb", upstream / "notebooks")
    _git(upstream, "init", "-q", "-b", "main")
    _git(upstream, "add", ".")
    _git(upstream, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "v1")
    student = tmp_path / "student"
    _git(tmp_path, "clone", "-q", str(upstream), str(student))
    _fake_venv(student)
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "PYTHON": sys.executable}

    def course(*args):
        return subprocess.run(
            ["bash", "course.sh", *args], cwd=student, env=env, capture_output=True, text=True
        )

    first = course("update")
    assert first.returncode == 0, first.stdout + first.stderr
    mine_path = student / "work" / f"{CHAPTER}.ipynb"
    nb = nbformat.read(mine_path, as_version=4)
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == "corr2d":
            cell.source = "def corr2d(X, K):\n    return 'my answer'"
    nbformat.write(nb, mine_path)

    fixed = nbformat.read(upstream / "notebooks" / f"{CHAPTER}.ipynb", as_version=4)
    fixed.cells[0].source = fixed.cells[0].source.replace("Convolution", "Convolution [fixed]", 1)
    nbformat.write(fixed, upstream / "notebooks" / f"{CHAPTER}.ipynb")
    _git(upstream, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qam", "fix")

    second = course("update")
    assert second.returncode == 0, second.stdout + second.stderr
    merged = nbformat.read(mine_path, as_version=4)
    text = [c.source for c in merged.cells]
    assert "def corr2d(X, K):\n    return 'my answer'" in text
    assert "Convolution [fixed]" in text[0]
    assert list((student / "work" / ".course" / "backup").glob(f"*/{CHAPTER}.ipynb"))


@pytest.mark.slow
def test_selfcheck_runs_the_visible_checks_in_a_real_kernel(tmp_path):
    """The release's check: failed visible checks are failures even though an interactive
    kernel lets Run All go past them."""
    path = tmp_path / f"{CHAPTER}.ipynb"
    shutil.copy2(REPO / "notebooks" / f"{CHAPTER}.ipynb", path)
    got = {g: p for g, p, _, _ in selfcheck.run(path)}
    assert got["corr2d_worked_example"] == 0.0 and got["conv1d_worked_example"] == 0.0
    assert got["corr2d_random"] is None


@pytest.mark.slow
def test_check_my_work_from_a_notebook_uses_the_judge_beside_a_repository(solved, tmp_path, capsys):
    require_sandbox()
    (tmp_path / "autograder").symlink_to(REPO / "autograder")
    _write(solved, tmp_path / "work")
    assert selfcheck.check_my_work("01", tmp_path / "work") == 0
    assert "01_convolution: 21 / 21 points" in capsys.readouterr().out
    assert (tmp_path / "work" / "mine" / "ch01_convolution.py").is_file()


def test_check_my_work_does_nothing_while_graded(monkeypatch, capsys):
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    assert selfcheck.check_my_work("01") == 0
    assert "skipped while grading" in capsys.readouterr().out
