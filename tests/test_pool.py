"""Max and average pooling against loops, hand-computed cases, finite differences and PyTorch."""

import numpy as np
import pytest
from loop_oracles import (
    avgpool2d_backward_loop,
    avgpool2d_loop,
    maxpool2d_backward_loop,
    maxpool2d_loop,
    numeric_grad,
    rel_error,
)

from cnnkit.pool import (
    avgpool2d_backward,
    avgpool2d_forward,
    maxpool2d_backward,
    maxpool2d_forward,
)

# (X shape, size, stride)
CASES = [
    ((2, 3, 4, 4), 2, None),  # the usual 2x2 / 2 fast path
    ((1, 1, 5, 7), 2, None),  # last row and column reached by no window
    ((2, 2, 6, 6), 3, 3),
    ((2, 2, 5, 5), 3, 1),  # overlapping windows
    ((1, 2, 7, 6), (3, 2), (2, 1)),  # non-square window and stride, overlapping
    ((2, 1, 4, 4), 4, None),  # window = input
    ((1, 1, 6, 6), 2, 3),  # gaps between windows
    ((2, 2, 7, 5), (2, 1), None),  # one-column windows, a row reached by no window
    ((2, 2, 5, 7), (1, 3), None),  # one-row windows, a column reached by no window
]
IDS = [f"X{x}-size{s}-stride{t}" for x, s, t in CASES]
POOLS = {
    "max": (maxpool2d_forward, maxpool2d_backward, maxpool2d_loop, maxpool2d_backward_loop),
    "avg": (avgpool2d_forward, avgpool2d_backward, avgpool2d_loop, avgpool2d_backward_loop),
}


def ties(shape, seed):
    """Small non-negative integers after a ReLU: many windows tie, many are all zero."""
    return np.maximum(np.random.default_rng(seed).integers(-2, 3, size=shape), 0).astype(float)


# ---------------------------------------------------------------- against loop oracles


@pytest.mark.parametrize("kind", ["max", "avg"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("X_shape, size, stride", CASES, ids=IDS)
@pytest.mark.parametrize("data", ["random", "ties"])
def test_matches_loop_oracle(X_shape, size, stride, dtype, kind, data):
    forward, backward, forward_loop, backward_loop = POOLS[kind]
    rng = np.random.default_rng(0)
    X = (rng.standard_normal(X_shape) if data == "random" else ties(X_shape, 1)).astype(dtype)
    out, cache = forward(X, size, stride)
    expected = forward_loop(X, size, stride)
    if kind == "max":
        expected = expected[0]
    assert out.dtype == dtype
    tol = 1e-10 if dtype == np.float64 else 1e-6
    np.testing.assert_allclose(out, expected, rtol=tol, atol=tol)

    dout = rng.standard_normal(out.shape).astype(dtype)
    dX = backward(dout, cache)
    assert dX.dtype == dtype
    np.testing.assert_allclose(dX, backward_loop(dout, X, size, stride), rtol=tol, atol=tol)


# ---------------------------------------------------------------- hand-computed cases


def test_maxpool_tie_goes_to_first_maximum_in_row_major_order():
    X = np.array([[1.0, 3.0], [3.0, 0.0]])[None, None]
    out, cache = maxpool2d_forward(X)
    assert out[0, 0, 0, 0] == 3.0
    dX = maxpool2d_backward(np.array([[[[5.0]]]]), cache)
    np.testing.assert_array_equal(dX[0, 0], [[0, 5], [0, 0]])


def test_maxpool_all_zero_windows_route_to_top_left_only():
    X = np.zeros((1, 1, 4, 4))  # e.g. a dead region after ReLU
    out, cache = maxpool2d_forward(X)
    dX = maxpool2d_backward(np.ones_like(out), cache)
    expected = [[1, 0, 1, 0], [0, 0, 0, 0], [1, 0, 1, 0], [0, 0, 0, 0]]
    np.testing.assert_array_equal(dX[0, 0], expected)


def test_maxpool_overlapping_constant_input_routes_to_each_windows_first_cell():
    # 3x3 constant, 2x2 windows at stride 1: window (y, x) picks its cell (y, x).
    out, cache = maxpool2d_forward(np.full((1, 1, 3, 3), 7.0), 2, 1)
    dX = maxpool2d_backward(np.ones_like(out), cache)
    np.testing.assert_array_equal(dX[0, 0], [[1, 1, 0], [1, 1, 0], [0, 0, 0]])


def test_maxpool_overlapping_windows_accumulate_at_shared_maximum():
    X = np.array([[1.0, 2.0, 3.0], [4.0, 9.0, 5.0], [6.0, 7.0, 8.0]])[None, None]
    out, cache = maxpool2d_forward(X, 2, 1)
    np.testing.assert_array_equal(out[0, 0], [[9, 9], [9, 9]])
    dout = np.array([[1.0, 2.0], [3.0, 4.0]])[None, None]
    dX = maxpool2d_backward(dout, cache)
    np.testing.assert_array_equal(dX[0, 0], [[0, 0, 0], [0, 10, 0], [0, 0, 0]])


def test_maxpool_example_with_stride_2():
    X = np.array([[1, 3, 2, 1], [2, 9, 1, 1], [1, 3, 2, 3], [5, 6, 1, 2]], dtype=float)[None, None]
    out, cache = maxpool2d_forward(X)
    np.testing.assert_array_equal(out[0, 0], [[9, 2], [6, 3]])
    dX = maxpool2d_backward(np.array([[[[1.0, 2.0], [3.0, 4.0]]]]), cache)
    expected = [[0, 0, 2, 0], [0, 1, 0, 0], [0, 0, 0, 4], [0, 3, 0, 0]]
    np.testing.assert_array_equal(dX[0, 0], expected)


def test_avgpool_divides_gradient_by_window_area():
    X = np.arange(16, dtype=float).reshape(1, 1, 4, 4)
    out, cache = avgpool2d_forward(X)
    np.testing.assert_array_equal(out[0, 0], [[2.5, 4.5], [10.5, 12.5]])
    dout = np.array([[[[4.0, 8.0], [-4.0, 0.0]]]])
    dX = avgpool2d_backward(dout, cache)
    expected = [[1, 1, 2, 2], [1, 1, 2, 2], [-1, -1, 0, 0], [-1, -1, 0, 0]]
    np.testing.assert_array_equal(dX[0, 0], expected)
    assert dX.sum() == dout.sum()  # the total gradient is preserved


def test_avgpool_overlapping_windows_accumulate():
    out, cache = avgpool2d_forward(np.ones((1, 1, 3, 3)), 2, 1)
    np.testing.assert_array_equal(out[0, 0], np.ones((2, 2)))
    dX = avgpool2d_backward(np.ones_like(out), cache)
    np.testing.assert_array_equal(dX[0, 0], np.array([[1, 2, 1], [2, 4, 2], [1, 2, 1]]) / 4)


def test_uncovered_rows_and_columns_get_zero_gradient():
    X = np.random.default_rng(0).standard_normal((1, 2, 5, 5))
    for forward, backward in [
        (maxpool2d_forward, maxpool2d_backward),
        (avgpool2d_forward, avgpool2d_backward),
    ]:
        out, cache = forward(X)
        assert out.shape == (1, 2, 2, 2)
        dX = backward(np.ones_like(out), cache)
        assert not dX[:, :, 4, :].any() and not dX[:, :, :, 4].any()
        assert dX[:, :, :4, :4].any()


@pytest.mark.parametrize("kind", ["max", "avg"])
def test_results_are_new_arrays_each_call(kind):
    forward, backward, _, _ = POOLS[kind]
    X = ties((2, 3, 6, 6), 3)
    out1, cache1 = forward(X)
    dX1 = backward(np.ones_like(out1), cache1)
    kept = out1.copy(), dX1.copy()
    out2, cache2 = forward(-X)
    dX2 = backward(-np.ones_like(out2), cache2)
    np.testing.assert_array_equal(out1, kept[0])
    np.testing.assert_array_equal(dX1, kept[1])
    assert not np.shares_memory(out1, X) and not np.shares_memory(dX1, dX2)


def test_pooling_keeps_channels():
    out, _ = maxpool2d_forward(np.zeros((3, 7, 8, 8)))
    assert out.shape == (3, 7, 4, 4)


# ---------------------------------------------------------------- finite differences


@pytest.mark.parametrize("kind", ["max", "avg"])
@pytest.mark.parametrize("X_shape, size, stride", CASES, ids=IDS)
def test_backward_matches_finite_differences(X_shape, size, stride, kind):
    forward, backward, _, _ = POOLS[kind]
    rng = np.random.default_rng(6)
    # Distinct values 0.01 apart: a step of 1e-6 never changes which element is the max.
    X = rng.permutation(np.prod(X_shape)).reshape(X_shape) * 0.01
    out, cache = forward(X, size, stride)
    dout = rng.standard_normal(out.shape)
    dX = backward(dout, cache)

    def loss():
        return float(np.sum(forward(X, size, stride)[0] * dout))

    assert rel_error(dX, numeric_grad(loss, X)) < 1e-7


# ---------------------------------------------------------------- against PyTorch


@pytest.mark.parametrize("kind", ["max", "avg"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("X_shape, size, stride", CASES, ids=IDS)
@pytest.mark.parametrize("data", ["random", "ties"])
def test_matches_torch(X_shape, size, stride, dtype, kind, data):
    torch = pytest.importorskip("torch")
    t_pool = {"max": torch.nn.functional.max_pool2d, "avg": torch.nn.functional.avg_pool2d}[kind]
    forward, backward, _, _ = POOLS[kind]
    rng = np.random.default_rng(7)
    X = (rng.standard_normal(X_shape) if data == "random" else ties(X_shape, 8)).astype(dtype)
    out, cache = forward(X, size, stride)
    dout = rng.standard_normal(out.shape).astype(dtype)
    dX = backward(dout, cache)

    tX = torch.tensor(X, requires_grad=True)
    t_out = t_pool(tX, size, stride)
    t_out.backward(torch.tensor(dout))
    tol = 1e-10 if dtype == np.float64 else 1e-6
    np.testing.assert_allclose(out, t_out.detach().numpy(), rtol=tol, atol=tol)
    np.testing.assert_allclose(dX, tX.grad.numpy(), rtol=tol, atol=tol)


# ---------------------------------------------------------------- bad input


@pytest.mark.parametrize("forward", [maxpool2d_forward, avgpool2d_forward])
@pytest.mark.parametrize(
    "X_shape, kw, match",
    [
        ((4, 4), {}, r"X must be a 4-D array \(N, C, H, W\)"),
        ((1, 1, 4, 4), {"size": 5}, r"size \(kH, kW\)=\(5, 5\) does not fit in the input"),
        ((1, 1, 4, 4), {"size": (2, 5)}, r"size .* does not fit in the input \(H, W\)=\(4, 4\)"),
        ((1, 1, 4, 4), {"size": 0}, r"size must be a positive integer"),
        ((1, 1, 4, 4), {"size": 2.0}, r"size must be an integer"),
        ((1, 1, 4, 4), {"stride": 0}, r"stride must be a positive integer"),
        ((1, 1, 4, 4), {"stride": -1}, r"stride must be a positive integer"),
    ],
)
def test_bad_input_raises_value_error_naming_the_argument(forward, X_shape, kw, match):
    with pytest.raises(ValueError, match=match):
        forward(np.ones(X_shape), **kw)


@pytest.mark.parametrize("kind", ["max", "avg"])
def test_backward_rejects_dout_of_wrong_shape(kind):
    forward, backward, _, _ = POOLS[kind]
    _, cache = forward(np.ones((1, 2, 4, 4)))
    with pytest.raises(ValueError, match=r"dout must have the shape of out"):
        backward(np.ones((1, 2, 4, 4)), cache)
