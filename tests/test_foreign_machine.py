"""The "foreign machine" of tasks.py: settings under which trained weights come out different.

``python3 tasks.py test`` runs nbval with ``tasks.FOREIGN_MACHINE`` set, so every notebook is re-executed as
if on another machine: another thread count, other oneDNN and MKL code paths, TensorFlow's oneDNN kernels switched the other way from its own choice. An
output that depends on trained weights, and is compared strictly, then fails here as it would on a reader's
machine, instead of passing by luck on the machine that recorded it. These tests show that the libraries
take the settings, and that the settings really change trained weights, in both frameworks. (That they change
nothing nbval compares strictly is what the nbval run under them shows.)
"""

from __future__ import annotations

import os
import platform
import re
import subprocess
import sys
from pathlib import Path

import pytest
import tasks

ROOT = Path(__file__).resolve().parents[1]

# One epoch (43 steps) of chapter 2's CNN, trained twice in one process on the batches of the notebooks; prints
# a hash of the weights of each run. TensorFlow runs on one intra-op thread, as in the chapter's notebook.
TRAIN = """
import hashlib, math, os, sys
import numpy as np
import twice

framework = sys.argv[1]
data = twice.load_digits()
steps = math.ceil(len(data.y_train) / 32)
layout = "NHWC" if framework == "tensorflow" else "NCHW"

def train():
    stream = twice.data.batch_stream(data.x_train, data.y_train, batch_size=32, seed=0, max_shift=1, layout=layout)
    twice.seed_everything(0, framework)
    if framework == "tensorflow":
        import keras
        model = twice.models.keras_survey_cnn(data.image_shape, dropout=0.4)
        model.compile(optimizer=keras.optimizers.Adam(2e-3),
                      loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                      steps_per_execution=steps)
        model.fit(stream, steps_per_epoch=steps, epochs=1, verbose=0, shuffle=False)
        weights = [w.numpy() for w in model.weights]
    else:
        import torch
        from twice.training_torch import fit
        model = twice.models.torch_survey_cnn(data.image_shape, dropout=0.4)
        optimizer = torch.optim.Adam(model.parameters(), lr=2e-3, eps=1e-7)
        fit(model, stream, steps_per_epoch=steps, epochs=1, optimizer=optimizer)
        weights = [p.detach().numpy() for p in model.parameters()]
    return hashlib.sha256(b"".join(np.ascontiguousarray(w).tobytes() for w in weights)).hexdigest()

if framework == "tensorflow":
    import tensorflow as tf
    tf.config.threading.set_intra_op_parallelism_threads(1)
print(train(), train())
"""


def _run(
    code: str, *args: str, foreign: bool, log_level: str = "2", **variables: str
) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a fresh Python, in the foreign or the native environment; it must succeed."""
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": log_level, **variables}
    env = tasks.foreign_env(env) if foreign else tasks.native_env(env)
    result = subprocess.run(
        [sys.executable, "-c", code, *args], env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result


def _weight_hashes(framework: str, foreign: bool) -> list[str]:
    return _run(TRAIN, framework, foreign=foreign).stdout.split()


@pytest.mark.parametrize("framework", ["tensorflow", "pytorch"])
def test_the_foreign_machine_changes_trained_weights(framework: str) -> None:
    native = _weight_hashes(framework, foreign=False)
    foreign = _weight_hashes(framework, foreign=True)
    # Each environment on its own is deterministic, so the difference comes from the environment.
    assert native[0] == native[1], "training is not repeatable in this machine's own environment"
    assert foreign[0] == foreign[1], "training is not repeatable in the foreign environment"
    assert native[0] != foreign[0], f"the foreign machine trains {framework} to the same weights"


def test_foreign_and_native_environments_are_exact_opposites() -> None:
    env = tasks.foreign_env({"PATH": "/bin"})
    assert env[tasks.FOREIGN_VARIABLE] == "1" and all(env[k] == v for k, v in tasks.FOREIGN_MACHINE.items())
    assert tasks.native_env(env) == {"PATH": "/bin"}


def test_a_run_marked_foreign_has_every_foreign_setting() -> None:
    """Under `tasks.py test` (marked so) the notebooks' kernels inherit this process's environment: all of it."""
    if os.environ.get(tasks.FOREIGN_VARIABLE) == "1":
        for name, value in tasks.FOREIGN_MACHINE.items():
            assert os.environ.get(name) == value, name
    else:  # `tasks.py test --native`, or a plain pytest: nothing of the foreign machine was added
        assert tasks.FOREIGN_VARIABLE not in os.environ


def test_the_test_command_chooses_the_foreign_machine_unless_told() -> None:
    source = (ROOT / "tasks.py").read_text()
    test_body = source[source.index("def test(") : source.index("def execute(")]
    assert "env = native_env(quiet_env()) if native else foreign_env(quiet_env())" in test_body
    usage = subprocess.run(
        [sys.executable, str(ROOT / "tasks.py"), "test", "--no-such-option"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert usage.returncode == 2 and "unrecognized arguments: --no-such-option" in usage.stderr


SETTINGS = """
import tensorflow  # first: with TF_CPP_MIN_LOG_LEVEL=0 it says whether its oneDNN kernels are on
import torch
import twice

model = twice.models.torch_survey_cnn((8, 8))
model(torch.randn(32, 1, 8, 8)).sum().backward()  # oneDNN reports the instruction set it uses
print("threads", torch.get_num_threads())
"""


def _settings_run(foreign: bool) -> str:
    result = _run(SETTINGS, foreign=foreign, log_level="0", ONEDNN_VERBOSE="1")
    return result.stdout + result.stderr


def test_the_frameworks_take_the_foreign_settings() -> None:
    """Each setting reaches the library it is meant for: read back from what the libraries report."""
    foreign, native = _settings_run(foreign=True), _settings_run(foreign=False)
    assert "threads 1\n" in foreign
    isa = re.findall(r"isa:([^,\n]*)", foreign)
    assert isa and not any(re.search(r"AVX-?512|AVX10|AMX", line) for line in isa), isa
    # TensorFlow's oneDNN kernels the other way round from TensorFlow's own choice on this CPU
    on = "oneDNN custom operations are on"
    if platform.machine() == "x86_64":
        assert (on in native, on in foreign) == (tasks.TF_ONEDNN_BY_DEFAULT, not tasks.TF_ONEDNN_BY_DEFAULT)
