"""Grade the instructor notebook in-process, with some solution cells replaced by wrong ones.

This is what a student with one typical mistake would get, check by check, without
nbgrader or the sandbox: the solution cells run (one of them swapped for a wrong
version), and every grade cell, visible and hidden, runs as the judge runs it -- its
fixtures sliced from the locked cells, the rest of the names the notebook's own. Demos
and plots are not run. Used by ``tests/test_misconceptions.py`` (one mistake costs its
points once; each wrong idea gets its message) and to print the table of wrong answers
(``python -m tests.grading_probe``).
"""

from __future__ import annotations

import ast
import contextlib
import io
import os
from dataclasses import dataclass

import jupytext

from autograder.course import SOLUTIONS
from autograder.fixtures import free_names, slice_statements, statements, test_needs
from autograder.static import parse_cell


@dataclass
class Check:
    grade_id: str
    points: float
    passed: bool
    message: str
    hidden: bool


def _cells(chapter):
    nb = jupytext.read(SOLUTIONS / f"{chapter}.py", fmt="py:percent")
    return [c for c in nb.cells if c.cell_type == "code"]


def grade(chapter: str, replace: dict | None = None, only=None) -> dict[str, Check]:
    """``{grade_id: Check}`` for the chapter, solution cells in ``replace`` swapped.

    ``replace`` maps a solution cell's grade id to the source to use instead; ``only``,
    if given, names the grade cells to run (the others are skipped, to save time).
    """
    replace = dict(replace or {})
    old_env = os.environ.get("NBGRADER_EXECUTION")
    os.environ["NBGRADER_EXECUTION"] = "autograde"
    namespace = {"__name__": "__main__"}
    locked: list[ast.stmt] = []
    results = {}
    try:
        for cell in _cells(chapter):
            meta = cell.metadata.get("nbgrader") or {}
            source = cell.source
            if meta.get("grade") and not meta.get("solution"):
                if only is not None and meta["grade_id"] not in only:
                    if "BEGIN HIDDEN TESTS" not in source:
                        locked.extend(statements([source]))
                    continue
                fixtures, _ = slice_statements(locked, test_needs(source))
                saved = {k: v for k, v in namespace.items() if callable(v)}
                hidden = "BEGIN HIDDEN TESTS" in source
                try:
                    with contextlib.redirect_stdout(io.StringIO()):
                        exec(compile(fixtures, "<fixtures>", "exec"), namespace)
                        exec(compile(source, "<check>", "exec"), namespace)
                    passed, message = True, ""
                except Exception as exc:  # a failed check, whatever its type
                    passed, message = False, f"{type(exc).__name__}: {exc}"
                finally:
                    namespace.update(saved)  # helpers swapped for one check only
                results[meta["grade_id"]] = Check(
                    meta["grade_id"], float(meta.get("points", 0)), passed, message, hidden
                )
                if not hidden:
                    locked.extend(statements([source]))
            elif meta.get("solution"):
                if meta.get("grade_id") in replace:
                    source = replace.pop(meta["grade_id"])
                tree = parse_cell(source)
                needed = free_names(tree) if tree is not None else set()
                fixtures, _ = slice_statements(locked, needed - set(namespace))
                with contextlib.redirect_stdout(io.StringIO()):
                    exec(compile(fixtures, "<fixtures>", "exec"), namespace)
                    try:
                        exec(compile(source, "<solution>", "exec"), namespace)
                    except Exception:
                        pass  # a broken answer cell: its checks fail on their own
            else:
                locked.extend(statements([source]))
    finally:
        if old_env is None:
            os.environ.pop("NBGRADER_EXECUTION", None)
        else:
            os.environ["NBGRADER_EXECUTION"] = old_env
    if replace:
        raise KeyError(f"no solution cells {sorted(replace)} in {chapter}")
    return results


def solution_source(chapter: str, grade_id: str) -> str:
    """The solution cell with that grade id, as the instructor wrote it."""
    for cell in _cells(chapter):
        if (cell.metadata.get("nbgrader") or {}).get("grade_id") == grade_id:
            return cell.source
    raise KeyError(grade_id)


def wrong(chapter: str, grade_id: str, old: str, new: str) -> dict:
    """``{grade_id: source}``: the solution cell with ``old`` replaced by ``new`` once."""
    source = solution_source(chapter, grade_id)
    if old not in source:
        raise ValueError(f"{old!r} is not in the solution cell {grade_id} of {chapter}")
    return {grade_id: source.replace(old, new, 1)}


def lost(results: dict[str, Check]) -> tuple[float, float]:
    """(points lost, points in all)."""
    total = sum(c.points for c in results.values())
    return sum(c.points for c in results.values() if not c.passed), total
