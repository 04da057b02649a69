"""Dilated (atrous) 2-D convolution, forward and backward, via a dilated im2col.

A dilation ``d`` spreads the ``kH x kW`` taps of a kernel ``d`` pixels apart (``d - 1``
holes between neighbouring taps), so one window spans ``d*(k - 1) + 1`` pixels:

``out[n, co, y, x] = b[co] + sum_{c,i,j} W[co, c, i, j] * Xp[n, c, y*sH + i*dH, x*sW + j*dW]``

with ``Xp`` the input zero-padded by ``pad``. ``dilation=1`` is the ordinary convolution
of :mod:`cnnkit.conv`.

Column layout: as in :mod:`cnnkit.im2col`, ``cols[c*kH*kW + i*kW + j, n*H'*W' + y*W' + x]``,
so the convolution is ``W.reshape(C_out, -1) @ cols``. The columns are built one kernel
tap at a time (``kH*kW`` strided copies of the whole batch), which costs the same as
im2col's single copy and needs no window view of the dilated span.

Dtype: computed in ``X``'s floating dtype; ``dW`` and ``db`` come back in the dtypes of
``W`` and ``b``.
"""

from __future__ import annotations

import numpy as np

from cnnkit._validate import as_array, check_int, check_pair

__all__ = [
    "dilated_output_size",
    "im2col_dilated",
    "col2im_dilated",
    "dilated_conv2d_forward",
    "dilated_conv2d_backward",
]


def dilated_output_size(n, k, stride=1, pad=0, dilation=1):
    """Output size along one axis: ``(n + 2*pad - dilation*(k - 1) - 1) // stride + 1``.

    Raises ``ValueError`` when the dilated kernel, ``dilation*(k - 1) + 1`` pixels, does
    not fit in the padded input.
    """
    n = check_int("n", n, minimum=1)
    k = check_int("k", k, minimum=1)
    stride = check_int("stride", stride, minimum=1)
    pad = check_int("pad", pad, minimum=0)
    dilation = check_int("dilation", dilation, minimum=1)
    span = dilation * (k - 1) + 1
    if span > n + 2 * pad:
        raise ValueError(
            f"the dilated kernel spans dilation*(k - 1) + 1 = {span} pixels, more than the "
            f"padded input n + 2*pad = {n + 2 * pad}"
        )
    return (n + 2 * pad - span) // stride + 1


def _geometry(X_shape, kH, kW, stride, pad, dilation):
    """Checked window arguments: ((sH, sW), (pH, pW), (dH, dW), H', W')."""
    kH = check_int("kH", kH, minimum=1)
    kW = check_int("kW", kW, minimum=1)
    sH, sW = check_pair("stride", stride, minimum=1)
    pH, pW = check_pair("pad", pad, minimum=0)
    dH, dW = check_pair("dilation", dilation, minimum=1)
    _, _, H, W = X_shape
    return (
        (sH, sW),
        (pH, pW),
        (dH, dW),
        dilated_output_size(H, kH, sH, pH, dH),
        dilated_output_size(W, kW, sW, pW, dW),
    )


def im2col_dilated(X, kH, kW, stride=1, pad=0, dilation=1):
    """Unfold every dilated ``kH x kW`` window of ``X`` into a column.

    Parameters
    ----------
    X : ndarray of shape (N, C, H, W)
    kH, kW : int
        Number of kernel taps along each axis (not the dilated span).
    stride, pad, dilation : int or (int, int)

    Returns
    -------
    cols : ndarray of shape (C*kH*kW, N*H'*W')
        ``H' = (H + 2*pad - dilation*(kH - 1) - 1) // stride + 1``, likewise ``W'``;
        same dtype as ``X``.
    """
    X = as_array("X", X, ndim=4, layout="(N, C, H, W)")
    N, C, _, _ = X.shape
    (sH, sW), (pH, pW), (dH, dW), Ho, Wo = _geometry(X.shape, kH, kW, stride, pad, dilation)
    # (C, N, Hp, Wp): each tap's block is then copied with its rows contiguous
    Xp = np.pad(X.transpose(1, 0, 2, 3), ((0, 0), (0, 0), (pH, pH), (pW, pW)))
    cols = np.empty((C, kH, kW, N, Ho, Wo), dtype=X.dtype)
    for i in range(kH):
        top = i * dH
        for j in range(kW):
            left = j * dW
            cols[:, i, j] = Xp[
                :, :, top : top + sH * (Ho - 1) + 1 : sH, left : left + sW * (Wo - 1) + 1 : sW
            ]
    return cols.reshape(C * kH * kW, N * Ho * Wo)


def col2im_dilated(cols, X_shape, kH, kW, stride=1, pad=0, dilation=1):
    """Fold columns back into an image, summing where dilated windows overlap.

    The adjoint of :func:`im2col_dilated` (what a convolution's backward pass needs), not
    its inverse; entries that fall in the padding are dropped.

    Parameters
    ----------
    cols : ndarray of shape (C*kH*kW, N*H'*W')
    X_shape : tuple of int (N, C, H, W)
    kH, kW, stride, pad, dilation
        As passed to :func:`im2col_dilated`.

    Returns
    -------
    X : ndarray of shape (N, C, H, W), same dtype as ``cols``
    """
    if not isinstance(X_shape, (tuple, list)) or len(X_shape) != 4:
        raise ValueError(f"X_shape must be a tuple (N, C, H, W), got {X_shape!r}")
    N, C, H, W = (check_int("X_shape", d, minimum=1) for d in X_shape)
    (sH, sW), (pH, pW), (dH, dW), Ho, Wo = _geometry((N, C, H, W), kH, kW, stride, pad, dilation)
    cols = as_array("cols", cols, ndim=2, layout="(C*kH*kW, N*H'*W')")
    if cols.shape != (C * kH * kW, N * Ho * Wo):
        raise ValueError(
            f"cols must have shape (C*kH*kW, N*H'*W')={(C * kH * kW, N * Ho * Wo)}, "
            f"got {cols.shape}"
        )
    blocks = cols.reshape(C, kH, kW, N, Ho, Wo)
    Xp = np.zeros((C, N, H + 2 * pH, W + 2 * pW), dtype=cols.dtype)
    for i in range(kH):
        rows = slice(i * dH, i * dH + sH * (Ho - 1) + 1, sH)
        for j in range(kW):
            Xp[:, :, rows, j * dW : j * dW + sW * (Wo - 1) + 1 : sW] += blocks[:, i, j]
    return np.ascontiguousarray(Xp[:, :, pH : pH + H, pW : pW + W].transpose(1, 0, 2, 3))


def dilated_conv2d_forward(X, W, b, stride=1, pad=0, dilation=1):
    """Forward pass of a dilated 2-D convolution (cross-correlation).

    Parameters
    ----------
    X : ndarray of shape (N, C, H, W)
    W : ndarray of shape (C_out, C, kH, kW)
    b : ndarray of shape (C_out,)
    stride, pad, dilation : int or (int, int), default 1, 0, 1

    Returns
    -------
    out : ndarray of shape (N, C_out, H', W')
        ``H' = (H + 2*pad - dilation*(kH - 1) - 1) // stride + 1``, likewise ``W'``.
    cache : dict
        What :func:`dilated_conv2d_backward` needs.
    """
    X = as_array("X", X, ndim=4, layout="(N, C, H, W)")
    W_arr = as_array("W", W, ndim=4, layout="(C_out, C_in, kH, kW)")
    b_arr = as_array("b", b, ndim=1, layout="(C_out,)")
    N, C, H, Wd = X.shape
    C_out, C_in, kH, kW = W_arr.shape
    if C_in != C:
        raise ValueError(
            f"W must have C_in equal to the C={C} channels of X, got W.shape={W_arr.shape}"
        )
    if b_arr.shape != (C_out,):
        raise ValueError(f"b must have shape (C_out,)=({C_out},), got {b_arr.shape}")
    cols = im2col_dilated(X, kH, kW, stride, pad, dilation)
    Ho = dilated_output_size(H, kH, *_axis(stride, pad, dilation, 0))
    Wo = dilated_output_size(Wd, kW, *_axis(stride, pad, dilation, 1))
    W2 = W_arr.reshape(C_out, -1).astype(X.dtype, copy=False)
    out = W2 @ cols
    out += b_arr.astype(X.dtype, copy=False)[:, None]
    out = np.ascontiguousarray(out.reshape(C_out, N, Ho, Wo).transpose(1, 0, 2, 3))
    cache = {
        "cols": cols,
        "W2": W2,
        "X_shape": X.shape,
        "W_shape": W_arr.shape,
        "out_shape": out.shape,
        "W_dtype": W_arr.dtype,
        "b_dtype": b_arr.dtype,
        "geometry": (stride, pad, dilation),
    }
    return out, cache


def _axis(stride, pad, dilation, axis):
    """(stride, pad, dilation) along one axis (0: height, 1: width)."""
    return tuple(
        check_pair(name, v)[axis]
        for name, v in zip(("stride", "pad", "dilation"), (stride, pad, dilation), strict=True)
    )


def dilated_conv2d_backward(dout, cache):
    """Backward pass of :func:`dilated_conv2d_forward`.

    Parameters
    ----------
    dout : ndarray of shape (N, C_out, H', W')
    cache : dict
        From :func:`dilated_conv2d_forward`.

    Returns
    -------
    dX : ndarray of shape (N, C, H, W), in ``X``'s dtype
    dW : ndarray of shape (C_out, C, kH, kW), in ``W``'s dtype
    db : ndarray of shape (C_out,), in ``b``'s dtype
    """
    cols, W2 = cache["cols"], cache["W2"]
    C_out, C_in, kH, kW = cache["W_shape"]
    dout = as_array("dout", dout, ndim=4, layout="(N, C_out, H', W')")
    if dout.shape != cache["out_shape"]:
        raise ValueError(
            f"dout must have the shape of out (N, C_out, H', W')={cache['out_shape']}, "
            f"got {dout.shape}"
        )
    dout2 = dout.astype(cols.dtype, copy=False).transpose(1, 0, 2, 3).reshape(C_out, -1)
    db = dout2.sum(axis=1)
    dW = (dout2 @ cols.T).reshape(C_out, C_in, kH, kW)
    dX = col2im_dilated(W2.T @ dout2, cache["X_shape"], kH, kW, *cache["geometry"])
    return dX, dW.astype(cache["W_dtype"], copy=False), db.astype(cache["b_dtype"], copy=False)
