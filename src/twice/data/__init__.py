"""Data for the book's notebooks, all of it offline unless a reader asks for MNIST or 20 Newsgroups.

* :mod:`.digits`: the handwritten digits the chapters train on (:func:`load_digits`, :func:`load_mnist`),
  and a stratified validation split of a training set (:func:`validation_split`).
* :mod:`.images`: sample photos and the image operations of the convolution chapter.
* :mod:`.batches`: batch orders and batch streams that both frameworks can share.
* :mod:`.sequences`: the recurrent chapter's sequences: the adding problem, images read row by row or pixel
  by pixel, and batches of different lengths padded at the start or the end.
* :mod:`.grammar`: chapter 4's synthetic corpus, whose word classes and analogies are known
  (:func:`synthetic_corpus`), and a word-class task whose test words no training phrase contains
  (:func:`word_class_phrases`).
* :mod:`.seq2seq`: the attention chapter's sequence-to-sequence tasks with known answers: sequences of
  symbols reversed or sorted (:func:`reversal`, :func:`sorting`, padded to a common length if asked), dates as
  people write them in several languages turned into ISO dates (:func:`dates`, with a
  :class:`CharVocabulary` for each side), and the scores :func:`exact_match` and :func:`position_accuracy`.
* :mod:`.text`: words and sentences from text (:func:`tokenize`, :func:`split_sentences`), a
  :class:`Vocabulary` with padding, and real text: Python's help topics offline (:func:`pydoc_topics`), the
  20 Newsgroups posts downloaded (:func:`load_newsgroups`).
* :mod:`.download`: one verified, cached download (:func:`twice.data.download.download`), the only network
  access in the book (MNIST and 20 Newsgroups, each only when a reader asks for it).

Shapes follow the glossary in :mod:`twice.layouts`.
"""

# Not the function download itself: as a name of this package it would hide the module twice.data.download.
from .batches import batch_stream, fixed_batches
from .digits import Digits, load_digits, load_mnist, validation_split
from .download import CACHE_ENV_VAR, MNIST_SHA256, MNIST_URL, DownloadError, default_cache_dir, sha256_of
from .grammar import (
    RELATIONS,
    TEMPLATES,
    PhraseSplits,
    Relation,
    SyntheticCorpus,
    synthetic_corpus,
    word_class_phrases,
)
from .images import load_sample_images, shift_images, to_grayscale
from .seq2seq import (
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
from .sequences import adding_problem, as_sequences, pad, random_lengths
from .text import (
    NEWSGROUPS_SHA256,
    NEWSGROUPS_URL,
    PAD,
    Vocabulary,
    load_newsgroups,
    pydoc_topics,
    split_sentences,
    tokenize,
)

__all__ = [
    "CACHE_ENV_VAR",
    "DATE_FORMATS",
    "ISO_CHARACTERS",
    "ISO_LENGTH",
    "MNIST_SHA256",
    "MNIST_URL",
    "NEWSGROUPS_SHA256",
    "NEWSGROUPS_URL",
    "PAD",
    "PAD_INDEX",
    "RELATIONS",
    "TEMPLATES",
    "CharVocabulary",
    "DateTask",
    "Digits",
    "DownloadError",
    "PhraseSplits",
    "Relation",
    "SequenceTask",
    "SyntheticCorpus",
    "Vocabulary",
    "adding_problem",
    "as_sequences",
    "batch_stream",
    "dates",
    "default_cache_dir",
    "exact_match",
    "fixed_batches",
    "load_digits",
    "load_mnist",
    "load_newsgroups",
    "load_sample_images",
    "pad",
    "position_accuracy",
    "pydoc_topics",
    "random_lengths",
    "reversal",
    "sha256_of",
    "shift_images",
    "sorting",
    "split_sentences",
    "synthetic_corpus",
    "to_grayscale",
    "tokenize",
    "validation_split",
    "word_class_phrases",
]
