"""Activations, the linear layer and the softmax cross-entropy loss; dtype handling of every layer.

Convolution and pooling have their own files (test_conv.py, test_pool.py);
the layer classes and SGD are in test_modules.py.
"""

import math

import numpy as np
import pytest
from loop_oracles import numeric_grad, rel_error

from cnnkit.activations import relu_backward, relu_forward, sigmoid_backward, sigmoid_forward
from cnnkit.conv import conv2d_backward, conv2d_forward
from cnnkit.linear import linear_backward, linear_forward
from cnnkit.losses import softmax, softmax_cross_entropy
from cnnkit.pool import avgpool2d_backward, avgpool2d_forward, maxpool2d_backward, maxpool2d_forward

# ---------------------------------------------------------------- activations


def test_relu_values_and_derivative_at_zero_is_zero():
    out, cache = relu_forward(np.array([-2.0, -0.0, 0.0, 3.0]))
    np.testing.assert_array_equal(out, [0, 0, 0, 3])
    dX = relu_backward(np.array([5.0, 5.0, 5.0, 5.0]), cache)
    np.testing.assert_array_equal(dX, [0, 0, 0, 5])


def test_sigmoid_known_values_and_no_overflow_for_large_inputs():
    X = np.array([-1000.0, -745.0, 0.0, 745.0, 1000.0])
    out, _ = sigmoid_forward(X)  # a RuntimeWarning from exp overflow would fail the test
    np.testing.assert_allclose(out, [0, 0, 0.5, 1, 1], atol=1e-300)
    assert np.all((out >= 0) & (out <= 1))


def test_sigmoid_float32_saturates_without_warnings():
    out, _ = sigmoid_forward(np.array([-100.0, 100.0], dtype=np.float32))
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, [0, 1], atol=1e-38)  # e^-100 is a float32 subnormal


def test_sigmoid_matches_textbook_formula_in_moderate_range():
    X = np.linspace(-30, 30, 61)
    out, _ = sigmoid_forward(X)
    np.testing.assert_allclose(out, 1 / (1 + np.exp(-X)), rtol=1e-14)


def test_sigmoid_derivative_peaks_at_quarter():
    _, cache = sigmoid_forward(np.array([0.0, 50.0]))
    np.testing.assert_allclose(sigmoid_backward(np.ones(2), cache), [0.25, 0.0], atol=1e-20)


@pytest.mark.parametrize(
    "forward, backward", [(relu_forward, relu_backward), (sigmoid_forward, sigmoid_backward)]
)
def test_activation_backward_matches_finite_differences(forward, backward):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((3, 4, 5))
    X[np.abs(X) < 1e-3] = 0.5  # keep ReLU's kink out of the finite-difference step
    dout = rng.standard_normal(X.shape)
    dX = backward(dout, forward(X)[1])
    assert rel_error(dX, numeric_grad(lambda: float(np.sum(forward(X)[0] * dout)), X)) < 1e-7


# ---------------------------------------------------------------- linear


def test_linear_small_example_by_hand():
    X = np.array([[1.0, 2.0], [3.0, 4.0]])
    W = np.array([[1.0, 0.0, -1.0], [2.0, 1.0, 0.0]])
    b = np.array([0.5, 0.0, 1.0])
    out, cache = linear_forward(X, W, b)
    np.testing.assert_array_equal(out, [[5.5, 2, 0], [11.5, 4, -2]])
    dX, dW, db = linear_backward(np.ones((2, 3)), cache)
    np.testing.assert_array_equal(dX, [[0, 3], [0, 3]])
    np.testing.assert_array_equal(dW, [[4, 4, 4], [6, 6, 6]])
    np.testing.assert_array_equal(db, [2, 2, 2])


@pytest.mark.parametrize("X_shape", [(4, 6), (3, 2, 3, 2)])
def test_linear_backward_matches_finite_differences(X_shape):
    rng = np.random.default_rng(1)
    D = math.prod(X_shape[1:])
    X = rng.standard_normal(X_shape)
    W = rng.standard_normal((D, 5))
    b = rng.standard_normal(5)
    out, cache = linear_forward(X, W, b)
    dout = rng.standard_normal(out.shape)
    dX, dW, db = linear_backward(dout, cache)
    assert dX.shape == X_shape

    def loss():
        return float(np.sum(linear_forward(X, W, b)[0] * dout))

    for analytic, param in [(dX, X), (dW, W), (db, b)]:
        assert rel_error(analytic, numeric_grad(loss, param)) < 1e-7


def test_linear_flattens_like_reshape():
    rng = np.random.default_rng(2)
    X = rng.standard_normal((2, 3, 2, 2))
    W = rng.standard_normal((12, 4))
    out, _ = linear_forward(X, W, np.zeros(4))
    np.testing.assert_allclose(out, X.reshape(2, 12) @ W, rtol=1e-14)


def test_linear_matches_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    X, W, b = rng.standard_normal((5, 7)), rng.standard_normal((7, 3)), rng.standard_normal(3)
    out, cache = linear_forward(X, W, b)
    dout = rng.standard_normal(out.shape)
    dX, dW, db = linear_backward(dout, cache)
    tX, tW, tb = (torch.tensor(a, requires_grad=True) for a in (X, W, b))
    t_out = torch.nn.functional.linear(tX, tW.T, tb)
    t_out.backward(torch.tensor(dout))
    for mine, theirs in [(out, t_out), (dX, tX.grad), (dW, tW.grad), (db, tb.grad)]:
        np.testing.assert_allclose(mine, theirs.detach().numpy(), rtol=1e-12, atol=1e-12)


# ---------------------------------------------------------------- softmax and cross-entropy


def test_softmax_rows_sum_to_one_and_survive_huge_scores():
    p = softmax(np.array([[1000.0, 1000.0], [-1000.0, 0.0], [1.0, 2.0]]))
    np.testing.assert_allclose(p.sum(axis=1), 1)
    np.testing.assert_allclose(p[0], [0.5, 0.5])
    np.testing.assert_allclose(p[1], [0.0, 1.0], atol=1e-300)
    np.testing.assert_allclose(p[2], [1 / (1 + math.e), math.e / (1 + math.e)])


def test_cross_entropy_known_values():
    # Equal scores: every class has probability 1/K, so the loss is log K.
    loss, dscores = softmax_cross_entropy(np.zeros((2, 4)), np.array([0, 3]))
    assert loss == pytest.approx(math.log(4))
    np.testing.assert_allclose(dscores, np.array([[-3, 1, 1, 1], [1, 1, 1, -3]]) / 4 / 2)
    # A confident wrong answer: loss = 1000 + log(1 + e^-1000), finite and no warning.
    loss, _ = softmax_cross_entropy(np.array([[1000.0, 0.0]]), np.array([1]))
    assert loss == pytest.approx(1000.0)


def test_cross_entropy_gradient_matches_finite_differences():
    rng = np.random.default_rng(4)
    scores = rng.standard_normal((6, 5)) * 3
    y = rng.integers(0, 5, size=6)
    _, dscores = softmax_cross_entropy(scores, y)
    numeric = numeric_grad(lambda: softmax_cross_entropy(scores, y)[0], scores)
    assert rel_error(dscores, numeric) < 1e-7


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_cross_entropy_matches_torch(dtype):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(5)
    scores = (rng.standard_normal((8, 10)) * 5).astype(dtype)
    y = rng.integers(0, 10, size=8)
    loss, dscores = softmax_cross_entropy(scores, y)
    t_scores = torch.tensor(scores, requires_grad=True)
    t_loss = torch.nn.functional.cross_entropy(t_scores, torch.tensor(y))
    t_loss.backward()
    tol = 1e-12 if dtype == np.float64 else 1e-5
    assert loss == pytest.approx(t_loss.item(), rel=tol)
    np.testing.assert_allclose(dscores, t_scores.grad.numpy(), rtol=tol, atol=tol)


@pytest.mark.parametrize(
    "scores, y, match",
    [
        (np.zeros((2, 3)), np.array([0, 3]), r"y must hold class labels in 0\.\.2"),
        (np.zeros((2, 3)), np.array([-1, 0]), r"y must hold class labels in 0\.\.2"),
        (np.zeros((2, 3)), np.array([0.0, 1.0]), r"y must be an array of integer class labels"),
        (np.zeros((2, 3)), np.array([True, False]), r"y must be an array of integer"),
        (np.zeros((2, 3)), np.array([0, 1, 2]), r"y must have shape \(N,\)=\(2,\)"),
        (np.zeros((2, 3)), np.array([[0], [1]]), r"y must have shape \(N,\)"),
        (np.zeros(3), np.array([0]), r"scores must be a 2-D array \(N, K\)"),
    ],
)
def test_cross_entropy_rejects_bad_input(scores, y, match):
    with pytest.raises(ValueError, match=match):
        softmax_cross_entropy(scores, y)


@pytest.mark.parametrize(
    "call, match",
    [
        (
            lambda: linear_forward(np.ones((2, 6)), np.ones((5, 3)), np.ones(3)),
            r"W must have shape \(D, M\) with D=6",
        ),
        (
            lambda: linear_forward(np.ones((2, 6)), np.ones((6, 3)), np.ones(4)),
            r"b must have shape \(M,\)=\(3,\)",
        ),
        (lambda: linear_forward(np.ones(6), np.ones((6, 3)), np.ones(3)), r"X must be an array"),
        (lambda: linear_forward(np.ones((2, 6)), np.ones(6), np.ones(3)), r"W must be a 2-D"),
        (lambda: relu_backward(np.ones(3), relu_forward(np.ones(4))[1]), r"dout must have"),
        (lambda: sigmoid_backward(np.ones(3), sigmoid_forward(np.ones(4))[1]), r"dout must"),
        (lambda: relu_forward(np.array(["a"])), r"X must be a numeric array"),
    ],
)
def test_bad_input_raises_value_error_naming_the_argument(call, match):
    with pytest.raises(ValueError, match=match):
        call()


# ---------------------------------------------------------------- float32 stays float32


def _float32_pipeline():
    rng = np.random.default_rng(6)

    def f32(*shape):
        return rng.standard_normal(shape).astype(np.float32)

    X = f32(2, 3, 8, 8)
    yield "conv", conv2d_forward, (X, f32(4, 3, 3, 3), f32(4)), {"pad": 1}, conv2d_backward
    yield "maxpool", maxpool2d_forward, (X,), {}, maxpool2d_backward
    yield "avgpool", avgpool2d_forward, (X,), {"size": 3, "stride": 1}, avgpool2d_backward
    yield "relu", relu_forward, (X,), {}, relu_backward
    yield "sigmoid", sigmoid_forward, (X,), {}, sigmoid_backward
    yield "linear", linear_forward, (X, f32(192, 5), f32(5)), {}, linear_backward


@pytest.mark.parametrize(
    "forward, args, kwargs, backward",
    [case[1:] for case in _float32_pipeline()],
    ids=[case[0] for case in _float32_pipeline()],
)
def test_float32_stays_float32(forward, args, kwargs, backward):
    out, cache = forward(*args, **kwargs)
    assert out.dtype == np.float32
    grads = backward(np.ones_like(out), cache)
    for g in grads if isinstance(grads, tuple) else (grads,):
        assert g.dtype == np.float32


def test_float32_loss_gradient_stays_float32():
    scores = np.zeros((3, 4), dtype=np.float32)
    assert softmax(scores).dtype == np.float32
    _, dscores = softmax_cross_entropy(scores, np.array([0, 1, 2]))
    assert dscores.dtype == np.float32
