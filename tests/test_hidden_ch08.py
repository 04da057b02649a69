"""Chapter 8 hidden tests: they pass the reference, name each misconception, reject
shortcuts from cnnkit and the autograder, and let NotImplementedError through.

Candidates must look like notebook code (``__module__ == "__main__"``): each is
re-created with the reference notebook namespace as its globals, so it can call the
notebook's other functions (``sigmoid``, ``causal_conv1d_forward`` ...) as a student's
code would.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

import cnnkit.conv1d
import cnnkit.glu
from autograder.checks import CheckFailed
from autograder.hidden import ch08 as hidden
from autograder.reference import ch08_gated_sequence as ref
from tests.notebook_helpers import in_notebook, module_as_notebook

# Names the candidates use as notebook globals; placeholders here, never called as such.
sigmoid = causal_conv1d_forward = causal_conv1d_backward = glu_forward = glu_backward = None
conv1d_forward = glu = gated_block_forward = gated_block_backward = None

REF_NS = module_as_notebook(ref)


def notebook(func, **globals_):
    """``func`` as if defined in the notebook: module ``__main__``, notebook globals.

    The candidates' own helpers below (``_padded_conv``, ``_dXp``) join the namespace as
    notebook functions too.
    """
    helpers = {name: in_notebook(globals()[name], REF_NS) for name in ("_padded_conv", "_dXp")}
    return in_notebook(func, REF_NS, **helpers, **globals_)


def expect_named(check, *funcs, message):
    with pytest.raises(CheckFailed, match=re.escape(message)):
        check(*funcs)


def stub(*args, **kwargs):
    raise NotImplementedError()


ALL = [
    ("causal_conv1d_hidden", ("causal_conv1d_forward",)),
    ("causal_conv1d_causality", ("causal_conv1d_forward",)),
    ("causal_conv1d_backward_hidden", ("causal_conv1d_backward",)),
    ("glu_hidden", ("glu_forward", "glu_backward")),
    ("gated_block_hidden", ("gated_block_forward", "gated_block_backward")),
    ("gated_block_gradient_check", ("gated_block_forward", "gated_block_backward")),
    ("receptive_field_hidden", ("receptive_field",)),
]


@pytest.mark.parametrize(("check", "names"), ALL)
def test_reference_passes(check, names):
    getattr(hidden, check)(*[REF_NS[n] for n in names])


@pytest.mark.parametrize(("check", "names"), ALL)
def test_stub_raises_not_implemented(check, names):
    with pytest.raises(NotImplementedError):
        getattr(hidden, check)(*[notebook(stub) for _ in names])


@pytest.mark.parametrize(("check", "names"), ALL)
def test_imported_reference_is_rejected(check, names):
    with pytest.raises(CheckFailed, match="write it yourself"):
        getattr(hidden, check)(*[getattr(ref, n) for n in names])


def test_understanding():
    right = {
        "q_causal_pad": "b",
        "q_linear_branch": "a",
        "q_shared": "b",
        "q_residual_shape": "b",
        "q_rf_depth": 9,
        "q_permutation": "b",
    }
    hidden.understanding(right)
    for q, wrong in [("q_causal_pad", "a"), ("q_rf_depth", 10), ("q_rf_depth", 9.0)]:
        with pytest.raises(CheckFailed, match=q):
            hidden.understanding({**right, q: wrong})


# ----------------------------------------------------------------- causal conv forward


def _padded_conv(X, W, b, dilation, left, right):
    X, W = np.asarray(X, dtype=float), np.asarray(W, dtype=float)
    Xp = np.pad(X, ((0, 0), (0, 0), (left, right)))
    k = W.shape[2]
    L_out = Xp.shape[2] - (k - 1) * dilation
    out = np.zeros((X.shape[0], W.shape[0], L_out)) + np.asarray(b)[None, :, None]
    for j in range(k):
        out += np.einsum("oc,ncl->nol", W[:, :, j], Xp[:, :, j * dilation : j * dilation + L_out])
    return out


def fwd_same(X, W, b, dilation=1):
    span = (W.shape[2] - 1) * dilation
    return _padded_conv(X, W, b, dilation, span // 2, span - span // 2), None


def fwd_right(X, W, b, dilation=1):
    return _padded_conv(X, W, b, dilation, 0, (W.shape[2] - 1) * dilation), None


def fwd_valid(X, W, b, dilation=1):
    return _padded_conv(X, W, b, dilation, 0, 0), None


def fwd_flipped(X, W, b, dilation=1):
    return _padded_conv(X, W[:, :, ::-1], b, dilation, (W.shape[2] - 1) * dilation, 0), None


def fwd_no_dilation(X, W, b, dilation=1):
    return _padded_conv(X, W, b, 1, W.shape[2] - 1, 0), None


def fwd_no_bias(X, W, b, dilation=1):
    return _padded_conv(X, W, 0 * b, dilation, (W.shape[2] - 1) * dilation, 0), None


def fwd_one_too_many(X, W, b, dilation=1):
    out = _padded_conv(X, W, b, dilation, (W.shape[2] - 1) * dilation + 1, 0)
    return out[:, :, : X.shape[2]], None


def fwd_no_checks(X, W, b, dilation=1):
    return _padded_conv(X, W, b, dilation, (W.shape[2] - 1) * dilation, 0), (X, W, b, dilation)


def fwd_library(X, W, b, dilation=1):
    return conv1d_forward(X, W, b, dilation)


@pytest.mark.parametrize(
    ("wrong", "message"),
    [
        (fwd_same, hidden.LEAKS_FUTURE),
        (fwd_right, hidden.RIGHT_PADDING),
        (fwd_valid, hidden.NO_PADDING),
        (fwd_flipped, hidden.FLIPPED),
        (fwd_no_dilation, hidden.NO_DILATION),
        (fwd_no_bias, hidden.NO_BIAS),
    ],
)
def test_causal_conv1d_misconceptions_are_named(wrong, message):
    expect_named(hidden.causal_conv1d_hidden, notebook(wrong), message=message)


@pytest.mark.parametrize("wrong", [fwd_same, fwd_right])
def test_causality_check_catches_leaks_of_the_future(wrong):
    expect_named(hidden.causal_conv1d_causality, notebook(wrong), message=hidden.LEAKS_FUTURE)


def test_causality_check_catches_a_shift_by_one_step():
    expect_named(
        hidden.causal_conv1d_causality, notebook(fwd_one_too_many), message="the newest tap"
    )


def test_causality_check_names_a_short_output():
    expect_named(hidden.causal_conv1d_causality, notebook(fwd_valid), message=hidden.NO_PADDING)


def test_causal_conv1d_without_checks_fails_on_bad_arguments_only():
    f = notebook(fwd_no_checks)
    hidden.causal_conv1d_causality(f)
    expect_named(hidden.causal_conv1d_hidden, f, message="should raise ValueError")


def test_causal_conv1d_library_shortcut_is_rejected():
    f = notebook(fwd_library, conv1d_forward=cnnkit.conv1d.conv1d_forward)
    expect_named(hidden.causal_conv1d_hidden, f, message="conv1d_forward")
    expect_named(hidden.causal_conv1d_causality, f, message="conv1d_forward")


# ----------------------------------------------------------------- causal conv backward


def _dXp(dout, X, W, d):
    k = W.shape[2]
    pad = (k - 1) * d
    dXp = np.zeros((X.shape[0], X.shape[1], X.shape[2] + pad))
    for j in range(k):
        dXp[:, :, j * d : j * d + X.shape[2]] += np.einsum("oc,nol->ncl", W[:, :, j], dout)
    return dXp, pad


def bwd_wrong_crop(dout, cache):
    X, W, b, d = cache
    dX, dW, db = causal_conv1d_backward(dout, cache)
    dXp, _ = _dXp(dout, X, W, d)
    return dXp[:, :, : X.shape[2]], dW, db


def bwd_flipped_dX(dout, cache):
    X, W, b, d = cache
    return causal_conv1d_backward(dout, (X, W[:, :, ::-1], b, d))[0], *causal_conv1d_backward(
        dout, cache
    )[1:]


def bwd_flipped_dW(dout, cache):
    dX, dW, db = causal_conv1d_backward(dout, cache)
    return dX, dW[:, :, ::-1], db


def bwd_db_time_only(dout, cache):
    dX, dW, db = causal_conv1d_backward(dout, cache)
    return dX, dW, dout.sum(axis=2)


def bwd_db_mean(dout, cache):
    dX, dW, db = causal_conv1d_backward(dout, cache)
    return dX, dW, dout.mean(axis=(0, 2))


def bwd_no_dilation(dout, cache):
    X, W, b, d = cache
    return causal_conv1d_backward(dout, (X, W, b, 1))


def bwd_no_check(dout, cache):
    X, W, b, d = cache
    dout = np.broadcast_to(dout, (X.shape[0], W.shape[0], X.shape[2]))
    return causal_conv1d_backward(np.array(dout), cache)


def bwd_library(dout, cache):
    X, W, b, d = cache
    return cnnkit.conv1d.conv1d_backward(dout, conv1d_forward(X, W, b, d)[1])


@pytest.mark.parametrize(
    ("wrong", "message"),
    [
        (bwd_wrong_crop, "cropped on the wrong side"),
        (bwd_flipped_dX, "W was applied flipped in dX"),
        (bwd_flipped_dW, "dW was flipped"),
        (bwd_db_time_only, "db sums dout over the batch and time, axes (0, 2)"),
        (bwd_db_mean, "db is a sum, not a mean"),
        (bwd_no_dilation, hidden.NO_DILATION),
    ],
)
def test_causal_conv1d_backward_misconceptions_are_named(wrong, message):
    expect_named(hidden.causal_conv1d_backward_hidden, notebook(wrong), message=message)


def test_causal_conv1d_backward_must_reject_a_wrong_dout():
    expect_named(
        hidden.causal_conv1d_backward_hidden, notebook(bwd_no_check), message="should raise"
    )


def test_causal_conv1d_backward_library_shortcut_is_rejected():
    f = notebook(bwd_library, conv1d_forward=cnnkit.conv1d.conv1d_forward)
    expect_named(hidden.causal_conv1d_backward_hidden, f, message="conv1d_")


# ------------------------------------------------------------------------------- GLU


def glu_wrong_branch(A, B):
    s = sigmoid(A)
    return s * B, (A, sigmoid(B))


def glu_product(A, B):
    return A * B, (A, sigmoid(B))


def glu_tanh(A, B):
    return np.tanh(A) * sigmoid(B), (A, sigmoid(B))


def glu_bwd_no_gate(dout, cache):
    A, s = cache
    return dout, dout * A * s * (1 - s)


def glu_bwd_no_derivative(dout, cache):
    A, s = cache
    return dout * s, dout * A * s


def glu_bwd_no_A(dout, cache):
    A, s = cache
    return dout * s, dout * s * (1 - s)


def glu_bwd_swapped(dout, cache):
    A, s = cache
    return dout * A * s * (1 - s), dout * s


def glu_library(A, B):
    out, _ = glu(np.concatenate([A, B], axis=0), axis=0)
    return out, (A, sigmoid(B))


@pytest.mark.parametrize(
    ("fwd", "bwd", "message"),
    [
        (glu_wrong_branch, None, "the sigmoid is on the wrong branch"),
        (glu_product, None, "not A * B"),
        (glu_tanh, None, "gated tanh unit"),
        (None, glu_bwd_no_gate, "dA = dout * sigmoid(B)"),
        (None, glu_bwd_no_derivative, "s * (1 - s), not s"),
        (None, glu_bwd_no_A, "the factor A is missing"),
        (None, glu_bwd_swapped, "in the order (dA, dB)"),
    ],
)
def test_glu_misconceptions_are_named(fwd, bwd, message):
    f = notebook(fwd) if fwd else REF_NS["glu_forward"]
    g = notebook(bwd) if bwd else REF_NS["glu_backward"]
    expect_named(hidden.glu_hidden, f, g, message=message)


def test_glu_library_shortcut_is_rejected():
    f = notebook(glu_library, glu=cnnkit.glu.glu_forward)
    expect_named(hidden.glu_hidden, f, REF_NS["glu_backward"], message="glu_forward")


# ------------------------------------------------------------------------- gated block


def block_no_residual(X, W, b, V, c, dilation=1):
    A, ca = causal_conv1d_forward(X, W, b, dilation)
    B, cb = causal_conv1d_forward(X, V, c, dilation)
    h, cg = glu_forward(A, B)
    return h, (ca, cb, cg)


def block_shared(X, W, b, V, c, dilation=1):
    A, ca = causal_conv1d_forward(X, W, b, dilation)
    h, cg = glu_forward(A, A)
    return X + h, (ca, ca, cg)


def block_wrong_branch(X, W, b, V, c, dilation=1):
    A, ca = causal_conv1d_forward(X, W, b, dilation)
    B, cb = causal_conv1d_forward(X, V, c, dilation)
    h, cg = glu_forward(B, A)
    return X + h, (cb, ca, cg)


def block_bwd_no_residual(dout, cache):
    dX, dW, db, dV, dc = gated_block_backward(dout, cache)
    return dX - dout, dW, db, dV, dc


def block_bwd_no_gate_path(dout, cache):
    conv_a, conv_b, glu_cache = cache
    dA, dB = glu_backward(dout, glu_cache)
    dX_a, dW, db = causal_conv1d_backward(dA, conv_a)
    _, dV, dc = causal_conv1d_backward(dB, conv_b)
    return dout + dX_a, dW, db, dV, dc


def block_bwd_swapped(dout, cache):
    dX, dW, db, dV, dc = gated_block_backward(dout, cache)
    return dX, dV, dc, dW, db


def block_bwd_scaled(dout, cache):
    dX, dW, db, dV, dc = gated_block_backward(dout, cache)
    return dX, dW, db, 1.01 * dV, dc


def block_library(X, W, b, V, c, dilation=1):
    A, ca = conv1d_forward(X, W, b, dilation)
    B, cb = conv1d_forward(X, V, c, dilation)
    h, cg = glu_forward(A, B)
    return X + h, (ca, cb, cg)


@pytest.mark.parametrize(
    ("fwd", "message"),
    [
        (block_no_residual, hidden.NO_RESIDUAL),
        (block_shared, hidden.SHARED),
        (block_wrong_branch, "the sigmoid is on the wrong branch"),
    ],
)
def test_gated_block_forward_misconceptions_are_named(fwd, message):
    f = notebook(fwd)
    expect_named(hidden.gated_block_hidden, f, REF_NS["gated_block_backward"], message=message)


@pytest.mark.parametrize(
    ("bwd", "message"),
    [
        (block_bwd_no_residual, hidden.NO_RESIDUAL_GRAD),
        (block_bwd_no_gate_path, "through the gate's convolution"),
        (block_bwd_swapped, "dW and dV were swapped"),
    ],
)
def test_gated_block_backward_misconceptions_are_named(bwd, message):
    g = notebook(bwd, gated_block_backward=REF_NS["gated_block_backward"])
    expect_named(hidden.gated_block_hidden, REF_NS["gated_block_forward"], g, message=message)


def test_gated_block_is_graded_alone_with_correct_helpers():
    # A wrong GLU earlier in the notebook costs its own points, not the block's.
    def glu_forward(A, B):
        return A * B, (A, B)

    ns = dict(REF_NS)
    ns["glu_forward"] = in_notebook(glu_forward, ns)
    f = in_notebook(REF_NS["gated_block_forward"], ns)
    hidden.gated_block_hidden(f, in_notebook(REF_NS["gated_block_backward"], ns))
    with pytest.raises(CheckFailed):
        hidden.glu_hidden(ns["glu_forward"], REF_NS["glu_backward"])


def test_gradient_check_catches_a_backward_that_disagrees_with_the_forward():
    g = notebook(block_bwd_scaled, gated_block_backward=REF_NS["gated_block_backward"])
    expect_named(
        hidden.gated_block_gradient_check,
        REF_NS["gated_block_forward"],
        g,
        message="gradient check: dV",
    )


def test_gradient_check_accepts_a_consistent_but_wrong_block():
    # Shared weights, consistently: wrong (gated_block_hidden says so) but self-consistent.
    def block_shared_backward(dout, cache):
        conv_a, _, glu_cache = cache
        dA, dB = glu_backward(dout, glu_cache)
        dX, dW, db = causal_conv1d_backward(dA + dB, conv_a)
        return dout + dX, dW, db, 0 * dW, 0 * db

    f, g = notebook(block_shared), notebook(block_shared_backward)
    hidden.gated_block_gradient_check(f, g)  # the forward ignores V, so dV = 0 is right
    expect_named(hidden.gated_block_hidden, f, g, message=hidden.SHARED)


def test_gated_block_library_shortcut_is_rejected():
    f = notebook(block_library, conv1d_forward=cnnkit.conv1d.conv1d_forward)
    expect_named(
        hidden.gated_block_hidden, f, REF_NS["gated_block_backward"], message="conv1d_forward"
    )


# --------------------------------------------------------------------- receptive field


def rf_no_one(kernel_sizes, dilations):
    return sum((k - 1) * d for k, d in zip(kernel_sizes, dilations, strict=True))


def rf_no_dilation(kernel_sizes, dilations):
    return 1 + sum(k - 1 for k in kernel_sizes)


def rf_k_times_d(kernel_sizes, dilations):
    return 1 + sum(k * d for k, d in zip(kernel_sizes, dilations, strict=True))


def rf_float(kernel_sizes, dilations):
    return float(1 + sum((k - 1) * d for k, d in zip(kernel_sizes, dilations, strict=True)))


def rf_no_checks(kernel_sizes, dilations):
    return 1 + sum(int(k - 1) * int(d) for k, d in zip(kernel_sizes, dilations, strict=True))


@pytest.mark.parametrize(
    ("wrong", "message"),
    [
        (rf_no_one, "count the current step too"),
        (rf_no_dilation, "the dilation spreads the taps"),
        (rf_k_times_d, "not k * d"),
        (rf_float, "expected 1"),
        (rf_no_checks, "should raise ValueError"),
    ],
)
def test_receptive_field_misconceptions_are_named(wrong, message):
    expect_named(hidden.receptive_field_hidden, notebook(wrong), message=message)
