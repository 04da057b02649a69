"""Hidden tests for chapter 8, Gated convolutions and convolutional sequence models."""

from __future__ import annotations

import copy

import numpy as np

from autograder.checks import (
    CheckFailed,
    call,
    expect_array,
    expect_equal,
    expect_own_work_no_library,
    expect_raises,
    expect_shape,
    reference_helpers,
    signature,
)
from autograder.reference import ch08_gated_sequence as ref

# Names whose use would skip an exercise (the student's own notebook functions of the same
# name are allowed by expect_own_work).
CONV_LIBRARY = (
    "conv1d_forward",
    "conv1d_backward",
    "Conv1d",
    "convolve",
    "correlate",
    "fftconvolve",
    "oaconvolve",
    "conv1d",
    "lfilter",
)
GLU_LIBRARY = ("glu_forward", "glu_backward", "glu", "GLU", "GatedConv1d", "expit")

LEAKS_FUTURE = (
    "non-causal padding leaks the future: pad (k-1)*dilation zeros on the left only, so "
    "that the output at t sees X[t] and earlier inputs, never later ones"
)
RIGHT_PADDING = "the zeros went on the right: the output at t sees the future; pad on the left"
NO_PADDING = "the output must keep the length L: pad (k-1)*dilation zeros on the left"
FLIPPED = "the kernel was flipped: tap k-1 meets the newest input X[t], tap 0 the oldest"
NO_DILATION = "the dilation was ignored: tap j meets X[t - (k-1-j)*dilation]"
PAD_NOT_DILATED = "the padding must grow with the dilation: (k-1)*dilation zeros, not k-1"
NO_BIAS = "add the bias b[o] to every time step of output channel o"
WRONG_BRANCH = (
    "the sigmoid is on the wrong branch: the first input is the linear branch, the gate is "
    "sigmoid of the second (A * sigmoid(B))"
)
SHARED = (
    "the gate used the same weights as the linear branch: W, b and V, c are separate "
    "parameters (with V = W the gate is a fixed function of A, not a learned gate)"
)
NO_RESIDUAL = "the residual X + ... is missing"
NO_RESIDUAL_GRAD = "the residual path adds dout itself to dX"


def _rng(seed):
    return np.random.default_rng(seed)


def _ints(rng, shape, low=-3, high=3):
    """Small integers as floats: exact arithmetic, so a misconception matches exactly."""
    return rng.integers(low, high + 1, size=shape).astype(float)


def _copy(value):
    return copy.deepcopy(value)


def _distinct(expected, variants):
    """Drop misconceptions that coincide with the right answer on this case."""
    expected = np.asarray(expected)
    out = {}
    for message, variant in variants.items():
        variant = np.asarray(variant)
        if variant.shape != expected.shape or not np.allclose(variant, expected):
            out[message] = variant
    return out


def _tuple(label, got, n, what):
    if not isinstance(got, (tuple, list)) or len(got) != n:
        kind = (
            f"a {type(got).__name__} of length {len(got)}"
            if isinstance(got, (tuple, list))
            else type(got).__name__
        )
        raise CheckFailed(f"{label} should return {what}, got {kind}")
    return got


# The earlier exercises the block may call. While the block is graded, the student's
# versions are swapped for these, so that one mistake costs points only once.
HELPERS = {
    "sigmoid": ref.sigmoid,
    "causal_conv1d_forward": ref.causal_conv1d_forward,
    "causal_conv1d_backward": ref.causal_conv1d_backward,
    "glu_forward": ref.glu_forward,
    "glu_backward": ref.glu_backward,
}


# ------------------------------------------------------- causal convolution


def _conv(X, W, b, dilation, left, right):
    """Cross-correlation of X padded by ``left`` and ``right`` zeros: the variants' engine."""
    Xp = np.pad(X, ((0, 0), (0, 0), (left, right)))
    k = W.shape[2]
    L_out = Xp.shape[2] - (k - 1) * dilation
    out = np.zeros((X.shape[0], W.shape[0], max(L_out, 0))) + b[None, :, None]
    for j in range(k if L_out > 0 else 0):
        out += np.einsum("oc,ncl->nol", W[:, :, j], Xp[:, :, j * dilation : j * dilation + L_out])
    return out


def _forward_misconceptions(X, W, b, d):
    k = W.shape[2]
    span = (k - 1) * d
    mis = {
        RIGHT_PADDING: _conv(X, W, b, d, 0, span),
        NO_PADDING: _conv(X, W, b, d, 0, 0),
        FLIPPED: _conv(X, W[:, :, ::-1], b, d, span, 0),
        NO_BIAS: _conv(X, W, 0 * b, d, span, 0),
    }
    if span:
        mis[LEAKS_FUTURE] = _conv(X, W, b, d, span // 2, span - span // 2)
    if d > 1:
        mis[NO_DILATION] = _conv(X, W, b, 1, k - 1, 0)
        mis[PAD_NOT_DILATED] = _conv(X, W, b, d, k - 1, 0)
    return mis


def _conv_case(rng, N, C, L, C_out, k, ints=True):
    draw = (lambda s: _ints(rng, s)) if ints else rng.standard_normal
    return draw((N, C, L)), draw((C_out, C, k)), draw((C_out,))


# N, C, L, C_out, k, dilation
_CONV_CASES = [
    (2, 3, 8, 2, 3, 1),
    (1, 1, 6, 1, 2, 1),
    (3, 2, 9, 4, 2, 2),
    (2, 2, 10, 3, 3, 2),
    (1, 3, 12, 2, 2, 4),
    (2, 1, 7, 2, 1, 1),  # one tap: a 1x1 convolution, no padding at all
    (2, 2, 5, 2, 4, 2),  # the kernel spans more than the sequence
    (4, 3, 6, 1, 5, 1),
]


def causal_conv1d_hidden(causal_conv1d_forward):
    expect_own_work_no_library(causal_conv1d_forward, CONV_LIBRARY)
    rng = _rng(801)
    for i, (N, C, L, C_out, k, d) in enumerate(_CONV_CASES):
        X, W, b = _conv_case(rng, N, C, L, C_out, k, ints=i < 6)
        label = signature(causal_conv1d_forward, (X, W, b), {"dilation": d})
        got = call(causal_conv1d_forward, (X, W, b), {"dilation": d}, label=label)
        out, _ = _tuple(label, got, 2, "a pair (out, cache)")
        want, _ = ref.causal_conv1d_forward(X, W, b, d)
        expect_array(f"{label}[0]", out, want, _distinct(want, _forward_misconceptions(X, W, b, d)))
    X, W, b = _conv_case(rng, 2, 3, 6, 2, 2)
    bad = [
        ((X[0], W, b), {}, "X must be 3-D (N, C, L)"),
        ((X, W[0], b), {}, "W must be 3-D (C_out, C, k)"),
        ((X, np.ones((2, 4, 2)), b), {}, "W has 4 channels, X has 3"),
        ((X, W, np.ones(3)), {}, "b must have shape (2,)"),
        ((X, W, b), {"dilation": 0}, "dilation 0"),
        ((X, W, b), {"dilation": 1.5}, "dilation 1.5"),
    ]
    for args, kwargs, why in bad:
        expect_raises(causal_conv1d_forward, args, kwargs, why=why)


def causal_conv1d_causality(causal_conv1d_forward):
    expect_own_work_no_library(causal_conv1d_forward, CONV_LIBRARY)
    rng = _rng(802)
    for N, C, L, C_out, k, d in [(2, 2, 12, 2, 3, 1), (1, 3, 14, 2, 2, 4), (2, 1, 10, 1, 3, 2)]:
        X, W, b = _conv_case(rng, N, C, L, C_out, k, ints=False)
        kwargs = {"dilation": d}
        label = signature(causal_conv1d_forward, (X, W, b), kwargs)
        got = call(causal_conv1d_forward, (X, W, b), kwargs, label)
        out, _ = _tuple(label, got, 2, "a pair (out, cache)")
        short = np.zeros((N, C_out, L - (k - 1) * d))
        out = expect_shape(f"{label}[0]", out, (N, C_out, L), {NO_PADDING: short})
        for t in (L // 3, L // 2, L - 2):
            X2 = X.copy()
            X2[:, :, t:] = rng.standard_normal(X2[:, :, t:].shape)
            got = call(causal_conv1d_forward, (X2, W, b), kwargs, label)
            changed, _ = _tuple(label, got, 2, "a pair (out, cache)")
            changed = expect_shape(f"{label}[0]", changed, (N, C_out, L))
            if not np.allclose(changed[:, :, :t], out[:, :, :t], rtol=1e-9, atol=1e-9):
                moved = int(np.flatnonzero(~np.isclose(changed, out).all(axis=(0, 1)))[0])
                raise CheckFailed(
                    f"{label}: changing the inputs at times >= {t} changed the output at time "
                    f"{moved} < {t}: {LEAKS_FUTURE}"
                )
            if np.allclose(changed[:, :, t], out[:, :, t]):
                raise CheckFailed(
                    f"{label}: changing X[:, :, {t}] did not change the output at time {t}: "
                    "the newest tap (k-1) must meet X[t] itself; pad (k-1)*dilation zeros, "
                    "not more"
                )


# ----------------------------------------------------------------- backward


def _backward_misconceptions(dout, X, W, b, d):
    k = W.shape[2]
    pad = (k - 1) * d
    dX, dW, db = ref.causal_conv1d_backward(dout, (X, W, b, d))
    Xp = np.pad(X, ((0, 0), (0, 0), (pad, 0)))
    dXp = np.zeros_like(Xp)
    for j in range(k):
        dXp[:, :, j * d : j * d + X.shape[2]] += np.einsum("oc,nol->ncl", W[:, :, j], dout)
    flipped = ref.causal_conv1d_backward(dout, (X, W[:, :, ::-1], b, d))[0]
    mis_dX = {
        "dX was cropped on the wrong side: the padding is on the left, dX = dXp[:, :, pad:]": (
            dXp[:, :, : X.shape[2]]
        ),
        "crop the padding from dX: it must have X's shape (N, C, L)": dXp,
        "W was applied flipped in dX: tap j of dout[t] goes back to X[t - (k-1-j)*dilation]": (
            flipped
        ),
    }
    mis_dW = {
        "dW was flipped: dW[:, :, j] pairs dout with the window of tap j": dW[:, :, ::-1],
        "dW sums over every sequence of the batch, not the first one only": (
            ref.causal_conv1d_backward(dout[:1], (X[:1], W, b, d))[1]
        ),
    }
    mis_db = {
        "db sums dout over the batch and time, axes (0, 2)": dout.sum(axis=2),
        "db sums dout over the batch and time, axes (0, 2), not axis 0 only": dout.sum(axis=0),
        "db is a sum, not a mean": dout.mean(axis=(0, 2)),
    }
    if d > 1:
        no_dil = ref.causal_conv1d_backward(dout, (X, W, b, 1))
        mis_dX[NO_DILATION] = no_dil[0]
        mis_dW[NO_DILATION] = no_dil[1]
    return (dX, dW, db), (mis_dX, mis_dW, mis_db)


def causal_conv1d_backward_hidden(causal_conv1d_backward):
    expect_own_work_no_library(causal_conv1d_backward, CONV_LIBRARY)
    rng = _rng(803)
    for i, (N, C, L, C_out, k, d) in enumerate(_CONV_CASES):
        X, W, b = _conv_case(rng, N, C, L, C_out, k, ints=i < 6)
        dout = _ints(rng, (N, C_out, L)) if i < 6 else rng.standard_normal((N, C_out, L))
        label = (
            f"causal_conv1d_backward(dout{dout.shape}, cache with X{X.shape}, W{W.shape}, "
            f"dilation={d})"
        )
        got = call(causal_conv1d_backward, (dout, _copy((X, W, b, d))), label=label)
        got = _tuple(label, got, 3, "three arrays (dX, dW, db)")
        wants, mis = _backward_misconceptions(dout, X, W, b, d)
        for name, g, w, m in zip(("dX", "dW", "db"), got, wants, mis, strict=True):
            expect_array(f"{name} from {label}", g, w, _distinct(w, m))
    X, W, b = _conv_case(rng, 2, 2, 6, 3, 2)
    for bad in [(2, 3, 5), (2, 2, 6), (3, 6)]:
        expect_raises(
            causal_conv1d_backward,
            (np.ones(bad), (X, W, b, 1)),
            why=f"the output has shape (2, 3, 6), dout has shape {bad}",
        )


# ---------------------------------------------------------------------- GLU


def glu_hidden(glu_forward, glu_backward):
    expect_own_work_no_library(glu_forward, GLU_LIBRARY)
    expect_own_work_no_library(glu_backward, GLU_LIBRARY)
    rng = _rng(804)
    for shape in [(5,), (3, 4), (2, 3, 6), (1, 1, 1), (2, 4, 3)]:
        A = rng.standard_normal(shape) * 2
        B = rng.standard_normal(shape) * 3
        if len(shape) == 3:
            B.flat[0], B.flat[-1] = 800.0, -800.0  # a saturated gate, closed and open
        label = signature(glu_forward, (A, B))
        out, _ = _tuple(label, call(glu_forward, (A, B), label=label), 2, "a pair (out, cache)")
        want, cache = ref.glu_forward(A, B)
        s = cache[1]
        expect_array(
            f"{label}[0]",
            out,
            want,
            _distinct(
                want,
                {
                    WRONG_BRANCH: ref.sigmoid(A) * B,
                    "gate A with sigmoid(B): out = A * sigmoid(B), not A * B": A * B,
                    "that is the gated tanh unit; the GLU's linear branch has no activation: "
                    "A * sigmoid(B)": np.tanh(A) * s,
                },
            ),
        )
        dout = rng.standard_normal(shape)
        blabel = f"glu_backward(dout{dout.shape}, (A, sigmoid(B)))"
        got = call(glu_backward, (dout, _copy(cache)), label=blabel)
        dA, dB = _tuple(blabel, got, 2, "a pair (dA, dB)")
        want_dA, want_dB = ref.glu_backward(dout, cache)
        swapped = "return the pair in the order (dA, dB)"
        expect_array(
            f"dA from {blabel}",
            dA,
            want_dA,
            _distinct(
                want_dA,
                {
                    "A is multiplied by the gate: dA = dout * sigmoid(B)": dout,
                    "the linear branch has no activation: dA = dout * sigmoid(B), with no "
                    "sigmoid derivative": dout * s * (1 - s),
                    swapped: want_dB,
                },
            ),
        )
        expect_array(
            f"dB from {blabel}",
            dB,
            want_dB,
            _distinct(
                want_dB,
                {
                    "dB needs the sigmoid's derivative s * (1 - s), not s": dout * A * s,
                    "dB = dout * A * s * (1 - s): the factor A is missing": dout * s * (1 - s),
                    "the sigmoid's derivative is s * (1 - s), not s * (1 + s)": (
                        dout * A * s * (1 + s)
                    ),
                    swapped: want_dA,
                },
            ),
        )
    expect_raises(glu_forward, (np.ones((2, 3)), np.ones((3, 2))), why="A (2, 3), B (3, 2)")
    _, cache = ref.glu_forward(np.ones((2, 3)), np.zeros((2, 3)))
    expect_raises(glu_backward, (np.ones((2, 4)), cache), why="dout (2, 4), A (2, 3)")


# ------------------------------------------------------------ gated block


def _block_params(rng, C, k, ints):
    draw = (lambda s: _ints(rng, s, -2, 2) / 2) if ints else rng.standard_normal
    return draw((C, C, k)), draw((C,)), draw((C, C, k)), draw((C,))


def _block_variants(X, W, b, V, c, d):
    A = ref.causal_conv1d_forward(X, W, b, d)[0]
    B = ref.causal_conv1d_forward(X, V, c, d)[0]
    return {
        NO_RESIDUAL: A * ref.sigmoid(B),
        SHARED: X + A * ref.sigmoid(A),
        SHARED + " (here V and c for both)": X + B * ref.sigmoid(B),
        WRONG_BRANCH.replace("first input", "convolution with W"): X + ref.sigmoid(A) * B,
    }


def gated_block_hidden(gated_block_forward, gated_block_backward):
    expect_own_work_no_library(gated_block_forward, CONV_LIBRARY + GLU_LIBRARY)
    expect_own_work_no_library(gated_block_backward, CONV_LIBRARY + GLU_LIBRARY)
    rng = _rng(805)
    cases = [(2, 2, 6, 2, 1, True), (1, 3, 8, 2, 2, True), (2, 1, 7, 3, 1, True)]
    cases += [(3, 2, 9, 2, 4, False), (1, 4, 5, 3, 2, False)]
    with (
        reference_helpers(gated_block_forward, HELPERS),
        reference_helpers(gated_block_backward, HELPERS),
    ):
        for N, C, L, k, d, ints in cases:
            X = _ints(rng, (N, C, L)) if ints else rng.standard_normal((N, C, L))
            W, b, V, c = _block_params(rng, C, k, ints)
            kwargs = {"dilation": d}
            label = signature(gated_block_forward, (X, W, b, V, c), kwargs)
            got = call(gated_block_forward, (X, W, b, V, c), kwargs, label=label)
            out, cache = _tuple(label, got, 2, "a pair (out, cache)")
            want, ref_cache = ref.gated_block_forward(X, W, b, V, c, d)
            expect_array(
                f"{label}[0]", out, want, _distinct(want, _block_variants(X, W, b, V, c, d))
            )
            dout = _ints(rng, want.shape) if ints else rng.standard_normal(want.shape)
            blabel = f"gated_block_backward(dout{dout.shape}, cache from {label})"
            grads = call(gated_block_backward, (dout, cache), label=blabel)
            grads = _tuple(blabel, grads, 5, "five arrays (dX, dW, db, dV, dc)")
            wants = ref.gated_block_backward(dout, ref_cache)
            conv_a, conv_b, glu_cache = ref_cache
            dA, dB = ref.glu_backward(dout, glu_cache)
            from_a = ref.causal_conv1d_backward(dA, conv_a)[0]
            from_b = ref.causal_conv1d_backward(dB, conv_b)[0]
            mis = [
                {
                    NO_RESIDUAL_GRAD: from_a + from_b,
                    "dX collects the gradient through the gate's convolution (V) too": (
                        dout + from_a
                    ),
                    "dX collects the gradient through the linear convolution (W) too": (
                        dout + from_b
                    ),
                },
                {"return (dX, dW, db, dV, dc): dW and dV were swapped": wants[3]},
                {"return (dX, dW, db, dV, dc): db and dc were swapped": wants[4]},
                {"return (dX, dW, db, dV, dc): dW and dV were swapped": wants[1]},
                {"return (dX, dW, db, dV, dc): db and dc were swapped": wants[2]},
            ]
            names = ("dX", "dW", "db", "dV", "dc")
            for name, g, w, m in zip(names, grads, wants, mis, strict=True):
                expect_array(f"{name} from {blabel}", g, w, _distinct(w, m))
        X = rng.standard_normal((2, 3, 5))
        W, b, V, c = _block_params(rng, 3, 2, False)
        for args, why in [
            ((X, W[:2], b[:2], V, c), "W has 2 output channels, X has 3: X + ... needs 3"),
            ((X, W, b, V[:, :2], c), "V has 2 input channels, X has 3"),
            ((X[0], W, b, V, c), "X must be 3-D (N, C, L)"),
        ]:
            expect_raises(gated_block_forward, args, why=why)


def _relative_error(a, b):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    denom = np.linalg.norm(a) + np.linalg.norm(b)
    return float(np.linalg.norm(a - b) / denom) if denom else 0.0


def gated_block_gradient_check(gated_block_forward, gated_block_backward):
    """The student's backward against centered differences of the student's own forward."""
    expect_own_work_no_library(gated_block_forward, CONV_LIBRARY + GLU_LIBRARY)
    expect_own_work_no_library(gated_block_backward, CONV_LIBRARY + GLU_LIBRARY)
    rng = _rng(806)
    X = rng.standard_normal((1, 2, 5))
    params = [rng.standard_normal(s) for s in [(2, 2, 2), (2,), (2, 2, 2), (2,)]]
    values = [X, *params]
    kwargs = {"dilation": 2}
    label = signature(gated_block_forward, tuple(values), kwargs)
    out, cache = _tuple(
        label, call(gated_block_forward, tuple(values), kwargs, label=label), 2, "a pair"
    )
    out = expect_shape(f"{label}[0]", out, X.shape)
    dout = rng.standard_normal(X.shape)
    blabel = f"gated_block_backward(dout{dout.shape}, cache)"
    grads = _tuple(
        blabel, call(gated_block_backward, (dout, cache), label=blabel), 5, "five arrays"
    )
    h = 1e-5
    for index, name in enumerate(("dX", "dW", "db", "dV", "dc")):
        value = values[index]
        numeric = np.zeros_like(value)
        for pos in np.ndindex(value.shape):
            sums = []
            for step in (h, -h):
                moved = [v.copy() for v in values]
                moved[index][pos] += step
                shifted, _ = _tuple(
                    label, call(gated_block_forward, tuple(moved), kwargs, label=label), 2, "a pair"
                )
                sums.append(float(np.sum(np.asarray(shifted, dtype=float) * dout)))
            numeric[pos] = (sums[0] - sums[1]) / (2 * h)
        got = expect_shape(f"{name} from {blabel}", grads[index], value.shape)
        error = _relative_error(got, numeric)
        if not error < 1e-6:
            raise CheckFailed(
                f"gradient check: {name} from your gated_block_backward differs from the "
                f"centered differences of your gated_block_forward (relative error {error:.1e}, "
                "expected below 1e-6)"
            )


# ----------------------------------------------------------- receptive field


def receptive_field_hidden(receptive_field):
    expect_own_work_no_library(receptive_field)
    rng = _rng(807)
    cases = [([], []), ([3], [1]), ([1, 1, 1], [1, 2, 4]), ([2] * 10, [2**i for i in range(10)])]
    cases.append((np.array([3, 3, 3]), np.array([1, 2, 4])))
    cases.append(((5, 2), (3, 1)))
    for _ in range(4):
        n = int(rng.integers(1, 7))
        cases.append(
            (rng.integers(1, 6, n).tolist(), [int(2 ** rng.integers(0, 5)) for _ in range(n)])
        )
    for ks, ds in cases:
        label = signature(receptive_field, (ks, ds))
        want = ref.receptive_field(ks, ds)
        reach = sum((int(k) - 1) * int(d) for k, d in zip(ks, ds, strict=True))
        variants = {
            "count the current step too: r = 1 + sum((k - 1) * d)": reach,
            "the dilation spreads the taps: each layer reaches (k - 1) * d steps back": (
                1 + sum(int(k) - 1 for k in ks)
            ),
            "a layer reaches (k - 1) * d steps back, not k * d": (
                1 + sum(int(k) * int(d) for k, d in zip(ks, ds, strict=True))
            ),
        }
        variants = {m: v for m, v in variants.items() if v != want}
        expect_equal(label, call(receptive_field, (ks, ds), label=label), want, variants)
    for ks, ds, why in [
        ([2, 2], [1], "two kernel sizes, one dilation"),
        ([2, 0], [1, 2], "a kernel of 0 taps"),
        ([2, 2], [1, 0], "a dilation of 0"),
        ([2, 2], [1, -2], "a negative dilation"),
        ([2, 2.5], [1, 2], "a kernel of 2.5 taps"),
    ]:
        expect_raises(receptive_field, (ks, ds), why=why)


# -------------------------------------------------------------- understanding


def understanding(answers):
    """Multiple-choice answers, keyed by question name."""
    right = {
        "q_causal_pad": "b",
        "q_linear_branch": "a",
        "q_shared": "b",
        "q_residual_shape": "b",
        "q_rf_depth": 9,
        "q_permutation": "b",
    }
    wrong = []
    for q, a in right.items():
        given = answers.get(q)
        if isinstance(a, int):
            ok = isinstance(given, (int, np.integer)) and not isinstance(given, bool)
            ok = ok and given == a
        else:
            ok = given == a
        if not ok:
            wrong.append(q)
    if wrong:
        raise CheckFailed(f"{len(wrong)} of {len(right)} answers are wrong: {', '.join(wrong)}")
