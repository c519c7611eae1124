"""Units, long names and the better direction of the scalar outcomes a sweep records."""

from __future__ import annotations

#: Outcomes for which smaller is better (``--by`` sorts ascending for these).
LOWER_IS_BETTER = frozenset({
    "bleeding_fraction", "epidermal_injury_mm3_per_cm2", "peak_inflammation", "downtime_h",
    "time_to_plateau_day", "coagulated_fraction", "max_temperature_C",
})


_UNIT_SUFFIXES = (("_mm3_per_cm2", "mm3/cm2"), ("_pct", "%"), ("_um", "um"), ("_day", "day"),
                  ("_h", "h"), ("_C", "degC"), ("_fraction", "1"), ("_s", "s"))


def outcome_attrs(name: str) -> dict[str, str]:
    """``units`` and ``long_name`` of a scalar outcome (``dermsim.metrics.OUTCOME_ATTRS``, or
    from its name if not tabulated)."""
    from dermsim.metrics import OUTCOME_ATTRS

    if name in OUTCOME_ATTRS:
        units, long_name = OUTCOME_ATTRS[name]
    else:
        units = next((u for s, u in _UNIT_SUFFIXES if name.endswith(s)), "1")
        long_name = name.replace("_", " ")
    return {"units": units, "long_name": long_name}

