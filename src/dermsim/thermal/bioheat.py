"""Pennes bioheat: the steady state before RF, the time-stepped model and its energy ledger.

ρc ∂T/∂t = ∇·(k∇T) + ω_b ρ_b c_b (T_a − T) + Q_rf (Pennes 1948), stepped with
:class:`dermsim.numerics.ADISolver` (Peaceman–Rachford with the Joule source inside both
half-steps, L-stable backward-Euler restart steps, Rannacher 1984). Surface: convection to air
or a contact-cooling plate (Robin); deep boundary at 37 °C.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import scipy.sparse.linalg as spla

from dermsim.numerics.blas import single_threaded_blas
from dermsim.thermal.damage import DamageAccumulator
from dermsim.thermal.desiccation import TissueWater

#: Time-step scheme: Peaceman–Rachford or backward Euler (restart).
Scheme = Literal["pr", "be"]

__all__ = [
    "BioheatModel",
    "EnergyLedger",
    "pennes_steady_state",
    "robin_conductance",
]


def robin_conductance(h_conv: np.ndarray | float, k_cell: np.ndarray, h: float) -> np.ndarray:
    """Conductance [W/m²/K] from a boundary cell centre to an ambient through a film coefficient.

    Series of the half-cell conduction ``k/(h/2)`` and the film ``h_conv``; ``h_conv = inf``
    gives a Dirichlet value on the face, ``0`` no flux.
    """
    k_cell = np.asarray(k_cell, dtype=np.float64)
    hc = np.broadcast_to(np.asarray(h_conv, dtype=np.float64), k_cell.shape)
    half = 2.0 * k_cell / h
    with np.errstate(divide="ignore", invalid="ignore"):
        g = np.where(np.isinf(hc), half, np.where(hc > 0, 1.0 / (1.0 / np.where(hc > 0, hc, 1.0)
                                                                 + 1.0 / half), 0.0))
    return g


def pennes_steady_state(h: float, k: np.ndarray, sink: np.ndarray, t_arterial: float,
                        g_top: np.ndarray | float, t_top: float, g_bottom: np.ndarray | float,
                        t_bottom: float, q: np.ndarray | None = None) -> np.ndarray:
    """Steady Pennes temperature: 0 = ∇·(k∇T) + S (T_a - T) + q with Robin top/bottom faces.

    Same finite-volume discretisation as :class:`dermsim.numerics.ADISolver` (harmonic faces,
    periodic x). A laterally uniform problem is solved as one column (tridiagonal), otherwise
    with pyamg Ruge–Stüben + CG.

    Parameters
    ----------
    h : float
        Cell size [m].
    k : (nz, nx) array
        Thermal conductivity [W/m/K].
    sink : (nz, nx) array
        Perfusion coefficient S = ω_b ρ_b c_b [W/m³/K].
    t_arterial : float
        Arterial temperature (same unit as the result).
    g_top, g_bottom : float or (nx,) array
        Boundary conductances [W/m²/K] (see :func:`robin_conductance`).
    t_top, t_bottom : float
        Ambient temperatures beyond the top and bottom faces.
    q : (nz, nx) array, optional
        Volumetric heat source [W/m³].

    Returns
    -------
    (nz, nx) array
        Temperature.
    """
    from dermsim.numerics import assemble_operator
    from dermsim.tissue import face_coefficients

    k = np.asarray(k, dtype=np.float64)
    sink = np.broadcast_to(np.asarray(sink, dtype=np.float64), k.shape)
    nz, nx = k.shape
    gt = np.broadcast_to(np.asarray(g_top, dtype=np.float64), (nx,))
    gb = np.broadcast_to(np.asarray(g_bottom, dtype=np.float64), (nx,))
    qq = np.zeros(k.shape) if q is None else np.broadcast_to(np.asarray(q, np.float64), k.shape)
    uniform = (np.all(k == k[:, :1]) and np.all(sink == sink[:, :1]) and np.all(gt == gt[0])
               and np.all(gb == gb[0]) and np.all(qq == qq[:, :1]))
    if uniform:
        kc = k[:, :1]
        fx, fz = face_coefficients(kc)
        mat, aff = assemble_operator(h, fx, fz, sink[:, :1], gt[:1], gb[:1], t_top, t_bottom)
        rhs = aff + (sink[:, 0] * t_arterial + qq[:, 0])
        col = spla.spsolve((-mat).tocsc(), rhs)
        return np.ascontiguousarray(np.broadcast_to(col[:, None], (nz, nx)))
    import pyamg

    fx, fz = face_coefficients(k)
    mat, aff = assemble_operator(h, fx, fz, sink, gt, gb, t_top, t_bottom)
    rhs = aff + (sink * t_arterial + qq).ravel()
    a = (-mat).tocsr()
    with single_threaded_blas():
        ml = pyamg.ruge_stuben_solver(a)
        x = ml.solve(rhs, tol=1e-12, accel="cg", maxiter=500)
    return x.reshape(nz, nx)


def _dot(a: np.ndarray, b: np.ndarray) -> float:
    """Sum of the elementwise product without BLAS.

    BLAS dot products wake OpenBLAS worker threads that then spin while the numba ADI sweeps
    run; on 2 cores that made a step 5x slower (benchmarks/bench_rf.py).
    """
    return float(np.einsum("ij,ij->", a, b))


@dataclass
class EnergyLedger:
    """Energy budget per metre in y [J/m] since the start of the RF timeline."""

    joule: float = 0.0
    boundary_in: float = 0.0
    perfusion_out: float = 0.0
    stored_start: float = 0.0
    stored: float = 0.0
    latent: float = 0.0

    @property
    def residual(self) -> float:
        """stored change + latent heat - (Joule + boundary inflow - perfusion loss) [J/m]."""
        return (self.stored - self.stored_start) + self.latent - (
            self.joule + self.boundary_in - self.perfusion_out)


class BioheatModel:
    """Pennes bioheat on the grid, stepped with :class:`dermsim.numerics.ADISolver`.

    Parameters
    ----------
    h : float
        Cell size [m].
    rho_c : (nz, nx) array
        Volumetric heat capacity ρc [J/m³/K].
    k : (nz, nx) array
        Thermal conductivity [W/m/K].
    sink : (nz, nx) array
        Perfusion coefficient S = ω_b ρ_b c_b [W/m³/K].
    t_arterial_k : float
        Arterial temperature [K].
    g_top, t_top_k : float or (nx,) array, float
        Top-face conductance [W/m²/K] and ambient temperature [K].
    g_bottom, t_bottom_k : float or (nx,) array, float
        Bottom-face conductance and temperature.
    damage : DamageAccumulator, optional
        Damage state advanced after every step.
    perfusion_shutdown : bool
        Remove perfusion where Ω ≥ 1. Implemented as an explicit correction
        ``+S (T^n - T_a)`` in coagulated cells so the ADI factors are not rebuilt; the
        perfusion rate S/ρc ≈ 1.4e-3 1/s makes the explicit lag negligible at dt ≤ 1 s.
    water : TissueWater, optional
        Tissue water: after every step, heat above the vaporisation temperature goes into
        vaporisation (:mod:`dermsim.thermal.desiccation`).

    Attributes
    ----------
    T : (nz, nx) array
        Temperature [K].
    ledger : EnergyLedger
        Energy budget [J/m].
    """

    def __init__(self, h: float, rho_c: np.ndarray, k: np.ndarray, sink: np.ndarray,
                 t_arterial_k: float, g_top: np.ndarray | float, t_top_k: float,
                 g_bottom: np.ndarray | float, t_bottom_k: float,
                 damage: DamageAccumulator | None = None,
                 perfusion_shutdown: bool = False, water: TissueWater | None = None) -> None:
        from dermsim.numerics import ADISolver
        from dermsim.tissue import face_coefficients

        self.h = float(h)
        self.rho_c = np.ascontiguousarray(rho_c, dtype=np.float64)
        self.k = np.ascontiguousarray(k, dtype=np.float64)
        self.sink = np.ascontiguousarray(np.broadcast_to(sink, self.k.shape), dtype=np.float64)
        self.t_arterial_k = float(t_arterial_k)
        nx = self.k.shape[1]
        self.g_top = np.broadcast_to(np.asarray(g_top, np.float64), (nx,)).copy()
        self.g_bottom = np.broadcast_to(np.asarray(g_bottom, np.float64), (nx,)).copy()
        self.t_top_k = float(t_top_k)
        self.t_bottom_k = float(t_bottom_k)
        fx, fz = face_coefficients(self.k)
        self.solver = ADISolver(self.h, self.rho_c, fx, fz, self.sink, self.g_top, self.g_bottom,
                                max_cached=6)
        self.base_source = self.sink * self.t_arterial_k
        self._sink_total = float(self.sink.sum())
        self.damage = damage
        self.perfusion_shutdown = bool(perfusion_shutdown)
        self.water = water
        self.T = np.zeros(self.k.shape)
        self.time = 0.0
        self._ledger = EnergyLedger()
        self._q = np.empty(self.k.shape)
        self._q_key: Any = ("unset",)
        self._qsum_key: Any = None
        self._qsum = 0.0
        self._sink_dot: float | None = None
        self._dead_cache: Any = None
        self._unit_cache: dict[tuple[float, str], tuple[np.ndarray, np.ndarray, float]] = {}

    def set_top(self, g_top: np.ndarray | float, t_top_k: float) -> None:
        """Change the surface condition (e.g. contact cooling plate applied)."""
        nx = self.k.shape[1]
        self.g_top = np.broadcast_to(np.asarray(g_top, np.float64), (nx,)).copy()
        self.t_top_k = float(t_top_k)
        self.solver.set_boundary(g_top=self.g_top)
        self._unit_cache.clear()

    def steady_state(self) -> np.ndarray:
        """Set ``T`` to the steady state without RF and reset the ledger; returns ``T``."""
        self.T = np.ascontiguousarray(pennes_steady_state(
            self.h, self.k, self.sink, self.t_arterial_k, self.g_top, self.t_top_k,
            self.g_bottom, self.t_bottom_k))
        self.reset_ledger()
        return self.T

    def _stored(self) -> float:
        return _dot(self.rho_c, self.T) * self.h * self.h

    def reset_ledger(self) -> None:
        st = self._stored()
        self._ledger = EnergyLedger(stored_start=st, stored=st)
        self._sink_dot = None

    def _dead_sink(self) -> np.ndarray | None:
        """Perfusion coefficient of coagulated cells (Ω ≥ 1), None if none or disabled.

        Recomputed only after a step with cells above the Arrhenius gate (Ω can only cross 1
        there)."""
        if not self.perfusion_shutdown or self.damage is None:
            return None
        if self._dead_cache is None or self.damage.n_hot > 0:
            dead = self.damage.omega >= 1.0
            self._dead_cache = (np.where(dead, self.sink, 0.0) if dead.any() else False)
        return None if self._dead_cache is False else self._dead_cache

    @property
    def ledger(self) -> EnergyLedger:
        """Energy budget since the last :meth:`reset_ledger` (stored heat evaluated now)."""
        self._ledger.stored = self._stored()
        return self._ledger

    def unit_response(self, dt: float, q_rf: np.ndarray,
                      scheme: Scheme = "pr") -> tuple[np.ndarray, float]:
        """Temperature change of one step caused by the Joule source ``q_rf`` alone.

        The step is an affine map of (T, sources, ambient temperatures), so the temperature at
        the end of a step with source ``s q_rf`` is ``T_free + s B`` with ``B`` the step of a
        zero field with source ``q_rf``, zero ambient temperatures and no perfusion offset.
        ``B`` depends only on (dt, scheme, q_rf) and is cached.

        Returns
        -------
        B : (nz, nx) array
            Temperature rise [K] per unit scale.
        flux_b : float
            Boundary inflow of that step [J/m] (negative: heat leaving).
        """
        key = (float(dt), scheme)
        hit = self._unit_cache.get(key)
        if hit is not None and hit[0] is q_rf:
            return hit[1], hit[2]
        b = np.zeros(self.k.shape)
        self.solver.step(b, dt, q_rf, u_top=0.0, u_bottom=0.0, scheme=scheme)
        lf = self.solver.last_flux
        if len(self._unit_cache) >= 8:
            self._unit_cache.pop(next(iter(self._unit_cache)))
        self._unit_cache[key] = (q_rf, b, lf.top + lf.bottom)
        return b, lf.top + lf.bottom

    def step(self, dt: float, q_rf: np.ndarray | None = None, scale: float = 1.0,
             scheme: Scheme = "pr", t_limit_k: float | None = None) -> float:
        """Advance ``T`` by ``dt`` with Joule heat ``scale * q_rf`` [W/m³] inside the step.

        Parameters
        ----------
        dt : float
            Step [s].
        q_rf : (nz, nx) array, optional
            Joule heat per unit scale [W/m³].
        scale : float
            Requested scale of ``q_rf`` (V² for a unit-voltage field).
        scheme : {"pr", "be"}
            Peaceman–Rachford or backward-Euler (restart) step.
        t_limit_k : float, optional
            Power limiter: if the hottest cell would end the step above this temperature [K],
            the scale is lowered to the largest value that keeps every cell at or below it
            (exact, through :meth:`unit_response`; 0 if the limit is already exceeded without
            RF). The energy ledger and the damage integral use the delivered scale.

        Returns
        -------
        float
            The scale delivered (``scale`` unless the limiter acted).
        """
        h2 = self.h * self.h
        led = self._ledger
        q = self._q
        dead = self._dead_sink()
        key = (id(q_rf) if q_rf is not None else None, scale)
        if dead is not None or key != self._q_key:
            np.copyto(q, self.base_source)
            if q_rf is not None and scale != 0.0:
                q += scale * q_rf
            self._q_key = key if dead is None else None
        if self._sink_dot is None:
            self._sink_dot = _dot(self.sink, self.T)
        perf_old = self._sink_dot
        if dead is not None:
            dead_dot = _dot(dead, self.T)
            q += dead * self.T
            q -= dead * self.t_arterial_k
        self.solver.step(self.T, dt, q, u_top=self.t_top_k, u_bottom=self.t_bottom_k,
                         scheme=scheme)
        lf = self.solver.last_flux
        flux = lf.top + lf.bottom
        delivered = scale
        if (t_limit_k is not None and q_rf is not None and scale > 0.0
                and float(self.T.max()) > t_limit_k):
            b, flux_b = self.unit_response(dt, q_rf, scheme)
            free = self.T - scale * b  # the same step without RF
            heated = b > 1e-12 * float(b.max())
            if heated.any():
                delivered = float(np.min((t_limit_k - free[heated]) / b[heated]))
                delivered = min(scale, max(0.0, delivered))
            else:  # pragma: no cover - a source that heats nothing
                delivered = 0.0
            if delivered != scale:
                self.T += (delivered - scale) * b
                flux += (delivered - scale) * flux_b
        if q_rf is not None and delivered != 0.0:
            if self._qsum_key is not q_rf:
                self._qsum_key, self._qsum = q_rf, float(q_rf.sum())
            led.joule += dt * delivered * self._qsum * h2
        led.boundary_in += flux
        # perfusion loss (trapezoid), minus the explicit shutdown correction
        self._sink_dot = _dot(self.sink, self.T)
        perf = 0.5 * dt * h2 * (perf_old + self._sink_dot - 2.0 * self.t_arterial_k
                                * self._sink_total)
        if dead is not None:
            perf -= dt * h2 * (dead_dot - self.t_arterial_k * float(dead.sum()))
        led.perfusion_out += perf
        if self.water is not None:
            latent = self.water.vaporise(self.T, self.rho_c)
            if latent:
                led.latent += latent * h2
                self._sink_dot = None  # the next step starts from the lowered temperature
        self.time += dt
        if self.damage is not None:
            self.damage.update(self.T, dt)
        return delivered

