"""Growth-factor signalling after a session: reaction–diffusion through the layers.

After each session the micro-injuries release growth factors, which diffuse through the
layers, bind (an effective, retarded diffusivity) and decay. A topical product (serum, PRP,
drug) applied at the surface enters through the open channels, which close as the barrier
recovers. This module computes, over the acute window (default 7 days):

* concentration fields c(t, z, x) of TGF-β1 and PDGF (and of the topical product);
* band-averaged concentrations c(t, band) through the dermis (input of the remodelling model);
* the mass budget (released, decayed, remaining, lost through the surface);
* the depth the signal reaches;
* the topical product delivered per layer, versus intact skin.

Model (parameters are the cards of :class:`SignallingConfig`; sources SCIENCE.md §3)
----------------------------------------------------------------------------------------
For each species with concentration ``c`` [ng/mL]::

    dc/dt = div(D(x) grad c) - k c + q(x, t)

* ``D`` per cell: ``D_dermis * hindrance(layer)`` in intact tissue (the layer factor is the
  tissue table's ``diffusion_hindrance``; effective D of bound growth factors in ECM, SCIENCE.md
  §3.3 [S]/[C]/[A]), mixed linearly with the clot/fibrin value ``clot_diffusion_ratio * D_free``
  by the injured fraction of the cell (fibrin gel ≈ free solution, Nauman et al. 2007 [V]).
* ``k = ln 2 / t_half``, uniform per species (SCIENCE.md gives one tissue value per species;
  Jin et al. 2011 [V] for TGF-β), applied exactly (integrating factor, see Numerics).
* ``q`` = platelet burst + sustained release::

      q = B(x) e^{-t/tau_b}/tau_b + I(x) [A_e g(t; n_e, T_e) + A_l g(t; n_l, T_l)]

  with ``B`` = serum-equivalent concentration × blood-filled (bleeding) channel fraction
  (Weibrich PRP data → ≈30 ng/mL TGF-β1, ≈20 ng/mL PDGF-AB [C]); ``I`` = injured fraction of
  viable tissue; ``g`` a gamma density (shape ``n``, peak at ``T``, unit integral). The early
  component stands for damage signals of keratinocytes and fibroblasts, the late one for
  macrophage secretion (TGF-β second peak day 5, Yang et al. 1999 [V]; heparin-binding GFs max
  day 2–3, gone by day 8, Marikovsky et al. 1993 [V]; macrophages peak day 3–5 [S]). Release
  amounts per injured volume are calibration choices [A].
* Boundaries: periodic in x; no flux at the deep face; at the skin surface no flux except
  through open channels (open fraction ``phi(t) = 2^{-t / t_close}``, Gupta et al. 2011 [V]:
  barrier recovered within 2 h in unoccluded human skin). Growth factors can optionally leave
  through open channels (``gf_channel_outflow``, default 0: the clot plugs the channel).
  The topical product is held at its concentration on the surface during the contact time;
  it enters open channels through a Dirichlet face (conductance ``2 D_free / h``) and intact
  skin through the stratum corneum, whose diffusivity for the product is set from its intact
  permeability coefficient ``kp`` (``D_SC = kp L_SC``).

2-D slice of a 3-D channel array
--------------------------------
The x–z slice passes through one row of channels spaced ``a`` in y (see
:mod:`dermsim.penetration`). The transported quantity is the y-average of the 3-D field, which
obeys the same 2-D equation with y-averaged coefficients and sources. The injury, bleeding and
open-channel fractions rasterised on the slice are therefore multiplied by ``volume_scale``
(3-D injured volume per skin area over the slice's injured area per width) and
``surface_scale`` (3-D punctured surface fraction over the slice's open-column fraction),
see :func:`slice_scales`. Concentrations are y-averaged tissue concentrations.

Numerics
--------
* Space: cell-centred finite volumes, harmonic-mean face diffusivities at layer interfaces
  (:func:`dermsim.tissue.face_coefficients`), solved by :class:`dermsim.solvers.ADISolver`.
* Decay exactly by an integrating factor: with ``v = e^{kt} c`` the decay disappears, so one
  step is ``c(t+dt) = ADI_dt(e^{-k dt} c(t), q_eff)``, with the source (and the surface
  ambient value) replaced by its decay-weighted step average
  ``q_eff = (1/dt) int e^{-k(t+dt-s)} q(s) ds`` (analytic for the burst, graded Gauss–Legendre
  for the gamma profiles). Pure decay/release without diffusion is exact to rounding.
* Time: after every event (session, end of topical contact) ``n_be_restart`` L-stable LOD
  backward-Euler steps at ``dt_initial`` (Rannacher start; PERFORMANCE.md §2: plain CN/ADI ring
  after sharp events), then Peaceman–Rachford ADI with dt doubling every ``steps_per_level``
  steps (factors are reused: BE at dt and PR at 2 dt share them), capped by ``dt_max_h``, by
  ``dt_max_half_lives`` × the shortest half-life while species are released (a large k dt
  over-diffuses the freshly released source within a step), and by the channel closure while a
  topical product is in contact. Steps land exactly on the snapshot times. A species stops
  stepping when its maximum has fallen below ``stop_threshold`` × its peak and its remaining
  release is below the same fraction (it then decays exactly).
* Non-negativity: the BE steps are positivity preserving; PR steps can undershoot at sharp
  fronts: any negative value is set to zero and the amount is reported (``clipped``).

References
----------
Yang L. et al. (1999) Am J Pathol 154:105 [V]. Marikovsky M. et al. (1993) PNAS 90:3889 [V].
Weibrich G. et al., PRP growth-factor levels [V] (year/journal [U]). Nauman J.V. et al. (2007)
Biophys J 92:4444 [V]. Kihara T. et al. (2013) PLoS ONE 8:e82382 [V]. Jin Y.-F. et al. (2011)
BMC Syst Biol 5:60 [V]. Gupta J. et al. (2011) J Control Release 154:148 [V]. Kalluri H.,
Banga A.K. (2011) Pharm Res [V]. Cumming B.D. et al. (2010) J R Soc Interface [S].
Potts R.O., Guy R.H. (1992) Pharm Res 9:663 (permeability vs molecular weight) [U].
"""

from __future__ import annotations

import math
import time as _time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import xarray as xr
from scipy.special import gammainc

from dermsim.parameters import card, param_field, validate_dataclass
from dermsim.solvers import ADISolver, clip_row_stats, combine_sources
from dermsim.tissue import LAYER_NAMES, SC, Grid, face_coefficients

__all__ = [
    "SPECIES",
    "SignallingConfig",
    "SpeciesParams",
    "TimeGrid",
    "bleeding_mask",
    "figure_snapshots",
    "open_channel_fraction",
    "run_acute_window",
    "session_inputs",
    "slice_scales",
    "species_params",
    "time_grid",
]

#: Endogenous species, in dataset order.
SPECIES: tuple[str, ...] = ("tgfb1", "pdgf")
SPECIES_LABELS = {"tgfb1": "TGF-β1", "pdgf": "PDGF", "topical": "topical product"}

_H = 3600.0
_DAY = 86400.0
_UM2 = 1e-12  # um^2/s -> m^2/s
_NG_ML_M_TO_NG_CM2 = 100.0  # (ng/mL) * m  ->  ng/cm^2


def _c(name: str, value: float, unit: str, low: float, high: float, source: str, tag: str,
       description: str, integer: bool = False) -> Any:
    return param_field(card(f"signalling.{name}", value, unit, low, high, source, tag,
                            description, integer))


@dataclass(frozen=True)
class SignallingConfig:
    """Parameters of the growth-factor signalling stage (``[signalling]`` table).

    Concentrations in ng/mL, diffusivities in µm²/s, times in the unit of the field name.
    Every field is a parameter card (value, allowed range, source, evidence tag).
    """

    # --- TGF-beta1 ---------------------------------------------------------------------------
    tgfb1_D_free_um2_s: float = _c(
        "tgfb1_D_free_um2_s", 100.0, "um2/s", 10.0, 300.0,
        "Stokes-Einstein from RNase 1.21e-6 cm2/s (Nauman 2007) -> 1.0e-6 cm2/s; SCIENCE.md 3.3",
        "C", "free-solution diffusivity of TGF-beta1 (used in clot/fibrin-filled channels)")
    tgfb1_D_dermis_um2_s: float = _c(
        "tgfb1_D_dermis_um2_s", 10.0, "um2/s", 0.01, 100.0,
        "effective D in ECM 1e-9..4e-7 cm2/s (Cumming 2010 [S], Kihara 2013 [V]); 1e-7 cm2/s "
        "as SCIENCE.md V6", "A", "effective (binding-retarded) diffusivity in dermis")
    tgfb1_half_life_h: float = _c(
        "tgfb1_half_life_h", 1.1, "h", 0.03, 48.0,
        "Jin et al. 2011 Table 4: 15 1/day (assignment to TGF-beta inferred)", "V",
        "tissue half-life of active TGF-beta1")
    tgfb1_burst_ng_ml: float = _c(
        "tgfb1_burst_ng_ml", 30.0, "ng/mL", 0.0, 1000.0,
        "Weibrich PRP 169 ng/mL at 5.3x platelets -> serum-equivalent ~30 ng/mL; SCIENCE.md 3.2",
        "C", "TGF-beta1 released per volume of blood in bleeding channels")
    tgfb1_burst_time_min: float = _c(
        "tgfb1_burst_time_min", 10.0, "min", 0.0, 240.0,
        "platelet degranulation within minutes of bleeding (Shah 1995 via ABM [S])", "S",
        "time constant of the platelet burst (0 = instantaneous)")
    tgfb1_early_ng_ml: float = _c(
        "tgfb1_early_ng_ml", 20.0, "ng/mL", 0.0, 10000.0,
        "damage signals of keratinocytes/fibroblasts; amount per injured volume", "A",
        "TGF-beta1 released per volume of injured tissue, early (damage) component")
    tgfb1_early_peak_h: float = _c(
        "tgfb1_early_peak_h", 6.0, "h", 0.5, 72.0, "38 % active at 1 h (Yang 1999) [V]; timing",
        "A", "peak time of the early release rate")
    tgfb1_early_shape: float = _c(
        "tgfb1_early_shape", 2.0, "-", 1.0, 20.0, "gamma-density shape [A]", "A",
        "shape of the early release profile (1 = exponential)")
    tgfb1_late_ng_ml: float = _c(
        "tgfb1_late_ng_ml", 630.0, "ng/mL", 0.0, 10000.0,
        "macrophage secretion per injured volume, calibrated on the default scenario so that "
        "the dermis-mean late peak / value at 1 h = 17 %/38 % (active TGF-beta, Yang 1999)",
        "C", "TGF-beta1 released per volume of injured tissue, late (macrophage) component")
    tgfb1_late_peak_day: float = _c(
        "tgfb1_late_peak_day", 4.5, "day", 1.0, 14.0,
        "second active TGF-beta peak day 5 (Yang 1999) [V]; macrophages day 3-5 [S]", "V",
        "peak time of the late (macrophage) release rate")
    tgfb1_late_shape: float = _c(
        "tgfb1_late_shape", 6.0, "-", 1.0, 30.0, "gamma-density shape [A]", "A",
        "shape of the late release profile")
    # --- PDGF ---------------------------------------------------------------------------------
    pdgf_D_free_um2_s: float = _c(
        "pdgf_D_free_um2_s", 95.0, "um2/s", 10.0, 300.0,
        "Stokes-Einstein scaling, PDGF-BB 0.95e-6 cm2/s; SCIENCE.md 3.3", "C",
        "free-solution diffusivity of PDGF")
    pdgf_D_dermis_um2_s: float = _c(
        "pdgf_D_dermis_um2_s", 5.0, "um2/s", 0.01, 100.0,
        "HSPG binding retards PDGF (D_eff = D_free/(1 + K_b B)); range 1e-8..4e-7 cm2/s "
        "SCIENCE.md App. A", "A", "effective diffusivity of PDGF in dermis")
    pdgf_half_life_h: float = _c(
        "pdgf_half_life_h", 2.0, "h", 0.03, 48.0, "tissue half-life 1-8 h (SCIENCE.md App. A)",
        "U", "tissue half-life of PDGF")
    pdgf_burst_ng_ml: float = _c(
        "pdgf_burst_ng_ml", 20.0, "ng/mL", 0.0, 1000.0,
        "Weibrich PRP PDGF-AB 117 ng/mL at 5.3x platelets -> serum-equivalent ~20 ng/mL", "C",
        "PDGF released per volume of blood in bleeding channels")
    pdgf_burst_time_min: float = _c(
        "pdgf_burst_time_min", 10.0, "min", 0.0, 240.0,
        "platelet degranulation within minutes (Shah 1995 via ABM [S])", "S",
        "time constant of the platelet burst (0 = instantaneous)")
    pdgf_early_ng_ml: float = _c(
        "pdgf_early_ng_ml", 0.0, "ng/mL", 0.0, 10000.0,
        "heparin-binding GFs absent at 1 h (Marikovsky 1993) [V]: no early damage component",
        "A", "PDGF released per volume of injured tissue, early component")
    pdgf_early_peak_h: float = _c(
        "pdgf_early_peak_h", 12.0, "h", 0.5, 72.0, "[A]", "A",
        "peak time of the early PDGF release rate")
    pdgf_early_shape: float = _c(
        "pdgf_early_shape", 2.0, "-", 1.0, 20.0, "gamma-density shape [A]", "A",
        "shape of the early PDGF release profile")
    pdgf_late_ng_ml: float = _c(
        "pdgf_late_ng_ml", 660.0, "ng/mL", 0.0, 10000.0,
        "macrophage PDGF per injured volume, calibrated on the default scenario so that the "
        "dermis-mean day 2-3 peak is 1.5x the platelet-burst peak (heparin-binding GFs max "
        "day 2-3, Marikovsky 1993 [V]; factor 1.5 [A])", "C",
        "PDGF released per volume of injured tissue, late (macrophage) component")
    pdgf_late_peak_day: float = _c(
        "pdgf_late_peak_day", 2.5, "day", 0.5, 14.0,
        "heparin-binding GFs max day 2-3, undetectable by day 8 (Marikovsky 1993)", "V",
        "peak time of the late PDGF release rate")
    pdgf_late_shape: float = _c(
        "pdgf_late_shape", 6.0, "-", 1.0, 30.0,
        "gamma shape so that the rate at day 8 is < 1 % of the peak (Marikovsky 1993) [C]", "C",
        "shape of the late PDGF release profile")
    # --- transport shared by species ------------------------------------------------------------
    clot_diffusion_ratio: float = _c(
        "clot_diffusion_ratio", 1.0, "-", 0.05, 1.0,
        "0.27 % fibrin gel ~ free solution (Nauman 2007)", "V",
        "D in clot/fibrin-filled channels as a fraction of D_free")
    channel_closure_half_life_h: float = _c(
        "channel_closure_half_life_h", 0.5, "h", 0.05, 30.0,
        "human unoccluded barrier recovered within 2 h (Gupta 2011) [V]; micropore half-life "
        "20-26 h under occlusion (PMC8259462) [V] as upper range", "C",
        "half-life of the open surface fraction of the channels")
    gf_channel_outflow: float = _c(
        "gf_channel_outflow", 0.0, "-", 0.0, 1.0,
        "haemostasis plugs the channels within minutes [A]", "A",
        "fraction of the open-channel conductance through which growth factors leave the skin")
    # --- topical product ----------------------------------------------------------------------
    topical_concentration_ng_ml: float = _c(
        "topical_concentration_ng_ml", 169.0, "ng/mL", 0.0, 1e7,
        "PRP TGF-beta1 169 +- 84 ng/mL (Weibrich) [V]; 0 disables the topical product", "V",
        "concentration of the product held on the skin surface")
    topical_contact_h: float = _c(
        "topical_contact_h", 1.0, "h", 0.01, 168.0,
        "applied right after the session and left on; dries/wiped [A]", "A",
        "contact time of the product on the skin")
    topical_D_free_um2_s: float = _c(
        "topical_D_free_um2_s", 100.0, "um2/s", 1.0, 2000.0,
        "growth factor in solution (Stokes-Einstein, SCIENCE.md 3.3) [C]; small drugs ~500-1000",
        "C", "free diffusivity of the product (open channels, clot)")
    topical_D_dermis_um2_s: float = _c(
        "topical_D_dermis_um2_s", 10.0, "um2/s", 0.01, 1000.0,
        "as TGF-beta1 [A]", "A", "effective diffusivity of the product in dermis")
    topical_half_life_h: float = _c(
        "topical_half_life_h", 1.1, "h", 0.03, 1000.0,
        "as TGF-beta1 (Jin 2011) [V]; small drugs are cleared by perfusion instead", "A",
        "tissue half-life (decay or clearance) of the product")
    topical_kp_intact_cm_h: float = _c(
        "topical_kp_intact_cm_h", 1e-6, "cm/h", 0.0, 1.0,
        "proteins hardly cross intact stratum corneum (Potts-Guy MW dependence) [U]; "
        "minoxidil ~1e-3 cm/h [C Potts-Guy]", "U",
        "permeability coefficient of intact skin for the product")
    # --- outputs --------------------------------------------------------------------------------
    window_day: float = _c(
        "window_day", 7.0, "day", 0.05, 28.0, "acute phase, SCIENCE.md 3.1 [A]", "A",
        "length of the acute window simulated after each session")
    band_um: float = _c(
        "band_um", 50.0, "um", 5.0, 500.0, "resolution of the remodelling model [A]", "A",
        "thickness of the depth bands through the dermis")
    reach_threshold_ng_ml: float = _c(
        "reach_threshold_ng_ml", 0.1, "ng/mL", 1e-6, 100.0,
        "TGF-beta receptor affinity ~ pM (0.1 ng/mL ~ 4 pM) [U]", "U",
        "concentration defining the depth the signal reaches")
    # --- numerics -------------------------------------------------------------------------------
    dt_initial_s: float = _c(
        "dt_initial_s", 15.0, "s", 0.01, 600.0,
        "PERFORMANCE.md 2: ADI + LOD-BE start accurate at 15-30 s after a burst", "A",
        "first step after each event")
    dt_max_h: float = _c(
        "dt_max_h", 6.0, "h", 1e-4, 48.0, "accuracy vs fine-step reference (tests) [A]", "A",
        "largest time step")
    steps_per_level: int = _c(
        "steps_per_level", 6, "-", 1, 100000, "accuracy vs fine-step reference (tests) [A]", "A",
        "steps taken at each dt before doubling it", integer=True)
    n_be_restart: int = _c(
        "n_be_restart", 2, "-", 0, 20, "Rannacher 1984; PERFORMANCE.md 2", "A",
        "L-stable backward-Euler steps after each event", integer=True)
    steps_per_closure_half_life: float = _c(
        "steps_per_closure_half_life", 32.0, "-", 1.0, 1000.0,
        "accuracy of the topical uptake vs fine-step reference (tests) [A]", "A",
        "time steps per channel-closure half-life while a topical product is in contact")
    dt_max_half_lives: float = _c(
        "dt_max_half_lives", 1.0, "-", 0.01, 1000.0,
        "accuracy of source-decay-diffusion balance vs fine-step reference (tests) [A]", "A",
        "largest step of a released species, in units of its half-life")
    stop_threshold: float = _c(
        "stop_threshold", 1e-6, "-", 0.0, 0.1, "numerics [A]", "A",
        "relative level below which a species without remaining release stops stepping")

    def validate(self) -> None:
        validate_dataclass(self, "signalling")


# ------------------------------------------------------------------------------------------------
# species parameters and release profiles
# ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SpeciesParams:
    """Parameters of one species in SI units (derived from :class:`SignallingConfig`)."""

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
        return SpeciesParams("topical", cfg.topical_D_free_um2_s * _UM2,
                             cfg.topical_D_dermis_um2_s * _UM2,
                             math.log(2) / (cfg.topical_half_life_h * _H), 0.0, 0.0)
    g = lambda key: getattr(cfg, f"{name}_{key}")  # noqa: E731
    pulses = (
        (g("early_ng_ml"), g("early_shape"), g("early_peak_h") * _H),
        (g("late_ng_ml"), g("late_shape"), g("late_peak_day") * _DAY),
    )
    return SpeciesParams(name, g("D_free_um2_s") * _UM2, g("D_dermis_um2_s") * _UM2,
                         math.log(2) / (g("half_life_h") * _H), g("burst_ng_ml"),
                         g("burst_time_min") * 60.0,
                         tuple(p for p in pulses if p[0] > 0))


def _gamma_theta(shape: float, peak: float) -> float:
    """Scale of a gamma density with the given shape and mode (shape 1: mean = peak)."""
    return peak / (shape - 1.0) if shape > 1.0 else peak


_GL_X, _GL_W = np.polynomial.legendre.leggauss(8)


def _gamma_pdf(s: np.ndarray, shape: float, theta: float) -> np.ndarray:
    s = np.maximum(s, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        logp = (shape - 1.0) * np.log(s / theta) - s / theta - math.lgamma(shape) - math.log(theta)
    out = np.exp(logp)
    return np.where(s > 0, out, 1.0 / theta if shape == 1.0 else 0.0)


def _weighted_gamma(t0: float, t1: float, k: float, shape: float, theta: float) -> float:
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
    f = _gamma_pdf(t1 - rr, shape, theta) * np.exp(-k * rr)
    return float(np.sum((0.5 * (b - a))[:, None] * _GL_W[None, :] * f))


def _burst_integrals(t0: float, t1: float, k: float, tau: float) -> tuple[float, float]:
    """Released ``int f`` and decay-weighted ``int e^{-k(t1-s)} f`` for f = e^{-s/tau}/tau."""
    released = math.exp(-t0 / tau) - math.exp(-t1 / tau)
    a = 1.0 / tau - k
    dt = t1 - t0
    x = a * dt
    frac = -math.expm1(-x) / a if abs(x) > 1e-12 else dt * (1.0 - 0.5 * x)
    weighted = math.exp(-k * dt - t0 / tau) * frac / tau
    return released, weighted


def _decay_weight(dt: float, k: float) -> float:
    """``(1/dt) int_0^dt e^{-k r} dr`` (mean decay factor over a step)."""
    x = k * dt
    return -math.expm1(-x) / x if x > 1e-12 else 1.0 - 0.5 * x


# ------------------------------------------------------------------------------------------------
# inputs from the penetration stage
# ------------------------------------------------------------------------------------------------


def open_channel_fraction(injury: np.ndarray, threshold: float = 0.5) -> np.ndarray:
    """Open fraction of each surface column: 1 where the top cell is mostly channel, else 0.

    Parameters
    ----------
    injury : (nz, nx) array, 0..1
        Injury field (1 = channel).
    threshold : float
        Injury of the top cell above which the column counts as an open channel.

    Returns
    -------
    (nx,) array of 0/1 floats.
    """
    return (np.asarray(injury)[0] >= threshold).astype(np.float64)


def bleeding_mask(grid: Grid, injury: np.ndarray, bleeding_depth_um: float,
                  core: float = 0.5) -> np.ndarray:
    """Blood-filled fraction of each cell: the injured cells of channels that cut capillaries.

    A column bleeds when its channel (injury >= ``core``) reaches ``bleeding_depth_um``
    (capillary loops below the dermo-epidermal junction, :mod:`dermsim.penetration`); blood
    then fills that channel up to the surface, weighted by the injury of each cell.

    Returns
    -------
    (nz, nx) array, 0..1.
    """
    inj = np.asarray(injury, dtype=np.float64)
    z_um = grid.z * 1e6
    deep = np.where(inj >= core, z_um[:, None] + 0.5 * grid.h * 1e6, 0.0).max(axis=0)
    bleeds = deep >= bleeding_depth_um
    return np.where(bleeds[None, :], inj, 0.0)


def slice_scales(grid: Grid, injury: np.ndarray, injured_volume_mm3_per_cm2: float,
                 surface_fraction: float, open_fraction: np.ndarray | None = None
                 ) -> tuple[float, float]:
    """3-D to slice scale factors for volumes and open surface (module docstring).

    Parameters
    ----------
    grid, injury
        The slice grid and its injury field.
    injured_volume_mm3_per_cm2 : float
        Injury-weighted volume per skin area of the 3-D channel array (all layers).
    surface_fraction : float
        Punctured fraction of the skin surface in 3-D.
    open_fraction : (nx,) array, optional
        Open fraction per surface column of the slice (default :func:`open_channel_fraction`).

    Returns
    -------
    volume_scale, surface_scale : float
    """
    inj = np.asarray(injury, dtype=np.float64)
    slice_mm3_per_cm2 = float(inj.sum()) * grid.h * grid.h / grid.width * 1e3 * 100.0
    vs = injured_volume_mm3_per_cm2 / slice_mm3_per_cm2 if slice_mm3_per_cm2 > 0 else 1.0
    op = open_channel_fraction(inj) if open_fraction is None else np.asarray(open_fraction)
    m = float(np.mean(op))
    ss = surface_fraction / m if m > 0 else 1.0
    return float(vs), float(ss)


def session_inputs(grid: Grid, injury: np.ndarray, result: Any) -> dict[str, Any]:
    """Keyword arguments of :func:`run_acute_window` from a penetration result.

    ``result`` is a :class:`dermsim.penetration.PenetrationResult` (bleeding depth, 3-D injured
    volume, punctured surface fraction).
    """
    open_f = open_channel_fraction(injury)
    vol = float(sum(result.injured_volume_mm3_per_cm2.values()))
    vs, ss = slice_scales(grid, injury, vol, result.surface_fraction_punctured, open_f)
    return {
        "bleeding": bleeding_mask(grid, injury, result.bleeding_depth_um),
        "open_channels": open_f,
        "volume_scale": vs,
        "surface_scale": ss,
    }


# ------------------------------------------------------------------------------------------------
# time grid
# ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TimeGrid:
    """Steps of one species: start time, step [s] and scheme ("be"/"pr") of every step."""

    t0: np.ndarray
    dt: np.ndarray
    scheme: tuple[str, ...]

    @property
    def times(self) -> np.ndarray:
        """Output times: 0 and the end of every step [s]."""
        return np.concatenate([[0.0], self.t0 + self.dt])


def time_grid(t_end: float, cfg: SignallingConfig, events: Sequence[float] = (0.0,),
              land: Sequence[float] = (), caps: Sequence[tuple[float, float]] = ()) -> TimeGrid:
    """Adaptive step sequence: L-stable restart after each event, dt doubling per level.

    Parameters
    ----------
    t_end : float
        End of the window [s].
    cfg : SignallingConfig
        ``dt_initial_s``, ``dt_max_h``, ``steps_per_level``, ``n_be_restart``.
    events : sequence of float
        Times of sharp events [s] (restart with BE steps at ``dt_initial``).
    land : sequence of float
        Times the steps must hit exactly (snapshots) [s].
    caps : sequence of (t_until, dt_cap)
        Upper bounds on the step before ``t_until`` [s] (e.g. while channels close).
    """
    dt0 = cfg.dt_initial_s
    dtmax = max(cfg.dt_max_h * _H, dt0)
    ev = sorted({float(e) for e in events if 0.0 <= e < t_end} | {0.0})
    marks = sorted({float(t) for t in land if 0.0 < t < t_end} | {t_end} | set(ev[1:]))
    t0s: list[float] = []
    dts: list[float] = []
    sch: list[str] = []
    t = 0.0
    for k in range(len(ev)):
        seg_end = ev[k + 1] if k + 1 < len(ev) else t_end
        n_be = cfg.n_be_restart
        dt = dt0
        count = 0
        while t < seg_end * (1 - 1e-12):
            nxt = min(m for m in marks if m > t * (1 + 1e-12) + 1e-9)
            nxt = min(nxt, seg_end)
            step = min(dt, nxt - t, *[c for until, c in caps if t < until * (1 - 1e-12)])
            if nxt - (t + step) < 0.25 * step:  # avoid a sliver before a mark
                step = nxt - t
            if n_be > 0:
                sch.append("be")
                n_be -= 1
                if n_be == 0:
                    dt = min(2.0 * dt0, dtmax)  # PR at 2 dt0 reuses the BE factors
                    count = 0
            else:
                sch.append("pr")
                count += 1
                if count >= cfg.steps_per_level:
                    dt = min(2.0 * dt, dtmax)
                    count = 0
            t0s.append(t)
            dts.append(step)
            t = nxt if step == nxt - t else t + step
    return TimeGrid(np.array(t0s), np.array(dts), tuple(sch))


# ------------------------------------------------------------------------------------------------
# one species
# ------------------------------------------------------------------------------------------------


@dataclass
class _SpeciesRun:
    times: np.ndarray
    band: np.ndarray  # (nt, nband)
    layer_amount: np.ndarray  # (nt, nlayer) ng/cm2
    cmax: np.ndarray
    reach_um: np.ndarray
    released: np.ndarray  # cumulative ng/cm2
    entered: np.ndarray
    lost: np.ndarray
    remaining: np.ndarray
    clipped: np.ndarray
    snapshots: np.ndarray  # (nsnap, nz, nx) float32
    n_steps: int
    stopped_at: float
    wall_s: float


def _diffusivity(grid_layer: np.ndarray, hindrance: np.ndarray, injury_eff: np.ndarray,
                 sp: SpeciesParams, clot_ratio: float, d_sc: float | None = None) -> np.ndarray:
    d_int = sp.D_dermis * hindrance[grid_layer]
    if d_sc is not None:
        d_int = np.where(grid_layer == SC, d_sc, d_int)
    return d_int * (1.0 - injury_eff) + clot_ratio * sp.D_free * injury_eff


def _run_species(
    sp: SpeciesParams,
    h: float,
    width: float,
    D: np.ndarray,
    burst_field: np.ndarray | None,
    release_field: np.ndarray | None,
    tg: TimeGrid,
    band_w: np.ndarray,
    row_layer: np.ndarray,
    snap_times: Sequence[float],
    reach_thr: float,
    stop_thr: float,
    g_top: Callable[[float, float], np.ndarray] | None = None,
    u_top: Callable[[float, float], float] | None = None,
) -> _SpeciesRun:
    """March one species through the time grid (see module docstring, Numerics).

    ``burst_field`` and ``release_field`` [ng/mL] are the amounts released per volume by the
    burst and by a unit pulse amplitude of the sustained release; ``g_top(t0, dt)`` and
    ``u_top(t0, dt)`` give the surface conductance [m/s] and ambient concentration of a step.
    """
    tic = _time.perf_counter()
    nz, nx = D.shape
    fx, fz = face_coefficients(D)
    g0 = g_top(0.0, float(tg.dt[0])) if g_top is not None and len(tg.dt) else None
    solver = ADISolver(h, 1.0, fx, fz, g_top=g0)
    u = np.zeros((nz, nx))
    has_sources = burst_field is not None or release_field is not None
    q = np.zeros((nz, nx)) if has_sources else None
    k = sp.decay
    to_area = h * h / width * _NG_ML_M_TO_NG_CM2  # sum(u) -> ng/cm2
    b_tot = float(burst_field.sum()) * to_area if burst_field is not None else 0.0
    r_tot = float(release_field.sum()) * to_area if release_field is not None else 0.0
    nt = len(tg.dt) + 1
    n_layer = len(LAYER_NAMES)
    layer_of_row = np.zeros((n_layer, nz))
    layer_of_row[row_layer, np.arange(nz)] = 1.0
    out = _SpeciesRun(
        times=tg.times, band=np.zeros((nt, band_w.shape[0])),
        layer_amount=np.zeros((nt, n_layer)), cmax=np.zeros(nt), reach_um=np.zeros(nt),
        released=np.zeros(nt), entered=np.zeros(nt), lost=np.zeros(nt), remaining=np.zeros(nt),
        clipped=np.zeros(nt), snapshots=np.zeros((len(snap_times), nz, nx), np.float32),
        n_steps=0, stopped_at=math.nan, wall_s=0.0)
    snap_index = {float(t): i for i, t in enumerate(snap_times)}
    instantaneous = burst_field is not None and sp.burst_tau <= 0
    released = entered = lost = clipped = 0.0
    if instantaneous:
        u += burst_field
        released += b_tot
    z_bottom_um = (np.arange(nz) + 1.0) * h * 1e6
    rowsum = np.zeros(nz)
    rowmax = np.zeros(nz)
    pulses = [(a, n_, _gamma_theta(n_, tp)) for a, n_, tp in sp.pulses]

    def record(n: int) -> None:
        out.band[n] = band_w @ rowsum / nx
        out.layer_amount[n] = layer_of_row @ rowsum * to_area
        out.cmax[n] = float(rowmax.max())
        above = np.flatnonzero(rowmax >= reach_thr)
        out.reach_um[n] = z_bottom_um[above[-1]] if above.size else 0.0
        out.released[n] = released
        out.entered[n] = entered
        out.lost[n] = lost
        out.clipped[n] = clipped
        out.remaining[n] = float(rowsum.sum()) * to_area

    clip_row_stats(u, rowsum, rowmax)
    record(0)
    if 0.0 in snap_index:
        out.snapshots[snap_index[0.0]] = u
    peak = out.cmax[0]
    stopped = False
    for n in range(len(tg.dt)):
        t0 = float(tg.t0[n])
        dt = float(tg.dt[n])
        t1 = t0 + dt
        f = math.exp(-k * dt)
        if stopped:
            # exact decay of what is left; diffusion is no longer resolved (below threshold)
            u *= f
            rowsum *= f
            rowmax *= f
            record(n + 1)
            if t1 in snap_index:
                out.snapshots[snap_index[t1]] = u
            continue
        # decay-weighted step-average source  q_eff = (1/dt) int e^{-k(t1-s)} q(s) ds
        wb = wr = 0.0
        pending = 0.0  # release still to come after t1
        if burst_field is not None and not instantaneous:
            rel, w = _burst_integrals(t0, t1, k, sp.burst_tau)
            wb = w / dt
            released += rel * b_tot
            pending += math.exp(-t1 / sp.burst_tau) * b_tot
        if release_field is not None:
            for a, shape, theta in pulses:
                p0 = float(gammainc(shape, t0 / theta))
                p1 = float(gammainc(shape, t1 / theta))
                released += a * (p1 - p0) * r_tot
                pending += a * (1.0 - p1) * r_tot
                wr += a * _weighted_gamma(t0, t1, k, shape, theta) / dt
        use_q = q is not None and (wb > 0 or wr > 0)
        if use_q:
            combine_sources(q, burst_field if wb > 0 else None, wb,
                            release_field if wr > 0 else None, wr)
        # surface exchange (ambient value decay-weighted like the source)
        ut = 0.0
        if g_top is not None:
            solver.set_boundary(g_top=g_top(t0, dt))
            ut = u_top(t0, dt) * _decay_weight(dt, k) if u_top is not None else 0.0
        # integrating factor: c(t1) = ADI(exp(-k dt) c(t0), q_eff)
        solver.step(u, dt, q if use_q else None, u_top=ut, u_bottom=0.0, scheme=tg.scheme[n],
                    scale=f)
        flux = solver.last_flux.top / width * _NG_ML_M_TO_NG_CM2 / _decay_weight(dt, k)
        if flux >= 0:
            entered += flux
        else:
            lost -= flux
        clipped -= clip_row_stats(u, rowsum, rowmax) * to_area
        out.n_steps += 1
        record(n + 1)
        peak = max(peak, out.cmax[n + 1])
        if t1 in snap_index:
            out.snapshots[snap_index[t1]] = u
        if (stop_thr > 0 and peak > 0 and out.cmax[n + 1] < stop_thr * peak
                and pending <= stop_thr * max(released, 1e-300)
                and (g_top is None or not np.any(solver.g_top > 0) or ut == 0.0)):
            stopped = True
            out.stopped_at = t1
    out.wall_s = _time.perf_counter() - tic
    return out


# ------------------------------------------------------------------------------------------------
# driver
# ------------------------------------------------------------------------------------------------


def run_acute_window(
    grid: Grid,
    injury: np.ndarray,
    bleeding: np.ndarray | None = None,
    open_channels: np.ndarray | None = None,
    cfg: SignallingConfig | None = None,
    *,
    volume_scale: float = 1.0,
    surface_scale: float = 1.0,
    snapshot_times_h: Sequence[float] = (1.0, 6.0, 24.0, 72.0),
    species: Sequence[str] = SPECIES,
    topical: bool | None = None,
) -> xr.Dataset:
    """Growth-factor reaction–diffusion over the acute window after one session.

    Parameters
    ----------
    grid : Grid
        Tissue grid (:func:`dermsim.tissue.make_grid`), arrays (nz, nx).
    injury : (nz, nx) array, 0..1
        Mechanical (and thermal) injury of the session.
    bleeding : (nz, nx) array, 0..1, optional
        Blood-filled fraction of each cell (:func:`bleeding_mask`); default: no bleeding.
    open_channels : (nx,) array, 0..1, optional
        Open fraction of each surface column at t = 0 (:func:`open_channel_fraction`);
        default derived from ``injury``.
    cfg : SignallingConfig, optional
        Parameters (defaults if omitted).
    volume_scale, surface_scale : float
        3-D to slice scale factors (:func:`slice_scales`, :func:`session_inputs`).
    snapshot_times_h : sequence of float
        Times of the field snapshots [h].
    species : sequence of str
        Endogenous species to run (subset of :data:`SPECIES`).
    topical : bool, optional
        Run the topical product (default: when ``topical_concentration_ng_ml > 0``).

    Returns
    -------
    xarray.Dataset
        Coordinates ``species``, ``time`` [day], ``band`` [µm, band centre], ``z``, ``x`` [µm],
        ``snapshot_time`` [h], ``layer_name``; variables ``gf_band`` (species, time, band)
        [ng/mL], ``gf_max``, ``gf_reach`` [µm], ``gf_released``, ``gf_decayed``,
        ``gf_remaining``, ``gf_lost``, ``gf_clipped`` [ng/cm²], ``gf_layer_amount``
        (species, time, layer_name) [ng/cm²], ``gf_snapshot`` (species, snapshot_time, z, x)
        [ng/mL]; with the topical product also ``topical_*`` on ``time_topical`` [day]
        (per-layer amounts with and without channels, delivered amount, exposure) and
        ``topical_snapshot``.

    Notes
    -----
    Units: concentrations are y-averaged tissue concentrations [ng/mL]; amounts are per skin
    area [ng/cm²]. See the module docstring for model, numerics and sources.
    """
    cfg = SignallingConfig() if cfg is None else cfg
    cfg.validate()
    inj = np.clip(np.asarray(injury, dtype=np.float64), 0.0, 1.0)
    if inj.shape != (grid.nz, grid.nx):
        raise ValueError(f"injury must have shape {(grid.nz, grid.nx)}, got {inj.shape}")
    bl = np.zeros_like(inj) if bleeding is None else np.clip(np.asarray(bleeding, float), 0, 1)
    if bl.shape != inj.shape:
        raise ValueError("bleeding must have the shape of injury")
    op = open_channel_fraction(inj) if open_channels is None else np.clip(
        np.asarray(open_channels, float), 0, 1)
    if op.shape != (grid.nx,):
        raise ValueError(f"open_channels must have shape ({grid.nx},)")
    if not (volume_scale > 0 and surface_scale > 0):
        raise ValueError("volume_scale and surface_scale must be > 0")
    unknown = [s for s in species if s not in SPECIES]
    if unknown:
        raise ValueError(f"unknown species {unknown}; known: {SPECIES}")
    run_topical = cfg.topical_concentration_ng_ml > 0 if topical is None else bool(topical)

    h = grid.h
    t_end = cfg.window_day * _DAY
    snaps = sorted({float(t) * _H for t in snapshot_times_h if 0 <= t * _H <= t_end})
    layer = grid.layer
    row_layer = grid.layer_fraction_by_row()
    hind = grid.layer_value_table("diffusion_hindrance")
    inj_eff = np.minimum(inj * volume_scale, 1.0)
    viable = (layer != SC).astype(np.float64)
    release_field = inj_eff * viable
    burst_base = np.minimum(bl * volume_scale, 1.0)
    edges = grid.band_edges(cfg.band_um)
    band_w = grid.band_weights(edges)

    runs: dict[str, _SpeciesRun] = {}
    g_open = np.minimum(op * surface_scale, 1.0)
    t_close = cfg.channel_closure_half_life_h * _H

    def phi(t0: float, dt: float) -> float:
        """Open fraction averaged over the step (exact for the exponential closure)."""
        lam = math.log(2) / t_close
        return math.exp(-lam * t0) * _decay_weight(dt, lam)

    # one time grid for all endogenous species (common output times)
    caps = [c for name in species for c in _decay_cap(species_params(cfg, name), cfg, t_end)]
    tg = time_grid(t_end, cfg, (0.0,), snaps, caps=caps)
    for name in species:
        sp = species_params(cfg, name)
        D = _diffusivity(layer, hind, inj_eff, sp, cfg.clot_diffusion_ratio)
        gtop = None
        if cfg.gf_channel_outflow > 0:
            g_ch = cfg.gf_channel_outflow * 2.0 * cfg.clot_diffusion_ratio * sp.D_free / h

            def gtop(t0: float, dt: float, g_ch: float = g_ch) -> np.ndarray:
                return g_ch * phi(t0, dt) * g_open

        runs[name] = _run_species(
            sp, h, grid.width, D, burst_base * sp.burst if sp.burst > 0 else None,
            release_field if sp.pulses else None, tg, band_w, row_layer, snaps,
            cfg.reach_threshold_ng_ml, cfg.stop_threshold, gtop)

    ds = _dataset(grid, edges, tg, snaps, runs, species, cfg)
    attrs: dict[str, Any] = {}
    if run_topical:
        top = _run_topical(grid, cfg, inj_eff, g_open, phi, t_end, snaps, band_w, row_layer, hind)
        attrs = dict(top.attrs)
        ds = ds.merge(top)
    ds.attrs.update(attrs)
    ds.attrs.update({
        "signalling_volume_scale": float(volume_scale),
        "signalling_surface_scale": float(surface_scale),
        "signalling_steps": int(len(tg.dt)),
        "signalling_wall_s": float(sum(r.wall_s for r in runs.values())),
    })
    return ds


def _decay_cap(sp: SpeciesParams, cfg: SignallingConfig, t_end: float
               ) -> list[tuple[float, float]]:
    """Step cap ``dt_max_half_lives * t_half`` while the species is being released."""
    if sp.decay <= 0 or not (sp.pulses or sp.burst > 0):
        return []
    return [(t_end, cfg.dt_max_half_lives * math.log(2) / sp.decay)]


def _run_topical(grid: Grid, cfg: SignallingConfig, inj_eff: np.ndarray, g_open: np.ndarray,
                 phi: Callable[[float, float], float], t_end: float, snaps: list[float],
                 band_w: np.ndarray, row_layer: np.ndarray, hind: np.ndarray) -> xr.Dataset:
    """The topical product through the channels, and through intact skin for comparison."""
    h = grid.h
    sp = species_params(cfg, "topical")
    c_app = cfg.topical_concentration_ng_ml
    t_contact = min(cfg.topical_contact_h * _H, t_end)
    l_sc = float(grid.interfaces_m[1] - grid.interfaces_m[0])
    kp = cfg.topical_kp_intact_cm_h * 1e-2 / _H  # m/s
    d_sc = kp * l_sc
    g_intact = 2.0 * d_sc / h
    g_ch = 2.0 * cfg.clot_diffusion_ratio * sp.D_free / h
    # the surface conductance changes with the channel closure: resolve it while in contact
    tg = time_grid(t_end, cfg, (0.0, t_contact), snaps,
                   caps=[(t_contact, cfg.channel_closure_half_life_h * _H
                          / cfg.steps_per_closure_half_life)])

    def on(t0: float) -> bool:
        return t0 < t_contact * (1 - 1e-12)

    def g_mn(t0: float, dt: float) -> np.ndarray:
        if not on(t0):
            return np.zeros(grid.nx)
        f = phi(t0, dt) * g_open
        return f * g_ch + (1.0 - f) * g_intact

    def g_int(t0: float, dt: float) -> np.ndarray:
        return np.full(2, g_intact if on(t0) else 0.0)

    def ut(t0: float, dt: float) -> float:
        return c_app if on(t0) else 0.0

    layer = grid.layer
    D = _diffusivity(layer, hind, inj_eff, sp, cfg.clot_diffusion_ratio, d_sc)
    mn = _run_species(sp, h, grid.width, D, None, None, tg, band_w, row_layer, snaps,
                      cfg.reach_threshold_ng_ml, cfg.stop_threshold, g_mn, ut)
    # intact skin is laterally uniform: two columns suffice
    D1 = _diffusivity(layer[:, :2], hind, np.zeros((grid.nz, 2)), sp, cfg.clot_diffusion_ratio,
                      d_sc)
    it = _run_species(sp, h, 2 * h, D1, None, None, tg, band_w, row_layer, [],
                      cfg.reach_threshold_ng_ml, cfg.stop_threshold, g_int, ut)
    t_day = tg.times / _DAY
    hours = np.diff(tg.times) / _H
    # exposure per layer: time integral of the layer amount (trapezoid) [ng h / cm2]
    def auc(a: np.ndarray) -> np.ndarray:
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
    phis = np.array([phi(t, 0.0) for t in tg.times])
    ds["channel_open_fraction"] = ("time_topical", phis, {
        "units": "1", "long_name": "open fraction of the channels at the surface"})
    if snaps:
        ds["topical_snapshot"] = (("snapshot_time", "z", "x"), mn.snapshots, {
            "units": "ng/mL", "long_name": "topical product concentration"})
    ds.attrs["topical_steps"] = int(mn.n_steps)
    return ds


def _dataset(grid: Grid, edges: np.ndarray, tg: TimeGrid, snaps: list[float],
             runs: dict[str, _SpeciesRun], species: Sequence[str],
             cfg: SignallingConfig) -> xr.Dataset:
    centres = 0.5 * (edges[1:] + edges[:-1])
    coords = {
        "species": ("species", list(species), {"long_name": "growth factor"}),
        "time": ("time", tg.times / _DAY, {"units": "day", "long_name": "time after the session"}),
        "band": ("band", centres, {"units": "um", "long_name": "depth of the band centre"}),
        "band_top": ("band", edges[:-1], {"units": "um", "long_name": "top of the band"}),
        "band_bottom": ("band", edges[1:], {"units": "um", "long_name": "bottom of the band"}),
        "snapshot_time": ("snapshot_time", np.array(snaps) / _H,
                          {"units": "h", "long_name": "time of the field snapshot"}),
        "z": ("z", grid.z * 1e6, {"units": "um", "long_name": "depth below the skin surface"}),
        "x": ("x", grid.x * 1e6, {"units": "um", "long_name": "lateral position"}),
        "layer_name": ("layer_name", list(LAYER_NAMES)),
        "interface_depth": ("interface", grid.interfaces_m * 1e6,
                            {"units": "um", "long_name": "top of each layer and bottom of the "
                             "stack"}),
    }
    ds = xr.Dataset(coords=coords)
    r = [runs[s] for s in species]
    if not r:
        return ds

    def stack(attr: str) -> np.ndarray:
        return np.stack([getattr(x, attr) for x in r])

    ds["gf_band"] = (("species", "time", "band"), stack("band"), {
        "units": "ng/mL", "long_name": "band-mean growth-factor concentration"})
    ds["gf_max"] = (("species", "time"), stack("cmax"), {
        "units": "ng/mL", "long_name": "maximum concentration in the slice"})
    ds["gf_reach"] = (("species", "time"), stack("reach_um"), {
        "units": "um", "long_name": f"deepest depth where c >= {cfg.reach_threshold_ng_ml:g} "
        "ng/mL"})
    released, lost, remaining = stack("released"), stack("lost"), stack("remaining")
    clipped = stack("clipped")
    decayed = released - lost - remaining - clipped
    for key, val, ln in (("released", released, "cumulative amount released"),
                         ("decayed", decayed, "cumulative amount decayed"),
                         ("remaining", remaining, "amount in the tissue"),
                         ("lost", lost, "cumulative amount lost through open channels"),
                         ("clipped", clipped, "cumulative negative undershoot set to zero")):
        ds[f"gf_{key}"] = (("species", "time"), val, {"units": "ng/cm2", "long_name": ln})
    ds["gf_layer_amount"] = (("species", "time", "layer_name"), stack("layer_amount"), {
        "units": "ng/cm2", "long_name": "growth factor in each layer"})
    if snaps:
        ds["gf_snapshot"] = (("species", "snapshot_time", "z", "x"),
                             np.stack([x.snapshots for x in r]), {
                                 "units": "ng/mL", "long_name": "growth-factor concentration"})
    ds["gf_steps"] = ("species", np.array([x.n_steps for x in r]), {
        "units": "1", "long_name": "time steps taken"})
    ds["gf_stopped_at"] = ("species", np.array([x.stopped_at for x in r]) / _DAY, {
        "units": "day", "long_name": "time the species fell below the stop threshold"})
    return ds


# ------------------------------------------------------------------------------------------------
# figure
# ------------------------------------------------------------------------------------------------


def figure_snapshots(ds: xr.Dataset, species: Sequence[str] | None = None,
                     floor_ng_ml: float = 1e-3) -> Any:
    """Snapshots of each species at the snapshot times, with the layer boundaries.

    Parameters
    ----------
    ds : xarray.Dataset
        Output of :func:`run_acute_window` (or a result holding its variables).
    species : sequence of str, optional
        Rows of the figure (default: all endogenous species, then the topical product).
    floor_ng_ml : float
        Lower end of the logarithmic colour scale [ng/mL].

    Returns
    -------
    matplotlib.figure.Figure
    """
    # no matplotlib.use(): pyplot falls back to Agg by itself where there is no display, and
    # forcing a backend here would break notebooks' inline figures
    import matplotlib.pyplot as plt
    from matplotlib.colors import LogNorm

    rows: list[tuple[str, xr.DataArray]] = []
    names = list(ds["species"].values) if species is None else list(species)
    for s in names:
        if s == "topical" and "topical_snapshot" in ds:
            rows.append((s, ds["topical_snapshot"]))
        elif "gf_snapshot" in ds and s in list(ds["species"].values):
            rows.append((s, ds["gf_snapshot"].sel(species=s)))
    if species is None and "topical_snapshot" in ds:
        rows.append(("topical", ds["topical_snapshot"]))
    ts = ds["snapshot_time"].values
    x = ds["x"].values
    z = ds["z"].values
    hx = float(x[1] - x[0]) if len(x) > 1 else 1.0
    extent = (x[0] - hx / 2, x[-1] + hx / 2, z[-1] + hx / 2, z[0] - hx / 2)
    fig, axes = plt.subplots(len(rows), len(ts), figsize=(3.2 * len(ts), 2.6 * len(rows)),
                             squeeze=False, sharex=True, sharey=True, layout="constrained")
    for r, (s, da) in enumerate(rows):
        vmax = max(float(da.max()), 10 * floor_ng_ml)
        norm = LogNorm(vmin=max(floor_ng_ml, vmax * 1e-4), vmax=vmax)
        im = None
        for c, t in enumerate(ts):
            ax = axes[r, c]
            im = ax.imshow(np.maximum(da.isel(snapshot_time=c).values, norm.vmin),
                           extent=extent, norm=norm, cmap="magma", aspect="auto",
                           interpolation="nearest")
            for d in ds["interface_depth"].values[1:-1]:
                ax.axhline(d, color="w", lw=0.6, ls="--", alpha=0.8)
            label = f"{t:g} h" if t < 48 else f"{t / 24:g} d"
            ax.set_title(f"{SPECIES_LABELS.get(s, s)}, {label}", fontsize=9)
            if r == len(rows) - 1:
                ax.set_xlabel("x [µm]")
            if c == 0:
                ax.set_ylabel("depth [µm]")
        if im is not None:
            fig.colorbar(im, ax=axes[r, :], shrink=0.9, label="ng/mL")
    return fig
