"""Observation operators: from a dermsim result to the number a study reported.

Each registry observation names a model output (a :mod:`dermsim.schema` name) and an operator
(``peak_day``, ``value_after_last``, …; listed in :data:`dermsim.calibration.registry.
OPERATORS`). :func:`observation_table` turns the observation's protocol into a scenario table
on a given grid; :func:`apply_operator` computes the observed quantity from the result of that
scenario. Both address outputs by name only, so they work for any model version whose result
carries the named variables.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import xarray as xr

from dermsim.calibration.registry import Observation
from dermsim.errors import DermsimError

__all__ = ["CALIBRATION_GRID", "LONG_FOLLOW_UP_DAYS", "LONG_OPERATORS",
           "REPLACEMENT_FOLLOW_UP_FACTOR", "SINGLE_FOLLOW_UP_DAYS", "apply_operator",
           "layer_course", "observation_table", "peak_time", "scenario_key"]

#: Grid of the calibration runs (coarse: the remodelling drive is a band average, so a coarse
#: slice changes it little and keeps the session stages cheap; numerics choice).
CALIBRATION_GRID: dict[str, float] = {"h_um": 20.0, "width_um": 3000.0}
#: Follow-up after a single session [day]: long enough for every early peak (cells ≤ 14 d).
SINGLE_FOLLOW_UP_DAYS = 30.0
#: Operators about the slow matrix (collagen I rise, collagen III share) need the whole
#: remodelling course: their study runs follow one session for this long [day].
LONG_FOLLOW_UP_DAYS = 365.0
LONG_OPERATORS = frozenset({"rise90_day", "elevated_until_day"})
#: Follow-up of a ``replacement_day`` observation, in units of its ``time_day`` (the time the
#: study saw the replacement complete): long enough to find a slower replacement.
REPLACEMENT_FOLLOW_UP_FACTOR = 2.0

_LAYER_INDEX = {"papillary": "papillary_dermis", "reticular": "reticular_dermis"}


def observation_table(obs: Observation, grid: Mapping[str, float] | None = None,
                      seed: int = 20261121) -> dict[str, Any]:
    """The scenario table of the study behind ``obs`` (device, needle, protocol, grid)."""
    if not obs.device:
        raise DermsimError(f"observation {obs.id}: no device given, cannot be simulated")
    sessions = max(obs.sessions, 1)
    interval = obs.interval_days if math.isfinite(obs.interval_days) else 28.0
    last = (sessions - 1) * interval
    t = obs.time_day if math.isfinite(obs.time_day) else 0.0
    if obs.operator == "value_after_last":
        follow = t
    elif obs.operator == "replacement_day":
        follow = REPLACEMENT_FOLLOW_UP_FACTOR * max(t, SINGLE_FOLLOW_UP_DAYS)
    elif obs.operator == "value_at":
        follow = max(t - last, 0.0) + 1.0
    elif obs.operator in LONG_OPERATORS:
        follow = LONG_FOLLOW_UP_DAYS
    else:
        follow = max(SINGLE_FOLLOW_UP_DAYS, t - last + 1.0)
    device: dict[str, Any] = {"preset": obs.device}
    if math.isfinite(obs.needle_um):
        device["needle_length_um"] = obs.needle_um
    if math.isfinite(obs.passes):
        device["passes"] = int(obs.passes)
    return {"name": f"cal_{obs.id}", "seed": seed, "skin": {"site": "cheek"},
            "device": device,
            "protocol": {"sessions": sessions, "interval_days": interval,
                         "follow_up_days": follow},
            "grid": dict(grid or CALIBRATION_GRID)}


def scenario_key(table: Mapping[str, Any]) -> str:
    """Observations whose scenario tables agree (but for the name) share one run."""
    import json

    return json.dumps({k: v for k, v in table.items() if k != "name"}, sort_keys=True)


def _band_weights(ds: xr.Dataset, layer: str) -> np.ndarray:
    """Thickness weights of the bands of ``layer`` (``injured``: reached in session 1)."""
    w = ds["band_thickness"].values.astype(float) if "band_thickness" in ds else \
        np.ones(ds.sizes["band"])
    if layer == "injured":
        mask = ds["band_injury"].isel(session=0).values > 0
    elif layer in _LAYER_INDEX:
        from dermsim.tissue import LAYER_NAMES

        mask = ds["band_layer"].values == LAYER_NAMES.index(_LAYER_INDEX[layer])
    else:  # dermis
        from dermsim.tissue import LAYER_NAMES

        mask = np.isin(ds["band_layer"].values,
                       [LAYER_NAMES.index(v) for v in _LAYER_INDEX.values()])
    if not mask.any():
        raise DermsimError(f"no band in layer {layer!r} of this result")
    return np.where(mask, w, 0.0)


def layer_course(ds: xr.Dataset, var: str, layer: str) -> tuple[np.ndarray, np.ndarray]:
    """Time [day] and the thickness-weighted layer mean of a (time, band) variable."""
    if var not in ds:
        raise DermsimError(f"the result has no variable {var!r}")
    w = _band_weights(ds, layer)
    v = ds[var].transpose("time", "band").values
    return ds["time"].values.astype(float), (v * w).sum(axis=1) / w.sum()


def peak_time(t: np.ndarray, v: np.ndarray, k: int) -> float:
    """Time of the sample maximum ``k`` refined by a parabola through its neighbours."""
    if 0 < k < t.size - 1:
        t0, t1, t2 = t[k - 1: k + 2]
        v0, v1, v2 = v[k - 1: k + 2]
        den = (t0 - t1) * (t0 - t2) * (t1 - t2)
        a = (t2 * (v1 - v0) + t1 * (v0 - v2) + t0 * (v2 - v1)) / den if den else 0.0
        if a < 0:
            b = (t2**2 * (v0 - v1) + t1**2 * (v2 - v0) + t0**2 * (v1 - v2)) / den
            tv = -b / (2 * a)
            if t0 <= tv <= t2:
                return float(tv)
    return float(t[k])


def _local_maxima(t: np.ndarray, v: np.ndarray) -> list[float]:
    k = np.flatnonzero((v[1:-1] > v[:-2]) & (v[1:-1] >= v[2:])) + 1
    return [peak_time(t, v, int(i)) for i in k]


def _percent(obs: Observation, ds: xr.Dataset, x: float) -> float:
    units = ds[obs.output].attrs.get("units", "1") if obs.output in ds else "1"
    return 100.0 * x if obs.unit == "%" and units in ("1", "") else x


def apply_operator(obs: Observation, ds: xr.Dataset) -> float:
    """The model's value of ``obs`` from the result ``ds`` of :func:`observation_table`'s
    scenario, in the observation's unit (NaN where the result cannot give it)."""
    op, var, layer = obs.operator, obs.output, obs.layer or "dermis"
    if op == "effective_depth":
        return float(ds["effective_depth"].values[0])
    if op in ("downtime_h", "replacement_day"):
        from dermsim.metrics import scalar_outcomes

        key = "downtime_h" if op == "downtime_h" else "matrix_replacement_day"
        return float(scalar_outcomes(ds)[key])
    if op == "maximum":
        if var not in ds:
            raise DermsimError(f"the result has no variable {var!r}")
        return float(ds[var].max())
    if op in ("value_at", "value_after_last"):
        t0 = float(ds["session_day"].values[-1]) if op == "value_after_last" else 0.0
        if var in ds and ds[var].dims == ("time",):  # already a dermis-wide time course
            t, v = ds["time"].values.astype(float), ds[var].values
        else:
            t, v = layer_course(ds, var, layer)
        return _percent(obs, ds, float(np.interp(t0 + obs.time_day, t, v)))
    t, v = layer_course(ds, var, layer)
    if op == "peak_day":
        return peak_time(t, v, int(np.argmax(v)))
    if op == "first_peak_h":
        peaks = _local_maxima(t, v)
        return 24.0 * peaks[0] if peaks else math.nan
    if op == "second_peak_day":
        return next((p for p in _local_maxima(t, v) if p > 1.0), math.nan)
    if op == "ratio_to_peak":
        return float(np.interp(obs.time_day, t, v) / v.max()) if v.max() > 0 else math.nan
    if op == "rise90_day":
        rise = v - v[0]
        return float(t[np.flatnonzero(rise >= 0.9 * rise.max())[0]]) if rise.max() > 0 \
            else math.nan
    if op == "elevated_until_day":
        up = t[v > v[0] * (1 + 1e-3)]
        return float(up.max()) if up.size else 0.0
    raise DermsimError(f"observation {obs.id}: operator {op!r} is not computed from a "
                       "pipeline result (it is checked by its validation case)")
