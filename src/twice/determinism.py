"""Seeding and deterministic kernels, for both frameworks, in one call.

Why one call: a notebook that seeds NumPy but forgets the framework (or seeds the framework but leaves
non-deterministic kernels on) prints different numbers on every run, and nbval then fails for no reason a
reader can see. The two frameworks have separate random streams, so the same seed does *not* give the same
weights in TensorFlow and PyTorch; the book copies weights explicitly whenever it compares the two.
"""

from __future__ import annotations

import os
import random

import numpy as np

from ._frameworks import normalise_framework


def check_seed(seed: object) -> int:
    """Return ``seed`` as an ``int`` if it is an integer in ``[0, 2**32)``; raise TypeError/ValueError otherwise."""
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"seed must be an integer, got {type(seed).__name__}")
    if not 0 <= int(seed) < 2**32:
        raise ValueError(f"seed must lie in [0, 2**32), got {seed}")
    return int(seed)


def seed_everything(seed: int, framework: str | None = None) -> None:
    """Seed Python, NumPy and (optionally) one framework, and turn on its deterministic ops.

    Args:
        seed: an integer in ``[0, 2**32)``.
        framework: ``"tensorflow"``/``"tf"``, ``"pytorch"``/``"torch"``, or ``None`` for Python and NumPy only.
            The framework is imported here, not before.

    TensorFlow: ``keras.utils.set_random_seed`` (Python, NumPy and TF's global seed) and
    ``tf.config.experimental.enable_op_determinism()``.
    PyTorch: ``torch.manual_seed`` (all devices), ``torch.use_deterministic_algorithms(True)``, cuDNN autotuning
    off, and ``CUBLAS_WORKSPACE_CONFIG`` set so that cuBLAS is deterministic on a GPU.

    Raises:
        TypeError, ValueError: for a seed that is not an integer in range or an unknown framework.
    """
    seed = check_seed(seed)
    name = None if framework is None else normalise_framework(framework)
    random.seed(seed)
    np.random.seed(seed)
    if name == "tensorflow":
        import keras
        import tensorflow as tf

        keras.utils.set_random_seed(seed)
        tf.config.experimental.enable_op_determinism()
    elif name == "pytorch":
        # cuBLAS reads this when CUDA initialises; setting it is harmless on a CPU.
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
        import torch

        torch.manual_seed(seed)
        torch.use_deterministic_algorithms(True)
        torch.backends.cudnn.benchmark = False
