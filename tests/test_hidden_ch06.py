"""Chapter 6 hidden tests: they pass the reference, name each misconception, reject
shortcuts from cnnkit/autograder, and let NotImplementedError through.

Candidate functions must look like notebook code (``__module__ == "__main__"``): the
reference module is executed into a namespace named ``__main__`` and every candidate
below is re-created with that namespace as its globals, so it can call the notebook's
other functions (``conv1x1``, ``conv2d``, ``pair`` ...) as a student's code would.
"""

from __future__ import annotations

import re
import types

import numpy as np
import pytest

import cnnkit.conv
import cnnkit.summary
from autograder.checks import CheckFailed
from autograder.hidden import ch06 as hidden
from autograder.reference import ch06_one_by_one as ref
from tests.notebook_helpers import in_notebook, module_as_notebook

# Names the candidates below use as notebook globals. They are placeholders here: every
# candidate runs with the notebook namespace built by ``notebook()``, never with these.
pair = conv1x1 = conv2d = relu = depthwise_conv2d = sliding_window_view = None
conv_cost = bottleneck_cost = separable_cost = inception_cost = None
answers = conv2d_forward = summarize = Conv = bottleneck_comparison = None

REF_NS = module_as_notebook(ref)


def notebook(func, **globals_):
    """``func`` as if defined in the notebook: module ``__main__``, notebook globals."""
    return in_notebook(func, REF_NS, **globals_)


def expect_named(check, func, message):
    with pytest.raises(CheckFailed, match=re.escape(message)):
        check(func)


def stub(*args, **kwargs):
    raise NotImplementedError()


ALL = [
    ("conv1x1_random", "conv1x1"),
    ("conv1x1_edge_cases", "conv1x1"),
    ("conv_cost_random", "conv_cost"),
    ("conv_cost_edge_cases", "conv_cost"),
    ("bottleneck_cost_hidden", "bottleneck_cost"),
    ("depthwise_random", "depthwise_conv2d"),
    ("depthwise_edge_cases", "depthwise_conv2d"),
    ("separable_hidden", "separable_conv2d"),
    ("separable_cost_hidden", "separable_cost"),
    ("inception_hidden", "inception_cost"),
    ("block_random", "bottleneck_block"),
    ("block_edge_cases", "bottleneck_block"),
]


# --------------------------------------------------------------------------- all checks


@pytest.mark.parametrize(("check", "name"), ALL)
def test_reference_passes(check, name):
    getattr(hidden, check)(REF_NS[name])


@pytest.mark.parametrize(("check", "name"), ALL)
def test_stub_raises_not_implemented(check, name):
    with pytest.raises(NotImplementedError):
        getattr(hidden, check)(notebook(stub))


@pytest.mark.parametrize(("check", "name"), ALL)
def test_imported_reference_is_rejected(check, name):
    with pytest.raises(CheckFailed, match="write it yourself"):
        getattr(hidden, check)(getattr(ref, name))


def test_a_student_function_calling_the_reference_is_rejected():
    def conv1x1(X, W, b):
        return answers.conv1x1(X, W, b)

    with pytest.raises(CheckFailed, match="from the autograder"):
        hidden.conv1x1_random(notebook(conv1x1, answers=ref))


def test_understanding():
    right = {
        "q_one_channel": "b",
        "q_linear_stack": False,
        "q_resnet_filters": 128,
        "q_vgg_most_params": "b",
        "q_flops_ratio": "b",
    }
    hidden.understanding(right)
    for q, wrong in [
        ("q_one_channel", "a"),
        ("q_linear_stack", True),
        ("q_resnet_filters", 64),
        ("q_resnet_filters", True),
        ("q_vgg_most_params", "a"),
        ("q_flops_ratio", "c"),
    ]:
        with pytest.raises(CheckFailed, match=q):
            hidden.understanding({**right, q: wrong})


# --------------------------------------------------------------------------- conv1x1


def conv1x1_reshape_in(X, W, b):
    N, C, H, Wd = X.shape
    out = X.reshape(N * H * Wd, C) @ W[:, :, 0, 0].T + b
    return out.reshape(N, H, Wd, -1).transpose(0, 3, 1, 2)


def conv1x1_reshape_out(X, W, b):
    N, C, H, Wd = X.shape
    out = X.transpose(0, 2, 3, 1).reshape(-1, C) @ W[:, :, 0, 0].T + b
    return out.reshape(N, -1, H, Wd)


def conv1x1_transposed(X, W, b):
    return np.einsum("co,nchw->nohw", W[:, :, 0, 0], X) + b[None, :, None, None]


def conv1x1_rows(X, W, b):
    return np.matmul(W[:, :, 0, 0], X) + b[None, :, None, None]


def conv1x1_columns(X, W, b):
    return X @ W[:, :, 0, 0].T + b[None, :, None, None]


def conv1x1_no_bias(X, W, b):
    return np.einsum("oc,nchw->nohw", W[:, :, 0, 0], X)


def conv1x1_library(X, W, b):
    return conv2d_forward(X, W, b)[0]


def conv1x1_no_checks(X, W, b):
    return np.einsum("oc,nchw->nohw", W[:, :, 0, 0], X) + b[None, :, None, None]


@pytest.mark.parametrize(
    ("wrong", "message"),
    [
        (conv1x1_reshape_in, hidden.RESHAPE_IN),
        (conv1x1_reshape_out, hidden.RESHAPE_OUT),
        (conv1x1_transposed, hidden.TRANSPOSED_W),
        (conv1x1_rows, hidden.SPATIAL_MIX + " (here along the rows)"),
        (conv1x1_columns, hidden.SPATIAL_MIX + " (here along the columns)"),
        (conv1x1_no_bias, "the bias b was not added"),
    ],
)
def test_conv1x1_misconceptions_are_named(wrong, message):
    expect_named(hidden.conv1x1_random, notebook(wrong), message)


def test_conv1x1_library_shortcut_is_rejected():
    f = notebook(conv1x1_library, conv2d_forward=cnnkit.conv.conv2d_forward)
    expect_named(hidden.conv1x1_random, f, "calls conv2d_forward")


def conv2d_helper(X, W, b, stride=1, pad=0):
    return conv2d_forward(X, W, b, stride=stride, pad=pad)[0]


def conv1x1_via_helper(X, W, b):
    return conv2d(X, W, b)


def test_conv1x1_notebook_helper_wrapping_cnnkit_is_rejected():
    helper = notebook(conv2d_helper, conv2d_forward=cnnkit.conv.conv2d_forward)
    f = notebook(conv1x1_via_helper, conv2d=helper, conv2d_forward=cnnkit.conv.conv2d_forward)
    expect_named(hidden.conv1x1_random, f, "calls conv2d_forward")


def test_conv1x1_without_shape_checks_fails_only_the_edge_cases():
    f = notebook(conv1x1_no_checks)
    hidden.conv1x1_random(f)
    expect_named(hidden.conv1x1_edge_cases, f, "should raise ValueError")


# --------------------------------------------------------------------------- conv_cost


def _geometry(input_shape, C_out, kernel, stride, pad):
    C_in, H, W = input_shape
    (kH, kW), (sH, sW), (pH, pW) = pair("k", kernel), pair("s", stride), pair("p", pad, 0)
    if kH > H + 2 * pH or kW > W + 2 * pW or C_out < 1 or len(input_shape) != 3:
        raise ValueError("bad")
    return C_in, H, W, kH, kW, (H + 2 * pH - kH) // sH + 1, (W + 2 * pW - kW) // sW + 1


def cost_no_cout(input_shape, C_out, kernel, stride=1, pad=0, bias=True):
    C_in, H, W, kH, kW, Ho, Wo = _geometry(input_shape, C_out, kernel, stride, pad)
    return (C_out, Ho, Wo), C_out * C_in * kH * kW + C_out * bias, Ho * Wo * C_in * kH * kW


def cost_no_area(input_shape, C_out, kernel, stride=1, pad=0, bias=True):
    C_in, H, W, kH, kW, Ho, Wo = _geometry(input_shape, C_out, kernel, stride, pad)
    return (C_out, Ho, Wo), C_out * C_in * kH * kW + C_out * bias, Ho * Wo * C_out * C_in


def cost_no_bias(input_shape, C_out, kernel, stride=1, pad=0, bias=True):
    C_in, H, W, kH, kW, Ho, Wo = _geometry(input_shape, C_out, kernel, stride, pad)
    return (C_out, Ho, Wo), C_out * C_in * kH * kW, Ho * Wo * C_out * C_in * kH * kW


def cost_always_bias(input_shape, C_out, kernel, stride=1, pad=0, bias=True):
    C_in, H, W, kH, kW, Ho, Wo = _geometry(input_shape, C_out, kernel, stride, pad)
    return (C_out, Ho, Wo), C_out * C_in * kH * kW + C_out, Ho * Wo * C_out * C_in * kH * kW


def cost_input_positions(input_shape, C_out, kernel, stride=1, pad=0, bias=True):
    C_in, H, W, kH, kW, Ho, Wo = _geometry(input_shape, C_out, kernel, stride, pad)
    return (C_out, Ho, Wo), C_out * C_in * kH * kW + C_out * bias, H * W * C_out * C_in * kH * kW


def cost_no_sharing(input_shape, C_out, kernel, stride=1, pad=0, bias=True):
    C_in, H, W, kH, kW, Ho, Wo = _geometry(input_shape, C_out, kernel, stride, pad)
    params = (C_out * C_in * kH * kW + C_out * bias) * Ho * Wo
    return (C_out, Ho, Wo), params, Ho * Wo * C_out * C_in * kH * kW


def cost_summary_tool(input_shape, C_out, kernel, stride=1, pad=0, bias=True):
    (row,) = summarize([Conv(C_out, kernel, stride=stride, pad=pad, bias=bias)], input_shape).rows
    return row.output_shape, row.params, row.macs


def cost_no_checks(input_shape, C_out, kernel, stride=1, pad=0, bias=True):
    C_in, H, W = input_shape
    (kH, kW), (sH, sW), (pH, pW) = pair("k", kernel), pair("s", stride, 0), pair("p", pad, -9)
    Ho, Wo = (H + 2 * pH - kH) // max(sH, 1) + 1, (W + 2 * pW - kW) // max(sW, 1) + 1
    return (C_out, Ho, Wo), C_out * C_in * kH * kW + C_out * bias, Ho * Wo * C_out * C_in * kH * kW


@pytest.mark.parametrize(
    ("wrong", "message"),
    [
        (cost_no_cout, hidden.NO_COUT),
        (cost_no_area, hidden.NO_AREA),
        (cost_no_bias, hidden.NO_BIAS),
        (cost_always_bias, hidden.EXTRA_BIAS),
        (cost_input_positions, hidden.INPUT_POSITIONS),
        (cost_no_sharing, hidden.NO_SHARING),
    ],
)
def test_conv_cost_misconceptions_are_named(wrong, message):
    f = notebook(wrong, _geometry=notebook(_geometry))
    expect_named(hidden.conv_cost_random, f, message)


def test_conv_cost_summary_tool_is_rejected():
    f = notebook(cost_summary_tool, summarize=cnnkit.summary.summarize, Conv=cnnkit.summary.Conv)
    expect_named(hidden.conv_cost_random, f, "calls summarize")


def test_conv_cost_without_checks_fails_only_the_edge_cases():
    f = notebook(cost_no_checks)
    hidden.conv_cost_random(f)
    expect_named(hidden.conv_cost_edge_cases, f, "should raise ValueError")


# --------------------------------------------------------------------------- bottleneck_cost


def bottleneck_no_reduce_cost(input_shape, C_mid, C_out, k=3):
    direct, reduced, dv, rv = bottleneck_cost(input_shape, C_mid, C_out, k)
    C, H, W = input_shape
    return direct, reduced - H * W * C * C_mid, dv, rv


def bottleneck_no_mid_values(input_shape, C_mid, C_out, k=3):
    direct, reduced, dv, rv = bottleneck_cost(input_shape, C_mid, C_out, k)
    return direct, reduced, dv, dv


def bottleneck_with_input(input_shape, C_mid, C_out, k=3):
    direct, reduced, dv, rv = bottleneck_cost(input_shape, C_mid, C_out, k)
    C, H, W = input_shape
    return direct, reduced, dv + C * H * W, rv + C * H * W


def bottleneck_summary_tool(input_shape, C_mid, C_out, k=3):
    direct, reduced = bottleneck_comparison(input_shape, C_out, C_mid, k)
    values = [sum(r.output_size for r in s.rows) for s in (direct, reduced)]
    return direct.total_macs, reduced.total_macs, *values


def bottleneck_even_ok(input_shape, C_mid, C_out, k=3):
    return bottleneck_cost(input_shape, C_mid, C_out, k | 1)


@pytest.mark.parametrize(
    ("wrong", "message"),
    [
        (bottleneck_no_reduce_cost, "the bottleneck also costs the 1x1 reduction"),
        (bottleneck_no_mid_values, "stores the C_mid-channel intermediate map"),
        (bottleneck_with_input, "not the input"),
    ],
)
def test_bottleneck_cost_misconceptions_are_named(wrong, message):
    expect_named(hidden.bottleneck_cost_hidden, notebook(wrong), message)


def test_bottleneck_cost_summary_tool_is_rejected():
    f = notebook(
        bottleneck_summary_tool, bottleneck_comparison=cnnkit.summary.bottleneck_comparison
    )
    expect_named(hidden.bottleneck_cost_hidden, f, "calls bottleneck_comparison")


def test_bottleneck_cost_must_reject_even_kernels():
    expect_named(
        hidden.bottleneck_cost_hidden, notebook(bottleneck_even_ok), "should raise ValueError"
    )


# --------------------------------------------------------------------------- depthwise


def dw_summed(X, W, b, stride=1, pad=0):
    C = X.shape[1]
    return conv2d(X, np.repeat(W[:, None], C, axis=1), b, stride, pad)


def dw_flipped(X, W, b, stride=1, pad=0):
    return depthwise_conv2d(X, W[:, ::-1, ::-1], b, stride, pad)


def dw_no_stride(X, W, b, stride=1, pad=0):
    return depthwise_conv2d(X, W, b, 1, pad)


def dw_no_bias(X, W, b, stride=1, pad=0):
    return depthwise_conv2d(X, W, 0 * b, stride, pad)


def dw_per_channel_library(X, W, b, stride=1, pad=0):
    maps = [
        conv2d_forward(X[:, c : c + 1], W[c][None, None], b[c : c + 1], stride=stride, pad=pad)[0]
        for c in range(X.shape[1])
    ]
    return np.concatenate(maps, axis=1)


@pytest.mark.parametrize(
    ("wrong", "message"),
    [
        (dw_summed, hidden.SUMMED_CHANNELS),
        (dw_flipped, hidden.FLIPPED),
        (dw_no_stride, "the stride was ignored"),
        (dw_no_bias, "the bias b was not added"),
    ],
)
def test_depthwise_misconceptions_are_named(wrong, message):
    expect_named(hidden.depthwise_random, notebook(wrong), message)


def test_depthwise_library_shortcut_is_rejected():
    f = notebook(dw_per_channel_library, conv2d_forward=cnnkit.conv.conv2d_forward)
    expect_named(hidden.depthwise_random, f, "calls conv2d_forward")


def test_depthwise_without_checks_fails_only_the_edge_cases():
    def depthwise_conv2d(X, W, b, stride=1, pad=0):
        (sH, sW), (pH, pW) = pair("s", stride), pair("p", pad, 0)
        Xp = np.pad(X, ((0, 0), (0, 0), (pH, pH), (pW, pW)))
        kH, kW = W.shape[-2:]
        windows = sliding_window_view(Xp, (kH, kW), axis=(2, 3))[:, :, ::sH, ::sW]
        return (
            np.einsum("nchwij,cij->nchw", windows, W.reshape(-1, kH, kW)[: X.shape[1]])
            + b[: X.shape[1], None, None]
        )

    f = notebook(depthwise_conv2d)
    hidden.depthwise_random(f)
    expect_named(hidden.depthwise_edge_cases, f, "should raise ValueError")


# --------------------------------------------------------------------------- separable


def sep_depthwise_only(X, W_dw, b_dw, W_pw, b_pw, stride=1, pad=0):
    return depthwise_conv2d(X, W_dw, b_dw, stride, pad)


def sep_summed(X, W_dw, b_dw, W_pw, b_pw, stride=1, pad=0):
    C = X.shape[1]
    return conv1x1(conv2d(X, np.repeat(W_dw[:, None], C, axis=1), b_dw, stride, pad), W_pw, b_pw)


def sep_no_pw_bias(X, W_dw, b_dw, W_pw, b_pw, stride=1, pad=0):
    return conv1x1(depthwise_conv2d(X, W_dw, b_dw, stride, pad), W_pw, 0 * b_pw)


@pytest.mark.parametrize(
    ("wrong", "message"),
    [
        (sep_summed, hidden.SUMMED_CHANNELS),
        (sep_no_pw_bias, "the pointwise bias b_pw was not added"),
    ],
)
def test_separable_misconceptions_are_named(wrong, message):
    expect_named(hidden.separable_hidden, notebook(wrong), message)


def test_separable_depthwise_only_is_named_by_shape():
    expect_named(hidden.separable_hidden, notebook(sep_depthwise_only), "only the depthwise step")


def sepcost_full_depthwise(input_shape, C_out, k, stride=1, pad=0):
    sp, sm, dp, dm = separable_cost(input_shape, C_out, k, stride, pad)
    C_in = input_shape[0]
    (_, Ho, Wo), _, _ = conv_cost(input_shape, C_out, k, stride, pad)
    return (
        sp,
        sm,
        dp - C_in * k * k + C_in * C_in * k * k,
        dm + Ho * Wo * (C_in * C_in - C_in) * k * k,
    )


def sepcost_biases(input_shape, C_out, k, stride=1, pad=0):
    sp, sm, dp, dm = separable_cost(input_shape, C_out, k, stride, pad)
    return sp + C_out, sm, dp + input_shape[0] + C_out, dm


def sepcost_per_position(input_shape, C_out, k, stride=1, pad=0):
    C_in = input_shape[0]
    return (
        C_out * C_in * k * k,
        C_out * C_in * k * k,
        C_in * k * k + C_in * C_out,
        C_in * k * k + C_in * C_out,
    )


def sepcost_summary(input_shape, C_out, k, stride=1, pad=0):
    C = input_shape[0]
    std = summarize([Conv(C_out, k, stride=stride, pad=pad, bias=False)], input_shape)
    sep = summarize(
        [Conv(C, k, stride=stride, pad=pad, groups=C, bias=False), Conv(C_out, 1, bias=False)],
        input_shape,
    )
    return std.total_params, std.total_macs, sep.total_params, sep.total_macs


@pytest.mark.parametrize(
    ("wrong", "message"),
    [
        (sepcost_full_depthwise, "it does not sum over channels"),
        (sepcost_biases, "biases are not counted in this exercise"),
        (sepcost_per_position, "multiply by H_out*W_out"),
    ],
)
def test_separable_cost_misconceptions_are_named(wrong, message):
    expect_named(hidden.separable_cost_hidden, notebook(wrong), message)


def test_separable_cost_summary_tool_is_rejected():
    f = notebook(sepcost_summary, summarize=cnnkit.summary.summarize, Conv=cnnkit.summary.Conv)
    expect_named(hidden.separable_cost_hidden, f, "calls summarize")


# --------------------------------------------------------------------------- inception


def inc_reduce_channels(input_shape, c1, c3_reduce, c3, c5_reduce, c5, pool_proj):
    (C_out, H, W), m, n = inception_cost(input_shape, c1, c3_reduce, c3, c5_reduce, c5, pool_proj)
    return (C_out + c3_reduce + c5_reduce, H, W), m, n


def inc_no_reduce_cost(input_shape, c1, c3_reduce, c3, c5_reduce, c5, pool_proj):
    shape, m, n = inception_cost(input_shape, c1, c3_reduce, c3, c5_reduce, c5, pool_proj)
    C, H, W = input_shape
    return shape, m - H * W * C * (c3_reduce + c5_reduce), n


def inc_naive_with_proj(input_shape, c1, c3_reduce, c3, c5_reduce, c5, pool_proj):
    shape, m, n = inception_cost(input_shape, c1, c3_reduce, c3, c5_reduce, c5, pool_proj)
    C, H, W = input_shape
    return shape, m, n + H * W * C * pool_proj


def inc_pool_costs(input_shape, c1, c3_reduce, c3, c5_reduce, c5, pool_proj):
    shape, m, n = inception_cost(input_shape, c1, c3_reduce, c3, c5_reduce, c5, pool_proj)
    C, H, W = input_shape
    return shape, m + 9 * H * W * C, n + 9 * H * W * C


def inc_pool_passes_input(input_shape, c1, c3_reduce, c3, c5_reduce, c5, pool_proj):
    (C_out, H, W), m, n = inception_cost(input_shape, c1, c3_reduce, c3, c5_reduce, c5, pool_proj)
    return (C_out - pool_proj + input_shape[0], H, W), m, n


def inc_list_shape(input_shape, c1, c3_reduce, c3, c5_reduce, c5, pool_proj):
    shape, m, n = inception_cost(input_shape, c1, c3_reduce, c3, c5_reduce, c5, pool_proj)
    return [list(shape), m, n]


@pytest.mark.parametrize(
    ("wrong", "message"),
    [
        (inc_reduce_channels, "not the reduction layers"),
        (inc_no_reduce_cost, "the 1x1 reduction layers cost multiplications too"),
        (inc_naive_with_proj, "no 1x1 after the pooling either"),
        (inc_pool_costs, "max pooling costs no multiplications"),
        (inc_pool_passes_input, "pooling branch gives pool_proj channels"),
    ],
)
def test_inception_misconceptions_are_named(wrong, message):
    expect_named(hidden.inception_hidden, notebook(wrong), message)


def test_inception_accepts_lists():
    hidden.inception_hidden(notebook(inc_list_shape))


# --------------------------------------------------------------------------- residual block


def _variant(kind):
    def block(X, W1, b1, W2, b2, W3, b3, Ws=None, bs=None, stride=1):
        inner = (lambda z: z) if kind == "no_inner" else relu
        s1, s3 = (stride, 1) if kind == "stride_first" else (1, stride)
        Z = inner(conv1x1(X[:, :, ::s1, ::s1], W1, b1))
        Z = inner(conv2d(Z, W2, b2, stride=s3, pad=1))
        Z = conv1x1(Z, W3, b3)
        S = X if Ws is None else conv1x1(X[:, :, ::stride, ::stride], Ws, bs)
        if kind == "no_final":
            return Z + S
        if kind == "before":
            return relu(Z) + S
        if kind == "no_shortcut":
            return relu(Z)
        return relu(Z + S)

    return block


@pytest.mark.parametrize(
    ("kind", "message"),
    [
        ("no_final", hidden.NO_FINAL_RELU),
        ("before", hidden.RELU_BEFORE_ADD),
        ("no_shortcut", hidden.NO_SHORTCUT),
        ("no_inner", hidden.NO_INNER_RELU),
        ("stride_first", hidden.STRIDE_FIRST),
    ],
)
def test_block_misconceptions_are_named(kind, message):
    f = notebook(_variant(kind), relu=REF_NS["relu"])
    expect_named(hidden.block_random, f, message)


def test_block_without_padding_is_named():
    def block(X, W1, b1, W2, b2, W3, b3, Ws=None, bs=None, stride=1):
        Z = relu(conv1x1(X, W1, b1))
        Z = relu(conv2d(Z, W2, b2, stride=stride))
        Z = conv1x1(Z, W3, b3)
        return Z

    expect_named(hidden.block_random, notebook(block), hidden.NO_PAD)


def block_skips_shortcut_that_does_not_fit(X, W1, b1, W2, b2, W3, b3, Ws=None, bs=None, stride=1):
    Z = relu(conv1x1(X, W1, b1))
    Z = relu(conv2d(Z, W2, b2, stride=stride, pad=1))
    Z = conv1x1(Z, W3, b3)
    if Ws is not None:
        return relu(Z + conv1x1(X[:, :, ::stride, ::stride], Ws, bs))
    return relu(Z + X) if Z.shape == X.shape else relu(Z)


def test_block_that_skips_a_misfit_identity_fails_only_the_edge_cases():
    f = notebook(block_skips_shortcut_that_does_not_fit)
    hidden.block_random(f)
    expect_named(hidden.block_edge_cases, f, "should raise ValueError")


def test_block_may_use_the_notebook_conv2d_helper():
    helper = notebook(conv2d_helper, conv2d_forward=cnnkit.conv.conv2d_forward)
    block = REF_NS["bottleneck_block"]
    f = types.FunctionType(
        block.__code__, {**REF_NS, "conv2d": helper}, block.__name__, block.__defaults__
    )
    hidden.block_random(f)
    hidden.block_edge_cases(f)
