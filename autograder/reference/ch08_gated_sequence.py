"""Reference answers for chapter 8: the solution cells of ``solutions/08_gated_sequence.py``.

Each answer lives once: the functions below are taken from the instructor notebook
(``autograder.reference.solutions``), not written a second time.
"""

from __future__ import annotations

from autograder.reference.solutions import answers

_ANSWERS = answers(
    "08_gated_sequence",
    [
        "sigmoid",
        "causal_conv1d_forward",
        "causal_conv1d_backward",
        "glu_forward",
        "glu_backward",
        "gated_block_forward",
        "gated_block_backward",
        "receptive_field",
    ],
    __name__,
)
sigmoid = _ANSWERS["sigmoid"]
causal_conv1d_forward = _ANSWERS["causal_conv1d_forward"]
causal_conv1d_backward = _ANSWERS["causal_conv1d_backward"]
glu_forward = _ANSWERS["glu_forward"]
glu_backward = _ANSWERS["glu_backward"]
gated_block_forward = _ANSWERS["gated_block_forward"]
gated_block_backward = _ANSWERS["gated_block_backward"]
receptive_field = _ANSWERS["receptive_field"]
