"""Layer classes and SGD: initialization, a whole network's gradient, the update rule, training."""

import math

import numpy as np
import pytest
from loop_oracles import numeric_grad, rel_error

from cnnkit.losses import softmax_cross_entropy
from cnnkit.modules import (
    SGD,
    AvgPool2d,
    Conv2d,
    Flatten,
    Linear,
    MaxPool2d,
    ReLU,
    Sequential,
)


def small_net(rng, dtype):
    return Sequential(
        Conv2d(2, 3, 3, pad=1, rng=rng, dtype=dtype),
        ReLU(),
        MaxPool2d(2),
        Conv2d(3, 4, (2, 2), stride=(1, 2), rng=rng, dtype=dtype),
        ReLU(),
        AvgPool2d((1, 2), stride=1),
        Flatten(),
        Linear(4 * 2 * 1, 5, rng=rng, dtype=dtype),
    )


def test_he_init_scale_dtype_and_reproducibility():
    conv = Conv2d(64, 32, 3, rng=np.random.default_rng(0), dtype=np.float32)
    W = conv.params["W"]
    assert W.shape == (32, 64, 3, 3) and W.dtype == np.float32
    assert W.std() == pytest.approx(math.sqrt(2 / (64 * 9)), rel=0.03)
    assert abs(W.mean()) < 0.01
    np.testing.assert_array_equal(conv.params["b"], np.zeros(32))
    again = Conv2d(64, 32, 3, rng=np.random.default_rng(0), dtype=np.float32)
    np.testing.assert_array_equal(again.params["W"], W)

    fc = Linear(500, 300, rng=np.random.default_rng(1), dtype=np.float64)
    assert fc.params["W"].shape == (500, 300) and fc.params["W"].dtype == np.float64
    assert fc.params["W"].std() == pytest.approx(math.sqrt(2 / 500), rel=0.03)


def test_output_shapes_of_a_lenet():
    rng = np.random.default_rng(0)
    model = Sequential(
        Conv2d(1, 6, 5, rng=rng), ReLU(), MaxPool2d(2),
        Conv2d(6, 16, 5, rng=rng), ReLU(), MaxPool2d(2),
        Conv2d(16, 120, 5, rng=rng), ReLU(), Flatten(),
        Linear(120, 84, rng=rng), ReLU(), Linear(84, 10, rng=rng),
    )  # fmt: skip
    X = np.zeros((3, 1, 32, 32), dtype=np.float32)
    assert model(X).shape == (3, 10)
    assert model[0](X).shape == (3, 6, 28, 28)
    # 156 + 2416 + 48120 + 10164 + 850 parameters
    assert sum(p.size for p in model.params.values()) == 61706


def test_sequential_backward_matches_finite_differences():
    rng = np.random.default_rng(0)
    model = small_net(rng, np.float64)
    X = rng.standard_normal((2, 2, 6, 8))
    y = np.array([1, 4])

    def loss():
        return softmax_cross_entropy(model.forward(X), y)[0]

    _, dscores = softmax_cross_entropy(model.forward(X), y)
    dX = model.backward(dscores)
    assert dX.shape == X.shape
    assert set(model.grads) == set(model.params) == {
        "0.W", "0.b", "3.W", "3.b", "7.W", "7.b"
    }  # fmt: skip
    analytic = {name: g.copy() for name, g in model.grads.items()}
    assert rel_error(dX, numeric_grad(loss, X)) < 1e-7
    for name, p in model.params.items():
        assert rel_error(analytic[name], numeric_grad(loss, p)) < 1e-7, name


def test_sgd_update_rule_by_hand():
    layer = Linear(1, 1, rng=0, dtype=np.float64)
    layer.params["W"][...] = 1.0
    layer.grads = {"W": np.array([[1.0]]), "b": np.array([0.0])}
    opt = SGD(layer, lr=0.1, momentum=0.9)
    opt.step()  # v = 1;           W = 1 - 0.1*1 = 0.9
    assert layer.params["W"][0, 0] == pytest.approx(0.9)
    opt.step()  # v = 0.9*1 + 1;   W = 0.9 - 0.1*1.9 = 0.71
    assert layer.params["W"][0, 0] == pytest.approx(0.71)

    plain = Linear(1, 1, rng=0, dtype=np.float64)
    plain.params["W"][...] = 2.0
    plain.grads = {"W": np.array([[0.5]]), "b": np.array([0.0])}
    SGD(plain, lr=0.1, weight_decay=0.25).step()  # g = 0.5 + 0.25*2 = 1; W = 2 - 0.1
    assert plain.params["W"][0, 0] == pytest.approx(1.9)


def test_sgd_matches_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    f64 = np.float64
    model = Sequential(Linear(4, 3, rng=rng, dtype=f64), ReLU(), Linear(3, 2, rng=rng, dtype=f64))
    t_params = {k: torch.tensor(v.copy(), requires_grad=True) for k, v in model.params.items()}
    opt = SGD(model, lr=0.05, momentum=0.8, weight_decay=0.01)
    t_opt = torch.optim.SGD(t_params.values(), lr=0.05, momentum=0.8, weight_decay=0.01)
    for _ in range(3):
        grads = {k: rng.standard_normal(v.shape) for k, v in model.params.items()}
        model[0].grads = {"W": grads["0.W"], "b": grads["0.b"]}
        model[2].grads = {"W": grads["2.W"], "b": grads["2.b"]}
        for k, t in t_params.items():
            t.grad = torch.tensor(grads[k])
        opt.step()
        t_opt.step()
    for k, v in model.params.items():
        np.testing.assert_allclose(v, t_params[k].detach().numpy(), rtol=1e-12)


def test_sgd_updates_the_layers_arrays_in_place_and_keeps_float32():
    rng = np.random.default_rng(2)
    model = Sequential(Conv2d(1, 2, 3, rng=rng), Flatten(), Linear(2 * 4 * 4, 3, rng=rng))
    W_before = model[0].params["W"]
    copy_before = W_before.copy()
    X = rng.standard_normal((4, 1, 6, 6)).astype(np.float32)
    _, dscores = softmax_cross_entropy(model(X), np.array([0, 1, 2, 0]))
    model.backward(dscores)
    SGD(model, lr=0.1, momentum=0.9).step()
    assert model[0].params["W"] is W_before  # same array, changed in place
    assert not np.array_equal(W_before, copy_before)
    assert all(p.dtype == np.float32 for p in model.params.values())


def test_tiny_training_run_reduces_the_loss():
    # Three classes of 8x8 images: a horizontal bar, a vertical bar, or a bright
    # 3x3 square, at random positions, plus noise.
    rng = np.random.default_rng(0)
    N = 96
    y = np.arange(N) % 3
    X = 0.1 * rng.standard_normal((N, 1, 8, 8))
    for n in range(N):
        r, c = rng.integers(0, 6, size=2)
        if y[n] == 0:
            X[n, 0, r, :] += 1
        elif y[n] == 1:
            X[n, 0, :, c] += 1
        else:
            X[n, 0, r : r + 3, c : c + 3] += 1
    X = X.astype(np.float32)

    model = Sequential(
        Conv2d(1, 4, 3, pad=1, rng=rng), ReLU(), MaxPool2d(2), Flatten(), Linear(64, 3, rng=rng)
    )
    opt = SGD(model, lr=0.05, momentum=0.9)
    first_loss, _ = softmax_cross_entropy(model(X), y)
    for _ in range(20):
        for batch in np.split(rng.permutation(N), 4):
            loss, dscores = softmax_cross_entropy(model(X[batch]), y[batch])
            model.backward(dscores)
            opt.step()
    scores = model(X)
    final_loss, _ = softmax_cross_entropy(scores, y)
    assert final_loss < 0.25 * first_loss
    assert np.mean(scores.argmax(axis=1) == y) > 0.9


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda: Conv2d(0, 4, 3), r"C_in must be a positive integer"),
        (lambda: Conv2d(1, 4, (3, 3, 3)), r"kernel_size must be an integer or a pair"),
        (lambda: Conv2d(1, 4, 3, dtype=np.int32), r"dtype must be a floating dtype"),
        (lambda: Linear(10, 2.5), r"M must be an integer"),
        (lambda: MaxPool2d(0), r"size must be a positive integer"),
        (lambda: Sequential(ReLU(), "relu"), r"layers must have forward and backward"),
        (lambda: SGD(Linear(2, 2), lr=0), r"lr must be a positive number"),
        (lambda: SGD(Linear(2, 2), lr=0.1, momentum=1.0), r"momentum must be in \[0, 1\)"),
        (lambda: SGD(Linear(2, 2), lr=0.1, weight_decay=-1), r"weight_decay must be >= 0"),
    ],
)
def test_bad_construction_raises_value_error(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_backward_before_forward_is_a_clear_error():
    with pytest.raises(RuntimeError, match=r"backward called before forward"):
        Conv2d(1, 1, 3).backward(np.ones((1, 1, 1, 1)))
