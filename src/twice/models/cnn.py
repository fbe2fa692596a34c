"""Chapter 2's convolutional network, the survey's CNN, as a Keras twin and a PyTorch twin.

Introduced in chapter 2. Importing this module imports neither framework; each builder imports its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .. import checks


def _check(image_shape: object, dropout: object) -> tuple[int, int, float]:
    """``(H, W, dropout)``, checked: H and W multiples of 4 (two 2×2 poolings), dropout in [0, 1)."""
    if isinstance(image_shape, (str, bytes)) or not isinstance(image_shape, Sequence) or len(image_shape) != 2:
        raise TypeError(f"image_shape must be a pair (H, W) of integers, got {image_shape!r}")
    height, width = (checks.integer(s, "image_shape") for s in image_shape)
    if min(height, width) < 4 or height % 4 or width % 4:
        raise ValueError(
            f"image_shape must be (H, W) with H and W positive multiples of 4 (two 2×2 poolings), "
            f"got {tuple(image_shape)}"
        )
    rate = checks.number(dropout, "dropout", low=0.0, high=1.0, high_inclusive=False)
    return height, width, rate


def keras_survey_cnn(
    image_shape: tuple[int, int] = (8, 8), dropout: float = 0.4, dtype: str = "float32"
) -> Any:
    """The survey's CNN in Keras, adapted to small images: 'same' padding, dropout before each dense layer.

    Conv 32 3×3 → MaxPool 2 → Conv 64 3×3 → MaxPool 2 → Flatten → Dropout → Dense 128 → Dropout → Dense 10.
    Input ``(N, H, W, 1)`` (NHWC); output: 10 logits (no softmax: the loss is given ``from_logits=True``).
    ``dtype="float64"`` builds a twin for comparisons that should not be limited by float32 rounding.

    Introduced in chapter 2.

    >>> keras_survey_cnn((8, 8)).output_shape
    (None, 10)

    Raises:
        TypeError: for an image shape that is not a pair of integers, or a dropout that is not a number.
        ValueError: for an image shape that two 2×2 poolings cannot halve twice, or a dropout outside [0, 1).
    """
    import keras
    from keras import layers

    height, width, dropout = _check(image_shape, dropout)
    return keras.Sequential(
        [
            keras.Input((height, width, 1), dtype=dtype),
            layers.Conv2D(32, 3, padding="same", activation="relu", dtype=dtype),
            layers.MaxPooling2D(2, dtype=dtype),
            layers.Conv2D(64, 3, padding="same", activation="relu", dtype=dtype),
            layers.MaxPooling2D(2, dtype=dtype),
            layers.Flatten(dtype=dtype),
            layers.Dropout(dropout, dtype=dtype),
            layers.Dense(128, activation="relu", dtype=dtype),
            layers.Dropout(dropout, dtype=dtype),
            layers.Dense(10, dtype=dtype),
        ]
    )


def torch_survey_cnn(image_shape: tuple[int, int] = (8, 8), dropout: float = 0.4) -> Any:
    """The same CNN in PyTorch: input ``(N, 1, H, W)`` (NCHW); ``padding=1`` equals Keras' 'same' here.

    (With a 3×3 kernel and stride 1 both pad one pixel on every side; at stride 2 they would differ.)
    The flattened size, ``64 · H/4 · W/4``, must be written out, since ``nn.Linear`` needs its input size.

    Introduced in chapter 2.

    >>> torch_survey_cnn((8, 8))[8]
    Linear(in_features=256, out_features=128, bias=True)

    Raises:
        TypeError, ValueError: as :func:`keras_survey_cnn`.
    """
    from torch import nn

    height, width, dropout = _check(image_shape, dropout)
    return nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Dropout(dropout),
        nn.Linear(64 * (height // 4) * (width // 4), 128),
        nn.ReLU(),
        nn.Dropout(dropout),
        nn.Linear(128, 10),
    )
