"""A number the book's prose quotes, stored in the notebook output that computed it.

myst-nb's ``{glue:text}`` role pastes a value into a page (an overview, a summary) from a notebook's output,
so a number in the prose is the number the code printed, and it cannot drift from it. myst-nb's own
``myst_nb.glue`` writes that output, but myst-nb is the book's build tool, not something a learner's
notebook on Colab has; :func:`glue` writes the same output with IPython alone (tests/test_glue.py checks
that the two agree, byte for byte).

In a page: ``{glue:text}`tensorflow.ipynb::ch1_gap:.1e``` pastes the value glued as ``ch1_gap`` by the
notebook ``tensorflow.ipynb``, formatted with ``.1e``.
"""

from __future__ import annotations

from typing import Any

__all__ = ["GLUE_PREFIX", "glue"]

# The mimetype prefix myst-nb (and papermill's scrapbook before it) reads a hidden glued value from.
GLUE_PREFIX = "application/papermill.record/"


def glue(name: str, value: Any, *, display: bool = False) -> None:
    """Store ``value`` under ``name`` in the cell's output, for myst-nb's ``{glue:...}`` roles to paste.

    The output holds the value's displayed forms (its ``repr`` as ``text/plain``, an image for a figure).
    With ``display=False`` (the default) the notebook does not show it: the prose does. Give a Python
    ``float`` or ``int`` (not a NumPy scalar, whose ``repr`` is ``np.float64(...)``) to format it with a format
    spec in the page. Introduced in chapter 1.

    >>> glue("answer", 42)  # outside IPython there is no cell output to write to: nothing happens

    Raises:
        ValueError: for an empty name or one with ``::`` or ``:`` (the roles' separators).
    """
    if not name or ":" in name:
        raise ValueError(f"a glue name is a non-empty key without ':', got {name!r}")
    try:
        from IPython import get_ipython
        from IPython.core.formatters import format_display_data
        from IPython.display import display as show
    except ImportError:  # not in IPython: nothing to glue into
        return
    if get_ipython() is None:
        return
    bundle, metadata = format_display_data(value)  # type: ignore[no-untyped-call]
    prefix = "" if display else GLUE_PREFIX
    metadata["scrapbook"] = {"name": name, "mime_prefix": prefix}
    show({prefix + key: data for key, data in bundle.items()}, raw=True, metadata=metadata)  # type: ignore[no-untyped-call]
