"""Electrodes: RF pins rasterised on the tissue grid (exposed tips, insulated shafts, polarity).

Exposed pin segments are Dirichlet cells of the potential problem (bipolar: ±V/2 on alternating
pins; monopolar: pins at V and the return pad as the deep boundary at 0 V); insulated shafts are
non-conducting cells.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    from dermsim.devices import RFTip

__all__ = [
    "ELECTRODE",
    "INSULATED",
    "TISSUE",
    "ElectrodeLayout",
    "layout_for_tip",
    "rasterise_electrodes",
]

#: Cell kinds of :attr:`ElectrodeLayout.kind`.
TISSUE, ELECTRODE, INSULATED = 0, 1, 2


@dataclass(frozen=True, eq=False)
class ElectrodeLayout:
    """Pins rasterised on the grid.

    Attributes
    ----------
    kind : (nz, nx) int8
        0 tissue, 1 exposed electrode (Dirichlet), 2 insulated shaft (non-conducting).
    pin : (nz, nx) int16
        Index of the pin occupying the cell, -1 in tissue.
    potential : (nz, nx) float64
        Electrode potential per volt of the setting (±0.5 bipolar, 1 monopolar), 0 elsewhere.
    ground_bottom : bool
        Deep boundary is the 0-V return pad (monopolar).
    pin_x_m : (n_pins,) float64
        Pin centres [m].
    polarity : (n_pins,) float64
        Unit potential of each pin.
    depth_m, exposed_length_m, diameter_m, spacing_m : float
        Pin tip depth, exposed length inside tissue, shaft diameter and in-plane spacing [m].
    """

    kind: np.ndarray
    pin: np.ndarray
    potential: np.ndarray
    ground_bottom: bool
    pin_x_m: np.ndarray
    polarity: np.ndarray
    depth_m: float
    exposed_length_m: float
    diameter_m: float
    spacing_m: float

    @property
    def n_pins(self) -> int:
        return int(self.pin_x_m.size)

    def key(self) -> bytes:
        """Digest of the geometry (for caching)."""
        hs = hashlib.sha1()
        hs.update(self.kind.tobytes())
        hs.update(self.potential.tobytes())
        hs.update(bytes([self.ground_bottom]))
        return hs.digest()

    def sensor_mask(self) -> np.ndarray:
        """Tissue cells sharing a face with an exposed electrode cell (electrode surface)."""
        e = self.kind == ELECTRODE
        nb = np.zeros_like(e)
        nb |= np.roll(e, 1, axis=1) | np.roll(e, -1, axis=1)
        nb[1:] |= e[:-1]
        nb[:-1] |= e[1:]
        return nb & (self.kind == TISSUE)


def rasterise_electrodes(
    nz: int,
    nx: int,
    h: float,
    pin_x_m: np.ndarray,
    polarity: np.ndarray,
    depth_m: float | np.ndarray,
    exposed_length_m: float,
    diameter_m: float,
    tip_length_m: float = 0.0,
    ground_bottom: bool = False,
    spacing_m: float | None = None,
) -> ElectrodeLayout:
    """Rasterise pins (vertical, from the surface to their tip depth) onto a periodic grid.

    Parameters
    ----------
    nz, nx, h
        Grid shape and cell size [m].
    pin_x_m, polarity
        Pin centres [m] and unit potentials (±0.5 bipolar, 1 monopolar).
    depth_m
        Depth of the pin tips below the surface [m], one value or one per pin; pins shallower
        than half a cell occupy no cell.
    exposed_length_m
        Conducting length above each tip [m] (the rest, up to the surface, is insulated).
    diameter_m
        Shaft width in the slice [m] (at least one cell).
    tip_length_m
        Length of the conical tip over which the width tapers linearly to zero [m].
    ground_bottom
        Deep boundary at 0 V (monopolar return pad).
    spacing_m
        In-plane pin spacing [m] (default: slice width / number of pins).

    Returns
    -------
    ElectrodeLayout
    """
    pin_x_m = np.atleast_1d(np.asarray(pin_x_m, dtype=np.float64))
    polarity = np.broadcast_to(np.asarray(polarity, dtype=np.float64), pin_x_m.shape).copy()
    depths = np.broadcast_to(np.asarray(depth_m, dtype=np.float64), pin_x_m.shape)
    if np.any(depths > nz * h) or np.any(depths < 0):
        raise ValueError(f"pin depths {depths} m outside the grid depth [0, {nz * h}]")
    x = (np.arange(nx) + 0.5) * h
    z = (np.arange(nz) + 0.5) * h
    width = nx * h
    kind = np.zeros((nz, nx), np.int8)
    pin = np.full((nz, nx), -1, np.int16)
    pot = np.zeros((nz, nx))
    for p, (xp, pol, d) in enumerate(zip(pin_x_m, polarity, depths, strict=True)):
        dx = np.abs((x - xp + 0.5 * width) % width - 0.5 * width)
        jnear = int(np.argmin(dx))
        exposed_top = d - min(exposed_length_m, d)
        for i in np.nonzero(z < d)[0]:
            w = diameter_m
            if tip_length_m > 0:
                w *= min(1.0, (d - z[i]) / tip_length_m)
            cols = np.nonzero(dx <= 0.5 * w)[0]
            if cols.size == 0:
                cols = np.array([jnear])
            exposed = z[i] >= exposed_top
            kind[i, cols] = ELECTRODE if exposed else INSULATED
            pin[i, cols] = p
            if exposed:
                pot[i, cols] = pol
    if spacing_m is None:
        spacing_m = width / max(1, pin_x_m.size)
    dmax = float(depths.max()) if depths.size else 0.0
    return ElectrodeLayout(kind, pin, pot, bool(ground_bottom), pin_x_m, polarity, dmax,
                           float(min(exposed_length_m, dmax)), float(diameter_m),
                           float(spacing_m))


def layout_for_tip(nz: int, nx: int, h: float, tip: RFTip, depth_m: float | np.ndarray,
                   bipolar: bool,
                   pin_x_m: np.ndarray | None = None) -> tuple[ElectrodeLayout, int]:
    """Electrode layout of an RF tip on an ``(nz, nx)`` grid, and the lateral tiling used.

    Pins sit at ``pin_x_m`` (e.g. the penetration stage's puncture positions) or, by default,
    at ``(k + 1/2) W / n`` with ``n = round(W / pitch)`` pins in the slice of width ``W``. A
    bipolar slice needs an even ``n`` for the ± alternation to be periodic; if ``n`` is odd,
    the layout is built on the grid tiled twice laterally (``tiling = 2``; pin k + n is pin k
    shifted by ``W`` with the opposite polarity). Reversing every polarity leaves the Joule
    heat unchanged, so the first ``nx`` columns of the tiled solution are the ``W``-periodic
    solution on the original grid.

    The part of a pin inside the tissue is the distal ``depth``; its exposed length is
    ``min(tip.exposed_length_um, depth)`` at the distal end (insulation measured from the face).
    """
    width = nx * h
    if pin_x_m is None:
        n = max(1, round(width / (tip.pin_pitch_um * 1e-6)))
        xs = (np.arange(n) + 0.5) * width / n
    else:
        xs = np.asarray(pin_x_m, dtype=np.float64) % width
        n = xs.size
    depths = np.broadcast_to(np.asarray(depth_m, dtype=np.float64), (n,))
    tiling = 2 if (bipolar and n % 2 == 1) else 1
    xs_t = np.concatenate([xs + k * width for k in range(tiling)])
    d_t = np.tile(depths, tiling)
    n_t = n * tiling
    pol = np.where(np.arange(n_t) % 2 == 0, 0.5, -0.5) if bipolar else np.ones(n_t)
    layout = rasterise_electrodes(
        nz, nx * tiling, h, xs_t, pol, d_t, tip.exposed_length_um * 1e-6,
        tip.needle_diameter_um * 1e-6, tip.tip_length_um * 1e-6, ground_bottom=not bipolar,
        spacing_m=width / n)
    return layout, tiling


# ------------------------------------------------------------------------------------------------
# potential
