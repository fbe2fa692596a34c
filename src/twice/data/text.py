"""Text for word vectors (chapter 4): words from text, a vocabulary of them, and two real corpora.

* :func:`tokenize` and :func:`split_sentences`: lower-case words, and sentences of them, from raw text.
* :class:`Vocabulary`: the words kept, by frequency, with padding at index 0; words to indices and back, and
  padded batches ``(N, T)`` of indices for an embedding layer.
* :func:`pydoc_topics`: offline real text, Python's own documentation topics, shipped with every Python.
* :func:`load_newsgroups`: a larger real corpus, the 20 Newsgroups posts, downloaded once (verified and
  cached by :func:`twice.data.download.download`).

A sentence is a list of words (strings); a corpus is a list of sentences, the form gensim's ``Word2Vec``
takes too. ``V``, the number of words in a vocabulary, is the number of rows of an embedding table (the
glossary in :mod:`twice.layouts`). Standard library and NumPy only.
"""

from __future__ import annotations

import collections
import re
import tarfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .. import checks
from .download import download

PAD = "<pad>"
"""The padding token, index 0 of every :class:`Vocabulary`: it fills padded batches, and :func:`tokenize`
never produces it."""

# scikit-learn's fetch_20newsgroups downloads exactly this file. The three values are copied from
# scikit-learn 1.9.1, sklearn/datasets/_twenty_newsgroups.py, lines 60-64 (ARCHIVE = RemoteFileMetadata(
# filename=..., url=..., checksum=...); scikit-learn's checksum is a SHA-256). tests/test_text.py checks them
# against the installed scikit-learn source. The original is at
# https://people.csail.mit.edu/jrennie/20Newsgroups/20news-bydate.tar.gz.
NEWSGROUPS_URL = "https://ndownloader.figshare.com/files/5975967"
"""Where scikit-learn fetches the 20 Newsgroups archive, ``20news-bydate.tar.gz`` (14 MB)."""

NEWSGROUPS_FILENAME = "20news-bydate.tar.gz"
"""The archive's name in the cache (the URL's last segment is a number)."""

NEWSGROUPS_SHA256 = "8f1b2514ca22a5ade8fbb9cfa5727df95fa587f4c87b786e15c759fa66d95610"
"""SHA-256 of :data:`NEWSGROUPS_URL`, as pinned in scikit-learn."""

_NEWSGROUPS_FOLDERS = {
    "train": ("20news-bydate-train",),
    "test": ("20news-bydate-test",),
    "all": ("20news-bydate-train", "20news-bydate-test"),
}

_WORD = re.compile(r"[a-z]+")
_SENTENCE_END = re.compile(r"[.!?;:]|\n[ \t\r\f\v]*\n")
_UNKNOWN = ("drop", "error")


def tokenize(text: str) -> list[str]:
    """The words of ``text``, lower-cased: every run of the letters ``a`` to ``z``.

    Deliberately simple: any other character separates words, digits, punctuation, apostrophes and
    accented letters included ("don't" gives ``don`` and ``t``; "café" gives ``caf``). Introduced in chapter 4.

    >>> tokenize("The cat's 2 toys: a ball, a MOUSE.")
    ['the', 'cat', 's', 'toys', 'a', 'ball', 'a', 'mouse']

    Raises:
        TypeError: if ``text`` is not a string.
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a string, got {type(text).__name__}")
    return _WORD.findall(text.lower())


def split_sentences(text: str) -> list[list[str]]:
    """``text`` cut into sentences, each :func:`tokenize`\\ d; sentences without a word are left out.

    A sentence ends at ``.``, ``!``, ``?``, ``;`` or ``:``, and at a blank line (a paragraph's end). A
    single line break is not an end: wrapped text breaks its lines in mid-sentence. Abbreviations end a
    sentence too ("e.g." gives two one-word sentences): word2vec does not need exact sentences, only
    windows of words that belong together. Introduced in chapter 4.

    >>> split_sentences("Hello, world! This is\\na test.\\n\\nA new paragraph")
    [['hello', 'world'], ['this', 'is', 'a', 'test'], ['a', 'new', 'paragraph']]

    Raises:
        TypeError: if ``text`` is not a string.
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a string, got {type(text).__name__}")
    sentences = (tokenize(part) for part in _SENTENCE_END.split(text))
    return [sentence for sentence in sentences if sentence]


def _check_sentences(sentences: object, name: str = "sentences") -> Sequence[Sequence[str]]:
    if isinstance(sentences, str) or not isinstance(sentences, Sequence):
        raise TypeError(
            f"{name} must be a list of sentences (lists of words), got {type(sentences).__name__}"
        )
    for i, sentence in enumerate(sentences):
        if isinstance(sentence, str) or not isinstance(sentence, Sequence):
            raise TypeError(
                f"{name}[{i}] must be a list of words, got {type(sentence).__name__}: "
                "split a text into sentences with split_sentences first"
            )
    return sentences


def _check_tokens(tokens: object, name: str = "tokens") -> Sequence[str]:
    if isinstance(tokens, str) or not isinstance(tokens, Sequence):
        raise TypeError(
            f"{name} must be a list of words, got {type(tokens).__name__}: split a text with tokenize first"
        )
    return tokens


@dataclass(frozen=True, eq=False)
class Vocabulary:
    """The words of a corpus, each with an index and a count; index 0 is the padding token :data:`PAD`.

    :meth:`build` makes one from sentences: the words by count, most frequent first, words of equal count
    in alphabetical order, so the same corpus always gives the same indices. ``len(vocabulary)`` is ``V``,
    the number of rows of an embedding table, the padding row included.

    Attributes:
        words: the words by index, ``words[0] == PAD``.
        counts: how often each word occurs, ``int64`` of shape ``(V,)`` (read-only); 0 for :data:`PAD`.

    Introduced in chapter 4.

    >>> vocabulary = Vocabulary.build([["the", "cat", "sat"], ["the", "dog", "sat"], ["the", "end"]])
    >>> vocabulary
    Vocabulary(V=6: '<pad>', 'the', 'sat', 'cat', 'dog', 'end')
    >>> vocabulary.counts
    array([0, 3, 2, 1, 1, 1])
    >>> vocabulary.encode(["the", "bird", "sat"])          # a word not in it is dropped
    array([1, 2])
    >>> vocabulary.pad_batch([["the", "cat"], ["a", "dog", "sat", "down"]])
    array([[1, 3],
           [4, 2]])
    >>> vocabulary.decode([4, 2, 0])
    ['dog', 'sat', '<pad>']

    Raises:
        TypeError: if ``words`` is not a tuple of strings or ``counts`` not an integer array.
        ValueError: if ``words[0]`` is not :data:`PAD`, a word appears twice, or ``counts`` has another
            length, a negative count, or a count other than 0 for :data:`PAD`.
    """

    words: tuple[str, ...]
    counts: np.ndarray
    _index: dict[str, int] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if not isinstance(self.words, tuple) or not all(isinstance(word, str) for word in self.words):
            raise TypeError(f"words must be a tuple of strings, got {type(self.words).__name__}")
        if not self.words or self.words[0] != PAD:
            raise ValueError(f"words[0] must be the padding token {PAD!r}, got {self.words[:1]!r}")
        index = {word: i for i, word in enumerate(self.words)}
        if len(index) != len(self.words):
            repeated = [word for word, n in collections.Counter(self.words).items() if n > 1]
            raise ValueError(f"every word must appear once in words, but these appear more often: {repeated}")
        counts = checks.array(self.counts, "counts", ndim=1, shape="(V,)")
        if not np.issubdtype(counts.dtype, np.integer):
            raise TypeError(f"counts must be integers, got dtype {counts.dtype}")
        if counts.shape != (len(self.words),):
            raise ValueError(f"counts must have one count per word, {len(self.words)}, got {counts.shape}")
        if (counts < 0).any() or counts[0] != 0:
            raise ValueError(f"counts must be non-negative, and 0 for {PAD!r}")
        counts = counts.astype(np.int64, copy=True)
        counts.setflags(write=False)
        object.__setattr__(self, "counts", counts)
        object.__setattr__(self, "_index", index)

    @classmethod
    def build(
        cls, sentences: Sequence[Sequence[str]], *, min_count: int = 1, max_size: int | None = None
    ) -> Vocabulary:
        """The vocabulary of ``sentences``: every word that occurs ``min_count`` times or more, by count.

        Words by count, most frequent first; words of equal count alphabetically. ``max_size`` keeps only
        the most frequent words, ``max_size`` of them, :data:`PAD` not counted (``V = max_size + 1``).

        >>> Vocabulary.build([["b", "a", "b", "c", "a", "d"]], min_count=2)
        Vocabulary(V=3: '<pad>', 'a', 'b')
        >>> len(Vocabulary.build([["b", "a", "b", "c", "a", "d"]], max_size=3))
        4

        Raises:
            TypeError: if ``sentences`` is not a list of lists of words, or a count is not an integer.
            ValueError: if ``min_count`` or ``max_size`` is below 1, or :data:`PAD` occurs as a word.
        """
        sentences = _check_sentences(sentences)
        min_count = checks.integer(min_count, "min_count", minimum=1)
        if max_size is not None:
            max_size = checks.integer(max_size, "max_size", minimum=1)
        counter: collections.Counter[str] = collections.Counter()
        for sentence in sentences:
            counter.update(sentence)
        strange = [word for word in counter if not isinstance(word, str)]
        if strange:
            raise TypeError(f"every word must be a string, got {strange[0]!r} ({type(strange[0]).__name__})")
        if PAD in counter:
            raise ValueError(f"the padding token {PAD!r} occurs in the sentences; it is kept for padding")
        kept = sorted(
            ((word, n) for word, n in counter.items() if n >= min_count), key=lambda x: (-x[1], x[0])
        )
        if max_size is not None:
            kept = kept[:max_size]
        words = (PAD, *(word for word, _ in kept))
        counts = np.array([0, *(n for _, n in kept)], dtype=np.int64)
        return cls(words, counts)

    def __repr__(self) -> str:
        shown = ", ".join(repr(word) for word in self.words[:8])
        return f"Vocabulary(V={len(self.words)}: {shown}{', ...' if len(self.words) > 8 else ''})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Vocabulary):
            return NotImplemented
        return self.words == other.words and bool(np.array_equal(self.counts, other.counts))

    __hash__ = None  # type: ignore[assignment]  # equal by value, and not hashable, like its counts array

    def __len__(self) -> int:
        return len(self.words)

    def __contains__(self, word: object) -> bool:
        return word in self._index

    @property
    def frequencies(self) -> np.ndarray:
        """Each word's share of all words counted, ``float64`` of shape ``(V,)``, summing to 1 (0 for PAD).

        >>> Vocabulary.build([["a", "b", "a", "a"]]).frequencies
        array([0.  , 0.75, 0.25])
        """
        total = int(self.counts.sum())
        return self.counts / total if total else np.zeros(len(self.counts))

    def index(self, word: str) -> int:
        """The index of ``word``.

        >>> Vocabulary.build([["a", "b", "a"]]).index("b")
        2

        Raises:
            KeyError: if ``word`` is not in the vocabulary.
        """
        try:
            return self._index[word]
        except KeyError:
            raise KeyError(
                f"{word!r} is not in this vocabulary of V={len(self)} words (a word that occurred fewer than "
                "min_count times, or beyond max_size, was left out when it was built)"
            ) from None
        except TypeError:
            raise TypeError(f"a word must be a string, got {type(word).__name__}") from None

    def encode(self, tokens: Sequence[str], *, unknown: str = "drop") -> np.ndarray:
        """The indices of ``tokens``, ``int64`` of shape ``(T,)``.

        ``unknown="drop"`` leaves out a word that is not in the vocabulary, as word2vec does (the original C
        code and gensim): a rare word removed from the vocabulary is removed from the text, and its
        neighbours become neighbours. ``unknown="error"`` raises a :class:`KeyError` instead.

        >>> vocabulary = Vocabulary.build([["a", "b", "a"]])
        >>> vocabulary.encode(["b", "c", "a"])
        array([2, 1])
        >>> vocabulary.encode(["b", "c", "a"], unknown="error")
        Traceback (most recent call last):
        KeyError: "'c' is not in this vocabulary of V=3 words ..."

        Raises:
            TypeError: if ``tokens`` is a string or not a list of words.
            ValueError: for an ``unknown`` other than ``"drop"`` and ``"error"``.
            KeyError: for a word not in the vocabulary, with ``unknown="error"``.
        """
        tokens = _check_tokens(tokens)
        unknown = checks.one_of(unknown, "unknown", _UNKNOWN)
        if unknown == "error":
            ids = [self.index(token) for token in tokens]
        else:
            found = (self._index.get(token) for token in tokens)
            ids = [i for i in found if i is not None]
        return np.array(ids, dtype=np.int64)

    def encode_corpus(self, sentences: Sequence[Sequence[str]]) -> list[np.ndarray]:
        """Every sentence :meth:`encode`\\ d, unknown words dropped, and sentences left empty dropped too.

        >>> vocabulary = Vocabulary.build([["a", "b", "a"]])
        >>> vocabulary.encode_corpus([["a", "c"], ["c"], ["b", "a"]])
        [array([1]), array([2, 1])]

        Raises:
            TypeError: if ``sentences`` is not a list of lists of words.
        """
        encoded = (self.encode(sentence) for sentence in _check_sentences(sentences))
        return [ids for ids in encoded if ids.size]

    def decode(self, ids: Sequence[int] | np.ndarray) -> list[str]:
        """The words of indices ``ids`` (``0`` gives :data:`PAD`).

        >>> Vocabulary.build([["a", "b", "a"]]).decode(np.array([2, 1, 0]))
        ['b', 'a', '<pad>']

        Raises:
            TypeError: if ``ids`` is not an array or list of integers.
            ValueError: if it is not 1-D or an index lies outside ``0..V-1``.
        """
        array = checks.array(ids, "ids", ndim=1, shape="(T,)")
        if array.size and not np.issubdtype(array.dtype, np.integer):
            raise TypeError(f"ids must be integer indices, got dtype {array.dtype}")
        if array.size and (array.min() < 0 or array.max() >= len(self)):
            raise ValueError(
                f"ids must lie in 0..{len(self) - 1} (V={len(self)}), got {array.min()}..{array.max()}"
            )
        return [self.words[i] for i in array.tolist()]

    def pad_batch(
        self, token_lists: Sequence[Sequence[str]], length: int | None = None, *, unknown: str = "drop"
    ) -> np.ndarray:
        """Word lists as one batch of indices ``(N, T)``, ``int64``, padded at the end with ``0`` (:data:`PAD`).

        Each list is :meth:`encode`\\ d (``unknown`` as there), then padded to ``T = length``; a list with
        more words keeps its first ``length``. With ``length=None``, ``T`` is the longest encoded list (at
        least 1). A list with no known word becomes a row of padding only.

        >>> vocabulary = Vocabulary.build([["a", "b", "a"]])
        >>> vocabulary.pad_batch([["a"], ["b", "a", "b"]], length=2)
        array([[1, 0],
               [2, 1]])

        Raises:
            TypeError: if ``token_lists`` is not a list of lists of words, or ``length`` not an integer.
            ValueError: if there are no lists, or ``length`` is below 1.
            KeyError: for a word not in the vocabulary, with ``unknown="error"``.
        """
        token_lists = _check_sentences(token_lists, "token_lists")
        if not token_lists:
            raise ValueError("token_lists is empty: a batch needs at least one list of words")
        if length is not None:
            length = checks.integer(length, "length", minimum=1)
        encoded = [self.encode(tokens, unknown=unknown) for tokens in token_lists]
        steps = length if length is not None else max([1, *(ids.size for ids in encoded)])
        batch = np.zeros((len(encoded), steps), dtype=np.int64)
        for i, ids in enumerate(encoded):
            kept = ids[:steps]
            batch[i, : kept.size] = kept
        return batch


def pydoc_topics() -> list[list[str]]:
    """Real English text offline: the sentences of Python's own help topics (``help("FORMATTING")``).

    The text of ``pydoc_data.topics.topics``, the pages of the Python Language Reference that ``help()``
    shows, which ship with every CPython (under the Python Software Foundation License, as Python does).
    The topics are read in the order of their names, so the result is the same on every machine with the
    same Python version (another version has slightly different text): some 65,000 words in Python 3.11.
    Introduced in chapter 4.

    >>> sentences = pydoc_topics()
    >>> sum(len(sentence) for sentence in sentences) > 50_000
    True
    >>> "function" in {word for sentence in sentences for word in sentence}
    True
    """
    from pydoc_data.topics import topics

    return [sentence for name in sorted(topics) for sentence in split_sentences(topics[name])]


def load_newsgroups(
    *,
    subset: str = "train",
    cache_dir: str | Path | None = None,
    url: str = NEWSGROUPS_URL,
    sha256: str = NEWSGROUPS_SHA256,
) -> list[list[str]]:
    """The sentences of the 20 Newsgroups posts (about 11,000 for training, 7,500 for testing), downloaded once.

    The archive is the one scikit-learn's ``fetch_20newsgroups`` uses ("bydate": split by date, duplicates
    removed), fetched with :func:`twice.data.download.download`: checked against its SHA-256 and kept in the
    cache, so that a second call does not use the network. The posts are read from the archive directly,
    as Latin-1 (as scikit-learn does), in the order of their names in the archive (newsgroup, then number),
    the training posts before the test posts for ``subset="all"``. Each post's mail headers (everything
    before its first blank line) are dropped, as scikit-learn's ``remove=("headers",)`` does; the rest goes
    through :func:`split_sentences`. Quoted replies and signatures are kept.

    Introduced in chapter 4.

    >>> import tarfile, tempfile, io
    >>> post = b"From: someone\\nSubject: space\\n\\nThe moon is far. Mars is farther"
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     archive = Path(folder) / "fake.tar.gz"
    ...     with tarfile.open(archive, "w:gz") as tar:
    ...         member = tarfile.TarInfo("20news-bydate-train/sci.space/1")
    ...         member.size = len(post)
    ...         tar.addfile(member, io.BytesIO(post))
    ...     from twice.data.download import sha256_of
    ...     load_newsgroups(url=archive.as_uri(), sha256=sha256_of(archive), cache_dir=Path(folder) / "cache")
    [['the', 'moon', 'is', 'far'], ['mars', 'is', 'farther']]

    Args:
        subset: ``"train"``, ``"test"`` or ``"all"``.
        cache_dir: the cache folder; by default :func:`twice.data.download.default_cache_dir`.
        url, sha256: where to fetch the archive and its SHA-256 (a ``file://`` URL for a local copy).

    Raises:
        ValueError: for another ``subset``, or an archive with no post of the subset.
        DownloadError: if the archive cannot be downloaded or has another SHA-256.
    """
    subset = checks.one_of(subset, "subset", tuple(_NEWSGROUPS_FOLDERS))
    folders = _NEWSGROUPS_FOLDERS[subset]
    path = download(url, sha256, filename=NEWSGROUPS_FILENAME, cache_dir=cache_dir)
    posts: dict[str, list[tuple[str, str]]] = {folder: [] for folder in folders}
    # One pass in the archive's own order: a gzip stream read in another order would be decompressed again
    # from the start for every step back.
    with tarfile.open(path, "r:gz") as archive:
        for member in archive:
            folder = member.name.partition("/")[0]
            if not member.isfile() or folder not in posts:
                continue
            handle = archive.extractfile(member)
            if handle is None:  # pragma: no cover - isfile() members always have data
                continue
            with handle:
                posts[folder].append((member.name, handle.read().decode("latin-1")))
    empty = [folder for folder, found in posts.items() if not found]
    if empty:
        raise ValueError(
            f"{path} holds no post under {', '.join(f'{folder}/' for folder in empty)}: "
            "is it the 20 Newsgroups archive 20news-bydate.tar.gz?"
        )
    sentences: list[list[str]] = []
    for folder in folders:
        for _, text in sorted(posts[folder]):
            body = text.replace("\r\n", "\n").partition("\n\n")[2]
            sentences.extend(split_sentences(body))
    return sentences
