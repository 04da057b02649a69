"""Chapter 5 reference answers against independent oracles.

Oracles: the figures printed in LeCun et al. 1998 and in Andrew Ng's course (typed here
again, not imported), plain loops written from the definitions, a count of the nonzero
entries of a convolution's Jacobian (connections), centered finite differences in
float64, and PyTorch (torch.nn layers with the same weights, torch.optim.SGD) where
installed.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from autograder.reference import ch05_lenet as ref

# --------------------------------------------------------------------------- oracles


def c3_table_from_rule():
    """Table I of the paper, rebuilt from its description: 6 maps see 3 neighbouring S2 maps,
    6 see 4 neighbouring maps, 3 see two neighbouring pairs, 1 sees all six."""
    t = np.zeros((6, 16), dtype=bool)
    for j in range(6):
        t[[(j + d) % 6 for d in range(3)], j] = True
    for j in range(6):
        t[[(j + d) % 6 for d in range(4)], 6 + j] = True
    for j, rows in enumerate([(0, 1, 3, 4), (1, 2, 4, 5), (0, 2, 3, 5)]):
        t[list(rows), 12 + j] = True
    t[:, 15] = True
    return t


def conv_counts_loop(table, k, H, W):
    """One output map at a time: its kernel slices and its bias, used at every position."""
    params = connections = 0
    C_in, C_out = len(table), len(table[0])
    for j in range(C_out):
        inputs = sum(1 for i in range(C_in) if table[i][j])
        per_map = inputs * k * k + 1
        params += per_map
        connections += per_map * H * W
    return params, connections


def connections_from_jacobian(table, k, H_out, W_out):
    """Count, for every output unit, the inputs it depends on (plus its bias): the nonzeros
    of the Jacobian of a masked convolution with nonzero weights."""
    torch = pytest.importorskip("torch")
    C_in, C_out = table.shape
    X = torch.randn(1, C_in, H_out + k - 1, W_out + k - 1, dtype=torch.float64)
    weight = torch.rand(C_out, C_in, k, k, dtype=torch.float64) + 0.5
    weight = weight * torch.tensor(table.T, dtype=torch.float64)[:, :, None, None]

    def f(x):
        return torch.nn.functional.conv2d(x, weight).reshape(-1)

    J = torch.autograd.functional.jacobian(f, X).reshape(C_out * H_out * W_out, -1)
    return int((J != 0).sum()) + C_out * H_out * W_out  # + one bias per output unit


# --------------------------------------------------------------------------- the table


def test_c3_table_is_table_one_of_the_paper():
    assert ref.C3_TABLE.shape == (6, 16)
    np.testing.assert_array_equal(ref.C3_TABLE, c3_table_from_rule())
    assert int(ref.C3_TABLE.sum()) == 60
    assert ref.C3_TABLE.sum(axis=0).tolist() == [3] * 6 + [4] * 9 + [6]


def test_c3_table_in_the_notebook_matches_the_reference():
    from pathlib import Path

    source = (Path(__file__).resolve().parent.parent / "solutions" / "05_lenet.py").read_text()
    start = source.index("C3_TABLE = np.array(")
    end = source.index("dtype=bool,\n)", start) + len("dtype=bool,\n)")
    namespace = {"np": np}
    exec(source[start:end], namespace)
    np.testing.assert_array_equal(namespace["C3_TABLE"], ref.C3_TABLE)


# --------------------------------------------------------------------------- conv_counts


TABLE_CASES = [
    ((1, 6), 5, 28, 28),
    ((6, 16), 5, 10, 10),
    ((3, 4), 3, 7, 5),
    ((5, 2), 2, 1, 9),
    ((16, 120), 5, 1, 1),
    ((120, 84), 1, 1, 1),
    ((4, 7), 7, 3, 2),
]


@pytest.mark.parametrize(("shape", "k", "H", "W"), TABLE_CASES)
def test_conv_counts_matches_loop(shape, k, H, W):
    rng = np.random.default_rng(hash((shape, k, H, W)) % 2**32)
    for density in (0.3, 0.7, 1.0):
        table = rng.random(shape) < density
        assert ref.conv_counts(table, k, H, W) == conv_counts_loop(table.tolist(), k, H, W)


@pytest.mark.parametrize(("shape", "k", "H", "W"), [c for c in TABLE_CASES if c[0][1] <= 16])
def test_conv_counts_connections_match_the_jacobian(shape, k, H, W):
    rng = np.random.default_rng(7)
    table = rng.random(shape) < 0.6
    table[0] = True
    assert ref.conv_counts(table, k, H, W)[1] == connections_from_jacobian(table, k, H, W)


def test_conv_counts_c3_jacobian():
    assert ref.conv_counts(ref.C3_TABLE, 5, 10, 10) == (1_516, 151_600)
    assert connections_from_jacobian(ref.C3_TABLE, 5, 10, 10) == 151_600


def test_conv_counts_parameters_match_torch():
    torch = pytest.importorskip("torch")
    for C_in, C_out, k in [(1, 6, 5), (6, 16, 5), (16, 120, 5), (3, 8, 5), (2, 3, 1)]:
        conv = torch.nn.Conv2d(C_in, C_out, k)
        full = np.ones((C_in, C_out), dtype=bool)
        assert ref.conv_counts(full, k, 1, 1)[0] == sum(p.numel() for p in conv.parameters())


@pytest.mark.parametrize(
    "args",
    [
        (np.ones(6, dtype=bool), 5, 4, 4),
        (np.ones((2, 3, 1), dtype=bool), 5, 4, 4),
        (np.full((2, 3), 2), 5, 4, 4),
        (np.ones((2, 3), dtype=bool), 0, 4, 4),
        (np.ones((2, 3), dtype=bool), 5, 0, 4),
        (np.ones((2, 3), dtype=bool), 5, 4, -2),
        (np.ones((2, 3), dtype=bool), 2.5, 4, 4),
        (np.ones((2, 3), dtype=bool), True, 4, 4),
    ],
)
def test_conv_counts_rejects_bad_input(args):
    with pytest.raises(ValueError):
        ref.conv_counts(*args)


# --------------------------------------------------------------------------- lenet5_counts

PUBLISHED = {  # LeCun et al. 1998, section II.B
    "C1": ((6, 28, 28), 156, 122_304),
    "S2": ((6, 14, 14), 12, 5_880),
    "C3": ((16, 10, 10), 1_516, 151_600),
    "S4": ((16, 5, 5), 32, 2_000),
    "C5": ((120, 1, 1), 48_120, 48_120),
    "F6": ((84,), 10_164, 10_164),
    "OUTPUT": ((10,), 0, 840),
}


def test_lenet5_counts_are_the_published_figures():
    counts = ref.lenet5_counts()
    assert counts == PUBLISHED
    assert ref.LENET5_PUBLISHED == PUBLISHED
    assert sum(p for _, p, _ in counts.values()) == 60_000  # "60,000 trainable parameters"
    assert sum(c for _, _, c in counts.values()) == 340_908  # "340,908 connections"


def test_lenet5_counts_with_a_full_c3():
    counts = ref.lenet5_counts(np.ones((6, 16), dtype=bool))
    assert counts["C3"] == ((16, 10, 10), 2_416, 241_600)
    assert {k: v for k, v in counts.items() if k != "C3"} == {
        k: v for k, v in PUBLISHED.items() if k != "C3"
    }


def test_lenet5_counts_match_torch_layers():
    """C1, C3 (masked), C5 and F6 built in torch.nn: parameters and output shapes."""
    torch = pytest.importorskip("torch")
    x = torch.zeros(1, 1, 32, 32)
    c1 = torch.nn.Conv2d(1, 6, 5)
    c3 = torch.nn.Conv2d(6, 16, 5)
    c5 = torch.nn.Conv2d(16, 120, 5)
    f6 = torch.nn.Linear(120, 84)
    s2 = c1(x)[:, :, ::2, ::2]
    s4 = c3(s2)[:, :, ::2, ::2]
    counts = ref.lenet5_counts()
    assert tuple(c1(x).shape[1:]) == counts["C1"][0]
    assert tuple(s2.shape[1:]) == counts["S2"][0]
    assert tuple(c3(s2).shape[1:]) == counts["C3"][0]
    assert tuple(s4.shape[1:]) == counts["S4"][0]
    assert tuple(c5(s4).shape[1:]) == counts["C5"][0]
    assert counts["C1"][1] == sum(p.numel() for p in c1.parameters())
    assert counts["C3"][1] == 25 * int(ref.C3_TABLE.sum()) + c3.bias.numel()
    assert counts["C5"][1] == sum(p.numel() for p in c5.parameters())
    assert counts["F6"][1] == sum(p.numel() for p in f6.parameters())


def test_lenet5_counts_rejects_a_wrong_table_shape():
    with pytest.raises(ValueError):
        ref.lenet5_counts(np.ones((16, 6), dtype=bool))


# --------------------------------------------------------------------------- layer_table

NG_PUBLISHED = [  # Andrew Ng's table, corrected (activation shapes as (C, H, W))
    ((8, 28, 28), 6_272, 608),
    ((8, 14, 14), 1_568, 0),
    ((16, 10, 10), 1_600, 3_216),
    ((16, 5, 5), 400, 0),
    ((120,), 120, 48_120),
    ((84,), 84, 10_164),
    ((10,), 10, 850),
]


def test_layer_table_ng():
    assert ref.layer_table(ref.NG_LAYERS, ref.NG_INPUT) == NG_PUBLISHED
    assert ref.NG_PUBLISHED == NG_PUBLISHED
    assert sum(p for *_, p in NG_PUBLISHED) == 62_958


def torch_table(layers, input_shape):
    """Run the network in torch.nn on zeros: output shapes and parameter counts."""
    torch = pytest.importorskip("torch")
    x = torch.zeros(1, *input_shape)
    rows = []
    for spec in layers:
        kind = spec[0]
        if kind == "conv":
            s, p = (spec[3], spec[4]) if len(spec) == 5 else (1, 0)
            layer = torch.nn.Conv2d(x.shape[1], spec[1], spec[2], stride=s, padding=p)
        elif kind == "pool":
            layer = torch.nn.MaxPool2d(spec[1], stride=spec[2] if len(spec) == 3 else spec[1])
        else:
            x = x.reshape(1, -1)
            layer = torch.nn.Linear(x.shape[1], spec[1])
        x = layer(x)
        shape = tuple(x.shape[1:])
        rows.append((shape, math.prod(shape), sum(p.numel() for p in layer.parameters())))
    return rows


NETWORKS = [
    (ref.NG_LAYERS, (3, 32, 32)),
    (ref.NG_LAYERS, (1, 32, 32)),
    ([("conv", 4, 3, 2, 1), ("pool", 3, 2), ("conv", 5, 2), ("fc", 7)], (3, 17, 12)),
    ([("conv", 8, 5, 1, 2), ("conv", 6, 3, 2, 0), ("pool", 2, 1), ("fc", 3)], (2, 9, 14)),
    ([("fc", 5), ("fc", 2)], (3, 4, 4)),
    ([("conv", 3, 7)], (2, 7, 7)),
    ([("pool", 4), ("conv", 2, 1)], (5, 8, 12)),
    ([("conv", 16, 3, 1, 1), ("conv", 16, 3, 1, 1), ("pool", 2), ("fc", 10)], (3, 8, 8)),
]


@pytest.mark.parametrize(("layers", "shape"), NETWORKS)
def test_layer_table_matches_torch(layers, shape):
    assert ref.layer_table(layers, shape) == torch_table(layers, shape)


@pytest.mark.parametrize(
    ("layers", "shape"),
    [
        ([("dense", 10)], (3, 32, 32)),
        ([("conv", 4, 9)], (1, 8, 8)),
        ([("pool", 3)], (1, 2, 8)),
        ([("fc", 10), ("conv", 4, 1)], (1, 4, 4)),
        ([("fc", 10), ("pool", 2)], (1, 4, 4)),
        ([("conv", 4)], (1, 4, 4)),
        ([("conv", 4, 3)], (4, 4)),
    ],
)
def test_layer_table_rejects_bad_networks(layers, shape):
    with pytest.raises(ValueError):
        ref.layer_table(layers, shape)


# --------------------------------------------------------------------------- network


def torch_lenet(layers):
    """The same LeNet in torch.nn (float64), with the weights of the cnnkit layers."""
    torch = pytest.importorskip("torch")
    net = torch.nn.Sequential(
        torch.nn.Conv2d(1, 6, 5),
        torch.nn.ReLU(),
        torch.nn.MaxPool2d(2),
        torch.nn.Conv2d(6, 16, 5),
        torch.nn.ReLU(),
        torch.nn.MaxPool2d(2),
        torch.nn.Flatten(),
        torch.nn.Linear(400, 120),
        torch.nn.ReLU(),
        torch.nn.Linear(120, 84),
        torch.nn.ReLU(),
        torch.nn.Linear(84, 10),
    ).double()
    with torch.no_grad():
        for mine, theirs in zip(layers, net, strict=True):
            if "W" in mine.params:
                W = torch.tensor(mine.params["W"])
                theirs.weight.copy_(W if W.ndim == 4 else W.T)  # cnnkit Linear: (D, M)
                theirs.bias.copy_(torch.tensor(mine.params["b"]))
    return net


def torch_grads(net):
    out = []
    for layer in net:
        if hasattr(layer, "weight"):
            gW = layer.weight.grad.numpy()
            out += [gW if gW.ndim == 4 else gW.T, layer.bias.grad.numpy()]
    return out


def test_build_lenet_shapes_and_count():
    layers = ref.build_lenet(0)
    assert len(layers) == 12
    assert sum(p.size for layer in layers for p in layer.params.values()) == 61_706
    assert all(p.dtype == np.float32 for layer in layers for p in layer.params.values())
    scores = ref.forward(layers, np.zeros((3, 1, 32, 32), dtype=np.float32))
    assert scores.shape == (3, 10) and scores.dtype == np.float32
    pytest.importorskip("torch")
    assert sum(p.numel() for p in torch_lenet(ref.build_lenet(0, np.float64)).parameters()) == (
        61_706
    )


def test_build_lenet_is_reproducible_and_layers_differ():
    a, b = ref.build_lenet(3), ref.build_lenet(3)
    for x, y in zip(a, b, strict=True):
        for key in x.params:
            np.testing.assert_array_equal(x.params[key], y.params[key])
    assert not np.allclose(
        a[0].params["W"].ravel()[:6], ref.build_lenet(4)[0].params["W"].ravel()[:6]
    )


@pytest.mark.parametrize("N", [1, 4])
def test_forward_loss_backward_match_torch(N):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(N)
    layers = ref.build_lenet(rng, np.float64)
    for layer in layers:  # nonzero biases, so that their gradients are tested too
        if "b" in layer.params:
            layer.params["b"][...] = rng.standard_normal(layer.params["b"].shape) * 0.1
    X = rng.random((N, 1, 32, 32))
    y = rng.integers(0, 10, N)
    scores = ref.forward(layers, X)
    loss, dscores = ref.softmax_cross_entropy(scores, y)
    dX = ref.backward(layers, dscores)

    net = torch_lenet(layers)
    Xt = torch.tensor(X, requires_grad=True)
    t_scores = net(Xt)
    t_loss = torch.nn.functional.cross_entropy(t_scores, torch.tensor(y))
    t_loss.backward()
    np.testing.assert_allclose(scores, t_scores.detach().numpy(), rtol=1e-10, atol=1e-12)
    assert loss == pytest.approx(t_loss.item(), rel=1e-10)
    np.testing.assert_allclose(dX, Xt.grad.numpy(), rtol=1e-10, atol=1e-13)
    mine = [layer.grads[k] for layer in layers for k in layer.params]
    for a, b in zip(mine, torch_grads(net), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-13)


def test_backward_matches_finite_differences():
    """Small stack in float64: dX and dW against centered differences."""
    from cnnkit.modules import Conv2d, Flatten, Linear, MaxPool2d, ReLU

    rng = np.random.default_rng(11)
    layers = [
        Conv2d(2, 3, 3, pad=1, rng=rng, dtype=np.float64),
        ReLU(),
        MaxPool2d(2),
        Flatten(),
        Linear(3 * 2 * 2, 4, rng=rng, dtype=np.float64),
    ]
    X = rng.standard_normal((2, 2, 4, 4))
    y = np.array([1, 3])

    def loss_at(Z):
        return ref.softmax_cross_entropy(ref.forward(layers, Z), y)[0]

    loss, dscores = ref.softmax_cross_entropy(ref.forward(layers, X), y)
    dX = ref.backward(layers, dscores)
    dW = layers[0].grads["W"].copy()
    h = 1e-6
    num = np.zeros_like(X)
    for idx in np.ndindex(X.shape):
        Xp, Xm = X.copy(), X.copy()
        Xp[idx] += h
        Xm[idx] -= h
        num[idx] = (loss_at(Xp) - loss_at(Xm)) / (2 * h)
    assert np.linalg.norm(dX - num) / (np.linalg.norm(dX) + np.linalg.norm(num)) < 1e-7
    W = layers[0].params["W"]
    numW = np.zeros_like(W)
    for idx in np.ndindex(W.shape):
        old = W[idx]
        W[idx] = old + h
        plus = loss_at(X)
        W[idx] = old - h
        minus = loss_at(X)
        W[idx] = old
        numW[idx] = (plus - minus) / (2 * h)
    assert np.linalg.norm(dW - numW) / (np.linalg.norm(dW) + np.linalg.norm(numW)) < 1e-7


# --------------------------------------------------------------------------- loss


def softmax_ce_loop(scores, y):
    N, K = scores.shape
    loss, d = 0.0, np.zeros((N, K))
    for n in range(N):
        m = max(scores[n])
        total = sum(math.exp(s - m) for s in scores[n])
        loss += -(scores[n, y[n]] - m - math.log(total)) / N
        for k in range(K):
            d[n, k] = (math.exp(scores[n, k] - m) / total - (k == y[n])) / N
    return loss, d


@pytest.mark.parametrize(("N", "K"), [(1, 1), (1, 3), (4, 10), (7, 2), (16, 5)])
def test_softmax_cross_entropy_matches_loop_and_torch(N, K):
    rng = np.random.default_rng(N * 100 + K)
    scores = rng.standard_normal((N, K)) * 4
    y = rng.integers(0, K, N)
    loss, d = ref.softmax_cross_entropy(scores, y)
    loss_l, d_l = softmax_ce_loop(scores, y)
    assert loss == pytest.approx(loss_l, rel=1e-12, abs=1e-15)
    np.testing.assert_allclose(d, d_l, rtol=1e-10, atol=1e-15)
    torch = pytest.importorskip("torch")
    s = torch.tensor(scores, requires_grad=True)
    t = torch.nn.functional.cross_entropy(s, torch.tensor(y))
    t.backward()
    assert loss == pytest.approx(t.item(), rel=1e-12, abs=1e-15)
    np.testing.assert_allclose(d, s.grad.numpy(), rtol=1e-10, atol=1e-15)


def test_softmax_cross_entropy_worked_example_and_stability():
    scores = np.array([[2.0, 1.0, 0.0], [0.0, 0.0, 0.0]])
    y = np.array([0, 2])
    want = (math.log(math.e**2 + math.e + 1) - 2 + math.log(3)) / 2
    for shift in (0.0, 1000.0, -1000.0):
        loss, _ = ref.softmax_cross_entropy(scores + shift, y)  # RuntimeWarning -> error
        assert loss == pytest.approx(want, rel=1e-12)
    loss, d = ref.softmax_cross_entropy(np.array([[1000.0, 0.0, -1000.0]]), np.array([2]))
    assert loss == pytest.approx(2000.0)
    assert np.all(np.isfinite(d))


def test_softmax_cross_entropy_gradient_by_finite_differences():
    rng = np.random.default_rng(3)
    scores, y = rng.standard_normal((5, 4)), rng.integers(0, 4, 5)
    _, d = ref.softmax_cross_entropy(scores, y)
    num = np.zeros_like(scores)
    h = 1e-5
    for idx in np.ndindex(scores.shape):
        sp, sm = scores.copy(), scores.copy()
        sp[idx] += h
        sm[idx] -= h
        num[idx] = (ref.softmax_cross_entropy(sp, y)[0] - ref.softmax_cross_entropy(sm, y)[0]) / (
            2 * h
        )
    assert np.linalg.norm(d - num) / (np.linalg.norm(d) + np.linalg.norm(num)) < 1e-7


@pytest.mark.parametrize(
    ("scores", "y"),
    [
        (np.zeros((3, 4)), np.array([0, 1])),
        (np.zeros((2, 4)), np.array([0, 4])),
        (np.zeros((2, 4)), np.array([-1, 0])),
        (np.zeros((2, 4)), np.array([0.0, 1.0])),
        (np.zeros(4), np.array([0])),
    ],
)
def test_softmax_cross_entropy_rejects_bad_labels(scores, y):
    with pytest.raises(ValueError):
        ref.softmax_cross_entropy(scores, y)


# --------------------------------------------------------------------------- sgd


def test_sgd_momentum_worked_example():
    p, v = ref.sgd_momentum(
        np.array([1.0, -2.0]), np.array([0.5, -1.0]), np.array([0.1, 0.0]), 0.1, 0.9
    )
    np.testing.assert_allclose(v, [0.04, 0.1], rtol=1e-12)
    np.testing.assert_allclose(p, [1.04, -1.9], rtol=1e-12)


@pytest.mark.parametrize(("lr", "mu"), [(0.1, 0.9), (0.5, 0.0), (0.01, 0.99), (0.3, 0.5)])
def test_sgd_momentum_matches_torch_for_a_constant_learning_rate(lr, mu):
    """Same parameters at every step; our velocity is -lr times torch's momentum buffer."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(int(lr * 1000 + mu * 100))
    p0 = rng.standard_normal((3, 4))
    grads = [rng.standard_normal((3, 4)) for _ in range(6)]
    p, v = p0.copy(), np.zeros_like(p0)
    tp = torch.tensor(p0.copy(), requires_grad=True)
    opt = torch.optim.SGD([tp], lr=lr, momentum=mu)
    for g in grads:
        p, v = ref.sgd_momentum(p, g, v, lr, mu)
        tp.grad = torch.tensor(g)
        opt.step()
        np.testing.assert_allclose(p, tp.detach().numpy(), rtol=1e-10, atol=1e-12)
        if mu:
            np.testing.assert_allclose(
                v, -lr * opt.state[tp]["momentum_buffer"].numpy(), rtol=1e-10, atol=1e-13
            )


def test_sgd_momentum_differs_from_torch_when_the_learning_rate_changes():
    """Documented in the chapter: PyTorch rescales the whole buffer with the new lr."""
    torch = pytest.importorskip("torch")
    p, v = np.array([1.0]), np.zeros(1)
    tp = torch.tensor([1.0], dtype=torch.float64, requires_grad=True)
    opt = torch.optim.SGD([tp], lr=0.1, momentum=0.9)
    for lr in (0.1, 0.05):
        p, v = ref.sgd_momentum(p, np.array([1.0]), v, lr, 0.9)
        for group in opt.param_groups:
            group["lr"] = lr
        tp.grad = torch.tensor([1.0], dtype=torch.float64)
        opt.step()
    # ours: 1 - 0.1 + (0.9 * -0.1 - 0.05) = 0.76; torch: 1 - 0.1 - 0.05 * 1.9 = 0.805
    assert p[0] == pytest.approx(0.76)
    assert tp.item() == pytest.approx(0.805)


def test_sgd_momentum_loop_and_terminal_step():
    """With a constant gradient the step tends to lr * g / (1 - mu)."""
    p, v = np.zeros(1), np.zeros(1)
    for _ in range(400):
        p_old = p
        p, v = ref.sgd_momentum(p, np.ones(1), v, 0.1, 0.9)
    assert (p - p_old)[0] == pytest.approx(-0.1 / (1 - 0.9), rel=1e-9)


@pytest.mark.parametrize(
    "args",
    [
        (np.ones(3), np.ones(3), np.ones(3), 0.0, 0.9),
        (np.ones(3), np.ones(3), np.ones(3), -1.0, 0.9),
        (np.ones(3), np.ones(3), np.ones(3), 0.1, 1.0),
        (np.ones(3), np.ones(3), np.ones(3), 0.1, -0.1),
        (np.ones(3), np.ones(4), np.ones(3), 0.1, 0.9),
        (np.ones(3), np.ones(3), np.ones((3, 1)), 0.1, 0.9),
    ],
)
def test_sgd_momentum_rejects_bad_input(args):
    with pytest.raises(ValueError):
        ref.sgd_momentum(*args)


# --------------------------------------------------------------------------- train_step


def test_train_step_worked_example_literals():
    """The values of the visible test, recomputed (they were taken from torch)."""
    from cnnkit.modules import Linear

    lin = [Linear(2, 2, dtype=np.float64)]
    lin[0].params["W"][...] = [[0.1, -0.2], [0.3, 0.0]]
    vel = ref.init_velocities(lin)
    X, y = np.array([[1.0, 2.0], [0.0, -1.0]]), np.array([0, 1])
    losses = [ref.train_step(lin, vel, X, y, 0.5, 0.9) for _ in range(2)]
    np.testing.assert_allclose(losses, [0.44775455960030747, 0.23961773318528204], rtol=1e-12)
    np.testing.assert_allclose(
        lin[0].params["W"],
        [[0.2676305550566349, -0.3676305550566349], [0.9112101865054933, -0.6112101865054933]],
        rtol=1e-12,
    )
    # the "loss after the update" misconception value of the visible test
    after = ref.softmax_cross_entropy(ref.forward(lin, X), y)[0]
    assert after == pytest.approx(0.0963461477745112, rel=1e-12)


def test_train_step_matches_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(12)
    layers = ref.build_lenet(rng, np.float64)
    net = torch_lenet(layers)
    opt = torch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9)
    velocities = ref.init_velocities(layers)
    for step in range(3):
        X = rng.random((8, 1, 32, 32))
        y = rng.integers(0, 10, 8)
        loss = ref.train_step(layers, velocities, X, y, 0.05, 0.9)
        opt.zero_grad()
        t_loss = torch.nn.functional.cross_entropy(net(torch.tensor(X)), torch.tensor(y))
        t_loss.backward()
        opt.step()
        assert loss == pytest.approx(t_loss.item(), rel=1e-10), step
        mine = torch_lenet(layers)
        for a, b in zip(mine.parameters(), net.parameters(), strict=True):
            np.testing.assert_allclose(
                a.detach().numpy(), b.detach().numpy(), rtol=1e-10, atol=1e-12
            )


def test_train_step_float32_keeps_dtype():
    layers = ref.build_lenet(0)
    velocities = ref.init_velocities(layers)
    X = np.random.default_rng(0).random((4, 1, 32, 32), dtype=np.float32)
    loss = ref.train_step(layers, velocities, X, np.array([0, 1, 2, 3]), 0.05, 0.9)
    assert isinstance(loss, float)
    assert all(p.dtype == np.float32 for layer in layers for p in layer.params.values())
    assert all(v.dtype == np.float32 for vel in velocities for v in vel.values())


# --------------------------------------------------------------------------- accuracy


def accuracy_loop(scores, y):
    right = 0
    for row, label in zip(scores, y, strict=True):
        best = 0
        for k in range(1, len(row)):
            if row[k] > row[best]:
                best = k
        right += best == label
    return right / len(y)


@pytest.mark.parametrize(("N", "K"), [(1, 3), (20, 10), (7, 2), (6, 6)])
def test_accuracy_matches_loop(N, K):
    rng = np.random.default_rng(N + K)
    scores = rng.standard_normal((N, K))
    y = rng.integers(0, K, N)
    assert ref.accuracy(scores, y) == pytest.approx(accuracy_loop(scores, y))


def test_accuracy_worked_example_and_ties():
    scores = np.array([[0.1, 2.0, -1.0], [3.0, 0.5, 0.2], [0.0, 0.1, 0.3], [1.0, 0.5, 0.0]])
    assert ref.accuracy(scores, np.array([1, 0, 2, 2])) == 0.75
    assert ref.accuracy(np.array([[1.0, 1.0]]), np.array([0])) == 1.0  # first maximum


@pytest.mark.parametrize(
    ("scores", "y"), [(np.zeros((3, 4)), np.array([0, 1])), (np.zeros(4), np.arange(4))]
)
def test_accuracy_rejects_bad_shapes(scores, y):
    with pytest.raises(ValueError):
        ref.accuracy(scores, y)
