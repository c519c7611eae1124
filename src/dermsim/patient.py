"""The patient (TOML table ``[patient]``): age, phototype, scar history, contraindications.

    [patient]
    age_years = 45                   # sets the untreated collagen turnover (remodelling)
    phototype = 4                    # Fitzpatrick I–VI as 1–6 (Fitzpatrick 1988)
    keloid_history = false           # keloid or hypertrophic scars
    isotretinoin_months_ago = 2      # months since the last isotretinoin dose
    radiotherapy_months_ago = 24     # months since radiotherapy of the area
    active_infection = false         # active skin infection in the area
    pregnant_or_breastfeeding = false

Effects, all documented in docs/uncertainty.md:

* **Age** sets the collagen turnover of the untreated skin (age-related loss of dermal
  collagen, basal MMP activity, the fibroblasts' capacity to raise synthesis; cards
  ``remodelling.age_*``); every treatment gain is reported against an untreated twin of the
  same age.

* **PIH risk index** (0–1) = phototype weight × E/(E + E½) × I/(I + I½), from the epidermal
  injury E of the first session [mm³/cm²] and the peak inflammatory-cell excess I of the
  course [cells/mm³]: post-inflammatory hyperpigmentation follows injury to the epidermis
  and inflammation, and is more frequent and persistent in phototypes IV–VI (Davis &
  Callender 2010). The weights and half-saturations are assumptions (cards ``patient.*``,
  tag A). A relative index, not a probability.
* **Keloid or hypertrophic-scar history**: an exaggerated fibrotic response — the maximal
  TGF-β-driven collagen synthesis (``remodelling.synthesis_fold_max``) is multiplied by
  ``patient.keloid_synthesis_factor`` (chronic reticular inflammation and a self-sustaining
  TGF-β/fibroblast loop: Ogawa 2017; Adler 2020) — and a warning.
* **Contraindications** named in clinical guidance (Alster 2018): isotretinoin within 6
  months, active skin infection, radiotherapy within 12 months, pregnancy or breastfeeding.
  dermsim warns (CLI, result attrs, report); it does not refuse to run.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from dermsim.parameters import card, param_field

__all__ = ["PHOTOTYPE_NAMES", "PatientConfig", "apply_patient", "patient_outputs",
           "patient_warnings", "pih_risk_index"]

PHOTOTYPE_NAMES = ("I", "II", "III", "IV", "V", "VI")

_PIH = "assumption: ordinal weight rising with phototype (Davis & Callender 2010)"
PIH_WEIGHTS = tuple(card(f"patient.pih_weight_{n}", w, "-", 0.0, 1.0, _PIH, "A",
                         f"PIH susceptibility weight of phototype {n}")
                    for n, w in zip(PHOTOTYPE_NAMES, (0.15, 0.25, 0.4, 0.65, 0.85, 1.0)))
PIH_INJURY_HALF = card("patient.pih_injury_half_mm3_per_cm2", 1.0, "mm3/cm2", 1e-6, 100.0,
                       "assumption (order of a 1 mm pen session's epidermal injury, 2-4)", "A",
                       "epidermal injury at which the PIH index reaches half its weight "
                       "(with saturating inflammation)")
PIH_INFLAMMATION_HALF = card("patient.pih_inflammation_half", 500.0, "cells/mm^3", 1e-6, 1e6,
                             "assumption (order of the peak inflammatory-cell excess of one "
                             "session, ~1000)", "A",
                             "peak inflammation at which the PIH index reaches half its weight")
KELOID_FACTOR = card("patient.keloid_synthesis_factor", 1.5, "-", 1.0, 10.0,
                     "assumption: exaggerated TGF-β-driven synthesis (Ogawa 2017; Adler 2020)",
                     "A", "factor on remodelling.synthesis_fold_max with a keloid history")
#: Months within which a past treatment is a contraindication (Alster 2018).
ISOTRETINOIN_MONTHS = 6.0
RADIOTHERAPY_MONTHS = 12.0

_MONTHS = card("patient.months_ago", 12.0, "month", 0.0, 1200.0, "user input", "A",
               "months since a past treatment (isotretinoin, radiotherapy)")


@dataclass(frozen=True)
class PatientConfig:
    """Patient modifiers of a scenario (TOML table ``[patient]``; see the module docstring)."""

    age_years: float = param_field(card(
        "patient.age_years", 45.0, "year", 18.0, 100.0,
        "assumption: a typical age of patients treated for photo-ageing (clinical cohorts "
        "of about 35-65 years)", "A",
        "age of the patient at the first session"))
    phototype: int = param_field(card("patient.phototype", 2, "-", 1, 6, "Fitzpatrick 1988",
                                      "V", "Fitzpatrick skin phototype I–VI as 1–6",
                                      integer=True))
    keloid_history: bool = False
    isotretinoin_months_ago: float | None = field(default=None, metadata={"card": _MONTHS})
    radiotherapy_months_ago: float | None = field(default=None, metadata={"card": _MONTHS})
    active_infection: bool = False
    pregnant_or_breastfeeding: bool = False

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        for f in dataclasses.fields(self):
            c, v = f.metadata.get("card"), getattr(self, f.name)
            if c is not None and v is not None:
                c.check(v, f"patient.{f.name}")


def patient_warnings(cfg: PatientConfig | None) -> list[str]:
    """One line per contraindication or risk the patient table names (empty if none)."""
    if cfg is None:
        return []
    out = []
    iso = cfg.isotretinoin_months_ago
    if iso is not None and iso < ISOTRETINOIN_MONTHS:
        out.append(f"isotretinoin {iso:g} months ago: microneedling is contraindicated within "
                   f"{ISOTRETINOIN_MONTHS:g} months of isotretinoin (impaired healing, scarring)")
    rad = cfg.radiotherapy_months_ago
    if rad is not None and rad < RADIOTHERAPY_MONTHS:
        out.append(f"radiotherapy {rad:g} months ago: contraindicated within "
                   f"{RADIOTHERAPY_MONTHS:g} months of radiotherapy of the area")
    if cfg.active_infection:
        out.append("active skin infection: contraindicated until it has resolved")
    if cfg.pregnant_or_breastfeeding:
        out.append("pregnancy or breastfeeding: contraindicated")
    if cfg.keloid_history:
        out.append("keloid or hypertrophic-scar history: risk of exaggerated scarring; the "
                   f"model raises collagen synthesis ×{KELOID_FACTOR.value:g}")
    if cfg.phototype >= 4:
        out.append(f"phototype {PHOTOTYPE_NAMES[cfg.phototype - 1]}: higher risk of "
                   "post-inflammatory hyperpigmentation (see pih_risk_index)")
    return out


def apply_patient(scenario: Any) -> Any:
    """The scenario with the patient's effect on the model parameters (keloid history: more
    collagen synthesis); unchanged without a ``[patient]`` table."""
    cfg = scenario.stages.get("patient") if hasattr(scenario, "stages") else None
    if cfg is None or not cfg.keloid_history:
        return scenario
    rem = scenario.stage("remodelling")
    high = 100.0  # card range of remodelling.synthesis_fold_max
    rem = dataclasses.replace(rem, synthesis_fold_max=min(
        high, rem.synthesis_fold_max * KELOID_FACTOR.value))
    return dataclasses.replace(scenario, stages={**scenario.stages, "remodelling": rem})


def pih_risk_index(phototype: int, epidermal_injury_mm3_per_cm2: float,
                   peak_inflammation: float) -> float:
    """Relative post-inflammatory hyperpigmentation risk in [0, 1] (module docstring)."""
    e = max(float(epidermal_injury_mm3_per_cm2), 0.0)
    i = max(float(peak_inflammation), 0.0)
    if e != e or i != i:
        return float("nan")
    w = PIH_WEIGHTS[int(phototype) - 1].value
    return w * e / (e + PIH_INJURY_HALF.value) * i / (i + PIH_INFLAMMATION_HALF.value)


def patient_outputs(ds: Any, cfg: PatientConfig | None) -> Any:
    """Add the PIH risk index and the patient warnings (attr ``patient_warnings``, one per
    line) to a result; unchanged without a ``[patient]`` table."""
    if cfg is None:
        return ds
    import numpy as np

    e = float(ds["epidermal_injury"].values[0]) if "epidermal_injury" in ds else float("nan")
    infl = float(ds["inflammation"].max()) if "inflammation" in ds else float("nan")
    ds["pih_risk_index"] = ((), np.float64(pih_risk_index(cfg.phototype, e, infl)))
    ds.attrs["patient_phototype"] = PHOTOTYPE_NAMES[cfg.phototype - 1]
    ds.attrs["patient_keloid_history"] = int(cfg.keloid_history)
    ds.attrs["patient_warnings"] = "\n".join(patient_warnings(cfg))
    return ds
