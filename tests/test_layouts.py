"""Tests for twice.layouts: layouts as named patterns, and rearrange, which moves arrays between them.

A pattern names an array's axes (``"N C H W"``), with parentheses around axes flattened into one
(``"N (H W)"``). rearrange derives the permutation and the reshapes from two patterns, so these tests pin
it against the hand-written NumPy it replaces (transposes, reshapes, ``[:, None]``), check that going back
with the patterns swapped gives the original exactly, and that every malformed pattern or mismatched shape
is refused with a message that says what is wrong. WeightRule's use for Dense and Conv2D weights is tested
in test_convert.py; here only its own checks.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pytest

import twice
from twice.layouts import GREY_LAYOUTS, IMAGE_LAYOUTS, WeightRule, describe, parse, rearrange, to_layout


def _numbered(*shape: int) -> np.ndarray:
    """An array whose every element is distinct, so that a wrong permutation cannot pass unnoticed."""
    return np.arange(int(np.prod(shape))).reshape(shape)


def _exactly(message: str) -> str:
    return f"^{re.escape(message)}$"


# --- the tables ----------------------------------------------------------------------------------------------


def test_image_layouts_are_pytorchs_and_keras_batches() -> None:
    assert IMAGE_LAYOUTS == {"NCHW": "N C H W", "NHWC": "N H W C"}


def test_grey_layouts_are_the_four_layouts_of_to_layout() -> None:
    assert GREY_LAYOUTS == {"NHW": "N H W", "flat": "N (H W)", "NHWC": "N H W C", "NCHW": "N C H W"}
    # A layout named after its axes is its pattern without the spaces.
    for name, pattern in {**IMAGE_LAYOUTS, **GREY_LAYOUTS}.items():
        if name != "flat":
            assert pattern.replace(" ", "") == name


def test_every_pattern_in_the_tables_parses() -> None:
    for pattern in {**IMAGE_LAYOUTS, **GREY_LAYOUTS}.values():
        assert all(len(axis) >= 1 for axis in parse(pattern))


# --- parse and describe --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "axes"),
    [
        ("N C H W", [("N",), ("C",), ("H",), ("W",)]),
        ("(H W C) out", [("H", "W", "C"), ("out",)]),
        ("out (C H W)", [("out",), ("C", "H", "W")]),
        ("N(H W)", [("N",), ("H", "W")]),  # no space needed around parentheses
        ("  kh   kw\tin out ", [("kh",), ("kw",), ("in",), ("out",)]),  # any whitespace separates
        ("( H W )", [("H", "W")]),
        ("(N)", [("N",)]),  # a group of one is that axis
        ("x_1 _batch out2", [("x_1",), ("_batch",), ("out2",)]),
        ("", []),  # a 0-d array
    ],
)
def test_parse_splits_a_pattern_into_array_axes(pattern: str, axes: list[tuple[str, ...]]) -> None:
    assert parse(pattern) == axes


@pytest.mark.parametrize(
    ("pattern", "problem"),
    [
        ("((H W) C)", "nests parentheses"),
        ("N (C (H W))", "nests parentheses"),
        ("N H) W", "has an unmatched ')' or an empty group"),
        ("N () W", "has an unmatched ')' or an empty group"),
        ("N (H W", "has an unclosed '('"),
        ("N (", "has an unclosed '('"),
        ("N,C", "has ',', which is not an axis name"),
        ("N C*H", "has '*', which is not an axis name"),
        ("N 1", "has '1', which is not an axis name"),  # a name starts with a letter or _
        ("N-C", "has '-', which is not an axis name"),
        ("N [C]", "has '[', which is not an axis name"),
        ("N N", "names N more than once"),
        ("(H H) W", "names H more than once"),
        ("N (H W) H", "names H more than once"),
        ("H W C W H", "names H, W more than once"),
    ],
)
def test_parse_refuses_a_malformed_pattern_quoting_it(pattern: str, problem: str) -> None:
    with pytest.raises(ValueError, match=_exactly(f"layout pattern {pattern!r} {problem}")):
        parse(pattern)


@pytest.mark.parametrize(("pattern", "type_name"), [(None, "NoneType"), (["N", "C"], "list"), (4, "int")])
def test_parse_refuses_a_pattern_that_is_not_a_string(pattern: object, type_name: str) -> None:
    message = f"a layout pattern must be a string such as 'N C H W', got {type_name}"
    with pytest.raises(TypeError, match=_exactly(message)):
        parse(pattern)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("pattern", "shape"),
    [
        ("N C H W", "(N, C, H, W)"),
        ("(H W C) out", "(H * W * C, out)"),
        ("N (H W)", "(N, H * W)"),
        ("N", "(N,)"),  # a 1-tuple, as Python writes it
        ("(H W)", "(H * W,)"),
        ("", "()"),
    ],
)
def test_describe_writes_a_pattern_as_a_shape(pattern: str, shape: str) -> None:
    assert describe(pattern) == shape


def test_describe_refuses_what_parse_refuses() -> None:
    with pytest.raises(ValueError, match=r"nests parentheses"):
        describe("((N))")


# --- rearrange: the same as the hand-written NumPy -----------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "target", "by_hand"),
    [
        ("N C H W", "N H W C", lambda x: x.transpose(0, 2, 3, 1)),
        ("N H W C", "N C H W", lambda x: x.transpose(0, 3, 1, 2)),
        ("kh kw in out", "out in kh kw", lambda x: x.transpose(3, 2, 0, 1)),  # Keras Conv2D -> nn.Conv2d
        ("out in kh kw", "kh kw in out", lambda x: x.transpose(2, 3, 1, 0)),
        ("a b c d", "d c b a", lambda x: x.transpose(3, 2, 1, 0)),
        ("N C H W", "N C H W", lambda x: x),
        ("N C H W", "N (C H W)", lambda x: x.reshape(len(x), -1)),  # nn.Flatten
        ("N H W C", "N (H W C)", lambda x: x.reshape(len(x), -1)),  # keras.layers.Flatten
        ("N H W C", "N (C H W)", lambda x: x.transpose(0, 3, 1, 2).reshape(len(x), -1)),
        ("N C H W", "(N C) H W", lambda x: x.reshape(-1, *x.shape[2:])),
        ("N C H W", "N W (H C)", lambda x: x.transpose(0, 3, 2, 1).reshape(*x.shape[::3], -1)),
    ],
)
def test_rearrange_equals_the_numpy_it_replaces(source: str, target: str, by_hand: Any) -> None:
    x = _numbered(2, 3, 4, 5)
    moved = rearrange(x, source, target)
    expected = by_hand(x)
    assert moved.shape == expected.shape
    np.testing.assert_array_equal(moved, expected)


def test_in_out_to_out_in_is_a_transpose() -> None:
    kernel = _numbered(3, 2)  # a Keras Dense kernel: 3 inputs, 2 outputs
    np.testing.assert_array_equal(rearrange(kernel, "in out", "out in"), kernel.T)


@pytest.mark.parametrize(
    ("source", "target", "sizes", "by_hand"),
    [
        ("N (H W)", "N H W", {"H": 3}, lambda x: x.reshape(2, 3, 4)),
        ("N (H W)", "N H W", {"W": 4}, lambda x: x.reshape(2, 3, 4)),
        ("N (H W)", "N H W", {"H": 3, "W": 4}, lambda x: x.reshape(2, 3, 4)),
        ("N (H W)", "N W H", {"H": 3}, lambda x: x.reshape(2, 3, 4).transpose(0, 2, 1)),
        ("(N H) W", "N H W", {"N": 2}, lambda x: x.reshape(2, -1, x.shape[1])),
    ],
)
def test_rearrange_unflattens_with_the_sizes_the_shape_cannot_tell(
    source: str, target: str, sizes: dict[str, int], by_hand: Any
) -> None:
    x = _numbered(2, 12) if source.startswith("N") else _numbered(6, 4)
    np.testing.assert_array_equal(rearrange(x, source, target, sizes=sizes), by_hand(x))


def test_a_flattened_dense_kernel_moves_between_keras_and_pytorch_orders() -> None:
    # Keras' Dense after Flatten lists its inputs as (H, W, C), PyTorch's as (C, H, W): not a transpose.
    h, w, c, out = 2, 3, 4, 5
    kernel = _numbered(h * w * c, out)
    weight = rearrange(kernel, "(H W C) out", "out (C H W)", sizes={"H": h, "W": w, "C": c})
    expected = kernel.reshape(h, w, c, out).transpose(3, 2, 0, 1).reshape(out, c * h * w)
    np.testing.assert_array_equal(weight, expected)
    assert not np.array_equal(weight, kernel.T)


@pytest.mark.parametrize(
    ("source", "target", "by_hand"),
    [
        ("N H W", "N H W C", lambda x: x[..., None]),
        ("N H W", "N C H W", lambda x: x[:, None]),
        ("N H W", "N (H W) C", lambda x: x.reshape(len(x), -1, 1)),
    ],
)
def test_rearrange_adds_an_axis_of_size_one(source: str, target: str, by_hand: Any) -> None:
    x = _numbered(2, 3, 4)
    moved = rearrange(x, source, target, sizes={"C": 1})
    assert moved.shape == by_hand(x).shape
    np.testing.assert_array_equal(moved, by_hand(x))


@pytest.mark.parametrize(
    ("shape", "source", "target", "by_hand"),
    [
        ((2, 1, 3, 4), "N C H W", "N H W", lambda x: x[:, 0]),
        ((2, 3, 4, 1), "N H W C", "N H W", lambda x: x[..., 0]),
        ((1, 3, 4), "N H W", "(H W)", lambda x: x[0].ravel()),
    ],
)
def test_rearrange_drops_an_axis_of_size_one(
    shape: tuple[int, ...], source: str, target: str, by_hand: Any
) -> None:
    x = _numbered(*shape)
    np.testing.assert_array_equal(rearrange(x, source, target), by_hand(x))


def test_rearrange_keeps_the_dtype_and_accepts_lists() -> None:
    for dtype in (np.float32, np.float64, np.int8, np.uint16, np.bool_):
        assert rearrange(np.zeros((2, 3), dtype=dtype), "a b", "b a").dtype == dtype
    np.testing.assert_array_equal(rearrange([[1, 2, 3]], "a b", "b a"), [[1], [2], [3]])


def test_rearrange_of_an_empty_batch_keeps_the_other_axes() -> None:
    assert rearrange(np.zeros((0, 3, 4, 5)), "N C H W", "N (H W C)").shape == (0, 60)


# --- rearrange: round trips ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("shape", "source", "target", "sizes"),
    [
        ((2, 3, 4, 5), "N C H W", "N H W C", {}),
        ((2, 3, 4, 5), "kh kw in out", "out in kh kw", {}),
        ((2, 3, 4, 5), "N C H W", "N (C H W)", {"C": 3, "H": 4}),
        ((2, 3, 4, 5), "N H W C", "N (C H W)", {"H": 3, "W": 4}),
        ((24, 5), "(H W C) out", "out (C H W)", {"H": 2, "W": 3, "C": 4}),
        ((2, 3, 4), "N H W", "N C H W", {"C": 1}),
        ((2, 3, 4), "N H W", "N (H W)", {"H": 3}),
        ((6, 4), "(N H) W", "N W H", {"N": 2}),
    ],
)
def test_going_back_with_the_patterns_swapped_gives_the_original_exactly(
    shape: tuple[int, ...], source: str, target: str, sizes: dict[str, int]
) -> None:
    x = np.random.default_rng(0).normal(size=shape)
    there = rearrange(x, source, target, sizes=sizes)
    back = rearrange(there, target, source, sizes=sizes)
    assert back.shape == x.shape and back.dtype == x.dtype
    np.testing.assert_array_equal(back, x)


def test_rearrange_may_return_a_view_so_copy_before_writing() -> None:
    # What the docstring warns about: here the result shares the input's memory.
    x = _numbered(2, 3)
    assert np.shares_memory(rearrange(x, "a b", "b a"), x)


# --- rearrange: errors ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("shape", "pattern", "message"),
    [
        ((2, 3), "N C H W", "x must have shape (N, C, H, W), got (2, 3)"),
        ((2, 3, 4, 5, 6), "N C H W", "x must have shape (N, C, H, W), got (2, 3, 4, 5, 6)"),
        ((12,), "N (H W)", "x must have shape (N, H * W), got (12,)"),
    ],
)
def test_an_array_with_another_number_of_axes_is_refused(
    shape: tuple[int, ...], pattern: str, message: str
) -> None:
    with pytest.raises(ValueError, match=_exactly(message)):
        rearrange(np.zeros(shape), pattern, "N C H W")


def test_the_message_names_the_array_as_told() -> None:
    with pytest.raises(
        ValueError, match=r"^a Keras Conv2D kernel must have shape \(kh, kw, in, out\), got \(3, 3\)$"
    ):
        rearrange(np.zeros((3, 3)), "kh kw in out", "out in kh kw", name="a Keras Conv2D kernel")


@pytest.mark.parametrize(
    ("shape", "source", "sizes", "message"),
    [
        ((2, 1, 4, 4), "N C H W", {"C": 3}, "x must have C = 3, got shape (2, 1, 4, 4)"),
        ((2, 12), "N (H W)", {"H": 3, "W": 5}, "x has 12 values along H * W, but H=3, W=5 make 15"),
        ((2, 12), "N (H W)", {"H": 5}, "x has 12 values along H * W, not a multiple of 5"),
        ((2, 12), "N (H W)", {}, "x: the sizes of H, W in (N, H * W) must be given"),
        ((24, 5), "(H W C) out", {"H": 2}, "x: the sizes of W, C in (H * W * C, out) must be given"),
    ],
)
def test_sizes_that_do_not_fit_the_shape_are_refused(
    shape: tuple[int, ...], source: str, sizes: dict[str, int], message: str
) -> None:
    target = " ".join(name for axis in parse(source) for name in axis)
    with pytest.raises(ValueError, match=_exactly(message)):
        rearrange(np.zeros(shape), source, target, sizes=sizes)


def test_only_an_axis_of_size_one_can_be_added() -> None:
    with pytest.raises(
        ValueError, match=_exactly("C is not in 'N H W', so it can only be added with size 1")
    ):
        rearrange(np.zeros((2, 3, 4)), "N H W", "N H W C", sizes={"C": 3})


def test_an_added_axis_needs_its_size() -> None:
    # Without sizes={"C": 1} the new axis has no size: refused, saying what to pass.
    message = "C is not in 'N H W': give its size, sizes={'C': 1}, to add it"
    with pytest.raises(ValueError, match=_exactly(message)):
        rearrange(np.zeros((2, 3, 4)), "N H W", "N H W C")


def test_only_an_axis_of_size_one_can_be_dropped() -> None:
    message = "x has C = 3, but 'N H W' has no C: only size 1 can go"
    with pytest.raises(ValueError, match=_exactly(message)):
        rearrange(np.zeros((2, 3, 4, 4)), "N C H W", "N H W")


@pytest.mark.parametrize(
    ("sizes", "error", "message"),
    [
        ({"H": 0}, ValueError, "H must be a positive integer, got 0"),
        ({"H": -3}, ValueError, "H must be a positive integer, got -3"),
        ({"H": 3.0}, TypeError, "H must be an integer, got float 3.0"),
        ({"H": True}, TypeError, "H must be an integer, got bool True"),
    ],
)
def test_sizes_must_be_positive_integers(sizes: dict[str, Any], error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=_exactly(message)):
        rearrange(np.zeros((2, 12)), "N (H W)", "N H W", sizes=sizes)


@pytest.mark.parametrize("bad", ["N (C H W", "N C C W", "N C, H W"])
def test_a_malformed_source_or_target_pattern_is_refused(bad: str) -> None:
    with pytest.raises(ValueError, match=r"^layout pattern "):
        rearrange(np.zeros((2, 3, 4, 5)), bad, "N C H W")
    with pytest.raises(ValueError, match=r"^layout pattern "):
        rearrange(np.zeros((2, 3, 4, 5)), "N C H W", bad)


@pytest.mark.parametrize("x", ["abc", [["a", "b"]], None])
def test_an_array_that_is_not_numeric_is_a_type_error(x: object) -> None:
    with pytest.raises(TypeError, match=r"^images must be a numeric array, got "):
        rearrange(x, "N H", "H N", name="images")


# --- to_layout ----------------------------------------------------------------------------------------------


@pytest.fixture
def stack() -> np.ndarray:
    return np.arange(2 * 3 * 4, dtype=np.float32).reshape(2, 3, 4)


@pytest.mark.parametrize(
    ("layout", "shape"),
    [("NHW", (2, 3, 4)), ("flat", (2, 12)), ("NHWC", (2, 3, 4, 1)), ("NCHW", (2, 1, 3, 4))],
)
def test_to_layout_shapes(stack: np.ndarray, layout: str, shape: tuple[int, ...]) -> None:
    out = to_layout(stack, layout)
    assert out.shape == shape
    assert out.dtype == stack.dtype
    # No layout changes the pixels, only how they are indexed.
    np.testing.assert_array_equal(out.reshape(2, 3, 4), stack)


@pytest.mark.parametrize("layout", GREY_LAYOUTS)
def test_to_layout_is_rearrange_from_grey_images_to_the_layouts_pattern(
    stack: np.ndarray, layout: str
) -> None:
    expected = rearrange(stack, "N H W", GREY_LAYOUTS[layout], sizes={"C": 1})
    np.testing.assert_array_equal(to_layout(stack, layout), expected)


def test_flat_is_row_major(stack: np.ndarray) -> None:
    flat = to_layout(stack, "flat")
    np.testing.assert_array_equal(flat[0], np.arange(12))
    np.testing.assert_array_equal(flat[1], np.arange(12, 24))
    # Pixel (row h, column w) lands at h * W + w.
    assert flat[1, 2 * 4 + 3] == stack[1, 2, 3]


def test_channel_axes_index_like_the_original(stack: np.ndarray) -> None:
    assert to_layout(stack, "NHWC")[1, 2, 3, 0] == stack[1, 2, 3]
    assert to_layout(stack, "NCHW")[1, 0, 2, 3] == stack[1, 2, 3]


@pytest.mark.parametrize("layout", GREY_LAYOUTS)
def test_to_layout_does_not_copy_the_images(stack: np.ndarray, layout: str) -> None:
    # Contiguous images come back as a view: a data set's layouts cost no memory.
    assert np.shares_memory(to_layout(stack, layout), stack)


def test_to_layout_accepts_nested_lists() -> None:
    out = to_layout([[[1, 2], [3, 4]]], "flat")
    np.testing.assert_array_equal(out, [[1, 2, 3, 4]])


def test_to_layout_is_exported_at_the_top_level() -> None:
    assert twice.to_layout is to_layout


@pytest.mark.parametrize("layout", ["nhwc", "NWHC", "CHW", "", "Flat", None, "N H W"])
def test_to_layout_rejects_unknown_layouts(stack: np.ndarray, layout: object) -> None:
    # Layouts are chosen by name; a pattern is not a name.
    message = f"unknown layout {layout!r}: expected one of 'NHW', 'flat', 'NHWC', 'NCHW'"
    with pytest.raises(ValueError, match=_exactly(message)):
        to_layout(stack, layout)  # type: ignore[arg-type]


@pytest.mark.parametrize("shape", [(64,), (5, 64), (2, 8, 8, 1), (1, 1, 8, 8)])
def test_to_layout_rejects_arrays_that_are_not_3d(shape: tuple[int, ...]) -> None:
    message = f"expected grey images of shape (N, H, W), got shape {shape}"
    with pytest.raises(ValueError, match=_exactly(message)):
        to_layout(np.zeros(shape), "flat")


# --- WeightRule: its own checks ------------------------------------------------------------------------------


def test_a_weight_rule_keeps_what_it_was_given() -> None:
    rule = WeightRule("Dense", "nn.Linear", keras="in out", torch="out in")
    assert (rule.keras_layer, rule.torch_module, rule.keras, rule.torch, rule.sizes) == (
        "Dense",
        "nn.Linear",
        "in out",
        "out in",
        (),
    )
    with pytest.raises(AttributeError):
        rule.keras = "out in"  # type: ignore[misc]  # frozen: a rule is a fact, not a setting


@pytest.mark.parametrize(("keras", "torch"), [("in units", "out in"), ("in out", "units in"), ("a b", "b a")])
def test_a_weight_pattern_without_out_is_refused(keras: str, torch: str) -> None:
    missing = keras if "out" not in keras.split() else torch
    with pytest.raises(ValueError, match=_exactly(f"weight pattern {missing!r} must name the outputs 'out'")):
        WeightRule("Dense", "nn.Linear", keras=keras, torch=torch)


def test_out_inside_a_group_counts() -> None:
    rule = WeightRule("Odd", "nn.Odd", keras="in (out k)", torch="(k out) in")
    assert rule.torch == "(k out) in"


@pytest.mark.parametrize("bad", ["in (out", "out out", "in, out"])
def test_a_malformed_weight_pattern_is_refused_when_the_rule_is_made(bad: str) -> None:
    with pytest.raises(ValueError, match=r"^layout pattern "):
        WeightRule("Dense", "nn.Linear", keras=bad, torch="out in")
