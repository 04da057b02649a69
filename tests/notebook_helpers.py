"""Make code look like a student's notebook code, for testing the hidden tests.

The hidden tests accept only functions defined in the notebook (module ``__main__``)
and reject library shortcuts, so their own tests need functions that pass as
notebook code: right ones, and each known wrong one.
"""

from __future__ import annotations

import re
import textwrap
import types
from pathlib import Path

import jupytext
import numpy as np
import pytest

from autograder.checks import CheckFailed

SOLUTIONS = Path(__file__).resolve().parent.parent / "solutions"


def run_as_notebook(source: str, base: dict | None = None, **names) -> dict:
    """Execute ``source`` as a notebook cell would (module ``__main__``); return the namespace."""
    ns = {"__name__": "__main__", "np": np, **(base or {}), **names}
    exec(compile(textwrap.dedent(source), "<notebook>", "exec"), ns)
    return ns


def module_as_notebook(module: types.ModuleType) -> dict:
    """A module's source run as notebook code: its functions become the student's own.

    A reference module takes its answers from the solution notebook, so the names those
    answers use (imports, provided helpers) join the namespace, as in the notebook.
    """
    ns = run_as_notebook(Path(module.__file__).read_text())
    for value in list(ns.values()):
        if isinstance(value, types.FunctionType) and value.__globals__ is not ns:
            for name, obj in value.__globals__.items():
                ns.setdefault(name, obj)
    return ns


def solution_namespace(chapter: str) -> dict:
    """The solution cells of ``solutions/<chapter>.py`` run as the notebook runs them."""
    nb = jupytext.read(SOLUTIONS / f"{chapter}.py", fmt="py:percent")
    ns = {"__name__": "__main__", "np": np}
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader") or {}
        if cell.cell_type == "code" and meta.get("solution"):
            source = re.sub(r"^\s*### (BEGIN|END) SOLUTION\s*$", "", cell.source, flags=re.M)
            exec(compile(source, f"<{meta['grade_id']}>", "exec"), ns)
    return ns


def in_notebook(func, ns: dict | None = None, **names):
    """A copy of ``func`` defined in a notebook namespace (``ns`` plus ``names``)."""
    g = {"__name__": "__main__", "np": np, **(ns or {}), **names}
    new = types.FunctionType(func.__code__, g, func.__name__, func.__defaults__, func.__closure__)
    new.__module__ = "__main__"
    g[func.__name__] = new
    return new


def fails_with(check, func, *phrases) -> str:
    """``check(func)`` must raise CheckFailed whose message contains every phrase."""
    with pytest.raises(CheckFailed) as info:
        check(func)
    message = str(info.value)
    for phrase in phrases:
        assert phrase in message, message
    return message
