"""Build step: ``solutions/NN_name.py`` (jupytext percent) → nbgrader source → student notebook.

The instructor writes each chapter once, as a percent script whose cell headers carry
short nbgrader metadata, e.g.::

    # %% nbgrader={"solution": true, "grade_id": "corr2d"}
    # %% nbgrader={"grade": true, "grade_id": "corr2d_worked_example", "points": 2}

``build_source`` fills in the rest of nbgrader's schema, gives every cell a stable id
and writes ``course/source/<chapter>/<chapter>.ipynb``; ``nbgrader generate_assignment``
then strips solutions and hidden tests, and the release copy becomes
``notebooks/<chapter>.ipynb``. The same input always gives byte-identical output, so a
test can regenerate and compare.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import jupytext
import nbformat

from autograder.course import NOTEBOOKS, SOLUTIONS, assignments, run_nbgrader

SCHEMA_VERSION = 3
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
GRADE_ID = re.compile(r"^[a-z0-9][a-z0-9_]*$")


class BuildError(ValueError):
    """A solution source that nbgrader would mishandle (caught before nbgrader runs)."""


def _nbgrader_metadata(meta: dict, cell_type: str, where: str) -> dict:
    """Complete the short metadata written in a source cell header."""
    grade_id = meta.get("grade_id")
    if not grade_id or not GRADE_ID.match(grade_id):
        raise BuildError(f"{where}: grade_id must be lower_snake_case, got {grade_id!r}")
    solution = bool(meta.get("solution", False))
    grade = bool(meta.get("grade", False))
    if grade and "points" not in meta:
        raise BuildError(f"{where}: grade cell {grade_id!r} needs points")
    unknown = set(meta) - {"solution", "grade", "grade_id", "points", "locked", "task"}
    if unknown:
        raise BuildError(f"{where}: unknown nbgrader keys {sorted(unknown)}")
    full = {
        "cell_type": cell_type,
        "grade": grade,
        "grade_id": grade_id,
        "locked": bool(meta.get("locked", not solution)),
        "schema_version": SCHEMA_VERSION,
        "solution": solution,
        "task": bool(meta.get("task", False)),
    }
    if grade:
        full["points"] = meta["points"]
    return full


def read_source(path: Path) -> nbformat.NotebookNode:
    """Read one percent-script chapter into a complete nbgrader source notebook."""
    nb = jupytext.read(path, fmt="py:percent")
    seen: dict[str, int] = {}
    cells = []
    for index, cell in enumerate(nb.cells):
        where = f"{path.name}, cell {index}"
        meta = cell.metadata.get("nbgrader")
        new_meta = {}
        if meta is not None:
            new_meta["nbgrader"] = _nbgrader_metadata(meta, cell.cell_type, where)
            grade_id = new_meta["nbgrader"]["grade_id"]
            if grade_id in seen:
                raise BuildError(
                    f"{where}: grade_id {grade_id!r} already used in cell {seen[grade_id]}"
                )
            seen[grade_id] = index
            cell_id = grade_id.replace("_", "-")
        else:
            cell_id = f"cell-{index:03d}"
        if cell.metadata.get("tags"):
            new_meta["tags"] = list(cell.metadata["tags"])
        source = cell.source
        if cell.cell_type == "code":
            new = nbformat.v4.new_code_cell(source, metadata=new_meta)
        elif cell.cell_type == "markdown":
            new = nbformat.v4.new_markdown_cell(source, metadata=new_meta)
        else:
            new = nbformat.v4.new_raw_cell(source, metadata=new_meta)
        new["id"] = cell_id
        cells.append(new)
    out = nbformat.v4.new_notebook(cells=cells)
    out.metadata = {
        "kernelspec": KERNELSPEC,
        "language_info": {"name": "python"},
    }
    nbformat.validate(out)
    return out


def write_notebook(nb: nbformat.NotebookNode, path: Path) -> None:
    """Write a notebook in nbformat's canonical JSON (stable key order, one trailing newline)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = nbformat.writes(nb)
    path.write_text(text if text.endswith("\n") else text + "\n", encoding="utf-8")


def build_source(course_dir: Path, chapters: list[str], solutions_dir: Path = SOLUTIONS) -> None:
    """Write ``course_dir/source/<chapter>/<chapter>.ipynb`` for each chapter."""
    for name in chapters:
        nb = read_source(solutions_dir / f"{name}.py")
        target = course_dir / "source" / name
        if target.exists():
            shutil.rmtree(target)
        write_notebook(nb, target / f"{name}.ipynb")


def student_notebook(release_path: Path) -> nbformat.NotebookNode:
    """The released notebook, cleaned of anything that would differ between two builds."""
    nb = nbformat.read(release_path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    return nb


def build(
    course_dir: Path,
    chapters: list[str] | None = None,
    out_dir: Path = NOTEBOOKS,
    solutions_dir: Path = SOLUTIONS,
) -> list[Path]:
    """Generate the student notebooks for ``chapters`` (default: all) into ``out_dir``."""
    chapters = chapters or assignments(solutions_dir)
    course_dir = Path(course_dir).resolve()
    course_dir.mkdir(parents=True, exist_ok=True)
    build_source(course_dir, chapters, solutions_dir)
    written = []
    for name in chapters:
        result = run_nbgrader(["generate_assignment", name, "--force"], course_dir)
        release = course_dir / "release" / name / f"{name}.ipynb"
        if result.returncode != 0 or not release.exists():
            raise BuildError(
                f"nbgrader generate_assignment failed for {name}:\n{result.stdout}\n{result.stderr}"
            )
        target = Path(out_dir) / f"{name}.ipynb"
        write_notebook(student_notebook(release), target)
        written.append(target)
    return written
