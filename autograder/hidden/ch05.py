"""Hidden tests for chapter 5, LeNet-5."""

from __future__ import annotations

import functools
import inspect

import numpy as np

from autograder.checks import (
    CheckFailed,
    as_result_array,
    call,
    expect_array,
    expect_equal,
    expect_own_work,
    expect_raises,
    expect_rows_normalised,
    names_used,
    reference_helpers,
    reference_helpers_for_this_check,
    signature,
)
from autograder.reference import ch05_lenet as ref
from autograder.static import static_view

# cnnkit.summary counts every layer of a network: the counting exercises must not use it.
SUMMARY_TOOL = (
    "summarize",
    "print_summary",
    "lenet5",
    "lenet5_ng",
    "Summary",
    "LayerRow",
    "_leaf",
    "_window_out",
    "_run",
)
# What would skip the network, loss, optimizer and accuracy exercises.
CONTAINER = ("Sequential",)
LOSS_LIBRARY = ("softmax_cross_entropy", "log_softmax", "logsumexp", "cross_entropy", "softmax")
OPTIMIZER_LIBRARY = ("SGD", "optim")
ACCURACY_LIBRARY = ("accuracy_score",)

# Objects a graded function may not reach at all, whatever its local name: cnnkit's
# optimizer, container, losses and summary, and deep-learning or ML libraries. The layer
# classes of cnnkit.modules (Conv2d, ReLU, ...) are allowed: this chapter builds on them.
FORBIDDEN_OBJECTS = (
    ("cnnkit.modules", "SGD"),
    ("cnnkit.modules", "Sequential"),
    ("cnnkit.losses", None),
    ("cnnkit.summary", None),
    ("torch", None),
    ("scipy", None),
    ("sklearn", None),
    ("tensorflow", None),
    ("jax", None),
)


def _rng(seed):
    return np.random.default_rng(seed)


def _ints(rng, shape, low=-4, high=4):
    """Small integers as floats: exact arithmetic, so a misconception matches exactly."""
    return rng.integers(low, high + 1, size=shape).astype(float)


def _tuple(got):
    """Accept lists where tuples are asked for (also nested, for output shapes)."""
    if isinstance(got, (list, tuple)):
        return tuple(_tuple(g) for g in got)
    if isinstance(got, np.ndarray) and got.ndim == 1:
        return tuple(got.tolist())
    return got


# --------------------------------------------------------------------------- own work


def _forbidden_origin(obj):
    """``"module.name"`` when ``obj`` is (an instance of) a forbidden object, else None."""
    if inspect.ismodule(obj) or inspect.isclass(obj) or inspect.isroutine(obj):
        candidates = [obj]
    else:  # an instance, e.g. an SGD or Sequential object kept in a global
        candidates = [type(obj)]
    for cand in candidates:
        if inspect.ismodule(cand):
            module, name = cand.__name__, None
        else:
            module = getattr(cand, "__module__", None)
            name = getattr(cand, "__name__", None)
        if not isinstance(module, str):
            continue
        for bad_module, bad_name in FORBIDDEN_OBJECTS:
            in_module = module == bad_module or module.startswith(bad_module + ".")
            if in_module and (bad_name is None or bad_name == name):
                return f"{module}.{name}" if name else module
    return None


def own_work(func, forbidden=()):
    """``expect_own_work``, and no forbidden object reached under any alias."""
    expect_own_work(func, forbidden)
    label = getattr(func, "__name__", "function")
    for used in sorted(names_used(func)):
        if used not in static_view(func).__globals__:
            continue
        origin = _forbidden_origin(static_view(func).__globals__[used])
        if origin:
            raise CheckFailed(
                f"{label} uses {used} ({origin}); this exercise asks you to write it yourself"
            )


# The earlier exercises that later ones call. While a later function is graded, the
# student's versions are swapped for the reference ones, so that one mistake costs points
# only once.
HELPERS = {
    "conv_counts": ref.conv_counts,
    "subsampling_counts": ref.subsampling_counts,
    "forward": ref.forward,
    "backward": ref.backward,
    "softmax_cross_entropy": ref.softmax_cross_entropy,
    "sgd_momentum": ref.sgd_momentum,
    "init_velocities": ref.init_velocities,
}


def alone(func):
    """Visible graded cell: ``func`` calls the reference helpers for the rest of the check."""
    uses = {
        "lenet5_counts": ("conv_counts", "subsampling_counts"),
        "train_step": (
            "forward",
            "backward",
            "softmax_cross_entropy",
            "sgd_momentum",
            "init_velocities",
        ),
    }
    names = uses.get(getattr(func, "__name__", ""), ())
    reference_helpers_for_this_check(func, {name: HELPERS[name] for name in names})


def _alone(func, helpers):
    """The notebook's ``helpers`` (names) swapped for the reference versions while grading."""
    return reference_helpers(func, {name: HELPERS[name] for name in helpers})


def graded_alone(*helpers, forbidden=()):
    """Decorate a hidden test: own-work check first, then the cases with correct helpers."""

    def decorate(body):
        @functools.wraps(body)
        def run(func, *args, **kwargs):
            own_work(func, forbidden)
            with _alone(func, helpers):
                return body(func, *args, **kwargs)

        return run

    return decorate


# --------------------------------------------------------------------------- conv_counts


def _conv_counts_misconceptions(table, k, H, W):
    t = np.asarray(table, dtype=bool)
    C_in, C_out = t.shape
    slices = int(t.sum())
    params = slices * k * k + C_out
    out = {}

    def add(message, p, c):
        if (p, c) != (params, params * H * W):
            out.setdefault((p, c), message)

    full = C_in * C_out * k * k + C_out
    add(
        "the connection table was ignored: each output map was counted as seeing all C_in "
        "input maps (C3 counted as fully connected); count the True entries",
        full,
        full * H * W,
    )
    add(
        "connections were counted without the size of the output map: "
        "connections = parameters x H_out x W_out",
        params,
        params,
    )
    add(
        "the biases are missing: each output map has one bias (C_out parameters)",
        slices * k * k,
        slices * k * k * H * W,
    )
    add(
        "each output unit is also connected to its map's bias: "
        "connections = parameters x H_out x W_out, biases included",
        params,
        slices * k * k * H * W,
    )
    add(
        "one bias per output map: C_out is the number of columns of the table (C_in, C_out)",
        slices * k * k + C_in,
        (slices * k * k + C_in) * H * W,
    )
    add("a k x k kernel has k*k weights, not k", slices * k + C_out, (slices * k + C_out) * H * W)
    return {message: pair for pair, message in out.items()}


def _check_conv_counts(conv_counts, table, k, H, W):
    want = ref.conv_counts(table, k, H, W)
    got = call(conv_counts, (table, k, H, W))
    expect_equal(
        signature(conv_counts, (table, k, H, W)),
        _tuple(got),
        want,
        _conv_counts_misconceptions(table, k, H, W),
    )


def conv_counts_random(conv_counts):
    own_work(conv_counts, SUMMARY_TOOL)
    rng = _rng(501)
    cases = [
        ((6, 16), 5, 10, 10),
        ((3, 5), 3, 7, 9),
        ((4, 7), 2, 12, 5),
        ((16, 12), 5, 1, 1),
        ((2, 3), 4, 6, 11),
        ((8, 1), 3, 3, 4),
        ((5, 9), 7, 2, 8),
    ]
    for shape, k, H, W in cases:
        table = rng.random(shape) < 0.55
        table[rng.integers(shape[0]), :] = True  # every output map sees at least one input
        _check_conv_counts(conv_counts, table, k, H, W)
    # C5: a full table, 1x1 maps
    _check_conv_counts(conv_counts, np.ones((16, 120), dtype=bool), 5, 1, 1)


def conv_counts_edge_cases(conv_counts):
    rng = _rng(502)
    _check_conv_counts(conv_counts, np.ones((1, 1), dtype=bool), 1, 1, 1)
    _check_conv_counts(conv_counts, np.ones((120, 84), dtype=bool), 1, 1, 1)  # F6
    _check_conv_counts(conv_counts, (rng.random((4, 6)) < 0.5).astype(int), 3, 5, 4)  # 0/1 ints
    as_list = [[True, False, True], [False, True, True]]
    want = ref.conv_counts(as_list, 5, 3, 2)
    expect_equal(
        signature(conv_counts, (as_list, 5, 3, 2)),
        _tuple(call(conv_counts, (as_list, 5, 3, 2))),
        want,
        _conv_counts_misconceptions(np.array(as_list), 5, 3, 2),
    )
    table = np.ones((2, 3), dtype=bool)
    expect_raises(conv_counts, (np.ones(6, dtype=bool), 5, 4, 4), why="a 1-D table")
    expect_raises(conv_counts, (np.full((2, 3), 2), 5, 4, 4), why="a table with the value 2")
    expect_raises(conv_counts, (table, 0, 4, 4), why="k = 0")
    expect_raises(conv_counts, (table, 5, 0, 4), why="H_out = 0")
    expect_raises(conv_counts, (table, 5, 4, -1), why="W_out = -1")
    expect_raises(conv_counts, (table, 2.5, 4, 4), why="k = 2.5 is not an integer")


# --------------------------------------------------------------------------- lenet5_counts


@graded_alone("conv_counts", "subsampling_counts", forbidden=SUMMARY_TOOL)
def lenet5_counts_other_tables(lenet5_counts):
    rng = _rng(503)
    tables = [
        np.ones((6, 16), dtype=bool),
        ref.C3_TABLE,
        rng.random((6, 16)) < 0.4,
        rng.random((6, 16)) < 0.7,
        np.eye(6, 16, dtype=bool),
    ]
    for table in tables:
        want = ref.lenet5_counts(table)
        got = call(lenet5_counts, (table,))
        label = f"lenet5_counts(table with {int(table.sum())} True entries)"
        if not isinstance(got, dict) or set(got) != set(want):
            raise CheckFailed(f"{label} should return a dict with keys {list(want)}")
        full_c3 = ref.lenet5_counts(np.ones((6, 16), dtype=bool))["C3"]
        for layer, row in want.items():
            misc = {}
            if layer == "C3" and row != full_c3:
                misc["C3 was counted as fully connected; count from c3_table"] = full_c3
            expect_equal(f"{label}[{layer!r}]", _tuple(got[layer]), row, misc)
    expect_raises(lenet5_counts, (np.ones((16, 6), dtype=bool),), why="a table of shape (16, 6)")


# --------------------------------------------------------------------------- layer_table


def _layer_table_variants(layers, input_shape):
    """The whole table under each misconception (a dict message -> list of rows)."""

    def table(conv_params, fc_params, size=lambda n, k, s, p: (n + 2 * p - k) // s + 1):
        shape, rows = tuple(input_shape), []
        for spec in layers:
            kind = spec[0]
            if kind == "fc":
                D = int(np.prod(shape))
                shape, params = (spec[1],), fc_params(D, spec[1])
            elif kind == "conv":
                C, H, W = shape
                s, p = (spec[3], spec[4]) if len(spec) == 5 else (1, 0)
                shape = (spec[1], size(H, spec[2], s, p), size(W, spec[2], s, p))
                params = conv_params(C, spec[1], spec[2])
            else:
                C, H, W = shape
                s = spec[2] if len(spec) == 3 else spec[1]
                shape, params = (C, size(H, spec[1], s, 0), size(W, spec[1], s, 0)), 0
            rows.append((shape, int(np.prod(shape)), params))
        return rows

    right_conv = lambda C, M, k: (C * k * k + 1) * M  # noqa: E731
    right_fc = lambda D, M: D * M + M  # noqa: E731
    return {
        "a conv filter spans all input channels: (C_in * k * k + 1) * C_out parameters": table(
            lambda C, M, k: (k * k + 1) * M, right_fc
        ),
        "every unit has its own bias: C_out biases for a conv, M for an fc layer, not 1": table(
            lambda C, M, k: C * k * k * M + 1, lambda D, M: D * M + 1
        ),
        "the biases are missing (one per filter / per output unit)": table(
            lambda C, M, k: C * k * k * M, lambda D, M: D * M
        ),
        "the output size is floor((n + 2p - k) / s) + 1": table(
            right_conv, right_fc, lambda n, k, s, p: (n + 2 * p - k) // s
        ),
        "the padding is added on both sides: n + 2p": table(
            right_conv, right_fc, lambda n, k, s, p: (n + p - k) // s + 1
        ),
    }


def _check_layer_table(layer_table, layers, input_shape):
    want = ref.layer_table(layers, input_shape)
    label = f"layer_table({layers}, {tuple(input_shape)})"
    got = call(layer_table, (layers, input_shape))
    if not isinstance(got, (list, tuple)) or len(got) != len(want):
        raise CheckFailed(f"{label} should return a list of {len(want)} rows, one per layer")
    variants = _layer_table_variants(layers, input_shape)
    for i, (g, w) in enumerate(zip(got, want, strict=True)):
        misc = {}
        for message, rows in variants.items():
            v = rows[i]
            if v != w and v not in misc.values():
                misc[message] = v
        expect_equal(f"row {i} ({layers[i]}) of {label}", _tuple(g), w, misc)


def layer_table_random(layer_table):
    own_work(layer_table, SUMMARY_TOOL)
    _check_layer_table(layer_table, ref.NG_LAYERS, (1, 32, 32))  # one channel
    _check_layer_table(
        layer_table,
        [
            ("conv", 6, 5),
            ("pool", 2),
            ("conv", 16, 5),
            ("pool", 2),
            ("fc", 120),
            ("fc", 84),
            ("fc", 10),
        ],
        (1, 32, 32),
    )
    _check_layer_table(
        layer_table, [("conv", 4, 3, 2, 1), ("pool", 3, 2), ("conv", 5, 2), ("fc", 7)], (3, 17, 12)
    )
    _check_layer_table(
        layer_table,
        [("conv", 8, 5, 1, 2), ("conv", 6, 3, 2, 0), ("pool", 2, 1), ("fc", 3)],
        (2, 9, 14),
    )
    _check_layer_table(layer_table, [("fc", 5), ("fc", 2)], (3, 4, 4))
    _check_layer_table(layer_table, [("conv", 3, 7)], (2, 7, 7))  # kernel = input size
    _check_layer_table(layer_table, [("pool", 4), ("conv", 2, 1)], (5, 8, 12))  # 1x1 conv
    # bad descriptions
    expect_raises(layer_table, ([("dense", 10)], (3, 32, 32)), why="unknown layer kind 'dense'")
    expect_raises(layer_table, ([("conv", 4, 9)], (1, 8, 8)), why="a 9x9 kernel on 8x8")
    expect_raises(layer_table, ([("pool", 3)], (1, 2, 8)), why="a 3x3 window on 2x8")
    expect_raises(layer_table, ([("fc", 10), ("conv", 4, 1)], (1, 4, 4)), why="conv after fc")


# --------------------------------------------------------------------------- network


def _param_list(layers):
    return [p for layer in layers for p in layer.params.values()]


def _variant_lenet(dtype, skip_relu=(), relu_on_scores=False):
    """The reference LeNet with some ReLUs removed or a ReLU after the last layer."""
    layers = [layer for i, layer in enumerate(ref.build_lenet(0, dtype)) if i not in skip_relu]
    if relu_on_scores:
        layers.append(ref.ReLU())
    return layers


def _check_build_lenet(build_lenet):
    label = "build_lenet(rng=0, dtype=np.float64)"
    net = call(build_lenet, (), {"rng": 0, "dtype": np.float64})
    try:
        layers = list(net)
    except TypeError:
        raise CheckFailed(
            f"{label} should return a list of layers, got {type(net).__name__}"
        ) from None
    if not all(hasattr(layer, "forward") and hasattr(layer, "params") for layer in layers):
        raise CheckFailed(f"{label} should return a list of cnnkit layers")
    reference = ref.build_lenet(1, np.float64)
    want_shapes = [p.shape for p in _param_list(reference)]
    got_params = _param_list(layers)
    got_shapes = [tuple(np.shape(p)) for p in got_params]
    if got_shapes != want_shapes:
        raise CheckFailed(f"{label}: parameter shapes {got_shapes}, expected {want_shapes}")
    bad = [str(np.asarray(p).dtype) for p in got_params if np.asarray(p).dtype != np.float64]
    if bad:
        raise CheckFailed(f"{label}: parameters of dtype {bad[0]}; pass dtype to every layer")
    same = same_stream_pairs(layers)
    if same:
        i, j = same[0]
        raise CheckFailed(f"{label}: the weights of layers {i} and {j} {SAME_STREAM}")
    # Same weights as the reference, then the same scores.
    for mine, theirs in zip(got_params, _param_list(reference), strict=True):
        mine[...] = theirs
    X = _rng(504).standard_normal((3, 1, 32, 32))
    want = ref.forward(reference, X)
    got = ref.forward(layers, X)
    misc = {
        "the output layer must not be followed by a ReLU: scores can be negative": ref.forward(
            _copy_weights(reference, _variant_lenet(np.float64, relu_on_scores=True)), X
        ),
        "a ReLU is missing after a fully connected layer": ref.forward(
            _copy_weights(reference, _variant_lenet(np.float64, skip_relu=(8,))), X
        ),
        "a ReLU is missing after a convolution": ref.forward(
            _copy_weights(reference, _variant_lenet(np.float64, skip_relu=(1,))), X
        ),
    }
    expect_array(
        "scores of build_lenet() with the reference weights (random input (3, 1, 32, 32))",
        got,
        want,
        misc,
    )


def _copy_weights(source, target):
    for mine, theirs in zip(_param_list(target), _param_list(source), strict=True):
        mine[...] = theirs
    return target


def _stacks():
    """Pairs of identical layer stacks (same weights) and their input shapes, float64."""
    from cnnkit.modules import Conv2d, Flatten, Linear, MaxPool2d, ReLU

    def make(seed):
        rng = _rng(seed)
        f64 = {"rng": rng, "dtype": np.float64}
        return [
            ([Linear(5, 4, **f64), ReLU(), Linear(4, 3, **f64)], (2, 5)),
            (
                [
                    Conv2d(2, 3, (3, 2), pad=1, **f64),
                    ReLU(),
                    MaxPool2d(2),
                    Flatten(),
                    Linear(3 * 2 * 2, 4, **f64),
                ],
                (3, 2, 5, 4),
            ),
            ([Conv2d(1, 4, 3, stride=2, **f64), ReLU(), Conv2d(4, 2, 2, **f64)], (1, 1, 9, 7)),
            (ref.build_lenet(rng, np.float64), (2, 1, 32, 32)),
        ]

    return zip(make(505), make(505), strict=True)


def network_hidden(build_lenet, forward, backward):
    own_work(build_lenet, CONTAINER + SUMMARY_TOOL)
    own_work(forward, CONTAINER)
    own_work(backward, CONTAINER)
    _check_build_lenet(build_lenet)
    rng = _rng(506)
    for (mine, shape), (theirs, _) in _stacks():
        X = rng.standard_normal(shape)
        names = " -> ".join(type(layer).__name__ for layer in mine)
        want = ref.forward(theirs, X)
        got = call(forward, (mine, X))
        expect_array(f"forward([{names}], X of shape {shape})", got, want)
        dout = rng.standard_normal(np.shape(want))
        dX_want = ref.backward(theirs, dout)
        label = f"backward([{names}], dout of shape {np.shape(want)})"
        try:
            dX = call(backward, (mine, dout))
        except CheckFailed as exc:
            raise CheckFailed(
                f"{exc}; backward visits the layers last to first, passing each one's "
                "result to the layer before it"
            ) from None
        expect_array(label, dX, dX_want)
        for i, (a, b) in enumerate(zip(mine, theirs, strict=True)):
            for key in b.params:
                expect_array(
                    f"layer {i} ({type(a).__name__}) grads[{key!r}] after {label}",
                    a.grads.get(key),
                    b.grads[key],
                )


# --------------------------------------------------------------------------- loss


SAME_STREAM = (
    "start from the same random numbers: the seed was given to every layer, so each one "
    "draws the same stream; make one generator, rng = np.random.default_rng(rng), and pass "
    "that generator to every layer"
)


def same_stream_pairs(layers):
    """Pairs (i, j) of layers whose weights W begin with proportional values."""
    firsts = [
        (i, np.asarray(layer.params["W"], dtype=float).ravel()[:150])
        for i, layer in enumerate(layers)
        if "W" in getattr(layer, "params", {})
    ]
    pairs = []
    for a, (i, wi) in enumerate(firsts):
        for j, wj in firsts[:a]:
            n = min(len(wi), len(wj))
            if n > 2 and np.std(wi[:n]) > 0 and np.std(wj[:n]) > 0:
                if np.corrcoef(wi[:n], wj[:n])[0, 1] > 0.999:
                    pairs.append((j, i))
    return pairs


def _check_loss(func, scores, y):
    want_loss, want_d = ref.softmax_cross_entropy(scores, y)
    label = signature(func, (scores, y))
    result = call(func, (scores, y))
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        raise CheckFailed(f"{label} should return two values (loss, dscores)")
    loss, dscores = result
    if np.abs(scores).max() > 100 and not (
        np.all(np.isfinite(as_result_array(label, loss)))
        and np.all(np.isfinite(as_result_array(label, dscores)))
    ):
        raise CheckFailed(
            f"{label} gives NaN or inf for scores as large as {np.abs(scores).max():g}: "
            "subtract each row's maximum before np.exp"
        )
    expect_rows_normalised(label, scores, y, dscores)
    N = len(y)
    loss_misc = {}
    if N > 1:
        loss_misc["the loss was summed over the batch; average it (divide by N)"] = want_loss * N
    d_misc = {"the gradient has the wrong sign: it is (p - onehot(y)) / N": -want_d}
    if N > 1:
        d_misc["the gradient was not divided by the batch size N"] = want_d * N
    expect_array(f"loss from {label}", as_result_array(label, loss), want_loss, loss_misc)
    expect_array(f"dscores from {label}", dscores, want_d, d_misc)


def softmax_cross_entropy_hidden(softmax_cross_entropy):
    own_work(softmax_cross_entropy, LOSS_LIBRARY)
    rng = _rng(507)
    for N, K in [(4, 10), (1, 3), (7, 2), (16, 5), (3, 1)]:
        scores = rng.standard_normal((N, K)) * 3
        _check_loss(softmax_cross_entropy, scores, rng.integers(0, K, N))
    # large scores: no overflow, the answer of the shifted scores
    scores = rng.standard_normal((5, 4)) * 3 + np.array([[1000.0], [-1000.0], [0], [700], [-700]])
    _check_loss(softmax_cross_entropy, scores, rng.integers(0, 4, 5))
    scores = np.array([[1000.0, 0.0, -1000.0], [-1000.0, 1000.0, 0.0]])
    _check_loss(softmax_cross_entropy, scores, np.array([2, 0]))  # log p = -2000
    expect_raises(
        softmax_cross_entropy, (np.zeros((3, 4)), np.array([0, 1])), why="3 rows, 2 labels"
    )
    expect_raises(softmax_cross_entropy, (np.zeros((2, 4)), np.array([0, 4])), why="label 4, K = 4")
    expect_raises(softmax_cross_entropy, (np.zeros((2, 4)), np.array([-1, 0])), why="label -1")


# --------------------------------------------------------------------------- sgd


def _check_sgd(sgd_momentum, p, g, v, lr, mu):
    want_p, want_v = ref.sgd_momentum(p, g, v, lr, mu)
    label = signature(sgd_momentum, (p, g, v, lr, mu))
    result = call(sgd_momentum, (p, g, v, lr, mu))
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        raise CheckFailed(f"{label} should return two values (p_new, v_new)")
    got_p, got_v = result
    torch_u = -v / lr  # PyTorch's buffer for the same state
    p_misc = {
        "momentum applied with the wrong sign (v <- mu v + lr g, p <- p + v): "
        "the parameters climb the loss": p + mu * v + lr * g,
        "p must move by the new velocity, not the old one": p + v,
        "that is plain SGD: the velocity (momentum) was ignored": p - lr * g,
        "that is PyTorch's convention with this v as its buffer (u <- mu u + g, p <- p - lr u); "
        "this chapter uses v <- mu v - lr g, p <- p + v": p - lr * (mu * v + g),
        "the learning rate was applied twice (p <- p + lr * v)": p + lr * want_v,
    }
    v_misc = {
        "that is v for the convention v <- mu v + lr g, p <- p - v; "
        "this chapter uses v <- mu v - lr g, p <- p + v": -want_v,
        "the velocity was not updated (the old v came back)": v,
        "that is PyTorch's buffer u <- mu u + g; this chapter's velocity is v <- mu v - lr g": mu
        * torch_u
        + g,
    }
    expect_array(f"new p from {label}", got_p, want_p, _distinct(want_p, p_misc))
    expect_array(f"new v from {label}", got_v, want_v, _distinct(want_v, v_misc))
    return want_p, want_v


def _distinct(right, variants):
    """Only the variants that differ from the right answer."""
    out = {}
    for message, v in variants.items():
        v = np.asarray(v)
        if v.shape != np.shape(right) or not np.allclose(v, right, rtol=1e-10, atol=1e-10):
            out[message] = v
    return out


def sgd_momentum_hidden(sgd_momentum):
    own_work(sgd_momentum, OPTIMIZER_LIBRARY)
    rng = _rng(508)
    for shape, lr, mu in [
        ((3,), 0.5, 0.9),
        ((2, 3), 0.25, 0.5),
        ((4, 1, 2, 2), 0.125, 0.75),
        ((5,), 1.0, 0.0),
        ((1,), 0.5, 0.99),
    ]:
        p = _ints(rng, shape)
        v = np.zeros(shape)
        for _ in range(3):  # three steps in a row, the velocity carried along
            g = _ints(rng, shape)
            p, v = _check_sgd(sgd_momentum, p, g, v, lr, mu)
    # real-valued parameters and float32
    p, g, v = rng.standard_normal((6, 5)), rng.standard_normal((6, 5)), rng.standard_normal((6, 5))
    _check_sgd(sgd_momentum, p, g, v, 0.01, 0.9)
    p32 = [a.astype(np.float32) for a in (p, g, v)]
    want_p, _ = ref.sgd_momentum(*p32, 0.01, 0.9)
    got = call(sgd_momentum, (*p32, 0.01, 0.9))
    expect_array("new p from sgd_momentum in float32", got[0], want_p, rtol=1e-5, atol=1e-6)


def sgd_momentum_edge_cases(sgd_momentum):
    own_work(sgd_momentum, OPTIMIZER_LIBRARY)
    p = g = v = np.ones(3)
    expect_raises(sgd_momentum, (p, g, v, 0.0, 0.9), why="lr = 0")
    expect_raises(sgd_momentum, (p, g, v, -0.1, 0.9), why="lr < 0")
    expect_raises(sgd_momentum, (p, g, v, 0.1, 1.0), why="momentum = 1")
    expect_raises(sgd_momentum, (p, g, v, 0.1, -0.5), why="momentum < 0")
    expect_raises(sgd_momentum, (p, np.ones(4), v, 0.1, 0.9), why="g has another shape")
    expect_raises(sgd_momentum, (p, g, np.ones((3, 1)), 0.1, 0.9), why="v has another shape")


# --------------------------------------------------------------------------- train_step


_REAL_BATCHES = None


def _real_batches():
    """Three small batches of real Fashion-MNIST test images, padded to 32x32, float64."""
    global _REAL_BATCHES
    if _REAL_BATCHES is None:
        from cnnkit.data import load_fashion_mnist

        X, y = load_fashion_mnist("test", normalize=True)
        rng = _rng(509)
        idx = rng.choice(len(X), size=40, replace=False)
        Xb = np.pad(X[idx].astype(np.float64), ((0, 0), (2, 2), (2, 2)))[:, None]
        _REAL_BATCHES = [
            (Xb[0:16], y[idx[0:16]]),
            (Xb[16:24], y[idx[16:24]]),
            (Xb[24:40], y[idx[24:40]]),
        ]
    return _REAL_BATCHES


def _simulate(batches, lr, mu, *, keep_velocity=True, loss_after=False):
    """Run the reference steps (or a misconception of them); losses and final parameters."""
    layers = ref.build_lenet(510, np.float64)
    velocities = ref.init_velocities(layers)
    losses = []
    for X, y in batches:
        if not keep_velocity:
            velocities = ref.init_velocities(layers)
        loss = ref.train_step(layers, velocities, X, y, lr, mu)
        if loss_after:
            loss = ref.softmax_cross_entropy(ref.forward(layers, X), y)[0]
        losses.append(loss)
    return np.array(losses), np.concatenate([p.ravel() for p in _param_list(layers)]), velocities


@graded_alone(
    "forward",
    "backward",
    "softmax_cross_entropy",
    "sgd_momentum",
    "init_velocities",
    forbidden=CONTAINER + OPTIMIZER_LIBRARY + LOSS_LIBRARY,
)
def train_step_real_batch(train_step):
    batches = _real_batches()
    lr, mu = 0.05, 0.9
    want_losses, want_params, want_vel = _simulate(batches, lr, mu)
    layers = ref.build_lenet(510, np.float64)
    velocities = ref.init_velocities(layers)
    losses = []
    for i, (X, y) in enumerate(batches):
        label = f"train_step(lenet, velocities, X, y, lr={lr}, momentum={mu}) on real batch {i + 1}"
        loss = call(train_step, (layers, velocities, X, y, lr, mu), label=label)
        losses.append(as_result_array(label, loss).item() if np.size(loss) == 1 else np.nan)
    got_params = np.concatenate([np.asarray(p, dtype=float).ravel() for p in _param_list(layers)])
    initial = np.concatenate([p.ravel() for p in _param_list(ref.build_lenet(510, np.float64))])
    param_misc = {
        "the parameters did not change: write the new values into layer.params[name]": initial,
        "these are plain SGD steps: keep each velocity from one step to the next (store the "
        "new v in velocities) and pass the momentum on": _simulate(
            batches, lr, mu, keep_velocity=False
        )[1],
    }
    expect_array("parameters after three training steps", got_params, want_params, param_misc)
    loss_misc = {
        "return the loss computed before the update, not after it": _simulate(
            batches, lr, mu, loss_after=True
        )[0],
    }
    expect_array(
        "losses of three training steps on real images", np.array(losses), want_losses, loss_misc
    )
    for i, (mine, theirs) in enumerate(zip(velocities, want_vel, strict=True)):
        for key in theirs:
            expect_array(f"velocities[{i}][{key!r}] after three steps", mine.get(key), theirs[key])


# --------------------------------------------------------------------------- accuracy


def _check_accuracy(accuracy, scores, y):
    want = ref.accuracy(scores, y)
    label = signature(accuracy, (scores, y))
    got = call(accuracy, (scores, y))
    misc = {
        "compare the index of the largest score (argmax), not the score itself (max)": float(
            np.mean(scores.max(axis=1) == y)
        ),
        "accuracy is a fraction between 0 and 1, not a percentage": 100 * want,
        "that is the error rate; accuracy counts the right predictions": 1 - want,
    }
    if scores.shape[0] == scores.shape[1]:
        misc["take the argmax along the classes, axis=1 (one prediction per row)"] = float(
            np.mean(scores.argmax(axis=0) == y)
        )
    misc = {m: v for m, v in misc.items() if not np.isclose(v, want)}
    expect_array(label, as_result_array(label, got), want, misc)


def accuracy_hidden(accuracy):
    own_work(accuracy, ACCURACY_LIBRARY)
    rng = _rng(511)
    for N, K in [(20, 10), (7, 3), (1, 5), (50, 2), (6, 6), (13, 4)]:
        scores = rng.standard_normal((N, K))
        y = np.where(rng.random(N) < 0.6, scores.argmax(axis=1), rng.integers(0, K, N))
        _check_accuracy(accuracy, scores, y)
    scores = np.eye(4) * 5 - 2  # all right; scores negative off the diagonal
    _check_accuracy(accuracy, scores, np.arange(4))
    expect_raises(accuracy, (np.zeros((3, 4)), np.array([0, 1])), why="3 rows, 2 labels")
    expect_raises(accuracy, (np.zeros(4), np.array([0, 1, 2, 3])), why="1-D scores")


# --------------------------------------------------------------------------- understanding


def understanding(answers):
    """Answers keyed by question name."""
    right = {
        "q_c3_full": 2_416,
        "q_c5": "b",
        "q_connections": "a",
        "q_terminal_step": 10,
        "q_torch_velocity": "b",
        "q_batch_mean": "b",
    }

    def same(a, b):
        if isinstance(b, str):
            return isinstance(a, str) and a.strip().lower() == b
        return (
            isinstance(a, (int, float, np.number)) and not isinstance(a, bool) and np.isclose(a, b)
        )

    wrong = [q for q, a in right.items() if not same(answers.get(q), a)]
    if wrong:
        raise CheckFailed(f"{len(wrong)} of {len(right)} answers are wrong: {', '.join(wrong)}")
