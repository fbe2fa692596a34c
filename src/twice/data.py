"""Offline data: scikit-learn's bundled handwritten digits and sample photos.

Both ship inside the scikit-learn wheel, so every notebook runs without a network (see the data policy in
the book's design notes). Nothing here downloads anything.
"""

from __future__ import annotations

import numbers
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .determinism import check_seed

LAYOUTS = ("NHW", "flat", "NHWC", "NCHW")
"""Layouts that :func:`to_layout` accepts for a stack of grey images of shape ``(N, H, W)``."""


def to_layout(images: np.ndarray, layout: str) -> np.ndarray:
    """Rearrange grey images ``(N, H, W)`` into the layout a model expects.

    ``"NHW"`` returns them unchanged, ``"flat"`` gives ``(N, H*W)`` (row-major, for dense layers),
    ``"NHWC"`` adds a trailing channel axis (Keras' default), ``"NCHW"`` a channel axis after the batch
    axis (PyTorch's convention).

    Raises:
        ValueError: for an unknown layout or an array that is not 3-D.
    """
    if layout not in LAYOUTS:
        raise ValueError(f"unknown layout {layout!r}: expected one of {', '.join(LAYOUTS)}")
    images = np.asarray(images)
    if images.ndim != 3:
        raise ValueError(f"expected grey images of shape (N, H, W), got shape {images.shape}")
    if layout == "flat":
        return images.reshape(len(images), -1)
    if layout == "NHWC":
        return images[:, :, :, None]
    if layout == "NCHW":
        return images[:, None, :, :]
    return images


@dataclass(frozen=True)
class Digits:
    """A handwritten-digits data set, split once and for all into a training and a test part.

    Attributes:
        x_train, x_test: grey images, ``float32`` of shape ``(N, H, W)`` with values in ``[0, 1]``
            (scikit-learn's digits: 8×8, the raw pixel counts 0..16 divided by 16; MNIST: 28×28, 0..255 / 255).
        y_train, y_test: labels, ``int64`` of shape ``(N,)`` with values ``0..9``.
        seed, test_fraction: how the split was made (``None`` for a data set with an official split).
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
        """Training images in ``layout`` (see :func:`to_layout`) and their labels."""
        return to_layout(self.x_train, layout), self.y_train

    def test(self, layout: str = "NHW") -> tuple[np.ndarray, np.ndarray]:
        """Test images in ``layout`` (see :func:`to_layout`) and their labels."""
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

    Raises:
        TypeError: if ``test_fraction`` is not a number or ``seed`` is not an integer.
        ValueError: if ``test_fraction`` is not strictly between 0 and 1 or ``seed`` not in ``[0, 2**32)``.
    """
    from sklearn.datasets import load_digits as _sk_load_digits
    from sklearn.model_selection import train_test_split

    if isinstance(test_fraction, bool) or not isinstance(test_fraction, numbers.Real):
        raise TypeError(f"test_fraction must be a number, got {type(test_fraction).__name__}")
    if not 0.0 < test_fraction < 1.0:
        raise ValueError(f"test_fraction must lie strictly between 0 and 1, got {test_fraction}")
    seed = check_seed(seed)
    bunch = _sk_load_digits()
    images = (bunch.images / 16.0).astype(np.float32)
    labels = bunch.target.astype(np.int64)
    x_train, x_test, y_train, y_test = train_test_split(
        images, labels, test_size=float(test_fraction), stratify=labels, random_state=seed
    )
    return Digits(x_train, y_train, x_test, y_test, seed=seed, test_fraction=float(test_fraction))


def load_sample_images() -> dict[str, np.ndarray]:
    """The two colour photos bundled with scikit-learn, by name: ``{"china": ..., "flower": ...}``.

    Each is ``uint8`` of shape ``(427, 640, 3)`` (height, width, RGB).
    """
    from sklearn.datasets import load_sample_images as _sk_load_sample_images

    bunch = _sk_load_sample_images()
    return {Path(f).stem: np.asarray(img) for f, img in zip(bunch.filenames, bunch.images)}


def fixed_batches(num_examples: int, batch_size: int, epochs: int, seed: int = 0) -> list[np.ndarray]:
    """A fixed shuffled batch order: ``epochs`` permutations of ``range(num_examples)``, cut into batches.

    Both frameworks (and a NumPy reference) can train on exactly the same batches in the same order, which
    their own shuffling cannot promise. The last batch of an epoch may be smaller (nothing is dropped).

    Raises:
        ValueError: if a size or count is not a positive integer, or the seed is out of range.
        TypeError: if the seed is not an integer (``None`` would give a different order on every call).
    """
    seed = check_seed(seed)
    for label, value in (("num_examples", num_examples), ("batch_size", batch_size), ("epochs", epochs)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"{label} must be a positive integer, got {value!r}")
    rng = np.random.default_rng(seed)
    batches: list[np.ndarray] = []
    for _ in range(epochs):
        order = rng.permutation(num_examples)
        batches.extend(order[i : i + batch_size] for i in range(0, num_examples, batch_size))
    return batches


def to_grayscale(image: np.ndarray) -> np.ndarray:
    """Convert an RGB photo ``(H, W, 3)`` (``uint8`` 0..255 or float 0..1) to grey ``float32`` ``(H, W)`` in ``[0, 1]``.

    Uses the ITU-R BT.601 luma weights 0.299, 0.587, 0.114, as Pillow's ``convert("L")`` does.

    Raises:
        ValueError: if the array is not ``(H, W, 3)``.
    """
    image = np.asarray(image)
    if image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"expected an RGB image of shape (H, W, 3), got shape {image.shape}")
    scale = 255.0 if np.issubdtype(image.dtype, np.integer) else 1.0
    grey: np.ndarray = image.astype(np.float64) @ np.array([0.299, 0.587, 0.114]) / scale
    return grey.astype(np.float32)


def shift_images(images: np.ndarray, shifts: np.ndarray) -> np.ndarray:
    """Shift each grey image ``(N, H, W)`` by whole pixels, filling the uncovered border with zeros.

    ``shifts`` is ``(N, 2)`` integers ``(down, right)``; negative values shift up or left. A shift moves the
    digit, not the frame: the value at ``(i, j)`` moves to ``(i + down, j + right)``.

    Raises:
        ValueError: for mismatched shapes or a shift as large as the image.
    """
    images = np.asarray(images)
    shifts = np.asarray(shifts)
    if images.ndim != 3:
        raise ValueError(f"expected grey images of shape (N, H, W), got shape {images.shape}")
    if shifts.shape != (len(images), 2) or not np.issubdtype(shifts.dtype, np.integer):
        raise ValueError(
            f"shifts must be integers of shape ({len(images)}, 2), got {shifts.dtype} {shifts.shape}"
        )
    shifts = shifts.astype(np.int64)  # unsigned or 8-bit shifts would overflow when negated below
    height, width = images.shape[1:]
    if shifts.size and (np.abs(shifts[:, 0]).max() >= height or np.abs(shifts[:, 1]).max() >= width):
        raise ValueError(f"shifts must be smaller than the image size {height}x{width}")
    out = np.zeros_like(images)
    for k, (down, right) in enumerate(shifts):
        src_rows = slice(max(0, -down), height - max(0, down))
        dst_rows = slice(max(0, down), height - max(0, -down))
        src_cols = slice(max(0, -right), width - max(0, right))
        dst_cols = slice(max(0, right), width - max(0, -right))
        out[k, dst_rows, dst_cols] = images[k, src_rows, src_cols]
    return out


def batch_stream(
    x: np.ndarray,
    y: np.ndarray,
    *,
    batch_size: int,
    seed: int = 0,
    max_shift: int = 0,
    layout: str = "NHW",
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """An endless stream of training batches, the same for every framework.

    Epoch after epoch: a new seeded permutation of the examples, cut into batches of ``batch_size`` (the last
    one of an epoch may be smaller; ``math.ceil(len(x) / batch_size)`` batches an epoch). With
    ``max_shift > 0`` each image is shifted by a random whole number of pixels in ``[-max_shift, max_shift]``
    in each direction (data augmentation). Batches come in ``layout`` (see :func:`to_layout`).

    Because shuffling and augmentation happen here, in NumPy, a Keras model (``model.fit(stream,
    steps_per_epoch=...)``) and a PyTorch model can train on exactly the same batches.

    Raises:
        ValueError: for mismatched or empty ``x``/``y``, a bad batch size, a negative shift or one as large as
            the image, or an unknown layout.
    """
    x = np.asarray(x)
    y = np.asarray(y)
    if x.ndim != 3 or len(x) != len(y):
        raise ValueError(f"expected images (N, H, W) and N labels, got shapes {x.shape} and {y.shape}")
    if len(x) == 0:
        raise ValueError("x is empty: a stream of batches needs at least one example")
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
    if isinstance(max_shift, bool) or not isinstance(max_shift, (int, np.integer)) or max_shift < 0:
        raise ValueError(f"max_shift must be a non-negative integer, got {max_shift!r}")
    if max_shift >= min(x.shape[1:]):
        raise ValueError(
            f"max_shift must be smaller than the image size {x.shape[1]}x{x.shape[2]}, got {max_shift}"
        )
    if layout not in LAYOUTS:
        raise ValueError(f"unknown layout {layout!r}: expected one of {', '.join(LAYOUTS)}")
    seed = check_seed(seed)
    return _batch_stream(x, y, batch_size, seed, max_shift, layout)


def _batch_stream(
    x: np.ndarray, y: np.ndarray, batch_size: int, seed: int, max_shift: int, layout: str
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(seed)
    while True:
        order = rng.permutation(len(x))
        for start in range(0, len(x), batch_size):
            index = order[start : start + batch_size]
            images = x[index]
            if max_shift:
                images = shift_images(images, rng.integers(-max_shift, max_shift + 1, size=(len(index), 2)))
            yield to_layout(images, layout), y[index]
