"""The two installation routes list the same packages with the same version bounds."""

from __future__ import annotations

import re
from pathlib import Path

import tomllib

REPO = Path(__file__).resolve().parent.parent


def _split(requirement: str) -> tuple[str, str]:
    name, spec = re.match(r"^\s*([A-Za-z0-9_.\-]+)\s*(.*)$", requirement).groups()
    return name.lower().replace("_", "-"), spec.replace(" ", "")


def _pyproject():
    data = tomllib.loads((REPO / "pyproject.toml").read_text())
    reqs = data["project"]["dependencies"] + data["project"]["optional-dependencies"]["dev"]
    return dict(_split(r) for r in reqs)


def _conda():
    deps = {}
    text = (REPO / "environment.yml").read_text()
    for line in text.split("\ndependencies:\n", 1)[1].splitlines():
        m = re.match(r"^  - ([A-Za-z0-9_.\-]+[^#]*?)\s*$", line)
        if m:
            name, spec = _split(m.group(1))
            if name not in ("python", "pip"):
                deps[name] = spec
    return deps


def test_same_packages_and_bounds():
    assert _pyproject() == _conda()


def test_parsers_see_the_packages():
    # guards against a parser that silently finds nothing
    assert {"numpy", "nbgrader", "jupyterlab", "pytest"} <= set(_pyproject())
    assert {"numpy", "nbgrader", "jupyterlab", "pytest"} <= set(_conda())


def test_ci_runs_the_readme_test_command():
    readme = (REPO / "README.md").read_text()
    ci = (REPO / ".ci" / "run").read_text()
    assert "./course.sh test" in readme
    assert "exec ./course.sh test" in ci
