"""Where TensorFlow and PyTorch put the axes of images and weights, written down once, as data.

Shapes in this package use one glossary (the docstrings of every module refer to it):

=======  ===================================================================================================
name     meaning
=======  ===================================================================================================
N        examples in a batch
T        time steps of a sequence
H, W     height and width of an image or feature map
C        channels of an image or feature map
kh, kw   height and width of a convolution kernel
in       inputs of a layer: features of a ``Dense``/``nn.Linear``, input channels of a convolution
out      outputs of a layer: units of a ``Dense``, output channels (filters) of a convolution
classes  the logits of one prediction, one per class
V        words in a vocabulary: the rows of an embedding table
S        key and value positions of attention (``T`` counts the query positions)
heads    heads of a multi-head attention
d        dimensions of one attention head: Keras' ``key_dim`` (and ``value_dim``), PyTorch's ``head_dim``
=======  ===================================================================================================

A layout is a *pattern*: the axis names in order, separated by spaces, with parentheses around axes that are
flattened into one. ``"N C H W"`` is PyTorch's image batch, ``"N H W C"`` Keras'; ``"(H W C) out"`` is the
kernel of a Keras ``Dense`` that reads a flattened ``(H, W, C)`` feature map. :func:`rearrange` moves an
array from one pattern to another, so the permutation is derived from the two names and never written out
by hand; going back is the same call with the patterns swapped, so no inverse is written out either::

    >>> x = np.zeros((2, 3, 8, 8))                  # N C H W
    >>> rearrange(x, "N C H W", "N H W C").shape
    (2, 8, 8, 3)

A :class:`WeightRule` pairs the pattern of one layer kind's weights in Keras with its pattern in PyTorch;
the dense and convolution modules each define theirs (:data:`twice.dense.DENSE_RULE`,
:data:`twice.convolution.CONV2D_RULE`), and :mod:`twice.convert` applies them to whole models.
Introduced in chapter 2, where images get a channel axis and weights cross from one framework to the other.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from . import checks

IMAGE_LAYOUTS: dict[str, str] = {"NCHW": "N C H W", "NHWC": "N H W C"}
"""Batches of images: PyTorch's ``NCHW`` and Keras' ``NHWC``, by name, with their patterns."""

GREY_LAYOUTS: dict[str, str] = {"NHW": "N H W", "flat": "N (H W)", "NHWC": "N H W C", "NCHW": "N C H W"}
"""What :func:`to_layout` makes of grey images ``(N, H, W)``: unchanged, flattened for dense layers (row by
row), or with a channel axis of size 1 last (Keras) or after the batch axis (PyTorch)."""

_TOKEN = re.compile(r"\(|\)|[A-Za-z_][A-Za-z0-9_]*|\S")

Pattern = list[tuple[str, ...]]
"""A parsed pattern: one tuple of axis names per array axis (more than one name where axes are flattened)."""


def parse(pattern: str) -> Pattern:
    """Split a pattern into its array axes, each a tuple of the names flattened into it.

    Introduced in chapter 2.

    >>> parse("(H W C) out")
    [('H', 'W', 'C'), ('out',)]

    Raises:
        TypeError: if ``pattern`` is not a string.
        ValueError: for unbalanced or nested parentheses, an empty group, a character that is not part of a
            name, or a name used twice.
    """
    if not isinstance(pattern, str):
        raise TypeError(f"a layout pattern must be a string such as 'N C H W', got {type(pattern).__name__}")
    axes: Pattern = []
    group: list[str] | None = None
    for token in _TOKEN.findall(pattern):
        if token == "(":
            if group is not None:
                raise ValueError(f"layout pattern {pattern!r} nests parentheses")
            group = []
        elif token == ")":
            if not group:
                raise ValueError(f"layout pattern {pattern!r} has an unmatched ')' or an empty group")
            axes.append(tuple(group))
            group = None
        elif not (token[0].isalpha() or token[0] == "_"):
            raise ValueError(f"layout pattern {pattern!r} has {token!r}, which is not an axis name")
        elif group is not None:
            group.append(token)
        else:
            axes.append((token,))
    if group is not None:
        raise ValueError(f"layout pattern {pattern!r} has an unclosed '('")
    names = [name for axis in axes for name in axis]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise ValueError(f"layout pattern {pattern!r} names {', '.join(repeated)} more than once")
    return axes


def describe(pattern: str) -> str:
    """A pattern written as a shape, as the error messages show it. Introduced in chapter 2.

    >>> describe("(H W C) out")
    '(H * W * C, out)'
    """
    axes = [" * ".join(axis) for axis in parse(pattern)]
    return "(" + ", ".join(axes) + ("," if len(axes) == 1 else "") + ")"


def _axis_sizes(
    shape: tuple[int, ...], axes: Pattern, sizes: Mapping[str, int], name: str, pattern: str
) -> dict[str, int]:
    """The size of every name in ``axes``, read from ``shape`` and ``sizes`` and checked to agree."""
    known = {key: checks.integer(value, key, minimum=1) for key, value in sizes.items()}
    if len(shape) != len(axes):
        raise ValueError(f"{name} must have shape {describe(pattern)}, got {shape}")
    found: dict[str, int] = {}
    for length, axis in zip(shape, axes):
        unknown = [n for n in axis if n not in known]
        if len(axis) == 1:
            if unknown:
                found[axis[0]] = length
            elif known[axis[0]] != length:
                raise ValueError(f"{name} must have {axis[0]} = {known[axis[0]]}, got shape {shape}")
            else:
                found[axis[0]] = length
            continue
        if len(unknown) > 1:
            raise ValueError(f"{name}: the sizes of {', '.join(unknown)} in {describe(pattern)} must be given")
        product = math.prod(known[n] for n in axis if n in known)
        if unknown:
            if length % product:
                raise ValueError(
                    f"{name} has {length} values along {' * '.join(axis)}, not a multiple of {product}"
                )
            found[unknown[0]] = length // product
        elif product != length:
            given = ", ".join(f"{n}={known[n]}" for n in axis)
            raise ValueError(
                f"{name} has {length} values along {' * '.join(axis)}, but {given} make {product}"
            )
        found.update({n: known[n] for n in axis if n in known})
    return found


def rearrange(
    x: object, source: str, target: str, *, sizes: Mapping[str, int] | None = None, name: str = "x"
) -> np.ndarray:
    """``x``, laid out as pattern ``source``, rearranged into pattern ``target``.

    Axes keep their names: they are reordered, flattened (a group in ``target``) and unflattened (a group in
    ``source``, whose sizes come from ``sizes`` where the shape alone cannot tell). A name of size 1 may be
    added or dropped. The result may be a view of ``x``; copy it before writing into it.
    Introduced in chapter 2.

    >>> kernel = np.arange(2 * 2 * 3 * 4).reshape(2, 2, 3, 4)      # Keras Conv2D: kh kw in out
    >>> weight = rearrange(kernel, "kh kw in out", "out in kh kw")  # nn.Conv2d
    >>> weight.shape
    (4, 3, 2, 2)
    >>> bool((rearrange(weight, "out in kh kw", "kh kw in out") == kernel).all())
    True
    >>> rearrange(np.zeros((5, 8, 8)), "N H W", "N H W C", sizes={"C": 1}).shape
    (5, 8, 8, 1)

    Args:
        x: an array (or anything :func:`numpy.asarray` accepts).
        source, target: patterns (see the module's docstring).
        sizes: sizes of names that the shape of ``x`` does not determine (inside a group, or new in
            ``target``), and of any name to be checked.
        name: what to call ``x`` in error messages.

    Raises:
        TypeError: if ``x`` is not numeric.
        ValueError: if ``x`` does not have the shape ``source`` describes (with ``sizes``), if a name is
            dropped or added whose size is not 1, or for a malformed pattern.
    """
    array = checks.array(x, name)
    source_axes, target_axes = parse(source), parse(target)
    found = _axis_sizes(tuple(array.shape), source_axes, sizes or {}, name, source)
    source_names = [n for axis in source_axes for n in axis]
    target_names = [n for axis in target_axes for n in axis]
    for extra in (n for n in target_names if n not in found):
        if extra not in (sizes or {}):
            raise ValueError(f"{extra} is not in {source!r}: give its size, sizes={{{extra!r}: 1}}, to add it")
        found[extra] = checks.integer((sizes or {})[extra], extra, minimum=1)
        if found[extra] != 1:
            raise ValueError(f"{extra} is not in {source!r}, so it can only be added with size 1")
    dropped = [n for n in source_names if n not in target_names]
    for n in dropped:
        if found[n] != 1:
            raise ValueError(f"{name} has {n} = {found[n]}, but {target!r} has no {n}: only size 1 can go")
    kept = [n for n in source_names if n not in dropped]
    elementary = array.reshape([found[n] for n in kept])
    moved = elementary.transpose([kept.index(n) for n in target_names if n in kept])
    return moved.reshape([math.prod(found[n] for n in axis) for axis in target_axes])


def to_layout(images: object, layout: str) -> np.ndarray:
    """Rearrange grey images ``(N, H, W)`` into the layout a model expects (one of :data:`GREY_LAYOUTS`).

    ``"NHW"`` returns them unchanged, ``"flat"`` gives ``(N, H*W)`` (row-major, for dense layers),
    ``"NHWC"`` adds a trailing channel axis (Keras' default), ``"NCHW"`` a channel axis after the batch
    axis (PyTorch's convention). Introduced in chapter 1.

    >>> to_layout(np.zeros((5, 8, 8)), "NCHW").shape
    (5, 1, 8, 8)

    Raises:
        ValueError: for an unknown layout or an array that is not 3-D.
    """
    pattern = checks.one_of(layout, "layout", tuple(GREY_LAYOUTS))
    grey = np.asarray(images)
    if grey.ndim != 3:
        raise ValueError(f"expected grey images of shape (N, H, W), got shape {grey.shape}")
    return rearrange(grey, "N H W", GREY_LAYOUTS[pattern], sizes={"C": 1}, name="images")


@dataclass(frozen=True)
class WeightRule:
    """How one kind of layer stores its weights in Keras and in PyTorch; both directions follow from it.

    The kernel (Keras) and the weight (PyTorch) are the same numbers in two patterns; the bias, one value per
    ``out``, is the same in both. :meth:`to_torch` and :meth:`to_keras` check every shape before returning
    anything, keep the dtype, and return new arrays (never views of their inputs). Introduced in chapter 2.

    >>> rule = WeightRule("Dense", "nn.Linear", keras="in out", torch="out in")
    >>> weight, bias = rule.to_torch(np.ones((3, 2)), np.zeros(2))
    >>> weight.shape, bias.shape
    ((2, 3), (2,))

    Attributes:
        keras_layer, torch_module: the layer kinds, for messages (``"Dense"``, ``"nn.Linear"``).
        keras, torch: the patterns of the Keras kernel and of the PyTorch weight; both name ``out``.
        sizes: names whose sizes the caller must give, because the shapes cannot tell them (the feature
            map that a flattened axis came from).
    """

    keras_layer: str
    torch_module: str
    keras: str
    torch: str
    sizes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for pattern in (self.keras, self.torch):
            names = {n for axis in parse(pattern) for n in axis}
            if "out" not in names:
                raise ValueError(f"weight pattern {pattern!r} must name the outputs 'out'")

    def to_torch(
        self, kernel: object, bias: object = None, **sizes: int
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """The Keras ``kernel`` and ``bias`` (or ``None``) as PyTorch's ``weight`` and ``bias``."""
        return self._move(kernel, bias, sizes, f"a Keras {self.keras_layer} kernel", self.keras, self.torch)

    def to_keras(
        self, weight: object, bias: object = None, **sizes: int
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """PyTorch's ``weight`` and ``bias`` (or ``None``) as the Keras ``kernel`` and ``bias``."""
        return self._move(weight, bias, sizes, f"an {self.torch_module} weight", self.torch, self.keras)

    def _move(
        self, weights: object, bias: object, sizes: dict[str, int], what: str, source: str, target: str
    ) -> tuple[np.ndarray, np.ndarray | None]:
        missing = [n for n in self.sizes if n not in sizes]
        unknown = [n for n in sizes if n not in self.sizes]
        if missing or unknown:
            expected = f"the sizes {', '.join(f'{n}=...' for n in self.sizes)}" if self.sizes else "no sizes"
            raise TypeError(f"{self.keras_layer} weights take {expected}; got {sorted(sizes)}")
        array = checks.array(weights, what)
        moved = rearrange(array, source, target, sizes=sizes, name=what).copy()
        outputs = next(length for length, axis in zip(moved.shape, parse(target)) if axis == ("out",))
        if bias is None:
            return moved, None
        vector = checks.array(bias, "bias")
        if vector.shape != (outputs,):
            raise ValueError(
                f"bias must have shape ({outputs},) to match the {outputs} outputs, got {vector.shape}"
            )
        return moved, vector.copy()
