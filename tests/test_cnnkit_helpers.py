"""cnnkit's small helpers: argument checks, gradient checker, images, plots, widget."""

from __future__ import annotations

import numpy as np
import pytest

from cnnkit import _validate as v
from cnnkit.gradcheck import check_gradient, numerical_gradient, rel_error
from cnnkit.images import sample_photo, step_image
from cnnkit.plots import draw_matrix, show_images, show_worked_example
from cnnkit.widgets import KERNEL_PRESETS, kernel_playground

# ---------------------------------------------------------------- validation


@pytest.mark.parametrize(
    "value, minimum, message",
    [
        (1.5, None, "stride must be an integer, got 1.5"),
        (2.0, None, "stride must be an integer, got 2.0 \\(float\\)"),
        (True, None, "stride must be an integer"),
        (0, 1, "stride must be a positive integer, got 0"),
        (-1, 0, "stride must be a non-negative integer, got -1"),
    ],
)
def test_check_int_rejects(value, minimum, message):
    with pytest.raises(ValueError, match=message):
        v.check_int("stride", value, minimum)


def test_check_int_accepts_numpy_integers():
    assert v.check_int("pad", np.int64(2), 0) == 2
    assert v.check_pair("pad", (1, 2), 0) == (1, 2)
    assert v.check_pair("pad", 3) == (3, 3)
    with pytest.raises(ValueError, match="pair"):
        v.check_pair("pad", (1, 2, 3))


def test_as_array():
    assert v.as_array("X", [[1, 2]]).dtype == np.float64
    assert v.as_array("X", np.zeros(2, np.float32)).dtype == np.float32
    with pytest.raises(
        ValueError, match=r"X must be a 4-D array \(N, C, H, W\), got shape \(3, 4\)"
    ):
        v.as_array("X", np.zeros((3, 4)), ndim=4, layout="(N, C, H, W)")
    with pytest.raises(ValueError, match="numeric"):
        v.as_array("X", ["a", "b"])
    with pytest.raises(ValueError, match="X must be an array"):
        v.as_array("X", [[1, 2], [3]])
    with pytest.raises(ValueError, match="mode must be one of"):
        v.check_choice("mode", "wide", ("valid", "full"))


# ------------------------------------------------------------ gradient check


def test_numerical_gradient_of_known_functions():
    X = np.array([[1.0, -2.0], [0.5, 3.0]])
    np.testing.assert_allclose(numerical_gradient(lambda x: np.sum(x**3), X), 3 * X**2, rtol=1e-8)
    dout = np.array([1.0, 2.0])
    # f maps (2, 2) -> (2,): gradient of sum(f * dout) is dout[i] * cos(X[i, j])
    grad = numerical_gradient(lambda x: np.sin(x).sum(axis=1), X, dout=dout)
    np.testing.assert_allclose(grad, dout[:, None] * np.cos(X), rtol=1e-8)


def test_numerical_gradient_works_in_float64_and_leaves_input_alone():
    X = np.array([1.0, 2.0], dtype=np.float32)
    grad = numerical_gradient(lambda x: np.sum(x * x), X)
    assert grad.dtype == np.float64
    assert X.tolist() == [1.0, 2.0]


def test_check_gradient_accepts_right_and_rejects_wrong():
    X = np.random.default_rng(0).standard_normal((3, 4))
    assert check_gradient(lambda x: np.sum(np.tanh(x)), X, 1 - np.tanh(X) ** 2) < 1e-8
    with pytest.raises(AssertionError, match="relative error"):
        check_gradient(lambda x: np.sum(np.tanh(x)), X, np.ones_like(X))
    with pytest.raises(ValueError, match="analytic must have the shape of X"):
        check_gradient(lambda x: np.sum(x), X, np.ones(3))
    with pytest.raises(ValueError, match="dout must have the shape of f"):
        numerical_gradient(lambda x: x, X, dout=np.ones(2))


def test_rel_error():
    assert rel_error([1.0, 2.0], [1.0, 2.0]) == 0.0
    assert rel_error([1.0], [3.0]) == pytest.approx(0.5)
    with pytest.raises(ValueError, match="same shape"):
        rel_error([1.0], [1.0, 2.0])


# -------------------------------------------------------------- images, plots


def test_sample_photo_is_a_real_grayscale_photo():
    photo = sample_photo(max_size=100)
    assert photo.ndim == 2 and max(photo.shape) <= 100 and min(photo.shape) > 50
    assert 0.0 <= photo.min() < 0.2 and 0.8 < photo.max() <= 1.0
    assert photo.std() > 0.1  # not a flat image


def test_step_image():
    img = step_image()
    assert img.shape == (6, 6)
    assert (img[:, :3] == 10).all() and (img[:, 3:] == 0).all()
    assert (step_image(4, vertical=False)[:2] == 10).all()


def test_plots_draw_what_they_are_given():
    import matplotlib.pyplot as plt

    fig = show_images([np.eye(3), -np.eye(3)], ["a", "b"], symmetric=True)
    assert [ax.get_title() for ax in fig.axes] == ["a", "b"]
    assert fig.axes[1].images[0].get_clim() == (-1.0, 1.0)
    fig = show_images([np.eye(3), -np.eye(3)], cmap=["gray", "RdBu_r"], symmetric=[False, True])
    assert fig.axes[0].images[0].get_cmap().name == "gray"
    assert fig.axes[1].images[0].get_cmap().name == "RdBu_r"
    assert fig.axes[0].images[0].get_clim() == (0.0, 1.0)
    with pytest.raises(ValueError, match="one per image"):
        show_images([np.eye(2)], cmap=["gray", "gray"])
    fig = show_worked_example(np.arange(16).reshape(4, 4), np.ones((3, 3)), np.zeros((2, 2)))
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert texts[:4] == ["0", "1", "2", "3"] and len(texts) == 16
    with pytest.raises(ValueError, match="titles must have one entry per image"):
        show_images([np.eye(2)], ["a", "b"])
    with pytest.raises(ValueError, match="position must index the output"):
        show_worked_example(np.eye(4), np.eye(3), np.eye(2), position=(2, 0))
    fig, ax = plt.subplots()
    draw_matrix(ax, np.eye(2), highlight=(0, 0, 1, 1))
    assert len(ax.patches) == 1
    plt.close("all")


# --------------------------------------------------------------------- widget


def corr(image, kernel):
    H, W = image.shape
    return np.array(
        [[np.sum(image[i : i + 3, j : j + 3] * kernel) for j in range(W - 2)] for i in range(H - 2)]
    )


def test_playground_filters_with_the_given_function_and_follows_edits():
    image = step_image(8)
    pg = kernel_playground(image, corr, preset="vertical edge")
    np.testing.assert_array_equal(pg.kernel, KERNEL_PRESETS["vertical edge"])
    np.testing.assert_allclose(pg.result, corr(image, pg.kernel))
    assert pg.result.max() == 30
    before = pg.output_view.value
    pg.presets.value = "horizontal edge"
    np.testing.assert_allclose(pg.result, 0)
    assert pg.output_view.value != before  # redrawn
    pg.cells[4].value = 2.0  # edit the centre of the kernel
    assert pg.kernel[1, 1] == 2.0
    np.testing.assert_allclose(pg.result, corr(image, pg.kernel))


def test_playground_shows_student_errors_instead_of_raising():
    def stub(image, kernel):
        raise NotImplementedError()

    pg = kernel_playground(step_image(), stub)
    assert pg.result is None and "Implement" in pg.status.value

    def wrong_shape(image, kernel):
        return image

    pg = kernel_playground(step_image(), wrong_shape)
    assert "expected (4, 4)" in pg.error
    with pytest.raises(ValueError, match="preset must be one of"):
        kernel_playground(step_image(), corr, preset="emboss")
    with pytest.raises(ValueError, match="at least 3"):
        kernel_playground(np.ones((2, 5)), corr)
