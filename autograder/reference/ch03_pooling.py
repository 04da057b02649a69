"""Reference answers for chapter 3, Pooling.

Vectorized with ``sliding_window_view`` (forward) and ``np.add.at`` (backward) so that
the hidden tests are fast; ``tests/test_reference_ch03.py`` checks them against plain
loops, finite differences, PyTorch and the worked examples of the course text.

Conventions (the ones the chapter asks of the student):

* ``X`` has shape (N, C, H, W); a square window of ``f`` x ``f`` moves by ``stride``
  (``None`` means ``stride = f``); no padding; rows and columns that no window reaches
  are ignored in the forward pass and get zero gradient.
* ``maxpool_forward`` returns ``(out, (X, f, stride, max_id))`` where ``max_id`` (int,
  shape (N, C, H', W')) is the row-major position ``r * f + c`` of the maximum inside
  its window; on ties the FIRST maximum in row-major order wins, as in PyTorch.
* ``avgpool_forward`` returns ``(out, (X.shape, f, stride))``.
"""

from __future__ import annotations

import numbers

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


def _positive_int(name, value):
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise ValueError(f"{name} must be an integer, got {value!r}")
    if value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value}")
    return int(value)


def pool_output_size(n, f, stride=None):
    """Output length of pooling ``n`` inputs with a window ``f`` and ``stride`` (default f).

    ``floor((n - f) / stride) + 1``; equals ``n // stride`` when ``f == stride``.
    """
    n = _positive_int("n", n)
    f = _positive_int("f", f)
    stride = f if stride is None else _positive_int("stride", stride)
    if f > n:
        raise ValueError(f"a window of {f} does not fit in {n} inputs")
    return (n - f) // stride + 1


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


def maxpool_forward(X, f=2, stride=None):
    """Max pooling, per channel.

    Returns
    -------
    out : ndarray of shape (N, C, H', W')
    cache : (X, f, stride, max_id)
        ``max_id[n, c, i, j] = r * f + c`` for the first maximum (row-major) of the window.
    """
    X, f, stride, Ho, Wo = _geometry(X, f, stride)
    flat = windows(X, f, stride).reshape(X.shape[:2] + (Ho, Wo, f * f))
    max_id = np.argmax(flat, axis=-1)  # np.argmax returns the first maximum
    out = np.take_along_axis(flat, max_id[..., None], axis=-1)[..., 0]
    return out, (X, f, stride, max_id)


def _check_dout(dout, out_shape):
    dout = np.asarray(dout, dtype=np.float64)
    if dout.shape != tuple(out_shape):
        raise ValueError(f"dout must have the output's shape {tuple(out_shape)}, got {dout.shape}")
    return dout


def maxpool_backward(dout, cache):
    """Each window's gradient goes to its recorded maximum; overlapping windows add up."""
    X, f, stride, max_id = cache
    X = np.asarray(X)
    max_id = np.asarray(max_id)
    dout = _check_dout(dout, max_id.shape)
    N, C, Ho, Wo = max_id.shape
    n, c, i, j = np.indices((N, C, Ho, Wo), sparse=True)
    rows = i * stride + max_id // f
    cols = j * stride + max_id % f
    dX = np.zeros(X.shape)
    np.add.at(dX, (n, c, rows, cols), dout)
    return dX


def avgpool_forward(X, f=2, stride=None):
    """Average pooling, per channel.

    Returns
    -------
    out : ndarray of shape (N, C, H', W')
    cache : (X.shape, f, stride)
    """
    X, f, stride, _, _ = _geometry(X, f, stride)
    out = windows(X, f, stride).mean(axis=(-2, -1))
    return out, (X.shape, f, stride)


def avgpool_backward(dout, cache):
    """Every element of a window gets ``dout / (f * f)``; overlapping windows add up."""
    X_shape, f, stride = cache
    N, C, H, W = X_shape
    Ho, Wo = (H - f) // stride + 1, (W - f) // stride + 1
    dout = _check_dout(dout, (N, C, Ho, Wo))
    share = dout / (f * f)
    dX = np.zeros(X_shape)
    for r in range(f):
        for c in range(f):
            dX[:, :, r : r + stride * Ho : stride, c : c + stride * Wo : stride] += share
    return dX


def subsampling_counts(C, H, W, f=2):
    """Trainable parameters and connections of a LeNet-5 subsampling layer (S2, S4).

    Each of the C maps sums non-overlapping f x f windows, multiplies by one trainable
    coefficient and adds one trainable bias: 2 parameters per map; each output unit has
    f*f input connections plus one to the bias.
    """
    C = _positive_int("C", C)
    Ho, Wo = pool_output_size(H, f, f), pool_output_size(W, f, f)
    return 2 * C, C * Ho * Wo * (f * f + 1)
