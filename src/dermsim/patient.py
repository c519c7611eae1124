"""The patient: who is treated (``[patient]`` table).

Only the age is modelled.  It sets the collagen turnover of the untreated skin (the ongoing
age-related loss of dermal collagen, the basal MMP activity and the capacity of fibroblasts
to raise their synthesis); how each of these depends on age is a parameter card of the
remodelling model (``remodelling.age_*``).  Every treatment gain is reported against an
untreated twin of the same age.
"""

from __future__ import annotations

from dataclasses import dataclass

from dermsim.parameters import card, param_field, validate_dataclass

__all__ = ["PatientConfig"]


@dataclass(frozen=True)
class PatientConfig:
    """Parameters of the treated person (TOML table ``[patient]``)."""

    age_years: float = param_field(card(
        "patient.age_years", 45.0, "year", 18.0, 100.0,
        "assumption: a typical age of patients treated for photo-ageing (clinical cohorts "
        "of about 35-65 years)", "A",
        "age of the patient at the first session"))

    def __post_init__(self) -> None:
        validate_dataclass(self, "patient")
