"""The references, taken from the solution cells: each answer lives once.

``answers("01_convolution", ["conv1d", ...])`` reads ``solutions/01_convolution.py`` (the
jupytext source the student notebooks are built from), slices out the top-level
statements that define those names -- the solution cells' functions, and the imports,
constants and provided helpers they use -- and runs just those. Demos, plots and
training in the notebook are never run. So the grader compares students with exactly
the code the instructor notebook shows, and a fix to a solution is a fix to its
reference; ``tests/test_reference_*.py`` check these against loops, finite differences,
PyTorch and the worked examples.
"""

from __future__ import annotations

import functools
import types

import jupytext

from autograder.course import SOLUTIONS
from autograder.fixtures import slice_statements, statements


@functools.cache
def _sources(chapter: str) -> tuple[str, ...]:
    nb = jupytext.read(SOLUTIONS / f"{chapter}.py", fmt="py:percent")
    sources = []
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader") or {}
        if cell.cell_type == "code" and not meta.get("grade"):
            sources.append(cell.source)
    return tuple(sources)


def answers(chapter: str, names: list[str], module: str) -> dict:
    """``{name: object}`` for ``names`` as the solution notebook defines them."""
    source, free = slice_statements(statements(list(_sources(chapter))), set(names))
    missing = sorted(set(names) - _defined(source))
    if missing:
        raise LookupError(f"solutions/{chapter}.py does not define {missing}")
    namespace = {"__name__": module}
    exec(compile(source, f"<solutions/{chapter}.py>", "exec"), namespace)
    out = {}
    for name in names:
        obj = namespace[name]
        if isinstance(obj, types.FunctionType):
            obj.__module__ = module
        out[name] = obj
    return out


def _defined(source: str) -> set:
    import ast

    tree = ast.parse(source)
    names = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names |= {t.id for t in node.targets if isinstance(t, ast.Name)}
    return names
