"""Tests for twice.convolution: conv2d and pooling in NumPy, checked against TensorFlow and PyTorch.

The NumPy functions are the formulas; PyTorch is checked in its layout (NCHW, OIHW kernels), TensorFlow and
Keras in theirs (NHWC, HWIO kernels). The frameworks run in float32, as the book's models do, so they are
compared with a float32 tolerance. The padding tests pin down the one-pixel shift between TensorFlow's
'same' and PyTorch's symmetric padding that the book warns about.
"""

from __future__ import annotations

import re
import time
from typing import Any

import numpy as np
import pytest

from twice.convolution import avg_pool2d, conv2d, conv_output_size, max_pool2d, same_padding
from twice.layouts import IMAGE_LAYOUTS


def _assert_float32_close(actual: Any, desired: Any) -> None:
    """A float32 framework's result against the float64 reference (or two float32 frameworks)."""
    np.testing.assert_allclose(actual, desired, rtol=1e-5, atol=1e-5)


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(2024)


def _f32(rng: np.random.Generator, *shape: int) -> np.ndarray:
    """Standard-normal float32 values: what the frameworks compute on, fed unchanged to the reference too."""
    return rng.normal(size=shape).astype(np.float32)


def _torch_conv(torch: Any, x: np.ndarray, w: np.ndarray, b: np.ndarray | None = None, **kwargs: Any) -> Any:
    bias = None if b is None else torch.from_numpy(b)
    return torch.nn.functional.conv2d(torch.from_numpy(x), torch.from_numpy(w), bias, **kwargs).numpy()


def _tf_conv(tf: Any, x: np.ndarray, w: np.ndarray, stride: int, padding: str) -> Any:
    # tf.constant first: see _tf_pool for why a raw NumPy array is not passed to tf.nn.
    return tf.nn.conv2d(tf.constant(x), tf.constant(w), strides=stride, padding=padding).numpy()


def _tf_pool(tf: Any, op: str, x: np.ndarray, size: Any, stride: Any, padding: str) -> Any:
    # Always a tf.constant, never the NumPy array itself: with TF 2.21, tf.nn.max_pool2d on a raw float64
    # array returns float64 on its first call but float32 on later ones (the op's dtype attribute defaults
    # to float32 on the eager fast path), which would silently round the "exact" values.
    return getattr(tf.nn, op)(tf.constant(x), ksize=size, strides=stride, padding=padding).numpy()


# ----------------------------------------------------------------------------------------------------------
# conv_output_size and same_padding
# ----------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("size", "kernel", "stride", "padding", "dilation", "expected"),
    [
        (8, 3, 1, 1, 1, 8),  # 'same' for an odd kernel at stride 1: p = (k - 1) / 2
        (8, 3, 1, "valid", 1, 6),
        (8, 3, 1, 0, 1, 6),
        (7, 3, 2, "same", 1, 4),
        (8, 3, 2, "same", 1, 4),
        (8, 3, 2, 1, 1, 4),  # PyTorch's padding=1 gives TF's 'same' shape ...
        (28, 5, 1, 0, 1, 24),  # LeNet's first layer
        (28, 2, 2, "valid", 1, 14),  # 2x2 pooling halves
        (7, 2, 2, "valid", 1, 3),  # floor: the last row is dropped
        (7, 2, 2, "same", 1, 4),  # ceil: TF pads it instead
        (9, 3, 1, 0, 2, 5),  # dilation 2: effective kernel 5
        (9, 3, 1, "SAME", 4, 9),  # 'same' ignores the kernel, and tf.nn's upper case is accepted
        (224, 7, 2, 3, 1, 112),  # ResNet's stem
        (1, 1, 5, 0, 1, 1),
    ],
)
def test_conv_output_size_by_hand(
    size: int, kernel: int, stride: int, padding: int | str, dilation: int, expected: int
) -> None:
    assert conv_output_size(size, kernel, stride, padding, dilation) == expected


@pytest.mark.parametrize(
    ("size", "kernel", "stride", "dilation", "expected"),
    [
        (7, 3, 2, 1, (1, 1)),
        (8, 3, 2, 1, (0, 1)),  # ... but from (1, 1), not TF's (0, 1): the one-pixel shift
        (8, 3, 1, 1, (1, 1)),
        (8, 2, 1, 1, (0, 1)),  # even kernel: the extra pixel goes bottom/right
        (8, 4, 1, 1, (1, 2)),
        (7, 2, 2, 1, (0, 1)),
        (8, 2, 2, 1, (0, 0)),
        (5, 1, 2, 1, (0, 0)),  # the total is clipped at 0, never negative
        (10, 3, 1, 2, (2, 2)),  # effective kernel 5
        (6, 3, 3, 1, (0, 0)),
        (224, 7, 2, 1, (2, 3)),
    ],
)
def test_same_padding_by_hand(
    size: int, kernel: int, stride: int, dilation: int, expected: tuple[int, int]
) -> None:
    assert same_padding(size, kernel, stride, dilation) == expected
    before, after = expected
    # The padding achieves the 'same' size under the general formula.
    effective = dilation * (kernel - 1) + 1
    assert (size + before + after - effective) // stride + 1 == conv_output_size(size, kernel, stride, "same")


def test_conv_output_size_matches_torch_shapes(torch: Any) -> None:
    checked = rejected = 0
    for size in (4, 5, 6, 7, 8):
        x = torch.zeros(1, 1, size, size + 1)  # one odd and one even axis in every case
        for kernel in (1, 2, 3, 5):
            w = torch.zeros(1, 1, kernel, kernel)
            for stride in (1, 2, 3):
                for padding in (0, 1, 2):
                    for dilation in (1, 2):
                        try:
                            expected = tuple(
                                conv_output_size(n, kernel, stride, padding, dilation)
                                for n in (size, size + 1)
                            )
                        except ValueError:
                            with pytest.raises(RuntimeError):
                                torch.nn.functional.conv2d(
                                    x, w, stride=stride, padding=padding, dilation=dilation
                                )
                            rejected += 1
                            continue
                        y = torch.nn.functional.conv2d(
                            x, w, stride=stride, padding=padding, dilation=dilation
                        )
                        assert tuple(y.shape[2:]) == expected, (size, kernel, stride, padding, dilation)
                        checked += 1
    assert checked > 300 and rejected > 0


def test_conv_output_size_matches_keras_shapes(keras: Any) -> None:
    for size in (4, 5, 7, 8):
        x = np.zeros((1, size, size + 1, 1), dtype=np.float32)
        for kernel in (1, 2, 3, 4):
            for stride, dilation in (
                (1, 1),
                (2, 1),
                (3, 1),
                (1, 2),
            ):  # Keras refuses stride > 1 with dilation
                for padding in ("valid", "same"):
                    effective = dilation * (kernel - 1) + 1
                    if padding == "valid" and effective > size:
                        continue
                    layer = keras.layers.Conv2D(
                        1, kernel, strides=stride, padding=padding, dilation_rate=dilation, use_bias=False
                    )
                    y = layer(x)
                    expected = tuple(
                        conv_output_size(n, kernel, stride, padding, dilation) for n in (size, size + 1)
                    )
                    assert tuple(y.shape[1:3]) == expected, (size, kernel, stride, padding, dilation)


# ----------------------------------------------------------------------------------------------------------
# conv2d: by hand
# ----------------------------------------------------------------------------------------------------------

IMAGE_1_TO_9 = np.arange(1.0, 10.0).reshape(1, 1, 3, 3)
KERNEL_1234 = np.array([[1.0, 2.0], [3.0, 4.0]]).reshape(1, 1, 2, 2)


def test_conv2d_by_hand() -> None:
    # [[1 2 3]    [[1 2]     1*1 + 2*2 + 4*3 + 5*4 = 37, one step right 2*1 + 3*2 + 5*3 + 6*4 = 47, ...
    #  [4 5 6] ⋆   [3 4]]
    #  [7 8 9]]
    y = conv2d(IMAGE_1_TO_9, KERNEL_1234)
    assert y.dtype == np.float64
    np.testing.assert_array_equal(y, [[[[37.0, 47.0], [67.0, 77.0]]]])
    np.testing.assert_array_equal(conv2d(IMAGE_1_TO_9, KERNEL_1234, bias=np.array([0.5])), y + 0.5)
    # Padding 1 on every side: the top-left output sees only the 1, under the kernel's 4.
    padded = conv2d(IMAGE_1_TO_9, KERNEL_1234, padding=1)
    assert padded.shape == (1, 1, 4, 4)
    assert padded[0, 0, 0, 0] == 4.0 and padded[0, 0, 3, 3] == 9.0
    np.testing.assert_array_equal(padded[:, :, 1:3, 1:3], y)
    # Stride 2 keeps the windows at rows/columns 0 and 2 of the padded image.
    np.testing.assert_array_equal(
        conv2d(IMAGE_1_TO_9, KERNEL_1234, stride=2, padding=1), padded[:, :, ::2, ::2]
    )


def test_conv2d_is_cross_correlation_not_convolution(torch: Any) -> None:
    flipped = KERNEL_1234[:, :, ::-1, ::-1]
    # Textbook convolution flips the kernel: 1*4 + 2*3 + 4*2 + 5*1 = 23, ...
    np.testing.assert_array_equal(conv2d(IMAGE_1_TO_9, flipped), [[[[23.0, 33.0], [53.0, 63.0]]]])
    assert not np.allclose(conv2d(IMAGE_1_TO_9, KERNEL_1234), conv2d(IMAGE_1_TO_9, flipped))
    # ... and the framework agrees with the unflipped version.
    np.testing.assert_array_equal(
        _torch_conv(torch, IMAGE_1_TO_9, KERNEL_1234), [[[[37.0, 47.0], [67.0, 77.0]]]]
    )


def test_conv2d_sums_over_input_channels_and_stacks_output_channels(rng: np.random.Generator) -> None:
    x = rng.normal(size=(2, 3, 5, 6))
    w = rng.normal(size=(4, 3, 3, 2))
    y = conv2d(x, w)
    for o in range(4):
        single = sum(conv2d(x[:, c : c + 1], w[o : o + 1, c : c + 1]) for c in range(3))
        np.testing.assert_allclose(y[:, o : o + 1], single, rtol=1e-12, atol=1e-12)


def test_conv2d_accepts_integer_images() -> None:
    image = np.arange(1, 10, dtype=np.uint8).reshape(1, 1, 3, 3)
    y = conv2d(image, KERNEL_1234.astype(np.int64))
    assert y.dtype == np.float64
    np.testing.assert_array_equal(y, [[[[37.0, 47.0], [67.0, 77.0]]]])


# ----------------------------------------------------------------------------------------------------------
# conv2d against the frameworks
# ----------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("stride", [1, 2, (2, 1)])
@pytest.mark.parametrize("padding", [0, 1, (1, 2), "valid"])
def test_conv2d_nchw_matches_torch(rng: np.random.Generator, torch: Any, stride: Any, padding: Any) -> None:
    x, w, b = _f32(rng, 2, 3, 8, 9), _f32(rng, 4, 3, 3, 2), _f32(rng, 4)
    expected = _torch_conv(torch, x, w, b, stride=stride, padding=padding)
    y = conv2d(x, w, b, stride=stride, padding=padding)
    assert y.shape == expected.shape
    _assert_float32_close(y, expected)


# PyTorch warns that an even kernel with 'same' needs a padded copy of the input: expected, not a problem.
@pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel lengths:UserWarning")
@pytest.mark.parametrize("kernel_size", [(3, 3), (2, 4), (5, 2)])
def test_conv2d_same_matches_torch_same_at_stride_1(
    rng: np.random.Generator, torch: Any, kernel_size: Any
) -> None:
    # PyTorch's padding='same' (stride 1 only) also puts the odd pixel of an even kernel bottom/right, so it
    # agrees with TensorFlow's rule here.
    x, w, b = _f32(rng, 2, 3, 7, 8), _f32(rng, 4, 3, *kernel_size), _f32(rng, 4)
    expected = _torch_conv(torch, x, w, b, padding="same")
    y = conv2d(x, w, b, padding="same")
    assert y.shape == (2, 4, 7, 8)
    _assert_float32_close(y, expected)


@pytest.mark.parametrize("size", [(8, 10), (7, 9), (8, 7)])
@pytest.mark.parametrize("stride", [1, 2])
@pytest.mark.parametrize("padding", ["valid", "same"])
@pytest.mark.parametrize("kernel_size", [(3, 3), (2, 4)])
def test_conv2d_nhwc_matches_tf_nn(
    rng: np.random.Generator, tf: Any, size: Any, stride: int, padding: str, kernel_size: Any
) -> None:
    x, w = _f32(rng, 2, *size, 3), _f32(rng, *kernel_size, 3, 4)
    expected = _tf_conv(tf, x, w, stride, padding.upper())
    y = conv2d(x, w, stride=stride, padding=padding, layout="NHWC")
    assert y.shape == expected.shape
    _assert_float32_close(y, expected)


@pytest.mark.parametrize("stride", [1, 2])
@pytest.mark.parametrize("padding", ["valid", "same"])
def test_conv2d_nhwc_matches_keras_conv2d(
    rng: np.random.Generator, keras: Any, stride: int, padding: str
) -> None:
    x, w, b = _f32(rng, 2, 8, 10, 3), _f32(rng, 3, 3, 3, 4), _f32(rng, 4)
    layer = keras.layers.Conv2D(4, 3, strides=stride, padding=padding)
    layer.build(x.shape)
    layer.set_weights([w, b])  # Keras stores the kernel as (kh, kw, in, out): HWIO
    expected = np.asarray(layer(x))
    y = conv2d(x, w, b, stride=stride, padding=padding, layout="NHWC")
    assert y.shape == expected.shape
    _assert_float32_close(y, expected)


@pytest.mark.parametrize("padding", [0, 2, (1, 0), "valid", "same"])
@pytest.mark.parametrize("stride", [1, 2, (1, 3)])
def test_conv2d_layouts_agree(rng: np.random.Generator, padding: Any, stride: Any) -> None:
    x, w, b = rng.normal(size=(2, 3, 8, 7)), rng.normal(size=(5, 3, 3, 2)), rng.normal(size=5)
    nchw = conv2d(x, w, b, stride=stride, padding=padding, layout="NCHW")
    # OIHW -> HWIO for the kernel, NCHW -> NHWC for the images.
    nhwc = conv2d(
        x.transpose(0, 2, 3, 1), w.transpose(2, 3, 1, 0), b, stride=stride, padding=padding, layout="NHWC"
    )
    np.testing.assert_allclose(nhwc.transpose(0, 3, 1, 2), nchw, rtol=1e-12, atol=1e-12)


def test_tf_same_at_stride_2_is_torch_with_bottom_right_padding_not_padding_1(
    rng: np.random.Generator, tf: Any, torch: Any
) -> None:
    x_nchw, w_oihw = _f32(rng, 2, 3, 8, 8), _f32(rng, 4, 3, 3, 3)
    x_nhwc, w_hwio = x_nchw.transpose(0, 2, 3, 1), w_oihw.transpose(2, 3, 1, 0)
    assert same_padding(8, 3, 2) == (0, 1)
    tf_same = _tf_conv(tf, x_nhwc, w_hwio, 2, "SAME").transpose(0, 3, 1, 2)

    # F.pad's tuple is (left, right, top, bottom) of the last two axes: TF's (0, 1) on both.
    padded = torch.nn.functional.pad(torch.from_numpy(x_nchw), (0, 1, 0, 1))
    torch_shifted = torch.nn.functional.conv2d(padded, torch.from_numpy(w_oihw), stride=2).numpy()
    torch_pad_1 = _torch_conv(torch, x_nchw, w_oihw, stride=2, padding=1)

    assert tf_same.shape == torch_shifted.shape == torch_pad_1.shape == (2, 4, 4, 4)
    _assert_float32_close(torch_shifted, tf_same)
    # Same shape, different numbers: padding=1 centres the windows one pixel up and left.
    assert np.abs(torch_pad_1 - tf_same).max() > 1.0
    # The reference reproduces both, in either layout.
    _assert_float32_close(conv2d(x_nchw, w_oihw, stride=2, padding="same"), tf_same)
    _assert_float32_close(conv2d(x_nchw, w_oihw, stride=2, padding=1), torch_pad_1)
    # And PyTorch itself refuses padding='same' with a stride, which is why the reference exists.
    with pytest.raises(RuntimeError, match="(?i)same.*stride"):
        _torch_conv(torch, x_nchw, w_oihw, stride=2, padding="same")


def test_conv2d_on_a_photo_is_fast_and_matches_tf(tf: Any) -> None:
    from twice.data import load_sample_images

    photo = load_sample_images()["china"][None].astype(np.float32) / 255.0  # (1, 427, 640, 3)
    sobel_x = np.array([[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]])
    # Three grey-edge filters (sum over colours) and an identity on the green channel.
    w = np.zeros((3, 3, 3, 4), dtype=np.float32)
    w[:, :, :, 0] = sobel_x[:, :, None]
    w[:, :, :, 1] = sobel_x.T[:, :, None]
    w[:, :, :, 2] = 1.0 / 27.0
    w[1, 1, 1, 3] = 1.0
    seconds = []
    for _ in range(3):  # best of three: the budget is for the code, not for a busy test machine
        start = time.perf_counter()
        y = conv2d(photo, w, padding="same", layout="NHWC")
        seconds.append(time.perf_counter() - start)
    assert y.shape == (1, 427, 640, 4)
    assert min(seconds) < 1.0, seconds
    np.testing.assert_allclose(y[..., 3], photo[..., 1], rtol=0, atol=0)
    _assert_float32_close(y, _tf_conv(tf, photo, w, 1, "SAME"))


# ----------------------------------------------------------------------------------------------------------
# Pooling
# ----------------------------------------------------------------------------------------------------------


def test_pooling_by_hand() -> None:
    x = np.arange(1.0, 17.0).reshape(1, 1, 4, 4)
    np.testing.assert_array_equal(max_pool2d(x), [[[[6.0, 8.0], [14.0, 16.0]]]])
    np.testing.assert_array_equal(avg_pool2d(x), [[[[3.5, 5.5], [11.5, 13.5]]]])
    # Stride 1: overlapping windows.
    np.testing.assert_array_equal(max_pool2d(x, 3, stride=1), [[[[11.0, 12.0], [15.0, 16.0]]]])


def test_avg_pool_padding_counts_by_hand() -> None:
    # All ones, 3x3 windows with one cell of padding: a corner window holds 4 real cells out of 9.
    ones = np.ones((1, 1, 3, 3))
    with_pad = avg_pool2d(ones, 3, stride=1, padding=1)  # PyTorch's default, count_include_pad=True
    np.testing.assert_allclose(
        with_pad[0, 0], [[4 / 9, 6 / 9, 4 / 9], [6 / 9, 1.0, 6 / 9], [4 / 9, 6 / 9, 4 / 9]]
    )
    np.testing.assert_array_equal(avg_pool2d(ones, 3, stride=1, padding=1, count_include_pad=False), ones)
    # TensorFlow's 'same' never counts the padding, whatever count_include_pad says.
    np.testing.assert_array_equal(avg_pool2d(ones, 3, stride=1, padding="same"), ones)
    np.testing.assert_array_equal(
        avg_pool2d(ones, 3, stride=1, padding="same", count_include_pad=False), ones
    )


def test_max_pool_padding_never_wins() -> None:
    negative = -np.ones((1, 1, 3, 3))
    np.testing.assert_array_equal(max_pool2d(negative, 3, stride=1, padding=1), negative)
    np.testing.assert_array_equal(max_pool2d(negative, 2, padding="same"), -np.ones((1, 1, 2, 2)))


@pytest.mark.parametrize(
    ("pool_size", "stride", "padding"),
    [(2, None, 0), (3, 2, 1), (3, 1, 1), ((2, 3), (1, 2), (1, 1)), ((3, 2), None, (1, 0)), (4, 3, 2)],
)
def test_max_pool2d_matches_torch(
    rng: np.random.Generator, torch: Any, pool_size: Any, stride: Any, padding: Any
) -> None:
    x = _f32(rng, 2, 3, 7, 9)
    expected = torch.nn.functional.max_pool2d(torch.from_numpy(x), pool_size, stride, padding).numpy()
    y = max_pool2d(x, pool_size, stride, padding)
    assert y.shape == expected.shape
    np.testing.assert_array_equal(y, expected)  # a maximum is one of the inputs: exact


@pytest.mark.parametrize("count_include_pad", [True, False])
@pytest.mark.parametrize(
    ("pool_size", "stride", "padding"),
    [(2, None, 0), (3, 2, 1), (3, 1, 1), ((2, 3), (1, 2), (1, 1)), ((3, 2), None, (1, 0)), (4, 3, 2)],
)
def test_avg_pool2d_matches_torch(
    rng: np.random.Generator, torch: Any, pool_size: Any, stride: Any, padding: Any, count_include_pad: bool
) -> None:
    x = _f32(rng, 2, 3, 7, 9)
    expected = torch.nn.functional.avg_pool2d(
        torch.from_numpy(x), pool_size, stride, padding, count_include_pad=count_include_pad
    ).numpy()
    y = avg_pool2d(x, pool_size, stride, padding, count_include_pad=count_include_pad)
    assert y.shape == expected.shape
    _assert_float32_close(y, expected)


POOL_CASES_TF = [(2, None), (3, 2), (3, 1), ((2, 3), (1, 2)), ((3, 2), None)]


@pytest.mark.parametrize("padding", ["valid", "same"])
@pytest.mark.parametrize(("pool_size", "stride"), POOL_CASES_TF)
def test_pools_match_tf_nn(
    rng: np.random.Generator, tf: Any, padding: str, pool_size: Any, stride: Any
) -> None:
    x = _f32(rng, 2, 7, 9, 3)  # odd sizes: 'same' has to pad
    tf_stride = pool_size if stride is None else stride
    expected_max = _tf_pool(tf, "max_pool2d", x, pool_size, tf_stride, padding.upper())
    expected_avg = _tf_pool(tf, "avg_pool2d", x, pool_size, tf_stride, padding.upper())
    np.testing.assert_array_equal(max_pool2d(x, pool_size, stride, padding, layout="NHWC"), expected_max)
    _assert_float32_close(avg_pool2d(x, pool_size, stride, padding, layout="NHWC"), expected_avg)


@pytest.mark.parametrize("padding", ["valid", "same"])
@pytest.mark.parametrize(("pool_size", "stride"), POOL_CASES_TF)
def test_pools_match_keras_layers(
    rng: np.random.Generator, keras: Any, padding: str, pool_size: Any, stride: Any
) -> None:
    x = _f32(rng, 2, 7, 9, 3)
    # strides=None is the pool size in Keras too.
    expected_max = np.asarray(keras.layers.MaxPooling2D(pool_size, stride, padding)(x))
    expected_avg = np.asarray(keras.layers.AveragePooling2D(pool_size, stride, padding)(x))
    y_max = max_pool2d(x, pool_size, stride, padding, layout="NHWC")
    y_avg = avg_pool2d(x, pool_size, stride, padding, layout="NHWC")
    assert y_max.shape == y_avg.shape == expected_max.shape
    np.testing.assert_array_equal(y_max, expected_max)
    _assert_float32_close(y_avg, expected_avg)


@pytest.mark.parametrize("pool", [max_pool2d, avg_pool2d])
@pytest.mark.parametrize(
    ("pool_size", "stride", "padding"), [(2, None, "valid"), (3, 2, "same"), ((3, 2), 1, 1)]
)
def test_pool_layouts_agree(
    rng: np.random.Generator, pool: Any, pool_size: Any, stride: Any, padding: Any
) -> None:
    x = rng.normal(size=(2, 3, 7, 8))
    nchw = pool(x, pool_size, stride, padding, layout="NCHW")
    nhwc = pool(x.transpose(0, 2, 3, 1), pool_size, stride, padding, layout="NHWC")
    np.testing.assert_array_equal(nhwc.transpose(0, 3, 1, 2), nchw)


def test_tf_same_avg_pool_differs_from_torch_default_at_the_border(tf: Any, torch: Any) -> None:
    # The same 3x3/stride-1 average pool of the same image: TF 'same' and PyTorch padding=1 agree inside
    # and disagree on the border, because only PyTorch counts the padded zeros.
    x = np.ones((1, 4, 4, 1), dtype=np.float32)
    tf_same = _tf_pool(tf, "avg_pool2d", x, 3, 1, "SAME")[0, :, :, 0]
    torch_pad = torch.nn.functional.avg_pool2d(torch.from_numpy(x.transpose(0, 3, 1, 2)), 3, 1, 1).numpy()[
        0, 0
    ]
    np.testing.assert_allclose(tf_same, np.ones((4, 4)), rtol=1e-6)
    assert torch_pad[0, 0] == pytest.approx(4 / 9) and torch_pad[1, 1] == pytest.approx(1.0)
    np.testing.assert_allclose(avg_pool2d(x, 3, 1, "same", layout="NHWC")[0, :, :, 0], tf_same, rtol=1e-6)
    np.testing.assert_allclose(avg_pool2d(x, 3, 1, 1, layout="NHWC")[0, :, :, 0], torch_pad, rtol=1e-6)


# ----------------------------------------------------------------------------------------------------------
# Errors
# ----------------------------------------------------------------------------------------------------------


class TestSizeErrors:
    @pytest.mark.parametrize(
        ("kwargs", "message"),
        [
            ({"size": 0, "kernel": 3}, r"size must be a positive integer, got 0"),
            ({"size": 8, "kernel": 0}, r"kernel must be a positive integer, got 0"),
            ({"size": 8, "kernel": 3, "stride": 0}, r"stride must be a positive integer, got 0"),
            ({"size": 8, "kernel": 3, "stride": -1}, r"stride must be a positive integer, got -1"),
            ({"size": 8, "kernel": 3, "dilation": 0}, r"dilation must be a positive integer, got 0"),
            ({"size": 8, "kernel": 3, "padding": -1}, r"padding must be a non-negative integer, got -1$"),
            (
                {"size": 8, "kernel": 3, "padding": "full"},
                r"unknown padding 'full': expected 'valid', 'same'",
            ),
            (
                {"size": 2, "kernel": 3},
                r"kernel \(effective size 3\) is larger than the padded input \(2 \+ 2\*0 = 2\)",
            ),
            ({"size": 4, "kernel": 3, "dilation": 2}, r"effective size 5\) is larger than the padded input"),
            ({"size": 2, "kernel": 3, "padding": "valid"}, r"larger than the padded input"),
        ],
    )
    def test_conv_output_size_value_errors(self, kwargs: dict[str, Any], message: str) -> None:
        with pytest.raises(ValueError, match=message):
            conv_output_size(**kwargs)

    def test_padding_rescues_a_large_kernel(self) -> None:
        assert conv_output_size(2, 3, padding=1) == 2

    @pytest.mark.parametrize(
        ("kwargs", "message"),
        [
            ({"size": 8.0, "kernel": 3}, r"size must be an integer, got float 8.0$"),
            ({"size": 8, "kernel": 3, "stride": True}, r"stride must be an integer, got bool True$"),
            ({"size": 8, "kernel": 3, "padding": 1.5}, r"padding must be an integer, got float 1.5$"),
        ],
    )
    def test_conv_output_size_type_errors(self, kwargs: dict[str, Any], message: str) -> None:
        with pytest.raises(TypeError, match=message):
            conv_output_size(**kwargs)

    def test_numpy_integers_are_integers(self) -> None:
        assert conv_output_size(np.int64(8), np.int32(3), np.int64(2), np.int8(1)) == 4  # type: ignore[arg-type]
        assert same_padding(np.int64(8), np.int64(3), np.int64(2)) == (0, 1)  # type: ignore[arg-type]

    @pytest.mark.parametrize(
        ("args", "message"),
        [
            ((0, 3), r"size must be a positive integer, got 0$"),
            ((8, 3, 0), r"stride must be a positive integer, got 0$"),
            ((8, 3, 1, 0), r"dilation must be a positive integer, got 0$"),
        ],
    )
    def test_same_padding_errors(self, args: tuple[int, ...], message: str) -> None:
        with pytest.raises(ValueError, match=message):
            same_padding(*args)


class TestConv2dErrors:
    x = np.zeros((1, 3, 5, 5))
    w = np.zeros((4, 3, 3, 3))

    @pytest.mark.parametrize("shape", [(3, 5, 5), (1, 1, 3, 5, 5)])
    def test_x_must_be_4d(self, shape: tuple[int, ...]) -> None:
        with pytest.raises(
            ValueError, match=r"x must be a 4-D batch of images \(N, C, H, W\) for layout 'NCHW'"
        ):
            conv2d(np.zeros(shape), self.w)
        with pytest.raises(
            ValueError, match=r"x must be a 4-D batch of images \(N, H, W, C\) for layout 'NHWC'"
        ):
            conv2d(np.zeros(shape), self.w, layout="NHWC")

    def test_kernel_must_be_4d(self) -> None:
        with pytest.raises(
            ValueError, match=r"kernel must be 4-D \(out, in, kh, kw\) for layout 'NCHW', got \(3, 3\)$"
        ):
            conv2d(self.x, np.zeros((3, 3)))
        with pytest.raises(
            ValueError, match=r"kernel must be 4-D \(kh, kw, in, out\) for layout 'NHWC', got \(3, 3, 3\)$"
        ):
            conv2d(self.x.transpose(0, 2, 3, 1), np.zeros((3, 3, 3)), layout="NHWC")

    def test_channels_must_agree(self) -> None:
        with pytest.raises(ValueError, match=r"x has 2 input channels but the kernel expects 3"):
            conv2d(np.zeros((1, 2, 5, 5)), self.w)

    def test_a_pytorch_kernel_in_the_keras_layout_is_caught(self) -> None:
        # An OIHW kernel (8 out, 2 in, 3x3) read as HWIO looks like an 8x2 kernel with 3 input channels.
        with pytest.raises(ValueError, match=r"x has 2 input channels but the kernel expects 3"):
            conv2d(np.zeros((1, 5, 5, 2)), np.zeros((8, 2, 3, 3)), layout="NHWC")

    @pytest.mark.parametrize("shape", [(3,), (1, 4), (4, 1), ()])
    def test_bias_must_be_one_per_output_channel(self, shape: tuple[int, ...]) -> None:
        with pytest.raises(ValueError, match=r"bias must have shape \(4,\), one value per output channel"):
            conv2d(self.x, self.w, bias=np.zeros(shape))

    @pytest.mark.parametrize("layout", ["nchw", "NWHC", "channels_last", "", None])
    def test_layout_must_be_known(self, layout: Any) -> None:
        # The layouts are twice.layouts' image layouts; the message quotes the one given (repr), so that a
        # lower-case "nchw" is visibly the mistake.
        assert tuple(IMAGE_LAYOUTS) == ("NCHW", "NHWC")
        expected = re.escape(f"unknown layout {layout!r}: expected one of 'NCHW', 'NHWC'")
        with pytest.raises(ValueError, match=f"^{expected}$"):
            conv2d(self.x, self.w, layout=layout)

    @pytest.mark.parametrize("padding", ["full", "causal", ""])
    def test_padding_string_must_be_known(self, padding: str) -> None:
        with pytest.raises(ValueError, match=r"unknown padding .*: expected 'valid', 'same'"):
            conv2d(self.x, self.w, padding=padding)

    @pytest.mark.parametrize(("padding", "shown"), [(-1, -1), ((0, -2), -2)])
    def test_padding_must_be_non_negative(self, padding: Any, shown: int) -> None:
        with pytest.raises(ValueError, match=rf"^padding must be a non-negative integer, got {shown}$"):
            conv2d(self.x, self.w, padding=padding)

    def test_padding_pair_must_be_a_pair(self) -> None:
        with pytest.raises(ValueError, match=r"padding must be an integer or a pair \(height, width\)"):
            conv2d(self.x, self.w, padding=(1, 1, 1))  # type: ignore[arg-type]
        with pytest.raises(TypeError, match=r"padding must be an integer or a pair .* got float"):
            conv2d(self.x, self.w, padding=1.0)  # type: ignore[arg-type]

    @pytest.mark.parametrize(("stride", "shown"), [(0, 0), ((1, 0), 0), (-2, -2), (np.int64(0), 0)])
    def test_stride_must_be_positive(self, stride: Any, shown: int) -> None:
        with pytest.raises(ValueError, match=rf"^stride must be a positive integer, got {shown}$"):
            conv2d(self.x, self.w, stride=stride)

    @pytest.mark.parametrize(("stride", "shown"), [((1, 2.0), "float 2.0"), ((True, 1), "bool True")])
    def test_stride_must_be_an_integer(self, stride: Any, shown: str) -> None:
        with pytest.raises(TypeError, match=rf"^stride must be an integer, got {shown}$"):
            conv2d(self.x, self.w, stride=stride)

    def test_a_bool_stride_is_not_a_stride_of_one(self) -> None:
        with pytest.raises(
            TypeError, match=r"^stride must be an integer or a pair \(height, width\) of integers, got bool$"
        ):
            conv2d(self.x, self.w, stride=True)

    def test_kernel_larger_than_padded_input(self) -> None:
        big = np.zeros((4, 3, 7, 3))
        with pytest.raises(
            ValueError,
            match=r"window \(7\) is larger than the padded input along the height \(5 \+ 0 \+ 0 = 5\)",
        ):
            conv2d(self.x, big)
        with pytest.raises(
            ValueError, match=r"window \(8\) is larger .* along the height \(5 \+ 1 \+ 1 = 7\)"
        ):
            conv2d(self.x, np.zeros((4, 3, 8, 3)), padding=(1, 0))
        with pytest.raises(
            ValueError, match=r"window \(4\) is larger .* along the width \(2 \+ 0 \+ 0 = 2\)"
        ):
            conv2d(np.zeros((1, 2, 2, 3)), np.zeros((2, 4, 3, 1)), padding="valid", layout="NHWC")
        assert conv2d(self.x, big, padding=1).shape == (1, 4, 1, 5)  # enough padding rescues it
        assert conv2d(self.x, big, padding="same").shape == (1, 4, 5, 5)  # and 'same' always does


class TestPoolErrors:
    x = np.zeros((1, 3, 5, 5))

    @pytest.mark.parametrize("pool", [max_pool2d, avg_pool2d])
    def test_x_must_be_4d(self, pool: Any) -> None:
        with pytest.raises(ValueError, match=r"x must be a 4-D batch of images \(N, C, H, W\)"):
            pool(np.zeros((3, 5, 5)))

    @pytest.mark.parametrize("pool", [max_pool2d, avg_pool2d])
    def test_layout_must_be_known(self, pool: Any) -> None:
        with pytest.raises(ValueError, match=r"^unknown layout 'NCWH': expected one of 'NCHW', 'NHWC'$"):
            pool(self.x, layout="NCWH")

    @pytest.mark.parametrize("pool", [max_pool2d, avg_pool2d])
    def test_padding_errors(self, pool: Any) -> None:
        with pytest.raises(ValueError, match=r"unknown padding 'full'"):
            pool(self.x, padding="full")
        with pytest.raises(ValueError, match=r"^padding must be a non-negative integer, got -1$"):
            pool(self.x, padding=-1)
        # PyTorch's limit: a window must never see only padding.
        with pytest.raises(
            ValueError, match=r"padding along the width \(2\) must be at most half the pool size"
        ):
            pool(self.x, pool_size=3, padding=(1, 2))

    @pytest.mark.parametrize("pool", [max_pool2d, avg_pool2d])
    def test_size_and_stride_must_be_positive(self, pool: Any) -> None:
        with pytest.raises(ValueError, match=r"^pool_size must be a positive integer, got 0$"):
            pool(self.x, pool_size=0)
        with pytest.raises(ValueError, match=r"^stride must be a positive integer, got 0$"):
            pool(self.x, stride=(0, 1))
        with pytest.raises(TypeError, match=r"^pool_size must be an integer, got float 2.0$"):
            pool(self.x, pool_size=(2, 2.0))
        with pytest.raises(TypeError, match=r"pool_size must be an integer or a pair"):
            pool(self.x, pool_size=2.5)

    @pytest.mark.parametrize("pool", [max_pool2d, avg_pool2d])
    def test_window_larger_than_input(self, pool: Any) -> None:
        with pytest.raises(
            ValueError, match=r"window \(6\) is larger than the padded input along the height"
        ):
            pool(self.x, pool_size=(6, 2))
        assert pool(self.x, pool_size=6, padding="same").shape == (1, 3, 1, 1)

    def test_count_include_pad_must_be_a_bool(self) -> None:
        with pytest.raises(TypeError, match=r"count_include_pad must be a bool, got str"):
            avg_pool2d(self.x, count_include_pad="no")  # type: ignore[arg-type]


# ----------------------------------------------------------------------------------------------------------
# conv_as_matrix and receptive_field
# ----------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("layout", ["NCHW", "NHWC"])
@pytest.mark.parametrize(("stride", "padding"), [(1, 0), (1, 1), (2, 1), (2, "same"), ((1, 2), "valid"), (2, (0, 1))])
def test_conv_as_matrix_equals_conv2d(rng: np.random.Generator, layout: str, stride: Any, padding: Any) -> None:
    from twice.convolution import conv_as_matrix

    x = rng.normal(size=(1, 3, 7, 8))  # NCHW
    w = rng.normal(size=(4, 3, 3, 2))  # OIHW, a non-square kernel
    if layout == "NHWC":
        x, w = x.transpose(0, 2, 3, 1), w.transpose(2, 3, 1, 0)
    m = conv_as_matrix(w, (7, 8), stride=stride, padding=padding, layout=layout)
    y = conv2d(x, w, stride=stride, padding=padding, layout=layout)
    assert m.shape == (y.size, x.size)
    np.testing.assert_allclose(m @ x.reshape(-1), y.reshape(-1), rtol=1e-12, atol=1e-12)


def test_conv_as_matrix_is_sparse_and_tied() -> None:
    from twice.convolution import conv_as_matrix

    w = np.arange(1.0, 10.0).reshape(1, 1, 3, 3)
    m = conv_as_matrix(w, (5, 5))  # valid: 3×3 outputs, each row holds all 9 weights once
    assert m.shape == (9, 25)
    assert (np.count_nonzero(m, axis=1) == 9).all()
    assert all(sorted(row[row != 0]) == list(range(1, 10)) for row in m)
    # 'same' on 8×8: the windows cover 22·22 (input, output) pairs per channel pair (2 + 6·3 + 2 per axis).
    assert np.count_nonzero(conv_as_matrix(np.ones((3, 3, 1, 32)), (8, 8), padding="same", layout="NHWC")) == 32 * 22 * 22


def test_conv_as_matrix_matches_torch(rng: np.random.Generator) -> None:
    torch = pytest.importorskip("torch")
    from twice.convolution import conv_as_matrix

    x, w = _f32(rng, 1, 2, 6, 6), _f32(rng, 5, 2, 3, 3)
    m = conv_as_matrix(w, (6, 6), stride=2, padding=1)
    _assert_float32_close(m @ x.reshape(-1), _torch_conv(torch, x, w, stride=2, padding=1).reshape(-1))


def test_conv_as_matrix_errors() -> None:
    from twice.convolution import conv_as_matrix

    with pytest.raises(ValueError, match="4-D"):
        conv_as_matrix(np.ones((3, 3)), (4, 4))
    with pytest.raises(ValueError, match="larger than the padded input"):
        conv_as_matrix(np.ones((1, 1, 5, 5)), (4, 4))
    with pytest.raises(ValueError, match="layout"):
        conv_as_matrix(np.ones((1, 1, 3, 3)), (4, 4), layout="CHW")


def test_receptive_field_formula() -> None:
    from twice.convolution import receptive_field

    assert receptive_field([]) == []
    assert receptive_field([(3, 1)] * 3) == [(3, 1), (5, 1), (7, 1)]  # three 3×3 convolutions see 7×7
    assert receptive_field([(7, 2), (3, 2), (3, 1)]) == [(7, 2), (11, 4), (19, 4)]  # a ResNet-style stem
    assert receptive_field([(1, 1), (1, 1)]) == [(1, 1), (1, 1)]  # 1×1 convolutions widen nothing


def test_receptive_field_measured_in_torch() -> None:
    """The formula against the gradient's support, for a stack with strided convolutions and poolings."""
    torch = pytest.importorskip("torch")
    from twice.convolution import receptive_field

    torch.manual_seed(0)
    stack = torch.nn.Sequential(
        torch.nn.Conv2d(1, 4, 3, stride=2), torch.nn.AvgPool2d(2), torch.nn.Conv2d(4, 4, 5)
    ).double()
    x = torch.randn(1, 1, 48, 48, dtype=torch.float64, requires_grad=True)
    stack(x)[0, :, 2, 2].sum().backward()  # linear layers only: one input suffices
    support = (x.grad[0, 0] != 0).numpy()
    size = receptive_field([(3, 2), (2, 2), (5, 1)])[-1][0]
    assert size == 3 + 1 * 2 + 4 * 4
    assert support.any(axis=1).sum() == support.any(axis=0).sum() == size and support.sum() == size**2


def test_receptive_field_errors() -> None:
    from twice.convolution import receptive_field

    with pytest.raises(ValueError, match="pair"):
        receptive_field([(3, 1, 1)])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="pair"):
        receptive_field(["33"])  # type: ignore[list-item]
    with pytest.raises(ValueError):
        receptive_field([(0, 1)])
    with pytest.raises(TypeError):
        receptive_field([(3.0, 1)])  # type: ignore[list-item]
