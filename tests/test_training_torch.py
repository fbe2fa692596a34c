"""Tests for twice.training_torch: a PyTorch loop that reports what ``keras.Model.fit`` reports.

Most checks compare ``fit`` with a loop written out here, on the same batches and the same initial weights;
one compares it with Keras itself.
"""

from __future__ import annotations

import copy
import math
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import torch.nn.functional as F
from torch import Tensor, nn

from twice import load_digits
from twice.data import batch_stream
from twice.training_torch import fit, predict_logits

Batches = list[tuple[np.ndarray, np.ndarray]]


@pytest.fixture(scope="module")
def digits_flat() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """200 training and 100 validation digits, flattened to 64 features."""
    d = load_digits()
    x_train, y_train = d.train("flat")
    x_test, y_test = d.test("flat")
    return x_train[:200], y_train[:200], x_test[:100], y_test[:100]


def _batches(x: np.ndarray, y: np.ndarray, batch_size: int, count: int, seed: int = 0) -> Batches:
    """``count`` batches from batch_stream: reusable as a list, so that two loops see the same ones."""
    stream = batch_stream(x.reshape(len(x), 1, -1), y, batch_size=batch_size, seed=seed, layout="flat")
    return [next(stream) for _ in range(count)]


def _mlp(seed: int = 0, dropout: float = 0.0) -> nn.Sequential:
    torch.manual_seed(seed)
    layers: list[nn.Module] = [nn.Linear(64, 16), nn.ReLU()]
    if dropout:
        layers.append(nn.Dropout(dropout))
    layers.append(nn.Linear(16, 10))
    return nn.Sequential(*layers)


def _reference_fit(
    model: nn.Module,
    batches: Batches,
    steps_per_epoch: int,
    epochs: int,
    lr: float,
    validation_data: tuple[np.ndarray, np.ndarray] | None = None,
) -> dict[str, Any]:
    """The loop of chapter 1, written out: plain SGD, per-batch losses kept, validation in eval mode."""
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    out: dict[str, Any] = {
        "batch_losses": [],
        "batch_sizes": [],
        "correct": [],
        "val_loss": [],
        "val_accuracy": [],
    }
    it = iter(batches)
    for _ in range(epochs):
        model.train()
        losses, sizes, correct = [], [], 0
        for _ in range(steps_per_epoch):
            x_np, y_np = next(it)
            x, y = torch.from_numpy(x_np), torch.from_numpy(y_np)
            optimizer.zero_grad()
            logits = model(x)
            loss = F.cross_entropy(logits, y)
            loss.backward()  # type: ignore[no-untyped-call]
            optimizer.step()
            losses.append(loss.item())
            sizes.append(len(y))
            correct += int((logits.argmax(1) == y).sum())
        out["batch_losses"].append(losses)
        out["batch_sizes"].append(sizes)
        out["correct"].append(correct)
        if validation_data is not None:
            model.eval()
            with torch.no_grad():
                logits = model(torch.from_numpy(validation_data[0]))
                y_val = torch.from_numpy(validation_data[1])
                out["val_loss"].append(F.cross_entropy(logits, y_val).item())
                out["val_accuracy"].append((logits.argmax(1) == y_val).float().mean().item())
    return out


def _loss_of(model: nn.Module, x: np.ndarray, y: np.ndarray) -> float:
    with torch.no_grad():
        return F.cross_entropy(model(torch.from_numpy(x)), torch.from_numpy(y)).item()


def _sgd_fit(
    model: nn.Module, batches: Iterable[Any], *, steps_per_epoch: int, epochs: int, lr: float, **options: Any
) -> dict[str, list[float]]:
    """``fit`` with plain SGD at ``lr``, the optimizer of every test here that does not look at it."""
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    return fit(
        model, iter(batches), steps_per_epoch=steps_per_epoch, epochs=epochs, optimizer=optimizer, **options
    )


@dataclass(frozen=True)
class _Twins:
    """``fit`` and the written-out loop, run on the same batches from the same initial weights."""

    batches: Batches
    model: nn.Module  # trained by fit
    history: dict[str, list[float]]
    twin: nn.Module  # trained by _reference_fit
    reference: dict[str, Any]

    def weighted_losses(self) -> list[float]:
        """Each epoch's batch losses, averaged with the batch sizes as weights: what Keras reports."""
        pairs = zip(self.reference["batch_losses"], self.reference["batch_sizes"])
        return [float(np.dot(losses, sizes) / sum(sizes)) for losses, sizes in pairs]

    def accuracies(self) -> list[float]:
        return [c / sum(s) for c, s in zip(self.reference["correct"], self.reference["batch_sizes"])]


def _fit_and_reference(
    digits: Any,
    *,
    batch_size: int,
    steps: int,
    epochs: int,
    lr: float,
    dropout: float = 0.0,
    validation: bool = False,
    dropout_seed: int = 0,
) -> _Twins:
    """Train an MLP on the digits with ``fit``, and its twin with ``_reference_fit``.

    Both see the same batches from the same initial weights; both loops start after ``torch.manual_seed(
    dropout_seed)``, so that they draw the same dropout masks in the same order.
    """
    x, y, x_val, y_val = digits
    batches = _batches(x, y, batch_size, steps * epochs)
    model = _mlp(dropout=dropout)
    twin = copy.deepcopy(model)
    validation_data = (x_val, y_val) if validation else None
    torch.manual_seed(dropout_seed)
    history = _sgd_fit(
        model, batches, steps_per_epoch=steps, epochs=epochs, lr=lr, validation_data=validation_data
    )
    torch.manual_seed(dropout_seed)
    reference = _reference_fit(twin, batches, steps, epochs, lr=lr, validation_data=validation_data)
    return _Twins(batches, model, history, twin, reference)


def _assert_same_parameters(model: nn.Module, twin: nn.Module) -> None:
    for p, q in zip(model.parameters(), twin.parameters(), strict=True):
        torch.testing.assert_close(p, q, rtol=0, atol=1e-6)


# --- history ------------------------------------------------------------------------------------------------


def test_history_keys_and_lengths_with_validation(digits_flat: Any) -> None:
    x, y, x_val, y_val = digits_flat
    history = _sgd_fit(
        _mlp(), _batches(x, y, 32, 7 * 4), steps_per_epoch=7, epochs=4, lr=0.1, validation_data=(x_val, y_val)
    )
    assert list(history) == ["loss", "accuracy", "val_loss", "val_accuracy"]  # Keras' History.history keys
    assert all(len(values) == 4 for values in history.values())
    assert all(isinstance(v, float) for values in history.values() for v in values)
    assert all(0.0 <= a <= 1.0 for a in history["accuracy"] + history["val_accuracy"])


def test_history_without_validation_has_only_loss_and_accuracy(digits_flat: Any) -> None:
    x, y, _, _ = digits_flat
    history = _sgd_fit(_mlp(), _batches(x, y, 50, 4 * 3), steps_per_epoch=4, epochs=3, lr=0.1)
    assert list(history) == ["loss", "accuracy"]
    assert len(history["loss"]) == len(history["accuracy"]) == 3


def test_loss_decreases_on_a_separable_problem() -> None:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((128, 2)).astype(np.float32)
    y = (x[:, 0] + 2 * x[:, 1] > 0).astype(np.int64)
    torch.manual_seed(0)
    model = nn.Linear(2, 2)
    stream = batch_stream(x[:, None, :], y, batch_size=16, layout="flat")
    history = _sgd_fit(model, stream, steps_per_epoch=8, epochs=10, lr=0.5)
    assert all(later < earlier for earlier, later in zip(history["loss"], history["loss"][1:]))
    assert history["loss"][-1] < 0.5 * history["loss"][0]
    assert history["accuracy"][-1] > 0.95
    # A linear model on linearly separable data: the trained model separates (almost) all of it.
    assert (predict_logits(model, x).argmax(1) == y).mean() > 0.95


def test_epoch_loss_is_the_batch_size_weighted_mean_of_the_batch_losses(digits_flat: Any) -> None:
    # 200 examples in batches of 48: 48, 48, 48, 48, 8, so the weighting matters.
    run = _fit_and_reference(digits_flat, batch_size=48, steps=5, epochs=3, lr=0.5)
    assert [len(b[1]) for b in run.batches[:5]] == [48, 48, 48, 48, 8]
    np.testing.assert_allclose(run.history["loss"], run.weighted_losses(), rtol=1e-6)
    np.testing.assert_allclose(run.history["accuracy"], run.accuracies(), rtol=0, atol=1e-12)
    # The plain mean of the batch losses is a different number here: the test can tell them apart.
    unweighted = [np.mean(losses) for losses in run.reference["batch_losses"]]
    assert np.abs(np.subtract(unweighted, run.weighted_losses())).max() > 1e-3
    _assert_same_parameters(run.model, run.twin)  # both loops trained the same weights


def test_epoch_metrics_use_the_training_mode_outputs_with_dropout(digits_flat: Any) -> None:
    # Keras reports the loss computed during the epoch, dropout active, not a re-evaluation afterwards.
    run = _fit_and_reference(
        digits_flat, batch_size=40, steps=5, epochs=2, lr=0.5, dropout=0.5, validation=True, dropout_seed=123
    )
    np.testing.assert_allclose(run.history["loss"], run.weighted_losses(), rtol=1e-6)
    np.testing.assert_allclose(run.history["accuracy"], run.accuracies(), rtol=0, atol=1e-12)
    np.testing.assert_allclose(run.history["val_loss"], run.reference["val_loss"], rtol=1e-6)
    _assert_same_parameters(run.model, run.twin)  # so the dropout masks were the same too


def test_validation_metrics_are_evaluated_in_eval_mode_at_the_end_of_each_epoch(digits_flat: Any) -> None:
    _, _, x_val, y_val = digits_flat
    run = _fit_and_reference(
        digits_flat, batch_size=32, steps=7, epochs=3, lr=0.3, dropout=0.5, validation=True, dropout_seed=7
    )
    history, model = run.history, run.model
    np.testing.assert_allclose(history["val_loss"], run.reference["val_loss"], rtol=1e-6)
    np.testing.assert_allclose(history["val_accuracy"], run.reference["val_accuracy"], rtol=0, atol=1e-7)
    assert len(set(history["val_loss"])) == 3  # three different epochs, three different values
    # The last value is the trained model's loss with dropout off ...
    assert model.training is False
    assert history["val_loss"][-1] == pytest.approx(_loss_of(model, x_val, y_val), rel=1e-6)
    # ... and not the one with dropout on, which is clearly different.
    model.train()
    torch.manual_seed(0)
    with_dropout = _loss_of(model, x_val, y_val)
    assert abs(with_dropout - history["val_loss"][-1]) > 1e-2


# --- scheduler, device, mode ---------------------------------------------------------------------------------


def test_scheduler_is_stepped_once_per_batch(digits_flat: Any) -> None:
    x, y, _, _ = digits_flat
    model = _mlp()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.5)
    batches = iter(_batches(x, y, 50, 4 * 3))
    fit(model, batches, steps_per_epoch=4, epochs=3, optimizer=optimizer, scheduler=scheduler)
    assert scheduler.last_epoch == 12  # 4 steps an epoch, 3 epochs
    assert optimizer.param_groups[0]["lr"] == pytest.approx(0.1 * 0.5**12)


def test_a_per_batch_schedule_changes_the_training_like_a_hand_loop(digits_flat: Any) -> None:
    x, y, _, _ = digits_flat
    batches = _batches(x, y, 50, 4 * 2)
    model = _mlp()
    twin = copy.deepcopy(model)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.4)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: 1.0 / (1 + step))
    fit(model, iter(batches), steps_per_epoch=4, epochs=2, optimizer=optimizer, scheduler=scheduler)
    assert optimizer.param_groups[0]["lr"] == pytest.approx(0.4 / 9)
    # By hand: step k (from 0) uses lr 0.4 / (k + 1).
    hand = torch.optim.SGD(twin.parameters(), lr=0.4)
    for k, (xb, yb) in enumerate(batches):
        for group in hand.param_groups:
            group["lr"] = 0.4 / (k + 1)
        hand.zero_grad()
        F.cross_entropy(twin(torch.from_numpy(xb)), torch.from_numpy(yb)).backward()  # type: ignore[no-untyped-call]
        hand.step()
    _assert_same_parameters(model, twin)


@pytest.mark.parametrize("with_validation", [False, True])
def test_model_is_left_in_eval_mode(digits_flat: Any, with_validation: bool) -> None:
    x, y, x_val, y_val = digits_flat
    model = _mlp(dropout=0.2)
    model.train()
    validation_data = (x_val, y_val) if with_validation else None
    _sgd_fit(
        model, _batches(x, y, 100, 2), steps_per_epoch=2, epochs=1, lr=0.1, validation_data=validation_data
    )
    assert not any(m.training for m in model.modules())


def test_fit_accepts_a_device_and_tensor_batches(digits_flat: Any) -> None:
    x, y, x_val, y_val = digits_flat
    batches = _batches(x, y, 50, 4)
    model = _mlp()
    twin = copy.deepcopy(model)
    as_tensors = [(torch.from_numpy(xb), torch.from_numpy(yb)) for xb, yb in batches]
    a = _sgd_fit(model, as_tensors, steps_per_epoch=4, epochs=1, lr=0.1, device="cpu")
    b = _sgd_fit(
        twin,
        batches,
        steps_per_epoch=4,
        epochs=1,
        lr=0.1,
        validation_data=(torch.from_numpy(x_val), torch.from_numpy(y_val)),
    )
    assert a["loss"] == b["loss"] and a["accuracy"] == b["accuracy"]
    assert b["val_loss"][0] == pytest.approx(_loss_of(twin, x_val, y_val), rel=1e-6)


def test_fit_draws_exactly_steps_per_epoch_batches_an_epoch(digits_flat: Any) -> None:
    x, y, _, _ = digits_flat
    drawn = 0

    def counting(batches: Batches) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        nonlocal drawn
        for batch in batches:
            drawn += 1
            yield batch

    _sgd_fit(_mlp(), counting(_batches(x, y, 20, 100)), steps_per_epoch=6, epochs=3, lr=0.1)
    assert drawn == 18


# --- early stopping -------------------------------------------------------------------------------------------

_ONE = np.ones((1, 1), dtype=np.float32)


def _one_parameter_run(
    labels: list[int], patience: int | None, lr: float = 0.5
) -> tuple[dict[str, list[float]], nn.Module]:
    """A bias-only problem: each epoch is one step towards class ``labels[epoch]``; validation wants class 0.

    So the validation loss goes down in a class-0 epoch and up in a class-1 epoch, in a pattern we choose.
    ``patience=None`` trains without early stopping.
    """
    model = nn.Linear(1, 2)
    with torch.no_grad():
        model.weight.zero_()
        model.bias.zero_()
    history = _sgd_fit(
        model,
        [(_ONE, np.array([label])) for label in labels],
        steps_per_epoch=1,
        epochs=len(labels),
        lr=lr,
        validation_data=(_ONE, np.array([0])),
        early_stopping_patience=patience,
    )
    return history, model


def _validation_loss(model: nn.Module) -> float:
    """The loss of the one-parameter problem's validation example, with the weights ``model`` has now."""
    return _loss_of(model, _ONE, np.array([0]))


def test_early_stopping_waits_patience_epochs_after_the_best_and_restores_it() -> None:
    labels = [0, 1, 0, 0, 1, 1, 1, 1, 1, 1]
    history, model = _one_parameter_run(labels, patience=3)
    val = history["val_loss"]
    # Down, up, down (not below epoch 1), down (new best: the wait starts again), then up, up, up: stop.
    assert val[1] > val[0] and val[0] < val[2] < val[1] and val[3] < val[0]
    assert val[3] < val[4] < val[5] < val[6]
    assert len(val) == 7 < len(labels)  # best at epoch 4, then patience 3 epochs without improvement
    assert len(history["loss"]) == len(history["accuracy"]) == len(history["val_accuracy"]) == 7
    # The restored weights are those of the best epoch, not the last one.
    restored = _validation_loss(model)
    assert restored == pytest.approx(min(val), rel=1e-6) and restored == pytest.approx(val[3], rel=1e-6)
    assert restored < val[-1] - 1.0
    assert model.training is False


@pytest.mark.parametrize(("patience", "length"), [(1, 2), (2, 3), (3, 7), (4, 8)])
def test_early_stopping_counts_the_epochs_since_the_best(patience: int, length: int) -> None:
    # Validation loss: down, up, down (still above the first), down (new best), up, up, up, ...
    history, _ = _one_parameter_run([0, 1, 0, 0, 1, 1, 1, 1, 1, 1], patience=patience)
    val = history["val_loss"]
    assert len(val) == length
    best = int(np.argmin(val))
    assert len(val) == best + 1 + patience


def test_early_stopping_that_never_triggers_keeps_the_best_weights() -> None:
    # Keras 3's EarlyStopping(restore_best_weights=True) restores the best weights at the end of training
    # even when it did not stop early; fit does the same.
    history, model = _one_parameter_run([0, 0, 0, 1], patience=3)
    assert len(history["val_loss"]) == 4
    assert history["val_loss"][3] > history["val_loss"][2]
    assert _validation_loss(model) == pytest.approx(history["val_loss"][2], rel=1e-6)


def test_without_early_stopping_the_last_weights_are_kept() -> None:
    history, model = _one_parameter_run([0, 0, 1, 1], patience=None)
    assert len(history["val_loss"]) == 4 and min(history["val_loss"]) < history["val_loss"][-1]
    assert _validation_loss(model) == pytest.approx(history["val_loss"][-1], rel=1e-6)


def test_early_stopping_on_digits_with_flipped_validation_labels(digits_flat: Any) -> None:
    # The better the model learns the digits, the worse it does on labels shifted by one: the validation
    # loss rises from the first epoch, so training stops after 1 + patience epochs with the first epoch's weights.
    x, y, x_val, y_val = digits_flat
    flipped = (y_val + 1) % 10
    model = _mlp(seed=1)
    history = _sgd_fit(
        model,
        batch_stream(x.reshape(-1, 8, 8), y, batch_size=20, seed=0, layout="flat"),
        steps_per_epoch=10,
        epochs=20,
        lr=0.5,
        validation_data=(x_val, flipped),
        early_stopping_patience=2,
    )
    val = history["val_loss"]
    assert len(val) == 3  # of 20 epochs
    assert val[0] < val[1] < val[2]
    assert _loss_of(model, x_val, flipped) == pytest.approx(val[0], rel=1e-6)
    assert history["loss"][-1] < history["loss"][0]  # training itself went well


# --- predict_logits ---------------------------------------------------------------------------------------------


def test_predict_logits_equals_the_model_in_eval_mode(digits_flat: Any) -> None:
    _, _, x_val, _ = digits_flat
    model = _mlp(dropout=0.5)
    model.eval()
    with torch.no_grad():
        expected = model(torch.from_numpy(x_val)).numpy()
    model.train()
    logits = predict_logits(model, x_val)
    assert isinstance(logits, np.ndarray) and logits.shape == (100, 10) and logits.dtype == np.float32
    np.testing.assert_allclose(logits, expected, rtol=0, atol=1e-6)
    with torch.no_grad():
        torch.manual_seed(0)
        in_train_mode = model(torch.from_numpy(x_val)).numpy()
    assert np.abs(in_train_mode - expected).max() > 0.1  # dropout would have made a difference


@pytest.mark.parametrize("training", [True, False])
def test_predict_logits_restores_the_training_flag(digits_flat: Any, training: bool) -> None:
    _, _, x_val, _ = digits_flat
    model = _mlp(dropout=0.5)
    model.train(training)
    predict_logits(model, x_val)
    assert all(m.training is training for m in model.modules())


def test_predict_logits_restores_the_flag_when_the_model_fails() -> None:
    model = _mlp(dropout=0.5)
    model.train()
    with pytest.raises(RuntimeError, match=r"shapes cannot be multiplied"):
        predict_logits(model, np.zeros((3, 5), dtype=np.float32))
    assert model.training is True


@pytest.mark.parametrize(
    ("batch_size", "calls"), [(3, 4), (5, 2), (10, 1), (512, 1), (1, 10), (np.int64(3), 4)]
)
def test_predict_logits_in_batches(batch_size: int, calls: int) -> None:
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 3))
    x = np.random.default_rng(0).standard_normal((10, 4)).astype(np.float32)
    sizes: list[int] = []
    model.register_forward_hook(lambda _m, inputs, _out: sizes.append(len(inputs[0])))
    logits = predict_logits(model, x, batch_size=batch_size)
    assert sum(sizes) == 10 and len(sizes) == calls
    assert all(s == batch_size for s in sizes[:-1])
    with torch.no_grad():
        np.testing.assert_allclose(logits, model(torch.from_numpy(x)).numpy(), rtol=0, atol=1e-6)


def test_predict_logits_accepts_tensors_and_does_not_track_gradients() -> None:
    torch.manual_seed(0)
    model = nn.Linear(4, 2)
    x = torch.randn(6, 4)
    logits = predict_logits(model, x, batch_size=4, device="cpu")
    np.testing.assert_allclose(logits, model(x).detach().numpy(), rtol=0, atol=1e-6)
    assert all(p.grad is None for p in model.parameters())


# --- errors ---------------------------------------------------------------------------------------------------------

# Counts that are not positive integers, what each raises and the end of its message (after the name).
_BAD_COUNTS = [
    pytest.param(0, ValueError, "must be a positive integer, got 0", id="zero"),
    pytest.param(-1, ValueError, "must be a positive integer, got -1", id="negative"),
    pytest.param(True, TypeError, "must be an integer, got bool True", id="bool"),
    pytest.param(1.0, TypeError, "must be an integer, got float 1.0", id="whole-float"),
    pytest.param(1.5, TypeError, "must be an integer, got float 1.5", id="fraction"),
    pytest.param("2", TypeError, "must be an integer, got str '2'", id="str"),
    pytest.param(None, TypeError, "must be an integer, got NoneType None", id="None"),
]


def _fit_kwargs(model: nn.Module) -> dict[str, Any]:
    x = np.zeros((4, 64), dtype=np.float32)
    y = np.zeros(4, dtype=np.int64)
    return {
        "batches": iter([(x, y)] * 10),
        "steps_per_epoch": 1,
        "epochs": 1,
        "optimizer": torch.optim.SGD(model.parameters(), lr=0.1),
    }


_VALIDATION = (np.zeros((2, 64), dtype=np.float32), np.zeros(2, dtype=np.int64))


# Every count argument of fit with every bad value; patience=None is allowed (it means no early stopping).
_BAD_FIT_COUNTS = [
    pytest.param(name, *bad.values, id=f"{name}-{bad.id}")
    for name in ("steps_per_epoch", "epochs", "early_stopping_patience")
    for bad in _BAD_COUNTS
    if not (name == "early_stopping_patience" and bad.values[0] is None)
]


@pytest.mark.parametrize(("name", "bad", "error", "message"), _BAD_FIT_COUNTS)
def test_fit_rejects_bad_counts_before_training(
    name: str, bad: object, error: type[Exception], message: str
) -> None:
    model = _mlp()
    kwargs = {**_fit_kwargs(model), "validation_data": _VALIDATION, name: bad}
    before = copy.deepcopy(model.state_dict())
    with pytest.raises(error, match=rf"^{name} {re.escape(message)}$"):
        fit(model, **kwargs)
    for key, value in model.state_dict().items():
        assert torch.equal(value, before[key])  # nothing was trained


def test_fit_rejects_early_stopping_without_validation_data() -> None:
    model = _mlp()
    with pytest.raises(
        ValueError, match=r"^early stopping monitors the validation loss: pass validation_data$"
    ):
        fit(model, **_fit_kwargs(model), early_stopping_patience=2)


def test_fit_stops_cleanly_when_the_batches_run_out() -> None:
    model = _mlp()
    kwargs = _fit_kwargs(model)
    kwargs["epochs"] = 11  # 10 batches for 11 steps
    with pytest.raises(StopIteration):
        fit(model, **kwargs)


def test_fit_accepts_numpy_integer_counts() -> None:
    model = _mlp()
    counts = {"steps_per_epoch": np.int64(2), "epochs": np.int64(3), "early_stopping_patience": np.int32(5)}
    history = fit(model, **{**_fit_kwargs(model), "validation_data": _VALIDATION, **counts})
    assert len(history["loss"]) == 3


@pytest.mark.parametrize(("bad", "error", "message"), _BAD_COUNTS)
def test_predict_logits_rejects_a_bad_batch_size(bad: object, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=rf"^batch_size {re.escape(message)}$"):
        predict_logits(nn.Linear(2, 2), np.zeros((3, 2), dtype=np.float32), batch_size=bad)  # type: ignore[arg-type]


def test_predict_logits_rejects_empty_input() -> None:
    with pytest.raises(ValueError, match=r"^x is empty: nothing to predict$"):
        predict_logits(_mlp(), np.zeros((0, 64), dtype=np.float32))


# --- the same numbers as Keras ----------------------------------------------------------------------------------


def test_fit_reports_what_keras_fit_reports(digits_flat: Any) -> None:
    keras = pytest.importorskip("keras")
    x, y, x_val, y_val = digits_flat
    n = 150  # batches of 32: 32, 32, 32, 32, 22, so Keras' weighting by batch size shows
    x, y = x[:n].reshape(n, 8, 8), y[:n]
    steps = math.ceil(n / 32)

    torch_model = _mlp(seed=3)
    keras_model = keras.Sequential(
        [keras.Input((64,)), keras.layers.Dense(16, activation="relu"), keras.layers.Dense(10)]
    )
    linears = [m for m in torch_model if isinstance(m, nn.Linear)]

    def torch_weights() -> list[np.ndarray]:
        # Dense kernel (in, out) = Linear weight (out, in) transposed; the biases are the same.
        return [a for m in linears for a in (m.weight.detach().numpy().T, m.bias.detach().numpy())]

    keras_model.set_weights(torch_weights())
    keras_model.compile(
        optimizer=keras.optimizers.SGD(learning_rate=0.2),  # no momentum
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    keras_history = keras_model.fit(
        batch_stream(x, y, batch_size=32, seed=11, layout="flat"),
        steps_per_epoch=steps,
        epochs=3,
        shuffle=False,
        validation_data=(x_val, y_val),
        verbose=0,
    ).history
    torch_history = _sgd_fit(
        torch_model,
        batch_stream(x, y, batch_size=32, seed=11, layout="flat"),
        steps_per_epoch=steps,
        epochs=3,
        lr=0.2,
        validation_data=(x_val, y_val),
    )
    assert set(keras_history) == set(torch_history)
    for key in torch_history:
        np.testing.assert_allclose(torch_history[key], keras_history[key], rtol=0, atol=1e-5, err_msg=key)
    for ours, theirs in zip(torch_weights(), keras_model.get_weights(), strict=True):
        np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-5)  # the same weights after training

    # The agreement is tight enough to tell batch-size weighting from a plain mean of batch losses.
    twin = _mlp(seed=3)
    ref = _reference_fit(twin, _batches(x.reshape(n, 64), y, 32, 3 * steps, seed=11), steps, 3, lr=0.2)
    unweighted = [float(np.mean(losses)) for losses in ref["batch_losses"]]
    assert np.abs(np.subtract(unweighted, keras_history["loss"])).max() > 1e-4



def test_fit_counts_per_time_step_predictions_as_keras_fit_does() -> None:
    # One prediction per time step: (N, T, features) in, (N, T, classes) out, labels (N, T). Keras' Dense acts
    # on the last axis, like nn.Linear. With lr=0 the weights stay as copied, so the two histories must agree:
    # the accuracy over all N*T predictions, the loss averaged over batches weighted by their examples.
    keras = pytest.importorskip("keras")
    rng = np.random.default_rng(0)
    x = rng.standard_normal((6, 5, 3)).astype(np.float32)
    y = rng.integers(0, 4, size=(6, 5))
    keras_model = keras.Sequential([keras.Input((5, 3)), keras.layers.Dense(4)])
    keras_model.compile(
        optimizer=keras.optimizers.SGD(0.0),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    keras_history = keras_model.fit(
        x, y, batch_size=4, epochs=1, shuffle=False, validation_data=(x, y), verbose=0
    ).history
    model = nn.Linear(3, 4)
    kernel, bias = keras_model.layers[0].get_weights()
    with torch.no_grad():
        model.weight.copy_(torch.from_numpy(kernel.T))
        model.bias.copy_(torch.from_numpy(bias))

    def per_step_loss(logits: Tensor, labels: Tensor) -> Tensor:
        return F.cross_entropy(logits.flatten(0, 1), labels.flatten())

    batches = [(x[:4], y[:4]), (x[4:], y[4:])]
    history = _sgd_fit(
        model, batches, steps_per_epoch=2, epochs=1, lr=0.0, loss_fn=per_step_loss, validation_data=(x, y)
    )
    assert sorted(history) == sorted(keras_history)
    for key, values in keras_history.items():
        assert history[key] == pytest.approx(values, abs=1e-6), key


# --- on_epoch_end (chapter 2: early stopping read off a run that kept every epoch's weights) -----------------


@pytest.mark.parametrize("with_validation", [True, False])
def test_on_epoch_end_sees_every_epoch_after_its_validation(digits_flat: Any, with_validation: bool) -> None:
    x, y, x_val, y_val = digits_flat
    model = _mlp()
    seen: list[tuple[int, int, Any]] = []

    def keep(epoch: int, history: dict[str, list[float]]) -> None:
        seen.append((epoch, len(history.get("val_loss", history["loss"])), copy.deepcopy(model.state_dict())))

    validation = (x_val, y_val) if with_validation else None
    history = _sgd_fit(model, _batches(x, y, 32, 7 * 3), steps_per_epoch=7, epochs=3, lr=0.1,
                       validation_data=validation, on_epoch_end=keep)
    assert [(epoch, length) for epoch, length, _ in seen] == [(1, 1), (2, 2), (3, 3)]
    # The last copy is the trained model: the callback ran after the epoch's last step.
    for name, value in model.state_dict().items():
        torch.testing.assert_close(seen[-1][2][name], value, rtol=0, atol=0)
    if with_validation:  # the kept weights of an epoch give that epoch's validation loss
        model.load_state_dict(seen[0][2])
        loss = F.cross_entropy(torch.from_numpy(predict_logits(model, x_val)), torch.from_numpy(y_val)).item()
        assert abs(loss - history["val_loss"][0]) < 1e-6
