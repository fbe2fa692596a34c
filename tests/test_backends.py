"""Tests for twice.backends: Keras 3 run by another backend in a fresh process, checked against the formula."""

from __future__ import annotations

import numpy as np
import pytest

from twice import backends
from twice.backends import keras_dense_on_backend


def test_keras_on_torch_computes_the_dense_formula_with_torch_weights() -> None:
    rng = np.random.default_rng(0)
    kernel = rng.normal(size=(4, 3)).astype(np.float32)
    bias = rng.normal(size=3).astype(np.float32)
    x = rng.normal(size=(5, 4)).astype(np.float32)
    run = keras_dense_on_backend("torch", kernel, bias, x, activation="relu")
    assert run.backend == "torch"
    assert run.output_type == "torch.Tensor"
    assert run.weight_types == ("torch.nn.parameter.Parameter",) * 2
    # Keras on torch imports neither TensorFlow nor JAX.
    assert run.frameworks_imported == ("torch",)
    assert run.outputs.dtype == np.float32 and run.outputs.shape == (5, 3)
    expected = np.maximum(x.astype(np.float64) @ kernel + bias, 0)
    np.testing.assert_allclose(run.outputs, expected, rtol=1e-5, atol=1e-6)
    assert run.seconds > 0


def test_the_weights_cross_to_the_child_without_rounding() -> None:
    # float32 values that are not short decimals: the identity kernel must return them bit for bit.
    x = np.array([[1 / 3, np.pi, -1e-30, 3.4e38]], np.float32)
    run = keras_dense_on_backend("torch", np.eye(4), np.zeros(4), x)
    assert run.outputs.tobytes() == x.tobytes()


@pytest.mark.parametrize(
    ("arguments", "match"),
    [
        ({"backend": "theano"}, r"backend must be one of \('tensorflow', 'jax', 'torch', 'numpy'\), got 'theano'"),
        ({"kernel": np.zeros(3)}, r"need kernel \(in, out\), bias \(out,\) and x \(N, in\); got \(3,\)"),
        ({"bias": np.zeros(3)}, r"got \(2, 2\), \(3,\) and \(1, 2\)"),
        ({"x": np.zeros((1, 3))}, r"got \(2, 2\), \(2,\) and \(1, 3\)"),
    ],
)
def test_wrong_arguments_are_rejected_before_a_process_starts(
    arguments: dict[str, object], match: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_process(*args: object, **kwargs: object) -> None:
        raise AssertionError("a process was started")

    monkeypatch.setattr("twice.backends.subprocess.run", no_process)
    call = {"backend": "torch", "kernel": np.eye(2), "bias": np.zeros(2), "x": np.ones((1, 2))} | arguments
    with pytest.raises(ValueError, match=match):
        keras_dense_on_backend(**call)  # type: ignore[arg-type]


def test_a_failing_child_raises_with_its_standard_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(backends, "_CHILD", "import sys; sys.exit('no backend here')")
    with pytest.raises(RuntimeError, match=r"(?s)Keras on torch failed:.*no backend here"):
        keras_dense_on_backend("torch", np.eye(2), np.zeros(2), np.ones((1, 2)))
