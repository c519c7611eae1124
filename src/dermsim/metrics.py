"""Scalar outcomes from a result Dataset (no plotting, no simulation)."""

from __future__ import annotations

from typing import Any

import numpy as np
import xarray as xr


def penetration_summary(ds: xr.Dataset, session: int | None = None) -> dict[str, Any]:
    """Headline penetration outcomes of one session (default: the first)."""
    s = ds.sel(session=int(ds["session"].values[0]) if session is None else session)
    names = [str(n) for n in ds["layer_name"].values]
    deepest = int(s["deepest_layer"])
    return {
        "nominal_length_um": float(s["nominal_length"]),
        "effective_depth_um": float(s["effective_depth"]),
        "efficiency": float(s["efficiency"]),
        "deepest_layer": names[deepest] if deepest >= 0 else "none",
        "bleeding_fraction": float(s["bleeding_fraction"]),
        "punctures_per_cm2": float(s["punctures_per_cm2"]),
        "surface_fraction_punctured": float(s["surface_fraction_punctured"]),
        "epidermal_injury_mm3_per_cm2": float(s["epidermal_injury"]),
        "dermal_injury_mm3_per_cm2": float(s["dermal_injury"]),
    }


def summary_rows(ds: xr.Dataset) -> list[tuple[str, Any]]:
    """Rows of the terminal summary of ``dermsim run`` (name with unit, value)."""
    p = penetration_summary(ds)
    rows: list[tuple[str, Any]] = [
        ("sessions", int(ds.sizes["session"])),
        ("site / device", f"{ds.attrs.get('site')} / {ds.attrs.get('device_preset')}"),
        ("nominal needle length [um]", p["nominal_length_um"]),
        ("mean effective depth [um]", p["effective_depth_um"]),
        ("deepest layer reached", p["deepest_layer"].replace("_", " ")),
        ("pinpoint bleeding (fraction of needles)", p["bleeding_fraction"]),
        ("punctures per cm2 per session", p["punctures_per_cm2"]),
        ("surface punctured [%]", 100 * p["surface_fraction_punctured"]),
        ("epidermal injury [mm3/cm2]", p["epidermal_injury_mm3_per_cm2"]),
        ("dermal injury [mm3/cm2]", p["dermal_injury_mm3_per_cm2"]),
    ]
    for fn in EXTRA_SUMMARIES:
        rows.extend(fn(ds))
    return rows


#: Functions ``f(ds) -> rows`` adding stage outcomes (signalling, remodelling, RF).
EXTRA_SUMMARIES: list[Any] = []


def finite_or_nan(x: Any) -> float:
    v = float(x)
    return v if np.isfinite(v) else float("nan")


#: Names of the scalar outcomes every result reports (NaN when a stage did not run).
#: Units are in the names; changes are relative to the untreated baseline in percent.
OUTCOME_NAMES: tuple[str, ...] = (
    "effective_depth_um",
    "bleeding_fraction",
    "surface_fraction_punctured",
    "epidermal_injury_mm3_per_cm2",
    "dermal_injury_mm3_per_cm2",
    "collagen_I_change_pct",
    "collagen_I_change_papillary_pct",
    "collagen_I_change_reticular_pct",
    "collagen_III_change_pct",
    "ratio_I_III_end",
    "peak_inflammation",
    "downtime_h",
    "time_to_plateau_day",
    "coagulated_fraction",
    "max_temperature_C",
)

#: Functions ``f(ds) -> dict`` computing the stage outcomes (registered by the stages).
OUTCOME_FUNCTIONS: list[Any] = []


def scalar_outcomes(ds: xr.Dataset) -> dict[str, float]:
    """All scalar outcomes of a result, keyed by :data:`OUTCOME_NAMES` (NaN if absent).

    Penetration outcomes are for the first session; the others are over the protocol.
    """
    p = penetration_summary(ds)
    out = {name: float("nan") for name in OUTCOME_NAMES}
    for key in ("bleeding_fraction", "surface_fraction_punctured",
                "epidermal_injury_mm3_per_cm2", "dermal_injury_mm3_per_cm2"):
        out[key] = p[key]
    out["effective_depth_um"] = p["effective_depth_um"]
    for fn in OUTCOME_FUNCTIONS:
        out.update({k: finite_or_nan(v) for k, v in fn(ds).items()})
    return out
