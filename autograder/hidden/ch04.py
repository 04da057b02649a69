"""Hidden tests for chapter 4, Backpropagation in CNNs."""

from __future__ import annotations

import contextlib
import copy
import io
import warnings

import numpy as np

from autograder.checks import (
    CheckFailed,
    call,
    describe,
    expect_array,
    expect_own_work_no_library,
    expect_raises,
    expect_rows_normalised,
    reference_helpers,
    reference_helpers_for_this_check,
    signature,
)
from autograder.reference import ch04_backpropagation as ref

# Names whose use would skip an exercise (the student's own notebook functions of the same
# name are allowed by expect_own_work).
RELU_LIBRARY = ("relu_forward", "relu_backward", "relu")
SIGMOID_LIBRARY = ("sigmoid_forward", "sigmoid_backward", "sigmoid", "expit")
GRADCHECK_LIBRARY = ("numerical_gradient", "check_gradient", "approx_fprime", "gradcheck")
CONV_LIBRARY = (
    "conv2d_backward",
    "col2im",
    "im2col",
    "convolve",
    "correlate",
    "convolve2d",
    "correlate2d",
    "fftconvolve",
    "conv2d",
    "conv_transpose2d",
)
POOL_LIBRARY = ("maxpool2d_backward", "max_pool2d", "max_unpool2d")
LOSS_LIBRARY = ("softmax_cross_entropy", "log_softmax", "logsumexp", "cross_entropy")


# The earlier exercises a later one calls: graded with the reference versions, so that
# one mistake costs its points once.
HELPERS = {
    "relu_forward": ref.relu_forward,
    "relu_backward": ref.relu_backward,
    "conv2d_backward": ref.conv2d_backward,
    "maxpool2d_backward": ref.maxpool2d_backward,
}
USES = {
    "conv_relu_pool_forward": ("relu_forward",),
    "conv_relu_pool_backward": ("relu_backward", "maxpool2d_backward", "conv2d_backward"),
    "pool_conv_fc_backward": ("conv2d_backward", "maxpool2d_backward"),
}


def _helpers(exercise):
    return {name: HELPERS[name] for name in USES.get(exercise, ())}


def alone(func):
    """Visible graded cell: ``func`` calls the reference helpers for the rest of the check."""
    reference_helpers_for_this_check(func, _helpers(getattr(func, "__name__", "")))


def _rng(seed):
    return np.random.default_rng(seed)


def _ints(rng, shape, low=-4, high=4):
    """Small integers as floats: exact arithmetic, so a misconception matches exactly."""
    return rng.integers(low, high + 1, size=shape).astype(float)


# ---------------------------------------------------------------- calling


def _copy(value):
    return copy.deepcopy(value)


def _call_watching(func, args, label):
    """Call quietly but record RuntimeWarnings (overflow, divide by zero, invalid value).

    Returns ``(result, messages)``. Underflow is not reported: exp(-1000) = 0 is fine.
    """
    args = [_copy(a) for a in args]
    with (
        warnings.catch_warnings(record=True) as caught,
        np.errstate(over="warn", divide="warn", invalid="warn", under="ignore"),
        contextlib.redirect_stderr(io.StringIO()),
        contextlib.redirect_stdout(io.StringIO()),
    ):
        warnings.simplefilter("always")
        try:
            result = func(*args)
        except NotImplementedError:
            raise NotImplementedError(
                f"{label}: not implemented yet (replace `raise NotImplementedError()` "
                "with your code)"
            ) from None
        except CheckFailed:
            raise
        except Exception as exc:
            raise CheckFailed(f"{label} raised {type(exc).__name__}: {exc}") from None
    messages = [str(w.message) for w in caught if issubclass(w.category, RuntimeWarning)]
    return result, messages


class _Summary:
    """A result shown by shapes, so that a check message stays on one short line."""

    def __init__(self, value):
        self.value = value

    def __repr__(self):
        if isinstance(self.value, (tuple, list)):
            return "(" + ", ".join(describe(v) for v in self.value) + ")"
        return describe(self.value)


def _expect_raises(func, args, why):
    """``expect_raises`` for ValueError, with a returned tuple of arrays shown by shapes."""

    def summarized(*a):
        return _Summary(func(*a))

    summarized.__name__ = getattr(func, "__name__", "function")
    expect_raises(summarized, args, why=why)


def _pair(label, got, what="(out, cache)"):
    if not isinstance(got, (tuple, list)) or len(got) != 2:
        raise CheckFailed(f"{label} should return a pair {what}, got {type(got).__name__}")
    return got


def _triple(label, got):
    if not isinstance(got, (tuple, list)) or len(got) != 3:
        raise CheckFailed(f"{label} should return three arrays (dX, dW, db), got {_kind(got)}")
    return got


def _kind(got):
    if isinstance(got, (tuple, list)):
        return f"a {type(got).__name__} of length {len(got)}"
    return type(got).__name__


def _distinct(expected, variants):
    """Drop misconceptions that coincide with the right answer on this case."""
    expected = np.asarray(expected)
    out = {}
    for message, variant in variants.items():
        variant = np.asarray(variant)
        if variant.shape != expected.shape or not np.allclose(variant, expected):
            out[message] = variant
    return out


# --------------------------------------------------------------------- ReLU


def relu_hidden(relu_forward, relu_backward):
    expect_own_work_no_library(relu_forward, RELU_LIBRARY)
    expect_own_work_no_library(relu_backward, RELU_LIBRARY)
    rng = _rng(401)
    shapes = [(7,), (3, 4), (2, 3, 4, 5), (1, 1, 1, 1), (6, 1), (2, 5, 3)]
    cases = [(_ints(rng, s, -3, 3), _ints(rng, s, -5, 5)) for s in shapes]
    cases.append((rng.standard_normal((4, 6)), rng.standard_normal((4, 6))))
    for X, dout in cases:
        label = signature(relu_forward, (X,))
        out, cache = _pair(label, call(relu_forward, (X,)))
        want_out, _ = ref.relu_forward(X)
        expect_array(
            f"{label}[0]",
            out,
            want_out,
            _distinct(want_out, {"relu(x) = max(x, 0), not min(x, 0)": np.minimum(X, 0)}),
        )
        expect_array(
            f"{label}[1] (the cache)",
            cache,
            X,
            _distinct(X, {"the cache must be the input X itself (not a mask, not out)": X > 0}),
        )
        want = ref.relu_backward(dout, X)
        expect_array(
            signature(relu_backward, (dout, X)),
            call(relu_backward, (dout, X)),
            want,
            _distinct(
                want,
                {
                    "at X == 0 the derivative is taken as 0 (use X > 0, not X >= 0)": dout
                    * (X >= 0),
                    "multiply the mask by dout: dX = dout * (X > 0)": (X > 0).astype(float),
                    "the gradient passes where X > 0, not where X < 0": dout * (X < 0),
                    "relu_backward does not apply ReLU to dout; it masks dout by X > 0": (
                        np.maximum(dout, 0)
                    ),
                },
            ),
        )


# ------------------------------------------------------------------ sigmoid


def _sigmoid_again(out):
    s = 1 / (1 + np.exp(-out))
    return s * (1 - s)


def sigmoid_hidden(sigmoid_forward, sigmoid_backward):
    expect_own_work_no_library(sigmoid_forward, SIGMOID_LIBRARY)
    expect_own_work_no_library(sigmoid_backward, SIGMOID_LIBRARY)
    rng = _rng(402)
    for shape in [(9,), (3, 4), (2, 3, 4, 2), (1, 1)]:
        X = 3 * rng.standard_normal(shape)
        label = signature(sigmoid_forward, (X,))
        out, cache = _pair(label, call(sigmoid_forward, (X,)))
        want_out, _ = ref.sigmoid_forward(X)
        expect_array(
            f"{label}[0]",
            out,
            want_out,
            _distinct(want_out, {"sigma(x) = 1 / (1 + exp(-x)), with a minus sign": 1 - want_out}),
        )
        expect_array(
            f"{label}[1] (the cache)",
            cache,
            want_out,
            _distinct(want_out, {"the cache must be out = sigma(X), not X": X}),
        )
        dout = rng.standard_normal(shape)
        want = ref.sigmoid_backward(dout, want_out)
        expect_array(
            signature(sigmoid_backward, (dout, want_out)),
            call(sigmoid_backward, (dout, want_out)),
            want,
            _distinct(
                want,
                {
                    "the cache is already sigma(X): use out * (1 - out), "
                    "do not apply the sigmoid again": dout * _sigmoid_again(want_out),
                    "multiply by dout: dX = dout * out * (1 - out)": want_out * (1 - want_out),
                    "sigma' = sigma * (1 - sigma), not sigma * (1 + sigma)": dout
                    * want_out
                    * (1 + want_out),
                },
            ),
        )


def sigmoid_stable(sigmoid_forward):
    values = np.array([-1000, -800, -40, -20, -1, 0, 1, 20, 40, 800, 1000], dtype=float)
    for X in [values, values.reshape(1, 11), np.stack([values, -values])]:
        label = signature(sigmoid_forward, (X,))
        got, messages = _call_watching(sigmoid_forward, (X,), label)
        if messages:
            raise CheckFailed(
                f"{label} with |X| up to 1000 raised a warning ({messages[0]}): compute "
                "e = np.exp(-np.abs(X)), which never overflows, and build both cases from it "
                "(np.where evaluates both of its branches for every element)"
            )
        out, _ = _pair(label, got)
        want, _ = ref.sigmoid_forward(X)
        try:
            arr = np.asarray(out, dtype=float)
        except (TypeError, ValueError):
            arr = None
        if arr is not None and arr.shape == want.shape and np.isnan(arr).any():
            raise CheckFailed(
                f"{label} returned NaN: exp(1000) / (1 + exp(1000)) is inf / inf; "
                "use e = exp(-|X|), which lies in (0, 1]"
            )
        one_minus = np.where(X >= 0, want, 1 - ref.sigmoid_forward(np.abs(X))[0])
        expect_array(
            f"{label}[0]",
            out,
            want,
            {
                "for negative X compute e / (1 + e) with e = exp(X): 1 - sigma(|X|) loses all "
                "digits (sigma(-40) is about 4.2e-18, not 0)": one_minus
            },
            rtol=1e-10,
            atol=0.0,
        )


# ------------------------------------------------------- numerical gradient


def _numgrad_no_restore(f, X, h):
    """What a checker that forgets to put X[i] back computes."""
    X = np.array(X, dtype=np.float64)
    grad = np.zeros_like(X)
    flat = X.reshape(-1)
    for i in range(flat.size):
        flat[i] += h
        plus = float(f(X))
        flat[i] -= 2 * h
        minus = float(f(X))
        grad.reshape(-1)[i] = (plus - minus) / (2 * h)
    return grad


class _Recorder:
    """Wrap f and remember the shapes it is called with."""

    def __init__(self, f, shape):
        self.f, self.shape, self.bad = f, tuple(shape), None

    def __call__(self, Z):
        if np.shape(Z) != self.shape and self.bad is None:
            self.bad = np.shape(Z)
        return self.f(Z)


def _check_numgrad(numerical_gradient, f, X, want, variants, h=None, rtol=1e-7, atol=1e-8):
    rec = _Recorder(f, np.shape(X))
    args = (rec, X) if h is None else (rec, X, h)
    label = f"numerical_gradient(f, {describe(np.asarray(X))}"
    label += ")" if h is None else f", h={h:g})"
    got = call(numerical_gradient, args, label=label)
    if rec.bad is not None:
        raise CheckFailed(
            f"{label} called f with an array of shape {rec.bad}; call f with arrays of X's "
            f"shape {np.shape(X)} (perturb a copy of X, not a flattened one)"
        )
    expect_array(label, got, want, _distinct(want, variants), rtol=rtol, atol=atol)
    return label, got


def numerical_gradient_hidden(numerical_gradient):
    expect_own_work_no_library(numerical_gradient, GRADCHECK_LIBRARY)
    rng = _rng(403)

    # A cube with a large step: the centered difference is exactly 3 x**2 + h**2, a one-sided
    # one is off by +-3 x h, and a checker that ignores h gets 3 x**2 + 1e-10.
    X = rng.standard_normal((3, 4))
    h = 1e-3
    _check_numgrad(
        numerical_gradient,
        lambda Z: np.sum(Z**3),
        X,
        3 * X**2 + h**2,
        {
            "that is the forward difference (f(X + h) - f(X)) / h, whose error is O(h): use "
            "the centered one, (f(X + h) - f(X - h)) / 2h": 3 * X**2 + 3 * X * h + h**2,
            "that is a one-sided (backward) difference (f(X) - f(X - h)) / h: use the centered "
            "one, (f(X + h) - f(X - h)) / 2h": 3 * X**2 - 3 * X * h + h**2,
            "use the step h you are given, not a fixed 1e-5": 3 * X**2 + 1e-10,
            "divide by 2h: the two points X - h and X + h are 2h apart": 2 * (3 * X**2 + h**2),
        },
        h=h,
        rtol=1e-9,
        atol=1e-9,
    )

    # Functions that couple the entries: a checker that does not put X[i] back is caught.
    A = rng.standard_normal((2, 3, 2, 2))
    B = rng.standard_normal((2, 3, 2, 2))

    def coupled(Z):
        return np.sum(np.tanh(Z) * A) + np.sum(Z * B) ** 2

    for X in [rng.standard_normal((2, 3, 2, 2)), 0.5 * rng.standard_normal((2, 3, 2, 2))]:
        want = A * (1 - np.tanh(X) ** 2) + 2 * np.sum(X * B) * B
        _check_numgrad(
            numerical_gradient,
            coupled,
            X,
            want,
            {
                "put X[i] back to its old value after perturbing it, before the next entry": (
                    _numgrad_no_restore(coupled, X, 1e-5)
                )
            },
        )

    # 1-D input: log-sum-exp, whose gradient is the softmax.
    x = rng.standard_normal(6)
    _check_numgrad(
        numerical_gradient, lambda Z: np.log(np.sum(np.exp(Z))), x, np.exp(x) / np.exp(x).sum(), {}
    )

    # Integer input: X + h must not be rounded back to an integer. (The float cases above
    # passed, so a wrong answer here comes from the integer dtype.)
    Xi = np.array([[1, 2], [-3, 0]])
    try:
        _check_numgrad(numerical_gradient, lambda Z: np.sum(Z**2), Xi, 2.0 * Xi, {})
    except CheckFailed as exc:
        raise CheckFailed(
            f"{exc} -- X holds integers, so X + h was rounded to an integer: work on a "
            "float64 copy, np.array(X, dtype=np.float64)"
        ) from None

    # float32 input: the differences must still be taken in float64.
    X32 = rng.standard_normal((3, 3)).astype(np.float32)
    x64 = X32.astype(np.float64)
    _check_numgrad_float32(numerical_gradient, X32, np.cos(x64) * x64 + np.sin(x64))

    # The caller's X is left exactly as it was.
    X = rng.standard_normal((2, 3))
    before = X.copy()
    with contextlib.suppress(Exception), _quiet_call():
        numerical_gradient(lambda Z: np.sum(np.sin(Z)), X)
    if not np.array_equal(X, before):
        raise CheckFailed(
            "numerical_gradient(f, X) changed the caller's X; work on a copy, "
            "np.array(X, dtype=np.float64), and put each entry back after perturbing it"
        )


@contextlib.contextmanager
def _quiet_call():
    with (
        warnings.catch_warnings(),
        np.errstate(all="ignore"),
        contextlib.redirect_stderr(io.StringIO()),
        contextlib.redirect_stdout(io.StringIO()),
    ):
        warnings.simplefilter("ignore")
        yield


def _check_numgrad_float32(numerical_gradient, X32, want):
    def f(Z):
        return np.sum(np.sin(Z) * Z)  # float32 in, float32 out

    label = "numerical_gradient(f, float32 X)"
    got = call(numerical_gradient, (f, X32), label=label)
    arr = np.asarray(got) if isinstance(got, np.ndarray) else got
    if isinstance(arr, np.ndarray) and arr.shape == X32.shape:
        err = float(np.max(np.abs(arr.astype(np.float64) - want) / (np.abs(want) + 1e-3)))
        if err > 1e-5:
            raise CheckFailed(
                f"{label} is off by a relative {err:.1e}: X is float32, where a step of 1e-5 "
                "is mostly lost in rounding; work on a float64 copy, "
                "np.array(X, dtype=np.float64)"
            )
        if arr.dtype != np.float64:
            raise CheckFailed(f"{label} returned dtype {arr.dtype}; return a float64 array")
    expect_array(label, got, want, rtol=1e-7, atol=1e-8)


# ---------------------------------------------------------------- rel_error


def rel_error_hidden(rel_error):
    expect_own_work_no_library(rel_error, ("rel_error",))
    rng = _rng(404)
    pairs = [
        (rng.standard_normal((3, 4)), 3 * rng.standard_normal((3, 4))),  # ||a|| < ||b||
        (rng.standard_normal((2, 3, 2, 2)), rng.standard_normal((2, 3, 2, 2))),
        (rng.standard_normal(5) + 10, rng.standard_normal(5) + 10),
    ]
    a = rng.standard_normal((4, 3))
    pairs.append((a, a + 1e-6 * rng.standard_normal((4, 3))))
    pairs.append((a, -a))  # opposite: 1
    pairs.append((a, np.zeros_like(a)))  # one of them zero: 1
    for a, b in pairs:
        na, nb, nd = np.linalg.norm(a), np.linalg.norm(b), np.linalg.norm(a - b)
        want = ref.rel_error(a, b)
        variants = {
            "use norms of the whole arrays, ||a - b|| / (||a|| + ||b||), not the largest "
            "entrywise ratio": np.max(np.abs(a - b) / np.maximum(np.abs(a) + np.abs(b), 1e-12)),
            "divide by ||a|| + ||b||, not by max(||a||, ||b||)": nd / max(na, nb),
            "divide by ||a|| + ||b||, not by ||a|| alone": nd / na if na else 0.0,
            "divide by ||a|| + ||b||, not by ||b|| alone": nd / nb if nb else 0.0,
            "use norms (square roots of the sums of squares), not sums of squares": nd**2
            / (na**2 + nb**2),
        }
        expect_array(
            signature(rel_error, (a, b)),
            np.asarray(_scalar(rel_error, a, b)),
            want,
            _distinct(want, variants),
        )
    # both zero: 0, not NaN
    z = np.zeros((2, 3))
    got = np.asarray(_scalar(rel_error, z, z))
    if got.shape == () and np.issubdtype(got.dtype, np.number) and np.isnan(got):
        raise CheckFailed(
            f"{signature(rel_error, (z, z))} returned nan: when a and b are both zero, "
            "return 0.0 (0 / 0 is NaN)"
        )
    expect_array(signature(rel_error, (z, z)), got, 0.0)
    # lists
    expect_array(
        "rel_error([1, 2, 2], [1, 2, 2.5])",
        np.asarray(_scalar(rel_error, [1, 2, 2], [1, 2, 2.5])),
        0.5 / (3 + np.sqrt(1 + 4 + 6.25)),
    )
    # shapes that differ, even when NumPy could broadcast them
    _expect_raises(rel_error, (np.ones(3), np.ones(4)), why="the shapes differ")
    _expect_raises(rel_error, (np.ones((3, 1)), np.ones((1, 3))), why="the shapes differ")
    _expect_raises(rel_error, (np.ones(4), np.ones((1, 4))), why="the shapes differ")


def _scalar(rel_error, a, b):
    got = call(rel_error, (a, b))
    if got is None:
        raise CheckFailed(f"{signature(rel_error, (a, b))} returned None; did you forget `return`?")
    return got


# ------------------------------------------------------------- convolution


def _conv_case(rng, N, C, H, Wd, C_out, kH, kW, ints=True):
    make = (lambda s: _ints(rng, s, -3, 3)) if ints else rng.standard_normal
    return make((N, C, H, Wd)), make((C_out, C, kH, kW)), make((C_out,))


AS_IT_IS = (
    "dX used the kernel as it is (or rotated it twice: a convolution routine that flips the "
    "kernel, given K[::-1, ::-1], flips it back): dX is the full cross-correlation of dout "
    "with the kernel rotated by 180 degrees once (W[:, :, ::-1, ::-1])"
)
DX_TRANSPOSED = (
    "dX used the transposed kernel (K.T): the transpose in delta = W^T delta' is of the big "
    "matrix of the convolution; for the kernel it is a 180-degree rotation, K[::-1, ::-1]"
)
DW_ROTATED = "dW is the cross-correlation of the input with dout: it is not rotated by 180 degrees"
DW_TRANSPOSED = (
    "dW was transposed (its last two axes swapped): dW[o, c, u, v] is the sum of "
    "dout[n, o, i, j] * X[n, c, i + u, j + v], u along the rows and v along the columns"
)
DW_ROTATED_OR_TRANSPOSED = (
    "dW was rotated by 180 degrees or transposed (on this case both give the same): dW is "
    "the cross-correlation of the input with dout, neither rotated nor transposed"
)


def _scatter_backward(dout, X, W, stride, pad, step):
    """Loop backward with windows ``step`` apart instead of ``stride`` (step=1: stride ignored)."""
    N, C, H, Wd = X.shape
    _, _, kH, kW = W.shape
    Xp = np.pad(X, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    dXp = np.zeros_like(Xp)
    dW = np.zeros_like(W)
    for n in range(N):
        for i in range(dout.shape[2]):
            for j in range(dout.shape[3]):
                r, c = slice(i * step, i * step + kH), slice(j * step, j * step + kW)
                g = dout[n, :, i, j]
                dW += g[:, None, None, None] * Xp[n, None, :, r, c]
                dXp[n, :, r, c] += np.tensordot(g, W, axes=1)
    return dXp[:, :, pad : pad + H, pad : pad + Wd], dW


def _conv_misconceptions(dout, X, W, b, stride, pad):
    """Wrong (dX, dW, db) a student is likely to produce, keyed by message, per part."""
    N, C, H, Wd = X.shape
    C_out = W.shape[0]
    dX, dW, db = ref.conv2d_backward(dout, (X, W, b, stride, pad))
    mis = {"dX": {}, "dW": {}, "db": {}}

    flipped = ref.conv2d_backward(dout, (X, W[:, :, ::-1, ::-1], b, stride, pad))[0]
    mis["dX"][AS_IT_IS] = flipped
    if W.shape[2] == W.shape[3]:
        transposed = W.transpose(0, 1, 3, 2)
        # cross-correlating the padded dout with K.T instead of K[::-1, ::-1] ...
        mis["dX"][DX_TRANSPOSED] = ref.conv2d_backward(
            dout, (X, transposed[:, :, ::-1, ::-1], b, stride, pad)
        )[0]
        # ... or scattering K.T instead of K in the loop formulation
        mis["dX"][DX_TRANSPOSED + " "] = ref.conv2d_backward(dout, (X, transposed, b, stride, pad))[
            0
        ]
    if stride > 1:
        dX_s, dW_s = _scatter_backward(dout, X, W, stride, pad, step=1)
        msg = (
            f"the stride ({stride}) was ignored in the backward pass: output (i, j) came from "
            f"the window at (stride*i, stride*j), so its gradient goes there (dout is dilated)"
        )
        mis["dX"][msg] = dX_s
        mis["dW"][msg] = dW_s
    if pad > 0:
        mis["dX"][
            "dX still has the padding border: crop it, dX = dXp[:, :, pad:pad + H, pad:pad + W]"
        ] = np.zeros((N, C, H + 2 * pad, Wd + 2 * pad))
    else:
        mis["dX"][
            "dX is empty: with pad = 0, dXp[:, :, pad:-pad] is dXp[:, :, 0:0]; "
            "slice with pad:pad + H instead"
        ] = np.zeros((N, C, 0, 0))
    if C == C_out and C > 1:
        swapped = ref.conv2d_backward(dout, (X, W.transpose(1, 0, 2, 3), b, stride, pad))[0]
        mis["dX"][
            "the channel axes of W were swapped: dX[n, c] sums W[o, c] * dout[n, o] over the "
            "output channels o"
        ] = swapped
    if N > 1:
        mis["dX"]["dX has one gradient per image: do not sum it over the batch"] = np.zeros(
            (1, C, H, Wd)
        )
        mis["dW"]["dW must sum over every image of the batch, not only the first one"] = (
            ref.conv2d_backward(dout[:1], (X[:1], W, b, stride, pad))[1]
        )
        mis["dW"]["dW is a sum over the batch: do not divide it by N"] = dW / N
        mis["db"]["db must sum over every image of the batch, not only the first one"] = dout[
            0
        ].sum(axis=(1, 2))
        mis["db"]["db is a sum over the batch: do not divide it by N"] = db / N
    rotated, transposed = dW[:, :, ::-1, ::-1], dW.transpose(0, 1, 3, 2)
    if rotated.shape == transposed.shape and np.allclose(rotated, transposed):
        mis["dW"][DW_ROTATED_OR_TRANSPOSED] = rotated
    else:
        mis["dW"][DW_ROTATED] = rotated
        if transposed.shape == dW.shape:
            mis["dW"][DW_TRANSPOSED] = transposed

    axes_msg = "db sums dout over N, H' and W' (axes (0, 2, 3)); "
    mis["db"][axes_msg + "this sums over axis 0 only"] = dout.sum(axis=0)
    mis["db"][axes_msg + "this sums over (2, 3) only: also sum over the batch"] = dout.sum(
        axis=(2, 3)
    )
    mis["db"][axes_msg + "this sums over (1, 2, 3), one value per image"] = dout.sum(axis=(1, 2, 3))
    mis["db"][axes_msg + "this sums over (0, 2), not W'"] = dout.sum(axis=(0, 2))
    mis["db"][axes_msg + "this sums over everything: db has one entry per filter"] = np.asarray(
        dout.sum()
    )
    mis["db"]["db is a sum, not a mean"] = dout.mean(axis=(0, 2, 3))
    want = {"dX": dX, "dW": dW, "db": db}
    return want, {part: _distinct(want[part], mis[part]) for part in mis}


def _conv_label(dout, X, W, stride, pad):
    return (
        f"conv2d_backward(dout{dout.shape}, cache with X{X.shape}, W{W.shape}, "
        f"stride={stride}, pad={pad})"
    )


def _check_conv(conv2d_backward, X, W, b, stride, pad, dout, parts=("dX", "dW", "db")):
    label = _conv_label(dout, X, W, stride, pad)
    got = _triple(label, call(conv2d_backward, (dout, _copy((X, W, b, stride, pad))), label=label))
    want, mis = _conv_misconceptions(dout, X, W, b, stride, pad)
    index = {"dX": 0, "dW": 1, "db": 2}
    for part in parts:
        expect_array(f"{part} from {label}", got[index[part]], want[part], mis[part])


def _conv_run(conv2d_backward, seed, cases, parts, ints=True):
    rng = _rng(seed)
    for N, C, H, Wd, C_out, kH, kW, stride, pad in cases:
        X, W, b = _conv_case(rng, N, C, H, Wd, C_out, kH, kW, ints)
        out, _ = ref.conv2d_forward(X, W, b, stride, pad)
        dout = _ints(rng, out.shape) if ints else rng.standard_normal(out.shape)
        _check_conv(conv2d_backward, X, W, b, stride, pad, dout, parts)


# N, C, H, W, C_out, kH, kW, stride, pad
_BASIC_CASES = [
    (2, 2, 6, 6, 2, 3, 3, 1, 0),
    (2, 3, 5, 5, 4, 3, 3, 1, 0),
    (3, 2, 6, 4, 2, 2, 3, 1, 0),
    (2, 1, 7, 5, 3, 4, 2, 1, 0),
    (4, 3, 3, 3, 2, 3, 3, 1, 0),
    (1, 2, 5, 6, 3, 3, 3, 1, 0),
]
_STRIDE_PAD_CASES = [
    (2, 3, 7, 7, 2, 3, 3, 2, 1),
    (2, 2, 8, 6, 3, 3, 2, 2, 0),
    (3, 1, 9, 7, 2, 3, 3, 3, 1),
    (1, 2, 5, 6, 2, 2, 2, 1, 2),
    (2, 2, 6, 5, 2, 4, 3, 2, 2),
    (2, 3, 7, 5, 3, 5, 3, 3, 2),
    (2, 2, 6, 6, 2, 3, 3, 2, 1),
]


def conv2d_backward_db(conv2d_backward):
    expect_own_work_no_library(conv2d_backward, CONV_LIBRARY)
    _conv_run(conv2d_backward, 501, _BASIC_CASES + _STRIDE_PAD_CASES[:2], ("db",))


def conv2d_backward_dw(conv2d_backward):
    expect_own_work_no_library(conv2d_backward, CONV_LIBRARY)
    _conv_run(conv2d_backward, 502, _BASIC_CASES, ("dW",))


def conv2d_backward_dx(conv2d_backward):
    expect_own_work_no_library(conv2d_backward, CONV_LIBRARY)
    _conv_run(conv2d_backward, 503, _BASIC_CASES, ("dX",))


def conv2d_backward_stride_pad(conv2d_backward):
    expect_own_work_no_library(conv2d_backward, CONV_LIBRARY)
    _conv_run(conv2d_backward, 504, _STRIDE_PAD_CASES, ("dX", "dW", "db"))


def conv2d_backward_edge_cases(conv2d_backward):
    expect_own_work_no_library(conv2d_backward, CONV_LIBRARY)
    cases = [
        (1, 1, 4, 4, 1, 3, 3, 1, 0),  # one image, one channel, one filter
        (3, 1, 5, 4, 1, 2, 2, 1, 1),  # one channel in and out, several images
        (2, 3, 3, 4, 2, 5, 6, 1, 1),  # kernel as large as the padded input: H' = W' = 1
        (2, 2, 4, 4, 3, 4, 4, 1, 0),  # kernel as large as the input
        (2, 3, 5, 5, 2, 1, 1, 2, 0),  # 1x1 kernel with stride 2
        (2, 2, 8, 7, 2, 2, 2, 3, 0),  # stride larger than the kernel: gaps get no gradient
    ]
    _conv_run(conv2d_backward, 505, cases, ("dX", "dW", "db"))
    _conv_run(conv2d_backward, 506, [(2, 3, 6, 5, 2, 3, 2, 2, 1)], ("dX", "dW", "db"), ints=False)
    # a dout whose shape is not the forward output's
    rng = _rng(507)
    X, W, b = _conv_case(rng, 2, 2, 5, 6, 3, 3, 3)
    for bad in [(2, 3, 3, 3), (2, 3, 4, 3), (3, 4), (1, 3, 3, 4)]:
        _expect_raises(
            conv2d_backward,
            (np.ones(bad), (X, W, b, 1, 0)),
            why=f"the forward output has shape (2, 3, 3, 4), dout has shape {bad}",
        )


# ------------------------------------------------------------------ pooling


def _pool_variant(dout, cache, *, assign=False, step=None, transpose=False, window=None):
    X_shape, size, stride, argmax = cache
    step = stride if step is None else step
    dX = np.zeros(X_shape)
    N, C, Ho, Wo = argmax.shape
    for n in range(N):
        for c in range(C):
            for i in range(Ho):
                for j in range(Wo):
                    g = dout[n, c, i, j]
                    if window is not None:
                        r, s = slice(i * step, i * step + size), slice(j * step, j * step + size)
                        dX[n, c, r, s] += g / (size * size if window == "mean" else 1)
                        continue
                    u, v = divmod(int(argmax[n, c, i, j]), size)
                    if transpose:
                        u, v = v, u
                    if assign:
                        dX[n, c, i * step + u, j * step + v] = g
                    else:
                        dX[n, c, i * step + u, j * step + v] += g
    return dX


def _pool_misconceptions(dout, cache):
    size, stride = cache[1], cache[2]
    mis = {
        "argmax is a row-major offset: row u = argmax // size, column v = argmax % size": (
            _pool_variant(dout, cache, transpose=True)
        ),
        "the whole gradient goes to the maximum only, not to every element of the window": (
            _pool_variant(dout, cache, window="copy")
        ),
        "that is average pooling's gradient; max pooling sends it to the maximum only": (
            _pool_variant(dout, cache, window="mean")
        ),
    }
    if stride < size:
        mis["overlapping windows: add the gradients (+=), do not overwrite them"] = _pool_variant(
            dout, cache, assign=True
        )
    if stride != 1:
        mis[f"the stride ({stride}) was ignored: window (i, j) starts at (stride*i, stride*j)"] = (
            _pool_variant(dout, cache, step=1)
        )
    return mis


def maxpool2d_backward_hidden(maxpool2d_backward):
    expect_own_work_no_library(maxpool2d_backward, POOL_LIBRARY)
    rng = _rng(601)
    cases = [  # N, C, H, W, size, stride
        (2, 3, 4, 4, 2, 2),
        (1, 2, 5, 7, 2, 2),  # last row and column are in no window
        (2, 1, 6, 6, 3, 3),
        (2, 2, 5, 5, 3, 2),  # overlapping windows
        (1, 3, 4, 5, 2, 1),  # overlapping windows
        (3, 2, 7, 6, 3, 1),
        (1, 1, 2, 2, 2, 2),
    ]
    for N, C, H, Wd, size, stride in cases:
        X = _ints(rng, (N, C, H, Wd), -2, 2)  # many ties
        _, cache = ref.maxpool2d_forward(X, size, stride)
        dout = _ints(rng, cache[3].shape, 1, 5)
        want = ref.maxpool2d_backward(dout, cache)
        label = f"maxpool2d_backward(dout{dout.shape}, cache of X{X.shape}, size={size}, " + (
            f"stride={stride})"
        )
        expect_array(
            label,
            call(maxpool2d_backward, (dout, _copy(cache)), label=label),
            want,
            _distinct(want, _pool_misconceptions(dout, cache)),
        )
    X = _ints(rng, (2, 2, 4, 4))
    _, cache = ref.maxpool2d_forward(X, 2, 2)
    for bad in [(2, 2, 2, 3), (2, 2, 4, 4), (4, 2, 2)]:
        _expect_raises(
            maxpool2d_backward,
            (np.ones(bad), _copy(cache)),
            why=f"argmax has shape (2, 2, 2, 2), dout has shape {bad}",
        )


# ------------------------------------------------------- conv -> ReLU -> pool


def conv_relu_pool_hidden(conv_relu_pool_forward, conv_relu_pool_backward):
    expect_own_work_no_library(
        conv_relu_pool_forward, CONV_LIBRARY + RELU_LIBRARY + ("maxpool2d_forward",)
    )
    expect_own_work_no_library(conv_relu_pool_backward, CONV_LIBRARY + RELU_LIBRARY + POOL_LIBRARY)
    with (
        reference_helpers(conv_relu_pool_forward, _helpers("conv_relu_pool_forward")),
        reference_helpers(conv_relu_pool_backward, _helpers("conv_relu_pool_backward")),
    ):
        _conv_relu_pool_cases(conv_relu_pool_forward, conv_relu_pool_backward)


def _conv_relu_pool_cases(conv_relu_pool_forward, conv_relu_pool_backward):
    rng = _rng(701)
    cases = [  # N, C, H, W, C_out, k, stride, pad, pool, integer values
        (2, 2, 6, 6, 3, 3, 1, 1, 2, True),
        (1, 3, 8, 7, 2, 3, 1, 0, 2, True),
        (2, 1, 9, 9, 2, 3, 2, 1, 2, True),
        (2, 2, 7, 5, 2, 2, 1, 0, 3, True),
        (3, 2, 6, 7, 2, 3, 1, 1, 2, False),
    ]
    for N, C, H, Wd, C_out, k, stride, pad, pool, ints in cases:
        X, W, b = _conv_case(rng, N, C, H, Wd, C_out, k, k, ints)
        kwargs = {"stride": stride, "pad": pad, "pool": pool}
        label = signature(conv_relu_pool_forward, (X, W, b), kwargs)
        got = _pair(label, call(conv_relu_pool_forward, (X, W, b), kwargs, label=label))
        want_out, ref_cache = ref.conv_relu_pool_forward(X, W, b, stride, pad, pool)
        expect_array(f"{label}[0]", got[0], want_out)
        dout = _ints(rng, want_out.shape, -3, 3) if ints else rng.standard_normal(want_out.shape)
        blabel = f"conv_relu_pool_backward(dout{dout.shape}, cache from {label})"
        grads = _triple(blabel, call(conv_relu_pool_backward, (dout, _copy(got[1])), label=blabel))
        want = ref.conv_relu_pool_backward(dout, ref_cache)
        conv_cache, _, pool_cache = ref_cache
        no_relu = ref.conv2d_backward(ref.maxpool2d_backward(dout, pool_cache), conv_cache)
        for name, g, w, skipped in zip(("dX", "dW", "db"), grads, want, no_relu, strict=True):
            misconceptions = {
                "the ReLU was skipped in the backward pass: multiply by relu' "
                "(relu_backward) between pooling and convolution": skipped
            }
            expect_array(f"{name} from {blabel}", g, w, _distinct(w, misconceptions))


# ------------------------------------------- pool -> conv -> fully connected


FC_PARTS = ("dX", "dW1", "db1", "dW2", "db2")


def pool_conv_fc_hidden(pool_conv_fc_backward):
    expect_own_work_no_library(pool_conv_fc_backward, CONV_LIBRARY + POOL_LIBRARY)
    with reference_helpers(pool_conv_fc_backward, _helpers("pool_conv_fc_backward")):
        _pool_conv_fc_cases(pool_conv_fc_backward)


def _pool_conv_fc_cases(pool_conv_fc_backward):
    rng = _rng(751)
    for N, C, H, Wd, C_out, k, K, ints in [
        (2, 2, 4, 4, 3, 3, 4, True),
        (1, 1, 6, 4, 2, 3, 3, True),
        (3, 3, 4, 6, 2, 1, 5, False),
        (2, 1, 8, 8, 4, 3, 10, False),
    ]:
        make = (lambda s: _ints(rng, s, -3, 3)) if ints else rng.standard_normal
        X = make((N, C, H, Wd))
        D = C_out * (H // 2 + 3 - k) * (Wd // 2 + 3 - k)
        params = (make((C_out, C, k, k)), make((C_out,)), make((D, K)), make((K,)))
        scores, cache = ref.pool_conv_fc_forward(X, params)
        dscores = make(scores.shape)
        label = (
            f"pool_conv_fc_backward(dscores{dscores.shape}, cache of X{X.shape}, "
            f"W1{params[0].shape}, W2{params[2].shape})"
        )
        got = call(pool_conv_fc_backward, (dscores, _copy(cache)), label=label)
        if not isinstance(got, (tuple, list)) or len(got) != 5:
            raise CheckFailed(f"{label} should return five arrays {FC_PARTS}, got {_kind(got)}")
        want = ref.pool_conv_fc_backward(dscores, cache)
        pool_cache, conv_cache, a_shape, flat, W2 = cache
        no_reshape_msg = (
            "the gradient reached the convolution with the wrong layout: reshape "
            "dscores @ W2.T back to the conv output's shape (N, C_out, H', W')"
        )
        misconceptions = {
            "dW2": {
                "dW2 = flat.T @ dscores, of the shape of W2 (D, K); this is its transpose": (
                    want[3].T
                ),
            },
            "db2": {
                "db2 is the sum of dscores over the batch, not the mean": want[4] / N,
                "db2 sums over the batch (axis 0), one entry per class": np.zeros(N),
            },
        }
        # the flattened gradient reshaped in another order (e.g. (N, H', W', C_out))
        _, _, Ho, Wo = a_shape
        da = dscores @ W2.T
        wrong_da = da.reshape(N, Ho, Wo, C_out).transpose(0, 3, 1, 2)
        if not np.allclose(wrong_da, da.reshape(a_shape)):
            dp, dW1, db1 = ref.conv2d_backward(wrong_da, conv_cache)
            wrong = (ref.maxpool2d_backward(dp, pool_cache), dW1, db1)
            for i, part in enumerate(("dX", "dW1", "db1")):
                misconceptions.setdefault(part, {})[no_reshape_msg] = wrong[i]
        for i, part in enumerate(FC_PARTS):
            expect_array(
                f"{part} from {label}",
                got[i],
                want[i],
                _distinct(want[i], misconceptions.get(part, {})),
            )


# --------------------------------------------------------------------- loss


def _softmax_misconceptions(scores, y):
    N = scores.shape[0]
    loss, d = ref.softmax_cross_entropy(scores, y)
    onehot = np.zeros_like(scores)
    onehot[np.arange(N), y] = 1
    return (
        {
            "the loss is the mean over the batch, not the sum": N * loss,
        },
        {
            "the loss is a mean over N examples, so divide the gradient by N": N * d,
            "the gradient is (p - onehot(y)) / N, not (onehot(y) - p) / N": -d,
            "subtract 1 at the correct class: the gradient is (p - onehot(y)) / N": d + onehot / N,
        },
    )


def _check_softmax(softmax_cross_entropy, scores, y, watch=False):
    label = signature(softmax_cross_entropy, (scores, y))
    if watch:
        got, messages = _call_watching(softmax_cross_entropy, (scores, y), label)
        if messages:
            raise CheckFailed(
                f"{label} raised a warning ({messages[0]}): subtract each row's maximum before "
                "exp, and compute log p as the log-softmax (s - max) - log(sum(exp(s - max))) "
                "instead of taking the log of a probability that can underflow to 0"
            )
    else:
        got = call(softmax_cross_entropy, (scores, y), label=label)
    loss, dscores = _pair(label, got, "(loss, dscores)")
    want_loss, want_d = ref.softmax_cross_entropy(scores, y)
    expect_rows_normalised(label, scores, y, dscores)
    mis_loss, mis_d = _softmax_misconceptions(scores, y)
    if watch and np.ndim(loss) == 0 and not np.isfinite(float(loss)):
        raise CheckFailed(
            f"loss from {label} is {float(loss)}, expected {want_loss:.6g}: a probability "
            "underflowed to 0 before the log; use the log-softmax (s - max) - "
            "log(sum(exp(s - max)))"
        )
    expect_array(f"loss from {label}", np.asarray(loss), want_loss, _distinct(want_loss, mis_loss))
    expect_array(f"dscores from {label}", dscores, want_d, _distinct(want_d, mis_d))


def softmax_cross_entropy_hidden(softmax_cross_entropy):
    expect_own_work_no_library(softmax_cross_entropy, LOSS_LIBRARY)
    rng = _rng(801)
    for N, K in [(1, 2), (3, 5), (8, 10), (16, 3), (4, 4), (5, 1)]:
        scores = 3 * rng.standard_normal((N, K))
        y = rng.integers(0, K, size=N)
        _check_softmax(softmax_cross_entropy, scores, y)


def softmax_cross_entropy_stable(softmax_cross_entropy):
    expect_own_work_no_library(softmax_cross_entropy, LOSS_LIBRARY)
    cases = [
        (np.array([[1000.0, 1001.0, 1002.0], [-1000.0, -1000.0, -1000.0]]), np.array([2, 0])),
        (
            np.array([[1000.0, 0.0, -1000.0], [-1000.0, 1000.0, 0.0], [0.5, 0.5, 0.5]]),
            np.array([2, 0, 1]),
        ),
        (np.array([[800.0, -800.0]]), np.array([1])),
    ]
    for scores, y in cases:
        _check_softmax(softmax_cross_entropy, scores, y, watch=True)
    scores = np.zeros((3, 4))
    _expect_raises(softmax_cross_entropy, (scores, np.array([0, 4, 1])), why="label 4 with K = 4")
    _expect_raises(softmax_cross_entropy, (scores, np.array([0, -1, 1])), why="label -1")
    _expect_raises(
        softmax_cross_entropy, (scores, np.array([[0], [1], [2]])), why="y must have shape (3,)"
    )
    _expect_raises(softmax_cross_entropy, (scores, np.array([0, 1])), why="y must have shape (3,)")


# -------------------------------------------------------------- understanding


def understanding(answers):
    """Multiple-choice answers, keyed by question name."""
    right = {
        "q_relu_at_zero": "b",
        "q_sigmoid_slope": "c",
        "q_centered_error": "b",
        "q_dx_kernel": "b",
        "q_stride": "a",
        "q_db_axes": "a",
        "q_vanishing": "b",
    }
    wrong = [q for q, a in right.items() if answers.get(q) != a]
    if wrong:
        raise CheckFailed(f"{len(wrong)} of {len(right)} answers are wrong: {', '.join(wrong)}")
