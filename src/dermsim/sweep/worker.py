"""Worker side of a sweep: call the run function and write the run file."""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dermsim.sweep.backends import limit_threads
from dermsim.sweep.spec import STATUS_FAILED, STATUS_OK
from dermsim.sweep.store import write_run

if TYPE_CHECKING:  # pragma: no cover
    from dermsim.config import Scenario


RunFunction = Callable[[Any], Mapping[str, Any]]


def simulate_outcomes(scenario: Scenario, time_series: Sequence[str] = ()) -> dict[str, Any]:
    """The default run function: :func:`dermsim.simulate` → scalar outcomes (+ series).

    Parameters
    ----------
    scenario
        One run's scenario.
    time_series
        Names of result variables to keep (e.g. a collagen time course); they must not have
        the spatial dims ``z``/``x``.

    Returns
    -------
    dict
        Outcome name → float (:func:`dermsim.metrics.scalar_outcomes`), series name →
        :class:`xarray.DataArray`.
    """
    from dermsim.metrics import scalar_outcomes
    from dermsim.pipeline import simulate

    ds = simulate(scenario)
    out: dict[str, Any] = dict(scalar_outcomes(ds))
    for name in time_series:
        if name not in ds:
            raise KeyError(f"time series {name!r} is not in the result (variables: "
                           f"{', '.join(sorted(map(str, ds.data_vars)))})")
        da = ds[name]
        if {"z", "x"} & set(da.dims):
            raise ValueError(f"time series {name!r} has spatial dims {da.dims}; keep only "
                             "variables without z/x")
        out[name] = da
    return out


def one_line(exc: BaseException) -> str:
    msg = f"{type(exc).__name__}: {exc}".replace("\r", " ").replace("\n", " | ")
    return msg if len(msg) <= 500 else msg[:497] + "..."


def split_result(result: Mapping[str, Any], outcomes: Sequence[str],
                  time_series: Sequence[str]) -> tuple[dict[str, float], dict[str, Any]]:
    import xarray as xr

    if not isinstance(result, Mapping):
        raise TypeError(f"the run function returned {type(result).__name__}, not a mapping "
                        "of outcome name -> value")
    values = {}
    for o in outcomes:
        v = result.get(o, math.nan)
        try:
            values[o] = float(v)
        except (TypeError, ValueError):
            raise TypeError(f"outcome {o!r} is not a number: {v!r}") from None
    series: dict[str, Any] = {}
    for s in time_series:
        if s not in result:
            raise KeyError(f"time series {s!r} missing from the run result")
        da = result[s]
        if not isinstance(da, xr.DataArray):
            raise TypeError(f"time series {s!r} is {type(da).__name__}, not an xarray "
                            "DataArray")
        da = da.reset_coords(drop=True).rename(s)
        if da.dtype.kind not in "iufb":
            raise TypeError(f"time series {s!r} has dtype {da.dtype}, not numbers")
        for d in da.dims:
            if d in da.coords and da[d].dtype.kind not in "iufUSO":
                raise TypeError(f"time series {s!r}: coordinate {d!r} has dtype "
                                f"{da[d].dtype}; use numbers (e.g. days) or strings")
            for other in series.values():
                if d in other.dims and (other.sizes[d] != da.sizes[d] or (
                        d in other.coords and d in da.coords
                        and not other[d].equals(da[d]))):
                    raise ValueError(f"time series {s!r}: dim {d!r} differs from another "
                                     "series of the same run")
        series[s] = da
    return values, series


def run_batch(batch: Sequence[tuple[int, str, Any, Mapping[str, Any]]], *, run_fn: RunFunction,
               runs_dir: str, outcomes: Sequence[str], time_series: Sequence[str],
               one_thread: bool = True, tmp_tag: str = "") -> list[dict[str, Any]]:
    """Worker side: run a batch, write each run's file, return small summaries."""
    if one_thread:
        limit_threads()
    out = []
    for index, h, scenario, values in batch:
        t0, c0 = time.perf_counter(), time.process_time()
        status, error = STATUS_OK, ""
        ovals: dict[str, float] = {o: math.nan for o in outcomes}
        series: dict[str, Any] = {}
        try:
            ovals, series = split_result(run_fn(scenario), outcomes, time_series)
        except Exception as exc:
            status, error = STATUS_FAILED, one_line(exc)
        elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
        write_run(Path(runs_dir) / f"{h}.nc", index, h, scenario.seed, values, status, error,
                   elapsed, ovals, series, tmp_tag)
        out.append({"index": index, "hash": h, "status": status, "error": error,
                    "elapsed_s": elapsed, "cpu_s": cpu, "outcomes": ovals, "pid": os.getpid()})
    t = os.times()
    for s in out:  # CPU of this worker process so far (imports, runs, file writes, ...)
        s["process_cpu_s"] = t.user + t.system
    return out



# the run function's name is part of every stored run's identity (run_hash): keep its public
# name so that runs stored before the sweep package was split stay valid
simulate_outcomes.__module__ = "dermsim.sweep"
