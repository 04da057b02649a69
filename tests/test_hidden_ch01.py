"""Chapter 1 hidden tests: they pass the reference, and name each misconception they catch."""

from __future__ import annotations

import re
import types

import numpy as np
import pytest

from autograder.checks import CheckFailed
from autograder.hidden import ch01 as hidden
from autograder.reference import ch01_convolution as ref
from tests.notebook_helpers import in_notebook, module_as_notebook


def as_student(func, **helpers):
    """A copy of ``func`` that looks defined in the notebook (module __main__)."""
    return in_notebook(func, **helpers)


mine = types.SimpleNamespace(**module_as_notebook(ref))


# -- students' functions, right and wrong ------------------------------------


def corr2d_ok(X, K):
    X, K = np.asarray(X, float), np.asarray(K, float)
    if K.shape[0] > X.shape[0] or K.shape[1] > X.shape[1]:
        raise ValueError("kernel larger than input")
    out = np.zeros((X.shape[0] - K.shape[0] + 1, X.shape[1] - K.shape[1] + 1))
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            out[i, j] = np.sum(X[i : i + K.shape[0], j : j + K.shape[1]] * K)
    return out


def corr2d_flipped(X, K):
    return corr2d_ok(X, np.asarray(K, float)[::-1, ::-1])


def corr2d_short(X, K):
    return corr2d_ok(X, K)[:-1, :-1]


def corr2d_no_check(X, K):
    X, K = np.asarray(X, float), np.asarray(K, float)
    H, W = max(X.shape[0] - K.shape[0] + 1, 0), max(X.shape[1] - K.shape[1] + 1, 0)
    return np.zeros((H, W)) + corr2d_ok(X, K)[:H, :W] if H and W else np.zeros((H, W))


def conv2d_ok(X, K):
    return corr2d(X, np.asarray(K, float)[::-1, ::-1])  # noqa: F821  (bound by as_student)


def conv2d_not_flipped(X, K):
    return corr2d(X, K)  # noqa: F821


def conv2d_transposed(X, K):
    return corr2d(X, np.asarray(K, float).T)  # noqa: F821


def conv2d_rows_only(X, K):
    return corr2d(X, np.asarray(K, float)[::-1])  # noqa: F821


def conv2d_numpy(X, K):
    from scipy.signal import convolve2d  # noqa: F401  (never imported: rejected first)

    return convolve2d(X, K, "valid")


def conv1d_ok(x, w, mode="valid"):
    return ref_conv1d(x, w, mode)  # noqa: F821


def conv1d_uses_numpy(x, w, mode="valid"):
    return np.convolve(x, w, mode)


def conv1d_not_flipped(x, w, mode="valid"):
    return ref_conv1d(x, np.asarray(w, float)[::-1], mode)  # noqa: F821


def conv1d_always_full(x, w, mode="valid"):
    return ref_conv1d(x, w, "full")  # noqa: F821


def stub(*args, **kwargs):
    raise NotImplementedError()


# -- tests ---------------------------------------------------------------------


def test_reference_like_solutions_pass():
    corr = as_student(corr2d_ok)
    hidden.corr2d_random(corr)
    hidden.corr2d_edge_cases(corr)
    hidden.conv2d_random(as_student(conv2d_ok, corr2d=corr))
    hidden.fc_layer_cost_hidden(mine.fc_layer_cost)
    hidden.output_size_hidden(mine.output_size)
    hidden.detect_edges_hidden(mine.detect_edges)
    hidden.corr2d_random(mine.corr2d)
    hidden.conv2d_random(mine.conv2d)


def test_conv1d_reference_through_a_notebook_helper_passes():
    # a helper the student wrote themselves (module __main__) is fine
    student = as_student(conv1d_ok, ref_conv1d=mine.conv1d)
    hidden.conv1d_random(student)
    hidden.conv1d_edge_cases(student)


@pytest.mark.parametrize(
    "func, check, message",
    [
        (corr2d_flipped, hidden.corr2d_random, "convolution, not cross-correlation"),
        (corr2d_short, hidden.corr2d_random, re.escape("H - kH + 1")),
        (corr2d_no_check, hidden.corr2d_edge_cases, "should raise ValueError"),
    ],
)
def test_corr2d_misconceptions_are_named(func, check, message):
    with pytest.raises(CheckFailed, match=message):
        check(as_student(func, corr2d_ok=corr2d_ok))


@pytest.mark.parametrize(
    "func, message",
    [
        (conv2d_not_flipped, "not flipped"),
        (conv2d_transposed, "transposed"),
        (conv2d_rows_only, "only the rows"),
    ],
)
def test_conv2d_misconceptions_are_named(func, message):
    with pytest.raises(CheckFailed, match=message):
        hidden.conv2d_random(as_student(func, corr2d=as_student(corr2d_ok)))


@pytest.mark.parametrize(
    "func, message",
    [(conv1d_not_flipped, "not flipped"), (conv1d_always_full, "'full' result")],
)
def test_conv1d_misconceptions_are_named(func, message):
    with pytest.raises(CheckFailed, match=message):
        hidden.conv1d_random(as_student(func, ref_conv1d=mine.conv1d))


def test_library_shortcuts_and_imported_references_are_rejected():
    with pytest.raises(CheckFailed, match="convolve"):
        hidden.conv1d_random(as_student(conv1d_uses_numpy))
    with pytest.raises(CheckFailed, match="comes from autograder"):
        hidden.corr2d_random(ref.corr2d)
    with pytest.raises(CheckFailed, match="from the autograder"):
        hidden.corr2d_random(as_student(lambda X, K: r.corr2d(X, K), r=ref))  # noqa: F821


def test_wrong_counts_are_named():
    def mults_squared(shape, hidden_units):
        n = int(np.prod(shape))
        return n * hidden_units, hidden_units, n * n * hidden_units

    with pytest.raises(CheckFailed, match="not inputs x inputs"):
        hidden.fc_layer_cost_hidden(as_student(mults_squared))

    def off_by_one(n, k, mode="valid"):
        return n - k if mode == "valid" else output_size(n, k, mode)  # noqa: F821

    with pytest.raises(CheckFailed, match="off by one"):
        hidden.output_size_hidden(as_student(off_by_one, output_size=mine.output_size))


def test_stubs_raise_not_implemented():
    for check in (hidden.corr2d_random, hidden.conv1d_random, hidden.detect_edges_hidden):
        with pytest.raises(NotImplementedError):
            check(as_student(stub))


def test_understanding_answers():
    right = {
        "q_cross_correlation_commutes": False,
        "q_full_convolution_commutes": True,
        "q_translation": "b",
        "q_valid_size": "b",
    }
    hidden.understanding(right)
    with pytest.raises(CheckFailed, match="1 of 4"):
        hidden.understanding({**right, "q_valid_size": "a"})


def test_a_wrong_corr2d_is_not_charged_again_in_conv2d_and_detect_edges():
    short = as_student(corr2d_short, corr2d_ok=corr2d_ok)
    hidden.conv2d_random(as_student(conv2d_ok, corr2d=short))
    edges = module_as_notebook(ref)["detect_edges"]
    edges.__globals__["corr2d"] = short
    hidden.detect_edges_hidden(edges)
    assert edges.__globals__["corr2d"] is short  # put back afterwards


def test_even_kernel_same_mode_at_k_over_2_is_named():
    def conv1d_k_over_2(x, w, mode="valid"):
        full = ref_conv1d(x, w, "full")  # noqa: F821
        n, k = len(x), len(w)
        return full[k // 2 : k // 2 + n] if mode == "same" else ref_conv1d(x, w, mode)  # noqa: F821

    with pytest.raises(CheckFailed, match=re.escape("not k // 2")):
        hidden.conv1d_edge_cases(as_student(conv1d_k_over_2, ref_conv1d=mine.conv1d))
