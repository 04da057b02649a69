"""Interactive widgets (ipywidgets) for the chapters."""

from __future__ import annotations

import io

import numpy as np

from cnnkit._validate import as_array, check_choice

KERNEL_PRESETS = {
    "identity": [[0, 0, 0], [0, 1, 0], [0, 0, 0]],
    "vertical edge": [[1, 0, -1], [1, 0, -1], [1, 0, -1]],
    "horizontal edge": [[1, 1, 1], [0, 0, 0], [-1, -1, -1]],
    "Sobel x": [[1, 0, -1], [2, 0, -2], [1, 0, -1]],
    "Sobel y": [[1, 2, 1], [0, 0, 0], [-1, -2, -1]],
    "Laplacian": [[0, 1, 0], [1, -4, 1], [0, 1, 0]],
    "sharpen": [[0, -1, 0], [-1, 5, -1], [0, -1, 0]],
    "box blur": [[1 / 9] * 3] * 3,
}


def _png(image, title):
    """Render one image to PNG bytes without touching pyplot's global state."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(3.2, 3.2), dpi=80)
    ax = fig.add_subplot()
    m = float(np.max(np.abs(image))) or 1.0
    signed = float(np.min(image)) < 0
    ax.imshow(
        image,
        cmap="RdBu_r" if signed else "gray",
        vmin=-m if signed else None,
        vmax=m if signed else None,
    )
    ax.set_title(title)
    ax.axis("off")
    buf = io.BytesIO()
    fig.savefig(buf, format="png", bbox_inches="tight")
    return buf.getvalue()


class KernelPlayground:
    """Edit a 3×3 kernel and see the image it filters, with *your* correlation function.

    Parameters
    ----------
    image : ndarray of shape (H, W)
        Grayscale image, H, W >= 3.
    filter_fn : callable
        ``filter_fn(image, kernel) -> ndarray`` of shape (H - 2, W - 2), e.g. the
        ``corr2d`` you wrote in chapter 1.
    preset : str
        Initial kernel, one of ``KERNEL_PRESETS``.

    Attributes
    ----------
    widget : ipywidgets.VBox
        What the notebook displays.
    result : ndarray or None
        The latest filtered image; ``error`` holds the message if ``filter_fn`` failed.
    """

    def __init__(self, image, filter_fn, preset="vertical edge"):
        import ipywidgets as w

        self.image = as_array("image", image, ndim=2, layout="(H, W)")
        if min(self.image.shape) < 3:
            raise ValueError(f"image must be at least 3×3, got shape {self.image.shape}")
        if not callable(filter_fn):
            raise ValueError(f"filter_fn must be callable, got {type(filter_fn).__name__}")
        check_choice("preset", preset, tuple(KERNEL_PRESETS))
        self.filter_fn = filter_fn
        self.result = None
        self.error = None
        self.cells = [
            w.FloatText(value=0.0, step=0.5, layout=w.Layout(width="70px")) for _ in range(9)
        ]
        self.presets = w.Dropdown(options=list(KERNEL_PRESETS), value=preset, description="preset")
        self.input_view = w.Image(value=_png(self.image, "input"), format="png")
        self.output_view = w.Image(format="png")
        self.status = w.HTML()
        grid = w.GridBox(self.cells, layout=w.Layout(grid_template_columns="repeat(3, 75px)"))
        self.widget = w.VBox(
            [
                w.HBox([self.presets, grid]),
                w.HBox([self.input_view, self.output_view]),
                self.status,
            ]
        )
        self._updating = False
        self.presets.observe(lambda change: self.set_kernel(KERNEL_PRESETS[change["new"]]), "value")
        for cell in self.cells:
            cell.observe(lambda change: self.update(), "value")
        self.set_kernel(KERNEL_PRESETS[preset])

    @property
    def kernel(self):
        """The kernel in the grid, ndarray of shape (3, 3)."""
        return np.array([c.value for c in self.cells], dtype=float).reshape(3, 3)

    def set_kernel(self, kernel):
        """Put a 3×3 kernel in the grid and refilter once."""
        kernel = as_array("kernel", kernel, ndim=2)
        if kernel.shape != (3, 3):
            raise ValueError(f"kernel must have shape (3, 3), got {kernel.shape}")
        self._updating = True
        try:
            for cell, value in zip(self.cells, kernel.ravel(), strict=True):
                cell.value = float(value)
        finally:
            self._updating = False
        self.update()

    def update(self):
        """Filter the image with the current kernel and redraw."""
        if self._updating:
            return
        try:
            out = np.asarray(self.filter_fn(self.image, self.kernel), dtype=float)
            if out.shape != (self.image.shape[0] - 2, self.image.shape[1] - 2):
                raise ValueError(
                    f"filter_fn returned shape {out.shape}, expected "
                    f"{(self.image.shape[0] - 2, self.image.shape[1] - 2)}"
                )
        except NotImplementedError:
            self.result, self.error = None, "Implement the filter function first."
        except Exception as exc:  # show any student error in the widget, not as a traceback
            self.result, self.error = None, f"{type(exc).__name__}: {exc}"
        else:
            self.result, self.error = out, None
            self.output_view.value = _png(out, "output")
        self.status.value = f"<span style='color:#b00'>{self.error}</span>" if self.error else ""

    def _ipython_display_(self):
        from IPython.display import display

        display(self.widget)


def kernel_playground(image, filter_fn, preset="vertical edge"):
    """Build a :class:`KernelPlayground`; display it by leaving it last in a cell."""
    return KernelPlayground(image, filter_fn, preset)
