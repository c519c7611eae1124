"""Growth factors: one record per species (cards, SI parameters, release kinetics).

The cards of the endogenous species (TGF-β1, PDGF) are the ``[signalling]`` fields of
:class:`GrowthFactorCards`; :func:`species_params` turns them into the SI record
:class:`SpeciesParams` read by the signalling PDE (and by any later stage that needs a species'
transport, decay or release). The release of each species is

    q = B(x) e^{-t/tau_b}/tau_b + I(x) [A_e g(t; n_e, T_e) + A_l g(t; n_l, T_l)]

(platelet burst from bleeding channels plus an early damage and a late macrophage component,
``g`` a gamma density of shape ``n`` peaking at ``T``); this module also holds the exact and
quadrature integrals of that release over a time step.

Sources: Nauman J.V. et al. (2007) Biophys J 92:4444 [V]; Kihara T. et al. (2013) PLoS ONE
8:e82382 [V]; Cumming B.D. et al. (2010) J R Soc Interface 7:19 [S]; Jin Y.-F. et al. (2011)
BMC Syst Biol 5:60 [V]; Yang L. et al. (1999) Am J Pathol 154:105 [V]; Marikovsky M. et al.
(1993) PNAS 90:3889 [V]; Weibrich G. et al. (2002) J Craniomaxillofac Surg 30:97 (PRP growth
factor levels) [V].
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from dermsim.parameters import card, param_field

if TYPE_CHECKING:
    from dermsim.signalling import SignallingConfig

__all__ = [
    "DAY",
    "HOUR",
    "SPECIES",
    "SPECIES_LABELS",
    "GrowthFactorCards",
    "SpeciesParams",
    "burst_integrals",
    "decay_weight",
    "gamma_pdf",
    "gamma_theta",
    "signalling_card",
    "species_params",
    "weighted_gamma",
]

#: Endogenous species, in dataset order.
SPECIES: tuple[str, ...] = ("tgfb1", "pdgf")
SPECIES_LABELS = {"tgfb1": "TGF-β1", "pdgf": "PDGF", "topical": "topical product"}

HOUR = 3600.0  # s
DAY = 86400.0  # s
UM2_S = 1e-12  # um^2/s -> m^2/s


def signalling_card(name: str, value: float, unit: str, low: float, high: float, source: str,
                    tag: str, description: str, integer: bool = False) -> Any:
    """A dataclass field backed by the parameter card ``signalling.<name>``."""
    return param_field(card(f"signalling.{name}", value, unit, low, high, source, tag,
                            description, integer))


@dataclass(frozen=True)
class GrowthFactorCards:
    """Cards of the endogenous growth factors and of their transport through the channels (part
    of the ``[signalling]`` table).

    Concentrations in ng/mL, diffusivities in µm²/s, times in the unit of the field name.
    """

    # --- TGF-beta1 ---------------------------------------------------------------------------
    tgfb1_D_free_um2_s: float = signalling_card(
        "tgfb1_D_free_um2_s", 100.0, "um2/s", 10.0, 300.0,
        "Stokes-Einstein (D ~ M^-1/3) from RNase 1.21e-6 cm2/s (Nauman 2007) -> 1.0e-6 cm2/s",
        "C", "free-solution diffusivity of TGF-beta1 (used in clot/fibrin-filled channels)")
    tgfb1_D_dermis_um2_s: float = signalling_card(
        "tgfb1_D_dermis_um2_s", 10.0, "um2/s", 0.01, 100.0,
        "effective D in ECM 1e-9..4e-7 cm2/s (Cumming 2010 [S], Kihara 2013 [V]); 1e-7 cm2/s "
        "assumption", "A", "effective (binding-retarded) diffusivity in dermis")
    tgfb1_half_life_h: float = signalling_card(
        "tgfb1_half_life_h", 1.1, "h", 0.03, 48.0,
        "Jin et al. 2011 Table 4: 15 1/day (assignment to TGF-beta inferred)", "V",
        "tissue half-life of active TGF-beta1")
    tgfb1_burst_ng_ml: float = signalling_card(
        "tgfb1_burst_ng_ml", 30.0, "ng/mL", 0.0, 1000.0,
        "Weibrich PRP 169 ng/mL at 5.3x platelets -> serum-equivalent ~30 ng/mL",
        "C", "TGF-beta1 released per volume of blood in bleeding channels")
    tgfb1_burst_time_min: float = signalling_card(
        "tgfb1_burst_time_min", 10.0, "min", 0.0, 240.0,
        "platelet degranulation within minutes of bleeding (Shah 1995 via ABM [S])", "S",
        "time constant of the platelet burst (0 = instantaneous)")
    tgfb1_early_ng_ml: float = signalling_card(
        "tgfb1_early_ng_ml", 20.0, "ng/mL", 0.0, 10000.0,
        "damage signals of keratinocytes/fibroblasts; amount per injured volume", "A",
        "TGF-beta1 released per volume of injured tissue, early (damage) component")
    tgfb1_early_peak_h: float = signalling_card(
        "tgfb1_early_peak_h", 6.0, "h", 0.5, 72.0, "38 % active at 1 h (Yang 1999) [V]; timing",
        "A", "peak time of the early release rate")
    tgfb1_early_shape: float = signalling_card(
        "tgfb1_early_shape", 2.0, "-", 1.0, 20.0, "gamma-density shape [A]", "A",
        "shape of the early release profile (1 = exponential)")
    tgfb1_late_ng_ml: float = signalling_card(
        "tgfb1_late_ng_ml", 630.0, "ng/mL", 0.0, 10000.0,
        "macrophage secretion per injured volume, calibrated on the default scenario so that "
        "the dermis-mean late peak / value at 1 h = 17 %/38 % (active TGF-beta, Yang 1999)",
        "C", "TGF-beta1 released per volume of injured tissue, late (macrophage) component")
    tgfb1_late_peak_day: float = signalling_card(
        "tgfb1_late_peak_day", 4.5, "day", 1.0, 14.0,
        "second active TGF-beta peak day 5 (Yang 1999) [V]; macrophages day 3-5 [S]", "V",
        "peak time of the late (macrophage) release rate")
    tgfb1_late_shape: float = signalling_card(
        "tgfb1_late_shape", 6.0, "-", 1.0, 30.0, "gamma-density shape [A]", "A",
        "shape of the late release profile")
    # --- PDGF ---------------------------------------------------------------------------------
    pdgf_D_free_um2_s: float = signalling_card(
        "pdgf_D_free_um2_s", 95.0, "um2/s", 10.0, 300.0,
        "Stokes-Einstein scaling from RNase (Nauman 2007), PDGF-BB 0.95e-6 cm2/s", "C",
        "free-solution diffusivity of PDGF")
    pdgf_D_dermis_um2_s: float = signalling_card(
        "pdgf_D_dermis_um2_s", 5.0, "um2/s", 0.01, 100.0,
        "HSPG binding retards PDGF (D_eff = D_free/(1 + K_b B)); range 1e-8..4e-7 cm2/s "
        "(Kihara 2013 [V], Cumming 2010 [S])", "A", "effective diffusivity of PDGF in dermis")
    pdgf_half_life_h: float = signalling_card(
        "pdgf_half_life_h", 2.0, "h", 0.03, 48.0, "tissue half-life 1-8 h, assumption",
        "U", "tissue half-life of PDGF")
    pdgf_burst_ng_ml: float = signalling_card(
        "pdgf_burst_ng_ml", 20.0, "ng/mL", 0.0, 1000.0,
        "Weibrich PRP PDGF-AB 117 ng/mL at 5.3x platelets -> serum-equivalent ~20 ng/mL", "C",
        "PDGF released per volume of blood in bleeding channels")
    pdgf_burst_time_min: float = signalling_card(
        "pdgf_burst_time_min", 10.0, "min", 0.0, 240.0,
        "platelet degranulation within minutes (Shah 1995 via ABM [S])", "S",
        "time constant of the platelet burst (0 = instantaneous)")
    pdgf_early_ng_ml: float = signalling_card(
        "pdgf_early_ng_ml", 0.0, "ng/mL", 0.0, 10000.0,
        "heparin-binding GFs absent at 1 h (Marikovsky 1993) [V]: no early damage component",
        "A", "PDGF released per volume of injured tissue, early component")
    pdgf_early_peak_h: float = signalling_card(
        "pdgf_early_peak_h", 12.0, "h", 0.5, 72.0, "[A]", "A",
        "peak time of the early PDGF release rate")
    pdgf_early_shape: float = signalling_card(
        "pdgf_early_shape", 2.0, "-", 1.0, 20.0, "gamma-density shape [A]", "A",
        "shape of the early PDGF release profile")
    pdgf_late_ng_ml: float = signalling_card(
        "pdgf_late_ng_ml", 660.0, "ng/mL", 0.0, 10000.0,
        "macrophage PDGF per injured volume, calibrated on the default scenario so that the "
        "dermis-mean day 2-3 peak is 1.5x the platelet-burst peak (heparin-binding GFs max "
        "day 2-3, Marikovsky 1993 [V]; factor 1.5 [A])", "C",
        "PDGF released per volume of injured tissue, late (macrophage) component")
    pdgf_late_peak_day: float = signalling_card(
        "pdgf_late_peak_day", 2.5, "day", 0.5, 14.0,
        "heparin-binding GFs max day 2-3, undetectable by day 8 (Marikovsky 1993)", "V",
        "peak time of the late PDGF release rate")
    pdgf_late_shape: float = signalling_card(
        "pdgf_late_shape", 6.0, "-", 1.0, 30.0,
        "gamma shape so that the rate at day 8 is < 1 % of the peak (Marikovsky 1993) [C]", "C",
        "shape of the late PDGF release profile")
    # --- transport shared by species ------------------------------------------------------------
    clot_diffusion_ratio: float = signalling_card(
        "clot_diffusion_ratio", 1.0, "-", 0.05, 1.0,
        "0.27 % fibrin gel ~ free solution (Nauman 2007)", "V",
        "D in clot/fibrin-filled channels as a fraction of D_free")
    channel_closure_half_life_h: float = signalling_card(
        "channel_closure_half_life_h", 0.5, "h", 0.05, 30.0,
        "human unoccluded barrier recovered within 2 h (Gupta 2011) [V]; micropore half-life "
        "20-26 h under occlusion (PMC8259462) [V] as upper range", "C",
        "half-life of the open surface fraction of the channels")
    gf_channel_outflow: float = signalling_card(
        "gf_channel_outflow", 0.0, "-", 0.0, 1.0,
        "haemostasis plugs the channels within minutes [A]", "A",
        "fraction of the open-channel conductance through which growth factors leave the skin")


@dataclass(frozen=True)
class SpeciesParams:
    """The record of one species in SI units (from the cards of :class:`GrowthFactorCards`, or the
    topical product cards): transport, decay and release."""

    name: str
    D_free: float  # m2/s
    D_dermis: float  # m2/s
    decay: float  # 1/s
    burst: float  # ng/mL of blood
    burst_tau: float  # s (0 = instantaneous)
    pulses: tuple[tuple[float, float, float], ...] = ()  # (amount ng/mL, shape, peak time s)


def species_params(cfg: SignallingConfig, name: str) -> SpeciesParams:
    """SI parameters of species ``name`` (``"tgfb1"``, ``"pdgf"`` or ``"topical"``)."""
    if name == "topical":
        return SpeciesParams("topical", cfg.topical_D_free_um2_s * UM2_S,
                             cfg.topical_D_dermis_um2_s * UM2_S,
                             math.log(2) / (cfg.topical_half_life_h * HOUR), 0.0, 0.0)
    g = lambda key: getattr(cfg, f"{name}_{key}")  # noqa: E731
    pulses = (
        (g("early_ng_ml"), g("early_shape"), g("early_peak_h") * HOUR),
        (g("late_ng_ml"), g("late_shape"), g("late_peak_day") * DAY),
    )
    return SpeciesParams(name, g("D_free_um2_s") * UM2_S, g("D_dermis_um2_s") * UM2_S,
                         math.log(2) / (g("half_life_h") * HOUR), g("burst_ng_ml"),
                         g("burst_time_min") * 60.0,
                         tuple(p for p in pulses if p[0] > 0))


def gamma_theta(shape: float, peak: float) -> float:
    """Scale of a gamma density with the given shape and mode (shape 1: mean = peak)."""
    return peak / (shape - 1.0) if shape > 1.0 else peak


_GL_X, _GL_W = np.polynomial.legendre.leggauss(8)


def gamma_pdf(s: np.ndarray, shape: float, theta: float) -> np.ndarray:
    s = np.maximum(s, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        logp = (shape - 1.0) * np.log(s / theta) - s / theta - math.lgamma(shape) - math.log(theta)
    out = np.exp(logp)
    return np.where(s > 0, out, 1.0 / theta if shape == 1.0 else 0.0)


def weighted_gamma(t0: float, t1: float, k: float, shape: float, theta: float) -> float:
    """``int_{t0}^{t1} e^{-k (t1 - s)} g(s) ds`` for a gamma density g (graded Gauss–Legendre)."""
    dt = t1 - t0
    if dt <= 0:
        return 0.0
    brk = {0.0, dt}
    if k > 0:
        for m in (0.25, 1.0, 4.0, 16.0, 64.0):
            if m / k < dt:
                brk.add(m / k)
    step = theta / 2.0
    r = step
    while r < dt and len(brk) < 200:
        brk.add(r)
        r += step
    # graded towards s = 0 (the gamma density may rise steeply there)
    if t0 < theta:
        for m in (1e-3, 1e-2, 0.1, 0.3):
            r = t1 - m * theta
            if 0 < r < dt:
                brk.add(r)
    edges = np.array(sorted(brk))
    a, b = edges[:-1], edges[1:]
    rr = (0.5 * (b - a))[:, None] * _GL_X[None, :] + (0.5 * (a + b))[:, None]
    f = gamma_pdf(t1 - rr, shape, theta) * np.exp(-k * rr)
    return float(np.sum((0.5 * (b - a))[:, None] * _GL_W[None, :] * f))


def burst_integrals(t0: float, t1: float, k: float, tau: float) -> tuple[float, float]:
    """Released ``int f`` and decay-weighted ``int e^{-k(t1-s)} f`` for f = e^{-s/tau}/tau."""
    released = math.exp(-t0 / tau) - math.exp(-t1 / tau)
    a = 1.0 / tau - k
    dt = t1 - t0
    x = a * dt
    frac = -math.expm1(-x) / a if abs(x) > 1e-12 else dt * (1.0 - 0.5 * x)
    weighted = math.exp(-k * dt - t0 / tau) * frac / tau
    return released, weighted


def decay_weight(dt: float, k: float) -> float:
    """``(1/dt) int_0^dt e^{-k r} dr`` (mean decay factor over a step)."""
    x = k * dt
    return -math.expm1(-x) / x if x > 1e-12 else 1.0 - 0.5 * x
