"""nbval settings for every notebook of the book.

nbval compares each code cell's outputs with the committed ones. Compared: text/plain and stdout (and
anything else not listed here). Not compared, on purpose: stderr (framework log noise, which differs by
machine) and rich mime types that embed volatile markup or ids. Images are never compared by nbval.
Cells whose text depends on the machine carry the tag ``nbval-ignore-output`` and are followed by a cell
that asserts the claim with a tolerance.
"""

from __future__ import annotations

VOLATILE_OUTPUTS = (
    "stderr",
    "text/html",
    "application/javascript",
    "application/vnd.jupyter.widget-view+json",
)


def pytest_collectstart(collector):  # type: ignore[no-untyped-def]
    if getattr(collector, "skip_compare", None) is not None:
        collector.skip_compare = tuple(collector.skip_compare) + VOLATILE_OUTPUTS
