"""Plain-loop reference implementations ("oracles") for testing the fast cnnkit layers.

Written for obviousness, not speed: one Python loop per index, straight from the
definitions, in float64. Keep them free of cleverness: their only job is to be
clearly right on small inputs.
"""

from __future__ import annotations

import numpy as np


def _pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


def _pad(X, pad):
    pH, pW = _pair(pad)
    return np.pad(np.asarray(X, dtype=np.float64), ((0, 0), (0, 0), (pH, pH), (pW, pW)))


def conv2d_forward_loop(X, W, b, stride=1, pad=0):
    """Cross-correlation, from the definition:
    out[n, co, y, x] = b[co] + sum_{c,i,j} W[co, c, i, j] * Xp[n, c, y*sH + i, x*sW + j]."""
    sH, sW = _pair(stride)
    Xp = _pad(X, pad)
    N, C, Hp, Wp = Xp.shape
    C_out, _, kH, kW = W.shape
    Ho = (Hp - kH) // sH + 1
    Wo = (Wp - kW) // sW + 1
    out = np.zeros((N, C_out, Ho, Wo))
    for n in range(N):
        for co in range(C_out):
            for y in range(Ho):
                for x in range(Wo):
                    total = float(b[co])
                    for c in range(C):
                        for i in range(kH):
                            for j in range(kW):
                                total += float(W[co, c, i, j]) * Xp[n, c, y * sH + i, x * sW + j]
                    out[n, co, y, x] = total
    return out


def conv2d_backward_loop(dout, X, W, stride=1, pad=0):
    """Each output pixel sent dout[n, co, y, x] back along every product that formed it."""
    sH, sW = _pair(stride)
    pH, pW = _pair(pad)
    Xp = _pad(X, pad)
    N, C, Hp, Wp = Xp.shape
    C_out, _, kH, kW = W.shape
    _, _, Ho, Wo = dout.shape
    dXp = np.zeros(Xp.shape)
    dW = np.zeros(W.shape)
    db = np.zeros(C_out)
    for n in range(N):
        for co in range(C_out):
            for y in range(Ho):
                for x in range(Wo):
                    g = float(dout[n, co, y, x])
                    db[co] += g
                    for c in range(C):
                        for i in range(kH):
                            for j in range(kW):
                                dW[co, c, i, j] += g * Xp[n, c, y * sH + i, x * sW + j]
                                dXp[n, c, y * sH + i, x * sW + j] += g * float(W[co, c, i, j])
    dX = dXp[:, :, pH : Hp - pH, pW : Wp - pW]
    return dX, dW, db


def im2col_loop(X, kH, kW, stride=1, pad=0):
    """The documented layout, entry by entry:
    cols[c*kH*kW + i*kW + j, n*H'*W' + y*W' + x] = Xp[n, c, y*sH + i, x*sW + j]."""
    sH, sW = _pair(stride)
    Xp = _pad(X, pad)
    N, C, Hp, Wp = Xp.shape
    Ho = (Hp - kH) // sH + 1
    Wo = (Wp - kW) // sW + 1
    cols = np.zeros((C * kH * kW, N * Ho * Wo))
    for n in range(N):
        for c in range(C):
            for y in range(Ho):
                for x in range(Wo):
                    for i in range(kH):
                        for j in range(kW):
                            row = c * kH * kW + i * kW + j
                            col = n * Ho * Wo + y * Wo + x
                            cols[row, col] = Xp[n, c, y * sH + i, x * sW + j]
    return cols


def _pool_geometry(X, size, stride):
    kH, kW = _pair(size)
    sH, sW = (kH, kW) if stride is None else _pair(stride)
    N, C, H, W = X.shape
    return N, C, kH, kW, sH, sW, (H - kH) // sH + 1, (W - kW) // sW + 1


def maxpool2d_loop(X, size=2, stride=None):
    """Returns (out, argmax): out[n, c, y, x] is the window maximum and argmax[n, c, y, x]
    the (row, col) in X of its FIRST occurrence, scanning the window row by row."""
    N, C, kH, kW, sH, sW, Ho, Wo = _pool_geometry(X, size, stride)
    out = np.zeros((N, C, Ho, Wo))
    argmax = np.zeros((N, C, Ho, Wo, 2), dtype=int)
    for n in range(N):
        for c in range(C):
            for y in range(Ho):
                for x in range(Wo):
                    best, where = None, None
                    for i in range(kH):
                        for j in range(kW):
                            v = float(X[n, c, y * sH + i, x * sW + j])
                            if best is None or v > best:  # strictly greater: first max wins
                                best, where = v, (y * sH + i, x * sW + j)
                    out[n, c, y, x] = best
                    argmax[n, c, y, x] = where
    return out, argmax


def maxpool2d_backward_loop(dout, X, size=2, stride=None):
    _, argmax = maxpool2d_loop(X, size, stride)
    N, C, Ho, Wo = dout.shape
    dX = np.zeros(X.shape)
    for n in range(N):
        for c in range(C):
            for y in range(Ho):
                for x in range(Wo):
                    r, s = argmax[n, c, y, x]
                    dX[n, c, r, s] += float(dout[n, c, y, x])
    return dX


def avgpool2d_loop(X, size=2, stride=None):
    N, C, kH, kW, sH, sW, Ho, Wo = _pool_geometry(X, size, stride)
    out = np.zeros((N, C, Ho, Wo))
    for n in range(N):
        for c in range(C):
            for y in range(Ho):
                for x in range(Wo):
                    total = 0.0
                    for i in range(kH):
                        for j in range(kW):
                            total += float(X[n, c, y * sH + i, x * sW + j])
                    out[n, c, y, x] = total / (kH * kW)
    return out


def avgpool2d_backward_loop(dout, X, size=2, stride=None):
    N, C, kH, kW, sH, sW, Ho, Wo = _pool_geometry(X, size, stride)
    dX = np.zeros(X.shape)
    for n in range(N):
        for c in range(C):
            for y in range(Ho):
                for x in range(Wo):
                    for i in range(kH):
                        for j in range(kW):
                            dX[n, c, y * sH + i, x * sW + j] += float(dout[n, c, y, x]) / (kH * kW)
    return dX


def numeric_grad(f, x, h=1e-6):
    """Centered differences (f(x + h e_k) - f(x - h e_k)) / 2h for every entry k of x.

    ``f`` takes no arguments and returns a float; ``x`` is a float64 array that ``f``
    reads, perturbed in place and restored.
    """
    assert x.dtype == np.float64, "finite differences need float64"
    grad = np.zeros_like(x)
    for k in np.ndindex(x.shape):
        old = x[k]
        x[k] = old + h
        f_plus = f()
        x[k] = old - h
        f_minus = f()
        x[k] = old
        grad[k] = (f_plus - f_minus) / (2 * h)
    return grad


def rel_error(a, b):
    """||a - b|| / (||a|| + ||b||): scale-free, and not fooled by entries near 0."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    denom = np.linalg.norm(a) + np.linalg.norm(b)
    return float(np.linalg.norm(a - b) / denom) if denom else 0.0
