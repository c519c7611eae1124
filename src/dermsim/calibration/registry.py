"""The literature data registry: published observations the model is compared with.

The registry is one CSV file shipped with the package (``dermsim/data/literature/
observations.csv``; its columns are described in ``data/literature/README.md``). Each row is
one :class:`Observation`: the published value and its uncertainty (as published or a stated
assumption), the target window a validation case accepts, unit, species and method, the model
output it maps to and the observation operator that computes it, and the citation.

The validation cases and the calibration both read their targets from here
(:func:`target`, :func:`calibration_targets`).
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

from dermsim.errors import DermsimError

__all__ = ["COLUMNS", "OPERATORS", "Observation", "calibration_targets", "load_registry",
           "observation", "parse_registry", "target"]

#: Columns of the registry CSV, in order.
COLUMNS: tuple[str, ...] = (
    "id", "quantity", "value", "sd", "sd_basis", "low", "high", "unit", "species", "method",
    "output", "operator", "layer", "time_day", "device", "needle_um", "sessions",
    "interval_days", "use", "citation_key", "citation", "passes")

#: Observation operators (how a model result becomes the observed number); the functions are
#: in :mod:`dermsim.calibration.operators` (model-side) or in the validation case named in
#: the ``use`` column. ``none``: no model output yet (kept for the record).
OPERATORS: dict[str, str] = {
    "effective_depth": "mean effective needle depth of the first session [um]",
    "first_peak_h": "time of the first local maximum of the injured-band mean [h]",
    "second_peak_day": "first local maximum after day 1 of the injured-band mean [day]",
    "peak_day": "day of the maximum of the injured-band mean [day]",
    "ratio_to_peak": "injured-band mean at time_day divided by its maximum",
    "elevated_until_day": "last day the layer mean exceeds its baseline [day]",
    "rise90_day": "day the layer mean reaches 90 % of its maximum rise [day]",
    "baseline": "value without any session",
    "value_at": "layer mean at time_day after the first session",
    "maximum": "maximum of the variable over the run (e.g. the hottest tissue cell)",
    "value_after_last": "layer mean at time_day after the last session",
    "downtime_h": "hours until the erythema index falls below its threshold (or, if later, "
                  "an epidermal burn is re-epithelialised)",
    "replacement_day": "days after the last session until the RF-coagulated dermal matrix "
                       "is 90 % replaced [day]",
    "channel_closure_90_h": "hours until 90 % of the open channel surface has closed",
    "zone_extent": "RF coagulation zone size of one pulse [um]",
    "none": "no model output yet",
}

_LAYERS = ("", "injured", "papillary", "reticular", "dermis")


@dataclass(frozen=True)
class Observation:
    """One published observation (one registry row); numbers in ``unit``.

    ``value``/``sd`` are NaN for direction-only observations; ``low``/``high`` is the target
    window a validation case accepts (``inf`` where open).
    """

    id: str
    quantity: str
    value: float
    sd: float
    sd_basis: str
    low: float
    high: float
    unit: str
    species: str
    method: str
    output: str
    operator: str
    layer: str
    time_day: float
    device: str
    needle_um: float
    sessions: int
    interval_days: float
    use: tuple[str, ...]
    citation_key: str
    citation: str
    #: passes of the device per session in the study (NaN: the device preset's default)
    passes: float = math.nan

    @property
    def calibrates(self) -> bool:
        """Whether the calibration likelihood uses this observation."""
        return "calibration" in self.use and math.isfinite(self.value)

    def inside(self, x: float) -> bool:
        """Whether ``x`` lies in the target window ``[low, high]``."""
        return self.low <= x <= self.high


def _num(text: str, row: str, col: str, blank: float = math.nan) -> float:
    text = text.strip()
    if not text:
        return blank
    try:
        return float(text)
    except ValueError:
        raise DermsimError(f"literature registry row {row!r}: column {col} = {text!r} is not "
                           "a number") from None


def _row(rec: dict[str, str], line: int) -> Observation:
    rid = (rec.get("id") or "").strip()
    if not rid:
        raise DermsimError(f"literature registry line {line}: empty id")
    missing = [c for c in COLUMNS if rec.get(c) is None]
    if missing or None in rec:
        raise DermsimError(f"literature registry row {rid!r}: expected {len(COLUMNS)} columns")
    v, sd = _num(rec["value"], rid, "value"), _num(rec["sd"], rid, "sd")
    lo, hi = _num(rec["low"], rid, "low", -math.inf), _num(rec["high"], rid, "high", math.inf)
    if not lo <= hi:
        raise DermsimError(f"literature registry row {rid!r}: low {lo:g} > high {hi:g}")
    if math.isfinite(v) and not (sd > 0):
        raise DermsimError(f"literature registry row {rid!r}: a value needs an sd > 0")
    if rec["operator"] not in OPERATORS:
        raise DermsimError(f"literature registry row {rid!r}: unknown operator "
                           f"{rec['operator']!r} (one of {', '.join(OPERATORS)})")
    if rec["layer"] not in _LAYERS:
        raise DermsimError(f"literature registry row {rid!r}: unknown layer {rec['layer']!r}")
    out = rec["output"].strip()
    if out != "-":
        from dermsim import schema

        if out not in schema.QUANTITIES:
            raise DermsimError(f"literature registry row {rid!r}: output {out!r} is not a "
                               "dermsim result variable or outcome")
    if not rec["citation_key"].strip() or not rec["citation"].strip():
        raise DermsimError(f"literature registry row {rid!r}: citation missing")
    sessions = _num(rec["sessions"], rid, "sessions", 1.0)
    return Observation(
        rid, rec["quantity"], v, sd, rec["sd_basis"], lo, hi, rec["unit"], rec["species"],
        rec["method"], out, rec["operator"], rec["layer"], _num(rec["time_day"], rid,
                                                                "time_day"),
        rec["device"], _num(rec["needle_um"], rid, "needle_um"), int(sessions),
        _num(rec["interval_days"], rid, "interval_days"), tuple(rec["use"].split()),
        rec["citation_key"].strip(), rec["citation"].strip(),
        _num(rec["passes"], rid, "passes"))


def parse_registry(text: str) -> dict[str, Observation]:
    """Validate registry CSV text and return its observations by id (one-line errors)."""
    reader = csv.DictReader(io.StringIO(text))
    if tuple(reader.fieldnames or ()) != COLUMNS:
        raise DermsimError(f"literature registry: header must be {','.join(COLUMNS)}")
    out: dict[str, Observation] = {}
    for line, rec in enumerate(reader, start=2):
        obs = _row(rec, line)
        if obs.id in out:
            raise DermsimError(f"literature registry: id {obs.id!r} appears twice")
        out[obs.id] = obs
    return out


@lru_cache(maxsize=4)
def load_registry(path: str | None = None) -> dict[str, Observation]:
    """The registry shipped with dermsim (or the CSV at ``path``), by id."""
    if path is None:
        text = resources.files("dermsim.data.literature").joinpath(
            "observations.csv").read_text(encoding="utf-8")
    else:
        text = Path(path).read_text(encoding="utf-8")
    return parse_registry(text)


def observation(obs_id: str) -> Observation:
    """One observation of the shipped registry (``DermsimError`` naming an unknown id)."""
    reg = load_registry()
    if obs_id not in reg:
        import difflib

        close = difflib.get_close_matches(obs_id, list(reg), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise DermsimError(f"literature registry has no observation {obs_id!r}{hint}")
    return reg[obs_id]


#: Every id read through :func:`target` in this process (tests check that the validation
#: cases read theirs from the registry).
READ_IDS: set[str] = set()


def target(obs_id: str) -> Observation:
    """The observation a validation case compares with (recorded in :data:`READ_IDS`)."""
    obs = observation(obs_id)
    READ_IDS.add(obs_id)
    return obs


def calibration_targets(ids: Iterable[str] | None = None) -> list[Observation]:
    """The observations the calibration likelihood uses (all with ``calibration`` in their
    ``use`` column and a value, or the given ids)."""
    reg = load_registry()
    if ids is None:
        return [o for o in reg.values() if o.calibrates]
    return [observation(i) for i in ids]
