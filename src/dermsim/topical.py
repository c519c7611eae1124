"""Topical product transport: a product held on the skin surface enters through the channels.

A topical product (serum, PRP, drug) applied right after the session is held at its
concentration on the surface for the contact time. It enters open channels through a Dirichlet
face (conductance ``2 D_free / h``), whose open fraction closes as ``phi(t) = 2^{-t / t_close}``
(barrier recovery, Gupta et al. 2011 [V]), and intact skin through the stratum corneum, whose
diffusivity for the product is set from its intact permeability coefficient ``kp``
(``D_SC = kp L_SC``). The same product on intact skin (no channels) is run alongside; the ratio
of the time-integrated amounts per layer is the delivery enhancement.

Cards: :class:`TopicalCards` (``topical_*`` fields of the ``[signalling]`` table). Sources:
Gupta J. et al. (2011) J Control Release 154:148 [V]; Potts R.O., Guy R.H. (1992) Pharm Res
9:663 (permeability vs molecular weight) [U]; Weibrich G. et al. (2002) J Craniomaxillofac Surg
30:97 [V]; Nauman J.V. et al. (2007) Biophys J 92:4444 [V].
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import xarray as xr

from dermsim.growth_factors import DAY, HOUR, SpeciesParams, signalling_card, species_params
from dermsim.reaction_diffusion import SpeciesRecord, diffusivity, run_species, time_grid
from dermsim.tissue import Grid

if TYPE_CHECKING:
    from dermsim.signalling import SignallingConfig

__all__ = ["SurfaceContact", "TopicalCards", "run_topical", "topical_dataset"]


@dataclass(frozen=True)
class TopicalCards:
    """Cards of the topical product (part of the ``[signalling]`` table)."""

    # --- topical product ----------------------------------------------------------------------
    topical_concentration_ng_ml: float = signalling_card(
        "topical_concentration_ng_ml", 169.0, "ng/mL", 0.0, 1e7,
        "PRP TGF-beta1 169 +- 84 ng/mL (Weibrich) [V]; 0 disables the topical product", "V",
        "concentration of the product held on the skin surface")
    topical_contact_h: float = signalling_card(
        "topical_contact_h", 1.0, "h", 0.01, 168.0,
        "applied right after the session and left on; dries/wiped [A]", "A",
        "contact time of the product on the skin")
    topical_D_free_um2_s: float = signalling_card(
        "topical_D_free_um2_s", 100.0, "um2/s", 1.0, 2000.0,
        "growth factor in solution (Stokes-Einstein from RNase, Nauman 2007) [C]; small drugs "
        "~500-1000",
        "C", "free diffusivity of the product (open channels, clot)")
    topical_D_dermis_um2_s: float = signalling_card(
        "topical_D_dermis_um2_s", 10.0, "um2/s", 0.01, 1000.0,
        "as TGF-beta1 [A]", "A", "effective diffusivity of the product in dermis")
    topical_half_life_h: float = signalling_card(
        "topical_half_life_h", 1.1, "h", 0.03, 1000.0,
        "as TGF-beta1 (Jin 2011) [V]; small drugs are cleared by perfusion instead", "A",
        "tissue half-life (decay or clearance) of the product")
    topical_kp_intact_cm_h: float = signalling_card(
        "topical_kp_intact_cm_h", 1e-6, "cm/h", 0.0, 1.0,
        "proteins hardly cross intact stratum corneum (Potts-Guy MW dependence) [U]; "
        "minoxidil ~1e-3 cm/h [C Potts-Guy]", "U",
        "permeability coefficient of intact skin for the product")


class SurfaceContact:
    """The product on the surface: ambient value and surface conductances of each step.

    Open channels (fraction ``phi(t) * g_open`` of each column) conduct like a Dirichlet face
    of the free solution, ``2 clot_ratio D_free / h``; intact skin through the stratum corneum,
    ``2 D_SC / h`` with ``D_SC = kp L_SC``. Nothing enters after the contact time.
    """

    def __init__(self, grid: Grid, cfg: SignallingConfig, sp: SpeciesParams,
                 g_open: np.ndarray, phi: Callable[[float, float], float],
                 t_end: float) -> None:
        h = grid.h
        self.nx = grid.nx
        self.c_app = cfg.topical_concentration_ng_ml
        self.t_contact = min(cfg.topical_contact_h * HOUR, t_end)
        l_sc = float(grid.interfaces_m[1] - grid.interfaces_m[0])
        kp = cfg.topical_kp_intact_cm_h * 1e-2 / HOUR  # m/s
        self.d_sc = kp * l_sc
        self.g_intact = 2.0 * self.d_sc / h
        self.g_ch = 2.0 * cfg.clot_diffusion_ratio * sp.D_free / h
        self.g_open = g_open
        self.phi = phi

    def on(self, t0: float) -> bool:
        """Whether the product is on the skin during the step starting at ``t0``."""
        return t0 < self.t_contact * (1 - 1e-12)

    def g_microneedled(self, t0: float, dt: float) -> np.ndarray:
        """Surface conductance of each column of the treated slice [m/s]."""
        if not self.on(t0):
            return np.zeros(self.nx)
        f = self.phi(t0, dt) * self.g_open
        return f * self.g_ch + (1.0 - f) * self.g_intact

    def g_intact_skin(self, t0: float, dt: float) -> np.ndarray:
        """Surface conductance of the two-column intact-skin twin [m/s]."""
        return np.full(2, self.g_intact if self.on(t0) else 0.0)

    def ambient(self, t0: float, dt: float) -> float:
        """Concentration held on the surface [ng/mL]."""
        return self.c_app if self.on(t0) else 0.0


def run_topical(grid: Grid, cfg: SignallingConfig, inj_eff: np.ndarray, g_open: np.ndarray,
                phi: Callable[[float, float], float], t_end: float, snaps: list[float],
                band_w: np.ndarray, row_layer: np.ndarray, hind: np.ndarray) -> xr.Dataset:
    """The topical product through the channels, and through intact skin for comparison."""
    h = grid.h
    sp = species_params(cfg, "topical")
    contact = SurfaceContact(grid, cfg, sp, g_open, phi, t_end)
    # the surface conductance changes with the channel closure: resolve it while in contact
    tg = time_grid(t_end, cfg, (0.0, contact.t_contact), snaps,
                   caps=[(contact.t_contact, cfg.channel_closure_half_life_h * HOUR
                          / cfg.steps_per_closure_half_life)])
    layer = grid.layer
    D = diffusivity(layer, hind, inj_eff, sp, cfg.clot_diffusion_ratio, contact.d_sc)
    mn = run_species(sp, h, grid.width, D, None, None, tg, band_w, row_layer, snaps,
                     cfg.reach_threshold_ng_ml, cfg.stop_threshold, contact.g_microneedled,
                     contact.ambient)
    # intact skin is laterally uniform: two columns suffice
    D1 = diffusivity(layer[:, :2], hind, np.zeros((grid.nz, 2)), sp, cfg.clot_diffusion_ratio,
                     contact.d_sc)
    it = run_species(sp, h, 2 * h, D1, None, None, tg, band_w, row_layer, [],
                     cfg.reach_threshold_ng_ml, cfg.stop_threshold, contact.g_intact_skin,
                     contact.ambient)
    phis = np.array([phi(t, 0.0) for t in tg.times])
    return topical_dataset(tg.times, mn, it, phis, bool(snaps))


def topical_dataset(times: np.ndarray, mn: SpeciesRecord, it: SpeciesRecord,
                    open_fraction: np.ndarray, with_snapshots: bool) -> xr.Dataset:
    """Outputs of the topical product: per-layer amounts and exposures with and without
    channels, their ratio (delivery enhancement), entry, reach and the open channel fraction."""
    t_day = times / DAY
    hours = np.diff(times) / HOUR

    def auc(a: np.ndarray) -> np.ndarray:
        """Exposure per layer: time integral of the layer amount (trapezoid) [ng h / cm2]."""
        return np.sum(0.5 * (a[1:] + a[:-1]) * hours[:, None], axis=0)

    auc_mn, auc_it = auc(mn.layer_amount), auc(it.layer_amount)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(auc_it > 0, auc_mn / auc_it, np.inf)
    tc = {"units": "day", "long_name": "time after the session (topical product)"}
    ds = xr.Dataset(coords={"time_topical": ("time_topical", t_day, tc)})
    dims = ("time_topical", "layer_name")
    ds["topical_layer_amount"] = (dims, mn.layer_amount, {
        "units": "ng/cm2", "long_name": "topical product in each layer (microneedled skin)"})
    ds["topical_layer_amount_intact"] = (dims, it.layer_amount, {
        "units": "ng/cm2", "long_name": "topical product in each layer (intact skin)"})
    ds["topical_band"] = (("time_topical", "band"), mn.band, {
        "units": "ng/mL", "long_name": "band-mean concentration of the topical product"})
    ds["topical_entered"] = ("time_topical", mn.entered, {
        "units": "ng/cm2", "long_name": "cumulative topical product entered (microneedled)"})
    ds["topical_entered_intact"] = ("time_topical", it.entered, {
        "units": "ng/cm2", "long_name": "cumulative topical product entered (intact skin)"})
    ds["topical_remaining"] = ("time_topical", mn.remaining, {
        "units": "ng/cm2", "long_name": "topical product in the skin (microneedled)"})
    ds["topical_reach"] = ("time_topical", mn.reach_um, {
        "units": "um", "long_name": "deepest depth where the topical product exceeds the "
        "reach threshold"})
    ds["topical_exposure"] = ("layer_name", auc_mn, {
        "units": "ng h/cm2", "long_name": "time integral of the topical amount per layer"})
    ds["topical_exposure_intact"] = ("layer_name", auc_it, {
        "units": "ng h/cm2", "long_name": "same for intact skin"})
    ds["topical_delivery_ratio"] = ("layer_name", ratio, {
        "units": "1", "long_name": "exposure per layer, microneedled / intact skin"})
    ds["channel_open_fraction"] = ("time_topical", open_fraction, {
        "units": "1", "long_name": "open fraction of the channels at the surface"})
    if with_snapshots:
        ds["topical_snapshot"] = (("snapshot_time", "z", "x"), mn.snapshots, {
            "units": "ng/mL", "long_name": "topical product concentration"})
    ds.attrs["topical_steps"] = int(mn.n_steps)
    return ds
