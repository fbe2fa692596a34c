"""Tests for twice.determinism.seed_everything: same seed, same numbers, in Python, NumPy and both frameworks."""

from __future__ import annotations

import os
import random
import re
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

from twice import seed_everything


def _python_and_numpy_draws() -> tuple[list[float], np.ndarray]:
    return [random.random() for _ in range(5)], np.random.rand(5)


@pytest.fixture
def torch_deterministic_reset() -> Iterator[Any]:
    """Import torch and undo what seed_everything(..., "torch") switches on, so other tests are unaffected."""
    torch = pytest.importorskip("torch")
    benchmark = torch.backends.cudnn.benchmark
    try:
        yield torch
    finally:
        torch.use_deterministic_algorithms(False)
        torch.backends.cudnn.benchmark = benchmark


def _op_determinism_probe() -> Any:
    # TF 2.21 exports enable_op_determinism but not is_op_determinism_enabled under tf.config.experimental;
    # the query (and its counterpart disable_op_determinism) live in tensorflow.python.framework.config.
    from tensorflow.python.framework import config as tf_config

    return tf_config


@pytest.fixture
def tf_determinism_reset() -> Iterator[Any]:
    """Import TensorFlow and restore the op-determinism flag afterwards."""
    tf = pytest.importorskip("tensorflow")
    tf_config = _op_determinism_probe()
    was_enabled = tf_config.is_op_determinism_enabled()
    try:
        yield tf
    finally:
        if not was_enabled:
            tf_config.disable_op_determinism()


# --- Python and NumPy ---------------------------------------------------------------------------------------


def test_same_seed_gives_same_python_and_numpy_numbers() -> None:
    seed_everything(123)
    py_a, np_a = _python_and_numpy_draws()
    seed_everything(123)
    py_b, np_b = _python_and_numpy_draws()
    assert py_a == py_b
    np.testing.assert_array_equal(np_a, np_b)


def test_seed_matches_seeding_python_and_numpy_directly() -> None:
    seed_everything(7)
    got = _python_and_numpy_draws()
    random.seed(7)
    np.random.seed(7)
    expected = _python_and_numpy_draws()
    assert got[0] == expected[0]
    np.testing.assert_array_equal(got[1], expected[1])


def test_different_seeds_give_different_python_and_numpy_numbers() -> None:
    seed_everything(1)
    py_a, np_a = _python_and_numpy_draws()
    seed_everything(2)
    py_b, np_b = _python_and_numpy_draws()
    assert py_a != py_b
    assert not np.array_equal(np_a, np_b)


@pytest.mark.parametrize("seed", [0, 2**32 - 1, np.int64(5), np.uint32(2**32 - 1)])
def test_accepts_the_whole_range_and_numpy_integers(seed: Any) -> None:
    seed_everything(seed)
    draws = np.random.rand(3)
    np.random.seed(int(seed))
    np.testing.assert_array_equal(draws, np.random.rand(3))


# --- PyTorch ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("alias", ["torch", "pytorch", "PT"])
def test_torch_same_seed_gives_same_numbers(torch_deterministic_reset: Any, alias: str) -> None:
    torch = torch_deterministic_reset
    seed_everything(2024, alias)
    a = torch.rand(6)
    py_a, np_a = _python_and_numpy_draws()
    seed_everything(2024, alias)
    b = torch.rand(6)
    py_b, np_b = _python_and_numpy_draws()
    assert torch.equal(a, b)
    assert py_a == py_b
    np.testing.assert_array_equal(np_a, np_b)


def test_torch_same_seed_gives_same_initial_weights(torch_deterministic_reset: Any) -> None:
    torch = torch_deterministic_reset
    seed_everything(5, "torch")
    first = torch.nn.Linear(4, 3).weight.detach().clone()
    seed_everything(5, "torch")
    second = torch.nn.Linear(4, 3).weight.detach().clone()
    assert torch.equal(first, second)


def test_torch_different_seeds_give_different_numbers(torch_deterministic_reset: Any) -> None:
    torch = torch_deterministic_reset
    seed_everything(1, "torch")
    a = torch.rand(6)
    seed_everything(2, "torch")
    b = torch.rand(6)
    assert not torch.equal(a, b)


def test_torch_turns_on_deterministic_algorithms(torch_deterministic_reset: Any) -> None:
    torch = torch_deterministic_reset
    torch.use_deterministic_algorithms(False)
    torch.backends.cudnn.benchmark = True
    seed_everything(0, "torch")
    assert torch.are_deterministic_algorithms_enabled() is True
    assert torch.backends.cudnn.benchmark is False


def test_torch_sets_cublas_workspace_config(
    torch_deterministic_reset: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CUBLAS_WORKSPACE_CONFIG", raising=False)
    seed_everything(0, "torch")
    assert os.environ["CUBLAS_WORKSPACE_CONFIG"] == ":4096:8"


def test_torch_keeps_an_existing_cublas_workspace_config(
    torch_deterministic_reset: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CUBLAS_WORKSPACE_CONFIG", ":16:8")
    seed_everything(0, "torch")
    assert os.environ["CUBLAS_WORKSPACE_CONFIG"] == ":16:8"


def test_numpy_only_seeding_leaves_torch_settings_alone(torch_deterministic_reset: Any) -> None:
    torch = torch_deterministic_reset
    torch.use_deterministic_algorithms(False)
    seed_everything(0)
    assert torch.are_deterministic_algorithms_enabled() is False


# --- TensorFlow ---------------------------------------------------------------------------------------------


def _dense_kernel(keras: Any, seed: int) -> np.ndarray:
    seed_everything(seed, "tensorflow")
    layer = keras.layers.Dense(5)
    layer.build((None, 4))
    return np.asarray(layer.kernel)


@pytest.mark.parametrize("alias", ["tensorflow", "tf", "Keras"])
def test_tf_same_seed_gives_same_numbers(tf_determinism_reset: Any, alias: str) -> None:
    tf = tf_determinism_reset
    seed_everything(99, alias)
    a = tf.random.uniform((6,)).numpy()
    py_a, np_a = _python_and_numpy_draws()
    seed_everything(99, alias)
    b = tf.random.uniform((6,)).numpy()
    py_b, np_b = _python_and_numpy_draws()
    np.testing.assert_array_equal(a, b)
    assert py_a == py_b
    np.testing.assert_array_equal(np_a, np_b)


def test_tf_same_seed_gives_same_dense_initial_weights(tf_determinism_reset: Any) -> None:
    keras = pytest.importorskip("keras")
    first = _dense_kernel(keras, 11)
    second = _dense_kernel(keras, 11)
    assert first.shape == (4, 5)
    np.testing.assert_array_equal(first, second)
    # Glorot-uniform by default: a nonzero kernel within the bound, not a constant.
    assert np.abs(first).max() <= np.sqrt(6 / (4 + 5)) and np.unique(first).size == first.size


def test_tf_different_seeds_give_different_numbers_and_weights(tf_determinism_reset: Any) -> None:
    tf = tf_determinism_reset
    keras = pytest.importorskip("keras")
    seed_everything(1, "tf")
    a = tf.random.uniform((6,)).numpy()
    seed_everything(2, "tf")
    b = tf.random.uniform((6,)).numpy()
    assert not np.array_equal(a, b)
    assert not np.array_equal(_dense_kernel(keras, 1), _dense_kernel(keras, 2))


def test_tf_turns_on_op_determinism(tf_determinism_reset: Any) -> None:
    tf_config = _op_determinism_probe()
    tf_config.disable_op_determinism()
    assert tf_config.is_op_determinism_enabled() is False
    seed_everything(0, "tensorflow")
    assert tf_config.is_op_determinism_enabled() is True


# --- bad input ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("seed", "type_name"),
    [
        (True, "bool"),
        (False, "bool"),
        (1.0, "float"),
        (np.float64(3), "float64"),
        ("1", "str"),
        (None, "NoneType"),
    ],
)
def test_non_integer_seeds_raise_type_error(seed: object, type_name: str) -> None:
    # The message names the argument, then the type and the value received.
    expected = re.escape(f"seed must be an integer, got {type_name} {seed!r}")
    with pytest.raises(TypeError, match=f"^{expected}$"):
        seed_everything(seed)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("seed", "message"),
    [
        (-1, "seed must be a non-negative integer, got -1"),
        (np.int64(-3), "seed must be a non-negative integer, got -3"),
        (2**32, "seed must be an integer <= 4294967295, got 4294967296"),
        (2**64, "seed must be an integer <= 4294967295, got 18446744073709551616"),
    ],
)
def test_out_of_range_seeds_raise_value_error(seed: int, message: str) -> None:
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        seed_everything(seed)


@pytest.mark.parametrize("framework", ["torch", "tf"])
def test_bad_seed_is_rejected_whatever_the_framework(framework: str) -> None:
    with pytest.raises(ValueError, match=r"^seed must be a non-negative integer, got -1$"):
        seed_everything(-1, framework)
    with pytest.raises(TypeError, match=r"^seed must be an integer, got float 0\.5$"):
        seed_everything(0.5, framework)  # type: ignore[arg-type]


def test_unknown_framework_raises_and_seeds_nothing() -> None:
    random.seed(31)
    np.random.seed(31)
    py_state = random.getstate()
    np_state: Any = np.random.get_state()
    with pytest.raises(ValueError, match=r"unknown framework 'jax'"):
        seed_everything(0, "jax")
    with pytest.raises(TypeError, match=r"framework must be a string .* got int"):
        seed_everything(0, 1)  # type: ignore[arg-type]
    # The framework is validated before Python and NumPy are reseeded: a failed call changes nothing.
    assert random.getstate() == py_state
    after: Any = np.random.get_state()
    np.testing.assert_array_equal(after[1], np_state[1])
    assert after[2] == np_state[2]


# --- TensorFloat-32 --------------------------------------------------------------------------------------------


def test_seeding_torch_turns_tf32_off() -> None:
    torch = pytest.importorskip("torch")
    torch.backends.cuda.matmul.allow_tf32 = True
    torch.backends.cudnn.allow_tf32 = True
    try:
        seed_everything(0, "torch")
        assert torch.backends.cuda.matmul.allow_tf32 is False
        assert torch.backends.cudnn.allow_tf32 is False
    finally:
        torch.use_deterministic_algorithms(False)


def test_seeding_tensorflow_turns_tf32_off() -> None:
    tf = pytest.importorskip("tensorflow")
    tf.config.experimental.enable_tensor_float_32_execution(True)
    try:
        seed_everything(0, "tensorflow")
        assert tf.config.experimental.tensor_float_32_execution_enabled() is False
    finally:
        from tensorflow.python.framework import config as tf_config

        tf_config.disable_op_determinism()


def test_disable_tf32_rejects_an_unknown_framework() -> None:
    from twice.determinism import disable_tf32

    with pytest.raises(ValueError, match="unknown framework 'jax'"):
        disable_tf32("jax")
