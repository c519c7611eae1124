"""Posterior ensembles of a scenario: N members, quantiles of every outcome and time course.

Each member is the scenario with the posterior's parameter values (set by card name through
:func:`dermsim.with_overrides`). When the posterior holds only remodelling parameters the
pipeline reuses its memoised session stages (penetration, RF, signalling) for every member,
so a member costs one remodelling integration.
"""

from __future__ import annotations

import math
import time as _time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import xarray as xr

__all__ = ["QUANTILES", "band_text", "ensemble_dataset", "run_ensemble"]

#: Time courses also written as thickness-weighted dermis means (for the figure and summary).
DERMIS_COURSES: tuple[str, ...] = ("collagen_I_change", "collagen_III_change")
#: Quantiles written on the ``quantile`` dimension.
QUANTILES: tuple[float, float, float] = (0.05, 0.5, 0.95)


def _courses(ds: xr.Dataset) -> dict[str, xr.DataArray]:
    """The time courses of a result (every variable with a ``time`` dimension), float32."""
    return {str(k): v.astype(np.float32) for k, v in ds.data_vars.items()
            if "time" in v.dims and v.dtype.kind == "f"}


def ensemble_dataset(results: Sequence[xr.Dataset], members: Sequence[Mapping[str, float]],
                     ) -> xr.Dataset:
    """Quantiles over the members of every time course and scalar outcome.

    Returns a Dataset with dim ``quantile`` (0.05, 0.5, 0.95) on every variable, the member
    parameter values (``member_parameters(member, parameter)``) and the member outcomes
    (``member_<outcome>(member)``).
    """
    from dermsim import schema
    from dermsim.metrics import scalar_outcomes

    first = results[0]
    t = first["time"].values
    out = xr.Dataset(coords={"quantile": ("quantile", list(QUANTILES),
                                          {"long_name": "quantile over posterior members"}),
                             "member": ("member", np.arange(len(results)))})
    for name in _courses(first):
        arrs = []
        for ds in results:
            v = ds[name]
            if not np.array_equal(ds["time"].values, t):
                v = v.interp(time=t)
            arrs.append(v.values.astype(np.float32))
        q = np.nanquantile(np.stack(arrs), QUANTILES, axis=0).astype(np.float32)
        out[name] = (("quantile", *first[name].dims), q, dict(first[name].attrs))
    from dermsim.calibration.operators import layer_course

    for name in DERMIS_COURSES:
        if name in first:
            arrs = [np.interp(t, *layer_course(ds, name, "dermis")) for ds in results]
            out[f"dermis_{name}"] = (("quantile", "time"),
                                     np.nanquantile(np.stack(arrs), QUANTILES, axis=0),
                                     {**first[name].attrs, "long_name": first[name].attrs.get(
                                         "long_name", name) + ", dermis mean"})
    rows = [scalar_outcomes(ds) for ds in results]
    for key in schema.OUTCOME_NAMES:
        vals = np.array([r[key] for r in rows], dtype=float)
        q = np.nanquantile(vals, QUANTILES) if np.isfinite(vals).any() else \
            np.full(3, np.nan)
        out[key] = ("quantile", q, schema.attrs(key))
        out[f"member_{key}"] = ("member", vals, schema.attrs(key))
    names = sorted({k for m in members for k in m})
    out = out.assign_coords(parameter=("parameter", names))
    out["member_parameters"] = (("member", "parameter"),
                                np.array([[m.get(k, np.nan) for k in names] for m in members]),
                                {"long_name": "parameter values of each member (card units)"})
    for c in ("time", "band"):
        if c in first.coords:
            out = out.assign_coords({c: first[c]})
    out.attrs.update({k: first.attrs[k] for k in ("scenario", "config_toml", "dermsim_version",
                                                  "disclaimer", "session_days")
                      if k in first.attrs})
    out.attrs["members"] = len(results)
    return out


def run_ensemble(scenario: Any, members: Sequence[Mapping[str, float]],
                 progress: Callable[[int, int], None] | None = None) -> xr.Dataset:
    """Run ``scenario`` once per member (parameter values by card name) and return the
    quantile Dataset of :func:`ensemble_dataset` (attr ``seconds``: wall time)."""
    import warnings

    from dermsim.config import with_overrides
    from dermsim.pipeline import simulate

    start = _time.perf_counter()
    results = []
    for i, m in enumerate(members):
        sc = with_overrides(scenario, dict(m)) if m else scenario
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            results.append(simulate(sc))
        if progress:
            progress(i + 1, len(members))
    out = ensemble_dataset(results, members)
    out.attrs["seconds"] = _time.perf_counter() - start
    return out


def band_text(ens: xr.Dataset, key: str, fmt: str = "{:+.0f}") -> str:
    """``+38 % (24–51 %)``: the median and the 5–95 % band of an outcome."""
    from dermsim.schema import get, pretty_units

    q = ens[key].values
    if not np.all(np.isfinite(q)):
        return "n/a"
    unit = pretty_units(get(key).units)
    sep = " " if unit else ""
    lo, hi = (fmt.replace("+", "").format(v) for v in (q[0], q[2]))
    return f"{fmt.format(q[1])}{sep}{unit} ({lo}–{hi}{sep}{unit})".replace("  ", " ") \
        if math.isfinite(q[1]) else "n/a"
