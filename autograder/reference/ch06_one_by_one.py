"""Reference answers for chapter 6, 1×1 convolutions and efficient designs.

Vectorized (einsum over ``sliding_window_view``) so that the hidden tests are fast;
``tests/test_reference_ch06.py`` checks every function against plain loops, PyTorch
(where installed), ``cnnkit.summary`` and the worked examples of the course text.

Shapes follow the course: images ``X`` of shape (N, C, H, W); convolution weights
of shape (C_out, C_in, kH, kW); a single image's shape without the batch, as used
by the counting functions, is ``(C, H, W)``.
"""

from __future__ import annotations

import numbers

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

# --------------------------------------------------------------------------- helpers


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


# --------------------------------------------------------------------------- 1x1 conv


def conv1x1(X, W, b):
    """1×1 convolution: the same linear map across channels at every pixel.

    Parameters
    ----------
    X : ndarray of shape (N, C_in, H, W)
    W : ndarray of shape (C_out, C_in, 1, 1)
    b : ndarray of shape (C_out,)

    Returns
    -------
    ndarray of shape (N, C_out, H, W)
        ``out[n, o, i, j] = b[o] + sum_c W[o, c, 0, 0] * X[n, c, i, j]``.
    """
    X = _array("X", X, 4, "(N, C_in, H, W)")
    W = _array("W", W, 4, "(C_out, C_in, 1, 1)")
    b = _array("b", b, 1, "(C_out,)")
    if W.shape[2:] != (1, 1):
        raise ValueError(f"W must hold 1x1 kernels, shape (C_out, C_in, 1, 1), got {W.shape}")
    if W.shape[1] != X.shape[1]:
        raise ValueError(f"W has C_in={W.shape[1]} but X has {X.shape[1]} channels")
    if b.shape != (W.shape[0],):
        raise ValueError(f"b must have shape ({W.shape[0]},), got {b.shape}")
    return np.einsum("oc,nchw->nohw", W[:, :, 0, 0], X) + b[None, :, None, None]


# --------------------------------------------------------------------------- counting


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


def conv_cost(input_shape, C_out, kernel, stride=1, pad=0, bias=True):
    """Output shape, parameters and multiplications of one convolution layer, per image.

    Parameters
    ----------
    input_shape : (C_in, H, W)
    C_out : int
        Number of filters.
    kernel, stride, pad : int or (int, int)
    bias : bool
        Whether each filter has a bias (counted as a parameter; biases cost additions,
        not multiplications).

    Returns
    -------
    (output_shape, params, mults)
        ``params = C_out*C_in*kH*kW (+ C_out)``, ``mults = H_out*W_out*C_out*C_in*kH*kW``.
    """
    C_in = _shape3(input_shape)[0]
    out = conv_output_shape(input_shape, C_out, kernel, stride, pad)
    kH, kW = pair("kernel", kernel, 1)
    weights = out[0] * C_in * kH * kW
    return out, weights + (out[0] if bias else 0), out[1] * out[2] * weights


def _odd_same(k):
    k = _int("k", k, 1)
    if k % 2 == 0:
        raise ValueError(f"same padding needs an odd kernel, got k={k}")
    return k, k // 2


def bottleneck_cost(input_shape, C_mid, C_out, k=3):
    """Direct k×k same convolution vs 1×1 reduction to C_mid followed by it.

    Returns
    -------
    (direct_mults, bottleneck_mults, direct_values, bottleneck_values)
        Multiplications per image, and activation values produced per image (the
        outputs of every layer; the input itself is not counted).
    """
    k, p = _odd_same(k)
    C_mid = _int("C_mid", C_mid, 1)
    shape, _, direct = conv_cost(input_shape, C_out, k, pad=p)
    mid_shape, _, m1 = conv_cost(input_shape, C_mid, 1)
    _, _, m2 = conv_cost(mid_shape, C_out, k, pad=p)
    values = int(np.prod(shape))
    return direct, m1 + m2, values, int(np.prod(mid_shape)) + values


# --------------------------------------------------------------------------- depthwise


def depthwise_conv2d(X, W, b, stride=1, pad=0):
    """Depthwise convolution: channel c of X is cross-correlated with kernel W[c] only.

    Parameters
    ----------
    X : ndarray of shape (N, C, H, W)
    W : ndarray of shape (C, kH, kW)
        One 2-D kernel per channel.
    b : ndarray of shape (C,)
    stride, pad : int or (int, int)

    Returns
    -------
    ndarray of shape (N, C, H', W'), ``H' = (H + 2 pad - kH) // stride + 1``.
    """
    X = _array("X", X, 4, "(N, C, H, W)")
    W = _array("W", W, 3, "(C, kH, kW)")
    b = _array("b", b, 1, "(C,)")
    sH, sW = pair("stride", stride, 1)
    pH, pW = pair("pad", pad, 0)
    C, kH, kW = W.shape
    if X.shape[1] != C:
        raise ValueError(f"W has {C} kernels but X has {X.shape[1]} channels")
    if b.shape != (C,):
        raise ValueError(f"b must have shape ({C},), got {b.shape}")
    Xp = np.pad(X, ((0, 0), (0, 0), (pH, pH), (pW, pW)))
    if kH > Xp.shape[2] or kW > Xp.shape[3]:
        raise ValueError(f"kernel {kH}x{kW} is larger than the padded input {Xp.shape[2:]}")
    windows = sliding_window_view(Xp, (kH, kW), axis=(2, 3))[:, :, ::sH, ::sW]
    return np.einsum("nchwij,cij->nchw", windows, W) + b[None, :, None, None]


def separable_conv2d(X, W_dw, b_dw, W_pw, b_pw, stride=1, pad=0):
    """Depthwise separable convolution: depthwise (with stride, pad), then pointwise 1×1."""
    return conv1x1(depthwise_conv2d(X, W_dw, b_dw, stride, pad), W_pw, b_pw)


def separable_cost(input_shape, C_out, k, stride=1, pad=0):
    """Weights and multiplications (biases not counted) of a standard k×k convolution
    with C_out filters and of the depthwise separable one with the same output.

    Returns
    -------
    (standard_params, standard_mults, separable_params, separable_mults)
    """
    C_in = _shape3(input_shape)[0]
    k = _int("k", k, 1)
    (_, Ho, Wo), std_params, std_mults = conv_cost(input_shape, C_out, k, stride, pad, False)
    dw_params = C_in * k * k
    pw_params = C_out * C_in
    dw_mults = Ho * Wo * C_in * k * k
    pw_mults = Ho * Wo * C_out * C_in
    return std_params, std_mults, dw_params + pw_params, dw_mults + pw_mults


# --------------------------------------------------------------------------- inception


def inception_cost(input_shape, c1, c3_reduce, c3, c5_reduce, c5, pool_proj):
    """Output shape and multiplications of an Inception module, with and without 1×1 reductions.

    Branches (all stride 1, same padding): 1×1 (c1); 1×1 (c3_reduce) → 3×3 (c3);
    1×1 (c5_reduce) → 5×5 (c5); 3×3 max pooling → 1×1 (pool_proj); concatenated along
    the channels. The naive module has no 1×1 reductions: the 3×3 and 5×5 convolutions
    see the whole input and the pooled input is concatenated as it is.

    Returns
    -------
    (output_shape, mults, naive_mults)
    """
    C, H, W = _shape3(input_shape)
    c1, c3r, c3, c5r, c5, cp = (
        _int(n, v, 1)
        for n, v in zip(
            ("c1", "c3_reduce", "c3", "c5_reduce", "c5", "pool_proj"),
            (c1, c3_reduce, c3, c5_reduce, c5, pool_proj),
            strict=True,
        )
    )
    HW = H * W
    mults = HW * (C * c1 + C * c3r + c3r * 9 * c3 + C * c5r + c5r * 25 * c5 + C * cp)
    naive = HW * (C * c1 + C * 9 * c3 + C * 25 * c5)
    return (c1 + c3 + c5 + cp, H, W), mults, naive


# --------------------------------------------------------------------------- residual


def bottleneck_block(X, W1, b1, W2, b2, W3, b3, Ws=None, bs=None, stride=1):
    """Forward pass of a ResNet bottleneck block (no batch norm).

    ``Z = relu(conv1x1(X, W1, b1))``; ``Z = relu(conv3x3(Z, W2, b2, stride, pad=1))``;
    ``Z = conv1x1(Z, W3, b3)``; shortcut ``S = X`` or, with a projection,
    ``S = conv1x1(X[:, :, ::stride, ::stride], Ws, bs)``; output ``relu(Z + S)``.

    Parameters
    ----------
    X : ndarray of shape (N, C_in, H, W)
    W1 : (C_mid, C_in, 1, 1), b1 : (C_mid,)
    W2 : (C_mid, C_mid, 3, 3), b2 : (C_mid,)
    W3 : (C_out, C_mid, 1, 1), b3 : (C_out,)
    Ws : (C_out, C_in, 1, 1) or None, bs : (C_out,) or None
        Projection shortcut; None for the identity (needs C_in == C_out and stride 1).
    stride : int
        Stride of the 3×3 convolution and of the projection.

    Returns
    -------
    ndarray of shape (N, C_out, H', W'), ``H' = (H - 1) // stride + 1``.
    """
    X = _array("X", X, 4, "(N, C_in, H, W)")
    stride = _int("stride", stride, 1)
    W2 = _array("W2", W2, 4, "(C_mid, C_mid, 3, 3)")
    if W2.shape[2:] != (3, 3):
        raise ValueError(f"W2 must hold 3x3 kernels, got shape {W2.shape}")
    Z = relu(conv1x1(X, W1, b1))
    Z = relu(conv2d(Z, W2, b2, stride=stride, pad=1))
    Z = conv1x1(Z, W3, b3)
    if Ws is None:
        if bs is not None:
            raise ValueError("bs given without Ws")
        if X.shape[1] != Z.shape[1] or stride != 1:
            raise ValueError(
                f"an identity shortcut needs C_in == C_out and stride 1, got C_in={X.shape[1]}, "
                f"C_out={Z.shape[1]}, stride={stride}; pass a projection Ws, bs"
            )
        S = X
    else:
        if bs is None:
            raise ValueError("Ws given without bs")
        S = conv1x1(X[:, :, ::stride, ::stride], Ws, bs)
    return relu(Z + S)
