"""Bayesian calibration with emcee (affine-invariant ensemble sampler; Goodman & Weare 2010,
Foreman-Mackey 2013): priors from the cards, likelihood from the literature registry.

:func:`calibrate` returns the posterior as a :class:`xarray.Dataset` (see
:mod:`dermsim.calibration.posterior`), with the integrated autocorrelation time of every
parameter and the acceptance fraction as convergence diagnostics, and the posterior
predictive 5–95 % band of every observation.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import xarray as xr

from dermsim.calibration.check import add_registry_check
from dermsim.calibration.likelihood import ForwardModel, LogPosterior, informative
from dermsim.calibration.pool import worker_pool
from dermsim.calibration.posterior import (
    posterior_dataset,
    predictive_band,
    prior_from_posterior,
)
from dermsim.calibration.priors import priors_for
from dermsim.calibration.registry import Observation, calibration_targets
from dermsim.errors import DermsimError

__all__ = ["CALIBRATION_COLUMN_UM", "DEFAULT_PARAMETERS", "calibrate", "select_observations"]

#: Remodelling column width of the study runs [um]: the observations are dermis or
#: injured-band means, which move by < 0.05 day (timing) between 50 and 250 um columns, while
#: an evaluation costs 3.4x less (numerics choice, measured on the calibration grid).
CALIBRATION_COLUMN_UM = 250.0

#: Cards calibrated by default: those the registry's timing, erythema and magnitude
#: observations inform (every other card stays at its prior, i.e. its card value).
DEFAULT_PARAMETERS: tuple[str, ...] = (
    "remodelling.neutrophil_half_life_day",
    "remodelling.macrophage_removal_per_day",
    "remodelling.fibroblast_apoptosis_per_day",
    "remodelling.synthesis_fold_max",
    "remodelling.collagen_half_life_y",
    "remodelling.erythema_mediator_half_life_h",
    "remodelling.erythema_flare_level",
)


def select_observations(params: Sequence[str],
                        ids: Sequence[str] | None = None) -> list[Observation]:
    """The calibration observations the parameters can move (all registry ``calibration``
    rows, or ``ids``)."""
    obs = [o for o in calibration_targets(ids) if informative(o, params)]
    if not obs:
        raise DermsimError("no registry observation is informative for the chosen parameters")
    return obs


def _start(priors: Sequence[Any], walkers: int, rng: np.random.Generator) -> np.ndarray:
    """Initial walkers: a small ball (0.1 prior σ) around the card values, inside the range."""
    p0 = np.empty((walkers, len(priors)))
    for j, p in enumerate(priors):
        col: list[float] = []
        while len(col) < walkers:
            t = p.centre + 0.1 * p.sigma * rng.standard_normal()
            if math.isfinite(p.log_pdf(t)):
                col.append(t)
        p0[:, j] = col
    return p0


def _draw_prior(logp: LogPosterior, walkers: int, rng: np.random.Generator) -> np.ndarray:
    """Initial walkers drawn from the prior (the joint normal where there is one; rejection
    inside the card ranges)."""
    priors = logp.priors
    p0 = np.stack([p.sample(rng, walkers) for p in priors], axis=1)
    joint = logp.joint
    if joint is None:
        return p0
    idx = list(joint.index)
    filled = 0
    for _ in range(1000):
        for th in joint.sample(rng, 4 * walkers):
            row = p0[filled].copy()
            row[idx] = th
            if math.isfinite(logp.log_prior(row)):
                p0[filled] = row
                filled += 1
                if filled == walkers:
                    return p0
    raise DermsimError("the prior from the posterior has almost no mass inside the card ranges")


def calibrate(params: Sequence[str] = DEFAULT_PARAMETERS,
              observation_ids: Sequence[str] | None = None,
              walkers: int | None = None, steps: int = 200, burn: int | None = None,
              members: int = 64, predictive_members: int = 16, seed: int = 0,
              grid: Mapping[str, float] | None = None, progress: bool = False,
              observations: Sequence[Observation] | None = None,
              scenario_overrides: Mapping[str, Any] | None = None,
              scenario_table: Mapping[str, Any] | None = None,
              start: str = "ball", prior: xr.Dataset | None = None,
              prior_source: str = "", column_um: float | None = CALIBRATION_COLUMN_UM,
              workers: int = 1, registry_check: bool = True) -> xr.Dataset:
    """Sample the posterior of ``params`` given the registry observations.

    Parameters
    ----------
    params
        Parameter-card names (e.g. ``"remodelling.synthesis_fold_max"``).
    observation_ids
        Registry ids to fit (default: every ``calibration`` row the parameters inform).
    walkers, steps, burn
        emcee ensemble size (default ``max(2·len(params) + 2, 8)``), steps per walker and
        discarded steps (default ``steps // 3``).
    members
        Size of the posterior ensemble kept (thinned draws of the chain).
    predictive_members
        Members re-run for the posterior predictive band of each observation (0: skip).
    grid
        Scenario grid of the study runs (default
        :data:`dermsim.calibration.operators.CALIBRATION_GRID`).
    observations
        Observations to use instead of registry rows (``dermsim fit`` passes the user's).
    scenario_overrides
        Card values applied to every study scenario.
    scenario_table
        One scenario (a plain table) for every observation instead of each study's protocol
        (``dermsim fit``).
    start
        Initial walkers: ``"ball"`` (0.1 prior σ around the card values) or ``"prior"``
        (draws from the priors: slower to converge, but not anchored at the card values).
    column_um
        Width of the remodelling columns of the study runs [um] (``None``: the scenario's);
        see :data:`CALIBRATION_COLUMN_UM`.
    workers
        Processes that evaluate walkers (and predictive members) in parallel.
    registry_check
        Also re-run ``predictive_members`` members on every checkable registry observation,
        fitted or not (:func:`dermsim.calibration.check.add_registry_check`).
    prior, prior_source
        A posterior Dataset (and its file name) whose members are the prior of the
        parameters it holds: a multivariate normal on θ fitted to them
        (:func:`~dermsim.calibration.posterior.prior_from_posterior`), truncated to the card
        ranges; the other parameters keep their card priors.
    """
    try:
        import emcee
    except ImportError:
        raise DermsimError("calibration needs emcee: pip install 'dermsim[calibrate]'") from None

    params = list(params)
    priors = priors_for(params)
    joint = None
    if prior is not None:
        priors, joint = prior_from_posterior(prior, priors, prior_source)
    obs = list(observations) if observations is not None else \
        select_observations(params, observation_ids)
    overrides = dict(scenario_overrides or {})
    if column_um is not None:
        overrides.setdefault("remodelling.cell_width_um", float(column_um))
    forward = ForwardModel(obs, grid, overrides, scenario_table)
    logp = LogPosterior(priors, forward, joint)
    ndim = len(params)
    walkers = walkers or max(2 * ndim + 2, 8)
    if walkers < 2 * ndim:
        raise DermsimError(f"--walkers must be at least {2 * ndim} (twice the parameters)")
    if steps < 2:
        raise DermsimError("--steps must be at least 2")
    burn = steps // 3 if burn is None else burn
    if not 0 <= burn < steps:
        raise DermsimError(f"--burn must be in [0, {steps - 1}]")
    if column_um is not None and not 10.0 <= column_um <= 500.0:
        raise DermsimError(f"--column-um must be in [10, 500] um, got {column_um:g}")
    if workers < 1:
        raise DermsimError(f"--workers must be at least 1, got {workers}")
    rng = np.random.default_rng(seed)
    p0 = _start(priors, walkers, rng) if start == "ball" else _draw_prior(logp, walkers, rng)
    with worker_pool(workers) as pool:
        sampler = emcee.EnsembleSampler(walkers, ndim, logp, pool=pool)
        sampler.random_state = np.random.RandomState(seed).get_state()
        sampler.run_mcmc(p0, steps, progress=progress)
        post = _posterior(sampler, priors, obs, burn, members, rng, walkers, steps, seed, grid)
        post.attrs["remodelling_column_um"] = float(column_um) if column_um else "scenario"
        post.attrs["prior"] = (
            f"multivariate normal on the sampler scale fitted to the {prior.sizes['member']} "
            f"members of {prior_source or 'a posterior'} "
            f"({', '.join(priors[j].name for j in joint.index)}); card priors for the others"
            if joint is not None and prior is not None else "parameter cards")
        if predictive_members:
            post = predictive_band(post, forward, predictive_members)
            if registry_check and scenario_table is None:
                post = add_registry_check(post, predictive_members, grid, overrides,
                                          map_fn=pool.imap if pool is not None else map)
    return post


def _posterior(sampler: Any, priors: Sequence[Any], obs: Sequence[Observation], burn: int,
               members: int, rng: np.random.Generator, walkers: int, steps: int, seed: int,
               grid: Mapping[str, float] | None) -> xr.Dataset:
    """The posterior Dataset of a finished sampler, with its convergence diagnostics."""
    chain = sampler.get_chain()  # (steps, walkers, ndim) on θ
    lp = sampler.get_log_prob()
    with warnings.catch_warnings():  # short chains: emcee warns and may divide 0 by 0
        warnings.simplefilter("ignore")
        tau = np.asarray(sampler.get_autocorr_time(discard=burn, quiet=True, tol=0))
    post = posterior_dataset(priors, obs, chain, lp, burn, members, rng)
    post["autocorr_time"] = ("parameter", tau, {
        "units": "step", "long_name": "integrated autocorrelation time (emcee)",
        "comment": "reliable when the chain after burn-in is > 50 autocorrelation times"})
    post.attrs.update({"walkers": walkers, "steps": steps, "burn": burn, "seed": seed,
                       "acceptance_fraction": float(np.mean(sampler.acceptance_fraction)),
                       "grid": str(dict(grid or {})) or "default",
                       "converged": int(bool(np.all((steps - burn) > 50 * tau)))})
    return post
