"""Coupling of the signalling stage to the remodelling stage.

:func:`session_drive` turns one session's penetration, signalling and RF results into the
:class:`dermsim.remodelling.SessionDrive` of the remodelling model;
:func:`coupled_signalling_config` gives the signalling parameters used when both stages run
together.
"""

from __future__ import annotations

import warnings
from dataclasses import replace
from typing import Any

import numpy as np
import scipy.sparse as sp
import xarray as xr

from dermsim.remodelling import SessionDrive
from dermsim.remodelling.field import lateral_weights
from dermsim.signalling import SPECIES, SignallingConfig
from dermsim.tissue import Grid

__all__ = [
    "DRIVE_SNAPSHOT_TIMES_H",
    "INACTIVE_WHEN_COUPLED",
    "CouplingWarning",
    "burn_fields",
    "coupled_signalling_config",
    "field_drive",
    "session_drive",
    "wound_zone_coverage",
]


#: signalling parameters that the coupled pipeline does not use (the remodelling stage's
#: macrophages secrete TGF-beta and PDGF instead), with the parameters that replace them
INACTIVE_WHEN_COUPLED = {
    "tgfb1_late_ng_ml": "remodelling.tgfb_secretion_macrophage",
    "pdgf_late_ng_ml": "remodelling.pdgf_secretion_macrophage",
}
#: times of the growth-factor field snapshots used for the lateral pattern of the drive [h]
DRIVE_SNAPSHOT_TIMES_H = (0.25, 1.0, 6.0, 24.0, 72.0)


class CouplingWarning(UserWarning):
    """A parameter set by the user has no effect in the coupled pipeline."""


def coupled_signalling_config(cfg: SignallingConfig | None = None) -> SignallingConfig:
    """The signalling parameters used inside the coupled pipeline.

    One growth-factor model per species: the signalling stage carries the platelet burst
    and the early damage release of TGF-beta1 and PDGF; their later, macrophage-secreted
    supply is produced by the macrophages of the remodelling stage, which spread it with the
    same dermal diffusivity and decay it with the same half-life (``signalling.*_D_dermis_um2_s``,
    ``signalling.*_half_life_h``).  The prescribed late release of the stand-alone
    signalling stage (``signalling.tgfb1_late_ng_ml``, ``signalling.pdgf_late_ng_ml``) is
    therefore set to zero here; a value that differs from its default (set by the user or
    a sweep) raises a :class:`CouplingWarning` naming the parameter that replaces it.

    Parameters
    ----------
    cfg
        A :class:`dermsim.signalling.SignallingConfig` (default: the defaults).
    """
    cfg = cfg or SignallingConfig()
    default = SignallingConfig()
    for name, instead in INACTIVE_WHEN_COUPLED.items():
        if getattr(cfg, name) != getattr(default, name):
            warnings.warn(
                f"signalling.{name} = {getattr(cfg, name)!r} has no effect in the coupled "
                f"pipeline: the late supply comes from the macrophages of the remodelling "
                f"stage (set {instead} instead)", CouplingWarning, stacklevel=2)
    return replace(cfg, tgfb1_late_ng_ml=0.0, pdgf_late_ng_ml=0.0)


def session_drive(grid: Grid, mechanical_injury: np.ndarray, inputs: dict[str, Any],
                  signalling_ds: xr.Dataset, coagulated: np.ndarray | None = None,
                  heat_shock: np.ndarray | None = None, day: float = 0.0,
                  burn: dict[str, float] | None = None) -> SessionDrive:
    """The remodelling drive of one session from the penetration, signalling and RF stages.

    Parameters
    ----------
    grid
        The scenario grid.
    mechanical_injury
        (nz, nx) needle-channel injury of the session (penetration stage).
    inputs
        :func:`dermsim.signalling.session_inputs` of that injury (bleeding mask, 3-D scales).
    signalling_ds
        Result of :func:`dermsim.signalling.run_acute_window` (bands, ``gf_band``).
    coagulated, heat_shock
        RF volume fractions per band (:func:`dermsim.thermal.band_fractions`); zero if None.
    day
        Day of the session [day].
    burn
        Epidermal necrosis of the RF stage (:func:`dermsim.thermal.epidermal_necrosis`:
        ``epidermal_necrosis``, ``epidermal_lesion_um``); none if None.

    Returns
    -------
    dermsim.remodelling.SessionDrive
        Band means through the dermis: the 3-D injured volume fraction (slice band injury ×
        the 3-D/slice volume scale × the overlap correction of each row), the bleeding
        fraction of the band's channels, and the band-mean TGF-β1 and PDGF over the acute
        window.
    """
    edges = np.append(signalling_ds["band_top"].values, signalling_ds["band_bottom"].values[-1])
    weights = grid.band_weights(edges)
    rows = mechanical_injury.mean(axis=1)
    mech_rows = weights @ rows
    # 3-D injured fraction: summed channel volume, corrected row by row for overlaps
    scaled = inputs["volume_scale"] * inputs.get("overlap_correction", 1.0) * rows
    band_injury = np.clip(weights @ scaled, 0.0, 1.0)
    bleed_rows = weights @ inputs["bleeding"].mean(axis=1)
    band_bleeding = np.clip(np.divide(bleed_rows, mech_rows, out=np.zeros_like(bleed_rows),
                                      where=mech_rows > 0), 0.0, 1.0)
    n = band_injury.size
    gf = {name: signalling_ds["gf_band"].sel(species=name).values for name in SPECIES}
    epi = burn_fields(burn)
    return SessionDrive(day, band_injury, band_bleeding, signalling_ds["time"].values, gf,
                        np.zeros(n) if coagulated is None else coagulated,
                        np.zeros(n) if heat_shock is None else heat_shock,
                        epidermal_necrosis=epi["epidermal_necrosis"],
                        epidermal_lesion_um=epi["epidermal_lesion_um"])


def burn_fields(burn: dict[str, float] | None) -> dict[str, float]:
    """The epidermal-burn fields of a :class:`SessionDrive` from the RF stage's
    ``epidermal_necrosis`` and ``epidermal_lesion_um`` (zero without a burn)."""
    burn = burn or {}
    return {"epidermal_necrosis": float(burn.get("epidermal_necrosis", 0.0)),
            "epidermal_lesion_um": float(burn.get("epidermal_lesion_um", 0.0))}


def wound_zone_coverage(mechanical_injury: np.ndarray, h_um: float, spacing_um: float,
                        reach_um: float) -> np.ndarray:
    """Summed 3-D coverage of the wound-signalling zones around the slice channels.

    Every channel signals to the tissue within ``reach_um`` of its wall (wound-derived
    chemoattractants and damage signals spread over 100-200 um, Niethammer et al. 2009), so
    at a depth where a channel has the radius ``r`` its zone is a disc of radius
    ``rho = r + reach_um``.  On each row of the slice the zones are the channel cross-sections
    widened by ``reach_um`` on both sides; a lattice of channels with in-plane spacing ``a``
    (density ``1/a^2``) covers ``pi rho^2 / a^2`` of the 3-D area where the slice shows
    ``2 rho / a``, so each zone of the slice counts ``pi rho / (2 a)``.  The returned field is
    the expected number of zones covering each slice cell (overlapping zones add; their
    union is ``1 - exp(-x)``, Boolean model); zero where no channel reaches the row or
    ``reach_um`` is 0.

    Parameters
    ----------
    mechanical_injury
        (nz, nx) needle-channel injury of the session, 0..1.
    h_um
        Grid spacing [um].
    spacing_um
        In-plane spacing of the slice channels [um] (``PenetrationResult.spacing_um``).
    reach_um
        Lateral reach of the wound signalling beyond the channel wall [um].

    Returns
    -------
    (nz, nx) array, >= 0.
    """
    inj = np.asarray(mechanical_injury, dtype=float)
    out = np.zeros_like(inj)
    if reach_um <= 0.0 or spacing_um <= 0.0 or not np.any(inj > 0.0):
        return out
    nx = inj.shape[1]
    x = (np.arange(nx) + 0.5) * h_um
    width = nx * h_um
    for i in np.flatnonzero((inj > 0.0).any(axis=1)):
        for centre, radius in _channel_runs(inj[i], h_um):
            d = np.abs(x - centre)
            d = np.minimum(d, width - d)  # periodic distance
            rho = radius + reach_um
            out[i] += np.where(d <= rho, np.pi * rho / (2.0 * spacing_um), 0.0)
    return out


def _channel_runs(row: np.ndarray, h_um: float) -> list[tuple[float, float]]:
    """(centre, radius) [um] of the channel cross-sections (runs of injured cells) of one
    periodic slice row; the radius is half the injury-weighted width of the run."""
    hit = row > 0.0
    nx = row.size
    if hit.all():
        return [(0.5 * nx * h_um, 0.5 * float(row.sum()) * h_um)]
    shift = int(np.flatnonzero(~hit)[0])  # start the scan on an uninjured cell
    r = np.roll(row, -shift)
    h = np.roll(hit, -shift)
    edges = np.diff(h.astype(np.int8), prepend=0, append=0)
    runs = []
    for a, b in zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1), strict=True):
        centre = float(((0.5 * (a + b) + shift) % nx) * h_um)
        runs.append((centre, 0.5 * float(r[a:b].sum()) * h_um))
    return runs


def field_drive(grid: Grid, mechanical_injury: np.ndarray, inputs: dict[str, Any],
                signalling_ds: xr.Dataset, columns: int, coagulated: np.ndarray | None = None,
                heat_shock: np.ndarray | None = None, day: float = 0.0,
                spacing_um: float | None = None, reach_um: float = 0.0,
                flare_reach_um: float = 0.0,
                burn: dict[str, float] | None = None) -> SessionDrive:
    """The remodelling drive of one session on the coarse 2-D grid (bands x ``columns``).

    Each cell gets the 3-D injured volume fraction of its part of the slice: the summed
    channel volume x (slice injury averaged over the cell x the 3-D/slice volume scale) of
    randomly placed, overlapping channels injures the union ``1 - exp(-x)`` of the cell
    (Boolean model, as :func:`dermsim.signalling.overlap_correction`); the bleeding fraction
    of its channels; and the
    growth-factor concentration of the signalling stage: the band mean over time times the
    lateral pattern of the field snapshots (coarse-grained, interpolated in time between
    :data:`DRIVE_SNAPSHOT_TIMES_H`, so band means are exact).  RF fractions are per band.
    With ``spacing_um`` (in-plane channel spacing of the slice) and ``reach_um`` > 0, each cell
    also gets the fraction of its tissue inside the wound-signalling zone of a channel
    (:func:`wound_zone_coverage`, union ``1 - exp(-x)``) and, with ``flare_reach_um`` > 0,
    the fraction of it inside the axon-reflex flare of a channel (the same geometry with the
    flare's reach; union ``1 - exp(-x)``: vasodilation is maximal where flares overlap).
    ``burn`` is the epidermal necrosis of the RF stage (see :func:`session_drive`).

    Returns
    -------
    dermsim.remodelling.SessionDrive
        With ``n_band * columns`` cells, row-major (band, then column).
    """
    edges = np.append(signalling_ds["band_top"].values, signalling_ds["band_bottom"].values[-1])
    wz = sp.csr_matrix(grid.band_weights(edges))
    wxt = sp.csr_matrix(lateral_weights(grid.nx, columns).T)
    nb = wz.shape[0]

    def coarse(f: np.ndarray) -> np.ndarray:
        return np.asarray(wxt.T @ (wz @ np.asarray(f, dtype=float)).T).T

    mech = coarse(mechanical_injury)
    injury = -np.expm1(-inputs["volume_scale"] * np.maximum(mech, 0.0))
    bleed = coarse(inputs["bleeding"])
    bleeding = np.clip(np.divide(bleed, mech, out=np.zeros_like(bleed), where=mech > 1e-12),
                       0.0, 1.0)
    t_day = signalling_ds["time"].values
    snap_h = signalling_ds["snapshot_time"].values
    gf = {}
    for name in SPECIES:
        band = signalling_ds["gf_band"].sel(species=name).values  # (t, nb)
        snaps = signalling_ds["gf_snapshot"].sel(species=name).values
        shapes = []
        for k in range(snap_h.size):
            c = coarse(snaps[k])
            m = c.mean(axis=1, keepdims=True)
            shapes.append(np.where(m > 0, c / np.where(m > 0, m, 1.0), 1.0))
        sh = np.stack(shapes)  # (n_snap, nb, ncol)
        th = t_day * 24.0
        pos = np.interp(th, snap_h, np.arange(snap_h.size))
        lo = np.floor(pos).astype(int)
        hi = np.minimum(lo + 1, snap_h.size - 1)
        w = (pos - lo)[:, None, None]
        shape_t = (1.0 - w) * sh[lo] + w * sh[hi]
        gf[name] = (band[:, :, None] * shape_t).reshape(t_day.size, nb * columns)
    n = nb * columns

    def per_cell(v: np.ndarray | None) -> np.ndarray:
        return np.zeros(n) if v is None else np.repeat(np.asarray(v, float), columns)

    zone = flare = None
    if spacing_um is not None and reach_um > 0.0:
        cover = wound_zone_coverage(mechanical_injury, grid.h * 1e6, spacing_um, reach_um)
        zone = np.maximum(-np.expm1(-coarse(cover)), injury).ravel()
    if spacing_um is not None and flare_reach_um > 0.0:
        flare = -np.expm1(-coarse(wound_zone_coverage(mechanical_injury, grid.h * 1e6,
                                                      spacing_um, flare_reach_um))).ravel()
    epi = burn_fields(burn)
    return SessionDrive(day, injury.ravel(), bleeding.ravel(), t_day, gf, per_cell(coagulated),
                        per_cell(heat_shock), zone, flare,
                        epidermal_necrosis=epi["epidermal_necrosis"],
                        epidermal_lesion_um=epi["epidermal_lesion_um"])
