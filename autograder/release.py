"""The student release: what a student installs, and nothing else.

``python -m autograder release --out DIR`` writes

* ``DIR/notebooks/``: the student notebooks (nbgrader's release, built from solutions/);
* ``DIR/cnnkit/``: the helper package, with the visible checks (``cnnkit.checks``);
* ``DIR/pyproject.toml``, ``DIR/course.sh`` and ``DIR/README.md``: the student install.

No solution, reference or hidden test is in it, in any form: ``leaks`` compares the
normalised syntax trees of every function in the release with those of the references,
the hidden tests and the solution cells, and the build refuses a release with a match.
"""

from __future__ import annotations

import ast
import shutil
import textwrap
from pathlib import Path

import jupytext

from autograder.build import build
from autograder.course import REPO, SOLUTIONS, assignments
from autograder.judged_execute import without_hidden_tests
from autograder.static import parse_cell

# Installed for the instructor only: building notebooks and grading them.
INSTRUCTOR_ONLY = ("nbgrader", "jupytext", "pebble")


def student_pyproject() -> str:
    """The student's pyproject.toml: the course's own, less the instructor's tools."""
    import re

    import tomllib

    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    deps = [
        d for d in project["dependencies"] if re.split(r"[<>=!~ ]", d)[0] not in INSTRUCTOR_ONLY
    ]
    lines = "".join(f'    "{d}",\n' for d in deps)
    return (
        '[build-system]\nrequires = ["setuptools>=68"]\nbuild-backend = "setuptools.build_meta"\n\n'
        '[project]\nname = "cnn-course-student"\n'
        f'version = "{project["version"]}"\n'
        'description = "Student side of the CNN course: cnnkit and the notebooks"\n'
        f'requires-python = "{project["requires-python"]}"\n'
        f"dependencies = [\n{lines}]\n\n"
        '[tool.setuptools]\npackages = ["cnnkit"]\n'
    )


STUDENT_COURSE_SH = """\
#!/usr/bin/env bash
# The student side of the CNN course.
#   ./course.sh              set up (first time only) and open JupyterLab on work/
#   ./course.sh update       take a new release's notebooks into work/, your answers kept
#   ./course.sh check NN     run work/NN_*.ipynb's visible checks and list them
# Your work lives in work/ (copies of notebooks/); an update never overwrites it.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then "$PYTHON" -m venv .venv; fi
if [ ! -f .venv/.installed ]; then
  .venv/bin/python -m pip install -q -e . && touch .venv/.installed
fi
.venv/bin/python -m cnnkit.workspace notebooks work --quiet
case "${1:-run}" in
  update) exit 0 ;;
  check) shift; exec .venv/bin/python -m cnnkit.selfcheck "$@" ;;
  run) [ $# -gt 0 ] && shift; exec .venv/bin/jupyter lab --ServerApp.root_dir="$PWD/work" "$@" ;;
  *) exec .venv/bin/jupyter lab --ServerApp.root_dir="$PWD/work" "$@" ;;
esac
"""

STUDENT_README = """\
# Convolutional neural networks, from scratch: student release

Run `./course.sh`: it creates a virtual environment, installs `cnnkit` and opens
JupyterLab on `work/`, your copies of the chapter notebooks. Each exercise has visible
tests you can run; your instructor grades the hidden ones. `./course.sh check 01` runs a
chapter's visible checks and lists them with their points. When your instructor sends a
new release, unpack it over this folder and run `./course.sh update`: new chapters are
copied into `work/`, and a changed chapter reaches your copy with every answer and every
cell you added kept (your old copy is saved in `work/.course/backup/` first).
"""


def _bodies(tree: ast.AST) -> dict[str, str]:
    """Normalised function bodies (docstring dropped, no positions) by a readable name."""
    out = {}
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            body = list(node.body)
            if (
                body
                and isinstance(body[0], ast.Expr)
                and isinstance(body[0].value, ast.Constant)
                and isinstance(body[0].value.value, str)
            ):
                body = body[1:]
            if not body or sum(1 for _ in ast.walk(ast.Module(body=body, type_ignores=[]))) < 12:
                continue  # too small to be an answer (``return X``, a stub)
            dump = ast.dump(ast.Module(body=body, type_ignores=[]), include_attributes=False)
            out[dump] = node.name
    return out


def _hidden_part(source: str) -> str:
    """The lines of a test cell between ``### BEGIN HIDDEN TESTS`` and ``### END ...``."""
    kept, inside = [], False
    for line in source.splitlines():
        if "### BEGIN HIDDEN TESTS" in line:
            inside = True
        elif "### END HIDDEN TESTS" in line:
            inside = False
        elif inside:
            kept.append(line)
    return textwrap.dedent("\n".join(kept))


def secret_bodies(solutions_dir: Path = SOLUTIONS) -> dict[str, str]:
    """Every function body of the references, the hidden tests and the solution cells."""
    secrets = {}
    for folder in ("reference", "hidden"):
        for path in sorted((REPO / "autograder" / folder).glob("*.py")):
            tree = parse_cell(path.read_text(encoding="utf-8"))
            if tree is not None:
                secrets.update({k: f"{folder}/{path.name}:{v}" for k, v in _bodies(tree).items()})
    provided = set()  # code the notebooks give students on purpose (e.g. init_velocities)
    for path in sorted(Path(solutions_dir).glob("[0-9][0-9]_*.py")):
        nb = jupytext.read(path, fmt="py:percent")
        for cell in nb.cells:
            meta = cell.metadata.get("nbgrader", {})
            if cell.cell_type != "code":
                continue
            if meta.get("solution"):
                secret, shown = cell.source, ""
            else:
                # A test cell ships with its visible lines: only its hidden part is secret.
                secret, shown = _hidden_part(cell.source), without_hidden_tests(cell.source)
            for text, into in ((secret, "secret"), (shown, "provided")):
                tree = parse_cell(text) if text.strip() else None
                found = _bodies(tree) if tree is not None else {}
                if into == "secret":
                    secrets.update({k: f"{path.name}:{v}" for k, v in found.items()})
                else:
                    provided.update(found)
    return {k: v for k, v in secrets.items() if k not in provided}


def release_bodies(root: Path) -> dict[str, str]:
    """Every function body in a release folder: Python files and notebook code cells."""
    import nbformat

    found = {}
    for path in sorted(Path(root).rglob("*.py")):
        tree = parse_cell(path.read_text(encoding="utf-8"))
        if tree is not None:
            found.update({k: f"{path.relative_to(root)}:{v}" for k, v in _bodies(tree).items()})
    for path in sorted(Path(root).rglob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            if cell.cell_type == "code":
                tree = parse_cell(cell.source)
                if tree is not None:
                    rel = path.relative_to(root)
                    found.update({k: f"{rel}:{v}" for k, v in _bodies(tree).items()})
    return found


def leaks(root: Path, solutions_dir: Path = SOLUTIONS) -> list[str]:
    """``release place == secret place`` for every function body the two share."""
    secrets = secret_bodies(solutions_dir)
    return sorted(
        f"{where} == {secrets[k]}" for k, where in release_bodies(root).items() if k in secrets
    )


def make_release(out: Path, course_dir: Path) -> Path:
    """Build the student release into ``out`` (replaced if it exists)."""
    out = Path(out).resolve()
    if out.exists():
        shutil.rmtree(out)
    (out / "notebooks").mkdir(parents=True)
    build(course_dir, assignments(), out_dir=out / "notebooks")
    shutil.copytree(
        REPO / "cnnkit", out / "cnnkit", ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
    )
    (out / "pyproject.toml").write_text(student_pyproject())
    (out / "course.sh").write_text(STUDENT_COURSE_SH)
    (out / "course.sh").chmod(0o755)
    (out / "README.md").write_text(STUDENT_README)
    found = leaks(out)
    if found:
        shutil.rmtree(out)
        raise RuntimeError("the release would contain answers:\n" + "\n".join(found))
    return out
