"""Chapter 2 hidden tests: right answers pass, known mistakes are named, shortcuts rejected.

Student code lives in a notebook, i.e. in ``__main__``. The tests imitate that by
executing function definitions in a fresh namespace whose ``__name__`` is
``"__main__"``: first the model solution's cells from ``solutions/02_padding_stride.py``,
then, for each misconception, a deliberately wrong version on top of them.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np
import pytest

from autograder.checks import CheckFailed
from autograder.hidden import ch02 as hidden
from autograder.reference import ch02_padding_stride as ref
from tests.notebook_helpers import fails_with, run_as_notebook, solution_namespace

SOLUTION = Path(__file__).resolve().parent.parent / "solutions" / "02_padding_stride.py"


SOLUTION_NS = solution_namespace("02_padding_stride")


def notebook(source="", **names):
    """The solution's namespace plus ``source`` executed on top, as a notebook would."""
    return run_as_notebook(source, SOLUTION_NS, **names)


# Each grade cell's hidden function and the solution function it is called with.
CELLS = [
    (hidden.pad2d_random, "pad2d"),
    (hidden.pad2d_edge_cases, "pad2d"),
    (hidden.conv_output_size_random, "conv_output_size"),
    (hidden.conv_output_size_errors, "conv_output_size"),
    (hidden.corr2d_random, "corr2d"),
    (hidden.corr2d_edge_cases, "corr2d"),
    (hidden.conv_forward_naive_random, "conv_forward_naive"),
    (hidden.conv_forward_naive_edge_cases, "conv_forward_naive"),
    (hidden.conv_param_count_hidden, "conv_param_count"),
    (hidden.im2col_random, "im2col"),
    (hidden.im2col_edge_cases, "im2col"),
    (hidden.conv_forward_im2col_random, "conv_forward_im2col"),
    (hidden.conv_forward_im2col_edge_cases, "conv_forward_im2col"),
]
CELL_IDS = [check.__name__ for check, _ in CELLS]


# ------------------------------------------------------------- right answers pass


@pytest.mark.parametrize("check,name", CELLS, ids=CELL_IDS)
def test_model_solution_passes(check, name):
    check(SOLUTION_NS[name])


REFERENCE = {
    "pad2d": ref.pad2d,
    "conv_output_size": ref.conv_output_size,
    "corr2d": ref.corr2d,
    "conv_forward_naive": ref.conv_forward,
    "conv_param_count": ref.conv_param_count,
    "im2col": ref.im2col,
    "conv_forward_im2col": ref.conv_forward_im2col,
}


@pytest.mark.parametrize("check,name", CELLS, ids=CELL_IDS)
def test_reference_passes_the_value_checks(check, name, monkeypatch):
    # The reference is vectorized with window tricks and lives in autograder, which the
    # own-work check rightly rejects; switch that check off to test the values alone.
    monkeypatch.setattr(hidden, "own_work", lambda func, forbidden=(): None)
    monkeypatch.setattr(hidden, "names_used", lambda func: {"im2col"})
    check(REFERENCE[name])


def test_understanding_passes_and_fails():
    answers = {k: SOLUTION_NS[k] for k in hidden.ANSWERS}
    hidden.understanding(answers)
    answers["q_output_size"] = 17
    fails_with(hidden.understanding, answers, "1 of 5", "q_output_size")
    answers["q_tf_same"] = True
    fails_with(hidden.understanding, answers, "2 of 5")


# ------------------------------------------------------------ stubs say "not done"


STUB = "def {name}(*args, **kwargs):\n    raise NotImplementedError()\n"


@pytest.mark.parametrize("check,name", CELLS, ids=CELL_IDS)
def test_stub_raises_not_implemented(check, name):
    ns = notebook(STUB.format(name=name))
    with pytest.raises(NotImplementedError):
        check(ns[name])


# ------------------------------------------------------------------- misconceptions


PAD_WRONG = {
    "pads N and C too": (
        """
        def pad2d(X, pad, value=0):
            X = np.asarray(X, dtype=float)
            out = np.full(tuple(d + 2 * pad for d in X.shape), value, dtype=float)
            out[tuple(slice(pad, pad + d) for d in X.shape)] = X
            return out
        """,
        "N (images) and C (channels)",
    ),
    "one side only": (
        """
        def pad2d(X, pad, value=0):
            X = np.asarray(X, dtype=float)
            H, W = X.shape[-2:]
            out = np.full(X.shape[:-2] + (H + pad, W + pad), value, dtype=float)
            out[..., pad:, pad:] = X
            return out
        """,
        "both sides",
    ),
    "rows only": (
        """
        def pad2d(X, pad, value=0):
            X = np.asarray(X, dtype=float)
            H, W = X.shape[-2:]
            out = np.full(X.shape[:-2] + (H + 2 * pad, W), value, dtype=float)
            out[..., pad:pad + H, :] = X
            return out
        """,
        "only the rows",
    ),
    "value ignored": (
        """
        def pad2d(X, pad, value=0):
            X = np.asarray(X, dtype=float)
            H, W = X.shape[-2:]
            out = np.zeros(X.shape[:-2] + (H + 2 * pad, W + 2 * pad))
            out[..., pad:pad + H, pad:pad + W] = X
            return out
        """,
        "not with zeros",
    ),
}


@pytest.mark.parametrize("case", list(PAD_WRONG))
def test_pad2d_misconceptions_are_named(case):
    source, phrase = PAD_WRONG[case]
    fails_with(hidden.pad2d_random, notebook(source)["pad2d"], phrase)


SIZE_BODY = """
def conv_output_size(n, k, pad=0, stride=1, dilation=1):
    span = dilation * (k - 1) + 1
    if span > n + 2 * pad:
        raise ValueError("too large")
    return {expr}
"""
SIZE_WRONG = {
    "divisor 2": ("(n + 2 * pad - span) // 2 + 1", "not 2"),
    "no + 1": ("(n + 2 * pad - span) // stride", "off by one"),
    "stride ignored": ("n + 2 * pad - span + 1", "stride was ignored"),
    "pad once": ("(n + pad - span) // stride + 1", "n + 2p, not n + p"),
    "ceil": ("-(-(n + 2 * pad - span) // stride) + 1", "round down"),
    "true division": ("(n + 2 * pad - span) / stride + 1", "floor division"),
    "dilation ignored": ("(n + 2 * pad - k) // stride + 1", "d(k-1)+1 cells, not k"),
}


@pytest.mark.parametrize("case", list(SIZE_WRONG))
def test_output_size_misconceptions_are_named(case):
    expr, phrase = SIZE_WRONG[case]
    func = notebook(SIZE_BODY.format(expr=expr))["conv_output_size"]
    fails_with(hidden.conv_output_size_random, func, phrase)


def test_output_size_without_validation_fails_the_error_checks():
    func = notebook(
        """
        def conv_output_size(n, k, pad=0, stride=1, dilation=1):
            return (n + 2 * pad - dilation * (k - 1) - 1) // stride + 1
        """
    )["conv_output_size"]
    hidden.conv_output_size_random(func)  # right values ...
    fails_with(hidden.conv_output_size_errors, func, "should raise ValueError")  # ... no checks


def test_output_size_rejecting_numpy_integers_fails():
    func = notebook(
        """
        _right = conv_output_size
        def conv_output_size(n, k, pad=0, stride=1, dilation=1):
            for v in (n, k, pad, stride, dilation):
                if type(v) is not int:
                    raise ValueError("not an int")
            return _right(n, k, pad, stride, dilation)
        """
    )["conv_output_size"]
    fails_with(hidden.conv_output_size_errors, func, "raised ValueError")


CORR_WRONG = {
    "flipped kernel": "rotated by 180",
    "stride in positions ignored": "y*stride",
    "stride ignored": "stride was ignored",
    "padding ignored": "padding was ignored",
    "off by one": "off by one",
    "divisor 2": "not 2",
}
CORR_TEMPLATE = """
def corr2d(X, K, stride=1, pad=0):
    X = np.asarray(X, dtype=float)
    K = np.asarray(K, dtype=float)
    {flip}
    kH, kW = K.shape
    Xp = pad2d(X, {pad_used})
    Ho = {Ho}
    Wo = {Wo}
    Y = np.zeros((Ho, Wo))
    for y in range(Ho):
        for x in range(Wo):
            Y[y, x] = np.sum(Xp[y * {step}: y * {step} + kH, x * {step}: x * {step} + kW] * K)
    return Y
"""
CORR_RIGHT = {
    "flip": "",
    "pad_used": "pad",
    "Ho": "conv_output_size(X.shape[0], kH, pad, stride)",
    "Wo": "conv_output_size(X.shape[1], kW, pad, stride)",
    "step": "stride",
}
CORR_CHANGES = {
    "flipped kernel": {"flip": "K = K[::-1, ::-1]"},
    "stride in positions ignored": {"step": "1"},
    "stride ignored": {
        "step": "1",
        "Ho": "conv_output_size(X.shape[0], kH, pad, 1)",
        "Wo": "conv_output_size(X.shape[1], kW, pad, 1)",
    },
    "padding ignored": {
        "pad_used": "0",
        "Ho": "conv_output_size(X.shape[0], kH, 0, stride)",
        "Wo": "conv_output_size(X.shape[1], kW, 0, stride)",
    },
    "off by one": {
        "Ho": "(X.shape[0] + 2 * pad - kH) // stride",
        "Wo": "(X.shape[1] + 2 * pad - kW) // stride",
    },
    "divisor 2": {
        "Ho": "min((X.shape[0] + 2 * pad - kH) // 2 + 1, (Xp.shape[0] - kH) // stride + 1)",
        "Wo": "min((X.shape[1] + 2 * pad - kW) // 2 + 1, (Xp.shape[1] - kW) // stride + 1)",
    },
}


@pytest.mark.parametrize("case", list(CORR_WRONG))
def test_corr2d_misconceptions_are_named(case):
    source = CORR_TEMPLATE.format(**{**CORR_RIGHT, **CORR_CHANGES[case]})
    fails_with(hidden.corr2d_random, notebook(source)["corr2d"], CORR_WRONG[case])


def test_corr2d_template_is_right_when_unchanged():
    hidden.corr2d_random(notebook(CORR_TEMPLATE.format(**CORR_RIGHT))["corr2d"])


CONV_TEMPLATE = """
def {name}(X, W, b, stride=1, pad=0):
    X = np.asarray(X, dtype=float)
    W = np.asarray(W, dtype=float)
    b = np.asarray(b, dtype=float)
    N, C, H, Wd = X.shape
    C_out, C_in, kH, kW = W.shape
    if C_in != C or b.shape != (C_out,):
        raise ValueError("shapes")
    {flip}
    Ho = conv_output_size(H, kH, pad, {size_stride})
    Wo = conv_output_size(Wd, kW, pad, {size_stride})
    Xp = {padded}
    out = np.zeros((N, C_out, Ho, Wo))
    for n in range(N):
        for o in range(C_out):
            for y in range(Ho):
                for x in range(Wo):
                    total = {bias_once}
                    for c in range({channels}):
                        win = Xp[n, c, y * {step}: y * {step} + kH, x * {step}: x * {step} + kW]
                        total = total + np.sum(win * W[o, c]) + {bias_per_channel}
                    out[n, o, y, x] = total
    return {result}
"""
CONV_RIGHT = {
    "name": "conv_forward_naive",
    "flip": "",
    "size_stride": "stride",
    "padded": "pad2d(X, pad)",
    "bias_once": "b[o]",
    "bias_per_channel": "0",
    "channels": "C",
    "step": "stride",
    "result": "out",
}
CONV_CHANGES = {
    "flipped kernel": ({"flip": "W = W[..., ::-1, ::-1]"}, "rotated by 180"),
    "bias missing": ({"bias_once": "0"}, "bias is missing"),
    "bias per input channel": (
        {"bias_once": "0", "bias_per_channel": "b[o]"},
        "once per input channel",
    ),
    "first channel only": ({"channels": "1"}, "ALL input channels"),
    "stride ignored": ({"size_stride": "1", "step": "1"}, "stride was ignored"),
    "stride in positions ignored": ({"step": "1"}, "y*stride"),
    "padding N and C too": ({"padded": "np.pad(X, pad)"}, "N (images) and C (channels)"),
    "padding one side": (
        {"padded": "np.pad(X, ((0, 0), (0, 0), (pad, 0), (pad, 0)))", "size_stride": "stride"},
        None,  # the windows run off the padded input: an IndexError-free shape mismatch below
    ),
    "layout N, H', W', C_out": ({"result": "out.transpose(0, 2, 3, 1)"}, "layout"),
}


def _conv_source(case, name="conv_forward_naive"):
    changes = CONV_CHANGES[case][0] if case else {}
    return CONV_TEMPLATE.format(**{**CONV_RIGHT, "name": name, **changes})


def test_conv_template_is_right_when_unchanged():
    hidden.conv_forward_naive_random(notebook(_conv_source(None))["conv_forward_naive"])


@pytest.mark.parametrize("case", [c for c in CONV_CHANGES if CONV_CHANGES[c][1]])
def test_conv_misconceptions_are_named(case):
    func = notebook(_conv_source(case))["conv_forward_naive"]
    fails_with(hidden.conv_forward_naive_random, func, CONV_CHANGES[case][1])


@pytest.mark.parametrize("case", ["flipped kernel", "bias missing", "bias per input channel"])
def test_conv_edge_cases_name_misconceptions_too(case):
    func = notebook(_conv_source(case))["conv_forward_naive"]
    fails_with(hidden.conv_forward_naive_edge_cases, func, CONV_CHANGES[case][1])


def test_conv_padding_one_side_is_named():
    # Padding only at the top/left with the right output size makes windows run past the
    # bottom/right edge; NumPy then returns short windows and a broadcasting error.
    func = notebook(_conv_source("padding one side"))["conv_forward_naive"]
    with pytest.raises(CheckFailed):
        hidden.conv_forward_naive_random(func)
    # The version that also computes the size from the one-sided padding is named.
    func = notebook(
        """
        def conv_forward_naive(X, W, b, stride=1, pad=0):
            Xp = np.pad(np.asarray(X, dtype=float), ((0, 0), (0, 0), (pad, 0), (pad, 0)))
            return conv_forward_im2col(Xp, W, b, stride, 0)
        """
    )["conv_forward_naive"]
    fails_with(hidden.conv_forward_naive_random, func, "both sides")


def test_conv_im2col_wrong_reshape_is_named():
    func = notebook(
        """
        def conv_forward_im2col(X, W, b, stride=1, pad=0):
            X = np.asarray(X, dtype=float)
            W = np.asarray(W, dtype=float)
            N, C, H, Wd = X.shape
            C_out, _, kH, kW = W.shape
            Ho = conv_output_size(H, kH, pad, stride)
            Wo = conv_output_size(Wd, kW, pad, stride)
            out = im2col(X, kH, kW, stride, pad) @ W.reshape(C_out, -1).T + b
            return out.reshape(N, C_out, Ho, Wo)
        """
    )["conv_forward_im2col"]
    fails_with(hidden.conv_forward_im2col_random, func, "reshape the product")


@pytest.mark.parametrize("case", ["bias missing", "flipped kernel", "bias per input channel"])
def test_conv_im2col_misconceptions_are_named(case):
    # the same mistakes, in a function that calls im2col (so it passes the own-work check)
    source = _conv_source(case, name="conv_forward_im2col").replace(
        "    Xp = ", "    _cols = im2col(X, kH, kW, stride, pad)\n    Xp = "
    )
    func = notebook(source)["conv_forward_im2col"]
    fails_with(hidden.conv_forward_im2col_random, func, CONV_CHANGES[case][1])


PARAM_WRONG = {
    "no bias": ("C_in * C_out * kH * kW", "biases are missing"),
    "bias per slice": ("C_in * C_out * kH * kW + C_in * C_out", "not one per input channel"),
    "bias per input channel": ("C_in * C_out * kH * kW + C_in", "not one per input channel"),
    "C_in forgotten": ("C_out * kH * kW + C_out", "spans all C_in"),
}


@pytest.mark.parametrize("case", list(PARAM_WRONG))
def test_param_count_misconceptions_are_named(case):
    expr, phrase = PARAM_WRONG[case]
    func = notebook(
        f"""
        def conv_param_count(C_in, C_out, k, bias=True):
            kH, kW = k if isinstance(k, (tuple, list)) else (k, k)
            return {expr}
        """
    )["conv_param_count"]
    fails_with(hidden.conv_param_count_hidden, func, phrase)


IM2COL_WRONG = {
    "transposed": ("return _right(X, kH, kW, stride, pad).T", "transpose"),
    "(i, j, c) order": (
        """
        cols = _right(X, kH, kW, stride, pad)
        C = np.shape(X)[1]
        return cols.reshape(len(cols), C, kH, kW).transpose(0, 2, 3, 1).reshape(cols.shape)
        """,
        "(i, j, c)",
    ),
    "(y, x, n) rows": (
        """
        cols = _right(X, kH, kW, stride, pad)
        N = np.shape(X)[0]
        return cols.reshape(N, -1, cols.shape[1]).transpose(1, 0, 2).reshape(cols.shape)
        """,
        "(y, x, n)",
    ),
    "stride ignored": ("return _right(X, kH, kW, 1, pad)", "stride was ignored"),
    "padding ignored": ("return _right(X, kH, kW, stride, 0)", "padding was ignored"),
    "padding N and C": (
        "return _right(np.pad(X, pad)[:np.shape(X)[0], :np.shape(X)[1]], kH, kW, stride, 0)",
        "N (images) and C (channels)",
    ),
}


@pytest.mark.parametrize("case", list(IM2COL_WRONG))
def test_im2col_misconceptions_are_named(case):
    body, phrase = IM2COL_WRONG[case]
    source = "_right = im2col\ndef im2col(X, kH, kW, stride=1, pad=0):\n" + textwrap.indent(
        textwrap.dedent(body).strip(), "    "
    )
    fails_with(hidden.im2col_random, notebook(source)["im2col"], phrase)


# ---------------------------------------------------------------- shortcuts rejected


def test_cnnkit_functions_are_rejected():
    from cnnkit.conv import conv2d_forward
    from cnnkit.im2col import im2col as cnnkit_im2col

    # handed in directly
    fails_with(hidden.im2col_random, cnnkit_im2col, "comes from cnnkit")
    # or wrapped, under another name
    ns = notebook(
        """
        def im2col(X, kH, kW, stride=1, pad=0):
            return fast(X, kH, kW, stride, pad).T
        """,
        fast=cnnkit_im2col,
    )
    fails_with(hidden.im2col_random, ns["im2col"], "calls im2col (as fast)")
    ns = notebook(
        """
        def conv_forward_naive(X, W, b, stride=1, pad=0):
            return conv2d_forward(X, W, b, stride, pad)[0]
        """,
        conv2d_forward=conv2d_forward,
    )
    fails_with(hidden.conv_forward_naive_random, ns["conv_forward_naive"], "conv2d_forward")
    import cnnkit.conv as layers

    ns = notebook(
        """
        def conv_forward_im2col(X, W, b, stride=1, pad=0):
            im2col  # mentioned, never used
            return layers.conv2d_forward(X, W, b, stride, pad)[0]
        """,
        layers=layers,
    )
    fails_with(hidden.conv_forward_im2col_random, ns["conv_forward_im2col"], "conv2d_forward")


def test_reference_functions_are_rejected():
    fails_with(hidden.conv_forward_naive_random, ref.conv_forward, "comes from autograder")
    ns = notebook(
        """
        def corr2d(X, K, stride=1, pad=0):
            return answers.corr2d(X, K, stride, pad)
        """,
        answers=ref,
    )
    fails_with(hidden.corr2d_random, ns["corr2d"], "autograder")


def test_np_pad_is_rejected_in_pad2d():
    ns = notebook(
        """
        def pad2d(X, pad, value=0):
            X = np.asarray(X, dtype=float)
            widths = [(0, 0)] * (X.ndim - 2) + [(pad, pad), (pad, pad)]
            return np.pad(X, widths, constant_values=value)
        """
    )
    fails_with(hidden.pad2d_random, ns["pad2d"], "calls np.pad")


def test_window_tricks_are_rejected_in_the_loop_exercises():
    corr = notebook(
        """
        def corr2d(X, K, stride=1, pad=0):
            X, K = np.asarray(X, dtype=float), np.asarray(K, dtype=float)
            win = np.lib.stride_tricks.sliding_window_view(pad2d(X, pad), K.shape)
            return np.einsum("yxij,ij->yx", win[::stride, ::stride], K)
        """
    )["corr2d"]
    fails_with(hidden.corr2d_random, corr, "sliding_window_view")
    conv = notebook(
        """
        from numpy.lib.stride_tricks import sliding_window_view
        def conv_forward_naive(X, W, b, stride=1, pad=0):
            W = np.asarray(W, dtype=float)
            win = sliding_window_view(pad2d(X, pad), W.shape[2:], axis=(2, 3))
            out = np.einsum("ncyxij,ocij->noyx", win[:, :, ::stride, ::stride], W)
            return out + np.asarray(b)[None, :, None, None]
        """
    )["conv_forward_naive"]
    fails_with(hidden.conv_forward_naive_random, conv, "sliding_window_view")
    # ... but im2col may use them
    ok = notebook(
        """
        from numpy.lib.stride_tricks import sliding_window_view
        def im2col(X, kH, kW, stride=1, pad=0):
            X = np.asarray(X, dtype=float)
            N, C = X.shape[:2]
            win = sliding_window_view(pad2d(X, pad), (kH, kW), axis=(2, 3))
            win = win[:, :, ::stride, ::stride]
            return win.transpose(0, 2, 3, 1, 4, 5).reshape(-1, C * kH * kW)
        """
    )["im2col"]
    hidden.im2col_random(ok)


def test_library_convolutions_are_rejected():
    ns = notebook(
        """
        def corr2d(X, K, stride=1, pad=0):
            return np.convolve(np.ravel(X), np.ravel(K))
        """
    )
    fails_with(hidden.corr2d_random, ns["corr2d"], "convolve")
    torch = pytest.importorskip("torch")
    ns = notebook(
        """
        def conv_forward_im2col(X, W, b, stride=1, pad=0):
            im2col
            t = torch.nn.functional.conv2d(
                torch.from_numpy(X), torch.from_numpy(W), torch.from_numpy(b),
                stride=stride, padding=pad)
            return t.numpy()
        """,
        torch=torch,
    )
    fails_with(hidden.conv_forward_im2col_random, ns["conv_forward_im2col"], "from torch")
    ns = notebook(
        """
        def corr2d(X, K, stride=1, pad=0):
            t = torch.from_numpy(pad2d(X, pad)).unfold(0, len(K), stride)
            return (t.unfold(1, len(K[0]), stride) * torch.from_numpy(K)).sum((-2, -1)).numpy()
        """,
        torch=torch,
    )
    fails_with(hidden.corr2d_random, ns["corr2d"], "from torch")
    ns = notebook(
        """
        def conv_param_count(C_in, C_out, k, bias=True):
            kH, kW = k if isinstance(k, (tuple, list)) else (k, k)
            return int(torch.tensor(C_in * C_out * kH * kW + C_out * bias))
        """,
        torch=torch,
    )
    fails_with(hidden.conv_param_count_hidden, ns["conv_param_count"], "from torch")


def test_conv_im2col_must_call_im2col():
    ns = notebook(
        """
        def conv_forward_im2col(X, W, b, stride=1, pad=0):
            return conv_forward_naive(X, W, b, stride, pad)
        """
    )
    fails_with(hidden.conv_forward_im2col_random, ns["conv_forward_im2col"], "call your im2col")


# ------------------------------------------------------- one mistake costs points once


def test_each_exercise_is_graded_alone():
    # A wrong conv_output_size (divisor 2) and a pad2d that pads one side only ...
    ns = notebook(
        """
        def conv_output_size(n, k, pad=0, stride=1, dilation=1):
            return (n + 2 * pad - dilation * (k - 1) - 1) // 2 + 1
        def pad2d(X, pad, value=0):
            X = np.asarray(X, dtype=float)
            H, W = X.shape[-2:]
            out = np.full(X.shape[:-2] + (H + pad, W + pad), value, dtype=float)
            out[..., pad:, pad:] = X
            return out
        def im2col(X, kH, kW, stride=1, pad=0):
            return np.zeros((1, 1))
        """
    )
    wrong = (ns["conv_output_size"], ns["pad2d"], ns["im2col"])
    fails_with(hidden.conv_output_size_random, ns["conv_output_size"], "not 2")
    fails_with(hidden.pad2d_random, ns["pad2d"], "both sides")
    # ... cost no points in the exercises that call them
    for check, name in CELLS[4:9] + CELLS[11:]:
        check(ns[name])
    # and the student's functions are back in place afterwards
    assert (ns["conv_output_size"], ns["pad2d"], ns["im2col"]) == wrong


def test_helpers_are_checked_for_shortcuts_before_the_swap():
    # a forbidden call hidden in a helper is still found
    ns = notebook(
        """
        from numpy.lib.stride_tricks import sliding_window_view
        def windows(X, kH, kW):
            return sliding_window_view(X, (kH, kW))
        def corr2d(X, K, stride=1, pad=0):
            K = np.asarray(K, dtype=float)
            w = windows(pad2d(X, pad), *K.shape)[::stride, ::stride]
            return np.einsum("yxij,ij->yx", w, K)
        """
    )
    fails_with(hidden.corr2d_random, ns["corr2d"], "sliding_window_view")


# ---------------------------------------------------------------- merge_by_shape


def test_merge_by_value_names_every_mistake_with_that_value():
    assert hidden._merge_by_value({"a": 3, "b": 4, "c": 3}) == {"a; or c": 3, "b": 4}


def test_merge_by_shape_names_every_mistake_with_that_shape():
    merged = hidden._merge_by_shape(
        {"a": np.zeros((2, 2)), "b": np.ones((3, 3)), "c": np.zeros((3, 3)), "d": np.ones((2, 2))},
        (2, 2),
    )
    assert set(merged) == {"a", "d", "b; or c"}
