"""Tests for twice.answers: answers as plain data, which no lying object gets through."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from twice.answers import plain, trusted_types


class LyingStr(str):
    def __eq__(self, other: object) -> bool:
        return True

    __hash__ = str.__hash__


class AlwaysClose:
    """Passes ``np.allclose(answer, anything)`` and ``answer == anything``, and claims to be an ndarray."""

    @property  # type: ignore[misc]
    def __class__(self) -> type:
        return np.ndarray

    shape = property(lambda self: AnyShape())

    def __array_function__(self, *args: object, **kwargs: object) -> bool:
        return True

    def __eq__(self, other: object) -> bool:
        return True

    __hash__ = object.__hash__


class AnyShape(tuple):  # type: ignore[type-arg]
    def __eq__(self, other: object) -> bool:
        return True

    __hash__ = tuple.__hash__


class ArraySubclass(np.ndarray):
    def __eq__(self, other: object) -> Any:
        return np.True_


def test_the_liars_fool_a_naive_test() -> None:
    """The attacks are real: each passes the comparison it targets, unless plain() comes first."""
    liar = AlwaysClose()
    assert isinstance(liar, np.ndarray) and np.allclose(liar, np.arange(3)) and liar.shape == (7, 7)
    assert LyingStr("x") == "float32"


@pytest.mark.parametrize(
    "liar",
    [LyingStr("float32"), AlwaysClose(), np.zeros(3).view(ArraySubclass), np.ma.masked_array([1.0])],
    ids=["str_subclass", "lying_class_and_array_function", "ndarray_subclass", "masked_array"],
)
def test_liars_are_refused(liar: object) -> None:
    with pytest.raises(AssertionError, match=r"^the answer is a \w+: expected a NumPy array"):
        plain(liar)


def test_liars_inside_containers_are_refused_and_located() -> None:
    with pytest.raises(AssertionError, match=r"predicted\['x'\]\[1\] is a LyingStr"):
        plain({"x": ("ok", LyingStr("float32"))}, "predicted")
    with pytest.raises(AssertionError, match=r"a key of d is a LyingStr"):
        plain({LyingStr("k"): 1}, "d")


def test_object_arrays_are_refused() -> None:
    with pytest.raises(AssertionError, match="array of Python objects"):
        plain(np.array([LyingStr("a")], dtype=object))


def test_plain_values_come_back_equal_and_of_their_type() -> None:
    values: list[object] = [True, 3, 2.5, 1j, "s", b"b", None, np.float32(0.5), np.int64(3), np.bool_(False)]
    for value in values:
        assert plain(value) is value  # immutable, and not a subclass: safe as it is
    nested = {"a": [1, (2.0, None)], 3: {"b": "c"}}
    assert plain(nested) == nested and type(plain(nested)["a"][1]) is tuple


def test_an_array_is_copied_into_the_base_class() -> None:
    array = np.arange(6.0).reshape(2, 3)
    result = plain(array, dtype=np.float64, shape=(2, 3))
    assert type(result) is np.ndarray and result is not array and np.array_equal(result, array)
    result[0, 0] = 99.0
    assert array[0, 0] == 0.0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"dtype": "float32"}, "x has dtype float64, expected float32"),
        ({"shape": (3, 2)}, r"x has shape \(2, 3\), expected \(3, 2\)"),
    ],
)
def test_dtype_and_shape_are_checked(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(AssertionError, match=message):
        plain(np.zeros((2, 3)), "x", **kwargs)


def test_a_python_value_is_no_array() -> None:
    with pytest.raises(AssertionError, match=r"x is a float, expected an array of dtype float32"):
        plain(1.0, "x", dtype="float32")
    assert plain(np.float32(1.0), "x", dtype="float32", shape=()) == 1.0


def test_deep_nesting_is_refused() -> None:
    deep: list[object] = []
    for _ in range(40):
        deep = [deep]
    with pytest.raises(AssertionError, match="more than 32 deep"):
        plain(deep)


def test_torch_tensors_become_arrays(torch: Any) -> None:
    weight = torch.nn.Parameter(torch.ones(2, 3))
    result = plain(weight * 2, "w", dtype="float32", shape=(2, 3))  # requires grad: detached
    assert type(result) is np.ndarray and np.array_equal(result, np.full((2, 3), 2.0))
    assert type(plain(weight)) is np.ndarray and torch.nn.Parameter in trusted_types()
    tensor = torch.zeros(2)
    tensor.numpy = lambda *args, **kwargs: "a lie"  # an instance attribute is never asked
    assert np.array_equal(plain(tensor), np.zeros(2))
    with pytest.raises(AssertionError, match="bfloat16"):
        plain(torch.ones(1, dtype=torch.bfloat16), "b")


def test_a_torch_tensor_subclass_is_refused(torch: Any) -> None:
    class Sneaky(torch.Tensor):  # type: ignore[misc]
        pass

    with pytest.raises(AssertionError, match="is a Sneaky"):
        plain(torch.ones(2).as_subclass(Sneaky))


def test_tensorflow_tensors_and_variables_become_arrays(tf: Any, keras: Any) -> None:
    assert np.array_equal(plain(tf.constant([1, 2]), dtype="int32"), [1, 2])
    assert np.array_equal(plain(tf.Variable([1.5]), dtype="float32"), [1.5])
    variable = keras.Variable(np.ones(2, np.float32))
    assert np.array_equal(plain(variable, dtype="float32", shape=(2,)), [1.0, 1.0])
