"""Typical wrong answers, graded as a student would be: the message each one gets.

Every row is one wrong idea written into the instructor's solution cell (a one-line
edit) and graded in-process by ``tests.grading_probe``: the visible test cell must fail
with a message naming the mistake (the student sees it before submitting), and so must
the hidden test cell. ``python -m tests.test_misconceptions`` prints the table
(exercise | wrong idea | visible message | hidden message).

The cascade tests grade a whole chapter with one wrong helper: the mistake must cost
only the checks of its own exercise, not those of the exercises that call it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import pytest

from tests import grading_probe as probe

pytestmark = pytest.mark.slow


@dataclass(frozen=True)
class Wrong:
    chapter: str
    exercise: str  # grade id of the solution cell
    idea: str
    old: str
    new: str
    visible: tuple  # (grade id of the visible test cell, text its message must contain)
    hidden: tuple  # (grade id of a hidden test cell, text its message must contain)

    @property
    def id(self):
        return f"{self.chapter[:2]}-{self.exercise}-{self.idea[:30]}"


CH1 = "01_convolution"
WRONG = [
    Wrong(
        CH1,
        "fc_layer_cost",
        "multiplications = inputs x inputs x hidden",
        "n_in * n_hidden, n_hidden, n_in * n_hidden",
        "n_in * n_hidden, n_hidden, n_in * n_in * n_hidden",
        ("fc_layer_cost_mnist", "not inputs x inputs"),
        ("fc_layer_cost_hidden", "not inputs x inputs"),
    ),
    Wrong(
        CH1,
        "output_size",
        "valid size n - k",
        "return n - k + 1",
        "return n - k",
        ("output_size_worked_example", "off by one"),
        ("output_size_hidden", "off by one"),
    ),
    Wrong(
        CH1,
        "conv1d",
        "kernel not flipped",
        "flipped = w[::-1]",
        "flipped = w",
        ("conv1d_worked_example", "not flipped"),
        ("conv1d_random", "not flipped"),
    ),
    Wrong(
        CH1,
        "conv1d",
        "even kernel, same starts at k // 2",
        "(k - 1) // 2",
        "k // 2",
        ("conv1d_worked_example", "not k // 2"),
        ("conv1d_edge_cases", "not k // 2"),
    ),
    Wrong(
        CH1,
        "corr2d",
        "kernel rotated (that is convolution)",
        "X[i : i + kH, j : j + kW] * K)",
        "X[i : i + kH, j : j + kW] * K[::-1, ::-1])",
        ("corr2d_worked_example", "rotated by 180"),
        ("corr2d_random", "rotated by 180"),
    ),
    Wrong(
        CH1,
        "corr2d",
        "output one row/column short",
        "Y = np.zeros((H - kH + 1, W - kW + 1))",
        "Y = np.zeros((H - kH, W - kW))",
        ("corr2d_worked_example", "output size"),
        ("corr2d_random", "H - kH + 1"),
    ),
    Wrong(
        CH1,
        "conv2d",
        "K.T instead of a 180-degree rotation",
        "K[::-1, ::-1]",
        "K.T",
        ("conv2d_worked_example", "transposed"),
        ("conv2d_random", "transposed"),
    ),
    Wrong(
        CH1,
        "conv2d",
        "kernel not flipped",
        "K[::-1, ::-1]",
        "K",
        ("conv2d_worked_example", "not flipped"),
        ("conv2d_random", "not flipped"),
    ),
    Wrong(
        CH1,
        "conv2d",
        "only the rows flipped",
        "K[::-1, ::-1]",
        "K[::-1]",
        ("conv2d_worked_example", "only the rows"),
        ("conv2d_random", "only the rows"),
    ),
    Wrong(
        CH1,
        "detect_edges",
        "edge kernel with the wrong sign",
        "vertical = corr2d(image, VERTICAL_EDGE)",
        "vertical = corr2d(image, -VERTICAL_EDGE)",
        ("detect_edges_step", "sign is reversed"),
        ("detect_edges_hidden", "sign is reversed"),
    ),
]

CH2 = "02_padding_stride"
WRONG += [
    Wrong(
        CH2,
        "pad2d",
        "pad only one side",
        "np.full(X.shape[:-2] + (H + 2 * pad, W + 2 * pad)",
        "np.full(X.shape[:-2] + (H + pad, W + pad)",
        ("pad2d_worked_example", "pad on both sides"),
        ("pad2d_random", "both sides"),
    ),
    Wrong(
        CH2,
        "conv_output_size",
        "forgot the + 1",
        "return int((n + 2 * pad - span) // stride + 1)",
        "return int((n + 2 * pad - span) // stride)",
        ("conv_output_size_worked_examples", "off by one"),
        ("conv_output_size_random", "off by one"),
    ),
    Wrong(
        CH2,
        "conv_output_size",
        "divisor misprinted as 2",
        "return int((n + 2 * pad - span) // stride + 1)",
        "return int((n + 2 * pad - span) // 2 + 1)",
        ("conv_output_size_worked_examples", "not 2"),
        ("conv_output_size_random", "not 2"),
    ),
    Wrong(
        CH2,
        "conv_param_count",
        "5*5*6 + 6: filters one channel deep",
        "C_in * C_out * kH * kW",
        "C_out * kH * kW",
        ("conv_param_count_worked_example", "spans all C_in"),
        ("conv_param_count_hidden", "C_in"),
    ),
    Wrong(
        CH2,
        "im2col",
        "channels in reverse order within a row",
        "cols[:, :, :, :, i, j] = patch.transpose(0, 2, 3, 1)",
        "cols[:, :, :, :, i, j] = patch.transpose(0, 2, 3, 1)[..., ::-1]",
        ("im2col_worked_example", "values are wrong"),
        ("im2col_random", "wrong"),
    ),
]

CH3 = "03_pooling"
WRONG += [
    Wrong(
        CH3,
        "pool_output_size",
        "n // s (holds only when f = s)",
        "return (n - f) // stride + 1",
        "return n // stride",
        ("pool_output_size_examples", "only when f = stride"),
        ("pool_output_size_hidden", "n / stride"),
    ),
    Wrong(
        CH3,
        "maxpool_forward",
        "max_id names the last tied maximum",
        "max_id[:, :, i, j] = np.argmax(flat, axis=2)",
        "max_id[:, :, i, j] = f * f - 1 - np.argmax(flat[..., ::-1], axis=2)",
        ("maxpool_forward_worked_example", "FIRST maximum"),
        ("maxpool_forward_edge_cases", "FIRST maximum"),
    ),
    Wrong(
        CH3,
        "avgpool_forward",
        "window sum, not the mean",
        "out[:, :, i, j] = window.mean(axis=(2, 3))",
        "out[:, :, i, j] = window.sum(axis=(2, 3))",
        ("avgpool_forward_worked_example", "divide by f*f"),
        ("avgpool_forward_random", "f*f"),
    ),
    Wrong(
        CH3,
        "avgpool_backward",
        "gradient copied to every cell (not / f*f)",
        "share = dout[:, :, i, j] / (f * f)",
        "share = dout[:, :, i, j]",
        ("avgpool_backward_worked_example", "f*f"),
        ("avgpool_backward_random", "f*f"),
    ),
    Wrong(
        CH3,
        "maxpool_backward",
        "gradient copied to every tied maximum",
        "one_hot = np.arange(f * f) == max_id[:, :, i, j, None]  # (N, C, f*f)",
        "win = np.asarray(X, float)[:, :, i * stride : i * stride + f, "
        "j * stride : j * stride + f].reshape(N, C, f * f)\n"
        "            one_hot = win == win.max(axis=2, keepdims=True)",
        ("maxpool_backward_worked_example", "every tied maximum"),
        ("maxpool_backward_ties", "every tied maximum"),
    ),
    Wrong(
        CH3,
        "maxpool_backward",
        "overlapping windows overwrite (= not +=)",
        "j * stride : j * stride + f] += grad",
        "j * stride : j * stride + f] = grad",
        ("maxpool_backward_worked_example", "overwrote"),
        ("maxpool_backward_random", "overwritten"),
    ),
]

CH4 = "04_backpropagation"
WRONG += [
    Wrong(
        CH4,
        "relu",
        "relu'(0) = 1",
        "return dout * (X > 0)",
        "return dout * (X >= 0)",
        ("relu_worked_example", "0"),
        ("relu_hidden", "0"),
    ),
    Wrong(
        CH4,
        "conv2d_backward",
        "dW transposed",
        "dW[:, :, u, v] = np.tensordot",
        "dW[:, :, v, u] = np.tensordot",
        ("conv2d_backward_worked_example", "transposed"),
        ("conv2d_backward_dw", "transposed"),
    ),
    Wrong(
        CH4,
        "conv2d_backward",
        "dW rotated by 180 degrees",
        "dW[:, :, u, v] = np.tensordot",
        "dW[:, :, kH - 1 - u, kW - 1 - v] = np.tensordot",
        ("conv2d_backward_worked_example", "rotated"),
        ("conv2d_backward_dw", "not rotated"),
    ),
    Wrong(
        CH4,
        "conv2d_backward",
        "dX with the kernel rotated twice",
        "W[:, :, u, v], axes=([1], [0])",
        "W[:, :, kH - 1 - u, kW - 1 - v], axes=([1], [0])",
        ("conv2d_backward_worked_example", "rotated it twice"),
        ("conv2d_backward_dx", "rotated it twice"),
    ),
    Wrong(
        CH4,
        "conv2d_backward",
        "dX with the transposed kernel",
        "W[:, :, u, v], axes=([1], [0])",
        "W[:, :, v, u], axes=([1], [0])",
        ("conv2d_backward_worked_example", "transposed kernel"),
        ("conv2d_backward_dx", "transposed kernel"),
    ),
    Wrong(
        CH4,
        "conv2d_backward",
        "db summed over (2, 3) only",
        "db = dout.sum(axis=(0, 2, 3))",
        "db = dout.sum(axis=(2, 3))",
        ("conv2d_backward_worked_example", "(2, 3)"),
        ("conv2d_backward_db", "(2, 3)"),
    ),
    Wrong(
        CH4,
        "conv2d_backward",
        "db summed over (1, 2, 3), per image",
        "db = dout.sum(axis=(0, 2, 3))",
        "db = dout.sum(axis=(1, 2, 3))",
        ("conv2d_backward_worked_example", "one value per image"),
        ("conv2d_backward_db", "one value per image"),
    ),
    Wrong(
        CH4,
        "softmax_cross_entropy",
        "softmax normalised over axis 0",
        "np.sum(np.exp(shifted), axis=1, keepdims=True)",
        "np.sum(np.exp(shifted), axis=0, keepdims=True)",
        ("softmax_cross_entropy_worked_example", "axis 0"),
        ("softmax_cross_entropy_hidden", "axis 0"),
    ),
    Wrong(
        CH4,
        "softmax_cross_entropy",
        "gradient not divided by N",
        "return loss, dscores / N",
        "return loss, dscores",
        ("softmax_cross_entropy_worked_example", "divide the gradient by N"),
        ("softmax_cross_entropy_hidden", "divide the gradient by N"),
    ),
    Wrong(
        CH4,
        "pool_conv_fc",
        "dW2 = dscores.T @ flat",
        "dW2 = flat.T @ dscores",
        "dW2 = dscores.T @ flat",
        ("pool_conv_fc_gradient_check", "shape of W2"),
        ("pool_conv_fc_hidden", "transpose"),
    ),
    Wrong(
        CH4,
        "pool_conv_fc",
        "db2 a mean over the batch",
        "db2 = dscores.sum(axis=0)",
        "db2 = dscores.mean(axis=0)",
        ("pool_conv_fc_gradient_check", "not the mean"),
        ("pool_conv_fc_hidden", "not the mean"),
    ),
]

CH6 = "06_one_by_one"
WRONG += [
    Wrong(
        CH6,
        "conv1x1",
        "bias not added",
        "out = pixels @ W[:, :, 0, 0].T + b",
        "out = pixels @ W[:, :, 0, 0].T",
        ("conv1x1_worked_example", "bias b was not added"),
        ("conv1x1_random", "bias"),
    ),
    Wrong(
        CH6,
        "conv1x1",
        "result reshaped straight to (N, C_out, H, W)",
        "return out.reshape(N, H, Wd, C_out).transpose(0, 3, 1, 2)",
        "return out.reshape(N, C_out, H, Wd)",
        ("conv1x1_worked_example", "reshaped straight"),
        ("conv1x1_random", "reshaped"),
    ),
    Wrong(
        CH6,
        "conv_cost",
        "multiplications without the factor C_out",
        "params, H_out * W_out * weights",
        "params, H_out * W_out * weights // C_out",
        ("conv_cost_worked_examples", "factor C_out"),
        ("conv_cost_random", "C_out"),
    ),
    Wrong(
        CH6,
        "conv_cost",
        "biases left out of the parameters",
        "params = weights + (C_out if bias else 0)",
        "params = weights",
        ("conv_cost_worked_examples", "biases"),
        ("conv_cost_random", "bias"),
    ),
    Wrong(
        CH6,
        "depthwise_conv2d",
        "kernels rotated (convolution)",
        "out += W[None, :, u, v, None, None] * window",
        "out += W[None, :, kH - 1 - u, kW - 1 - v, None, None] * window",
        ("depthwise_worked_example", "rotated by 180"),
        ("depthwise_random", "rotated"),
    ),
]

CH5 = "05_lenet"
WRONG += [
    Wrong(
        CH5,
        "network",
        "the seed given to every layer (same weights)",
        "    rng = np.random.default_rng(rng)\n",
        "",
        ("network_lenet", "same random numbers"),
        ("network_hidden", "same random numbers"),
    ),
    Wrong(
        CH5,
        "softmax_cross_entropy",
        "softmax normalised over axis 0",
        "np.exp(shifted).sum(axis=1, keepdims=True)",
        "np.exp(shifted).sum(axis=0, keepdims=True)",
        ("softmax_cross_entropy_worked_example", "axis 0"),
        ("softmax_cross_entropy_hidden", "axis 0"),
    ),
    Wrong(
        CH5,
        "softmax_cross_entropy",
        "loss summed over the batch",
        "loss = -float(log_probs[rows, y].mean())",
        "loss = -float(log_probs[rows, y].sum())",
        ("softmax_cross_entropy_worked_example", "summed over the batch"),
        ("softmax_cross_entropy_hidden", "summed over the batch"),
    ),
]

# (chapter, exercise, old, new, points lost at most): one wrong helper costs its own checks.
CASCADES = [
    (CH1, "corr2d", "Y = np.zeros((H - kH + 1, W - kW + 1))", "Y = np.zeros((H - kH, W - kW))", 5),
]

CASCADES += [
    (CH2, "pad2d", "= X\n    return out", "= X\n    out[..., :1, :1] = 99\n    return out", 3),
    (
        CH2,
        "conv_output_size",
        "return int((n + 2 * pad - span) // stride + 1)",
        "return int((n + 2 * pad - span) // stride)",
        4,
    ),
]

CASCADES += [
    (CH3, "pool_output_size", "return (n - f) // stride + 1", "return n // stride", 2),
]

CASCADES += [
    (
        CH4,
        "conv2d_backward",
        "db = dout.sum(axis=(0, 2, 3))",
        "db = dout.sum(axis=(0, 2, 3)) + 1",
        6,
    ),
]

CASCADES += [
    (
        CH6,
        "conv_cost",
        "params, H_out * W_out * weights",
        "params, H_out * W_out * weights // C_out",
        5,
    ),
]

CASCADES += [
    (CH5, "conv_counts", "params = slices * k * k + C_out", "params = slices * k * k", 4),
    (CH5, "sgd_momentum", "v_new = momentum * v - lr * g", "v_new = momentum * v + lr * g", 3),
]

SELECTED = [c for c in os.environ.get("COURSE_CHAPTERS", "").split(",") if c]


def outcome(wrong: Wrong):
    results = probe.grade(
        wrong.chapter,
        probe.wrong(wrong.chapter, wrong.exercise, wrong.old, wrong.new),
        only={wrong.visible[0], wrong.hidden[0]},
    )
    return results[wrong.visible[0]], results[wrong.hidden[0]]


@pytest.mark.parametrize(
    "wrong",
    [w for w in WRONG if not SELECTED or w.chapter in SELECTED],
    ids=lambda w: w.id,
)
def test_each_wrong_answer_fails_visibly_and_hidden_with_its_name(wrong):
    visible, hidden = outcome(wrong)
    assert hidden.hidden and visible.grade_id != hidden.grade_id
    assert not visible.passed and wrong.visible[1] in visible.message, visible.message
    assert not hidden.passed and wrong.hidden[1] in hidden.message, hidden.message


@pytest.mark.parametrize(
    "chapter, exercise, old, new, most",
    [c for c in CASCADES if not SELECTED or c[0] in SELECTED],
    ids=lambda v: v if isinstance(v, str) and not v.startswith(" ") else None,
)
def test_one_wrong_helper_costs_its_points_once(chapter, exercise, old, new, most):
    assert probe.lost(probe.grade(chapter))[0] == 0
    lost, total = probe.lost(probe.grade(chapter, probe.wrong(chapter, exercise, old, new)))
    assert 0 < lost <= most, f"{exercise} wrong costs {lost} of {total} points"


def table(rows=WRONG) -> str:
    """The markdown table: exercise | wrong idea | visible message | hidden message."""

    def cell(check):
        text = check.message.split(": ", 1)[-1] if not check.passed else "(passes)"
        return text.replace("|", "\\|").replace("\n", " ")

    lines = ["| exercise | wrong idea | visible message | hidden message |", "|---|---|---|---|"]
    for wrong in rows:
        visible, hidden = outcome(wrong)
        lines.append(
            f"| ch{wrong.chapter[:2]} {wrong.exercise} | {wrong.idea} | {cell(visible)} "
            f"| {cell(hidden)} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    print(table())
