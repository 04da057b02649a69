"""2-D convolution layer (cross-correlation, as deep-learning libraries compute it), via im2col.

Forward:  ``out[n, co, y, x] = b[co] + sum_{c,i,j} W[co, c, i, j] * Xp[n, c, y*sH + i, x*sW + j]``
where ``Xp`` is ``X`` zero-padded by ``pad``. No kernel flip: that would be a
mathematical convolution.

Backward, with ``cols = im2col(X)``:
``dW = dout @ cols.T`` (the cross-correlation of the input with ``dout``),
``dX = col2im(W.T @ dout)`` (the full convolution of ``dout`` with the kernel
rotated by 180 degrees), ``db = dout`` summed over ``N, H', W'``.

Dtype: the computation runs in ``X``'s floating dtype (float32 stays float32);
``dW`` and ``db`` come back in the dtypes of ``W`` and ``b`` so that an optimizer
can update the parameters in place.
"""

from __future__ import annotations

import numpy as np

from cnnkit._validate import as_array, check_pair
from cnnkit.im2col import col2im, im2col

__all__ = ["conv2d_forward", "conv2d_backward"]


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
        as ``X``.
    cache : dict
        What :func:`conv2d_backward` needs (the im2col columns, ``W``, shapes).
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
    W2 = W_arr.reshape(C_out, -1).astype(dtype, copy=False)
    cols = im2col(X, kH, kW, stride, pad)
    out = W2 @ cols
    out += b_arr.astype(dtype, copy=False)[:, None]
    # (C_out, N, H', W') -> (N, C_out, H', W'); contiguous so the next layer's
    # reshapes are views.
    out = np.ascontiguousarray(out.reshape(C_out, N, Ho, Wo).transpose(1, 0, 2, 3))
    cache = {
        "cols": cols,
        "W2": W2,
        "X_shape": X.shape,
        "W_shape": W_arr.shape,
        "out_shape": out.shape,
        "W_dtype": W_arr.dtype,
        "b_dtype": b_arr.dtype,
        "stride": stride,
        "pad": pad,
    }
    return out, cache


def conv2d_backward(dout, cache):
    """Backward pass of a 2-D convolution layer.

    Parameters
    ----------
    dout : ndarray of shape (N, C_out, H', W')
        Upstream gradient of the loss with respect to ``out``.
    cache : dict
        From :func:`conv2d_forward`.

    Returns
    -------
    dX : ndarray of shape (N, C, H, W)
        Gradient with respect to ``X``, in ``X``'s dtype.
    dW : ndarray of shape (C_out, C_in, kH, kW)
        Gradient with respect to ``W``, in ``W``'s dtype.
    db : ndarray of shape (C_out,)
        Gradient with respect to ``b``, in ``b``'s dtype.
    """
    cols, W2 = cache["cols"], cache["W2"]
    N, C, H, Wd = cache["X_shape"]
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
    dX = col2im(W2.T @ dout2, (N, C, H, Wd), kH, kW, cache["stride"], cache["pad"])
    return dX, dW.astype(cache["W_dtype"], copy=False), db.astype(cache["b_dtype"], copy=False)
