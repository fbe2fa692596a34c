"""Data for the book's notebooks, all of it offline unless a reader asks for MNIST.

* :mod:`.digits`: the handwritten digits the chapters train on (:func:`load_digits`, :func:`load_mnist`).
* :mod:`.images`: sample photos and the image operations of the convolution chapter.
* :mod:`.batches`: batch orders and batch streams that both frameworks can share.
* :mod:`.sequences`: the recurrent chapter's sequences: the adding problem, images read row by row or pixel
  by pixel, and batches of different lengths padded at the start or the end.
* :mod:`.download`: one verified, cached download (:func:`twice.data.download.download`), the only network
  access in the book.

Shapes follow the glossary in :mod:`twice.layouts`.
"""

# Not the function download itself: as a name of this package it would hide the module twice.data.download.
from .batches import batch_stream, fixed_batches
from .digits import Digits, load_digits, load_mnist
from .download import CACHE_ENV_VAR, MNIST_SHA256, MNIST_URL, DownloadError, default_cache_dir, sha256_of
from .images import load_sample_images, shift_images, to_grayscale
from .sequences import adding_problem, as_sequences, pad, random_lengths

__all__ = [
    "CACHE_ENV_VAR",
    "MNIST_SHA256",
    "MNIST_URL",
    "Digits",
    "DownloadError",
    "adding_problem",
    "as_sequences",
    "batch_stream",
    "default_cache_dir",
    "fixed_batches",
    "load_digits",
    "load_mnist",
    "load_sample_images",
    "pad",
    "random_lengths",
    "sha256_of",
    "shift_images",
    "to_grayscale",
]
