"""Posterior ensembles of a scenario: N members, quantiles of every outcome and time course.

Each member is the scenario with the posterior's parameter values (set by card name through
:func:`dermsim.with_overrides`). When the members differ from the scenario only in
remodelling parameters, the session stages (penetration, RF, signalling) and their part of
the result are computed once (:func:`dermsim.pipeline.run_sessions`) and every member runs
only the remodelling stage and its outputs (:func:`dermsim.pipeline.finish_run`): its result
is the same as a plain run of the member's scenario. Members run in this process, in local
processes or on a dask cluster (the backends of :mod:`dermsim.sweep.backends`).
"""

from __future__ import annotations

import math
import time as _time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import xarray as xr

__all__ = ["QUANTILES", "band_text", "control_variate", "ensemble_dataset", "member_summary",
           "quantiles",
           "run_ensemble", "run_member_batch", "run_members"]

#: Time courses also written as thickness-weighted dermis means (for the figure and summary).
DERMIS_COURSES: tuple[str, ...] = ("collagen_I_change", "collagen_III_change")
#: Quantiles written on the ``quantile`` dimension.
QUANTILES: tuple[float, float, float] = (0.05, 0.5, 0.95)


def member_summary(ds: xr.Dataset, at_day: float | None = None) -> dict[str, Any]:
    """What an ensemble keeps of one member's result (small enough to send between
    processes): every time course (float32), the dermis-mean courses and the scalar
    outcomes (collagen changes at ``at_day``, default the end of the run)."""
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
            "outcomes": scalar_outcomes(ds, at_day),
            "attrs": {k: ds.attrs[k] for k in keep if k in ds.attrs}}


def quantiles(a: np.ndarray, qs: Sequence[float] = QUANTILES) -> np.ndarray:
    """``np.nanquantile(a, qs, axis=0)`` (linear interpolation, NaNs ignored; NaN where a
    column has no finite value), vectorised: numpy's own falls back to one Python call per
    column as soon as one NaN is present."""
    a = np.asarray(a, dtype=float)
    if not np.isnan(a).any():
        return np.quantile(a, qs, axis=0)
    s = np.sort(a, axis=0)  # NaNs last
    n = (~np.isnan(a)).sum(axis=0)
    out = np.empty((len(qs), *a.shape[1:]))
    for k, q in enumerate(qs):
        pos = q * np.maximum(n - 1, 0)
        lo = np.floor(pos).astype(np.intp)
        hi = np.minimum(lo + 1, np.maximum(n - 1, 0))
        w = pos - lo
        vlo = np.take_along_axis(s, lo[None], axis=0)[0]
        vhi = np.take_along_axis(s, hi[None], axis=0)[0]
        out[k] = np.where(n > 0, vlo + w * (vhi - vlo), np.nan)
    return out


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
        q = quantiles(np.stack(arrs)).astype(np.float32)
        out[name] = (("quantile", *dims), q, attrs)
    for name in first["dermis"]:
        arrs = [np.interp(t, m["time"], m["dermis"][name]) for m in summaries]
        attrs = dict(first["courses"][name][2])
        attrs["long_name"] = attrs.get("long_name", name) + ", dermis mean"
        out[f"dermis_{name}"] = (("quantile", "time"),
                                 quantiles(np.stack(arrs)), attrs)
    for key in schema.OUTCOME_NAMES:
        vals = np.array([m["outcomes"][key] for m in summaries], dtype=float)
        q = quantiles(vals[:, None])[:, 0]
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
                progress: Callable[[int, int], None] | None = None,
                at_day: float | None = None) -> list[dict[str, Any]]:
    """Run the scenario ``table`` once per member in this process and return their summaries.

    Members that change only remodelling parameters share one computation of the session
    stages (:func:`dermsim.pipeline.run_sessions`) and run the remodelling stage alone; any
    other member is a plain run. ``progress(done, total)`` is called after each member.
    """
    import warnings

    from dermsim.config import load_scenario, with_overrides
    from dermsim.pipeline import finish_run, run_sessions, shares_sessions, simulate

    scenario = load_scenario(dict(table))
    runs = None
    out = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        for m in members:
            sc = with_overrides(scenario, dict(m)) if m else scenario
            if shares_sessions(scenario, sc):
                runs = runs or run_sessions(scenario)
                ds = finish_run(sc, runs)
            else:
                ds = simulate(sc)
            out.append(member_summary(ds, at_day))
            if progress:
                progress(len(out), len(members))
    return out


def run_member_batch(batch: tuple[Mapping[str, Any], Sequence[Mapping[str, float]],
                                  float | None]) -> list[dict[str, Any]]:
    """:func:`run_members` of ``(table, members, at_day)`` (the task a backend worker runs)."""
    table, members, at_day = batch
    return run_members(table, members, None, at_day)


def control_variate(fine: Mapping[str, Any], coarse: Mapping[str, Any],
                    member: Mapping[str, Any]) -> dict[str, Any]:
    """A member summary on coarse remodelling columns, corrected to the fine resolution:
    ``fine_nominal + (member_coarse - coarse_nominal)`` for every time course, dermis course
    and scalar outcome. Courses that are non-negative in both nominal runs stay non-negative.

    The resolution error of the remodelling columns is nearly the same for every member
    (it depends on the injury geometry, which members share), so the difference carries the
    parameter effect at the coarse cost.
    """
    courses = {}
    for name, (dims, v, attrs) in member["courses"].items():
        f, c = fine["courses"][name][1], coarse["courses"][name][1]
        out = f + (v - c)
        if np.nanmin(f, initial=0.0) >= 0.0 and np.nanmin(c, initial=0.0) >= 0.0:
            out = np.maximum(out, 0.0)
        courses[name] = (dims, out.astype(np.float32), attrs)
    dermis = {k: fine["dermis"][k] + (v - coarse["dermis"][k])
              for k, v in member["dermis"].items()}
    outcomes = {k: float(fine["outcomes"][k] + (v - coarse["outcomes"][k]))
                for k, v in member["outcomes"].items()}
    return {**fine, "courses": courses, "dermis": dermis, "outcomes": outcomes}


def run_ensemble(scenario: Any, members: Sequence[Mapping[str, float]],
                 progress: Callable[[int, int], None] | None = None,
                 workers: int = 1, dask: str | None = None,
                 at_day: float | None = None, column_um: float | None = None) -> xr.Dataset:
    """Run ``scenario`` once per member (parameter values by card name) and return the
    quantile Dataset of :func:`ensemble_dataset` (attr ``seconds``: wall time).

    ``workers``, ``dask``: where the members run (see :func:`_summaries`); ``at_day``: day
    of the collagen outcomes (default: the end). ``column_um`` coarser than the scenario's
    remodelling columns runs the members on columns of that width and corrects each by the
    nominal fine-minus-coarse difference (:func:`control_variate`; the nominal is run at
    both widths).
    """
    start = _time.perf_counter()
    fine_col = float(scenario.stage("remodelling").cell_width_um)
    if not column_um or column_um <= fine_col:
        summaries, info = _summaries(scenario, members, progress, workers, dask, at_day)
        out = ensemble_dataset(summaries, members)
        out.attrs["member_column_um"] = fine_col
    else:
        from dermsim.config import with_overrides

        coarse = with_overrides(scenario, {"remodelling.cell_width_um": float(column_um)})
        fine0 = run_members(scenario.to_dict(), [{}], None, at_day)[0]
        summaries, info = _summaries(coarse, [{}, *members], progress, workers, dask, at_day)
        c0 = summaries[0]
        out = ensemble_dataset([control_variate(fine0, c0, m) for m in summaries[1:]], members)
        out.attrs.update({"member_column_um": float(column_um),
                          "member_correction": "members on coarse remodelling columns + "
                                               "(nominal fine - nominal coarse)"})
    out.attrs.update(info)
    out.attrs["seconds"] = _time.perf_counter() - start
    return out


def _summaries(scenario: Any, members: Sequence[Mapping[str, float]],
               progress: Callable[[int, int], None] | None,
               workers: int, dask: str | None, at_day: float | None,
               ) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Member summaries and the workers and backend that ran them.

    ``workers`` > 1 runs the members in that many local processes, ``dask`` (a scheduler
    address, or ``"local"`` for a local cluster of ``workers`` processes) on a dask cluster;
    the members are split into one contiguous batch per worker, each computing the session
    stages once. ``workers`` = 1 without ``dask`` runs them here, reusing this process's
    memoised session stages. ``at_day``: day of the collagen outcomes (default: the end).
    """
    table = scenario.to_dict()
    summaries: list[dict[str, Any]] = []
    if workers <= 1 and not dask:
        summaries = run_members(table, members, progress, at_day)
        n_workers, backend_name = 1, "serial"
    else:
        from dermsim.sweep.backends import open_backend

        backend = open_backend("dask" if dask else "processes", workers,
                               None if dask in (None, "", "local") else dask,
                               workers if dask == "local" else None, len(members), None,
                               preload=("dermsim.pipeline",))
        n_workers, backend_name = backend.n_workers, backend.name
        chunks = [[members[i] for i in c]
                  for c in np.array_split(np.arange(len(members)), n_workers) if len(c)]
        futures = [backend.submit(run_member_batch, (table, c, at_day)) for c in chunks]
        try:
            for fut in futures:  # in member order
                summaries += fut.result()
                if progress:
                    progress(len(summaries), len(members))
        except BaseException:
            backend.close(set(futures), cancel=True)
            raise
        backend.close(set(futures))
    return summaries, {"workers": n_workers, "backend": backend_name}


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
