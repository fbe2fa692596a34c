"""Attention: the NumPy reference of scaled dot-product and multi-head attention, masks, positional encodings
and layer normalisation, and how their weights cross frameworks.

Shapes follow the glossary in :mod:`twice.layouts`: ``T`` query positions, ``S`` key and value positions,
``heads`` attention heads of ``d`` dimensions each.

Scaled dot-product attention (Vaswani et al., "Attention Is All You Need", 2017, arXiv:1706.03762). Each of
``T`` queries ``q`` ``(T, d)`` is compared with ``S`` keys ``k`` ``(S, d)``; the scores, divided by ``√d`` so
that their spread does not grow with ``d``, become weights by a softmax over the keys, and the output is the
weighted mean of the values ``v`` ``(S, dv)``::

    weights = softmax(q kᵀ / √d + bias)      (T, S), each row sums to 1
    output  = weights v                      (T, dv)

A *mask* takes key positions out of a query's softmax: their score becomes ``-inf`` (``bias``), so their
weight is 0 (:func:`scaled_dot_product_attention`). A padding mask hides the padded positions of each
sequence (:func:`padding_mask`), a causal mask the positions after the query (:func:`causal_mask`). Boolean
masks come in two **opposite polarities**, and a mask of the wrong polarity runs without an error:

* ``"attend"``, True = take part: Keras' ``MultiHeadAttention(attention_mask=...)``,
  ``keras.ops.dot_product_attention(mask=...)`` and ``torch.nn.functional.scaled_dot_product_attention``;
* ``"block"``, True = ignore: ``nn.MultiheadAttention``'s ``key_padding_mask`` and ``attn_mask``, and the
  ``src_key_padding_mask``/``src_mask`` of ``nn.Transformer*`` (the PyTorch documentation of SDPA says so:
  "the inverse of MultiheadAttention's key_padding_mask").

A query whose keys are all masked has nothing to average: the softmax of a row of ``-inf`` is 0/0. The
frameworks resolve it differently, and not even each framework in one way (:data:`MASKED_ROWS`, measured by
:func:`measure_masked_rows`), so :func:`scaled_dot_product_attention` makes the choice explicit
(``masked_rows``) and parity checks compare valid positions only. Padded *query* positions differ too:
Keras' ``MultiHeadAttention`` masks the rows of padded queries as well (from the query's Keras mask), which
makes them fully masked rows, while ``key_padding_mask`` masks keys only, so padded queries attend normally.

Multi-head attention projects the inputs into ``heads`` smaller spaces, attends in each, and projects the
concatenated results back (:func:`multi_head_attention`, in Keras' weight layout). The two frameworks store
the same projections differently (:data:`MULTI_HEAD_ATTENTION_RULE`); their head size differs by default
(Keras' ``key_dim`` is free, PyTorch's is ``embed_dim // num_heads``).

Positional encodings. Attention ignores order; the Transformer adds a fixed position signal to the token
vectors (:func:`sinusoidal_encoding`), sines and cosines interleaved in the paper, concatenated in
TensorFlow's tutorial, the same columns in another order (:func:`encoding_permutation`). Neither Keras nor
PyTorch ships one.

Layer normalisation (:func:`layer_norm`) normalises each position over its features; both frameworks compute
the same formula, with different default ``epsilon`` (:data:`KERAS_LAYER_NORM_EPSILON`,
:data:`TORCH_LAYER_NORM_EPSILON`), which :mod:`twice.convert` carries across with the weights
(:data:`LAYER_NORM_RULE`). Introduced in chapter 5.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from . import checks
from .layouts import WeightRule, rearrange

Polarity = Literal["attend", "block"]
"""What True means in a boolean mask: ``"attend"`` (take part) or ``"block"`` (ignore)."""

MaskedRows = Literal["zeros", "uniform", "nan"]
"""What a query whose keys are all masked gets: zero weights (and output), uniform weights ``1/S``, or NaN."""

POLARITIES: tuple[Polarity, ...] = ("attend", "block")
MASKED_ROW_CHOICES: tuple[MaskedRows, ...] = ("zeros", "uniform", "nan")

KERAS_LAYER_NORM_EPSILON = 1e-3
"""``keras.layers.LayerNormalization``'s default ``epsilon`` (Keras 3.15.1). Introduced in chapter 5."""

TORCH_LAYER_NORM_EPSILON = 1e-5
"""``torch.nn.LayerNorm``'s default ``eps``, and ``nn.TransformerEncoderLayer``'s ``layer_norm_eps``
(PyTorch 2.13). Introduced in chapter 5."""

LAYER_NORM_RULE = WeightRule("LayerNormalization", "nn.LayerNorm", keras="out", torch="out")
"""Keras ``LayerNormalization`` ``gamma``, ``beta`` ``(out,)`` ⇄ ``nn.LayerNorm`` ``weight``, ``bias``.

The weights are the same numbers in both; what differs is ``epsilon``, which is no weight (see
:mod:`twice.convert`, which sets the target's to the source's). Introduced in chapter 5.

>>> weight, bias = LAYER_NORM_RULE.to_torch(np.ones(4), np.zeros(4))
>>> weight.shape, bias.shape
((4,), (4,))
"""

MASKED_ROWS: dict[str, MaskedRows] = {
    "keras.layers.MultiHeadAttention": "uniform",
    "keras.layers.MultiHeadAttention, return_attention_scores=True": "zeros",
    "keras.ops.dot_product_attention": "uniform",
    "torch.nn.functional.scaled_dot_product_attention": "zeros",
    "nn.MultiheadAttention, need_weights=True": "nan",
    "nn.MultiheadAttention, need_weights=False": "zeros",
    "nn.MultiheadAttention, need_weights=True, eval and no_grad": "nan",
    "nn.MultiheadAttention, need_weights=False, eval and no_grad": "nan",
}
"""What each API gives a query whose keys are all masked, as the ``masked_rows`` of the NumPy reference that
it matches: measured with Keras 3.15.1 on the TensorFlow backend and PyTorch 2.13 on the CPU
(:func:`measure_masked_rows` measures them again; the tests check that it still finds these).

* Keras' ``MultiHeadAttention`` called plainly takes the fused path, ``keras.ops.dot_product_attention``,
  which on the TensorFlow backend fills masked scores with a large finite negative number
  (``keras/src/backend/tensorflow/nn.py``, ``_apply_masks``): a fully masked row becomes uniform, the mean of
  all values. Asked for its scores, the layer takes its own path instead, a ``Softmax`` layer that puts
  ``-1e9`` in and zeroes masked weights afterwards (``keras/src/layers/activations/softmax.py``): zeros.
  The same layer gives two different outputs at those rows.
* PyTorch's ``scaled_dot_product_attention`` returns zeros (its math path has used a "safe" softmax since
  pytorch/pytorch#131060, and the CPU flash kernel agrees); ``nn.MultiheadAttention`` with
  ``need_weights=True`` computes a plain softmax of ``-inf`` scores: NaN, in output and weights
  (pytorch/pytorch#41508, #160064); with ``need_weights=False`` it calls SDPA (zeros) unless its inference
  fast path runs (``eval()``, no gradients, self-attention, ``batch_first=True``, an even number of heads),
  whose native kernel gives NaN again.

"zeros" means zero attention weights, so the layer's output there is its output projection's bias.
Introduced in chapter 5.

>>> MASKED_ROWS["keras.ops.dot_product_attention"]
'uniform'
"""


# ----------------------------------------------------------------------------------------------------------
# Masks and the softmax
# ----------------------------------------------------------------------------------------------------------


def softmax(x: object, axis: int = -1) -> np.ndarray:
    """Softmax along ``axis`` in float64, shifted by the maximum so that ``exp`` cannot overflow.

    ``-inf`` entries get weight 0; a slice of ``-inf`` only is 0/0 and gives NaN, the honest answer that each
    framework replaces by a choice of its own (see :data:`MASKED_ROWS`). Introduced in chapter 5.

    >>> softmax(np.array([[0.0, np.log(3.0), -np.inf]])).round(2)
    array([[0.25, 0.75, 0.  ]])
    >>> softmax(np.array([1000.0, 1000.0]))
    array([0.5, 0.5])
    """
    z = checks.array(x, "x").astype(np.float64)
    axis = checks.integer(axis, "axis", minimum=-max(z.ndim, 1), maximum=max(z.ndim - 1, 0))
    with np.errstate(invalid="ignore"):  # a slice of -inf only: -inf - (-inf) is NaN, as it should be
        shifted = z - z.max(axis=axis, keepdims=True)
        e = np.exp(shifted)
        probabilities: np.ndarray = e / e.sum(axis=axis, keepdims=True)
    return probabilities


def causal_mask(
    queries: int, keys: int, *, align: Literal["top-left", "bottom-right"] = "top-left"
) -> np.ndarray:
    """The causal mask ``(T, S)`` (True = attend) of ``T = queries`` positions over ``S = keys``.

    ``"top-left"``: query ``i`` sees keys ``j <= i``, the lower triangle from the top-left corner; this is
    what Keras' ``use_causal_mask=True`` (``row_index >= col_index``) and PyTorch's ``is_causal=True``
    (``tril(diagonal=0)``) compute when ``T != S`` too. ``"bottom-right"``: the last query sees all keys,
    query ``i`` keys ``j <= i + S - T``, as when the queries are the last ``T`` of ``S`` positions
    (FlashAttention 2.1 and later, ``torch.nn.attention.bias.causal_lower_right``). With ``T == S`` the two
    are the same.
    Introduced in chapter 5.

    >>> causal_mask(2, 3).astype(int)
    array([[1, 0, 0],
           [1, 1, 0]])
    >>> causal_mask(2, 3, align="bottom-right").astype(int)
    array([[1, 1, 0],
           [1, 1, 1]])

    Raises:
        TypeError, ValueError: for sizes that are not positive integers, an unknown ``align``.
    """
    t = checks.integer(queries, "queries", minimum=1)
    s = checks.integer(keys, "keys", minimum=1)
    where = checks.one_of(align, "align", ("top-left", "bottom-right"))
    offset = 0 if where == "top-left" else s - t
    mask: np.ndarray = np.arange(s)[None, :] <= np.arange(t)[:, None] + offset
    return mask


def padding_mask(lengths: object, length: int, *, polarity: Polarity = "attend") -> np.ndarray:
    """Boolean ``(N, length)`` masks of sequences of the given ``lengths``, padded at the end to ``length``.

    ``polarity="attend"`` marks the real positions True (for Keras and SDPA), ``"block"`` the padding (for
    ``key_padding_mask``). Introduced in chapter 5.

    >>> padding_mask([3, 1], 4).astype(int)
    array([[1, 1, 1, 0],
           [1, 0, 0, 0]])
    >>> padding_mask([3, 1], 4, polarity="block").astype(int)
    array([[0, 0, 0, 1],
           [0, 1, 1, 1]])

    Raises:
        TypeError: for lengths that are not integers.
        ValueError: for lengths outside ``[0, length]``, an unknown polarity.
    """
    size = checks.integer(length, "length", minimum=1)
    array = checks.array(lengths, "lengths", ndim=1, shape="(N,)")
    if array.size and not np.issubdtype(array.dtype, np.integer):
        raise TypeError(f"lengths must be integers, got dtype {array.dtype}")
    if array.size and (array.min() < 0 or array.max() > size):
        raise ValueError(f"lengths must lie in [0, {size}], got values {array.min()}..{array.max()}")
    real: np.ndarray = np.arange(size)[None, :] < array[:, None]
    return real if checks.one_of(polarity, "polarity", POLARITIES) == "attend" else ~real


def _attend(mask: object, polarity: object, shape: tuple[int, ...]) -> np.ndarray:
    """``mask`` as booleans broadcast to ``shape``, True = attend."""
    kind = checks.one_of(polarity, "polarity", POLARITIES)
    array = checks.array(mask, "mask")
    if array.dtype != np.bool_:
        raise TypeError(
            f"mask must be booleans (True = {'take part' if kind == 'attend' else 'ignore'}), got dtype "
            f"{array.dtype}: a float mask is added to the scores in PyTorch, a different thing"
        )
    try:
        attend = np.broadcast_to(array if kind == "attend" else ~array, shape)
    except ValueError:
        raise ValueError(f"mask of shape {array.shape} does not broadcast to the scores' {shape}") from None
    return attend


# ----------------------------------------------------------------------------------------------------------
# Scaled dot-product and multi-head attention
# ----------------------------------------------------------------------------------------------------------


def scaled_dot_product_attention(
    q: object,
    k: object,
    v: object,
    *,
    mask: object = None,
    polarity: Polarity = "attend",
    causal: bool = False,
    masked_rows: MaskedRows = "zeros",
    scale: float | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """``softmax(q kᵀ · scale + bias) v`` in float64: output ``(..., T, dv)`` and weights ``(..., T, S)``.

    ``q`` is ``(..., T, d)``, ``k`` ``(..., S, d)``, ``v`` ``(..., S, dv)``; the leading axes broadcast (put
    heads there, ``(N, heads, T, d)``: PyTorch's layout; Keras' ``dot_product_attention`` takes
    ``(N, T, heads, d)``). ``scale`` defaults to ``1/√d``.

    ``mask``: booleans broadcastable to ``(..., T, S)``, read with ``polarity`` (``"attend"``: True = take
    part, Keras and SDPA; ``"block"``: True = ignore, ``nn.MultiheadAttention``). ``causal=True`` adds the
    top-left causal mask (:func:`causal_mask`), as both frameworks do. A query left with no key takes
    ``masked_rows``: ``"zeros"`` (zero weights, zero output), ``"uniform"`` (weights ``1/S`` over all keys,
    the output is the mean of all values), or ``"nan"``; :data:`MASKED_ROWS` lists which API does which.
    Introduced in chapter 5.

    >>> q = np.array([[1.0, 0.0], [0.0, 1.0]])          # T = 2 queries, d = 2
    >>> k = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    >>> v = np.array([[1.0], [2.0], [3.0]])               # S = 3 keys
    >>> out, weights = scaled_dot_product_attention(q, k, v, mask=np.array([True, True, False]))
    >>> weights.round(3)                                  # the third key takes no part
    array([[0.67, 0.33, 0.  ],
           [0.33, 0.67, 0.  ]])
    >>> out, weights = scaled_dot_product_attention(q, k, v, mask=np.ones((2, 3), bool), polarity="block",
    ...                                             masked_rows="uniform")
    >>> out.ravel(), weights[0]                           # every key blocked: the mean of the values
    (array([2., 2.]), array([0.33333333, 0.33333333, 0.33333333]))

    Raises:
        TypeError: for arrays that are not numeric, a mask that is not boolean, a non-bool ``causal``.
        ValueError: for shapes that do not fit, an unknown ``polarity`` or ``masked_rows``.
    """
    query = checks.array(q, "q").astype(np.float64)
    key = checks.array(k, "k").astype(np.float64)
    value = checks.array(v, "v").astype(np.float64)
    for name, array in (("q", query), ("k", key), ("v", value)):
        if array.ndim < 2:
            raise ValueError(
                f"{name} must have at least 2 axes, (..., positions, features), got {array.shape}"
            )
    if query.shape[-1] != key.shape[-1]:
        raise ValueError(f"q and k must have the same d (last axis), got {query.shape} and {key.shape}")
    if key.shape[-2] != value.shape[-2]:
        raise ValueError(f"k and v must have the same S (positions), got {key.shape} and {value.shape}")
    if not isinstance(causal, (bool, np.bool_)):
        raise TypeError(f"causal must be a bool, got {type(causal).__name__}")
    rows = checks.one_of(masked_rows, "masked_rows", MASKED_ROW_CHOICES)
    factor = 1.0 / math.sqrt(query.shape[-1]) if scale is None else checks.positive(scale, "scale")
    try:
        scores = np.matmul(query, np.swapaxes(key, -1, -2)) * factor
    except ValueError:
        raise ValueError(f"the leading axes of q {query.shape} and k {key.shape} do not broadcast") from None
    attend = np.ones(scores.shape, dtype=bool)
    if mask is not None:
        attend = attend & _attend(mask, polarity, scores.shape)
    else:
        checks.one_of(polarity, "polarity", POLARITIES)
    if causal:
        attend = attend & causal_mask(scores.shape[-2], scores.shape[-1])
    empty = ~attend.any(axis=-1, keepdims=True)
    # Masked scores become -inf; a row with nothing left gets zeros instead, so that its softmax is uniform.
    weights = softmax(np.where(empty, 0.0, np.where(attend, scores, -np.inf)))
    if rows != "uniform":
        weights = np.where(empty, 0.0 if rows == "zeros" else np.nan, weights)
    output: np.ndarray = np.matmul(weights, value)
    return output, weights


def _keras_mha_weights(weights: Sequence[object]) -> tuple[list[np.ndarray], list[np.ndarray | None]]:
    """Kernels ``[query, key, value, output]`` and biases (or ``None``s) of a Keras MultiHeadAttention."""
    if not isinstance(weights, Sequence) or isinstance(weights, (str, bytes)):
        raise TypeError(
            f"weights must be a list of arrays (layer.get_weights()), got {type(weights).__name__}"
        )
    if len(weights) not in (4, 8):
        raise ValueError(
            "weights must be a Keras MultiHeadAttention's get_weights(): query, key, value and output "
            "kernels, each followed by its bias (8 arrays), or the 4 kernels of use_bias=False; got "
            f"{len(weights)} arrays"
        )
    arrays = [checks.array(w, "weights") for w in weights]
    if len(arrays) == 4:
        return arrays, [None] * 4
    return arrays[0::2], list(arrays[1::2])


def _check_mha(kernels: list[np.ndarray], biases: list[np.ndarray | None]) -> tuple[int, int, int]:
    """``(heads, d, out)`` of a Keras MultiHeadAttention's weights, checked to fit one another."""
    names = ("query", "key", "value")
    for name, kernel in zip(names, kernels[:3]):
        if kernel.ndim != 3:
            raise ValueError(f"the {name} kernel must have shape (in, heads, d), got {kernel.shape}")
    output = kernels[3]
    if output.ndim != 3:
        raise ValueError(f"the output kernel must have shape (heads, d, out), got {output.shape}")
    heads, d = kernels[0].shape[1:]
    if kernels[1].shape[1:] != (heads, d):
        raise ValueError(
            f"the query and key kernels must agree on (heads, d): {kernels[0].shape}, {kernels[1].shape}"
        )
    if kernels[2].shape[1] != heads:
        raise ValueError(f"the value kernel must have {heads} heads, got shape {kernels[2].shape}")
    if output.shape[:2] != kernels[2].shape[1:]:
        raise ValueError(
            f"the output kernel {output.shape} must start with the value kernel's (heads, d) "
            f"{kernels[2].shape[1:]}"
        )
    expected = [(heads, d), (heads, d), kernels[2].shape[1:], (output.shape[2],)]
    for name, bias, shape in zip((*names, "output"), biases, expected):
        if bias is not None and bias.shape != shape:
            raise ValueError(f"the {name} bias must have shape {shape}, got {bias.shape}")
    return int(heads), int(d), int(output.shape[2])


def multi_head_attention(
    query: object,
    value: object,
    key: object = None,
    *,
    weights: Sequence[object],
    heads: int,
    mask: object = None,
    polarity: Polarity = "attend",
    causal: bool = False,
    masked_rows: MaskedRows = "zeros",
) -> tuple[np.ndarray, np.ndarray]:
    """Keras' ``MultiHeadAttention(num_heads=heads, key_dim=d)`` in float64: the output ``(N, T, out)`` and
    the weights ``(N, heads, T, S)``, from the layer's own ``get_weights()``.

    ``query`` is ``(N, T, in)``, ``value`` ``(N, S, in_v)``, ``key`` ``(N, S, in_k)`` (default: ``value``);
    ``weights`` the query, key, value and output kernels ``(in, heads, d)``, ``(in_k, heads, d)``,
    ``(in_v, heads, dv)``, ``(heads, dv, out)``, each followed by its bias ``(heads, d)``/``(heads, dv)``/
    ``(out,)`` (or the four kernels alone, ``use_bias=False``). Each head attends with
    :func:`scaled_dot_product_attention` (``scale = 1/√d``); the heads' outputs, concatenated, are projected
    to ``out``. ``mask`` broadcasts to ``(N, T, S)`` (Keras' ``attention_mask``; a 4-D mask may give each
    head its own), read with ``polarity``; ``causal`` and ``masked_rows`` as there. Weights of an
    ``nn.MultiheadAttention`` come in through :data:`MULTI_HEAD_ATTENTION_RULE`. Introduced in chapter 5.

    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=(1, 3, 4))                         # N = 1, T = 3, 4 features
    >>> projections = [rng.normal(size=(4, 2, 2)), np.zeros((2, 2))] * 3      # query, key, value: in heads d
    >>> projections += [rng.normal(size=(2, 2, 4)), np.zeros(4)]             # output: heads d out
    >>> out, weights = multi_head_attention(x, x, weights=projections, heads=2, causal=True)
    >>> out.shape, weights.shape, weights[0, 0, 0].tolist()   # the first query sees only itself
    ((1, 3, 4), (1, 2, 3, 3), [1.0, 0.0, 0.0])

    Raises:
        TypeError: for arrays that are not numeric, a mask that is not boolean.
        ValueError: for weights that do not fit each other or the inputs, ``heads`` that disagree with them.
    """
    kernels, biases = _keras_mha_weights(weights)
    found_heads, d, _ = _check_mha(kernels, biases)
    if checks.integer(heads, "heads", minimum=1) != found_heads:
        raise ValueError(f"heads={heads}, but the kernels have {found_heads} heads")
    inputs = {}
    for name, x in (("query", query), ("value", value), ("key", value if key is None else key)):
        array = checks.array(x, name, ndim=3, shape=f"(N, {'T' if name == 'query' else 'S'}, in)")
        inputs[name] = array.astype(np.float64)
    projected = []
    for name, kernel, bias in zip(("query", "key", "value"), kernels, biases):
        x = inputs[name]
        if x.shape[-1] != kernel.shape[0]:
            raise ValueError(
                f"{name} has {x.shape[-1]} features, its kernel {kernel.shape} takes {kernel.shape[0]}"
            )
        h = np.einsum("nti,ihd->nhtd", x, kernel.astype(np.float64))  # (N, heads, positions, d)
        projected.append(h if bias is None else h + bias.astype(np.float64)[None, :, None, :])
    q, k, v = projected
    if v.shape[:3] != k.shape[:3]:
        raise ValueError(
            f"key and value must have the same N and S, got {inputs['key'].shape}, {inputs['value'].shape}"
        )
    head_mask = None
    if mask is not None:
        array = checks.array(mask, "mask")
        head_mask = array[:, None] if array.ndim == 3 else array  # (N, T, S) broadcast over the heads
    attended, attention = scaled_dot_product_attention(
        q,
        k,
        v,
        mask=head_mask,
        polarity=polarity,
        causal=causal,
        masked_rows=masked_rows,
        scale=1 / math.sqrt(d),
    )
    output = np.einsum("nhtd,hdo->nto", attended, kernels[3].astype(np.float64))
    if biases[3] is not None:
        output = output + biases[3].astype(np.float64)
    return output, attention


# ----------------------------------------------------------------------------------------------------------
# The weight rule of multi-head attention
# ----------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AttentionRule:
    """How Keras' ``MultiHeadAttention`` and PyTorch's ``nn.MultiheadAttention`` store the same projections.

    Keras keeps four ``EinsumDense`` layers: ``query``, ``key`` and ``value`` kernels ``(in, heads, d)`` with
    biases ``(heads, d)``, and an ``attention_output`` kernel ``(heads, d, out)`` with a bias ``(out,)``.
    PyTorch stacks the three input projections, each ``(out in)`` with the heads' rows one after the other,
    into ``in_proj_weight`` ``(3·heads·d, in)`` and ``in_proj_bias`` (query, key, value), or keeps them apart
    as ``q_proj_weight``, ``k_proj_weight``, ``v_proj_weight`` when keys or values have other sizes
    (``kdim``, ``vdim``); ``out_proj`` is an ``nn.Linear`` ``(out, heads·d)``. PyTorch's head size is
    ``embed_dim // num_heads`` and its values use the same size, so a Keras layer converts only with
    ``key_dim = embed_dim // num_heads``, ``value_dim = key_dim`` and output size ``embed_dim``.
    Introduced in chapter 5.

    >>> keras_weights = [np.ones((4, 2, 2)), np.zeros((2, 2))] * 3 + [np.ones((2, 2, 4)), np.zeros(4)]
    >>> torch_weights = MULTI_HEAD_ATTENTION_RULE.to_torch(keras_weights)
    >>> {name: array.shape for name, array in torch_weights.items()}
    {'in_proj_weight': (12, 4), 'in_proj_bias': (12,), 'out_proj.weight': (4, 4), 'out_proj.bias': (4,)}
    >>> back = MULTI_HEAD_ATTENTION_RULE.to_keras(torch_weights, heads=2)
    >>> all(bool((a == b).all()) for a, b in zip(back, keras_weights))
    True
    """

    keras_layer: str = "MultiHeadAttention"
    torch_module: str = "nn.MultiheadAttention"
    keras: str = "query/key/value in heads d, output heads d out"
    torch: str = "in_proj (3 heads d) in, out_proj out (heads d)"

    def to_torch(self, weights: Sequence[object], *, packed: bool = True) -> dict[str, np.ndarray]:
        """A Keras layer's ``get_weights()`` as ``nn.MultiheadAttention``'s parameters, by name.

        ``packed=True`` gives ``in_proj_weight`` (query, key and value of one size, ``kdim = vdim =
        embed_dim``); ``packed=False`` gives ``q_proj_weight``, ``k_proj_weight`` and ``v_proj_weight``.
        Without biases (``use_bias=False``) there is no ``in_proj_bias`` and no ``out_proj.bias``.

        Raises:
            TypeError: for arrays that are not numeric.
            ValueError: for weights that do not fit together, or a layer with no PyTorch counterpart
                (``value_dim != key_dim``, ``heads · key_dim`` or the output size not the query's size, keys
                or values of another size with ``packed=True``).
        """
        kernels, biases = _keras_mha_weights(weights)
        heads, d, out = _check_mha(kernels, biases)
        query_in, key_in, value_in = (int(kernel.shape[0]) for kernel in kernels[:3])
        if kernels[2].shape[2] != d:
            raise ValueError(
                f"the value kernel has value_dim={kernels[2].shape[2]}, the query kernel key_dim={d}: "
                "nn.MultiheadAttention has one head size for both; build the Keras layer with value_dim=None"
            )
        if heads * d != query_in or out != query_in:
            raise ValueError(
                f"a Keras MultiHeadAttention with num_heads={heads}, key_dim={d} and output size {out} over "
                f"{query_in} query features has no nn.MultiheadAttention counterpart: PyTorch's heads have "
                f"embed_dim // num_heads dimensions and its output embed_dim; use "
                f"key_dim={query_in // heads} and no output_shape"
            )
        if packed and (key_in != query_in or value_in != query_in):
            raise ValueError(
                f"keys ({key_in}) or values ({value_in}) have another size than the queries ({query_in}): "
                "PyTorch keeps separate q/k/v_proj_weight then (kdim, vdim); convert with packed=False"
            )
        rows = [rearrange(kernel, "in heads d", "(heads d) in", name=f"the {name} kernel").copy()
                for name, kernel in zip(("query", "key", "value"), kernels[:3])]  # fmt: skip
        parameters: dict[str, np.ndarray] = {}
        if packed:
            parameters["in_proj_weight"] = np.concatenate(rows, axis=0)
        else:
            parameters.update(zip(("q_proj_weight", "k_proj_weight", "v_proj_weight"), rows))
        if biases[0] is not None:
            parameters["in_proj_bias"] = np.concatenate([np.asarray(b).reshape(-1) for b in biases[:3]])
        parameters["out_proj.weight"] = rearrange(
            kernels[3], "heads d out", "out (heads d)", name="the output kernel"
        ).copy()
        if biases[3] is not None:
            parameters["out_proj.bias"] = np.asarray(biases[3]).copy()
        return parameters

    def to_keras(self, parameters: Mapping[str, object], *, heads: int) -> list[np.ndarray]:
        """``nn.MultiheadAttention``'s parameters, by name (``in_proj_weight`` or ``q/k/v_proj_weight``,
        ``in_proj_bias``, ``out_proj.weight``, ``out_proj.bias``), as the Keras layer's ``get_weights()``.

        ``heads`` is the module's ``num_heads``: the weights do not tell how their rows split into heads.

        Raises:
            TypeError: for arrays that are not numeric, ``heads`` not an integer.
            ValueError: for missing or extra parameters, shapes that do not fit, ``heads`` that does not
                divide ``embed_dim``, one bias without the other.
        """
        if not isinstance(parameters, Mapping):
            raise TypeError(
                f"parameters must be a mapping of names to arrays, got {type(parameters).__name__}"
            )
        h = checks.integer(heads, "heads", minimum=1)
        names = set(parameters)
        packed, separate = {"in_proj_weight"}, {"q_proj_weight", "k_proj_weight", "v_proj_weight"}
        known = packed | separate | {"in_proj_bias", "out_proj.weight", "out_proj.bias"}
        if names - known or "out_proj.weight" not in names or (packed <= names) == (separate <= names):
            raise ValueError(
                "parameters must be an nn.MultiheadAttention's: in_proj_weight (or q_proj_weight, "
                "k_proj_weight and v_proj_weight), out_proj.weight and, with biases, in_proj_bias and "
                f"out_proj.bias; got {sorted(names)}"
            )
        if ("in_proj_bias" in names) != ("out_proj.bias" in names):
            raise ValueError(
                "in_proj_bias and out_proj.bias come together: PyTorch has both (bias=True) or neither"
            )
        out_weight = checks.array(
            parameters["out_proj.weight"], "out_proj.weight", ndim=2, shape="(out, heads·d)"
        )
        embed = int(out_weight.shape[1])
        if embed % h:
            raise ValueError(f"heads={h} does not divide embed_dim={embed}")
        if "in_proj_weight" in names:
            stacked = checks.array(
                parameters["in_proj_weight"], "in_proj_weight", ndim=2, shape="(3·out, in)"
            )
            if stacked.shape[0] != 3 * embed:
                raise ValueError(f"in_proj_weight must have 3·{embed} rows, got shape {stacked.shape}")
            rows = list(np.split(stacked, 3, axis=0))
        else:
            separate_names = ("q_proj_weight", "k_proj_weight", "v_proj_weight")
            rows = [checks.array(parameters[n], n, ndim=2, shape="(out, in)") for n in separate_names]
        for name, row in zip(("query", "key", "value"), rows):
            if row.shape[0] != embed:
                raise ValueError(f"the {name} projection must have {embed} rows, got shape {row.shape}")
        sizes = {"heads": h}
        kernels = [rearrange(row, "(heads d) in", "in heads d", sizes=sizes, name=name).copy()
                   for name, row in zip(("query", "key", "value"), rows)]  # fmt: skip
        output = rearrange(
            out_weight, "out (heads d)", "heads d out", sizes=sizes, name="out_proj.weight"
        ).copy()
        if "in_proj_bias" not in names:
            return [*kernels, output]
        in_bias = checks.array(parameters["in_proj_bias"], "in_proj_bias", ndim=1, shape="(3·out,)")
        out_bias = checks.array(parameters["out_proj.bias"], "out_proj.bias", ndim=1, shape="(out,)")
        if in_bias.shape != (3 * embed,) or out_bias.shape != (out_weight.shape[0],):
            raise ValueError(
                f"in_proj_bias must have shape ({3 * embed},) and out_proj.bias ({out_weight.shape[0]},), "
                f"got {in_bias.shape} and {out_bias.shape}"
            )
        biases = [b.reshape(h, embed // h).copy() for b in np.split(in_bias, 3)]
        return [kernels[0], biases[0], kernels[1], biases[1], kernels[2], biases[2], output, out_bias.copy()]


MULTI_HEAD_ATTENTION_RULE = AttentionRule()
"""Keras ``MultiHeadAttention`` ⇄ ``nn.MultiheadAttention`` (see :class:`AttentionRule`).

Introduced in chapter 5.

>>> MULTI_HEAD_ATTENTION_RULE.torch
'in_proj (3 heads d) in, out_proj out (heads d)'
"""


# ----------------------------------------------------------------------------------------------------------
# Positional encodings and layer normalisation
# ----------------------------------------------------------------------------------------------------------


def sinusoidal_encoding(
    length: int,
    dim: int,
    *,
    layout: Literal["interleaved", "concatenated"] = "interleaved",
    base: float = 10000.0,
) -> np.ndarray:
    """The Transformer's fixed positional encoding, float64 ``(length, dim)``, one row per position.

    With the frequencies ``ω_i = 1 / base^(2i/dim)``, ``i = 0 … dim/2 - 1``, the paper's encoding is
    ``PE[pos, 2i] = sin(pos ω_i)``, ``PE[pos, 2i+1] = cos(pos ω_i)`` (``"interleaved"``); TensorFlow's
    Transformer tutorial puts all sines first, then all cosines (``"concatenated"``), the same columns in
    another order (:func:`encoding_permutation`), which a layer after it learns around but a parity test must
    not mix up. ``dim`` must be even: with an odd ``dim`` the usual ``pe[:, 1::2] = cos(...)`` has one column
    fewer than the sines and fails (pyaptamer#607). Introduced in chapter 5.

    >>> pe = sinusoidal_encoding(3, 4)
    >>> pe.round(3)
    array([[ 0.   ,  1.   ,  0.   ,  1.   ],
           [ 0.841,  0.54 ,  0.01 ,  1.   ],
           [ 0.909, -0.416,  0.02 ,  1.   ]])
    >>> bool((sinusoidal_encoding(3, 4, layout="concatenated") == pe[:, encoding_permutation(4)]).all())
    True

    Raises:
        TypeError, ValueError: for sizes that are not positive integers, an odd ``dim``, an unknown layout, a
            ``base`` that is not a number greater than 1.
    """
    positions = checks.integer(length, "length", minimum=1)
    size = checks.integer(dim, "dim", minimum=2)
    order = checks.one_of(layout, "layout", ("interleaved", "concatenated"))
    scale = checks.number(base, "base", low=1.0, low_inclusive=False)
    if size % 2:
        raise ValueError(
            f"dim must be even: sines and cosines come in pairs, one pair per frequency, got dim={size} "
            "(an odd dim leaves pe[:, 1::2] one column short of the sines)"
        )
    frequencies = scale ** (-np.arange(0, size, 2, dtype=np.float64) / size)  # (dim/2,)
    angles = np.arange(positions, dtype=np.float64)[:, None] * frequencies[None, :]
    if order == "concatenated":
        return np.concatenate([np.sin(angles), np.cos(angles)], axis=1)
    encoding = np.empty((positions, size))
    encoding[:, 0::2], encoding[:, 1::2] = np.sin(angles), np.cos(angles)
    return encoding


def encoding_permutation(dim: int) -> np.ndarray:
    """The interleaved encoding's columns in the concatenated order: ``concatenated = interleaved[:, perm]``.

    ``perm = [0, 2, 4, …, 1, 3, 5, …]``: the sines, then the cosines. ``np.argsort(perm)`` goes back.
    Introduced in chapter 5.

    >>> encoding_permutation(6)
    array([0, 2, 4, 1, 3, 5])

    Raises:
        TypeError, ValueError: for a ``dim`` that is not a positive even integer.
    """
    size = checks.integer(dim, "dim", minimum=2)
    if size % 2:
        raise ValueError(f"dim must be even (sines and cosines come in pairs), got dim={size}")
    return np.concatenate([np.arange(0, size, 2), np.arange(1, size, 2)])


def layer_norm(x: object, gamma: object, beta: object, eps: float) -> np.ndarray:
    """Layer normalisation over the last axis in float64: ``(x - mean) / √(var + eps) · gamma + beta``.

    ``var`` is the biased variance (divided by the number of features), in both frameworks; ``gamma`` and
    ``beta`` ``(features,)`` may be ``None`` (1 and 0). ``eps`` has no default here, because the frameworks'
    differ (:data:`KERAS_LAYER_NORM_EPSILON`, :data:`TORCH_LAYER_NORM_EPSILON`), which shows when a position's
    variance is small. Introduced in chapter 5.

    >>> x = np.array([[1.0, 2.0, 3.0, 4.0]])
    >>> layer_norm(x, None, None, 1e-5).round(4)
    array([[-1.3416, -0.4472,  0.4472,  1.3416]])
    >>> small = x * 0.01                                   # variance 1.25e-4: epsilon is no longer small
    >>> layer_norm(small, None, None, KERAS_LAYER_NORM_EPSILON).round(4)
    array([[-0.4472, -0.1491,  0.1491,  0.4472]])
    >>> layer_norm(small, None, None, TORCH_LAYER_NORM_EPSILON).round(4)
    array([[-1.291 , -0.4303,  0.4303,  1.291 ]])

    Raises:
        TypeError: for arrays that are not numeric, an ``eps`` that is not a number.
        ValueError: for a non-positive ``eps``, ``gamma``/``beta`` of another size than the last axis.
    """
    array = checks.array(x, "x").astype(np.float64)
    if array.ndim < 1:
        raise ValueError("x must have a features axis (the last)")
    epsilon = checks.positive(eps, "eps")
    mean = array.mean(axis=-1, keepdims=True)
    variance = ((array - mean) ** 2).mean(axis=-1, keepdims=True)
    normalised: np.ndarray = (array - mean) / np.sqrt(variance + epsilon)
    for name, vector in (("gamma", gamma), ("beta", beta)):
        if vector is None:
            continue
        values = checks.array(vector, name).astype(np.float64)
        if values.shape != (array.shape[-1],):
            raise ValueError(
                f"{name} must have shape ({array.shape[-1]},), one value per feature, got {values.shape}"
            )
        normalised = normalised * values if name == "gamma" else normalised + values
    return normalised


# ----------------------------------------------------------------------------------------------------------
# Measuring the frameworks
# ----------------------------------------------------------------------------------------------------------


def _classify(found: np.ndarray, references: Mapping[MaskedRows, np.ndarray]) -> str:
    """Which reference ``found`` matches: example 0 (keys left) always, example 1 (none left) by setting."""
    if not np.allclose(found[0], references["zeros"][0], atol=1e-5):
        return "other"  # even the rows with keys to attend to disagree: another mask, another polarity
    for setting in MASKED_ROW_CHOICES:
        if np.allclose(found[1], references[setting][1], atol=1e-5, equal_nan=True):
            return setting
    return "other"


def measure_masked_rows() -> dict[str, str]:
    """Run each API of :data:`MASKED_ROWS` on a batch whose second example is all padding; name what it gives.

    The first example has its last key masked, the second all its keys, so each of its queries is a fully
    masked row. Each API's output is compared with :func:`scaled_dot_product_attention` (or, for the layers,
    :func:`multi_head_attention` with the same weights) under each ``masked_rows`` setting; where even the
    first example disagrees, the answer is ``"other"``. Runs on the CPU, with whatever Keras backend is
    configured (the book's: TensorFlow), and imports Keras and PyTorch. Introduced in chapter 5.

    >>> measured = measure_masked_rows()
    >>> measured["nn.MultiheadAttention, need_weights=True"], measured == MASKED_ROWS
    ('nan', True)
    """
    import keras
    import torch
    import torch.nn.functional as F

    rng = np.random.default_rng(0)
    n, t, heads, d = 2, 3, 2, 2
    blocked = np.zeros((n, t), dtype=bool)  # key padding, True = ignore
    blocked[0, -1] = True
    blocked[1, :] = True
    attend = ~blocked[:, None, None, :]  # (N, 1, 1, S): the same for every head and query
    results: dict[str, str] = {}

    # The two functions, on (N, T, heads, d) inputs (Keras) and (N, heads, T, d) inputs (PyTorch).
    q, k, v = (rng.normal(size=(n, heads, t, d)) for _ in range(3))
    references = {
        s: scaled_dot_product_attention(q, k, v, mask=attend, masked_rows=s)[0] for s in MASKED_ROW_CHOICES
    }
    keras_layout = [np.ascontiguousarray(a.transpose(0, 2, 1, 3)).astype(np.float32) for a in (q, k, v)]
    out = np.asarray(keras.ops.dot_product_attention(*keras_layout, mask=attend)).transpose(0, 2, 1, 3)
    results["keras.ops.dot_product_attention"] = _classify(out, references)
    tensors = [torch.from_numpy(a.astype(np.float32)) for a in (q, k, v)]
    out = F.scaled_dot_product_attention(
        tensors[0], tensors[1], tensors[2], attn_mask=torch.from_numpy(attend)
    ).numpy()
    results["torch.nn.functional.scaled_dot_product_attention"] = _classify(out, references)

    # The two layers, with the same weights, on (N, T, heads·d) inputs.
    x = rng.normal(size=(n, t, heads * d)).astype(np.float32)
    layer = keras.layers.MultiHeadAttention(num_heads=heads, key_dim=d)
    layer(x, x)
    layer.set_weights([rng.normal(scale=0.5, size=w.shape).astype(np.float32) for w in layer.get_weights()])
    weights = layer.get_weights()
    references = {
        s: multi_head_attention(x, x, weights=weights, heads=heads, mask=attend[:, 0], masked_rows=s)[0]
        for s in MASKED_ROW_CHOICES
    }
    keras_mask = np.broadcast_to(~blocked[:, None, :], (n, t, t))  # (N, T, S), True = attend
    results["keras.layers.MultiHeadAttention"] = _classify(
        np.asarray(layer(x, x, attention_mask=keras_mask)), references
    )
    scored, _ = layer(x, x, attention_mask=keras_mask, return_attention_scores=True)
    results["keras.layers.MultiHeadAttention, return_attention_scores=True"] = _classify(
        np.asarray(scored), references
    )
    module = torch.nn.MultiheadAttention(heads * d, heads, batch_first=True)
    with torch.no_grad():
        for name, array in MULTI_HEAD_ATTENTION_RULE.to_torch(weights).items():
            module.get_parameter(name).copy_(torch.from_numpy(array))
    tx, padding = torch.from_numpy(x), torch.from_numpy(blocked)
    for mode in ("", ", eval and no_grad"):
        module.train(mode == "")
        with torch.set_grad_enabled(mode == ""):
            for need_weights in (True, False):
                found, _ = module(tx, tx, tx, key_padding_mask=padding, need_weights=need_weights)
                key = f"nn.MultiheadAttention, need_weights={need_weights}{mode}"
                results[key] = _classify(found.detach().numpy(), references)
    return {key: results[key] for key in MASKED_ROWS}
