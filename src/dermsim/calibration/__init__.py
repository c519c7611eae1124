"""Uncertainty: the literature data registry, Bayesian calibration of parameter cards against
it, posterior ensembles and fits to a user's own data.

Modules: ``registry`` (the published observations), ``priors`` (card → prior), ``operators``
(model result → observed quantity), ``likelihood``, ``sampler`` (emcee), ``posterior``
(NetCDF posterior ensembles), ``ensemble`` (``dermsim run --ensemble``), ``fit``
(``dermsim fit``) and ``command`` (the ``dermsim calibrate`` and ``fit`` commands).
Only the registry is imported here; the sampler is imported when a calibration runs.
"""

from dermsim.calibration.registry import (
    Observation,
    calibration_targets,
    load_registry,
    observation,
    target,
)

__all__ = ["Observation", "calibration_targets", "load_registry", "observation", "target"]
