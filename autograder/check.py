"""Check your work as grading would, without seeing the answers: ``./course.sh check 01``.

For a self-study reader with the whole repository: the notebook in ``work/`` is rebuilt
from the chapter's source exactly as a submission is (``grade.reconstruct``), its cells
run in the grading sandbox and every check, visible and hidden, runs in the judge
(``judged_execute``). What comes back is what the feedback would show: each check's
points and the judge's message (misconceptions named), never a hidden case, the hidden
tests' code or a reference.

Functions whose checks all pass go into your own package, ``work/mine/`` (one module per
chapter, e.g. ``mine/ch02_padding_stride.py``), so that later chapters can use your
layers instead of cnnkit's (``cnnkit.mine``). Grading never reads ``mine``.
"""

from __future__ import annotations

import ast
import os
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

from autograder import static
from autograder.build import read_source
from autograder.course import SOLUTIONS, assignments
from autograder.fixtures import free_names
from autograder.grade import read_submitted, reconstruct
from autograder.judged_execute import JudgedExecute, Session, data_env
from autograder.sandbox import SandboxUnavailable
from cnnkit.selfcheck import find_notebook


@dataclass
class CheckResult:
    grade_id: str
    points: float
    max_points: float
    message: str = ""  # the judge's message when the check failed


@dataclass
class Report:
    chapter: str
    checks: list[CheckResult]
    notes: list[str] = field(default_factory=list)
    exported: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def score(self) -> float:
        return sum(c.points for c in self.checks)

    @property
    def max_score(self) -> float:
        return sum(c.max_points for c in self.checks)

    def text(self) -> str:
        lines = [f"{self.chapter}: {self.score:g} / {self.max_score:g} points"]
        lines += [f"  note: {n}" for n in self.notes]
        width = max((len(c.grade_id) for c in self.checks), default=10)
        for c in self.checks:
            mark = "ok  " if c.points == c.max_points else "FAIL"
            lines.append(f"  {mark} {c.grade_id:<{width}} {c.points:g}/{c.max_points:g}")
            for line in c.message.splitlines():
                lines.append(f"         {line}")
        if self.exported:
            lines.append(f"  in your package mine: {', '.join(self.exported)}")
        lines.append(f"  ({self.seconds:.1f} s)")
        return "\n".join(lines)


def chapter_of(notebook: Path, solutions_dir: Path = SOLUTIONS) -> str:
    """The chapter a notebook belongs to, from its name (``01_convolution.ipynb``)."""
    stem = Path(notebook).stem
    chapters = assignments(solutions_dir)
    if stem in chapters:
        return stem
    number = re.match(r"\d+", stem)
    matches = [c for c in chapters if number and c.startswith(number.group(0).zfill(2) + "_")]
    if len(matches) != 1:
        raise ValueError(
            f"cannot tell which chapter {Path(notebook).name} is: name it like one of "
            f"{', '.join(c + '.ipynb' for c in chapters)}"
        )
    return matches[0]


def _results(nb) -> list[CheckResult]:
    out = []
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type != "code" or not meta.get("grade") or meta.get("solution"):
            continue
        errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
        points = float(meta.get("points", 0))
        message = ""
        if errors:
            message = "\n".join(errors[0].get("traceback") or [errors[0].get("evalue", "")])
        out.append(CheckResult(meta["grade_id"], 0.0 if errors else points, points, message))
    return out


def _passing_functions(nb, results: list[CheckResult]) -> list[tuple[str, str]]:
    """``(name, source)`` of each solution-cell definition whose every check passed.

    A check covers a function when its source (visible lines and hidden call alike) names
    it; a function no check names is not exported.
    """
    passed = {r.grade_id: r.points == r.max_points for r in results}
    tests = []
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type == "code" and meta.get("grade") and not meta.get("solution"):
            tree = static.parse_cell(cell.source)
            names = free_names(tree) if tree is not None else set()
            tests.append((meta["grade_id"], names))
    found = []
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type != "code" or not meta.get("solution"):
            continue
        tree = static.parse_cell(cell.source)
        for node in tree.body if tree is not None else []:
            if not isinstance(node, (ast.FunctionDef, ast.ClassDef)):
                continue
            covering = [g for g, names in tests if node.name in names]
            if covering and all(passed.get(g) for g in covering):
                found.append((node.name, ast.get_source_segment(cell.source, node)))
    return found


def _imports(nb) -> list[str]:
    """The import statements of the notebook's locked cells, for a module of its defs."""
    lines = []
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type != "code" or meta.get("solution") or meta.get("grade"):
            continue
        tree = static.parse_cell(cell.source)
        for node in tree.body if tree is not None else []:
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                text = ast.get_source_segment(cell.source, node)
                if text not in lines:
                    lines.append(text)
    return lines


def export_mine(chapter: str, nb, functions: list[tuple[str, str]], package: Path) -> list[str]:
    """Write ``package/ch<chapter>.py`` with the student's passing functions."""
    package.mkdir(parents=True, exist_ok=True)
    init = package / "__init__.py"
    if not init.exists():
        init.write_text(
            '"""Your own CNN package: the functions whose checks passed (./course.sh check)."""\n'
        )
    module = package / f"ch{chapter}.py"
    if not functions:
        module.unlink(missing_ok=True)
        return []
    body = [
        f'"""Your functions from {chapter} whose checks all passed (written by '
        '`./course.sh check`; rewritten at each check)."""',
        "",
        *_imports(nb),
        "",
    ]
    for _, source in functions:
        body += ["", source, ""]
    module.write_text("\n".join(body).rstrip() + "\n", encoding="utf-8")
    return [name for name, _ in functions]


def check(
    notebook: Path,
    *,
    unsandboxed: bool = False,
    package: Path | None = None,
    solutions_dir: Path = SOLUTIONS,
    cell_timeout: float = 300,
) -> Report:
    """Grade ``notebook`` locally as the autograder would; export what passed to ``package``."""
    started = time.monotonic()
    chapter = chapter_of(notebook, solutions_dir)
    source_nb = read_source(Path(solutions_dir) / f"{chapter}.py")
    cells, notes = read_submitted(Path(notebook))
    nb, more = reconstruct(source_nb, cells)
    notes += more
    judged = JudgedExecute(unsandboxed=unsandboxed, cell_timeout=cell_timeout)
    try:
        sandbox = judged._sandbox()
    except SandboxUnavailable as exc:
        raise SandboxUnavailable(
            f"{exc}\nTo check your own work without the sandbox, run the check with "
            "--unsandboxed (your code runs with your own rights, as in JupyterLab)."
        ) from None
    env = {"NBGRADER_EXECUTION": "autograde"}
    env.update(data_env())
    session = Session(sandbox, env, cell_timeout, max(cell_timeout, 300), 10)
    session.start()
    try:
        judged._walk(nb, session, source_nb)
    finally:
        session.close()
    if not sandbox.enabled:
        notes.append("checked WITHOUT the sandbox (--unsandboxed)")
    results = _results(nb)
    report = Report(chapter, results, notes)
    if package is not None:
        report.exported = export_mine(chapter, nb, _passing_functions(nb, results), package)
    report.seconds = time.monotonic() - started
    return report


def main(args) -> int:
    work = Path(args.work)
    try:
        notebook = find_notebook(args.notebook, work)
    except FileNotFoundError as exc:
        print(exc)
        return 2
    package = None if args.no_export else Path(args.package or notebook.parent / "mine")
    try:
        report = check(notebook, unsandboxed=args.unsandboxed, package=package)
    except (SandboxUnavailable, ValueError) as exc:
        print(f"cannot check: {exc}")
        return 2
    print(report.text())
    return 0 if report.score == report.max_score else 1


def add_parser(sub) -> None:
    p = sub.add_parser(
        "check",
        help="check your own notebook as grading would (self-study): scores and messages",
    )
    p.add_argument("notebook", help="01, 01_convolution or a path to a notebook")
    p.add_argument("--work", default=os.environ.get("COURSE_WORK", "work"))
    p.add_argument("--package", help="where your package goes (default: WORK/mine)")
    p.add_argument("--no-export", action="store_true", help="do not write your package")
    p.add_argument(
        "--unsandboxed",
        action="store_true",
        help="run without bubblewrap (only your own code runs, with your rights)",
    )
