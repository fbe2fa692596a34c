"""Offline data: scikit-learn's bundled handwritten digits and sample photos.

Both ship inside the scikit-learn wheel, so every notebook runs without a network (see the data policy in
the book's design notes). Nothing here downloads anything.
"""

from __future__ import annotations

import numbers
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
