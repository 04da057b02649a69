"""A network on your own layers: your functions from chapters 2-4 inside cnnkit's layer classes.

Chapter 5 builds LeNet from ``cnnkit.modules`` layers. ``use_own_layers(layers)`` swaps
in, kind by kind, the functions you wrote and checked (``./course.sh check`` put them in
``work/mine``):

============  ====================================================  ==========
layer kind    your functions                                        chapters
============  ====================================================  ==========
convolution   ``conv_forward_im2col`` and ``conv2d_backward``       2 and 4
max pooling   ``maxpool_forward`` and ``maxpool_backward``          3
ReLU          ``relu_forward`` and ``relu_backward``                4
============  ====================================================  ==========

A kind is swapped only when both of its functions are yours (a forward pass and a
backward pass must agree on their cache); the fully connected and flatten layers stay
cnnkit's. The new layers share the parameter arrays of the old ones, so an optimizer
and the initial weights carry over. Grading never uses this: each chapter is graded on
its own exercises, and in the grader there is no ``mine``.
"""

from __future__ import annotations

import time

import numpy as np

from cnnkit.mine import load
from cnnkit.modules import Conv2d, MaxPool2d, Module, ReLU

KINDS = {
    "convolution": (Conv2d, ("conv_forward_im2col", "conv2d_backward")),
    "max pooling": (MaxPool2d, ("maxpool_forward", "maxpool_backward")),
    "ReLU": (ReLU, ("relu_forward", "relu_backward")),
}


def _missing(*_args, **_kwargs):
    raise LookupError("not in your package")


def _one(pair, what):
    if pair[0] != pair[1]:
        raise ValueError(f"your functions take one {what} for both axes, this layer has {pair}")
    return pair[0]


class OwnConv2d(Module):
    """A convolution layer on your ``conv_forward_im2col`` and ``conv2d_backward``."""

    def __init__(self, layer: Conv2d, forward, backward):
        super().__init__()
        self.params, self.grads = layer.params, layer.grads
        self.stride, self.pad = _one(layer.stride, "stride"), _one(layer.pad, "pad")
        self._forward, self._backward = forward, backward

    def forward(self, X):
        W, b = self.params["W"], self.params["b"]
        self._cache = (X, W, b, self.stride, self.pad)
        return np.asarray(self._forward(X, W, b, stride=self.stride, pad=self.pad), W.dtype)

    def backward(self, dout):
        dX, dW, db = self._backward(dout, self._take_cache())
        dtype = self.params["W"].dtype
        self.grads = {"W": np.asarray(dW, dtype), "b": np.asarray(db, dtype)}
        return np.asarray(dX, dtype)


class OwnMaxPool2d(Module):
    """Max pooling on your ``maxpool_forward`` and ``maxpool_backward``."""

    def __init__(self, layer: MaxPool2d, forward, backward):
        super().__init__()
        self.size = _one(layer.size, "window size")
        self.stride = self.size if layer.stride is None else _one(layer.stride, "stride")
        self._forward, self._backward = forward, backward

    def forward(self, X):
        out, self._cache = self._forward(X, self.size, self.stride)
        return np.asarray(out, X.dtype)

    def backward(self, dout):
        return np.asarray(self._backward(dout, self._take_cache()), dout.dtype)


class OwnReLU(Module):
    """ReLU on your ``relu_forward`` and ``relu_backward``."""

    def __init__(self, layer: ReLU, forward, backward):
        super().__init__()
        self._forward, self._backward = forward, backward

    def forward(self, X):
        out, self._cache = self._forward(X)
        return np.asarray(out, X.dtype)

    def backward(self, dout):
        return np.asarray(self._backward(dout, self._take_cache()), dout.dtype)


OWN = {"convolution": OwnConv2d, "max pooling": OwnMaxPool2d, "ReLU": OwnReLU}


def use_own_layers(layers, package="mine", quiet=False):
    """``layers`` with every kind whose functions you have swapped for yours.

    Parameters
    ----------
    layers : list of cnnkit.modules layers
        E.g. the LeNet of chapter 5.
    package : path
        Your package (``work/mine``, the default when the notebook runs in ``work/``).
    quiet : bool
        Print nothing; otherwise a line per layer kind says whose it is.

    Returns
    -------
    (list, dict)
        The new list of layers (the parameters are shared with ``layers``) and, for each
        kind, ``"yours"`` or ``"cnnkit"``.
    """
    wanted = {name: _missing for _, names in KINDS.values() for name in names}
    fns = load(wanted, package=package, quiet=True)
    whose = {}
    for kind, (_, names) in KINDS.items():
        whose[kind] = "yours" if all(fns.owner[n] != "cnnkit" for n in names) else "cnnkit"
    out = []
    for layer in layers:
        for kind, (cls, names) in KINDS.items():
            if type(layer) is cls and whose[kind] == "yours":
                layer = OWN[kind](layer, *(getattr(fns, n) for n in names))
                break
        out.append(layer)
    if not quiet:
        for kind, (_, names) in KINDS.items():
            said = (
                f"yours ({', '.join(names)})"
                if whose[kind] == "yours"
                else f"cnnkit's (yours: {', '.join(n for n in names if fns.owner[n] == 'cnnkit')}"
                " not found or not passing yet)"
            )
            print(f"{kind:<12} {said}")
        print("fully connected and flatten: cnnkit's")
    return out, whose


def step_seconds(layers, X, dscores_of, repeat=3):
    """Best time of one forward and backward pass of ``layers`` on the batch ``X``.

    ``dscores_of(scores)`` gives the gradient of the loss with respect to the scores.
    """
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        out = X
        for layer in layers:
            out = layer.forward(out)
        dout = dscores_of(out)
        for layer in reversed(layers):
            dout = layer.backward(dout)
        best = min(best, time.perf_counter() - start)
    return best
