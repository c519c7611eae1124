"""The forward model and the log posterior of a calibration.

:class:`ForwardModel` groups the observations by the scenario of their study, runs each
scenario once per parameter set (``dermsim.simulate``, parameters set by card name through
``dermsim.with_overrides``) and applies the observation operators. When only remodelling
parameters are calibrated the pipeline reuses its memoised session stages (penetration, RF,
signalling), so one evaluation costs one remodelling integration per scenario.
:class:`LogPosterior` adds the priors and a Gaussian likelihood with the registry's
uncertainties.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from dermsim.calibration.operators import apply_operator, observation_table, scenario_key
from dermsim.calibration.priors import GaussianPrior, Prior
from dermsim.calibration.registry import Observation
from dermsim.errors import DermsimError

__all__ = ["ForwardModel", "LogPosterior", "informative"]

#: Card prefixes whose change alters the penetration stage (the only stage the
#: ``effective_depth`` operator reads).
PENETRATION_PREFIXES = ("penetration.", "device.", "skin.")


def informative(obs: Observation, params: Sequence[str]) -> bool:
    """Whether ``obs`` can change when ``params`` change (depth observations respond only to
    penetration, device and skin parameters)."""
    if obs.operator == "effective_depth":
        return any(p.startswith(PENETRATION_PREFIXES) for p in params)
    return obs.operator != "none" and obs.output != "-"


class ForwardModel:
    """Model values of a list of observations for a parameter set (by card name)."""

    def __init__(self, observations: Sequence[Observation],
                 grid: Mapping[str, float] | None = None,
                 scenario_overrides: Mapping[str, Any] | None = None,
                 scenario_table: Mapping[str, Any] | None = None) -> None:
        self.observations = list(observations)
        self.groups: dict[str, tuple[dict[str, Any], list[int]]] = {}
        self.scenario_overrides = dict(scenario_overrides or {})
        for i, obs in enumerate(self.observations):
            # a fit's observations all come from the user's scenario
            table = dict(scenario_table) if scenario_table is not None else \
                observation_table(obs, grid)
            key = scenario_key(table)
            self.groups.setdefault(key, (table, []))[1].append(i)

    def scenario(self, table: Mapping[str, Any], values: Mapping[str, float]) -> Any:
        from dermsim.config import load_scenario, with_overrides

        sc = load_scenario(dict(table))
        merged = {**self.scenario_overrides, **values}
        return with_overrides(sc, merged) if merged else sc

    def run(self, table: Mapping[str, Any], values: Mapping[str, float],
            depth_only: bool) -> Any:
        """The result of one study scenario (a penetration-only stand-in when every
        observation of it is an effective depth)."""
        sc = self.scenario(table, values)
        if depth_only:
            import xarray as xr

            from dermsim.penetration import penetrate

            res = penetrate(sc.device, sc.stack(), sc.penetration, np.random.default_rng(0))
            return xr.Dataset({"effective_depth": ("session", [res.mean_effective_depth_um])})
        from dermsim.pipeline import simulate

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            return simulate(sc)

    def predict(self, values: Mapping[str, float]) -> np.ndarray:
        """Model value of every observation (NaN where a run or operator fails)."""
        out = np.full(len(self.observations), math.nan)
        for table, idx in self.groups.values():
            obs = [self.observations[i] for i in idx]
            depth_only = all(o.operator == "effective_depth" for o in obs)
            try:
                ds = self.run(table, values, depth_only)
            except DermsimError:
                continue
            for i, o in zip(idx, obs):
                try:
                    out[i] = apply_operator(o, ds)
                except (DermsimError, ValueError, IndexError):
                    pass
        return out


class LogPosterior:
    """log p(θ | data) up to a constant: priors of the cards (or a joint normal prior
    fitted to an earlier posterior, ``joint``) plus a Gaussian likelihood.

    Observations with a value use ``-(m - y)² / 2sd²``; direction-only observations (no value)
    add ``-(distance outside [low, high])² / 2s²`` with ``s`` = 10 % of the window edge, so
    they act as soft bounds. A failed run gives ``-inf``.
    """

    def __init__(self, priors: Sequence[Prior], forward: ForwardModel,
                 joint: GaussianPrior | None = None) -> None:
        self.priors = list(priors)
        self.forward = forward
        #: a joint normal prior (from a posterior) replacing the card priors of its parameters;
        #: those keep only their card ranges
        self.joint = joint
        obs = forward.observations
        self.y = np.array([o.value for o in obs])
        self.sd = np.array([o.sd for o in obs])
        self.low = np.array([o.low for o in obs])
        self.high = np.array([o.high for o in obs])

    def values(self, theta: Sequence[float]) -> dict[str, float]:
        return {p.name: p.to_value(float(t)) for p, t in zip(self.priors, theta)}

    def log_prior(self, theta: Sequence[float]) -> float:
        if self.joint is None:
            return float(sum(p.log_pdf(float(t)) for p, t in zip(self.priors, theta)))
        lp = self.joint.log_pdf(theta)
        for j, (p, t) in enumerate(zip(self.priors, theta)):
            v = p.log_pdf(float(t))
            if not math.isfinite(v):
                return -math.inf
            lp += 0.0 if j in self.joint.index else v
        return lp

    def log_likelihood(self, model: np.ndarray) -> float:
        if not np.all(np.isfinite(model)):
            return -math.inf
        has = np.isfinite(self.y)
        ll = -0.5 * float(np.sum(((model[has] - self.y[has]) / self.sd[has]) ** 2))
        for m, lo, hi in zip(model[~has], self.low[~has], self.high[~has]):
            edge = lo if m < lo else hi if m > hi else None
            if edge is not None:
                s = max(0.1 * abs(edge), 1.0)
                ll -= 0.5 * ((m - edge) / s) ** 2
        return ll

    def __call__(self, theta: Sequence[float]) -> float:
        lp = self.log_prior(theta)
        if not math.isfinite(lp):
            return -math.inf
        try:
            ll = self.log_likelihood(self.forward.predict(self.values(theta)))
        except DermsimError:
            return -math.inf
        return lp + ll if math.isfinite(ll) else -math.inf
