"""Hidden tests for chapter 6, 1×1 convolutions and efficient designs."""

from __future__ import annotations

import functools

import numpy as np

from autograder.checks import (
    CheckFailed,
    call,
    expect_array,
    expect_equal,
    expect_own_work,
    expect_raises,
    reference_helpers,
    reference_helpers_for_this_check,
    signature,
)
from autograder.reference import ch06_one_by_one as ref

# Library and cnnkit calls that would skip a convolution exercise. (A notebook function
# of the same name, e.g. the chapter's own `conv2d` helper, is not a hit; what it calls is.)
CONV_LIBRARY = (
    "conv2d_forward",
    "conv2d_backward",
    "im2col",
    "col2im",
    "Conv2d",
    "conv2d",
    "convolve",
    "correlate",
    "convolve2d",
    "correlate2d",
    "fftconvolve",
    "oaconvolve",
)

# cnnkit.summary computes every count of this chapter: the counting exercises must not use it.
SUMMARY_TOOL = (
    "summarize",
    "print_summary",
    "bottleneck_comparison",
    "Summary",
    "LayerRow",
    "total_macs",
    "total_params",
    "_leaf",
    "_window_out",
    "_run",
)


# The earlier exercises a later one calls: graded with the reference versions, so that
# one mistake (a wrong conv_cost, say) costs its points once.
HELPERS = {
    "conv_cost": ref.conv_cost,
    "conv1x1": ref.conv1x1,
    "depthwise_conv2d": ref.depthwise_conv2d,
}
USES = {
    "bottleneck_cost": ("conv_cost",),
    "separable_cost": ("conv_cost",),
    "inception_cost": ("conv_cost",),
    "separable_conv2d": ("conv1x1", "depthwise_conv2d"),
    "bottleneck_block": ("conv1x1",),
}


def alone(func):
    """Visible graded cell: ``func`` calls the reference helpers for the rest of the check."""
    names = USES.get(getattr(func, "__name__", ""), ())
    reference_helpers_for_this_check(func, {name: HELPERS[name] for name in names})


def graded_alone(exercise, forbidden=()):
    """Decorate a hidden test: own-work check first (on the student's own helpers), then
    the cases with the reference helpers of ``USES[exercise]``."""

    def decorate(body):
        @functools.wraps(body)
        def check(func):
            expect_own_work(func, forbidden)
            with reference_helpers(func, {name: HELPERS[name] for name in USES[exercise]}):
                return body(func)

        return check

    return decorate


def _rng(seed):
    return np.random.default_rng(seed)


def _ints(rng, shape):
    """Small integers as floats: exact arithmetic, so a misconception matches exactly."""
    return rng.integers(-4, 5, size=shape).astype(float)


def _tuple(got):
    """Accept a list where a tuple is asked for (also nested, for output shapes)."""
    if isinstance(got, list):
        got = tuple(got)
    if isinstance(got, tuple):
        return tuple(tuple(g) if isinstance(g, list) else g for g in got)
    return got


def _distinct(right, variants):
    """Only the variants that differ from the right answer (same shape and values)."""
    right = np.asarray(right)
    out = {}
    for message, v in variants.items():
        v = np.asarray(v)
        if v.shape != right.shape or not np.allclose(v, right):
            out[message] = v
    return out


# --------------------------------------------------------------------------- conv1x1

RESHAPE_IN = (
    "X was reshaped to (N*H*W, C_in) without first moving the channel axis last, so "
    "values from different pixels were mixed instead of channels; transpose X to "
    "(N, H, W, C_in) before reshaping"
)
RESHAPE_OUT = (
    "the result (N*H*W, C_out) was reshaped straight to (N, C_out, H, W), which mixes "
    "pixels and channels; reshape to (N, H, W, C_out) and transpose back"
)
TRANSPOSED_W = (
    "the weight matrix is transposed: out[o] = sum_c W[o, c] * X[c], so use W[:, :, 0, 0] "
    "(C_out, C_in) as it is, not its transpose"
)
SPATIAL_MIX = (
    "the 1x1 convolution mixed values over spatial positions; it must mix the channels of "
    "each pixel separately (sum over c only)"
)


def conv1x1_misconceptions(X, W, b):
    N, C_in, H, Wd = X.shape
    C_out = W.shape[0]
    M = W[:, :, 0, 0]
    right = ref.conv1x1(X, W, b)
    out = {}
    flat = X.reshape(N * H * Wd, C_in) @ M.T + b
    out[RESHAPE_IN] = flat.reshape(N, H, Wd, C_out).transpose(0, 3, 1, 2)
    rows = X.transpose(0, 2, 3, 1).reshape(-1, C_in) @ M.T + b
    out[RESHAPE_OUT] = rows.reshape(N, C_out, H, Wd)
    if C_in == C_out:
        out[TRANSPOSED_W] = ref.conv1x1(X, M.T[:, :, None, None], b)
    # The matrix applied along a spatial axis (``M @ X`` multiplies the rows, ``X @ M.T``
    # the columns), with the bias added per channel: it runs (and has the right shape) only
    # when that axis happens to have C_in = C_out entries.
    bias = b[None, :, None, None]
    if H == C_in == C_out:
        out[SPATIAL_MIX + " (here along the rows)"] = np.einsum("oh,nchw->ncow", M, X) + bias
    if Wd == C_in == C_out:
        out[SPATIAL_MIX + " (here along the columns)"] = np.einsum("ow,nchw->ncho", M, X) + bias
    if np.any(b != 0):
        out["the bias b was not added (one bias per output channel)"] = ref.conv1x1(X, W, 0 * b)
    return _distinct(right, out)


def check_conv1x1_case(conv1x1, X, W, b):
    expect_array(
        signature(conv1x1, (X, W, b)),
        call(conv1x1, (X, W, b)),
        ref.conv1x1(X, W, b),
        conv1x1_misconceptions(X, W, b),
    )


def conv1x1_random(conv1x1):
    expect_own_work(conv1x1, CONV_LIBRARY)
    rng = _rng(601)
    cases = [  # (N, C_in, H, W), C_out; C_in = C_out first, so that a transposed weight
        # matrix or one applied along H or W still runs and can be named
        ((2, 4, 4, 4), 4),
        ((4, 5, 6, 6), 5),
        ((3, 5, 2, 5), 5),
        ((2, 3, 4, 5), 6),
        ((3, 1, 5, 2), 4),
        ((2, 4, 3, 7), 1),
        ((2, 6, 2, 3), 2),
        ((1, 8, 7, 4), 3),
    ]
    for (N, C_in, H, Wd), C_out in cases:
        X = _ints(rng, (N, C_in, H, Wd))
        W = _ints(rng, (C_out, C_in, 1, 1))
        b = _ints(rng, C_out)
        check_conv1x1_case(conv1x1, X, W, b)
    X = rng.standard_normal((3, 16, 5, 9))
    W = rng.standard_normal((10, 16, 1, 1))
    b = rng.standard_normal(10)
    check_conv1x1_case(conv1x1, X, W, b)


def conv1x1_edge_cases(conv1x1):
    expect_own_work(conv1x1, CONV_LIBRARY)
    rng = _rng(602)
    # one channel in, one out: a 1x1 convolution only scales and shifts
    X = _ints(rng, (2, 1, 3, 4))
    check_conv1x1_case(conv1x1, X, np.full((1, 1, 1, 1), 3.0), np.array([-1.0]))
    # a 1x1 image and a single image
    check_conv1x1_case(conv1x1, _ints(rng, (5, 4, 1, 1)), _ints(rng, (3, 4, 1, 1)), _ints(rng, 3))
    check_conv1x1_case(conv1x1, _ints(rng, (1, 2, 6, 3)), _ints(rng, (7, 2, 1, 1)), _ints(rng, 7))
    # bad input
    X = np.ones((2, 3, 4, 4))
    expect_raises(conv1x1, (X, np.ones((2, 3, 3, 3)), np.ones(2)), why="W holds 3x3 kernels")
    expect_raises(conv1x1, (X, np.ones((2, 4, 1, 1)), np.ones(2)), why="W has C_in=4, X has 3")
    expect_raises(conv1x1, (X, np.ones((2, 3, 1, 1)), np.ones(3)), why="b has 3 entries, C_out=2")
    expect_raises(conv1x1, (np.ones((3, 4, 4)), np.ones((2, 3, 1, 1)), np.ones(2)), why="X is 3-D")


# --------------------------------------------------------------------------- conv_cost

NO_COUT = "the multiplications are missing the factor C_out: every filter costs its own products"
NO_AREA = "the multiplications are missing the kernel area kH*kW: each output sums C_in*kH*kW"
NO_BIAS = "the parameters are missing the biases: bias=True adds one bias per filter (C_out)"
EXTRA_BIAS = "bias=False: the layer has no biases, so do not count them"
INPUT_POSITIONS = (
    "the multiplications were counted over the input positions H*W; count them over the "
    "output positions H_out*W_out"
)
NO_SHARING = (
    "the parameters were multiplied by the number of output positions; the same filter "
    "(weight sharing) is used at every position"
)
NO_CIN = "the multiplications are missing the factor C_in: each filter spans all input channels"


def conv_cost_misconceptions(input_shape, C_out, kernel, stride, pad, bias):
    C_in, H, W = input_shape
    out, params, mults = ref.conv_cost(input_shape, C_out, kernel, stride, pad, bias)
    kH, kW = ref.pair("kernel", kernel)
    weights = C_out * C_in * kH * kW
    Ho, Wo = out[1:]
    variants = {
        NO_COUT: (out, params, mults // C_out),
        NO_AREA: (out, params, mults // (kH * kW)),
        NO_CIN: (out, params, mults // C_in),
        INPUT_POSITIONS: (out, params, H * W * weights),
        NO_SHARING: (out, params * Ho * Wo, mults),
    }
    if bias:
        variants[NO_BIAS] = (out, weights, mults)
    else:
        variants[EXTRA_BIAS] = (out, weights + C_out, mults)
    right = (out, params, mults)
    return right, {m: v for m, v in variants.items() if v != right}


def check_conv_cost_case(conv_cost, input_shape, C_out, kernel, stride=1, pad=0, bias=True):
    kwargs = {"stride": stride, "pad": pad, "bias": bias}
    right, misc = conv_cost_misconceptions(input_shape, C_out, kernel, stride, pad, bias)
    got = call(conv_cost, (input_shape, C_out, kernel), kwargs)
    if not isinstance(got, (tuple, list)) or len(got) != 3:
        raise CheckFailed(
            f"{signature(conv_cost, (input_shape, C_out, kernel), kwargs)} should return "
            f"(output_shape, params, mults), got {got!r}"
        )
    expect_equal(
        signature(conv_cost, (input_shape, C_out, kernel), kwargs), _tuple(got), right, misc
    )


def conv_cost_random(conv_cost):
    expect_own_work(conv_cost, SUMMARY_TOOL + CONV_LIBRARY)
    rng = _rng(611)
    kernels = [1, 3, 5, 7, 2, (1, 3), (3, 1), (5, 3), (1, 7)]
    done = 0
    while done < 40:
        C_in = int(rng.choice([1, 3, 16, 64, 96, 256, 512]))
        H, W = (int(v) for v in rng.integers(1, 60, size=2))
        C_out = int(rng.choice([1, 2, 8, 32, 64, 128, 384]))
        kernel = kernels[int(rng.integers(len(kernels)))]
        stride = int(rng.integers(1, 4)) if rng.random() < 0.7 else tuple(rng.integers(1, 4, 2))
        pad = int(rng.integers(0, 4))
        if isinstance(stride, tuple):
            stride = tuple(int(s) for s in stride)
        bias = bool(rng.random() < 0.6)
        kH, kW = ref.pair("kernel", kernel)
        if kH > H + 2 * pad or kW > W + 2 * pad:
            continue
        check_conv_cost_case(conv_cost, (C_in, H, W), C_out, kernel, stride, pad, bias)
        done += 1


def conv_cost_edge_cases(conv_cost):
    expect_own_work(conv_cost, SUMMARY_TOOL + CONV_LIBRARY)
    # kernel as large as the (padded) input: a single output position
    check_conv_cost_case(conv_cost, (16, 5, 5), 120, 5)
    check_conv_cost_case(conv_cost, (3, 6, 4), 2, (8, 6), pad=1, bias=False)
    # a 1x7 kernel with padding (0, 3) keeps the size (Inception-v3's factorized convolutions)
    check_conv_cost_case(conv_cost, (128, 17, 17), 192, (1, 7), pad=(0, 3))
    # VGG-sized layers: numbers beyond 2**32
    check_conv_cost_case(conv_cost, (512, 14, 14), 512, 3, pad=1)
    check_conv_cost_case(conv_cost, (256, 100, 100), 256, 3, pad=1, bias=False)
    # a 1x1 kernel with stride 2 (a ResNet projection)
    check_conv_cost_case(conv_cost, (64, 56, 56), 128, 1, stride=2, bias=False)
    # bad input
    expect_raises(conv_cost, ((3, 4, 4), 2, 5), why="a 5x5 kernel does not fit a 4x4 input")
    expect_raises(conv_cost, ((3, 4, 4), 0, 3), why="C_out must be positive")
    expect_raises(conv_cost, ((3, 8, 8), 2, 3), {"pad": -1}, why="pad must be >= 0")
    expect_raises(conv_cost, ((3, 8, 8), 2, 3), {"stride": 0}, why="stride must be >= 1")
    expect_raises(conv_cost, ((8, 8), 2, 3), why="input_shape must be (C, H, W)")


# --------------------------------------------------------------------------- bottleneck_cost


@graded_alone("bottleneck_cost", forbidden=SUMMARY_TOOL)
def bottleneck_cost_hidden(bottleneck_cost):
    cases = [
        ((256, 100, 100), 64, 256, 3),
        ((192, 28, 28), 16, 32, 5),
        ((512, 14, 14), 128, 512, 3),
        ((3, 32, 20), 8, 16, 3),
        ((1, 7, 9), 4, 2, 1),
        ((64, 13, 31), 32, 64, 7),
    ]
    for input_shape, C_mid, C_out, k in cases:
        right = ref.bottleneck_cost(input_shape, C_mid, C_out, k)
        direct, reduced, d_values, r_values = right
        C_in, H, W = input_shape
        misc = {
            "the bottleneck also costs the 1x1 reduction, H*W*C_in*C_mid multiplications": (
                direct,
                reduced - H * W * C_in * C_mid,
                d_values,
                r_values,
            ),
            "the bottleneck stores the C_mid-channel intermediate map as well as the output": (
                direct,
                reduced,
                d_values,
                d_values,
            ),
            "count the values the layers produce, not the input": (
                direct,
                reduced,
                d_values + C_in * H * W,
                r_values + C_in * H * W,
            ),
            NO_COUT: (direct // C_out, reduced, d_values, r_values),
        }
        misc = {m: v for m, v in misc.items() if v != right}
        label = signature(bottleneck_cost, (input_shape, C_mid, C_out, k))
        got = call(bottleneck_cost, (input_shape, C_mid, C_out, k))
        expect_equal(label, _tuple(got), right, misc)
    expect_raises(bottleneck_cost, ((16, 8, 8), 4, 16, 2), why="same padding needs an odd kernel")


# --------------------------------------------------------------------------- depthwise

SUMMED_CHANNELS = (
    "every output channel sums over all input channels: that is a normal convolution; "
    "a depthwise convolution filters channel c with kernel W[c] only"
)
FLIPPED = "the kernels were rotated by 180 degrees; layers compute cross-correlation (no flip)"


def depthwise_misconceptions(X, W, b, stride, pad):
    C = X.shape[1]
    right = ref.depthwise_conv2d(X, W, b, stride, pad)
    out = {
        SUMMED_CHANNELS: ref.conv2d(X, np.repeat(W[:, None], C, axis=1), b, stride, pad),
        FLIPPED: ref.depthwise_conv2d(X, W[:, ::-1, ::-1], b, stride, pad),
    }
    if np.any(b != 0):
        out["the bias b was not added (one bias per channel)"] = ref.depthwise_conv2d(
            X, W, 0 * b, stride, pad
        )
    if ref.pair("stride", stride) != (1, 1):
        out["the stride was ignored"] = ref.depthwise_conv2d(X, W, b, 1, pad)
    if ref.pair("pad", pad, 0) != (0, 0):
        kH, kW = W.shape[1:]
        if kH <= X.shape[2] and kW <= X.shape[3]:
            out["the padding was ignored"] = ref.depthwise_conv2d(X, W, b, stride, 0)
    return _distinct(right, out)


def check_depthwise_case(depthwise_conv2d, X, W, b, stride=1, pad=0):
    kwargs = {"stride": stride, "pad": pad}
    expect_array(
        signature(depthwise_conv2d, (X, W, b), kwargs),
        call(depthwise_conv2d, (X, W, b), kwargs),
        ref.depthwise_conv2d(X, W, b, stride, pad),
        depthwise_misconceptions(X, W, b, stride, pad),
    )


def depthwise_random(depthwise_conv2d):
    expect_own_work(depthwise_conv2d, CONV_LIBRARY)
    rng = _rng(621)
    cases = [  # (N, C, H, W), (kH, kW), stride, pad
        ((2, 3, 5, 5), (3, 3), 1, 0),
        ((3, 4, 7, 6), (3, 3), 1, 1),
        ((2, 2, 8, 9), (3, 3), 2, 1),
        ((2, 5, 6, 10), (2, 3), 1, 0),
        ((1, 3, 9, 7), (5, 5), 2, 2),
        ((4, 2, 5, 8), (1, 3), (1, 2), (0, 1)),
        ((2, 6, 4, 4), (3, 3), 3, 1),
    ]
    for shape, kernel, stride, pad in cases:
        X = _ints(rng, shape)
        W = _ints(rng, (shape[1], *kernel))
        b = _ints(rng, shape[1])
        check_depthwise_case(depthwise_conv2d, X, W, b, stride, pad)
    X, W, b = (
        rng.standard_normal((3, 8, 11, 9)),
        rng.standard_normal((8, 3, 3)),
        rng.standard_normal(8),
    )
    check_depthwise_case(depthwise_conv2d, X, W, b, 2, 1)


def depthwise_edge_cases(depthwise_conv2d):
    expect_own_work(depthwise_conv2d, CONV_LIBRARY)
    rng = _rng(622)
    # one channel: a depthwise convolution is an ordinary one
    check_depthwise_case(
        depthwise_conv2d, _ints(rng, (3, 1, 5, 4)), _ints(rng, (1, 3, 2)), _ints(rng, 1)
    )
    # kernel as large as the input, and as large as the padded input
    check_depthwise_case(
        depthwise_conv2d, _ints(rng, (2, 3, 4, 5)), _ints(rng, (3, 4, 5)), _ints(rng, 3)
    )
    check_depthwise_case(
        depthwise_conv2d, _ints(rng, (2, 2, 3, 3)), _ints(rng, (2, 5, 5)), _ints(rng, 2), 1, 1
    )
    # 1x1 kernels: each channel scaled by its own number
    check_depthwise_case(
        depthwise_conv2d, _ints(rng, (2, 4, 3, 5)), _ints(rng, (4, 1, 1)), _ints(rng, 4)
    )
    # bad input
    X = np.ones((2, 3, 5, 5))
    expect_raises(
        depthwise_conv2d, (X, np.ones((4, 3, 3)), np.ones(4)), why="4 kernels, 3 channels"
    )
    expect_raises(depthwise_conv2d, (X, np.ones((3, 3, 3)), np.ones(2)), why="b has 2 entries, C=3")
    expect_raises(
        depthwise_conv2d, (X, np.ones((3, 6, 6)), np.ones(3)), why="kernel larger than input"
    )
    expect_raises(
        depthwise_conv2d, (X, np.ones((3, 1, 3, 3)), np.ones(3)), why="W must be (C, kH, kW)"
    )


# --------------------------------------------------------------------------- separable


@graded_alone("separable_conv2d", forbidden=CONV_LIBRARY)
def separable_hidden(separable_conv2d):
    rng = _rng(631)
    cases = [  # (N, C_in, H, W), k, C_out, stride, pad
        ((2, 3, 5, 5), 3, 4, 1, 0),
        ((3, 1, 6, 7), 3, 2, 1, 1),
        ((2, 4, 9, 8), 3, 6, 2, 1),
        ((2, 5, 7, 4), 5, 5, 1, 2),
    ]
    for shape, k, C_out, stride, pad in cases:
        C_in = shape[1]
        X = _ints(rng, shape)
        W_dw, b_dw = _ints(rng, (C_in, k, k)), _ints(rng, C_in)
        W_pw, b_pw = _ints(rng, (C_out, C_in, 1, 1)), _ints(rng, C_out)
        args = (X, W_dw, b_dw, W_pw, b_pw)
        kwargs = {"stride": stride, "pad": pad}
        right = ref.separable_conv2d(*args, stride, pad)
        D = ref.depthwise_conv2d(X, W_dw, b_dw, stride, pad)
        misc = {
            SUMMED_CHANNELS: ref.conv1x1(
                ref.conv2d(X, np.repeat(W_dw[:, None], C_in, axis=1), b_dw, stride, pad),
                W_pw,
                b_pw,
            ),
            "the pointwise bias b_pw was not added": ref.conv1x1(D, W_pw, 0 * b_pw),
            "the depthwise bias b_dw was not added": ref.separable_conv2d(
                X, W_dw, 0 * b_dw, W_pw, b_pw, stride, pad
            ),
            "this is only the depthwise step; apply the pointwise 1x1 convolution to it": D,
        }
        expect_array(
            signature(separable_conv2d, args, kwargs),
            call(separable_conv2d, args, kwargs),
            right,
            _distinct(right, misc),
        )


@graded_alone("separable_cost", forbidden=SUMMARY_TOOL)
def separable_cost_hidden(separable_cost):
    rng = _rng(641)
    cases = [((3, 5, 5), 4, 3, 1, 0), ((3, 6, 6), 5, 3, 1, 0), ((32, 112, 112), 64, 3, 1, 1)]
    cases += [((512, 14, 14), 512, 3, 2, 1), ((1, 9, 4), 3, 3, 1, 1), ((8, 10, 13), 1, 5, 2, 0)]
    while len(cases) < 20:
        C_in, C_out = (int(v) for v in rng.choice([1, 2, 3, 16, 32, 64, 128], 2))
        H, W = (int(v) for v in rng.integers(3, 40, 2))
        k, stride, pad = (
            int(rng.choice([1, 3, 5])),
            int(rng.integers(1, 3)),
            int(rng.integers(0, 3)),
        )
        if k <= min(H, W) + 2 * pad:
            cases.append(((C_in, H, W), C_out, k, stride, pad))
    for input_shape, C_out, k, stride, pad in cases:
        right = ref.separable_cost(input_shape, C_out, k, stride, pad)
        sp, sm, dp, dm = right
        C_in = input_shape[0]
        (_, Ho, Wo), _, _ = ref.conv_cost(input_shape, C_out, k, stride, pad)
        misc = {
            "the depthwise step has one k x k kernel per channel (C_in*k*k weights), not "
            "C_in*C_in*k*k: it does not sum over channels": (
                sp,
                sm,
                C_in * C_in * k * k + C_out * C_in,
                Ho * Wo * C_in * C_in * k * k + Ho * Wo * C_out * C_in,
            ),
            "biases are not counted in this exercise (weights only)": (
                sp + C_out,
                sm,
                dp + C_in + C_out,
                dm,
            ),
            NO_COUT + " (in the pointwise step)": (
                sp,
                sm,
                dp,
                dm - Ho * Wo * C_out * C_in + Ho * Wo * C_in,
            ),
            "the multiplications are counted per output position; multiply by H_out*W_out": (
                sp,
                sm // (Ho * Wo),
                dp,
                dm // (Ho * Wo),
            ),
        }
        misc = {m: v for m, v in misc.items() if v != right}
        args = (input_shape, C_out, k)
        kwargs = {"stride": stride, "pad": pad}
        expect_equal(
            signature(separable_cost, args, kwargs),
            _tuple(call(separable_cost, args, kwargs)),
            right,
            misc,
        )


# --------------------------------------------------------------------------- inception

GOOGLENET = [  # input (C, H, W), #1x1, #3x3 reduce, #3x3, #5x5 reduce, #5x5, pool proj
    ((192, 28, 28), 64, 96, 128, 16, 32, 32),  # 3a
    ((256, 28, 28), 128, 128, 192, 32, 96, 64),  # 3b
    ((480, 14, 14), 192, 96, 208, 16, 48, 64),  # 4a
    ((512, 14, 14), 160, 112, 224, 24, 64, 64),  # 4b
    ((832, 7, 7), 384, 192, 384, 48, 128, 128),  # 5b
]


@graded_alone("inception_cost", forbidden=SUMMARY_TOOL)
def inception_hidden(inception_cost):
    rng = _rng(651)
    cases = list(GOOGLENET)
    for _ in range(6):
        C = int(rng.integers(1, 300))
        H, W = (int(v) for v in rng.integers(1, 30, 2))
        cases.append(((C, H, W), *(int(v) for v in rng.integers(1, 200, 6))))
    for input_shape, c1, c3r, c3, c5r, c5, cp in cases:
        args = (input_shape, c1, c3r, c3, c5r, c5, cp)
        right = ref.inception_cost(*args)
        shape, mults, naive = right
        C, H, W = input_shape
        HW = H * W
        misc = {
            "the output concatenates only the branch outputs (c1 + c3 + c5 + pool_proj), "
            "not the reduction layers": ((c1 + c3r + c3 + c5r + c5 + cp, H, W), mults, naive),
            "the pooling branch's output (pool_proj channels) is part of the concatenation": (
                (c1 + c3 + c5, H, W),
                mults,
                naive,
            ),
            "with the 1x1 reductions the pooling branch gives pool_proj channels, not C": (
                (c1 + c3 + c5 + C, H, W),
                mults,
                naive,
            ),
            "the 1x1 reduction layers cost multiplications too (H*W*C*c3_reduce and "
            "H*W*C*c5_reduce)": (shape, mults - HW * C * (c3r + c5r), naive),
            "the pool projection (1x1 after the pooling) costs H*W*C*pool_proj multiplications": (
                shape,
                mults - HW * C * cp,
                naive,
            ),
            "the naive module has no 1x1 after the pooling either (Figure 2a of the paper)": (
                shape,
                mults,
                naive + HW * C * cp,
            ),
            "max pooling costs no multiplications": (shape, mults + HW * C * 9, naive + HW * C * 9),
            "without reductions the 3x3 and 5x5 convolutions see all C input channels": (
                shape,
                mults,
                HW * (C * c1 + c3r * 9 * c3 + c5r * 25 * c5),
            ),
        }
        misc = {m: v for m, v in misc.items() if v != right}
        expect_equal(
            signature(inception_cost, args), _tuple(call(inception_cost, args)), right, misc
        )


# --------------------------------------------------------------------------- residual block

NO_FINAL_RELU = (
    "the block ends with ReLU(F(X) + shortcut): the final ReLU after the addition is missing"
)
RELU_BEFORE_ADD = (
    "the ReLU was applied before the addition; ResNet adds first: ReLU(F(X) + shortcut)"
)
NO_SHORTCUT = "the shortcut was not added: the output is ReLU(F(X) + shortcut)"
NO_INNER_RELU = "the ReLUs after the first two convolutions are missing"
STRIDE_FIRST = (
    "the stride was applied in the first 1x1 convolution; here it belongs to the 3x3 "
    "convolution (and the projection), as in torchvision's ResNet"
)
NO_PAD = "the 3x3 convolution needs padding 1 to keep the size"


def _block_variant(X, W1, b1, W2, b2, W3, b3, Ws, bs, stride, kind):
    relu = ref.relu
    inner = (lambda z: z) if kind == "no_inner" else relu
    s1, s3 = (stride, 1) if kind == "stride_first" else (1, stride)
    Z = inner(ref.conv1x1(X[:, :, ::s1, ::s1], W1, b1))
    Z = inner(ref.conv2d(Z, W2, b2, stride=s3, pad=1))
    Z = ref.conv1x1(Z, W3, b3)
    S = X if Ws is None else ref.conv1x1(X[:, :, ::stride, ::stride], Ws, bs)
    if kind == "no_final":
        return Z + S
    if kind == "before":
        return relu(Z) + S
    if kind == "no_shortcut":
        return relu(Z)
    return relu(Z + S)


def block_misconceptions(X, W1, b1, W2, b2, W3, b3, Ws=None, bs=None, stride=1):
    args = (X, W1, b1, W2, b2, W3, b3, Ws, bs, stride)
    right = ref.bottleneck_block(*args)
    out = {
        NO_FINAL_RELU: _block_variant(*args, "no_final"),
        RELU_BEFORE_ADD: _block_variant(*args, "before"),
        NO_SHORTCUT: _block_variant(*args, "no_shortcut"),
        NO_INNER_RELU: _block_variant(*args, "no_inner"),
    }
    if stride > 1:
        out[STRIDE_FIRST] = _block_variant(*args, "stride_first")
    if min(X.shape[2:]) >= 3:
        H_out, W_out = ((n - 3) // stride + 1 for n in X.shape[2:])
        out[NO_PAD] = np.zeros((X.shape[0], W3.shape[0], H_out, W_out))
    return right, _distinct(right, out)


def _block_weights(rng, C_in, C_mid, C_out, projection):
    w = {
        "W1": _ints(rng, (C_mid, C_in, 1, 1)),
        "b1": _ints(rng, C_mid),
        "W2": _ints(rng, (C_mid, C_mid, 3, 3)),
        "b2": _ints(rng, C_mid),
        "W3": _ints(rng, (C_out, C_mid, 1, 1)),
        "b3": _ints(rng, C_out),
    }
    if projection:
        w["Ws"], w["bs"] = _ints(rng, (C_out, C_in, 1, 1)), _ints(rng, C_out)
    return w


def check_block_case(bottleneck_block, X, w, stride=1):
    args = (X, w["W1"], w["b1"], w["W2"], w["b2"], w["W3"], w["b3"])
    kwargs = {"stride": stride}
    if "Ws" in w:
        kwargs = {"Ws": w["Ws"], "bs": w["bs"], "stride": stride}
    right, misc = block_misconceptions(*args, w.get("Ws"), w.get("bs"), stride)
    expect_array(
        signature(bottleneck_block, args, kwargs),
        call(bottleneck_block, args, kwargs),
        right,
        misc,
    )


@graded_alone("bottleneck_block")
def block_random(bottleneck_block):
    rng = _rng(661)
    cases = [  # (N, C_in, H, W), C_mid, C_out, projection, stride
        ((2, 4, 5, 6), 2, 4, False, 1),
        ((3, 8, 4, 7), 2, 8, False, 1),
        ((2, 3, 6, 5), 2, 6, True, 1),
        ((2, 4, 8, 8), 2, 8, True, 2),
        ((3, 1, 7, 5), 3, 4, True, 2),
        ((2, 6, 5, 9), 1, 6, False, 1),
    ]
    for shape, C_mid, C_out, projection, stride in cases:
        X = _ints(rng, shape)
        check_block_case(
            bottleneck_block, X, _block_weights(rng, shape[1], C_mid, C_out, projection), stride
        )
    X = rng.standard_normal((2, 8, 6, 7))
    w = {
        k: v * 0.5 + rng.standard_normal(v.shape)
        for k, v in _block_weights(rng, 8, 4, 16, True).items()
    }
    check_block_case(bottleneck_block, X, w, 2)


@graded_alone("bottleneck_block")
def block_edge_cases(bottleneck_block):
    rng = _rng(662)
    # 1x1 and 1x2 images; a one-channel bottleneck
    check_block_case(
        bottleneck_block, _ints(rng, (2, 3, 1, 1)), _block_weights(rng, 3, 1, 3, False)
    )
    check_block_case(
        bottleneck_block, _ints(rng, (2, 2, 1, 2)), _block_weights(rng, 2, 1, 5, True), 2
    )
    # bad input: an identity shortcut cannot change the channels or the size
    X = np.ones((2, 4, 6, 6))
    w = _block_weights(rng, 4, 2, 8, False)
    args = (X, w["W1"], w["b1"], w["W2"], w["b2"], w["W3"], w["b3"])
    expect_raises(bottleneck_block, args, why="identity shortcut but C_in=4, C_out=8")
    w = _block_weights(rng, 4, 2, 4, False)
    args = (X, w["W1"], w["b1"], w["W2"], w["b2"], w["W3"], w["b3"])
    expect_raises(bottleneck_block, args, {"stride": 2}, why="identity shortcut with stride 2")


# --------------------------------------------------------------------------- understanding


def understanding(answers):
    """Multiple-choice answers, keyed by question name."""
    right = {
        "q_one_channel": "b",
        "q_linear_stack": False,
        "q_resnet_filters": 128,
        "q_vgg_most_params": "b",
        "q_flops_ratio": "b",
    }
    wrong = [q for q, a in right.items() if not _same_answer(answers.get(q), a)]
    if wrong:
        raise CheckFailed(f"{len(wrong)} of {len(right)} answers are wrong: {', '.join(wrong)}")


def _same_answer(got, want):
    if isinstance(want, bool):
        return isinstance(got, (bool, np.bool_)) and bool(got) == want
    if isinstance(want, int):
        return isinstance(got, (int, np.integer)) and not isinstance(got, bool) and got == want
    return isinstance(got, str) and got.strip().lower() == want
