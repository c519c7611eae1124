"""Cost model of a run: an estimate of its single-thread time from the scenario alone.

Nothing is simulated. The time of one run is modelled as

    t = T_RUN + sessions · C_CELL · cells + rf_sessions · cells · (C_RF_CELL + C_RF_STEP · rf_steps)

with ``cells`` the grid cells (``nz × nx``, as :func:`dermsim.pipeline.build_grid` makes them)
and ``rf_steps`` the RF time steps of one session (pulse and cooling phases). The growth-factor
signalling on the grid dominates every session, so ``C_CELL`` is scaled by the session's
signalling steps relative to the default schedule (an assumption: the fitted runs all used the
default schedule). The constants were fitted by least squares
(relative error) to the single-thread CPU time of 59 runs of the four sweeps in
``configs/sweeps/`` and six runs of the baseline and RF scenarios on 10–40 µm grids (7,650 to
122,400 cells); the modelled totals of the four sweeps are 0.87–1.03 × the measured ones (see
docs/sweeps.md). A machine of another speed scales every estimate by one factor, which
:func:`calibration` takes from runs already stored in the sweep's folder.
"""

from __future__ import annotations

import functools
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


def features(scenario: Any) -> dict[str, float]:
    """What the cost of a run depends on: ``cells``, ``sessions``, ``rf_sessions``,
    ``rf_steps`` and ``signalling_steps`` (:func:`dermsim.resources.estimate`: the grid shape
    and step counts are computed, nothing is allocated or simulated)."""
    from dermsim.resources import estimate

    e = estimate(scenario)
    steps = rf_steps(scenario.stage("rf")) if e.rf_sessions else 0.0
    return {"cells": float(e.nz * e.nx), "sessions": float(e.sessions),
            "rf_sessions": float(e.rf_sessions), "rf_steps": steps,
            "signalling_steps": float(e.signalling_steps)}


@functools.cache
def _reference_signalling_steps() -> float:
    """Signalling steps of one session with the default settings (the fitted runs)."""
    from dermsim.resources import signalling_steps
    from dermsim.signalling import SignallingConfig

    return float(signalling_steps(SignallingConfig()))


def run_seconds(f: dict[str, float]) -> float:
    """Modelled single-thread time of one run [s] from its :func:`features`."""
    sig = f.get("signalling_steps", 0.0) / _reference_signalling_steps() or 1.0
    return (T_RUN + f["sessions"] * C_CELL * f["cells"] * sig
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
