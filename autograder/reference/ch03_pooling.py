"""Reference answers for chapter 3: the solution cells of ``solutions/03_pooling.py``.

Each answer lives once: the functions below are taken from the instructor notebook
(``autograder.reference.solutions``), not written a second time. What follows them
is what the hidden tests need beyond the answers (oracles, variants, constants).
"""

from __future__ import annotations

import numbers

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from autograder.reference.solutions import answers

_ANSWERS = answers(
    "03_pooling",
    [
        "pool_output_size",
        "maxpool_forward",
        "maxpool_backward",
        "avgpool_forward",
        "avgpool_backward",
        "subsampling_counts",
    ],
    __name__,
)
pool_output_size = _ANSWERS["pool_output_size"]
maxpool_forward = _ANSWERS["maxpool_forward"]
maxpool_backward = _ANSWERS["maxpool_backward"]
avgpool_forward = _ANSWERS["avgpool_forward"]
avgpool_backward = _ANSWERS["avgpool_backward"]
subsampling_counts = _ANSWERS["subsampling_counts"]


def _positive_int(name, value):
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise ValueError(f"{name} must be an integer, got {value!r}")
    if value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value}")
    return int(value)


def _geometry(X, f, stride):
    """Validate the arguments; return (X as float64, f, stride, H', W')."""
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 4:
        raise ValueError(f"X must be a 4-D array (N, C, H, W), got shape {X.shape}")
    f = _positive_int("f", f)
    stride = f if stride is None else _positive_int("stride", stride)
    H, W = X.shape[2:]
    if f > H or f > W:
        raise ValueError(f"a window of {f}x{f} does not fit in an input of {H}x{W}")
    return X, f, stride, (H - f) // stride + 1, (W - f) // stride + 1


def windows(X, f, stride=None):
    """All pooling windows as a view of shape (N, C, H', W', f, f)."""
    X, f, stride, Ho, Wo = _geometry(X, f, stride)
    return sliding_window_view(X, (f, f), axis=(2, 3))[:, :, ::stride, ::stride][:, :, :Ho, :Wo]


def _check_dout(dout, out_shape):
    dout = np.asarray(dout, dtype=np.float64)
    if dout.shape != tuple(out_shape):
        raise ValueError(f"dout must have the output's shape {tuple(out_shape)}, got {dout.shape}")
    return dout
