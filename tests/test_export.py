"""Tests for twice.export: each export of chapter 2's CNN runs back, and all of them compute the same logits.

The CNN is built once per framework with the same weights (survey_cnn_initial_weights, with biases made
non-zero so that a lost bias shows), each export is written once for the module (tmp_path_factory), and
every test feeds the same batch of scikit-learn's digits through what it checks.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import twice
from twice.dense import DENSE_RULE
from twice.export import (
    INPUT_NAME,
    ONNX_OPSET,
    PARITY_TOLERANCE,
    compare_outputs,
    describe_onnx,
    export_kind,
    keras_to_onnx,
    keras_to_saved_model,
    load_export,
    run_onnx,
    torch_to_exported_program,
    torch_to_onnx,
)
from twice.models import (
    keras_survey_cnn,
    survey_cnn_initial_weights,
    survey_cnn_torch_state,
    torch_survey_cnn,
)

BATCH = 64


def _weights() -> list[np.ndarray]:
    """The chapter's initial weights for seed 0, with non-zero biases (zero ones would hide a lost bias)."""
    rng = np.random.default_rng(1)
    weights = survey_cnn_initial_weights((8, 8), seed=0)
    return [w if w.ndim > 1 else rng.normal(0.0, 0.1, w.shape).astype(np.float32) for w in weights]


def _torch_cnn(torch: Any, state: dict[str, np.ndarray]) -> Any:
    model = torch_survey_cnn((8, 8))
    model.load_state_dict({name: torch.from_numpy(value) for name, value in state.items()})
    return model.eval()


@pytest.fixture(scope="module")
def digits() -> dict[str, np.ndarray]:
    """The same 64 test digits in each framework's layout."""
    data = twice.load_digits()
    return {"NHWC": data.test("NHWC")[0][:BATCH], "NCHW": data.test("NCHW")[0][:BATCH]}


@pytest.fixture(scope="module")
def models(keras: Any, torch: Any) -> dict[str, Any]:
    weights = _weights()
    keras_model = keras_survey_cnn((8, 8))
    keras_model.set_weights(weights)
    return {"keras": keras_model, "torch": _torch_cnn(torch, survey_cnn_torch_state(weights))}


@pytest.fixture(scope="module")
def live(models: dict[str, Any], digits: dict[str, np.ndarray], torch: Any) -> dict[str, np.ndarray]:
    """The logits of the live models, dropout off."""
    with torch.no_grad():
        torch_logits = models["torch"](torch.from_numpy(digits["NCHW"])).numpy()
    return {"Keras": np.asarray(models["keras"](digits["NHWC"], training=False)), "PyTorch": torch_logits}


@pytest.fixture(scope="module")
def exports(
    models: dict[str, Any], digits: dict[str, np.ndarray], tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("exports")
    keras_model, torch_model = models["keras"], models["torch"]
    keras_model.save(folder / "cnn.keras")
    return {
        "saved_model": keras_to_saved_model(keras_model, folder / "saved_model"),
        "keras": folder / "cnn.keras",
        "onnx_from_tf": keras_to_onnx(keras_model, folder / "from_keras.onnx"),
        "exported_program": torch_to_exported_program(torch_model, digits["NCHW"], folder / "cnn.pt2"),
        "onnx_from_pt": torch_to_onnx(torch_model, digits["NCHW"], folder / "from_torch.onnx"),
    }


# --- the live twins -----------------------------------------------------------------------------------------


def test_the_twins_agree_before_anything_is_exported(live: dict[str, np.ndarray]) -> None:
    assert live["Keras"].shape == (BATCH, 10)
    assert np.abs(live["Keras"]).max() > 0.4  # logits of some size (0.52 here): 1e-4 is a small part of them
    compare_outputs(live).check()


# --- the TensorFlow side ------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["saved_model", "keras"])
def test_a_keras_export_runs_back_at_any_batch_size(
    kind: str, exports: dict[str, Path], live: dict[str, np.ndarray], digits: dict[str, np.ndarray]
) -> None:
    assert export_kind(exports[kind]) == kind
    run = load_export(exports[kind])
    compare_outputs({"Keras": live["Keras"], kind: run(digits["NHWC"])}).check()
    for size in (1, 5):  # the batch axis stays free
        np.testing.assert_allclose(run(digits["NHWC"][:size]), live["Keras"][:size], atol=PARITY_TOLERANCE)


def test_keras_onnx_runs_in_onnx_runtime(
    exports: dict[str, Path], live: dict[str, np.ndarray], digits: dict[str, np.ndarray]
) -> None:
    path = exports["onnx_from_tf"]
    summary = describe_onnx(path)
    assert summary.producer.startswith("tf2onnx 1.17")
    assert summary.opset == ONNX_OPSET
    assert summary.inputs == ((INPUT_NAME, (None, 8, 8, 1)),)  # Keras' layout, NHWC
    assert [shape for _, shape in summary.outputs] == [(None, 10)]
    # tf2onnx runs the convolutions in ONNX's NCHW and puts the feature map back in NHWC before Keras' Flatten.
    assert summary.operators.count("Conv") == 2 and "Transpose" in summary.operators
    compare_outputs({"Keras": live["Keras"], "ONNX from TF": run_onnx(path, digits["NHWC"])}).check()
    np.testing.assert_allclose(
        run_onnx(path, digits["NHWC"][:1].astype(np.float64)), live["Keras"][:1], atol=PARITY_TOLERANCE
    )  # a batch of one, in float64: cast to the file's float32


def test_tf2onnx_refuses_opsets_above_18(keras: Any, tmp_path: Path) -> None:
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    with pytest.raises(ValueError, match=r"Opset 19 is not supported yet\. Please use a lower opset"):
        keras_to_onnx(model, tmp_path / "dense.onnx", opset=ONNX_OPSET + 1)


def test_tf2onnx_from_keras_fails_on_keras_3(keras: Any, tf: Any) -> None:
    # A finding for the book: tf2onnx 1.17's own Keras entry point looks the outputs up by Keras 2's tensor
    # names and fails on a Keras 3 model; Keras' model.export(format="onnx") (tf2onnx's from_function) works.
    tf2onnx = pytest.importorskip("tf2onnx")
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    spec = (tf.TensorSpec((None, 3), tf.float32),)
    with pytest.raises(KeyError, match=r"keras_tensor"):
        tf2onnx.convert.from_keras(model, input_signature=spec, opset=ONNX_OPSET)


# --- the PyTorch side ---------------------------------------------------------------------------------------


def test_an_exported_program_runs_back_at_any_batch_size(
    exports: dict[str, Path], live: dict[str, np.ndarray], digits: dict[str, np.ndarray]
) -> None:
    path = exports["exported_program"]
    assert export_kind(path) == "exported_program"
    run = load_export(path)
    compare_outputs({"PyTorch": live["PyTorch"], "torch.export": run(digits["NCHW"])}).check()
    for size in (1, 5):
        np.testing.assert_allclose(run(digits["NCHW"][:size]), live["PyTorch"][:size], atol=PARITY_TOLERANCE)


@pytest.mark.parametrize("dynamo", [True, False], ids=["dynamo", "legacy"])
def test_torch_onnx_runs_in_onnx_runtime(
    dynamo: bool,
    models: dict[str, Any],
    live: dict[str, np.ndarray],
    digits: dict[str, np.ndarray],
    exports: dict[str, Path],
    tmp_path: Path,
) -> None:
    if dynamo:
        path = exports["onnx_from_pt"]
    else:
        with pytest.warns(DeprecationWarning, match="legacy TorchScript-based ONNX export"):
            path = torch_to_onnx(models["torch"], digits["NCHW"], tmp_path / "legacy.onnx", dynamo=False)
    summary = describe_onnx(path)
    assert summary.producer.startswith("pytorch 2.")
    assert summary.opset == ONNX_OPSET
    assert summary.inputs == ((INPUT_NAME, (None, 1, 8, 8)),)  # PyTorch's layout, NCHW
    assert summary.outputs == (("logits", (None, 10)),)
    assert "Transpose" not in summary.operators and "Dropout" not in summary.operators
    compare_outputs({"PyTorch": live["PyTorch"], "ONNX from PT": run_onnx(path, digits["NCHW"])}).check()
    np.testing.assert_allclose(run_onnx(path, digits["NCHW"][:1]), live["PyTorch"][:1], atol=PARITY_TOLERANCE)


def test_a_model_in_training_mode_is_exported_in_eval_mode_and_left_training(
    torch: Any,
    models: dict[str, Any],
    live: dict[str, np.ndarray],
    digits: dict[str, np.ndarray],
    tmp_path: Path,
) -> None:
    model = _torch_cnn(torch, survey_cnn_torch_state(_weights())).train()
    path = torch_to_exported_program(model, digits["NCHW"], tmp_path / "cnn.pt2")
    assert model.training
    run = load_export(path)
    first, second = run(digits["NCHW"]), run(digits["NCHW"])
    np.testing.assert_array_equal(first, second)  # no dropout in the export
    compare_outputs({"PyTorch": live["PyTorch"], "torch.export": first}).check()


def test_an_example_batch_of_one_is_refused(
    models: dict[str, Any], digits: dict[str, np.ndarray], tmp_path: Path
) -> None:
    with pytest.raises(
        ValueError, match=r"^example must be a batch of at least 2 examples .* got shape \(1, 1, 8, 8\)"
    ):
        torch_to_exported_program(models["torch"], digits["NCHW"][:1], tmp_path / "cnn.pt2")
    with pytest.raises(ValueError, match=r"^path must end in '\.onnx', got '.*cnn\.pt2'"):
        torch_to_onnx(models["torch"], digits["NCHW"], tmp_path / "cnn.pt2")
    with pytest.raises(TypeError, match=r"^model must be a torch\.nn\.Module, got Sequential"):
        torch_to_onnx(models["keras"], digits["NCHW"], tmp_path / "cnn.onnx")
    assert list(tmp_path.iterdir()) == []  # nothing written


# --- all of them --------------------------------------------------------------------------------------------


def test_tensorflow_pytorch_and_onnx_runtime_give_the_same_logits(
    exports: dict[str, Path], live: dict[str, np.ndarray], digits: dict[str, np.ndarray]
) -> None:
    outputs = {
        "Keras": live["Keras"],
        "SavedModel": load_export(exports["saved_model"])(digits["NHWC"]),
        "ONNX from TF": run_onnx(exports["onnx_from_tf"], digits["NHWC"]),
        "PyTorch": live["PyTorch"],
        "torch.export": load_export(exports["exported_program"])(digits["NCHW"]),
        "ONNX from PT": run_onnx(exports["onnx_from_pt"], digits["NCHW"]),
    }
    parity = compare_outputs(outputs).check(PARITY_TOLERANCE)
    print(parity)  # shown with pytest -s: the table of the chapter
    assert parity.differences.shape == (6, 6)
    assert np.all(np.diag(parity.differences) == 0.0)
    assert (live["Keras"].argmax(1) == outputs["ONNX from PT"].argmax(1)).all()


def test_an_export_with_wrongly_moved_weights_is_caught(
    torch: Any, live: dict[str, np.ndarray], digits: dict[str, np.ndarray], tmp_path: Path
) -> None:
    # The first Dense reads a flattened feature map: (H, W, C) order in Keras, (C, H, W) in PyTorch. A plain
    # transpose of its kernel has the right shape and the wrong meaning, and the exported file carries it out.
    weights = _weights()
    state = survey_cnn_torch_state(weights)
    state["8.weight"], state["8.bias"] = DENSE_RULE.to_torch(weights[4], weights[5])
    path = torch_to_onnx(_torch_cnn(torch, state), digits["NCHW"], tmp_path / "wrong.onnx")
    parity = compare_outputs({"Keras": live["Keras"], "ONNX from PT": run_onnx(path, digits["NCHW"])})
    assert parity.worst[2] > 100 * PARITY_TOLERANCE
    with pytest.raises(
        AssertionError, match=r"^Keras and ONNX from PT differ by .* more than the tolerance 0.0001$"
    ):
        parity.check()


def test_an_export_traced_in_training_mode_keeps_its_dropout_and_is_caught(
    torch: Any,
    models: dict[str, Any],
    live: dict[str, np.ndarray],
    digits: dict[str, np.ndarray],
    tmp_path: Path,
) -> None:
    # Why torch_to_exported_program switches to eval mode: torch.export records the mode it traced in, and the
    # exported module refuses .eval().
    model = _torch_cnn(torch, survey_cnn_torch_state(_weights())).train()
    program = torch.export.export(model, (torch.from_numpy(digits["NCHW"]),))
    with pytest.raises(NotImplementedError, match=r"Calling eval\(\) is not supported yet"):
        program.module().eval()
    torch.export.save(program, tmp_path / "training.pt2")
    torch.manual_seed(0)
    outputs = load_export(tmp_path / "training.pt2")(digits["NCHW"])
    with pytest.raises(AssertionError, match=r"^PyTorch and torch\.export in training mode differ by"):
        compare_outputs({"PyTorch": live["PyTorch"], "torch.export in training mode": outputs}).check()


# --- without a framework ------------------------------------------------------------------------------------


def test_export_kinds_are_told_by_name(tmp_path: Path) -> None:
    (tmp_path / "saved_model.pb").write_bytes(b"")
    assert export_kind(tmp_path) == "saved_model"
    assert export_kind(tmp_path / "x.onnx") == "onnx"
    with pytest.raises(
        ValueError, match=r"cannot tell what '.*model\.h5' holds: expected a SavedModel folder"
    ):
        export_kind(tmp_path / "model.h5")
    with pytest.raises(TypeError, match=r"^path must be a path \(str or os\.PathLike\), got int"):
        export_kind(3)  # type: ignore[arg-type]


def test_compare_outputs_finds_the_worst_pair_and_checks_its_input() -> None:
    a = np.zeros((2, 3))
    parity = compare_outputs({"a": a, "b": a + 1e-6, "c": a - 2e-6})
    assert parity.worst[:2] == ("b", "c") and parity.worst[2] == pytest.approx(3e-6)
    assert parity.difference("c", "a") == pytest.approx(2e-6)
    assert parity.check(1e-5) is parity
    with pytest.raises(AssertionError, match=r"^b and c differ by 3e-06 .* more than the tolerance 1e-06$"):
        parity.check(1e-6)
    with pytest.raises(KeyError, match=r"no run named 'd': the runs are 'a', 'b', 'c'"):
        parity.difference("a", "d")
    nan = compare_outputs({"a": a, "b": a, "nan": np.full_like(a, np.nan)})
    assert nan.worst[:2] == ("a", "nan")
    with pytest.raises(AssertionError, match=r"differ by nan"):
        nan.check()
    with pytest.raises(ValueError, match=r"^outputs must all have one shape .* got a \(2, 3\), b \(3, 2\)$"):
        compare_outputs({"a": a, "b": a.T})
    with pytest.raises(ValueError, match=r"at least 2 runs, got 1"):
        compare_outputs({"a": a})
    with pytest.raises(TypeError, match=r"^outputs must be a mapping"):
        compare_outputs([a, a])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"^tolerance must be positive"):
        parity.check(0.0)


def test_importing_export_imports_no_framework_and_no_onnx() -> None:
    code = """
        import sys
        import twice.export
        leaked = [m for m in ("tensorflow", "keras", "torch", "onnx", "onnxruntime") if m in sys.modules]
        assert not leaked, leaked
    """
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr


def test_exporting_writes_no_warning_and_no_log(
    keras: Any, torch: Any, tmp_path: Path, recwarn: pytest.WarningsRecorder, caplog: pytest.LogCaptureFixture
) -> None:
    """A notebook cell that exports must not print the converters' noise (stderr in a committed output):
    Keras' tf2onnx shim and torch.export's pytree warn (FutureWarning), PyTorch's ONNX exporter logs a line for
    each torchvision operator it cannot register."""
    from twice.export import keras_to_onnx, load_export, torch_to_exported_program, torch_to_onnx

    x = np.ones((4, 3), dtype=np.float32)
    keras_to_onnx(keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)]), tmp_path / "k.onnx")
    linear = torch.nn.Linear(3, 2)
    torch_to_onnx(linear, x, tmp_path / "t.onnx")
    load_export(torch_to_exported_program(linear, x, tmp_path / "t.pt2"))(x)
    noisy = [w for w in recwarn if issubclass(w.category, FutureWarning)]
    assert not noisy, [str(w.message) for w in noisy]
    assert not [r for r in caplog.records if r.name.startswith("torch.onnx") and r.levelname == "WARNING"]
