"""Right-hand side of the remodelling model (cells, mediators and matrix per compartment).

:func:`rhs_reference` is the plain, readable form of the equations (docs/model.md, collagen
remodelling chapter); :func:`rhs_bands` is the algebraically identical fast form
(vectorised over compartments on contiguous rows).
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
from numba import njit

from dermsim.remodelling.rates import Rates
from dermsim.remodelling.state import (
    N_VAR,
    iA,
    iC1,
    iC3,
    iC7,
    iD,
    iE,
    iEl,
    iF,
    iG,
    iH,
    iM,
    iN,
    iP,
    iR,
    iT,
    iV,
    iXe,
    iXm,
)

#: smallest native volume fraction used for the density of the native matrix (numerics choice)
NATIVE_MIN = 1e-3


def set_point_factor(t_day: float, p: Rates) -> float:
    """Collagen set point of the untreated skin relative to the start, ``exp(-dAge t)``."""
    return math.exp(-p.dAge * t_day)


def rhs_reference(
    Y: np.ndarray, cT: np.ndarray, cP: np.ndarray, p: Rates, a: float = 1.0
) -> np.ndarray:
    """Local right-hand side for states ``Y`` of shape (n, N_VAR) [units per day].

    Plain, readable form of the equations (docs/model.md, collagen remodelling chapter);
    ``a`` is the age-related set-point factor :func:`set_point_factor`.  The solver uses
    the algebraically identical, faster :func:`rhs_bands` (tested against this one).
    Transport between compartments (diffusion, motility) is added by the caller.
    """
    D, R, N, M, A, P, H, F, Xe, Xm, E, C3, C1, T, El, C7, V, G = Y.T
    out = np.empty_like(Y)
    X = Xe + Xm
    out[:, iD] = -(p.kD + p.kDN * N + p.kDM * M) * D
    out[:, iR] = p.sRN * N - p.kR * R
    out[:, iN] = p.rN * D / (p.KND + D) - p.dN * N
    sM = D / p.KMD + N / p.KMN + p.fa1 * cT / p.KMT + cP / p.KMP
    out[:, iM] = p.rM * sM / (1.0 + sM) - p.dM * M
    out[:, iA] = p.sA * M - p.kA * A
    out[:, iP] = p.sP * M * D / (p.KPD + D) - p.kP * P
    out[:, iH] = -p.kH * H
    Atot = p.fa1 * cT + A
    Ptot = cP + P
    sF = Ptot / p.KP + M / p.KFM + Atot / p.KFA + H / p.KH
    Phi = sF / (1.0 + sF)
    out[:, iF] = p.rF * Phi * F * (1.0 - F / p.Fmax) - p.dF * (F - 1.0)
    sX = Atot / p.KXA + H / p.KH
    Psi = sX / (1.0 + sX)
    out[:, iXe] = p.kon * Psi * (1.0 - X) - p.ksw * Xe
    out[:, iXm] = p.ksw * Xe - p.koff * Xm
    out[:, iE] = p.sEN * N + p.sEM * M + p.sEF * F * X - p.kE * E
    C = C1 + C3
    Cset = (p.C1_0 + p.C3_0) * a
    g = np.maximum(p.Cmax - C, 0.0) / (p.Cmax - Cset)
    h = np.maximum(1.0 + p.kap * (Cset - C) / Cset, 0.0)
    L = 1.0 + p.qL * X
    eta3 = L / (L + p.rho0 * (1.0 + p.e3 * E))
    eta1 = L / (L + p.rho0 * (1.0 + p.e1 * E))
    J3 = F * g * (p.p3 * a * h + p.ks * p.q * (p.f3e * Xe + p.f3m * Xm))
    J1 = F * g * (p.p1 * a * h + p.ks * p.q * ((1.0 - p.f3e) * Xe + (1.0 - p.f3m) * Xm))
    clear = (p.kV0 + p.kVE * E) * V  # clearance of denatured matrix
    fill = p.kG * F * G  # refill of the cleared space with new matrix (volume fraction/day)
    # the new matrix is like the native matrix around it (each type at least its set point)
    u = np.maximum(1.0 - V - G, NATIVE_MIN)
    rho3 = np.maximum(C3 / u, p.C3_0 * a)
    rho1 = np.maximum(C1 / u, p.C1_0 * a)
    out[:, iC3] = eta3 * J3 - (p.dm + p.kmE * mature_III_factor(p) * E) * C3 + fill * rho3
    out[:, iC1] = eta1 * J1 - (p.dm + p.kmE * E) * C1 + fill * rho1
    out[:, iT] = p.kT * (F * (1.0 + p.qT * X) - T)
    out[:, iEl] = p.dEl * T - (p.dEl + p.kElE * E) * El + fill
    out[:, iC7] = p.k7 * F * (1.0 + p.q7 * X) - (p.k7 + p.k7E * E) * C7
    out[:, iV] = -clear
    out[:, iG] = clear - fill
    return out


_KERNEL_FIELDS = (
    "kD", "kDN", "kDM", "kR", "sRN", "rN", "KND", "dN", "rM", "dM", "KMN", "KMD", "KMT", "KMP",
    "fa1", "sA", "kA", "sP", "KPD", "kP", "kH", "KH", "rF", "dF", "Fmax", "KP", "KFM", "KFA",
    "KXA", "kon", "ksw", "koff", "kE", "sEN", "sEM", "sEF", "C1_0", "C3_0", "Cmax", "dm",
    "rho0", "p1", "p3", "q", "qL", "f3e", "f3m", "e1", "e3", "kmE", "kT", "qT", "dEl", "kElE",
    "k7", "q7", "k7E", "ks", "kap", "kV0", "kVE", "kG",
)


@lru_cache(maxsize=64)
def fast_constants(p: Rates) -> np.ndarray:
    """Rate constants packed for :func:`rhs_kernel` (order :data:`_KERNEL_FIELDS`)."""
    return np.array([getattr(p, f) for f in _KERNEL_FIELDS], dtype=np.float64)


@njit(cache=True)
def rhs_kernel(Y: np.ndarray, cT: np.ndarray, cP: np.ndarray, k: np.ndarray, a: float,
               out: np.ndarray) -> None:  # pragma: no cover - compiled
    """Compiled loop over compartments of the local right-hand side (see rhs_reference)."""
    (kD, kDN, kDM, kR, sRN, rN, KND, dN, rM, dM, KMN, KMD, KMT, KMP, fa1, sA, kA, sP, KPD,
     kP, kH, KH, rF, dF, Fmax, KP, KFM, KFA, KXA, kon, ksw, koff, kE, sEN, sEM, sEF, C1_0,
     C3_0, Cmax, dm, rho0, p1, p3, q, qL, f3e, f3m, e1, e3, kmE, kT, qT, dEl, kElE, k7, q7,
     k7E, ks, kap, kV0, kVE, kG) = (
        k[0], k[1], k[2], k[3], k[4], k[5], k[6], k[7], k[8], k[9], k[10], k[11], k[12],
        k[13], k[14], k[15], k[16], k[17], k[18], k[19], k[20], k[21], k[22], k[23], k[24],
        k[25], k[26], k[27], k[28], k[29], k[30], k[31], k[32], k[33], k[34], k[35], k[36],
        k[37], k[38], k[39], k[40], k[41], k[42], k[43], k[44], k[45], k[46], k[47], k[48],
        k[49], k[50], k[51], k[52], k[53], k[54], k[55], k[56], k[57], k[58], k[59], k[60],
        k[61])
    m3 = e3 / max(e1, 1e-300)
    Cset = (C1_0 + C3_0) * a
    for i in range(Y.shape[0]):
        D = Y[i, 0]
        R = Y[i, 1]
        N = Y[i, 2]
        M = Y[i, 3]
        A = Y[i, 4]
        P = Y[i, 5]
        H = Y[i, 6]
        F = Y[i, 7]
        Xe = Y[i, 8]
        Xm = Y[i, 9]
        E = Y[i, 10]
        C3 = Y[i, 11]
        C1 = Y[i, 12]
        T = Y[i, 13]
        El = Y[i, 14]
        C7 = Y[i, 15]
        V = Y[i, 16]
        G = Y[i, 17]
        X = Xe + Xm
        out[i, 0] = -(kD + kDN * N + kDM * M) * D
        out[i, 1] = sRN * N - kR * R
        out[i, 2] = rN * D / (KND + D) - dN * N
        sM = D / KMD + N / KMN + fa1 * cT[i] / KMT + cP[i] / KMP
        out[i, 3] = rM * sM / (1.0 + sM) - dM * M
        out[i, 4] = sA * M - kA * A
        out[i, 5] = sP * M * D / (KPD + D) - kP * P
        out[i, 6] = -kH * H
        Atot = fa1 * cT[i] + A
        sF = (cP[i] + P) / KP + M / KFM + Atot / KFA + H / KH
        out[i, 7] = rF * sF / (1.0 + sF) * F * (1.0 - F / Fmax) - dF * (F - 1.0)
        sX = Atot / KXA + H / KH
        out[i, 8] = kon * sX / (1.0 + sX) * (1.0 - X) - ksw * Xe
        out[i, 9] = ksw * Xe - koff * Xm
        out[i, 10] = sEN * N + sEM * M + sEF * F * X - kE * E
        C = C1 + C3
        g = max(Cmax - C, 0.0) / (Cmax - Cset)
        h = max(1.0 + kap * (Cset - C) / Cset, 0.0)
        L = 1.0 + qL * X
        eta3 = L / (L + rho0 * (1.0 + e3 * E))
        eta1 = L / (L + rho0 * (1.0 + e1 * E))
        J3 = F * g * (p3 * a * h + ks * q * (f3e * Xe + f3m * Xm))
        J1 = F * g * (p1 * a * h + ks * q * ((1.0 - f3e) * Xe + (1.0 - f3m) * Xm))
        clear = (kV0 + kVE * E) * V
        fill = kG * F * G
        u = max(1.0 - V - G, 1e-3)
        rho3 = max(C3 / u, C3_0 * a)
        rho1 = max(C1 / u, C1_0 * a)
        out[i, 11] = eta3 * J3 - (dm + kmE * m3 * E) * C3 + fill * rho3
        out[i, 12] = eta1 * J1 - (dm + kmE * E) * C1 + fill * rho1
        out[i, 13] = kT * (F * (1.0 + qT * X) - T)
        out[i, 14] = dEl * T - (dEl + kElE * E) * El + fill
        out[i, 15] = k7 * F * (1.0 + q7 * X) - (k7 + k7E * E) * C7
        out[i, 16] = -clear
        out[i, 17] = clear - fill


def rhs_bands(
    Y: np.ndarray,
    cT: np.ndarray,
    cP: np.ndarray,
    p: Rates,
    fc: np.ndarray | None = None,
    a: float = 1.0,
) -> np.ndarray:
    """Fast local right-hand side (compiled), identical to :func:`rhs_reference` up to
    rounding; ``fc`` is ``fast_constants(p)`` (looked up if None)."""
    k = fast_constants(p) if fc is None else fc
    out = np.empty((Y.shape[0], N_VAR))
    rhs_kernel(np.ascontiguousarray(Y), np.ascontiguousarray(cT, dtype=np.float64),
               np.ascontiguousarray(cP, dtype=np.float64), k, float(a), out)
    return out


def mature_III_factor(p: Rates) -> float:
    """Degradation of mature collagen III relative to collagen I per unit MMP index."""
    return p.e3 / max(p.e1, 1e-300)


def collagen_synthesis(Y: np.ndarray, p: Rates, a: float | np.ndarray = 1.0
                       ) -> tuple[np.ndarray, np.ndarray]:
    """Gross collagen I and III synthesis relative to their basal values [-]."""
    F, Xe, Xm = Y[..., iF], Y[..., iXe], Y[..., iXm]
    C = Y[..., iC1] + Y[..., iC3]
    Cset = (p.C1_0 + p.C3_0) * a
    g = np.maximum(p.Cmax - C, 0.0) / (p.Cmax - Cset)
    h = np.maximum(1.0 + p.kap * (Cset - C) / Cset, 0.0)
    J3 = F * g * (p.p3 * a * h + p.ks * p.q * (p.f3e * Xe + p.f3m * Xm))
    J1 = F * g * (p.p1 * a * h + p.ks * p.q * ((1.0 - p.f3e) * Xe + (1.0 - p.f3m) * Xm))
    return J1 / max(p.p1, 1e-300), J3 / max(p.p3, 1e-300)


def collagen_deposition(Y: np.ndarray, p: Rates, a: float | np.ndarray = 1.0
                        ) -> tuple[np.ndarray, np.ndarray]:
    """Net deposition (synthesis that matures) of collagen I and III [baseline total/day]."""
    F, Xe, Xm, E = Y[..., iF], Y[..., iXe], Y[..., iXm], Y[..., iE]
    X = Xe + Xm
    C = Y[..., iC1] + Y[..., iC3]
    Cset = (p.C1_0 + p.C3_0) * a
    g = np.maximum(p.Cmax - C, 0.0) / (p.Cmax - Cset)
    h = np.maximum(1.0 + p.kap * (Cset - C) / Cset, 0.0)
    L = 1.0 + p.qL * X
    eta3 = L / (L + p.rho0 * (1.0 + p.e3 * E))
    eta1 = L / (L + p.rho0 * (1.0 + p.e1 * E))
    J3 = F * g * (p.p3 * a * h + p.ks * p.q * (p.f3e * Xe + p.f3m * Xm))
    J1 = F * g * (p.p1 * a * h + p.ks * p.q * ((1.0 - p.f3e) * Xe + (1.0 - p.f3m) * Xm))
    return eta1 * J1, eta3 * J3
