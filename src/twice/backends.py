"""Keras 3 on another backend: the same layer, run by TensorFlow, PyTorch, JAX or NumPy.

Keras 3 is a front end over several array libraries. Which one it uses is read once, when ``keras`` is first
imported (from the environment variable ``KERAS_BACKEND``, else from ``~/.keras/keras.json``, else
TensorFlow), and cannot change afterwards in that Python process. A notebook that has imported Keras can
therefore show another backend only in a fresh process: :func:`keras_dense_on_backend` starts one, builds a
``keras.layers.Dense`` there with the weights it is given, and reports what came out. Importing this module
imports no framework; the child process imports Keras and its backend. Introduced in chapter 1.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass

import numpy as np

KERAS_BACKENDS = ("tensorflow", "jax", "torch", "numpy")
"""The values of ``KERAS_BACKEND`` this module accepts (Keras 3 also knows ``openvino``, for inference).

The book installs TensorFlow and PyTorch only; Keras' ``jax`` and ``numpy`` backends both need JAX.

Introduced in chapter 1.

>>> "torch" in KERAS_BACKENDS
True
"""

# Run in the child: read the layer's weights and inputs as JSON from stdin, print the result as JSON.
_CHILD = r"""
import json, sys
import numpy as np
request = json.load(sys.stdin)
# Keras imports scikit-learn, when installed, for its scikit-learn wrappers: not needed here, and 1-2 s.
sys.modules["sklearn"] = None
import keras
kernel = np.asarray(request["kernel"], np.float32)
bias = np.asarray(request["bias"], np.float32)
layer = keras.layers.Dense(kernel.shape[1], activation=request["activation"])
layer.build((None, kernel.shape[0]))
layer.set_weights([kernel, bias])
outputs = layer(keras.ops.convert_to_tensor(np.asarray(request["x"], np.float32)))
def qualified(value):
    kind = type(value)
    return f"{kind.__module__}.{kind.__qualname__}"
print("\n" + json.dumps({
    "backend": keras.backend.backend(),
    "keras_version": keras.__version__,
    "outputs": keras.ops.convert_to_numpy(outputs).tolist(),
    "output_type": qualified(outputs),
    "weight_types": [qualified(w.value) for w in layer.weights],
    "frameworks_imported": [m for m in ("tensorflow", "torch", "jax") if m in sys.modules],
}))
"""


@dataclass(frozen=True)
class BackendRun:
    """What :func:`keras_dense_on_backend` saw in its child process. Introduced in chapter 1.

    >>> run = BackendRun("torch", "3.15.1", np.zeros((1, 2), np.float32), "torch.Tensor", (), ("torch",), 4.2)
    >>> run.backend, run.outputs.shape
    ('torch', (1, 2))

    Attributes:
        backend: ``keras.backend.backend()`` in the child.
        keras_version: ``keras.__version__`` in the child.
        outputs: the layer's outputs, as a float32 array.
        output_type: the qualified class name of the outputs before conversion (``torch.Tensor`` on torch).
        weight_types: the qualified class name of each weight's value (kernel first, then bias).
        frameworks_imported: which of TensorFlow, PyTorch and JAX the child had imported at the end.
        seconds: the child's wall-clock time, start-up and imports included.
    """

    backend: str
    keras_version: str
    outputs: np.ndarray
    output_type: str
    weight_types: tuple[str, ...]
    frameworks_imported: tuple[str, ...]
    seconds: float


def keras_dense_on_backend(
    backend: str,
    kernel: np.ndarray,
    bias: np.ndarray,
    x: np.ndarray,
    *,
    activation: str | None = None,
    timeout: float = 300.0,
) -> BackendRun:
    """Run ``keras.layers.Dense`` with these weights on ``x`` in a fresh Python whose Keras uses ``backend``.

    The child process gets ``KERAS_BACKEND=backend`` before it imports Keras (the only moment the choice can
    be made) and the rest of this process' environment. ``kernel`` has Keras' shape ``(in, out)``, ``bias``
    ``(out,)`` and ``x`` ``(N, in)``; all travel as float32. Introduced in chapter 1.

    >>> run = keras_dense_on_backend("torch", np.eye(2), np.array([0.5, -1.0]), np.array([[1.0, 2.0]]))
    >>> run.backend, run.outputs.tolist(), run.weight_types, run.frameworks_imported
    ('torch', [[1.5, 1.0]], ('torch.nn.parameter.Parameter', 'torch.nn.parameter.Parameter'), ('torch',))

    Raises:
        ValueError: for an unknown backend or weights and inputs whose shapes do not fit together.
        RuntimeError: if the child process fails (its standard error is in the message).
    """
    if backend not in KERAS_BACKENDS:
        raise ValueError(f"backend must be one of {KERAS_BACKENDS}, got {backend!r}")
    kernel = np.asarray(kernel, np.float32)
    bias = np.asarray(bias, np.float32)
    x = np.asarray(x, np.float32)
    if kernel.ndim != 2 or bias.shape != (kernel.shape[1],) or x.ndim != 2 or x.shape[1] != kernel.shape[0]:
        raise ValueError(
            f"need kernel (in, out), bias (out,) and x (N, in); got {kernel.shape}, {bias.shape} and {x.shape}"
        )
    # float32 values are exact in JSON (a float64 repr of each), so nothing is rounded on the way.
    request = {"kernel": kernel.tolist(), "bias": bias.tolist(), "x": x.tolist(), "activation": activation}
    env = {**os.environ, "KERAS_BACKEND": backend, "TF_CPP_MIN_LOG_LEVEL": "3"}
    started = time.perf_counter()
    completed = subprocess.run(
        [sys.executable, "-c", _CHILD],
        input=json.dumps(request),
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
        check=False,
    )
    seconds = time.perf_counter() - started
    if completed.returncode:
        raise RuntimeError(f"Keras on {backend} failed:\n{completed.stderr[-2000:]}")
    result = json.loads(completed.stdout.splitlines()[-1])  # the last line: Keras may print before it
    return BackendRun(
        backend=result["backend"],
        keras_version=result["keras_version"],
        outputs=np.asarray(result["outputs"], np.float32),
        output_type=result["output_type"],
        weight_types=tuple(result["weight_types"]),
        frameworks_imported=tuple(result["frameworks_imported"]),
        seconds=seconds,
    )
