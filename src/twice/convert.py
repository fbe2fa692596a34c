"""Move trained weights between a Keras model and its PyTorch twin, a whole model at once.

The chapters copy weights across to show that a network computes the same function in both frameworks.
What each kind of layer stores, and how its weights move, is that kind's :class:`~twice.layouts.WeightRule`,
defined beside its NumPy reference: :data:`twice.dense.DENSE_RULE`, :data:`twice.dense.FLATTEN_DENSE_RULE`
(a Dense that reads a flattened feature map: its inputs must be put in the other framework's order, where
a plain transpose fits and is silently wrong), :data:`twice.convolution.CONV2D_RULE`, the recurrent rules of
:mod:`twice.recurrent`, :data:`twice.embeddings.EMBEDDING_RULE` (an embedding table, the same in both),
:data:`twice.attention.MULTI_HEAD_ATTENTION_RULE` and :data:`twice.attention.LAYER_NORM_RULE` (whose
``epsilon`` is carried across with the weights). This module only
pairs the layers of two models, chooses the rule for each pair, applies it in the direction asked for, and
reports what it did (:class:`Transfer`).

:func:`keras_to_torch` and :func:`torch_to_keras` pair the Keras layers that have weights with the PyTorch
modules that have parameters, in order, and check everything before writing anything. Importing this module
imports neither TensorFlow nor PyTorch; the functions import them when called. Introduced in chapter 2.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from .attention import LAYER_NORM_RULE, MULTI_HEAD_ATTENTION_RULE, AttentionRule
from .convolution import CONV2D_RULE
from .dense import DENSE_RULE, FLATTEN_DENSE_RULE
from .embeddings import EMBEDDING_RULE
from .layouts import WeightRule
from .recurrent import GRU_RULE, LSTM_RULE, SIMPLE_RNN_RULE, RecurrentRule

_KINDS = (
    ("Dense", "Linear"), ("Conv2D", "Conv2d"), ("SimpleRNN", "RNN"), ("LSTM", "LSTM"), ("GRU", "GRU"),
    ("Embedding", "Embedding"), ("MultiHeadAttention", "MultiheadAttention"),
    ("LayerNormalization", "LayerNorm"),
)  # fmt: skip
"""The pairs of layer kinds that can be converted: ``(Keras layer class, torch.nn module class)``."""

_RECURRENT_RULES: dict[str, RecurrentRule] = {"SimpleRNN": SIMPLE_RNN_RULE, "LSTM": LSTM_RULE, "GRU": GRU_RULE}
"""The recurrent kinds, by Keras class name. A Keras ``Bidirectional`` wrapper pairs with
``bidirectional=True``, and each layer of a stacked torch module (``num_layers``) with one Keras layer."""

Rule = WeightRule | RecurrentRule | AttentionRule


def _inner(keras: Any, layer: Any) -> Any:
    """The layer a Keras ``Bidirectional`` wraps (its forward copy), or the layer itself."""
    return layer.forward_layer if isinstance(layer, keras.layers.Bidirectional) else layer


@dataclass(frozen=True)
class Copied:
    """One pair of layers whose weights were copied, with the rule that moved them. Introduced in chapter 2.

    ``keras_note`` and ``torch_note`` name a setting of each side that the weights alone do not tell (an
    embedding's padding: ``mask_zero=True``, ``padding_idx=0``); ``note`` is a remark on the copy.

    >>> from twice.dense import DENSE_RULE
    >>> print(Copied("dense", "fc", DENSE_RULE))
    dense (Dense, in out) <-> fc (nn.Linear, out in)
    """

    keras_layer: str
    torch_module: str
    rule: Rule
    sizes: dict[str, int] = field(default_factory=dict)
    keras_note: str = ""
    torch_note: str = ""
    note: str = ""

    def __str__(self) -> str:
        sizes = f" with {', '.join(f'{k}={v}' for k, v in self.sizes.items())}" if self.sizes else ""
        keras_note = f", {self.keras_note}" if self.keras_note else ""
        torch_note = f", {self.torch_note}" if self.torch_note else ""
        note = f"; {self.note}" if self.note else ""
        return (
            f"{self.keras_layer} ({self.rule.keras_layer}, {self.rule.keras}{keras_note}) <-> "
            f"{self.torch_module} ({self.rule.torch_module}, {self.rule.torch}{torch_note}){sizes}{note}"
        )


@dataclass(frozen=True)
class Transfer:
    """What :func:`keras_to_torch` or :func:`torch_to_keras` copied: one :class:`Copied` per layer pair.

    Introduced in chapter 2.

    >>> from twice.dense import DENSE_RULE
    >>> Transfer("to torch", (Copied("dense", "fc", DENSE_RULE),))
    copied 1 layers to torch:
      dense (Dense, in out) <-> fc (nn.Linear, out in)
    """

    direction: Literal["to torch", "to Keras"]
    pairs: tuple[Copied, ...]

    def __str__(self) -> str:
        lines = [f"copied {len(self.pairs)} layers {self.direction}:"]
        return "\n".join(lines + [f"  {pair}" for pair in self.pairs])

    def __repr__(self) -> str:
        return str(self)


def _is_custom(keras: Any, layer: Any) -> bool:
    """Whether ``layer`` is a layer class of the user's (not Keras' own, not a model): one to walk into."""
    return not type(layer).__module__.startswith("keras.") and not isinstance(layer, keras.Model)


def _expected_weights(keras: Any, layer: Any) -> int:
    """How many weights a plain (not LoRA-enabled, not quantised) layer of this configuration has."""
    inner = _inner(keras, layer)
    kind = type(inner).__name__
    if kind in _RECURRENT_RULES:
        return (3 if inner.use_bias else 2) * (2 if inner is not layer else 1)
    if kind == "MultiHeadAttention":
        per_projection = 2 if layer.use_bias else 1
        return per_projection * (5 if getattr(layer, "_use_gate", False) else 4)
    if kind == "LayerNormalization":
        return int(bool(layer.scale or layer.rms_scaling)) + int(bool(layer.center and not layer.rms_scaling))
    return 2 if getattr(layer, "use_bias", False) else 1  # an Embedding has its table only


def _keras_weighted_layers(keras: Any, model: Any) -> list[tuple[str, Any]]:
    """``(label, layer)`` for the layers of ``model`` that hold weights, in order; TypeError for kinds this
    module cannot convert.

    A custom layer (a ``keras.layers.Layer`` subclass of the user's) whose weights all belong to its
    sublayers is walked into, its sublayers in the order they were assigned (as ``named_modules()`` walks a
    torch module's children in the order they were registered); their labels are ``outer/inner``.
    """
    if not isinstance(model, keras.Model):
        raise TypeError(
            f"keras_model must be a keras.Model (Sequential or functional), got {type(model).__name__}"
        )
    if not model.built:
        raise ValueError(
            "the Keras model is not built, so its layers have no weights yet: start it with "
            "keras.Input(...), call model.build(input_shape) or call it on a batch"
        )
    supported: tuple[type[Any], ...] = tuple(getattr(keras.layers, k) for k, _ in _KINDS)
    layers: list[tuple[str, Any]] = []

    def visit(layer: Any, label: str) -> None:
        if not layer.weights:
            return  # Input, Flatten, pooling, Dropout, activations: nothing to copy
        kind = type(layer).__name__
        if isinstance(layer, keras.Model):
            raise TypeError(
                f"Keras layer {label!r} is a nested model ({kind}); only flat Sequential or functional "
                "models are supported: list its layers in the outer model"
            )
        if not isinstance(_inner(keras, layer), supported):
            inner = list(layer._flatten_layers(include_self=False, recursive=False))
            owned = {id(w) for sub in inner for w in sub.weights}
            if _is_custom(keras, layer) and inner and all(id(w) in owned for w in layer.weights):
                reorders = (keras.layers.Flatten, keras.layers.Reshape)
                everything = layer._flatten_layers(include_self=False, recursive=True)
                flattening = [sub.name for sub in everything if isinstance(sub, reorders)]
                if flattening:
                    # Nothing inside a custom layer is traced, so the order a Dense after it reads is unknown.
                    raise ValueError(
                        f"Keras layer {label!r} ({kind}) flattens or reshapes inside "
                        f"({', '.join(flattening)}), where the order of the values a Dense reads cannot be "
                        "told; list its layers in the model"
                    )
                for sub in inner:
                    visit(sub, f"{label}/{sub.name}")
                return
            names = ", ".join(k for k, _ in _KINDS)
            raise TypeError(
                f"Keras layer {label!r} ({kind}) has weights, but only {names} (and Bidirectional "
                "recurrent layers, and custom layers made of these) can be converted"
            )
        expected = _expected_weights(keras, layer)
        if len(layer.weights) != expected:
            # LoRA adds two low-rank matrices and quantisation adds scales; neither has a plain torch twin.
            raise TypeError(
                f"Keras layer {label!r} ({kind}) has {len(layer.weights)} weights, expected {expected}: "
                "LoRA-enabled or quantised layers cannot be converted"
            )
        if getattr(layer, "data_format", "channels_last") != "channels_last":
            raise ValueError(
                f"Keras layer {label!r} uses data_format={layer.data_format!r}; only channels_last "
                "Keras models are supported (where a Flatten lists (H, W, C) and PyTorch's lists (C, H, W))"
            )
        layers.append((label, layer))

    for layer in model.layers:
        visit(layer, layer.name)
    return layers


def _torch_weighted_modules(nn: Any, model: Any) -> list[tuple[str, Any, int | None]]:
    """``(name, module, layer)`` for the modules with parameters or buffers, in ``modules()`` order.

    A stacked recurrent module (``num_layers > 1``) appears once per layer, ``layer`` counting from 0; every
    other module once, with ``layer=None``.
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"torch_model must be a torch.nn.Module, got {type(model).__name__}")
    modules: list[tuple[str, Any, int | None]] = []
    inside: list[str] = []  # the name prefixes of nn.MultiheadAttention modules, whose out_proj is their own
    for name, module in model.named_modules():
        if any(name.startswith(prefix) for prefix in inside):
            continue  # out_proj: an nn.Linear (NonDynamicallyQuantizableLinear) that the attention rule moves
        # Direct state only: a container such as nn.Sequential holds its children's parameters, not its own;
        # and only state that state_dict() saves (a non-persistent buffer is a derived constant, such as a
        # table of positional encodings).
        transient: set[str] = getattr(module, "_non_persistent_buffers_set", set())
        buffers = [b for n, b in module.named_buffers(recurse=False) if n not in transient]
        own_state = list(module.parameters(recurse=False)) + buffers
        if not own_state:
            continue
        label = name or "<root>"
        if not isinstance(module, tuple(getattr(nn, t) for _, t in _KINDS)):
            names = ", ".join(f"nn.{t}" for _, t in _KINDS)
            raise TypeError(
                f"torch module {label!r} ({type(module).__name__}) has parameters or buffers, but only "
                f"{names} can be converted"
            )
        if isinstance(module, (nn.RNN, nn.LSTM, nn.GRU)):
            modules.extend((label, module, index) for index in range(module.num_layers))
        else:
            modules.append((label, module, None))
        if isinstance(module, nn.MultiheadAttention):
            inside.append(f"{name}." if name else "")
    return modules


_ELEMENTWISE_NAMES = (
    "Activation", "ReLU", "LeakyReLU", "ELU", "Softmax", "Dropout", "AlphaDropout",
    "GaussianDropout", "GaussianNoise", "ActivityRegularization", "Identity",
)  # fmt: skip
"""Weightless Keras layers that keep each value of a flat vector in its place (a Flatten's order survives)."""


def _history(tensor: Any) -> tuple[Any, Any] | None:
    """``(operation, node)`` that produced a symbolic Keras tensor, or ``None`` if it was not traced."""
    history = getattr(tensor, "_keras_history", None)
    if history is None:
        return None
    operation = history.operation
    nodes = getattr(operation, "_inbound_nodes", [])
    if not 0 <= history.node_index < len(nodes):
        return None
    return operation, nodes[history.node_index]


def _flatten_order(flatten: Any, node: Any) -> tuple[int, int, int] | None:
    """``(H, W, C)`` when this call of ``flatten`` flattened a 3-D channels-last map, else ``None``."""
    shape = tuple(node.input_tensors[0].shape[1:])
    if len(shape) < 3:
        return None  # a (features,) or (steps, features) input reads in the same order in both frameworks
    if len(shape) > 3:
        # A (D, H, W, C) volume is (C, D, H, W) in torch: another order, and no rule here reorders it.
        raise ValueError(
            f"Keras layer {flatten.name!r} flattens a {len(shape)}-D map {shape}; only (H, W, C) feature maps "
            "can be reordered to PyTorch's (C, H, W)"
        )
    if flatten.data_format != "channels_last":
        # Flatten(data_format='channels_first') first moves the channels last, so its order depends on how
        # the map was laid out upstream; rather than guess, accept only the default.
        raise ValueError(
            f"Keras layer {flatten.name!r} uses data_format={flatten.data_format!r}; only channels_last "
            "Keras models are supported (where a Flatten lists (H, W, C) and PyTorch's lists (C, H, W))"
        )
    return int(shape[0]), int(shape[1]), int(shape[2])


def _hidden_flatten(keras: Any, start: Any) -> str | None:
    """Name a layer above ``start`` (reached through weightless layers) that flattens a 3-D map, if any."""
    stack, seen = [start], set()
    while stack:
        operation, node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if getattr(operation, "weights", None):
            continue  # a weighted layer mixes the values anyway: the order above it does not reach the Dense
        inputs = list(node.input_tensors)
        outputs = list(node.output_tensors)
        if isinstance(operation, keras.layers.Flatten) and _flatten_order(operation, node) is not None:
            return str(operation.name)
        # A Reshape (layer or keras.ops.reshape) from (N, H, W, C) to (N, features) is a Flatten in disguise.
        if (
            type(operation).__name__ == "Reshape"
            and inputs
            and len(inputs[0].shape) == 4
            and outputs
            and len(outputs[0].shape) == 2
        ):
            return str(operation.name)
        for tensor in inputs:
            parent = _history(tensor)
            if parent is not None:
                stack.append(parent)
    return None


def _dense_feature_shape(keras: Any, dense: Any, model_has_flatten: bool) -> tuple[int, int, int] | None:
    """``(H, W, C)`` of the Keras feature map that ``dense`` reads through a ``Flatten``, or ``None``.

    Walks back from the Dense's input through layers that keep values in place (Dropout, activations) to the
    Flatten that produced it, and reads the Flatten's input shape from the traced graph of the built model.
    Raises ValueError when a 3-D map is flattened in a way whose order cannot be mapped (a Reshape, or a
    Concatenate of several Flattens), rather than copying weights that would be silently wrong.
    """
    elementwise = tuple(getattr(keras.layers, n) for n in _ELEMENTWISE_NAMES if hasattr(keras.layers, n))
    nodes = list(getattr(dense, "_inbound_nodes", []))
    if not nodes:
        if model_has_flatten:
            raise ValueError(
                f"cannot tell whether Keras layer {dense.name!r} reads a flattened feature map: the model "
                "has a Flatten but no traced graph (a subclassed model?); use a Sequential or functional "
                "model"
            )
        return None
    found: set[tuple[int, int, int] | None] = set()
    for node in nodes:
        step = _history(node.input_tensors[0]) if node.input_tensors else None
        shape: tuple[int, int, int] | None = None
        while step is not None:
            operation, producer = step
            if isinstance(operation, keras.layers.Flatten):
                shape = _flatten_order(operation, producer)
                break
            if isinstance(operation, elementwise) and len(producer.input_tensors) == 1:
                step = _history(producer.input_tensors[0])
                continue
            hidden = _hidden_flatten(keras, step)
            if hidden is not None:
                via = "" if hidden == operation.name else f" through {operation.name!r}"
                raise ValueError(
                    f"Keras layer {dense.name!r} reads a 3-D feature map flattened by {hidden!r}{via}; "
                    "only a Flatten followed by Dropout/activations can be reordered from (H, W, C) to "
                    "PyTorch's (C, H, W)"
                )
            break
        found.add(shape)
    if len(found) > 1:
        raise ValueError(
            f"Keras layer {dense.name!r} is shared by inputs of different layouts: {sorted(found, key=str)}"
        )
    return found.pop()


def _conv_mismatch(layer: Any, label: str, module: Any) -> str | None:
    """Why a Keras Conv2D and a torch Conv2d compute different outputs from the same weights, or ``None``."""
    kernel = tuple(int(k) for k in layer.kernel_size)
    strides = tuple(int(s) for s in layer.strides)
    dilation = tuple(int(d) for d in layer.dilation_rate)
    pair = f"Keras layer {layer.name!r} and torch module {label!r}"
    if strides != tuple(module.stride):
        return f"{pair} differ in stride: {strides} in Keras, {tuple(module.stride)} in torch"
    if dilation != tuple(module.dilation):
        return f"{pair} differ in dilation: {dilation} in Keras, {tuple(module.dilation)} in torch"
    if int(layer.groups) != int(module.groups):
        return f"{pair} differ in groups: {layer.groups} in Keras, {module.groups} in torch"
    if module.padding_mode != "zeros":
        return f"{pair}: Keras pads with zeros, the torch module with padding_mode={module.padding_mode!r}"
    torch_padding = module.padding  # "valid", "same" or a tuple of per-side pixels
    # The padding a stride-1 'same' convolution needs along each axis, split between the two sides.
    totals = tuple(d * (k - 1) for k, d in zip(kernel, dilation))
    if layer.padding == "valid" or not any(totals):
        # A 1x1 kernel pads nothing under 'same' either, whatever the stride.
        if torch_padding == "valid" or (torch_padding == "same" and not any(totals)):
            return None
        if torch_padding != "same" and tuple(torch_padding) == (0, 0):
            return None
        torch_pads = (
            "with padding='same'" if torch_padding == "same" else f"{tuple(torch_padding)} pixels per side"
        )
        return (
            f"{pair} differ in padding: Keras padding={layer.padding!r} adds none, the torch module pads "
            f"{torch_pads}, so its output is larger and shifted"
        )
    if any(s != 1 for s in strides):
        return (
            f"{pair}: Keras padding='same' with strides {strides} pads so that the output has "
            "ceil(size / stride) pixels, putting an odd extra pixel at the bottom/right, and how much "
            "depends on the input size; "
            "torch pads both sides equally, which shifts the sampling grid by one pixel. Use padding='valid' "
            "with an explicit ZeroPadding2D/nn.ZeroPad2d in both, or stride 1"
        )
    if torch_padding == "same":
        return None  # torch's 'same' also puts the odd extra pixel at the bottom/right
    wanted = tuple(t // 2 for t in totals)
    if any(t % 2 for t in totals):
        return (
            f"{pair}: Keras padding='same' with kernel {kernel} pads {totals} pixels in all, one more at the "
            f"bottom/right than the top/left; torch's integer padding {tuple(torch_padding)} is symmetric "
            "and shifts the output by one pixel. Use padding='same' in torch"
        )
    if tuple(torch_padding) != wanted:
        return (
            f"{pair} differ in padding: Keras padding='same' with kernel {kernel} means {wanted} pixels per "
            f"side, the torch module has padding={tuple(torch_padding)}"
        )
    return None


def _embedding_mismatch(layer: Any, label: str, module: Any) -> str | None:
    """Why a Keras Embedding and a torch nn.Embedding look up different vectors from one table, or ``None``.

    ``sparse`` and ``scale_grad_by_freq`` change only torch's gradients, and ``mask_zero``/``padding_idx``
    only what happens after the lookup (the report names both); ``max_norm`` changes the lookup itself.
    """
    pair = f"Keras layer {layer.name!r} and torch module {label!r}"
    if module.max_norm is not None:
        return (
            f"{pair}: the torch module has max_norm={module.max_norm}, which rescales every row it looks up "
            "to that norm at most, in place, in each forward pass; a Keras Embedding has no such thing (an "
            "embeddings_constraint acts after each training step, not on lookup). Build it with max_norm=None"
        )
    keras_size = (int(layer.input_dim), int(layer.output_dim))
    torch_size = (int(module.num_embeddings), int(module.embedding_dim))
    if keras_size != torch_size:
        return (
            f"{pair} differ in size: input_dim={keras_size[0]}, output_dim={keras_size[1]} in Keras, "
            f"num_embeddings={torch_size[0]}, embedding_dim={torch_size[1]} in torch"
        )
    return None


def _embedding_notes(step: _Step, table: np.ndarray, direction: str) -> tuple[str, str, str]:
    """The report's padding notes for an embedding pair: Keras' mask_zero, torch's padding_idx, a remark."""
    padding = step.module.padding_idx
    note = ""
    if direction == "to torch" and padding is not None and np.any(table[padding] != 0):
        note = (
            f"row {padding} (padding_idx) is not zero: PyTorch keeps that row fixed in training but does not "
            "zero it (pytorch/pytorch#6411)"
        )
    return f"mask_zero={bool(step.layer.mask_zero)}", f"padding_idx={padding}", note


def _recurrent_mismatch(keras: Any, layer: Any, label: str, module: Any, index: int) -> str | None:
    """Why a Keras recurrent layer and one layer of a torch recurrent module differ, or ``None``."""
    inner = _inner(keras, layer)
    pair = f"Keras layer {layer.name!r} and torch module {label!r} (layer {index})"
    bidirectional = inner is not layer
    if bidirectional != module.bidirectional:
        return (
            f"{pair}: {'a' if bidirectional else 'no'} Keras Bidirectional wrapper, but "
            f"bidirectional={module.bidirectional} in torch"
        )
    if bidirectional and layer.merge_mode != "concat":
        return (
            f"{pair}: Bidirectional(merge_mode={layer.merge_mode!r}), but torch concatenates the two directions "
            "(merge_mode='concat')"
        )
    if not bidirectional and inner.go_backwards:
        return f"{pair}: go_backwards=True reads the sequence backwards; a one-way torch layer reads it forwards"
    if inner.units != module.hidden_size:
        return f"{pair} differ in size: {inner.units} units in Keras, hidden_size={module.hidden_size} in torch"
    if inner.use_bias != module.bias:
        return f"{pair}: use_bias={inner.use_bias} in Keras, bias={module.bias} in torch"
    activation = getattr(inner.activation, "__name__", str(inner.activation))
    expected = getattr(module, "nonlinearity", "tanh")
    if activation != expected:
        return f"{pair}: activation {activation!r} in Keras, {expected!r} in torch"
    recurrent_activation = getattr(inner, "recurrent_activation", None)
    name = getattr(recurrent_activation, "__name__", "sigmoid")
    if recurrent_activation is not None and name != "sigmoid":
        return f"{pair}: recurrent_activation {name!r} in Keras; torch's gates always use 'sigmoid'"
    if getattr(inner, "reset_after", True) is False:
        return (
            f"{pair}: GRU(reset_after=False) applies the reset gate before the recurrent product, (r * h) U; "
            "torch's GRU computes r * (h U + b), Keras' reset_after=True (the default)"
        )
    if getattr(module, "proj_size", 0):
        return f"{pair}: the torch LSTM projects its output (proj_size={module.proj_size}); Keras' LSTM does not"
    return None


def _attention_mismatch(layer: Any, label: str, module: Any) -> str | None:
    """Why a Keras MultiHeadAttention and a torch nn.MultiheadAttention differ, or ``None``."""
    pair = f"Keras layer {layer.name!r} and torch module {label!r}"
    if module.bias_k is not None:
        return (
            f"{pair}: the torch module has add_bias_kv=True, which appends a learned key and value to every "
            "sequence; Keras' MultiHeadAttention has no such thing"
        )
    if module.add_zero_attn:
        return (
            f"{pair}: the torch module has add_zero_attn=True, which appends a key and a value of zeros to "
            "every sequence; Keras' MultiHeadAttention has no such thing"
        )
    if getattr(layer, "_use_gate", False):
        return f"{pair}: use_gate=True multiplies each head's output by a learned sigmoid gate; torch cannot"
    if getattr(layer, "_sliding_window", None) is not None:
        return (
            f"{pair}: sliding_window={layer._sliding_window} restricts each query to nearby keys in Keras; "
            "nn.MultiheadAttention has no such setting (pass it an attn_mask instead)"
        )
    if tuple(layer.attention_axes or ()) != (1,):
        return (
            f"{pair}: Keras attends over axes {tuple(layer.attention_axes)}; nn.MultiheadAttention over the "
            "sequence of (N, T, features) inputs only"
        )
    if layer.num_heads != module.num_heads:
        return (
            f"{pair} differ in heads: num_heads={layer.num_heads} in Keras, num_heads={module.num_heads} in "
            "torch"
        )
    heads, key_dim, embed = layer.num_heads, layer.key_dim, module.embed_dim
    query_in = int(layer.query_dense.kernel.shape[0])
    if heads * key_dim != embed or query_in != embed:
        return (
            f"{pair}: Keras projects {query_in} query features to num_heads · key_dim = {heads} · {key_dim} "
            f"= {heads * key_dim}; nn.MultiheadAttention(embed_dim={embed}, num_heads={module.num_heads}) "
            f"projects {embed} to {embed}, in heads of head_dim = embed_dim // num_heads = {module.head_dim}: "
            "build the Keras layer with key_dim = embed_dim // num_heads"
        )
    if layer.value_dim != key_dim:
        return (
            f"{pair}: value_dim={layer.value_dim} and key_dim={key_dim} in Keras; torch's values have the "
            "queries' head size"
        )
    output_shape = getattr(layer, "_output_shape", None)
    if output_shape and tuple(output_shape) != (query_in,):
        return (
            f"{pair}: output_shape={tuple(output_shape)} in Keras; nn.MultiheadAttention projects back to "
            f"embed_dim ({embed},)"
        )
    if layer.use_bias != (module.in_proj_bias is not None):
        return (
            f"{pair}: use_bias={layer.use_bias} in Keras, "
            f"bias={module.in_proj_bias is not None} in torch"
        )
    key_in, value_in = int(layer.key_dense.kernel.shape[0]), int(layer.value_dense.kernel.shape[0])
    if (key_in, value_in) != (module.kdim, module.vdim):
        return (
            f"{pair}: keys and values have {key_in} and {value_in} features in Keras, kdim={module.kdim} and "
            f"vdim={module.vdim} in torch"
        )
    return None


def _keras_input_rank(layer: Any) -> int | None:
    """The rank of the input a built Keras layer was built for, or ``None`` if it cannot be told."""
    shapes = getattr(layer, "_build_shapes_dict", None) or {}
    shape = next(iter(shapes.values()), None)
    return None if shape is None else len(shape)


def _layer_norm_mismatch(layer: Any, label: str, module: Any) -> str | None:
    """Why a Keras LayerNormalization and a torch nn.LayerNorm normalise differently, or ``None``."""
    pair = f"Keras layer {layer.name!r} and torch module {label!r}"
    if layer.rms_scaling:
        return (
            f"{pair}: rms_scaling=True (deprecated in Keras) divides by √(var + epsilon) without subtracting "
            "the mean; nn.LayerNorm subtracts it"
        )
    axes = list(layer.axis) if isinstance(layer.axis, (list, tuple)) else [layer.axis]
    rank = _keras_input_rank(layer)
    if len(axes) != 1 or not (axes[0] == -1 or (rank is not None and axes[0] == rank - 1)):
        return (
            f"{pair}: Keras normalises over axis={layer.axis}; only axis=-1 (the features) has an "
            "nn.LayerNorm twin here"
        )
    if len(module.normalized_shape) != 1:
        return (
            f"{pair}: the torch module normalises over its last {len(module.normalized_shape)} axes "
            f"(normalized_shape={tuple(module.normalized_shape)}); Keras' axis=-1 over the last one"
        )
    if layer.center and not layer.scale:
        return f"{pair}: scale=False, center=True in Keras: an nn.LayerNorm has a bias only with a weight"
    torch_bias = module.bias is not None
    if layer.center != torch_bias:
        return (
            f"{pair}: center={layer.center} in Keras ({'a' if layer.center else 'no'} beta), but the torch "
            f"module has {'a' if torch_bias else 'no'} bias (bias={torch_bias})"
        )
    features = int(layer.gamma.shape[0])
    if features != int(module.normalized_shape[0]):
        return (
            f"{pair} differ in size: {features} features in Keras, normalized_shape="
            f"{tuple(module.normalized_shape)} in torch"
        )
    return None


@dataclass(frozen=True)
class _Step:
    """One pair of layers, checked to fit, with the rule (and sizes) that moves its weights."""

    layer: Any
    label: str
    module: Any
    rule: Rule
    sizes: dict[str, int]
    index: int | None = None  # the layer of a stacked torch recurrent module
    keras_label: str = ""  # the layer's name, with the custom layers it lies in: "block/self_attn"

    @property
    def keras_name(self) -> str:
        """What the report calls the Keras layer."""
        return self.keras_label or self.layer.name


def _plan(keras_model: Any, torch_model: Any) -> list[_Step]:
    """Check that the two models pair up, layer by layer; choose each pair's rule."""
    import keras
    from torch import nn

    layers = _keras_weighted_layers(keras, keras_model)
    modules = _torch_weighted_modules(nn, torch_model)
    if len(layers) != len(modules):
        keras_list = ", ".join(f"{name}: {type(layer).__name__}" for name, layer in layers)
        torch_list = ", ".join(
            f"{name}: {type(module).__name__}" + ("" if index is None else f" layer {index}")
            for name, module, index in modules
        )
        raise ValueError(
            f"the Keras model has {len(layers)} layers with weights ({keras_list}) but the torch model has "
            f"{len(modules)} modules with parameters ({torch_list})"
        )
    has_flatten = any(isinstance(layer, keras.layers.Flatten) for layer in keras_model.layers)
    plan = []
    for (keras_label, layer), (label, module, index) in zip(layers, modules):
        keras_kind, torch_kind = type(layer).__name__, type(module).__name__
        kinds = [(k, t) for k, t in _KINDS if isinstance(_inner(keras, layer), getattr(keras.layers, k))]
        if not isinstance(module, getattr(nn, kinds[0][1])):
            pairs = " and ".join(f"{k} with nn.{t}" for k, t in _KINDS)
            raise ValueError(  # noqa: TRY004 - the models are of the right type; their layers do not pair up
                f"Keras layer {keras_label!r} ({keras_kind}) is paired with torch module {label!r} "
                f"({torch_kind}): the weighted layers must come in the same order, {pairs}"
            )
        if kinds[0][0] in _RECURRENT_RULES:
            reason = _recurrent_mismatch(keras, layer, label, module, index or 0)
            if reason is not None:
                raise ValueError(reason)
            recurrent_rule = _RECURRENT_RULES[kinds[0][0]]
            plan.append(_Step(layer, label, module, recurrent_rule, {}, index or 0, keras_label))
            continue
        if isinstance(module, nn.Embedding):
            reason = _embedding_mismatch(layer, label, module)
            if reason is not None:
                raise ValueError(reason)
            plan.append(_Step(layer, label, module, EMBEDDING_RULE, {}, None, keras_label))
            continue
        if isinstance(module, nn.MultiheadAttention):
            reason = _attention_mismatch(layer, label, module)
            if reason is not None:
                raise ValueError(reason)
            sizes = {"heads": int(module.num_heads), "key_dim": int(module.head_dim)}
            plan.append(_Step(layer, label, module, MULTI_HEAD_ATTENTION_RULE, sizes, None, keras_label))
            continue
        if isinstance(module, nn.LayerNorm):
            reason = _layer_norm_mismatch(layer, label, module)
            if reason is not None:
                raise ValueError(reason)
            plan.append(_Step(layer, label, module, LAYER_NORM_RULE, {}, None, keras_label))
            continue
        if layer.use_bias != (module.bias is not None):
            raise ValueError(
                f"Keras layer {layer.name!r} has use_bias={layer.use_bias} but torch module {label!r} has "
                f"bias={'present' if module.bias is not None else 'None'}"
            )
        if isinstance(module, nn.Linear):
            hwc = _dense_feature_shape(keras, layer, has_flatten)
            rule = DENSE_RULE if hwc is None else FLATTEN_DENSE_RULE
            sizes = {} if hwc is None else dict(zip(("H", "W", "C"), hwc))
        else:
            reason = _conv_mismatch(layer, label, module)
            if reason is not None:
                raise ValueError(reason)
            rule, sizes = CONV2D_RULE, {}
        plan.append(_Step(layer, label, module, rule, sizes, None, keras_label))
    return plan


def _check_shape(step: _Step, converted: np.ndarray, target: tuple[int, ...], direction: str) -> None:
    if tuple(converted.shape) != tuple(target):
        raise ValueError(
            f"Keras layer {step.layer.name!r} and torch module {step.label!r} do not fit: the weights "
            f"converted {direction} have shape {tuple(converted.shape)}, the target has shape {tuple(target)}"
        )


def _to_numpy(torch: Any, tensor: Any) -> np.ndarray:
    tensor = tensor.detach().cpu()
    if tensor.dtype in (torch.bfloat16, torch.float16):
        tensor = tensor.float()  # NumPy has no bfloat16; Keras casts to the variable's dtype anyway
    return np.array(tensor.numpy(), copy=True)


def _keras_weights(layer: Any) -> list[np.ndarray]:
    """A Keras layer's weights as NumPy arrays; bfloat16 ones (an ml_dtypes type, no NumPy number) as float32.

    float32 holds every bfloat16 value exactly, and ``copy_`` casts to the parameter's dtype anyway.
    """
    weights = [np.asarray(w) for w in layer.get_weights()]
    return [w if np.issubdtype(w.dtype, np.number) else w.astype(np.float32) for w in weights]


def _directions(keras: Any, step: _Step) -> list[tuple[Any, str]]:
    """``(Keras layer, torch parameter suffix)`` for each direction of a recurrent step."""
    if isinstance(step.layer, keras.layers.Bidirectional):
        return [(step.layer.forward_layer, ""), (step.layer.backward_layer, "_reverse")]
    return [(step.layer, "")]


def _torch_setter(torch: Any, pairs: list[tuple[Any, np.ndarray]]) -> Callable[[], None]:
    """A function that copies each array into its torch parameter (``copy_`` casts dtype and device)."""

    def write() -> None:
        with torch.no_grad():
            for parameter, array in pairs:
                parameter.copy_(torch.from_numpy(array))

    return write


def _keras_setter(layer: Any, arrays: list[np.ndarray]) -> Callable[[], None]:
    """A function that sets a Keras layer's weights."""
    return lambda: layer.set_weights(arrays)


def _recurrent_writes(
    keras: Any, torch: Any, step: _Step, direction: str
) -> list[tuple[str, str, Callable[[], None]]]:
    """Convert each direction of one recurrent step: ``(Keras name, torch name, write)``, checked, unwritten."""
    assert isinstance(step.rule, RecurrentRule)
    writes: list[tuple[str, str, Callable[[], None]]] = []
    for layer, suffix in _directions(keras, step):
        names = [f"{kind}_l{step.index}{suffix}" for kind in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")]
        parameters = [getattr(step.module, name, None) for name in names]
        keras_name = step.keras_name if layer is step.layer else f"{step.keras_name}/{layer.name}"
        torch_name = f"{step.label} layer {step.index}{' reverse' if suffix else ''}"
        if direction == "to torch":
            converted = step.rule.to_torch(*_keras_weights(layer))
            pairs = [(p, a) for p, a in zip(parameters, converted) if p is not None and a is not None]
            for parameter, array in pairs:
                _check_shape(step, array, tuple(parameter.shape), direction)
            writes.append((keras_name, torch_name, _torch_setter(torch, pairs)))
        else:
            values = [None if p is None else _to_numpy(torch, p) for p in parameters]
            arrays = [a for a in step.rule.to_keras(*values) if a is not None]
            for array, weight in zip(arrays, layer.weights):
                _check_shape(step, array, tuple(weight.shape), direction)
            writes.append((keras_name, torch_name, _keras_setter(layer, arrays)))
    return writes


def _attention_write(
    torch: Any, step: _Step, direction: str
) -> tuple[Callable[[], None], tuple[str, str, str]]:
    """Convert one attention pair, checked and unwritten: the write, and the report's notes."""
    module = step.module
    parameters = dict(module.named_parameters())  # in_proj_weight (or q/k/v_proj_weight), ..., out_proj.*
    packed = bool(module._qkv_same_embed_dim)
    if direction == "to torch":
        arrays = MULTI_HEAD_ATTENTION_RULE.to_torch(_keras_weights(step.layer), packed=packed)
        if set(arrays) != set(parameters):
            raise ValueError(
                f"Keras layer {step.keras_name!r} and torch module {step.label!r} do not fit: the weights "
                f"converted to torch are {sorted(arrays)}, the module has {sorted(parameters)}"
            )
        for name, array in arrays.items():
            _check_shape(step, array, tuple(parameters[name].shape), direction)
        write = _torch_setter(torch, [(parameters[name], array) for name, array in arrays.items()])
    else:
        values = {name: _to_numpy(torch, parameter) for name, parameter in parameters.items()}
        converted = MULTI_HEAD_ATTENTION_RULE.to_keras(values, heads=module.num_heads)
        targets = [tuple(w.shape) for w in step.layer.weights]
        if len(converted) != len(targets):
            raise ValueError(
                f"Keras layer {step.keras_name!r} and torch module {step.label!r} do not fit: "
                f"{len(converted)} weights converted to Keras, the layer has {len(targets)}"
            )
        for array, target in zip(converted, targets):
            _check_shape(step, array, target, direction)
        write = _keras_setter(step.layer, converted)
    torch_note = f"batch_first={module.batch_first}"
    if not packed:
        torch_note += f", separate q/k/v_proj_weight (kdim={module.kdim}, vdim={module.vdim})"
    note = (
        ""
        if module.batch_first
        else "the torch module takes (T, N, E) inputs and Keras (N, T, E): transpose them for it, or build "
        "it with batch_first=True"
    )
    return write, ("", torch_note, note)


def _epsilon_write(step: _Step, direction: str) -> tuple[Callable[[], None], tuple[str, str, str], bool]:
    """Set the target's epsilon to the source's: the write, the report's notes, and whether it changes."""
    keras_epsilon, torch_eps = float(step.layer.epsilon), float(step.module.eps)
    if direction == "to torch":
        source, old = keras_epsilon, torch_eps
        note = f"eps set to the Keras layer's {source:g} (was {old:g})"

        def write() -> None:
            step.module.eps = source
    else:
        source, old = torch_eps, keras_epsilon
        note = f"epsilon set to the torch module's {source:g} (was {old:g})"

        def write() -> None:
            step.layer.epsilon = source

    changed = source != old
    return write, (f"epsilon={source:g}", f"eps={source:g}", note if changed else ""), changed


def _forget_traced_functions(keras_model: Any) -> None:
    """Drop a Keras model's traced fit/evaluate/predict functions: they hold the old epsilons as constants."""
    for name in ("train_function", "test_function", "predict_function"):
        if getattr(keras_model, name, None) is not None:
            setattr(keras_model, name, None)


def _transfer(keras_model: Any, torch_model: Any, direction: Literal["to torch", "to Keras"]) -> Transfer:
    """Plan, convert every pair and check its shapes, and only then write: all or nothing."""
    import keras
    import torch

    writes: list[tuple[_Step, str, str, Callable[[], None]]] = []
    notes: dict[int, tuple[str, str, str]] = {}  # by id of the step: what each side's settings are
    epsilon_changed = False
    for step in _plan(keras_model, torch_model):
        if isinstance(step.rule, RecurrentRule):
            for keras_name, torch_name, write in _recurrent_writes(keras, torch, step, direction):
                writes.append((step, keras_name, torch_name, write))
            continue
        if isinstance(step.rule, AttentionRule):
            write, notes[id(step)] = _attention_write(torch, step, direction)
            writes.append((step, step.keras_name, step.label, write))
            continue
        torch_bias = getattr(step.module, "bias", None)  # an nn.Embedding has none
        if direction == "to torch":
            kernel, *rest = _keras_weights(step.layer)
            values = step.rule.to_torch(kernel, rest[0] if rest else None, **step.sizes)
            targets = [tuple(step.module.weight.shape), tuple(getattr(torch_bias, "shape", ()))]
        else:
            bias = None if torch_bias is None else _to_numpy(torch, torch_bias)
            values = step.rule.to_keras(_to_numpy(torch, step.module.weight), bias, **step.sizes)
            targets = [tuple(w.shape) for w in step.layer.weights]
        arrays = [value for value in values if value is not None]
        for array, target in zip(arrays, targets):
            _check_shape(step, array, target, direction)
        if step.rule is EMBEDDING_RULE:
            notes[id(step)] = _embedding_notes(step, arrays[0], direction)
        write = _dense_or_conv_write(torch, step, arrays, direction)
        if step.rule is LAYER_NORM_RULE:
            set_epsilon, notes[id(step)], changed = _epsilon_write(step, direction)
            epsilon_changed = epsilon_changed or changed
            write = _both(write, set_epsilon)
        writes.append((step, step.keras_name, step.label, write))
    for *_, write in writes:
        write()
    if epsilon_changed and direction == "to Keras":
        _forget_traced_functions(keras_model)
    pairs = tuple(
        Copied(keras_name, torch_name, s.rule, s.sizes, *notes.get(id(s), ("", "", "")))
        for s, keras_name, torch_name, _ in writes
    )
    return Transfer(direction, pairs)


def _both(first: Callable[[], None], second: Callable[[], None]) -> Callable[[], None]:
    def write() -> None:
        first()
        second()

    return write


def _dense_or_conv_write(torch: Any, step: _Step, arrays: list[np.ndarray], direction: str) -> Callable[[], None]:
    if direction == "to Keras":
        return _keras_setter(step.layer, arrays)
    parameters = [step.module.weight] + ([step.module.bias] if len(arrays) > 1 else [])
    return _torch_setter(torch, list(zip(parameters, arrays)))


def keras_to_torch(keras_model: Any, torch_model: Any) -> Transfer:
    """Copy every weight of a built Keras model into a PyTorch module, in place; return what was copied.

    The Keras layers with weights (``Dense``, ``Conv2D``, the recurrent layers, ``Embedding``,
    ``MultiHeadAttention``, ``LayerNormalization``) are paired, in order, with the torch modules with
    parameters (``nn.Linear``, ``nn.Conv2d``, ``nn.RNN``/``LSTM``/``GRU``, ``nn.Embedding``,
    ``nn.MultiheadAttention``, whose ``out_proj`` belongs to it, and ``nn.LayerNorm``, in
    ``torch_model.modules()`` order); layers without weights (Input, Flatten, pooling, Dropout,
    activations, and a module's non-persistent buffers) are skipped on both sides, and a custom Keras layer
    made of supported layers is walked into, its sublayers in the order they were assigned (so
    :func:`twice.models.keras_encoder_block` pairs with ``nn.TransformerEncoderLayer``). Each pair's weights
    move by its kind's rule: kernels go from Keras' ``(in, out)`` / ``(kh, kw, in, out)`` to torch's
    ``(out, in)`` / ``(out, in, kh, kw)``, and a Dense that reads a ``Flatten`` of an ``(H, W, C)`` feature
    map also has its rows reordered to the ``(C, H, W)`` order of ``nn.Flatten`` on an ``(N, C, H, W)`` map
    (:data:`twice.dense.FLATTEN_DENSE_RULE`). The Keras model feeds ``(N, H, W, C)`` images, the torch model
    the same images as ``(N, C, H, W)``. An embedding table crosses unchanged
    (:data:`twice.embeddings.EMBEDDING_RULE`); the report names each side's padding (``mask_zero``,
    ``padding_idx``) and says when the row at ``padding_idx`` arrives non-zero: PyTorch then keeps that row
    fixed in training, but looks it up as it is. Attention projections are reshaped between Keras' per-head
    kernels and torch's stacked ``in_proj_weight`` (:data:`twice.attention.MULTI_HEAD_ATTENTION_RULE`; the
    report names ``heads`` and ``key_dim`` and torch's ``batch_first``, which the weights do not depend on).
    A layer normalisation's ``gamma``/``beta`` cross as they are and its ``epsilon`` is carried: the
    target's is set to the source's, and the report says when that changed it (a Keras model's traced
    ``fit``/``predict`` functions are dropped then, so that they are traced again with the new value).

    Everything is checked before anything is written, so a failed call leaves ``torch_model`` unchanged.
    Introduced in chapter 2.

    >>> import keras, torch
    >>> keras_model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])
    >>> torch_model = torch.nn.Sequential(torch.nn.Linear(4, 3))
    >>> keras_to_torch(keras_model, torch_model)                      # doctest: +ELLIPSIS
    copied 1 layers to torch:
      dense... (Dense, in out) <-> 0 (nn.Linear, out in)
    >>> x = np.ones((2, 4), dtype=np.float32)
    >>> bool(np.allclose(keras_model(x), torch_model(torch.from_numpy(x)).detach(), atol=1e-6))
    True

    Raises:
        TypeError: for a model of the wrong type, or a Keras layer with weights / torch module with
            parameters of an unsupported kind (e.g. BatchNormalization, Conv1D, nn.BatchNorm2d,
            nn.EmbeddingBag), naming it.
        ValueError: if the Keras model is not built, the numbers of weighted layers differ, a pair is of
            different kinds, has different bias presence or different shapes, a Conv2D pair differs in stride,
            dilation, groups or padding in a way that changes the output, a Keras layer is channels_first,
            an nn.Embedding has ``max_norm`` set (it rescales rows as it looks them up; Keras cannot), an
            attention pair has no counterpart (``key_dim * num_heads != embed_dim``, ``value_dim !=
            key_dim``, ``output_shape``, ``use_gate``, ``sliding_window``, ``add_bias_kv``,
            ``add_zero_attn``, other heads, key or value sizes or bias presence), or a layer-norm pair
            normalises differently (Keras ``axis`` not the last, ``rms_scaling``, ``center``/``scale`` not
            matching torch's ``bias``/``elementwise_affine``, a multi-axis ``normalized_shape``).
    """
    return _transfer(keras_model, torch_model, "to torch")


def torch_to_keras(torch_model: Any, keras_model: Any) -> Transfer:
    """Copy every parameter of a PyTorch module into a built Keras model, in place; return what was copied.

    The inverse of :func:`keras_to_torch`, with the same pairing and the same rules, applied the other way;
    the feature-map shape that a Flatten reads is taken from the Keras model.

    Everything is checked before anything is written, so a failed call leaves ``keras_model`` unchanged.
    Introduced in chapter 2.

    >>> import keras, torch
    >>> torch_model = torch.nn.Sequential(torch.nn.Conv2d(1, 2, 3), torch.nn.Flatten(), torch.nn.Linear(8, 1))
    >>> keras_model = keras.Sequential(
    ...     [keras.Input((4, 4, 1)), keras.layers.Conv2D(2, 3), keras.layers.Flatten(), keras.layers.Dense(1)]
    ... )
    >>> print(torch_to_keras(torch_model, keras_model))               # doctest: +ELLIPSIS
    copied 2 layers to Keras:
      conv2d... (Conv2D, kh kw in out) <-> 0 (nn.Conv2d, out in kh kw)
      dense... (Dense, (H W C) out) <-> 2 (nn.Linear, out (C H W)) with H=2, W=2, C=2

    Raises:
        TypeError, ValueError: as :func:`keras_to_torch`.
    """
    return _transfer(keras_model, torch_model, "to Keras")
