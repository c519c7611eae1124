"""Outcomes of a remodelling run: layer means, collagen change, peaks, downtime, plateau.

Functions of the Dataset returned by :func:`dermsim.remodelling.simulate_remodelling`;
:func:`summary_outcomes` gives the scalar outcomes reported by :mod:`dermsim.metrics`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import xarray as xr

from dermsim.remodelling.clinical import dermal_matrix_courses
from dermsim.remodelling.healing import downtime_with_wounds, matrix_replacement_day

#: one layer label per band (a sequence or an array)
Labels = Sequence[Any] | np.ndarray


def _weights(ds: xr.Dataset) -> xr.DataArray:
    if "band_thickness" in ds:
        return ds["band_thickness"]
    return xr.ones_like(ds["band"], dtype=float)


def _labels(ds: xr.Dataset, band_layer: Labels) -> np.ndarray:
    lab = np.asarray(band_layer)
    if lab.shape != (ds.sizes["band"],):
        raise ValueError(f"band_layer must have one label per band ({ds.sizes['band']})")
    return lab


def layer_mean(
    ds: xr.Dataset,
    var: str,
    band_layer: Labels,
    layers: Sequence[Any] | None = None,
) -> xr.DataArray:
    """Thickness-weighted mean of ``ds[var]`` over the bands of each layer.

    Parameters
    ----------
    ds
        Result of :func:`simulate_remodelling`.
    var
        Variable with dims (time, band).
    band_layer
        One label per band (layer index or name), as given by the caller's grid.
    layers
        Labels to report (default: all labels present, in order of first appearance).

    Returns
    -------
    xarray.DataArray
        Dims (time, layer).
    """
    lab = _labels(ds, band_layer)
    if layers is None:
        _, first = np.unique(lab, return_index=True)
        layers = [lab[i] for i in sorted(first)]
    w = _weights(ds)
    cols = []
    for layer in layers:
        m = xr.DataArray(lab == layer, dims="band")
        if not bool(m.any()):
            raise ValueError(f"no band carries layer label {layer!r}")
        ww = w.where(m, 0.0)
        cols.append((ds[var] * ww).sum("band") / ww.sum("band"))
    out = xr.concat(cols, dim="layer").assign_coords(layer=("layer", list(layers)))
    out.attrs = dict(ds[var].attrs)
    return out.transpose("time", "layer")


def collagen_change(
    ds: xr.Dataset,
    times_day: Sequence[float] | np.ndarray,
    band_layer: Labels | None = None,
    layers: Sequence[Any] | None = None,
) -> xr.Dataset:
    """Collagen I, III and total relative change vs baseline at chosen times.

    Parameters
    ----------
    ds
        Result of :func:`simulate_remodelling`.
    times_day
        Times [day] (linear interpolation between outputs).
    band_layer, layers
        Optional band -> layer labels; when given, layer averages (thickness-weighted, i.e.
        the relative change of the layer's collagen content) are added with dim ``layer``.

    Returns
    -------
    xarray.Dataset
        ``collagen_I_rel_change``, ``collagen_III_rel_change``,
        ``collagen_total_rel_change`` with dims (time, band) and, with ``band_layer``,
        the same names suffixed ``_layer`` with dims (time, layer).
    """
    names = ["collagen_I_rel_change", "collagen_III_rel_change", "collagen_total_rel_change"]
    t = np.atleast_1d(np.asarray(times_day, dtype=float))
    sub = ds[[*names, "band_thickness"]].interp(time=t)
    out = xr.Dataset({n: sub[n] for n in names})
    if band_layer is not None:
        for n in names:
            out[n + "_layer"] = layer_mean(sub, n, band_layer, layers)
    return out


def ratio_I_III(
    ds: xr.Dataset, band_layer: Labels | None = None, layer: Any = None
) -> xr.DataArray:
    """Collagen I : III ratio over time, per band or for one layer (content ratio)."""
    if band_layer is None or layer is None:
        return ds["collagen_I_III_ratio"]
    lab = _labels(ds, band_layer)
    m = xr.DataArray(lab == layer, dims="band")
    w = _weights(ds).where(m, 0.0)
    r = (ds["collagen_I"] * w).sum("band") / (ds["collagen_III"] * w).sum("band")
    r.attrs = {"units": "1", "long_name": f"collagen I : III ratio ({layer})"}
    return r


def _series(
    ds: xr.Dataset, var: str, band_layer: Labels | None, layer: Any, reduce: str
) -> xr.DataArray:
    if band_layer is not None and layer is not None:
        return layer_mean(ds, var, band_layer, [layer]).isel(layer=0)
    if reduce == "max":
        return ds[var].max("band")
    w = _weights(ds)
    return (ds[var] * w).sum("band") / w.sum("band")


def peak_inflammation(
    ds: xr.Dataset,
    var: str = "macrophages",
    band_layer: Labels | None = None,
    layer: Any = None,
    after_day: float | None = None,
    before_day: float | None = None,
) -> tuple[float, float]:
    """Peak of an inflammation variable and the day it occurs.

    The series is the layer mean when ``band_layer`` and ``layer`` are given, otherwise the
    maximum over bands at each time.  Returns ``(peak value, day of peak)``; the peak day
    is refined by a parabola through the three samples around the discrete maximum.
    """
    s = _series(ds, var, band_layer, layer, "max")
    t = s["time"].values
    v = s.values
    m = np.ones(t.size, dtype=bool)
    if after_day is not None:
        m &= t >= after_day
    if before_day is not None:
        m &= t <= before_day
    idx = np.flatnonzero(m)
    k = idx[int(np.argmax(v[idx]))]
    return float(v[k]), float(refine_peak(t, v, k))


def refine_peak(t: np.ndarray, v: np.ndarray, k: int) -> float:
    if 0 < k < t.size - 1:
        t0, t1, t2 = t[k - 1 : k + 2]
        v0, v1, v2 = v[k - 1 : k + 2]
        den = (t0 - t1) * (t0 - t2) * (t1 - t2)
        if den != 0.0:
            a = (t2 * (v1 - v0) + t1 * (v0 - v2) + t0 * (v2 - v1)) / den
            b = (t2**2 * (v0 - v1) + t1**2 * (v2 - v0) + t0**2 * (v1 - v2)) / den
            if a < 0.0:
                tv = -b / (2.0 * a)
                if t0 <= tv <= t2:
                    return float(tv)
    return float(t[k])


def downtime_h(
    ds: xr.Dataset, session_day: float | None = None, threshold_um: float | None = None
) -> float:
    """Downtime proxy: hours after a session until the erythema index falls below threshold.

    The proxy is the depth-integrated erythema index ``sum_b R_b / (1 + R_b) dz_b`` [um]
    (``R`` is the vasoactive-mediator level of a band, released in proportion to the
    injury dose and decaying with ``erythema_mediator_half_life_h``), with
    threshold ``remodelling.erythema_threshold_um`` (calibrated to V11: erythema resolves
    within 3-72 h).  The crossing is interpolated linearly between output samples; the
    search ends at the next session.  Returns 0 if the index never exceeds the threshold
    and NaN if it has not fallen below it before the next session / end of the run.
    """
    sessions = np.atleast_1d(np.asarray(ds.attrs.get("session_days", []), dtype=float))
    if session_day is None:
        if sessions.size == 0:
            raise ValueError("dataset has no sessions; pass session_day")
        session_day = float(sessions[0])
    thr = float(ds.attrs["erythema_threshold_um"] if threshold_um is None else threshold_um)
    later = sessions[sessions > session_day + 1e-12]
    t_stop = float(later[0]) if later.size else float(ds["time"].values[-1])
    t = ds["time"].values
    v = ds["erythema_index"].values
    m = (t >= session_day) & (t < t_stop) if later.size else (t >= session_day)
    tt, vv = t[m], v[m]
    above = np.flatnonzero(vv >= thr)
    if above.size == 0:
        return 0.0
    k = above[-1]
    if k == tt.size - 1:
        return float("nan")
    t_cross = tt[k] + (vv[k] - thr) / (vv[k] - vv[k + 1]) * (tt[k + 1] - tt[k])
    return float((t_cross - session_day) * 24.0)


def time_to_plateau_day(
    ds: xr.Dataset,
    var: str = "collagen_I_rel_change",
    band_layer: Labels | None = None,
    layer: Any = None,
    fraction: float = 0.9,
    after_day: float | None = None,
) -> float:
    """Days after ``after_day`` (default: the last session) until ``var`` reaches
    ``fraction`` of its maximum over the rest of the run.

    The series is the layer mean (``band_layer``, ``layer``) or the thickness-weighted
    column mean.  Returns NaN if the maximum is not positive or if the series is still
    rising at the end of the run (growth over the last 30 days larger than
    ``(1 - fraction)`` of the maximum): the plateau was not reached within the run.
    """
    sessions = np.atleast_1d(np.asarray(ds.attrs.get("session_days", []), dtype=float))
    if after_day is None:
        after_day = float(sessions[-1]) if sessions.size else float(ds["time"].values[0])
    s = _series(ds, var, band_layer, layer, "mean")
    t = s["time"].values
    v = s.values
    m = t >= after_day
    t, v = t[m], v[m]
    vmax = float(v.max())
    if vmax <= 0.0:
        return float("nan")
    k_end = np.searchsorted(t, t[-1] - 30.0)
    if int(np.argmax(v)) == v.size - 1 and v[-1] - v[min(k_end, v.size - 1)] > (
        1.0 - fraction
    ) * vmax:
        return float("nan")
    k = int(np.flatnonzero(v >= fraction * vmax)[0])
    if k == 0:
        return float(t[0] - after_day)
    tc = t[k - 1] + (fraction * vmax - v[k - 1]) / (v[k] - v[k - 1]) * (t[k] - t[k - 1])
    return float(tc - after_day)


def summary_outcomes(
    ds: xr.Dataset,
    band_layer: Labels,
    at_day: float | None = None,
    papillary: Any = "papillary",
    reticular: Any = "reticular",
) -> dict[str, float]:
    """Scalar remodelling outcomes of one run (names as in ``metrics.OUTCOME_NAMES``).

    Parameters
    ----------
    ds
        Result of :func:`simulate_remodelling`.
    band_layer
        One layer label per band; ``papillary`` and ``reticular`` name the dermal layers.
    at_day
        Time of the collagen and ratio outcomes [day] (default: end of the run).

    Returns
    -------
    dict
        ``collagen_I_change_pct`` (dermis = papillary + reticular, thickness-weighted),
        ``collagen_I_change_papillary_pct``, ``collagen_I_change_reticular_pct``,
        ``collagen_III_change_pct`` (dermis), ``ratio_I_III_end`` (dermis content ratio),
        ``peak_inflammation`` (peak dermal-mean macrophage excess [cells/mm^3]),
        ``downtime_h`` (first session: the longer of the erythema downtime and the
        re-epithelialisation time, :func:`wound_downtime_outcomes`),
        ``reepithelialisation_h`` (first session), ``time_to_plateau_day`` (dermal collagen
        I, days after the last session; NaN if still rising), ``matrix_replacement_day``
        (days after the last session until the dermal thermal defect is 90 % replaced),
        ``dermal_thickness_change_pct`` and ``dermal_density_change_pct``
        (:func:`clinical_outcomes`).
    """
    t = float(ds["time"].values[-1]) if at_day is None else float(at_day)
    lab = np.asarray(band_layer).astype(object)
    derm = np.where(np.isin(lab, [papillary, reticular]), "dermis", "other")
    if not np.any(derm == "dermis"):
        raise ValueError("band_layer has no papillary or reticular band")
    ch = collagen_change(ds, [t], derm, ["dermis"])
    chl = collagen_change(ds, [t], lab, [x for x in (papillary, reticular) if x in set(lab)])

    def pct(d: xr.Dataset, var: str, layer: Any) -> float:
        if layer not in list(d["layer"].values):
            return float("nan")
        return float(d[var + "_layer"].isel(time=0).sel(layer=layer)) * 100.0

    sub = ds.sel(time=slice(None, t))
    r = ratio_I_III(sub, derm, "dermis")
    out = {
        "collagen_I_change_pct": pct(ch, "collagen_I_rel_change", "dermis"),
        "collagen_I_change_papillary_pct": pct(chl, "collagen_I_rel_change", papillary),
        "collagen_I_change_reticular_pct": pct(chl, "collagen_I_rel_change", reticular),
        "collagen_III_change_pct": pct(ch, "collagen_III_rel_change", "dermis"),
        "ratio_I_III_end": float(r.isel(time=-1)),
        "peak_inflammation": peak_inflammation(sub, "macrophages", derm, "dermis")[0],
        "downtime_h": downtime_h(ds) if np.size(ds.attrs.get("session_days", [])) else 0.0,
        "time_to_plateau_day": time_to_plateau_day(ds, "collagen_I_rel_change", derm, "dermis"),
        "matrix_replacement_day": thermal_replacement_day(ds, derm, "dermis"),
    }
    out.update(clinical_outcomes(ds, derm == "dermis", t))
    out.update(wound_downtime_outcomes(ds, out["downtime_h"]))
    return out


def clinical_outcomes(ds: xr.Dataset, dermis: np.ndarray, at_day: float) -> dict[str, float]:
    """``dermal_thickness_change_pct`` and ``dermal_density_change_pct`` at ``at_day`` (NaN
    when the result does not carry the read-out parameters in its attrs); see
    :mod:`dermsim.remodelling.clinical`."""
    try:
        phi = float(ds.attrs["dermal_matrix_volume_fraction"])
        r3 = float(ds.attrs["collagen_III_echogenicity"])
    except KeyError:
        return {"dermal_thickness_change_pct": float("nan"),
                "dermal_density_change_pct": float("nan")}
    courses = dermal_matrix_courses(ds, dermis, phi, r3)
    at = {k: 100.0 * float(v.interp(time=at_day)) for k, v in courses.items()}
    return {"dermal_thickness_change_pct": at["dermal_thickness_rel_change"],
            "dermal_density_change_pct": at["dermal_density_rel_change"]}


def wound_downtime_outcomes(ds: xr.Dataset, erythema_downtime_h: float) -> dict[str, float]:
    """``reepithelialisation_h`` of the first session (attr ``reepithelialisation_h`` of the
    run, 0 if absent) and ``downtime_h``, the longer of it and the erythema downtime."""
    reepi = np.atleast_1d(np.asarray(ds.attrs.get("reepithelialisation_h", [0.0]), float))
    first = float(reepi[0]) if reepi.size else 0.0
    return {"reepithelialisation_h": first,
            "downtime_h": downtime_with_wounds(erythema_downtime_h, first)}


def thermal_replacement_day(ds: xr.Dataset, band_layer: Labels | None = None,
                            layer: Any = None, fraction: float = 0.1) -> float:
    """Days after the last session until the unreplaced thermal defect (``denatured_matrix``
    + ``matrix_defect``, layer mean or column mean) falls below ``fraction`` of its
    post-session value (:func:`~dermsim.remodelling.healing.matrix_replacement_day`); NaN
    without coagulation."""
    if "denatured_matrix" not in ds or "matrix_defect" not in ds:
        return float("nan")
    total = ds["denatured_matrix"] + ds["matrix_defect"]
    probe = ds.assign(unreplaced_defect=total)
    s = _series(probe, "unreplaced_defect", band_layer, layer, "mean")
    sessions = np.atleast_1d(np.asarray(ds.attrs.get("session_days", []), dtype=float))
    return matrix_replacement_day(s, sessions, fraction)


