"""``dermsim fit``: a user's own measurements → fitted parameters with intervals.

The data CSV has one row per measurement (header required; ``#`` lines are comments)::

    output,value,sd,unit,time_day,layer,operator
    collagen_total_rel_change,35,8,%,90,papillary,value_at
    downtime_h,30,6,h,,,downtime_h
    macrophages,4,1,day,,injured,peak_day

``output`` a dermsim result variable or outcome (:mod:`dermsim.schema`); ``value`` and ``sd``
(standard uncertainty, > 0) in ``unit``; ``time_day`` days after the first session (for
``value_at``) or after the last (``value_after_last``); ``layer`` one of papillary,
reticular, dermis, injured; ``operator`` one of the registry operators (default
``value_at``; ``downtime_h`` for the downtime outcome). Relative changes are in % when
``unit`` is ``%``. Every row is simulated with the scenario given by ``--scenario``.
"""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path

from dermsim.calibration.registry import OPERATORS, Observation
from dermsim.errors import DermsimError

__all__ = ["FIT_COLUMNS", "parse_data"]

FIT_COLUMNS: tuple[str, ...] = ("output", "value", "sd", "unit", "time_day", "layer",
                                "operator")
_REQUIRED = ("output", "value", "sd", "unit")


def _float(text: str | None, where: str, blank: float = math.nan) -> float:
    if text is None or not text.strip():
        return blank
    try:
        v = float(text)
    except ValueError:
        raise DermsimError(f"{where}: {text!r} is not a number") from None
    if not math.isfinite(v):
        raise DermsimError(f"{where}: {text!r} is not a finite number")
    return v


def parse_data(text: str, source: str = "data") -> list[Observation]:
    """The observations of a fit CSV (one-line errors naming the line and column)."""
    from dermsim import schema

    lines = [ln for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    reader = csv.DictReader(io.StringIO("\n".join(lines)))
    cols = tuple(c.strip() for c in reader.fieldnames or ())
    missing = [c for c in _REQUIRED if c not in cols]
    if missing:
        raise DermsimError(f"{source}: missing column(s) {', '.join(missing)} (columns: "
                           f"{','.join(FIT_COLUMNS)})")
    unknown = [c for c in cols if c not in FIT_COLUMNS]
    if unknown:
        raise DermsimError(f"{source}: unknown column(s) {', '.join(unknown)}")
    out = []
    for n, rec in enumerate(reader, start=2):
        rec = {k.strip(): (v or "").strip() for k, v in rec.items() if k}
        where = f"{source} line {n}"
        name = rec["output"]
        if name not in schema.QUANTITIES:
            raise DermsimError(f"{where}: output {name!r} is not a dermsim result variable or "
                               "outcome")
        op = rec.get("operator") or ("downtime_h" if name == "downtime_h" else "value_at")
        if op not in OPERATORS or op in ("none", "effective_depth", "zone_extent",
                                         "channel_closure_90_h", "baseline"):
            raise DermsimError(f"{where}: operator {op!r} cannot be fitted")
        value = _float(rec["value"], f"{where} value")
        sd = _float(rec["sd"], f"{where} sd")
        if not (sd > 0) or not math.isfinite(value):
            raise DermsimError(f"{where}: needs a value and an sd > 0")
        t = _float(rec.get("time_day"), f"{where} time_day")
        if op in ("value_at", "value_after_last", "ratio_to_peak") and not t >= 0:
            raise DermsimError(f"{where}: operator {op} needs time_day >= 0")
        layer = rec.get("layer") or "dermis"
        if layer not in ("papillary", "reticular", "dermis", "injured"):
            raise DermsimError(f"{where}: layer {layer!r} is not papillary, reticular, dermis "
                               "or injured")
        out.append(Observation(
            f"data{n - 1}_{name}", name, value, sd, "user data", value - 2 * sd,
            value + 2 * sd, rec["unit"], "user", "user data", name, op, layer, t, "",
            math.nan, 1, math.nan, ("calibration",), "user data", source))
    if not out:
        raise DermsimError(f"{source}: no measurements")
    return out


def read_data(path: str | Path) -> list[Observation]:
    """:func:`parse_data` of a file."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise DermsimError(f"data file {p}: cannot read: {exc}") from None
    return parse_data(text, p.name)
