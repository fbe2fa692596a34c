"""Tests for twice.data.sequences: the adding problem, images read as sequences, random lengths and padding
(checked against Keras' pad_sequences and PyTorch's pad_sequence)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import twice
from twice.data import adding_problem, as_sequences, pad, random_lengths

NON_INTEGERS = [(2.0, "float 2.0"), ("4", "str '4'"), (True, "bool True"), (None, "NoneType None")]


def _marked_steps(x: np.ndarray) -> np.ndarray:
    """The two marked steps of each sequence, ``(N, 2)`` in increasing order (fails unless there are two)."""
    rows, steps = np.nonzero(x[..., 1])
    assert np.array_equal(rows, np.repeat(np.arange(len(x)), 2)), "not exactly two markers in each sequence"
    return steps.reshape(len(x), 2)


# --- adding_problem ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("n", "length"), [(1, 2), (3, 3), (5, 10), (7, 101)])
def test_adding_problem_shapes_and_dtypes(n: int, length: int) -> None:
    x, y = adding_problem(n, length)
    assert x.shape == (n, length, 2) and x.dtype == np.float32
    assert y.shape == (n,) and y.dtype == np.float32


@pytest.mark.parametrize("length", [2, 3, 10, 11, 200])
def test_exactly_two_distinct_markers_one_in_each_half(length: int) -> None:
    x, _ = adding_problem(500, length, seed=1)
    assert set(np.unique(x[..., 1])) <= {0.0, 1.0}  # only 1s where length is 2
    assert np.array_equal(x[..., 1].sum(axis=1), np.full(500, 2.0, dtype=np.float32))
    steps = _marked_steps(x)
    half = length // 2
    assert (steps[:, 0] < half).all()  # the first in [0, T // 2)
    assert (steps[:, 1] >= half).all() and (steps[:, 1] < length).all()  # the second in [T // 2, T)
    assert (steps[:, 0] != steps[:, 1]).all()


def test_markers_reach_every_step_of_their_half() -> None:
    x, _ = adding_problem(2000, 11, seed=2)
    steps = _marked_steps(x)
    assert set(steps[:, 0].tolist()) == set(range(5))  # [0, 5)
    assert set(steps[:, 1].tolist()) == set(range(5, 11))  # [5, 11): the odd step goes to the second half


def test_length_two_marks_both_steps() -> None:
    x, _ = adding_problem(20, 2, seed=3)
    np.testing.assert_array_equal(x[..., 1], np.ones((20, 2), dtype=np.float32))


def test_values_are_uniform_in_the_half_open_unit_interval() -> None:
    x, _ = adding_problem(1000, 50, seed=4)
    values = x[..., 0]
    assert values.min() >= 0.0 and values.max() < 1.0
    assert abs(float(values.mean()) - 0.5) < 0.005  # 50,000 values: the standard error is 0.0013
    assert abs(float(values.var()) - 1 / 12) < 0.002
    assert len(np.unique(values)) > 49_000  # drawn, not repeated


def test_target_is_exactly_the_sum_of_the_two_marked_values() -> None:
    x, y = adding_problem(300, 17, seed=5)
    steps = _marked_steps(x)
    rows = np.arange(300)
    np.testing.assert_array_equal(y, x[rows, steps[:, 0], 0] + x[rows, steps[:, 1], 0])
    # The same as the dot product of the two features (the zeros add nothing, not even rounding).
    np.testing.assert_array_equal(y, (x[..., 0] * x[..., 1]).sum(axis=1))
    assert 0.0 <= y.min() and y.max() < 2.0


def test_always_predicting_one_scores_one_sixth_not_0_1767() -> None:
    _, y = adding_problem(200_000, 10, seed=0)
    assert abs(float(y.mean()) - 1.0) < 0.003  # 1 is the mean of the target: the best constant
    mse = float(np.mean((y.astype(np.float64) - 1.0) ** 2))
    assert abs(mse - 1 / 6) < 0.003  # the standard error is 0.0004
    assert abs(mse - 0.1767) > 0.006


def test_same_arguments_give_the_same_arrays_and_another_seed_others() -> None:
    x, y = adding_problem(50, 20, seed=7)
    again_x, again_y = adding_problem(50, 20, seed=7)
    np.testing.assert_array_equal(x, again_x)
    np.testing.assert_array_equal(y, again_y)
    other_x, other_y = adding_problem(50, 20, seed=8)
    assert not np.array_equal(x[..., 0], other_x[..., 0])
    assert not np.array_equal(x[..., 1], other_x[..., 1])
    assert not np.array_equal(y, other_y)


def test_adding_problem_follows_numpy_default_rng() -> None:
    # The documented draws: the values in float32, then the step in each first half, then in each second.
    rng = np.random.default_rng(11)
    values = rng.random((6, 9), dtype=np.float32)
    first = rng.integers(0, 4, size=6)
    second = rng.integers(4, 9, size=6)
    x, y = adding_problem(6, 9, seed=11)
    np.testing.assert_array_equal(x[..., 0], values)
    np.testing.assert_array_equal(_marked_steps(x), np.stack([first, second], axis=1))
    np.testing.assert_array_equal(y, values[np.arange(6), first] + values[np.arange(6), second])


def test_adding_problem_accepts_numpy_integers() -> None:
    x, y = adding_problem(np.int64(3), np.int32(4), seed=np.uint8(2))  # type: ignore[arg-type]
    assert x.shape == (3, 4, 2) and y.shape == (3,)
    np.testing.assert_array_equal(x, adding_problem(3, 4, seed=2)[0])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"num_examples": 0}, "num_examples must be a positive integer, got 0"),
        ({"num_examples": -3}, "num_examples must be a positive integer, got -3"),
        ({"length": 1}, "length must be an integer >= 2, got 1"),
        ({"length": 0}, "length must be an integer >= 2, got 0"),
    ],
)
def test_adding_problem_rejects_sizes_out_of_range(kwargs: dict[str, int], message: str) -> None:
    arguments = {"num_examples": 4, "length": 10} | kwargs
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        adding_problem(**arguments)


@pytest.mark.parametrize("argument", ["num_examples", "length"])
@pytest.mark.parametrize(("bad", "shown"), NON_INTEGERS)
def test_adding_problem_rejects_sizes_that_are_not_integers(argument: str, bad: object, shown: str) -> None:
    arguments: dict[str, object] = {"num_examples": 4, "length": 10, argument: bad}
    with pytest.raises(TypeError, match=f"^{argument} must be an integer, got {re.escape(shown)}$"):
        adding_problem(**arguments)  # type: ignore[arg-type]


# --- as_sequences --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def digit_images() -> np.ndarray:
    return twice.load_digits().x_train


def test_rows_are_the_images_row_by_row(digit_images: np.ndarray) -> None:
    sequences = as_sequences(digit_images)
    assert sequences.shape == (1347, 8, 8) and sequences.dtype == np.float32  # T = H steps of in = W pixels
    by_hand = np.stack([digit_images[:, row, :] for row in range(8)], axis=1)
    np.testing.assert_array_equal(sequences, by_hand)
    np.testing.assert_array_equal(sequences.reshape(1347, 8, 8), digit_images)  # and back


def test_pixels_are_the_images_pixel_by_pixel_row_major(digit_images: np.ndarray) -> None:
    sequences = as_sequences(digit_images, order="pixels")
    assert sequences.shape == (1347, 64, 1) and sequences.dtype == np.float32
    by_hand = np.stack([digit_images[:, t // 8, t % 8] for t in range(64)], axis=1)[..., None]
    np.testing.assert_array_equal(sequences, by_hand)
    np.testing.assert_array_equal(sequences, digit_images.reshape(1347, 64, 1))
    np.testing.assert_array_equal(sequences[..., 0].reshape(1347, 8, 8), digit_images)  # and back


def test_images_that_are_not_square_keep_rows_and_columns_apart() -> None:
    images = np.arange(2 * 3 * 5).reshape(2, 3, 5)  # H=3 rows of W=5
    rows = as_sequences(images, "rows")
    assert rows.shape == (2, 3, 5)
    np.testing.assert_array_equal(rows[1, 2], [25, 26, 27, 28, 29])  # step 2 of image 1: its last row
    pixels = as_sequences(images, "pixels")
    assert pixels.shape == (2, 15, 1)
    np.testing.assert_array_equal(pixels[0, :, 0], np.arange(15))
    # Reading columns instead is the same call on the transposed images: W steps of H pixels.
    columns = as_sequences(images.transpose(0, 2, 1), "rows")
    assert columns.shape == (2, 5, 3)
    np.testing.assert_array_equal(columns[0, 1], [1, 6, 11])


@pytest.mark.parametrize("order", ["rows", "pixels"])
@pytest.mark.parametrize("dtype", [np.uint8, np.int64, np.float32, np.float64, np.bool_])
def test_as_sequences_returns_a_view_of_the_same_dtype(order: str, dtype: type) -> None:
    images: np.ndarray = (np.arange(3 * 4 * 4) % 3).reshape(3, 4, 4).astype(dtype)
    sequences = as_sequences(images, order)
    assert sequences.dtype == images.dtype
    assert np.shares_memory(sequences, images)


@pytest.mark.parametrize("order", ["rows", "pixels"])
def test_as_sequences_of_a_non_contiguous_array_is_still_right(order: str) -> None:
    images = np.arange(2 * 4 * 6).reshape(2, 4, 6)[:, ::2, 1::2]  # (2, 2, 3), strided
    expected = np.ascontiguousarray(images)
    np.testing.assert_array_equal(as_sequences(images, order), as_sequences(expected, order))


def test_as_sequences_accepts_nested_lists() -> None:
    sequences = as_sequences([[[1, 2], [3, 4]]], "pixels")  # type: ignore[arg-type]
    np.testing.assert_array_equal(sequences, [[[1], [2], [3], [4]]])


@pytest.mark.parametrize("order", ["columns", "ROWS", "row", 0, None])
def test_as_sequences_rejects_an_unknown_order(order: object) -> None:
    message = f"unknown order {order!r}: expected one of 'rows', 'pixels'"
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        as_sequences(np.zeros((2, 4, 4)), order)  # type: ignore[arg-type]


@pytest.mark.parametrize("shape", [(8, 8), (2, 8, 8, 1), (5,)])
def test_as_sequences_rejects_arrays_that_are_not_3d(shape: tuple[int, ...]) -> None:
    message = f"images must have shape (N, H, W), got {shape}"
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        as_sequences(np.zeros(shape))


def test_as_sequences_rejects_arrays_that_are_not_numeric() -> None:
    with pytest.raises(TypeError, match=r"^images must be a numeric array, got str 'abc'$"):
        as_sequences("abc")  # type: ignore[arg-type]


# --- random_lengths ------------------------------------------------------------------------------------------


def test_random_lengths_cover_the_inclusive_range() -> None:
    lengths = random_lengths(1000, 3, 7, seed=0)
    assert lengths.shape == (1000,) and lengths.dtype == np.int64
    assert set(lengths.tolist()) == {3, 4, 5, 6, 7}  # both bounds included, every length in between drawn
    assert np.bincount(lengths, minlength=8)[3:].min() > 150  # uniform: about 200 each


def test_random_lengths_with_equal_bounds_are_all_that_length() -> None:
    np.testing.assert_array_equal(random_lengths(5, 4, 4), np.full(5, 4, dtype=np.int64))


def test_random_lengths_are_reproducible_by_seed() -> None:
    lengths = random_lengths(40, 1, 30, seed=5)
    np.testing.assert_array_equal(lengths, random_lengths(40, 1, 30, seed=5))
    np.testing.assert_array_equal(lengths, np.random.default_rng(5).integers(1, 31, size=40))
    assert not np.array_equal(lengths, random_lengths(40, 1, 30, seed=6))


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ((0, 1, 5), "num_examples must be a positive integer, got 0"),
        ((4, 0, 5), "min_length must be a positive integer, got 0"),
        ((4, 5, 4), "max_length must be an integer >= 5, got 4"),
        ((4, -2, 5), "min_length must be a positive integer, got -2"),
    ],
)
def test_random_lengths_rejects_counts_out_of_range(arguments: tuple[int, int, int], message: str) -> None:
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        random_lengths(*arguments)


@pytest.mark.parametrize("position", [0, 1, 2])
@pytest.mark.parametrize(("bad", "shown"), NON_INTEGERS)
def test_random_lengths_rejects_counts_that_are_not_integers(position: int, bad: object, shown: str) -> None:
    arguments: list[object] = [4, 2, 6]
    arguments[position] = bad
    name = ("num_examples", "min_length", "max_length")[position]
    with pytest.raises(TypeError, match=f"^{name} must be an integer, got {re.escape(shown)}$"):
        random_lengths(*arguments)  # type: ignore[arg-type]


# --- the seed of both seeded helpers ----------------------------------------------------------------------

SEEDED: dict[str, Callable[[Any], object]] = {
    "adding_problem": lambda seed: adding_problem(4, 10, seed=seed),
    "random_lengths": lambda seed: random_lengths(4, 2, 6, seed=seed),
}


@pytest.mark.parametrize("helper", SEEDED)
@pytest.mark.parametrize(
    ("seed", "error", "message"),
    [
        (1.5, TypeError, "seed must be an integer, got float 1.5"),
        ("0", TypeError, "seed must be an integer, got str '0'"),
        (True, TypeError, "seed must be an integer, got bool True"),
        (None, TypeError, "seed must be an integer, got NoneType None"),  # another draw on every call
        (-1, ValueError, "seed must be a non-negative integer, got -1"),
        (2**32, ValueError, "seed must be an integer <= 4294967295, got 4294967296"),
    ],
)
def test_a_seed_that_is_not_an_integer_in_range_is_rejected(
    helper: str, seed: object, error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=f"^{re.escape(message)}$"):
        SEEDED[helper](seed)


# --- pad -----------------------------------------------------------------------------------------------------


def _batch_of_sequences(seed: int = 0, features: int = 3) -> list[np.ndarray]:
    """Sequences of different lengths, as the chapter builds them: random lengths, random float32 values."""
    rng = np.random.default_rng(seed)
    return [rng.random((int(t), features), dtype=np.float32) for t in random_lengths(6, 1, 9, seed=seed)]


def test_pad_by_hand() -> None:
    sequences = [np.array([[1, 2]]), np.array([[3, 4], [5, 6], [7, 8]]), np.array([[9, 10], [11, 12]])]
    post = pad(sequences, value=-1)
    np.testing.assert_array_equal(
        post,
        [
            [[1, 2], [-1, -1], [-1, -1]],
            [[3, 4], [5, 6], [7, 8]],
            [[9, 10], [11, 12], [-1, -1]],
        ],
    )
    pre = pad(sequences, side="pre")
    np.testing.assert_array_equal(
        pre,
        [
            [[0, 0], [0, 0], [1, 2]],
            [[3, 4], [5, 6], [7, 8]],
            [[0, 0], [9, 10], [11, 12]],
        ],
    )
    assert post.dtype == pre.dtype == np.int64


@pytest.mark.parametrize("side", ["pre", "post"])
def test_pad_keeps_each_sequence_and_fills_the_rest(side: str) -> None:
    sequences = _batch_of_sequences(seed=1)
    batch = pad(sequences, side=side, value=-2.5)
    longest = max(len(s) for s in sequences)
    assert batch.shape == (6, longest, 3) and batch.dtype == np.float32
    for row, sequence in zip(batch, sequences):
        steps = slice(0, len(sequence)) if side == "post" else slice(longest - len(sequence), longest)
        np.testing.assert_array_equal(row[steps], sequence)
        filled = np.delete(row, np.arange(longest)[steps], axis=0)
        assert filled.shape == (longest - len(sequence), 3) and (filled == -2.5).all()


@pytest.mark.parametrize("side", ["pre", "post"])  # Keras' own names for the two sides
@pytest.mark.parametrize("value", [0.0, -1.0])
def test_pad_agrees_with_keras_pad_sequences(keras: Any, side: str, value: float) -> None:
    sequences = _batch_of_sequences(seed=2)
    expected = keras.utils.pad_sequences(sequences, padding=side, dtype="float32", value=value)
    batch = pad(sequences, side=side, value=value)
    assert batch.dtype == expected.dtype and batch.shape == expected.shape
    np.testing.assert_array_equal(batch, expected)


def test_keras_pads_before_and_pad_after_by_default(keras: Any) -> None:
    sequences = _batch_of_sequences(seed=3)
    keras_default = keras.utils.pad_sequences(sequences, dtype="float32")
    np.testing.assert_array_equal(pad(sequences, side="pre"), keras_default)
    assert not np.array_equal(pad(sequences), keras_default)


@pytest.mark.parametrize(("side", "padding_side"), [("pre", "left"), ("post", "right")])
@pytest.mark.parametrize("value", [0.0, 7.0])
def test_pad_agrees_with_torch_pad_sequence(torch: Any, side: str, padding_side: str, value: float) -> None:
    sequences = _batch_of_sequences(seed=4)
    tensors = [torch.from_numpy(s) for s in sequences]
    expected = torch.nn.utils.rnn.pad_sequence(
        tensors, batch_first=True, padding_value=value, padding_side=padding_side
    ).numpy()
    batch = pad(sequences, side=side, value=value)
    assert batch.dtype == expected.dtype and batch.shape == expected.shape
    np.testing.assert_array_equal(batch, expected)


def test_torch_pads_after_by_default_as_pad_does(torch: Any) -> None:
    sequences = _batch_of_sequences(seed=5)
    torch_default = torch.nn.utils.rnn.pad_sequence(
        [torch.from_numpy(s) for s in sequences], batch_first=True
    )
    np.testing.assert_array_equal(pad(sequences), torch_default.numpy())


def test_pad_handles_an_empty_sequence_as_both_frameworks_do(keras: Any, torch: Any) -> None:
    sequences = [np.zeros((0, 2), dtype=np.float32), np.ones((2, 2), dtype=np.float32)]
    post, pre = pad(sequences, value=5.0), pad(sequences, side="pre", value=5.0)
    np.testing.assert_array_equal(post[0], np.full((2, 2), 5.0))
    np.testing.assert_array_equal(pre, post)  # nothing to place: the padding is the whole row either way
    tensors = [torch.from_numpy(s) for s in sequences]
    np.testing.assert_array_equal(
        post, torch.nn.utils.rnn.pad_sequence(tensors, batch_first=True, padding_value=5.0).numpy()
    )
    np.testing.assert_array_equal(
        pre, keras.utils.pad_sequences(sequences, padding="pre", dtype="float32", value=5.0)
    )


def test_pad_returns_a_new_array() -> None:
    sequence = np.ones((4, 2), dtype=np.float32)
    batch = pad([sequence])
    np.testing.assert_array_equal(batch, sequence[None])
    assert not np.shares_memory(batch, sequence)


@pytest.mark.parametrize(
    ("dtypes", "expected"),
    [
        ((np.float32, np.float32), np.float32),
        ((np.int32, np.int32), np.int32),
        ((np.uint8, np.int64), np.int64),
        ((np.int32, np.float32), np.float64),  # the dtype that holds both, as np.concatenate would give
        ((np.bool_, np.bool_), np.bool_),
    ],
)
def test_pad_gives_the_dtype_the_sequences_share(dtypes: tuple[type, type], expected: type) -> None:
    sequences: list[np.ndarray] = [np.ones((1, 2), dtype=dtypes[0]), np.ones((3, 2), dtype=dtypes[1])]
    batch = pad(sequences)
    assert batch.dtype == expected
    np.testing.assert_array_equal(batch[0], np.array([[1, 1], [0, 0], [0, 0]], dtype=expected))


def test_pad_accepts_a_tuple_and_nested_lists() -> None:
    batch = pad(([[1.0, 2.0]], [[3.0, 4.0], [5.0, 6.0]]))  # type: ignore[arg-type]
    np.testing.assert_array_equal(batch, [[[1, 2], [0, 0]], [[3, 4], [5, 6]]])


@pytest.mark.parametrize(
    ("sequences", "shown"),
    [(np.zeros((2, 3, 1)), "ndarray"), (np.zeros((3, 1)), "ndarray"), (None, "NoneType"), ("ab", "str")],
)
def test_pad_rejects_anything_but_a_list_or_tuple(sequences: object, shown: str) -> None:
    message = f"sequences must be a list of arrays of shape (T, in), got {shown}"
    with pytest.raises(TypeError, match=f"^{re.escape(message)}$"):
        pad(sequences)  # type: ignore[arg-type]


def test_pad_rejects_an_empty_list() -> None:
    with pytest.raises(ValueError, match=r"^sequences is empty: a batch needs at least one sequence$"):
        pad([])


@pytest.mark.parametrize("shape", [(3,), (2, 3, 1), ()])
def test_pad_rejects_a_sequence_that_is_not_2d(shape: tuple[int, ...]) -> None:
    message = f"sequences[1] must have shape (T, in), got {shape}"
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        pad([np.zeros((2, 3)), np.zeros(shape)])


def test_pad_rejects_a_sequence_that_is_not_numeric() -> None:
    with pytest.raises(TypeError, match=r"^sequences\[0\] must be a numeric array, got str 'abc'$"):
        pad(["abc"])  # type: ignore[list-item]


def test_pad_rejects_sequences_with_different_feature_counts() -> None:
    message = "sequences[2] has 4 features a step, but sequences[0] has 3: got shapes (2, 3) and (5, 4)"
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        pad([np.zeros((2, 3)), np.zeros((1, 3)), np.zeros((5, 4))])


@pytest.mark.parametrize("side", ["left", "right", "PRE", "", None])
def test_pad_rejects_an_unknown_side(side: object) -> None:
    message = f"unknown side {side!r}: expected one of 'pre', 'post'"
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        pad([np.zeros((2, 3))], side=side)  # type: ignore[arg-type]


@pytest.mark.parametrize(("value", "shown"), [("0", "str '0'"), (None, "NoneType None"), (True, "bool True")])
def test_pad_rejects_a_value_that_is_not_a_number(value: object, shown: str) -> None:
    with pytest.raises(TypeError, match=f"^value must be a number, got {re.escape(shown)}$"):
        pad([np.zeros((2, 3))], value=value)  # type: ignore[arg-type]


def test_pad_rejects_a_nan_value() -> None:
    with pytest.raises(ValueError, match=r"^value must lie in \(-inf, inf\), got nan$"):
        pad([np.zeros((2, 3))], value=float("nan"))


@pytest.mark.parametrize(
    ("dtype", "value"), [(np.int64, 0.5), (np.uint8, -1), (np.uint8, 256), (np.int32, np.inf), (np.bool_, 2)]
)
def test_pad_rejects_a_value_the_dtype_cannot_hold(dtype: type, value: float) -> None:
    message = f"value {float(value)!r} cannot be stored in sequences of dtype {np.dtype(dtype)}"
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        pad([np.zeros((2, 3), dtype=dtype)], value=value)


@pytest.mark.parametrize(
    ("dtype", "value"), [(np.int64, -1), (np.uint8, 255), (np.bool_, 1), (np.float16, 0.1)]
)
def test_pad_accepts_a_value_the_dtype_can_hold(dtype: type, value: float) -> None:
    batch = pad([np.zeros((1, 2), dtype=dtype), np.zeros((2, 2), dtype=dtype)], value=value)
    assert batch.dtype == dtype
    np.testing.assert_array_equal(batch[0, 1], np.full(2, value, dtype=dtype))


def test_the_overviews_sample_baseline_is_what_the_code_gives() -> None:
    """Chapter 3's overview quotes a sample check of the adding problem's baseline; the number is computed
    here from the same call, so the prose cannot drift from the code (no notebook runs 200,000 sequences)."""
    from pathlib import Path

    _, y = twice.data.adding_problem(200_000, 50, seed=0)
    quoted = f"`adding_problem(200_000, 50, seed=0)` gives {float(np.mean((y - 1.0) ** 2)):.4f}"
    overview = Path(__file__).resolve().parents[1] / "chapters" / "03_rnn" / "index.md"
    assert quoted in " ".join(overview.read_text(encoding="utf-8").split())
