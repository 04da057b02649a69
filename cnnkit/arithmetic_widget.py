"""Convolution arithmetic: pictures of where a kernel lands, and an interactive explorer.

In the spirit of Dumoulin & Visin's animations ("A guide to convolution arithmetic for
deep learning", 2016): a square ``n x n`` input, padded by ``p`` on every side, a
``k x k`` kernel with dilation ``d`` moved with stride ``s``, and the ``m x m`` output.

* :func:`conv_geometry` lists the kernel positions and how often each cell is used;
* :func:`conv_arithmetic_figure` draws one setting (a pure function: it returns a
  ``matplotlib.figure.Figure`` and leaves pyplot alone);
* :func:`conv_arithmetic_gallery` draws the classic cases side by side;
* :class:`ConvArithmeticExplorer` puts sliders and presets around the figure.

The explorer can compare the picture with *your* output-size function: pass it as
``output_size_fn(n, k, pad, stride, dilation)``.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np

from cnnkit._validate import check_choice, check_int

__all__ = [
    "PRESETS",
    "ConvGeometry",
    "conv_geometry",
    "conv_arithmetic_figure",
    "conv_arithmetic_gallery",
    "ConvArithmeticExplorer",
    "conv_arithmetic_explorer",
]

# name -> (n, k, p, s, d): the cases of Dumoulin & Visin's guide, plus the course's own.
PRESETS = {
    "no padding, no strides": (4, 3, 0, 1, 1),
    "arbitrary padding, no strides": (5, 4, 2, 1, 1),
    "half (same) padding": (5, 3, 1, 1, 1),
    "full padding": (5, 3, 2, 1, 1),
    "no padding, strides": (5, 3, 0, 2, 1),
    "padding, strides": (5, 3, 1, 2, 1),
    "padding, strides (odd)": (6, 3, 1, 2, 1),
    "strides, last row/column skipped": (6, 3, 0, 2, 1),
    "7x7, k=3, p=1, s=2 (course example)": (7, 3, 1, 2, 1),
    "dilation 2": (7, 3, 0, 1, 2),
}

# Colours: input cells, padding, cells no kernel position uses, kernel taps, output.
INPUT_COLOR = "#cfe3f5"
PAD_COLOR = "#ececec"
UNUSED_COLOR = "#f2b8b8"
TAP_COLOR = "#f39c34"
OUTPUT_COLOR = "#cde9c8"
OUTPUT_HIGHLIGHT = "#3f9d3a"


@dataclass(frozen=True)
class ConvGeometry:
    """Where a ``k x k`` kernel (dilation ``d``) lands on an ``n x n`` input padded by ``p``.

    Attributes
    ----------
    n, k, p, s, d : int
        Input size, kernel size, padding, stride, dilation.
    span : int
        Cells one kernel position spans: ``d*(k - 1) + 1``.
    size : int
        Padded input size ``n + 2*p``.
    starts : tuple of int
        First row (and column) of each kernel position in the padded input.
    counts : ndarray of shape (size, size)
        How many kernel positions use each cell of the padded input.
    """

    n: int
    k: int
    p: int
    s: int
    d: int
    span: int
    size: int
    starts: tuple
    counts: np.ndarray

    @property
    def m(self):
        """Output size: the number of kernel positions along one axis."""
        return len(self.starts)

    @property
    def is_padding(self):
        """Boolean mask (size, size): True on the padding border."""
        inside = np.zeros(self.size, dtype=bool)
        inside[self.p : self.p + self.n] = True
        return ~np.outer(inside, inside)

    @property
    def unused_inputs(self):
        """Boolean mask (size, size): input cells (not padding) that no kernel position uses."""
        return (self.counts == 0) & ~self.is_padding

    def taps(self, position):
        """Cells (row, col) of the padded input under kernel position ``position``.

        Positions are numbered row by row, ``0 .. m*m - 1``, like the output cells.
        """
        position = check_int("position", position, minimum=0)
        if position >= self.m * self.m:
            raise ValueError(f"position must be below m*m = {self.m * self.m}, got {position}")
        r, c = divmod(position, self.m)
        rows = self.starts[r] + self.d * np.arange(self.k)
        cols = self.starts[c] + self.d * np.arange(self.k)
        return [(int(i), int(j)) for i in rows for j in cols]


def conv_geometry(n, k, p=0, s=1, d=1):
    """Kernel positions and cell usage for one setting; see :class:`ConvGeometry`.

    Raises
    ------
    ValueError
        For non-integer or out-of-range arguments, or a kernel that does not fit in the
        padded input.
    """
    n = check_int("n", n, minimum=1)
    k = check_int("k", k, minimum=1)
    p = check_int("p", p, minimum=0)
    s = check_int("s", s, minimum=1)
    d = check_int("d", d, minimum=1)
    span = d * (k - 1) + 1
    size = n + 2 * p
    if span > size:
        raise ValueError(
            f"the kernel spans {span} cells (d*(k-1)+1) but the padded input has only "
            f"n + 2p = {size}: it does not fit"
        )
    # Enumerate the positions directly: start at 0 and step by s while the kernel fits.
    starts = []
    t = 0
    while t + span <= size:
        starts.append(t)
        t += s
    used = np.zeros(size, dtype=int)
    for t in starts:
        used[t : t + span : d] += 1
    return ConvGeometry(n, k, p, s, d, span, size, tuple(starts), np.outer(used, used))


# --------------------------------------------------------------------------- drawing


# The explorer's picture: 5 inches drawn at 2 x 96 dpi, shown 480 CSS pixels wide.
IMAGE_INCHES = 5.0
IMAGE_WIDTH_PX = 480


def _png(fig, dpi=80):
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()


def _figure_class():
    """A matplotlib Figure that Jupyter shows as a PNG when it is the value of a cell.

    The figures here are built without pyplot (so that redrawing a widget never leaks
    figures into the notebook), and a bare ``Figure`` would only display as text.
    """
    from matplotlib.figure import Figure

    class ArithmeticFigure(Figure):
        def _repr_png_(self):
            return _png(self, dpi=90)

    return ArithmeticFigure


def _grid(ax, rows, cols):
    ax.set_xlim(-0.5, cols - 0.5)
    ax.set_ylim(rows - 0.5, -0.5)
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_visible(False)


def _cell(ax, r, c, face, edge="#555555", style="-", hatch=None, alpha=1.0, lw=0.8):
    from matplotlib.patches import Rectangle

    ax.add_patch(
        Rectangle(
            (c - 0.5, r - 0.5),
            1,
            1,
            facecolor=face,
            edgecolor=edge,
            linestyle=style,
            hatch=hatch,
            alpha=alpha,
            linewidth=lw,
        )
    )


def _draw_input(ax, g, position):
    from matplotlib.patches import Rectangle

    _grid(ax, g.size, g.size)
    pad, unused = g.is_padding, g.unused_inputs
    for r in range(g.size):
        for c in range(g.size):
            if pad[r, c]:
                hatch = "///" if g.counts[r, c] == 0 else None
                _cell(ax, r, c, PAD_COLOR, edge="#999999", style="--", hatch=hatch)
            elif unused[r, c]:
                _cell(ax, r, c, UNUSED_COLOR, hatch="///")
            else:
                _cell(ax, r, c, INPUT_COLOR)
    fontsize = max(5, min(10, 120 // g.size))
    if position is None:
        if g.size <= 16:
            for (r, c), v in np.ndenumerate(g.counts):
                ax.text(c, r, str(v), ha="center", va="center", fontsize=fontsize, color="#333333")
        title = "padded input: windows per cell"
    else:
        for r, c in g.taps(position):
            _cell(ax, r, c, TAP_COLOR, alpha=0.85, lw=1.0)
        r, c = divmod(position, g.m)
        top, left = g.starts[r], g.starts[c]
        ax.add_patch(
            Rectangle(
                (left - 0.5, top - 0.5),
                g.span,
                g.span,
                fill=False,
                edgecolor="#c0392b",
                linewidth=2.5,
            )
        )
        title = f"padded input: position {position} (row {r}, col {c})"
    ax.set_title(title, fontsize=9)


def _draw_output(ax, g, position):
    _grid(ax, g.m, g.m)
    for r in range(g.m):
        for c in range(g.m):
            face = OUTPUT_COLOR
            if position is not None and divmod(position, g.m) == (r, c):
                face = OUTPUT_HIGHLIGHT
            _cell(ax, r, c, face)
    ax.set_title(f"output {g.m}×{g.m}", fontsize=9)


def _formula(g):
    span = f"{g.span}" if g.d == 1 else f"{g.d}·({g.k}−1)+1"
    return f"m = ⌊({g.n} + 2·{g.p} − {span}) / {g.s}⌋ + 1 = {g.m}"


def _out_width(g):
    return max(g.m, g.size * 0.45)


def _height(g, width):
    """Figure height (inches) that fits both grids at ``width`` inches, plus the titles."""
    unit = width / (g.size + _out_width(g) + 1.5)
    return unit * g.size + 1.1


def _draw(fig, g, position, title=None):
    """Draw input and output side by side into ``fig`` (a Figure or a SubFigure)."""
    axes = fig.subplots(1, 2, gridspec_kw={"width_ratios": [g.size, _out_width(g)]})
    _draw_input(axes[0], g, position)
    _draw_output(axes[1], g, position)
    head = title or f"n={g.n}, k={g.k}, p={g.p}, s={g.s}, d={g.d}"
    fig.suptitle(f"{head}\n{_formula(g)}", fontsize=10)
    return axes


def conv_arithmetic_figure(n, k, p=0, s=1, d=1, position=None, size=6.0):
    """Draw the padded input, where the kernel lands and the output grid.

    Padding cells are grey with dashed borders; input cells that no kernel position
    uses (the last rows/columns a stride skips) are red and hatched. With
    ``position=None`` every input cell shows how many kernel positions use it; with
    ``position=i`` the kernel's taps at position ``i`` (numbered row by row, like the
    output cells) are orange and the output cell they produce is dark green.

    Parameters
    ----------
    n, k, p, s, d : int
        Input size, kernel size, padding, stride and dilation.
    position : int or None
        Kernel position to highlight, ``0 <= position < m*m``; None for all positions.
    size : float
        Figure width in inches.

    Returns
    -------
    matplotlib.figure.Figure
        Not registered with pyplot; leave it last in a cell to show it (it has a
        ``_repr_png_``), or save it with ``fig.savefig``.
    """
    g = conv_geometry(n, k, p, s, d)
    if position is not None:
        g.taps(position)  # validates the position
    fig = _figure_class()(figsize=(size, _height(g, size)), layout="constrained")
    _draw(fig, g, position)
    return fig


def conv_arithmetic_gallery(presets=None, ncols=2, size=5.0):
    """The classic cases side by side, each with all kernel positions.

    Parameters
    ----------
    presets : sequence of str, optional
        Names from :data:`PRESETS` (default: all).
    ncols : int
        Cases per row.
    size : float
        Width in inches of one case.

    Returns
    -------
    matplotlib.figure.Figure
    """
    names = list(PRESETS) if presets is None else list(presets)
    if not names:
        raise ValueError("presets must name at least one case")
    for name in names:
        check_choice("preset", name, tuple(PRESETS))
    ncols = check_int("ncols", ncols, minimum=1)
    ncols = min(ncols, len(names))
    nrows = -(-len(names) // ncols)
    geometries = [conv_geometry(*PRESETS[name]) for name in names]
    height = max(_height(g, size) for g in geometries)
    fig = _figure_class()(figsize=(size * ncols, height * nrows), layout="constrained")
    subfigs = np.atleast_1d(fig.subfigures(nrows, ncols)).ravel()
    for sub, name, g in zip(subfigs, names, geometries, strict=False):
        _draw(sub, g, None, title=name)
    return fig


# ---------------------------------------------------------------------------- widget


class ConvArithmeticExplorer:
    """Sliders for n, k, p, s, d, presets, and the picture of :func:`conv_arithmetic_figure`.

    Parameters
    ----------
    output_size_fn : callable, optional
        ``output_size_fn(n, k, pad, stride, dilation) -> int``, e.g. your
        ``conv_output_size``; the explorer says whether it agrees with the picture
        (and whether it raises ``ValueError`` when the kernel does not fit).
    preset : str
        Initial setting, one of :data:`PRESETS`.

    Attributes
    ----------
    widget : ipywidgets.VBox
        What the notebook displays.
    geometry : ConvGeometry or None
        The current setting; None when the kernel does not fit.
    message : str
        The status line (empty when all is well).
    """

    def __init__(self, output_size_fn=None, preset="no padding, no strides"):
        import ipywidgets as w

        check_choice("preset", preset, tuple(PRESETS))
        if output_size_fn is not None and not callable(output_size_fn):
            raise ValueError(
                f"output_size_fn must be callable, got {type(output_size_fn).__name__}"
            )
        self.output_size_fn = output_size_fn
        self.geometry = None
        self.message = ""
        slider = {"continuous_update": False, "style": {"description_width": "90px"}}
        self.n = w.IntSlider(value=4, min=1, max=12, description="input n", **slider)
        self.k = w.IntSlider(value=3, min=1, max=7, description="kernel k", **slider)
        self.p = w.IntSlider(value=0, min=0, max=6, description="padding p", **slider)
        self.s = w.IntSlider(value=1, min=1, max=5, description="stride s", **slider)
        self.d = w.IntSlider(value=1, min=1, max=4, description="dilation d", **slider)
        self.presets = w.Dropdown(
            options=list(PRESETS), value=preset, description="preset", layout={"width": "420px"}
        )
        self.all_positions = w.Checkbox(value=True, description="all kernel positions")
        self.position = w.IntSlider(value=0, min=0, max=0, description="position", **slider)
        self.play = w.Play(value=0, min=0, max=0, interval=700, description="play")
        w.jslink((self.play, "value"), (self.position, "value"))
        # Drawn at twice the pixels it is shown at, so it stays sharp on high-density
        # screens; shown beside the sliders (wrapping below them only on a narrow page),
        # so that the sliders stay in view while the picture changes.
        self.image = w.Image(format="png", layout={"width": f"{IMAGE_WIDTH_PX}px"})
        self.status = w.HTML()
        controls = w.VBox(
            [
                self.presets,
                self.n,
                self.k,
                self.p,
                self.s,
                self.d,
                self.all_positions,
                w.HBox([self.position, self.play]),
            ],
            layout={"min_width": "420px"},
        )
        self.widget = w.VBox(
            [
                w.HBox([controls, self.image], layout={"flex_flow": "row wrap"}),
                self.status,
            ]
        )
        self._updating = False
        self.presets.observe(lambda change: self.set_preset(change["new"]), "value")
        for control in (self.n, self.k, self.p, self.s, self.d, self.position, self.all_positions):
            control.observe(lambda change: self.update(), "value")
        self.set_preset(preset)

    def set_preset(self, name):
        """Set the sliders to a preset (one of :data:`PRESETS`) and redraw once."""
        check_choice("preset", name, tuple(PRESETS))
        self.set(*PRESETS[name])

    def set(self, n, k, p=0, s=1, d=1):
        """Set the five sliders at once and redraw once."""
        self._updating = True
        try:
            for control, value in zip(
                (self.n, self.k, self.p, self.s, self.d), (n, k, p, s, d), strict=True
            ):
                control.value = value
            self.position.value = 0
        finally:
            self._updating = False
        self.update()

    def _check_student(self, n, k, p, s, d, geometry):
        """Compare ``output_size_fn`` with the picture; return a message ('' if it agrees)."""
        if self.output_size_fn is None:
            return ""
        name = getattr(self.output_size_fn, "__name__", "output_size_fn")
        call = f"{name}({n}, {k}, {p}, {s}, {d})"
        try:
            got = self.output_size_fn(n, k, p, s, d)
        except NotImplementedError:
            return f"Implement {name} to compare it with the picture."
        except ValueError as exc:
            if geometry is None:
                return ""
            return f"{call} raised ValueError ({exc}), but the kernel fits {geometry.m} times."
        except Exception as exc:  # show any student error here, not as a traceback
            return f"{call} raised {type(exc).__name__}: {exc}"
        if geometry is None:
            return f"{call} returned {got!r}; it should raise ValueError: the kernel does not fit."
        if got != geometry.m:
            return f"{call} returned {got!r}, but the kernel fits {geometry.m} times per axis."
        return ""

    def update(self):
        """Redraw for the current slider values."""
        if self._updating:
            return
        n, k, p, s, d = (c.value for c in (self.n, self.k, self.p, self.s, self.d))
        try:
            g = conv_geometry(n, k, p, s, d)
        except ValueError as exc:
            g, problem = None, str(exc)
        else:
            problem = ""
        self.geometry = g
        notes = [problem] if problem else []
        student = self._check_student(n, k, p, s, d, g)
        if student:
            notes.append(student)
        if g is not None:
            last = g.m * g.m - 1
            self._updating = True
            try:
                self.position.max = last
                self.play.max = last
                self.position.value = min(self.position.value, last)
            finally:
                self._updating = False
            self.position.disabled = self.all_positions.value
            position = None if self.all_positions.value else self.position.value
            figure = conv_arithmetic_figure(n, k, p, s, d, position=position, size=IMAGE_INCHES)
            self.image.value = _png(figure, dpi=2 * IMAGE_WIDTH_PX / IMAGE_INCHES)
            unused = int(g.unused_inputs.sum())
            if unused:
                notes.append(
                    f"Note: {unused} input cell(s) (hatched red) are never under the kernel: "
                    "the stride (or the dilation) skips them."
                )
        self.message = " ".join(notes)
        colour = "#b00" if problem or student else "#555"
        self.status.value = f"<span style='color:{colour}'>{self.message}</span>" if notes else ""

    def _ipython_display_(self):
        from IPython.display import display

        display(self.widget)


def conv_arithmetic_explorer(output_size_fn=None, preset="no padding, no strides"):
    """Build a :class:`ConvArithmeticExplorer`; display it by leaving it last in a cell."""
    return ConvArithmeticExplorer(output_size_fn, preset)
