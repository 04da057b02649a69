"""Reference answers for chapter 4, Backpropagation in CNNs.

Vectorized so that the hidden tests are fast; ``tests/test_reference_ch04.py`` checks
them against plain loops, centered finite differences in float64, PyTorch autograd
and the worked examples of the course text.

Conventions (the same as the chapter's text):

* every layer has ``*_forward(...) -> (out, cache)`` and ``*_backward(dout, cache)``;
* ReLU's cache is its input ``X``; its derivative at exactly 0 is taken as 0;
* the sigmoid's cache is its output;
* the convolution's cache is ``(X, W, b, stride, pad)``;
* max pooling's cache is ``(X_shape, size, stride, argmax)`` where ``argmax`` holds,
  for every output, the row-major offset ``u * size + v`` of the window's maximum
  (the first one on ties, as ``np.argmax``);
* the conv → ReLU → pool block's cache is ``(conv_cache, relu_cache, pool_cache)``;
* ``rel_error(a, b) = ||a - b|| / (||a|| + ||b||)`` (Euclidean norms, 0 when both are 0).
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

# ------------------------------------------------------------------ activations


def relu_forward(X):
    """``out = max(X, 0)``; the cache is ``X``."""
    X = np.asarray(X, dtype=float)
    return np.maximum(X, 0.0), X


def relu_backward(dout, cache):
    """``dX = dout`` where ``X > 0``, else 0 (the derivative at 0 is taken as 0)."""
    X = np.asarray(cache, dtype=float)
    dout = np.asarray(dout, dtype=float)
    if dout.shape != X.shape:
        raise ValueError(f"dout must have the shape of X {X.shape}, got {dout.shape}")
    return dout * (X > 0)


def sigmoid_forward(X):
    """``out = 1 / (1 + exp(-X))`` computed from ``exp(-|X|)``: no overflow; the cache is out."""
    X = np.asarray(X, dtype=float)
    e = np.exp(-np.abs(X))
    out = np.where(X >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
    return out, out


def sigmoid_backward(dout, cache):
    """``dX = dout * out * (1 - out)``."""
    out = np.asarray(cache, dtype=float)
    dout = np.asarray(dout, dtype=float)
    if dout.shape != out.shape:
        raise ValueError(f"dout must have the shape of out {out.shape}, got {dout.shape}")
    return dout * out * (1.0 - out)


# --------------------------------------------------------------- gradient check


def numerical_gradient(f, X, h=1e-5):
    """Gradient of the scalar ``f`` at ``X`` by centered differences, in float64.

    Parameters
    ----------
    f : callable
        ``f(X) -> scalar`` for an array of ``X``'s shape.
    X : array_like
        The point; never modified (the function works on a float64 copy).
    h : float
        Step.

    Returns
    -------
    ndarray of X's shape, float64
    """
    X = np.array(X, dtype=np.float64)  # a private copy
    grad = np.zeros_like(X)
    flat, gflat = X.reshape(-1), grad.reshape(-1)
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + h
        plus = float(f(X))
        flat[i] = old - h
        minus = float(f(X))
        flat[i] = old
        gflat[i] = (plus - minus) / (2 * h)
    return grad


def rel_error(a, b):
    """``||a - b|| / (||a|| + ||b||)`` with Euclidean norms; 0.0 when both are zero."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"a and b must have the same shape, got {a.shape} and {b.shape}")
    denom = np.linalg.norm(a) + np.linalg.norm(b)
    if denom == 0:
        return 0.0
    return float(np.linalg.norm(a - b) / denom)


# ------------------------------------------------------------------ convolution


def output_size(n, k, stride, pad):
    """``(n + 2 pad - k) // stride + 1``."""
    return (n + 2 * pad - k) // stride + 1


def _pad(X, pad):
    return np.pad(X, ((0, 0), (0, 0), (pad, pad), (pad, pad)))


def conv2d_forward(X, W, b, stride=1, pad=0):
    """Convolution layer (cross-correlation) with stride and zero padding.

    Parameters
    ----------
    X : ndarray of shape (N, C, H, W)
    W : ndarray of shape (C_out, C, kH, kW)
    b : ndarray of shape (C_out,)
    stride, pad : int

    Returns
    -------
    out : ndarray of shape (N, C_out, H', W')
    cache : tuple (X, W, b, stride, pad)
    """
    X = np.asarray(X, dtype=float)
    W = np.asarray(W, dtype=float)
    b = np.asarray(b, dtype=float)
    if X.ndim != 4 or W.ndim != 4 or b.shape != (W.shape[0],) or W.shape[1] != X.shape[1]:
        raise ValueError(
            f"shapes do not fit: X {X.shape}, W {W.shape}, b {b.shape} "
            "(expected (N, C, H, W), (C_out, C, kH, kW), (C_out,))"
        )
    kH, kW = W.shape[2:]
    Xp = _pad(X, pad)
    if kH > Xp.shape[2] or kW > Xp.shape[3]:
        raise ValueError(f"kernel {W.shape[2:]} larger than the padded input {Xp.shape[2:]}")
    windows = sliding_window_view(Xp, (kH, kW), axis=(2, 3))[:, :, ::stride, ::stride]
    out = np.einsum("nchwij,ocij->nohw", windows, W) + b[None, :, None, None]
    return out, (X, W, b, stride, pad)


def conv2d_backward(dout, cache):
    """Gradients of the convolution layer.

    ``db`` sums ``dout`` over N, H', W'; ``dW`` is the cross-correlation of the padded
    input with ``dout`` (dilated by the stride); ``dX`` scatters ``W * dout`` back over
    every window, which is the full convolution of (dilated) ``dout`` with the kernel
    rotated by 180 degrees, with the padding cropped off.

    Returns
    -------
    dX : ndarray of shape (N, C, H, W)
    dW : ndarray of shape (C_out, C, kH, kW)
    db : ndarray of shape (C_out,)
    """
    X, W, _, stride, pad = cache
    X = np.asarray(X, dtype=float)
    W = np.asarray(W, dtype=float)
    dout = np.asarray(dout, dtype=float)
    N, C, H, Wd = X.shape
    C_out, _, kH, kW = W.shape
    Ho, Wo = output_size(H, kH, stride, pad), output_size(Wd, kW, stride, pad)
    if dout.shape != (N, C_out, Ho, Wo):
        raise ValueError(f"dout must have shape {(N, C_out, Ho, Wo)}, got {dout.shape}")
    Xp = _pad(X, pad)
    db = dout.sum(axis=(0, 2, 3))
    windows = sliding_window_view(Xp, (kH, kW), axis=(2, 3))[:, :, ::stride, ::stride]
    windows = windows[:, :, :Ho, :Wo]
    dW = np.einsum("nchwij,nohw->ocij", windows, dout)
    dXp = np.zeros_like(Xp)
    for i in range(kH):
        for j in range(kW):
            dXp[:, :, i : i + stride * Ho : stride, j : j + stride * Wo : stride] += np.einsum(
                "nohw,oc->nchw", dout, W[:, :, i, j]
            )
    dX = dXp[:, :, pad : pad + H, pad : pad + Wd]
    return dX, dW, db


# ---------------------------------------------------------------------- pooling


def maxpool2d_forward(X, size=2, stride=2):
    """Max pooling; the cache records the row-major offset of each window's (first) maximum.

    Returns
    -------
    out : ndarray of shape (N, C, H', W'), H' = (H - size) // stride + 1
    cache : tuple (X.shape, size, stride, argmax), argmax of shape (N, C, H', W')
    """
    X = np.asarray(X, dtype=float)
    if X.ndim != 4 or size > X.shape[2] or size > X.shape[3]:
        raise ValueError(f"window {size} does not fit in X of shape {X.shape}")
    windows = sliding_window_view(X, (size, size), axis=(2, 3))[:, :, ::stride, ::stride]
    flat = windows.reshape(*windows.shape[:4], size * size)
    argmax = flat.argmax(axis=-1)
    out = np.take_along_axis(flat, argmax[..., None], axis=-1)[..., 0]
    return out, (X.shape, size, stride, argmax)


def maxpool2d_backward(dout, cache):
    """Route each output gradient to the recorded maximum of its window (summing on overlaps)."""
    X_shape, size, stride, argmax = cache
    dout = np.asarray(dout, dtype=float)
    if dout.shape != argmax.shape:
        raise ValueError(f"dout must have shape {argmax.shape}, got {dout.shape}")
    _, _, Ho, Wo = argmax.shape
    dX = np.zeros(X_shape)
    for m in range(size * size):
        u, v = divmod(m, size)
        dX[:, :, u : u + stride * Ho : stride, v : v + stride * Wo : stride] += dout * (argmax == m)
    return dX


# ---------------------------------------------------------- conv -> ReLU -> pool


def conv_relu_pool_forward(X, W, b, stride=1, pad=0, pool=2):
    """conv → ReLU → max pool (window and stride ``pool``); cache of the three layers."""
    a, conv_cache = conv2d_forward(X, W, b, stride, pad)
    r, relu_cache = relu_forward(a)
    out, pool_cache = maxpool2d_forward(r, pool, pool)
    return out, (conv_cache, relu_cache, pool_cache)


def conv_relu_pool_backward(dout, cache):
    """Backward through the block in reverse order; returns (dX, dW, db)."""
    conv_cache, relu_cache, pool_cache = cache
    dr = maxpool2d_backward(dout, pool_cache)
    da = relu_backward(dr, relu_cache)
    return conv2d_backward(da, conv_cache)


# ------------------------------------------------------------------------- loss


def softmax_cross_entropy(scores, y):
    """Mean cross-entropy of softmax(scores) against labels y, and its gradient.

    Uses log-softmax ``s - max - log(sum(exp(s - max)))``: nothing overflows, and a
    tiny probability never reaches ``log``.

    Returns
    -------
    loss : float
    dscores : ndarray of shape (N, K), ``(softmax(scores) - onehot(y)) / N``
    """
    scores = np.asarray(scores, dtype=float)
    y = np.asarray(y)
    if scores.ndim != 2 or scores.shape[0] == 0:
        raise ValueError(f"scores must have shape (N, K) with N >= 1, got {scores.shape}")
    N, K = scores.shape
    if y.shape != (N,) or not np.issubdtype(y.dtype, np.integer):
        raise ValueError(f"y must be {N} integer labels, got {y.dtype} of shape {y.shape}")
    if y.min() < 0 or y.max() >= K:
        raise ValueError(f"labels must be in 0..{K - 1}, got {y.min()}..{y.max()}")
    shifted = scores - scores.max(axis=1, keepdims=True)
    logp = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    rows = np.arange(N)
    loss = -float(logp[rows, y].mean())
    dscores = np.exp(logp)
    dscores[rows, y] -= 1.0
    return loss, dscores / N
