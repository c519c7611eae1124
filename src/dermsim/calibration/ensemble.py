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

__all__ = ["QUANTILES", "band_text", "ensemble_dataset", "member_summary", "run_ensemble",
           "run_members"]

#: Time courses also written as thickness-weighted dermis means (for the figure and summary).
DERMIS_COURSES: tuple[str, ...] = ("collagen_I_change", "collagen_III_change")
#: Quantiles written on the ``quantile`` dimension.
QUANTILES: tuple[float, float, float] = (0.05, 0.5, 0.95)


def member_summary(ds: xr.Dataset) -> dict[str, Any]:
    """What an ensemble keeps of one member's result (small enough to send between
    processes): every time course (float32), the dermis-mean courses and the scalar
    outcomes."""
    from dermsim.calibration.operators import layer_course
    from dermsim.metrics import scalar_outcomes

    t = ds["time"].values
    courses = {str(k): (v.dims, v.values.astype(np.float32), dict(v.attrs))
               for k, v in ds.data_vars.items() if "time" in v.dims and v.dtype.kind == "f"}
    dermis = {name: np.interp(t, *layer_course(ds, name, "dermis"))
              for name in DERMIS_COURSES if name in ds}
    coords = {c: (ds[c].dims, ds[c].values, dict(ds[c].attrs)) for c in ("time", "band")
              if c in ds.coords}
    keep = ("scenario", "config_toml", "dermsim_version", "disclaimer", "session_days")
    return {"time": t, "courses": courses, "dermis": dermis, "coords": coords,
            "outcomes": scalar_outcomes(ds),
            "attrs": {k: ds.attrs[k] for k in keep if k in ds.attrs}}


def _interp_time(t: np.ndarray, tm: np.ndarray, v: np.ndarray, axis: int) -> np.ndarray:
    """``v`` sampled at times ``tm`` along ``axis``, interpolated to ``t``."""
    moved = np.moveaxis(v, axis, -1)
    flat = moved.reshape(-1, moved.shape[-1])
    res = np.stack([np.interp(t, tm, row) for row in flat]).reshape(*moved.shape[:-1], t.size)
    return np.moveaxis(res, -1, axis)


def ensemble_dataset(summaries: Sequence[Mapping[str, Any]],
                     members: Sequence[Mapping[str, float]]) -> xr.Dataset:
    """Quantiles over the members (:func:`member_summary` of each) of every time course and
    scalar outcome.

    Returns a Dataset with dim ``quantile`` (0.05, 0.5, 0.95) on every variable, the member
    parameter values (``member_parameters(member, parameter)``) and the member outcomes
    (``member_<outcome>(member)``).
    """
    from dermsim import schema

    first = summaries[0]
    t = first["time"]
    out = xr.Dataset(coords={"quantile": ("quantile", list(QUANTILES),
                                          {"long_name": "quantile over posterior members"}),
                             "member": ("member", np.arange(len(summaries)))})
    for name, (dims, _, attrs) in first["courses"].items():
        arrs = []
        for m in summaries:
            v = m["courses"][name][1]
            if not np.array_equal(m["time"], t):  # members share the protocol's time grid
                v = _interp_time(t, m["time"], v, dims.index("time"))
            arrs.append(v)
        q = np.nanquantile(np.stack(arrs), QUANTILES, axis=0).astype(np.float32)
        out[name] = (("quantile", *dims), q, attrs)
    for name in first["dermis"]:
        arrs = [np.interp(t, m["time"], m["dermis"][name]) for m in summaries]
        attrs = dict(first["courses"][name][2])
        attrs["long_name"] = attrs.get("long_name", name) + ", dermis mean"
        out[f"dermis_{name}"] = (("quantile", "time"),
                                 np.nanquantile(np.stack(arrs), QUANTILES, axis=0), attrs)
    for key in schema.OUTCOME_NAMES:
        vals = np.array([m["outcomes"][key] for m in summaries], dtype=float)
        q = np.nanquantile(vals, QUANTILES) if np.isfinite(vals).any() else \
            np.full(3, np.nan)
        out[key] = ("quantile", q, schema.attrs(key))
        out[f"member_{key}"] = ("member", vals, schema.attrs(key))
    names = sorted({k for m in members for k in m})
    out = out.assign_coords(parameter=("parameter", names))
    out["member_parameters"] = (("member", "parameter"),
                                np.array([[m.get(k, np.nan) for k in names] for m in members]),
                                {"long_name": "parameter values of each member (card units)"})
    out = out.assign_coords({c: v for c, v in first["coords"].items()})
    out.attrs.update(first["attrs"])
    out.attrs["members"] = len(summaries)
    return out


def run_members(table: Mapping[str, Any], members: Sequence[Mapping[str, float]],
                ) -> list[dict[str, Any]]:
    """Run the scenario ``table`` once per member in this process (the first member computes
    the session stages, the others reuse them) and return their summaries."""
    import warnings

    from dermsim.config import load_scenario, with_overrides
    from dermsim.pipeline import simulate

    scenario = load_scenario(dict(table))
    out = []
    for m in members:
        sc = with_overrides(scenario, dict(m)) if m else scenario
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            out.append(member_summary(simulate(sc)))
    return out


def run_ensemble(scenario: Any, members: Sequence[Mapping[str, float]],
                 progress: Callable[[int, int], None] | None = None,
                 workers: int = 1) -> xr.Dataset:
    """Run ``scenario`` once per member (parameter values by card name) and return the
    quantile Dataset of :func:`ensemble_dataset` (attr ``seconds``: wall time).

    ``workers`` > 1 splits the members into that many contiguous chunks run by local
    processes (each computes the session stages once); 1 runs them here, reusing this
    process's memoised session stages.
    """
    start = _time.perf_counter()
    table = scenario.to_dict()
    summaries: list[dict[str, Any]] = []
    if workers <= 1:
        for i, m in enumerate(members):
            summaries += run_members(table, [m])
            if progress:
                progress(i + 1, len(members))
    else:
        import multiprocessing as mp
        from concurrent.futures import ProcessPoolExecutor

        chunks = [list(c) for c in np.array_split(np.arange(len(members)), workers) if len(c)]
        # forkserver: safe next to numba's and BLAS's threads in this process
        methods = mp.get_all_start_methods()
        ctx = mp.get_context("forkserver" if "forkserver" in methods else "spawn")
        with ProcessPoolExecutor(len(chunks), mp_context=ctx) as pool:
            futures = [pool.submit(run_members, table, [members[i] for i in c])
                       for c in chunks]
            for fut in futures:  # in member order
                summaries += fut.result()
                if progress:
                    progress(len(summaries), len(members))
    out = ensemble_dataset(summaries, members)
    out.attrs["seconds"] = _time.perf_counter() - start
    out.attrs["workers"] = workers
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
