"""Max and average pooling over 2-D windows, per channel, without padding.

A window of ``size = (kH, kW)`` moves by ``stride = (sH, sW)`` (default: the
window size, i.e. non-overlapping), giving::

    H' = (H - kH) // sH + 1        W' = (W - kW) // sW + 1

Rows or columns that no window reaches (when ``H - kH`` is not a multiple of
``sH``) are ignored in the forward pass and get zero gradient.

Both layers loop over the ``kH*kW`` offsets of a window rather than over output
pixels: at offset ``(i, j)`` the strided view ``X[:, :, i::sH, j::sW]`` holds that
element of every window at once, so the loop has ``kH*kW`` iterations (4 for the
usual 2x2) of whole-array NumPy operations.

Non-overlapping windows (``stride == size``, the usual case) take a faster path:
each spatial axis is split into (window index, offset), a view, and the window is
reduced one axis at a time, rows first, so that the first and largest operations
read whole contiguous rows. Max pooling then keeps only ``X`` (a reference, not a
copy) and ``out``: the backward pass finds each window's first maximum itself,
so the forward pass does no bookkeeping.
"""

from __future__ import annotations

import numpy as np

from cnnkit._validate import as_array, check_pair

__all__ = [
    "maxpool2d_forward",
    "maxpool2d_backward",
    "avgpool2d_forward",
    "avgpool2d_backward",
]


def _geometry(X_shape, size, stride):
    """Validate size and stride; return ((kH, kW), (sH, sW), H', W')."""
    kH, kW = check_pair("size", size, minimum=1)
    sH, sW = (kH, kW) if stride is None else check_pair("stride", stride, minimum=1)
    H, W = X_shape[2:]
    if kH > H or kW > W:
        raise ValueError(f"size (kH, kW)=({kH}, {kW}) does not fit in the input (H, W)=({H}, {W})")
    return (kH, kW), (sH, sW), (H - kH) // sH + 1, (W - kW) // sW + 1


def _window_slice(i, j, stride, Ho, Wo):
    """Index of element (i, j) of every window: a strided view of shape (N, C, H', W')."""
    sH, sW = stride
    return (slice(None), slice(None), slice(i, i + sH * Ho, sH), slice(j, j + sW * Wo, sW))


def _blocks6(A, size, Ho, Wo):
    """View (N, C, H', kH, W', kW) of the part of A that the windows cover (stride == size)."""
    kH, kW = size
    N, C = A.shape[:2]
    return A[:, :, : Ho * kH, : Wo * kW].reshape(N, C, Ho, kH, Wo, kW)


def _reduce_windows(X, size, Ho, Wo, ufunc):
    """``ufunc`` over each non-overlapping window: a new (N, C, H', W') array."""
    kH, kW = size
    X6 = _blocks6(X, size, Ho, Wo)
    # Rows first: these operations read and write whole rows of W' * kW values.
    rows = X6[:, :, :, 0]
    if kH > 1:
        rows = ufunc(rows, X6[:, :, :, 1])
        for i in range(2, kH):
            ufunc(rows, X6[:, :, :, i], out=rows)
    rows = rows.reshape(*rows.shape[:3], Wo, kW)
    if kW == 1:
        return np.array(rows[..., 0])  # a copy: rows may be a view of X
    out = ufunc(rows[..., 0], rows[..., 1])
    for j in range(2, kW):
        ufunc(out, rows[..., j], out=out)
    return out


def _empty_like_input(X_shape, size, Ho, Wo, dtype):
    """Uninitialised dX, except zeros in the rows and columns that no window reaches."""
    kH, kW = size
    dX = np.empty(X_shape, dtype=dtype)
    dX[:, :, Ho * kH :] = 0
    dX[:, :, :, Wo * kW :] = 0
    return dX


def _check_dout(dout, cache):
    dout = as_array("dout", dout, ndim=4, layout="(N, C, H', W')")
    if dout.shape != cache["out_shape"]:
        raise ValueError(
            f"dout must have the shape of out (N, C, H', W')={cache['out_shape']}, got {dout.shape}"
        )
    return dout.astype(cache["dtype"], copy=False)


def maxpool2d_forward(X, size=2, stride=None):
    """Forward pass of max pooling.

    Parameters
    ----------
    X : ndarray of shape (N, C, H, W)
        Input feature maps.
    size : int or (int, int), default 2
        Window (kH, kW).
    stride : int or (int, int), optional
        Step between windows; defaults to ``size`` (non-overlapping windows).

    Returns
    -------
    out : ndarray of shape (N, C, H', W')
        Maximum of each window; same dtype as ``X``.
    cache : dict
        For :func:`maxpool2d_backward`. Non-overlapping windows: ``X`` itself (not a
        copy: do not change it in place before the backward pass) and ``out``.
        Otherwise which element of each window won (``argmax``, shape
        (N, C, H', W'), row-major offset ``i*kW + j``).

    Notes
    -----
    When several elements of a window tie for the maximum (common after ReLU,
    where whole windows are 0), the first in row-major order wins, as in
    PyTorch; only it receives the gradient.
    """
    X = as_array("X", X, ndim=4, layout="(N, C, H, W)")
    (kH, kW), stride, Ho, Wo = _geometry(X.shape, size, stride)
    cache = {
        "X_shape": X.shape,
        "out_shape": (*X.shape[:2], Ho, Wo),
        "dtype": X.dtype,
        "size": (kH, kW),
        "stride": stride,
    }
    if stride == (kH, kW):
        out = _reduce_windows(X, (kH, kW), Ho, Wo, np.maximum)
        cache.update(X=X, out=out)
        return out, cache
    out = X[_window_slice(0, 0, stride, Ho, Wo)].copy()
    argmax = np.zeros(out.shape, dtype=np.min_scalar_type(kH * kW - 1))
    # Scan offsets in row-major order and move the winner only on a strictly
    # greater value, so ties keep the first maximum. Measured about 10x faster
    # than np.argmax over a (..., kH*kW) copy, whose inner loop is only 4 long.
    for m in range(1, kH * kW):
        v = X[_window_slice(*divmod(m, kW), stride, Ho, Wo)]
        # "argmax = m where v wins", as arithmetic because np.where/putmask are
        # several times slower; m - argmax >= 1 since argmax < m so far.
        argmax += (v > out) * (m - argmax)
        np.maximum(out, v, out=out)
    cache["argmax"] = argmax
    return out, cache


def maxpool2d_backward(dout, cache):
    """Backward pass of max pooling: each window's gradient goes to its (first) maximum.

    Parameters
    ----------
    dout : ndarray of shape (N, C, H', W')
        Upstream gradient.
    cache : dict
        From :func:`maxpool2d_forward`.

    Returns
    -------
    dX : ndarray of shape (N, C, H, W)
        Zero except at each window's recorded maximum; where windows overlap,
        an element that is the maximum of several windows receives the sum.
    """
    dout = _check_dout(dout, cache)
    (kH, kW), stride = cache["size"], cache["stride"]
    _, _, Ho, Wo = cache["out_shape"]
    if "argmax" not in cache:
        return _maxpool_backward_blocks(dout, cache)
    argmax = cache["argmax"]
    overlap = stride[0] < kH or stride[1] < kW
    dX = np.zeros(cache["X_shape"], dtype=cache["dtype"])
    for m in range(kH * kW):
        idx = _window_slice(*divmod(m, kW), stride, Ho, Wo)
        # Multiplying by the 0/1 mask is several times faster than np.where.
        if overlap:
            dX[idx] += dout * (argmax == m)
        else:
            # Each input element belongs to at most one window: write, no accumulate.
            np.multiply(dout, argmax == m, out=dX[idx])
    return dX


def _maxpool_backward_blocks(dout, cache):
    """Backward of non-overlapping max pooling: route each window's gradient to its first max.

    Offsets are visited in row-major order; ``seen`` marks the windows whose maximum
    has been found, so an element equal to the maximum gets the gradient only if no
    earlier element of its window did (ties go to the first, as in PyTorch).
    """
    size = cache["size"]
    _, _, Ho, Wo = cache["out_shape"]
    X6 = _blocks6(cache["X"], size, Ho, Wo)
    out = cache["out"]
    dX = _empty_like_input(cache["X_shape"], size, Ho, Wo, cache["dtype"])
    dX6 = _blocks6(dX, size, Ho, Wo)
    offsets = [(i, j) for i in range(size[0]) for j in range(size[1])]
    seen = hit = None
    for k, (i, j) in enumerate(offsets):
        if k == 0:
            hit = seen = X6[:, :, :, i, :, j] == out
        elif k == len(offsets) - 1:
            # The last element is the maximum wherever no earlier one was.
            hit = np.logical_not(seen, out=hit)
        else:
            hit = np.equal(X6[:, :, :, i, :, j], out, out=None if k == 1 else hit)
            np.greater(hit, seen, out=hit)  # "hit and not seen"
            seen = np.logical_or(seen, hit, out=None if k == 1 else seen)
        # Multiplying by the 0/1 mask is several times faster than np.where.
        np.multiply(dout, hit, out=dX6[:, :, :, i, :, j])
    return dX


def avgpool2d_forward(X, size=2, stride=None):
    """Forward pass of average pooling.

    Parameters
    ----------
    X : ndarray of shape (N, C, H, W)
        Input feature maps.
    size : int or (int, int), default 2
        Window (kH, kW).
    stride : int or (int, int), optional
        Step between windows; defaults to ``size``.

    Returns
    -------
    out : ndarray of shape (N, C, H', W')
        Mean of each window; same dtype as ``X``.
    cache : dict
        Shapes for :func:`avgpool2d_backward` (the mean needs no saved input).
    """
    X = as_array("X", X, ndim=4, layout="(N, C, H, W)")
    (kH, kW), stride, Ho, Wo = _geometry(X.shape, size, stride)
    N, C, _, _ = X.shape
    if stride == (kH, kW):
        out = _reduce_windows(X, (kH, kW), Ho, Wo, np.add)
        out /= kH * kW
    else:
        out = np.zeros((N, C, Ho, Wo), dtype=X.dtype)
        for m in range(kH * kW):
            out += X[_window_slice(*divmod(m, kW), stride, Ho, Wo)]
        out /= kH * kW
    cache = {
        "X_shape": X.shape,
        "out_shape": out.shape,
        "dtype": X.dtype,
        "size": (kH, kW),
        "stride": stride,
    }
    return out, cache


def avgpool2d_backward(dout, cache):
    """Backward pass of average pooling: each window's gradient is shared equally.

    Parameters
    ----------
    dout : ndarray of shape (N, C, H', W')
        Upstream gradient.
    cache : dict
        From :func:`avgpool2d_forward`.

    Returns
    -------
    dX : ndarray of shape (N, C, H, W)
        Every element of a window gets ``dout / (kH*kW)`` (so the window's total
        gradient is preserved); overlapping windows add up.
    """
    dout = _check_dout(dout, cache)
    (kH, kW), stride = cache["size"], cache["stride"]
    N, C, Ho, Wo = cache["out_shape"]
    share = dout / (kH * kW)
    if stride == (kH, kW):
        dX = _empty_like_input(cache["X_shape"], (kH, kW), Ho, Wo, cache["dtype"])
        # One row of shares, each repeated kW times, copied to the kH rows of the window.
        row = np.repeat(share, kW, axis=3) if kW > 1 else share
        dX6 = dX[:, :, : Ho * kH, : Wo * kW].reshape(N, C, Ho, kH, Wo * kW)  # a view
        for i in range(kH):
            dX6[:, :, :, i] = row
        return dX
    dX = np.zeros(cache["X_shape"], dtype=cache["dtype"])
    for m in range(kH * kW):
        dX[_window_slice(*divmod(m, kW), stride, Ho, Wo)] += share
    return dX
