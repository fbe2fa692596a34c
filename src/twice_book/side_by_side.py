"""The side-by-side page of a chapter: each section in TensorFlow and in PyTorch next to each other.

A chapter's ``side_by_side.md`` holds one directive, ``{twice-side-by-side}``, and nothing else. At build time
the directive reads the chapter's ``tensorflow.ipynb`` and ``pytorch.ipynb``, cuts each at its headings
(which tests/test_book.py requires to be the same, in the same order), and writes MyST for the page: the
title, then for every heading the heading once and a row of two columns, TensorFlow on the left and PyTorch
on the right, each with that section's prose, code and committed outputs (text, tables, figures with their
captions). Nothing of it is written by hand, so it cannot fall behind the notebooks.

On a narrow screen the row becomes one column, and a switch at the top of the page (two radio buttons)
chooses the framework shown; the style sheet ``static/twice.css`` does both, with no script.

:func:`side_by_side_markdown` is the pure part (notebooks in, MyST out; unit-tested); :class:`SideBySide` is
the directive that parses it into the page.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .ipynb import HEADING, Cell, Notebook, load, source, tags

FRAMEWORKS = {"tensorflow": "TensorFlow", "pytorch": "PyTorch"}

# A label line, "(name)=": a second copy of it would be a duplicate label.
TARGET = re.compile(r"^\(.+\)=\s*$")
# The notebook title's framework part, replaced in the page's title.
TITLE_FRAMEWORK = re.compile(r"\s+(in|with)\s+TensorFlow\s*$")

# Fences longer than any the notebooks use, so that what a cell holds nests inside them.
OUTER, INNER, CODE = ":" * 12, ":" * 10, "`" * 8


@dataclass
class Section:
    """One heading of a notebook (level 0 for what comes before the first one) and what follows it."""

    level: int
    title: str
    parts: list[str] = field(default_factory=list)


def _markdown(text: str) -> str:
    return "\n".join(line for line in text.splitlines() if not TARGET.match(line)).strip()


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _outputs(cell: Cell) -> Iterator[str]:
    """The MyST of a code cell's outputs: stdout as a text block, a figure as a figure with the cell's
    caption and alt text, an HTML table as HTML, else the plain text. Stderr and glued values are left out
    (the book hides them on the notebook pages too)."""
    options = cell.get("metadata", {}).get("mystnb", {})
    caption = _one_line(str(options.get("figure", {}).get("caption", "")))
    alt = _one_line(str(options.get("image", {}).get("alt", ""))) or caption or "A figure of the notebook"
    for output in cell.get("outputs", []):
        kind = output.get("output_type")
        if kind == "stream":
            if output.get("name") == "stdout":
                yield _text_block(_joined(output.get("text", "")))
            continue
        if kind not in ("display_data", "execute_result") or "scrapbook" in output.get("metadata", {}):
            continue
        data = output.get("data", {})
        if "image/png" in data:
            uri = "data:image/png;base64," + _joined(data["image/png"]).replace("\n", "")
            # the row directive makes the image node itself (a data address, which Sphinx leaves as it is)
            yield f"{IMAGE}{uri}\n{alt}"
            if caption:
                yield caption
        elif "text/html" in data:
            yield "\n".join([f"{CODE}{{raw}} html", _joined(data["text/html"]).rstrip("\n"), CODE])
        elif "text/plain" in data:
            yield _text_block(_joined(data["text/plain"]))


# A part that is an image (its data address and alt text, a line each), not MyST.
IMAGE = "\x00image\n"

ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _joined(text: Any) -> str:
    return "".join(text) if isinstance(text, list) else str(text)


def _text_block(text: str) -> str:
    return "\n".join(
        [f"{CODE}{{code-block}} none", ":class: twice-sbs-output", "", ANSI.sub("", text).rstrip("\n"), CODE]
    )


def sections(notebook: Notebook) -> list[Section]:
    """The notebook cut at its headings (of any level but the title's), each part a piece of MyST: prose as
    written (label lines dropped), code cells as code blocks, then their outputs. Cells tagged
    ``remove-cell`` are left out, as are the inputs of ``remove-input`` and the outputs of ``remove-output``.
    """
    found = [Section(0, "")]
    for cell in notebook["cells"]:
        cell_tags = tags(cell)
        if "remove-cell" in cell_tags:
            continue
        if cell["cell_type"] == "markdown":
            prose: list[str] = []
            in_fence = False
            for line in source(cell).splitlines():
                if line.lstrip().startswith(("```", "~~~")):
                    in_fence = not in_fence
                match = None if in_fence else HEADING.match(line)
                if match and len(match.group(1)) > 1:
                    if _markdown("\n".join(prose)):
                        found[-1].parts.append(_markdown("\n".join(prose)))
                    prose = []
                    found.append(Section(len(match.group(1)), match.group(2)))
                elif not (match and len(match.group(1)) == 1):  # the notebook's title: the page has its own
                    prose.append(line)
            if _markdown("\n".join(prose)):
                found[-1].parts.append(_markdown("\n".join(prose)))
        elif cell["cell_type"] == "code":
            if "remove-input" not in cell_tags and source(cell).strip():
                found[-1].parts.append(
                    "\n".join(
                        [f"{CODE}{{code-block}} ipython3", ":class: twice-sbs-code", "", source(cell), CODE]
                    )
                )
            if "remove-output" not in cell_tags:
                found[-1].parts.extend(_outputs(cell))
    return found


def title_of(notebook: Notebook) -> str:
    """The side-by-side title of a TensorFlow notebook: its title with "in TensorFlow" replaced."""
    for cell in notebook["cells"]:
        if cell["cell_type"] == "markdown":
            for line in source(cell).splitlines():
                match = HEADING.match(line)
                if match and len(match.group(1)) == 1:
                    return TITLE_FRAMEWORK.sub("", match.group(2)) + ", side by side"
    raise ValueError("the TensorFlow notebook has no title (a level-1 heading)")


INTRO = (
    "Every section of this chapter's two notebooks, TensorFlow on the left and PyTorch on the right, with "
    "the outputs committed beside their code; the [TensorFlow notebook](tensorflow.ipynb) and the "
    "[PyTorch notebook](pytorch.ipynb) are the pages to run. On a narrow screen, the switch below shows "
    "one framework at a time."
)

SWITCH = """{code}{{raw}} html
<div class="twice-sbs-switch" role="radiogroup" aria-label="Framework shown">
<label><input type="radio" name="twice-sbs-framework" id="twice-sbs-tensorflow" checked> TensorFlow</label>
<label><input type="radio" name="twice-sbs-framework" id="twice-sbs-pytorch"> PyTorch</label>
</div>
{code}"""


def side_by_side_markdown(tensorflow: Notebook, pytorch: Notebook) -> str:
    """The MyST of a chapter's side-by-side page, from its two notebooks: the title, the introduction, the
    switch, and each heading followed by a ``{twice-sbs-row} N`` directive, which shows section ``N`` of
    both (each part of each column is parsed on its own, so that nothing in one can reach into another).

    Raises:
        ValueError: where the two notebooks' headings differ, so that their sections cannot be aligned.
    """
    left, right = sections(tensorflow), sections(pytorch)
    if [(s.level, s.title) for s in left] != [(s.level, s.title) for s in right]:
        raise ValueError(
            "the TensorFlow and PyTorch notebooks do not have the same headings in the same order"
        )
    page = [
        f"# {title_of(tensorflow)}",
        INTRO,
        SWITCH.format(code=CODE),
    ]
    for number, (one, other) in enumerate(zip(left, right)):
        if one.level:
            page.append(f"{'#' * one.level} {one.title}")
        if one.parts or other.parts:
            page.append(f"{CODE}{{twice-sbs-row}} {number}\n{CODE}")
    return "\n\n".join(page) + "\n"


def _directive() -> Any:
    from docutils.statemachine import StringList
    from sphinx.util.docutils import SphinxDirective

    class SideBySide(SphinxDirective):
        """``{twice-side-by-side}``: the page of the chapter's two notebooks, read from its folder."""

        has_content = False

        def run(self) -> list[Any]:
            from docutils import nodes

            folder = Path(self.env.doc2path(self.env.docname)).parent
            paths = {name: folder / f"{name}.ipynb" for name in FRAMEWORKS}
            for path in paths.values():
                self.env.note_dependency(str(path))
            try:
                notebooks = load(paths["tensorflow"]), load(paths["pytorch"])
                text = side_by_side_markdown(*notebooks)
            except (OSError, ValueError) as error:
                raise self.error(f"twice-side-by-side in {folder}: {error}") from error
            self.env.temp_data["twice-sbs"] = [sections(notebook) for notebook in notebooks]
            holder = nodes.container()
            self.state.nested_parse(
                StringList(text.splitlines(), source=str(folder)), 0, holder, match_titles=True
            )
            return list(holder.children)

    class Row(SphinxDirective):
        """``{twice-sbs-row} N``: section ``N`` of both notebooks, in two columns (written by the page)."""

        required_arguments = 1

        def run(self) -> list[Any]:
            from docutils import nodes

            number = int(self.arguments[0])
            row = nodes.container(classes=["twice-sbs-row"])
            for framework, found in zip(FRAMEWORKS, self.env.temp_data["twice-sbs"]):
                column = nodes.container(classes=["twice-sbs-col", f"twice-sbs-{framework}"])
                label = f'<div class="twice-sbs-label">{FRAMEWORKS[framework]}</div>'
                column += nodes.raw("", label, format="html")
                for part in found[number].parts:
                    if part.startswith(IMAGE):
                        uri, alt = part[len(IMAGE) :].split("\n", 1)
                        column += nodes.image(
                            uri=uri, alt=alt, candidates={"?": uri}, classes=["twice-sbs-figure"]
                        )
                    else:
                        self.state.nested_parse(StringList(part.splitlines(), source=framework), 0, column)
                row += column
            return [row]

    return SideBySide, Row


def setup(app: Any) -> None:
    """Register the ``twice-side-by-side`` directive (called by :mod:`twice_book.sphinx`)."""
    page, row = _directive()
    app.add_directive("twice-side-by-side", page)
    app.add_directive("twice-sbs-row", row)
