"""Face coefficients of a cell-centred coefficient field: the one harmonic-mean rule.

The harmonic mean ``2 a b / (a + b)`` is the exact series conductance of two half-cells, which
keeps the flux continuous across layer interfaces (Patankar 1980, Numerical Heat Transfer and
Fluid Flow, §4.2-3). Every stage that builds a diffusion or conduction operator on the grid
(growth factors, bioheat, potential) takes its face coefficients from here.
"""

from __future__ import annotations

import numpy as np

__all__ = ["face_coefficients", "harmonic_mean"]


def harmonic_mean(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Element-wise ``2 a b / (a + b)``, 0 where ``a + b == 0`` (and where either is 0).

    Works for real non-negative coefficients and for complex admittivities (σ + iωε).
    """
    s = a + b
    out = np.zeros_like(s)
    np.divide(2.0 * a * b, s, out=out, where=s != 0)
    return out


def face_coefficients(cell: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Harmonic-mean face coefficients of a cell-centred coefficient field.

    Parameters
    ----------
    cell
        Cell-centred coefficient (diffusivity, conductivity …), shape (nz, nx), ≥ 0.

    Returns
    -------
    fx : ndarray, shape (nz, nx)
        ``fx[i, j]`` on the face between columns ``j`` and ``(j + 1) % nx`` (periodic in x).
    fz : ndarray, shape (nz + 1, nx)
        ``fz[i, j]`` on the face between rows ``i - 1`` and ``i`` for ``1 <= i <= nz - 1``;
        the boundary faces ``fz[0]`` and ``fz[nz]`` are zero (boundaries are handled by the
        solvers' boundary conductances).
    """
    cell = np.asarray(cell, dtype=np.float64)
    fx = harmonic_mean(cell, np.roll(cell, -1, axis=1))
    fz = np.zeros((cell.shape[0] + 1, cell.shape[1]))
    fz[1:-1] = harmonic_mean(cell[:-1], cell[1:])
    return fx, fz
