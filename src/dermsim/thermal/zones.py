"""Thermal zones: size of the coagulation and heat-shock zones around the pins, their volume
fractions per depth band, and the necrosis of the viable epidermis (the drive of the
remodelling stage).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    import xarray as xr

__all__ = ["band_fractions", "count_runs", "epidermal_necrosis", "zone_metrics"]


def zone_metrics(mask: np.ndarray, h: float, pin_x_m: np.ndarray, spacing_m: float,
                 out_of_plane_m: float | None = None) -> dict[str, float]:
    """Size of a thermal zone around the pins.

    Each pin owns the columns within half a spacing of it. Width is the largest lateral extent
    of the zone in a pin's window (rows taken separately, mean over pins), top/bottom the
    depth range, area the 2-D area per pin; the volume per pin maps the area through the
    out-of-plane spacing (slab, consistent with the power mapping), and the column-equivalent
    volume assumes a body of revolution about the pin axis, Σ π (w_row/2)² h.

    Parameters
    ----------
    mask : (nz, nx) bool
        Zone cells.
    h : float
        Cell size [m].
    pin_x_m : (n,) array
        Pin centres [m].
    spacing_m : float
        Pin spacing [m].
    out_of_plane_m : float, optional
        Out-of-plane depth carried by each pin [m] (default ``spacing_m``).

    Returns
    -------
    dict
        ``width_um``, ``top_um``, ``bottom_um``, ``depth_extent_um``, ``area_mm2_per_pin``,
        ``volume_mm3_per_pin``, ``column_volume_mm3_per_pin``.
    """
    nz, nx = mask.shape
    x = (np.arange(nx) + 0.5) * h
    width = nx * h
    n = max(1, pin_x_m.size)
    widths, cols_vol = [], []
    for xp in pin_x_m:
        d = (x - xp + 0.5 * width) % width - 0.5 * width
        win = np.abs(d) < 0.5 * spacing_m
        sub = mask[:, win]
        if not sub.any():
            widths.append(0.0)
            cols_vol.append(0.0)
            continue
        dw = d[win]
        row_w = np.zeros(nz)
        for i in np.nonzero(sub.any(axis=1))[0]:
            c = dw[sub[i]]
            row_w[i] = c.max() - c.min() + h
        widths.append(float(row_w.max()))
        cols_vol.append(float(np.sum(np.pi * (0.5 * row_w) ** 2) * h))
    rows = np.nonzero(mask.any(axis=1))[0]
    top = float(rows[0] * h) if rows.size else math.nan
    bottom = float((rows[-1] + 1) * h) if rows.size else math.nan
    area = float(mask.sum()) * h * h / n
    return {
        "width_um": float(np.mean(widths)) * 1e6,
        "top_um": top * 1e6,
        "bottom_um": bottom * 1e6,
        "depth_extent_um": (bottom - top) * 1e6 if rows.size else 0.0,
        "area_mm2_per_pin": area * 1e6,
        "volume_mm3_per_pin": area * (spacing_m if out_of_plane_m is None
                                      else out_of_plane_m) * 1e9,
        "column_volume_mm3_per_pin": float(np.mean(cols_vol)) * 1e9,
    }


def band_fractions(ds: xr.Dataset, band_edges_um: np.ndarray) -> dict[str, np.ndarray]:
    """Coagulated and heat-shocked volume fractions per depth band (for remodelling).

    Volume fractions are the 2-D area fractions times the out-of-plane factor f (the
    mapping of :mod:`dermsim.thermal.pulse`; ``f = π d / 2p`` by default). Rows partly inside a band
    are weighted by their overlap.

    Parameters
    ----------
    ds : xarray.Dataset
        Output of :func:`simulate_rf_pulse` (needs ``coagulated``, ``heat_shock`` and ``z``).
    band_edges_um : (n_band + 1,) array
        Band edges [µm] from the surface.

    Returns
    -------
    dict
        ``coagulated_fraction`` and ``heat_shock_fraction``, each (n_band,) in 0..1.
    """
    edges = np.asarray(band_edges_um, dtype=np.float64)
    z = ds["z"].values
    h_um = float(z[1] - z[0]) if z.size > 1 else 2.0 * float(z[0])
    top = z - 0.5 * h_um
    bot = z + 0.5 * h_um
    lo = np.maximum(edges[:-1, None], top[None, :])
    hi = np.minimum(edges[1:, None], bot[None, :])
    ov = np.clip(hi - lo, 0.0, None)
    tot = ov.sum(axis=1, keepdims=True)
    w = np.divide(ov, tot, out=np.zeros_like(ov), where=tot > 0)
    factor = float(ds.attrs.get("out_of_plane_depth_um", 1.0)) / float(
        ds.attrs.get("pin_spacing_um", 1.0))
    out = {}
    for name, var in (("coagulated_fraction", "coagulated"), ("heat_shock_fraction",
                                                              "heat_shock")):
        row = ds[var].values.astype(np.float64).mean(axis=1)
        out[name] = np.clip(factor * (w @ row), 0.0, 1.0)
    return out


# ------------------------------------------------------------------------------------------------


def epidermal_necrosis(omega: np.ndarray, viable_epidermis: np.ndarray, tissue: np.ndarray,
                       h: float, spacing_m: float) -> dict[str, float]:
    """Necrosis of the viable epidermis (Arrhenius damage ``Omega >= 1``) around the pins.

    A column of the slice is necrotic where any tissue cell of the viable epidermis has
    ``Omega >= 1``; needle columns next to necrotic tissue belong to the same zone (the pin
    sits in the middle of its burn). A run of necrotic columns (x periodic) of length ``w``
    that holds ``n`` pins (at least 1) is a burn around each pin that has merged along the pin
    row: an ellipse of axes ``w`` (in the slice) and ``w / n`` (across it, the width of one
    pin's burn), so its closing width is ``w / n`` and the necrotic area fraction of the skin
    surface is ``sum(pi w (w / n) / 4) / (W p)`` with slice width ``W`` and pin pitch ``p``
    (square array; at most 1).

    Parameters
    ----------
    omega, viable_epidermis, tissue
        (nz, nx) damage integral, viable-epidermis mask and tissue mask (not electrode).
    h, spacing_m
        Grid spacing and pin pitch [m].

    Returns
    -------
    dict
        ``epidermal_necrosis`` (area fraction, 0..1) and ``epidermal_lesion_um`` (closing
        width ``w / n`` of the widest necrotic zone [um]; 0 without necrosis).
    """
    epi = np.asarray(viable_epidermis, dtype=bool)
    nec = ((np.asarray(omega) >= 1.0) & epi & tissue).any(axis=0)
    needle = (epi & ~np.asarray(tissue, dtype=bool)).any(axis=0)
    nx = nec.size
    if not nec.any():
        return {"epidermal_necrosis": 0.0, "epidermal_lesion_um": 0.0}
    mark = nec.copy()
    # needle columns bordering a necrotic column join it (repeat to cross wide pins)
    for _ in range(nx):
        grow = needle & ~mark & (np.roll(mark, 1) | np.roll(mark, -1))
        if not grow.any():
            break
        mark |= grow
    start = int(np.flatnonzero(~mark)[0]) if not mark.all() else 0
    rolled = np.roll(mark, -start)  # begins with a healthy column: no run wraps
    pins = np.roll(needle, -start)
    edges = np.diff(np.concatenate([[0], rolled.astype(np.int8), [0]]))
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    widths = (ends - starts).astype(float) * h
    counts = np.array([max(count_runs(pins[a:b]), 1) for a, b in zip(starts, ends)], float)
    closing = widths / counts
    area = float(np.sum(math.pi * widths * closing / 4.0)) / (nx * h * max(spacing_m, h))
    return {"epidermal_necrosis": min(area, 1.0),
            "epidermal_lesion_um": float(closing.max() * 1e6)}


def count_runs(mask: np.ndarray) -> int:
    """Number of runs of True in a 1-D boolean array (not periodic)."""
    m = np.asarray(mask, dtype=np.int8)
    return int(np.count_nonzero(np.diff(np.concatenate([[0], m])) == 1))
