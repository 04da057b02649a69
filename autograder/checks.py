"""Checks used only on the instructor side: own work, and grading one exercise alone.

The value checks (``call``, ``expect_array`` ...) are the student side's, in
``cnnkit.checks``, and are re-exported here for the hidden tests. The functions below
work on the judge's static view of a submitted function (``autograder.static``): they
read the code the student wrote and never run it.
"""

from __future__ import annotations

import contextlib
import inspect
import types

import numpy as np

from autograder.static import static_view
from cnnkit.checks import (  # noqa: F401  (re-exported for the hidden tests)
    CheckFailed,
    as_result_array,
    call,
    describe,
    expect_array,
    expect_equal,
    expect_raises,
    expect_shape,
    quiet,
    signature,
)

# -------------------------------------------------------------------- own work only


def _code_objects(code: types.CodeType):
    yield code
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            yield from _code_objects(const)


def names_used(func, depth: int = 3, seen=None):
    """Global names (and attribute names) used by ``func`` and by the notebook helpers it calls.

    ``func`` may be a judge-side proxy of a student's function: its static view (the
    compiled, never executed, code of the submitted cell) is what is read.
    """
    func = static_view(func)
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
    """Grade ``func`` alone: the notebook's own helpers it calls become reference ones.

    ``replacements`` maps helper names (``"pad2d"``) to reference functions. While the
    block runs, calls of ``func`` made through the judge carry these replacements: in the
    sandbox the student's versions of those helpers are swapped for stand-ins that call
    back into the judge, so one mistake in an earlier exercise costs points only once
    (and the reference code itself never enters the student's process). Put back
    afterwards, whatever happens.
    """
    if not hasattr(func, "helpers"):
        # A plain function (the unit tests of the hidden tests): swap in its namespace.
        namespace = getattr(func, "__globals__", None)
        swapped = {}
        if namespace is not None:
            for name, replacement in replacements.items():
                obj = namespace.get(name)
                if (
                    inspect.isfunction(obj)
                    and obj.__module__ == func.__module__
                    and obj is not func
                ):
                    swapped[name] = obj
                    namespace[name] = replacement
        try:
            yield
        finally:
            if namespace is not None:
                namespace.update(swapped)
        return
    saved = dict(func.helpers)
    func.helpers.update(replacements)
    try:
        yield
    finally:
        func.helpers.clear()
        func.helpers.update(saved)


def reference_helpers_for_this_check(func, replacements):
    """``reference_helpers`` for the rest of one test cell, without a ``with`` block.

    For a visible graded cell, whose lines the student sees: a hidden line at its top
    makes ``func`` call the reference helpers for the rest of that check, so a mistake
    in an earlier exercise is not charged again here. In the judge ``func`` is a proxy
    made afresh for every check, so nothing outlives the cell. On a plain function the
    namespace is changed and not put back: callers outside the judge restore it.
    """
    if hasattr(func, "helpers"):
        func.helpers.update(replacements)
        return
    namespace = getattr(func, "__globals__", None)
    if namespace is None:
        return
    for name, replacement in replacements.items():
        obj = namespace.get(name)
        if inspect.isfunction(obj) and obj.__module__ == func.__module__ and obj is not func:
            namespace[name] = replacement


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
    func = static_view(func)
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


SOFTMAX_AXIS = (
    "the softmax was normalised over axis 0 (the batch): each example's K probabilities, "
    "one ROW of scores, must sum to 1; use axis=1 (with keepdims=True) for the max and the sum"
)


def expect_rows_normalised(label, scores, y, dscores):
    """Name a softmax taken over the wrong axis: the columns of p sum to 1, not the rows."""
    N, K = scores.shape
    d = np.asarray(dscores)
    if K < 2 or d.dtype.kind not in "fiub" or d.shape != scores.shape:
        return
    if not np.all(np.isfinite(d)):
        return
    onehot = np.zeros((N, K))
    onehot[np.arange(N), y] = 1
    p = N * d.astype(float) + onehot
    if np.allclose(p.sum(axis=0), 1) and not np.allclose(p.sum(axis=1), 1):
        raise CheckFailed(f"dscores from {label} is wrong: {SOFTMAX_AXIS}")


# Packages a graded function may not reach into at all (cnnkit holds fast versions of the
# exercises' layers), and the modules of theirs it may use (argument checks only).
LIBRARY_PACKAGES = ("cnnkit", "torch", "scipy", "tensorflow", "jax", "sklearn")
ALLOWED_MODULES = ("cnnkit._validate",)


def _origin(obj) -> str:
    if inspect.ismodule(obj):
        return obj.__name__
    origin = getattr(obj, "__module__", None)
    return origin if isinstance(origin, str) else ""


def expect_own_work_no_library(func, forbidden=()):
    """``expect_own_work``, and no object reached from cnnkit or a deep-learning library.

    Also catches ``import cnnkit.conv as C`` followed by ``C.conv2d_backward(...)`` inside a
    notebook function of the same name, which the name check alone would excuse.
    """
    expect_own_work(func, forbidden)
    name = getattr(func, "__name__", "function")
    namespace = static_view(func).__globals__
    for used in sorted(names_used(func)):
        if used not in namespace:
            continue
        origin = _origin(namespace[used])
        if origin in ALLOWED_MODULES:
            continue
        if any(origin == p or origin.startswith(p + ".") for p in LIBRARY_PACKAGES):
            raise CheckFailed(
                f"{name} uses {used} from {origin}; this exercise asks you to write it yourself"
            )
