"""Units, long names and the better direction of the scalar outcomes a sweep records (a view
of :mod:`dermsim.schema`)."""

from __future__ import annotations

from dermsim import schema

#: Outcomes for which smaller is better (``--by`` and ``objective`` rank ascending for these).
LOWER_IS_BETTER = schema.lower_is_better()


def better(name: str) -> str | None:
    """``"higher"``, ``"lower"`` or None (no direction is better) for outcome ``name``."""
    return schema.better(name) if name in schema.OUTCOME else None


def outcome_attrs(name: str) -> dict[str, str]:
    """``units`` and ``long_name`` of a scalar outcome (from the schema; from its name for an
    outcome the schema does not list)."""
    if name in schema.OUTCOME:
        return schema.OUTCOME[name].attrs
    return {"units": "1", "long_name": name.replace("_", " ")}
