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


def survey_cnn_initial_weights(image_shape: tuple[int, int] = (8, 8), seed: int = 0) -> list[Any]:
    """Initial weights of the survey's CNN for one seed, drawn in NumPy, in Keras' layout and order.

    Keras' default initialisation, written out so that it does not depend on either framework: every kernel
    is Glorot-uniform, ``U(-a, a)`` with ``a = sqrt(6 / (fan_in + fan_out))`` (for a convolution
    ``fan_in = kh·kw·in`` and ``fan_out = kh·kw·out``), every bias zero. The list is what
    ``keras_survey_cnn(image_shape).set_weights`` takes; :func:`survey_cnn_torch_state` puts the same
    numbers into the PyTorch twin. So both frameworks can start from the same weights, seed by seed.

    Introduced in chapter 2.

    >>> weights = survey_cnn_initial_weights((8, 8), seed=0)
    >>> [w.shape for w in weights][:4], len(weights)
    ([(3, 3, 1, 32), (32,), (3, 3, 32, 64), (64,)], 8)
    >>> bool((survey_cnn_initial_weights(seed=0)[0] == weights[0]).all())
    True

    Raises:
        TypeError, ValueError: as :func:`keras_survey_cnn`, or for a seed outside ``[0, 2**32)``.
    """
    import numpy as np

    height, width, _ = _check(image_shape, 0.0)
    rng = np.random.default_rng(checks.seed(seed))
    kernel_shapes = [(3, 3, 1, 32), (3, 3, 32, 64), (64 * (height // 4) * (width // 4), 128), (128, 10)]
    weights = []
    for shape in kernel_shapes:
        receptive = int(np.prod(shape[:-2]))
        fan_in, fan_out = receptive * shape[-2], receptive * shape[-1]
        limit = np.sqrt(6.0 / (fan_in + fan_out))
        weights.append(rng.uniform(-limit, limit, size=shape).astype(np.float32))
        weights.append(np.zeros(shape[-1], dtype=np.float32))
    return weights


def survey_cnn_torch_state(weights: Sequence[Any], image_shape: tuple[int, int] = (8, 8)) -> dict[str, Any]:
    """Keras-layout weights of the survey's CNN (``get_weights`` order) as a state dict of the PyTorch twin.

    The values are NumPy arrays keyed like ``torch_survey_cnn(image_shape).state_dict()``; turn them into
    tensors to load them (``{k: torch.from_numpy(v) for k, v in state.items()}``). The rules are the
    converter's: :data:`twice.convolution.CONV2D_RULE` for the kernels (HWIO → OIHW),
    :data:`twice.dense.FLATTEN_DENSE_RULE` for the first dense layer (its inputs reordered from
    height-width-channel to channel-height-width) and :data:`twice.dense.DENSE_RULE` for the last. No framework
    is imported, so a PyTorch notebook can start from Keras' initialisation without Keras.

    Introduced in chapter 2.

    >>> state = survey_cnn_torch_state(survey_cnn_initial_weights((8, 8), seed=0))
    >>> {name: value.shape for name, value in state.items() if name.startswith("8.")}
    {'8.weight': (128, 256), '8.bias': (128,)}

    Raises:
        ValueError: if there are not 8 arrays, or one does not fit the rule of its layer.
    """
    from ..convolution import CONV2D_RULE
    from ..dense import DENSE_RULE, FLATTEN_DENSE_RULE

    height, width, _ = _check(image_shape, 0.0)
    if len(weights) != 8:
        raise ValueError(f"the survey CNN has 8 weight arrays (4 kernels, 4 biases), got {len(weights)}")
    moved = [
        ("0", CONV2D_RULE.to_torch(weights[0], weights[1])),
        ("3", CONV2D_RULE.to_torch(weights[2], weights[3])),
        ("8", FLATTEN_DENSE_RULE.to_torch(weights[4], weights[5], H=height // 4, W=width // 4, C=64)),
        ("11", DENSE_RULE.to_torch(weights[6], weights[7])),
    ]
    state: dict[str, Any] = {}
    for index, (weight, bias) in moved:
        state[f"{index}.weight"], state[f"{index}.bias"] = weight, bias
    return state
