"""NumPy reference implementations of 2-D convolution and pooling, in both frameworks' layouts.

What both frameworks call "convolution" is cross-correlation: the kernel is *not* flipped,

    y[n, o, i, j] = b[o] + sum_{c, u, v} xpad[n, c, i*sh + u, j*sw + v] * w[o, c, u, v].

The two frameworks differ in three ways that this module makes explicit:

* Layout. PyTorch stores images as ``(N, C, H, W)`` and kernels as ``(out, in, kh, kw)`` ("NCHW", "OIHW");
  Keras stores images as ``(N, H, W, C)`` and kernels as ``(kh, kw, in, out)`` ("NHWC", "HWIO"). Every
  function here takes ``layout="NCHW"`` or ``layout="NHWC"`` and expects the matching kernel layout.
* Padding. PyTorch pads symmetrically by an integer count per side. TensorFlow's ``"same"`` pads so that
  the output has ``ceil(size / stride)`` elements, and when the total padding is odd it puts the extra
  pixel at the bottom/right (:func:`same_padding`). With stride 2 on an even size, ``"same"`` pads
  ``(0, 1)``, which no symmetric integer padding can reproduce: PyTorch's ``padding=1`` gives the same
  *shape* but a window grid shifted by one pixel.
* Average pooling over padding. PyTorch's ``avg_pool2d`` divides by the full window size by default
  (``count_include_pad=True``), so padded zeros pull averages at the border down; TensorFlow's ``"same"``
  average pooling divides by the number of real input cells in the window.

All computation is in float64; output sizes are rounded down (both frameworks' default, ``ceil_mode=False``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from . import checks, layouts
from .layouts import IMAGE_LAYOUTS, WeightRule, rearrange

CONV2D_RULE = WeightRule("Conv2D", "nn.Conv2d", keras="kh kw in out", torch="out in kh kw")
"""Keras ``Conv2D`` kernel ``(kh, kw, in, out)`` ("HWIO") ⇄ ``nn.Conv2d`` weight ``(out, in, kh, kw)`` ("OIHW").

Neither framework flips the kernel (both cross-correlate), so moving the axes is all there is. For grouped
convolutions ``in`` is the number of input channels per group in both. Introduced in chapter 2.

>>> weight, bias = CONV2D_RULE.to_torch(np.zeros((3, 3, 1, 32)), np.zeros(32))
>>> weight.shape
(32, 1, 3, 3)
"""

PADDING_MODES = ("valid", "same")
"""Padding strings accepted (case-insensitively, since ``tf.nn`` spells them ``"VALID"`` and ``"SAME"``)."""

IntPair = int | tuple[int, int]
"""A size given once for both spatial axes or as ``(height, width)``."""

Padding = int | tuple[int, int] | str
"""An integer count per side (PyTorch style), ``(ph, pw)``, ``"valid"`` or ``"same"`` (TensorFlow style)."""

# The kernel pattern that goes with each image layout.
_KERNELS = {"NCHW": CONV2D_RULE.torch, "NHWC": CONV2D_RULE.keras}


# ----------------------------------------------------------------------------------------------------------
# Argument checking
# ----------------------------------------------------------------------------------------------------------


def _pair(value: object, name: str, minimum: int) -> tuple[int, int]:
    """An int or a pair of ints, as ``(height, width)``, each at least ``minimum``."""
    if checks.is_integer(value):
        v = checks.integer(value, name, minimum=minimum)
        return (v, v)
    if isinstance(value, Sequence) and not isinstance(value, str):
        if len(value) != 2:
            raise ValueError(f"{name} must be an integer or a pair (height, width), got {value!r}")
        return (
            checks.integer(value[0], name, minimum=minimum),
            checks.integer(value[1], name, minimum=minimum),
        )
    raise TypeError(
        f"{name} must be an integer or a pair (height, width) of integers, got {type(value).__name__}"
    )


def _padding_mode(padding: str) -> str:
    mode = padding.strip().lower()
    if mode not in PADDING_MODES:
        raise ValueError(
            f"unknown padding {padding!r}: expected 'valid', 'same', a non-negative integer or a pair of them"
        )
    return mode


def _check_layout(layout: object) -> str:
    return checks.one_of(layout, "layout", tuple(IMAGE_LAYOUTS))


def _to_nhwc(x: np.ndarray, layout: str, name: str = "x") -> np.ndarray:
    """A 4-D float64 batch of images in ``layout``, returned as ``(N, H, W, C)``."""
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 4:
        expected = layouts.describe(IMAGE_LAYOUTS[layout])
        raise ValueError(
            f"{name} must be a 4-D batch of images {expected} for layout {layout!r}, got {x.shape}"
        )
    return rearrange(x, IMAGE_LAYOUTS[layout], IMAGE_LAYOUTS["NHWC"], name=name)


def _from_nhwc(y: np.ndarray, layout: str) -> np.ndarray:
    return np.ascontiguousarray(rearrange(y, IMAGE_LAYOUTS["NHWC"], IMAGE_LAYOUTS[layout], name="y"))


def _resolve_padding(
    padding: Padding, size: tuple[int, int], window: tuple[int, int], stride: tuple[int, int]
) -> tuple[tuple[int, int], tuple[int, int]]:
    """``((top, bottom), (left, right))`` padding for an ``(H, W)`` input, checked to leave an output."""
    if isinstance(padding, str):
        mode = _padding_mode(padding)
        if mode == "same":
            pads = tuple(same_padding(n, k, s) for n, k, s in zip(size, window, stride))
        else:
            pads = ((0, 0), (0, 0))
    else:
        ph, pw = _pair(padding, "padding", minimum=0)
        pads = ((ph, ph), (pw, pw))
    for axis, n, k, (before, after) in zip(("height", "width"), size, window, pads):
        if n + before + after < k:
            raise ValueError(
                f"the window ({k}) is larger than the padded input along the {axis} "
                f"({n} + {before} + {after} = {n + before + after}): the output would be empty"
            )
    return pads  # type: ignore[return-value]


def _windows(xpad: np.ndarray, u: int, v: int, out: tuple[int, int], stride: tuple[int, int]) -> np.ndarray:
    """The input cells at window offset ``(u, v)`` for every output position: ``(N, H', W', C)`` (a view)."""
    (ho, wo), (sh, sw) = out, stride
    return xpad[:, u : u + sh * (ho - 1) + 1 : sh, v : v + sw * (wo - 1) + 1 : sw, :]


def _out_size(padded: tuple[int, int], window: tuple[int, int], stride: tuple[int, int]) -> tuple[int, int]:
    # Floor, as both frameworks do by default (ceil_mode=False): a window that would run off the padded
    # input is dropped, not completed with padding.
    return ((padded[0] - window[0]) // stride[0] + 1, (padded[1] - window[1]) // stride[1] + 1)


# ----------------------------------------------------------------------------------------------------------
# Output sizes and padding
# ----------------------------------------------------------------------------------------------------------


def conv_output_size(
    size: int, kernel: int, stride: int = 1, padding: int | str = 0, dilation: int = 1
) -> int:
    """Output length along one axis of a convolution or pooling window.

    * Integer ``padding`` p, added on *both* sides (PyTorch style):
      ``floor((size + 2p - dilation*(kernel - 1) - 1) / stride) + 1``.
    * ``"valid"``: the same with p = 0.
    * ``"same"`` (TensorFlow's rule): ``ceil(size / stride)``, whatever the kernel; the padding that
      achieves it is :func:`same_padding`.

    Introduced in chapter 2.

    >>> conv_output_size(28, 5, stride=2, padding=2), conv_output_size(28, 5, stride=2, padding="same")
    (14, 14)

    Raises:
        TypeError: if a size, stride, dilation or padding is not an integer (or a padding string).
        ValueError: for a size, kernel, stride or dilation that is not positive, a negative padding, an
            unknown padding string, or a kernel larger than the padded input (an output shorter than 1).
    """
    size = checks.integer(size, "size", minimum=1)
    kernel = checks.integer(kernel, "kernel", minimum=1)
    stride = checks.integer(stride, "stride", minimum=1)
    dilation = checks.integer(dilation, "dilation", minimum=1)
    if isinstance(padding, str):
        if _padding_mode(padding) == "same":
            return math.ceil(size / stride)
        pad = 0
    else:
        pad = checks.integer(padding, "padding", minimum=0)
    effective = dilation * (kernel - 1) + 1
    if size + 2 * pad < effective:
        raise ValueError(
            f"the kernel (effective size {effective}) is larger than the padded input "
            f"({size} + 2*{pad} = {size + 2 * pad}): the output would be empty"
        )
    return (size + 2 * pad - effective) // stride + 1


def same_padding(size: int, kernel: int, stride: int = 1, dilation: int = 1) -> tuple[int, int]:
    """TensorFlow's ``"same"`` padding ``(before, after)`` along one axis.

    ``total = max((ceil(size/stride) - 1)*stride + effective_kernel - size, 0)`` with
    ``effective_kernel = dilation*(kernel - 1) + 1``; ``before = total // 2``, ``after = total - before``.
    When the total is odd the extra pixel goes *after* (bottom/right). Example: size 8, kernel 3, stride 2
    gives ``(0, 1)``; PyTorch's symmetric ``padding=1`` gives the same output size (4) from ``(1, 1)``, so its
    windows sit one pixel up/left of TensorFlow's. Introduced in chapter 2.

    >>> same_padding(8, 3, stride=2), same_padding(8, 3)
    ((0, 1), (1, 1))

    Raises:
        TypeError: if an argument is not an integer.
        ValueError: if an argument is not positive.
    """
    size = checks.integer(size, "size", minimum=1)
    kernel = checks.integer(kernel, "kernel", minimum=1)
    stride = checks.integer(stride, "stride", minimum=1)
    dilation = checks.integer(dilation, "dilation", minimum=1)
    effective = dilation * (kernel - 1) + 1
    total = max((math.ceil(size / stride) - 1) * stride + effective - size, 0)
    return (total // 2, total - total // 2)


# ----------------------------------------------------------------------------------------------------------
# Convolution
# ----------------------------------------------------------------------------------------------------------


def conv2d(
    x: np.ndarray,
    kernel: np.ndarray,
    bias: np.ndarray | None = None,
    stride: IntPair = 1,
    padding: Padding = 0,
    layout: str = "NCHW",
) -> np.ndarray:
    """2-D cross-correlation with several input and output channels (what both frameworks call conv2d).

    ``y[n, o, i, j] = b[o] + sum_{c, u, v} xpad[n, c, i*sh + u, j*sw + v] * w[o, c, u, v]``; the kernel is
    not flipped.

    Layouts:
        ``"NCHW"`` (PyTorch): ``x`` is ``(N, C, H, W)``, ``kernel`` ``(out, in, kh, kw)``, output ``(N, out, H', W')``.
        ``"NHWC"`` (Keras): ``x`` is ``(N, H, W, C)``, ``kernel`` ``(kh, kw, in, out)`` (HWIO), output
        ``(N, H', W', out)``.

    Args:
        bias: ``(out,)`` or ``None`` for no bias.
        stride: an integer or ``(sh, sw)``.
        padding: an integer or ``(ph, pw)`` of zeros added on both sides (PyTorch style), ``"valid"`` (none)
            or ``"same"`` (TensorFlow's rule, :func:`same_padding`, possibly one more pixel bottom/right).

    Returns:
        float64 array; ``H' = conv_output_size(H, kh, sh, padding)`` and likewise for ``W'``.

    Introduced in chapter 2.

    >>> x = np.arange(16.0).reshape(1, 1, 4, 4)
    >>> conv2d(x, np.ones((1, 1, 2, 2)), stride=2)          # sums of the four 2×2 blocks
    array([[[[10., 18.],
             [42., 50.]]]])

    Raises:
        TypeError: for a stride or padding of the wrong type.
        ValueError: for arrays of the wrong number of dimensions, input channels that disagree between ``x``
            and ``kernel``, a bias that is not ``(out,)``, an unknown layout or padding string, a negative
            padding, a stride that is not positive, or a kernel larger than the padded input.
    """
    layout = _check_layout(layout)
    x = _to_nhwc(x, layout)
    w = np.asarray(kernel, dtype=np.float64)
    if w.ndim != 4:
        expected = layouts.describe(_KERNELS[layout])
        raise ValueError(f"kernel must be 4-D {expected} for layout {layout!r}, got {w.shape}")
    # Work in NHWC with an HWIO kernel: then each kernel offset (u, v) is one matrix product
    # (N, H', W', C) @ (C, O), which BLAS does fast.
    w = rearrange(w, _KERNELS[layout], CONV2D_RULE.keras, name="kernel")
    kh, kw, c_in, c_out = w.shape
    if x.shape[3] != c_in:
        raise ValueError(
            f"x has {x.shape[3]} input channels but the kernel expects {c_in} "
            f"(layout {layout!r}: x {layouts.describe(IMAGE_LAYOUTS[layout])}, "
            f"kernel {layouts.describe(_KERNELS[layout])})"
        )
    b = None
    if bias is not None:
        b = np.asarray(bias, dtype=np.float64)
        if b.shape != (c_out,):
            raise ValueError(f"bias must have shape ({c_out},), one value per output channel, got {b.shape}")
    strides = _pair(stride, "stride", minimum=1)
    (top, bottom), (left, right) = _resolve_padding(padding, x.shape[1:3], (kh, kw), strides)
    xpad = np.pad(x, ((0, 0), (top, bottom), (left, right), (0, 0)))
    out = _out_size(xpad.shape[1:3], (kh, kw), strides)
    y = np.zeros((x.shape[0], *out, c_out))
    for u in range(kh):
        for v in range(kw):
            y += _windows(xpad, u, v, out, strides) @ w[u, v]
    if b is not None:
        y += b
    return _from_nhwc(y, layout)


# ----------------------------------------------------------------------------------------------------------
# Pooling
# ----------------------------------------------------------------------------------------------------------


def _pool_setup(
    x: np.ndarray, pool_size: IntPair, stride: IntPair | None, padding: Padding, layout: str
) -> tuple[np.ndarray, str, tuple[int, int], tuple[int, int], tuple[tuple[int, int], tuple[int, int]], bool]:
    layout = _check_layout(layout)
    x = _to_nhwc(x, layout)
    window = _pair(pool_size, "pool_size", minimum=1)
    # Both frameworks default the stride to the pool size (non-overlapping windows).
    strides = window if stride is None else _pair(stride, "stride", minimum=1)
    pads = _resolve_padding(padding, x.shape[1:3], window, strides)
    is_same = isinstance(padding, str) and _padding_mode(padding) == "same"
    if not isinstance(padding, str):
        # PyTorch's rule; more padding would allow windows that see nothing but padding (a max of -inf,
        # an average of 0/0).
        for axis, k, (p, _) in zip(("height", "width"), window, pads):
            if p > k // 2:
                raise ValueError(
                    f"padding along the {axis} ({p}) must be at most half the pool size ({k} // 2 = {k // 2})"
                )
    return x, layout, window, strides, pads, is_same


def max_pool2d(
    x: np.ndarray,
    pool_size: IntPair = 2,
    stride: IntPair | None = None,
    padding: Padding = "valid",
    layout: str = "NCHW",
) -> np.ndarray:
    """2-D max pooling, channel by channel: the maximum over each ``pool_size`` window.

    ``x`` is ``(N, C, H, W)`` for ``layout="NCHW"`` (PyTorch) or ``(N, H, W, C)`` for ``"NHWC"`` (Keras); the
    output has the same layout with ``H' = conv_output_size(H, ph, sh, padding)`` (floor, like both
    frameworks' default).

    Args:
        pool_size: an integer or ``(ph, pw)``.
        stride: an integer or ``(sh, sw)``; ``None`` means ``pool_size`` (both frameworks' default).
        padding: ``"valid"``, ``"same"`` (TensorFlow's rule) or an integer / pair added on both sides
            (PyTorch style, at most half the pool size). Padded cells never win: they count as ``-inf``.

    Introduced in chapter 2.

    >>> max_pool2d(np.arange(16.0).reshape(1, 4, 4, 1), layout="NHWC")[..., 0]
    array([[[ 5.,  7.],
            [13., 15.]]])

    Raises:
        TypeError: for a size, stride or padding of the wrong type.
        ValueError: for an input that is not 4-D, an unknown layout or padding string, a negative padding
            or one larger than half the pool size, a size or stride that is not positive, or a window larger
            than the padded input.
    """
    x, layout, window, strides, ((top, bottom), (left, right)), _ = _pool_setup(
        x, pool_size, stride, padding, layout
    )
    xpad = np.pad(x, ((0, 0), (top, bottom), (left, right), (0, 0)), constant_values=-np.inf)
    out = _out_size(xpad.shape[1:3], window, strides)
    y = np.full((x.shape[0], *out, x.shape[3]), -np.inf)
    for u in range(window[0]):
        for v in range(window[1]):
            np.maximum(y, _windows(xpad, u, v, out, strides), out=y)
    return _from_nhwc(y, layout)


def avg_pool2d(
    x: np.ndarray,
    pool_size: IntPair = 2,
    stride: IntPair | None = None,
    padding: Padding = "valid",
    layout: str = "NCHW",
    count_include_pad: bool = True,
) -> np.ndarray:
    """2-D average pooling, channel by channel: the mean over each ``pool_size`` window.

    Layouts, output size, ``pool_size``, ``stride`` and ``padding`` as in :func:`max_pool2d`. Padded cells
    are zeros; what they count for depends on the padding:

    * ``"same"``: they are left out of the count (TensorFlow's rule), so a border window averages only
      the real cells it covers. ``count_include_pad`` is ignored.
    * an integer / pair (PyTorch style): ``count_include_pad=True`` (PyTorch's default) divides every window
      by the full ``ph * pw``, padded zeros included; ``False`` divides by the number of real cells.
    * ``"valid"``: there is no padding, so every window divides by ``ph * pw``.

    Introduced in chapter 2.

    >>> x = np.ones((1, 1, 2, 2))
    >>> avg_pool2d(x, 2, stride=1, padding=1)[0, 0, 0], avg_pool2d(x, 2, stride=1, padding="same")[0, 0, 0]
    (array([0.25, 0.5 , 0.25]), array([1., 1.]))

    Raises:
        TypeError: as :func:`max_pool2d`, or if ``count_include_pad`` is not a bool.
        ValueError: as :func:`max_pool2d`.
    """
    if not isinstance(count_include_pad, (bool, np.bool_)):
        raise TypeError(f"count_include_pad must be a bool, got {type(count_include_pad).__name__}")
    x, layout, window, strides, ((top, bottom), (left, right)), is_same = _pool_setup(
        x, pool_size, stride, padding, layout
    )
    xpad = np.pad(x, ((0, 0), (top, bottom), (left, right), (0, 0)))
    out = _out_size(xpad.shape[1:3], window, strides)
    total = np.zeros((x.shape[0], *out, x.shape[3]))
    for u in range(window[0]):
        for v in range(window[1]):
            total += _windows(xpad, u, v, out, strides)
    if count_include_pad and not is_same:
        return _from_nhwc(total / (window[0] * window[1]), layout)
    # Count the real cells in each window: the same sliding sum over a mask of ones, padded with zeros.
    mask = np.pad(np.ones((1, *x.shape[1:3], 1)), ((0, 0), (top, bottom), (left, right), (0, 0)))
    count = np.zeros((1, *out, 1))
    for u in range(window[0]):
        for v in range(window[1]):
            count += _windows(mask, u, v, out, strides)
    return _from_nhwc(total / count, layout)


def hand_kernels() -> dict[str, np.ndarray]:
    """Three classic 3×3 kernels, ``float32``, by name: two Sobel edge detectors and a box blur.

    Under cross-correlation (Eq. ``eq-conv``) ``"vertical edges"`` responds positively where brightness rises
    from left to right, ``"horizontal edges"`` where it rises from top to bottom. Introduced in chapter 2.

    >>> hand_kernels()["vertical edges"]
    array([[-1.,  0.,  1.],
           [-2.,  0.,  2.],
           [-1.,  0.,  1.]], dtype=float32)
    """
    sobel_x = np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], dtype=np.float32)
    return {
        "vertical edges": sobel_x,
        "horizontal edges": sobel_x.T.copy(),
        "blur": np.full((3, 3), 1 / 9, dtype=np.float32),
    }


# ----------------------------------------------------------------------------------------------------------
# Convolution as a dense layer, and the receptive field
# ----------------------------------------------------------------------------------------------------------


def conv_as_matrix(
    kernel: np.ndarray,
    image_shape: tuple[int, int],
    stride: IntPair = 1,
    padding: Padding = 0,
    layout: str = "NCHW",
) -> np.ndarray:
    """The matrix ``M`` of a convolution without bias: ``conv2d(x)`` flattened equals ``M @ x`` flattened.

    A convolution is a dense layer whose weight matrix is sparse (each output sees only the ``kh × kw``
    window below it: locality) and tied (every window uses the same kernel: weight sharing). Row
    ``(o, i, j)`` of ``M`` holds the kernel of output channel ``o`` at the input cells of window ``(i, j)``,
    and zeros everywhere else; padded cells simply have no column. Images and outputs are flattened in the
    layout's own order, ``(C, H, W)`` for ``"NCHW"`` and ``(H, W, C)`` for ``"NHWC"``, as ``reshape`` does.

    Args:
        kernel: ``(out, in, kh, kw)`` for ``layout="NCHW"``, ``(kh, kw, in, out)`` (HWIO) for ``"NHWC"``.
        image_shape: ``(H, W)`` of the input images (the channels come from the kernel).
        stride, padding: as in :func:`conv2d`.

    Returns:
        float64 array of shape ``(out · H' · W', in · H · W)``.

    Introduced in chapter 2.

    >>> m = conv_as_matrix(np.array([[[[1.0, 2.0]]]]), (1, 3))   # a 1×2 kernel on a 1×3 image
    >>> m
    array([[1., 2., 0.],
           [0., 1., 2.]])
    >>> x = np.array([1.0, 10.0, 100.0])
    >>> bool(np.array_equal(m @ x, conv2d(x.reshape(1, 1, 1, 3), np.array([[[[1.0, 2.0]]]])).ravel()))
    True

    Raises:
        TypeError, ValueError: as :func:`conv2d`, and for an image shape that is not a pair of integers.
    """
    layout = _check_layout(layout)
    w = np.asarray(kernel, dtype=np.float64)
    if w.ndim != 4:
        expected = layouts.describe(_KERNELS[layout])
        raise ValueError(f"kernel must be 4-D {expected} for layout {layout!r}, got {w.shape}")
    w = rearrange(w, _KERNELS[layout], CONV2D_RULE.keras, name="kernel")  # HWIO
    kh, kw, c_in, c_out = w.shape
    height, width = _pair(image_shape, "image_shape", minimum=1)
    strides = _pair(stride, "stride", minimum=1)
    (top, bottom), (left, right) = _resolve_padding(padding, (height, width), (kh, kw), strides)
    ho, wo = _out_size((height + top + bottom, width + left + right), (kh, kw), strides)
    # Built as (H', W', out, H, W, in): output cell (i, j) sees input cell (i*sh + u - top, j*sw + v - left).
    m = np.zeros((ho, wo, c_out, height, width, c_in))
    out_rows, out_cols = np.meshgrid(np.arange(ho), np.arange(wo), indexing="ij")
    for u in range(kh):
        for v in range(kw):
            rows = out_rows * strides[0] + u - top
            cols = out_cols * strides[1] + v - left
            inside = (rows >= 0) & (rows < height) & (cols >= 0) & (cols < width)
            # One (u, v) per pair of cells, so assignment suffices; the indexed axes come first: (K, out, in).
            m[out_rows[inside], out_cols[inside], :, rows[inside], cols[inside], :] = w[u, v].T
    if layout == "NCHW":
        m = m.transpose(2, 0, 1, 5, 3, 4)
    return np.ascontiguousarray(m.reshape(c_out * ho * wo, c_in * height * width))


def receptive_field(layers: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """Receptive field and jump after each layer of a stack of convolutions and poolings.

    ``layers`` lists ``(kernel, stride)`` for each layer, input first (activations, flatten and other
    pixel-wise layers add nothing and are left out). Starting from one pixel, ``r = 1, j = 1``, each layer
    gives ``r_out = r_in + (kernel - 1) · j_in`` and ``j_out = j_in · stride``: ``r`` is how many input pixels
    (along one axis) one output pixel depends on, ``j`` how many input pixels lie between neighbouring
    outputs. Padding moves the window but does not change its size (at the border part of it is padding).

    Introduced in chapter 2.

    >>> receptive_field([(3, 1), (2, 2), (3, 1), (2, 2)])   # the survey's conv/pool stack
    [(3, 1), (4, 2), (8, 2), (10, 4)]

    Raises:
        TypeError: for a kernel or stride that is not an integer.
        ValueError: for a layer that is not a ``(kernel, stride)`` pair, or a kernel or stride below 1.
    """
    size, jump = 1, 1
    fields = []
    for index, layer in enumerate(layers):
        if isinstance(layer, str) or not isinstance(layer, Sequence) or len(layer) != 2:
            raise ValueError(f"layer {index} must be a pair (kernel, stride), got {layer!r}")
        kernel = checks.integer(layer[0], f"kernel of layer {index}", minimum=1)
        stride = checks.integer(layer[1], f"stride of layer {index}", minimum=1)
        size, jump = size + (kernel - 1) * jump, jump * stride
        fields.append((size, jump))
    return fields
