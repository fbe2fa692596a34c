"""Tests for twice.attention: the NumPy references against their formulas and against the four framework
APIs (keras.layers.MultiHeadAttention, keras.ops.dot_product_attention, torch's scaled_dot_product_attention
and nn.MultiheadAttention), masks of both polarities, causal masks with T != S, what each API does with fully
masked and padded rows, positional encodings, layer normalisation and the attention weight rule."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

from twice import attention
from twice.attention import (
    KERAS_LAYER_NORM_EPSILON,
    MASKED_ROWS,
    MULTI_HEAD_ATTENTION_RULE,
    TORCH_LAYER_NORM_EPSILON,
    causal_mask,
    encoding_permutation,
    layer_norm,
    multi_head_attention,
    padding_mask,
    scaled_dot_product_attention,
    sinusoidal_encoding,
    softmax,
)

ATOL = 1e-5
# Arguments the annotations forbid, typed Any: the point is to pass them anyway.
UNKNOWN: Any = "nope"  # an option no helper knows
FOUR: Any = 4.0  # a size that is no integer


def _rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def _normal(rng: np.random.Generator, *shape: int, scale: float = 1.0) -> np.ndarray:
    return (scale * rng.standard_normal(shape)).astype(np.float32)


# --- softmax and masks --------------------------------------------------------------------------------------


def test_softmax_is_stable_and_gives_masked_entries_zero() -> None:
    x = np.array([[1000.0, 1001.0, -np.inf], [0.0, 0.0, 0.0]])
    expected = np.array([[1 / (1 + math.e), math.e / (1 + math.e), 0.0], [1 / 3, 1 / 3, 1 / 3]])
    np.testing.assert_allclose(softmax(x), expected)
    np.testing.assert_allclose(softmax(x.T, axis=0), expected.T)
    assert np.isnan(softmax(np.array([-np.inf, -np.inf]))).all()  # 0/0: the frameworks choose for it


@pytest.mark.parametrize(("t", "s"), [(3, 5), (5, 3), (4, 4), (1, 6)])
def test_causal_masks_top_left_and_bottom_right(t: int, s: int) -> None:
    top_left = causal_mask(t, s)
    assert top_left.shape == (t, s) and top_left.dtype == np.bool_
    np.testing.assert_array_equal(top_left, np.tril(np.ones((t, s), bool)))  # torch's tril(diagonal=0)
    bottom_right = causal_mask(t, s, align="bottom-right")
    np.testing.assert_array_equal(bottom_right, np.tril(np.ones((t, s), bool), k=s - t))
    assert bottom_right[-1].all()  # the last query sees every key
    assert (t == s) == bool((top_left == bottom_right).all())


def test_padding_masks_in_both_polarities() -> None:
    attend = padding_mask(np.array([2, 0, 3]), 3)
    np.testing.assert_array_equal(attend, [[True, True, False], [False, False, False], [True, True, True]])
    np.testing.assert_array_equal(padding_mask([2, 0, 3], 3, polarity="block"), ~attend)


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: causal_mask(0, 3), ValueError, r"^queries must be a positive integer, got 0$"),
        (lambda: causal_mask(2, 3, align=UNKNOWN), ValueError, r"^unknown align 'nope'"),
        (lambda: padding_mask([4], 3), ValueError, r"^lengths must lie in \[0, 3\], got values 4\.\.4$"),
        (lambda: padding_mask([1.5], 3), TypeError, r"^lengths must be integers, got dtype float64$"),
        (lambda: padding_mask([1], 3, polarity=UNKNOWN), ValueError, r"^unknown polarity 'nope'"),
        (lambda: softmax(np.zeros(3), axis=1), ValueError, r"^axis must be an integer <= 0, got 1$"),
    ],
)
def test_mask_helpers_refuse_bad_arguments(call: Any, error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        call()


# --- scaled dot-product attention: the reference itself -----------------------------------------------------


def test_attention_is_the_softmax_of_scaled_scores_times_the_values() -> None:
    rng = _rng(1)
    q, k, v = rng.normal(size=(2, 3, 4)), rng.normal(size=(2, 5, 4)), rng.normal(size=(2, 5, 6))
    out, weights = scaled_dot_product_attention(q, k, v)
    scores = np.einsum("ntd,nsd->nts", q, k) / 2.0  # √d = 2
    expected = np.exp(scores) / np.exp(scores).sum(-1, keepdims=True)
    np.testing.assert_allclose(weights, expected)
    np.testing.assert_allclose(out, expected @ v)
    out_scaled, _ = scaled_dot_product_attention(q, k, v, scale=1.0)
    assert not np.allclose(out_scaled, out)


def test_the_two_polarities_of_one_mask_give_the_same_attention() -> None:
    rng = _rng(2)
    q, k, v = rng.normal(size=(3, 4, 2)), rng.normal(size=(3, 6, 2)), rng.normal(size=(3, 6, 2))
    attend = rng.uniform(size=(3, 4, 6)) < 0.6
    attend[:, :, 0] = True  # every query keeps a key
    out, weights = scaled_dot_product_attention(q, k, v, mask=attend)
    out_blocked, weights_blocked = scaled_dot_product_attention(q, k, v, mask=~attend, polarity="block")
    np.testing.assert_array_equal(weights, weights_blocked)
    np.testing.assert_array_equal(out, out_blocked)
    assert (weights[~attend] == 0).all()
    np.testing.assert_allclose(weights.sum(-1), 1.0)
    wrong, _ = scaled_dot_product_attention(q, k, v, mask=attend, polarity="block")  # runs, and is wrong
    assert not np.allclose(wrong, out)


@pytest.mark.parametrize(("rows", "expected_weight"), [("zeros", 0.0), ("uniform", 1 / 4), ("nan", np.nan)])
def test_a_fully_masked_row_gets_what_masked_rows_says(rows: Any, expected_weight: float) -> None:
    rng = _rng(3)
    q, k, v = rng.normal(size=(2, 3)), rng.normal(size=(4, 3)), rng.normal(size=(4, 2))
    mask = np.array([[True, False, True, True], [False, False, False, False]])
    out, weights = scaled_dot_product_attention(q, k, v, mask=mask, masked_rows=rows)
    np.testing.assert_allclose(weights[1], np.full(4, expected_weight))
    expected_out = {"zeros": np.zeros(2), "uniform": v.mean(axis=0), "nan": np.full(2, np.nan)}[rows]
    np.testing.assert_allclose(out[1], expected_out)
    reference, _ = scaled_dot_product_attention(q[:1], k, v, mask=mask[:1])
    np.testing.assert_allclose(out[:1], reference)  # the other row is untouched by the choice


def test_causal_attention_with_fewer_or_more_queries_than_keys() -> None:
    rng = _rng(4)
    for t, s in ((3, 5), (5, 3)):
        q, k, v = rng.normal(size=(t, 2)), rng.normal(size=(s, 2)), rng.normal(size=(s, 2))
        _, weights = scaled_dot_product_attention(q, k, v, causal=True)
        assert (weights[~causal_mask(t, s)] == 0).all()
        out, _ = scaled_dot_product_attention(q, k, v, mask=causal_mask(t, s))
        np.testing.assert_allclose(scaled_dot_product_attention(q, k, v, causal=True)[0], out)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        (
            {"mask": np.ones((2, 4))},
            TypeError,
            r"^mask must be booleans \(True = take part\), got dtype float64",
        ),
        ({"mask": np.ones((3, 4), bool)}, ValueError, r"^mask of shape \(3, 4\) does not broadcast"),
        ({"polarity": "keep"}, ValueError, r"^unknown polarity 'keep'"),
        ({"masked_rows": "zero"}, ValueError, r"^unknown masked_rows 'zero'"),
        ({"causal": 1}, TypeError, r"^causal must be a bool, got int$"),
        ({"k": np.zeros((4, 2))}, ValueError, r"^q and k must have the same d"),
        ({"v": np.zeros((3, 2))}, ValueError, r"^k and v must have the same S"),
        ({"q": np.zeros(3)}, ValueError, r"^q must have at least 2 axes"),
    ],
)
def test_attention_refuses_bad_arguments(kwargs: dict[str, Any], error: type[Exception], match: str) -> None:
    arrays = {"q": np.zeros((2, 3)), "k": np.zeros((4, 3)), "v": np.zeros((4, 2))}
    arrays.update({name: kwargs.pop(name) for name in ("q", "k", "v") if name in kwargs})
    with pytest.raises(error, match=match):
        scaled_dot_product_attention(arrays["q"], arrays["k"], arrays["v"], **kwargs)


# --- the reference against the four framework APIs ----------------------------------------------------------


def _padded(rng: np.random.Generator, n: int, s: int) -> np.ndarray:
    """A key padding mask (N, S), True = real, every sequence of a different length, none empty."""
    return padding_mask(rng.permutation(np.arange(1, s + 1))[:n], s)


def test_the_reference_matches_keras_dot_product_attention_and_torch_sdpa(keras: Any, torch: Any) -> None:
    rng = _rng(5)
    n, heads, t, s, d = 3, 2, 4, 6, 3
    q, k, v = (_normal(rng, n, heads, length, d) for length in (t, s, s))  # (N, heads, positions, d)
    attend = _padded(rng, n, s)[:, None, None, :] & (rng.uniform(size=(1, heads, t, s)) < 0.8)
    attend[..., 0] = True
    expected, _ = scaled_dot_product_attention(q, k, v, mask=attend)
    keras_layout = [np.ascontiguousarray(a.transpose(0, 2, 1, 3)) for a in (q, k, v)]  # (N, T, heads, d)
    found = np.asarray(keras.ops.dot_product_attention(*keras_layout, mask=attend)).transpose(0, 2, 1, 3)
    np.testing.assert_allclose(found, expected, atol=ATOL)
    tq, tk, tv = (torch.from_numpy(a) for a in (q, k, v))
    found = torch.nn.functional.scaled_dot_product_attention(tq, tk, tv, attn_mask=torch.from_numpy(attend))
    np.testing.assert_allclose(found.numpy(), expected, atol=ATOL)
    # SDPA's bool mask is "attend", like Keras: the mask of nn.MultiheadAttention's polarity is wrong here.
    wrong = torch.nn.functional.scaled_dot_product_attention(tq, tk, tv, attn_mask=torch.from_numpy(~attend))
    blocked, _ = scaled_dot_product_attention(q, k, v, mask=~attend)
    np.testing.assert_allclose(wrong.numpy(), blocked, atol=ATOL)


@pytest.mark.parametrize(("t", "s"), [(3, 5), (5, 3)])
def test_every_api_aligns_a_causal_mask_top_left(keras: Any, torch: Any, t: int, s: int) -> None:
    rng = _rng(6)
    q, k, v = _normal(rng, 1, 2, t, 4), _normal(rng, 1, 2, s, 4), _normal(rng, 1, 2, s, 4)
    expected, _ = scaled_dot_product_attention(q, k, v, causal=True)
    tensors = [torch.from_numpy(a) for a in (q, k, v)]
    found = torch.nn.functional.scaled_dot_product_attention(*tensors, is_causal=True).numpy()
    np.testing.assert_allclose(found, expected, atol=ATOL)
    keras_layout = [np.ascontiguousarray(a.transpose(0, 2, 1, 3)) for a in (q, k, v)]
    found = np.asarray(keras.ops.dot_product_attention(*keras_layout, is_causal=True)).transpose(0, 2, 1, 3)
    np.testing.assert_allclose(found, expected, atol=ATOL)
    layer = keras.layers.MultiHeadAttention(num_heads=2, key_dim=2)
    x, y = _normal(rng, 2, t, 4), _normal(rng, 2, s, 4)
    for scores in (False, True):  # the fused path and the layer's own
        out = layer(x, y, use_causal_mask=True, return_attention_scores=scores)
        out = np.asarray(out[0] if scores else out)
        reference, _ = multi_head_attention(x, y, weights=layer.get_weights(), heads=2, causal=True)
        np.testing.assert_allclose(out, reference, atol=ATOL)
    bottom_right, _ = scaled_dot_product_attention(q, k, v, mask=causal_mask(t, s, align="bottom-right"))
    assert not np.allclose(bottom_right, expected)


def _keras_mha(
    keras: Any, rng: np.random.Generator, heads: int, key_dim: int, shapes: Any, **kwargs: Any
) -> Any:
    layer = keras.layers.MultiHeadAttention(num_heads=heads, key_dim=key_dim, **kwargs)
    layer.build(*shapes)
    layer.set_weights([_normal(rng, *w.shape, scale=0.5) for w in layer.get_weights()])
    return layer


def _torch_mha(torch: Any, keras_weights: list[np.ndarray], heads: int, **kwargs: Any) -> Any:
    parameters = MULTI_HEAD_ATTENTION_RULE.to_torch(keras_weights, packed="kdim" not in kwargs)
    embed = parameters["out_proj.weight"].shape[0]
    module = torch.nn.MultiheadAttention(embed, heads, **kwargs)
    with torch.no_grad():
        for name, array in parameters.items():
            module.get_parameter(name).copy_(torch.from_numpy(array))
    return module


def test_the_reference_is_keras_multi_head_attention_with_a_mask_and_separate_keys(keras: Any) -> None:
    rng = _rng(7)
    n, t, s = 3, 4, 5
    layer = _keras_mha(keras, rng, 2, 3, [(None, t, 6), (None, s, 5), (None, s, 7)])
    query, value, key = _normal(rng, n, t, 6), _normal(rng, n, s, 5), _normal(rng, n, s, 7)
    attend = _padded(rng, n, s)[:, None, :] & np.ones((1, t, 1), bool)
    out, scores = layer(query, value, key, attention_mask=attend, return_attention_scores=True)
    expected, weights = multi_head_attention(
        query, value, key, weights=layer.get_weights(), heads=2, mask=attend
    )
    np.testing.assert_allclose(np.asarray(out), expected, atol=ATOL)
    np.testing.assert_allclose(np.asarray(scores), weights, atol=ATOL)
    fused = layer(query, value, key, attention_mask=attend)  # no row is fully masked: the same output
    np.testing.assert_allclose(np.asarray(fused), expected, atol=ATOL)


@pytest.mark.parametrize("batch_first", [True, False])
def test_the_reference_is_torch_multi_head_attention_after_conversion(
    keras: Any, torch: Any, batch_first: bool
) -> None:
    rng = _rng(8)
    n, t, s, dim, heads = 3, 4, 6, 8, 2
    layer = _keras_mha(keras, rng, heads, dim // heads, [(None, t, dim), (None, s, dim)])
    module = _torch_mha(torch, layer.get_weights(), heads, batch_first=batch_first)
    query, value = _normal(rng, n, t, dim), _normal(rng, n, s, dim)
    real = _padded(rng, n, s)
    expected, weights = multi_head_attention(
        query, value, weights=layer.get_weights(), heads=heads, mask=real[:, None]
    )
    tq, tv = torch.from_numpy(query), torch.from_numpy(value)
    if not batch_first:  # (T, N, E): the layout the weights do not care about
        tq, tv = tq.transpose(0, 1), tv.transpose(0, 1)
    out, found = module(tq, tv, tv, key_padding_mask=torch.from_numpy(~real), average_attn_weights=False)
    out = out.detach().numpy()
    np.testing.assert_allclose(out if batch_first else out.transpose(1, 0, 2), expected, atol=ATOL)
    np.testing.assert_allclose(found.detach().numpy(), weights, atol=ATOL)
    # attn_mask has the same polarity, True = ignore, per query and key.
    blocked = rng.uniform(size=(t, s)) < 0.3
    blocked[:, 0] = False
    out, _ = module(tq, tv, tv, attn_mask=torch.from_numpy(blocked))
    expected, _ = multi_head_attention(
        query, value, weights=layer.get_weights(), heads=heads, mask=blocked, polarity="block"
    )
    out = out.detach().numpy()
    np.testing.assert_allclose(out if batch_first else out.transpose(1, 0, 2), expected, atol=ATOL)


# --- what the APIs do with fully masked rows, padded queries, and a mask of the wrong polarity ------------


def test_each_api_still_treats_fully_masked_rows_as_documented(keras: Any, torch: Any) -> None:
    assert keras.backend.backend() == "tensorflow"  # MASKED_ROWS was measured on the book's backend
    assert attention.measure_masked_rows() == MASKED_ROWS


def test_keras_masks_padded_queries_and_torch_does_not(keras: Any, torch: Any) -> None:
    rng = _rng(9)
    n, t, dim, heads = 3, 5, 4, 2
    real = padding_mask([5, 3, 1], t)
    layer = _keras_mha(keras, rng, heads, dim // heads, [(None, t, dim), (None, t, dim)])
    weights = layer.get_weights()
    x = _normal(rng, n, t, dim)
    x[~real] = 0.0
    # A Keras mask on the inputs (here from Masking; Embedding(mask_zero=True) sets one too) masks queries and
    # keys: padded query rows are fully masked, and the fused path makes them uniform.
    masked = keras.layers.Masking(0.0)(x)
    out = np.asarray(layer(masked, masked))
    both = real[:, :, None] & real[:, None, :]
    expected, _ = multi_head_attention(x, x, weights=weights, heads=heads, mask=both, masked_rows="uniform")
    np.testing.assert_allclose(out, expected, atol=ATOL)
    # key_padding_mask masks keys only: padded queries attend to the real keys, as any query does.
    module = _torch_mha(torch, weights, heads, batch_first=True)
    tx = torch.from_numpy(x)
    out, _ = module(tx, tx, tx, key_padding_mask=torch.from_numpy(~real))
    keys_only, _ = multi_head_attention(x, x, weights=weights, heads=heads, mask=real[:, None])
    np.testing.assert_allclose(out.detach().numpy(), keys_only, atol=ATOL)
    np.testing.assert_allclose(expected[real], keys_only[real], atol=ATOL)  # the real positions agree
    assert not np.allclose(expected[~real], keys_only[~real], atol=1e-3)  # the padded ones do not


def test_a_mask_of_the_wrong_polarity_runs_and_attends_to_the_padding(keras: Any, torch: Any) -> None:
    rng = _rng(10)
    n, t, dim, heads = 3, 5, 4, 2
    real = padding_mask([5, 3, 1], t)  # the first sequence has no padding
    layer = _keras_mha(keras, rng, heads, dim // heads, [(None, t, dim), (None, t, dim)])
    weights = layer.get_weights()
    x = _normal(rng, n, t, dim)
    module = _torch_mha(torch, weights, heads, batch_first=True)
    tx = torch.from_numpy(x)
    # Keras' polarity (True = real) given to key_padding_mask: torch ignores the real tokens instead.
    out, _ = module(tx, tx, tx, key_padding_mask=torch.from_numpy(real))
    expected, _ = multi_head_attention(
        x, x, weights=weights, heads=heads, mask=real[:, None], polarity="block", masked_rows="nan"
    )
    np.testing.assert_allclose(out.detach().numpy(), expected, atol=ATOL)
    assert np.isnan(out.detach().numpy()[0]).all()  # a sequence without padding has nothing left: NaN
    # And torch's polarity (True = padding) given to Keras: it attends to the padding only.
    wrong = np.broadcast_to(~real[:, None, :], (n, t, t))
    out = np.asarray(layer(x, x, attention_mask=wrong))
    expected, _ = multi_head_attention(x, x, weights=weights, heads=heads, mask=wrong, masked_rows="uniform")
    np.testing.assert_allclose(out, expected, atol=ATOL)


# --- positional encodings and layer normalisation -----------------------------------------------------------


def test_the_sinusoidal_encoding_is_the_papers_formula() -> None:
    pe = sinusoidal_encoding(50, 16)
    positions, i = np.arange(50)[:, None], np.arange(8)[None, :]
    angles = positions / 10000 ** (2 * i / 16)
    np.testing.assert_allclose(pe[:, 0::2], np.sin(angles))
    np.testing.assert_allclose(pe[:, 1::2], np.cos(angles))
    np.testing.assert_allclose(
        sinusoidal_encoding(50, 16, base=100.0)[:, 2], np.sin(positions[:, 0] / 100 ** (2 / 16))
    )


@pytest.mark.parametrize("dim", [2, 6, 16])
def test_the_concatenated_layout_is_the_interleaved_one_permuted(dim: int) -> None:
    interleaved = sinusoidal_encoding(10, dim)
    concatenated = sinusoidal_encoding(10, dim, layout="concatenated")
    perm = encoding_permutation(dim)
    np.testing.assert_array_equal(concatenated, interleaved[:, perm])
    np.testing.assert_array_equal(concatenated[:, np.argsort(perm)], interleaved)
    assert sorted(perm.tolist()) == list(range(dim))
    np.testing.assert_allclose(concatenated[:, dim // 2 :] ** 2 + concatenated[:, : dim // 2] ** 2, 1.0)
    if dim > 2:
        assert not np.allclose(concatenated, interleaved)


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (
            lambda: sinusoidal_encoding(4, 5),
            ValueError,
            r"^dim must be even: sines and cosines come in pairs",
        ),
        (lambda: encoding_permutation(7), ValueError, r"^dim must be even"),
        (lambda: sinusoidal_encoding(4, 4, layout=UNKNOWN), ValueError, r"^unknown layout 'nope'"),
        (lambda: sinusoidal_encoding(4, 4, base=1.0), ValueError, r"^base must lie in \(1, inf\)"),
        (
            lambda: sinusoidal_encoding(FOUR, 4),
            TypeError,
            r"^length must be an integer, got float 4\.0$",
        ),
        (
            lambda: layer_norm(np.zeros((2, 3)), np.ones(4), None, 1e-5),
            ValueError,
            r"^gamma must have shape \(3,\)",
        ),
        (
            lambda: layer_norm(np.zeros((2, 3)), None, None, 0.0),
            ValueError,
            r"^eps must be positive, got 0\.0$",
        ),
    ],
)
def test_encodings_and_layer_norm_refuse_bad_arguments(call: Any, error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        call()


def test_the_epsilon_constants_are_the_frameworks_defaults(keras: Any, torch: Any) -> None:
    assert keras.layers.LayerNormalization().epsilon == KERAS_LAYER_NORM_EPSILON == 1e-3
    assert torch.nn.LayerNorm(4).eps == TORCH_LAYER_NORM_EPSILON == 1e-5
    layer = torch.nn.TransformerEncoderLayer(4, 2)
    assert layer.norm1.eps == layer.norm2.eps == TORCH_LAYER_NORM_EPSILON


def test_layer_norm_matches_both_frameworks_with_their_own_epsilon(keras: Any, torch: Any) -> None:
    rng = _rng(11)
    x = _normal(rng, 4, 3, 6, scale=0.02)  # small variance: the epsilons differ visibly
    gamma, beta = _normal(rng, 6), _normal(rng, 6)
    layer = keras.layers.LayerNormalization()
    layer.build(x.shape)
    layer.set_weights([gamma, beta])
    keras_expected = layer_norm(x, gamma, beta, KERAS_LAYER_NORM_EPSILON)
    np.testing.assert_allclose(np.asarray(layer(x)), keras_expected, atol=ATOL)
    module = torch.nn.LayerNorm(6)
    with torch.no_grad():
        module.weight.copy_(torch.from_numpy(gamma))
        module.bias.copy_(torch.from_numpy(beta))
    torch_expected = layer_norm(x, gamma, beta, TORCH_LAYER_NORM_EPSILON)
    np.testing.assert_allclose(module(torch.from_numpy(x)).detach().numpy(), torch_expected, atol=ATOL)
    assert np.abs(keras_expected - torch_expected).max() > 0.1  # the same weights, another function


# --- the weight rule of multi-head attention ----------------------------------------------------------------


def _keras_mha_arrays(
    rng: np.random.Generator, dims: tuple[int, int, int], heads: int, d: int, bias: bool = True
) -> list[np.ndarray]:
    query_in, key_in, value_in = dims
    kernels = [rng.normal(size=(n, heads, d)) for n in (query_in, key_in, value_in)] + [
        rng.normal(size=(heads, d, query_in))
    ]
    if not bias:
        return kernels
    biases = [rng.normal(size=(heads, d)) for _ in range(3)] + [rng.normal(size=query_in)]
    return [array for pair in zip(kernels, biases) for array in pair]


@pytest.mark.parametrize(("dims", "packed"), [((6, 6, 6), True), ((6, 4, 5), False), ((6, 6, 6), False)])
@pytest.mark.parametrize("bias", [True, False])
def test_the_attention_rule_round_trips_exactly(dims: tuple[int, int, int], packed: bool, bias: bool) -> None:
    weights = _keras_mha_arrays(_rng(12), dims, heads=2, d=3, bias=bias)
    parameters = MULTI_HEAD_ATTENTION_RULE.to_torch(weights, packed=packed)
    expected = {"in_proj_weight"} if packed else {"q_proj_weight", "k_proj_weight", "v_proj_weight"}
    expected |= {"out_proj.weight"} | ({"in_proj_bias", "out_proj.bias"} if bias else set())
    assert set(parameters) == expected
    back = MULTI_HEAD_ATTENTION_RULE.to_keras(parameters, heads=2)
    assert len(back) == len(weights)
    for original, returned in zip(weights, back, strict=True):
        np.testing.assert_array_equal(returned, original)
    # The query's rows of head 1 are the kernel's [:, 1, :], transposed: heads then d, Linear's (out, in).
    rows = parameters["in_proj_weight" if packed else "q_proj_weight"][3:6]
    np.testing.assert_array_equal(rows, weights[0][:, 1, :].T)


@pytest.mark.parametrize(
    ("weights", "kwargs", "match"),
    [
        (
            _keras_mha_arrays(_rng(), (6, 6, 6), 2, 3)[:6],
            {},
            r"get_weights\(\): query, key, value and output",
        ),
        (
            _keras_mha_arrays(_rng(), (8, 8, 8), 2, 3),
            {},
            r"num_heads=2, key_dim=3 and output size 8 over 8 query",
        ),
        (
            _keras_mha_arrays(_rng(), (6, 4, 6), 2, 3),
            {},
            r"keys \(4\) or values \(6\) have another size .* packed=False",
        ),
        (
            [np.ones((6, 2, 3)), np.ones((6, 2, 3)), np.ones((6, 2, 2)), np.ones((2, 2, 6))],
            {},
            r"value_dim=2, the query kernel key_dim=3",
        ),
        (
            [np.ones((6, 2, 3)), np.ones((6, 2, 3)), np.ones((6, 2, 3)), np.ones((2, 3, 4))],
            {},
            r"output size 4 over 6 query features",
        ),
    ],
)
def test_the_attention_rule_refuses_what_torch_cannot_hold(
    weights: list[np.ndarray], kwargs: dict[str, Any], match: str
) -> None:
    with pytest.raises(ValueError, match=match):
        MULTI_HEAD_ATTENTION_RULE.to_torch(weights, **kwargs)


def test_the_attention_rule_refuses_bad_torch_parameters() -> None:
    parameters = MULTI_HEAD_ATTENTION_RULE.to_torch(_keras_mha_arrays(_rng(13), (6, 6, 6), 2, 3))
    with pytest.raises(ValueError, match=r"^heads=4 does not divide embed_dim=6$"):
        MULTI_HEAD_ATTENTION_RULE.to_keras(parameters, heads=4)
    with pytest.raises(ValueError, match=r"^in_proj_bias and out_proj.bias come together"):
        MULTI_HEAD_ATTENTION_RULE.to_keras(
            {k: v for k, v in parameters.items() if k != "out_proj.bias"}, heads=2
        )
    with pytest.raises(ValueError, match=r"^parameters must be an nn.MultiheadAttention's"):
        MULTI_HEAD_ATTENTION_RULE.to_keras({**parameters, "bias_k": np.zeros((1, 1, 6))}, heads=2)
    with pytest.raises(TypeError, match=r"^heads must be an integer, got float 2\.0$"):
        MULTI_HEAD_ATTENTION_RULE.to_keras(parameters, heads=2.0)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"^heads=3, but the kernels have 2 heads$"):
        multi_head_attention(
            np.zeros((1, 2, 6)),
            np.zeros((1, 2, 6)),
            weights=_keras_mha_arrays(_rng(), (6, 6, 6), 2, 3),
            heads=3,
        )
