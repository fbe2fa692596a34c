"""Tests for twice.recurrent and the recurrent part of twice.convert: the NumPy recurrences, checked against
Keras' and PyTorch's own layers, and weights moved across for random configurations in both directions."""

from __future__ import annotations

import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

from twice.convert import keras_to_torch, torch_to_keras
from twice.recurrent import (
    GRU_RULE,
    LSTM_RULE,
    SIMPLE_RNN_RULE,
    RecurrentRule,
    forget_gate_product,
    gru,
    keras_initialise,
    lstm,
    sigmoid,
    simple_rnn,
)

RULES = {"SimpleRNN": SIMPLE_RNN_RULE, "LSTM": LSTM_RULE, "GRU": GRU_RULE}
TORCH_KINDS = {"SimpleRNN": "RNN", "LSTM": "LSTM", "GRU": "GRU"}


def _keras_weights(rng: np.random.Generator, kind: str, n_in: int, units: int) -> list[np.ndarray]:
    """Random Keras-layout weights (kernel, recurrent_kernel, bias) of one layer, float64, scaled to stay tame."""
    blocks = RULES[kind].blocks
    bias_shape = (2, blocks * units) if kind == "GRU" else (blocks * units,)
    return [
        rng.normal(0.0, 0.5, size=(n_in, blocks * units)),
        rng.normal(0.0, 0.5, size=(units, blocks * units)),
        rng.normal(0.0, 0.5, size=bias_shape),
    ]


# --- the NumPy reference against Keras --------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["SimpleRNN", "LSTM", "GRU", "GRU-reset-before"])
def test_the_reference_computes_what_the_keras_layer_computes(keras: Any, kind: str) -> None:
    rng = np.random.default_rng(1)
    x = rng.normal(size=(3, 6, 4))
    name, reset_after = ("GRU", False) if kind == "GRU-reset-before" else (kind, True)
    options = {"reset_after": False} if kind == "GRU-reset-before" else {}
    layer = getattr(keras.layers, name)(
        5, return_sequences=True, return_state=True, dtype="float64", **options
    )
    layer.build((None, 6, 4))
    weights = _keras_weights(rng, name, 4, 5)
    if not reset_after:
        weights[2] = weights[2][0]  # one bias row
    layer.set_weights(weights)
    keras_out, *keras_states = (np.asarray(t) for t in layer(x))
    if name == "SimpleRNN":
        out, h = simple_rnn(x, *weights)
        states = [h]
    elif name == "LSTM":
        out, (h, c) = lstm(x, *weights)
        states = [h, c]
    else:
        out, h = gru(x, *weights, reset_after=reset_after)
        states = [h]
    np.testing.assert_allclose(out, keras_out, atol=1e-12)
    for ours, theirs in zip(states, keras_states, strict=True):
        np.testing.assert_allclose(ours, theirs, atol=1e-12)


@pytest.mark.parametrize("kind", ["SimpleRNN", "LSTM", "GRU"])
def test_masked_steps_carry_the_state_as_keras_masking_does(keras: Any, kind: str) -> None:
    rng = np.random.default_rng(2)
    x = rng.normal(size=(3, 5, 2))
    mask = np.array([[1, 1, 1, 1, 1], [1, 1, 1, 0, 0], [0, 0, 1, 1, 1]], dtype=bool)
    layer = getattr(keras.layers, kind)(3, return_sequences=True, return_state=True, dtype="float64")
    layer.build((None, 5, 2))
    weights = _keras_weights(rng, kind, 2, 3)
    layer.set_weights(weights)
    keras_out, *keras_states = (np.asarray(t) for t in layer(x, mask=mask))
    reference = {"SimpleRNN": simple_rnn, "LSTM": lstm, "GRU": gru}[kind]
    out, state = reference(x, *weights, mask=mask)  # type: ignore[operator]
    np.testing.assert_allclose(out, keras_out, atol=1e-12)
    h = state[0] if kind == "LSTM" else state
    np.testing.assert_allclose(h, keras_states[0], atol=1e-12)
    # The second sequence stops after step 3: its state is its output there, repeated over the padding.
    np.testing.assert_array_equal(out[1, 3], out[1, 2])


# --- the NumPy reference against PyTorch, through the rules ----------------------------------------------


@pytest.mark.parametrize("kind", ["SimpleRNN", "LSTM", "GRU"])
def test_the_reference_computes_what_the_torch_layer_computes(torch: Any, kind: str) -> None:
    rng = np.random.default_rng(3)
    x = rng.normal(size=(2, 7, 3))
    weights = _keras_weights(rng, kind, 3, 4)
    module = getattr(torch.nn, TORCH_KINDS[kind])(3, 4, batch_first=True).double()
    for name, array in zip(
        ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"), RULES[kind].to_torch(*weights)
    ):
        with torch.no_grad():
            getattr(module, name).copy_(torch.from_numpy(array))
    torch_out, torch_state = module(torch.from_numpy(x))
    reference = {"SimpleRNN": simple_rnn, "LSTM": lstm, "GRU": gru}[kind]
    out, state = reference(x, *weights)  # type: ignore[operator]
    np.testing.assert_allclose(out, torch_out.detach().numpy(), atol=1e-12)
    if kind == "LSTM":
        np.testing.assert_allclose(state[0], torch_state[0][0].detach().numpy(), atol=1e-12)
        np.testing.assert_allclose(state[1], torch_state[1][0].detach().numpy(), atol=1e-12)
    else:
        np.testing.assert_allclose(state, torch_state[0].detach().numpy(), atol=1e-12)


def test_sigmoid_is_the_logistic_function_without_overflow() -> None:
    z = np.linspace(-30, 30, 61)
    np.testing.assert_allclose(sigmoid(z), 1.0 / (1.0 + np.exp(-z)), rtol=1e-12)
    with np.errstate(over="raise"):
        assert sigmoid(np.array([-1e6]))[0] == 0.0


# --- the rules ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["SimpleRNN", "LSTM", "GRU"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_keras_to_torch_to_keras_is_exact_and_keeps_the_dtype(kind: str, dtype: type) -> None:
    weights: list[np.ndarray] = [
        w.astype(dtype) for w in _keras_weights(np.random.default_rng(4), kind, 3, 5)
    ]
    copies = [w.copy() for w in weights]
    torch_arrays = RULES[kind].to_torch(*weights)
    assert all(a is not None and a.dtype == dtype for a in torch_arrays)
    back = RULES[kind].to_keras(*torch_arrays)
    for original, returned, copy in zip(weights, back, copies, strict=True):
        assert returned is not None
        np.testing.assert_array_equal(returned, original)
        assert not np.shares_memory(returned, original)
        np.testing.assert_array_equal(original, copy)  # the inputs are left alone


@pytest.mark.parametrize("kind", ["SimpleRNN", "LSTM"])
def test_torch_to_keras_adds_the_two_biases_and_the_way_back_keeps_the_sum(kind: str) -> None:
    rng = np.random.default_rng(5)
    blocks = RULES[kind].blocks
    w_ih, w_hh = rng.normal(size=(blocks * 4, 3)), rng.normal(size=(blocks * 4, 4))
    b_ih, b_hh = rng.normal(size=blocks * 4), rng.normal(size=blocks * 4)
    _, _, bias = RULES[kind].to_keras(w_ih, w_hh, b_ih, b_hh)
    assert bias is not None
    np.testing.assert_allclose(bias, b_ih + b_hh)  # same gate order in both frameworks
    *_, new_ih, new_hh = RULES[kind].to_torch(*RULES[kind].to_keras(w_ih, w_hh, b_ih, b_hh))
    assert new_ih is not None and new_hh is not None
    np.testing.assert_allclose(new_ih + new_hh, b_ih + b_hh)
    np.testing.assert_array_equal(new_hh, 0.0)


def test_gru_gates_are_reordered_and_lstm_gates_are_not() -> None:
    units, n_in = 2, 3
    # Each gate block holds its own gate's number, in Keras' order: z=0, r=1, n=2 (recurrent bias: +10).
    blocks = np.repeat(np.arange(3.0), units)
    kernel = blocks[None, :].repeat(n_in, axis=0)
    bias = np.stack([blocks, 10 + blocks])
    weight_ih, _, bias_ih, bias_hh = GRU_RULE.to_torch(kernel, np.zeros((units, 3 * units)), bias)
    np.testing.assert_array_equal(weight_ih[:, 0], [1, 1, 0, 0, 2, 2])  # torch's order: r, z, n
    np.testing.assert_array_equal(bias_ih, [1, 1, 0, 0, 2, 2])
    np.testing.assert_array_equal(bias_hh, [11, 11, 10, 10, 12, 12])
    lstm_kernel = np.repeat(np.arange(4.0), units)[None, :].repeat(n_in, axis=0)
    lstm_ih, *_ = LSTM_RULE.to_torch(lstm_kernel, np.zeros((units, 4 * units)))
    np.testing.assert_array_equal(lstm_ih[:, 0], [0, 0, 1, 1, 2, 2, 3, 3])


def test_a_gru_bias_of_reset_before_has_no_torch_counterpart() -> None:
    with pytest.raises(ValueError, match=r"one bias row is reset_after=False.*PyTorch's GRU cannot compute"):
        GRU_RULE.to_torch(np.ones((3, 6)), np.ones((2, 6)), np.ones(6))


@pytest.mark.parametrize(
    ("arguments", "match"),
    [
        (
            (np.ones((3, 7)), np.ones((2, 8))),
            r"a Keras LSTM kernel of shape \(3, 7\) does not stack 4 equal gates",
        ),
        (
            (np.ones((3, 8)), np.ones((3, 8))),
            r"recurrent_kernel must have shape \(2, 8\) to match the kernel's 2",
        ),
        ((np.ones((3, 8)), np.ones((2, 8)), np.ones(7)), r"bias must have shape \(8,\) to match 2 units"),
        ((np.ones(8), np.ones((2, 8))), r"a Keras LSTM kernel must have shape \(in, 4·out\), got \(8,\)"),
    ],
)
def test_keras_weights_that_do_not_fit_are_refused(arguments: tuple[Any, ...], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        LSTM_RULE.to_torch(*arguments)


def test_torch_weights_that_do_not_fit_are_refused() -> None:
    with pytest.raises(ValueError, match=r"weight_hh must have shape \(6, 2\) to match weight_ih's 2 units"):
        GRU_RULE.to_keras(np.ones((6, 3)), np.ones((6, 3)))
    with pytest.raises(ValueError, match=r"bias_ih and bias_hh come together"):
        GRU_RULE.to_keras(np.ones((6, 3)), np.ones((6, 2)), np.ones(6), None)
    with pytest.raises(ValueError, match=r"bias_hh must have shape \(6,\)"):
        GRU_RULE.to_keras(np.ones((6, 3)), np.ones((6, 2)), np.ones(6), np.ones(5))
    with pytest.raises(TypeError, match=r"must be a numeric array"):
        LSTM_RULE.to_keras([["a"]], np.ones((4, 1)))


def test_a_rule_whose_gate_orders_disagree_is_refused() -> None:
    with pytest.raises(ValueError, match=r"must name the same gates"):
        RecurrentRule("X", "nn.X", ("a", "b"), ("a", "c"))


# --- whole models, random configurations -------------------------------------------------------------------


@dataclass(frozen=True)
class Config:
    kind: str
    layers: int
    bidirectional: bool
    n_in: int
    units: int
    batch_first: bool
    use_bias: bool

    def __str__(self) -> str:
        return (
            f"{self.kind}-{self.layers}x{self.units}{'-bi' if self.bidirectional else ''}-in{self.n_in}"
            f"{'-bf' if self.batch_first else '-tf'}{'' if self.use_bias else '-nobias'}"
        )


def _random_configs(count: int, seed: int) -> list[Config]:
    rng = np.random.default_rng(seed)
    return [
        Config(
            kind=str(rng.choice(["SimpleRNN", "LSTM", "GRU"])),
            layers=int(rng.integers(1, 4)),
            bidirectional=bool(rng.integers(0, 2)),
            n_in=int(rng.integers(1, 6)),
            units=int(rng.integers(1, 7)),
            batch_first=bool(rng.integers(0, 2)),
            use_bias=bool(rng.random() < 0.8),
        )
        for _ in range(count)
    ]


CONFIGS = _random_configs(12, seed=0)
STEPS = 5


def _models(keras: Any, torch: Any, config: Config) -> tuple[Any, Any]:
    """A Keras stack and the torch module with the same configuration, float64, randomly initialised."""
    layers: list[Any] = [keras.Input((STEPS, config.n_in), dtype="float64")]
    for _ in range(config.layers):
        layer = getattr(keras.layers, config.kind)(
            config.units, return_sequences=True, use_bias=config.use_bias, dtype="float64"
        )
        layers.append(keras.layers.Bidirectional(layer, dtype="float64") if config.bidirectional else layer)
    keras_model = keras.Sequential(layers)
    torch_model = getattr(torch.nn, TORCH_KINDS[config.kind])(
        config.n_in,
        config.units,
        num_layers=config.layers,
        bidirectional=config.bidirectional,
        batch_first=config.batch_first,
        bias=config.use_bias,
    ).double()
    return keras_model, torch_model


def _randomise(keras_model: Any, torch_model: Any, torch: Any, seed: int) -> None:
    """New random values in both models, so that a copy that did nothing cannot pass."""
    rng = np.random.default_rng(seed)
    keras_model.set_weights([rng.normal(0, 0.4, size=w.shape) for w in keras_model.get_weights()])
    with torch.no_grad():
        for parameter in torch_model.parameters():
            parameter.copy_(torch.from_numpy(rng.normal(0, 0.4, size=tuple(parameter.shape))))


def _outputs(
    keras_model: Any, torch_model: Any, torch: Any, config: Config, x: np.ndarray
) -> tuple[np.ndarray, ...]:
    """Both models' output sequences ``(N, T, directions·units)``, and torch's final h of the last layer."""
    keras_out = np.asarray(keras_model(x))
    torch_in = torch.from_numpy(x if config.batch_first else x.transpose(1, 0, 2).copy())
    torch_out, state = torch_model(torch_in)
    torch_out = torch_out.detach().numpy()
    if not config.batch_first:
        torch_out = torch_out.transpose(1, 0, 2)
    h_n = (state[0] if config.kind == "LSTM" else state).detach().numpy()
    return keras_out, torch_out, h_n


@pytest.mark.parametrize("config", CONFIGS, ids=str)
@pytest.mark.parametrize("direction", ["keras_to_torch", "torch_to_keras"])
def test_random_configurations_give_the_same_outputs_after_conversion(
    keras: Any, torch: Any, config: Config, direction: str
) -> None:
    keras_model, torch_model = _models(keras, torch, config)
    _randomise(keras_model, torch_model, torch, seed=zlib.crc32(str(config).encode()))  # the same every run
    if direction == "keras_to_torch":
        report = keras_to_torch(keras_model, torch_model)
    else:
        report = torch_to_keras(torch_model, keras_model)
    assert len(report.pairs) == config.layers * (2 if config.bidirectional else 1)
    assert all(pair.rule is RULES[config.kind] for pair in report.pairs)
    x = np.random.default_rng(7).normal(size=(3, STEPS, config.n_in))
    keras_out, torch_out, h_n = _outputs(keras_model, torch_model, torch, config, x)
    np.testing.assert_allclose(torch_out, keras_out, atol=1e-10)
    # The final states of the last layer: forward at the last step, backward at the first (torch's h_n).
    units, directions = config.units, 2 if config.bidirectional else 1
    last = h_n.reshape(config.layers, directions, 3, units)[-1]
    np.testing.assert_allclose(last[0], keras_out[:, -1, :units], atol=1e-10)
    if config.bidirectional:
        np.testing.assert_allclose(last[1], keras_out[:, 0, units:], atol=1e-10)


def test_random_configurations_cover_every_kind_depth_and_direction() -> None:
    assert {c.kind for c in CONFIGS} == {"SimpleRNN", "LSTM", "GRU"}
    assert {c.layers for c in CONFIGS} == {1, 2, 3}
    assert {c.bidirectional for c in CONFIGS} == {False, True}
    assert {c.batch_first for c in CONFIGS} == {False, True}


@pytest.mark.parametrize("kind", ["LSTM", "GRU"])
def test_the_final_cell_and_hidden_states_agree(keras: Any, torch: Any, kind: str) -> None:
    inputs = keras.Input((STEPS, 3), dtype="float64")
    outputs = getattr(keras.layers, kind)(4, return_state=True, dtype="float64")(inputs)
    keras_model = keras.Model(inputs, outputs)
    torch_model = getattr(torch.nn, kind)(3, 4, batch_first=True).double()
    _randomise(keras_model, torch_model, torch, seed=11)
    keras_to_torch(keras_model, torch_model)
    x = np.random.default_rng(8).normal(size=(2, STEPS, 3))
    keras_states = [np.asarray(t) for t in keras_model(x)[1:]]
    _, torch_state = torch_model(torch.from_numpy(x))
    torch_states = [s[0].detach().numpy() for s in (torch_state if kind == "LSTM" else (torch_state,))]
    assert len(keras_states) == len(torch_states) == (2 if kind == "LSTM" else 1)
    for theirs, ours in zip(keras_states, torch_states):
        np.testing.assert_allclose(ours, theirs, atol=1e-10)


class _SurveyClassifier:
    """The survey's classifier in miniature: a stacked LSTM, its last time step into a linear layer."""

    @staticmethod
    def torch(torch: Any) -> Any:
        class Model(torch.nn.Module):  # type: ignore[misc]
            def __init__(self) -> None:
                super().__init__()
                self.lstm = torch.nn.LSTM(8, 16, num_layers=2, batch_first=True)
                self.fc = torch.nn.Linear(16, 10)

            def forward(self, x: Any) -> Any:
                out, _ = self.lstm(x)
                return self.fc(out[:, -1])

        return Model().double()

    @staticmethod
    def keras(keras: Any) -> Any:
        return keras.Sequential(
            [
                keras.Input((8, 8), dtype="float64"),
                keras.layers.LSTM(16, return_sequences=True, dtype="float64"),
                keras.layers.LSTM(16, dtype="float64"),
                keras.layers.Dense(10, dtype="float64"),
            ]
        )


@pytest.mark.parametrize("direction", ["keras_to_torch", "torch_to_keras"])
def test_the_surveys_lstm_classifier_gives_the_same_logits(keras: Any, torch: Any, direction: str) -> None:
    keras_model, torch_model = _SurveyClassifier.keras(keras), _SurveyClassifier.torch(torch)
    _randomise(keras_model, torch_model, torch, seed=12)
    convert: Callable[[], Any] = (
        (lambda: keras_to_torch(keras_model, torch_model))
        if direction == "keras_to_torch"
        else (lambda: torch_to_keras(torch_model, keras_model))
    )
    report = convert()
    assert [str(pair).split(" <-> ")[1].split(" (")[0] for pair in report.pairs] == [
        "lstm layer 0",
        "lstm layer 1",
        "fc",
    ]
    x = np.random.default_rng(9).normal(size=(4, 8, 8))
    np.testing.assert_allclose(
        torch_model(torch.from_numpy(x)).detach().numpy(), np.asarray(keras_model(x)), atol=1e-10
    )


def test_the_report_names_each_direction_and_the_gate_orders(keras: Any, torch: Any) -> None:
    config = Config("GRU", 1, True, 2, 3, True, True)
    keras_model, torch_model = _models(keras, torch, config)
    text = str(keras_to_torch(keras_model, torch_model)).splitlines()
    assert text[0] == "copied 2 layers to torch:"
    assert "/forward_" in text[1] and text[1].endswith("<-> <root> layer 0 (nn.GRU, gates r z n)")
    assert "(GRU, gates z r n)" in text[1]
    assert "/backward_" in text[2] and text[2].endswith("<-> <root> layer 0 reverse (nn.GRU, gates r z n)")


# --- configurations that have no counterpart ---------------------------------------------------------------


def _refused(keras: Any, torch: Any, keras_layers: list[Any], torch_model: Any, match: str) -> None:
    keras_model = keras.Sequential([keras.Input((STEPS, 3)), *keras_layers])
    before = [p.detach().clone() for p in torch_model.parameters()]
    keras_before = [w.copy() for w in keras_model.get_weights()]
    for direction in ("to torch", "to Keras"):
        with pytest.raises(ValueError, match=match):
            if direction == "to torch":
                keras_to_torch(keras_model, torch_model)
            else:
                torch_to_keras(torch_model, keras_model)
    assert all(torch.equal(a, b) for a, b in zip(before, torch_model.parameters()))
    assert all(np.array_equal(a, b) for a, b in zip(keras_before, keras_model.get_weights()))


@pytest.mark.parametrize(
    ("keras_factory", "torch_factory", "match"),
    [
        (lambda L: [L.GRU(4, reset_after=False)], lambda nn: nn.GRU(3, 4), r"GRU\(reset_after=False\) applies the reset"),
        (lambda L: [L.LSTM(5)], lambda nn: nn.LSTM(3, 4), r"differ in size: 5 units in Keras, hidden_size=4"),
        (lambda L: [L.Bidirectional(L.LSTM(4))], lambda nn: nn.LSTM(3, 4), r"a Keras Bidirectional wrapper, but bidirectional=False"),
        (lambda L: [L.LSTM(4)], lambda nn: nn.LSTM(3, 4, bidirectional=True), r"no Keras Bidirectional wrapper, but bidirectional=True"),
        (lambda L: [L.Bidirectional(L.GRU(4), merge_mode="sum")], lambda nn: nn.GRU(3, 4, bidirectional=True), r"merge_mode='sum'"),
        (lambda L: [L.SimpleRNN(4, go_backwards=True)], lambda nn: nn.RNN(3, 4), r"go_backwards=True reads the sequence backwards"),
        (lambda L: [L.SimpleRNN(4, activation="relu")], lambda nn: nn.RNN(3, 4), r"activation 'relu' in Keras, 'tanh' in torch"),
        (lambda L: [L.LSTM(4, recurrent_activation="hard_sigmoid")], lambda nn: nn.LSTM(3, 4), r"recurrent_activation 'hard_sigmoid'"),
        (lambda L: [L.LSTM(4, use_bias=False)], lambda nn: nn.LSTM(3, 4), r"use_bias=False in Keras, bias=True in torch"),
        (lambda L: [L.LSTM(4)], lambda nn: nn.LSTM(3, 4, proj_size=2), r"projects its output \(proj_size=2\)"),
        (lambda L: [L.LSTM(4, return_sequences=True), L.LSTM(4)], lambda nn: nn.LSTM(3, 4), r"has 2 layers with weights .* but the torch model has 1"),
        (lambda L: [L.GRU(4)], lambda nn: nn.LSTM(3, 4), r"is paired with torch module"),
    ],
)  # fmt: skip
def test_recurrent_configurations_without_a_counterpart_are_refused_and_nothing_changes(
    keras: Any, torch: Any, keras_factory: Any, torch_factory: Any, match: str
) -> None:
    _refused(keras, torch, keras_factory(keras.layers), torch_factory(torch.nn), match)


def test_a_relu_simple_rnn_pairs_with_a_relu_rnn(keras: Any, torch: Any) -> None:
    keras_model = keras.Sequential(
        [
            keras.Input((STEPS, 3), dtype="float64"),
            keras.layers.SimpleRNN(4, activation="relu", return_sequences=True, dtype="float64"),
        ]
    )
    torch_model = torch.nn.RNN(3, 4, nonlinearity="relu", batch_first=True).double()
    _randomise(keras_model, torch_model, torch, seed=13)
    keras_to_torch(keras_model, torch_model)
    x = np.random.default_rng(10).normal(size=(2, STEPS, 3))
    np.testing.assert_allclose(
        torch_model(torch.from_numpy(x))[0].detach().numpy(), np.asarray(keras_model(x)), atol=1e-10
    )


# --- helpers for the chapter: the forget-gate product, Keras' initialisation in torch -------------------------


def test_the_forget_gate_product_is_the_product_of_the_lstms_own_forget_gates() -> None:
    rng = np.random.default_rng(20)
    x = rng.normal(size=(3, 7, 2))
    kernel, recurrent_kernel, bias = _keras_weights(rng, "LSTM", 2, 4)
    product = forget_gate_product(x, kernel, recurrent_kernel, bias)
    # The same from the outputs of the reference, step by step: f_t from h_{t-1}.
    outputs, _ = lstm(x, kernel, recurrent_kernel, bias)
    h_previous = np.concatenate([np.zeros((3, 1, 4)), outputs[:, :-1]], axis=1)
    z = x @ kernel + h_previous @ recurrent_kernel + bias
    np.testing.assert_allclose(product, sigmoid(z[..., 4:8]).prod(axis=1), rtol=1e-12)
    assert product.shape == (3, 4) and np.all((product > 0) & (product < 1))


def test_the_forget_gate_bias_keeps_more_of_the_memory() -> None:
    x, kernel, recurrent_kernel = np.zeros((1, 40, 1)), np.zeros((1, 4)), np.zeros((1, 4))
    with_bias = forget_gate_product(x, kernel, recurrent_kernel, np.array([0.0, 1.0, 0.0, 0.0]))
    without = forget_gate_product(x, kernel, recurrent_kernel, np.zeros(4))
    np.testing.assert_allclose(with_bias, sigmoid(np.array(1.0)) ** 40)
    np.testing.assert_allclose(without, 0.5**40)


def test_the_forget_gate_product_needs_a_time_step() -> None:
    with pytest.raises(ValueError, match=r"at least one time step"):
        forget_gate_product(np.zeros((1, 0, 1)), np.zeros((1, 4)), np.zeros((1, 4)))


@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
def test_keras_initialise_gives_a_torch_layer_the_keras_distributions(torch: Any, kind: str) -> None:
    torch.manual_seed(0)
    module = keras_initialise(getattr(torch.nn, kind)(6, 8, num_layers=2, bidirectional=True))
    blocks = {"RNN": 1, "LSTM": 4, "GRU": 3}[kind]
    for name, parameter in module.named_parameters():
        value = parameter.detach().numpy()
        if name.startswith("weight_hh"):
            # Orthogonal, as Keras' recurrent kernel: (gates·out, out) with orthonormal columns.
            np.testing.assert_allclose(value.T @ value, np.eye(8), atol=1e-5)
        elif name.startswith("weight_ih"):
            limit = np.sqrt(6.0 / (value.shape[0] + value.shape[1]))  # glorot_uniform of (in, gates·out)
            assert np.abs(value).max() <= limit and np.abs(value).max() > 0.8 * limit
        elif kind == "LSTM" and name.startswith("bias_ih"):
            np.testing.assert_array_equal(value, np.repeat([0.0, 1.0, 0.0, 0.0], 8))
        else:
            np.testing.assert_array_equal(value, np.zeros(blocks * 8))


def test_keras_initialise_matches_what_keras_builds(keras: Any, torch: Any) -> None:
    layer = keras.layers.LSTM(5)
    layer.build((None, 3, 2))
    kernel, recurrent_kernel, bias = layer.get_weights()
    module = keras_initialise(torch.nn.LSTM(2, 5))
    _, _, keras_bias_ih, _ = LSTM_RULE.to_torch(kernel, recurrent_kernel, bias)
    np.testing.assert_array_equal(module.bias_ih_l0.detach().numpy(), keras_bias_ih)
    assert np.abs(module.weight_ih_l0.detach().numpy()).max() <= np.sqrt(6 / (2 + 20))
    assert np.abs(kernel).max() <= np.sqrt(6 / (2 + 20))


def test_keras_initialise_refuses_other_modules(torch: Any) -> None:
    with pytest.raises(TypeError, match=r"must be a torch.nn.RNN, LSTM or GRU, got Linear"):
        keras_initialise(torch.nn.Linear(2, 2))
