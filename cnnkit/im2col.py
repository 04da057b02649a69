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
axis.

Wide columns (what the convolution layer uses)
----------------------------------------------
With stride 1, :mod:`cnnkit.conv` builds *wide* columns instead: one column per
position ``(n, y, x)`` with ``x`` running over the whole padded width ``Wp``
rather than the ``W'`` valid positions. Row ``(c, i, j)`` of a block of images is
then one contiguous run of ``Xp`` (``H' * Wp`` values starting at row ``i``,
column ``j``), so the copy is a few long ``memcpy``'s instead of many short ones;
the ``Wp - W'`` extra columns per output row are computed and thrown away. The
padded input gets one spare zero row so that the last run stays inside the array.
Its adjoint :func:`fold_add` adds such columns back, one slice per kernel offset.
"""

from __future__ import annotations

import threading

import numpy as np
from numpy.lib.stride_tricks import as_strided

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


# ------------------------------------------------------------------ scratch buffers

_local = threading.local()


def scratch(name, size, dtype):
    """A reusable flat work array of at least ``size`` elements (contents undefined).

    Large temporary arrays cost page faults every time they are allocated; these
    are kept per thread and reused from call to call. Only ever use one for
    intermediate values inside a single call, never for a result handed back to
    the caller (it would change under them on the next call).
    """
    pool = getattr(_local, "pool", None)
    if pool is None:
        pool = _local.pool = {}
    key = (name, np.dtype(dtype))
    buf = pool.get(key)
    if buf is None or buf.size < size:
        buf = pool[key] = np.empty(size, dtype=dtype)
    return buf[:size]


# ------------------------------------------------------------------ padded input and windows


def padded(X, pad, spare_row=True):
    """A fresh zero-padded copy of ``X``, shape (N, C, H + 2*pH + spare_row, W + 2*pW)."""
    N, C, H, W = X.shape
    pH, pW = pad
    Xp = np.empty((N, C, H + 2 * pH + spare_row, W + 2 * pW), dtype=X.dtype)
    # Zero only the border, then copy X in: one pass over the array instead of two.
    Xp[:, :, :pH] = 0
    Xp[:, :, pH + H :] = 0
    Xp[:, :, pH : pH + H, :pW] = 0
    Xp[:, :, pH : pH + H, pW + W :] = 0
    Xp[:, :, pH : pH + H, pW : pW + W] = X
    return Xp


def windows(Xp, n0, m, kH, kW, stride, Ho, Wcol):
    """Read-only view (C, kH, kW, m, H', Wcol) of images ``n0 .. n0+m-1`` of ``Xp``.

    ``view[c, i, j, n, y, x] = Xp[n0 + n, c, y*sH + i, x*sW + j]``. ``Xp`` comes from
    :func:`padded`; ``Wcol`` is ``W'``, or ``Wp`` for wide columns (stride 1 only,
    which reads up to ``kW - 1`` values past the last row: the spare row).
    """
    sN, sC, sR, sX = Xp.strides
    sH, sW = stride
    Hp1, Wp = Xp.shape[2:]
    last = (Ho - 1) * sH + kH - 1, (Wcol - 1) * sW + kW - 1
    if last[0] * Wp + last[1] >= Hp1 * Wp or (Wcol != Wp and last[1] >= Wp):
        raise AssertionError("window view would leave the padded array")  # internal misuse
    return as_strided(
        Xp[n0 : n0 + m],
        (Xp.shape[1], kH, kW, m, Ho, Wcol),
        (sC, sR, sX, sN, sH * sR, sW * sX),
        writeable=False,
    )


def fold_add(dXp, dcols, n0, kH, kW, stride, Ho, Wcol):
    """Adjoint of :func:`windows`: ``dXp[n0+n, c, y*sH+i, x*sW+j] += dcols[c, i, j, n, y, x]``.

    One strided slice-add per kernel offset ``(i, j)``: ``kH*kW`` whole-array
    operations. ``dcols`` has shape (C, kH, kW, m, H', Wcol).
    """
    C, _, _, m = dcols.shape[:4]
    sH, sW = stride
    Hp1, Wp = dXp.shape[2:]
    block = dXp[n0 : n0 + m]
    if Wcol == Wp and stride == (1, 1):
        # Wide columns: row (c, i, j) is one run of H'*Wp values of the flattened image.
        flat = block.reshape(m, C, Hp1 * Wp)
        run = dcols.reshape(C, kH, kW, m, Ho * Wp)
        for i in range(kH):
            for j in range(kW):
                start = i * Wp + j
                flat[:, :, start : start + Ho * Wp] += run[:, i, j].transpose(1, 0, 2)
    else:
        for i in range(kH):
            for j in range(kW):
                block[:, :, i : i + sH * Ho : sH, j : j + sW * Wcol : sW] += dcols[
                    :, i, j
                ].transpose(1, 0, 2, 3)


# ------------------------------------------------------------------ public functions


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
        becomes float64). A new array.
    """
    X = as_array("X", X, ndim=4, layout="(N, C, H, W)")
    N, C, _, _ = X.shape
    kH, kW, stride, pad, Ho, Wo = _geometry(X.shape, kH, kW, stride, pad)
    Xp = padded(X, pad, spare_row=False)
    cols = np.empty((C, kH, kW, N, Ho, Wo), dtype=X.dtype)
    cols[...] = windows(Xp, 0, N, kH, kW, stride, Ho, Wo)
    return cols.reshape(C * kH * kW, N * Ho * Wo)


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
    kH, kW, stride, (pH, pW), Ho, Wo = _geometry(X_shape, kH, kW, stride, pad)
    cols = as_array("cols", cols, ndim=2, layout="(C*kH*kW, N*H'*W')")
    want = (C * kH * kW, N * Ho * Wo)
    if cols.shape != want:
        raise ValueError(f"cols must have shape (C*kH*kW, N*H'*W')={want}, got {cols.shape}")
    Xp = np.zeros((N, C, H + 2 * pH, W + 2 * pW), dtype=cols.dtype)
    fold_add(Xp, cols.reshape(C, kH, kW, N, Ho, Wo), 0, kH, kW, stride, Ho, Wo)
    return np.ascontiguousarray(Xp[:, :, pH : pH + H, pW : pW + W])
