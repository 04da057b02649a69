"""Hidden tests for chapter 1, Convolution."""

from __future__ import annotations

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
from autograder.reference import ch01_convolution as ref

# Library calls that would skip the exercise.
CONV_LIBRARY = ("convolve", "correlate", "correlate2d", "convolve2d", "fftconvolve", "conv2d")


# The earlier exercises each graded function may call: graded with the reference ones,
# so that one mistake costs its points once (a wrong corr2d is not charged again in
# conv2d and detect_edges).
HELPERS = {"output_size": ref.output_size, "corr2d": ref.corr2d}
USES = {"conv1d": ("output_size",), "conv2d": ("corr2d",), "detect_edges": ("corr2d",)}


def _alone(func, exercise):
    return reference_helpers(func, {h: HELPERS[h] for h in USES[exercise]})


def alone(func):
    """Visible graded cell: ``func`` calls the reference helpers for the rest of the check."""
    name = getattr(func, "__name__", "")
    reference_helpers_for_this_check(func, {h: HELPERS[h] for h in USES.get(name, ())})


def _rng(seed):
    return np.random.default_rng(seed)


def _ints(rng, shape):
    """Small integers as floats: exact arithmetic, so a misconception matches exactly."""
    return rng.integers(-4, 5, size=shape).astype(float)


# ------------------------------------------------------------------ fc_layer_cost


def fc_layer_cost_hidden(fc_layer_cost):
    expect_own_work(fc_layer_cost)
    for shape, hidden in [((300, 200, 3), 512), ((32, 32, 3), 100), ((1,), 1), ((5, 7), 3)]:
        weights, biases, mults = ref.fc_layer_cost(shape, hidden)
        label = signature(fc_layer_cost, (shape, hidden))
        got = call(fc_layer_cost, (shape, hidden))
        n_in = int(np.prod(shape))
        expect_equal(
            label,
            got if not isinstance(got, list) else tuple(got),
            (weights, biases, mults),
            misconceptions={
                "the number of multiplications is inputs x hidden, not inputs x inputs x hidden": (
                    weights,
                    biases,
                    n_in * n_in * hidden,
                ),
                "each hidden unit has one bias, so there are n_hidden biases": (weights, 0, mults),
            },
        )


# ------------------------------------------------------------------------- conv1d


def _conv1d_misconceptions(x, w, mode):
    """Wrong answers a student is likely to produce, with what to say about them."""
    out = {}
    n, k = len(x), len(w)
    corr = ref.conv1d(x, w[::-1], mode)
    if not np.allclose(corr, ref.conv1d(x, w, mode)):
        out["the kernel was not flipped: that is cross-correlation, not convolution"] = corr
    for other in ref.MODES:
        if other != mode and (other != "valid" or k <= n):
            out[f"this is the '{other}' result; mode='{mode}' was asked for"] = ref.conv1d(
                x, w, other
            )
    if mode == "same" and k % 2 == 0:
        full = ref.conv1d(x, w, "full")
        out[
            "for an even kernel, same mode starts at index (k - 1) // 2 of the full result, "
            "not k // 2"
        ] = full[k // 2 : k // 2 + n]
    size = ref.output_size(n, k, mode)
    out["the output is one element too short (off by one in the output size)"] = np.zeros(size - 1)
    out["the output is one element too long (off by one in the output size)"] = np.zeros(size + 1)
    return out


def check_conv1d_case(conv1d, x, w, mode):
    expect_array(
        signature(conv1d, (x, w), {"mode": mode}),
        call(conv1d, (x, w), {"mode": mode}),
        ref.conv1d(x, w, mode),
        _conv1d_misconceptions(x, w, mode),
    )


def conv1d_random(conv1d):
    expect_own_work(conv1d, CONV_LIBRARY)
    with _alone(conv1d, "conv1d"):
        _conv1d_random(conv1d)


def _conv1d_random(conv1d):
    rng = _rng(101)
    for n, k in [(7, 5), (10, 3), (12, 4), (9, 9), (16, 2), (20, 7)]:
        for mode in ref.MODES:
            check_conv1d_case(conv1d, _ints(rng, n), _ints(rng, k), mode)
    for n, k in [(11, 3), (30, 6)]:
        for mode in ref.MODES:
            check_conv1d_case(conv1d, rng.standard_normal(n), rng.standard_normal(k), mode)


def conv1d_edge_cases(conv1d):
    with _alone(conv1d, "conv1d"):
        _conv1d_edge_cases(conv1d)


def _conv1d_edge_cases(conv1d):
    rng = _rng(102)
    # one tap: every mode is a scaled copy
    for mode in ref.MODES:
        check_conv1d_case(conv1d, _ints(rng, 6), np.array([3.0]), mode)
    # kernel as long as the input, and longer (full and same only)
    check_conv1d_case(conv1d, _ints(rng, 5), _ints(rng, 5), "valid")
    check_conv1d_case(conv1d, _ints(rng, 3), _ints(rng, 6), "full")
    check_conv1d_case(conv1d, _ints(rng, 3), _ints(rng, 6), "same")
    # even kernel in same mode: numpy's convention, start at (k - 1) // 2
    check_conv1d_case(conv1d, _ints(rng, 8), _ints(rng, 4), "same")
    # input given as a list, not an array
    x, w = [1, 2, 3, 4], [1, -1]
    expect_array(
        signature(conv1d, (x, w), {"mode": "full"}),
        call(conv1d, (x, w), {"mode": "full"}),
        ref.conv1d(x, w, "full"),
    )


# ------------------------------------------------------------------- corr2d/conv2d


def _corr2d_misconceptions(X, K):
    out = {}
    flipped = ref.conv2d(X, K)
    if not np.allclose(flipped, ref.corr2d(X, K)):
        out["the kernel was rotated by 180 degrees: that is convolution, not cross-correlation"] = (
            flipped
        )
    if K.shape[0] == K.shape[1] and not np.allclose(K, K.T):
        out["the kernel was transposed (rows and columns swapped)"] = ref.corr2d(X, K.T)
    H, W = X.shape
    kH, kW = K.shape
    out["the output is one row/column too small: the output size is H - kH + 1"] = np.zeros(
        (H - kH, W - kW)
    )
    out["the output is one row/column too large: the output size is H - kH + 1"] = np.zeros(
        (H - kH + 2, W - kW + 2)
    )
    return out


def _conv2d_misconceptions(X, K):
    out = {}
    corr = ref.corr2d(X, K)
    if not np.allclose(corr, ref.conv2d(X, K)):
        out["the kernel was not flipped: that is cross-correlation, not convolution"] = corr
    if K.shape[0] == K.shape[1] and not np.allclose(K.T, K[::-1, ::-1]):
        out["the kernel was transposed; convolution rotates it by 180 degrees (K[::-1, ::-1])"] = (
            ref.corr2d(X, K.T)
        )
    if not np.allclose(K[::-1], K[::-1, ::-1]):
        out["only the rows were flipped; rotate by 180 degrees, flipping both axes"] = ref.corr2d(
            X, K[::-1]
        )
    if not np.allclose(K[:, ::-1], K[::-1, ::-1]):
        out["only the columns were flipped; rotate by 180 degrees, flipping both axes"] = (
            ref.corr2d(X, K[:, ::-1])
        )
    return out


def _shapes2d():
    return [
        ((4, 4), (3, 3)),
        ((6, 6), (3, 3)),
        ((5, 8), (2, 3)),
        ((7, 5), (4, 2)),
        ((3, 3), (3, 3)),
        ((9, 4), (1, 4)),
        ((10, 12), (5, 5)),
    ]


def corr2d_random(corr2d):
    expect_own_work(corr2d, CONV_LIBRARY)
    rng = _rng(201)
    for shape_x, shape_k in _shapes2d():
        X, K = _ints(rng, shape_x), _ints(rng, shape_k)
        expect_array(
            signature(corr2d, (X, K)),
            call(corr2d, (X, K)),
            ref.corr2d(X, K),
            _corr2d_misconceptions(X, K),
        )
    X, K = rng.standard_normal((13, 11)), rng.standard_normal((4, 3))
    expect_array(signature(corr2d, (X, K)), call(corr2d, (X, K)), ref.corr2d(X, K))


def corr2d_edge_cases(corr2d):
    rng = _rng(202)
    X = _ints(rng, (5, 6))
    # kernel the size of the input: a single number, the sum of the products
    expect_array(signature(corr2d, (X, X)), call(corr2d, (X, X)), ref.corr2d(X, X))
    # a 1x1 kernel scales the input
    K = np.array([[2.0]])
    expect_array(signature(corr2d, (X, K)), call(corr2d, (X, K)), 2 * X)
    # a kernel larger than the input must be rejected with ValueError
    expect_raises(corr2d, (np.ones((3, 3)), np.ones((4, 2))), why="kernel taller than the input")
    expect_raises(corr2d, (np.ones((3, 3)), np.ones((2, 4))), why="kernel wider than the input")


def conv2d_random(conv2d):
    expect_own_work(conv2d, CONV_LIBRARY)
    with _alone(conv2d, "conv2d"):
        _conv2d_random(conv2d)


def _conv2d_random(conv2d):
    rng = _rng(301)
    for shape_x, shape_k in _shapes2d():
        X, K = _ints(rng, shape_x), _ints(rng, shape_k)
        expect_array(
            signature(conv2d, (X, K)),
            call(conv2d, (X, K)),
            ref.conv2d(X, K),
            _conv2d_misconceptions(X, K),
        )


# ------------------------------------------------------------------- output_size


def output_size_hidden(output_size):
    expect_own_work(output_size)
    cases = [
        (7, 5, "valid"),
        (7, 5, "full"),
        (7, 5, "same"),
        (32, 5, "valid"),
        (5, 5, "valid"),
        (1, 1, "full"),
        (3, 6, "full"),
        (3, 6, "same"),
        (100, 1, "valid"),
    ]
    for n, k, mode in cases:
        want = ref.output_size(n, k, mode)
        expect_equal(
            signature(output_size, (n, k, mode)),
            call(output_size, (n, k, mode)),
            want,
            misconceptions={
                "off by one: valid mode gives n - k + 1 outputs": n - k,
                "off by one: full mode gives n + k - 1 outputs": n + k,
                "off by one: the output size is n - k + 1 (+1, not -1)": n - k - 1,
            },
        )
    expect_raises(output_size, (3, 5, "valid"), why="a kernel of 5 does not fit in 3 inputs")
    expect_raises(output_size, (7, 0, "valid"), why="k must be positive")
    expect_raises(output_size, (7, 3, "wide"), why="unknown mode")


# ----------------------------------------------------------------------- edges


def detect_edges_hidden(detect_edges):
    expect_own_work(detect_edges, CONV_LIBRARY)
    with _alone(detect_edges, "detect_edges"):
        _detect_edges_hidden(detect_edges)


def _detect_edges_hidden(detect_edges):
    rng = _rng(401)
    for shape in [(6, 6), (8, 5), (3, 3), (12, 10)]:
        image = _ints(rng, shape)
        got = call(detect_edges, (image,))
        if not isinstance(got, (tuple, list)) or len(got) != 3:
            raise CheckFailed(
                f"{signature(detect_edges, (image,))} should return three arrays "
                f"(vertical, horizontal, magnitude), got {type(got).__name__}"
            )
        want = ref.detect_edges(image)
        names = ("vertical", "horizontal", "magnitude")
        for name, g, w in zip(names, got, want, strict=True):
            misc = {}
            if name == "vertical":
                misc["this is the horizontal-edge response"] = want[1]
                misc["the sign is reversed: the kernel is [[1, 0, -1], ...], left minus right"] = -w
            if name == "horizontal":
                misc["this is the vertical-edge response"] = want[0]
                misc[
                    "the sign is reversed: the kernel is [[1, 1, 1], [0, 0, 0], [-1, -1, -1]]"
                ] = -w
            if name == "magnitude":
                misc["the magnitude is sqrt(v**2 + h**2), not |v| + |h|"] = np.abs(
                    want[0]
                ) + np.abs(want[1])
                misc["the magnitude is sqrt(v**2 + h**2), not v**2 + h**2"] = w**2
            expect_array(f"{name} from {signature(detect_edges, (image,))}", g, w, misc)


# -------------------------------------------------------------- understanding


def understanding(answers):
    """Multiple-choice answers, keyed by question name."""
    right = {
        "q_cross_correlation_commutes": False,
        "q_full_convolution_commutes": True,
        "q_translation": "b",
        "q_valid_size": "b",
    }
    wrong = [q for q, a in right.items() if answers.get(q) != a]
    if wrong:
        raise CheckFailed(f"{len(wrong)} of {len(right)} answers are wrong: {', '.join(wrong)}")
