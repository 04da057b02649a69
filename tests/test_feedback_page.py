"""Feedback pages: formulas typeset offline (no MathJax CDN) and every check named.

The page is made by the exporter and template that autograder/nbgrader_config.py gives
nbgrader's generate_feedback, from a chapter notebook with scores filled in as
nbgrader's GetGrades does.
"""

from __future__ import annotations

import os
import shutil

import nbformat
import pytest
from traitlets.config import Config

from autograder import feedback
from autograder.course import NOTEBOOKS

ON_CI = bool(os.environ.get("CI"))


def _need_node():
    if shutil.which("node") is None or not (feedback.node_modules() / "mathjax-full").is_dir():
        if ON_CI:  # ./course.sh test installs both
            pytest.fail("node or deploy/node_modules/mathjax-full missing on CI")
        pytest.skip("node or mathjax-full not installed (npm ci --prefix deploy)")


def _page(monkeypatch=None):
    import nbgrader

    nb = nbformat.read(NOTEBOOKS / "01_convolution.ipynb", as_version=4)
    total = 0.0
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade"):
            meta["score"] = meta["points"] if "worked_example" in meta["grade_id"] else 0.0
            total += meta["score"]
    c = Config()
    c.HTMLExporter.template_name = "cnn_feedback"
    c.HTMLExporter.extra_template_basedirs = [
        str(feedback.TEMPLATES),
        os.path.join(os.path.dirname(nbgrader.__file__), "server_extensions/formgrader/templates"),
    ]
    resources = {
        "nbgrader": {"notebook": "01_convolution", "score": total, "max_score": 30.0},
    }
    resources["nbgrader"]["late_penalty"] = 0
    return feedback.FeedbackExporter(config=c).from_notebook_node(nb, resources=resources)[0]


def test_each_check_is_named_with_what_it_checks():
    with pytest.warns(UserWarning) if shutil.which("node") is None else _nothing():
        html = _page()
    assert "conv1d_worked_example</code></a>: Visible tests: the worked example" in html
    assert 'class="check passed"' in html and 'class="check failed"' in html
    assert ">Test cell</a>" not in html  # nbgrader's anonymous label is gone


def test_formulas_are_typeset_offline():
    _need_node()
    html = _page()
    assert "cdnjs" not in html and "MathJax.Hub" not in html  # no CDN, no MathJax script
    assert "<script src" not in html
    assert html.count("<mjx-container") > 20  # chapter 1's formulas, as SVG
    assert "$$" not in html.split("<body", 1)[1].split('<div class="highlight')[0]


def test_without_node_tex_stays_readable_and_offline(monkeypatch):
    monkeypatch.setenv("AUTOGRADER_NODE_MODULES", "/nonexistent")
    with pytest.warns(UserWarning, match="left as TeX"):
        html = _page()
    assert "cdnjs" not in html and "<mjx-container" not in html
    assert "\\sum" in html


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False
