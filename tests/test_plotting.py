"""Tests for twice.plotting: one colour per framework, one line style per split, every figure labelled."""

from __future__ import annotations

from collections.abc import Iterator

import matplotlib

matplotlib.use("Agg")  # no display needed; must come before pyplot is imported

import matplotlib.colors as mcolors
import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.axes import Axes
from matplotlib.lines import Line2D

from twice import FRAMEWORK_COLORS, plot_training_curves
from twice.plotting import FRAMEWORK_LABELS, SPLIT_STYLES


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


@pytest.mark.parametrize("framework", ["tf", "TensorFlow", "jax", "numpy"])
def test_unknown_framework_raises(framework: str) -> None:
    with pytest.raises(
        ValueError, match=rf"unknown framework {framework!r}: expected one of tensorflow, pytorch, reference"
    ):
        plot_training_curves({framework: {"train": [1.0]}}, title="Bad")


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
