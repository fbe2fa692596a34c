"""Word embeddings: the NumPy reference of word2vec's skip-gram with negative sampling, and how it is scored.

An embedding table ``(V, out)`` holds one row per word of a vocabulary of ``V`` words (shapes follow the
glossary in :mod:`twice.layouts`). Looking a word up is indexing a row, which is the same as multiplying its
one-hot vector by the table (:func:`one_hot`): an ``Embedding`` layer is a ``Dense`` layer without a bias
whose inputs are one-hot, computed without the zeros. Both frameworks store the table in the same layout,
``(V, out)``, so their weights cross unchanged (:data:`EMBEDDING_RULE`).

Skip-gram with negative sampling (SGNS), after Mikolov et al., "Distributed Representations of Words and
Phrases and their Compositionality", NIPS 2013 (arXiv:1310.4546), as word2vec's C code and gensim run it:

* every word of a sentence is a *centre*; each word at most ``b`` positions away in the same sentence is one
  of its *contexts*, with ``b`` drawn uniformly from ``1..window`` for every centre (the "dynamic window",
  which weights near words more), after frequent words have been thinned out (:func:`keep_probability`);
  these are the positive pairs (:func:`skipgram_pairs`);
* each positive pair gets ``k`` *negative* contexts drawn from the unigram distribution raised to the power
  0.75 (:func:`noise_distribution`);
* each word has two vectors, ``u`` as a centre (the input table ``w_in``) and ``v`` as a context (the output
  table ``w_out``), and the loss of one pair is ``-log σ(u_c·v_o) - Σ_k log σ(-u_c·v_nk)``
  (:func:`sgns_loss`): a logistic regression that tells the observed context from the noise.

:func:`skipgram_batches` draws all of it for several epochs at once, from one seed, as arrays that both
frameworks consume unchanged, so that their training differs only in the framework.

Evaluation. Words that occur in similar contexts end up with similar vectors (:func:`nearest_neighbours`,
:func:`class_purity`, :func:`project_2d`). The analogy test (Mikolov et al., 2013, arXiv:1301.3781) asks
"a is to b as c is to ?" and answers with the word whose vector is closest, by cosine, to
``b - a + c`` (3CosAdd), the three question words excluded; :func:`analogy_accuracy` scores a question file in
Google's format exactly as gensim's ``KeyedVectors.evaluate_word_analogies`` does, and
:func:`to_keyed_vectors` hands the same vectors to gensim, so that the two scorers can be compared.
Introduced in chapter 4.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np

from . import checks
from .layouts import WeightRule

EMBEDDING_RULE = WeightRule("Embedding", "nn.Embedding", keras="V out", torch="V out")
"""Keras ``Embedding`` ``embeddings`` ``(V, out)`` ⇄ ``nn.Embedding`` ``weight`` ``(V, out)``: unchanged.

Both frameworks keep one row per word (``V``: words in the vocabulary), so the table crosses as it is, and
there is no bias. Introduced in chapter 4.

>>> table = np.arange(6.0).reshape(3, 2)                # 3 words, 2 dimensions
>>> weight, bias = EMBEDDING_RULE.to_torch(table)
>>> bool((weight == table).all()), bias is None
(True, True)
"""

Question = tuple[str, str, str, str]
"""One analogy question, ``a b c d``: "a is to b as c is to d"."""


# ----------------------------------------------------------------------------------------------------------
# Lookups and the sampling distributions
# ----------------------------------------------------------------------------------------------------------


def _ids(value: object, name: str, size: int | None = None) -> np.ndarray:
    """``value`` as an int64 array of word ids, checked to lie in ``[0, size)``."""
    array = checks.array(value, name)
    if array.size and not np.issubdtype(array.dtype, np.integer):
        raise TypeError(f"{name} must hold integer word ids, got dtype {array.dtype}")
    ids = array.astype(np.int64)
    if size is not None and ids.size and (ids.min() < 0 or ids.max() >= size):
        raise ValueError(f"{name} must be word ids in [0, {size}), got values {ids.min()}..{ids.max()}")
    return ids


def _counts(counts: object) -> np.ndarray:
    """``counts`` as a float64 vector of non-negative word counts with a positive total."""
    array = checks.array(counts, "counts", ndim=1, shape="(V,)")
    values = array.astype(np.float64)
    if not np.isfinite(values).all() or (values < 0).any():
        raise ValueError("counts must be finite and non-negative")
    if not values.sum() > 0:
        raise ValueError("counts must have a positive total: at least one word must occur")
    return values


def _table(value: object, name: str) -> np.ndarray:
    return checks.array(value, name, ndim=2, shape="(V, out)")


def one_hot(ids: object, size: int) -> np.ndarray:
    """The one-hot vectors of word ids: float64, shape ``(*ids.shape, size)``, a 1 at each id.

    ``one_hot(ids, V) @ table`` is ``table[ids]``, exactly: an embedding lookup is a matrix product with
    one-hot inputs, without the multiplications by zero. Introduced in chapter 4.

    >>> table = np.array([[0.0, 0.0], [1.0, 2.0], [3.0, 4.0]])
    >>> one_hot([2, 1], 3)
    array([[0., 0., 1.],
           [0., 1., 0.]])
    >>> bool((one_hot([2, 1], 3) @ table == table[[2, 1]]).all())
    True

    Raises:
        TypeError: for ids that are not integers.
        ValueError: for ids outside ``[0, size)``, or a size that is not positive.
    """
    size = checks.integer(size, "size", minimum=1)
    word_ids = _ids(ids, "ids", size)
    vectors: np.ndarray = np.eye(size)[word_ids]
    return vectors


def noise_distribution(counts: object, power: float = 0.75) -> np.ndarray:
    """The distribution negative samples are drawn from: ``count ** power``, normalised; float64 ``(V,)``.

    word2vec's 0.75 flattens the unigram distribution, so that rare words are drawn more often than their
    frequency alone would have them. A word that never occurs (a count of 0, such as the padding row 0) has
    probability 0, whatever the power. Introduced in chapter 4.

    >>> probs = noise_distribution([0, 16, 1])             # 16 ** 0.75 = 8
    >>> probs.round(4).tolist(), float(probs.sum())
    ([0.0, 0.8889, 0.1111], 1.0)

    Raises:
        TypeError: for counts that are not numeric, a power that is not a number.
        ValueError: for negative counts, counts that are all zero, a negative power.
    """
    values = _counts(counts)
    exponent = checks.number(power, "power", low=0.0)
    weights = np.where(values > 0, values**exponent, 0.0)
    probs: np.ndarray = weights / weights.sum()
    return probs


def keep_probability(counts: object, sample: float) -> np.ndarray:
    """The probability that each word is kept by word2vec's subsampling of frequent words; float64 ``(V,)``.

    With ``f = count / total`` and the threshold ``t = sample``, the code that everyone runs keeps a word with
    probability ``(sqrt(f / t) + 1) · t / f``, capped at 1; gensim computes it as
    ``(sqrt(count / (t·total)) + 1) · (t·total) / count`` (``Word2Vec.prep_vocab``, its ``sample_int``
    thresholds) and word2vec.c the same, so words with ``f`` below ``t · (3 + √5) / 2 ≈ 2.6 t`` are never
    dropped. The paper (Mikolov et al., 2013, Eq. 5) writes the *discard* probability as ``1 - sqrt(t / f)``,
    that is ``keep = sqrt(t / f)``: the code keeps ``t / f`` more of every word. This follows the code.
    ``sample=0`` keeps every word (gensim's ``sample=0``); a word with a count of 0 gets 1, the limit of the
    formula (it never occurs, so nothing is drawn for it). Gensim also reads ``sample >= 1`` as a count; here
    ``sample`` must be a proportion. Introduced in chapter 4.

    >>> keep_probability([0, 900, 90, 10], sample=0.01).round(4).tolist()   # f = 0.9, 0.09, 0.01
    [1.0, 0.1165, 0.4444, 1.0]

    Raises:
        TypeError: for counts or a sample that are not numeric.
        ValueError: for negative counts, counts that are all zero, a sample outside ``[0, 1)``.
    """
    values = _counts(counts)
    threshold = checks.number(sample, "sample", low=0.0, high=1.0, high_inclusive=False)
    if threshold == 0:
        return np.ones_like(values)
    threshold_count = threshold * values.sum()  # gensim's threshold_count, in gensim's order of operations
    with np.errstate(divide="ignore"):
        keep = (np.sqrt(values / threshold_count) + 1) * (threshold_count / values)
    result: np.ndarray = np.minimum(keep, 1.0)  # +inf for a count of 0: capped at 1 too
    return result


# ----------------------------------------------------------------------------------------------------------
# Skip-gram pairs and batches
# ----------------------------------------------------------------------------------------------------------


def _sentences(encoded: object, vocab_size: int) -> list[np.ndarray]:
    if isinstance(encoded, (str, bytes, np.ndarray)) or not isinstance(encoded, Sequence):
        raise TypeError(
            "encoded must be a sequence of 1-D arrays of word ids (one per sentence), got "
            f"{type(encoded).__name__}"
        )
    sentences = []
    for index, sentence in enumerate(encoded):
        ids = _ids(sentence, f"encoded[{index}]", vocab_size)
        if ids.ndim != 1:
            raise ValueError(f"encoded[{index}] must be a 1-D array of word ids, got shape {ids.shape}")
        sentences.append(ids)
    return sentences


def skipgram_pairs(
    encoded: Sequence[np.ndarray],
    counts: np.ndarray,
    *,
    window: int,
    sample: float,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """One epoch of skip-gram pairs, ``(centres, contexts)``: two int64 arrays ``(P,)``, shuffled.

    As word2vec does for each epoch: each word is kept with its :func:`keep_probability` (drawn anew every
    epoch), then every kept word is a centre, and each kept word at most ``b`` positions away from it in
    the *same* sentence is one of its contexts, with ``b`` drawn uniformly from ``1..window`` for each centre
    (word2vec's dynamic window). Positions count after subsampling, as in word2vec, so a dropped word brings
    farther words into the window; pairs never cross sentences. (word2vec.c and gensim draw ``b`` for the word
    that is predicted and train the vectors of the words around it; here ``b`` belongs to the centre, whose
    vector is the input. The pairs have the same distribution, the roles swapped.)

    ``encoded``: one 1-D array of word ids per sentence; ``counts`` ``(V,)``: each word's count in the
    corpus. Vectorised: one pass per offset ``-window..window``, not per word. Introduced in chapter 4.

    >>> rng = np.random.default_rng(0)
    >>> centres, contexts = skipgram_pairs([np.array([1, 2, 3]), np.array([4, 5])], np.ones(6), window=1,
    ...                                    sample=0, rng=rng)
    >>> sorted(zip(centres.tolist(), contexts.tolist()))  # 1 2 3 | 4 5: neighbours, never 3 with 4
    [(1, 2), (2, 1), (2, 3), (3, 2), (4, 5), (5, 4)]

    Raises:
        TypeError: for an ``encoded`` that is not a sequence of integer arrays, an ``rng`` that is not a
            :class:`numpy.random.Generator`.
        ValueError: for ids outside ``[0, V)``, a window that is not a positive integer, a sample outside
            ``[0, 1)``.
    """
    keep = keep_probability(counts, sample)
    window = checks.integer(window, "window", minimum=1)
    if not isinstance(rng, np.random.Generator):
        raise TypeError(
            f"rng must be a numpy.random.Generator (np.random.default_rng(seed)), got {type(rng).__name__}"
        )
    sentences = _sentences(encoded, len(keep))
    if not sentences:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty.copy()
    tokens = np.concatenate(sentences)
    sentence_of = np.concatenate([np.full(len(s), i, dtype=np.int64) for i, s in enumerate(sentences)])
    kept = rng.random(len(tokens)) < keep[tokens]
    tokens, sentence_of = tokens[kept], sentence_of[kept]
    reach = rng.integers(1, window + 1, size=len(tokens))  # b, one per centre
    centres, contexts = [], []
    for offset in (o for o in range(-window, window + 1) if o):
        i = np.arange(max(0, -offset), max(0, len(tokens) - max(0, offset)))
        j = i + offset
        ok = (sentence_of[i] == sentence_of[j]) & (abs(offset) <= reach[i])
        centres.append(tokens[i[ok]])
        contexts.append(tokens[j[ok]])
    order = rng.permutation(sum(len(c) for c in centres))
    return np.concatenate(centres)[order], np.concatenate(contexts)[order]


@dataclass(frozen=True)
class SkipGramBatches:
    """Batches for skip-gram with negative sampling: ``S`` steps of ``B`` pairs, ``k`` negatives each.

    ``centres`` ``(S, B)``, ``contexts`` ``(S, B)`` and ``negatives`` ``(S, B, k)``, all int64 word ids.
    Iterating yields one ``(centres, contexts, negatives)`` tuple per step. Made by :func:`skipgram_batches`;
    both frameworks train on the same arrays. Introduced in chapter 4.

    >>> batches = SkipGramBatches(np.zeros((3, 4), np.int64), np.ones((3, 4), np.int64),
    ...                           np.ones((3, 4, 2), np.int64))
    >>> len(batches), batches.steps, [c.shape for c, _, _ in batches][:1]
    (3, 3, [(4,)])
    >>> centres, contexts, negatives = batches[-1]   # one step
    >>> negatives.shape
    (4, 2)
    """

    centres: np.ndarray
    contexts: np.ndarray
    negatives: np.ndarray
    epoch: np.ndarray | None = None
    """``(S,)``: the pass over the corpus (from 0) that each step belongs to, or ``None`` if unknown."""

    def __post_init__(self) -> None:
        for name in ("centres", "contexts", "negatives") + (("epoch",) if self.epoch is not None else ()):
            value = getattr(self, name)
            if not isinstance(value, np.ndarray) or value.dtype != np.int64:
                raise TypeError(f"{name} must be an int64 NumPy array, got {type(value).__name__}")
        if self.epoch is not None and (self.epoch.shape != self.centres.shape[:1] or np.any(np.diff(self.epoch) < 0)):
            raise ValueError(f"epoch must be a non-decreasing array of shape ({self.centres.shape[0]},)")
        if self.centres.ndim != 2 or self.contexts.shape != self.centres.shape:
            raise ValueError(
                f"centres and contexts must have the same shape (S, B), got {self.centres.shape} and "
                f"{self.contexts.shape}"
            )
        if self.negatives.ndim != 3 or self.negatives.shape[:2] != self.centres.shape:
            raise ValueError(
                f"negatives must have shape {(*self.centres.shape, 'k')}, got {self.negatives.shape}"
            )

    @property
    def steps(self) -> int:
        """``S``, the number of training steps."""
        return int(self.centres.shape[0])

    @property
    def batch_size(self) -> int:
        """``B``, the pairs in each step."""
        return int(self.centres.shape[1])

    @property
    def negative(self) -> int:
        """``k``, the negatives of each pair."""
        return int(self.negatives.shape[2])

    def __len__(self) -> int:
        return self.steps

    def epoch_means(self, values: object) -> np.ndarray:
        """The mean of one value per step (a loss, say) over the steps of each pass: ``(epochs,)``.

        >>> batches = SkipGramBatches(np.zeros((3, 1), np.int64), np.zeros((3, 1), np.int64),
        ...                           np.zeros((3, 1, 1), np.int64), epoch=np.array([0, 0, 1]))
        >>> batches.epoch_means([1.0, 3.0, 5.0]).tolist()
        [2.0, 5.0]

        Raises:
            ValueError: if the batches do not know their passes, or ``values`` has not one entry per step.
        """
        if self.epoch is None:
            raise ValueError("these batches do not record which pass each step belongs to")
        array = checks.array(values, "values").astype(np.float64)
        if array.shape != (self.steps,):
            raise ValueError(f"values must have one entry per step, shape ({self.steps},), got {array.shape}")
        return np.array([array[self.epoch == e].mean() for e in np.unique(self.epoch)])

    def __getitem__(self, step: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The ``(centres, contexts, negatives)`` of one step (negative steps count from the end)."""
        step = checks.integer(step, "step")
        if not -self.steps <= step < self.steps:
            raise IndexError(f"step {step} is out of range for {self.steps} steps")
        return self.centres[step], self.contexts[step], self.negatives[step]

    def __iter__(self) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        for step in range(self.steps):
            yield self[step]


def skipgram_batches(
    encoded: Sequence[np.ndarray],
    counts: np.ndarray,
    *,
    window: int = 3,
    negative: int = 5,
    sample: float = 1e-3,
    epochs: int = 5,
    batch_size: int = 1024,
    seed: int = 0,
) -> SkipGramBatches:
    """Every batch of ``epochs`` epochs of SGNS training, drawn from one seed: a :class:`SkipGramBatches`.

    Each epoch has its own pairs (:func:`skipgram_pairs`: subsampled anew, dynamic window, shuffled), cut into
    batches of ``batch_size``; the last, partial batch of each epoch is dropped, so that a compiled training
    step sees one shape. Each pair gets ``negative`` words drawn from :func:`noise_distribution` (so never the
    padding row, whose count is 0); as word2vec's own code would, a draw may hit the positive context itself,
    which word2vec.c and gensim skip and this keeps, for fixed shapes (it matters only for the most frequent
    words). The draws use only a :class:`numpy.random.Generator` seeded with ``seed``: the same batches on
    any machine, for both frameworks. Introduced in chapter 4.

    >>> corpus = [np.array([1, 2, 3, 1, 2]), np.array([3, 2, 1])]
    >>> batches = skipgram_batches(corpus, np.array([0, 3, 3, 2]), window=2, negative=3, sample=0,
    ...                            epochs=2, batch_size=4, seed=0)
    >>> batches.centres.shape, batches.negatives.shape, int(batches.negatives.min()) > 0
    ((7, 4), (7, 4, 3), True)

    Raises:
        TypeError, ValueError: as :func:`skipgram_pairs`, for sizes that are not positive integers or a seed
            outside ``[0, 2**32)``; ValueError if no epoch has a full batch.
    """
    noise = noise_distribution(counts)
    negative = checks.integer(negative, "negative", minimum=1)
    epochs = checks.integer(epochs, "epochs", minimum=1)
    batch_size = checks.integer(batch_size, "batch_size", minimum=1)
    rng = np.random.default_rng(checks.seed(seed))
    centres, contexts, negatives, epoch = [], [], [], []
    for e in range(epochs):
        c, x = skipgram_pairs(encoded, counts, window=window, sample=sample, rng=rng)
        used = len(c) // batch_size * batch_size
        epoch.append(np.full(used // batch_size, e, dtype=np.int64))
        centres.append(c[:used])
        contexts.append(x[:used])
        negatives.append(rng.choice(len(noise), size=(used, negative), p=noise).astype(np.int64))
    if not sum(len(c) for c in centres):
        raise ValueError(
            f"the corpus gives fewer than batch_size={batch_size} pairs per epoch: no full batch"
        )
    return SkipGramBatches(
        np.concatenate(centres).reshape(-1, batch_size),
        np.concatenate(contexts).reshape(-1, batch_size),
        np.concatenate(negatives).reshape(-1, batch_size, negative),
        np.concatenate(epoch),
    )


# ----------------------------------------------------------------------------------------------------------
# The model: initial weights and the loss
# ----------------------------------------------------------------------------------------------------------


def word2vec_init(vocab_size: int, dim: int, *, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """word2vec's initial tables ``(w_in, w_out)``, float32 ``(V, dim)``: ``w_in`` uniform in ``±0.5/dim``,
    ``w_out`` zeros.

    word2vec.c draws every input weight as ``((r & 0xFFFF) / 65536 - 0.5) / dim``, uniform in
    ``[-0.5/dim, 0.5/dim)``, and sets the output table ``syn1neg`` to zeros; this does the same with a NumPy
    generator. gensim 4 also zeroes ``syn1neg`` (``Word2Vec.init_weights``), but its ``prep_vectors`` draws
    the input vectors as ``(2·rand - 1) / dim``, uniform in ``[-1/dim, 1/dim)``: an interval twice as wide.
    With the output vectors at zero, every score starts at 0 and the first gradients move only ``w_out``.
    Introduced in chapter 4.

    >>> w_in, w_out = word2vec_init(5, 4, seed=0)
    >>> w_in.dtype, bool((abs(w_in) <= 0.125).all()), bool((w_out == 0).all())
    (dtype('float32'), True, True)

    Raises:
        TypeError, ValueError: for sizes that are not positive integers, a seed outside ``[0, 2**32)``.
    """
    vocab_size = checks.integer(vocab_size, "vocab_size", minimum=1)
    dim = checks.integer(dim, "dim", minimum=1)
    rng = np.random.default_rng(checks.seed(seed))
    w_in = ((rng.random((vocab_size, dim)) - 0.5) / dim).astype(np.float32)
    return w_in, np.zeros((vocab_size, dim), dtype=np.float32)


def sgns_loss(
    w_in: np.ndarray, w_out: np.ndarray, centres: np.ndarray, contexts: np.ndarray, negatives: np.ndarray
) -> float:
    """The SGNS loss of one batch, in float64: the mean of ``-log σ(u_c·v_o) - Σ_k log σ(-u_c·v_nk)``.

    ``u_c = w_in[centres]``, ``v_o = w_out[contexts]``, ``v_nk = w_out[negatives[:, k]]``; ``w_in`` and
    ``w_out`` are ``(V, out)``, ``centres`` and ``contexts`` ``(B,)``, ``negatives`` ``(B, k)``. Computed as
    ``log(1 + exp(-s)) = logaddexp(0, -s)``, which neither overflows nor loses small values. With word2vec's
    initial tables every score is 0, so the loss starts at ``(1 + k) log 2``. Introduced in chapter 4.

    >>> w_in, w_out = word2vec_init(4, 3, seed=0)
    >>> loss = sgns_loss(w_in, w_out, np.array([1, 2]), np.array([2, 3]), np.array([[3, 1], [1, 1]]))
    >>> bool(np.isclose(loss, 3 * np.log(2)))
    True

    Raises:
        TypeError: for arrays that are not numeric, ids that are not integers.
        ValueError: for shapes that do not fit together, ids outside ``[0, V)``.
    """
    table_in, table_out = _table(w_in, "w_in"), _table(w_out, "w_out")
    if table_in.shape != table_out.shape:
        raise ValueError(
            f"w_in and w_out must have the same shape (V, out), got {table_in.shape} and {table_out.shape}"
        )
    vocab = table_in.shape[0]
    c, o, n = (
        _ids(centres, "centres", vocab),
        _ids(contexts, "contexts", vocab),
        _ids(negatives, "negatives", vocab),
    )
    if c.ndim != 1 or o.shape != c.shape or n.ndim != 2 or n.shape[0] != c.shape[0]:
        raise ValueError(
            f"centres and contexts must have shape (B,) and negatives (B, k), got {c.shape}, {o.shape} and "
            f"{n.shape}"
        )
    u = table_in[c].astype(np.float64)
    positive = np.einsum("bd,bd->b", u, table_out[o].astype(np.float64))
    negative = np.einsum("bd,bkd->bk", u, table_out[n].astype(np.float64))
    losses = np.logaddexp(0.0, -positive) + np.logaddexp(0.0, negative).sum(axis=1)
    return float(losses.mean())


# ----------------------------------------------------------------------------------------------------------
# Evaluation: neighbours, classes, a picture
# ----------------------------------------------------------------------------------------------------------


def _vectors_and_words(vectors: object, words: object) -> tuple[np.ndarray, list[str]]:
    table = checks.array(vectors, "vectors", ndim=2, shape="(V, out)")
    if isinstance(words, str) or not isinstance(words, Sequence):
        raise TypeError(f"words must be a sequence of strings, got {type(words).__name__}")
    names = list(words)
    if not all(isinstance(w, str) for w in names):
        raise TypeError("words must be a sequence of strings")
    if len(names) != table.shape[0]:
        raise ValueError(f"words must name the {table.shape[0]} rows of vectors, got {len(names)} words")
    if len(set(names)) != len(names):
        repeated = sorted({w for w in names if names.count(w) > 1})[:5]
        raise ValueError(f"words must be distinct, got repeats: {', '.join(map(repr, repeated))}")
    return table, names


def unit_rows(vectors: object) -> np.ndarray:
    """``vectors`` with every row scaled to length 1, float64; a row of zeros stays zeros.

    The dot product of two unit rows is their cosine similarity. Introduced in chapter 4.

    >>> unit_rows([[3.0, 4.0], [0.0, 0.0]])
    array([[0.6, 0.8],
           [0. , 0. ]])

    Raises:
        TypeError: for values that are not numeric; ValueError for an array that is not 2-D.
    """
    table = checks.array(vectors, "vectors", ndim=2, shape="(V, out)").astype(np.float64)
    norms = np.linalg.norm(table, axis=1, keepdims=True)
    result: np.ndarray = table / np.where(norms > 0, norms, 1.0)
    return result


def nearest_neighbours(
    vectors: object, words: Sequence[str], query: str, k: int = 5, *, exclude: Sequence[str] = ()
) -> list[tuple[str, float]]:
    """The ``k`` words closest to ``query`` by the cosine of their vectors, with the cosines, closest first.

    The query itself and the words in ``exclude`` are left out; ties go to the word listed first. ``words``
    names the rows of ``vectors`` (leave a padding row out, or exclude it). Introduced in chapter 4.

    >>> vectors = np.array([[1.0, 0.0], [0.9, 0.1], [0.0, 1.0], [1.0, 0.05]])
    >>> [(w, round(s, 3)) for w, s in nearest_neighbours(vectors, ["a", "b", "c", "d"], "a", k=2)]
    [('d', 0.999), ('b', 0.994)]

    Raises:
        TypeError: for vectors that are not numeric, words that are not strings.
        ValueError: for a query or an excluded word that is not in ``words``, a ``k`` that is not positive,
            repeated words, or as many words as vectors.
    """
    table, names = _vectors_and_words(vectors, words)
    k = checks.integer(k, "k", minimum=1)
    index = {w: i for i, w in enumerate(names)}
    for word in (query, *exclude):
        if word not in index:
            raise ValueError(f"{word!r} is not one of the words")
    unit = unit_rows(table)
    similarity = unit @ unit[index[query]]
    left_out = {index[query], *(index[w] for w in exclude)}
    order = [i for i in np.argsort(-similarity, kind="stable") if int(i) not in left_out]
    return [(names[i], float(similarity[i])) for i in order[:k]]


def class_purity(vectors: object, words: Sequence[str], classes: Mapping[str, str], k: int = 5) -> float:
    """How often a word's ``k`` nearest neighbours share its class: a number in ``[0, 1]``.

    For every word of ``words`` that ``classes`` maps to a class (other keys of ``classes`` are ignored), the
    fraction of its ``k`` cosine nearest neighbours among those words (itself excluded, ties to the word
    listed first) that have its class; the mean over those words. Vectors that group words by class score 1;
    random vectors score about what a random pick of neighbours would. Introduced in chapter 4.

    >>> vectors = np.array([[1.0, 0.1], [1.0, 0.0], [0.1, 1.0], [0.0, 1.0]])
    >>> class_purity(vectors, ["cat", "dog", "red", "blue"],
    ...              {"cat": "animal", "dog": "animal", "red": "colour", "blue": "colour"}, k=1)
    1.0

    Raises:
        TypeError: for vectors that are not numeric, words that are not strings, classes that are not a
            mapping.
        ValueError: if ``k`` is not positive or at least the number of words with a class.
    """
    table, names = _vectors_and_words(vectors, words)
    if not isinstance(classes, Mapping):
        raise TypeError(f"classes must be a mapping from word to class, got {type(classes).__name__}")
    k = checks.integer(k, "k", minimum=1)
    rows = [i for i, w in enumerate(names) if w in classes]
    if len(rows) <= k:
        raise ValueError(f"class_purity needs more than k={k} words with a class, got {len(rows)}")
    labels = np.array([classes[names[i]] for i in rows], dtype=object)
    unit = unit_rows(table[rows])
    similarity = unit @ unit.T
    np.fill_diagonal(similarity, -np.inf)
    neighbours = np.argsort(-similarity, axis=1, kind="stable")[:, :k]
    return float((labels[neighbours] == labels[:, None]).mean())


def project_2d(vectors: object) -> np.ndarray:
    """The first two principal components of ``vectors``: float64 ``(n, 2)``, for a scatter plot of words.

    PCA by the SVD of the centred float64 rows. An SVD may return a component or its negative, depending on
    the machine's LAPACK; each component's sign is fixed so that its entry of largest magnitude is positive,
    so the picture does not flip from one machine to another. Introduced in chapter 4.

    >>> points = project_2d([[0.0, 0.0, 0.0], [2.0, 0.0, 0.0], [0.0, 1.0, 0.0], [2.0, 1.0, 0.0]])
    >>> points.round(6).tolist()
    [[-1.0, -0.5], [1.0, -0.5], [-1.0, 0.5], [1.0, 0.5]]

    Raises:
        TypeError: for values that are not numeric.
        ValueError: for fewer than two rows or two columns.
    """
    table = checks.array(vectors, "vectors", ndim=2, shape="(n, out)").astype(np.float64)
    if table.shape[0] < 2 or table.shape[1] < 2:
        raise ValueError(
            f"project_2d needs at least 2 vectors of at least 2 dimensions, got shape {table.shape}"
        )
    centred = table - table.mean(axis=0)
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    components = vt[:2].copy()
    for component in components:
        if component[np.argmax(np.abs(component))] < 0:
            component *= -1
    result: np.ndarray = centred @ components.T
    return result


# ----------------------------------------------------------------------------------------------------------
# Analogies, scored as gensim scores them
# ----------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AnalogySection:
    """One section of an analogy file (``: capital-common-countries``): its name and its questions.

    Each question is four words ``a b c d``, "a is to b as c is to d", as written in the file (the scorer
    folds case). Introduced in chapter 4.

    >>> section = AnalogySection("gender", (("man", "king", "woman", "queen"),))
    >>> section.name, len(section)
    ('gender', 1)
    """

    name: str
    questions: tuple[Question, ...]

    def __len__(self) -> int:
        return len(self.questions)


def read_analogies(text_or_path: str | os.PathLike[str]) -> list[AnalogySection]:
    """Parse analogy questions in Google's format, as gensim reads them: a list of :class:`AnalogySection`.

    A line that starts with ``": "`` opens a section, named by the rest of the line; every other line is a
    question of four words, and a line without exactly four words is skipped, as gensim skips it. A
    ``str`` that contains a line break or starts with ``":"`` is the text itself; any other ``str``, or a
    :class:`~os.PathLike`, is the path of a UTF-8 file. Introduced in chapter 4.

    >>> text = ": family\\nboy girl brother sister\\nnot a question\\n: tense\\nwalk walked go went"
    >>> sections = read_analogies(text)
    >>> [(s.name, s.questions) for s in sections]
    [('family', (('boy', 'girl', 'brother', 'sister'),)), ('tense', (('walk', 'walked', 'go', 'went'),))]

    Raises:
        TypeError: for an argument that is neither text nor a path.
        ValueError: for a question line before the first section header (gensim refuses it too).
        OSError: for a path that cannot be read.
    """
    if isinstance(text_or_path, str) and ("\n" in text_or_path or text_or_path.lstrip().startswith(":")):
        text = text_or_path
    elif isinstance(text_or_path, (str, os.PathLike)):
        text = Path(text_or_path).read_text(encoding="utf-8")
    else:
        raise TypeError(
            f"text_or_path must be the questions' text or a path, got {type(text_or_path).__name__}"
        )
    sections: list[tuple[str, list[Question]]] = []
    for number, line in enumerate(text.split("\n"), start=1):
        if line.startswith(": "):
            sections.append((line.lstrip(": ").strip(), []))  # gensim's own expression for the name
            continue
        if not sections:
            if line.strip():
                raise ValueError(f"line {number} comes before the first section header (': name'): {line!r}")
            continue
        words = line.split()
        if len(words) == 4:
            sections[-1][1].append((words[0], words[1], words[2], words[3]))
    return [AnalogySection(name, tuple(questions)) for name, questions in sections]


@dataclass(frozen=True)
class AnalogyScore:
    """The result of :func:`analogy_accuracy`: questions answered correctly, incorrectly, and skipped.

    ``skipped`` counts the questions left out because one of their words is not among the scored words
    (``unknown="skip"``; with ``unknown="wrong"`` they count as incorrect instead, and ``skipped`` is 0).
    ``sections`` maps each section's name to ``(correct, scored)``. ``accuracy`` is
    ``correct / (correct + incorrect)``, and 0.0 when nothing was scored, as gensim reports it.
    Introduced in chapter 4.

    >>> score = AnalogyScore(correct=3, incorrect=1, skipped=2, sections={"family": (3, 4)})
    >>> score.accuracy, score.scored
    (0.75, 4)
    """

    correct: int
    incorrect: int
    skipped: int
    sections: dict[str, tuple[int, int]]

    @property
    def scored(self) -> int:
        """The questions scored: ``correct + incorrect``."""
        return self.correct + self.incorrect

    @property
    def accuracy(self) -> float:
        """``correct / (correct + incorrect)``; 0.0 when no question was scored (gensim's convention)."""
        return self.correct / self.scored if self.scored else 0.0


def _gensim_argsort(x: np.ndarray, topn: int) -> np.ndarray:
    """The indices of the ``topn`` largest values of ``x``, largest first: gensim's ``matutils.argsort``
    with ``reverse=True``, step for step, so that ties are broken the same way."""
    negated = -x
    if topn >= negated.size:
        result: np.ndarray = np.argsort(negated)[:topn]
        return result
    most_extreme = np.argpartition(negated, topn)[:topn]
    ordered: np.ndarray = most_extreme.take(np.argsort(negated.take(most_extreme)))
    return ordered


def analogy_accuracy(
    vectors: object,
    words: Sequence[str],
    questions_or_text: str | os.PathLike[str] | Sequence[AnalogySection],
    *,
    restrict_vocab: int | None = 300_000,
    case_insensitive: bool = True,
    unknown: Literal["skip", "wrong"] = "skip",
) -> AnalogyScore:
    """Score analogy questions "a is to b as c is to d" by 3CosAdd, exactly as gensim's
    ``KeyedVectors.evaluate_word_analogies`` scores them: an :class:`AnalogyScore`.

    The answer is the word whose vector has the largest cosine with ``b̂ - â + ĉ`` (unit vectors), the three
    question words excluded; a question is correct when it is ``d``. gensim's conventions, followed step by
    step (the book checks that both give the same counts on the same vectors):

    * ``words`` names the rows of ``vectors`` in the model's order, most frequent first; pass them without a
      padding row (a zero vector has no direction, and is refused). Only the first ``restrict_vocab`` words
      (all with ``None``) are candidates, and a question with a word outside them is out of vocabulary;
    * ``case_insensitive``: the question's words and the vocabulary are compared in ``upper()`` case; where
      several words fold to one, the first (most frequent) one's vector is used (gensim builds its map over
      ``reversed(words)``, so the first one wins), and a candidate that folds to a question word is skipped;
    * gensim ranks in float32, by ``vectors · mean / norms`` with the mean of the unit vectors normalised,
      takes the 5 best that are not the three question words' rows and answers with the first of them whose
      folded form is not a question word; this repeats those operations one question at a time, so that
      near-ties break the same way;
    * out-of-vocabulary questions are skipped (``unknown="skip"``, gensim's ``dummy4unknown=False``) or count
      as incorrect, in their section and in the total (``unknown="wrong"``, ``dummy4unknown=True``).

    ``questions_or_text``: sections from :func:`read_analogies`, or what it reads (the text or a path).
    Introduced in chapter 4.

    >>> words = ["man", "woman", "king", "queen"]
    >>> vectors = np.array([[1.0, 0.0, 1.0], [1.0, 1.0, 1.0], [0.0, 0.0, 1.0], [0.0, 1.0, 1.0]])
    >>> score = analogy_accuracy(vectors, words, ": gender\\nman woman king queen\\nman woman boy girl")
    >>> score.correct, score.incorrect, score.skipped, score.sections
    (1, 0, 1, {'gender': (1, 1)})

    Raises:
        TypeError: for vectors that are not numeric, words that are not strings, questions that are neither
            sections nor text nor a path, a ``case_insensitive`` that is not a bool.
        ValueError: for words that do not name the rows one to one, a ``restrict_vocab`` that is not a
            positive integer, an unknown ``unknown``, a candidate vector of zeros or non-finite values.
    """
    table, names = _vectors_and_words(vectors, words)
    if restrict_vocab is not None:
        restrict_vocab = checks.integer(restrict_vocab, "restrict_vocab", minimum=1)
    if not isinstance(case_insensitive, (bool, np.bool_)):
        raise TypeError(f"case_insensitive must be a bool, got {type(case_insensitive).__name__}")
    unknown = checks.one_of(unknown, "unknown", ("skip", "wrong"))
    if isinstance(questions_or_text, (str, os.PathLike)):
        sections = read_analogies(questions_or_text)
    elif isinstance(questions_or_text, Sequence) and all(
        isinstance(s, AnalogySection) for s in questions_or_text
    ):
        sections = [s for s in questions_or_text if isinstance(s, AnalogySection)]
    else:
        raise TypeError(
            "questions_or_text must be the questions' text, a path, or a list of AnalogySection, got "
            f"{type(questions_or_text).__name__}"
        )

    def fold(word: str) -> str:
        return word.upper() if case_insensitive else word

    # gensim's KeyedVectors: float32 vectors, their norms, ok_vocab over reversed(index_to_key[:restrict]).
    vectors32 = np.ascontiguousarray(table, dtype=np.float32)
    norms = np.linalg.norm(vectors32, axis=1)
    candidates = len(names) if restrict_vocab is None else min(restrict_vocab, len(names))
    if not (np.isfinite(norms[:candidates]).all() and (norms[:candidates] > 0).all()):
        bad = [names[i] for i in range(candidates) if not (np.isfinite(norms[i]) and norms[i] > 0)][:5]
        raise ValueError(
            f"vectors of the candidate words must be finite and non-zero, got zeros or non-finite values for "
            f"{', '.join(map(repr, bad))} (a padding row? pass the words without it)"
        )
    ok_vocab = {fold(names[i]): i for i in reversed(range(candidates))}
    weights = np.concatenate((np.ones(2), -1.0 * np.ones(1)))  # most_similar(positive=[b, c], negative=[a])

    correct = incorrect = skipped = 0
    per_section: dict[str, tuple[int, int]] = {}
    for section in sections:
        right = wrong = 0
        for question in section.questions:
            a, b, c, expected = (fold(w) for w in question)
            if a not in ok_vocab or b not in ok_vocab or c not in ok_vocab or expected not in ok_vocab:
                if unknown == "wrong":
                    wrong += 1
                else:
                    skipped += 1
                continue
            keys = [ok_vocab[b], ok_vocab[c], ok_vocab[a]]
            # get_mean_vector(pre_normalize=True, post_normalize=True), as gensim computes it
            mean = np.zeros(vectors32.shape[1], dtype=np.float32)
            total_weight = np.float64(0.0)  # gensim: 0, then += abs(np.float64 weight)
            for weight, key in zip(weights, keys):
                mean += weight * (vectors32[key] / norms[key])
                total_weight += abs(weight)
            averaged = mean / total_weight  # float64 from here: total_weight is an np.float64
            length = np.linalg.norm(averaged)
            unit = (averaged * (1.0 / length) if length > 0 else averaged).astype(np.float32)
            dists = np.dot(vectors32[:candidates], unit) / norms[:candidates]
            best = _gensim_argsort(dists, 5 + len(keys))
            answers = [int(i) for i in best if int(i) not in keys][:5]
            predicted = None
            ignore = {a, b, c}
            for index in answers:
                predicted = fold(names[index])
                if predicted in ok_vocab and predicted not in ignore:
                    break
            if predicted == expected:
                right += 1
            else:
                wrong += 1
        earlier = per_section.get(section.name, (0, 0))
        per_section[section.name] = (earlier[0] + right, earlier[1] + right + wrong)
        correct, incorrect = correct + right, incorrect + wrong
    return AnalogyScore(correct, incorrect, skipped, per_section)


def to_keyed_vectors(vectors: object, words: Sequence[str]) -> Any:
    """The vectors as a gensim ``KeyedVectors``, one key per word in the given order, float32.

    For gensim's own tools (``most_similar``, ``evaluate_word_analogies``) on vectors trained here; it needs
    gensim (``pip install gensim``), imported when called. Pass the words without a padding row.
    Introduced in chapter 4.

    >>> kv = to_keyed_vectors(np.eye(3), ["a", "b", "c"])
    >>> kv.index_to_key, kv.vector_size
    (['a', 'b', 'c'], 3)

    Raises:
        TypeError, ValueError: as :func:`nearest_neighbours` for vectors and words that do not fit.
        ModuleNotFoundError: without gensim.
    """
    from gensim.models import KeyedVectors

    table, names = _vectors_and_words(vectors, words)
    keyed = KeyedVectors(table.shape[1])  # no count=: add_vectors would append after the empty rows
    keyed.add_vectors(names, table.astype(np.float32))
    return keyed


def gensim_analogy_correct(vectors: object, words: Sequence[str], text_or_path: str | os.PathLike[str]) -> int:
    """How many analogy questions gensim's own scorer, ``KeyedVectors.evaluate_word_analogies``, answers right.

    The outside check of :func:`analogy_accuracy`: the same vectors and words (:func:`to_keyed_vectors`) and the
    same questions, given as text or as a file path by the rule of :func:`read_analogies`; gensim reads a
    file, so text is written to a temporary one first. Returns the number of correct answers in gensim's
    last section, its total, with gensim's defaults (questions with an unknown word skipped). Needs gensim.
    Introduced in chapter 4.

    >>> vectors = np.array([[1.0, 0, 0], [1.0, 1, 0], [0.0, 0, 1], [0.0, 1, 1]])
    >>> gensim_analogy_correct(vectors, ["a", "b", "c", "d"], ": test\\na b c d\\n")
    1

    Raises:
        TypeError, ValueError: as :func:`to_keyed_vectors` and :func:`read_analogies`.
        ModuleNotFoundError: without gensim.
    """
    import tempfile

    keyed = to_keyed_vectors(vectors, words)
    read_analogies(text_or_path)  # the same checks as the book's scorer, before gensim sees the questions
    if isinstance(text_or_path, str) and ("\n" in text_or_path or text_or_path.lstrip().startswith(":")):
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "questions.txt"
            path.write_text(text_or_path, encoding="utf-8")
            _, sections = keyed.evaluate_word_analogies(str(path))
    else:
        _, sections = keyed.evaluate_word_analogies(str(text_or_path))
    return len(sections[-1]["correct"])
