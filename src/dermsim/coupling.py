"""Coupling of the signalling stage to the remodelling stage.

:func:`session_drive` turns one session's penetration, signalling and RF results into the
:class:`dermsim.remodelling.SessionDrive` of the remodelling model;
:func:`coupled_signalling_config` gives the signalling parameters used when both stages run
together.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
import xarray as xr

from dermsim.remodelling import SessionDrive
from dermsim.signalling import SPECIES, SignallingConfig
from dermsim.tissue import Grid

__all__ = ["coupled_signalling_config", "session_drive"]


def coupled_signalling_config(cfg: SignallingConfig | None = None) -> SignallingConfig:
    """The signalling parameters used inside the coupled pipeline.

    The signalling stage on its own includes a late, macrophage-secreted release (the day-3–5
    TGF-β peak). In the coupled pipeline the remodelling ODE has macrophages that secrete
    TGF-β and PDGF themselves, so the PDE carries only the platelet burst and the early
    damage release; counting the macrophage secretion in both would double it.

    Parameters
    ----------
    cfg
        A :class:`dermsim.signalling.SignallingConfig` (default: the defaults).
    """
    return replace(cfg or SignallingConfig(), tgfb1_late_ng_ml=0.0, pdgf_late_ng_ml=0.0)


def session_drive(grid: Grid, mechanical_injury: np.ndarray, inputs: dict[str, Any],
                  signalling_ds: xr.Dataset, coagulated: np.ndarray | None = None,
                  heat_shock: np.ndarray | None = None, day: float = 0.0) -> SessionDrive:
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
    return SessionDrive(day, band_injury, band_bleeding, signalling_ds["time"].values, gf,
                        np.zeros(n) if coagulated is None else coagulated,
                        np.zeros(n) if heat_shock is None else heat_shock)
