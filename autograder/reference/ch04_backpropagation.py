"""Reference answers for chapter 4: the solution cells of ``solutions/04_backpropagation.py``.

Each answer lives once: the functions below are taken from the instructor notebook
(``autograder.reference.solutions``), not written a second time. What follows them
is what the hidden tests need beyond the answers (oracles, variants, constants).
"""

from __future__ import annotations

import numpy as np

from autograder.reference.solutions import answers

_ANSWERS = answers(
    "04_backpropagation",
    [
        "relu_forward",
        "relu_backward",
        "sigmoid_forward",
        "sigmoid_backward",
        "numerical_gradient",
        "rel_error",
        "conv2d_forward",
        "conv2d_backward",
        "maxpool2d_forward",
        "maxpool2d_backward",
        "conv_relu_pool_forward",
        "conv_relu_pool_backward",
        "softmax_cross_entropy",
        "pool_conv_fc_forward",
        "pool_conv_fc_backward",
    ],
    __name__,
)
relu_forward = _ANSWERS["relu_forward"]
relu_backward = _ANSWERS["relu_backward"]
sigmoid_forward = _ANSWERS["sigmoid_forward"]
sigmoid_backward = _ANSWERS["sigmoid_backward"]
numerical_gradient = _ANSWERS["numerical_gradient"]
rel_error = _ANSWERS["rel_error"]
conv2d_forward = _ANSWERS["conv2d_forward"]
conv2d_backward = _ANSWERS["conv2d_backward"]
maxpool2d_forward = _ANSWERS["maxpool2d_forward"]
maxpool2d_backward = _ANSWERS["maxpool2d_backward"]
conv_relu_pool_forward = _ANSWERS["conv_relu_pool_forward"]
conv_relu_pool_backward = _ANSWERS["conv_relu_pool_backward"]
softmax_cross_entropy = _ANSWERS["softmax_cross_entropy"]
pool_conv_fc_forward = _ANSWERS["pool_conv_fc_forward"]
pool_conv_fc_backward = _ANSWERS["pool_conv_fc_backward"]


def output_size(n, k, stride, pad):
    """``(n + 2 pad - k) // stride + 1``."""
    return (n + 2 * pad - k) // stride + 1


def _pad(X, pad):
    return np.pad(X, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
