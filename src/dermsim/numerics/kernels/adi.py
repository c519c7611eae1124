"""Numba kernels for 2-D implicit diffusion: Peaceman–Rachford / LOD sweeps and an explicit stencil.

Discretisation (finite volume, cell-centred, uniform spacing ``h``), for the equation

    C du/dt = div(K grad u) - S u + q

on an (nz, nx) grid, periodic in x (columns) and with Robin faces at the top (row 0) and bottom
(row nz-1): flux into the domain ``G (u_ext - u_cell)``. ``K`` enters as face coefficients
``fx`` (nz, nx; face between column j and j+1, periodic) and ``fz`` (nz+1, nx; face above row i;
rows 0 and nz are ignored here: the boundary faces are described by the conductances).
Capacity ``C`` and sink ``S`` are (nz, nx) arrays; a uniform field can instead be passed as a
scalar ``cap_s > 0`` / ``sink_s >= 0`` (``-1`` = use the array), so it is not streamed from memory.

All operators are multiplied by ``h**2`` so that a tridiagonal row reads

    (alpha + fx[j-1] + fx[j] + S h^2/2) u_j - fx[j-1] u_{j-1} - fx[j] u_{j+1},  alpha = C h^2 / tau

where ``tau`` is the implicit sub-step (dt/2 for Peaceman–Rachford, dt for LOD backward Euler).
The sink is split evenly between the x and z operators.

Every kernel is a pure function on arrays; physical values arrive as arguments so that changing
them never triggers a recompilation (``cache=True``). They are called only by
:mod:`dermsim.numerics.adi`; the plain numpy/scipy references used by the tests are in
:mod:`dermsim.numerics.reference`.

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
# helpers
# ---------------------------------------------------------------------------------------------


@njit(cache=True)
def _diag_row(cap, sink, cap_s, sink_s, i, ca, sa, out):
    """``out[j] = ca * C[i, j] + sa * S[i, j]`` (scalar fields where given)."""
    nx = out.shape[0]
    if cap_s > 0.0:
        for j in range(nx):
            out[j] = ca * cap_s
    else:
        ci = cap[i]
        for j in range(nx):
            out[j] = ca * ci[j]
    if sink_s < 0.0:
        si = sink[i]
        for j in range(nx):
            out[j] += sa * si[j]
    elif sink_s > 0.0:
        for j in range(nx):
            out[j] += sa * sink_s


# ---------------------------------------------------------------------------------------------
# factorisation
# ---------------------------------------------------------------------------------------------


@njit(cache=True)
def factor_x(fx, cap, sink, cap_s, sink_s, h, tau, cp, dinv, zc, rowc):
    """Thomas factors of the cyclic x-operators (one per row), Sherman–Morrison form.

    The cyclic matrix ``A`` of row ``i`` is written ``A = A' + w v^T`` with
    ``w = (gamma, 0, ..., 0, A[n-1,0])``, ``v = (1, 0, ..., 0, A[0,n-1]/gamma)``,
    ``gamma = -A[0,0]``; ``A'`` is tridiagonal. Then ``A^-1 d = y - (v.y)/(1 + v.z) z`` with
    ``A' y = d`` and ``A' z = w``. Four rows are eliminated together (independent dependency
    chains keep the divider busy).

    Parameters
    ----------
    fx : (nz, nx) float64
        Face coefficients between column j and j+1 (periodic) [K units, e.g. m2/s or W/m/K].
    cap, sink : (nz, nx) float64
        Capacity C and linear sink S per cell.
    cap_s, sink_s : float
        Uniform capacity (> 0) / sink (>= 0) replacing the arrays; -1 means "use the array".
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
    bd = np.empty((4, nx))
    i0 = 0
    while i0 < nz:
        nr = min(4, nz - i0)
        for r in range(nr):
            i = i0 + r
            _diag_row(cap, sink, cap_s, sink_s, i, h2 / tau, 0.5 * h2, bd[r])
            fi = fx[i]
            for j in range(1, nx):
                bd[r, j] += fi[j - 1] + fi[j]
            bd[r, 0] += fi[nx - 1] + fi[0]
            # A' differs from A in its two corner diagonal entries
            corner = -fi[nx - 1]
            gamma = -bd[r, 0]
            vl = corner / gamma
            rowc[i, 0] = vl
            bd[r, 0] -= gamma
            bd[r, nx - 1] -= corner * vl
            dv = 1.0 / bd[r, 0]
            dinv[i, 0] = dv
            cp[i, 0] = -fi[0] * dv
            zc[i, 0] = gamma * dv
        if nr == 4:
            i1, i2, i3 = i0 + 1, i0 + 2, i0 + 3
            p0, p1, p2, p3 = cp[i0, 0], cp[i1, 0], cp[i2, 0], cp[i3, 0]
            z0, z1, z2, z3 = zc[i0, 0], zc[i1, 0], zc[i2, 0], zc[i3, 0]
            for j in range(1, nx):
                a0, a1, a2, a3 = fx[i0, j - 1], fx[i1, j - 1], fx[i2, j - 1], fx[i3, j - 1]
                d0 = 1.0 / (bd[0, j] + a0 * p0)
                d1 = 1.0 / (bd[1, j] + a1 * p1)
                d2 = 1.0 / (bd[2, j] + a2 * p2)
                d3 = 1.0 / (bd[3, j] + a3 * p3)
                dinv[i0, j], dinv[i1, j], dinv[i2, j], dinv[i3, j] = d0, d1, d2, d3
                p0, p1, p2, p3 = -fx[i0, j] * d0, -fx[i1, j] * d1, -fx[i2, j] * d2, -fx[i3, j] * d3
                cp[i0, j], cp[i1, j], cp[i2, j], cp[i3, j] = p0, p1, p2, p3
                z0, z1, z2, z3 = a0 * z0 * d0, a1 * z1 * d1, a2 * z2 * d2, a3 * z3 * d3
                zc[i0, j], zc[i1, j], zc[i2, j], zc[i3, j] = z0, z1, z2, z3
        else:
            for r in range(nr):
                i = i0 + r
                p = cp[i, 0]
                z = zc[i, 0]
                for j in range(1, nx):
                    a = fx[i, j - 1]
                    dv = 1.0 / (bd[r, j] + a * p)
                    dinv[i, j] = dv
                    p = -fx[i, j] * dv
                    cp[i, j] = p
                    z = a * z * dv
                    zc[i, j] = z
        # the right-hand side w has its second non-zero in the last entry
        for r in range(nr):
            i = i0 + r
            zc[i, nx - 1] -= fx[i, nx - 1] * dinv[i, nx - 1]
        if nr == 4:
            z0, z1, z2, z3 = zc[i0, nx - 1], zc[i1, nx - 1], zc[i2, nx - 1], zc[i3, nx - 1]
            for j in range(nx - 2, -1, -1):
                z0 = zc[i0, j] - cp[i0, j] * z0
                z1 = zc[i1, j] - cp[i1, j] * z1
                z2 = zc[i2, j] - cp[i2, j] * z2
                z3 = zc[i3, j] - cp[i3, j] * z3
                zc[i0, j], zc[i1, j], zc[i2, j], zc[i3, j] = z0, z1, z2, z3
        else:
            for r in range(nr):
                i = i0 + r
                z = zc[i, nx - 1]
                for j in range(nx - 2, -1, -1):
                    z = zc[i, j] - cp[i, j] * z
                    zc[i, j] = z
        for r in range(nr):
            i = i0 + r
            rowc[i, 1] = 1.0 / (1.0 + zc[i, 0] + rowc[i, 0] * zc[i, nx - 1])
        i0 += nr


@njit(cache=True)
def factor_z(fz, cap, sink, cap_s, sink_s, g_top, g_bottom, h, tau, gz, dinv):
    """Factors of the z-operators (one per column), eliminated from the bottom row upwards.

    Writing ``u_i = e_i + gz_i u_{i-1}`` from the bottom up, the pivots of rows ``nz-1 .. 1``
    do not depend on the top conductance, so a change of ``g_top`` (channels closing) only
    needs :func:`refactor_z_top` (one row) instead of a new factorisation.

    Parameters
    ----------
    fz : (nz+1, nx) float64
        Face coefficients above row i (rows 0 and nz unused).
    cap, sink, cap_s, sink_s
        Capacity and linear sink (see :func:`factor_x`).
    g_top, g_bottom : (nx,) float64
        Boundary conductances [K/m units]; 0 means no flux.
    h, tau : float
        Cell size [m] and implicit sub-step [s].
    gz, dinv : (nz, nx) float64, out
        Coupling ``gz_i = fz_i / pivot_i`` (``gz_0 = 0``) and inverse pivots, swept row by row
        (vectorised over columns).
    """
    nz = fz.shape[0] - 1
    nx = fz.shape[1]
    h2 = h * h
    b = np.empty(nx)
    for i in range(nz - 1, 0, -1):
        _diag_row(cap, sink, cap_s, sink_s, i, h2 / tau, 0.5 * h2, b)
        di = dinv[i]
        gi = gz[i]
        fn = fz[i]
        if i < nz - 1:
            fs = fz[i + 1]
            gnext = gz[i + 1]
            for j in range(nx):
                dv = 1.0 / (b[j] + fn[j] + fs[j] * (1.0 - gnext[j]))
                di[j] = dv
                gi[j] = fn[j] * dv
        else:
            for j in range(nx):
                dv = 1.0 / (b[j] + fn[j] + h * g_bottom[j])
                di[j] = dv
                gi[j] = fn[j] * dv
    refactor_z_top(fz, cap, sink, cap_s, sink_s, g_top, g_bottom, h, tau, gz, dinv)


@njit(cache=True)
def refactor_z_top(fz, cap, sink, cap_s, sink_s, g_top, g_bottom, h, tau, gz, dinv):
    """Recompute the top-row pivot of :func:`factor_z` for a new ``g_top`` (O(nx))."""
    nz = fz.shape[0] - 1
    nx = fz.shape[1]
    h2 = h * h
    b = np.empty(nx)
    _diag_row(cap, sink, cap_s, sink_s, 0, h2 / tau, 0.5 * h2, b)
    d0 = dinv[0]
    g0 = gz[0]
    if nz > 1:
        fs = fz[1]
        g1 = gz[1]
        for j in range(nx):
            d0[j] = 1.0 / (b[j] + h * g_top[j] + fs[j] * (1.0 - g1[j]))
            g0[j] = 0.0
    else:
        for j in range(nx):
            d0[j] = 1.0 / (b[j] + h * g_top[j] + h * g_bottom[j])
            g0[j] = 0.0


# ---------------------------------------------------------------------------------------------
# sweeps
# ---------------------------------------------------------------------------------------------


@njit(cache=True)
def _rhs_x(u, i, fz, cap, sink, cap_s, sink_s, q, has_q, hg_top, hg_bottom, u_top, u_bottom, h,
           tau, theta, wq, scale, d):
    """Right-hand side of row ``i`` of the x half-step into ``d`` (nx,); ``u`` is read as
    ``scale * u`` (the boundary ambient values are not scaled)."""
    nz, nx = u.shape
    h2 = h * h
    ui = u[i]
    _diag_row(cap, sink, cap_s, sink_s, i, h2 / tau, -0.5 * theta * h2, d)
    if theta != 0.0:
        if i > 0:
            uu = u[i - 1]
            fn = fz[i]
        else:
            uu = u_top
            fn = hg_top
        if i < nz - 1:
            ud = u[i + 1]
            fs = fz[i + 1]
        else:
            ud = u_bottom
            fs = hg_bottom
        if i == 0:
            for j in range(nx):
                c = scale * ui[j]
                d[j] = d[j] * c + theta * (fn[j] * (uu[j] - c) + fs[j] * (scale * ud[j] - c))
        elif i == nz - 1:
            for j in range(nx):
                c = scale * ui[j]
                d[j] = d[j] * c + theta * (fn[j] * (scale * uu[j] - c) + fs[j] * (ud[j] - c))
        else:
            for j in range(nx):
                c = ui[j]
                d[j] = scale * (d[j] * c + theta * (fn[j] * (uu[j] - c) + fs[j] * (ud[j] - c)))
    else:
        for j in range(nx):
            d[j] *= scale * ui[j]
    if has_q:
        qi = q[i]
        for j in range(nx):
            d[j] += wq * h2 * qi[j]


@njit(cache=True)
def sweep_x(u, out, fx, fz, cap, sink, cap_s, sink_s, q, has_q, g_top, g_bottom, u_top, u_bottom,
            h, tau, theta, wq, scale, cp, dinv, zc, rowc):
    """Implicit in x, explicit (weight ``theta``) in z: one half-step.

    Solves ``(C/tau - Ax) out = C/tau u + theta (Az u + g_ext) + wq q`` row by row, where
    ``Az`` includes the Robin faces and half the sink and ``Ax`` the other half of the sink.
    ``theta = 1, wq = 1, tau = dt/2`` gives the first Peaceman–Rachford half-step;
    ``theta = 0, wq = 1, tau = dt`` the first LOD backward-Euler sub-step (the whole source).
    ``u`` is read as ``scale * u`` (e.g. an exact decay factor applied for free).
    Four rows are swept together (independent recurrences). ``out`` must not alias ``u``.
    """
    nz, nx = u.shape
    hg_top = h * g_top
    hg_bottom = h * g_bottom
    d = np.empty((4, nx))
    i0 = 0
    while i0 < nz:
        nr = min(4, nz - i0)
        for r in range(nr):
            _rhs_x(u, i0 + r, fz, cap, sink, cap_s, sink_s, q, has_q, hg_top, hg_bottom, u_top,
                   u_bottom, h, tau, theta, wq, scale, d[r])
        if nr == 4:
            i1, i2, i3 = i0 + 1, i0 + 2, i0 + 3
            p0 = d[0, 0] * dinv[i0, 0]
            p1 = d[1, 0] * dinv[i1, 0]
            p2 = d[2, 0] * dinv[i2, 0]
            p3 = d[3, 0] * dinv[i3, 0]
            out[i0, 0], out[i1, 0], out[i2, 0], out[i3, 0] = p0, p1, p2, p3
            for j in range(1, nx):
                p0 = (d[0, j] + fx[i0, j - 1] * p0) * dinv[i0, j]
                p1 = (d[1, j] + fx[i1, j - 1] * p1) * dinv[i1, j]
                p2 = (d[2, j] + fx[i2, j - 1] * p2) * dinv[i2, j]
                p3 = (d[3, j] + fx[i3, j - 1] * p3) * dinv[i3, j]
                out[i0, j], out[i1, j], out[i2, j], out[i3, j] = p0, p1, p2, p3
            for j in range(nx - 2, -1, -1):
                p0 = out[i0, j] - cp[i0, j] * p0
                p1 = out[i1, j] - cp[i1, j] * p1
                p2 = out[i2, j] - cp[i2, j] * p2
                p3 = out[i3, j] - cp[i3, j] * p3
                out[i0, j], out[i1, j], out[i2, j], out[i3, j] = p0, p1, p2, p3
        else:
            for r in range(nr):
                i = i0 + r
                p = d[r, 0] * dinv[i, 0]
                out[i, 0] = p
                for j in range(1, nx):
                    p = (d[r, j] + fx[i, j - 1] * p) * dinv[i, j]
                    out[i, j] = p
                for j in range(nx - 2, -1, -1):
                    p = out[i, j] - cp[i, j] * p
                    out[i, j] = p
        # Sherman–Morrison correction
        for r in range(nr):
            i = i0 + r
            f = (out[i, 0] + rowc[i, 0] * out[i, nx - 1]) * rowc[i, 1]
            oi = out[i]
            zi = zc[i]
            for j in range(nx):
                oi[j] -= f * zi[j]
        i0 += nr


@njit(cache=True)
def sweep_z(u, out, fx, fz, cap, sink, cap_s, sink_s, q, has_q, g_top, g_bottom, u_top, u_bottom,
            h, tau, theta, wq, gz, dinv):
    """Implicit in z (Robin faces), explicit (weight ``theta``) in x: one half-step.

    Solves ``(C/tau - Az) out = C/tau u + theta Ax u + g_ext + wq q`` for all columns at
    once: elimination from the bottom row up (factors of :func:`factor_z`), then substitution
    downwards; contiguous, vectorised inner loops. ``out`` must not alias ``u``.
    """
    nz, nx = u.shape
    h2 = h * h
    d = np.empty(nx)
    for i in range(nz - 1, -1, -1):
        ui = u[i]
        _diag_row(cap, sink, cap_s, sink_s, i, h2 / tau, -0.5 * theta * h2, d)
        if theta != 0.0:
            fi = fx[i]
            c = ui[0]
            d[0] = d[0] * c + theta * (fi[0] * (ui[1] - c) - fi[nx - 1] * (c - ui[nx - 1]))
            for j in range(1, nx - 1):
                c = ui[j]
                d[j] = d[j] * c + theta * (fi[j] * (ui[j + 1] - c) - fi[j - 1] * (c - ui[j - 1]))
            c = ui[nx - 1]
            d[nx - 1] = d[nx - 1] * c + theta * (fi[nx - 1] * (ui[0] - c)
                                                 - fi[nx - 2] * (c - ui[nx - 2]))
        else:
            for j in range(nx):
                d[j] *= ui[j]
        if has_q:
            qi = q[i]
            for j in range(nx):
                d[j] += wq * h2 * qi[j]
        if i == 0:
            for j in range(nx):
                d[j] += h * g_top[j] * u_top[j]
        if i == nz - 1:
            for j in range(nx):
                d[j] += h * g_bottom[j] * u_bottom[j]
        oi = out[i]
        di = dinv[i]
        if i == nz - 1:
            for j in range(nx):
                oi[j] = d[j] * di[j]
        else:
            on = out[i + 1]
            fs = fz[i + 1]
            for j in range(nx):
                oi[j] = (d[j] + fs[j] * on[j]) * di[j]
    for i in range(1, nz):
        oi = out[i]
        op = out[i - 1]
        gi = gz[i]
        for j in range(nx):
            oi[j] += gi[j] * op[j]


# ---------------------------------------------------------------------------------------------
# explicit reference stencil (capacity 1, uniform first-order decay, no source)
# ---------------------------------------------------------------------------------------------


@njit(cache=True)
def _explicit_row(ui, uu, ud, oi, fe, fn, fs, kd, r):
    nx = ui.shape[0]
    c = ui[0]
    oi[0] = kd * c + r * (fe[0] * (ui[1] - c) - fe[nx - 1] * (c - ui[nx - 1])
                          + fs[0] * (ud[0] - c) + fn[0] * (uu[0] - c))
    for j in range(1, nx - 1):
        c = ui[j]
        oi[j] = kd * c + r * (fe[j] * (ui[j + 1] - c) - fe[j - 1] * (c - ui[j - 1])
                              + fs[j] * (ud[j] - c) + fn[j] * (uu[j] - c))
    j = nx - 1
    c = ui[j]
    oi[j] = kd * c + r * (fe[j] * (ui[0] - c) - fe[j - 1] * (c - ui[j - 1])
                          + fs[j] * (ud[j] - c) + fn[j] * (uu[j] - c))


@njit(cache=True)
def explicit_step(u, out, fx, fz, g_top, g_bottom, u_top, u_bottom, decay, dt, h):
    """One forward-Euler step of ``du/dt = div(K grad u) - k u`` (flux form, 5-point stencil).

    Streams ``u``, ``fx``, ``fz`` in and ``out`` out (32 B per cell update; the two face arrays
    are cheaper to stream than two harmonic-mean divisions per cell are to compute).

    Parameters
    ----------
    u, out : (nz, nx) float64
        Field at t and t + dt (must not alias).
    fx, fz : (nz, nx), (nz+1, nx) float64
        Face coefficients (harmonic means), see module docstring.
    g_top, g_bottom, u_top, u_bottom : (nx,) float64
        Robin conductances and ambient values at the top and bottom faces.
    decay : float
        First-order decay rate k [1/s].
    dt, h : float
        Time step [s] (stable for dt <= h^2 / (4 max K)) and cell size [m].
    """
    nz = u.shape[0]
    r = dt / (h * h)
    kd = 1.0 - decay * dt
    hg_top = h * g_top
    hg_bottom = h * g_bottom
    for i in range(nz):
        fn = fz[i] if i > 0 else hg_top
        fs = fz[i + 1] if i < nz - 1 else hg_bottom
        uu = u[i - 1] if i > 0 else u_top
        ud = u[i + 1] if i < nz - 1 else u_bottom
        _explicit_row(u[i], uu, ud, out[i], fx[i], fn, fs, kd, r)


# ---------------------------------------------------------------------------------------------
# fused helpers for drivers that march many steps (one pass over the grid each)
# ---------------------------------------------------------------------------------------------


@njit(cache=True, fastmath=True)
def combine_sources(q, a, wa, b, wb, has_a, has_b):
    """``q = wa * a + wb * b`` (terms switched off by ``has_a`` / ``has_b``) in one pass."""
    nz, nx = q.shape
    for i in range(nz):
        qi = q[i]
        if has_a and has_b:
            ai = a[i]
            bi = b[i]
            for j in range(nx):
                qi[j] = wa * ai[j] + wb * bi[j]
        elif has_a:
            ai = a[i]
            for j in range(nx):
                qi[j] = wa * ai[j]
        elif has_b:
            bi = b[i]
            for j in range(nx):
                qi[j] = wb * bi[j]
        else:
            for j in range(nx):
                qi[j] = 0.0


@njit(cache=True, fastmath=True)
def clip_row_stats(u, rowsum, rowmax):
    """Set negative values of ``u`` to 0 and return their sum; row sums and maxima in one pass.

    Parameters
    ----------
    u : (nz, nx) float64, modified in place
    rowsum, rowmax : (nz,) float64, out
        Sum and maximum of each row after clipping.

    Returns
    -------
    float
        Sum of the negative values that were removed (<= 0).
    """
    nz, nx = u.shape
    neg = 0.0
    for i in range(nz):
        ui = u[i]
        s = 0.0
        m = 0.0
        for j in range(nx):
            v = ui[j]
            neg += min(v, 0.0)
            v = max(v, 0.0)
            ui[j] = v
            s += v
            m = max(m, v)
        rowsum[i] = s
        rowmax[i] = m
    return neg
