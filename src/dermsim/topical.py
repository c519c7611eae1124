"""Topical product transport: a product held on the skin surface enters through the channels.

A topical product (serum, PRP, drug) applied right after the session is held at its
concentration on the surface for the contact time. It enters open channels through a Dirichlet
face (conductance ``2 D_free / h``), whose open fraction closes as ``phi(t) = 2^{-t / t_close}``
(barrier recovery, Gupta et al. 2011 [V]), and intact skin through the stratum corneum, a
membrane of permeability ``kp`` (Potts & Guy 1992 for small molecules): a surface conductance
``kp`` that does not depend on how many cells resolve the 10–20 µm stratum corneum. The same
product on intact skin (no channels) is run alongside: the ratio of the time-integrated amounts
in the whole skin is the delivery enhancement (``topical_enhancement``), per layer the
``topical_delivery_ratio`` (NaN for a layer the grid does not resolve). No product is applied
unless the scenario names one (:data:`TOPICAL_PRODUCTS` or the cards).

Cards: :class:`TopicalCards` (``topical_*`` fields of the ``[signalling]`` table). Sources:
Gupta J. et al. (2011) J Control Release 154:148 [V]; Potts R.O., Guy R.H. (1992) Pharm Res
9:663 (permeability vs molecular weight and log Kow) [V]; Weibrich G. et al. (2002)
J Craniomaxillofac Surg 30:97 [V]; Nauman J.V. et al. (2007) Biophys J 92:4444 [V].
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import xarray as xr

from dermsim.growth_factors import DAY, HOUR, SpeciesParams, signalling_card, species_params
from dermsim.reaction_diffusion import SpeciesRecord, diffusivity, run_species, time_grid
from dermsim.tissue import Grid

if TYPE_CHECKING:
    from dermsim.signalling import SignallingConfig

__all__ = [
    "TOPICAL_PRODUCTS",
    "SurfaceContact",
    "TopicalCards",
    "TopicalProduct",
    "potts_guy_kp_cm_h",
    "run_topical",
    "topical_dataset",
    "with_product",
]


def potts_guy_kp_cm_h(mw_da: float, log_kow: float) -> float:
    """Permeability coefficient of intact human skin [cm/h] from molecular weight and the
    octanol/water partition coefficient: ``log kp = -2.7 + 0.71 log Kow - 0.0061 MW``
    (Potts & Guy 1992, fitted to 93 compounds of MW 18-750 from aqueous vehicles)."""
    return float(10.0 ** (-2.7 + 0.71 * log_kow - 0.0061 * mw_da))


@dataclass(frozen=True)
class TopicalProduct:
    """A topical product: the ``[signalling]`` card values that describe it, with sources.

    ``kp_intact_cm_h`` is the Potts–Guy value for small molecules (MW ≤ 750) and a prior for
    macromolecules, whose intact-skin uptake the correlation does not cover.
    """

    description: str
    mw_da: float
    log_kow: float | None
    concentration_ng_ml: float
    D_free_um2_s: float
    D_dermis_um2_s: float
    half_life_h: float
    kp_intact_cm_h: float
    source: str

    def cards(self) -> dict[str, float]:
        """The ``[signalling]`` values of this product (``topical_*``)."""
        return {"topical_concentration_ng_ml": self.concentration_ng_ml,
                "topical_D_free_um2_s": self.D_free_um2_s,
                "topical_D_dermis_um2_s": self.D_dermis_um2_s,
                "topical_half_life_h": self.half_life_h,
                "topical_kp_intact_cm_h": self.kp_intact_cm_h}


def with_product(cfg: SignallingConfig) -> SignallingConfig:
    """``cfg`` with the cards of its named topical product (unchanged if it names none)."""
    import dataclasses

    from dermsim.errors import ConfigError

    name = cfg.topical_product
    if not name:
        return cfg
    if name not in TOPICAL_PRODUCTS:
        raise ConfigError("signalling.topical_product", name,
                          f"one of {sorted(TOPICAL_PRODUCTS)} or empty")
    values: dict[str, Any] = dict(TOPICAL_PRODUCTS[name].cards())
    return dataclasses.replace(cfg, **values)


def _d_free(mw_da: float) -> float:
    """Free diffusivity [µm²/s] by Stokes–Einstein scaling from RNase (Nauman 2007)."""
    return 121.0 * (13700.0 / mw_da) ** (1.0 / 3.0)


#: Product library. Diffusivities in solution by Stokes–Einstein scaling (D ~ MW^-1/3) from
#: RNase 1.21e-6 cm2/s at 13.7 kDa (Nauman 2007) [C]; in dermis one tenth of it [A]; small
#: molecules are cleared by the dermal capillaries within hours [A].
TOPICAL_PRODUCTS: dict[str, TopicalProduct] = {
    "minoxidil_5pct": TopicalProduct(
        "minoxidil 5 % solution", 209.25, 1.24, 5.0e7, _d_free(209.25), 0.1 * _d_free(209.25),
        2.0,
        potts_guy_kp_cm_h(209.25, 1.24),
        "MW, log Kow 1.24 (PubChem) [S]; kp Potts & Guy 1992 [C]"),
    "ascorbic_acid_10pct": TopicalProduct(
        "L-ascorbic acid 10 % serum", 176.12, -1.85, 1.0e8, _d_free(176.12),
        0.1 * _d_free(176.12), 2.0,
        potts_guy_kp_cm_h(176.12, -1.85),
        "MW, log Kow -1.85 (PubChem) [S]; kp Potts & Guy 1992 [C]"),
    "niacinamide_5pct": TopicalProduct(
        "niacinamide 5 % serum", 122.12, -0.37, 5.0e7, _d_free(122.12), 0.1 * _d_free(122.12),
        2.0,
        potts_guy_kp_cm_h(122.12, -0.37),
        "MW, log Kow -0.37 (PubChem) [S]; kp Potts & Guy 1992 [C]"),
    "prp": TopicalProduct(
        "platelet-rich plasma (TGF-beta1)", 25000.0, None, 169.0, 100.0, 10.0, 1.1, 1e-6,
        "TGF-beta1 169 +- 84 ng/mL in PRP (Weibrich 2002) [V]; half-life Jin 2011 [V]; "
        "kp prior for a protein [U] (outside the Potts-Guy range)"),
}



@dataclass(frozen=True)
class TopicalCards:
    """Cards of the topical product (part of the ``[signalling]`` table).

    No product is applied unless the scenario names one: ``topical_product`` (a key of
    :data:`TOPICAL_PRODUCTS`, whose values then replace the ``topical_*`` cards) or a positive
    ``topical_concentration_ng_ml`` with the other cards set by hand.
    """

    #: name of a product of :data:`TOPICAL_PRODUCTS` ("" = none, or the cards as given)
    topical_product: str = ""

    # --- topical product ----------------------------------------------------------------------
    topical_concentration_ng_ml: float = signalling_card(
        "topical_concentration_ng_ml", 0.0, "ng/mL", 0.0, 1e9,
        "no topical product unless the scenario names one (TOPICAL_PRODUCTS, e.g. PRP "
        "TGF-beta1 169 +- 84 ng/mL, Weibrich 2002 [V]; minoxidil 5 % = 5e7 ng/mL)", "A",
        "concentration of the product held on the skin surface (0: no product)")
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
        "log kp = -2.7 + 0.71 log Kow - 0.0061 MW (Potts & Guy 1992, MW 18-750) for small "
        "molecules (potts_guy_kp_cm_h); proteins hardly cross intact stratum corneum [U]", "U",
        "permeability coefficient of intact skin for the product")


class SurfaceContact:
    """The product on the surface: ambient value and surface conductances of each step.

    Open channels (fraction ``phi(t) * g_open`` of each column) conduct like a Dirichlet face
    of the free solution, ``2 clot_ratio D_free / h``; intact skin through the stratum corneum
    as a membrane of permeability ``kp`` (steady-state flux ``kp (c_applied - c)``, whatever
    the grid). Nothing enters after the contact time.
    """

    def __init__(self, grid: Grid, cfg: SignallingConfig, sp: SpeciesParams,
                 g_open: np.ndarray, phi: Callable[[float, float], float],
                 t_end: float) -> None:
        h = grid.h
        self.nx = grid.nx
        self.c_app = cfg.topical_concentration_ng_ml
        self.t_contact = min(cfg.topical_contact_h * HOUR, t_end)
        self.g_intact = cfg.topical_kp_intact_cm_h * 1e-2 / HOUR  # kp [m/s]
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
    D = diffusivity(layer, hind, inj_eff, sp, cfg.clot_diffusion_ratio)
    mn = run_species(sp, h, grid.width, D, None, None, tg, band_w, row_layer, snaps,
                     cfg.reach_threshold_ng_ml, cfg.stop_threshold, contact.g_microneedled,
                     contact.ambient)
    # intact skin is laterally uniform: two columns suffice
    D1 = diffusivity(layer[:, :2], hind, np.zeros((grid.nz, 2)), sp, cfg.clot_diffusion_ratio)
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
    # a layer the grid does not resolve (no cell) or that intact skin never reaches has no
    # ratio: NaN, never inf
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where((auc_it > 0) & (auc_mn > 0), auc_mn / auc_it, np.nan)
    total_it = float(auc_it.sum())
    enhancement = float(auc_mn.sum()) / total_it if total_it > 0 else np.nan
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
    ds["topical_enhancement"] = ((), enhancement, {
        "units": "1", "long_name": "exposure of the whole skin, microneedled / intact skin"})
    ds.attrs["topical_steps"] = int(mn.n_steps)
    return ds
