"""Optional downloads: one verified, cached file at a time (MNIST is built on it, in :mod:`.digits`).

The book runs offline by default (:func:`twice.load_digits`). A reader with a network (on Colab, say) may
switch a notebook to MNIST with one parameter (:func:`twice.load_mnist`); that is the only download in the
book, and it goes through :func:`download`, which

* checks the file against a SHA-256 fixed in this source, so every reader trains on the same bytes;
* keeps it in a cache (:func:`default_cache_dir`), so a notebook run twice downloads once;
* notices a corrupt or truncated cached file, warns, and fetches it again;
* never leaves a half-written file under the final name (it writes a temporary file and renames it);
* fails with a message that tells a learner what to do, including where to put the file by hand.

Standard library and NumPy only: no ``requests``, no framework, so it works wherever the book does.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import re
import tempfile
import urllib.error
import urllib.parse
import urllib.request
import warnings
from pathlib import Path

from .. import checks

# Keras downloads exactly this file in ``keras.datasets.mnist.load_data``. Both values are copied from
# Keras 3.15.1, keras/src/datasets/mnist.py: the folder on line 58, the name ``mnist.npz`` on line 62
# (``origin=f"{origin_folder}mnist.npz"``) and the hash on line 64 (``file_hash=...``; Keras reads a
# 64-character hash as SHA-256). tests/test_download.py checks them against the installed Keras source.
MNIST_URL = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz"
"""Where Keras fetches ``mnist.npz`` (60,000 training and 10,000 test images, 28×28, ``uint8``)."""

MNIST_SHA256 = "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"
"""SHA-256 of :data:`MNIST_URL`, as pinned in Keras."""

CACHE_ENV_VAR = "TWICE_CACHE_DIR"
"""Environment variable that overrides :func:`default_cache_dir`."""

_SHA256_RE = re.compile(r"[0-9a-fA-F]{64}")
_SCHEMES = ("http", "https", "file")
_CHUNK_SIZE = 1 << 20  # 1 MiB: hashes and copies a file of any size in constant memory

# What a failed transfer can raise. URLError covers refused connections, unknown hosts, HTTP errors
# (HTTPError is a subclass) and missing file:// paths. A timeout while waiting for the response or the body
# is not wrapped by urllib and arrives as a bare TimeoutError (socket.timeout is an alias since Python
# 3.10); a server that hangs up arrives as a ConnectionError or, mid-body, as http.client.IncompleteRead.
# Deliberately *not* every OSError: a full disk or an unwritable cache is not a network problem, and
# telling the reader "you seem to be offline" would send them the wrong way.
_NETWORK_ERRORS = (urllib.error.URLError, TimeoutError, ConnectionError, http.client.HTTPException)


class DownloadError(OSError):
    """A file could not be downloaded, or what arrived is not the expected file.

    A subclass of :class:`OSError` rather than :class:`RuntimeError`: it is an I/O failure (the same family
    as ``urllib.error.URLError``, ``TimeoutError`` and ``ConnectionError``, which it replaces with a readable
    message), so code that already handles "could not read the data" with ``except OSError`` handles this
    too, and ``except DownloadError`` still catches only ours. Introduced in chapter 2.

    >>> issubclass(DownloadError, OSError)
    True
    """


def default_cache_dir() -> Path:
    """The folder downloads are kept in: ``$TWICE_CACHE_DIR`` if set (and not empty), else ``~/.cache/twice``.

    The variable lets a reader put the cache on a mounted drive (e.g. Google Drive on Colab), so that a
    fresh runtime does not download again. ``~`` in it is expanded. The folder is created on first download.
    Introduced in chapter 2.

    >>> import os
    >>> before = dict(os.environ)
    >>> os.environ["TWICE_CACHE_DIR"] = "~/drive/cache"
    >>> default_cache_dir() == Path.home() / "drive" / "cache"
    True
    >>> os.environ.clear(); os.environ.update(before)      # as it was
    """
    override = os.environ.get(CACHE_ENV_VAR, "")
    if override:
        return Path(override).expanduser()
    return Path.home() / ".cache" / "twice"


def sha256_of(path: str | Path, *, chunk_size: int = _CHUNK_SIZE) -> str:
    """SHA-256 of a file as 64 lower-case hex characters, read in chunks (constant memory for any size).

    Introduced in chapter 2.

    >>> import tempfile
    >>> with tempfile.NamedTemporaryFile() as empty:
    ...     sha256_of(empty.name)
    'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'
    """
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(chunk_size):
            digest.update(chunk)
    return digest.hexdigest()


def _check_sha256(sha256: str) -> str:
    if not isinstance(sha256, str):
        raise TypeError(f"sha256 must be a string of 64 hexadecimal characters, got {type(sha256).__name__}")
    if not _SHA256_RE.fullmatch(sha256):
        raise ValueError(f"sha256 must be 64 hexadecimal characters (a SHA-256 digest), got {sha256!r}")
    # hashlib's hexdigest() is lower-case; accept a digest copied in upper case too.
    return sha256.lower()


def _check_url(url: str) -> str:
    if not isinstance(url, str):
        raise TypeError(f"url must be a string, got {type(url).__name__}")
    scheme = urllib.parse.urlsplit(url).scheme.lower()
    if scheme not in _SCHEMES:
        raise ValueError(
            f"url must start with http://, https:// or file://, got {url!r} "
            "(for a file on this machine use pathlib.Path(...).absolute().as_uri())"
        )
    return url


def _filename_from(url: str, filename: str | None) -> str:
    if filename is None:
        # The last segment of the URL's path, unquoted: ".../tf-keras-datasets/mnist.npz" -> "mnist.npz".
        filename = urllib.parse.unquote(urllib.parse.urlsplit(url).path.rstrip("/").rpartition("/")[2])
        if not filename:
            raise ValueError(f"cannot derive a file name from {url!r}; pass filename=...")
    if not isinstance(filename, str):
        raise TypeError(f"filename must be a string, got {type(filename).__name__}")
    # A bare name only: the file must land inside the cache folder, not wherever "../" would take it.
    if filename in ("", ".", "..") or "/" in filename or "\\" in filename or os.sep in filename:
        raise ValueError(f"filename must be a plain file name without any folder, got {filename!r}")
    return filename


def _offline_message(url: str, reason: object, target: Path, sha256: str) -> str:
    return (
        f"Downloading {url} failed: {reason}.\n"
        "Are you offline, or is the address wrong or blocked? The book's default data, twice.load_digits(), is "
        "bundled with scikit-learn and needs no network: use it instead.\n"
        f"If you have the file, place it by hand at\n    {target}\n"
        f"and run again: it will be used if its SHA-256 is {sha256}."
    )


def download(
    url: str,
    sha256: str,
    *,
    filename: str | None = None,
    cache_dir: str | Path | None = None,
    timeout: float = 30.0,
) -> Path:
    """Download ``url`` into the cache once, check its SHA-256, and return its path.

    If the cached file is already there with the right hash, it is returned without touching the network.
    If it is there with the wrong hash (a download cut short, a file edited by accident), a warning names
    it and both hashes, and it is fetched again. A new download goes to a temporary file in the cache
    folder and is renamed into place only once its hash is right, so the final name never holds a partial
    or wrong file, even if the kernel is interrupted mid-download.

    Args:
        url: ``http://``, ``https://`` or ``file://`` (a local copy, e.g. on a mounted drive).
        sha256: the expected SHA-256, 64 hex characters (case does not matter).
        filename: the name in the cache; by default the last segment of the URL's path.
        cache_dir: the cache folder (created if missing); by default :func:`default_cache_dir`.
        timeout: seconds to wait for the server, for the connection and for each read.

    Returns:
        The path of the verified file, ``cache_dir / filename``.

    Introduced in chapter 2.

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as name:
    ...     original = Path(name) / "numbers.txt"
    ...     _ = original.write_text("1 2 3")
    ...     cached = download(original.as_uri(), sha256_of(original), cache_dir=Path(name) / "cache")
    ...     cached.relative_to(name), cached.read_text()
    (PosixPath('cache/numbers.txt'), '1 2 3')

    Raises:
        TypeError: if ``url``, ``sha256`` or ``filename`` is not a string, or ``timeout`` not a number.
        ValueError: for a malformed ``sha256``, an unsupported URL scheme, an unusable file name or a
            timeout that is not positive.
        DownloadError: if the transfer fails (offline, refused, timed out, HTTP error) or the downloaded
            file has a different hash; no file is left behind in either case.
    """
    sha256 = _check_sha256(sha256)
    url = _check_url(url)
    filename = _filename_from(url, filename)
    timeout = checks.positive(timeout, "timeout")  # seconds; NaN is rejected too
    folder = Path(cache_dir).expanduser() if cache_dir is not None else default_cache_dir()
    target = folder / filename

    if target.is_file():
        actual = sha256_of(target)
        if actual == sha256:
            return target
        # Say so rather than silently replacing it: a reader who put the file there by hand should learn
        # that it is not the expected one.
        warnings.warn(
            f"cached file {target} is corrupt or incomplete: its SHA-256 is {actual}, expected {sha256}; "
            "deleting it and downloading again",
            UserWarning,
            stacklevel=2,
        )
        target.unlink()

    folder.mkdir(parents=True, exist_ok=True)
    # The temporary file lives in the cache folder itself, so that os.replace is a rename within one file
    # system and therefore atomic. A leading dot keeps it out of casual listings; the random part keeps two
    # notebooks downloading at the same time from writing into the same file.
    fd, tmp_name = tempfile.mkstemp(dir=folder, prefix=f".{filename}.", suffix=".part")
    tmp = Path(tmp_name)
    try:
        digest = hashlib.sha256()
        with os.fdopen(fd, "wb") as out:
            try:
                with urllib.request.urlopen(url, timeout=timeout) as response:
                    # Hash while writing: one pass over the data instead of writing and reading back.
                    while chunk := response.read(_CHUNK_SIZE):
                        digest.update(chunk)
                        out.write(chunk)
            except urllib.error.HTTPError as err:  # before URLError, its base class: give the status
                raise DownloadError(
                    _offline_message(url, f"HTTP {err.code} {err.reason}", target, sha256)
                ) from err
            except _NETWORK_ERRORS as err:
                reason = err.reason if isinstance(err, urllib.error.URLError) else err
                raise DownloadError(
                    _offline_message(url, reason or type(err).__name__, target, sha256)
                ) from err
        actual = digest.hexdigest()
        if actual != sha256:
            raise DownloadError(
                f"the file downloaded from {url} has SHA-256 {actual}, but {sha256} was expected; "
                "it was not kept. The file on the server may have changed, or the transfer was altered."
            )
        os.replace(tmp, target)
    finally:
        # After a successful os.replace the temporary name no longer exists; after any failure (including
        # KeyboardInterrupt) it is removed here, so the cache folder holds only verified files.
        tmp.unlink(missing_ok=True)
    return target
