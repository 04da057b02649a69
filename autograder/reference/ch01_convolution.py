"""Reference answers for chapter 1, Convolution.

Vectorized with ``sliding_window_view`` so that the hidden tests are fast; the tests
in ``tests/test_reference.py`` check them against plain loops, ``numpy.convolve``,
PyTorch and the worked examples of the course text.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

MODES = ("valid", "full", "same")


def fc_layer_cost(input_shape, n_hidden):
    """Weights, biases and multiplications of a fully connected layer on a flattened input.

    Parameters
    ----------
    input_shape : tuple of int
        Shape of one input, e.g. ``(28, 28)`` or ``(300, 200, 3)``.
    n_hidden : int
        Number of hidden units.

    Returns
    -------
    (weights, biases, multiplications) : tuple of int
    """
    n_in = int(np.prod(input_shape))
    return n_in * n_hidden, n_hidden, n_in * n_hidden


def output_size(n, k, mode="valid"):
    """Length of a 1-D convolution of ``n`` inputs with a kernel of ``k`` taps."""
    if not all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in (n, k)):
        raise ValueError(f"n and k must be integers, got n={n!r}, k={k!r}")
    if n < 1 or k < 1:
        raise ValueError(f"n and k must be positive, got n={n}, k={k}")
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
    if mode == "valid":
        if k > n:
            raise ValueError(f"a kernel of {k} does not fit in {n} inputs in valid mode")
        return n - k + 1
    if mode == "full":
        return n + k - 1
    return n


def conv1d(x, w, mode="valid"):
    """1-D convolution (kernel flipped), as ``numpy.convolve``.

    Parameters
    ----------
    x : ndarray of shape (n,)
    w : ndarray of shape (k,)
    mode : {"valid", "full", "same"}
        valid: n - k + 1 outputs; full: pad k - 1 zeros on each side, n + k - 1 outputs;
        same: the n central outputs of full, starting at index (k - 1) // 2.

    Returns
    -------
    ndarray of shape (output_size(n, k, mode),)
    """
    x = np.asarray(x, dtype=float)
    w = np.asarray(w, dtype=float)
    if x.ndim != 1 or w.ndim != 1:
        raise ValueError(f"x and w must be 1-D, got shapes {x.shape} and {w.shape}")
    n, k = len(x), len(w)
    size = output_size(n, k, mode)
    padded = np.pad(x, k - 1)
    full = sliding_window_view(padded, k) @ w[::-1]
    if mode == "full":
        return full
    if mode == "valid":
        return full[k - 1 : k - 1 + size]
    start = (k - 1) // 2
    return full[start : start + n]


def corr2d(X, K):
    """2-D cross-correlation, no padding, stride 1: what deep-learning conv layers compute.

    Parameters
    ----------
    X : ndarray of shape (H, W)
    K : ndarray of shape (kH, kW), with kH <= H and kW <= W

    Returns
    -------
    ndarray of shape (H - kH + 1, W - kW + 1)
    """
    X = np.asarray(X, dtype=float)
    K = np.asarray(K, dtype=float)
    if X.ndim != 2 or K.ndim != 2:
        raise ValueError(f"X and K must be 2-D, got shapes {X.shape} and {K.shape}")
    if K.shape[0] > X.shape[0] or K.shape[1] > X.shape[1]:
        raise ValueError(f"kernel {K.shape} is larger than the input {X.shape}")
    return np.einsum("ijkl,kl->ij", sliding_window_view(X, K.shape), K)


def conv2d(X, K):
    """2-D convolution in the mathematical sense: cross-correlation with the kernel rotated 180°."""
    K = np.asarray(K, dtype=float)
    return corr2d(X, K[::-1, ::-1])


VERTICAL_EDGE = np.array([[1, 0, -1], [1, 0, -1], [1, 0, -1]], dtype=float)
HORIZONTAL_EDGE = np.array([[1, 1, 1], [0, 0, 0], [-1, -1, -1]], dtype=float)


def detect_edges(image):
    """Vertical-edge response, horizontal-edge response and gradient magnitude.

    Parameters
    ----------
    image : ndarray of shape (H, W), H, W >= 3

    Returns
    -------
    (vertical, horizontal, magnitude) : three ndarrays of shape (H - 2, W - 2)
    """
    vertical = corr2d(image, VERTICAL_EDGE)
    horizontal = corr2d(image, HORIZONTAL_EDGE)
    return vertical, horizontal, np.sqrt(vertical**2 + horizontal**2)
