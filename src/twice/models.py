"""The book's models, built the same way in both frameworks.

A notebook builds its own framework's model from here and, in its parity section, the other framework's
twin, so each architecture is written once per framework. Keras and PyTorch are imported inside the
functions, when called.
"""

from __future__ import annotations

from typing import Any


def _check(image_shape: tuple[int, int], dropout: float) -> tuple[int, int]:
    if len(image_shape) != 2 or any(not isinstance(s, int) or s < 4 or s % 4 for s in image_shape):
        raise ValueError(
            f"image_shape must be (H, W) with H and W positive multiples of 4 (two 2×2 poolings), got {image_shape}"
        )
    if not 0.0 <= dropout < 1.0:
        raise ValueError(f"dropout must lie in [0, 1), got {dropout}")
    return image_shape[0], image_shape[1]


def keras_survey_cnn(
    image_shape: tuple[int, int] = (8, 8), dropout: float = 0.4, dtype: str = "float32"
) -> Any:
    """The survey's CNN in Keras, adapted to small images: 'same' padding, dropout before each dense layer.

    Conv 32 3×3 → MaxPool 2 → Conv 64 3×3 → MaxPool 2 → Flatten → Dropout → Dense 128 → Dropout → Dense 10.
    Input ``(N, H, W, 1)`` (NHWC); output: 10 logits (no softmax: the loss is given ``from_logits=True``).
    ``dtype="float64"`` builds a twin for comparisons that should not be limited by float32 rounding.

    Raises:
        ValueError: for an image shape that two 2×2 poolings cannot halve twice, or a dropout outside [0, 1).
    """
    import keras
    from keras import layers

    height, width = _check(image_shape, dropout)
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

    Raises:
        ValueError: as :func:`keras_survey_cnn`.
    """
    from torch import nn

    height, width = _check(image_shape, dropout)
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
