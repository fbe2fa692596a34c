"""The handwritten digits the book trains on: scikit-learn's bundled 8×8 set, and MNIST as an option.

Both come as a :class:`Digits`, split once and for all into a training and a test part. scikit-learn's
digits ship inside its wheel, so every notebook runs without a network (see the data policy in the book's
design notes); MNIST is downloaded once, verified and cached by :mod:`twice.data.download`.
Shapes follow the glossary in :mod:`twice.layouts`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .. import checks
from ..layouts import to_layout
from .download import MNIST_SHA256, MNIST_URL, download


@dataclass(frozen=True)
class Digits:
    """A handwritten-digits data set, split once and for all into a training and a test part.

    Attributes:
        x_train, x_test: grey images, ``float32`` of shape ``(N, H, W)`` with values in ``[0, 1]``
            (scikit-learn's digits: 8×8, the raw pixel counts 0..16 divided by 16; MNIST: 28×28, 0..255 / 255).
        y_train, y_test: labels, ``int64`` of shape ``(N,)`` with values ``0..9``.
        seed, test_fraction: how the split was made (``None`` for a data set with an official split).

    Introduced in chapter 1.

    >>> x_train, y_train = load_digits().train("NCHW")
    >>> x_train.shape, x_train.dtype, y_train[:5]
    ((1347, 1, 8, 8), dtype('float32'), array([7, 3, 6, 6, 7]))
    """

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    seed: int | None
    test_fraction: float | None

    num_classes: int = 10

    @property
    def image_shape(self) -> tuple[int, int]:
        """``(H, W)`` of one image."""
        return (int(self.x_train.shape[1]), int(self.x_train.shape[2]))

    def train(self, layout: str = "NHW") -> tuple[np.ndarray, np.ndarray]:
        """Training images in ``layout`` (see :func:`twice.layouts.to_layout`) and their labels."""
        return to_layout(self.x_train, layout), self.y_train

    def test(self, layout: str = "NHW") -> tuple[np.ndarray, np.ndarray]:
        """Test images in ``layout`` (see :func:`twice.layouts.to_layout`) and their labels."""
        return to_layout(self.x_test, layout), self.y_test

    def __repr__(self) -> str:
        return (
            f"Digits(train={len(self.y_train)}, test={len(self.y_test)}, image_shape={self.image_shape}, "
            f"seed={self.seed}, test_fraction={self.test_fraction})"
        )


def load_digits(test_fraction: float = 0.25, seed: int = 0) -> Digits:
    """Load scikit-learn's 1,797 handwritten digits (8×8 pixels) with a fixed, stratified split.

    Stratified: each digit has the same share in both parts. The same ``test_fraction`` and ``seed`` always
    give the same split, on every machine. With the defaults: 1,347 training and 450 test images.

    Introduced in chapter 1.

    >>> load_digits()
    Digits(train=1347, test=450, image_shape=(8, 8), seed=0, test_fraction=0.25)

    Raises:
        TypeError: if ``test_fraction`` is not a number or ``seed`` is not an integer.
        ValueError: if ``test_fraction`` is not strictly between 0 and 1 or ``seed`` not in ``[0, 2**32)``.
    """
    from sklearn.datasets import load_digits as _sk_load_digits
    from sklearn.model_selection import train_test_split

    test_fraction = checks.number(
        test_fraction, "test_fraction", low=0.0, high=1.0, low_inclusive=False, high_inclusive=False
    )
    seed = checks.seed(seed)
    bunch = _sk_load_digits()
    images = (bunch.images / 16.0).astype(np.float32)
    labels = bunch.target.astype(np.int64)
    x_train, x_test, y_train, y_test = train_test_split(
        images, labels, test_size=test_fraction, stratify=labels, random_state=seed
    )
    return Digits(x_train, y_train, x_test, y_test, seed=seed, test_fraction=test_fraction)


_MNIST_KEYS = ("x_train", "y_train", "x_test", "y_test")


def _checked_split(arrays: dict[str, np.ndarray], part: str, source: Path) -> tuple[np.ndarray, np.ndarray]:
    """Validate one part (``"train"`` or ``"test"``) of an MNIST npz and convert it to the book's dtypes."""
    x, y = arrays[f"x_{part}"], arrays[f"y_{part}"]
    if x.dtype != np.uint8 or x.ndim != 3 or x.shape[1:] != (28, 28):
        raise ValueError(
            f"{source}: x_{part} must be uint8 images of shape (N, 28, 28), "
            f"got {x.dtype} of shape {x.shape}; is this really MNIST's mnist.npz?"
        )
    if not np.issubdtype(y.dtype, np.integer) or y.shape != (len(x),):
        raise ValueError(
            f"{source}: y_{part} must be integer labels of shape ({len(x)},) to match x_{part}, "
            f"got {y.dtype} of shape {y.shape}"
        )
    if len(y) and (y.min() < 0 or y.max() > 9):
        raise ValueError(f"{source}: y_{part} must hold digits 0..9, got values {y.min()}..{y.max()}")
    # Divide in float32 directly: going through float64 would briefly need 8 bytes per pixel (~380 MB).
    return x.astype(np.float32) / np.float32(255.0), y.astype(np.int64)


def load_mnist(
    cache_dir: str | Path | None = None, *, url: str = MNIST_URL, sha256: str = MNIST_SHA256
) -> Digits:
    """MNIST's 70,000 handwritten digits (28×28), with the official 60,000/10,000 split. Needs a network once.

    The file is the ``mnist.npz`` that Keras itself downloads, fetched and verified by :func:`download`
    (cached, so only the first call downloads about 11 MB). Images become ``float32`` in ``[0, 1]`` (the
    ``uint8`` values divided by 255), labels ``int64``, as :func:`twice.load_digits` returns them; ``seed``
    and ``test_fraction`` are ``None`` because the split is MNIST's own.

    ``url`` and ``sha256`` let a reader point at a copy (``file://`` works); the file must hold ``x_train``,
    ``y_train``, ``x_test`` and ``y_test`` as in Keras. Introduced in chapter 2.

    An example with a two-image stand-in for MNIST, kept on this machine:

    >>> import tempfile
    >>> from twice.data import sha256_of
    >>> images = np.zeros((2, 28, 28), dtype=np.uint8)
    >>> with tempfile.TemporaryDirectory() as name:
    ...     copy = Path(name) / "mnist.npz"
    ...     np.savez(copy, x_train=images, y_train=[3, 5], x_test=images[:1], y_test=[7])
    ...     load_mnist(Path(name) / "cache", url=copy.as_uri(), sha256=sha256_of(copy))
    Digits(train=2, test=1, image_shape=(28, 28), seed=None, test_fraction=None)

    Raises:
        DownloadError: if the file cannot be downloaded (the message says what to do instead).
        ValueError: if the file is not an npz with those four arrays of the expected shapes and dtypes.
    """
    path = download(url, sha256, cache_dir=cache_dir)
    # allow_pickle=False: an npz is only ever arrays; never run code from a downloaded file.
    try:
        npz = np.load(path, allow_pickle=False)
    except Exception as err:  # not a zip/npy at all: np.load raises ValueError, OSError, BadZipFile, ...
        raise ValueError(f"{path} is not a readable npz file: {err}") from err
    # A bare .npy array, not an archive of arrays. ValueError, not TypeError: the file's content is wrong,
    # not the type of an argument.
    if not isinstance(npz, np.lib.npyio.NpzFile):
        raise ValueError(  # noqa: TRY004
            f"{path} holds a single array, not an npz archive of {', '.join(_MNIST_KEYS)}"
        )
    with npz:
        missing = [key for key in _MNIST_KEYS if key not in npz.files]
        if missing:
            raise ValueError(
                f"{path} lacks {', '.join(missing)}: expected the arrays {', '.join(_MNIST_KEYS)}, "
                f"found {', '.join(npz.files) or 'none'}"
            )
        try:
            # Members are read lazily, so a damaged member (or an object array) only fails here.
            arrays = {key: npz[key] for key in _MNIST_KEYS}
        except Exception as err:
            raise ValueError(f"{path} is not a readable npz file: {err}") from err
    x_train, y_train = _checked_split(arrays, "train", path)
    x_test, y_test = _checked_split(arrays, "test", path)
    return Digits(x_train, y_train, x_test, y_test, seed=None, test_fraction=None)


def validation_split(
    x: np.ndarray, y: np.ndarray, validation_fraction: float = 0.2, seed: int = 0
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Split training data into a part to train on and a validation part: stratified, the same on every machine.

    Returns ``(x_fit, y_fit, x_val, y_val)``. Every choice a notebook makes (epochs, early stopping, which
    remedy helps) is made on the validation part, so that the test set is used once, at the end. Stratified:
    each class has the same share in both parts. Introduced in chapter 2.

    >>> x_train, y_train = load_digits().train()
    >>> x_fit, y_fit, x_val, y_val = validation_split(x_train, y_train, 0.2, seed=0)
    >>> x_fit.shape, x_val.shape, y_val[:5]
    ((1077, 8, 8), (270, 8, 8), array([7, 0, 0, 3, 9]))

    Raises:
        TypeError: if ``validation_fraction`` is not a number or ``seed`` is not an integer.
        ValueError: if ``validation_fraction`` is not strictly between 0 and 1, ``seed`` not in ``[0, 2**32)``,
            or ``x`` and ``y`` differ in length.
    """
    from sklearn.model_selection import train_test_split

    validation_fraction = checks.number(
        validation_fraction, "validation_fraction", low=0.0, high=1.0, low_inclusive=False, high_inclusive=False
    )
    seed = checks.seed(seed)
    if len(x) != len(y):
        raise ValueError(f"x and y must have the same length, got {len(x)} and {len(y)}")
    x_fit, x_val, y_fit, y_val = train_test_split(
        x, y, test_size=validation_fraction, stratify=y, random_state=seed
    )
    return x_fit, y_fit, x_val, y_val
