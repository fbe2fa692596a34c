"""Device selection and the environment report that every notebook prints first."""

from __future__ import annotations

import os
import platform
import sys
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from . import checks
from .checks import Framework

Preference = Literal["auto", "cpu", "gpu"]


def on_colab() -> bool:
    """True when running inside Google Colab (its runtime pre-imports ``google.colab``). Introduced in chapter 1.

    >>> on_colab()
    False
    """
    return "google.colab" in sys.modules


def gpu_available(framework: str) -> bool:
    """Whether the framework can see a GPU (imports the framework). Introduced in chapter 1.

    >>> gpu_available("torch") in (True, False)
    True
    """
    name = checks.framework(framework)
    if name == "tensorflow":
        import tensorflow as tf

        return bool(tf.config.list_physical_devices("GPU"))
    import torch

    return bool(torch.cuda.is_available())


def select_device(framework: str, prefer: str = "auto") -> Any:
    """Pick the device a notebook computes on.

    Args:
        framework: ``"tensorflow"`` or ``"pytorch"`` (or an alias).
        prefer: ``"auto"`` (a GPU when there is one, else the CPU), ``"cpu"``, or ``"gpu"`` (an error without one).

    Returns:
        For PyTorch a ``torch.device`` (``cuda`` or ``cpu``); for TensorFlow a device string
        (``"/GPU:0"`` or ``"/CPU:0"``) for use in ``with tf.device(...)``.

    Introduced in chapter 1.

    >>> select_device("tensorflow", prefer="cpu"), select_device("pytorch", prefer="cpu")
    ('/CPU:0', device(type='cpu'))

    Raises:
        TypeError: for a framework name that is not a string.
        ValueError: for an unknown framework or preference.
        RuntimeError: if ``prefer="gpu"`` and the framework sees no GPU.
    """
    name = checks.framework(framework)
    choice: Preference = checks.one_of(prefer, "prefer", ("auto", "cpu", "gpu"))
    use_gpu = choice != "cpu" and gpu_available(name)
    if choice == "gpu" and not use_gpu:
        raise RuntimeError(
            f"prefer='gpu' but {name} sees no GPU; on Colab choose Runtime > Change runtime type > GPU, "
            "or call select_device with prefer='auto'"
        )
    if name == "tensorflow":
        return "/GPU:0" if use_gpu else "/CPU:0"
    import torch

    return torch.device("cuda" if use_gpu else "cpu")


@dataclass(frozen=True)
class EnvironmentReport:
    """What a notebook ran on. ``str(report)`` gives one aligned line per field. Introduced in chapter 1.

    >>> print(str(environment_report("torch")).splitlines()[0])     # doctest: +ELLIPSIS
    framework...: pytorch ...
    """

    framework: Framework
    framework_version: str
    python: str
    numpy: str
    platform: str
    device: str
    cpu_count: int
    threads: str
    colab: bool

    def __str__(self) -> str:
        rows = {
            "framework": f"{self.framework} {self.framework_version}",
            "python": self.python,
            "numpy": self.numpy,
            "platform": self.platform,
            "device": self.device,
            "cpu cores": str(self.cpu_count),
            "threads": self.threads,
            "colab": "yes" if self.colab else "no",
        }
        width = max(map(len, rows))
        return "\n".join(f"{key:<{width}} : {value}" for key, value in rows.items())


def environment_report(framework: str) -> EnvironmentReport:
    """Collect versions, the selected device and thread settings for one framework (imports it).

    Every notebook prints this first, so that its outputs say what produced them. Introduced in chapter 1.

    >>> environment_report("pytorch").framework
    'pytorch'
    """
    name = checks.framework(framework)
    device = select_device(name)
    if name == "tensorflow":
        import tensorflow as tf

        version = tf.__version__
        intra = tf.config.threading.get_intra_op_parallelism_threads()
        inter = tf.config.threading.get_inter_op_parallelism_threads()
        # 0 means "let TensorFlow decide" (one thread per core).
        threads = f"intra-op {intra or 'auto'}, inter-op {inter or 'auto'}"
        device_text = device
        if device.startswith("/GPU"):
            details = tf.config.experimental.get_device_details(tf.config.list_physical_devices("GPU")[0])
            device_text += f" ({details.get('device_name', 'GPU')})"
    else:
        import torch

        version = torch.__version__
        threads = f"intra-op {torch.get_num_threads()}, inter-op {torch.get_num_interop_threads()}"
        device_text = str(device)
        if device.type == "cuda":
            device_text += f" ({torch.cuda.get_device_name(device)})"
    return EnvironmentReport(
        framework=name,
        framework_version=version,
        python=platform.python_version(),
        numpy=np.__version__,
        platform=f"{platform.system()} {platform.machine()}",
        device=device_text,
        cpu_count=os.cpu_count() or 1,
        threads=threads,
        colab=on_colab(),
    )
