"""cnnkit.training (mini-batches, progress bar, history, curves) and cnnkit.metrics."""

from __future__ import annotations

import io

import matplotlib
import numpy as np
import pytest

from cnnkit.metrics import confusion_matrix, plot_confusion_matrix
from cnnkit.training import History, ProgressBar, minibatches, pad_images, plot_history

matplotlib.use("Agg")


# --------------------------------------------------------------------------- minibatches


@pytest.mark.parametrize(("n", "batch"), [(10, 3), (64, 64), (65, 64), (5, 10), (0, 4), (1, 1)])
def test_minibatches_cover_every_index_once(n, batch):
    batches = list(minibatches(n, batch, rng=0))
    assert sorted(np.concatenate(batches).tolist() if batches else []) == list(range(n))
    assert all(len(b) == batch for b in batches[:-1])
    assert len(batches) == -(-n // batch)


def test_minibatches_shuffle_is_reproducible_and_random():
    a = np.concatenate(list(minibatches(100, 7, rng=1)))
    b = np.concatenate(list(minibatches(100, 7, rng=1)))
    c = np.concatenate(list(minibatches(100, 7, rng=2)))
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    assert not np.array_equal(a, np.arange(100))
    ordered = np.concatenate(list(minibatches(10, 4, shuffle=False)))
    np.testing.assert_array_equal(ordered, np.arange(10))


def test_minibatches_generator_advances():
    rng = np.random.default_rng(0)
    first = np.concatenate(list(minibatches(20, 5, rng)))
    second = np.concatenate(list(minibatches(20, 5, rng)))
    assert not np.array_equal(first, second)  # a new order every epoch


@pytest.mark.parametrize(("n", "batch"), [(-1, 4), (10, 0), (10, 2.5)])
def test_minibatches_rejects_bad_sizes(n, batch):
    with pytest.raises(ValueError):
        list(minibatches(n, batch))


# --------------------------------------------------------------------------- pad_images


def test_pad_images_fashion_mnist_to_lenet():
    X = np.arange(2 * 28 * 28, dtype=np.float32).reshape(2, 28, 28)
    P = pad_images(X, 2)
    assert P.shape == (2, 1, 32, 32) and P.dtype == np.float32
    np.testing.assert_array_equal(P[:, 0, 2:30, 2:30], X)
    assert P[:, :, :2].sum() == 0 and P[:, :, -2:].sum() == 0
    assert P[:, :, :, :2].sum() == 0 and P[:, :, :, -2:].sum() == 0


def test_pad_images_four_dimensional_and_errors():
    X = np.ones((3, 2, 4, 5))
    assert pad_images(X, 1).shape == (3, 2, 6, 7)
    assert pad_images(X, 0).shape == X.shape
    with pytest.raises(ValueError):
        pad_images(np.ones((4, 4)), 1)
    with pytest.raises(ValueError):
        pad_images(X, -1)


# --------------------------------------------------------------------------- ProgressBar


def test_progress_bar_in_a_terminal():
    out = io.StringIO()
    bar = ProgressBar(4, "epoch 1/2", mininterval=0.0, file=out)
    for loss in (2.0, 1.5, 1.0, np.float32(0.5)):
        bar.update(loss=loss)
    bar.close()
    bar.close()  # idempotent
    last = out.getvalue().strip().split("\r")[-1]
    assert last.startswith("epoch 1/2: 100%")
    assert "4/4" in last and "loss=0.5" in last
    assert "2/4" in out.getvalue()  # drawn at every step with mininterval = 0


def test_progress_bar_is_tqdm_auto():
    """In a notebook tqdm.auto draws a widget; the course adds only the call style."""
    import tqdm.auto

    assert issubclass(ProgressBar, tqdm.auto.tqdm)


def test_progress_bar_writes_to_stdout(capsys):
    # nbgrader counts any stderr output of a cell as an error
    bar = ProgressBar(2, "x", mininterval=0.0)
    bar.update(acc=0.5)
    bar.update(0, val_acc=0.75)
    bar.close()
    out, err = capsys.readouterr()
    assert err == "" and "val_acc=0.75" in out


def test_progress_bar_zero_total():
    out = io.StringIO()
    bar = ProgressBar(0, file=out)
    bar.close()
    assert "0it" in out.getvalue()  # tqdm shows an empty loop as a count
    with pytest.raises(ValueError, match="total"):
        ProgressBar(-1, file=out)


# --------------------------------------------------------------------------- History


def test_history_records_and_plots():
    h = History()
    for epoch in (1, 2):
        for b in range(5):
            h.log(batch_loss=np.float32(2.0 / (b + epoch)))
        h.log(epoch=epoch, train_loss=1.0 / epoch, val_loss=1.1 / epoch, val_acc=0.8 + epoch / 100)
    assert h["epoch"] == [1, 2]
    assert len(h["batch_loss"]) == 10 and isinstance(h["batch_loss"][0], float)
    assert h.last("val_acc") == pytest.approx(0.82)
    assert "val_acc" in h and "train_acc" not in h
    assert "batch_loss: 10" in repr(h)
    fig = plot_history(h, batches_per_epoch=5, smooth=3)
    ax_loss, ax_acc = fig.axes
    labels = [line.get_label() for line in ax_loss.lines]
    assert labels == ["mini-batch loss", "running mean of 3 batches", "train loss", "val loss"]
    np.testing.assert_allclose(ax_loss.lines[0].get_xdata()[[0, -1]], [0.2, 2.0])
    assert [line.get_label() for line in ax_acc.lines] == ["val acc"]
    matplotlib.pyplot.close(fig)


# --------------------------------------------------------------------------- metrics


def confusion_loop(t, p, K):
    M = np.zeros((K, K), dtype=int)
    for a, b in zip(t, p, strict=True):
        M[a, b] += 1
    return M


@pytest.mark.parametrize(("N", "K"), [(100, 10), (7, 3), (1, 1), (0, 4)])
def test_confusion_matrix_matches_loop(N, K):
    rng = np.random.default_rng(N + K)
    t, p = rng.integers(0, K, N), rng.integers(0, K, N)
    M = confusion_matrix(t, p, K)
    np.testing.assert_array_equal(M, confusion_loop(t, p, K))
    assert M.shape == (K, K) and M.sum() == N
    np.testing.assert_array_equal(M.sum(axis=1), np.bincount(t, minlength=K))


@pytest.mark.parametrize(
    ("t", "p", "K"),
    [
        ([0, 1], [0], 2),
        ([0, 2], [0, 1], 2),
        ([0, -1], [0, 1], 2),
        ([0.0, 1.0], [0, 1], 2),
        ([[0, 1]], [[0, 1]], 2),
        ([0], [0], 0),
    ],
)
def test_confusion_matrix_rejects_bad_labels(t, p, K):
    with pytest.raises(ValueError):
        confusion_matrix(np.array(t), np.array(p), K)


def test_plot_confusion_matrix():
    M = np.array([[5, 1, 0], [2, 3, 0], [0, 0, 4]])
    ax = plot_confusion_matrix(M, ["a", "b", "c"], title="t")
    texts = sorted(t.get_text() for t in ax.texts)
    assert texts == sorted(["5", "1", "2", "3", "4"])  # zero cells are left empty
    assert [t.get_text() for t in ax.get_xticklabels()] == ["a", "b", "c"]
    np.testing.assert_allclose(ax.images[0].get_array()[0], [5 / 6, 1 / 6, 0])
    ax2 = plot_confusion_matrix(M, normalize=False)
    np.testing.assert_array_equal(ax2.images[0].get_array(), M)
    with pytest.raises(ValueError):
        plot_confusion_matrix(np.ones((2, 3)))
    with pytest.raises(ValueError):
        plot_confusion_matrix(M, ["a", "b"])
    matplotlib.pyplot.close("all")
