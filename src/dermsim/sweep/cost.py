"""Cost model of a run: an estimate of its single-thread time from the scenario alone.

Nothing is simulated. The time of one run is modelled as

    t = T_RUN + sessions · C_CELL · cells + rf_sessions · cells · (C_RF_CELL + C_RF_STEP · rf_steps)

with ``cells`` the grid cells (``nz × nx`` of :func:`dermsim.pipeline.build_grid`; the
growth-factor signalling on this grid dominates every session) and ``rf_steps`` the RF time
steps of one session (pulse and cooling phases). The constants were fitted by least squares
(relative error) to the single-thread CPU time of 59 runs of the four sweeps in
``configs/sweeps/`` and six runs of the baseline and RF scenarios on 10–40 µm grids (7,650 to
122,400 cells); the modelled totals of the four sweeps are 0.87–1.03 × the measured ones (see
docs/sweeps.md). A machine of another speed scales every estimate by one factor, which
:func:`calibration` takes from runs already stored in the sweep's folder.
"""

from __future__ import annotations

import json
import math
import statistics
from collections.abc import Iterable
from typing import Any

#: Fixed cost of one run [s]: set-up, the remodelling ODE, outcomes, the run file.
T_RUN = 0.14
#: Signalling (and penetration) per grid cell and session [s].
C_CELL = 8.5e-6
#: RF heating per grid cell and RF session [s] (potential solves, set-up).
C_RF_CELL = 2.6e-6
#: RF heating per grid cell, RF session and RF time step [s].
C_RF_STEP = 2.4e-8
#: One-off start of a worker process [s]: imports and loading the compiled kernels (measured
#: as the extra time of a process's first run: 1.0 s, 1.4 s with the RF stage).
T_WORKER_START = 1.2


def rf_steps(rf: Any) -> float:
    """RF time steps of one session: the pulse at ``dt_pulse_ms`` (each sub-pulse restarts
    with ``restart_steps`` short steps) and the cooling phase, whose adaptive steps grow to
    ``dt_cooling_max_ms`` (counted as a geometric ramp from ``dt_pulse_ms``)."""
    pulse = float(rf.conduction_time_ms) / max(float(rf.dt_pulse_ms), 1e-6)
    pulse += int(rf.sub_pulses) * int(getattr(rf, "restart_steps", 0))
    cool_ms = float(rf.cooling_time_s) * 1e3
    if int(rf.sub_pulses) > 1:
        cool_ms += (int(rf.sub_pulses) - 1) * float(rf.sub_pulse_gap_ms)
    dt0, dtmax = float(rf.dt_pulse_ms), max(float(rf.dt_cooling_max_ms), float(rf.dt_pulse_ms))
    ramp = math.log2(dtmax / dt0) if dtmax > dt0 else 0.0  # steps to grow to dt_max
    ramp_ms = dt0 * (2.0 ** ramp - 1.0)
    cool = ramp + max(0.0, cool_ms - ramp_ms) / dtmax
    return pulse + cool


def features(scenario: Any, _cache: dict[Any, tuple[int, float]] | None = None
             ) -> dict[str, float]:
    """What the cost of a run depends on: ``cells``, ``sessions``, ``rf_sessions``,
    ``rf_steps`` (the grid is built, not simulated; grids are cached by their inputs)."""
    from dermsim.pipeline import build_grid

    d = scenario.to_dict()
    key = json.dumps({k: d.get(k) for k in ("skin", "device", "grid", "protocol")},
                     sort_keys=True, default=str)
    cache = {} if _cache is None else _cache
    if key not in cache:
        grid, devices = build_grid(scenario)
        n_rf = sum(d.kind == "rf_tip" for d in devices)
        cache[key] = (grid.nz * grid.nx, float(n_rf))
    cells, n_rf = cache[key]
    steps = rf_steps(scenario.stage("rf")) if n_rf else 0.0
    return {"cells": float(cells), "sessions": float(scenario.protocol.sessions),
            "rf_sessions": n_rf, "rf_steps": steps}


def run_seconds(f: dict[str, float]) -> float:
    """Modelled single-thread time of one run [s] from its :func:`features`."""
    return (T_RUN + f["sessions"] * C_CELL * f["cells"]
            + f["rf_sessions"] * f["cells"] * (C_RF_CELL + C_RF_STEP * f["rf_steps"]))


def calibration(measured: Iterable[tuple[float, float]]) -> tuple[float, int]:
    """Speed factor of this machine: the median of measured / modelled time over stored runs
    (``(measured_s, modelled_s)`` pairs), and how many runs it is based on (1.0, 0 if none)."""
    ratios = [m / p for m, p in measured if p > 0 and m > 0 and math.isfinite(m)]
    if not ratios:
        return 1.0, 0
    return statistics.median(ratios), len(ratios)


def sweep_seconds(run_s: list[float], n_workers: int, start_s: float = T_WORKER_START) -> float:
    """Wall time of runs of ``run_s`` seconds on ``n_workers`` workers: longest first onto
    the least loaded worker (the sweep hands out runs as workers become free), plus the
    workers' start."""
    if not run_s:
        return 0.0
    loads = [0.0] * max(1, min(n_workers, len(run_s)))
    for t in sorted(run_s, reverse=True):
        i = loads.index(min(loads))
        loads[i] += t
    return max(loads) + start_s
