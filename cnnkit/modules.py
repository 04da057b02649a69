"""Thin layer classes over the cnnkit functions, plus an SGD optimizer.

Every layer has ``forward(X)`` (also callable as ``layer(X)``), ``backward(dout)``
returning the gradient with respect to its input, and two dicts with the same
keys: ``params`` (the arrays the optimizer updates in place) and ``grads``
(filled by ``backward``; each call replaces the previous gradients, nothing
accumulates). All the math lives in the functions; a layer only keeps its
parameters and the cache between ``forward`` and ``backward``.

Example
-------
>>> rng = np.random.default_rng(0)
>>> model = Sequential(Conv2d(1, 6, 5, rng=rng), ReLU(), MaxPool2d(2), Flatten(),
...                    Linear(6 * 14 * 14, 10, rng=rng))
>>> opt = SGD(model, lr=0.05, momentum=0.9)
>>> # per mini-batch:
>>> # loss, dscores = softmax_cross_entropy(model(X), y); model.backward(dscores); opt.step()
"""

from __future__ import annotations

import math

import numpy as np

from cnnkit._validate import as_array, check_int, check_pair
from cnnkit.activations import relu_backward, relu_forward
from cnnkit.conv import conv2d_backward, conv2d_forward
from cnnkit.linear import linear_backward, linear_forward
from cnnkit.pool import (
    avgpool2d_backward,
    avgpool2d_forward,
    maxpool2d_backward,
    maxpool2d_forward,
)

__all__ = [
    "Module",
    "Conv2d",
    "MaxPool2d",
    "AvgPool2d",
    "ReLU",
    "Flatten",
    "Linear",
    "Sequential",
    "SGD",
]


def _float_dtype(dtype):
    dt = np.dtype(dtype)
    if not np.issubdtype(dt, np.floating):
        raise ValueError(f"dtype must be a floating dtype such as np.float32, got {dt}")
    return dt


def _he_normal(rng, shape, fan_in, dtype):
    """Kaiming/He initialization for ReLU networks: N(0, 2 / fan_in).

    The factor 2 compensates for ReLU zeroing half of its inputs, so the variance
    of the activations stays roughly constant from layer to layer.
    """
    rng = np.random.default_rng(rng)
    return (rng.standard_normal(shape) * math.sqrt(2.0 / fan_in)).astype(dtype)


class Module:
    """Base class: a layer without parameters."""

    def __init__(self):
        self.params = {}
        self.grads = {}
        self._cache = None

    def __call__(self, X):
        return self.forward(X)

    def forward(self, X):
        raise NotImplementedError

    def backward(self, dout):
        raise NotImplementedError

    def _take_cache(self):
        if self._cache is None:
            raise RuntimeError(f"{type(self).__name__}.backward called before forward")
        return self._cache

    def __repr__(self):
        return f"{type(self).__name__}()"


class Conv2d(Module):
    """2-D convolution layer (cross-correlation) over :func:`cnnkit.conv.conv2d_forward`.

    Parameters
    ----------
    C_in, C_out : int
        Input and output channels.
    kernel_size : int or (int, int)
        (kH, kW).
    stride, pad : int or (int, int)
        As in :func:`cnnkit.conv.conv2d_forward`.
    rng : numpy.random.Generator or int, optional
        Source of the initial weights. Pass one Generator shared by all layers for
        a reproducible network (an int seeds a fresh generator, so two layers
        given the same int start from the same random numbers).
    dtype : floating dtype, default float32
    need_dX : bool, default True
        False: ``backward`` computes only the parameters' gradients and returns None,
        for a first layer, whose input is the data (saves about a fifth of a LeNet
        training step). Can also be set later: ``layer.need_dX = False``.

    Attributes
    ----------
    params : dict
        ``"W"`` of shape (C_out, C_in, kH, kW), He-normal; ``"b"`` of shape (C_out,), zeros.
    """

    def __init__(
        self, C_in, C_out, kernel_size, stride=1, pad=0, *, rng=None, dtype=np.float32, need_dX=True
    ):
        super().__init__()
        self.need_dX = bool(need_dX)
        C_in = check_int("C_in", C_in, minimum=1)
        C_out = check_int("C_out", C_out, minimum=1)
        kH, kW = check_pair("kernel_size", kernel_size, minimum=1)
        self.stride = check_pair("stride", stride, minimum=1)
        self.pad = check_pair("pad", pad, minimum=0)
        dtype = _float_dtype(dtype)
        self.params = {
            "W": _he_normal(rng, (C_out, C_in, kH, kW), C_in * kH * kW, dtype),
            "b": np.zeros(C_out, dtype=dtype),
        }

    def forward(self, X):
        out, self._cache = conv2d_forward(
            X, self.params["W"], self.params["b"], self.stride, self.pad
        )
        return out

    def backward(self, dout):
        dX, dW, db = conv2d_backward(dout, self._take_cache(), need_dX=self.need_dX)
        self.grads = {"W": dW, "b": db}
        return dX

    def __repr__(self):
        C_out, C_in, kH, kW = self.params["W"].shape
        extra = "" if self.need_dX else ", need_dX=False"
        return f"Conv2d({C_in}, {C_out}, ({kH}, {kW}), stride={self.stride}, pad={self.pad}{extra})"


class Linear(Module):
    """Fully connected layer over :func:`cnnkit.linear.linear_forward`.

    Parameters
    ----------
    D, M : int
        Input features (after flattening) and output features.
    rng : numpy.random.Generator or int, optional
        As for :class:`Conv2d`.
    dtype : floating dtype, default float32

    Attributes
    ----------
    params : dict
        ``"W"`` of shape (D, M), He-normal; ``"b"`` of shape (M,), zeros.
    """

    def __init__(self, D, M, *, rng=None, dtype=np.float32):
        super().__init__()
        D = check_int("D", D, minimum=1)
        M = check_int("M", M, minimum=1)
        dtype = _float_dtype(dtype)
        self.params = {"W": _he_normal(rng, (D, M), D, dtype), "b": np.zeros(M, dtype=dtype)}

    def forward(self, X):
        out, self._cache = linear_forward(X, self.params["W"], self.params["b"])
        return out

    def backward(self, dout):
        dX, dW, db = linear_backward(dout, self._take_cache())
        self.grads = {"W": dW, "b": db}
        return dX

    def __repr__(self):
        return "Linear({}, {})".format(*self.params["W"].shape)


class MaxPool2d(Module):
    """Max pooling over :func:`cnnkit.pool.maxpool2d_forward`; no parameters."""

    def __init__(self, size=2, stride=None):
        super().__init__()
        self.size = check_pair("size", size, minimum=1)
        self.stride = None if stride is None else check_pair("stride", stride, minimum=1)

    def forward(self, X):
        out, self._cache = maxpool2d_forward(X, self.size, self.stride)
        return out

    def backward(self, dout):
        return maxpool2d_backward(dout, self._take_cache())

    def __repr__(self):
        return f"MaxPool2d(size={self.size}, stride={self.stride or self.size})"


class AvgPool2d(Module):
    """Average pooling over :func:`cnnkit.pool.avgpool2d_forward`; no parameters."""

    def __init__(self, size=2, stride=None):
        super().__init__()
        self.size = check_pair("size", size, minimum=1)
        self.stride = None if stride is None else check_pair("stride", stride, minimum=1)

    def forward(self, X):
        out, self._cache = avgpool2d_forward(X, self.size, self.stride)
        return out

    def backward(self, dout):
        return avgpool2d_backward(dout, self._take_cache())

    def __repr__(self):
        return f"AvgPool2d(size={self.size}, stride={self.stride or self.size})"


class ReLU(Module):
    """ReLU over :func:`cnnkit.activations.relu_forward`; no parameters."""

    def forward(self, X):
        out, self._cache = relu_forward(X)
        return out

    def backward(self, dout):
        return relu_backward(dout, self._take_cache())


class Flatten(Module):
    """Reshape (N, d1, d2, ...) to (N, d1*d2*...), e.g. between conv and fully connected layers."""

    def forward(self, X):
        X = as_array("X", X)
        if X.ndim < 1:
            raise ValueError(f"X must have a batch axis, got shape {X.shape}")
        self._cache = X.shape
        return X.reshape(X.shape[0], -1)

    def backward(self, dout):
        X_shape = self._take_cache()
        dout = np.asarray(dout)
        if dout.size != math.prod(X_shape) or dout.shape[:1] != X_shape[:1]:
            raise ValueError(
                f"dout must have shape (N, D) with N*D = {math.prod(X_shape)} "
                f"(input shape {X_shape}), got {dout.shape}"
            )
        return dout.reshape(X_shape)


class Sequential(Module):
    """Layers applied in order; backward runs them in reverse.

    ``params`` and ``grads`` gather the layers' dicts under keys ``"<index>.<name>"``
    (e.g. ``"0.W"``); the values are the layers' own arrays, not copies, so an
    optimizer updating ``params`` in place updates the layers.
    """

    def __init__(self, *layers):  # no super().__init__(): params/grads are properties here
        for i, layer in enumerate(layers):
            if not (hasattr(layer, "forward") and hasattr(layer, "backward")):
                raise ValueError(
                    f"layers must have forward and backward methods; "
                    f"layer {i} is a {type(layer).__name__}"
                )
        self.layers = list(layers)

    def forward(self, X):
        for layer in self.layers:
            X = layer.forward(X)
        return X

    def backward(self, dout):
        for layer in reversed(self.layers):
            dout = layer.backward(dout)
        return dout

    @property
    def params(self):
        return {f"{i}.{k}": v for i, lay in enumerate(self.layers) for k, v in lay.params.items()}

    @property
    def grads(self):
        return {f"{i}.{k}": v for i, lay in enumerate(self.layers) for k, v in lay.grads.items()}

    def __getitem__(self, i):
        return self.layers[i]

    def __len__(self):
        return len(self.layers)

    def __repr__(self):
        inner = "".join(f"\n  ({i}) {layer!r}" for i, layer in enumerate(self.layers))
        return f"Sequential({inner}\n)"


class SGD:
    """Mini-batch stochastic gradient descent with momentum and weight decay.

    For each parameter ``p`` with gradient ``g`` (same update rule as
    ``torch.optim.SGD`` with ``dampening=0``)::

        g = g + weight_decay * p        # L2 penalty (weight_decay/2)*||p||^2
        v = momentum * v + g            # v starts as the first g
        p -= lr * v

    Parameters
    ----------
    model : Module or list of Module
        Anything with ``params`` and ``grads`` dicts (a :class:`Sequential`).
    lr : float
        Learning rate, > 0.
    momentum : float, default 0
        In [0, 1).
    weight_decay : float, default 0
        >= 0; applied to every parameter, biases included, as PyTorch does.
    """

    def __init__(self, model, lr, momentum=0.0, weight_decay=0.0):
        if isinstance(model, (list, tuple)):
            model = Sequential(*model)
        if not (hasattr(model, "params") and hasattr(model, "grads")):
            raise ValueError(f"model must have params and grads dicts, got {type(model).__name__}")
        if not lr > 0:
            raise ValueError(f"lr must be a positive number, got {lr!r}")
        if not 0 <= momentum < 1:
            raise ValueError(f"momentum must be in [0, 1), got {momentum!r}")
        if not weight_decay >= 0:
            raise ValueError(f"weight_decay must be >= 0, got {weight_decay!r}")
        self.model = model
        self.lr, self.momentum, self.weight_decay = float(lr), float(momentum), float(weight_decay)
        self.velocity = {}

    def step(self):
        """Update every parameter in place from the gradients of the last backward pass."""
        grads = self.model.grads
        for name, p in self.model.params.items():
            if name not in grads:
                raise RuntimeError(f"no gradient for parameter {name!r}: call backward before step")
            g = grads[name]
            if self.weight_decay:
                g = g + self.weight_decay * p
            if self.momentum:
                v = self.velocity.get(name)
                if v is None:
                    v = self.velocity[name] = np.array(g, dtype=p.dtype)
                else:
                    v *= self.momentum
                    v += g
                g = v
            p -= self.lr * g
