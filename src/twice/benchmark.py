"""One timing harness for both frameworks: the same workloads, steps, batches, optimiser and clock.

A framework comparison is only as fair as its least fair detail, and the published ones have been unfair in
each of these (see the chapter): the first, compiling call averaged in; one side compiled and the other not;
one side in TF32 on a GPU; threads left at each framework's default (PyTorch's ``Timer`` pins one thread,
TensorFlow uses all cores); data loading inside the timed region. So this module fixes every one of them:

* **Workloads.** A matrix product ``(n, n) @ (n, n)`` in float32 (``2 n³`` floating-point operations, reported
  as GFLOP/s, with NumPy's BLAS at the same sizes as a third column and :func:`estimate_peak` as the
  ceiling), and one training step of each of the book's small models: chapter 1's MLP (64→32→10), chapter 2's
  CNN (:func:`twice.models.keras_survey_cnn` / :func:`~twice.models.torch_survey_cnn`, dropout 0), chapter
  3's LSTM classifier (:func:`~twice.models.keras_sequence_classifier` /
  :func:`~twice.models.torch_sequence_classifier`) and chapter 5's one-block Transformer
  (:func:`~twice.models.keras_position_classifier` / :func:`~twice.models.torch_position_classifier`).
  A step is the forward pass, the mean softmax cross-entropy, the backward pass and one update of plain SGD
  (``keras.optimizers.SGD`` / ``torch.optim.SGD``, no momentum), on one batch that is already in memory as a
  framework tensor, the same numbers in both (:func:`make_batch`), from the same initial weights
  (:func:`initial_weights`, moved with the book's weight rules by :func:`torch_state`). Both step functions
  are written in this module, next to each other, so that they do the same work. One difference had to be
  taken out: ``nn.LSTM`` adds two biases where Keras has one, and SGD moves both by the whole gradient, so
  their sum twice as far; PyTorch's ``bias_hh`` is frozen at zero here, so both train the same function.
* **Modes.** ``"eager"``: each op as it comes. ``"graph"``: TensorFlow's ``tf.function`` (traced once, no
  XLA). ``"compiled"``: ``tf.function(jit_compile=True)`` (XLA) and ``torch.compile`` (TorchInductor: C++
  kernels made by the system compiler on a CPU) of the whole step, optimiser included. PyTorch has no graph
  mode besides its compiler: TorchScript (``torch.jit``) is deprecated since PyTorch 2.5 in favour of
  ``torch.compile``, so PyTorch's ``"graph"`` is recorded as not supported and the tables show ``n/a``.
  What ``torch.compile`` makes of a step (``torch._dynamo.explain``, PyTorch 2.13): two graphs, the forward
  pass with the loss and the SGD update, split at ``loss.backward()`` (whose backward pass AOTAutograd
  compiles with the forward); for the LSTM classifier, whose ``nn.LSTM`` Dynamo does not trace
  (``torch._dynamo.config.allow_rnn`` is False), the model stays eager and only the loss and the update are
  compiled. A reader sees what each mode does, not what it promises.
* **Threads.** Each (framework, thread count) runs in a fresh Python (``python -m twice.benchmark``), because
  TensorFlow fixes its thread pools when it starts: intra-op and inter-op threads both set to the same number
  on both sides before any op (``tf.config.threading``, ``torch.set_num_threads`` and
  ``torch.set_num_interop_threads``), ``OMP_NUM_THREADS`` and the BLAS variables too, and every setting read
  back from the framework and recorded in each :class:`Result` (:class:`Settings`). TensorFloat-32 is turned
  off on both sides (:func:`twice.determinism.disable_tf32`; it matters on a GPU only) and recorded.
  The child hides any GPU: this harness measures the CPU.
* **Clock.** Our own loop with :func:`time.perf_counter`, the same for both (not ``torch.utils.benchmark.Timer``,
  whose ``num_threads=1`` default would have to be overridden on one side and has no TensorFlow twin). The
  first call is timed alone and reported as the first-call (compile) time: tracing, XLA or Inductor
  compilation, and one step. The next ``warmup`` calls are discarded; then up to ``repeats`` calls are timed
  one by one, within a time budget, and summarised by median, interquartile range, minimum and maximum
  (:func:`time_calls`, :class:`Summary`). A training step ends with ``float(loss)``, which waits for the step
  on any device; a product is synchronous on a CPU in both frameworks.
* **Equal outputs.** The first ``check_steps`` calls of every variant start from the same weights and batch,
  so their losses (a few entries of the product, for matmul) must agree across modes, thread counts and
  frameworks: :func:`check_outputs` compares them with a reference variant within :data:`CHECK_TOLERANCE`,
  and checks that every variant saw the same batch and weights (their SHA-256 fingerprints).

:func:`run_suite` runs everything and :func:`results_table` and :func:`ratio_table` print it. Importing this
module imports no framework; the child processes import one each. Introduced in chapter 6.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from . import checks

WORKLOADS: tuple[str, ...] = ("matmul", "mlp", "cnn", "lstm", "transformer")
"""The workloads, in the order the tables list them. Introduced in chapter 6.

>>> WORKLOADS[0], len(WORKLOADS)
('matmul', 5)
"""

MODES: tuple[str, ...] = ("eager", "graph", "compiled")
"""How a step runs: op by op, as a traced graph (TensorFlow only), or compiled (XLA, TorchInductor).

Introduced in chapter 6.

>>> "graph" in MODES
True
"""

FRAMEWORKS: tuple[str, ...] = ("numpy", "pytorch", "tensorflow")
"""What runs the workloads. NumPy runs the matrix product only, in ``"eager"`` mode: it is the BLAS baseline,
not a contender. Introduced in chapter 6.

>>> FRAMEWORKS
('numpy', 'pytorch', 'tensorflow')
"""

CHECK_TOLERANCE = 1e-4
"""How far a variant's check values may lie from the reference variant's: ``max |v - ref| / max(1, max |ref|)``.

Measured on a two-core CPU: float32 losses after three SGD steps differ by at most 3e-7 between frameworks,
modes and thread counts, and products of up to 1024 × 1024 by 3e-7. Wrong variants lie far above: PyTorch's
LSTM with both of its biases trained (see the module's docstring) by 3e-4, the MLP with a learning rate of 0.5
for 0.05 by 0.6. Introduced in chapter 6.

>>> CHECK_TOLERANCE
0.0001
"""

MODEL_SIZES: dict[str, dict[str, int]] = {
    "mlp": {"features": 64, "hidden": 32, "classes": 10},
    "cnn": {"height": 8, "width": 8, "classes": 10},
    "lstm": {"steps": 8, "features": 8, "units": 32, "layers": 2, "classes": 10},
    "transformer": {"vocab": 10, "length": 12, "dim": 32, "heads": 2, "hidden": 64, "classes": 10},
}
"""The sizes of each model, as its chapter builds it (chapter 5's reversal task: 10 digits, length 12).

Introduced in chapter 6.

>>> MODEL_SIZES["lstm"]["units"], MODEL_SIZES["transformer"]["dim"]
(32, 32)
"""

_MIN_REPEATS = 3  # a time budget never cuts a variant below this many timed calls

_TORCH_GRAPH_NOTE = (
    "PyTorch has no graph mode besides torch.compile: TorchScript (torch.jit) is deprecated since PyTorch 2.5"
)


# ----------------------------------------------------------------------------------------------------------
# Statistics and the timing rule
# ----------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Summary:
    """The spread of repeated timings, in seconds: median, quartiles, extremes and count.

    Quartiles are NumPy's default percentiles (linear interpolation between the sorted values).
    Introduced in chapter 6.

    >>> s = summarise([0.001, 0.002, 0.003, 0.004, 0.1])
    >>> round(s.median * 1e3, 6), round(s.iqr * 1e3, 6), s.count
    (3.0, 2.0, 5)
    """

    median: float
    q1: float
    q3: float
    minimum: float
    maximum: float
    count: int

    @property
    def iqr(self) -> float:
        """The interquartile range ``q3 - q1``: the spread of the middle half, blind to the odd slow call."""
        return self.q3 - self.q1


def summarise(times: Sequence[float]) -> Summary:
    """:class:`Summary` of a list of durations in seconds. Introduced in chapter 6.

    >>> summarise([1.0, 2.0, 3.0, 4.0, 100.0])
    Summary(median=3.0, q1=2.0, q3=4.0, minimum=1.0, maximum=100.0, count=5)

    Raises:
        ValueError: for no times, or a time that is negative or not finite.
    """
    values = np.asarray(list(times), dtype=np.float64)
    if values.size == 0:
        raise ValueError("times must hold at least one duration, got none")
    if not np.isfinite(values).all() or (values < 0).any():
        raise ValueError(f"times must be finite and non-negative seconds, got {values.tolist()[:10]}")
    q1, median, q3 = np.percentile(values, [25, 50, 75])
    return Summary(
        median=float(median),
        q1=float(q1),
        q3=float(q3),
        minimum=float(values.min()),
        maximum=float(values.max()),
        count=int(values.size),
    )


@dataclass(frozen=True)
class Timing:
    """What :func:`time_calls` measured. Introduced in chapter 6.

    >>> timing = time_calls(lambda: 1, warmup=2, repeats=4, keep=2)
    >>> len(timing.warmup_seconds), timing.steady.count, timing.outputs
    (2, 4, (1, 1))

    Attributes:
        first_call_seconds: the first call alone: tracing and compilation included, for a compiled step.
        warmup_seconds: the next calls, timed but left out of the steady state.
        steady: the timed calls after the warm-up.
        outputs: what the first ``keep`` calls returned, in order (for the output check).
    """

    first_call_seconds: float
    warmup_seconds: tuple[float, ...]
    steady: Summary
    outputs: tuple[Any, ...]


def time_calls(
    call: Callable[[], Any],
    *,
    warmup: int = 3,
    repeats: int = 20,
    budget_seconds: float | None = None,
    keep: int = 0,
) -> Timing:
    """Time ``call()``: once alone, ``warmup`` more times (discarded), then up to ``repeats`` timed calls.

    The rule of the chapter: the first call (which traces and compiles a step under ``tf.function`` or
    ``torch.compile``) is reported on its own, never averaged in; the warm-up calls let caches,
    memory pools and any recompilation settle; the steady state is the rest. ``budget_seconds`` stops the
    timed calls early once they have taken that long in total, after at least three (so a notebook can bound
    a whole suite); ``None`` runs all ``repeats``. ``call`` must wait for its own result (``float(loss)``
    does). Introduced in chapter 6.

    >>> import time
    >>> timing = time_calls(lambda: time.sleep(0.001), warmup=1, repeats=5)
    >>> timing.steady.count, timing.steady.median >= 0.001
    (5, True)

    Raises:
        TypeError: if ``call`` is not callable or a count is not an integer.
        ValueError: for a negative warm-up or ``keep``, fewer than one repeat, or a budget that is not positive.
    """
    if not callable(call):
        raise TypeError(f"call must be callable, got {type(call).__name__}")
    warmup = checks.integer(warmup, "warmup", minimum=0)
    repeats = checks.integer(repeats, "repeats", minimum=1)
    keep = checks.integer(keep, "keep", minimum=0)
    budget = None if budget_seconds is None else checks.positive(budget_seconds, "budget_seconds")
    outputs: list[Any] = []

    def timed() -> float:
        started = time.perf_counter()
        output = call()
        elapsed = time.perf_counter() - started
        if len(outputs) < keep:
            outputs.append(output)
        return elapsed

    first = timed()
    warm = tuple(timed() for _ in range(warmup))
    steady: list[float] = []
    while len(steady) < repeats:
        steady.append(timed())
        if budget is not None and len(steady) >= _MIN_REPEATS and sum(steady) >= budget:
            break
    while len(outputs) < keep:  # more outputs asked for than calls were made
        outputs.append(call())
    return Timing(first, warm, summarise(steady), tuple(outputs))


# ----------------------------------------------------------------------------------------------------------
# The same batch and the same initial weights for both frameworks
# ----------------------------------------------------------------------------------------------------------


def _workload(value: object) -> str:
    return checks.one_of(value, "workload", WORKLOADS)


def _model_workload(value: object) -> str:
    name = _workload(value)
    if name == "matmul":
        raise ValueError("workload 'matmul' has no model, weights or labels; use one of the model workloads")
    return name


def make_batch(workload: str, size: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """The inputs of one step, in NumPy and Keras' layout; PyTorch gets the same numbers (images as NCHW).

    For ``"matmul"``: two float32 ``(size, size)`` matrices, uniform in [-1, 1). For a model: a batch of
    ``size`` examples and their integer labels: MLP features ``(N, 64)``, CNN images ``(N, 8, 8, 1)``, LSTM
    sequences ``(N, 8, 8)`` (all standard normal float32), Transformer digit ids ``(N, 12)`` whose labels are
    the reversed sequence (the chapter's task); int64 labels, int64 ids. Introduced in chapter 6.

    >>> x, y = make_batch("cnn", 4)
    >>> x.shape, x.dtype, y.tolist() == make_batch("cnn", 4)[1].tolist()
    ((4, 8, 8, 1), dtype('float32'), True)

    Raises:
        ValueError: for an unknown workload; TypeError, ValueError for a size or seed out of range.
    """
    name = _workload(workload)
    size = checks.integer(size, "size", minimum=1)
    rng = np.random.default_rng(checks.seed(seed))
    if name == "matmul":
        return (
            rng.uniform(-1.0, 1.0, size=(size, size)).astype(np.float32),
            rng.uniform(-1.0, 1.0, size=(size, size)).astype(np.float32),
        )
    sizes = MODEL_SIZES[name]
    if name == "transformer":
        ids = rng.integers(0, sizes["vocab"], size=(size, sizes["length"]))
        return ids.astype(np.int64), ids[:, ::-1].astype(np.int64).copy()
    if name == "mlp":
        shape: tuple[int, ...] = (sizes["features"],)
    elif name == "cnn":
        shape = (sizes["height"], sizes["width"], 1)
    else:
        shape = (sizes["steps"], sizes["features"])
    x = rng.standard_normal((size, *shape)).astype(np.float32)
    return x, rng.integers(0, sizes["classes"], size=size).astype(np.int64)


def _glorot(rng: np.random.Generator, shape: tuple[int, ...], fan_in: int, fan_out: int) -> np.ndarray:
    limit = math.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-limit, limit, size=shape).astype(np.float32)


def initial_weights(workload: str, seed: int = 0) -> list[np.ndarray]:
    """A model workload's initial weights, drawn in NumPy, in Keras' layout and ``get_weights()`` order.

    MLP: :func:`twice.dense.init_mlp`; CNN: :func:`twice.models.survey_cnn_initial_weights` (both Keras'
    own initialisation, written out). LSTM and Transformer: Glorot-uniform kernels (the recurrent kernels
    too, not Keras' orthogonal ones), zero biases, LayerNorm scales one and shifts zero, an embedding table
    uniform in [-0.05, 0.05] (Keras' default). For a benchmark only *equal* starts matter.
    :func:`torch_state` gives the same numbers for the PyTorch twin. Introduced in chapter 6.

    >>> [w.shape for w in initial_weights("lstm")][:3]
    [(8, 128), (32, 128), (128,)]

    Raises:
        ValueError: for ``"matmul"`` or an unknown workload; TypeError, ValueError for a bad seed.
    """
    name = _model_workload(workload)
    seed = checks.seed(seed)
    sizes = MODEL_SIZES[name]
    if name == "mlp":
        from .dense import init_mlp

        params = init_mlp((sizes["features"], sizes["hidden"], sizes["classes"]), seed=seed)
        return [array for pair in params for array in pair]
    if name == "cnn":
        from .models.cnn import survey_cnn_initial_weights

        return survey_cnn_initial_weights((sizes["height"], sizes["width"]), seed=seed)
    rng = np.random.default_rng(seed)
    weights: list[np.ndarray] = []
    if name == "lstm":
        inputs, units = sizes["features"], sizes["units"]
        for _ in range(sizes["layers"]):
            weights.append(_glorot(rng, (inputs, 4 * units), inputs, 4 * units))
            weights.append(_glorot(rng, (units, 4 * units), units, 4 * units))
            weights.append(np.zeros(4 * units, np.float32))
            inputs = units
        weights.append(_glorot(rng, (units, sizes["classes"]), units, sizes["classes"]))
        weights.append(np.zeros(sizes["classes"], np.float32))
        return weights
    dim, heads, hidden = sizes["dim"], sizes["heads"], sizes["hidden"]
    d = dim // heads
    weights.append(rng.uniform(-0.05, 0.05, size=(sizes["vocab"], dim)).astype(np.float32))
    for _ in range(3):  # query, key, value: kernel (in, heads, d), bias (heads, d)
        weights.append(_glorot(rng, (dim, heads, d), dim, heads * d))
        weights.append(np.zeros((heads, d), np.float32))
    weights.append(_glorot(rng, (heads, d, dim), heads * d, dim))  # the attention output
    weights.append(np.zeros(dim, np.float32))
    for fan_in, fan_out in ((dim, hidden), (hidden, dim)):  # linear1, linear2
        weights.append(_glorot(rng, (fan_in, fan_out), fan_in, fan_out))
        weights.append(np.zeros(fan_out, np.float32))
    for _ in range(2):  # norm1, norm2
        weights.extend([np.ones(dim, np.float32), np.zeros(dim, np.float32)])
    weights.append(_glorot(rng, (dim, sizes["classes"]), dim, sizes["classes"]))
    weights.append(np.zeros(sizes["classes"], np.float32))
    return weights


def torch_state(workload: str, weights: Sequence[np.ndarray]) -> dict[str, np.ndarray]:
    """Keras-layout weights of a model workload (:func:`initial_weights`) as its PyTorch twin's state dict.

    NumPy arrays keyed like the PyTorch model's ``state_dict()``, moved by the book's rules
    (:data:`twice.dense.DENSE_RULE`, :func:`twice.models.survey_cnn_torch_state`,
    :data:`twice.recurrent.LSTM_RULE`, :data:`twice.attention.MULTI_HEAD_ATTENTION_RULE`,
    :data:`twice.attention.LAYER_NORM_RULE`, :data:`twice.embeddings.EMBEDDING_RULE`) without importing a
    framework. The tests check the result against :func:`twice.convert.keras_to_torch`.
    Introduced in chapter 6.

    >>> state = torch_state("mlp", initial_weights("mlp"))
    >>> {name: value.shape for name, value in state.items()}
    {'0.weight': (32, 64), '0.bias': (32,), '2.weight': (10, 32), '2.bias': (10,)}

    Raises:
        ValueError: for ``"matmul"``, an unknown workload, or weights that do not fit the model.
    """
    from .attention import LAYER_NORM_RULE, MULTI_HEAD_ATTENTION_RULE
    from .dense import DENSE_RULE
    from .embeddings import EMBEDDING_RULE
    from .recurrent import LSTM_RULE

    name = _model_workload(workload)
    arrays = [np.asarray(w) for w in weights]
    expected = [w.shape for w in initial_weights(name)]
    if [a.shape for a in arrays] != expected:
        raise ValueError(
            f"weights must be the {len(expected)} arrays of initial_weights({name!r}) in shape and order "
            f"{expected}, got {[a.shape for a in arrays]}"
        )
    state: dict[str, np.ndarray] = {}

    def dense(prefix: str, kernel: np.ndarray, bias: np.ndarray) -> None:
        state[f"{prefix}weight"], state[f"{prefix}bias"] = DENSE_RULE.to_torch(kernel, bias)  # type: ignore[assignment]

    if name == "mlp":
        dense("0.", arrays[0], arrays[1])
        dense("2.", arrays[2], arrays[3])
    elif name == "cnn":
        from .models.cnn import survey_cnn_torch_state

        sizes = MODEL_SIZES["cnn"]
        state = survey_cnn_torch_state(arrays, (sizes["height"], sizes["width"]))
    elif name == "lstm":
        for layer in range(MODEL_SIZES["lstm"]["layers"]):
            moved = LSTM_RULE.to_torch(*arrays[3 * layer : 3 * layer + 3])
            for key, value in zip(("weight_ih", "weight_hh", "bias_ih", "bias_hh"), moved):
                state[f"lstm.{key}_l{layer}"] = value  # type: ignore[assignment]
        dense("linear.", arrays[-2], arrays[-1])
    else:
        state["embedding.weight"] = EMBEDDING_RULE.to_torch(arrays[0])[0]
        for key, value in MULTI_HEAD_ATTENTION_RULE.to_torch(arrays[1:9]).items():
            state[f"layers.0.self_attn.{key}"] = value
        dense("layers.0.linear1.", arrays[9], arrays[10])
        dense("layers.0.linear2.", arrays[11], arrays[12])
        for norm, (gamma, beta) in zip(("norm1", "norm2"), (arrays[13:15], arrays[15:17])):
            weight, bias = LAYER_NORM_RULE.to_torch(gamma, beta)
            state[f"layers.0.{norm}.weight"], state[f"layers.0.{norm}.bias"] = weight, bias  # type: ignore[assignment]
        dense("linear.", arrays[17], arrays[18])
    return state


def fingerprint(arrays: Iterable[object]) -> str:
    """The first 16 hex digits of the SHA-256 of arrays' shapes, dtypes and bytes, in order.

    Two variants that report the same fingerprint were given the same numbers. Introduced in chapter 6.

    >>> fingerprint([np.zeros(3, np.float32)]) == fingerprint([np.zeros(3, np.float32)])
    True
    >>> fingerprint([np.zeros(3, np.float32)]) == fingerprint([np.zeros(3, np.float64)])
    False
    """
    digest = hashlib.sha256()
    for item in arrays:
        array = np.ascontiguousarray(item)
        digest.update(f"{array.shape}{array.dtype.str}".encode())
        digest.update(array.tobytes())
    return digest.hexdigest()[:16]


# ----------------------------------------------------------------------------------------------------------
# The peak of this CPU, where it can be derived
# ----------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PeakEstimate:
    """The float32 peak of one core, as a range: what the CPU's flags and nominal clock allow, no more.

    ``lanes`` float32 numbers per vector register (16 with AVX-512, 8 with AVX, 4 with SSE), 2 operations per
    lane and instruction with FMA (a multiply and an add), times 1 or 2 vector units per core: the flags do
    not say how many (Intel's Xeons have one or two AVX-512 FMA units depending on the model), so the range
    spans both. The clock is the nominal one (``@ 2.80GHz`` in the model name, else ``cpu MHz``); turbo can
    be higher and AVX-512 clocks lower, and a virtual machine shows neither. Introduced in chapter 6.

    >>> peak = estimate_peak("model name : Some CPU @ 2.00GHz\\nflags : sse avx avx2 fma avx512f\\n")
    >>> peak.lanes, peak.per_core_low, peak.per_core_high, peak.for_threads(2)
    (16, 64.0, 128.0, (128.0, 256.0))
    """

    ghz: float
    lanes: int
    fma: bool
    per_core_low: float
    per_core_high: float
    basis: str

    def for_threads(self, threads: int) -> tuple[float, float]:
        """The range for ``threads`` cores, in GFLOP/s (one thread per core assumed)."""
        count = checks.integer(threads, "threads", minimum=1)
        return self.per_core_low * count, self.per_core_high * count


def estimate_peak(cpuinfo: str | None = None) -> PeakEstimate | None:
    """:class:`PeakEstimate` of this CPU from ``/proc/cpuinfo`` (or the text given), or ``None`` where it
    cannot be derived honestly (no cpuinfo, no known vector flags, no clock). Introduced in chapter 6.

    >>> estimate_peak("flags : neon\\n") is None              # no x86 vector flags: no estimate
    True
    """
    if cpuinfo is None:
        try:
            cpuinfo = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
        except OSError:
            return None
    fields: dict[str, str] = {}
    for line in cpuinfo.splitlines():
        key, sep, value = line.partition(":")
        if sep and key.strip() not in fields:
            fields[key.strip()] = value.strip()
    flags = set(fields.get("flags", "").split())
    lanes = 16 if "avx512f" in flags else 8 if "avx" in flags else 4 if "sse" in flags else 0
    nominal = re.search(r"@\s*([0-9.]+)\s*GHz", fields.get("model name", ""))
    if nominal:
        ghz, clock = float(nominal.group(1)), f"nominal {nominal.group(1)} GHz from the model name"
    elif fields.get("cpu MHz", "").replace(".", "", 1).isdigit():
        ghz, clock = float(fields["cpu MHz"]) / 1000, f"{fields['cpu MHz']} MHz from cpu MHz"
    else:
        return None
    if not lanes or ghz <= 0:
        return None
    fma = "fma" in flags
    per_unit = ghz * lanes * (2 if fma else 1)
    vector = {16: "AVX-512", 8: "AVX", 4: "SSE"}[lanes]
    basis = (
        f"{vector}: {lanes} float32 lanes, {'FMA (2 operations per lane)' if fma else 'no FMA'}, "
        f"1 or 2 vector units per core (the flags do not say), {clock}"
    )
    return PeakEstimate(ghz, lanes, fma, round(per_unit, 3), round(2 * per_unit, 3), basis)


# ----------------------------------------------------------------------------------------------------------
# Records
# ----------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Options:
    """What to run and how long to time it; the same for every (framework, threads) configuration.

    Measured with these defaults on a two-core CPU that another job was loading, the whole suite (five
    workloads, all modes, NumPy and both frameworks, 1 and 2 threads) took 154 s, cold ``torch.compile``
    about 100 s of it (its start-up 11-19 s in each process, then up to 13 s per model; with a warm cache,
    ``cold_compile=False`` on a rerun, 4-5 s and under 1 s). Without the compiled modes the suite took 23 s;
    with XLA but without ``torch.compile`` 33 s. :meth:`quick` is for tests. Introduced in chapter 6.

    >>> Options(workloads=("mlp",), repeats=5).modes
    ('eager', 'graph', 'compiled')
    >>> Options(modes=("jit",))
    Traceback (most recent call last):
    ValueError: unknown mode 'jit': expected one of 'eager', 'graph', 'compiled'

    Attributes:
        workloads, modes: subsets of :data:`WORKLOADS` and :data:`MODES`.
        matmul_sizes: the ``n`` of each ``(n, n) @ (n, n)`` product.
        batch_size: examples per training step.
        learning_rate: of plain SGD, both sides.
        warmup, repeats, budget_seconds: as :func:`time_calls` takes them, for each variant.
        check_steps: how many first calls' outputs go into the output check (>= 2, so an update is checked).
        seed: of the batch and the initial weights.
        cold_compile: give each child an empty TorchInductor cache, so that compile times are cold ones (a
            warm cache makes a rerun's ``torch.compile`` much faster; XLA keeps no cache between processes).
    """

    workloads: tuple[str, ...] = WORKLOADS
    modes: tuple[str, ...] = MODES
    matmul_sizes: tuple[int, ...] = (64, 256, 1024)
    batch_size: int = 64
    learning_rate: float = 0.05
    warmup: int = 2
    repeats: int = 10
    budget_seconds: float | None = 0.2
    check_steps: int = 3
    seed: int = 0
    cold_compile: bool = True

    def __post_init__(self) -> None:
        for name, known in (("workloads", WORKLOADS), ("modes", MODES)):
            values = getattr(self, name)
            if isinstance(values, str) or not isinstance(values, Sequence) or not values:
                raise TypeError(f"{name} must be a non-empty tuple of names, got {values!r}")
            chosen = tuple(checks.one_of(value, name[:-1], known) for value in values)
            object.__setattr__(self, name, tuple(k for k in known if k in chosen))  # canonical order
        sizes = tuple(checks.integer(n, "each of matmul_sizes", minimum=1) for n in self.matmul_sizes)
        object.__setattr__(self, "matmul_sizes", sizes)
        checks.integer(self.batch_size, "batch_size", minimum=1)
        checks.positive(self.learning_rate, "learning_rate")
        checks.integer(self.warmup, "warmup", minimum=0)
        checks.integer(self.repeats, "repeats", minimum=1)
        if self.budget_seconds is not None:
            checks.positive(self.budget_seconds, "budget_seconds")
        checks.integer(self.check_steps, "check_steps", minimum=2)
        checks.seed(self.seed)
        if not isinstance(self.cold_compile, bool):
            raise TypeError(f"cold_compile must be a bool, got {type(self.cold_compile).__name__}")

    @classmethod
    def quick(cls, **changes: Any) -> Options:
        """Tiny sizes and few repeats: a smoke test of the harness, not a measurement."""
        settings: dict[str, Any] = {
            "matmul_sizes": (32,), "batch_size": 8, "warmup": 1, "repeats": 3, "budget_seconds": 0.05,
        }  # fmt: skip
        return cls(**{**settings, **changes})


@dataclass(frozen=True)
class Settings:
    """How one child process was set up, read back from its framework after setting it.

    Introduced in chapter 6.

    >>> Settings.example().intra_op_threads
    1

    Attributes:
        framework, framework_version: as they report themselves.
        threads: the thread count asked for.
        intra_op_threads, inter_op_threads: read back (``None`` where the library has no such pool: NumPy).
        tf32: whether TensorFloat-32 is allowed, read back (``None`` for NumPy).
        device: where the steps ran (``"cpu"``; the child hides GPUs).
        library: the math library behind the products, as far as the framework tells.
        cpu, python: the machine and interpreter.
        import_seconds: importing the framework (and Keras), before any timing.
        graph_startup_seconds, compiled_startup_seconds: the first trace and the first compilation of a trivial
            function, so that the one-time start-up of a compiler is not charged to the first workload.
        optimizer, loss: the training step's, in words.
        load_average: the machine's one-minute load average when the child started (``None`` where the
            system does not tell). Well above 1, other processes compete for the cores, and the timings, of
            2 threads on 2 cores above all, say more about them than about the frameworks.
    """

    framework: str
    framework_version: str
    threads: int
    intra_op_threads: int
    inter_op_threads: int | None
    tf32: bool | None
    device: str
    library: str
    cpu: str
    python: str
    import_seconds: float
    graph_startup_seconds: float | None
    compiled_startup_seconds: float | None
    optimizer: str
    loss: str
    load_average: float | None = None

    @classmethod
    def example(cls) -> Settings:
        """Made-up settings for examples and tests."""
        return cls(
            "pytorch", "0.0", 1, 1, 1, False, "cpu", "example", "example CPU", "3.11", 0.0, None, None,
            "SGD(lr=0.05)", "mean softmax cross-entropy",
        )  # fmt: skip


@dataclass(frozen=True)
class Result:
    """One variant: a workload, in one framework and mode, at one thread count.

    Introduced in chapter 6.

    >>> r = Result("matmul", 256, "numpy", "eager", 1, True, 0.01, (), summarise([0.001]), (0.0,), "", "",
    ...            Settings.example())
    >>> round(r.gflops, 1), r.median_ms
    (33.6, 1.0)

    Attributes:
        workload, size: a name of :data:`WORKLOADS`; ``n`` for the matrix product, the batch size otherwise.
        framework, mode, threads: the variant.
        supported: False where the variant does not exist or failed (``note`` says why; no timings then).
        first_call_seconds: the first call, compilation included; ``warmup_seconds`` the discarded calls.
        steady: the timed calls after the warm-up (seconds per call).
        check_values: the losses of the first ``check_steps`` calls (a product: 16 of its entries).
        batch_sha256, weights_sha256: :func:`fingerprint` s of the batch and the initial weights, read back
            from the framework's tensors (Keras layout; for the product: the two matrices, no weights).
        settings: how the child process was set up.
        note: anything the reader must know about this variant.
        check_reference, check_gap, check_passed: filled in by :func:`check_outputs`.
    """

    workload: str
    size: int
    framework: str
    mode: str
    threads: int
    supported: bool
    first_call_seconds: float | None
    warmup_seconds: tuple[float, ...]
    steady: Summary | None
    check_values: tuple[float, ...]
    batch_sha256: str
    weights_sha256: str
    settings: Settings
    note: str = ""
    check_reference: str = ""
    check_gap: float | None = None
    check_passed: bool | None = None

    @property
    def median_ms(self) -> float | None:
        """The steady-state median in milliseconds per call, or ``None`` for an unsupported variant."""
        return None if self.steady is None else self.steady.median * 1e3

    @property
    def gflops(self) -> float | None:
        """``2 n³ / median`` in GFLOP/s for the matrix product; ``None`` for the training steps."""
        if self.workload != "matmul" or self.steady is None or self.steady.median <= 0:
            return None
        return 2.0 * self.size**3 / self.steady.median / 1e9

    @property
    def label(self) -> str:
        """``"pytorch eager, 1 thread"``: the variant in words."""
        return f"{self.framework} {self.mode}, {self.threads} thread{'s' if self.threads != 1 else ''}"

    def to_dict(self) -> dict[str, Any]:
        """The record as JSON-ready data (:meth:`from_dict` reads it back)."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Result:
        """The record that :meth:`to_dict` wrote."""
        values = dict(data)
        values["warmup_seconds"] = tuple(values["warmup_seconds"])
        values["check_values"] = tuple(values["check_values"])
        values["steady"] = None if values["steady"] is None else Summary(**values["steady"])
        values["settings"] = Settings(**values["settings"])
        return cls(**values)


@dataclass(frozen=True)
class Suite:
    """What :func:`run_suite` ran: the checked results, the wall time of it all, and this CPU's peak.

    Introduced in chapter 6.

    >>> Suite((), 1.5, None).seconds
    1.5
    """

    results: tuple[Result, ...]
    seconds: float
    peak: PeakEstimate | None

    def to_dict(self) -> dict[str, Any]:
        """The suite as JSON-ready data (:meth:`from_dict` and :func:`load_suite` read it back)."""
        return {
            "results": [r.to_dict() for r in self.results],
            "seconds": self.seconds,
            "peak": None if self.peak is None else dataclasses.asdict(self.peak),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Suite:
        """The suite that :meth:`to_dict` wrote."""
        peak = data.get("peak")
        return cls(
            tuple(Result.from_dict(r) for r in data["results"]),
            float(data["seconds"]),
            None if peak is None else PeakEstimate(**peak),
        )


RECORD = Path(__file__).resolve().parent / "records" / "cpu.json"
"""Where ``python3 tasks.py benchmark`` writes the whole suite's record, inside the package, so that a notebook
opened on Colab (which installs the package) finds it too. Introduced in chapter 6.

>>> RECORD.name, RECORD.parent.name
('cpu.json', 'records')
"""


def save_suite(suite: Suite, path: str | os.PathLike[str] = RECORD) -> Path:
    """Write ``suite`` to ``path`` as JSON, with the date and the command that made it; the path written.

    A whole suite takes minutes (cold ``torch.compile`` above all), longer than a notebook may run, so the
    chapter's notebooks read one such file, made by ``python3 tasks.py benchmark``, beside the smaller run
    they do themselves. Introduced in chapter 6.

    >>> import tempfile, os
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     written = save_suite(Suite((), 1.5, None), os.path.join(folder, "suite.json"))
    ...     load_suite(written)[0].seconds
    1.5
    """
    if not isinstance(suite, Suite):
        raise TypeError(f"suite must be a Suite, got {type(suite).__name__}")
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    record = {
        "recorded": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "command": "python3 tasks.py benchmark",
        **suite.to_dict(),
    }
    target.write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
    return target


def load_suite(path: str | os.PathLike[str] = RECORD) -> tuple[Suite, str]:
    """The :class:`Suite` that :func:`save_suite` wrote, and the date it was recorded.

    Introduced in chapter 6.

    >>> load_suite("no/such/file.json")
    Traceback (most recent call last):
    FileNotFoundError: no benchmark record at no/such/file.json: make one with python3 tasks.py benchmark
    """
    source = Path(path)
    if not source.is_file():
        raise FileNotFoundError(
            f"no benchmark record at {source}: make one with python3 tasks.py benchmark"
        )
    data = json.loads(source.read_text(encoding="utf-8"))
    return Suite.from_dict(data), str(data.get("recorded", "unknown"))


# ----------------------------------------------------------------------------------------------------------
# The child process: one framework, one thread count
# ----------------------------------------------------------------------------------------------------------


def _cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace").splitlines():
            if line.startswith("model name"):
                return line.partition(":")[2].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _load_average() -> float | None:
    try:
        return round(os.getloadavg()[0], 2)
    except (AttributeError, OSError):  # not on every system
        return None


def _check_values(values: np.ndarray) -> tuple[float, ...]:
    """16 entries spread over a product, as floats: enough to tell a wrong product from a right one."""
    flat = np.asarray(values, dtype=np.float64).ravel()
    return tuple(float(v) for v in flat[:: max(1, flat.size // 16)][:16])


def _keras_model(workload: str) -> Any:
    """The Keras model of a model workload, as its chapter builds it (dropout 0)."""
    import keras

    from . import models

    sizes = MODEL_SIZES[workload]
    if workload == "mlp":  # chapter 1 writes it out; there is no builder
        layers = [
            keras.layers.Dense(sizes["hidden"], activation="relu"),
            keras.layers.Dense(sizes["classes"]),
        ]
        return keras.Sequential([keras.Input((sizes["features"],)), *layers])
    if workload == "cnn":
        return models.keras_survey_cnn((sizes["height"], sizes["width"]), dropout=0.0)
    if workload == "lstm":
        return models.keras_sequence_classifier(
            sizes["steps"], sizes["features"], units=sizes["units"], layers=sizes["layers"],
            classes=sizes["classes"],
        )  # fmt: skip
    return models.keras_position_classifier(
        sizes["vocab"], sizes["length"], sizes["dim"], sizes["heads"], sizes["hidden"], sizes["classes"]
    )


def _torch_model(workload: str) -> Any:
    """The PyTorch twin of :func:`_keras_model`."""
    from torch import nn

    from . import models

    sizes = MODEL_SIZES[workload]
    if workload == "mlp":  # chapter 1 writes it out; there is no builder
        return nn.Sequential(
            nn.Linear(sizes["features"], sizes["hidden"]),
            nn.ReLU(),
            nn.Linear(sizes["hidden"], sizes["classes"]),
        )
    if workload == "cnn":
        return models.torch_survey_cnn((sizes["height"], sizes["width"]), dropout=0.0)
    if workload == "lstm":
        return models.torch_sequence_classifier(
            sizes["features"], units=sizes["units"], layers=sizes["layers"], classes=sizes["classes"]
        )
    return models.torch_position_classifier(
        sizes["vocab"], sizes["length"], sizes["dim"], sizes["heads"], sizes["hidden"], sizes["classes"]
    )


def keras_model(workload: str, seed: int = 0) -> Any:
    """The Keras model a workload trains, as its chapter builds it (dropout 0), holding
    :func:`initial_weights`: the model the suite times, for a notebook to export or inspect.

    Imports Keras. Introduced in chapter 6.

    >>> keras_model("matmul")
    Traceback (most recent call last):
    ValueError: workload 'matmul' has no model, weights or labels; use one of the model workloads

    Raises:
        ValueError: for ``"matmul"`` or an unknown workload.
    """
    name = _model_workload(workload)
    model = _keras_model(name)
    model.set_weights(initial_weights(name, seed))
    return model


def torch_model(workload: str, seed: int = 0) -> Any:
    """The PyTorch twin of :func:`keras_model`, holding the same numbers (:func:`torch_state`), in
    evaluation mode. Imports PyTorch. Introduced in chapter 6.

    >>> torch_model("matmul")
    Traceback (most recent call last):
    ValueError: workload 'matmul' has no model, weights or labels; use one of the model workloads

    Raises:
        ValueError: for ``"matmul"`` or an unknown workload.
    """
    import torch

    name = _model_workload(workload)
    model = _torch_model(name)
    state = torch_state(name, initial_weights(name, seed))
    model.load_state_dict({key: torch.from_numpy(value.copy()) for key, value in state.items()})
    return model.eval()


_OPTIMIZER = "plain SGD (lr={lr}, no momentum, no weight decay): {name}"
_LOSS = "mean softmax cross-entropy over {what} ({name})"


class _NumPy:
    """The BLAS baseline: ``a @ b`` in NumPy, its threads set through threadpoolctl (and the environment)."""

    name = "numpy"

    def __init__(self, threads: int, modes: tuple[str, ...]) -> None:
        started = time.perf_counter()
        from threadpoolctl import threadpool_info, threadpool_limits

        self._limits = threadpool_limits(limits=threads, user_api="blas")
        pools = [p for p in threadpool_info() if p.get("user_api") == "blas"]
        self.intra = int(pools[0]["num_threads"]) if pools else 1
        self.library = ", ".join(f"{p['internal_api']} {p.get('version')}" for p in pools) or "unknown BLAS"
        self.import_seconds = time.perf_counter() - started

    def settings(self, threads: int, options: Options) -> Settings:
        return Settings(
            "numpy", np.__version__, threads, self.intra, None, None, "cpu", self.library, _cpu_name(),
            platform.python_version(), self.import_seconds, None, None, "", "",
        )  # fmt: skip

    def product(self, a: np.ndarray, b: np.ndarray, mode: str) -> tuple[Callable[[], Any], str]:
        return (lambda: a @ b), fingerprint([a, b])

    def values(self, output: Any) -> tuple[float, ...]:
        return _check_values(output)


class _TensorFlow:
    """TensorFlow with Keras 3: eager, ``tf.function`` and ``tf.function(jit_compile=True)``."""

    name = "tensorflow"

    def __init__(self, threads: int, modes: tuple[str, ...]) -> None:
        started = time.perf_counter()
        sys.modules.setdefault("sklearn", None)  # type: ignore[arg-type]  # Keras' optional wrappers: 1-2 s
        import keras
        import tensorflow as tf

        self.tf, self.keras = tf, keras
        self.import_seconds = time.perf_counter() - started
        # Before TensorFlow's first op: afterwards the pools exist and these calls raise.
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(threads)
        from .determinism import disable_tf32

        disable_tf32("tensorflow")
        self.graph_startup = self._startup(False) if "graph" in modes else None
        self.compiled_startup = self._startup(True) if "compiled" in modes else None

    def _startup(self, jit: bool) -> float:
        """Trace (and with ``jit``, XLA-compile) a trivial function: the compiler's one-time start-up."""
        tf = self.tf
        started = time.perf_counter()
        float(tf.function(lambda x: tf.reduce_sum(x * 2.0), jit_compile=jit)(tf.ones(4)))
        return time.perf_counter() - started

    def settings(self, threads: int, options: Options) -> Settings:
        tf = self.tf
        onednn = os.environ.get("TF_ENABLE_ONEDNN_OPTS", "default (on for x86 Linux)")
        return Settings(
            "tensorflow", tf.__version__, threads,
            tf.config.threading.get_intra_op_parallelism_threads(),
            tf.config.threading.get_inter_op_parallelism_threads(),
            bool(tf.config.experimental.tensor_float_32_execution_enabled()),
            "cpu", f"Eigen and oneDNN (TF_ENABLE_ONEDNN_OPTS={onednn}); Keras {self.keras.__version__}",
            _cpu_name(), platform.python_version(), self.import_seconds, self.graph_startup,
            self.compiled_startup,
            _OPTIMIZER.format(lr=options.learning_rate, name="keras.optimizers.SGD"),
            _LOSS.format(what="examples (and positions)", name="tf.nn.sparse_softmax_cross_entropy_with_logits"),
        )  # fmt: skip

    def _compile(self, function: Callable[..., Any], mode: str) -> Callable[..., Any]:
        if mode == "eager":
            return function
        return self.tf.function(function, jit_compile=mode == "compiled")  # type: ignore[no-any-return]

    def product(self, a: np.ndarray, b: np.ndarray, mode: str) -> tuple[Callable[[], Any], str]:
        tf = self.tf
        a_tf, b_tf = tf.constant(a), tf.constant(b)
        multiply = self._compile(lambda x, y: tf.matmul(x, y), mode)
        return (lambda: multiply(a_tf, b_tf)), fingerprint([a_tf.numpy(), b_tf.numpy()])

    def values(self, output: Any) -> tuple[float, ...]:
        return _check_values(output.numpy())

    def step(
        self, workload: str, weights: list[np.ndarray], x: np.ndarray, y: np.ndarray, lr: float, mode: str
    ) -> tuple[Callable[[], float], str, str]:
        tf, keras = self.tf, self.keras
        model = _keras_model(workload)
        model.set_weights(weights)
        optimizer = keras.optimizers.SGD(learning_rate=lr)
        optimizer.build(model.trainable_variables)  # its variables exist before any tf.function traces
        x_tf = tf.constant(x.astype(np.int32) if workload == "transformer" else x)
        y_tf = tf.constant(y.reshape(-1))
        classes = MODEL_SIZES[workload]["classes"]

        def train_step() -> Any:
            with tf.GradientTape() as tape:
                logits = tf.reshape(model(x_tf, training=True), (-1, classes))
                loss = tf.reduce_mean(
                    tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y_tf, logits=logits)
                )
            gradients = tape.gradient(loss, model.trainable_variables)
            optimizer.apply_gradients(zip(gradients, model.trainable_variables))
            return loss

        run = self._compile(train_step, mode)
        batch = [x_tf.numpy().astype(x.dtype), y_tf.numpy().reshape(y.shape)]
        return (lambda: float(run())), fingerprint(batch), fingerprint(model.get_weights())


class _PyTorch:
    """PyTorch: eager, and ``torch.compile`` (Inductor) of the whole step; no graph mode."""

    name = "pytorch"

    def __init__(self, threads: int, modes: tuple[str, ...]) -> None:
        started = time.perf_counter()
        import torch

        self.torch = torch
        self.import_seconds = time.perf_counter() - started
        torch.set_num_threads(threads)
        torch.set_num_interop_threads(threads)  # once, before any inter-op work
        from .determinism import disable_tf32

        disable_tf32("pytorch")
        self.graph_startup = None
        self.compiled_startup = None
        if "compiled" in modes:  # Inductor's one-time start-up: its imports, its first C++ build
            started = time.perf_counter()
            float(torch.compile(lambda x: (x * 2.0).sum(), dynamic=False)(torch.ones(4)))
            self.compiled_startup = time.perf_counter() - started

    def settings(self, threads: int, options: Options) -> Settings:
        torch = self.torch
        tf32 = bool(torch.backends.cuda.matmul.allow_tf32 or torch.backends.cudnn.allow_tf32)
        library = f"{torch.backends.cpu.get_cpu_capability()} kernels; oneDNN {torch.backends.mkldnn.is_available()}"
        return Settings(
            "pytorch", torch.__version__, threads, torch.get_num_threads(), torch.get_num_interop_threads(),
            tf32, "cpu", library, _cpu_name(), platform.python_version(), self.import_seconds, None,
            self.compiled_startup, _OPTIMIZER.format(lr=options.learning_rate, name="torch.optim.SGD"),
            _LOSS.format(what="examples (and positions)", name="torch.nn.functional.cross_entropy"),
        )  # fmt: skip

    def _compile(self, function: Callable[..., Any], mode: str) -> Callable[..., Any]:
        if mode == "eager":
            return function
        return self.torch.compile(function, dynamic=False)

    def product(self, a: np.ndarray, b: np.ndarray, mode: str) -> tuple[Callable[[], Any], str]:
        torch = self.torch
        a_t, b_t = torch.from_numpy(a.copy()), torch.from_numpy(b.copy())
        multiply = self._compile(lambda x, y: torch.matmul(x, y), mode)
        return (lambda: multiply(a_t, b_t)), fingerprint([a_t.numpy(), b_t.numpy()])

    def values(self, output: Any) -> tuple[float, ...]:
        return _check_values(output.detach().numpy())

    def step(
        self, workload: str, weights: list[np.ndarray], x: np.ndarray, y: np.ndarray, lr: float, mode: str
    ) -> tuple[Callable[[], float], str, str]:
        torch = self.torch
        import torch.nn.functional as F

        model = _torch_model(workload)
        state = torch_state(workload, weights)
        model.load_state_dict({name: torch.from_numpy(value.copy()) for name, value in state.items()})
        loaded = {name: value.detach().numpy() for name, value in model.state_dict().items()}
        if loaded.keys() != state.keys() or any(not np.array_equal(loaded[k], state[k]) for k in state):
            raise RuntimeError(f"the PyTorch {workload} did not load the weights it was given")
        model.train()
        if workload == "lstm":
            # nn.LSTM adds two biases, bias_ih + bias_hh, where Keras has one; each gets the whole gradient,
            # so SGD would move their sum twice as far as Keras moves its bias (the output check caught it:
            # the same first loss, then 3e-4 apart). bias_hh stays at zero, and both train one function.
            for name, parameter in model.named_parameters():
                if ".bias_hh" in name:
                    parameter.requires_grad_(False)
        optimizer = torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=lr)
        # NHWC -> NCHW for the CNN: the same numbers, in PyTorch's layout
        x_t = torch.from_numpy(np.ascontiguousarray(x.transpose(0, 3, 1, 2) if workload == "cnn" else x))
        y_t = torch.from_numpy(y.reshape(-1).copy())
        classes = MODEL_SIZES[workload]["classes"]

        def train_step() -> Any:
            optimizer.zero_grad(set_to_none=True)
            loss = F.cross_entropy(model(x_t).reshape(-1, classes), y_t)
            loss.backward()  # type: ignore[no-untyped-call]
            optimizer.step()
            return loss

        run = self._compile(train_step, mode)
        seen = x_t.numpy().transpose(0, 2, 3, 1) if workload == "cnn" else x_t.numpy()
        batch = [seen, y_t.numpy().reshape(y.shape)]
        return (lambda: float(run())), fingerprint(batch), fingerprint(weights)


def _measure_here(framework: str, threads: int, options: Options) -> list[Result]:
    """Run one configuration in this process, which must not have imported its framework before."""
    load = _load_average()  # before the framework's import adds its own
    modes = ("eager",) if framework == "numpy" else options.modes
    backend: Any = {"numpy": _NumPy, "tensorflow": _TensorFlow, "pytorch": _PyTorch}[framework](
        threads, modes
    )
    settings = dataclasses.replace(backend.settings(threads, options), load_average=load)
    workloads = ("matmul",) if framework == "numpy" else options.workloads
    results: list[Result] = []
    for workload in workloads:
        sizes = options.matmul_sizes if workload == "matmul" else (options.batch_size,)
        for size in sizes:
            x, y = make_batch(workload, size, options.seed)
            weights = [] if workload == "matmul" else initial_weights(workload, options.seed)
            for mode in modes:
                base = Result(
                    workload, size, framework, mode, threads, False, None, (), None, (), "", "", settings
                )
                if framework == "pytorch" and mode == "graph":
                    results.append(dataclasses.replace(base, note=_TORCH_GRAPH_NOTE))
                    continue
                try:
                    if workload == "matmul":
                        call, batch_sha = backend.product(x, y, mode)
                        weights_sha, keep = "", 1
                    else:
                        call, batch_sha, weights_sha = backend.step(
                            workload, weights, x, y, options.learning_rate, mode
                        )
                        keep = options.check_steps
                    timing = time_calls(
                        call, warmup=options.warmup, repeats=options.repeats,
                        budget_seconds=options.budget_seconds, keep=keep,
                    )  # fmt: skip
                except Exception as error:  # noqa: BLE001 (a mode that fails is a result, not a crashed suite)
                    text = f"{type(error).__name__}: {error}".strip().splitlines()
                    results.append(dataclasses.replace(base, note=f"failed: {text[0][:300] if text else ''}"))
                    continue
                if workload == "matmul":
                    values = backend.values(timing.outputs[0])
                else:
                    values = tuple(float(v) for v in timing.outputs)
                results.append(
                    dataclasses.replace(
                        base, supported=True, first_call_seconds=timing.first_call_seconds,
                        warmup_seconds=timing.warmup_seconds, steady=timing.steady, check_values=values,
                        batch_sha256=batch_sha, weights_sha256=weights_sha,
                    )
                )  # fmt: skip
    return results


def _child_main() -> None:
    """``python -m twice.benchmark``: a request as JSON on stdin, the results as JSON on stdout's last line."""
    request = json.load(sys.stdin)
    values: dict[str, Any] = {
        k: tuple(v) if isinstance(v, list) else v for k, v in request["options"].items()
    }
    options = Options(**values)
    results = _measure_here(request["framework"], int(request["threads"]), options)
    sys.stdout.write("\n" + json.dumps({"results": [r.to_dict() for r in results]}) + "\n")


# ----------------------------------------------------------------------------------------------------------
# The parent: configurations in fresh processes, the check and the tables
# ----------------------------------------------------------------------------------------------------------


def _framework(value: object) -> str:
    if isinstance(value, str) and value.strip().lower() == "numpy":
        return "numpy"
    try:
        return checks.framework(value)
    except ValueError:
        raise ValueError(
            f"unknown framework {value!r}: expected 'numpy', 'tensorflow' (or 'tf', 'keras') "
            "or 'pytorch' (or 'torch', 'pt')"
        ) from None


def _child_environment(threads: int, cache: str | None) -> dict[str, str]:
    env = dict(os.environ)
    count = str(threads)
    for variable in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "TF_NUM_INTRAOP_THREADS"):
        env[variable] = count
    env["TF_NUM_INTEROP_THREADS"] = count
    env["CUDA_VISIBLE_DEVICES"] = ""  # the CPU is measured: a GPU would take TensorFlow's ops silently
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    if cache is not None:
        env["TORCHINDUCTOR_CACHE_DIR"] = cache
        env["TRITON_CACHE_DIR"] = os.path.join(cache, "triton")
    return env


def run_configuration(
    framework: str, threads: int, options: Options | None = None, *, timeout: float = 600.0
) -> list[Result]:
    """Run the workloads of ``options`` in one framework at one thread count, in a fresh Python process.

    The child gets the thread count in its environment (``OMP_NUM_THREADS``, the BLAS variables) and sets
    it in the framework before the first op; every :class:`Result` carries the :class:`Settings` it read back.
    With ``framework="numpy"`` only the matrix products run, in ``"eager"`` mode. Introduced in chapter 6.

    >>> results = run_configuration("numpy", 1, Options.quick(workloads=("matmul",)))
    >>> [(r.workload, r.size, r.mode, r.settings.intra_op_threads) for r in results]
    [('matmul', 32, 'eager', 1)]

    Raises:
        TypeError, ValueError: for an unknown framework or a thread count that is not a positive integer;
            ``"numpy"`` without ``"matmul"`` among the workloads.
        RuntimeError: if the child process fails (the end of its standard error is in the message).
    """
    name = _framework(framework)
    threads = checks.integer(threads, "threads", minimum=1)
    options = Options() if options is None else options
    if not isinstance(options, Options):
        raise TypeError(f"options must be an Options, got {type(options).__name__}")
    timeout = checks.positive(timeout, "timeout")
    if name == "numpy" and "matmul" not in options.workloads:
        raise ValueError("NumPy runs the 'matmul' workload only; options.workloads has none")
    request = {"framework": name, "threads": threads, "options": dataclasses.asdict(options)}
    with tempfile.TemporaryDirectory(prefix="twice-inductor-") as cache:
        completed = subprocess.run(
            [sys.executable, "-m", "twice.benchmark"],
            input=json.dumps(request),
            capture_output=True,
            text=True,
            env=_child_environment(threads, cache if options.cold_compile else None),
            timeout=timeout,
            check=False,
        )
    if completed.returncode:
        raise RuntimeError(f"the {name} benchmark with {threads} threads failed:\n{completed.stderr[-3000:]}")
    payload = json.loads(completed.stdout.strip().splitlines()[-1])
    return [Result.from_dict(item) for item in payload["results"]]


_REFERENCE_ORDER = ("numpy", "pytorch", "tensorflow")


def check_outputs(results: Sequence[Result], *, tolerance: float = CHECK_TOLERANCE) -> list[Result]:
    """``results`` with the output check filled in: does every variant compute what the reference computes?

    For each workload and size, the reference is the first supported variant in the order NumPy, PyTorch,
    TensorFlow, eager mode, fewest threads (PyTorch eager for the models). A variant passes when its check
    values (its first losses, or entries of its product) lie within ``tolerance`` of the reference's,
    ``max |v - ref| / max(1, max |ref|)``, and it saw the same batch and the same initial weights (equal
    fingerprints). Unsupported variants are left unchecked (``check_passed=None``). Introduced in chapter 6.

    >>> good = Result("mlp", 8, "pytorch", "eager", 1, True, 0.1, (), summarise([0.001]), (2.3, 2.2), "b", "w",
    ...               Settings.example())
    >>> bad = dataclasses.replace(good, framework="tensorflow", check_values=(2.3, 2.1))
    >>> [(r.framework, r.check_passed) for r in check_outputs([good, bad])]
    [('pytorch', True), ('tensorflow', False)]

    Raises:
        TypeError: for something that is not a :class:`Result`; ValueError for a tolerance that is not positive.
    """
    tolerance = checks.positive(tolerance, "tolerance")
    for result in results:
        if not isinstance(result, Result):
            raise TypeError(f"results must hold Result records, got {type(result).__name__}")

    def rank(result: Result) -> tuple[int, int, int]:
        return (_REFERENCE_ORDER.index(result.framework), MODES.index(result.mode), result.threads)

    references: dict[tuple[str, int], Result] = {}
    for result in sorted((r for r in results if r.supported), key=rank):
        references.setdefault((result.workload, result.size), result)
    checked = []
    for result in results:
        reference = references.get((result.workload, result.size))
        if not result.supported or reference is None:
            checked.append(result)
            continue
        values, expected = np.asarray(result.check_values), np.asarray(reference.check_values)
        same_inputs = (result.batch_sha256, result.weights_sha256) == (
            reference.batch_sha256, reference.weights_sha256,
        )  # fmt: skip
        if values.shape != expected.shape or values.size == 0 or not np.isfinite(values).all():
            gap = math.inf
        else:
            gap = float(np.max(np.abs(values - expected)) / max(1.0, float(np.max(np.abs(expected)))))
        note = result.note
        if not same_inputs:
            note = (note + "; " if note else "") + "another batch or other initial weights than the reference"
        checked.append(
            dataclasses.replace(
                result, check_reference=reference.label, check_gap=gap,
                check_passed=bool(same_inputs and gap <= tolerance), note=note,
            )
        )  # fmt: skip
    return checked


def run_suite(
    frameworks: Sequence[str] = FRAMEWORKS,
    threads: Sequence[int] = (1, 2),
    options: Options | None = None,
    *,
    timeout: float = 600.0,
) -> Suite:
    """Every configuration (framework × thread count), one fresh process each, one after the other, checked.

    The processes run in turn, never side by side, so that they do not compete for the cores. NumPy runs
    only when ``"matmul"`` is among the workloads. Introduced in chapter 6.

    >>> suite = run_suite(["numpy"], [1, 2], Options.quick(workloads=("matmul",)))
    >>> [(r.threads, r.check_passed) for r in suite.results]
    [(1, True), (2, True)]

    Raises:
        TypeError, ValueError: for an unknown framework, no framework, or thread counts that are not positive
            integers; RuntimeError if a child process fails.
    """
    names = list(dict.fromkeys(_framework(f) for f in frameworks))
    counts = [checks.integer(t, "each of threads", minimum=1) for t in threads]
    if not names or not counts:
        raise ValueError(
            f"need at least one framework and one thread count, got {frameworks!r} and {threads!r}"
        )
    options = Options() if options is None else options
    if "matmul" not in options.workloads and "numpy" in names:
        names.remove("numpy")
        if not names:
            raise ValueError("NumPy runs the 'matmul' workload only; options.workloads has none")
    started = time.perf_counter()
    results: list[Result] = []
    for name in names:
        for count in counts:
            results.extend(run_configuration(name, count, options, timeout=timeout))
    return Suite(tuple(check_outputs(results)), time.perf_counter() - started, estimate_peak())


def _format(rows: list[list[str]], right: set[int]) -> str:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for index, row in enumerate(rows):
        cells = [
            cell.rjust(w) if i in right else cell.ljust(w) for i, (cell, w) in enumerate(zip(row, widths))
        ]
        lines.append("  ".join(cells).rstrip())
        if index == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _number(value: float | None, digits: int = 3) -> str:
    if value is None or not math.isfinite(value):
        return "n/a"
    return f"{value:.{digits}g}"


def results_table(results: Sequence[Result]) -> str:
    """One line a variant: first call (s), median, IQR and range (ms a step), GFLOP/s, and the check.

    Introduced in chapter 6.

    >>> r = Result("matmul", 64, "numpy", "eager", 1, True, 0.002, (), summarise([1e-4, 2e-4, 3e-4]), (0.0,),
    ...            "", "", Settings.example(), check_gap=0.0, check_passed=True)
    >>> print(results_table([r]))
    workload  size  framework  mode   threads  first call s  median ms  IQR ms  min-max ms  GFLOP/s  check
    --------  ----  ---------  -----  -------  ------------  ---------  ------  ----------  -------  --------
    matmul      64  numpy      eager        1         0.002        0.2     0.1  0.1-0.3        2.62  ok 0e+00
    """
    rows = [
        ["workload", "size", "framework", "mode", "threads", "first call s", "median ms", "IQR ms", "min-max ms",
         "GFLOP/s", "check"],
    ]  # fmt: skip
    for r in results:
        if r.steady is None:
            timing = ["n/a"] * 4
        else:
            s = r.steady
            spread = f"{_number(s.minimum * 1e3)}-{_number(s.maximum * 1e3)}"
            timing = [_number(r.first_call_seconds), _number(s.median * 1e3), _number(s.iqr * 1e3), spread]
        if r.check_passed is None:
            check = "" if r.supported else (r.note[:40] or "n/a")
        else:
            check = f"{'ok' if r.check_passed else 'FAILED'} {r.check_gap:.0e}"
        rows.append(
            [r.workload, str(r.size), r.framework, r.mode, str(r.threads), *timing, _number(r.gflops), check]
        )
    return _format(rows, right={1, 4, 5, 6, 7, 9})


def ratio_table(
    results: Sequence[Result], *, baseline: tuple[str, str, int] = ("pytorch", "eager", 1)
) -> str:
    """Each variant's median time divided by the baseline variant's, for the same workload and size.

    Rows: workload, size and thread count; columns: framework and mode. Below 1 is faster than the baseline
    (PyTorch eager on one thread by default); ``n/a`` marks a variant that does not exist or failed, ``-`` one
    that was not run. Introduced in chapter 6.

    >>> def made_up(framework, mode, ms):
    ...     return Result("mlp", 64, framework, mode, 1, True, 0.1, (), summarise([ms / 1e3]), (), "", "",
    ...                   Settings.example())
    >>> print(ratio_table([made_up("pytorch", "eager", 2.0), made_up("tensorflow", "graph", 1.0)]))
    workload  size  threads  pytorch eager  tensorflow graph
    --------  ----  -------  -------------  ----------------
    mlp         64        1              1               0.5

    Raises:
        ValueError: for a baseline that is not ``(framework, mode, threads)``.
    """
    if not (isinstance(baseline, tuple) and len(baseline) == 3):
        raise ValueError(f"baseline must be (framework, mode, threads), got {baseline!r}")
    base_framework, base_mode = _framework(baseline[0]), checks.one_of(baseline[1], "mode", MODES)
    base_threads = checks.integer(baseline[2], "baseline threads", minimum=1)
    columns = [
        (f, m) for f in FRAMEWORKS for m in MODES if any((r.framework, r.mode) == (f, m) for r in results)
    ]
    keys = sorted(
        {(r.workload, r.size, r.threads) for r in results}, key=lambda k: (WORKLOADS.index(k[0]), *k[1:])
    )
    by_variant = {(r.workload, r.size, r.threads, r.framework, r.mode): r for r in results}
    rows = [["workload", "size", "threads", *(f"{f} {m}" for f, m in columns)]]
    for workload, size, count in keys:
        base = by_variant.get((workload, size, base_threads, base_framework, base_mode))
        row = [workload, str(size), str(count)]
        for f, m in columns:
            r = by_variant.get((workload, size, count, f, m))
            if r is None:
                row.append("-")
            elif r.median_ms is None or base is None or base.median_ms is None:
                row.append("n/a")
            else:
                row.append(_number(r.median_ms / base.median_ms))
        rows.append(row)
    return _format(rows, right=set(range(1, len(rows[0]))))


__all__ = [
    "CHECK_TOLERANCE",
    "FRAMEWORKS",
    "MODEL_SIZES",
    "MODES",
    "RECORD",
    "WORKLOADS",
    "Options",
    "PeakEstimate",
    "Result",
    "Settings",
    "Suite",
    "Summary",
    "Timing",
    "check_outputs",
    "estimate_peak",
    "fingerprint",
    "initial_weights",
    "keras_model",
    "load_suite",
    "make_batch",
    "ratio_table",
    "results_table",
    "run_configuration",
    "run_suite",
    "save_suite",
    "summarise",
    "time_calls",
    "torch_model",
    "torch_state",
]

if __name__ == "__main__":
    _child_main()
