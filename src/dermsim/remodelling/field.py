"""The coarse 2-D grid of the remodelling model and the transport between its cells.

The remodelling model runs on cells of one depth band (``signalling.band_um``) by
``remodelling.cell_width_um`` (x periodic, the slice width), derived from the tissue grid by
averaging.  Active TGF-beta and PDGF secreted by the cells spread between cells with the
dermal diffusivities and decay rates of the signalling stage (:class:`ParacrineField`); all
other variables are local.  Cells are numbered row-major (depth band, then column).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from dermsim.remodelling.jacobian import PAT_INDEX
from dermsim.remodelling.rates import Rates
from dermsim.remodelling.state import iA, iD, iM, iP

__all__ = ["CoarseGrid", "ParacrineField", "coarse_grid", "laplacian", "lateral_weights"]


@dataclass(frozen=True, eq=False)
class CoarseGrid:
    """Cells of the remodelling model: ``nz`` depth bands by ``nx`` periodic columns."""

    z_um: np.ndarray  # (nz,) band centres
    dz_um: np.ndarray  # (nz,) band thicknesses
    x_um: np.ndarray  # (nx,) column centres
    dx_um: float  # column width

    @property
    def nz(self) -> int:
        return int(self.z_um.size)

    @property
    def nx(self) -> int:
        return int(self.x_um.size)

    @property
    def n(self) -> int:
        return self.nz * self.nx


def coarse_grid(z_um: np.ndarray, dz_um: np.ndarray, width_um: float,
                cell_width_um: float) -> CoarseGrid:
    """Bands ``z_um`` (thickness ``dz_um``) by the whole number of columns closest to
    ``cell_width_um`` across ``width_um`` (at least one)."""
    nx = max(1, int(round(float(width_um) / float(cell_width_um))))
    dx = float(width_um) / nx
    return CoarseGrid(np.asarray(z_um, float), np.asarray(dz_um, float),
                      (np.arange(nx) + 0.5) * dx, dx)


def lateral_weights(nx_fine: int, nx_coarse: int) -> np.ndarray:
    """(nx_coarse, nx_fine) averaging matrix of equal fine columns onto coarse columns (by
    overlap; rows sum to 1)."""
    edges_f = np.arange(nx_fine + 1) / nx_fine
    edges_c = np.arange(nx_coarse + 1) / nx_coarse
    lo = np.maximum(edges_c[:-1, None], edges_f[None, :-1])
    hi = np.minimum(edges_c[1:, None], edges_f[None, 1:])
    w = np.clip(hi - lo, 0.0, None)
    return w / w.sum(axis=1, keepdims=True)


def laplacian(cg: CoarseGrid) -> sp.csr_matrix:
    """Finite-volume Laplacian on the cells [1/um^2]: x periodic, no flux through the top and
    bottom bands (conservative for the thickness-weighted content)."""
    nz, nx = cg.nz, cg.nx
    idx = np.arange(cg.n).reshape(nz, nx)
    rows: list[np.ndarray] = []
    cols: list[np.ndarray] = []
    vals: list[np.ndarray] = []

    def link(a: np.ndarray, b: np.ndarray, coef_a: np.ndarray, coef_b: np.ndarray) -> None:
        # flux between cells a and b: d(a)/dt += coef_a (b - a); d(b)/dt += coef_b (a - b)
        rows.extend([a, a, b, b])
        cols.extend([b, a, a, b])
        vals.extend([coef_a, -coef_a, coef_b, -coef_b])

    if nx > 1:
        cx = np.full(nz * nx, 1.0 / cg.dx_um**2)
        a = idx.ravel()
        b = np.roll(idx, -1, axis=1).ravel()
        if nx == 2:  # both neighbours are the same cell: one link per pair, twice the weight
            a, b, cx = idx[:, 0], idx[:, 1], np.full(nz, 2.0 / cg.dx_um**2)
        link(a, b, cx, cx)
    if nz > 1:
        dz = cg.dz_um
        dist = 0.5 * (dz[1:] + dz[:-1])
        a = idx[:-1].ravel()
        b = idx[1:].ravel()
        ca = np.repeat(1.0 / (dist * dz[:-1]), nx)
        cb = np.repeat(1.0 / (dist * dz[1:]), nx)
        link(a, b, ca, cb)
    if not rows:
        return sp.csr_matrix((cg.n, cg.n))
    return sp.csr_matrix(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(cg.n, cg.n)
    )


class ParacrineField:
    """Paracrine spread of the cell-secreted active TGF-beta and PDGF over the cells.

    Both decay fast (half-lives of hours) compared with the cells that secrete them (days),
    so their field is quasi-steady: the concentration a cell relaxes to (at the decay rate k)
    is ``G s / k`` with ``G = (I - (D/k) Laplacian)^-1`` applied to the secretion field ``s``
    (range ``sqrt(D/k)``; D and k of the signalling stage).  In the right-hand side the local
    secretion ``s`` is replaced by ``G s``; the Jacobian keeps the diagonal of ``G`` (the
    off-diagonal part only feeds forward from macrophages and debris to the mediators).
    """

    def __init__(self, cg: CoarseGrid, p: Rates) -> None:
        self.cg = cg
        lz = laplacian(CoarseGrid(cg.z_um, cg.dz_um, np.zeros(1), cg.dx_um)).toarray()
        m = np.arange(cg.nx // 2 + 1)
        lam = (2.0 - 2.0 * np.cos(2.0 * np.pi * m / cg.nx)) / cg.dx_um**2 if cg.nx > 1 else (
            np.zeros(1))
        eye = np.eye(cg.nz)
        gs = []  # per species: (n_mode, nz, nz) inverse per x mode
        self.diag: list[np.ndarray] = []
        for d, k in ((p.DA, p.kA), (p.DP, p.kP)):
            ell2 = d / k
            ops = eye[None] - ell2 * lz[None] + ell2 * lam[:, None, None] * eye[None]
            g = np.linalg.inv(ops)
            gs.append(g)
            # diagonal of G: mean over the x modes (irfft weights) of each mode's diagonal
            w = np.full(m.size, 2.0)
            w[0] = 1.0
            if cg.nx % 2 == 0 and cg.nx > 1:
                w[-1] = 1.0
            gd = (w[:, None] * np.einsum("mii->mi", g)).sum(axis=0) / cg.nx
            self.diag.append(np.repeat(gd, cg.nx))
        self._g = np.stack(gs)

    def spread(self, sources: np.ndarray) -> np.ndarray:
        """``G s`` for the secretion fields ``sources`` (2, n): TGF-beta, PDGF (row-major)."""
        f = np.fft.rfft(sources.reshape(2, self.cg.nz, self.cg.nx), axis=2)
        f = np.einsum("smij,sjm->sim", self._g, f)
        return np.fft.irfft(f, n=self.cg.nx, axis=2).reshape(2, -1)

    def add_rhs(self, Y: np.ndarray, out: np.ndarray, p: Rates) -> None:
        """Replace the local secretion terms of ``out`` (n, N_VAR) by their spread."""
        M, D = Y[:, iM], Y[:, iD]
        src = np.empty((2, Y.shape[0]))
        src[0] = p.sA * M
        src[1] = p.sP * M * D / (p.KPD + D)
        g = self.spread(src)
        out[:, iA] += g[0] - src[0]
        out[:, iP] += g[1] - src[1]

    def scale_jacobian(self, Y: np.ndarray, J: np.ndarray, p: Rates) -> None:
        """Scale the secretion entries of the local Jacobian ``J`` by the diagonal of G."""
        for r, c in ((iA, iM),):
            J[:, PAT_INDEX[(r, c)]] *= self.diag[0]
        for r, c in ((iP, iM), (iP, iD)):
            J[:, PAT_INDEX[(r, c)]] *= self.diag[1]
