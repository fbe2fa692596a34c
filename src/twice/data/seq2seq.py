"""Sequence-to-sequence tasks whose answers are known, for the attention chapter, made here, seeded, offline.

* :func:`reversal` and :func:`sorting`: sequences of symbols and, position by position, the same sequence
  reversed or sorted. One target per input position, so an encoder alone (no decoder) can learn them; in a
  reversal every output position needs one other input position, far away or near, which is what
  attention looks up. Optionally of different lengths, padded at the end or at the start.
* :func:`dates`: dates written by people ("22 April 2019", "April 22, 2019", "22/04/2019", in English,
  French, German, Spanish...) and the same dates written the ISO 8601 way, ``2019-04-22``, character by
  character, with a :class:`CharVocabulary` for each side. The month names and patterns come from the
  Unicode CLDR through Babel.
* :func:`exact_match` and :func:`position_accuracy`: how many whole sequences, and how many positions, a
  model gets right, padding left out.

Index 0 is padding everywhere: the symbols of :func:`reversal` and :func:`sorting` are ``1..vocab``, and
index 0 of a :class:`CharVocabulary` is no character. Sequences are batch-first, ``(N, T)`` (the glossary in
:mod:`twice.layouts`). Every random draw comes from ``numpy.random.default_rng(seed)``, so the same arguments
give the same arrays on every machine and for both frameworks. Standard library and NumPy, and Babel for
:func:`dates` (imported only there).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from .. import checks

PAD_INDEX = 0
"""The index of padding in every task of this module: no symbol and no character has it."""

ISO_LENGTH = 10
"""The length of an ISO 8601 date, ``YYYY-MM-DD``: every target of :func:`dates` has it."""

ISO_CHARACTERS = "-0123456789"
"""The characters of ISO dates, in the order of :func:`dates`' target vocabulary (indices 1 to 11)."""

DATE_FORMATS: tuple[str, ...] = ("d MMMM y", "MMMM d, y", "d MMM y", "dd/MM/y", "long")
"""The default ways :func:`dates` writes a date: CLDR patterns, and ``"long"``, each language's own.

In English: "22 April 2019", "April 22, 2019", "22 Apr 2019", "22/04/2019" and "April 22, 2019" (English's
long format); in French the last is "22 avril 2019", in German "22. April 2019", in Spanish
"22 de abril de 2019".

>>> from babel.dates import format_date
>>> [format_date(datetime.date(2019, 4, 22), pattern, locale="de") for pattern in DATE_FORMATS]
['22 April 2019', 'April 22, 2019', '22 Apr. 2019', '22/04/2019', '22. April 2019']
"""

_NAMED_FORMATS: tuple[Literal["full", "long", "medium", "short"], ...] = ("full", "long", "medium", "short")
# The CLDR pattern fields a date format may use: day, month (format and stand-alone), year, weekday (three
# spellings). Each of them depends only on the day of the year, the weekday and the year, so formatting every
# day of one leap year finds every character and the longest text (see dates).
_FIELDS = frozenset("dMLyEec")
_SPACES = str.maketrans({"\u00a0": " ", "\u202f": " "})  # no-break spaces, which CLDR uses, read as spaces


# --- symbol tasks -------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class SequenceTask:
    """Input sequences and their target sequences, one target per position, padded with 0.

    The targets are padded at the end; the inputs at the end too (``padding="post"``, the default), or at
    the start (``padding="pre"``). So :attr:`mask` (where the inputs are) says which keys attention may use,
    and :attr:`target_mask` (where the targets are) which outputs the loss and the scores count; the two
    are the same array for ``"post"``.

    Attributes:
        name: the task, ``"reversal"`` or ``"sorting"``.
        x: the inputs, ``int64`` of shape ``(N, T)``: ``L_i`` symbols ``1..vocab`` and ``T - L_i`` zeros.
        y: the targets, ``int64`` of shape ``(N, T)``: ``L_i`` symbols, then ``T - L_i`` zeros.
        lengths: ``L_i``, each sequence's number of symbols, ``int64`` of shape ``(N,)``, from 1 to ``T``.
        vocab: the number of symbols.
        padding: where the inputs are padded, ``"post"`` or ``"pre"``.

    Introduced in chapter 5.

    >>> task = reversal(3, 5, min_length=2, seed=4)
    >>> task
    SequenceTask(name='reversal', N=3, T=5, vocab=10, lengths 2..5, padding='post')
    >>> task.x
    array([[ 8, 10,  0,  0,  0],
           [10, 10,  1,  5,  0],
           [ 3,  4,  7,  9,  6]])
    >>> task.y
    array([[10,  8,  0,  0,  0],
           [ 5,  1, 10, 10,  0],
           [ 6,  9,  7,  4,  3]])
    >>> task.lengths, task.mask[0], task.num_classes
    (array([2, 4, 5]), array([ True,  True, False, False, False]), 11)
    """

    name: str
    x: np.ndarray
    y: np.ndarray
    lengths: np.ndarray
    vocab: int
    padding: str = "post"

    def __repr__(self) -> str:
        low, high = int(self.lengths.min()), int(self.lengths.max())
        return (
            f"SequenceTask(name={self.name!r}, N={len(self)}, T={self.x.shape[1]}, vocab={self.vocab}, "
            f"lengths {low}..{high}, padding={self.padding!r})"
        )

    def __len__(self) -> int:
        return len(self.x)

    @property
    def mask(self) -> np.ndarray:
        """``True`` at every input symbol, ``False`` at padding: ``bool`` of shape ``(N, T)``, a new array.

        Keras' ``MultiHeadAttention`` takes it as it is (``attention_mask=mask[:, None, :]``, ``True``: may
        be attended to); PyTorch's ``nn.TransformerEncoderLayer`` takes its opposite
        (``src_key_padding_mask=~mask``, ``True``: is ignored).
        """
        mask: np.ndarray = self.x != PAD_INDEX
        return mask

    @property
    def target_mask(self) -> np.ndarray:
        """``True`` at every target symbol, ``False`` at padding: ``bool`` of shape ``(N, T)``, a new array.

        The positions that a loss and :func:`exact_match` count: ``t < L_i``. The same as :attr:`mask` when
        the inputs are padded at the end.
        """
        mask: np.ndarray = self.y != PAD_INDEX
        return mask

    @property
    def num_classes(self) -> int:
        """``vocab + 1``: the rows of an embedding table and the outputs of a classifier, padding included."""
        return self.vocab + 1


_PADDINGS = ("post", "pre")


def _symbol_task(
    name: str,
    target: Callable[[np.ndarray], np.ndarray],
    num_examples: int,
    length: int,
    vocab: int,
    min_length: int | None,
    padding: str,
    seed: int,
) -> SequenceTask:
    num_examples = checks.integer(num_examples, "num_examples", minimum=1)
    length = checks.integer(length, "length", minimum=1)
    vocab = checks.integer(vocab, "vocab", minimum=1)
    if min_length is None:
        min_length = length
    min_length = checks.integer(min_length, "min_length", minimum=1, maximum=length)
    padding = checks.one_of(padding, "padding", _PADDINGS)
    seed = checks.seed(seed)
    rng = np.random.default_rng(seed)
    symbols = rng.integers(1, vocab + 1, size=(num_examples, length), dtype=np.int64)
    if min_length < length:
        lengths = rng.integers(min_length, length + 1, size=num_examples, dtype=np.int64)
    else:
        lengths = np.full(num_examples, length, dtype=np.int64)
    x = np.zeros_like(symbols)
    y = np.zeros_like(symbols)
    for size in np.unique(lengths).tolist():
        rows = lengths == size
        y[rows, :size] = target(symbols[rows, :size])
        if padding == "post":
            x[rows, :size] = symbols[rows, :size]
        else:
            x[rows, length - size :] = symbols[rows, :size]
    return SequenceTask(name=name, x=x, y=y, lengths=lengths, vocab=vocab, padding=padding)


def reversal(
    num_examples: int,
    length: int,
    *,
    vocab: int = 10,
    min_length: int | None = None,
    padding: str = "post",
    seed: int = 0,
) -> SequenceTask:
    """Sequences of random symbols, each to be written backwards: target ``t`` is symbol ``t`` from the end.

    The task of the UvA deep learning course's Transformer tutorial (Lippe, tutorial 6, which reverses
    sequences of 16 digits and reports that one encoder block of model dimension 32 learns it perfectly).
    Output position ``t`` needs exactly one input position, the mirror one, and attention weights that
    learned the task show it: an anti-diagonal.

    Symbols are drawn uniformly from ``1..vocab``; 0 is padding. With ``min_length`` (from 1 to ``length``),
    each sequence has ``L_i`` symbols, ``L_i`` drawn uniformly from ``min_length..length``, and
    ``length - L_i`` zeros of padding; the target reverses the ``L_i`` symbols only, and is padded at the
    end. Where the inputs are padded changes the task:

    * ``padding="post"`` (the default): the symbols first, then the padding, ``y[i, t] = x[i, L_i - 1 - t]``.
      The mirror position depends on the length, which one layer of attention cannot find out: a query
      scores each key on its own, before it knows where the padding starts. (With ``length=8,
      min_length=2``, one encoder block of width 32 got about 38 % of the sequences right after 1000 steps
      of 128, in both frameworks; two blocks got over 99 % within 300 steps.) And a model that attends to
      the padding reverses the wrong thing: the task needs a padding mask.
    * ``padding="pre"``: the padding first, as Keras' ``pad_sequences`` puts it, then the symbols; the
      target is the whole row reversed, ``y[i, t] = x[i, T - 1 - t]``, padding moving to the end. The mirror
      position is the same for every length, and one block learns it as it learns sequences of one length.

    Draws, in order, from ``numpy.random.default_rng(seed)``: the symbols ``(N, T)`` of every position, then
    the lengths (only if ``min_length < length``); a sequence of ``L_i`` symbols keeps the first ``L_i``. So
    the same seed with and without ``min_length``, and with either padding, gives the same symbols. Two
    seeds give independent sets, which share about ``N_1 · N_2 / vocab**T`` sequences (none to speak of for
    ``T = 8`` and ``vocab = 10``, many for ``T = 3``). Introduced in chapter 5.

    >>> task = reversal(2, 6, seed=0)
    >>> task.x
    array([[ 9,  7,  6,  3,  4,  1],
           [ 1,  1,  2,  9,  7, 10]])
    >>> task.y
    array([[ 1,  4,  3,  6,  7,  9],
           [10,  7,  9,  2,  1,  1]])
    >>> pre = reversal(2, 5, min_length=2, padding="pre", seed=6)
    >>> pre.x
    array([[0, 0, 0, 5, 6],
           [0, 4, 7, 4, 5]])
    >>> pre.y                                   # each row of x reversed
    array([[6, 5, 0, 0, 0],
           [5, 4, 7, 4, 0]])

    Args:
        num_examples: ``N``, the number of sequences.
        length: ``T``, the most symbols in a sequence, and the width of the arrays.
        vocab: the number of symbols, ``1..vocab``.
        min_length: the fewest symbols in a sequence; ``None`` (the default) for ``length``: no padding.
        padding: where the inputs are padded, ``"post"`` (at the end) or ``"pre"`` (at the start).
        seed: the seed of the draws.

    Returns:
        A :class:`SequenceTask` named ``"reversal"``.

    Raises:
        TypeError: if a count, a length, ``vocab`` or the seed is not an integer.
        ValueError: if one is below 1, ``min_length`` above ``length``, the seed out of range, or
            ``padding`` neither ``"post"`` nor ``"pre"``.
    """
    return _symbol_task(
        "reversal", lambda block: block[:, ::-1], num_examples, length, vocab, min_length, padding, seed
    )


def sorting(
    num_examples: int,
    length: int,
    *,
    vocab: int = 10,
    min_length: int | None = None,
    padding: str = "post",
    seed: int = 0,
) -> SequenceTask:
    """Sequences of random symbols, each to be sorted: ``y[i, :L_i]`` holds the symbols in increasing order.

    Like :func:`reversal` (the same draws, so the same seed gives the same inputs), but which input an output
    position needs depends on the symbols, not on the position: output position ``t`` holds the ``t``-th
    smallest symbol. Symbols repeat (with ``vocab=10`` and ``T=16`` every sequence has repeats), and sorting
    keeps them all. Introduced in chapter 5.

    >>> task = sorting(2, 6, seed=0)
    >>> task.x
    array([[ 9,  7,  6,  3,  4,  1],
           [ 1,  1,  2,  9,  7, 10]])
    >>> task.y
    array([[ 1,  3,  4,  6,  7,  9],
           [ 1,  1,  2,  7,  9, 10]])

    Args:
        num_examples, length, vocab, min_length, padding, seed: as for :func:`reversal`; the targets are
            padded at the end either way.

    Returns:
        A :class:`SequenceTask` named ``"sorting"``.

    Raises:
        TypeError: if a count, a length, ``vocab`` or the seed is not an integer.
        ValueError: if one is below 1, ``min_length`` above ``length``, the seed out of range, or
            ``padding`` neither ``"post"`` nor ``"pre"``.
    """
    return _symbol_task(
        "sorting",
        lambda block: np.sort(block, axis=1),
        num_examples,
        length,
        vocab,
        min_length,
        padding,
        seed,
    )


# --- characters ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CharVocabulary:
    """Characters and their indices, ``1..len(characters)``; index 0 is padding, no character.

    ``len(vocabulary)`` counts the padding too: the rows of an embedding table, the outputs of a classifier.
    Introduced in chapter 5.

    >>> vocabulary = CharVocabulary("-0123456789")
    >>> len(vocabulary), vocabulary.index("-"), vocabulary.index("0")
    (12, 1, 2)
    >>> ids = vocabulary.encode(["2019-04-22", "1-2"], length=10)
    >>> ids
    array([[ 4,  2,  3, 11,  1,  2,  6,  1,  4,  4],
           [ 3,  1,  4,  0,  0,  0,  0,  0,  0,  0]])
    >>> vocabulary.decode(ids)
    ['2019-04-22', '1-2']

    Attributes:
        characters: the characters by index, from index 1; each once.

    Raises:
        TypeError: if ``characters`` is not a string.
        ValueError: if it is empty or has a character twice.
    """

    characters: str
    _index: dict[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.characters, str):
            raise TypeError(f"characters must be a string, got {type(self.characters).__name__}")
        if not self.characters:
            raise ValueError("characters is empty: a vocabulary needs at least one character")
        repeated = sorted({c for c in self.characters if self.characters.count(c) > 1})
        if repeated:
            raise ValueError(f"every character must appear once, but these appear more often: {repeated}")
        object.__setattr__(self, "_index", {c: i for i, c in enumerate(self.characters, start=1)})

    def __len__(self) -> int:
        return len(self.characters) + 1

    def __contains__(self, character: object) -> bool:
        return character in self._index

    def index(self, character: str) -> int:
        """The index of one character, from 1.

        >>> CharVocabulary("abc").index("c")
        3

        Raises:
            KeyError: if it is not in the vocabulary.
        """
        try:
            return self._index[character]
        except KeyError:
            raise KeyError(f"{character!r} is not one of the characters {self.characters!r}") from None

    def encode(self, texts: Sequence[str], length: int | None = None) -> np.ndarray:
        """Texts as one batch of indices, ``int64`` of shape ``(N, length)``, padded at the end with 0.

        ``length=None``: the longest text's length. A text is never cut: one longer than ``length`` raises.

        >>> CharVocabulary("ab").encode(["ab", "b"])
        array([[1, 2],
               [2, 0]])

        Raises:
            TypeError: if ``texts`` is a string or not a list of strings, or ``length`` not an integer.
            ValueError: if ``length`` is below 1 or a text is longer.
            KeyError: for a character not in the vocabulary.
        """
        if isinstance(texts, str) or not isinstance(texts, Sequence):
            raise TypeError(f"texts must be a list of strings, got {type(texts).__name__}")
        for i, text in enumerate(texts):
            if not isinstance(text, str):
                raise TypeError(f"texts[{i}] must be a string, got {type(text).__name__}")
        longest = max((len(text) for text in texts), default=0)
        if length is None:
            length = max(longest, 1)
        length = checks.integer(length, "length", minimum=1)
        if longest > length:
            raise ValueError(f"a text has {longest} characters, more than length={length}")
        ids = np.zeros((len(texts), length), dtype=np.int64)
        for i, text in enumerate(texts):
            ids[i, : len(text)] = [self.index(c) for c in text]
        return ids

    def decode(self, ids: np.ndarray) -> list[str]:
        """The texts of a batch of indices ``(N, T)``: the characters of the non-zero indices, in order.

        Padding is left out wherever it is, so a prediction with padding in its middle loses a character.

        >>> CharVocabulary("ab").decode(np.array([[1, 2, 0], [0, 2, 1]]))
        ['ab', 'ba']

        Raises:
            TypeError: if ``ids`` is not an integer array.
            ValueError: if it is not 2-D or an index lies outside ``0..len(self) - 1``.
        """
        array = checks.array(ids, "ids", ndim=2, shape="(N, T)")
        if array.size and not np.issubdtype(array.dtype, np.integer):
            raise TypeError(f"ids must be integer indices, got dtype {array.dtype}")
        if array.size and (array.min() < 0 or array.max() >= len(self)):
            raise ValueError(f"ids must lie in 0..{len(self) - 1}, got {array.min()}..{array.max()}")
        table = ("", *self.characters)
        return ["".join(table[i] for i in row) for row in array.tolist()]


# --- dates --------------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class DateTask:
    """Dates written in several ways and languages, and the same dates in ISO 8601, as characters.

    Attributes:
        texts: the dates as written, ``N`` strings (no-break spaces written as spaces).
        targets: the same dates as ``YYYY-MM-DD``, ``N`` strings.
        x: ``texts`` encoded by ``input_vocabulary``, ``int64`` of shape ``(N, S)``, padded at the end with 0.
            ``S`` is the longest text that the languages and formats can write, whichever dates were drawn,
            so two sets made with the same languages and formats have the same width.
        y: ``targets`` encoded by ``target_vocabulary``, ``int64`` of shape ``(N, 10)``, never padding:
            index 0 is free to serve as a decoder's start token.
        input_vocabulary: every character that the languages and formats can write.
        target_vocabulary: ``CharVocabulary("-0123456789")``, the same for every set.
        languages, formats: what the dates were drawn from.
        text_languages, text_formats: the language and the format of each text.

    Introduced in chapter 5.

    >>> task = dates(3, languages=("en", "fr"), seed=1)
    >>> task
    DateTask(N=3, S=18, languages=('en', 'fr'), formats=5, input characters=45)
    >>> task.texts
    ('27 avril 1997', 'March 8, 2001', 'July 8, 2025')
    >>> task.targets
    ('1997-04-27', '2001-03-08', '2025-07-08')
    >>> task.y[0], task.target_vocabulary.decode(task.y[:1])
    (array([ 3, 11, 11,  9,  1,  2,  6,  1,  4,  9]), ['1997-04-27'])
    """

    texts: tuple[str, ...]
    targets: tuple[str, ...]
    x: np.ndarray
    y: np.ndarray
    input_vocabulary: CharVocabulary
    target_vocabulary: CharVocabulary
    languages: tuple[str, ...]
    formats: tuple[str, ...]
    text_languages: tuple[str, ...]
    text_formats: tuple[str, ...]

    def __repr__(self) -> str:
        return (
            f"DateTask(N={len(self)}, S={self.x.shape[1]}, languages={self.languages}, "
            f"formats={len(self.formats)}, input characters={len(self.input_vocabulary.characters)})"
        )

    def __len__(self) -> int:
        return len(self.texts)

    @property
    def mask(self) -> np.ndarray:
        """``True`` at every character of ``x``, ``False`` at padding: ``bool`` of shape ``(N, S)``."""
        mask: np.ndarray = self.x != PAD_INDEX
        return mask


def _check_names(value: object, name: str) -> tuple[str, ...]:
    if isinstance(value, str) or not isinstance(value, (tuple, list)):
        raise TypeError(f"{name} must be a tuple of strings, got {type(value).__name__} {value!r}")
    if not value:
        raise ValueError(f"{name} is empty: give at least one")
    for i, item in enumerate(value):
        if not isinstance(item, str):
            raise TypeError(f"{name}[{i}] must be a string, got {type(item).__name__} {item!r}")
    if len(set(value)) != len(value):
        raise ValueError(f"{name} names one more than once: {value!r}")
    return tuple(value)


class _DateWriter:
    """Writes dates in one language and one format: Babel's pattern, checked to say the whole date."""

    def __init__(self, language: str, format: str) -> None:
        try:
            from babel import Locale, UnknownLocaleError
            from babel.dates import get_date_format, parse_pattern, tokenize_pattern
        except ModuleNotFoundError as error:  # pragma: no cover - Babel is pinned in requirements.txt
            raise ModuleNotFoundError(
                "twice.data.dates writes dates with Babel: pip install babel (requirements.txt pins it)",
                name=error.name,
            ) from error

        try:
            self.locale = Locale.parse(language)
        except (UnknownLocaleError, ValueError):
            raise ValueError(
                f"unknown language {language!r}: expected a CLDR locale such as 'en' or 'fr'"
            ) from None
        named = checks.one_of(format, "format", _NAMED_FORMATS) if format in _NAMED_FORMATS else None
        pattern = format if named is None else get_date_format(named, locale=self.locale).pattern
        where = f"format {format!r}" + (f" (in {language!r}: {pattern!r})" if format != pattern else "")
        fields = [(value[0], value[1]) for kind, value in tokenize_pattern(pattern) if kind == "field"]
        letters = {letter for letter, _ in fields}
        unknown = sorted(letters - _FIELDS)
        if unknown:
            raise ValueError(
                f"{where} has the fields {unknown}: a date format may use only d, M, L, y, E, e, c"
            )
        if not ({"d", "y"} <= letters and letters & {"M", "L"}):
            raise ValueError(f"{where} must write the day (d), the month (M or L) and the year (y)")
        if ("y", 2) in fields:
            raise ValueError(f"{where} writes the year with two digits (yy), which loses its century")
        try:
            self.pattern = parse_pattern(pattern)
            self(datetime.date(2000, 1, 1))
        except ValueError as error:  # a field of a length that CLDR does not know, such as MMMMMM
            raise ValueError(f"{where} cannot be written: {error}") from None

    def __call__(self, date: datetime.date) -> str:
        return str(self.pattern.apply(date, self.locale)).translate(_SPACES)


def dates(
    num_examples: int,
    *,
    seed: int = 0,
    languages: Sequence[str] = ("en",),
    formats: Sequence[str] = DATE_FORMATS,
    years: tuple[int, int] = (1950, 2049),
) -> DateTask:
    """Dates as people write them, and as ISO 8601 writes them: ``"22 avril 2019"`` → ``"2019-04-22"``.

    A character-level translation task with one right answer, the classic first example of attention in
    sequence-to-sequence models (the "neural machine translation of dates" exercise). Each date is drawn
    uniformly from the days of ``years`` (first and last year included), written in a language and a
    format drawn uniformly from ``languages`` and ``formats``, by Babel's ``format_date`` with the CLDR
    data of the Babel version pinned in ``requirements.txt``. No-break spaces (which some CLDR patterns
    use) are written as plain spaces.

    A format is a CLDR date pattern (``"d MMMM y"``: day, full month name, year; ``"MMM"``: the abbreviated
    name; ``"dd"``: two digits; ``"EEEE"``: the weekday's name; text in single quotes is written as it is)
    or the name of a language's own format, ``"full"``, ``"long"`` or ``"medium"``. A pattern is the same in
    every language, only the names change: ``"MMMM d, y"`` writes "avril 22, 2019" in French, which is not
    how French writes a date, but says it as well; the named formats are each language's own. A format
    must write the day, the month and the full year; nothing checks that two formats do not contradict each
    other (``"dd/MM/y"`` together with ``"MM/dd/y"`` would make 22/04 and 04/22 both possible, and a date
    such as 04/05 ambiguous). :data:`DATE_FORMATS` are the default ones.

    Both sides are characters: ``x`` holds the texts encoded by ``input_vocabulary``, whose characters
    (sorted by code point) are all that the languages and formats can write, whichever dates were drawn; its
    width ``S`` is the longest text they can write. So sets made with the same languages and formats but
    different seeds (a training and a validation set) share the vocabulary and the width. ``y`` holds the
    ISO dates, 10 characters each.

    Draws, in order, from ``numpy.random.default_rng(seed)``: the days, the languages, the formats.
    Introduced in chapter 5.

    >>> task = dates(2, languages=("de", "es"), formats=("long",), seed=0)
    >>> task.texts, task.targets
    (('24 de enero de 2035', '12. September 2013'), ('2035-01-24', '2013-09-12'))
    >>> task.x.shape, task.y.shape, task.input_vocabulary.decode(task.x[:1])
    ((2, 24), (2, 10), ['24 de enero de 2035'])

    Args:
        num_examples: ``N``, the number of dates.
        seed: the seed of the draws.
        languages: CLDR locale names (``"en"``, ``"fr"``, ``"de"``, ``"es"``, ``"en_GB"``, ...), each once.
        formats: CLDR date patterns or ``"full"``, ``"long"``, ``"medium"``, each once.
        years: the first and the last year, from 1000 to 9999, so that every year has four digits.

    Returns:
        A :class:`DateTask`.

    Raises:
        TypeError: if a count, the seed or a year is not an integer, or ``languages``, ``formats`` or
            ``years`` is not a tuple of them.
        ValueError: for an unknown language, a format that does not write the whole date (``"short"``, whose
            year has two digits in most languages, is one), a year out of range, the last before the first,
            or an empty or repeated language or format.
    """
    num_examples = checks.integer(num_examples, "num_examples", minimum=1)
    seed = checks.seed(seed)
    languages = _check_names(languages, "languages")
    formats = _check_names(formats, "formats")
    if not isinstance(years, (tuple, list)) or len(years) != 2:
        raise TypeError(f"years must be a tuple (first, last) of two integers, got {years!r}")
    first = checks.integer(years[0], "years[0]", minimum=1000, maximum=9999)
    last = checks.integer(years[1], "years[1]", minimum=first, maximum=9999)
    writers = [[_DateWriter(language, format) for format in formats] for language in languages]
    # Every character and the longest text: every day of a leap year, in every language and format.
    survey = [datetime.date(2000, 1, 1) + datetime.timedelta(days=k) for k in range(366)]
    written = {write(day) for row in writers for write in row for day in survey}
    characters = "".join(sorted(set("".join(written)) | set("0123456789")))
    width = max(len(text) for text in written)

    rng = np.random.default_rng(seed)
    start, stop = datetime.date(first, 1, 1).toordinal(), datetime.date(last, 12, 31).toordinal()
    days = rng.integers(start, stop + 1, size=num_examples)
    language_of = rng.integers(0, len(languages), size=num_examples)
    format_of = rng.integers(0, len(formats), size=num_examples)
    chosen = [datetime.date.fromordinal(day) for day in days.tolist()]
    texts = tuple(writers[k][f](day) for day, k, f in zip(chosen, language_of.tolist(), format_of.tolist()))
    targets = tuple(day.isoformat() for day in chosen)
    input_vocabulary = CharVocabulary(characters)
    target_vocabulary = CharVocabulary(ISO_CHARACTERS)
    return DateTask(
        texts=texts,
        targets=targets,
        x=input_vocabulary.encode(texts, length=width),
        y=target_vocabulary.encode(targets, length=ISO_LENGTH),
        input_vocabulary=input_vocabulary,
        target_vocabulary=target_vocabulary,
        languages=languages,
        formats=formats,
        text_languages=tuple(languages[k] for k in language_of.tolist()),
        text_formats=tuple(formats[f] for f in format_of.tolist()),
    )


# --- scores -------------------------------------------------------------------------------------------------


def _checked_scores(predictions: object, targets: object, mask: object) -> tuple[np.ndarray, np.ndarray]:
    """``(right, valid)``: where a prediction is its target, and which positions count, both ``(N, T)``."""
    arrays: dict[str, np.ndarray] = {}
    for name, value in (("predictions", predictions), ("targets", targets)):
        array = checks.array(value, name, ndim=2, shape="(N, T)")
        if not np.issubdtype(array.dtype, np.integer):
            raise TypeError(
                f"{name} must be integer class indices, got dtype {array.dtype} "
                "(for scores or logits, take the argmax over the last axis first)"
            )
        arrays[name] = array
    if arrays["predictions"].shape != arrays["targets"].shape:
        raise ValueError(
            f"predictions and targets must have the same shape, got {arrays['predictions'].shape} and "
            f"{arrays['targets'].shape}"
        )
    if arrays["targets"].size == 0:
        raise ValueError(f"there is nothing to score: targets has shape {arrays['targets'].shape}")
    right = arrays["predictions"] == arrays["targets"]
    if mask is None:
        return right, np.ones_like(right)
    valid = checks.array(mask, "mask", ndim=2, shape="(N, T)")
    if valid.dtype != np.bool_:
        raise TypeError(f"mask must be a bool array (True: the position counts), got dtype {valid.dtype}")
    if valid.shape != right.shape:
        raise ValueError(f"mask must have the shape of the targets, {right.shape}, got {valid.shape}")
    return right, valid


def exact_match(predictions: Any, targets: Any, *, mask: Any = None) -> float:
    """The share of sequences whose every position is right (every valid position, with ``mask``).

    A sequence with one wrong symbol is wrong: the score of a reversal or a date, where "almost" is no
    answer. ``mask`` (``True``: the position counts) leaves padding out; without it every position counts,
    padding too, which a model must then predict as padding. Introduced in chapter 5.

    >>> targets = np.array([[3, 2, 1], [2, 1, 0]])
    >>> predictions = np.array([[3, 2, 1], [2, 1, 5]])       # the second is right but for its padding
    >>> exact_match(predictions, targets), exact_match(predictions, targets, mask=targets != 0)
    (0.5, 1.0)

    Args:
        predictions, targets: integer class indices of shape ``(N, T)``.
        mask: ``bool`` of shape ``(N, T)``, or ``None`` for all positions.

    Raises:
        TypeError: if an array is not an integer array (``mask``: not a bool array).
        ValueError: if one is not 2-D, their shapes differ, or a sequence has no valid position.
    """
    right, valid = _checked_scores(predictions, targets, mask)
    if not valid.any(axis=1).all():
        raise ValueError("mask leaves a sequence without a valid position; it can be neither right nor wrong")
    return float((right | ~valid).all(axis=1).mean())


def position_accuracy(predictions: Any, targets: Any, *, mask: Any = None) -> float:
    """The share of positions that are right (of the valid positions, with ``mask``).

    The per-token score, which a loss averaged over positions follows; :func:`exact_match` is the stricter
    score of whole sequences. Introduced in chapter 5.

    >>> targets = np.array([[3, 2, 1], [2, 1, 0]])
    >>> predictions = np.array([[3, 2, 2], [2, 1, 5]])
    >>> position_accuracy(predictions, targets), position_accuracy(predictions, targets, mask=targets != 0)
    (0.6666666666666666, 0.8)

    Args:
        predictions, targets: integer class indices of shape ``(N, T)``.
        mask: ``bool`` of shape ``(N, T)``, or ``None`` for all positions.

    Raises:
        TypeError: if an array is not an integer array (``mask``: not a bool array).
        ValueError: if one is not 2-D, their shapes differ, or no position is valid.
    """
    right, valid = _checked_scores(predictions, targets, mask)
    if not valid.any():
        raise ValueError("mask leaves no valid position to score")
    return float(right[valid].mean())
