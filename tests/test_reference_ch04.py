"""Chapter 4 reference answers against independent oracles.

Oracles: plain loops written from the definitions, centered finite differences in
float64 (relative error < 1e-7), PyTorch autograd where installed, and the literal
numbers of the course text.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from autograder.reference import ch04_backpropagation as ref

X_EXAMPLE = np.array([[1, 2, 3, 0], [0, 1, 2, 3], [3, 0, 1, 2], [2, 3, 0, 1]], dtype=float)
K_EXAMPLE = np.array([[2, 0, 1], [0, 1, 2], [1, 0, 2]], dtype=float)


# ------------------------------------------------------------------ oracles


def conv_forward_loops(X, W, b, stride, pad):
    N, C, H, Wd = X.shape
    C_out, _, kH, kW = W.shape
    Xp = np.zeros((N, C, H + 2 * pad, Wd + 2 * pad))
    for n in range(N):
        for c in range(C):
            for y in range(H):
                for x in range(Wd):
                    Xp[n, c, y + pad, x + pad] = X[n, c, y, x]
    Ho = (H + 2 * pad - kH) // stride + 1
    Wo = (Wd + 2 * pad - kW) // stride + 1
    out = np.zeros((N, C_out, Ho, Wo))
    for n in range(N):
        for o in range(C_out):
            for i in range(Ho):
                for j in range(Wo):
                    total = b[o]
                    for c in range(C):
                        for u in range(kH):
                            for v in range(kW):
                                total += W[o, c, u, v] * Xp[n, c, i * stride + u, j * stride + v]
                    out[n, o, i, j] = total
    return out


def conv_backward_loops(dout, X, W, stride, pad):
    """The chain rule written out entry by entry."""
    N, C, H, Wd = X.shape
    C_out, _, kH, kW = W.shape
    _, _, Ho, Wo = dout.shape
    dXp = np.zeros((N, C, H + 2 * pad, Wd + 2 * pad))
    Xp = np.zeros_like(dXp)
    Xp[:, :, pad : pad + H, pad : pad + Wd] = X
    dW = np.zeros_like(W)
    db = np.zeros(C_out)
    for n in range(N):
        for o in range(C_out):
            for i in range(Ho):
                for j in range(Wo):
                    g = dout[n, o, i, j]
                    db[o] += g
                    for c in range(C):
                        for u in range(kH):
                            for v in range(kW):
                                y, x = i * stride + u, j * stride + v
                                dW[o, c, u, v] += g * Xp[n, c, y, x]
                                dXp[n, c, y, x] += g * W[o, c, u, v]
    return dXp[:, :, pad : pad + H, pad : pad + Wd], dW, db


def maxpool_loops(X, size, stride, dout=None):
    N, C, H, Wd = X.shape
    Ho, Wo = (H - size) // stride + 1, (Wd - size) // stride + 1
    out = np.zeros((N, C, Ho, Wo))
    argmax = np.zeros((N, C, Ho, Wo), dtype=int)
    dX = np.zeros_like(X)
    for n in range(N):
        for c in range(C):
            for i in range(Ho):
                for j in range(Wo):
                    best, where = -math.inf, None
                    for u in range(size):
                        for v in range(size):
                            value = X[n, c, i * stride + u, j * stride + v]
                            if value > best:  # strictly greater: the first maximum wins
                                best, where = value, (u, v)
                    out[n, c, i, j] = best
                    argmax[n, c, i, j] = where[0] * size + where[1]
                    if dout is not None:
                        dX[n, c, i * stride + where[0], j * stride + where[1]] += dout[n, c, i, j]
    return out, argmax, dX


def sigmoid_math(x):
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def softmax_ce_math(scores, y):
    N, K = scores.shape
    loss = 0.0
    grad = np.zeros((N, K))
    for n in range(N):
        row = [float(s) for s in scores[n]]
        m = max(row)
        lse = m + math.log(math.fsum(math.exp(s - m) for s in row))
        loss += lse - row[y[n]]
        for k in range(K):
            grad[n, k] = (math.exp(row[k] - lse) - (k == y[n])) / N
    return loss / N, grad


def centered(f, X, h=1e-5):
    X = np.array(X, dtype=np.float64)
    grad = np.zeros_like(X)
    for idx in np.ndindex(X.shape):
        old = X[idx]
        X[idx] = old + h
        plus = f(X)
        X[idx] = old - h
        minus = f(X)
        X[idx] = old
        grad[idx] = (plus - minus) / (2 * h)
    return grad


def norm_rel(a, b):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    denom = np.linalg.norm(a) + np.linalg.norm(b)
    return 0.0 if denom == 0 else float(np.linalg.norm(a - b) / denom)


# N, C, H, W, C_out, kH, kW, stride, pad
CONV_SHAPES = [
    (1, 1, 4, 4, 1, 3, 3, 1, 0),
    (2, 3, 5, 5, 4, 3, 3, 1, 0),
    (2, 2, 7, 7, 3, 3, 3, 2, 1),
    (3, 1, 9, 7, 2, 3, 3, 3, 1),
    (2, 2, 6, 5, 2, 4, 3, 2, 2),
    (1, 2, 5, 6, 2, 2, 2, 1, 2),
    (2, 3, 3, 4, 2, 5, 6, 1, 1),  # kernel as large as the padded input
    (2, 2, 8, 7, 2, 2, 2, 3, 0),  # stride larger than the kernel
    (2, 3, 5, 5, 2, 1, 1, 2, 0),
]


def conv_data(shape, seed):
    N, C, H, Wd, C_out, kH, kW, stride, pad = shape
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((N, C, H, Wd))
    W = rng.standard_normal((C_out, C, kH, kW))
    b = rng.standard_normal(C_out)
    return X, W, b, stride, pad, rng


# ------------------------------------------------------------- activations


def test_relu_matches_definition_and_zero_convention():
    X = np.array([[-2.0, -0.5, 0.0], [0.5, 1.0, 3.0]])
    out, cache = ref.relu_forward(X)
    np.testing.assert_array_equal(out, [[0, 0, 0], [0.5, 1, 3]])
    np.testing.assert_array_equal(cache, X)
    dX = ref.relu_backward(np.array([[1.0, 2, 3], [4, 5, 6]]), X)
    np.testing.assert_array_equal(dX, [[0, 0, 0], [4, 5, 6]])  # 0 at X == 0


@pytest.mark.parametrize("shape", [(7,), (3, 4), (2, 3, 4, 5)])
def test_activation_gradients_by_finite_differences(shape):
    rng = np.random.default_rng(1)
    X = rng.standard_normal(shape) + 0.01  # away from relu's corner
    X[np.abs(X) < 1e-3] = 0.5
    dout = rng.standard_normal(shape)
    for forward, backward in [
        (ref.relu_forward, ref.relu_backward),
        (ref.sigmoid_forward, ref.sigmoid_backward),
    ]:
        out, cache = forward(X)
        numeric = centered(lambda Z, fw=forward: np.sum(fw(Z)[0] * dout), X)
        assert norm_rel(backward(dout, cache), numeric) < 1e-7


def test_sigmoid_matches_math_and_does_not_overflow():
    x = np.array([-1000, -800, -40, -20, -2, -1e-3, 0, 1e-3, 2, 20, 40, 800, 1000], dtype=float)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        out, cache = ref.sigmoid_forward(x)
    want = np.array([sigmoid_math(v) for v in x])
    np.testing.assert_allclose(out, want, rtol=1e-14, atol=0)
    np.testing.assert_array_equal(cache, out)
    assert out[2] == pytest.approx(4.248354255291589e-18, rel=1e-12)


def test_sigmoid_backward_formula():
    out = np.array([0.0, 0.25, 0.5, 0.9, 1.0])
    dout = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    np.testing.assert_allclose(ref.sigmoid_backward(dout, out), [0, 0.375, 0.75, 0.36, 0])


def test_activation_backward_rejects_mismatched_dout():
    with pytest.raises(ValueError):
        ref.relu_backward(np.ones((1, 3)), np.ones((2, 3)))
    with pytest.raises(ValueError):
        ref.sigmoid_backward(np.ones(3), np.ones(4))


# -------------------------------------------------------------- gradcheck


@pytest.mark.parametrize("shape", [(5,), (3, 4), (2, 3, 2, 2)])
def test_numerical_gradient_against_analytic(shape):
    rng = np.random.default_rng(2)
    X = rng.standard_normal(shape)
    A, B = rng.standard_normal(shape), rng.standard_normal(shape)

    def f(Z):
        return np.sum(np.tanh(Z) * A) + np.sum(Z * B) ** 2

    analytic = A * (1 - np.tanh(X) ** 2) + 2 * np.sum(X * B) * B
    got = ref.numerical_gradient(f, X)
    assert got.dtype == np.float64 and got.shape == X.shape
    assert norm_rel(got, analytic) < 1e-7


def test_numerical_gradient_is_centered_and_uses_h():
    X = np.array([[1.0, 2.0], [3.0, -1.0]])
    for h in [1e-3, 1e-2]:
        got = ref.numerical_gradient(lambda Z: np.sum(Z**3), X, h)
        np.testing.assert_allclose(got, 3 * X**2 + h**2, rtol=1e-10)


def test_numerical_gradient_integer_float32_and_no_side_effects():
    Xi = np.array([[1, 2], [-3, 0]])
    np.testing.assert_allclose(ref.numerical_gradient(lambda Z: np.sum(Z**2), Xi), 2 * Xi)
    X32 = np.array([0.3, -1.2, 2.5], dtype=np.float32)
    got = ref.numerical_gradient(lambda Z: np.sum(np.sin(Z) * Z), X32)
    x = X32.astype(np.float64)
    assert got.dtype == np.float64
    np.testing.assert_allclose(got, np.cos(x) * x + np.sin(x), rtol=1e-8)
    X = np.array([0.1, 0.2, 0.3])
    before = X.copy()
    ref.numerical_gradient(lambda Z: np.sum(Z**2), X)
    np.testing.assert_array_equal(X, before)


def test_rel_error():
    assert ref.rel_error([3.0, 4.0], [3.0, 4.0]) == 0.0
    assert ref.rel_error([3.0, 4.0], [0.0, 0.0]) == 1.0
    assert ref.rel_error(np.zeros((2, 3)), np.zeros((2, 3))) == 0.0
    assert ref.rel_error([3.0, 4.0], [3.0, 4.5]) == pytest.approx(
        0.5 / (5 + math.sqrt(9 + 4.5**2)), rel=1e-14
    )
    a = np.arange(12.0).reshape(3, 4)
    assert ref.rel_error(a, -a) == pytest.approx(1.0)
    for shapes in [((3,), (4,)), ((3, 1), (1, 3)), ((4,), (1, 4))]:
        with pytest.raises(ValueError):
            ref.rel_error(np.ones(shapes[0]), np.ones(shapes[1]))


# ------------------------------------------------------------- convolution


def test_conv_forward_worked_examples_of_the_syllabus():
    X = X_EXAMPLE.reshape(1, 1, 4, 4)
    W = K_EXAMPLE.reshape(1, 1, 3, 3)
    out, cache = ref.conv2d_forward(X, W, np.zeros(1))
    np.testing.assert_array_equal(out[0, 0], [[15, 16], [6, 15]])
    out, _ = ref.conv2d_forward(X, W, np.zeros(1), 1, 1)
    np.testing.assert_array_equal(
        out[0, 0], [[7, 12, 10, 2], [4, 15, 16, 10], [10, 6, 15, 6], [8, 10, 4, 3]]
    )
    assert cache[3:] == (1, 0)


def test_conv_backward_worked_examples_of_the_chapter():
    X = X_EXAMPLE.reshape(1, 1, 4, 4)
    W = K_EXAMPLE.reshape(1, 1, 3, 3)
    dout = np.array([[1.0, 2.0], [-1.0, 1.0]]).reshape(1, 1, 2, 2)
    dX, dW, db = ref.conv2d_backward(dout, (X, W, np.zeros(1), 1, 0))
    np.testing.assert_array_equal(
        dX[0, 0], [[2, 4, 1, 2], [-2, 3, 3, 5], [1, 1, 1, 6], [-1, 1, -2, 2]]
    )
    np.testing.assert_array_equal(dW[0, 0], [[6, 9, 4], [-1, 6, 9], [4, -1, 6]])
    np.testing.assert_array_equal(db, [3])
    dX, dW, db = ref.conv2d_backward(dout, (X, W, np.zeros(1), 2, 1))
    np.testing.assert_array_equal(
        dX[0, 0], [[1, 2, 2, 4], [0, 5, 0, 5], [-1, -2, 1, 2], [0, -1, 0, 2]]
    )
    np.testing.assert_array_equal(dW[0, 0], [[1, 2, 2], [4, 5, 4], [5, 2, 5]])
    np.testing.assert_array_equal(db, [3])


def test_dx_is_full_convolution_with_rotated_kernel():
    """Stride 1, one channel: dX = pad(dout, k - 1) cross-correlated with rot180(K)."""
    rng = np.random.default_rng(3)
    X, K = rng.standard_normal((5, 6)), rng.standard_normal((3, 2))
    dout = rng.standard_normal((3, 5))
    dX, dW, _ = ref.conv2d_backward(
        dout[None, None], (X[None, None], K[None, None], np.zeros(1), 1, 0)
    )
    full = np.pad(dout, ((2, 2), (1, 1)))
    want = np.array(
        [[np.sum(full[i : i + 3, j : j + 2] * K[::-1, ::-1]) for j in range(6)] for i in range(5)]
    )
    np.testing.assert_allclose(dX[0, 0], want, rtol=1e-12)
    # dW: the cross-correlation of X with dout
    want_dW = np.array(
        [[np.sum(X[u : u + 3, v : v + 5] * dout) for v in range(2)] for u in range(3)]
    )
    np.testing.assert_allclose(dW[0, 0], want_dW, rtol=1e-12)


def test_dx_in_1d_is_numpys_full_convolution():
    """One row: dX is np.convolve(dout, k, "full"), a true (flipping) convolution with k."""
    rng = np.random.default_rng(4)
    x, k = rng.standard_normal(9), rng.standard_normal(4)
    dout = rng.standard_normal(6)
    dX, dW, _ = ref.conv2d_backward(
        dout.reshape(1, 1, 1, 6), (x.reshape(1, 1, 1, 9), k.reshape(1, 1, 1, 4), np.zeros(1), 1, 0)
    )
    np.testing.assert_allclose(dX.ravel(), np.convolve(dout, k, "full"), rtol=1e-12)
    np.testing.assert_allclose(dW.ravel(), np.correlate(x, dout, "valid"), rtol=1e-12)


@pytest.mark.parametrize("shape", CONV_SHAPES)
def test_conv_against_loops(shape):
    X, W, b, stride, pad, rng = conv_data(shape, 10)
    out, cache = ref.conv2d_forward(X, W, b, stride, pad)
    np.testing.assert_allclose(out, conv_forward_loops(X, W, b, stride, pad), rtol=1e-12)
    dout = rng.standard_normal(out.shape)
    for got, want in zip(
        ref.conv2d_backward(dout, cache),
        conv_backward_loops(dout, X, W, stride, pad),
        strict=True,
    ):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("shape", CONV_SHAPES)
def test_conv_backward_by_finite_differences(shape):
    X, W, b, stride, pad, rng = conv_data(shape, 11)
    out, cache = ref.conv2d_forward(X, W, b, stride, pad)
    dout = rng.standard_normal(out.shape)
    dX, dW, db = ref.conv2d_backward(dout, cache)

    def loss(X_, W_, b_):
        return np.sum(ref.conv2d_forward(X_, W_, b_, stride, pad)[0] * dout)

    assert norm_rel(dX, centered(lambda Z: loss(Z, W, b), X)) < 1e-7
    assert norm_rel(dW, centered(lambda Z: loss(X, Z, b), W)) < 1e-7
    assert norm_rel(db, centered(lambda Z: loss(X, W, Z), b)) < 1e-7


def test_conv_backward_rejects_wrong_dout():
    X, W, b = np.ones((2, 2, 5, 6)), np.ones((3, 2, 3, 3)), np.ones(3)
    for bad in [(2, 3, 3, 3), (3, 4), (1, 3, 3, 4)]:
        with pytest.raises(ValueError):
            ref.conv2d_backward(np.ones(bad), (X, W, b, 1, 0))
    with pytest.raises(ValueError):
        ref.conv2d_forward(np.ones((1, 1, 2, 2)), np.ones((1, 1, 3, 3)), np.ones(1))


# ----------------------------------------------------------------- pooling

POOL_SHAPES = [
    (2, 3, 4, 4, 2, 2),
    (1, 2, 5, 7, 2, 2),
    (2, 1, 6, 6, 3, 3),
    (2, 2, 5, 5, 3, 2),
    (1, 3, 4, 5, 2, 1),
    (1, 1, 2, 2, 2, 2),
]


@pytest.mark.parametrize("shape", POOL_SHAPES)
@pytest.mark.parametrize("ties", [False, True])
def test_maxpool_against_loops(shape, ties):
    N, C, H, Wd, size, stride = shape
    rng = np.random.default_rng(20)
    X = rng.integers(-2, 3, (N, C, H, Wd)).astype(float) if ties else rng.random((N, C, H, Wd))
    out, cache = ref.maxpool2d_forward(X, size, stride)
    dout = rng.standard_normal(out.shape)
    want_out, want_argmax, want_dX = maxpool_loops(X, size, stride, dout)
    np.testing.assert_array_equal(out, want_out)
    np.testing.assert_array_equal(cache[3], want_argmax)
    assert cache[:3] == (X.shape, size, stride)
    np.testing.assert_allclose(ref.maxpool2d_backward(dout, cache), want_dX, rtol=1e-14)


@pytest.mark.parametrize("shape", POOL_SHAPES)
def test_maxpool_backward_by_finite_differences(shape):
    N, C, H, Wd, size, stride = shape
    rng = np.random.default_rng(21)
    X = rng.random((N, C, H, Wd))  # distinct values: no ties, no kinks within h
    out, cache = ref.maxpool2d_forward(X, size, stride)
    dout = rng.standard_normal(out.shape)
    numeric = centered(lambda Z: np.sum(ref.maxpool2d_forward(Z, size, stride)[0] * dout), X)
    assert norm_rel(ref.maxpool2d_backward(dout, cache), numeric) < 1e-7


def test_maxpool_worked_examples_of_the_chapter():
    X = X_EXAMPLE.reshape(1, 1, 4, 4)
    dout = np.array([[1.0, 2.0], [3.0, 4.0]]).reshape(1, 1, 2, 2)
    _, cache = ref.maxpool2d_forward(X, 2, 2)
    np.testing.assert_array_equal(
        ref.maxpool2d_backward(dout, cache)[0, 0],
        [[0, 1, 2, 0], [0, 0, 0, 0], [3, 0, 0, 4], [0, 0, 0, 0]],
    )
    _, cache = ref.maxpool2d_forward(X, 3, 1)
    np.testing.assert_array_equal(
        ref.maxpool2d_backward(dout, cache)[0, 0],
        [[0, 0, 3, 0], [0, 0, 0, 4], [3, 0, 0, 0], [0, 0, 0, 0]],
    )
    with pytest.raises(ValueError):
        ref.maxpool2d_backward(np.ones((1, 1, 3, 3)), cache)


# ---------------------------------------------------------- conv-relu-pool


def test_block_worked_example_of_the_chapter():
    X = X_EXAMPLE.reshape(1, 1, 4, 4)
    W = K_EXAMPLE.reshape(1, 1, 3, 3)
    out, cache = ref.conv_relu_pool_forward(X, W, np.array([-8.0]), 1, 1, 2)
    np.testing.assert_array_equal(out[0, 0], [[7, 8], [2, 7]])
    dout = np.array([[1.0, 2.0], [3.0, 4.0]]).reshape(1, 1, 2, 2)
    dX, dW, db = ref.conv_relu_pool_backward(dout, cache)
    np.testing.assert_array_equal(
        dX[0, 0], [[2, 4, 1, 2], [0, 12, 4, 8], [4, 8, 6, 12], [0, 10, 0, 8]]
    )
    np.testing.assert_array_equal(dW[0, 0], [[9, 16, 18], [2, 18, 16], [15, 8, 18]])
    np.testing.assert_array_equal(db, [10])


@pytest.mark.parametrize(
    "shape",
    [(2, 2, 6, 6, 3, 3, 1, 1, 2), (1, 3, 8, 7, 2, 3, 1, 0, 2), (2, 1, 9, 9, 2, 3, 2, 1, 2)],
)
def test_block_against_loops_and_finite_differences(shape):
    N, C, H, Wd, C_out, k, stride, pad, pool = shape
    X, W, b, _, _, rng = conv_data((N, C, H, Wd, C_out, k, k, stride, pad), 30)
    out, cache = ref.conv_relu_pool_forward(X, W, b, stride, pad, pool)
    a = conv_forward_loops(X, W, b, stride, pad)
    r = np.maximum(a, 0)
    dout = rng.standard_normal(out.shape)
    want_out, _, dr = maxpool_loops(r, pool, pool, dout)
    np.testing.assert_allclose(out, want_out, rtol=1e-12)
    want = conv_backward_loops(dr * (a > 0), X, W, stride, pad)
    got = ref.conv_relu_pool_backward(dout, cache)
    for g, w in zip(got, want, strict=True):
        np.testing.assert_allclose(g, w, rtol=1e-12, atol=1e-12)

    def loss(X_, W_, b_):
        return np.sum(ref.conv_relu_pool_forward(X_, W_, b_, stride, pad, pool)[0] * dout)

    assert norm_rel(got[0], centered(lambda Z: loss(Z, W, b), X)) < 1e-7
    assert norm_rel(got[1], centered(lambda Z: loss(X, Z, b), W)) < 1e-7
    assert norm_rel(got[2], centered(lambda Z: loss(X, W, Z), b)) < 1e-7


# -------------------------------------------------------------------- loss


@pytest.mark.parametrize("N,K", [(1, 2), (3, 5), (8, 10), (5, 1)])
def test_softmax_cross_entropy_against_math_and_finite_differences(N, K):
    rng = np.random.default_rng(40)
    scores = 3 * rng.standard_normal((N, K))
    y = rng.integers(0, K, N)
    loss, d = ref.softmax_cross_entropy(scores, y)
    want_loss, want_d = softmax_ce_math(scores, y)
    assert isinstance(loss, float)
    assert loss == pytest.approx(want_loss, rel=1e-12, abs=1e-14)
    np.testing.assert_allclose(d, want_d, rtol=1e-12, atol=1e-15)
    numeric = centered(lambda Z: ref.softmax_cross_entropy(Z, y)[0], scores)
    assert norm_rel(d, numeric) < 1e-7


def test_softmax_cross_entropy_worked_example_and_stability():
    scores = np.array([[1.0, 2.0, 3.0], [1.0, 1.0, 1.0]])
    y = np.array([2, 0])
    lse = math.log(math.e + math.e**2 + math.e**3)
    loss, d = ref.softmax_cross_entropy(scores, y)
    assert loss == pytest.approx((lse - 3 + math.log(3)) / 2, rel=1e-14)
    with np.errstate(all="raise", under="ignore"):
        loss2, d2 = ref.softmax_cross_entropy(scores + 1000, y)
        assert loss2 == pytest.approx(loss, rel=1e-12)
        np.testing.assert_allclose(d2, d, rtol=1e-10)
        big = np.array([[1000.0, 0.0, -1000.0], [-1000.0, 1000.0, 0.0], [0.5, 0.5, 0.5]])
        loss3, _ = ref.softmax_cross_entropy(big, np.array([2, 0, 1]))
    assert loss3 == pytest.approx((4000 + math.log(3)) / 3, rel=1e-14)


def test_softmax_cross_entropy_rejects_bad_labels():
    scores = np.zeros((3, 4))
    for y in [np.array([0, 4, 1]), np.array([0, -1, 1]), np.array([[0], [1], [2]]), np.arange(2)]:
        with pytest.raises(ValueError):
            ref.softmax_cross_entropy(scores, y)


# ----------------------------------------------------------------- PyTorch


@pytest.mark.parametrize("shape", CONV_SHAPES)
def test_conv_against_torch(shape):
    torch = pytest.importorskip("torch")
    X, W, b, stride, pad, rng = conv_data(shape, 50)
    out, cache = ref.conv2d_forward(X, W, b, stride, pad)
    dout = rng.standard_normal(out.shape)
    tX, tW, tb = (torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in (X, W, b))
    tout = torch.nn.functional.conv2d(tX, tW, tb, stride=stride, padding=pad)
    tout.backward(torch.tensor(dout))
    np.testing.assert_allclose(out, tout.detach().numpy(), rtol=1e-12, atol=1e-12)
    dX, dW, db = ref.conv2d_backward(dout, cache)
    np.testing.assert_allclose(dX, tX.grad.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(dW, tW.grad.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(db, tb.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_activations_against_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(51)
    X = rng.integers(-3, 4, (4, 5)).astype(float)  # exact zeros: torch also uses 0 there
    X[0] = [-1000, -40, 0.5, 40, 1000]
    dout = rng.standard_normal(X.shape)
    for forward, backward, tf in [
        (ref.relu_forward, ref.relu_backward, torch.relu),
        (ref.sigmoid_forward, ref.sigmoid_backward, torch.sigmoid),
    ]:
        t = torch.tensor(X, requires_grad=True)
        tout = tf(t)
        tout.backward(torch.tensor(dout))
        out, cache = forward(X)
        np.testing.assert_allclose(out, tout.detach().numpy(), rtol=1e-12, atol=0)
        np.testing.assert_allclose(backward(dout, cache), t.grad.numpy(), rtol=1e-12, atol=1e-300)


def test_softmax_cross_entropy_against_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(52)
    for N, K, scale in [(4, 3, 1.0), (16, 10, 5.0), (3, 4, 1000.0)]:
        scores = scale * rng.standard_normal((N, K))
        y = rng.integers(0, K, N)
        t = torch.tensor(scores, requires_grad=True)
        tloss = torch.nn.functional.cross_entropy(t, torch.tensor(y))
        tloss.backward()
        loss, d = ref.softmax_cross_entropy(scores, y)
        assert loss == pytest.approx(tloss.item(), rel=1e-12)
        np.testing.assert_allclose(d, t.grad.numpy(), rtol=1e-10, atol=1e-15)


@pytest.mark.parametrize("shape", POOL_SHAPES)
def test_maxpool_against_torch(shape):
    torch = pytest.importorskip("torch")
    N, C, H, Wd, size, stride = shape
    rng = np.random.default_rng(53)
    X = rng.integers(-2, 3, (N, C, H, Wd)).astype(float)  # ties: torch keeps the first too
    out, cache = ref.maxpool2d_forward(X, size, stride)
    dout = rng.standard_normal(out.shape)
    t = torch.tensor(X, requires_grad=True)
    tout = torch.nn.functional.max_pool2d(t, size, stride)
    tout.backward(torch.tensor(dout))
    np.testing.assert_array_equal(out, tout.detach().numpy())
    np.testing.assert_allclose(ref.maxpool2d_backward(dout, cache), t.grad.numpy(), rtol=1e-14)


def test_pool_conv_fc_against_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(12)
    X = rng.standard_normal((2, 3, 6, 4))
    params = [rng.standard_normal(s) for s in [(2, 3, 3, 3), (2,), (12, 5), (5,)]]
    dscores = rng.standard_normal((2, 5))
    scores, cache = ref.pool_conv_fc_forward(X, params)
    grads = ref.pool_conv_fc_backward(dscores, cache)
    t = [torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in [X, *params]]
    p = torch.nn.functional.max_pool2d(t[0], 2)
    a = torch.nn.functional.conv2d(p, t[1], t[2], padding=1)
    tscores = a.reshape(2, -1) @ t[3] + t[4]
    assert np.allclose(scores, tscores.detach().numpy())
    tscores.backward(torch.tensor(dscores))
    for mine, theirs in zip(grads, t, strict=True):
        assert np.allclose(mine, theirs.grad.numpy(), rtol=1e-10, atol=1e-12)
