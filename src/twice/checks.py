"""One vocabulary for checking arguments, so that every helper fails the same way.

The rule, as in Python's own functions and in Keras: a value of the wrong *type* raises :class:`TypeError`, a
value of the right type but outside what is allowed raises :class:`ValueError`. Every message names the
argument and quotes what it received, so a learner sees at once which call to fix::

    >>> from twice import checks
    >>> checks.integer(3, "batch_size", minimum=1)
    3
    >>> checks.integer("3", "batch_size", minimum=1)
    Traceback (most recent call last):
    TypeError: batch_size must be an integer, got str '3'
    >>> checks.integer(0, "batch_size", minimum=1)
    Traceback (most recent call last):
    ValueError: batch_size must be a positive integer, got 0

NumPy scalars pass (``np.int64(8)`` is an integer, ``np.float32(0.5)`` a number); ``True`` does not, because a
bool given as a size or a stride is a bug, not a 1. Introduced in chapter 1, used by every helper since.
"""

from __future__ import annotations

import math
import numbers
import operator
from collections.abc import Sequence
from typing import Literal, SupportsIndex, TypeVar, cast

import numpy as np

Framework = Literal["tensorflow", "pytorch"]
"""The canonical framework names; :func:`framework` maps every accepted spelling to one of them."""

_FRAMEWORK_ALIASES: dict[str, Framework] = {
    "tensorflow": "tensorflow",
    "tf": "tensorflow",
    "keras": "tensorflow",
    "pytorch": "pytorch",
    "torch": "pytorch",
    "pt": "pytorch",
}

T = TypeVar("T")


def _received(value: object) -> str:
    """``int 3``, ``str '3'``: the type and the value, for a message about a wrong type."""
    text = repr(value)
    if len(text) > 60:
        text = text[:57] + "..."
    return f"{type(value).__name__} {text}"


def is_integer(value: object) -> bool:
    """Whether ``value`` is a Python or NumPy integer, and not a bool. Introduced in chapter 1.

    >>> is_integer(np.int64(8)), is_integer(8.0), is_integer(True)
    (True, False, False)
    """
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def integer(value: object, name: str, *, minimum: int | None = None, maximum: int | None = None) -> int:
    """``value`` as an ``int``, checked to be an integer in ``[minimum, maximum]`` (either bound optional).

    Introduced in chapter 1.

    >>> integer(np.int64(8), "units", minimum=1)
    8

    Raises:
        TypeError: if ``value`` is not an integer (a bool is not).
        ValueError: if it lies outside the bounds.
    """
    if not is_integer(value):
        raise TypeError(f"{name} must be an integer, got {_received(value)}")
    number = operator.index(cast(SupportsIndex, value))
    if minimum is not None and number < minimum:
        kind = {0: "a non-negative integer", 1: "a positive integer"}.get(minimum, f"an integer >= {minimum}")
        raise ValueError(f"{name} must be {kind}, got {number}")
    if maximum is not None and number > maximum:
        raise ValueError(f"{name} must be an integer <= {maximum}, got {number}")
    return number


def _real(value: object, name: str) -> float:
    """``value`` as a ``float``, checked to be a real number (Python's or NumPy's, not a bool)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number, got {_received(value)}")
    return float(value)


def number(
    value: object,
    name: str,
    *,
    low: float | None = None,
    high: float | None = None,
    low_inclusive: bool = True,
    high_inclusive: bool = True,
) -> float:
    """``value`` as a ``float``, checked to be a real number (not NaN) within the given bounds.

    Introduced in chapter 1.

    >>> number(0.4, "dropout", low=0.0, high=1.0, high_inclusive=False)
    0.4
    >>> number("0.4", "dropout", low=0.0, high=1.0, high_inclusive=False)
    Traceback (most recent call last):
    TypeError: dropout must be a number, got str '0.4'

    Raises:
        TypeError: if ``value`` is not a real number (a bool is not).
        ValueError: if it is NaN or lies outside the bounds; the message gives the interval.
    """
    real = _real(value, name)
    below = low is not None and (real < low if low_inclusive else real <= low)
    above = high is not None and (real > high if high_inclusive else real >= high)
    if math.isnan(real) or below or above:
        left = "-inf" if low is None else f"{low:g}"
        right = "inf" if high is None else f"{high:g}"
        interval = f"{'[' if low_inclusive and low is not None else '('}{left}, {right}"
        interval += "]" if high_inclusive and high is not None else ")"
        raise ValueError(f"{name} must lie in {interval}, got {value!r}")
    return real


def positive(value: object, name: str) -> float:
    """``value`` as a ``float``, checked to be a number greater than zero (a learning rate, a timeout).

    Introduced in chapter 1.

    >>> positive(0.1, "learning_rate")
    0.1
    >>> positive(0, "learning_rate")
    Traceback (most recent call last):
    ValueError: learning_rate must be positive, got 0
    """
    real = _real(value, name)
    if not real > 0:  # NaN too: "must lie in (-inf, inf)" would not say that 0 is refused as well
        raise ValueError(f"{name} must be positive, got {value!r}")
    return real


def seed(value: object) -> int:
    """A random seed: an integer in ``[0, 2**32)``, the range NumPy's and both frameworks' seeders accept.

    Introduced in chapter 1.

    >>> seed(0)
    0
    >>> seed(None)
    Traceback (most recent call last):
    TypeError: seed must be an integer, got NoneType None
    """
    return integer(value, "seed", minimum=0, maximum=2**32 - 1)


def one_of(value: object, name: str, options: Sequence[T]) -> T:
    """``value`` itself, checked to be one of ``options`` (layouts, padding modes, preferences).

    Introduced in chapter 1.

    >>> one_of("NCHW", "layout", ("NCHW", "NHWC"))
    'NCHW'
    >>> one_of("nchw", "layout", ("NCHW", "NHWC"))
    Traceback (most recent call last):
    ValueError: unknown layout 'nchw': expected one of 'NCHW', 'NHWC'

    Raises:
        ValueError: for any other value (of any type: an option is chosen, not computed).
    """
    for option in options:
        if type(value) is type(option) and value == option:
            return option
    expected = ", ".join(repr(option) for option in options)
    raise ValueError(f"unknown {name} {value!r}: expected one of {expected}")


def array(value: object, name: str, *, ndim: int | None = None, shape: str = "") -> np.ndarray:
    """``value`` as a NumPy array (no copy if it already is one), checked to be numeric and ``ndim``-D.

    ``shape`` names the axes for the message, in the book's glossary (see :mod:`twice.layouts`).
    Introduced in chapter 2.

    >>> array([[1, 2]], "kernel", ndim=2, shape="(in, out)").shape
    (1, 2)
    >>> array([1, 2], "kernel", ndim=2, shape="(in, out)")
    Traceback (most recent call last):
    ValueError: kernel must have shape (in, out), got (2,)

    Raises:
        TypeError: if ``value`` does not convert to a numeric array (strings, ragged lists, objects).
        ValueError: if it has another number of dimensions.
    """
    try:
        converted = np.asarray(value)
    except ValueError:  # a ragged list: NumPy's message names neither the argument nor the rule
        raise TypeError(f"{name} must be a numeric array, got {_received(value)}") from None
    if not (np.issubdtype(converted.dtype, np.number) or converted.dtype == np.bool_):
        raise TypeError(f"{name} must be a numeric array, got {_received(value)}")
    if ndim is not None and converted.ndim != ndim:
        raise ValueError(f"{name} must have shape {shape or f'of {ndim} dimensions'}, got {converted.shape}")
    return converted


def framework(name: object) -> Framework:
    """The canonical name (``"tensorflow"`` or ``"pytorch"``) for a framework alias, case-insensitive.

    Accepted spellings: ``tensorflow``, ``tf``, ``keras``, ``pytorch``, ``torch``, ``pt``.
    Introduced in chapter 1.

    >>> framework("Keras"), framework("torch")
    ('tensorflow', 'pytorch')

    Raises:
        TypeError: if ``name`` is not a string.
        ValueError: if ``name`` is not one of the accepted spellings.
    """
    if not isinstance(name, str):
        raise TypeError(
            f"framework must be a string such as 'tensorflow' or 'pytorch', got {type(name).__name__}"
        )
    try:
        return _FRAMEWORK_ALIASES[name.strip().lower()]
    except KeyError:
        raise ValueError(
            f"unknown framework {name!r}: expected 'tensorflow' (or 'tf', 'keras') "
            f"or 'pytorch' (or 'torch', 'pt')"
        ) from None


normalise_framework = framework
"""The same as :func:`framework`, under the name the notebooks know (``twice.normalise_framework``)."""
