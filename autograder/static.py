"""Static views of a submission's functions, for the "own work" checks in the judge.

The judge never runs student code. To check that a graded function is the student's own
(no ``np.convolve``, no cnnkit layer, no reference), it reads the submitted cells as
text: each top-level ``def`` is compiled -- compiled, never executed -- into a function
object whose ``__code__`` lists the names it uses, and whose ``__globals__`` holds inert
stand-ins for what those names were bound to in the notebook:

* ``import numpy as np``              -> a stand-in module named ``numpy``;
* ``from cnnkit.im2col import im2col`` -> a stand-in class with ``__module__`` =
  ``cnnkit.im2col`` and ``__name__`` = ``im2col``;
* ``fast = C.im2col`` (an alias of an import) -> the stand-in it names;
* another notebook function          -> its own static function object.

So the own-work checks can inspect these with ``inspect`` exactly as they would inspect
live objects, and nothing the student wrote is ever called in the judge.
"""

from __future__ import annotations

import ast
import types
from pathlib import Path

# Packages whose submodules may be told apart statically (importing their parent is safe).
KNOWN_PACKAGES = ("numpy", "cnnkit", "matplotlib")


class StandInModule(types.ModuleType):
    """A module as named in an import; any attribute is a stand-in of ``module.attr``."""

    def __getattr__(self, attr):
        if attr.startswith("__"):
            raise AttributeError(attr)
        real = _known_module(self.__name__)
        if real is not None and not hasattr(real, attr):
            raise AttributeError(attr)  # e.g. numpy has no im2col: that name is the student's
        return stand_in_object(self.__name__, attr)


def _known_module(name: str):
    """The real module for a name in a package safe to import in the judge, else None."""
    import importlib
    import sys

    if name.split(".")[0] not in KNOWN_PACKAGES:
        return None
    if name in sys.modules:
        return sys.modules[name]
    try:
        return importlib.import_module(name)
    except Exception:
        return None


def stand_in_object(module: str, name: str) -> type:
    """An inert class that only carries a name and the module it comes from."""
    return type(name if name.isidentifier() else "obj", (), {"__module__": module})


def _is_submodule(package: str, name: str) -> bool:
    """Whether ``package.name`` is a module, looked up on disk without importing anything.

    (``importlib.util.find_spec`` would import ``package`` first: matplotlib alone takes
    most of a second, paid again for every graded notebook.)
    """
    import importlib.machinery
    import importlib.util
    import sys

    if package.split(".")[0] not in KNOWN_PACKAGES:
        return False
    paths = getattr(sys.modules.get(package), "__path__", None)
    if paths is None:
        try:
            # For a top-level name nothing is run; a dotted one imports its parents.
            spec = importlib.util.find_spec(package)
        except (ImportError, ValueError, AttributeError):
            spec = None
        paths = spec.submodule_search_locations if spec else None
    for folder in paths or ():
        folder = Path(folder)
        if (folder / name / "__init__.py").is_file():
            return True
        if any(
            (folder / f"{name}{suffix}").is_file() for suffix in importlib.machinery.all_suffixes()
        ):
            return True
    return False


def parse_cell(source: str) -> ast.Module | None:
    """The cell as Python (IPython magics turned into calls), or None if it does not parse."""
    try:
        from IPython.core.inputtransformer2 import TransformerManager

        source = TransformerManager().transform_cell(source)
    except Exception:
        pass
    try:
        return ast.parse(source)
    except (SyntaxError, ValueError):
        return None


def _dotted(node) -> list[str] | None:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return parts[::-1]
    return None


class NotebookCode:
    """What the code cells of a submission define, read statically, in order."""

    def __init__(self, sources: list[str]):
        self.globals: dict = {"__name__": "__main__", "__builtins__": {}}
        self.functions: dict[str, types.FunctionType] = {}
        for source in sources:
            self.add(source)

    def add(self, source: str) -> None:
        """Read one more cell, as the notebook would run it next."""
        tree = parse_cell(source)
        if tree is not None:
            for statement in tree.body:
                self._statement(statement)

    def _statement(self, node):
        g = self.globals
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    g[alias.asname] = StandInModule(alias.name)
                else:
                    top = alias.name.split(".")[0]
                    g[top] = StandInModule(top)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for alias in node.names:
                if alias.name == "*":
                    continue
                bound = alias.asname or alias.name
                if _is_submodule(node.module, alias.name):
                    g[bound] = StandInModule(f"{node.module}.{alias.name}")
                else:
                    g[bound] = stand_in_object(node.module, alias.name)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            func = self._compile(node)
            if func is not None:
                g[node.name] = func
                self.functions[node.name] = func
        elif isinstance(node, ast.ClassDef):
            g[node.name] = stand_in_object("__main__", node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            value = self._alias_value(node.value)
            for target in targets:
                if isinstance(target, ast.Name):
                    if value is not None:
                        g[target.id] = value
                    else:
                        g.pop(target.id, None)
                        self.functions.pop(target.id, None)
        elif isinstance(node, (ast.If, ast.Try, ast.With)):
            for child in node.body:
                self._statement(child)

    def _alias_value(self, value):
        """What ``name = <expr>`` binds, when <expr> names an import or a notebook function."""
        if isinstance(value, ast.Call) and _dotted(value.func) == ["getattr"]:
            args = value.args
            if len(args) >= 2 and isinstance(args[1], ast.Constant):
                base = self._alias_value(args[0])
                if base is not None and isinstance(args[1].value, str):
                    return getattr(base, args[1].value, None)
            return None
        parts = _dotted(value)
        if not parts or parts[0] not in self.globals:
            return None
        obj = self.globals[parts[0]]
        for attr in parts[1:]:
            obj = getattr(obj, attr, None)
            if obj is None:
                return None
        return obj

    def _compile(self, node):
        """A function object for ``node``'s code; it is never called, only inspected."""
        module = ast.Module(body=[node], type_ignores=[])
        try:
            code = compile(module, f"<cell: {node.name}>", "exec")
        except (SyntaxError, ValueError):
            return None
        for const in code.co_consts:
            if isinstance(const, types.CodeType) and const.co_name == node.name:
                return types.FunctionType(const, self.globals, node.name)
        return None


def static_view(func):
    """The static function behind a judge-side proxy (or ``func`` itself)."""
    return getattr(func, "static", None) or func
