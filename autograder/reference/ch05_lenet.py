"""Reference answers for chapter 5, LeNet-5.

Counting (the original LeNet-5 of LeCun et al. 1998 and the variant of Andrew Ng's
course), a network composed from ``cnnkit`` layers, the softmax cross-entropy loss,
SGD with momentum, one training step and the accuracy. ``tests/test_reference_ch05.py``
checks them against the published figures, plain loops, finite differences and PyTorch.

Momentum convention (the one the chapter teaches)::

    v <- momentum * v - lr * g
    p <- p + v

PyTorch's ``torch.optim.SGD`` keeps ``u <- momentum * u + g`` and steps ``p <- p - lr * u``;
with a constant learning rate the two give the same parameters, with ``v = -lr * u``.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from cnnkit.modules import Conv2d, Flatten, Linear, MaxPool2d, ReLU

# LeCun et al. 1998, Table I: which S2 maps (rows 0..5) each C3 map (columns 0..15) sees.
# Columns 0-5 see 3 neighbouring maps, 6-11 four neighbouring maps, 12-14 four maps in two
# pairs, and 15 all six: 6*3 + 6*4 + 3*4 + 6 = 60 kernel slices.
C3_TABLE = np.array(
    [
        # 0  1  2  3  4  5  6  7  8  9 10 11 12 13 14 15
        [1, 0, 0, 0, 1, 1, 1, 0, 0, 1, 1, 1, 1, 0, 1, 1],  # S2 map 0
        [1, 1, 0, 0, 0, 1, 1, 1, 0, 0, 1, 1, 1, 1, 0, 1],  # S2 map 1
        [1, 1, 1, 0, 0, 0, 1, 1, 1, 0, 0, 1, 0, 1, 1, 1],  # S2 map 2
        [0, 1, 1, 1, 0, 0, 1, 1, 1, 1, 0, 0, 1, 0, 1, 1],  # S2 map 3
        [0, 0, 1, 1, 1, 0, 0, 1, 1, 1, 1, 0, 1, 1, 0, 1],  # S2 map 4
        [0, 0, 0, 1, 1, 1, 0, 0, 1, 1, 1, 1, 0, 1, 1, 1],  # S2 map 5
    ],
    dtype=bool,
)

LAYER_NAMES = ("C1", "S2", "C3", "S4", "C5", "F6", "OUTPUT")

# The figures printed in the paper (output shape, trainable parameters, connections).
LENET5_PUBLISHED = {
    "C1": ((6, 28, 28), 156, 122_304),
    "S2": ((6, 14, 14), 12, 5_880),
    "C3": ((16, 10, 10), 1_516, 151_600),
    "S4": ((16, 5, 5), 32, 2_000),
    "C5": ((120, 1, 1), 48_120, 48_120),
    "F6": ((84,), 10_164, 10_164),
    "OUTPUT": ((10,), 0, 840),
}

# Andrew Ng's LeNet-5 variant on a 32x32x3 image, as layer specs for ``layer_table``.
NG_LAYERS = [
    ("conv", 8, 5),
    ("pool", 2),
    ("conv", 16, 5),
    ("pool", 2),
    ("fc", 120),
    ("fc", 84),
    ("fc", 10),
]
NG_INPUT = (3, 32, 32)
NG_PUBLISHED = [
    ((8, 28, 28), 6_272, 608),
    ((8, 14, 14), 1_568, 0),
    ((16, 10, 10), 1_600, 3_216),
    ((16, 5, 5), 400, 0),
    ((120,), 120, 48_120),
    ((84,), 84, 10_164),
    ((10,), 10, 850),
]


# --------------------------------------------------------------------------- counting


def _positive_int(name, value):
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    if value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def _as_table(table):
    t = np.asarray(table)
    if t.ndim != 2 or t.size == 0:
        raise ValueError(f"table must be a 2-D array of shape (C_in, C_out), got shape {t.shape}")
    if t.dtype == object or not np.all((t == 0) | (t == 1)):
        raise ValueError("table must hold only True/False (or 1/0)")
    return t.astype(bool)


def conv_counts(table, k, H_out, W_out):
    """Trainable parameters and connections of a convolution layer with a connection table.

    Parameters
    ----------
    table : array_like of bool, shape (C_in, C_out)
        ``table[i, j]`` is True when output map ``j`` sees input map ``i``.
    k : int
        Kernel size (k x k).
    H_out, W_out : int
        Size of each output map.

    Returns
    -------
    (parameters, connections) : tuple of two ints
        parameters = (number of True entries) * k*k + C_out (one bias per output map);
        connections = parameters * H_out * W_out (every output unit uses its map's weights
        and bias once).
    """
    t = _as_table(table)
    k = _positive_int("k", k)
    H_out = _positive_int("H_out", H_out)
    W_out = _positive_int("W_out", W_out)
    params = int(t.sum()) * k * k + t.shape[1]
    return params, params * H_out * W_out


def subsampling_counts(C, H, W, f=2):
    """LeNet-5 subsampling (sum of f x f, times a coefficient, plus a bias) per map."""
    Ho, Wo = H // f, W // f
    return 2 * C, C * Ho * Wo * (f * f + 1)


def lenet5_counts(c3_table=C3_TABLE):
    """Output shape, trainable parameters and connections of every layer of LeNet-5.

    Parameters
    ----------
    c3_table : array_like of bool, shape (6, 16)
        Which S2 maps each C3 map sees (default: Table I of the paper).

    Returns
    -------
    dict
        ``{"C1": (out_shape, parameters, connections), "S2": ..., ..., "OUTPUT": ...}``;
        conv and subsampling shapes are (C, H, W), C5 is (120, 1, 1), F6 and OUTPUT are
        (84,) and (10,). OUTPUT holds 10 RBF units with fixed (hand-chosen) parameters:
        0 trainable parameters, 84 * 10 connections.
    """
    t = _as_table(c3_table)
    if t.shape != (6, 16):
        raise ValueError(f"c3_table must have shape (6, 16), got {t.shape}")
    return {
        "C1": ((6, 28, 28), *conv_counts(np.ones((1, 6), bool), 5, 28, 28)),
        "S2": ((6, 14, 14), *subsampling_counts(6, 28, 28)),
        "C3": ((16, 10, 10), *conv_counts(t, 5, 10, 10)),
        "S4": ((16, 5, 5), *subsampling_counts(16, 10, 10)),
        "C5": ((120, 1, 1), *conv_counts(np.ones((16, 120), bool), 5, 1, 1)),
        "F6": ((84,), *conv_counts(np.ones((120, 84), bool), 1, 1, 1)),
        "OUTPUT": ((10,), 0, 84 * 10),
    }


def layer_table(layers, input_shape):
    """Output shape, activation size and parameters of each layer of a simple CNN.

    Parameters
    ----------
    layers : list of tuple
        ``("conv", C_out, k)`` or ``("conv", C_out, k, stride, pad)``: k x k filters with
        bias; ``("pool", f)`` or ``("pool", f, stride)``: pooling, stride defaults to f, no
        parameters; ``("fc", M)``: fully connected with bias, on the flattened input.
    input_shape : tuple of int
        (C, H, W) of one image.

    Returns
    -------
    list of (out_shape, activation_size, parameters), one per layer
        ``out_shape`` is (C, H, W) after conv/pool and (M,) after fc.
    """
    shape = tuple(int(s) for s in input_shape)
    if len(shape) != 3 or min(shape) < 1:
        raise ValueError(f"input_shape must be (C, H, W) of positive ints, got {input_shape!r}")
    rows = []
    for spec in layers:
        if not isinstance(spec, (tuple, list)) or not spec:
            raise ValueError(f"each layer must be a tuple such as ('conv', 8, 5), got {spec!r}")
        kind, args = spec[0], tuple(spec[1:])
        if kind == "fc":
            if len(args) != 1:
                raise ValueError(f"an fc layer is ('fc', M), got {spec!r}")
            M = _positive_int("M", args[0])
            D = math.prod(shape)
            shape, params = (M,), D * M + M
        elif kind in ("conv", "pool"):
            if len(shape) != 3:
                raise ValueError(f"{kind} needs a (C, H, W) input, got shape {shape} after fc")
            C, H, W = shape
            if kind == "conv":
                if len(args) not in (2, 4):
                    raise ValueError(
                        f"a conv layer is ('conv', C_out, k[, stride, pad]), got {spec!r}"
                    )
                C_out = _positive_int("C_out", args[0])
                k = _positive_int("k", args[1])
                s = _positive_int("stride", args[2]) if len(args) == 4 else 1
                p = int(args[3]) if len(args) == 4 else 0
                if p < 0:
                    raise ValueError(f"pad must be >= 0, got {p}")
                if k > min(H, W) + 2 * p:
                    raise ValueError(f"a {k}x{k} kernel does not fit a padded {H}x{W} input")
                shape = (C_out, (H + 2 * p - k) // s + 1, (W + 2 * p - k) // s + 1)
                params = (C * k * k + 1) * C_out
            else:
                if len(args) not in (1, 2):
                    raise ValueError(f"a pool layer is ('pool', f[, stride]), got {spec!r}")
                f = _positive_int("f", args[0])
                s = _positive_int("stride", args[1]) if len(args) == 2 else f
                if f > min(H, W):
                    raise ValueError(f"a {f}x{f} window does not fit a {H}x{W} input")
                shape, params = (C, (H - f) // s + 1, (W - f) // s + 1), 0
        else:
            raise ValueError(f"unknown layer kind {kind!r}; use 'conv', 'pool' or 'fc'")
        rows.append((shape, math.prod(shape), params))
    return rows


# --------------------------------------------------------------------------- network


def build_lenet(rng=None, dtype=np.float32):
    """The modern LeNet-5 (ReLU, max pooling, full C3) as a list of cnnkit layers.

    Input (N, 1, 32, 32), output scores (N, 10); 61,706 parameters.
    """
    rng = np.random.default_rng(rng)
    return [
        Conv2d(1, 6, 5, rng=rng, dtype=dtype),
        ReLU(),
        MaxPool2d(2),
        Conv2d(6, 16, 5, rng=rng, dtype=dtype),
        ReLU(),
        MaxPool2d(2),
        Flatten(),
        Linear(16 * 5 * 5, 120, rng=rng, dtype=dtype),
        ReLU(),
        Linear(120, 84, rng=rng, dtype=dtype),
        ReLU(),
        Linear(84, 10, rng=rng, dtype=dtype),
    ]


def forward(layers, X):
    """Apply the layers in order; return the last output (the class scores)."""
    out = X
    for layer in layers:
        out = layer.forward(out)
    return out


def backward(layers, dout):
    """Backpropagate ``dout`` through the layers in reverse order; return dX."""
    for layer in reversed(list(layers)):
        dout = layer.backward(dout)
    return dout


def softmax_cross_entropy(scores, y):
    """Mean softmax cross-entropy over the batch and its gradient, numerically stable.

    Parameters
    ----------
    scores : ndarray of shape (N, K)
    y : ndarray of int, shape (N,), values in 0..K-1

    Returns
    -------
    loss : float
    dscores : ndarray of shape (N, K), (softmax(scores) - onehot(y)) / N
    """
    scores = np.asarray(scores)
    if scores.ndim != 2:
        raise ValueError(f"scores must have shape (N, K), got {scores.shape}")
    N, K = scores.shape
    y = np.asarray(y)
    if y.shape != (N,) or not np.issubdtype(y.dtype, np.integer):
        raise ValueError(f"y must be {N} integer labels, got shape {y.shape} dtype {y.dtype}")
    if N == 0 or y.min() < 0 or y.max() >= K:
        raise ValueError(f"y must hold labels in 0..{K - 1}")
    shifted = scores - scores.max(axis=1, keepdims=True)
    logp = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    loss = -float(np.mean(logp[np.arange(N), y]))
    dscores = np.exp(logp)
    dscores[np.arange(N), y] -= 1
    return loss, dscores / N


def sgd_momentum(p, g, v, lr, momentum):
    """One step of SGD with momentum: v <- momentum*v - lr*g, p <- p + v.

    Returns
    -------
    (p_new, v_new) : two arrays of p's shape
    """
    if not (isinstance(lr, numbers.Real) and lr > 0):
        raise ValueError(f"lr must be a positive number, got {lr!r}")
    if not (isinstance(momentum, numbers.Real) and 0 <= momentum < 1):
        raise ValueError(f"momentum must be in [0, 1), got {momentum!r}")
    p, g, v = np.asarray(p), np.asarray(g), np.asarray(v)
    if not p.shape == g.shape == v.shape:
        raise ValueError(
            f"p, g and v must have the same shape, got {p.shape}, {g.shape}, {v.shape}"
        )
    v_new = momentum * v - lr * g
    return p + v_new, v_new


def init_velocities(layers):
    """One dict per layer with a zero velocity for each of its parameters."""
    return [{name: np.zeros_like(p) for name, p in layer.params.items()} for layer in layers]


def train_step(layers, velocities, X, y, lr, momentum):
    """Forward, loss, backward and a momentum update of every parameter, in place.

    Returns the loss of the batch (computed before the update).
    """
    scores = forward(layers, X)
    loss, dscores = softmax_cross_entropy(scores, y)
    backward(layers, dscores)
    for layer, vel in zip(layers, velocities, strict=True):
        for name in layer.params:
            p_new, vel[name] = sgd_momentum(
                layer.params[name], layer.grads[name], vel[name], lr, momentum
            )
            layer.params[name][...] = p_new
    return loss


def accuracy(scores, y):
    """Fraction of rows whose largest score is at the true label."""
    scores = np.asarray(scores)
    y = np.asarray(y)
    if scores.ndim != 2 or y.shape != (scores.shape[0],):
        raise ValueError(f"scores (N, K) and y (N,) do not match: {scores.shape}, {y.shape}")
    return float(np.mean(np.argmax(scores, axis=1) == y))
