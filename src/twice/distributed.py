"""Data-parallel training on the frameworks' own engines: ``torch.distributed`` and ``tf.distribute``.

Data parallelism copies the model to every worker, gives each worker its own slice of the batch, and adds
one step to training: before the update, the workers' gradients are combined by an *all-reduce*, so that
every copy takes the same step and the copies never drift apart. :func:`run_data_parallel` shows, on this
CPU, that two workers with half a batch each take exactly the step that one worker takes with the whole
batch, and measures what the synchronisation costs. The workload is chapter 1's MLP (64→32→10), a few steps
of plain SGD (no momentum) on the mean softmax cross-entropy, from the same initial weights
(:func:`twice.benchmark.initial_weights`, moved by :func:`twice.benchmark.torch_state`) and on the same batch
(:func:`twice.benchmark.make_batch`) in both frameworks.

**The engines.** PyTorch: :func:`torch.multiprocessing.spawn` starts one process per worker; each joins a
process group (``torch.distributed.init_process_group("gloo", init_method="file://...", rank=...,
world_size=...)``: gloo is PyTorch's CPU backend, and the rendezvous is a file in a temporary folder, so no
port has to be free) and wraps the model in ``DistributedDataParallel`` (DDP), which all-reduces the
gradients during ``loss.backward()`` (in buckets, overlapped with the backward pass) and divides them by the
number of processes: every process then holds the *average* of the workers' gradients. DDP also broadcasts
rank 0's weights when it wraps the model, so the copies start equal. TensorFlow: one process, its CPU split
into logical devices (``tf.config.set_logical_device_configuration``, which must run before TensorFlow
initialises: hence a fresh process for each run), and ``tf.distribute.MirroredStrategy`` over
``/cpu:0`` and ``/cpu:1``. The model and the optimiser are built inside ``strategy.scope()`` (their
variables become mirrored variables, one copy per device), each replica gets its exact slice from
``strategy.experimental_distribute_values_from_function``, and ``strategy.run`` runs the step on every
replica inside one ``tf.function``. Keras 3's optimiser, called inside ``strategy.run``, *sums* the
replicas' gradients (``ReplicaContext.all_reduce(SUM, ...)``) before it updates each copy. Which
cross-device ops do the sum was found out, not assumed: TensorFlow 2.21's ``MirroredStrategy``, given only
CPUs and running eagerly (TF2), makes ``tf.distribute.experimental.CollectiveAllReduce`` with the RING
implementation (its source: "Use RING collective ops if all devices are CPU"; NCCL needs GPUs), not
``tf.distribute.ReductionToOneDevice``, which it keeps for TF1 sessions and for CPUs mixed with GPUs; int32
values go through ``ReductionToOneDevice`` either way. The collective works on logical CPUs; the run
records the class and the implementation it used (``settings["cross_device_ops"]``).

**Why the updates agree.** The loss of a batch of ``B`` examples is the mean of the per-example losses, so
its gradient is the mean of the per-example gradients, ``g = (1/B) Σ_i g_i``. Split into two halves of
``B/2``: ``g = ½ [(2/B) Σ_{first half} g_i + (2/B) Σ_{second half} g_i]``, the average of the two
half-batch means, which is what DDP computes when each worker's loss is the mean over its own half. TensorFlow
gets the same number the other way round: each replica divides the *sum* of its per-example losses by the
*global* batch size (``tf.nn.compute_average_loss(per_example, global_batch_size=B)``), and the sum of the
replicas' gradients is ``(1/B) Σ_{first half} g_i + (1/B) Σ_{second half} g_i = g``. The same gradient and
the same learning rate give the same update, up to the order of float32 additions
(:data:`PARITY_TOLERANCE`).

**What breaks it** (:data:`MISTAKES` makes two of them on purpose, for the chapter):

* *The divisor.* Each framework's rule, carried to the other, is wrong by a factor of the number of workers
  (``mistake="wrong-divisor"``): in TensorFlow, ``tf.reduce_mean`` of a replica's losses (the single-worker
  habit) divides by the local batch size, and the summed gradients are twice the mean gradient, a learning
  rate twice too large; in PyTorch, the sum divided by the global batch size, averaged again by DDP, is half
  the mean gradient.
* *Uneven slices* (``mistake="uneven"``: rank 0 gets three quarters of the batch, rank 1 a quarter, the same
  examples in all). DDP's average of two means weighs each of rank 1's examples three times as much as each
  of rank 0's, and the update changes. TensorFlow's rule survives: dividing by the global batch size counts
  every example once, whatever the slices. (Uneven data is why ``torch.utils.data.DistributedSampler`` pads
  or drops examples so that every rank gets the same number.)
* *Statistics of the batch.* BatchNorm normalises each worker's slice by the slice's own mean and variance,
  not the batch's: ``torch.nn.SyncBatchNorm`` and ``keras.layers.BatchNormalization(synchronized=True)``
  compute them over all workers.
* *Random numbers.* Dropout draws its masks on each worker from that worker's generator: the same
  distribution as one worker's, but not the same numbers, so a run is equal in law, not bit for bit.

**Several machines and GPUs.** The same PyTorch code runs one process per GPU and per machine when it is
started by ``torchrun`` (``torchrun --nnodes=2 --nproc-per-node=4 --node-rank=0 --master-addr=HOST
--master-port=29500 train.py`` on each machine), which sets ``RANK``, ``LOCAL_RANK``, ``WORLD_SIZE``,
``MASTER_ADDR`` and ``MASTER_PORT`` for each process; the script calls ``init_process_group("nccl")`` (the
GPU backend; ``env://`` is the default rendezvous), puts the model on ``cuda:LOCAL_RANK`` and wraps it in
``DistributedDataParallel(model, device_ids=[local_rank])``. In TensorFlow, ``MirroredStrategy()`` without
arguments mirrors over all of one machine's GPUs (its default cross-device ops then a
``CollectiveAllReduce`` through NCCL, by the same source), and
``tf.distribute.MultiWorkerMirroredStrategy`` spans machines: the same script starts on each, and the
``TF_CONFIG`` environment variable tells each one the cluster and its own place in it (``{"cluster":
{"worker": ["host1:port", "host2:port"]}, "task": {"type": "worker", "index": 0}}``); its all-reduce is
collective (ring, or NCCL on GPUs). Keras' ``model.fit`` under ``strategy.scope()`` does the splitting and
the loss scaling itself.

**Measured here** (a two-core virtual AMD EPYC, other jobs running; :data:`PARITY_TOLERANCE` for the parity):
for this small MLP the synchronisation costs more than the arithmetic it shares out. One worker's step on the
whole batch took 0.4-0.7 ms (median) in both frameworks; a data-parallel step 3.5-6.5 ms in PyTorch and
3.3-4.6 ms in TensorFlow, and the all-reduce alone of the 2,410 gradient numbers 0.65-0.75 ms
(``torch.distributed.all_reduce`` over gloo, between two processes; once 3.8 ms, the machine busy) and 3-6 ms
(``ReplicaContext.all_reduce`` in one ``tf.function`` call, its dispatch included). Halving the work of a step
this small saves microseconds; the exchange costs milliseconds. Data parallelism pays when a step's
computation dwarfs its gradients' exchange: large batches, large models, and devices joined by fast links
(NVLink, NCCL). Each run records its own numbers and the settings it read back (:class:`DataParallelResult`).
Every worker runs one thread, and the single worker too, so that the comparison is per worker; the child hides
any GPU, as :mod:`twice.benchmark` does. A call of :func:`run_data_parallel` took about 20 s for PyTorch (its
import in the child and in each spawned worker) and 12 s for TensorFlow.

Importing this module imports no framework; each run starts a fresh Python (``python -m twice.distributed``,
a request as JSON on stdin, the result as JSON on stdout's last line) that imports one.
Introduced in chapter 6.
"""

from __future__ import annotations

import importlib
import json
import math
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from . import checks
from .benchmark import _cpu_name, initial_weights, make_batch, time_calls, torch_state

PARITY_TOLERANCE = 1e-6
"""The largest ``max |Δweight|`` between a data-parallel run and the single worker that counts as equal.

Measured on float32 weights of chapter 1's MLP (entries up to about 0.4) on a two-core AMD EPYC: after three
SGD steps on 64 examples, PyTorch (two gloo processes, DDP) and TensorFlow (two logical CPUs,
MirroredStrategy) both lie 3.0e-8 from their single worker, one unit in float32's last place at 0.25; after 20
steps 3.0e-8 and 6.0e-8: the same sums in another order. The losses agree within 4e-7 (of 2.75). The
deliberate mistakes lie five orders of magnitude above the rounding: the wrong divisor at 1.5e-2 (PyTorch) and
2.5e-2 (TensorFlow), PyTorch's uneven slices at 9.2e-3; TensorFlow's uneven slices stay at 3.0e-8. So 1e-6
leaves a margin of thirty units in the last place for other kernels and more steps. Introduced in chapter 6.

>>> PARITY_TOLERANCE
1e-06
"""

MISTAKES: tuple[str, ...] = ("uneven", "wrong-divisor")
"""The mistakes :func:`run_data_parallel` can make on purpose, to show what breaks the parity.

``"uneven"``: rank 0 gets three quarters of the batch, rank 1 the rest (for more workers, the first gets
half a slice more and the last half a slice less), each framework's loss rule unchanged: DDP's average of
unequal means is off, TensorFlow's division by the global batch size stays right. ``"wrong-divisor"``: each
framework with the other's divisor: TensorFlow's replicas divide by their local batch size
(``tf.reduce_mean``), PyTorch's workers by the global batch size. Introduced in chapter 6.

>>> MISTAKES
('uneven', 'wrong-divisor')
"""

LEARNING_RATE = 0.05
"""The learning rate of plain SGD in every run: that of :class:`twice.benchmark.Options`.

Introduced in chapter 6.

>>> LEARNING_RATE
0.05
"""

_MAX_WORKERS = 8  # processes or logical devices on one machine: more only queue for the same cores
_DEVICE_NOTE = "the child hides any GPU: this module measures the CPU"


# ----------------------------------------------------------------------------------------------------------
# The record and the table
# ----------------------------------------------------------------------------------------------------------


def _arrays(values: Sequence[Any]) -> tuple[np.ndarray, ...]:
    return tuple(np.asarray(v, dtype=np.float32) for v in values)


def _max_gap(first: Sequence[np.ndarray], second: Sequence[np.ndarray]) -> float:
    if len(first) != len(second) or any(a.shape != b.shape for a, b in zip(first, second)):
        return math.inf
    gaps = [float(np.max(np.abs(a.astype(np.float64) - b.astype(np.float64)))) for a, b in zip(first, second)]
    return max(gaps, default=0.0)


@dataclass(frozen=True)
class DataParallelResult:
    """What one :func:`run_data_parallel` call measured: the weights, the losses, the times and the settings.

    Introduced in chapter 6.

    >>> result = _example_result()
    >>> result.shard_sizes, result.parity(), round(result.max_loss_gap, 9)
    ((32, 32), True, 1e-08)
    >>> round(result.parallel_step_seconds / result.single_step_seconds, 2)
    4.0

    Attributes:
        framework: ``"pytorch"`` or ``"tensorflow"``.
        workers: processes (PyTorch) or replicas (TensorFlow) of the data-parallel run.
        steps: SGD steps of each run before the weights are compared.
        batch_size: the global batch: the single worker's, and the sum of the slices.
        shard_sizes: the examples each worker got, in rank order (rank 0 the first rows).
        mistake: the deliberate mistake (one of :data:`MISTAKES`), or ``None`` for the right run.
        learning_rate: of plain SGD, both runs.
        weights_single, weights_parallel: after ``steps`` steps, float32, in Keras' layout and
            ``get_weights()`` order (kernel ``(in, out)``, bias, kernel, bias); the data-parallel ones are
            rank 0's (replica 0's), and ``settings["replica_weight_gap"]`` says how far the others lie.
        max_weight_gap: ``max |weights_parallel - weights_single|`` over all entries.
        losses_single, losses_parallel: the loss of the whole batch before each step (the data-parallel
            one added up from the workers' per-example losses, so both are the mean over the same batch).
        single_step_seconds, parallel_step_seconds: median seconds of one step after the parity steps and a
            warm-up: one worker with the whole batch; a data-parallel step, as rank 0 (replica 0) sees it,
            waiting for the others included.
        allreduce_seconds: median seconds of the all-reduce alone of a gradient-sized value (``None`` if it
            could not be measured).
        wall_seconds: the whole call, the fresh process and the framework's import included.
        settings: what the child read back: world size or replicas, backend, strategy and its devices,
            cross-device ops, threads, versions.
        note: anything the reader should know about the run.
    """

    framework: str
    workers: int
    steps: int
    batch_size: int
    shard_sizes: tuple[int, ...]
    mistake: str | None
    learning_rate: float
    weights_single: tuple[np.ndarray, ...] = field(repr=False)
    weights_parallel: tuple[np.ndarray, ...] = field(repr=False)
    losses_single: tuple[float, ...]
    losses_parallel: tuple[float, ...]
    single_step_seconds: float
    parallel_step_seconds: float
    allreduce_seconds: float | None
    wall_seconds: float
    settings: dict[str, Any] = field(repr=False)
    note: str = ""

    @property
    def max_weight_gap(self) -> float:
        """``max |Δweight|`` between the data-parallel and the single-worker weights after the steps."""
        return _max_gap(self.weights_parallel, self.weights_single)

    @property
    def max_loss_gap(self) -> float:
        """``max |Δloss|`` between the two runs' per-step losses."""
        if len(self.losses_single) != len(self.losses_parallel):
            return math.inf
        gaps = [abs(a - b) for a, b in zip(self.losses_single, self.losses_parallel)]
        return max(gaps, default=0.0)

    def parity(self, tolerance: float = PARITY_TOLERANCE) -> bool:
        """Whether the data-parallel weights lie within ``tolerance`` of the single worker's."""
        return self.max_weight_gap <= checks.positive(tolerance, "tolerance")

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON types (weights as nested lists), for the child's reply; :meth:`from_dict` undoes it."""
        return {
            "framework": self.framework, "workers": self.workers, "steps": self.steps,
            "batch_size": self.batch_size, "shard_sizes": list(self.shard_sizes), "mistake": self.mistake,
            "learning_rate": self.learning_rate,
            "weights_single": [w.tolist() for w in self.weights_single],
            "weights_parallel": [w.tolist() for w in self.weights_parallel],
            "losses_single": list(self.losses_single), "losses_parallel": list(self.losses_parallel),
            "single_step_seconds": self.single_step_seconds,
            "parallel_step_seconds": self.parallel_step_seconds,
            "allreduce_seconds": self.allreduce_seconds, "wall_seconds": self.wall_seconds,
            "settings": dict(self.settings), "note": self.note,
        }  # fmt: skip

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DataParallelResult:
        """The record from :meth:`to_dict`'s dictionary."""
        return cls(
            framework=str(data["framework"]), workers=int(data["workers"]), steps=int(data["steps"]),
            batch_size=int(data["batch_size"]), shard_sizes=tuple(int(n) for n in data["shard_sizes"]),
            mistake=data["mistake"], learning_rate=float(data["learning_rate"]),
            weights_single=_arrays(data["weights_single"]),
            weights_parallel=_arrays(data["weights_parallel"]),
            losses_single=tuple(float(v) for v in data["losses_single"]),
            losses_parallel=tuple(float(v) for v in data["losses_parallel"]),
            single_step_seconds=float(data["single_step_seconds"]),
            parallel_step_seconds=float(data["parallel_step_seconds"]),
            allreduce_seconds=None if data["allreduce_seconds"] is None else float(data["allreduce_seconds"]),
            wall_seconds=float(data["wall_seconds"]), settings=dict(data["settings"]),
            note=str(data.get("note", "")),
        )  # fmt: skip


def _example_result(**changes: Any) -> DataParallelResult:
    """A made-up record for the examples: 2 workers, equal within 1e-8, a step four times slower."""
    weights = tuple(np.full(shape, 0.25, np.float32) for shape in ((64, 32), (32,), (32, 10), (10,)))
    values: dict[str, Any] = {
        "framework": "pytorch", "workers": 2, "steps": 3, "batch_size": 64, "shard_sizes": (32, 32),
        "mistake": None, "learning_rate": LEARNING_RATE, "weights_single": weights,
        "weights_parallel": weights, "losses_single": (2.5, 2.4, 2.3),
        "losses_parallel": (2.5, 2.4, 2.30000001), "single_step_seconds": 0.0002,
        "parallel_step_seconds": 0.0008, "allreduce_seconds": 0.0003, "wall_seconds": 9.0,
        "settings": {"world_size": 2, "backend": "gloo"},
    }  # fmt: skip
    return DataParallelResult(**{**values, **changes})


def _milliseconds(value: float | None) -> str:
    if value is None or not math.isfinite(value):
        return "n/a"
    return f"{value * 1e3:.3g}"


def parity_table(results: Sequence[DataParallelResult], *, tolerance: float = PARITY_TOLERANCE) -> str:
    """One line a run: framework, slices, mistake, the gaps, the step and all-reduce times, and the verdict.

    ``ok`` when the weights lie within ``tolerance`` of the single worker's, ``BROKEN`` otherwise;
    times in milliseconds (medians). Introduced in chapter 6.

    >>> wrong = _example_result(mistake="uneven", shard_sizes=(48, 16),
    ...                         weights_parallel=tuple(w + 0.002 for w in _example_result().weights_single))
    >>> print(parity_table([_example_result(), wrong]))
    framework  workers  slices  mistake  max |Δw|  max |Δloss|  single ms  parallel ms  all-reduce ms  parity
    ---------  -------  ------  -------  --------  -----------  ---------  -----------  -------------  ------
    pytorch          2  32+32   -           0e+00        1e-08        0.2          0.8            0.3  ok
    pytorch          2  48+16   uneven      2e-03        1e-08        0.2          0.8            0.3  BROKEN

    Raises:
        TypeError: for something that is not a :class:`DataParallelResult`; ValueError for a bad tolerance.
    """
    tolerance = checks.positive(tolerance, "tolerance")
    rows = [
        ["framework", "workers", "slices", "mistake", "max |Δw|", "max |Δloss|", "single ms", "parallel ms",
         "all-reduce ms", "parity"],
    ]  # fmt: skip
    for r in results:
        if not isinstance(r, DataParallelResult):
            raise TypeError(f"results must hold DataParallelResult records, got {type(r).__name__}")
        rows.append(
            [r.framework, str(r.workers), "+".join(str(n) for n in r.shard_sizes), r.mistake or "-",
             f"{r.max_weight_gap:.0e}", f"{r.max_loss_gap:.0e}", _milliseconds(r.single_step_seconds),
             _milliseconds(r.parallel_step_seconds), _milliseconds(r.allreduce_seconds),
             "ok" if r.max_weight_gap <= tolerance else "BROKEN"]
        )  # fmt: skip
    right = {1, 4, 5, 6, 7, 8}
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for index, row in enumerate(rows):
        cells = [c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(row, widths))]
        lines.append("  ".join(cells).rstrip())
        if index == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


# ----------------------------------------------------------------------------------------------------------
# The slices
# ----------------------------------------------------------------------------------------------------------


def shard_bounds(batch_size: int, workers: int, mistake: str | None = None) -> list[tuple[int, int]]:
    """The rows ``[start, stop)`` of the batch that each worker gets, in rank order.

    Equal, contiguous slices (rank 0 the first rows), or with ``mistake="uneven"`` the first worker half a
    slice more and the last half a slice less. Introduced in chapter 6.

    >>> shard_bounds(64, 2)
    [(0, 32), (32, 64)]
    >>> shard_bounds(64, 2, "uneven")
    [(0, 48), (48, 64)]
    >>> shard_bounds(63, 2)
    Traceback (most recent call last):
    ValueError: batch_size 63 does not split into 2 equal slices: give a multiple of 2

    Raises:
        TypeError, ValueError: for sizes that are not positive integers, fewer than 2 workers, a batch that
            is not a multiple of the workers, a slice too small to make uneven, or an unknown mistake.
    """
    batch_size = checks.integer(batch_size, "batch_size", minimum=1)
    workers = checks.integer(workers, "workers", minimum=2, maximum=_MAX_WORKERS)
    if mistake is not None:
        mistake = checks.one_of(mistake, "mistake", MISTAKES)
    if batch_size % workers:
        raise ValueError(
            f"batch_size {batch_size} does not split into {workers} equal slices: "
            f"give a multiple of {workers}"
        )
    size = batch_size // workers
    sizes = [size] * workers
    if mistake == "uneven":
        if size < 2:
            raise ValueError(
                f"slices of {size} example cannot be made uneven: give a batch of {2 * workers} or more"
            )
        sizes[0], sizes[-1] = size + size // 2, size - size // 2
    stops = np.cumsum(sizes).tolist()
    return [(int(stop - n), int(stop)) for stop, n in zip(stops, sizes)]


# ----------------------------------------------------------------------------------------------------------
# The child: PyTorch
# ----------------------------------------------------------------------------------------------------------


def _median(times: Sequence[float]) -> float:
    return float(np.median(np.asarray(times, dtype=np.float64)))


def _timed(call: Callable[[], Any], warmup: int, repeats: int) -> float:
    """Median seconds of ``repeats`` calls after ``warmup`` discarded ones (no budget: a fixed count, so
    that every worker makes the same calls and none waits for a collective the others never start)."""
    timing = time_calls(call, warmup=max(warmup - 1, 0), repeats=repeats)  # its first call is a warm-up too
    return timing.steady.median


def _torch_weights(model: Any) -> list[np.ndarray]:
    """The MLP's PyTorch weights in Keras' layout and order."""
    from .dense import DENSE_RULE

    state = {name: value.detach().numpy().copy() for name, value in model.state_dict().items()}
    weights: list[np.ndarray] = []
    for prefix in ("0.", "2."):
        kernel, bias = DENSE_RULE.to_keras(state[f"{prefix}weight"], state[f"{prefix}bias"])
        weights.extend([kernel, bias] if bias is not None else [kernel])
    return weights


def _torch_setup(spec: dict[str, Any], rows: tuple[int, int]) -> tuple[Any, Any, Any, Any]:
    """The MLP with the initial weights, and its rows of the batch as tensors."""
    import torch

    from .benchmark import _torch_model

    model = _torch_model("mlp")
    state = torch_state("mlp", spec["weights"])
    model.load_state_dict({name: torch.from_numpy(value.copy()) for name, value in state.items()})
    model.train()
    start, stop = rows
    x = torch.from_numpy(np.ascontiguousarray(spec["x"][start:stop]))
    y = torch.from_numpy(np.ascontiguousarray(spec["y"][start:stop]))
    return torch, model, x, y


def _torch_step(torch: Any, model: Any, x: Any, y: Any, lr: float, divisor: int) -> Callable[[], float]:
    """One SGD step on the mean cross-entropy (``sum / divisor``); returns the sum of per-example losses."""
    import torch.nn.functional as F

    optimizer = torch.optim.SGD(model.parameters(), lr=lr)

    def step() -> float:
        optimizer.zero_grad(set_to_none=True)
        per_example = F.cross_entropy(model(x), y, reduction="none")
        (per_example.sum() / divisor).backward()  # type: ignore[no-untyped-call]
        optimizer.step()
        return float(per_example.sum().detach())

    return step


def _torch_worker(rank: int, spec: dict[str, Any], folder: str) -> None:
    """One DDP worker (``torch.multiprocessing.spawn`` calls it with its rank): its rows, the parity steps,
    the timed steps, the timed all-reduce; it writes what it found to ``folder/rank<r>.json``."""
    import torch
    import torch.distributed as dist
    from torch.nn.parallel import DistributedDataParallel

    torch.set_num_threads(1)
    workers = int(spec["workers"])
    dist.init_process_group(
        "gloo", init_method=f"file://{Path(folder) / 'rendezvous'}", rank=rank, world_size=workers
    )
    try:
        rows = tuple(spec["shards"][rank])
        torch, model, x, y = _torch_setup(spec, (int(rows[0]), int(rows[1])))
        ddp = DistributedDataParallel(model)  # broadcasts rank 0's weights; all-reduces in backward()
        # DDP averages over the workers: the mean over the worker's own rows is the right loss
        local = int(rows[1] - rows[0])
        divisor = int(spec["batch_size"]) if spec["mistake"] == "wrong-divisor" else local
        step = _torch_step(torch, ddp, x, y, float(spec["learning_rate"]), divisor)
        sums = [step() for _ in range(int(spec["steps"]))]
        weights = _torch_weights(model)
        dist.barrier()
        step_seconds = _timed(step, int(spec["warmup"]), int(spec["repeats"]))
        size = sum(p.numel() for p in model.parameters())
        flat = torch.zeros(size, dtype=torch.float32)
        dist.barrier()
        allreduce_seconds = _timed(lambda: dist.all_reduce(flat), int(spec["warmup"]), int(spec["repeats"]))
        report = {
            "rank": dist.get_rank(), "world_size": dist.get_world_size(), "backend": str(dist.get_backend()),
            "threads": torch.get_num_threads(), "rows": list(rows), "loss_sums": sums,
            "weights": [w.tolist() for w in weights], "step_seconds": step_seconds,
            "allreduce_seconds": allreduce_seconds, "allreduce_elements": size,
        }  # fmt: skip
        (Path(folder) / f"rank{rank}.json").write_text(json.dumps(report), encoding="utf-8")
    finally:
        dist.destroy_process_group()


def _torch_child(request: dict[str, Any]) -> dict[str, Any]:
    import torch
    from torch.multiprocessing import spawn  # type: ignore[attr-defined]

    torch.set_num_threads(1)
    spec = _spec(request)
    batch = int(spec["batch_size"])
    torch_, model, x, y = _torch_setup(spec, (0, batch))
    step = _torch_step(torch_, model, x, y, float(spec["learning_rate"]), batch)
    losses_single = [s / batch for s in (step() for _ in range(int(spec["steps"])))]
    weights_single = _torch_weights(model)
    single_seconds = _timed(step, int(spec["warmup"]), int(spec["repeats"]))

    # The workers must be found by name: this process runs as __main__, they import twice.distributed.
    worker = importlib.import_module("twice.distributed")._torch_worker
    with tempfile.TemporaryDirectory(prefix="twice-ddp-") as folder:
        nprocs = int(spec["workers"])
        spawn(worker, args=(spec, folder), nprocs=nprocs, join=True)  # type: ignore[no-untyped-call]
        reports = [
            json.loads((Path(folder) / f"rank{r}.json").read_text(encoding="utf-8"))
            for r in range(int(spec["workers"]))
        ]
    sums = np.sum([r["loss_sums"] for r in reports], axis=0)
    weights = [_arrays(r["weights"]) for r in reports]
    settings = {
        "world_size": reports[0]["world_size"], "backend": reports[0]["backend"],
        "ranks": [r["rank"] for r in reports], "rows": [r["rows"] for r in reports],
        "init_method": "file:// (a rendezvous file in a temporary folder)",
        "start_method": "torch.multiprocessing.spawn", "wrapper": "torch.nn.parallel.DistributedDataParallel",
        "gradient_combination": "all-reduce (sum) divided by the world size: the average",
        "threads_per_worker": reports[0]["threads"], "threads_single": torch.get_num_threads(),
        "allreduce_elements": reports[0]["allreduce_elements"],
        "step_seconds_by_rank": [r["step_seconds"] for r in reports],
        "replica_weight_gap": max(_max_gap(w, weights[0]) for w in weights),
        "torch": torch.__version__,
    }  # fmt: skip
    return _reply(
        spec, weights_single, list(weights[0]), losses_single, [float(s) / batch for s in sums],
        single_seconds, float(reports[0]["step_seconds"]), float(reports[0]["allreduce_seconds"]), settings,
    )  # fmt: skip


# ----------------------------------------------------------------------------------------------------------
# The child: TensorFlow
# ----------------------------------------------------------------------------------------------------------


def _tf_child(request: dict[str, Any]) -> dict[str, Any]:
    sys.modules.setdefault("sklearn", None)  # type: ignore[arg-type]  # Keras' optional wrappers: 1-2 s
    import keras
    import tensorflow as tf

    from .benchmark import _keras_model

    spec = _spec(request)
    workers, batch, lr = int(spec["workers"]), int(spec["batch_size"]), float(spec["learning_rate"])
    warmup, repeats, steps = int(spec["warmup"]), int(spec["repeats"]), int(spec["steps"])
    # Before TensorFlow initialises its devices: one thread per op, as each PyTorch worker has, and as many
    # inter-op threads as replicas, so that the replicas' ops can run side by side.
    tf.config.threading.set_intra_op_parallelism_threads(1)
    tf.config.threading.set_inter_op_parallelism_threads(workers)
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * workers)
    devices = [d.name for d in tf.config.list_logical_devices("CPU")][:workers]
    x_np, y_np = spec["x"], spec["y"]
    graph: Any = tf.function  # traced once per shape; untyped, so Any for mypy

    # The single worker: the whole batch, the same step, no strategy.
    model = _keras_model("mlp")
    model.set_weights(spec["weights"])
    optimizer = keras.optimizers.SGD(learning_rate=lr)
    optimizer.build(model.trainable_variables)
    x_all, y_all = tf.constant(x_np), tf.constant(y_np)

    def single_step_eager() -> Any:
        with tf.GradientTape() as tape:
            per_example = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y_all, logits=model(x_all))
            loss = tf.reduce_mean(per_example)
        gradients = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(gradients, model.trainable_variables))
        return loss

    single_step = graph(single_step_eager)

    losses_single = [float(single_step()) for _ in range(steps)]
    weights_single = [np.asarray(w) for w in model.get_weights()]
    single_seconds = _timed(lambda: float(single_step()), warmup, repeats)

    # The data-parallel run: mirrored variables, each replica its own rows.
    strategy = tf.distribute.MirroredStrategy(devices)
    with strategy.scope():
        mirrored = _keras_model("mlp")
        mirrored.set_weights(spec["weights"])
        parallel_optimizer = keras.optimizers.SGD(learning_rate=lr)
        parallel_optimizer.build(mirrored.trainable_variables)
    shards = [tuple(int(i) for i in rows) for rows in spec["shards"]]

    def rows_of(context: Any) -> tuple[Any, Any]:
        start, stop = shards[context.replica_id_in_sync_group]
        return tf.constant(x_np[start:stop]), tf.constant(y_np[start:stop])

    inputs = strategy.experimental_distribute_values_from_function(rows_of)
    local_mean = spec["mistake"] == "wrong-divisor"

    def replica_step(x: Any, y: Any) -> Any:
        with tf.GradientTape() as tape:
            per_example = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=mirrored(x))
            if local_mean:  # the mistake: the single-worker habit, the mean over this replica's rows
                loss = tf.reduce_mean(per_example)
            else:  # the sum over this replica's rows divided by the global batch size
                loss = tf.nn.compute_average_loss(per_example, global_batch_size=batch)
        gradients = tape.gradient(loss, mirrored.trainable_variables)
        # Keras 3's optimiser all-reduces (sums) the replicas' gradients before it updates each copy
        parallel_optimizer.apply_gradients(zip(gradients, mirrored.trainable_variables))
        return tf.reduce_sum(per_example)

    def parallel_step_eager(x: Any, y: Any) -> Any:
        return strategy.run(replica_step, args=(x, y))

    parallel_step = graph(parallel_step_eager)

    def run_parallel() -> float:
        sums = strategy.experimental_local_results(parallel_step(*inputs))
        return float(np.sum([float(s) for s in sums]))

    losses_parallel = [run_parallel() / batch for _ in range(steps)]
    weights_parallel = [np.asarray(w) for w in mirrored.get_weights()]
    copies = [strategy.experimental_local_results(v.value) for v in mirrored.trainable_variables]
    replica_gap = max(
        float(np.max(np.abs(np.asarray(c) - np.asarray(group[0])))) for group in copies for c in group
    )
    parallel_seconds = _timed(run_parallel, warmup, repeats)

    # The all-reduce alone: gradient-sized values, summed across the replicas in one tf.function call.
    shapes = [tuple(w.shape) for w in spec["weights"]]
    grads_like = strategy.experimental_distribute_values_from_function(
        lambda context: [tf.fill(shape, float(context.replica_id_in_sync_group + 1)) for shape in shapes]
    )

    def replica_reduce(values: Any) -> Any:
        return tf.distribute.get_replica_context().all_reduce(tf.distribute.ReduceOp.SUM, values)

    def reduce_step_eager(values: Any) -> Any:
        return strategy.run(replica_reduce, args=(values,))

    reduce_step = graph(reduce_step_eager)

    def run_reduce() -> float:
        return float(strategy.experimental_local_results(reduce_step(grads_like)[-1])[0][0])

    reduced = run_reduce()
    if reduced != workers * (workers + 1) / 2:
        raise RuntimeError(f"the all-reduce of 1 + 2 + ... + {workers} gave {reduced}")
    allreduce_seconds = _timed(run_reduce, warmup, repeats)

    extended = strategy.extended
    cross_device = getattr(extended, "_cross_device_ops", None) or getattr(
        extended, "_inferred_cross_device_ops", None
    )
    options = getattr(extended, "_communication_options", None)  # RING or NCCL, for CollectiveAllReduce
    settings = {
        "replicas": int(strategy.num_replicas_in_sync), "strategy": type(strategy).__name__,
        "devices": [str(d) for d in extended.worker_devices],
        "cross_device_ops": type(cross_device).__name__ if cross_device is not None else "unknown",
        "communication": str(getattr(options, "implementation", "unknown")),
        "logical_cpus": [d.name for d in tf.config.list_logical_devices("CPU")],
        "physical_cpus": len(tf.config.list_physical_devices("CPU")),
        "input": "strategy.experimental_distribute_values_from_function (each replica its own rows)",
        "loss": "tf.reduce_mean over the replica's rows (the mistake)" if local_mean
        else "tf.nn.compute_average_loss(per_example, global_batch_size)",
        "gradient_combination": "ReplicaContext.all_reduce(SUM) in keras.optimizers.SGD.apply_gradients",
        "intra_op_threads": tf.config.threading.get_intra_op_parallelism_threads(),
        "inter_op_threads": tf.config.threading.get_inter_op_parallelism_threads(),
        "allreduce_elements": int(sum(int(np.prod(s)) for s in shapes)),
        "replica_weight_gap": replica_gap,
        "tensorflow": tf.__version__, "keras": keras.__version__,
    }  # fmt: skip
    return _reply(
        spec, weights_single, weights_parallel, losses_single, losses_parallel, single_seconds,
        parallel_seconds, allreduce_seconds, settings,
    )  # fmt: skip


# ----------------------------------------------------------------------------------------------------------
# The child's protocol
# ----------------------------------------------------------------------------------------------------------


def _spec(request: dict[str, Any]) -> dict[str, Any]:
    """The request with the batch, the weights and the slices filled in (the same in parent and child)."""
    x, y = make_batch("mlp", int(request["batch_size"]), int(request["seed"]))
    spec = dict(request)
    spec["x"], spec["y"] = x, y
    spec["weights"] = initial_weights("mlp", int(request["seed"]))
    spec["shards"] = shard_bounds(int(request["batch_size"]), int(request["workers"]), request["mistake"])
    return spec


def _reply(
    spec: dict[str, Any],
    weights_single: Sequence[np.ndarray],
    weights_parallel: Sequence[np.ndarray],
    losses_single: Sequence[float],
    losses_parallel: Sequence[float],
    single_seconds: float,
    parallel_seconds: float,
    allreduce_seconds: float | None,
    settings: dict[str, Any],
) -> dict[str, Any]:
    settings = {
        **settings, "python": platform.python_version(), "cpu": _cpu_name(),
        "device": "cpu (" + _DEVICE_NOTE + ")",
    }  # fmt: skip
    return DataParallelResult(
        framework=str(spec["framework"]), workers=int(spec["workers"]), steps=int(spec["steps"]),
        batch_size=int(spec["batch_size"]), shard_sizes=tuple(b - a for a, b in spec["shards"]),
        mistake=spec["mistake"], learning_rate=float(spec["learning_rate"]),
        weights_single=_arrays(weights_single), weights_parallel=_arrays(weights_parallel),
        losses_single=tuple(float(v) for v in losses_single),
        losses_parallel=tuple(float(v) for v in losses_parallel), single_step_seconds=single_seconds,
        parallel_step_seconds=parallel_seconds, allreduce_seconds=allreduce_seconds, wall_seconds=0.0,
        settings=settings,
    ).to_dict()  # fmt: skip


def _child_main() -> None:
    """``python -m twice.distributed``: a request as JSON on stdin, the result as JSON on stdout's end."""
    request = json.load(sys.stdin)
    run = {"pytorch": _torch_child, "tensorflow": _tf_child}[request["framework"]]
    reply = run(request)
    sys.stdout.write("\n" + json.dumps({"result": reply}) + "\n")
    sys.stdout.flush()


# ----------------------------------------------------------------------------------------------------------
# The parent
# ----------------------------------------------------------------------------------------------------------


def _child_environment() -> dict[str, str]:
    env = dict(os.environ)
    for variable in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        env[variable] = "1"  # every worker, and the single worker, one thread
    env["CUDA_VISIBLE_DEVICES"] = ""  # the CPU is measured: a GPU would take TensorFlow's ops silently
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    return env


def run_data_parallel(
    framework: str,
    *,
    workers: int = 2,
    steps: int = 3,
    batch_size: int = 64,
    seed: int = 0,
    learning_rate: float = LEARNING_RATE,
    mistake: str | None = None,
    warmup: int = 3,
    repeats: int = 20,
    timeout: float = 300.0,
) -> DataParallelResult:
    """One worker with the whole batch and ``workers`` with a slice each, ``steps`` SGD steps, compared.

    Runs in a fresh Python process (``python -m twice.distributed``): PyTorch's single worker there and its
    data-parallel workers as ``torch.multiprocessing.spawn`` processes (gloo, DDP); TensorFlow's both runs in
    that process, its CPU split into ``workers`` logical devices first (MirroredStrategy). Both runs start
    from :func:`twice.benchmark.initial_weights` and see the batch :func:`twice.benchmark.make_batch` makes
    for ``batch_size`` and ``seed``, rank ``r`` the rows :func:`shard_bounds` gives it. After the parity
    steps, ``warmup`` steps (at least one) are discarded and ``repeats`` timed (a fixed count, the same on
    every worker); the all-reduce alone is timed the same way. ``mistake`` (one of :data:`MISTAKES`) makes
    the run wrong on purpose. A call takes about 12 s (TensorFlow) to 20 s (PyTorch) on a two-core CPU,
    mostly the framework's import (three times for PyTorch: the child and its two workers).
    Introduced in chapter 6.

    >>> run_data_parallel("tf", workers=2, batch_size=63)
    Traceback (most recent call last):
    ValueError: batch_size 63 does not split into 2 equal slices: give a multiple of 2
    >>> run_data_parallel("jax")
    Traceback (most recent call last):
    ValueError: unknown framework 'jax': expected 'tensorflow' (or 'tf', 'keras') or 'pytorch' ...

    Raises:
        TypeError, ValueError: for an unknown framework or mistake, fewer than 2 or more than 8 workers, a
            batch that does not split evenly, counts that are not positive integers, a bad learning rate,
            seed or timeout.
        RuntimeError: if the child process fails (the end of its standard error is in the message).
        subprocess.TimeoutExpired: if it runs longer than ``timeout`` seconds.
    """
    name = checks.framework(framework)
    shards = shard_bounds(batch_size, workers, mistake)
    request = {
        "framework": name, "workers": checks.integer(workers, "workers"),
        "steps": checks.integer(steps, "steps", minimum=1),
        "batch_size": checks.integer(batch_size, "batch_size"),
        "seed": checks.seed(seed), "learning_rate": checks.positive(learning_rate, "learning_rate"),
        "mistake": mistake, "warmup": checks.integer(warmup, "warmup", minimum=0),
        "repeats": checks.integer(repeats, "repeats", minimum=1),
    }  # fmt: skip
    timeout = checks.positive(timeout, "timeout")
    started = time.perf_counter()
    completed = subprocess.run(
        [sys.executable, "-m", "twice.distributed"],
        input=json.dumps(request),
        capture_output=True,
        text=True,
        env=_child_environment(),
        timeout=timeout,
        check=False,
    )
    wall = time.perf_counter() - started
    if completed.returncode:
        raise RuntimeError(
            f"the {name} data-parallel run with {len(shards)} workers failed:\n{completed.stderr[-3000:]}"
        )
    payload = json.loads(completed.stdout.strip().splitlines()[-1])
    data = {**payload["result"], "wall_seconds": wall}
    return DataParallelResult.from_dict(data)


__all__ = [
    "LEARNING_RATE",
    "MISTAKES",
    "PARITY_TOLERANCE",
    "DataParallelResult",
    "parity_table",
    "run_data_parallel",
    "shard_bounds",
]

if __name__ == "__main__":
    _child_main()
