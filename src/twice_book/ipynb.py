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


FRAMEWORK_LOG_LINE = re.compile(
    r"^(WARNING: All log messages before absl::InitializeLog\(\) is called are written to STDERR"
    r"|[IWEF]\d{4} \d\d:\d\d:\d+\.\d+ +\d+ [\w.]+:\d+\] .*)$"
)
"""A line of TensorFlow's C++ log (absl's format), which it writes to the process's stderr whatever
``TF_CPP_MIN_LOG_LEVEL`` says: the oneDNN notice at import, tf.data's ``use_unbounded_threadpool`` error."""


def drop_framework_logs(notebook: Notebook) -> int:
    """Remove TensorFlow's C++ log lines (:data:`FRAMEWORK_LOG_LINE`) from the stderr outputs of ``notebook``,
    in place, and any stderr output left empty; return how many lines went. Every other output stays."""
    dropped = 0
    for cell in notebook["cells"]:
        kept = []
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream" and output.get("name") == "stderr":
                text = output["text"] if isinstance(output["text"], str) else "".join(output["text"])
                lines = text.splitlines(True)
                rest = [line for line in lines if not FRAMEWORK_LOG_LINE.match(line.rstrip("\n"))]
                dropped += len(lines) - len(rest)
                if not rest:
                    continue
                output["text"] = rest
            kept.append(output)
        if "outputs" in cell:
            cell["outputs"] = kept
    return dropped
