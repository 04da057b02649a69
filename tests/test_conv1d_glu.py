"""cnnkit.conv1d and cnnkit.glu against loops, float64 finite differences and PyTorch."""

from __future__ import annotations

import numpy as np
import pytest
from loop_oracles import numeric_grad, rel_error

from cnnkit.conv1d import Conv1d, conv1d_backward, conv1d_forward
from cnnkit.glu import GLU, GatedConv1d, glu_backward, glu_forward
from cnnkit.losses import softmax_cross_entropy
from cnnkit.modules import SGD, Linear, Sequential

# ---------------------------------------------------------------------- loop oracles


def conv1d_loop(X, W, b, dilation, causal):
    """out[n, o, t] = b[o] + sum_{c, j} W[o, c, j] * X[n, c, s], s = t + j*d - pad."""
    N, C, L = X.shape
    C_out, _, k = W.shape
    pad = (k - 1) * dilation if causal else 0
    L_out = L + pad - (k - 1) * dilation
    out = np.zeros((N, C_out, L_out))
    for n in range(N):
        for o in range(C_out):
            for t in range(L_out):
                total = float(b[o])
                for c in range(C):
                    for j in range(k):
                        s = t + j * dilation - pad
                        if s >= 0:
                            total += float(W[o, c, j]) * float(X[n, c, s])
                out[n, o, t] = total
    return out


def conv1d_backward_loop(dout, X, W, dilation, causal):
    N, C, L = X.shape
    C_out, _, k = W.shape
    pad = (k - 1) * dilation if causal else 0
    dX, dW, db = np.zeros(X.shape), np.zeros(W.shape), np.zeros(C_out)
    for n in range(N):
        for o in range(C_out):
            for t in range(dout.shape[2]):
                g = float(dout[n, o, t])
                db[o] += g
                for c in range(C):
                    for j in range(k):
                        s = t + j * dilation - pad
                        if s >= 0:
                            dW[o, c, j] += g * X[n, c, s]
                            dX[n, c, s] += g * W[o, c, j]
    return dX, dW, db


def make(N, C, L, C_out, k, seed=0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    return (
        rng.standard_normal((N, C, L)).astype(dtype),
        rng.standard_normal((C_out, C, k)).astype(dtype),
        rng.standard_normal(C_out).astype(dtype),
    )


# N, C, L, C_out, k, dilation, causal
CASES = [
    (2, 3, 7, 4, 3, 1, True),
    (1, 1, 5, 1, 1, 1, True),
    (3, 2, 9, 2, 2, 4, True),
    (2, 2, 6, 3, 3, 3, True),  # the kernel spans more than the sequence: all padding
    (2, 3, 8, 2, 2, 2, False),
    (1, 2, 5, 3, 5, 1, False),  # one output
]


@pytest.mark.parametrize("N, C, L, C_out, k, dilation, causal", CASES)
def test_conv1d_matches_loops(N, C, L, C_out, k, dilation, causal):
    X, W, b = make(N, C, L, C_out, k)
    out, cache = conv1d_forward(X, W, b, dilation, causal)
    np.testing.assert_allclose(out, conv1d_loop(X, W, b, dilation, causal), atol=1e-12)
    dout = np.random.default_rng(1).standard_normal(out.shape)
    for got, want in zip(
        conv1d_backward(dout, cache),
        conv1d_backward_loop(dout, X, W, dilation, causal),
        strict=True,
    ):
        np.testing.assert_allclose(got, want, atol=1e-12)


def test_causal_output_ignores_the_future():
    X, W, b = make(2, 3, 12, 2, 3)
    out, _ = conv1d_forward(X, W, b, dilation=2)
    X2 = X.copy()
    X2[:, :, 7:] += 10.0
    out2, _ = conv1d_forward(X2, W, b, dilation=2)
    np.testing.assert_array_equal(out[:, :, :7], out2[:, :, :7])
    assert not np.allclose(out[:, :, 7], out2[:, :, 7])


def test_conv1d_gradients_match_finite_differences():
    X, W, b = make(2, 3, 6, 2, 2, seed=3)
    dout = np.random.default_rng(4).standard_normal((2, 2, 6))

    def loss():
        return float(np.sum(conv1d_forward(X, W, b, 2)[0] * dout))

    _, cache = conv1d_forward(X, W, b, 2)
    dX, dW, db = conv1d_backward(dout, cache)
    for got, arr in [(dX, X), (dW, W), (db, b)]:
        assert rel_error(got, numeric_grad(loss, arr)) < 1e-8


@pytest.mark.parametrize("N, C, L, C_out, k, dilation, causal", CASES)
def test_conv1d_matches_torch(N, C, L, C_out, k, dilation, causal):
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    X, W, b = make(N, C, L, C_out, k, seed=5)
    out, cache = conv1d_forward(X, W, b, dilation, causal)
    tX, tW, tb = (torch.tensor(a, requires_grad=True) for a in (X, W, b))
    left = (k - 1) * dilation if causal else 0
    t_out = F.conv1d(F.pad(tX, (left, 0)), tW, tb, dilation=dilation)
    np.testing.assert_allclose(out, t_out.detach().numpy(), atol=1e-12)
    dout = np.random.default_rng(6).standard_normal(out.shape)
    t_out.backward(torch.tensor(dout))
    for got, t in zip(conv1d_backward(dout, cache), (tX, tW, tb), strict=True):
        np.testing.assert_allclose(got, t.grad.numpy(), atol=1e-12)


def test_conv1d_float32_stays_float32():
    X, W, b = make(2, 3, 8, 4, 2, dtype=np.float32)
    out, cache = conv1d_forward(X, W, b, 2)
    assert out.dtype == np.float32
    dX, dW, db = conv1d_backward(np.ones_like(out), cache)
    assert dX.dtype == dW.dtype == db.dtype == np.float32
    np.testing.assert_allclose(out, conv1d_loop(X, W, b, 2, True), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize(
    "args, message",
    [
        ((np.ones((2, 3)), np.ones((1, 3, 2)), np.ones(1)), "X must be a 3-D array"),
        ((np.ones((2, 3, 4)), np.ones((1, 2, 2)), np.ones(1)), "W must have C=3"),
        ((np.ones((2, 3, 4)), np.ones((1, 3, 2)), np.ones(2)), "b must have shape"),
        ((np.ones((2, 3, 4)), np.ones((1, 3, 2)), np.ones(1), 0), "dilation must be"),
        ((np.ones((2, 3, 4)), np.ones((1, 3, 3)), np.ones(1), 2, False), "more than L=4"),
    ],
)
def test_conv1d_bad_arguments_are_named(args, message):
    with pytest.raises(ValueError, match=message):
        conv1d_forward(*args)


def test_conv1d_backward_rejects_a_wrong_dout():
    X, W, b = make(2, 3, 8, 4, 2)
    _, cache = conv1d_forward(X, W, b)
    with pytest.raises(ValueError, match="dout must have the shape of out"):
        conv1d_backward(np.ones((2, 4, 7)), cache)


# ------------------------------------------------------------------------------ GLU


@pytest.mark.parametrize("shape, axis", [((3, 8, 5), 1), ((4, 6), 1), ((2, 3, 4), -1), ((6,), 0)])
def test_glu_matches_torch(shape, axis):
    torch = pytest.importorskip("torch")
    X = 3 * np.random.default_rng(7).standard_normal(shape)
    out, cache = glu_forward(X, axis)
    tX = torch.tensor(X, requires_grad=True)
    t_out = torch.nn.functional.glu(tX, dim=axis)
    np.testing.assert_allclose(out, t_out.detach().numpy(), atol=1e-12)
    dout = np.random.default_rng(8).standard_normal(out.shape)
    t_out.backward(torch.tensor(dout))
    np.testing.assert_allclose(glu_backward(dout, cache), tX.grad.numpy(), atol=1e-12)


def test_glu_gradient_matches_finite_differences_and_large_inputs_are_quiet():
    rng = np.random.default_rng(9)
    X = rng.standard_normal((2, 6, 4))
    dout = rng.standard_normal((2, 3, 4))
    _, cache = glu_forward(X)
    num = numeric_grad(lambda: float(np.sum(glu_forward(X)[0] * dout)), X)
    assert rel_error(glu_backward(dout, cache), num) < 1e-8
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        out, _ = glu_forward(np.array([[1.0, 2.0, 1000.0, -1000.0]]))
    np.testing.assert_allclose(out, [[1.0, 0.0]])


def test_glu_bad_arguments_are_named():
    with pytest.raises(ValueError, match="even length"):
        glu_forward(np.ones((2, 3)))
    with pytest.raises(ValueError, match="axis must be"):
        glu_forward(np.ones((2, 4)), axis=2)
    _, cache = glu_forward(np.ones((2, 4)))
    with pytest.raises(ValueError, match="dout must have the shape"):
        glu_backward(np.ones((2, 4)), cache)


# ---------------------------------------------------------------------------- layers


def _block_loop(X, W, b, dilation, unit, residual):
    C_out = W.shape[0] // (2 if unit == "glu" else 1)
    z = conv1d_loop(X, W, b, dilation, True)
    if unit == "glu":
        h = z[:, :C_out] / (1 + np.exp(-z[:, C_out:]))
    elif unit == "relu":
        h = np.maximum(z, 0)
    else:
        h = z
    return X + h if residual else h


@pytest.mark.parametrize("unit", ["glu", "relu", "linear"])
@pytest.mark.parametrize("residual", [True, False])
def test_gated_conv1d_layer_forward_and_gradients(unit, residual):
    rng = np.random.default_rng(10)
    layer = GatedConv1d(
        3, 3, 2, dilation=2, residual=residual, unit=unit, rng=rng, dtype=np.float64
    )
    X = rng.standard_normal((2, 3, 7))
    W, b = layer.params["W"], layer.params["b"]
    b[...] = rng.standard_normal(b.shape)
    out = layer.forward(X)
    np.testing.assert_allclose(out, _block_loop(X, W, b, 2, unit, residual), atol=1e-12)
    dout = rng.standard_normal(out.shape)
    dX = layer.backward(dout)

    def loss():
        return float(np.sum(_block_loop(X, W, b, 2, unit, residual) * dout))

    assert rel_error(dX, numeric_grad(loss, X)) < 1e-7
    assert rel_error(layer.grads["W"], numeric_grad(loss, W)) < 1e-7
    assert rel_error(layer.grads["b"], numeric_grad(loss, b)) < 1e-7


def test_gated_conv1d_matches_torch_glu_of_conv1d():
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    rng = np.random.default_rng(11)
    layer = GatedConv1d(4, 4, 3, dilation=2, residual=True, rng=rng, dtype=np.float64)
    X = rng.standard_normal((2, 4, 9))
    out = layer.forward(X)
    tX = torch.tensor(X, requires_grad=True)
    tW = torch.tensor(layer.params["W"], requires_grad=True)
    tb = torch.tensor(layer.params["b"], requires_grad=True)
    t_out = tX + F.glu(F.conv1d(F.pad(tX, (4, 0)), tW, tb, dilation=2), dim=1)
    np.testing.assert_allclose(out, t_out.detach().numpy(), atol=1e-12)
    dout = rng.standard_normal(out.shape)
    t_out.backward(torch.tensor(dout))
    np.testing.assert_allclose(layer.backward(dout), tX.grad.numpy(), atol=1e-12)
    np.testing.assert_allclose(layer.grads["W"], tW.grad.numpy(), atol=1e-12)
    np.testing.assert_allclose(layer.grads["b"], tb.grad.numpy(), atol=1e-12)


def test_layers_check_their_arguments():
    with pytest.raises(ValueError, match="C_in == C_out"):
        GatedConv1d(3, 4, 2, residual=True)
    with pytest.raises(ValueError, match="unit must be one of"):
        GatedConv1d(3, 3, 2, unit="tanh")
    with pytest.raises(RuntimeError, match="backward called before forward"):
        GatedConv1d(3, 3, 2, unit="linear").backward(np.ones((1, 3, 4)))
    with pytest.raises(RuntimeError, match="backward called before forward"):
        GLU().backward(np.ones((1, 3, 4)))
    assert "dilation=4" in repr(Conv1d(2, 3, 2, dilation=4))


def test_a_small_gated_network_learns_to_copy_the_previous_step():
    # y[n] = X[n, :, -2].argmax(): only a causal net that looks one step back can learn it.
    rng = np.random.default_rng(12)

    class Last:
        params, grads = {}, {}

        def forward(self, X):
            self.shape = X.shape
            return X[:, :, -1]

        def backward(self, dout):
            dX = np.zeros(self.shape, dtype=dout.dtype)
            dX[:, :, -1] = dout
            return dX

    net = Sequential(
        Conv1d(4, 8, 1, rng=rng),
        GatedConv1d(8, 8, 2, residual=True, rng=rng),
        Last(),
        Linear(8, 4, rng=rng),
    )
    opt = SGD(net, lr=0.5, momentum=0.9)
    for _ in range(150):
        idx = rng.integers(0, 4, (32, 5))
        X = np.eye(4, dtype=np.float32)[idx].transpose(0, 2, 1)
        loss, d = softmax_cross_entropy(net.forward(X), idx[:, -2])
        net.backward(d)
        opt.step()
    assert loss < 0.2
