"""Plotting helpers used by the chapters (matplotlib only)."""

from __future__ import annotations

import numpy as np

from cnnkit._validate import as_array, check_int


def show_images(images, titles=None, cmap="gray", ncols=None, size=3.0, symmetric=False):
    """Show 2-D arrays side by side.

    Parameters
    ----------
    images : sequence of ndarray, each of shape (H, W)
    titles : sequence of str, optional
    cmap : str or sequence of str
        One colour map for all images, or one per image.
    ncols : int, optional
        Images per row (default: all in one row).
    size : float
        Inches per image.
    symmetric : bool or sequence of bool
        Centre the colour scale on zero (for signed filter responses); one for all
        images, or one per image.

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt

    images = [as_array(f"images[{i}]", im, ndim=2, layout="(H, W)") for i, im in enumerate(images)]
    if not images:
        raise ValueError("images must contain at least one image")
    if titles is not None and len(titles) != len(images):
        raise ValueError(f"titles must have one entry per image ({len(images)}), got {len(titles)}")
    cmaps = [cmap] * len(images) if isinstance(cmap, str) else list(cmap)
    symmetrics = [symmetric] * len(images) if isinstance(symmetric, bool) else list(symmetric)
    if len(cmaps) != len(images) or len(symmetrics) != len(images):
        raise ValueError(
            f"cmap and symmetric must be single values or one per image ({len(images)})"
        )
    ncols = check_int("ncols", ncols if ncols is not None else len(images), minimum=1)
    nrows = -(-len(images) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(size * ncols, size * nrows), squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for i, (ax, image) in enumerate(zip(axes.flat, images, strict=False)):
        kwargs = {}
        if symmetrics[i]:
            m = float(np.max(np.abs(image))) or 1.0
            kwargs = {"vmin": -m, "vmax": m}
        ax.imshow(image, cmap=cmaps[i], **kwargs)
        if titles is not None:
            ax.set_title(titles[i])
    fig.tight_layout()
    return fig


def draw_matrix(ax, A, title=None, fmt="{:g}", highlight=None, cmap="Blues"):
    """Draw a small matrix as a grid of numbered cells.

    Parameters
    ----------
    ax : matplotlib Axes
    A : ndarray of shape (rows, cols)
    title : str, optional
    fmt : str
        Format for each number.
    highlight : tuple (row, col, height, width), optional
        A rectangle to outline, e.g. where the kernel sits.
    """
    import matplotlib.patches as patches

    A = as_array("A", A, ndim=2, layout="(rows, cols)")
    ax.imshow(A, cmap=cmap, alpha=0.35)
    for (i, j), v in np.ndenumerate(A):
        ax.text(j, i, fmt.format(v), ha="center", va="center", fontsize=11)
    ax.set_xticks(np.arange(-0.5, A.shape[1], 1), minor=True)
    ax.set_yticks(np.arange(-0.5, A.shape[0], 1), minor=True)
    ax.grid(which="minor", color="k", linewidth=1)
    ax.tick_params(which="both", bottom=False, left=False, labelbottom=False, labelleft=False)
    if highlight is not None:
        r, c, h, w = highlight
        ax.add_patch(
            patches.Rectangle((c - 0.5, r - 0.5), w, h, fill=False, edgecolor="red", linewidth=3)
        )
    if title:
        ax.set_title(title)


def show_worked_example(X, K, Y, position=(0, 0), op="⋆"):
    """The input, the kernel and the output of a 2-D example, with one window outlined.

    Parameters
    ----------
    X : ndarray of shape (H, W)
    K : ndarray of shape (kH, kW)
    Y : ndarray of shape (H', W')
    position : (int, int)
        Output position whose input window is outlined.
    op : str
        Symbol between input and kernel in the titles.

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt

    X = as_array("X", X, ndim=2)
    K = as_array("K", K, ndim=2)
    Y = as_array("Y", Y, ndim=2)
    r, c = position
    if not (0 <= r < Y.shape[0] and 0 <= c < Y.shape[1]):
        raise ValueError(f"position must index the output of shape {Y.shape}, got {position}")
    widths = [X.shape[1], K.shape[1], Y.shape[1]]
    fig, axes = plt.subplots(
        1,
        3,
        figsize=(sum(widths) * 0.9 + 1, 0.9 * X.shape[0] + 0.6),
        gridspec_kw={"width_ratios": widths},
    )
    draw_matrix(axes[0], X, "input X", highlight=(r, c, K.shape[0], K.shape[1]))
    draw_matrix(axes[1], K, f"kernel K  (X {op} K)", cmap="Oranges")
    draw_matrix(axes[2], Y, "output", highlight=(r, c, 1, 1), cmap="Greens")
    fig.tight_layout()
    return fig


def plot_signal(ax, values, label, offset=0, **kwargs):
    """Stem plot of a 1-D signal starting at index ``offset``."""
    values = as_array("values", values, ndim=1, layout="(n,)")
    idx = np.arange(offset, offset + len(values))
    markerline, stemlines, baseline = ax.stem(idx, values, label=label, basefmt=" ", **kwargs)
    return markerline
