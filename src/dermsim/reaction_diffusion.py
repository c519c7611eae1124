"""One species on the tissue grid: adaptive time grid, integrating-factor ADI march, recorder.

For a species with concentration ``c`` [ng/mL]::

    dc/dt = div(D(x) grad c) - k c + q(x, t)

* Space: cell-centred finite volumes, harmonic-mean face diffusivities at layer interfaces
  (:func:`dermsim.numerics.face_coefficients`), solved by :class:`dermsim.numerics.ADISolver`.
* Decay exactly by an integrating factor: with ``v = e^{kt} c`` the decay disappears, so one
  step is ``c(t+dt) = ADI_dt(e^{-k dt} c(t), q_eff)``, with the source (and the surface
  ambient value) replaced by its decay-weighted step average
  ``q_eff = (1/dt) int e^{-k(t+dt-s)} q(s) ds`` (analytic for the burst, graded Gauss–Legendre
  for the gamma profiles, :mod:`dermsim.growth_factors`). Pure decay/release without diffusion
  is exact to rounding.
* Time (:func:`time_grid`): after every event ``n_be_restart`` L-stable LOD backward-Euler
  steps at ``dt_initial`` (Rannacher 1984 start: plain Crank–Nicolson/ADI steps ring after
  sharp events), then Peaceman–Rachford ADI with dt doubling every ``steps_per_level`` steps
  (BE at dt and PR at 2 dt share the factors), capped by the caller's caps. Steps land exactly
  on the snapshot times. A species stops stepping when its maximum has fallen below
  ``stop_threshold`` × its peak and its remaining release is below the same fraction (it then
  decays exactly).
* Surface reservoir (a finite product film, :class:`SurfaceReservoir`): a step is affine in the
  film concentration ``c`` (inflow ``F0 + c F1``, two solves), and ``c`` is solved with the
  step from the film balance, so the film never gives more than it holds.
* Non-negativity: the BE steps are positivity preserving; PR steps can undershoot at sharp
  fronts: any negative value is set to zero and the amount is reported (``clipped``).
* Recording: a :class:`SpeciesRecorder` receives the row sums and maxima of every step and
  fills a :class:`SpeciesRecord` (band means, layer amounts, reach, mass budget, snapshots).
"""

from __future__ import annotations

import math
import time as _time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
from scipy.special import gammainc

from dermsim.growth_factors import (
    HOUR,
    SpeciesParams,
    burst_integrals,
    decay_weight,
    gamma_theta,
    weighted_gamma,
)
from dermsim.numerics import (
    ADISolver,
    Scheme,
    clip_row_stats,
    combine_sources,
    face_coefficients,
)
from dermsim.tissue import LAYER_NAMES, SC

__all__ = [
    "NG_ML_M_TO_NG_CM2",
    "SpeciesRecord",
    "SpeciesRecorder",
    "StepSettings",
    "SurfaceReservoir",
    "TimeGrid",
    "diffusivity",
    "run_species",
    "time_grid",
]

NG_ML_M_TO_NG_CM2 = 100.0  # (ng/mL) * m  ->  ng/cm^2


class StepSettings(Protocol):
    """The step-control settings :func:`time_grid` reads (fields of ``SignallingConfig``)."""

    @property
    def dt_initial_s(self) -> float: ...
    @property
    def dt_max_h(self) -> float: ...
    @property
    def steps_per_level(self) -> int: ...
    @property
    def n_be_restart(self) -> int: ...


class SurfaceReservoir(Protocol):
    """A finite reservoir on the surface (a product film) that :func:`run_species` depletes.

    While it is :meth:`finite_at` a step, its concentration is solved with the step
    (implicitly): the step is affine in the ambient value, ``F = F0 + c F1``, so two solves
    give ``F0`` and ``F1`` and :meth:`concentration` the ``c`` that leaves the film with what
    the skin did not take.
    """

    def ambient(self, t0: float, dt: float) -> float:
        """Ambient concentration of a step that is not solved with the film [ng/mL]."""
        ...

    def finite_at(self, t0: float) -> bool:
        """Whether the step starting at ``t0`` is solved with the (depleting) film."""
        ...

    def concentration(self, f0: float, f1: float) -> float:
        """Film concentration at the end of the step [ng/mL] for the step inflow
        ``f0 + c f1`` [ng/cm²]."""
        ...

    def take(self, entered_ng_cm2: float) -> None:
        """Remove what entered the skin in the step [ng/cm²] (negative: it came back)."""
        ...


# ------------------------------------------------------------------------------------------------
# time grid
# ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TimeGrid:
    """Steps of one species: start time, step [s] and scheme ("be"/"pr") of every step."""

    t0: np.ndarray
    dt: np.ndarray
    scheme: tuple[Scheme, ...]

    @property
    def times(self) -> np.ndarray:
        """Output times: 0 and the end of every step [s]."""
        return np.concatenate([[0.0], self.t0 + self.dt])


def time_grid(t_end: float, cfg: StepSettings, events: Sequence[float] = (0.0,),
              land: Sequence[float] = (), caps: Sequence[tuple[float, float]] = ()) -> TimeGrid:
    """Adaptive step sequence: L-stable restart after each event, dt doubling per level.

    Parameters
    ----------
    t_end : float
        End of the window [s].
    cfg : StepSettings
        ``dt_initial_s``, ``dt_max_h``, ``steps_per_level``, ``n_be_restart``.
    events : sequence of float
        Times of sharp events [s] (restart with BE steps at ``dt_initial``).
    land : sequence of float
        Times the steps must hit exactly (snapshots) [s].
    caps : sequence of (t_until, dt_cap)
        Upper bounds on the step before ``t_until`` [s] (e.g. while channels close).
    """
    dt0 = cfg.dt_initial_s
    dtmax = max(cfg.dt_max_h * HOUR, dt0)
    ev = sorted({float(e) for e in events if 0.0 <= e < t_end} | {0.0})
    marks = sorted({float(t) for t in land if 0.0 < t < t_end} | {t_end} | set(ev[1:]))
    t0s: list[float] = []
    dts: list[float] = []
    sch: list[Scheme] = []
    t = 0.0
    for k in range(len(ev)):
        seg_end = ev[k + 1] if k + 1 < len(ev) else t_end
        n_be = cfg.n_be_restart
        dt = dt0
        count = 0
        while t < seg_end * (1 - 1e-12):
            nxt = min(m for m in marks if m > t * (1 + 1e-12) + 1e-9)
            nxt = min(nxt, seg_end)
            step = min(dt, nxt - t, *[c for until, c in caps if t < until * (1 - 1e-12)])
            if nxt - (t + step) < 0.25 * step:  # avoid a sliver before a mark
                step = nxt - t
            if n_be > 0:
                sch.append("be")
                n_be -= 1
                if n_be == 0:
                    dt = min(2.0 * dt0, dtmax)  # PR at 2 dt0 reuses the BE factors
                    count = 0
            else:
                sch.append("pr")
                count += 1
                if count >= cfg.steps_per_level:
                    dt = min(2.0 * dt, dtmax)
                    count = 0
            t0s.append(t)
            dts.append(step)
            t = nxt if step == nxt - t else t + step
    return TimeGrid(np.array(t0s), np.array(dts), tuple(sch))


# ------------------------------------------------------------------------------------------------
# recorder
# ------------------------------------------------------------------------------------------------


@dataclass
class SpeciesRecord:
    """Time series of one species (``nt`` = steps + 1) and its field snapshots."""

    times: np.ndarray
    band: np.ndarray  # (nt, nband) ng/mL
    layer_amount: np.ndarray  # (nt, nlayer) ng/cm2
    cmax: np.ndarray
    reach_um: np.ndarray
    released: np.ndarray  # cumulative ng/cm2
    entered: np.ndarray
    lost: np.ndarray
    remaining: np.ndarray
    clipped: np.ndarray
    snapshots: np.ndarray  # (nsnap, nz, nx) float32
    n_steps: int
    stopped_at: float
    wall_s: float


class SpeciesRecorder:
    """Tracker of one species' march: :meth:`handle` records the state after each step.

    Parameters
    ----------
    times : (nt,) array
        Output times [s] (0 and the end of every step).
    shape : (nz, nx)
        Grid shape.
    h, width : float
        Cell size and slice width [m].
    band_w : (nband, nz) array
        Row weights of the depth bands (:meth:`dermsim.tissue.Grid.band_weights`).
    row_layer : (nz,) int array
        Layer of each row.
    snap_times : sequence of float
        Times [s] at which the field is stored.
    reach_thr : float
        Concentration defining the reach [ng/mL].
    """

    def __init__(self, times: np.ndarray, shape: tuple[int, int], h: float, width: float,
                 band_w: np.ndarray, row_layer: np.ndarray, snap_times: Sequence[float],
                 reach_thr: float) -> None:
        nz, nx = shape
        nt = len(times)
        self.nx = nx
        self.band_w = band_w
        self.reach_thr = reach_thr
        self.to_area = h * h / width * NG_ML_M_TO_NG_CM2  # sum(u) -> ng/cm2
        n_layer = len(LAYER_NAMES)
        self.layer_of_row = np.zeros((n_layer, nz))
        self.layer_of_row[row_layer, np.arange(nz)] = 1.0
        self.z_bottom_um = (np.arange(nz) + 1.0) * h * 1e6
        self.snap_index = {float(t): i for i, t in enumerate(snap_times)}
        self.record = SpeciesRecord(
            times=times, band=np.zeros((nt, band_w.shape[0])),
            layer_amount=np.zeros((nt, n_layer)), cmax=np.zeros(nt), reach_um=np.zeros(nt),
            released=np.zeros(nt), entered=np.zeros(nt), lost=np.zeros(nt),
            remaining=np.zeros(nt), clipped=np.zeros(nt),
            snapshots=np.zeros((len(snap_times), nz, nx), np.float32),
            n_steps=0, stopped_at=math.nan, wall_s=0.0)

    def handle(self, n: int, t: float, u: np.ndarray, rowsum: np.ndarray, rowmax: np.ndarray,
               budget: tuple[float, float, float, float]) -> None:
        """Record output ``n`` at time ``t`` [s] from the row sums and maxima of the field
        ``u`` and the running budget ``(released, entered, lost, clipped)`` [ng/cm²]."""
        out = self.record
        out.band[n] = self.band_w @ rowsum / self.nx
        out.layer_amount[n] = self.layer_of_row @ rowsum * self.to_area
        out.cmax[n] = float(rowmax.max())
        above = np.flatnonzero(rowmax >= self.reach_thr)
        out.reach_um[n] = self.z_bottom_um[above[-1]] if above.size else 0.0
        out.released[n], out.entered[n], out.lost[n], out.clipped[n] = budget
        out.remaining[n] = float(rowsum.sum()) * self.to_area
        if t in self.snap_index:
            out.snapshots[self.snap_index[t]] = u


# ------------------------------------------------------------------------------------------------
# one species
# ------------------------------------------------------------------------------------------------


def diffusivity(grid_layer: np.ndarray, hindrance: np.ndarray, injury_eff: np.ndarray,
                sp: SpeciesParams, clot_ratio: float, d_sc: float | None = None) -> np.ndarray:
    """Cell diffusivity [m²/s]: ``D_dermis * hindrance(layer)`` in intact tissue (``d_sc`` in
    the stratum corneum where given), mixed linearly with ``clot_ratio * D_free`` by the
    injured fraction of the cell."""
    d_int = sp.D_dermis * hindrance[grid_layer]
    if d_sc is not None:
        d_int = np.where(grid_layer == SC, d_sc, d_int)
    return d_int * (1.0 - injury_eff) + clot_ratio * sp.D_free * injury_eff


class _Release:
    """Released amounts and decay-weighted step sources of the burst and the gamma pulses."""

    def __init__(self, sp: SpeciesParams, burst_field: np.ndarray | None,
                 release_field: np.ndarray | None, to_area: float) -> None:
        self.sp = sp
        self.has_burst = burst_field is not None and sp.burst_tau > 0
        self.has_pulses = release_field is not None
        self.b_tot = float(burst_field.sum()) * to_area if burst_field is not None else 0.0
        self.r_tot = float(release_field.sum()) * to_area if release_field is not None else 0.0
        self.pulses = [(a, n_, gamma_theta(n_, tp)) for a, n_, tp in sp.pulses]

    def step(self, t0: float, dt: float, released: float) -> tuple[float, float, float, float]:
        """``(wb, wr, released, pending)``: source weights of the burst and the pulse field,
        the cumulative release ``released`` [ng/cm²] plus what [t0, t0 + dt] releases, and the
        release still to come after it [ng/cm²]."""
        k = self.sp.decay
        t1 = t0 + dt
        wb = wr = 0.0
        pending = 0.0  # release still to come after t1
        if self.has_burst:
            rel, w = burst_integrals(t0, t1, k, self.sp.burst_tau)
            wb = w / dt
            released += rel * self.b_tot
            pending += math.exp(-t1 / self.sp.burst_tau) * self.b_tot
        if self.has_pulses:
            for a, shape, theta in self.pulses:
                p0 = float(gammainc(shape, t0 / theta))
                p1 = float(gammainc(shape, t1 / theta))
                released += a * (p1 - p0) * self.r_tot
                pending += a * (1.0 - p1) * self.r_tot
                wr += a * weighted_gamma(t0, t1, k, shape, theta) / dt
        return wb, wr, released, pending


def run_species(
    sp: SpeciesParams,
    h: float,
    width: float,
    D: np.ndarray,
    burst_field: np.ndarray | None,
    release_field: np.ndarray | None,
    tg: TimeGrid,
    band_w: np.ndarray,
    row_layer: np.ndarray,
    snap_times: Sequence[float],
    reach_thr: float,
    stop_thr: float,
    g_top: Callable[[float, float], np.ndarray] | None = None,
    u_top: Callable[[float, float], float] | None = None,
    reservoir: SurfaceReservoir | None = None,
) -> SpeciesRecord:
    """March one species through the time grid (module docstring).

    ``burst_field`` and ``release_field`` [ng/mL] are the amounts released per volume by the
    burst and by a unit pulse amplitude of the sustained release; ``g_top(t0, dt)`` and
    ``u_top(t0, dt)`` give the surface conductance [m/s] and ambient concentration of a step;
    a ``reservoir`` (instead of ``u_top``) gives the ambient value from the surface row and
    is told what entered in each step, so that a finite film depletes.
    """
    tic = _time.perf_counter()
    nz, nx = D.shape
    fx, fz = face_coefficients(D)
    g0 = g_top(0.0, float(tg.dt[0])) if g_top is not None and len(tg.dt) else None
    solver = ADISolver(h, 1.0, fx, fz, g_top=g0)
    u = np.zeros((nz, nx))
    has_sources = burst_field is not None or release_field is not None
    q = np.zeros((nz, nx)) if has_sources else None
    k = sp.decay
    rec = SpeciesRecorder(tg.times, (nz, nx), h, width, band_w, row_layer, snap_times, reach_thr)
    out = rec.record
    src = _Release(sp, burst_field, release_field, rec.to_area)
    released = entered = lost = clipped = 0.0
    if burst_field is not None and sp.burst_tau <= 0:  # instantaneous burst
        u += burst_field
        released += src.b_tot
    rowsum = np.zeros(nz)
    rowmax = np.zeros(nz)
    clip_row_stats(u, rowsum, rowmax)
    rec.handle(0, 0.0, u, rowsum, rowmax, (released, entered, lost, clipped))
    peak = out.cmax[0]
    stopped = False
    for n in range(len(tg.dt)):
        t0 = float(tg.t0[n])
        dt = float(tg.dt[n])
        t1 = t0 + dt
        f = math.exp(-k * dt)
        if stopped:
            # exact decay of what is left; diffusion is no longer resolved (below threshold)
            u *= f
            rowsum *= f
            rowmax *= f
            rec.handle(n + 1, t1, u, rowsum, rowmax, (released, entered, lost, clipped))
            continue
        # decay-weighted step-average source  q_eff = (1/dt) int e^{-k(t1-s)} q(s) ds
        wb, wr, released, pending = src.step(t0, dt, released)
        use_q = q is not None and (wb > 0 or wr > 0)
        if q is not None and use_q:
            combine_sources(q, burst_field if wb > 0 else None, wb,
                            release_field if wr > 0 else None, wr)
        # surface exchange (ambient value decay-weighted like the source)
        ut = 0.0
        w_k = decay_weight(dt, k)
        to_ng = 1.0 / width * NG_ML_M_TO_NG_CM2 / w_k
        if g_top is not None:
            solver.set_boundary(g_top=g_top(t0, dt))
            if reservoir is not None and not reservoir.finite_at(t0):
                ut = reservoir.ambient(t0, dt) * w_k
            elif u_top is not None:
                ut = u_top(t0, dt) * w_k
        if reservoir is not None and g_top is not None and reservoir.finite_at(t0):
            # the step is affine in the film concentration c: F = F0 + c F1
            solver.step(u, dt, q if use_q else None, u_top=0.0, u_bottom=0.0,
                        scheme=tg.scheme[n], scale=f)
            f0 = solver.last_flux.top * to_ng
            unit = np.zeros_like(u)
            solver.step(unit, dt, None, u_top=w_k, u_bottom=0.0, scheme=tg.scheme[n])
            f1 = solver.last_flux.top * to_ng
            c_film = reservoir.concentration(f0, f1)
            u += c_film * unit
            ut = c_film * w_k
            flux = f0 + c_film * f1
        else:
            # integrating factor: c(t1) = ADI(exp(-k dt) c(t0), q_eff)
            solver.step(u, dt, q if use_q else None, u_top=ut, u_bottom=0.0,
                        scheme=tg.scheme[n], scale=f)
            flux = solver.last_flux.top * to_ng
        if reservoir is not None:
            reservoir.take(flux)
        if flux >= 0:
            entered += flux
        else:
            lost -= flux
        clipped -= clip_row_stats(u, rowsum, rowmax) * rec.to_area
        out.n_steps += 1
        rec.handle(n + 1, t1, u, rowsum, rowmax, (released, entered, lost, clipped))
        peak = max(peak, out.cmax[n + 1])
        if (stop_thr > 0 and peak > 0 and out.cmax[n + 1] < stop_thr * peak
                and pending <= stop_thr * max(released, 1e-300)
                and (g_top is None or not np.any(solver.g_top > 0) or ut == 0.0)):
            stopped = True
            out.stopped_at = t1
    out.wall_s = _time.perf_counter() - tic
    return out
