"""Tests for twice.data.text: the tokeniser, the vocabulary (order, encoding, padding, errors), Python's help
topics, and the 20 Newsgroups loader, on small fake archives read through file:// URLs (no network)."""

from __future__ import annotations

import dataclasses
import importlib.util
import io
import re
import tarfile
from pathlib import Path

import numpy as np
import pytest

import twice
from twice.data import text as text_module
from twice.data.download import DownloadError, sha256_of
from twice.data.text import (
    NEWSGROUPS_FILENAME,
    NEWSGROUPS_SHA256,
    NEWSGROUPS_URL,
    PAD,
    Vocabulary,
    load_newsgroups,
    pydoc_topics,
    split_sentences,
    tokenize,
)

SENTENCES = [["the", "cat", "sat"], ["the", "dog", "sat"], ["the", "end"], ["a", "cat"]]

# --- tokenize and split_sentences ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("Hello, World!", ["hello", "world"]),
        ("don't stop", ["don", "t", "stop"]),
        ("R2-D2 in 1977", ["r", "d", "in"]),
        ("café au lait", ["caf", "au", "lait"]),
        ("snake_case and CamelCase", ["snake", "case", "and", "camelcase"]),
        ("", []),
        ("... 42 !", []),
    ],
)
def test_tokenize(text: str, words: list[str]) -> None:
    assert tokenize(text) == words


def test_split_sentences_at_punctuation_and_blank_lines_but_not_line_breaks() -> None:
    text = "One two. Three? Four!\nstill four; five: six\n\n seven\n  \n\neight\nnine"
    assert split_sentences(text) == [
        ["one", "two"],
        ["three"],
        ["four"],
        ["still", "four"],
        ["five"],
        ["six"],
        ["seven"],
        ["eight", "nine"],
    ]
    assert split_sentences("...!? 12.5") == []


@pytest.mark.parametrize("function", [tokenize, split_sentences])
def test_text_must_be_a_string(function: object) -> None:
    with pytest.raises(TypeError, match="text must be a string, got bytes"):
        function(b"abc")  # type: ignore[operator]


# --- Vocabulary ----------------------------------------------------------------------------------------------


def test_build_orders_by_count_then_alphabetically_after_padding() -> None:
    vocabulary = Vocabulary.build(SENTENCES)
    assert vocabulary.words == (PAD, "the", "cat", "sat", "a", "dog", "end")
    assert vocabulary.counts.dtype == np.int64
    np.testing.assert_array_equal(vocabulary.counts, [0, 3, 2, 2, 1, 1, 1])
    assert len(vocabulary) == 7 and vocabulary.index(PAD) == 0
    assert repr(vocabulary) == "Vocabulary(V=7: '<pad>', 'the', 'cat', 'sat', 'a', 'dog', 'end')"
    assert repr(Vocabulary.build([list("abcdefghij")])).endswith("'f', 'g', ...)")


def test_build_is_independent_of_sentence_order() -> None:
    assert Vocabulary.build(SENTENCES) == Vocabulary.build(SENTENCES[::-1])
    assert Vocabulary.build(SENTENCES) != Vocabulary.build(SENTENCES[:2])
    assert Vocabulary.build(SENTENCES) != "not a vocabulary"


def test_min_count_and_max_size() -> None:
    assert Vocabulary.build(SENTENCES, min_count=2).words == (PAD, "the", "cat", "sat")
    assert Vocabulary.build(SENTENCES, max_size=2).words == (PAD, "the", "cat")
    assert Vocabulary.build(SENTENCES, min_count=3, max_size=10).words == (PAD, "the")
    assert Vocabulary.build(SENTENCES, min_count=4).words == (PAD,)
    assert Vocabulary.build([]).words == (PAD,)


def test_frequencies() -> None:
    vocabulary = Vocabulary.build(SENTENCES)
    np.testing.assert_allclose(vocabulary.frequencies, np.array([0, 3, 2, 2, 1, 1, 1]) / 10)
    assert vocabulary.frequencies.dtype == np.float64
    np.testing.assert_array_equal(Vocabulary.build([]).frequencies, [0.0])


def test_contains_and_index() -> None:
    vocabulary = Vocabulary.build(SENTENCES)
    assert "cat" in vocabulary and "bird" not in vocabulary and PAD in vocabulary and 3 not in vocabulary
    assert [vocabulary.index(w) for w in ("the", "cat", "end")] == [1, 2, 6]
    with pytest.raises(KeyError, match="'bird' is not in this vocabulary of V=7 words"):
        vocabulary.index("bird")
    with pytest.raises(TypeError, match="a word must be a string, got list"):
        vocabulary.index(["cat"])  # type: ignore[arg-type]


def test_encode_drops_or_refuses_unknown_words() -> None:
    vocabulary = Vocabulary.build(SENTENCES)
    ids = vocabulary.encode(["the", "bird", "cat", "the"])
    assert ids.dtype == np.int64
    np.testing.assert_array_equal(ids, [1, 2, 1])
    np.testing.assert_array_equal(vocabulary.encode(["cat", "sat"], unknown="error"), [2, 3])
    with pytest.raises(KeyError, match="'bird'"):
        vocabulary.encode(["the", "bird"], unknown="error")
    empty = vocabulary.encode([])
    assert empty.shape == (0,) and empty.dtype == np.int64
    with pytest.raises(ValueError, match="unknown unknown 'skip': expected one of 'drop', 'error'"):
        vocabulary.encode(["the"], unknown="skip")
    with pytest.raises(TypeError, match="tokens must be a list of words, got str"):
        vocabulary.encode("the cat")  # a string is a sequence of strings too


def test_encode_corpus_drops_unknown_words_and_empty_sentences() -> None:
    vocabulary = Vocabulary.build(SENTENCES, min_count=2)
    encoded = vocabulary.encode_corpus([["the", "dog"], ["dog", "end"], ["cat", "sat", "a"]])
    assert [ids.tolist() for ids in encoded] == [[1], [2, 3]]
    with pytest.raises(TypeError, match=r"sentences\[0\] must be a list of words, got str"):
        vocabulary.encode_corpus(["the cat"])  # a string is a sequence of strings too


def test_decode_is_the_inverse_of_encode() -> None:
    vocabulary = Vocabulary.build(SENTENCES)
    for sentence in SENTENCES:
        assert vocabulary.decode(vocabulary.encode(sentence)) == sentence
    assert vocabulary.decode([0, 6]) == [PAD, "end"]
    assert vocabulary.decode(np.array([], dtype=np.int64)) == []
    with pytest.raises(ValueError, match=r"ids must lie in 0..6 \(V=7\), got 0..7"):
        vocabulary.decode([0, 7])
    with pytest.raises(ValueError, match="got -1..1"):
        vocabulary.decode([1, -1])
    with pytest.raises(TypeError, match="ids must be integer indices, got dtype float64"):
        vocabulary.decode([1.0])  # type: ignore[list-item]
    with pytest.raises(ValueError, match=r"ids must have shape \(T,\)"):
        vocabulary.decode([[1]])  # type: ignore[list-item]


def test_pad_batch_pads_at_the_end_with_zero() -> None:
    vocabulary = Vocabulary.build(SENTENCES)
    batch = vocabulary.pad_batch([["cat"], ["the", "dog", "sat"], ["bird"], []])
    assert batch.dtype == np.int64
    np.testing.assert_array_equal(batch, [[2, 0, 0], [1, 5, 3], [0, 0, 0], [0, 0, 0]])
    np.testing.assert_array_equal(vocabulary.pad_batch([["the", "dog", "sat"]], length=2), [[1, 5]])
    np.testing.assert_array_equal(vocabulary.pad_batch([["cat"]], length=3), [[2, 0, 0]])
    assert vocabulary.pad_batch([["bird"]]).shape == (1, 1)  # at least one step
    with pytest.raises(KeyError, match="'bird'"):
        vocabulary.pad_batch([["bird"]], unknown="error")


def test_pad_batch_rejects_bad_arguments() -> None:
    vocabulary = Vocabulary.build(SENTENCES)
    with pytest.raises(ValueError, match="token_lists is empty"):
        vocabulary.pad_batch([])
    with pytest.raises(ValueError, match="length must be a positive integer, got 0"):
        vocabulary.pad_batch([["cat"]], length=0)
    with pytest.raises(TypeError, match="length must be an integer"):
        vocabulary.pad_batch([["cat"]], length=2.0)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="token_lists must be a list of sentences"):
        vocabulary.pad_batch("cat")  # a string is a sequence of strings too


def test_build_rejects_bad_arguments() -> None:
    with pytest.raises(TypeError, match="sentences must be a list of sentences"):
        Vocabulary.build("the cat sat")  # a string is a sequence of strings too
    with pytest.raises(TypeError, match=r"sentences\[1\] must be a list of words, got str"):
        Vocabulary.build([["a"], "b c"])  # a string is a sequence of strings too
    with pytest.raises(TypeError, match="every word must be a string, got 3"):
        Vocabulary.build([["a", 3]])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="padding token '<pad>' occurs"):
        Vocabulary.build([["a", PAD]])
    with pytest.raises(ValueError, match="min_count must be a positive integer"):
        Vocabulary.build(SENTENCES, min_count=0)
    with pytest.raises(ValueError, match="max_size must be a positive integer"):
        Vocabulary.build(SENTENCES, max_size=0)
    with pytest.raises(TypeError, match="min_count must be an integer"):
        Vocabulary.build(SENTENCES, min_count=True)


def test_the_constructor_checks_its_fields() -> None:
    vocabulary = Vocabulary((PAD, "a", "b"), np.array([0, 5, 2], dtype=np.int32))
    assert vocabulary.counts.dtype == np.int64 and not vocabulary.counts.flags.writeable
    with pytest.raises(ValueError, match="read-only"):
        vocabulary.counts[1] = 7
    with pytest.raises(dataclasses.FrozenInstanceError):
        vocabulary.words = (PAD,)  # type: ignore[misc]
    with pytest.raises(ValueError, match="words\\[0\\] must be the padding token"):
        Vocabulary(("a", PAD), np.array([1, 0]))
    with pytest.raises(ValueError, match=r"appear more often: \['a'\]"):
        Vocabulary((PAD, "a", "a"), np.array([0, 1, 1]))
    with pytest.raises(ValueError, match="one count per word, 2"):
        Vocabulary((PAD, "a"), np.array([0, 1, 1]))
    with pytest.raises(ValueError, match="non-negative, and 0 for '<pad>'"):
        Vocabulary((PAD, "a"), np.array([1, 1]))
    with pytest.raises(TypeError, match="counts must be integers, got dtype float64"):
        Vocabulary((PAD, "a"), np.array([0.0, 1.0]))
    with pytest.raises(TypeError, match="words must be a tuple of strings, got list"):
        Vocabulary([PAD, "a"], np.array([0, 1]))  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        hash(vocabulary)


# --- pydoc_topics --------------------------------------------------------------------------------------------


def test_pydoc_topics_is_a_sizeable_deterministic_corpus() -> None:
    sentences = pydoc_topics()
    assert sum(len(s) for s in sentences) > 50_000
    assert all(sentence and all(re.fullmatch("[a-z]+", w) for w in sentence) for sentence in sentences)
    assert sentences == pydoc_topics()
    vocabulary = Vocabulary.build(sentences)
    assert vocabulary.words[1] == "the"
    assert {"function", "class", "return", "object"} <= set(vocabulary.words)


# --- 20 Newsgroups -------------------------------------------------------------------------------------------


def test_newsgroups_constants_match_scikit_learn_source() -> None:
    assert re.fullmatch(r"[0-9a-f]{64}", NEWSGROUPS_SHA256)
    assert NEWSGROUPS_FILENAME == "20news-bydate.tar.gz"
    # Read scikit-learn's source without importing the module: find_spec only locates it.
    spec = importlib.util.find_spec("sklearn")
    assert spec is not None and spec.submodule_search_locations, "scikit-learn (a dependency of twice) is missing"
    source_file = Path(next(iter(spec.submodule_search_locations))) / "datasets" / "_twenty_newsgroups.py"
    assert source_file.is_file(), f"scikit-learn 1.9.1 (the pinned version) keeps its loader at {source_file}"
    source = source_file.read_text(encoding="utf-8")
    archive = re.search(r"ARCHIVE = RemoteFileMetadata\((.*?)\)", source, re.DOTALL)
    assert archive is not None
    assert f'filename="{NEWSGROUPS_FILENAME}"' in archive.group(1)
    assert f'url="{NEWSGROUPS_URL}"' in archive.group(1)
    assert f'checksum="{NEWSGROUPS_SHA256}"' in archive.group(1)


POSTS = {
    "20news-bydate-train/sci.space/61": b"From: a@b.c\nSubject: Re: the Moon\nLines: 2\n\nThe Moon is far.\n"
    b"Mars is\nfarther!\n\nSignature",
    "20news-bydate-train/alt.atheism/51": b"From: x@y.z\nSubject: headers only\n",
    "20news-bydate-train/alt.atheism/50": b"Subject: first\n\nFirst post: caf\xe9 ok",
    "20news-bydate-test/sci.space/70": b"From: t@e.st\n\nA test post",
}


def _archive(path: Path, posts: dict[str, bytes]) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        folder = tarfile.TarInfo("20news-bydate-train")
        folder.type = tarfile.DIRTYPE
        tar.addfile(folder)
        for name, data in posts.items():
            member = tarfile.TarInfo(name)
            member.size = len(data)
            tar.addfile(member, io.BytesIO(data))
    return path


def test_load_newsgroups_on_a_fake_archive(tmp_path: Path) -> None:
    source = _archive(tmp_path / "fake.tar.gz", POSTS)
    cache = tmp_path / "cache"
    arguments = {"url": source.as_uri(), "sha256": sha256_of(source), "cache_dir": cache}
    train = load_newsgroups(**arguments)  # type: ignore[arg-type]
    # Sorted by name (alt.atheism/50, alt.atheism/51, sci.space/61), headers dropped, Latin-1 decoded.
    assert train == [
        ["first", "post"],
        ["caf", "ok"],
        ["the", "moon", "is", "far"],
        ["mars", "is", "farther"],
        ["signature"],
    ]
    assert (cache / NEWSGROUPS_FILENAME).is_file()
    source.unlink()  # from now on only the cache has it
    test = load_newsgroups(subset="test", **arguments)  # type: ignore[arg-type]
    assert test == [["a", "test", "post"]]
    assert load_newsgroups(subset="all", **arguments) == train + test  # type: ignore[arg-type]


def test_load_newsgroups_passes_its_arguments_to_download(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = _archive(tmp_path / "fake.tar.gz", POSTS)
    calls: list[tuple[object, ...]] = []

    def fake_download(url: str, sha256: str, *, filename: str, cache_dir: object) -> Path:
        calls.append((url, sha256, filename, cache_dir))
        return source

    monkeypatch.setattr(text_module, "download", fake_download)
    load_newsgroups()
    assert calls == [(NEWSGROUPS_URL, NEWSGROUPS_SHA256, NEWSGROUPS_FILENAME, None)]


def test_load_newsgroups_rejects_an_archive_without_the_subset(tmp_path: Path) -> None:
    source = _archive(tmp_path / "other.tar.gz", {"20news-bydate-train/a/1": b"x\n\ny"})
    with pytest.raises(ValueError, match="no post under 20news-bydate-test/"):
        load_newsgroups(
            subset="test", url=source.as_uri(), sha256=sha256_of(source), cache_dir=tmp_path / "c"
        )


def test_load_newsgroups_checks_the_hash_and_the_subset(tmp_path: Path) -> None:
    source = _archive(tmp_path / "fake.tar.gz", POSTS)
    with pytest.raises(DownloadError, match="has SHA-256"):
        load_newsgroups(url=source.as_uri(), sha256="0" * 64, cache_dir=tmp_path / "cache")
    with pytest.raises(ValueError, match="unknown subset 'validation'"):
        load_newsgroups(subset="validation")


def test_twice_data_exports_the_text_helpers() -> None:
    for name in ("PAD", "Vocabulary", "tokenize", "split_sentences", "pydoc_topics", "load_newsgroups"):
        assert getattr(twice.data, name) is getattr(text_module, name)
    assert twice.data.NEWSGROUPS_URL == NEWSGROUPS_URL and twice.data.NEWSGROUPS_SHA256 == NEWSGROUPS_SHA256
