"""cnnkit's transposed and dilated convolutions against loops, finite differences and PyTorch.

Each oracle sees at least 200 random cases (strides, paddings, dilations, output
paddings, non-square images and kernels, pairs), compared to 1e-10 in float64.
"""

from __future__ import annotations

import numpy as np
import pytest

from cnnkit.conv import conv2d_backward, conv2d_forward
from cnnkit.conv_transpose import (
    ConvTranspose2d,
    conv_transpose2d_backward,
    conv_transpose2d_forward,
)
from cnnkit.dilated import (
    col2im_dilated,
    dilated_conv2d_backward,
    dilated_conv2d_forward,
    dilated_output_size,
    im2col_dilated,
)

N_CASES = 200
TOL = 1e-10


def _pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


# ------------------------------------------------------------------------ loop oracles


def transposed_loop(X, W, b, stride, pad, output_padding, dilation):
    """Scatter, straight from the definition: every input pixel stamps its scaled kernel."""
    (sH, sW), (pH, pW), (aH, aW), (dH, dW) = map(_pair, (stride, pad, output_padding, dilation))
    N, C_in, H, Wd = X.shape
    _, C_out, kH, kW = W.shape
    full = np.zeros(
        (N, C_out, sH * (H - 1) + dH * (kH - 1) + 1 + aH, sW * (Wd - 1) + dW * (kW - 1) + 1 + aW)
    )
    for n in range(N):
        for c in range(C_in):
            for y in range(H):
                for x in range(Wd):
                    for co in range(C_out):
                        for i in range(kH):
                            for j in range(kW):
                                full[n, co, sH * y + dH * i, sW * x + dW * j] += (
                                    X[n, c, y, x] * W[c, co, i, j]
                                )
    Ho, Wo = full.shape[2] - 2 * pH, full.shape[3] - 2 * pW
    return full[:, :, pH : pH + Ho, pW : pW + Wo] + b[None, :, None, None]


def dilated_loop(X, W, b, stride, pad, dilation):
    """Gather, straight from the definition."""
    (sH, sW), (pH, pW), (dH, dW) = map(_pair, (stride, pad, dilation))
    Xp = np.pad(X, ((0, 0), (0, 0), (pH, pH), (pW, pW)))
    N, C, Hp, Wp = Xp.shape
    C_out, _, kH, kW = W.shape
    Ho = (Hp - dH * (kH - 1) - 1) // sH + 1
    Wo = (Wp - dW * (kW - 1) - 1) // sW + 1
    out = np.zeros((N, C_out, Ho, Wo))
    for n in range(N):
        for co in range(C_out):
            for y in range(Ho):
                for x in range(Wo):
                    total = b[co]
                    for c in range(C):
                        for i in range(kH):
                            for j in range(kW):
                                total += W[co, c, i, j] * Xp[n, c, sH * y + dH * i, sW * x + dW * j]
                    out[n, co, y, x] = total
    return out


def numeric_grad(f, A, dout, h=1e-3):
    """Centered differences of sum(f(A) * dout), one entry at a time (float64).

    f is affine in A, so the quotient is exact up to rounding for any h.
    """
    grad = np.zeros_like(A)
    for idx in np.ndindex(A.shape):
        old = A[idx]
        A[idx] = old + h
        plus = np.sum(f(A) * dout)
        A[idx] = old - h
        minus = np.sum(f(A) * dout)
        A[idx] = old
        grad[idx] = (plus - minus) / (2 * h)
    return grad


# ------------------------------------------------------------------------ random cases


def _maybe_pair(rng, low, high):
    if rng.random() < 0.25:
        return (int(rng.integers(low, high + 1)), int(rng.integers(low, high + 1)))
    return int(rng.integers(low, high + 1))


def transposed_cases(seed, n=N_CASES):
    rng = np.random.default_rng(seed)
    cases = []
    while len(cases) < n:
        stride = _maybe_pair(rng, 1, 3)
        pad = _maybe_pair(rng, 0, 2)
        dilation = _maybe_pair(rng, 1, 3) if rng.random() < 0.5 else 1
        a = tuple(int(rng.integers(0, s)) for s in _pair(stride))
        output_padding = a if isinstance(stride, tuple) or a[0] != a[1] else a[0]
        N, C_in, C_out = (int(v) for v in rng.integers(1, 4, size=3))
        H, Wd = (int(v) for v in rng.integers(1, 6, size=2))
        kH, kW = (int(v) for v in rng.integers(1, 5, size=2))
        sizes = [
            s * (i - 1) + d * (k - 1) + 1 - 2 * p + o
            for s, i, d, k, p, o in zip(
                _pair(stride),
                (H, Wd),
                _pair(dilation),
                (kH, kW),
                _pair(pad),
                _pair(output_padding),
                strict=True,
            )
        ]
        if min(sizes) < 1:
            continue
        X = rng.standard_normal((N, C_in, H, Wd))
        W = rng.standard_normal((C_in, C_out, kH, kW))
        b = rng.standard_normal(C_out)
        dout = rng.standard_normal((N, C_out, *sizes))
        cases.append((X, W, b, stride, pad, output_padding, dilation, dout))
    return cases


def dilated_cases(seed, n=N_CASES, max_hw=9):
    rng = np.random.default_rng(seed)
    cases = []
    while len(cases) < n:
        stride = _maybe_pair(rng, 1, 3)
        pad = _maybe_pair(rng, 0, 2)
        dilation = _maybe_pair(rng, 1, 4)
        N, C, C_out = (int(v) for v in rng.integers(1, 4, size=3))
        H, Wd = (int(v) for v in rng.integers(1, max_hw + 1, size=2))
        kH, kW = (int(v) for v in rng.integers(1, 4, size=2))
        spans = [d * (k - 1) + 1 for d, k in zip(_pair(dilation), (kH, kW), strict=True)]
        if spans[0] > H + 2 * _pair(pad)[0] or spans[1] > Wd + 2 * _pair(pad)[1]:
            continue
        X = rng.standard_normal((N, C, H, Wd))
        W = rng.standard_normal((C_out, C, kH, kW))
        b = rng.standard_normal(C_out)
        Ho = dilated_output_size(H, kH, _pair(stride)[0], _pair(pad)[0], _pair(dilation)[0])
        Wo = dilated_output_size(Wd, kW, _pair(stride)[1], _pair(pad)[1], _pair(dilation)[1])
        dout = rng.standard_normal((N, C_out, Ho, Wo))
        cases.append((X, W, b, stride, pad, dilation, dout))
    return cases


def _close(got, want, tol=TOL):
    got, want = np.asarray(got), np.asarray(want)
    assert got.shape == want.shape
    scale = max(1.0, float(np.max(np.abs(want), initial=0.0)))
    assert np.max(np.abs(got - want), initial=0.0) <= tol * scale


# ------------------------------------------------------------------- transposed: loops


def test_transposed_forward_matches_loops():
    for X, W, b, s, p, a, d, _ in transposed_cases(1):
        out, _ = conv_transpose2d_forward(X, W, b, s, p, a, d)
        _close(out, transposed_loop(X, W, b, s, p, a, d))


def fd_grads(forward, X, W, b, dout, *geometry):
    """Numerical (dX, dW, db) of ``sum(forward(X, W, b, *geometry)[0] * dout)``."""
    args = [X.copy(), W.copy(), b.copy()]
    grads = []
    for k in range(3):

        def f(Z, k=k):
            return forward(*args[:k], Z, *args[k + 1 :], *geometry)[0]

        grads.append(numeric_grad(f, args[k], dout))
    return grads


def test_transposed_backward_matches_finite_differences():
    for X, W, b, s, p, a, d, dout in transposed_cases(2):
        _, cache = conv_transpose2d_forward(X, W, b, s, p, a, d)
        got = conv_transpose2d_backward(dout, cache)
        want = fd_grads(conv_transpose2d_forward, X, W, b, dout, s, p, a, d)
        for g, w in zip(got, want, strict=True):
            _close(g, w)


def test_transposed_is_the_convolution_input_gradient():
    # conv_transpose2d(dout, W) is the dX of the convolution with the same W (dilation 1).
    rng = np.random.default_rng(3)
    for _ in range(50):
        s, p, k = int(rng.integers(1, 4)), int(rng.integers(0, 3)), int(rng.integers(1, 5))
        n = int(rng.integers(max(1, k - 2 * p), 9))
        X = rng.standard_normal((2, 3, n, n))
        W = rng.standard_normal((4, 3, k, k))
        Y, cache = conv2d_forward(X, W, np.zeros(4), stride=s, pad=p)
        dout = rng.standard_normal(Y.shape)
        dX, _, _ = conv2d_backward(dout, cache)
        a = (n + 2 * p - k) % s
        out, _ = conv_transpose2d_forward(dout, W, np.zeros(3), s, p, a)
        _close(out, dX)


# ----------------------------------------------------------------- dilated: loops, FD


def test_dilated_forward_matches_loops():
    for X, W, b, s, p, d, _ in dilated_cases(4):
        out, _ = dilated_conv2d_forward(X, W, b, s, p, d)
        _close(out, dilated_loop(X, W, b, s, p, d))


def test_dilated_backward_matches_finite_differences():
    for X, W, b, s, p, d, dout in dilated_cases(5, max_hw=6):
        _, cache = dilated_conv2d_forward(X, W, b, s, p, d)
        got = dilated_conv2d_backward(dout, cache)
        want = fd_grads(dilated_conv2d_forward, X, W, b, dout, s, p, d)
        for g, w in zip(got, want, strict=True):
            _close(g, w)


def test_dilation_one_is_the_ordinary_convolution():
    rng = np.random.default_rng(6)
    X, W, b = (
        rng.standard_normal((2, 3, 7, 6)),
        rng.standard_normal((4, 3, 3, 2)),
        rng.standard_normal(4),
    )
    want, cache = conv2d_forward(X, W, b, stride=2, pad=1)
    got, mine = dilated_conv2d_forward(X, W, b, stride=2, pad=1, dilation=1)
    _close(got, want)
    dout = rng.standard_normal(want.shape)
    for g, w in zip(dilated_conv2d_backward(dout, mine), conv2d_backward(dout, cache), strict=True):
        _close(g, w)


def test_im2col_dilated_adjoint():
    # <im2col(X), C> = <X, col2im(C)>: col2im is the adjoint, checked on random geometry.
    rng = np.random.default_rng(7)
    for X, W, _, s, p, d, _ in dilated_cases(8, 50):
        kH, kW = W.shape[2:]
        cols = im2col_dilated(X, kH, kW, s, p, d)
        C = rng.standard_normal(cols.shape)
        lhs = np.sum(cols * C)
        rhs = np.sum(X * col2im_dilated(C, X.shape, kH, kW, s, p, d))
        assert abs(lhs - rhs) <= TOL * max(1.0, abs(lhs))


# ---------------------------------------------------------------------------- PyTorch


@pytest.fixture(scope="module")
def torch():
    torch = pytest.importorskip("torch")
    torch.set_num_threads(1)
    return torch


def _torch_grads(torch, fn, X, W, b, dout, **kwargs):
    Xt, Wt, bt = (torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in (X, W, b))
    out = fn(Xt, Wt, bt, **kwargs)
    out.backward(torch.tensor(dout))
    return out.detach().numpy(), Xt.grad.numpy(), Wt.grad.numpy(), bt.grad.numpy()


def test_transposed_matches_pytorch(torch):
    F = torch.nn.functional
    for X, W, b, s, p, a, d, dout in transposed_cases(9):
        out, cache = conv_transpose2d_forward(X, W, b, s, p, a, d)
        want = _torch_grads(
            torch,
            F.conv_transpose2d,
            X,
            W,
            b,
            dout,
            stride=s,
            padding=p,
            output_padding=a,
            dilation=d,
        )
        got = (out, *conv_transpose2d_backward(dout, cache))
        for g, w in zip(got, want, strict=True):
            _close(g, w)


def test_dilated_matches_pytorch(torch):
    F = torch.nn.functional
    for X, W, b, s, p, d, dout in dilated_cases(10):
        out, cache = dilated_conv2d_forward(X, W, b, s, p, d)
        want = _torch_grads(torch, F.conv2d, X, W, b, dout, stride=s, padding=p, dilation=d)
        got = (out, *dilated_conv2d_backward(dout, cache))
        for g, w in zip(got, want, strict=True):
            _close(g, w)


# --------------------------------------------------------------------- dtypes, errors


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtypes_are_kept(dtype):
    rng = np.random.default_rng(11)
    X = rng.standard_normal((2, 3, 5, 4)).astype(dtype)
    Wt = rng.standard_normal((3, 2, 3, 3)).astype(dtype)
    Wd = rng.standard_normal((2, 3, 3, 3)).astype(dtype)
    b = np.zeros(2, dtype=dtype)
    out, cache = conv_transpose2d_forward(X, Wt, b, 2, 1, 1, 2)
    assert out.dtype == dtype
    assert all(g.dtype == dtype for g in conv_transpose2d_backward(np.ones_like(out), cache))
    want = transposed_loop(X.astype(float), Wt.astype(float), b.astype(float), 2, 1, 1, 2)
    _close(out, want, 1e-4 if dtype == np.float32 else TOL)
    out, cache = dilated_conv2d_forward(X, Wd, b, 1, 2, 2)
    assert out.dtype == dtype
    assert all(g.dtype == dtype for g in dilated_conv2d_backward(np.ones_like(out), cache))


def test_bad_arguments_are_named():
    X, W, b = np.ones((1, 2, 3, 3)), np.ones((2, 1, 3, 3)), np.zeros(1)
    for kwargs, word in [
        ({"output_padding": 2, "stride": 2}, "output_padding"),
        ({"pad": 4}, "pad"),
        ({"stride": 0}, "stride"),
        ({"dilation": 1.5}, "dilation"),
    ]:
        with pytest.raises(ValueError, match=word):
            conv_transpose2d_forward(X, W, b, **kwargs)
    with pytest.raises(ValueError, match="C_in"):
        conv_transpose2d_forward(X, np.ones((3, 1, 3, 3)), b)
    with pytest.raises(ValueError, match="b must"):
        conv_transpose2d_forward(X, W, np.zeros(2))
    out, cache = conv_transpose2d_forward(X, W, b)
    with pytest.raises(ValueError, match="dout"):
        conv_transpose2d_backward(np.ones((1, 1, 4, 4)), cache)
    with pytest.raises(ValueError, match="dilated kernel spans"):
        dilated_conv2d_forward(np.ones((1, 1, 5, 5)), np.ones((1, 1, 3, 3)), [0.0], dilation=3)
    with pytest.raises(ValueError, match="dilation"):
        dilated_conv2d_forward(np.ones((1, 1, 5, 5)), np.ones((1, 1, 3, 3)), [0.0], dilation=0)


def test_layer_trains_through_sgd():
    from cnnkit.modules import SGD, Sequential

    rng = np.random.default_rng(12)
    layer = ConvTranspose2d(2, 1, 4, stride=2, pad=1, rng=rng, dtype=np.float64)
    model = Sequential(layer)
    X = rng.standard_normal((4, 2, 3, 3))
    target = rng.standard_normal((4, 1, 6, 6))
    opt = SGD(model, lr=0.01)
    losses = []
    for _ in range(30):
        diff = model(X) - target
        losses.append(float(np.mean(diff**2)))
        model.backward(2 * diff / diff.size)
        opt.step()
    assert layer.params["W"].shape == (2, 1, 4, 4)
    assert losses[-1] < losses[0]


# ---------------------------------------------------------------------- widget geometry


def test_transposed_picture_coverage_is_the_transposed_convolution_of_ones():
    from cnnkit.transposed_widget import transposed_geometry

    for i in (1, 2, 3, 5):
        for k in (1, 2, 3, 4, 5):
            for s in (1, 2, 3):
                for p in (0, 1, 2, 3):
                    for a in range(s):
                        o = s * (i - 1) + k - 2 * p + a
                        if o < 1:
                            with pytest.raises(ValueError, match="empty"):
                                transposed_geometry(i, k, s, p, a)
                            continue
                        g = transposed_geometry(i, k, s, p, a)
                        ones, _ = conv_transpose2d_forward(
                            np.ones((1, 1, 1, i)),
                            np.ones((1, 1, 1, k)),
                            [0.0],
                            (1, s),
                            (0, p),
                            (0, a),
                        )
                        assert g.o == o and g.size == o + k - 1
                        np.testing.assert_array_equal(g.coverage, ones[0, 0, 0])


def test_receptive_field_map_is_the_backward_pass_of_the_stack():
    from cnnkit.transposed_widget import RF_PRESETS, receptive_field_map

    rng = np.random.default_rng(13)
    stacks = list(RF_PRESETS.values()) + [
        [tuple(int(v) for v in rng.integers(1, 4, size=3)) for _ in range(int(rng.integers(1, 5)))]
        for _ in range(30)
    ]
    for layers in stacks:
        paths = receptive_field_map(layers, 2)
        # the same stack of all-ones 1-D kernels, run backward from unit 2
        n = len(paths)
        Z, caches = np.ones((1, 1, 1, n)), []
        for layer in layers:
            k, s, d = (*layer, 1)[:3]
            Z, cache = dilated_conv2d_forward(Z, np.ones((1, 1, 1, k)), [0.0], (1, s), 0, (1, d))
            caches.append(cache)
        grad = np.zeros_like(Z)
        grad[..., 2] = 1.0
        for cache in reversed(caches):
            grad = dilated_conv2d_backward(grad, cache)[0]
        np.testing.assert_array_equal(paths, grad[0, 0, 0])
        # the span is r = 1 + sum (k - 1) d * (product of earlier strides)
        r, jump = 1, 1
        for layer in layers:
            k, s, d = (*layer, 1)[:3]
            r, jump = r + (k - 1) * d * jump, jump * s
        seen = np.flatnonzero(paths)
        assert seen[-1] - seen[0] + 1 == r


def test_widgets_draw():
    from cnnkit import transposed_widget as tw

    gallery = tw.transposed_arithmetic_gallery({"odd": (6, 3, 2, 1), "full": (5, 3, 1, 2)})
    assert gallery._repr_png_()[:4] == b"\x89PNG"
    assert tw.transposed_arithmetic_figure(3, 3, 2, 1, 1, position=4)._repr_png_()
    assert tw.receptive_field_figure(tw.RF_PRESETS["LeNet-5 up to C5"], (1, 2))._repr_png_()

    def wrong_size(i, k, stride=1, pad=0, output_padding=0):
        return (i + 2 * pad - k) // stride + 1

    explorer = tw.TransposedArithmeticExplorer(wrong_size, preset="padding, strides")
    assert "returned" in explorer.message
    explorer.set(2, 4, 2, 1, 0)
    assert "Uneven" not in explorer.message
    explorer.set(4, 3, 2, 0, 0)
    assert "Uneven" in explorer.message
    viewer = tw.ReceptiveFieldViewer(lambda layers: [99])
    assert "receptive field 15×15" in viewer.message and "99" in viewer.message
    viewer.text.value = "3,1; x"
    assert "could not read" in viewer.message
