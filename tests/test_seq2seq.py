"""Tests for twice.data.seq2seq: reversal and sorting (seeded, padded at the end, answers checked row by row),
dates in several languages turned into ISO dates (checked with datetime and against month names written out
here, not taken from Babel), the character vocabularies, and the exact-match and per-position scores."""

from __future__ import annotations

import dataclasses
import datetime
import re
from collections import Counter
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import twice
from twice.data import (
    DATE_FORMATS,
    ISO_CHARACTERS,
    ISO_LENGTH,
    PAD_INDEX,
    CharVocabulary,
    DateTask,
    SequenceTask,
    dates,
    exact_match,
    position_accuracy,
    reversal,
    sorting,
)

NON_INTEGERS = [(2.0, "float 2.0"), ("4", "str '4'"), (True, "bool True"), (None, "NoneType None")]
TASKS: dict[str, Callable[..., SequenceTask]] = {"reversal": reversal, "sorting": sorting}
ANSWERS: dict[str, Callable[[list[int]], list[int]]] = {
    "reversal": lambda symbols: symbols[::-1],
    "sorting": sorted,
}

# Month names as the languages write them in a date ("22 avril 2019"), written out here from the languages
# themselves, so that the test does not check Babel against Babel.
MONTHS = {
    "en": "January February March April May June July August September October November December",
    "fr": "janvier février mars avril mai juin juillet août septembre octobre novembre décembre",
    "de": "Januar Februar März April Mai Juni Juli August September Oktober November Dezember",
    "es": "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre",
}


# --- reversal and sorting -----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", TASKS)
@pytest.mark.parametrize(("n", "length", "vocab"), [(1, 1, 1), (4, 8, 10), (50, 16, 3), (7, 5, 100)])
def test_symbol_tasks_shapes_dtypes_and_symbols(name: str, n: int, length: int, vocab: int) -> None:
    task = TASKS[name](n, length, vocab=vocab, seed=0)
    assert isinstance(task, SequenceTask) and task.name == name
    assert task.x.shape == task.y.shape == (n, length) and len(task) == n
    assert task.x.dtype == task.y.dtype == task.lengths.dtype == np.int64
    assert task.vocab == vocab and task.num_classes == vocab + 1
    assert task.x.min() >= 1 and task.x.max() <= vocab  # no padding without min_length
    np.testing.assert_array_equal(task.lengths, np.full(n, length))
    assert task.mask.all() and task.mask.dtype == np.bool_


def test_symbols_are_uniform_over_one_to_vocab() -> None:
    task = reversal(2000, 10, vocab=5, seed=3)
    counts = np.bincount(task.x.ravel(), minlength=6)
    assert counts[0] == 0
    assert np.abs(counts[1:] / counts.sum() - 0.2).max() < 0.01


@pytest.mark.parametrize("name", TASKS)
@pytest.mark.parametrize("min_length", [None, 1, 3, 12])
def test_targets_answer_the_task_row_by_row(name: str, min_length: int | None) -> None:
    task = TASKS[name](300, 12, vocab=6, min_length=min_length, seed=1)
    for x, y, size in zip(task.x.tolist(), task.y.tolist(), task.lengths.tolist()):
        assert y[:size] == ANSWERS[name](x[:size])
        assert x[size:] == y[size:] == [PAD_INDEX] * (12 - size)
        assert PAD_INDEX not in x[:size]


def test_reversal_is_its_own_inverse_and_sorting_keeps_the_symbols() -> None:
    forward = reversal(100, 9, seed=2)
    np.testing.assert_array_equal(forward.y[:, ::-1], forward.x)
    ordered = sorting(100, 9, seed=2)
    assert (np.diff(ordered.y, axis=1) >= 0).all()
    for x, y in zip(ordered.x, ordered.y):
        assert Counter(x.tolist()) == Counter(y.tolist())


@pytest.mark.parametrize("name", TASKS)
def test_padding_semantics(name: str) -> None:
    task = TASKS[name](2000, 8, min_length=3, seed=4)
    assert set(task.lengths.tolist()) == set(range(3, 9))  # every length from min_length to length
    positions = np.arange(8)
    np.testing.assert_array_equal(task.mask, positions < task.lengths[:, None])
    np.testing.assert_array_equal(task.x != 0, task.mask)
    np.testing.assert_array_equal(task.y != 0, task.mask)  # targets padded exactly where the inputs are
    assert task.mask.sum(axis=1).tolist() == task.lengths.tolist()


@pytest.mark.parametrize("name", TASKS)
def test_pre_padding_puts_the_inputs_last_and_leaves_the_targets_first(name: str) -> None:
    post = TASKS[name](500, 9, min_length=2, seed=5)
    pre = TASKS[name](500, 9, min_length=2, padding="pre", seed=5)
    assert pre.padding == "pre" and post.padding == "post"
    np.testing.assert_array_equal(pre.lengths, post.lengths)
    np.testing.assert_array_equal(pre.y, post.y)  # the targets are padded at the end either way
    np.testing.assert_array_equal(pre.target_mask, post.mask)
    np.testing.assert_array_equal(pre.mask, post.mask[:, ::-1])
    for pre_row, post_row, size in zip(pre.x.tolist(), post.x.tolist(), pre.lengths.tolist()):
        assert pre_row == [PAD_INDEX] * (9 - size) + post_row[:size]
    np.testing.assert_array_equal(post.target_mask, post.mask)
    if name == "reversal":  # the whole row reversed: the mirror position no longer depends on the length
        np.testing.assert_array_equal(pre.y, pre.x[:, ::-1])


def test_padding_must_be_post_or_pre() -> None:
    for make in TASKS.values():
        with pytest.raises(ValueError, match=r"^unknown padding 'start': expected one of 'post', 'pre'$"):
            make(2, 4, padding="start")


def test_the_same_seed_gives_the_same_task_and_another_seed_another() -> None:
    for make in TASKS.values():
        first, again = make(20, 6, min_length=2, seed=7), make(20, 6, min_length=2, seed=7)
        for name in ("x", "y", "lengths"):
            np.testing.assert_array_equal(getattr(first, name), getattr(again, name))
        assert not np.array_equal(first.x, make(20, 6, min_length=2, seed=8).x)


def test_the_draws_are_numpy_default_rng_in_the_documented_order() -> None:
    rng = np.random.default_rng(5)
    symbols = rng.integers(1, 11, size=(6, 7), dtype=np.int64)
    lengths = rng.integers(2, 8, size=6, dtype=np.int64)
    task = reversal(6, 7, min_length=2, seed=5)
    np.testing.assert_array_equal(task.lengths, lengths)
    np.testing.assert_array_equal(task.x[task.mask], symbols[np.arange(7) < lengths[:, None]])
    # Without min_length the same seed draws the same symbols, without padding.
    np.testing.assert_array_equal(reversal(6, 7, seed=5).x, symbols)
    np.testing.assert_array_equal(reversal(6, 7, min_length=7, seed=5).x, symbols)


def test_reversal_and_sorting_share_their_inputs() -> None:
    np.testing.assert_array_equal(
        reversal(10, 5, min_length=1, seed=0).x, sorting(10, 5, min_length=1, seed=0).x
    )


def test_sequence_task_repr_frozen_and_numpy_integers() -> None:
    numpy_integers: dict[str, Any] = {"vocab": np.int64(4), "min_length": np.int64(2), "seed": np.int64(4)}
    task = reversal(np.int64(3), np.int64(5), **numpy_integers)  # type: ignore[arg-type]
    assert repr(task) == "SequenceTask(name='reversal', N=3, T=5, vocab=4, lengths 2..5, padding='post')"
    with pytest.raises(dataclasses.FrozenInstanceError):
        task.vocab = 3  # type: ignore[misc]
    assert task.mask is not task.mask  # a new array each time: writing into one changes nothing


@pytest.mark.parametrize("name", TASKS)
@pytest.mark.parametrize("argument", ["num_examples", "length", "vocab", "min_length", "seed"])
@pytest.mark.parametrize(("value", "shown"), NON_INTEGERS)
def test_symbol_tasks_refuse_non_integers(name: str, argument: str, value: object, shown: str) -> None:
    arguments: dict[str, Any] = {"num_examples": 2, "length": 4, "vocab": 3, "min_length": 2, "seed": 0}
    arguments[argument] = value
    if argument == "min_length" and value is None:
        return  # None is the default: no padding
    with pytest.raises(TypeError, match=f"^{argument} must be an integer, got {re.escape(shown)}$"):
        TASKS[name](**arguments)


@pytest.mark.parametrize(
    ("arguments", "match"),
    [
        ({"num_examples": 0}, r"^num_examples must be a positive integer, got 0$"),
        ({"length": 0}, r"^length must be a positive integer, got 0$"),
        ({"vocab": 0}, r"^vocab must be a positive integer, got 0$"),
        ({"min_length": 0}, r"^min_length must be a positive integer, got 0$"),
        ({"min_length": 5}, r"^min_length must be an integer <= 4, got 5$"),
        ({"seed": -1}, r"^seed must be a non-negative integer, got -1$"),
        ({"seed": 2**32}, r"^seed must be an integer <= 4294967295"),
    ],
)
def test_symbol_tasks_refuse_values_out_of_range(arguments: dict[str, Any], match: str) -> None:
    full: dict[str, Any] = {"num_examples": 2, "length": 4, **arguments}
    for make in TASKS.values():
        with pytest.raises(ValueError, match=match):
            make(**full)


# --- CharVocabulary -----------------------------------------------------------------------------------------


def test_char_vocabulary_indices_from_one_and_padding_at_zero() -> None:
    vocabulary = CharVocabulary("ba-")
    assert len(vocabulary) == 4
    assert [vocabulary.index(c) for c in "ba-"] == [1, 2, 3]
    assert "a" in vocabulary and "c" not in vocabulary and "" not in vocabulary
    ids = vocabulary.encode(["ab", "", "-"], length=3)
    np.testing.assert_array_equal(ids, [[2, 1, 0], [0, 0, 0], [3, 0, 0]])
    assert ids.dtype == np.int64
    assert vocabulary.decode(ids) == ["ab", "", "-"]
    assert vocabulary.encode(["ab", "b"]).shape == (2, 2)  # the longest text by default
    assert vocabulary.encode([]).shape == (0, 1) and vocabulary.encode([""]).shape == (1, 1)
    assert vocabulary == CharVocabulary("ba-") and vocabulary != CharVocabulary("ab-")


def test_char_vocabulary_refuses_bad_input() -> None:
    vocabulary = CharVocabulary("ab")
    with pytest.raises(TypeError, match="characters must be a string"):
        CharVocabulary(["a", "b"])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="characters is empty"):
        CharVocabulary("")
    with pytest.raises(ValueError, match=r"appear more often: \['a'\]"):
        CharVocabulary("aba")
    with pytest.raises(KeyError, match="'c' is not one of the characters 'ab'"):
        vocabulary.encode(["abc"])
    with pytest.raises(ValueError, match="a text has 3 characters, more than length=2"):
        vocabulary.encode(["aba"], length=2)  # never cut
    with pytest.raises(TypeError, match="texts must be a list of strings, got str"):
        vocabulary.encode("ab")
    with pytest.raises(TypeError, match=r"texts\[1\] must be a string, got int"):
        vocabulary.encode(["a", 1])  # type: ignore[list-item]
    with pytest.raises(ValueError, match=r"ids must lie in 0..2, got 0..3"):
        vocabulary.decode(np.array([[0, 3]]))
    with pytest.raises(TypeError, match="ids must be integer indices"):
        vocabulary.decode(np.array([[1.0]]))
    with pytest.raises(ValueError, match=r"ids must have shape \(N, T\)"):
        vocabulary.decode(np.array([1, 2]))


# --- dates --------------------------------------------------------------------------------------------------


def test_dates_shapes_vocabularies_and_round_trip() -> None:
    task = dates(500, seed=0)
    assert isinstance(task, DateTask) and len(task) == 500
    assert task.languages == ("en",) and task.formats == DATE_FORMATS
    assert task.x.dtype == task.y.dtype == np.int64
    assert task.y.shape == (500, ISO_LENGTH) and (task.y != PAD_INDEX).all()
    assert task.target_vocabulary == CharVocabulary(ISO_CHARACTERS)
    assert task.input_vocabulary.decode(task.x) == list(task.texts)
    assert task.target_vocabulary.decode(task.y) == list(task.targets)
    np.testing.assert_array_equal(task.mask, task.x != 0)
    np.testing.assert_array_equal(task.mask.sum(axis=1), [len(text) for text in task.texts])
    for target in task.targets:
        assert datetime.date.fromisoformat(target).isoformat() == target  # a real date, written the ISO way


# Python's strptime reads English month names (the C locale), so the English texts are checked without Babel.
STRPTIME = {"d MMMM y": "%d %B %Y", "MMMM d, y": "%B %d, %Y", "d MMM y": "%d %b %Y", "dd/MM/y": "%d/%m/%Y"}


def test_english_texts_say_their_iso_dates() -> None:
    task = dates(2000, seed=1, formats=tuple(STRPTIME))
    assert set(task.text_formats) == set(STRPTIME)
    for text, target, pattern in zip(task.texts, task.targets, task.text_formats):
        assert datetime.datetime.strptime(text, STRPTIME[pattern]).date().isoformat() == target


def test_the_languages_write_their_own_month_names() -> None:
    task = dates(4000, seed=2, languages=tuple(MONTHS), formats=("d MMMM y",))
    assert set(task.text_languages) == set(MONTHS)
    for text, target, language in zip(task.texts, task.targets, task.text_languages):
        day, month, year = text.split(" ")
        iso = datetime.date.fromisoformat(target)
        assert (int(day), month, int(year)) == (iso.day, MONTHS[language].split()[iso.month - 1], iso.year)
    written = Counter(zip(task.text_languages, (text.split(" ")[1] for text in task.texts)))
    assert all(written[language, month] > 0 for language in MONTHS for month in MONTHS[language].split())


def test_named_formats_are_each_languages_own() -> None:
    task = dates(400, seed=3, languages=("en", "fr", "de", "es"), formats=("long",))
    examples = {
        "en": re.compile(r"^[A-Z][a-z]+ \d{1,2}, \d{4}$"),  # April 22, 2019
        "fr": re.compile(r"^\d{1,2} [a-zéû]+ \d{4}$"),  # 22 avril 2019
        "de": re.compile(r"^\d{1,2}\. [A-ZÄ][a-zä]+ \d{4}$"),  # 22. April 2019
        "es": re.compile(r"^\d{1,2} de [a-z]+ de \d{4}$"),  # 22 de abril de 2019
    }
    for text, language in zip(task.texts, task.text_languages):
        assert examples[language].match(text), (language, text)


def test_no_break_spaces_are_written_as_spaces() -> None:
    task = dates(20, seed=0, languages=("ru",), formats=("long",))  # CLDR: "22 апреля 2019\u202fг."
    assert all(text.endswith(" г.") for text in task.texts)
    assert "\u202f" not in task.input_vocabulary.characters and "\u00a0" not in "".join(task.texts)


def test_dates_are_drawn_uniformly_from_the_years() -> None:
    task = dates(5000, seed=4, years=(2019, 2020))
    days = [datetime.date.fromisoformat(target) for target in task.targets]
    assert min(days) >= datetime.date(2019, 1, 1) and max(days) <= datetime.date(2020, 12, 31)
    months = Counter(day.month for day in days)
    assert len(months) == 12 and max(months.values()) / min(months.values()) < 1.4
    default = [int(target[:4]) for target in dates(3000, seed=5).targets]
    assert 1950 <= min(default) < 1955 and 2044 < max(default) <= 2049
    one_day = dates(3, seed=0, years=(2000, 2000))
    assert all(target.startswith("2000-") for target in one_day.targets)


def test_languages_and_formats_are_drawn_uniformly() -> None:
    task = dates(4000, seed=6, languages=("en", "fr"), formats=("d MMMM y", "dd/MM/y"))
    pairs = Counter(zip(task.text_languages, task.text_formats))
    assert len(pairs) == 4 and all(abs(count / 4000 - 0.25) < 0.03 for count in pairs.values())


def test_dates_same_seed_same_set_and_the_vocabulary_and_width_do_not_depend_on_it() -> None:
    first, again, other = (dates(300, seed=s, languages=("en", "fr")) for s in (7, 7, 8))
    assert first.texts == again.texts and first.text_formats == again.text_formats
    np.testing.assert_array_equal(first.x, again.x)
    assert first.texts != other.texts
    assert first.input_vocabulary == other.input_vocabulary and first.x.shape[1] == other.x.shape[1]
    tiny = dates(1, seed=9, languages=("en", "fr"))  # one short date: still the full vocabulary and width
    assert tiny.input_vocabulary == first.input_vocabulary and tiny.x.shape[1] == first.x.shape[1]


def test_the_width_is_the_longest_text_the_formats_can_write() -> None:
    # English's longest month name, September, with a two-digit day.
    assert dates(1, seed=0, formats=("MMMM d, y",)).x.shape == (1, len("September 22, 2019"))
    assert dates(1, seed=0, formats=("dd/MM/y",)).x.shape == (1, 10)
    weekdays = dates(1, seed=0, formats=("EEEE d MMMM y",)).x.shape[1]
    assert weekdays == len("Wednesday 22 September 2019")
    characters = dates(1, seed=0, formats=("dd/MM/y",)).input_vocabulary.characters
    assert characters == "/0123456789"  # every digit, whichever were drawn


def test_the_vocabulary_holds_every_character_the_formats_can_write() -> None:
    task = dates(3000, seed=10, languages=("fr", "de"))
    vocabulary = task.input_vocabulary.characters
    assert list(vocabulary) == sorted(vocabulary)  # by code point
    assert {"é", "û", "ä", "."} <= set(vocabulary)  # février, août, März, "22. April", "févr."
    assert set("".join(task.texts)) <= set(vocabulary)


def test_the_draws_are_days_then_languages_then_formats() -> None:
    rng = np.random.default_rng(11)
    start, stop = datetime.date(1950, 1, 1).toordinal(), datetime.date(2049, 12, 31).toordinal()
    days = rng.integers(start, stop + 1, size=50)
    languages = rng.integers(0, 2, size=50)
    formats = rng.integers(0, len(DATE_FORMATS), size=50)
    task = dates(50, seed=11, languages=("en", "de"))
    assert task.targets == tuple(datetime.date.fromordinal(day).isoformat() for day in days.tolist())
    assert task.text_languages == tuple(("en", "de")[k] for k in languages.tolist())
    assert task.text_formats == tuple(DATE_FORMATS[k] for k in formats.tolist())


def test_date_task_repr_and_frozen() -> None:
    task = dates(3, languages=("en", "fr"), seed=1)
    assert repr(task) == "DateTask(N=3, S=18, languages=('en', 'fr'), formats=5, input characters=45)"
    with pytest.raises(dataclasses.FrozenInstanceError):
        task.texts = ()  # type: ignore[misc]


@pytest.mark.parametrize(
    ("arguments", "error", "match"),
    [
        ({"languages": ("xx",)}, ValueError, r"unknown language 'xx'"),
        ({"languages": "en"}, TypeError, r"languages must be a tuple of strings, got str 'en'"),
        ({"languages": ()}, ValueError, r"languages is empty"),
        ({"languages": ("en", "en")}, ValueError, r"languages names one more than once"),
        ({"languages": ("en", 3)}, TypeError, r"languages\[1\] must be a string, got int 3"),
        (
            {"formats": ("short",)},
            ValueError,
            r"format 'short' \(in 'en': 'M/d/yy'\) writes the year with two",
        ),
        (
            {"formats": ("MMMM y",)},
            ValueError,
            r"must write the day \(d\), the month \(M or L\) and the year",
        ),
        ({"formats": ("d y",)}, ValueError, r"must write the day"),
        ({"formats": ("D MMM y",)}, ValueError, r"has the fields \['D'\]"),
        ({"formats": ("d MMM y G",)}, ValueError, r"has the fields \['G'\]"),
        ({"formats": ("d MMM y H",)}, ValueError, r"has the fields \['H'\]"),
        ({"formats": ("d MMMMMM y",)}, ValueError, r"format 'd MMMMMM y' cannot be written: Invalid length"),
        ({"formats": "long"}, TypeError, r"formats must be a tuple of strings"),
        ({"years": (1950,)}, TypeError, r"years must be a tuple \(first, last\) of two integers"),
        ({"years": (1950.0, 2000)}, TypeError, r"years\[0\] must be an integer, got float 1950.0"),
        ({"years": (999, 2000)}, ValueError, r"years\[0\] must be an integer >= 1000, got 999"),
        ({"years": (2000, 1999)}, ValueError, r"years\[1\] must be an integer >= 2000, got 1999"),
        ({"years": (2000, 10000)}, ValueError, r"years\[1\] must be an integer <= 9999, got 10000"),
        ({"num_examples": 0}, ValueError, r"^num_examples must be a positive integer, got 0$"),
        ({"num_examples": 2.0}, TypeError, r"^num_examples must be an integer, got float 2.0$"),
        ({"seed": -1}, ValueError, r"^seed must be a non-negative integer, got -1$"),
    ],
)
def test_dates_refuse_bad_arguments(arguments: dict[str, Any], error: type[Exception], match: str) -> None:
    full: dict[str, Any] = {"num_examples": 2, **arguments}
    with pytest.raises(error, match=match):
        dates(**full)


def test_formats_in_single_quotes_and_stand_alone_months_are_allowed() -> None:
    task = dates(5, seed=0, languages=("es",), formats=("d 'de' LLLL 'de' y",))
    assert all(" de " in text for text in task.texts)


# --- scores -------------------------------------------------------------------------------------------------


def test_exact_match_and_position_accuracy_with_and_without_a_mask() -> None:
    targets = np.array([[1, 2, 3, 0], [4, 5, 0, 0], [6, 7, 8, 9]])
    predictions = np.array([[1, 2, 3, 7], [4, 5, 0, 0], [6, 7, 8, 1]])
    mask = targets != 0
    assert exact_match(predictions, targets) == pytest.approx(1 / 3)  # padding counts without a mask
    assert exact_match(predictions, targets, mask=mask) == pytest.approx(2 / 3)
    assert position_accuracy(predictions, targets) == pytest.approx(10 / 12)
    assert position_accuracy(predictions, targets, mask=mask) == pytest.approx(8 / 9)
    assert exact_match(targets, targets) == position_accuracy(targets, targets) == 1.0
    assert isinstance(exact_match(targets, targets), float)


def test_scores_of_a_reversal_task_with_its_own_mask() -> None:
    task = reversal(100, 8, min_length=2, seed=0)
    wrong_padding = np.where(task.mask, task.y, 3)
    assert exact_match(wrong_padding, task.y, mask=task.mask) == 1.0
    assert exact_match(wrong_padding, task.y) < 1.0
    one_wrong = task.y.copy()
    one_wrong[::2, 0] = one_wrong[::2, 0] % 10 + 1  # the first symbol of every other sequence
    assert exact_match(one_wrong, task.y, mask=task.mask) == 0.5
    assert position_accuracy(one_wrong, task.y, mask=task.mask) == pytest.approx(1 - 50 / task.lengths.sum())


@pytest.mark.parametrize("score", [exact_match, position_accuracy])
def test_scores_refuse_bad_input(score: Callable[..., float]) -> None:
    targets = np.array([[1, 2], [3, 4]])
    with pytest.raises(TypeError, match=r"predictions must be integer class indices.*argmax"):
        score(targets.astype(float), targets)
    with pytest.raises(TypeError, match=r"targets must be a numeric array"):
        score(targets, [["a", "b"]])
    with pytest.raises(ValueError, match=r"predictions must have shape \(N, T\)"):
        score(np.zeros((2, 2, 3), dtype=int), targets)
    with pytest.raises(ValueError, match=r"the same shape, got \(2, 1\) and \(2, 2\)"):
        score(targets[:, :1], targets)
    with pytest.raises(TypeError, match=r"mask must be a bool array"):
        score(targets, targets, mask=np.ones((2, 2)))
    with pytest.raises(ValueError, match=r"mask must have the shape of the targets, \(2, 2\)"):
        score(targets, targets, mask=np.ones((2, 1), dtype=bool))
    with pytest.raises(ValueError, match=r"nothing to score"):
        score(np.zeros((0, 2), dtype=int), np.zeros((0, 2), dtype=int))
    with pytest.raises(ValueError, match=r"valid position"):
        score(targets, targets, mask=np.zeros((2, 2), dtype=bool))


def test_exact_match_refuses_a_sequence_without_a_valid_position() -> None:
    targets = np.array([[1, 2], [3, 4]])
    mask = np.array([[True, True], [False, False]])
    with pytest.raises(ValueError, match="a sequence without a valid position"):
        exact_match(targets, targets, mask=mask)
    assert position_accuracy(targets, targets, mask=mask) == 1.0


def test_the_names_are_at_the_top_of_twice_data() -> None:
    for name in ("reversal", "sorting", "dates", "exact_match", "position_accuracy", "CharVocabulary"):
        assert getattr(twice.data, name) is getattr(twice.data.seq2seq, name)
