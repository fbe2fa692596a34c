"""A synthetic corpus whose structure is known, for learning word vectors (chapter 4), made here, seeded.

Real text hides what word vectors should learn; this corpus is written so that it is known. Four relations
(:data:`RELATIONS`) each pair ten words with ten others: countries and their capitals, male and female
words, singular and plural nouns, present and past verbs. Every sentence comes from a template of its word's
class (:data:`TEMPLATES`): a country is "a large country", its capital "a busy city"; a male word goes with
"he" and "his", a plural with "many" and "two". And each pair shares a *topic* word that its two words, and
no others, appear with: "french" with both ``france`` and ``paris``, "milk" with ``cat`` and ``cats``.

So a word's neighbours say both its class (the template) and its pair (the topic), which is what an analogy
such as ``france : paris :: italy : rome`` asks for: the offset from a country to its capital is the same
for every pair. :meth:`SyntheticCorpus.analogy_questions` writes these questions in the format of
word2vec's ``questions-words.txt``, which gensim's ``KeyedVectors.evaluate_word_analogies`` reads.

* :func:`synthetic_corpus`: the sentences, each word's class and the pairs of each relation.
* :func:`word_class_phrases`: a small classification task on top of it, whose validation and test words no
  training phrase contains, so that only what word vectors learned from the unlabelled corpus carries over.

Every random draw comes from ``numpy.random.default_rng(seed)``: the same arguments give the same corpus on
every machine.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .. import checks


@dataclass(frozen=True)
class Relation:
    """One relation of the synthetic corpus: ten word pairs, each pair with a topic word of its own.

    Attributes:
        classes: the class of the first and of the second word of every pair, e.g. ``("country", "capital")``.
        topic_class: the class of the topic words, e.g. ``"language"``.
        triples: ``(first word, second word, topic word)`` for each of the ten pairs, the most frequent
            pair first (see :func:`synthetic_corpus`).

    Introduced in chapter 4.

    >>> relation = RELATIONS["country-capital"]
    >>> relation.classes, relation.topic_class, relation.triples[0]
    (('country', 'capital'), 'language', ('france', 'paris', 'french'))
    >>> relation.pairs[:2]
    (('france', 'paris'), ('italy', 'rome'))
    """

    classes: tuple[str, str]
    topic_class: str
    triples: tuple[tuple[str, str, str], ...]

    @property
    def pairs(self) -> tuple[tuple[str, str], ...]:
        """The word pairs ``(first, second)``, without their topic words."""
        return tuple((first, second) for first, second, _ in self.triples)


RELATIONS: dict[str, Relation] = {
    "country-capital": Relation(
        ("country", "capital"),
        "language",
        (
            ("france", "paris", "french"),
            ("italy", "rome", "italian"),
            ("germany", "berlin", "german"),
            ("spain", "madrid", "spanish"),
            ("japan", "tokyo", "japanese"),
            ("russia", "moscow", "russian"),
            ("greece", "athens", "greek"),
            ("egypt", "cairo", "arabic"),
            ("china", "beijing", "chinese"),
            ("portugal", "lisbon", "portuguese"),
        ),
    ),
    "male-female": Relation(
        ("male", "female"),
        "belonging",
        (
            ("king", "queen", "crown"),
            ("man", "woman", "coat"),
            ("boy", "girl", "bicycle"),
            ("father", "mother", "garden"),
            ("son", "daughter", "homework"),
            ("brother", "sister", "guitar"),
            ("uncle", "aunt", "farm"),
            ("husband", "wife", "car"),
            ("prince", "princess", "horse"),
            ("actor", "actress", "stage"),
        ),
    ),
    "singular-plural": Relation(
        ("singular", "plural"),
        "food",
        (
            ("cat", "cats", "milk"),
            ("dog", "dogs", "bones"),
            ("bird", "birds", "seeds"),
            ("mouse", "mice", "cheese"),
            ("cow", "cows", "grass"),
            ("fox", "foxes", "chickens"),
            ("bee", "bees", "flowers"),
            ("wolf", "wolves", "deer"),
            ("rabbit", "rabbits", "carrots"),
            ("fish", "fishes", "worms"),
        ),
    ),
    "present-past": Relation(
        ("present", "past"),
        "object",
        (
            ("play", "played", "games"),
            ("sing", "sang", "songs"),
            ("write", "wrote", "letters"),
            ("swim", "swam", "laps"),
            ("cook", "cooked", "dinner"),
            ("paint", "painted", "pictures"),
            ("drive", "drove", "trucks"),
            ("build", "built", "houses"),
            ("bake", "baked", "bread"),
            ("watch", "watched", "films"),
        ),
    ),
}
"""The four relations, by name in the style of word2vec's analogy sections (``country-capital``: the first
word of each pair is a country, the second its capital). Each relation has ten pairs of words of two classes,
and a topic word for each pair, of a third class; no word appears twice.

>>> {name: relation.classes for name, relation in RELATIONS.items()}    # doctest: +NORMALIZE_WHITESPACE
{'country-capital': ('country', 'capital'), 'male-female': ('male', 'female'),
 'singular-plural': ('singular', 'plural'), 'present-past': ('present', 'past')}
"""

TEMPLATES: dict[str, tuple[str, ...]] = {
    "country": (
        "{w} is a large country where people speak {t}",
        "the country of {w} has many people who speak {t}",
        "we travelled across {w} and spoke {t}",
    ),
    "capital": (
        "{w} is a busy city where people speak {t}",
        "the city of {w} has many people who speak {t}",
        "we walked around {w} and spoke {t}",
    ),
    "male": (
        "he is a {w} and he likes his {t}",
        "the {w} said that he lost his {t}",
        "that {w} washed his {t}",
    ),
    "female": (
        "she is a {w} and she likes her {t}",
        "the {w} said that she lost her {t}",
        "that {w} washed her {t}",
    ),
    "singular": ("a {w} eats {t} every day", "one {w} likes {t}", "this {w} looks for {t}"),
    "plural": ("many {w} eat {t} every day", "two {w} like {t}", "these {w} look for {t}"),
    "present": ("today we {w} {t} together", "they often {w} {t} now", "i {w} {t} every morning"),
    "past": ("yesterday we {w} {t} together", "they {w} {t} last week", "i {w} {t} long ago"),
}
"""Three sentence templates for each class of pair words: ``{w}`` is the word, ``{t}`` its pair's topic word.
The two classes of a relation have parallel templates that differ in a few words ("he"/"she", "eats"/"eat").

>>> TEMPLATES["singular"][1].format(w="cat", t="milk")
'one cat likes milk'
"""

FUNCTION_CLASS = "function"
"""The class of the templates' own words ("the", "is", "he", "every"), which belong to no relation."""

ZIPF_EXPONENT = 0.5
"""Pair ``k`` of a relation (counting from 1) is drawn with probability proportional to ``1 / k**0.5``."""

_SPLITS = ("train", "validation", "test")


def _pair_classes() -> tuple[str, ...]:
    return tuple(name for relation in RELATIONS.values() for name in relation.classes)


def _word_classes() -> dict[str, str]:
    """Every word of the corpus' vocabulary and its class: pair words, topic words, then function words."""
    classes: dict[str, str] = {}
    for relation in RELATIONS.values():
        for first, second, _ in relation.triples:
            classes[first], classes[second] = relation.classes
    for relation in RELATIONS.values():
        for *_, topic in relation.triples:
            classes[topic] = relation.topic_class
    template_words = {word for templates in TEMPLATES.values() for text in templates for word in text.split()}
    for word in sorted(template_words - {"{w}", "{t}"}):
        if word in classes:  # pragma: no cover - a guard on the constants above
            raise AssertionError(f"{word!r} is both a template word and a {classes[word]} word")
        classes[word] = FUNCTION_CLASS
    return classes


@dataclass(frozen=True)
class SyntheticCorpus:
    """The sentences of :func:`synthetic_corpus`, with what is known about their words.

    Frozen: the fields cannot be reassigned. The sentences are lists, as gensim's ``Word2Vec`` and
    :meth:`twice.data.text.Vocabulary.build` take them; copy one before changing it.

    Attributes:
        sentences: the sentences, each a list of lower-case words.
        word_classes: every word of the vocabulary (all that a sentence can contain, noise included) and its
            class: one of the eight pair classes (``"country"``, ``"capital"``, ...), one of the four topic
            classes (``"language"``, ``"belonging"``, ``"food"``, ``"object"``), or ``"function"``.
        pairs: the word pairs of each relation, by relation name, as in :data:`RELATIONS`.
        noise, seed: how the corpus was made.

    Introduced in chapter 4.

    >>> corpus = synthetic_corpus(1000, seed=0)
    >>> corpus
    SyntheticCorpus(sentences=1000, words=174, noise=0.2, seed=0)
    >>> corpus.word_classes["paris"], corpus.word_classes["french"], corpus.word_classes["speak"]
    ('capital', 'language', 'function')
    >>> corpus.pairs["present-past"][1]
    ('sing', 'sang')
    """

    sentences: list[list[str]]
    word_classes: dict[str, str]
    pairs: dict[str, tuple[tuple[str, str], ...]]
    noise: float
    seed: int

    def __repr__(self) -> str:
        return (
            f"SyntheticCorpus(sentences={len(self.sentences)}, words={len(self.word_classes)}, "
            f"noise={self.noise}, seed={self.seed})"
        )

    @property
    def content_classes(self) -> tuple[str, ...]:
        """The classes of the relations' words: the eight pair classes, then the four topic classes.

        Every class of :attr:`word_classes` but ``"function"``, in the order of :data:`RELATIONS`.
        """
        pair_classes = _pair_classes()
        topic_classes = tuple(relation.topic_class for relation in RELATIONS.values())
        return pair_classes + topic_classes

    def words_of(self, word_class: str) -> tuple[str, ...]:
        """The words of one class, in the order of :data:`RELATIONS` (function words alphabetically).

        >>> synthetic_corpus(10).words_of("capital")[:3]
        ('paris', 'rome', 'berlin')

        Raises:
            ValueError: for a class that no word has.
        """
        word_class = checks.one_of(word_class, "word_class", (*self.content_classes, FUNCTION_CLASS))
        return tuple(word for word, found in self.word_classes.items() if found == word_class)

    def analogy_questions(self) -> str:
        """The analogy questions of the four relations, in the format of word2vec's ``questions-words.txt``.

        One section per relation, a line ``: name``, then one question per line, ``a b c d``: "``a`` is to
        ``b`` as ``c`` is to ``d``", for every ordered choice of two different pairs ``(a, b)`` and
        ``(c, d)`` of the relation: ``10 · 9 = 90`` questions a section, 360 in all. gensim's
        ``KeyedVectors.evaluate_word_analogies`` reads this text from a file (:meth:`write_analogies`); it
        skips a question with a word it has no vector for, which happens only for a corpus so small that
        a word never occurs.

        >>> lines = synthetic_corpus(10).analogy_questions().splitlines()
        >>> lines[:3]
        [': country-capital', 'france paris italy rome', 'france paris germany berlin']
        >>> len(lines), sum(line.startswith(":") for line in lines)
        (364, 4)
        """
        lines = []
        for name, pairs in self.pairs.items():
            lines.append(f": {name}")
            for i, (a, b) in enumerate(pairs):
                lines.extend(f"{a} {b} {c} {d}" for j, (c, d) in enumerate(pairs) if i != j)
        return "\n".join(lines) + "\n"

    def write_analogies(self, path: str | Path) -> Path:
        """Write :meth:`analogy_questions` to ``path`` (UTF-8), replacing the file, and return the path.

        >>> import tempfile
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     written = synthetic_corpus(10).write_analogies(Path(folder) / "questions.txt")
        ...     written.name, written.read_text().count("\\n")
        ('questions.txt', 364)

        Raises:
            TypeError: if ``path`` is neither a string nor a :class:`~pathlib.Path`.
        """
        if not isinstance(path, (str, Path)):
            raise TypeError(f"path must be a string or a pathlib.Path, got {type(path).__name__}")
        target = Path(path)
        target.write_text(self.analogy_questions(), encoding="utf-8")
        return target


def synthetic_corpus(sentences: int = 10_000, *, noise: float = 0.2, seed: int = 0) -> SyntheticCorpus:
    """Sentences about countries, people, animals and activities, made from templates, with some noise.

    Each sentence is drawn the same way: a relation of :data:`RELATIONS`, uniformly; one of its ten pairs,
    pair ``k`` with probability proportional to ``1 / k**0.5`` (Zipf-like, :data:`ZIPF_EXPONENT`: the
    first pair about three times as often as the tenth, so the corpus has frequent and rare words); one of
    the pair's two words, uniformly; and one of the three :data:`TEMPLATES` of that word's class, uniformly,
    filled in with the word and its pair's topic word. Then, in a fraction ``noise`` of the sentences, one
    word, at a uniformly drawn position, is replaced by a word drawn uniformly from the whole vocabulary (it
    may draw the word that was there): real text is never as clean as templates.

    The draws are made for all sentences at once, in this order: relations, pairs, sides, templates, which
    sentences are noisy, the positions, the replacing words. So the same ``sentences`` and ``seed`` with
    another ``noise`` give the same sentences before the noise, and the same noisy sentences for a
    smaller ``noise`` are among those of a larger one.

    With the defaults, gensim's skip-gram ``Word2Vec(vector_size=32, window=3, negative=5, sample=1e-3,
    min_count=1, sg=1, epochs=5)`` answers 90 % of the 360 analogy questions correctly or more (91 to 98 %
    for seeds 0, 1 and 2, gensim 4.4.0 with one worker).
    Introduced in chapter 4.

    >>> corpus = synthetic_corpus(5, seed=1)
    >>> [" ".join(sentence) for sentence in corpus.sentences]      # the fourth has a noise word, "dogs"
    ['that actor washed his stage', 'these dogs look for bones', 'i wrote letters long ago',
     'they often dogs houses now', 'we travelled across germany and spoke german']

    Args:
        sentences: the number of sentences.
        noise: the fraction of sentences with one word replaced by a random one, in ``[0, 1]``.
        seed: the seed of the draws.

    Raises:
        TypeError: if ``sentences`` or ``seed`` is not an integer, or ``noise`` not a number.
        ValueError: if ``sentences < 1``, ``noise`` lies outside ``[0, 1]`` or the seed is out of range.
    """
    count = checks.integer(sentences, "sentences", minimum=1)
    noise = checks.number(noise, "noise", low=0.0, high=1.0)
    seed = checks.seed(seed)
    word_classes = _word_classes()
    vocabulary = sorted(word_classes)
    relations = list(RELATIONS.values())
    num_pairs = len(relations[0].triples)
    weights = 1.0 / np.arange(1, num_pairs + 1) ** ZIPF_EXPONENT
    rng = np.random.default_rng(seed)
    relation_ids = rng.integers(0, len(relations), size=count)
    pair_ids = rng.choice(num_pairs, size=count, p=weights / weights.sum())
    sides = rng.integers(0, 2, size=count)
    template_ids = rng.integers(0, len(TEMPLATES["country"]), size=count)
    noisy = rng.random(count) < noise
    out: list[list[str]] = []
    for r, k, side, template in zip(relation_ids, pair_ids, sides, template_ids):
        relation = relations[r]
        triple = relation.triples[k]
        text = TEMPLATES[relation.classes[side]][template]
        out.append(text.format(w=triple[side], t=triple[2]).split())
    lengths = np.array([len(sentence) for sentence in out])
    positions = rng.integers(0, lengths)  # one position in each sentence, drawn for all, used where noisy
    replacements = rng.integers(0, len(vocabulary), size=count)
    for i in np.flatnonzero(noisy):
        out[i][positions[i]] = vocabulary[replacements[i]]
    pairs = {name: relation.pairs for name, relation in RELATIONS.items()}
    return SyntheticCorpus(sentences=out, word_classes=word_classes, pairs=pairs, noise=noise, seed=seed)


@dataclass(frozen=True)
class PhraseSplits:
    """Short phrases labelled with their words' class, split so that no word crosses from one split to another.

    Attributes:
        x_train, x_validation, x_test: the phrases, each a list of 1 to ``max_words`` words.
        y_train, y_validation, y_test: their labels, ``int64`` of shape ``(N,)``: indices into
            ``class_names``.
        class_names: the eight pair classes, ``("country", "capital", "male", ..., "past")``.
        words: the words each split draws from, by split name (``"train"``, ``"validation"``, ``"test"``);
            the three share no word.

    Introduced in chapter 4.

    >>> splits = word_class_phrases(synthetic_corpus(10), phrases=8, seed=0)
    >>> splits
    PhraseSplits(train=8, validation=2, test=2, classes=8)
    >>> splits.x_train[0], splits.class_names[splits.y_train[0]]
    (['aunt', 'actress', 'daughter'], 'female')
    >>> x_test, y_test = splits.test()
    >>> x_test, y_test
    ([['beijing', 'beijing'], ['play', 'bake', 'play', 'bake']], array([1, 6]))
    """

    x_train: list[list[str]]
    y_train: np.ndarray
    x_validation: list[list[str]]
    y_validation: np.ndarray
    x_test: list[list[str]]
    y_test: np.ndarray
    class_names: tuple[str, ...]
    words: dict[str, tuple[str, ...]]

    def __repr__(self) -> str:
        return (
            f"PhraseSplits(train={len(self.y_train)}, validation={len(self.y_validation)}, "
            f"test={len(self.y_test)}, classes={len(self.class_names)})"
        )

    @property
    def num_classes(self) -> int:
        """The number of classes, 8."""
        return len(self.class_names)

    def train(self) -> tuple[list[list[str]], np.ndarray]:
        """The training phrases and their labels."""
        return self.x_train, self.y_train

    def validation(self) -> tuple[list[list[str]], np.ndarray]:
        """The validation phrases and their labels."""
        return self.x_validation, self.y_validation

    def test(self) -> tuple[list[list[str]], np.ndarray]:
        """The test phrases and their labels."""
        return self.x_test, self.y_test


def _split_sizes(split: object, total: int) -> tuple[int, int, int]:
    if not isinstance(split, (tuple, list)) or len(split) != 3:
        raise TypeError(f"split must be a tuple of three integers (train, validation, test), got {split!r}")
    sizes = tuple(checks.integer(size, f"split[{i}]", minimum=1) for i, size in enumerate(split))
    if sum(sizes) != total:
        raise ValueError(f"split must share out the {total} pairs of each relation, got {split!r}")
    return sizes[0], sizes[1], sizes[2]


def word_class_phrases(
    corpus: SyntheticCorpus,
    *,
    phrases: int,
    seed: int = 0,
    split: Sequence[int] = (6, 2, 2),
    max_words: int = 4,
    evaluation_phrases: int | None = None,
) -> PhraseSplits:
    """A classification task on the words of a :class:`SyntheticCorpus`: which class are a phrase's words?

    A phrase is 1 to ``max_words`` words (the number drawn uniformly) of one of the eight pair classes
    (``country``, ``capital``, ``male``, ``female``, ``singular``, ``plural``, ``present``, ``past``), drawn
    uniformly with replacement from that class's words in the phrase's split; its label is the class. The
    class of each phrase is drawn uniformly.

    The split is by pair, not by phrase: the ten pairs of each relation are shuffled (a seeded permutation
    per relation) and shared out ``split = (6, 2, 2)``: the words of six pairs for training, of two for
    validation, of two for testing, both words of a pair going to the same split. So a validation or test
    phrase contains only words that no training phrase contains. A classifier that learns its own word
    vectors from the labelled phrases alone cannot tell the class of a word it never saw (its vector stays
    as it was initialised); one that starts from vectors learned on the unlabelled corpus can, because
    ``rome`` occurs in the same templates as ``paris``. The gap between the two is what those vectors carry
    over.

    Introduced in chapter 4.

    >>> splits = word_class_phrases(synthetic_corpus(10), phrases=600, seed=0)
    >>> splits
    PhraseSplits(train=600, validation=200, test=200, classes=8)
    >>> len(splits.words["train"]), len(splits.words["validation"]), len(splits.words["test"])
    (48, 16, 16)
    >>> set(splits.words["train"]) & set(splits.words["test"])
    set()

    Args:
        corpus: the corpus whose pairs and word classes are used (its sentences are not).
        phrases: the number of training phrases.
        seed: the seed of the split and of the phrases.
        split: how many pairs of each relation go to training, validation and test; they must add up to
            the number of pairs of a relation, 10, each at least 1.
        max_words: the most words in a phrase.
        evaluation_phrases: the number of validation phrases, and of test phrases; ``phrases // 3`` (at
            least 1) when ``None``.

    Raises:
        TypeError: if ``corpus`` is not a :class:`SyntheticCorpus`, ``split`` not three integers, or a count
            or the seed not an integer.
        ValueError: if a count is below 1, ``split`` does not add up to 10, or the seed is out of range.
    """
    if not isinstance(corpus, SyntheticCorpus):
        raise TypeError(f"corpus must be a SyntheticCorpus, got {type(corpus).__name__}")
    phrases = checks.integer(phrases, "phrases", minimum=1)
    seed = checks.seed(seed)
    max_words = checks.integer(max_words, "max_words", minimum=1)
    if evaluation_phrases is None:
        evaluation_phrases = max(1, phrases // 3)
    evaluation_phrases = checks.integer(evaluation_phrases, "evaluation_phrases", minimum=1)
    class_names = _pair_classes()
    relation_names = list(corpus.pairs)
    sizes = _split_sizes(split, len(corpus.pairs[relation_names[0]]))
    bounds = np.cumsum((0, *sizes))
    rng = np.random.default_rng(seed)
    # words[split][class index]: the words of that class in that split, in the order of the pairs.
    words: dict[str, list[list[str]]] = {name: [] for name in _SPLITS}
    for relation_name in relation_names:
        pairs = corpus.pairs[relation_name]
        order = rng.permutation(len(pairs))
        for s, name in enumerate(_SPLITS):
            chosen = [pairs[k] for k in sorted(order[bounds[s] : bounds[s + 1]])]
            words[name].extend([[pair[side] for pair in chosen] for side in (0, 1)])
    made: dict[str, tuple[list[list[str]], np.ndarray]] = {}
    for name, count in zip(_SPLITS, (phrases, evaluation_phrases, evaluation_phrases)):
        labels = rng.integers(0, len(class_names), size=count)
        lengths = rng.integers(1, max_words + 1, size=count)
        picks = rng.integers(0, len(words[name][0]), size=(count, max_words))  # every class has as many words
        x = [[words[name][c][p] for p in row[:n]] for c, n, row in zip(labels, lengths, picks)]
        made[name] = (x, labels.astype(np.int64))
    return PhraseSplits(
        x_train=made["train"][0],
        y_train=made["train"][1],
        x_validation=made["validation"][0],
        y_validation=made["validation"][1],
        x_test=made["test"][0],
        y_test=made["test"][1],
        class_names=class_names,
        words={name: tuple(word for group in words[name] for word in group) for name in _SPLITS},
    )
