"""nbgrader's execute step, replaced: student cells in the sandbox, checks in the judge.

``JudgedExecute`` takes the place of nbgrader's ``Execute`` preprocessor in
``nbgrader autograde`` (see ``nbgrader_config.py``). Walking the sanitized notebook:

* a code cell that is not a test (the student's solutions and the locked demo cells)
  is executed by the sandboxed runner; its outputs are what the runner captured;
* a test cell (visible or hidden) is executed here, in the judge, with its fixtures
  sliced from the locked cells (``fixtures.py``) and every other name it uses standing
  for the student's object in the sandbox (``judge.StudentFunction``).

A test cell's outputs are written by the judge alone: what the check printed, or one
error naming the check's message, wrapped, with no traceback, path, seed or case. So
nbgrader's ``SaveAutoGrades`` (error -> 0 points, else full points) records the judge's
verdict, and nothing the student's process does can change it.
"""

from __future__ import annotations

import builtins
import contextlib
import functools
import io
import os
import textwrap
import time
from pathlib import Path

import nbformat
from nbgrader.preprocessors import NbGraderPreprocessor
from nbgrader.utils import is_grade, is_solution
from traitlets import Bool, Float, Integer, List, Unicode

from autograder import static, wire
from autograder.fixtures import slice_statements, statements, test_needs
from autograder.judge import Kernel, KernelDied, StudentFunction, prepare_spare, take_spare
from autograder.sandbox import Limits, Sandbox, check_available

WRAP = 72
UNSANDBOXED_NOTE = (
    "**Graded without a sandbox** (`--unsandboxed`): the student's code ran with the "
    "grader's rights. Treat these scores with care."
)


def error_output(ename: str, message: str) -> dict:
    """One error output carrying only a message, wrapped so that all of it can be read.

    nbgrader's feedback page shows an error's traceback in a fixed-width box of about 75
    characters and cuts what is longer, so the lines are wrapped here, name included.
    """
    lines = []
    for i, paragraph in enumerate(str(message).splitlines() or [""]):
        text = f"{ename}: {paragraph}" if i == 0 else paragraph
        lines.extend(textwrap.wrap(text, WRAP, break_long_words=True) or [""])
    return {
        "output_type": "error",
        "ename": ename,
        "evalue": str(message),
        "traceback": lines,
    }


def stream(text: str, name: str = "stdout") -> dict:
    return {"output_type": "stream", "name": name, "text": text}


class Session:
    """One submission being graded: the kernel, what it has run, and the judge's names."""

    def __init__(self, sandbox, env, cell_timeout, check_timeout, max_restarts):
        self.sandbox = sandbox
        self.env = env
        self.cell_timeout = cell_timeout
        self.check_timeout = check_timeout
        self.max_restarts = max_restarts
        self.kernel = None
        self.deadline = 0.0
        self.executed: list[str] = []  # sources run so far, to replay after a restart
        self.restarts = 0

    def start(self, spare: bool = False):
        kernel = take_spare(self.sandbox, self.env) if spare else None
        if kernel is not None:
            try:
                kernel.wait_ready()
                self.kernel = kernel
                return
            except KernelDied:
                kernel.close()
        self.kernel = Kernel(self.sandbox, env=self.env)
        self.kernel.start()

    def restart(self):
        if self.kernel is not None:
            self.kernel.kill("restart")
        if self.restarts >= self.max_restarts:
            self.kernel = None
            return
        self.restarts += 1
        self.start()
        for source in self.executed:
            try:
                self.kernel.exec(source, self.cell_timeout)
            except KernelDied:
                # A cell that ran before now kills the kernel: start again without it.
                self.executed.remove(source)
                self.restart()
                return

    def close(self):
        if self.kernel is not None:
            self.kernel.close()

    # ---------------------------------------------------------------- cells

    def run_student_cell(self, source: str) -> list[dict]:
        if self.kernel is None:
            return [error_output("KernelDied", "not run: the kernel died too often")]
        try:
            outputs = self.kernel.exec(source, self.cell_timeout)
        except KernelDied as exc:
            self.restart()
            return [error_output("KernelDied", f"{exc.cause} while running this cell")]
        self.executed.append(source)
        return outputs

    def resolve(self, names, code: static.NotebookCode) -> dict:
        """The student's objects for ``names``: functions as proxies, data as values."""
        out = {}
        for name in sorted(names):
            reply = self.kernel.lookup(name, timeout=self.cell_timeout)
            kind = reply.get("kind")
            if kind == "callable":
                module = reply.get("module") or "__main__"
                out[name] = StudentFunction(
                    self, name, module=module, static=code.functions.get(name)
                )
            elif kind == "value":
                try:
                    out[name] = wire.decode(reply.get("value"))
                except wire.WireError:
                    pass
        return out

    def run_check(self, source, fixtures_source, free, code) -> list[dict]:
        if self.kernel is None:
            return [error_output("KernelDied", "not checked: the kernel died too often")]
        self.deadline = time.monotonic() + self.check_timeout
        namespace = {"__name__": "__main__", "__builtins__": builtins}
        printed = io.StringIO()
        try:
            namespace.update(self.resolve(free, code))
            with contextlib.redirect_stdout(printed), contextlib.redirect_stderr(io.StringIO()):
                if fixtures_source.strip():
                    exec(compile(fixtures_source, "<fixtures>", "exec"), namespace)
                exec(compile(source, "<check>", "exec"), namespace)
        except KernelDied as exc:
            self.restart()
            return _printed(printed) + [
                error_output("KernelDied", f"this check could not finish: {exc.cause}")
            ]
        except Exception as exc:
            return _printed(printed) + [error_output(type(exc).__name__, str(exc))]
        return _printed(printed)


def clean_outputs(outputs) -> list:
    """The runner's outputs, reduced to well-formed nbformat outputs of plain text.

    The runner is the student's process: whatever it sends is checked here, field by
    field, so a forged or malformed output can neither break nbgrader nor pose as a test
    result (test cells never take outputs from the runner at all).
    """
    clean = []
    for out in outputs if isinstance(outputs, list) else []:
        if not isinstance(out, dict):
            continue
        kind = out.get("output_type")
        if kind == "stream" and out.get("name") in ("stdout", "stderr"):
            clean.append(stream(str(out.get("text", ""))[:50_000], out["name"]))
        elif kind == "display_data" and isinstance(out.get("data"), dict):
            data = {
                k: v
                for k, v in out["data"].items()
                if k in wire.DISPLAY_MIME and isinstance(v, str)
            }
            if data:
                clean.append({"output_type": "display_data", "data": data, "metadata": {}})
        elif kind == "error":
            trace = out.get("traceback")
            trace = [str(t)[:2000] for t in trace[:60]] if isinstance(trace, list) else []
            trace = [w for t in trace for w in (textwrap.wrap(t, WRAP) or [""])]
            clean.append(
                {
                    "output_type": "error",
                    "ename": str(out.get("ename", "Error"))[:200],
                    "evalue": str(out.get("evalue", ""))[:5000],
                    "traceback": trace,
                }
            )
    return [nbformat.from_dict(o) for o in clean]


def is_hidden(source: str) -> bool:
    """Whether a test cell holds hidden tests (never sent to the student's process)."""
    return "BEGIN HIDDEN TESTS" in source or "autograder" in source


def without_hidden_tests(source: str) -> str:
    """A hidden test cell as the feedback shows it: its visible lines, no hidden code."""
    kept, inside = [], False
    for line in source.splitlines():
        if "### BEGIN HIDDEN TESTS" in line:
            inside = True
            continue
        if "### END HIDDEN TESTS" in line:
            inside = False
            continue
        if not inside:
            kept.append(line)
    kept.append("# Hidden tests: run by the grader; the result is below.")
    return "\n".join(kept)


def _printed(buffer: io.StringIO) -> list[dict]:
    text = buffer.getvalue()
    if len(text) > 20_000:
        text = text[:20_000] + "\n... [output cut]\n"
    return [stream(text)] if text else []


class JudgedExecute(NbGraderPreprocessor):
    """Execute a notebook for grading: student cells sandboxed, checks in the judge."""

    cell_timeout = Float(120, help="seconds for one student cell").tag(config=True)
    check_timeout = Float(300, help="seconds for one test cell, calls included").tag(config=True)
    max_restarts = Integer(10, help="kernel restarts allowed per notebook").tag(config=True)
    unsandboxed = Bool(False, help="run student code without bubblewrap (no isolation at all)").tag(
        config=True
    )
    memory = Integer(2 << 30, help="address-space limit of the sandbox, bytes").tag(config=True)
    processes = Integer(64, help="process limit of the sandbox").tag(config=True)
    course_root = Unicode("", help="course directory (default: the current one)").tag(config=True)
    data_dirs = List(Unicode(), help="read-only data directories to mount").tag(config=True)
    keep_spare = Bool(
        False, help="start the next notebook's kernel ahead (long-lived grading workers)"
    ).tag(config=True)

    def _sandbox(self) -> Sandbox:
        unsandboxed = self.unsandboxed or os.environ.get("CNN_COURSE_UNSANDBOXED") == "1"
        if not unsandboxed:
            check_available()
        limits = Limits(memory=self.memory, processes=self.processes)
        extra = list(self.data_dirs) + [str(d) for d in data_locations().values()]
        return Sandbox(limits=limits, enabled=not unsandboxed, extra_ro=tuple(extra))

    def preprocess(self, nb, resources):
        sandbox = self._sandbox()
        env = {"NBGRADER_EXECUTION": "autograde"}
        env.update(data_env())
        session = Session(sandbox, env, self.cell_timeout, self.check_timeout, self.max_restarts)
        source_nb = self._source_notebook(resources)
        session.start(spare=self.keep_spare)
        try:
            self._walk(nb, session, source_nb)
        finally:
            session.close()
            if self.keep_spare:
                prepare_spare(sandbox, env)
        if not sandbox.enabled:
            self.log.warning("graded WITHOUT a sandbox (--unsandboxed)")
            nb.cells.insert(0, nbformat.v4.new_markdown_cell(UNSANDBOXED_NOTE))
        return nb, resources

    def _source_notebook(self, resources):
        info = resources.get("nbgrader", {})
        root = Path(self.course_root or os.getcwd())
        path = root / "source" / info["assignment"] / f"{info['notebook']}.ipynb"
        return nbformat.read(path, as_version=4)

    def _walk(self, nb, session: Session, source_nb):
        # Test cells and their fixtures come from the instructor's source notebook, found
        # by grade id: never from the submission, whatever its cells or metadata say.
        # Each cell is parsed once: the fixtures of every test are sliced when it is met.
        tests, locked = {}, []
        for cell in source_nb.cells:
            if cell.cell_type != "code":
                continue
            meta = cell.metadata.get("nbgrader", {})
            if meta.get("grade") and not meta.get("solution"):
                fixtures = slice_statements(locked, test_needs(cell.source))
                tests[meta["grade_id"]] = (cell.source, fixtures)
                if not is_hidden(cell.source):
                    # A later cell may use what a visible test defined (``x = ...``).
                    locked.extend(statements([cell.source]))
            elif not meta.get("solution"):
                locked.extend(statements([cell.source]))
        code = static.NotebookCode([])  # the submission's cells so far, read statically
        count = 0
        for cell in nb.cells:
            if cell.cell_type != "code":
                continue
            count += 1
            grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
            if is_grade(cell) and not is_solution(cell) and grade_id in tests:
                source, (fixtures_source, free) = tests[grade_id]
                cell.source = source
                outputs = session.run_check(source, fixtures_source, free, code)
                cell.outputs = [nbformat.from_dict(o) for o in outputs]
                if not is_hidden(source):
                    # Run it in the kernel too, for the names later cells use; what it
                    # prints or raises there counts for nothing.
                    session.run_student_cell(source)
                else:
                    # The graded notebook (and so the feedback) keeps the result only.
                    cell.source = without_hidden_tests(source)
            elif is_grade(cell) and not is_solution(cell):
                cell.outputs = [
                    nbformat.from_dict(error_output("CheckFailed", "unknown test cell: not graded"))
                ]
            else:
                cell.outputs = clean_outputs(session.run_student_cell(cell.source))
                code.add(cell.source)
            cell.execution_count = count


@functools.lru_cache(maxsize=1)
def data_locations() -> dict:
    """``{env var: directory}`` of the data sets found here, to mount read-only."""
    from cnnkit import data

    found = {}
    for name, spec in data.DATASETS.items():
        try:
            found[spec.env_var] = data.find_dataset(name, "train").directory
        except Exception:  # not on this machine: chapters that need it say so
            continue
    return found


def data_env() -> dict:
    """Environment that points cnnkit's data loader at the data mounted in the sandbox."""
    return {var: str(directory) for var, directory in data_locations().items()}
