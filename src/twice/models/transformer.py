"""Chapter 5's Transformer encoders, each as a Keras twin and a PyTorch twin.

* One encoder block: self-attention and a two-layer feed-forward network, each with a residual connection and
  a layer normalisation (:func:`keras_encoder_block`, the exact twin of :func:`torch_encoder_block`, which is
  ``nn.TransformerEncoderLayer`` itself). Post-norm, as in the paper and PyTorch's default::

      x = norm1(x + self_attn(x))
      x = norm2(x + linear2(relu(linear1(x))))

  or pre-norm (``norm_first=True``): ``x = x + self_attn(norm1(x))``, then
  ``x = x + linear2(relu(linear1(norm2(x))))``.
* A per-position classifier for sequence-to-sequence tasks of equal lengths (reversing or sorting a
  sequence): token embeddings plus the fixed sinusoidal positional encoding
  (:func:`twice.attention.sinusoidal_encoding`, interleaved, added, not trained), ``layers`` encoder blocks
  and a linear layer at every position, logits ``(N, T, classes)`` (:func:`keras_position_classifier`,
  :func:`torch_position_classifier`), and each block's attention weights for heat maps
  (:func:`keras_attention_weights`, :func:`torch_attention_weights`).

Padding. With ``padding=True`` word id 0 is the padding: Keras masks it from the ``Embedding``
(``mask_zero=True``), PyTorch passes ``src_key_padding_mask = (ids == 0)`` (True = ignore) to every block. At
the real positions the twins agree; at padded positions they do not, and need not: Keras' attention masks
padded *queries* too, whose rows are then fully masked (see :data:`twice.attention.MASKED_ROWS`), while
PyTorch's padded queries attend to the real keys as usual. Compare, and score, the real positions only.

Inputs are batch-first in both. Dropout is 0 throughout, so that the twins compute the same function in
training as well. Importing this module imports neither framework; each builder imports its own.
Introduced in chapter 5.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from .. import checks
from ..attention import TORCH_LAYER_NORM_EPSILON, sinusoidal_encoding


def _flag(value: object, name: str) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be a bool, got {type(value).__name__} {value!r}")
    return bool(value)


def _block_sizes(dim: object, heads: object, hidden: object, epsilon: object) -> tuple[int, int, int, float]:
    size = checks.integer(dim, "dim", minimum=1)
    count = checks.integer(heads, "heads", minimum=1)
    width = checks.integer(hidden, "hidden", minimum=1)
    if size % count:
        raise ValueError(
            f"dim={size} must be a multiple of heads={count}: each head has dim // heads dimensions "
            "(nn.MultiheadAttention's head_dim, Keras' key_dim)"
        )
    return size, count, width, checks.positive(epsilon, "epsilon")


@functools.cache
def _keras_classes() -> tuple[Any, Any]:
    """The Keras layer classes of this module, made once (Keras is imported only here)."""
    import keras
    from keras import ops

    @keras.saving.register_keras_serializable(package="twice")
    class PositionalEncoding(keras.layers.Layer):  # type: ignore[misc]
        """Adds the fixed interleaved sinusoidal encoding of :func:`twice.attention.sinusoidal_encoding`."""

        def __init__(self, length: int, dim: int, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.length, self.dim = length, dim
            self.table = sinusoidal_encoding(length, dim)
            self.supports_masking = True  # the Embedding's padding mask passes through

        def call(self, x: Any) -> Any:
            table = ops.cast(ops.convert_to_tensor(self.table), x.dtype)
            return x + table[None, : ops.shape(x)[1]]

        def get_config(self) -> dict[str, Any]:
            return {**super().get_config(), "length": self.length, "dim": self.dim}

    @keras.saving.register_keras_serializable(package="twice")
    class EncoderBlock(keras.layers.Layer):  # type: ignore[misc]
        """nn.TransformerEncoderLayer in Keras; see :func:`keras_encoder_block`."""

        def __init__(
            self,
            dim: int,
            heads: int,
            hidden: int,
            norm_first: bool = False,
            epsilon: float = 1e-5,
            **kwargs: Any,
        ) -> None:
            super().__init__(**kwargs)
            self.dim, self.heads, self.hidden = dim, heads, hidden
            self.norm_first, self.epsilon = norm_first, epsilon
            common = {"dtype": self.dtype_policy}
            # Assigned in the order nn.TransformerEncoderLayer registers its modules, which is the order
            # twice.convert pairs them in.
            self.self_attn = keras.layers.MultiHeadAttention(heads, dim // heads, name="self_attn", **common)
            self.linear1 = keras.layers.Dense(hidden, activation="relu", name="linear1", **common)
            self.linear2 = keras.layers.Dense(dim, name="linear2", **common)
            self.norm1 = keras.layers.LayerNormalization(epsilon=epsilon, name="norm1", **common)
            self.norm2 = keras.layers.LayerNormalization(epsilon=epsilon, name="norm2", **common)
            self.supports_masking = True

        def build(self, input_shape: Any) -> None:
            shape = tuple(input_shape)
            self.self_attn.build(shape, shape)
            self.linear1.build(shape)
            self.linear2.build((*shape[:-1], self.hidden))
            self.norm1.build(shape)
            self.norm2.build(shape)

        def call(
            self, x: Any, mask: Any = None, attention_mask: Any = None, return_attention_scores: bool = False
        ) -> Any:
            attend = None
            if mask is not None:  # (N, T): Keras masks padded queries as well as padded keys
                keep = ops.cast(mask, "bool")
                attend = ops.logical_and(ops.expand_dims(keep, 2), ops.expand_dims(keep, 1))
            if attention_mask is not None:  # (N, T, S), True = attend
                given = ops.cast(attention_mask, "bool")
                attend = given if attend is None else ops.logical_and(attend, given)
            h = self.norm1(x) if self.norm_first else x
            if return_attention_scores:
                attended, scores = self.self_attn(h, h, attention_mask=attend, return_attention_scores=True)
            else:
                attended, scores = self.self_attn(h, h, attention_mask=attend), None
            if self.norm_first:
                x = x + attended
                x = x + self.linear2(self.linear1(self.norm2(x)))
            else:
                x = self.norm1(x + attended)
                x = self.norm2(x + self.linear2(self.linear1(x)))
            return (x, scores) if return_attention_scores else x

        def compute_output_shape(self, input_shape: Any) -> Any:
            return input_shape

        def get_config(self) -> dict[str, Any]:
            sizes = {"dim": self.dim, "heads": self.heads, "hidden": self.hidden}
            return {**super().get_config(), **sizes, "norm_first": self.norm_first, "epsilon": self.epsilon}

    return PositionalEncoding, EncoderBlock


def keras_encoder_block(
    dim: int,
    heads: int,
    hidden: int,
    *,
    norm_first: bool = False,
    epsilon: float = TORCH_LAYER_NORM_EPSILON,
    name: str | None = None,
) -> Any:
    """A Keras layer that computes exactly ``nn.TransformerEncoderLayer(dim, heads, dim_feedforward=hidden,
    dropout=0.0, activation="relu", layer_norm_eps=epsilon, batch_first=True, norm_first=norm_first)``.

    Its sublayers are ``self_attn`` (``MultiHeadAttention(num_heads=heads, key_dim=dim // heads)``, PyTorch's
    head size), ``linear1`` (``Dense(hidden, "relu")``), ``linear2`` (``Dense(dim)``), ``norm1`` and
    ``norm2`` (``LayerNormalization(epsilon=epsilon)``: PyTorch's 1e-5, not Keras' 1e-3), created in that
    order, which is the order of PyTorch's modules: :mod:`twice.convert` walks into the block and pairs them.
    Call it on ``(N, T, dim)``; a Keras mask from the layer before (an ``Embedding(mask_zero=True)``) or an
    ``attention_mask`` ``(N, T, S)`` (True = attend, as Keras' attention layer takes it) leaves positions out,
    as ``src_key_padding_mask`` (True = ignore) does in PyTorch, except at the padded queries (see the
    module's docstring). ``block(x, return_attention_scores=True)`` returns ``(outputs, weights)``, the
    weights ``(N, heads, T, S)``; asked for them, Keras' attention takes another path, which gives padded
    query rows zeros instead of uniform weights (:data:`twice.attention.MASKED_ROWS`).
    Introduced in chapter 5.

    >>> import keras
    >>> from twice.convert import torch_to_keras
    >>> keras_model = keras.Sequential([keras.Input((5, 8)), keras_encoder_block(8, 2, 16, name="block")])
    >>> print(torch_to_keras(torch_encoder_block(8, 2, 16), keras_model))        # doctest: +ELLIPSIS
    copied 5 layers to Keras:
      block/self_attn (MultiHeadAttention, ...) <-> self_attn (...) with heads=2, key_dim=4
      block/linear1 (Dense, in out) <-> linear1 (nn.Linear, out in)
      block/linear2 (Dense, in out) <-> linear2 (nn.Linear, out in)
      block/norm1 (LayerNormalization, out, epsilon=1e-05) <-> norm1 (nn.LayerNorm, out, eps=1e-05)
      block/norm2 (LayerNormalization, out, epsilon=1e-05) <-> norm2 (nn.LayerNorm, out, eps=1e-05)

    Raises:
        TypeError, ValueError: for sizes that are not positive integers, a ``dim`` that is not a multiple of
            ``heads``, an ``epsilon`` that is not positive, a ``norm_first`` that is not a bool.
    """
    size, count, width, eps = _block_sizes(dim, heads, hidden, epsilon)
    first = _flag(norm_first, "norm_first")
    _, encoder_block = _keras_classes()
    return encoder_block(size, count, width, norm_first=first, epsilon=eps, name=name)


def torch_encoder_block(
    dim: int, heads: int, hidden: int, *, norm_first: bool = False, epsilon: float = TORCH_LAYER_NORM_EPSILON
) -> Any:
    """``nn.TransformerEncoderLayer(dim, heads, dim_feedforward=hidden, dropout=0.0, activation="relu",
    layer_norm_eps=epsilon, batch_first=True, norm_first=norm_first)``: the twin of
    :func:`keras_encoder_block`. Call it as ``block(x, src_key_padding_mask=padding)``, ``padding`` ``(N, T)``
    True at the padded positions. Introduced in chapter 5.

    >>> import torch
    >>> block = torch_encoder_block(8, 2, 16)
    >>> [name for name, module in block.named_children() if list(module.parameters())]
    ['self_attn', 'linear1', 'linear2', 'norm1', 'norm2']
    >>> block(torch.zeros(3, 5, 8)).shape
    torch.Size([3, 5, 8])

    Raises:
        TypeError, ValueError: as :func:`keras_encoder_block`.
    """
    from torch import nn

    size, count, width, eps = _block_sizes(dim, heads, hidden, epsilon)
    first = _flag(norm_first, "norm_first")
    return nn.TransformerEncoderLayer(
        size,
        count,
        dim_feedforward=width,
        dropout=0.0,
        activation="relu",
        layer_norm_eps=eps,
        batch_first=True,
        norm_first=first,
    )


def _classifier_sizes(
    vocab: object, length: object, dim: object, classes: object, layers: object, padding: object
) -> tuple[int, int, int, int, int, bool]:
    """``vocab, length, dim, classes, layers`` checked, and ``padding`` as a bool."""
    words = checks.integer(vocab, "vocab", minimum=1)
    steps = checks.integer(length, "length", minimum=1)
    size = checks.integer(dim, "dim", minimum=1)
    if size % 2:
        raise ValueError(f"dim must be even for the sinusoidal positional encoding, got dim={size}")
    outputs = checks.integer(classes, "classes", minimum=1)
    return words, steps, size, outputs, checks.integer(layers, "layers", minimum=1), _flag(padding, "padding")


def keras_position_classifier(
    vocab: int,
    length: int,
    dim: int,
    heads: int,
    hidden: int,
    classes: int,
    *,
    layers: int = 1,
    padding: bool = False,
    norm_first: bool = False,
    epsilon: float = TORCH_LAYER_NORM_EPSILON,
) -> Any:
    """A Keras Transformer encoder with a prediction at every position: ids ``(N, length)`` → logits
    ``(N, length, classes)``.

    ``Embedding(vocab, dim)`` (``"embedding"``, with ``mask_zero=padding``), the interleaved sinusoidal
    encoding added (``"positions"``, no weights), ``layers`` :func:`keras_encoder_block` s (``"encoder_0"``,
    ...) and ``Dense(classes)`` (``"linear"``): the layers, in order, of :func:`torch_position_classifier`,
    which :mod:`twice.convert` pairs. Introduced in chapter 5.

    >>> import numpy as np
    >>> model = keras_position_classifier(10, 6, 8, 2, 16, 10, layers=2)
    >>> [layer.name for layer in model.layers]
    ['ids', 'embedding', 'positions', 'encoder_0', 'encoder_1', 'linear']
    >>> tuple(model(np.zeros((3, 6), dtype="int32")).shape)
    (3, 6, 10)

    Raises:
        TypeError, ValueError: for sizes that are not positive integers, an odd ``dim`` or one that is not a
            multiple of ``heads``, an ``epsilon`` that is not positive, flags that are not bools.
    """
    import keras

    words, steps, size, outputs, count, masked = _classifier_sizes(
        vocab, length, dim, classes, layers, padding
    )
    blocks = [
        keras_encoder_block(
            size, heads, hidden, norm_first=norm_first, epsilon=epsilon, name=f"encoder_{index}"
        )
        for index in range(count)
    ]
    positional_encoding, _ = _keras_classes()
    ids = keras.Input((steps,), dtype="int32", name="ids")
    x = keras.layers.Embedding(words, size, mask_zero=masked, name="embedding")(ids)
    x = positional_encoding(steps, size, name="positions")(x)
    for block in blocks:
        x = block(x)
    logits = keras.layers.Dense(outputs, name="linear")(x)
    return keras.Model(ids, logits, name="position_classifier")


def torch_position_classifier(
    vocab: int,
    length: int,
    dim: int,
    heads: int,
    hidden: int,
    classes: int,
    *,
    layers: int = 1,
    padding: bool = False,
    norm_first: bool = False,
    epsilon: float = TORCH_LAYER_NORM_EPSILON,
) -> Any:
    """The same in PyTorch: ``embedding`` (``nn.Embedding``, ``padding_idx=0`` with ``padding``), the encoding
    added (a buffer ``positions`` ``(length, dim)``, not saved in the ``state_dict``), ``layers`` (an
    ``nn.ModuleList`` of :func:`torch_encoder_block` s, given ``src_key_padding_mask = ids == 0`` with
    ``padding``) and ``linear``; ``forward(ids (N, T))`` returns ``(N, T, classes)`` for any ``T <= length``.
    ``model.embed(ids)`` gives the blocks' input, ``model.padding_mask(ids)`` their padding mask (or
    ``None``). Introduced in chapter 5.

    >>> import torch
    >>> model = torch_position_classifier(10, 6, 8, 2, 16, 10, layers=2)
    >>> [name for name, _ in model.named_children()]
    ['embedding', 'layers', 'linear']
    >>> model(torch.zeros(3, 6, dtype=torch.long)).shape
    torch.Size([3, 6, 10])

    Raises:
        TypeError, ValueError: as :func:`keras_position_classifier`.
    """
    import torch
    from torch import nn

    words, steps, size, outputs, count, masked = _classifier_sizes(
        vocab, length, dim, classes, layers, padding
    )
    blocks = [
        torch_encoder_block(size, heads, hidden, norm_first=norm_first, epsilon=epsilon) for _ in range(count)
    ]

    class PositionClassifier(nn.Module):
        positions: torch.Tensor

        def __init__(self) -> None:
            super().__init__()
            self.embedding = nn.Embedding(words, size, padding_idx=0 if masked else None)
            table = torch.from_numpy(sinusoidal_encoding(steps, size)).float()
            self.register_buffer("positions", table, persistent=False)
            self.layers = nn.ModuleList(blocks)
            self.linear = nn.Linear(size, outputs)

        def padding_mask(self, ids: torch.Tensor) -> torch.Tensor | None:
            return ids == 0 if masked else None  # True = ignore, nn.MultiheadAttention's polarity

        def embed(self, ids: torch.Tensor) -> torch.Tensor:
            vectors: torch.Tensor = self.embedding(ids) + self.positions[: ids.shape[1]]
            return vectors

        def forward(self, ids: torch.Tensor) -> torch.Tensor:
            x, padding_mask = self.embed(ids), self.padding_mask(ids)
            for block in self.layers:
                x = block(x, src_key_padding_mask=padding_mask)
            logits: torch.Tensor = self.linear(x)
            return logits

    return PositionClassifier()


def keras_attention_weights(model: Any, ids: object) -> np.ndarray:
    """Every encoder block's attention weights in a Keras model, float ``(blocks, N, heads, T, S)``.

    Calls the model's layers one after the other (a chain, as :func:`keras_position_classifier` builds), each
    :func:`keras_encoder_block` with ``return_attention_scores=True``; a padded query's row is zeros there.
    Introduced in chapter 5.

    >>> import numpy as np
    >>> model = keras_position_classifier(10, 6, 8, 2, 16, 10, padding=True)
    >>> weights = keras_attention_weights(model, np.array([[3, 4, 5, 0, 0, 0]]))
    >>> weights.shape, weights[0, 0, 0, 0, 3:].tolist(), bool(np.allclose(weights[0, 0, 0, :3].sum(-1), 1))
    ((1, 1, 2, 6, 6), [0.0, 0.0, 0.0], True)

    Raises:
        TypeError: for a model that is not a Keras model.
        ValueError: for a model without encoder blocks.
    """
    import keras

    if not isinstance(model, keras.Model):
        raise TypeError(f"model must be a keras.Model, got {type(model).__name__}")
    _, encoder_block = _keras_classes()
    x = keras.ops.convert_to_tensor(np.asarray(ids))
    found = []
    for layer in model.layers:
        if isinstance(layer, keras.layers.InputLayer):
            continue
        if isinstance(layer, encoder_block):
            x, scores = layer(x, return_attention_scores=True)
            found.append(np.asarray(scores))
        else:
            x = layer(x)
    if not found:
        raise ValueError(
            f"model {model.name!r} has no encoder blocks (keras_encoder_block) to read weights from"
        )
    return np.stack(found)


def torch_attention_weights(model: Any, ids: object) -> np.ndarray:
    """Every block's attention weights in a :func:`torch_position_classifier`, ``(blocks, N, heads, T, S)``.

    ``nn.TransformerEncoderLayer`` asks its attention for no weights; this runs each block's ``self_attn``
    again on the block's input (after ``norm1`` when ``norm_first``) with ``need_weights=True,
    average_attn_weights=False`` (the default averages over the heads), without gradients.
    Introduced in chapter 5.

    >>> import numpy as np
    >>> model = torch_position_classifier(10, 6, 8, 2, 16, 10, padding=True)
    >>> weights = torch_attention_weights(model, np.array([[3, 4, 5, 0, 0, 0]]))
    >>> weights.shape, weights[0, 0, 0, 0, 3:].tolist(), bool(np.allclose(weights[0, 0, 0, :3].sum(-1), 1))
    ((1, 1, 2, 6, 6), [0.0, 0.0, 0.0], True)

    Raises:
        TypeError: for a model that is not one of :func:`torch_position_classifier`'s.
    """
    import torch

    if not all(hasattr(model, name) for name in ("embed", "padding_mask", "layers")):
        raise TypeError(f"model must be a torch_position_classifier model, got {type(model).__name__}")
    device = model.linear.weight.device
    tokens = torch.as_tensor(np.asarray(ids), device=device)
    found = []
    with torch.no_grad():
        x, padding_mask = model.embed(tokens), model.padding_mask(tokens)
        for block in model.layers:
            h = block.norm1(x) if block.norm_first else x
            _, weights = block.self_attn(
                h, h, h, key_padding_mask=padding_mask, need_weights=True, average_attn_weights=False
            )
            found.append(weights.cpu().numpy())
            x = block(x, src_key_padding_mask=padding_mask)
    return np.stack(found)
