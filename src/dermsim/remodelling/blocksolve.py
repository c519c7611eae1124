"""Implicit solver for independent compartments: BDF with a batched block LU.

The Jacobian of the remodelling system is block-diagonal (one ``N_VAR`` x ``N_VAR`` block per
cell; the paracrine spread enters the Jacobian through its diagonal only), so the Newton
systems ``(I - c J) x = b`` of :class:`scipy.integrate.BDF` split into small dense systems.
:class:`BlockBDF` factorises them with a compiled batched LU (partial pivoting) instead of a
general sparse LU (a numerics choice for speed; tested against a dense solve).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp
from numba import njit
from scipy.integrate import BDF

__all__ = ["BlockBDF", "BlockLU", "block_lu"]


@njit(cache=True)
def _lu_blocks(a: np.ndarray, piv: np.ndarray) -> None:  # pragma: no cover - compiled
    nb, m, _ = a.shape
    for b in range(nb):
        for k in range(m):
            p = k
            big = abs(a[b, k, k])
            for i in range(k + 1, m):
                v = abs(a[b, i, k])
                if v > big:
                    big = v
                    p = i
            piv[b, k] = p
            if p != k:
                for j in range(m):
                    t = a[b, k, j]
                    a[b, k, j] = a[b, p, j]
                    a[b, p, j] = t
            d = a[b, k, k]
            if d == 0.0:
                continue
            for i in range(k + 1, m):
                f = a[b, i, k] / d
                a[b, i, k] = f
                if f != 0.0:
                    for j in range(k + 1, m):
                        a[b, i, j] -= f * a[b, k, j]


@njit(cache=True)
def _solve_blocks(lu: np.ndarray, piv: np.ndarray, x: np.ndarray) -> None:  # pragma: no cover
    nb, m, _ = lu.shape
    for b in range(nb):
        for k in range(m):
            p = piv[b, k]
            if p != k:
                t = x[b, k]
                x[b, k] = x[b, p]
                x[b, p] = t
        for i in range(m):
            s = x[b, i]
            for j in range(i):
                s -= lu[b, i, j] * x[b, j]
            x[b, i] = s
        for i in range(m - 1, -1, -1):
            s = x[b, i]
            for j in range(i + 1, m):
                s -= lu[b, i, j] * x[b, j]
            x[b, i] = s / lu[b, i, i]


class BlockLU:
    """LU factors of a block-diagonal matrix given as dense blocks (n, m, m)."""

    def __init__(self, blocks: np.ndarray) -> None:
        self.lu = np.ascontiguousarray(blocks, dtype=np.float64)
        self.piv = np.empty(self.lu.shape[:2], dtype=np.int64)
        _lu_blocks(self.lu, self.piv)

    def solve(self, b: np.ndarray) -> np.ndarray:
        x = np.array(b, dtype=np.float64).reshape(self.lu.shape[0], self.lu.shape[1])
        _solve_blocks(self.lu, self.piv, x)
        return x.ravel()


def block_lu(a: sp.spmatrix, m: int) -> BlockLU:
    """Factorise the block-diagonal sparse matrix ``a`` (blocks of size ``m``)."""
    coo = a.tocoo()
    n = a.shape[0] // m
    r, c = coo.row, coo.col
    if np.any(r // m != c // m):
        raise ValueError("matrix is not block-diagonal")
    blocks = np.zeros((n, m, m))
    blocks[r // m, r % m, c % m] = coo.data
    return BlockLU(blocks)


class BlockBDF(BDF):
    """:class:`scipy.integrate.BDF` for block-diagonal Jacobians (option ``block``: the block
    size, passed through :func:`scipy.integrate.solve_ivp`)."""

    def __init__(self, fun: Any, t0: float, y0: np.ndarray, t_bound: float, *, block: int,
                 **options: Any) -> None:
        super().__init__(fun, t0, y0, t_bound, **options)

        def lu(a: sp.spmatrix) -> BlockLU:
            self.nlu += 1
            return block_lu(a, block)

        def solve_lu(f: BlockLU, b: np.ndarray) -> np.ndarray:
            return f.solve(b)

        self.lu = lu
        self.solve_lu = solve_lu
