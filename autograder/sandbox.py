"""The sandbox that student code runs in while it is graded: Debian's ``bubblewrap``.

What the sandboxed process sees:

* the system (``/usr``, ``/lib``, ``/etc`` ...), the Python installation, the virtual
  environment and ``cnnkit`` -- all read-only;
* a scratch directory on a size-limited tmpfs, which is also ``$HOME`` and ``$TMPDIR``;
* the two protocol files of the judge (``runner.py``, ``wire.py``), read-only.

It does not see the course directory, the gradebook, other submissions, ``source/``,
the references or the hidden tests: they are simply not mounted. It has its own network
namespace (no interface but its own loopback, so nothing on this machine or beyond is
reachable), its own PID namespace (every process in it dies with it) and resource limits
(memory, processes, CPU time, file size). Student code runs as an unprivileged user id.

When bubblewrap is missing or cannot create namespaces, ``check_available`` says why;
grading then refuses unless the instructor explicitly allows running unsandboxed.
"""

from __future__ import annotations

import os
import resource
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
# Files of the judge's protocol that the sandboxed runner needs (nothing secret in them).
RUNNER_FILES = ("runner.py", "wire.py")
INSIDE_JUDGE_DIR = "/judge"
INSIDE_SCRATCH = "/scratch"


class SandboxUnavailable(RuntimeError):
    """bubblewrap cannot run here; the message says why and what to do."""


@dataclass
class Limits:
    """Resource limits of one sandboxed process (and everything it starts)."""

    memory: int = 2 << 30  # bytes of address space
    processes: int = 64
    cpu_seconds: int = 900
    file_size: int = 64 << 20  # largest file it may write, bytes
    scratch_size: int = 256 << 20  # the whole tmpfs, bytes
    # An unprivileged user id of its own: the process limit counts per uid, so two sandboxes
    # graded side by side (or a fork storm left by the previous one) must not share one.
    uid: int = field(default_factory=lambda: 61000 + os.getpid() % 4000)


@dataclass
class Sandbox:
    """How to start a command inside bubblewrap with ``limits``.

    ``enabled=False`` runs the command as a plain subprocess (no isolation at all); the
    grader only does that when the instructor passed ``--unsandboxed``, and says so in
    every report.
    """

    limits: Limits = field(default_factory=Limits)
    enabled: bool = True
    extra_ro: tuple = ()  # more read-only paths, e.g. a data directory

    def ro_paths(self) -> list[Path]:
        """Read-only paths the runner needs: Python, the environment, cnnkit, data."""
        paths = [
            Path(sys.base_prefix).resolve(),
            Path(sys.prefix).resolve(),
        ]
        import cnnkit

        paths.append(Path(cnnkit.__file__).resolve().parent)
        paths.extend(Path(p).resolve() for p in self.extra_ro if Path(p).exists())
        # Keep only the outermost paths, outside the system directories bound anyway.
        system = [Path(p) for p in ("/usr", "/lib", "/lib64", "/bin", "/sbin", "/etc")]
        out: list[Path] = []
        for p in sorted(set(paths), key=lambda q: len(q.parts)):
            if any(p == s or s in p.parents for s in system + out):
                continue
            out.append(p)
        return out

    def command(self, argv: list[str], judge_dir: Path) -> list[str]:
        """The full command line that runs ``argv`` in the sandbox."""
        if not self.enabled:
            return list(argv)
        lim = self.limits
        cmd = [
            "bwrap",
            "--die-with-parent",
            "--new-session",
            "--unshare-ipc",
            "--unshare-pid",
            "--unshare-net",
            "--unshare-uts",
            "--unshare-cgroup-try",
            "--hostname",
            "sandbox",
        ]
        for system in ("/usr", "/lib", "/lib64", "/bin", "/sbin", "/etc"):
            cmd += ["--ro-bind-try", system, system]
        made = {Path("/")}
        for path in self.ro_paths():
            for parent in reversed(path.parents):
                if parent not in made:
                    # bubblewrap would create these 0700 for root; the student's uid
                    # must be able to walk through them.
                    cmd += ["--perms", "0755", "--dir", str(parent)]
                    made.add(parent)
            cmd += ["--ro-bind", str(path), str(path)]
            made.add(path)
        cmd += ["--ro-bind", str(judge_dir), INSIDE_JUDGE_DIR]
        cmd += ["--proc", "/proc", "--dev", "/dev"]
        cmd += ["--perms", "1777", "--size", str(lim.scratch_size), "--tmpfs", INSIDE_SCRATCH]
        cmd += ["--chdir", INSIDE_SCRATCH, "--clearenv"]
        if os.geteuid() == 0:
            # As root bubblewrap needs no user namespace; drop to an unprivileged uid inside
            # so that the process limit applies (root is exempt from RLIMIT_NPROC).
            cmd += [
                "setpriv",
                f"--reuid={lim.uid}",
                f"--regid={lim.uid}",
                "--clear-groups",
                "--inh-caps=-all",
                "--bounding-set=-all",
                "--no-new-privs",
            ]
        else:
            cmd[1:1] = ["--unshare-user", "--uid", str(lim.uid), "--gid", str(lim.uid)]
            cmd[1:1] = ["--cap-drop", "ALL"]
        return cmd + list(argv)

    def preexec(self):
        """Resource limits, set in the child before bubblewrap starts (they are inherited)."""
        if not self.enabled:
            return None
        lim = self.limits

        def apply():
            for what, value in (
                (resource.RLIMIT_AS, lim.memory),
                (resource.RLIMIT_NPROC, lim.processes),
                (resource.RLIMIT_CPU, lim.cpu_seconds),
                (resource.RLIMIT_FSIZE, lim.file_size),
                (resource.RLIMIT_CORE, 0),
            ):
                resource.setrlimit(what, (value, value))

        return apply


def check_available() -> None:
    """Raise ``SandboxUnavailable`` (with the reason) unless bubblewrap works here."""
    if shutil.which("bwrap") is None:
        raise SandboxUnavailable(
            "bubblewrap (bwrap) is not installed: on Debian/Ubuntu run "
            "`apt-get install bubblewrap`; or grade without a sandbox with --unsandboxed "
            "(every report will then say so)"
        )
    if os.geteuid() == 0 and shutil.which("setpriv") is None:
        raise SandboxUnavailable("setpriv (util-linux) is needed to drop root in the sandbox")
    probe = Sandbox(enabled=True).command(["/bin/true"], HERE)
    try:
        result = subprocess.run(probe, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise SandboxUnavailable(f"bubblewrap could not start: {exc}") from None
    if result.returncode != 0:
        why = (result.stderr or result.stdout).strip().splitlines()
        raise SandboxUnavailable(
            "bubblewrap cannot create its namespaces on this machine "
            f"({why[-1] if why else 'exit ' + str(result.returncode)}); user namespaces may "
            "be disabled (see /proc/sys/kernel/unprivileged_userns_clone and "
            "/proc/sys/user/max_user_namespaces). Grade as root, enable them, or pass "
            "--unsandboxed to grade without isolation"
        )
