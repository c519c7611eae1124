"""Parameters of the remodelling model: the parameter cards and :class:`RemodellingConfig`.

Every field is a parameter card ``remodelling.<field>`` (value, unit, range, source,
evidence tag); the derived rate constants in model units live in
:mod:`dermsim.remodelling.rates`.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from dermsim.errors import ConfigError
from dermsim.parameters import card, param_field, validate_dataclass

_JIN = "Jin et al. 2011, BMC Syst Biol 5:60, Table 4"
_YANG = "Yang et al. 1999, Am J Pathol 154:105"
_CAL = (
    "calibrated to the timing and magnitude anchors (Yang 1999; Marikovsky 1993; "
    "El-Domyati 2015; Lotfi 2013; docs/model.md, remodelling chapter)"
)


def _c(
    field: str,
    value: float,
    unit: str,
    low: float,
    high: float,
    source: str,
    tag: str,
    desc: str,
) -> Any:
    return param_field(card(f"remodelling.{field}", value, unit, low, high, source, tag, desc))


@dataclass(frozen=True)
class RemodellingConfig:
    """Parameters of the band remodelling ODE (TOML table ``[remodelling]``).

    Every field is backed by a parameter card ``remodelling.<field>`` giving its unit,
    allowed range, source and evidence tag; see ``docs/model.md §9`` for the
    equations in which each appears.  Construction validates every value and raises
    :class:`dermsim.errors.ConfigError` (naming field, value and allowed range) otherwise.
    """

    # --- damage / debris
    damage_clearance_per_day: float = _c(
        "damage_clearance_per_day", 0.2, "1/day", 0.0, 10.0,
        "assumption: basal resorption of clot and debris (lymph, autolysis); calibrated with "
        "the neutrophil and macrophage peaks", "A",
        "cell-independent clearance rate of damage D")
    damage_clearance_by_neutrophils: float = _c(
        "damage_clearance_by_neutrophils", 2.0e-3, "(1/day)/(cells/mm^3)", 0.0, 1.0,
        "assumption (phagocytic clearance, cf. Segal 2012 debris model); calibrated: "
        "neutrophil peak 24-48 h at 0.25-2.5 mm", "A",
        "debris clearance rate per excess neutrophil density")
    damage_clearance_by_macrophages: float = _c(
        "damage_clearance_by_macrophages", 1.0e-3, "(1/day)/(cells/mm^3)", 0.0, 1.0,
        "assumption (phagocytic clearance, cf. Cooper 2015); calibrated: macrophage peak "
        "day 3-5 at 0.25-2.5 mm", "A",
        "debris clearance rate per excess macrophage density")
    clot_debris_weight: float = _c(
        "clot_debris_weight", 0.5, "-", 0.0, 10.0,
        "assumption: extravasated blood/clot adds debris proportional to the injured volume",
        "A", "extra damage per unit injury in bands whose channels bled")
    coagulum_debris_weight: float = _c(
        "coagulum_debris_weight", 1.0, "-", 0.0, 10.0,
        "assumption: thermally coagulated volume becomes debris one-for-one", "A",
        "damage added per unit RF coagulated volume fraction")
    wound_signal_reach_um: float = _c(
        "wound_signal_reach_um", 200.0, "um", 0.0, 1000.0,
        "Niethammer et al. 2009, Nature 459:996: the wound's H2O2 gradient extends 100-200 um "
        "from the margin and recruits leukocytes across hundreds of um within minutes", "S",
        "lateral reach beyond a channel wall of the wound signals (damage signals, "
        "chemoattractants) that recruit inflammatory cells; 0 confines the response to the "
        "injured volume")
    wound_zone_signal: float = _c(
        "wound_zone_signal", 0.5, "-", 0.0, 1.0,
        _CAL + "; assumption: tissue within the reach signals less than injured tissue", "A",
        "wound signal (damage jump) of intact tissue within the reach of a channel, per unit "
        "volume, relative to the injured volume")
    # --- thermal injury: denatured matrix, its clearance and replacement
    denatured_clearance_half_life_day: float = _c(
        "denatured_clearance_half_life_day", 18.0, "day", 0.5, 365.0,
        "assumption: denatured (gelatinised) collagen is a substrate of the gelatinases "
        "MMP-2/-9 and is phagocytosed by macrophages and fibroblasts; calibrated with "
        "defect_fill_per_day so that RF coagulation zones are replaced by new collagen within "
        "10 weeks (Hantash et al. 2009, Lasers Surg Med 41:1)", "A",
        "half-life of thermally denatured matrix at baseline MMP activity (clearance "
        "without the wound's extra proteases)")
    denatured_clearance_by_mmp: float = _c(
        "denatured_clearance_by_mmp", 0.02, "1/day", 0.0, 10.0,
        "assumption: wound gelatinases (MMP-2/-9 of neutrophils and macrophages) speed the "
        "clearance of denatured collagen (Hantash 2009: inflammatory infiltrate around the "
        "zones from day 2 to 10 weeks); calibrated", "A",
        "extra clearance rate of denatured matrix per unit MMP activity index")
    defect_fill_per_day: float = _c(
        "defect_fill_per_day", 0.07, "1/day", 0.0, 10.0,
        "assumption: fibroblasts fill the cleared space with new matrix (granulation tissue); "
        "calibrated so that RF coagulation zones are replaced within 10 weeks (Hantash et al. "
        "2009, Lasers Surg Med 41:1)", "A",
        "rate at which cleared space is refilled with new matrix, per unit fibroblast density "
        "(relative to resident)")
    # --- epidermal burns: re-epithelialisation
    reepithelialisation_lag_h: float = _c(
        "reepithelialisation_lag_h", 12.0, "h", 0.0, 96.0,
        "assumption; keratinocytes at the edge start to migrate within the first day: "
        "microscopic epidermal necrosis of fractional treatments (~100 um) is closed within "
        "24 h (Laubach et al. 2006, Lasers Surg Med 38:142)", "A",
        "delay between an epidermal burn and the start of keratinocyte migration from its "
        "edge")
    keratinocyte_migration_um_per_h: float = _c(
        "keratinocyte_migration_um_per_h", 5.0, "um/h", 0.5, 100.0,
        "assumption bounded by: >= 4 um/h for 100-um necrotic zones closed within 24 h after "
        "the lag (Laubach et al. 2006); mm-wide superficial wounds under a dry scab covered "
        "in about a week (Winter 1962, Nature 193:293; Hinman & Maibach 1963, Nature "
        "200:377)", "A",
        "speed at which the epidermis advances from the edge of a necrotic zone under its "
        "crust")
    injury_kill_fraction: float = _c(
        "injury_kill_fraction", 1.0, "-", 0.0, 1.0,
        "assumption: resident cells inside the injured volume die", "A",
        "fraction of fibroblasts in the mechanically injured volume that are lost")
    # --- erythema / downtime proxy
    erythema_mediator_half_life_h: float = _c(
        "erythema_mediator_half_life_h", 6.0, "h", 0.01, 48.0,
        _CAL + " (V11: erythema 3-6 h after light needling)", "A",
        "half-life of the vasoactive mediators released at injury")
    erythema_dose_half_sat: float = _c(
        "erythema_dose_half_sat", 0.02, "-", 1e-5, 1.0, _CAL + " (V11)", "A",
        "injury dose (damage jump) giving half-maximal erythema in a band")
    erythema_neutrophil_drive: float = _c(
        "erythema_neutrophil_drive", 0.0, "(1/day)/(cells/mm^3)", 0.0, 10.0,
        _CAL + " (V11: 24-72 h after deep needling)", "A",
        "mediator production per excess neutrophil (sustained inflammatory erythema)")
    erythema_flare_reach_um: float = _c(
        "erythema_flare_reach_um", 1000.0, "um", 0.0, 20000.0,
        "assumption sized from Lewis 1927 (triple response: a needle prick or scratch is "
        "surrounded by an axon-reflex flare spreading beyond the injury) and Darsow 1996 "
        "(flare of a histamine skin prick); a bare needle prick flares less", "A",
        "radius around a channel of the axon-reflex flare (neurogenic vasodilation)")
    erythema_flare_level: float = _c(
        "erythema_flare_level", 1.5, "-", 0.0, 100.0,
        _CAL + " (V11: erythema 3-6 h after a dermaroller session, HK J Dermatol 2018)", "A",
        "erythema mediator level added inside the flare (overlapping flares do not add: "
        "the vasodilation is maximal)")
    erythema_threshold_um: float = _c(
        "erythema_threshold_um", 200.0, "um", 0.0, 1e4, _CAL + " (V11: 3-72 h)", "A",
        "depth-integrated erythema index below which erythema counts as resolved")
    # --- neutrophils
    neutrophil_influx_max: float = _c(
        "neutrophil_influx_max", 1000.0, "cells/mm^3/day", 0.0, 1e6, _CAL, "A",
        "maximal neutrophil recruitment rate")
    neutrophil_damage_half_sat: float = _c(
        "neutrophil_damage_half_sat", 1.0, "-", 1e-5, 10.0,
        "assumption; graded, not switch-like, recruitment: more injured tissue, more "
        "neutrophils (calibrated to the dose-response with passes)", "A",
        "damage level giving half-maximal neutrophil recruitment")
    neutrophil_half_life_day: float = _c(
        "neutrophil_half_life_day", 1.0, "day", 0.05, 10.0,
        "tissue neutrophils survive 1-2 days (standard; secondary)", "S",
        "half-life of neutrophils in tissue (apoptosis and efferocytosis)")
    # --- macrophages
    macrophage_influx_max: float = _c(
        "macrophage_influx_max", 150.0, "cells/mm^3/day", 0.0, 1e6, _CAL, "A",
        "maximal monocyte/macrophage recruitment rate")
    macrophage_removal_per_day: float = _c(
        "macrophage_removal_per_day", 0.6, "1/day", 0.01, 10.0, _JIN + " (d_M)", "V",
        "macrophage removal (emigration and apoptosis)")
    macrophage_half_sat_neutrophils: float = _c(
        "macrophage_half_sat_neutrophils", 200.0, "cells/mm^3", 1e-3, 1e6, _CAL, "A",
        "neutrophil density giving half-maximal macrophage recruitment")
    macrophage_half_sat_damage: float = _c(
        "macrophage_half_sat_damage", 5.0, "-", 1e-5, 100.0,
        "assumption; monocytes follow neutrophil signals more than debris, so macrophages "
        "peak after neutrophils (calibrated)", "A",
        "damage level giving half-maximal macrophage recruitment")
    macrophage_half_sat_tgfb: float = _c(
        "macrophage_half_sat_tgfb", 3.0, "ng/mL", 1e-6, 100.0,
        "Wahl 1987: monocyte chemotaxis at 0.1-10 pg/mL in vitro; recruitment into tissue "
        "by the platelet burst calibrated at ng/mL (macrophage peak day 3-5 at 0.25-2.5 mm; "
        "graded dose-response)", "A",
        "active TGF-beta (acute drive) giving half-maximal monocyte recruitment")
    macrophage_half_sat_pdgf: float = _c(
        "macrophage_half_sat_pdgf", 5.0, "ng/mL", 1e-6, 1000.0,
        "PDGF is a monocyte chemoattractant at ng/mL (Deuel et al. 1982)", "U",
        "PDGF giving half-maximal monocyte chemotaxis")
    # --- TGF-beta
    tgfb_active_fraction_acute: float = _c(
        "tgfb_active_fraction_acute", 0.38, "-", 0.0, 1.0, _YANG + ": 38 % active at 1 h", "V",
        "active fraction of the platelet-released (drive) TGF-beta1")
    tgfb_active_fraction_late: float = _c(
        "tgfb_active_fraction_late", 0.17, "-", 0.0, 1.0, _YANG + ": 17 % active at day 5", "V",
        "active fraction of cell-secreted TGF-beta")
    tgfb_secretion_macrophage: float = _c(
        "tgfb_secretion_macrophage", 0.07, "pg/cell/day", 0.0, 10.0, _JIN + " (k_MT)", "V",
        "total TGF-beta secretion per macrophage")
    # --- PDGF
    pdgf_secretion_macrophage: float = _c(
        "pdgf_secretion_macrophage", 0.004, "pg/cell/day", 0.0, 10.0,
        "Adler et al. 2020 beta2 = 70 molecules/cell/min x 24.3 kDa (computed)", "C",
        "PDGF secretion per macrophage")
    pdgf_damage_half_sat: float = _c(
        "pdgf_damage_half_sat", 0.1, "-", 1e-6, 10.0,
        "assumption; macrophages secrete PDGF/HB-EGF while activated by debris "
        "(phagocytosis), so heparin-binding growth factors peak on day 2-3 and vanish by "
        "day 8 (Marikovsky et al. 1993)", "A",
        "damage level giving half-maximal PDGF secretion by macrophages")
    # --- heat shock (RF)
    heat_shock_half_life_day: float = _c(
        "heat_shock_half_life_day", 10.0, "day", 0.1, 365.0,
        "assumption; HSP47-driven remodelling persists to 10 weeks (Hantash et al. 2009)", "A",
        "decay of the heat-shock induction after sub-lethal heating")
    heat_shock_half_sat: float = _c(
        "heat_shock_half_sat", 0.2, "-", 1e-5, 10.0, "assumption", "A",
        "heat-shocked volume fraction giving half-maximal fibroblast stimulation")
    # --- fibroblasts
    fibroblast_growth_per_day: float = _c(
        "fibroblast_growth_per_day", 0.924, "1/day", 0.0, 10.0, _JIN + " (k_F = ln2/T2)", "V",
        "maximal fibroblast proliferation rate")
    fibroblast_apoptosis_per_day: float = _c(
        "fibroblast_apoptosis_per_day", 0.12, "1/day", 0.001, 10.0, _JIN + " (d_F)", "V",
        "return rate of excess fibroblasts to the resident density")
    fibroblast_max_rel: float = _c(
        "fibroblast_max_rel", 3.0, "-", 1.01, 100.0, "assumption; prior F_max/F0 = 2-5", "A",
        "carrying capacity of fibroblast density relative to resident")
    pdgf_half_sat: float = _c(
        "pdgf_half_sat", 1.0, "ng/mL", 1e-4, 1000.0,
        "fibroblast mitogenic PDGF-BB range 1-10 ng/mL (in vitro; unverified)", "U",
        "PDGF giving half-maximal fibroblast proliferation")
    macrophage_mitogen_half_sat: float = _c(
        "macrophage_mitogen_half_sat", 200.0, "cells/mm^3", 1e-3, 1e6,
        "assumption; macrophage-derived fibroblast mitogens other than PDGF (FGF-2, IGF-1) "
        "act while macrophages are present", "A",
        "macrophage density giving half-maximal fibroblast proliferation")
    tgfb_half_sat_mitogen: float = _c(
        "tgfb_half_sat_mitogen", 1.0, "ng/mL", 1e-4, 1000.0, "assumption", "U",
        "active TGF-beta giving half-maximal fibroblast proliferation")
    tgfb_half_sat_synthesis: float = _c(
        "tgfb_half_sat_synthesis", 0.2, "ng/mL", 1e-4, 1000.0,
        "TGF-beta activates collagen production from 0.1 ng/mL, maximal at 1 ng/mL "
        "(human lung fibroblasts, JBC abstract; see docs)", "S",
        "active TGF-beta giving half-maximal synthetic activation")
    # --- homeostasis and ageing
    homeostatic_gain: float = _c(
        "homeostatic_gain", 4.0, "-", 0.0, 100.0,
        "assumption; fibroblasts hold the matrix at a set point (tensional homeostasis, "
        "Brown 1998); calibrated so that a gain fades to <= 80 % within 2 years while "
        "maintenance every 6-12 months holds it (clinical practice, El-Domyati 2015)", "A",
        "relative change of basal collagen synthesis per relative collagen deviation from the "
        "set point (proportional control; no overshoot)")
    age_collagen_loss_per_year: float = _c(
        "age_collagen_loss_per_year", 0.01, "1/year", 0.0, 0.05,
        "dermal collagen falls ~1 %/year in adults (Shuster 1975)", "S",
        "ongoing age-related loss of dermal collagen (set point of the untreated skin)")
    age_reference_years: float = _c(
        "age_reference_years", 30.0, "year", 18.0, 100.0,
        "assumption; age of the parameters derived from young-adult data (Babraj 2005)", "A",
        "age at which the synthesis capacity and MMP activity take their card values")
    age_synthesis_capacity_per_year: float = _c(
        "age_synthesis_capacity_per_year", 0.008, "1/year", 0.0, 0.02,
        "aged fibroblasts make less collagen, about -30 % at 80+ y vs young (Varani 2006)",
        "S", "relative decline per year (after the reference age) of the stimulated "
        "collagen synthesis of fibroblasts")
    age_mmp_per_year: float = _c(
        "age_mmp_per_year", 0.01, "1/year", 0.0, 0.05,
        "aged fibroblasts make more MMP-1 (Fisher 2008; Varani 2006)", "S",
        "relative increase per year (after the reference age) of the degradation of mature "
        "collagen")
    # --- clinical read-outs (dermsim.remodelling.clinical)
    dermal_matrix_volume_fraction: float = _c(
        "dermal_matrix_volume_fraction", 0.5, "1", 0.0, 1.0,
        "assumption between new collagen filling interstitial space (0) and a constant "
        "collagen concentration as the dermis changes thickness (1; Shuster 1975)", "A",
        "share of the new dermal collagen that adds to the dermal volume (thickness)")
    collagen_III_echogenicity: float = _c(
        "collagen_III_echogenicity", 0.5, "1", 0.0, 1.0,
        "assumption: thin, loosely packed type III fibres reflect ultrasound less than "
        "type I bundles", "A",
        "echogenicity of collagen III relative to collagen I in the dermal density index")
    # --- spatial coupling on the coarse grid
    cell_width_um: float = _c(
        "cell_width_um", 50.0, "um", 10.0, 500.0,
        "numerics choice: paracrine range sqrt(D/k) ~ 150-250 um is resolved by 50-um cells",
        "A", "lateral size of the cells of the coarse remodelling grid (depth: "
        "signalling.band_um)")
    # --- synthetic activation / phenotype
    activation_rate_per_day: float = _c(
        "activation_rate_per_day", 1.0, "1/day", 0.0, 100.0, _CAL, "A",
        "rate of synthetic activation of fibroblasts at full stimulus")
    phenotype_switch_day: float = _c(
        "phenotype_switch_day", 10.0, "day", 0.5, 100.0,
        "assumption; tau = 7-14 d: type III first, type I the main product by week 2", "A",
        "mean time of the early (III-rich) to mature (I-rich) phenotype switch")
    activation_half_life_day: float = _c(
        "activation_half_life_day", 40.0, "day", 1.0, 1000.0, _CAL + " (C1 rises ~3 months)",
        "A", "half-life of the mature synthetic activation")
    # --- MMP
    mmp_decay_per_day: float = _c(
        "mmp_decay_per_day", 0.875, "1/day", 0.01, 100.0, _JIN + " (MMP-9)", "V",
        "decay of MMP activity")
    mmp_secretion_neutrophil: float = _c(
        "mmp_secretion_neutrophil", 5.0e-3, "(1/day)/(cells/mm^3)", 0.0, 10.0, _CAL, "A",
        "MMP activity index produced per excess neutrophil")
    mmp_secretion_macrophage: float = _c(
        "mmp_secretion_macrophage", 1.0e-2, "(1/day)/(cells/mm^3)", 0.0, 10.0, _CAL, "A",
        "MMP activity index produced per excess macrophage")
    mmp_secretion_fibroblast: float = _c(
        "mmp_secretion_fibroblast", 0.2, "1/day", 0.0, 1000.0, _CAL, "A",
        "MMP activity index produced per activated fibroblast (relative density)")
    # --- collagen
    collagen_I_baseline: float = _c(
        "collagen_I_baseline", 0.80, "-", 0.01, 1.0,
        "Adv Wound Care 2015;4:119 Table 1: type I ~80 % of dermal collagen", "V",
        "baseline collagen I as a fraction of total dermal collagen")
    collagen_III_baseline: float = _c(
        "collagen_III_baseline", 0.15, "-", 0.01, 1.0,
        "Adv Wound Care 2015;4:119 Table 1: type III ~15 %", "V",
        "baseline collagen III as a fraction of total dermal collagen")
    collagen_fsr_percent_per_h: float = _c(
        "collagen_fsr_percent_per_h", 0.037, "%/h", 1e-4, 10.0,
        "Babraj et al. 2005 Am J Physiol Endocrinol Metab 289:E864 (skin, young men)", "V",
        "fractional synthesis rate of dermal collagen at baseline")
    collagen_half_life_y: float = _c(
        "collagen_half_life_y", 15.0, "year", 0.1, 200.0,
        "skin collagen half-life ~15 y from AGE accumulation (Verzijl 2000)", "U",
        "half-life of mature (cross-linked) dermal collagen")
    synthesis_fold_max: float = _c(
        "synthesis_fold_max", 2.5, "-", 0.0, 100.0,
        "TGF-beta raises fibroblast collagen synthesis 2-3 fold (in vitro; Murata et al. "
        "1997 JID: up to 200 %)", "S",
        "maximal increase of per-cell collagen synthesis at full activation")
    stabilisation_fold_max: float = _c(
        "stabilisation_fold_max", 15.0, "-", 0.0, 1e4, _CAL + " (V10)", "A",
        "maximal increase of the maturation/stabilisation rate of new collagen by "
        "activated fibroblasts (TIMP/lysyl-oxidase induction)")
    early_III_fraction: float = _c(
        "early_III_fraction", 0.6, "-", 0.0, 1.0,
        "assumption; early wound collagen ~30 % type III (Robins 2003)", "A",
        "type III fraction of the extra synthesis by early-activated fibroblasts")
    mature_III_fraction: float = _c(
        "mature_III_fraction", 0.05, "-", 0.0, 1.0, "assumption", "A",
        "type III fraction of the extra synthesis by mature-activated fibroblasts")
    mmp_sensitivity_I: float = _c(
        "mmp_sensitivity_I", 0.5, "-", 0.0, 100.0, "assumption", "A",
        "increase of new-collagen-I degradation per unit MMP index")
    mmp_sensitivity_III: float = _c(
        "mmp_sensitivity_III", 0.75, "-", 0.0, 100.0,
        "assumption; type III is preferentially remodelled (e3 > e1)", "A",
        "increase of new-collagen-III degradation per unit MMP index")
    mmp_mature_degradation_per_day: float = _c(
        "mmp_mature_degradation_per_day", 2.0e-4, "1/day", 0.0, 1.0, "assumption", "A",
        "degradation rate of mature collagen I per unit MMP index (x sensitivity ratio "
        "III/I for collagen III)")
    collagen_capacity_rel: float = _c(
        "collagen_capacity_rel", 1.6, "-", 1.01, 100.0,
        "assumption; fibroblast capacity and contact inhibition limit the collagen a dermis "
        "holds (diminishing returns with session count; no neutral I:III drift, Dale 1997); "
        "calibrated", "A",
        "maximal total collagen (I+III) relative to baseline")
    # --- elastin
    tropoelastin_turnover_per_day: float = _c(
        "tropoelastin_turnover_per_day", 0.5, "1/day", 0.01, 100.0, "assumption", "A",
        "relaxation rate of tropoelastin to its synthesis level")
    tropoelastin_fold_max: float = _c(
        "tropoelastin_fold_max", 1.0, "-", 0.0, 1000.0,
        "assumption; tropoelastin up after microneedling (El-Domyati et al. 2015)", "A",
        "maximal increase of per-cell tropoelastin synthesis at full activation")
    elastin_half_life_y: float = _c(
        "elastin_half_life_y", 51.0, "year", 1.0, 1000.0,
        "Shapiro et al. 1991 J Clin Invest 87:1828: mean residence 74 y (x ln2)", "C",
        "half-life of cross-linked elastin")
    elastolysis_per_day: float = _c(
        "elastolysis_per_day", 1.0e-3, "1/day", 0.0, 10.0,
        "assumption; total elastin down after 6 sessions (El-Domyati et al. 2015)", "A",
        "elastin degradation rate per unit MMP/elastase index")
    # --- collagen VII
    collagen_VII_half_life_day: float = _c(
        "collagen_VII_half_life_day", 60.0, "day", 1.0, 3650.0,
        "assumption; anchoring-fibril collagen VII persists for months", "U",
        "turnover half-life of collagen VII")
    collagen_VII_fold_max: float = _c(
        "collagen_VII_fold_max", 0.3, "-", 0.0, 100.0,
        "assumption; collagen VII up after microneedling (El-Domyati et al. 2015)", "A",
        "maximal increase of collagen VII synthesis at full activation")
    collagen_VII_mmp_degradation_per_day: float = _c(
        "collagen_VII_mmp_degradation_per_day", 1.0e-3, "1/day", 0.0, 10.0, "assumption",
        "A", "collagen VII degradation rate per unit MMP index")

    def __post_init__(self) -> None:
        validate_dataclass(self, "remodelling")
        total = self.collagen_I_baseline + self.collagen_III_baseline
        if total > 1.0:
            raise ConfigError(
                "remodelling.collagen_III_baseline",
                self.collagen_III_baseline,
                f"collagen_I_baseline + collagen_III_baseline <= 1 (I = "
                f"{self.collagen_I_baseline})",
            )
        # deposition at baseline must be possible: survival of new collagen < 1
        if self.baseline_survival() >= 1.0:
            raise ConfigError(
                "remodelling.collagen_half_life_y",
                self.collagen_half_life_y,
                "a half-life long enough that baseline synthesis (collagen_fsr_percent_per_h) "
                "exceeds mature turnover",
            )

    def baseline_survival(self) -> float:
        """Fraction of newly synthesised collagen that matures at baseline [-] (computed)."""
        delta_m = math.log(2.0) / (self.collagen_half_life_y * 365.25)
        fsr = self.collagen_fsr_percent_per_h * 1e-2 * 24.0
        return delta_m / fsr

    def replace(self, **changes: Any) -> RemodellingConfig:
        """Return a copy with some fields changed (validated)."""
        return dataclasses.replace(self, **changes)

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> RemodellingConfig:
        """Build from a TOML table; unknown keys raise :class:`ConfigError`."""
        names = {f.name for f in dataclasses.fields(cls)}
        for k, v in values.items():
            if k not in names:
                raise ConfigError(f"remodelling.{k}", v, "a known remodelling parameter")
        return cls(**dict(values))


