"""Tests for twice.convert: weights moved between Keras and PyTorch compute the same function."""

from __future__ import annotations

import math
import subprocess
import sys
import textwrap
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from twice.convert import (
    conv2d_keras_to_torch,
    conv2d_torch_to_keras,
    dense_keras_to_torch,
    dense_torch_to_keras,
    flatten_dense_keras_to_torch,
    flatten_dense_torch_to_keras,
    keras_to_torch,
    torch_to_keras,
)

ATOL = 1e-5

# torch warns that padding='same' with an even kernel pads a copy of the input; that is the point of the test.
_EVEN_SAME = pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel lengths:UserWarning")


def _rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def _normal(rng: np.random.Generator, *shape: int) -> np.ndarray:
    return rng.standard_normal(shape).astype(np.float32)


# --- array level: round trips -------------------------------------------------------------------------------


@pytest.mark.parametrize("with_bias", [True, False])
def test_dense_round_trips_exactly(with_bias: bool) -> None:
    rng = _rng()
    kernel, bias = _normal(rng, 7, 4), (_normal(rng, 4) if with_bias else None)
    weight, torch_bias = dense_keras_to_torch(kernel, bias)
    assert weight.shape == (4, 7)
    np.testing.assert_array_equal(weight, kernel.T)
    back_kernel, back_bias = dense_torch_to_keras(weight, torch_bias)
    np.testing.assert_array_equal(back_kernel, kernel)
    if with_bias:
        np.testing.assert_array_equal(back_bias, bias)
    else:
        assert torch_bias is None and back_bias is None


@pytest.mark.parametrize("with_bias", [True, False])
def test_conv2d_round_trips_exactly(with_bias: bool) -> None:
    rng = _rng()
    kernel, bias = _normal(rng, 3, 5, 2, 6), (_normal(rng, 6) if with_bias else None)  # (kh, kw, in, out)
    weight, torch_bias = conv2d_keras_to_torch(kernel, bias)
    assert weight.shape == (6, 2, 3, 5)  # (out, in, kh, kw)
    np.testing.assert_array_equal(weight, kernel.transpose(3, 2, 0, 1))
    back_kernel, back_bias = conv2d_torch_to_keras(weight, torch_bias)
    np.testing.assert_array_equal(back_kernel, kernel)
    if with_bias:
        np.testing.assert_array_equal(back_bias, bias)
    else:
        assert torch_bias is None and back_bias is None


@pytest.mark.parametrize("hwc", [(2, 3, 5), (5, 3, 2), (4, 4, 1), (1, 1, 6)])
@pytest.mark.parametrize("with_bias", [True, False])
def test_flatten_dense_round_trips_exactly(hwc: tuple[int, int, int], with_bias: bool) -> None:
    rng = _rng()
    h, w, c = hwc
    kernel, bias = _normal(rng, h * w * c, 4), (_normal(rng, 4) if with_bias else None)
    weight, torch_bias = flatten_dense_keras_to_torch(kernel, bias, hwc)
    assert weight.shape == (4, h * w * c)
    back_kernel, back_bias = flatten_dense_torch_to_keras(weight, torch_bias, (c, h, w))
    np.testing.assert_array_equal(back_kernel, kernel)
    assert (back_bias is None) == (not with_bias)
    if with_bias:
        np.testing.assert_array_equal(back_bias, bias)


def test_flatten_dense_reorders_rows_from_hwc_to_chw() -> None:
    # Label each kernel row with the (h, w, c) it multiplies; after conversion, torch's column j must carry
    # the label of the value that nn.Flatten puts at position j of a (C, H, W) map.
    h, w, c = 2, 3, 5
    labels = np.arange(h * w * c, dtype=np.float32).reshape(h, w, c)
    kernel = labels.reshape(-1, 1)  # one output; row r multiplies Keras' r-th flattened value
    weight, _ = flatten_dense_keras_to_torch(kernel, None, (h, w, c))
    np.testing.assert_array_equal(weight[0], labels.transpose(2, 0, 1).reshape(-1))


def test_flatten_dense_matches_a_dense_on_both_layouts() -> None:
    rng = _rng(1)
    h, w, c = 2, 3, 5
    x_hwc = _normal(rng, 4, h, w, c)
    kernel, bias = _normal(rng, h * w * c, 3), _normal(rng, 3)
    weight, torch_bias = flatten_dense_keras_to_torch(kernel, bias, (h, w, c))
    keras_out = x_hwc.reshape(4, -1) @ kernel + bias
    torch_out = x_hwc.transpose(0, 3, 1, 2).reshape(4, -1) @ weight.T + torch_bias
    np.testing.assert_allclose(torch_out, keras_out, atol=ATOL, rtol=0)
    # The plain transpose has the right shape and the wrong answer.
    plain, _ = dense_keras_to_torch(kernel, bias)
    assert np.abs(x_hwc.transpose(0, 3, 1, 2).reshape(4, -1) @ plain.T + bias - keras_out).max() > 1e-2


Converter = Callable[..., tuple[np.ndarray, np.ndarray | None]]

_CONVERTERS: list[tuple[Converter, tuple[int, ...], tuple[Any, ...]]] = [
    (dense_keras_to_torch, (6, 4), ()),
    (dense_torch_to_keras, (4, 6), ()),
    (conv2d_keras_to_torch, (3, 3, 2, 4), ()),
    (conv2d_torch_to_keras, (4, 2, 3, 3), ()),
    (flatten_dense_keras_to_torch, (30, 4), ((2, 3, 5),)),
    (flatten_dense_torch_to_keras, (4, 30), ((5, 2, 3),)),
]
_CONVERTER_IDS = [convert.__name__ for convert, _, _ in _CONVERTERS]


@pytest.mark.parametrize(("convert", "shape", "extra"), _CONVERTERS, ids=_CONVERTER_IDS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_converters_keep_dtype_copy_and_leave_inputs_alone(
    convert: Converter, shape: tuple[int, ...], extra: tuple[Any, ...], dtype: type
) -> None:
    rng = _rng()
    weights: np.ndarray = rng.standard_normal(shape).astype(dtype)
    bias: np.ndarray = rng.standard_normal(4).astype(dtype)  # every converter above has 4 outputs
    weights_before, bias_before = weights.copy(), bias.copy()
    new_weights, new_bias = convert(weights, bias, *extra)
    assert new_weights.dtype == dtype and new_bias is not None and new_bias.dtype == dtype
    assert not np.shares_memory(new_weights, weights) and not np.shares_memory(new_bias, bias)
    new_weights[...] = 0
    new_bias[...] = 0
    np.testing.assert_array_equal(weights, weights_before)
    np.testing.assert_array_equal(bias, bias_before)


# --- array level: errors ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("convert", "bad_shape", "extra", "match"),
    [
        (dense_keras_to_torch, (6,), (), r"Keras Dense kernel must have shape \(in, out\), got \(6,\)"),
        (dense_torch_to_keras, (2, 3, 4), (), r"nn.Linear weight must have shape \(out, in\)"),
        (conv2d_keras_to_torch, (3, 3, 4), (), r"Conv2D kernel must have shape \(kh, kw, in, out\)"),
        (conv2d_torch_to_keras, (4, 3, 3), (), r"nn.Conv2d weight must have shape \(out, in, kh, kw\)"),
        (flatten_dense_keras_to_torch, (30,), ((2, 3, 5),), r"Keras Dense kernel must have shape"),
        (flatten_dense_torch_to_keras, (30,), ((5, 2, 3),), r"nn.Linear weight must have shape"),
    ],
)
def test_converters_reject_weights_of_the_wrong_rank(
    convert: Converter, bad_shape: tuple[int, ...], extra: tuple[Any, ...], match: str
) -> None:
    with pytest.raises(ValueError, match=match):
        convert(np.zeros(bad_shape, np.float32), None, *extra)


@pytest.mark.parametrize(("convert", "shape", "extra"), _CONVERTERS, ids=_CONVERTER_IDS)
@pytest.mark.parametrize("bad_bias", [(5,), (4, 1), ()])
def test_converters_reject_a_bias_that_does_not_match_the_outputs(
    convert: Converter, shape: tuple[int, ...], extra: tuple[Any, ...], bad_bias: tuple[int, ...]
) -> None:
    with pytest.raises(ValueError, match=r"bias must have shape \(4,\) to match the .* 4 outputs"):
        convert(np.zeros(shape, np.float32), np.zeros(bad_bias, np.float32), *extra)


def test_converters_reject_non_numeric_weights() -> None:
    with pytest.raises(TypeError, match="kernel must be a numeric array"):
        dense_keras_to_torch(np.array([[object()]]), None)


@pytest.mark.parametrize(
    ("convert", "shape", "feature_shape", "match"),
    [
        (
            flatten_dense_keras_to_torch,
            (30, 4),
            (2, 3, 4),
            r"\(H, W, C\)=\(2, 3, 4\) flattens to 24 values, .* 30",
        ),
        (
            flatten_dense_torch_to_keras,
            (4, 30),
            (5, 3, 3),
            r"\(C, H, W\)=\(5, 3, 3\) flattens to 45 values, .* 30",
        ),
        (flatten_dense_keras_to_torch, (30, 4), (30,), r"must be the 3-D feature map \(H, W, C\)"),
        (flatten_dense_torch_to_keras, (4, 30), (1, 5, 2, 3), r"must be the 3-D feature map \(C, H, W\)"),
        (flatten_dense_keras_to_torch, (30, 4), (-2, -3, 5), "must hold positive sizes"),
        (flatten_dense_keras_to_torch, (0, 4), (0, 3, 5), "must hold positive sizes"),
    ],
)
def test_flatten_converters_reject_a_bad_feature_shape(
    convert: Converter, shape: tuple[int, ...], feature_shape: tuple[int, ...], match: str
) -> None:
    with pytest.raises(ValueError, match=match):
        convert(np.zeros(shape, np.float32), None, feature_shape)


@pytest.mark.parametrize("feature_shape", [(2.0, 3, 5), (2, True, 15), "235", 30, None])
def test_flatten_converters_reject_a_feature_shape_that_is_not_three_integers(feature_shape: Any) -> None:
    with pytest.raises(TypeError, match="feature_shape must"):
        flatten_dense_keras_to_torch(np.zeros((30, 4), np.float32), None, feature_shape)


def test_flatten_converters_accept_numpy_integers() -> None:
    weight, _ = flatten_dense_keras_to_torch(np.zeros((30, 4), np.float32), None, np.array([2, 3, 5]))
    assert weight.shape == (4, 30)


# --- layer level: the same outputs in both frameworks -------------------------------------------------------


def test_keras_dense_and_converted_linear_agree(keras: Any, torch: Any) -> None:
    rng = _rng(2)
    layer = keras.layers.Dense(5)
    layer.build((None, 7))
    layer.set_weights([_normal(rng, 7, 5), _normal(rng, 5)])
    weight, bias = dense_keras_to_torch(*layer.get_weights())
    linear = torch.nn.Linear(7, 5)
    with torch.no_grad():
        linear.weight.copy_(torch.from_numpy(weight))
        linear.bias.copy_(torch.from_numpy(bias))
        x = _normal(rng, 11, 7)
        np.testing.assert_allclose(
            linear(torch.from_numpy(x)).numpy(), np.asarray(layer(x)), atol=ATOL, rtol=0
        )


@_EVEN_SAME
@pytest.mark.parametrize(
    ("keras_padding", "torch_padding", "kernel_size"),
    [("valid", 0, 3), ("same", 1, 3), ("same", 2, 5), ("same", "same", 4), ("valid", "valid", (2, 3))],
)
def test_keras_conv2d_and_converted_conv2d_agree(
    keras: Any, torch: Any, keras_padding: str, torch_padding: Any, kernel_size: Any
) -> None:
    rng = _rng(3)
    layer = keras.layers.Conv2D(6, kernel_size, padding=keras_padding)
    layer.build((None, 9, 8, 2))
    kh, kw = (kernel_size, kernel_size) if isinstance(kernel_size, int) else kernel_size
    layer.set_weights([_normal(rng, kh, kw, 2, 6), _normal(rng, 6)])
    weight, bias = conv2d_keras_to_torch(*layer.get_weights())
    conv = torch.nn.Conv2d(2, 6, kernel_size, padding=torch_padding)
    x_nhwc = _normal(rng, 3, 9, 8, 2)
    with torch.no_grad():
        conv.weight.copy_(torch.from_numpy(weight))
        conv.bias.copy_(torch.from_numpy(bias))
        y_nchw = conv(torch.from_numpy(x_nhwc.transpose(0, 3, 1, 2).copy())).numpy()
    y_nhwc = np.asarray(layer(x_nhwc))
    assert y_nchw.transpose(0, 2, 3, 1).shape == y_nhwc.shape
    np.testing.assert_allclose(y_nchw.transpose(0, 2, 3, 1), y_nhwc, atol=ATOL, rtol=0)


# --- model level --------------------------------------------------------------------------------------------


def _keras_cnn(keras: Any) -> Any:
    """The book's digits CNN, adapted to 8x8 grey images."""
    L = keras.layers
    return keras.Sequential(
        [
            keras.Input((8, 8, 1)),
            L.Conv2D(32, 3, padding="same", activation="relu"),
            L.MaxPooling2D(2),
            L.Conv2D(64, 3, padding="same", activation="relu"),
            L.MaxPooling2D(2),
            L.Flatten(),
            L.Dense(128, activation="relu"),
            L.Dense(10),
        ]
    )


def _keras_cnn_functional(keras: Any) -> Any:
    L = keras.layers
    inputs = keras.Input((8, 8, 1))
    x = L.Conv2D(32, 3, padding="same", activation="relu")(inputs)
    x = L.MaxPooling2D(2)(x)
    x = L.Conv2D(64, 3, padding="same", activation="relu")(x)
    x = L.MaxPooling2D(2)(x)
    x = L.Flatten()(x)
    x = L.Dropout(0.5)(x)  # between Flatten and Dense: the order survives it
    x = L.Dense(128, activation="relu")(x)
    return keras.Model(inputs, L.Dense(10)(x))


def _torch_cnn(torch: Any) -> Any:
    nn = torch.nn
    return nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(256, 128),
        nn.ReLU(),
        nn.Linear(128, 10),
    )


def _fan_in_uniform(rng: np.random.Generator, shape: tuple[int, ...], fan_in: int) -> np.ndarray:
    # Variance 1/fan_in keeps activations of order one, so that 1e-5 is a meaningful float32 tolerance.
    limit = math.sqrt(3.0 / fan_in)
    return rng.uniform(-limit, limit, size=shape).astype(np.float32)


def _randomise_keras(model: Any, seed: int) -> None:
    rng = _rng(seed)
    for layer in model.layers:
        weights = layer.get_weights()
        if weights:
            kernel = weights[0]
            fan_in = math.prod(kernel.shape[:-1])
            layer.set_weights(
                [_fan_in_uniform(rng, kernel.shape, fan_in)]
                + [rng.uniform(-0.1, 0.1, size=b.shape).astype(np.float32) for b in weights[1:]]
            )


def _randomise_torch(model: Any, torch: Any, seed: int) -> None:
    rng = _rng(seed)
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, (torch.nn.Linear, torch.nn.Conv2d)):
                fan_in = math.prod(module.weight.shape[1:])
                module.weight.copy_(
                    torch.from_numpy(_fan_in_uniform(rng, tuple(module.weight.shape), fan_in))
                )
                if module.bias is not None:
                    module.bias.copy_(
                        torch.from_numpy(rng.uniform(-0.1, 0.1, module.bias.shape).astype(np.float32))
                    )


def _images_nhwc(seed: int = 4, n: int = 32) -> np.ndarray:
    return _rng(seed).uniform(0.0, 1.0, size=(n, 8, 8, 1)).astype(np.float32)


def _logits(
    keras_model: Any, torch_model: Any, torch: Any, x_nhwc: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    keras_logits = np.asarray(keras_model(x_nhwc, training=False))
    torch_model.eval()
    with torch.no_grad():
        torch_logits = torch_model(torch.from_numpy(x_nhwc.transpose(0, 3, 1, 2).copy())).numpy()
    return keras_logits, torch_logits


@pytest.mark.parametrize("build", [_keras_cnn, _keras_cnn_functional], ids=["sequential", "functional"])
def test_keras_to_torch_gives_the_same_logits_and_predictions(keras: Any, torch: Any, build: Any) -> None:
    keras_model, torch_model = build(keras), _torch_cnn(torch)
    _randomise_keras(keras_model, seed=5)
    keras_to_torch(keras_model, torch_model)
    keras_logits, torch_logits = _logits(keras_model, torch_model, torch, _images_nhwc())
    assert keras_logits.shape == torch_logits.shape == (32, 10)
    np.testing.assert_allclose(torch_logits, keras_logits, atol=ATOL, rtol=0)
    np.testing.assert_array_equal(torch_logits.argmax(axis=1), keras_logits.argmax(axis=1))


@pytest.mark.parametrize("build", [_keras_cnn, _keras_cnn_functional], ids=["sequential", "functional"])
def test_torch_to_keras_gives_the_same_logits_and_predictions(keras: Any, torch: Any, build: Any) -> None:
    keras_model, torch_model = build(keras), _torch_cnn(torch)
    _randomise_torch(torch_model, torch, seed=6)
    torch_to_keras(torch_model, keras_model)
    keras_logits, torch_logits = _logits(keras_model, torch_model, torch, _images_nhwc())
    np.testing.assert_allclose(keras_logits, torch_logits, atol=ATOL, rtol=0)
    np.testing.assert_array_equal(keras_logits.argmax(axis=1), torch_logits.argmax(axis=1))


def test_keras_to_torch_to_keras_returns_the_original_weights_exactly(keras: Any, torch: Any) -> None:
    original, copy, torch_model = _keras_cnn(keras), _keras_cnn(keras), _torch_cnn(torch)
    _randomise_keras(original, seed=7)
    _randomise_keras(copy, seed=8)
    keras_to_torch(original, torch_model)
    torch_to_keras(torch_model, copy)
    for before, after in zip(original.get_weights(), copy.get_weights(), strict=True):
        np.testing.assert_array_equal(after, before)


def test_a_plain_transpose_after_flatten_gives_wrong_logits(keras: Any, torch: Any) -> None:
    keras_model, torch_model = _keras_cnn(keras), _torch_cnn(torch)
    _randomise_keras(keras_model, seed=9)
    keras_to_torch(keras_model, torch_model)
    x = _images_nhwc()
    keras_logits, right = _logits(keras_model, torch_model, torch, x)
    np.testing.assert_allclose(right, keras_logits, atol=ATOL, rtol=0)
    # Now copy the Dense after Flatten as if the layouts agreed: shapes fit, answers do not.
    dense = keras_model.layers[5]
    weight, _ = dense_keras_to_torch(*dense.get_weights())
    with torch.no_grad():
        torch_model[7].weight.copy_(torch.from_numpy(weight))
    _, wrong = _logits(keras_model, torch_model, torch, x)
    assert np.abs(wrong - keras_logits).max() > 1e-3
    assert np.abs(wrong - keras_logits).max() > 100 * np.abs(right - keras_logits).max()


def test_dense_only_models_need_no_flatten_and_a_non_image_flatten_is_not_reordered(
    keras: Any, torch: Any
) -> None:
    L, nn = keras.layers, torch.nn
    # A Flatten of a (steps, features) input lists values in the same order in both frameworks.
    keras_model = keras.Sequential(
        [keras.Input((4, 6)), L.Flatten(), L.Dense(5, activation="relu", use_bias=False), L.Dense(3)]
    )
    torch_model = nn.Sequential(nn.Flatten(), nn.Linear(24, 5, bias=False), nn.ReLU(), nn.Linear(5, 3))
    _randomise_keras(keras_model, seed=10)
    keras_to_torch(keras_model, torch_model)
    x = _normal(_rng(11), 6, 4, 6)
    with torch.no_grad():
        torch_out = torch_model(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(torch_out, np.asarray(keras_model(x)), atol=ATOL, rtol=0)
    assert torch_model[1].bias is None


def test_sequential_built_without_an_input_layer_is_read_the_same_way(keras: Any, torch: Any) -> None:
    L = keras.layers
    keras_model = keras.Sequential(
        [
            L.Conv2D(32, 3, padding="same", activation="relu"),
            L.MaxPooling2D(2),
            L.Conv2D(64, 3, padding="same", activation="relu"),
            L.MaxPooling2D(2),
            L.Flatten(),
            L.Dense(128, activation="relu"),
            L.Dense(10),
        ]
    )
    keras_model.build((None, 8, 8, 1))
    torch_model = _torch_cnn(torch)
    _randomise_keras(keras_model, seed=12)
    keras_to_torch(keras_model, torch_model)
    keras_logits, torch_logits = _logits(keras_model, torch_model, torch, _images_nhwc())
    np.testing.assert_allclose(torch_logits, keras_logits, atol=ATOL, rtol=0)


# --- model level: errors ------------------------------------------------------------------------------------


def test_an_unbuilt_keras_model_is_refused(keras: Any, torch: Any) -> None:
    keras_model = keras.Sequential([keras.layers.Dense(3)])
    with pytest.raises(ValueError, match="Keras model is not built"):
        keras_to_torch(keras_model, torch.nn.Linear(4, 3))
    with pytest.raises(ValueError, match="Keras model is not built"):
        torch_to_keras(torch.nn.Linear(4, 3), keras_model)


def test_models_of_the_wrong_type_are_refused(keras: Any, torch: Any) -> None:
    with pytest.raises(TypeError, match="keras_model must be a keras.Model"):
        keras_to_torch(keras.layers.Dense(3), torch.nn.Linear(4, 3))
    with pytest.raises(TypeError, match="torch_model must be a torch.nn.Module"):
        keras_to_torch(_keras_cnn(keras), [torch.nn.Linear(4, 3)])


def test_different_numbers_of_weighted_layers_are_refused(keras: Any, torch: Any) -> None:
    keras_model = _keras_cnn(keras)
    torch_model = _torch_cnn(torch)[:-2]  # drops the last ReLU and Linear
    with pytest.raises(
        ValueError, match=r"Keras model has 4 layers with weights .* torch model has 3 modules"
    ):
        keras_to_torch(keras_model, torch_model)
    with pytest.raises(
        ValueError, match=r"Keras model has 4 layers with weights .* torch model has 3 modules"
    ):
        torch_to_keras(torch_model, keras_model)


def test_layers_of_different_kinds_are_refused(keras: Any, torch: Any) -> None:
    keras_model = keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Flatten(), keras.layers.Dense(4)])
    torch_model = torch.nn.Sequential(torch.nn.Conv2d(1, 4, 3))
    with pytest.raises(ValueError, match=r"'dense\w*' \(Dense\) is paired with torch module '0' \(Conv2d\)"):
        keras_to_torch(keras_model, torch_model)


def test_shapes_that_disagree_after_conversion_are_refused(keras: Any, torch: Any) -> None:
    keras_model = keras.Sequential([keras.Input((6,)), keras.layers.Dense(4)])
    torch_model = torch.nn.Sequential(torch.nn.Linear(6, 5))
    with pytest.raises(
        ValueError, match=r"'dense\w*' and torch module '0' .* shape \(4, 6\), the target has shape \(5, 6\)"
    ):
        keras_to_torch(keras_model, torch_model)
    with pytest.raises(ValueError, match=r"shape \(6, 5\), the target has shape \(6, 4\)"):
        torch_to_keras(torch_model, keras_model)


def test_conv_kernel_sizes_that_disagree_are_refused(keras: Any, torch: Any) -> None:
    keras_model = keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Conv2D(4, 3)])
    torch_model = torch.nn.Conv2d(1, 4, 5)
    with pytest.raises(ValueError, match=r"shape \(4, 1, 3, 3\), the target has shape \(4, 1, 5, 5\)"):
        keras_to_torch(keras_model, torch_model)


def test_a_failed_conversion_changes_nothing(keras: Any, torch: Any) -> None:
    keras_model = keras.Sequential([keras.Input((6,)), keras.layers.Dense(4), keras.layers.Dense(3)])
    torch_model = torch.nn.Sequential(torch.nn.Linear(6, 4), torch.nn.Linear(4, 2))
    before = [p.detach().clone() for p in torch_model.parameters()]
    with pytest.raises(ValueError, match="do not fit"):
        keras_to_torch(keras_model, torch_model)
    for old, new in zip(before, torch_model.parameters()):
        assert torch.equal(old, new)


@pytest.mark.parametrize("keras_bias", [True, False])
def test_different_bias_presence_is_refused(keras: Any, torch: Any, keras_bias: bool) -> None:
    keras_model = keras.Sequential([keras.Input((6,)), keras.layers.Dense(4, use_bias=keras_bias)])
    torch_model = torch.nn.Linear(6, 4, bias=not keras_bias)
    match = rf"use_bias={keras_bias} but torch module '<root>' has bias={'None' if keras_bias else 'present'}"
    with pytest.raises(ValueError, match=match):
        keras_to_torch(keras_model, torch_model)
    with pytest.raises(ValueError, match=match):
        torch_to_keras(torch_model, keras_model)


def test_conv2d_without_bias_converts(keras: Any, torch: Any) -> None:
    keras_model = keras.Sequential([keras.Input((6, 6, 2)), keras.layers.Conv2D(3, 3, use_bias=False)])
    torch_model = torch.nn.Conv2d(2, 3, 3, bias=False)
    _randomise_keras(keras_model, seed=13)
    keras_to_torch(keras_model, torch_model)
    x = _normal(_rng(14), 2, 6, 6, 2)
    with torch.no_grad():
        y = torch_model(torch.from_numpy(x.transpose(0, 3, 1, 2).copy())).numpy().transpose(0, 2, 3, 1)
    np.testing.assert_allclose(y, np.asarray(keras_model(x)), atol=ATOL, rtol=0)


@pytest.mark.parametrize(
    ("keras_kwargs", "torch_kwargs", "match"),
    [
        ({"strides": 2}, {"stride": 1}, r"differ in stride: \(2, 2\) in Keras, \(1, 1\) in torch"),
        ({"dilation_rate": 2}, {"dilation": 1}, r"differ in dilation: \(2, 2\) in Keras, \(1, 1\) in torch"),
        (
            {"padding": "valid"},
            {"padding": 1},
            r"Keras padding='valid' adds none, the torch module pads \(1, 1\)",
        ),
        (
            {"padding": "valid"},
            {"padding": "same"},
            r"Keras padding='valid' adds none, .* with padding='same'",
        ),
        (
            {"padding": "same"},
            {"padding": 0},
            r"Keras padding='same' with kernel \(3, 3\) means \(1, 1\) pixels",
        ),
        ({"padding": "same"}, {"padding": 1, "padding_mode": "reflect"}, r"padding_mode='reflect'"),
        (
            {"padding": "same", "strides": 2},
            {"padding": 1, "stride": 2},
            r"padding='same' with strides \(2, 2\) .* shifts the sampling grid by one pixel",
        ),
        (
            {"padding": "same", "kernel_size": 4},
            {"padding": 2, "kernel_size": 4},
            r"kernel \(4, 4\) pads \(3, 3\) pixels in all, one more at the bottom/right .* one pixel",
        ),
    ],
)
def test_conv_pairs_that_compute_different_outputs_are_refused(
    keras: Any, torch: Any, keras_kwargs: dict[str, Any], torch_kwargs: dict[str, Any], match: str
) -> None:
    keras_kwargs = {"kernel_size": 3, **keras_kwargs}
    torch_kwargs = {"kernel_size": 3, **torch_kwargs}
    keras_model = keras.Sequential([keras.Input((8, 8, 2)), keras.layers.Conv2D(4, **keras_kwargs)])
    torch_model = torch.nn.Sequential(torch.nn.Conv2d(2, 4, **torch_kwargs))
    with pytest.raises(ValueError, match=match):
        keras_to_torch(keras_model, torch_model)
    with pytest.raises(ValueError, match=match):
        torch_to_keras(torch_model, keras_model)


def test_grouped_convolutions_that_disagree_are_refused(keras: Any, torch: Any) -> None:
    # The shapes differ too ((4, 2, 3, 3) against (4, 4, 3, 3)), but groups is the cause, so it comes first.
    keras_model = keras.Sequential([keras.Input((8, 8, 4)), keras.layers.Conv2D(4, 3, groups=2)])
    torch_model = torch.nn.Conv2d(4, 4, 3, groups=1)
    with pytest.raises(ValueError, match=r"differ in groups: 2 in Keras, 1 in torch"):
        keras_to_torch(keras_model, torch_model)


@_EVEN_SAME
@pytest.mark.parametrize(
    ("keras_kwargs", "torch_kwargs"),
    [
        ({"padding": "same", "kernel_size": 1, "strides": 2}, {"padding": 0, "kernel_size": 1, "stride": 2}),
        ({"padding": "same", "kernel_size": 4}, {"padding": "same", "kernel_size": 4}),
        ({"padding": "same", "dilation_rate": 2}, {"padding": 2, "dilation": 2}),
        ({"padding": "valid", "strides": 2, "groups": 2}, {"padding": "valid", "stride": 2, "groups": 2}),
    ],
)
def test_conv_pairs_with_equivalent_padding_are_accepted_and_agree(
    keras: Any, torch: Any, keras_kwargs: dict[str, Any], torch_kwargs: dict[str, Any]
) -> None:
    keras_kwargs = {"kernel_size": 3, **keras_kwargs}
    torch_kwargs = {"kernel_size": 3, **torch_kwargs}
    keras_model = keras.Sequential([keras.Input((9, 8, 4)), keras.layers.Conv2D(6, **keras_kwargs)])
    torch_model = torch.nn.Conv2d(4, 6, **torch_kwargs)
    _randomise_keras(keras_model, seed=15)
    keras_to_torch(keras_model, torch_model)
    x = _normal(_rng(16), 2, 9, 8, 4)
    with torch.no_grad():
        y = torch_model(torch.from_numpy(x.transpose(0, 3, 1, 2).copy())).numpy().transpose(0, 2, 3, 1)
    np.testing.assert_allclose(y, np.asarray(keras_model(x)), atol=ATOL, rtol=0)


@pytest.mark.parametrize(
    ("layer_factory", "input_shape", "kind"),
    [
        (lambda L: L.BatchNormalization(), (8, 8, 1), "BatchNormalization"),
        (lambda L: L.LSTM(4), (5, 3), "LSTM"),
        (lambda L: L.Embedding(10, 4), (5,), "Embedding"),
        (lambda L: L.DepthwiseConv2D(3), (8, 8, 2), "DepthwiseConv2D"),
    ],
)
def test_keras_layers_with_weights_of_unsupported_kinds_are_refused(
    keras: Any, torch: Any, layer_factory: Any, input_shape: tuple[int, ...], kind: str
) -> None:
    layer = layer_factory(keras.layers)
    keras_model = keras.Sequential([keras.Input(input_shape), layer])
    match = rf"Keras layer {layer.name!r} \({kind}\) has weights, but only Dense and Conv2D"
    with pytest.raises(TypeError, match=match):
        keras_to_torch(keras_model, torch.nn.Linear(2, 2))
    with pytest.raises(TypeError, match=match):
        torch_to_keras(torch.nn.Linear(2, 2), keras_model)


def test_a_lora_dense_is_refused(keras: Any, torch: Any) -> None:
    keras_model = keras.Sequential([keras.Input((6,)), keras.layers.Dense(4, name="adapted")])
    keras_model.layers[0].enable_lora(2)
    with pytest.raises(
        TypeError,
        match=r"'adapted' \(Dense\) has 4 weights, expected kernel and bias: LoRA-enabled or quantised",
    ):
        keras_to_torch(keras_model, torch.nn.Linear(6, 4))


def test_a_nested_keras_model_is_refused(keras: Any, torch: Any) -> None:
    inner = keras.Sequential([keras.Input((6,)), keras.layers.Dense(4)], name="head")
    keras_model = keras.Sequential([keras.Input((6,)), inner])
    with pytest.raises(TypeError, match=r"'head' is a nested model \(Sequential\)"):
        keras_to_torch(keras_model, torch.nn.Linear(6, 4))


def _scaled_linear(torch: Any) -> Any:
    class Scaled(torch.nn.Module):  # type: ignore[misc]
        def __init__(self) -> None:
            super().__init__()
            self.scale = torch.nn.Parameter(torch.ones(1))
            self.linear = torch.nn.Linear(6, 4)

        def forward(self, x: Any) -> Any:
            return self.scale * self.linear(x)

    return Scaled()


@pytest.mark.parametrize(
    ("module_factory", "label", "kind"),
    [
        (
            lambda torch: torch.nn.Sequential(torch.nn.BatchNorm1d(6), torch.nn.Linear(6, 4)),
            "'0'",
            "BatchNorm1d",
        ),
        (lambda torch: torch.nn.Sequential(torch.nn.Embedding(10, 6)), "'0'", "Embedding"),
        (lambda torch: torch.nn.Sequential(torch.nn.LSTM(6, 4)), "'0'", "LSTM"),
        (
            lambda torch: torch.nn.Sequential(torch.nn.BatchNorm1d(6, affine=False), torch.nn.Linear(6, 4)),
            "'0'",
            "BatchNorm1d",
        ),
        (_scaled_linear, "'<root>'", "Scaled"),
    ],
)
def test_torch_modules_with_parameters_of_unsupported_kinds_are_refused(
    keras: Any, torch: Any, module_factory: Any, label: str, kind: str
) -> None:
    keras_model = keras.Sequential([keras.Input((6,)), keras.layers.Dense(4)])
    match = rf"torch module {label} \({kind}\) has parameters or buffers, but only nn.Linear and nn.Conv2d"
    with pytest.raises(TypeError, match=match):
        keras_to_torch(keras_model, module_factory(torch))
    with pytest.raises(TypeError, match=match):
        torch_to_keras(module_factory(torch), keras_model)


def test_channels_first_keras_layers_are_refused(keras: Any, torch: Any) -> None:
    keras_model = keras.Sequential(
        [keras.Input((1, 8, 8)), keras.layers.Conv2D(4, 3, data_format="channels_first", name="cf")]
    )
    with pytest.raises(ValueError, match=r"'cf' uses data_format='channels_first'; only channels_last"):
        keras_to_torch(keras_model, torch.nn.Conv2d(1, 4, 3))
    keras_model = keras.Sequential(
        [
            keras.Input((4, 3, 2)),
            keras.layers.Flatten(data_format="channels_first", name="fl"),
            keras.layers.Dense(2),
        ]
    )
    with pytest.raises(ValueError, match=r"'fl' uses data_format='channels_first'"):
        keras_to_torch(keras_model, torch.nn.Linear(24, 2))


def test_a_flatten_hidden_behind_a_reshape_or_concatenate_is_refused(keras: Any, torch: Any) -> None:
    L = keras.layers
    reshaped = keras.Sequential(
        [keras.Input((2, 3, 4)), L.Reshape((24,), name="flat"), L.Dense(2, name="head")]
    )
    with pytest.raises(
        ValueError, match=r"'head' reads a 3-D feature map flattened by 'flat'; only a Flatten"
    ):
        keras_to_torch(reshaped, torch.nn.Linear(24, 2))
    a, b = keras.Input((2, 3, 4)), keras.Input((2, 2, 2))
    joined = L.Concatenate(name="join")([L.Flatten(name="fa")(a), L.Flatten(name="fb")(b)])
    model = keras.Model([a, b], L.Dense(2, name="head")(joined))
    with pytest.raises(
        ValueError, match=r"'head' reads a 3-D feature map flattened by 'f[ab]' through 'join'"
    ):
        keras_to_torch(model, torch.nn.Linear(32, 2))


def test_a_subclassed_keras_model_with_a_flatten_is_refused(keras: Any, torch: Any) -> None:
    L = keras.layers

    class Net(keras.Model):  # type: ignore[misc]
        def __init__(self) -> None:
            super().__init__()
            self.flatten, self.dense = L.Flatten(), L.Dense(2)

        def call(self, x: Any) -> Any:
            return self.dense(self.flatten(x))

    net = Net()
    net(np.zeros((1, 2, 3, 4), np.float32))
    with pytest.raises(ValueError, match="cannot tell whether Keras layer .* reads a flattened feature map"):
        keras_to_torch(net, torch.nn.Linear(24, 2))


# --- imports ------------------------------------------------------------------------------------------------


def test_importing_convert_imports_no_framework() -> None:
    code = """
        import sys
        import twice.convert
        leaked = [m for m in ("tensorflow", "keras", "torch") if m in sys.modules]
        assert not leaked, leaked
    """
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
