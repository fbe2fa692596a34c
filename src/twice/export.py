"""Export a trained model out of its framework, run it back, and run it in an outside runtime: ONNX Runtime.

A model that leaves its framework is a file, and a file can be wrong in ways the model was not: a layer left
in training mode, a batch size frozen to the example's, weights moved with the wrong rule. So every path here
ends in a number: the same batch goes through the live model and through each export, and
:func:`compare_outputs` gives the largest absolute difference of the logits between every pair
(:class:`Parity`), which :meth:`Parity.check` holds to :data:`PARITY_TOLERANCE`.

The paths, one function each:

* Keras → TensorFlow SavedModel (:func:`keras_to_saved_model`, Keras 3's ``model.export``, endpoint
  ``serve``) and → ONNX (:func:`keras_to_onnx`, ``model.export(format="onnx")``, which calls tf2onnx);
* PyTorch → ``torch.export`` ExportedProgram, a ``.pt2`` file (:func:`torch_to_exported_program`) and →
  ONNX (:func:`torch_to_onnx`, ``torch.onnx.export(dynamo=True)``, which needs onnxscript; or the legacy
  TorchScript-based exporter);
* back: :func:`load_export` turns any of these files (and a ``.keras`` file) into a function from a NumPy
  batch to NumPy outputs, the ONNX ones through ONNX Runtime's CPU ``InferenceSession`` (:func:`run_onnx`);
  :func:`describe_onnx` says what a converter wrote (producer, opset, inputs, operators).

Both ONNX exporters write :data:`ONNX_OPSET`, and both keep the batch axis free, so one file serves any
batch size. Each export keeps its framework's layout: an ONNX file from Keras reads NHWC images, one from
PyTorch NCHW (see :mod:`twice.layouts`). Importing this module imports no framework, ONNX or ONNX Runtime;
the functions import what they need when called. Introduced in chapter 6.
"""

from __future__ import annotations

import contextlib
import logging
import os
import warnings
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np

from . import checks

ONNX_OPSET = 18
"""The ONNX opset both exporters write: the highest that tf2onnx 1.17 (behind Keras' ONNX export) supports.

tf2onnx refuses 19 and up ("Opset 19 is not supported yet. Please use a lower opset"); PyTorch's exporter
would write 20 by default. One opset for both files keeps the comparison about the models. Introduced in
chapter 6.

>>> ONNX_OPSET
18
"""

PARITY_TOLERANCE = 1e-4
"""The largest absolute difference of logits that :meth:`Parity.check` accepts between two runs of a model.

Measured on chapter 2's CNN in float32: Keras, its SavedModel, ONNX Runtime on either ONNX file, PyTorch and
its ``torch.export`` program differ by at most 2.4e-7 untrained (64 test digits, logits below 0.6) and by
4.8e-6 after 15 epochs of training (450 test digits, logits up to 16): the same sums in another order. So
1e-4 leaves a margin for another machine's kernels, while weights moved with a wrong rule changed the
untrained logits by 0.25. Introduced in chapter 6.

>>> PARITY_TOLERANCE
0.0001
"""

INPUT_NAME = "inputs"
"""The name of the input of every ONNX file written here (output names are each exporter's own).

Introduced in chapter 6.

>>> INPUT_NAME
'inputs'
"""

ExportKind = Literal["saved_model", "keras", "exported_program", "onnx"]
"""The kinds of export :func:`export_kind` tells apart and :func:`load_export` runs. Introduced in chapter 6."""

_ONNX_DTYPES = {"tensor(float)": np.float32, "tensor(double)": np.float64, "tensor(float16)": np.float16}


# What the converters print that says nothing about the model, silenced around their calls only: Keras'
# tf2onnx shim tests `np.object` (a FutureWarning in NumPy 2), torch.export's pytree pickling warns about
# `LeafSpec`, and PyTorch's ONNX exporter logs a warning for each torchvision operator it cannot register
# because torchvision is not installed (the book does not need it).
_NOISE = (
    (FutureWarning, r"In the future `np.object` will be defined"),
    (FutureWarning, r"`isinstance\(treespec, LeafSpec\)` is deprecated"),
)
_NOISY_LOGGERS = ("torch.onnx._internal.exporter._registration",)


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    loggers = [logging.getLogger(name) for name in _NOISY_LOGGERS]
    levels = [logger.level for logger in loggers]
    with warnings.catch_warnings():
        for category, message in _NOISE:
            warnings.filterwarnings("ignore", message=message, category=category)
        for logger in loggers:
            logger.setLevel(logging.ERROR)
        try:
            yield
        finally:
            for logger, level in zip(loggers, levels):
                logger.setLevel(level)


def _path(value: object, name: str) -> Path:
    if not isinstance(value, (str, os.PathLike)):
        raise TypeError(f"{name} must be a path (str or os.PathLike), got {type(value).__name__}")
    return Path(value)


def _suffixed(value: object, name: str, suffix: str) -> Path:
    path = _path(value, name)
    if path.suffix != suffix:
        raise ValueError(f"{name} must end in {suffix!r}, got {str(path)!r}")
    return path


def _keras_input_signature(model: Any) -> list[Any]:
    """One ``tf.TensorSpec`` for the model's single input, batch axis free, named :data:`INPUT_NAME`."""
    import keras
    import tensorflow as tf

    if not isinstance(model, keras.Model):
        raise TypeError(f"model must be a keras.Model, got {type(model).__name__}")
    if not model.built or len(model.inputs) != 1:
        raise ValueError("model must be a built Keras model with one input (start it with keras.Input(...))")
    shape = (None, *model.inputs[0].shape[1:])
    return [tf.TensorSpec(shape, model.inputs[0].dtype, name=INPUT_NAME)]


def keras_to_saved_model(model: Any, folder: str | os.PathLike[str]) -> Path:
    """Export a Keras model as a TensorFlow SavedModel, its inference function only: ``model.export``.

    The folder holds the graph and the weights; :func:`load_export` (``tf.saved_model.load``) runs it
    without the model's Python code. Dropout is off in the export (``training=False``). Returns the folder.
    Introduced in chapter 6.

    >>> import tempfile, keras
    >>> model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    >>> x = np.ones((4, 3), dtype=np.float32)
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = keras_to_saved_model(model, Path(folder) / "dense")
    ...     same = np.allclose(load_export(path)(x), model(x))
    >>> path.name, same
    ('dense', True)

    Raises:
        TypeError: if ``model`` is not a Keras model or ``folder`` not a path.
        ValueError: for a model that is not built or has more than one input.
    """
    path = _path(folder, "folder")
    with _quiet():
        model.export(
            str(path), format="tf_saved_model", verbose=False, input_signature=_keras_input_signature(model)
        )
    return path


def keras_to_onnx(model: Any, path: str | os.PathLike[str], *, opset: int = ONNX_OPSET) -> Path:
    """Export a Keras model to an ONNX file: Keras 3's ``model.export(path, format="onnx")``.

    On the TensorFlow backend Keras traces the model's inference function and hands it to tf2onnx (which must
    be installed: "This requires the tf2onnx module"). The input signature is given explicitly, its batch
    axis free: without one Keras refuses a model that was never called on data ("The model provided has never
    called."). The file reads the Keras layout (NHWC images). Returns the path. Introduced in chapter 6.

    >>> import tempfile, keras
    >>> model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    >>> x = np.ones((4, 3), dtype=np.float32)
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = keras_to_onnx(model, Path(folder) / "dense.onnx")
    ...     summary, same = describe_onnx(path), np.allclose(run_onnx(path, x), model(x))
    >>> summary.producer  # tf2onnx writes its git commit after the version: None in a release wheel
    'tf2onnx 1.17.0 None'
    >>> summary.opset, summary.inputs, same
    (18, (('inputs', (None, 3)),), True)

    Raises:
        TypeError: if ``model`` is not a Keras model, ``path`` not a path or ``opset`` not an integer.
        ValueError: for a path that does not end in ``.onnx``, an opset below 7, or a model that is not built
            or has more than one input.
    """
    target = _suffixed(path, "path", ".onnx")
    opset = checks.integer(opset, "opset", minimum=7)
    signature = _keras_input_signature(model)
    with _quiet():
        model.export(str(target), format="onnx", verbose=False, input_signature=signature, opset_version=opset)
    return target


def _torch_example(torch: Any, model: Any, example: object) -> Any:
    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    batch = checks.array(example, "example")
    if batch.ndim < 1 or batch.shape[0] < 2:
        # torch.export specialises a dimension of size 0 or 1 to a constant, so a free batch axis needs two.
        raise ValueError(
            f"example must be a batch of at least 2 examples (a batch axis of 1 is fixed by torch.export), "
            f"got shape {batch.shape}"
        )
    return torch.from_numpy(np.ascontiguousarray(batch))


def _in_eval_mode(model: Any, export: Callable[[], Any]) -> Any:
    """Run ``export()`` with ``model`` in eval mode, then put its mode back.

    An export records the mode it was traced in: a model exported in training mode keeps its dropout, and the
    exported module refuses ``.eval()`` ("Calling eval() is not supported yet")."""
    training = model.training
    model.eval()
    try:
        return export()
    finally:
        model.train(training)


def torch_to_exported_program(model: Any, example: object, path: str | os.PathLike[str]) -> Path:
    """Export a PyTorch model with ``torch.export`` and save the ExportedProgram as a ``.pt2`` file.

    ``example`` is a batch in the model's layout (NCHW images), at least two examples: its batch axis is
    exported as a free dimension (``torch.export.Dim("batch")``); without one, the program only takes the
    example's batch size ("Guard failed: input.size()[0] == 7"). The model is exported in eval mode and left
    in the mode it was in. :func:`load_export` runs the file back (``torch.export.load``). Returns the path.
    Introduced in chapter 6.

    >>> import tempfile, torch
    >>> model = torch.nn.Linear(3, 2)
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = torch_to_exported_program(model, np.ones((4, 3), np.float32), Path(folder) / "linear.pt2")
    ...     outputs = load_export(path)(np.ones((5, 3), np.float32))
    >>> path.name, outputs.shape
    ('linear.pt2', (5, 2))

    Raises:
        TypeError: if ``model`` is not a ``torch.nn.Module``, ``example`` not a numeric array or ``path`` not a
            path.
        ValueError: for a path that does not end in ``.pt2`` or an example batch of fewer than 2.
    """
    import torch

    target = _suffixed(path, "path", ".pt2")
    batch = _torch_example(torch, model, example)
    dynamic = ({0: torch.export.Dim("batch")},)
    with _quiet():
        program = _in_eval_mode(model, lambda: torch.export.export(model, (batch,), dynamic_shapes=dynamic))
        torch.export.save(program, target)
    return target


def torch_to_onnx(
    model: Any,
    example: object,
    path: str | os.PathLike[str],
    *,
    opset: int = ONNX_OPSET,
    dynamo: bool = True,
) -> Path:
    """Export a PyTorch model to an ONNX file with ``torch.onnx.export``.

    ``dynamo=True`` (PyTorch's default exporter since 2.9) captures the model with ``torch.export`` and
    translates it with onnxscript, which must be installed; ``dynamo=False`` is the legacy TorchScript-based
    exporter (deprecated: PyTorch warns). Either way the batch axis is free (so ``example`` needs at least two
    examples, as in :func:`torch_to_exported_program`), the model is exported in eval mode and left in its
    mode, and the file reads the PyTorch layout (NCHW images), its input named :data:`INPUT_NAME` and its
    output ``logits``. Returns the path. Introduced in chapter 6.

    >>> import tempfile, torch
    >>> model = torch.nn.Linear(3, 2)
    >>> x = np.ones((4, 3), dtype=np.float32)
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = torch_to_onnx(model, x, Path(folder) / "linear.onnx")
    ...     summary = describe_onnx(path)
    ...     same = np.allclose(run_onnx(path, x), model(torch.from_numpy(x)).detach().numpy(), atol=1e-6)
    >>> summary.producer.split("+")[0], summary.opset, summary.inputs, summary.outputs, same
    ('pytorch 2.13.0', 18, (('inputs', (None, 3)),), (('logits', (None, 2)),), True)

    Raises:
        TypeError: if ``model`` is not a ``torch.nn.Module``, ``example`` not a numeric array, ``path`` not a
            path, ``opset`` not an integer or ``dynamo`` not a bool.
        ValueError: for a path that does not end in ``.onnx``, an opset below 7, or an example batch of fewer
            than 2.
    """
    import torch

    target = _suffixed(path, "path", ".onnx")
    opset = checks.integer(opset, "opset", minimum=7)
    if not isinstance(dynamo, bool):
        raise TypeError(f"dynamo must be a bool, got {type(dynamo).__name__}")
    batch = _torch_example(torch, model, example)

    def export() -> Any:
        if dynamo:
            dynamic = ({0: torch.export.Dim("batch")},)
            return torch.onnx.export(
                model, (batch,), str(target), dynamo=True, verbose=False, opset_version=opset,
                input_names=[INPUT_NAME], output_names=["logits"], dynamic_shapes=dynamic,
            )  # fmt: skip
        axes = {INPUT_NAME: {0: "batch"}, "logits": {0: "batch"}}
        return torch.onnx.export(
            model, (batch,), str(target), dynamo=False, opset_version=opset,
            input_names=[INPUT_NAME], output_names=["logits"], dynamic_axes=axes,
        )  # fmt: skip

    with _quiet():
        _in_eval_mode(model, export)
    return target


def export_kind(path: str | os.PathLike[str]) -> ExportKind:
    """What kind of export ``path`` holds, told by its name (and, for a folder, a ``saved_model.pb`` in it).

    ``"saved_model"`` (a folder), ``"keras"`` (``.keras``), ``"exported_program"`` (``.pt2``) or ``"onnx"``
    (``.onnx``). Introduced in chapter 6.

    >>> export_kind("cnn.onnx"), export_kind("cnn.pt2"), export_kind("cnn.keras")
    ('onnx', 'exported_program', 'keras')

    Raises:
        TypeError: if ``path`` is not a path.
        ValueError: for any other name, or a folder without a ``saved_model.pb``.
    """
    target = _path(path, "path")
    kinds: dict[str, ExportKind] = {".onnx": "onnx", ".pt2": "exported_program", ".keras": "keras"}
    if target.suffix in kinds:
        return kinds[target.suffix]
    if (target / "saved_model.pb").is_file():
        return "saved_model"
    raise ValueError(
        f"cannot tell what {str(target)!r} holds: expected a SavedModel folder (with saved_model.pb), "
        "or a file ending in .keras, .pt2 or .onnx"
    )


def _onnx_runner(path: Path) -> Callable[[np.ndarray], np.ndarray]:
    import onnxruntime

    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    inputs = session.get_inputs()
    if len(inputs) != 1:
        raise ValueError(f"{str(path)!r} has {len(inputs)} inputs; only single-input models can be run here")
    name, dtype = inputs[0].name, _ONNX_DTYPES.get(inputs[0].type)

    def run(batch: np.ndarray) -> np.ndarray:
        # ONNX Runtime refuses float64 for a float input: cast to the type the file declares.
        data = batch if dtype is None else batch.astype(dtype, copy=False)
        return np.asarray(session.run(None, {name: data})[0])

    return run


def load_export(path: str | os.PathLike[str]) -> Callable[[np.ndarray], np.ndarray]:
    """Load an export and return a function from a NumPy batch (in the layout it was exported with) to NumPy.

    A SavedModel runs its ``serve`` endpoint (``tf.saved_model.load``), a ``.keras`` file the reloaded model
    (``training=False``), a ``.pt2`` file the ExportedProgram's module (``torch.export.load``, no gradients)
    and an ``.onnx`` file an ONNX Runtime CPU session (:func:`run_onnx`); each imports only what it needs.
    Introduced in chapter 6.

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     relu = load_export(_example_onnx(Path(folder) / "relu.onnx"))
    ...     outputs = relu(np.array([[-1.0, 0.0, 2.0]], dtype=np.float32))
    >>> outputs
    array([[0., 0., 2.]], dtype=float32)

    Raises:
        TypeError: if ``path`` is not a path.
        ValueError: as :func:`export_kind`; for an ONNX file with more than one input.
    """
    target = _path(path, "path")
    kind = export_kind(target)
    if kind == "onnx":
        return _onnx_runner(target)
    if kind == "exported_program":
        import torch

        with _quiet():
            module = torch.export.load(target).module()

        def run_torch(batch: np.ndarray) -> np.ndarray:
            with torch.no_grad():
                return np.asarray(module(torch.from_numpy(np.ascontiguousarray(batch))).numpy())

        return run_torch
    if kind == "keras":
        import keras

        model = keras.saving.load_model(target)
        return lambda batch: np.asarray(model(batch, training=False))
    import tensorflow as tf

    loaded = tf.saved_model.load(str(target))
    return lambda batch: np.asarray(loaded.serve(tf.constant(batch)))


def run_onnx(path: str | os.PathLike[str], batch: object) -> np.ndarray:
    """Run an ONNX file on one batch in ONNX Runtime (a CPU ``InferenceSession``) and return its first output.

    The batch is cast to the floating type the file declares for its input (float32 for the book's models).
    For many batches, load once with :func:`load_export`. Introduced in chapter 6.

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     outputs = run_onnx(_example_onnx(Path(folder) / "relu.onnx"), [[-1.0, 0.5, 2.0]])
    >>> outputs
    array([[0. , 0.5, 2. ]], dtype=float32)

    Raises:
        TypeError: if ``path`` is not a path or ``batch`` not a numeric array.
        ValueError: for a path that does not end in ``.onnx``, or a file with more than one input.
    """
    target = _suffixed(path, "path", ".onnx")
    return _onnx_runner(target)(checks.array(batch, "batch"))


@dataclass(frozen=True)
class OnnxSummary:
    """What an ONNX file says about itself: who wrote it, in which opset, with which inputs and operators.

    Shapes list ``None`` for a free axis (each exporter names those its own way, tf2onnx ``unk__44``, PyTorch
    ``batch``). ``operators`` are the node types in graph order: tf2onnx turns Keras' NHWC into ONNX's NCHW
    with a ``Transpose`` before the flattening, PyTorch's graph needs none. Introduced in chapter 6.

    >>> summary = OnnxSummary("pytorch 2.13.0", 18, (("inputs", (None, 3)),), (("logits", (None, 2)),), ("Gemm",))
    >>> summary.inputs[0], summary.operators
    (('inputs', (None, 3)), ('Gemm',))
    """

    producer: str
    opset: int
    inputs: tuple[tuple[str, tuple[int | None, ...]], ...]
    outputs: tuple[tuple[str, tuple[int | None, ...]], ...]
    operators: tuple[str, ...]


def describe_onnx(path: str | os.PathLike[str]) -> OnnxSummary:
    """An :class:`OnnxSummary` of an ONNX file (read with the ``onnx`` package, checked by its checker).

    Introduced in chapter 6.

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     summary = describe_onnx(_example_onnx(Path(folder) / "relu.onnx"))
    >>> summary.opset, summary.inputs, summary.operators
    (18, (('x', (None, 3)),), ('Relu',))

    Raises:
        TypeError: if ``path`` is not a path.
        ValueError: for a path that does not end in ``.onnx``.
        onnx.checker.ValidationError: for a file that is not a valid ONNX model.
    """
    import onnx

    target = _suffixed(path, "path", ".onnx")
    model = onnx.load(str(target))
    onnx.checker.check_model(model)

    def values(infos: Any) -> tuple[tuple[str, tuple[int | None, ...]], ...]:
        return tuple(
            (
                info.name,
                tuple(
                    d.dim_value if d.HasField("dim_value") else None for d in info.type.tensor_type.shape.dim
                ),
            )
            for info in infos
        )

    opset = next(entry.version for entry in model.opset_import if entry.domain in ("", "ai.onnx"))
    producer = f"{model.producer_name} {model.producer_version}".strip()
    operators = tuple(node.op_type for node in model.graph.node)
    return OnnxSummary(producer, int(opset), values(model.graph.input), values(model.graph.output), operators)


def _example_onnx(path: Path) -> Path:
    """Write a one-node ONNX model, ``y = relu(x)`` with ``x`` of shape ``(None, 3)``, for the examples."""
    import onnx
    from onnx import TensorProto, helper

    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [None, 3])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [None, 3])
    graph = helper.make_graph([helper.make_node("Relu", ["x"], ["y"])], "relu", [x], [y])
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", ONNX_OPSET)]), str(path))
    return path


@dataclass(frozen=True, eq=False)
class Parity:
    """The largest absolute difference between the outputs of every pair of runs: what :func:`compare_outputs`
    found.

    ``differences[i, j]`` is ``max |outputs_i - outputs_j|`` over the whole batch, for the runs named
    ``names[i]`` and ``names[j]`` (NaN where either has a NaN). Printed, it is a table of these numbers.
    Introduced in chapter 6.

    >>> parity = compare_outputs({"Keras": [[1.0, 2.0]], "ONNX": [[1.0, 2.5]]})
    >>> parity.difference("Keras", "ONNX"), parity.worst
    (0.5, ('Keras', 'ONNX', 0.5))
    """

    names: tuple[str, ...]
    differences: np.ndarray

    def difference(self, first: str, second: str) -> float:
        """``max |outputs_first - outputs_second|``."""
        index = {name: i for i, name in enumerate(self.names)}
        for name in (first, second):
            if name not in index:
                raise KeyError(f"no run named {name!r}: the runs are {', '.join(map(repr, self.names))}")
        return float(self.differences[index[first], index[second]])

    @property
    def worst(self) -> tuple[str, str, float]:
        """The pair of runs that differ most, and by how much (a NaN counts as the worst)."""
        pairs = [(a, b) for i, a in enumerate(self.names) for b in self.names[i + 1 :]]
        scores = [self.difference(a, b) for a, b in pairs]
        worst = max(range(len(pairs)), key=lambda k: np.inf if np.isnan(scores[k]) else scores[k])
        return (*pairs[worst], scores[worst])

    def check(self, tolerance: float = PARITY_TOLERANCE) -> Parity:
        """``self`` if every pair agrees within ``tolerance``; otherwise AssertionError naming the worst pair.

        >>> compare_outputs({"Keras": [[1.0]], "PyTorch": [[1.0 + 1e-7]]}).check().worst[:2]
        ('Keras', 'PyTorch')
        """
        tolerance = checks.positive(tolerance, "tolerance")
        first, second, gap = self.worst
        if not gap <= tolerance:
            raise AssertionError(
                f"{first} and {second} differ by {gap:.3g} (largest absolute difference of the outputs), more "
                f"than the tolerance {tolerance:g}"
            )
        return self

    def __str__(self) -> str:
        label = max(len(name) for name in self.names)
        width = max(8, label) + 2  # a column holds its name or a number such as 1.90e-07, and a gap
        header = " " * label + "".join(f"{name:>{width}}" for name in self.names)
        rows = [
            f"{name:<{label}}" + "".join(f"{value:>{width}.2e}" for value in row)
            for name, row in zip(self.names, self.differences)
        ]
        return "\n".join([header, *rows])


def compare_outputs(outputs: Mapping[str, object]) -> Parity:
    """Compare the outputs of several runs on the same batch, every pair: a :class:`Parity`.

    ``outputs`` maps a name (``"Keras"``, ``"ONNX from PyTorch"``) to that run's outputs, all of one shape
    (logits ``(N, classes)``, say). NumPy only: pass what the frameworks returned, as arrays. Differences are
    computed in float64, so that they are not rounded again. Introduced in chapter 6.

    >>> print(compare_outputs({"Keras": [[1.0, 2.0]], "PyTorch": [[1.0, 2.0]], "ONNX": [[1.0, 2.5]]}))
                Keras   PyTorch      ONNX
    Keras    0.00e+00  0.00e+00  5.00e-01
    PyTorch  0.00e+00  0.00e+00  5.00e-01
    ONNX     5.00e-01  5.00e-01  0.00e+00

    Raises:
        TypeError: if ``outputs`` is not a mapping from strings to numeric arrays.
        ValueError: for fewer than two runs, or outputs of different shapes.
    """
    if not isinstance(outputs, Mapping):
        raise TypeError(f"outputs must be a mapping from names to arrays, got {type(outputs).__name__}")
    arrays: dict[str, np.ndarray] = {}
    for name, value in outputs.items():
        if not isinstance(name, str):
            raise TypeError(f"outputs must be named by strings, got {type(name).__name__} {name!r}")
        arrays[name] = checks.array(value, f"outputs[{name!r}]").astype(np.float64)
    if len(arrays) < 2:
        raise ValueError(f"compare_outputs needs the outputs of at least 2 runs, got {len(arrays)}")
    shapes = {name: array.shape for name, array in arrays.items()}
    if len(set(shapes.values())) > 1:
        listed = ", ".join(f"{name} {shape}" for name, shape in shapes.items())
        raise ValueError(f"outputs must all have one shape (the same batch through each run), got {listed}")
    values = list(arrays.values())
    differences = np.array(
        [[float(np.max(np.abs(a - b))) if a.size else 0.0 for b in values] for a in values]
    )
    return Parity(tuple(arrays), differences)


__all__ = [
    "INPUT_NAME",
    "ONNX_OPSET",
    "PARITY_TOLERANCE",
    "ExportKind",
    "OnnxSummary",
    "Parity",
    "compare_outputs",
    "describe_onnx",
    "export_kind",
    "keras_to_onnx",
    "keras_to_saved_model",
    "load_export",
    "run_onnx",
    "torch_to_exported_program",
    "torch_to_onnx",
]
