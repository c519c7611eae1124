"""Thermal-damage accumulation kernels: Arrhenius integral, CEM43 dose, peak temperature.

One call advances the damage state of every cell over one time step ``dt`` with the
trapezoidal rule in time, given the cell temperature at the end of the step. The rates at
the start of the step are carried in ``rate_prev`` / ``cem_rate_prev`` so each hot cell costs
one ``exp`` for the Arrhenius rate and one for the CEM43 rate per step. Cells at or below the
gate temperatures contribute a rate of exactly zero (see Notes) and cost no ``exp``.

Called by the thermal stage; the numpy reference is
:func:`dermsim.numerics.reference.damage_step_reference`.

Notes
-----
Arrhenius damage (Henriques 1947, Arch Pathol 43:489; constants as used in public
bioheat codes [S]):

    dΩ/dt = A exp(-Ea / (R T)),   with T in kelvin.

The kernel takes ``ln A`` and ``Ea/R`` and supports a two-piece constant set switching at
``t_switch_k`` (e.g. Weaver & Stoll 1969: one pair below 50 °C, another above [U]); a single
pair is the special case of equal pieces.

CEM43 (Sapareto & Dewey 1984, Int J Radiat Oncol Biol Phys 10:787):

    dCEM43/dt = R^(43 - T_C) / 60   [min/s],  R = 0.5 for T_C >= 43, 0.25 below.

Gating: with the Henriques constants the rate at 43 °C is 5.5e-6 1/s, so skipping cells below
a 43 °C gate changes Ω by < 1e-4 over a 10-s simulation; a CEM43 gate at 39 °C drops
< 0.0039 min per minute of exposure. Both gates are arguments so callers can lower them.
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["damage_step"]


@njit(cache=True)
def damage_step(
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
    """Advance Ω, CEM43 and peak temperature by one step (in place).

    Parameters
    ----------
    t_k : (nz, nx) float64
        Temperature at the end of the step [K].
    dt : float
        Step length [s].
    omega : (nz, nx) float64
        Arrhenius damage integral Ω [-], updated in place.
    rate_prev : (nz, nx) float64
        Arrhenius rate at the start of the step [1/s]; overwritten with the rate at the end.
    cem43_min : (nz, nx) float64
        Cumulative equivalent minutes at 43 °C [min], updated in place.
    cem_rate_prev : (nz, nx) float64
        CEM43 rate at the start of the step [min/s]; overwritten with the rate at the end.
    tmax_k : (nz, nx) float64
        Running maximum temperature [K], updated in place.
    ln_a_lo, ea_r_lo : float
        ln of the frequency factor [ln(1/s)] and activation temperature Ea/R [K] used for
        T < ``t_switch_k``.
    ln_a_hi, ea_r_hi : float
        The same for T >= ``t_switch_k``.
    t_switch_k : float
        Switch temperature of a piecewise constant set [K].
    t_gate_arrhenius_k : float
        Arrhenius rate is taken as 0 at or below this temperature [K].
    t_gate_cem_k : float
        CEM43 rate is taken as 0 at or below this temperature [K].
    row_active : (nz,) uint8
        1 where the row carried a nonzero rate after the previous call (start with zeros and
        pass the same array every step); rows that are 0 and entirely at or below both gates
        are skipped after their peak temperature is updated. Updated in place.

    Returns
    -------
    int
        Number of cells above the Arrhenius gate at the end of the step.
    """
    nz, nx = t_k.shape
    half_dt = 0.5 * dt
    ln_r_hi = np.log(0.5)
    ln_r_lo = np.log(0.25)
    t_gate = min(t_gate_arrhenius_k, t_gate_cem_k)
    n_hot = 0
    for i in range(nz):
        # a row whose cells are all at or below both gates and that carried no rate at the
        # start of the step only needs its peak temperature updated (2 of 7 arrays read)
        if row_active[i] == 0:
            cold = True
            for j in range(nx):
                t = t_k[i, j]
                if t > tmax_k[i, j]:
                    tmax_k[i, j] = t
                if t > t_gate:
                    cold = False
            if cold:
                continue
        active = 0
        for j in range(nx):
            t = t_k[i, j]
            if t > tmax_k[i, j]:
                tmax_k[i, j] = t
            # Arrhenius
            r_new = 0.0
            if t > t_gate_arrhenius_k:
                n_hot += 1
                if t < t_switch_k:
                    r_new = np.exp(ln_a_lo - ea_r_lo / t)
                else:
                    r_new = np.exp(ln_a_hi - ea_r_hi / t)
            r_old = rate_prev[i, j]
            if r_old != 0.0 or r_new != 0.0:
                omega[i, j] += half_dt * (r_old + r_new)
                rate_prev[i, j] = r_new
            # CEM43
            c_new = 0.0
            if t > t_gate_cem_k:
                d43 = 43.0 - (t - 273.15)
                if d43 <= 0.0:
                    c_new = np.exp(d43 * ln_r_hi) / 60.0
                else:
                    c_new = np.exp(d43 * ln_r_lo) / 60.0
            c_old = cem_rate_prev[i, j]
            if c_old != 0.0 or c_new != 0.0:
                cem43_min[i, j] += half_dt * (c_old + c_new)
                cem_rate_prev[i, j] = c_new
            if r_new != 0.0 or c_new != 0.0:
                active = 1
        row_active[i] = active
    return n_hot
