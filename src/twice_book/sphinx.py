"""Sphinx extension: the master notebooks' solutions in the book, without otter-grader's markers; each
script once per page; the same numbers on a chapter's TensorFlow and PyTorch pages; the book's style sheet;
and the side-by-side pages (:mod:`twice_book.side_by_side`).

Listed in ``sphinx: extra_extensions`` of ``_config.yml``. The exercise pages render the master notebooks,
whose solution lines end in ``# SOLUTION`` or sit between ``# BEGIN SOLUTION`` and ``# END SOLUTION``; a
reader should see the code, not the markup that tells otter what to hide.

sphinx-thebe 0.3.1 (and sphinx-togglebutton) add their inline scripts at every ``env-before-read-docs``,
which a Jupyter Book build fires twice, once as file ``None`` and once as ``""``, so Sphinx keeps both; the
second copy redeclares ``const THEBE_JS_URL`` and the browser logs a SyntaxError on every page.
:func:`_one_of_each_script` keeps the first of identical scripts (tests/test_browser.py sees no error).

A numbered toctree numbers every page of a chapter in turn: the TensorFlow page is 2.1 and the PyTorch page
2.2, so their sections are 2.1.4 and 2.2.4, and the exercises and figures of the second page continue from
the first (2.8 to 2.14 for the same questions as 2.1 to 2.7). The TensorFlow, PyTorch and side-by-side pages
are three renderings of one section of the chapter, as the two exercise pages are of another:
:func:`_number_renderings_alike` gives every rendering the numbers of the first, after Sphinx has assigned
them, so that "Exercise 2.3" and "§2.1.4" mean the same thing on every page.

The style sheet (``static/twice.css``) makes tables wrap within the column, lays the side-by-side pages out,
and on phones wraps code and turns each table row into a list; for that list, :func:`_label_table_cells`
starts every table cell with its column's name, hidden on wider screens.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from . import side_by_side
from .exercises import strip_solution_markers

STATIC = Path(__file__).resolve().parent / "static"
# The last part of the name of a page that renders a section of a chapter in one framework, or in both.
RENDERINGS = ("tensorflow", "pytorch", "side_by_side")


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


def rendering_of(docname: str) -> str:
    """What a page renders: ``chapters/02_cnn/tensorflow``, ``.../pytorch`` and ``.../side_by_side`` all render
    ``chapters/02_cnn/``, and ``.../exercises/tensorflow`` and ``.../exercises/pytorch`` render
    ``chapters/02_cnn/exercises/``; any other page renders itself.

    >>> rendering_of("chapters/02_cnn/pytorch"), rendering_of("chapters/02_cnn/index")
    ('chapters/02_cnn/', 'chapters/02_cnn/index')
    """
    head, _, tail = docname.rpartition("/")
    return head + "/" if tail in RENDERINGS else docname


def renumbered_sections(numbers: dict[str, Any], page: tuple[int, ...]) -> dict[str, Any]:
    """A page's section numbers (anchor to number; ``""`` is the page's own) moved under ``page``.

    >>> renumbered_sections({"": (2, 2), "#setup": (2, 2, 1), "#a": (2, 2, 1, 3)}, (2, 1))
    {'': (2, 1), '#setup': (2, 1, 1), '#a': (2, 1, 1, 3)}
    """
    old = numbers.get("") or ()
    return {
        anchor: page + tuple(number[len(old) :])
        if number and tuple(number[: len(old)]) == tuple(old)
        else number
        for anchor, number in numbers.items()
    }


def renumbered_figures(numbers: dict[str, tuple[int, ...]], start: int) -> dict[str, tuple[int, ...]]:
    """A page's numbers of one kind (figure, exercise, equation: id to number) counted again from ``start`` + 1,
    in their order.

    >>> renumbered_figures({"b": (2, 9), "a": (2, 8)}, 0)
    {'b': (2, 2), 'a': (2, 1)}
    """
    order = sorted(numbers, key=lambda key: numbers[key])
    return {key: (*numbers[key][:-1], start + 1 + order.index(key)) for key in numbers}


def _number_renderings_alike(app: Any, env: Any) -> list[str]:
    """After Sphinx has numbered the book (``env-get-updated``): in each chapter, the pages that render the
    same section get the first one's section numbers, and their figures, exercises and equations count from
    where that first page's did. Returns the pages whose numbers changed, for Sphinx to write again."""
    changed: set[str] = set()
    for parent, children in env.toctree_includes.items():
        if not any(rendering_of(child) != child for child in children):
            continue  # not a chapter: the book's root, say
        first: dict[str, str] = {}
        for child in children:
            numbers = env.toc_secnumbers.get(child)
            leader = first.setdefault(rendering_of(child), child)
            if not numbers or leader == child or not env.toc_secnumbers.get(leader, {}).get(""):
                continue
            new = renumbered_sections(numbers, tuple(env.toc_secnumbers[leader][""]))
            if new != numbers:
                env.toc_secnumbers[child] = new
                changed.add(child)
            for reference in env.tocs[child].findall(
                lambda node: "anchorname" in getattr(node, "attributes", {})
            ):
                number = new.get(reference["anchorname"])
                reference["secnumber"] = list(number) if number else None
            if child in env.titles:
                env.titles[child]["secnumber"] = list(new[""]) if new.get("") else None
        pages = [parent, *children]
        kinds = {kind for page in pages for kind in env.toc_fignumbers.get(page, {})}
        for kind in kinds:
            numbered = [page for page in pages if env.toc_fignumbers.get(page, {}).get(kind)]
            # the order Sphinx counted them in
            numbered.sort(key=lambda page: min(env.toc_fignumbers[page][kind].values()))
            starts: dict[str, int] = {}
            count = 0
            for page in numbered:
                mine = env.toc_fignumbers[page][kind]
                rendering = rendering_of(page)
                if rendering in starts:
                    start = starts[rendering]
                else:
                    start = starts[rendering] = count
                    count += len(mine)
                new_numbers = renumbered_figures(mine, start)
                if new_numbers != mine:
                    env.toc_fignumbers[page][kind] = new_numbers
                    changed.add(page)
    return sorted(changed)


def _label_table_cells(app: Any, doctree: Any) -> None:
    """Start each body cell of a table with a header row with its column's name, for the phone layout."""
    from docutils import nodes

    for table in doctree.findall(nodes.table):
        heads = list(table.findall(nodes.thead))
        if not heads:
            continue
        names = [entry.astext().strip() for entry in heads[0].findall(nodes.entry)]
        for body in table.findall(nodes.tbody):
            for row in body.findall(nodes.row):
                for name, entry in zip(names, row.findall(nodes.entry)):
                    label = nodes.inline("", f"{name}: ", classes=["twice-cell-label"])
                    paragraphs = list(entry.findall(nodes.paragraph))
                    if paragraphs:
                        paragraphs[0].insert(0, label)
                    else:
                        entry.insert(0, nodes.paragraph("", "", label))


def _add_static(app: Any) -> None:
    app.config.html_static_path.append(str(STATIC))


def setup(app: Any) -> dict[str, Any]:
    """Register the extension: hide the solution markers in every literal block of every page, keep each
    page's scripts unique, number a chapter's renderings alike, add the style sheet and the table labels,
    and the ``twice-side-by-side`` directive."""
    app.connect("doctree-read", _hide_solution_markers)
    app.connect("doctree-read", _label_table_cells)
    app.connect("html-page-context", _one_of_each_script)
    app.connect("env-get-updated", _number_renderings_alike, priority=900)
    app.connect("builder-inited", _add_static)
    app.add_css_file("twice.css")
    side_by_side.setup(app)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
