"""Reference answers for chapter 6: the solution cells of ``solutions/06_one_by_one.py``.

Each answer lives once: the functions below are taken from the instructor notebook
(``autograder.reference.solutions``), not written a second time. What follows them
is what the hidden tests need beyond the answers (oracles, variants, constants).
"""

from __future__ import annotations

import numbers

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from autograder.reference.solutions import answers

_ANSWERS = answers(
    "06_one_by_one",
    [
        "conv1x1",
        "conv_cost",
        "bottleneck_cost",
        "depthwise_conv2d",
        "separable_conv2d",
        "separable_cost",
        "inception_cost",
        "bottleneck_block",
    ],
    __name__,
)
conv1x1 = _ANSWERS["conv1x1"]
conv_cost = _ANSWERS["conv_cost"]
bottleneck_cost = _ANSWERS["bottleneck_cost"]
depthwise_conv2d = _ANSWERS["depthwise_conv2d"]
separable_conv2d = _ANSWERS["separable_conv2d"]
separable_cost = _ANSWERS["separable_cost"]
inception_cost = _ANSWERS["inception_cost"]
bottleneck_block = _ANSWERS["bottleneck_block"]


def _array(name, x, ndim, layout):
    arr = np.asarray(x, dtype=float)
    if arr.ndim != ndim:
        raise ValueError(f"{name} must be a {ndim}-D array {layout}, got shape {arr.shape}")
    return arr


def _int(name, value, minimum):
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise ValueError(f"{name} must be an integer, got {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value}")
    return int(value)


def pair(name, value, minimum=1):
    """An int or a pair (height, width) as a tuple of two ints."""
    if isinstance(value, (tuple, list)):
        if len(value) != 2:
            raise ValueError(f"{name} must be an int or a pair (height, width), got {value!r}")
        return tuple(_int(name, v, minimum) for v in value)
    v = _int(name, value, minimum)
    return (v, v)


def _shape3(input_shape):
    if not isinstance(input_shape, (tuple, list)) or len(input_shape) != 3:
        raise ValueError(f"input_shape must be (C, H, W), got {input_shape!r}")
    return tuple(_int("input_shape", s, 1) for s in input_shape)


def relu(Z):
    return np.maximum(Z, 0.0)


def conv2d(X, W, b, stride=1, pad=0):
    """General multi-channel convolution (cross-correlation), as in chapter 2.

    X (N, C_in, H, W), W (C_out, C_in, kH, kW), b (C_out,) -> (N, C_out, H', W').
    """
    X = _array("X", X, 4, "(N, C, H, W)")
    W = _array("W", W, 4, "(C_out, C_in, kH, kW)")
    b = _array("b", b, 1, "(C_out,)")
    sH, sW = pair("stride", stride, 1)
    pH, pW = pair("pad", pad, 0)
    C_out, C_in, kH, kW = W.shape
    if X.shape[1] != C_in or b.shape != (C_out,):
        raise ValueError(f"shapes do not agree: X {X.shape}, W {W.shape}, b {b.shape}")
    Xp = np.pad(X, ((0, 0), (0, 0), (pH, pH), (pW, pW)))
    if kH > Xp.shape[2] or kW > Xp.shape[3]:
        raise ValueError(f"kernel {kH}x{kW} is larger than the padded input {Xp.shape[2:]}")
    windows = sliding_window_view(Xp, (kH, kW), axis=(2, 3))[:, :, ::sH, ::sW]
    return np.einsum("nchwij,ocij->nohw", windows, W) + b[None, :, None, None]


def conv_output_shape(input_shape, C_out, kernel, stride=1, pad=0):
    """(C_out, H_out, W_out) of a convolution on one image of shape (C_in, H, W)."""
    _, H, W = _shape3(input_shape)
    C_out = _int("C_out", C_out, 1)
    kH, kW = pair("kernel", kernel, 1)
    sH, sW = pair("stride", stride, 1)
    pH, pW = pair("pad", pad, 0)
    if kH > H + 2 * pH or kW > W + 2 * pW:
        raise ValueError(
            f"a {kH}x{kW} kernel does not fit the padded input {H + 2 * pH}x{W + 2 * pW}"
        )
    return (C_out, (H + 2 * pH - kH) // sH + 1, (W + 2 * pW - kW) // sW + 1)


def _odd_same(k):
    k = _int("k", k, 1)
    if k % 2 == 0:
        raise ValueError(f"same padding needs an odd kernel, got k={k}")
    return k, k // 2
