"""Tests for twice.devices: device selection, the environment report, Colab detection.

The "CPU here" tests skip themselves on a machine with a GPU, and the "GPU there" tests on one without, so the
same file is right on both. The GPU code paths are also exercised on a CPU by faking the frameworks' GPU queries.
"""

from __future__ import annotations

import dataclasses
import os
import platform
import re
import sys
import types
from collections.abc import Callable
from typing import Any, TypeVar

import numpy as np
import pytest

from twice import EnvironmentReport, environment_report, gpu_available, on_colab, select_device


def _torch_sees_gpu() -> bool:
    try:
        import torch
    except ImportError:
        return False
    return bool(torch.cuda.is_available())


def _tf_sees_gpu() -> bool:
    try:
        import tensorflow as tf
    except ImportError:
        return False
    return bool(tf.config.list_physical_devices("GPU"))


TORCH_GPU = _torch_sees_gpu()
TF_GPU = _tf_sees_gpu()
F = TypeVar("F", bound=Callable[..., Any])


def _gpu(skip: bool, reason: str) -> Callable[[F], F]:
    """Skip when ``skip``, saying why, and mark the test ``gpu``: the only kind of test that may skip."""

    def decorate(test: F) -> F:
        return pytest.mark.gpu(pytest.mark.skipif(skip, reason=reason)(test))  # type: ignore[no-any-return]

    return decorate


needs_no_torch_gpu = _gpu(
    TORCH_GPU, "GPU machines only test the GPU path: PyTorch sees a GPU on this machine"
)
needs_no_tf_gpu = _gpu(TF_GPU, "GPU machines only test the GPU path: TensorFlow sees a GPU on this machine")
needs_torch_gpu = _gpu(not TORCH_GPU, "needs a GPU: PyTorch sees no GPU on this machine")
needs_tf_gpu = _gpu(not TF_GPU, "needs a GPU: TensorFlow sees no GPU on this machine")


@pytest.fixture
def not_colab(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(sys.modules, "google.colab", raising=False)


@pytest.fixture
def fake_colab(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))


@pytest.fixture
def fake_torch_gpu(torch: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda device=None: "Fake Tesla T4")
    return torch


@pytest.fixture
def fake_tf_gpu(tf: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    real = tf.config.list_physical_devices
    fake_gpu = object()
    monkeypatch.setattr(
        tf.config,
        "list_physical_devices",
        lambda device_type=None: [fake_gpu] if device_type == "GPU" else real(device_type),
    )
    monkeypatch.setattr(
        tf.config.experimental,
        "get_device_details",
        lambda device: {"device_name": "Fake Tesla T4"} if device is fake_gpu else {},
    )
    return tf


# --- on_colab -----------------------------------------------------------------------------------------------


def test_on_colab_is_false_here(not_colab: None) -> None:
    assert on_colab() is False


def test_on_colab_is_true_when_google_colab_is_imported(fake_colab: None) -> None:
    assert on_colab() is True


# --- gpu_available ------------------------------------------------------------------------------------------


def test_gpu_available_agrees_with_torch(torch: Any) -> None:
    assert gpu_available("torch") is torch.cuda.is_available()
    assert gpu_available("pytorch") is TORCH_GPU


def test_gpu_available_agrees_with_tensorflow(tf: Any) -> None:
    assert gpu_available("tf") is bool(tf.config.list_physical_devices("GPU"))
    assert gpu_available("tensorflow") is TF_GPU


def test_gpu_available_follows_the_framework(fake_torch_gpu: Any, fake_tf_gpu: Any) -> None:
    assert gpu_available("torch") is True
    assert gpu_available("keras") is True


@pytest.mark.parametrize(("bad", "error"), [("jax", ValueError), (None, TypeError)])
def test_gpu_available_rejects_unknown_frameworks(bad: object, error: type[Exception]) -> None:
    with pytest.raises(error, match=r"framework"):
        gpu_available(bad)  # type: ignore[arg-type]


# --- select_device: this machine -----------------------------------------------------------------------------


@needs_no_torch_gpu
@pytest.mark.parametrize("alias", ["torch", "pytorch", "PT"])
def test_select_device_torch_is_cpu_without_gpu(torch: Any, alias: str) -> None:
    device = select_device(alias)
    assert isinstance(device, torch.device)
    assert device == torch.device("cpu")


@needs_no_tf_gpu
@pytest.mark.parametrize("alias", ["tensorflow", "tf", "keras"])
def test_select_device_tf_is_cpu_without_gpu(tf: Any, alias: str) -> None:
    assert select_device(alias) == "/CPU:0"
    with tf.device(select_device(alias)):  # the string is usable as documented
        assert "CPU:0" in tf.constant(1.0).device


@needs_no_torch_gpu
def test_prefer_gpu_without_gpu_raises_pointing_to_colab_runtime_torch(torch: Any) -> None:
    with pytest.raises(RuntimeError, match=r"prefer='gpu' but pytorch sees no GPU; on Colab choose Runtime"):
        select_device("torch", prefer="gpu")


@needs_no_tf_gpu
def test_prefer_gpu_without_gpu_raises_pointing_to_colab_runtime_tf(tf: Any) -> None:
    with pytest.raises(
        RuntimeError, match=r"prefer='gpu' but tensorflow sees no GPU; on Colab choose Runtime"
    ):
        select_device("tf", prefer="gpu")


def test_prefer_cpu_always_gives_the_cpu(torch: Any, tf: Any) -> None:
    assert select_device("torch", prefer="cpu") == torch.device("cpu")
    assert select_device("tf", prefer="cpu") == "/CPU:0"


@needs_torch_gpu
def test_select_device_torch_picks_the_gpu_when_there_is_one(torch: Any) -> None:
    assert select_device("torch") == torch.device("cuda")
    assert select_device("torch", prefer="gpu") == torch.device("cuda")
    assert torch.zeros(1, device=select_device("torch")).is_cuda


@needs_tf_gpu
def test_select_device_tf_picks_the_gpu_when_there_is_one(tf: Any) -> None:
    assert select_device("tf") == "/GPU:0"
    assert select_device("tf", prefer="gpu") == "/GPU:0"


# --- select_device: GPU logic with a faked GPU ---------------------------------------------------------------


def test_select_device_with_fake_torch_gpu(fake_torch_gpu: Any) -> None:
    torch = fake_torch_gpu
    assert select_device("torch") == torch.device("cuda")
    assert select_device("torch", prefer="gpu") == torch.device("cuda")
    assert select_device("torch", prefer="cpu") == torch.device("cpu")


def test_select_device_with_fake_tf_gpu(fake_tf_gpu: Any) -> None:
    assert select_device("tf") == "/GPU:0"
    assert select_device("tf", prefer="gpu") == "/GPU:0"
    assert select_device("tf", prefer="cpu") == "/CPU:0"


# --- select_device: bad input --------------------------------------------------------------------------------


@pytest.mark.parametrize("bad", ["GPU", "cuda", "", "any", None, 0])
def test_select_device_rejects_unknown_preferences(bad: object) -> None:
    # The message quotes the value (repr), so "GPU" (upper case) is visibly not "gpu".
    expected = re.escape(f"unknown prefer {bad!r}: expected one of 'auto', 'cpu', 'gpu'")
    for framework in ("torch", "tf"):
        with pytest.raises(ValueError, match=f"^{expected}$"):
            select_device(framework, prefer=bad)  # type: ignore[arg-type]


def test_select_device_rejects_unknown_frameworks() -> None:
    with pytest.raises(ValueError, match=r"unknown framework 'jax'"):
        select_device("jax")
    with pytest.raises(TypeError, match=r"framework must be a string"):
        select_device(3)  # type: ignore[arg-type]


# --- environment_report --------------------------------------------------------------------------------------

ROW_LABELS = ("framework", "python", "numpy", "platform", "device", "cpu cores", "threads", "colab")


def _rows(report: EnvironmentReport) -> dict[str, str]:
    lines = str(report).splitlines()
    assert len(lines) == len(ROW_LABELS)
    # Aligned: every " : " separator sits in the same column, after the longest label.
    assert {line.index(" : ") for line in lines} == {max(map(len, ROW_LABELS))}
    return {line.split(" : ", 1)[0].strip(): line.split(" : ", 1)[1] for line in lines}


def _check_common_fields(report: EnvironmentReport) -> None:
    assert report.python == platform.python_version()
    assert report.numpy == np.__version__
    assert report.platform == f"{platform.system()} {platform.machine()}"
    assert report.cpu_count == (os.cpu_count() or 1)
    assert isinstance(report.colab, bool)


@pytest.mark.parametrize("alias", ["torch", "PyTorch"])
def test_environment_report_torch(torch: Any, not_colab: None, alias: str) -> None:
    report = environment_report(alias)
    assert report.framework == "pytorch"
    assert report.framework_version == torch.__version__
    assert report.device.startswith(str(select_device("torch")))
    assert report.threads == f"intra-op {torch.get_num_threads()}, inter-op {torch.get_num_interop_threads()}"
    assert report.colab is False
    _check_common_fields(report)


@pytest.mark.parametrize("alias", ["tf", "TensorFlow"])
def test_environment_report_tf(tf: Any, not_colab: None, alias: str) -> None:
    report = environment_report(alias)
    assert report.framework == "tensorflow"
    assert report.framework_version == tf.__version__
    assert report.device.startswith(select_device("tf"))
    intra = tf.config.threading.get_intra_op_parallelism_threads() or "auto"
    inter = tf.config.threading.get_inter_op_parallelism_threads() or "auto"
    assert report.threads == f"intra-op {intra}, inter-op {inter}"
    assert report.colab is False
    _check_common_fields(report)


@needs_no_torch_gpu
def test_environment_report_device_is_plain_cpu_without_gpu(torch: Any) -> None:
    assert environment_report("torch").device == "cpu"


@needs_torch_gpu
def test_environment_report_names_the_torch_gpu(torch: Any) -> None:
    assert environment_report("torch").device == f"cuda ({torch.cuda.get_device_name(0)})"


@needs_tf_gpu
def test_environment_report_names_the_tf_gpu(tf: Any) -> None:
    assert environment_report("tf").device.startswith("/GPU:0 (")


@needs_no_tf_gpu
def test_environment_report_tf_device_is_plain_cpu_without_gpu(tf: Any) -> None:
    assert environment_report("tf").device == "/CPU:0"


@pytest.mark.parametrize("framework", ["torch", "tf"])
def test_environment_report_str_has_one_row_per_field(framework: str, not_colab: None) -> None:
    pytest.importorskip("torch" if framework == "torch" else "tensorflow")
    report = environment_report(framework)
    text = str(report)
    for label in ROW_LABELS:
        assert label in text
    rows = _rows(report)
    assert list(rows) == list(ROW_LABELS)
    assert rows["framework"] == f"{report.framework} {report.framework_version}"
    assert rows["python"] == report.python
    assert rows["numpy"] == report.numpy
    assert rows["platform"] == report.platform
    assert rows["device"] == report.device
    assert rows["cpu cores"] == str(report.cpu_count)
    assert rows["threads"] == report.threads
    assert rows["colab"] == "no"


def test_environment_report_on_fake_colab_says_yes(torch: Any, fake_colab: None) -> None:
    report = environment_report("torch")
    assert report.colab is True
    assert _rows(report)["colab"] == "yes"


def test_environment_report_names_the_fake_torch_gpu(fake_torch_gpu: Any) -> None:
    report = environment_report("torch")
    assert report.device == "cuda (Fake Tesla T4)"


def test_environment_report_names_the_fake_tf_gpu(fake_tf_gpu: Any) -> None:
    report = environment_report("tf")
    assert report.device == "/GPU:0 (Fake Tesla T4)"


def test_environment_report_is_frozen(torch: Any) -> None:
    report = environment_report("torch")
    with pytest.raises(dataclasses.FrozenInstanceError):
        report.device = "cuda"  # type: ignore[misc]


def test_environment_report_str_by_hand() -> None:
    report = EnvironmentReport(
        framework="pytorch",
        framework_version="9.9",
        python="3.x",
        numpy="2.x",
        platform="Linux x86_64",
        device="cpu",
        cpu_count=4,
        threads="intra-op 4, inter-op 4",
        colab=True,
    )
    assert str(report) == (
        "framework : pytorch 9.9\n"
        "python    : 3.x\n"
        "numpy     : 2.x\n"
        "platform  : Linux x86_64\n"
        "device    : cpu\n"
        "cpu cores : 4\n"
        "threads   : intra-op 4, inter-op 4\n"
        "colab     : yes"
    )


def test_environment_report_rejects_unknown_frameworks() -> None:
    with pytest.raises(ValueError, match=r"unknown framework 'numpy'"):
        environment_report("numpy")
    with pytest.raises(TypeError, match=r"framework must be a string"):
        environment_report(None)  # type: ignore[arg-type]
