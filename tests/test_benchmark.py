"""Tests for twice.benchmark: the statistics, the warm-up rule, the fairness rules and the output check.

The real runs start fresh Python processes, one per (framework, thread count), at tiny sizes; they are shared
by the tests of this module (one fixture), so that TensorFlow starts only twice.
"""

from __future__ import annotations

import dataclasses
import json
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from twice import benchmark
from twice.benchmark import (
    CHECK_TOLERANCE,
    MODES,
    Options,
    Result,
    Settings,
    check_outputs,
    estimate_peak,
    fingerprint,
    initial_weights,
    make_batch,
    ratio_table,
    results_table,
    run_configuration,
    run_suite,
    summarise,
    time_calls,
    torch_state,
)

MODEL_WORKLOADS = ("mlp", "cnn", "lstm", "transformer")


# --- statistics ---------------------------------------------------------------------------------------------


def test_summary_of_known_numbers() -> None:
    s = summarise([4.0, 1.0, 100.0, 3.0, 2.0])  # order does not matter
    assert (s.median, s.q1, s.q3, s.minimum, s.maximum, s.count) == (3.0, 2.0, 4.0, 1.0, 100.0, 5)
    assert s.iqr == 2.0  # the slow call moves the maximum, not the median or the IQR


def test_summary_interpolates_quartiles_of_an_even_count() -> None:
    s = summarise([1.0, 2.0, 3.0, 4.0])
    assert (s.median, s.q1, s.q3) == (2.5, 1.75, 3.25)
    assert s.iqr == pytest.approx(1.5)


def test_summary_of_one_time() -> None:
    s = summarise([0.5])
    assert (s.median, s.iqr, s.minimum, s.maximum, s.count) == (0.5, 0.0, 0.5, 0.5, 1)


@pytest.mark.parametrize(
    ("times", "match"),
    [
        ([], r"at least one duration"),
        ([1.0, -1.0], r"finite and non-negative"),
        ([1.0, float("nan")], r"finite and non-negative"),
    ],
)
def test_summary_refuses_what_is_not_a_duration(times: list[float], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        summarise(times)


# --- the warm-up rule ----------------------------------------------------------------------------------------


class _FakeClock:
    """perf_counter for time_calls: each call of the timed function lasts the next of ``durations``."""

    def __init__(self, durations: list[float]) -> None:
        self.durations = iter(durations)
        self.now = 0.0

    def perf_counter(self) -> float:
        return self.now

    def call(self) -> int:
        duration = next(self.durations)
        self.now += duration
        return int(duration * 1000)  # the output: which call this was


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[_FakeClock]:
    # A compiling first call of 10 s, two warm-up calls of 2 s, then steady calls of 1 s (one odd one of 5 s).
    fake = _FakeClock([10.0, 2.0, 2.0, 1.0, 1.0, 5.0, 1.0, 1.0] + [1.0] * 20)
    monkeypatch.setattr("twice.benchmark.time.perf_counter", fake.perf_counter)
    yield fake


def test_the_first_call_is_reported_alone_and_the_warm_up_is_left_out(clock: _FakeClock) -> None:
    timing = time_calls(clock.call, warmup=2, repeats=5)
    assert timing.first_call_seconds == 10.0
    assert timing.warmup_seconds == (2.0, 2.0)
    assert timing.steady.count == 5 and timing.steady.maximum == 5.0
    assert timing.steady.median == 1.0 and timing.steady.minimum == 1.0  # neither 10 s nor 2 s is in it


def test_without_warm_up_the_steady_state_still_excludes_the_first_call(clock: _FakeClock) -> None:
    timing = time_calls(clock.call, warmup=0, repeats=3)
    assert timing.first_call_seconds == 10.0 and timing.warmup_seconds == ()
    assert timing.steady.maximum == 2.0 and timing.steady.count == 3


def test_the_budget_stops_the_timed_calls_but_not_below_three(clock: _FakeClock) -> None:
    timing = time_calls(clock.call, warmup=2, repeats=20, budget_seconds=2.5)
    assert timing.steady.count == 3  # 1 + 1 + 5 s: over the budget after the third
    fake = _FakeClock([1.0] * 30)
    timing = time_calls(fake.call, warmup=0, repeats=20, budget_seconds=100.0)
    assert timing.steady.count == 20  # the budget never adds calls


def test_the_first_outputs_are_kept_in_order(clock: _FakeClock) -> None:
    timing = time_calls(clock.call, warmup=1, repeats=3, keep=3)
    assert timing.outputs == (10000, 2000, 2000)  # the first call, the warm-up, the first timed call


def test_more_outputs_than_calls_are_made_by_extra_untimed_calls() -> None:
    calls: list[int] = []

    def call() -> int:
        calls.append(1)
        return len(calls)

    timing = time_calls(call, warmup=0, repeats=1, keep=4)
    assert timing.outputs == (1, 2, 3, 4) and timing.steady.count == 1


@pytest.mark.parametrize(
    ("arguments", "error", "match"),
    [
        ({"call": 3}, TypeError, r"call must be callable, got int"),
        ({"warmup": -1}, ValueError, r"warmup must be a non-negative integer, got -1"),
        ({"repeats": 0}, ValueError, r"repeats must be a positive integer, got 0"),
        ({"budget_seconds": 0}, ValueError, r"budget_seconds must be positive, got 0"),
        ({"keep": 1.5}, TypeError, r"keep must be an integer"),
    ],
)
def test_time_calls_refuses_bad_arguments(
    arguments: dict[str, Any], error: type[Exception], match: str
) -> None:
    call = arguments.pop("call", lambda: None)
    with pytest.raises(error, match=match):
        time_calls(call, **arguments)


# --- the same batch and the same weights ------------------------------------------------------------------------


@pytest.mark.parametrize("workload", benchmark.WORKLOADS)
def test_a_batch_is_the_same_for_the_same_seed_and_another_for_another(workload: str) -> None:
    first, again, other = make_batch(workload, 4, 0), make_batch(workload, 4, 0), make_batch(workload, 4, 1)
    assert fingerprint(first) == fingerprint(again) != fingerprint(other)


def test_the_transformer_batch_is_the_reversal_task() -> None:
    ids, labels = make_batch("transformer", 3)
    assert ids.shape == (3, 12) and ids.max() < 10
    np.testing.assert_array_equal(labels, ids[:, ::-1])


@pytest.mark.parametrize("workload", MODEL_WORKLOADS)
def test_torch_state_is_what_the_books_converter_makes(workload: str, keras: Any, torch: Any) -> None:
    # torch_state moves the weights without a framework; twice.convert does it with both models in hand.
    from twice.convert import keras_to_torch

    weights = initial_weights(workload, seed=3)
    tf_side = benchmark._keras_model(workload)
    tf_side.set_weights(weights)
    pt_side = benchmark._torch_model(workload)
    keras_to_torch(tf_side, pt_side)
    converted = {name: value.detach().numpy() for name, value in pt_side.state_dict().items()}
    state = torch_state(workload, weights)
    assert state.keys() == converted.keys()
    for name, value in state.items():
        np.testing.assert_array_equal(value, converted[name], err_msg=name)


def test_initial_weights_fit_their_models(keras: Any) -> None:
    for workload in MODEL_WORKLOADS:
        model = benchmark._keras_model(workload)
        assert [w.shape for w in initial_weights(workload)] == [tuple(w.shape) for w in model.weights]


def test_torch_state_refuses_weights_of_another_model() -> None:
    with pytest.raises(ValueError, match=r"weights must be the 4 arrays of initial_weights\('mlp'\)"):
        torch_state("mlp", initial_weights("cnn"))
    with pytest.raises(ValueError, match=r"workload 'matmul' has no model"):
        initial_weights("matmul")


# --- options and refusals --------------------------------------------------------------------------------------


def test_options_put_workloads_and_modes_in_canonical_order() -> None:
    options = Options(workloads=("lstm", "matmul"), modes=("compiled", "eager"))
    assert options.workloads == ("matmul", "lstm") and options.modes == ("eager", "compiled")


@pytest.mark.parametrize(
    ("changes", "error", "match"),
    [
        (
            {"modes": ("jit",)},
            ValueError,
            r"unknown mode 'jit': expected one of 'eager', 'graph', 'compiled'",
        ),
        ({"workloads": ("resnet",)}, ValueError, r"unknown workload 'resnet'"),
        ({"workloads": "mlp"}, TypeError, r"workloads must be a non-empty tuple of names"),
        ({"check_steps": 1}, ValueError, r"check_steps must be an integer >= 2, got 1"),
        ({"learning_rate": 0.0}, ValueError, r"learning_rate must be positive"),
        ({"cold_compile": 1}, TypeError, r"cold_compile must be a bool"),
    ],
)
def test_options_refuse_what_the_harness_cannot_run(
    changes: dict[str, Any], error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=match):
        Options(**changes)


@pytest.mark.parametrize(
    ("framework", "threads", "error", "match"),
    [
        ("jax", 1, ValueError, r"unknown framework 'jax': expected 'numpy', 'tensorflow'"),
        ("torch", 0, ValueError, r"threads must be a positive integer, got 0"),
        ("torch", 1.0, TypeError, r"threads must be an integer"),
        ("numpy", 1, ValueError, r"NumPy runs the 'matmul' workload only"),
    ],
)
def test_run_configuration_refuses_before_starting_a_process(
    framework: str, threads: Any, error: type[Exception], match: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_process(*args: object, **kwargs: object) -> None:
        raise AssertionError("a process was started")

    monkeypatch.setattr("twice.benchmark.subprocess.run", no_process)
    with pytest.raises(error, match=match):
        run_configuration(framework, threads, Options.quick(workloads=("mlp",)))


def test_a_failing_child_raises_with_its_standard_error(monkeypatch: pytest.MonkeyPatch) -> None:
    def failing(*args: object, **kwargs: object) -> subprocess.CompletedProcess[str]:
        return subprocess.CompletedProcess([], 1, "", "Traceback ...\nImportError: no TensorFlow here")

    monkeypatch.setattr("twice.benchmark.subprocess.run", failing)
    with pytest.raises(
        RuntimeError, match=r"(?s)the tensorflow benchmark with 2 threads failed:.*no TensorFlow"
    ):
        run_configuration("tf", 2, Options.quick(workloads=("mlp",)))


# --- the output check --------------------------------------------------------------------------------------------


def _made_up(
    framework: str, mode: str, threads: int = 1, values: tuple[float, ...] = (2.3, 2.2, 2.1)
) -> Result:
    return Result(
        "mlp",
        8,
        framework,
        mode,
        threads,
        True,
        0.1,
        (0.01,),
        summarise([0.001, 0.002]),
        values,
        "b",
        "w",
        Settings.example(),
    )


def test_the_check_uses_pytorch_eager_on_the_fewest_threads_as_the_reference() -> None:
    results = [
        _made_up("tensorflow", "eager"),
        _made_up("pytorch", "compiled"),
        _made_up("pytorch", "eager", 2),
        _made_up("pytorch", "eager", 1),
    ]
    checked = check_outputs(results)
    assert {r.check_reference for r in checked} == {"pytorch eager, 1 thread"}
    assert all(r.check_passed and r.check_gap == 0.0 for r in checked)


def test_the_check_catches_a_wrong_variant_and_only_it() -> None:
    wrong = _made_up("tensorflow", "graph", values=(2.3, 2.2, 2.1 + 10 * CHECK_TOLERANCE))
    close = _made_up("tensorflow", "eager", values=(2.3, 2.2, 2.1 + CHECK_TOLERANCE))
    checked = check_outputs([_made_up("pytorch", "eager"), close, wrong])
    assert [r.check_passed for r in checked] == [True, True, False]
    assert checked[2].check_gap == pytest.approx(10 * CHECK_TOLERANCE / 2.3)


@pytest.mark.parametrize(
    "change",
    [
        {"batch_sha256": "other"},
        {"weights_sha256": "other"},
        {"check_values": (2.3, 2.2)},
        {"check_values": (2.3, float("nan"), 2.1)},
    ],
    ids=["another batch", "other weights", "fewer steps", "nan"],
)
def test_the_check_fails_a_variant_that_did_not_get_the_same_inputs(change: dict[str, Any]) -> None:
    checked = check_outputs(
        [_made_up("pytorch", "eager"), dataclasses.replace(_made_up("tensorflow", "eager"), **change)]
    )
    assert checked[0].check_passed and not checked[1].check_passed


def test_the_check_leaves_unsupported_variants_unchecked() -> None:
    missing = dataclasses.replace(_made_up("pytorch", "graph"), supported=False, steady=None, check_values=())
    checked = check_outputs([_made_up("pytorch", "eager"), missing])
    assert checked[1].check_passed is None and checked[1].check_gap is None


def test_the_check_refuses_what_is_not_a_result() -> None:
    with pytest.raises(TypeError, match=r"results must hold Result records, got dict"):
        check_outputs([{}])  # type: ignore[list-item]


# --- records and tables --------------------------------------------------------------------------------------------


def test_a_result_survives_json() -> None:
    result = _made_up("pytorch", "eager")
    assert Result.from_dict(json.loads(json.dumps(result.to_dict()))) == result


def test_gflops_is_two_n_cubed_over_the_median() -> None:
    result = dataclasses.replace(_made_up("numpy", "eager"), workload="matmul", size=100)
    assert result.gflops == pytest.approx(2e6 / 0.0015 / 1e9)
    assert _made_up("numpy", "eager").gflops is None  # a training step has no FLOP count here


def test_the_ratio_table_divides_by_the_baseline_and_marks_missing_variants() -> None:
    slow = dataclasses.replace(_made_up("tensorflow", "eager"), steady=summarise([0.006]))
    base = dataclasses.replace(_made_up("pytorch", "eager"), steady=summarise([0.002]))
    missing = dataclasses.replace(_made_up("pytorch", "graph"), supported=False, steady=None)
    two = dataclasses.replace(base, threads=2, steady=summarise([0.001]))
    lines = ratio_table([slow, base, missing, two]).splitlines()
    assert lines[0].split() == [
        "workload",
        "size",
        "threads",
        "pytorch",
        "eager",
        "pytorch",
        "graph",
        "tensorflow",
        "eager",
    ]
    assert lines[2].split() == ["mlp", "8", "1", "1", "n/a", "3"]
    assert lines[3].split() == ["mlp", "8", "2", "0.5", "-", "-"]


def test_the_ratio_table_takes_another_baseline() -> None:
    tf_graph = dataclasses.replace(_made_up("tensorflow", "graph"), steady=summarise([0.004]))
    pt = dataclasses.replace(_made_up("pytorch", "eager"), steady=summarise([0.002]))
    lines = ratio_table([tf_graph, pt], baseline=("tf", "graph", 1)).splitlines()
    assert lines[2].split() == ["mlp", "8", "1", "0.5", "1"]
    with pytest.raises(ValueError, match=r"baseline must be \(framework, mode, threads\)"):
        ratio_table([pt], baseline=("pytorch", "eager"))  # type: ignore[arg-type]


def test_the_results_table_says_why_a_variant_is_missing() -> None:
    missing = dataclasses.replace(
        _made_up("pytorch", "graph"), supported=False, steady=None, note="no graph mode"
    )
    table = results_table(check_outputs([_made_up("pytorch", "eager"), missing]))
    assert "ok 0e+00" in table and "no graph mode" in table


# --- the peak ------------------------------------------------------------------------------------------------------


def test_the_peak_follows_the_vector_width_fma_and_clock() -> None:
    avx2 = estimate_peak("model name : X @ 3.00GHz\nflags : sse avx avx2 fma\n")
    assert avx2 is not None and (avx2.lanes, avx2.per_core_low, avx2.per_core_high) == (8, 48.0, 96.0)
    no_fma = estimate_peak("cpu MHz : 2000.000\nflags : sse sse2\n")
    assert no_fma is not None and (no_fma.lanes, no_fma.fma, no_fma.per_core_low) == (4, False, 8.0)
    assert "1 or 2 vector units" in no_fma.basis


def test_no_peak_is_invented() -> None:
    assert estimate_peak("flags : avx512f fma\n") is None  # no clock
    assert estimate_peak("model name : Apple M2\nflags : neon\n") is None  # no known vector flags
    assert estimate_peak("") is None


# --- real runs in fresh processes -----------------------------------------------------------------------------------

# Tiny sizes, few repeats: these runs test the harness, they measure nothing.
_RUNS: dict[str, tuple[str, int, Options]] = {
    "numpy 1": ("numpy", 1, Options.quick(workloads=("matmul",))),
    "numpy 2": ("numpy", 2, Options.quick(workloads=("matmul",))),
    "tensorflow 1": ("tensorflow", 1, Options.quick(workloads=("matmul", "mlp"))),
    # every model, eagerly: the same losses in both frameworks (the LSTM only with PyTorch's bias_hh frozen)
    "tensorflow 2": ("tensorflow", 2, Options.quick(workloads=MODEL_WORKLOADS, modes=("eager",))),
    "pytorch 1": ("pytorch", 1, Options.quick(workloads=("matmul", "mlp"), modes=("eager", "graph"))),
    "pytorch 2": ("pytorch", 2, Options.quick(workloads=MODEL_WORKLOADS, modes=("eager",))),
    # torch.compile's start-up costs seconds even for a matrix product; once, with the usual (warm) cache.
    "pytorch compiled": (
        "pytorch",
        1,
        Options.quick(workloads=("matmul",), modes=("compiled",), cold_compile=False),
    ),
    # a wrong variant: another learning rate than every other run's
    "pytorch wrong": ("pytorch", 1, Options.quick(workloads=("mlp",), modes=("eager",), learning_rate=0.5)),
}


@pytest.fixture(scope="module")
def runs(tf: Any, torch: Any) -> dict[str, list[Result]]:
    return {name: run_configuration(*arguments) for name, arguments in _RUNS.items()}


@pytest.mark.parametrize("name", [n for n in _RUNS if n != "pytorch wrong"])
def test_the_threads_are_set_in_the_child_and_reported_back(runs: dict[str, list[Result]], name: str) -> None:
    framework, threads, _ = _RUNS[name]
    settings = {r.settings for r in runs[name]}
    assert len(settings) == 1
    (setting,) = settings
    assert (setting.framework, setting.threads, setting.intra_op_threads) == (framework, threads, threads)
    assert setting.inter_op_threads == (None if framework == "numpy" else threads)
    assert setting.tf32 is (None if framework == "numpy" else False)
    assert setting.device == "cpu"


def test_every_variant_ran_and_pytorch_has_no_graph_mode(runs: dict[str, list[Result]]) -> None:
    tf_modes = {(r.workload, r.mode) for r in runs["tensorflow 1"] if r.supported}
    assert tf_modes == {(w, m) for w in ("matmul", "mlp") for m in MODES}
    pt = {(r.workload, r.mode): r for r in runs["pytorch 1"]}
    assert not pt["mlp", "graph"].supported and "torch.jit" in pt["mlp", "graph"].note
    assert pt["mlp", "graph"].steady is None and pt["mlp", "eager"].supported
    (compiled,) = runs["pytorch compiled"]
    assert compiled.supported and compiled.mode == "compiled", compiled.note
    assert compiled.settings.compiled_startup_seconds is not None


def test_the_real_runs_follow_the_warm_up_rule(runs: dict[str, list[Result]]) -> None:
    for name, (_, _, options) in _RUNS.items():
        for r in runs[name]:
            if r.supported:
                assert r.steady is not None and r.first_call_seconds is not None
                assert len(r.warmup_seconds) == options.warmup, name
                assert 3 <= r.steady.count <= options.repeats, name


def test_both_frameworks_got_the_same_batch_weights_loss_and_optimiser(runs: dict[str, list[Result]]) -> None:
    mlp = [
        r
        for name in ("tensorflow 1", "tensorflow 2", "pytorch 1", "pytorch 2")
        for r in runs[name]
        if r.workload == "mlp" and r.supported
    ]
    assert {r.framework for r in mlp} == {"tensorflow", "pytorch"}
    assert len({r.batch_sha256 for r in mlp}) == 1 and len({r.weights_sha256 for r in mlp}) == 1
    assert mlp[0].batch_sha256 == fingerprint(make_batch("mlp", 8))
    assert mlp[0].weights_sha256 == fingerprint(initial_weights("mlp"))
    for r in mlp:
        assert r.settings.optimizer.startswith("plain SGD (lr=0.05, no momentum")
        assert r.settings.loss.startswith("mean softmax cross-entropy")
    matmul = [
        r
        for name in ("numpy 1", "tensorflow 1", "pytorch 1")
        for r in runs[name]
        if r.workload == "matmul" and r.supported
    ]
    assert len({r.batch_sha256 for r in matmul}) == 1


def test_every_variant_computes_the_same_losses(runs: dict[str, list[Result]]) -> None:
    results = [r for name, rs in runs.items() if name != "pytorch wrong" for r in rs]
    checked = [r for r in check_outputs(results) if r.supported]
    assert checked and all(r.check_passed for r in checked), results_table(checked)
    for workload in MODEL_WORKLOADS:  # each model in both frameworks
        assert {r.framework for r in checked if r.workload == workload} == {"pytorch", "tensorflow"}, workload
    assert {r.check_reference for r in checked if r.workload == "lstm"} == {"pytorch eager, 2 threads"}
    losses = [r for r in checked if r.workload == "mlp"]
    assert {r.check_reference for r in losses} == {"pytorch eager, 1 thread"}
    assert losses[0].check_values[0] > losses[0].check_values[-1]  # SGD lowers the loss on the batch
    # the first loss, before any update, is the NumPy reference's
    from twice.dense import cross_entropy, init_mlp, mlp_forward

    x, y = make_batch("mlp", 8)
    expected = cross_entropy(mlp_forward(init_mlp((64, 32, 10)), x), y)
    assert all(r.check_values[0] == pytest.approx(expected, rel=1e-5) for r in losses)


def test_the_check_catches_a_real_wrong_variant(runs: dict[str, list[Result]]) -> None:
    # The wrong run trained with another learning rate; presented as PyTorch's compiled MLP, it must fail.
    (wrong,) = runs["pytorch wrong"]
    disguised = dataclasses.replace(wrong, mode="compiled")
    right = [r for r in runs["pytorch 1"] + runs["tensorflow 1"] if r.workload == "mlp" and r.supported]
    checked = check_outputs([*right, disguised])
    assert all(r.check_passed for r in checked[:-1])
    assert checked[-1].check_passed is False and checked[-1].check_gap is not None
    assert checked[-1].check_gap > 100 * CHECK_TOLERANCE
    assert disguised.check_values[0] == right[0].check_values[0]  # same start: only the update was wrong


def test_run_suite_runs_every_configuration_and_checks_it() -> None:
    suite = run_suite(["numpy"], [1, 2], Options.quick(workloads=("matmul",), matmul_sizes=(16, 32)))
    assert [(r.size, r.threads) for r in suite.results] == [(16, 1), (32, 1), (16, 2), (32, 2)]
    assert all(r.check_passed for r in suite.results) and suite.seconds > 0
    assert {r.check_reference for r in suite.results} == {"numpy eager, 1 thread"}


# --- the built models, the record and its file ----------------------------------------------------------------


@pytest.mark.parametrize("workload", MODEL_WORKLOADS)
def test_the_built_twins_hold_the_initial_weights_and_compute_alike(workload: str, keras: Any, torch: Any) -> None:
    tf_side, pt_side = benchmark.keras_model(workload, seed=2), benchmark.torch_model(workload, seed=2)
    for built, drawn in zip(tf_side.get_weights(), initial_weights(workload, seed=2), strict=True):
        np.testing.assert_array_equal(built, drawn)
    assert not pt_side.training  # evaluation mode: what an export or an inference wants
    x, _ = make_batch(workload, 4)
    torch_x = torch.from_numpy(x.transpose(0, 3, 1, 2).copy() if workload == "cnn" else x)
    with torch.no_grad():
        gap = np.abs(pt_side(torch_x).numpy() - tf_side(x, training=False).numpy()).max()
    assert gap < 1e-5


def test_a_suite_survives_its_file(tmp_path: Any) -> None:
    r = Result("matmul", 64, "numpy", "eager", 1, True, 0.002, (0.001,), summarise([1e-4, 2e-4]), (0.5,), "b", "",
               Settings.example(), check_reference="numpy eager, 1 thread", check_gap=0.0, check_passed=True)  # fmt: skip
    suite = benchmark.Suite((r,), 12.5, estimate_peak("model name : X @ 2.00GHz\nflags : avx fma\n"))
    written = benchmark.save_suite(suite, tmp_path / "deep" / "suite.json")
    loaded, recorded = benchmark.load_suite(written)
    assert loaded == suite
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d UTC", recorded)
    assert json.loads(written.read_text())["command"] == "python3 tasks.py benchmark"
    with pytest.raises(TypeError, match="suite must be a Suite"):
        benchmark.save_suite([r], tmp_path / "x.json")  # type: ignore[arg-type]
    with pytest.raises(FileNotFoundError, match="python3 tasks.py benchmark"):
        benchmark.load_suite(tmp_path / "missing.json")


@pytest.fixture(scope="module")
def record() -> benchmark.Suite:
    return benchmark.load_suite()[0]


def test_the_record_ships_with_the_package(record: benchmark.Suite) -> None:
    assert benchmark.RECORD.is_file() and benchmark.RECORD.parent.name == "records"
    assert benchmark.RECORD.parent.parent == Path(benchmark.__file__).parent


def test_the_record_is_the_whole_suite(record: benchmark.Suite) -> None:
    """What the chapter's notebooks read: every workload, mode and framework at 1 and 2 threads, at the
    default options (the notebooks' own runs use them too, so their check against the record is fair)."""
    seen = {(r.workload, r.size, r.framework, r.mode, r.threads) for r in record.results}
    options = Options()
    expected = {
        (w, size, f, m, t)
        for t in (1, 2)
        for w in options.workloads
        for size in (options.matmul_sizes if w == "matmul" else (options.batch_size,))
        for f in ("numpy", "tensorflow", "pytorch")
        if f != "numpy" or w == "matmul"
        for m in (("eager",) if f == "numpy" else MODES)
    }
    assert seen == expected
    batches = {(r.workload, r.size, r.batch_sha256) for r in record.results if r.supported}
    assert len(batches) == len(options.matmul_sizes) + 4  # one batch a workload and size, seen by all


def test_every_recorded_variant_passed_the_output_check(record: benchmark.Suite) -> None:
    for r in record.results:
        if r.framework == "pytorch" and r.mode == "graph":
            assert not r.supported and r.check_passed is None
        else:
            assert r.supported and r.check_passed, r.label
            assert r.steady is not None and r.steady.count >= 3 and r.first_call_seconds is not None


def test_the_record_was_made_on_a_machine_doing_nothing_else(record: benchmark.Suite) -> None:
    """A busy machine makes two threads on two cores look slower than one: a record taken so says more about
    the other work than about the frameworks (run ``python3 tasks.py benchmark`` again on a quiet machine)."""
    cores = {r.settings.cpu for r in record.results}
    assert len(cores) == 1  # one machine
    for r in record.results:
        assert r.settings.load_average is not None and r.settings.load_average < 1.5, (r.label, r.settings)
        assert r.settings.intra_op_threads == r.threads
        assert r.settings.tf32 in (False, None)
