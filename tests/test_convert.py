"""Tests for twice.convert and the weight rules it applies: moved weights compute the same function.

The rules (:data:`twice.dense.DENSE_RULE`, :data:`twice.dense.FLATTEN_DENSE_RULE`,
:data:`twice.convolution.CONV2D_RULE`) are tested on arrays and on single layers; :func:`keras_to_torch` and
:func:`torch_to_keras` on whole models, with the book's survey CNN (:mod:`twice.models`) where it fits.
"""

from __future__ import annotations

import math
import re
import subprocess
import sys
import textwrap
from collections.abc import Callable
from typing import Any, Literal

import numpy as np
import pytest

from twice import models
from twice.attention import MULTI_HEAD_ATTENTION_RULE
from twice.convert import Copied, Transfer, keras_to_torch, torch_to_keras
from twice.convolution import CONV2D_RULE
from twice.dense import DENSE_RULE, FLATTEN_DENSE_RULE
from twice.embeddings import EMBEDDING_RULE
from twice.layouts import WeightRule

ATOL = 1e-5

# torch warns that padding='same' with an even kernel pads a copy of the input; that is the point of the test.
_EVEN_SAME = pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel lengths:UserWarning")


def _rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def _normal(rng: np.random.Generator, *shape: int) -> np.ndarray:
    return rng.standard_normal(shape).astype(np.float32)


# --- weight rules: round trips and layouts ------------------------------------------------------------------

RuleDirection = Literal["to_torch", "to_keras"]

# Each rule with a Keras kernel shape, the matching torch weight shape and the sizes it takes: 4 outputs each.
_RULES: dict[str, tuple[WeightRule, tuple[int, ...], tuple[int, ...], dict[str, int]]] = {
    "dense": (DENSE_RULE, (6, 4), (4, 6), {}),
    "conv2d": (CONV2D_RULE, (3, 3, 2, 4), (4, 2, 3, 3), {}),
    "flatten_dense": (FLATTEN_DENSE_RULE, (30, 4), (4, 30), {"H": 2, "W": 3, "C": 5}),
}
_DIRECTIONS: tuple[RuleDirection, ...] = ("to_torch", "to_keras")


def _moves(*rules: str) -> list[Any]:
    """``(rule, direction)`` parameters for ``rules`` (all of ``_RULES`` by default), both directions each."""
    return [pytest.param(r, d, id=f"{r}-{d}") for r in rules or tuple(_RULES) for d in _DIRECTIONS]


_EVERY_MOVE = _moves()


def _source(rule: str, direction: RuleDirection, dtype: type = np.float32) -> np.ndarray:
    """Random weights of the shape that ``rule`` moves in ``direction``: a Keras kernel or a torch weight."""
    _, keras_shape, torch_shape, _ = _RULES[rule]
    return _rng().standard_normal(keras_shape if direction == "to_torch" else torch_shape).astype(dtype)


def _move(
    rule: str, direction: RuleDirection, weights: object, bias: object = None, **sizes: Any
) -> tuple[np.ndarray, np.ndarray | None]:
    """Apply one of ``_RULES`` in ``direction``, with its own sizes unless ``sizes`` are given."""
    weight_rule, _, _, own_sizes = _RULES[rule]
    method = weight_rule.to_torch if direction == "to_torch" else weight_rule.to_keras
    return method(weights, bias, **(sizes or own_sizes))


_FEATURE_MAPS = [(2, 3, 5), (5, 3, 2), (4, 4, 1), (1, 1, 6)]


@pytest.mark.parametrize(
    ("rule", "kernel_shape", "weight_shape", "sizes"),
    [
        pytest.param(DENSE_RULE, (7, 4), (4, 7), {}, id="dense"),
        pytest.param(CONV2D_RULE, (3, 5, 2, 4), (4, 2, 3, 5), {}, id="conv2d"),
        *(
            pytest.param(
                FLATTEN_DENSE_RULE,
                (h * w * c, 4),
                (4, h * w * c),
                {"H": h, "W": w, "C": c},
                id=f"flatten_dense-{h}x{w}x{c}",
            )
            for h, w, c in _FEATURE_MAPS
        ),
    ],
)
@pytest.mark.parametrize("with_bias", [True, False])
def test_rules_round_trip_exactly(
    rule: WeightRule,
    kernel_shape: tuple[int, ...],
    weight_shape: tuple[int, ...],
    sizes: dict[str, int],
    with_bias: bool,
) -> None:
    rng = _rng()
    kernel, bias = _normal(rng, *kernel_shape), (_normal(rng, 4) if with_bias else None)
    weight, torch_bias = rule.to_torch(kernel, bias, **sizes)
    assert weight.shape == weight_shape
    back_kernel, back_bias = rule.to_keras(weight, torch_bias, **sizes)
    np.testing.assert_array_equal(back_kernel, kernel)
    if bias is None:
        assert torch_bias is None and back_bias is None
    else:
        np.testing.assert_array_equal(torch_bias, bias)
        np.testing.assert_array_equal(back_bias, bias)


@pytest.mark.parametrize(
    ("rule", "kernel_shape", "axes"),
    [
        # Dense: (in, out) -> (out, in); Conv2D: (kh, kw, in, out) -> (out, in, kh, kw).
        pytest.param(DENSE_RULE, (7, 4), (1, 0), id="dense"),
        pytest.param(CONV2D_RULE, (3, 5, 2, 6), (3, 2, 0, 1), id="conv2d"),
    ],
)
def test_dense_and_conv2d_rules_only_move_axes(
    rule: WeightRule, kernel_shape: tuple[int, ...], axes: tuple[int, ...]
) -> None:
    kernel = _normal(_rng(), *kernel_shape)
    weight, _ = rule.to_torch(kernel)
    np.testing.assert_array_equal(weight, kernel.transpose(axes))
    # And the other way, from a torch weight made independently of the first call.
    back, _ = rule.to_keras(np.ascontiguousarray(kernel.transpose(axes)))
    np.testing.assert_array_equal(back, kernel)


def test_flatten_dense_rule_reorders_rows_from_hwc_to_chw() -> None:
    # Label each kernel row with the (h, w, c) it multiplies; after conversion, torch's column j must carry
    # the label of the value that nn.Flatten puts at position j of a (C, H, W) map.
    h, w, c = 2, 3, 5
    labels = np.arange(h * w * c, dtype=np.float32).reshape(h, w, c)
    kernel = labels.reshape(-1, 1)  # one output; row r multiplies Keras' r-th flattened value
    weight, _ = FLATTEN_DENSE_RULE.to_torch(kernel, None, H=h, W=w, C=c)
    np.testing.assert_array_equal(weight[0], labels.transpose(2, 0, 1).reshape(-1))
    # Going back, with the same keyword sizes, lists the labels in Keras' (H, W, C) order again.
    back, _ = FLATTEN_DENSE_RULE.to_keras(weight, None, H=h, W=w, C=c)
    np.testing.assert_array_equal(back[:, 0], labels.reshape(-1))


def test_flatten_dense_rule_matches_a_dense_on_both_layouts() -> None:
    rng = _rng(1)
    h, w, c = 2, 3, 5
    x_hwc = _normal(rng, 4, h, w, c)
    kernel, bias = _normal(rng, h * w * c, 3), _normal(rng, 3)
    weight, torch_bias = FLATTEN_DENSE_RULE.to_torch(kernel, bias, H=h, W=w, C=c)
    keras_out = x_hwc.reshape(4, -1) @ kernel + bias
    torch_out = x_hwc.transpose(0, 3, 1, 2).reshape(4, -1) @ weight.T + torch_bias
    np.testing.assert_allclose(torch_out, keras_out, atol=ATOL, rtol=0)
    # The plain transpose has the right shape and the wrong answer.
    plain, _ = DENSE_RULE.to_torch(kernel, bias)
    assert plain.shape == weight.shape
    assert np.abs(x_hwc.transpose(0, 3, 1, 2).reshape(4, -1) @ plain.T + bias - keras_out).max() > 1e-2


@pytest.mark.parametrize(("rule", "direction"), _EVERY_MOVE)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_rules_keep_dtype_copy_and_leave_inputs_alone(
    rule: str, direction: RuleDirection, dtype: type
) -> None:
    weights = _source(rule, direction, dtype)
    bias: np.ndarray = _rng(1).standard_normal(4).astype(dtype)
    weights_before, bias_before = weights.copy(), bias.copy()
    new_weights, new_bias = _move(rule, direction, weights, bias)
    assert new_weights.dtype == dtype and new_bias is not None and new_bias.dtype == dtype
    assert not np.shares_memory(new_weights, weights) and not np.shares_memory(new_bias, bias)
    new_weights[...] = 0
    new_bias[...] = 0
    np.testing.assert_array_equal(weights, weights_before)
    np.testing.assert_array_equal(bias, bias_before)


# --- weight rules: errors -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rule", "direction", "bad_shape", "match"),
    [
        ("dense", "to_torch", (6,), r"^a Keras Dense kernel must have shape \(in, out\), got \(6,\)$"),
        (
            "dense",
            "to_keras",
            (2, 3, 4),
            r"^an nn.Linear weight must have shape \(out, in\), got \(2, 3, 4\)$",
        ),
        ("conv2d", "to_torch", (3, 3, 4), r"^a Keras Conv2D kernel must have shape \(kh, kw, in, out\), got"),
        ("conv2d", "to_keras", (4, 3, 3), r"^an nn.Conv2d weight must have shape \(out, in, kh, kw\), got"),
        (
            "flatten_dense",
            "to_torch",
            (30,),
            r"^a Keras Dense kernel must have shape \(H \* W \* C, out\), got",
        ),
        (
            "flatten_dense",
            "to_keras",
            (30,),
            r"^an nn.Linear weight must have shape \(out, C \* H \* W\), got",
        ),
    ],
)
def test_rules_reject_weights_of_the_wrong_rank(
    rule: str, direction: RuleDirection, bad_shape: tuple[int, ...], match: str
) -> None:
    with pytest.raises(ValueError, match=match):
        _move(rule, direction, np.zeros(bad_shape, np.float32))


@pytest.mark.parametrize(("rule", "direction"), _EVERY_MOVE)
@pytest.mark.parametrize("bad_bias", [(5,), (4, 1), ()])
def test_rules_reject_a_bias_that_does_not_match_the_outputs(
    rule: str, direction: RuleDirection, bad_bias: tuple[int, ...]
) -> None:
    match = rf"^bias must have shape \(4,\) to match the 4 outputs, got {re.escape(str(bad_bias))}$"
    with pytest.raises(ValueError, match=match):
        _move(rule, direction, _source(rule, direction), np.zeros(bad_bias, np.float32))


@pytest.mark.parametrize(("rule", "direction"), _EVERY_MOVE)
def test_rules_reject_non_numeric_weights_and_biases(rule: str, direction: RuleDirection) -> None:
    with pytest.raises(TypeError, match=r"^an? (Keras \w+ kernel|nn.\w+ weight) must be a numeric array"):
        _move(rule, direction, np.full(_source(rule, direction).shape, object()))
    with pytest.raises(TypeError, match=r"^bias must be a numeric array, got ndarray"):
        _move(rule, direction, _source(rule, direction), np.array(["a"] * 4))


@pytest.mark.parametrize(
    ("direction", "shape", "sizes", "match"),
    [
        (
            "to_torch",
            (30, 4),
            {"H": 2, "W": 3, "C": 4},
            r"^a Keras Dense kernel has 30 values along H \* W \* C, but H=2, W=3, C=4 make 24$",
        ),
        (
            "to_keras",
            (4, 30),
            {"H": 3, "W": 3, "C": 5},
            r"^an nn.Linear weight has 30 values along C \* H \* W, but C=5, H=3, W=3 make 45$",
        ),
        ("to_torch", (30, 4), {"H": -2, "W": -3, "C": 5}, r"^H must be a positive integer, got -2$"),
        ("to_keras", (4, 30), {"H": 2, "W": -3, "C": -5}, r"^W must be a positive integer, got -3$"),
        # An empty map fits an empty kernel (0 = 0 * 3 * 5), and is refused all the same.
        ("to_torch", (0, 4), {"H": 0, "W": 3, "C": 5}, r"^H must be a positive integer, got 0$"),
        ("to_keras", (4, 0), {"H": 2, "W": 3, "C": 0}, r"^C must be a positive integer, got 0$"),
    ],
)
def test_flatten_dense_rule_rejects_sizes_that_do_not_fit(
    direction: RuleDirection, shape: tuple[int, ...], sizes: dict[str, int], match: str
) -> None:
    with pytest.raises(ValueError, match=match):
        _move("flatten_dense", direction, np.zeros(shape, np.float32), **sizes)


_SIZES_EXPECTED = r"Dense weights take the sizes H=\.\.\., W=\.\.\., C=\.\.\.; got "


@pytest.mark.parametrize("direction", _DIRECTIONS)
@pytest.mark.parametrize(
    ("sizes", "match"),
    [
        ({"H": 2.0, "W": 3, "C": 5}, r"^H must be an integer, got float 2\.0$"),
        ({"H": 2, "W": True, "C": 15}, r"^W must be an integer, got bool True$"),
        ({"H": "2", "W": 3, "C": 5}, r"^H must be an integer, got str '2'$"),
        ({"H": 2, "W": 3, "C": None}, r"^C must be an integer, got NoneType None$"),
        ({"H": np.float64(2), "W": 3, "C": 5}, r"^H must be an integer, got float64"),
        # What the old feature_shape sequences (30,) and (1, 5, 2, 3) become: sizes missing or unknown.
        ({"H": 30}, rf"^{_SIZES_EXPECTED}\['H'\]$"),
        ({"N": 1, "C": 5, "H": 2, "W": 3}, rf"^{_SIZES_EXPECTED}\['C', 'H', 'N', 'W'\]$"),
    ],
)
def test_flatten_dense_rule_rejects_sizes_that_are_not_three_integers(
    direction: RuleDirection, sizes: dict[str, Any], match: str
) -> None:
    with pytest.raises(TypeError, match=match):
        _move("flatten_dense", direction, _source("flatten_dense", direction), **sizes)


@pytest.mark.parametrize("direction", _DIRECTIONS)
def test_flatten_dense_rule_needs_its_sizes_as_keywords(direction: RuleDirection) -> None:
    weights = _source("flatten_dense", direction)
    method = FLATTEN_DENSE_RULE.to_torch if direction == "to_torch" else FLATTEN_DENSE_RULE.to_keras
    with pytest.raises(TypeError, match=rf"^{_SIZES_EXPECTED}\[\]$"):
        method(weights, None)
    with pytest.raises(TypeError, match="positional argument"):  # the old API's feature_shape sequence
        method(weights, None, (2, 3, 5))  # type: ignore[call-arg]


@pytest.mark.parametrize(("rule", "direction"), _moves("dense", "conv2d"))
def test_dense_and_conv2d_rules_take_no_sizes(rule: str, direction: RuleDirection) -> None:
    with pytest.raises(TypeError, match=r"^(Dense|Conv2D) weights take .*; got \['H'\]$"):
        _move(rule, direction, _source(rule, direction), H=2)


@pytest.mark.parametrize("direction", _DIRECTIONS)
def test_flatten_dense_rule_accepts_numpy_integer_sizes(direction: RuleDirection) -> None:
    weights = _source("flatten_dense", direction)
    expected, _ = _move("flatten_dense", direction, weights)
    read_off_an_array = dict(zip("HWC", np.array([2, 3, 5])))  # np.int64 each
    mixed = {"H": np.int64(2), "W": np.int32(3), "C": np.uint8(5)}
    for sizes in (read_off_an_array, mixed):
        moved, _ = _move("flatten_dense", direction, weights, **sizes)
        np.testing.assert_array_equal(moved, expected)


# --- layer level: a rule's weights compute the same outputs in both frameworks ------------------------------


def _to_nchw(x: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(x.transpose(0, 3, 1, 2))


def _outputs(keras_model: Any, torch_model: Any, torch: Any, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Keras' and torch's outputs, both in evaluation mode, for the inputs ``x`` as Keras takes them.

    A 4-D ``x`` is a batch of images: torch gets it as ``(N, C, H, W)``, and 4-D outputs come back as
    ``(N, H, W, C)``, so that the two results compare directly.
    """
    keras_out = np.asarray(keras_model(x, training=False))
    torch_model.eval()
    with torch.no_grad():
        torch_out = torch_model(torch.from_numpy(_to_nchw(x) if x.ndim == 4 else x)).numpy()
    return keras_out, (torch_out.transpose(0, 2, 3, 1) if torch_out.ndim == 4 else torch_out)


def _assert_agree(keras_out: np.ndarray, torch_out: np.ndarray) -> None:
    assert torch_out.shape == keras_out.shape
    np.testing.assert_allclose(torch_out, keras_out, atol=ATOL, rtol=0)


def _set_torch(torch: Any, module: Any, weight: np.ndarray, bias: np.ndarray | None = None) -> None:
    with torch.no_grad():
        module.weight.copy_(torch.from_numpy(weight))
        if bias is not None:
            module.bias.copy_(torch.from_numpy(bias))


def test_keras_dense_and_a_linear_given_its_weights_by_the_rule_agree(keras: Any, torch: Any) -> None:
    rng = _rng(2)
    layer = keras.layers.Dense(5)
    layer.build((None, 7))
    layer.set_weights([_normal(rng, 7, 5), _normal(rng, 5)])
    linear = torch.nn.Linear(7, 5)
    _set_torch(torch, linear, *DENSE_RULE.to_torch(*layer.get_weights()))
    _assert_agree(*_outputs(layer, linear, torch, _normal(rng, 11, 7)))


@_EVEN_SAME
@pytest.mark.parametrize(
    ("keras_padding", "torch_padding", "kernel_size"),
    [("valid", 0, 3), ("same", 1, 3), ("same", 2, 5), ("same", "same", 4), ("valid", "valid", (2, 3))],
)
def test_keras_conv2d_and_a_conv2d_given_its_weights_by_the_rule_agree(
    keras: Any, torch: Any, keras_padding: str, torch_padding: Any, kernel_size: Any
) -> None:
    rng = _rng(3)
    layer = keras.layers.Conv2D(6, kernel_size, padding=keras_padding)
    layer.build((None, 9, 8, 2))
    kh, kw = (kernel_size, kernel_size) if isinstance(kernel_size, int) else kernel_size
    layer.set_weights([_normal(rng, kh, kw, 2, 6), _normal(rng, 6)])
    conv = torch.nn.Conv2d(2, 6, kernel_size, padding=torch_padding)
    _set_torch(torch, conv, *CONV2D_RULE.to_torch(*layer.get_weights()))
    _assert_agree(*_outputs(layer, conv, torch, _normal(rng, 3, 9, 8, 2)))


# --- model level --------------------------------------------------------------------------------------------

TransferDirection = Literal["to torch", "to Keras"]
_BOTH_WAYS: tuple[TransferDirection, ...] = ("to torch", "to Keras")


def _keras_functional_cnn(keras: Any, image_shape: tuple[int, int]) -> Any:
    """The survey CNN's weighted layers as a functional model: no Dropout but the one after Flatten."""
    L = keras.layers
    inputs = keras.Input((*image_shape, 1))
    x = L.MaxPooling2D(2)(L.Conv2D(32, 3, padding="same", activation="relu")(inputs))
    x = L.MaxPooling2D(2)(L.Conv2D(64, 3, padding="same", activation="relu")(x))
    x = L.Dropout(0.5)(L.Flatten()(x))  # between Flatten and Dense: the order survives it
    x = L.Dense(128, activation="relu")(x)
    return keras.Model(inputs, L.Dense(10)(x))


KerasBuilder = Callable[[Any, tuple[int, int]], Any]
_KERAS_CNNS = [
    pytest.param(lambda _keras, shape: models.keras_survey_cnn(shape), id="sequential"),
    pytest.param(_keras_functional_cnn, id="functional"),
]


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
    for module in model.modules():
        if isinstance(module, (torch.nn.Linear, torch.nn.Conv2d)):
            fan_in = math.prod(module.weight.shape[1:])
            bias = (
                None if module.bias is None else rng.uniform(-0.1, 0.1, module.bias.shape).astype(np.float32)
            )
            _set_torch(torch, module, _fan_in_uniform(rng, tuple(module.weight.shape), fan_in), bias)


def _images_nhwc(image_shape: tuple[int, int] = (8, 8), seed: int = 4, n: int = 32) -> np.ndarray:
    return _rng(seed).uniform(0.0, 1.0, size=(n, *image_shape, 1)).astype(np.float32)


def _transfer(direction: TransferDirection, keras_model: Any, torch_model: Any) -> Transfer:
    if direction == "to torch":
        return keras_to_torch(keras_model, torch_model)
    return torch_to_keras(torch_model, keras_model)


def _convert_and_compare(
    keras_model: Any,
    torch_model: Any,
    torch: Any,
    x: np.ndarray,
    *,
    seed: int,
    direction: TransferDirection = "to torch",
) -> tuple[Transfer, np.ndarray, np.ndarray]:
    """Randomise the source model, copy its weights across, check that both models agree on ``x``.

    Returns the report and Keras' and torch's outputs (see :func:`_outputs`).
    """
    if direction == "to torch":
        _randomise_keras(keras_model, seed)
    else:
        _randomise_torch(torch_model, torch, seed)
    report = _transfer(direction, keras_model, torch_model)
    keras_out, torch_out = _outputs(keras_model, torch_model, torch, x)
    _assert_agree(keras_out, torch_out)
    return report, keras_out, torch_out


def _assert_refused_both_ways(keras_model: Any, torch_model: Any, error: type[Exception], match: str) -> None:
    for direction in _BOTH_WAYS:
        with pytest.raises(error, match=match):
            _transfer(direction, keras_model, torch_model)


@pytest.mark.parametrize("direction", _BOTH_WAYS)
@pytest.mark.parametrize("build", _KERAS_CNNS)
@pytest.mark.parametrize("image_shape", [(8, 8), (8, 12)], ids=["8x8", "8x12"])
def test_converted_models_give_the_same_logits_and_predictions(
    keras: Any, torch: Any, direction: TransferDirection, build: KerasBuilder, image_shape: tuple[int, int]
) -> None:
    keras_model, torch_model = build(keras, image_shape), models.torch_survey_cnn(image_shape)
    x = _images_nhwc(image_shape)
    report, keras_logits, torch_logits = _convert_and_compare(
        keras_model, torch_model, torch, x, seed=5, direction=direction
    )
    assert keras_logits.shape == (32, 10)
    np.testing.assert_array_equal(torch_logits.argmax(axis=1), keras_logits.argmax(axis=1))
    h, w = image_shape
    assert report.pairs[2].rule == FLATTEN_DENSE_RULE
    assert report.pairs[2].sizes == {"H": h // 4, "W": w // 4, "C": 64}


def test_keras_to_torch_to_keras_returns_the_original_weights_exactly(keras: Any, torch: Any) -> None:
    original, copy, torch_model = (
        models.keras_survey_cnn(),
        models.keras_survey_cnn(),
        models.torch_survey_cnn(),
    )
    _randomise_keras(original, seed=7)
    _randomise_keras(copy, seed=8)
    there = keras_to_torch(original, torch_model)
    back = torch_to_keras(torch_model, copy)
    for before, after in zip(original.get_weights(), copy.get_weights(), strict=True):
        np.testing.assert_array_equal(after, before)
    assert [(p.rule, p.sizes) for p in back.pairs] == [(p.rule, p.sizes) for p in there.pairs]


def test_a_plain_transpose_after_flatten_gives_wrong_logits(keras: Any, torch: Any) -> None:
    keras_model, torch_model = models.keras_survey_cnn(), models.torch_survey_cnn()
    x = _images_nhwc()
    report, keras_logits, right = _convert_and_compare(keras_model, torch_model, torch, x, seed=9)
    # Now copy the Dense after Flatten as if the layouts agreed: shapes fit, answers do not.
    (pair,) = (p for p in report.pairs if p.rule == FLATTEN_DENSE_RULE)
    weight, _ = DENSE_RULE.to_torch(*keras_model.get_layer(pair.keras_layer).get_weights())
    _set_torch(torch, torch_model.get_submodule(pair.torch_module), weight)
    _, wrong = _outputs(keras_model, torch_model, torch, x)
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
    report, _, _ = _convert_and_compare(keras_model, torch_model, torch, _normal(_rng(11), 6, 4, 6), seed=10)
    assert [(p.rule, p.sizes) for p in report.pairs] == [(DENSE_RULE, {}), (DENSE_RULE, {})]
    assert torch_model[1].bias is None


def test_sequential_built_without_an_input_layer_is_read_the_same_way(keras: Any, torch: Any) -> None:
    L, nn = keras.layers, torch.nn
    keras_model = keras.Sequential(
        [L.Conv2D(4, 3, padding="same", activation="relu"), L.Flatten(), L.Dense(3)]
    )
    keras_model.build((None, 8, 6, 2))
    torch_model = nn.Sequential(
        nn.Conv2d(2, 4, 3, padding=1), nn.ReLU(), nn.Flatten(), nn.Linear(8 * 6 * 4, 3)
    )
    report, _, _ = _convert_and_compare(
        keras_model, torch_model, torch, _normal(_rng(12), 5, 8, 6, 2), seed=12
    )
    assert (report.pairs[1].rule, report.pairs[1].sizes) == (FLATTEN_DENSE_RULE, {"H": 8, "W": 6, "C": 4})


# --- model level: what was copied ---------------------------------------------------------------------------


@pytest.mark.parametrize("direction", _BOTH_WAYS)
def test_the_report_names_each_pair_and_the_rule_that_moved_it(
    keras: Any, torch: Any, direction: TransferDirection
) -> None:
    keras_model, torch_model = models.keras_survey_cnn((8, 12)), models.torch_survey_cnn((8, 12))
    report = _transfer(direction, keras_model, torch_model)
    assert isinstance(report, Transfer) and report.direction == direction
    assert all(isinstance(pair, Copied) for pair in report.pairs)
    assert [p.keras_layer for p in report.pairs] == [
        layer.name for layer in keras_model.layers if layer.weights
    ]
    assert [p.torch_module for p in report.pairs] == ["0", "3", "8", "11"]  # torch_model's Conv2d and Linear
    assert [p.rule for p in report.pairs] == [CONV2D_RULE, CONV2D_RULE, FLATTEN_DENSE_RULE, DENSE_RULE]
    # The Dense after Flatten reads a 2 × 3 map of 64 channels: 8 × 12 images, pooled twice.
    assert [p.sizes for p in report.pairs] == [{}, {}, {"H": 2, "W": 3, "C": 64}, {}]


def test_the_report_prints_one_line_per_pair(keras: Any, torch: Any) -> None:
    keras_model, torch_model = models.keras_survey_cnn((8, 12)), models.torch_survey_cnn((8, 12))
    conv, conv_1, dense, dense_1 = (layer.name for layer in keras_model.layers if layer.weights)
    report = torch_to_keras(torch_model, keras_model)
    assert str(report).splitlines() == [
        "copied 4 layers to Keras:",
        f"  {conv} (Conv2D, kh kw in out) <-> 0 (nn.Conv2d, out in kh kw)",
        f"  {conv_1} (Conv2D, kh kw in out) <-> 3 (nn.Conv2d, out in kh kw)",
        f"  {dense} (Dense, (H W C) out) <-> 8 (nn.Linear, out (C H W)) with H=2, W=3, C=64",
        f"  {dense_1} (Dense, in out) <-> 11 (nn.Linear, out in)",
    ]
    assert repr(report) == str(report)  # what a notebook cell shows
    assert str(keras_to_torch(keras_model, torch_model)).startswith("copied 4 layers to torch:\n")


# --- model level: errors ------------------------------------------------------------------------------------


def test_an_unbuilt_keras_model_is_refused(keras: Any, torch: Any) -> None:
    keras_model = keras.Sequential([keras.layers.Dense(3)])
    _assert_refused_both_ways(keras_model, torch.nn.Linear(4, 3), ValueError, "Keras model is not built")


def test_models_of_the_wrong_type_are_refused(keras: Any, torch: Any) -> None:
    _assert_refused_both_ways(
        keras.layers.Dense(3), torch.nn.Linear(4, 3), TypeError, "keras_model must be a keras.Model"
    )
    _assert_refused_both_ways(
        models.keras_survey_cnn(), [torch.nn.Linear(4, 3)], TypeError, "torch_model must be a torch.nn.Module"
    )


def test_different_numbers_of_weighted_layers_are_refused(keras: Any, torch: Any) -> None:
    torch_model = models.torch_survey_cnn()[:-1]  # drops the last Linear
    match = r"Keras model has 4 layers with weights .* torch model has 3 modules"
    _assert_refused_both_ways(models.keras_survey_cnn(), torch_model, ValueError, match)


def test_layers_of_different_kinds_are_refused(keras: Any, torch: Any) -> None:
    keras_model = keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Flatten(), keras.layers.Dense(4)])
    torch_model = torch.nn.Sequential(torch.nn.Conv2d(1, 4, 3))
    match = r"'dense\w*' \(Dense\) is paired with torch module '0' \(Conv2d\)"
    _assert_refused_both_ways(keras_model, torch_model, ValueError, match)


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
    torch_before = [p.detach().clone() for p in torch_model.parameters()]
    keras_before = keras_model.get_weights()
    # The first pair fits and would be copied; the second does not, so neither is.
    _assert_refused_both_ways(keras_model, torch_model, ValueError, "do not fit")
    for old, new in zip(torch_before, torch_model.parameters(), strict=True):
        assert torch.equal(old, new)
    for old_array, new_array in zip(keras_before, keras_model.get_weights(), strict=True):
        np.testing.assert_array_equal(new_array, old_array)


@pytest.mark.parametrize("keras_bias", [True, False])
def test_different_bias_presence_is_refused(keras: Any, torch: Any, keras_bias: bool) -> None:
    keras_model = keras.Sequential([keras.Input((6,)), keras.layers.Dense(4, use_bias=keras_bias)])
    torch_model = torch.nn.Linear(6, 4, bias=not keras_bias)
    match = rf"use_bias={keras_bias} but torch module '<root>' has bias={'None' if keras_bias else 'present'}"
    _assert_refused_both_ways(keras_model, torch_model, ValueError, match)


def test_conv2d_without_bias_converts(keras: Any, torch: Any) -> None:
    keras_model = keras.Sequential([keras.Input((6, 6, 2)), keras.layers.Conv2D(3, 3, use_bias=False)])
    torch_model = torch.nn.Conv2d(2, 3, 3, bias=False)
    report, _, _ = _convert_and_compare(
        keras_model, torch_model, torch, _normal(_rng(14), 2, 6, 6, 2), seed=13
    )
    assert [p.rule for p in report.pairs] == [CONV2D_RULE] and torch_model.bias is None


@pytest.mark.parametrize("torch_dtype", ["float32", "bfloat16"])
def test_bfloat16_keras_weights_convert_exactly_both_ways(keras: Any, torch: Any, torch_dtype: str) -> None:
    # NumPy has no bfloat16: Keras hands such weights out in an ml_dtypes type, which is no NumPy number.
    keras_model, back = (
        keras.Sequential([keras.Input((6,)), keras.layers.Dense(4, dtype="bfloat16")]) for _ in range(2)
    )
    _randomise_keras(keras_model, seed=17)  # rounded to bfloat16 as they are set
    torch_model = torch.nn.Linear(6, 4).to(getattr(torch, torch_dtype))
    assert [p.rule for p in keras_to_torch(keras_model, torch_model).pairs] == [DENSE_RULE]
    kernel, bias = (w.astype(np.float32) for w in keras_model.get_weights())
    np.testing.assert_array_equal(torch_model.weight.detach().float().numpy(), kernel.T)
    np.testing.assert_array_equal(torch_model.bias.detach().float().numpy(), bias)
    torch_to_keras(torch_model, back)
    for before, after in zip(keras_model.get_weights(), back.get_weights(), strict=True):
        np.testing.assert_array_equal(after.astype(np.float32), before.astype(np.float32))


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
    _assert_refused_both_ways(keras_model, torch_model, ValueError, match)


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
    _convert_and_compare(keras_model, torch_model, torch, _normal(_rng(16), 2, 9, 8, 4), seed=15)


@pytest.mark.parametrize(
    ("layer_factory", "input_shape", "kind"),
    [
        (lambda L: L.BatchNormalization(), (8, 8, 1), "BatchNormalization"),
        (lambda L: L.Conv1D(2, 3), (5, 3), "Conv1D"),
        (lambda L: L.GroupNormalization(groups=1), (5,), "GroupNormalization"),
        (lambda L: L.PReLU(), (5,), "PReLU"),
        (lambda L: L.DepthwiseConv2D(3), (8, 8, 2), "DepthwiseConv2D"),
    ],
)
def test_keras_layers_with_weights_of_unsupported_kinds_are_refused(
    keras: Any, torch: Any, layer_factory: Any, input_shape: tuple[int, ...], kind: str
) -> None:
    layer = layer_factory(keras.layers)
    keras_model = keras.Sequential([keras.Input(input_shape), layer])
    match = (
        rf"Keras layer {layer.name!r} \({kind}\) has weights, but only Dense, Conv2D, SimpleRNN, LSTM, GRU, "
        r"Embedding, MultiHeadAttention, LayerNormalization \(and Bidirectional recurrent layers, and custom "
        r"layers made of these\) can be converted"
    )
    _assert_refused_both_ways(keras_model, torch.nn.Linear(2, 2), TypeError, match)


def test_a_lora_dense_is_refused(keras: Any, torch: Any) -> None:
    keras_model = keras.Sequential([keras.Input((6,)), keras.layers.Dense(4, name="adapted")])
    keras_model.layers[0].enable_lora(2)
    with pytest.raises(
        TypeError,
        match=r"'adapted' \(Dense\) has 4 weights, expected 2: LoRA-enabled or quantised",
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
        (lambda torch: torch.nn.Sequential(torch.nn.EmbeddingBag(10, 6)), "'0'", "EmbeddingBag"),
        (lambda torch: torch.nn.Sequential(torch.nn.LSTMCell(6, 4)), "'0'", "LSTMCell"),
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
    match = (
        rf"torch module {label} \({kind}\) has parameters or buffers, but only nn.Linear, nn.Conv2d, nn.RNN, "
        "nn.LSTM, nn.GRU, nn.Embedding, nn.MultiheadAttention, nn.LayerNorm can be converted"
    )
    _assert_refused_both_ways(keras_model, module_factory(torch), TypeError, match)


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


def test_a_flatten_of_a_volume_is_refused_in_both_directions(keras: Any, torch: Any) -> None:
    # Keras flattens (D, H, W, C), torch (C, D, H, W): another order, which no rule reorders.
    L = keras.layers
    volume = keras.Sequential([keras.Input((2, 2, 2, 3)), L.Flatten(name="flat"), L.Dense(2, name="head")])
    head = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(24, 2))
    before = [p.detach().clone() for p in head.parameters()]
    for direction in ("to torch", "to Keras"):
        with pytest.raises(ValueError, match=r"'flat' flattens a 4-D map \(2, 2, 2, 3\); only \(H, W, C\)"):
            if direction == "to torch":
                keras_to_torch(volume, head)
            else:
                torch_to_keras(head, volume)
    assert all(torch.equal(a, b) for a, b in zip(before, head.parameters()))


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


# --- embeddings (chapter 4) ---------------------------------------------------------------------------------


def _keras_embedding(keras: Any, vocab: int = 12, dim: int = 5, **kwargs: Any) -> Any:
    layer = keras.layers.Embedding(vocab, dim, name="emb", **kwargs)
    return keras.Sequential([keras.Input((7,), dtype="int32"), layer])


def _torch_bag(torch: Any, vocab: int, dim: int, classes: int) -> Any:
    """Embedding, the plain mean over the positions, Linear: the twin of Keras' unmasked bag model."""

    class Bag(torch.nn.Module):  # type: ignore[misc]
        def __init__(self) -> None:
            super().__init__()
            self.embedding = torch.nn.Embedding(vocab, dim)
            self.linear = torch.nn.Linear(dim, classes)

        def forward(self, ids: Any) -> Any:
            return self.linear(self.embedding(ids).mean(dim=1))

    return Bag()


@pytest.mark.parametrize("direction", _BOTH_WAYS)
def test_an_embedding_table_crosses_unchanged_and_round_trips_exactly(
    keras: Any, torch: Any, direction: TransferDirection
) -> None:
    keras_model, module = _keras_embedding(keras), torch.nn.Embedding(12, 5)
    table = _normal(_rng(1), 12, 5)
    if direction == "to torch":
        keras_model.layers[0].set_weights([table])
    else:
        _set_torch(torch, module, table)
    report = _transfer(direction, keras_model, module)
    assert [p.rule for p in report.pairs] == [EMBEDDING_RULE]
    np.testing.assert_array_equal(keras_model.layers[0].get_weights()[0], table)
    np.testing.assert_array_equal(module.weight.detach().numpy(), table)
    ids = _rng(2).integers(0, 12, size=(3, 7))
    looked_up = module(torch.from_numpy(ids)).detach().numpy()
    np.testing.assert_array_equal(np.asarray(keras_model(ids)), looked_up)
    back = _keras_embedding(keras)
    torch_to_keras(module, back)
    np.testing.assert_array_equal(back.layers[0].get_weights()[0], table)


def test_sparse_and_scale_grad_by_freq_embeddings_convert(keras: Any, torch: Any) -> None:
    # Both change only torch's gradients, never the lookup.
    for options in ({"sparse": True}, {"scale_grad_by_freq": True}):
        module = torch.nn.Embedding(12, 5, **options)
        assert len(keras_to_torch(_keras_embedding(keras), module).pairs) == 1


@pytest.mark.parametrize(
    ("vocab", "dim", "match"),
    [
        (13, 5, r"differ in size: input_dim=12, output_dim=5 in Keras, num_embeddings=13, embedding_dim=5"),
        (12, 4, r"num_embeddings=12, embedding_dim=4 in torch"),
    ],
)
def test_embedding_tables_of_other_sizes_are_refused(
    keras: Any, torch: Any, vocab: int, dim: int, match: str
) -> None:
    _assert_refused_both_ways(_keras_embedding(keras), torch.nn.Embedding(vocab, dim), ValueError, match)


def test_an_embedding_with_max_norm_is_refused_and_left_unchanged(keras: Any, torch: Any) -> None:
    keras_model, module = _keras_embedding(keras), torch.nn.Embedding(12, 5, max_norm=1.0)
    before = module.weight.detach().clone()
    match = (
        r"Keras layer 'emb' and torch module '<root>': the torch module has max_norm=1.0, which rescales "
        r"every row it looks up .* a Keras Embedding has no such thing"
    )
    _assert_refused_both_ways(keras_model, module, ValueError, match)
    assert torch.equal(module.weight, before)


def test_a_lora_embedding_is_refused(keras: Any, torch: Any) -> None:
    keras_model = _keras_embedding(keras)
    keras_model.layers[0].enable_lora(2)
    with pytest.raises(TypeError, match=r"'emb' \(Embedding\) has 3 weights, expected 1: LoRA-enabled"):
        keras_to_torch(keras_model, torch.nn.Embedding(12, 5))


def test_an_embedding_paired_with_a_linear_is_refused(keras: Any, torch: Any) -> None:
    match = r"Keras layer 'emb' \(Embedding\) is paired with torch module '<root>' \(Linear\)"
    _assert_refused_both_ways(_keras_embedding(keras), torch.nn.Linear(5, 12), ValueError, match)


def test_the_report_names_the_padding_of_each_side_and_a_padding_row_not_zero(keras: Any, torch: Any) -> None:
    keras_model = _keras_embedding(keras, mask_zero=True)
    module = torch.nn.Embedding(12, 5, padding_idx=0)
    report = keras_to_torch(keras_model, module)  # Keras' uniform initialiser: row 0 is not zero
    assert str(report).splitlines() == [
        "copied 1 layers to torch:",
        (
            "  emb (Embedding, V out, mask_zero=True) <-> <root> (nn.Embedding, V out, padding_idx=0); row 0 "
            "(padding_idx) is not zero: PyTorch keeps that row fixed in training but does not zero it "
            "(pytorch/pytorch#6411)"
        ),
    ]
    pair = report.pairs[0]
    assert (pair.keras_note, pair.torch_note) == ("mask_zero=True", "padding_idx=0")
    # Copied as it is: the lookup of the padding id gives Keras' row 0, not zeros.
    padding_vector = module(torch.tensor([0])).detach().numpy()[0]
    np.testing.assert_array_equal(padding_vector, keras_model.layers[0].get_weights()[0][0])
    table = keras_model.layers[0].get_weights()[0]
    table[0] = 0
    keras_model.layers[0].set_weights([table])
    assert keras_to_torch(keras_model, module).pairs[0].note == ""  # a zero row: nothing to say
    assert str(torch_to_keras(module, keras_model)).endswith("(nn.Embedding, V out, padding_idx=0)")
    plain = keras_to_torch(_keras_embedding(keras), torch.nn.Embedding(12, 5))
    assert str(plain.pairs[0]) == (
        "emb (Embedding, V out, mask_zero=False) <-> <root> (nn.Embedding, V out, padding_idx=None)"
    )


@pytest.mark.parametrize("direction", _BOTH_WAYS)
def test_an_embedding_bag_model_and_its_torch_twin_agree_after_conversion(
    keras: Any, torch: Any, direction: TransferDirection
) -> None:
    keras_model = keras.Sequential(
        [
            keras.Input((6,), dtype="int32"),
            keras.layers.Embedding(15, 4),
            keras.layers.GlobalAveragePooling1D(),
            keras.layers.Dense(3),
        ]
    )
    torch_model = _torch_bag(torch, 15, 4, 3)
    if direction == "to torch":
        keras_model.set_weights([_normal(_rng(3), *w.shape) for w in keras_model.get_weights()])
    report = _transfer(direction, keras_model, torch_model)
    assert [p.rule for p in report.pairs] == [EMBEDDING_RULE, DENSE_RULE]
    ids = _rng(4).integers(0, 15, size=(8, 6))
    with torch.no_grad():
        torch_logits = torch_model(torch.from_numpy(ids)).numpy()
    np.testing.assert_allclose(torch_logits, np.asarray(keras_model(ids)), atol=ATOL)


# --- attention and layer normalisation (chapter 5) ----------------------------------------------------------


def _keras_attention(keras: Any, t: int = 4, dim: int = 8, **kwargs: Any) -> Any:
    """A Keras self-attention model (N, t, dim) -> (N, t, dim) around one MultiHeadAttention named 'mha'."""
    kwargs = {"num_heads": 2, "key_dim": dim // 2, **kwargs}
    x = keras.Input((t, dim))
    return keras.Model(x, keras.layers.MultiHeadAttention(name="mha", **kwargs)(x, x))


def _randomise_torch_all(torch: Any, module: Any, seed: int) -> None:
    rng = _rng(seed)
    with torch.no_grad():
        for parameter in module.parameters():
            parameter.copy_(
                torch.from_numpy(rng.normal(scale=0.4, size=tuple(parameter.shape)).astype(np.float32))
            )


def _randomise_keras_all(keras_model: Any, seed: int) -> None:
    rng = _rng(seed)
    keras_model.set_weights(
        [rng.normal(scale=0.4, size=w.shape).astype(np.float32) for w in keras_model.get_weights()]
    )


def _torch_attention_outputs(torch: Any, module: Any, *inputs: np.ndarray) -> np.ndarray:
    tensors = [torch.from_numpy(x) for x in inputs]
    if not module.batch_first:
        tensors = [t.transpose(0, 1) for t in tensors]
    query, value, key = (tensors + tensors[-1:])[:3] if len(tensors) > 1 else tensors * 3
    with torch.no_grad():
        out, _ = module(query, key, value)
    result: np.ndarray = (out if module.batch_first else out.transpose(0, 1)).numpy()
    return result


@pytest.mark.parametrize("direction", _BOTH_WAYS)
@pytest.mark.parametrize("bias", [True, False])
def test_multi_head_attention_converts_both_ways_and_round_trips(
    keras: Any, torch: Any, direction: TransferDirection, bias: bool
) -> None:
    keras_model, module = (
        _keras_attention(keras, use_bias=bias),
        torch.nn.MultiheadAttention(8, 2, bias=bias, batch_first=True),
    )
    if direction == "to torch":
        _randomise_keras_all(keras_model, 20)
    else:
        _randomise_torch_all(torch, module, 20)
    report = _transfer(direction, keras_model, module)
    assert str(report.pairs[0]) == (
        "mha (MultiHeadAttention, query/key/value in heads d, output heads d out) <-> <root> "
        "(nn.MultiheadAttention, in_proj (3 heads d) in, out_proj out (heads d), batch_first=True) "
        "with heads=2, key_dim=4"
    )
    assert [p.rule for p in report.pairs] == [MULTI_HEAD_ATTENTION_RULE]  # out_proj is no pair of its own
    x = _normal(_rng(21), 3, 4, 8)
    np.testing.assert_allclose(
        _torch_attention_outputs(torch, module, x), np.asarray(keras_model(x)), atol=ATOL
    )
    back = _keras_attention(keras, use_bias=bias)
    torch_to_keras(module, back)
    before = keras_model.get_weights() if direction == "to torch" else back.get_weights()
    keras_to_torch(back, module)
    torch_to_keras(module, back)
    for original, returned in zip(before, back.get_weights(), strict=True):
        np.testing.assert_array_equal(returned, original)


def test_attention_with_time_first_inputs_converts_and_says_so(keras: Any, torch: Any) -> None:
    keras_model, module = _keras_attention(keras), torch.nn.MultiheadAttention(8, 2)  # batch_first=False
    _randomise_keras_all(keras_model, 22)
    pair = keras_to_torch(keras_model, module).pairs[0]
    assert pair.torch_note == "batch_first=False"
    assert pair.note.startswith("the torch module takes (T, N, E) inputs and Keras (N, T, E)")
    x = _normal(_rng(23), 2, 4, 8)
    np.testing.assert_allclose(
        _torch_attention_outputs(torch, module, x), np.asarray(keras_model(x)), atol=ATOL
    )


@pytest.mark.parametrize("direction", _BOTH_WAYS)
def test_keys_and_values_of_other_sizes_convert_to_separate_projections(
    keras: Any, torch: Any, direction: TransferDirection
) -> None:
    query, value, key = keras.Input((4, 8)), keras.Input((6, 7)), keras.Input((6, 5))
    layer = keras.layers.MultiHeadAttention(num_heads=2, key_dim=4, name="cross")
    keras_model = keras.Model([query, value, key], layer(query, value, key))
    module = torch.nn.MultiheadAttention(8, 2, kdim=5, vdim=7, batch_first=True)
    if direction == "to torch":
        _randomise_keras_all(keras_model, 24)
    else:
        _randomise_torch_all(torch, module, 24)
    pair = _transfer(direction, keras_model, module).pairs[0]
    assert pair.torch_note == "batch_first=True, separate q/k/v_proj_weight (kdim=5, vdim=7)"
    rng = _rng(25)
    xs = [_normal(rng, 3, 4, 8), _normal(rng, 3, 6, 7), _normal(rng, 3, 6, 5)]
    tq, tv, tk = (torch.from_numpy(x) for x in xs)
    with torch.no_grad():
        out, _ = module(tq, tk, tv)
    np.testing.assert_allclose(out.numpy(), np.asarray(keras_model(xs)), atol=ATOL)


@pytest.mark.parametrize(
    ("keras_kwargs", "torch_kwargs", "match"),
    [
        (
            {"key_dim": 8},  # keras.io's habit, key_dim = embed_dim: heads twice PyTorch's size
            {},
            (
                r"Keras projects 8 query features to num_heads · key_dim = 2 · 8 = 16; "
                r"nn.MultiheadAttention\(embed_dim=8, num_heads=2\) projects 8 to 8, in heads of head_dim = "
                r"embed_dim // num_heads = 4: build the Keras layer with key_dim = embed_dim // num_heads"
            ),
        ),
        (
            {"value_dim": 2},
            {},
            r"value_dim=2 and key_dim=4 in Keras; torch's values have the queries' head size",
        ),
        ({"output_shape": 6}, {}, r"output_shape=\(6,\) in Keras; nn.MultiheadAttention projects back"),
        ({"use_bias": False}, {}, r"use_bias=False in Keras, bias=True in torch"),
        ({}, {"bias": False}, r"use_bias=True in Keras, bias=False in torch"),
        ({}, {"add_bias_kv": True}, r"add_bias_kv=True, which appends a learned key and value"),
        ({}, {"add_zero_attn": True}, r"add_zero_attn=True, which appends a key and a value of zeros"),
        ({"use_gate": True}, {}, r"use_gate=True multiplies each head's output by a learned sigmoid gate"),
        ({"sliding_window": 2}, {}, r"sliding_window=2 restricts each query to nearby keys"),
        ({"num_heads": 4, "key_dim": 2}, {}, r"differ in heads: num_heads=4 in Keras, num_heads=2 in torch"),
        ({}, {"kdim": 5}, r"keys and values have 8 and 8 features in Keras, kdim=5 and vdim=8 in torch"),
    ],
)
def test_attention_pairs_without_a_counterpart_are_refused(
    keras: Any, torch: Any, keras_kwargs: dict[str, Any], torch_kwargs: dict[str, Any], match: str
) -> None:
    keras_model = _keras_attention(keras, **keras_kwargs)
    module = torch.nn.MultiheadAttention(8, 2, batch_first=True, **torch_kwargs)
    before = [p.detach().clone() for p in module.parameters()]
    _assert_refused_both_ways(
        keras_model, module, ValueError, rf"^Keras layer 'mha' and torch module '<root>'.*{match}"
    )
    assert all(torch.equal(a, b) for a, b in zip(before, module.parameters()))


def _keras_norm(keras: Any, shape: tuple[int, ...] = (4, 6), **kwargs: Any) -> Any:
    return keras.Sequential([keras.Input(shape), keras.layers.LayerNormalization(name="ln", **kwargs)])


@pytest.mark.parametrize("direction", _BOTH_WAYS)
def test_layer_norm_weights_cross_and_the_epsilon_is_carried(
    keras: Any, torch: Any, direction: TransferDirection
) -> None:
    keras_model, module = _keras_norm(keras), torch.nn.LayerNorm(6)  # epsilon 1e-3 and eps 1e-5
    if direction == "to torch":
        _randomise_keras_all(keras_model, 26)
    else:
        _randomise_torch_all(torch, module, 26)
    x = _normal(_rng(27), 5, 4, 6) * 0.03  # small variance: a wrong epsilon shows
    keras_model.predict(x, verbose=0)  # traces a predict function with the old epsilon in it
    report = _transfer(direction, keras_model, module)
    eps = 1e-3 if direction == "to torch" else 1e-5
    assert keras_model.layers[0].epsilon == module.eps == eps
    changed = (
        "eps set to the Keras layer's 0.001 (was 1e-05)"
        if direction == "to torch"
        else "epsilon set to the torch module's 1e-05 (was 0.001)"
    )
    assert str(report.pairs[0]) == (
        f"ln (LayerNormalization, out, epsilon={eps:g}) <-> <root> (nn.LayerNorm, out, eps={eps:g}); "
        f"{changed}"
    )
    with torch.no_grad():
        torch_out = module(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(np.asarray(keras_model(x)), torch_out, atol=ATOL)
    np.testing.assert_allclose(keras_model.predict(x, verbose=0), torch_out, atol=ATOL)
    assert _transfer(direction, keras_model, module).pairs[0].note == ""  # the same epsilon: nothing to say


def test_layer_norm_without_a_bias_and_on_a_positive_last_axis_converts(keras: Any, torch: Any) -> None:
    keras_model = _keras_norm(keras, center=False, axis=2)  # axis 2 of (N, 4, 6): the last
    module = torch.nn.LayerNorm(6, bias=False)
    _randomise_keras_all(keras_model, 28)
    keras_to_torch(keras_model, module)
    x = _normal(_rng(29), 3, 4, 6)
    with torch.no_grad():
        np.testing.assert_allclose(module(torch.from_numpy(x)).numpy(), np.asarray(keras_model(x)), atol=ATOL)


@pytest.mark.filterwarnings("ignore:You passed `rms_scaling=True`:UserWarning")
@pytest.mark.parametrize(
    ("keras_kwargs", "torch_factory", "match"),
    [
        ({"axis": 1}, lambda nn: nn.LayerNorm(6), r"Keras normalises over axis=\[1\]; only axis=-1"),
        ({"rms_scaling": True}, lambda nn: nn.LayerNorm(6), r"rms_scaling=True \(deprecated in Keras\)"),
        (
            {"scale": False},
            lambda nn: nn.LayerNorm(6),
            r"scale=False, center=True in Keras: an nn.LayerNorm has a bias",
        ),
        (
            {"center": False},
            lambda nn: nn.LayerNorm(6),
            r"center=False in Keras \(no beta\), but the torch module has a bias",
        ),
        (
            {},
            lambda nn: nn.LayerNorm(6, bias=False),
            r"center=True in Keras \(a beta\), but the torch module has no bias",
        ),
        (
            {},
            lambda nn: nn.LayerNorm((4, 6)),
            r"normalises over its last 2 axes \(normalized_shape=\(4, 6\)\)",
        ),
        (
            {},
            lambda nn: nn.LayerNorm(5),
            r"differ in size: 6 features in Keras, normalized_shape=\(5,\) in torch",
        ),
    ],
)
def test_layer_norm_pairs_that_normalise_differently_are_refused(
    keras: Any, torch: Any, keras_kwargs: dict[str, Any], torch_factory: Any, match: str
) -> None:
    module = torch_factory(torch.nn)
    eps = module.eps
    _assert_refused_both_ways(_keras_norm(keras, **keras_kwargs), module, ValueError, match)
    assert module.eps == eps


def test_an_encoder_layers_attention_keeps_its_out_proj(keras: Any, torch: Any) -> None:
    # NonDynamicallyQuantizableLinear is an nn.Linear, but it belongs to the attention: it is no pair.
    layer = torch.nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, batch_first=True)
    assert isinstance(layer.self_attn.out_proj, torch.nn.Linear)
    match = (
        r"but the torch model has 5 modules with parameters \(self_attn: MultiheadAttention, "
        r"linear1: Linear, linear2: Linear, norm1: LayerNorm, norm2: LayerNorm\)$"
    )
    _assert_refused_both_ways(_keras_attention(keras), layer, ValueError, match)


def test_a_custom_keras_layer_is_walked_into_in_the_order_of_its_sublayers(keras: Any, torch: Any) -> None:
    L = keras.layers

    class Pair(keras.layers.Layer):  # type: ignore[misc]
        def __init__(self) -> None:
            super().__init__(name="pair")
            self.second = L.Dense(3, name="second")  # assigned first, called second
            self.first = L.Dense(6, name="first")

        def call(self, x: Any) -> Any:
            return self.second(self.first(x))

    keras_model = keras.Sequential([keras.Input((4,)), Pair()])
    torch_model = torch.nn.Sequential(torch.nn.Linear(6, 3), torch.nn.Linear(4, 6))  # the same order
    _randomise_keras_all(keras_model, 30)
    report = keras_to_torch(keras_model, torch_model)
    assert [(p.keras_layer, p.torch_module) for p in report.pairs] == [
        ("pair/second", "0"),
        ("pair/first", "1"),
    ]
    x = _normal(_rng(31), 5, 4)
    with torch.no_grad():
        torch_out = torch_model[0](torch_model[1](torch.from_numpy(x))).numpy()
    np.testing.assert_allclose(torch_out, np.asarray(keras_model(x)), atol=ATOL)

    class Scaled(keras.layers.Layer):  # type: ignore[misc]
        def __init__(self) -> None:
            super().__init__(name="scaled")
            self.dense = L.Dense(3)
            self.scale = self.add_weight(shape=(), initializer="ones")

        def call(self, x: Any) -> Any:
            return self.scale * self.dense(x)

    class Head(keras.layers.Layer):  # type: ignore[misc]
        def __init__(self) -> None:
            super().__init__(name="head")
            self.conv, self.flat, self.dense = L.Conv2D(2, 3), L.Flatten(), L.Dense(3)

        def call(self, x: Any) -> Any:
            return self.dense(self.flat(self.conv(x)))

    hidden_flatten = keras.Sequential([keras.Input((4, 4, 1)), Head()])
    torch_head = torch.nn.Sequential(torch.nn.Conv2d(1, 2, 3), torch.nn.Flatten(), torch.nn.Linear(8, 3))
    with pytest.raises(
        ValueError, match=r"^Keras layer 'head' \(Head\) flattens or reshapes inside \(flatten"
    ):
        keras_to_torch(hidden_flatten, torch_head)

    own_weight = keras.Sequential([keras.Input((4,)), Scaled()])
    with pytest.raises(TypeError, match=r"^Keras layer 'scaled' \(Scaled\) has weights, but only Dense"):
        keras_to_torch(own_weight, torch.nn.Linear(4, 3))


def test_a_non_persistent_buffer_is_no_state_to_convert(keras: Any, torch: Any) -> None:
    class Shifted(torch.nn.Module):  # type: ignore[misc]
        def __init__(self, persistent: bool) -> None:
            super().__init__()
            self.register_buffer("shift", torch.ones(4), persistent=persistent)
            self.linear = torch.nn.Linear(4, 3)

    keras_model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])
    assert len(keras_to_torch(keras_model, Shifted(persistent=False)).pairs) == 1
    with pytest.raises(TypeError, match=r"torch module '<root>' \(Shifted\) has parameters or buffers"):
        keras_to_torch(keras_model, Shifted(persistent=True))


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
