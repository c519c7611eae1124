"""Memory and step-count estimates of a run, checked before any work starts.

:func:`estimate` predicts, from the scenario alone (nothing is allocated), the grid shape, the
number of growth-factor time steps per session and the peak memory of :func:`dermsim.simulate`;
:func:`check_resources` refuses a scenario whose estimate is above the memory limit, or whose
signalling settings would take an unbounded number of steps, with one line that says what to
change.

The memory limit is the smaller of 90 % of the memory available now (``MemAvailable`` of
``/proc/meminfo``, and the cgroup limit of a container) and the cap in the environment variable
``DERMSIM_MAX_MEMORY_GB`` (``dermsim run --max-memory-gb`` sets it). The per-cell coefficients
are measured peaks of ``simulate`` (resident set size above the imported package) on a
pen and an RF scenario at several grid sizes and session counts (about 370 bytes per cell for
a pen session, 65 per further session, 100 more per RF session, on 3e4 to 4.8e5 cells),
rounded up (numerics choice).
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dermsim.errors import ResourceError
from dermsim.units import GIB, format_duration

if TYPE_CHECKING:
    from dermsim.config import Scenario

#: Environment variable holding a memory cap [GiB] (a float).
MEMORY_ENV = "DERMSIM_MAX_MEMORY_GB"
#: Share of the available memory a run may plan to use.
AVAILABLE_SHARE = 0.9
#: Peak bytes per grid cell of the first session (fields of penetration, signalling, snapshots).
BYTES_PER_CELL = 420.0
#: Extra peak bytes per grid cell for every further session (kept injury and signalling fields).
BYTES_PER_CELL_SESSION = 80.0
#: Extra peak bytes per grid cell for every RF session (potential, temperature, damage fields).
BYTES_PER_CELL_RF = 200.0
#: Memory of the run outside the grid fields [bytes]: the first run of a process loads the
#: compiled kernels and lazily imported modules (about 90 MB measured), then the band ODE,
#: outputs and solver work.
BYTES_FIXED = 128 * 2**20
#: Most growth-factor time steps one acute window may take (typical settings take a few
#: hundred; the bound stops settings that would step for hours).
MAX_SIGNALLING_STEPS = 100_000
#: Rough cost of one growth-factor step per cell and species [s] (for the time estimate).
SECONDS_PER_CELL_STEP = 1e-7




@dataclass(frozen=True)
class Estimate:
    """Predicted size of a run."""

    nz: int
    nx: int
    sessions: int
    rf_sessions: int
    signalling_steps: int
    memory_bytes: float
    seconds: float

    @property
    def cells(self) -> int:
        return self.nz * self.nx

    def describe(self) -> str:
        return (f"grid {self.nz} x {self.nx} cells, {self.sessions} session(s), about "
                f"{self.memory_bytes / GIB:.2g} GiB and {format_duration(self.seconds)} of "
                "growth-factor stepping")


@dataclass(frozen=True)
class GridPlan:
    """What :func:`dermsim.pipeline.build_grid` builds, decided without building it."""

    devices: list[Any]  #: the device of every session
    nx: int  #: lateral cells (a whole number of first-session needle spacings, >= 2)
    depth_um: float  #: depth extent [µm]


def grid_plan(scenario: Scenario) -> GridPlan:
    """The devices per session and the slice layout of the scenario grid.

    The slice width is a whole number of first-session needle spacings (≥ 2) close to
    ``grid.width_um``; the depth defaults to 1 mm below the dermis (≥ 3 mm) and always reaches
    500 µm below the longest needle, within the stack.
    """
    from dermsim.penetration import slice_layout
    from dermsim.tissue import default_depth_um

    stack = scenario.stack()
    protocol = scenario.protocol
    devices = [protocol.device_for(s.index, scenario.device) for s in protocol.timeline()]
    g = scenario.grid
    bipolar = devices[0].kind == "rf_tip" and getattr(devices[0], "bipolar", False)
    _, nx, _ = slice_layout(devices[0].punctures_per_cm2(), g.width_um, g.h_um, even=bipolar)
    depth = g.depth_um
    if depth is None:
        longest = max(d.needle_length_um for d in devices)
        depth = min(stack.total_um, max(default_depth_um(stack), longest + 500.0))
    return GridPlan(devices, int(nx), float(depth))


def grid_shape(scenario: Scenario) -> tuple[int, int]:
    """``(nz, nx)`` of the grid :func:`dermsim.pipeline.build_grid` makes, without making it."""
    plan = grid_plan(scenario)
    h = scenario.grid.h_um
    return max(4, int(round(plan.depth_um / h))), max(4, plan.nx)  # make_grid: width nx * h


def signalling_steps(cfg: Any) -> int:
    """Time steps of one acute window with the step-doubling schedule of the signalling stage
    (``dt_initial_s`` doubled every ``steps_per_level`` steps up to ``dt_max_h``); a lower bound,
    since release and channel-closure caps only add steps."""
    t_end = float(cfg.window_day) * 86400.0
    dt0 = float(cfg.dt_initial_s)
    dtmax = max(float(cfg.dt_max_h) * 3600.0, dt0)
    per_level = int(cfg.steps_per_level)
    steps = int(getattr(cfg, "n_be_restart", 0))
    t = steps * dt0
    dt = min(2.0 * dt0, dtmax)
    while t < t_end:
        if dt >= dtmax:
            return steps + math.ceil((t_end - t) / dtmax)
        span = per_level * dt
        if t + span >= t_end:
            return steps + math.ceil((t_end - t) / dt)
        t += span
        steps += per_level
        dt = min(2.0 * dt, dtmax)
    return steps


def estimate(scenario: Scenario) -> Estimate:
    """Grid shape, growth-factor steps per session, peak memory [bytes] and a rough time of the
    growth-factor stepping [s] of ``simulate(scenario)``."""
    nz, nx = grid_shape(scenario)
    cells = nz * nx
    protocol = scenario.protocol
    timeline = protocol.timeline()
    devices = [protocol.device_for(s.index, scenario.device) for s in timeline]
    n = len(timeline)
    n_rf = sum(d.kind == "rf_tip" for d in devices)
    sig = scenario.stage("signalling")
    steps = signalling_steps(sig) if sig is not None else 0
    memory = (BYTES_FIXED + cells * BYTES_PER_CELL + cells * BYTES_PER_CELL_SESSION * (n - 1)
              + cells * BYTES_PER_CELL_RF * n_rf)
    topical = sig is not None and bool(getattr(sig, "topical_product", "")
                                       or getattr(sig, "topical_concentration_ng_ml", 0) > 0)
    n_species = 2 + (1 if topical else 0)
    seconds = SECONDS_PER_CELL_STEP * cells * steps * n_species * n
    return Estimate(nz, nx, n, n_rf, steps, float(memory), float(seconds))


def available_memory_bytes() -> float | None:
    """Memory available to this process now [bytes] (``MemAvailable``, bounded by a cgroup
    limit), or ``None`` where the system does not say."""
    avail: float | None = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                avail = float(line.split()[1]) * 1024.0
                break
    except OSError:
        pass
    if avail is None:
        try:
            avail = float(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
        except (ValueError, OSError, AttributeError):
            avail = None
    try:
        limit = Path("/sys/fs/cgroup/memory.max").read_text().strip()
        used = float(Path("/sys/fs/cgroup/memory.current").read_text().strip())
        if limit != "max":
            # memory.current counts the page cache, which the kernel reclaims on demand:
            # count only the working set (current - inactive_file), as container runtimes do
            used -= _cgroup_stat("inactive_file")
            room = max(float(limit) - used, 0.0)
            avail = room if avail is None else min(avail, room)
    except (OSError, ValueError):
        pass
    return avail


def _cgroup_stat(key: str) -> float:
    """A field of the cgroup's memory.stat [bytes] (0 where absent)."""
    try:
        for line in Path("/sys/fs/cgroup/memory.stat").read_text().splitlines():
            name, _, value = line.partition(" ")
            if name == key:
                return float(value)
    except (OSError, ValueError):
        pass
    return 0.0


def memory_limit() -> tuple[float, str]:
    """The memory a run may use [bytes] and where the limit comes from (for messages)."""
    limit, source = math.inf, "no limit known"
    avail = available_memory_bytes()
    if avail is not None:
        limit = AVAILABLE_SHARE * avail
        source = (f"{AVAILABLE_SHARE:.0%} of the {avail / GIB:.3g} GiB available; "
                  f"{MEMORY_ENV} sets a cap")
    cap_text = os.environ.get(MEMORY_ENV, "").strip()
    if cap_text:
        try:
            cap = float(cap_text)
        except ValueError:
            cap = math.nan
        if not (cap > 0 and math.isfinite(cap)):
            raise ResourceError(f"{MEMORY_ENV} = {cap_text!r:.40}: allowed a number of GiB > 0")
        if cap * GIB < limit:
            limit, source = cap * GIB, f"{MEMORY_ENV} = {cap_text}"
    return limit, source


def check_resources(scenario: Scenario) -> Estimate:
    """Refuse ``scenario`` before any work if it needs more memory than allowed or an
    unbounded number of growth-factor steps (:class:`~dermsim.errors.ResourceError`, one
    line naming what to change); returns the estimate otherwise."""
    est = estimate(scenario)
    if est.signalling_steps > MAX_SIGNALLING_STEPS:
        sig = scenario.stage("signalling")
        raise ResourceError(
            f"scenario {scenario.name!r}: the growth-factor stage would take about "
            f"{est.signalling_steps:,} time steps per session (allowed at most "
            f"{MAX_SIGNALLING_STEPS:,}); raise signalling.dt_max_h (now {sig.dt_max_h:g} h) "
            f"or signalling.dt_initial_s (now {sig.dt_initial_s:g} s), or lower "
            f"signalling.steps_per_level (now {sig.steps_per_level})")
    limit, source = memory_limit()
    if est.memory_bytes > limit:
        h = scenario.grid.h_um
        factor = est.memory_bytes / limit if limit > 0 else math.inf
        h_ok = h * math.sqrt(factor) * 1.05
        raise ResourceError(
            f"scenario {scenario.name!r} needs about {est.memory_bytes / GIB:.3g} GiB of memory "
            f"(grid {est.nz} x {est.nx} cells, {est.sessions} session(s)) but the limit is "
            f"{limit / GIB:.3g} GiB ({source}); coarsen grid.h_um (now {h:g} um; about "
            f"{h_ok:.3g} um fits), narrow grid.width_um (now {scenario.grid.width_um:g} um) "
            "or grid.depth_um, or run fewer sessions")
    return est


def check_all(scenarios: list[Scenario]) -> list[Estimate]:
    """:func:`check_resources` for each scenario (runs one after another, so each alone
    must fit)."""
    return [check_resources(s) for s in scenarios]
