"""Tests for twice.data: the digits split, image layouts, the sample photos and the fixed batch order."""

from __future__ import annotations

import dataclasses
import re
from collections import Counter

import numpy as np
import pytest
from sklearn.datasets import load_digits as sk_load_digits

from twice import Digits, fixed_batches, load_digits, load_sample_images, to_layout
from twice.data import LAYOUTS


@pytest.fixture(scope="module")
def digits() -> Digits:
    return load_digits()


@pytest.fixture(scope="module")
def sklearn_digits() -> tuple[np.ndarray, np.ndarray]:
    bunch = sk_load_digits()
    return bunch.images, bunch.target


def _row_keys(images: np.ndarray, labels: np.ndarray) -> list[tuple[bytes, int]]:
    flat = np.ascontiguousarray(images, dtype=np.float32).reshape(len(images), -1)
    return [(row.tobytes(), int(label)) for row, label in zip(flat, labels)]


# --- load_digits ---------------------------------------------------------------------------------------------


def test_default_split_sizes(digits: Digits) -> None:
    assert len(digits.x_train) == len(digits.y_train) == 1347
    assert len(digits.x_test) == len(digits.y_test) == 450
    assert digits.seed == 0 and digits.test_fraction == 0.25
    assert digits.num_classes == 10 and digits.image_shape == (8, 8)


def test_dtypes_shapes_and_ranges(digits: Digits) -> None:
    for x, y in ((digits.x_train, digits.y_train), (digits.x_test, digits.y_test)):
        assert x.dtype == np.float32
        assert y.dtype == np.int64
        assert x.shape == (len(y), 8, 8)
        assert y.shape == (len(y),)
        assert x.min() == 0.0 and x.max() == 1.0
        assert set(np.unique(y)) == set(range(10))


def test_pixels_are_raw_counts_divided_by_16(digits: Digits) -> None:
    counts = digits.x_train * 16
    np.testing.assert_array_equal(counts, np.round(counts))
    assert set(np.unique(counts)) <= set(range(17))


def test_split_is_exactly_sklearns_digits(
    digits: Digits, sklearn_digits: tuple[np.ndarray, np.ndarray]
) -> None:
    images, labels = sklearn_digits
    full = Counter(_row_keys(images / 16.0, labels))
    train = Counter(_row_keys(digits.x_train, digits.y_train))
    test = Counter(_row_keys(digits.x_test, digits.y_test))
    assert len(full) == 1797  # every image of the data set is distinct, so rows identify images
    assert not set(train) & set(test)  # disjoint
    assert train + test == full  # together: every image once, with its own label


def test_split_is_stratified(digits: Digits, sklearn_digits: tuple[np.ndarray, np.ndarray]) -> None:
    _, labels = sklearn_digits
    full = np.bincount(labels, minlength=10) / len(labels)
    train = np.bincount(digits.y_train, minlength=10) / len(digits.y_train)
    test = np.bincount(digits.y_test, minlength=10) / len(digits.y_test)
    assert np.abs(train - full).max() < 0.01
    assert np.abs(test - full).max() < 0.01


def test_same_arguments_give_the_same_split(digits: Digits) -> None:
    again = load_digits()
    for field in ("x_train", "y_train", "x_test", "y_test"):
        np.testing.assert_array_equal(getattr(again, field), getattr(digits, field))


def test_a_different_seed_gives_a_different_split(digits: Digits) -> None:
    other = load_digits(seed=1)
    assert other.seed == 1
    assert len(other.y_test) == 450
    assert not np.array_equal(other.x_test, digits.x_test)
    assert set(_row_keys(other.x_test, other.y_test)) != set(_row_keys(digits.x_test, digits.y_test))


def test_numpy_integer_seed_is_the_same_as_int(digits: Digits) -> None:
    same = load_digits(seed=np.int64(0))  # type: ignore[arg-type]
    np.testing.assert_array_equal(same.y_test, digits.y_test)


@pytest.mark.parametrize(("fraction", "n_test"), [(0.1, 180), (0.5, 899), (0.2, 360)])
def test_test_fraction_sets_the_test_size(fraction: float, n_test: int) -> None:
    d = load_digits(test_fraction=fraction)
    assert len(d.y_test) == n_test
    assert len(d.y_train) == 1797 - n_test
    assert d.test_fraction == fraction


def test_train_and_test_methods_apply_the_layout(digits: Digits) -> None:
    x, y = digits.train("flat")
    assert x.shape == (1347, 64) and y is digits.y_train
    x, y = digits.test("NCHW")
    assert x.shape == (450, 1, 8, 8) and y is digits.y_test
    x, _ = digits.train()
    assert x is digits.x_train


def test_digits_repr_and_frozen(digits: Digits) -> None:
    assert repr(digits) == "Digits(train=1347, test=450, image_shape=(8, 8), seed=0, test_fraction=0.25)"
    with pytest.raises(dataclasses.FrozenInstanceError):
        digits.seed = 3  # type: ignore[misc]


@pytest.mark.parametrize("fraction", [0, 1, 0.0, 1.0, -0.1, 1.5])
def test_test_fraction_outside_open_unit_interval_raises(fraction: float) -> None:
    with pytest.raises(ValueError, match=rf"test_fraction must lie strictly between 0 and 1, got {fraction}"):
        load_digits(test_fraction=fraction)


@pytest.mark.parametrize(("fraction", "type_name"), [("0.2", "str"), (True, "bool"), (None, "NoneType")])
def test_test_fraction_that_is_not_a_number_raises(fraction: object, type_name: str) -> None:
    with pytest.raises(TypeError, match=rf"test_fraction must be a number, got {type_name}$"):
        load_digits(test_fraction=fraction)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("seed", "type_name"), [(1.5, "float"), ("0", "str"), (True, "bool"), (None, "NoneType")]
)
def test_non_integer_seed_raises(seed: object, type_name: str) -> None:
    with pytest.raises(TypeError, match=rf"seed must be an integer, got {type_name}$"):
        load_digits(seed=seed)  # type: ignore[arg-type]


@pytest.mark.parametrize("seed", [-1, 2**32])
def test_out_of_range_seed_raises_value_error(seed: int) -> None:
    with pytest.raises(ValueError, match=r"seed must lie in \[0, 2\*\*32\)"):
        load_digits(seed=seed)


# --- to_layout -----------------------------------------------------------------------------------------------


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


def test_layouts_constant_lists_all_four() -> None:
    assert LAYOUTS == ("NHW", "flat", "NHWC", "NCHW")


def test_flat_is_row_major(stack: np.ndarray) -> None:
    flat = to_layout(stack, "flat")
    np.testing.assert_array_equal(flat[0], np.arange(12))
    np.testing.assert_array_equal(flat[1], np.arange(12, 24))
    # Pixel (row h, column w) lands at h * W + w.
    assert flat[1, 2 * 4 + 3] == stack[1, 2, 3]


def test_channel_axes_index_like_the_original(stack: np.ndarray) -> None:
    assert to_layout(stack, "NHWC")[1, 2, 3, 0] == stack[1, 2, 3]
    assert to_layout(stack, "NCHW")[1, 0, 2, 3] == stack[1, 2, 3]


def test_nhw_returns_the_images_unchanged(stack: np.ndarray) -> None:
    assert to_layout(stack, "NHW") is stack


def test_to_layout_accepts_nested_lists() -> None:
    out = to_layout([[[1, 2], [3, 4]]], "flat")  # type: ignore[arg-type]
    np.testing.assert_array_equal(out, [[1, 2, 3, 4]])


def test_to_layout_on_digits(digits: Digits) -> None:
    flat = to_layout(digits.x_train, "flat")
    assert flat.shape == (1347, 64)
    np.testing.assert_array_equal(flat[5], digits.x_train[5].ravel())


@pytest.mark.parametrize("layout", ["nhwc", "NWHC", "CHW", "", "Flat", None])
def test_to_layout_rejects_unknown_layouts(stack: np.ndarray, layout: object) -> None:
    with pytest.raises(
        ValueError, match=rf"unknown layout {layout!r}: expected one of NHW, flat, NHWC, NCHW"
    ):
        to_layout(stack, layout)  # type: ignore[arg-type]


@pytest.mark.parametrize("shape", [(64,), (5, 64), (2, 8, 8, 1), (1, 1, 8, 8)])
def test_to_layout_rejects_arrays_that_are_not_3d(shape: tuple[int, ...]) -> None:
    expected = re.escape(f"expected grey images of shape (N, H, W), got shape {shape}")
    with pytest.raises(ValueError, match=expected):
        to_layout(np.zeros(shape), "flat")


# --- load_sample_images --------------------------------------------------------------------------------------


def test_sample_images() -> None:
    images = load_sample_images()
    assert set(images) == {"china", "flower"}
    for name, image in images.items():
        assert isinstance(image, np.ndarray), name
        assert image.dtype == np.uint8
        assert image.shape == (427, 640, 3)
        assert image.max() > 200 and image.min() < 50  # real photos, not blank arrays
    assert not np.array_equal(images["china"], images["flower"])


# --- fixed_batches -------------------------------------------------------------------------------------------


def test_each_epoch_is_a_permutation_cut_into_batches() -> None:
    batches = fixed_batches(10, 4, epochs=3, seed=0)
    assert [len(b) for b in batches] == [4, 4, 2] * 3
    for epoch in range(3):
        order = np.concatenate(batches[3 * epoch : 3 * epoch + 3])
        assert sorted(order.tolist()) == list(range(10))
    # The epochs are reshuffled, not repeated.
    assert not np.array_equal(np.concatenate(batches[0:3]), np.concatenate(batches[3:6]))


@pytest.mark.parametrize(
    ("n", "size", "sizes"), [(12, 4, [4, 4, 4]), (5, 5, [5]), (3, 10, [3]), (7, 1, [1] * 7)]
)
def test_batch_sizes(n: int, size: int, sizes: list[int]) -> None:
    batches = fixed_batches(n, size, epochs=2)
    assert [len(b) for b in batches] == sizes * 2
    assert all(np.issubdtype(b.dtype, np.integer) for b in batches)


def test_digits_sized_batches() -> None:
    batches = fixed_batches(1347, 32, epochs=1)
    assert len(batches) == 43  # 42 full batches and one of 3
    assert len(batches[-1]) == 1347 - 42 * 32
    assert sorted(np.concatenate(batches).tolist()) == list(range(1347))


def test_batches_are_reproducible_by_seed() -> None:
    a = fixed_batches(20, 6, epochs=2, seed=3)
    b = fixed_batches(20, 6, epochs=2, seed=3)
    c = fixed_batches(20, 6, epochs=2, seed=4)
    assert len(a) == len(b) == len(c) == 8
    assert all(np.array_equal(x, y) for x, y in zip(a, b))
    assert not all(np.array_equal(x, y) for x, y in zip(a, c))


def test_batches_follow_numpy_default_rng() -> None:
    # The documented order: one rng.permutation per epoch from default_rng(seed), cut in order.
    rng = np.random.default_rng(9)
    expected = [rng.permutation(7) for _ in range(2)]
    batches = fixed_batches(7, 3, epochs=2, seed=9)
    np.testing.assert_array_equal(np.concatenate(batches[:3]), expected[0])
    np.testing.assert_array_equal(np.concatenate(batches[3:]), expected[1])


def test_numpy_integers_are_accepted() -> None:
    batches = fixed_batches(np.int64(6), np.int32(4), np.int16(1))  # type: ignore[arg-type]
    assert [len(b) for b in batches] == [4, 2]


@pytest.mark.parametrize("argument", ["num_examples", "batch_size", "epochs"])
@pytest.mark.parametrize("bad", [0, -1, True, 2.0, "4", None])
def test_bad_sizes_raise(argument: str, bad: object) -> None:
    kwargs: dict[str, object] = {"num_examples": 10, "batch_size": 4, "epochs": 1}
    kwargs[argument] = bad
    with pytest.raises(ValueError, match=rf"{argument} must be a positive integer, got {bad!r}$"):
        fixed_batches(**kwargs)  # type: ignore[arg-type]


# --- regressions: bugs found by review, fixed -----------------------------------------------------------------


def test_fixed_batches_rejects_a_missing_seed() -> None:
    with pytest.raises((TypeError, ValueError), match=r"seed"):
        fixed_batches(10, 4, 1, seed=None)  # type: ignore[arg-type]


def test_fixed_batches_rejects_a_bool_seed() -> None:
    with pytest.raises(TypeError, match=r"seed must be an integer"):
        fixed_batches(10, 4, 1, seed=True)


def test_load_digits_accepts_a_numpy_float32_fraction() -> None:
    assert len(load_digits(test_fraction=np.float32(0.25)).y_test) == 450  # type: ignore[arg-type]
