"""Pictures and widgets for chapter 7: transposed-convolution arithmetic, receptive fields.

* :func:`transposed_geometry` / :func:`transposed_arithmetic_figure`: a transposed
  convolution (input ``i``, kernel ``k``, stride ``s``, padding ``p``, output padding
  ``a``) drawn as the stride-1 convolution it computes, over the input with ``s - 1``
  zeros between pixels and ``k - 1 - p`` padding (Dumoulin & Visin, 2016);
* :func:`transposed_arithmetic_gallery`: the classic cases side by side;
* :class:`TransposedArithmeticExplorer`: sliders, presets, and a comparison with your
  ``transposed_output_size``;
* :func:`receptive_field_map` / :func:`receptive_field_figure` /
  :class:`ReceptiveFieldViewer`: which input pixels one output unit of a stack of
  layers sees, and along how many paths.

The figures are built without pyplot (like :mod:`cnnkit.arithmetic_widget`): leave one
last in a cell to show it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cnnkit._validate import check_choice, check_int
from cnnkit.arithmetic_widget import _cell, _figure_class, _grid, _png

__all__ = [
    "TRANSPOSED_PRESETS",
    "RF_PRESETS",
    "TransposedGeometry",
    "transposed_geometry",
    "transposed_arithmetic_figure",
    "transposed_arithmetic_gallery",
    "TransposedArithmeticExplorer",
    "receptive_field_map",
    "receptive_field_figure",
    "ReceptiveFieldViewer",
]

# name -> (n, k, s, p) of the *convolution*; its transpose maps the output size back to n.
TRANSPOSED_PRESETS = {
    "no padding, no strides": (4, 3, 1, 0),
    "arbitrary padding, no strides": (5, 4, 1, 2),
    "half (same) padding, no strides": (5, 3, 1, 1),
    "full padding, no strides": (5, 3, 1, 2),
    "no padding, strides": (5, 3, 2, 0),
    "padding, strides": (5, 3, 2, 1),
    "padding, strides (odd)": (6, 3, 2, 1),
    "k=4, s=2, p=1 (doubles the size)": (8, 4, 2, 1),
}

INPUT_COLOR = "#9cc3e6"
ZERO_COLOR = "#ffffff"
PAD_COLOR = "#ececec"
OUTPUT_PAD_COLOR = "#f6e3b4"
TAP_COLOR = "#f39c34"
OUTPUT_COLOR = "#cde9c8"
OUTPUT_HIGHLIGHT = "#3f9d3a"


@dataclass(frozen=True)
class TransposedGeometry:
    """A transposed convolution along one axis, as a stride-1 convolution.

    Attributes
    ----------
    i, k, s, p, a : int
        Input size, kernel size, stride, padding, output padding.
    o : int
        Output size ``s*(i - 1) + k - 2*p + a``.
    kinds : ndarray of str, shape (o + k - 1,)
        What each cell of the stride-1 picture holds: ``"input"``, ``"zero"`` (inserted
        between input pixels), ``"pad"`` (the ``k - 1 - p`` border) or ``"outpad"``
        (the output padding at the end).
    coverage : ndarray of int, shape (o,)
        How many input pixels (not zeros) each output's kernel window meets: uneven
        coverage is the checkerboard.
    """

    i: int
    k: int
    s: int
    p: int
    a: int
    o: int
    kinds: np.ndarray
    coverage: np.ndarray

    @property
    def size(self):
        """Cells of the stride-1 picture along one axis."""
        return len(self.kinds)

    @property
    def border(self):
        """The padding of the equivalent stride-1 convolution, ``k - 1 - p`` (< 0: a crop)."""
        return self.k - 1 - self.p


def transposed_geometry(i, k, s=1, p=0, a=0):
    """Cells and coverage of one transposed convolution; see :class:`TransposedGeometry`."""
    i = check_int("i", i, minimum=1)
    k = check_int("k", k, minimum=1)
    s = check_int("s", s, minimum=1)
    p = check_int("p", p, minimum=0)
    a = check_int("a", a, minimum=0)
    if a >= s:
        raise ValueError(f"the output padding a must be smaller than the stride s={s}, got {a}")
    o = s * (i - 1) + k - 2 * p + a
    if o < 1:
        raise ValueError(f"the output would be empty: s(i-1) + k - 2p + a = {o}")
    # Full picture: k - 1 zeros, the zero-inserted input (s(i-1) + 1 cells), k - 1 zeros,
    # a output-padding cells; the padding p crops p cells from its start.
    z = s * (i - 1) + 1
    full = np.array(
        ["pad"] * (k - 1) + ["zero"] * z + ["pad"] * (k - 1) + ["outpad"] * a, dtype="<U6"
    )
    full[k - 1 : k - 1 + z : s] = "input"
    kinds = full[p : p + o + k - 1]
    is_input = (kinds == "input").astype(int)
    coverage = np.array([is_input[t : t + k].sum() for t in range(o)])
    return TransposedGeometry(i, k, s, p, a, o, kinds, coverage)


_FACES = {"input": INPUT_COLOR, "zero": ZERO_COLOR, "pad": PAD_COLOR, "outpad": OUTPUT_PAD_COLOR}


def _draw_transposed(fig, g, position, title=None):
    L, o = g.size, g.o
    axes = fig.subplots(1, 2, gridspec_kw={"width_ratios": [L, max(o, L * 0.45)]})
    ax = axes[0]
    _grid(ax, L, L)
    for r in range(L):
        for c in range(L):
            both = {g.kinds[r], g.kinds[c]}
            if "input" in both and len(both) == 1:
                kind = "input"
            elif "outpad" in both:
                kind = "outpad"
            elif "pad" in both:
                kind = "pad"
            else:
                kind = "zero"
            _cell(
                ax,
                r,
                c,
                _FACES[kind],
                edge="#999999" if kind != "input" else "#555555",
                style="--" if kind in ("pad", "outpad") else "-",
                hatch="///" if kind == "outpad" else None,
            )
    if position is not None:
        position = check_int("position", position, minimum=0)
        if position >= o * o:
            raise ValueError(f"position must be below o*o = {o * o}, got {position}")
        top, left = divmod(position, o)
        for r in range(top, top + g.k):
            for c in range(left, left + g.k):
                _cell(ax, r, c, TAP_COLOR, alpha=0.6, lw=1.0)
    ax.set_title(
        f"stride-1 convolution over: {g.i}×{g.i} input (blue), {g.s - 1} zero(s) between "
        f"pixels, border k−1−p = {g.border}",
        fontsize=8,
    )
    ax = axes[1]
    _grid(ax, o, o)
    cover = np.outer(g.coverage, g.coverage)
    for r in range(o):
        for c in range(o):
            face = OUTPUT_COLOR
            if position is not None and divmod(position, o) == (r, c):
                face = OUTPUT_HIGHLIGHT
            _cell(ax, r, c, face)
            if o <= 16:
                ax.text(c, r, str(cover[r, c]), ha="center", va="center", fontsize=7)
    ax.set_title(f"output {o}×{o}: input pixels per window", fontsize=8)
    head = title or f"i={g.i}, k={g.k}, s={g.s}, p={g.p}, a={g.a}"
    fig.suptitle(
        f"{head}\no = s(i−1) + k − 2p + a = {g.s}·{g.i - 1} + {g.k} − {2 * g.p} + {g.a} = {o}",
        fontsize=9,
    )
    return axes


def _height(g, width):
    unit = width / (g.size + max(g.o, g.size * 0.45) + 1.5)
    return unit * g.size + 1.2


def transposed_arithmetic_figure(i, k, s=1, p=0, a=0, position=None, size=6.0):
    """Draw a transposed convolution as the stride-1 convolution it computes.

    Input pixels are blue, the ``s - 1`` zeros inserted between them white, the
    ``k - 1 - p`` border grey (dashed) and the output padding hatched. The output cells
    show how many input pixels their kernel window meets; ``position`` highlights one
    window (numbered row by row).

    Returns
    -------
    matplotlib.figure.Figure
    """
    g = transposed_geometry(i, k, s, p, a)
    fig = _figure_class()(figsize=(size, _height(g, size)), layout="constrained")
    _draw_transposed(fig, g, position)
    return fig


def _case(n, k, s, p):
    """(i, a) of the transpose of a convolution with input n: its output size, the rest."""
    for name, v, low in (("n", n, 1), ("k", k, 1), ("s", s, 1), ("p", p, 0)):
        check_int(name, v, minimum=low)
    if k > n + 2 * p:
        raise ValueError(f"the kernel k={k} does not fit in n + 2p = {n + 2 * p}")
    return (n + 2 * p - k) // s + 1, (n + 2 * p - k) % s


def transposed_arithmetic_gallery(cases=None, ncols=2, size=5.0):
    """The transposed classic cases side by side.

    Parameters
    ----------
    cases : dict of str -> (n, k, s, p), optional
        Convolutions by name (default :data:`TRANSPOSED_PRESETS`); each is drawn
        transposed, from the convolution's output size back to ``n`` (with the output
        padding ``(n + 2p - k) mod s``).

    Returns
    -------
    matplotlib.figure.Figure
    """
    cases = dict(TRANSPOSED_PRESETS if cases is None else cases)
    if not cases:
        raise ValueError("cases must hold at least one case")
    ncols = min(check_int("ncols", ncols, minimum=1), len(cases))
    nrows = -(-len(cases) // ncols)
    geometries = []
    for n, k, s, p in cases.values():
        i, a = _case(n, k, s, p)
        geometries.append(transposed_geometry(i, k, s, p, a))
    height = max(_height(g, size) for g in geometries)
    fig = _figure_class()(figsize=(size * ncols, height * nrows), layout="constrained")
    subfigs = np.atleast_1d(fig.subfigures(nrows, ncols)).ravel()
    for sub, name, g in zip(subfigs, cases, geometries, strict=False):
        _draw_transposed(sub, g, None, title=f"{name}, transposed")
    return fig


class TransposedArithmeticExplorer:
    """Sliders for i, k, s, p, a and the picture of :func:`transposed_arithmetic_figure`.

    Parameters
    ----------
    output_size_fn : callable, optional
        ``output_size_fn(i, k, stride, pad, output_padding) -> int``, e.g. your
        ``transposed_output_size``; the explorer says whether it agrees with the picture.
    preset : str
        One of :data:`TRANSPOSED_PRESETS` (set to the transpose of that convolution).
    """

    def __init__(self, output_size_fn=None, preset="padding, strides"):
        import ipywidgets as w

        check_choice("preset", preset, tuple(TRANSPOSED_PRESETS))
        if output_size_fn is not None and not callable(output_size_fn):
            raise ValueError(
                f"output_size_fn must be callable, got {type(output_size_fn).__name__}"
            )
        self.output_size_fn = output_size_fn
        self.geometry = None
        self.message = ""
        slider = {"continuous_update": False, "style": {"description_width": "110px"}}
        self.i = w.IntSlider(value=2, min=1, max=8, description="input i", **slider)
        self.k = w.IntSlider(value=3, min=1, max=6, description="kernel k", **slider)
        self.s = w.IntSlider(value=1, min=1, max=4, description="stride s", **slider)
        self.p = w.IntSlider(value=0, min=0, max=5, description="padding p", **slider)
        self.a = w.IntSlider(value=0, min=0, max=3, description="output pad a", **slider)
        self.presets = w.Dropdown(
            options=list(TRANSPOSED_PRESETS),
            value=preset,
            description="preset",
            layout={"width": "440px"},
        )
        self.all_positions = w.Checkbox(value=True, description="all windows")
        self.position = w.IntSlider(value=0, min=0, max=0, description="window", **slider)
        self.image = w.Image(format="png")
        self.status = w.HTML()
        controls = w.VBox([self.i, self.k, self.s, self.p, self.a])
        stepper = w.VBox([self.all_positions, self.position])
        self.widget = w.VBox([self.presets, w.HBox([controls, stepper]), self.image, self.status])
        self._updating = False
        self.presets.observe(lambda change: self.set_preset(change["new"]), "value")
        for control in (self.i, self.k, self.s, self.p, self.a, self.position, self.all_positions):
            control.observe(lambda change: self.update(), "value")
        self.set_preset(preset)

    def set_preset(self, name):
        """Set the sliders to the transpose of a preset convolution and redraw once."""
        n, k, s, p = TRANSPOSED_PRESETS[check_choice("preset", name, tuple(TRANSPOSED_PRESETS))]
        i, a = _case(n, k, s, p)
        self.set(i, k, s, p, a)

    def set(self, i, k, s=1, p=0, a=0):
        """Set the five sliders at once and redraw once."""
        self._updating = True
        try:
            for control, value in zip(
                (self.i, self.k, self.s, self.p, self.a), (i, k, s, p, a), strict=True
            ):
                control.value = value
            self.position.value = 0
        finally:
            self._updating = False
        self.update()

    def _check_student(self, args, geometry):
        if self.output_size_fn is None:
            return ""
        name = getattr(self.output_size_fn, "__name__", "output_size_fn")
        call = f"{name}{args}"
        try:
            got = self.output_size_fn(*args)
        except NotImplementedError:
            return f"Implement {name} to compare it with the picture."
        except ValueError as exc:
            if geometry is None:
                return ""
            return f"{call} raised ValueError ({exc}), but the output has {geometry.o} cells."
        except Exception as exc:  # shown here, not as a traceback
            return f"{call} raised {type(exc).__name__}: {exc}"
        if geometry is None:
            return f"{call} returned {got!r}; it should raise ValueError."
        if got != geometry.o:
            return f"{call} returned {got!r}, but the output has {geometry.o} cells per axis."
        return ""

    def update(self):
        """Redraw for the current slider values."""
        if self._updating:
            return
        args = tuple(c.value for c in (self.i, self.k, self.s, self.p, self.a))
        try:
            g = transposed_geometry(*args)
        except ValueError as exc:
            g, problem = None, str(exc)
        else:
            problem = ""
        self.geometry = g
        notes = [problem] if problem else []
        student = self._check_student(args, g)
        if student:
            notes.append(student)
        if g is not None:
            self._updating = True
            try:
                self.position.max = g.o * g.o - 1
                self.position.value = min(self.position.value, g.o * g.o - 1)
            finally:
                self._updating = False
            self.position.disabled = self.all_positions.value
            position = None if self.all_positions.value else self.position.value
            self.image.value = _png(transposed_arithmetic_figure(*args, position=position))
            if len(set(g.coverage[g.k - 1 : g.o - g.k + 1].tolist())) > 1:
                notes.append(
                    f"Uneven coverage: k={g.k} is not a multiple of s={g.s}, so neighbouring "
                    "outputs meet different numbers of input pixels (checkerboard)."
                )
        self.message = " ".join(notes)
        colour = "#b00" if problem or student else "#555"
        self.status.value = f"<span style='color:{colour}'>{self.message}</span>" if notes else ""

    def _ipython_display_(self):
        from IPython.display import display

        display(self.widget)


# ---------------------------------------------------------------- receptive fields

# name -> layers (kernel, stride[, dilation]); paddings do not change what a unit sees.
RF_PRESETS = {
    "three 3×3 convolutions": [(3, 1)] * 3,
    "3×3 convolutions, dilations 1, 2, 4": [(3, 1, 1), (3, 1, 2), (3, 1, 4)],
    "conv 3, pool 2/2, conv 3, pool 2/2": [(3, 1), (2, 2), (3, 1), (2, 2)],
    "two 3×3 convolutions with stride 2": [(3, 2), (3, 2)],
    "LeNet-5 up to C5": [(5, 1), (2, 2), (5, 1), (2, 2), (5, 1)],
    "1-D WaveNet-style: kernel 2, dilations 1, 2, 4, 8": [(2, 1, d) for d in (1, 2, 4, 8)],
}


def _layers(layers):
    out = []
    for layer in layers:
        if not isinstance(layer, (tuple, list)) or len(layer) not in (2, 3):
            raise ValueError(f"each layer must be (kernel, stride[, dilation]), got {layer!r}")
        k = check_int("kernel", layer[0], minimum=1)
        s = check_int("stride", layer[1], minimum=1)
        d = check_int("dilation", layer[2], minimum=1) if len(layer) == 3 else 1
        out.append((k, s, d))
    if not out:
        raise ValueError("layers must hold at least one layer")
    return out


def receptive_field_map(layers, unit=0):
    """Paths from each input position to output unit ``unit`` of a stack, along one axis.

    Walks back from the output: a unit ``x`` of layer ``l`` reads positions
    ``s*x + d*j`` (``j < k``) of layer ``l - 1``. No padding, so position 0 is the
    first input pixel any unit sees.

    Parameters
    ----------
    layers : list of (kernel, stride) or (kernel, stride, dilation)
    unit : int
        Output position (>= 0).

    Returns
    -------
    ndarray of int
        ``paths[t]``: in how many ways input ``t`` reaches the unit (0: not seen). Its
        nonzero span is the receptive field.
    """
    layers = _layers(layers)
    unit = check_int("unit", unit, minimum=0)
    paths = np.zeros(unit + 1, dtype=np.int64)
    paths[unit] = 1
    for k, s, d in reversed(layers):
        below = np.zeros(s * (len(paths) - 1) + d * (k - 1) + 1, dtype=np.int64)
        for j in range(k):
            below[d * j : d * j + s * (len(paths) - 1) + 1 : s] += paths
        paths = below
    return paths


def receptive_field_figure(layers, unit=(0, 0), size=6.0, title=None):
    """The input pixels one output unit of a stack sees, shaded by the number of paths.

    Parameters
    ----------
    layers : list of (kernel, stride) or (kernel, stride, dilation)
        Square kernels; the same stack along both axes.
    unit : (int, int)
        Output unit (row, column).

    Returns
    -------
    matplotlib.figure.Figure
    """
    layers = _layers(layers)
    if not isinstance(unit, (tuple, list)) or len(unit) != 2:
        raise ValueError(f"unit must be a pair (row, column), got {unit!r}")
    rows, cols = (receptive_field_map(layers, u) for u in unit)
    # show the whole input a 4x4 output would need, so the unit's place is visible
    jump = int(np.prod([s for _, s, _ in layers]))
    n = max(len(rows), len(cols), (len(receptive_field_map(layers, 0)) + 3 * jump))
    grid = np.zeros((n, n), dtype=np.int64)
    grid[: len(rows), : len(cols)] = np.outer(rows, cols)
    seen_r = np.flatnonzero(rows)
    fig = _figure_class()(figsize=(size, size * 0.92), layout="constrained")
    ax = fig.subplots()
    shown = ax.imshow(np.ma.masked_equal(grid, 0), cmap="Oranges", vmin=0)
    ax.set_xticks(np.arange(-0.5, n, 1), minor=True)
    ax.set_yticks(np.arange(-0.5, n, 1), minor=True)
    ax.grid(which="minor", color="#dddddd", linewidth=0.5)
    ax.tick_params(which="minor", length=0)
    ax.set_xlim(-0.5, n - 0.5)
    ax.set_ylim(n - 0.5, -0.5)
    fig.colorbar(shown, ax=ax, fraction=0.046, label="paths to the unit")
    r = seen_r[-1] - seen_r[0] + 1
    stack = ", ".join(f"{k}/{s}" + (f" d{d}" if d > 1 else "") for k, s, d in layers)
    ax.set_title(
        (title + "\n" if title else "")
        + f"layers (k/s d): {stack}\noutput unit {tuple(unit)} sees {r}×{r} input pixels",
        fontsize=9,
    )
    return fig


class ReceptiveFieldViewer:
    """Choose a stack of layers (a preset or your own list) and an output unit; see its field.

    Parameters
    ----------
    receptive_field_fn : callable, optional
        Your ``receptive_field(layers) -> list of int``; the viewer compares its last
        value with the picture.
    preset : str
        One of :data:`RF_PRESETS`.
    """

    def __init__(self, receptive_field_fn=None, preset="3×3 convolutions, dilations 1, 2, 4"):
        import ipywidgets as w

        check_choice("preset", preset, tuple(RF_PRESETS))
        self.receptive_field_fn = receptive_field_fn
        self.message = ""
        slider = {"continuous_update": False}
        self.presets = w.Dropdown(
            options=list(RF_PRESETS), value=preset, description="stack", layout={"width": "440px"}
        )
        self.text = w.Text(
            description="layers",
            placeholder="k,s[,d]; k,s[,d]; ...  e.g. 3,1; 2,2; 3,1,2",
            layout={"width": "440px"},
            continuous_update=False,
        )
        self.row = w.IntSlider(value=0, min=0, max=3, description="unit row", **slider)
        self.col = w.IntSlider(value=0, min=0, max=3, description="unit col", **slider)
        self.image = w.Image(format="png")
        self.status = w.HTML()
        self.widget = w.VBox(
            [self.presets, self.text, w.HBox([self.row, self.col]), self.image, self.status]
        )
        self.presets.observe(lambda change: self._use_preset(change["new"]), "value")
        for control in (self.text, self.row, self.col):
            control.observe(lambda change: self.update(), "value")
        self._use_preset(preset)

    def _use_preset(self, name):
        self.text.value = "; ".join(",".join(map(str, layer)) for layer in RF_PRESETS[name])
        self.update()

    def layers(self):
        """The stack typed in the text box, as a list of tuples."""
        try:
            layers = [
                tuple(int(v) for v in part.split(","))
                for part in self.text.value.split(";")
                if part.strip()
            ]
        except ValueError:
            raise ValueError(f"could not read the layers {self.text.value!r}") from None
        return _layers(layers)

    def update(self):
        """Redraw for the current stack and unit."""
        notes = []
        try:
            layers = self.layers()
        except ValueError as exc:
            self.message = str(exc)
            self.status.value = f"<span style='color:#b00'>{self.message}</span>"
            return
        fig = receptive_field_figure(layers, (self.row.value, self.col.value))
        self.image.value = _png(fig)
        paths = receptive_field_map(layers, 0)
        r = len(paths)
        notes.append(f"receptive field {r}×{r}, {sum(k * k for k, _, _ in layers)} weights.")
        if self.receptive_field_fn is not None:
            name = getattr(self.receptive_field_fn, "__name__", "receptive_field_fn")
            try:
                got = list(self.receptive_field_fn(layers))[-1]
            except NotImplementedError:
                notes.append(f"Implement {name} to compare it with the picture.")
            except Exception as exc:  # shown here, not as a traceback
                notes.append(f"{name} raised {type(exc).__name__}: {exc}")
            else:
                if got != r:
                    notes.append(f"{name} gives {got!r} for this stack, the picture {r}.")
        self.message = " ".join(notes)
        self.status.value = f"<span>{self.message}</span>"

    def _ipython_display_(self):
        from IPython.display import display

        display(self.widget)
