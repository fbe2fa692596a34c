"""The concept figures of the chapter overview pages, drawn once here and committed as SVG beside the pages.

The overview pages are plain Markdown (the book does not execute anything), so their figures are files:
``python3 tasks.py figures`` redraws every one of them, and ``tests/test_figures.py`` redraws them again and
checks that the committed files are byte for byte what this code draws. So a figure cannot drift from the code
that draws it, and the code cannot drift from the helper package: the window positions and paddings come from
:func:`twice.convolution.conv_output_size` and :func:`twice.convolution.same_padding`, and the flatten orders
from :data:`twice.dense.FLATTEN_DENSE_RULE`, the functions the notebooks check against both frameworks.

The SVG files are deterministic: Matplotlib's defaults (not the user's matplotlibrc), the bundled DejaVu Sans
drawn as paths (no font is needed to view them), a fixed ``svg.hashsalt`` for the ids, and no date.

Importing this module imports nothing outside the standard library; NumPy, Matplotlib and ``twice`` are
imported by the functions that draw.

    python -m twice_book.figures [--png DIR] [NAME...]
"""

from __future__ import annotations

import argparse
import itertools
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]

STYLE: dict[str, Any] = {
    "font.family": "DejaVu Sans",
    "mathtext.fontset": "dejavusans",
    "font.size": 10,
    "axes.titlesize": 11,
    "figure.titlesize": 13,
    "svg.fonttype": "path",
    "svg.hashsalt": "deep-learning-twice",
    "path.simplify": False,
}
"""Matplotlib settings for every figure, on top of Matplotlib's defaults (``svg.hashsalt``: stable ids)."""

# Colours that mean neither framework (twice.plotting's TensorFlow orange and PyTorch blue mean a framework):
# the greens, reds and purples the book keeps for other things, and greys.
GREEN, RED, PURPLE = "#009E73", "#B2182B", "#7B3294"
PADDING_GREY, GRID_GREY, TEXT_GREY = "#D9D9D9", "#8C8C8C", "#555555"
LABEL_BOX = {"boxstyle": "square,pad=0.1", "facecolor": "white", "edgecolor": "none"}


@dataclass(frozen=True)
class BookFigure:
    """One concept figure: its label on the page, its file, and the function that draws it."""

    name: str
    """The figure's ``:name:`` on its page, which ``{numref}`` refers to (``fig-...``)."""
    path: str
    """The SVG file, relative to the repository's root."""
    draw: Callable[[], Any]
    """Draws the figure and returns the Matplotlib ``Figure``, with a ``suptitle``."""

    @property
    def file(self) -> Path:
        return ROOT / self.path


# ----------------------------------------------------------------------------------------------------------
# The geometry, from twice.convolution: what a test of those functions also checks here
# ----------------------------------------------------------------------------------------------------------


def padding_amounts(size: int, kernel: int, stride: int, padding: int | str) -> tuple[int, int]:
    """``(before, after)`` zeros along one axis: PyTorch's integer ``padding``, or ``"valid"``/``"same"``.

    >>> padding_amounts(8, 3, 2, "same"), padding_amounts(8, 3, 2, 1)
    ((0, 1), (1, 1))
    """
    from twice.convolution import same_padding

    if isinstance(padding, str):
        return same_padding(size, kernel, stride) if padding.lower() == "same" else (0, 0)
    return (padding, padding)


def window_rows(size: int, kernel: int, stride: int, padding: int | str) -> list[range]:
    """For each output position along one axis, the input positions its window reads.

    Positions count in the unpadded input: ``-1`` is the first padded row above it, ``size`` the first below.

    >>> window_rows(8, 3, 2, "same")
    [range(0, 3), range(2, 5), range(4, 7), range(6, 9)]
    >>> window_rows(8, 3, 2, 1)
    [range(-1, 2), range(1, 4), range(3, 6), range(5, 8)]
    """
    from twice.convolution import conv_output_size

    before, _ = padding_amounts(size, kernel, stride, padding)
    count = conv_output_size(size, kernel, stride, padding)
    return [range(i * stride - before, i * stride - before + kernel) for i in range(count)]


def flatten_positions(height: int, width: int, channels: int) -> dict[str, dict[tuple[int, int, int], int]]:
    """Where each element ``(h, w, c)`` of a feature map lands when Keras and PyTorch flatten it.

    Read off :data:`twice.dense.FLATTEN_DENSE_RULE`, which moves a Dense kernel's rows from Keras' order to
    PyTorch's: a kernel whose row ``r`` holds ``r`` shows which Keras position each PyTorch position takes.

    >>> positions = flatten_positions(2, 2, 3)
    >>> positions["keras"][(0, 1, 0)], positions["torch"][(0, 1, 0)]
    (3, 1)
    """
    import numpy as np

    from twice.dense import FLATTEN_DENSE_RULE

    count = height * width * channels
    rows = np.arange(count, dtype=np.float64).reshape(count, 1)  # Keras kernel: row r holds r
    weight, _ = FLATTEN_DENSE_RULE.to_torch(rows, None, H=height, W=width, C=channels)
    keras_row_of_torch_column = [int(v) for v in np.asarray(weight)[0]]
    keras: dict[tuple[int, int, int], int] = {}
    for h in range(height):
        for w in range(width):
            for c in range(channels):
                keras[(h, w, c)] = len(keras)  # C-order reshape of (H, W, C): row by row, channels inner
    element = {position: key for key, position in keras.items()}
    torch = {element[row]: column for column, row in enumerate(keras_row_of_torch_column)}
    return {"keras": keras, "torch": torch}


# ----------------------------------------------------------------------------------------------------------
# Drawing helpers
# ----------------------------------------------------------------------------------------------------------


@contextmanager
def book_style() -> Iterator[None]:
    """Matplotlib's defaults with :data:`STYLE` on top, whatever the user's matplotlibrc says."""
    import matplotlib

    with matplotlib.rc_context():
        matplotlib.rcdefaults()
        params: Any = matplotlib.rcParams  # its type lists every key as a Literal; STYLE's are plain str
        params.update(STYLE)
        yield


def _new_figure(width: float, height: float) -> Any:
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), layout="constrained")


def _cell(ax: Any, row: float, col: float, **kwargs: Any) -> None:
    from matplotlib.patches import Rectangle

    ax.add_patch(Rectangle((col - 0.5, row - 0.5), 1, 1, **kwargs))


def _window(
    ax: Any, rows: range, cols: range, color: str, inset: float = 0.0, fill: bool = True, **kwargs: Any
) -> None:
    """The outline (and a light fill) of the window that covers ``rows`` × ``cols``."""
    from matplotlib.patches import Rectangle

    x, y = cols[0] - 0.5 + inset, rows[0] - 0.5 + inset
    w, h = len(cols) - 2 * inset, len(rows) - 2 * inset
    if fill:
        ax.add_patch(Rectangle((x, y), w, h, facecolor=color, alpha=0.18, edgecolor="none", zorder=3))
    ax.add_patch(Rectangle((x, y), w, h, facecolor="none", edgecolor=color, linewidth=2.6, zorder=4, **kwargs))


def _grid_axes(ax: Any, lo: int, hi: int, *, xlabel: str, ylabel: str, ticks: Sequence[int]) -> None:
    ax.set_xlim(lo - 0.5, hi + 0.5)
    ax.set_ylim(hi + 0.5, lo - 0.5)  # row 0 at the top, as in an image
    ax.set_aspect("equal")
    ax.set_xticks(list(ticks))
    ax.set_yticks(list(ticks))
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.tick_params(length=0, labelsize=9)
    ax.xaxis.set_label_position("top")
    ax.xaxis.tick_top()
    for spine in ax.spines.values():
        spine.set_visible(False)


def _padded_grid(ax: Any, size: int, pads: tuple[tuple[int, int], tuple[int, int]]) -> None:
    """The input cells (white) and the zero-padding cells (grey, marked 0) around them."""
    (top, bottom), (left, right) = pads
    for r in range(-top, size + bottom):
        for q in range(-left, size + right):
            inside = 0 <= r < size and 0 <= q < size
            _cell(
                ax, r, q, facecolor="white" if inside else PADDING_GREY, edgecolor=GRID_GREY, linewidth=0.8,
                zorder=1,
            )
            if not inside:
                ax.text(q, r, "0", ha="center", va="center", fontsize=8, color=TEXT_GREY, zorder=2)


# ----------------------------------------------------------------------------------------------------------
# Chapter 2: a window with stride and padding; 'same' against padding=1; the flatten orders
# ----------------------------------------------------------------------------------------------------------

CONV_SIZE, CONV_KERNEL, CONV_STRIDE, CONV_PADDING = 5, 3, 2, 1
"""Figure ``fig-conv-window``: a 3×3 kernel at stride 2 on a 5×5 input with one pixel of zero padding."""


def draw_conv_window() -> Any:
    """A window sliding with stride and padding over an input grid, and the output it fills."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    from twice.convolution import conv_output_size

    n, k, s, p = CONV_SIZE, CONV_KERNEL, CONV_STRIDE, CONV_PADDING
    windows = window_rows(n, k, s, p)
    out = conv_output_size(n, k, s, p)
    shown = {(0, 0): GREEN, (0, 1): RED, (1, 0): PURPLE}

    figure = _new_figure(8.0, 4.6)
    left, right = figure.subplots(1, 2, width_ratios=[n + 2 * p, out + 1.5])
    _padded_grid(left, n, ((p, p), (p, p)))
    for (i, j), color in shown.items():
        _window(left, windows[i], windows[j], color, inset=0.05 if i == j == 0 else 0.13, fill=False)
    for i in range(out):
        for j in range(out):
            centre = (windows[j][k // 2], windows[i][k // 2])
            left.plot(*centre, marker="o", markersize=4.5, color="black", zorder=5)
    # The stride: from one window's centre to the next, along a row and down a column.
    c00, c01, c10 = (windows[0][k // 2], windows[0][k // 2]), (windows[1][k // 2], windows[0][k // 2]), (
        windows[0][k // 2], windows[1][k // 2])
    for start, end in ((c00, c01), (c00, c10)):
        left.annotate(
            "", xy=end, xytext=start, zorder=6,
            arrowprops={"arrowstyle": "-|>", "color": "black", "linewidth": 1.4, "shrinkA": 4, "shrinkB": 4},
        )
    left.text((c00[0] + c01[0]) / 2, c00[1] - 0.12, f"$s = {s}$", ha="center", va="bottom", fontsize=9, zorder=6,
              bbox=LABEL_BOX)
    left.text(c00[0] + 0.1, (c00[1] + c10[1]) / 2, f"$s = {s}$", ha="left", va="center", fontsize=9, zorder=6,
              bbox=LABEL_BOX)
    _grid_axes(
        left, -p, n - 1 + p, xlabel="input column $q$", ylabel="input row $r$", ticks=range(-p, n + p),
    )
    left.set_title(f"Input {n}×{n}, zero padding $p = {p}$, kernel {k}×{k}", pad=28)

    for i in range(out):
        for j in range(out):
            fill = shown.get((i, j))
            _cell(
                right, i, j, facecolor="white" if fill is None else fill, alpha=1 if fill is None else 0.35,
                edgecolor=GRID_GREY, linewidth=0.8,
            )
            if fill is not None:
                _cell(right, i, j, facecolor="none", edgecolor=fill, linewidth=2.6, zorder=4)
            right.text(j, i, f"$y_{{{i}{j}}}$", ha="center", va="center", fontsize=10, zorder=5)
    _grid_axes(right, 0, out - 1, xlabel="output column $j$", ylabel="output row $i$", ticks=range(out))
    right.set_title(
        f"Output {out}×{out}: $\\lfloor ({n} + 2 \\cdot {p} - {k}) / {s} \\rfloor + 1 = {out}$", pad=28
    )

    handles = [
        Patch(facecolor="white", edgecolor=GRID_GREY, label="input pixel"),
        Patch(facecolor=PADDING_GREY, edgecolor=GRID_GREY, label="zero padding"),
        *(
            Patch(facecolor="none", edgecolor=color, linewidth=2.6, label=f"window of output ({i}, {j})")
            for (i, j), color in shown.items()
        ),
        Line2D([], [], marker="o", markersize=4.5, color="black", linestyle="none", label="window centres"),
    ]
    figure.legend(handles=handles, loc="outside lower center", ncols=3, frameon=False, fontsize=9)
    figure.suptitle(f"A {k}×{k} window sliding with stride {s} over a zero-padded {n}×{n} input")
    return figure


SAME_SIZE, SAME_KERNEL, SAME_STRIDE = 8, 3, 2
"""Figure ``fig-same-padding``: the example of the page, an 8×8 input and a 3×3 kernel at stride 2."""


def draw_same_padding() -> Any:
    """TensorFlow's 'same' padding against PyTorch's padding=1, at stride 2 on an even size."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    from twice.plotting import FRAMEWORK_COLORS

    n, k, s = SAME_SIZE, SAME_KERNEL, SAME_STRIDE
    panels: list[tuple[str, int | str, str]] = [
        ("tensorflow", "same", "TensorFlow, padding='same'"),
        ("pytorch", 1, "PyTorch, padding=1"),
    ]
    figure = _new_figure(8.0, 5.0)
    axes = figure.subplots(1, 2, sharey=False)
    lo, hi = -1, n  # the same cells in both panels, so the shift lines up
    for ax, (framework, padding, label) in zip(axes, panels):
        color = FRAMEWORK_COLORS[framework]
        pads = padding_amounts(n, k, s, padding)
        windows = window_rows(n, k, s, padding)
        _padded_grid(ax, n, (pads, pads))
        last = len(windows) - 1
        _window(ax, windows[0], windows[0], color)
        _window(ax, windows[last], windows[last], color, linestyle=(0, (4, 2)))
        centres = [w[k // 2] for w in windows]
        for r in centres:
            for q in centres:
                ax.plot(q, r, marker="o", markersize=4.5, color=color, zorder=5)
        _grid_axes(
            ax, lo, hi, xlabel="input column", ylabel="input row", ticks=range(lo, hi + 1),
        )
        ax.set_title(f"{label}\npads {pads[0]} before, {pads[1]} after; windows start at "
                     f"{', '.join(str(w[0]).replace('-', '−') for w in windows)}", fontsize=10, pad=30)
    tf_pads = padding_amounts(n, k, s, "same")
    axes[0].text(
        hi + 0.5, hi + 1.05, f"the odd extra pixel ({sum(tf_pads)} in all) goes bottom and right", ha="right",
        va="top", fontsize=8.5, color=TEXT_GREY,
    )
    unused = [r for r in range(-1, n + 1) if r not in set().union(*window_rows(n, k, s, 1))]
    axes[1].text(
        hi + 0.5, hi + 1.05, f"padding row and column {', '.join(map(str, unused))} are never read",
        ha="right", va="top", fontsize=8.5, color=TEXT_GREY,
    )
    handles = [
        Patch(facecolor="white", edgecolor=GRID_GREY, label="input pixel"),
        Patch(facecolor=PADDING_GREY, edgecolor=GRID_GREY, label="zero padding"),
        Patch(facecolor="none", edgecolor="black", linewidth=2, label="window of output (0, 0)"),
        Patch(
            facecolor="none", edgecolor="black", linewidth=2, linestyle=(0, (4, 2)),
            label=f"window of output ({len(window_rows(n, k, s, 1)) - 1}, {len(window_rows(n, k, s, 1)) - 1})",
        ),
        Line2D([], [], marker="o", markersize=4.5, color="black", linestyle="none", label="window centres"),
    ]
    framework_handles = [
        Patch(facecolor=FRAMEWORK_COLORS[f], label=label.split(",")[0]) for f, _, label in panels
    ]
    figure.legend(
        handles=handles + framework_handles, loc="outside lower center", ncols=4, frameon=False, fontsize=9
    )
    figure.suptitle(
        f"Same output size ({len(window_rows(n, k, s, 'same'))}×{len(window_rows(n, k, s, 'same'))}), "
        f"different windows: {k}×{k} kernel, stride {s}, {n}×{n} input"
    )
    return figure


FLATTEN_SHAPE = (2, 2, 3)
"""Figure ``fig-flatten-order``: a feature map of height 2, width 2 and 3 channels."""


def draw_flatten_order() -> Any:
    """The index each element of a small feature map gets when Keras (HWC) and PyTorch (CHW) flatten it."""
    from matplotlib.patches import Patch, Rectangle

    from twice.plotting import FRAMEWORK_COLORS

    height, width, channels = FLATTEN_SHAPE
    positions = flatten_positions(height, width, channels)
    channel_colors = [GREEN, RED, PURPLE]
    count = height * width * channels

    figure = _new_figure(8.0, 5.6)
    top, bottom = figure.subplots(2, 1, height_ratios=[1.0, 1.55])

    # The feature map: one grid per channel, each cell named (h, w, c).
    gap = 1.0
    for c in range(channels):
        x0 = c * (width + gap)
        for h in range(height):
            for w in range(width):
                top.add_patch(Rectangle(
                    (x0 + w, height - 1 - h), 1, 1, facecolor=channel_colors[c], alpha=0.22,
                    edgecolor=channel_colors[c], linewidth=1.5,
                ))
                top.text(x0 + w + 0.5, height - 0.5 - h, f"({h},{w},{c})", ha="center", va="center", fontsize=9)
        top.text(x0 + width / 2, height + 0.15, f"channel $c = {c}$", ha="center", va="bottom", fontsize=10)
    span = channels * width + (channels - 1) * gap
    top.text(-0.25, height - 0.5, "$h = 0$", ha="right", va="center", fontsize=9)
    top.text(-0.25, height - 1.5, "$h = 1$", ha="right", va="center", fontsize=9)
    for w in range(width):
        top.text(w + 0.5, -0.12, f"$w = {w}$", ha="center", va="top", fontsize=9)
    top.set_xlim(-(count - span) / 2, span + (count - span) / 2)
    top.set_ylim(-0.6, height + 0.7)
    top.set_aspect("equal")
    top.axis("off")
    top.set_title(f"A feature map: height $H = {height}$, width $W = {width}$, $C = {channels}$ channels; "
                  "each element named $(h, w, c)$", fontsize=10)

    # The two flattened vectors, and a line joining the two places of each element.
    rows = {"keras": 2.0, "torch": 0.0}
    labels = {
        "keras": "Keras: Flatten of an (H, W, C) map puts $(h, w, c)$ at position $(hW + w)\\,C + c$",
        "torch": "PyTorch: nn.Flatten of a (C, H, W) map puts $(c, h, w)$ at position $(cH + h)\\,W + w$",
    }
    frameworks = {"keras": "tensorflow", "torch": "pytorch"}
    for key, y in rows.items():
        for element, position in positions[key].items():
            c = element[2]
            bottom.add_patch(Rectangle(
                (position, y), 1, 1, facecolor=channel_colors[c], alpha=0.22, edgecolor=channel_colors[c],
                linewidth=1.5,
            ))
            bottom.text(position + 0.5, y + 0.5, "({},{},{})".format(*element), ha="center", va="center",
                        fontsize=8.5)
        bottom.add_patch(Rectangle(
            (0, y), count, 1, facecolor="none", edgecolor=FRAMEWORK_COLORS[frameworks[key]], linewidth=2.5,
        ))
    for position in range(count):
        bottom.text(position + 0.5, rows["keras"] + 1.08, str(position), ha="center", va="bottom", fontsize=9)
        bottom.text(position + 0.5, rows["torch"] - 0.08, str(position), ha="center", va="top", fontsize=9)
    bottom.text(0, rows["keras"] + 1.6, labels["keras"], ha="left", va="bottom", fontsize=9.5)
    bottom.text(0, rows["torch"] - 0.6, labels["torch"], ha="left", va="top", fontsize=9.5)
    for element, keras_position in positions["keras"].items():
        torch_position = positions["torch"][element]
        bottom.plot(
            [keras_position + 0.5, torch_position + 0.5], [rows["keras"], rows["torch"] + 1],
            color=channel_colors[element[2]], linewidth=1.2, alpha=0.85,
        )
    bottom.set_xlim(-0.1, count + 0.1)
    bottom.set_ylim(-1.3, rows["keras"] + 2.3)
    bottom.axis("off")
    bottom.set_title(
        f"The same {count} values, flattened: each line joins an element's two positions", fontsize=10
    )
    handles = [
        Patch(facecolor=color, alpha=0.35, edgecolor=color, label=f"channel {c}")
        for c, color in enumerate(channel_colors)
    ] + [
        Patch(facecolor="none", edgecolor=FRAMEWORK_COLORS["tensorflow"], linewidth=2.5, label="TensorFlow (Keras)"),
        Patch(facecolor="none", edgecolor=FRAMEWORK_COLORS["pytorch"], linewidth=2.5, label="PyTorch"),
    ]
    figure.legend(handles=handles, loc="outside lower center", ncols=5, frameon=False, fontsize=9)
    figure.suptitle("Flatten orders: Keras reads channels innermost, PyTorch reads them outermost")
    return figure


# ----------------------------------------------------------------------------------------------------------
# Chapter 1: a tape against a traced graph
# ----------------------------------------------------------------------------------------------------------


def _box(ax: Any, x: float, y: float, text: str, *, width: float, height: float = 0.62, edge: str = "black",
         face: str = "white", fontsize: float = 9.5, family: str = "DejaVu Sans Mono", **kwargs: Any) -> None:
    from matplotlib.patches import FancyBboxPatch

    ax.add_patch(FancyBboxPatch(
        (x - width / 2, y - height / 2), width, height, boxstyle="round,pad=0.02,rounding_size=0.1",
        facecolor=face, edgecolor=edge, linewidth=1.3, zorder=2, **kwargs,
    ))
    ax.text(x, y, text, ha="center", va="center", fontsize=fontsize, family=family, zorder=3)


def _arrow(ax: Any, start: tuple[float, float], end: tuple[float, float], color: str, *, style: str = "-|>",
           linestyle: str = "-", connection: str = "arc3", width: float = 1.5, zorder: float = 1) -> None:
    ax.annotate(
        "", xy=end, xytext=start,
        arrowprops={
            "arrowstyle": style, "color": color, "linewidth": width, "linestyle": linestyle,
            "shrinkA": 2, "shrinkB": 2, "connectionstyle": connection, "mutation_scale": 12,
        },
        zorder=zorder,
    )


def draw_tape_and_graph() -> Any:
    """Eager execution recorded on a tape and walked backwards, against a function traced once into a graph."""
    from matplotlib.lines import Line2D

    figure = _new_figure(8.4, 5.4)
    tape_ax, graph_ax = figure.subplots(1, 2)
    code = ["z = x @ w", "a = relu(z)", "loss = mean(a)"]
    ops = ["MatMul(x, w)", "Relu(z)", "Mean(a)"]
    grads = ["∂loss/∂w", "∂loss/∂z", "∂loss/∂a"]  # what each record gives, walked from the bottom up
    ys = [4.0, 3.0, 2.0]
    from matplotlib.patches import FancyBboxPatch

    # Left: each line runs at once and is recorded; the gradient call walks the record backwards.
    ax = tape_ax
    tx = 3.95  # the tape's column
    ax.text(1.25, 4.85, "Python runs each line\n(values exist at once)", ha="center", va="center", fontsize=9)
    ax.text(tx, 4.85, "the tape records it", ha="center", va="center", fontsize=9)
    ax.add_patch(FancyBboxPatch(
        (tx - 0.9, 1.45), 1.8, 3.1, boxstyle="round,pad=0.02,rounding_size=0.15", facecolor="#F2F2F2",
        edgecolor=GRID_GREY, linewidth=1.0, linestyle="--", zorder=0,
    ))
    for line, op, y in zip(code, ops, ys):
        _box(ax, 1.25, y, line, width=2.2)
        _box(ax, tx, y, op, width=1.55, edge=GREEN, fontsize=8.5)
        _arrow(ax, (2.35, y), (tx - 0.78, y), GREEN)
    for upper, lower in itertools.pairwise(ys):
        _arrow(ax, (1.25, upper - 0.31), (1.25, lower + 0.31), "black")
    _box(ax, 1.25, 0.7, "tape.gradient(loss, w)\nor loss.backward()", width=2.7, height=0.8, fontsize=8)
    _arrow(ax, (1.25, ys[-1] - 0.31), (1.25, 1.1), "black")
    # The backward walk: from the gradient call into the last record, then up the tape, last operation first.
    right = tx + 0.78
    _arrow(ax, (2.6, 0.7), (right + 0.05, ys[-1] - 0.12), PURPLE, connection="arc3,rad=0.4", width=1.8, zorder=4)
    for upper, lower in itertools.pairwise(ys):
        _arrow(ax, (right + 0.05, lower + 0.12), (right + 0.05, upper - 0.12), PURPLE,
               connection="arc3,rad=0.5", width=1.8, zorder=4)
    for y, grad in zip(ys, grads):
        ax.text(right + 0.5, y, grad, ha="left", va="center", fontsize=8.5, color=PURPLE)
    ax.text(3.3, -0.05, "recorded again on every call, so Python's if and for\ndecide what the tape holds",
            ha="center", va="center", fontsize=8.5, color=TEXT_GREY)
    ax.set_xlim(-0.25, 6.6)
    ax.set_ylim(-0.4, 5.3)
    ax.axis("off")
    ax.set_title("Eager execution with a tape\n(tf.GradientTape; PyTorch autograd)")

    # Right: the first call traces the function into a graph; later calls with the same signature reuse it.
    ax = graph_ax
    _box(ax, 1.25, 4.6, "f(x₁)\nfirst call", width=1.7, height=0.8, fontsize=8.5)
    _box(ax, 1.25, 3.2, "trace: the Python\nruns once, on\nsymbolic inputs", width=2.1, height=1.05,
         fontsize=8.5, family="DejaVu Sans")
    _arrow(ax, (1.25, 4.2), (1.25, 3.73), "black")
    gx = 4.6
    node_ys = [4.2, 3.3, 2.4]

    def graph(top: float, bottom: float, label: str, nodes: Sequence[float]) -> None:
        ax.add_patch(FancyBboxPatch(
            (gx - 0.9, bottom), 1.8, top - bottom, boxstyle="round,pad=0.02,rounding_size=0.15",
            facecolor="#F2F2F2", edgecolor=GRID_GREY, linewidth=1.0, linestyle="--", zorder=0,
        ))
        ax.text(gx, top - 0.22, label, ha="center", va="center", fontsize=9)
        for op, y in zip(["MatMul", "Relu", "Mean"], nodes):
            _box(ax, gx, y, op, width=1.3, height=0.5, edge=GREEN, fontsize=8.5)
        for upper, lower in itertools.pairwise(nodes):
            _arrow(ax, (gx, upper - 0.25), (gx, lower + 0.25), GREEN)

    graph(5.05, 1.95, "graph", node_ys)
    _arrow(ax, (2.3, 3.2), (gx - 0.9, 3.3), GREEN)
    ax.text(2.95, 3.4, "records", ha="center", va="bottom", fontsize=8.5, color=GREEN)
    _box(ax, 1.25, 1.75, "f(x₂), f(x₃), …\nsame signature:\nthe graph runs,\nnot the Python", width=2.1,
         height=1.15, fontsize=8.5, family="DejaVu Sans")
    _arrow(ax, (2.3, 1.95), (gx - 0.9, 2.4), "black", linestyle="--")
    _box(ax, 1.25, 0.4, "f(x) with a new\nshape or dtype", width=2.1, height=0.75, fontsize=8.5,
         family="DejaVu Sans", edge=RED)
    graph_top, graph_bottom = 1.6, -0.35
    ax.add_patch(FancyBboxPatch(
        (gx - 1.05, graph_bottom), 2.1, graph_top - graph_bottom, boxstyle="round,pad=0.02,rounding_size=0.15",
        facecolor="#F2F2F2", edgecolor=RED, linewidth=1.0, linestyle="--", zorder=0,
    ))
    ax.text(gx, 0.62, "a second graph", ha="center", va="center", fontsize=9)
    ax.text(gx, 0.15, "(a retrace; in\ntorch, a recompile)", ha="center", va="center",
            fontsize=7.5, color=TEXT_GREY)
    _arrow(ax, (2.3, 0.45), (gx - 1.05, 0.45), RED)
    ax.text(2.95, 0.55, "trace again", ha="center", va="bottom", fontsize=8.5, color=RED)
    ax.set_xlim(0, 6.6)
    ax.set_ylim(-0.4, 5.3)
    ax.axis("off")
    ax.set_title("A traced graph\n(tf.function; torch.compile)")

    handles = [
        Line2D([], [], color="black", linewidth=1.5, label="Python runs"),
        Line2D([], [], color=GREEN, linewidth=1.5, label="an operation is recorded"),
        Line2D([], [], color=PURPLE, linewidth=1.8, label="gradients flow back"),
        Line2D([], [], color="black", linewidth=1.5, linestyle="--", label="a call reuses the graph"),
        Line2D([], [], color=RED, linewidth=1.5, label="a new trace"),
    ]
    figure.legend(handles=handles, loc="outside lower center", ncols=3, frameon=False, fontsize=9)
    figure.suptitle("A tape records what runs; a trace turns a function into a graph that is run again")
    return figure


FIGURES: tuple[BookFigure, ...] = (
    BookFigure("fig-tape-and-graph", "chapters/01_tensors/figures/tape_and_graph.svg", draw_tape_and_graph),
    BookFigure("fig-conv-window", "chapters/02_cnn/figures/conv_window.svg", draw_conv_window),
    BookFigure("fig-same-padding", "chapters/02_cnn/figures/same_padding.svg", draw_same_padding),
    BookFigure("fig-flatten-order", "chapters/02_cnn/figures/flatten_order.svg", draw_flatten_order),
)
"""Every concept figure of the overview pages, in the order of the chapters."""


def render(figure: BookFigure, path: Path | None = None, *, png: Path | None = None) -> Path:
    """Draw ``figure`` and write its SVG to ``path`` (its committed file by default); also a PNG to ``png``."""
    target = figure.file if path is None else path
    with book_style():
        drawn = figure.draw()
        title = drawn.get_suptitle()
        # Constrained layout places the axes from the text sizes of the previous draw: settle it first, so the
        # file is not the first, unsettled layout (titles run into each other there).
        for _ in range(2):
            drawn.draw_without_rendering()
        target.parent.mkdir(parents=True, exist_ok=True)
        drawn.savefig(
            target, format="svg", bbox_inches="tight",
            metadata={"Title": title, "Date": None, "Creator": "twice_book.figures (Matplotlib)"},
        )
        if png is not None:
            drawn.savefig(png, format="png", dpi=110, bbox_inches="tight")
    return target


def main(argv: Sequence[str]) -> None:
    top = argparse.ArgumentParser(prog="python -m twice_book.figures", description=__doc__.split("\n\n")[0])
    top.add_argument("names", nargs="*", metavar="NAME", help="figure names (fig-...); default: all")
    top.add_argument("--png", type=Path, metavar="DIR", help="also write a PNG of each figure into DIR")
    args = top.parse_args(argv)
    known = {figure.name: figure for figure in FIGURES}
    unknown = [name for name in args.names if name not in known]
    if unknown:
        top.error(f"unknown figure {', '.join(unknown)}; known: {', '.join(known)}")
    for figure in [known[name] for name in args.names] or list(FIGURES):
        png = None
        if args.png is not None:
            args.png.mkdir(parents=True, exist_ok=True)
            png = args.png / f"{figure.name}.png"
        print(f"wrote {render(figure, png=png).relative_to(ROOT)}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
