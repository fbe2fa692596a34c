"""Helpers for the book *Deep Learning, Twice*: TensorFlow and PyTorch side by side.

The top level holds what a notebook's setup cell needs (seeding, the device, the environment report, the
data and the training-curve plot). The rest is organised by what a module is about:

* one module per layer family, each with the NumPy reference of its formulas and its
  :class:`~twice.layouts.WeightRule` for moving weights between Keras and PyTorch:
  :mod:`twice.dense` (chapter 1), :mod:`twice.convolution` (chapter 2), :mod:`twice.recurrent` (chapter 3),
  :mod:`twice.embeddings` (chapter 4), :mod:`twice.attention` (chapter 5);
* :mod:`twice.layouts` (where each framework puts its axes, and the shapes glossary), :mod:`twice.convert`
  (whole models across frameworks), :mod:`twice.checks` (argument checks), :mod:`twice.answers` (answers as
  plain data, for the exercises' tests);
* :mod:`twice.data` and :mod:`twice.models` (packages: data sets and batches; the book's models, each as
  a Keras and a PyTorch twin), :mod:`twice.training_torch` (a PyTorch loop with Keras' ``fit`` semantics);
* :mod:`twice.determinism`, :mod:`twice.devices`, :mod:`twice.glue` (numbers for the prose),
  :mod:`twice.plotting`, :mod:`twice.timing`;
* :mod:`twice.backends` (Keras 3 run by another backend, in a fresh process), :mod:`twice.stopping` (early
  stopping's rule on a validation curve), :mod:`twice.benchmark` (chapter 6: one timing harness for both
  frameworks, each configuration in a fresh process), :mod:`twice.export` (chapter 6: the book's models exported
  to a SavedModel, a torch.export program and ONNX, run back and in ONNX Runtime, and compared),
  :mod:`twice.distributed` (chapter 6: data-parallel training with torch.distributed and tf.distribute on two CPU
  workers, checked against one worker with the whole batch).

Importing ``twice`` imports neither TensorFlow nor PyTorch; a framework is imported only inside the
functions that take a ``framework`` argument or build a framework's model, when they are called
(:mod:`twice.training_torch`, which is PyTorch code through and through, is not imported here).

The instructors' and the build's tooling (otter-grader, the Sphinx extension) is a package of its own,
``twice_book``, so that nothing here depends on it.
"""

from . import (
    answers,
    attention,
    backends,
    benchmark,
    checks,
    convert,
    convolution,
    data,
    dense,
    determinism,
    devices,
    distributed,
    embeddings,
    export,
    glue,
    layouts,
    models,
    plotting,
    recurrent,
    stopping,
    timing,
)
from .checks import normalise_framework
from .data import Digits, DownloadError, fixed_batches, load_digits, load_mnist, load_sample_images
from .determinism import seed_everything
from .devices import EnvironmentReport, environment_report, gpu_available, on_colab, select_device
from .layouts import to_layout
from .plotting import FRAMEWORK_COLORS, plot_training_curves, use_figure_text

__version__ = "0.1.0"

# In a notebook, a figure's stored text is its title, not its size and number of axes (see figure_text).
use_figure_text()

__all__ = [
    "FRAMEWORK_COLORS",
    "Digits",
    "DownloadError",
    "EnvironmentReport",
    "answers",
    "attention",
    "backends",
    "benchmark",
    "checks",
    "convert",
    "convolution",
    "data",
    "dense",
    "determinism",
    "devices",
    "distributed",
    "embeddings",
    "environment_report",
    "export",
    "fixed_batches",
    "glue",
    "gpu_available",
    "layouts",
    "load_digits",
    "load_mnist",
    "load_sample_images",
    "models",
    "normalise_framework",
    "on_colab",
    "plot_training_curves",
    "plotting",
    "recurrent",
    "seed_everything",
    "select_device",
    "stopping",
    "timing",
    "to_layout",
]
