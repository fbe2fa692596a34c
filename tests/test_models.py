"""The survey CNN builders: the same architecture in both frameworks, convertible both ways."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

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


def _dropout_rates(model: Any) -> list[float]:
    """The rates of a Keras model's Dropout layers or of a torch model's nn.Dropout modules, in order."""
    if isinstance(model, torch.nn.Module):
        return [m.p for m in model.modules() if isinstance(m, torch.nn.Dropout)]
    return [layer.rate for layer in model.layers if isinstance(layer, keras.layers.Dropout)]


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
    keras_rates = _dropout_rates(models.keras_survey_cnn(dropout=0.25))
    assert keras_rates == _dropout_rates(models.torch_survey_cnn(dropout=0.25)) == [0.25, 0.25]


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
    report = convert.keras_to_torch(keras64, torch64)
    # The Dense after Flatten reads the map that two 2×2 poolings leave: H/4 × W/4, 64 channels.
    height, width = image_shape
    assert report.pairs[2].sizes == {"H": height // 4, "W": width // 4, "C": 64}
    x = rng.uniform(size=(5, *image_shape, 1))
    # Called directly: predict() would cast float64 inputs to Keras' floatx (float32) first.
    keras_logits = keras64(x).numpy()
    with torch.no_grad():
        torch_logits = torch64.eval()(torch.from_numpy(x.transpose(0, 3, 1, 2))).numpy()
    np.testing.assert_allclose(torch_logits, keras_logits, atol=1e-10)
    back = models.keras_survey_cnn(image_shape, dtype="float64")
    assert convert.torch_to_keras(torch64, back).direction == "to Keras"
    for original, returned in zip(keras64.get_weights(), back.get_weights(), strict=True):
        np.testing.assert_array_equal(original, returned)


_BUILDERS = pytest.mark.parametrize("builder", [models.keras_survey_cnn, models.torch_survey_cnn])


@_BUILDERS
def test_numpy_integer_image_sizes_and_numpy_float_dropout_are_accepted(builder: Any) -> None:
    # Sizes read off an array's shape, and a rate read off an array, are NumPy scalars.
    model = builder((np.int64(8), np.int32(12)), dropout=np.float32(0.25))
    parameters = model.count_params() if builder is models.keras_survey_cnn else _torch_params(model)
    assert parameters == 69_386  # the same model as with Python numbers
    assert _dropout_rates(model) == [0.25, 0.25]


@_BUILDERS
@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"image_shape": (8, 6)}, ValueError, r"^image_shape must be \(H, W\) with H and W positive multiples of 4"),
        ({"image_shape": (0, 8)}, ValueError, r"positive multiples of 4 \(two 2×2 poolings\), got \(0, 8\)$"),
        ({"dropout": 1.0}, ValueError, r"^dropout must lie in \[0, 1\), got 1\.0$"),
        ({"dropout": -0.1}, ValueError, r"^dropout must lie in \[0, 1\), got -0\.1$"),
        (
            {"image_shape": (8, 8, 1)},
            TypeError,
            r"^image_shape must be a pair \(H, W\) of integers, got \(8, 8, 1\)$",
        ),
        ({"image_shape": "88"}, TypeError, r"^image_shape must be a pair \(H, W\) of integers, got '88'$"),
        ({"image_shape": (8.0, 8)}, TypeError, r"^image_shape must be an integer, got float 8\.0$"),
        ({"image_shape": (8, True)}, TypeError, r"^image_shape must be an integer, got bool True$"),
        ({"dropout": "0.4"}, TypeError, r"^dropout must be a number, got str '0\.4'$"),
        ({"dropout": None}, TypeError, r"^dropout must be a number, got NoneType None$"),
    ],
)
def test_bad_arguments_raise(
    builder: Any, kwargs: dict[str, object], error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=match):
        builder(**kwargs)


# --- chapter 3: the recurrent twins ---------------------------------------------------------------------------


def test_the_sequence_classifier_twins_compute_the_same_logits_after_conversion(keras: Any, torch: Any) -> None:
    from twice.convert import keras_to_torch
    from twice.models import keras_sequence_classifier, torch_sequence_classifier

    keras_model = keras_sequence_classifier(steps=8, features=5, units=6, layers=3, classes=4)
    torch_model = torch_sequence_classifier(features=5, units=6, layers=3, classes=4)
    assert [type(layer).__name__ for layer in keras_model.layers] == ["LSTM", "LSTM", "LSTM", "Dense"]
    assert torch_model.lstm.num_layers == 3 and torch_model.lstm.batch_first
    report = keras_to_torch(keras_model, torch_model)
    assert len(report.pairs) == 4
    x = np.random.default_rng(0).normal(size=(2, 8, 5)).astype(np.float32)
    np.testing.assert_allclose(
        torch_model(torch.from_numpy(x)).detach().numpy(), np.asarray(keras_model(x)), atol=1e-5
    )
    # PyTorch's two biases per layer: 3 layers · 4 gates · 6 units more parameters than Keras.
    assert sum(p.numel() for p in torch_model.parameters()) - keras_model.count_params() == 3 * 4 * 6


@pytest.mark.parametrize("kind", ["SimpleRNN", "LSTM", "GRU"])
def test_the_adding_model_twins_compute_the_same_prediction_after_conversion(
    keras: Any, torch: Any, kind: str
) -> None:
    from twice.convert import keras_to_torch
    from twice.models import keras_adding_model, torch_adding_model

    keras_model, torch_model = keras_adding_model(kind, 7, units=5), torch_adding_model(kind, units=5)
    keras_to_torch(keras_model, torch_model)
    x = np.random.default_rng(1).normal(size=(3, 7, 2)).astype(np.float32)
    prediction = torch_model(torch.from_numpy(x)).detach().numpy()
    assert prediction.shape == (3,)
    np.testing.assert_allclose(prediction, np.asarray(keras_model(x))[:, 0], atol=1e-5)


@pytest.mark.parametrize(
    ("build", "error", "match"),
    [
        (lambda m: m.keras_adding_model("RNN", 5), ValueError, r"unknown kind 'RNN': expected one of 'SimpleRNN'"),
        (lambda m: m.torch_adding_model("lstm"), ValueError, r"unknown kind 'lstm'"),
        (lambda m: m.keras_sequence_classifier(8, 8, units=0), ValueError, r"units must be a positive integer"),
        (lambda m: m.torch_sequence_classifier(8.0), TypeError, r"features must be an integer"),
        (lambda m: m.torch_adding_model("GRU", units=True), TypeError, r"units must be an integer"),
    ],
)
def test_the_recurrent_builders_refuse_bad_arguments(build: Any, error: type[Exception], match: str) -> None:
    import twice.models

    with pytest.raises(error, match=match):
        build(twice.models)


@pytest.mark.parametrize("kind", ["LSTM", "GRU"])
def test_the_bidirectional_stack_returns_what_the_torch_module_returns(keras: Any, torch: Any, kind: str) -> None:
    from twice.convert import torch_to_keras
    from twice.models import keras_bidirectional_stack

    keras_model = keras_bidirectional_stack(kind, 5, 3, units=4, layers=3, dtype="float64")
    torch_model = getattr(torch.nn, kind)(3, 4, num_layers=3, bidirectional=True, batch_first=True).double()
    assert len(torch_to_keras(torch_model, keras_model).pairs) == 6
    x = np.random.default_rng(2).normal(size=(2, 5, 3))
    out, *states = (np.asarray(t) for t in keras_model(x))
    torch_out, torch_states = torch_model(torch.from_numpy(x))
    np.testing.assert_allclose(out, torch_out.detach().numpy(), atol=1e-10)
    h_n = (torch_states[0] if kind == "LSTM" else torch_states).detach().numpy()
    np.testing.assert_allclose(states[0], h_n[-2], atol=1e-10)  # the last layer, forward
    np.testing.assert_allclose(states[-1 if kind == "GRU" else 2], h_n[-1], atol=1e-10)  # and backward
    assert len(states) == (4 if kind == "LSTM" else 2)


# --- chapter 4: the embedding twins ---------------------------------------------------------------------


def _skipgram_batch(rng: np.random.Generator, vocab: int, batch: int = 6, k: int = 4) -> list[np.ndarray]:
    centres, contexts = rng.integers(0, vocab, size=batch), rng.integers(0, vocab, size=batch)
    return [centres, contexts, rng.integers(0, vocab, (batch, k))]


def test_the_skipgram_twins_give_the_same_scores_after_conversion() -> None:
    from twice.embeddings import sgns_loss

    keras_model, torch_model = models.keras_skipgram(20, 8), models.torch_skipgram(20, 8)
    assert [layer.name for layer in keras_model.layers if layer.weights] == ["centre", "context"]
    assert [name for name, _ in torch_model.named_children()] == ["centre", "context"]
    rng = np.random.default_rng(0)
    keras_model.set_weights([rng.normal(size=w.shape).astype(np.float32) for w in keras_model.get_weights()])
    report = convert.keras_to_torch(keras_model, torch_model)
    pairs = [(p.keras_layer, p.torch_module) for p in report.pairs]
    assert pairs == [("centre", "centre"), ("context", "context")]
    batch = _skipgram_batch(rng, 20)
    keras_positive, keras_negative = (np.asarray(t) for t in keras_model(batch))
    with torch.no_grad():
        scores = torch_model(*(torch.from_numpy(a) for a in batch))
        torch_positive, torch_negative = (t.numpy() for t in scores)
    assert keras_positive.shape == torch_positive.shape == (6,)
    assert keras_negative.shape == torch_negative.shape == (6, 4)
    np.testing.assert_allclose(torch_positive, keras_positive, atol=1e-5)
    np.testing.assert_allclose(torch_negative, keras_negative, atol=1e-5)
    # The scores are the dot products of the NumPy reference: its loss from them is the loss of the tables.
    w_in, w_out = (layer.get_weights()[0] for layer in keras_model.layers if layer.weights)
    u = w_in[batch[0]].astype(np.float64)
    np.testing.assert_allclose(keras_positive, (u * w_out[batch[1]]).sum(-1), rtol=1e-5, atol=1e-5)
    reference = sgns_loss(w_in, w_out, *batch)
    from_scores = np.mean(np.logaddexp(0, -torch_positive) + np.logaddexp(0, torch_negative).sum(-1))
    assert abs(reference - from_scores) < 1e-4


def test_the_skipgram_twins_keep_their_frameworks_default_initialisers() -> None:
    keras_table = models.keras_skipgram(2000, 16).get_weights()[0]
    torch_table = models.torch_skipgram(2000, 16).centre.weight.detach().numpy()
    assert np.abs(keras_table).max() <= 0.05 and 0.02 < keras_table.std() < 0.035  # uniform(-0.05, 0.05)
    assert 0.95 < torch_table.std() < 1.05  # N(0, 1)


def _padded_ids(rng: np.random.Generator, vocab: int) -> np.ndarray:
    ids = rng.integers(1, vocab, size=(5, 9))
    for row, length in enumerate([9, 6, 3, 1, 7]):
        ids[row, length:] = 0  # padding at the end, different lengths
    return ids


def test_the_bag_classifier_twins_agree_after_conversion_with_padding() -> None:
    keras_model = models.keras_bag_classifier(30, 6, 4, length=9)
    torch_model = models.torch_bag_classifier(30, 6, 4)
    kinds = [type(layer).__name__ for layer in keras_model.layers]
    assert kinds == ["Embedding", "GlobalAveragePooling1D", "Dense"]
    assert keras_model.layers[0].mask_zero and torch_model.embedding.padding_idx == 0
    rng = np.random.default_rng(1)
    keras_model.set_weights([rng.normal(size=w.shape).astype(np.float32) for w in keras_model.get_weights()])
    report = convert.keras_to_torch(keras_model, torch_model)
    assert "mask_zero=True" in str(report) and "padding_idx=0" in str(report)
    ids = _padded_ids(rng, 30)
    keras_logits = np.asarray(keras_model(ids))
    with torch.no_grad():
        torch_logits = torch_model(torch.from_numpy(ids)).numpy()
    assert keras_logits.shape == torch_logits.shape == (5, 4)
    np.testing.assert_allclose(torch_logits, keras_logits, atol=1e-5)
    # The mean of the real words only: the NumPy reference of the same weights.
    table, kernel, bias = keras_model.get_weights()
    means = np.stack([table[row[row != 0]].mean(axis=0) for row in ids])
    np.testing.assert_allclose(keras_logits, means @ kernel + bias, atol=1e-5)


def test_padding_does_not_change_the_bag_classifiers_output_in_either_framework() -> None:
    keras_model = models.keras_bag_classifier(30, 6, 4)  # length=None: any length
    torch_model = models.torch_bag_classifier(30, 6, 4)
    rng = np.random.default_rng(2)
    ids = _padded_ids(rng, 30)
    longer = np.concatenate([ids, np.zeros((5, 4), dtype=ids.dtype)], axis=1)  # more padding
    keras_before = np.asarray(keras_model(ids))
    np.testing.assert_allclose(np.asarray(keras_model(longer)), keras_before, atol=1e-6)
    with torch.no_grad():
        torch_before = torch_model(torch.from_numpy(ids))
        torch_longer = torch_model(torch.from_numpy(longer))
        np.testing.assert_allclose(torch_longer.numpy(), torch_before.numpy(), atol=1e-6)
    # Whatever the padding row holds, NaN included, it is never averaged in.
    table = keras_model.layers[0].get_weights()[0]
    table[0] = np.nan
    keras_model.layers[0].set_weights([table])
    np.testing.assert_allclose(np.asarray(keras_model(ids)), keras_before, atol=1e-6)
    with torch.no_grad():
        torch_model.embedding.weight[0] = float("nan")
        torch_after = torch_model(torch.from_numpy(ids))
        np.testing.assert_allclose(torch_after.numpy(), torch_before.numpy(), atol=1e-6)


@pytest.mark.parametrize(
    ("build", "error", "match"),
    [
        (lambda m: m.keras_skipgram(0, 4), ValueError, r"vocab_size must be a positive integer"),
        (lambda m: m.torch_skipgram(10, 4.0), TypeError, r"dim must be an integer"),
        (lambda m: m.keras_bag_classifier(10, 4, 2, length=0), ValueError, r"length must be a positive"),
        (lambda m: m.torch_bag_classifier(10, 4, 2, padding_idx=10), ValueError, r"padding_idx .* <= 9"),
        (lambda m: m.torch_bag_classifier(10, 4, 0), ValueError, r"classes must be a positive integer"),
    ],
)
def test_the_embedding_builders_refuse_bad_arguments(build: Any, error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        build(models)


# --- chapter 5: the Transformer twins -------------------------------------------------------------------


def _random_weights(model: Any, seed: int) -> None:
    """Random weights of order one in a Keras model or a torch module (biases and norms included)."""
    rng = np.random.default_rng(seed)
    if isinstance(model, torch.nn.Module):
        with torch.no_grad():
            for parameter in model.parameters():
                parameter.copy_(
                    torch.from_numpy(rng.normal(scale=0.4, size=tuple(parameter.shape)).astype(np.float32))
                )
    else:
        model.set_weights(
            [rng.normal(scale=0.4, size=w.shape).astype(np.float32) for w in model.get_weights()]
        )


def _lengths_mask(lengths: list[int], steps: int) -> np.ndarray:
    return np.arange(steps)[None, :] < np.array(lengths)[:, None]  # (N, T), True = real


@pytest.mark.parametrize("norm_first", [False, True], ids=["post-norm", "pre-norm"])
@pytest.mark.parametrize("direction", ["to torch", "to Keras"])
def test_the_encoder_blocks_agree_after_conversion_with_and_without_padding(
    norm_first: bool, direction: str
) -> None:
    block = models.keras_encoder_block(8, 2, 16, norm_first=norm_first, name="block")
    keras_model = keras.Sequential([keras.Input((5, 8)), block])
    torch_model = models.torch_encoder_block(8, 2, 16, norm_first=norm_first)
    assert (torch_model.norm_first, torch_model.norm1.eps, block.norm1.epsilon) == (norm_first, 1e-5, 1e-5)
    if direction == "to torch":
        _random_weights(keras_model, 40)
        report = convert.keras_to_torch(keras_model, torch_model)
    else:
        _random_weights(torch_model, 40)
        report = convert.torch_to_keras(torch_model, keras_model)
    pairs = [(p.keras_layer, p.torch_module) for p in report.pairs]
    assert pairs == [(f"block/{n}", n) for n in ("self_attn", "linear1", "linear2", "norm1", "norm2")]
    x = np.random.default_rng(41).normal(size=(3, 5, 8)).astype(np.float32)
    real = _lengths_mask([5, 3, 1], 5)
    with torch.no_grad():
        plain = torch_model.eval()(torch.from_numpy(x)).numpy()
        padded = torch_model(torch.from_numpy(x), src_key_padding_mask=torch.from_numpy(~real)).numpy()
    np.testing.assert_allclose(np.asarray(keras_model(x)), plain, atol=1e-5)
    # An attention_mask (True = attend) and a Keras mask from the layer before leave the same positions out.
    attend = real[:, :, None] & real[:, None, :]
    by_attention_mask = np.asarray(block(x, attention_mask=attend))
    masked = keras.layers.Masking(0.0)(np.where(real[:, :, None], x, 0.0).astype(np.float32))
    by_keras_mask = np.asarray(block(masked))
    for keras_out in (by_attention_mask, by_keras_mask):
        np.testing.assert_allclose(keras_out[real], padded[real], atol=1e-5)  # the real positions agree
    assert not np.allclose(by_attention_mask[~real], padded[~real], atol=1e-3)  # padded queries differ


@pytest.mark.parametrize("padding", [False, True])
@pytest.mark.parametrize("direction", ["to torch", "to Keras"])
def test_the_position_classifiers_agree_after_conversion(padding: bool, direction: str) -> None:
    keras_model = models.keras_position_classifier(12, 6, 8, 2, 16, 5, layers=2, padding=padding)
    torch_model = models.torch_position_classifier(12, 6, 8, 2, 16, 5, layers=2, padding=padding)
    if direction == "to torch":
        _random_weights(keras_model, 42)
        report = convert.keras_to_torch(keras_model, torch_model)
    else:
        _random_weights(torch_model, 42)
        report = convert.torch_to_keras(torch_model, keras_model)
    assert len(report.pairs) == 12  # embedding, 2 × 5 in the blocks, linear
    assert (
        report.pairs[6].keras_layer == "encoder_1/self_attn"
        and report.pairs[6].torch_module == "layers.1.self_attn"
    )
    assert "positions" not in dict(torch_model.state_dict())  # the fixed encoding is no weight
    ids = np.random.default_rng(43).integers(1, 12, size=(4, 6))
    if padding:
        ids[1, 4:], ids[2, 1:] = 0, 0
    real = ids != 0
    torch_model.eval()
    with torch.no_grad():
        torch_logits = torch_model(torch.from_numpy(ids)).numpy()
    keras_logits = np.asarray(keras_model(ids))
    assert keras_logits.shape == torch_logits.shape == (4, 6, 5)
    np.testing.assert_allclose(keras_logits[real], torch_logits[real], atol=1e-5)
    # The encoding added is the interleaved sinusoid of twice.attention, in both.
    from twice.attention import sinusoidal_encoding

    np.testing.assert_allclose(torch_model.positions.numpy(), sinusoidal_encoding(6, 8), atol=1e-7)
    weights = {
        "keras": models.keras_attention_weights(keras_model, ids),
        "torch": models.torch_attention_weights(torch_model, ids),
    }
    for found in weights.values():
        assert found.shape == (2, 4, 2, 6, 6)
    both_real = np.broadcast_to(real[None, :, None, :, None] & real[None, :, None, None, :], (2, 4, 2, 6, 6))
    np.testing.assert_allclose(weights["keras"][both_real], weights["torch"][both_real], atol=1e-5)
    query_real = np.broadcast_to(real[None, :, None, :, None], (2, 4, 2, 6, 6))
    assert (weights["torch"][query_real & ~both_real] == 0).all()  # no real query attends to padding
    np.testing.assert_allclose(weights["torch"].sum(-1), 1.0, atol=1e-5)


def test_padding_changes_nothing_at_the_real_positions_in_either_framework() -> None:
    keras_model = models.keras_position_classifier(12, 8, 8, 2, 16, 5, padding=True)
    keras_short = models.keras_position_classifier(
        12, 3, 8, 2, 16, 5, padding=True
    )  # the same weights' shapes
    _random_weights(keras_model, 44)
    keras_short.set_weights(keras_model.get_weights())
    torch_model = models.torch_position_classifier(12, 8, 8, 2, 16, 5, padding=True).eval()
    padded, short = np.array([[3, 4, 5, 0, 0, 0, 0, 0]]), np.array([[3, 4, 5]])
    np.testing.assert_allclose(
        np.asarray(keras_model(padded))[0, :3], np.asarray(keras_short(short))[0], atol=1e-5
    )
    with torch.no_grad():
        torch_padded = torch_model(torch.from_numpy(padded)).numpy()[0, :3]
        np.testing.assert_allclose(torch_padded, torch_model(torch.from_numpy(short)).numpy()[0], atol=1e-5)


@pytest.mark.parametrize(
    ("build", "error", "match"),
    [
        (lambda m: m.keras_encoder_block(10, 4, 16), ValueError, r"^dim=10 must be a multiple of heads=4"),
        (lambda m: m.torch_encoder_block(8, 2, 0), ValueError, r"^hidden must be a positive integer, got 0$"),
        (lambda m: m.torch_encoder_block(8, 2, 16, epsilon=0), ValueError, r"^epsilon must be positive"),
        (lambda m: m.keras_encoder_block(8, 2, 16, norm_first=1), TypeError, r"^norm_first must be a bool"),
        (lambda m: m.keras_position_classifier(10, 6, 7, 1, 8, 3), ValueError, r"^dim must be even"),
        (
            lambda m: m.torch_position_classifier(10, 6, 8, 2, 8, 3, layers=0),
            ValueError,
            r"^layers must be a positive",
        ),
        (
            lambda m: m.torch_position_classifier(10, 6, 8, 2, 8, 3, padding=None),
            TypeError,
            r"^padding must be a bool",
        ),
        (
            lambda m: m.keras_attention_weights(m.keras_survey_cnn(), np.zeros((1, 8, 8, 1))),
            ValueError,
            r"no encoder blocks",
        ),
        (
            lambda m: m.torch_attention_weights(torch.nn.Linear(2, 2), np.zeros((1, 2))),
            TypeError,
            r"torch_position_classifier",
        ),
    ],
)
def test_the_transformer_builders_refuse_bad_arguments(
    build: Any, error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=match):
        build(models)


# --- chapter 2: one initialisation for both frameworks ------------------------------------------------------


@pytest.mark.parametrize("image_shape", [(8, 8), (8, 12), (28, 28)])
def test_the_shared_initial_weights_fit_both_twins_and_give_the_same_logits(image_shape: tuple[int, int]) -> None:
    weights = models.survey_cnn_initial_weights(image_shape, seed=3)
    keras_model = models.keras_survey_cnn(image_shape)
    assert [w.shape for w in weights] == [w.shape for w in keras_model.get_weights()]
    keras_model.set_weights(weights)
    torch_model = models.torch_survey_cnn(image_shape)
    state = models.survey_cnn_torch_state(weights, image_shape)
    torch_model.load_state_dict({name: torch.from_numpy(value) for name, value in state.items()})
    # The framework-free conversion is the converter's: the same state as keras_to_torch gives.
    converted = models.torch_survey_cnn(image_shape)
    convert.keras_to_torch(keras_model, converted)
    for name, value in converted.state_dict().items():
        np.testing.assert_array_equal(value.numpy(), state[name])
    x = np.random.default_rng(0).random((4, *image_shape, 1), dtype=np.float32)
    keras_logits = keras_model.predict(x, verbose=0)
    torch_logits = torch_model.eval()(torch.from_numpy(x.transpose(0, 3, 1, 2))).detach().numpy()
    np.testing.assert_allclose(torch_logits, keras_logits, atol=1e-5)


def test_the_shared_initial_weights_follow_keras_glorot_uniform_and_the_seed() -> None:
    first, again, other = (models.survey_cnn_initial_weights((8, 8), seed=s) for s in (0, 0, 1))
    assert all(np.array_equal(a, b) for a, b in zip(first, again, strict=True))
    assert not np.array_equal(first[0], other[0])
    fans = [(9, 288), (288, 576), (256, 128), (128, 10)]
    for kernel, bias, (fan_in, fan_out) in zip(first[::2], first[1::2], fans, strict=True):
        limit = np.sqrt(6 / (fan_in + fan_out))
        assert kernel.dtype == np.float32 and np.abs(kernel).max() <= limit
        assert np.abs(kernel).max() > 0.9 * limit  # uniform up to the limit, not a narrower law
        assert np.all(bias == 0)
    # Keras' own Glorot-uniform draws have the same spread (a different stream, the same law).
    keras_kernels = [w for w in models.keras_survey_cnn((8, 8)).get_weights() if w.ndim > 1]
    for ours, theirs in zip(first[::2], keras_kernels, strict=True):
        assert ours.shape == theirs.shape
        assert abs(ours.std() / theirs.std() - 1) < 0.25


def test_the_torch_state_refuses_a_wrong_list() -> None:
    weights = models.survey_cnn_initial_weights((8, 8))
    with pytest.raises(ValueError, match="8 weight arrays"):
        models.survey_cnn_torch_state(weights[:6])
    with pytest.raises(ValueError):
        models.survey_cnn_torch_state(weights, (12, 12))  # the first dense layer does not fit 12×12 inputs
