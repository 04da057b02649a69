"""Own-work checks read submitted code statically and never run it."""

from __future__ import annotations

import pytest

from autograder.checks import expect_own_work, names_used
from autograder.fixtures import slice_fixtures
from autograder.static import NotebookCode
from cnnkit.checks import CheckFailed


class Proxy:
    """What the judge hands the hidden tests: a name, and the static function behind it."""

    def __init__(self, code, name):
        self.__name__ = name
        self.__module__ = "__main__"
        self.static = code.functions.get(name)


def own(sources, name, forbidden=()):
    expect_own_work(Proxy(NotebookCode(sources), name), forbidden)


def test_own_code_passes():
    own(["import numpy as np", "def f(x):\n    return np.sum(x)\n"], "f", ("convolve",))


@pytest.mark.parametrize(
    "sources",
    [
        ["import numpy as np", "def f(x, w):\n    return np.convolve(x, w)\n"],
        ["from numpy import convolve", "def f(x, w):\n    return convolve(x, w)\n"],
        ["from numpy import convolve as c", "def f(x, w):\n    return c(x, w)\n"],
        ["import numpy as np\nfast = np.convolve", "def f(x, w):\n    return fast(x, w)\n"],
        ["import numpy as np\nc = getattr(np, 'convolve')", "def f(x, w):\n    return c(x, w)\n"],
        [
            "import numpy",
            "def g(x, w):\n    return numpy.convolve(x, w)\n",
            "def f(x, w):\n    return g(x, w)\n",
        ],
        ["import scipy.signal as s", "def f(x, w):\n    return s.whatever(x, w)\n"],
        ["import cnnkit.conv as C", "def f(X, W, b):\n    return C.conv2d_forward(X, W, b)\n"],
        [
            "from autograder.reference import ch01_convolution as r",
            "def f(x):\n    return r.conv1d(x)\n",
        ],
    ],
)
def test_shortcuts_are_caught_under_any_alias(sources):
    with pytest.raises(CheckFailed):
        own(sources, "f", ("convolve", "conv2d_forward"))


def test_a_function_that_is_not_a_def_is_rejected():
    with pytest.raises(CheckFailed, match="defined in this notebook"):
        own(["import numpy as np\nf = np.convolve"], "f")


def test_static_reading_never_runs_the_code(tmp_path):
    marker = tmp_path / "ran"
    code = NotebookCode(
        [f"open({str(marker)!r}, 'w')\ndef f(x):\n    open({str(marker)!r}, 'w')\n"]
    )
    names_used(Proxy(code, "f"))
    expect_own_work(Proxy(code, "f"))
    assert not marker.exists()


def test_own_helper_with_a_forbidden_name_is_fine():
    sources = ["def im2col(X):\n    return X\n", "def f(X):\n    return im2col(X)\n"]
    own(sources, "f", ("im2col",))


def test_magics_do_not_hide_the_code():
    code = NotebookCode(
        ["%matplotlib inline\nimport numpy as np\ndef f(x):\n    return np.convolve(x, x)"]
    )
    assert code.functions["f"] is not None
    with pytest.raises(CheckFailed):
        expect_own_work(Proxy(code, "f"), ("convolve",))


def test_fixtures_come_from_the_locked_cells_with_what_they_need():
    locked = ["import numpy as np\nX = np.ones(3)\nplt_unrelated = 1", "Y = X * 2\nX[0] = 5"]
    source, free = slice_fixtures(locked, "call(f, (Y, X))")
    assert "X = np.ones(3)" in source and "Y = X * 2" in source and "X[0] = 5" in source
    assert "plt_unrelated" not in source
    assert free == {"call", "f"}
