"""Timing a training step the same way in both frameworks: warm-up first, then the median of many steps.

The first steps of a framework are slow for reasons that have nothing to do with the model: graph tracing,
memory pools, caches. The median of the timed steps ignores the odd slow step (a garbage collection, another
process). Imports a framework only inside :func:`training_step`. Introduced in chapter 3.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np

from . import checks


def median_seconds(step: Callable[[], object], *, warmup: int = 20, timed: int = 50) -> float:
    """The median wall-clock time of ``step()`` over ``timed`` calls, after ``warmup`` untimed calls.

    Introduced in chapter 3.

    >>> 0 <= median_seconds(lambda: sum(range(100)), warmup=1, timed=5) < 1
    True

    Raises:
        TypeError: if ``step`` is not callable or a count is not an integer.
        ValueError: for a negative warm-up or fewer than one timed call.
    """
    if not callable(step):
        raise TypeError(f"step must be callable, got {type(step).__name__}")
    warmup = checks.integer(warmup, "warmup", minimum=0)
    timed = checks.integer(timed, "timed", minimum=1)
    for _ in range(warmup):
        step()
    times = []
    for _ in range(timed):
        started = time.perf_counter()
        step()
        times.append(time.perf_counter() - started)
    return float(np.median(times))


def training_step(
    framework: str, model: Any, x: np.ndarray, y: np.ndarray, *, learning_rate: float = 1e-2
) -> Callable[[], float]:
    """One step of Adam on the mean squared error of ``model(x)`` against ``y``, as a function to call.

    TensorFlow: a ``tf.function`` with a ``GradientTape`` (compiled once, on the first call); PyTorch: the
    forward pass, ``backward`` and ``optimizer.step``. The function returns the loss as a float, which waits for
    the step to finish. The model's output is taken as ``(N,)`` or ``(N, 1)``. Introduced in chapter 3.

    >>> import torch
    >>> step = training_step("torch", torch.nn.Linear(3, 1), np.ones((4, 3), np.float32), np.ones(4, np.float32))
    >>> step() > step()          # the loss falls
    True
    """
    name = checks.framework(framework)
    learning_rate = checks.positive(learning_rate, "learning_rate")
    if name == "tensorflow":
        import keras
        import tensorflow as tf

        optimizer = keras.optimizers.Adam(learning_rate)
        x_tf, y_tf = tf.constant(x), tf.constant(y)

        @tf.function  # type: ignore[untyped-decorator]
        def keras_step() -> Any:
            with tf.GradientTape() as tape:
                loss = tf.reduce_mean((tf.reshape(model(x_tf, training=True), [-1]) - y_tf) ** 2)
            optimizer.apply_gradients(zip(tape.gradient(loss, model.trainable_variables), model.trainable_variables))
            return loss

        return lambda: float(keras_step())
    import torch

    torch_optimizer = torch.optim.Adam(model.parameters(), lr=learning_rate)
    x_torch, y_torch = torch.from_numpy(x), torch.from_numpy(y)

    def torch_step() -> float:
        loss = ((model(x_torch).reshape(-1) - y_torch) ** 2).mean()
        torch_optimizer.zero_grad()
        loss.backward()
        torch_optimizer.step()
        return float(loss.detach())

    return torch_step
