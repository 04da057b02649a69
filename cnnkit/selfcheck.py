"""Check a notebook with its visible tests, from the command line (the student release).

``./course.sh check 01`` in a student release runs ``work/01_*.ipynb`` top to bottom in
a fresh kernel and lists each visible check with its points and, when it failed, its
message. The hidden checks are not in the release: only the grader has them (with the
repository, ``./course.sh check`` runs those too, through the judge). The notebook on
disk is read, never written: save it in JupyterLab first.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from pathlib import Path

import nbformat


def _visible_code(source: str) -> bool:
    return any(line.strip() and not line.lstrip().startswith("#") for line in source.splitlines())


def results(nb) -> list[tuple[str, float, float, str]]:
    """``(grade id, points, max points, message)`` of each visible check of an executed notebook.

    A check with no visible code (its tests are all hidden) is listed with ``None`` points:
    running its empty cell proves nothing.
    """
    out = []
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type != "code" or not meta.get("grade") or meta.get("solution"):
            continue
        points = float(meta.get("points", 0))
        if not _visible_code(cell.source):
            out.append((meta["grade_id"], None, points, "hidden: run when your work is graded"))
            continue
        errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
        message = f"{errors[0].ename}: {errors[0].evalue}" if errors else ""
        out.append((meta["grade_id"], 0.0 if errors else points, points, message))
    return out


def run(path: Path, timeout: int = 600) -> list[tuple[str, float, float, str]]:
    """Execute a copy of the notebook in a new kernel, going on past errors."""
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        timeout=timeout,
        allow_errors=True,
        kernel_name="python3",
        resources={"metadata": {"path": str(Path(path).parent)}},
    )
    # As nbgrader's Validate does: a failed visible check must fail its cell (in a plain
    # interactive kernel cnnkit.checks lets Run All go past it), and long demos run short.
    saved = os.environ.get("NBGRADER_EXECUTION")
    os.environ["NBGRADER_EXECUTION"] = "validate"
    try:
        client.execute()
    finally:
        if saved is None:
            del os.environ["NBGRADER_EXECUTION"]
        else:
            os.environ["NBGRADER_EXECUTION"] = saved
    return results(nb)


def find_notebook(what: str, work: Path) -> Path:
    """``01`` or ``01_convolution`` or a path -> the student's notebook in ``work``."""
    path = Path(what)
    if path.suffix == ".ipynb" and path.exists():
        return path
    number = re.match(r"\d+", what)
    prefix = number.group(0).zfill(2) if number else what
    found = sorted(Path(work).glob(f"{prefix}*.ipynb"))
    if len(found) != 1:
        raise FileNotFoundError(
            f"no single notebook {prefix}*.ipynb in {work} (found {len(found)}); "
            "run ./course.sh once to copy the chapters into work/"
        )
    return found[0]


def check_my_work(chapter: str, work: Path | str = ".") -> int:
    """From a notebook cell: check this chapter as grading would, or as far as you can.

    Save the notebook first (Ctrl-S): the file on disk is what is checked. With the whole
    course repository (self-study) every check runs, hidden ones included, through the
    grading sandbox and judge (``./course.sh check``); in a student release, the visible
    checks run. Nothing happens while the notebook is itself being graded or checked.
    """
    if os.environ.get("NBGRADER_EXECUTION"):
        print("(skipped while grading)")
        return 0
    import subprocess

    work = Path(work).resolve()
    root = work.parent
    if (root / "autograder" / "check.py").is_file():
        cmd = [sys.executable, "-m", "autograder", "check", str(chapter), "--work", str(work)]
    else:
        cmd = [sys.executable, "-m", "cnnkit.selfcheck", str(chapter), "--work", str(work)]
    env = dict(os.environ, PYTHONPATH=str(root))
    done = subprocess.run(cmd, cwd=root, env=env, capture_output=True, text=True)
    print(done.stdout + (done.stderr if done.returncode > 1 else ""))
    return done.returncode


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="run a notebook's visible checks")
    parser.add_argument("notebook", help="01, 01_convolution or a path")
    parser.add_argument("--work", default="work")
    args = parser.parse_args(argv)
    try:
        path = find_notebook(args.notebook, args.work)
    except FileNotFoundError as exc:
        print(exc)
        return 2
    checks = run(path)
    visible = [c for c in checks if c[1] is not None]
    score, total = sum(c[1] for c in visible), sum(c[2] for c in visible)
    hidden = sum(c[2] for c in checks if c[1] is None)
    print(f"{path.stem}: {score:g} / {total:g} points on the visible checks")
    for grade_id, points, max_points, message in visible:
        print(
            f"  {'ok  ' if points == max_points else 'FAIL'} {grade_id} {points:g}/{max_points:g}"
        )
        if message:
            print(f"         {message.splitlines()[0][:300]}")
    print(f"  {hidden:g} more points are in hidden checks, run when your work is graded")
    return 0 if score == total else 1


if __name__ == "__main__":
    sys.exit(main())
