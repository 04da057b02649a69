"""Chapter 4 hidden tests: the reference passes, known mistakes are named, shortcuts rejected.

Candidate answers are written as notebook source and executed in a namespace whose
``__name__`` is ``"__main__"``, exactly as a student's notebook cell defines them, so that
``expect_own_work`` treats them as the student's own functions.
"""

from __future__ import annotations

import inspect
import types

import numpy as np
import pytest

import cnnkit.activations
import cnnkit.conv
import cnnkit.gradcheck
import cnnkit.losses
import cnnkit.pool
from autograder.checks import CheckFailed
from autograder.hidden import ch04 as hidden
from autograder.reference import ch04_backpropagation as ref
from tests.notebook_helpers import module_as_notebook, run_as_notebook


def notebook(source, **extra):
    """Execute ``source`` like a notebook cell; return its namespace."""
    return run_as_notebook(source, **extra)


def reference_as_notebook():
    """The reference functions re-created as if they had been written in a notebook."""
    return module_as_notebook(ref)


# A correct answer in the style the notebook suggests (loops), the base for the mistakes.
STUDENT = """
def relu_forward(X):
    X = np.asarray(X, dtype=float)
    return np.maximum(X, 0.0), X


def relu_backward(dout, cache):
    return dout * (cache > 0)


def sigmoid_forward(X):
    X = np.asarray(X, dtype=float)
    e = np.exp(-np.abs(X))
    out = np.where(X >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
    return out, out


def sigmoid_backward(dout, cache):
    return dout * cache * (1.0 - cache)


def numerical_gradient(f, X, h=1e-5):
    Xc = np.array(X, dtype=np.float64)
    grad = np.zeros_like(Xc)
    flat, grad_flat = Xc.reshape(-1), grad.reshape(-1)
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + h
        plus = float(f(Xc))
        flat[i] = old - h
        minus = float(f(Xc))
        flat[i] = old
        grad_flat[i] = (plus - minus) / (2 * h)
    return grad


def rel_error(a, b):
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError("shapes differ")
    denom = np.linalg.norm(a) + np.linalg.norm(b)
    if denom == 0:
        return 0.0
    return float(np.linalg.norm(a - b) / denom)


def conv2d_forward(X, W, b, stride=1, pad=0):
    N, C, H, Wd = X.shape
    C_out, C_in, kH, kW = W.shape
    Xp = np.pad(X, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    Ho = (H + 2 * pad - kH) // stride + 1
    Wo = (Wd + 2 * pad - kW) // stride + 1
    out = np.zeros((N, C_out, Ho, Wo))
    for n in range(N):
        for i in range(Ho):
            for j in range(Wo):
                window = Xp[n, :, i * stride : i * stride + kH, j * stride : j * stride + kW]
                out[n, :, i, j] = np.tensordot(W, window, axes=3) + b
    return out, (X, W, b, stride, pad)


def maxpool2d_forward(X, size=2, stride=2):
    N, C, H, Wd = X.shape
    Ho = (H - size) // stride + 1
    Wo = (Wd - size) // stride + 1
    out = np.zeros((N, C, Ho, Wo))
    argmax = np.zeros((N, C, Ho, Wo), dtype=int)
    for i in range(Ho):
        for j in range(Wo):
            window = X[:, :, i * stride : i * stride + size, j * stride : j * stride + size]
            flat = window.reshape(N, C, size * size)
            argmax[:, :, i, j] = flat.argmax(axis=2)
            out[:, :, i, j] = flat.max(axis=2)
    return out, (X.shape, size, stride, argmax)


def conv2d_backward(dout, cache):
    X, W, b, stride, pad = cache
    N, C, H, Wd = X.shape
    C_out, _, kH, kW = W.shape
    Ho = (H + 2 * pad - kH) // stride + 1
    Wo = (Wd + 2 * pad - kW) // stride + 1
    if dout.shape != (N, C_out, Ho, Wo):
        raise ValueError("dout has the wrong shape")
    Xp = np.pad(X, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    dXp = np.zeros_like(Xp)
    dW = np.zeros_like(W)
    db = dout.sum(axis=(0, 2, 3))
    for n in range(N):
        for i in range(Ho):
            for j in range(Wo):
                rows = slice(i * stride, i * stride + kH)
                cols = slice(j * stride, j * stride + kW)
                g = dout[n, :, i, j]
                dW += g[:, None, None, None] * Xp[n, None, :, rows, cols]
                dXp[n, :, rows, cols] += np.tensordot(g, W, axes=1)
    dX = dXp[:, :, pad : pad + H, pad : pad + Wd]
    return dX, dW, db


def maxpool2d_backward(dout, cache):
    X_shape, size, stride, argmax = cache
    if dout.shape != argmax.shape:
        raise ValueError("dout has the wrong shape")
    N, C, Ho, Wo = argmax.shape
    dX = np.zeros(X_shape)
    for n in range(N):
        for c in range(C):
            for i in range(Ho):
                for j in range(Wo):
                    u, v = divmod(int(argmax[n, c, i, j]), size)
                    dX[n, c, i * stride + u, j * stride + v] += dout[n, c, i, j]
    return dX


def conv_relu_pool_forward(X, W, b, stride=1, pad=0, pool=2):
    a, conv_cache = conv2d_forward(X, W, b, stride, pad)
    r, relu_cache = relu_forward(a)
    out, pool_cache = maxpool2d_forward(r, pool, pool)
    return out, (conv_cache, relu_cache, pool_cache)


def conv_relu_pool_backward(dout, cache):
    conv_cache, relu_cache, pool_cache = cache
    dr = maxpool2d_backward(dout, pool_cache)
    da = relu_backward(dr, relu_cache)
    return conv2d_backward(da, conv_cache)


def softmax_cross_entropy(scores, y):
    scores = np.asarray(scores, dtype=float)
    N, K = scores.shape
    if y.shape != (N,) or y.min() < 0 or y.max() >= K:
        raise ValueError("bad labels")
    shifted = scores - scores.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))
    rows = np.arange(N)
    loss = -float(np.mean(log_p[rows, y]))
    dscores = np.exp(log_p)
    dscores[rows, y] -= 1.0
    return loss, dscores / N
"""

# The full-convolution view of dX: dilate, pad by k - 1, cross-correlate with the
# rotated kernel, crop. A second correct method, and the base of the "not rotated" mistake.
FULL_CONVOLUTION = """
def conv2d_backward(dout, cache):
    X, W, b, stride, pad = cache
    N, C, H, Wd = X.shape
    C_out, _, kH, kW = W.shape
    Ho = (H + 2 * pad - kH) // stride + 1
    Wo = (Wd + 2 * pad - kW) // stride + 1
    if dout.shape != (N, C_out, Ho, Wo):
        raise ValueError("dout has the wrong shape")
    Xp = np.pad(X, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    dil = np.zeros((N, C_out, stride * (Ho - 1) + 1, stride * (Wo - 1) + 1))
    dil[:, :, ::stride, ::stride] = dout
    db = dout.sum(axis=(0, 2, 3))
    dW = np.zeros_like(W)
    for u in range(kH):
        for v in range(kW):
            patch = Xp[:, :, u : u + dil.shape[2], v : v + dil.shape[3]]
            dW[:, :, u, v] = np.einsum("nchw,nohw->oc", patch, dil)
    full = np.pad(dil, ((0, 0), (0, 0), (kH - 1, kH - 1), (kW - 1, kW - 1)))
    K = W[:, :, ::-1, ::-1]
    reached = np.zeros((N, C, dil.shape[2] + kH - 1, dil.shape[3] + kW - 1))
    for y in range(reached.shape[2]):
        for x in range(reached.shape[3]):
            reached[:, :, y, x] = np.einsum(
                "nohw,ochw->nc", full[:, :, y : y + kH, x : x + kW], K
            )
    dXp = np.zeros_like(Xp)
    dXp[:, :, : reached.shape[2], : reached.shape[3]] = reached
    return dXp[:, :, pad : pad + H, pad : pad + Wd], dW, db
"""


def student(*edits, base=STUDENT, **extra):
    """The student source with ``(old, new)`` replacements, each of which must apply."""
    source = base
    for old, new in edits:
        assert source.count(old) >= 1, old
        source = source.replace(old, new)
    return notebook(source, **extra)


def run(name, ns):
    """Call hidden test ``name`` with the functions it grades, taken from ``ns``."""
    fn = getattr(hidden, name)
    params = list(inspect.signature(fn).parameters)
    if params == ["answers"]:
        return fn(ns)
    return fn(*(ns[p] for p in params))


HIDDEN_TESTS = [
    "relu_hidden",
    "sigmoid_hidden",
    "sigmoid_stable",
    "numerical_gradient_hidden",
    "rel_error_hidden",
    "conv2d_backward_db",
    "conv2d_backward_dw",
    "conv2d_backward_dx",
    "conv2d_backward_stride_pad",
    "conv2d_backward_edge_cases",
    "maxpool2d_backward_hidden",
    "conv_relu_pool_hidden",
    "softmax_cross_entropy_hidden",
    "softmax_cross_entropy_stable",
]

ANSWERS = {
    "q_relu_at_zero": "b",
    "q_sigmoid_slope": "c",
    "q_centered_error": "b",
    "q_dx_kernel": "b",
    "q_stride": "a",
    "q_db_axes": "a",
    "q_vanishing": "b",
}


# ------------------------------------------------------------ (a) right answers pass


@pytest.mark.parametrize("name", HIDDEN_TESTS)
def test_reference_passes(name):
    run(name, reference_as_notebook())


@pytest.mark.parametrize("name", HIDDEN_TESTS)
def test_loop_answer_passes(name):
    run(name, student())


@pytest.mark.parametrize(
    "name",
    [
        "conv2d_backward_db",
        "conv2d_backward_dw",
        "conv2d_backward_dx",
        "conv2d_backward_stride_pad",
        "conv2d_backward_edge_cases",
    ],
)
def test_full_convolution_answer_passes(name):
    ns = student()
    ns.update(notebook(FULL_CONVOLUTION))
    run(name, ns)


def test_understanding():
    hidden.understanding(ANSWERS)
    with pytest.raises(CheckFailed, match="1 of 7 answers are wrong: q_dx_kernel"):
        hidden.understanding({**ANSWERS, "q_dx_kernel": "c"})


# ---------------------------------------------------- (b) mistakes are named

MISTAKES = [
    # ReLU
    ("relu_hidden", [("dout * (cache > 0)", "dout * (cache >= 0)")], "X >= 0"),
    ("relu_hidden", [("dout * (cache > 0)", "1.0 * (cache > 0)")], "multiply the mask by dout"),
    ("relu_hidden", [("dout * (cache > 0)", "np.maximum(dout, 0)")], "does not apply ReLU to dout"),
    (
        "relu_hidden",
        [("return np.maximum(X, 0.0), X", "return np.maximum(X, 0.0), X > 0")],
        "the cache must be the input X",
    ),
    # sigmoid
    (
        "sigmoid_hidden",
        [
            (
                "dout * cache * (1.0 - cache)",
                "dout * (1 / (1 + np.exp(-cache))) * (1 - 1 / (1 + np.exp(-cache)))",
            )
        ],
        "do not apply the sigmoid again",
    ),
    ("sigmoid_hidden", [("return out, out", "return out, X")], "the cache must be out"),
    (
        "sigmoid_stable",
        [("out = np.where(X >= 0, 1.0 / (1.0 + e), e / (1.0 + e))", "out = 1 / (1 + np.exp(-X))")],
        "overflow",
    ),
    (
        "sigmoid_stable",
        [
            (
                "out = np.where(X >= 0, 1.0 / (1.0 + e), e / (1.0 + e))",
                "out = np.where(X >= 0, 1 / (1 + np.exp(-X)), np.exp(X) / (1 + np.exp(X)))",
            )
        ],
        "np.where evaluates both",
    ),
    (
        "sigmoid_stable",
        [
            (
                "out = np.where(X >= 0, 1.0 / (1.0 + e), e / (1.0 + e))",
                "with np.errstate(all='ignore'):\n        out = np.exp(X) / (1 + np.exp(X))",
            )
        ],
        "returned NaN",
    ),
    (
        "sigmoid_stable",
        [("e / (1.0 + e))", "1 - 1.0 / (1.0 + e))")],
        "loses all digits",
    ),
    # numerical gradient
    (
        "numerical_gradient_hidden",
        [("flat[i] = old - h", "flat[i] = old"), ("/ (2 * h)", "/ h")],
        "forward difference",
    ),
    (
        "numerical_gradient_hidden",
        [("flat[i] = old + h", "flat[i] = old"), ("/ (2 * h)", "/ h")],
        "backward",
    ),
    (
        "numerical_gradient_hidden",
        [("old + h", "old + 1e-5"), ("old - h", "old - 1e-5"), ("(2 * h)", "(2 * 1e-5)")],
        "use the step h",
    ),
    ("numerical_gradient_hidden", [("/ (2 * h)", "/ h")], "divide by 2h"),
    (
        "numerical_gradient_hidden",
        [("        flat[i] = old\n", "")],
        "put X[i] back",
    ),
    (
        "numerical_gradient_hidden",
        [("Xc = np.array(X, dtype=np.float64)", "Xc = np.array(X)")],
        "integers",
    ),
    (
        "numerical_gradient_hidden",
        [("Xc = np.array(X, dtype=np.float64)", "Xc = np.array(X, dtype=np.result_type(X, 0.5))")],
        "float32",
    ),
    (
        "numerical_gradient_hidden",
        [
            ("Xc = np.array(X, dtype=np.float64)", "Xc = np.asarray(X, dtype=np.float64)"),
            ("flat[i] = old + h", "flat[i] += h"),
            ("flat[i] = old - h", "flat[i] -= 2 * h"),
            ("flat[i] = old\n", "flat[i] += h\n"),
        ],
        "changed the caller's X",
    ),
    (
        "numerical_gradient_hidden",
        [("float(f(Xc))", "float(f(flat))")],
        "call f with arrays of X's shape",
    ),
    # relative error
    (
        "rel_error_hidden",
        [
            (
                "float(np.linalg.norm(a - b) / denom)",
                "float(np.max(np.abs(a - b) / np.maximum(np.abs(a) + np.abs(b), 1e-12)))",
            )
        ],
        "not the largest entrywise ratio",
    ),
    (
        "rel_error_hidden",
        [("/ denom)", "/ max(np.linalg.norm(a), np.linalg.norm(b)))")],
        "not by max(||a||, ||b||)",
    ),
    ("rel_error_hidden", [("/ denom)", "/ np.linalg.norm(a))")], "not by ||a|| alone"),
    (
        "rel_error_hidden",
        [
            (
                "return float(np.linalg.norm(a - b) / denom)",
                "return float(np.sum((a - b) ** 2) / (np.sum(a**2) + np.sum(b**2)))",
            )
        ],
        "not sums of squares",
    ),
    (
        "rel_error_hidden",
        [("        return 0.0\n", "        return float('nan')\n")],
        "both zero",
    ),
    (
        "rel_error_hidden",
        [('    if a.shape != b.shape:\n        raise ValueError("shapes differ")\n', "")],
        "should raise ValueError",
    ),
    # conv: db
    ("conv2d_backward_db", [("dout.sum(axis=(0, 2, 3))", "dout.sum(axis=0)")], "axis 0 only"),
    ("conv2d_backward_db", [("dout.sum(axis=(0, 2, 3))", "dout.sum(axis=(2, 3))")], "(2, 3) only"),
    (
        "conv2d_backward_db",
        [("dout.sum(axis=(0, 2, 3))", "dout.sum(axis=(1, 2, 3))")],
        "one value per image",
    ),
    (
        "conv2d_backward_db",
        [("dout.sum(axis=(0, 2, 3))", "dout.mean(axis=(0, 2, 3))")],
        "not a mean",
    ),
    (
        "conv2d_backward_db",
        [("dout.sum(axis=(0, 2, 3))", "dout[0].sum(axis=(1, 2))")],
        "not only the first one",
    ),
    # conv: dW
    (
        "conv2d_backward_dw",
        [("dW += g[:, None, None, None]", "dW += (n == 0) * g[:, None, None, None]")],
        "not only the first one",
    ),
    (
        "conv2d_backward_dw",
        [("return dX, dW, db", "return dX, dW / N, db")],
        "do not divide it by N",
    ),
    (
        "conv2d_backward_dw",
        [("return dX, dW, db", "return dX, dW[:, :, ::-1, ::-1], db")],
        "not rotated",
    ),
    # conv: dX
    (
        "conv2d_backward_dx",
        [("dX = dXp[:, :, pad : pad + H, pad : pad + Wd]", "dX = dXp[:, :, pad:-pad, pad:-pad]")],
        "dX is empty",
    ),
    (
        "conv2d_backward_dx",
        [("np.tensordot(g, W, axes=1)", "np.tensordot(g, W.transpose(1, 0, 2, 3), axes=1)")],
        "channel axes",
    ),
    (
        "conv2d_backward_dx",
        [("return dX, dW, db", "return dX.sum(axis=0, keepdims=True), dW, db")],
        "do not sum it over the batch",
    ),
    # conv: stride and padding
    (
        "conv2d_backward_stride_pad",
        [
            ("rows = slice(i * stride, i * stride + kH)", "rows = slice(i, i + kH)"),
            ("cols = slice(j * stride, j * stride + kW)", "cols = slice(j, j + kW)"),
        ],
        "stride",
    ),
    (
        "conv2d_backward_stride_pad",
        [("dX = dXp[:, :, pad : pad + H, pad : pad + Wd]", "dX = dXp")],
        "padding border",
    ),
    (
        "conv2d_backward_edge_cases",
        [('        raise ValueError("dout has the wrong shape")\n', "        pass\n")],
        "should raise ValueError",
    ),
    # max pooling
    (
        "maxpool2d_backward_hidden",
        [
            (
                "dX[n, c, i * stride + u, j * stride + v] += dout",
                "dX[n, c, i * stride + u, j * stride + v] = dout",
            )
        ],
        "do not overwrite",
    ),
    (
        "maxpool2d_backward_hidden",
        [
            (
                "u, v = divmod(int(argmax[n, c, i, j]), size)",
                "v, u = divmod(int(argmax[n, c, i, j]), size)",
            )
        ],
        "row-major",
    ),
    (
        "maxpool2d_backward_hidden",
        [("dX[n, c, i * stride + u, j * stride + v] += dout", "dX[n, c, i + u, j + v] += dout")],
        "stride",
    ),
    (
        "maxpool2d_backward_hidden",
        [
            (
                "dX[n, c, i * stride + u, j * stride + v] += dout[n, c, i, j]",
                "dX[n, c, i * stride : i * stride + size, j * stride : j * stride + size] "
                "+= dout[n, c, i, j]",
            )
        ],
        "maximum only",
    ),
    (
        "maxpool2d_backward_hidden",
        [
            (
                '        raise ValueError("dout has the wrong shape")\n    N, C, Ho, Wo',
                "        pass\n    N, C, Ho, Wo",
            )
        ],
        "should raise ValueError",
    ),
    # conv -> ReLU -> pool
    (
        "conv_relu_pool_hidden",
        [("da = relu_backward(dr, relu_cache)", "da = dr")],
        "ReLU was skipped",
    ),
    # softmax cross-entropy
    (
        "softmax_cross_entropy_hidden",
        [("return loss, dscores / N", "return loss, dscores")],
        "divide the gradient by N",
    ),
    (
        "softmax_cross_entropy_hidden",
        [("loss = -float(np.mean(log_p[rows, y]))", "loss = -float(np.sum(log_p[rows, y]))")],
        "mean over the batch, not the sum",
    ),
    (
        "softmax_cross_entropy_hidden",
        [("return loss, dscores / N", "return loss, -dscores / N")],
        "not (onehot(y) - p) / N",
    ),
    (
        "softmax_cross_entropy_hidden",
        [("dscores[rows, y] -= 1.0", "pass")],
        "subtract 1 at the correct class",
    ),
    (
        "softmax_cross_entropy_stable",
        [("shifted = scores - scores.max(axis=1, keepdims=True)", "shifted = scores")],
        "warning",
    ),
    (
        "softmax_cross_entropy_stable",
        [
            (
                "log_p = shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))",
                "log_p = np.log(np.exp(shifted) / np.sum(np.exp(shifted), axis=1, keepdims=True))",
            )
        ],
        "log-softmax",
    ),
    (
        "softmax_cross_entropy_stable",
        [
            (
                "if y.shape != (N,) or y.min() < 0 or y.max() >= K:",
                "if y.shape != (N,) or y.max() >= K:",
            )
        ],
        "should raise ValueError",
    ),
]


@pytest.mark.parametrize(
    "name,edits,fragment", MISTAKES, ids=[f"{m[0]}-{i}" for i, m in enumerate(MISTAKES)]
)
def test_mistake_is_named(name, edits, fragment):
    ns = student(*edits)
    with pytest.raises(CheckFailed) as info:
        run(name, ns)
    assert fragment in str(info.value), str(info.value)


def test_unrotated_kernel_in_the_full_convolution_view_is_named():
    ns = student()
    ns.update(notebook(FULL_CONVOLUTION.replace("K = W[:, :, ::-1, ::-1]", "K = W")))
    for name in ["conv2d_backward_dx", "conv2d_backward_stride_pad"]:
        with pytest.raises(CheckFailed, match="rotated by 180 degrees"):
            run(name, ns)


def test_stride_ignored_is_named_for_dx_and_dw():
    ns = student(
        ("rows = slice(i * stride, i * stride + kH)", "rows = slice(i, i + kH)"),
        ("cols = slice(j * stride, j * stride + kW)", "cols = slice(j, j + kW)"),
    )
    with pytest.raises(CheckFailed, match=r"^dX .*stride \(\d\) was ignored"):
        run("conv2d_backward_stride_pad", ns)
    # dW alone, with dX right
    right = student()
    wrong_dw = ns["conv2d_backward"]

    def mixed(dout, cache):
        return right["conv2d_backward"](dout, cache)[0], *wrong_dw(dout, cache)[1:]

    mixed_ns = notebook(
        "def conv2d_backward(dout, cache):\n    return mixed(dout, cache)\n", mixed=mixed
    )
    mixed.__module__ = "__main__"
    with pytest.raises(CheckFailed, match=r"^dW .*stride \(\d\) was ignored"):
        run("conv2d_backward_stride_pad", mixed_ns)


@pytest.mark.parametrize(
    "name,edits",
    [
        ("sigmoid_hidden", [("dout * cache * (1.0 - cache)", "dout * cache")]),
        (
            "softmax_cross_entropy_stable",
            [("y.min() < 0 or y.max() >= K", "y.max() >= K")],
        ),
        ("conv2d_backward_dw", [("dW += g", "dW -= g")]),
    ],
)
def test_failures_are_short(name, edits):
    """A failing check says what was expected in a line or two, not a page of numbers."""
    with pytest.raises(CheckFailed) as info:
        run(name, student(*edits))
    assert len(str(info.value)) < 400 and "\n" not in str(info.value), str(info.value)


# -------------------------------------------- (c) shortcuts and library code rejected


def test_cnnkit_functions_are_rejected():
    with pytest.raises(CheckFailed, match="comes from cnnkit.activations"):
        hidden.relu_hidden(cnnkit.activations.relu_forward, cnnkit.activations.relu_backward)
    with pytest.raises(CheckFailed, match="comes from cnnkit.gradcheck"):
        hidden.rel_error_hidden(cnnkit.gradcheck.rel_error)
    with pytest.raises(CheckFailed, match="comes from autograder"):
        hidden.conv2d_backward_dx(ref.conv2d_backward)


WRAPPERS = [
    (
        "conv2d_backward_dx",
        {"C": cnnkit.conv},
        """
        def conv2d_backward(dout, cache):
            X, W, b, stride, pad = cache
            _, c = C.conv2d_forward(X, W, b, stride, pad)
            return C.conv2d_backward(dout, c)
        """,
        "calls C.conv2d_backward",
    ),
    (
        "maxpool2d_backward_hidden",
        {"maxpool2d_backward_fast": cnnkit.pool.maxpool2d_backward},
        """
        def maxpool2d_backward(dout, cache):
            return maxpool2d_backward_fast(dout, cache)
        """,
        r"calls maxpool2d_backward \(as maxpool2d_backward_fast\)",
    ),
    (
        "numerical_gradient_hidden",
        {"gradcheck": cnnkit.gradcheck},
        """
        def numerical_gradient(f, X, h=1e-5):
            return gradcheck.numerical_gradient(lambda Z: np.asarray(f(Z)), X, h=h)
        """,
        "calls gradcheck",
    ),
    (
        "softmax_cross_entropy_hidden",
        {"losses": cnnkit.losses},
        """
        def softmax_cross_entropy(scores, y):
            return losses.softmax_cross_entropy(scores, y)
        """,
        "calls losses.softmax_cross_entropy",
    ),
    (
        "sigmoid_hidden",
        {"torch": types.ModuleType("torch")},
        """
        def sigmoid_forward(X):
            out = torch.sigmoid(X)
            return out, out

        def sigmoid_backward(dout, cache):
            return dout * cache * (1 - cache)
        """,
        "from torch",
    ),
    (
        "conv2d_backward_dw",
        {},
        """
        def conv2d_backward(dout, cache):
            X, W, b, stride, pad = cache
            dW = np.zeros_like(W)
            for o in range(W.shape[0]):
                for c in range(W.shape[1]):
                    for n in range(X.shape[0]):
                        dW[o, c] += np.correlate(X[n, c].ravel(), dout[n, o].ravel())[:1]
            return np.zeros_like(X), dW, dout.sum(axis=(0, 2, 3))
        """,
        "calls np.correlate",
    ),
]


@pytest.mark.parametrize("name,extra,source,fragment", WRAPPERS, ids=[w[0] for w in WRAPPERS])
def test_wrappers_around_library_code_are_rejected(name, extra, source, fragment):
    ns = student()
    ns.update(notebook(source, **extra))
    with pytest.raises(CheckFailed, match=fragment):
        run(name, ns)


# ------------------------------------------------------------ (d) stubs


@pytest.mark.parametrize("name", HIDDEN_TESTS)
def test_stubs_raise_not_implemented(name):
    stubs = notebook(
        "\n".join(
            f"def {fn}(*args, **kwargs):\n    raise NotImplementedError()\n"
            for fn in [
                "relu_forward",
                "relu_backward",
                "sigmoid_forward",
                "sigmoid_backward",
                "numerical_gradient",
                "rel_error",
                "conv2d_backward",
                "maxpool2d_backward",
                "conv_relu_pool_forward",
                "conv_relu_pool_backward",
                "softmax_cross_entropy",
            ]
        )
    )
    with pytest.raises(NotImplementedError):
        run(name, stubs)


def test_pool_conv_fc_passes_the_reference_and_names_its_mistakes():
    from tests.notebook_helpers import in_notebook

    mine = module_as_notebook(ref)
    right = mine["pool_conv_fc_backward"]
    helpers = {name: mine[name] for name in ("conv2d_backward", "maxpool2d_backward")}

    def transposed_dW2(dscores, cache):
        dX, dW1, db1, dW2, db2 = right_backward(dscores, cache)  # noqa: F821
        return dX, dW1, db1, dW2.T, db2

    def mean_db2(dscores, cache):
        dX, dW1, db1, dW2, db2 = right_backward(dscores, cache)  # noqa: F821
        return dX, dW1, db1, dW2, db2 / dscores.shape[0]

    hidden.pool_conv_fc_hidden(right)
    with pytest.raises(CheckFailed, match="this is its transpose"):
        hidden.pool_conv_fc_hidden(in_notebook(transposed_dW2, right_backward=right, **helpers))
    with pytest.raises(CheckFailed, match="not the mean"):
        hidden.pool_conv_fc_hidden(in_notebook(mean_db2, right_backward=right, **helpers))


def test_softmax_over_the_wrong_axis_is_named():
    from tests.notebook_helpers import in_notebook

    def wrong_axis(scores, y):
        shifted = scores - scores.max(axis=1, keepdims=True)
        p = np.exp(shifted) / np.exp(shifted).sum(axis=0, keepdims=True)
        N = y.shape[0]
        loss = -np.mean(np.log(p[np.arange(N), y]))
        p[np.arange(N), y] -= 1
        return loss, p / N

    with pytest.raises(CheckFailed, match="axis 0"):
        hidden.softmax_cross_entropy_hidden(in_notebook(wrong_axis))
