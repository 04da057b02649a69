"""Reference answers for chapter 5: the solution cells of ``solutions/05_lenet.py``.

Each answer lives once: the functions below are taken from the instructor notebook
(``autograder.reference.solutions``), not written a second time. What follows them
is what the hidden tests need beyond the answers (oracles, variants, constants).
"""

from __future__ import annotations

import numbers

import numpy as np

from autograder.reference.solutions import answers
from cnnkit.modules import Conv2d, Flatten, Linear, MaxPool2d, ReLU  # noqa: F401  (for the hidden tests)

_ANSWERS = answers(
    "05_lenet",
    [
        "C3_TABLE",
        "conv_counts",
        "subsampling_counts",
        "lenet5_counts",
        "layer_table",
        "build_lenet",
        "forward",
        "backward",
        "softmax_cross_entropy",
        "sgd_momentum",
        "init_velocities",
        "train_step",
        "accuracy",
    ],
    __name__,
)
C3_TABLE = _ANSWERS["C3_TABLE"]
conv_counts = _ANSWERS["conv_counts"]
subsampling_counts = _ANSWERS["subsampling_counts"]
lenet5_counts = _ANSWERS["lenet5_counts"]
layer_table = _ANSWERS["layer_table"]
build_lenet = _ANSWERS["build_lenet"]
forward = _ANSWERS["forward"]
backward = _ANSWERS["backward"]
softmax_cross_entropy = _ANSWERS["softmax_cross_entropy"]
sgd_momentum = _ANSWERS["sgd_momentum"]
init_velocities = _ANSWERS["init_velocities"]
train_step = _ANSWERS["train_step"]
accuracy = _ANSWERS["accuracy"]


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
