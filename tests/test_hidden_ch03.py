"""Chapter 3 hidden tests: they pass the reference, name each misconception, reject library
shortcuts and let a stub's NotImplementedError through.

Candidate functions pretend to be written in a notebook: their ``__module__`` is set to
``"__main__"``, as ``expect_own_work`` requires. The reference itself is executed as
``__main__`` from its source file, so that its helpers count as notebook code too.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from autograder.checks import CheckFailed
from autograder.hidden import ch03 as hidden
from autograder.reference import ch03_pooling as ref
from cnnkit.pool import avgpool2d_backward, avgpool2d_forward, maxpool2d_backward, maxpool2d_forward
from tests.notebook_helpers import fails_with


def _reference_as_notebook():
    namespace = {"__name__": "__main__"}
    source = Path(ref.__file__).read_text(encoding="utf-8")
    exec(compile(source, "<notebook>", "exec"), namespace)
    return namespace


NB = _reference_as_notebook()


def notebook(func):
    """Mark a function as written in the student's notebook."""
    func.__module__ = "__main__"
    return func


@notebook
def stub(*args, **kwargs):
    raise NotImplementedError()


# --------------------------------------------------------------------- the reference

CHECKS = [
    (hidden.pool_output_size_hidden, "pool_output_size"),
    (hidden.maxpool_forward_random, "maxpool_forward"),
    (hidden.maxpool_forward_edge_cases, "maxpool_forward"),
    (hidden.avgpool_forward_random, "avgpool_forward"),
    (hidden.avgpool_forward_edge_cases, "avgpool_forward"),
    (hidden.maxpool_backward_random, "maxpool_backward"),
    (hidden.maxpool_backward_ties, "maxpool_backward"),
    (hidden.avgpool_backward_random, "avgpool_backward"),
    (hidden.avgpool_backward_edge_cases, "avgpool_backward"),
    (hidden.subsampling_counts_hidden, "subsampling_counts"),
]
CHECK_IDS = [check.__name__ for check, _ in CHECKS]


@pytest.mark.parametrize("check, name", CHECKS, ids=CHECK_IDS)
def test_reference_passes(check, name):
    assert NB[name].__module__ == "__main__"
    check(NB[name])


@pytest.mark.parametrize("check, name", CHECKS, ids=CHECK_IDS)
def test_stub_raises_not_implemented(check, name):
    with pytest.raises(NotImplementedError):
        check(stub)


@pytest.mark.parametrize("check, name", CHECKS, ids=CHECK_IDS)
def test_reference_module_function_is_rejected(check, name):
    """The autograder's own reference, imported instead of written."""
    fails_with(check, getattr(ref, name), "comes from autograder")


def test_understanding():
    answers = {
        "q_pool_params": 0,
        "q_pool_shape": "a",
        "q_avg_share": 2,
        "q_invalid_gradient": "c",
        "q_shift": "b",
    }
    hidden.understanding(answers)
    for question, wrong in [
        ("q_pool_params", 128),
        ("q_pool_shape", "b"),
        ("q_avg_share", 8),
        ("q_invalid_gradient", "a"),
        ("q_shift", "c"),
    ]:
        with pytest.raises(CheckFailed, match=question):
            hidden.understanding({**answers, question: wrong})


# ------------------------------------------------------------------ library shortcuts


@pytest.mark.parametrize(
    "check, library",
    [
        (hidden.maxpool_forward_random, maxpool2d_forward),
        (hidden.avgpool_forward_random, avgpool2d_forward),
        (hidden.maxpool_backward_random, maxpool2d_backward),
        (hidden.avgpool_backward_random, avgpool2d_backward),
    ],
)
def test_cnnkit_function_is_rejected(check, library):
    fails_with(check, library, "comes from cnnkit.pool")


@notebook
def maxpool_via_cnnkit(X, f=2, stride=None):
    out, cache = maxpool2d_forward(X, f, stride)
    return out, (X, f, stride or f, cache["argmax"])


@notebook
def avgpool_via_cnnkit(X, f=2, stride=None):
    out, _ = avgpool2d_forward(X, f, stride)
    return out, (np.shape(X), f, stride or f)


@notebook
def maxpool_backward_via_cnnkit(dout, cache):
    X, f, stride, max_id = cache
    inner = {"argmax": max_id, "X_shape": X.shape, "out_shape": max_id.shape}
    inner.update(dtype=np.float64, size=(f, f), stride=(stride, stride))
    return maxpool2d_backward(dout, inner)


@notebook
def maxpool_via_torch(X, f=2, stride=None):
    import torch

    out = torch.nn.functional.max_pool2d(torch.tensor(X), f, stride or f)
    return out.numpy(), None


@notebook
def avgpool_backward_via_torch(dout, cache):
    import torch

    X_shape, f, stride = cache
    X = torch.zeros(X_shape, dtype=torch.float64, requires_grad=True)
    torch.nn.functional.avg_pool2d(X, f, stride).backward(torch.tensor(dout))
    return X.grad.numpy()


@pytest.mark.parametrize(
    "check, func, name",
    [
        (hidden.maxpool_forward_random, maxpool_via_cnnkit, "maxpool2d_forward"),
        (hidden.maxpool_forward_edge_cases, maxpool_via_cnnkit, "maxpool2d_forward"),
        (hidden.avgpool_forward_random, avgpool_via_cnnkit, "avgpool2d_forward"),
        (hidden.maxpool_backward_ties, maxpool_backward_via_cnnkit, "maxpool2d_backward"),
        (hidden.maxpool_forward_random, maxpool_via_torch, "torch"),
        (hidden.avgpool_backward_random, avgpool_backward_via_torch, "torch"),
        (hidden.avgpool_backward_edge_cases, avgpool_backward_via_torch, "torch"),
    ],
)
def test_library_shortcut_is_rejected(check, func, name):
    fails_with(check, func, "calls", name)


def test_own_helper_named_like_a_library_function_is_fine():
    """A student's own helper called ``maxpool2d_forward`` is their own work."""
    namespace = {"__name__": "__main__", "np": np}
    exec(
        "def maxpool2d_forward(X, f=2, stride=None):\n"
        "    return REF(X, f, stride)\n"
        "def maxpool_forward(X, f=2, stride=None):\n"
        "    return maxpool2d_forward(X, f, stride)\n",
        namespace,
    )
    namespace["REF"] = NB["maxpool_forward"]
    hidden.maxpool_forward_random(namespace["maxpool_forward"])


# ---------------------------------------------------------------------- output size


@notebook
def size_off_by_one(n, f, stride=None):
    return (n - f) // (stride or f)


@notebook
def size_stride_is_f(n, f, stride=None):
    return (n - f) // f + 1


@notebook
def size_n_over_s(n, f, stride=None):
    return n // (stride or f)


@notebook
def size_ceil(n, f, stride=None):
    s = stride or f
    return -(-(n - f) // s) + 1


@notebook
def size_no_checks(n, f, stride=None):
    return (n - f) // (stride or f) + 1


@pytest.mark.parametrize(
    "func, phrase",
    [
        (size_off_by_one, "off by one"),
        (size_stride_is_f, "stride was ignored (windows moved by f)"),
        (size_n_over_s, "n / stride holds only when f = stride"),
        (size_ceil, "rounds down"),
        (size_no_checks, "should raise ValueError"),
    ],
)
def test_output_size_misconceptions(func, phrase):
    fails_with(hidden.pool_output_size_hidden, func, phrase)


# -------------------------------------------------------------------------- forward


def _resolve(f, stride):
    return f if stride is None else stride


@notebook
def max_stride_is_f(X, f=2, stride=None):
    return NB["maxpool_forward"](X, f, f)


@notebook
def max_stride_is_1(X, f=2, stride=None):
    return NB["maxpool_forward"](X, f, 1)


@notebook
def max_one_too_small(X, f=2, stride=None):
    out, cache = NB["maxpool_forward"](X, f, stride)
    return out[:, :, :-1, :-1], cache


@notebook
def max_across_channels(X, f=2, stride=None):
    out, cache = NB["maxpool_forward"](X, f, stride)
    return out.max(axis=1, keepdims=True), cache


@notebook
def max_across_channels_copied(X, f=2, stride=None):
    out, cache = NB["maxpool_forward"](X, f, stride)
    return np.broadcast_to(out.max(axis=1, keepdims=True), out.shape), cache


@notebook
def max_is_average(X, f=2, stride=None):
    out, _ = NB["avgpool_forward"](X, f, stride)
    return out, NB["maxpool_forward"](X, f, stride)[1]


@notebook
def max_last_tie(X, f=2, stride=None):
    out, (X64, f, s, _) = NB["maxpool_forward"](X, f, stride)
    flat = NB["windows"](X64, f, s).reshape(out.shape + (f * f,))
    last = f * f - 1 - np.argmax(flat[..., ::-1], axis=-1)
    return out, (X64, f, s, last)


@notebook
def max_id_column_major(X, f=2, stride=None):
    out, (X64, f, s, max_id) = NB["maxpool_forward"](X, f, stride)
    return out, (X64, f, s, (max_id % f) * f + max_id // f)


@notebook
def max_id_flat_in_plane(X, f=2, stride=None):
    out, (X64, f, s, max_id) = NB["maxpool_forward"](X, f, stride)
    n, c, i, j = np.indices(max_id.shape)
    return out, (X64, f, s, (i * s + max_id // f) * X64.shape[3] + (j * s + max_id % f))


@notebook
def max_returns_only_out(X, f=2, stride=None):
    return NB["maxpool_forward"](X, f, stride)[0]


@notebook
def max_cache_keeps_none(X, f=2, stride=None):
    out, (X64, f, s, max_id) = NB["maxpool_forward"](X, f, stride)
    return out, (X64, f, stride, max_id)


@notebook
def max_no_checks(X, f=2, stride=None):
    X = np.asarray(X, dtype=float)
    if X.ndim != 4:
        X = X.reshape((1,) * (4 - X.ndim) + X.shape)
    f = min(f, X.shape[2], X.shape[3])
    return NB["maxpool_forward"](X, f, stride or f)


@pytest.mark.parametrize(
    "check, func, phrase",
    [
        (hidden.maxpool_forward_random, max_stride_is_f, hidden.STRIDE_IS_F),
        (hidden.maxpool_forward_random, max_stride_is_1, hidden.STRIDE_IS_1),
        (hidden.maxpool_forward_random, max_one_too_small, "off by one"),
        (hidden.maxpool_forward_random, max_across_channels, "channels were pooled together"),
        (
            hidden.maxpool_forward_random,
            max_across_channels_copied,
            "channels were pooled together",
        ),
        (hidden.maxpool_forward_random, max_is_average, "this is average pooling"),
        (hidden.maxpool_forward_random, max_last_tie, "FIRST maximum"),
        (hidden.maxpool_forward_edge_cases, max_last_tie, "FIRST maximum"),
        (hidden.maxpool_forward_random, max_id_column_major, "row-major"),
        (hidden.maxpool_forward_random, max_id_flat_in_plane, "not the flat index in X"),
        (hidden.maxpool_forward_random, max_returns_only_out, "should return a pair (out, cache)"),
        (hidden.maxpool_forward_random, max_cache_keeps_none, "the stride actually used"),
        (hidden.maxpool_forward_edge_cases, max_no_checks, "returned '(array(1, 1, 1, 1), tuple"),
    ],
)
def test_maxpool_forward_misconceptions(check, func, phrase):
    fails_with(check, func, phrase)


@notebook
def avg_stride_is_f(X, f=2, stride=None):
    out, _ = NB["avgpool_forward"](X, f, f)
    return out, NB["avgpool_forward"](X, f, stride)[1]


@notebook
def avg_is_sum(X, f=2, stride=None):
    out, cache = NB["avgpool_forward"](X, f, stride)
    return out * f * f, cache


@notebook
def avg_across_channels(X, f=2, stride=None):
    out, cache = NB["avgpool_forward"](X, f, stride)
    return out.mean(axis=1), cache


@notebook
def avg_one_too_large(X, f=2, stride=None):
    out, cache = NB["avgpool_forward"](X, f, stride)
    return np.pad(out, ((0, 0), (0, 0), (0, 1), (0, 1))), cache


@notebook
def avg_is_max(X, f=2, stride=None):
    out, _ = NB["maxpool_forward"](X, f, stride)
    return out, NB["avgpool_forward"](X, f, stride)[1]


@notebook
def avg_cache_wrong(X, f=2, stride=None):
    out, _ = NB["avgpool_forward"](X, f, stride)
    return out, (np.asarray(X), f, stride)


@pytest.mark.parametrize(
    "check, func, phrase",
    [
        (hidden.avgpool_forward_random, avg_stride_is_f, hidden.STRIDE_IS_F),
        (hidden.avgpool_forward_random, avg_is_sum, "window sum"),
        (hidden.avgpool_forward_random, avg_across_channels, "channel axis was dropped"),
        (hidden.avgpool_forward_random, avg_one_too_large, "off by one"),
        (hidden.avgpool_forward_random, avg_is_max, "this is max pooling"),
        (hidden.avgpool_forward_edge_cases, avg_cache_wrong, "(X.shape, f, stride)"),
    ],
)
def test_avgpool_forward_misconceptions(check, func, phrase):
    fails_with(check, func, phrase)


# ------------------------------------------------------------------------- backward


@notebook
def max_backward_all_ties(dout, cache):
    """The popular mask ``window == window.max()``: every tied maximum gets the gradient."""
    X, f, stride, max_id = cache
    N, C, Ho, Wo = max_id.shape
    dout = np.asarray(dout, dtype=float)
    if dout.shape != max_id.shape:
        raise ValueError("dout has the wrong shape")
    dX = np.zeros(X.shape)
    for i in range(Ho):
        for j in range(Wo):
            window = X[:, :, i * stride : i * stride + f, j * stride : j * stride + f]
            mask = window == window.max(axis=(2, 3), keepdims=True)
            dX[:, :, i * stride : i * stride + f, j * stride : j * stride + f] += (
                mask * dout[:, :, i, j, None, None]
            )
    return dX


@notebook
def max_backward_overwrite(dout, cache):
    """``dX[window] = ...`` instead of ``+=``."""
    X, f, stride, max_id = cache
    N, C, Ho, Wo = max_id.shape
    dout = np.asarray(dout, dtype=float)
    if dout.shape != max_id.shape:
        raise ValueError("dout has the wrong shape")
    dX = np.zeros(X.shape)
    for i in range(Ho):
        for j in range(Wo):
            one_hot = (np.arange(f * f) == max_id[:, :, i, j, None]).reshape(N, C, f, f)
            dX[:, :, i * stride : i * stride + f, j * stride : j * stride + f] = (
                one_hot * dout[:, :, i, j, None, None]
            )
    return dX


@notebook
def max_backward_last_tie(dout, cache):
    X, f, stride, _ = cache
    _, (_, _, _, first) = NB["maxpool_forward"](X, f, stride)
    flat = NB["windows"](X, f, stride).reshape(first.shape + (f * f,))
    last = f * f - 1 - np.argmax(flat[..., ::-1], axis=-1)
    return NB["maxpool_backward"](dout, (X, f, stride, last))


@notebook
def max_backward_is_average(dout, cache):
    X, f, stride, _ = cache
    return NB["avgpool_backward"](dout, (X.shape, f, stride))


@notebook
def max_backward_cropped(dout, cache):
    X, f, stride, max_id = cache
    dX = NB["maxpool_backward"](dout, cache)
    Ho, Wo = max_id.shape[2:]
    return dX[:, :, : (Ho - 1) * stride + f, : (Wo - 1) * stride + f]


@notebook
def max_backward_no_shape_check(dout, cache):
    X, f, stride, max_id = cache
    if np.shape(dout) != max_id.shape:  # silently makes do with the wrong shape
        dout = np.resize(dout, max_id.shape)
    return NB["maxpool_backward"](dout, cache)


@pytest.mark.parametrize(
    "check, func, phrase",
    [
        (hidden.maxpool_backward_ties, max_backward_all_ties, "copied to every tied maximum"),
        (hidden.maxpool_backward_random, max_backward_overwrite, "SUM of their gradients"),
        (hidden.maxpool_backward_ties, max_backward_overwrite, "SUM of their gradients"),
        (hidden.maxpool_backward_ties, max_backward_last_tie, "last maximum"),
        (hidden.maxpool_backward_random, max_backward_is_average, "average-pooling gradient"),
        (hidden.maxpool_backward_random, max_backward_cropped, "no window reaches"),
        (hidden.maxpool_backward_ties, max_backward_no_shape_check, "should raise ValueError"),
    ],
)
def test_maxpool_backward_misconceptions(check, func, phrase):
    fails_with(check, func, phrase)


def test_all_ties_mask_is_right_without_ties():
    """Without ties the popular mask is correct: only the ties check can catch it."""
    hidden.maxpool_backward_random(max_backward_all_ties)


@notebook
def avg_backward_not_divided(dout, cache):
    X_shape, f, stride = cache
    return NB["avgpool_backward"](dout, cache) * f * f


@notebook
def avg_backward_divided_by_f(dout, cache):
    X_shape, f, stride = cache
    return NB["avgpool_backward"](dout, cache) * f


@notebook
def avg_backward_overwrite(dout, cache):
    X_shape, f, stride = cache
    N, C, H, W = X_shape
    Ho, Wo = (H - f) // stride + 1, (W - f) // stride + 1
    dout = np.asarray(dout, dtype=float)
    if dout.shape != (N, C, Ho, Wo):
        raise ValueError("dout has the wrong shape")
    dX = np.zeros(X_shape)
    for i in range(Ho):
        for j in range(Wo):
            dX[:, :, i * stride : i * stride + f, j * stride : j * stride + f] = dout[
                :, :, i, j, None, None
            ] / (f * f)
    return dX


@notebook
def avg_backward_no_shape_check(dout, cache):
    X_shape, f, stride = cache
    N, C, H, W = X_shape
    Ho, Wo = (H - f) // stride + 1, (W - f) // stride + 1
    if np.shape(dout) != (N, C, Ho, Wo):  # silently makes do with the wrong shape
        dout = np.resize(dout, (N, C, Ho, Wo))
    return NB["avgpool_backward"](dout, cache)


@pytest.mark.parametrize(
    "check, func, phrase",
    [
        (hidden.avgpool_backward_random, avg_backward_not_divided, "not divided"),
        (hidden.avgpool_backward_edge_cases, avg_backward_not_divided, "sum(dX)"),
        (hidden.avgpool_backward_edge_cases, avg_backward_not_divided, "not divided"),
        (hidden.avgpool_backward_random, avg_backward_divided_by_f, "not dout / f"),
        (hidden.avgpool_backward_random, avg_backward_overwrite, "SUM of their gradients"),
        (hidden.avgpool_backward_edge_cases, avg_backward_no_shape_check, "should raise"),
    ],
)
def test_avgpool_backward_misconceptions(check, func, phrase):
    fails_with(check, func, phrase)


# ---------------------------------------------------------------------- LeNet counts


@notebook
def counts_without_bias(C, H, W, f=2):
    return 2 * C, C * (H // f) * (W // f) * f * f


@notebook
def counts_kernel_params(C, H, W, f=2):
    return C * (f * f + 1), C * (H // f) * (W // f) * (f * f + 1)


@notebook
def counts_no_params(C, H, W, f=2):
    return 0, C * (H // f) * (W // f) * (f * f + 1)


@notebook
def counts_on_inputs(C, H, W, f=2):
    return 2 * C, C * H * W * (f * f + 1)


@pytest.mark.parametrize(
    "func, phrase",
    [
        (counts_without_bias, "includes the bias"),
        (counts_kernel_params, "one trainable coefficient and one bias per map"),
        (counts_no_params, "2 trainable parameters per map"),
        (counts_no_params, "unlike max pooling"),
        (counts_on_inputs, "output units"),
    ],
)
def test_subsampling_counts_misconceptions(func, phrase):
    fails_with(hidden.subsampling_counts_hidden, func, phrase)


# ------------------------------------------------------------- messages stay short


def test_failure_messages_are_short():
    """Feedback is one or two lines: no array dumps of a whole batch."""
    message = fails_with(hidden.maxpool_forward_random, max_is_average, "average pooling")
    assert message.count("\n") <= 1 and len(message) < 400
    message = fails_with(hidden.avgpool_backward_random, avg_backward_overwrite, "SUM")
    assert message.count("\n") <= 1 and len(message) < 400


@pytest.mark.parametrize("N, C, H, W, f, stride", hidden.RANDOM_CASES)
def test_misconception_variants_differ_from_the_answer(N, C, H, W, f, stride):
    """A misconception that equals the right answer would mislabel a correct submission."""
    rng = np.random.default_rng(0)
    X = rng.integers(-4, 5, size=(N, C, H, W)).astype(float)
    s = _resolve(f, stride)
    for kind, forward in (("max", ref.maxpool_forward), ("avg", ref.avgpool_forward)):
        want = forward(X, f, s)[0]
        for message, variant in hidden._forward_misconceptions(X, f, stride, kind).items():
            variant = np.asarray(variant)
            assert variant.shape != want.shape or not np.allclose(variant, want), message
    dout = rng.integers(-4, 5, size=want.shape).astype(float)
    want = ref.maxpool_backward(dout, ref.maxpool_forward(X, f, s)[1])
    for message, variant in hidden._maxpool_backward_misconceptions(dout, X, f, s).items():
        assert variant.shape != want.shape or not np.allclose(variant, want), message
    want = ref.avgpool_backward(dout, (X.shape, f, s))
    for message, variant in hidden._avgpool_backward_misconceptions(dout, X.shape, f, s).items():
        assert variant.shape != want.shape or not np.allclose(variant, want), message
