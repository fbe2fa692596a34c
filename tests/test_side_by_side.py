"""The side-by-side pages (twice_book.side_by_side) and the numbering shared by a chapter's renderings
(twice_book.sphinx): unit tests, and the strict build read back."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from twice_book import sphinx
from twice_book.ipynb import headings, load, source, tags
from twice_book.side_by_side import sections, side_by_side_markdown, title_of

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = sorted(p for p in (ROOT / "chapters").iterdir() if p.is_dir() and not p.name.startswith("."))


def _notebook(*cells: tuple[str, str]) -> dict[str, Any]:
    return {
        "cells": [
            {"cell_type": kind, "source": text, "metadata": {}, **({"outputs": []} if kind == "code" else {})}
            for kind, text in cells
        ]
    }


def test_sections_are_cut_at_headings_and_keep_code_and_prose() -> None:
    notebook = _notebook(
        ("markdown", "# Title in TensorFlow\n\nIntro.\n\n## Setup\n\nWhy.\n(label)=\n### Deeper"),
        ("code", "x = 1"),
    )
    notebook["cells"][1]["outputs"] = [{"output_type": "stream", "name": "stdout", "text": ["1\n"]}]
    found = sections(notebook)
    assert [(s.level, s.title) for s in found] == [(0, ""), (2, "Setup"), (3, "Deeper")]
    assert found[0].parts == ["Intro."] and found[1].parts == ["Why."]
    assert "x = 1" in found[2].parts[0] and "1" in found[2].parts[1]
    assert title_of(notebook) == "Title, side by side"


def test_a_page_has_every_heading_once_and_both_columns() -> None:
    tf = _notebook(("markdown", "# T in TensorFlow\n## A\ntf prose"), ("code", "import tensorflow"))
    pt = _notebook(("markdown", "# T in PyTorch\n## A\npt prose"), ("code", "import torch"))
    page = side_by_side_markdown(tf, pt)
    assert page.count("\n## A\n") == 1 and page.startswith("# T, side by side")
    assert "tf prose" not in page  # the rows hold the sections, parsed on their own
    assert "{twice-sbs-row} 1" in page


def test_notebooks_whose_headings_differ_are_refused() -> None:
    tf = _notebook(("markdown", "# T in TensorFlow\n## A"))
    pt = _notebook(("markdown", "# T in PyTorch\n## B"))
    with pytest.raises(ValueError, match="same headings"):
        side_by_side_markdown(tf, pt)


def test_hidden_cells_stay_hidden() -> None:
    notebook = _notebook(("markdown", "# T in TensorFlow"), ("code", "secret = 1"))
    notebook["cells"][1]["metadata"]["tags"] = ["remove-cell"]
    assert "secret" not in side_by_side_markdown(notebook, notebook)


def test_renderings_and_their_numbers() -> None:
    assert sphinx.rendering_of("chapters/01_tensors/side_by_side") == "chapters/01_tensors/"
    assert sphinx.rendering_of("chapters/01_tensors/exercises/pytorch") == "chapters/01_tensors/exercises/"
    assert sphinx.renumbered_sections({"": (1, 7), "#a": (1, 7, 2)}, (1, 6)) == {"": (1, 6), "#a": (1, 6, 2)}
    assert sphinx.renumbered_figures({"x": (1, 9), "y": (1, 10)}, 2) == {"x": (1, 3), "y": (1, 4)}


class _Page(HTMLParser):
    """Headings (text with their section numbers), columns and code blocks of a built page."""

    def __init__(self) -> None:
        super().__init__()
        self.headings: list[str] = []
        self.columns: list[str] = []
        self.exercises: list[str] = []
        self._heading: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        classes = (dict(attrs).get("class") or "").split()
        if tag in ("h1", "h2", "h3", "h4"):
            self._heading = []
        for framework in ("tensorflow", "pytorch"):
            if f"twice-sbs-{framework}" in classes:
                self.columns.append(framework)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("h1", "h2", "h3", "h4") and self._heading is not None:
            self.headings.append(" ".join("".join(self._heading).replace("#", "").split()))
            self._heading = None

    def handle_data(self, data: str) -> None:
        if self._heading is not None:
            self._heading.append(data)
        self.exercises += re.findall(r"Exercise \d+\.\d+", data)


def _read(path: Path) -> _Page:
    page = _Page()
    page.feed(path.read_text(encoding="utf-8"))
    return page


def _strip_number(heading: str) -> str:
    return re.sub(r"^[\d.]+\s+", "", heading)


def _plain(markdown: str) -> str:
    # Sphinx typesets quotes and dashes ("smart quotes"); compare the plain forms
    for fancy, plain in (
        ("\u2019", "'"),
        ("\u2018", "'"),
        ("\u201c", '"'),
        ("\u201d", '"'),
        ("\u2013", "--"),
    ):
        markdown = markdown.replace(fancy, plain)
    return " ".join(re.sub(r"[`*_]|\{\w+\}", "", markdown).split())


@pytest.mark.book
@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.name)
def test_the_side_by_side_page_shows_every_section_of_both_notebooks(
    strict_book: Path, chapter: Path
) -> None:
    assert (chapter / "side_by_side.md").read_text() == "```{twice-side-by-side}\n```\n", (
        "the page is generated from the notebooks: it holds the directive and nothing else"
    )
    page = _read(strict_book / "chapters" / chapter.name / "side_by_side.html")
    shown = [_plain(_strip_number(h)) for h in page.headings]
    for framework in ("tensorflow", "pytorch"):
        for level, title in headings(load(chapter / f"{framework}.ipynb")):
            if level > 1:
                assert _plain(title) in shown, f"{framework}: section {title!r} missing"
    # a TensorFlow and a PyTorch column for every section with content
    assert page.columns.count("tensorflow") == page.columns.count("pytorch") >= len(shown) // 2
    text = (strict_book / "chapters" / chapter.name / "side_by_side.html").read_text(encoding="utf-8")
    for framework in ("tensorflow", "pytorch"):
        for cell in load(chapter / f"{framework}.ipynb")["cells"]:
            if cell["cell_type"] == "code" and "remove-cell" not in tags(cell) and source(cell).strip():
                first = source(cell).strip().splitlines()[0]
                name = re.search(r"[A-Za-z_]{4,}", first)
                assert name is None or name.group(0) in text, f"{framework}: code {first!r} missing"


@pytest.mark.book
@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.name)
def test_renderings_of_a_section_are_numbered_alike(strict_book: Path, chapter: Path) -> None:
    html = strict_book / "chapters" / chapter.name
    numbers = {
        name: [h for h in _read(html / f"{name}.html").headings if re.match(r"[\d.]+ ", h)]
        for name in ("tensorflow", "pytorch", "side_by_side")
    }
    # the same numbers on the same sections (the headings are the same but for the title's framework)
    assert numbers["tensorflow"][1:] and numbers["tensorflow"][1:] == numbers["pytorch"][1:]
    for name in ("pytorch", "side_by_side"):
        assert [h.split()[0] for h in numbers[name]] == [h.split()[0] for h in numbers["tensorflow"]]
    exercise_pages = [_read(html / "exercises" / f"{name}.html") for name in ("tensorflow", "pytorch")]
    assert [h.split()[0] for h in exercise_pages[0].headings if re.match(r"[\d.]+ ", h)] == [
        h.split()[0] for h in exercise_pages[1].headings if re.match(r"[\d.]+ ", h)
    ]
    assert exercise_pages[0].exercises and exercise_pages[0].exercises == exercise_pages[1].exercises
