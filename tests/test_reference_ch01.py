"""Chapter 1 references against independent oracles: loops, numpy.convolve, PyTorch, the text."""

from __future__ import annotations

import numpy as np
import pytest

from autograder.reference import ch01_convolution as ref


def loop_corr2d(X, K):
    H, W = X.shape
    kH, kW = K.shape
    out = np.zeros((H - kH + 1, W - kW + 1))
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            for u in range(kH):
                for v in range(kW):
                    out[i, j] += K[u, v] * X[i + u, j + v]
    return out


def loop_conv2d(X, K):
    """The textbook sum, y_ij = sum_uv K_uv X_{i-u+1, j-v+1}, on the valid region (0-based)."""
    H, W = X.shape
    kH, kW = K.shape
    out = np.zeros((H - kH + 1, W - kW + 1))
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            for u in range(kH):
                for v in range(kW):
                    out[i, j] += K[u, v] * X[i + kH - 1 - u, j + kW - 1 - v]
    return out


X_TEXT = np.array([[1, 2, 3, 0], [0, 1, 2, 3], [3, 0, 1, 2], [2, 3, 0, 1]])
K_TEXT = np.array([[2, 0, 1], [0, 1, 2], [1, 0, 2]])


def test_worked_example_from_the_syllabus():
    np.testing.assert_array_equal(ref.corr2d(X_TEXT, K_TEXT), [[15, 16], [6, 15]])


def test_fc_layer_cost_text_figures():
    assert ref.fc_layer_cost((28, 28), 512) == (401_408, 512, 401_408)
    weights, _, _ = ref.fc_layer_cost((300, 200, 3), 512)
    assert weights == 92_160_000  # ≈ 9.2e7, not 9e8


@pytest.mark.parametrize("n, k", [(7, 5), (5, 5), (10, 1), (3, 6), (8, 4), (12, 3)])
@pytest.mark.parametrize("mode", ["valid", "full", "same"])
def test_conv1d_matches_numpy_convolve(n, k, mode):
    if mode == "valid" and k > n:
        pytest.skip("kernel does not fit")
    rng = np.random.default_rng(n * 100 + k)
    x, w = rng.standard_normal(n), rng.standard_normal(k)
    want = np.convolve(x, w, mode)
    if mode == "same" and k > n:
        # numpy returns max(n, k) values here; the course's same mode keeps n
        want = np.convolve(x, w, "full")[(k - 1) // 2 : (k - 1) // 2 + n]
    np.testing.assert_allclose(ref.conv1d(x, w, mode), want, rtol=1e-12, atol=1e-12)
    assert len(ref.conv1d(x, w, mode)) == ref.output_size(n, k, mode)


def test_output_sizes_from_the_text():
    assert [ref.output_size(7, 5, m) for m in ("valid", "full", "same")] == [3, 11, 7]


@pytest.mark.parametrize(
    "args", [(3, 5, "valid"), (0, 1, "full"), (5, 2, "wide"), (5.0, 2, "full")]
)
def test_output_size_rejects_bad_input(args):
    with pytest.raises(ValueError):
        ref.output_size(*args)


@pytest.mark.parametrize(
    "xs, ks", [((4, 4), (3, 3)), ((5, 8), (2, 3)), ((6, 3), (6, 1)), ((3, 3), (3, 3))]
)
def test_corr2d_and_conv2d_match_loops(xs, ks):
    rng = np.random.default_rng(7)
    X, K = rng.standard_normal(xs), rng.standard_normal(ks)
    np.testing.assert_allclose(ref.corr2d(X, K), loop_corr2d(X, K), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(ref.conv2d(X, K), loop_conv2d(X, K), rtol=1e-12, atol=1e-12)


def test_corr2d_matches_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    X, K = rng.standard_normal((9, 7)), rng.standard_normal((3, 4))
    want = torch.nn.functional.conv2d(torch.tensor(X)[None, None], torch.tensor(K)[None, None])
    np.testing.assert_allclose(ref.corr2d(X, K), want[0, 0].numpy(), rtol=1e-12, atol=1e-12)


def test_corr2d_rejects_a_kernel_larger_than_the_input():
    with pytest.raises(ValueError, match="does not fit"):
        ref.corr2d(np.ones((3, 3)), np.ones((4, 1)))


def test_step_image_edges_from_the_text():
    from cnnkit.images import step_image

    vertical, horizontal, magnitude = ref.detect_edges(step_image())
    np.testing.assert_array_equal(vertical, [[0, 30, 30, 0]] * 4)
    np.testing.assert_array_equal(horizontal, np.zeros((4, 4)))
    np.testing.assert_array_equal(magnitude, vertical)


def test_wide_convolution_commutes_cross_correlation_does_not():
    rng = np.random.default_rng(11)
    A, B = rng.integers(-3, 4, (4, 5)).astype(float), rng.integers(-3, 4, (3, 2)).astype(float)

    def full(op, P, Q):
        return op(np.pad(P, [(Q.shape[0] - 1,) * 2, (Q.shape[1] - 1,) * 2]), Q)

    np.testing.assert_allclose(full(ref.conv2d, A, B), full(ref.conv2d, B, A))
    assert not np.allclose(full(ref.corr2d, A, B), full(ref.corr2d, B, A))
