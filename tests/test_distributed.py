"""Tests for twice.distributed: two workers with half a batch each take the single worker's step.

The real runs start a fresh Python each (PyTorch's spawns two more), about 20 s for PyTorch and 12 s for
TensorFlow on two cores; each is made once, in a module-scoped fixture, with few timed repeats.
"""

from __future__ import annotations

import importlib.util
import itertools
import math
import subprocess
import sys
import textwrap
from typing import Any

import numpy as np
import pytest

from twice import distributed
from twice.benchmark import initial_weights
from twice.distributed import (
    MISTAKES,
    PARITY_TOLERANCE,
    DataParallelResult,
    parity_table,
    run_data_parallel,
    shard_bounds,
)

QUICK: dict[str, Any] = {"warmup": 1, "repeats": 5}  # timings are checked for sense, not measured
RUNS = {
    "pytorch": ("pytorch", None),
    "tensorflow": ("tensorflow", None),
    "pytorch-uneven": ("pytorch", "uneven"),
    "tensorflow-uneven": ("tensorflow", "uneven"),
    "tensorflow-wrong-divisor": ("tensorflow", "wrong-divisor"),
}
LOSS_TOLERANCE = 1e-5  # float32 losses near 2.7, summed in another order


@pytest.fixture(scope="module")
def runs() -> dict[str, DataParallelResult]:
    # Skip where a framework is missing, as the framework fixtures do, without importing it here: only the
    # children need it (a skip fails the run unless TWICE_ALLOW_SKIPS=1, see the repository's conftest.py).
    for module in ("tensorflow", "torch"):
        if importlib.util.find_spec(module) is None:
            pytest.skip(f"{module} is not installed")
    return {key: run_data_parallel(fw, mistake=mistake, **QUICK) for key, (fw, mistake) in RUNS.items()}


# --- without a framework ---------------------------------------------------------------------------------


def test_importing_the_module_imports_no_framework() -> None:
    code = """
        import sys
        import twice.distributed
        leaked = [m for m in ("tensorflow", "torch", "keras") if m in sys.modules]
        assert not leaked, leaked
    """
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr


def test_equal_slices_cover_the_batch_in_rank_order() -> None:
    assert shard_bounds(64, 2) == [(0, 32), (32, 64)]
    assert shard_bounds(12, 4) == [(0, 3), (3, 6), (6, 9), (9, 12)]


def test_uneven_slices_cover_the_same_rows() -> None:
    assert shard_bounds(64, 2, "uneven") == [(0, 48), (48, 64)]
    bounds = shard_bounds(16, 4, "uneven")
    assert bounds[0][0] == 0 and bounds[-1][1] == 16
    assert all(stop == start for (_, stop), (start, _) in itertools.pairwise(bounds))
    assert [b - a for a, b in bounds] == [6, 4, 4, 2]


@pytest.mark.parametrize(
    ("arguments", "error", "match"),
    [
        ({"batch_size": 63}, ValueError, r"does not split into 2 equal slices"),
        ({"batch_size": 0}, ValueError, r"batch_size must be a positive integer"),
        ({"batch_size": 64.0}, TypeError, r"batch_size must be an integer"),
        ({"workers": 1}, ValueError, r"workers must be an integer >= 2"),
        ({"workers": 16}, ValueError, r"workers must be an integer <= 8"),
        ({"workers": True}, TypeError, r"workers must be an integer"),
        ({"mistake": "local"}, ValueError, r"unknown mistake 'local'"),
        ({"batch_size": 2, "mistake": "uneven"}, ValueError, r"cannot be made uneven"),
    ],
)
def test_shard_bounds_refuses_what_cannot_be_split(
    arguments: dict[str, Any], error: type[Exception], match: str
) -> None:
    values = {"batch_size": 64, "workers": 2, **arguments}
    with pytest.raises(error, match=match):
        shard_bounds(values["batch_size"], values["workers"], values.get("mistake"))


@pytest.mark.parametrize(
    ("arguments", "error", "match"),
    [
        ({"framework": "jax"}, ValueError, r"unknown framework 'jax'"),
        ({"framework": 3}, TypeError, r"framework must be a string"),
        ({"batch_size": 63}, ValueError, r"does not split into 2 equal slices"),
        ({"steps": 0}, ValueError, r"steps must be a positive integer"),
        ({"seed": -1}, ValueError, r"seed must be a non-negative integer"),
        ({"learning_rate": 0.0}, ValueError, r"learning_rate must be positive"),
        ({"repeats": 0}, ValueError, r"repeats must be a positive integer"),
        ({"warmup": -1}, ValueError, r"warmup must be a non-negative integer"),
        ({"timeout": 0}, ValueError, r"timeout must be positive"),
        ({"mistake": "wrong"}, ValueError, r"unknown mistake 'wrong': expected one of 'uneven'"),
    ],
)
def test_run_data_parallel_refuses_before_starting_a_process(
    arguments: dict[str, Any], error: type[Exception], match: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_process(*args: object, **kwargs: object) -> None:
        raise AssertionError("a process was started")

    monkeypatch.setattr("twice.distributed.subprocess.run", no_process)
    values = {"framework": "torch", **arguments}
    framework = values.pop("framework")
    with pytest.raises(error, match=match):
        run_data_parallel(framework, **values)


def test_a_failing_child_raises_with_its_standard_error(monkeypatch: pytest.MonkeyPatch) -> None:
    def failed(*args: object, **kwargs: object) -> subprocess.CompletedProcess[str]:
        return subprocess.CompletedProcess([], 1, "", "Traceback ...\nRuntimeError: gloo said no")

    monkeypatch.setattr("twice.distributed.subprocess.run", failed)
    with pytest.raises(
        RuntimeError, match=r"(?s)pytorch data-parallel run with 2 workers failed.*gloo said no"
    ):
        run_data_parallel("pt")


def test_a_result_survives_json() -> None:
    result = distributed._example_result()
    again = DataParallelResult.from_dict(result.to_dict())
    assert again.to_dict() == result.to_dict()
    assert all(w.dtype == np.float32 for w in again.weights_parallel)


def test_the_gaps_and_the_verdict() -> None:
    result = distributed._example_result()
    assert result.max_weight_gap == 0.0 and result.parity()
    moved = tuple(w.copy() for w in result.weights_single)
    moved[2][0, 0] += 1e-3
    broken = distributed._example_result(weights_parallel=moved)
    assert broken.max_weight_gap == pytest.approx(1e-3, rel=1e-3)
    assert not broken.parity() and broken.parity(tolerance=1e-2)
    shorter = distributed._example_result(weights_parallel=moved[:2])
    assert shorter.max_weight_gap == math.inf  # other shapes are never equal
    assert "BROKEN" in parity_table([broken]) and "ok" in parity_table([result])
    with pytest.raises(TypeError, match=r"DataParallelResult"):
        parity_table(["a run"])  # type: ignore[list-item]


def test_the_tolerance_lies_between_rounding_and_the_mistakes() -> None:
    # One float32 unit in the last place at the weights' size, and the smallest deliberate mistake measured.
    assert float(np.spacing(np.float32(0.25))) < PARITY_TOLERANCE < 1e-3
    assert MISTAKES == ("uneven", "wrong-divisor")


# --- the real runs --------------------------------------------------------------------------------------


@pytest.mark.parametrize("framework", ["pytorch", "tensorflow"])
def test_two_workers_with_half_batches_take_the_single_workers_steps(
    runs: dict[str, DataParallelResult], framework: str
) -> None:
    result = runs[framework]
    assert (result.framework, result.workers, result.shard_sizes, result.mistake) == (
        framework, 2, (32, 32), None,
    )  # fmt: skip
    assert result.max_weight_gap <= PARITY_TOLERANCE, parity_table([result])
    assert result.parity()
    # the same first loss (the same start and batch), and the same losses after each step
    assert len(result.losses_single) == len(result.losses_parallel) == result.steps == 3
    assert result.max_loss_gap <= LOSS_TOLERANCE
    assert result.losses_single[-1] < result.losses_single[0]  # the steps did train
    # and the steps moved the weights: the parity is not that of two runs that never moved
    start = initial_weights("mlp")
    assert max(float(np.abs(w - s).max()) for w, s in zip(result.weights_single, start)) > 1e-3
    assert result.settings["replica_weight_gap"] == 0.0  # every copy took the same update


def test_pytorch_and_tensorflow_agree_with_each_other(runs: dict[str, DataParallelResult]) -> None:
    torch_run, tf_run = runs["pytorch"], runs["tensorflow"]
    assert np.allclose(torch_run.losses_parallel, tf_run.losses_parallel, atol=LOSS_TOLERANCE)
    gap = max(float(np.abs(a - b).max()) for a, b in zip(torch_run.weights_parallel, tf_run.weights_parallel))
    assert gap < 1e-5


@pytest.mark.parametrize("key", list(RUNS))
def test_the_timings_are_positive_and_finite(runs: dict[str, DataParallelResult], key: str) -> None:
    result = runs[key]
    times = [result.single_step_seconds, result.parallel_step_seconds, result.allreduce_seconds]
    assert all(t is not None and math.isfinite(t) and 0 < t < 1 for t in times), times
    assert result.wall_seconds > result.parallel_step_seconds


def test_pytorch_reads_back_two_gloo_ranks(runs: dict[str, DataParallelResult]) -> None:
    settings = runs["pytorch"].settings
    assert settings["world_size"] == 2 and settings["ranks"] == [0, 1]
    assert settings["backend"] == "gloo"
    assert settings["rows"] == [[0, 32], [32, 64]]
    assert settings["threads_per_worker"] == 1 and settings["threads_single"] == 1
    assert settings["allreduce_elements"] == sum(w.size for w in initial_weights("mlp")) == 2410


def test_tensorflow_reads_back_two_replicas_on_two_logical_cpus(runs: dict[str, DataParallelResult]) -> None:
    settings = runs["tensorflow"].settings
    assert settings["replicas"] == 2 and settings["strategy"] == "MirroredStrategy"
    assert [d.rsplit("/", 1)[-1] for d in settings["devices"]] == ["device:CPU:0", "device:CPU:1"]
    assert settings["logical_cpus"] == ["/device:CPU:0", "/device:CPU:1"] and settings["physical_cpus"] == 1
    # TensorFlow 2.21 on CPUs: a ring collective, not ReductionToOneDevice (see the module's docstring)
    assert settings["cross_device_ops"] in {"CollectiveAllReduce", "ReductionToOneDevice"}
    assert (settings["intra_op_threads"], settings["inter_op_threads"]) == (1, 2)


def test_uneven_slices_break_ddps_average_but_not_tensorflows_global_divisor(
    runs: dict[str, DataParallelResult],
) -> None:
    torch_run, tf_run = runs["pytorch-uneven"], runs["tensorflow-uneven"]
    assert torch_run.shard_sizes == tf_run.shard_sizes == (48, 16)
    assert torch_run.settings["rows"] == [[0, 48], [48, 64]]
    assert torch_run.max_weight_gap > 1000 * PARITY_TOLERANCE, parity_table([torch_run])
    assert not torch_run.parity()
    # the first loss is the same (the same start), the later ones are not
    assert torch_run.losses_parallel[0] == pytest.approx(torch_run.losses_single[0], abs=LOSS_TOLERANCE)
    assert torch_run.max_loss_gap > 100 * LOSS_TOLERANCE
    assert tf_run.parity(), parity_table([tf_run])  # every example divided by the same 64


def test_tensorflows_local_mean_doubles_the_step(runs: dict[str, DataParallelResult]) -> None:
    wrong, right = runs["tensorflow-wrong-divisor"], runs["tensorflow"]
    assert wrong.max_weight_gap > 1000 * PARITY_TOLERANCE and not wrong.parity()
    assert "reduce_mean" in wrong.settings["loss"]
    # two replicas' local means summed: the first update is twice the single worker's
    start = initial_weights("mlp")
    moved_wrong = wrong.weights_parallel[-1] - start[-1]
    moved_right = right.weights_single[-1] - start[-1]
    assert wrong.steps == right.steps
    # after several steps the factor is not exactly 2 (the gradients change), but the direction is the same
    assert float(np.dot(moved_wrong, moved_right)) > 0
    assert np.linalg.norm(moved_wrong) > 1.5 * np.linalg.norm(moved_right)


def test_the_table_shows_the_parity_and_the_mistakes(runs: dict[str, DataParallelResult]) -> None:
    table = parity_table(list(runs.values()))
    lines = table.splitlines()
    assert len(lines) == 2 + len(RUNS)
    verdicts = {key: line.split()[-1] for key, line in zip(RUNS, lines[2:])}
    assert verdicts == {
        "pytorch": "ok",
        "tensorflow": "ok",
        "pytorch-uneven": "BROKEN",
        "tensorflow-uneven": "ok",
        "tensorflow-wrong-divisor": "BROKEN",
    }
