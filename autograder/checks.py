"""Checks shared by every chapter's test cells.

A check calls the student's function quietly, compares the result with what was
expected, and on failure raises ``CheckFailed`` with one or two lines that say what
was expected and what came back. When the wrong answer equals a known misconception
(a flipped kernel, an output one element too short, the wrong mode ...) the message
names the misconception instead of printing numbers.

Two nbgrader rules shape this module:

* a test cell that writes anything to stderr scores zero even if it passes, so the
  student's code runs with warnings silenced and stderr captured;
* a test cell's traceback is shown in the feedback, so a failure is raised from here
  with a message, never with the test's data in the cell source.
"""

from __future__ import annotations

import contextlib
import inspect
import io
import numbers
import types
import warnings

import numpy as np


class CheckFailed(AssertionError):
    """A graded check did not pass; the message explains why."""


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


# -------------------------------------------------------------------- own work only


def _code_objects(code: types.CodeType):
    yield code
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            yield from _code_objects(const)


def names_used(func, depth: int = 3, seen=None):
    """Global names (and attribute names) used by ``func`` and by the notebook helpers it calls."""
    seen = set() if seen is None else seen
    if func in seen or depth < 0 or not inspect.isfunction(func):
        return set()
    seen.add(func)
    names = set()
    for code in _code_objects(func.__code__):
        names.update(code.co_names)
    for name in list(names):
        helper = func.__globals__.get(name)
        if inspect.isfunction(helper) and helper.__module__ == func.__module__:
            names |= names_used(helper, depth - 1, seen)
    return names


@contextlib.contextmanager
def reference_helpers(func, replacements):
    """Grade ``func`` alone: swap the notebook's own helpers it calls for reference ones.

    ``replacements`` maps helper names (``"pad2d"``) to reference functions. While the
    block runs, the student's versions of those helpers in ``func``'s notebook namespace
    are replaced, so one mistake in an earlier exercise costs points only once; they are
    put back afterwards, whatever happens.
    """
    namespace = getattr(func, "__globals__", None)
    saved = {}
    if namespace is not None:
        for name, replacement in replacements.items():
            obj = namespace.get(name)
            if inspect.isfunction(obj) and obj.__module__ == func.__module__ and obj is not func:
                saved[name] = obj
                namespace[name] = replacement
    try:
        yield
    finally:
        if namespace is not None:
            namespace.update(saved)


# Packages whose functions would do a graded exercise outright, under any alias.
ALWAYS_FORBIDDEN = ("autograder", "torch", "scipy", "tensorflow", "jax", "sklearn")


def _origin(obj) -> str:
    """The module an object comes from ('' if unknown)."""
    if inspect.ismodule(obj):
        return obj.__name__
    origin = getattr(obj, "__module__", None)
    return origin if isinstance(origin, str) else ""


def expect_own_work(func, forbidden=(), allowed_modules=("__main__",)):
    """Reject a graded function that is not written in the notebook or calls a forbidden helper.

    ``forbidden`` lists names (``"convolve"``, ``"correlate2d"``, ``"conv2d_forward"``)
    whose use would skip the exercise, e.g. ``numpy.convolve`` in a convolution exercise;
    they are caught as attributes (``np.convolve``), as imported names, under an alias
    (``from cnnkit.im2col import im2col as fast``) and through a module alias
    (``import cnnkit.conv as C; C.conv2d_forward``). Anything from the autograder or
    from a deep-learning or scientific library in ``ALWAYS_FORBIDDEN`` is rejected too.
    """
    name = getattr(func, "__name__", repr(func))
    if not inspect.isfunction(func):
        raise CheckFailed(f"{name} must be a function defined in this notebook")
    module = func.__module__ or ""
    if module not in allowed_modules:
        raise CheckFailed(
            f"{name} comes from {module}; write it yourself in the notebook's solution cell"
        )
    forbidden = set(forbidden)
    used = names_used(func)
    for name_used in sorted(used):
        if name_used not in func.__globals__:
            continue
        obj = func.__globals__[name_used]
        origin = _origin(obj)
        package = origin.split(".")[0]
        if package in ALWAYS_FORBIDDEN:
            where = "the autograder" if package == "autograder" else package
            raise CheckFailed(f"{name} uses {name_used} from {where}; write it yourself")
        if origin in allowed_modules:
            continue  # the student's own notebook code
        # an imported function under another name: judge it by its real name
        real = getattr(obj, "__name__", None)
        if not inspect.ismodule(obj) and real in forbidden:
            raise CheckFailed(
                f"{name} calls {real} (as {name_used}); this exercise asks you to write it yourself"
            )
        # a module alias: forbidden attributes reached through it
        if inspect.ismodule(obj):
            reached = sorted(n for n in used & forbidden if hasattr(obj, n))
            if reached:
                raise CheckFailed(
                    f"{name} calls {name_used}.{reached[0]}; "
                    "this exercise asks you to write it yourself"
                )
    # A forbidden name counts unless it is the student's own notebook function
    # (their own ``im2col`` is fine; ``np.convolve`` is not).
    hits = sorted(
        n
        for n in used & forbidden
        if not (
            inspect.isfunction(func.__globals__.get(n))
            and func.__globals__[n].__module__ in allowed_modules
        )
    )
    if hits:
        raise CheckFailed(
            f"{name} calls {', '.join(hits)}; this exercise asks you to write that part yourself"
        )
