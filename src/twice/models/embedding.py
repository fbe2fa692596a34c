"""Chapter 4's embedding models, each as a Keras twin and a PyTorch twin.

* Skip-gram with negative sampling: two embedding tables, ``centre`` (the input vectors ``u``) and
  ``context`` (the output vectors ``v``), and the scores ``u_c·v_o`` of the positive pairs and ``u_c·v_n`` of
  the negatives (:func:`keras_skipgram`, :func:`torch_skipgram`); the loss is
  :func:`twice.embeddings.sgns_loss` on those scores.
* A bag-of-words classifier: the mean of a sentence's word vectors, padding left out, into a linear layer
  (:func:`keras_bag_classifier`, :func:`torch_bag_classifier`).

Word ids are integers, ``(N,)`` or ``(N, T)`` (``V``: words in the vocabulary; id 0 is the padding).
The builders keep each framework's default initialiser, which the chapter measures: a Keras ``Embedding``
draws ``uniform(-0.05, 0.05)``, an ``nn.Embedding`` ``N(0, 1)``, about 35 times larger in standard deviation
(1 against 0.05/√3 ≈ 0.029), and zeroes the row at ``padding_idx``. Importing this module imports neither framework; each builder imports its own.
Introduced in chapter 4.
"""

from __future__ import annotations

from typing import Any

from .. import checks


def keras_skipgram(vocab_size: int, dim: int) -> Any:
    """A Keras model of skip-gram's scores: inputs ``centres`` ``(B,)``, ``contexts`` ``(B,)``, ``negatives``
    ``(B, k)``; outputs the positive scores ``(B,)`` and the negative scores ``(B, k)``.

    Two ``Embedding(vocab_size, dim)`` layers, ``"centre"`` and ``"context"`` (made and called in that order,
    so that :func:`twice.convert.keras_to_torch` pairs them with :func:`torch_skipgram`'s); the context table
    serves both the positive and the negative words. The scores are ``keras.ops`` dot products, no Lambda
    layer. Introduced in chapter 4.

    >>> import numpy as np
    >>> model = keras_skipgram(10, 4)
    >>> positive, negative = model([np.array([1, 2]), np.array([3, 4]), np.array([[5, 6, 7], [8, 9, 1]])])
    >>> [layer.name for layer in model.layers if layer.weights], tuple(positive.shape), tuple(negative.shape)
    (['centre', 'context'], (2,), (2, 3))

    Raises:
        TypeError, ValueError: for sizes that are not positive integers.
    """
    import keras

    vocab_size = checks.integer(vocab_size, "vocab_size", minimum=1)
    dim = checks.integer(dim, "dim", minimum=1)
    centres = keras.Input((), dtype="int32", name="centres")
    contexts = keras.Input((), dtype="int32", name="contexts")
    negatives = keras.Input((None,), dtype="int32", name="negatives")
    centre = keras.layers.Embedding(vocab_size, dim, name="centre")
    context = keras.layers.Embedding(vocab_size, dim, name="context")
    u = centre(centres)  # (B, dim)
    positive = keras.ops.sum(u * context(contexts), axis=-1)  # (B,)
    negative = keras.ops.einsum("bd,bkd->bk", u, context(negatives))  # (B, k)
    return keras.Model([centres, contexts, negatives], [positive, negative], name="skipgram")


def torch_skipgram(vocab_size: int, dim: int) -> Any:
    """The same in PyTorch: ``centre`` and ``context`` ``nn.Embedding(vocab_size, dim)`` (registered in that
    order), ``forward(centres, contexts, negatives)`` returning the positive scores ``(B,)`` and the
    negative scores ``(B, k)``. Introduced in chapter 4.

    >>> import torch
    >>> model = torch_skipgram(10, 4)
    >>> centres, contexts = torch.tensor([1, 2]), torch.tensor([3, 4])
    >>> negatives = torch.tensor([[5, 6, 7], [8, 9, 1]])
    >>> positive, negative = model(centres, contexts, negatives)
    >>> [name for name, _ in model.named_children()], tuple(positive.shape), tuple(negative.shape)
    (['centre', 'context'], (2,), (2, 3))

    Raises:
        TypeError, ValueError: for sizes that are not positive integers.
    """
    import torch
    from torch import nn

    vocab_size = checks.integer(vocab_size, "vocab_size", minimum=1)
    dim = checks.integer(dim, "dim", minimum=1)

    class SkipGram(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.centre = nn.Embedding(vocab_size, dim)
            self.context = nn.Embedding(vocab_size, dim)

        def forward(
            self, centres: torch.Tensor, contexts: torch.Tensor, negatives: torch.Tensor
        ) -> tuple[torch.Tensor, torch.Tensor]:
            u = self.centre(centres)  # (B, dim)
            positive = (u * self.context(contexts)).sum(dim=-1)  # (B,)
            negative = torch.einsum("bd,bkd->bk", u, self.context(negatives))  # (B, k)
            return positive, negative

    return SkipGram()


def keras_bag_classifier(vocab_size: int, dim: int, classes: int, *, length: int | None = None) -> Any:
    """A Keras bag-of-words classifier: ids ``(N, length)`` → ``Embedding(mask_zero=True)`` →
    ``GlobalAveragePooling1D`` → ``Dense(classes)`` logits.

    ``mask_zero=True`` makes id 0 the padding: the pooling averages the vectors of the real words only, so
    padding changes nothing (a row of padding only has nothing to average, and gives NaN). ``length=None``
    takes sentences of any length. Introduced in chapter 4.

    >>> [type(layer).__name__ for layer in keras_bag_classifier(20, 8, 3).layers]
    ['Embedding', 'GlobalAveragePooling1D', 'Dense']

    Raises:
        TypeError, ValueError: for sizes that are not positive integers.
    """
    import keras

    vocab_size = checks.integer(vocab_size, "vocab_size", minimum=1)
    dim, classes = checks.integer(dim, "dim", minimum=1), checks.integer(classes, "classes", minimum=1)
    if length is not None:
        length = checks.integer(length, "length", minimum=1)
    return keras.Sequential(
        [
            keras.Input((length,), dtype="int32"),
            keras.layers.Embedding(vocab_size, dim, mask_zero=True),
            keras.layers.GlobalAveragePooling1D(),
            keras.layers.Dense(classes),
        ]
    )


def torch_bag_classifier(vocab_size: int, dim: int, classes: int, *, padding_idx: int = 0) -> Any:
    """The same in PyTorch: ``nn.Embedding(padding_idx=padding_idx)``, the mean over the positions whose id
    is not ``padding_idx``, an ``nn.Linear(dim, classes)``; ``forward(ids (N, T))`` returns the logits.

    As Keras' masked pooling does, padded positions are left out with ``torch.where`` (not multiplied by 0,
    which would let a NaN through), and a row of padding only gives NaN. The Keras twin masks id 0, so
    ``padding_idx=0`` is the one that matches it. Introduced in chapter 4.

    >>> import torch
    >>> model = torch_bag_classifier(20, 8, 3)
    >>> ids = torch.tensor([[4, 5, 0, 0], [4, 5, 0, 0]])
    >>> logits = model(ids)
    >>> tuple(logits.shape), bool(torch.equal(logits, model(ids[:, :2])))       # padding changes nothing
    ((2, 3), True)

    Raises:
        TypeError, ValueError: for sizes that are not positive integers, a ``padding_idx`` outside
            ``[0, vocab_size)``.
    """
    import torch
    from torch import nn

    vocab_size = checks.integer(vocab_size, "vocab_size", minimum=1)
    dim, classes = checks.integer(dim, "dim", minimum=1), checks.integer(classes, "classes", minimum=1)
    padding = checks.integer(padding_idx, "padding_idx", minimum=0, maximum=vocab_size - 1)

    class BagClassifier(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.embedding = nn.Embedding(vocab_size, dim, padding_idx=padding)
            self.linear = nn.Linear(dim, classes)

        def forward(self, ids: torch.Tensor) -> torch.Tensor:
            vectors = self.embedding(ids)  # (N, T, dim)
            real = (ids != padding).unsqueeze(-1)  # (N, T, 1)
            summed = torch.where(real, vectors, torch.zeros_like(vectors)).sum(dim=1)
            mean = summed / real.sum(dim=1).to(vectors.dtype)
            logits: torch.Tensor = self.linear(mean)
            return logits

    return BagClassifier()
