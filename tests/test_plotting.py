"""Tests for twice.plotting: one colour per framework, one line style per split, every figure labelled."""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterator
from typing import Any

import matplotlib

matplotlib.use("Agg")  # no display needed; must come before pyplot is imported

import matplotlib.colors as mcolors
import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.text import Text

from twice import FRAMEWORK_COLORS, plot_training_curves
from twice.plotting import (
    BASELINE_COLOR,
    FRAMEWORK_LABELS,
    SPLIT_STYLES,
    figure_text,
    plot_comparison,
    plot_confusion_matrix,
    plot_image_grid,
)


@pytest.fixture(autouse=True)
def close_figures() -> Iterator[None]:
    plt.close("all")
    yield
    plt.close("all")


HISTORIES = {
    "tensorflow": {"train": [2.3, 1.2, 0.8, 0.6], "test": [2.2, 1.3, 0.9, 0.8]},
    "pytorch": {"train": [2.3, 1.1, 0.7, 0.5], "validation": [2.2, 1.4, 1.0, 0.9]},
    "reference": {"train": [2.3, 1.15, 0.75, 0.55]},
}


def _lines_by_label(ax: Axes) -> dict[str, Line2D]:
    return {str(line.get_label()): line for line in ax.get_lines()}


def test_colours_are_distinct_valid_and_documented() -> None:
    assert set(FRAMEWORK_COLORS) == {"tensorflow", "pytorch", "reference"}
    assert all(mcolors.is_color_like(c) for c in FRAMEWORK_COLORS.values())
    assert len({mcolors.to_hex(c) for c in FRAMEWORK_COLORS.values()}) == 3
    assert set(FRAMEWORK_LABELS) == set(FRAMEWORK_COLORS)
    assert SPLIT_STYLES == {"train": "-", "test": "--", "validation": "--"}


def test_returns_axes_with_one_line_per_series() -> None:
    ax = plot_training_curves(HISTORIES, title="Digits MLP")
    assert isinstance(ax, Axes)
    assert len(ax.get_lines()) == 5


def test_line_colours_styles_and_labels() -> None:
    ax = plot_training_curves(HISTORIES, title="Digits MLP")
    lines = _lines_by_label(ax)
    expected = {
        "TensorFlow (train)": ("tensorflow", "-"),
        "TensorFlow (test)": ("tensorflow", "--"),
        "PyTorch (train)": ("pytorch", "-"),
        "PyTorch (validation)": ("pytorch", "--"),
        "NumPy reference (train)": ("reference", "-"),
    }
    assert set(lines) == set(expected)
    for label, (framework, style) in expected.items():
        line = lines[label]
        assert mcolors.to_hex(line.get_color()) == mcolors.to_hex(FRAMEWORK_COLORS[framework]), label
        assert line.get_linestyle() == style, label


def test_x_counts_from_one_and_y_is_the_series() -> None:
    ax = plot_training_curves(HISTORIES, title="Digits MLP")
    for framework, splits in HISTORIES.items():
        for split, values in splits.items():
            line = _lines_by_label(ax)[f"{FRAMEWORK_LABELS[framework]} ({split})"]
            np.testing.assert_array_equal(line.get_xdata(), np.arange(1, len(values) + 1))
            np.testing.assert_array_equal(line.get_ydata(), values)


def test_reference_is_drawn_thin_and_on_top() -> None:
    # A framework curve that coincides with the reference must still show around it.
    ax = plot_training_curves(HISTORIES, title="Digits MLP")
    lines = _lines_by_label(ax)
    reference = lines["NumPy reference (train)"]
    for label, line in lines.items():
        if line is not reference:
            assert reference.get_linewidth() < line.get_linewidth(), label
            assert reference.get_zorder() > line.get_zorder(), label


def test_x_ticks_are_whole_numbers() -> None:
    ax = plot_training_curves({"pytorch": {"train": [1.0, 0.8, 0.7]}}, title="Three epochs")
    ax.figure.canvas.draw()
    ticks = ax.get_xticks()
    assert len(ticks) >= 2
    np.testing.assert_array_equal(ticks, np.round(ticks))


def test_title_and_default_axis_labels() -> None:
    ax = plot_training_curves(HISTORIES, title="Digits MLP")
    assert ax.get_title() == "Digits MLP"
    assert ax.get_xlabel() == "Epoch"
    assert ax.get_ylabel() == "Loss"


def test_custom_axis_labels() -> None:
    ax = plot_training_curves(HISTORIES, title="Accuracy", ylabel="Accuracy", xlabel="Step")
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("Step", "Accuracy")


def test_legend_lists_every_series() -> None:
    ax = plot_training_curves(HISTORIES, title="Digits MLP")
    legend = ax.get_legend()
    assert legend is not None
    assert [t.get_text() for t in legend.get_texts()] == [
        "TensorFlow (train)",
        "TensorFlow (test)",
        "PyTorch (train)",
        "PyTorch (validation)",
        "NumPy reference (train)",
    ]


def test_draws_on_a_given_axes() -> None:
    fig, (left, right) = plt.subplots(1, 2)
    returned = plot_training_curves({"pytorch": {"train": [1.0, 0.5]}}, title="Right", ax=right)
    assert returned is right
    assert len(right.get_lines()) == 1 and left.get_lines() == []
    assert right.get_title() == "Right"
    assert plt.get_fignums() == [fig.number]  # no extra figure was opened


def test_new_figure_when_no_axes_given() -> None:
    assert plt.get_fignums() == []
    ax = plot_training_curves({"tensorflow": {"train": [1.0]}}, title="One point")
    assert plt.get_fignums() == [ax.figure.number]
    np.testing.assert_array_equal(ax.get_lines()[0].get_xdata(), [1])


def test_accepts_numpy_arrays_and_renders() -> None:
    ax = plot_training_curves({"reference": {"train": np.linspace(2.0, 0.1, 50)}}, title="Array")  # type: ignore[dict-item]
    ax.figure.canvas.draw()  # rendering with Agg must not fail
    assert ax.get_lines()[0].get_xdata()[-1] == 50


@pytest.mark.parametrize("title", ["", None])
def test_missing_title_raises(title: object) -> None:
    with pytest.raises(ValueError, match=r"every figure in the book needs a title"):
        plot_training_curves(HISTORIES, title=title)  # type: ignore[arg-type]
    assert plt.get_fignums() == []  # checked before a figure is created


def test_title_is_keyword_only() -> None:
    with pytest.raises(TypeError, match=r"title"):
        plot_training_curves(HISTORIES)  # type: ignore[call-arg]


def test_empty_histories_raise() -> None:
    with pytest.raises(ValueError, match=r"histories is empty: nothing to plot"):
        plot_training_curves({}, title="Empty")
    assert plt.get_fignums() == []


@pytest.mark.parametrize("framework", ["jax", "numpy", "tensor flow"])
def test_unknown_framework_raises(framework: str) -> None:
    with pytest.raises(
        ValueError,
        match=rf"unknown framework {framework!r}: expected one of tensorflow, pytorch, reference \(or an alias\)",
    ):
        plot_training_curves({framework: {"train": [1.0]}}, title="Bad")


@pytest.mark.parametrize(("alias", "framework"), [("tf", "tensorflow"), ("TensorFlow", "tensorflow"), ("torch", "pytorch")])
def test_framework_aliases_get_the_frameworks_colour_and_label(alias: str, framework: str) -> None:
    ax = plot_training_curves({alias: {"train": [1.0, 0.5]}}, title="Alias")
    (line,) = ax.get_lines()
    assert line.get_color() == FRAMEWORK_COLORS[framework]
    assert line.get_label() == f"{FRAMEWORK_LABELS[framework]} (train)"
    plt.close(ax.figure)


def test_a_framework_named_twice_raises() -> None:
    with pytest.raises(ValueError, match=r"histories names 'tensorflow' twice"):
        plot_training_curves({"tf": {"train": [1.0]}, "tensorflow": {"train": [1.0]}}, title="Twice")
    assert plt.get_fignums() == []


@pytest.mark.parametrize("split", ["val", "Train", "valid", "eval"])
def test_unknown_split_raises(split: str) -> None:
    with pytest.raises(
        ValueError, match=rf"unknown split {split!r}: expected one of train, test, validation"
    ):
        plot_training_curves({"pytorch": {split: [1.0]}}, title="Bad")


@pytest.mark.parametrize(
    ("values", "shape"), [([], r"\(0,\)"), (np.zeros((2, 3)), r"\(2, 3\)"), (3.0, r"\(\)")]
)
def test_empty_or_non_1d_series_raise(values: object, shape: str) -> None:
    with pytest.raises(
        ValueError, match=rf"pytorch/test: expected a non-empty 1-D series, got shape {shape}"
    ):
        plot_training_curves({"pytorch": {"train": [1.0], "test": values}}, title="Bad")  # type: ignore[dict-item]


def test_a_failed_call_leaves_no_figure_open() -> None:
    with pytest.raises(ValueError, match=r"unknown framework"):
        plot_training_curves({"jax": {"train": [1.0]}}, title="Bad")
    assert plt.get_fignums() == []


def test_a_failed_call_leaves_the_given_axes_untouched() -> None:
    _, ax = plt.subplots()
    with pytest.raises(ValueError, match=r"unknown split"):
        plot_training_curves(
            {"tensorflow": {"train": [1.0, 0.5]}, "pytorch": {"val": [1.0]}}, title="Bad", ax=ax
        )
    assert ax.get_lines() == []


@pytest.mark.filterwarnings("ignore:No artists with labels found:UserWarning")
def test_a_framework_without_series_raises() -> None:
    with pytest.raises(ValueError, match=r"tensorflow"):
        plot_training_curves({"tensorflow": {}}, title="Nothing")


# --- plot_comparison ---------------------------------------------------------------------------------------

BASELINE = {"train": [2.0, 1.0, 0.5, 0.3, 0.2], "validation": [2.1, 1.2, 1.0, 1.1, 1.3]}
VARIANT = {"train": [2.1, 1.3, 0.9], "validation": [2.0, 1.1, 0.9]}  # shorter: stopped early


def test_baseline_color_is_a_grey_distinct_from_the_frameworks() -> None:
    assert BASELINE_COLOR == "#999999"
    red, green, blue = mcolors.to_rgb(BASELINE_COLOR)
    assert red == green == blue  # a grey
    assert mcolors.to_hex(BASELINE_COLOR) not in {mcolors.to_hex(c) for c in FRAMEWORK_COLORS.values()}


@pytest.mark.parametrize("framework", ["tensorflow", "pytorch"])
def test_comparison_colours_styles_and_labels(framework: str) -> None:
    ax = plot_comparison(BASELINE, VARIANT, framework=framework, variant_label="dropout 0.4", title="Dropout")
    lines = _lines_by_label(ax)
    expected = {
        "baseline (train)": (BASELINE_COLOR, "-"),
        "baseline (validation)": (BASELINE_COLOR, "--"),
        "dropout 0.4 (train)": (FRAMEWORK_COLORS[framework], "-"),
        "dropout 0.4 (validation)": (FRAMEWORK_COLORS[framework], "--"),
    }
    assert set(lines) == set(expected) and len(ax.get_lines()) == 4
    for label, (color, style) in expected.items():
        assert mcolors.to_hex(lines[label].get_color()) == mcolors.to_hex(color), label
        assert lines[label].get_linestyle() == style, label
    legend = ax.get_legend()
    assert legend is not None
    assert [t.get_text() for t in legend.get_texts()] == list(expected)


def test_comparison_test_split_is_dashed() -> None:
    ax = plot_comparison(
        {"test": [1.0, 0.9]}, {"test": [1.0, 0.8]}, framework="pytorch", variant_label="L2", title="t"
    )
    assert [line.get_linestyle() for line in ax.get_lines()] == ["--", "--"]
    assert [str(line.get_label()) for line in ax.get_lines()] == ["baseline (test)", "L2 (test)"]


def test_comparison_x_counts_from_one_and_the_variant_may_be_shorter() -> None:
    ax = plot_comparison(BASELINE, VARIANT, framework="tensorflow", variant_label="dropout", title="Dropout")
    lines = _lines_by_label(ax)
    for name, curves in (("baseline", BASELINE), ("dropout", VARIANT)):
        for split, values in curves.items():
            line = lines[f"{name} ({split})"]
            np.testing.assert_array_equal(line.get_xdata(), np.arange(1, len(values) + 1))
            np.testing.assert_array_equal(line.get_ydata(), values)
    assert np.asarray(lines["dropout (train)"].get_xdata())[-1] == 3
    assert np.asarray(lines["baseline (train)"].get_xdata())[-1] == 5


def test_comparison_title_and_axis_labels() -> None:
    ax = plot_comparison(BASELINE, VARIANT, framework="pytorch", variant_label="v", title="Weight decay")
    assert (ax.get_title(), ax.get_xlabel(), ax.get_ylabel()) == (
        "Weight decay",
        "Epoch",
        "Cross-entropy loss",
    )
    ax = plot_comparison(
        BASELINE, VARIANT, framework="pytorch", variant_label="v", title="T", ylabel="Accuracy", xlabel="Step"
    )
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("Step", "Accuracy")


def test_comparison_x_ticks_are_whole_numbers() -> None:
    ax = plot_comparison(
        {"train": [1.0, 0.5, 0.4]}, {"train": [1.0, 0.6]}, framework="pytorch", variant_label="v", title="t"
    )
    ax.figure.canvas.draw()
    ticks = ax.get_xticks()
    assert len(ticks) >= 2
    np.testing.assert_array_equal(ticks, np.round(ticks))


def test_comparison_draws_on_a_given_axes_or_a_new_figure() -> None:
    fig, (left, right) = plt.subplots(1, 2)
    returned = plot_comparison(BASELINE, VARIANT, framework="pytorch", variant_label="v", title="R", ax=right)
    assert returned is right and len(right.get_lines()) == 4 and left.get_lines() == []
    assert plt.get_fignums() == [fig.number]
    plt.close("all")
    ax = plot_comparison(
        {"train": np.array([1.0, 0.5])},  # type: ignore[dict-item]
        {"train": (0.9, 0.4)},
        framework="tensorflow",
        variant_label="v",
        title="N",
    )  # arrays and tuples are series too
    assert plt.get_fignums() == [ax.figure.number]
    ax.figure.canvas.draw()


@pytest.mark.parametrize(("title", "variant_label"), [("", "v"), (None, "v"), ("t", ""), ("t", None)])
def test_comparison_needs_a_title_and_a_label(title: object, variant_label: object) -> None:
    with pytest.raises(ValueError, match=r"a comparison needs a title and a variant_label"):
        plot_comparison(BASELINE, VARIANT, framework="pytorch", variant_label=variant_label, title=title)  # type: ignore[arg-type]
    assert plt.get_fignums() == []


def test_comparison_rejects_empty_curves() -> None:
    with pytest.raises(ValueError, match=r"^baseline: no series to plot"):
        plot_comparison({}, VARIANT, framework="pytorch", variant_label="dropout", title="t")
    with pytest.raises(ValueError, match=r"^dropout: no series to plot"):
        plot_comparison(BASELINE, {}, framework="pytorch", variant_label="dropout", title="t")
    assert plt.get_fignums() == []


@pytest.mark.parametrize("split", ["val", "Train", "val_loss"])
def test_comparison_rejects_unknown_splits(split: str) -> None:
    with pytest.raises(
        ValueError, match=rf"unknown split {split!r}: expected one of train, test, validation"
    ):
        plot_comparison(BASELINE, {split: [1.0]}, framework="pytorch", variant_label="v", title="t")
    assert plt.get_fignums() == []


@pytest.mark.parametrize(
    ("values", "shape"), [([], r"\(0,\)"), (np.zeros((2, 3)), r"\(2, 3\)"), (3.0, r"\(\)")]
)
def test_comparison_rejects_empty_or_non_1d_series(values: object, shape: str) -> None:
    with pytest.raises(
        ValueError, match=rf"^baseline/validation: expected a non-empty 1-D series, got shape {shape}$"
    ):
        curves: dict[str, Any] = {"train": [1.0], "validation": values}
        plot_comparison(curves, VARIANT, framework="pytorch", variant_label="v", title="t")
    with pytest.raises(
        ValueError, match=rf"^dropout/train: expected a non-empty 1-D series, got shape {shape}$"
    ):
        plot_comparison(BASELINE, {"train": values}, framework="pytorch", variant_label="dropout", title="t")  # type: ignore[dict-item]


def test_a_failed_comparison_leaves_the_given_axes_untouched() -> None:
    _, ax = plt.subplots()
    with pytest.raises(ValueError, match=r"unknown split"):
        plot_comparison(
            BASELINE, {"train": [1.0], "val": [1.0]}, framework="pytorch", variant_label="v", title="t", ax=ax
        )
    assert ax.get_lines() == [] and ax.get_title() == ""


# --- plot_image_grid ---------------------------------------------------------------------------------------


def _image_axes(fig: Figure) -> list[Axes]:
    return [ax for ax in fig.axes if ax.get_images()]


def _stack(n: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((n, 5, 4))


@pytest.mark.parametrize(
    ("n", "ncols", "rows", "cols"),
    [(5, 3, 2, 3), (3, 8, 1, 3), (10, 8, 2, 8), (16, 8, 2, 8), (4, 1, 4, 1), (1, 8, 1, 1)],
)
def test_image_grid_layout(n: int, ncols: int, rows: int, cols: int) -> None:
    fig = plot_image_grid(_stack(n), title="Grid", ncols=ncols)
    assert isinstance(fig, Figure)
    assert len(fig.axes) == rows * cols
    spec = fig.axes[0].get_subplotspec()
    assert spec is not None
    grid = spec.get_gridspec()
    assert (grid.nrows, grid.ncols) == (rows, cols)
    assert len(_image_axes(fig)) == n  # the spare cells of the last row stay empty
    assert all(not ax.axison for ax in fig.axes)  # no ticks or frames around images or empty cells


def test_image_grid_default_is_eight_columns() -> None:
    fig = plot_image_grid(_stack(10), title="Ten")
    assert len(fig.axes) == 16 and len(_image_axes(fig)) == 10


def test_image_grid_shows_each_image_in_order_with_its_caption() -> None:
    images = _stack(5)
    labels = [f"true {k}, predicted {k + 1}" for k in range(5)]
    fig = plot_image_grid(images, title="Mistakes", labels=labels, ncols=3)
    shown = _image_axes(fig)
    for k, ax in enumerate(shown):
        np.testing.assert_array_equal(ax.get_images()[0].get_array(), images[k])
        assert ax.get_title() == labels[k]
        assert ax.get_images()[0].get_cmap().name == "gray"
    assert fig.get_suptitle() == "Mistakes"
    assert [ax.get_title() for ax in fig.axes if not ax.get_images()] == [""]  # the empty cell has no caption


def test_image_grid_without_labels_has_no_captions() -> None:
    fig = plot_image_grid(_stack(3), title="Plain")
    assert [ax.get_title() for ax in fig.axes] == ["", "", ""]


def test_image_grid_symmetric_colour_limits() -> None:
    from twice.plotting import DIVERGING_CMAP

    images = np.zeros((3, 4, 4))
    images[0, 0, 0], images[0, 1, 1] = -3.0, 1.0  # largest magnitude is negative
    images[1, 2, 2] = 0.5  # only positive values
    # images[2]: all zero, a limit of 1 instead of an empty range
    fig = plot_image_grid(images, title="Filters", symmetric=True)
    limits = [ax.get_images()[0].get_clim() for ax in _image_axes(fig)]
    assert limits == [(-3.0, 3.0), (-0.5, 0.5), (-1.0, 1.0)]  # each image scaled on its own
    assert all(ax.get_images()[0].get_cmap().name == DIVERGING_CMAP for ax in _image_axes(fig))
    for k, ax in enumerate(_image_axes(fig)):
        np.testing.assert_array_equal(ax.get_images()[0].get_array(), images[k])  # the values, not rescaled


def test_a_symmetric_grid_has_one_colour_bar_for_its_panels_scaled_to_their_largest_magnitude() -> None:
    from twice.plotting import DIVERGING_CMAP

    fig = plot_image_grid(_stack(10), title="Kernels", symmetric=True, ncols=4)
    bars = [ax for ax in fig.axes if ax.get_label() == "<colorbar>"]
    assert len(bars) == 1 and len(fig.axes) == 12 + 1  # 3 rows of 4 panels, and the bar
    (bar,) = bars
    assert bar.get_ylabel() == "value / panel's largest |value|"
    assert bar.get_ylim() == (-1.0, 1.0)  # each panel's -limit..limit, as the bar's -1..1
    from matplotlib.collections import QuadMesh

    (mesh,) = [c for c in bar.collections if isinstance(c, QuadMesh)]  # the bar's colours
    assert mesh.get_cmap().name == DIVERGING_CMAP
    fig.canvas.draw()  # lays out without a warning


def test_an_unsigned_grid_has_no_colour_bar() -> None:
    fig = plot_image_grid(_stack(3), title="Digits")
    assert [ax.get_label() for ax in fig.axes].count("<colorbar>") == 0


@pytest.mark.parametrize("cmap", ["RdBu", "RdBu_r", "coolwarm", "PuOr"])
def test_a_symmetric_grid_refuses_a_colour_map_of_its_own(cmap: str) -> None:
    with pytest.raises(ValueError, match="orange and blue belong to the frameworks"):
        plot_image_grid(_stack(2), title="Kernels", symmetric=True, cmap=cmap)
    assert plt.get_fignums() == []


def test_the_diverging_colour_map_is_neither_orange_nor_blue_and_white_at_zero() -> None:
    from twice.plotting import DIVERGING_CMAP

    colormap = matplotlib.colormaps[DIVERGING_CMAP]
    samples = [mcolors.to_hex(colormap(x)) for x in np.linspace(0, 1, 21)]
    for color in samples:
        if _hue_degrees(color)[1] >= 0.15:  # below: near white, no hue to mistake
            _assert_not_a_framework_hue(color)
    assert _lab(samples[10])[0] > 90, "zero is (nearly) white"
    negative, positive = _hue_degrees(samples[0])[0], _hue_degrees(samples[-1])[0]
    assert min(abs(negative - positive), 360 - abs(negative - positive)) > 90, "the two signs differ in hue"
    assert _delta_e(samples[0], samples[-1]) > 35


def _smallest_text_on_screen(fig: Figure, column_pixels: float = 740.0, dpi: float = 100.0) -> float:
    """The height in screen pixels of the figure's smallest text, when it is shown in the book's column."""
    fig.canvas.draw()
    scale = min(1.0, column_pixels / (float(fig.get_size_inches()[0]) * dpi))
    sizes = [
        float(text.get_fontsize()) for text in fig.findobj(Text) if text.get_text() and text.get_visible()
    ]
    return min(sizes) * dpi / 72 * scale


@pytest.mark.parametrize("symmetric", [False, True])
def test_image_grid_text_is_legible_at_the_columns_width(symmetric: bool) -> None:
    from twice.plotting import PAGE_WIDTH_INCHES

    # 32 first-layer kernels, 8 to a row, and 16 captioned feature maps: the grids of chapter 2.
    kernels = plot_image_grid(_stack(32), title="Kernels", symmetric=symmetric)
    captions = [f"map {k}" for k in range(16)]
    maps = plot_image_grid(_stack(16), title="Maps", labels=captions, symmetric=symmetric)
    for fig in (kernels, maps):
        assert fig.get_size_inches()[0] <= PAGE_WIDTH_INCHES + 1e-9
        assert _smallest_text_on_screen(fig) >= 9.0


def test_image_grid_default_colour_limits_follow_each_image() -> None:
    images = np.stack([np.linspace(-3.0, 1.0, 16).reshape(4, 4), np.linspace(0.2, 0.5, 16).reshape(4, 4)])
    fig = plot_image_grid(images, title="Auto")
    limits = [ax.get_images()[0].get_clim() for ax in _image_axes(fig)]
    np.testing.assert_allclose(limits, [(-3.0, 1.0), (0.2, 0.5)])


def test_image_grid_renders() -> None:
    fig = plot_image_grid(_stack(9), title="Render", labels=[str(k) for k in range(9)], ncols=4)
    fig.canvas.draw()
    assert plt.get_fignums() == [fig.number]


def test_image_grid_rejects_a_missing_title() -> None:
    for title in ("", None):
        with pytest.raises(ValueError, match=r"every figure in the book needs a title"):
            plot_image_grid(_stack(2), title=title)  # type: ignore[arg-type]
    assert plt.get_fignums() == []


@pytest.mark.parametrize("shape", [(0, 5, 4), (5, 4), (2, 5, 4, 3), (7,)])
def test_image_grid_rejects_empty_or_non_3d_stacks(shape: tuple[int, ...]) -> None:
    expected = re.escape(f"expected a non-empty stack of grey images (N, H, W), got shape {shape}")
    with pytest.raises(ValueError, match=expected):
        plot_image_grid(np.zeros(shape), title="Bad")
    assert plt.get_fignums() == []


@pytest.mark.parametrize("count", [0, 2, 4])
def test_image_grid_rejects_a_wrong_number_of_labels(count: int) -> None:
    with pytest.raises(ValueError, match=rf"^got {count} labels for 3 images$"):
        plot_image_grid(_stack(3), title="Bad", labels=["x"] * count)
    assert plt.get_fignums() == []


@pytest.mark.parametrize("ncols", [0, -2])
def test_image_grid_rejects_non_positive_ncols(ncols: int) -> None:
    with pytest.raises(ValueError, match=rf"^ncols must be a positive integer, got {ncols}$"):
        plot_image_grid(_stack(3), title="Bad", ncols=ncols)
    assert plt.get_fignums() == []


@pytest.mark.parametrize(("ncols", "shown"), [(2.0, "float 2.0"), (True, "bool True"), ("3", "str '3'")])
def test_image_grid_rejects_ncols_that_are_not_integers(ncols: object, shown: str) -> None:
    with pytest.raises(TypeError, match=f"^ncols must be an integer, got {re.escape(shown)}$"):
        plot_image_grid(_stack(3), title="Bad", ncols=ncols)  # type: ignore[arg-type]
    assert plt.get_fignums() == []


def test_image_grid_accepts_numpy_integer_ncols() -> None:
    fig = plot_image_grid(_stack(5), title="Grid", ncols=np.int64(2))  # type: ignore[arg-type]
    assert len(fig.axes) == 6 and len(_image_axes(fig)) == 5  # three rows of two


# --- plot_confusion_matrix ---------------------------------------------------------------------------------

Y_TRUE = [0, 0, 0, 1, 1, 2, 2, 2, 2, 2, 2]
Y_PRED = [0, 0, 1, 1, 1, 2, 2, 2, 2, 0, 1]
# Rows: true class, columns: predicted class (sklearn.metrics.confusion_matrix gives the same).
EXPECTED_MATRIX = np.array([[2, 1, 0], [0, 2, 0], [1, 1, 4]])


def _texts(ax: Axes) -> dict[tuple[float, float], Text]:
    return {(float(t.get_position()[0]), float(t.get_position()[1])): t for t in ax.texts}


def test_confusion_matrix_counts() -> None:
    from sklearn.metrics import confusion_matrix

    np.testing.assert_array_equal(confusion_matrix(Y_TRUE, Y_PRED, labels=range(3)), EXPECTED_MATRIX)
    ax = plot_confusion_matrix(Y_TRUE, Y_PRED, framework="pytorch", title="Digits", num_classes=3)
    assert isinstance(ax, Axes)
    (image,) = ax.get_images()
    np.testing.assert_array_equal(image.get_array(), EXPECTED_MATRIX)


def test_confusion_matrix_on_ten_classes_matches_sklearn() -> None:
    from sklearn.metrics import confusion_matrix

    rng = np.random.default_rng(0)
    y_true = rng.integers(0, 10, size=300)
    y_pred = np.where(rng.random(300) < 0.7, y_true, rng.integers(0, 10, size=300))
    ax = plot_confusion_matrix(
        y_true, y_pred, framework="tensorflow", title="Ten"
    )  # num_classes=10 by default
    matrix = np.asarray(ax.get_images()[0].get_array())
    assert matrix.shape == (10, 10) and matrix.sum() == 300
    np.testing.assert_array_equal(matrix, confusion_matrix(y_true, y_pred, labels=range(10)))


def test_confusion_matrix_counts_classes_that_never_occur_as_zero() -> None:
    ax = plot_confusion_matrix([1, 1], [1, 3], framework="pytorch", title="Sparse", num_classes=5)
    expected = np.zeros((5, 5), dtype=int)
    expected[1, 1] = expected[1, 3] = 1
    np.testing.assert_array_equal(ax.get_images()[0].get_array(), expected)


def test_confusion_matrix_annotations() -> None:
    ax = plot_confusion_matrix(Y_TRUE, Y_PRED, framework="pytorch", title="Digits", num_classes=3)
    texts = _texts(ax)
    # One count per non-zero cell, at (column, row) = (predicted, true); zeros are left blank.
    expected = {
        (float(j), float(i)): str(EXPECTED_MATRIX[i, j])
        for i in range(3)
        for j in range(3)
        if EXPECTED_MATRIX[i, j]
    }
    assert {pos: t.get_text() for pos, t in texts.items()} == expected
    # White on the dark cells (more than half the largest count), black on the light ones.
    assert mcolors.to_hex(texts[(2.0, 2.0)].get_color()) == "#ffffff"  # 4 > 4/2
    assert mcolors.to_hex(texts[(0.0, 0.0)].get_color()) == "#000000"  # 2 is not > 2
    assert mcolors.to_hex(texts[(1.0, 0.0)].get_color()) == "#000000"
    assert all(
        t.get_horizontalalignment() == "center" and t.get_verticalalignment() == "center"
        for t in texts.values()
    )


def test_confusion_matrix_labels_ticks_title_and_colorbar() -> None:
    ax = plot_confusion_matrix(Y_TRUE, Y_PRED, framework="tensorflow", title="Test set", num_classes=3)
    assert ax.get_xlabel() == "Predicted class"
    assert ax.get_ylabel() == "True class"
    assert ax.get_title() == "Test set"
    np.testing.assert_array_equal(ax.get_xticks(), [0, 1, 2])
    np.testing.assert_array_equal(ax.get_yticks(), [0, 1, 2])
    colorbar = ax.get_images()[0].colorbar
    assert colorbar is not None
    assert colorbar.ax.get_ylabel() == "Number of test images"
    assert len(ax.figure.axes) == 2  # the matrix and its colorbar
    assert colorbar.vmin == 0 and colorbar.vmax == 4


@pytest.mark.parametrize("framework", ["tensorflow", "pytorch"])
def test_confusion_matrix_colours_run_from_white_to_the_framework_colour(framework: str) -> None:
    ax = plot_confusion_matrix(Y_TRUE, Y_PRED, framework=framework, title="t", num_classes=3)
    cmap = ax.get_images()[0].get_cmap()
    assert mcolors.to_hex(cmap(0.0)) == "#ffffff"
    assert mcolors.to_hex(cmap(1.0)) == mcolors.to_hex(FRAMEWORK_COLORS[framework])


def test_confusion_matrix_draws_on_a_given_axes() -> None:
    fig, (left, right) = plt.subplots(1, 2)
    returned = plot_confusion_matrix(Y_TRUE, Y_PRED, framework="pytorch", title="R", num_classes=3, ax=right)
    assert returned is right and right.get_images() and not left.get_images()
    assert plt.get_fignums() == [fig.number]
    fig.canvas.draw()


# --- the framework argument of plot_comparison and plot_confusion_matrix -------------------------------------


def _comparison(framework: object) -> Any:
    return plot_comparison(BASELINE, VARIANT, framework=framework, variant_label="v", title="t")  # type: ignore[arg-type]


def _confusion_matrix(framework: object) -> Any:
    return plot_confusion_matrix(Y_TRUE, Y_PRED, framework=framework, title="t", num_classes=3)  # type: ignore[arg-type]


def _framework_colour(ax: Axes) -> str:
    """The colour a plot gives its framework: the variant's curve, or the top of the matrix's colour map."""
    images = ax.get_images()
    if images:
        return str(mcolors.to_hex(images[0].get_cmap()(1.0)))
    return str(mcolors.to_hex(_lines_by_label(ax)["v (train)"].get_color()))


FRAMEWORK_PLOTS = [
    pytest.param(_comparison, id="comparison"),
    pytest.param(_confusion_matrix, id="confusion_matrix"),
]


@pytest.mark.parametrize("plot", FRAMEWORK_PLOTS)
@pytest.mark.parametrize(
    ("alias", "canonical"),
    [
        ("tf", "tensorflow"),
        ("Keras", "tensorflow"),
        ("torch", "pytorch"),
        ("PyTorch", "pytorch"),
        (" pt ", "pytorch"),
    ],
)
def test_framework_aliases_get_their_frameworks_colour(
    plot: Callable[[object], Any], alias: str, canonical: str
) -> None:
    assert _framework_colour(plot(alias)) == mcolors.to_hex(FRAMEWORK_COLORS[canonical])


@pytest.mark.parametrize("plot", FRAMEWORK_PLOTS)
@pytest.mark.parametrize("framework", ["reference", "jax", ""])
def test_other_frameworks_raise_value_error_and_draw_nothing(
    plot: Callable[[object], Any], framework: str
) -> None:
    # "reference" has a colour in training curves, but a comparison or a confusion matrix is one framework's.
    expected = re.escape(
        f"unknown framework {framework!r}: expected 'tensorflow' (or 'tf', 'keras') or 'pytorch'"
    )
    with pytest.raises(ValueError, match=f"^{expected}"):
        plot(framework)
    assert plt.get_fignums() == []


@pytest.mark.parametrize("plot", FRAMEWORK_PLOTS)
@pytest.mark.parametrize(("framework", "type_name"), [(None, "NoneType"), (1, "int"), (["tf"], "list")])
def test_a_framework_that_is_not_a_string_raises_type_error_and_draws_nothing(
    plot: Callable[[object], Any], framework: object, type_name: str
) -> None:
    with pytest.raises(TypeError, match=rf"^framework must be a string .*, got {type_name}$"):
        plot(framework)
    assert plt.get_fignums() == []


@pytest.mark.parametrize("title", ["", None])
def test_confusion_matrix_rejects_a_missing_title(title: object) -> None:
    with pytest.raises(ValueError, match=r"every figure in the book needs a title"):
        plot_confusion_matrix(Y_TRUE, Y_PRED, framework="pytorch", title=title, num_classes=3)  # type: ignore[arg-type]
    assert plt.get_fignums() == []


@pytest.mark.parametrize(
    ("y_true", "y_pred", "shapes"),
    [
        ([0, 1, 2], [0, 1], r"\(3,\) and \(2,\)"),
        ([[0, 1]], [[0, 1]], r"\(1, 2\) and \(1, 2\)"),
        (1, 1, r"\(\) and \(\)"),
    ],
)
def test_confusion_matrix_rejects_labels_of_different_lengths_or_not_1d(
    y_true: object, y_pred: object, shapes: str
) -> None:
    with pytest.raises(
        ValueError, match=rf"y_true and y_pred must be non-empty, 1-D and of equal length, got {shapes}$"
    ):
        plot_confusion_matrix(y_true, y_pred, framework="pytorch", title="t", num_classes=3)  # type: ignore[arg-type]
    assert plt.get_fignums() == []


@pytest.mark.parametrize(
    ("y_true", "y_pred", "name"),
    [
        ([0, 3], [0, 1], "y_true"),
        ([-1, 0], [0, 1], "y_true"),
        ([0, 1], [0, 3], "y_pred"),
        ([0, 1], [0, -1], "y_pred"),
    ],
)
def test_confusion_matrix_rejects_labels_out_of_range(
    y_true: list[int], y_pred: list[int], name: str
) -> None:
    with pytest.raises(ValueError, match=rf"^{name} must lie in 0\.\.2$"):
        plot_confusion_matrix(y_true, y_pred, framework="pytorch", title="t", num_classes=3)
    assert plt.get_fignums() == []


@pytest.mark.parametrize(
    ("y_true", "y_pred", "message"),
    [
        ([], [], "non-empty"),
        ([0.0, 1.0], [0.0, 1.0], "integer class indices"),
    ],
)
def test_confusion_matrix_rejects_empty_or_float_labels(
    y_true: list[Any],  # Any: empty or floats on purpose, outside plot_confusion_matrix's Sequence[int]
    y_pred: list[Any],
    message: str,
) -> None:
    with pytest.raises(ValueError, match=message):
        plot_confusion_matrix(y_true, y_pred, framework="pytorch", title="Bad")
    assert plt.get_fignums() == []


def test_confusion_matrix_rejects_zero_classes() -> None:
    with pytest.raises(ValueError, match=r"^num_classes must be a positive integer, got 0$"):
        plot_confusion_matrix([0], [0], framework="pytorch", title="Bad", num_classes=0)
    assert plt.get_fignums() == []


@pytest.mark.parametrize(
    ("num_classes", "shown"), [(3.0, "float 3.0"), (True, "bool True"), (None, "NoneType None")]
)
def test_confusion_matrix_rejects_a_number_of_classes_that_is_not_an_integer(
    num_classes: object, shown: str
) -> None:
    with pytest.raises(TypeError, match=f"^num_classes must be an integer, got {re.escape(shown)}$"):
        plot_confusion_matrix([0], [0], framework="pytorch", title="Bad", num_classes=num_classes)  # type: ignore[arg-type]
    assert plt.get_fignums() == []


def test_comparison_refuses_a_variant_named_baseline() -> None:
    with pytest.raises(ValueError, match=r"variant_label 'baseline' is taken"):
        plot_comparison(
            {"train": [1.0]}, {"train": [1.0]}, framework="tensorflow", variant_label="baseline", title="T"
        )


def test_comparison_log_scale_sets_the_axis_and_says_so() -> None:
    ax = plot_comparison(
        {"train": [1.0, 0.1]},
        {"train": [1.0, 0.5]},
        framework="pytorch",
        variant_label="v",
        title="T",
        log_scale=True,
    )
    assert ax.get_yscale() == "log"
    assert ax.get_ylabel() == "Cross-entropy loss (log scale)"


def test_image_grid_keeps_the_aspect_ratio_of_wide_images() -> None:
    wide = plot_image_grid(np.zeros((2, 10, 40)), title="Wide", ncols=2, panel_inches=2.0)
    square = plot_image_grid(np.zeros((2, 40, 40)), title="Square", ncols=2, panel_inches=2.0)
    wide_width, wide_height = wide.get_size_inches()
    square_width, square_height = square.get_size_inches()
    assert wide_width == square_width == 4.0
    assert wide_height < square_height - 1.0


# --- plot_models ---------------------------------------------------------------------------------------------


def test_plot_models_draws_each_model_in_the_frameworks_colour_and_the_baseline_in_grey() -> None:
    from twice.plotting import BASELINE_COLOR, MODEL_STYLES, plot_models

    ax = plot_models(
        {"RNN": [0.17, 0.16, 0.17], "LSTM": [0.1, 0.01, 0.001]},
        framework="pytorch",
        x=[250, 500, 750],
        baseline=1 / 6,
        baseline_label="always 1",
        title="Models",
    )
    rnn, lstm, baseline = ax.get_lines()
    assert [line.get_label() for line in (rnn, lstm, baseline)] == ["RNN", "LSTM", "always 1"]
    assert rnn.get_color() == lstm.get_color() == FRAMEWORK_COLORS["pytorch"]
    assert [rnn.get_linestyle(), lstm.get_linestyle()] == [MODEL_STYLES[0], MODEL_STYLES[1]]
    assert baseline.get_color() == BASELINE_COLOR
    np.testing.assert_array_equal(baseline.get_ydata(), [1 / 6, 1 / 6])
    np.testing.assert_array_equal(lstm.get_xdata(), [250, 500, 750])
    assert ax.get_title() == "Models" and ax.get_xlabel() == "Training step"
    assert ax.get_legend() is not None
    plt.close(ax.figure)


def test_plot_models_counts_from_one_without_x_and_labels_a_log_axis() -> None:
    from twice.plotting import plot_models

    ax = plot_models({"GRU": [0.1, 0.01]}, framework="tf", title="Log", log_scale=True)
    np.testing.assert_array_equal(ax.get_lines()[0].get_xdata(), [1, 2])
    assert ax.get_yscale() == "log" and ax.get_ylabel() == "Validation loss (log scale)"
    assert len(ax.get_lines()) == 1  # no baseline asked for
    plt.close(ax.figure)


@pytest.mark.parametrize(
    ("curves", "options", "error", "match"),
    [
        ({}, {}, ValueError, r"curves must hold 1 to 4 models, got 0"),
        ({str(k): [1.0] for k in range(5)}, {}, ValueError, r"curves must hold 1 to 4 models, got 5"),
        ({"a": []}, {}, ValueError, r"a: expected a non-empty 1-D series"),
        ({"a": [1.0, 2.0], "b": [1.0]}, {}, ValueError, r"every series must have the same length"),
        ({"a": [1.0, 2.0]}, {"x": [1, 2, 3]}, ValueError, r"x must have 2 values"),
        ({"a": [1.0]}, {"framework": "jax"}, ValueError, r"unknown framework 'jax'"),
        ({"a": [1.0]}, {"title": ""}, ValueError, r"every figure in the book needs a title"),
        ({"a": [1.0]}, {"baseline": "1/6"}, TypeError, r"baseline must be a number"),
    ],
)
def test_plot_models_refuses_bad_input_before_drawing(
    curves: dict[str, list[float]], options: dict[str, Any], error: type[Exception], match: str
) -> None:
    from twice.plotting import plot_models

    arguments: dict[str, Any] = {"framework": "tensorflow", "title": "Bad", **options}
    with pytest.raises(error, match=match):
        plot_models(curves, **arguments)
    assert plt.get_fignums() == []


# --- plot_projection -----------------------------------------------------------------------------------------


def _hue_degrees(color: str) -> tuple[float, float]:
    """The hue (degrees) and saturation of a colour."""
    import colorsys

    hue, saturation, _ = colorsys.rgb_to_hsv(*mcolors.to_rgb(color))
    return hue * 360, saturation


def _lab(color: str) -> np.ndarray:
    """CIELAB coordinates of an sRGB colour (D65 white): distances in it follow perceived differences."""
    rgb = np.array(mcolors.to_rgb(color))
    linear = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    to_xyz = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]])
    xyz = to_xyz @ linear / np.array([0.9505, 1.0, 1.089])
    f = np.where(xyz > (6 / 29) ** 3, np.cbrt(xyz), xyz / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def _delta_e(first: str, second: str) -> float:
    return float(np.linalg.norm(_lab(first) - _lab(second)))


def _assert_not_a_framework_hue(color: str, degrees: float = 35.0) -> None:
    """``color``'s hue is at least ``degrees`` from TensorFlow's orange and from PyTorch's blue."""
    hue = _hue_degrees(color)[0]
    for name in ("tensorflow", "pytorch"):
        framework_hue = _hue_degrees(FRAMEWORK_COLORS[name])[0]
        distance = min(abs(hue - framework_hue), 360 - abs(hue - framework_hue))
        assert distance >= degrees, f"{color} is within {distance:.0f}° of hue of {name}'s colour"


def test_class_styles_avoid_the_framework_colours_and_are_distinct() -> None:
    from twice.plotting import CLASS_COLORS, CLASS_MARKERS, CLASS_STYLES

    assert len(CLASS_STYLES) == len(set(CLASS_STYLES)) == 30
    assert {color for color, _ in CLASS_STYLES} == set(CLASS_COLORS)
    assert {marker for _, marker in CLASS_STYLES} == set(CLASS_MARKERS)
    # Consecutive classes differ in both colour and marker, so the first 12 at least are easy to tell apart.
    for (color, marker), (next_color, next_marker) in itertools.pairwise(CLASS_STYLES):
        assert color != next_color and marker != next_marker
    taken = [*FRAMEWORK_COLORS.values(), BASELINE_COLOR]
    for color in CLASS_COLORS:
        assert mcolors.is_color_like(color)
        assert _hue_degrees(color)[1] > 0.3, color  # a colour, not a grey or black (the reference, the baseline)
        _assert_not_a_framework_hue(color)  # no other orange, no other blue
        assert all(_delta_e(color, other) >= 35 for other in taken), color
        assert all(_delta_e(color, other) >= 35 for other in CLASS_COLORS if other != color), color
    assert _delta_e("#E69F00", "#E69F00") == 0  # and black to white is 100: the scale is CIELAB's
    assert _delta_e("#000000", "#FFFFFF") == pytest.approx(100, abs=0.1)


def _scatter_style(collection: Any) -> tuple[str, bytes]:
    """The colour (hex) and the marker shape (its path's vertices, as bytes) of a scatter plot's points."""
    return mcolors.to_hex(collection.get_facecolor()[0]), collection.get_paths()[0].vertices.tobytes()


def _projection(**options: Any) -> Axes:
    from twice.plotting import plot_projection

    points = np.array([[0.0, 0.0], [1.0, 0.5], [2.0, 1.0], [3.0, 1.5], [4.0, 2.0]])
    labels = ["country", "capital", "country", "food", "capital"]
    arguments: dict[str, Any] = {"title": "Word vectors", **options}
    ax: Axes = plot_projection(points, labels, **arguments)
    return ax


def test_projection_draws_one_scatter_per_class_in_first_appearance_order() -> None:
    from matplotlib.collections import PathCollection

    from twice.plotting import CLASS_STYLES

    ax = _projection()
    collections = [c for c in ax.collections if isinstance(c, PathCollection)]
    assert [c.get_label() for c in collections] == ["country", "capital", "food"]
    np.testing.assert_array_equal(collections[0].get_offsets(), [[0.0, 0.0], [2.0, 1.0]])
    np.testing.assert_array_equal(collections[1].get_offsets(), [[1.0, 0.5], [4.0, 2.0]])
    for collection, (color, _) in zip(collections, CLASS_STYLES):
        assert _scatter_style(collection)[0] == mcolors.to_hex(color)
    assert len({_scatter_style(c)[1] for c in collections}) == 3  # three marker shapes
    legend = ax.get_legend()
    assert legend is not None
    assert [t.get_text() for t in legend.get_texts()] == ["country", "capital", "food"]
    assert len(ax.texts) == 0  # no names asked for


def test_projection_title_labels_and_names() -> None:
    ax = _projection(names=["france", "paris", "italy", "milk", "rome"])
    assert ax.get_title() == "Word vectors"
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("first principal component", "second principal component")
    assert [t.get_text() for t in ax.texts] == ["france", "paris", "italy", "milk", "rome"]
    assert [tuple(t.xy) for t in ax.texts][1] == (1.0, 0.5)  # type: ignore[attr-defined]
    custom = _projection(xlabel="x", ylabel="y", names=np.array(["a", "b", "c", "d", "e"]))
    assert (custom.get_xlabel(), custom.get_ylabel()) == ("x", "y") and len(custom.texts) == 5
    assert figure_text(ax.figure) == "<Figure: Word vectors>"
    ax.figure.canvas.draw()  # renders with Agg


def test_projection_draws_on_a_given_axes_and_tells_thirteen_classes_apart() -> None:
    from matplotlib.collections import PathCollection

    from twice.plotting import plot_projection

    fig, (left, right) = plt.subplots(1, 2)
    labels = [f"class {k}" for k in range(13)]
    returned = plot_projection(np.arange(26.0).reshape(13, 2), labels, title="Thirteen", ax=right)
    assert returned is right and len(left.collections) == 0
    assert plt.get_fignums() == [fig.number]
    styles = {_scatter_style(c) for c in right.collections if isinstance(c, PathCollection)}
    assert len(styles) == 13


@pytest.mark.parametrize(
    ("points", "labels", "options", "error", "match"),
    [
        (np.zeros((2, 3)), ["a", "b"], {}, ValueError, r"points must have shape \(n, 2\)"),
        (np.zeros((0, 2)), [], {}, ValueError, r"points must have shape \(n, 2\) with n >= 1"),
        (np.zeros(4), ["a"] * 4, {}, ValueError, r"points must have shape \(n, 2\)"),
        ([["a", "b"]], ["a"], {}, TypeError, r"points must be a numeric array"),
        (np.zeros((2, 2)), ["a"], {}, ValueError, r"labels must hold one string per point, 2"),
        (np.zeros((2, 2)), "ab", {}, ValueError, r"labels must hold one string per point"),
        (np.zeros((2, 2)), ["a", 1], {}, TypeError, r"labels\[1\] must be a string, got int 1"),
        (np.zeros((2, 2)), ["a", "b"], {"names": ["x"]}, ValueError, r"names must hold one string per point"),
        (np.zeros((2, 2)), ["a", "b"], {"names": ["x", None]}, TypeError, r"names\[1\] must be a string"),
        (np.zeros((2, 2)), ["a", "b"], {"title": ""}, ValueError, r"every figure in the book needs a title"),
        (np.zeros((31, 2)), [str(k) for k in range(31)], {}, ValueError, r"at most 30 classes"),
    ],
)
def test_projection_refuses_bad_input_before_drawing(
    points: Any, labels: Any, options: dict[str, Any], error: type[Exception], match: str
) -> None:
    from twice.plotting import plot_projection

    arguments: dict[str, Any] = {"title": "Bad", **options}
    with pytest.raises(error, match=match):
        plot_projection(points, labels, **arguments)
    assert plt.get_fignums() == []


def test_projection_links_join_the_named_points_in_light_grey() -> None:
    from twice.plotting import LINK_COLOR, plot_projection

    points = np.array([[0.0, 0.0], [1.0, 1.0], [2.0, 0.0]])
    ax = plot_projection(points, ["a", "b", "a"], title="Linked", links=[(0, 1), (1, 2)])
    lines = [line for line in ax.get_lines() if line.get_color() == LINK_COLOR]
    assert [line.get_xydata().tolist() for line in lines] == [[[0.0, 0.0], [1.0, 1.0]], [[1.0, 1.0], [2.0, 0.0]]]
    with pytest.raises(ValueError, match="link"):
        plot_projection(points, ["a", "b", "a"], title="Linked", links=[(0, 3)])
    plt.close("all")


def test_relations_get_one_panel_each_with_their_pairs_linked() -> None:
    from twice.plotting import LINK_COLOR, figure_text, plot_relations

    words = ["france", "paris", "italy", "rome", "spain", "madrid", "king", "queen", "man", "woman"]
    classes = dict(zip(words, ["country", "capital"] * 3 + ["male", "female"] * 2))
    # The second word of each pair is the first plus one offset: parallel links, whatever the projection.
    rng = np.random.default_rng(3)
    firsts = rng.normal(size=(5, 6))
    offsets = np.array([[2.0, 0, 0, 0, 0, 0]] * 3 + [[0, 0, 0, 0, 0, 2.0]] * 2)
    vectors = np.stack([firsts, firsts + offsets], axis=1).reshape(10, 6)
    pairs = {"country-capital": list(zip(words[0:6:2], words[1:6:2])), "male-female": [("king", "queen"), ("man", "woman")]}
    figure = plot_relations(vectors, words, pairs, classes, title="Parallel pairs")
    assert figure_text(figure) == "<Figure: Parallel pairs>"
    panels = [ax for ax in figure.axes if ax.get_visible()]
    assert [ax.get_title() for ax in panels] == ["country-capital", "male-female"]
    for ax, relation in zip(panels, pairs):
        assert ax.get_xlabel() and ax.get_ylabel() and ax.get_legend() is not None
        links = [line.get_xydata() for line in ax.get_lines() if line.get_color() == LINK_COLOR]
        assert len(links) == len(pairs[relation])
        steps = np.array([b - a for a, b in links])
        assert np.allclose(steps, steps[0], atol=1e-9), "a common offset must project to parallel, equal links"
        assert [t.get_text() for t in ax.texts] == [w for pair in pairs[relation] for w in pair]
    with pytest.raises(KeyError, match="tokyo"):
        plot_relations(vectors, words, {"x": [("tokyo", "paris")]}, classes, title="t")
    with pytest.raises(ValueError, match="one row per word"):
        plot_relations(vectors[:3], words, pairs, classes, title="t")
    plt.close("all")


# --- plot_attention ------------------------------------------------------------------------------------------


def _reversal_weights(length: int = 5) -> np.ndarray:
    """Attention that has learned to reverse: query t takes 0.9 from key length-1-t, the rest shared out."""
    weights = np.full((length, length), 0.1 / (length - 1))
    weights[np.arange(length), np.arange(length)[::-1]] = 0.9
    return weights


def _heat_maps(figure: Figure) -> list[Axes]:
    return [ax for ax in figure.axes if ax.images and ax.get_visible() and ax.get_label() != "<colorbar>"]


def test_attention_one_head_is_one_heat_map_with_a_labelled_colour_bar() -> None:
    from twice.plotting import ATTENTION_CMAP, plot_attention

    weights = _reversal_weights()
    figure = plot_attention(weights, title="Reversal")
    assert isinstance(figure, Figure)
    assert figure_text(figure) == "<Figure: Reversal>"
    (ax,) = _heat_maps(figure)
    np.testing.assert_array_equal(ax.images[0].get_array(), weights)  # row: query, column: key
    assert ax.images[0].get_cmap().name == ATTENTION_CMAP
    assert ax.images[0].get_clim() == (0.0, 0.9)
    assert (ax.get_xlabel(), ax.get_ylabel(), ax.get_title()) == ("key position", "query position", "")
    colour_bars = [other for other in figure.axes if other.get_label() == "<colorbar>"]
    assert len(colour_bars) == 1 and colour_bars[0].get_ylabel() == "attention weight"
    figure.canvas.draw()  # renders with Agg


def test_attention_heads_get_one_panel_each_on_one_colour_scale() -> None:
    from twice.plotting import plot_attention

    weights = np.stack([_reversal_weights(), np.full((5, 5), 0.2), np.eye(5)])
    figure = plot_attention(weights, title="Three heads", xlabel="input", ylabel="output")
    panels = _heat_maps(figure)
    assert [ax.get_title() for ax in panels] == ["head 1", "head 2", "head 3"]
    for ax, head in zip(panels, weights):
        np.testing.assert_array_equal(ax.images[0].get_array(), head)
        assert ax.images[0].get_clim() == (0.0, 1.0)  # shared: 0 to the largest weight of every head
        assert (ax.get_xlabel(), ax.get_ylabel()) == ("input", "output")
    named = plot_attention(weights, title="Named", head_titles=["a", "b", "c"])
    assert [ax.get_title() for ax in _heat_maps(named)] == ["a", "b", "c"]


@pytest.mark.parametrize(
    ("heads", "rows", "columns"), [(1, 1, 1), (2, 1, 2), (4, 1, 4), (5, 2, 4), (8, 2, 4)]
)
def test_attention_puts_four_heads_to_a_row(heads: int, rows: int, columns: int) -> None:
    from twice.plotting import plot_attention

    figure = plot_attention(np.full((heads, 3, 4), 0.25), title="Heads")
    panels = _heat_maps(figure)
    assert len(panels) == heads
    spec = panels[0].get_subplotspec()
    assert spec is not None and spec.get_gridspec().get_geometry() == (rows, columns)
    hidden = [ax for ax in figure.axes if not ax.get_visible()]
    assert len(hidden) == rows * columns - heads


def test_attention_tick_labels_name_the_tokens() -> None:
    from twice.plotting import plot_attention

    weights = np.full((3, 4), 0.25)  # T=3 queries, S=4 keys
    figure = plot_attention(weights, title="Tokens", x_labels=["a", "b", "c", 7], y_labels=("x", "y", "z"))
    (ax,) = _heat_maps(figure)
    figure.canvas.draw()
    assert [t.get_text() for t in ax.get_xticklabels()] == ["a", "b", "c", "7"]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["x", "y", "z"]
    assert list(ax.get_xticks()) == [0, 1, 2, 3] and list(ax.get_yticks()) == [0, 1, 2]


def test_attention_without_labels_ticks_whole_positions() -> None:
    from twice.plotting import plot_attention

    figure = plot_attention(np.full((20, 20), 0.05), title="Long")
    (ax,) = _heat_maps(figure)
    figure.canvas.draw()
    ticks = [tick for tick in ax.get_xticks() if 0 <= tick <= 19]
    assert ticks and all(float(tick).is_integer() for tick in ticks)


def test_attention_colour_map_is_sequential_and_neither_orange_nor_blue() -> None:
    from twice.plotting import ATTENTION_CMAP

    colormap = matplotlib.colormaps[ATTENTION_CMAP]
    samples = [mcolors.to_hex(colormap(x)) for x in np.linspace(0, 1, 11)]
    lightness = [_lab(color)[0] for color in samples]
    assert all(a > b for a, b in itertools.pairwise(lightness)), "light to dark, so that it reads in grey"
    assert lightness[0] > 95 and lightness[-1] < 35
    for color in samples:
        if _hue_degrees(color)[1] >= 0.15:  # below: near white, no hue to mistake
            _assert_not_a_framework_hue(color)


@pytest.mark.parametrize(
    ("weights", "options", "error", "match"),
    [
        (np.zeros(4), {}, ValueError, r"weights must have shape \(T, S\) or \(heads, T, S\)"),
        (np.zeros((1, 2, 2, 2)), {}, ValueError, r"weights must have shape"),
        (np.zeros((0, 3)), {}, ValueError, r"non-empty, got \(0, 3\)"),
        ([["a"]], {}, TypeError, r"weights must be a numeric array"),
        (np.array([[0.5, -0.1]]), {}, ValueError, r"finite and non-negative"),
        (np.array([[0.5, np.nan]]), {}, ValueError, r"finite and non-negative"),
        (np.eye(2), {"title": ""}, ValueError, r"every figure in the book needs a title"),
        (np.eye(2), {"x_labels": ["a"]}, ValueError, r"x_labels must hold one label per position, 2"),
        (np.eye(2), {"y_labels": "ab"}, ValueError, r"y_labels must hold one label per position"),
        (np.eye(2), {"head_titles": ["a"]}, ValueError, r"head_titles are for weights of several heads"),
        (np.ones((2, 2, 2)), {"head_titles": ["a"]}, ValueError, r"one title per head, 2"),
    ],
)
def test_attention_refuses_bad_input_before_drawing(
    weights: Any, options: dict[str, Any], error: type[Exception], match: str
) -> None:
    from twice.plotting import plot_attention

    arguments: dict[str, Any] = {"title": "Bad", **options}
    with pytest.raises(error, match=match):
        plot_attention(weights, **arguments)
    assert plt.get_fignums() == []


# --- plot_parity_gap ---------------------------------------------------------------------------------------


def test_parity_gap_draws_the_absolute_gap_per_step_on_a_log_scale_in_the_framework_colours() -> None:
    from twice.plotting import plot_parity_gap

    reference = [2.0, 1.0, 0.5]
    ax = plot_parity_gap(
        {"tensorflow": [2.0 + 1e-6, 1.0 - 1e-5, 0.5], "torch": [2.0 - 1e-7, 1.0, 0.5 + 1e-4]},
        reference,
        title="Parity",
        tolerance=1e-4,
        xlabel="SGD step",
    )
    lines = _lines_by_label(ax)
    assert list(lines) == ["TensorFlow", "PyTorch", "tolerance 0.0001"]
    tf_gaps = np.asarray(lines["TensorFlow"].get_ydata(), dtype=float)
    np.testing.assert_allclose(tf_gaps[:2], np.array([1e-6, 1e-5]), rtol=1e-6)
    assert np.isnan(tf_gaps[2])  # an exact zero is left out, not drawn at 1e-300
    np.testing.assert_allclose(np.asarray(lines["PyTorch"].get_xdata(), dtype=float), np.array([1.0, 2.0, 3.0]))
    for name in ("tensorflow", "pytorch"):
        label = FRAMEWORK_LABELS[name]
        assert mcolors.to_hex(lines[label].get_color()) == mcolors.to_hex(FRAMEWORK_COLORS[name])
    tolerance = lines["tolerance 0.0001"]
    assert mcolors.to_hex(tolerance.get_color()) == BASELINE_COLOR and tolerance.get_linestyle() == "--"
    assert ax.get_yscale() == "log"
    assert (ax.get_title(), ax.get_xlabel(), ax.get_ylabel()) == (
        "Parity",
        "SGD step",
        "|framework − reference| (log scale)",
    )
    legend = ax.get_legend()
    assert legend is not None and [t.get_text() for t in legend.get_texts()] == list(lines)
    assert figure_text(ax.figure) == "<Figure: Parity>"


@pytest.mark.parametrize(
    ("losses", "reference", "options", "match"),
    [
        ({}, [1.0], {}, r"losses is empty"),
        ({"jax": [1.0]}, [1.0], {}, r"unknown framework 'jax'"),
        ({"tf": [1.0], "tensorflow": [1.0]}, [1.0], {}, r"each framework once"),
        ({"tf": [1.0, 2.0]}, [1.0], {}, r"expected 1 finite losses"),
        ({"tf": [np.nan]}, [1.0], {}, r"expected 1 finite losses"),
        ({"tf": []}, [], {}, r"reference must be a non-empty"),
        ({"tf": [1.0]}, [1.0], {"title": ""}, r"needs a title"),
        ({"tf": [1.0]}, [1.0], {"tolerance": 0.0}, r"tolerance"),
    ],
)
def test_parity_gap_refuses_bad_input_before_drawing(
    losses: Any, reference: Any, options: dict[str, Any], match: str
) -> None:
    from twice.plotting import plot_parity_gap

    arguments: dict[str, Any] = {"title": "Bad", **options}
    with pytest.raises(ValueError, match=match):
        plot_parity_gap(losses, reference, **arguments)
    assert plt.get_fignums() == []


# --- plot_benchmark_ratios and plot_scaling -----------------------------------------------------------------


def _result(workload: str, framework: str, mode: str, threads: int, ms: float, size: int = 64) -> Any:
    from twice.benchmark import Result, Settings, summarise

    return Result(workload, size, framework, mode, threads, True, 0.1, (), summarise([ms / 1e3]), (), "", "",
                  Settings.example())  # fmt: skip


def test_benchmark_ratios_divide_by_the_baseline_per_workload_and_keep_the_framework_colours() -> None:
    from twice.plotting import MODE_HATCHES, plot_benchmark_ratios

    results = [
        _result("matmul", "pytorch", "eager", 1, 4.0, size=1024),
        _result("matmul", "pytorch", "eager", 1, 0.01, size=64),  # a smaller product: not drawn
        _result("matmul", "tensorflow", "graph", 1, 2.0, size=1024),
        _result("mlp", "pytorch", "eager", 1, 1.0),
        _result("mlp", "tensorflow", "eager", 1, 10.0),
        _result("mlp", "tensorflow", "graph", 1, 0.5),
        _result("mlp", "pytorch", "compiled", 1, 2.0),
        _result("mlp", "pytorch", "eager", 2, 3.0),
    ]
    axes = plot_benchmark_ratios(results, title="Steps")
    assert [ax.get_title() for ax in axes] == ["1 thread", "2 threads"]
    assert axes[0].figure._suptitle.get_text() == "Steps"
    assert axes[0].get_yscale() == "log" and "baseline" in axes[0].get_ylabel()
    assert [t.get_text() for t in axes[0].get_xticklabels()] == ["matmul", "mlp"]
    heights = {
        container.get_label(): [round(float(p.get_height()), 3) for p in container.patches]
        for container in axes[0].containers
    }
    assert heights == {
        "TensorFlow eager": [10.0], "TensorFlow graph": [0.5, 0.5], "PyTorch eager": [1.0, 1.0],
        "PyTorch compiled": [2.0],
    }  # fmt: skip
    for container in axes[0].containers:
        framework = "tensorflow" if container.get_label().startswith("TensorFlow") else "pytorch"
        mode = container.get_label().split()[-1]
        for patch in container.patches:
            assert mcolors.to_hex(patch.get_facecolor()) == mcolors.to_hex(FRAMEWORK_COLORS[framework])
            assert (patch.get_hatch() or "") == MODE_HATCHES[mode]
    # the 2-thread panel divides by the 1-thread baseline too: PyTorch eager at 2 threads is 3x slower
    assert [round(float(p.get_height()), 3) for c in axes[1].containers for p in c.patches] == [3.0]
    legend = axes[-1].get_legend()
    assert legend is not None and len(legend.get_texts()) == 4
    assert figure_text(axes[0].figure) == "<Figure: Steps>"


def test_benchmark_ratios_refuse_what_they_cannot_draw() -> None:
    from twice.plotting import plot_benchmark_ratios

    with pytest.raises(ValueError, match="title"):
        plot_benchmark_ratios([_result("mlp", "pytorch", "eager", 1, 1.0)], title="")
    with pytest.raises(ValueError, match="no result of the baseline"):
        plot_benchmark_ratios([_result("mlp", "tensorflow", "eager", 1, 1.0)], title="Steps")
    assert plt.get_fignums() == []


def test_scaling_draws_log_log_lines_in_the_framework_colours_and_the_peak_band() -> None:
    from twice.plotting import plot_scaling

    ax = plot_scaling(
        [16, 256, 1024], {"TensorFlow": [0.1, 40.0, 60.0], "NumPy": [3.0, 70.0, 75.0]},
        colors={"TensorFlow": "tf", "NumPy": "reference"}, title="Products", xlabel="n", ylabel="GFLOP/s",
        band=(40.0, 80.0, "one core's peak"),
    )  # fmt: skip
    lines = _lines_by_label(ax)
    assert mcolors.to_hex(lines["TensorFlow"].get_color()) == mcolors.to_hex(FRAMEWORK_COLORS["tensorflow"])
    assert mcolors.to_hex(lines["NumPy"].get_color()) == mcolors.to_hex(FRAMEWORK_COLORS["reference"])
    np.testing.assert_array_equal(np.asarray(lines["NumPy"].get_ydata(), dtype=float), [3.0, 70.0, 75.0])
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    assert ax.get_xlabel() == "n (log scale)" and ax.get_ylabel() == "GFLOP/s (log scale)"
    assert ax.get_title() == "Products"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["TensorFlow", "NumPy", "one core's peak"]


@pytest.mark.parametrize(
    ("series", "colors", "match"),
    [
        ({}, {}, "at least one series"),
        ({"a": [1.0]}, {"a": "tf"}, "expected 2 positive values"),
        ({"a": [1.0, 0.0]}, {"a": "tf"}, "expected 2 positive values"),
        ({"a": [1.0, 2.0]}, {}, "no colour"),
        ({"a": [1.0, 2.0]}, {"a": "jax"}, "unknown framework"),
    ],
)
def test_scaling_refuses_bad_series(series: Any, colors: Any, match: str) -> None:
    from twice.plotting import plot_scaling

    with pytest.raises(ValueError, match=match):
        plot_scaling([8, 16], series, colors=colors, title="T", xlabel="x", ylabel="y")
