"""The trusted inputs of a visible test: sliced out of the chapter's locked cells.

A visible test such as ``call(corr2d, (X_example, K_example))`` runs in the judge, not
in the student's kernel, so ``X_example`` must come from somewhere the student cannot
change. It comes from the instructor's source: the top-level statements of the locked
(non-solution, non-test) cells before the test that bind the names the test needs --
and, in turn, the names those statements need. Imports, constants, small helper
functions: executed in the judge from the source text, never from the submission. A name
that no locked statement binds is the student's (a function to call in the sandbox).
"""

from __future__ import annotations

import ast
import builtins

from autograder.static import parse_cell

BUILTINS = set(dir(builtins))


def _bound(node) -> tuple[set, set]:
    """(names a statement binds outright, names it only changes, e.g. ``X[0] = 1``)."""
    binds, changes = set(), set()
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        binds.add(node.name)
        return binds, changes
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        for alias in node.names:
            binds.add((alias.asname or alias.name).split(".")[0])
        return binds, changes
    for sub in ast.walk(node):
        if isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Store):
            binds.add(sub.id)
        elif isinstance(sub, (ast.Subscript, ast.Attribute)) and isinstance(sub.ctx, ast.Store):
            base = sub.value
            while isinstance(base, (ast.Subscript, ast.Attribute)):
                base = base.value
            if isinstance(base, ast.Name):
                changes.add(base.id)
        elif isinstance(sub, ast.AugAssign) and isinstance(sub.target, ast.Name):
            changes.add(sub.target.id)
    return binds, changes


def free_names(node) -> set:
    """Names a statement (or module) reads that it does not bind itself, roughly."""
    loads, stores = set(), set()
    for sub in ast.walk(node):
        if isinstance(sub, ast.Name):
            (loads if isinstance(sub.ctx, ast.Load) else stores).add(sub.id)
        elif isinstance(sub, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            stores.add(sub.name)
        elif isinstance(sub, ast.arg):
            stores.add(sub.arg)
        elif isinstance(sub, (ast.Import, ast.ImportFrom)):
            for alias in sub.names:
                stores.add((alias.asname or alias.name).split(".")[0])
    return loads - stores - BUILTINS


def statements(sources: list[str]) -> list[ast.stmt]:
    """The top-level statements of cells, in order (cells that do not parse are skipped)."""
    out = []
    for source in sources:
        tree = parse_cell(source)
        if tree is not None:
            out.extend(tree.body)
    return out


def slice_statements(nodes: list[ast.stmt], needed: set) -> tuple[str, set]:
    """The statements among ``nodes`` that bind ``needed``, and what they need in turn.

    Walks back from the end: a statement that binds (or changes) a needed name is kept,
    and the names it reads become needed in turn. Returns the kept statements, in order,
    as one source text, and the names nothing in ``nodes`` binds.
    """
    needed = set(needed)
    chosen = []
    for node in reversed(nodes):
        binds, changes = _bound(node)
        if not (binds | changes) & needed:
            continue
        chosen.append(node)
        needed -= binds
        needed |= free_names(node) | changes
    chosen.reverse()
    return ast.unparse(ast.Module(body=chosen, type_ignores=[])), needed


def test_needs(test_source: str) -> set:
    """The names a test cell reads without binding them itself."""
    test = parse_cell(test_source)
    return free_names(test) if test is not None else set()


def slice_fixtures(locked_sources: list[str], test_source: str) -> tuple[str, set]:
    """The locked statements a test needs, as one source text, and the names still free.

    ``locked_sources`` are the locked code cells before the test, in order. The names
    still free are the student's: the judge asks the sandbox for them.
    """
    return slice_statements(statements(locked_sources), test_needs(test_source))
