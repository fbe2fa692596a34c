"""Batches that both frameworks train on in the same order: the order is drawn here, in NumPy.

Each framework's own shuffling draws from its own random stream, so ``model.fit(shuffle=True)`` and a
``DataLoader(shuffle=True)`` never see the same batches. These helpers draw the order (and, for chapter 2,
the augmentation) once, so a Keras model, a PyTorch model and a NumPy reference can be fed identical batches.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from .. import checks
from ..layouts import GREY_LAYOUTS, to_layout
from .images import shift_images


def fixed_batches(num_examples: int, batch_size: int, epochs: int, seed: int = 0) -> list[np.ndarray]:
    """A fixed shuffled batch order: ``epochs`` permutations of ``range(num_examples)``, cut into batches.

    Both frameworks (and a NumPy reference) can train on exactly the same batches in the same order, which
    their own shuffling cannot promise. The last batch of an epoch may be smaller (nothing is dropped).

    Introduced in chapter 1.

    >>> [batch.tolist() for batch in fixed_batches(5, batch_size=2, epochs=1)]
    [[2, 4], [3, 0], [1]]

    Raises:
        TypeError: if a size, count or the seed is not an integer (a ``None`` seed would give a different
            order on every call).
        ValueError: if a size or count is not positive, or the seed is out of range.
    """
    seed = checks.seed(seed)
    num_examples = checks.integer(num_examples, "num_examples", minimum=1)
    batch_size = checks.integer(batch_size, "batch_size", minimum=1)
    epochs = checks.integer(epochs, "epochs", minimum=1)
    rng = np.random.default_rng(seed)
    batches: list[np.ndarray] = []
    for _ in range(epochs):
        order = rng.permutation(num_examples)
        batches.extend(order[i : i + batch_size] for i in range(0, num_examples, batch_size))
    return batches


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
    in each direction (data augmentation). Batches come in ``layout`` (see :func:`twice.layouts.to_layout`).

    Because shuffling and augmentation happen here, in NumPy, a Keras model (``model.fit(stream,
    steps_per_epoch=...)``) and a PyTorch model can train on exactly the same batches.

    Introduced in chapter 2.

    >>> stream = batch_stream(np.zeros((10, 8, 8)), np.arange(10), batch_size=4, layout="NCHW")
    >>> [next(stream)[0].shape for _ in range(3)]
    [(4, 1, 8, 8), (4, 1, 8, 8), (2, 1, 8, 8)]

    Raises:
        TypeError: for a batch size, shift or seed that is not an integer.
        ValueError: for mismatched or empty ``x``/``y``, a batch size that is not positive, a negative shift
            or one as large as the image, or an unknown layout.
    """
    x = np.asarray(x)
    y = np.asarray(y)
    if x.ndim != 3 or len(x) != len(y):
        raise ValueError(f"expected images (N, H, W) and N labels, got shapes {x.shape} and {y.shape}")
    if len(x) == 0:
        raise ValueError("x is empty: a stream of batches needs at least one example")
    batch_size = checks.integer(batch_size, "batch_size", minimum=1)
    max_shift = checks.integer(max_shift, "max_shift", minimum=0)
    if max_shift >= min(x.shape[1:]):
        raise ValueError(
            f"max_shift must be smaller than the image size {x.shape[1]}x{x.shape[2]}, got {max_shift}"
        )
    layout = checks.one_of(layout, "layout", tuple(GREY_LAYOUTS))
    seed = checks.seed(seed)
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
