"""Merging the stored run files of a sweep into one labelled Dataset."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dermsim.sweep.outcomes import outcome_attrs
from dermsim.sweep.spec import (
    STATUS_FAILED,
    STATUS_INVALID,
    STATUS_MEANINGS,
    STATUS_OK,
    Parameter,
    RunTask,
    SweepSpec,
)
from dermsim.sweep.store import SweepStore

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np
    import xarray as xr


def merge_runs(spec: SweepSpec, tasks: Sequence[RunTask], hashes: Mapping[int, str],
               store: SweepStore, fn_id: str = "") -> xr.Dataset:
    """Merge the stored run files of ``tasks`` into the sweep Dataset."""
    import numpy as np
    import xarray as xr

    runs = _collect(spec, tasks, hashes, store)
    n = len(tasks)
    if spec.sampled:
        dims: tuple[str, ...] = ("run",)
        shape: tuple[int, ...] = (n,)
    else:
        dims, shape = tuple(p.name for p in spec.parameters), spec.shape

    def var(a: np.ndarray, attrs: dict[str, Any]) -> tuple:
        return (dims, a.reshape(shape), attrs)

    ds = xr.Dataset(coords=_coords(spec, tasks))
    for o in spec.outcomes:
        ds[o] = var(runs["outcomes"][o], outcome_attrs(o))
    ds["status"] = var(runs["status"], {"long_name": "run status", "flag_values": np.arange(
                       3, dtype=np.int8), "flag_meanings": STATUS_MEANINGS})
    ds["error"] = var(runs["error"].astype(str), {"long_name": "error message of a failed or "
                                                  "invalid run (empty if ok)"})
    ds["run_seed"] = var(runs["seeds"], {"long_name": "seed of the run's random generator"})
    ds["elapsed_s"] = var(runs["elapsed"], {"units": "s", "long_name": "wall time of the run"})
    ds["run_id"] = var(runs["run_id"].astype(str), {"long_name": "hash of the run's inputs "
                                                    "(run file name in NAME.runs/)"})
    u = spec.unit_design()
    if u is not None:
        ds["design_unit"] = (("run", "parameter"), u, {"long_name": "design point in the "
                             "unit hypercube (input of the sensitivity analysis)"})
    for s, arrs in runs["series"].items():
        ds = _add_series(ds, s, arrs, dims, shape)
    ds.attrs.update(_sweep_attrs(spec, fn_id, runs["status"]))
    return ds


def _collect(spec: SweepSpec, tasks: Sequence[RunTask], hashes: Mapping[int, str],
             store: SweepStore) -> dict[str, Any]:
    """Status, error, time, seed, hash, outcomes and series of every run, in run order (each
    run file read once)."""
    import numpy as np

    n = len(tasks)
    out: dict[str, Any] = {
        "status": np.full(n, STATUS_INVALID, dtype=np.int8),
        "error": np.full(n, "", dtype=object),
        "elapsed": np.full(n, np.nan),
        "seeds": np.array([t.seed for t in tasks], dtype=np.int64),
        "run_id": np.full(n, "", dtype=object),
        "outcomes": {o: np.full(n, np.nan) for o in spec.outcomes},
        "series": {s: [None] * n for s in spec.time_series},
    }
    cache: dict[str, dict[str, Any]] = {}
    for i, t in enumerate(tasks):
        if t.scenario is None:
            out["error"][i] = t.error
            continue
        h = hashes[t.index]
        if h not in cache:
            cache[h] = store.read(h, series=bool(spec.time_series))
        r = cache[h]
        out["status"][i], out["error"][i], out["elapsed"][i] = (r["status"], r["error"],
                                                                r["elapsed_s"])
        out["run_id"][i] = h
        for o in spec.outcomes:
            out["outcomes"][o][i] = r["outcomes"].get(o, np.nan)
        for s in spec.time_series:
            out["series"][s][i] = r["series"].get(s)
    return out


def _coords(spec: SweepSpec, tasks: Sequence[RunTask]) -> dict[str, Any]:
    """Factorial: one coordinate per parameter (its levels). Sampled: ``run`` and the
    parameter values along it, and ``parameter`` (the dotted keys)."""
    import numpy as np

    if not spec.sampled:
        return {p.name: (p.name, np.asarray(p.levels()), _param_attrs(p))
                for p in spec.parameters}
    n = len(tasks)
    coords: dict[str, Any] = {"run": ("run", np.arange(n), {"long_name": "run number"})}
    for p in spec.parameters:
        coords[p.name] = ("run", np.asarray([t.values[p.key] for t in tasks]), _param_attrs(p))
    coords["parameter"] = ("parameter", [p.key for p in spec.parameters],
                           {"long_name": "dotted scenario key of each swept parameter"})
    return coords


def _add_series(ds: xr.Dataset, name: str, arrs: list[Any], dims: tuple[str, ...],
                shape: tuple[int, ...]) -> xr.Dataset:
    """One time series over the sweep dims, aligned on the union of the runs' coordinates
    (NaN for runs without it)."""
    import numpy as np
    import xarray as xr

    present = [a for a in arrs if a is not None]
    if not present:
        return ds
    aligned = list(xr.align(*present, join="outer"))
    tmpl = xr.full_like(aligned[0], np.nan, dtype=float)
    it = iter(aligned)
    full = [next(it) if a is not None else tmpl for a in arrs]
    stacked = np.stack([a.values.astype(float) for a in full])
    inner = aligned[0]
    ds[name] = (dims + inner.dims, stacked.reshape(shape + inner.shape), dict(inner.attrs))
    for d in inner.dims:
        if d in inner.coords:
            ds = ds.assign_coords({d: inner[d]})
    return ds


def _sweep_attrs(spec: SweepSpec, fn_id: str, status: np.ndarray) -> dict[str, Any]:
    from datetime import UTC, datetime

    from dermsim import __version__

    return {
        "title": f"dermsim sweep: {spec.name}",
        "sweep_name": spec.name,
        "description": spec.description,
        "design": spec.design.kind,
        "design_n": spec.design.n or 0,
        "design_seed": spec.design.seed,
        "design_levels": spec.design.levels,
        "design_second_order": int(spec.design.second_order),
        "parameter_keys": ", ".join(p.key for p in spec.parameters),
        "outcomes": ", ".join(spec.outcomes),
        "sweep_spec_toml": spec.text,
        "base_scenario_toml": spec.base.to_toml(),
        "base_source": spec.base_source,
        "base_seed": spec.seed,
        "seeds": spec.seeds,
        "run_function": fn_id,
        "n_runs": len(status),
        "n_ok": int((status == STATUS_OK).sum()),
        "n_failed": int((status == STATUS_FAILED).sum()),
        "n_invalid": int((status == STATUS_INVALID).sum()),
        "dermsim_version": __version__,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "disclaimer": "dermsim is a research and teaching tool, not medical advice.",
    }


def _param_attrs(p: Parameter) -> dict[str, Any]:
    a = {"parameter_key": p.key, "long_name": p.long_name or p.key, "scale": p.scale}
    if p.unit and p.unit != "-":
        a["units"] = p.unit
    return a


def load_sweep_result(path: str | Path) -> xr.Dataset:
    """Open a merged sweep Dataset written by :func:`run_sweep`."""
    from dermsim.io import open_result

    return open_result(path)

