"""Open the course in JupyterLab: ``python -m cnnkit.lab [JupyterLab options]``.

What ``./course.sh`` does once the course is installed, in Python so that it runs the
same on Linux, macOS and Windows (the Windows route: ``conda env create -f
environment.yml``, ``conda activate cnn-course``, then this command in the course
folder):

1. bring ``work/``, your copies of ``notebooks/``, up to date (new chapters copied in;
   a course update never loses your answers);
2. give matplotlib a fallback font for Chinese text (`cnnkit.fonts`);
3. hide nbgrader's instructor tools (Formgrader, Create Assignment) and its exchange
   tabs, which a student working on their own machine has no use for: the course's
   ``deploy/student-lab`` Jupyter configuration is put ahead of the installed one
   (``JUPYTER_CONFIG_PATH``; your own ``~/.jupyter`` still comes first);
4. start JupyterLab on ``work/``, passing the options on (e.g. ``--no-browser
   --port 8890``).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

__all__ = ["course_root", "lab_command", "lab_environment", "workspace"]


def course_root(start=None):
    """The course folder: ``start`` (default: the current folder) if it holds
    ``notebooks/``, else the folder this package was installed from (``pip install -e``)."""
    start = Path.cwd() if start is None else Path(start)
    if (start / "notebooks").is_dir():
        return start.resolve()
    here = Path(__file__).resolve().parent.parent
    if (here / "notebooks").is_dir():
        return here
    raise FileNotFoundError(
        f"no notebooks/ folder in {start} or {here}: run this in the course folder"
    )


def workspace(root):
    """Bring ``root/work`` up to date with ``root/notebooks``; return what was copied in.

    Uses `cnnkit.workspace` (course updates merged into your copies, answers kept) where
    this cnnkit has it; otherwise copies only chapters that are not in ``work/`` yet.
    """
    root = Path(root)
    work = root / "work"
    work.mkdir(exist_ok=True)
    try:
        from cnnkit.workspace import sync
    except ImportError:
        sync = None
    if sync is not None:
        done = sync(root / "notebooks", work, log=lambda line: None)
        return [work / name for name, what in done.items() if what == "added"]
    copied = []
    for notebook in sorted((root / "notebooks").glob("*.ipynb")):
        target = work / notebook.name
        if not target.exists():
            shutil.copy2(notebook, target)
            copied.append(target)
    return copied


def lab_environment(root, env=None):
    """The environment JupyterLab runs in: the course's Jupyter config and font fallback."""
    from cnnkit.fonts import write_matplotlibrc

    root = Path(root)
    env = dict(os.environ if env is None else env)
    config = root / "deploy" / "student-lab"
    if config.is_dir():
        env["JUPYTER_CONFIG_PATH"] = os.pathsep.join(
            p for p in (str(config), env.get("JUPYTER_CONFIG_PATH", "")) if p
        )
    rc_dir = root / "work" / ".matplotlib"
    rc = rc_dir / "matplotlibrc"
    # Writing looks at the installed fonts (about a second): only until one is found.
    if not rc.is_file() or "font.family" not in rc.read_text(encoding="utf-8"):
        write_matplotlibrc(rc_dir)
    env["MATPLOTLIBRC"] = str(rc_dir)
    return env


def lab_command(root, args=()):
    """The command line that starts JupyterLab on ``root/work``."""
    command = [sys.executable, "-m", "jupyterlab", f"--ServerApp.root_dir={Path(root) / 'work'}"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")
    return [*command, *args]


def main(argv=None):
    args = sys.argv[1:] if argv is None else list(argv)
    root = course_root()
    for path in workspace(root):
        print(f"[course] new chapter: {path.relative_to(root)}")
    env = lab_environment(root)
    command = lab_command(root, args)
    print("[course] starting JupyterLab on work/ (Ctrl-C to stop)")
    if os.name == "posix":
        os.execve(command[0], command, env)  # Ctrl-C goes straight to JupyterLab
    return subprocess.call(command, env=env)


if __name__ == "__main__":
    sys.exit(main())
