"""2-D convolution layer (cross-correlation, as deep-learning libraries compute it), via im2col.

Forward:  ``out[n, co, y, x] = b[co] + sum_{c,i,j} W[co, c, i, j] * Xp[n, c, y*sH + i, x*sW + j]``
where ``Xp`` is ``X`` zero-padded by ``pad``. No kernel flip: that would be a
mathematical convolution.

Backward, with ``cols = im2col(X)``:
``dW = dout @ cols.T`` (the cross-correlation of the input with ``dout``),
``dX = col2im(W.T @ dout)`` (the full convolution of ``dout`` with the kernel
rotated by 180 degrees), ``db = dout`` summed over ``N, H', W'``.

How it is made fast (the arithmetic is exactly the above):

- the images go through in blocks small enough (about 512 KiB of columns) for the
  columns to stay in the processor's cache between the copy that builds them and
  the matrix product that reads them; the work arrays are reused from call to call;
- with stride 1 the columns are *wide* (see :mod:`cnnkit.im2col`): long contiguous
  copies, a few extra columns computed and dropped;
- the forward pass keeps the padded input, not the columns (``kH*kW`` times
  larger): the backward pass rebuilds each block's columns, which costs less
  than writing them all to memory and reading them back;
- a 1x1 convolution with stride 1 needs no columns at all: ``X[n]`` viewed as
  (C, H*W) already is one, so it is one matrix product per image;
- ``need_dX=False`` skips the gradient with respect to the input, which nobody
  needs for the first layer of a network (its input is the data).

Dtype: the computation runs in ``X``'s floating dtype (float32 stays float32);
``dW`` and ``db`` come back in the dtypes of ``W`` and ``b`` so that an optimizer
can update the parameters in place.
"""

from __future__ import annotations

import numpy as np

from cnnkit._validate import as_array, check_pair
from cnnkit.im2col import fold_add, padded, scratch, windows

__all__ = ["conv2d_forward", "conv2d_backward"]

# Bytes of columns per block. 512 KiB measured best for the forward pass and for dW
# (the L2 cache is 1 MiB per core); the backward pass with dX does kH*kW small
# slice-adds per block, so it takes blocks 4 times larger to pay for fewer calls.
_BLOCK_BYTES = 1 << 19
_DX_BLOCK_FACTOR = 4


def _blocks(N, per_image_bytes, factor=1):
    """(first image, number of images) of each block."""
    n = max(1, min(N, factor * _BLOCK_BYTES // max(per_image_bytes, 1)))
    return [(n0, min(n, N - n0)) for n0 in range(0, N, n)], n


def conv2d_forward(X, W, b, stride=1, pad=0):
    """Forward pass of a 2-D convolution layer.

    Parameters
    ----------
    X : ndarray of shape (N, C, H, W)
        Input images (``C`` = C_in channels).
    W : ndarray of shape (C_out, C_in, kH, kW)
        Filters; ``C_in`` must equal ``C``.
    b : ndarray of shape (C_out,)
        One bias per filter.
    stride : int or (int, int), default 1
        Step between windows, (vertical, horizontal).
    pad : int or (int, int), default 0
        Zeros added on each side of the image, (top and bottom, left and right).

    Returns
    -------
    out : ndarray of shape (N, C_out, H', W')
        ``H' = (H + 2*pad - kH) // stride + 1`` and likewise for ``W'``; same dtype
        as ``X``; a new array.
    cache : dict
        What :func:`conv2d_backward` needs (the padded input, ``W``, shapes).
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
    stride = check_pair("stride", stride, minimum=1)
    pad = check_pair("pad", pad, minimum=0)
    if kH > H + 2 * pad[0] or kW > Wd + 2 * pad[1]:
        raise ValueError(
            f"W's kernel (kH, kW)=({kH}, {kW}) is larger than the padded input "
            f"(H + 2*pad, W + 2*pad)=({H + 2 * pad[0]}, {Wd + 2 * pad[1]})"
        )
    Ho = (H + 2 * pad[0] - kH) // stride[0] + 1
    Wo = (Wd + 2 * pad[1] - kW) // stride[1] + 1

    dtype = X.dtype
    K = C * kH * kW
    W2 = np.ascontiguousarray(W_arr.reshape(C_out, K), dtype=dtype)
    b4 = b_arr.astype(dtype, copy=False).reshape(1, C_out, 1, 1)
    cache = {
        "W2": W2,
        "X_shape": X.shape,
        "W_shape": W_arr.shape,
        "out_shape": (N, C_out, Ho, Wo),
        "W_dtype": W_arr.dtype,
        "b_dtype": b_arr.dtype,
        "stride": stride,
        "pad": pad,
    }
    if K == C and stride == (1, 1) and pad == (0, 0):
        # 1x1: X[n] as (C, H*W) is its own column matrix; the batched product
        # comes out in (N, C_out, H*W) order, no transpose.
        X3 = X.reshape(N, C, H * Wd)
        out = np.matmul(W2, X3)
        out += b4[:, :, :, 0]
        cache["X3"] = X3
        return out.reshape(N, C_out, Ho, Wo), cache

    Xp = padded(X, pad, spare_row=True)
    Wcol = Xp.shape[3] if stride == (1, 1) else Wo  # wide columns for stride 1
    blocks, n = _blocks(N, K * Ho * Wcol * X.itemsize)
    cols_buf = scratch("cols", K * n * Ho * Wcol, dtype)
    res_buf = scratch("res", C_out * n * Ho * Wcol, dtype)
    out = np.empty((N, C_out, Ho, Wo), dtype=dtype)
    for n0, m in blocks:
        cols = cols_buf[: K * m * Ho * Wcol].reshape(C, kH, kW, m, Ho, Wcol)
        np.copyto(cols, windows(Xp, n0, m, kH, kW, stride, Ho, Wcol))
        res = res_buf[: C_out * m * Ho * Wcol].reshape(C_out, -1)
        np.matmul(W2, cols.reshape(K, -1), out=res)
        res4 = res.reshape(C_out, m, Ho, Wcol)[:, :, :, :Wo].transpose(1, 0, 2, 3)
        np.add(res4, b4, out=out[n0 : n0 + m])
    cache.update(Xp=Xp, Wcol=Wcol)
    return out, cache


def conv2d_backward(dout, cache, need_dX=True):
    """Backward pass of a 2-D convolution layer.

    Parameters
    ----------
    dout : ndarray of shape (N, C_out, H', W')
        Upstream gradient of the loss with respect to ``out``.
    cache : dict
        From :func:`conv2d_forward`.
    need_dX : bool, default True
        False: skip the gradient with respect to ``X`` (and return None for it),
        e.g. for the first layer of a network, whose input is the data.

    Returns
    -------
    dX : ndarray of shape (N, C, H, W), or None
        Gradient with respect to ``X``, in ``X``'s dtype.
    dW : ndarray of shape (C_out, C_in, kH, kW)
        Gradient with respect to ``W``, in ``W``'s dtype.
    db : ndarray of shape (C_out,)
        Gradient with respect to ``b``, in ``b``'s dtype.
    """
    W2 = cache["W2"]
    N, C, H, Wd = cache["X_shape"]
    C_out, C_in, kH, kW = cache["W_shape"]
    _, _, Ho, Wo = cache["out_shape"]
    dout = as_array("dout", dout, ndim=4, layout="(N, C_out, H', W')")
    if dout.shape != cache["out_shape"]:
        raise ValueError(
            f"dout must have the shape of out (N, C_out, H', W')={cache['out_shape']}, "
            f"got {dout.shape}"
        )
    dtype = W2.dtype
    dout = dout.astype(dtype, copy=False)
    db = dout.sum(axis=(0, 2, 3))
    K = C * kH * kW
    dX = None
    if "X3" in cache:  # 1x1, stride 1, no padding
        X3 = cache["X3"]
        d3 = dout.reshape(N, C_out, Ho * Wo)
        dW = np.matmul(d3, X3.transpose(0, 2, 1)).sum(axis=0)
        if need_dX:
            dX = np.matmul(W2.T, d3).reshape(N, C, H, Wd)
    else:
        Xp, Wcol, stride = cache["Xp"], cache["Wcol"], cache["stride"]
        factor = _DX_BLOCK_FACTOR if need_dX else 1
        blocks, n = _blocks(N, K * Ho * Wcol * Xp.itemsize, factor)
        cols_buf = scratch("cols", K * n * Ho * Wcol, dtype)
        dres_buf = scratch("res", C_out * n * Ho * Wcol, dtype)
        dcols_buf = scratch("dcols", K * n * Ho * Wcol, dtype) if need_dX else None
        # dW accumulated transposed, (K, C_out): OpenBLAS runs cols @ dout.T about
        # twice as fast as dout @ cols.T for these shapes.
        dWT_part = np.empty((K, C_out), dtype=dtype)
        dWT = np.zeros((K, C_out), dtype=dtype)
        dXp = np.zeros(Xp.shape, dtype=dtype) if need_dX else None
        for n0, m in blocks:
            cols = cols_buf[: K * m * Ho * Wcol].reshape(C, kH, kW, m, Ho, Wcol)
            np.copyto(cols, windows(Xp, n0, m, kH, kW, stride, Ho, Wcol))
            # dout in the columns' (C_out, images, rows, Wcol) order; the extra wide
            # columns get zero gradient, so they add nothing to dW or dX.
            dres = dres_buf[: C_out * m * Ho * Wcol].reshape(C_out, m, Ho, Wcol)
            dres[:, :, :, :Wo] = dout[n0 : n0 + m].transpose(1, 0, 2, 3)
            dres[:, :, :, Wo:] = 0
            d2 = dres.reshape(C_out, -1)
            dWT += np.matmul(cols.reshape(K, -1), d2.T, out=dWT_part)
            if need_dX:
                dcols = np.matmul(W2.T, d2, out=dcols_buf[: K * m * Ho * Wcol].reshape(K, -1))
                fold_add(dXp, dcols.reshape(C, kH, kW, m, Ho, Wcol), n0, kH, kW, stride, Ho, Wcol)
        dW = dWT.T
        if need_dX:
            pH, pW = cache["pad"]
            dX = np.ascontiguousarray(dXp[:, :, pH : pH + H, pW : pW + Wd])
    dW = np.ascontiguousarray(dW.reshape(C_out, C_in, kH, kW), dtype=cache["W_dtype"])
    return dX, dW, db.astype(cache["b_dtype"], copy=False)
