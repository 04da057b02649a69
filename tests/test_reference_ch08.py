"""Chapter 8 reference answers against independent oracles.

Oracles: plain loops written from the definitions, centered finite differences in
float64, PyTorch (``conv1d``, ``glu``, autograd) where installed, and the literal numbers
of the chapter's worked examples.
"""

from __future__ import annotations

import numpy as np
import pytest
from loop_oracles import numeric_grad, rel_error

from autograder.reference import ch08_gated_sequence as ref

# ---------------------------------------------------------------------------- oracles


def causal_conv_loops(X, W, b, d):
    """out[n, o, t] = b[o] + sum_{c, j} W[o, c, j] X[n, c, t - (k-1-j) d], X = 0 before 0."""
    N, C, L = X.shape
    C_out, _, k = W.shape
    out = np.zeros((N, C_out, L))
    for n in range(N):
        for o in range(C_out):
            for t in range(L):
                total = b[o]
                for c in range(C):
                    for j in range(k):
                        s = t - (k - 1 - j) * d
                        if s >= 0:
                            total += W[o, c, j] * X[n, c, s]
                out[n, o, t] = total
    return out


def make(N, C, L, C_out, k, seed=0):
    rng = np.random.default_rng(seed)
    return (
        rng.standard_normal((N, C, L)),
        rng.standard_normal((C_out, C, k)),
        rng.standard_normal(C_out),
    )


CASES = [(2, 3, 8, 2, 3, 1), (1, 1, 5, 1, 1, 1), (3, 2, 9, 4, 2, 4), (2, 2, 4, 3, 3, 2)]

# ------------------------------------------------------------------- worked examples


def test_worked_examples_of_the_text():
    X = np.array([[[1.0, 2.0, 3.0, 4.0, 5.0]]])
    out, cache = ref.causal_conv1d_forward(X, np.array([[[1.0, 2.0, 3.0]]]), np.zeros(1))
    np.testing.assert_array_equal(out, [[[3, 8, 14, 20, 26]]])
    dX, dW, db = ref.causal_conv1d_backward(np.array([[[1.0, 0, 0, 0, 1]]]), cache)
    np.testing.assert_array_equal(dX, [[[3, 0, 1, 2, 3]]])
    np.testing.assert_array_equal(dW, [[[3, 4, 6]]])
    np.testing.assert_array_equal(db, [2])
    out, _ = ref.causal_conv1d_forward(X, np.array([[[1.0, 3.0]]]), np.zeros(1), 2)
    np.testing.assert_array_equal(out, [[[3, 6, 10, 14, 18]]])

    out, cache = ref.glu_forward(np.array([1.0, -2.0, 3.0]), np.array([0.0, 0.0, np.log(3)]))
    np.testing.assert_allclose(out, [0.5, -1.0, 2.25])
    dA, dB = ref.glu_backward(np.array([1.0, 1.0, 2.0]), cache)
    np.testing.assert_allclose(dA, [0.5, 0.5, 1.5])
    np.testing.assert_allclose(dB, [0.25, -0.5, 1.125])

    X = np.array([[[1.0, 2.0, 3.0, 4.0]]])
    out, cache = ref.gated_block_forward(
        X, np.array([[[1.0, 1.0]]]), np.zeros(1), np.zeros((1, 1, 2)), np.zeros(1)
    )
    np.testing.assert_allclose(out, [[[1.5, 3.5, 5.5, 7.5]]])
    dX, dW, db, dV, dc = ref.gated_block_backward(np.ones((1, 1, 4)), cache)
    np.testing.assert_allclose(dX, [[[2, 2, 2, 1.5]]])
    np.testing.assert_allclose(dW, [[[3, 5]]])
    np.testing.assert_allclose(dV, [[[8.5, 12.5]]])
    assert db.tolist() == [2.0] and dc.tolist() == [4.0]

    assert ref.receptive_field([2] * 4, [1, 2, 4, 8]) == 16
    assert ref.receptive_field([2] * 4, [1] * 4) == 5
    assert ref.receptive_field([2] * 9, [2**i for i in range(9)]) == 512  # q_rf_depth = 9
    assert ref.receptive_field([2] * 8, [2**i for i in range(8)]) == 256


# ---------------------------------------------------------------------------- loops


@pytest.mark.parametrize("N, C, L, C_out, k, d", CASES)
def test_causal_conv_matches_loops_and_finite_differences(N, C, L, C_out, k, d):
    X, W, b = make(N, C, L, C_out, k)
    out, cache = ref.causal_conv1d_forward(X, W, b, d)
    np.testing.assert_allclose(out, causal_conv_loops(X, W, b, d), atol=1e-12)
    dout = np.random.default_rng(1).standard_normal(out.shape)
    grads = ref.causal_conv1d_backward(dout, cache)

    def loss():
        return float(np.sum(causal_conv_loops(X, W, b, d) * dout))

    for got, arr in zip(grads, (X, W, b), strict=True):
        assert rel_error(got, numeric_grad(loss, arr)) < 1e-8


def test_block_gradients_match_finite_differences():
    rng = np.random.default_rng(2)
    X = rng.standard_normal((2, 3, 7))
    P = [rng.standard_normal(s) for s in [(3, 3, 2), (3,), (3, 3, 2), (3,)]]
    out, cache = ref.gated_block_forward(X, *P, dilation=2)
    dout = rng.standard_normal(out.shape)
    grads = ref.gated_block_backward(dout, cache)

    def loss():
        return float(np.sum(ref.gated_block_forward(X, *P, dilation=2)[0] * dout))

    for got, arr in zip(grads, [X, *P], strict=True):
        assert rel_error(got, numeric_grad(loss, arr)) < 1e-8


def test_receptive_field_is_what_the_gradient_reaches():
    rng = np.random.default_rng(3)
    for _ in range(5):
        n = int(rng.integers(1, 5))
        ks = rng.integers(1, 4, n).tolist()
        ds = rng.integers(1, 5, n).tolist()
        L = 40
        X = np.zeros((1, 1, L))
        caches = []
        for k, d in zip(ks, ds, strict=True):
            X, cache = ref.causal_conv1d_forward(X, np.ones((1, 1, k)), np.zeros(1), d)
            caches.append(cache)
        grad = np.zeros((1, 1, L))
        grad[..., -1] = 1.0
        for cache in reversed(caches):
            grad = ref.causal_conv1d_backward(grad, cache)[0]
        reached = np.flatnonzero(grad[0, 0])
        assert reached.max() == L - 1
        assert L - reached.min() == ref.receptive_field(ks, ds)


def test_sigmoid_is_quiet_and_exact_far_out():
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        s = ref.sigmoid(np.array([-1000.0, -40.0, 0.0, 40.0, 1000.0]))
    np.testing.assert_allclose(s, [0.0, 1 / (1 + np.exp(40.0)), 0.5, 1.0, 1.0], rtol=1e-12)


@pytest.mark.parametrize(
    "call, args",
    [
        (ref.causal_conv1d_forward, (np.ones((2, 3)), np.ones((1, 3, 2)), np.ones(1))),
        (ref.causal_conv1d_forward, (np.ones((2, 3, 4)), np.ones((1, 2, 2)), np.ones(1))),
        (ref.causal_conv1d_forward, (np.ones((2, 3, 4)), np.ones((1, 3, 2)), np.ones(1), 0)),
        (ref.causal_conv1d_forward, (np.ones((2, 3, 4)), np.ones((1, 3, 2)), np.ones(1), True)),
        (ref.glu_forward, (np.ones(3), np.ones(4))),
        (ref.receptive_field, ([2, 2], [1])),
        (ref.receptive_field, ([2, 0], [1, 1])),
        (
            ref.gated_block_forward,
            (np.ones((1, 2, 4)), np.ones((3, 2, 2)), np.ones(3), np.ones((2, 2, 2)), np.ones(2)),
        ),
    ],
)
def test_bad_arguments_raise_value_error(call, args):
    with pytest.raises(ValueError):
        call(*args)


# ---------------------------------------------------------------------------- PyTorch


@pytest.mark.parametrize("N, C, L, C_out, k, d", CASES)
def test_causal_conv_matches_torch(N, C, L, C_out, k, d):
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    X, W, b = make(N, C, L, C_out, k, seed=4)
    out, cache = ref.causal_conv1d_forward(X, W, b, d)
    tX, tW, tb = (torch.tensor(a, requires_grad=True) for a in (X, W, b))
    t_out = F.conv1d(F.pad(tX, ((k - 1) * d, 0)), tW, tb, dilation=d)
    np.testing.assert_allclose(out, t_out.detach().numpy(), atol=1e-12)
    dout = np.random.default_rng(5).standard_normal(out.shape)
    t_out.backward(torch.tensor(dout))
    for got, t in zip(ref.causal_conv1d_backward(dout, cache), (tX, tW, tb), strict=True):
        np.testing.assert_allclose(got, t.grad.numpy(), atol=1e-12)


def test_glu_and_block_match_torch():
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    rng = np.random.default_rng(6)
    A, B = rng.standard_normal((2, 3, 5)), 3 * rng.standard_normal((2, 3, 5))
    out, cache = ref.glu_forward(A, B)
    tA, tB = torch.tensor(A, requires_grad=True), torch.tensor(B, requires_grad=True)
    t_out = F.glu(torch.cat([tA, tB], dim=1), dim=1)
    np.testing.assert_allclose(out, t_out.detach().numpy(), atol=1e-12)
    dout = rng.standard_normal(out.shape)
    t_out.backward(torch.tensor(dout))
    for got, t in zip(ref.glu_backward(dout, cache), (tA, tB), strict=True):
        np.testing.assert_allclose(got, t.grad.numpy(), atol=1e-12)

    X = rng.standard_normal((2, 3, 9))
    P = [rng.standard_normal(s) for s in [(3, 3, 3), (3,), (3, 3, 3), (3,)]]
    out, cache = ref.gated_block_forward(X, *P, dilation=2)
    tX, tW, tb, tV, tc = (torch.tensor(a, requires_grad=True) for a in (X, *P))
    Xp = F.pad(tX, (4, 0))
    t_out = tX + F.conv1d(Xp, tW, tb, dilation=2) * torch.sigmoid(F.conv1d(Xp, tV, tc, dilation=2))
    np.testing.assert_allclose(out, t_out.detach().numpy(), atol=1e-12)
    dout = rng.standard_normal(out.shape)
    t_out.backward(torch.tensor(dout))
    grads = ref.gated_block_backward(dout, cache)
    for got, t in zip(grads, (tX, tW, tb, tV, tc), strict=True):
        np.testing.assert_allclose(got, t.grad.numpy(), atol=1e-12)
