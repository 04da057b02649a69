"""A network on the student's own layers (cnnkit.own_layers) equals cnnkit's, step for step."""

from __future__ import annotations

import numpy as np
import pytest

from cnnkit.losses import softmax_cross_entropy
from cnnkit.modules import Conv2d, Flatten, Linear, MaxPool2d, ReLU
from cnnkit.own_layers import OwnConv2d, OwnMaxPool2d, OwnReLU, step_seconds, use_own_layers

# The instructor's answers stand in for a student's package: what `./course.sh check`
# writes is the student's own code with the same names.
MINE = {
    "ch02_padding_stride.py": "conv_forward_im2col",
    "ch03_pooling.py": "maxpool_forward, maxpool_backward",
    "ch04_backpropagation.py": "conv2d_backward, relu_forward, relu_backward",
}


def _package(tmp_path, only=None):
    package = tmp_path / "mine"
    package.mkdir()
    for name, functions in MINE.items():
        if only is None or name in only:
            ref = f"autograder.reference.{name[:-3]}"
            (package / name).write_text(f"from {ref} import {functions}\n")
    return package


def _lenet(dtype):
    rng = np.random.default_rng(0)
    return [
        Conv2d(1, 6, 5, pad=2, rng=rng, dtype=dtype),
        ReLU(),
        MaxPool2d(2),
        Conv2d(6, 16, 5, rng=rng, dtype=dtype),
        ReLU(),
        MaxPool2d(2),
        Flatten(),
        Linear(16 * 5 * 5, 10, rng=rng, dtype=dtype),
    ]


def _step(layers, X, y):
    out = X
    for layer in layers:
        out = layer.forward(out)
    loss, dout = softmax_cross_entropy(out, y)
    for layer in reversed(layers):
        dout = layer.backward(dout)
    return loss, [g.copy() for layer in layers for g in layer.grads.values()]


def test_own_layers_give_cnnkits_loss_and_gradients(tmp_path, capsys):
    X = np.random.default_rng(1).standard_normal((4, 1, 28, 28))
    y = np.array([0, 3, 7, 9])
    base = _lenet(np.float64)
    own, whose = use_own_layers(base, package=_package(tmp_path))
    assert whose == {"convolution": "yours", "max pooling": "yours", "ReLU": "yours"}
    kinds = [type(layer) for layer in own]
    assert kinds.count(OwnConv2d) == 2 and kinds.count(OwnMaxPool2d) == 2
    assert kinds.count(OwnReLU) == 2 and isinstance(own[-1], Linear)
    assert own[0].params is base[0].params, "the parameters are shared"
    loss_own, grads_own = _step(own, X, y)
    loss_ref, grads_ref = _step(base, X, y)
    assert abs(loss_own - loss_ref) < 1e-12
    for a, b in zip(grads_own, grads_ref, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)
    assert "convolution  yours" in capsys.readouterr().out


def test_a_kind_needs_both_of_its_functions(tmp_path, capsys):
    package = _package(tmp_path, only={"ch02_padding_stride.py", "ch03_pooling.py"})
    own, whose = use_own_layers(_lenet(np.float32), package=package)
    assert whose == {"convolution": "cnnkit", "max pooling": "yours", "ReLU": "cnnkit"}
    assert type(own[0]) is Conv2d and type(own[2]) is OwnMaxPool2d
    out = capsys.readouterr().out
    assert "conv2d_backward not found" in out
    X = np.random.default_rng(2).standard_normal((2, 1, 28, 28)).astype(np.float32)
    loss, grads = _step(own, X, np.array([1, 2]))
    assert np.isfinite(loss) and all(g.dtype == np.float32 for g in grads)


def test_no_package_means_cnnkit_everywhere(tmp_path):
    layers = _lenet(np.float32)
    own, whose = use_own_layers(layers, package=tmp_path / "nothing", quiet=True)
    assert set(whose.values()) == {"cnnkit"}
    assert all(a is b for a, b in zip(own, layers, strict=True))


def test_unequal_strides_are_refused(tmp_path):
    layers = [Conv2d(1, 2, 3, stride=(1, 2), rng=0)]
    with pytest.raises(ValueError, match="one stride for both axes"):
        use_own_layers(layers, package=_package(tmp_path), quiet=True)


def test_step_seconds_times_a_real_pass():
    layers = _lenet(np.float32)
    X = np.zeros((2, 1, 28, 28), np.float32)
    seconds = step_seconds(layers, X, lambda s: np.ones_like(s) / s.size, repeat=1)
    assert 0 < seconds < 60 and layers[0].grads["W"].shape == (6, 1, 5, 5)
