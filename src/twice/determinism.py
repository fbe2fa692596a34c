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

from . import checks


def disable_tf32(framework: str) -> None:
    """Make float32 mean float32 on NVIDIA GPUs, by turning TensorFloat-32 off in one framework.

    On Ampere and newer GPUs both frameworks by default run float32 matrix products and convolutions in
    TF32, with a 10-bit mantissa: about 1e-3 relative error. That is fine for training, but it hides the
    1e-5 agreements this book checks. On a CPU this changes nothing. Imports the framework.
    Introduced in chapter 2.

    >>> disable_tf32("torch")
    >>> import torch
    >>> torch.backends.cuda.matmul.allow_tf32
    False
    """
    name = checks.framework(framework)
    if name == "tensorflow":
        import tensorflow as tf

        tf.config.experimental.enable_tensor_float_32_execution(False)
    else:
        import torch

        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False


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
    Both: TensorFloat-32 off (:func:`disable_tf32`), so that float32 results on a GPU stay comparable.
    Introduced in chapter 1.

    >>> seed_everything(0)
    >>> first = np.random.rand()
    >>> seed_everything(0)
    >>> np.random.rand() == first
    True

    Raises:
        TypeError, ValueError: for a seed that is not an integer in range or an unknown framework.
    """
    seed = checks.seed(seed)
    name = None if framework is None else checks.framework(framework)
    random.seed(seed)
    np.random.seed(seed)
    if name == "tensorflow":
        import keras
        import tensorflow as tf

        keras.utils.set_random_seed(seed)
        tf.config.experimental.enable_op_determinism()
        disable_tf32(name)
    elif name == "pytorch":
        # cuBLAS reads this when CUDA initialises; setting it is harmless on a CPU.
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
        import torch

        torch.manual_seed(seed)
        torch.use_deterministic_algorithms(True)
        torch.backends.cudnn.benchmark = False
        disable_tf32(name)
