"""Reference answers for chapter 2: the solution cells of ``solutions/02_padding_stride.py``.

Each answer lives once: the functions below are taken from the instructor notebook
(``autograder.reference.solutions``), not written a second time. What follows them
is what the hidden tests need beyond the answers (oracles, variants, constants).
"""

from __future__ import annotations

import math
import numbers

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from autograder.reference.solutions import answers

_ANSWERS = answers(
    "02_padding_stride",
    [
        "pad2d",
        "conv_output_size",
        "corr2d",
        "conv_param_count",
        "im2col",
        "conv_forward_im2col",
    ],
    __name__,
)
pad2d = _ANSWERS["pad2d"]
conv_output_size = _ANSWERS["conv_output_size"]
corr2d = _ANSWERS["corr2d"]
conv_param_count = _ANSWERS["conv_param_count"]
im2col = _ANSWERS["im2col"]
conv_forward_im2col = _ANSWERS["conv_forward_im2col"]


def _check_int(name, value, minimum):
    """``value`` as an int; a ValueError for bools, floats (even 3.0) and values below minimum."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise ValueError(f"{name} must be an integer, got {value!r}")
    value = int(value)
    if value < minimum:
        what = "non-negative" if minimum == 0 else "positive"
        raise ValueError(f"{name} must be a {what} integer, got {value}")
    return value


def effective_kernel(k, dilation=1):
    """Span of a dilated kernel: d(k - 1) + 1."""
    return dilation * (k - 1) + 1


def tf_output_size(n, k, stride, padding):
    """TensorFlow's output size: "SAME" gives ceil(n/s), "VALID" gives ceil((n-k+1)/s)."""
    if padding == "SAME":
        return math.ceil(n / stride)
    if padding == "VALID":
        return math.ceil((n - k + 1) / stride)
    raise ValueError(f"padding must be 'SAME' or 'VALID', got {padding!r}")


def _windows(Xp, kH, kW, stride):
    """View of shape (..., H', W', kH, kW) of the windows of an already padded input."""
    return sliding_window_view(Xp, (kH, kW), axis=(-2, -1))[..., ::stride, ::stride, :, :]


def _check_layer(X, W, b):
    X = np.asarray(X, dtype=float)
    W = np.asarray(W, dtype=float)
    b = np.asarray(b, dtype=float)
    if X.ndim != 4:
        raise ValueError(f"X must be 4-D (N, C, H, W), got shape {X.shape}")
    if W.ndim != 4:
        raise ValueError(f"W must be 4-D (C_out, C_in, kH, kW), got shape {W.shape}")
    if W.shape[1] != X.shape[1]:
        raise ValueError(f"W has C_in = {W.shape[1]} but X has C = {X.shape[1]} channels")
    if b.shape != (W.shape[0],):
        raise ValueError(f"b must have shape (C_out,) = ({W.shape[0]},), got {b.shape}")
    return X, W, b


def conv_forward(X, W, b, stride=1, pad=0):
    """Forward pass of a convolution layer (cross-correlation, zero padding, stride).

    Parameters
    ----------
    X : array_like of shape (N, C, H, W)
    W : array_like of shape (C_out, C, kH, kW)
    b : array_like of shape (C_out,)
    stride, pad : int

    Returns
    -------
    ndarray of shape (N, C_out, H', W')
    """
    X, W, b = _check_layer(X, W, b)
    C_out, _, kH, kW = W.shape
    Ho = conv_output_size(X.shape[2], kH, pad, stride)
    Wo = conv_output_size(X.shape[3], kW, pad, stride)
    win = _windows(pad2d(X, pad), kH, kW, stride)  # (N, C, H', W', kH, kW)
    out = np.einsum("ncyxij,ocij->noyx", win, W) + b[None, :, None, None]
    assert out.shape == (X.shape[0], C_out, Ho, Wo)
    return out
