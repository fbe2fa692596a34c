"""The survey CNN builders: the same architecture in both frameworks, convertible both ways."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import numpy as np
import pytest

if TYPE_CHECKING:  # for the annotation only: at run time torch is the module importorskip returns
    from torch import nn

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
keras = pytest.importorskip("keras")
torch = pytest.importorskip("torch")

from twice import convert, models


def _torch_params(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


@pytest.mark.parametrize(
    ("image_shape", "expected"), [((8, 8), 53_002), ((28, 28), 421_642), ((8, 12), 69_386)]
)
def test_both_builders_have_the_same_parameter_count(image_shape: tuple[int, int], expected: int) -> None:
    assert models.keras_survey_cnn(image_shape).count_params() == expected
    assert _torch_params(models.torch_survey_cnn(image_shape)) == expected


def test_output_shapes_follow_the_layouts() -> None:
    x = np.zeros((3, 8, 12, 1), dtype=np.float32)
    assert models.keras_survey_cnn((8, 12)).predict(x, verbose=0).shape == (3, 10)
    out = models.torch_survey_cnn((8, 12)).eval()(torch.from_numpy(x.transpose(0, 3, 1, 2)))
    assert tuple(out.shape) == (3, 10)


def test_dropout_rate_reaches_both_models() -> None:
    keras_rates = [
        layer.rate for layer in models.keras_survey_cnn(dropout=0.25).layers if hasattr(layer, "rate")
    ]
    torch_rates = [m.p for m in models.torch_survey_cnn(dropout=0.25) if isinstance(m, torch.nn.Dropout)]
    assert keras_rates == torch_rates == [0.25, 0.25]


def test_float64_keras_twin() -> None:
    model = models.keras_survey_cnn(dtype="float64")
    assert {w.dtype for w in model.weights} == {"float64"}
    assert model.predict(np.zeros((1, 8, 8, 1)), verbose=0).dtype == np.float64


@pytest.mark.parametrize("image_shape", [(8, 8), (28, 28)])
def test_trained_like_weights_convert_both_ways_with_dropout_layers_present(
    image_shape: tuple[int, int],
) -> None:
    rng = np.random.default_rng(0)
    keras64 = models.keras_survey_cnn(image_shape, dtype="float64")
    keras64.set_weights([rng.normal(scale=0.2, size=w.shape) for w in keras64.get_weights()])
    torch64 = models.torch_survey_cnn(image_shape).double()
    convert.keras_to_torch(keras64, torch64)
    x = rng.uniform(size=(5, *image_shape, 1))
    # Called directly: predict() would cast float64 inputs to Keras' floatx (float32) first.
    keras_logits = keras64(x).numpy()
    with torch.no_grad():
        torch_logits = torch64.eval()(torch.from_numpy(x.transpose(0, 3, 1, 2))).numpy()
    np.testing.assert_allclose(torch_logits, keras_logits, atol=1e-10)
    back = models.keras_survey_cnn(image_shape, dtype="float64")
    convert.torch_to_keras(torch64, back)
    for original, returned in zip(keras64.get_weights(), back.get_weights()):
        np.testing.assert_array_equal(original, returned)


@pytest.mark.parametrize("builder", [models.keras_survey_cnn, models.torch_survey_cnn])
@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"image_shape": (8, 6)}, "multiples of 4"),
        ({"image_shape": (0, 8)}, "multiples of 4"),
        ({"image_shape": (8, 8, 1)}, "multiples of 4"),
        ({"dropout": 1.0}, r"dropout must lie in \[0, 1\)"),
        ({"dropout": -0.1}, r"dropout must lie in \[0, 1\)"),
    ],
)
def test_bad_arguments_raise(builder: object, kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        builder(**kwargs)  # type: ignore[operator]
