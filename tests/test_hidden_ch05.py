"""Chapter 5 hidden tests: they pass the reference, name each misconception they catch,
reject cnnkit's and libraries' shortcuts, and let NotImplementedError through."""

from __future__ import annotations

import math
import types

import numpy as np
import pytest

from autograder.checks import CheckFailed
from autograder.hidden import ch05 as hidden
from autograder.reference import ch05_lenet as ref


def student_copy_of(module):
    """The module's functions as if a student had typed them into the notebook."""
    g = dict(vars(module))
    for obj in list(g.values()):  # answers taken from the solution notebook bring its names
        if isinstance(obj, types.FunctionType):
            for key, value in obj.__globals__.items():
                g.setdefault(key, value)
    for name, obj in list(g.items()):
        if isinstance(obj, types.FunctionType) and obj.__module__ == module.__name__:
            f = types.FunctionType(obj.__code__, g, obj.__name__, obj.__defaults__)
            f.__module__ = "__main__"
            g[name] = f
    return types.SimpleNamespace(**g)


mine = student_copy_of(ref)


def as_student(func, **helpers):
    """A copy of ``func`` defined "in the notebook", seeing ``helpers`` (and the right
    versions of the chapter's other functions) as globals."""
    g = {"np": np, "math": math, **vars(mine), **helpers}
    f = types.FunctionType(func.__code__, g, func.__name__, func.__defaults__)
    f.__module__ = "__main__"
    for name, value in list(g.items()):  # helpers defined here are notebook functions too
        if isinstance(value, types.FunctionType) and value.__module__ == __name__:
            h = types.FunctionType(value.__code__, g, value.__name__, value.__defaults__)
            h.__module__ = "__main__"
            g[name] = h
    return f


def stub(*args, **kwargs):
    raise NotImplementedError()


def fails_with(hidden_test, *funcs, match):
    with pytest.raises(CheckFailed, match=match):
        hidden_test(*funcs)


# --------------------------------------------------------------------------- reference passes


def test_reference_passes_every_hidden_test():
    hidden.conv_counts_random(mine.conv_counts)
    hidden.conv_counts_edge_cases(mine.conv_counts)
    hidden.lenet5_counts_other_tables(mine.lenet5_counts)
    hidden.layer_table_random(mine.layer_table)
    hidden.network_hidden(mine.build_lenet, mine.forward, mine.backward)
    hidden.softmax_cross_entropy_hidden(mine.softmax_cross_entropy)
    hidden.sgd_momentum_hidden(mine.sgd_momentum)
    hidden.sgd_momentum_edge_cases(mine.sgd_momentum)
    hidden.train_step_real_batch(mine.train_step)
    hidden.accuracy_hidden(mine.accuracy)
    hidden.understanding(
        {
            "q_c3_full": 2416,
            "q_c5": "b",
            "q_connections": "a",
            "q_terminal_step": 10.0,
            "q_torch_velocity": "b",
            "q_batch_mean": "b",
        }
    )


def test_stubs_raise_not_implemented():
    s = as_student(stub)
    for test, args in [
        (hidden.conv_counts_random, (s,)),
        (hidden.conv_counts_edge_cases, (s,)),
        (hidden.lenet5_counts_other_tables, (s,)),
        (hidden.layer_table_random, (s,)),
        (hidden.network_hidden, (s, s, s)),
        (hidden.network_hidden, (mine.build_lenet, s, mine.backward)),
        (hidden.network_hidden, (mine.build_lenet, mine.forward, s)),
        (hidden.softmax_cross_entropy_hidden, (s,)),
        (hidden.sgd_momentum_hidden, (s,)),
        (hidden.sgd_momentum_edge_cases, (s,)),
        (hidden.train_step_real_batch, (s,)),
        (hidden.accuracy_hidden, (s,)),
    ]:
        with pytest.raises(NotImplementedError):
            test(*args)


def test_understanding_wrong_answers():
    with pytest.raises(CheckFailed, match="2 of 6 answers are wrong: q_c3_full, q_c5"):
        hidden.understanding(
            {
                "q_c3_full": 1516,
                "q_c5": "a",
                "q_connections": "a",
                "q_terminal_step": 10,
                "q_torch_velocity": "b",
                "q_batch_mean": "b",
            }
        )


# --------------------------------------------------------------------------- conv_counts


def conv_counts_full_table(table, k, H_out, W_out):
    C_in, C_out = np.shape(table)
    params = C_in * C_out * k * k + C_out
    return params, params * H_out * W_out


def conv_counts_no_map_size(table, k, H_out, W_out):
    params = int(np.sum(table)) * k * k + np.shape(table)[1]
    return params, params


def conv_counts_no_bias(table, k, H_out, W_out):
    params = int(np.sum(table)) * k * k
    return params, params * H_out * W_out


def conv_counts_bias_not_connected(table, k, H_out, W_out):
    weights = int(np.sum(table)) * k * k
    return weights + np.shape(table)[1], weights * H_out * W_out


def conv_counts_bias_per_input(table, k, H_out, W_out):
    params = int(np.sum(table)) * k * k + np.shape(table)[0]
    return params, params * H_out * W_out


def conv_counts_no_checks(table, k, H_out, W_out):
    params = int(np.sum(np.asarray(table, dtype=bool))) * k * k + np.shape(table)[-1]
    return params, params * H_out * W_out


def conv_counts_uses_summary(table, k, H_out, W_out):
    net = summarize([Conv(np.shape(table)[1], k)], (np.shape(table)[0], H_out, W_out))  # noqa: F821
    return net.rows[0].params, 0


@pytest.mark.parametrize(
    ("func", "match"),
    [
        (conv_counts_full_table, "fully connected"),
        (conv_counts_no_map_size, "without the size of the output map"),
        (conv_counts_no_bias, "biases are missing"),
        (conv_counts_bias_not_connected, "also connected to its map's bias"),
        (conv_counts_bias_per_input, "number of columns"),
    ],
)
def test_conv_counts_misconceptions(func, match):
    fails_with(hidden.conv_counts_random, as_student(func), match=match)


def test_conv_counts_edge_cases_need_value_errors():
    fails_with(hidden.conv_counts_edge_cases, as_student(conv_counts_no_checks), match="ValueError")


def test_conv_counts_rejects_cnnkit_summary():
    from cnnkit.summary import Conv, summarize

    f = as_student(conv_counts_uses_summary, summarize=summarize, Conv=Conv)
    fails_with(hidden.conv_counts_random, f, match="summarize")


# --------------------------------------------------------------------------- lenet5_counts


def lenet5_counts_ignores_table(c3_table=None):
    return ref.lenet5_counts(np.ones((6, 16), dtype=bool))


def test_lenet5_counts_ignoring_the_table():
    f = as_student(lenet5_counts_ignores_table)
    f.__globals__["ref"] = mine  # a notebook with its own copy of the answers
    fails_with(hidden.lenet5_counts_other_tables, f, match="counted as fully connected")


def lenet5_counts_hard_coded(c3_table=None):
    return {
        "C1": ((6, 28, 28), 156, 122_304),
        "S2": ((6, 14, 14), 12, 5_880),
        "C3": ((16, 10, 10), 1_516, 151_600),
        "S4": ((16, 5, 5), 32, 2_000),
        "C5": ((120, 1, 1), 48_120, 48_120),
        "F6": ((84,), 10_164, 10_164),
        "OUTPUT": ((10,), 0, 840),
    }


def test_lenet5_counts_hard_coded_fails():
    fails_with(
        hidden.lenet5_counts_other_tables, as_student(lenet5_counts_hard_coded), match="'C3'"
    )


def test_lenet5_counts_from_the_autograder_is_rejected():
    fails_with(hidden.lenet5_counts_other_tables, ref.lenet5_counts, match="write it yourself")


# --------------------------------------------------------------------------- layer_table


def _table_with(conv_params, fc_params, size=lambda n, k, s, p: (n + 2 * p - k) // s + 1):
    def layer_table(layers, input_shape):
        shape, rows = tuple(input_shape), []
        for spec in layers:
            if spec[0] not in ("conv", "pool", "fc"):
                raise ValueError("unknown")
            if spec[0] == "fc":
                D = math.prod(shape)
                shape, params = (spec[1],), fc_params(D, spec[1])
            elif spec[0] == "conv":
                C, H, W = shape
                s, p = (spec[3], spec[4]) if len(spec) == 5 else (1, 0)
                shape = (spec[1], size(H, spec[2], s, p), size(W, spec[2], s, p))
                params = conv_params(C, spec[1], spec[2])
            else:
                C, H, W = shape
                s = spec[2] if len(spec) == 3 else spec[1]
                shape, params = (C, size(H, spec[1], s, 0), size(W, spec[1], s, 0)), 0
            rows.append((shape, math.prod(shape), params))
        return rows

    return layer_table


@pytest.mark.parametrize(
    ("conv", "fc", "size", "match"),
    [
        (lambda C, M, k: (k * k + 1) * M, lambda D, M: D * M + M, None, "all input channels"),
        (lambda C, M, k: C * k * k * M + 1, lambda D, M: D * M + 1, None, "its own bias"),
        (lambda C, M, k: C * k * k * M, lambda D, M: D * M, None, "biases are missing"),
        (
            lambda C, M, k: (C * k * k + 1) * M,
            lambda D, M: D * M + M,
            lambda n, k, s, p: (n + 2 * p - k) // s,
            r"floor\(\(n \+ 2p - k\) / s\) \+ 1",
        ),
        (
            lambda C, M, k: (C * k * k + 1) * M,
            lambda D, M: D * M + M,
            lambda n, k, s, p: (n + p - k) // s + 1,
            "both sides",
        ),
    ],
)
def test_layer_table_misconceptions(conv, fc, size, match):
    func = _table_with(conv, fc, size) if size else _table_with(conv, fc)
    func.__module__ = "__main__"
    fails_with(hidden.layer_table_random, func, match=match)


def test_layer_table_without_checks_fails_on_bad_networks():
    func = _table_with(lambda C, M, k: (C * k * k + 1) * M, lambda D, M: D * M + M)
    func.__module__ = "__main__"
    fails_with(hidden.layer_table_random, func, match="should raise ValueError")


def test_layer_table_rejects_cnnkit_summary():
    def layer_table(layers, input_shape):
        return summarize(layers, input_shape)  # noqa: F821

    from cnnkit.summary import summarize as summary_tool

    f = as_student(layer_table, summarize=summary_tool)
    fails_with(hidden.layer_table_random, f, match="summarize")


# --------------------------------------------------------------------------- network


def build_lenet_relu_on_scores(rng=None, dtype=np.float32):
    return ref.build_lenet(rng, dtype) + [ref.ReLU()]


def build_lenet_missing_relu(rng=None, dtype=np.float32):
    layers = ref.build_lenet(rng, dtype)
    return layers[:8] + layers[9:]


def build_lenet_wrong_size(rng=None, dtype=np.float32):
    layers = ref.build_lenet(rng, dtype)
    layers[7] = ref.Linear(400, 100, rng=0, dtype=dtype)
    return layers


def build_lenet_ignores_dtype(rng=None, dtype=np.float32):
    return ref.build_lenet(rng, np.float32)


def build_lenet_sequential(rng=None, dtype=np.float32):
    return Sequential(*ref.build_lenet(rng, dtype))  # noqa: F821


def forward_sequential(layers, X):
    return Sequential(*layers).forward(X)  # noqa: F821


def backward_same_order(layers, dout):
    for layer in layers:
        dout = layer.backward(dout)
    return dout


def backward_no_return(layers, dout):
    for layer in reversed(layers):
        dout = layer.backward(dout)


def _student_ref(func):
    f = as_student(func)
    f.__globals__["ref"] = mine
    return f


@pytest.mark.parametrize(
    ("func", "match"),
    [
        (build_lenet_relu_on_scores, "must not be followed by a ReLU"),
        (build_lenet_missing_relu, "parameter shapes|ReLU is missing"),
        (build_lenet_wrong_size, "parameter shapes"),
        (build_lenet_ignores_dtype, "dtype float32"),
    ],
)
def test_build_lenet_misconceptions(func, match):
    fails_with(hidden.network_hidden, _student_ref(func), mine.forward, mine.backward, match=match)


def test_build_lenet_missing_relu_is_named():
    fails_with(
        hidden.network_hidden,
        _student_ref(build_lenet_missing_relu),
        mine.forward,
        mine.backward,
        match="ReLU is missing after a fully connected layer",
    )


def test_network_rejects_sequential():
    from cnnkit.modules import Sequential

    f = as_student(build_lenet_sequential, Sequential=Sequential)
    f.__globals__["ref"] = mine
    fails_with(hidden.network_hidden, f, mine.forward, mine.backward, match="Sequential")
    fw = as_student(forward_sequential, Sequential=Sequential)
    fails_with(hidden.network_hidden, mine.build_lenet, fw, mine.backward, match="Sequential")


def test_network_rejects_a_sequential_kept_in_a_global():
    from cnnkit.modules import Sequential

    def forward(layers, X):
        return model.forward(X)  # noqa: F821

    f = as_student(forward, model=Sequential(*ref.build_lenet(0)))
    fails_with(hidden.network_hidden, mine.build_lenet, f, mine.backward, match="Sequential")


@pytest.mark.parametrize(
    ("func", "match"),
    [(backward_same_order, "last to first"), (backward_no_return, "returned None")],
)
def test_backward_misconceptions(func, match):
    fails_with(hidden.network_hidden, mine.build_lenet, mine.forward, as_student(func), match=match)


# --------------------------------------------------------------------------- loss


def ce_summed(scores, y):
    loss, d = ref.softmax_cross_entropy(scores, y)
    return loss * len(y), d


def ce_grad_not_averaged(scores, y):
    loss, d = ref.softmax_cross_entropy(scores, y)
    return loss, d * len(y)


def ce_wrong_sign(scores, y):
    loss, d = ref.softmax_cross_entropy(scores, y)
    return loss, -d


def ce_unstable(scores, y):
    scores = np.asarray(scores, dtype=float)
    e = np.exp(scores)
    p = e / e.sum(axis=1, keepdims=True)
    N = len(y)
    loss = -np.mean(np.log(p[np.arange(N), y]))
    d = p.copy()
    d[np.arange(N), y] -= 1
    return float(loss), d / N


def ce_no_checks(scores, y):
    scores = np.asarray(scores, dtype=float)
    y = np.asarray(y) % scores.shape[1]
    shifted = scores - scores.max(axis=1, keepdims=True)
    logp = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    N = len(scores)
    d = np.exp(logp)
    d[np.arange(min(N, len(y))), y[:N]] -= 1
    return -float(np.mean(logp[np.arange(min(N, len(y))), y[:N]])), d / N


def _with_mine(func):
    f = as_student(func)
    f.__globals__["ref"] = mine
    return f


@pytest.mark.parametrize(
    ("func", "match"),
    [
        (ce_summed, "summed over the batch"),
        (ce_grad_not_averaged, "not divided by the batch size"),
        (ce_wrong_sign, "wrong sign"),
        (ce_unstable, "subtract each row's maximum"),
        (ce_no_checks, "should raise ValueError"),
    ],
)
def test_softmax_cross_entropy_misconceptions(func, match):
    fails_with(hidden.softmax_cross_entropy_hidden, _with_mine(func), match=match)


def test_softmax_cross_entropy_rejects_cnnkit():
    from cnnkit.losses import softmax_cross_entropy as cnnkit_ce

    def softmax_cross_entropy(scores, y):
        return loss_fn(scores, y)  # noqa: F821

    f = as_student(softmax_cross_entropy, loss_fn=cnnkit_ce)
    fails_with(hidden.softmax_cross_entropy_hidden, f, match="softmax_cross_entropy")
    fails_with(hidden.softmax_cross_entropy_hidden, cnnkit_ce, match="write it yourself")


# --------------------------------------------------------------------------- sgd


def sgd_wrong_sign(p, g, v, lr, momentum):
    v = momentum * v + lr * g
    return p + v, v


def sgd_old_velocity(p, g, v, lr, momentum):
    return p + v, momentum * v - lr * g


def sgd_plain(p, g, v, lr, momentum):
    return p - lr * g, momentum * v - lr * g


def sgd_torch_convention(p, g, v, lr, momentum):
    u = momentum * v + g
    return p - lr * u, u


def sgd_negated_velocity(p, g, v, lr, momentum):
    v_new = momentum * v - lr * g
    return p + v_new, -v_new


def sgd_velocity_not_updated(p, g, v, lr, momentum):
    v_new = momentum * v - lr * g
    return p + v_new, v


def sgd_no_checks(p, g, v, lr, momentum):
    v_new = momentum * v - lr * g
    return p + v_new, v_new


@pytest.mark.parametrize(
    ("func", "match"),
    [
        (sgd_wrong_sign, "wrong sign"),
        (sgd_old_velocity, "not the old one"),
        (sgd_plain, "plain SGD"),
        (sgd_torch_convention, "PyTorch's"),
        (sgd_negated_velocity, r"v <- mu v \+ lr g, p <- p - v"),
        (sgd_velocity_not_updated, "not updated"),
    ],
)
def test_sgd_momentum_misconceptions(func, match):
    fails_with(hidden.sgd_momentum_hidden, as_student(func), match=match)


def test_sgd_momentum_edge_cases_need_value_errors():
    fails_with(hidden.sgd_momentum_edge_cases, as_student(sgd_no_checks), match="ValueError")


def test_sgd_momentum_rejects_cnnkit_sgd():
    from cnnkit.modules import SGD as cnnkit_sgd

    def sgd_momentum(p, g, v, lr, momentum):
        layer = types.SimpleNamespace(params={"p": p.copy()}, grads={"p": g})
        opt = SGD(layer, lr=lr, momentum=momentum)  # noqa: F821
        opt.step()
        return layer.params["p"], v

    fails_with(hidden.sgd_momentum_hidden, as_student(sgd_momentum, SGD=cnnkit_sgd), match="SGD")


# --------------------------------------------------------------------------- train_step


def train_step_loss_after(layers, velocities, X, y, lr, momentum):
    ref.train_step(layers, velocities, X, y, lr, momentum)
    return ref.softmax_cross_entropy(ref.forward(layers, X), y)[0]


def train_step_forgets_velocity(layers, velocities, X, y, lr, momentum):
    fresh = ref.init_velocities(layers)
    return ref.train_step(layers, fresh, X, y, lr, momentum)


def train_step_no_momentum(layers, velocities, X, y, lr, momentum):
    return ref.train_step(layers, velocities, X, y, lr, 0.0)


def train_step_no_update(layers, velocities, X, y, lr, momentum):
    return ref.softmax_cross_entropy(ref.forward(layers, X), y)[0]


@pytest.mark.parametrize(
    ("func", "match"),
    [
        (train_step_loss_after, "before the update"),
        (train_step_forgets_velocity, "plain SGD steps"),
        (train_step_no_momentum, "plain SGD steps"),
        (train_step_no_update, "did not change"),
    ],
)
def test_train_step_misconceptions(func, match):
    fails_with(hidden.train_step_real_batch, _with_mine(func), match=match)


def test_train_step_with_a_wrong_helper_still_scores():
    """The student's own (wrong) sgd_momentum is replaced by the reference while grading."""
    g = dict(vars(mine))
    g["sgd_momentum"] = as_student(sgd_wrong_sign)
    f = types.FunctionType(ref.train_step.__code__, g, "train_step", None)
    f.__module__ = "__main__"
    hidden.train_step_real_batch(f)
    assert g["sgd_momentum"].__name__ == "sgd_wrong_sign"  # restored afterwards


def test_train_step_rejects_cnnkit_sgd_and_loss():
    from cnnkit.losses import softmax_cross_entropy as cnnkit_ce
    from cnnkit.modules import SGD as cnnkit_sgd

    def train_step(layers, velocities, X, y, lr, momentum):
        loss, d = softmax_cross_entropy(forward(layers, X), y)  # noqa: F821
        backward(layers, d)  # noqa: F821
        SGD(layers, lr=lr, momentum=momentum).step()  # noqa: F821
        return loss

    fails_with(hidden.train_step_real_batch, as_student(train_step, SGD=cnnkit_sgd), match="SGD")
    f = as_student(train_step, SGD=cnnkit_sgd, softmax_cross_entropy=cnnkit_ce)
    fails_with(hidden.train_step_real_batch, f, match="SGD|softmax_cross_entropy")


# --------------------------------------------------------------------------- accuracy


def accuracy_max(scores, y):
    return float(np.mean(np.max(scores, axis=1) == y))


def accuracy_percent(scores, y):
    return 100 * float(np.mean(np.argmax(scores, axis=1) == y))


def accuracy_error_rate(scores, y):
    return float(np.mean(np.argmax(scores, axis=1) != y))


def accuracy_axis0(scores, y):
    pred = np.argmax(scores, axis=0)
    return float(np.mean(pred[: len(y)] == y[: len(pred)]))


def accuracy_no_checks(scores, y):
    scores = np.atleast_2d(scores)
    n = min(len(scores), len(y))
    return float(np.mean(np.argmax(scores, axis=1)[:n] == np.asarray(y)[:n]))


@pytest.mark.parametrize(
    ("func", "match"),
    [
        (accuracy_max, "argmax"),
        (accuracy_percent, "not a percentage"),
        (accuracy_error_rate, "error rate"),
        (accuracy_axis0, "axis=1|returned"),
        (accuracy_no_checks, "ValueError"),
    ],
)
def test_accuracy_misconceptions(func, match):
    fails_with(hidden.accuracy_hidden, as_student(func), match=match)


def test_accuracy_from_the_autograder_is_rejected():
    fails_with(hidden.accuracy_hidden, ref.accuracy, match="write it yourself")
