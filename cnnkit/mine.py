"""Your own functions from earlier chapters, with cnnkit's as the fallback.

``./course.sh check NN`` writes each function whose checks all passed into your package
``work/mine/`` (``mine/ch02_padding_stride.py`` ...). A later chapter asks for the
functions it builds on::

    from cnnkit.mine import load
    from cnnkit import conv
    fns = load({"conv2d_forward": conv.conv2d_forward, "conv2d_backward": conv.conv2d_backward})
    fns.conv2d_forward(X, W, b, stride=1, pad=0)

and ``load`` prints whose each one is. Only functions with the same name are looked up;
when two chapters define one, the later chapter's wins. Grading never uses ``mine``:
each chapter is graded on its own exercises.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import SimpleNamespace


def _modules(package: Path) -> list:
    """The chapter modules of ``package``, oldest chapter first; broken ones are skipped."""
    out = []
    for path in sorted(Path(package).glob("ch*.py")):
        name = f"_mine_{path.stem}"
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        try:
            spec.loader.exec_module(module)
        except Exception as exc:  # your file, your error: say so and fall back
            print(f"mine/{path.name} could not be imported ({type(exc).__name__}: {exc})")
            continue
        sys.modules.setdefault(name, module)
        out.append((path.stem, module))
    return out


def load(fallbacks: dict, package: Path | str = "mine", quiet: bool = False) -> SimpleNamespace:
    """Your function for each name where you have one, else cnnkit's.

    Parameters
    ----------
    fallbacks : dict of str -> callable
        The names wanted, each with the function to use when you have none.
    package : path
        Your package (default ``mine`` in the current folder, i.e. ``work/mine``).
    quiet : bool
        Print nothing (the table of whose function is used is printed otherwise).

    Returns
    -------
    types.SimpleNamespace
        One attribute per name; ``.owner`` maps each name to ``"mine/<module>"`` or
        ``"cnnkit"``.
    """
    if not isinstance(fallbacks, dict) or not all(callable(f) for f in fallbacks.values()):
        raise TypeError("fallbacks must be a dict of name -> function")
    modules = _modules(Path(package)) if Path(package).is_dir() else []
    chosen, owner = {}, {}
    for name, fallback in fallbacks.items():
        chosen[name], owner[name] = fallback, "cnnkit"
        for stem, module in modules:  # later chapters override earlier ones
            candidate = getattr(module, name, None)
            if callable(candidate):
                chosen[name], owner[name] = candidate, f"mine/{stem}"
    if not quiet:
        width = max(map(len, fallbacks), default=0)
        for name, who in owner.items():
            said = (
                f"yours ({who})" if who != "cnnkit" else "cnnkit (yours not found or not passing)"
            )
            print(f"{name:<{width}}  {said}")
    return SimpleNamespace(**chosen, owner=owner)
