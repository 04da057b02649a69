"""Small helpers around a training loop: mini-batches, a progress bar (tqdm) and a history.

They hold no learning: the forward pass, the loss, the backward pass and the update are
yours. Typical use::

    history = History()
    for epoch in range(epochs):
        bar = ProgressBar(n_batches, f"epoch {epoch + 1}/{epochs}")
        for idx in minibatches(len(X), batch_size, rng):
            loss = train_step(...)
            bar.update(loss=loss)
        bar.close()
        history.log(epoch=epoch + 1, val_acc=...)
    plot_history(history)
"""

from __future__ import annotations

import sys

import numpy as np
from tqdm.auto import tqdm

from cnnkit._validate import check_int

__all__ = ["History", "ProgressBar", "minibatches", "pad_images", "plot_history"]


def pad_images(images, pad=2):
    """Zero-pad a stack of images (N, H, W) or (N, C, H, W) on the last two axes.

    Returns (N, 1, H + 2*pad, W + 2*pad) for a 3-D input (a channel axis is added), so
    that Fashion-MNIST's 28x28 images become the 32x32 inputs LeNet-5 expects.
    """
    images = np.asarray(images)
    pad = check_int("pad", pad, minimum=0)
    if images.ndim == 3:
        images = images[:, None]
    if images.ndim != 4:
        raise ValueError(f"images must have shape (N, H, W) or (N, C, H, W), got {images.shape}")
    return np.pad(images, ((0, 0), (0, 0), (pad, pad), (pad, pad)))


def minibatches(n, batch_size, rng=None, shuffle=True):
    """Yield index arrays that cover ``range(n)`` once, ``batch_size`` at a time.

    Parameters
    ----------
    n : int
        Number of examples.
    batch_size : int
        Size of every batch but possibly the last (which holds the remainder).
    rng : numpy.random.Generator or int, optional
        Source of the shuffle; pass one for a reproducible order.
    shuffle : bool, default True
        False: in order 0, 1, 2, ...
    """
    n = check_int("n", n, minimum=0)
    batch_size = check_int("batch_size", batch_size, minimum=1)
    order = np.random.default_rng(rng).permutation(n) if shuffle else np.arange(n)
    for start in range(0, n, batch_size):
        yield order[start : start + batch_size]


class ProgressBar(tqdm):
    """tqdm's progress bar whose ``update`` also takes values to show beside it.

    ``tqdm.auto`` draws a widget in a notebook and a line that updates in place in a
    terminal; this class only adds the course's call style, ``bar.update(loss=0.31)``.

    Parameters
    ----------
    total : int
        Number of steps (e.g. mini-batches in an epoch).
    description : str
        Shown before the bar.
    file : file-like, optional
        Where a terminal bar is written (default ``sys.stdout``: nbgrader treats anything
        on stderr as an error).
    **kwargs
        Passed on to ``tqdm`` (e.g. ``mininterval``, ``disable``).

    ``update(n=1, **values)`` advances by ``n`` steps and shows the values (e.g.
    ``loss=0.31``); ``close()`` draws the final state with the elapsed time.
    """

    def __init__(self, total, description="", *, file=None, **kwargs):
        total = check_int("total", total, minimum=0)
        kwargs.setdefault("mininterval", 0.2)
        super().__init__(
            total=total,
            desc=str(description) or None,
            file=sys.stdout if file is None else file,
            **kwargs,
        )

    def update(self, n=1, **values):
        """Advance by ``n`` steps and show ``values`` beside the bar."""
        if values:
            self.set_postfix(
                {k: float(v) if isinstance(v, np.floating) else v for k, v in values.items()},
                refresh=False,
            )
        return super().update(n)


class History:
    """Values recorded during training, one list per name.

    ``log(epoch=1, train_loss=0.5, val_acc=0.85)`` appends to ``history["epoch"]``,
    ``history["train_loss"]`` and ``history["val_acc"]``; names not given in a call are
    left alone (so per-batch and per-epoch values can live in the same history, under
    different names).
    """

    def __init__(self):
        self.records = {}

    def log(self, **values):
        for name, value in values.items():
            self.records.setdefault(name, []).append(
                float(value) if isinstance(value, (float, np.floating)) else value
            )

    def __getitem__(self, name):
        return self.records[name]

    def __contains__(self, name):
        return name in self.records

    def last(self, name):
        """The most recent value of ``name``."""
        return self.records[name][-1]

    def __repr__(self):
        return f"History({', '.join(f'{k}: {len(v)}' for k, v in self.records.items())})"


def plot_history(history, batches_per_epoch=None, smooth=50):
    """Loss and accuracy curves from a :class:`History`; returns the figure.

    Draws what is present among: ``batch_loss`` (per mini-batch, smoothed by a running
    mean over ``smooth`` batches, plotted against fractional epochs when
    ``batches_per_epoch`` is given), ``train_loss``/``val_loss`` and
    ``train_acc``/``val_acc`` (per epoch, against ``epoch``).
    """
    import matplotlib.pyplot as plt

    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(11, 3.6))
    records = history.records
    if "batch_loss" in records and records["batch_loss"]:
        losses = np.asarray(records["batch_loss"], dtype=float)
        x = np.arange(1, len(losses) + 1, dtype=float)
        if batches_per_epoch:
            x /= batches_per_epoch
        ax_loss.plot(x, losses, color="C0", alpha=0.25, linewidth=0.8, label="mini-batch loss")
        k = max(1, min(int(smooth), len(losses)))
        running = np.convolve(losses, np.ones(k) / k, mode="valid")
        ax_loss.plot(x[k - 1 :], running, color="C0", label=f"running mean of {k} batches")
    epochs = records.get("epoch")
    for name, color in (("train_loss", "C1"), ("val_loss", "C2")):
        if name in records and epochs:
            ax_loss.plot(epochs, records[name], "o-", color=color, label=name.replace("_", " "))
    for name, color in (("train_acc", "C1"), ("val_acc", "C2")):
        if name in records and epochs:
            ax_acc.plot(epochs, records[name], "o-", color=color, label=name.replace("_", " "))
    ax_loss.set_xlabel("epoch")
    ax_loss.set_ylabel("cross-entropy loss")
    ax_loss.set_title("loss")
    ax_acc.set_xlabel("epoch")
    ax_acc.set_ylabel("accuracy")
    ax_acc.set_title("accuracy")
    for ax in (ax_loss, ax_acc):
        ax.grid(alpha=0.3)
        if ax.get_legend_handles_labels()[0]:
            ax.legend()
    fig.tight_layout()
    return fig
