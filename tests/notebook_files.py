"""Reading committed notebooks, for the tests that check the book's shape and its exercises."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, TypeAlias

Notebook: TypeAlias = dict[str, Any]  # a notebook's JSON, as nbformat writes it
Cell: TypeAlias = dict[str, Any]  # one entry of its "cells"

HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*$")


def load(path: Path) -> Notebook:
    notebook: Notebook = json.loads(path.read_text(encoding="utf-8"))
    return notebook


def source(cell: Cell) -> str:
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


def tags(cell: Cell) -> set[str]:
    return set(cell.get("metadata", {}).get("tags", []))


def code_cells(notebook: Notebook) -> list[Cell]:
    return [c for c in notebook["cells"] if c["cell_type"] == "code" and source(c).strip()]


def headings(notebook: Notebook) -> list[tuple[int, str]]:
    """(level, text) of every Markdown heading, skipping lines inside fenced code blocks."""
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
