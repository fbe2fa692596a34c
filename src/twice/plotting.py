"""Figures in one style for the whole book: one colour per framework, one line style per data split."""

from __future__ import annotations

import itertools
import sys
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from . import checks

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


def _checked_splits(name: str, splits: Mapping[str, Sequence[float]]) -> list[tuple[str, np.ndarray]]:
    """Validate ``{split: values}`` before anything is drawn, so that a bad call leaves no half-drawn figure."""
    if not splits:
        raise ValueError(f"{name}: no series to plot (expected e.g. {{'train': [...]}})")
    checked = []
    for split, values in splits.items():
        if split not in SPLIT_STYLES:
            raise ValueError(f"unknown split {split!r}: expected one of {', '.join(SPLIT_STYLES)}")
        y = np.asarray(values, dtype=float)
        if y.ndim != 1 or y.size == 0:
            raise ValueError(f"{name}/{split}: expected a non-empty 1-D series, got shape {y.shape}")
        checked.append((split, y))
    return checked


def _framework_key(name: object) -> str:
    try:
        return checks.framework(name)
    except ValueError:
        raise ValueError(
            f"unknown framework {name!r}: expected one of {', '.join(FRAMEWORK_COLORS)} (or an alias)"
        ) from None


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

    Introduced in chapter 1.

    >>> ax = plot_training_curves({"tensorflow": {"train": [0.9, 0.5], "test": [1.0, 0.7]}}, title="Loss")
    >>> figure_text(ax.figure)
    '<Figure: Loss>'

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
    series: list[tuple[str, str, np.ndarray]] = []
    for name, splits in histories.items():
        # The framework's aliases ("tf", "torch", ...) as everywhere else, and "reference" for NumPy.
        framework = name if name == "reference" else _framework_key(name)
        if any(framework == seen for seen, _, _ in series):
            raise ValueError(f"histories names {framework!r} twice (as {name!r} and another spelling)")
        series.extend((framework, split, y) for split, y in _checked_splits(framework, splits))
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


BASELINE_COLOR = "#999999"
"""Grey: the unregularised baseline in comparison plots, whatever the framework."""


def _finish(ax: Any, *, title: str, xlabel: str, ylabel: str, log_scale: bool) -> Any:
    """Title, axis labels (the y label says when its scale is logarithmic), grid and legend; returns ``ax``."""
    if log_scale:
        ax.set_yscale("log")
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(f"{ylabel} (log scale)" if log_scale else ylabel)
    ax.grid(alpha=0.3)
    ax.legend()
    return ax


def plot_comparison(
    baseline: Mapping[str, Sequence[float]],
    variant: Mapping[str, Sequence[float]],
    *,
    framework: str,
    variant_label: str,
    title: str,
    ylabel: str = "Cross-entropy loss",
    xlabel: str = "Epoch",
    log_scale: bool = False,
    ax: Any = None,
) -> Any:
    """Compare a variant's learning curves with a baseline's: baseline grey, variant in the framework's colour.

    Args:
        baseline, variant: ``{split: values}`` with splits ``"train"`` (solid) and ``"validation"``/``"test"``
            (dashed), e.g. ``{"train": history["loss"], "validation": history["val_loss"]}``. The variant may
            be shorter (early stopping).
        framework: ``"tensorflow"`` or ``"pytorch"``: the variant's colour.
        variant_label: the legend's name for the variant, e.g. ``"dropout 0.4"``.
        log_scale: a logarithmic y axis, which shows a training loss near zero next to a validation loss
            that is not (the axis label says so).

    Introduced in chapter 2.

    >>> baseline, variant = {"train": [0.9, 0.2], "validation": [1.0, 0.9]}, {"train": [0.9, 0.4]}
    >>> ax = plot_comparison(baseline, variant, framework="pt", variant_label="dropout", title="Dropout")
    >>> figure_text(ax.figure)
    '<Figure: Dropout>'

    Raises:
        ValueError: for an unknown framework or split, an empty series, or a missing title or label.
    """
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    framework = checks.framework(framework)
    if not title or not variant_label:
        raise ValueError("a comparison needs a title and a variant_label")
    if variant_label == "baseline":
        raise ValueError("variant_label 'baseline' is taken by the baseline's curves")
    series: list[tuple[str, str, str, np.ndarray]] = []
    for name, color, curves in (("baseline", BASELINE_COLOR, baseline), (variant_label, None, variant)):
        color = color or FRAMEWORK_COLORS[framework]
        series.extend((name, color, split, y) for split, y in _checked_splits(name, curves))
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 3.5))
    for name, color, split, y in series:
        ax.plot(
            np.arange(1, y.size + 1),
            y,
            color=color,
            linestyle=SPLIT_STYLES[split],
            linewidth=2,
            label=f"{name} ({split})",
        )
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    return _finish(ax, title=title, xlabel=xlabel, ylabel=ylabel, log_scale=log_scale)


MODEL_STYLES = ("-", "--", ":", "-.")
"""Line styles that tell the models of one framework apart in :func:`plot_models`, in order."""


def plot_models(
    curves: Mapping[str, Sequence[float]],
    *,
    framework: str,
    title: str,
    x: Sequence[float] | None = None,
    baseline: float | None = None,
    baseline_label: str = "baseline",
    xlabel: str = "Training step",
    ylabel: str = "Validation loss",
    log_scale: bool = False,
    ax: Any = None,
) -> Any:
    """Several models of one framework on one set of axes, against a constant baseline.

    Every model takes the framework's colour, told apart by line style and marker; the baseline is a grey
    horizontal line. Introduced in chapter 3, where a simple RNN stays at the 1/6 baseline of the adding
    problem while an LSTM and a GRU learn it.

    >>> ax = plot_models({"RNN": [0.17, 0.16], "GRU": [0.02, 0.001]}, framework="tf", x=[100, 200],
    ...                  baseline=1 / 6, title="Adding problem", log_scale=True)
    >>> [line.get_label() for line in ax.get_lines()]
    ['RNN', 'GRU', 'baseline']

    Args:
        curves: ``{model label: values}``, at most four models, each series non-empty and 1-D.
        x: the x value of every point (e.g. the training step); ``1, 2, ...`` when ``None``.
        baseline, baseline_label: the value of a constant baseline, drawn across, and its legend label.

    Raises:
        ValueError: for no curves or more than four, an empty or ragged series, ``x`` of another length, an
            unknown framework or a missing title.
    """
    import matplotlib.pyplot as plt

    framework = checks.framework(framework)
    if not title:
        raise ValueError("every figure in the book needs a title")
    if not curves or len(curves) > len(MODEL_STYLES):
        raise ValueError(f"curves must hold 1 to {len(MODEL_STYLES)} models, got {len(curves)}")
    series = []
    for label, values in curves.items():
        y = np.asarray(values, dtype=float)
        if y.ndim != 1 or y.size == 0:
            raise ValueError(f"{label}: expected a non-empty 1-D series, got shape {y.shape}")
        series.append((label, y))
    length = series[0][1].size
    if any(y.size != length for _, y in series):
        raise ValueError(f"every series must have the same length, got {[y.size for _, y in series]}")
    steps = np.arange(1, length + 1) if x is None else np.asarray(x, dtype=float)
    if steps.shape != (length,):
        raise ValueError(f"x must have {length} values, one per point, got shape {steps.shape}")
    if baseline is not None:
        baseline = checks.number(baseline, "baseline")
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 3.5))
    color = FRAMEWORK_COLORS[framework]
    for (label, y), style, marker in zip(series, MODEL_STYLES, "osD^"):
        ax.plot(steps, y, color=color, linestyle=style, marker=marker, linewidth=2, label=label)
    if baseline is not None:
        ax.axhline(baseline, color=BASELINE_COLOR, linestyle="--", linewidth=1.5, label=baseline_label)
    return _finish(ax, title=title, xlabel=xlabel, ylabel=ylabel, log_scale=log_scale)


DIVERGING_CMAP = "PRGn"
"""The colour map of :func:`plot_image_grid` for signed images (kernels, edge maps): ColorBrewer's diverging
"PRGn", purple (negative) through white (zero) to green (positive).

Neither orange nor blue, so that a kernel is never mistaken for a framework (:data:`FRAMEWORK_COLORS`):
"RdBu" and "coolwarm" run into a blue like PyTorch's, "PuOr" into an orange like TensorFlow's."""

PAGE_WIDTH_INCHES = 7.4
"""The widest figure the book shows at its natural size: the text column is about 740 pixels wide on a
1366-pixel screen, and a notebook draws at 100 dpi. A wider figure is shrunk to the column, and its text
with it (a 12-inch figure to about 0.6, so that 8-point text is under 7 pixels high)."""

GRID_LABEL_POINTS = 9.0
"""The size of the captions and colour-bar text of :func:`plot_image_grid`: 12.5 pixels at 100 dpi, in a
figure never wider than :data:`PAGE_WIDTH_INCHES`."""


def plot_image_grid(
    images: np.ndarray,
    *,
    title: str,
    labels: Sequence[str] | None = None,
    ncols: int = 8,
    cmap: str | None = None,
    symmetric: bool = False,
    panel_inches: float = 1.4,
) -> Any:
    """Show grey images ``(N, H, W)`` in a grid, each with an optional caption; returns the figure.

    Args:
        title: the figure's title.
        labels: one caption per image (e.g. ``"true 3, predicted 8"``), or ``None``.
        cmap: the colour map of unsigned images (``"gray"`` when ``None``).
        symmetric: for images whose sign matters (kernels, edge maps): each image is scaled on its own to
            its largest magnitude, so that zero is white and ``±`` that magnitude the ends of
            :data:`DIVERGING_CMAP`, and the grid gets one colour bar, labelled
            "value / panel's largest |value|", from -1 to 1.
        panel_inches: the width of one image in the figure, shrunk where the grid would be wider than
            :data:`PAGE_WIDTH_INCHES`, so that its text (:data:`GRID_LABEL_POINTS`) stays legible.

    Introduced in chapter 2.

    >>> figure = plot_image_grid(np.eye(8)[None].repeat(3, axis=0), title="Three diagonals", ncols=3)
    >>> figure_text(figure)
    '<Figure: Three diagonals>'
    >>> figure = plot_image_grid(np.eye(3)[None] - 0.5, title="Signed", symmetric=True)
    >>> figure.axes[-1].get_ylabel()                        # the colour bar
    "value / panel's largest |value|"

    Raises:
        ValueError: for an array that is not 3-D, no images, a wrong number of labels, a missing title, or a
            ``cmap`` other than :data:`DIVERGING_CMAP` for a symmetric grid.
    """
    import matplotlib.pyplot as plt
    from matplotlib.cm import ScalarMappable
    from matplotlib.colors import Normalize

    images = np.asarray(images)
    if not title:
        raise ValueError("every figure in the book needs a title")
    if images.ndim != 3 or len(images) == 0:
        raise ValueError(f"expected a non-empty stack of grey images (N, H, W), got shape {images.shape}")
    if labels is not None and len(labels) != len(images):
        raise ValueError(f"got {len(labels)} labels for {len(images)} images")
    if symmetric and cmap not in (None, DIVERGING_CMAP):
        raise ValueError(
            f"a symmetric grid is drawn in {DIVERGING_CMAP!r} (DIVERGING_CMAP), got cmap={cmap!r}: "
            "orange and blue belong to the frameworks"
        )
    cmap = DIVERGING_CMAP if symmetric else (cmap or "gray")
    ncols = checks.integer(ncols, "ncols", minimum=1)
    ncols = min(ncols, len(images))
    nrows = -(-len(images) // ncols)
    colorbar_inches = 1.0 if symmetric else 0.0
    panel_inches = min(float(panel_inches), (PAGE_WIDTH_INCHES - colorbar_inches) / ncols)
    # Panels keep the images' aspect ratio, plus room for a caption; the title gets its own strip.
    panel_height = panel_inches * images.shape[1] / images.shape[2] + (0.3 if labels is not None else 0.05)
    figure, axes = plt.subplots(
        nrows,
        ncols,
        figsize=(panel_inches * ncols + colorbar_inches, panel_height * nrows + 0.5),
        squeeze=False,
        layout="constrained",
    )
    for k, ax in enumerate(axes.flat):
        ax.set_axis_off()
        if k >= len(images):
            continue
        if symmetric:
            limit = float(np.abs(images[k]).max()) or 1.0
            ax.imshow(images[k], cmap=cmap, vmin=-limit, vmax=limit)
        else:
            ax.imshow(images[k], cmap=cmap)
        if labels is not None:
            ax.set_title(labels[k], fontsize=GRID_LABEL_POINTS)
    if symmetric:
        # One bar for every panel: each is scaled to its own largest magnitude, so the bar's -1 and 1 are
        # that magnitude, whatever it is.
        bar = figure.colorbar(
            ScalarMappable(norm=Normalize(-1.0, 1.0), cmap=cmap), ax=axes.ravel().tolist(), shrink=0.9
        )
        bar.set_label("value / panel's largest |value|", fontsize=GRID_LABEL_POINTS)
        bar.ax.tick_params(labelsize=GRID_LABEL_POINTS)
    figure.suptitle(title)
    return figure


def plot_confusion_matrix(
    y_true: Sequence[int] | np.ndarray,
    y_pred: Sequence[int] | np.ndarray,
    *,
    framework: str,
    title: str,
    num_classes: int = 10,
    ax: Any = None,
) -> Any:
    """Plot the confusion matrix (rows: true class, columns: predicted class) in the framework's colour.

    Each cell is annotated with its count; returns the ``Axes``. Introduced in chapter 2.

    >>> ax = plot_confusion_matrix([0, 1, 1], [0, 1, 0], framework="tf", title="Mistakes", num_classes=2)
    >>> [text.get_text() for text in ax.texts]          # the empty cell (true 0, said 1) stays blank
    ['1', '1', '1']

    Raises:
        ValueError: for empty, non-integer or unequal-length labels, labels outside ``0..num_classes-1``, an
            unknown framework, or a missing title.
    """
    import matplotlib.pyplot as plt
    from matplotlib.colors import LinearSegmentedColormap, PowerNorm

    true = np.asarray(y_true)
    pred = np.asarray(y_pred)
    framework = checks.framework(framework)
    if not title:
        raise ValueError("every figure in the book needs a title")
    if true.shape != pred.shape or true.ndim != 1 or true.size == 0:
        raise ValueError(
            f"y_true and y_pred must be non-empty, 1-D and of equal length, got {true.shape} and {pred.shape}"
        )
    if not (np.issubdtype(true.dtype, np.integer) and np.issubdtype(pred.dtype, np.integer)):
        raise ValueError(f"labels must be integer class indices, got {true.dtype} and {pred.dtype}")
    num_classes = checks.integer(num_classes, "num_classes", minimum=1)
    for name, values in (("y_true", true), ("y_pred", pred)):
        if values.size and (values.min() < 0 or values.max() >= num_classes):
            raise ValueError(f"{name} must lie in 0..{num_classes - 1}")
    matrix = np.zeros((num_classes, num_classes), dtype=int)
    np.add.at(matrix, (true, pred), 1)
    if ax is None:
        _, ax = plt.subplots(figsize=(6.2, 4.8))
    cmap = LinearSegmentedColormap.from_list(framework, ["#FFFFFF", FRAMEWORK_COLORS[framework]])
    # A square-root colour scale, so that a cell with one error is visibly coloured next to cells of 45.
    image = ax.imshow(matrix, cmap=cmap, norm=PowerNorm(gamma=0.5, vmin=0, vmax=max(int(matrix.max()), 1)))
    threshold = matrix.max() / 2
    for i in range(num_classes):
        for j in range(num_classes):
            if matrix[i, j]:
                ax.text(
                    j,
                    i,
                    str(matrix[i, j]),
                    ha="center",
                    va="center",
                    fontsize=8,
                    color="white" if matrix[i, j] > threshold else "black",
                )
    ax.set_xticks(range(num_classes))
    ax.set_yticks(range(num_classes))
    ax.set_xlabel("Predicted class")
    ax.set_ylabel("True class")
    ax.set_title(title)
    ax.figure.colorbar(image, ax=ax, label="Number of test images")
    ax.figure.tight_layout()
    return ax


CLASS_COLORS: tuple[str, ...] = ("#009E73", "#CC79A7", "#B2182B", "#7B3294", "#66A61E", "#E7298A")
"""The colours of classes in :func:`plot_projection`: greens, reds and purples only.

No orange and no blue, so that a class is never mistaken for a framework (:data:`FRAMEWORK_COLORS`), and
neither black nor grey (the reference, the baseline). Okabe-Ito's bluish green and reddish purple, then
ColorBrewer's dark red, violet, leaf green and magenta. Each is at least 35° of hue away from the frameworks'
orange and blue, and at least 35 CIELAB units (ΔE*ab) away from every framework colour, the baseline's grey
and the other class colours."""

CLASS_MARKERS: tuple[str, ...] = ("o", "s", "^", "D", "v")
"""The marker shapes of classes in :func:`plot_projection`, in order."""

CLASS_STYLES: tuple[tuple[str, str], ...] = tuple(
    (CLASS_COLORS[i % len(CLASS_COLORS)], CLASS_MARKERS[i % len(CLASS_MARKERS)])
    for i in range(len(CLASS_COLORS) * len(CLASS_MARKERS))
)
"""``(colour, marker)`` of the classes of :func:`plot_projection`, in order: 30 distinct pairs.

Colour and marker both change from one class to the next (six colours, five markers: the pairs repeat only
after 30 classes), so classes stay apart in greyscale and for readers who tell colours apart poorly.

>>> CLASS_STYLES[:3]
(('#009E73', 'o'), ('#CC79A7', 's'), ('#B2182B', '^'))
"""


LINK_COLOR = "#C8C8C8"
"""The light grey of the lines that :func:`plot_projection` draws between linked points."""


def plot_projection(
    points: np.ndarray,
    labels: Sequence[str],
    *,
    title: str,
    names: Sequence[str] | None = None,
    xlabel: str = "first principal component",
    ylabel: str = "second principal component",
    links: Sequence[tuple[int, int]] = (),
    ax: Any = None,
) -> Any:
    """Points in two dimensions, one colour and marker per class, each point optionally named.

    Made for word vectors projected onto their first two principal components: ``points`` holds one row
    per word, ``labels`` its class, ``names`` the word itself. Classes take :data:`CLASS_STYLES` in the
    order in which they first appear in ``labels``, and the legend lists them in that order, outside the
    axes on the right. Returns the ``Axes``. Introduced in chapter 4.

    >>> points = np.array([[0.0, 1.0], [0.2, 0.9], [1.0, 0.0]])
    >>> ax = plot_projection(points, ["capital", "capital", "country"], names=["paris", "rome", "france"],
    ...                      title="Word vectors")
    >>> [text.get_text() for text in ax.get_legend().get_texts()], [text.get_text() for text in ax.texts]
    (['capital', 'country'], ['paris', 'rome', 'france'])

    Args:
        points: ``(n, 2)``: the x and y of each point.
        labels: the class of each point, ``n`` strings.
        title, xlabel, ylabel: the axes' title and labels.
        names: a text written beside each point, ``n`` strings, or ``None`` for none.
        links: pairs of point indices to join with a thin grey line (the two words of a pair, say).
        ax: a Matplotlib ``Axes`` to draw on; a new figure when ``None``.

    Raises:
        TypeError: if ``points`` is not a numeric array, or a label or name is not a string.
        ValueError: if ``points`` is not ``(n, 2)`` with ``n >= 1``, ``labels`` or ``names`` has another
            length, there are more classes than :data:`CLASS_STYLES`, or the title is missing.
    """
    import matplotlib.pyplot as plt

    xy = checks.array(points, "points", ndim=2, shape="(n, 2)")
    if xy.shape[1] != 2 or len(xy) == 0:
        raise ValueError(f"points must have shape (n, 2) with n >= 1, got {xy.shape}")
    if not title:
        raise ValueError("every figure in the book needs a title")
    texts: dict[str, Sequence[str]] = (
        {"labels": labels} if names is None else {"labels": labels, "names": names}
    )
    for what, values in texts.items():
        if isinstance(values, str) or len(values) != len(xy):
            raise ValueError(f"{what} must hold one string per point, {len(xy)}, got {values!r}")
        for i, value in enumerate(values):
            if not isinstance(value, str):
                raise TypeError(f"{what}[{i}] must be a string, got {type(value).__name__} {value!r}")
    classes = list(dict.fromkeys(labels))  # in order of first appearance
    if len(classes) > len(CLASS_STYLES):
        raise ValueError(f"at most {len(CLASS_STYLES)} classes can be told apart, got {len(classes)}")
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 4.5))
    for link in links:
        i, j = (checks.integer(k, "a link's index", minimum=0, maximum=len(xy) - 1) for k in link)
        ax.plot(xy[[i, j], 0], xy[[i, j], 1], color=LINK_COLOR, linewidth=0.8, zorder=1)
    label_array = np.asarray(labels, dtype=object)
    for name, (color, marker) in zip(classes, CLASS_STYLES):
        chosen = label_array == name
        ax.scatter(xy[chosen, 0], xy[chosen, 1], color=color, marker=marker, s=30, label=name, zorder=2)
    for (x, y), text in zip(xy, names if names is not None else ()):
        ax.annotate(text, (x, y), xytext=(3, 3), textcoords="offset points", fontsize=7, zorder=3)
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small", frameon=False)
    return ax


def plot_relations(
    vectors: np.ndarray,
    words: Sequence[str],
    pairs: Mapping[str, Sequence[tuple[str, str]]],
    classes: Mapping[str, str],
    *,
    title: str,
) -> Any:
    """One panel per relation: its words' vectors on their own two principal components, each pair joined.

    For each relation of ``pairs`` (``"country-capital"``: ``[("france", "paris"), ...]``), the vectors of
    its words are projected with :func:`twice.embeddings.project_2d` and drawn by :func:`plot_projection`,
    coloured by ``classes``, named, with a line from the first word of each pair to the second. If the
    vectors hold an analogy, the lines of one panel are close to parallel. Returns the ``Figure``, whose
    title is ``title``. Introduced in chapter 4.

    >>> rng = np.random.default_rng(0)
    >>> words = ["france", "paris", "italy", "rome", "king", "queen", "man", "woman"]
    >>> figure = plot_relations(rng.normal(size=(8, 4)), words,
    ...                         {"country-capital": [("france", "paris"), ("italy", "rome")],
    ...                          "male-female": [("king", "queen"), ("man", "woman")]},
    ...                         dict(zip(words, ["country", "capital"] * 2 + ["male", "female"] * 2)),
    ...                         title="Random vectors")
    >>> figure_text(figure), [ax.get_title() for ax in figure.axes]
    ('<Figure: Random vectors>', ['country-capital', 'male-female'])

    Raises:
        KeyError: if a word of ``pairs`` is not in ``words`` or has no class.
        ValueError: if ``vectors`` does not have one row per word, or there is no relation or no title.
    """
    import matplotlib.pyplot as plt

    from .embeddings import project_2d

    table = checks.array(vectors, "vectors", ndim=2, shape="(words, dim)")
    if len(table) != len(words):
        raise ValueError(f"vectors must have one row per word, {len(words)}, got {len(table)}")
    if not pairs:
        raise ValueError("pairs must name at least one relation")
    if not title:
        raise ValueError("every figure in the book needs a title")
    row = {word: i for i, word in enumerate(words)}
    columns = 2 if len(pairs) > 1 else 1
    rows = -(-len(pairs) // columns)
    figure, axes = plt.subplots(rows, columns, figsize=(5.2 * columns, 3.6 * rows), squeeze=False)
    for ax, (relation, relation_pairs) in zip(axes.flat, pairs.items()):
        names = [word for pair in relation_pairs for word in pair]
        missing = [word for word in names if word not in row]
        if missing:
            raise KeyError(f"the words {missing} of {relation!r} have no vector")
        points = project_2d(table[[row[word] for word in names]])
        plot_projection(
            points, [classes[word] for word in names], names=names, title=relation,
            links=[(2 * k, 2 * k + 1) for k in range(len(relation_pairs))], ax=ax,
            xlabel="first principal component", ylabel="second principal component",
        )
    for ax in list(axes.flat)[len(pairs):]:
        ax.set_visible(False)
    figure.suptitle(title)
    figure.tight_layout()
    return figure


ATTENTION_CMAP = "Greens"
"""The colour map of :func:`plot_attention`: Matplotlib's sequential "Greens", white (weight 0) to dark green.

Sequential, because a weight has no sign; light to dark, so that it reads in greyscale; and green, neither
orange nor blue, so that a heat map is never mistaken for one framework (:data:`FRAMEWORK_COLORS`).
("viridis" runs through blue and "Blues" and "Oranges" are the frameworks' own colours.)"""


def _tick_labels(labels: Sequence[object] | None, count: int, name: str) -> list[str] | None:
    """``labels`` as strings, checked to be one per position (``count``); ``None`` stays ``None``."""
    if labels is None:
        return None
    if isinstance(labels, str) or len(labels) != count:
        raise ValueError(f"{name} must hold one label per position, {count}, got {labels!r}")
    return [str(label) for label in labels]


def plot_attention(
    weights: np.ndarray,
    *,
    title: str,
    x_labels: Sequence[object] | None = None,
    y_labels: Sequence[object] | None = None,
    xlabel: str = "key position",
    ylabel: str = "query position",
    head_titles: Sequence[str] | None = None,
) -> Any:
    """Attention weights as heat maps: one row per query, one column per key; one panel per head.

    ``weights`` is ``(T, S)`` (one head, or the heads averaged) or ``(heads, T, S)``, as Keras'
    ``MultiHeadAttention(..., return_attention_scores=True)`` gives them for one example and PyTorch's
    ``nn.MultiheadAttention(..., need_weights=True, average_attn_weights=False)`` too: row ``t`` holds how
    much query ``t`` takes from each key, a row of a softmax (so it sums to 1, unless padding was masked
    out afterwards). Every panel shares one colour scale, from 0 to the largest weight, in
    :data:`ATTENTION_CMAP`, and one colour bar labelled "attention weight". The panels of several heads are
    titled "head 1", "head 2", ... (or ``head_titles``), four to a row; the figure's title is ``title``
    (what :func:`figure_text` shows). Returns the ``Figure``. Introduced in chapter 5.

    >>> weights = np.array([[[0.0, 0.1, 0.9], [0.2, 0.6, 0.2], [0.9, 0.1, 0.0]]] * 2)    # 2 heads, 3 x 3
    >>> figure = plot_attention(weights, title="Reversal", x_labels=list("abc"), y_labels=list("cba"))
    >>> figure_text(figure), [ax.get_title() for ax in figure.axes if ax.images]
    ('<Figure: Reversal>', ['head 1', 'head 2'])
    >>> figure.axes[-1].get_ylabel()                        # the colour bar
    'attention weight'

    Args:
        weights: ``(T, S)`` or ``(heads, T, S)``, non-negative and finite.
        title: the figure's title.
        x_labels: one label per key (the input tokens, say), ``S`` of them; the positions ``0..S-1`` when
            ``None``.
        y_labels: one label per query, ``T`` of them; positions ``0..T-1`` when ``None``.
        xlabel, ylabel: the axes' labels.
        head_titles: one title per head, for ``(heads, T, S)``; ``"head 1"``, ... when ``None``.

    Raises:
        TypeError: if ``weights`` is not a numeric array.
        ValueError: if it is not 2-D or 3-D, is empty, has a negative or non-finite weight, a list of labels
            or titles has the wrong length, or the title is missing.
    """
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    array = checks.array(weights, "weights")
    if array.ndim not in (2, 3) or array.size == 0:
        raise ValueError(f"weights must have shape (T, S) or (heads, T, S), non-empty, got {array.shape}")
    values = array.astype(float)
    if not np.isfinite(values).all() or (values < 0).any():
        raise ValueError("weights must be finite and non-negative (a softmax's output)")
    if not title:
        raise ValueError("every figure in the book needs a title")
    stack = values if values.ndim == 3 else values[None]
    heads, queries, keys = stack.shape
    columns = _tick_labels(x_labels, keys, "x_labels")
    rows = _tick_labels(y_labels, queries, "y_labels")
    if values.ndim == 2:
        if head_titles is not None:
            raise ValueError("head_titles are for weights of several heads, (heads, T, S)")
        panel_titles = [""]
    elif head_titles is None:
        panel_titles = [f"head {k + 1}" for k in range(heads)]
    else:
        if isinstance(head_titles, str) or len(head_titles) != heads:
            raise ValueError(f"head_titles must hold one title per head, {heads}, got {head_titles!r}")
        panel_titles = [str(text) for text in head_titles]
    ncols = min(heads, 4)
    nrows = -(-heads // ncols)
    # Square cells of about a quarter inch, each panel between 2.2 and 4.5 inches wide.
    cell = min(max(0.25, 2.2 / keys), 4.5 / keys)
    figure, axes = plt.subplots(
        nrows,
        ncols,
        figsize=(cell * keys * ncols + 1.4, cell * queries * nrows + 1.2),
        squeeze=False,
        layout="constrained",
    )
    top = float(stack.max()) or 1.0
    images = []
    for k, ax in enumerate(axes.flat):
        if k >= heads:
            ax.set_visible(False)
            continue
        images.append(ax.imshow(stack[k], cmap=ATTENTION_CMAP, vmin=0.0, vmax=top, aspect="equal"))
        if panel_titles[k]:
            ax.set_title(panel_titles[k])
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        for axis, labels in ((ax.xaxis, columns), (ax.yaxis, rows)):
            if labels is None:
                axis.set_major_locator(MaxNLocator(integer=True))
            else:
                axis.set_ticks(range(len(labels)), labels, fontsize=8)
    figure.colorbar(images[0], ax=axes.ravel().tolist(), label="attention weight", shrink=0.9)
    figure.suptitle(title)
    return figure


def figure_text(figure: Any) -> str:
    """The text form of a figure in the book's notebooks: its title, ``<Figure: Misclassified test digits>``.

    Matplotlib's own text form, ``<Figure size 420x220 with 3 Axes>``, is stored in a notebook beside every
    plot, and nbval compares it. Its size and number of axes can depend on the data: a grid of the
    misclassified images has as many panels as there are mistakes, and the number of mistakes depends on the
    machine that trained the network. A title is written in the code, so it is the same everywhere. A
    figure's title is its ``suptitle``, or else the titles of its axes, joined with ``" | "``.
    Introduced in chapter 2.

    >>> import matplotlib.pyplot as plt
    >>> figure, axes = plt.subplots(1, 2)
    >>> _ = axes[0].set_title("train"), axes[1].set_title("test")
    >>> figure_text(figure)
    '<Figure: train | test>'
    """
    suptitle = getattr(figure, "_suptitle", None)
    title = suptitle.get_text() if suptitle is not None else ""
    if not title:
        title = " | ".join(t for t in (ax.get_title() for ax in figure.get_axes()) if t)
    return f"<Figure: {title}>" if title else "<Figure>"


def _print_figure(figure: Any, printer: Any, cycle: bool) -> None:
    printer.text(figure_text(figure))


def use_figure_text() -> bool:
    """In IPython (Jupyter, Colab), show Matplotlib figures' text form as :func:`figure_text`.

    ``import twice`` calls this, so a notebook needs no extra line. Outside IPython it does nothing and
    returns ``False``; it never imports IPython itself.

    Matplotlib's inline backend, when it loads (at the first figure, unless it has loaded already), clears
    every printer registered for ``Figure``; so this loads the backend first, and registers the printer
    again before every cell, in case a cell reconfigures the backend (``%matplotlib``, ``%config``).
    Introduced in chapter 2.

    >>> use_figure_text()          # a plain Python session, not IPython: nothing to do
    False
    """
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    formatters = getattr(getattr(shell, "display_formatter", None), "formatters", None)
    if shell is None or not formatters or "text/plain" not in formatters:
        return False
    import matplotlib
    import matplotlib.pyplot as plt
    from matplotlib.figure import Figure

    plt.switch_backend(matplotlib.get_backend())  # loads the backend now, if it has not loaded yet

    def register(*_: Any) -> None:
        formatters["text/plain"].for_type(Figure, _print_figure)

    register()
    events = getattr(shell, "events", None)
    if events is not None and not getattr(shell, "_twice_figure_text", False):
        events.register("pre_run_cell", register)
        shell._twice_figure_text = True
    return True


def plot_parity_gap(
    losses: Mapping[str, Sequence[float]],
    reference: Sequence[float],
    *,
    title: str,
    tolerance: float | None = None,
    xlabel: str = "Step",
    ylabel: str = "|framework − reference|",
    ax: Any = None,
) -> Any:
    """How far each framework's per-step loss is from a reference's: ``|loss − reference|``, log scale.

    Two loss curves that agree to 1e-6 overlap perfectly when plotted themselves, so a parity plot shows
    their gap instead, step by step, on a logarithmic axis (the y label says so), in each framework's colour
    (:data:`FRAMEWORK_COLORS`). A ``tolerance`` is drawn as a grey dashed line, so that a reader sees at once
    how far below it every step stays. A step whose gap is exactly zero has no place on a log scale and is
    left out. Introduced in chapter 1.

    >>> ax = plot_parity_gap({"tf": [2.3, 1.2001]}, [2.3001, 1.2], title="Parity", tolerance=1e-3)
    >>> [line.get_label() for line in ax.get_lines()], ax.get_yscale()
    (['TensorFlow', 'tolerance 0.001'], 'log')
    >>> np.round(ax.get_lines()[0].get_ydata(), 6).tolist()
    [0.0001, 0.0001]

    Args:
        losses: ``{framework: per-step losses}`` (``"tensorflow"``, ``"pytorch"`` or an alias), each as
            long as ``reference``.
        reference: the reference's per-step losses (e.g. the float64 NumPy implementation's).
        title, xlabel, ylabel: the axes' title and labels; the x axis counts the steps from 1.
        tolerance: a positive bound the gaps are checked against, or ``None``.
        ax: a Matplotlib ``Axes`` to draw on; a new figure when ``None``.

    Returns:
        The ``Axes`` drawn on.

    Raises:
        ValueError: for no framework, an unknown one (or ``"reference"``), series that are empty, not 1-D,
            not finite or of another length than ``reference``, a tolerance that is not positive, or a
            missing title.
    """
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    if not title:
        raise ValueError("every figure in the book needs a title")
    if not losses:
        raise ValueError("losses is empty: expected e.g. {'tensorflow': [...]}")
    ref = np.asarray(reference, dtype=float)
    if ref.ndim != 1 or ref.size == 0 or not np.isfinite(ref).all():
        raise ValueError(f"reference must be a non-empty, finite 1-D series, got shape {ref.shape}")
    gaps: list[tuple[str, np.ndarray]] = []
    for name, values in losses.items():
        framework = _framework_key(name)
        if framework == "reference" or any(framework == seen for seen, _ in gaps):
            raise ValueError(f"losses must name each framework once, and not the reference: got {name!r}")
        y = np.asarray(values, dtype=float)
        if y.shape != ref.shape or not np.isfinite(y).all():
            raise ValueError(
                f"{framework}: expected {ref.size} finite losses, one per reference step, got shape {y.shape}"
            )
        gaps.append((framework, np.abs(y - ref)))
    if tolerance is not None:
        tolerance = checks.number(tolerance, "tolerance", low=0.0, low_inclusive=False)
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 3.5))
    steps = np.arange(1, ref.size + 1)
    for framework, gap in gaps:
        shown = np.where(gap > 0, gap, np.nan)  # log scale: an exact zero cannot be drawn
        ax.plot(steps, shown, color=FRAMEWORK_COLORS[framework], linewidth=1.5, label=FRAMEWORK_LABELS[framework])
    if tolerance is not None:
        ax.axhline(tolerance, color=BASELINE_COLOR, linestyle="--", linewidth=1.5, label=f"tolerance {tolerance:g}")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    return _finish(ax, title=title, xlabel=xlabel, ylabel=ylabel, log_scale=True)


MODE_HATCHES: dict[str, str] = {"eager": "", "graph": "//", "compiled": "xx"}
"""How the bars of :func:`plot_benchmark_ratios` tell a framework's modes apart: its colour, and a hatch per
mode (none for eager). Introduced in chapter 6."""


def plot_benchmark_ratios(
    results: Sequence[Any],
    *,
    title: str,
    baseline: tuple[str, str, int] = ("pytorch", "eager", 1),
    threads: Sequence[int] = (1, 2),
    axes: Any = None,
) -> Any:
    """Bars of each variant's median time per call divided by the baseline variant's, one panel per thread
    count: a framework's colour, a hatch per mode (:data:`MODE_HATCHES`), a log scale with 1 marked.

    ``results`` are :class:`twice.benchmark.Result` records of one run (measured in one run, so that the
    ratios compare like with like); the matrix product is drawn at its largest size. Bars below 1 are faster
    than the baseline (PyTorch eager on one thread by default). Variants that did not run or are not supported
    (PyTorch has no graph mode) are left out. Returns the axes, one per thread count. Introduced in chapter 6.

    >>> from twice.benchmark import Result, Settings, summarise
    >>> def made_up(framework, mode, ms):
    ...     return Result("mlp", 64, framework, mode, 1, True, 0.1, (), summarise([ms / 1e3]), (), "", "",
    ...                   Settings.example())
    >>> axes = plot_benchmark_ratios([made_up("pytorch", "eager", 2.0), made_up("tensorflow", "graph", 1.0)],
    ...                              title="Steps", threads=(1,))
    >>> [round(float(bar.get_height()), 2) for bar in axes[0].patches]  # TensorFlow first
    [0.5, 1.0]

    Raises:
        ValueError: for no results, no baseline variant among them, or a missing title.
    """
    import matplotlib.pyplot as plt

    if not title:
        raise ValueError("every figure in the book needs a title")
    counts = [checks.integer(t, "each of threads", minimum=1) for t in threads]
    if not results or not counts:
        raise ValueError("plot_benchmark_ratios needs results and at least one thread count")
    supported = [r for r in results if r.supported and r.steady is not None and r.steady.median > 0]
    largest = max((r.size for r in supported if r.workload == "matmul"), default=None)
    supported = [r for r in supported if r.workload != "matmul" or r.size == largest]
    base_framework, base_mode, base_threads = baseline
    base = {
        r.workload: r.steady.median
        for r in supported
        if (r.framework, r.mode, r.threads) == (checks.framework(base_framework), base_mode, base_threads)
    }
    if not base:
        raise ValueError(f"no result of the baseline variant {baseline!r}")
    workloads = [w for w in dict.fromkeys(r.workload for r in supported) if w in base]
    variants = [
        (framework, mode)
        for framework in ("tensorflow", "pytorch")
        for mode in MODE_HATCHES
        if any((r.framework, r.mode) == (framework, mode) for r in supported)
    ]
    if axes is None:
        _, axes = plt.subplots(1, len(counts), figsize=(4.2 * len(counts), 3.6), sharey=True, squeeze=False)
        axes = list(axes[0])
    width = 0.8 / max(1, len(variants))
    for ax, count in zip(axes, counts):
        by_key = {(r.workload, r.framework, r.mode): r for r in supported if r.threads == count}
        for index, (framework, mode) in enumerate(variants):
            positions, heights = [], []
            for place, workload in enumerate(workloads):
                r = by_key.get((workload, framework, mode))
                if r is not None:
                    positions.append(place + (index - (len(variants) - 1) / 2) * width)
                    heights.append(r.steady.median / base[workload])
            ax.bar(
                positions, heights, width, color=FRAMEWORK_COLORS[framework], hatch=MODE_HATCHES[mode],
                edgecolor="white", linewidth=0.5, label=f"{FRAMEWORK_LABELS[framework]} {mode}",
            )  # fmt: skip
        ax.axhline(1.0, color=BASELINE_COLOR, linestyle="--", linewidth=1.2)
        ax.set_yscale("log")
        ax.set_xticks(range(len(workloads)), workloads)
        ax.set_title(f"{count} thread{'s' if count != 1 else ''}")
        ax.set_xlabel("Workload")
        ax.grid(alpha=0.3, axis="y")
    axes[0].set_ylabel("time / baseline (log scale)")
    axes[-1].legend(fontsize=8)
    axes[0].figure.suptitle(title)
    return axes


def plot_scaling(
    x: Sequence[float],
    series: Mapping[str, Sequence[float]],
    *,
    colors: Mapping[str, str],
    title: str,
    xlabel: str,
    ylabel: str,
    band: tuple[float, float, str] | None = None,
    ax: Any = None,
) -> Any:
    """How a cost grows with a size: one line per series on log-log axes, in its framework's colour.

    ``colors`` maps each series' label to ``"tensorflow"``, ``"pytorch"`` or ``"reference"`` (NumPy, black);
    ``band`` ``(low, high, label)`` shades a range across the plot (a CPU's peak, say). Introduced in chapter 6,
    for GFLOP/s against the size of a product and for milliseconds a step against the batch size.

    >>> ax = plot_scaling([16, 64], {"PyTorch": [1.0, 9.0]}, colors={"PyTorch": "pytorch"}, title="Products",
    ...                   xlabel="n", ylabel="GFLOP/s", band=(20.0, 40.0, "peak"))
    >>> [line.get_label() for line in ax.get_lines()]
    ['PyTorch']

    Raises:
        ValueError: for no series, a series of another length than ``x`` or not positive, a label without a
            colour, or a missing title.
    """
    import matplotlib.pyplot as plt

    if not title:
        raise ValueError("every figure in the book needs a title")
    sizes = np.asarray(x, dtype=float)
    if not series or sizes.ndim != 1 or sizes.size == 0 or not (sizes > 0).all():
        raise ValueError("plot_scaling needs positive sizes x and at least one series")
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 3.5))
    for (label, values), marker in zip(series.items(), itertools.cycle("osD^")):
        y = np.asarray(values, dtype=float)
        if y.shape != sizes.shape or not (y > 0).all():
            raise ValueError(f"{label}: expected {sizes.size} positive values, one per size, got {values!r}")
        if label not in colors:
            raise ValueError(f"{label}: no colour given (colors maps each label to a framework)")
        key = colors[label]
        color = FRAMEWORK_COLORS["reference" if key == "reference" else _framework_key(key)]
        ax.plot(sizes, y, color=color, marker=marker, linewidth=2, label=label)
    if band is not None:
        low, high, band_label = band
        ax.axhspan(low, high, color=BASELINE_COLOR, alpha=0.25, label=band_label)
    ax.set_xscale("log", base=2)
    ax.set_xlabel(f"{xlabel} (log scale)")
    return _finish(ax, title=title, xlabel=f"{xlabel} (log scale)", ylabel=ylabel, log_scale=True)
