"""Answers as plain data: what an exercise's tests compare, so that no answer can lie its way through.

A test that writes ``assert np.allclose(got, expected)`` asks ``got`` how it compares: an object whose
``__eq__`` is always true, whose ``__array_function__`` answers ``True`` for ``np.allclose``, or whose
``__class__`` claims to be ``torch.Tensor`` passes such a test with nothing computed. :func:`plain` asks the
answer nothing. It identifies the answer's *exact* type (``type(value) is``, never ``isinstance``, which a
``__class__`` property fools), converts a tensor to a fresh NumPy array through the framework's own class,
and refuses everything else::

    >>> import numpy as np
    >>> from twice.answers import plain
    >>> plain(np.float32(0.5)), plain([1, (2.0, "three")]), plain({"units": 4})
    (np.float32(0.5), [1, (2.0, 'three')], {'units': 4})
    >>> plain(np.ones((2, 3)), "the bias", dtype="float64", shape=(2, 3)).sum()
    np.float64(6.0)
    >>> class Liar(str):
    ...     def __eq__(self, other):
    ...         return True
    >>> plain(Liar("float32"), "predicted['int_list']")
    Traceback (most recent call last):
    AssertionError: predicted['int_list'] is a Liar: expected a NumPy array or scalar, a tensor, or a plain Python value (bool, int, float, complex, str, bytes, None, or a list, tuple or dict of them)

A TensorFlow tensor or variable, a Keras variable and a PyTorch tensor or parameter (on any device, with or
without a gradient) become a NumPy array of their dtype; a NumPy array becomes a copy of the base class; a
NumPy or Python scalar stays what it is; lists, tuples and dicts are converted item by item. With ``dtype``
or ``shape``, the result must be an array or NumPy scalar of that dtype and shape. Every failure is an
:class:`AssertionError` that names the answer (``what``), so that a test reports it as it reports a wrong
value. Introduced in chapter 1's exercises; every exercise's tests use it.

What it does not stop: a submission that patches the frameworks' classes or NumPy itself. The grader's
guard (``twice_book.grading_guard``) watches those, and the types :func:`trusted_types` names.
"""

from __future__ import annotations

import sys
from typing import Any, cast

import numpy as np
import numpy.typing as npt

__all__ = ["plain", "trusted_types"]

#: Python's plain scalars, by exact type (a subclass may override ``__eq__``).
_PYTHON_SCALARS: frozenset[type] = frozenset({bool, int, float, complex, str, bytes, type(None)})

#: NumPy's scalar types (``np.float32``, ``np.bool_``, ...): C types whose comparisons no one can override.
_NUMPY_SCALARS: frozenset[type] = frozenset(t for t in np.sctypeDict.values() if issubclass(t, np.generic))

#: (module, attribute) of each framework type that :func:`plain` converts to a NumPy array (the first two
#: with ``torch.Tensor.numpy``, the others with their class's ``__array__``).
_TENSOR_TYPES: tuple[tuple[str, str], ...] = (
    ("torch", "Tensor"),
    ("torch.nn.parameter", "Parameter"),
    ("tensorflow.python.framework.ops", "EagerTensor"),
    ("tensorflow.python.ops.resource_variable_ops", "ResourceVariable"),
    ("tensorflow.python.ops.resource_variable_ops", "UninitializedVariable"),
    ("keras.src.backend.tensorflow.core", "Variable"),
    ("keras.src.backend", "Variable"),
)

_ACCEPTED = (
    "expected a NumPy array or scalar, a tensor, or a plain Python value (bool, int, float, complex, str, "
    "bytes, None, or a list, tuple or dict of them)"
)


def trusted_types() -> tuple[type, ...]:
    """The framework types :func:`plain` converts, among the modules imported so far. Introduced in chapter 1.

    Neither framework is imported here: a type whose module is not loaded cannot be the type of an answer.

    >>> all(isinstance(t, type) for t in trusted_types())
    True
    """
    found = []
    for module_name, name in _TENSOR_TYPES:
        module = sys.modules.get(module_name)
        cls = vars(module).get(name) if module is not None else None
        if isinstance(cls, type):
            found.append(cls)
    return tuple(found)


def _tensor_to_numpy(value: object, cls: type, what: str) -> object:
    """The framework's own conversion of an exact ``cls`` instance, looked up on the class, not the value."""
    torch = sys.modules.get("torch")
    if torch is not None and issubclass(cls, torch.Tensor):
        if torch.Tensor.dtype.__get__(value) == torch.bfloat16:
            raise AssertionError(
                f"{what} is a bfloat16 tensor, which has no NumPy dtype: compare it as .float()"
            )
        return torch.Tensor.numpy(value, force=True)  # detached, on the CPU, conjugation resolved
    return getattr(cls, "__array__")(value)  # noqa: B009 - the class's method, whatever the value holds


def plain(
    value: object,
    what: str = "the answer",
    *,
    dtype: npt.DTypeLike | None = None,
    shape: tuple[int, ...] | None = None,
) -> Any:
    """``value`` as plain data (see the module's documentation): safe to compare. Introduced in chapter 1.

    Args:
        value: what a submission returned or defined.
        what: how a failure names it, for example ``"add_channel_bias(x, b, 'NCHW')"``.
        dtype: if given, the dtype the array (or NumPy scalar) must have.
        shape: if given, the shape it must have.

    Raises:
        AssertionError: if ``value`` is of no accepted type, or of another dtype or shape.

    >>> plain([1.0, 2.0], "the list", shape=(2,))
    Traceback (most recent call last):
    AssertionError: the list is a list, expected an array of shape (2,)
    >>> plain(np.zeros(3, dtype=np.int64), "the counts", dtype="float32")
    Traceback (most recent call last):
    AssertionError: the counts has dtype int64, expected float32
    """
    result: Any = _plain(value, what, depth=0)
    if dtype is not None or shape is not None:
        if type(result) is not np.ndarray and type(result) not in _NUMPY_SCALARS:
            wanted = f"of shape {shape}" if shape is not None else f"of dtype {np.dtype(dtype)}"
            raise AssertionError(f"{what} is a {type(value).__name__}, expected an array {wanted}")
        if dtype is not None and result.dtype != np.dtype(dtype):
            raise AssertionError(f"{what} has dtype {result.dtype}, expected {np.dtype(dtype)}")
        if shape is not None and result.shape != tuple(shape):
            raise AssertionError(f"{what} has shape {result.shape}, expected {tuple(shape)}")
    return result


def _plain(value: object, what: str, depth: int) -> Any:
    """:func:`plain` without the dtype and shape checks, ``depth`` levels inside containers."""
    if depth > 32:
        raise AssertionError(f"{what} nests containers more than 32 deep")
    cls = type(value)
    if cls in _PYTHON_SCALARS or cls in _NUMPY_SCALARS:
        return value
    if cls is list or cls is tuple:
        iterator = list.__iter__ if cls is list else tuple.__iter__
        items = [_plain(item, f"{what}[{i}]", depth + 1) for i, item in enumerate(iterator(cast(Any, value)))]
        return items if cls is list else tuple(items)
    if cls is dict:
        pairs = list(dict.items(cast(dict[object, object], value)))
        return {
            _plain(k, f"a key of {what}", depth + 1): _plain(v, f"{what}[{k!r}]", depth + 1) for k, v in pairs
        }
    if cls is np.ndarray:
        array = np.ndarray.copy(cast(np.ndarray, value))
    elif cls in trusted_types():
        converted = _tensor_to_numpy(value, cls, what)
        if type(converted) is not np.ndarray and type(converted) not in _NUMPY_SCALARS:
            raise AssertionError(f"{what}: its {cls.__name__} did not convert to a NumPy array")
        array = np.array(converted, copy=True)
    else:
        raise AssertionError(f"{what} is a {cls.__name__}: {_ACCEPTED}")
    if array.dtype.hasobject:
        raise AssertionError(f"{what} is an array of Python objects, expected numbers")
    return array
