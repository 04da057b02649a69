"""Hidden tests for chapter 2, Padding and stride."""

from __future__ import annotations

import functools
import inspect
import math

import numpy as np

from autograder.checks import (
    CheckFailed,
    call,
    expect_array,
    expect_equal,
    expect_own_work,
    expect_raises,
    names_used,
    reference_helpers,
    reference_helpers_for_this_check,
    signature,
)
from autograder.reference import ch02_padding_stride as ref
from autograder.static import static_view

# Library calls that would skip a convolution exercise (NumPy, SciPy, PyTorch, cnnkit).
CONV_LIBRARY = (
    "convolve",
    "correlate",
    "correlate2d",
    "convolve2d",
    "fftconvolve",
    "oaconvolve",
    "conv2d",
    "conv2d_forward",
    "unfold",
    "im2col",
    "col2im",
)
# Window tricks: fine for im2col, not for the exercises that are about loops.
WINDOW_TRICKS = ("sliding_window_view", "as_strided")
# Packages a graded function must not use: the course's own helpers and other libraries
# that already implement the layer.
FOREIGN_PACKAGES = ("cnnkit", "autograder", "torch", "scipy", "tensorflow", "jax")


def _rng(seed):
    return np.random.default_rng(seed)


def _ints(rng, shape):
    """Small integers as floats: exact arithmetic, so a misconception matches exactly."""
    return rng.integers(-4, 5, size=shape).astype(float)


def _foreign(obj):
    """The foreign package ``obj`` (a module, function or class) comes from, or None."""
    if inspect.ismodule(obj):
        origin = obj.__name__
    else:
        origin = getattr(obj, "__module__", None)
    if not isinstance(origin, str):
        return None
    top = origin.split(".")[0]
    return top if top in FOREIGN_PACKAGES else None


def own_work(func, forbidden=()):
    """``expect_own_work`` plus: no object from cnnkit/torch/scipy under any alias."""
    expect_own_work(func, forbidden)
    name = getattr(func, "__name__", "function")
    for used in sorted(names_used(func)):
        obj = static_view(func).__globals__.get(used)
        package = _foreign(obj) if obj is not None else None
        if package:
            raise CheckFailed(
                f"{name} uses {used} from {package}; this exercise asks you to write it with NumPy"
            )


# The earlier exercises that later ones may call. While a later function is graded, the
# student's versions are swapped for these, so that one mistake costs points only once.
HELPERS = {"pad2d": ref.pad2d, "conv_output_size": ref.conv_output_size, "im2col": ref.im2col}


def alone(func):
    """Visible graded cell: ``func`` calls the reference helpers for the rest of the check."""
    basics = ("pad2d", "conv_output_size")
    uses = {
        "corr2d": basics,
        "conv_forward_naive": basics,
        "im2col": basics,
        "conv_forward_im2col": (*basics, "im2col"),
    }
    names = uses.get(getattr(func, "__name__", ""), ())
    reference_helpers_for_this_check(func, {name: HELPERS[name] for name in names})


def _alone(func, helpers):
    """The notebook's ``helpers`` (names) swapped for the reference versions while grading."""
    return reference_helpers(func, {name: HELPERS[name] for name in helpers})


def graded_alone(*helpers, forbidden=None):
    """Decorate a hidden test: own-work check first, then the cases with correct helpers.

    The own-work check must see the student's own helpers (they may hide a forbidden
    call); the value checks then run with ``HELPERS`` in place of the student's.
    """

    def decorate(body):
        @functools.wraps(body)
        def check(func):
            if forbidden is not None:
                own_work(func, forbidden)
            with _alone(func, helpers):
                return body(func)

        return check

    return decorate


def _merge_by_shape(misconceptions, expected_shape):
    """Join the messages of wrong answers that share a (wrong) shape.

    ``expect_shape`` names the first misconception whose shape matches; when two
    mistakes give the same shape, the student should hear both.
    """
    out, by_shape = {}, {}
    for message, variant in misconceptions.items():
        shape = np.shape(variant)
        if shape == tuple(expected_shape):
            out[message] = variant
        else:
            by_shape.setdefault(shape, []).append((message, variant))
    for group in by_shape.values():
        message = group[0][0] if len(group) == 1 else "; or ".join(m for m, _ in group)
        out[message] = group[0][1]
    return out


def _merge_by_value(misconceptions):
    """Join the messages of wrong numbers that coincide (e.g. 3 is both off by one and ...)."""
    groups = {}
    for message, value in misconceptions.items():
        groups.setdefault(value, []).append(message)
    return {"; or ".join(messages): value for value, messages in groups.items()}


def _try(func, *args, **kwargs):
    """``func(*args, **kwargs)``, or None where the wrong setting is not even possible."""
    try:
        return func(*args, **kwargs)
    except ValueError:
        return None


def _add(misc, message, value):
    if value is not None:
        misc[message] = value


# ---------------------------------------------------------------------------- pad2d


def _pad_misconceptions(X, pad, value):
    misc = {}
    lead = [(0, 0)] * (X.ndim - 2)
    if pad > 0:
        if X.ndim == 4:
            misc["only H and W are padded; N (images) and C (channels) stay as they are"] = np.pad(
                X, pad, constant_values=value
            )
        misc["pad on both sides: pad rows above AND below, pad columns left AND right"] = np.pad(
            X, [*lead, (pad, 0), (pad, 0)], constant_values=value
        )
        misc["only the rows (H) were padded; pad the columns (W) too"] = np.pad(
            X, [*lead, (pad, pad), (0, 0)], constant_values=value
        )
        misc["only the columns (W) were padded; pad the rows (H) too"] = np.pad(
            X, [*lead, (0, 0), (pad, pad)], constant_values=value
        )
        if value != 0:
            misc[f"the border must be filled with value={value}, not with zeros"] = np.pad(
                X, [*lead, (pad, pad), (pad, pad)]
            )
    return misc


def check_pad2d_case(pad2d, X, pad, value):
    want = ref.pad2d(X, pad, value)
    kwargs = {"value": value}
    expect_array(
        signature(pad2d, (X, pad), kwargs),
        call(pad2d, (X, pad), kwargs),
        want,
        _merge_by_shape(_pad_misconceptions(X, pad, value), want.shape),
    )


def pad2d_random(pad2d):
    own_work(pad2d, forbidden=("pad",))
    rng = _rng(1101)
    for shape in [(4, 4), (3, 5), (6, 2), (2, 3, 4, 4), (1, 2, 3, 5), (3, 1, 5, 2)]:
        for pad, value in [(1, 0), (2, 1.0), (3, -2.5)]:
            check_pad2d_case(pad2d, _ints(rng, shape), pad, value)


def pad2d_edge_cases(pad2d):
    rng = _rng(1102)
    # pad = 0: the same values back
    check_pad2d_case(pad2d, _ints(rng, (3, 4)), 0, 7.0)
    check_pad2d_case(pad2d, _ints(rng, (2, 2, 3, 3)), 0, 0)
    # one image of one channel, float64 values that must not be rounded
    check_pad2d_case(pad2d, rng.standard_normal((1, 1, 3, 2)), 2, 0.25)
    check_pad2d_case(pad2d, rng.standard_normal((5, 7)), 1, np.pi)
    # a single pixel
    check_pad2d_case(pad2d, np.array([[3.0]]), 2, -1)
    # default value is zero
    X = _ints(rng, (2, 3))
    expect_array(signature(pad2d, (X, 1)), call(pad2d, (X, 1)), ref.pad2d(X, 1))
    expect_raises(pad2d, (np.ones((3, 3)), -1), why="pad must not be negative")
    expect_raises(pad2d, (np.ones((3, 3)), 1.5), why="pad must be an integer")
    expect_raises(pad2d, (np.ones((2, 3, 3)), 1), why="X must be 2-D (H, W) or 4-D (N, C, H, W)")


# ------------------------------------------------------------------ conv_output_size


def _size_misconceptions(n, k, pad, stride, dilation):
    span = ref.effective_kernel(k, dilation)
    top = n + 2 * pad - span
    misc = {}
    if stride != 2:
        misc["the divisor is the stride s, not 2 (a misprint in some notes)"] = top // 2 + 1
    misc["off by one: add 1 after the floor division"] = top // stride
    misc["off by one: floor((n + 2p - k)/s) + 1, not + 2"] = top // stride + 2
    if stride > 1:
        misc["the stride was ignored: divide n + 2p - k by s"] = top + 1
    if pad > 0:
        misc["padding goes on both sides: n + 2p, not n + p"] = (n + pad - span) // stride + 1
    if top % stride:
        misc["round down (floor): a kernel position must fit entirely"] = -(-top // stride) + 1
    # a float, even 4.0, is the mark of true division
    misc["use floor division //: the output size is a whole number"] = top / stride + 1
    if dilation > 1:
        misc["a dilated kernel spans d(k-1)+1 cells, not k"] = (n + 2 * pad - k) // stride + 1
        misc["a dilated kernel spans d(k-1)+1 cells, not d*k"] = (
            n + 2 * pad - dilation * k
        ) // stride + 1
    return _merge_by_value(misc)


SIZE_CASES = [
    # (n, k, pad, stride, dilation)
    (7, 3, 1, 2, 1),
    (5, 3, 0, 2, 1),
    (5, 3, 0, 1, 1),
    (32, 5, 0, 1, 1),
    (32, 5, 2, 1, 1),
    (28, 5, 0, 3, 1),
    (10, 3, 1, 3, 1),
    (6, 3, 0, 2, 1),
    (227, 11, 0, 4, 1),
    (224, 7, 3, 2, 1),
    (9, 4, 0, 1, 1),
    (8, 2, 1, 2, 1),
    (5, 5, 0, 1, 1),  # kernel = input
    (3, 5, 1, 1, 1),  # kernel = padded input
    (3, 5, 1, 4, 1),  # kernel = padded input, any stride
    (1, 1, 0, 1, 1),
    (4, 1, 0, 3, 1),
    (12, 3, 0, 1, 2),
    (12, 3, 2, 2, 2),
    (9, 3, 0, 3, 3),
    (5, 3, 0, 1, 2),  # dilated kernel = input
    (16, 2, 3, 5, 4),
]


def conv_output_size_random(conv_output_size):
    own_work(conv_output_size)
    for n, k, pad, stride, dilation in SIZE_CASES:
        args = (n, k, pad, stride, dilation)
        expect_equal(
            signature(conv_output_size, args),
            call(conv_output_size, args),
            ref.conv_output_size(*args),
            misconceptions=_size_misconceptions(*args),
        )
    # keyword arguments, as in the notebook
    kwargs = {"pad": 2, "stride": 3, "dilation": 1}
    expect_equal(
        signature(conv_output_size, (20, 4), kwargs),
        call(conv_output_size, (20, 4), kwargs),
        ref.conv_output_size(20, 4, **kwargs),
    )


def conv_output_size_errors(conv_output_size):
    bad = [
        ((3, 5), {}, "the kernel (5) is larger than the input (3)"),
        ((3, 6), {"pad": 1}, "the kernel (6) is larger than the padded input (5)"),
        ((4, 3), {"dilation": 2}, "the dilated kernel spans 5 cells, more than 4"),
        ((7, 3), {"stride": 0}, "the stride must be positive"),
        ((7, 3), {"stride": -1}, "the stride must be positive"),
        ((7, 3), {"pad": -1}, "the padding must not be negative"),
        ((7, 3), {"dilation": 0}, "the dilation must be positive"),
        ((0, 1), {}, "n must be positive"),
        ((7, 0), {}, "k must be positive"),
        ((7.5, 3), {}, "n must be an integer"),
        ((7, 3.0), {}, "k must be an integer (even 3.0)"),
        ((7, 3), {"stride": 1.5}, "the stride must be an integer"),
        ((7, 3), {"pad": 0.5}, "the padding must be an integer"),
    ]
    for args, kwargs, why in bad:
        expect_raises(conv_output_size, args, kwargs, why=why)
    # NumPy integers (from array shapes) are fine
    args = (np.int64(7), np.int64(3), np.int64(1), np.int64(2))
    got = call(conv_output_size, args)
    expect_equal(signature(conv_output_size, args), int(got) if got is not None else got, 4)


# --------------------------------------------------------------------------- corr2d


def _corr2d_misconceptions(X, K, stride, pad):
    H, W = X.shape
    kH, kW = K.shape
    want = ref.corr2d(X, K, stride, pad)
    Ho, Wo = want.shape
    misc = {}
    flipped = ref.corr2d(X, K[::-1, ::-1], stride, pad)
    if not np.allclose(flipped, want):
        misc[
            "the kernel was rotated by 180 degrees: that is convolution, not cross-correlation"
        ] = flipped
    if stride > 1:
        dense = ref.corr2d(X, K, 1, pad)
        misc["window (y, x) starts at row y*stride, column x*stride, not at (y, x)"] = dense[
            :Ho, :Wo
        ]
        misc["the stride was ignored"] = dense
    if pad > 0:
        _add(misc, "the padding was ignored", _try(ref.corr2d, X, K, stride, 0))
        one_side = np.pad(X, ((pad, 0), (pad, 0)))
        _add(
            misc,
            "padding goes on both sides (top and bottom, left and right)",
            _try(ref.corr2d, one_side, K, stride, 0),
        )
        only_rows = np.pad(X, ((pad, pad), (0, 0)))
        _add(misc, "pad the columns too, not only the rows", _try(ref.corr2d, only_rows, K, stride))
    misc["the output size is floor((n + 2p - k)/s) + 1 (off by one)"] = np.zeros((Ho - 1, Wo - 1))
    misc["the output size is floor((n + 2p - k)/s) + 1 (one too many)"] = np.zeros((Ho + 1, Wo + 1))
    if stride != 2:
        misc["the divisor in the output size is the stride, not 2"] = np.zeros(
            ((H + 2 * pad - kH) // 2 + 1, (W + 2 * pad - kW) // 2 + 1)
        )
    return _merge_by_shape(misc, want.shape)


def check_corr2d_case(corr2d, X, K, stride, pad):
    kwargs = {"stride": stride, "pad": pad}
    expect_array(
        signature(corr2d, (X, K), kwargs),
        call(corr2d, (X, K), kwargs),
        ref.corr2d(X, K, stride, pad),
        _corr2d_misconceptions(X, K, stride, pad),
    )


CORR_CASES = [
    # (X shape, K shape, stride, pad)
    ((4, 4), (3, 3), 1, 1),
    ((7, 7), (3, 3), 2, 1),
    ((5, 5), (3, 3), 2, 0),
    ((6, 6), (3, 3), 2, 0),
    ((6, 8), (3, 2), 2, 1),
    ((9, 5), (2, 4), 3, 2),
    ((8, 7), (5, 5), 1, 2),
    ((10, 11), (4, 3), 3, 0),
    ((5, 9), (1, 3), 2, 1),
]


BASICS = ("pad2d", "conv_output_size")


@graded_alone(*BASICS, forbidden=CONV_LIBRARY + WINDOW_TRICKS)
def corr2d_random(corr2d):
    rng = _rng(1201)
    for shape_x, shape_k, stride, pad in CORR_CASES:
        check_corr2d_case(corr2d, _ints(rng, shape_x), _ints(rng, shape_k), stride, pad)
    for shape_x, shape_k, stride, pad in [((13, 11), (4, 3), 2, 1), ((6, 6), (3, 3), 1, 0)]:
        X, K = rng.standard_normal(shape_x), rng.standard_normal(shape_k)
        check_corr2d_case(corr2d, X, K, stride, pad)


@graded_alone(*BASICS)
def corr2d_edge_cases(corr2d):
    rng = _rng(1202)
    # kernel as large as the padded input: a single output value
    check_corr2d_case(corr2d, _ints(rng, (3, 4)), _ints(rng, (5, 6)), 1, 1)
    check_corr2d_case(corr2d, _ints(rng, (3, 4)), _ints(rng, (5, 6)), 3, 1)
    check_corr2d_case(corr2d, _ints(rng, (4, 4)), _ints(rng, (4, 4)), 2, 0)
    # 1x1 kernels with a stride: a scaled subsample
    check_corr2d_case(corr2d, _ints(rng, (7, 6)), np.array([[2.0]]), 2, 0)
    check_corr2d_case(corr2d, _ints(rng, (5, 5)), np.array([[-1.0]]), 3, 1)
    # stride larger than the kernel: some input rows and columns are never used
    check_corr2d_case(corr2d, _ints(rng, (9, 9)), _ints(rng, (2, 2)), 4, 0)
    # kernels that do not fit
    expect_raises(corr2d, (np.ones((3, 3)), np.ones((4, 2))), why="kernel taller than the input")
    expect_raises(
        corr2d,
        (np.ones((3, 3)), np.ones((2, 6))),
        {"pad": 1},
        why="kernel wider than the padded input",
    )
    expect_raises(corr2d, (np.ones((5, 5)), np.ones((3, 3))), {"stride": 0}, why="stride 0")


# ---------------------------------------------------------------------- conv layers


def _conv_misconceptions(X, W, b, stride, pad, im2col_version=False):
    N, C, H, Wd = X.shape
    C_out, _, kH, kW = W.shape
    want = ref.conv_forward(X, W, b, stride, pad)
    Ho, Wo = want.shape[2:]
    bias = b[None, :, None, None]
    misc = {}
    flipped = ref.conv_forward(X, W[..., ::-1, ::-1], b, stride, pad)
    if not np.allclose(flipped, want):
        misc[
            "the kernel was rotated by 180 degrees: that is convolution, not cross-correlation"
        ] = flipped
    if np.any(b != 0):
        misc["the bias is missing: add b[o] to every value of output channel o"] = want - bias
        if C > 1:
            misc["the bias was added once per input channel; add it once per output value"] = (
                want + (C - 1) * bias
            )
    if C > 1:
        misc["only input channel 0 was used: each filter sums over ALL input channels"] = (
            ref.conv_forward(X[:, :1], W[:, :1], b, stride, pad)
        )
    if im2col_version:
        misc["reshape the product to (N, H', W', C_out) first, then move C_out to axis 1"] = (
            want.transpose(0, 2, 3, 1).reshape(want.shape)
        )
    if stride > 1:
        dense = ref.conv_forward(X, W, b, 1, pad)
        misc["window (y, x) starts at row y*stride, column x*stride, not at (y, x)"] = dense[
            :, :, :Ho, :Wo
        ]
        misc["the stride was ignored"] = dense
    if pad > 0:
        _add(misc, "the padding was ignored", _try(ref.conv_forward, X, W, b, stride, 0))
        all_axes = np.pad(X, pad)[:N, :C]
        _add(
            misc,
            "only H and W are padded; N (images) and C (channels) stay as they are",
            _try(ref.conv_forward, all_axes, W, b, stride, 0),
        )
        one_side = np.pad(X, ((0, 0), (0, 0), (pad, 0), (pad, 0)))
        _add(
            misc,
            "padding goes on both sides (top and bottom, left and right)",
            _try(ref.conv_forward, one_side, W, b, stride, 0),
        )
        only_rows = np.pad(X, ((0, 0), (0, 0), (pad, pad), (0, 0)))
        _add(
            misc,
            "pad W too, not only H",
            _try(ref.conv_forward, only_rows, W, b, stride, 0),
        )
    misc["the output layout is (N, C_out, H', W'), not (N, H', W', C_out)"] = np.zeros(
        (N, Ho, Wo, C_out)
    )
    misc["the output size is floor((n + 2p - k)/s) + 1 (off by one)"] = np.zeros(
        (N, C_out, Ho - 1, Wo - 1)
    )
    misc["the output size is floor((n + 2p - k)/s) + 1 (one too many)"] = np.zeros(
        (N, C_out, Ho + 1, Wo + 1)
    )
    if stride != 2:
        misc["the divisor in the output size is the stride, not 2"] = np.zeros(
            (N, C_out, (H + 2 * pad - kH) // 2 + 1, (Wd + 2 * pad - kW) // 2 + 1)
        )
    return _merge_by_shape(misc, want.shape)


def check_conv_case(conv, X, W, b, stride, pad, im2col_version=False):
    kwargs = {"stride": stride, "pad": pad}
    expect_array(
        signature(conv, (X, W, b), kwargs),
        call(conv, (X, W, b), kwargs),
        ref.conv_forward(X, W, b, stride, pad),
        _conv_misconceptions(X, W, b, stride, pad, im2col_version),
    )


CONV_CASES = [
    # (X shape (N, C, H, W), W shape (C_out, C, kH, kW), stride, pad)
    ((2, 3, 5, 5), (4, 3, 3, 3), 1, 1),
    ((1, 2, 7, 7), (3, 2, 3, 3), 2, 1),
    ((3, 1, 6, 6), (2, 1, 3, 3), 2, 0),  # C = 1
    ((2, 2, 6, 8), (2, 2, 3, 2), 2, 1),  # non-square input and kernel
    ((2, 3, 9, 5), (1, 3, 2, 4), 3, 2),  # C_out = 1
    ((4, 2, 5, 7), (3, 2, 5, 3), 1, 2),
    ((2, 4, 8, 8), (2, 4, 1, 1), 1, 0),  # 1x1 convolution
    ((1, 1, 10, 9), (2, 1, 4, 3), 3, 1),
]


def _layer(rng, shape_x, shape_w, integers=True):
    make = (lambda s: _ints(rng, s)) if integers else rng.standard_normal
    b = rng.integers(1, 4, size=shape_w[0]) * rng.choice([-1.0, 1.0], size=shape_w[0])
    return make(shape_x), make(shape_w), b if integers else rng.standard_normal(shape_w[0])


def _conv_random(conv, seed, im2col_version):
    rng = _rng(seed)
    for shape_x, shape_w, stride, pad in CONV_CASES:
        X, W, b = _layer(rng, shape_x, shape_w)
        check_conv_case(conv, X, W, b, stride, pad, im2col_version)
    for shape_x, shape_w, stride, pad in [((2, 3, 9, 7), (4, 3, 3, 2), 2, 1)]:
        X, W, b = _layer(rng, shape_x, shape_w, integers=False)
        check_conv_case(conv, X, W, b, stride, pad, im2col_version)


def _conv_edge_cases(conv, seed, im2col_version):
    rng = _rng(seed)
    # kernel as large as the padded input: a 1x1 output per image and filter
    for shape_x, shape_w, stride, pad in [
        ((2, 2, 3, 4), (3, 2, 5, 6), 1, 1),
        ((2, 2, 4, 4), (2, 2, 4, 4), 3, 0),
        ((1, 1, 2, 2), (1, 1, 6, 6), 2, 2),
        ((3, 1, 5, 4), (1, 1, 1, 1), 2, 0),  # 1x1 kernel, stride 2, one channel
        ((1, 1, 1, 1), (2, 1, 1, 1), 1, 0),  # a single pixel
    ]:
        X, W, b = _layer(rng, shape_x, shape_w)
        check_conv_case(conv, X, W, b, stride, pad, im2col_version)
    X, W, b = np.ones((2, 3, 5, 5)), np.ones((4, 3, 3, 3)), np.ones(4)
    expect_raises(conv, (X, np.ones((4, 2, 3, 3)), b), why="W has C_in = 2 but X has 3 channels")
    expect_raises(conv, (X, W, np.ones(3)), why="b needs one value per filter (4)")
    expect_raises(conv, (X, np.ones((4, 3, 6, 6)), b), why="the kernel does not fit")
    expect_raises(conv, (X, W, b), {"stride": 0}, why="stride 0")


@graded_alone(*BASICS, forbidden=CONV_LIBRARY + WINDOW_TRICKS)
def conv_forward_naive_random(conv_forward_naive):
    _conv_random(conv_forward_naive, 1301, im2col_version=False)


@graded_alone(*BASICS)
def conv_forward_naive_edge_cases(conv_forward_naive):
    _conv_edge_cases(conv_forward_naive, 1302, im2col_version=False)


@graded_alone(*BASICS, "im2col", forbidden=CONV_LIBRARY)
def conv_forward_im2col_random(conv_forward_im2col):
    _conv_random(conv_forward_im2col, 1401, im2col_version=True)
    # Checked after the values, so that an unfinished stub reports NotImplementedError.
    if "im2col" not in names_used(conv_forward_im2col):
        raise CheckFailed("conv_forward_im2col should call your im2col and one matrix product")


@graded_alone(*BASICS, "im2col")
def conv_forward_im2col_edge_cases(conv_forward_im2col):
    _conv_edge_cases(conv_forward_im2col, 1402, im2col_version=True)


# ------------------------------------------------------------------ parameter count


def conv_param_count_hidden(conv_param_count):
    own_work(conv_param_count)
    cases = [
        ((3, 6, 5), True),
        ((6, 16, 5), True),
        ((1, 1, 1), True),
        ((8, 16, 3), True),
        ((256, 64, 1), False),
        ((3, 4, (3, 5)), True),
        ((2, 7, (1, 4)), False),
        ((5, 2, [2, 3]), True),
    ]
    for (C_in, C_out, k), bias in cases:
        kH, kW = k if isinstance(k, (tuple, list)) else (k, k)
        weights = C_in * C_out * kH * kW
        args = (C_in, C_out, k)
        kwargs = {"bias": bias}
        misc = {}
        if bias:
            misc["the biases are missing: one bias per filter, C_out in all"] = weights
            misc["one bias per filter (C_out), not one per input channel and filter"] = (
                weights + C_in * C_out
            )
            misc["one bias per filter (output channel), not one per input channel"] = weights + C_in
        else:
            misc["bias=False: leave the C_out biases out"] = weights + C_out
        misc["each filter spans all C_in input channels: C_in * C_out * kH * kW weights"] = (
            C_out * kH * kW + (C_out if bias else 0)
        )
        if kH != kW:
            misc["a (kH, kW) kernel has kH * kW weights per channel"] = C_in * C_out * kH * kH + (
                C_out if bias else 0
            )
        expect_equal(
            signature(conv_param_count, args, kwargs),
            call(conv_param_count, args, kwargs),
            ref.conv_param_count(C_in, C_out, k, bias),
            misconceptions=misc,
        )
    expect_raises(conv_param_count, (0, 6, 5), why="C_in must be positive")
    expect_raises(conv_param_count, (3, 6, 0), why="k must be positive")
    expect_raises(conv_param_count, (3, 6, 2.5), why="k must be an integer")


# --------------------------------------------------------------------------- im2col


def _im2col_misconceptions(X, kH, kW, stride, pad):
    N, C, H, W = X.shape
    want = ref.im2col(X, kH, kW, stride, pad)
    Ho = ref.conv_output_size(H, kH, pad, stride)
    Wo = ref.conv_output_size(W, kW, pad, stride)
    win = want.reshape(N, Ho, Wo, C, kH, kW)
    misc = {
        "one ROW per window, (N*H'*W', C*kH*kW); this is the transpose": want.T,
        "each row is ordered (c, i, j), like W[o].reshape(-1); this is (i, j, c)": win.transpose(
            0, 1, 2, 4, 5, 3
        ).reshape(want.shape),
        "each row is ordered (c, i, j); this is (c, j, i): the window was transposed": (
            win.transpose(0, 1, 2, 3, 5, 4).reshape(want.shape)
        ),
        "rows run over images first (n, then y, then x); these are ordered (y, x, n)": (
            win.transpose(1, 2, 0, 3, 4, 5).reshape(want.shape)
        ),
        "rows run over output rows, then columns (y, then x); this is (x, then y)": (
            win.transpose(0, 2, 1, 3, 4, 5).reshape(want.shape)
        ),
    }
    flipped = win[..., ::-1, ::-1].reshape(want.shape)
    misc["the windows were rotated by 180 degrees; copy them as they are"] = flipped
    if stride > 1:
        dense = ref.im2col(X, kH, kW, 1, pad)
        Hd = ref.conv_output_size(H, kH, pad, 1)
        Wd = ref.conv_output_size(W, kW, pad, 1)
        first = dense.reshape(N, Hd, Wd, -1)[:, :Ho, :Wo].reshape(want.shape)
        misc["window (y, x) starts at row y*stride, column x*stride, not at (y, x)"] = first
        misc["the stride was ignored"] = dense
    if pad > 0:
        _add(misc, "the padding was ignored", _try(ref.im2col, X, kH, kW, stride, 0))
        all_axes = np.pad(X, pad)[:N, :C]
        _add(
            misc,
            "only H and W are padded; N (images) and C (channels) stay as they are",
            _try(ref.im2col, all_axes, kH, kW, stride, 0),
        )
        one_side = np.pad(X, ((0, 0), (0, 0), (pad, 0), (pad, 0)))
        _add(
            misc,
            "padding goes on both sides (top and bottom, left and right)",
            _try(ref.im2col, one_side, kH, kW, stride, 0),
        )
    if kH != kW:
        _add(
            misc,
            "kH is the window height (rows), kW its width (columns)",
            _try(ref.im2col, X, kW, kH, stride, pad),
        )
    misc["one row per window: N*H'*W' rows, with H' = floor((H + 2p - kH)/s) + 1"] = np.zeros(
        (N * (Ho - 1) * (Wo - 1), C * kH * kW)
    )
    return _merge_by_shape(misc, want.shape)


def check_im2col_case(im2col, X, kH, kW, stride, pad):
    kwargs = {"stride": stride, "pad": pad}
    expect_array(
        signature(im2col, (X, kH, kW), kwargs),
        call(im2col, (X, kH, kW), kwargs),
        ref.im2col(X, kH, kW, stride, pad),
        _im2col_misconceptions(X, kH, kW, stride, pad),
    )


IM2COL_CASES = [
    # (X shape, kH, kW, stride, pad)
    ((1, 2, 3, 3), 2, 2, 1, 0),
    ((2, 3, 5, 5), 3, 3, 1, 1),
    ((2, 3, 5, 5), 3, 3, 2, 1),
    ((3, 2, 6, 7), 3, 2, 2, 0),
    ((2, 1, 8, 6), 2, 3, 3, 2),
    ((1, 4, 7, 9), 4, 3, 1, 1),
]


@graded_alone(*BASICS, forbidden=CONV_LIBRARY)
def im2col_random(im2col):
    rng = _rng(1501)
    for shape, kH, kW, stride, pad in IM2COL_CASES:
        # distinct values, so that every layout mistake is visible
        X = rng.permutation(math.prod(shape)).reshape(shape).astype(float)
        check_im2col_case(im2col, X, kH, kW, stride, pad)
    X = rng.standard_normal((2, 2, 6, 5))
    check_im2col_case(im2col, X, 3, 2, 2, 1)


@graded_alone(*BASICS)
def im2col_edge_cases(im2col):
    rng = _rng(1502)
    for shape, kH, kW, stride, pad in [
        ((2, 2, 3, 4), 5, 6, 1, 1),  # window = padded input: one row per image
        ((1, 1, 4, 4), 4, 4, 3, 0),
        ((2, 3, 4, 5), 1, 1, 1, 0),  # 1x1 windows: the pixels, channel by channel
        ((1, 1, 5, 5), 1, 1, 2, 1),
        ((1, 1, 1, 1), 1, 1, 1, 0),
    ]:
        X = rng.permutation(math.prod(shape)).reshape(shape).astype(float)
        check_im2col_case(im2col, X, kH, kW, stride, pad)
    expect_raises(im2col, (np.ones((1, 1, 3, 3)), 4, 2), why="window taller than the input")
    expect_raises(
        im2col, (np.ones((1, 1, 3, 3)), 2, 6), {"pad": 1}, why="window wider than the padded input"
    )


# -------------------------------------------------------------------- understanding

ANSWERS = {
    "q_output_size": 16,
    "q_tf_same": 4,
    "q_tf_valid": 3,
    "q_params": 1168,
    "q_skipped": 1,
}


def understanding(answers):
    """Numeric answers, keyed by question name."""
    wrong = [
        q
        for q, right in ANSWERS.items()
        if isinstance(answers.get(q), bool) or answers.get(q) != right
    ]
    if wrong:
        raise CheckFailed(f"{len(wrong)} of {len(ANSWERS)} answers are wrong: {', '.join(wrong)}")
