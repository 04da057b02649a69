"""Chinese text in matplotlib figures renders with an installed CJK font and no warning."""

from __future__ import annotations

import os
import subprocess
import sys
import warnings

import matplotlib
import pytest

from cnnkit import fonts

matplotlib.use("Agg")

ON_CI = bool(os.environ.get("CI"))


def _need_font():
    if fonts.cjk_font() is None:
        if ON_CI:  # ./course.sh installs fonts-noto-cjk on Debian
            pytest.fail("no CJK font installed on CI (apt-get install fonts-noto-cjk)")
        pytest.skip("no CJK font installed")


def _draw(text):
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    ax.set_title(text)
    fig.canvas.draw()
    plt.close(fig)


def test_without_the_fallback_chinese_glyphs_are_missing():
    # the test can fail: DejaVu Sans alone has no Chinese
    with matplotlib.rc_context({"font.family": ["DejaVu Sans"]}):
        with pytest.warns(UserWarning, match="Glyph .* missing"):
            _draw("卷积 convolution")


def test_use_cjk_font_draws_chinese_without_warning():
    _need_font()
    with matplotlib.rc_context():
        name = fonts.use_cjk_font()
        assert name in fonts.CJK_FONTS
        assert matplotlib.rcParams["font.family"][-1] == name
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            _draw("卷积 convolution · 池化 pooling")


def test_matplotlibrc_from_setup(tmp_path):
    """What ./course.sh writes: a kernel with MATPLOTLIBRC set draws Chinese silently."""
    _need_font()
    rc_dir = tmp_path / "rc"
    subprocess.run([sys.executable, "-m", "cnnkit.fonts", str(rc_dir)], check=True)
    code = (
        "import matplotlib; matplotlib.use('Agg'); import matplotlib.pyplot as plt\n"
        "fig, ax = plt.subplots(); ax.set_title('卷积 convolution'); fig.canvas.draw()\n"
    )
    env = dict(os.environ, MATPLOTLIBRC=str(rc_dir))
    run = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=tmp_path, capture_output=True, text=True
    )
    assert run.returncode == 0 and run.stderr == "", run.stderr
