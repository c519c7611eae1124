"""Argument normalisation shared by the solvers: cell fields and per-column boundary rows."""

from __future__ import annotations

import numpy as np

__all__ = ["as_field", "as_row"]


def as_field(a: np.ndarray | float, shape: tuple[int, int], name: str) -> np.ndarray:
    """A finite, writeable, C-contiguous float64 field of ``shape`` (scalars are broadcast)."""
    arr = np.ascontiguousarray(np.broadcast_to(np.asarray(a, dtype=np.float64), shape))
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite")
    return arr.copy() if not arr.flags.writeable else arr


def as_row(a: np.ndarray | float | None, nx: int, name: str) -> np.ndarray:
    """A per-column row of length ``nx`` (``None`` is zeros, a scalar is broadcast)."""
    if a is None:
        return np.zeros(nx)
    arr = np.asarray(a, dtype=np.float64)
    if arr.ndim == 0:
        return np.full(nx, float(arr))
    if arr.shape != (nx,):
        raise ValueError(f"{name} must be a float or an array of shape ({nx},), got {arr.shape}")
    return np.ascontiguousarray(arr)
