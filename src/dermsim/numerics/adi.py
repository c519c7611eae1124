"""The implicit 2-D diffusion driver (:class:`ADISolver`) and the numba-backed step helpers.

Solves the linear reaction–diffusion equation

.. math::  C(x)\\,\\partial_t u = \\nabla\\cdot(K\\nabla u) - S(x)\\,u + q(x, t)

by cell-centred finite volumes (uniform spacing ``h``, conservative flux form, face coefficients
``fx``/``fz`` from :func:`dermsim.numerics.face_coefficients`, i.e. harmonic means at layer
interfaces), periodic in x, with a Robin condition on the top and bottom faces: the flux into the
domain is ``G (u_ext - u_cell)`` per unit area, with one conductance per column (``G = 0`` is no
flux; a Dirichlet value on the face is ``G = K_cell / (h/2)``).

Time stepping:

``"pr"``
    Peaceman–Rachford ADI, second order, unconditionally stable but only A-stable: after a
    non-smooth event (burst, pulse on/off, boundary switch) large steps ring. The source ``q``
    enters both half-steps (the second-order source treatment of Hundsdorfer & Verwer 2003,
    §IV.3).
``"be"``
    Locally one-dimensional backward Euler (x then z), first order and L-stable: use a few of
    these right after each event (Rannacher 1984 start), then switch to ``"pr"``. The source
    of the step enters before the x sweep, so it is diffused by both sweeps like the field
    (``u' = Pz Px (u + dt q / C)``): positive and free of the vertical streak (and the ringing
    of the following PR steps) that a share of ``q`` in the z-only sweep produces. The sink
    is implicit in the z sweep, so a laterally uniform steady state is a fixed point.

Both schemes conserve ``sum(C u) h^2`` exactly (to rounding) when ``S = 0`` and ``G = 0``: the
x operator sums to zero over each periodic row and the z operator over each column.

The numba kernels are in :mod:`dermsim.numerics.kernels.adi`; the numpy/scipy references used
by the tests are in :mod:`dermsim.numerics.reference`.

References
----------
Peaceman D.W., Rachford H.H. (1955) J. Soc. Ind. Appl. Math. 3:28–41.
Rannacher R. (1984) Numer. Math. 43:309–327.
Hundsdorfer W., Verwer J. (2003) Numerical Solution of Time-Dependent Advection–Diffusion–Reaction
Equations, Springer (ADI/LOD splitting and source treatment).
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from typing import Literal

import numpy as np

from dermsim.numerics.arrays import as_field, as_row
from dermsim.numerics.kernels import adi as _k

Scheme = Literal["pr", "be"]

__all__ = [
    "ADISolver",
    "Scheme",
    "StepBoundaryFlux",
    "clip_row_stats",
    "combine_sources",
    "explicit_dt_limit",
    "explicit_step",
]


def _uniform_value(a: np.ndarray, allow_zero: bool = False) -> float:
    """The common value of a uniform field (kernels then skip streaming it), else -1."""
    v = float(a.flat[0])
    if (v > 0 or (allow_zero and v == 0)) and np.all(a == v):
        return v
    return -1.0



@dataclass
class StepBoundaryFlux:
    """Amount that entered the domain through the top and bottom faces during the last step.

    Units: ``[C][u] m^2`` per metre of the (unresolved) y direction, i.e. the same units as
    :meth:`ADISolver.total`. Negative values mean outflow.
    """

    top: float = 0.0
    bottom: float = 0.0


class ADISolver:
    """Implicit 2-D diffusion solver: Peaceman–Rachford ADI and L-stable LOD backward Euler.

    Parameters
    ----------
    h : float
        Cell size [m].
    capacity : (nz, nx) array or float
        Capacity C (1 for concentrations, rho*c [J/m3/K] for heat). Must be > 0.
    fx : (nz, nx) array
        Face coefficients between column j and j+1 (periodic) [units of K, e.g. m2/s, W/m/K].
    fz : (nz+1, nx) array
        Face coefficients above row i (rows 0 and nz ignored).
    sink : (nz, nx) array or float, optional
        Linear sink S (implicit), e.g. decay rate [1/s] or perfusion*rho_b*c_b [W/m3/K].
    g_top, g_bottom : (nx,) array or float, optional
        Robin conductances of the top and bottom faces [K/m, e.g. m/s or W/m2/K]; 0 = no flux.
    max_cached : int
        Number of time-step factorisations kept (each costs 5 arrays of the grid size).

    Notes
    -----
    Factors are rebuilt lazily for each new implicit sub-step ``tau`` (dt/2 for ``"pr"``, dt for
    ``"be"``; without a sink a BE step at dt and a PR step at 2 dt share them, with one the BE
    step keeps its own factors, its sink being all in z) and when the boundary
    conductances change (:meth:`set_boundary`, z factors only). A rebuild costs about one sweep.
    """

    def __init__(
        self,
        h: float,
        capacity: np.ndarray | float,
        fx: np.ndarray,
        fz: np.ndarray,
        sink: np.ndarray | float | None = None,
        g_top: np.ndarray | float | None = None,
        g_bottom: np.ndarray | float | None = None,
        max_cached: int = 4,
    ) -> None:
        fx = np.asarray(fx, dtype=np.float64)
        if fx.ndim != 2:
            raise ValueError("fx must be a 2-D (nz, nx) array")
        nz, nx = fx.shape
        if nz < 2 or nx < 2:
            raise ValueError(f"grid must be at least 2x2, got {fx.shape}")
        if not (h > 0):
            raise ValueError("h must be > 0")
        fz = np.asarray(fz, dtype=np.float64)
        if fz.shape != (nz + 1, nx):
            raise ValueError(f"fz must have shape {(nz + 1, nx)}, got {fz.shape}")
        self.h = float(h)
        self.shape = (nz, nx)
        self.fx = as_field(fx, self.shape, "fx")
        self.fz = as_field(fz, (nz + 1, nx), "fz")
        if np.any(self.fx < 0) or np.any(self.fz < 0):
            raise ValueError("face coefficients must be >= 0")
        self.capacity = as_field(capacity, self.shape, "capacity")
        if np.any(self.capacity <= 0):
            raise ValueError("capacity must be > 0")
        self._cap_s = _uniform_value(self.capacity)
        self.max_cached = max(1, int(max_cached))
        # factor caches keyed by (tau, share of the sink in that sweep: 0, 1 = half, 2 = all)
        self._xf: OrderedDict[tuple[float, int], tuple[np.ndarray, ...]] = OrderedDict()
        self._zf: OrderedDict[tuple[float, int], tuple[np.ndarray, ...]] = OrderedDict()
        # evicted factor arrays are reused: fresh large allocations cost page faults
        self._pool_x: list[tuple[np.ndarray, ...]] = []
        self._pool_z: list[tuple[np.ndarray, ...]] = []
        self.set_sink(0.0 if sink is None else sink)
        self.g_top = as_row(g_top, nx, "g_top")
        self.g_bottom = as_row(g_bottom, nx, "g_bottom")
        self._work = np.empty(self.shape)
        self._noq = np.zeros((1, 1))
        self.last_flux = StepBoundaryFlux()
        self.n_factorisations = 0

    # -- configuration --------------------------------------------------------------------------
    def set_boundary(
        self, g_top: np.ndarray | float | None = None, g_bottom: np.ndarray | float | None = None
    ) -> None:
        """Change the Robin conductances (``None`` keeps one).

        A new ``g_top`` only updates the top-row pivot of the cached z factors (O(nx); the z
        elimination runs from the bottom up), so a surface condition that changes every step
        (channels closing) costs nothing extra; a new ``g_bottom`` drops the z factors.
        """
        nx = self.shape[1]
        if g_bottom is not None:
            new = as_row(g_bottom, nx, "g_bottom")
            if not np.array_equal(new, self.g_bottom):
                self.g_bottom = new
                self._recycle(self._zf, self._pool_z)
        if g_top is not None:
            new = as_row(g_top, nx, "g_top")
            if not np.array_equal(new, self.g_top):
                self.g_top = new
                for (tau, share), zf in self._zf.items():
                    sink, sink_s = self._sink_share(share)
                    _k.refactor_z_top(self.fz, self.capacity, sink, self._cap_s, sink_s,
                                      self.g_top, self.g_bottom, self.h, tau, *zf)

    @staticmethod
    def _recycle(cache: OrderedDict, pool: list) -> None:
        pool.extend(cache.values())
        cache.clear()

    def set_sink(self, sink: np.ndarray | float) -> None:
        """Change the linear sink; all factors are rebuilt lazily."""
        new = as_field(sink, self.shape, "sink")
        if np.any(new < 0):
            raise ValueError("sink must be >= 0")
        self.sink = new
        self._sink_s = _uniform_value(new, allow_zero=True)
        self._sink2 = 2.0 * new
        self._recycle(self._xf, self._pool_x)
        self._recycle(self._zf, self._pool_z)

    # -- factors --------------------------------------------------------------------------------
    def _sink_share(self, share: int) -> tuple[np.ndarray, float]:
        """Sink arguments of a kernel that applies half of what it is given: ``share`` 0 (none),
        1 (half of S) or 2 (all of S)."""
        if share == 0:
            return self.sink, 0.0
        if share == 1:
            return self.sink, self._sink_s
        return self._sink2, 2.0 * self._sink_s if self._sink_s >= 0 else -1.0

    def _factors(self, tau: float, sx: int = 1, sz: int = 1
                 ) -> tuple[tuple[np.ndarray, ...], tuple[np.ndarray, ...]]:
        """Factors of the x and z operators at sub-step ``tau`` with sink shares ``sx``, ``sz``
        (see :meth:`_sink_share`)."""
        nz = self.shape[0]
        if self._sink_s == 0.0:  # no sink: every share gives the same factors
            sx = sz = 1
        xkey, zkey = (tau, sx), (tau, sz)
        xf = self._xf.get(xkey)
        if xf is None:
            while len(self._xf) >= self.max_cached:
                self._pool_x.append(self._xf.popitem(last=False)[1])
            xf = self._pool_x.pop() if self._pool_x else (
                np.empty(self.shape), np.empty(self.shape), np.empty(self.shape),
                np.empty((nz, 2)))
            sink, sink_s = self._sink_share(sx)
            _k.factor_x(self.fx, self.capacity, sink, self._cap_s, sink_s, self.h, tau, *xf)
            self._xf[xkey] = xf
            self.n_factorisations += 1
        else:
            self._xf.move_to_end(xkey)
        zf = self._zf.get(zkey)
        if zf is None:
            while len(self._zf) >= self.max_cached:
                self._pool_z.append(self._zf.popitem(last=False)[1])
            zf = self._pool_z.pop() if self._pool_z else (np.empty(self.shape),
                                                          np.empty(self.shape))
            sink, sink_s = self._sink_share(sz)
            _k.factor_z(self.fz, self.capacity, sink, self._cap_s, sink_s, self.g_top,
                        self.g_bottom, self.h, tau, *zf)
            self._zf[zkey] = zf
        else:
            self._zf.move_to_end(zkey)
        return xf, zf

    # -- stepping -------------------------------------------------------------------------------
    def step(
        self,
        u: np.ndarray,
        dt: float,
        source: np.ndarray | None = None,
        u_top: np.ndarray | float = 0.0,
        u_bottom: np.ndarray | float = 0.0,
        scheme: Scheme = "pr",
        scale: float = 1.0,
    ) -> np.ndarray:
        """Advance ``scale * u`` by ``dt`` in place and return it.

        Parameters
        ----------
        u : (nz, nx) float64 C-contiguous array
            Field at t; overwritten with the field at t + dt.
        dt : float
            Time step [s].
        source : (nz, nx) array, optional
            Source q per unit volume, constant over the step (pass the step average for a
            time-dependent source; then the added amount is exactly ``dt * sum(q) h^2``).
        u_top, u_bottom : float or (nx,) array
            Ambient values beyond the top and bottom faces (used where G > 0).
        scheme : {"pr", "be"}
            Peaceman–Rachford ADI or LOD backward Euler (L-stable restart step).
        scale : float
            Factor applied to ``u`` before the step, fused into the first sweep (e.g. an exact
            decay factor ``exp(-k dt)`` of an integrating-factor scheme).

        Returns
        -------
        u : the same array.

        Notes
        -----
        ``self.last_flux`` receives the amount that entered through the top and bottom faces.
        """
        if u.shape != self.shape or u.dtype != np.float64 or not u.flags.c_contiguous:
            raise ValueError(f"u must be a C-contiguous float64 array of shape {self.shape}")
        if not (dt > 0):
            raise ValueError("dt must be > 0")
        nx = self.shape[1]
        ut = as_row(u_top, nx, "u_top")
        ub = as_row(u_bottom, nx, "u_bottom")
        if source is None:
            q, has_q = self._noq, False
        else:
            q = np.ascontiguousarray(source, dtype=np.float64)
            if q.shape != self.shape:
                raise ValueError(f"source must have shape {self.shape}")
            has_q = True
        # PR: the source enters both half-steps, the sink is split evenly. LOD backward Euler
        # (u' = Pz Px (u + dt q / C)): all of the source enters before the x sweep, so it is
        # diffused by both operators like the field itself (a share in the z-only sweep leaves
        # a vertical streak that the following PR steps keep ringing); the sink is taken
        # entirely into the z sweep, which keeps a laterally uniform steady state exact
        # (its x operator is then pure diffusion, which vanishes on it).
        if scheme == "pr":
            tau, theta, wqx, wqz, sx, sz = 0.5 * dt, 1.0, 1.0, 1.0, 1, 1
        elif scheme == "be":
            tau, theta, wqx, wqz, sx, sz = float(dt), 0.0, 1.0, 0.0, 0, 2
        else:
            raise ValueError(f"scheme must be 'pr' or 'be', got {scheme!r}")
        xf, zf = self._factors(tau, sx, sz)
        top0 = u[0] * scale
        bot0 = u[-1] * scale
        w = self._work
        cs, ss = self._cap_s, self._sink_s
        # the sink arrays below enter only the explicit (theta) terms, which are 0 in BE
        _k.sweep_x(u, w, self.fx, self.fz, self.capacity, self.sink, cs, ss, q, has_q, self.g_top,
                   self.g_bottom, ut, ub, self.h, tau, theta, wqx, float(scale), *xf)
        _k.sweep_z(w, u, self.fx, self.fz, self.capacity, self.sink, cs, ss, q,
                   has_q and wqz != 0.0, self.g_top, self.g_bottom, ut, ub, self.h, tau, theta,
                   wqz, *zf)
        # boundary inflow over the step (exact discrete amount), per metre in y
        h = self.h
        if scheme == "pr":
            ftop = 0.5 * dt * h * np.dot(self.g_top, (ut - top0) + (ut - u[0]))
            fbot = 0.5 * dt * h * np.dot(self.g_bottom, (ub - bot0) + (ub - u[-1]))
        else:
            ftop = dt * h * np.dot(self.g_top, ut - u[0])
            fbot = dt * h * np.dot(self.g_bottom, ub - u[-1])
        self.last_flux = StepBoundaryFlux(float(ftop), float(fbot))
        return u

    def total(self, u: np.ndarray) -> float:
        """Total amount ``sum(C u) h^2`` (per metre in the unresolved y direction)."""
        return float(np.vdot(self.capacity, u)) * self.h * self.h


# ------------------------------------------------------------------------------------------------
# fused per-step helpers (numba) for drivers marching many steps
# ------------------------------------------------------------------------------------------------


def combine_sources(
    q: np.ndarray, a: np.ndarray | None, wa: float, b: np.ndarray | None, wb: float
) -> np.ndarray:
    """``q[...] = wa * a + wb * b`` in one pass (``None`` terms are left out); returns ``q``."""
    dummy = q
    _k.combine_sources(q, dummy if a is None else a, float(wa), dummy if b is None else b,
                       float(wb), a is not None, b is not None)
    return q


def clip_row_stats(u: np.ndarray, rowsum: np.ndarray, rowmax: np.ndarray) -> float:
    """Clip negative values of ``u`` to zero; fill row sums and maxima; one pass.

    Returns
    -------
    float
        Sum of the removed negative values (<= 0), for the mass budget.
    """
    return float(_k.clip_row_stats(u, rowsum, rowmax))


# ------------------------------------------------------------------------------------------------
# explicit stepping (reference scheme, numba and numpy)
# ------------------------------------------------------------------------------------------------


def explicit_dt_limit(
    fx: np.ndarray,
    fz: np.ndarray,
    h: float,
    decay: float = 0.0,
    g_top: np.ndarray | float | None = None,
    g_bottom: np.ndarray | float | None = None,
) -> float:
    """Largest forward-Euler step keeping every update a convex combination (capacity 1) [s].

    ``dt <= h^2 / max_cells(sum of the four face coefficients + h G_boundary + h^2 k)``; this
    also guarantees non-negative results.
    """
    nx = fx.shape[1]
    tot = fx + np.roll(fx, 1, axis=1) + fz[:-1] + fz[1:]
    tot[0] += h * as_row(g_top, nx, "g_top") - fz[0]
    tot[-1] += h * as_row(g_bottom, nx, "g_bottom") - fz[-1]
    m = float(np.max(tot)) + h * h * decay
    return h * h / m if m > 0 else np.inf


def explicit_step(
    u: np.ndarray,
    out: np.ndarray,
    fx: np.ndarray,
    fz: np.ndarray,
    dt: float,
    h: float,
    decay: float = 0.0,
    g_top: np.ndarray | float | None = None,
    g_bottom: np.ndarray | float | None = None,
    u_top: np.ndarray | float = 0.0,
    u_bottom: np.ndarray | float = 0.0,
) -> np.ndarray:
    """Forward-Euler step of ``du/dt = div(K grad u) - k u`` (numba, 5-point flux form).

    Parameters
    ----------
    u, out : (nz, nx) float64 C-contiguous arrays (distinct)
        Field at t and, on return, at t + dt.
    fx, fz : (nz, nx), (nz+1, nx) float64 C-contiguous arrays
        Face diffusivities [m2/s] (:func:`dermsim.tissue.face_coefficients`).
    dt, h : float
        Time step [s] (<= :func:`explicit_dt_limit`) and cell size [m].
    decay : float
        Uniform first-order decay rate [1/s].
    g_top, g_bottom, u_top, u_bottom
        Robin conductances [m/s] and ambient values at the top and bottom faces.

    Returns
    -------
    out
    """
    nx = u.shape[1]
    _k.explicit_step(u, out, fx, fz, as_row(g_top, nx, "g_top"), as_row(g_bottom, nx, "g_bottom"),
                     as_row(u_top, nx, "u_top"), as_row(u_bottom, nx, "u_bottom"), float(decay),
                     float(dt), float(h))
    return out
