"""Notebook files as JSON: reading, writing, and the few facts the tools and the tests read from them.

Standard library only: ``tasks.py`` imports this before any virtual environment exists.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, TypeAlias

Notebook: TypeAlias = dict[str, Any]
"""A notebook's JSON, as nbformat writes it."""

Cell: TypeAlias = dict[str, Any]
"""One entry of a notebook's ``"cells"``."""

REPOSITORY_LINE = re.compile(r'^(REPOSITORY = ")([^"]*)(")', re.MULTILINE)
"""The line of a notebook's Colab cell that names the book's repository (``tasks.py set-repository``)."""

HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*$")


def load(path: str | Path) -> Notebook:
    """The notebook at ``path``."""
    notebook: Notebook = json.loads(Path(path).read_text(encoding="utf-8"))
    return notebook


def save(notebook: Notebook, path: str | Path) -> None:
    """Write ``notebook`` as Jupyter does: one-space indents, UTF-8 as it is, a final newline."""
    Path(path).write_text(json.dumps(notebook, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def source(cell: Cell) -> str:
    """A cell's source as one string (nbformat stores it as a string or as a list of lines)."""
    text = cell.get("source", "")
    return "".join(text) if isinstance(text, list) else str(text)


def tags(cell: Cell) -> list[str]:
    """A cell's tags, in order."""
    return list(cell.get("metadata", {}).get("tags", []))


def code_cells(notebook: Notebook) -> list[Cell]:
    """The code cells that hold any code."""
    return [c for c in notebook["cells"] if c["cell_type"] == "code" and source(c).strip()]


def headings(notebook: Notebook) -> list[tuple[int, str]]:
    """``(level, text)`` of every Markdown heading, skipping lines inside fenced code blocks."""
    found = []
    for cell in notebook["cells"]:
        if cell["cell_type"] != "markdown":
            continue
        in_fence = False
        for line in source(cell).splitlines():
            if line.lstrip().startswith(("```", "~~~")):
                in_fence = not in_fence
            match = HEADING.match(line)
            if match and not in_fence:
                found.append((len(match.group(1)), match.group(2)))
    return found


def repository_of(notebook: Notebook) -> str:
    """The repository address written in a notebook's Colab cell (``REPOSITORY = "..."``).

    Raises:
        ValueError: if no code cell has such a line.
    """
    for cell in notebook["cells"]:
        if cell["cell_type"] == "code":
            match = REPOSITORY_LINE.search(source(cell))
            if match:
                return match.group(2)
    raise ValueError('the notebook has no Colab cell with a line REPOSITORY = "..."')


def is_colab_cell(cell: Cell) -> bool:
    """Whether ``cell`` is a Colab install cell (a code cell with the ``REPOSITORY = "..."`` line)."""
    return cell["cell_type"] == "code" and REPOSITORY_LINE.search(source(cell)) is not None


def set_repository(notebook: Notebook, url: str) -> bool:
    """Point every Colab cell of ``notebook`` at ``url``, in place; whether any cell had the line."""
    changed = False
    for cell in notebook["cells"]:
        if is_colab_cell(cell):
            text = REPOSITORY_LINE.sub(lambda m: m.group(1) + url + m.group(3), source(cell))
            cell["source"] = text.splitlines(True)
            changed = True
    return changed
