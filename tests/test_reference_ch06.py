"""Chapter 6 reference answers against independent oracles.

Oracles: plain loops written straight from the definitions (below), PyTorch where it is
installed, ``cnnkit.summary`` for the counts, and the worked examples of the course text
(SYLLABUS section 6) as literal values.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from autograder.reference import ch06_one_by_one as ref

# --------------------------------------------------------------------------- loop oracles


def _pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


def _pad(X, pad):
    pH, pW = _pair(pad)
    return np.pad(np.asarray(X, dtype=np.float64), ((0, 0), (0, 0), (pH, pH), (pW, pW)))


def conv_loop(X, W, b, stride=1, pad=0):
    """out[n, o, y, x] = b[o] + sum_{c,i,j} W[o, c, i, j] * Xp[n, c, y*sH + i, x*sW + j]."""
    sH, sW = _pair(stride)
    Xp = _pad(X, pad)
    N, C, Hp, Wp = Xp.shape
    C_out, _, kH, kW = W.shape
    Ho, Wo = (Hp - kH) // sH + 1, (Wp - kW) // sW + 1
    out = np.zeros((N, C_out, Ho, Wo))
    for n, o, y, x in itertools.product(range(N), range(C_out), range(Ho), range(Wo)):
        total = float(b[o])
        for c, i, j in itertools.product(range(C), range(kH), range(kW)):
            total += W[o, c, i, j] * Xp[n, c, y * sH + i, x * sW + j]
        out[n, o, y, x] = total
    return out


def conv1x1_loop(X, W, b):
    """out[n, o, y, x] = b[o] + sum_c W[o, c] X[n, c, y, x], one pixel at a time."""
    N, C, H, Wd = X.shape
    out = np.zeros((N, W.shape[0], H, Wd))
    for n, y, x in itertools.product(range(N), range(H), range(Wd)):
        pixel = X[n, :, y, x]
        for o in range(W.shape[0]):
            out[n, o, y, x] = b[o] + sum(W[o, c, 0, 0] * pixel[c] for c in range(C))
    return out


def depthwise_loop(X, K, b, stride=1, pad=0):
    """out[n, c, y, x] = b[c] + sum_{i,j} K[c, i, j] * Xp[n, c, y*sH + i, x*sW + j]."""
    sH, sW = _pair(stride)
    Xp = _pad(X, pad)
    N, C, Hp, Wp = Xp.shape
    _, kH, kW = K.shape
    Ho, Wo = (Hp - kH) // sH + 1, (Wp - kW) // sW + 1
    out = np.zeros((N, C, Ho, Wo))
    for n, c, y, x in itertools.product(range(N), range(C), range(Ho), range(Wo)):
        total = float(b[c])
        for i, j in itertools.product(range(kH), range(kW)):
            total += K[c, i, j] * Xp[n, c, y * sH + i, x * sW + j]
        out[n, c, y, x] = total
    return out


def relu(Z):
    return np.where(Z > 0, Z, 0.0)


def block_loop(X, W1, b1, W2, b2, W3, b3, Ws=None, bs=None, stride=1):
    Z = relu(conv_loop(X, W1, b1))
    Z = relu(conv_loop(Z, W2, b2, stride=stride, pad=1))
    Z = conv_loop(Z, W3, b3)
    S = X if Ws is None else conv_loop(X, Ws, bs, stride=stride)
    return relu(Z + S)


def count_mults_by_enumeration(input_shape, C_out, kernel, stride=1, pad=0):
    """Count the multiplications of a convolution by walking over every output and tap."""
    C_in, H, W = input_shape
    kH, kW = _pair(kernel)
    sH, sW = _pair(stride)
    pH, pW = _pair(pad)
    Ho = len(range(0, H + 2 * pH - kH + 1, sH))
    Wo = len(range(0, W + 2 * pW - kW + 1, sW))
    per_output = sum(1 for _ in itertools.product(range(C_in), range(kH), range(kW)))
    return (C_out, Ho, Wo), C_out * Ho * Wo * per_output


def rng_ints(rng, shape):
    return rng.integers(-4, 5, size=shape).astype(float)


# --------------------------------------------------------------------------- conv1x1

SHAPES_1X1 = [((2, 3, 4, 5), 6), ((3, 1, 5, 2), 4), ((2, 4, 3, 7), 1), ((1, 5, 1, 1), 5)]


@pytest.mark.parametrize(("x_shape", "C_out"), SHAPES_1X1)
def test_conv1x1_matches_loop_and_general_conv(x_shape, C_out):
    rng = np.random.default_rng(1)
    X = rng.standard_normal(x_shape)
    W = rng.standard_normal((C_out, x_shape[1], 1, 1))
    b = rng.standard_normal(C_out)
    got = ref.conv1x1(X, W, b)
    np.testing.assert_allclose(got, conv1x1_loop(X, W, b), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(got, conv_loop(X, W, b), rtol=1e-12, atol=1e-12)


def test_conv1x1_worked_example():
    X = np.array([[[[1, 2], [3, 4]], [[0, 1], [1, 0]], [[2, 0], [0, 2]]]], dtype=float)
    W = np.array([[1, 0, -1], [0.5, 0.5, 0]]).reshape(2, 3, 1, 1)
    got = ref.conv1x1(X, W, np.array([0.0, 1.0]))
    np.testing.assert_array_equal(got, [[[[-1, 2], [3, 2]], [[1.5, 2.5], [3, 3]]]])


@pytest.mark.parametrize(
    ("X", "W", "b"),
    [
        (np.ones((2, 3, 4, 4)), np.ones((2, 3, 3, 3)), np.ones(2)),
        (np.ones((2, 3, 4, 4)), np.ones((2, 4, 1, 1)), np.ones(2)),
        (np.ones((2, 3, 4, 4)), np.ones((2, 3, 1, 1)), np.ones(3)),
        (np.ones((3, 4, 4)), np.ones((2, 3, 1, 1)), np.ones(2)),
    ],
)
def test_conv1x1_rejects_bad_shapes(X, W, b):
    with pytest.raises(ValueError):
        ref.conv1x1(X, W, b)


def test_conv1x1_matches_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(2)
    X, W, b = (
        rng.standard_normal((3, 6, 5, 7)),
        rng.standard_normal((4, 6, 1, 1)),
        rng.standard_normal(4),
    )
    want = torch.nn.functional.conv2d(torch.from_numpy(X), torch.from_numpy(W), torch.from_numpy(b))
    np.testing.assert_allclose(ref.conv1x1(X, W, b), want.numpy(), rtol=1e-12, atol=1e-12)


# --------------------------------------------------------------------------- helper conv2d


@pytest.mark.parametrize(
    ("x_shape", "w_shape", "stride", "pad"),
    [
        ((2, 3, 6, 5), (4, 3, 3, 3), 1, 1),
        ((1, 2, 7, 8), (3, 2, 3, 2), 2, (1, 0)),
        ((2, 1, 4, 4), (2, 1, 4, 4), 1, 0),
    ],
)
def test_reference_conv2d_matches_loop(x_shape, w_shape, stride, pad):
    rng = np.random.default_rng(3)
    X, W, b = (
        rng.standard_normal(x_shape),
        rng.standard_normal(w_shape),
        rng.standard_normal(w_shape[0]),
    )
    np.testing.assert_allclose(
        ref.conv2d(X, W, b, stride, pad), conv_loop(X, W, b, stride, pad), rtol=1e-12, atol=1e-12
    )


# --------------------------------------------------------------------------- conv_cost


def test_conv_cost_syllabus_examples():
    # 100x100x256 input, 256 filters of 3x3, same padding
    assert ref.conv_cost((256, 100, 100), 256, 3, pad=1) == (
        (256, 100, 100),
        590_080,
        5_898_240_000,
    )
    assert 100 * 100 * 256 * 3 * 3 * 256 == 5_898_240_000
    # the 1x1 reduction to 64 channels
    assert ref.conv_cost((256, 100, 100), 64, 1) == ((64, 100, 100), 16_448, 163_840_000)
    # chapter 2: 32x32x3 input, six 5x5 filters -> 28x28x6, 456 parameters
    assert ref.conv_cost((3, 32, 32), 6, 5) == ((6, 28, 28), 456, 352_800)
    assert ref.conv_cost((64, 100, 100), 256, 3, pad=1, bias=False) == (
        (256, 100, 100),
        147_456,
        1_474_560_000,
    )


def test_conv_cost_matches_enumeration_and_summary():
    from cnnkit.summary import Conv, summarize

    rng = np.random.default_rng(4)
    kernels = [1, 3, 5, 2, (1, 3), (3, 1), (5, 3), (1, 7)]
    checked = 0
    while checked < 60:
        C_in, C_out = (int(v) for v in rng.integers(1, 300, 2))
        H, W = (int(v) for v in rng.integers(1, 40, 2))
        kernel = kernels[int(rng.integers(len(kernels)))]
        stride = (int(rng.integers(1, 4)), int(rng.integers(1, 4)))
        pad = int(rng.integers(0, 3))
        bias = bool(rng.integers(2))
        kH, kW = _pair(kernel)
        if kH > H + 2 * pad or kW > W + 2 * pad:
            continue
        shape, params, mults = ref.conv_cost((C_in, H, W), C_out, kernel, stride, pad, bias)
        want_shape, want_mults = count_mults_by_enumeration(
            (C_in, H, W), C_out, kernel, stride, pad
        )
        assert (shape, mults) == (want_shape, want_mults)
        assert params == C_out * C_in * kH * kW + (C_out if bias else 0)
        (row,) = summarize(
            [Conv(C_out, kernel, stride=stride, pad=pad, bias=bias)], (C_in, H, W)
        ).rows
        assert (row.output_shape, row.params, row.macs) == (shape, params, mults)
        checked += 1


@pytest.mark.parametrize(
    ("args", "kwargs"),
    [
        (((3, 4, 4), 2, 5), {}),
        (((3, 4, 4), 0, 3), {}),
        (((3, 8, 8), 2, 3), {"pad": -1}),
        (((3, 8, 8), 2, 3), {"stride": 0}),
        (((8, 8), 2, 3), {}),
        (((3, 8, 8), 2, 2.5), {}),
    ],
)
def test_conv_cost_rejects_bad_input(args, kwargs):
    with pytest.raises(ValueError):
        ref.conv_cost(*args, **kwargs)


# --------------------------------------------------------------------------- bottleneck


def test_bottleneck_cost_syllabus_example():
    direct, reduced, d_values, r_values = ref.bottleneck_cost((256, 100, 100), 64, 256, 3)
    assert direct == 100 * 100 * 256 * 3 * 3 * 256 == 5_898_240_000
    assert reduced == 100 * 100 * 256 * 64 + 100 * 100 * 64 * 3 * 3 * 256 == 1_638_400_000
    assert d_values == 256 * 100 * 100 == 2_560_000
    assert r_values == 64 * 100 * 100 + 256 * 100 * 100 == 3_200_000


@pytest.mark.parametrize(
    ("input_shape", "C_mid", "C_out", "k"),
    [
        ((256, 100, 100), 64, 256, 3),
        ((192, 28, 28), 16, 32, 5),
        ((3, 9, 13), 2, 5, 1),
        ((64, 13, 31), 32, 64, 7),
    ],
)
def test_bottleneck_cost_matches_summary(input_shape, C_mid, C_out, k):
    from cnnkit.summary import bottleneck_comparison

    direct, reduced = bottleneck_comparison(input_shape, C_out, C_mid, k)
    got = ref.bottleneck_cost(input_shape, C_mid, C_out, k)
    values = (sum(r.output_size for r in direct.rows), sum(r.output_size for r in reduced.rows))
    assert got == (direct.total_macs, reduced.total_macs, *values)


def test_bottleneck_cost_rejects_even_kernel():
    with pytest.raises(ValueError):
        ref.bottleneck_cost((16, 8, 8), 4, 16, 2)


# --------------------------------------------------------------------------- depthwise

DW_CASES = [
    ((2, 3, 5, 5), (3, 3), 1, 0),
    ((3, 4, 7, 6), (3, 3), 1, 1),
    ((2, 2, 8, 9), (3, 3), 2, 1),
    ((2, 5, 6, 10), (2, 3), 1, 0),
    ((1, 3, 9, 7), (5, 5), 2, 2),
    ((4, 2, 5, 8), (1, 3), (1, 2), (0, 1)),
    ((2, 1, 4, 4), (4, 4), 1, 0),
]


@pytest.mark.parametrize(("x_shape", "kernel", "stride", "pad"), DW_CASES)
def test_depthwise_matches_loop(x_shape, kernel, stride, pad):
    rng = np.random.default_rng(5)
    X = rng.standard_normal(x_shape)
    K = rng.standard_normal((x_shape[1], *kernel))
    b = rng.standard_normal(x_shape[1])
    np.testing.assert_allclose(
        ref.depthwise_conv2d(X, K, b, stride, pad),
        depthwise_loop(X, K, b, stride, pad),
        rtol=1e-12,
        atol=1e-12,
    )


@pytest.mark.parametrize(("x_shape", "kernel", "stride", "pad"), DW_CASES)
def test_depthwise_matches_torch_groups(x_shape, kernel, stride, pad):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(6)
    C = x_shape[1]
    X, K, b = (
        rng.standard_normal(x_shape),
        rng.standard_normal((C, *kernel)),
        rng.standard_normal(C),
    )
    want = torch.nn.functional.conv2d(
        torch.from_numpy(X),
        torch.from_numpy(K[:, None]),
        torch.from_numpy(b),
        stride=stride,
        padding=pad,
        groups=C,
    )
    np.testing.assert_allclose(
        ref.depthwise_conv2d(X, K, b, stride, pad), want.numpy(), rtol=1e-12, atol=1e-12
    )


def test_depthwise_is_a_grouped_conv_and_not_a_full_one():
    rng = np.random.default_rng(7)
    X, K, b = rng_ints(rng, (2, 3, 5, 6)), rng_ints(rng, (3, 3, 3)), rng_ints(rng, 3)
    # A full convolution whose filter o has kernel K[o] on channel o and zeros elsewhere.
    W_full = np.zeros((3, 3, 3, 3))
    for c in range(3):
        W_full[c, c] = K[c]
    np.testing.assert_allclose(ref.depthwise_conv2d(X, K, b), conv_loop(X, W_full, b))
    summed = conv_loop(X, np.repeat(K[:, None], 3, axis=1), b)
    assert not np.allclose(ref.depthwise_conv2d(X, K, b), summed)


def test_depthwise_and_separable_worked_example():
    c0 = [[1, 2, 3, 0, 1], [0, 1, 2, 3, 0], [3, 0, 1, 2, 3], [2, 3, 0, 1, 2], [1, 2, 3, 0, 1]]
    c1 = [[2, 2, 2, 0, 0]] * 5
    c2 = np.zeros((5, 5))
    c2[2, 2] = 4
    X = np.array([[c0, c1, c2]], dtype=float)
    K = np.array(
        [[[2, 0, 1], [0, 1, 2], [1, 0, 2]], [[1, 0, -1]] * 3, [[0, 1, 0], [1, -4, 1], [0, 1, 0]]],
        dtype=float,
    )
    D = ref.depthwise_conv2d(X, K, np.zeros(3))
    np.testing.assert_array_equal(
        D,
        [
            [
                [[15, 16, 17], [6, 15, 16], [17, 6, 15]],
                [[0, 6, 6], [0, 6, 6], [0, 6, 6]],
                [[0, 4, 0], [4, -16, 4], [0, 4, 0]],
            ]
        ],
    )
    # chapter 1's worked example is the top-left corner of channel 0
    np.testing.assert_array_equal(D[0, 0, :2, :2], [[15, 16], [6, 15]])
    W_pw = np.array([[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 1]], dtype=float).reshape(4, 3, 1, 1)
    Y = ref.separable_conv2d(X, K, np.zeros(3), W_pw, np.zeros(4))
    np.testing.assert_array_equal(Y[0, :3], D[0])
    np.testing.assert_array_equal(Y[0, 3], [[15, 26, 23], [10, 5, 26], [17, 16, 21]])


@pytest.mark.parametrize(
    ("X", "K", "b"),
    [
        (np.ones((2, 3, 5, 5)), np.ones((4, 3, 3)), np.ones(4)),
        (np.ones((2, 3, 5, 5)), np.ones((3, 3, 3)), np.ones(2)),
        (np.ones((2, 3, 5, 5)), np.ones((3, 6, 6)), np.ones(3)),
        (np.ones((2, 3, 5, 5)), np.ones((3, 1, 3, 3)), np.ones(3)),
    ],
)
def test_depthwise_rejects_bad_shapes(X, K, b):
    with pytest.raises(ValueError):
        ref.depthwise_conv2d(X, K, b)


@pytest.mark.parametrize(
    ("x_shape", "k", "C_out", "stride", "pad"),
    [((2, 3, 5, 5), 3, 4, 1, 0), ((2, 4, 9, 8), 3, 6, 2, 1)],
)
def test_separable_matches_loops(x_shape, k, C_out, stride, pad):
    rng = np.random.default_rng(8)
    C = x_shape[1]
    X = rng.standard_normal(x_shape)
    K, b_dw = rng.standard_normal((C, k, k)), rng.standard_normal(C)
    W_pw, b_pw = rng.standard_normal((C_out, C, 1, 1)), rng.standard_normal(C_out)
    want = conv1x1_loop(depthwise_loop(X, K, b_dw, stride, pad), W_pw, b_pw)
    np.testing.assert_allclose(
        ref.separable_conv2d(X, K, b_dw, W_pw, b_pw, stride, pad), want, rtol=1e-12, atol=1e-12
    )


def test_separable_cost_syllabus_example():
    # 5x5x3, depthwise 3x3 (27 weights, 3 maps of 3x3), pointwise 1x1x3 x4 (12 weights)
    assert ref.separable_cost((3, 5, 5), 4, 3) == (
        108,
        3 * 3 * 4 * 27,
        39,
        3 * 3 * 3 * 9 + 3 * 3 * 4 * 3,
    )
    assert ref.separable_cost((3, 5, 5), 4, 3) == (108, 972, 39, 351)
    assert ref.separable_cost((32, 112, 112), 64, 3, pad=1) == (
        18_432,
        231_211_008,
        2_336,
        29_302_784,
    )


@pytest.mark.parametrize(
    ("input_shape", "C_out", "k", "stride", "pad"),
    [
        ((3, 5, 5), 4, 3, 1, 0),
        ((32, 112, 112), 64, 3, 1, 1),
        ((512, 14, 14), 512, 3, 2, 1),
        ((1, 9, 4), 3, 5, 1, 2),
    ],
)
def test_separable_cost_matches_summary(input_shape, C_out, k, stride, pad):
    from cnnkit.summary import Conv, summarize

    standard = summarize([Conv(C_out, k, stride=stride, pad=pad, bias=False)], input_shape)
    C = input_shape[0]
    separable = summarize(
        [Conv(C, k, stride=stride, pad=pad, groups=C, bias=False), Conv(C_out, 1, bias=False)],
        input_shape,
    )
    want = (
        standard.total_params,
        standard.total_macs,
        separable.total_params,
        separable.total_macs,
    )
    assert ref.separable_cost(input_shape, C_out, k, stride, pad) == want


# --------------------------------------------------------------------------- inception


def test_inception_3a_worked_example():
    shape, mults, naive = ref.inception_cost((192, 28, 28), 64, 96, 128, 16, 32, 32)
    assert shape == (64 + 128 + 32 + 32, 28, 28) == (256, 28, 28)
    branches = [
        28 * 28 * 192 * 64,
        28 * 28 * 192 * 96,
        28 * 28 * 96 * 9 * 128,
        28 * 28 * 192 * 16,
        28 * 28 * 16 * 25 * 32,
        28 * 28 * 192 * 32,
    ]
    assert mults == sum(branches) == 128_049_152
    assert naive == 28 * 28 * (192 * 64 + 192 * 9 * 128 + 192 * 25 * 32) == 303_464_448


@pytest.mark.parametrize(
    ("args", "paper_ops_millions"),
    [
        (((192, 28, 28), 64, 96, 128, 16, 32, 32), 128),
        (((256, 28, 28), 128, 128, 192, 32, 96, 64), 304),
        (((480, 14, 14), 192, 96, 208, 16, 48, 64), 73),
        (((512, 14, 14), 160, 112, 224, 24, 64, 64), 88),
        (((832, 7, 7), 384, 192, 384, 48, 128, 128), 71),
    ],
)
def test_inception_matches_googlenet_table_and_summary(args, paper_ops_millions):
    from cnnkit.summary import Concat, Conv, MaxPool, summarize

    input_shape, c1, c3r, c3, c5r, c5, cp = args
    shape, mults, naive = ref.inception_cost(*args)
    # GoogLeNet paper, Table 1, "ops" (in millions, rounded or truncated: 4a is 73.6 -> 73)
    assert abs(mults / 1e6 - paper_ops_millions) < 1
    module = [
        Concat(
            [
                [Conv(c1, 1)],
                [Conv(c3r, 1), Conv(c3, 3, pad=1)],
                [Conv(c5r, 1), Conv(c5, 5, pad=2)],
                [MaxPool(3, stride=1, pad=1), Conv(cp, 1)],
            ]
        )
    ]
    s = summarize(module, input_shape)
    assert (s.output_shape, s.total_macs) == (shape, mults)
    naive_module = [
        Concat(
            [
                [Conv(c1, 1)],
                [Conv(c3, 3, pad=1)],
                [Conv(c5, 5, pad=2)],
                [MaxPool(3, stride=1, pad=1)],
            ]
        )
    ]
    n = summarize(naive_module, input_shape)
    assert n.total_macs == naive
    assert n.output_shape == (c1 + c3 + c5 + input_shape[0], *input_shape[1:])


# --------------------------------------------------------------------------- residual block


def _block_weights(rng, C_in, C_mid, C_out, projection):
    w = [
        rng_ints(rng, (C_mid, C_in, 1, 1)),
        rng_ints(rng, C_mid),
        rng_ints(rng, (C_mid, C_mid, 3, 3)),
        rng_ints(rng, C_mid),
        rng_ints(rng, (C_out, C_mid, 1, 1)),
        rng_ints(rng, C_out),
    ]
    proj = (
        (rng_ints(rng, (C_out, C_in, 1, 1)), rng_ints(rng, C_out)) if projection else (None, None)
    )
    return w, proj


@pytest.mark.parametrize(
    ("x_shape", "C_mid", "C_out", "projection", "stride"),
    [
        ((2, 4, 5, 6), 2, 4, False, 1),
        ((2, 3, 6, 5), 2, 6, True, 1),
        ((2, 4, 8, 8), 2, 8, True, 2),
        ((3, 1, 7, 5), 3, 4, True, 2),
        ((2, 3, 1, 1), 1, 3, False, 1),
    ],
)
def test_block_matches_loop(x_shape, C_mid, C_out, projection, stride):
    rng = np.random.default_rng(9)
    X = rng_ints(rng, x_shape)
    w, (Ws, bs) = _block_weights(rng, x_shape[1], C_mid, C_out, projection)
    got = ref.bottleneck_block(X, *w, Ws, bs, stride)
    np.testing.assert_allclose(got, block_loop(X, *w, Ws, bs, stride), rtol=1e-12, atol=1e-12)
    assert got.shape == (
        x_shape[0],
        C_out,
        (x_shape[2] - 1) // stride + 1,
        (x_shape[3] - 1) // stride + 1,
    )


def test_block_worked_examples():
    X = np.array(
        [[[[1, -2, 0], [3, 1, -1], [0, 2, -3]], [[-1, 0, 2], [1, -2, 1], [2, 1, 0]]]], dtype=float
    )
    args = (
        np.array([1.0, 1.0]).reshape(1, 2, 1, 1),
        np.array([0.0]),
        np.array([[0, 1, 0], [1, 1, 1], [0, 1, 0]], dtype=float).reshape(1, 1, 3, 3),
        np.array([-1.0]),
        np.array([1.0, -2.0]).reshape(2, 1, 1, 1),
        np.array([0.0, 1.0]),
    )
    want = [[[[4, 0, 1], [8, 7, 0], [8, 6, 0]], [[0, 0, 1], [0, 0, 0], [0, 0, 0]]]]
    np.testing.assert_array_equal(ref.bottleneck_block(X, *args), want)
    np.testing.assert_array_equal(block_loop(X, *args), want)

    X2 = np.array([[[[1, 2, 0, -1], [0, -3, 1, 2], [2, 1, -2, 0], [-1, 0, 3, 1]]]], dtype=float)
    W2 = np.zeros((2, 2, 3, 3))
    W2[0, 0] = [[0, 0, 0], [0, 1, 0], [0, 0, 0]]
    W2[0, 1] = [[1, 0, 0], [0, 0, 0], [0, 0, 1]]
    W2[1, 0] = [[0, 1, 0], [0, 0, 0], [0, 1, 0]]
    W2[1, 1] = [[0, 0, 0], [1, 0, -1], [0, 0, 0]]
    args2 = (
        np.array([1.0, -1.0]).reshape(2, 1, 1, 1),
        np.array([0.0, 1.0]),
        W2,
        np.array([0.0, -1.0]),
        np.array([[1.0, -1.0], [2.0, 1.0]]).reshape(2, 2, 1, 1),
        np.array([0.0, -2.0]),
        np.array([2.0, -1.0]).reshape(2, 1, 1, 1),
        np.array([1.0, 0.0]),
    )
    want2 = [[[[8, 1], [8, 0]], [[7, 0], [2, 10]]]]
    np.testing.assert_array_equal(ref.bottleneck_block(X2, *args2, stride=2), want2)
    np.testing.assert_array_equal(block_loop(X2, *args2, stride=2), want2)


def test_block_matches_torch():
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    rng = np.random.default_rng(10)
    X = rng.standard_normal((2, 8, 7, 6))
    w, (Ws, bs) = _block_weights(rng, 8, 4, 16, True)
    w = [a + rng.standard_normal(np.shape(a)) for a in w]
    t = [torch.from_numpy(np.asarray(a, dtype=float)) for a in (X, *w, Ws, bs)]
    tX, tW1, tb1, tW2, tb2, tW3, tb3, tWs, tbs = t
    Z = F.relu(F.conv2d(tX, tW1, tb1))
    Z = F.relu(F.conv2d(Z, tW2, tb2, stride=2, padding=1))
    Z = F.conv2d(Z, tW3, tb3)
    want = F.relu(Z + F.conv2d(tX, tWs, tbs, stride=2))
    got = ref.bottleneck_block(X, *w, Ws, bs, stride=2)
    np.testing.assert_allclose(got, want.numpy(), rtol=1e-12, atol=1e-12)


def test_block_rejects_identity_that_cannot_be_added():
    rng = np.random.default_rng(11)
    X = np.ones((2, 4, 6, 6))
    w, _ = _block_weights(rng, 4, 2, 8, False)
    with pytest.raises(ValueError):
        ref.bottleneck_block(X, *w)
    w, _ = _block_weights(rng, 4, 2, 4, False)
    with pytest.raises(ValueError):
        ref.bottleneck_block(X, *w, stride=2)


# --------------------------------------------------------------------------- text figures


def test_published_network_sizes_quoted_in_the_chapter():
    from cnnkit.summary import alexnet, lenet5, resnet34, summarize, vgg16

    assert summarize(vgg16(), (3, 224, 224)).total_params == 138_357_544
    r34 = summarize(resnet34(), (3, 224, 224))
    assert round(r34.total_params / 1e6, 1) == 21.8
    assert round(r34.total_macs / 1e9, 1) in (3.6, 3.7)  # 3.66 G; the paper rounds to 3.6
    assert round(summarize(alexnet(), (3, 224, 224)).total_params / 1e6) == 61
    assert 55_000 < summarize(lenet5(), (1, 32, 32)).total_params < 65_000


def test_resnet_design_rule_keeps_the_cost_per_layer():
    costs = {
        ref.conv_cost((C, n, n), C, 3, pad=1, bias=False)[2]
        for C, n in [(64, 56), (128, 28), (256, 14), (512, 7)]
    }
    assert costs == {115_605_504}


def test_bottleneck_block_weight_count_in_text():
    weights = sum(
        ref.conv_cost((c_in, 56, 56), c_out, k, pad=k // 2, bias=False)[1]
        for c_in, c_out, k in [(256, 64, 1), (64, 64, 3), (64, 256, 1)]
    )
    assert weights == 69_632
    assert 2 * ref.conv_cost((256, 56, 56), 256, 3, pad=1, bias=False)[1] == 1_179_648
