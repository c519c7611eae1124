"""Plain numpy/scipy reference implementations of the numerics kernels (used by the tests).

* :func:`explicit_step_reference` — numpy forward-Euler flux-form step (precomputed faces);
* :func:`assemble_operator`, :class:`SparseReferenceSolver` — scipy.sparse operator and
  backward Euler / Crank–Nicolson with SuperLU;
* :func:`adi_step_reference` — the :class:`dermsim.numerics.ADISolver` algorithm with sparse
  direct solves;
* :func:`damage_step_reference` — numpy version of the Arrhenius/CEM43 damage kernel.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from dermsim.numerics.adi import Scheme
from dermsim.numerics.arrays import as_field, as_row

__all__ = [
    "SparseReferenceSolver",
    "adi_step_reference",
    "assemble_operator",
    "damage_step_reference",
    "explicit_step_reference",
]


def explicit_step_reference(
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
    work: tuple[np.ndarray, np.ndarray] | None = None,
) -> np.ndarray:
    """Numpy reference of :func:`explicit_step`: precomputed faces, in-place ufuncs, no temporaries.

    Parameters are as for :func:`explicit_step`; ``work`` optionally supplies two buffers of
    shapes (nz, nx) and (nz+1, nx).
    """
    nz, nx = u.shape
    if work is None:
        work = (np.empty((nz, nx)), np.empty((nz + 1, nx)))
    fe, fzf = work
    gt = as_row(g_top, nx, "g_top")
    gb = as_row(g_bottom, nx, "g_bottom")
    ut = as_row(u_top, nx, "u_top")
    ub = as_row(u_bottom, nx, "u_bottom")
    # x fluxes F_j = fx_j (u_{j+1} - u_j), periodic
    np.subtract(u[:, 1:], u[:, :-1], out=fe[:, :-1])
    np.subtract(u[:, 0], u[:, -1], out=fe[:, -1])
    np.multiply(fe, fx, out=fe)
    np.subtract(fe[:, 1:], fe[:, :-1], out=out[:, 1:])
    np.subtract(fe[:, 0], fe[:, -1], out=out[:, 0])
    # z fluxes Fz_i = fz_i (u_i - u_{i-1}); boundary faces via conductances
    np.subtract(u[1:], u[:-1], out=fzf[1:-1])
    np.multiply(fzf[1:-1], fz[1:-1], out=fzf[1:-1])
    np.subtract(u[0], ut, out=fzf[0])
    fzf[0] *= h * gt
    np.subtract(ub, u[-1], out=fzf[-1])
    fzf[-1] *= h * gb
    out += fzf[1:]
    out -= fzf[:-1]
    out *= dt / (h * h)
    out += (1.0 - decay * dt) * u
    return out


# ------------------------------------------------------------------------------------------------
# sparse references
# ------------------------------------------------------------------------------------------------


def _pair_matrix(a: np.ndarray, b: np.ndarray, w: np.ndarray, n: int) -> sp.csr_matrix:
    """Graph Laplacian, weight w per pair (a, b): row a gets w (u_b - u_a), row b the reverse."""
    rows = np.concatenate([a, b, a, b])
    cols = np.concatenate([b, a, a, b])
    return sp.coo_matrix((np.concatenate([w, w, -w, -w]), (rows, cols)), shape=(n, n)).tocsr()


def _operators(
    h: float,
    fx: np.ndarray,
    fz: np.ndarray,
    sink: np.ndarray,
    g_top: np.ndarray,
    g_bottom: np.ndarray,
    u_top: np.ndarray,
    u_bottom: np.ndarray,
) -> tuple[sp.csr_matrix, sp.csr_matrix, np.ndarray]:
    """Split operators Ax (periodic x, -S/2), Az (z + Robin, -S/2) and the Robin affine term."""
    nz, nx = fx.shape
    n = nz * nx
    idx = np.arange(n).reshape(nz, nx)
    inv = 1.0 / (h * h)
    # x: faces (i,j)-(i,j+1)
    a = idx.ravel()
    b = np.roll(idx, -1, axis=1).ravel()
    w = fx.ravel() * inv
    ax = _pair_matrix(a, b, w, n)
    ax = ax - sp.diags(0.5 * sink.ravel())
    # z: interior faces (i-1,j)-(i,j)
    a = idx[:-1].ravel()
    b = idx[1:].ravel()
    w = fz[1:-1].ravel() * inv
    az = _pair_matrix(a, b, w, n)
    diag = np.zeros((nz, nx))
    diag[0] -= g_top / h
    diag[-1] -= g_bottom / h
    az = az + sp.diags(diag.ravel() - 0.5 * sink.ravel())
    aff = np.zeros((nz, nx))
    aff[0] += g_top * u_top / h
    aff[-1] += g_bottom * u_bottom / h
    return ax.tocsr(), az.tocsr(), aff.ravel()


def assemble_operator(
    h: float,
    fx: np.ndarray,
    fz: np.ndarray,
    sink: np.ndarray | float = 0.0,
    g_top: np.ndarray | float | None = None,
    g_bottom: np.ndarray | float | None = None,
    u_top: np.ndarray | float = 0.0,
    u_bottom: np.ndarray | float = 0.0,
) -> tuple[sp.csr_matrix, np.ndarray]:
    """Sparse finite-volume operator: ``C du/dt = L u + b + q`` with unknowns in row-major order.

    Returns
    -------
    L : (N, N) csr_matrix
        Diffusion (periodic x, Robin z) minus the sink [units of K/m^2].
    b : (N,) array
        Affine Robin term ``G u_ext / h`` in the boundary rows.
    """
    fx = np.asarray(fx, dtype=np.float64)
    nz, nx = fx.shape
    ax, az, aff = _operators(
        h, fx, np.asarray(fz, dtype=np.float64), as_field(sink, (nz, nx), "sink"),
        as_row(g_top, nx, "g_top"), as_row(g_bottom, nx, "g_bottom"),
        as_row(u_top, nx, "u_top"), as_row(u_bottom, nx, "u_bottom"),
    )
    return (ax + az).tocsr(), aff


class SparseReferenceSolver:
    """Backward Euler / Crank–Nicolson with SuperLU (reference for tests; slow on large grids).

    Parameters are as for :class:`ADISolver`. Factorisations are cached per (dt, scheme).
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
    ) -> None:
        fx = np.asarray(fx, dtype=np.float64)
        self.shape = fx.shape
        self.h = float(h)
        self.fx, self.fz = fx, np.asarray(fz, dtype=np.float64)
        self.capacity = as_field(capacity, self.shape, "capacity").ravel()
        self.sink = as_field(0.0 if sink is None else sink, self.shape, "sink")
        nx = self.shape[1]
        self.g_top = as_row(g_top, nx, "g_top")
        self.g_bottom = as_row(g_bottom, nx, "g_bottom")
        self.L, _ = assemble_operator(h, fx, fz, self.sink, self.g_top, self.g_bottom)
        self._lu: dict[tuple[float, str], spla.SuperLU] = {}

    def _affine(self, u_top: np.ndarray | float, u_bottom: np.ndarray | float) -> np.ndarray:
        nz, nx = self.shape
        aff = np.zeros((nz, nx))
        aff[0] += self.g_top * as_row(u_top, nx, "u_top") / self.h
        aff[-1] += self.g_bottom * as_row(u_bottom, nx, "u_bottom") / self.h
        return aff.ravel()

    def step(
        self,
        u: np.ndarray,
        dt: float,
        source: np.ndarray | None = None,
        u_top: np.ndarray | float = 0.0,
        u_bottom: np.ndarray | float = 0.0,
        scheme: Literal["be", "cn"] = "be",
    ) -> np.ndarray:
        """Advance ``u`` (nz, nx) by ``dt`` in place with backward Euler or Crank–Nicolson."""
        theta = {"be": 1.0, "cn": 0.5}[scheme]
        key = (float(dt), scheme)
        c = self.capacity
        if key not in self._lu:
            a = (sp.diags(c / dt) - theta * self.L).tocsc()
            self._lu[key] = spla.splu(a, permc_spec="MMD_AT_PLUS_A")
        v = u.ravel()
        rhs = c / dt * v + (1.0 - theta) * (self.L @ v) + self._affine(u_top, u_bottom)
        if source is not None:
            rhs += np.asarray(source, dtype=np.float64).ravel()
        u[...] = self._lu[key].solve(rhs).reshape(self.shape)
        return u


def adi_step_reference(
    u: np.ndarray,
    dt: float,
    h: float,
    capacity: np.ndarray | float,
    fx: np.ndarray,
    fz: np.ndarray,
    sink: np.ndarray | float = 0.0,
    g_top: np.ndarray | float | None = None,
    g_bottom: np.ndarray | float | None = None,
    source: np.ndarray | None = None,
    u_top: np.ndarray | float = 0.0,
    u_bottom: np.ndarray | float = 0.0,
    scheme: Scheme = "pr",
) -> np.ndarray:
    """The ADISolver algorithm with scipy.sparse direct solves (reference; returns a new array).

    ``"pr"``: ``(C/tau - Ax) u* = C/tau u + Az u + b + q`` then
    ``(C/tau - Az) u' = C/tau u* + Ax u* + b + q`` with tau = dt/2.
    ``"be"``: ``(C/dt - Ax - S/2) u* = C/dt u + q`` then ``(C/dt - Az + S/2) u' = C/dt u* + b``
    (``Ax``, ``Az`` each hold half of the sink ``-S``: the BE step takes all of it in z).
    """
    fx = np.asarray(fx, dtype=np.float64)
    shape = fx.shape
    nx = shape[1]
    ax, az, aff = _operators(
        h, fx, np.asarray(fz, dtype=np.float64), as_field(sink, shape, "sink"),
        as_row(g_top, nx, "g_top"), as_row(g_bottom, nx, "g_bottom"),
        as_row(u_top, nx, "u_top"), as_row(u_bottom, nx, "u_bottom"),
    )
    c = as_field(capacity, shape, "capacity").ravel()
    q = np.zeros(c.size) if source is None else np.asarray(source, dtype=np.float64).ravel()
    v = np.asarray(u, dtype=np.float64).ravel()
    if scheme == "pr":
        tau = 0.5 * dt
        m = sp.diags(c / tau)
        us = spla.spsolve((m - ax).tocsc(), c / tau * v + az @ v + aff + q)
        un = spla.spsolve((m - az).tocsc(), c / tau * us + ax @ us + aff + q)
    elif scheme == "be":
        m = sp.diags(c / dt)
        half_sink = sp.diags(0.5 * as_field(sink, shape, "sink").ravel())
        us = spla.spsolve((m - ax - half_sink).tocsc(), c / dt * v + q)
        un = spla.spsolve((m - az + half_sink).tocsc(), c / dt * us + aff)
    else:
        raise ValueError(f"scheme must be 'pr' or 'be', got {scheme!r}")
    return un.reshape(shape)


def damage_step_reference(
    t_k: np.ndarray,
    dt: float,
    omega: np.ndarray,
    rate_prev: np.ndarray,
    cem43_min: np.ndarray,
    cem_rate_prev: np.ndarray,
    tmax_k: np.ndarray,
    ln_a_lo: float,
    ea_r_lo: float,
    ln_a_hi: float,
    ea_r_hi: float,
    t_switch_k: float,
    t_gate_arrhenius_k: float,
    t_gate_cem_k: float,
    row_active: np.ndarray,
) -> int:
    """Plain numpy version of :func:`damage_step` (same arguments and semantics)."""
    t = np.asarray(t_k, dtype=np.float64)
    np.maximum(tmax_k, t, out=tmax_k)
    hot = t > t_gate_arrhenius_k
    with np.errstate(over="ignore", under="ignore"):
        r = np.where(t < t_switch_k, np.exp(ln_a_lo - ea_r_lo / t), np.exp(ln_a_hi - ea_r_hi / t))
    r_new = np.where(hot, r, 0.0)
    omega += 0.5 * dt * (rate_prev + r_new)
    rate_prev[...] = r_new
    d43 = 43.0 - (t - 273.15)
    base = np.where(d43 <= 0.0, 0.5, 0.25)
    with np.errstate(over="ignore", under="ignore"):
        c = np.power(base, d43) / 60.0
    c_new = np.where(t > t_gate_cem_k, c, 0.0)
    cem43_min += 0.5 * dt * (cem_rate_prev + c_new)
    cem_rate_prev[...] = c_new
    row_active[...] = np.any((r_new != 0.0) | (c_new != 0.0), axis=1)
    return int(np.count_nonzero(hot))
