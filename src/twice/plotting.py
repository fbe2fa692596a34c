"""Figures in one style for the whole book: one colour per framework, one line style per data split."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

FRAMEWORK_COLORS: dict[str, str] = {
    # Okabe-Ito colours: distinguishable with the common colour-vision deficiencies and in greyscale.
    # (The brand colours, TF orange and PyTorch orange-red, are too close to tell apart on a plot.)
    "tensorflow": "#E69F00",
    "pytorch": "#0072B2",
    "reference": "#000000",
}
"""The colour of each framework in every figure of the book (``"reference"``: the NumPy reference)."""

FRAMEWORK_LABELS: dict[str, str] = {
    "tensorflow": "TensorFlow",
    "pytorch": "PyTorch",
    "reference": "NumPy reference",
}

SPLIT_STYLES: dict[str, str] = {"train": "-", "test": "--", "validation": "--"}


def plot_training_curves(
    histories: Mapping[str, Mapping[str, Sequence[float]]],
    *,
    title: str,
    ylabel: str = "Loss",
    xlabel: str = "Epoch",
    ax: Any = None,
) -> Any:
    """Plot learning curves: the colour says which framework, the line style which split.

    Args:
        histories: ``{framework: {split: values}}``, e.g.
            ``{"tensorflow": {"train": [...], "test": [...]}}``. Frameworks: ``"tensorflow"``, ``"pytorch"``,
            ``"reference"``; splits: ``"train"`` (solid), ``"test"`` / ``"validation"`` (dashed).
        title, ylabel, xlabel: the axes' title and labels (a figure without them is not finished).
        ax: a Matplotlib ``Axes`` to draw on; a new figure when ``None``.

    Returns:
        The ``Axes`` drawn on. The x axis counts from 1.

    Raises:
        ValueError: for an unknown framework or split, an empty series, or a missing title.
    """
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    if not title:
        raise ValueError("every figure in the book needs a title")
    if not histories:
        raise ValueError("histories is empty: nothing to plot")
    # Check everything before drawing, so that a bad call leaves no half-drawn figure behind.
    series = []
    for framework, splits in histories.items():
        if framework not in FRAMEWORK_COLORS:
            raise ValueError(
                f"unknown framework {framework!r}: expected one of {', '.join(FRAMEWORK_COLORS)}"
            )
        if not splits:
            raise ValueError(f"{framework}: no series to plot (expected e.g. {{'train': [...]}})")
        for split, values in splits.items():
            if split not in SPLIT_STYLES:
                raise ValueError(f"unknown split {split!r}: expected one of {', '.join(SPLIT_STYLES)}")
            y = np.asarray(values, dtype=float)
            if y.ndim != 1 or y.size == 0:
                raise ValueError(f"{framework}/{split}: expected a non-empty 1-D series, got shape {y.shape}")
            series.append((framework, split, y))
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 3.5))
    for framework, split, y in series:
        # The reference is drawn thin and on top, so that a framework curve that coincides with it
        # still shows as a coloured band around a black line.
        is_reference = framework == "reference"
        ax.plot(
            np.arange(1, y.size + 1),
            y,
            color=FRAMEWORK_COLORS[framework],
            linestyle=SPLIT_STYLES[split],
            linewidth=1.0 if is_reference else 2.5,
            zorder=3 if is_reference else 2,
            label=f"{FRAMEWORK_LABELS[framework]} ({split})",
        )
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # epochs and steps are whole numbers
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3)
    ax.legend()
    return ax
