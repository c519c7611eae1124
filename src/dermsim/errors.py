"""Exceptions raised for bad user input and for requests the machine cannot serve.

The CLI catches :class:`DermsimError` and prints its one-line message without a traceback.
"""

from __future__ import annotations

import reprlib
from typing import Any

_REPR = reprlib.Repr()
_REPR.maxlevel = 3
_REPR.maxstring = 60
_REPR.maxother = 60
_REPR.maxlist = _REPR.maxtuple = _REPR.maxdict = _REPR.maxset = 6


def short_repr(value: Any) -> str:
    """``repr(value)`` shortened for one-line messages (long strings, deep or long
    containers and odd objects are abbreviated with ``...``)."""
    try:
        text = _REPR.repr(value)
    except Exception:  # a broken __repr__ must not hide the real error
        text = f"<{type(value).__name__}>"
    return " ".join(text.splitlines())


def printable(text: str, limit: int = 100) -> str:
    """``text`` with control characters escaped and shortened to ``limit`` characters."""
    text = str(text)
    if not text.isprintable():
        text = text.encode("unicode_escape").decode("ascii")
    return text if len(text) <= limit else text[: limit - 3] + "..."


class DermsimError(Exception):
    """Base class for errors caused by user input (config, files, options)."""


class ConfigError(DermsimError, ValueError):
    """A configuration value is not allowed.

    The message always names the field, the offending value and what is allowed,
    e.g. ``device.needle_length_um = -5: allowed [50, 5000] um``. Per-session overrides
    are named by session number: ``protocol.session[3].needle_length_um`` is the needle
    length of session 3.
    """

    def __init__(self, field: str, value: Any, allowed: str, hint: str = "") -> None:
        self.field = field
        self.value = value
        self.allowed = allowed
        msg = f"{printable(field)} = {short_repr(value)}: allowed {printable(allowed, 300)}"
        if hint:
            msg += f" ({printable(hint)})"
        super().__init__(msg)


class ResourceError(DermsimError):
    """A request needs more memory or computing steps than allowed (checked before any
    work starts; the message says what to change)."""


class OutputError(DermsimError):
    """An output destination cannot be written (checked before any work starts)."""
