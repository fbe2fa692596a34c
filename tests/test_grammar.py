"""Tests for twice.data.grammar: chapter 4's synthetic corpus (seeded, its classes, pairs, noise and analogy
questions, read by gensim too) and the word-class phrases whose splits share no word."""

from __future__ import annotations

import dataclasses
import functools
import re
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

import twice
from twice.data.grammar import (
    FUNCTION_CLASS,
    RELATIONS,
    TEMPLATES,
    PhraseSplits,
    SyntheticCorpus,
    synthetic_corpus,
    word_class_phrases,
)

PAIR_CLASSES = ("country", "capital", "male", "female", "singular", "plural", "present", "past")
TOPIC_CLASSES = ("language", "belonging", "food", "object")
NON_INTEGERS = [(2.0, "float 2.0"), ("4", "str '4'"), (True, "bool True"), (None, "NoneType None")]


@functools.cache
def _corpus(sentences: int = 10_000, noise: float = 0.2, seed: int = 0) -> SyntheticCorpus:
    return synthetic_corpus(sentences, noise=noise, seed=seed)


def _parse_analogies(text: str) -> dict[str, list[tuple[str, str, str, str]]]:
    """Google's questions-words.txt format: ``: section`` lines, then ``a b c d`` lines."""
    sections: dict[str, list[tuple[str, str, str, str]]] = {}
    current = None
    for line in text.splitlines():
        if line.startswith(": "):
            current = line[2:]
            assert current not in sections
            sections[current] = []
        else:
            words = line.split()
            assert current is not None and len(words) == 4, line
            sections[current].append((words[0], words[1], words[2], words[3]))
    return sections


# --- the constants -------------------------------------------------------------------------------------------


def test_four_relations_of_ten_pairs_with_their_classes() -> None:
    assert list(RELATIONS) == ["country-capital", "male-female", "singular-plural", "present-past"]
    assert tuple(c for relation in RELATIONS.values() for c in relation.classes) == PAIR_CLASSES
    assert tuple(relation.topic_class for relation in RELATIONS.values()) == TOPIC_CLASSES
    assert all(len(relation.triples) == 10 for relation in RELATIONS.values())
    assert RELATIONS["country-capital"].pairs[0] == ("france", "paris")
    assert RELATIONS["male-female"].pairs[0] == ("king", "queen")


def test_no_word_appears_twice_in_the_relations_or_in_the_templates() -> None:
    words = [word for relation in RELATIONS.values() for triple in relation.triples for word in triple]
    assert len(words) == len(set(words)) == 120
    template_words = {w for texts in TEMPLATES.values() for text in texts for w in text.split()}
    assert not template_words & set(words)


def test_every_pair_class_has_three_templates_with_a_word_and_a_topic() -> None:
    assert tuple(TEMPLATES) == PAIR_CLASSES
    for texts in TEMPLATES.values():
        assert len(texts) == 3
        assert all(text.count("{w}") == 1 and text.count("{t}") == 1 for text in texts)


# --- synthetic_corpus ----------------------------------------------------------------------------------------


def test_the_same_seed_gives_the_same_corpus_and_another_seed_another() -> None:
    first = synthetic_corpus(2000, seed=3)
    assert first == synthetic_corpus(2000, seed=3)
    assert first.sentences != synthetic_corpus(2000, seed=4).sentences


def test_a_known_corpus_for_seed_zero() -> None:
    # Pins the draws: a change to their order or kind would change every notebook's corpus.
    sentences = [" ".join(s) for s in synthetic_corpus(4, seed=0).sentences]
    assert sentences == [
        "they played games last week",
        "two cats this milk",  # noise: "this" for "like"
        "two wolves like deer",
        "like princess washed her horse",  # noise: "like" for "that"
    ]
    assert " ".join(synthetic_corpus(4, noise=0.0, seed=0).sentences[1]) == "two cats like milk"


def test_sizes_repr_and_fields() -> None:
    corpus = _corpus()
    assert len(corpus.sentences) == 10_000
    assert all(isinstance(s, list) and 3 <= len(s) <= 10 for s in corpus.sentences)
    assert repr(corpus) == "SyntheticCorpus(sentences=10000, words=174, noise=0.2, seed=0)"
    assert corpus.noise == 0.2 and corpus.seed == 0
    with pytest.raises(dataclasses.FrozenInstanceError):
        corpus.seed = 1  # type: ignore[misc]


def test_the_class_map_covers_the_vocabulary_and_nothing_else() -> None:
    corpus = _corpus()
    used = {word for sentence in corpus.sentences for word in sentence}
    assert used == set(corpus.word_classes)  # 10,000 sentences use every word
    counts = Counter(corpus.word_classes.values())
    assert {c: counts[c] for c in PAIR_CLASSES} == dict.fromkeys(PAIR_CLASSES, 10)
    assert {c: counts[c] for c in TOPIC_CLASSES} == dict.fromkeys(TOPIC_CLASSES, 10)
    assert set(counts) == {*PAIR_CLASSES, *TOPIC_CLASSES, FUNCTION_CLASS}
    assert corpus.word_classes["the"] == FUNCTION_CLASS and corpus.word_classes["cheese"] == "food"
    assert corpus.content_classes == PAIR_CLASSES + TOPIC_CLASSES


def test_words_of_a_class() -> None:
    corpus = _corpus()
    assert corpus.words_of("plural")[:3] == ("cats", "dogs", "birds")
    assert corpus.words_of("object")[-1] == "films"
    assert corpus.words_of("function") == tuple(sorted(corpus.words_of("function")))
    with pytest.raises(ValueError, match="unknown word_class 'animal'"):
        corpus.words_of("animal")


def test_the_pairs_are_the_relations_pairs() -> None:
    corpus = _corpus(100)
    assert corpus.pairs == {name: relation.pairs for name, relation in RELATIONS.items()}
    for relation in RELATIONS.values():
        for first, second in relation.pairs:
            assert (corpus.word_classes[first], corpus.word_classes[second]) == relation.classes


def test_without_noise_every_sentence_is_a_filled_template_of_its_word() -> None:
    corpus = _corpus(3000, noise=0.0)
    patterns = {}
    for word_class, texts in TEMPLATES.items():
        alternatives = "|".join(
            re.escape(t).replace(r"\{w\}", r"(\w+)").replace(r"\{t\}", r"(\w+)") for t in texts
        )
        patterns[word_class] = re.compile(f"(?:{alternatives})")
    topic = {w: t for relation in RELATIONS.values() for a, b, t in relation.triples for w in (a, b)}
    for sentence in corpus.sentences:
        text = " ".join(sentence)
        word = next(w for w in sentence if corpus.word_classes[w] in PAIR_CLASSES)
        match = patterns[corpus.word_classes[word]].fullmatch(text)
        assert match is not None, text
        assert [g for g in match.groups() if g] == [word, topic[word]]


def test_the_noise_replaces_one_word_in_about_that_fraction_of_sentences() -> None:
    clean = _corpus(10_000, noise=0.0)
    for noise in (0.2, 0.5):
        noisy = _corpus(10_000, noise=noise)
        changed = [sum(a != b for a, b in zip(s, t)) for s, t in zip(clean.sentences, noisy.sentences)]
        assert max(changed) == 1  # the same sentences underneath, at most one word replaced
        # A replacement may draw the word that was there (1 in 174), so slightly fewer are changed.
        assert abs(np.mean(changed) - noise * (1 - 1 / 174)) < 0.015
    assert _corpus(500, noise=1.0).sentences != _corpus(500, noise=0.0).sentences


def test_pair_frequencies_are_zipf_like() -> None:
    corpus = _corpus()
    counts = Counter(word for sentence in _corpus(10_000, noise=0.0).sentences for word in sentence)
    for relation in RELATIONS.values():
        per_pair = np.array([counts[a] + counts[b] for a, b in relation.pairs], dtype=float)
        expected = 1 / np.arange(1, 11) ** 0.5
        np.testing.assert_allclose(per_pair / per_pair.sum(), expected / expected.sum(), atol=0.02)
    assert corpus.words_of("country")[0] == "france"


def test_the_sentences_of_each_relation_are_about_a_quarter() -> None:
    corpus = _corpus(10_000, noise=0.0)
    relation_of = {c: name for name, relation in RELATIONS.items() for c in relation.classes}
    found = Counter(
        relation_of[next(corpus.word_classes[w] for w in s if corpus.word_classes[w] in relation_of)]
        for s in corpus.sentences
    )
    assert all(abs(n / 10_000 - 0.25) < 0.02 for n in found.values())


@pytest.mark.parametrize(("bad", "shown"), NON_INTEGERS)
def test_a_count_that_is_not_an_integer_is_rejected(bad: object, shown: str) -> None:
    with pytest.raises(TypeError, match=f"^sentences must be an integer, got {re.escape(shown)}$"):
        synthetic_corpus(bad)  # type: ignore[arg-type]


def test_bad_arguments_are_rejected() -> None:
    with pytest.raises(ValueError, match="sentences must be a positive integer, got 0"):
        synthetic_corpus(0)
    with pytest.raises(ValueError, match=r"noise must lie in \[0, 1\], got 1.5"):
        synthetic_corpus(10, noise=1.5)
    with pytest.raises(TypeError, match="noise must be a number"):
        synthetic_corpus(10, noise="0.2")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="seed must be an integer <= 4294967295"):
        synthetic_corpus(10, seed=2**32)
    with pytest.raises(TypeError, match="seed must be an integer"):
        synthetic_corpus(10, seed=None)  # type: ignore[arg-type]


# --- the analogy questions -----------------------------------------------------------------------------------


def test_the_analogy_questions_are_in_google_format_four_sections_of_ninety() -> None:
    corpus = _corpus()
    sections = _parse_analogies(corpus.analogy_questions())
    assert list(sections) == list(RELATIONS)
    for name, questions in sections.items():
        assert len(questions) == len(set(questions)) == 90
        pairs = set(RELATIONS[name].pairs)
        assert all((a, b) in pairs and (c, d) in pairs and (a, b) != (c, d) for a, b, c, d in questions)
    assert sections["country-capital"][0] == ("france", "paris", "italy", "rome")
    assert corpus.analogy_questions().endswith("\n")


def test_every_analogy_word_is_in_the_corpus() -> None:
    corpus = _corpus()
    used = {word for sentence in corpus.sentences for word in sentence}
    words = {
        w for questions in _parse_analogies(corpus.analogy_questions()).values() for q in questions for w in q
    }
    assert len(words) == 80 and words <= used


def test_write_analogies(tmp_path: Path) -> None:
    corpus = _corpus(100)
    path = corpus.write_analogies(str(tmp_path / "questions.txt"))
    assert path == tmp_path / "questions.txt" and isinstance(path, Path)
    assert path.read_text(encoding="utf-8") == corpus.analogy_questions()
    with pytest.raises(TypeError, match="path must be a string or a pathlib.Path, got int"):
        corpus.write_analogies(3)  # type: ignore[arg-type]


def test_gensim_reads_the_analogy_file(tmp_path: Path) -> None:
    import gensim.models as gensim_models  # pinned in requirements.txt: missing, it fails
    corpus = _corpus()
    words = sorted(corpus.word_classes)
    vectors = gensim_models.KeyedVectors(vector_size=8)
    vectors.add_vectors(words, np.random.default_rng(0).normal(size=(len(words), 8)).astype(np.float32))
    score, sections = vectors.evaluate_word_analogies(str(corpus.write_analogies(tmp_path / "q.txt")))
    assert [s["section"] for s in sections] == [*RELATIONS, "Total accuracy"]
    assert [len(s["correct"]) + len(s["incorrect"]) for s in sections] == [90, 90, 90, 90, 360]
    assert 0.0 <= score <= 1.0


# --- word_class_phrases --------------------------------------------------------------------------------------


def _splits(**kwargs: object) -> PhraseSplits:
    arguments: dict[str, object] = {"phrases": 600, "seed": 0, **kwargs}
    return word_class_phrases(_corpus(100), **arguments)  # type: ignore[arg-type]


def test_phrase_sizes_and_types() -> None:
    splits = _splits()
    assert repr(splits) == "PhraseSplits(train=600, validation=200, test=200, classes=8)"
    assert splits.class_names == PAIR_CLASSES and splits.num_classes == 8
    for x, y in (splits.train(), splits.validation(), splits.test()):
        assert isinstance(x, list) and all(isinstance(phrase, list) for phrase in x)
        assert y.dtype == np.int64 and y.shape == (len(x),)
        assert 0 <= y.min() and y.max() < 8
    assert {len(phrase) for phrase in splits.x_train} == {1, 2, 3, 4}
    assert len(_splits(evaluation_phrases=7).x_test) == 7
    assert len(_splits(phrases=2).x_validation) == 1  # phrases // 3, at least one


def test_each_phrase_holds_words_of_its_label_only() -> None:
    corpus, splits = _corpus(100), _splits(max_words=6)
    for x, y in (splits.train(), splits.validation(), splits.test()):
        for phrase, label in zip(x, y):
            assert 1 <= len(phrase) <= 6
            assert {corpus.word_classes[w] for w in phrase} == {splits.class_names[label]}


def test_the_splits_share_no_word_and_keep_pairs_together() -> None:
    splits = _splits()
    words = {name: set(found) for name, found in splits.words.items()}
    assert [len(words[name]) for name in ("train", "validation", "test")] == [48, 16, 16]
    assert not words["train"] & words["validation"]
    assert not words["train"] & words["test"] and not words["validation"] & words["test"]
    for name, x in (("train", splits.x_train), ("validation", splits.x_validation), ("test", splits.x_test)):
        assert {w for phrase in x for w in phrase} <= words[name]
    for relation in RELATIONS.values():
        for a, b in relation.pairs:
            assert [a in found for found in words.values()] == [b in found for found in words.values()]
    # Enough phrases use every word of their split.
    assert {w for phrase in splits.x_train for w in phrase} == words["train"]


def test_the_classes_are_about_balanced() -> None:
    counts = np.bincount(_splits(phrases=8000).y_train, minlength=8)
    assert counts.min() > 900 and counts.max() < 1100


def test_phrases_are_seeded() -> None:
    assert _splits(seed=5).x_test == _splits(seed=5).x_test
    assert _splits(seed=5).words != _splits(seed=6).words
    np.testing.assert_array_equal(_splits(seed=5).y_train, _splits(seed=5).y_train)


def test_another_split_of_the_pairs() -> None:
    splits = _splits(split=(8, 1, 1))
    assert [len(splits.words[name]) for name in ("train", "validation", "test")] == [64, 8, 8]


@pytest.mark.parametrize("split", [(6, 2, 1), (7, 3, 0), (10, 0, 0)])
def test_a_split_that_does_not_share_out_ten_pairs_is_rejected(split: tuple[int, int, int]) -> None:
    with pytest.raises(ValueError, match="split"):
        _splits(split=split)


def test_bad_phrase_arguments_are_rejected() -> None:
    with pytest.raises(TypeError, match="corpus must be a SyntheticCorpus, got list"):
        word_class_phrases([["a"]], phrases=10)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="split must be a tuple of three integers"):
        _splits(split=(6, 4))
    with pytest.raises(TypeError, match=r"split\[1\] must be an integer"):
        _splits(split=(6, 2.0, 2))
    with pytest.raises(ValueError, match="phrases must be a positive integer"):
        _splits(phrases=0)
    with pytest.raises(ValueError, match="max_words must be a positive integer"):
        _splits(max_words=0)
    with pytest.raises(TypeError, match="evaluation_phrases must be an integer"):
        _splits(evaluation_phrases=2.5)


def test_twice_data_exports_the_grammar() -> None:
    for name in ("RELATIONS", "TEMPLATES", "SyntheticCorpus", "PhraseSplits", "synthetic_corpus"):
        assert getattr(twice.data, name) is getattr(twice.data.grammar, name)
    assert twice.data.word_class_phrases is word_class_phrases
