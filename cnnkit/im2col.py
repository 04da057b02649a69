"""im2col and its adjoint col2im: convolution as one matrix product.

Column layout
-------------
For an input ``X`` of shape ``(N, C, H, W)``, a ``kH x kW`` window, stride
``(sH, sW)`` and zero padding ``(pH, pW)``, the padded input has
``Hp = H + 2*pH`` rows and ``Wp = W + 2*pW`` columns and there are::

    H' = (Hp - kH) // sH + 1        W' = (Wp - kW) // sW + 1

window positions per image. ``im2col`` returns ``cols`` of shape
``(C*kH*kW, N*H'*W')`` with::

    cols[c*kH*kW + i*kW + j, n*H'*W' + y*W' + x] = Xp[n, c, y*sH + i, x*sW + j]

so each **column** is one receptive field (one output pixel of one image),
flattened in the same C order as a filter ``W[co]`` of shape ``(C, kH, kW)``,
and the columns run over images, then output rows, then output columns. A
convolution is then ``W.reshape(C_out, -1) @ cols``, of shape
``(C_out, N*H'*W')``.

This "channels-and-kernel by positions" layout (rather than one patch per row) is
used because the copy that builds it reads the input along its contiguous last
axis, which measured about twice as fast for LeNet-sized layers.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from cnnkit._validate import as_array, check_int, check_pair

__all__ = ["im2col", "col2im"]


def _geometry(X_shape, kH, kW, stride, pad):
    """Validate the window arguments; return (kH, kW, (sH, sW), (pH, pW), H', W')."""
    kH = check_int("kH", kH, minimum=1)
    kW = check_int("kW", kW, minimum=1)
    sH, sW = check_pair("stride", stride, minimum=1)
    pH, pW = check_pair("pad", pad, minimum=0)
    _, _, H, W = X_shape
    Hp, Wp = H + 2 * pH, W + 2 * pW
    if kH > Hp or kW > Wp:
        raise ValueError(
            f"kernel (kH, kW)=({kH}, {kW}) is larger than the padded input "
            f"(H + 2*pad, W + 2*pad)=({Hp}, {Wp})"
        )
    return kH, kW, (sH, sW), (pH, pW), (Hp - kH) // sH + 1, (Wp - kW) // sW + 1


def im2col(X, kH, kW, stride=1, pad=0):
    """Unfold every ``kH x kW`` window of ``X`` into a column.

    Parameters
    ----------
    X : ndarray of shape (N, C, H, W)
        Input images.
    kH, kW : int
        Window height and width.
    stride : int or (int, int), default 1
        Step between windows, (vertical, horizontal).
    pad : int or (int, int), default 0
        Zeros added on each side, (top and bottom, left and right).

    Returns
    -------
    cols : ndarray of shape (C*kH*kW, N*H'*W')
        Layout as in the module docstring; same dtype as ``X`` (integer input
        becomes float64).
    """
    X = as_array("X", X, ndim=4, layout="(N, C, H, W)")
    N, C, _, _ = X.shape
    kH, kW, (sH, sW), (pH, pW), Ho, Wo = _geometry(X.shape, kH, kW, stride, pad)
    if pH or pW:
        X = np.pad(X, ((0, 0), (0, 0), (pH, pH), (pW, pW)))
    # A read-only view of shape (N, C, H', W', kH, kW); the reshape below is the
    # only copy.
    windows = sliding_window_view(X, (kH, kW), axis=(2, 3))[:, :, ::sH, ::sW]
    return windows.transpose(1, 4, 5, 0, 2, 3).reshape(C * kH * kW, N * Ho * Wo)


def col2im(cols, X_shape, kH, kW, stride=1, pad=0):
    """Fold columns back into an image, summing where windows overlap.

    This is the adjoint (transpose) of :func:`im2col`, not its inverse: a pixel
    covered by several windows receives the sum of their entries, which is exactly
    what the backward pass of a convolution needs. Entries that fall in the zero
    padding are dropped.

    Parameters
    ----------
    cols : ndarray of shape (C*kH*kW, N*H'*W')
        Columns in the layout of :func:`im2col`.
    X_shape : tuple of int (N, C, H, W)
        Shape of the image that :func:`im2col` unfolded.
    kH, kW, stride, pad
        As passed to :func:`im2col`.

    Returns
    -------
    X : ndarray of shape (N, C, H, W)
        Same dtype as ``cols``.
    """
    if not isinstance(X_shape, (tuple, list)) or len(X_shape) != 4:
        raise ValueError(f"X_shape must be a tuple (N, C, H, W), got {X_shape!r}")
    X_shape = tuple(check_int("X_shape", d, minimum=1) for d in X_shape)
    N, C, H, W = X_shape
    kH, kW, (sH, sW), (pH, pW), Ho, Wo = _geometry(X_shape, kH, kW, stride, pad)
    cols = as_array("cols", cols, ndim=2, layout="(C*kH*kW, N*H'*W')")
    want = (C * kH * kW, N * Ho * Wo)
    if cols.shape != want:
        raise ValueError(f"cols must have shape (C*kH*kW, N*H'*W')={want}, got {cols.shape}")
    cols6 = cols.reshape(C, kH, kW, N, Ho, Wo)
    # Accumulate in (C, N, ...) order so each strided add reads cols contiguously;
    # one transpose at the end is cheaper than kH*kW transposed reads.
    Xp = np.zeros((C, N, H + 2 * pH, W + 2 * pW), dtype=cols.dtype)
    for i in range(kH):
        for j in range(kW):
            Xp[:, :, i : i + sH * Ho : sH, j : j + sW * Wo : sW] += cols6[:, i, j]
    return np.ascontiguousarray(Xp[:, :, pH : pH + H, pW : pW + W].transpose(1, 0, 2, 3))
