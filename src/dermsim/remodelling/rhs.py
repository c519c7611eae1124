"""Right-hand side of the remodelling model (cells, mediators and matrix per compartment).

:func:`rhs_reference` is the plain, readable form of the equations (docs/model.md, collagen
remodelling chapter); :func:`rhs_bands` dispatches to two algebraically identical fast forms
(:func:`rhs_matmul` for few compartments, :func:`rhs_rows` for many).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np

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
    iH,
    iM,
    iN,
    iP,
    iR,
    iT,
    iXe,
    iXm,
)


def rhs_reference(Y: np.ndarray, cT: np.ndarray, cP: np.ndarray, p: Rates) -> np.ndarray:
    """Right-hand side for states ``Y`` of shape (n_band, N_VAR) [units per day].

    Plain, readable form of the equations (docs/model.md §9); the solver uses the
    algebraically identical, faster :func:`rhs_bands` (tested against this one).
    """
    D, R, N, M, A, P, H, F, Xe, Xm, E, C3, C1, T, El, C7 = Y.T
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
    C0 = p.C1_0 + p.C3_0
    deficit = np.maximum(C0 - (C1 + C3), 0.0) / C0
    sF = Ptot / p.KP + M / p.KFM + Atot / p.KFA + H / p.KH + deficit / p.Kdef
    Phi = sF / (1.0 + sF)
    out[:, iF] = p.rF * Phi * F * (1.0 - F / p.Fmax) - p.dF * (F - 1.0)
    sX = Atot / p.KXA + H / p.KH + deficit / p.Kdef
    Psi = sX / (1.0 + sX)
    out[:, iXe] = p.kon * Psi * (1.0 - X) - p.ksw * Xe
    out[:, iXm] = p.ksw * Xe - p.koff * Xm
    out[:, iE] = p.sEN * N + p.sEM * M + p.sEF * F * X - p.kE * E
    C = C1 + C3
    g = np.maximum(p.Cmax - C, 0.0) / (p.Cmax - p.C1_0 - p.C3_0)
    L = 1.0 + p.qL * X
    eta3 = L / (L + p.rho0 * (1.0 + p.e3 * E))
    eta1 = L / (L + p.rho0 * (1.0 + p.e1 * E))
    ks = p.p1 + p.p3
    J3 = F * g * (p.p3 + ks * p.q * (p.f3e * Xe + p.f3m * Xm))
    J1 = F * g * (p.p1 + ks * p.q * ((1.0 - p.f3e) * Xe + (1.0 - p.f3m) * Xm))
    out[:, iC3] = eta3 * J3 - (p.dm + p.kmE * (p.e3 / max(p.e1, 1e-300)) * E) * C3
    out[:, iC1] = eta1 * J1 - (p.dm + p.kmE * E) * C1
    out[:, iT] = p.kT * (F * (1.0 + p.qT * X) - T)
    out[:, iEl] = p.dEl * T - (p.dEl + p.kElE * E) * El
    out[:, iC7] = p.k7 * F * (1.0 + p.q7 * X) - (p.k7 + p.k7E * E) * C7
    return out


def linear_part(p: Rates) -> np.ndarray:
    """Matrix ``Lin`` (N_VAR x N_VAR) of the linear terms: ``dY/dt = Y @ Lin + ...``."""
    L = np.zeros((N_VAR, N_VAR))

    def a(row: int, col: int, v: float) -> None:  # d(row)/dt += v * col
        L[col, row] += v

    a(iD, iD, -p.kD)
    a(iR, iN, p.sRN)
    a(iR, iR, -p.kR)
    a(iN, iN, -p.dN)
    a(iM, iM, -p.dM)
    a(iA, iM, p.sA)
    a(iA, iA, -p.kA)
    a(iP, iP, -p.kP)
    a(iH, iH, -p.kH)
    a(iF, iF, -p.dF)
    a(iXe, iXe, -p.ksw)
    a(iXm, iXe, p.ksw)
    a(iXm, iXm, -p.koff)
    a(iE, iN, p.sEN)
    a(iE, iM, p.sEM)
    a(iE, iE, -p.kE)
    a(iC3, iC3, -p.dm)
    a(iC1, iC1, -p.dm)
    a(iT, iT, -p.kT)
    a(iT, iF, p.kT)
    a(iEl, iT, p.dEl)
    a(iEl, iEl, -p.dEl)
    a(iC7, iF, p.k7)
    a(iC7, iC7, -p.k7)
    return L


@lru_cache(maxsize=64)
def fast_constants(p: Rates) -> tuple[np.ndarray, np.ndarray, np.ndarray, tuple[float, ...]]:
    ks = p.p1 + p.p3
    # -E * (k * Y[:, 11:16]) for (C3, C1, T, El, C7) and +F*X * v for (E .. C7)
    kE_vec = np.array([p.kmE * mature_III_factor(p), p.kmE, 0.0, p.kElE, p.k7E])
    fx_vec = np.array([p.sEF, 0.0, 0.0, p.kT * p.qT, 0.0, p.k7 * p.q7])
    k = (
        1.0 / p.KMD, 1.0 / p.KMN, 1.0 / p.KP, 1.0 / p.KFA, 1.0 / p.KXA, 1.0 / p.KH,
        1.0 / p.Fmax, 1.0 / (p.Cmax - p.C1_0 - p.C3_0),
        ks * p.q * p.f3e, ks * p.q * p.f3m, ks * p.q * (1.0 - p.f3e), ks * p.q * (1.0 - p.f3m),
        p.rho0 * p.e3, p.rho0 * p.e1, 1.0 / (p.Kdef * (p.C1_0 + p.C3_0)), 1.0 / p.KFM,
    )
    return linear_part(p), kE_vec, fx_vec, k


#: below this many bands the band-major RHS (one small matrix product) is faster
ROWS_FROM_N_BAND = 256


def rhs_bands(
    Y: np.ndarray, cT: np.ndarray, cP: np.ndarray, p: Rates, fc: tuple[Any, ...] | None = None
) -> np.ndarray:
    """Fast right-hand side, identical to :func:`rhs_reference` up to rounding.

    ``fc`` is ``fast_constants(p)`` (looked up if None; pass it to save the cache lookup).
    Dispatches to :func:`rhs_matmul` (few bands: fewest numpy calls) or :func:`rhs_rows`
    (many bands: contiguous memory access); both are tested against the reference.
    """
    if Y.shape[0] < ROWS_FROM_N_BAND:
        return rhs_matmul(Y, cT, cP, p, fc)
    return rhs_rows(Y, cT, cP, p, fc)


def rhs_matmul(
    Y: np.ndarray, cT: np.ndarray, cP: np.ndarray, p: Rates, fc: tuple[Any, ...] | None = None
) -> np.ndarray:
    """Band-major fast RHS: linear part as one (n, 16) x (16, 16) product (small n)."""
    lin, kE_vec, fx_vec, k = fast_constants(p) if fc is None else fc
    iKMD, iKMN, iKP, iKFA, iKXA, iKH, iFmax, ig, a3e, a3m, a1e, a1m, b3, b1, iKdef, iKFM = k
    out = Y @ lin
    D, N, M, A, P, H, F = Y[:, iD], Y[:, iN], Y[:, iM], Y[:, iA], Y[:, iP], Y[:, iH], Y[:, iF]
    Xe, Xm, E = Y[:, iXe], Y[:, iXm], Y[:, iE]
    X = Xe + Xm
    out[:, iE:] += (F * X)[:, None] * fx_vec
    out[:, iC3:] -= E[:, None] * (Y[:, iC3:] * kE_vec)
    out[:, iD] -= (p.kDN * N + p.kDM * M) * D
    out[:, iN] += p.rN * D / (p.KND + D)
    out[:, iP] += p.sP * M * D / (p.KPD + D)
    aT = p.fa1 * cT
    sM = D * iKMD + N * iKMN + (aT / p.KMT + cP / p.KMP)
    out[:, iM] += p.rM - p.rM / (1.0 + sM)
    Atot = aT + A
    C = Y[:, iC1] + Y[:, iC3]
    hs = H * iKH + np.maximum(p.C1_0 + p.C3_0 - C, 0.0) * iKdef
    sX = Atot * iKXA + hs
    sF = (cP + P) * iKP + M * iKFM + Atot * iKFA + hs
    out[:, iF] += p.dF + p.rF * (1.0 - 1.0 / (1.0 + sF)) * F * (1.0 - F * iFmax)
    out[:, iXe] += p.kon * (1.0 - 1.0 / (1.0 + sX)) * (1.0 - X)
    Fg = F * np.maximum(p.Cmax - C, 0.0) * ig
    L = 1.0 + p.qL * X
    out[:, iC3] += L / (L + p.rho0 + b3 * E) * Fg * (p.p3 + a3e * Xe + a3m * Xm)
    out[:, iC1] += L / (L + p.rho0 + b1 * E) * Fg * (p.p1 + a1e * Xe + a1m * Xm)
    return out



def rhs_rows(
    Y: np.ndarray, cT: np.ndarray, cP: np.ndarray, p: Rates, fc: tuple[Any, ...] | None = None
) -> np.ndarray:
    """Variable-major fast RHS: operations on contiguous rows (large n)."""
    _, kE_vec, _, k = fast_constants(p) if fc is None else fc
    iKMD, iKMN, iKP, iKFA, iKXA, iKH, iFmax, ig, a3e, a3m, a1e, a1m, b3, b1, iKdef, iKFM = k
    # variable-major copy: every operation below runs on contiguous rows (no BLAS call: a
    # 16 x n matrix product is slower than these row operations for large n)
    Yt = np.ascontiguousarray(Y.T)
    D, R, N, M, A, P, H, F, Xe, Xm, E, C3, C1, T, El, C7 = Yt
    out = np.empty_like(Yt)
    X = Xe + Xm
    FX = F * X
    out[iD] = -(p.kD + p.kDN * N + p.kDM * M) * D
    out[iR] = p.sRN * N - p.kR * R
    out[iN] = p.rN * D / (p.KND + D) - p.dN * N
    aT = p.fa1 * cT
    sM = D * iKMD + N * iKMN + (aT / p.KMT + cP / p.KMP)
    out[iM] = p.rM - p.rM / (1.0 + sM) - p.dM * M
    out[iA] = p.sA * M - p.kA * A
    out[iP] = p.sP * M * D / (p.KPD + D) - p.kP * P
    out[iH] = -p.kH * H
    Atot = aT + A
    C = C1 + C3
    hs = H * iKH + np.maximum(p.C1_0 + p.C3_0 - C, 0.0) * iKdef
    sX = Atot * iKXA + hs
    sF = (cP + P) * iKP + M * iKFM + Atot * iKFA + hs
    out[iF] = p.rF * (1.0 - 1.0 / (1.0 + sF)) * F * (1.0 - F * iFmax) - p.dF * (F - 1.0)
    out[iXe] = p.kon * (1.0 - 1.0 / (1.0 + sX)) * (1.0 - X) - p.ksw * Xe
    out[iXm] = p.ksw * Xe - p.koff * Xm
    out[iE] = p.sEN * N + p.sEM * M + p.sEF * FX - p.kE * E
    Fg = F * np.maximum(p.Cmax - C, 0.0) * ig
    L = 1.0 + p.qL * X
    out[iC3] = L / (L + p.rho0 + b3 * E) * Fg * (p.p3 + a3e * Xe + a3m * Xm) - p.dm * C3
    out[iC1] = L / (L + p.rho0 + b1 * E) * Fg * (p.p1 + a1e * Xe + a1m * Xm) - p.dm * C1
    out[iT] = p.kT * (F + p.qT * FX - T)
    out[iEl] = p.dEl * (T - El)
    out[iC7] = p.k7 * (F + p.q7 * FX - C7)
    out[iC3:] -= kE_vec[:, None] * Yt[iC3:] * E
    return out.T

def mature_III_factor(p: Rates) -> float:
    return p.e3 / max(p.e1, 1e-300)



def collagen_synthesis(Y: np.ndarray, p: Rates) -> tuple[np.ndarray, np.ndarray]:
    """Gross collagen I and III synthesis relative to their baseline values [-]."""
    F, Xe, Xm = Y[..., iF], Y[..., iXe], Y[..., iXm]
    C = Y[..., iC1] + Y[..., iC3]
    g = np.maximum(p.Cmax - C, 0.0) / (p.Cmax - p.C1_0 - p.C3_0)
    ks = p.p1 + p.p3
    J3 = F * g * (p.p3 + ks * p.q * (p.f3e * Xe + p.f3m * Xm))
    J1 = F * g * (p.p1 + ks * p.q * ((1.0 - p.f3e) * Xe + (1.0 - p.f3m) * Xm))
    return J1 / p.p1, J3 / p.p3



