"""Numba kernels for 2-D implicit diffusion: Peaceman–Rachford / LOD sweeps and an explicit stencil.

Discretisation (finite volume, cell-centred, uniform spacing ``h``), for the equation

    C du/dt = div(K grad u) - S u + q

on an (nz, nx) grid, periodic in x (columns) and with Robin faces at the top (row 0) and bottom
(row nz-1): flux into the domain ``G (u_ext - u_cell)``. ``K`` enters as face coefficients
``fx`` (nz, nx; face between column j and j+1, periodic) and ``fz`` (nz+1, nx; face above row i;
rows 0 and nz are ignored here: the boundary faces are described by the conductances).

All operators are multiplied by ``h**2`` so that a tridiagonal row reads

    (alpha + fx[j-1] + fx[j] + S h^2/2) u_j - fx[j-1] u_{j-1} - fx[j] u_{j+1},  alpha = C h^2 / tau

where ``tau`` is the implicit sub-step (dt/2 for Peaceman–Rachford, dt for LOD backward Euler).
The sink is split evenly between the x and z operators.

Every kernel is a pure function on arrays; physical values arrive as arguments so that changing
them never triggers a recompilation (``cache=True``). They are called only by
:mod:`dermsim.solvers`, which also holds the plain numpy/scipy references used by the tests.

References
----------
Peaceman D.W., Rachford H.H., J. Soc. Ind. Appl. Math. 3 (1955) 28 (ADI).
Sherman–Morrison correction for the cyclic (periodic) tridiagonal system: standard linear algebra.
Rannacher R., Numer. Math. 43 (1984) 309 (L-stable start after non-smooth data).
"""

from __future__ import annotations

import numpy as np
from numba import njit

# ---------------------------------------------------------------------------------------------
# factorisation
# ---------------------------------------------------------------------------------------------


@njit(cache=True)
def factor_x(fx, cap, sink, h, tau, cp, dinv, zc, rowc):
    """Thomas factors of the cyclic x-operators (one per row), Sherman–Morrison form.

    Parameters
    ----------
    fx : (nz, nx) float64
        Face coefficients between column j and j+1 (periodic) [K units, e.g. m2/s or W/m/K].
    cap, sink : (nz, nx) float64
        Capacity C and linear sink S per cell.
    h : float
        Cell size [m].
    tau : float
        Implicit sub-step [s].
    cp, dinv, zc : (nz, nx) float64, out
        Modified super-diagonal, inverse pivots and Sherman–Morrison vector z per row.
    rowc : (nz, 2) float64, out
        Per row: ``v_last = A[0, n-1] / gamma`` and ``1 / (1 + v . z)``.
    """
    nz, nx = fx.shape
    h2 = h * h
    for i in range(nz):
        corner = -fx[i, nx - 1]  # A[0, n-1] = A[n-1, 0] (symmetric)
        b0 = cap[i, 0] * h2 / tau + fx[i, nx - 1] + fx[i, 0] + 0.5 * sink[i, 0] * h2
        gamma = -b0
        vlast = corner / gamma
        # forward elimination of A' (b'_0 = b_0 - gamma, b'_{n-1} = b_{n-1} - corner^2/gamma)
        den = b0 - gamma
        dinv[i, 0] = 1.0 / den
        cp[i, 0] = -fx[i, 0] * dinv[i, 0]
        # simultaneously solve A' z = w with w = (gamma, 0, ..., 0, corner)
        zc[i, 0] = gamma * dinv[i, 0]
        for j in range(1, nx):
            b = cap[i, j] * h2 / tau + fx[i, j - 1] + fx[i, j] + 0.5 * sink[i, j] * h2
            if j == nx - 1:
                b -= corner * vlast
            a = -fx[i, j - 1]
            den = b - a * cp[i, j - 1]
            dv = 1.0 / den
            dinv[i, j] = dv
            cp[i, j] = -fx[i, j] * dv
            w = corner if j == nx - 1 else 0.0
            zc[i, j] = (w - a * zc[i, j - 1]) * dv
        for j in range(nx - 2, -1, -1):
            zc[i, j] -= cp[i, j] * zc[i, j + 1]
        rowc[i, 0] = vlast
        rowc[i, 1] = 1.0 / (1.0 + zc[i, 0] + vlast * zc[i, nx - 1])


@njit(cache=True)
def factor_z(fz, cap, sink, g_top, g_bottom, h, tau, cp, dinv):
    """Thomas factors of the z-operators (one per column) with Robin boundary conductances.

    Parameters
    ----------
    fz : (nz+1, nx) float64
        Face coefficients above row i (rows 0 and nz unused).
    cap, sink : (nz, nx) float64
        Capacity and linear sink per cell.
    g_top, g_bottom : (nx,) float64
        Boundary conductances [K/m units]; 0 means no flux.
    h, tau : float
        Cell size [m] and implicit sub-step [s].
    cp, dinv : (nz, nx) float64, out
        Modified super-diagonal and inverse pivots (swept row by row, vectorised over columns).
    """
    nz, nx = cap.shape
    h2 = h * h
    for i in range(nz):
        for j in range(nx):
            b = cap[i, j] * h2 / tau + 0.5 * sink[i, j] * h2
            if i > 0:
                b += fz[i, j]
            else:
                b += h * g_top[j]
            if i < nz - 1:
                b += fz[i + 1, j]
            else:
                b += h * g_bottom[j]
            if i > 0:
                den = b + fz[i, j] * cp[i - 1, j]  # a = -fz[i]
            else:
                den = b
            dv = 1.0 / den
            dinv[i, j] = dv
            cp[i, j] = -fz[i + 1, j] * dv if i < nz - 1 else 0.0


# ---------------------------------------------------------------------------------------------
# sweeps
# ---------------------------------------------------------------------------------------------


@njit(cache=True)
def sweep_x(u, out, fx, fz, cap, sink, q, has_q, g_top, g_bottom, u_top, u_bottom, h, tau,
            theta, wq, cp, dinv, zc, rowc):
    """Implicit in x, explicit (weight ``theta``) in z: one half-step.

    Solves ``(C/tau - Ax) out = C/tau u + theta (Az u + g_ext) + wq q`` row by row, where
    ``Az`` includes the Robin faces and half the sink and ``Ax`` the other half of the sink.
    ``theta = 1, wq = 1, tau = dt/2`` gives the first Peaceman–Rachford half-step;
    ``theta = 0, wq = 0.5, tau = dt`` the first LOD backward-Euler sub-step.
    ``out`` must not alias ``u``.
    """
    nz, nx = u.shape
    h2 = h * h
    for i in range(nz):
        # forward sweep with the right-hand side built on the fly
        prev = 0.0
        for j in range(nx):
            c = u[i, j]
            d = cap[i, j] * h2 / tau * c
            if theta != 0.0:
                az = -0.5 * sink[i, j] * h2 * c
                if i > 0:
                    az += fz[i, j] * (u[i - 1, j] - c)
                else:
                    az += h * g_top[j] * (u_top[j] - c)
                if i < nz - 1:
                    az += fz[i + 1, j] * (u[i + 1, j] - c)
                else:
                    az += h * g_bottom[j] * (u_bottom[j] - c)
                d += theta * az
            if has_q:
                d += wq * h2 * q[i, j]
            if j > 0:
                prev = (d + fx[i, j - 1] * prev) * dinv[i, j]
            else:
                prev = d * dinv[i, 0]
            out[i, j] = prev
        # back substitution
        for j in range(nx - 2, -1, -1):
            out[i, j] -= cp[i, j] * out[i, j + 1]
        # Sherman–Morrison correction
        f = (out[i, 0] + rowc[i, 0] * out[i, nx - 1]) * rowc[i, 1]
        for j in range(nx):
            out[i, j] -= f * zc[i, j]


@njit(cache=True)
def sweep_z(u, out, fx, fz, cap, sink, q, has_q, g_top, g_bottom, u_top, u_bottom, h, tau,
            theta, wq, cp, dinv):
    """Implicit in z (Robin faces), explicit (weight ``theta``) in x: one half-step.

    Solves ``(C/tau - Az) out = C/tau u + theta Ax u + g_ext + wq q`` for all columns at
    once, row by row (contiguous inner loop). ``out`` must not alias ``u``.
    """
    nz, nx = u.shape
    h2 = h * h
    for i in range(nz):
        for j in range(nx):
            c = u[i, j]
            d = cap[i, j] * h2 / tau * c
            if theta != 0.0:
                jm = j - 1 if j > 0 else nx - 1
                jp = j + 1 if j < nx - 1 else 0
                ax = (fx[i, j] * (u[i, jp] - c) - fx[i, jm] * (c - u[i, jm])
                      - 0.5 * sink[i, j] * h2 * c)
                d += theta * ax
            if has_q:
                d += wq * h2 * q[i, j]
            if i == 0:
                d += h * g_top[j] * u_top[j]
                out[0, j] = d * dinv[0, j]
            else:
                if i == nz - 1:
                    d += h * g_bottom[j] * u_bottom[j]
                out[i, j] = (d + fz[i, j] * out[i - 1, j]) * dinv[i, j]
    for i in range(nz - 2, -1, -1):
        for j in range(nx):
            out[i, j] -= cp[i, j] * out[i + 1, j]


# ---------------------------------------------------------------------------------------------
# explicit reference stencil (capacity 1, uniform first-order decay, no source)
# ---------------------------------------------------------------------------------------------


@njit(cache=True)
def explicit_step(u, out, kcell, g_top, g_bottom, u_top, u_bottom, decay, dt, h):

    """One forward-Euler step of ``du/dt = div(K grad u) - k u`` (flux form, 5-point stencil).

    Face coefficients are harmonic means of the two adjacent cell values, computed on the fly
    (two divisions per cell, row buffers in L1), so the kernel streams ``u`` and ``K`` in and
    ``out`` out: 24 bytes per cell update.

    Parameters
    ----------
    u, out : (nz, nx) float64
        Field at t and t + dt (must not alias).
    kcell : (nz, nx) float64
        Cell diffusivity K >= 0.
    g_top, g_bottom, u_top, u_bottom : (nx,) float64
        Robin conductances and ambient values at the top and bottom faces.
    decay : float
        First-order decay rate k [1/s].
    dt, h : float
        Time step [s] (stable for dt <= h^2 / (4 max K)) and cell size [m].
    """
    nz, nx = u.shape
    r = dt / (h * h)
    kd = 1.0 - decay * dt
    east = np.empty(nx)
    north = np.empty(nx)
    south = np.empty(nx)
    for j in range(nx):
        north[j] = h * g_top[j]
    for i in range(nz):
        ki = kcell[i]
        for j in range(nx - 1):
            a = ki[j]
            b = ki[j + 1]
            east[j] = 2.0 * a * b / (a + b + 1e-300)
        a = ki[nx - 1]
        b = ki[0]
        east[nx - 1] = 2.0 * a * b / (a + b + 1e-300)
        if i < nz - 1:
            kn = kcell[i + 1]
            for j in range(nx):
                a = ki[j]
                b = kn[j]
                south[j] = 2.0 * a * b / (a + b + 1e-300)
            ud = u[i + 1]
        else:
            for j in range(nx):
                south[j] = h * g_bottom[j]
            ud = u_bottom
        uu = u[i - 1] if i > 0 else u_top
        ui = u[i]
        oi = out[i]
        # columns 0 and nx-1 wrap around
        c = ui[0]
        oi[0] = kd * c + r * (east[0] * (ui[1] - c) - east[nx - 1] * (c - ui[nx - 1])
                              + south[0] * (ud[0] - c) + north[0] * (uu[0] - c))
        for j in range(1, nx - 1):
            c = ui[j]
            oi[j] = kd * c + r * (east[j] * (ui[j + 1] - c) - east[j - 1] * (c - ui[j - 1])
                                  + south[j] * (ud[j] - c) + north[j] * (uu[j] - c))
        j = nx - 1
        c = ui[j]
        oi[j] = kd * c + r * (east[j] * (ui[0] - c) - east[j - 1] * (c - ui[j - 1])
                              + south[j] * (ud[j] - c) + north[j] * (uu[j] - c))
        north, south = south, north
