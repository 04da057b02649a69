"""The instructor pipeline on a toy chapter: build, autograde, export, feedback.

Real nbgrader throughout, with the sandbox. The submissions include broken and malicious
ones: each is graded for what its honest part earns, with a note for the instructor,
and never stops the others from being graded or costs anyone else a grade. The full
adversarial corpus is in ``test_adversarial.py``.
"""

from __future__ import annotations

import csv

import nbformat
import pytest

from autograder import grade
from autograder.build import BuildError, build, read_source
from tests.conftest import FIXTURES, submit

pytestmark = pytest.mark.slow

STUB = "raise NotImplementedError()"


def _with_solution(student_nb_path, body):
    """The student notebook with ``body`` written into the solution cell."""
    nb = nbformat.read(student_nb_path, as_version=4)
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("solution"):
            cell.source = body
    return nb


def test_student_notebook_has_stubs_and_no_hidden_or_solution_text(toy_course):
    _, out_dir = toy_course
    text = (out_dir / "01_toy.ipynb").read_text()
    assert STUB in text
    for secret in ("SECRET-HIDDEN-CASE", "BEGIN SOLUTION", "BEGIN HIDDEN TESTS", "return 2 * x"):
        assert secret not in text


def test_build_is_deterministic(toy_course, tmp_path):
    _, out_dir = toy_course
    build(tmp_path / "course", out_dir=tmp_path / "nb", solutions_dir=FIXTURES / "solutions")
    assert (tmp_path / "nb" / "01_toy.ipynb").read_bytes() == (
        out_dir / "01_toy.ipynb"
    ).read_bytes()


@pytest.mark.parametrize(
    "header, message",
    [
        ('nbgrader={"grade": true, "grade_id": "double_visible"}', "needs points"),
        ('nbgrader={"solution": true, "grade_id": "Bad-Id"}', "lower_snake_case"),
        ('nbgrader={"solution": true, "grade_id": "double", "pointz": 1}', "unknown nbgrader keys"),
        ('nbgrader={"grade": true, "grade_id": "double", "points": 1}', "already used"),
    ],
)
def test_build_rejects_bad_metadata(tmp_path, header, message):
    source = (FIXTURES / "solutions" / "01_toy.py").read_text()
    source += f"\n# %% {header}\nx = 1\n"
    path = tmp_path / "01_bad.py"
    path.write_text(source)
    with pytest.raises(BuildError, match=message):
        read_source(path)


@pytest.fixture(scope="module")
def graded(toy_course, tmp_path_factory):
    """Autograde a mix of good, empty, broken and malicious submissions once."""
    course_dir, out_dir = toy_course
    student_nb = out_dir / "01_toy.ipynb"
    solution_nb = course_dir / "source" / "01_toy" / "01_toy.ipynb"
    tmp = tmp_path_factory.mktemp("subs")

    def variant(name, body):
        path = tmp / f"{name}.ipynb"
        nbformat.write(_with_solution(student_nb, body), path)
        return path

    submit(course_dir, "a_solution", "01_toy", solution_nb)
    # grades the gradebook must not lose: graded before the malicious ones run
    submit(course_dir, "b_stub", "01_toy", student_nb)
    bad_json = tmp / "bad.ipynb"
    bad_json.write_text('{"cells": [')
    submit(course_dir, "c_invalid_json", "01_toy", bad_json)
    nb = nbformat.read(solution_nb, as_version=4)
    nb.cells.append(nb.cells[3].copy())  # a copied grade cell
    dup = tmp / "dup.ipynb"
    nbformat.write(nb, dup)
    submit(course_dir, "d_duplicated_cell", "01_toy", dup)
    submit(course_dir, "e_kills_kernel", "01_toy", variant("kill", "import os\nos._exit(1)"))
    submit(course_dir, "f_never_ends", "01_toy", variant("loop", "while True:\n    pass"))
    submit(
        course_dir,
        "g_deletes_gradebook",
        "01_toy",
        variant(
            "rm",
            "import glob, os\n"
            "for p in glob.glob('../../../gradebook.db') + glob.glob('../../gradebook.db'):\n"
            "    os.remove(p)\n"
            "def double(x):\n    return 2 * x",
        ),
    )
    submit(
        course_dir,
        "h_hides_tracebacks",
        "01_toy",
        variant(
            "hide",
            "get_ipython().showtraceback = lambda *a, **k: None\ndef double(x):\n    return 0",
        ),
    )
    submit(
        course_dir,
        "i_writes_stderr_partial",
        "01_toy",
        variant("partial", "def double(x):\n    return 4 if x == 2 else 0"),
    )
    submit(course_dir, "z_solution_again", "01_toy", solution_nb)
    outcomes = grade.autograde(course_dir, timeout=120, cell_timeout=8, log=lambda *a: None)
    return course_dir, {o.student: o for o in outcomes}


def test_every_sound_submission_is_graded(graded):
    _, outcomes = graded
    assert outcomes["a_solution"].ok and outcomes["a_solution"].score == 3
    assert outcomes["z_solution_again"].ok and outcomes["z_solution_again"].score == 3
    assert outcomes["b_stub"].ok and outcomes["b_stub"].score == 0
    # visible check passes, hidden fails: partial credit
    assert outcomes["i_writes_stderr_partial"].ok
    assert outcomes["i_writes_stderr_partial"].score == 1


@pytest.mark.parametrize(
    "student, score, note",
    [
        ("c_invalid_json", 0, "not a readable notebook"),
        ("d_duplicated_cell", 3, "more than once"),
        ("e_kills_kernel", 0, ""),
        ("f_never_ends", 0, ""),
        ("g_deletes_gradebook", 3, ""),
    ],
)
def test_broken_submissions_get_what_their_honest_part_earns(graded, student, score, note):
    _, outcomes = graded
    outcome = outcomes[student]
    assert outcome.ok, outcome.message
    assert outcome.score == score
    assert note in outcome.message


def test_a_dead_kernel_is_named_in_the_graded_notebook(graded):
    course_dir, _ = graded
    nb = nbformat.read(
        course_dir / "autograded" / "e_kills_kernel" / "01_toy" / "01_toy.ipynb", as_version=4
    )
    errors = [o.evalue for c in nb.cells for o in c.get("outputs", []) if o.output_type == "error"]
    assert any("exited" in e for e in errors), errors


def test_hiding_tracebacks_does_not_earn_points(graded):
    _, outcomes = graded
    assert outcomes["h_hides_tracebacks"].ok
    assert outcomes["h_hides_tracebacks"].score == 0


def test_suspicious_submissions_are_flagged_for_review(graded):
    _, outcomes = graded
    assert "review by hand" in outcomes["h_hides_tracebacks"].message
    assert "get_ipython" in outcomes["h_hides_tracebacks"].message
    assert outcomes["a_solution"].message == ""


def test_no_grade_is_lost_and_a_backup_exists(graded):
    course_dir, _ = graded
    with grade.Gradebook(grade.db_url(course_dir), "cnn-course") as gb:
        assert gb.find_submission("01_toy", "a_solution").score == 3
        assert gb.find_submission("01_toy", "b_stub").score == 0
    assert list((course_dir / "gradebook-backups").glob("gradebook-*.db"))


def test_export_and_feedback(graded, tmp_path):
    course_dir, _ = graded
    totals = grade.export_csv(course_dir, tmp_path / "grades.csv")
    rows = {r["student_id"]: r for r in csv.DictReader(totals.open())}
    assert float(rows["a_solution"]["score"]) == 3.0
    assert float(rows["b_stub"]["score"]) == 0.0
    checks = grade.export_checks_csv(course_dir, tmp_path / "checks.csv")
    per_check = {
        (r["student"], r["check"]): float(r["score"]) for r in csv.DictReader(checks.open())
    }
    assert per_check[("i_writes_stderr_partial", "double_visible")] == 1.0
    assert per_check[("i_writes_stderr_partial", "double_hidden")] == 0.0
    outcomes = grade.feedback(course_dir, students=["a_solution", "b_stub"], log=lambda *a: None)
    assert all(o.ok for o in outcomes) and len(outcomes) == 2
    html = (course_dir / "feedback" / "b_stub" / "01_toy" / "01_toy.html").read_text()
    assert "NotImplementedError" in html


def test_cli_reports_notes(graded, capsys):
    from autograder.__main__ import main

    course_dir, _ = graded
    args = ["--course-dir", str(course_dir), "autograde", "--student", "c_invalid_json"]
    assert main(args) == 0
    assert "0 graded, 1 unchanged" in capsys.readouterr().out
    assert main([*args, "--force"]) == 0
    out = capsys.readouterr().out
    assert "not a readable notebook" in out and "1 graded, 0 unchanged" in out


def test_grading_refuses_without_a_sandbox(toy_course, monkeypatch, capsys):
    from autograder.__main__ import main
    from autograder.sandbox import SandboxUnavailable

    course_dir, _ = toy_course
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(SandboxUnavailable, match="--unsandboxed"):
        grade.autograde(course_dir, log=lambda *a: None)
    assert main(["--course-dir", str(course_dir), "autograde"]) == 2
    assert "refusing to grade" in capsys.readouterr().err


def test_unsandboxed_grading_says_so_in_every_report(toy_course, tmp_path):
    import shutil

    course_dir, out_dir = toy_course
    copy = tmp_path / "course"
    shutil.copytree(course_dir, copy, ignore=shutil.ignore_patterns("submitted", "autograded"))
    submit(copy, "u_solution", "01_toy", course_dir / "source" / "01_toy" / "01_toy.ipynb")
    (outcome,) = grade.autograde(copy, unsandboxed=True, log=lambda *a: None)
    assert outcome.ok and outcome.score == 3
    assert "UNSANDBOXED" in outcome.message
    graded = (copy / "autograded" / "u_solution" / "01_toy" / "01_toy.ipynb").read_text()
    assert "Graded without a sandbox" in graded
