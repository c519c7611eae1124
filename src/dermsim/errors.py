"""Exceptions raised for bad user input.

The CLI catches :class:`DermsimError` and prints its one-line message without a traceback.
"""

from __future__ import annotations

from typing import Any


class DermsimError(Exception):
    """Base class for errors caused by user input (config, files, options)."""


class ConfigError(DermsimError, ValueError):
    """A configuration value is not allowed.

    The message always names the field, the offending value and what is allowed,
    e.g. ``device.needle_length_um = -5: allowed [50, 5000] um``.
    """

    def __init__(self, field: str, value: Any, allowed: str, hint: str = "") -> None:
        self.field = field
        self.value = value
        self.allowed = allowed
        msg = f"{field} = {value!r}: allowed {allowed}"
        if hint:
            msg += f" ({hint})"
        super().__init__(msg)
