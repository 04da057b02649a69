"""Transposed 2-D convolution (转置卷积), forward and backward, as the adjoint of im2col.

A convolution is ``out = W2 @ im2col(X)``. Its transpose multiplies by the transposed
matrix: every input pixel scatters a scaled copy of the kernel onto the output, which is
``col2im(W2.T @ X)``. So the forward pass here is the input-gradient code of a
convolution, and the backward pass is a convolution (``im2col`` of ``dout``):

``full[n, co, s*y + d*i, s*x + d*j] += X[n, c, y, x] * W[c, co, i, j]``, then ``out`` is
``full`` with ``pad`` rows and columns cropped from each side, ``output_padding`` extra
rows and columns at the bottom and right, plus ``b[co]``.

Output size: ``H_out = stride*(H - 1) + dilation*(kH - 1) + 1 - 2*pad + output_padding``
(PyTorch's ``conv_transpose2d``, whose weight layout ``(C_in, C_out, kH, kW)`` is used).

Dtype: computed in ``X``'s floating dtype; ``dW`` and ``db`` come back in the dtypes of
``W`` and ``b``.
"""

from __future__ import annotations

import numpy as np

from cnnkit._validate import as_array, check_int, check_pair
from cnnkit.dilated import col2im_dilated, im2col_dilated
from cnnkit.modules import Module, _float_dtype, _he_normal

__all__ = ["conv_transpose2d_forward", "conv_transpose2d_backward", "ConvTranspose2d"]


def _out_size(n, k, stride, pad, dilation, output_padding, axis):
    if output_padding >= stride:
        raise ValueError(
            f"output_padding must be smaller than stride along the {axis} "
            f"({stride}), got {output_padding}"
        )
    size = stride * (n - 1) + dilation * (k - 1) + 1 - 2 * pad + output_padding
    if size < 1:
        raise ValueError(
            f"the output {axis} would be {size}: stride*(n - 1) + dilation*(k - 1) + 1 "
            f"- 2*pad + output_padding must be >= 1 (pad={pad} is too large)"
        )
    return size


def conv_transpose2d_forward(X, W, b, stride=1, pad=0, output_padding=0, dilation=1):
    """Forward pass of a transposed 2-D convolution.

    Parameters
    ----------
    X : ndarray of shape (N, C_in, H, W)
    W : ndarray of shape (C_in, C_out, kH, kW)
        The weight layout of the convolution this layer is the transpose of, read the
        other way round (PyTorch's ``conv_transpose2d`` layout).
    b : ndarray of shape (C_out,)
    stride, pad, output_padding, dilation : int or (int, int), default 1, 0, 0, 1
        ``0 <= output_padding < stride`` along each axis.

    Returns
    -------
    out : ndarray of shape (N, C_out, H_out, W_out)
        ``H_out = stride*(H - 1) + dilation*(kH - 1) + 1 - 2*pad + output_padding``.
    cache : dict
        What :func:`conv_transpose2d_backward` needs.
    """
    X = as_array("X", X, ndim=4, layout="(N, C_in, H, W)")
    W_arr = as_array("W", W, ndim=4, layout="(C_in, C_out, kH, kW)")
    b_arr = as_array("b", b, ndim=1, layout="(C_out,)")
    N, C_in, H, Wd = X.shape
    if W_arr.shape[0] != C_in:
        raise ValueError(
            f"W must have shape (C_in, C_out, kH, kW) with C_in equal to the C={C_in} "
            f"channels of X, got W.shape={W_arr.shape}"
        )
    _, C_out, kH, kW = W_arr.shape
    if b_arr.shape != (C_out,):
        raise ValueError(f"b must have shape (C_out,)=({C_out},), got {b_arr.shape}")
    stride = check_pair("stride", stride, minimum=1)
    pad = check_pair("pad", pad, minimum=0)
    output_padding = check_pair("output_padding", output_padding, minimum=0)
    dilation = check_pair("dilation", dilation, minimum=1)
    Ho, Wo = (
        _out_size(n, k, stride[a], pad[a], dilation[a], output_padding[a], name)
        for a, (n, k, name) in enumerate([(H, kH, "height"), (Wd, kW, "width")])
    )
    dtype = X.dtype
    X2 = X.transpose(1, 0, 2, 3).reshape(C_in, N * H * Wd)
    W2 = W_arr.reshape(C_in, C_out * kH * kW).astype(dtype, copy=False)
    # Each column of W2.T @ X2 is one input pixel's scaled kernel; col2im adds the stamps
    # at their places (stride and dilation), crops the padding and leaves the output
    # padding rows where only the cropped border could reach.
    out = col2im_dilated(W2.T @ X2, (N, C_out, Ho, Wo), kH, kW, stride, pad, dilation)
    out += b_arr.astype(dtype, copy=False)[None, :, None, None]
    cache = {
        "X2": X2,
        "W2": W2,
        "X_shape": X.shape,
        "W_shape": W_arr.shape,
        "out_shape": out.shape,
        "W_dtype": W_arr.dtype,
        "b_dtype": b_arr.dtype,
        "geometry": (stride, pad, dilation),
    }
    return out, cache


def conv_transpose2d_backward(dout, cache):
    """Backward pass of :func:`conv_transpose2d_forward`: a strided, dilated convolution.

    Parameters
    ----------
    dout : ndarray of shape (N, C_out, H_out, W_out)
    cache : dict
        From :func:`conv_transpose2d_forward`.

    Returns
    -------
    dX : ndarray of shape (N, C_in, H, W), in ``X``'s dtype
    dW : ndarray of shape (C_in, C_out, kH, kW), in ``W``'s dtype
    db : ndarray of shape (C_out,), in ``b``'s dtype
    """
    X2, W2 = cache["X2"], cache["W2"]
    N, C_in, H, Wd = cache["X_shape"]
    _, C_out, kH, kW = cache["W_shape"]
    dout = as_array("dout", dout, ndim=4, layout="(N, C_out, H_out, W_out)")
    if dout.shape != cache["out_shape"]:
        raise ValueError(
            f"dout must have the shape of out (N, C_out, H_out, W_out)={cache['out_shape']}, "
            f"got {dout.shape}"
        )
    dout = dout.astype(X2.dtype, copy=False)
    cols = im2col_dilated(dout, kH, kW, *cache["geometry"])  # (C_out*kH*kW, N*H*W)
    dX = (W2 @ cols).reshape(C_in, N, H, Wd).transpose(1, 0, 2, 3)
    dW = (X2 @ cols.T).reshape(C_in, C_out, kH, kW)
    db = dout.sum(axis=(0, 2, 3))
    return (
        np.ascontiguousarray(dX),
        dW.astype(cache["W_dtype"], copy=False),
        db.astype(cache["b_dtype"], copy=False),
    )


class ConvTranspose2d(Module):
    """Transposed convolution layer over :func:`conv_transpose2d_forward`.

    Parameters
    ----------
    C_in, C_out : int
    kernel_size : int or (int, int)
    stride, pad, output_padding, dilation : int or (int, int)
    rng : numpy.random.Generator or int, optional
    dtype : floating dtype, default float32

    Attributes
    ----------
    params : dict
        ``"W"`` of shape (C_in, C_out, kH, kW), He-normal with fan-in
        ``C_in*kH*kW / stride**2`` (each output pixel sees about that many products);
        ``"b"`` of shape (C_out,), zeros.
    """

    def __init__(
        self,
        C_in,
        C_out,
        kernel_size,
        stride=1,
        pad=0,
        output_padding=0,
        dilation=1,
        *,
        rng=None,
        dtype=np.float32,
    ):
        super().__init__()
        C_in = check_int("C_in", C_in, minimum=1)
        C_out = check_int("C_out", C_out, minimum=1)
        kH, kW = check_pair("kernel_size", kernel_size, minimum=1)
        self.stride = check_pair("stride", stride, minimum=1)
        self.pad = check_pair("pad", pad, minimum=0)
        self.output_padding = check_pair("output_padding", output_padding, minimum=0)
        self.dilation = check_pair("dilation", dilation, minimum=1)
        dtype = _float_dtype(dtype)
        fan_in = max(1.0, C_in * kH * kW / (self.stride[0] * self.stride[1]))
        self.params = {
            "W": _he_normal(rng, (C_in, C_out, kH, kW), fan_in, dtype),
            "b": np.zeros(C_out, dtype=dtype),
        }

    def forward(self, X):
        out, self._cache = conv_transpose2d_forward(
            X,
            self.params["W"],
            self.params["b"],
            self.stride,
            self.pad,
            self.output_padding,
            self.dilation,
        )
        return out

    def backward(self, dout):
        dX, dW, db = conv_transpose2d_backward(dout, self._take_cache())
        self.grads = {"W": dW, "b": db}
        return dX

    def __repr__(self):
        C_in, C_out, kH, kW = self.params["W"].shape
        return (
            f"ConvTranspose2d({C_in}, {C_out}, kernel_size=({kH}, {kW}), stride={self.stride}, "
            f"pad={self.pad}, output_padding={self.output_padding}, dilation={self.dilation})"
        )
