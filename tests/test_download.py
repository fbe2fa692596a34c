"""Tests for twice.data.download (verified, cached downloads) and the MNIST loader built on it
(twice.data.digits.load_mnist), without any network.

Every test serves its own small files from a temporary folder on 127.0.0.1 (or reads them via file://),
so the suite runs offline, fast, and never touches the real MNIST server.
"""

from __future__ import annotations

import functools
import hashlib
import http.server
import importlib.util
import io
import math
import re
import socket
import threading
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from twice.data import Digits
from twice.data import digits as digits_module
from twice.data.digits import load_mnist
from twice.data.download import (
    CACHE_ENV_VAR,
    MNIST_SHA256,
    MNIST_URL,
    DownloadError,
    default_cache_dir,
    download,
    sha256_of,
)

PAYLOAD = b"Deep Learning, Twice: a small file to download.\n" * 100
PAYLOAD_SHA256 = hashlib.sha256(PAYLOAD).hexdigest()


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    # A proxy configured on the test machine would otherwise receive the requests meant for 127.0.0.1.
    monkeypatch.setenv("no_proxy", "*")
    monkeypatch.setenv("NO_PROXY", "*")


@dataclass
class Server:
    """A local HTTP server for one test: files under ``root``, every requested path in ``requests``."""

    root: Path
    base_url: str
    requests: list[str] = field(default_factory=list)

    def url(self, name: str) -> str:
        return f"{self.base_url}/{name}"

    def put(self, name: str, data: bytes) -> str:
        (self.root / name).write_bytes(data)
        return self.url(name)


class _Handler(http.server.SimpleHTTPRequestHandler):
    """Serves files, counts requests, and has two paths that stall (to test timeouts)."""

    def __init__(
        self, *args: object, server_state: Server, release: threading.Event, **kwargs: object
    ) -> None:
        self.server_state = server_state
        self.release = release
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]  # handles the request right here

    def do_GET(self) -> None:
        self.server_state.requests.append(self.path)
        if self.path.startswith("/stall-before-headers"):
            # Answer nothing until the test is over; the client's timeout must fire first.
            self.release.wait(10)
            return
        if self.path.startswith("/stall-mid-body"):
            self.send_response(200)
            self.send_header("Content-Length", str(len(PAYLOAD)))
            self.end_headers()
            self.wfile.write(PAYLOAD[:10])
            self.wfile.flush()
            self.release.wait(10)
            return
        super().do_GET()

    def log_message(self, format: str, *args: object) -> None:
        pass  # keep the test output clean


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    root = tmp_path / "served"
    root.mkdir()
    release = threading.Event()
    state = Server(root=root, base_url="")
    handler = functools.partial(_Handler, directory=str(root), server_state=state, release=release)
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)  # port 0: the OS picks a free one
    state.base_url = f"http://127.0.0.1:{httpd.server_address[1]}"
    # A short poll interval: shutdown() waits for the next poll, 0.5 s by default, which adds up over the tests.
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        release.set()  # let stalled handlers finish
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


@pytest.fixture
def cache(tmp_path: Path) -> Path:
    return tmp_path / "cache"  # not created: download() must create it


def _closed_port_url() -> str:
    # Bind a free port, then release it: nothing listens there, so a connection is refused at once.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/x.bin"


def _files_in(folder: Path) -> list[str]:
    """Every entry in the cache folder, hidden temporary files included."""
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


# --- sha256_of and default_cache_dir -------------------------------------------------------------------------


def test_sha256_of_matches_hashlib_across_chunks(tmp_path: Path) -> None:
    path = tmp_path / "f.bin"
    path.write_bytes(PAYLOAD)
    assert sha256_of(path) == PAYLOAD_SHA256
    assert sha256_of(str(path), chunk_size=7) == PAYLOAD_SHA256  # many small chunks, same digest


def test_default_cache_dir_honours_env_var(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(CACHE_ENV_VAR, str(tmp_path / "elsewhere"))
    assert default_cache_dir() == tmp_path / "elsewhere"
    monkeypatch.delenv(CACHE_ENV_VAR)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert default_cache_dir() == tmp_path / "home" / ".cache" / "twice"
    monkeypatch.setenv(CACHE_ENV_VAR, "")  # empty counts as unset
    assert default_cache_dir() == tmp_path / "home" / ".cache" / "twice"


def test_download_uses_default_cache_dir(
    server: Server, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv(CACHE_ENV_VAR, str(tmp_path / "from-env"))
    path = download(server.put("data.bin", PAYLOAD), PAYLOAD_SHA256)
    assert path == tmp_path / "from-env" / "data.bin"
    assert path.read_bytes() == PAYLOAD


# --- download: cache behaviour -------------------------------------------------------------------------------


def test_download_lands_in_cache_and_second_call_makes_no_request(server: Server, cache: Path) -> None:
    url = server.put("data.bin", PAYLOAD)
    path = download(url, PAYLOAD_SHA256, cache_dir=cache)
    assert path == cache / "data.bin"
    assert path.read_bytes() == PAYLOAD
    assert server.requests == ["/data.bin"]
    assert _files_in(cache) == ["data.bin"]  # no temporary file left over

    again = download(url, PAYLOAD_SHA256, cache_dir=cache)
    assert again == path
    assert server.requests == ["/data.bin"]  # served from the cache: still a single request


def test_cached_file_is_used_even_when_offline(cache: Path) -> None:
    # What the error message promises: a file placed by hand under the cache path is verified and used.
    cache.mkdir()
    (cache / "x.bin").write_bytes(PAYLOAD)
    assert download(_closed_port_url(), PAYLOAD_SHA256.upper(), cache_dir=cache) == cache / "x.bin"


def test_filename_overrides_the_name_from_the_url(server: Server, cache: Path) -> None:
    path = download(server.put("data.bin", PAYLOAD), PAYLOAD_SHA256, filename="renamed.bin", cache_dir=cache)
    assert path == cache / "renamed.bin"
    assert _files_in(cache) == ["renamed.bin"]


@pytest.mark.parametrize("damage", ["other bytes", "truncated"])
def test_corrupt_cache_is_detected_and_downloaded_again(server: Server, cache: Path, damage: str) -> None:
    url = server.put("data.bin", PAYLOAD)
    path = download(url, PAYLOAD_SHA256, cache_dir=cache)
    path.write_bytes(b"not the file at all" if damage == "other bytes" else PAYLOAD[:100])
    bad_sha256 = sha256_of(path)

    with pytest.warns(UserWarning, match="corrupt or incomplete") as record:
        again = download(url, PAYLOAD_SHA256, cache_dir=cache)
    message = str(record[0].message)
    assert str(path) in message and bad_sha256 in message and PAYLOAD_SHA256 in message

    assert again == path
    assert path.read_bytes() == PAYLOAD
    assert server.requests == ["/data.bin", "/data.bin"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # repaired: the next call neither warns nor downloads
        download(url, PAYLOAD_SHA256, cache_dir=cache)
    assert len(server.requests) == 2


def test_wrong_hash_raises_and_leaves_no_file(server: Server, cache: Path) -> None:
    url = server.put("data.bin", PAYLOAD)
    expected = "0" * 64
    with pytest.raises(DownloadError, match="has SHA-256") as info:
        download(url, expected, cache_dir=cache)
    message = str(info.value)
    assert expected in message and PAYLOAD_SHA256 in message and url in message
    assert _files_in(cache) == []  # neither data.bin nor .data.bin.*.part


def test_download_error_is_an_oserror() -> None:
    assert issubclass(DownloadError, OSError)


# --- download: network failures ------------------------------------------------------------------------------


def test_unreachable_server_gives_a_helpful_error(cache: Path) -> None:
    url = _closed_port_url()
    with pytest.raises(DownloadError, match=re.escape(f"Downloading {url} failed")) as info:
        download(url, PAYLOAD_SHA256, cache_dir=cache)
    message = str(info.value)
    assert "twice.load_digits()" in message
    assert str(cache / "x.bin") in message  # the exact place to put the file by hand
    assert PAYLOAD_SHA256 in message
    assert _files_in(cache) == []


@pytest.mark.parametrize("path", ["stall-before-headers", "stall-mid-body"])
def test_timeout_raises_download_error(server: Server, cache: Path, path: str) -> None:
    with pytest.raises(DownloadError, match="failed: .*timed out"):
        download(server.url(path), PAYLOAD_SHA256, filename="data.bin", cache_dir=cache, timeout=0.2)
    assert _files_in(cache) == []  # the partial temporary file is gone


def test_http_error_names_the_status(server: Server, cache: Path) -> None:
    with pytest.raises(DownloadError, match="HTTP 404") as info:
        download(server.url("missing.bin"), PAYLOAD_SHA256, cache_dir=cache)
    assert "load_digits" in str(info.value)
    assert _files_in(cache) == []


# --- download: file:// URLs ----------------------------------------------------------------------------------


def test_file_url_works(tmp_path: Path, cache: Path) -> None:
    source = tmp_path / "local copy.bin"  # a space, to check the URL is unquoted into the file name
    source.write_bytes(PAYLOAD)
    path = download(source.as_uri(), PAYLOAD_SHA256, cache_dir=cache)
    assert path == cache / "local copy.bin"
    assert path.read_bytes() == PAYLOAD


def test_missing_file_url_raises_download_error(tmp_path: Path, cache: Path) -> None:
    with pytest.raises(DownloadError, match="load_digits"):
        download((tmp_path / "nope.bin").as_uri(), PAYLOAD_SHA256, cache_dir=cache)


# --- download: argument validation ---------------------------------------------------------------------------


@pytest.mark.parametrize("bad", ["", "abc", "g" * 64, PAYLOAD_SHA256 + "0", PAYLOAD_SHA256[:-1]])
def test_bad_sha256_is_rejected(bad: str, cache: Path) -> None:
    with pytest.raises(ValueError, match="sha256 must be 64 hexadecimal characters"):
        download("http://127.0.0.1/x.bin", bad, cache_dir=cache)


def test_non_string_sha256_is_rejected(cache: Path) -> None:
    with pytest.raises(TypeError, match="sha256 must be a string"):
        download("http://127.0.0.1/x.bin", b"0" * 64, cache_dir=cache)  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", ["ftp://example.org/x.bin", "/tmp/x.bin", "x.bin", "data:,hello"])
def test_bad_url_scheme_is_rejected(bad: str, cache: Path) -> None:
    with pytest.raises(ValueError, match="url must start with http://, https:// or file://"):
        download(bad, PAYLOAD_SHA256, cache_dir=cache)


@pytest.mark.parametrize("bad", ["../x.bin", "sub/x.bin", "..", ""])
def test_bad_filename_is_rejected(bad: str, cache: Path) -> None:
    with pytest.raises(ValueError, match="filename must be a plain file name"):
        download("http://127.0.0.1/x.bin", PAYLOAD_SHA256, filename=bad, cache_dir=cache)


def test_url_without_a_file_name_needs_filename(cache: Path) -> None:
    with pytest.raises(ValueError, match="cannot derive a file name"):
        download("http://127.0.0.1/", PAYLOAD_SHA256, cache_dir=cache)


@pytest.mark.parametrize("bad", [0, -1.0, float("nan"), -math.inf])
def test_a_timeout_that_is_not_positive_is_rejected(bad: float, cache: Path) -> None:
    with pytest.raises(ValueError, match=f"^timeout must be positive, got {re.escape(repr(bad))}$"):
        download("http://127.0.0.1/x.bin", PAYLOAD_SHA256, cache_dir=cache, timeout=bad)
    assert not cache.exists()  # refused before anything is created


@pytest.mark.parametrize(("bad", "shown"), [("30", "str '30'"), (None, "NoneType None"), (True, "bool True")])
def test_a_timeout_that_is_not_a_number_is_rejected(bad: object, shown: str, cache: Path) -> None:
    with pytest.raises(TypeError, match=f"^timeout must be a number, got {re.escape(shown)}$"):
        download("http://127.0.0.1/x.bin", PAYLOAD_SHA256, cache_dir=cache, timeout=bad)  # type: ignore[arg-type]


def test_a_numpy_timeout_is_a_number(server: Server, cache: Path) -> None:
    timeout: Any = np.float32(5)  # a float32 is not a float, but it is a number
    path = download(server.put("data.bin", PAYLOAD), PAYLOAD_SHA256, cache_dir=cache, timeout=timeout)
    assert path.read_bytes() == PAYLOAD


# --- MNIST constants -----------------------------------------------------------------------------------------


def test_mnist_constants_match_keras_source() -> None:
    assert re.fullmatch(r"[0-9a-f]{64}", MNIST_SHA256)
    assert MNIST_URL == "https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz"
    # Read Keras' source without importing Keras (which would start a backend): find_spec only locates it.
    spec = importlib.util.find_spec("keras")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("Keras is not installed")
    source_file = Path(next(iter(spec.submodule_search_locations))) / "src" / "datasets" / "mnist.py"
    if not source_file.is_file():
        pytest.skip(f"this Keras keeps mnist.py elsewhere than {source_file}")
    source = source_file.read_text(encoding="utf-8")
    assert f'"{MNIST_SHA256}"' in source
    assert '"https://storage.googleapis.com/tensorflow/tf-keras-datasets/"' in source
    assert 'origin=f"{origin_folder}mnist.npz"' in source


# --- load_mnist on a fake mnist.npz --------------------------------------------------------------------------


def _fake_mnist(**overrides: np.ndarray | None) -> dict[str, np.ndarray]:
    """12 training and 5 test images shaped like MNIST's; ``key=None`` drops an array, ``key=array`` swaps it."""
    rng = np.random.default_rng(0)
    arrays = {
        "x_train": rng.integers(0, 256, size=(12, 28, 28), dtype=np.uint8),
        "y_train": rng.integers(0, 10, size=12).astype(np.uint8),  # Keras' file stores uint8 labels
        "x_test": rng.integers(0, 256, size=(5, 28, 28), dtype=np.uint8),
        "y_test": rng.integers(0, 10, size=5).astype(np.uint8),
    }
    arrays["x_train"][0, 0, 0], arrays["x_train"][0, 0, 1] = 0, 255  # both ends of the range
    for key, value in overrides.items():
        if value is None:
            del arrays[key]
        else:
            arrays[key] = value
    return arrays


def _npz_bytes(arrays: dict[str, Any]) -> bytes:
    # dict[str, Any], not dict[str, np.ndarray]: NumPy's stubs would match **arrays against allow_pickle: bool.
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)
    return buffer.getvalue()


def test_load_mnist_fetches_through_download_with_its_arguments(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # load_mnist calls the download it imported into twice.data.digits: that is the name to replace.
    source = tmp_path / "mnist.npz"
    source.write_bytes(_npz_bytes(_fake_mnist()))
    calls: list[tuple[str, str, Any]] = []

    def fake_download(url: str, sha256: str, *, cache_dir: Any = None) -> Path:
        calls.append((url, sha256, cache_dir))
        return source

    monkeypatch.setattr(digits_module, "download", fake_download)
    assert len(load_mnist(tmp_path / "cache").y_train) == 12
    assert calls == [(MNIST_URL, MNIST_SHA256, tmp_path / "cache")]  # Keras' file, by default
    load_mnist(url="file:///elsewhere/mnist.npz", sha256="a" * 64)
    assert calls[-1] == ("file:///elsewhere/mnist.npz", "a" * 64, None)


def test_load_mnist_on_a_fake_file(server: Server, cache: Path) -> None:
    arrays = _fake_mnist()
    data = _npz_bytes(arrays)
    digits = load_mnist(cache, url=server.put("mnist.npz", data), sha256=hashlib.sha256(data).hexdigest())

    assert isinstance(digits, Digits)
    assert digits.x_train.shape == (12, 28, 28) and digits.x_test.shape == (5, 28, 28)
    assert digits.y_train.shape == (12,) and digits.y_test.shape == (5,)
    assert digits.x_train.dtype == np.float32 and digits.x_test.dtype == np.float32
    assert digits.y_train.dtype == np.int64 and digits.y_test.dtype == np.int64
    assert digits.x_train.min() == 0.0 and digits.x_train.max() == 1.0
    assert 0.0 <= digits.x_test.min() and digits.x_test.max() <= 1.0
    np.testing.assert_allclose(digits.x_train, arrays["x_train"] / 255.0, rtol=1e-6)
    np.testing.assert_array_equal(digits.y_test, arrays["y_test"])
    assert digits.image_shape == (28, 28)
    assert digits.seed is None and digits.test_fraction is None
    assert digits.train("NCHW")[0].shape == (12, 1, 28, 28)
    assert (cache / "mnist.npz").is_file()


@pytest.mark.parametrize(
    ("overrides", "match"),
    [
        ({"y_test": None}, "lacks y_test"),
        (
            {"x_train": np.zeros((12, 27, 28), np.uint8)},
            r"x_train must be uint8 images of shape \(N, 28, 28\)",
        ),
        ({"x_test": np.zeros((5, 28, 28), np.float32)}, "x_test must be uint8 images"),
        ({"y_train": np.zeros(11, np.uint8)}, r"y_train must be integer labels of shape \(12,\)"),
        ({"y_test": np.zeros(5, np.float64)}, "y_test must be integer labels"),
        ({"y_train": np.full(12, 10, np.uint8)}, "y_train must hold digits 0..9"),
    ],
)
def test_load_mnist_rejects_a_malformed_file(
    server: Server, cache: Path, overrides: dict[str, np.ndarray | None], match: str
) -> None:
    data = _npz_bytes(_fake_mnist(**overrides))
    with pytest.raises(ValueError, match=match):
        load_mnist(cache, url=server.put("mnist.npz", data), sha256=hashlib.sha256(data).hexdigest())


@pytest.mark.parametrize("kind", ["not an archive", "single array"])
def test_load_mnist_rejects_a_file_that_is_not_an_npz(tmp_path: Path, cache: Path, kind: str) -> None:
    source = tmp_path / "mnist.npz"
    if kind == "single array":
        with open(source, "wb") as f:
            np.save(f, np.zeros((2, 28, 28), np.uint8))
    else:
        source.write_bytes(b"this is not a zip file")
    with pytest.raises(ValueError, match="not a readable npz file|not an npz archive"):
        load_mnist(cache, url=source.as_uri(), sha256=sha256_of(source))
