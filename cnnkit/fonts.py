"""Chinese text in matplotlib figures: add an installed CJK font as a fallback.

Matplotlib's default font (DejaVu Sans) has no Chinese glyphs: a title such as
"卷积 convolution" draws empty boxes and warns ("Glyph ... missing"), and nbgrader counts
a warning on stderr as an error. Matplotlib falls back from one font to the next only
for fonts named in ``font.family`` that are installed (a missing one logs
"findfont: Font family ... not found" at every draw), so the fallback is chosen from the
fonts this machine has: Noto Sans CJK on Debian (``apt-get install fonts-noto-cjk``,
done by ``./course.sh``), PingFang or Heiti on macOS, Microsoft YaHei or SimHei on
Windows.

``./course.sh`` writes the choice into a ``matplotlibrc`` (``python -m cnnkit.fonts DIR``)
and points ``MATPLOTLIBRC`` at it, so every notebook gets it without an import; elsewhere
call ``use_cjk_font()`` once.
"""

from __future__ import annotations

import sys
from pathlib import Path

__all__ = ["CJK_FONTS", "cjk_font", "use_cjk_font", "write_matplotlibrc"]

# Simplified Chinese first; any of them has the course's terms.
CJK_FONTS = (
    "Noto Sans CJK SC",
    "Noto Sans CJK JP",
    "Source Han Sans SC",
    "PingFang SC",
    "Hiragino Sans GB",
    "Heiti SC",
    "Microsoft YaHei",
    "SimHei",
    "WenQuanYi Zen Hei",
    "Droid Sans Fallback",
    "Arial Unicode MS",
)


def _first(ttflist):
    installed = {f.name for f in ttflist}
    return next((name for name in CJK_FONTS if name in installed), None)


def cjk_font():
    """Name of the first installed font of `CJK_FONTS`, or None.

    Matplotlib keeps a cache of the fonts it has seen, so a font installed after its
    first use is unknown to it: on a miss, fonts new to the cache are added and the
    cache is saved, so that every later process (a notebook kernel) knows them too.
    """
    import matplotlib
    from matplotlib import font_manager

    manager = font_manager.fontManager
    name = _first(manager.ttflist)
    if name is not None:
        return name
    known = {f.fname for f in manager.ttflist}
    new = [p for p in font_manager.findSystemFonts() if p not in known]
    for path in new:
        try:
            manager.addfont(path)
        except (OSError, RuntimeError, ValueError):  # a font FreeType cannot read
            continue
    if new:
        cache = Path(matplotlib.get_cachedir(), f"fontlist-v{manager.__version__}.json")
        font_manager.json_dump(manager, cache)
    return _first(manager.ttflist)


def use_cjk_font():
    """Add an installed CJK font after the default sans-serif font; return its name or None."""
    import matplotlib

    name = cjk_font()
    families = list(matplotlib.rcParams["font.family"])
    if name is not None and name not in families:
        matplotlib.rcParams["font.family"] = [*families, name]
    return name


def write_matplotlibrc(directory):
    """Write ``DIR/matplotlibrc`` with the CJK fallback (empty when none is installed).

    Returns the font's name or None. Point ``MATPLOTLIBRC`` at ``DIR`` to use it.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    name = cjk_font()
    line = f"font.family: sans-serif, {name}\n" if name else ""
    (directory / "matplotlibrc").write_text(
        "# Written by python -m cnnkit.fonts: a CJK fallback font for Chinese text.\n" + line,
        encoding="utf-8",
    )
    return name


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python -m cnnkit.fonts DIR  (writes DIR/matplotlibrc)")
    found = write_matplotlibrc(sys.argv[1])
    print(f"matplotlib CJK font: {found or 'none installed (Chinese text shows as boxes)'}")
