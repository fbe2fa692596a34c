"""Sequence data for the recurrent chapter, all of it made here, seeded and offline.

* :func:`adding_problem`: the classic test of long memory, two numbers to remember across a long sequence.
* :func:`as_sequences`: grey images read as sequences, one row or one pixel per time step.
* :func:`random_lengths` and :func:`pad`: a batch of sequences of different lengths, padded at the end (as
  PyTorch's ``pad_sequence`` does by default) or at the start (as Keras' ``pad_sequences`` does).

Sequences are batch-first, ``(N, T, in)``: examples, time steps, features of one step (the glossary in
:mod:`twice.layouts`). Every random draw comes from ``numpy.random.default_rng(seed)``, so the same arguments
give the same arrays on every machine and for both frameworks.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

import numpy as np

from .. import checks
from ..layouts import rearrange

_ORDERS: dict[str, str] = {"rows": "N H W", "pixels": "N (H W) C"}
"""What :func:`as_sequences` makes of grey images ``(N, H, W)``: one row of ``W`` pixels a step (``T = H``),
or one pixel a step (``T = H·W``, row after row), the grey value being the one feature ``C = 1``."""

_SIDES = ("pre", "post")


def adding_problem(num_examples: int, length: int, *, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """The adding problem: ``length`` steps of random numbers, two of them marked; the target is their sum.

    Each step has two features (Le, Jaitly & Hinton 2015, and the TCN benchmark of Bai, Kolter & Koltun
    2018): feature 0 a value drawn uniformly in ``[0, 1)``, feature 1 a marker that is 1 at exactly two steps
    and 0 at all others. The target is the sum of the two marked values, so a network must find the markers
    and carry the first value along until it sees the second.

    The two marked steps are distinct: one lies in the first half, ``[0, length // 2)``, the other in the
    second, ``[length // 2, length)``, as in Arjovsky, Shah & Bengio (2016; ``generate_data`` in their
    ``adding_problem.py``, github.com/amarshah/complex_RNN). So the first value must be remembered for half
    the sequence on average, and at least one step. (TCN's ``data_generator``, locuslab/TCN
    ``TCN/adding_problem/utils.py``, draws two distinct steps anywhere instead; the targets have the same
    distribution either way.)

    The baseline a trained network must beat: always predicting 1, the mean of the target, scores an expected
    mean squared error of ``Var(U1 + U2) = 2/12 = 1/6 ≈ 0.1667`` (two independent uniform values). The
    0.1767 printed in the TCN README and in some papers is not that value.

    Draws, in order, from ``numpy.random.default_rng(seed)``: the values (``float32`` directly, so none is
    rounded up to 1), then the marked step of each first half, then of each second half.
    Introduced in chapter 3.

    >>> x, y = adding_problem(4, length=10, seed=0)
    >>> x.shape, x.dtype, y.shape, y.dtype
    ((4, 10, 2), dtype('float32'), (4,), dtype('float32'))
    >>> x[0, :, 1]                                      # the markers of the first sequence
    array([0., 0., 1., 0., 0., 1., 0., 0., 0., 0.], dtype=float32)
    >>> bool(y[0] == x[0, 2, 0] + x[0, 5, 0])           # its target: the sum of the two marked values
    True

    Args:
        num_examples: ``N``, the number of sequences.
        length: ``T``, the number of steps of each, at least 2 (one for each half).
        seed: the seed of the draws.

    Returns:
        ``x``, ``float32`` of shape ``(N, T, 2)`` (value, marker), and ``y``, ``float32`` of shape ``(N,)``.

    Raises:
        TypeError: if a count or the seed is not an integer.
        ValueError: if ``num_examples < 1``, ``length < 2`` or the seed is out of range.
    """
    num_examples = checks.integer(num_examples, "num_examples", minimum=1)
    length = checks.integer(length, "length", minimum=2)
    seed = checks.seed(seed)
    rng = np.random.default_rng(seed)
    values = rng.random((num_examples, length), dtype=np.float32)
    half = length // 2
    first = rng.integers(0, half, size=num_examples)
    second = rng.integers(half, length, size=num_examples)
    examples = np.arange(num_examples)
    markers = np.zeros_like(values)
    markers[examples, first] = 1.0
    markers[examples, second] = 1.0
    x = np.stack([values, markers], axis=-1)
    y = values[examples, first] + values[examples, second]
    return x, y


def as_sequences(images: np.ndarray, order: str = "rows") -> np.ndarray:
    """Grey images ``(N, H, W)`` read as sequences ``(N, T, in)``, for a recurrent network.

    ``order="rows"``: one row a step, ``(N, H, W)`` read as ``T = H`` steps of ``in = W`` features: the
    classic way to classify MNIST with a recurrent network (28 steps of 28 pixels). ``order="pixels"``: one
    pixel a step, row after row, ``(N, H·W, 1)``: a long sequence (784 steps for MNIST, 64 for the 8×8
    digits) of one feature each, the test of long memory that "sequential MNIST" names.

    The result is a view of ``images`` where NumPy can make one (it can for any C-contiguous array), with the
    same dtype; copy it before writing into it. Introduced in chapter 3.

    >>> images = np.arange(2 * 3 * 4).reshape(2, 3, 4)     # N=2 images of H=3 rows, W=4 columns
    >>> as_sequences(images).shape, as_sequences(images, "pixels").shape
    ((2, 3, 4), (2, 12, 1))
    >>> as_sequences(images, "pixels")[0, 4:6, 0]          # steps 4 and 5: the first two pixels of row 1
    array([4, 5])

    Raises:
        TypeError: if ``images`` is not a numeric array.
        ValueError: if it is not 3-D, or for an unknown ``order``.
    """
    order = checks.one_of(order, "order", tuple(_ORDERS))
    grey = checks.array(images, "images", ndim=3, shape="(N, H, W)")
    return rearrange(grey, "N H W", _ORDERS[order], sizes={"C": 1}, name="images")


def random_lengths(num_examples: int, min_length: int, max_length: int, *, seed: int = 0) -> np.ndarray:
    """``num_examples`` sequence lengths, drawn uniformly from ``min_length`` to ``max_length`` inclusive.

    ``int64`` of shape ``(N,)``, from ``numpy.random.default_rng(seed).integers``: the same arguments give
    the same lengths on every machine. With :func:`pad`, one batch of sequences of different lengths.
    Introduced in chapter 3.

    >>> random_lengths(6, 2, 5, seed=0)
    array([5, 4, 4, 3, 3, 2])

    Raises:
        TypeError: if a count, a length or the seed is not an integer.
        ValueError: if ``num_examples`` or ``min_length`` is below 1, ``max_length`` below ``min_length``,
            or the seed is out of range.
    """
    num_examples = checks.integer(num_examples, "num_examples", minimum=1)
    min_length = checks.integer(min_length, "min_length", minimum=1)
    max_length = checks.integer(max_length, "max_length", minimum=min_length)
    seed = checks.seed(seed)
    return np.random.default_rng(seed).integers(min_length, max_length + 1, size=num_examples, dtype=np.int64)


def _fits(value: float, dtype: np.dtype) -> bool:
    """Whether ``value`` is stored exactly in an integer or bool array of ``dtype`` (any value fits a float)."""
    if dtype == np.bool_:
        return value in (0.0, 1.0)
    if np.issubdtype(dtype, np.integer):
        info = np.iinfo(dtype)
        return value.is_integer() and info.min <= value <= info.max
    return True


def pad(sequences: Sequence[np.ndarray], *, side: str = "post", value: float = 0.0) -> np.ndarray:
    """Pad sequences ``(T_i, in)`` of different lengths into one batch ``(N, max T_i, in)``.

    ``side="post"`` puts the padding after each sequence's last step, as PyTorch's
    ``torch.nn.utils.rnn.pad_sequence`` does by default; ``side="pre"`` puts it before the first step, as
    Keras' ``keras.utils.pad_sequences`` does by default. The padded steps hold ``value``. The batch has the
    dtype that the sequences share (:func:`numpy.promote_types` of theirs); it is a new array.
    Introduced in chapter 3.

    >>> short, long = np.ones((1, 2)), np.full((3, 2), 2.0)     # T=1 and T=3 steps of in=2 features
    >>> pad([short, long])[0]
    array([[1., 1.],
           [0., 0.],
           [0., 0.]])
    >>> pad([short, long], side="pre", value=-1)[0]
    array([[-1., -1.],
           [-1., -1.],
           [ 1.,  1.]])

    Raises:
        TypeError: if ``sequences`` is not a list or tuple, one of them is not a numeric array, or ``value``
            is not a number.
        ValueError: if there are no sequences, one is not 2-D, their feature counts differ, ``side`` is
            unknown, or ``value`` is NaN or cannot be stored in their (integer or bool) dtype.
    """
    if not isinstance(sequences, (list, tuple)):
        raise TypeError(
            f"sequences must be a list of arrays of shape (T, in), got {type(sequences).__name__}"
        )
    if not sequences:
        raise ValueError("sequences is empty: a batch needs at least one sequence")
    side = checks.one_of(side, "side", _SIDES)
    value = checks.number(value, "value")
    arrays = [checks.array(s, f"sequences[{i}]", ndim=2, shape="(T, in)") for i, s in enumerate(sequences)]
    features = arrays[0].shape[1]
    for i, array in enumerate(arrays):
        if array.shape[1] != features:
            raise ValueError(
                f"sequences[{i}] has {array.shape[1]} features a step, but sequences[0] has {features}: "
                f"got shapes {arrays[0].shape} and {array.shape}"
            )
    dtype = functools.reduce(np.promote_types, (array.dtype for array in arrays))
    if not _fits(value, dtype):
        raise ValueError(f"value {value!r} cannot be stored in sequences of dtype {dtype}")
    steps = max(len(array) for array in arrays)
    batch = np.full((len(arrays), steps, features), value, dtype=dtype)
    for i, array in enumerate(arrays):
        start = 0 if side == "post" else steps - len(array)
        batch[i, start : start + len(array)] = array
    return batch
