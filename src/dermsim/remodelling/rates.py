"""Rate constants of the remodelling model in model units, derived once per configuration.

:class:`Rates` holds every constant of the right-hand side (days, ng/mL, cells/mm^3);
:func:`derived_rates` computes it from a :class:`RemodellingConfig`, including the baseline
synthesis that makes healthy skin an exact steady state.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

from dermsim.patient import PatientConfig
from dermsim.remodelling.config import RemodellingConfig
from dermsim.signalling import SignallingConfig

_UM2_S_TO_UM2_DAY = 86400.0


@dataclass(frozen=True)
class Rates:
    """Rate constants in model units, derived once from a :class:`RemodellingConfig`."""

    kD: float
    kDN: float
    kDM: float
    kR: float
    KRD: float
    sRN: float
    rN: float
    KND: float
    dN: float
    rM: float
    dM: float
    KMN: float
    KMD: float
    KMT: float
    KMP: float
    fa1: float
    sA: float
    kA: float
    sP: float
    KPD: float
    kP: float
    kH: float
    KH: float
    rF: float
    dF: float
    Fmax: float
    KP: float
    KFM: float
    KFA: float
    KXA: float
    kon: float
    ksw: float
    koff: float
    kE: float
    sEN: float
    sEM: float
    sEF: float
    C1_0: float
    C3_0: float
    Cmax: float
    dm: float
    rho0: float
    p1: float
    p3: float
    q: float
    qL: float
    f3e: float
    f3m: float
    e1: float
    e3: float
    kmE: float
    kT: float
    qT: float
    dEl: float
    kElE: float
    k7: float
    q7: float
    k7E: float
    w_clot: float
    w_coag: float
    w_zone: float  # wound signal of the tissue within reach of a channel, per injured volume
    Rflare: float  # erythema mediator per axon-reflex flare
    kill: float
    ks: float  # stimulated synthesis per unit fold and activation (young turnover x capacity)
    kap: float  # homeostatic gain of basal synthesis
    dAge: float  # age-related loss rate of the collagen set point [1/day]
    qa: float  # stimulated-synthesis capacity factor of the patient's age
    DA: float  # diffusivity of active TGF-beta in dermis [um^2/day]
    DP: float  # diffusivity of PDGF in dermis [um^2/day]
    kV0: float = 0.0  # clearance of denatured matrix at baseline MMP activity [1/day]
    kVE: float = 0.0  # extra clearance of denatured matrix per unit MMP index [1/day]
    kG: float = 0.0  # refill rate of cleared space per unit fibroblast density [1/day]


@lru_cache(maxsize=64)
def derived_rates(
    cfg: RemodellingConfig,
    patient: PatientConfig | None = None,
    signalling: SignallingConfig | None = None,
) -> Rates:
    """Rate constants of the right-hand side for a configuration, patient and signalling.

    The decay and the diffusivity of active TGF-beta and PDGF are those of the signalling
    stage (``signalling.tgfb1_half_life_h``, ``signalling.pdgf_half_life_h``,
    ``signalling.*_D_dermis_um2_s``): one growth-factor model per species.  The patient's
    age sets the turnover of mature collagen (MMP), the capacity of stimulated synthesis and
    the ongoing loss of the collagen set point; basal synthesis is derived so that the
    untreated skin follows its set point ``C0 exp(-dAge t)`` exactly.
    """
    patient = patient or PatientConfig()
    signalling = signalling or SignallingConfig()
    ln2 = math.log(2.0)
    years = max(patient.age_years - cfg.age_reference_years, 0.0)
    dm = ln2 / (cfg.collagen_half_life_y * 365.25) * (1.0 + cfg.age_mmp_per_year * years)
    d_age = cfg.age_collagen_loss_per_year / 365.25
    eta0 = cfg.baseline_survival()
    rho0 = (1.0 - eta0) / eta0  # ratio labile degradation / maturation at baseline
    C0 = cfg.collagen_I_baseline + cfg.collagen_III_baseline
    # basal synthesis: eta0 * p_i = (dm - d_age) * C_i0, so that the untreated skin loses
    # collagen at the age-related rate d_age (exact homeostasis when d_age = 0)
    p1 = max(dm - d_age, 0.0) * cfg.collagen_I_baseline * (1.0 + rho0)
    p3 = max(dm - d_age, 0.0) * cfg.collagen_III_baseline * (1.0 + rho0)
    qa = max(1.0 - cfg.age_synthesis_capacity_per_year * years, 0.0)
    dm0 = ln2 / (cfg.collagen_half_life_y * 365.25)
    ks = dm0 * C0 * (1.0 + rho0) * qa
    return Rates(
        kD=cfg.damage_clearance_per_day,
        kDN=cfg.damage_clearance_by_neutrophils,
        kDM=cfg.damage_clearance_by_macrophages,
        kR=ln2 / (cfg.erythema_mediator_half_life_h / 24.0),
        KRD=cfg.erythema_dose_half_sat,
        sRN=cfg.erythema_neutrophil_drive,
        rN=cfg.neutrophil_influx_max,
        KND=cfg.neutrophil_damage_half_sat,
        dN=ln2 / cfg.neutrophil_half_life_day,
        rM=cfg.macrophage_influx_max,
        dM=cfg.macrophage_removal_per_day,
        KMN=cfg.macrophage_half_sat_neutrophils,
        KMD=cfg.macrophage_half_sat_damage,
        KMT=cfg.macrophage_half_sat_tgfb,
        KMP=cfg.macrophage_half_sat_pdgf,
        fa1=cfg.tgfb_active_fraction_acute,
        # pg/cell/day x cells/mm^3 = pg/mm^3/day = ng/mL/day
        sA=cfg.tgfb_active_fraction_late * cfg.tgfb_secretion_macrophage,
        kA=ln2 / (signalling.tgfb1_half_life_h / 24.0),
        sP=cfg.pdgf_secretion_macrophage,
        KPD=cfg.pdgf_damage_half_sat,
        kP=ln2 / (signalling.pdgf_half_life_h / 24.0),
        kH=ln2 / cfg.heat_shock_half_life_day,
        KH=cfg.heat_shock_half_sat,
        rF=cfg.fibroblast_growth_per_day,
        dF=cfg.fibroblast_apoptosis_per_day,
        Fmax=cfg.fibroblast_max_rel,
        KP=cfg.pdgf_half_sat,
        KFM=cfg.macrophage_mitogen_half_sat,
        KFA=cfg.tgfb_half_sat_mitogen,
        KXA=cfg.tgfb_half_sat_synthesis,
        kon=cfg.activation_rate_per_day,
        ksw=1.0 / cfg.phenotype_switch_day,
        koff=ln2 / cfg.activation_half_life_day,
        kE=cfg.mmp_decay_per_day,
        sEN=cfg.mmp_secretion_neutrophil,
        sEM=cfg.mmp_secretion_macrophage,
        sEF=cfg.mmp_secretion_fibroblast,
        C1_0=cfg.collagen_I_baseline,
        C3_0=cfg.collagen_III_baseline,
        Cmax=cfg.collagen_capacity_rel * C0,
        dm=dm,
        rho0=rho0,
        p1=p1,
        p3=p3,
        q=cfg.synthesis_fold_max,
        qL=cfg.stabilisation_fold_max,
        f3e=cfg.early_III_fraction,
        f3m=cfg.mature_III_fraction,
        e1=cfg.mmp_sensitivity_I,
        e3=cfg.mmp_sensitivity_III,
        kmE=cfg.mmp_mature_degradation_per_day,
        kT=cfg.tropoelastin_turnover_per_day,
        qT=cfg.tropoelastin_fold_max,
        dEl=ln2 / (cfg.elastin_half_life_y * 365.25),
        kElE=cfg.elastolysis_per_day,
        k7=ln2 / cfg.collagen_VII_half_life_day,
        q7=cfg.collagen_VII_fold_max,
        k7E=cfg.collagen_VII_mmp_degradation_per_day,
        w_clot=cfg.clot_debris_weight,
        w_coag=cfg.coagulum_debris_weight,
        w_zone=cfg.wound_zone_signal,
        Rflare=cfg.erythema_flare_level,
        kill=cfg.injury_kill_fraction,
        ks=ks,
        kap=cfg.homeostatic_gain,
        dAge=d_age,
        qa=qa,
        DA=signalling.tgfb1_D_dermis_um2_s * _UM2_S_TO_UM2_DAY,
        DP=signalling.pdgf_D_dermis_um2_s * _UM2_S_TO_UM2_DAY,
        kV0=ln2 / cfg.denatured_clearance_half_life_day,
        kVE=cfg.denatured_clearance_by_mmp,
        kG=cfg.defect_fill_per_day,
    )
