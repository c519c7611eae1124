"""Topical product transport: a product film on the skin enters through channels and intact skin.

A topical product (serum, PRP, drug) applied right after the session lies on the skin as a film
of ``topical_dose_ul_cm2`` µL/cm² (a finite dose, OECD 2004) at its concentration. It enters
the open channels through a Dirichlet face (conductance ``2 D_free / h``), whose open fraction
closes as ``phi(t) = 2^{-t / t_close}`` (barrier recovery, Gupta et al. 2011 [V]), and intact
skin through the stratum corneum, a membrane whose permeability is the sum of three parallel
pathways (:class:`IntactPathways`, Mitragotri 2003; Scheuplein 1967):

* lipid route, Potts & Guy 1992: ``log kp = -2.7 + 0.71 log Kow - 0.0061 MW`` (small molecules);
* aqueous pore route, ``kp = (eps/tau) D_aq H(r_s/r_p) / L_SC``, with the Renkin hindrance ``H``
  of a solute of Stokes radius ``r_s`` in pores of radius ``r_p`` (Peck et al. 1994: 1.5–2.5 nm);
* follicular shunt, ``kp = f_F psi D_aq / L_epi``: the follicle orifice area fraction of the body
  site (Otberg et al. 2004) times the shunt diffusivity ``psi D_aq`` (Scheuplein 1967) over the
  depth of the acroinfundibulum (the epidermis).

Each route is a surface conductance that does not depend on how many cells resolve the 10–20
µm stratum corneum. The film is well mixed and depletes by what enters (a product cannot deliver
more than was applied); ``topical_dose_ul_cm2 = 0`` holds the concentration (infinite dose).
The same product on intact skin (no channels) is run alongside: the ratio of the
time-integrated amounts in the whole skin is the delivery enhancement (``topical_enhancement``),
per layer the ``topical_delivery_ratio`` (NaN for a layer the grid does not resolve). No product
is applied unless the scenario names one (:data:`TOPICAL_PRODUCTS` or the cards).

Cards: :class:`TopicalCards` (``topical_*`` fields of the ``[signalling]`` table). Sources:
Gupta J. et al. (2011) J Control Release 154:148 [V]; Potts R.O., Guy R.H. (1992) Pharm Res
9:663 [V]; Mitragotri S. (2003) J Control Release 86:69; Peck K.D. et al. (1994) Pharm Res
11:1306; Renkin E.M. (1954) J Gen Physiol 38:225; Scheuplein R.J. (1967) J Invest Dermatol
48:79; Otberg N. et al. (2004) J Invest Dermatol 122:14; OECD (2004) Test No. 428; Weibrich G.
et al. (2002) J Craniomaxillofac Surg 30:97 [V]; Nauman J.V. et al. (2007) Biophys J 92:4444 [V].
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import xarray as xr

from dermsim.growth_factors import DAY, HOUR, SpeciesParams, signalling_card, species_params
from dermsim.reaction_diffusion import (
    SpeciesRecord,
    TimeGrid,
    diffusivity,
    run_species,
    time_grid,
)
from dermsim.tissue import Grid

if TYPE_CHECKING:
    from dermsim.signalling import SignallingConfig

__all__ = [
    "FOLLICLE_AREA_FRACTION",
    "TOPICAL_PRODUCTS",
    "Donor",
    "IntactPathways",
    "SurfaceContact",
    "TopicalCards",
    "TopicalProduct",
    "follicle_kp_cm_h",
    "intact_pathways",
    "pore_kp_cm_h",
    "potts_guy_kp_cm_h",
    "renkin_hindrance",
    "run_topical",
    "stokes_radius_nm",
    "topical_dataset",
    "with_product",
]

#: Boltzmann constant [J/K]; body temperature [K] and the viscosity of water there [Pa s]
#: (CRC Handbook: 0.69 mPa s at 37 °C), for the Stokes–Einstein radius.
K_BOLTZMANN = 1.380649e-23
T_BODY_K = 310.15
ETA_WATER_PA_S = 6.9e-4


def potts_guy_kp_cm_h(mw_da: float, log_kow: float) -> float:
    """Lipid-route permeability coefficient of intact human skin [cm/h] from molecular weight
    and the octanol/water partition coefficient: ``log kp = -2.7 + 0.71 log Kow - 0.0061 MW``
    (Potts & Guy 1992, fitted to 93 compounds of MW 18-750 from aqueous vehicles)."""
    return float(10.0 ** (-2.7 + 0.71 * log_kow - 0.0061 * mw_da))


def stokes_radius_nm(d_free_um2_s: float) -> float:
    """Stokes–Einstein radius [nm] of a solute of free diffusivity ``D`` [µm²/s] in water at
    37 °C: ``r = k T / (6 pi eta D)``."""
    return K_BOLTZMANN * T_BODY_K / (6.0 * math.pi * ETA_WATER_PA_S * d_free_um2_s * 1e-12) * 1e9


def renkin_hindrance(lam: float) -> float:
    """Renkin (1954) hindrance of diffusion of a sphere through a cylindrical pore, radius
    ratio ``lam = r_s / r_p``: steric partition ``(1 - lam)^2`` times the wall drag
    ``1 - 2.104 lam + 2.09 lam^3 - 0.95 lam^5``; 0 for a solute as large as the pore."""
    if lam >= 1.0:
        return 0.0
    lam = max(lam, 0.0)
    return (1.0 - lam) ** 2 * (1.0 - 2.104 * lam + 2.09 * lam**3 - 0.95 * lam**5)


def pore_kp_cm_h(d_free_um2_s: float, porosity_tortuosity: float, pore_radius_nm: float,
                 sc_thickness_um: float) -> float:
    """Aqueous pore pathway of the stratum corneum [cm/h] (Mitragotri 2003):
    ``kp = (eps/tau) D_aq H(r_s / r_p) / L_SC``."""
    lam = stokes_radius_nm(d_free_um2_s) / pore_radius_nm
    d_cm2_s = d_free_um2_s * 1e-8
    return porosity_tortuosity * d_cm2_s * renkin_hindrance(lam) / (sc_thickness_um * 1e-4) \
        * 3600.0


def follicle_kp_cm_h(d_free_um2_s: float, area_fraction: float, shunt_ratio: float,
                     path_um: float) -> float:
    """Follicular (appendageal) shunt [cm/h]: orifice area fraction ``f_F`` times the shunt
    diffusivity ``psi D_aq`` (Scheuplein 1967) over the shunt path ``L`` (Otberg et al. 2004:
    macromolecules and particles enter the follicle openings)."""
    return area_fraction * shunt_ratio * d_free_um2_s * 1e-8 / (path_um * 1e-4) * 3600.0


#: Follicle orifices as a fraction of the skin surface per body site (Otberg et al. 2004,
#: cyanoacrylate biopsies of seven sites): forehead 1.28 % [S]; back and thorax, whose follicles
#: are fewer but wider, about 0.2 % [U]. Cheek and periorbital skin take the forehead (facial
#: vellus follicles, Otberg measured no other facial site) [A]; neck and abdomen the thorax [A].
FOLLICLE_AREA_FRACTION: dict[str, float] = {
    "forehead": 0.0128, "cheek": 0.0128, "periorbital": 0.0128,
    "neck": 0.002, "abdomen": 0.002, "back": 0.002,
}


@dataclass(frozen=True)
class IntactPathways:
    """Permeability coefficients of the parallel routes through intact skin [cm/h]."""

    lipid: float
    pore: float
    follicle: float

    @property
    def total(self) -> float:
        """``kp`` of intact skin: the sum of the parallel routes [cm/h]."""
        return self.lipid + self.pore + self.follicle


def intact_pathways(grid: Grid, cfg: SignallingConfig) -> IntactPathways:
    """The three intact-skin routes of the product of ``cfg`` at the body site of ``grid``
    (stratum corneum and epidermis thickness, follicle area fraction)."""
    thick = grid.stack.thickness_um
    site = grid.stack.site.split(" (")[0]
    f_site = FOLLICLE_AREA_FRACTION.get(site, min(FOLLICLE_AREA_FRACTION.values()))
    d = cfg.topical_D_free_um2_s
    return IntactPathways(
        lipid=cfg.topical_kp_intact_cm_h,
        pore=pore_kp_cm_h(d, cfg.topical_pore_porosity_tortuosity, cfg.topical_pore_radius_nm,
                          thick[0]),
        follicle=follicle_kp_cm_h(d, f_site * cfg.topical_follicle_scale,
                                  cfg.topical_shunt_diffusivity_ratio, thick[0] + thick[1]))


@dataclass(frozen=True)
class TopicalProduct:
    """A topical product: the ``[signalling]`` card values that describe it, with sources.

    ``kp_intact_cm_h`` is the lipid route (Potts–Guy for small molecules, MW ≤ 750; 0 for
    macromolecules, which do not partition into the lipids); the pore and follicular routes
    follow from the free diffusivity and the skin (:func:`intact_pathways`).
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


def _small(description: str, mw: float, log_kow: float, conc: float, source: str
           ) -> TopicalProduct:
    """A small molecule: Stokes–Einstein D, one tenth in dermis, 2 h clearance, Potts–Guy."""
    return TopicalProduct(description, mw, log_kow, conc, _d_free(mw), 0.1 * _d_free(mw), 2.0,
                          potts_guy_kp_cm_h(mw, log_kow), source)


#: Product library. Diffusivities in solution by Stokes–Einstein scaling (D ~ MW^-1/3) from
#: RNase 1.21e-6 cm2/s at 13.7 kDa (Nauman 2007) [C]; in dermis one tenth of it [A]; small
#: molecules are cleared by the dermal capillaries within hours [A].
TOPICAL_PRODUCTS: dict[str, TopicalProduct] = {
    "minoxidil_5pct": _small(
        "minoxidil 5 % solution", 209.25, 1.24, 5.0e7,
        "MW, log Kow 1.24 (PubChem) [S]; kp Potts & Guy 1992 [C]"),
    "ascorbic_acid_10pct": _small(
        "L-ascorbic acid 10 % serum", 176.12, -1.85, 1.0e8,
        "MW, log Kow -1.85 (PubChem) [S]; kp Potts & Guy 1992 [C]"),
    "niacinamide_5pct": _small(
        "niacinamide 5 % serum", 122.12, -0.37, 5.0e7,
        "MW, log Kow -0.37 (PubChem) [S]; kp Potts & Guy 1992 [C]"),
    "palmitoyl_pentapeptide": TopicalProduct(
        "palmitoyl pentapeptide-4 (pal-KTTKS) 3 ppm", 802.0, None, 3.0e3, _d_free(802.0),
        0.1 * _d_free(802.0), 2.0, 0.0,
        "3 ppm pal-KTTKS in a facial moisturiser (Robinson et al. 2005) [S]; MW 802 beyond "
        "the Potts-Guy range: no lipid route [A]; microneedles raise its skin signal 2-22x "
        "(Mohammed et al. 2014) [V]; tissue half-life as small molecules [A]"),
    "hyaluronic_acid_fragments": TopicalProduct(
        "low-molecular-weight hyaluronic acid (50 kDa) 0.2 %", 5.0e4, None, 2.0e6,
        _d_free(5.0e4), 0.1 * _d_free(5.0e4), 24.0, 0.0,
        "20-300 kDa HA fragments in serums, penetration into skin (Essendoubi et al. 2016) "
        "[S]; concentration [A]; D of a globular solute of that MW (a coil diffuses slower) "
        "[A]; skin hyaluronan turns over in about a day (Laurent & Fraser 1992) [S]; no lipid "
        "route [A]"),
    "prp": TopicalProduct(
        "platelet-rich plasma (TGF-beta1)", 25000.0, None, 169.0, 100.0, 10.0, 1.1, 0.0,
        "TGF-beta1 169 +- 84 ng/mL in PRP (Weibrich 2002) [V]; half-life Jin 2011 [V]; "
        "a protein does not partition into the stratum corneum lipids: no lipid route [A]"),
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
        "concentration of the product applied on the skin surface (0: no product)")
    topical_dose_ul_cm2: float = signalling_card(
        "topical_dose_ul_cm2", 5.0, "uL/cm2", 0.0, 1000.0,
        "finite dose of a leave-on liquid: at most 10 uL/cm2 (OECD 2004, Test No. 428) [S]; "
        "0 = infinite dose (concentration held, as in a Franz cell donor) [A]", "A",
        "volume of product applied per skin area (the film depletes as it is absorbed)")
    topical_contact_h: float = signalling_card(
        "topical_contact_h", 1.0, "h", 0.01, 168.0,
        "applied right after the session and left on; dries/wiped [A]", "A",
        "contact time of the product on the skin")
    topical_D_free_um2_s: float = signalling_card(
        "topical_D_free_um2_s", 100.0, "um2/s", 1.0, 2000.0,
        "growth factor in solution (Stokes-Einstein from RNase, Nauman 2007) [C]; small drugs "
        "~500-1000",
        "C", "free diffusivity of the product (open channels, clot, pores, follicles)")
    topical_D_dermis_um2_s: float = signalling_card(
        "topical_D_dermis_um2_s", 10.0, "um2/s", 0.01, 1000.0,
        "as TGF-beta1 [A]", "A", "effective diffusivity of the product in dermis")
    topical_half_life_h: float = signalling_card(
        "topical_half_life_h", 1.1, "h", 0.03, 1000.0,
        "as TGF-beta1 (Jin 2011) [V]; small drugs are cleared by perfusion instead", "A",
        "tissue half-life (decay or clearance) of the product")
    topical_kp_intact_cm_h: float = signalling_card(
        "topical_kp_intact_cm_h", 0.0, "cm/h", 0.0, 1.0,
        "log kp = -2.7 + 0.71 log Kow - 0.0061 MW (Potts & Guy 1992, MW 18-750) for small "
        "molecules (potts_guy_kp_cm_h); proteins do not partition into the lipids [A]", "C",
        "lipid-route permeability of intact stratum corneum (pore and follicular routes are "
        "added)")
    topical_pore_radius_nm: float = signalling_card(
        "topical_pore_radius_nm", 2.0, "nm", 0.3, 20.0,
        "effective pore radius of intact human epidermal membrane 1.5-2.5 nm (Peck, Ghanem & "
        "Higuchi 1994) [S]", "S",
        "radius of the aqueous pores of the stratum corneum (Renkin hindrance)")
    topical_pore_porosity_tortuosity: float = signalling_card(
        "topical_pore_porosity_tortuosity", 2e-6, "-", 0.0, 1e-3,
        "aqueous pore pathway of Mitragotri 2003; prior: a urea-sized solute crosses at "
        "~2e-5 cm/h, within the 1e-5 to 1e-4 cm/h of small polar solutes (Flynn 1990) [U]",
        "U", "porosity over tortuosity of the aqueous pore pathway of the stratum corneum")
    topical_shunt_diffusivity_ratio: float = signalling_card(
        "topical_shunt_diffusivity_ratio", 0.012, "-", 0.0, 1.0,
        "appendageal shunt diffusivity ~5e-8 cm2/s for steroids (Scheuplein 1967) over their "
        "free diffusivity ~4e-6 cm2/s [U]", "U",
        "diffusivity in the follicular shunt as a fraction of the free diffusivity")
    topical_follicle_scale: float = signalling_card(
        "topical_follicle_scale", 1.0, "-", 0.0, 10.0,
        "1 = follicle orifice area fraction of the body site (Otberg et al. 2004); 0 = "
        "follicles blocked (follicle-closing experiments) [A]", "A",
        "factor on the follicle orifice area fraction of the body site")


class Donor:
    """The product film on the surface: a finite dose that depletes by what enters the skin
    (and regains what diffuses back), or an infinite reservoir (``dose_ul_cm2 = 0``)."""

    def __init__(self, c_applied: float, dose_ul_cm2: float, t_contact: float) -> None:
        self.c_applied = c_applied
        self.film_cm = dose_ul_cm2 * 1e-3  # uL/cm2 -> cm3/cm2 = cm
        self.finite = self.film_cm > 0
        #: applied amount [ng/cm2] (inf for an infinite dose)
        self.applied = c_applied * self.film_cm if self.finite else math.inf
        self.amount = self.applied
        self.t_contact = t_contact

    def on(self, t0: float) -> bool:
        """Whether the product is on the skin during the step starting at ``t0``."""
        return t0 < self.t_contact * (1 - 1e-12)

    def ambient(self, t0: float, dt: float) -> float:
        """Concentration of an infinite dose [ng/mL] (0 after the contact time)."""
        return self.c_applied if self.on(t0) else 0.0

    def finite_at(self, t0: float) -> bool:
        """Whether a finite film is on the skin during the step starting at ``t0``."""
        return self.finite and self.on(t0)

    def concentration(self, f0: float, f1: float) -> float:
        """Film concentration at the end of a step whose inflow is ``f0 + c f1`` [ng/cm²]:
        the film keeps what the skin did not take, ``c l = A - f0 - c f1`` (implicit in the
        film, so a step never takes more than the film holds)."""
        return max((self.amount - f0) / (self.film_cm + f1), 0.0)

    def take(self, entered_ng_cm2: float) -> None:
        """Remove what entered the skin in the last step [ng/cm²] (negative: it came back)."""
        if self.finite:
            self.amount = max(self.amount - entered_ng_cm2, 0.0)


class SurfaceContact:
    """The product on the surface: the films and the surface conductances of each step.

    Open channels (fraction ``phi(t) * g_open`` of each column) conduct like a Dirichlet face
    of the free solution, ``2 clot_ratio D_free / h``; intact skin through the stratum corneum
    as a membrane whose permeability is the sum of the :class:`IntactPathways` (steady-state
    flux ``kp (c_film - c)``, whatever the grid). Nothing enters after the contact time. The
    microneedled slice and its intact twin each have their own film.
    """

    def __init__(self, grid: Grid, cfg: SignallingConfig, sp: SpeciesParams,
                 g_open: np.ndarray, phi: Callable[[float, float], float],
                 t_end: float) -> None:
        h = grid.h
        self.nx = grid.nx
        self.t_contact = min(cfg.topical_contact_h * HOUR, t_end)
        self.pathways = intact_pathways(grid, cfg)
        self.g_intact = self.pathways.total * 1e-2 / HOUR  # kp [m/s]
        self.g_ch = 2.0 * cfg.clot_diffusion_ratio * sp.D_free / h
        self.g_open = g_open
        self.phi = phi
        c, dose = cfg.topical_concentration_ng_ml, cfg.topical_dose_ul_cm2
        self.microneedled = Donor(c, dose, self.t_contact)
        self.intact = Donor(c, dose, self.t_contact)

    def on(self, t0: float) -> bool:
        """Whether the product is on the skin during the step starting at ``t0``."""
        return self.microneedled.on(t0)

    def g_microneedled(self, t0: float, dt: float) -> np.ndarray:
        """Surface conductance of each column of the treated slice [m/s]."""
        if not self.on(t0):
            return np.zeros(self.nx)
        f = self.phi(t0, dt) * self.g_open
        return f * self.g_ch + (1.0 - f) * self.g_intact

    def g_intact_skin(self, t0: float, dt: float) -> np.ndarray:
        """Surface conductance of the two-column intact-skin twin [m/s]."""
        return np.full(2, self.g_intact if self.on(t0) else 0.0)


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
    if contact.microneedled.finite:
        # a depleting film couples stiffly to the surface cells: L-stable steps while it is on
        tg = TimeGrid(tg.t0, tg.dt, tuple("be" if t < contact.t_contact * (1 - 1e-12) else sch
                                          for t, sch in zip(tg.t0, tg.scheme)))
    layer = grid.layer
    D = diffusivity(layer, hind, inj_eff, sp, cfg.clot_diffusion_ratio)
    mn = run_species(sp, h, grid.width, D, None, None, tg, band_w, row_layer, snaps,
                     cfg.reach_threshold_ng_ml, cfg.stop_threshold, contact.g_microneedled,
                     reservoir=contact.microneedled)
    # intact skin is laterally uniform: two columns suffice
    D1 = diffusivity(layer[:, :2], hind, np.zeros((grid.nz, 2)), sp, cfg.clot_diffusion_ratio)
    it = run_species(sp, h, 2 * h, D1, None, None, tg, band_w, row_layer, [],
                     cfg.reach_threshold_ng_ml, cfg.stop_threshold, contact.g_intact_skin,
                     reservoir=contact.intact)
    phis = np.array([phi(t, 0.0) for t in tg.times])
    ds = topical_dataset(tg.times, mn, it, phis, bool(snaps))
    pw = contact.pathways
    ds.attrs.update({"topical_kp_lipid_cm_h": pw.lipid, "topical_kp_pore_cm_h": pw.pore,
                     "topical_kp_follicle_cm_h": pw.follicle,
                     "topical_kp_intact_total_cm_h": pw.total})
    if contact.microneedled.finite:
        ds.attrs["topical_applied_ng_cm2"] = contact.microneedled.applied
    return ds


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
