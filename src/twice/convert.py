"""Move trained weights between Keras and PyTorch, layer by layer or a whole model at once.

The two frameworks store the same layers in different layouts, and the book's chapters copy weights across to
show that a network computes the same function in both:

* Dense. Keras computes ``x @ kernel + bias`` with ``kernel`` of shape ``(in, out)``; ``nn.Linear`` computes
  ``x @ weight.T + bias`` with ``weight`` of shape ``(out, in)``. One is the transpose of the other.
* Conv2D. Keras stores kernels as ``(kh, kw, in, out)`` ("HWIO"), ``nn.Conv2d`` as ``(out, in, kh, kw)``
  ("OIHW"): ``OIHW = HWIO.transpose(3, 2, 0, 1)``. Neither flips the kernel (both cross-correlate).
* Flatten before Dense. Keras images are ``(N, H, W, C)`` and PyTorch images ``(N, C, H, W)``, so ``Flatten``
  lists a feature map's values in ``(H, W, C)`` order in Keras but ``(C, H, W)`` order in PyTorch. The Dense
  that reads the flattened vector has the same shape in both, so a plain transpose *fits*, and is silently
  wrong: its rows must also be permuted from one order to the other (:func:`flatten_dense_keras_to_torch`).

The array-level functions take and return NumPy arrays, keep the dtype, copy rather than view, and never
modify their inputs. :func:`keras_to_torch` and :func:`torch_to_keras` copy a whole model, pairing the Keras
layers that have weights with the PyTorch modules that have parameters, in order. Importing this module
imports neither TensorFlow nor PyTorch; the model-level functions import them when called.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

# --- array level --------------------------------------------------------------------------------------------


def _as_array(value: object, name: str) -> np.ndarray:
    array = np.asarray(value)
    if array.dtype == object:
        raise TypeError(f"{name} must be a numeric array, got {type(value).__name__}")
    return array


def _check_bias(bias: object, units: int, what: str) -> np.ndarray | None:
    """``bias`` as a fresh copy, checked to be ``(units,)``; ``None`` (no bias) passes through."""
    if bias is None:
        return None
    array = _as_array(bias, "bias")
    if array.shape != (units,):
        raise ValueError(f"bias must have shape ({units},) to match the {what}, got {array.shape}")
    return array.copy()


def dense_keras_to_torch(kernel: np.ndarray, bias: np.ndarray | None) -> tuple[np.ndarray, np.ndarray | None]:
    """Convert a Keras ``Dense`` kernel ``(in, out)`` and bias ``(out,)`` to ``nn.Linear``'s ``(out, in)``.

    ``bias=None`` (``use_bias=False``) gives ``None`` back. The arrays returned are new, with the input dtype.

    Raises:
        ValueError: if ``kernel`` is not 2-D or ``bias`` is not ``(out,)``.
    """
    kernel = _as_array(kernel, "kernel")
    if kernel.ndim != 2:
        raise ValueError(f"a Keras Dense kernel must have shape (in, out), got {kernel.shape}")
    return kernel.T.copy(), _check_bias(bias, kernel.shape[1], f"kernel's {kernel.shape[1]} outputs")


def dense_torch_to_keras(weight: np.ndarray, bias: np.ndarray | None) -> tuple[np.ndarray, np.ndarray | None]:
    """Convert an ``nn.Linear`` weight ``(out, in)`` and bias ``(out,)`` to a Keras ``Dense`` ``(in, out)``.

    ``bias=None`` (``bias=False``) gives ``None`` back. The arrays returned are new, with the input dtype.

    Raises:
        ValueError: if ``weight`` is not 2-D or ``bias`` is not ``(out,)``.
    """
    weight = _as_array(weight, "weight")
    if weight.ndim != 2:
        raise ValueError(f"an nn.Linear weight must have shape (out, in), got {weight.shape}")
    return weight.T.copy(), _check_bias(bias, weight.shape[0], f"weight's {weight.shape[0]} outputs")


def conv2d_keras_to_torch(
    kernel: np.ndarray, bias: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray | None]:
    """Convert a Keras ``Conv2D`` kernel ``(kh, kw, in, out)`` (HWIO) to an ``nn.Conv2d`` weight (OIHW).

    ``weight = kernel.transpose(3, 2, 0, 1)``, of shape ``(out, in, kh, kw)``. The bias, ``(out,)``, is the
    same in both (``None`` stays ``None``). For grouped convolutions ``in`` is the number of input channels
    per group in both layouts. The arrays returned are new, with the input dtype.

    Raises:
        ValueError: if ``kernel`` is not 4-D or ``bias`` is not ``(out,)``.
    """
    kernel = _as_array(kernel, "kernel")
    if kernel.ndim != 4:
        raise ValueError(f"a Keras Conv2D kernel must have shape (kh, kw, in, out), got {kernel.shape}")
    return kernel.transpose(3, 2, 0, 1).copy(), _check_bias(
        bias, kernel.shape[3], f"kernel's {kernel.shape[3]} outputs"
    )


def conv2d_torch_to_keras(
    weight: np.ndarray, bias: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray | None]:
    """Convert an ``nn.Conv2d`` weight ``(out, in, kh, kw)`` (OIHW) to a Keras ``Conv2D`` kernel (HWIO).

    The inverse of :func:`conv2d_keras_to_torch`: ``kernel = weight.transpose(2, 3, 1, 0)``, of shape
    ``(kh, kw, in, out)``; the bias ``(out,)`` is copied (``None`` stays ``None``).

    Raises:
        ValueError: if ``weight`` is not 4-D or ``bias`` is not ``(out,)``.
    """
    weight = _as_array(weight, "weight")
    if weight.ndim != 4:
        raise ValueError(f"an nn.Conv2d weight must have shape (out, in, kh, kw), got {weight.shape}")
    return weight.transpose(2, 3, 1, 0).copy(), _check_bias(
        bias, weight.shape[0], f"weight's {weight.shape[0]} outputs"
    )


def _check_feature_shape(feature_shape: object, layout: str, inputs: int) -> tuple[int, int, int]:
    if isinstance(feature_shape, (str, bytes)) or not isinstance(feature_shape, (Sequence, np.ndarray)):
        raise TypeError(f"feature_shape must be a sequence {layout} of three integers, got {feature_shape!r}")
    dims = tuple(feature_shape.tolist() if isinstance(feature_shape, np.ndarray) else feature_shape)
    if len(dims) != 3:
        raise ValueError(f"feature_shape must be the 3-D feature map {layout} that was flattened, got {dims}")
    if any(isinstance(d, bool) or not isinstance(d, (int, np.integer)) for d in dims):
        raise TypeError(f"feature_shape must hold integers, got {dims}")
    if any(d < 1 for d in dims):
        raise ValueError(f"feature_shape must hold positive sizes, got {dims}")
    if math.prod(dims) != inputs:
        raise ValueError(
            f"feature_shape {layout}={dims} flattens to {math.prod(dims)} values, "
            f"but the layer has {inputs} inputs"
        )
    return int(dims[0]), int(dims[1]), int(dims[2])


def flatten_dense_keras_to_torch(
    kernel: np.ndarray, bias: np.ndarray | None, feature_shape: Sequence[int] | np.ndarray
) -> tuple[np.ndarray, np.ndarray | None]:
    """Convert a Keras ``Dense`` reading a flattened ``(H, W, C)`` map to an ``nn.Linear`` after ``Flatten``.

    Args:
        kernel: the Keras kernel, ``(H * W * C, out)``; its rows are in ``(H, W, C)`` order, because Keras
            flattens channels-last maps.
        bias: ``(out,)`` or ``None``.
        feature_shape: ``(H, W, C)``, the Keras feature map that was flattened (without the batch axis).

    Returns:
        ``(weight, bias)`` for ``nn.Linear``: ``weight`` is ``(out, C * H * W)`` with its columns in
        ``(C, H, W)`` order, the order in which ``nn.Flatten`` lists an ``(N, C, H, W)`` map.

    Raises:
        ValueError: if ``kernel`` is not 2-D, ``H * W * C`` is not its number of rows, or ``bias`` is not
            ``(out,)``.
        TypeError: if ``feature_shape`` is not three integers.
    """
    kernel = _as_array(kernel, "kernel")
    if kernel.ndim != 2:
        raise ValueError(f"a Keras Dense kernel must have shape (in, out), got {kernel.shape}")
    h, w, c = _check_feature_shape(feature_shape, "(H, W, C)", kernel.shape[0])
    out = kernel.shape[1]
    # Row r of the kernel multiplies input value r: put the rows in the order nn.Flatten lists the values.
    chw_rows = kernel.reshape(h, w, c, out).transpose(2, 0, 1, 3).reshape(c * h * w, out)
    return chw_rows.T.copy(), _check_bias(bias, out, f"kernel's {out} outputs")


def flatten_dense_torch_to_keras(
    weight: np.ndarray, bias: np.ndarray | None, feature_shape: Sequence[int] | np.ndarray
) -> tuple[np.ndarray, np.ndarray | None]:
    """Convert an ``nn.Linear`` reading a flattened ``(C, H, W)`` map to a Keras ``Dense`` after ``Flatten``.

    The inverse of :func:`flatten_dense_keras_to_torch`.

    Args:
        weight: the ``nn.Linear`` weight, ``(out, C * H * W)``, columns in ``(C, H, W)`` order.
        bias: ``(out,)`` or ``None``.
        feature_shape: ``(C, H, W)``, the PyTorch feature map that was flattened (without the batch axis).

    Returns:
        ``(kernel, bias)`` for Keras: ``kernel`` is ``(H * W * C, out)`` with rows in ``(H, W, C)`` order.

    Raises:
        ValueError: if ``weight`` is not 2-D, ``C * H * W`` is not its number of columns, or ``bias`` is not
            ``(out,)``.
        TypeError: if ``feature_shape`` is not three integers.
    """
    weight = _as_array(weight, "weight")
    if weight.ndim != 2:
        raise ValueError(f"an nn.Linear weight must have shape (out, in), got {weight.shape}")
    c, h, w = _check_feature_shape(feature_shape, "(C, H, W)", weight.shape[1])
    out = weight.shape[0]
    hwc_rows = weight.reshape(out, c, h, w).transpose(2, 3, 1, 0).reshape(h * w * c, out)
    return hwc_rows.copy(), _check_bias(bias, out, f"weight's {out} outputs")


# --- model level --------------------------------------------------------------------------------------------


def _keras_weighted_layers(keras: Any, model: Any) -> list[Any]:
    """The layers of ``model`` that hold weights, in order; TypeError for kinds this module cannot convert."""
    if not isinstance(model, keras.Model):
        raise TypeError(
            f"keras_model must be a keras.Model (Sequential or functional), got {type(model).__name__}"
        )
    if not model.built:
        raise ValueError(
            "the Keras model is not built, so its layers have no weights yet: start it with "
            "keras.Input(...), call model.build(input_shape) or call it on a batch"
        )
    layers = []
    for layer in model.layers:
        if not layer.weights:
            continue  # Input, Flatten, pooling, Dropout, activations: nothing to copy
        kind = type(layer).__name__
        if isinstance(layer, keras.Model):
            raise TypeError(
                f"Keras layer {layer.name!r} is a nested model ({kind}); only flat Sequential or functional "
                "models are supported: list its layers in the outer model"
            )
        if not isinstance(layer, (keras.layers.Dense, keras.layers.Conv2D)):
            raise TypeError(
                f"Keras layer {layer.name!r} ({kind}) has weights, but only Dense and Conv2D can be converted"
            )
        expected = 2 if layer.use_bias else 1
        if len(layer.weights) != expected:
            # LoRA adds two low-rank matrices and quantisation adds scales; neither has a plain torch twin.
            raise TypeError(
                f"Keras layer {layer.name!r} ({kind}) has {len(layer.weights)} weights, expected kernel"
                f"{' and bias' if layer.use_bias else ''}: LoRA-enabled or quantised layers cannot be "
                "converted"
            )
        if getattr(layer, "data_format", "channels_last") != "channels_last":
            raise ValueError(
                f"Keras layer {layer.name!r} uses data_format={layer.data_format!r}; only channels_last "
                "Keras models are supported (where a Flatten lists (H, W, C) and PyTorch's lists (C, H, W))"
            )
        layers.append(layer)
    return layers


def _torch_weighted_modules(nn: Any, model: Any) -> list[tuple[str, Any]]:
    """``(name, module)`` for the modules of ``model`` with parameters or buffers, in ``modules()`` order."""
    if not isinstance(model, nn.Module):
        raise TypeError(f"torch_model must be a torch.nn.Module, got {type(model).__name__}")
    modules = []
    for name, module in model.named_modules():
        # Direct state only: a container such as nn.Sequential holds its children's parameters, not its own.
        own_state = list(module.parameters(recurse=False)) + list(module.buffers(recurse=False))
        if not own_state:
            continue
        label = name or "<root>"
        if not isinstance(module, (nn.Linear, nn.Conv2d)):
            raise TypeError(
                f"torch module {label!r} ({type(module).__name__}) has parameters or buffers, but only "
                "nn.Linear and nn.Conv2d can be converted"
            )
        modules.append((label, module))
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
    if len(shape) != 3:
        return None  # a (features,) or (steps, features) input reads in the same order in both frameworks
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


def _plan(
    keras_model: Any, torch_model: Any
) -> tuple[Any, list[tuple[Any, str, Any, tuple[int, int, int] | None]]]:
    """Check that the two models pair up; return ``(torch, [(layer, label, module, hwc_or_None), ...])``."""
    import keras
    import torch
    from torch import nn

    layers = _keras_weighted_layers(keras, keras_model)
    modules = _torch_weighted_modules(nn, torch_model)
    if len(layers) != len(modules):
        keras_list = ", ".join(f"{layer.name}: {type(layer).__name__}" for layer in layers)
        torch_list = ", ".join(f"{name}: {type(module).__name__}" for name, module in modules)
        raise ValueError(
            f"the Keras model has {len(layers)} layers with weights ({keras_list}) but the torch model has "
            f"{len(modules)} modules with parameters ({torch_list})"
        )
    has_flatten = any(isinstance(layer, keras.layers.Flatten) for layer in keras_model.layers)
    plan = []
    for layer, (label, module) in zip(layers, modules):
        keras_kind, torch_kind = type(layer).__name__, type(module).__name__
        is_dense = isinstance(layer, keras.layers.Dense)
        if is_dense != isinstance(module, nn.Linear):
            raise ValueError(
                f"Keras layer {layer.name!r} ({keras_kind}) is paired with torch module {label!r} "
                f"({torch_kind}): the weighted layers must come in the same order, Dense with nn.Linear and "
                "Conv2D with nn.Conv2d"
            )
        if layer.use_bias != (module.bias is not None):
            raise ValueError(
                f"Keras layer {layer.name!r} has use_bias={layer.use_bias} but torch module {label!r} has "
                f"bias={'present' if module.bias is not None else 'None'}"
            )
        hwc = _dense_feature_shape(keras, layer, has_flatten) if is_dense else None
        if not is_dense:
            reason = _conv_mismatch(layer, label, module)
            if reason is not None:
                raise ValueError(reason)
        plan.append((layer, label, module, hwc))
    return torch, plan


def _check_shape(
    layer: Any, label: str, converted: np.ndarray, target: tuple[int, ...], direction: str
) -> None:
    if tuple(converted.shape) != tuple(target):
        raise ValueError(
            f"Keras layer {layer.name!r} and torch module {label!r} do not fit: the weights converted "
            f"{direction} have shape {tuple(converted.shape)}, the target has shape {tuple(target)}"
        )


def keras_to_torch(keras_model: Any, torch_model: Any) -> None:
    """Copy every weight of a built Keras model into a PyTorch module, in place.

    The Keras layers with weights (``Dense``, ``Conv2D``) are paired, in order, with the torch modules with
    parameters (``nn.Linear``, ``nn.Conv2d``, in ``torch_model.modules()`` order); layers without weights
    (Input, Flatten, pooling, Dropout, activations) are skipped on both sides. Kernels are transposed from
    Keras' ``(in, out)`` / ``(kh, kw, in, out)`` to torch's ``(out, in)`` / ``(out, in, kh, kw)``. A Dense
    that reads a ``Flatten`` of an ``(H, W, C)`` feature map also has its rows reordered to the ``(C, H, W)``
    order of ``nn.Flatten`` on an ``(N, C, H, W)`` map (:func:`flatten_dense_keras_to_torch`). The Keras model
    feeds ``(N, H, W, C)`` images, the torch model the same images as ``(N, C, H, W)``.

    Everything is checked before anything is written, so a failed call leaves ``torch_model`` unchanged.

    Raises:
        TypeError: for a model of the wrong type, or a Keras layer with weights / torch module with
            parameters of an unsupported kind (e.g. BatchNormalization, LSTM, Embedding, nn.BatchNorm2d),
            naming it.
        ValueError: if the Keras model is not built, the numbers of weighted layers differ, a pair is of
            different kinds, has different bias presence or different shapes, a Conv2D pair differs in stride,
            dilation, groups or padding in a way that changes the output, or a Keras layer is channels_first.
    """
    torch, plan = _plan(keras_model, torch_model)
    updates: list[tuple[Any, np.ndarray]] = []
    for layer, label, module, hwc in plan:
        kernel, *rest = layer.get_weights()
        bias = rest[0] if rest else None
        if isinstance(module, torch.nn.Linear):
            if hwc is None:
                weight, bias = dense_keras_to_torch(kernel, bias)
            else:
                weight, bias = flatten_dense_keras_to_torch(kernel, bias, hwc)
        else:
            weight, bias = conv2d_keras_to_torch(kernel, bias)
        _check_shape(layer, label, weight, tuple(module.weight.shape), "to torch")
        updates.append((module.weight, weight))
        if bias is not None:
            _check_shape(layer, label, bias, tuple(module.bias.shape), "to torch")
            updates.append((module.bias, bias))
    with torch.no_grad():
        for parameter, value in updates:
            parameter.copy_(torch.from_numpy(value))  # copy_ casts to the parameter's dtype and device


def _to_numpy(torch: Any, tensor: Any) -> np.ndarray:
    tensor = tensor.detach().cpu()
    if tensor.dtype in (torch.bfloat16, torch.float16):
        tensor = tensor.float()  # NumPy has no bfloat16; Keras casts to the variable's dtype anyway
    return np.array(tensor.numpy(), copy=True)


def torch_to_keras(torch_model: Any, keras_model: Any) -> None:
    """Copy every parameter of a PyTorch module into a built Keras model, in place (``layer.set_weights``).

    The inverse of :func:`keras_to_torch`, with the same pairing rules: torch's ``(out, in)`` /
    ``(out, in, kh, kw)`` become Keras' ``(in, out)`` / ``(kh, kw, in, out)``, and an ``nn.Linear`` that reads
    an ``nn.Flatten`` of a ``(C, H, W)`` map has its columns reordered to the ``(H, W, C)`` order of the Keras
    ``Flatten`` (:func:`flatten_dense_torch_to_keras`); the feature-map shape is read from the Keras model.

    Everything is checked before anything is written, so a failed call leaves ``keras_model`` unchanged.

    Raises:
        TypeError, ValueError: as :func:`keras_to_torch`.
    """
    torch, plan = _plan(keras_model, torch_model)
    updates: list[tuple[Any, list[np.ndarray]]] = []
    for layer, label, module, hwc in plan:
        weight = _to_numpy(torch, module.weight)
        bias = None if module.bias is None else _to_numpy(torch, module.bias)
        if isinstance(module, torch.nn.Linear):
            if hwc is None:
                kernel, bias = dense_torch_to_keras(weight, bias)
            else:
                h, w, c = hwc
                kernel, bias = flatten_dense_torch_to_keras(weight, bias, (c, h, w))
        else:
            kernel, bias = conv2d_torch_to_keras(weight, bias)
        targets = [tuple(w.shape) for w in layer.weights]
        _check_shape(layer, label, kernel, targets[0], "to Keras")
        values = [kernel]
        if bias is not None:
            _check_shape(layer, label, bias, targets[1], "to Keras")
            values.append(bias)
        updates.append((layer, values))
    for layer, values in updates:
        layer.set_weights(values)
