"""Feedback pages that stand alone: formulas typeset offline, each check named.

nbgrader's feedback page loads MathJax from a CDN when opened, so a student offline
(or JupyterLab's HTML viewer, which runs no scripts) sees raw TeX. `FeedbackExporter`
typesets the TeX once, when the page is made, into SVG with MathJax 3 under node
(``typeset.js``; ``npm ci --prefix deploy`` installs ``mathjax-full``), and drops the
CDN script: the page needs no script and no network. Where node or MathJax is
missing, the page keeps its TeX as text, still without the CDN, and a warning says so.

The page's template, ``templates/cnn_feedback``, names each check in the score list.
``autograder/nbgrader_config.py`` selects both.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import warnings
from pathlib import Path

import nbgrader
from nbconvert.exporters import HTMLExporter
from traitlets import default

HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "templates"
TYPESET_JS = HERE / "typeset.js"
NODE_MODULES = HERE.parent.parent / "deploy" / "node_modules"
# nbgrader's feedback/ template, which the course's extends by that name, and the
# Bootstrap CSS it inlines (generate_feedback adds the latter itself).
_FORMGRADER = Path(nbgrader.__file__).parent / "server_extensions" / "formgrader"
NBGRADER_TEMPLATES = _FORMGRADER / "templates"
_BOOTSTRAP_CSS = _FORMGRADER / "static" / "node_modules" / "bootstrap" / "dist" / "css"

# The script block of nbconvert's mathjax() macro (base/mathjax.html.j2), CDN URL included.
_CDN_MATHJAX = re.compile(r"<!-- Load mathjax -->.*?<!-- End of mathjax configuration -->", re.S)


class MathUnavailable(RuntimeError):
    """node or the mathjax-full package cannot be found."""


def node_modules():
    """Where mathjax-full is installed: ``$AUTOGRADER_NODE_MODULES`` or deploy/node_modules."""
    return Path(os.environ.get("AUTOGRADER_NODE_MODULES", NODE_MODULES))


def typeset(html, timeout=120):
    """Return ``html`` with its TeX typeset as SVG and nbconvert's MathJax script removed.

    Raises
    ------
    MathUnavailable
        When node or mathjax-full is missing (the message says how to install them).
    """
    html = _CDN_MATHJAX.sub("", html)
    node = shutil.which("node")
    modules = node_modules()
    if node is None or not (modules / "mathjax-full").is_dir():
        raise MathUnavailable(
            f"typesetting formulas needs node and the npm package mathjax-full in {modules} "
            "(apt-get install nodejs npm; npm ci --prefix deploy)"
        )
    run = subprocess.run(
        [node, str(TYPESET_JS)],
        input=html,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=timeout,
        env=dict(os.environ, NODE_PATH=str(modules)),
        check=False,
    )
    if run.returncode != 0:
        raise RuntimeError(f"typesetting the formulas failed: {run.stderr[-2000:]}")
    out = run.stdout.lstrip()
    return out if out.lower().startswith("<!doctype") else "<!DOCTYPE html>\n" + out


class FeedbackExporter(HTMLExporter):
    """nbconvert's HTML exporter whose pages need no MathJax at view time."""

    @default("template_paths")
    def _template_paths(self, prune=True, root_dirs=None):
        paths = super()._template_paths(prune, root_dirs)
        return [*paths, str(NBGRADER_TEMPLATES), str(_BOOTSTRAP_CSS)]

    def from_notebook_node(self, nb, resources=None, **kw):
        html, resources = super().from_notebook_node(nb, resources, **kw)
        try:
            html = typeset(html)
        except MathUnavailable as exc:
            warnings.warn(f"feedback formulas left as TeX: {exc}", stacklevel=2)
            html = _CDN_MATHJAX.sub("", html)
        return html, resources
