"""Chapter 7 references against independent oracles: loops, finite differences, PyTorch,
cnnkit's fast layers, the worked examples and the published receptive fields."""

from __future__ import annotations

import numpy as np
import pytest

from autograder.reference import ch07_transposed_dilated as ref
from cnnkit.conv import conv2d_backward, conv2d_forward
from cnnkit.conv_transpose import conv_transpose2d_forward
from cnnkit.dilated import dilated_conv2d_forward
from cnnkit.transposed_widget import receptive_field_map
from tests.test_conv_transpose import dilated_loop, fd_grads, transposed_loop


def _cases(seed, n=40):
    """Random transposed-convolution settings: X, W, b, stride, pad, output_padding."""
    rng = np.random.default_rng(seed)
    out = []
    while len(out) < n:
        s, p, kH, kW = (
            int(v) for v in (rng.integers(1, 4), rng.integers(0, 3), *rng.integers(1, 5, 2))
        )
        a = int(rng.integers(0, s))
        N, C_in, C_out, H, Wd = (
            int(v) for v in (*rng.integers(1, 3, 1), *rng.integers(1, 4, 2), *rng.integers(1, 5, 2))
        )
        if min(s * (H - 1) + kH, s * (Wd - 1) + kW) - 2 * p + a < 1:
            continue
        X = rng.standard_normal((N, C_in, H, Wd))
        W = rng.standard_normal((C_in, C_out, kH, kW))
        out.append((X, W, rng.standard_normal(C_out), s, p, a))
    return out


def test_worked_examples():
    X = np.array([[0.0, 1.0], [2.0, 3.0]]).reshape(1, 1, 2, 2)
    K = X.copy()
    b = np.zeros(1)
    np.testing.assert_array_equal(
        ref.transposed_conv2d_loops(X, K, b)[0, 0], [[0, 0, 1], [0, 4, 6], [4, 12, 9]]
    )
    np.testing.assert_array_equal(
        ref.transposed_conv2d(X, K, b, stride=2)[0][0, 0],
        [[0, 0, 0, 1], [0, 0, 2, 3], [0, 2, 0, 3], [4, 6, 6, 9]],
    )
    np.testing.assert_array_equal(ref.transposed_conv2d(X, K, b, pad=1)[0], [[[[4]]]])
    X_dil = np.arange(25.0).reshape(1, 1, 5, 5)
    W_dil = np.arange(9.0).reshape(1, 1, 3, 3)
    assert ref.dilated_conv2d(X_dil, W_dil, b, dilation=2)[0].item() == 624


def test_output_size_matches_the_layer():
    for X, W, b, s, p, a in _cases(1):
        out = conv_transpose2d_forward(X, W, b, s, p, a)[0]
        assert out.shape[2:] == tuple(
            ref.transposed_output_size(n, k, s, p, a)
            for n, k in zip(X.shape[2:], W.shape[2:], strict=True)
        )
    for args in [(3, 3, 2, 0, 2), (1, 2, 1, 1, 0), (2.0, 3), (3, 3, True)]:
        with pytest.raises(ValueError):
            ref.transposed_output_size(*args)


def test_transposed_forward_matches_loops_and_cnnkit():
    for X, W, b, s, p, a in _cases(2):
        want = transposed_loop(X, W, b, s, p, a, 1)
        np.testing.assert_allclose(ref.transposed_conv2d(X, W, b, s, p, a)[0], want, atol=1e-10)
        np.testing.assert_allclose(conv_transpose2d_forward(X, W, b, s, p, a)[0], want, atol=1e-10)
        if a == 0:
            np.testing.assert_allclose(ref.transposed_conv2d_loops(X, W, b, s, p), want, atol=1e-10)


def test_transposed_is_the_convolution_input_gradient():
    rng = np.random.default_rng(3)
    for n, k, s, p in [(7, 3, 2, 1), (8, 3, 2, 1), (9, 4, 3, 1), (5, 5, 1, 2), (6, 2, 2, 0)]:
        X, W = rng.standard_normal((2, 3, n, n)), rng.standard_normal((4, 3, k, k))
        Y, cache = conv2d_forward(X, W, np.zeros(4), stride=s, pad=p)
        dout = rng.standard_normal(Y.shape)
        a = (n + 2 * p - k) % s
        got = ref.transposed_conv2d(dout, W, np.zeros(3), s, p, a)[0]
        np.testing.assert_allclose(got, conv2d_backward(dout, cache)[0], atol=1e-10)


def test_transposed_backward_matches_finite_differences():
    for X, W, b, s, p, a in _cases(4, 25):
        out, cache = ref.transposed_conv2d(X, W, b, s, p, a)
        dout = np.random.default_rng(5).standard_normal(out.shape)
        got = ref.transposed_conv2d_backward(dout, cache)
        want = fd_grads(ref.transposed_conv2d, X, W, b, dout, s, p, a)
        for g, w in zip(got, want, strict=True):
            np.testing.assert_allclose(g, w, atol=1e-9)


def test_dilated_matches_loops_cnnkit_and_finite_differences():
    rng = np.random.default_rng(6)
    count = 0
    while count < 25:
        s, p, d, k = (
            int(v)
            for v in (
                rng.integers(1, 3),
                rng.integers(0, 3),
                rng.integers(1, 4),
                rng.integers(1, 4),
            )
        )
        H, Wd = (int(v) for v in rng.integers(1, 9, 2))
        if d * (k - 1) + 1 > min(H, Wd) + 2 * p:
            continue
        count += 1
        X, W, b = (
            rng.standard_normal((2, 2, H, Wd)),
            rng.standard_normal((3, 2, k, k)),
            rng.standard_normal(3),
        )
        out, cache = ref.dilated_conv2d(X, W, b, s, p, d)
        np.testing.assert_allclose(out, dilated_loop(X, W, b, s, p, d), atol=1e-10)
        np.testing.assert_allclose(out, dilated_conv2d_forward(X, W, b, s, p, d)[0], atol=1e-10)
        dout = rng.standard_normal(out.shape)
        got = ref.dilated_conv2d_backward(dout, cache)
        want = fd_grads(ref.dilated_conv2d, X, W, b, dout, s, p, d)
        for g, w in zip(got, want, strict=True):
            np.testing.assert_allclose(g, w, atol=1e-9)


def test_matches_pytorch():
    torch = pytest.importorskip("torch")
    torch.set_num_threads(1)
    F = torch.nn.functional
    for X, W, b, s, p, a in _cases(7, 20):
        t = [torch.tensor(v, requires_grad=True) for v in (X, W, b)]
        out = F.conv_transpose2d(*t, stride=s, padding=p, output_padding=a)
        mine, cache = ref.transposed_conv2d(X, W, b, s, p, a)
        np.testing.assert_allclose(mine, out.detach().numpy(), atol=1e-10)
        dout = np.random.default_rng(8).standard_normal(mine.shape)
        out.backward(torch.tensor(dout))
        for got, tt in zip(ref.transposed_conv2d_backward(dout, cache), t, strict=True):
            np.testing.assert_allclose(got, tt.grad.numpy(), atol=1e-10)
    rng = np.random.default_rng(9)
    X, W, b = (
        rng.standard_normal((2, 3, 9, 8)),
        rng.standard_normal((2, 3, 3, 2)),
        rng.standard_normal(2),
    )
    want = F.conv2d(*(torch.tensor(v) for v in (X, W, b)), stride=2, padding=1, dilation=3)
    np.testing.assert_allclose(ref.dilated_conv2d(X, W, b, 2, 1, 3)[0], want.numpy(), atol=1e-10)


def test_receptive_fields_of_classic_networks():
    # published: LeNet-5 sees its whole 32x32 input; VGG-16 212 and ResNet-34 899
    # (Araujo, Norris and Sim, Distill 2019)
    lenet = [(5, 1), (2, 2), (5, 1), (2, 2), (5, 1)]
    vgg16 = []
    for repeat in (2, 2, 3, 3, 3):
        vgg16 += [(3, 1)] * repeat + [(2, 2)]
    resnet34 = [(7, 2), (3, 2)]
    for stage, n in enumerate([3, 4, 6, 3]):
        for block in range(n):
            resnet34 += [(3, 2 if stage > 0 and block == 0 else 1), (3, 1)]
    assert ref.receptive_field(lenet)[-1] == 32
    assert ref.receptive_field(vgg16)[-1] == 212
    assert ref.receptive_field(resnet34)[-1] == 899
    assert ref.receptive_field([(3, 1, 2**m) for m in range(4)]) == [3, 7, 15, 31]


def test_receptive_field_matches_the_paths_through_the_stack():
    rng = np.random.default_rng(10)
    for _ in range(40):
        layers = [
            tuple(int(v) for v in rng.integers(1, 4, 3)) for _ in range(int(rng.integers(1, 6)))
        ]
        fields = ref.receptive_field(layers)
        for depth in range(1, len(layers) + 1):
            assert fields[depth - 1] == len(receptive_field_map(layers[:depth]))


def test_misconception_variants_differ_from_the_answer():
    rng = np.random.default_rng(11)
    X, W, b = (
        rng.standard_normal((2, 2, 3, 3)),
        rng.standard_normal((2, 2, 3, 3)),
        rng.standard_normal(2),
    )
    want = ref.transposed_conv2d(X, W, b, 2, 1, 1)[0]
    variants = ref.transposed_variants(X, W, b, 2, 1, 1)
    assert len(variants) >= 7
    for message, variant in variants.items():
        assert variant.shape != want.shape or not np.allclose(variant, want), message
    # the stride-on-output variant is an ordinary strided convolution of the padded input
    np.testing.assert_allclose(
        ref.stride_on_output(X, W, b, 2, 1),
        conv2d_forward(
            np.pad(X, ((0, 0), (0, 0), (1, 1), (1, 1))),
            W[:, :, ::-1, ::-1].transpose(1, 0, 2, 3),
            b,
            stride=2,
        )[0],
    )
