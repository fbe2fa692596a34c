"""Tests for twice.data: the digits split (twice.data.digits), the sample photos, grey conversion and pixel
shifts (twice.data.images), the fixed batch order and the batch stream shared by both frameworks
(twice.data.batches). Downloads and MNIST are in test_download.py, the layouts in test_layouts.py."""

from __future__ import annotations

import dataclasses
import importlib
import re
import types
from collections import Counter
from collections.abc import Iterator

import numpy as np
import pytest
from sklearn.datasets import load_digits as sk_load_digits

import twice
from twice import Digits, fixed_batches, load_digits, load_sample_images
from twice.data import batch_stream, shift_images, to_grayscale

# --- the package ---------------------------------------------------------------------------------------------

# What each module of the package defines; twice.data re-exports all of it.
MODULES = {
    "twice.data.digits": {"Digits", "load_digits", "load_mnist", "validation_split"},
    "twice.data.images": {"load_sample_images", "to_grayscale", "shift_images"},
    "twice.data.batches": {"fixed_batches", "batch_stream"},
    "twice.data.sequences": {"adding_problem", "as_sequences", "random_lengths", "pad"},
    "twice.data.seq2seq": {
        "DATE_FORMATS", "ISO_CHARACTERS", "ISO_LENGTH", "PAD_INDEX", "CharVocabulary", "DateTask",
        "SequenceTask", "dates", "exact_match", "position_accuracy", "reversal", "sorting",
    },
    "twice.data.download": {
        "CACHE_ENV_VAR",
        "sha256_of",
        "DownloadError",
        "default_cache_dir",
        "MNIST_URL",
        "MNIST_SHA256",
    },
    "twice.data.grammar": {
        "RELATIONS", "TEMPLATES", "Relation", "SyntheticCorpus", "PhraseSplits", "synthetic_corpus", "word_class_phrases",
    },
    "twice.data.text": {
        "PAD", "NEWSGROUPS_URL", "NEWSGROUPS_SHA256", "Vocabulary", "tokenize", "split_sentences", "pydoc_topics",
        "load_newsgroups",
    },
}


@pytest.mark.parametrize(("module_name", "names"), MODULES.items())
def test_twice_data_re_exports_each_modules_names(module_name: str, names: set[str]) -> None:
    module = importlib.import_module(module_name)
    for name in names:
        assert getattr(twice.data, name) is getattr(module, name), name
        if isinstance(getattr(module, name), (type, types.FunctionType)):
            assert getattr(module, name).__module__ == module_name, f"{name} is defined elsewhere"


def test_twice_data_download_is_the_module_not_the_function() -> None:
    # Re-exporting the function download would hide the module of the same name.
    assert isinstance(twice.data.download, types.ModuleType)
    assert callable(twice.data.download.download)


def test_twice_data_exports_exactly_the_modules_names() -> None:
    assert sorted(twice.data.__all__) == sorted(set().union(*MODULES.values()))
    # The setup cell's names are the same objects at the top level.
    for name in (
        "Digits",
        "DownloadError",
        "fixed_batches",
        "load_digits",
        "load_mnist",
        "load_sample_images",
    ):
        assert getattr(twice, name) is getattr(twice.data, name)


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
    x, _ = digits.train()  # "NHW": the images themselves, not a copy
    np.testing.assert_array_equal(x, digits.x_train)
    assert np.shares_memory(x, digits.x_train)


def test_digits_repr_and_frozen(digits: Digits) -> None:
    assert repr(digits) == "Digits(train=1347, test=450, image_shape=(8, 8), seed=0, test_fraction=0.25)"
    with pytest.raises(dataclasses.FrozenInstanceError):
        digits.seed = 3  # type: ignore[misc]


@pytest.mark.parametrize("fraction", [0, 1, 0.0, 1.0, -0.1, 1.5, float("nan")])
def test_test_fraction_outside_open_unit_interval_raises(fraction: float) -> None:
    # Both ends are open: a split needs a training part and a test part.
    with pytest.raises(ValueError, match=rf"^test_fraction must lie in \(0, 1\), got {fraction!r}$"):
        load_digits(test_fraction=fraction)


@pytest.mark.parametrize(
    ("fraction", "shown"), [("0.2", "str '0.2'"), (True, "bool True"), (None, "NoneType None")]
)
def test_test_fraction_that_is_not_a_number_raises(fraction: object, shown: str) -> None:
    with pytest.raises(TypeError, match=f"^test_fraction must be a number, got {re.escape(shown)}$"):
        load_digits(test_fraction=fraction)  # type: ignore[arg-type]


# The seed checks of every helper that takes a seed (load_digits, fixed_batches, batch_stream).
NON_INTEGER_SEEDS = [(1.5, "float 1.5"), ("0", "str '0'"), (True, "bool True"), (None, "NoneType None")]
OUT_OF_RANGE_SEEDS = [
    (-1, "seed must be a non-negative integer, got -1"),
    (2**32, "seed must be an integer <= 4294967295, got 4294967296"),
]


@pytest.mark.parametrize(("seed", "shown"), NON_INTEGER_SEEDS)
def test_non_integer_seed_raises(seed: object, shown: str) -> None:
    with pytest.raises(TypeError, match=f"^seed must be an integer, got {re.escape(shown)}$"):
        load_digits(seed=seed)  # type: ignore[arg-type]


@pytest.mark.parametrize(("seed", "message"), OUT_OF_RANGE_SEEDS)
def test_out_of_range_seed_raises_value_error(seed: int, message: str) -> None:
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        load_digits(seed=seed)


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
@pytest.mark.parametrize("bad", [0, -1])
def test_sizes_that_are_not_positive_raise_value_error(argument: str, bad: int) -> None:
    kwargs: dict[str, object] = {"num_examples": 10, "batch_size": 4, "epochs": 1}
    kwargs[argument] = bad
    with pytest.raises(ValueError, match=rf"^{argument} must be a positive integer, got {bad}$"):
        fixed_batches(**kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize("argument", ["num_examples", "batch_size", "epochs"])
@pytest.mark.parametrize(
    ("bad", "shown"), [(True, "bool True"), (2.0, "float 2.0"), ("4", "str '4'"), (None, "NoneType None")]
)
def test_sizes_that_are_not_integers_raise_type_error(argument: str, bad: object, shown: str) -> None:
    kwargs: dict[str, object] = {"num_examples": 10, "batch_size": 4, "epochs": 1}
    kwargs[argument] = bad
    with pytest.raises(TypeError, match=f"^{argument} must be an integer, got {re.escape(shown)}$"):
        fixed_batches(**kwargs)  # type: ignore[arg-type]


# --- regressions: bugs found by review, fixed -----------------------------------------------------------------


@pytest.mark.parametrize(("seed", "shown"), NON_INTEGER_SEEDS)
def test_fixed_batches_rejects_a_missing_or_non_integer_seed(seed: object, shown: str) -> None:
    # None especially: it would give another order on every call.
    with pytest.raises(TypeError, match=f"^seed must be an integer, got {re.escape(shown)}$"):
        fixed_batches(10, 4, 1, seed=seed)  # type: ignore[arg-type]


@pytest.mark.parametrize(("seed", "message"), OUT_OF_RANGE_SEEDS)
def test_fixed_batches_rejects_an_out_of_range_seed(seed: int, message: str) -> None:
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        fixed_batches(10, 4, 1, seed=seed)


def test_load_digits_accepts_a_numpy_float32_fraction() -> None:
    assert len(load_digits(test_fraction=np.float32(0.25)).y_test) == 450  # type: ignore[arg-type]


# --- to_grayscale ------------------------------------------------------------------------------------------


def test_to_grayscale_known_values() -> None:
    pixels = np.array(
        [[[255, 0, 0], [0, 255, 0], [0, 0, 255]], [[255, 255, 255], [0, 0, 0], [51, 102, 204]]],
        dtype=np.uint8,
    )
    grey = to_grayscale(pixels)
    assert grey.dtype == np.float32
    assert grey.shape == (2, 3)
    np.testing.assert_allclose(grey[0], [0.299, 0.587, 0.114], atol=1e-7, rtol=0)
    assert grey[1, 0] == 1.0  # white: the weights sum to 1
    assert grey[1, 1] == 0.0
    # (51, 102, 204) / 255 = (0.2, 0.4, 0.8): 0.299*0.2 + 0.587*0.4 + 0.114*0.8 = 0.3858
    assert grey[1, 2] == pytest.approx(0.3858, abs=1e-6)


def test_to_grayscale_uint8_and_float_inputs_agree() -> None:
    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 256, size=(5, 7, 3), dtype=np.uint8)
    from_uint8 = to_grayscale(pixels)
    for dtype in (np.float64, np.float32):
        from_float = to_grayscale((pixels / 255.0).astype(dtype))
        assert from_float.dtype == np.float32
        np.testing.assert_allclose(from_float, from_uint8, atol=1e-6, rtol=0)
    # Other integer types count 0..255 as well.
    np.testing.assert_allclose(to_grayscale(pixels.astype(np.int64)), from_uint8, atol=1e-7, rtol=0)


def test_to_grayscale_float_input_is_not_rescaled() -> None:
    grey = to_grayscale(np.full((2, 2, 3), 0.5))
    np.testing.assert_allclose(grey, 0.5, atol=1e-7, rtol=0)


def test_to_grayscale_agrees_with_pillow_on_a_photo() -> None:
    from PIL import Image

    photo = load_sample_images()["china"]
    grey = to_grayscale(photo)
    assert grey.shape == (427, 640) and grey.dtype == np.float32
    assert 0.0 <= grey.min() and grey.max() <= 1.0
    pillow = np.asarray(Image.fromarray(photo).convert("L"), dtype=np.float64) / 255.0
    # Pillow rounds to whole grey levels; the float result is at most half a level away.
    assert np.abs(grey - pillow).max() <= 1 / 255
    assert np.abs(grey - pillow).mean() < 0.3 / 255


def test_to_grayscale_accepts_nested_lists() -> None:
    np.testing.assert_allclose(to_grayscale([[[0, 255, 0]]]), [[0.587]], atol=1e-7, rtol=0)  # type: ignore[arg-type]


@pytest.mark.parametrize("shape", [(4, 4), (4, 4, 4), (4, 4, 1), (2, 4, 4, 3), (3,)])
def test_to_grayscale_rejects_non_rgb_shapes(shape: tuple[int, ...]) -> None:
    expected = re.escape(f"expected an RGB image of shape (H, W, 3), got shape {shape}")
    with pytest.raises(ValueError, match=expected):
        to_grayscale(np.zeros(shape, dtype=np.uint8))


# --- shift_images ------------------------------------------------------------------------------------------

SQUARE = np.arange(1, 10).reshape(3, 3)  # [[1 2 3] [4 5 6] [7 8 9]]


@pytest.mark.parametrize(
    ("shift", "expected"),
    [
        ((0, 0), [[1, 2, 3], [4, 5, 6], [7, 8, 9]]),
        ((1, 0), [[0, 0, 0], [1, 2, 3], [4, 5, 6]]),  # down
        ((-1, 0), [[4, 5, 6], [7, 8, 9], [0, 0, 0]]),  # up
        ((0, 1), [[0, 1, 2], [0, 4, 5], [0, 7, 8]]),  # right
        ((0, -1), [[2, 3, 0], [5, 6, 0], [8, 9, 0]]),  # left
        ((1, 1), [[0, 0, 0], [0, 1, 2], [0, 4, 5]]),
        ((-1, 1), [[0, 4, 5], [0, 7, 8], [0, 0, 0]]),
        ((1, -1), [[0, 0, 0], [2, 3, 0], [5, 6, 0]]),
        ((-1, -1), [[5, 6, 0], [8, 9, 0], [0, 0, 0]]),
        ((2, 0), [[0, 0, 0], [0, 0, 0], [1, 2, 3]]),
        ((0, -2), [[3, 0, 0], [6, 0, 0], [9, 0, 0]]),
        ((-2, 2), [[0, 0, 7], [0, 0, 0], [0, 0, 0]]),
    ],
)
def test_shift_images_by_hand(shift: tuple[int, int], expected: list[list[int]]) -> None:
    out = shift_images(SQUARE[None], np.array([shift]))
    np.testing.assert_array_equal(out, [expected])
    assert out.dtype == SQUARE.dtype


def test_shift_moves_the_value_at_i_j_to_i_plus_down_j_plus_right() -> None:
    image = np.zeros((1, 6, 7), dtype=np.float32)
    image[0, 2, 3] = 1.0
    out = shift_images(image, np.array([[3, -2]]))
    assert out[0, 5, 1] == 1.0 and out.sum() == 1.0


def test_each_image_gets_its_own_shift_and_the_input_is_untouched() -> None:
    images = np.stack([SQUARE, 10 * SQUARE, 100 * SQUARE]).astype(np.float32)
    before = images.copy()
    out = shift_images(images, np.array([[1, 0], [0, 0], [0, -1]]))
    np.testing.assert_array_equal(out[0], shift_images(images[:1], np.array([[1, 0]]))[0])
    np.testing.assert_array_equal(out[1], images[1])
    np.testing.assert_array_equal(out[2], [[200, 300, 0], [500, 600, 0], [800, 900, 0]])
    np.testing.assert_array_equal(images, before)
    assert out is not images and out.dtype == np.float32
    # (0, 0) is a copy, not a view: writing to it leaves the input alone.
    out[1, 0, 0] = -1
    assert images[1, 0, 0] == 10


def test_uncovered_border_is_zero_not_wrapped() -> None:
    ones = np.ones((1, 4, 5))
    out = shift_images(ones, np.array([[-1, 2]]))
    assert out[0, 3].sum() == 0  # bottom row uncovered by an upward shift
    assert out[0, :, :2].sum() == 0  # two left columns uncovered by a shift to the right
    assert out.sum() == 3 * 3  # what is left: 3 rows by 3 columns of ones


def test_shift_preserves_mass_when_the_shifted_out_border_is_zero() -> None:
    rng = np.random.default_rng(1)
    images = np.zeros((40, 9, 9), dtype=np.float64)
    images[:, 2:-2, 2:-2] = rng.random((40, 5, 5)) + 0.1  # a zero border two pixels wide
    shifts = rng.integers(-2, 3, size=(40, 2))
    out = shift_images(images, shifts)
    np.testing.assert_allclose(out.sum(axis=(1, 2)), images.sum(axis=(1, 2)), rtol=1e-12)
    # With nothing falling off the edge, a shift is a roll.
    for image, moved, (down, right) in zip(images, out, shifts):
        np.testing.assert_array_equal(moved, np.roll(image, (down, right), axis=(0, 1)))
    # A shift larger than the border loses pixels.
    assert shift_images(images[:1], np.array([[3, 0]])).sum() < images[0].sum()


def test_shift_images_on_digits(digits: Digits) -> None:
    x = digits.x_train[:10]
    out = shift_images(x, np.zeros((10, 2), dtype=np.int64))
    np.testing.assert_array_equal(out, x)
    out = shift_images(x, np.full((10, 2), 7))  # the largest shift: only the top-left pixel survives
    np.testing.assert_array_equal(out[:, 7, 7], x[:, 0, 0])
    assert out[:, :7, :].sum() == 0 and out[:, :, :7].sum() == 0


def test_shift_images_accepts_lists_and_an_empty_stack() -> None:
    out = shift_images([[[1, 2], [3, 4]]], [[0, 1]])  # type: ignore[arg-type]
    np.testing.assert_array_equal(out, [[[0, 1], [0, 3]]])
    empty = shift_images(np.zeros((0, 3, 3)), np.zeros((0, 2), dtype=np.int64))
    assert empty.shape == (0, 3, 3)


@pytest.mark.parametrize(
    ("shape", "shifts_shape"), [((2, 3, 3), (2, 3)), ((2, 3, 3), (3, 2)), ((2, 3, 3), (2,))]
)
def test_shift_images_rejects_mismatched_shift_shapes(
    shape: tuple[int, ...], shifts_shape: tuple[int, ...]
) -> None:
    expected = re.escape(f"shifts must be integers of shape (2, 2), got int64 {shifts_shape}")
    with pytest.raises(ValueError, match=expected):
        shift_images(np.zeros(shape), np.zeros(shifts_shape, dtype=np.int64))


@pytest.mark.parametrize("dtype", [np.float64, np.float32, bool])
def test_shift_images_rejects_non_integer_shifts(dtype: type) -> None:
    shifts: np.ndarray = np.ones((2, 2), dtype=dtype)
    expected = re.escape(f"shifts must be integers of shape (2, 2), got {shifts.dtype} (2, 2)")
    with pytest.raises(ValueError, match=expected):
        shift_images(np.zeros((2, 3, 3)), shifts)


@pytest.mark.parametrize("shift", [(3, 0), (-3, 0), (0, 4), (0, -4), (5, 5)])
def test_shift_images_rejects_shifts_as_large_as_the_image(shift: tuple[int, int]) -> None:
    images = np.ones((2, 3, 4))
    with pytest.raises(ValueError, match=r"shifts must be smaller than the image size 3x4"):
        shift_images(images, np.array([[0, 0], shift]))


@pytest.mark.parametrize(
    ("shift", "survivors"), [((2, 0), 4), ((-2, 0), 4), ((0, 3), 3), ((0, -3), 3), ((2, -3), 1)]
)
def test_shift_images_allows_one_less_than_the_image_size(shift: tuple[int, int], survivors: int) -> None:
    out = shift_images(np.ones((1, 3, 4)), np.array([shift]))
    assert out.sum() == survivors  # one row (4 pixels), one column (3 pixels), or one corner pixel


@pytest.mark.parametrize("shape", [(3, 3), (2, 3, 3, 1), (9,)])
def test_shift_images_rejects_arrays_that_are_not_3d(shape: tuple[int, ...]) -> None:
    expected = re.escape(f"expected grey images of shape (N, H, W), got shape {shape}")
    with pytest.raises(ValueError, match=expected):
        shift_images(np.zeros(shape), np.zeros((shape[0], 2), dtype=np.int64))


# --- batch_stream ------------------------------------------------------------------------------------------


def _labelled_images(n: int, height: int = 4, width: int = 5) -> tuple[np.ndarray, np.ndarray]:
    """Images whose pixels all equal their index, and labels 0..n-1: every batch says where it came from."""
    y = np.arange(n)
    x = np.broadcast_to(y[:, None, None], (n, height, width)).astype(np.float32)
    return x, y


def _take(stream: Iterator[tuple[np.ndarray, np.ndarray]], count: int) -> list[tuple[np.ndarray, np.ndarray]]:
    return [next(stream) for _ in range(count)]


def test_batch_stream_epochs_are_permutations_cut_into_batches() -> None:
    x, y = _labelled_images(10)
    batches = _take(batch_stream(x, y, batch_size=4, seed=0), 3 * 3 + 1)
    assert [len(b[1]) for b in batches] == [4, 4, 2] * 3 + [4]  # then the next epoch starts
    orders = [np.concatenate([b[1] for b in batches[3 * e : 3 * e + 3]]) for e in range(3)]
    for order in orders:
        assert sorted(order.tolist()) == list(range(10))  # each example exactly once an epoch
    assert not np.array_equal(orders[0], orders[1]) and not np.array_equal(orders[1], orders[2])
    # The images travel with their labels.
    for images, labels in batches:
        np.testing.assert_array_equal(images, x[labels])


def test_batch_stream_without_shift_follows_fixed_batches() -> None:
    # The same seeded order as fixed_batches: one default_rng(seed).permutation an epoch.
    x, y = _labelled_images(11)
    labels = [b[1] for b in _take(batch_stream(x, y, batch_size=3, seed=7), 8)]
    expected = fixed_batches(11, 3, epochs=2, seed=7)
    assert len(expected) == 8
    for got, want in zip(labels, expected):
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize(
    ("n", "size", "per_epoch"), [(12, 4, 3), (5, 5, 1), (3, 10, 1), (7, 1, 7), (1347, 32, 43)]
)
def test_batch_stream_has_ceil_n_over_batch_size_batches_an_epoch(n: int, size: int, per_epoch: int) -> None:
    x, y = _labelled_images(n, 2, 2)
    batches = _take(batch_stream(x, y, batch_size=size), per_epoch)
    assert sum(len(b[1]) for b in batches) == n
    assert sorted(np.concatenate([b[1] for b in batches]).tolist()) == list(range(n))
    assert all(len(b[1]) == size for b in batches[:-1])


def test_batch_stream_is_reproducible_by_seed() -> None:
    x, y = _labelled_images(20)
    a = _take(batch_stream(x, y, batch_size=6, seed=3, max_shift=1), 8)
    b = _take(batch_stream(x, y, batch_size=6, seed=3, max_shift=1), 8)
    c = _take(batch_stream(x, y, batch_size=6, seed=4, max_shift=1), 8)
    for (xa, ya), (xb, yb) in zip(a, b):
        np.testing.assert_array_equal(xa, xb)
        np.testing.assert_array_equal(ya, yb)
    assert not all(np.array_equal(ya, yc) for (_, ya), (_, yc) in zip(a, c))


def test_batch_stream_accepts_numpy_integers() -> None:
    x, y = _labelled_images(6)
    stream = batch_stream(x, y, batch_size=np.int64(4), seed=np.uint32(0), max_shift=np.int8(0))  # type: ignore[arg-type]
    assert [len(next(stream)[1]) for _ in range(2)] == [4, 2]


@pytest.mark.parametrize(
    ("layout", "shape"),
    [("NHW", (4, 8, 8)), ("flat", (4, 64)), ("NHWC", (4, 8, 8, 1)), ("NCHW", (4, 1, 8, 8))],
)
@pytest.mark.parametrize("max_shift", [0, 2])
def test_batch_stream_layouts(digits: Digits, layout: str, shape: tuple[int, ...], max_shift: int) -> None:
    stream = batch_stream(digits.x_train, digits.y_train, batch_size=4, layout=layout, max_shift=max_shift)
    images, labels = next(stream)
    assert images.shape == shape and images.dtype == np.float32
    assert labels.shape == (4,) and labels.dtype == np.int64
    # The same seed without a layout gives the same pixels, only indexed differently.
    plain, plain_labels = next(
        batch_stream(digits.x_train, digits.y_train, batch_size=4, max_shift=max_shift)
    )
    np.testing.assert_array_equal(images.reshape(4, 8, 8), plain)
    np.testing.assert_array_equal(labels, plain_labels)


def test_batch_stream_default_layout_is_nhw(digits: Digits) -> None:
    images, _ = next(batch_stream(digits.x_train, digits.y_train, batch_size=5))
    assert images.shape == (5, 8, 8)


def test_batch_stream_with_max_shift_zero_returns_the_images_unchanged(digits: Digits) -> None:
    # The order depends only on N, the batch size and the seed: read it off index-labelled images.
    n = len(digits.y_train)
    x_index, index = _labelled_images(n, 1, 1)
    # 15 batches: one epoch of 14 (13 of 100 and one of 47) and the start of the next.
    order = [b[1] for b in _take(batch_stream(x_index, index, batch_size=100, seed=2), 15)]
    stream = batch_stream(digits.x_train, digits.y_train, batch_size=100, seed=2, max_shift=0)
    for (images, labels), rows in zip(_take(stream, 15), order):
        np.testing.assert_array_equal(images, digits.x_train[rows])
        np.testing.assert_array_equal(labels, digits.y_train[rows])


ALL_SHIFTS = [(down, right) for down in (-1, 0, 1) for right in (-1, 0, 1)]


def test_batch_stream_shifts_each_image_by_at_most_max_shift() -> None:
    rng = np.random.default_rng(0)
    n = 60
    x = rng.random((n, 6, 6)).astype(np.float32) + 0.5  # dense, distinct: a shift is recognisable
    y = np.arange(n)
    seen: Counter[tuple[int, int]] = Counter()
    changed = 0
    for images, labels in _take(batch_stream(x, y, batch_size=16, seed=1, max_shift=1), 8):  # two epochs
        for image, label in zip(images, labels):
            source = x[label]
            matches = [
                s for s in ALL_SHIFTS if np.array_equal(image, shift_images(source[None], np.array([s]))[0])
            ]
            assert len(matches) == 1, (label, matches)  # exactly one of the 9 shifts explains it
            seen[matches[0]] += 1
            changed += not np.array_equal(image, source)
    assert sum(seen.values()) == 2 * n
    assert set(seen) == set(ALL_SHIFTS)  # every shift in [-1, 1]² occurs in 120 draws
    assert changed > n  # most images moved (8 shifts in 9 do)


def test_batch_stream_shift_keeps_the_labels_in_whole_permutations() -> None:
    # Augmentation draws from the same generator after each permutation, so only the first epoch's
    # order is fixed_batches'; every epoch is still a permutation.
    x, y = _labelled_images(9)
    labels = [b[1] for b in _take(batch_stream(x, y, batch_size=3, seed=5, max_shift=2), 9)]
    np.testing.assert_array_equal(np.concatenate(labels[:3]), np.concatenate(fixed_batches(9, 3, 1, seed=5)))
    for epoch in range(3):
        assert sorted(np.concatenate(labels[3 * epoch : 3 * epoch + 3]).tolist()) == list(range(9))


def test_batch_stream_does_not_modify_its_input() -> None:
    x, y = _labelled_images(8)
    x, y = x.copy(), y.copy()
    before = x.copy()
    for images, _ in _take(batch_stream(x, y, batch_size=3, max_shift=2), 6):
        images[...] = -1  # a consumer writing into a batch must not reach the data set
    np.testing.assert_array_equal(x, before)
    np.testing.assert_array_equal(y, np.arange(8))


# Each argument of batch_stream: a wrong value of the right type (ValueError) or of the wrong type (TypeError),
# and its message. All raise on the call, not on the first next().
@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"batch_size": 0}, ValueError, "batch_size must be a positive integer, got 0"),
        ({"batch_size": -1}, ValueError, "batch_size must be a positive integer, got -1"),
        ({"max_shift": -1}, ValueError, "max_shift must be a non-negative integer, got -1"),
        (
            {"layout": "nhwc"},
            ValueError,
            "unknown layout 'nhwc': expected one of 'NHW', 'flat', 'NHWC', 'NCHW'",
        ),
        (
            {"layout": "CHW"},
            ValueError,
            "unknown layout 'CHW': expected one of 'NHW', 'flat', 'NHWC', 'NCHW'",
        ),
        ({"layout": ""}, ValueError, "unknown layout '': expected one of 'NHW', 'flat', 'NHWC', 'NCHW'"),
        ({"layout": None}, ValueError, "unknown layout None: expected one of 'NHW', 'flat', 'NHWC', 'NCHW'"),
        *(({"seed": seed}, ValueError, message) for seed, message in OUT_OF_RANGE_SEEDS),
        ({"batch_size": True}, TypeError, "batch_size must be an integer, got bool True"),
        ({"batch_size": 2.0}, TypeError, "batch_size must be an integer, got float 2.0"),
        ({"batch_size": "4"}, TypeError, "batch_size must be an integer, got str '4'"),
        ({"batch_size": None}, TypeError, "batch_size must be an integer, got NoneType None"),
        ({"max_shift": True}, TypeError, "max_shift must be an integer, got bool True"),
        ({"max_shift": False}, TypeError, "max_shift must be an integer, got bool False"),
        ({"max_shift": 1.0}, TypeError, "max_shift must be an integer, got float 1.0"),
        ({"max_shift": "1"}, TypeError, "max_shift must be an integer, got str '1'"),
        *(
            ({"seed": seed}, TypeError, f"seed must be an integer, got {shown}")
            for seed, shown in NON_INTEGER_SEEDS
        ),
    ],
)
def test_batch_stream_rejects_bad_arguments(
    kwargs: dict[str, object], error: type[Exception], message: str
) -> None:
    x, y = _labelled_images(5)
    with pytest.raises(error, match=f"^{re.escape(message)}$"):
        batch_stream(x, y, **{"batch_size": 2, **kwargs})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("x_shape", "y_shape"),
    [((10, 4, 5), (9,)), ((10, 4, 5), (11,)), ((10, 20), (10,)), ((10, 4, 5, 1), (10,))],
)
def test_batch_stream_rejects_mismatched_or_non_3d_data(
    x_shape: tuple[int, ...], y_shape: tuple[int, ...]
) -> None:
    expected = re.escape(f"expected images (N, H, W) and N labels, got shapes {x_shape} and {y_shape}")
    with pytest.raises(ValueError, match=expected):
        batch_stream(np.zeros(x_shape), np.zeros(y_shape), batch_size=2)


def test_batch_stream_rejects_an_empty_data_set() -> None:
    with pytest.raises(ValueError, match=r"x is empty"):
        batch_stream(np.zeros((0, 8, 8)), np.zeros(0, dtype=np.int64), batch_size=4)


def test_batch_stream_rejects_a_shift_as_large_as_the_image_at_once() -> None:
    with pytest.raises(ValueError, match=r"max_shift must be smaller than the image size 3x3, got 3"):
        batch_stream(np.zeros((2, 3, 3)), np.zeros(2, dtype=np.int64), batch_size=1, max_shift=3)


def test_shift_images_accepts_unsigned_and_narrow_integer_shifts() -> None:
    images = np.arange(9.0).reshape(1, 3, 3)
    expected = shift_images(images, np.array([[1, 0]]))
    np.testing.assert_array_equal(shift_images(images, np.array([[1, 0]], dtype=np.uint8)), expected)
    np.testing.assert_array_equal(
        shift_images(images, np.array([[-1, 0]], dtype=np.int8)), shift_images(images, np.array([[-1, 0]]))
    )


# --- the validation split (chapter 2) ------------------------------------------------------------------------


def test_validation_split_is_stratified_disjoint_and_fixed(digits: Digits) -> None:
    x, y = digits.train()
    x_fit, y_fit, x_val, y_val = twice.data.validation_split(x, y, 0.2, seed=0)
    assert (len(y_fit), len(y_val)) == (1077, 270)
    assert x_fit.shape[1:] == x_val.shape[1:] == (8, 8)
    # Every image lands in exactly one part: the two parts together are the training set, reordered.
    rows = {row.tobytes() for row in x.reshape(len(x), -1)}
    fit_rows = {row.tobytes() for row in x_fit.reshape(len(x_fit), -1)}
    val_rows = {row.tobytes() for row in x_val.reshape(len(x_val), -1)}
    assert fit_rows | val_rows == rows and not fit_rows & val_rows
    # Stratified: each digit's share differs by less than one image between the parts.
    shares = np.bincount(y_val, minlength=10) / np.bincount(y, minlength=10)
    assert np.all(np.abs(shares - 0.2) < 1 / np.bincount(y).min())
    again = twice.data.validation_split(x, y, 0.2, seed=0)
    assert all(np.array_equal(a, b) for a, b in zip(again, (x_fit, y_fit, x_val, y_val), strict=True))
    other = twice.data.validation_split(x, y, 0.2, seed=1)
    assert not np.array_equal(other[3], y_val)


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [({"validation_fraction": 0.0}, ValueError), ({"validation_fraction": "0.2"}, TypeError),
     ({"seed": -1}, ValueError)],
)  # fmt: skip
def test_validation_split_refuses_bad_arguments(digits: Digits, kwargs: dict[str, object], error: type) -> None:
    x, y = digits.train()
    with pytest.raises(error):
        twice.data.validation_split(x, y, **kwargs)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="same length"):
        twice.data.validation_split(x, y[:-1])
