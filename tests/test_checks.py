"""Tests for twice.checks: one vocabulary for argument checks, so that every helper fails the same way.

The rule: a value of the wrong *type* raises TypeError, a value of the right type outside what is allowed
raises ValueError, and every message names the argument and quotes what it received. NumPy scalars are
numbers; bools are not (a bool given as a size or a stride is a bug, not a 1).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from fractions import Fraction

import numpy as np
import pytest

import twice
from twice import checks
from twice.checks import (
    _FRAMEWORK_ALIASES,
    array,
    framework,
    integer,
    is_integer,
    normalise_framework,
    number,
    one_of,
    positive,
    seed,
)


def _exactly(message: str) -> str:
    """A ``match`` pattern for exactly this message."""
    return f"^{re.escape(message)}$"


# --- the rule, across every checker --------------------------------------------------------------------------

# One call of each checker: a value of the wrong type, a value of the right type that is not allowed, how the
# message must quote that value, and the argument's name.
CHECKERS = [
    pytest.param(lambda v: integer(v, "units", minimum=1), "3", 0, "got 0", "units", id="integer"),
    pytest.param(lambda v: number(v, "dropout", high=1.0), "0.5", 1.5, "got 1.5", "dropout", id="number"),
    pytest.param(lambda v: positive(v, "timeout"), None, -1.0, "got -1.0", "timeout", id="positive"),
    pytest.param(seed, 0.5, -1, "got -1", "seed", id="seed"),
    pytest.param(lambda v: array(v, "kernel", ndim=2), "abc", [1.0, 2.0], "got (2,)", "kernel", id="array"),
    pytest.param(framework, 1, "jax", "'jax'", "framework", id="framework"),
]


@pytest.mark.parametrize(("check", "wrong_type", "wrong_value", "quoted", "name"), CHECKERS)
def test_a_wrong_type_is_a_type_error_and_a_wrong_value_a_value_error(
    check: Callable[[object], object], wrong_type: object, wrong_value: object, quoted: str, name: str
) -> None:
    with pytest.raises(TypeError) as kind:
        check(wrong_type)
    with pytest.raises(ValueError) as value:
        check(wrong_value)
    # Neither is also the other, so `except TypeError` and `except ValueError` each catch only their own.
    assert not isinstance(kind.value, ValueError) and not isinstance(value.value, TypeError)
    # Both name the argument; the type error says what type came, the value error quotes the value.
    assert str(kind.value).startswith(f"{name} must be ") and type(wrong_type).__name__ in str(kind.value)
    assert str(value.value).startswith((f"{name} must ", f"unknown {name} ")) and quoted in str(value.value)


# --- is_integer ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value", [0, 7, -3, 2**70, np.int8(-1), np.int64(8), np.uint8(255), np.uint64(2**64 - 1)]
)
def test_is_integer_accepts_python_and_numpy_integers(value: object) -> None:
    assert is_integer(value) is True


@pytest.mark.parametrize(
    "value",
    [True, False, np.bool_(True), 1.0, np.float64(2.0), Fraction(2), 1 + 0j, "1", None, [1], np.array(3)],
    ids=repr,
)
def test_is_integer_rejects_bools_floats_strings_and_arrays(value: object) -> None:
    # A 0-d array is not a scalar: a helper that wants a size wants a size, not an array holding one.
    assert is_integer(value) is False


# --- integer -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [3, np.int64(3), np.uint8(3), np.int16(3)])
def test_integer_returns_a_python_int(value: object) -> None:
    result = integer(value, "units")
    assert result == 3 and type(result) is int


def test_integer_bounds_are_inclusive() -> None:
    assert integer(1, "units", minimum=1) == 1
    assert integer(10, "units", maximum=10) == 10
    assert integer(5, "units", minimum=5, maximum=5) == 5
    assert integer(-(2**80), "anything") == -(2**80)  # no bounds: any integer


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("3", "str '3'"),
        (3.0, "float 3.0"),
        (True, "bool True"),
        (None, "NoneType None"),
        ([3], "list [3]"),
        (np.float32(3), f"float32 {np.float32(3)!r}"),
        (np.bool_(True), f"{type(np.bool_(True)).__name__} {np.bool_(True)!r}"),
    ],
    ids=repr,
)
def test_integer_type_error_names_the_argument_its_type_and_value(value: object, shown: str) -> None:
    with pytest.raises(TypeError, match=_exactly(f"batch_size must be an integer, got {shown}")):
        integer(value, "batch_size", minimum=1)


def test_a_long_value_is_cut_short_in_the_message() -> None:
    with pytest.raises(TypeError) as info:
        integer("x" * 500, "size")
    quoted = str(info.value).removeprefix("size must be an integer, got str ")
    assert len(quoted) == 60 and quoted.startswith("'xxx") and quoted.endswith("...")


def test_the_type_is_checked_before_the_bounds() -> None:
    with pytest.raises(TypeError, match=r"^units must be an integer, got bool False$"):
        integer(False, "units", minimum=1)


@pytest.mark.parametrize(
    ("value", "bounds", "message"),
    [
        (-1, {"minimum": 0}, "count must be a non-negative integer, got -1"),
        (0, {"minimum": 1}, "count must be a positive integer, got 0"),
        (-5, {"minimum": 1}, "count must be a positive integer, got -5"),
        (2, {"minimum": 3}, "count must be an integer >= 3, got 2"),
        (-3, {"minimum": -2}, "count must be an integer >= -2, got -3"),
        (11, {"maximum": 10}, "count must be an integer <= 10, got 11"),
        (0, {"minimum": 1, "maximum": 10}, "count must be a positive integer, got 0"),
        (11, {"minimum": 1, "maximum": 10}, "count must be an integer <= 10, got 11"),
        # A NumPy value is shown as the number it is, not as np.int64(0).
        (np.int64(0), {"minimum": 1}, "count must be a positive integer, got 0"),
    ],
)
def test_integer_value_error_says_which_bound(value: object, bounds: dict[str, int], message: str) -> None:
    with pytest.raises(ValueError, match=_exactly(message)):
        integer(value, "count", **bounds)


# --- number --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0.5, 0.5),
        (3, 3.0),
        (np.float32(0.25), 0.25),
        (np.float64(0.5), 0.5),
        (np.int64(2), 2.0),
        (Fraction(1, 4), 0.25),
    ],
    ids=repr,
)
def test_number_returns_a_python_float(value: object, expected: float) -> None:
    result = number(value, "rate")
    assert result == expected and type(result) is float


@pytest.mark.parametrize("value", [math.inf, -math.inf, 1e308, -0.0])
def test_number_without_bounds_accepts_every_real_but_nan(value: float) -> None:
    assert number(value, "x") == value


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("0.4", "str '0.4'"),
        (True, "bool True"),
        (None, "NoneType None"),
        (1j, "complex 1j"),
        ([0.5], "list [0.5]"),
        (np.array(0.5), "ndarray array(0.5)"),
        (np.bool_(False), f"{type(np.bool_(False)).__name__} {np.bool_(False)!r}"),
    ],
    ids=repr,
)
def test_number_type_error_names_the_argument_its_type_and_value(value: object, shown: str) -> None:
    with pytest.raises(TypeError, match=_exactly(f"dropout must be a number, got {shown}")):
        number(value, "dropout", low=0.0, high=1.0)


@pytest.mark.parametrize("nan", [math.nan, np.float32("nan"), np.float64("nan")], ids=repr)
def test_number_rejects_nan_even_without_bounds(nan: float) -> None:
    with pytest.raises(ValueError, match=_exactly(f"x must lie in (-inf, inf), got {nan!r}")):
        number(nan, "x")
    with pytest.raises(ValueError, match=_exactly(f"x must lie in [0, 1], got {nan!r}")):
        number(nan, "x", low=0.0, high=1.0)


@pytest.mark.parametrize(
    ("value", "bounds", "interval"),
    [
        (1.5, {"low": 0.0, "high": 1.0}, "[0, 1]"),
        (-0.5, {"low": 0.0, "high": 1.0}, "[0, 1]"),
        (1.0, {"low": 0.0, "high": 1.0, "high_inclusive": False}, "[0, 1)"),
        (0.0, {"low": 0.0, "high": 1.0, "low_inclusive": False}, "(0, 1]"),
        (0, {"low": 0.0, "high": 1.0, "low_inclusive": False, "high_inclusive": False}, "(0, 1)"),
        (1, {"low": 0.0, "high": 1.0, "low_inclusive": False, "high_inclusive": False}, "(0, 1)"),
        (-1.0, {"low": 0.0}, "[0, inf)"),
        (0.0, {"low": 0.0, "low_inclusive": False}, "(0, inf)"),
        (2.0, {"high": 1.0}, "(-inf, 1]"),
        (1.0, {"high": 1.0, "high_inclusive": False}, "(-inf, 1)"),
        (0.1, {"low": 0.25, "high": 0.75}, "[0.25, 0.75]"),
        (math.inf, {"high": 1e6}, "(-inf, 1e+06]"),
    ],
)
def test_number_value_error_gives_the_interval_with_its_open_and_closed_ends(
    value: float, bounds: dict[str, float | bool], interval: str
) -> None:
    with pytest.raises(ValueError, match=_exactly(f"rate must lie in {interval}, got {value!r}")):
        number(value, "rate", **bounds)  # type: ignore[arg-type]


def test_number_bounds_are_inclusive_unless_told() -> None:
    assert number(0.0, "rate", low=0.0, high=1.0) == 0.0
    assert number(1.0, "rate", low=0.0, high=1.0) == 1.0
    # Just inside an open end is inside.
    tiny = math.nextafter(0.0, 1.0)
    below_one = math.nextafter(1.0, 0.0)
    assert number(tiny, "rate", low=0.0, high=1.0, low_inclusive=False) == tiny
    assert number(below_one, "rate", low=0.0, high=1.0, high_inclusive=False) == below_one


# --- positive ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0.1, 0.1),
        (3, 3.0),
        (1e-300, 1e-300),
        (np.float32(0.5), 0.5),
        (np.int64(30), 30.0),
        (math.inf, math.inf),
    ],
    ids=repr,
)
def test_positive_returns_a_python_float(value: object, expected: float) -> None:
    result = positive(value, "learning_rate")
    assert result == expected and type(result) is float


@pytest.mark.parametrize(
    "value", [0, 0.0, -0.0, -1, -1e-300, -math.inf, math.nan, np.float64(0), np.float32("nan")], ids=repr
)
def test_positive_rejects_zero_negatives_and_nan_in_one_wording(value: object) -> None:
    with pytest.raises(ValueError, match=_exactly(f"learning_rate must be positive, got {value!r}")):
        positive(value, "learning_rate")


@pytest.mark.parametrize(
    ("value", "shown"), [("0.1", "str '0.1'"), (True, "bool True"), (None, "NoneType None")], ids=repr
)
def test_positive_type_error_names_the_argument_its_type_and_value(value: object, shown: str) -> None:
    with pytest.raises(TypeError, match=_exactly(f"learning_rate must be a number, got {shown}")):
        positive(value, "learning_rate")


# --- seed ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [0, 1, 2**32 - 1, np.int64(7), np.uint32(2**32 - 1), np.uint8(0)], ids=repr)
def test_seed_accepts_the_whole_range_as_a_python_int(value: object) -> None:
    result = seed(value)
    assert result == int(value) and type(result) is int  # type: ignore[call-overload]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (-1, "seed must be a non-negative integer, got -1"),
        (np.int64(-3), "seed must be a non-negative integer, got -3"),
        (2**32, "seed must be an integer <= 4294967295, got 4294967296"),
    ],
)
def test_seed_out_of_range_is_a_value_error(value: object, message: str) -> None:
    with pytest.raises(ValueError, match=_exactly(message)):
        seed(value)


@pytest.mark.parametrize(
    ("value", "shown"),
    [(None, "NoneType None"), (1.0, "float 1.0"), ("0", "str '0'"), (True, "bool True")],
    ids=repr,
)
def test_seed_that_is_not_an_integer_is_a_type_error(value: object, shown: str) -> None:
    # None in particular: it would mean "a different seed on every run".
    with pytest.raises(TypeError, match=_exactly(f"seed must be an integer, got {shown}")):
        seed(value)


# --- one_of --------------------------------------------------------------------------------------------------


def test_one_of_returns_the_option_itself() -> None:
    options = ("NCHW", "NHWC")
    given = "nhwc".upper()  # equal to an option, but another object
    assert given is not options[1]
    assert one_of(given, "layout", options) is options[1]
    assert one_of("NCHW", "layout", ["NCHW"]) == "NCHW"  # any sequence of options


@pytest.mark.parametrize(
    ("value", "options", "message"),
    [
        ("nchw", ("NCHW", "NHWC"), "unknown layout 'nchw': expected one of 'NCHW', 'NHWC'"),
        (None, ("NCHW", "NHWC"), "unknown layout None: expected one of 'NCHW', 'NHWC'"),
        ("", ("auto", "cpu", "gpu"), "unknown layout '': expected one of 'auto', 'cpu', 'gpu'"),
        (["NCHW"], ("NCHW",), "unknown layout ['NCHW']: expected one of 'NCHW'"),
        # Equal is not enough: True == 1 and 1.0 == 1, but neither is the option 1.
        (True, (1, 2), "unknown layout True: expected one of 1, 2"),
        (1.0, (1, 2), "unknown layout 1.0: expected one of 1, 2"),
    ],
    ids=repr,
)
def test_one_of_anything_else_is_a_value_error_listing_the_options(
    value: object, options: tuple[object, ...], message: str
) -> None:
    # A value error whatever the type: an option is chosen from a list, not computed.
    with pytest.raises(ValueError, match=_exactly(message)):
        one_of(value, "layout", options)


# --- array ---------------------------------------------------------------------------------------------------


def test_array_returns_an_ndarray_as_it_is() -> None:
    x = np.arange(6.0).reshape(2, 3)
    assert array(x, "x") is x
    assert array(x, "x", ndim=2) is x


@pytest.mark.parametrize(
    "value", [[[1, 2], [3, 4]], [1.5, 2.5], [True, False], 3, np.float32(2.0), [[1 + 2j]]], ids=repr
)
def test_array_converts_numbers_and_bools(value: object) -> None:
    converted = array(value, "x")
    assert isinstance(converted, np.ndarray)
    np.testing.assert_array_equal(converted, np.asarray(value))


@pytest.mark.parametrize(
    "value",
    ["abc", ["a", "b"], [1, "a"], None, {"a": 1}, object(), np.array(["a"]), [[1, 2], [3]]],
    ids=["str", "strings", "mixed", "None", "dict", "object", "string array", "ragged"],
)
def test_array_that_is_not_numeric_is_a_type_error(value: object) -> None:
    with pytest.raises(TypeError, match=r"^kernel must be a numeric array, got "):
        array(value, "kernel", ndim=2)


def test_array_type_error_quotes_the_value() -> None:
    with pytest.raises(TypeError, match=_exactly("kernel must be a numeric array, got list [[1, 2], [3]]")):
        array([[1, 2], [3]], "kernel")


@pytest.mark.parametrize(
    ("shape", "glossary", "message"),
    [
        ((2,), "(in, out)", "kernel must have shape (in, out), got (2,)"),
        ((2, 3, 4), "(in, out)", "kernel must have shape (in, out), got (2, 3, 4)"),
        ((), "(in, out)", "kernel must have shape (in, out), got ()"),
        ((2, 3, 4), "", "kernel must have shape of 2 dimensions, got (2, 3, 4)"),
    ],
)
def test_array_with_another_number_of_dimensions_is_a_value_error(
    shape: tuple[int, ...], glossary: str, message: str
) -> None:
    with pytest.raises(ValueError, match=_exactly(message)):
        array(np.zeros(shape), "kernel", ndim=2, shape=glossary)


def test_array_without_ndim_accepts_any_number_of_dimensions() -> None:
    for shape in [(), (3,), (1, 2, 3, 4, 5)]:
        assert array(np.zeros(shape), "x").shape == shape


# --- framework -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("alias", "expected"),
    [
        *((name, canonical) for name, canonical in sorted(_FRAMEWORK_ALIASES.items())),
        ("TensorFlow", "tensorflow"),
        ("TF", "tensorflow"),
        ("Keras", "tensorflow"),
        ("PyTorch", "pytorch"),
        ("TORCH", "pytorch"),
        ("Pt", "pytorch"),
        ("  tf  ", "tensorflow"),
        ("\tpytorch\n", "pytorch"),
        (" KERAS ", "tensorflow"),
    ],
)
def test_every_spelling_in_any_case_and_padding_maps_to_its_canonical_name(alias: str, expected: str) -> None:
    assert framework(alias) == expected


def test_alias_table_has_exactly_the_documented_spellings() -> None:
    assert set(_FRAMEWORK_ALIASES) == {"tensorflow", "tf", "keras", "pytorch", "torch", "pt"}
    assert set(_FRAMEWORK_ALIASES.values()) == {"tensorflow", "pytorch"}


def test_canonical_names_are_fixed_points() -> None:
    for name in ("tensorflow", "pytorch"):
        assert framework(framework(name)) == name


def test_normalise_framework_is_framework_under_its_old_name() -> None:
    assert normalise_framework is framework
    assert checks.normalise_framework is checks.framework
    assert twice.normalise_framework is framework


@pytest.mark.parametrize(
    ("bad", "type_name"),
    [(None, "NoneType"), (1, "int"), (b"tf", "bytes"), (["tf"], "list"), (True, "bool")],
)
def test_non_strings_raise_type_error_naming_the_type(bad: object, type_name: str) -> None:
    with pytest.raises(TypeError, match=rf"^framework must be a string .* got {type_name}$"):
        framework(bad)


@pytest.mark.parametrize("bad", ["jax", "", "   ", "tensor flow", "torchvision", "t f", "mxnet", "reference"])
def test_unknown_names_raise_value_error_listing_the_accepted_spellings(bad: str) -> None:
    message = (
        f"unknown framework {bad!r}: expected 'tensorflow' (or 'tf', 'keras') or 'pytorch' (or 'torch', 'pt')"
    )
    # The message repeats what the caller passed, verbatim (repr), so a typo is visible.
    with pytest.raises(ValueError, match=_exactly(message)):
        framework(bad)
