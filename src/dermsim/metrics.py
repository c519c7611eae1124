"""Scalar outcomes from a result Dataset (no plotting, no simulation)."""

from __future__ import annotations

from typing import Any

import numpy as np
import xarray as xr

from dermsim import schema


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
    """Rows of the terminal summary of ``dermsim run`` (label with units, value); labels and
    units come from :mod:`dermsim.schema`."""
    p = penetration_summary(ds)
    rows: list[tuple[str, Any]] = [
        ("sessions", int(ds.sizes["session"])),
        ("site / device", f"{ds.attrs.get('site')} / {ds.attrs.get('device_preset')}"),
        ("penetration values of", f"session {int(ds['session'].values[0])}"),
        (schema.label("nominal_length"), p["nominal_length_um"]),
        (schema.label("effective_depth"), p["effective_depth_um"]),
        ("deepest layer reached", p["deepest_layer"].replace("_", " ")),
        (schema.label("bleeding_fraction", variable=True), p["bleeding_fraction"]),
        (schema.label("punctures_per_cm2") + " per session", p["punctures_per_cm2"]),
        ("skin surface punctured [%]", 100 * p["surface_fraction_punctured"]),
        (schema.label("epidermal_injury"), p["epidermal_injury_mm3_per_cm2"]),
        (schema.label("dermal_injury"), p["dermal_injury_mm3_per_cm2"]),
    ]
    o = scalar_outcomes(ds)
    for key in SUMMARY_OUTCOMES:
        if not np.isfinite(o[key]):
            continue
        if key == "collagen_III_change_pct" and "time" in ds:
            rows.append(("collagen values at", f"day {float(ds['time'].values[-1]):g} "
                                               "(end of the follow-up)"))
        rows.append((schema.label(key), o[key]))
    return rows


#: Outcomes shown (when simulated) below the penetration rows of the ``dermsim run`` summary.
SUMMARY_OUTCOMES: tuple[str, ...] = (
    "max_temperature_C", "coagulated_fraction", "peak_inflammation", "downtime_h",
    "collagen_III_change_pct", "collagen_I_change_pct", "collagen_I_change_papillary_pct",
    "collagen_I_change_reticular_pct", "ratio_I_III_end", "time_to_plateau_day",
    "dermal_thickness_change_pct", "dermal_density_change_pct",
)


def finite_or_nan(x: Any) -> float:
    v = float(x)
    return v if np.isfinite(v) else float("nan")


#: Names of the scalar outcomes every result reports (NaN when a stage did not run); units,
#: long names and the better direction are in :mod:`dermsim.schema`.
OUTCOME_NAMES: tuple[str, ...] = schema.OUTCOME_NAMES

#: Units and long names of the scalar outcomes (a view of :mod:`dermsim.schema`).
OUTCOME_ATTRS: dict[str, tuple[str, str]] = {
    q.name: (q.units, q.long_name) for q in schema.OUTCOMES}


def scalar_outcomes(ds: xr.Dataset, at_day: float | None = None) -> dict[str, float]:
    """All scalar outcomes of a result, keyed by :data:`OUTCOME_NAMES` (NaN if absent).

    Penetration outcomes are for the first session; the others are over the protocol, the
    collagen changes and ratio at ``at_day`` (default: the end of the run).
    """
    p = penetration_summary(ds)
    out = {name: float("nan") for name in OUTCOME_NAMES}
    for key in ("bleeding_fraction", "surface_fraction_punctured",
                "epidermal_injury_mm3_per_cm2", "dermal_injury_mm3_per_cm2"):
        out[key] = p[key]
    out["effective_depth_um"] = p["effective_depth_um"]
    if "collagen_I_rel_change" in ds:
        out.update(remodelling_outcomes(ds, at_day))
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


def comparison_days(results: list[xr.Dataset]) -> tuple[float, list[float]]:
    """The common comparison time of several results: ``N`` days after each one's last
    session, ``N`` being the shortest follow-up among them (so every result is compared at
    the same time after its course, within its simulated period).

    Returns
    -------
    (N, days)
        ``days`` is the absolute day compared in each result.
    """
    last = [float(ds["session_day"].values[-1]) for ds in results]
    ends = [float(ds["time"].values[-1]) if "time" in ds else s for ds, s in zip(results, last)]
    follow = min(e - s for e, s in zip(ends, last))
    return follow, [s + follow for s in last]


def outcomes_csv(columns: dict[str, dict[str, float]]) -> str:
    """CSV text of outcomes: one row per outcome (name, long name, units, better direction)
    and one value column per entry of ``columns`` (e.g. per scenario)."""
    import csv
    import io

    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["outcome", "long_name", "units", "better", *columns])
    for name in OUTCOME_NAMES:
        q = schema.get(name)
        vals = [columns[c].get(name, float("nan")) for c in columns]
        w.writerow([name, q.long_name, q.units, q.better or "",
                    *("" if v != v else f"{v:.6g}" for v in vals)])
    return buf.getvalue()
