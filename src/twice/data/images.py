"""Images for the convolution chapter: scikit-learn's sample photos, grey conversion, and pixel shifts.

Everything here works on NumPy arrays and ships with scikit-learn; nothing downloads. Shapes follow the
glossary in :mod:`twice.layouts`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np


def load_sample_images() -> dict[str, np.ndarray]:
    """The two colour photos bundled with scikit-learn, by name: ``{"china": ..., "flower": ...}``.

    Each is ``uint8`` of shape ``(427, 640, 3)`` (height, width, RGB). Introduced in chapter 2.

    >>> {name: image.shape for name, image in load_sample_images().items()}
    {'china': (427, 640, 3), 'flower': (427, 640, 3)}
    """
    from sklearn.datasets import load_sample_images as _sk_load_sample_images

    bunch = _sk_load_sample_images()
    return {Path(f).stem: np.asarray(img) for f, img in zip(bunch.filenames, bunch.images)}


def to_grayscale(image: np.ndarray) -> np.ndarray:
    """Convert an RGB photo ``(H, W, 3)`` (``uint8`` 0..255 or float 0..1) to grey ``float32`` ``(H, W)`` in ``[0, 1]``.

    Uses the ITU-R BT.601 luma weights 0.299, 0.587, 0.114, as Pillow's ``convert("L")`` does.
    Introduced in chapter 2.

    >>> to_grayscale(np.array([[[255, 0, 0], [255, 255, 255]]], dtype=np.uint8))
    array([[0.299, 1.   ]], dtype=float32)

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
    digit, not the frame: the value at ``(i, j)`` moves to ``(i + down, j + right)``. Introduced in chapter 2
    (for data augmentation, :func:`twice.data.batch_stream`).

    >>> shift_images(np.arange(9).reshape(1, 3, 3), np.array([[1, -1]]))[0]
    array([[0, 0, 0],
           [1, 2, 0],
           [4, 5, 0]])

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
