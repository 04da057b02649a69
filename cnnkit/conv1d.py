"""1-D convolution layer for sequences (cross-correlation), causal and dilated.

Forward: ``out[n, o, t] = b[o] + sum_{c,j} W[o, c, j] * Xp[n, c, t + j*dilation]``,
where ``Xp`` is ``X`` with ``(k-1)*dilation`` zeros on the left when ``causal`` (so the
output at ``t`` sees the inputs at ``t, t - d, ..., t - (k-1)d`` only and keeps the
length ``L``) and ``X`` itself otherwise (a "valid" convolution, ``L - (k-1)d`` outputs).

Both passes are one matrix product: the ``k`` shifted copies of the (padded) input are
stacked into columns of shape ``(C*k, N*L_out)``, as im2col does for images; the backward
pass adds each tap's share of ``dX`` back at its shift.

Dtype: the computation runs in ``X``'s floating dtype; ``dW`` and ``db`` come back in
the dtypes of ``W`` and ``b`` so that an optimizer can update them in place.
"""

from __future__ import annotations

import math

import numpy as np

from cnnkit._validate import as_array, check_int
from cnnkit.modules import Module, _float_dtype

__all__ = ["conv1d_forward", "conv1d_backward", "Conv1d"]


def conv1d_forward(X, W, b, dilation=1, causal=True):
    """Forward pass of a 1-D convolution layer.

    Parameters
    ----------
    X : ndarray of shape (N, C, L)
        A batch of ``N`` sequences of length ``L`` with ``C`` channels.
    W : ndarray of shape (C_out, C, k)
        Filters.
    b : ndarray of shape (C_out,)
        One bias per filter.
    dilation : int, default 1
        Gap between the taps of the kernel.
    causal : bool, default True
        Pad ``(k-1)*dilation`` zeros on the left only (output length ``L``); if False,
        no padding (output length ``L - (k-1)*dilation``).

    Returns
    -------
    out : ndarray of shape (N, C_out, L_out)
    cache : tuple
        What :func:`conv1d_backward` needs.
    """
    X = as_array("X", X, ndim=3, layout="(N, C, L)")
    W_arr = as_array("W", W, ndim=3, layout="(C_out, C, k)")
    b_arr = as_array("b", b, ndim=1, layout="(C_out,)")
    N, C, L = X.shape
    C_out, C_in, k = W_arr.shape
    if C_in != C:
        raise ValueError(f"W must have C={C} input channels like X, got W.shape={W_arr.shape}")
    if b_arr.shape != (C_out,):
        raise ValueError(f"b must have shape (C_out,)=({C_out},), got {b_arr.shape}")
    dilation = check_int("dilation", dilation, minimum=1)
    span = (k - 1) * dilation
    if not causal and span >= L:
        raise ValueError(f"the kernel spans (k-1)*dilation+1={span + 1} positions, more than L={L}")
    # Channels first, (C, N, L), so that the k shifted copies of the input stack into
    # columns (C*k, N*L_out) and the whole layer is one matrix product.
    Xt = X.transpose(1, 0, 2)
    if causal:
        Xt = np.concatenate([np.zeros((C, N, span), dtype=X.dtype), Xt], axis=2)
    L_out = Xt.shape[2] - span
    cols = np.stack([Xt[:, :, j * dilation : j * dilation + L_out] for j in range(k)], axis=1)
    cols = cols.reshape(C * k, N * L_out)
    W2 = W_arr.reshape(C_out, C * k).astype(X.dtype, copy=False)
    out = W2 @ cols
    out += b_arr.astype(X.dtype, copy=False)[:, None]
    out = np.ascontiguousarray(out.reshape(C_out, N, L_out).transpose(1, 0, 2))
    cache = (cols, W2, X.shape, W_arr.shape, dilation, causal, W_arr.dtype, b_arr.dtype)
    return out, cache


def conv1d_backward(dout, cache):
    """Backward pass of a 1-D convolution layer.

    Parameters
    ----------
    dout : ndarray of shape (N, C_out, L_out)
        Upstream gradient with respect to ``out``.
    cache : tuple
        From :func:`conv1d_forward`.

    Returns
    -------
    dX : ndarray of shape (N, C, L)
    dW : ndarray of shape (C_out, C, k)
    db : ndarray of shape (C_out,)
    """
    cols, W2, (N, C, L), (C_out, _, k), dilation, causal, W_dtype, b_dtype = cache
    span = (k - 1) * dilation
    L_out = cols.shape[1] // N
    dout = as_array("dout", dout, ndim=3, layout="(N, C_out, L_out)")
    if dout.shape != (N, C_out, L_out):
        raise ValueError(
            f"dout must have the shape of out (N, C_out, L_out)={(N, C_out, L_out)}, "
            f"got {dout.shape}"
        )
    dout2 = dout.astype(cols.dtype, copy=False).transpose(1, 0, 2).reshape(C_out, N * L_out)
    db = dout2.sum(axis=1)
    dW = (dout2 @ cols.T).reshape(C_out, C, k)
    dcols = (W2.T @ dout2).reshape(C, k, N, L_out)
    # each tap j saw the input shifted by j*dilation: send its gradient back there
    dXt = np.zeros((C, N, L_out + span), dtype=cols.dtype)
    for j in range(k):
        dXt[:, :, j * dilation : j * dilation + L_out] += dcols[:, j]
    dX = dXt[:, :, span:] if causal else dXt
    dX = np.ascontiguousarray(dX.transpose(1, 0, 2))
    return dX, dW.astype(W_dtype, copy=False), db.astype(b_dtype, copy=False)


class Conv1d(Module):
    """1-D convolution layer over :func:`conv1d_forward` (causal by default).

    Parameters
    ----------
    C_in, C_out : int
        Input and output channels.
    kernel_size : int
        Taps ``k``.
    dilation : int, default 1
    causal : bool, default True
    rng : numpy.random.Generator or int, optional
        Source of the initial weights.
    dtype : floating dtype, default float32

    Attributes
    ----------
    params : dict
        ``"W"`` of shape (C_out, C_in, k), normal with variance ``1 / (C_in k)``;
        ``"b"`` of shape (C_out,), zeros.
    """

    def __init__(
        self, C_in, C_out, kernel_size, dilation=1, causal=True, *, rng=None, dtype=np.float32
    ):
        super().__init__()
        C_in = check_int("C_in", C_in, minimum=1)
        C_out = check_int("C_out", C_out, minimum=1)
        k = check_int("kernel_size", kernel_size, minimum=1)
        self.dilation = check_int("dilation", dilation, minimum=1)
        self.causal = bool(causal)
        dtype = _float_dtype(dtype)
        rng = np.random.default_rng(rng)
        # variance 1/fan_in (LeCun): the layer feeds a gate or a residual sum, not a ReLU
        W = rng.standard_normal((C_out, C_in, k)) / math.sqrt(C_in * k)
        self.params = {"W": W.astype(dtype), "b": np.zeros(C_out, dtype=dtype)}

    def forward(self, X):
        out, self._cache = conv1d_forward(
            X, self.params["W"], self.params["b"], self.dilation, self.causal
        )
        return out

    def backward(self, dout):
        dX, dW, db = conv1d_backward(dout, self._take_cache())
        self.grads = {"W": dW, "b": db}
        return dX

    def __repr__(self):
        C_out, C_in, k = self.params["W"].shape
        return f"Conv1d({C_in}, {C_out}, {k}, dilation={self.dilation}, causal={self.causal})"
