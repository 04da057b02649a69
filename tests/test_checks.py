"""The shared checks: what passes, what fails, and what the messages say."""

from __future__ import annotations

import sys
import warnings

import numpy as np
import pytest

from autograder import checks
from autograder.checks import CheckFailed


def test_expect_array_passes_within_tolerance_and_fails_outside():
    checks.expect_array("f(x)", np.array([1.0, 2.0 + 1e-13]), [1, 2])
    with pytest.raises(CheckFailed, match=r"f\(x\) returned \[1\., 3\.\], expected \[1, 2\]"):
        checks.expect_array("f(x)", np.array([1.0, 3.0]), [1, 2])


def test_shape_mismatch_names_the_matching_misconception():
    with pytest.raises(CheckFailed, match="shape \\(2,\\), expected \\(3,\\): one too short"):
        checks.expect_array("f", np.zeros(2), np.zeros(3), {"one too short": np.zeros(2)})
    with pytest.raises(CheckFailed, match="shape \\(4,\\), expected \\(3,\\)$"):
        checks.expect_array("f", np.zeros(4), np.zeros(3), {"one too short": np.zeros(2)})


def test_value_misconception_is_named_instead_of_numbers():
    with pytest.raises(CheckFailed, match="is wrong: flipped"):
        checks.expect_array("f", [3, 2, 1], [1, 2, 3], {"flipped": [3, 2, 1]})


def test_large_arrays_report_count_and_first_difference():
    want = np.arange(100.0).reshape(10, 10)
    got = want.copy()
    got[3, 4] += 1
    with pytest.raises(CheckFailed, match=r"1 of 100 values are wrong; e.g. at index \(3, 4\)"):
        checks.expect_array("f", got, want)


@pytest.mark.parametrize(
    "got, message",
    [(None, "returned None"), ("abc", "expected a numeric array"), ([np.nan, 1.0], "NaN")],
)
def test_bad_results(got, message):
    with pytest.raises(CheckFailed, match=message):
        checks.expect_array("f", got, [1.0, 2.0])


def test_expect_equal_is_strict_about_types_and_names_misconceptions():
    checks.expect_equal("n", 3, 3)
    checks.expect_equal("t", [1, 2], (1, 2))
    checks.expect_equal("n", np.int64(3), 3)
    checks.expect_equal("x", 3, 3.0)
    with pytest.raises(CheckFailed, match="expected 3"):
        checks.expect_equal("n", True, 3)
    with pytest.raises(CheckFailed, match="returned 3.0, expected 3"):
        checks.expect_equal("n", 3.0, 3)
    with pytest.raises(CheckFailed, match="returned 1, expected True"):
        checks.expect_equal("b", 1, True)
    with pytest.raises(CheckFailed, match="off by one"):
        checks.expect_equal("n", 2, 3, {"off by one": 2})


def test_call_is_silent_and_copies_its_arguments(capfd):
    def noisy(a):
        warnings.warn("careful", RuntimeWarning, stacklevel=1)
        print("to stderr", file=sys.stderr)
        a[0] = 99
        return np.log(np.array([0.0]))

    x = np.array([1.0, 2.0])
    checks.call(noisy, (x,))
    assert x[0] == 1.0
    assert capfd.readouterr().err == ""


def test_call_turns_errors_into_messages_and_keeps_not_implemented():
    def broken(X):
        return X[10]

    with pytest.raises(CheckFailed, match=r"broken\(array\(3,\)\) raised IndexError"):
        checks.call(broken, (np.zeros(3),))

    def stub(X):
        raise NotImplementedError()

    with pytest.raises(NotImplementedError, match="not implemented yet"):
        checks.call(stub, (1,))


def test_expect_raises():
    def strict(n):
        if n < 0:
            raise ValueError("n must be >= 0")
        return n

    checks.expect_raises(strict, (-1,))
    with pytest.raises(CheckFailed, match="should raise ValueError \\(negative\\), but returned 3"):
        checks.expect_raises(strict, (3,), why="negative")

    def wrong_error(n):
        raise TypeError("nope")

    with pytest.raises(CheckFailed, match="but raised TypeError"):
        checks.expect_raises(wrong_error, (3,))


def _as_main(f, **g):
    import types

    new = types.FunctionType(f.__code__, {"np": np, **g}, f.__name__)
    new.__module__ = "__main__"
    return new


def im2col(x):
    return x


def uses_own_im2col(x):
    return im2col(x)


def test_expect_own_work():
    def own(x):
        return np.sum(x)

    checks.expect_own_work(_as_main(own), forbidden=("convolve",))

    def shortcut(x):
        return np.convolve(x, x)

    with pytest.raises(CheckFailed, match="calls np.convolve"):
        checks.expect_own_work(_as_main(shortcut), forbidden=("convolve",))

    def via_helper(x):
        return helper(x)  # noqa: F821

    bad_helper = _as_main(shortcut)
    with pytest.raises(CheckFailed, match="calls np.convolve"):
        checks.expect_own_work(_as_main(via_helper, helper=bad_helper), forbidden=("convolve",))

    # the student's own function named like a forbidden one is fine
    checks.expect_own_work(
        _as_main(uses_own_im2col, im2col=_as_main(im2col)), forbidden=("im2col",)
    )
    from cnnkit import conv, gradcheck
    from cnnkit.im2col import im2col as cnnkit_im2col

    def aliased(x):
        return fast(x)  # noqa: F821

    with pytest.raises(CheckFailed, match="calls im2col \\(as fast\\)"):
        checks.expect_own_work(_as_main(aliased, fast=cnnkit_im2col), forbidden=("im2col",))

    def via_module(x):
        return C.conv2d_forward(x)  # noqa: F821

    with pytest.raises(CheckFailed, match="calls C.conv2d_forward"):
        checks.expect_own_work(_as_main(via_module, C=conv), forbidden=("conv2d_forward",))

    def same_name_via_module(x):
        return C.conv2d_forward(x)  # noqa: F821

    same_name_via_module.__name__ = "conv2d_forward"
    student = _as_main(same_name_via_module, C=conv)
    student.__globals__["conv2d_forward"] = student
    with pytest.raises(CheckFailed, match="calls C.conv2d_forward"):
        checks.expect_own_work(student, forbidden=("conv2d_forward",))

    torch = pytest.importorskip("torch")

    def uses_torch(x):
        return T.relu(x)  # noqa: F821

    with pytest.raises(CheckFailed, match="from torch"):
        checks.expect_own_work(_as_main(uses_torch, T=torch))

    with pytest.raises(CheckFailed, match="comes from cnnkit.gradcheck"):
        checks.expect_own_work(gradcheck.rel_error)
    with pytest.raises(CheckFailed, match="must be a function"):
        checks.expect_own_work(np.sum)


def _run_all(env_value):
    """Run a three-cell notebook (import, failing check, later cell) in a real kernel."""
    import os

    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell("from cnnkit.checks import CheckFailed, expect_equal"),
        nbformat.v4.new_code_cell("expect_equal('f(2)', 5, 4)\nprint('not reached')"),
        nbformat.v4.new_code_cell("print('later cell ran')"),
    ]
    old = os.environ.pop("NBGRADER_EXECUTION", None)
    if env_value:
        os.environ["NBGRADER_EXECUTION"] = env_value
    try:
        NotebookClient(nb, timeout=60, kernel_name="python3").execute()
    finally:
        os.environ.pop("NBGRADER_EXECUTION", None)
        if old is not None:
            os.environ["NBGRADER_EXECUTION"] = old
    return nb


@pytest.mark.slow
def test_run_all_goes_past_a_failed_visible_test_but_grading_still_fails_it():
    from nbclient.exceptions import CellExecutionError

    nb = _run_all(None)
    failed = nb.cells[1].outputs
    assert [o.output_type for o in failed] == ["display_data"]  # no error, no traceback
    text = failed[0].data["text/plain"]
    assert "f(2) returned 5, expected 4" in text and "still run" in text
    assert nb.cells[2].outputs[0].text == "later cell ran\n"
    # nbgrader's Validate (and autograde) set NBGRADER_EXECUTION: the cell fails there
    with pytest.raises(CellExecutionError, match="CheckFailed"):
        _run_all("validate")


def test_no_run_all_hook_outside_an_interactive_kernel():
    assert checks.CheckFailed is CheckFailed
    from cnnkit import checks as student_checks

    assert student_checks.keep_running_after_failed_checks() is False
