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
    o = scalar_outcomes(ds)
    labels = {
        "max_temperature_C": "RF peak tissue temperature [degC]",
        "coagulated_fraction": "RF coagulated dermal volume fraction",
        "peak_inflammation": "peak inflammatory cells above baseline [cells/mm3]",
        "downtime_h": "downtime proxy after session 1 [h]",
        "collagen_III_change_pct": "collagen III change at the end, dermis [%]",
        "collagen_I_change_pct": "collagen I change at the end, dermis [%]",
        "collagen_I_change_papillary_pct": "  papillary dermis [%]",
        "collagen_I_change_reticular_pct": "  reticular dermis [%]",
        "ratio_I_III_end": "collagen I:III ratio at the end",
        "time_to_plateau_day": "collagen I plateau, days after last session",
    }
    for key, label in labels.items():
        if np.isfinite(o[key]):
            rows.append((label, o[key]))
    return rows


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

#: Units and long names of the scalar outcomes (for datasets and tables).
OUTCOME_ATTRS: dict[str, tuple[str, str]] = {
    "effective_depth_um": ("um", "mean effective needle penetration depth (first session)"),
    "bleeding_fraction": ("1", "fraction of needles reaching papillary capillaries "
                               "(first session)"),
    "surface_fraction_punctured": ("1", "fraction of the skin surface punctured "
                                        "(first session)"),
    "epidermal_injury_mm3_per_cm2": ("mm3/cm2", "injury-weighted epidermal volume per skin "
                                                "area (first session)"),
    "dermal_injury_mm3_per_cm2": ("mm3/cm2", "injury-weighted dermal volume per skin area "
                                             "(first session)"),
    "collagen_I_change_pct": ("%", "dermal collagen I change at the end (vs untreated)"),
    "collagen_I_change_papillary_pct": ("%", "papillary-dermis collagen I change at the end"),
    "collagen_I_change_reticular_pct": ("%", "reticular-dermis collagen I change at the end"),
    "collagen_III_change_pct": ("%", "dermal collagen III change at the end (vs untreated)"),
    "ratio_I_III_end": ("1", "collagen I : III ratio at the end of the follow-up"),
    "peak_inflammation": ("cells/mm3", "peak inflammatory cells above baseline"),
    "downtime_h": ("h", "downtime proxy: erythema after the first session"),
    "time_to_plateau_day": ("day", "collagen I plateau, days after the last session"),
    "coagulated_fraction": ("1", "RF-coagulated (Arrhenius Omega >= 1) dermal fraction"),
    "max_temperature_C": ("degC", "maximum tissue temperature"),
}


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
    if "collagen_I_rel_change" in ds:
        out.update(remodelling_outcomes(ds))
    if "rf_peak_temperature" in ds:
        out.update(rf_outcomes(ds))
    return {k: finite_or_nan(v) for k, v in out.items()}


def remodelling_outcomes(ds: xr.Dataset, at_day: float | None = None) -> dict[str, float]:
    """Collagen, inflammation and downtime outcomes of a result with remodelling.

    Changes are relative to the untreated baseline, in percent, at ``at_day`` (default: the
    end of the run), thickness-weighted over the dermis bands and per layer; see
    :func:`dermsim.remodelling.summary_outcomes`.
    """
    from dermsim import remodelling as rm
    from dermsim.tissue import LAYER_NAMES

    labels = [LAYER_NAMES[i] for i in ds["band_layer"].values]
    return rm.summary_outcomes(ds, labels, at_day, papillary="papillary_dermis",
                               reticular="reticular_dermis")


def rf_outcomes(ds: xr.Dataset) -> dict[str, float]:
    """RF outcomes: peak temperature and coagulated dermal volume fraction (session means)."""
    from dermsim.tissue import PAPILLARY, RETICULAR

    dermis = np.isin(ds["layer"].values, [PAPILLARY, RETICULAR])
    coag = ds["rf_coagulated"].values.astype(float)
    frac = [float(c[dermis].mean()) for c in coag]
    return {"max_temperature_C": float(ds["rf_peak_temperature"].max()),
            "coagulated_fraction": float(np.mean(frac))}
