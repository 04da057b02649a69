"""The judge <-> runner protocol: length-prefixed JSON frames of plain data.

Values cross the sandbox boundary as data only: JSON for numbers, strings, lists,
tuples and dicts, NumPy arrays as ``.npy`` bytes (``allow_pickle=False``), and cnnkit
layer objects as their class name plus their attribute data. Nothing is ever pickled,
so a message from a malicious runner can produce wrong *data* in the judge, never run
code there. This file is copied into the sandbox next to ``runner.py``; it imports only
the standard library and NumPy.
"""

from __future__ import annotations

import base64
import importlib
import io
import json
import os
import struct

import numpy as np

HEADER = struct.Struct(">Q")
MAX_FRAME = 512 << 20
# Classes that may cross as objects: cnnkit's layers and containers (plain data inside).
OBJECT_MODULES = ("cnnkit.modules", "cnnkit.training")
# Output formats a cell may show in the graded notebook (no scripts, no widget state).
DISPLAY_MIME = ("text/plain", "text/html", "image/png", "image/svg+xml", "text/latex")


class WireError(ValueError):
    """A frame or value that is not valid protocol data."""


class Unsendable(TypeError):
    """A value the protocol cannot carry (a function, an open file, an arbitrary object)."""


# ------------------------------------------------------------------------- frames


def send(fd: int, message: dict) -> None:
    payload = json.dumps(message, separators=(",", ":")).encode("utf-8")
    data = HEADER.pack(len(payload)) + payload
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def parse(payload: bytes) -> dict:
    try:
        message = json.loads(payload.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise WireError(f"not a protocol frame: {exc}") from None
    if not isinstance(message, dict):
        raise WireError("a protocol frame must be a JSON object")
    return message


def recv_blocking(fd: int) -> dict:
    """Read one frame (the runner side: no deadline, the judge enforces those)."""
    header = _read_exact(fd, HEADER.size)
    (size,) = HEADER.unpack(header)
    if size > MAX_FRAME:
        raise WireError(f"frame of {size} bytes is over the limit")
    return parse(_read_exact(fd, size))


def _read_exact(fd: int, size: int) -> bytes:
    chunks, remaining = [], size
    while remaining:
        chunk = os.read(fd, min(remaining, 1 << 20))
        if not chunk:
            raise EOFError("the other side closed the channel")
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


# ------------------------------------------------------------------------- values


def _npy(array: np.ndarray) -> str:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _unnpy(text) -> np.ndarray:
    if not isinstance(text, str):
        raise WireError("array payload must be a string")
    try:
        return np.load(io.BytesIO(base64.b64decode(text)), allow_pickle=False)
    except Exception as exc:
        raise WireError(f"bad array payload: {exc}") from None


def encode(value, callback=None, depth: int = 0):
    """``value`` as JSON-ready data; ``callback(func) -> id`` handles functions (judge side)."""
    if depth > 50:
        raise Unsendable("value nested too deeply")
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return value if abs(value) < 2**53 else {"$int": str(value)}
    if isinstance(value, float):
        return {"$float": repr(value)} if value != value or value in (1e999, -1e999) else value
    if isinstance(value, complex):
        return {"$complex": [repr(value.real), repr(value.imag)]}
    if isinstance(value, np.ndarray):
        if value.dtype.hasobject:
            raise Unsendable("an array of Python objects (dtype=object)")
        return {"$nd": _npy(value)}
    if isinstance(value, np.generic):
        if isinstance(value, np.object_):
            raise Unsendable("a NumPy object scalar")
        return {"$np": _npy(np.asarray(value))}
    if isinstance(value, np.dtype) or (isinstance(value, type) and issubclass(value, np.generic)):
        return {"$dtype": np.dtype(value).str}
    if isinstance(value, tuple):
        return {"$tuple": [encode(v, callback, depth + 1) for v in value]}
    if isinstance(value, list):
        return [encode(v, callback, depth + 1) for v in value]
    if isinstance(value, dict):
        return {
            "$dict": [
                [encode(k, callback, depth + 1), encode(v, callback, depth + 1)]
                for k, v in value.items()
            ]
        }
    if isinstance(value, np.random.Generator):
        return {"$rng": encode(value.bit_generator.state, None, depth + 1)}
    if isinstance(value, slice):
        return {
            "$slice": [encode(v, None, depth + 1) for v in (value.start, value.stop, value.step)]
        }
    cls = type(value)
    if cls.__module__ in OBJECT_MODULES and hasattr(value, "__dict__"):
        return {
            "$obj": f"{cls.__module__}.{cls.__qualname__}",
            "state": encode(vars(value), callback, depth + 1),
        }
    if callable(value) and callback is not None:
        return {"$callback": callback(value)}
    raise Unsendable(f"an object of type {cls.__name__}")


def decode(data, stub=None, depth: int = 0):
    """The inverse of ``encode``; ``stub(id) -> function`` makes callbacks (runner side)."""
    if depth > 60:
        raise WireError("value nested too deeply")
    if data is None or isinstance(data, (bool, int, float, str)):
        return data
    if isinstance(data, list):
        return [decode(v, stub, depth + 1) for v in data]
    if not isinstance(data, dict) or len(data) not in (1, 2):
        raise WireError("unknown value encoding")
    if "$nd" in data:
        return _unnpy(data["$nd"])
    if "$np" in data:
        return _unnpy(data["$np"])[()]
    if "$int" in data:
        return int(data["$int"])
    if "$float" in data:
        return float(data["$float"])
    if "$complex" in data:
        re, im = data["$complex"]
        return complex(float(re), float(im))
    if "$dtype" in data:
        return np.dtype(data["$dtype"]).type
    if "$tuple" in data:
        return tuple(decode(v, stub, depth + 1) for v in data["$tuple"])
    if "$dict" in data:
        out = {}
        for pair in data["$dict"]:
            key, value = pair
            key = decode(key, stub, depth + 1)
            try:
                hash(key)
            except TypeError:
                raise WireError("unhashable dict key") from None
            out[key] = decode(value, stub, depth + 1)
        return out
    if "$slice" in data:
        return slice(*(decode(v, None, depth + 1) for v in data["$slice"]))
    if "$rng" in data:
        state = decode(data["$rng"], None, depth + 1)
        name = state.get("bit_generator") if isinstance(state, dict) else None
        if name not in ("PCG64", "PCG64DXSM", "MT19937", "Philox", "SFC64"):
            raise WireError(f"unknown bit generator {name!r}")
        bits = getattr(np.random, name)()
        bits.state = state
        return np.random.Generator(bits)
    if "$obj" in data:
        return _make_object(data["$obj"], decode(data.get("state"), stub, depth + 1))
    if "$callback" in data:
        if stub is None:
            raise WireError("a callback may only be sent to the runner")
        return stub(data["$callback"])
    raise WireError("unknown value encoding")


def _make_object(path, state):
    if not isinstance(path, str) or "." not in path:
        raise WireError("bad object class")
    module_name, _, qualname = path.rpartition(".")
    if module_name not in OBJECT_MODULES or not qualname.isidentifier():
        raise WireError(f"objects of {path} may not cross the sandbox boundary")
    cls = getattr(importlib.import_module(module_name), qualname, None)
    if not isinstance(cls, type) or cls.__module__ != module_name:
        raise WireError(f"no class {path}")
    if not isinstance(state, dict) or not all(isinstance(k, str) for k in state):
        raise WireError("object state must be a dict with string keys")
    obj = cls.__new__(cls)  # no __init__: the state below is all it gets
    obj.__dict__.update(state)
    return obj


def restore(original, after):
    """Copy ``after`` (the runner's view of an argument after a call) into ``original``.

    Arrays are updated in place, lists and dicts item by item, cnnkit objects attribute
    by attribute, so that the judge's own references see what the student's function
    changed, as they would have in one process. Returns the object to use.
    """
    if isinstance(original, np.ndarray) and isinstance(after, np.ndarray):
        if original.shape == after.shape and original.flags.writeable:
            try:
                original[...] = after
                return original
            except (TypeError, ValueError):
                return after
        return after
    if isinstance(original, list) and isinstance(after, list):
        if len(original) == len(after):
            for i, (a, b) in enumerate(zip(original, after, strict=True)):
                original[i] = restore(a, b)
        else:
            original[:] = after
        return original
    if isinstance(original, dict) and isinstance(after, dict):
        for key in [k for k in original if k not in after]:
            del original[key]
        for key, value in after.items():
            original[key] = restore(original[key], value) if key in original else value
        return original
    if isinstance(original, np.random.Generator) and isinstance(after, np.random.Generator):
        original.bit_generator.state = after.bit_generator.state
        return original
    if (
        type(original) is type(after)
        and type(original).__module__ in OBJECT_MODULES
        and hasattr(original, "__dict__")
    ):
        state = vars(original)
        for key in [k for k in state if k not in vars(after)]:
            del state[key]
        for key, value in vars(after).items():
            state[key] = restore(state[key], value) if key in state else value
        return original
    return after


def copy_back(args, kwargs: dict, reply: dict) -> None:
    """Apply what a call across the boundary changed in its arguments to the caller's own.

    ``reply`` carries the other side's view of the arguments after the call (``args``,
    ``kwargs``); both the judge (after a student's function) and the runner (after one
    of the judge's helpers) use this, so a call behaves as it would in one process.
    """
    if reply.get("args") is None:
        return
    for original, changed in zip(args, decode(reply["args"]), strict=False):
        restore(original, changed)
    for key, changed in decode(reply.get("kwargs", {"$dict": []})).items():
        if key in kwargs:
            restore(kwargs[key], changed)


def describe_exception(exc: BaseException) -> dict:
    """An exception as data: its type name, the names of its classes, its message."""
    return {
        "type": type(exc).__name__,
        "mro": [c.__name__ for c in type(exc).__mro__],
        "message": str(exc),
    }
