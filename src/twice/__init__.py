"""Helpers for the book *Deep Learning, Twice*: TensorFlow and PyTorch side by side.

Importing ``twice`` imports neither TensorFlow nor PyTorch; a framework is imported only inside the
functions that take a ``framework`` argument, when they are called.
"""

from . import convert, convolution, download, models, references
from ._frameworks import normalise_framework
from .data import Digits, fixed_batches, load_digits, load_sample_images, to_layout
from .determinism import seed_everything
from .devices import EnvironmentReport, environment_report, gpu_available, on_colab, select_device
from .download import DownloadError, load_mnist
from .plotting import FRAMEWORK_COLORS, plot_training_curves, use_figure_text

__version__ = "0.1.0"

# In a notebook, a figure's stored text is its title, not its size and number of axes (see figure_text).
use_figure_text()

__all__ = [
    "FRAMEWORK_COLORS",
    "Digits",
    "DownloadError",
    "EnvironmentReport",
    "convert",
    "convolution",
    "download",
    "environment_report",
    "fixed_batches",
    "gpu_available",
    "load_digits",
    "load_mnist",
    "load_sample_images",
    "models",
    "normalise_framework",
    "on_colab",
    "plot_training_curves",
    "references",
    "seed_everything",
    "select_device",
    "to_layout",
]
