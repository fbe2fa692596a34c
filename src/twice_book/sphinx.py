"""Sphinx extension: the master notebooks' solutions in the book, without otter-grader's markers.

Listed in ``sphinx: extra_extensions`` of ``_config.yml``. The exercise pages render the master notebooks,
whose solution lines end in ``# SOLUTION`` or sit between ``# BEGIN SOLUTION`` and ``# END SOLUTION``; a
reader should see the code, not the markup that tells otter what to hide.
"""

from __future__ import annotations

from typing import Any

from .exercises import strip_solution_markers


def _hide_solution_markers(app: Any, doctree: Any) -> None:
    from docutils import nodes  # only the book build has docutils

    for block in doctree.findall(nodes.literal_block):
        text = block.astext()
        if "SOLUTION" not in text:
            continue
        cleaned = strip_solution_markers(text)
        if cleaned != text:
            block.rawsource = cleaned  # Sphinx highlights a literal block only if rawsource equals its text
            block.children = []
            block += nodes.Text(cleaned)


def setup(app: Any) -> dict[str, Any]:
    """Register the extension: hide the solution markers in every literal block of every page."""
    app.connect("doctree-read", _hide_solution_markers)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
