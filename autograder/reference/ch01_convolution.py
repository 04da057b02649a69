"""Reference answers for chapter 1: the solution cells of ``solutions/01_convolution.py``.

Each answer lives once: the functions below are taken from the instructor notebook
(``autograder.reference.solutions``), not written a second time. What follows them
is what the hidden tests need beyond the answers (oracles, variants, constants).
"""

from __future__ import annotations

from autograder.reference.solutions import answers

_ANSWERS = answers(
    "01_convolution",
    [
        "fc_layer_cost",
        "output_size",
        "conv1d",
        "corr2d",
        "conv2d",
        "VERTICAL_EDGE",
        "HORIZONTAL_EDGE",
        "detect_edges",
    ],
    __name__,
)
fc_layer_cost = _ANSWERS["fc_layer_cost"]
output_size = _ANSWERS["output_size"]
conv1d = _ANSWERS["conv1d"]
corr2d = _ANSWERS["corr2d"]
conv2d = _ANSWERS["conv2d"]
VERTICAL_EDGE = _ANSWERS["VERTICAL_EDGE"]
HORIZONTAL_EDGE = _ANSWERS["HORIZONTAL_EDGE"]
detect_edges = _ANSWERS["detect_edges"]


MODES = ("valid", "full", "same")
