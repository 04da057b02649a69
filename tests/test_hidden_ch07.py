"""Chapter 7 hidden tests: right answers pass, known mistakes are named, shortcuts rejected.

Candidate answers are written as notebook source and executed in a namespace whose
``__name__`` is ``"__main__"``, as a student's notebook cell defines them, so that
``expect_own_work`` treats them as the student's own functions. Most mistakes are small
edits of a correct answer written in the loop style the notebook suggests.
"""

from __future__ import annotations

import inspect

import pytest

import cnnkit.conv_transpose
import cnnkit.dilated
import cnnkit.transposed_widget
from autograder.checks import CheckFailed
from autograder.hidden import ch07 as hidden
from autograder.reference import ch07_transposed_dilated as ref
from tests.notebook_helpers import module_as_notebook, run_as_notebook

HELPERS = """
from numpy.lib.stride_tricks import sliding_window_view


def as_int(name, value, minimum):
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise ValueError(f"{name} must be an integer")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}")
    return int(value)
"""

# A correct answer in loop style, the base of the mistakes.
STUDENT = (
    HELPERS
    + """

def transposed_output_size(i, k, stride=1, pad=0, output_padding=0):
    i, k = as_int("i", i, 1), as_int("k", k, 1)
    stride, pad = as_int("stride", stride, 1), as_int("pad", pad, 0)
    output_padding = as_int("output_padding", output_padding, 0)
    if output_padding >= stride:
        raise ValueError("output_padding must be smaller than stride")
    o = stride * (i - 1) + k - 2 * pad + output_padding
    if o < 1:
        raise ValueError("empty output")
    return o


def _check(X, W, b):
    X, W, b = (np.asarray(a, dtype=float) for a in (X, W, b))
    if X.ndim != 4 or W.ndim != 4 or W.shape[0] != X.shape[1] or b.shape != (W.shape[1],):
        raise ValueError("bad shapes")
    return X, W, b


def transposed_conv2d(X, W, b, stride=1, pad=0, output_padding=0):
    X, W, b = _check(X, W, b)
    N, C_in, H, Wd = X.shape
    _, C_out, kH, kW = W.shape
    Ho = transposed_output_size(H, kH, stride, pad, output_padding)
    Wo = transposed_output_size(Wd, kW, stride, pad, output_padding)
    step = stride
    extra = output_padding
    full = np.zeros((N, C_out, step * (H - 1) + kH + extra, step * (Wd - 1) + kW + extra))
    for i in range(H):
        for j in range(Wd):
            stamp = np.einsum("nc,coij->noij", X[:, :, i, j], W)
            full[:, :, step * i : step * i + kH, step * j : step * j + kW] += stamp
    out = full[:, :, pad : pad + Ho, pad : pad + Wo]
    return out + b[None, :, None, None], (X, W, b, stride, pad, output_padding)


def transposed_conv2d_loops(X, W, b, stride=1, pad=0):
    return transposed_conv2d(X, W, b, stride, pad)[0]


def transposed_conv2d_backward(dout, cache):
    X, W, b, stride, pad, output_padding = cache
    N, C_in, H, Wd = X.shape
    _, C_out, kH, kW = W.shape
    Ho = transposed_output_size(H, kH, stride, pad, output_padding)
    Wo = transposed_output_size(Wd, kW, stride, pad, output_padding)
    if dout.shape != (N, C_out, Ho, Wo):
        raise ValueError("dout has the wrong shape")
    dfull = np.pad(dout, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    dX = np.zeros(X.shape)
    dW = np.zeros(W.shape)
    for i in range(H):
        for j in range(Wd):
            block = dfull[:, :, stride * i : stride * i + kH, stride * j : stride * j + kW]
            dX[:, :, i, j] = np.einsum("noij,coij->nc", block, W)
            dW += np.einsum("noij,nc->coij", block, X[:, :, i, j])
    db = dout.sum(axis=(0, 2, 3))
    return dX, dW, db


def dilated_conv2d(X, W, b, stride=1, pad=0, dilation=1):
    X, W, b = (np.asarray(a, dtype=float) for a in (X, W, b))
    stride, pad = as_int("stride", stride, 1), as_int("pad", pad, 0)
    dilation = as_int("dilation", dilation, 1)
    if X.ndim != 4 or W.ndim != 4 or X.shape[1] != W.shape[1] or b.shape != (W.shape[0],):
        raise ValueError("bad shapes")
    N = X.shape[0]
    C_out, C_in, kH, kW = W.shape
    gap = dilation
    span_h, span_w = gap * (kH - 1) + 1, gap * (kW - 1) + 1
    Xp = np.pad(X, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    if span_h > Xp.shape[2] or span_w > Xp.shape[3]:
        raise ValueError("the dilated kernel does not fit")
    Ho = (Xp.shape[2] - span_h) // stride + 1
    Wo = (Xp.shape[3] - span_w) // stride + 1
    out = np.zeros((N, C_out, Ho, Wo))
    for y in range(Ho):
        for x in range(Wo):
            rows = slice(y * stride, y * stride + span_h, gap)
            cols = slice(x * stride, x * stride + span_w, gap)
            out[:, :, y, x] = np.einsum("ncij,ocij->no", Xp[:, :, rows, cols], W)
    return out + b[None, :, None, None], (X, W, b, stride, pad, dilation)


def dilated_conv2d_backward(dout, cache):
    X, W, b, stride, pad, dilation = cache
    N, C_in, H, Wd = X.shape
    C_out, _, kH, kW = W.shape
    Ho = (H + 2 * pad - dilation * (kH - 1) - 1) // stride + 1
    Wo = (Wd + 2 * pad - dilation * (kW - 1) - 1) // stride + 1
    if dout.shape != (N, C_out, Ho, Wo):
        raise ValueError("dout has the wrong shape")
    Xp = np.pad(X, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    dXp = np.zeros_like(Xp)
    dW = np.zeros(W.shape)
    for u in range(kH):
        for v in range(kW):
            rows = slice(dilation * u, dilation * u + stride * (Ho - 1) + 1, stride)
            cols = slice(dilation * v, dilation * v + stride * (Wo - 1) + 1, stride)
            dW[:, :, u, v] = np.einsum("nohw,nchw->oc", dout, Xp[:, :, rows, cols])
            dXp[:, :, rows, cols] += np.einsum("nohw,oc->nchw", dout, W[:, :, u, v])
    db = dout.sum(axis=(0, 2, 3))
    return dXp[:, :, pad : pad + H, pad : pad + Wd], dW, db


def receptive_field(layers):
    fields = []
    r, jump = 1, 1
    for layer in layers:
        if not isinstance(layer, (tuple, list)) or len(layer) not in (2, 3):
            raise ValueError("a layer is (kernel, stride[, dilation])")
        k, s = as_int("kernel", layer[0], 1), as_int("stride", layer[1], 1)
        d = as_int("dilation", layer[2], 1) if len(layer) == 3 else 1
        r += (k - 1) * d * jump
        jump *= s
        fields.append(r)
    return fields
"""
)

# The stride applied to the output: an ordinary strided convolution of the padded input.
STRIDE_ON_OUTPUT = """
def transposed_conv2d(X, W, b, stride=1, pad=0, output_padding=0):
    X, W, b = _check(X, W, b)
    kH, kW = W.shape[2:]
    Xp = np.pad(X, ((0, 0), (0, 0), (kH - 1 - pad,) * 2, (kW - 1 - pad,) * 2))
    windows = sliding_window_view(Xp, (kH, kW), axis=(2, 3))[:, :, ::stride, ::stride]
    out = np.einsum("nchwij,coij->nohw", windows, W[:, :, ::-1, ::-1])
    return out + b[None, :, None, None], (X, W, b, stride, pad, output_padding)
"""

HIDDEN_TESTS = [
    "output_size_random",
    "output_size_edge_cases",
    "transposed_loops_random",
    "transposed_random",
    "transposed_edge_cases",
    "transposed_backward_random",
    "dilated_random",
    "dilated_edge_cases",
    "dilated_backward_random",
    "receptive_field_random",
]

ANSWERS = {
    "q_undoes": False,
    "q_even_kernel": "b",
    "q_dilated_weights": 36864,
    "q_stack_rf": 31,
    "q_transposed_size": "b",
}


def student(*edits, base=STUDENT, **extra):
    """The student source with ``(old, new)`` replacements, each of which must apply."""
    source = base
    for old, new in edits:
        assert source.count(old) >= 1, old
        source = source.replace(old, new)
    return run_as_notebook(source, **extra)


def run(name, ns):
    """Call hidden test ``name`` with the functions it grades, taken from ``ns``."""
    fn = getattr(hidden, name)
    return fn(*(ns[p] for p in inspect.signature(fn).parameters))


# ------------------------------------------------------------ (a) right answers pass


@pytest.mark.parametrize("name", HIDDEN_TESTS)
def test_reference_passes(name):
    run(name, module_as_notebook(ref))


@pytest.mark.parametrize("name", HIDDEN_TESTS)
def test_loop_answer_passes(name):
    run(name, student())


def test_understanding():
    hidden.understanding(ANSWERS)
    with pytest.raises(CheckFailed, match="1 of 5 answers are wrong: q_stack_rf$"):
        hidden.understanding({**ANSWERS, "q_stack_rf": 15})
    with pytest.raises(CheckFailed, match="does not undo the convolution"):
        hidden.understanding({**ANSWERS, "q_undoes": True})
    with pytest.raises(CheckFailed, match="q_dilated_weights"):
        hidden.understanding({**ANSWERS, "q_dilated_weights": 36864.0})


# ---------------------------------------------------- (b) mistakes are named

CONV_FORMULA = (
    "o = stride * (i - 1) + k - 2 * pad + output_padding",
    "o = (i + 2 * pad - k) // stride + 1",
)
MISTAKES = [
    # output size
    ("output_size_random", [CONV_FORMULA], "size formula of an ordinary convolution"),
    (
        "output_size_random",
        [(CONV_FORMULA[0], "o = stride * (i - 1) + k + 2 * pad + output_padding")],
        "padding sign is inverted",
    ),
    (
        "output_size_random",
        [(CONV_FORMULA[0], "o = stride * (i - 1) + k - 2 * pad")],
        "output padding was ignored",
    ),
    (
        "output_size_edge_cases",
        [("if output_padding >= stride:", "if output_padding > stride:")],
        "output_padding must be < stride",
    ),
    # transposed convolution, loops and vectorized
    (
        "transposed_loops_random",
        [
            (
                '"nc,coij->noij", X[:, :, i, j], W)',
                '"nc,coij->noij", X[:, :, i, j], W[:, :, ::-1, ::-1])',
            )
        ],
        "kernel was rotated",
    ),
    (
        "transposed_random",
        [
            (
                "out = full[:, :, pad : pad + Ho, pad : pad + Wo]",
                "out = np.pad(full, ((0, 0), (0, 0), (pad, pad), (pad, pad)))",
            )
        ],
        "padding sign is inverted",
    ),
    (
        "transposed_random",
        [
            ("step = stride\n", "step = stride + 1\n"),
            (
                "out = full[:, :, pad : pad + Ho, pad : pad + Wo]",
                "out = full[:, :, pad : full.shape[2] - pad, pad : full.shape[3] - pad]",
            ),
        ],
        "stride zeros were inserted",
    ),
    (
        "transposed_random",
        [
            ("extra = output_padding", "extra = 0"),
            (
                "out = full[:, :, pad : pad + Ho, pad : pad + Wo]",
                "out = full[:, :, pad : full.shape[2] - pad, pad : full.shape[3] - pad]",
            ),
        ],
        "output padding was ignored",
    ),
    (
        "transposed_loops_random",
        [('"nc,coij->noij"', '"nc,ocij->noij"')],
        "channel axes of W were swapped",
    ),
    (
        "transposed_random",
        [
            (
                "return out + b[None, :, None, None], (X, W, b, stride, pad, output_padding)",
                "return out, (X, W, b, stride, pad, output_padding)",
            )
        ],
        "bias b was not added",
    ),
    # transposed backward
    (
        "transposed_backward_random",
        [('"noij,coij->nc", block, W)', '"noij,coij->nc", block, W[:, :, ::-1, ::-1])')],
        "ordinary convolution (cross-correlation) of dout with W",
    ),
    (
        "transposed_backward_random",
        [("stride * i : stride * i + kH, stride * j : stride * j + kW", "i : i + kH, j : j + kW")],
        "stride was ignored in the backward pass",
    ),
    (
        "transposed_backward_random",
        [("return dX, dW, db", "return dX, dW / N, db")],
        "do not divide it by N",
    ),
    (
        "transposed_backward_random",
        [
            (
                "db = dout.sum(axis=(0, 2, 3))\n    return dX",
                "db = dout.mean(axis=(0, 2, 3))\n    return dX",
            )
        ],
        "not a mean",
    ),
    # dilated
    (
        "dilated_random",
        [("gap = dilation", "gap = dilation + 1")],
        "a dilation gap of d instead of d - 1",
    ),
    ("dilated_random", [("gap = dilation", "gap = 1")], "the dilation was ignored"),
    (
        "dilated_random",
        [("Xp[:, :, rows, cols], W)", "Xp[:, :, rows, cols], W[:, :, ::-1, ::-1])")],
        "kernel was rotated",
    ),
    (
        "dilated_edge_cases",
        [('dilation = as_int("dilation", dilation, 1)', "dilation = int(dilation)")],
        "should raise ValueError",
    ),
    # dilated backward
    (
        "dilated_backward_random",
        [("dXp[:, :, rows, cols] += ", "dXp[:, :, rows, cols] = ")],
        "do not overwrite",
    ),
    (
        "dilated_backward_random",
        [
            (
                "return dXp[:, :, pad : pad + H, pad : pad + Wd], dW, db",
                "return dXp[:, :, pad : pad + H, pad : pad + Wd], dW[:, :, ::-1, ::-1], db",
            )
        ],
        "it is not rotated",
    ),
    # receptive field
    (
        "receptive_field_random",
        [
            (
                "        r += (k - 1) * d * jump\n        jump *= s\n",
                "        jump *= s\n        r += (k - 1) * d * jump\n",
            )
        ],
        "the layer's own stride",
    ),
    ("receptive_field_random", [("jump *= s", "jump = 1")], "the strides were ignored"),
    (
        "receptive_field_random",
        [("r += (k - 1) * d * jump", "r += (k - 1) * (d + 1) * jump")],
        "a dilation gap of d instead of d - 1",
    ),
    (
        "receptive_field_random",
        [("r += (k - 1) * d * jump", "r += (k - 1) * jump")],
        "the dilation was ignored",
    ),
    ("receptive_field_random", [("fields = []", "fields = [1]")], "without r_0 = 1"),
    # more of the named mistakes, one wrong answer each
    (
        "output_size_random",
        [(CONV_FORMULA[0], "o = stride * (i - 1) + k - pad + output_padding")],
        "subtract 2p, not p",
    ),
    (
        "output_size_random",
        [(CONV_FORMULA[0], "o = stride * (i - 1) + k - 2 * pad + 2 * output_padding")],
        "added once",
    ),
    (
        "output_size_random",
        [(CONV_FORMULA[0], "o = stride * i + k - 2 * pad + output_padding")],
        "not s*i",
    ),
    (
        "transposed_random",
        [
            (
                "full[:, :, step * i : step * i + kH, step * j : step * j + kW] += stamp",
                "full[:, :, extra + step * i : extra + step * i + kH, "
                "extra + step * j : extra + step * j + kW] += stamp",
            )
        ],
        "added at the top and left",
    ),
    (
        "transposed_backward_random",
        [("return dX, dW, db", "return dX, dW[:, :, ::-1, ::-1], db")],
        "dW is not rotated",
    ),
    (
        "transposed_backward_random",
        [
            (
                "db = dout.sum(axis=(0, 2, 3))\n    return dX,",
                "db = dout.sum(axis=(2, 3))\n    return dX,",
            )
        ],
        "sums over the batch too",
    ),
    ("dilated_random", [("gap = dilation", "gap = 1\n    stride = dilation")], "used as a stride"),
    (
        "dilated_random",
        [
            (
                "return out + b[None, :, None, None], (X, W, b, stride, pad, dilation)",
                "return out, (X, W, b, stride, pad, dilation)",
            )
        ],
        "bias b was not added",
    ),
    (
        "dilated_backward_random",
        [("W[:, :, u, v])", "W[:, :, kH - 1 - u, kW - 1 - v])")],
        "dX used the kernel rotated",
    ),
    (
        "dilated_backward_random",
        [("pad : pad + Wd], dW, db", "pad : pad + Wd], dW / N, db")],
        "do not divide it by N",
    ),
    (
        "dilated_backward_random",
        [
            (
                "db = dout.sum(axis=(0, 2, 3))\n    return dXp",
                "db = dout.mean(axis=(0, 2, 3))\n    return dXp",
            )
        ],
        "not a mean",
    ),
    ("receptive_field_random", [("jump *= s", "jump += s - 1")], "added instead of multiplied"),
    (
        "receptive_field_random",
        [("r += (k - 1) * d * jump", "r += k * d * jump")],
        "each layer adds k - 1",
    ),
]


@pytest.mark.parametrize(
    "name,edits,fragment", MISTAKES, ids=[f"{m[0]}-{i}" for i, m in enumerate(MISTAKES)]
)
def test_mistake_is_named(name, edits, fragment):
    ns = student(*edits)
    with pytest.raises(CheckFailed) as info:
        run(name, ns)
    assert fragment in str(info.value), str(info.value)


def test_stride_on_the_output_is_named():
    ns = student()
    ns.update(run_as_notebook(STRIDE_ON_OUTPUT, base=ns))
    with pytest.raises(CheckFailed, match="stride was applied to the output"):
        run("transposed_random", ns)


def test_failures_are_short():
    """A failing check says what was expected in a line or two, not a page of numbers."""
    for name, edits in [
        ("transposed_random", [("full[:, :, step * i", "full[:, :, step * i + 1")]),
        ("dilated_backward_random", [("dW[:, :, u, v] = ", "dW[:, :, u, v] = 2 * ")]),
    ]:
        with pytest.raises(CheckFailed) as info:
            run(name, student(*edits))
        assert len(str(info.value)) < 400 and "\n" not in str(info.value), str(info.value)


# -------------------------------------------- (c) shortcuts and library code rejected

WRAPPERS = [
    (
        "transposed_random",
        {"CT": cnnkit.conv_transpose},
        """
        def transposed_conv2d(X, W, b, stride=1, pad=0, output_padding=0):
            out, _ = CT.conv_transpose2d_forward(X, W, b, stride, pad, output_padding)
            return out, (X, W, b, stride, pad, output_padding)
        """,
        "CT",
    ),
    (
        "dilated_backward_random",
        {"fast": cnnkit.dilated.col2im_dilated, "cols": cnnkit.dilated.im2col_dilated},
        """
        def dilated_conv2d_backward(dout, cache):
            X, W, b, stride, pad, dilation = cache
            C_out, C_in, kH, kW = W.shape
            d2 = dout.transpose(1, 0, 2, 3).reshape(C_out, -1)
            c = cols(X, kH, kW, stride, pad, dilation)
            dX = fast(W.reshape(C_out, -1).T @ d2, X.shape, kH, kW, stride, pad, dilation)
            return dX, (d2 @ c.T).reshape(W.shape), dout.sum(axis=(0, 2, 3))
        """,
        "calls im2col_dilated",
    ),
    (
        "receptive_field_random",
        {"rf_map": cnnkit.transposed_widget.receptive_field_map},
        """
        def receptive_field(layers):
            return [len(rf_map(layers[: i + 1])) for i in range(len(layers))]
        """,
        "receptive_field_map",
    ),
]


@pytest.mark.parametrize("name,extra,source,fragment", WRAPPERS, ids=[w[0] for w in WRAPPERS])
def test_wrappers_around_library_code_are_rejected(name, extra, source, fragment):
    ns = student()
    ns.update(run_as_notebook(source, base=ns, **extra))
    with pytest.raises(CheckFailed, match=fragment):
        run(name, ns)


def test_reference_functions_are_rejected():
    with pytest.raises(CheckFailed, match="autograder"):
        hidden.transposed_random(ref.transposed_conv2d)


# ------------------------------------------------------------ (d) stubs


@pytest.mark.parametrize("name", HIDDEN_TESTS)
def test_stubs_raise_not_implemented(name):
    names = [
        "transposed_output_size",
        "transposed_conv2d_loops",
        "transposed_conv2d",
        "transposed_conv2d_backward",
        "dilated_conv2d",
        "dilated_conv2d_backward",
        "receptive_field",
    ]
    stubs = run_as_notebook(
        "\n".join(f"def {fn}(*args, **kwargs):\n    raise NotImplementedError()\n" for fn in names)
    )
    with pytest.raises(NotImplementedError):
        run(name, stubs)
