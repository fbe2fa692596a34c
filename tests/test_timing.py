"""Tests for twice.timing: the median of timed steps after a warm-up, and one training step in each framework."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from twice.timing import median_seconds, training_step


def test_median_seconds_warms_up_then_times_each_call() -> None:
    calls: list[int] = []
    seconds = median_seconds(lambda: calls.append(1), warmup=3, timed=7)
    assert len(calls) == 10 and 0 <= seconds < 0.01


def test_median_seconds_is_the_median_not_the_mean(monkeypatch: pytest.MonkeyPatch) -> None:
    # perf_counter is read twice per timed call; one call in five takes 100 s.
    durations = iter([1.0, 1.0, 1.0, 100.0, 1.0])
    clock = {"now": 0.0}
    started: list[float] = []

    def fake_counter() -> float:
        if started:
            clock["now"] = started.pop() + next(durations)
        else:
            started.append(clock["now"])
        return clock["now"]

    monkeypatch.setattr("twice.timing.time.perf_counter", fake_counter)
    assert median_seconds(lambda: None, warmup=0, timed=5) == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("arguments", "error", "match"),
    [
        ({"step": 3}, TypeError, r"step must be callable, got int"),
        ({"warmup": -1}, ValueError, r"warmup must be a non-negative integer, got -1"),
        ({"timed": 0}, ValueError, r"timed must be a positive integer, got 0"),
        ({"timed": 2.0}, TypeError, r"timed must be an integer"),
    ],
)
def test_median_seconds_refuses_bad_arguments(
    arguments: dict[str, Any], error: type[Exception], match: str
) -> None:
    options: dict[str, Any] = {"step": lambda: None, **arguments}
    step = options.pop("step")
    with pytest.raises(error, match=match):
        median_seconds(step, **options)


def _data() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(16, 3)).astype(np.float32)
    return x, (x @ np.array([1.0, -2.0, 0.5], dtype=np.float32)).astype(np.float32)


def test_a_torch_training_step_lowers_the_loss_and_returns_it(torch: Any) -> None:
    torch.manual_seed(0)
    x, y = _data()
    model = torch.nn.Linear(3, 1)
    step = training_step("pt", model, x, y, learning_rate=0.1)
    first = step()
    expected = float(((model(torch.from_numpy(x))[:, 0] - torch.from_numpy(y)) ** 2).mean().detach())
    losses = [step() for _ in range(20)]
    assert losses[0] == pytest.approx(expected, rel=1e-6)  # what it returns is the loss it minimises
    assert losses[-1] < 0.5 * first


def test_a_keras_training_step_lowers_the_loss_and_returns_it(keras: Any) -> None:
    keras.utils.set_random_seed(0)
    x, y = _data()
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    step = training_step("tensorflow", model, x, y, learning_rate=0.1)
    first = step()
    expected = float(np.mean((np.asarray(model(x))[:, 0] - y) ** 2))
    losses = [step() for _ in range(20)]
    assert losses[0] == pytest.approx(expected, rel=1e-5)
    assert losses[-1] < 0.5 * first


def test_training_step_refuses_an_unknown_framework_or_learning_rate() -> None:
    x, y = _data()
    with pytest.raises(ValueError, match=r"unknown framework 'jax'"):
        training_step("jax", None, x, y)
    with pytest.raises(ValueError, match=r"learning_rate must be positive, got 0"):
        training_step("torch", None, x, y, learning_rate=0)
