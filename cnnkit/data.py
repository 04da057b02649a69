"""Fashion-MNIST and MNIST from IDX files, found locally or downloaded and checked.

The four files of each dataset (``train-images-idx3-ubyte.gz``,
``train-labels-idx1-ubyte.gz``, ``t10k-images-idx3-ubyte.gz``,
``t10k-labels-idx1-ubyte.gz``, gzip-compressed or unpacked) are looked for in
this order:

1. the ``path`` argument, a directory; when given, it is the only place looked at;
2. the directory named by an environment variable (``CNNKIT_FASHION_MNIST`` or
   ``CNNKIT_MNIST``);
3. the directory of a Debian package (``dataset-fashion-mnist`` installs
   Fashion-MNIST in ``/usr/share/datasets/fashion-mnist``; no package ships MNIST);
4. the user cache, ``$XDG_CACHE_HOME/cnnkit/<name>`` or ``~/.cache/cnnkit/<name>``;
5. a download from the public mirrors into that cache (``download=True``).

Every file is checked against published checksums before use, at most once per
file per process. The SHA-256 sums are those of the *unpacked* IDX bytes, because
Debian recompressed the ``.gz`` files and so changed their MD5 sums; a ``.gz`` file
whose MD5 is the published one is accepted too. No SHA-256 of the unpacked MNIST
files is published, so a local MNIST copy that is not byte-identical to the
published ``.gz`` is accepted after the structural checks alone (header, shape,
label range); a downloaded file must always match.

``DATASETS`` holds every location and checksum, so a test (or a course site
with its own mirror) can point them elsewhere.
"""

from __future__ import annotations

import gzip
import hashlib
import http.client
import math
import os
import shutil
import struct
import sys
import tempfile
import urllib.request
import warnings
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import numpy as np

from cnnkit._validate import check_choice

__all__ = [
    "DATASETS",
    "FASHION_MNIST_CLASSES",
    "ChecksumError",
    "DatasetLocation",
    "DatasetNotFoundError",
    "DatasetSpec",
    "FileSpec",
    "IDXFormatError",
    "find_dataset",
    "load_fashion_mnist",
    "load_mnist",
    "read_idx",
]

FASHION_MNIST_CLASSES = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)

# Seconds without data before a download from one mirror is given up.
DOWNLOAD_TIMEOUT = 30


class IDXFormatError(ValueError):
    """A file is not a well-formed IDX file (or not the one expected); the message names it."""


class ChecksumError(ValueError):
    """A file is well formed but its content differs from the published data."""


class DatasetNotFoundError(FileNotFoundError):
    """No location holds a usable copy; the message lists each place tried and how to fix it."""


@dataclass(frozen=True)
class FileSpec:
    """One IDX file of a dataset.

    Attributes
    ----------
    filename : str
        Published name, with ``.gz``; the unpacked name drops the suffix.
    shape : tuple of int
        Shape of the array stored in the file.
    sha256 : str or None
        SHA-256 of the unpacked IDX bytes, or None where none is known.
    gz_md5 : str or None
        Published MD5 of the ``.gz`` file.
    """

    filename: str
    shape: tuple
    sha256: str | None
    gz_md5: str | None


@dataclass(frozen=True)
class DatasetSpec:
    """Where a dataset may be and what its files must contain.

    Attributes
    ----------
    title : str
        Name used in messages.
    env_var : str
        Environment variable that may name a directory holding the files.
    debian_dir : pathlib.Path or None
        Directory a Debian package installs the files in.
    debian_package : str or None
        That package's name, for the advice in error messages.
    mirrors : tuple of str
        Base URLs (ending in ``/``) tried in order for a download.
    splits : dict
        ``{"train": (images, labels), "test": (images, labels)}`` of `FileSpec`.
    n_classes : int
        Labels must lie in ``0 .. n_classes - 1``.
    """

    title: str
    env_var: str
    debian_dir: Path | None
    debian_package: str | None
    mirrors: tuple
    splits: dict
    n_classes: int = 10


# SHA-256 of the unpacked files, computed from Debian's dataset-fashion-mnist; the
# unpacked sizes (47,040,016 / 60,008 / 7,840,016 / 10,008 bytes) match the shapes.
# The MD5 sums are the ones published with each dataset.
DATASETS = {
    "fashion-mnist": DatasetSpec(
        title="Fashion-MNIST",
        env_var="CNNKIT_FASHION_MNIST",
        debian_dir=Path("/usr/share/datasets/fashion-mnist"),
        debian_package="dataset-fashion-mnist",
        mirrors=("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",),
        splits={
            "train": (
                FileSpec(
                    "train-images-idx3-ubyte.gz",
                    (60000, 28, 28),
                    "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
                    "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
                ),
                FileSpec(
                    "train-labels-idx1-ubyte.gz",
                    (60000,),
                    "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
                    "25c81989df183df01b3e8a0aad5dffbe",
                ),
            ),
            "test": (
                FileSpec(
                    "t10k-images-idx3-ubyte.gz",
                    (10000, 28, 28),
                    "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
                    "bef4ecab320f06d8554ea6380940ec79",
                ),
                FileSpec(
                    "t10k-labels-idx1-ubyte.gz",
                    (10000,),
                    "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
                    "bb300cfdad3c16e7a12a480ee83cd310",
                ),
            ),
        },
    ),
    "mnist": DatasetSpec(
        title="MNIST",
        env_var="CNNKIT_MNIST",
        debian_dir=None,
        debian_package=None,
        mirrors=(
            "https://ossci-datasets.s3.amazonaws.com/mnist/",
            "https://storage.googleapis.com/cvdf-datasets/mnist/",
        ),
        splits={
            "train": (
                FileSpec(
                    "train-images-idx3-ubyte.gz",
                    (60000, 28, 28),
                    None,
                    "f68b3c2dcbeaaa9fbdd348bbdeb94873",
                ),
                FileSpec(
                    "train-labels-idx1-ubyte.gz",
                    (60000,),
                    None,
                    "d53e105ee54ea40749a09fcbcd1e9432",
                ),
            ),
            "test": (
                FileSpec(
                    "t10k-images-idx3-ubyte.gz",
                    (10000, 28, 28),
                    None,
                    "9fb629c4189551a2d022fa330f9573f3",
                ),
                FileSpec(
                    "t10k-labels-idx1-ubyte.gz",
                    (10000,),
                    None,
                    "ec29112dd5afa0611ce80d1b7f02629c",
                ),
            ),
        },
    ),
}


class DatasetLocation(NamedTuple):
    """Where the files of one split were found.

    Attributes
    ----------
    name : str
        ``"fashion-mnist"`` or ``"mnist"``.
    split : str
        ``"train"`` or ``"test"``.
    source : str
        ``"path"``, ``"env"``, ``"debian"``, ``"cache"`` or ``"download"`` (downloaded
        into the cache by this call).
    directory : pathlib.Path
        Directory holding the files.
    images, labels : pathlib.Path
        The two files read.
    """

    name: str
    split: str
    source: str
    directory: Path
    images: Path
    labels: Path


# IDX data-type byte -> big-endian dtype of the stored values.
_IDX_DTYPES = {
    0x08: np.dtype(np.uint8),
    0x09: np.dtype(np.int8),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}

# Files whose checksum already matched, keyed so that a file changed on disk is
# checked again: (resolved path, size, mtime in ns, expected sha256, expected md5).
_VERIFIED: set = set()


def _unpack(raw, source):
    """Return the IDX bytes of ``raw``, gunzipping it when it starts with the gzip magic."""
    # Sniff the content rather than trust the suffix: browsers often unpack a
    # download and keep the ".gz" name.
    if raw[:2] != b"\x1f\x8b":
        return raw, False
    try:
        return gzip.decompress(raw), True
    except EOFError:
        raise IDXFormatError(
            f"{source}: truncated gzip file (the compressed stream ends early)"
        ) from None
    except (OSError, zlib.error) as exc:
        raise IDXFormatError(f"{source}: corrupt gzip data ({exc})") from None


def _parse_idx(data, source):
    """Parse the bytes of an unpacked IDX file into a native-endian array (a copy)."""
    if len(data) < 4:
        raise IDXFormatError(f"{source}: {len(data)} bytes is too short for an IDX header")
    if data[0] != 0 or data[1] != 0:
        magic = int.from_bytes(data[:4], "big")
        raise IDXFormatError(
            f"{source}: not an IDX file (magic number 0x{magic:08X}; an IDX file starts "
            "with two zero bytes, a data-type byte and the number of dimensions) "
            "and not gzip-compressed either"
        )
    code, ndim = data[2], data[3]
    if code not in _IDX_DTYPES:
        known = ", ".join(f"0x{c:02X}" for c in _IDX_DTYPES)
        raise IDXFormatError(f"{source}: unknown IDX data-type byte 0x{code:02X} (known: {known})")
    if ndim == 0:
        raise IDXFormatError(f"{source}: IDX header declares 0 dimensions")
    header = 4 + 4 * ndim
    if len(data) < header:
        raise IDXFormatError(
            f"{source}: truncated IDX header ({len(data)} bytes, {header} needed for "
            f"{ndim} dimensions)"
        )
    shape = struct.unpack(f">{ndim}I", data[4:header])
    dtype = _IDX_DTYPES[code]
    count = math.prod(shape)
    expected = header + count * dtype.itemsize
    if len(data) != expected:
        problem = "truncated" if len(data) < expected else "has trailing bytes"
        raise IDXFormatError(
            f"{source}: {problem}: the header declares shape {shape} of {dtype.name} "
            f"({expected:,} bytes with the header), but the data is {len(data):,} bytes"
        )
    values = np.frombuffer(data, dtype=dtype, count=count, offset=header)
    # astype copies: the caller gets a writable array that does not pin `data`.
    return values.reshape(shape).astype(dtype.newbyteorder("="))


def read_idx(path):
    """Read one IDX file, gzip-compressed or not.

    Parameters
    ----------
    path : str or os.PathLike
        The file. Compression is recognised from the content, not the name.

    Returns
    -------
    numpy.ndarray
        The stored array with the shape declared in the header and a native-endian
        dtype (``uint8`` for MNIST's type byte 0x08); a new, writable array.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    IDXFormatError
        A ``ValueError`` naming the file when it is corrupt gzip, not IDX (wrong magic
        number or data-type byte), truncated, or longer than its header declares.
    """
    path = Path(path)
    data, _ = _unpack(path.read_bytes(), path)
    return _parse_idx(data, path)


def _expected_magic(spec):
    return 0x0800 | len(spec.shape)


def _load_checked(path, spec, *, require_checksum):
    """Read ``path`` and check it against ``spec``; return the array (uint8).

    ``require_checksum`` refuses a file no known checksum vouches for (downloads).
    """
    stat = path.stat()
    raw = path.read_bytes()
    data, was_gz = _unpack(raw, path)
    magic = int.from_bytes(data[:4], "big") if len(data) >= 4 else None
    if magic is not None and data[:2] == b"\0\0" and magic != _expected_magic(spec):
        kind = "image" if len(spec.shape) == 3 else "label"
        raise IDXFormatError(
            f"{path}: expected an IDX {kind} file (magic number "
            f"0x{_expected_magic(spec):08X}: unsigned bytes, {len(spec.shape)} dimensions), "
            f"got magic number 0x{magic:08X}"
        )
    arr = _parse_idx(data, path)
    if arr.shape != tuple(spec.shape):
        raise IDXFormatError(
            f"{path}: expected shape {tuple(spec.shape)} for {spec.filename}, got {arr.shape}"
        )
    key = _verified_key(path, stat, spec)
    if key not in _VERIFIED:
        _verify(path, raw, data, was_gz, spec, require_checksum)
        _VERIFIED.add(key)
    return arr


def _verified_key(path, stat, spec):
    return (str(path.resolve()), stat.st_size, stat.st_mtime_ns, spec.sha256, spec.gz_md5)


def _digest(algorithm, data):
    # MD5 only identifies the published files; usedforsecurity=False keeps FIPS builds happy.
    return hashlib.new(algorithm, data, usedforsecurity=False).hexdigest()


def _verify(path, raw, data, was_gz, spec, require_checksum):
    if spec.sha256 is not None:
        got = _digest("sha256", data)
        if got == spec.sha256:
            return
        problem = f"SHA-256 of the unpacked data is {got}, expected {spec.sha256}"
    else:
        problem = "no SHA-256 of the unpacked data is known"
    if was_gz and spec.gz_md5 is not None:
        got = _digest("md5", raw)
        if got == spec.gz_md5:
            return
        problem += f"; MD5 of the .gz file is {got}, published {spec.gz_md5}"
    if spec.sha256 is None and not require_checksum:
        # Nothing to compare with (e.g. a recompressed MNIST copy): the header,
        # shape and label checks are all that can be done.
        return
    raise ChecksumError(f"{path}: content differs from the published {spec.filename} ({problem})")


class _Absent(Exception):
    """A location simply does not hold the files (as opposed to holding bad ones)."""


def _load_from_dir(directory, dspec, split, *, require_checksum=False):
    """Return ``(images, labels, image_path, label_path)`` from ``directory``.

    Raises `_Absent` when the directory or a file is missing, and `IDXFormatError`,
    `ChecksumError` or `OSError` when a file is there but unusable.
    """
    if not directory.exists():
        raise _Absent("directory does not exist")
    if not directory.is_dir():
        raise _Absent("not a directory")
    arrays, paths = [], []
    for spec in dspec.splits[split]:
        unpacked = spec.filename.removesuffix(".gz")
        for candidate in (directory / spec.filename, directory / unpacked):
            if candidate.is_file():
                break
        else:
            raise _Absent(f"no {spec.filename} (nor unpacked {unpacked})")
        arrays.append(_load_checked(candidate, spec, require_checksum=require_checksum))
        paths.append(candidate)
    images, labels = arrays
    if labels.size and labels.max() >= dspec.n_classes:
        raise IDXFormatError(
            f"{paths[1]}: labels must lie in 0..{dspec.n_classes - 1}, found {labels.max()}"
        )
    return images, labels, paths[0], paths[1]


def _cache_dir(name):
    """``$XDG_CACHE_HOME/cnnkit/<name>``, else ``~/.cache/cnnkit/<name>``."""
    base = os.environ.get("XDG_CACHE_HOME", "")
    # The XDG spec says to ignore a relative value.
    root = Path(base) if base and os.path.isabs(base) else Path.home() / ".cache"
    return root / "cnnkit" / name


def _fetch(url, dest):
    """Copy the body at ``url`` into the open binary file ``dest``."""
    with urllib.request.urlopen(url, timeout=DOWNLOAD_TIMEOUT) as response:
        shutil.copyfileobj(response, dest, 1 << 20)


def _download_file(cache, spec, mirrors, failures):
    """Download ``spec`` into ``cache`` atomically; return its path or None, noting failures."""
    target = cache / spec.filename
    for base in mirrors:
        url = base + spec.filename
        tmp = None
        try:
            cache.mkdir(parents=True, exist_ok=True)
            # A temporary name in the same directory, renamed only once verified, so
            # no reader ever sees a partial or unverified file under the real name.
            with tempfile.NamedTemporaryFile(
                dir=cache, prefix=f".{spec.filename}.", suffix=".part", delete=False
            ) as f:
                tmp = Path(f.name)
                print(f"cnnkit: downloading {url}", file=sys.stderr)
                _fetch(url, f)
            _load_checked(tmp, spec, require_checksum=True)
            os.replace(tmp, target)
            tmp = None
            # A rename keeps size and mtime: record the check under the final name.
            _VERIFIED.add(_verified_key(target, target.stat(), spec))
            return target
        except (OSError, ValueError, http.client.HTTPException) as exc:
            failures.append(f"{url}: {exc}")
        finally:
            if tmp is not None:
                tmp.unlink(missing_ok=True)
    return None


def _locate(name, split, path, download, stacklevel):
    """Find, check and read one split; return ``(location, images, labels)``.

    ``stacklevel`` makes warnings point at the line that called the public function.
    """
    check_choice("name", name, tuple(DATASETS))
    check_choice("split", split, ("train", "test"))
    dspec = DATASETS[name]
    filenames = " and ".join(s.filename for s in dspec.splits[split])

    if path is not None:
        directory = Path(os.fspath(path)).expanduser()
        places = [("path", f"path={str(path)!r} ({directory})", directory)]
    else:
        places = []
        env = os.environ.get(dspec.env_var, "")
        if env:
            directory = Path(env).expanduser()
            places.append(("env", f"${dspec.env_var} ({directory})", directory))
        if dspec.debian_dir is not None:
            places.append(
                (
                    "debian",
                    f"Debian package {dspec.debian_package} ({dspec.debian_dir})",
                    Path(dspec.debian_dir),
                )
            )
        places.append(("cache", f"user cache ({_cache_dir(name)})", _cache_dir(name)))

    tried = []
    if path is None and not os.environ.get(dspec.env_var, ""):
        tried.append(f"${dspec.env_var}: not set")
    for source, where, directory in places:
        try:
            images, labels, ipath, lpath = _load_from_dir(directory, dspec, split)
        except _Absent as exc:
            tried.append(f"{where}: {exc}")
            continue
        except (OSError, ValueError) as exc:
            if source == "path":
                raise  # the caller named these files: say what is wrong with them
            tried.append(f"{where}: {exc}")
            warnings.warn(f"cnnkit: ignoring {where}: {exc}", stacklevel=stacklevel)
            continue
        return DatasetLocation(name, split, source, directory, ipath, lpath), images, labels

    if path is None:
        if not download:
            tried.append("download: not attempted (download=False)")
        else:
            cache = _cache_dir(name)
            failures = []
            got = []
            for spec in dspec.splits[split]:
                target = cache / spec.filename
                try:
                    # The other file of the pair may already be there and good.
                    _load_checked(target, spec, require_checksum=True)
                    got.append(target)
                    continue
                except (OSError, ValueError):
                    pass
                got.append(_download_file(cache, spec, dspec.mirrors, failures))
            if None not in got:
                try:
                    images, labels, ipath, lpath = _load_from_dir(
                        cache, dspec, split, require_checksum=True
                    )
                except (_Absent, OSError, ValueError) as exc:
                    failures.append(f"{cache}: {exc}")
                else:
                    loc = DatasetLocation(name, split, "download", cache, ipath, lpath)
                    return loc, images, labels
            tried.append(
                "download into the user cache failed:\n"
                + "\n".join(f"       - {f}" for f in failures)
            )

    fixes = [
        f"pass path=DIR, a directory holding {filenames} (gzip-compressed or unpacked)",
        f"set the environment variable {dspec.env_var}=DIR",
    ]
    if dspec.debian_package and path is None:
        fixes.append(f"install the Debian package: sudo apt-get install {dspec.debian_package}")
    if path is None and not download:
        fixes.append("allow the download: download=True (needs internet access)")
    elif path is None:
        fixes.append("check the internet connection; the URLs tried are listed above")
    raise DatasetNotFoundError(
        f"{dspec.title} ({split} split) not found. Tried, in order:\n"
        + "\n".join(f"  {i}. {t}" for i, t in enumerate(tried, 1))
        + "\nTo fix, do one of:\n"
        + "\n".join(f"  - {f}" for f in fixes)
    )


def find_dataset(name, split="train", path=None, *, download=False):
    """Locate and check one split of a dataset without converting it.

    Parameters
    ----------
    name : {"fashion-mnist", "mnist"}
    split : {"train", "test"}
    path : str or os.PathLike, optional
        A directory; when given, the only place looked at.
    download : bool, default False
        Download into the user cache when no local copy is found.

    Returns
    -------
    DatasetLocation
        ``source`` tells which rule of the search order matched.

    Raises
    ------
    DatasetNotFoundError
        Listing every place tried and why it failed, and how to fix it.
    IDXFormatError, ChecksumError
        When the files in an explicit ``path`` are corrupt or not the published ones.
    """
    return _locate(name, split, path, download, stacklevel=3)[0]


def _load(name, split, path, normalize, download):
    _, images, labels = _locate(name, split, path, download, stacklevel=4)
    if normalize:
        images = images.astype(np.float32)
        images /= 255
    return images, labels.astype(np.int64)


def load_fashion_mnist(split="train", path=None, *, normalize=False, download=True):
    """Load Fashion-MNIST (Zalando's 28x28 grey images of clothing, 10 classes).

    Parameters
    ----------
    split : {"train", "test"}
        60,000 training or 10,000 test images.
    path : str or os.PathLike, optional
        Directory holding the IDX files; when given, the only place looked at.
        Otherwise ``$CNNKIT_FASHION_MNIST``, the Debian package's directory, the user
        cache and then a download are tried in turn (see the module docstring).
    normalize : bool, default False
        False: pixels as stored, uint8 in 0..255. True: float32 in [0, 1] (x / 255).
    download : bool, default True
        Download into the user cache when no local copy is found.

    Returns
    -------
    X : numpy.ndarray
        Shape (N, 28, 28); uint8, or float32 when ``normalize``. N is 60,000 or 10,000.
    y : numpy.ndarray
        Shape (N,), int64 class indices 0..9; names in `FASHION_MNIST_CLASSES`.

    Raises
    ------
    DatasetNotFoundError
        A ``FileNotFoundError`` listing every place tried and why it failed.
    IDXFormatError, ChecksumError
        Both ``ValueError``: the files in an explicit ``path`` are unusable.
    """
    return _load("fashion-mnist", split, path, normalize, download)


def load_mnist(split="train", path=None, *, normalize=False, download=True):
    """Load MNIST (LeCun, Cortes and Burges' 28x28 handwritten digits).

    Same parameters, search order and returns as `load_fashion_mnist`, with
    ``$CNNKIT_MNIST`` as the environment variable and no Debian package; y is the
    digit 0..9.

    Returns
    -------
    X : numpy.ndarray
        Shape (N, 28, 28); uint8, or float32 in [0, 1] when ``normalize``.
    y : numpy.ndarray
        Shape (N,), int64 digits 0..9.
    """
    return _load("mnist", split, path, normalize, download)


def _main(argv=None):
    """``python -m cnnkit.data``: find or download (checked) both splits of Fashion-MNIST."""
    import argparse

    parser = argparse.ArgumentParser(
        prog="python -m cnnkit.data",
        description="Find Fashion-MNIST, or download it into the user cache and check it.",
    )
    parser.add_argument("--name", default="fashion-mnist", choices=sorted(DATASETS))
    args = parser.parse_args(argv)
    try:
        for split in ("train", "test"):
            loc = find_dataset(args.name, split, download=True)
            print(f"{DATASETS[args.name].title} {split}: {loc.directory} ({loc.source})")
    except (OSError, ValueError) as exc:
        print(exc, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(_main())
