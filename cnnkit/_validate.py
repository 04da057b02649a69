"""Argument checks shared by every public cnnkit function.

Each check raises ``ValueError`` naming the argument and what was expected, so a
student sees ``X must be a 4-D array (N, C, H, W), got shape (3, 32, 32)``
instead of a NumPy broadcasting error three calls deeper.
"""

from __future__ import annotations

import numbers

import numpy as np


def as_array(name, x, ndim=None, layout=None, dtype=None):
    """Return ``x`` as a floating NumPy array, checking its number of dimensions.

    Parameters
    ----------
    name : str
        Argument name used in the error message.
    x : array_like
        The value to check.
    ndim : int or tuple of int, optional
        Allowed number(s) of dimensions.
    layout : str, optional
        Human-readable layout for the message, e.g. ``"(N, C, H, W)"``.
    dtype : numpy dtype, optional
        Cast to this dtype; by default integer and boolean input becomes float64 and
        floating input keeps its precision.
    """
    try:
        arr = np.asarray(x)
    except Exception as exc:  # ragged lists and the like
        raise ValueError(f"{name} must be an array, got {type(x).__name__}: {exc}") from None
    if arr.dtype == object or not (
        np.issubdtype(arr.dtype, np.number) or np.issubdtype(arr.dtype, np.bool_)
    ):
        raise ValueError(f"{name} must be a numeric array, got dtype {arr.dtype}")
    if np.issubdtype(arr.dtype, np.complexfloating):
        raise ValueError(f"{name} must be real-valued, got dtype {arr.dtype}")
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else tuple(ndim)
        if arr.ndim not in allowed:
            want = " or ".join(f"{d}-D" for d in allowed)
            lay = f" {layout}" if layout else ""
            raise ValueError(f"{name} must be a {want} array{lay}, got shape {arr.shape}")
    if dtype is not None:
        return arr.astype(dtype, copy=False)
    if not np.issubdtype(arr.dtype, np.floating):
        return arr.astype(np.float64)
    return arr


def check_int(name, value, minimum=None):
    """Return ``value`` as an int; reject floats such as 1.5, bools and values below ``minimum``."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        if isinstance(value, numbers.Real) and float(value).is_integer():
            raise ValueError(f"{name} must be an integer, got {value!r} ({type(value).__name__})")
        raise ValueError(f"{name} must be an integer, got {value!r}")
    value = int(value)
    if minimum is not None and value < minimum:
        what = {0: "a non-negative integer", 1: "a positive integer"}.get(
            minimum, f"an integer >= {minimum}"
        )
        raise ValueError(f"{name} must be {what}, got {value}")
    return value


def check_pair(name, value, minimum=None):
    """Accept an int or a pair of ints (height, width); return a tuple of two ints."""
    if isinstance(value, (tuple, list)):
        if len(value) != 2:
            raise ValueError(f"{name} must be an integer or a pair (height, width), got {value!r}")
        return tuple(check_int(name, v, minimum) for v in value)
    v = check_int(name, value, minimum)
    return (v, v)


def check_choice(name, value, choices):
    """Reject a value that is not one of ``choices``."""
    if value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, choices))}; got {value!r}")
    return value
