"""The student release holds no answer: no solution, reference or hidden-test function."""

from __future__ import annotations

import shutil
import subprocess
import sys

import jupytext
import pytest

from autograder.release import leaks, make_release, secret_bodies
from tests.conftest import REPO


def _student_side(tmp_path):
    root = tmp_path / "release"
    shutil.copytree(REPO / "cnnkit", root / "cnnkit", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(REPO / "notebooks", root / "notebooks")
    return root


def test_there_are_secrets_to_look_for():
    secrets = secret_bodies()
    where = " ".join(secrets.values())
    assert len(secrets) > 100
    for place in ("reference/", "hidden/", "01_convolution.py:conv1d"):
        assert place in where


def test_the_student_side_holds_no_answer(tmp_path):
    assert leaks(_student_side(tmp_path)) == []


@pytest.mark.parametrize(
    "source",
    [
        "autograder/reference/ch02_padding_stride.py",
        "autograder/hidden/ch03.py",
        "solutions/01_convolution.py",
    ],
)
def test_a_planted_answer_is_found_even_renamed(tmp_path, source):
    root = _student_side(tmp_path)
    text = (REPO / source).read_text()
    # renaming every function and reformatting does not hide its body
    text = text.replace("def ", "def renamed_").replace("    ", "\t")
    (root / "cnnkit" / "helpers_extra.py").write_text(text.replace("\t", "    "))
    found = leaks(root)
    assert found and all("helpers_extra.py" in f for f in found)


def test_a_solution_pasted_into_a_notebook_is_found(tmp_path):
    import nbformat

    root = _student_side(tmp_path)
    path = root / "notebooks" / "01_convolution.ipynb"
    nb = nbformat.read(path, as_version=4)
    solution = jupytext.read(REPO / "solutions" / "01_convolution.py", fmt="py:percent")
    answer = next(
        c for c in solution.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "conv1d"
    )
    nb.cells.append(nbformat.v4.new_code_cell(answer.source.replace("### BEGIN SOLUTION", "")))
    nbformat.write(nb, path)
    assert any("01_convolution.ipynb" in f for f in leaks(root))


@pytest.mark.slow
def test_release_command_builds_an_installable_student_side(tmp_path):
    out = make_release(tmp_path / "student", tmp_path / "course")
    assert sorted(p.name for p in out.iterdir()) == [
        "README.md",
        "cnnkit",
        "course.sh",
        "notebooks",
        "pyproject.toml",
    ]
    assert not (out / "autograder").exists() and not (out / "solutions").exists()
    for nb in (REPO / "notebooks").glob("*.ipynb"):
        assert (out / "notebooks" / nb.name).read_bytes() == nb.read_bytes()
    # the student package imports cnnkit, and autograder is nowhere to be found
    probe = subprocess.run(
        [sys.executable, "-c", "import cnnkit.checks; import autograder"],
        cwd=out,
        capture_output=True,
        text=True,
    )
    assert "No module named 'autograder'" in probe.stderr
