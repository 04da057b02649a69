"""Checks for the visible tests in the notebooks (the student side of grading).

A check calls the student's function quietly, compares the result with what was
expected, and on failure raises ``CheckFailed`` with one or two lines that say what
was expected and what came back. When the wrong answer equals a known misconception
(a flipped kernel, an output one element too short, the wrong mode ...) the message
names the misconception instead of printing numbers.

This module ships to students: it holds no expected values, references or hidden
cases. During grading the same functions run in the judge, outside the student's
process, on the student's functions reached through the sandbox (``autograder.judge``).

Two nbgrader rules shape this module:

* a test cell that writes anything to stderr scores zero even if it passes, so the
  student's code runs with warnings silenced and stderr captured;
* a test cell's traceback is shown in the feedback, so a failure is raised from here
  with a message, never with the test's data in the cell source.

A failing visible test must not stop a student's *Run All* (the figures and widgets
further down still run), yet it must still fail wherever it is graded. So, in an
interactive Jupyter kernel only, importing this module registers an IPython hook
(``keep_running_after_failed_checks``): a ``CheckFailed`` still stops its own cell and
is shown as a short message, but the cell is reported to the front end as finished, so
the cells after it run. Wherever grading happens nothing changes: nbgrader sets
``NBGRADER_EXECUTION`` for autograde and for the toolbar's Validate, and the judge runs
the test cells outside any IPython kernel; there a ``CheckFailed`` is an error as before.
"""

from __future__ import annotations

import contextlib
import io
import numbers
import os
import sys
import warnings

import numpy as np


class CheckFailed(AssertionError):
    """A graded check did not pass; the message explains why."""


# ------------------------------------------------------------ interactive Run All

SOFT_NOTE = "(a visible test failed; the cells below still run. Fix it before you submit.)"


def _interactive_shell():
    """The IPython kernel shell of an interactive session, or None (graded, script, judge)."""
    if os.environ.get("NBGRADER_EXECUTION"):
        return None  # autograde or Validate: a failed check must fail the cell
    shell_module = sys.modules.get("IPython")
    if shell_module is None:
        return None
    shell = shell_module.get_ipython()
    # Only a kernel behind a notebook front end: a terminal IPython has no Run All.
    if shell is None or type(shell).__name__ != "ZMQInteractiveShell":
        return None
    return shell


def _show_check_failed(shell, etype, value, tb, tb_offset=None):
    """Custom IPython handler: show the check's message (no traceback of checks code)."""
    import html

    from IPython.display import display

    text = f"✗ {etype.__name__}: {value}"
    display(
        {
            "text/plain": f"{text}\n{SOFT_NOTE}",
            "text/html": (
                '<div style="border-left: 4px solid #c62828; background: #fdecea; '
                'padding: 4px 8px; white-space: pre-wrap; font-family: monospace">'
                f"<b>{html.escape(text)}</b><br>{html.escape(SOFT_NOTE)}</div>"
            ),
        },
        raw=True,
    )


def _forget_check_failed(result):
    """post_run_cell hook: a cell stopped by ``CheckFailed`` counts as finished, not failed."""
    if result is not None and isinstance(result.error_in_exec, CheckFailed):
        result.error_in_exec = None


def keep_running_after_failed_checks(shell=None) -> bool:
    """Let *Run All* go past a failed visible test in an interactive notebook.

    Returns whether the hook was installed: only in an interactive kernel, never while
    nbgrader executes a notebook (``NBGRADER_EXECUTION``) and never in the judge.
    Installing twice is harmless.
    """
    shell = shell if shell is not None else _interactive_shell()
    if shell is None:
        return False
    shell.set_custom_exc((CheckFailed,), _show_check_failed)
    callbacks = shell.events.callbacks.get("post_run_cell", [])
    if not any(getattr(cb, "__name__", "") == "_forget_check_failed" for cb in callbacks):
        shell.events.register("post_run_cell", _forget_check_failed)
    return True


# --------------------------------------------------------------------------- calling


def describe(value) -> str:
    """Short text for an argument: arrays by shape, everything else by repr."""
    if isinstance(value, np.ndarray):
        return f"array{value.shape}"
    if isinstance(value, (list, tuple)) and len(repr(value)) > 40:
        return f"{type(value).__name__} of length {len(value)}"
    return repr(value)


def signature(func, args=(), kwargs=None) -> str:
    """``name(arg, arg, key=value)`` for messages, e.g. ``corr2d(array(4, 4), array(3, 3))``."""
    parts = [describe(a) for a in args]
    parts += [f"{k}={describe(v)}" for k, v in (kwargs or {}).items()]
    return f"{getattr(func, '__name__', 'function')}({', '.join(parts)})"


def call(func, args=(), kwargs=None, label=None):
    """Call ``func(*args, **kwargs)`` on copies of the arguments, silently.

    Returns the result. A ``NotImplementedError`` is re-raised as such (the exercise is
    not done yet); any other exception becomes ``CheckFailed`` naming the call.
    Arguments are copied so that a function that modifies its input in place cannot
    change the expected values computed from the same arrays.
    """
    kwargs = dict(kwargs or {})
    label = label or signature(func, args, kwargs)
    args = [a.copy() if isinstance(a, np.ndarray) else a for a in args]
    kwargs = {k: v.copy() if isinstance(v, np.ndarray) else v for k, v in kwargs.items()}
    with quiet():
        try:
            return func(*args, **kwargs)
        except NotImplementedError:
            raise NotImplementedError(
                f"{label}: not implemented yet (replace `raise NotImplementedError()` "
                "with your code)"
            ) from None
        except CheckFailed:
            raise
        except Exception as exc:
            raise CheckFailed(f"{label} raised {type(exc).__name__}: {exc}") from None


@contextlib.contextmanager
def quiet():
    """Silence warnings and stderr: nbgrader scores a cell that writes to stderr as zero."""
    with (
        warnings.catch_warnings(),
        np.errstate(all="ignore"),
        contextlib.redirect_stderr(io.StringIO()),
    ):
        warnings.simplefilter("ignore")
        yield


# ----------------------------------------------------------------------- comparing


def _show(a) -> str:
    a = np.asarray(a)
    if a.dtype.kind in "fc":
        a = np.round(a, 6) + 0.0  # + 0.0 turns -0.0 into 0.0 for display
    return np.array2string(a, separator=", ", threshold=40, max_line_width=10_000).replace("\n", "")


def _matches(got: np.ndarray, want, rtol: float, atol: float) -> bool:
    want = np.asarray(want)
    return got.shape == want.shape and bool(np.allclose(got, want, rtol=rtol, atol=atol))


def as_result_array(label: str, got) -> np.ndarray:
    """The student's result as a float array, or CheckFailed if it is not array-like."""
    if got is None:
        raise CheckFailed(f"{label} returned None; did you forget `return`?")
    try:
        arr = np.asarray(got)
    except Exception:
        arr = np.asarray(object())
    if arr.dtype == object or not (
        np.issubdtype(arr.dtype, np.number) or np.issubdtype(arr.dtype, np.bool_)
    ):
        raise CheckFailed(f"{label} returned {type(got).__name__}, expected a numeric array")
    return arr


def expect_shape(label: str, got, expected_shape, misconceptions=None) -> np.ndarray:
    """Check the shape of an array result; name a misconception whose shape matches."""
    arr = as_result_array(label, got)
    expected_shape = tuple(expected_shape)
    if arr.shape != expected_shape:
        for message, variant in (misconceptions or {}).items():
            if np.shape(variant) == arr.shape:
                raise CheckFailed(
                    f"{label} returned shape {arr.shape}, expected {expected_shape}: {message}"
                )
        raise CheckFailed(f"{label} returned shape {arr.shape}, expected {expected_shape}")
    return arr


def expect_array(label: str, got, expected, misconceptions=None, rtol=1e-10, atol=1e-10):
    """Check an array result against ``expected`` (shape first, then values).

    Parameters
    ----------
    label : str
        What was called, e.g. ``"corr2d(X, K)"``.
    got : array_like
        The student's result.
    expected : array_like
        The right answer.
    misconceptions : dict of str -> array_like, optional
        Known wrong answers: message to show -> the array that mistake produces.
    rtol, atol : float
        Tolerances for ``np.allclose``.
    """
    expected = np.asarray(expected)
    misconceptions = misconceptions or {}
    arr = expect_shape(label, got, expected.shape, misconceptions)
    if _matches(arr, expected, rtol, atol):
        return
    if not np.all(np.isfinite(arr)):
        raise CheckFailed(f"{label} contains NaN or inf: {_show(arr)}")
    for message, variant in misconceptions.items():
        if _matches(arr, variant, rtol, atol):
            raise CheckFailed(f"{label} is wrong: {message}")
    if expected.size <= 25:
        raise CheckFailed(f"{label} returned {_show(arr)}, expected {_show(expected)}")
    diff = np.abs(arr - expected)
    where = tuple(int(i) for i in np.unravel_index(np.argmax(diff), diff.shape))
    wrong = int(np.sum(~np.isclose(arr, expected, rtol=rtol, atol=atol)))
    raise CheckFailed(
        f"{label}: {wrong} of {expected.size} values are wrong; e.g. at index {where} "
        f"expected {expected[where]:.6g}, got {arr[where]:.6g}"
    )


def expect_equal(label: str, got, expected, misconceptions=None):
    """Check a scalar, tuple or other exact result; name a matching misconception."""

    def same(a, b):
        if isinstance(a, (bool, np.bool_)) != isinstance(b, (bool, np.bool_)):
            return False
        if isinstance(b, numbers.Integral) and not isinstance(b, bool):
            # a count must come back as an integer, not 4.0
            return isinstance(a, numbers.Integral) and a == b
        if isinstance(b, numbers.Number) and isinstance(a, (numbers.Number, np.generic)):
            return a == b
        if isinstance(b, tuple) and isinstance(a, (tuple, list)):
            return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
        return type(a) is type(b) and a == b

    if got is None and expected is not None:
        raise CheckFailed(f"{label} returned None; did you forget `return`?")
    if same(got, expected):
        return
    for message, variant in (misconceptions or {}).items():
        if same(got, variant):
            raise CheckFailed(f"{label} returned {got!r}: {message}")
    raise CheckFailed(f"{label} returned {got!r}, expected {expected!r}")


def expect_raises(func, args=(), kwargs=None, exc=ValueError, why=""):
    """Check that bad input is rejected with ``exc`` (a clear error, not a wrong answer)."""
    label = signature(func, args, kwargs)
    with quiet():
        try:
            result = func(*args, **(kwargs or {}))
        except NotImplementedError:
            raise NotImplementedError(f"{label}: not implemented yet") from None
        except exc:
            return
        except Exception as other:
            raise CheckFailed(
                f"{label} should raise {exc.__name__}{' (' + why + ')' if why else ''}, "
                f"but raised {type(other).__name__}: {other}"
            ) from None
    raise CheckFailed(
        f"{label} should raise {exc.__name__}{' (' + why + ')' if why else ''}, "
        f"but returned {describe(result) if isinstance(result, np.ndarray) else repr(result)}"
    )


keep_running_after_failed_checks()
