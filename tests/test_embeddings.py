"""Tests for twice.embeddings: the SGNS reference (lookups, sampling, pairs, batches, loss) and the evaluation
helpers, with the analogy scorer checked against gensim's ``evaluate_word_analogies`` question by question."""

from __future__ import annotations

import itertools
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from twice.embeddings import (
    EMBEDDING_RULE,
    AnalogyScore,
    AnalogySection,
    SkipGramBatches,
    analogy_accuracy,
    class_purity,
    keep_probability,
    nearest_neighbours,
    noise_distribution,
    one_hot,
    project_2d,
    read_analogies,
    sgns_loss,
    skipgram_batches,
    skipgram_pairs,
    to_keyed_vectors,
    unit_rows,
    word2vec_init,
)


@pytest.fixture(scope="module")
def gensim() -> Any:
    import gensim  # pinned in requirements.txt: a missing gensim fails, it does not skip

    return gensim


# --- lookups and sampling distributions ---------------------------------------------------------------------


def test_a_lookup_is_a_product_with_one_hot_vectors() -> None:
    table = np.random.default_rng(0).normal(size=(7, 3)).astype(np.float32)
    ids = np.array([[0, 6, 2], [2, 2, 5]])
    vectors = one_hot(ids, 7)
    assert vectors.shape == (2, 3, 7) and vectors.dtype == np.float64
    assert (vectors.sum(axis=-1) == 1).all()
    np.testing.assert_array_equal(vectors @ table, table[ids])  # exactly: one 1, the rest zeros


@pytest.mark.parametrize(
    ("ids", "size", "error", "match"),
    [
        ([0, 3], 3, ValueError, r"ids must be word ids in \[0, 3\), got values 0\.\.3"),
        ([-1], 3, ValueError, r"in \[0, 3\)"),
        ([0.0, 1.0], 3, TypeError, r"ids must hold integer word ids"),
        ([0], 0, ValueError, r"size must be a positive integer"),
        (["a"], 3, TypeError, r"ids must be a numeric array"),
    ],
)
def test_one_hot_refuses_what_is_not_a_word_id(
    ids: Any, size: int, error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=match):
        one_hot(ids, size)


def test_the_noise_distribution_is_the_unigram_distribution_to_the_power() -> None:
    counts = np.array([0, 81, 16, 1, 0, 625])
    probs = noise_distribution(counts)
    assert math.isclose(probs.sum(), 1.0) and probs[0] == 0 and probs[4] == 0
    np.testing.assert_allclose(probs, counts**0.75 / (counts**0.75).sum())
    np.testing.assert_allclose(noise_distribution(counts, power=1.0), counts / counts.sum())
    uniform = noise_distribution(counts, power=0.0)  # the words that occur, equally; never the padding
    np.testing.assert_allclose(uniform, [0, 0.25, 0.25, 0.25, 0, 0.25])


@pytest.mark.parametrize(
    ("counts", "error", "match"),
    [
        ([0, 0], ValueError, r"counts must have a positive total"),
        ([1, -1], ValueError, r"counts must be finite and non-negative"),
        ([[1, 2]], ValueError, r"counts must have shape \(V,\)"),
        (["1"], TypeError, r"counts must be a numeric array"),
    ],
)
def test_sampling_distributions_refuse_bad_counts(counts: Any, error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        noise_distribution(counts)
    with pytest.raises(error, match=match):
        keep_probability(counts, 1e-3)


def test_the_keep_probability_is_word2vecs_formula_capped_at_one() -> None:
    counts = np.array([0, 5000, 700, 90, 3, 1], dtype=np.float64)
    sample = 1e-3
    f = counts / counts.sum()
    with np.errstate(divide="ignore"):
        expected = np.minimum((np.sqrt(f / sample) + 1) * sample / f, 1.0)
    np.testing.assert_allclose(keep_probability(counts, sample), expected, rtol=1e-12)
    assert keep_probability(counts, sample)[0] == 1.0  # a count of 0: the limit, never drawn anyway
    # The paper's discard probability 1 - sqrt(t/f) keeps less of every frequent word than the code does.
    frequent = f > sample
    assert (keep_probability(counts, sample)[frequent] > np.sqrt(sample / f[frequent])).all()
    np.testing.assert_array_equal(keep_probability(counts, 0), np.ones(6))
    # Words with f below t·(3 + √5)/2 are never dropped; just above it, they are.
    golden = sample * (3 + math.sqrt(5)) / 2
    probe = np.array([golden * 0.999, golden * 1.001, 1 - golden * 2]) * 1e6
    assert keep_probability(probe, sample)[0] == 1.0 and keep_probability(probe, sample)[1] < 1.0


@pytest.mark.parametrize("sample", [-0.1, 1.0, 5])
def test_keep_probability_takes_a_proportion(sample: float) -> None:
    with pytest.raises(ValueError, match=r"sample must lie in \[0, 1\)"):
        keep_probability([1, 2], sample)


@pytest.mark.parametrize("sample", [1e-3, 1e-2, 0.05])
def test_the_keep_probability_matches_gensims_sample_int_thresholds(gensim: Any, sample: float) -> None:
    rng = np.random.default_rng(3)
    vocabulary = [f"w{i}" for i in range(30)]
    zipf = 1.0 / np.arange(1, 31)
    sentences = [list(rng.choice(vocabulary, size=12, p=zipf / zipf.sum())) for _ in range(300)]
    model = gensim.models.Word2Vec(min_count=1, sample=sample, sg=1, workers=1, seed=0)
    model.build_vocab(sentences)
    words = model.wv.index_to_key
    counts = np.array([model.wv.get_vecattr(w, "count") for w in words])
    thresholds = np.array([model.wv.get_vecattr(w, "sample_int") for w in words], dtype=np.uint32)
    assert (thresholds < 2**32 - 1).any()  # some words are thinned out
    # gensim stores its keep probability as a uint32 threshold, p · (2**32 - 1): equal, to the last bit.
    ours = np.array([np.uint32(p * (2**32 - 1)) for p in keep_probability(counts, sample)])
    np.testing.assert_array_equal(ours, thresholds)


# --- pairs and batches --------------------------------------------------------------------------------------


def _position_corpus(lengths: list[int]) -> tuple[list[np.ndarray], np.ndarray, np.ndarray]:
    """Sentences whose every position has its own word id, so a pair tells where its two words were."""
    sentences, start = [], 1
    for length in lengths:
        sentences.append(np.arange(start, start + length))
        start += length
    sentence_of = np.concatenate([[-1]] + [np.full(len(s), i) for i, s in enumerate(sentences)])
    return sentences, np.concatenate([[0], np.ones(start - 1)]), sentence_of


@pytest.mark.parametrize("window", [1, 2, 5])
def test_pairs_stay_in_their_sentence_and_within_the_window(window: int) -> None:
    sentences, counts, sentence_of = _position_corpus([1, 4, 9, 2, 30])
    centres, contexts = skipgram_pairs(
        sentences, counts, window=window, sample=0, rng=np.random.default_rng(0)
    )
    assert centres.dtype == contexts.dtype == np.int64 and len(centres) == len(contexts) > 0
    assert (sentence_of[centres] == sentence_of[contexts]).all()  # never across sentences
    distance = np.abs(centres - contexts)
    assert distance.min() >= 1 and distance.max() <= window
    assert not (centres == 1).any()  # a sentence of one word has no pairs
    # Each pair once per epoch: no duplicate (centre, context).
    assert len(set(zip(centres.tolist(), contexts.tolist()))) == len(centres)


def test_the_dynamic_window_takes_near_words_more_often() -> None:
    # With b uniform in 1..3, a word at distance d is a context with probability (3 - d + 1) / 3: 3 : 2 : 1.
    sentences, counts, _ = _position_corpus([200] * 50)
    centres, contexts = skipgram_pairs(sentences, counts, window=3, sample=0, rng=np.random.default_rng(1))
    share = np.bincount(np.abs(centres - contexts), minlength=4)[1:] / len(centres)
    np.testing.assert_allclose(share, [3 / 6, 2 / 6, 1 / 6], atol=0.01)


def test_pairs_are_shuffled_and_deterministic_for_a_seed() -> None:
    sentences, counts, _ = _position_corpus([20] * 10)
    first = skipgram_pairs(sentences, counts, window=2, sample=0.1, rng=np.random.default_rng(5))
    again = skipgram_pairs(sentences, counts, window=2, sample=0.1, rng=np.random.default_rng(5))
    other = skipgram_pairs(sentences, counts, window=2, sample=0.1, rng=np.random.default_rng(6))
    for a, b in zip(first, again):
        np.testing.assert_array_equal(a, b)
    assert len(first[0]) != len(other[0]) or not np.array_equal(first[0], other[0])
    assert not (np.diff(first[0]) >= 0).all()  # not in corpus order


def test_subsampling_thins_out_the_frequent_word() -> None:
    rng = np.random.default_rng(2)
    sentences = [rng.choice(4, size=20, p=[0.0, 0.85, 0.1, 0.05]) for _ in range(400)]
    counts = np.bincount(np.concatenate(sentences), minlength=4)
    kept_share = []
    for sample in (0.0, 1e-2):
        centres, _ = skipgram_pairs(sentences, counts, window=1, sample=sample, rng=np.random.default_rng(0))
        kept_share.append(np.mean(centres == 1))
    assert kept_share[1] < kept_share[0] - 0.2


def test_pairs_refuse_bad_arguments() -> None:
    counts = np.ones(4)
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match=r"encoded\[1\] must be word ids in \[0, 4\)"):
        skipgram_pairs([np.array([1, 2]), np.array([4])], counts, window=2, sample=0, rng=rng)
    with pytest.raises(TypeError, match=r"rng must be a numpy.random.Generator"):
        skipgram_pairs([np.array([1, 2])], counts, window=2, sample=0, rng=0)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"window must be a positive integer"):
        skipgram_pairs([np.array([1, 2])], counts, window=0, sample=0, rng=rng)
    with pytest.raises(TypeError, match=r"encoded must be a sequence of 1-D arrays"):
        skipgram_pairs(np.array([1, 2]), counts, window=1, sample=0, rng=rng)  # type: ignore[arg-type]
    empty = skipgram_pairs([], counts, window=1, sample=0, rng=rng)
    assert [len(a) for a in empty] == [0, 0]


def _small_corpus(seed: int = 0, sentences: int = 200) -> tuple[list[np.ndarray], np.ndarray]:
    rng = np.random.default_rng(seed)
    encoded = [rng.integers(1, 30, size=rng.integers(3, 12)) for _ in range(sentences)]
    return encoded, np.bincount(np.concatenate(encoded), minlength=30)


def test_batches_have_fixed_shapes_and_drop_each_epochs_partial_batch() -> None:
    encoded, counts = _small_corpus()
    batches = skipgram_batches(
        encoded, counts, window=2, negative=4, sample=1e-2, epochs=3, batch_size=64, seed=1
    )
    assert isinstance(batches, SkipGramBatches)
    steps = batches.steps
    assert batches.centres.shape == batches.contexts.shape == (steps, 64)
    assert batches.negatives.shape == (steps, 64, 4)
    assert {a.dtype for a in (batches.centres, batches.contexts, batches.negatives)} == {np.dtype(np.int64)}
    assert (batches.batch_size, batches.negative, len(batches)) == (64, 4, steps)
    # The same draws, epoch by epoch, from the same generator: full batches only.
    rng = np.random.default_rng(1)
    expected = 0
    for _ in range(3):
        centres, _ = skipgram_pairs(encoded, counts, window=2, sample=1e-2, rng=rng)
        rng.choice(30, size=(len(centres) // 64 * 64, 4), p=noise_distribution(counts))
        expected += len(centres) // 64
    assert steps == expected
    step = next(iter(batches))
    assert [a.shape for a in step] == [(64,), (64,), (64, 4)]
    assert sum(1 for _ in batches) == steps


def test_batches_are_the_same_for_a_seed_and_negatives_follow_the_noise_distribution() -> None:
    encoded, counts = _small_corpus(sentences=400)
    first = skipgram_batches(encoded, counts, negative=5, epochs=2, batch_size=128, seed=7)
    again = skipgram_batches(encoded, counts, negative=5, epochs=2, batch_size=128, seed=7)
    other = skipgram_batches(encoded, counts, negative=5, epochs=2, batch_size=128, seed=8)
    for name in ("centres", "contexts", "negatives"):
        np.testing.assert_array_equal(getattr(first, name), getattr(again, name))
    assert not np.array_equal(first.negatives, other.negatives)
    drawn = np.bincount(first.negatives.ravel(), minlength=30) / first.negatives.size
    assert drawn[0] == 0  # the padding row has count 0: never a negative
    np.testing.assert_allclose(drawn, noise_distribution(counts), atol=0.01)


def test_batches_refuse_a_corpus_without_a_full_batch_and_bad_sizes() -> None:
    encoded, counts = _small_corpus(sentences=3)
    with pytest.raises(ValueError, match=r"fewer than batch_size=4096 pairs per epoch"):
        skipgram_batches(encoded, counts, batch_size=4096)
    with pytest.raises(ValueError, match=r"negative must be a positive integer"):
        skipgram_batches(encoded, counts, negative=0)
    with pytest.raises(TypeError, match=r"seed must be an integer"):
        skipgram_batches(encoded, counts, seed=None)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"negatives must have shape \(2, 3, 'k'\)"):
        SkipGramBatches(np.zeros((2, 3), np.int64), np.zeros((2, 3), np.int64), np.zeros((2, 4, 1), np.int64))
    with pytest.raises(TypeError, match=r"centres must be an int64 NumPy array"):
        SkipGramBatches(np.zeros((2, 3)), np.zeros((2, 3), np.int64), np.zeros((2, 3, 1), np.int64))


# --- initial weights and the loss ---------------------------------------------------------------------------


def test_word2vec_init_is_uniform_in_half_over_dim_with_zero_output_vectors() -> None:
    w_in, w_out = word2vec_init(500, 20, seed=3)
    assert w_in.shape == w_out.shape == (500, 20) and w_in.dtype == w_out.dtype == np.float32
    assert (w_out == 0).all()
    assert np.abs(w_in).max() <= 0.5 / 20 and np.abs(w_in).max() > 0.49 / 20
    assert abs(float(w_in.mean())) < 1e-3 and math.isclose(
        float(w_in.std()), 1 / (20 * math.sqrt(12)), rel_tol=0.02
    )
    np.testing.assert_array_equal(word2vec_init(500, 20, seed=3)[0], w_in)
    assert not np.array_equal(word2vec_init(500, 20, seed=4)[0], w_in)


def _hand_loss(w_in: np.ndarray, w_out: np.ndarray, c: np.ndarray, o: np.ndarray, n: np.ndarray) -> float:
    def log_sigmoid(x: float) -> float:
        return -math.log1p(math.exp(-x)) if x >= 0 else x - math.log1p(math.exp(x))

    total = 0.0
    for i in range(len(c)):
        u = w_in[c[i]].astype(np.float64)
        total -= log_sigmoid(float(u @ w_out[o[i]]))
        for k in range(n.shape[1]):
            total -= log_sigmoid(-float(u @ w_out[n[i, k]]))
    return total / len(c)


@pytest.mark.parametrize("scale", [0.1, 3.0, 400.0])
def test_the_sgns_loss_matches_a_hand_loop_and_stays_finite(scale: float) -> None:
    rng = np.random.default_rng(4)
    w_in, w_out = rng.normal(scale=scale, size=(12, 5)), rng.normal(scale=scale, size=(12, 5))
    c, o, n = rng.integers(0, 12, 16), rng.integers(0, 12, 16), rng.integers(0, 12, (16, 3))
    loss = sgns_loss(w_in, w_out, c, o, n)
    assert math.isfinite(loss)
    assert math.isclose(loss, _hand_loss(w_in, w_out, c, o, n), rel_tol=1e-12)


def test_the_sgns_loss_starts_at_one_plus_k_log_two_and_refuses_bad_shapes() -> None:
    w_in, w_out = word2vec_init(10, 4, seed=0)
    c, o, n = np.array([1, 2, 3]), np.array([4, 5, 6]), np.array([[7, 8], [9, 1], [2, 3]])
    assert math.isclose(sgns_loss(w_in, w_out, c, o, n), 3 * math.log(2))
    with pytest.raises(ValueError, match=r"negatives \(B, k\)"):
        sgns_loss(w_in, w_out, c, o, n[:2])
    with pytest.raises(ValueError, match=r"w_in and w_out must have the same shape"):
        sgns_loss(w_in, w_out[:5], c, o, n)
    with pytest.raises(ValueError, match=r"contexts must be word ids in \[0, 10\)"):
        sgns_loss(w_in, w_out, c, o + 10, n)


def test_the_embedding_rule_moves_a_table_unchanged() -> None:
    table = np.random.default_rng(0).normal(size=(9, 4)).astype(np.float32)
    weight, bias = EMBEDDING_RULE.to_torch(table)
    back, _ = EMBEDDING_RULE.to_keras(weight)
    assert bias is None and weight is not table
    np.testing.assert_array_equal(weight, table)
    np.testing.assert_array_equal(back, table)


# --- neighbours, classes, a picture -------------------------------------------------------------------------


def test_unit_rows_have_length_one_and_zero_rows_stay_zero() -> None:
    unit = unit_rows(np.array([[3.0, 4.0], [0.0, 0.0], [-2.0, 0.0]], dtype=np.float32))
    assert unit.dtype == np.float64
    np.testing.assert_allclose(unit, [[0.6, 0.8], [0.0, 0.0], [-1.0, 0.0]])


def test_nearest_neighbours_by_cosine_without_the_query_and_the_excluded() -> None:
    words = ["<a>", "b", "c", "d", "e"]
    vectors = np.array([[1.0, 0.0], [10.0, 1.0], [0.0, 1.0], [-1.0, 0.0], [1.0, 1.0]])
    found = nearest_neighbours(vectors, words, "<a>", k=3)
    assert [w for w, _ in found] == ["b", "e", "c"]  # cosine, not distance: b is far but close in angle
    np.testing.assert_allclose([s for _, s in found], [10 / math.sqrt(101), 1 / math.sqrt(2), 0.0])
    assert [w for w, _ in nearest_neighbours(vectors, words, "<a>", k=2, exclude=["b"])] == ["e", "c"]
    assert len(nearest_neighbours(vectors, words, "c", k=10)) == 4
    # Ties: the word listed first.
    assert [
        w for w, _ in nearest_neighbours(np.array([[1.0, 0], [0, 1], [0, 1]]), ["x", "y", "z"], "x", 2)
    ] == [
        "y",
        "z",
    ]
    with pytest.raises(ValueError, match=r"'f' is not one of the words"):
        nearest_neighbours(vectors, words, "f")
    with pytest.raises(ValueError, match=r"words must name the 5 rows of vectors, got 4 words"):
        nearest_neighbours(vectors, words[:4], "b")
    with pytest.raises(ValueError, match=r"words must be distinct"):
        nearest_neighbours(vectors, ["b", "b", "c", "d", "e"], "c")


def test_class_purity_counts_neighbours_of_the_same_class() -> None:
    words = ["cat", "dog", "cow", "red", "blue", "unclassed"]
    vectors = np.array(
        [[1, 0.1], [1, 0], [1, 0.5], [0.1, 1], [0, 1], [1, 0.05]]
    )  # 5.7°, 0°, 26.6°, 84.3°, 90°
    classes = {"cat": "animal", "dog": "animal", "cow": "animal", "red": "colour", "blue": "colour", "x": "?"}
    # k=1: cat -> dog, dog -> cat, cow -> cat, red -> blue, blue -> red ("unclassed" is nobody's neighbour).
    assert class_purity(vectors, words, classes, k=1) == 1.0
    # k=2: the animals find two animals; red and blue find each other, then cow.
    assert class_purity(vectors, words, classes, k=2) == pytest.approx((1 + 1 + 1 + 0.5 + 0.5) / 5)
    with pytest.raises(ValueError, match=r"more than k=5 words with a class, got 5"):
        class_purity(vectors, words, classes, k=5)
    with pytest.raises(TypeError, match=r"classes must be a mapping"):
        class_purity(vectors, words, [("cat", "animal")], k=1)  # type: ignore[arg-type]


def test_project_2d_is_pca_with_a_fixed_sign() -> None:
    rng = np.random.default_rng(5)
    vectors = rng.normal(size=(40, 6)) * np.array([5, 3, 1, 0.5, 0.2, 0.1])
    points = project_2d(vectors.astype(np.float32))
    assert points.shape == (40, 2) and points.dtype == np.float64
    centred = vectors.astype(np.float32).astype(np.float64)
    centred -= centred.mean(axis=0)
    _, vecs = np.linalg.eigh(centred.T @ centred)
    components = vecs[:, ::-1][:, :2].T
    components *= np.sign(components[np.arange(2), np.abs(components).argmax(axis=1)])[:, None]
    np.testing.assert_allclose(points, centred @ components.T, atol=1e-9)
    # The rows' order does not change where each lands, nor does the sign the SVD happens to return.
    order = rng.permutation(40)
    np.testing.assert_allclose(project_2d(vectors[order]), project_2d(vectors)[order], atol=1e-9)
    with pytest.raises(ValueError, match=r"at least 2 vectors of at least 2 dimensions"):
        project_2d(np.ones((1, 3)))


# --- analogies ----------------------------------------------------------------------------------------------

_QUESTIONS = """\
: capital-common
Athens Greece Berlin Germany
athens greece paris france
ATHENS GREECE Rome Italy
Athens Greece Atlantis Nowhere

: family
boy girl brother sister
Boy Girl King Queen
this line has five words
boy girl
"""


def test_read_analogies_reads_sections_and_skips_what_gensim_skips(tmp_path: Path) -> None:
    sections = read_analogies(_QUESTIONS)
    assert [s.name for s in sections] == ["capital-common", "family"]
    assert [len(s) for s in sections] == [4, 2]
    assert sections[0].questions[1] == (
        "athens",
        "greece",
        "paris",
        "france",
    )  # as written: folded when scored
    path = tmp_path / "questions.txt"
    path.write_text(_QUESTIONS, encoding="utf-8")
    assert read_analogies(path) == read_analogies(str(path)) == sections
    with pytest.raises(ValueError, match=r"line 2 comes before the first section header"):
        read_analogies("\na b c d\n: s\n")
    with pytest.raises(TypeError, match=r"text_or_path must be the questions' text or a path"):
        read_analogies(3)  # type: ignore[arg-type]


def _gensim_counts(gensim: Any, vectors: np.ndarray, words: list[str], path: Path, **options: Any) -> Any:
    """``{section: (correct, scored)}`` and the total, from gensim's own evaluate_word_analogies."""
    keyed = gensim.models.KeyedVectors(vectors.shape[1])
    keyed.add_vectors(words, vectors)
    score, sections = keyed.evaluate_word_analogies(str(path), **options)
    counts = {s["section"]: (len(s["correct"]), len(s["correct"]) + len(s["incorrect"])) for s in sections}
    return score, counts.pop("Total accuracy"), counts


def _mixed_case_vocabulary(rng: np.random.Generator) -> tuple[list[str], np.ndarray, str]:
    """Random vectors for a vocabulary with case variants, and questions about half of which are right."""
    words = [f"w{i}" for i in range(50)]
    words[5:5] = ["Paris", "paris", "PARIS"]  # three variants: the first one's vector stands for all
    words[20:20] = ["Berlin", "berlin"]
    vectors = rng.normal(size=(len(words), 6)).astype(np.float32)
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    folded: dict[str, int] = {}
    for i, w in enumerate(words):
        folded.setdefault(w.upper(), i)
    lines = []
    for section in range(3):
        lines.append(f": section-{section}")
        for _ in range(60):
            a, b, c = (words[i] for i in rng.choice(len(words), 3, replace=False))
            if rng.random() < 0.5:  # the true 3CosAdd answer (in float64), so that many are correct
                target = unit[folded[b.upper()]] - unit[folded[a.upper()]] + unit[folded[c.upper()]]
                scores = unit @ target
                scores[[folded[w.upper()] for w in (a, b, c)]] = -np.inf
                d = words[int(np.argmax(scores))]
            else:
                d = words[int(rng.integers(len(words)))]
            question = [a, b, c, d]
            if rng.random() < 0.1:
                question[int(rng.integers(4))] = "unknownword"
            if rng.random() < 0.3:
                question = [w.lower() if rng.random() < 0.5 else w.upper() for w in question]
            lines.append(" ".join(question))
    return words, vectors, "\n".join(lines) + "\n"


@pytest.mark.parametrize(
    ("restrict_vocab", "case_insensitive", "unknown"),
    [
        pytest.param(r, c, u, id=f"restrict={r}-case_insensitive={c}-{u}")
        for r, c, u in itertools.product([300_000, 25, 6], [True, False], ["skip", "wrong"])
    ],
)
def test_analogy_accuracy_agrees_with_gensim_section_by_section(
    gensim: Any, tmp_path: Path, restrict_vocab: int, case_insensitive: bool, unknown: Any
) -> None:
    words, vectors, text = _mixed_case_vocabulary(np.random.default_rng(11))
    path = tmp_path / "questions.txt"
    path.write_text(text, encoding="utf-8")
    options: dict[str, Any] = {"restrict_vocab": restrict_vocab, "case_insensitive": case_insensitive}
    score, total, sections = _gensim_counts(
        gensim, vectors, words, path, dummy4unknown=unknown == "wrong", **options
    )
    ours = analogy_accuracy(vectors, words, text, unknown=unknown, **options)
    assert ours.sections == sections
    assert (ours.correct, ours.scored) == total
    assert ours.accuracy == score
    if unknown == "wrong":
        assert ours.skipped == 0 and ours.scored == 180
    else:
        assert ours.scored + ours.skipped == 180
    if restrict_vocab == 300_000 and case_insensitive:
        assert 20 < ours.correct < ours.scored  # a real test: right and wrong answers both
    # The same from the sections, from the path, and with the vectors in float64.
    again = analogy_accuracy(
        vectors.astype(np.float64), words, read_analogies(path), unknown=unknown, **options
    )
    assert again == ours


def test_analogy_accuracy_is_one_when_the_vectors_are_class_plus_concept() -> None:
    # Word "concept_role" = e_concept + e_role: b - a + c is exactly the answer's vector.
    concepts, roles = [f"c{i}" for i in range(6)], ["country", "capital", "currency"]
    words = [f"{c}_{r}" for c in concepts for r in roles]
    vectors = np.array([np.eye(9)[i] + np.eye(9)[6 + j] for i in range(6) for j in range(3)])
    lines = [": structured"] + [
        f"{a}_{r} {a}_{s} {b}_{r} {b}_{s}"
        for a, b in itertools.permutations(concepts, 2)
        for r, s in itertools.permutations(roles, 2)
    ]
    score = analogy_accuracy(vectors, words, "\n".join(lines))
    assert (score.correct, score.incorrect, score.skipped, score.accuracy) == (180, 0, 0, 1.0)
    shuffled = np.random.default_rng(0).permutation(vectors.shape[0])
    randomised = analogy_accuracy(vectors[shuffled], words, "\n".join(lines))
    assert randomised.accuracy < 0.5


def test_analogy_score_and_argument_checks() -> None:
    empty = AnalogyScore(0, 0, 3, {})
    assert empty.accuracy == 0.0 and empty.scored == 0
    words, vectors = ["a", "b", "c", "d"], np.eye(4)
    sections = [AnalogySection("s", (("a", "b", "c", "d"),)), AnalogySection("s", (("b", "a", "d", "c"),))]
    assert analogy_accuracy(vectors, words, sections).sections == {"s": (2, 2)}  # repeated names add up
    with pytest.raises(ValueError, match=r"unknown unknown 'maybe'"):
        analogy_accuracy(vectors, words, sections, unknown="maybe")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"restrict_vocab must be a positive integer"):
        analogy_accuracy(vectors, words, sections, restrict_vocab=0)
    with pytest.raises(TypeError, match=r"questions_or_text must be"):
        analogy_accuracy(vectors, words, [("a", "b", "c", "d")])  # type: ignore[list-item]
    with pytest.raises(ValueError, match=r"zeros or non-finite values for '<pad>'"):
        analogy_accuracy(np.vstack([np.zeros(4), vectors]), ["<pad>", *words], sections)


def test_to_keyed_vectors_gives_gensim_the_same_vectors(gensim: Any) -> None:
    vectors = np.random.default_rng(0).normal(size=(5, 3))
    keyed = to_keyed_vectors(vectors, ["a", "b", "c", "d", "e"])
    assert isinstance(keyed, gensim.models.KeyedVectors)
    assert keyed.index_to_key == ["a", "b", "c", "d", "e"] and keyed.vectors.shape == (5, 3)
    np.testing.assert_array_equal(keyed.vectors, vectors.astype(np.float32))
    # gensim's neighbours are ours (cosine), for the same vectors.
    ours = nearest_neighbours(vectors, keyed.index_to_key, "a", k=4)
    theirs = keyed.most_similar("a", topn=4)
    assert [w for w, _ in ours] == [w for w, _ in theirs]
    np.testing.assert_allclose([s for _, s in ours], [s for _, s in theirs], atol=1e-6)
    with pytest.raises(ValueError, match=r"words must be distinct"):
        to_keyed_vectors(vectors, ["a", "a", "c", "d", "e"])


def test_gensim_analogy_correct_counts_what_the_book_counts(tmp_path: Path) -> None:
    from twice.embeddings import gensim_analogy_correct

    rng = np.random.default_rng(11)
    words = [f"w{i}" for i in range(30)]
    vectors = rng.normal(size=(30, 5))
    text = ": one\n" + "\n".join(" ".join(rng.choice(words, 4, replace=False)) for _ in range(40)) + "\n"
    ours = analogy_accuracy(vectors, words, text)
    assert gensim_analogy_correct(vectors, words, text) == ours.correct
    path = tmp_path / "questions.txt"
    path.write_text(text, encoding="utf-8")
    assert gensim_analogy_correct(vectors, words, path) == ours.correct
