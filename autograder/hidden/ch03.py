"""Hidden tests for chapter 3, Pooling.

Each public function is one grade cell. Cases cover stride > 1 and stride < f
(overlapping windows), non-square inputs, C = 1, N > 1, a window as large as the input,
float64, and ties (small integers and post-ReLU zeros); results are compared with
``autograder.reference.ch03_pooling`` to 1e-10. Wrong answers that match a known
misconception name it.
"""

from __future__ import annotations

import functools

import numpy as np

from autograder.checks import (
    CheckFailed,
    as_result_array,
    call,
    describe,
    expect_array,
    expect_equal,
    expect_own_work,
    expect_raises,
    expect_shape,
    reference_helpers,
    reference_helpers_for_this_check,
    signature,
)
from autograder.reference import ch03_pooling as ref

# Library calls (and cnnkit's fast layers) that would skip the exercise.
POOL_LIBRARY = (
    "maxpool2d_forward",
    "maxpool2d_backward",
    "avgpool2d_forward",
    "avgpool2d_backward",
    "torch",
    "max_pool2d",
    "avg_pool2d",
    "MaxPool2d",
    "AvgPool2d",
    "block_reduce",
    "maximum_filter",
    "uniform_filter",
)

# Misconception messages (shared by several checks).
STRIDE_IS_F = "the stride was ignored (windows moved by f): windows move by `stride`"
STRIDE_IS_1 = "the stride was ignored (windows moved by 1): windows move by `stride`"
OFF_BY_ONE = "the output size is off by one: it is floor((n - f) / stride) + 1"
CEIL = (
    "the output size rounds down, floor((n - f) / stride) + 1: a window that would stick "
    "out of the input is dropped"
)
ACROSS_CHANNELS = (
    "the channels were pooled together: pooling works on each channel separately, so the "
    "output keeps all C channels"
)
NOT_DIVIDED = (
    "mean-pool gradient not divided: each of the f*f inputs of a window gets dout / (f*f), "
    "so the gradients of a window add up to its dout"
)
DIVIDED_BY_F = "the mean-pool gradient is dout / (f*f) (the window area), not dout / f"
ALL_TIES = (
    "max-pool gradient copied to every tied maximum: only the maximum recorded in max_id "
    "(the first in row-major order) gets the gradient; copying it to all ties multiplies it"
)
LAST_TIE = (
    "on a tie the gradient went to the last maximum: the first one in row-major order "
    "(the one recorded in max_id) gets it, as in PyTorch"
)
OVERWRITE = (
    "where windows overlap (stride < f) the gradients were overwritten: an input in several "
    "windows receives the SUM of their gradients (use +=, not =)"
)
DX_SHAPE = (
    "dX must have the shape of X, including the rows and columns no window reaches "
    "(their gradient is 0)"
)


class _ShapeOnly(np.ndarray):
    """A placeholder misconception: only its shape means something (e.g. off by one)."""


# The exercises that call the student's pool_output_size are graded with the reference
# one, so that one mistake there costs its points once.
HELPERS = {"pool_output_size": ref.pool_output_size}
USES = {
    "maxpool_forward": ("pool_output_size",),
    "avgpool_forward": ("pool_output_size",),
    "avgpool_backward": ("pool_output_size",),
    "subsampling_counts": ("pool_output_size",),
}


def alone(func):
    """Visible graded cell: ``func`` calls the reference helpers for the rest of the check."""
    names = USES.get(getattr(func, "__name__", ""), ())
    reference_helpers_for_this_check(func, {name: HELPERS[name] for name in names})


def graded_alone(exercise, forbidden=None):
    """Decorate a hidden test: own-work check first (on the student's own helpers), then
    the cases with the reference helpers of ``USES[exercise]``."""

    def decorate(body):
        @functools.wraps(body)
        def check(func):
            if forbidden is not None:
                expect_own_work(func, forbidden)
            with reference_helpers(func, {name: HELPERS[name] for name in USES[exercise]}):
                return body(func)

        return check

    return decorate


def _shape_only(shape):
    return np.zeros(shape).view(_ShapeOnly)


def _expect_result(label, got, expected, misconceptions):
    """``expect_array``, naming a wrong-shaped result by value before naming it by shape.

    A result of the wrong shape is first compared by value with the misconceptions that
    are real arrays (stride ignored, channels pooled together ...); if none matches, it is
    named by its shape, trying the shape-only placeholders (off by one ...) first.
    """
    arr = as_result_array(label, got)
    if arr.shape != np.shape(expected):
        for message, variant in misconceptions.items():
            if (
                not isinstance(variant, _ShapeOnly)
                and np.shape(variant) == arr.shape
                and np.allclose(arr, variant, rtol=1e-10, atol=1e-10)
            ):
                raise CheckFailed(f"{label} is wrong: {message}")
        ordered = {m: v for m, v in misconceptions.items() if isinstance(v, _ShapeOnly)}
        ordered.update(misconceptions)
        misconceptions = ordered
    expect_array(label, arr, expected, misconceptions)


def _rng(seed):
    return np.random.default_rng(seed)


def _ints(rng, shape):
    """Small integers as floats: exact arithmetic, frequent ties, exact misconception matches."""
    return rng.integers(-4, 5, size=shape).astype(float)


def _relu_ints(rng, shape):
    """Post-ReLU small integers: many windows are all zero."""
    return np.maximum(rng.integers(-3, 4, size=shape), 0).astype(float)


def _stride(f, stride):
    return f if stride is None else stride


# (N, C, H, W, f, stride)
RANDOM_CASES = [
    (1, 1, 4, 4, 2, None),
    (2, 3, 6, 6, 2, 2),
    (2, 3, 7, 5, 2, None),  # non-square; a row and a column no window reaches
    (1, 2, 5, 5, 3, 1),  # overlapping windows
    (2, 1, 7, 6, 3, 2),  # overlapping, stride > 1
    (3, 2, 8, 8, 2, 3),  # stride > f: gaps between windows
    (2, 2, 9, 11, 4, 3),
    (1, 3, 6, 10, 3, 3),
]


# ------------------------------------------------------------------ pool_output_size


def pool_output_size_hidden(pool_output_size):
    expect_own_work(pool_output_size)
    cases = [
        (4, 2, None),
        (28, 2, 2),
        (7, 2, 2),
        (32, 3, 2),
        (5, 3, 1),
        (7, 3, 2),
        (10, 4, 3),
        (6, 6, None),
        (9, 1, 1),
        (224, 2, None),
        (11, 3, 4),
    ]
    for n, f, stride in cases:
        s = _stride(f, stride)
        want = ref.pool_output_size(n, f, stride)
        misconceptions = {}
        if f != s:
            misconceptions["n / stride holds only when f = stride"] = n // s
        if (n - f) // f + 1 != want:
            misconceptions[STRIDE_IS_F] = (n - f) // f + 1
        if n - f + 1 != want:
            misconceptions[STRIDE_IS_1] = n - f + 1
        if -(-(n - f) // s) + 1 != want:
            misconceptions[CEIL] = -(-(n - f) // s) + 1
        misconceptions[OFF_BY_ONE] = want - 1
        misconceptions[OFF_BY_ONE + " (one too many)"] = want + 1
        args = (n, f) if stride is None else (n, f, stride)
        expect_equal(
            signature(pool_output_size, args),
            call(pool_output_size, args),
            want,
            misconceptions=misconceptions,
        )
    expect_raises(pool_output_size, (3, 4), why="a window of 4 does not fit in 3 inputs")
    expect_raises(pool_output_size, (5, 0), why="f must be a positive integer")
    expect_raises(pool_output_size, (5, 2, 0), why="stride must be a positive integer")
    expect_raises(pool_output_size, (5, 2.5), why="f must be an integer")


# --------------------------------------------------------------------------- forward


def _split(label, got, cache_len):
    """The student's ``(out, cache)``; a clear failure if the function returned something else."""
    if got is None:
        raise CheckFailed(f"{label} returned None; did you forget `return out, cache`?")
    if isinstance(got, np.ndarray) or not isinstance(got, (tuple, list)) or len(got) != 2:
        raise CheckFailed(f"{label} should return a pair (out, cache), got {type(got).__name__}")
    out, cache = got
    if not isinstance(cache, (tuple, list)) or len(cache) != cache_len:
        layout = "(X, f, stride, max_id)" if cache_len == 4 else "(X.shape, f, stride)"
        what = type(cache).__name__
        if isinstance(cache, (tuple, list)):
            what += f" of length {len(cache)}"
        raise CheckFailed(f"{label}: the cache should be the tuple {layout}, got {what}")
    return out, cache


def _forward_misconceptions(X, f, stride, kind):
    """Wrong outputs of a pooling forward pass, with what to say about them."""
    forward = ref.maxpool_forward if kind == "max" else ref.avgpool_forward
    other = ref.avgpool_forward if kind == "max" else ref.maxpool_forward
    s = _stride(f, stride)
    want = forward(X, f, s)[0]
    N, C, Ho, Wo = want.shape
    H, W = X.shape[2:]
    out = {}
    if s != f:
        out[STRIDE_IS_F] = forward(X, f, f)[0]
    if s != 1:
        out[STRIDE_IS_1] = forward(X, f, 1)[0]
    if kind == "max":
        out["this is average pooling; max pooling keeps the largest value of each window"] = other(
            X, f, s
        )[0]
    else:
        out["this is max pooling; average pooling takes the mean of each window"] = other(X, f, s)[
            0
        ]
        if f > 1:
            out["this is the window sum (as in LeNet's S2), not the mean: divide by f*f"] = (
                want * f * f
            )
    if C > 1:
        across = want.max(axis=1, keepdims=True) if kind == "max" else want.mean(1, keepdims=True)
        out[ACROSS_CHANNELS] = across
        out[ACROSS_CHANNELS + " (and copied to every channel)"] = np.broadcast_to(
            across, want.shape
        )
        out[ACROSS_CHANNELS + " (and the channel axis was dropped)"] = across[:, 0]
    out["the channel axis was dropped: the output has shape (N, C, H', W')"] = _shape_only(
        (N, Ho, Wo)
    )
    ceil_shape = (-(-(H - f) // s) + 1, -(-(W - f) // s) + 1)
    if ceil_shape != (Ho, Wo):
        out[CEIL] = _shape_only((N, C) + ceil_shape)
    for dh, dw in [(1, 1), (-1, -1), (1, 0), (0, 1), (-1, 0), (0, -1)]:
        if Ho + dh > 0 and Wo + dw > 0:
            shape = (N, C, Ho + dh, Wo + dw)
            out[f"{OFF_BY_ONE} (returned {shape[2:]}, expected {(Ho, Wo)})"] = _shape_only(shape)
    return out


def _max_id_misconceptions(X, f, stride):
    """max_id counted from the last tie, or column-major."""
    s = _stride(f, stride)
    win = ref.windows(X, f, s)
    flat = win.reshape(win.shape[:4] + (f * f,))
    want = np.argmax(flat, axis=-1)
    out = {}
    last = f * f - 1 - np.argmax(flat[..., ::-1], axis=-1)
    if not np.array_equal(last, want):
        out[
            "on a tie max_id must name the FIRST maximum in row-major order (np.argmax's and "
            "PyTorch's choice); this is the last one"
        ] = last
    col_major = (want % f) * f + want // f
    if not np.array_equal(col_major, want):
        out["max_id counts row-major inside the window: r * f + c, not c * f + r"] = col_major
    n, c, i, j = np.indices(want.shape)
    flat_in_plane = (i * s + want // f) * X.shape[3] + (j * s + want % f)
    if not np.array_equal(flat_in_plane, want):
        out["max_id is the position inside the window, r * f + c, not the flat index in X"] = (
            flat_in_plane
        )
    return out


def check_maxpool_forward_case(maxpool_forward, X, f, stride, check_cache=True):
    label = signature(maxpool_forward, (X, f), {"stride": stride})
    want_out, (_, _, s, want_id) = ref.maxpool_forward(X, f, stride)
    got = call(maxpool_forward, (X, f), {"stride": stride})
    out, cache = _split(label, got, 4)
    _expect_result(f"out of {label}", out, want_out, _forward_misconceptions(X, f, stride, "max"))
    if not check_cache:
        return
    expect_array(
        f"max_id (cache[3]) of {label}",
        cache[3],
        want_id,
        _max_id_misconceptions(X, f, stride),
    )
    if cache[1] != f or cache[2] != s:
        raise CheckFailed(
            f"{label}: the cache should hold f={f} and the stride actually used ({s}), got "
            f"f={cache[1]!r}, stride={cache[2]!r}"
        )
    if np.shape(cache[0]) != X.shape:
        raise CheckFailed(
            f"{label}: cache[0] should be the input X (shape {X.shape}), got "
            f"{type(cache[0]).__name__} of shape {np.shape(cache[0])}"
        )


def check_avgpool_forward_case(avgpool_forward, X, f, stride, check_cache=True):
    label = signature(avgpool_forward, (X, f), {"stride": stride})
    want_out, want_cache = ref.avgpool_forward(X, f, stride)
    got = call(avgpool_forward, (X, f), {"stride": stride})
    out, cache = _split(label, got, 3)
    _expect_result(f"out of {label}", out, want_out, _forward_misconceptions(X, f, stride, "avg"))
    if check_cache and not _same_avg_cache(cache, want_cache):
        shown = tuple(describe(c) for c in cache)
        raise CheckFailed(
            f"{label}: the cache should be (X.shape, f, stride) = {want_cache}, "
            f"got ({', '.join(shown)})"
        )


def _same_avg_cache(cache, want):
    try:
        shape = tuple(int(v) for v in cache[0])
        return shape == want[0] and cache[1] == want[1] and cache[2] == want[2]
    except (TypeError, ValueError):
        return False


def _briefly(func):
    """``func`` returning a one-line summary, so that a missing ValueError is reported briefly."""

    def summarized(*args, **kwargs):
        result = func(*args, **kwargs)
        if isinstance(result, (tuple, list)):
            return f"({', '.join(describe(r) for r in result)})"
        return describe(result)

    summarized.__name__ = getattr(func, "__name__", "function")
    return summarized


def _bad_inputs(forward):
    forward = _briefly(forward)
    expect_raises(forward, (np.zeros((1, 1, 3, 3)), 4), why="a 4x4 window does not fit in 3x3")
    expect_raises(forward, (np.zeros((1, 1, 5, 3)), 4, 1), why="a 4x4 window is wider than 3")
    expect_raises(forward, (np.zeros((3, 4, 4)), 2), why="X must be 4-D (N, C, H, W)")
    expect_raises(forward, (np.zeros((1, 1, 4, 4)), 2, 0), why="stride must be positive")


@graded_alone("maxpool_forward", forbidden=POOL_LIBRARY)
def maxpool_forward_random(maxpool_forward):
    rng = _rng(301)
    for N, C, H, W, f, stride in RANDOM_CASES:
        check_maxpool_forward_case(maxpool_forward, _ints(rng, (N, C, H, W)), f, stride)
    for N, C, H, W, f, stride in [(2, 3, 8, 6, 2, None), (1, 2, 9, 7, 3, 2)]:
        X = rng.standard_normal((N, C, H, W)) * 10
        check_maxpool_forward_case(maxpool_forward, X, f, stride)


@graded_alone("maxpool_forward", forbidden=POOL_LIBRARY)
def maxpool_forward_edge_cases(maxpool_forward):
    rng = _rng(302)
    # window = input: one output per channel; window as tall as the input only
    check_maxpool_forward_case(maxpool_forward, _ints(rng, (2, 3, 5, 5)), 5, None)
    check_maxpool_forward_case(maxpool_forward, _ints(rng, (3, 1, 4, 9)), 4, 1)
    # 1x1 window: the identity; C = 1 with N > 1
    check_maxpool_forward_case(maxpool_forward, _ints(rng, (4, 1, 3, 5)), 1, 1)
    # ties: post-ReLU zeros, whole windows equal, and a tie inside an otherwise varied window
    check_maxpool_forward_case(maxpool_forward, _relu_ints(rng, (2, 2, 6, 8)), 2, None)
    check_maxpool_forward_case(maxpool_forward, np.zeros((1, 2, 4, 4)), 2, None)
    check_maxpool_forward_case(maxpool_forward, _relu_ints(rng, (1, 2, 7, 7)), 3, 2)
    # negative values only: max is not max(0, ...)
    check_maxpool_forward_case(maxpool_forward, -1 - np.abs(_ints(rng, (2, 2, 4, 6))), 2, None)
    # integer input (not float)
    X = rng.integers(0, 9, size=(1, 2, 4, 4))
    check_maxpool_forward_case(maxpool_forward, X, 2, None)
    _bad_inputs(maxpool_forward)


@graded_alone("avgpool_forward", forbidden=POOL_LIBRARY)
def avgpool_forward_random(avgpool_forward):
    rng = _rng(401)
    for N, C, H, W, f, stride in RANDOM_CASES:
        check_avgpool_forward_case(avgpool_forward, _ints(rng, (N, C, H, W)), f, stride)
    X = rng.standard_normal((2, 3, 9, 7))
    check_avgpool_forward_case(avgpool_forward, X, 3, 2)


@graded_alone("avgpool_forward", forbidden=POOL_LIBRARY)
def avgpool_forward_edge_cases(avgpool_forward):
    rng = _rng(402)
    check_avgpool_forward_case(avgpool_forward, _ints(rng, (2, 3, 5, 5)), 5, None)
    check_avgpool_forward_case(avgpool_forward, _ints(rng, (3, 1, 4, 9)), 4, 1)
    check_avgpool_forward_case(avgpool_forward, _ints(rng, (4, 1, 3, 5)), 1, 1)
    check_avgpool_forward_case(avgpool_forward, rng.integers(0, 9, size=(1, 2, 4, 4)), 2, None)
    _bad_inputs(avgpool_forward)


# -------------------------------------------------------------------------- backward


def _max_cache(X, f, stride):
    _, (X64, f, s, max_id) = ref.maxpool_forward(X, f, stride)
    return X64, f, s, max_id


def _copy_cache(cache):
    return tuple(c.copy() if isinstance(c, np.ndarray) else c for c in cache)


def _scatter(dX_shape, f, s, per_window, assign=False):
    """Add (or assign) ``per_window[n, c, i, j]`` (an f x f block) at every window, in order."""
    dX = np.zeros(dX_shape)
    _, _, Ho, Wo = per_window.shape[:4]
    for i in range(Ho):
        for j in range(Wo):
            block = (slice(None), slice(None), slice(i * s, i * s + f), slice(j * s, j * s + f))
            if assign:
                dX[block] = per_window[:, :, i, j]
            else:
                dX[block] += per_window[:, :, i, j]
    return dX


def _maxpool_backward_misconceptions(dout, X, f, s):
    cache = _max_cache(X, f, s)
    want = ref.maxpool_backward(dout, cache)
    win = ref.windows(X, f, s)
    flat = win.reshape(win.shape[:4] + (f * f,))
    ties = flat == flat.max(axis=-1, keepdims=True)
    out = {}
    all_ties = _scatter(X.shape, f, s, ties.reshape(win.shape) * dout[..., None, None])
    if not np.allclose(all_ties, want):
        out[ALL_TIES] = all_ties
    last = f * f - 1 - np.argmax(flat[..., ::-1], axis=-1)
    last_dX = ref.maxpool_backward(dout, (X, f, s, last))
    if not np.allclose(last_dX, want):
        out[LAST_TIE] = last_dX
    if s < f:
        first = np.arange(f * f) == cache[3][..., None]
        blocks = first.reshape(win.shape) * dout[..., None, None]
        out[OVERWRITE] = _scatter(X.shape, f, s, blocks, assign=True)
        # only the max position assigned: dX[pos] = dout
        n, c, i, j = np.indices(dout.shape)
        rows, cols = i * s + cache[3] // f, j * s + cache[3] % f
        assigned = np.zeros(X.shape)
        assigned[n.ravel(), c.ravel(), rows.ravel(), cols.ravel()] = dout.ravel()
        if not np.allclose(assigned, want):
            out[OVERWRITE + " "] = assigned
    avg = ref.avgpool_backward(dout, (X.shape, f, s))
    out["this is the average-pooling gradient; max pooling sends it all to the maximum"] = avg
    N, C, H, W = X.shape
    Ho, Wo = dout.shape[2:]
    covered = (N, C, (Ho - 1) * s + f, (Wo - 1) * s + f)
    if covered != X.shape:
        out[DX_SHAPE] = _shape_only(covered)
    out["dX must have the shape of X, not of dout"] = _shape_only(dout.shape)
    return out


def _avgpool_backward_misconceptions(dout, X_shape, f, s):
    want = ref.avgpool_backward(dout, (X_shape, f, s))
    out = {}
    if f > 1:
        out[NOT_DIVIDED] = want * f * f
        out[DIVIDED_BY_F] = want * f
    if s < f:
        N, C, Ho, Wo = dout.shape
        blocks = np.broadcast_to(dout[..., None, None] / (f * f), (N, C, Ho, Wo, f, f))
        out[OVERWRITE] = _scatter(X_shape, f, s, blocks, assign=True)
    N, C, H, W = X_shape
    Ho, Wo = dout.shape[2:]
    covered = (N, C, (Ho - 1) * s + f, (Wo - 1) * s + f)
    if covered != tuple(X_shape):
        out[DX_SHAPE] = _shape_only(covered)
    out["dX must have the shape of X, not of dout"] = _shape_only(dout.shape)
    return out


def check_maxpool_backward_case(maxpool_backward, X, f, stride, dout=None, rng=None):
    cache = _max_cache(X, f, stride)
    s = cache[2]
    if dout is None:
        dout = _ints(rng, cache[3].shape)
    want = ref.maxpool_backward(dout, cache)
    misconceptions = _maxpool_backward_misconceptions(dout, cache[0], f, s)
    label = f"maxpool_backward(dout, cache) for X{X.shape}, f={f}, stride={s}"
    got = call(maxpool_backward, (dout, _copy_cache(cache)), label=label)
    _expect_result(label, got, want, misconceptions)


def check_avgpool_backward_case(avgpool_backward, X_shape, f, stride, dout=None, rng=None):
    s = _stride(f, stride)
    N, C, H, W = X_shape
    out_shape = (N, C, (H - f) // s + 1, (W - f) // s + 1)
    if dout is None:
        dout = _ints(rng, out_shape)
    cache = (tuple(X_shape), f, s)
    label = f"avgpool_backward(dout, cache) for X{tuple(X_shape)}, f={f}, stride={s}"
    got = call(avgpool_backward, (dout, cache), label=label)
    _expect_result(
        label,
        got,
        ref.avgpool_backward(dout, cache),
        _avgpool_backward_misconceptions(dout, X_shape, f, s),
    )
    return got, dout


def maxpool_backward_random(maxpool_backward):
    """Random inputs without ties (standard normal), all the shapes, overlap included."""
    expect_own_work(maxpool_backward, POOL_LIBRARY)
    rng = _rng(501)
    for N, C, H, W, f, stride in RANDOM_CASES + [(2, 3, 5, 5, 5, None), (1, 1, 3, 8, 3, 1)]:
        check_maxpool_backward_case(
            maxpool_backward, rng.standard_normal((N, C, H, W)), f, stride, rng=rng
        )
    X = rng.standard_normal((2, 2, 7, 7))
    dout = rng.standard_normal((2, 2, 3, 3))
    check_maxpool_backward_case(maxpool_backward, X, 3, 2, dout=dout)


def maxpool_backward_ties(maxpool_backward):
    """Ties: small integers, post-ReLU zeros, all-zero input; overlapping windows too."""
    expect_own_work(maxpool_backward, POOL_LIBRARY)
    rng = _rng(502)
    check_maxpool_backward_case(maxpool_backward, np.zeros((1, 1, 2, 2)), 2, None, rng=rng)
    for N, C, H, W, f, stride in RANDOM_CASES:
        check_maxpool_backward_case(
            maxpool_backward, _relu_ints(rng, (N, C, H, W)), f, stride, rng=rng
        )
        check_maxpool_backward_case(maxpool_backward, _ints(rng, (N, C, H, W)), f, stride, rng=rng)
    _, cache = ref.maxpool_forward(np.zeros((2, 3, 4, 6)), 2)
    expect_raises(
        maxpool_backward,
        (np.ones((2, 3, 3, 3)), _copy_cache(cache)),
        why="dout must have the output's shape (N, C, H', W') = (2, 3, 2, 3)",
    )


@graded_alone("avgpool_backward", forbidden=POOL_LIBRARY)
def avgpool_backward_random(avgpool_backward):
    rng = _rng(601)
    for N, C, H, W, f, stride in RANDOM_CASES + [(2, 3, 5, 5, 5, None), (1, 1, 3, 8, 3, 1)]:
        check_avgpool_backward_case(avgpool_backward, (N, C, H, W), f, stride, rng=rng)
    dout = rng.standard_normal((2, 2, 3, 3))
    check_avgpool_backward_case(avgpool_backward, (2, 2, 7, 7), 3, 2, dout=dout)


@graded_alone("avgpool_backward", forbidden=POOL_LIBRARY)
def avgpool_backward_edge_cases(avgpool_backward):
    """The gradient's sum is preserved; overlap; 1x1 windows; wrong dout shape."""
    rng = _rng(602)
    for X_shape, f, stride in [
        ((1, 1, 4, 4), 2, None),
        ((2, 3, 6, 6), 3, 1),
        ((1, 2, 7, 9), 3, 2),
        ((2, 1, 5, 5), 5, None),
    ]:
        N, C, H, W = X_shape
        s = _stride(f, stride)
        dout = _ints(rng, (N, C, (H - f) // s + 1, (W - f) // s + 1)) + 0.5
        label = f"avgpool_backward(dout, cache) for X{X_shape}, f={f}, stride={s}"
        got = call(avgpool_backward, (dout, (X_shape, f, s)), label=label)
        dX = expect_shape(
            label, got, X_shape, _avgpool_backward_misconceptions(dout, X_shape, f, s)
        )
        total, want_total = float(np.sum(dX)), float(np.sum(dout))
        if not np.isclose(total, want_total, rtol=1e-10, atol=1e-10):
            why = f": {NOT_DIVIDED}" if np.isclose(total, want_total * f * f) else ""
            raise CheckFailed(
                f"{label}: sum(dX) = {total:.6g} but sum(dout) = {want_total:.6g}; averaging "
                f"preserves the total gradient{why}"
            )
        check_avgpool_backward_case(avgpool_backward, X_shape, f, stride, dout=dout)
    check_avgpool_backward_case(avgpool_backward, (3, 2, 4, 5), 1, 1, rng=rng)
    expect_raises(
        avgpool_backward,
        (np.ones((2, 3, 3, 3)), ((2, 3, 4, 6), 2, 2)),
        why="dout must have the output's shape (N, C, H', W') = (2, 3, 2, 3)",
    )


# ------------------------------------------------------------------------ LeNet S2


@graded_alone("subsampling_counts", forbidden=())
def subsampling_counts_hidden(subsampling_counts):
    for C, H, W, f in [(16, 10, 10, 2), (1, 4, 4, 2), (3, 6, 8, 2), (4, 9, 9, 3), (2, 7, 7, 2)]:
        params, connections = ref.subsampling_counts(C, H, W, f)
        Ho, Wo = ref.pool_output_size(H, f, f), ref.pool_output_size(W, f, f)
        args = (C, H, W, f)
        got = call(subsampling_counts, args)
        expect_equal(
            signature(subsampling_counts, args),
            tuple(got) if isinstance(got, list) else got,
            (params, connections),
            misconceptions={
                "each connection count includes the bias: f*f + 1 per output unit": (
                    params,
                    C * Ho * Wo * f * f,
                ),
                "a subsampling layer has one trainable coefficient and one bias per map, "
                "not an f x f kernel": (
                    C * (f * f + 1),
                    connections,
                ),
                "a subsampling layer has 2 trainable parameters per map (unlike max pooling, "
                "which has none)": (
                    0,
                    connections,
                ),
                "count the connections of the output units (H' x W' per map), not the inputs": (
                    params,
                    C * H * W * (f * f + 1),
                ),
            },
        )


# ------------------------------------------------------------------- understanding


def understanding(answers):
    """Multiple-choice answers, keyed by question name."""
    right = {
        "q_pool_params": 0,
        "q_pool_shape": "a",
        "q_avg_share": 2,
        "q_invalid_gradient": "c",
        "q_shift": "b",
    }
    wrong = [q for q, a in right.items() if answers.get(q) != a]
    if wrong:
        raise CheckFailed(f"{len(wrong)} of {len(right)} answers are wrong: {', '.join(wrong)}")
