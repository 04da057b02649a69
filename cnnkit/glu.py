"""Gated linear unit (GLU) and the gated causal convolution layer built on it.

``glu(X) = A * sigmoid(B)``, where ``A`` and ``B`` are the two halves of ``X`` along an
axis (channels): the first half is the linear branch, the second the gate, as in
``torch.nn.functional.glu``. Backward: ``dA = dout * sigmoid(B)`` and
``dB = dout * A * sigmoid(B) * (1 - sigmoid(B))``.

:class:`GatedConv1d` is a causal :class:`cnnkit.conv1d.Conv1d` with ``2 C_out`` filters
(``W`` and ``V`` stacked, never shared) followed by a GLU, optionally with a residual
connection ``X + ...``. With ``unit="relu"`` or ``"linear"`` it is the same layer
without the gate (``C_out`` filters, then ReLU or nothing), for comparisons.
"""

from __future__ import annotations

import numpy as np

from cnnkit._validate import as_array, check_choice, check_int
from cnnkit.activations import sigmoid_forward
from cnnkit.conv1d import Conv1d
from cnnkit.modules import Module

__all__ = ["glu_forward", "glu_backward", "GLU", "GatedConv1d"]


def glu_forward(X, axis=1):
    """Gated linear unit: the first half of ``X`` along ``axis`` times the sigmoid of the second.

    Parameters
    ----------
    X : ndarray with an even length ``2M`` along ``axis``
    axis : int, default 1
        The channel axis of (N, 2M, L) or (N, 2M).

    Returns
    -------
    out : ndarray, ``X``'s shape with ``M`` along ``axis``
    cache : tuple
        For :func:`glu_backward`.
    """
    X = as_array("X", X)
    if X.ndim == 0:
        raise ValueError("X must have at least one axis to split")
    axis = check_int("axis", axis)
    if not -X.ndim <= axis < X.ndim:
        raise ValueError(f"axis must be in [-{X.ndim}, {X.ndim}) for X of shape {X.shape}")
    axis %= X.ndim
    if X.shape[axis] % 2:
        raise ValueError(
            f"X must have an even length along axis {axis} (two halves), got shape {X.shape}"
        )
    linear, gate_in = np.split(X, 2, axis=axis)
    gate, _ = sigmoid_forward(gate_in)
    return linear * gate, (linear, gate, axis)


def glu_backward(dout, cache):
    """Gradient of :func:`glu_forward`.

    Parameters
    ----------
    dout : ndarray of the shape of ``out``
    cache : tuple
        From :func:`glu_forward`.

    Returns
    -------
    dX : ndarray of the shape of ``X``
    """
    linear, gate, axis = cache
    dout = as_array("dout", dout)
    if dout.shape != linear.shape:
        raise ValueError(f"dout must have the shape of out {linear.shape}, got {dout.shape}")
    dlinear = dout * gate  # the linear branch: derivative exactly the gate, no squashing
    dgate_in = dout * linear * gate * (1 - gate)
    return np.concatenate([dlinear, dgate_in], axis=axis)


class GLU(Module):
    """GLU over :func:`glu_forward`, splitting the channel axis 1; no parameters."""

    def forward(self, X):
        out, self._cache = glu_forward(X, axis=1)
        return out

    def backward(self, dout):
        return glu_backward(dout, self._take_cache())


class GatedConv1d(Module):
    """Causal gated convolution ``(W * X + b) ⊙ σ(V * X + c)``, optionally ``X + ...``.

    Parameters
    ----------
    C_in, C_out : int
        Channels in and out (``C_in == C_out`` when ``residual``).
    kernel_size : int
    dilation : int, default 1
    residual : bool, default False
        Add the input to the output.
    unit : {"glu", "relu", "linear"}, default "glu"
        ``"glu"``: ``2 C_out`` filters and a GLU (``params["W"][:C_out]`` is ``W``,
        ``params["W"][C_out:]`` is ``V``). ``"relu"`` / ``"linear"``: the same layer
        without gate, ``C_out`` filters followed by ReLU / nothing.
    rng : numpy.random.Generator or int, optional
    dtype : floating dtype, default float32
    """

    def __init__(
        self,
        C_in,
        C_out,
        kernel_size,
        dilation=1,
        residual=False,
        unit="glu",
        *,
        rng=None,
        dtype=np.float32,
    ):
        super().__init__()
        self.unit = check_choice("unit", unit, ("glu", "relu", "linear"))
        self.residual = bool(residual)
        if self.residual and C_in != C_out:
            raise ValueError(
                f"a residual layer needs C_in == C_out (X + f(X)), got C_in={C_in}, C_out={C_out}"
            )
        filters = 2 * C_out if unit == "glu" else C_out
        self.conv = Conv1d(C_in, filters, kernel_size, dilation, rng=rng, dtype=dtype)
        self.params = self.conv.params

    def forward(self, X):
        z = self.conv.forward(X)
        if self.unit == "glu":
            out, cache = glu_forward(z, axis=1)
        elif self.unit == "relu":
            out, cache = np.maximum(z, 0), z > 0
        else:
            out, cache = z, None
        self._cache = (cache,)
        return X + out if self.residual else out

    def backward(self, dout):
        (cache,) = self._take_cache()
        if self.unit == "glu":
            dz = glu_backward(dout, cache)
        elif self.unit == "relu":
            dz = dout * cache
        else:
            dz = dout
        dX = self.conv.backward(dz)
        self.grads = self.conv.grads
        return dX + dout if self.residual else dX

    def __repr__(self):
        _, C_in, k = self.params["W"].shape
        return (
            f"GatedConv1d({C_in}, k={k}, dilation={self.conv.dilation}, "
            f"residual={self.residual}, unit={self.unit!r})"
        )
