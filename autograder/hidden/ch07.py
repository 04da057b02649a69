"""Hidden tests for chapter 7, transposed and dilated convolutions, receptive fields."""

from __future__ import annotations

import numpy as np

from autograder.checks import (
    CheckFailed,
    call,
    describe,
    expect_array,
    expect_equal,
    expect_own_work_no_library,
    expect_raises,
)
from autograder.reference import ch07_transposed_dilated as ref
from cnnkit.conv import conv2d_backward, conv2d_forward

# Names whose use would skip an exercise (the student's own notebook functions of the
# same name are allowed by expect_own_work).
CONV_LIBRARY = (
    "conv_transpose2d",
    "conv_transpose2d_forward",
    "conv_transpose2d_backward",
    "dilated_conv2d_forward",
    "dilated_conv2d_backward",
    "conv2d_forward",
    "conv2d_backward",
    "conv2d",
    "im2col",
    "col2im",
    "im2col_dilated",
    "col2im_dilated",
    "convolve",
    "correlate",
    "convolve2d",
    "correlate2d",
    "fftconvolve",
    "ConvTranspose2d",
)
RF_LIBRARY = ("receptive_field_map",)


def _rng(seed):
    return np.random.default_rng(seed)


def _ints(rng, shape, low=-3, high=3):
    """Small integers as floats: exact arithmetic, so a misconception matches exactly."""
    return rng.integers(low, high + 1, size=shape).astype(float)


def _own_work(func, forbidden=CONV_LIBRARY):
    """Own work, with the convolution shortcuts forbidden unless said otherwise."""
    expect_own_work_no_library(func, forbidden)


def _distinct(expected, variants):
    """Drop misconceptions that coincide with the right answer (or are empty) on this case."""
    expected = np.asarray(expected)
    out = {}
    for message, variant in variants.items():
        variant = np.asarray(variant)
        if variant.size == 0:
            continue
        if variant.shape != expected.shape or not np.allclose(variant, expected):
            out[message] = variant
    return out


class _Summary:
    """A result shown by shapes, so that a check message stays on one short line."""

    def __init__(self, value):
        self.value = value

    def __repr__(self):
        if isinstance(self.value, (tuple, list)):
            return "(" + ", ".join(describe(v) for v in self.value) + ")"
        return describe(self.value)


def _expect_raises(func, args, why, kwargs=None):
    def summarized(*a, **k):
        return _Summary(func(*a, **k))

    summarized.__name__ = getattr(func, "__name__", "function")
    expect_raises(summarized, args, kwargs, why=why)


def _pair(label, got):
    if not isinstance(got, (tuple, list)) or len(got) != 2:
        raise CheckFailed(f"{label} should return a pair (out, cache), got {type(got).__name__}")
    return got


def _triple(label, got):
    if not isinstance(got, (tuple, list)) or len(got) != 3:
        raise CheckFailed(f"{label} should return three arrays (dX, dW, db)")
    return got


# ------------------------------------------------------------------- output size


def _size_variants(i, k, s, p, a):
    return {
        "this is the size formula of an ordinary convolution, (i + 2p - k) // s + 1; a "
        "transposed convolution maps the other way: o = s(i - 1) + k - 2p + a": (i + 2 * p - k) // s
        + 1,
        "the padding sign is inverted: a transposed convolution removes p from each end, "
        "o = s(i - 1) + k - 2p + a": s * (i - 1) + k + 2 * p + a,
        "the padding is removed from both ends: subtract 2p, not p": s * (i - 1) + k - p + a,
        "the output padding was ignored: add a once, at the end": s * (i - 1) + k - 2 * p,
        "the output padding is added once (at the bottom and right), not on both sides": s * (i - 1)
        + k
        - 2 * p
        + 2 * a,
        "i inputs are s(i - 1) apart from first to last, not s*i: o = s(i - 1) + k - 2p + a": s * i
        + k
        - 2 * p
        + a,
    }


def _check_size(f, i, k, s, p, a):
    want = s * (i - 1) + k - 2 * p + a
    # Two mistakes can give the same number on one case: name both rather than guess.
    by_value = {}
    for message, value in _size_variants(i, k, s, p, a).items():
        if value != want:
            by_value.setdefault(value, []).append(message)
    variants = {"; or ".join(messages): value for value, messages in by_value.items()}
    args = (i, k, s, p, a)
    expect_equal(f"transposed_output_size{args}", call(f, args), want, variants)


def output_size_random(transposed_output_size):
    _own_work(transposed_output_size, ())
    rng = _rng(701)
    count = 0
    while count < 60:
        i, k = int(rng.integers(1, 12)), int(rng.integers(1, 8))
        s = int(rng.integers(1, 5))
        p, a = int(rng.integers(0, 4)), int(rng.integers(0, s))
        if s * (i - 1) + k - 2 * p + a < 1:
            continue
        _check_size(transposed_output_size, i, k, s, p, a)
        count += 1
    # keyword arguments with their documented names and defaults
    expect_equal(
        "transposed_output_size(7, 3)",
        call(transposed_output_size, (7, 3)),
        9,
        {"the defaults are stride=1, pad=0, output_padding=0": 7},
    )
    expect_equal(
        "transposed_output_size(7, 4, stride=2, pad=1)",
        call(transposed_output_size, (7, 4), {"stride": 2, "pad": 1}),
        14,
    )


def output_size_edge_cases(transposed_output_size):
    _own_work(transposed_output_size, ())
    for args in [
        (1, 5, 1, 0, 0),
        (1, 1, 3, 0, 2),
        (4, 1, 3, 0, 0),
        (2, 7, 2, 3, 1),
        (1, 3, 1, 1, 0),
    ]:
        _check_size(transposed_output_size, *args)
    bad = [
        ((3, 3, 2, 0, 2), "output_padding must be < stride"),
        ((3, 3, 1, 0, 1), "output_padding must be < stride (1)"),
        ((1, 2, 1, 1, 0), "the output would be empty: s(i-1) + k - 2p + a = 0"),
        ((2, 3, 1, 3, 0), "the output would be empty"),
        ((0, 3, 1, 0, 0), "i must be >= 1"),
        ((3, 0, 1, 0, 0), "k must be >= 1"),
        ((3, 3, 0, 0, 0), "stride must be >= 1"),
        ((3, 3, 1, -1, 0), "pad must be >= 0"),
        ((3, 3, 2, 0, -1), "output_padding must be >= 0"),
        ((3.0, 3, 1, 0, 0), "i must be an integer"),
        ((3, 2.5, 1, 0, 0), "k must be an integer"),
        ((3, 3, True, 0, 0), "stride must be an integer, not a bool"),
    ]
    for args, why in bad:
        _expect_raises(transposed_output_size, args, why)


# -------------------------------------------------------------- transposed, forward


def _transposed_case(rng, N, C_in, C_out, H, Wd, kH, kW, ints=True):
    make = (lambda s: _ints(rng, s)) if ints else rng.standard_normal
    return make((N, C_in, H, Wd)), make((C_in, C_out, kH, kW)), make((C_out,))


def _check_transposed(f, X, W, b, stride, pad, a=None, loops=False):
    args = (X, W, b, stride, pad) if a is None else (X, W, b, stride, pad, a)
    label = f"{f.__name__}(X{X.shape}, W{W.shape}, b, stride={stride}, pad={pad}" + (
        ")" if a is None else f", output_padding={a})"
    )
    got = call(f, args, label=label)
    if not loops:
        got = _pair(label, got)[0]
        label += "[0]"
    want = ref.transposed_conv2d(X, W, b, stride, pad, a or 0)[0]
    variants = ref.transposed_variants(X, W, b, stride, pad, a or 0)
    expect_array(label, got, want, _distinct(want, variants))


# N, C_in, C_out, H, W, kH, kW, stride, pad, output_padding
_TRANSPOSED_CASES = [
    (2, 1, 1, 3, 3, 3, 3, 1, 0, 0),
    (2, 2, 2, 3, 4, 2, 3, 1, 1, 0),
    (2, 3, 2, 4, 3, 3, 3, 2, 0, 0),
    (1, 2, 3, 3, 4, 4, 4, 2, 1, 0),
    (3, 2, 2, 2, 5, 2, 3, 3, 0, 0),
    (2, 2, 1, 4, 4, 5, 5, 2, 2, 0),
    (1, 3, 2, 5, 2, 3, 2, 1, 1, 0),
    (2, 2, 2, 3, 3, 3, 3, 3, 1, 0),
    (2, 1, 3, 4, 5, 4, 2, 2, 0, 0),
]
_OUTPUT_PADDING_CASES = [
    (2, 2, 3, 3, 3, 3, 3, 2, 1, 1),
    (1, 3, 2, 4, 2, 4, 4, 3, 1, 2),
    (2, 2, 2, 3, 4, 3, 2, 2, 0, 1),
    (2, 1, 2, 2, 3, 5, 5, 3, 2, 1),
]


def transposed_loops_random(transposed_conv2d_loops):
    _own_work(transposed_conv2d_loops)
    rng = _rng(711)
    for N, C_in, C_out, H, Wd, kH, kW, s, p, _ in _TRANSPOSED_CASES:
        X, W, b = _transposed_case(rng, N, C_in, C_out, H, Wd, kH, kW)
        _check_transposed(transposed_conv2d_loops, X, W, b, s, p, loops=True)
    X, W, b = _transposed_case(rng, 2, 2, 3, 3, 4, 3, 3, ints=False)
    _check_transposed(transposed_conv2d_loops, X, W, b, 2, 1, loops=True)


def transposed_random(transposed_conv2d):
    _own_work(transposed_conv2d)
    rng = _rng(721)
    for N, C_in, C_out, H, Wd, kH, kW, s, p, a in _TRANSPOSED_CASES + _OUTPUT_PADDING_CASES:
        X, W, b = _transposed_case(rng, N, C_in, C_out, H, Wd, kH, kW)
        _check_transposed(transposed_conv2d, X, W, b, s, p, a)
    for _ in range(3):
        X, W, b = _transposed_case(rng, 2, 3, 2, 5, 4, 3, 3, ints=False)
        _check_transposed(transposed_conv2d, X, W, b, 2, 1, 1)
    # the cache
    X, W, b = _transposed_case(rng, 1, 2, 2, 3, 3, 3, 3)
    label = "transposed_conv2d(X, W, b, 2, 1, 1)[1] (the cache)"
    _, cache = _pair(label, call(transposed_conv2d, (X, W, b, 2, 1, 1)))
    if not isinstance(cache, (tuple, list)) or len(cache) != 6:
        raise CheckFailed(f"{label} must be (X, W, b, stride, pad, output_padding)")
    for name, got, want in zip(("X", "W", "b"), cache[:3], (X, W, b), strict=True):
        expect_array(f"{label}: {name}", got, want)
    expect_equal(f"{label}: (stride, pad, output_padding)", tuple(cache[3:]), (2, 1, 1))


def transposed_edge_cases(transposed_conv2d):
    _own_work(transposed_conv2d)
    rng = _rng(731)
    cases = [
        (2, 2, 3, 1, 1, 3, 3, 2, 0, 0),  # one input pixel: the output is the kernel
        (2, 3, 2, 3, 4, 1, 1, 2, 0, 1),  # 1x1 kernel: inputs spread out, zeros between
        (1, 2, 2, 5, 5, 3, 3, 2, 3, 0),  # padding larger than k - 1: a crop
        (2, 1, 1, 4, 4, 2, 2, 2, 0, 0),  # k = s: stamps tile the output exactly
        (1, 2, 2, 2, 2, 4, 4, 1, 2, 0),  # the output is a single pixel
    ]
    for N, C_in, C_out, H, Wd, kH, kW, s, p, a in cases:
        X, W, b = _transposed_case(rng, N, C_in, C_out, H, Wd, kH, kW)
        _check_transposed(transposed_conv2d, X, W, b, s, p, a)
    # the convolution's dX, with the output padding that restores the input size
    for n, k, s, p in [(7, 3, 2, 1), (8, 3, 2, 1), (9, 4, 3, 1)]:
        X = rng.standard_normal((2, 3, n, n))
        W = rng.standard_normal((2, 3, k, k))  # the convolution's (C_out, C_in, k, k)
        Y, conv_cache = conv2d_forward(X, W, np.zeros(2), stride=s, pad=p)
        dout = rng.standard_normal(Y.shape)
        a = (n + 2 * p - k) % s
        dX = conv2d_backward(dout, conv_cache)[0]
        got = _pair("transposed_conv2d", call(transposed_conv2d, (dout, W, np.zeros(3), s, p, a)))
        expect_array(
            f"transposed_conv2d(dout, W, 0, {s}, {p}, {a}) (the dX of a convolution {n}x{n})",
            got[0],
            dX,
        )
    X, W, b = np.ones((1, 2, 3, 3)), np.ones((2, 3, 3, 3)), np.zeros(3)
    bad = [
        ((np.ones((2, 3, 3)), W, b), "X must be 4-D"),
        ((X, np.ones((2, 3, 3)), b), "W must be 4-D"),
        ((X, np.ones((3, 3, 3, 3)), b), "W's first axis must be the 2 channels of X"),
        ((X, W, np.zeros(2)), "b must have shape (3,)"),
        ((X, W, b, 2, 0, 2), "output_padding must be < stride"),
        ((X, W, b, 1, 3), "the output would be empty"),
    ]
    for args, why in bad:
        _expect_raises(transposed_conv2d, args, why)


# ------------------------------------------------------------- transposed, backward


def _check_transposed_backward(f, X, W, b, stride, pad, a, dout):
    cache = (X, W, b, stride, pad, a)
    label = (
        f"transposed_conv2d_backward(dout{dout.shape}, cache with X{X.shape}, W{W.shape}, "
        f"stride={stride}, pad={pad}, output_padding={a})"
    )
    got = _triple(label, call(f, (dout, cache), label=label))
    want, mis = ref.transposed_backward_variants(dout, cache)
    for index, part in enumerate(("dX", "dW", "db")):
        expect_array(
            f"{part} from {label}", got[index], want[part], _distinct(want[part], mis[part])
        )


def transposed_backward_random(transposed_conv2d_backward):
    _own_work(transposed_conv2d_backward)
    rng = _rng(741)
    cases = _TRANSPOSED_CASES + _OUTPUT_PADDING_CASES
    for index, (N, C_in, C_out, H, Wd, kH, kW, s, p, a) in enumerate(cases):
        ints = index < len(cases) - 2
        X, W, b = _transposed_case(rng, N, C_in, C_out, H, Wd, kH, kW, ints)
        out = ref.transposed_conv2d(X, W, b, s, p, a)[0]
        dout = _ints(rng, out.shape) if ints else rng.standard_normal(out.shape)
        _check_transposed_backward(transposed_conv2d_backward, X, W, b, s, p, a, dout)
    X, W, b = _transposed_case(rng, 2, 2, 3, 3, 3, 3, 3)
    cache = (X, W, b, 2, 1, 1)  # output (2, 3, 6, 6)
    for bad in [(2, 3, 5, 5), (2, 3, 7, 7), (2, 2, 6, 6), (3, 6, 6)]:
        _expect_raises(
            transposed_conv2d_backward,
            (np.ones(bad), cache),
            f"the forward output has shape (2, 3, 6, 6), dout has shape {bad}",
        )


# ------------------------------------------------------------------------ dilated


def _dilated_case(rng, N, C, C_out, H, Wd, kH, kW, ints=True):
    make = (lambda s: _ints(rng, s)) if ints else rng.standard_normal
    return make((N, C, H, Wd)), make((C_out, C, kH, kW)), make((C_out,))


def _check_dilated(f, X, W, b, stride, pad, dilation):
    label = f"dilated_conv2d(X{X.shape}, W{W.shape}, b, {stride}, {pad}, dilation={dilation})"
    got = _pair(label, call(f, (X, W, b, stride, pad, dilation), label=label))
    want = ref.dilated_conv2d(X, W, b, stride, pad, dilation)[0]
    variants = ref.dilated_variants(X, W, b, stride, pad, dilation)
    expect_array(f"{label}[0]", got[0], want, _distinct(want, variants))


# N, C, C_out, H, W, kH, kW, stride, pad, dilation
_DILATED_CASES = [
    (2, 1, 1, 7, 7, 3, 3, 1, 0, 2),
    (2, 3, 2, 9, 8, 3, 3, 1, 2, 2),
    (1, 2, 3, 10, 9, 3, 2, 2, 1, 3),
    (3, 2, 2, 11, 11, 2, 2, 1, 0, 4),
    (2, 2, 2, 8, 7, 3, 3, 2, 2, 2),
    (2, 3, 1, 6, 6, 3, 3, 1, 1, 1),
    (1, 2, 2, 12, 10, 4, 3, 3, 3, 2),
    (2, 1, 3, 9, 9, 3, 3, 1, 4, 4),
]


def dilated_random(dilated_conv2d):
    _own_work(dilated_conv2d)
    rng = _rng(751)
    for N, C, C_out, H, Wd, kH, kW, s, p, d in _DILATED_CASES:
        X, W, b = _dilated_case(rng, N, C, C_out, H, Wd, kH, kW)
        _check_dilated(dilated_conv2d, X, W, b, s, p, d)
    X, W, b = _dilated_case(rng, 2, 3, 2, 9, 10, 3, 3, ints=False)
    _check_dilated(dilated_conv2d, X, W, b, 2, 1, 2)


def dilated_edge_cases(dilated_conv2d):
    _own_work(dilated_conv2d)
    rng = _rng(761)
    cases = [
        (2, 2, 2, 5, 5, 3, 3, 1, 0, 2),  # the dilated kernel just fits: one output
        (2, 2, 3, 4, 5, 1, 1, 1, 0, 3),  # a 1x1 kernel: dilation changes nothing
        (1, 1, 1, 3, 3, 3, 3, 1, 2, 2),  # padding makes room for the span
        (2, 2, 2, 9, 4, 3, 1, 2, 0, 3),  # kernel 3x1: dilation along the rows only
    ]
    for N, C, C_out, H, Wd, kH, kW, s, p, d in cases:
        X, W, b = _dilated_case(rng, N, C, C_out, H, Wd, kH, kW)
        _check_dilated(dilated_conv2d, X, W, b, s, p, d)
    X, W, b = np.ones((1, 2, 5, 5)), np.ones((3, 2, 3, 3)), np.zeros(3)
    bad = [
        ((X, W, b, 1, 0, 3), "a 3x3 kernel with dilation 3 spans 7x7, the input is 5x5"),
        ((X, W, b, 1, 0, 0), "dilation must be >= 1"),
        ((X, W, b, 1, 0, 1.5), "dilation must be an integer"),
        ((X, W, b, 0, 0, 1), "stride must be >= 1"),
        ((X, W, b, 1, -1, 1), "pad must be >= 0"),
        ((np.ones((2, 5, 5)), W, b), "X must be 4-D"),
        ((X, np.ones((3, 3, 3, 3)), b), "W must have C_in = 2"),
        ((X, W, np.zeros(2)), "b must have shape (3,)"),
    ]
    for args, why in bad:
        _expect_raises(dilated_conv2d, args, why)


def _check_dilated_backward(f, X, W, b, stride, pad, dilation, dout):
    cache = (X, W, b, stride, pad, dilation)
    label = (
        f"dilated_conv2d_backward(dout{dout.shape}, cache with X{X.shape}, W{W.shape}, "
        f"stride={stride}, pad={pad}, dilation={dilation})"
    )
    got = _triple(label, call(f, (dout, cache), label=label))
    want, mis = ref.dilated_backward_variants(dout, cache)
    for index, part in enumerate(("dX", "dW", "db")):
        expect_array(
            f"{part} from {label}", got[index], want[part], _distinct(want[part], mis[part])
        )


def dilated_backward_random(dilated_conv2d_backward):
    _own_work(dilated_conv2d_backward)
    rng = _rng(771)
    for index, (N, C, C_out, H, Wd, kH, kW, s, p, d) in enumerate(_DILATED_CASES):
        ints = index < len(_DILATED_CASES) - 2
        X, W, b = _dilated_case(rng, N, C, C_out, H, Wd, kH, kW, ints)
        out = ref.dilated_conv2d(X, W, b, s, p, d)[0]
        dout = _ints(rng, out.shape) if ints else rng.standard_normal(out.shape)
        _check_dilated_backward(dilated_conv2d_backward, X, W, b, s, p, d, dout)
    X, W, b = _dilated_case(rng, 2, 2, 3, 7, 7, 3, 3)
    cache = (X, W, b, 1, 0, 2)  # output (2, 3, 3, 3)
    for bad in [(2, 3, 5, 5), (2, 3, 4, 3), (2, 2, 3, 3), (3, 3, 3)]:
        _expect_raises(
            dilated_conv2d_backward,
            (np.ones(bad), cache),
            f"the forward output has shape (2, 3, 3, 3), dout has shape {bad}",
        )


# -------------------------------------------------------------------- receptive field


def _rf_variants(layers):
    """{message: wrong list} for the receptive-field calculator's named mistakes."""

    def run(step):
        out, r, jump = [], 1, 1
        for layer in layers:
            k, s = layer[0], layer[1]
            d = layer[2] if len(layer) == 3 else 1
            r, jump = step(r, jump, k, s, d)
            out.append(r)
        return out

    return {
        "the product of strides included the layer's own stride; use the earlier layers' "
        "strides only": run(lambda r, j, k, s, d: (r + (k - 1) * d * j * s, j * s)),
        "the strides were ignored: a unit after a stride-2 layer is 2 input pixels from its "
        "neighbour": run(lambda r, j, k, s, d: (r + (k - 1) * d, 1)),
        "a dilation gap of d instead of d - 1: a dilated kernel spans (k - 1) d + 1 pixels, "
        "so it adds (k - 1) d": run(lambda r, j, k, s, d: (r + (k - 1) * (d + 1) * j, j * s)),
        "the dilation was ignored": run(lambda r, j, k, s, d: (r + (k - 1) * j, j * s)),
        "the strides were added instead of multiplied": run(
            lambda r, j, k, s, d: (r + (k - 1) * d * j, j + s - 1)
        ),
        "the kernel sizes were added up: each layer adds k - 1, not k": run(
            lambda r, j, k, s, d: (r + k * d * j, j * s)
        ),
    }


def _check_rf(f, layers, as_list=True):
    want = ref.receptive_field(layers)
    by_value = {}
    for message, value in _rf_variants(layers).items():
        if value != want:
            by_value.setdefault(tuple(value), []).append(message)
    variants = {"; or ".join(messages): value for value, messages in by_value.items()}
    arg = layers if as_list else tuple(layers)
    label = f"receptive_field({describe(arg) if len(repr(arg)) > 60 else repr(arg)})"
    got = call(f, (arg,), label=label)
    if isinstance(got, np.ndarray):
        got = got.tolist()
    if isinstance(got, (list, tuple)) and len(got) == len(want) + 1 and list(got[1:]) == want:
        raise CheckFailed(f"{label}: return r_1 .. r_L, one per layer, without r_0 = 1")
    expect_equal(label, got, tuple(want), variants)


def receptive_field_random(receptive_field):
    _own_work(receptive_field, RF_LIBRARY)
    rng = _rng(781)
    for _ in range(25):
        layers = []
        for _ in range(int(rng.integers(1, 8))):
            k, s = int(rng.integers(1, 6)), int(rng.integers(1, 4))
            if rng.random() < 0.4:
                layers.append((k, s, int(rng.integers(1, 5))))
            else:
                layers.append((k, s))
        _check_rf(receptive_field, layers)
    _check_rf(receptive_field, [[3, 1], [2, 2], [3, 1, 2]])  # lists work as well as tuples
    _check_rf(receptive_field, [(7, 2), (3, 2)] + [(3, 1)] * 4, as_list=False)
    expect_equal("receptive_field([])", call(receptive_field, ([],)), ())
    for layers, why in [
        ([(3,)], "a layer needs a kernel and a stride"),
        ([(3, 1, 1, 1)], "a layer has at most (kernel, stride, dilation)"),
        ([(0, 1)], "kernel must be >= 1"),
        ([(3, 0)], "stride must be >= 1"),
        ([(3, 1, 0)], "dilation must be >= 1"),
        ([(3.5, 1)], "kernel must be an integer"),
        ([3], "a layer must be a tuple (kernel, stride[, dilation])"),
    ]:
        _expect_raises(receptive_field, (layers,), why)


# ------------------------------------------------------------------ understanding

_RIGHT = {
    "q_undoes": False,
    "q_even_kernel": "b",
    "q_dilated_weights": 36864,
    "q_stack_rf": 31,
    "q_transposed_size": "b",
}
# A misconception worth naming when a student holds it.
_WHY = {
    "q_undoes": "the transposed convolution does not undo the convolution: it restores "
    "the shape, not the values (it multiplies by M^T, not by M^-1)",
}


def _same_answer(got, want):
    if isinstance(want, bool):
        return isinstance(got, (bool, np.bool_)) and bool(got) == want
    if isinstance(want, int):
        return isinstance(got, (int, np.integer)) and not isinstance(got, bool) and got == want
    return isinstance(got, str) and got.strip().lower() == want


def understanding(answers):
    """Answers keyed by question name; a wrong one is named with a hint."""
    wrong = [q for q, a in _RIGHT.items() if not _same_answer(answers.get(q), a)]
    if wrong:
        hints = "".join(f"; {q}: {_WHY[q]}" for q in wrong if q in _WHY)
        raise CheckFailed(
            f"{len(wrong)} of {len(_RIGHT)} answers are wrong: {', '.join(wrong)}{hints}"
        )
