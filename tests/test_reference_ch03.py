"""Chapter 3 reference answers against independent oracles.

Oracles: plain loops written here from the definitions, centered finite differences in
float64 (on inputs without ties), PyTorch's max_pool2d/avg_pool2d with autograd
(tie-breaking included) where torch is installed, and the literal worked examples of
the course text.
"""

from __future__ import annotations

import numpy as np
import pytest

from autograder.reference import ch03_pooling as ref

# (N, C, H, W, f, stride); stride None means stride = f.
SHAPES = [
    (1, 1, 4, 4, 2, None),
    (2, 3, 6, 6, 2, 2),
    (2, 3, 7, 5, 2, None),  # non-square, a row and a column no window reaches
    (1, 2, 5, 5, 3, 1),  # overlapping windows
    (2, 1, 7, 6, 3, 2),  # overlapping, stride > 1
    (3, 2, 8, 8, 2, 3),  # stride > f: gaps between windows
    (1, 1, 5, 7, 5, 1),  # window as tall as the input
    (2, 3, 5, 5, 5, None),  # window = input
    (2, 2, 3, 4, 1, 1),  # 1x1 window: identity
    (1, 4, 9, 11, 4, 3),
]
IDS = [f"N{n}C{c}H{h}W{w}-f{f}-s{s}" for n, c, h, w, f, s in SHAPES]


# ----------------------------------------------------------------------------- loops


def out_size_loop(n, f, s):
    """Count the window positions one by one."""
    count, start = 0, 0
    while start + f <= n:
        count += 1
        start += s
    return count


def maxpool_loop(X, f, s):
    """Max of each window and the row-major index of its FIRST maximum (strict >)."""
    N, C, H, W = X.shape
    Ho, Wo = out_size_loop(H, f, s), out_size_loop(W, f, s)
    out = np.zeros((N, C, Ho, Wo))
    max_id = np.zeros((N, C, Ho, Wo), dtype=int)
    for n in range(N):
        for c in range(C):
            for i in range(Ho):
                for j in range(Wo):
                    best, best_id = -np.inf, -1
                    for r in range(f):
                        for q in range(f):
                            v = X[n, c, i * s + r, j * s + q]
                            if v > best:
                                best, best_id = v, r * f + q
                    out[n, c, i, j] = best
                    max_id[n, c, i, j] = best_id
    return out, max_id


def maxpool_backward_loop(dout, X, f, s):
    _, max_id = maxpool_loop(X, f, s)
    dX = np.zeros(X.shape)
    N, C, Ho, Wo = dout.shape
    for n in range(N):
        for c in range(C):
            for i in range(Ho):
                for j in range(Wo):
                    r, q = divmod(int(max_id[n, c, i, j]), f)
                    dX[n, c, i * s + r, j * s + q] += dout[n, c, i, j]
    return dX


def avgpool_loop(X, f, s):
    N, C, H, W = X.shape
    Ho, Wo = out_size_loop(H, f, s), out_size_loop(W, f, s)
    out = np.zeros((N, C, Ho, Wo))
    for n in range(N):
        for c in range(C):
            for i in range(Ho):
                for j in range(Wo):
                    total = 0.0
                    for r in range(f):
                        for q in range(f):
                            total += X[n, c, i * s + r, j * s + q]
                    out[n, c, i, j] = total / (f * f)
    return out


def avgpool_backward_loop(dout, X_shape, f, s):
    dX = np.zeros(X_shape)
    N, C, Ho, Wo = dout.shape
    for n in range(N):
        for c in range(C):
            for i in range(Ho):
                for j in range(Wo):
                    for r in range(f):
                        for q in range(f):
                            dX[n, c, i * s + r, j * s + q] += dout[n, c, i, j] / (f * f)
    return dX


def numeric_grad(fun, X, dout, h=1e-5):
    """Gradient of sum(fun(X) * dout) by centered differences, float64."""
    X = X.astype(np.float64).copy()
    grad = np.zeros_like(X)
    for idx in np.ndindex(X.shape):
        old = X[idx]
        X[idx] = old + h
        plus = np.sum(fun(X) * dout)
        X[idx] = old - h
        minus = np.sum(fun(X) * dout)
        X[idx] = old
        grad[idx] = (plus - minus) / (2 * h)
    return grad


def rel_error(a, b):
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(a) + np.abs(b), 1e-12)))


def distinct(shape, seed):
    """Values at least 0.01 apart: no ties, so finite differences are exact for max."""
    rng = np.random.default_rng(seed)
    return rng.permutation(int(np.prod(shape))).reshape(shape) * 0.01 - 1.0


def tied(shape, seed):
    """Post-ReLU small integers: many windows tie, many are all zero."""
    rng = np.random.default_rng(seed)
    return np.maximum(rng.integers(-3, 4, size=shape), 0).astype(np.float64)


def data(kind, shape, seed):
    rng = np.random.default_rng(seed)
    if kind == "normal":
        return rng.standard_normal(shape)
    if kind == "ints":
        return rng.integers(-4, 5, size=shape).astype(np.float64)
    return tied(shape, seed)


# ------------------------------------------------------------------- output size


@pytest.mark.parametrize("n", [1, 2, 5, 7, 28, 32])
@pytest.mark.parametrize("f", [1, 2, 3, 5])
@pytest.mark.parametrize("s", [None, 1, 2, 3])
def test_output_size_matches_counting(n, f, s):
    if f > n:
        with pytest.raises(ValueError):
            ref.pool_output_size(n, f, s)
        return
    assert ref.pool_output_size(n, f, s) == out_size_loop(n, f, f if s is None else s)


def test_output_size_examples():
    assert ref.pool_output_size(4, 2) == 2
    assert ref.pool_output_size(28, 2, 2) == 14  # LeNet S2: n / s when f = s
    assert ref.pool_output_size(5, 3, 1) == 3
    assert ref.pool_output_size(32, 3, 2) == 15
    assert ref.pool_output_size(7, 2, 2) == 3  # floor: the last row is dropped
    assert ref.pool_output_size(224, 2) == 112


@pytest.mark.parametrize(
    "args", [(3, 4, None), (0, 1, None), (5, 0, None), (5, 2, 0), (5.0, 2, None), (5, 2, 1.5)]
)
def test_output_size_rejects_bad_input(args):
    with pytest.raises(ValueError):
        ref.pool_output_size(*args)


# ----------------------------------------------------------------------- forward


@pytest.mark.parametrize("kind", ["normal", "ints", "tied"])
@pytest.mark.parametrize("N, C, H, W, f, s", SHAPES, ids=IDS)
def test_maxpool_forward_matches_loop(N, C, H, W, f, s, kind):
    X = data(kind, (N, C, H, W), 1)
    out, (X_c, f_c, s_c, max_id) = ref.maxpool_forward(X, f, s)
    want, want_id = maxpool_loop(X, f, f if s is None else s)
    assert (
        out.shape == want.shape == (N, C, out_size_loop(H, f, s or f), out_size_loop(W, f, s or f))
    )
    np.testing.assert_array_equal(out, want)
    np.testing.assert_array_equal(max_id, want_id)
    assert np.issubdtype(max_id.dtype, np.integer)
    np.testing.assert_array_equal(X_c, X)
    assert (f_c, s_c) == (f, f if s is None else s)


@pytest.mark.parametrize("kind", ["normal", "ints"])
@pytest.mark.parametrize("N, C, H, W, f, s", SHAPES, ids=IDS)
def test_avgpool_forward_matches_loop(N, C, H, W, f, s, kind):
    X = data(kind, (N, C, H, W), 2)
    out, cache = ref.avgpool_forward(X, f, s)
    np.testing.assert_allclose(out, avgpool_loop(X, f, f if s is None else s), rtol=1e-13)
    assert cache == ((N, C, H, W), f, f if s is None else s)


def test_pooling_is_per_channel():
    """Changing one channel changes only that channel's output."""
    X = data("normal", (2, 3, 6, 6), 3)
    Y = X.copy()
    Y[:, 1] += 5 * data("normal", (2, 6, 6), 4)
    for forward in (ref.maxpool_forward, ref.avgpool_forward):
        a, b = forward(X, 2)[0], forward(Y, 2)[0]
        np.testing.assert_array_equal(a[:, [0, 2]], b[:, [0, 2]])
        assert not np.allclose(a[:, 1], b[:, 1])


@pytest.mark.parametrize(
    "X, f, s",
    [
        (np.zeros((1, 1, 3, 3)), 4, None),
        (np.zeros((1, 1, 5, 3)), 4, 1),  # too wide
        (np.zeros((3, 4, 4)), 2, None),  # 3-D
        (np.zeros((1, 1, 4, 4)), 0, None),
        (np.zeros((1, 1, 4, 4)), 2, 0),
        (np.zeros((1, 1, 4, 4)), 2.0, None),
    ],
)
def test_forward_rejects_bad_input(X, f, s):
    for forward in (ref.maxpool_forward, ref.avgpool_forward):
        with pytest.raises(ValueError):
            forward(X, f, s)


# ---------------------------------------------------------------------- backward


@pytest.mark.parametrize("kind", ["normal", "ints", "tied"])
@pytest.mark.parametrize("N, C, H, W, f, s", SHAPES, ids=IDS)
def test_maxpool_backward_matches_loop(N, C, H, W, f, s, kind):
    X = data(kind, (N, C, H, W), 5)
    out, cache = ref.maxpool_forward(X, f, s)
    dout = data("normal", out.shape, 6)
    np.testing.assert_allclose(
        ref.maxpool_backward(dout, cache),
        maxpool_backward_loop(dout, X, f, f if s is None else s),
        rtol=1e-13,
        atol=1e-14,
    )


@pytest.mark.parametrize("N, C, H, W, f, s", SHAPES, ids=IDS)
def test_avgpool_backward_matches_loop(N, C, H, W, f, s):
    X = data("normal", (N, C, H, W), 7)
    out, cache = ref.avgpool_forward(X, f, s)
    dout = data("normal", out.shape, 8)
    np.testing.assert_allclose(
        ref.avgpool_backward(dout, cache),
        avgpool_backward_loop(dout, X.shape, f, f if s is None else s),
        rtol=1e-13,
        atol=1e-14,
    )


@pytest.mark.parametrize("pool", ["max", "avg"])
@pytest.mark.parametrize("N, C, H, W, f, s", SHAPES, ids=IDS)
def test_backward_matches_finite_differences(N, C, H, W, f, s, pool):
    forward, backward = {
        "max": (ref.maxpool_forward, ref.maxpool_backward),
        "avg": (ref.avgpool_forward, ref.avgpool_backward),
    }[pool]
    X = distinct((N, C, H, W), 9)
    out, cache = forward(X, f, s)
    dout = data("normal", out.shape, 10)
    numeric = numeric_grad(lambda Z: forward(Z, f, s)[0], X, dout)
    assert rel_error(backward(dout, cache), numeric) < 1e-7


@pytest.mark.parametrize("N, C, H, W, f, s", SHAPES, ids=IDS)
def test_gradient_sums_are_preserved(N, C, H, W, f, s):
    """Each window hands on exactly its own gradient: sum(dX) == sum(dout), ties or not."""
    X = tied((N, C, H, W), 11)
    for forward, backward in (
        (ref.maxpool_forward, ref.maxpool_backward),
        (ref.avgpool_forward, ref.avgpool_backward),
    ):
        out, cache = forward(X, f, s)
        dout = data("normal", out.shape, 12)
        assert np.sum(backward(dout, cache)) == pytest.approx(np.sum(dout), rel=1e-12, abs=1e-12)


def test_max_gradient_goes_to_first_tie():
    X = np.array([[[[0.0, 0.0], [0.0, 0.0]], [[1.0, 3.0], [3.0, 2.0]]]])  # (1, 2, 2, 2)
    out, cache = ref.maxpool_forward(X, 2)
    np.testing.assert_array_equal(cache[3], [[[[0]], [[1]]]])
    dX = ref.maxpool_backward(np.array([[[[5.0]], [[7.0]]]]), cache)
    np.testing.assert_array_equal(dX, [[[[5, 0], [0, 0]], [[0, 7], [0, 0]]]])


def test_backward_rejects_wrong_dout_shape():
    X = data("normal", (1, 2, 4, 4), 13)
    _, cache = ref.maxpool_forward(X, 2)
    with pytest.raises(ValueError):
        ref.maxpool_backward(np.ones((1, 2, 3, 3)), cache)
    _, cache = ref.avgpool_forward(X, 2)
    with pytest.raises(ValueError):
        ref.avgpool_backward(np.ones((1, 2, 2)), cache)


# ------------------------------------------------------------------------ PyTorch


@pytest.mark.parametrize("kind", ["normal", "ints", "tied"])
@pytest.mark.parametrize("N, C, H, W, f, s", SHAPES, ids=IDS)
def test_against_pytorch(N, C, H, W, f, s, kind):
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    X = data(kind, (N, C, H, W), 14)
    stride = f if s is None else s
    out, cache = ref.maxpool_forward(X, f, s)
    dout = data("normal", out.shape, 15)

    Xt = torch.tensor(X, dtype=torch.float64, requires_grad=True)
    out_t, idx_t = F.max_pool2d(Xt, f, stride, return_indices=True)
    out_t.backward(torch.tensor(dout))
    np.testing.assert_array_equal(out, out_t.detach().numpy())
    # torch's indices are flat positions in the (H, W) plane; ours are inside the window.
    n_, c_, i, j = np.indices(out.shape)
    r, q = np.divmod(cache[3], f)
    np.testing.assert_array_equal((i * stride + r) * W + (j * stride + q), idx_t.numpy())
    np.testing.assert_allclose(ref.maxpool_backward(dout, cache), Xt.grad.numpy(), rtol=1e-13)

    Xt = torch.tensor(X, dtype=torch.float64, requires_grad=True)
    avg_t = F.avg_pool2d(Xt, f, stride)
    avg_t.backward(torch.tensor(dout))
    out_a, cache_a = ref.avgpool_forward(X, f, s)
    np.testing.assert_allclose(out_a, avg_t.detach().numpy(), rtol=1e-13, atol=1e-14)
    np.testing.assert_allclose(
        ref.avgpool_backward(dout, cache_a), Xt.grad.numpy(), rtol=1e-13, atol=1e-14
    )


# ------------------------------------------------------------------ worked examples

NG = np.array([[1, 3, 2, 1], [2, 9, 1, 1], [1, 3, 2, 3], [5, 6, 1, 2]], dtype=float)
NG5 = np.array(
    [[1, 3, 2, 1, 3], [2, 9, 1, 1, 5], [1, 3, 2, 3, 2], [8, 3, 5, 1, 0], [5, 6, 1, 2, 9]],
    dtype=float,
)


def test_worked_example_2x2():
    out, cache = ref.maxpool_forward(NG[None, None], 2)
    np.testing.assert_array_equal(out[0, 0], [[9, 2], [6, 3]])
    np.testing.assert_array_equal(cache[3][0, 0], [[3, 0], [3, 1]])
    avg, cache_a = ref.avgpool_forward(NG[None, None], 2)
    np.testing.assert_array_equal(avg[0, 0], [[3.75, 1.25], [3.75, 2]])
    dout = np.array([[[[1.0, 2.0], [3.0, 4.0]]]])
    np.testing.assert_array_equal(
        ref.maxpool_backward(dout, cache)[0, 0],
        [[0, 0, 2, 0], [0, 1, 0, 0], [0, 0, 0, 4], [0, 3, 0, 0]],
    )
    np.testing.assert_array_equal(
        ref.avgpool_backward(dout, cache_a)[0, 0],
        [[0.25, 0.25, 0.5, 0.5], [0.25, 0.25, 0.5, 0.5], [0.75, 0.75, 1, 1], [0.75, 0.75, 1, 1]],
    )


def test_worked_example_overlapping_3x3_stride_1():
    out, cache = ref.maxpool_forward(NG5[None, None], 3, 1)
    np.testing.assert_array_equal(out[0, 0], [[9, 9, 5], [9, 9, 5], [8, 6, 9]])
    dX = ref.maxpool_backward(np.ones((1, 1, 3, 3)), cache)[0, 0]
    np.testing.assert_array_equal(
        dX,
        [[0, 0, 0, 0, 0], [0, 4, 0, 0, 2], [0, 0, 0, 0, 0], [1, 0, 0, 0, 0], [0, 1, 0, 0, 1]],
    )
    _, cache_a = ref.avgpool_forward(np.zeros((1, 1, 3, 3)), 2, 1)
    np.testing.assert_array_equal(
        ref.avgpool_backward(np.ones((1, 1, 2, 2)), cache_a)[0, 0],
        [[0.25, 0.5, 0.25], [0.5, 1, 0.5], [0.25, 0.5, 0.25]],
    )


def test_lenet_subsampling_counts():
    assert ref.subsampling_counts(6, 28, 28) == (12, 5_880)  # S2
    assert ref.subsampling_counts(16, 10, 10) == (32, 2_000)  # S4
    assert ref.subsampling_counts(6, 28, 28) == (6 * (1 + 1), 6 * 14 * 14 * (2 * 2 + 1))
    assert ref.subsampling_counts(3, 6, 8, 2) == (6, 3 * 3 * 4 * 5)
    assert ref.subsampling_counts(4, 9, 9, 3) == (8, 4 * 3 * 3 * 10)
