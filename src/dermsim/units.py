"""Unit conversions and human-readable durations, defined once.

SI inside the package; µm, hours, days and °C only at the edges (configuration, outputs,
figures). These constants and formatters are the one place those edges are crossed.
"""

from __future__ import annotations

UM = 1e-6  #: metres per micrometre
HOUR = 3600.0  #: seconds per hour
DAY = 86400.0  #: seconds per day
KELVIN = 273.15  #: kelvin at 0 °C
GIB = float(2**30)  #: bytes per GiB


def format_duration(seconds: float) -> str:
    """A wall-clock duration for people: ``"42 s"``, ``"3.5 min"``, ``"2.1 h"``."""
    if seconds < 90:
        return f"{seconds:.3g} s"
    if seconds < 5400:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"
