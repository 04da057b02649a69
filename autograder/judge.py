"""The judge: runs the student's code in the sandbox and computes every verdict outside it.

A ``Kernel`` is one sandboxed runner process (``runner.py`` under bubblewrap) spoken to
over a pipe. The judge sends it the notebook's non-test cells to execute, then, for each
graded check, runs the check's code *here*, in the trusted process, where every name the
student defined is a ``StudentFunction``: calling it sends the arguments to the runner,
which calls the student's function and sends back the result as plain data. Comparisons,
references, misconception matching and the own-work checks all happen here.

A kernel that dies (``os._exit``, a segfault, the memory or time limit) costs only the
check it was in: the judge starts a new one, replays the cells executed so far, and
carries on with the next check.
"""

from __future__ import annotations

import builtins
import os
import selectors
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

from autograder import wire
from autograder.sandbox import HERE, INSIDE_JUDGE_DIR, RUNNER_FILES, Sandbox


class KernelDied(BaseException):
    """The sandboxed process ended or stopped answering; ``cause`` says how.

    A ``BaseException``, so that no check's ``except Exception`` swallows it.
    """

    def __init__(self, cause: str):
        super().__init__(cause)
        self.cause = cause


def _student_exception(error: dict) -> Exception:
    """Rebuild an exception the student's code raised, as an inert judge-side object.

    A built-in type is rebuilt as itself (so ``expect_raises(..., ValueError)`` works);
    any other gets a class of the same name under the nearest built-in base. Nothing
    becomes ``SystemExit`` or ``KeyboardInterrupt`` here.
    """
    name = str(error.get("type", "Exception"))
    message = str(error.get("message", ""))
    mro = [str(m) for m in error.get("mro", [])] or [name]
    if name == "NotImplementedError":
        return NotImplementedError(message)
    base = Exception
    for candidate in mro:
        cls = getattr(builtins, candidate, None)
        if isinstance(cls, type) and issubclass(cls, Exception):
            base = cls
            break
    if base.__name__ == name:
        return base(message)
    safe = name if name.isidentifier() else "StudentError"
    return type(safe, (base,), {"__module__": "__main__"})(message)


class Kernel:
    """One sandboxed runner: ``exec`` cells, ``lookup`` names, ``call`` functions."""

    def __init__(self, sandbox: Sandbox, python: str | None = None, env: dict | None = None):
        self.sandbox = sandbox
        self.python = python or sys.executable
        self.env = env or {}
        self.proc = None
        self._buffer = b""
        self._judge_dir = None
        self.killed_for = None
        self._seq = 0

    # ---------------------------------------------------------------- lifecycle

    def start(self, timeout: float = 60):
        self.spawn()
        self.wait_ready(timeout)

    def spawn(self):
        """Start the sandboxed process; it loads Python and the course's imports."""
        self._judge_dir = Path(tempfile.mkdtemp(prefix="cnn-judge-"))
        for name in RUNNER_FILES:
            shutil.copy2(HERE / name, self._judge_dir / name)
        os.chmod(self._judge_dir, 0o755)
        runner = (
            f"{INSIDE_JUDGE_DIR}/runner.py"
            if self.sandbox.enabled
            else str(self._judge_dir / "runner.py")
        )
        # -I: no PYTHONPATH, no user site, no script directory on sys.path.
        argv = [self.python, "-I", runner]
        cmd = self.sandbox.command(
            ["/usr/bin/env", "-i", *self._env_args(), *argv], self._judge_dir
        )
        self.proc = subprocess.Popen(
            cmd,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
            preexec_fn=self.sandbox.preexec(),
        )
        os.set_blocking(self.proc.stdout.fileno(), False)
        self.killed_for = None
        self._seq, self._buffer = 0, b""

    def wait_ready(self, timeout: float = 60):
        hello = self._recv(time.monotonic() + timeout)
        if hello.get("op") != "ready":
            raise KernelDied("the sandboxed kernel did not start")

    def _env_args(self) -> list[str]:
        home = "/scratch" if self.sandbox.enabled else str(self._judge_dir)
        env = {
            "HOME": home,
            "TMPDIR": home,
            "PATH": f"{Path(self.python).parent}:/usr/bin:/bin",
            "LANG": "C.UTF-8",
            "MPLBACKEND": "module://matplotlib_inline.backend_inline",
            "MPLCONFIGDIR": f"{home}/.config/matplotlib",
            "IPYTHONDIR": f"{home}/.ipython",
            "PYTHONDONTWRITEBYTECODE": "1",
            "PYTHONNOUSERSITE": "1",
            "OPENBLAS_NUM_THREADS": "1",
            "OMP_NUM_THREADS": "1",
            "MKL_NUM_THREADS": "1",
            **self.env,
        }
        return [f"{k}={v}" for k, v in env.items()]

    def close(self):
        if self.proc is None:
            return
        try:
            wire.send(self.proc.stdin.fileno(), {"op": "bye"})
        except (OSError, ValueError):  # already dead, or killed and closed
            pass
        try:
            self.proc.wait(timeout=2)
        except subprocess.TimeoutExpired:
            pass
        self.kill("closing")
        if self._judge_dir is not None:
            shutil.rmtree(self._judge_dir, ignore_errors=True)

    def kill(self, why: str):
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.killed_for = why
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.proc.wait()
        for stream in (self.proc.stdin, self.proc.stdout):
            try:
                stream.close()
            except OSError:
                pass

    # ---------------------------------------------------------------- messages

    def _death(self) -> KernelDied:
        if self.killed_for:
            return KernelDied(self.killed_for)
        code = self.proc.wait() if self.proc else None
        if code is not None and code < 0:
            sig = signal.Signals(-code).name
            why = {
                "SIGKILL": "was killed (SIGKILL: out of memory or over a limit?)",
                "SIGSEGV": "crashed (segmentation fault)",
                "SIGXCPU": "used up its CPU time limit",
                "SIGXFSZ": "wrote a file over the size limit",
                "SIGABRT": "aborted",
            }.get(sig, f"was ended by {sig}")
            return KernelDied(f"the kernel {why}")
        return KernelDied(f"the kernel exited (exit code {code}; os._exit or sys.exit?)")

    def _send(self, message: dict, new: bool = True):
        if new:
            self._seq += 1
        try:
            wire.send(self.proc.stdin.fileno(), {**message, "seq": self._seq})
        except (OSError, ValueError):
            raise self._death() from None

    def _recv(self, deadline: float) -> dict:
        fd = self.proc.stdout.fileno()
        with selectors.DefaultSelector() as sel:
            sel.register(fd, selectors.EVENT_READ)
            while True:
                if len(self._buffer) >= wire.HEADER.size:
                    (size,) = wire.HEADER.unpack_from(self._buffer)
                    if size > wire.MAX_FRAME:
                        self.kill("the kernel sent a message over the size limit")
                        raise self._death()
                    end = wire.HEADER.size + size
                    if len(self._buffer) >= end:
                        payload, self._buffer = (
                            self._buffer[wire.HEADER.size : end],
                            self._buffer[end:],
                        )
                        try:
                            message = wire.parse(payload)
                        except wire.WireError:
                            self.kill("the kernel sent a message that is not protocol data")
                            raise self._death() from None
                        if message.get("seq") == self._seq:
                            return message
                        continue  # not an answer to this request: stale or forged
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    self.kill("the kernel ran over its time limit")
                    raise self._death()
                if not sel.select(timeout=min(remaining, 1.0)):
                    continue
                try:
                    chunk = os.read(fd, 1 << 20)
                except BlockingIOError:
                    continue
                except OSError:
                    chunk = b""
                if not chunk:
                    raise self._death()
                self._buffer += chunk

    # ---------------------------------------------------------------- requests

    def exec(self, source: str, timeout: float) -> list[dict]:
        self._send({"op": "exec", "source": source})
        reply = self._recv(time.monotonic() + timeout)
        outputs = reply.get("outputs") if reply.get("op") == "done" else None
        if not isinstance(outputs, list):
            return []
        return [o for o in outputs if isinstance(o, dict)]

    def lookup(self, name: str, timeout: float = 60) -> dict:
        self._send({"op": "lookup", "name": name})
        return self._recv(time.monotonic() + timeout)

    def call(self, name, args, kwargs, helpers, deadline):
        callbacks = {}

        def register(func):
            key = str(len(callbacks))
            callbacks[key] = func
            return key

        message = {
            "op": "call",
            "name": name,
            "args": wire.encode(list(args), register),
            "kwargs": wire.encode(dict(kwargs), register),
            "helpers": wire.encode(dict(helpers), register),
        }
        self._send(message)
        while True:
            reply = self._recv(deadline)
            if reply.get("op") == "callback":
                self._answer_callback(reply, callbacks)
                continue
            if reply.get("op") != "result":
                self.kill("the kernel broke the protocol")
                raise self._death()
            return reply

    def _answer_callback(self, request, callbacks):
        func = callbacks.get(str(request.get("id")))
        answer = {"op": "return"}
        try:
            args = wire.decode(request.get("args", []))
            kwargs = wire.decode(request.get("kwargs", {"$dict": []}))
            if func is None or not isinstance(args, list) or not isinstance(kwargs, dict):
                raise TypeError("unknown callback")
            answer["value"] = wire.encode(func(*args, **kwargs))
            # What the judge's function changed in its arguments (a layer's cache, say)
            # goes back too, so the student's objects see it, as in one process.
            answer["args"] = wire.encode(args)
            answer["kwargs"] = wire.encode(kwargs)
        except (wire.WireError, wire.Unsendable) as exc:
            answer["error"] = {"type": "TypeError", "mro": ["TypeError"], "message": str(exc)}
        except Exception as exc:
            answer["error"] = wire.describe_exception(exc)
        self._send(answer, new=False)


class StudentFunction:
    """A function of the student's, living in the sandbox; calling it is a request.

    Arguments go over as data and results come back as data; arguments the student's
    function changed in place are copied back into the judge's objects. ``static`` is the
    function as read from the submitted cells (see ``static.py``), for own-work checks.
    """

    def __init__(self, judge, name: str, module: str = "__main__", static=None):
        self._judge = judge
        self.__name__ = self.__qualname__ = name
        self.__module__ = module
        self.static = static
        self.helpers: dict = {}

    def __repr__(self):
        return f"<student function {self.__name__}>"

    def __call__(self, *args, **kwargs):
        reply = self._judge.kernel.call(
            self.__name__, args, kwargs, self.helpers, self._judge.deadline
        )
        try:
            wire.copy_back(args, kwargs, reply)
        except (wire.WireError, TypeError, ValueError):
            pass  # the runner's view of the arguments is unusable: keep the judge's own
        # Numerical warnings the student's code raised in the sandbox, raised here again
        # for the checks that look at them (e.g. an overflowing softmax).
        for message in reply.get("warnings") or []:
            warnings.warn(str(message)[:300], RuntimeWarning, stacklevel=2)
        if reply.get("error"):
            raise _student_exception(reply["error"])
        try:
            return wire.decode(reply.get("value"))
        except wire.WireError as exc:
            raise TypeError(
                f"{self.__name__} returned something that cannot be checked: {exc}"
            ) from None


# A kernel started ahead of need, per (sandbox, environment): a long-lived grading worker
# starts the next submission's kernel while it finishes the current one. It has run
# nothing but the runner's own start-up, so it is as fresh as a new one.
_spares: dict = {}


def _spare_key(sandbox: Sandbox, env: dict) -> tuple:
    return (repr(sandbox), tuple(sorted(env.items())))


def prepare_spare(sandbox: Sandbox, env: dict) -> None:
    key = _spare_key(sandbox, env)
    if key in _spares:
        return
    kernel = Kernel(sandbox, env=env)
    kernel.spawn()
    _spares[key] = kernel


def take_spare(sandbox: Sandbox, env: dict) -> Kernel | None:
    """The kernel ``prepare_spare`` started for this sandbox and environment, if any."""
    kernel = _spares.pop(_spare_key(sandbox, env), None)
    if kernel is not None and kernel.proc.poll() is not None:
        kernel.close()
        return None
    return kernel


def close_spares() -> None:
    while _spares:
        _spares.popitem()[1].close()
