"""im2col / col2im and the convolution layer against loops, finite differences and PyTorch."""

import numpy as np
import pytest
from loop_oracles import (
    conv2d_backward_loop,
    conv2d_forward_loop,
    im2col_loop,
    numeric_grad,
    rel_error,
)

from cnnkit.conv import conv2d_backward, conv2d_forward
from cnnkit.im2col import col2im, im2col

# (X shape (N, C, H, W), W shape (C_out, C_in, kH, kW), stride, pad)
CASES = [
    ((2, 3, 7, 7), (4, 3, 3, 3), 1, 0),
    ((1, 1, 5, 5), (1, 1, 3, 3), 2, 0),  # C = 1, stride 2
    ((3, 2, 7, 5), (2, 2, 3, 2), (2, 1), 1),  # non-square input and kernel, stride pair
    ((2, 3, 6, 8), (5, 3, 3, 3), 2, (1, 2)),  # pad pair, even size with stride 2
    ((2, 2, 4, 4), (3, 2, 4, 4), 1, 0),  # kernel = input: 1x1 output
    ((1, 1, 3, 3), (2, 1, 5, 5), 1, 1),  # kernel = padded input
    ((2, 2, 9, 9), (2, 2, 3, 3), 3, 0),  # non-overlapping windows
    ((2, 4, 5, 6), (3, 4, 1, 1), 1, 0),  # 1x1 convolution
    ((2, 2, 7, 7), (3, 2, 3, 3), 2, 2),  # padding larger than half the kernel
    ((1, 1, 12, 12), (6, 1, 5, 5), 1, 0),  # LeNet C1 shape, smaller image
]
IDS = [f"X{x}-W{w}-s{s}-p{p}" for x, w, s, p in CASES]


def make(X_shape, W_shape, dtype=np.float64, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal(X_shape).astype(dtype)
    W = rng.standard_normal(W_shape).astype(dtype)
    b = rng.standard_normal(W_shape[0]).astype(dtype)
    return X, W, b


def out_shape(X_shape, W_shape, stride, pad):
    (sH, sW), (pH, pW) = [(v, v) if isinstance(v, int) else v for v in (stride, pad)]
    H, W = X_shape[2:]
    kH, kW = W_shape[2:]
    return (X_shape[0], W_shape[0], (H + 2 * pH - kH) // sH + 1, (W + 2 * pW - kW) // sW + 1)


# ---------------------------------------------------------------- worked examples (syllabus)

EXAMPLE_X = np.array([[1, 2, 3, 0], [0, 1, 2, 3], [3, 0, 1, 2], [2, 3, 0, 1]], dtype=float)
EXAMPLE_K = np.array([[2, 0, 1], [0, 1, 2], [1, 0, 2]], dtype=float)


def test_worked_example_cross_correlation():
    out, _ = conv2d_forward(EXAMPLE_X[None, None], EXAMPLE_K[None, None], [0.0])
    np.testing.assert_array_equal(out[0, 0], [[15, 16], [6, 15]])


def test_worked_example_zero_padding():
    out, _ = conv2d_forward(EXAMPLE_X[None, None], EXAMPLE_K[None, None], [0.0], pad=1)
    expected = [[7, 12, 10, 2], [4, 15, 16, 10], [10, 6, 15, 6], [8, 10, 4, 3]]
    np.testing.assert_array_equal(out[0, 0], expected)


def test_worked_example_padding_with_ones():
    Xp = np.pad(EXAMPLE_X, 1, constant_values=1)
    out, _ = conv2d_forward(Xp[None, None], EXAMPLE_K[None, None], [0.0])
    expected = [[11, 15, 13, 9], [7, 15, 16, 15], [13, 6, 15, 11], [13, 13, 7, 9]]
    np.testing.assert_array_equal(out[0, 0], expected)


def test_bias_is_added_per_output_channel():
    X = np.zeros((1, 1, 3, 3))
    W = np.zeros((2, 1, 2, 2))
    out, _ = conv2d_forward(X, W, [1.5, -2.0])
    np.testing.assert_array_equal(out[0, 0], np.full((2, 2), 1.5))
    np.testing.assert_array_equal(out[0, 1], np.full((2, 2), -2.0))


# ---------------------------------------------------------------- im2col / col2im


@pytest.mark.parametrize("X_shape, W_shape, stride, pad", CASES, ids=IDS)
def test_im2col_matches_documented_layout(X_shape, W_shape, stride, pad):
    X, _, _ = make(X_shape, W_shape)
    kH, kW = W_shape[2:]
    np.testing.assert_array_equal(
        im2col(X, kH, kW, stride, pad), im2col_loop(X, kH, kW, stride, pad)
    )


@pytest.mark.parametrize("X_shape, W_shape, stride, pad", CASES, ids=IDS)
def test_col2im_is_the_adjoint_of_im2col(X_shape, W_shape, stride, pad):
    # <im2col(X), C> = <X, col2im(C)> for all X, C defines the adjoint.
    rng = np.random.default_rng(1)
    kH, kW = W_shape[2:]
    X = rng.standard_normal(X_shape)
    cols_shape = im2col_loop(X, kH, kW, stride, pad).shape
    C = rng.standard_normal(cols_shape)
    lhs = np.sum(im2col(X, kH, kW, stride, pad) * C)
    rhs = np.sum(X * col2im(C, X_shape, kH, kW, stride, pad))
    assert lhs == pytest.approx(rhs, rel=1e-12)


def test_col2im_of_ones_counts_covering_windows():
    # 3x3 input, 2x2 windows, stride 1: corners in 1 window, edges in 2, centre in 4.
    cols = np.ones((4, 4))
    np.testing.assert_array_equal(
        col2im(cols, (1, 1, 3, 3), 2, 2)[0, 0], [[1, 2, 1], [2, 4, 2], [1, 2, 1]]
    )


def test_col2im_drops_padding():
    # 2x2 input padded by 1, 3x3 kernel: every real pixel lies in all 4 windows.
    cols = np.ones((9, 4))
    np.testing.assert_array_equal(col2im(cols, (1, 1, 2, 2), 3, 3, pad=1)[0, 0], np.full((2, 2), 4))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_im2col_col2im_keep_dtype(dtype):
    X = np.ones((2, 3, 5, 5), dtype=dtype)
    cols = im2col(X, 3, 3, 1, 1)
    assert cols.dtype == dtype
    assert col2im(cols, X.shape, 3, 3, 1, 1).dtype == dtype


# ---------------------------------------------------------------- forward and backward vs loops


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("X_shape, W_shape, stride, pad", CASES, ids=IDS)
def test_forward_matches_loop_oracle(X_shape, W_shape, stride, pad, dtype):
    X, W, b = make(X_shape, W_shape, dtype)
    out, _ = conv2d_forward(X, W, b, stride, pad)
    assert out.shape == out_shape(X_shape, W_shape, stride, pad)
    assert out.dtype == dtype
    tol = 1e-12 if dtype == np.float64 else 1e-5
    np.testing.assert_allclose(out, conv2d_forward_loop(X, W, b, stride, pad), rtol=tol, atol=tol)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("X_shape, W_shape, stride, pad", CASES, ids=IDS)
def test_backward_matches_loop_oracle(X_shape, W_shape, stride, pad, dtype):
    X, W, b = make(X_shape, W_shape, dtype)
    out, cache = conv2d_forward(X, W, b, stride, pad)
    dout = np.random.default_rng(2).standard_normal(out.shape).astype(dtype)
    dX, dW, db = conv2d_backward(dout, cache)
    assert (dX.dtype, dW.dtype, db.dtype) == (dtype, dtype, dtype)
    eX, eW, eb = conv2d_backward_loop(dout, X, W, stride, pad)
    tol = 1e-12 if dtype == np.float64 else 1e-5
    np.testing.assert_allclose(dX, eX, rtol=tol, atol=tol)
    np.testing.assert_allclose(dW, eW, rtol=tol, atol=tol)
    np.testing.assert_allclose(db, eb, rtol=tol, atol=tol)


GRAD_CASES = [CASES[0], CASES[2], CASES[3], CASES[5]]


@pytest.mark.parametrize(
    "X_shape, W_shape, stride, pad", GRAD_CASES, ids=[f"X{c[0]}-W{c[1]}" for c in GRAD_CASES]
)
def test_backward_matches_finite_differences(X_shape, W_shape, stride, pad):
    X, W, b = make(X_shape, W_shape, seed=3)
    out, cache = conv2d_forward(X, W, b, stride, pad)
    dout = np.random.default_rng(4).standard_normal(out.shape)
    dX, dW, db = conv2d_backward(dout, cache)

    def loss():  # L = sum(out * dout), so dL/dout = dout
        return float(np.sum(conv2d_forward(X, W, b, stride, pad)[0] * dout))

    assert rel_error(dX, numeric_grad(loss, X)) < 1e-7
    assert rel_error(dW, numeric_grad(loss, W)) < 1e-7
    assert rel_error(db, numeric_grad(loss, b)) < 1e-7


# ---------------------------------------------------------------- blocks, buffers, need_dX

# Batches that the layer splits into several blocks of images (the last one partial),
# each block going through the same reused work arrays.
BLOCK_CASES = [
    ((5, 2, 7, 7), (3, 2, 3, 3), 1, 0),  # wide columns
    ((5, 2, 7, 6), (3, 2, 3, 2), 1, (1, 2)),  # wide columns, padding
    ((5, 2, 7, 7), (3, 2, 3, 3), (2, 1), 1),  # strided
    ((5, 3, 4, 4), (2, 3, 1, 1), 1, 0),  # 1x1: no columns
]


@pytest.mark.parametrize("images_per_block", [1, 2])
@pytest.mark.parametrize("X_shape, W_shape, stride, pad", BLOCK_CASES)
def test_blocks_match_loop_oracle(monkeypatch, X_shape, W_shape, stride, pad, images_per_block):
    import cnnkit.conv

    def blocks(N, per_image_bytes, factor=1):
        n = images_per_block
        return [(n0, min(n, N - n0)) for n0 in range(0, N, n)], n

    monkeypatch.setattr(cnnkit.conv, "_blocks", blocks)
    X, W, b = make(X_shape, W_shape)
    out, cache = conv2d_forward(X, W, b, stride, pad)
    np.testing.assert_allclose(out, conv2d_forward_loop(X, W, b, stride, pad), rtol=0, atol=1e-12)
    dout = np.random.default_rng(2).standard_normal(out.shape)
    expected = conv2d_backward_loop(dout, X, W, stride, pad)
    for got, want in zip(conv2d_backward(dout, cache), expected, strict=True):
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-12)


def test_need_dX_false_skips_dX_only():
    X, W, b = make((3, 2, 6, 6), (4, 2, 3, 3))
    out, cache = conv2d_forward(X, W, b, 1, 1)
    dout = np.random.default_rng(2).standard_normal(out.shape)
    dX, dW, db = conv2d_backward(dout, cache, need_dX=False)
    assert dX is None
    _, dW_full, db_full = conv2d_backward(dout, cache)
    np.testing.assert_array_equal(dW, dW_full)
    np.testing.assert_array_equal(db, db_full)


@pytest.mark.parametrize("X_shape, W_shape, stride, pad", BLOCK_CASES)
def test_reused_buffers_do_not_alias_results_across_calls(X_shape, W_shape, stride, pad):
    # The work arrays are shared between calls: results and caches must not be.
    X1, W, b = make(X_shape, W_shape, seed=1)
    X2, _, _ = make(X_shape, W_shape, seed=2)
    out1, cache1 = conv2d_forward(X1, W, b, stride, pad)
    kept = out1.copy()
    dout = np.random.default_rng(3).standard_normal(out1.shape)
    grads1 = conv2d_backward(dout, cache1)
    kept_grads = [g.copy() for g in grads1]
    out2, cache2 = conv2d_forward(X2, W, b, stride, pad)
    grads2 = conv2d_backward(-dout, cache2)
    np.testing.assert_array_equal(out1, kept)
    for g, k in zip(grads1, kept_grads, strict=True):
        np.testing.assert_array_equal(g, k)
    assert not any(np.shares_memory(a, c) for a in (out1, *grads1) for c in (out2, *grads2))
    # A cache stays valid after another forward pass on other data.
    for g, k in zip(conv2d_backward(dout, cache1), kept_grads, strict=True):
        np.testing.assert_array_equal(g, k)


@pytest.mark.parametrize(
    "X_shape, W_shape, stride, pad",
    [
        ((40, 1, 32, 32), (6, 1, 5, 5), 1, 0),  # LeNet C1, several blocks
        ((40, 6, 14, 14), (16, 6, 5, 5), 1, 0),  # LeNet C3
        ((4, 16, 16, 16), (8, 16, 3, 3), 2, 1),  # strided
        ((6, 32, 12, 12), (8, 32, 1, 1), 1, 0),  # 1x1
    ],
)
def test_large_batches_match_torch_in_float64(X_shape, W_shape, stride, pad):
    torch = pytest.importorskip("torch")
    X, W, b = make(X_shape, W_shape)
    out, cache = conv2d_forward(X, W, b, stride, pad)
    dout = np.random.default_rng(5).standard_normal(out.shape)
    dX, dW, db = conv2d_backward(dout, cache)
    tX, tW, tb = (torch.tensor(a, requires_grad=True) for a in (X, W, b))
    t_out = torch.nn.functional.conv2d(tX, tW, tb, stride=stride, padding=pad)
    t_out.backward(torch.tensor(dout))
    for mine, theirs in [(out, t_out), (dX, tX.grad), (dW, tW.grad), (db, tb.grad)]:
        np.testing.assert_allclose(mine, theirs.detach().numpy(), rtol=1e-10, atol=1e-10)


def test_mixed_dtypes_follow_X_and_return_param_dtypes():
    X, W, b = make((2, 2, 5, 5), (3, 2, 3, 3))
    X32 = X.astype(np.float32)
    out, cache = conv2d_forward(X32, W, b)  # float64 W, b with float32 data
    assert out.dtype == np.float32
    _, dW, db = conv2d_backward(np.ones_like(out), cache)
    assert dW.dtype == np.float64 and db.dtype == np.float64


def test_integer_input_is_computed_in_float():
    out, _ = conv2d_forward(EXAMPLE_X.astype(int)[None, None], EXAMPLE_K[None, None], [0])
    assert out.dtype == np.float64
    np.testing.assert_array_equal(out[0, 0], [[15, 16], [6, 15]])


# ---------------------------------------------------------------- against PyTorch


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("X_shape, W_shape, stride, pad", CASES, ids=IDS)
def test_matches_torch(X_shape, W_shape, stride, pad, dtype):
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    X, W, b = make(X_shape, W_shape, dtype)
    out, cache = conv2d_forward(X, W, b, stride, pad)
    dout = np.random.default_rng(5).standard_normal(out.shape).astype(dtype)
    dX, dW, db = conv2d_backward(dout, cache)

    tX, tW, tb = (torch.tensor(a, requires_grad=True) for a in (X, W, b))
    t_out = F.conv2d(tX, tW, tb, stride=stride, padding=pad)
    t_out.backward(torch.tensor(dout))
    tol = 1e-12 if dtype == np.float64 else 1e-5
    for mine, theirs in [(out, t_out), (dX, tX.grad), (dW, tW.grad), (db, tb.grad)]:
        np.testing.assert_allclose(mine, theirs.detach().numpy(), rtol=tol, atol=tol)


# ---------------------------------------------------------------- bad input


def _conv(X_shape=(2, 3, 8, 8), W_shape=(4, 3, 3, 3), b_shape=(4,), **kw):
    return lambda: conv2d_forward(np.ones(X_shape), np.ones(W_shape), np.ones(b_shape), **kw)


@pytest.mark.parametrize(
    "call, match",
    [
        (_conv(X_shape=(3, 8, 8)), r"X must be a 4-D array \(N, C, H, W\)"),
        (_conv(W_shape=(4, 3, 3)), r"W must be a 4-D array \(C_out, C_in, kH, kW\)"),
        (_conv(W_shape=(4, 2, 3, 3)), r"W must have C_in equal to the C=3 channels of X"),
        (_conv(b_shape=(3,)), r"b must have shape \(C_out,\)=\(4,\)"),
        (_conv(b_shape=(4, 1)), r"b must be a 1-D array"),
        (_conv(W_shape=(4, 3, 9, 3)), r"kernel .* larger than the padded input"),
        (_conv(W_shape=(4, 3, 11, 3), pad=1), r"kernel .* larger than the padded input"),
        (_conv(stride=0), r"stride must be a positive integer"),
        (_conv(stride=1.5), r"stride must be an integer"),
        (_conv(stride=(1, 2, 3)), r"stride must be an integer or a pair"),
        (_conv(pad=-1), r"pad must be a non-negative integer"),
        (_conv(pad=1.0), r"pad must be an integer"),
        (lambda: im2col(np.ones((3, 8, 8)), 3, 3), r"X must be a 4-D array"),
        (lambda: im2col(np.ones((1, 1, 4, 4)), 5, 3), r"kernel .* larger than the padded input"),
        (lambda: im2col(np.ones((1, 1, 4, 4)), 0, 3), r"kH must be a positive integer"),
        (lambda: col2im(np.ones((9, 5)), (1, 1, 4, 4), 3, 3), r"cols must have shape"),
        (lambda: col2im(np.ones((9, 4)), (1, 4, 4), 3, 3), r"X_shape must be a tuple"),
    ],
)
def test_bad_input_raises_value_error_naming_the_argument(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_backward_rejects_dout_of_wrong_shape():
    _, cache = conv2d_forward(np.ones((2, 3, 8, 8)), np.ones((4, 3, 3, 3)), np.ones(4))
    with pytest.raises(ValueError, match=r"dout must have the shape of out"):
        conv2d_backward(np.ones((2, 4, 5, 6)), cache)


def test_conv2d_layer_need_dX_false_returns_none_and_same_grads():
    from cnnkit.modules import Conv2d

    X = np.random.default_rng(0).standard_normal((2, 1, 8, 8))
    full = Conv2d(1, 3, 3, rng=1, dtype=np.float64)
    first = Conv2d(1, 3, 3, rng=1, dtype=np.float64, need_dX=False)
    dout = np.ones_like(full(X))
    first(X)
    assert first.backward(dout) is None
    assert full.backward(dout).shape == X.shape
    for key in ("W", "b"):
        np.testing.assert_array_equal(first.grads[key], full.grads[key])
    assert "need_dX=False" in repr(first)
