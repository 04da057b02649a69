"""The confusion matrix of a classifier and a plot of it with class names."""

from __future__ import annotations

import numpy as np

from cnnkit._validate import check_int

__all__ = ["confusion_matrix", "plot_confusion_matrix"]


def _labels(name, y, num_classes):
    y = np.asarray(y)
    if y.ndim != 1 or not (y.size == 0 or np.issubdtype(y.dtype, np.integer)):
        raise ValueError(
            f"{name} must be a 1-D array of integer class labels, got {y.shape} {y.dtype}"
        )
    if y.size and (y.min() < 0 or y.max() >= num_classes):
        raise ValueError(
            f"{name} must hold labels in 0..{num_classes - 1}, got {y.min()}..{y.max()}"
        )
    return y


def confusion_matrix(y_true, y_pred, num_classes):
    """Count how often each true class was predicted as each class.

    Parameters
    ----------
    y_true, y_pred : array_like of int, shape (N,)
        True and predicted labels in ``0 .. num_classes-1``.
    num_classes : int

    Returns
    -------
    ndarray of int64, shape (num_classes, num_classes)
        ``M[i, j]`` = number of examples of true class ``i`` predicted as ``j``: the
        diagonal holds the correct predictions, each row sums to the size of its class.
    """
    K = check_int("num_classes", num_classes, minimum=1)
    t = _labels("y_true", y_true, K)
    p = _labels("y_pred", y_pred, K)
    if t.shape != p.shape:
        raise ValueError(
            f"y_true and y_pred must have the same length, got {t.shape} and {p.shape}"
        )
    return np.bincount(t.astype(np.int64) * K + p, minlength=K * K).reshape(K, K)


def plot_confusion_matrix(matrix, class_names=None, ax=None, normalize=True, title=None):
    """Draw a confusion matrix with counts (and per-class rates) in the cells.

    Parameters
    ----------
    matrix : ndarray of shape (K, K)
        From :func:`confusion_matrix` (rows: true class, columns: predicted class).
    class_names : sequence of str, optional
    ax : matplotlib Axes, optional
    normalize : bool, default True
        Colour by the fraction of each true class (row), which makes small classes and
        large ones comparable; the cells still show the counts.
    title : str, optional

    Returns
    -------
    matplotlib Axes
    """
    import matplotlib.pyplot as plt

    M = np.asarray(matrix)
    if M.ndim != 2 or M.shape[0] != M.shape[1]:
        raise ValueError(f"matrix must be square (K, K), got shape {M.shape}")
    K = M.shape[0]
    names = [str(i) for i in range(K)] if class_names is None else [str(n) for n in class_names]
    if len(names) != K:
        raise ValueError(f"class_names must have {K} names, got {len(names)}")
    if ax is None:
        _, ax = plt.subplots(figsize=(0.62 * K + 2.5, 0.55 * K + 1.8))
    rows = M.sum(axis=1, keepdims=True)
    rates = np.divide(M, rows, out=np.zeros(M.shape, dtype=float), where=rows > 0)
    shown = rates if normalize else M
    image = ax.imshow(shown, cmap="Blues", vmin=0, vmax=1 if normalize else max(1, shown.max()))
    for i in range(K):
        for j in range(K):
            if M[i, j]:
                dark = shown[i, j] > (0.55 if normalize else 0.55 * shown.max())
                ax.text(
                    j,
                    i,
                    f"{M[i, j]}",
                    ha="center",
                    va="center",
                    fontsize=8,
                    color="white" if dark else "black",
                )
    ax.set_xticks(range(K), names, rotation=45, ha="right")
    ax.set_yticks(range(K), names)
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    if title:
        ax.set_title(title)
    ax.figure.colorbar(
        image,
        ax=ax,
        fraction=0.046,
        pad=0.04,
        label="fraction of the true class" if normalize else "count",
    )
    return ax
