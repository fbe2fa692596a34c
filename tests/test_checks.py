"""Tests for twice._frameworks: one place that maps every accepted spelling to a canonical name."""

from __future__ import annotations

import pytest

import twice
from twice._frameworks import _ALIASES, normalise_framework


@pytest.mark.parametrize(
    ("alias", "expected"),
    [
        ("tensorflow", "tensorflow"),
        ("tf", "tensorflow"),
        ("keras", "tensorflow"),
        ("pytorch", "pytorch"),
        ("torch", "pytorch"),
        ("pt", "pytorch"),
    ],
)
def test_every_alias_maps_to_its_canonical_name(alias: str, expected: str) -> None:
    assert normalise_framework(alias) == expected


@pytest.mark.parametrize(
    ("alias", "expected"),
    [
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
def test_aliases_are_case_insensitive_and_ignore_surrounding_whitespace(alias: str, expected: str) -> None:
    assert normalise_framework(alias) == expected


def test_alias_table_has_exactly_the_documented_spellings() -> None:
    assert set(_ALIASES) == {"tensorflow", "tf", "keras", "pytorch", "torch", "pt"}
    assert set(_ALIASES.values()) == {"tensorflow", "pytorch"}


def test_canonical_names_are_fixed_points() -> None:
    for name in ("tensorflow", "pytorch"):
        assert normalise_framework(normalise_framework(name)) == name


def test_exported_from_the_package() -> None:
    assert twice.normalise_framework is normalise_framework


@pytest.mark.parametrize(
    ("bad", "type_name"),
    [(None, "NoneType"), (1, "int"), (b"tf", "bytes"), (["tf"], "list"), (True, "bool")],
)
def test_non_strings_raise_type_error_naming_the_type(bad: object, type_name: str) -> None:
    with pytest.raises(TypeError, match=rf"framework must be a string .* got {type_name}$"):
        normalise_framework(bad)


@pytest.mark.parametrize("bad", ["jax", "", "   ", "tensor flow", "torchvision", "t f", "mxnet"])
def test_unknown_names_raise_value_error_listing_the_accepted_spellings(bad: str) -> None:
    with pytest.raises(
        ValueError, match=r"unknown framework .*expected 'tensorflow' \(or 'tf', 'keras'\)"
    ) as info:
        normalise_framework(bad)
    # The message repeats what the caller passed, verbatim (repr), so a typo is visible.
    assert repr(bad) in str(info.value)
