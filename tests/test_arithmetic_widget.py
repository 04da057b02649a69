"""cnnkit.arithmetic_widget: geometry by brute force, the figure's content, the explorer."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.patches import Rectangle  # noqa: E402

from cnnkit import arithmetic_widget as aw  # noqa: E402


def brute_force(n, k, p, s, d):
    """All kernel positions and, per padded cell, how many positions use it."""
    size = n + 2 * p
    span = d * (k - 1) + 1
    starts = [t for t in range(size) if t % s == 0 and t + span <= size]
    counts = np.zeros((size, size), dtype=int)
    for top in starts:
        for left in starts:
            for i in range(k):
                for j in range(k):
                    counts[top + d * i, left + d * j] += 1
    return starts, counts


SETTINGS = [
    (n, k, p, s, d)
    for n in (1, 4, 5, 6, 7)
    for k in (1, 2, 3, 4)
    for p in (0, 1, 2)
    for s in (1, 2, 3)
    for d in (1, 2)
]


@pytest.mark.parametrize("n,k,p,s,d", SETTINGS)
def test_geometry_matches_brute_force(n, k, p, s, d):
    span = d * (k - 1) + 1
    if span > n + 2 * p:
        with pytest.raises(ValueError, match="does not fit"):
            aw.conv_geometry(n, k, p, s, d)
        return
    g = aw.conv_geometry(n, k, p, s, d)
    starts, counts = brute_force(n, k, p, s, d)
    assert list(g.starts) == starts
    assert g.m == len(starts) == (n + 2 * p - span) // s + 1
    np.testing.assert_array_equal(g.counts, counts)
    assert g.span == span and g.size == n + 2 * p
    # every input cell is either used or flagged as unused
    inside = ~g.is_padding
    assert inside.sum() == n * n
    np.testing.assert_array_equal(g.unused_inputs, inside & (counts == 0))


def test_presets_are_the_classic_cases():
    expected_m = {
        "no padding, no strides": 2,
        "arbitrary padding, no strides": 6,
        "half (same) padding": 5,
        "full padding": 7,
        "no padding, strides": 2,
        "padding, strides": 3,
        "padding, strides (odd)": 3,
        "strides, last row/column skipped": 2,
        "7x7, k=3, p=1, s=2 (course example)": 4,
        "dilation 2": 3,
    }
    assert set(expected_m) == set(aw.PRESETS)
    for name, m in expected_m.items():
        assert aw.conv_geometry(*aw.PRESETS[name]).m == m, name
    # half padding keeps the size; full padding uses every input cell k*k times
    n, k, p, s, d = aw.PRESETS["full padding"]
    g = aw.conv_geometry(n, k, p, s, d)
    assert np.all(g.counts[~g.is_padding] == k * k)
    # the "skipped" preset really skips the last input row and column
    g = aw.conv_geometry(*aw.PRESETS["strides, last row/column skipped"])
    assert g.unused_inputs[-1].all() and g.unused_inputs[:, -1].all()
    assert g.unused_inputs.sum() == 11


def test_taps_follow_stride_and_dilation():
    g = aw.conv_geometry(7, 3, 1, 2, 1)
    assert g.taps(0)[0] == (0, 0)
    assert g.taps(15)[-1] == (8, 8)  # last position reaches the padded corner
    g = aw.conv_geometry(7, 3, 0, 1, 2)
    assert g.taps(4) == [(r, c) for r in (1, 3, 5) for c in (1, 3, 5)]
    with pytest.raises(ValueError):
        g.taps(9)
    with pytest.raises(ValueError):
        g.taps(-1)


@pytest.mark.parametrize(
    "args",
    [(0, 1), (3, 0), (3, 1, -1), (3, 1, 0, 0), (3, 1, 0, 1, 0), (3.0, 1), (3, 5), (3, 2, 0, 1, 3)],
)
def test_geometry_rejects_bad_settings(args):
    with pytest.raises(ValueError):
        aw.conv_geometry(*args)


def _rectangles(ax):
    return [p for p in ax.patches if isinstance(p, Rectangle)]


@pytest.mark.parametrize("n,k,p,s,d", [(6, 3, 1, 2, 1), (6, 3, 0, 2, 1), (7, 3, 0, 1, 2)])
def test_figure_draws_the_grids(n, k, p, s, d):
    before = plt.get_fignums()
    g = aw.conv_geometry(n, k, p, s, d)
    fig = aw.conv_arithmetic_figure(n, k, p, s, d)
    assert isinstance(fig, Figure)
    assert plt.get_fignums() == before  # pyplot is left alone
    ax_in, ax_out = fig.axes
    cells = _rectangles(ax_in)
    assert len(cells) == g.size**2
    hatched = [c for c in cells if c.get_hatch()]
    assert len(hatched) == int((g.counts == 0).sum())
    unused_red = [
        c for c in hatched if c.get_facecolor()[:3] == matplotlib.colors.to_rgb(aw.UNUSED_COLOR)
    ]
    assert len(unused_red) == int(g.unused_inputs.sum())
    # one number per padded cell: how many kernel positions use it
    assert sorted(int(t.get_text()) for t in ax_in.texts) == sorted(g.counts.ravel().tolist())
    assert len(_rectangles(ax_out)) == g.m**2
    assert f"= {g.m}" in fig._suptitle.get_text()
    assert fig._repr_png_()[:8] == b"\x89PNG\r\n\x1a\n"  # Jupyter shows it without pyplot


def test_figure_highlights_one_position():
    g = aw.conv_geometry(7, 3, 1, 2, 1)
    fig = aw.conv_arithmetic_figure(7, 3, p=1, s=2, position=5)
    ax_in, ax_out = fig.axes
    tap_rgb = matplotlib.colors.to_rgb(aw.TAP_COLOR)
    taps = [
        (int(r.get_y() + 0.5), int(r.get_x() + 0.5))
        for r in _rectangles(ax_in)
        if r.get_fill() and r.get_facecolor()[:3] == tap_rgb
    ]
    assert sorted(taps) == sorted(g.taps(5))
    outline = [r for r in _rectangles(ax_in) if not r.get_fill()]
    assert len(outline) == 1 and outline[0].get_width() == g.span
    dark = matplotlib.colors.to_rgb(aw.OUTPUT_HIGHLIGHT)
    lit = [r for r in _rectangles(ax_out) if r.get_facecolor()[:3] == dark]
    assert len(lit) == 1 and (lit[0].get_y() + 0.5, lit[0].get_x() + 0.5) == divmod(5, g.m)
    with pytest.raises(ValueError):
        aw.conv_arithmetic_figure(7, 3, p=1, s=2, position=16)


def test_gallery():
    fig = aw.conv_arithmetic_gallery(
        ["no padding, no strides", "full padding", "dilation 2"], ncols=2
    )
    assert isinstance(fig, Figure)
    assert len(fig.subfigs) == 4  # a 2x2 grid, one left empty
    assert len(fig.axes) == 6
    assert fig._repr_png_()[:4] == b"\x89PNG"
    with pytest.raises(ValueError):
        aw.conv_arithmetic_gallery(["no such case"])
    with pytest.raises(ValueError):
        aw.conv_arithmetic_gallery([])


# ------------------------------------------------------------------------ explorer

widgets = pytest.importorskip("ipywidgets")


def right_size(n, k, pad=0, stride=1, dilation=1):
    span = dilation * (k - 1) + 1
    if span > n + 2 * pad:
        raise ValueError("does not fit")
    return (n + 2 * pad - span) // stride + 1


def test_explorer_draws_and_follows_presets():
    e = aw.conv_arithmetic_explorer(output_size_fn=right_size, preset="padding, strides (odd)")
    assert isinstance(e.widget, widgets.VBox)
    assert e.image.value[:8] == b"\x89PNG\r\n\x1a\n"
    assert (e.n.value, e.k.value, e.p.value, e.s.value, e.d.value) == (6, 3, 1, 2, 1)
    assert e.geometry.m == 3 and e.position.max == 8 and e.play.max == 8
    assert e.message == ""
    e.presets.value = "strides, last row/column skipped"
    assert (e.n.value, e.p.value) == (6, 0)
    assert "11 input cell(s)" in e.message and "#b00" not in e.status.value
    first = e.image.value
    e.all_positions.value = False
    e.position.value = 3
    assert e.image.value != first
    assert not e.position.disabled


def test_explorer_reports_a_kernel_that_does_not_fit():
    e = aw.ConvArithmeticExplorer(output_size_fn=right_size)
    before = e.image.value
    e.k.value = 7  # n = 4, p = 0
    assert e.geometry is None
    assert "does not fit" in e.message
    assert e.image.value == before  # the last good picture stays


def test_explorer_compares_the_students_function():
    def off_by_one(n, k, pad=0, stride=1, dilation=1):
        return (n + 2 * pad - k) // stride

    e = aw.ConvArithmeticExplorer(output_size_fn=off_by_one, preset="padding, strides")
    assert "returned 2, but the kernel fits 3 times" in e.message
    assert "#b00" in e.status.value

    def never_raises(n, k, pad=0, stride=1, dilation=1):
        return 1

    e = aw.ConvArithmeticExplorer(output_size_fn=never_raises)
    e.set(3, 5)
    assert "should raise ValueError" in e.message

    def stub(*args):
        raise NotImplementedError()

    e = aw.ConvArithmeticExplorer(output_size_fn=stub)
    assert "Implement stub" in e.message
    assert e.image.value[:4] == b"\x89PNG"  # the picture does not need the student

    def broken(*args):
        return 1 / 0

    e = aw.ConvArithmeticExplorer(output_size_fn=broken)
    assert "ZeroDivisionError" in e.message


def test_explorer_rejects_bad_arguments():
    with pytest.raises(ValueError):
        aw.ConvArithmeticExplorer(preset="nope")
    with pytest.raises(ValueError):
        aw.ConvArithmeticExplorer(output_size_fn=3)


def test_explorer_picture_is_sharp_and_beside_the_sliders():
    import io

    from matplotlib.image import imread

    from cnnkit import arithmetic_widget as aw

    e = aw.conv_arithmetic_explorer()
    width_px = imread(io.BytesIO(e.image.value)).shape[1]
    assert width_px >= 2 * aw.IMAGE_WIDTH_PX - 2  # twice the pixels it is shown at
    assert e.image.layout.width == f"{aw.IMAGE_WIDTH_PX}px"
    row = e.widget.children[0]
    assert e.image in row.children and e.n in row.children[0].children
