"""The grading sandbox, on its own: what student code can and cannot do inside it."""

from __future__ import annotations

import subprocess
import sys
from textwrap import dedent

import pytest

from autograder.sandbox import HERE, Limits, Sandbox, SandboxUnavailable, check_available
from tests.conftest import REPO, require_sandbox


@pytest.fixture(scope="module")
def sandbox():
    require_sandbox()
    return Sandbox(limits=Limits(memory=1 << 30, processes=16, scratch_size=16 << 20))


def run(sandbox, code, timeout=60):
    cmd = sandbox.command(
        ["/usr/bin/env", "-i", "HOME=/scratch", sys.executable, "-I", "-c", dedent(code)], HERE
    )
    return subprocess.run(
        cmd, capture_output=True, text=True, timeout=timeout, preexec_fn=sandbox.preexec()
    )


def test_runs_python_with_numpy_and_cnnkit_as_an_unprivileged_user(sandbox):
    out = run(sandbox, "import os, numpy, cnnkit.checks; print(os.getuid(), os.geteuid())")
    assert out.returncode == 0, out.stderr
    uid, euid = map(int, out.stdout.split())
    assert uid != 0 and euid != 0


def test_sees_no_course_no_answers_no_other_submissions(sandbox):
    paths = [str(REPO / name) for name in ("autograder", "solutions", "course", "tests")]
    code = f"""
        import os
        for p in {paths!r}:
            print(p, os.path.exists(p) and bool(os.listdir(p)))
        try:
            import autograder
            print('IMPORTED')
        except ImportError:
            print('no autograder')
    """
    out = run(sandbox, code)
    assert "True" not in out.stdout and "IMPORTED" not in out.stdout, out.stdout
    assert "no autograder" in out.stdout


def test_has_no_network(sandbox):
    import socket

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    port = server.getsockname()[1]
    code = f"""
        import socket
        try:
            socket.create_connection(('127.0.0.1', {port}), timeout=2)
            print('CONNECTED')
        except OSError as e:
            print('refused', e)
    """
    out = run(sandbox, code)
    server.close()
    assert "CONNECTED" not in out.stdout and "refused" in out.stdout


def test_system_and_environment_are_read_only(sandbox):
    code = (
        "import sys, os\n"
        "for d in [sys.prefix, os.path.dirname(os.__file__), '/usr', '/etc']:\n"
        "    try:\n        open(os.path.join(d, 'x.pth'), 'w'); print('WROTE', d)\n"
        "    except OSError:\n        pass\n"
        "open('/scratch/ok', 'w').write('scratch is writable'); print('ok')\n"
    )
    out = run(sandbox, code)
    assert "WROTE" not in out.stdout and "ok" in out.stdout, out.stdout + out.stderr


def test_limits_memory_processes_and_disk(sandbox):
    code = """
        import os, time
        try:
            bytearray(2 << 30)
        except MemoryError:
            print('memory limited')
        n = 0
        try:
            for _ in range(100):
                if os.fork() == 0:
                    time.sleep(30)
                    os._exit(0)
                n += 1
        except OSError:
            print('processes limited', n)
        try:
            open('/scratch/big', 'wb').write(b'0' * (64 << 20))
        except OSError:
            print('disk limited')
    """
    out = run(sandbox, code, timeout=120)
    assert "memory limited" in out.stdout, out.stdout + out.stderr
    assert "processes limited" in out.stdout
    assert "disk limited" in out.stdout


def test_missing_bubblewrap_is_said_not_worked_around(monkeypatch):
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(SandboxUnavailable, match="bubblewrap"):
        check_available()
