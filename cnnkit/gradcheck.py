"""Numerical gradients by centered differences, for checking backward passes.

For a scalar loss L(X), dL/dX[i] ≈ (L(X + h e_i) - L(X - h e_i)) / 2h, with error
O(h²). In float64 with h = 1e-5 a correct analytic gradient agrees to a relative
error of about 1e-8 or better; in float32 rounding swamps the difference, so the
checker always works in float64.
"""

from __future__ import annotations

import numpy as np

from cnnkit._validate import as_array


def rel_error(a, b, eps=1e-12):
    """Largest elementwise relative error ``|a - b| / max(|a| + |b|, eps)``.

    Parameters
    ----------
    a, b : array_like of the same shape

    Returns
    -------
    float
    """
    a = as_array("a", a, dtype=np.float64)
    b = as_array("b", b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"a and b must have the same shape, got {a.shape} and {b.shape}")
    if a.size == 0:
        return 0.0
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(a) + np.abs(b), eps)))


def numerical_gradient(f, X, dout=None, h=1e-5):
    """Gradient of ``sum(f(X) * dout)`` with respect to ``X`` by centered differences.

    Parameters
    ----------
    f : callable
        Maps an array of X's shape to a scalar or an array (of any shape).
    X : ndarray of any shape
        The point at which to differentiate; converted to float64, never modified.
    dout : ndarray of f(X)'s shape, optional
        Upstream gradient. When f returns an array, this gives the scalar
        ``sum(f(X) * dout)`` whose gradient is returned; by default all ones.
    h : float
        Step size.

    Returns
    -------
    ndarray of X's shape, float64
    """
    X = np.array(as_array("X", X), dtype=np.float64)  # a private copy we may perturb
    if not (isinstance(h, float | int) and h > 0):
        raise ValueError(f"h must be a positive number, got {h!r}")
    out = np.asarray(f(X.copy()), dtype=np.float64)
    if dout is None:
        dout = np.ones_like(out)
    dout = as_array("dout", dout, dtype=np.float64)
    if dout.shape != out.shape:
        raise ValueError(f"dout must have the shape of f(X), {out.shape}, got {dout.shape}")
    grad = np.zeros_like(X)
    flat = X.reshape(-1)
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + h
        plus = np.sum(np.asarray(f(X.copy()), dtype=np.float64) * dout)
        flat[i] = old - h
        minus = np.sum(np.asarray(f(X.copy()), dtype=np.float64) * dout)
        flat[i] = old
        grad.reshape(-1)[i] = (plus - minus) / (2 * h)
    return grad


def check_gradient(f, X, analytic, dout=None, h=1e-5, tol=1e-7):
    """Compare an analytic gradient with the numerical one; raise if they disagree.

    Parameters
    ----------
    f, X, dout, h
        As in :func:`numerical_gradient`.
    analytic : ndarray of X's shape
        The gradient your backward pass computed.
    tol : float
        Largest acceptable relative error.

    Returns
    -------
    float
        The relative error, so it can be printed.
    """
    numeric = numerical_gradient(f, X, dout=dout, h=h)
    analytic = as_array("analytic", analytic, dtype=np.float64)
    if analytic.shape != numeric.shape:
        raise ValueError(
            f"analytic must have the shape of X, {numeric.shape}, got {analytic.shape}"
        )
    err = rel_error(analytic, numeric)
    if not err <= tol:
        raise AssertionError(f"gradient check failed: relative error {err:.3g} > {tol:g}")
    return err
