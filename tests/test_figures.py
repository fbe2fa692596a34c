"""Tests for twice_book.figures: the committed SVG files are what the code draws, and the code draws the truth.

Each figure is redrawn into a temporary folder and compared byte for byte with the file committed beside its
overview page (``python3 tasks.py figures`` rewrites them after a change). The geometry the figures show
(window positions, paddings, flatten orders) is checked against ``twice.convolution.conv2d`` and NumPy's own
reshapes, independently of the functions the figures read it from.
"""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import numpy as np
import pytest

from twice.convolution import conv2d
from twice.plotting import FRAMEWORK_COLORS
from twice_book import figures
from twice_book.figures import FIGURES, BookFigure, flatten_positions, padding_amounts, window_rows

ROOT = Path(__file__).resolve().parents[1]
IDS = [figure.name for figure in FIGURES]

# A MyST figure directive: the file, its options (one per line), a blank line, then the caption.
FIGURE_DIRECTIVE = re.compile(
    r"^:::\{figure\} (?P<path>\S+)\n(?P<options>(?::[\w-]+:[^\n]*\n)+)\n(?P<caption>(?:[^\n]+\n)+?):::$",
    re.MULTILINE,
)


def _page(figure: BookFigure) -> Path:
    return figure.file.parent.parent / "index.md"


@pytest.mark.parametrize("figure", FIGURES, ids=IDS)
def test_the_committed_svg_is_what_the_code_draws(figure: BookFigure, tmp_path: Path) -> None:
    drawn = figures.render(figure, tmp_path / "figure.svg")
    assert figure.file.is_file(), f"{figure.path} is missing: run python3 tasks.py figures"
    assert drawn.read_bytes() == figure.file.read_bytes(), (
        f"{figure.path} is not what twice_book.figures draws: run python3 tasks.py figures"
    )


def test_drawing_twice_gives_the_same_bytes(tmp_path: Path) -> None:
    figure = FIGURES[0]
    first = figures.render(figure, tmp_path / "first.svg").read_bytes()
    second = figures.render(figure, tmp_path / "second.svg").read_bytes()
    assert first == second
    assert b"<dc:date>" not in first  # no date, so a redraw tomorrow is the same file


@pytest.mark.parametrize("figure", FIGURES, ids=IDS)
def test_every_figure_has_a_title_that_the_svg_carries(figure: BookFigure) -> None:
    with figures.book_style():
        title = figure.draw().get_suptitle()
    assert len(title) > 20
    svg = figure.file.read_text(encoding="utf-8")
    assert f"<title>{title}</title>" in svg


@pytest.mark.parametrize("figure", FIGURES, ids=IDS)
def test_every_figure_is_on_its_page_with_a_name_a_caption_and_a_reference(figure: BookFigure) -> None:
    text = _page(figure).read_text(encoding="utf-8")
    relative = figure.file.relative_to(_page(figure).parent).as_posix()
    matches = [m for m in FIGURE_DIRECTIVE.finditer(text) if m["path"] == relative]
    assert len(matches) == 1, f"{_page(figure)} has no (or more than one) figure directive for {relative}"
    options = dict(re.findall(r"^:([\w-]+): *(.*)$", matches[0]["options"], re.MULTILINE))
    assert options.get("name") == figure.name
    assert options.get("alt", "").strip(), "the figure needs alt text"
    assert len(matches[0]["caption"].split()) >= 12, "the caption should say what the figure shows"
    assert f"{{numref}}`{figure.name}`" in text, "the page's text should refer to its figure"


def test_every_figure_file_on_the_pages_is_drawn_by_the_code() -> None:
    drawn = {figure.file for figure in FIGURES}
    committed = set(ROOT.glob("chapters/*/figures/*.svg"))
    assert committed == drawn


@pytest.mark.parametrize(
    ("figure", "uses_framework_colours"),
    [("fig-tape-and-graph", False), ("fig-conv-window", False), ("fig-same-padding", True),
     ("fig-flatten-order", True)],
)
def test_framework_colours_appear_only_where_a_framework_is_meant(figure: str, uses_framework_colours: bool) -> None:
    (book_figure,) = [f for f in FIGURES if f.name == figure]
    svg = book_figure.file.read_text(encoding="utf-8").lower()
    for framework in ("tensorflow", "pytorch"):
        assert (FRAMEWORK_COLORS[framework].lower() in svg) == uses_framework_colours, framework
    colours = {figures.GREEN, figures.RED, figures.PURPLE, figures.PADDING_GREY, figures.GRID_GREY}
    assert not colours & {FRAMEWORK_COLORS["tensorflow"], FRAMEWORK_COLORS["pytorch"]}


def _rows_read(size: int, kernel: int, stride: int, padding: int | str) -> list[set[int]]:
    """For each output row, the input rows conv2d reads: a one-hot input row at a time, and a kernel of ones.

    Padded rows are found by shifting: the input is embedded in a larger zero image at a known offset, so a
    window that reads padding reads those zeros, which are real (marked) rows of the larger image.
    """
    before, after = padding_amounts(size, kernel, stride, padding)
    count = len(window_rows(size, kernel, stride, padding))
    read: list[set[int]] = [set() for _ in range(count)]
    # Marking every row of the padded input, one at a time, with no padding left to the convolution.
    for row in range(-before, size + after):
        image = np.zeros((1, 1, size + before + after, 1))
        image[0, 0, row + before, 0] = 1.0
        out = conv2d(image, np.ones((1, 1, kernel, 1)), stride=(stride, 1), padding=0)[0, 0, :, 0]
        assert out.shape == (count,)  # the padded size and the kernel give the framework's output size
        for i in np.flatnonzero(out):
            read[i].add(row)
    # The same for the real input alone, with the padding given to conv2d: the real rows must agree.
    for row in range(size):
        image = np.zeros((1, 1, size, 1))
        image[0, 0, row, 0] = 1.0
        spec = padding if isinstance(padding, str) else (padding, 0)
        out = conv2d(image, np.ones((1, 1, kernel, 1)), stride=(stride, 1), padding=spec)[0, 0, :, 0]
        assert {i for i in range(count) if row in read[i]} == set(np.flatnonzero(out).tolist())
    return read


@pytest.mark.parametrize(
    ("size", "kernel", "stride", "padding"),
    [
        (figures.CONV_SIZE, figures.CONV_KERNEL, figures.CONV_STRIDE, figures.CONV_PADDING),
        (figures.SAME_SIZE, figures.SAME_KERNEL, figures.SAME_STRIDE, "same"),
        (figures.SAME_SIZE, figures.SAME_KERNEL, figures.SAME_STRIDE, 1),
        *itertools.product([5, 8, 9], [2, 3, 4], [1, 2, 3], ["same", "valid", 0, 1, 2]),
    ],
)
def test_the_windows_drawn_are_the_rows_conv2d_reads(size: int, kernel: int, stride: int, padding: int | str) -> None:
    windows = window_rows(size, kernel, stride, padding)
    assert [set(w) for w in windows] == _rows_read(size, kernel, stride, padding)


def test_same_padding_at_stride_2_puts_the_extra_pixel_after_and_padding_1_shifts_the_windows() -> None:
    # The page's example, which the figure draws: an 8×8 input, a 3×3 kernel at stride 2.
    assert padding_amounts(8, 3, 2, "same") == (0, 1)
    assert [w[0] for w in window_rows(8, 3, 2, "same")] == [0, 2, 4, 6]
    assert [w[0] for w in window_rows(8, 3, 2, 1)] == [-1, 1, 3, 5]
    assert 8 not in set().union(*window_rows(8, 3, 2, 1))  # PyTorch's bottom padding row is never read


@pytest.mark.parametrize("shape", [figures.FLATTEN_SHAPE, (3, 2, 4), (1, 5, 2)])
def test_flatten_positions_are_numpys_reshapes_of_each_layout(shape: tuple[int, int, int]) -> None:
    height, width, channels = shape
    hwc = np.arange(height * width * channels).reshape(height, width, channels)  # Keras: (H, W, C), flattened
    chw = np.arange(height * width * channels).reshape(channels, height, width)  # PyTorch: (C, H, W)
    positions = flatten_positions(height, width, channels)
    for h, w, c in itertools.product(range(height), range(width), range(channels)):
        assert positions["keras"][(h, w, c)] == hwc[h, w, c]
        assert positions["torch"][(h, w, c)] == chw[c, h, w]


def test_the_command_line_rejects_an_unknown_figure(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        figures.main(["fig-nothing"])
    assert "unknown figure fig-nothing" in capsys.readouterr().err
