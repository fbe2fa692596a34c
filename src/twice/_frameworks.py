"""Framework names, in one place, so that every function accepts the same spellings."""

from __future__ import annotations

from typing import Literal

Framework = Literal["tensorflow", "pytorch"]

_ALIASES: dict[str, Framework] = {
    "tensorflow": "tensorflow",
    "tf": "tensorflow",
    "keras": "tensorflow",
    "pytorch": "pytorch",
    "torch": "pytorch",
    "pt": "pytorch",
}


def normalise_framework(name: object) -> Framework:
    """Return the canonical name (``"tensorflow"`` or ``"pytorch"``) for a framework alias.

    Accepted spellings, case-insensitive: ``tensorflow``, ``tf``, ``keras``, ``pytorch``, ``torch``, ``pt``.

    Raises:
        TypeError: if ``name`` is not a string.
        ValueError: if ``name`` is not one of the accepted spellings.
    """
    if not isinstance(name, str):
        raise TypeError(
            f"framework must be a string such as 'tensorflow' or 'pytorch', got {type(name).__name__}"
        )
    try:
        return _ALIASES[name.strip().lower()]
    except KeyError:
        raise ValueError(
            f"unknown framework {name!r}: expected 'tensorflow' (or 'tf', 'keras') "
            f"or 'pytorch' (or 'torch', 'pt')"
        ) from None
