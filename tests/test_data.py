"""Tests for cnnkit.data: IDX parsing, the search order, downloads and the real files.

Small IDX files are written here with an independent writer; the dataset table is
swapped for one describing them, with checksums computed by hashlib from the bytes
written. Downloads are served by a local http.server on 127.0.0.1, never the internet.
"""

from __future__ import annotations

import dataclasses
import functools
import gzip
import hashlib
import http.server
import os
import socket
import struct
import threading
from pathlib import Path

import numpy as np
import pytest

from cnnkit import data

DEBIAN_DIR = Path("/usr/share/datasets/fashion-mnist")
# Read before the isolation fixture clears it: a real MNIST copy is tested if set.
REAL_MNIST_DIR = os.environ.get("CNNKIT_MNIST")

IDX_CODES = {"uint8": 0x08, "int8": 0x09, "int16": 0x0B, "int32": 0x0C, "float32": 0x0D}
NAMES = {
    "train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
    "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
}


def idx_bytes(arr, code=None):
    """Serialise ``arr`` as IDX (big-endian header and values), written from the spec."""
    arr = np.asarray(arr)
    code = IDX_CODES[arr.dtype.name] if code is None else code
    header = bytes([0, 0, code, arr.ndim]) + struct.pack(f">{arr.ndim}I", *arr.shape)
    return header + arr.astype(arr.dtype.newbyteorder(">")).tobytes()


def gz(raw):
    return gzip.compress(raw, mtime=0)


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch):
    """Keep the real environment, cache and earlier checks out of every test."""
    for var in ("CNNKIT_FASHION_MNIST", "CNNKIT_MNIST"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.setattr(data, "_VERIFIED", set())
    return tmp_path


@dataclasses.dataclass
class Fake:
    arrays: dict  # split -> (X uint8 (N, 28, 28), y uint8 (N,))
    raw: dict  # file name (.gz) -> unpacked IDX bytes
    spec: data.DatasetSpec
    cache: Path

    def write(self, directory, *, split="train", compress=True, which=(0, 1)):
        directory.mkdir(parents=True, exist_ok=True)
        for i in which:
            name = NAMES[split][i]
            if compress:
                (directory / name).write_bytes(gz(self.raw[name]))
            else:
                (directory / name.removesuffix(".gz")).write_bytes(self.raw[name])
        return directory

    def use(self, monkeypatch, **changes):
        spec = dataclasses.replace(self.spec, **changes)
        monkeypatch.setitem(data.DATASETS, "fashion-mnist", spec)


@pytest.fixture
def fake(tmp_path, monkeypatch):
    """A miniature Fashion-MNIST (6 train, 4 test images) replacing the real table entry."""
    rng = np.random.default_rng(0)
    arrays, raw, splits = {}, {}, {}
    for split, n in (("train", 6), ("test", 4)):
        X = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
        y = rng.integers(0, 10, size=n, dtype=np.uint8)
        arrays[split] = (X, y)
        specs = []
        for name, arr in zip(NAMES[split], (X, y), strict=True):
            raw[name] = idx_bytes(arr)
            specs.append(
                data.FileSpec(
                    name,
                    arr.shape,
                    hashlib.sha256(raw[name]).hexdigest(),
                    hashlib.md5(gz(raw[name])).hexdigest(),
                )
            )
        splits[split] = tuple(specs)
    spec = dataclasses.replace(
        data.DATASETS["fashion-mnist"],
        debian_dir=tmp_path / "debian",
        mirrors=(),
        splits=splits,
    )
    f = Fake(arrays, raw, spec, tmp_path / "xdg" / "cnnkit" / "fashion-mnist")
    f.use(monkeypatch)
    return f


def without_sha256(spec):
    """The spec as for MNIST, where only the .gz MD5 sums are published."""
    return {
        split: tuple(dataclasses.replace(f, sha256=None) for f in files)
        for split, files in spec.splits.items()
    }


# --------------------------------------------------------------------------- read_idx


@pytest.mark.parametrize("compress", [False, True])
@pytest.mark.parametrize("dtype", ["uint8", "int8", "int16", "int32", "float32"])
def test_read_idx_round_trip(tmp_path, compress, dtype):
    rng = np.random.default_rng(1)
    arr = (rng.standard_normal((3, 5, 4)) * 100).astype(dtype)
    raw = idx_bytes(arr)
    path = tmp_path / ("a.idx.gz" if compress else "a.idx")
    path.write_bytes(gz(raw) if compress else raw)
    got = data.read_idx(path)
    assert got.shape == (3, 5, 4)
    assert got.dtype == np.dtype(dtype)
    assert got.dtype.isnative
    np.testing.assert_array_equal(got, arr)
    got[0, 0, 0] = 1  # a fresh writable array, not a view of the file's bytes


def test_read_idx_one_dimensional_labels(tmp_path):
    path = tmp_path / "labels"
    path.write_bytes(bytes([0, 0, 8, 1, 0, 0, 0, 3, 7, 0, 9]))
    np.testing.assert_array_equal(data.read_idx(str(path)), [7, 0, 9])


def test_read_idx_sniffs_compression_not_suffix(tmp_path):
    arr = np.arange(12, dtype=np.uint8).reshape(3, 4)
    unpacked_named_gz = tmp_path / "x.gz"
    unpacked_named_gz.write_bytes(idx_bytes(arr))
    packed_named_plain = tmp_path / "x-idx2-ubyte"
    packed_named_plain.write_bytes(gz(idx_bytes(arr)))
    np.testing.assert_array_equal(data.read_idx(unpacked_named_gz), arr)
    np.testing.assert_array_equal(data.read_idx(packed_named_plain), arr)


def _good():
    return idx_bytes(np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4))


def _corrupt_gzip():
    packed = bytearray(gz(np.random.default_rng(2).bytes(4000)))
    packed[len(packed) // 2] ^= 0xFF
    return bytes(packed)


BROKEN = {
    "empty": (b"", "too short"),
    "truncated data": (_good()[:-1], "truncated"),
    "truncated header": (_good()[:10], "truncated IDX header"),
    "trailing bytes": (_good() + b"\0", "trailing bytes"),
    "dimension mismatch": (
        bytes([0, 0, 8, 3]) + struct.pack(">3I", 2, 3, 5) + _good()[16:],
        r"shape \(2, 3, 5\)",
    ),
    "wrong magic": (b"\x01\x02" + _good()[2:], "not an IDX file"),
    "html page": (b"<!DOCTYPE html><html>Not Found</html>", "not an IDX file"),
    "wrong dtype byte": (bytes([0, 0, 0x07, 3]) + _good()[4:], "data-type byte 0x07"),
    "zero dimensions": (bytes([0, 0, 8, 0]), "0 dimensions"),
    "corrupt gzip": (_corrupt_gzip(), "corrupt gzip"),
    "truncated gzip": (gz(_good())[:-12], "truncated gzip"),
    "gzip then junk": (gz(_good()) + b"junk", "corrupt gzip"),
    "gzip of a truncated file": (gz(_good()[:-5]), "truncated"),
}


@pytest.mark.parametrize("case", BROKEN)
def test_read_idx_rejects_broken_files(tmp_path, case):
    content, message = BROKEN[case]
    path = tmp_path / "broken-file.gz"
    path.write_bytes(content)
    with pytest.raises(data.IDXFormatError, match=message) as info:
        data.read_idx(path)
    assert isinstance(info.value, ValueError)
    assert str(path) in str(info.value)


def test_read_idx_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError):
        data.read_idx(tmp_path / "nope.gz")


# --------------------------------------------------------------------- loading a copy


@pytest.mark.parametrize("compress", [True, False])
@pytest.mark.parametrize("split", ["train", "test"])
def test_load_from_explicit_path(fake, tmp_path, split, compress):
    directory = fake.write(tmp_path / "mine", split=split, compress=compress)
    X, y = data.load_fashion_mnist(split, path=directory, download=False)
    X0, y0 = fake.arrays[split]
    assert X.dtype == np.uint8 and X.shape == X0.shape
    assert y.dtype == np.int64 and y.shape == y0.shape
    np.testing.assert_array_equal(X, X0)
    np.testing.assert_array_equal(y, y0)


def test_normalize_gives_float32_in_unit_interval(fake, tmp_path):
    directory = fake.write(tmp_path / "mine")
    X, _ = data.load_fashion_mnist(path=str(directory), normalize=True, download=False)
    X0 = fake.arrays["train"][0]
    assert X.dtype == np.float32
    np.testing.assert_allclose(X, X0 / 255.0, rtol=1e-6)
    assert X.min() >= 0 and X.max() <= 1


def test_bad_arguments_name_the_argument(fake, tmp_path):
    with pytest.raises(ValueError, match="split"):
        data.load_fashion_mnist("validation", path=tmp_path, download=False)
    with pytest.raises(ValueError, match="name"):
        data.find_dataset("cifar-10")


LOCATIONS = ("path", "env", "debian", "cache")


@pytest.mark.parametrize(
    "present",
    [LOCATIONS, LOCATIONS[1:], LOCATIONS[2:], LOCATIONS[3:]],
    ids=lambda p: "+".join(p),
)
def test_search_order(fake, tmp_path, monkeypatch, present):
    dirs = {
        "path": tmp_path / "explicit",
        "env": tmp_path / "from-env",
        "debian": tmp_path / "debian",
        "cache": fake.cache,
    }
    for where in present:
        fake.write(dirs[where])
    monkeypatch.setenv("CNNKIT_FASHION_MNIST", str(dirs["env"]))
    path = dirs["path"] if "path" in present else None
    found = data.find_dataset("fashion-mnist", "train", path)
    assert found.source == present[0]
    assert found.directory == dirs[present[0]]
    assert found.images == dirs[present[0]] / "train-images-idx3-ubyte.gz"
    X, y = data.load_fashion_mnist(path=path, download=False)
    np.testing.assert_array_equal(y, fake.arrays["train"][1])


def test_explicit_path_is_the_only_place_looked_at(fake, tmp_path):
    fake.write(fake.spec.debian_dir)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(data.DatasetNotFoundError) as info:
        data.load_fashion_mnist(path=empty, download=True)
    message = str(info.value)
    assert str(empty) in message
    assert "no train-images-idx3-ubyte.gz" in message
    assert str(fake.spec.debian_dir) not in message


def test_corrupt_file_in_explicit_path_is_reported_not_skipped(fake, tmp_path):
    directory = fake.write(tmp_path / "mine")
    (directory / "train-labels-idx1-ubyte.gz").write_bytes(gz(fake.raw[NAMES["train"][1]])[:-9])
    fake.write(fake.spec.debian_dir)
    with pytest.raises(data.IDXFormatError, match="truncated gzip") as info:
        data.load_fashion_mnist(path=directory, download=False)
    assert "train-labels-idx1-ubyte.gz" in str(info.value)


def test_bad_copy_in_env_dir_warns_and_falls_through(fake, tmp_path, monkeypatch):
    env_dir = fake.write(tmp_path / "from-env")
    X0 = fake.arrays["train"][0]
    tampered = X0.copy()
    tampered[0, 0, 0] ^= 1
    (env_dir / "train-images-idx3-ubyte.gz").write_bytes(gz(idx_bytes(tampered)))
    fake.write(fake.spec.debian_dir)
    monkeypatch.setenv("CNNKIT_FASHION_MNIST", str(env_dir))
    with pytest.warns(UserWarning, match="CNNKIT_FASHION_MNIST.*content differs"):
        found = data.find_dataset("fashion-mnist")
    assert found.source == "debian"


def test_checksum_mismatch_is_rejected(fake, tmp_path):
    directory = fake.write(tmp_path / "mine")
    y = fake.arrays["train"][1].copy()
    y[0] = (y[0] + 1) % 10
    (directory / "train-labels-idx1-ubyte.gz").write_bytes(gz(idx_bytes(y)))
    with pytest.raises(data.ChecksumError, match="SHA-256") as info:
        data.load_fashion_mnist(path=directory, download=False)
    assert "train-labels-idx1-ubyte.gz" in str(info.value)


def test_swapped_files_are_named(fake, tmp_path):
    directory = tmp_path / "mine"
    directory.mkdir()
    (directory / "train-images-idx3-ubyte").write_bytes(fake.raw[NAMES["train"][1]])
    (directory / "train-labels-idx1-ubyte").write_bytes(fake.raw[NAMES["train"][0]])
    with pytest.raises(data.IDXFormatError, match="expected an IDX image file"):
        data.load_fashion_mnist(path=directory, download=False)


def test_wrong_split_file_is_rejected(fake, tmp_path):
    directory = tmp_path / "mine"
    directory.mkdir()
    # The test images under the train name: well formed, but 4 images, not 6.
    (directory / "train-images-idx3-ubyte").write_bytes(fake.raw[NAMES["test"][0]])
    (directory / "train-labels-idx1-ubyte").write_bytes(fake.raw[NAMES["train"][1]])
    with pytest.raises(data.IDXFormatError, match=r"expected shape \(6, 28, 28\)"):
        data.load_fashion_mnist(path=directory, download=False)


def test_unverifiable_copy_still_gets_label_range_check(fake, tmp_path, monkeypatch):
    fake.use(monkeypatch, splits=without_sha256(fake.spec))
    directory = fake.write(tmp_path / "mine", compress=False)
    y = fake.arrays["train"][1].copy()
    y[2] = 10
    (directory / "train-labels-idx1-ubyte").write_bytes(idx_bytes(y))
    with pytest.raises(data.IDXFormatError, match=r"labels must lie in 0\.\.9, found 10"):
        data.load_fashion_mnist(path=directory, download=False)


def test_mnist_style_local_copies_are_checked_by_md5_or_structure(fake, tmp_path, monkeypatch):
    fake.use(monkeypatch, splits=without_sha256(fake.spec))
    # Unpacked, or recompressed (different .gz bytes): nothing to compare with.
    unpacked = fake.write(tmp_path / "unpacked", compress=False)
    recompressed = tmp_path / "recompressed"
    recompressed.mkdir()
    for name in NAMES["train"]:
        (recompressed / name).write_bytes(gzip.compress(fake.raw[name], compresslevel=1, mtime=7))
    for directory in (unpacked, recompressed, fake.write(tmp_path / "published")):
        _, y = data.load_fashion_mnist(path=directory, download=False)
        np.testing.assert_array_equal(y, fake.arrays["train"][1])


def test_checksums_are_computed_once_per_file(fake, tmp_path, monkeypatch):
    calls = []
    real_digest = data._digest

    def counting(algorithm, payload):
        calls.append(algorithm)
        return real_digest(algorithm, payload)

    monkeypatch.setattr(data, "_digest", counting)
    directory = fake.write(tmp_path / "mine")
    data.load_fashion_mnist(path=directory, download=False)
    assert calls == ["sha256", "sha256"]
    data.load_fashion_mnist(path=directory, download=False)
    data.find_dataset("fashion-mnist", path=directory)
    assert len(calls) == 2
    labels = directory / "train-labels-idx1-ubyte.gz"
    st = labels.stat()
    os.utime(labels, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    data.load_fashion_mnist(path=directory, download=False)
    assert len(calls) == 3


def test_nothing_found_lists_every_place_and_the_fixes(fake, tmp_path, monkeypatch):
    env_dir = tmp_path / "typo"
    monkeypatch.setenv("CNNKIT_FASHION_MNIST", str(env_dir))
    with pytest.raises(data.DatasetNotFoundError) as info:
        data.load_fashion_mnist("test", download=False)
    assert isinstance(info.value, FileNotFoundError)
    message = str(info.value)
    assert "Fashion-MNIST (test split)" in message
    places = [
        f"$CNNKIT_FASHION_MNIST ({env_dir}): directory does not exist",
        f"Debian package dataset-fashion-mnist ({fake.spec.debian_dir}): directory does not exist",
        f"user cache ({fake.cache}): directory does not exist",
        "download: not attempted (download=False)",
    ]
    positions = [message.index(p) for p in places]
    assert positions == sorted(positions)
    for fix in (
        "path=",
        "t10k-images-idx3-ubyte.gz",
        "CNNKIT_FASHION_MNIST=DIR",
        "sudo apt-get install dataset-fashion-mnist",
        "download=True",
    ):
        assert fix in message


def test_nothing_found_reports_missing_file_and_unset_variable(fake, tmp_path):
    fake.write(fake.spec.debian_dir, which=(0,))
    with pytest.raises(data.DatasetNotFoundError) as info:
        data.find_dataset("fashion-mnist")
    message = str(info.value)
    assert "$CNNKIT_FASHION_MNIST: not set" in message
    assert "no train-labels-idx1-ubyte.gz (nor unpacked train-labels-idx1-ubyte)" in message


# ------------------------------------------------------------------------- downloads


class _Handler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def server(tmp_path, monkeypatch):
    """Serve tmp_path/www over HTTP on 127.0.0.1; yield (base URL, served dir, request log)."""
    for var in ("http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    root = tmp_path / "www"
    root.mkdir()
    requests = []

    class Handler(_Handler):
        def do_GET(self):
            requests.append(self.path)
            super().do_GET()

    httpd = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Handler, directory=str(root))
    )
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/", root, requests
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(5)


def cache_entries(fake):
    return sorted(p.name for p in fake.cache.iterdir()) if fake.cache.exists() else []


def test_download_into_cache_then_reuse(fake, server, monkeypatch):
    base, root, requests = server
    fake.write(root / "good")
    fake.use(monkeypatch, mirrors=(base + "missing/", base + "good/"))
    X, y = data.load_fashion_mnist()
    np.testing.assert_array_equal(X, fake.arrays["train"][0])
    np.testing.assert_array_equal(y, fake.arrays["train"][1])
    # The first mirror answers 404, so each file was asked of both.
    assert requests == [
        "/missing/train-images-idx3-ubyte.gz",
        "/good/train-images-idx3-ubyte.gz",
        "/missing/train-labels-idx1-ubyte.gz",
        "/good/train-labels-idx1-ubyte.gz",
    ]
    assert cache_entries(fake) == ["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"]
    for name in NAMES["train"]:
        assert (fake.cache / name).read_bytes() == (root / "good" / name).read_bytes()
    found = data.find_dataset("fashion-mnist")
    assert found.source == "cache" and found.directory == fake.cache
    assert len(requests) == 4


def test_download_reports_source_and_fetches_only_missing_file(fake, server, monkeypatch):
    base, root, requests = server
    fake.write(root, split="test")
    fake.write(fake.cache, split="test", which=(0,))
    fake.use(monkeypatch, mirrors=(base,))
    found = data.find_dataset("fashion-mnist", "test", download=True)
    assert found.source == "download"
    assert requests == ["/t10k-labels-idx1-ubyte.gz"]


def test_download_with_checksum_mismatch_leaves_nothing(fake, server, monkeypatch):
    base, root, requests = server
    fake.write(root)
    X = fake.arrays["train"][0].copy()
    X[-1, -1, -1] ^= 0x80
    (root / "train-images-idx3-ubyte.gz").write_bytes(gz(idx_bytes(X)))
    fake.use(monkeypatch, mirrors=(base,))
    with pytest.raises(data.DatasetNotFoundError) as info:
        data.load_fashion_mnist()
    message = str(info.value)
    assert f"{base}train-images-idx3-ubyte.gz: " in message
    assert "content differs" in message
    # The good labels file may stay; the bad images file, or a temporary file, may not.
    assert cache_entries(fake) == ["train-labels-idx1-ubyte.gz"]


def test_download_of_truncated_file_leaves_nothing(fake, server, monkeypatch):
    base, root, _ = server
    fake.write(root)
    for name in NAMES["train"]:
        (root / name).write_bytes((root / name).read_bytes()[:-20])
    fake.use(monkeypatch, mirrors=(base,))
    with pytest.raises(data.DatasetNotFoundError, match="truncated gzip"):
        data.load_fashion_mnist()
    assert cache_entries(fake) == []


def test_interrupted_download_removes_partial_file(fake, monkeypatch):
    def broken_fetch(url, dest):
        dest.write(b"\x1f\x8b\x08\x00partial")
        raise ConnectionResetError("connection reset by peer")

    monkeypatch.setattr(data, "_fetch", broken_fetch)
    fake.use(monkeypatch, mirrors=("http://mirror.invalid/",))
    with pytest.raises(data.DatasetNotFoundError, match="connection reset by peer"):
        data.load_fashion_mnist()
    assert cache_entries(fake) == []


def test_unreachable_mirror_is_reported(fake, monkeypatch):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    base = f"http://127.0.0.1:{port}/"
    monkeypatch.setenv("no_proxy", "127.0.0.1")
    fake.use(monkeypatch, mirrors=(base,))
    with pytest.raises(data.DatasetNotFoundError) as info:
        data.load_fashion_mnist("test")
    message = str(info.value)
    assert "download into the user cache failed" in message
    assert f"{base}t10k-images-idx3-ubyte.gz: " in message
    assert f"{base}t10k-labels-idx1-ubyte.gz: " in message
    assert "check the internet connection" in message


def test_download_needs_a_published_checksum(fake, server, monkeypatch):
    base, root, _ = server
    # MNIST-like entry: no SHA-256 known, so a download must match the .gz MD5.
    fake.use(monkeypatch, mirrors=(base,), splits=without_sha256(fake.spec))
    for name in NAMES["train"]:
        (root / name).write_bytes(gzip.compress(fake.raw[name], mtime=12345))
    with pytest.raises(data.DatasetNotFoundError, match="MD5 of the .gz file"):
        data.load_fashion_mnist()
    assert cache_entries(fake) == []
    fake.write(root)
    _, y = data.load_fashion_mnist()
    np.testing.assert_array_equal(y, fake.arrays["train"][1])


# ------------------------------------------------------------------------ real data

needs_debian = pytest.mark.skipif(
    not all((DEBIAN_DIR / n).is_file() for pair in NAMES.values() for n in pair),
    reason="Debian package dataset-fashion-mnist not installed",
)


@pytest.fixture(scope="module")
def fashion():
    return {s: data.load_fashion_mnist(s, path=DEBIAN_DIR, download=False) for s in NAMES}


@needs_debian
@pytest.mark.parametrize("split, n", [("train", 60000), ("test", 10000)])
def test_real_fashion_mnist(fashion, split, n):
    X, y = fashion[split]
    assert X.shape == (n, 28, 28) and X.dtype == np.uint8
    assert y.shape == (n,) and y.dtype == np.int64
    np.testing.assert_array_equal(np.bincount(y, minlength=10), [n // 10] * 10)
    assert X.min() == 0 and X.max() == 255
    # Clothes on a black background: the corners are nearly always blank.
    assert np.median(X[:, 0, 0]) == 0


@needs_debian
def test_real_fashion_mnist_found_in_debian_dir(monkeypatch):
    found = data.find_dataset("fashion-mnist", "test")
    assert found.source == "debian"
    assert found.directory == DEBIAN_DIR
    X, _ = data.load_fashion_mnist("test", normalize=True, download=False)
    assert X.dtype == np.float32 and X.min() == 0.0 and X.max() == 1.0
    assert len(data.FASHION_MNIST_CLASSES) == 10


@needs_debian
def test_real_fashion_mnist_table_matches_debian_files():
    sizes = {"train": (47_040_016, 60_008), "test": (7_840_016, 10_008)}
    for split, files in data.DATASETS["fashion-mnist"].splits.items():
        for spec, size in zip(files, sizes[split], strict=True):
            unpacked = gzip.decompress((DEBIAN_DIR / spec.filename).read_bytes())
            assert len(unpacked) == size
            assert hashlib.sha256(unpacked).hexdigest() == spec.sha256


@pytest.mark.skipif(
    not (REAL_MNIST_DIR and Path(REAL_MNIST_DIR).is_dir()),
    reason="no real MNIST copy (set CNNKIT_MNIST to a directory holding it)",
)
def test_real_mnist():
    published = {
        "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
        "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
        "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
        "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
    }
    for name, md5 in published.items():
        if (Path(REAL_MNIST_DIR) / name).is_file():
            assert hashlib.md5((Path(REAL_MNIST_DIR) / name).read_bytes()).hexdigest() == md5
    for split, n in (("train", 60000), ("test", 10000)):
        X, y = data.load_mnist(split, path=REAL_MNIST_DIR, download=False)
        assert X.shape == (n, 28, 28) and X.dtype == np.uint8
        assert y.shape == (n,) and set(np.unique(y)) == set(range(10))
