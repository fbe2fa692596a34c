"""twice.glue writes what myst-nb's own glue writes, so the book's {glue:text} roles read it."""

from __future__ import annotations

from typing import Any

import pytest
from IPython.core.interactiveshell import InteractiveShell
from IPython.utils.capture import capture_output

from twice.glue import GLUE_PREFIX, glue


def _outputs(function: Any, *args: Any, **kwargs: Any) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """What ``function`` displays in an IPython shell, which is removed afterwards (it is a process-wide
    singleton: left behind, other tests would think they run in IPython)."""
    InteractiveShell.instance()
    try:
        with capture_output() as captured:
            function(*args, **kwargs)
    finally:
        InteractiveShell.clear_instance()
    return [(output.data, output.metadata) for output in captured.outputs]


@pytest.mark.parametrize("value", [0.125, 3, "text", [1, 2]])
@pytest.mark.parametrize("display", [False, True])
def test_twice_glue_writes_what_myst_nb_glue_writes(value: object, display: bool) -> None:
    from myst_nb import glue as myst_glue

    ours = _outputs(glue, "key", value, display=display)
    assert ours == _outputs(myst_glue, "key", value, display=display)
    ((data, metadata),) = ours
    assert metadata["scrapbook"] == {"name": "key", "mime_prefix": "" if display else GLUE_PREFIX}
    assert data[("" if display else GLUE_PREFIX) + "text/plain"] == repr(value)


def test_hidden_by_default() -> None:
    ((data, _),) = _outputs(glue, "key", 0.5)
    assert list(data) == [GLUE_PREFIX + "text/plain"]


@pytest.mark.parametrize("name", ["", "a:b", "nb.ipynb::key"])
def test_a_name_the_roles_cannot_read_is_refused(name: str) -> None:
    with pytest.raises(ValueError, match="glue name"):
        glue(name, 1)
