"""The sandboxed side of grading: run the student's cells, call their functions on request.

Started by the judge inside bubblewrap as ``python /judge/runner.py``. It holds no
checks, no references and no expected values: it executes the notebook's non-test cells
in an IPython shell, and when the judge asks, calls a function of the student's on the
arguments the judge sent and sends back what it returned, as plain data (see
``wire.py``). Every verdict is computed by the judge, outside this process, so nothing
that runs here -- whatever it prints, raises, patches or suppresses -- can raise a score.

Messages (judge -> runner): ``exec`` a cell, ``lookup`` a name, ``call`` a function,
``return`` (the answer to one of our callbacks), ``bye``.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import sys
import traceback
import warnings

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import wire  # noqa: E402  (the file next to this one)

MAX_TEXT = 20_000  # characters of stdout/stderr kept per cell or call


class Runner:
    def __init__(self, fd_in: int, fd_out: int):
        self.fd_in, self.fd_out = fd_in, fd_out
        from IPython.core.interactiveshell import InteractiveShell

        self.shell = InteractiveShell.instance()
        self._warm_up()
        self.shell.showtraceback = self._record_traceback
        self.shell.showsyntaxerror = self._record_syntax_error
        self._error = None
        self.seq = 0

    # What every chapter imports first, loaded before the judge is told "ready", so that a
    # kernel started ahead of need has paid for it. Only modules: nothing is bound in the
    # student's namespace, and the shell exists first, so pyplot hooks the inline backend.
    WARM = (
        "numpy",
        "matplotlib.pyplot",
        "ipywidgets",
        "IPython.display",
        "cnnkit.checks",
        "cnnkit.plots",
    )

    def _warm_up(self):
        import importlib

        for name in self.WARM:
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    importlib.import_module(name)
            except Exception:  # a module missing here is imported (and fails) in its cell
                pass

    # ----------------------------------------------------------------- plumbing

    def send(self, message):
        # Every frame carries the number of the request it answers: the judge drops any
        # other (e.g. one forged by student code writing to the channel).
        wire.send(self.fd_out, {**message, "seq": self.seq})

    def recv(self):
        return wire.recv_blocking(self.fd_in)

    def serve(self):
        while True:
            try:
                message = self.recv()
            except EOFError:
                return
            op = message.get("op")
            self.seq = message.get("seq")
            if op == "bye":
                return
            handler = {"exec": self.do_exec, "lookup": self.do_lookup, "call": self.do_call}.get(op)
            if handler is None:
                self.send({"op": "error", "message": f"unknown op {op!r}"})
                continue
            handler(message)

    # ---------------------------------------------------------------- execution

    def _record_traceback(self, *args, **kwargs):
        etype, value, tb = sys.exc_info()
        self._error = _error_output(etype, value, tb)

    def _record_syntax_error(self, *args, **kwargs):
        etype, value, tb = sys.exc_info()
        self._error = _error_output(etype, value, None)

    def do_exec(self, message):
        from IPython.utils.capture import capture_output

        self._error = None
        source = str(message.get("source", ""))
        with capture_output() as captured:
            try:
                self.shell.run_cell(source, store_history=True)
            except BaseException as exc:  # SystemExit, KeyboardInterrupt raised past IPython
                self._error = _error_output(type(exc), exc, None)
        outputs = []
        stdout = re.sub(r"^Out\[\d+\]: ", "", captured.stdout)  # no prompts in a notebook
        if stdout.strip():
            outputs.append({"output_type": "stream", "name": "stdout", "text": _cut(stdout)})
        if captured.stderr:
            outputs.append(
                {"output_type": "stream", "name": "stderr", "text": _cut(captured.stderr)}
            )
        for rich in captured.outputs:
            data = {
                mime: value
                for mime, value in (rich.data or {}).items()
                if mime in wire.DISPLAY_MIME and isinstance(value, str)
            }
            if data:
                outputs.append({"output_type": "display_data", "data": data, "metadata": {}})
        if self._error:
            outputs.append(self._error)
        self.send({"op": "done", "outputs": outputs})

    def do_lookup(self, message):
        name = str(message.get("name"))
        ns = self.shell.user_ns
        if name not in ns:
            self.send({"op": "value", "kind": "missing"})
            return
        obj = ns[name]
        if callable(obj) and not isinstance(obj, type):
            self.send({"op": "value", "kind": "callable", "module": _module_of(obj)})
            return
        try:
            self.send({"op": "value", "kind": "value", "value": wire.encode(obj)})
        except wire.Unsendable as exc:
            self.send({"op": "value", "kind": "unsendable", "what": str(exc)})

    def _stub(self, callback_id):
        """A stand-in for one of the judge's functions: calling it asks the judge."""

        def judge_function(*args, **kwargs):
            self.send(
                {
                    "op": "callback",
                    "id": callback_id,
                    "args": wire.encode(list(args)),
                    "kwargs": wire.encode(kwargs),
                }
            )
            reply = self.recv()
            if reply.get("op") != "return":
                raise RuntimeError("the judge did not answer the callback")
            if reply.get("error"):
                raise _rebuild(reply["error"])
            wire.copy_back(args, kwargs, reply)
            return wire.decode(reply.get("value"))

        return judge_function

    def do_call(self, message):
        ns = self.shell.user_ns
        name = str(message.get("name"))
        func = ns.get(name)
        if func is None or not callable(func):
            self.send(
                {"op": "result", "error": _describe(NameError(f"name {name!r} is not defined"))}
            )
            return
        args = wire.decode(message.get("args", []), stub=self._stub)
        kwargs = wire.decode(message.get("kwargs", {"$dict": []}), stub=self._stub)
        # Earlier exercises' helpers replaced by the judge's (one mistake costs once).
        helpers = wire.decode(message.get("helpers", {"$dict": []}), stub=self._stub)
        saved = {}
        for helper, replacement in helpers.items():
            current = ns.get(helper)
            if current is not func and getattr(current, "__module__", None) == "__main__":
                saved[helper] = current
                ns[helper] = replacement
        error = result = None
        import numpy as np

        caught = []
        try:
            with (
                warnings.catch_warnings(record=True) as caught,
                np.errstate(over="warn", divide="warn", invalid="warn", under="ignore"),
                contextlib.redirect_stderr(io.StringIO()),
                contextlib.redirect_stdout(io.StringIO()),
            ):
                warnings.simplefilter("always")
                result = func(*args, **kwargs)
        except BaseException as exc:
            error = _describe(exc)
        finally:
            ns.update(saved)
        # Numerical warnings (overflow, divide by zero) are data for the judge's checks.
        numeric = [str(w.message)[:300] for w in caught if issubclass(w.category, RuntimeWarning)]
        reply = {"op": "result", "error": error, "warnings": numeric[:20]}
        if error is None:
            try:
                reply["value"] = wire.encode(result)
            except wire.Unsendable as exc:
                reply["error"] = {
                    "type": "Unsendable",
                    "mro": ["Unsendable"],
                    "message": f"{name} returned {exc}, which cannot be checked",
                }
        try:
            reply["args"] = wire.encode(args)
            reply["kwargs"] = wire.encode(kwargs)
        except wire.Unsendable:
            pass  # the judge keeps its own copies then
        self.send(reply)


def _module_of(obj):
    module = getattr(obj, "__module__", None)
    return module if isinstance(module, str) else ""


def _describe(exc: BaseException) -> dict:
    return {**wire.describe_exception(exc), "message": _cut(str(exc), 2000)}


def _rebuild(error: dict) -> BaseException:
    import builtins

    cls = getattr(builtins, str(error.get("type")), None)
    if not (isinstance(cls, type) and issubclass(cls, Exception)):
        cls = RuntimeError
    return cls(str(error.get("message", "")))


def _cut(text: str, limit: int = MAX_TEXT) -> str:
    if len(text) <= limit:
        return text
    return text[:limit] + f"\n... [{len(text) - limit} more characters cut]\n"


def _error_output(etype, value, tb) -> dict:
    """An nbformat error output with the frames of the student's cells only."""
    frames = []
    if tb is not None:
        for frame in traceback.extract_tb(tb):
            if frame.filename.startswith("<") or "ipython-input" in frame.filename:
                frames.append(f"  In a cell, line {frame.lineno}, in {frame.name}")
                if frame.line:
                    frames.append(f"    {frame.line}")
    ename = getattr(etype, "__name__", "Error")
    evalue = _cut(str(value), 2000)
    return {
        "output_type": "error",
        "ename": ename,
        "evalue": evalue,
        "traceback": [*frames, f"{ename}: {evalue}"],
    }


def main():
    # The channel to the judge is on the descriptors we were started with; point the
    # standard ones elsewhere so that stray output cannot corrupt the protocol.
    fd_in, fd_out = os.dup(0), os.dup(1)
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    sys.stdout = io.TextIOWrapper(os.fdopen(1, "wb", closefd=False), write_through=True)
    sys.stderr = io.TextIOWrapper(os.fdopen(2, "wb", closefd=False), write_through=True)
    # A process the student's code forks must not speak for the runner.
    os.register_at_fork(after_in_child=lambda: [os.close(fd) for fd in (fd_in, fd_out)])
    runner = Runner(fd_in, fd_out)
    runner.send({"op": "ready", "pid": os.getpid()})
    runner.serve()


if __name__ == "__main__":
    main()
