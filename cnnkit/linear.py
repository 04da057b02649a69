"""Fully connected (affine) layer: ``out = X @ W + b``.

Backward (the classic BP rules): ``dX = dout @ W.T``, ``dW = X.T @ dout``,
``db = dout`` summed over the batch.

Dtype: the computation runs in ``X``'s floating dtype (float32 stays float32);
``dW`` and ``db`` come back in the dtypes of ``W`` and ``b``.
"""

from __future__ import annotations

import math

from cnnkit._validate import as_array

__all__ = ["linear_forward", "linear_backward"]


def linear_forward(X, W, b):
    """Forward pass of a fully connected layer.

    Parameters
    ----------
    X : ndarray of shape (N, D) or (N, d1, d2, ...)
        Inputs; anything after the batch axis is flattened in C order, so a conv
        output (N, C, H, W) can be passed directly with ``D = C*H*W``.
    W : ndarray of shape (D, M)
        Weights.
    b : ndarray of shape (M,)
        Biases.

    Returns
    -------
    out : ndarray of shape (N, M)
        Same dtype as ``X``.
    cache : dict
        For :func:`linear_backward`.
    """
    X = as_array("X", X)
    if X.ndim < 2:
        raise ValueError(
            f"X must be an array of shape (N, D) or (N, d1, d2, ...), at least 2-D, "
            f"got shape {X.shape}"
        )
    W_arr = as_array("W", W, ndim=2, layout="(D, M)")
    b_arr = as_array("b", b, ndim=1, layout="(M,)")
    N = X.shape[0]
    D = math.prod(X.shape[1:])
    if W_arr.shape[0] != D:
        raise ValueError(
            f"W must have shape (D, M) with D={D} (X.shape[1:]={X.shape[1:]} flattened), "
            f"got W.shape={W_arr.shape}"
        )
    M = W_arr.shape[1]
    if b_arr.shape != (M,):
        raise ValueError(f"b must have shape (M,)=({M},), got {b_arr.shape}")
    X2 = X.reshape(N, D)
    W_c = W_arr.astype(X.dtype, copy=False)
    out = X2 @ W_c
    out += b_arr.astype(X.dtype, copy=False)
    cache = {
        "X2": X2,
        "W": W_c,
        "X_shape": X.shape,
        "W_dtype": W_arr.dtype,
        "b_dtype": b_arr.dtype,
    }
    return out, cache


def linear_backward(dout, cache):
    """Backward pass of a fully connected layer.

    Parameters
    ----------
    dout : ndarray of shape (N, M)
        Upstream gradient.
    cache : dict
        From :func:`linear_forward`.

    Returns
    -------
    dX : ndarray of X's original shape, (N, D) or (N, d1, d2, ...)
    dW : ndarray of shape (D, M), in ``W``'s dtype
    db : ndarray of shape (M,), in ``b``'s dtype
    """
    X2, W = cache["X2"], cache["W"]
    dout = as_array("dout", dout, ndim=2, layout="(N, M)")
    want = (X2.shape[0], W.shape[1])
    if dout.shape != want:
        raise ValueError(f"dout must have the shape of out (N, M)={want}, got {dout.shape}")
    dout = dout.astype(X2.dtype, copy=False)
    dX = (dout @ W.T).reshape(cache["X_shape"])
    dW = (X2.T @ dout).astype(cache["W_dtype"], copy=False)
    db = dout.sum(axis=0).astype(cache["b_dtype"], copy=False)
    return dX, dW, db
