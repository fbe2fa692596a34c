"""Sphinx extension: the master notebooks' solutions in the book, without otter-grader's markers; and each
script once per page.

Listed in ``sphinx: extra_extensions`` of ``_config.yml``. The exercise pages render the master notebooks,
whose solution lines end in ``# SOLUTION`` or sit between ``# BEGIN SOLUTION`` and ``# END SOLUTION``; a
reader should see the code, not the markup that tells otter what to hide.

sphinx-thebe 0.3.1 (and sphinx-togglebutton) add their inline scripts at every ``env-before-read-docs``,
which a Jupyter Book build fires twice, once as file ``None`` and once as ``""``, so Sphinx keeps both; the
second copy redeclares ``const THEBE_JS_URL`` and the browser logs a SyntaxError on every page.
:func:`_one_of_each_script` keeps the first of identical scripts (tests/test_browser.py sees no error).
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


def _one_of_each_script(
    app: Any, pagename: str, templatename: str, context: dict[str, Any], doctree: Any
) -> None:
    """Drop the repeats of a script from a page's context: same file (an inline script's is None or "",
    depending on who added it), priority and attributes (the inline body among them)."""
    if "script_files" in context:
        seen, kept = set(), []
        for script in context["script_files"]:
            attributes = getattr(script, "attributes", {})
            key = (
                getattr(script, "filename", script) or "",
                getattr(script, "priority", 0),
                repr(sorted(attributes.items())),
            )
            if key not in seen:
                seen.add(key)
                kept.append(script)
        context["script_files"] = kept


def setup(app: Any) -> dict[str, Any]:
    """Register the extension: hide the solution markers in every literal block of every page, and keep each
    page's scripts unique."""
    app.connect("doctree-read", _hide_solution_markers)
    app.connect("html-page-context", _one_of_each_script)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
