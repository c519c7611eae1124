"""Analytic Jacobian of the remodelling right-hand side and its sparsity pattern.

One compartment's Jacobian is a sparse N_VAR x N_VAR block (:data:`PATTERN`); compartments are
independent, so the full Jacobian is block-diagonal (banded in the interleaved layout:
:data:`LBAND`, :data:`UBAND`).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np
import scipy.sparse as sp

from dermsim.remodelling.rates import Rates
from dermsim.remodelling.rhs import NATIVE_MIN, mature_III_factor
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

# structural non-zeros of one band's Jacobian block, (row, col)
PATTERN: tuple[tuple[int, int], ...] = tuple(
    sorted(
        {
            (iD, iD), (iD, iN), (iD, iM),
            (iR, iN), (iR, iR),
            (iN, iD), (iN, iN),
            (iM, iD), (iM, iN), (iM, iM),
            (iA, iM), (iA, iA),
            (iP, iD), (iP, iM), (iP, iP),
            (iH, iH),
            (iF, iM), (iF, iA), (iF, iP), (iF, iH), (iF, iF),
            (iXe, iA), (iXe, iH), (iXe, iXe), (iXe, iXm),
            (iXm, iXe), (iXm, iXm),
            (iE, iN), (iE, iM), (iE, iF), (iE, iXe), (iE, iXm), (iE, iE),
            (iC3, iF), (iC3, iXe), (iC3, iXm), (iC3, iE), (iC3, iC3), (iC3, iC1),
            (iC1, iF), (iC1, iXe), (iC1, iXm), (iC1, iE), (iC1, iC3), (iC1, iC1),
            (iT, iF), (iT, iXe), (iT, iXm), (iT, iT),
            (iEl, iT), (iEl, iE), (iEl, iEl),
            (iC7, iF), (iC7, iXe), (iC7, iXm), (iC7, iE), (iC7, iC7),
            (iC3, iG), (iC1, iG), (iC3, iV), (iC1, iV), (iEl, iF), (iEl, iG),
            (iV, iE), (iV, iV),
            (iG, iF), (iG, iE), (iG, iV), (iG, iG),
        }
    )
)
PAT_INDEX = {rc: k for k, rc in enumerate(PATTERN)}
#: lower and upper bandwidth of the interleaved Jacobian (for LSODA's banded solver)
LBAND = max(r - c for r, c in PATTERN)
UBAND = max(c - r for r, c in PATTERN)


def jac_blocks(
    Y: np.ndarray, cT: np.ndarray, cP: np.ndarray, p: Rates, a: float = 1.0
) -> np.ndarray:
    """Analytic Jacobian entries of the local RHS, shape (n, len(PATTERN)), PATTERN order."""
    D, _R, N, M, A, P, H, F, Xe, Xm, E, C3, C1, _T, El, C7, V, G = Y.T
    nb = Y.shape[0]
    J = np.zeros((nb, len(PATTERN)))

    def put(r: int, c: int, v: Any) -> None:
        J[:, PAT_INDEX[(r, c)]] = v

    X = Xe + Xm
    put(iD, iD, -(p.kD + p.kDN * N + p.kDM * M))
    put(iD, iN, -p.kDN * D)
    put(iD, iM, -p.kDM * D)
    put(iR, iN, p.sRN)
    put(iR, iR, -p.kR)
    put(iN, iD, p.rN * p.KND / (p.KND + D) ** 2)
    put(iN, iN, -p.dN)
    sM = D / p.KMD + N / p.KMN + p.fa1 * cT / p.KMT + cP / p.KMP
    dm_ = p.rM / (1.0 + sM) ** 2
    put(iM, iD, dm_ / p.KMD)
    put(iM, iN, dm_ / p.KMN)
    put(iM, iM, -p.dM)
    put(iA, iM, p.sA)
    put(iA, iA, -p.kA)
    put(iP, iM, p.sP * D / (p.KPD + D))
    put(iP, iD, p.sP * M * p.KPD / (p.KPD + D) ** 2)
    put(iP, iP, -p.kP)
    put(iH, iH, -p.kH)
    Atot = p.fa1 * cT + A
    Ptot = cP + P
    sF = Ptot / p.KP + M / p.KFM + Atot / p.KFA + H / p.KH
    Phi = sF / (1.0 + sF)
    dPhi = 1.0 / (1.0 + sF) ** 2
    logi = F * (1.0 - F / p.Fmax)
    put(iF, iM, p.rF * logi * dPhi / p.KFM)
    put(iF, iA, p.rF * logi * dPhi / p.KFA)
    put(iF, iP, p.rF * logi * dPhi / p.KP)
    put(iF, iH, p.rF * logi * dPhi / p.KH)
    put(iF, iF, p.rF * Phi * (1.0 - 2.0 * F / p.Fmax) - p.dF)
    sX = Atot / p.KXA + H / p.KH
    Psi = sX / (1.0 + sX)
    dPsi = 1.0 / (1.0 + sX) ** 2
    put(iXe, iA, p.kon * (1.0 - X) * dPsi / p.KXA)
    put(iXe, iH, p.kon * (1.0 - X) * dPsi / p.KH)
    put(iXe, iXe, -p.kon * Psi - p.ksw)
    put(iXe, iXm, -p.kon * Psi)
    put(iXm, iXe, p.ksw)
    put(iXm, iXm, -p.koff)
    put(iE, iN, p.sEN)
    put(iE, iM, p.sEM)
    put(iE, iF, p.sEF * X)
    put(iE, iXe, p.sEF * F)
    put(iE, iXm, p.sEF * F)
    put(iE, iE, -p.kE)
    C = C1 + C3
    Cset = (p.C1_0 + p.C3_0) * a
    pos = p.Cmax - C > 0.0
    g = np.where(pos, (p.Cmax - C) / (p.Cmax - Cset), 0.0)
    dg = np.where(pos, -1.0 / (p.Cmax - Cset), 0.0)
    hraw = 1.0 + p.kap * (Cset - C) / Cset
    h = np.maximum(hraw, 0.0)
    dh = np.where(hraw > 0.0, -p.kap / Cset, 0.0)
    L = 1.0 + p.qL * X
    B3 = p.rho0 * (1.0 + p.e3 * E)
    B1 = p.rho0 * (1.0 + p.e1 * E)
    eta3 = L / (L + B3)
    eta1 = L / (L + B1)
    deta3_dX = p.qL * B3 / (L + B3) ** 2
    deta1_dX = p.qL * B1 / (L + B1) ** 2
    deta3_dE = -L * p.rho0 * p.e3 / (L + B3) ** 2
    deta1_dE = -L * p.rho0 * p.e1 / (L + B1) ** 2
    kq = p.ks * p.q
    s3 = p.p3 * a * h + kq * (p.f3e * Xe + p.f3m * Xm)
    s1 = p.p1 * a * h + kq * ((1.0 - p.f3e) * Xe + (1.0 - p.f3m) * Xm)
    J3 = F * g * s3
    J1 = F * g * s1
    dJ3 = F * (dg * s3 + g * p.p3 * a * dh)  # d J3 / d C (C = C1 + C3)
    dJ1 = F * (dg * s1 + g * p.p1 * a * dh)
    m3 = mature_III_factor(p)
    put(iC3, iF, eta3 * g * s3)
    put(iC3, iXe, eta3 * F * g * kq * p.f3e + deta3_dX * J3)
    put(iC3, iXm, eta3 * F * g * kq * p.f3m + deta3_dX * J3)
    put(iC3, iE, deta3_dE * J3 - p.kmE * m3 * C3)
    put(iC3, iC3, eta3 * dJ3 - (p.dm + p.kmE * m3 * E))
    put(iC3, iC1, eta3 * dJ3)
    put(iC1, iF, eta1 * g * s1)
    put(iC1, iXe, eta1 * F * g * kq * (1.0 - p.f3e) + deta1_dX * J1)
    put(iC1, iXm, eta1 * F * g * kq * (1.0 - p.f3m) + deta1_dX * J1)
    put(iC1, iE, deta1_dE * J1 - p.kmE * C1)
    put(iC1, iC3, eta1 * dJ1)
    put(iC1, iC1, eta1 * dJ1 - (p.dm + p.kmE * E))
    put(iT, iF, p.kT * (1.0 + p.qT * X))
    put(iT, iXe, p.kT * F * p.qT)
    put(iT, iXm, p.kT * F * p.qT)
    put(iT, iT, -p.kT)
    put(iEl, iT, p.dEl)
    put(iEl, iE, -p.kElE * El)
    put(iEl, iEl, -(p.dEl + p.kElE * E))
    put(iC7, iF, p.k7 * (1.0 + p.q7 * X))
    put(iC7, iXe, p.k7 * F * p.q7)
    put(iC7, iXm, p.k7 * F * p.q7)
    put(iC7, iE, -p.k7E * C7)
    put(iC7, iC7, -(p.k7 + p.k7E * E))
    # thermal defect: clearance of denatured matrix, refill of the cleared space
    kc = p.kV0 + p.kVE * E
    put(iV, iV, -kc)
    put(iV, iE, -p.kVE * V)
    put(iG, iV, kc)
    put(iG, iE, p.kVE * V)
    put(iG, iG, -p.kG * F)
    put(iG, iF, -p.kG * G)
    # refill density of each type rho_i = max(C_i / u, C_i0 a), u = max(1 - V - G, NATIVE_MIN)
    uraw = 1.0 - V - G
    u = np.maximum(uraw, NATIVE_MIN)
    fill = p.kG * F * G
    for row, Ci, Ci0 in ((iC3, C3, p.C3_0), (iC1, C1, p.C1_0)):
        dense = Ci / u > Ci0 * a
        rho = np.where(dense, Ci / u, Ci0 * a)
        drho_dVG = np.where(dense & (uraw > NATIVE_MIN), Ci / u**2, 0.0)
        J[:, PAT_INDEX[(row, iF)]] += p.kG * G * rho
        J[:, PAT_INDEX[(row, row)]] += fill * np.where(dense, 1.0 / u, 0.0)
        put(row, iV, fill * drho_dVG)
        put(row, iG, p.kG * F * rho + fill * drho_dVG)
    put(iEl, iF, p.kG * G)
    put(iEl, iG, p.kG * F)
    return J


@lru_cache(maxsize=32)
def sparse_layout(n_band: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """CSC layout of the block-diagonal Jacobian: (perm, indices, indptr, (rows, cols))."""
    r0 = np.array([rc[0] for rc in PATTERN])
    c0 = np.array([rc[1] for rc in PATTERN])
    off = (np.arange(n_band) * N_VAR)[:, None]
    rows = (off + r0[None, :]).ravel()
    cols = (off + c0[None, :]).ravel()
    n = n_band * N_VAR
    coo = sp.coo_matrix((np.arange(rows.size, dtype=float) + 1.0, (rows, cols)), shape=(n, n))
    csc = coo.tocsc()
    perm = (csc.data - 1.0).astype(np.int64)
    return perm, csc.indices.copy(), csc.indptr.copy(), np.stack([rows, cols])


def jac_sparsity(n_band: int) -> sp.csc_matrix:
    """Structural sparsity pattern of the full Jacobian (block-diagonal, N_VAR x N_VAR blocks)."""
    perm, indices, indptr, _ = sparse_layout(n_band)
    n = n_band * N_VAR
    return sp.csc_matrix((np.ones(perm.size), indices, indptr), shape=(n, n))


# --------------------------------------------------------------------------------------
# Baseline and session jumps
# --------------------------------------------------------------------------------------
