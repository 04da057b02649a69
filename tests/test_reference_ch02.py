"""Chapter 2 reference answers against plain loops, PyTorch and the worked examples.

The oracles below are written straight from the definitions, one Python loop per
index, so that they are obviously right on small inputs.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from autograder.reference import ch02_padding_stride as ref

X_EXAMPLE = np.array([[1, 2, 3, 0], [0, 1, 2, 3], [3, 0, 1, 2], [2, 3, 0, 1]])
K_EXAMPLE = np.array([[2, 0, 1], [0, 1, 2], [1, 0, 2]])


# ------------------------------------------------------------------------ oracles


def pad_loop(X, pad, value=0.0):
    """Copy every pixel to its padded position; everything else is ``value``."""
    X = np.asarray(X, dtype=float)
    lead = X.shape[:-2]
    H, W = X.shape[-2:]
    out = np.empty(lead + (H + 2 * pad, W + 2 * pad))
    for idx in np.ndindex(out.shape):
        *front, r, c = idx
        inside = pad <= r < pad + H and pad <= c < pad + W
        out[idx] = X[(*front, r - pad, c - pad)] if inside else value
    return out


def positions(n, span, stride):
    """Kernel start positions along one axis of length n (already padded)."""
    starts = []
    t = 0
    while t + span <= n:
        starts.append(t)
        t += stride
    return starts


def size_by_counting(n, k, pad, stride, dilation):
    return len(positions(n + 2 * pad, dilation * (k - 1) + 1, stride))


def corr2d_loop(X, K, stride=1, pad=0):
    Xp = pad_loop(X, pad)
    kH, kW = K.shape
    rows = positions(Xp.shape[0], kH, stride)
    cols = positions(Xp.shape[1], kW, stride)
    out = np.zeros((len(rows), len(cols)))
    for y, top in enumerate(rows):
        for x, left in enumerate(cols):
            total = 0.0
            for i in range(kH):
                for j in range(kW):
                    total += float(K[i, j]) * Xp[top + i, left + j]
            out[y, x] = total
    return out


def conv_loop(X, W, b, stride=1, pad=0):
    Xp = pad_loop(X, pad)
    N, C = X.shape[:2]
    C_out, _, kH, kW = W.shape
    rows = positions(Xp.shape[2], kH, stride)
    cols = positions(Xp.shape[3], kW, stride)
    out = np.zeros((N, C_out, len(rows), len(cols)))
    for n in range(N):
        for o in range(C_out):
            for y, top in enumerate(rows):
                for x, left in enumerate(cols):
                    total = float(b[o])
                    for c in range(C):
                        for i in range(kH):
                            for j in range(kW):
                                total += float(W[o, c, i, j]) * Xp[n, c, top + i, left + j]
                    out[n, o, y, x] = total
    return out


def im2col_loop(X, kH, kW, stride=1, pad=0):
    """One row per window (n, y, x), entries in (c, i, j) order."""
    Xp = pad_loop(X, pad)
    N, C = X.shape[:2]
    rows = positions(Xp.shape[2], kH, stride)
    cols = positions(Xp.shape[3], kW, stride)
    out = []
    for n in range(N):
        for top in rows:
            for left in cols:
                out.append(
                    [
                        Xp[n, c, top + i, left + j]
                        for c in range(C)
                        for i in range(kH)
                        for j in range(kW)
                    ]
                )
    return np.array(out)


# (X shape (N, C, H, W), W shape (C_out, C, kH, kW), stride, pad)
LAYER_CASES = [
    ((2, 3, 5, 5), (4, 3, 3, 3), 1, 1),
    ((1, 1, 5, 5), (1, 1, 3, 3), 2, 0),  # C = 1, stride 2
    ((3, 2, 7, 5), (2, 2, 3, 2), 2, 1),  # non-square input and kernel
    ((2, 3, 6, 8), (5, 3, 3, 3), 3, 2),
    ((2, 2, 4, 4), (3, 2, 4, 4), 1, 0),  # kernel = input
    ((1, 1, 3, 3), (2, 1, 5, 5), 1, 1),  # kernel = padded input
    ((2, 4, 5, 6), (3, 4, 1, 1), 2, 0),  # 1x1 convolution, stride 2
    ((1, 2, 9, 4), (2, 2, 2, 4), 3, 2),
]
LAYER_IDS = [f"X{x}-W{w}-s{s}-p{p}" for x, w, s, p in LAYER_CASES]


def make_layer(X_shape, W_shape, seed=0):
    rng = np.random.default_rng(seed)
    return (
        rng.standard_normal(X_shape),
        rng.standard_normal(W_shape),
        rng.standard_normal(W_shape[0]),
    )


def assert_close(got, want):
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


# ------------------------------------------------------------------------ pad2d


@pytest.mark.parametrize(
    "shape", [(4, 4), (3, 5), (1, 1), (2, 3, 4, 5), (1, 1, 2, 2), (3, 2, 1, 4)]
)
@pytest.mark.parametrize("pad,value", [(0, 0.0), (1, 0.0), (2, 1.0), (3, -2.5)])
def test_pad2d_matches_loops(shape, pad, value):
    X = np.random.default_rng(1).standard_normal(shape)
    assert_close(ref.pad2d(X, pad, value), pad_loop(X, pad, value))


def test_pad2d_worked_example():
    assert ref.pad2d(X_EXAMPLE, 1).tolist() == [
        [0, 0, 0, 0, 0, 0],
        [0, 1, 2, 3, 0, 0],
        [0, 0, 1, 2, 3, 0],
        [0, 3, 0, 1, 2, 0],
        [0, 2, 3, 0, 1, 0],
        [0, 0, 0, 0, 0, 0],
    ]
    assert ref.pad2d(np.ones((2, 3, 4, 5)), 1).shape == (2, 3, 6, 7)


@pytest.mark.parametrize(
    "X,pad", [(np.ones((3, 3)), -1), (np.ones((3, 3)), 1.5), (np.ones((2, 3, 3)), 1)]
)
def test_pad2d_rejects_bad_input(X, pad):
    with pytest.raises(ValueError):
        ref.pad2d(X, pad)


# ------------------------------------------------------------------ output size


@pytest.mark.parametrize("n", [1, 2, 5, 7, 10, 32])
@pytest.mark.parametrize("k", [1, 2, 3, 5])
@pytest.mark.parametrize("pad", [0, 1, 2])
@pytest.mark.parametrize("stride", [1, 2, 3])
@pytest.mark.parametrize("dilation", [1, 2])
def test_output_size_counts_kernel_positions(n, k, pad, stride, dilation):
    span = dilation * (k - 1) + 1
    if span > n + 2 * pad:
        with pytest.raises(ValueError):
            ref.conv_output_size(n, k, pad, stride, dilation)
    else:
        got = ref.conv_output_size(n, k, pad, stride, dilation)
        assert type(got) is int
        assert got == size_by_counting(n, k, pad, stride, dilation)


def test_output_size_worked_examples():
    assert ref.conv_output_size(7, 3, pad=1, stride=2) == 4
    assert ref.conv_output_size(5, 3, stride=2) == 2
    assert ref.conv_output_size(5, 3, stride=1) == 3
    assert ref.conv_output_size(32, 5) == 28
    # same padding p = (k - 1) / 2 keeps the size
    for k, p in [(3, 1), (5, 2), (7, 3)]:
        assert ref.conv_output_size(9, k, pad=p) == 9
    # the misprinted divisor 2 is wrong for stride 1
    assert (5 - 3) // 2 + 1 != ref.conv_output_size(5, 3, stride=1)
    # dilation: a 3x3 kernel with d = 2 spans 5 cells
    assert ref.effective_kernel(3, 2) == 5
    assert ref.conv_output_size(7, 3, dilation=2) == 3


@pytest.mark.parametrize(
    "args,kwargs",
    [
        ((3, 5), {}),
        ((3, 6), {"pad": 1}),
        ((4, 3), {"dilation": 2}),
        ((7, 3), {"stride": 0}),
        ((7, 3), {"stride": -1}),
        ((7, 3), {"pad": -1}),
        ((7, 3), {"dilation": 0}),
        ((0, 1), {}),
        ((7, 0), {}),
        ((7.5, 3), {}),
        ((7, 3.0), {}),
        ((7, 3), {"stride": 1.5}),
        ((7, 3), {"pad": 0.5}),
        ((True, 1), {}),
    ],
)
def test_output_size_rejects_impossible_settings(args, kwargs):
    with pytest.raises(ValueError):
        ref.conv_output_size(*args, **kwargs)


def test_output_size_accepts_numpy_integers():
    assert ref.conv_output_size(np.int64(7), np.int64(3), np.int64(1), np.int64(2)) == 4


@pytest.mark.parametrize("n", [1, 5, 7, 10, 11, 32])
@pytest.mark.parametrize("k", [1, 2, 3, 5])
@pytest.mark.parametrize("s", [1, 2, 3, 4])
def test_tensorflow_same_and_valid(n, k, s):
    # SAME: TensorFlow pads max((m - 1)s + k - n, 0) in total, the odd one at the end.
    m_same = ref.tf_output_size(n, k, s, "SAME")
    assert m_same == -(-n // s)
    total = max((m_same - 1) * s + k - n, 0)
    assert len(positions(n + total, k, s)) == m_same
    # VALID: no padding, the same count as our formula with p = 0
    if k <= n:
        assert ref.tf_output_size(n, k, s, "VALID") == ref.conv_output_size(n, k, 0, s)
        assert ref.tf_output_size(n, k, s, "VALID") == math.ceil((n - k + 1) / s)
    # with stride 1 and an odd kernel, SAME is same padding p = (k - 1)/2
    if s == 1 and k % 2 == 1:
        assert m_same == ref.conv_output_size(n, k, (k - 1) // 2, 1)


def test_understanding_answers_are_right():
    from autograder.hidden import ch02 as hidden

    assert hidden.ANSWERS["q_output_size"] == ref.conv_output_size(32, 5, 2, 2)
    assert hidden.ANSWERS["q_tf_same"] == ref.tf_output_size(10, 3, 3, "SAME")
    assert hidden.ANSWERS["q_tf_valid"] == ref.tf_output_size(10, 3, 3, "VALID")
    assert hidden.ANSWERS["q_params"] == ref.conv_param_count(8, 16, 3)
    # 6x6, k=3, s=2, p=0: columns never under the kernel
    used = set()
    for left in positions(6, 3, 2):
        used.update(range(left, left + 3))
    assert hidden.ANSWERS["q_skipped"] == 6 - len(used)


# ----------------------------------------------------------------------- corr2d


def test_corr2d_worked_examples():
    assert ref.corr2d(X_EXAMPLE, K_EXAMPLE, pad=1).tolist() == [
        [7, 12, 10, 2],
        [4, 15, 16, 10],
        [10, 6, 15, 6],
        [8, 10, 4, 3],
    ]
    ones_padded = np.pad(X_EXAMPLE, 1, constant_values=1)
    assert ref.corr2d(ones_padded, K_EXAMPLE).tolist() == [
        [11, 15, 13, 9],
        [7, 15, 16, 15],
        [13, 6, 15, 11],
        [13, 13, 7, 9],
    ]
    assert ref.corr2d(X_EXAMPLE, K_EXAMPLE).tolist() == [[15, 16], [6, 15]]
    assert ref.corr2d(np.zeros((7, 7)), np.ones((3, 3)), stride=2, pad=1).shape == (4, 4)
    assert ref.corr2d(np.zeros((5, 5)), np.ones((3, 3)), stride=2).shape == (2, 2)
    assert ref.corr2d(np.zeros((5, 5)), np.ones((3, 3)), stride=1).shape == (3, 3)


@pytest.mark.parametrize(
    "shape_x,shape_k,stride,pad",
    [
        ((4, 4), (3, 3), 1, 1),
        ((7, 7), (3, 3), 2, 1),
        ((6, 8), (3, 2), 2, 1),
        ((9, 5), (2, 4), 3, 2),
        ((3, 4), (5, 6), 1, 1),
        ((5, 5), (1, 1), 3, 1),
    ],
)
def test_corr2d_matches_loops(shape_x, shape_k, stride, pad):
    rng = np.random.default_rng(2)
    X, K = rng.standard_normal(shape_x), rng.standard_normal(shape_k)
    assert_close(ref.corr2d(X, K, stride, pad), corr2d_loop(X, K, stride, pad))


# ------------------------------------------------------------------ conv layers


@pytest.mark.parametrize("X_shape,W_shape,stride,pad", LAYER_CASES, ids=LAYER_IDS)
@pytest.mark.parametrize("forward", [ref.conv_forward, ref.conv_forward_im2col])
def test_conv_forward_matches_loops(forward, X_shape, W_shape, stride, pad):
    X, W, b = make_layer(X_shape, W_shape)
    assert_close(forward(X, W, b, stride, pad), conv_loop(X, W, b, stride, pad))


def test_conv_forward_worked_example():
    X = np.stack([X_EXAMPLE, np.ones((4, 4))])[None].astype(float)
    W = np.zeros((2, 2, 3, 3))
    W[0, 0] = W[1, 0] = K_EXAMPLE
    W[1, 1] = 1.0
    b = np.array([1.0, -5.0])
    want = [
        [
            [[8, 13, 11, 3], [5, 16, 17, 11], [11, 7, 16, 7], [9, 11, 5, 4]],
            [[6, 13, 11, 1], [5, 19, 20, 11], [11, 10, 19, 7], [7, 11, 5, 2]],
        ]
    ]
    for forward in (ref.conv_forward, ref.conv_forward_im2col):
        assert forward(X, W, b, pad=1).tolist() == want
    # 32x32x3 through six 5x5 filters: six 28x28 feature maps
    out = ref.conv_forward(np.zeros((1, 3, 32, 32)), np.zeros((6, 3, 5, 5)), np.zeros(6))
    assert out.shape == (1, 6, 28, 28)


@pytest.mark.parametrize("forward", [ref.conv_forward, ref.conv_forward_im2col])
def test_conv_forward_rejects_mismatched_shapes(forward):
    X, W, b = np.ones((2, 3, 5, 5)), np.ones((4, 3, 3, 3)), np.ones(4)
    for bad in [
        (X, np.ones((4, 2, 3, 3)), b),
        (X, W, np.ones(3)),
        (X, np.ones((4, 3, 6, 6)), b),
        (np.ones((3, 5, 5)), W, b),
    ]:
        with pytest.raises(ValueError):
            forward(*bad)
    with pytest.raises(ValueError):
        forward(X, W, b, stride=0)


def test_param_count_worked_examples():
    assert ref.conv_param_count(3, 6, 5) == 456
    assert ref.conv_param_count(3, 6, 5, bias=False) == 450
    assert ref.conv_param_count(3, 4, (3, 5)) == 3 * 4 * 15 + 4
    assert ref.conv_param_count(8, 16, 3) == 1168
    # the fully connected comparison in the text
    assert 32 * 32 * 3 == 3072 and 28 * 28 * 6 == 4704
    assert 3072 * 4704 == 14_450_688
    for bad in [(0, 6, 5), (3, 6, 0), (3, 6, 2.5), (3, 6, (3, 3, 3))]:
        with pytest.raises(ValueError):
            ref.conv_param_count(*bad)


@pytest.mark.parametrize("X_shape,W_shape,stride,pad", LAYER_CASES, ids=LAYER_IDS)
def test_param_count_counts_the_weights_used(X_shape, W_shape, stride, pad):
    C_out, C_in, kH, kW = W_shape
    assert ref.conv_param_count(C_in, C_out, (kH, kW)) == math.prod(W_shape) + C_out


# ----------------------------------------------------------------------- im2col


@pytest.mark.parametrize("X_shape,W_shape,stride,pad", LAYER_CASES, ids=LAYER_IDS)
def test_im2col_layout_matches_loops(X_shape, W_shape, stride, pad):
    X = np.random.default_rng(3).standard_normal(X_shape)
    kH, kW = W_shape[2:]
    assert_close(ref.im2col(X, kH, kW, stride, pad), im2col_loop(X, kH, kW, stride, pad))


def test_im2col_worked_example():
    X = np.arange(18.0).reshape(1, 2, 3, 3)
    assert ref.im2col(X, 2, 2).tolist() == [
        [0, 1, 3, 4, 9, 10, 12, 13],
        [1, 2, 4, 5, 10, 11, 13, 14],
        [3, 4, 6, 7, 12, 13, 15, 16],
        [4, 5, 7, 8, 13, 14, 16, 17],
    ]
    assert ref.im2col(np.ones((2, 3, 5, 5)), 3, 3, stride=2, pad=1).shape == (18, 27)


def test_im2col_rejects_windows_that_do_not_fit():
    with pytest.raises(ValueError):
        ref.im2col(np.ones((1, 1, 3, 3)), 4, 2)
    with pytest.raises(ValueError):
        ref.im2col(np.ones((1, 1, 3, 3)), 2, 6, pad=1)
    with pytest.raises(ValueError):
        ref.im2col(np.ones((3, 3)), 2, 2)


# ---------------------------------------------------------------------- PyTorch


@pytest.mark.parametrize("X_shape,W_shape,stride,pad", LAYER_CASES, ids=LAYER_IDS)
def test_conv_and_im2col_match_pytorch(X_shape, W_shape, stride, pad):
    torch = pytest.importorskip("torch")
    X, W, b = make_layer(X_shape, W_shape)
    tX, tW, tb = (torch.from_numpy(a) for a in (X, W, b))
    want = torch.nn.functional.conv2d(tX, tW, tb, stride=stride, padding=pad).numpy()
    assert_close(ref.conv_forward(X, W, b, stride, pad), want)
    assert_close(ref.conv_forward_im2col(X, W, b, stride, pad), want)
    kH, kW = W_shape[2:]
    # torch's unfold gives (N, C*kH*kW, L): one column per window, (c, i, j) order
    unfolded = torch.nn.functional.unfold(tX, (kH, kW), padding=pad, stride=stride).numpy()
    assert_close(
        ref.im2col(X, kH, kW, stride, pad),
        unfolded.transpose(0, 2, 1).reshape(-1, unfolded.shape[1]),
    )


@pytest.mark.parametrize(
    "n,k,pad,stride,dilation", [(7, 3, 1, 2, 1), (12, 3, 2, 2, 2), (9, 3, 0, 3, 3)]
)
def test_output_size_matches_pytorch(n, k, pad, stride, dilation):
    torch = pytest.importorskip("torch")
    out = torch.nn.functional.conv2d(
        torch.zeros(1, 1, n, n),
        torch.zeros(1, 1, k, k),
        stride=stride,
        padding=pad,
        dilation=dilation,
    )
    assert out.shape[-1] == ref.conv_output_size(n, k, pad, stride, dilation)
