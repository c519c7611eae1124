"""Electric potential of the RF pins and the Joule heat it deposits.

Quasi-static, σ-only: ∇·(σ∇φ) = 0 by conservative 5-point finite volumes with harmonic-mean
face conductances; the skin surface is no-flux, x is periodic. Solved once per (geometry, σ)
with pyamg Ruge–Stüben + CG (Ruge & Stüben 1987) and cached: φ scales with V, the Joule heat
with V². :class:`PotentialProblem` keeps the AMG hierarchy for the re-solves of σ(T);
:func:`solve_potential_complex` solves with σ + iωε0εr (sparse direct) to measure the
displacement-current error of the σ-only model. The Joule heat per cell comes from the face
dissipation G_f |Δφ_f|² (half to each tissue cell of a tissue–tissue face, all of it to the
tissue cell of an electrode face), so the total equals V·I exactly; with V the RMS voltage this
is Q = σ |E_rms|².
"""

from __future__ import annotations

import hashlib
import time as _time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from dermsim.numerics.blas import single_threaded_blas
from dermsim.thermal.config import POTENTIAL_SOLVERS
from dermsim.thermal.electrodes import ELECTRODE, INSULATED, TISSUE, ElectrodeLayout

__all__ = [
    "EPS0",
    "POTENTIAL_SOLVERS",
    "PotentialField",
    "PotentialProblem",
    "clear_potential_cache",
    "solve_potential",
    "solve_potential_complex",
]

EPS0 = 8.8541878128e-12  # F/m
#: A re-solve that needed more CG iterations than this rebuilds the AMG hierarchy next time
#: (numerics choice).
REBUILD_ITERATIONS = 25


@dataclass(frozen=True, eq=False)
class PotentialField:
    """Solution of the potential problem for a unit setting (V = 1 V RMS).

    Attributes
    ----------
    phi : (nz, nx) array
        Potential per volt [-] (complex for the complex-conductivity model); NaN in insulated
        cells.
    joule : (nz, nx) array
        Time-averaged Joule heat per V² [W/m³/V²] (0 in electrode and insulated cells).
    power_per_m : float
        Total dissipated power per unit length in y per V² [W/m/V²].
    current_per_m : float
        RMS current leaving the positive electrodes per unit length in y per volt [A/m/V]
        (magnitude for the complex model).
    iterations : int
        Krylov iterations (0 for direct solves).
    setup_s, solve_s : float
        Wall time of the hierarchy/factorisation setup and of the solve [s].
    method : str
        ``"amg"``, ``"splu"`` or ``"complex-splu"``.
    """

    phi: np.ndarray
    joule: np.ndarray
    power_per_m: float
    current_per_m: float
    iterations: int
    setup_s: float
    solve_s: float
    method: str


def _faces(sig: np.ndarray, kind: np.ndarray,
           ground_bottom: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Face conductances G [S per m in y] for x faces (nz, nx), interior z faces (nz-1, nx)
    and the bottom faces (nx,) (to the 0-V pad, monopolar)."""
    t = kind == TISSUE
    e = kind == ELECTRODE
    s = np.where(t, sig, 0.0)

    def pair(a_t, a_e, sa, b_t, b_e, sb):
        ssum = sa + sb
        hm = np.divide(2.0 * sa * sb, ssum, out=np.zeros_like(ssum), where=(a_t & b_t))
        g = np.where(a_t & b_t, hm, 0.0)
        g = np.where(a_t & b_e, 2.0 * sa, g)
        g = np.where(a_e & b_t, 2.0 * sb, g)
        return g

    gx = pair(t, e, s, np.roll(t, -1, 1), np.roll(e, -1, 1), np.roll(s, -1, 1))
    gz = pair(t[:-1], e[:-1], s[:-1], t[1:], e[1:], s[1:])
    gb = 2.0 * s[-1] if ground_bottom else np.zeros(sig.shape[1], dtype=s.dtype)
    return gx, gz, gb


def _assemble(sig: np.ndarray, layout: ElectrodeLayout) -> tuple[sp.csr_matrix, np.ndarray,
                                                                np.ndarray, tuple]:
    """Matrix and right-hand side of the potential problem for unit setting."""
    kind = layout.kind
    nz, nx = kind.shape
    t = (kind == TISSUE).ravel()
    idx = np.full(nz * nx, -1, np.int64)
    idx[t] = np.arange(int(t.sum()))
    n = int(t.sum())
    flat = np.arange(nz * nx).reshape(nz, nx)
    gx, gz, gb = _faces(sig, kind, layout.ground_bottom)
    a_list = [flat.ravel(), flat[:-1].ravel()]
    b_list = [np.roll(flat, -1, 1).ravel(), flat[1:].ravel()]
    g_list = [gx.ravel(), gz.ravel()]
    a = np.concatenate(a_list)
    b = np.concatenate(b_list)
    g = np.concatenate(g_list)
    nzmask = g != 0
    a, b, g = a[nzmask], b[nzmask], g[nzmask]
    ia, ib = idx[a], idx[b]
    pot = layout.potential.ravel()
    diag = np.zeros(n, dtype=g.dtype)
    rhs = np.zeros(n, dtype=g.dtype)
    tt = (ia >= 0) & (ib >= 0)
    te = (ia >= 0) & (ib < 0)
    et = (ia < 0) & (ib >= 0)
    np.add.at(diag, ia[tt], g[tt])
    np.add.at(diag, ib[tt], g[tt])
    np.add.at(diag, ia[te], g[te])
    np.add.at(rhs, ia[te], g[te] * pot[b[te]])
    np.add.at(diag, ib[et], g[et])
    np.add.at(rhs, ib[et], g[et] * pot[a[et]])
    if layout.ground_bottom:
        bottom = flat[-1]
        ok = idx[bottom] >= 0
        np.add.at(diag, idx[bottom[ok]], gb[ok])
    off_r = np.concatenate([ia[tt], ib[tt]])
    off_c = np.concatenate([ib[tt], ia[tt]])
    off_v = -np.concatenate([g[tt], g[tt]])
    mat = sp.csr_matrix((np.concatenate([diag, off_v]),
                         (np.concatenate([np.arange(n), off_r]),
                          np.concatenate([np.arange(n), off_c]))), shape=(n, n))
    return mat, rhs, idx, (a, b, g, gb)


def _joule(phi_full: np.ndarray, layout: ElectrodeLayout,
           faces: tuple) -> tuple[np.ndarray, float, float]:
    """Cell Joule heat per V² [W/m³ without the 1/h² factor applied later], total, current."""
    a, b, g, gb = faces
    kind = layout.kind.ravel()
    nz, nx = layout.kind.shape
    p = phi_full.ravel()
    d = p[a] - p[b]
    diss = (np.real(g) * np.abs(d) ** 2)
    q = np.zeros(nz * nx)
    ta = kind[a] == TISSUE
    tb = kind[b] == TISSUE
    both = ta & tb
    np.add.at(q, a[both], 0.5 * diss[both])
    np.add.at(q, b[both], 0.5 * diss[both])
    np.add.at(q, a[ta & ~tb], diss[ta & ~tb])
    np.add.at(q, b[tb & ~ta], diss[tb & ~ta])
    if layout.ground_bottom:
        bottom = np.arange((nz - 1) * nx, nz * nx)
        ok = kind[bottom] == TISSUE
        q[bottom[ok]] += np.real(gb[ok]) * np.abs(p[bottom[ok]]) ** 2
    # current out of the positive electrodes
    pos = layout.potential.ravel() > 0
    cur = 0.0 + 0.0j
    m1 = pos[a] & tb
    m2 = pos[b] & ta
    cur += np.sum(g[m1] * (p[a[m1]] - p[b[m1]]))
    cur += np.sum(g[m2] * (p[b[m2]] - p[a[m2]]))
    return q.reshape(nz, nx), float(q.sum()), float(abs(cur))


def _no_current(layout: ElectrodeLayout, method: str) -> PotentialField:
    """Field of a layout without exposed electrode cells (no pin reached the tissue)."""
    shape = layout.kind.shape
    phi = np.where(layout.kind == INSULATED, np.nan, 0.0)
    return PotentialField(phi, np.zeros(shape), 0.0, 0.0, 0, 0.0, 0.0, method)


class PotentialProblem:
    """The potential problem for one electrode layout; keeps the AMG hierarchy for re-solves.

    Parameters
    ----------
    sigma : (nz, nx) array
        Conductivity [S/m] (values in electrode/insulated cells are ignored).
    h : float
        Cell size [m] (the 2-D problem does not depend on it except through the Joule density).
    layout : ElectrodeLayout
        Electrodes.
    method : {"amg", "splu"}
        Solver for the real problem.
    rtol : float
        Relative residual tolerance of AMG-CG.
    """

    def __init__(self, sigma: np.ndarray, h: float, layout: ElectrodeLayout,
                 method: str = "amg", rtol: float = 1e-10) -> None:
        if method not in POTENTIAL_SOLVERS:
            raise ValueError(f"method must be one of {POTENTIAL_SOLVERS}")
        self.h = float(h)
        self.layout = layout
        self.method = method
        self.rtol = float(rtol)
        self._ml: Any = None
        self._lu: Any = None
        self._phi_prev: np.ndarray | None = None
        self._last_iters = 0
        self.sigma0 = np.asarray(sigma, dtype=np.float64)

    def solve(self, sigma: np.ndarray | None = None,
              rtol: float | None = None) -> PotentialField:
        """Solve for the unit setting with conductivity ``sigma`` (default: the initial one).

        The first call builds the AMG hierarchy (or LU factors); later calls with a different
        ``sigma`` (σ(T) coupling) reuse the hierarchy as a CG preconditioner with a warm start,
        until a re-solve needs more than :data:`REBUILD_ITERATIONS` iterations.
        """
        with single_threaded_blas():
            return self._solve(sigma, self.rtol if rtol is None else max(self.rtol, rtol))

    def _solve(self, sigma: np.ndarray | None, rtol: float) -> PotentialField:
        sig = self.sigma0 if sigma is None else np.asarray(sigma, dtype=np.float64)
        if not np.any(self.layout.kind == ELECTRODE):
            return _no_current(self.layout, self.method)
        t0 = _time.perf_counter()
        mat, rhs, idx, faces = _assemble(sig, self.layout)
        iters = 0
        if self.method == "splu":
            lu = spla.splu(mat.tocsc(), permc_spec="MMD_AT_PLUS_A")
            t1 = _time.perf_counter()
            x = lu.solve(rhs)
        else:
            import pyamg

            res: list[float] = []
            if self._ml is None or self._last_iters > REBUILD_ITERATIONS:
                # first solve, or the conductivity moved so far (desiccation) that the old
                # hierarchy is a poor preconditioner: build it for the current matrix
                self._ml = pyamg.ruge_stuben_solver(mat)
                t1 = _time.perf_counter()
                x = self._ml.solve(rhs, x0=self._phi_prev, tol=rtol, accel="cg",
                                   residuals=res, maxiter=500)
            else:
                t1 = _time.perf_counter()
                m = self._ml.aspreconditioner(cycle="V")
                it = [0]

                def count(_xk: np.ndarray) -> None:
                    it[0] += 1

                x, _info = spla.cg(mat, rhs, x0=self._phi_prev, rtol=rtol, M=m,
                                  maxiter=500, callback=count)
                res = [0.0] * (it[0] + 1)
            iters = max(0, len(res) - 1)
        t2 = _time.perf_counter()
        self._phi_prev = x
        self._last_iters = iters
        phi = np.where(self.layout.kind == INSULATED, np.nan, self.layout.potential).ravel()
        t = idx >= 0
        phi[t] = x[idx[t]]
        phi2 = phi.reshape(self.layout.kind.shape)
        q, ptot, cur = _joule(np.nan_to_num(phi2), self.layout, faces)
        return PotentialField(phi2, q / self.h**2, ptot, cur, iters, t1 - t0, t2 - t1,
                              self.method)


_POTENTIAL_CACHE: OrderedDict[bytes, PotentialField] = OrderedDict()
_CACHE_SIZE = 8


def _cache_key(*parts: Any) -> bytes:
    hs = hashlib.sha1()
    for p in parts:
        if isinstance(p, np.ndarray):
            hs.update(np.ascontiguousarray(p).tobytes())
        elif isinstance(p, bytes):
            hs.update(p)
        else:
            hs.update(repr(p).encode())
    return hs.digest()


def clear_potential_cache() -> None:
    """Forget the cached potential solutions (benchmarks that time a cold solve)."""
    _POTENTIAL_CACHE.clear()


def solve_potential(sigma: np.ndarray, h: float, layout: ElectrodeLayout, method: str = "amg",
                    rtol: float = 1e-10, use_cache: bool = True) -> PotentialField:
    """Unit-setting potential and Joule heat for a layout (cached per geometry and σ).

    Parameters
    ----------
    sigma : (nz, nx) array
        Conductivity [S/m].
    h : float
        Cell size [m].
    layout : ElectrodeLayout
        Electrodes (``potential`` per volt of the setting).
    method : {"amg", "splu"}
        Linear solver.
    rtol : float
        AMG-CG relative tolerance.
    use_cache : bool
        Reuse a previous solution with identical inputs.

    Returns
    -------
    PotentialField
        φ per volt, Joule heat per V² [W/m³/V²], power per length per V² [W/m/V²].
    """
    key = _cache_key(np.asarray(sigma, np.float64), h, layout.key(), method)
    if use_cache and key in _POTENTIAL_CACHE:
        _POTENTIAL_CACHE.move_to_end(key)
        return _POTENTIAL_CACHE[key]
    sol = PotentialProblem(sigma, h, layout, method, rtol).solve()
    if use_cache:
        _POTENTIAL_CACHE[key] = sol
        while len(_POTENTIAL_CACHE) > _CACHE_SIZE:
            _POTENTIAL_CACHE.popitem(last=False)
    return sol


def solve_potential_complex(sigma: np.ndarray, eps_r: np.ndarray, frequency_hz: float, h: float,
                            layout: ElectrodeLayout) -> PotentialField:
    """Potential with the complex conductivity σ* = σ + iωε0εr (sparse direct solve).

    Face conductances are harmonic means of σ* (series impedance of two half-cells). The
    time-averaged Joule heat per face is Re(G*) |Δφ|² with RMS phasors.

    Parameters
    ----------
    sigma, eps_r : (nz, nx) arrays
        Conductivity [S/m] and relative permittivity [-].
    frequency_hz : float
        Frequency [Hz].
    h : float
        Cell size [m].
    layout : ElectrodeLayout
        Electrodes.
    """
    if not np.any(layout.kind == ELECTRODE):
        return _no_current(layout, "complex-splu")
    sstar = np.asarray(sigma, np.float64) + 1j * 2.0 * np.pi * frequency_hz * EPS0 * np.asarray(
        eps_r, np.float64)
    t0 = _time.perf_counter()
    mat, rhs, idx, faces = _assemble(sstar, layout)
    with single_threaded_blas():
        lu = spla.splu(mat.tocsc(), permc_spec="MMD_AT_PLUS_A")
        t1 = _time.perf_counter()
        x = lu.solve(rhs.astype(complex))
    t2 = _time.perf_counter()
    phi = np.where(layout.kind == INSULATED, np.nan, layout.potential).astype(complex).ravel()
    t = idx >= 0
    phi[t] = x[idx[t]]
    phi2 = phi.reshape(layout.kind.shape)
    q, ptot, cur = _joule(np.nan_to_num(phi2), layout, faces)
    return PotentialField(phi2, q / h**2, ptot, cur, 0, t1 - t0, t2 - t1, "complex-splu")


# ------------------------------------------------------------------------------------------------
