"""Reference answers for chapter 2, Padding and stride.

Vectorized (slicing and ``sliding_window_view``) so that the hidden tests are fast;
``tests/test_reference_ch02.py`` checks every function against plain loops, PyTorch
(when installed) and the worked examples of the course text.

Conventions (as in the chapter):

* ``pad`` and ``stride`` are single integers, the same for both image axes;
* ``X`` is ``(N, C, H, W)``, conv weights ``W`` are ``(C_out, C_in, kH, kW)``, ``b`` is
  ``(C_out,)``; a "convolution" layer computes cross-correlation (no kernel flip);
* ``im2col`` returns ONE ROW PER WINDOW: shape ``(N*H'*W', C*kH*kW)`` with
  ``cols[n*H'*W' + y*W' + x, c*kH*kW + i*kW + j] = Xp[n, c, y*stride + i, x*stride + j]``.
  (``cnnkit.im2col`` uses the transposed layout; the chapter's layout is the one most
  course texts draw, one receptive field per row.)
"""

from __future__ import annotations

import math
import numbers

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


def _check_int(name, value, minimum):
    """``value`` as an int; a ValueError for bools, floats (even 3.0) and values below minimum."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise ValueError(f"{name} must be an integer, got {value!r}")
    value = int(value)
    if value < minimum:
        what = "non-negative" if minimum == 0 else "positive"
        raise ValueError(f"{name} must be a {what} integer, got {value}")
    return value


def pad2d(X, pad, value=0):
    """Pad the last two axes (H and W) of ``X`` by ``pad`` on every side with ``value``.

    Parameters
    ----------
    X : array_like of shape (H, W) or (N, C, H, W)
    pad : int
        Rows added above and below, columns added left and right; >= 0.
    value : float
        The constant written into the border.

    Returns
    -------
    ndarray of shape (H + 2*pad, W + 2*pad) or (N, C, H + 2*pad, W + 2*pad), float
    """
    X = np.asarray(X, dtype=float)
    if X.ndim not in (2, 4):
        raise ValueError(f"X must be 2-D (H, W) or 4-D (N, C, H, W), got shape {X.shape}")
    pad = _check_int("pad", pad, 0)
    widths = [(0, 0)] * (X.ndim - 2) + [(pad, pad), (pad, pad)]
    return np.pad(X, widths, constant_values=value)


def effective_kernel(k, dilation=1):
    """Span of a dilated kernel: d(k - 1) + 1."""
    return dilation * (k - 1) + 1


def conv_output_size(n, k, pad=0, stride=1, dilation=1):
    """Output length along one axis: floor((n + 2p - d(k-1) - 1) / s) + 1.

    Raises
    ------
    ValueError
        If an argument is not an integer, n, k, stride or dilation is not positive,
        pad is negative, or the (dilated) kernel is larger than the padded input.
    """
    n = _check_int("n", n, 1)
    k = _check_int("k", k, 1)
    pad = _check_int("pad", pad, 0)
    stride = _check_int("stride", stride, 1)
    dilation = _check_int("dilation", dilation, 1)
    span = effective_kernel(k, dilation)
    if span > n + 2 * pad:
        raise ValueError(
            f"the kernel (span {span}) is larger than the padded input (n + 2*pad = {n + 2 * pad})"
        )
    return (n + 2 * pad - span) // stride + 1


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


def corr2d(X, K, stride=1, pad=0):
    """2-D cross-correlation with zero padding and a stride.

    Parameters
    ----------
    X : array_like of shape (H, W)
    K : array_like of shape (kH, kW)
    stride, pad : int

    Returns
    -------
    ndarray of shape (conv_output_size(H, kH, pad, stride), conv_output_size(W, kW, pad, stride))
    """
    X = np.asarray(X, dtype=float)
    K = np.asarray(K, dtype=float)
    if X.ndim != 2 or K.ndim != 2:
        raise ValueError(f"X and K must be 2-D, got shapes {X.shape} and {K.shape}")
    Ho = conv_output_size(X.shape[0], K.shape[0], pad, stride)
    Wo = conv_output_size(X.shape[1], K.shape[1], pad, stride)
    win = _windows(pad2d(X, pad), *K.shape, stride)
    out = np.einsum("yxij,ij->yx", win, K)
    assert out.shape == (Ho, Wo)
    return out


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


def conv_param_count(C_in, C_out, k, bias=True):
    """Learnable parameters of a conv layer: C_in*C_out*kH*kW weights (+ C_out biases)."""
    C_in = _check_int("C_in", C_in, 1)
    C_out = _check_int("C_out", C_out, 1)
    if isinstance(k, (tuple, list)):
        if len(k) != 2:
            raise ValueError(f"k must be an integer or a pair (kH, kW), got {k!r}")
        kH, kW = (_check_int("k", v, 1) for v in k)
    else:
        kH = kW = _check_int("k", k, 1)
    return C_in * C_out * kH * kW + (C_out if bias else 0)


def im2col(X, kH, kW, stride=1, pad=0):
    """One row per window: (N*H'*W', C*kH*kW); see the module docstring for the layout."""
    X = np.asarray(X, dtype=float)
    if X.ndim != 4:
        raise ValueError(f"X must be 4-D (N, C, H, W), got shape {X.shape}")
    N, C, H, W = X.shape
    Ho = conv_output_size(H, kH, pad, stride)
    Wo = conv_output_size(W, kW, pad, stride)
    win = _windows(pad2d(X, pad), kH, kW, stride)  # (N, C, H', W', kH, kW)
    return win.transpose(0, 2, 3, 1, 4, 5).reshape(N * Ho * Wo, C * kH * kW)


def conv_forward_im2col(X, W, b, stride=1, pad=0):
    """The convolution layer as one matrix product on :func:`im2col`'s rows."""
    X, W, b = _check_layer(X, W, b)
    N, _, H, Wd = X.shape
    C_out, C, kH, kW = W.shape
    Ho = conv_output_size(H, kH, pad, stride)
    Wo = conv_output_size(Wd, kW, pad, stride)
    cols = im2col(X, kH, kW, stride, pad)
    out = cols @ W.reshape(C_out, -1).T + b
    return out.reshape(N, Ho, Wo, C_out).transpose(0, 3, 1, 2)
