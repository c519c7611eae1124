"""Priors of the calibrated parameters, derived from their parameter cards.

A card gives a value, an allowed range and an evidence tag. The prior of a positive parameter
is log-normal around the card value, truncated to the card range; its width in natural-log
units follows the evidence tag (:data:`TAG_SIGMA`): a value read from the source (``V``)
is known to about ±10 %, a computed one (``C``) ±20 %, a secondary-source one (``S``) ±35 %,
an unverified prior (``U``) within a factor ~1.6 and a modelling assumption (``A``) within a
factor ~2 (one standard deviation; numerics choice). A parameter whose card value is 0 or
whose range includes 0 gets a normal prior of standard deviation ``TAG_SIGMA × range / 2``,
truncated to the range.

The sampler works on θ (log of the value for log-normal priors, the value itself otherwise).

A posterior can serve as the prior of a new fit (``dermsim fit --prior-posterior FILE``):
:class:`GaussianPrior` is the multivariate normal on θ with the mean and covariance of the
posterior's members (a Gaussian approximation of the posterior; its correlations are kept),
still truncated to the card ranges.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from dermsim.errors import DermsimError

__all__ = ["TAG_SIGMA", "GaussianPrior", "Prior", "card_by_name", "prior_for", "priors_for"]

#: Prior standard deviation (natural-log units) by evidence tag (numerics choice).
TAG_SIGMA: dict[str, float] = {"V": 0.10, "C": 0.20, "S": 0.35, "U": 0.50, "A": 0.70}


def card_by_name(name: str) -> object:
    """The parameter card ``name`` (the stage modules are imported so their cards exist)."""
    import importlib

    for mod in ("dermsim.config", "dermsim.remodelling", "dermsim.signalling",
                "dermsim.thermal", "dermsim.penetration"):
        importlib.import_module(mod)
    from dermsim.parameters import registered_cards, suggest

    cards = {c.name: c for c in registered_cards()}
    if name not in cards:
        raise DermsimError(f"no parameter card {name!r}{suggest(name, cards)}")
    return cards[name]


@dataclass(frozen=True)
class Prior:
    """Truncated log-normal (``log=True``) or normal prior of one parameter card."""

    name: str
    value: float
    unit: str
    low: float
    high: float
    tag: str
    sigma: float
    log: bool

    @property
    def centre(self) -> float:
        """Prior centre on the sampler's θ scale."""
        return math.log(self.value) if self.log else self.value

    def to_value(self, theta: float) -> float:
        return math.exp(theta) if self.log else theta

    def to_theta(self, value: float) -> float:
        return math.log(value) if self.log else value

    def log_pdf(self, theta: float) -> float:
        """Log density on θ, up to a constant; ``-inf`` outside the card range."""
        x = self.to_value(theta)
        if not (self.low <= x <= self.high) or not math.isfinite(theta):
            return -math.inf
        return -0.5 * ((theta - self.centre) / self.sigma) ** 2

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """``n`` draws on θ (rejection inside the card range)."""
        out: list[float] = []
        while len(out) < n:
            th = rng.normal(self.centre, self.sigma, size=4 * n)
            out += [t for t in th if math.isfinite(self.log_pdf(float(t)))]
        return np.asarray(out[:n])

    def describe(self) -> str:
        kind = (f"log-normal, σ(ln) = {self.sigma:g}" if self.log
                else f"normal, σ = {self.sigma:.3g} {self.unit}")
        return (f"{self.name}: {self.value:g} {self.unit} [{self.tag}], {kind}, within "
                f"[{self.low:g}, {self.high:g}]")


def prior_for(name: str, widen: float = 1.0) -> Prior:
    """The prior of parameter card ``name`` (``widen`` multiplies its width)."""
    c = card_by_name(name)
    value, low, high = float(c.value), float(c.low), float(c.high)  # type: ignore[attr-defined]
    tag, unit = str(c.tag), str(c.unit)  # type: ignore[attr-defined]
    if getattr(c, "integer", False):
        raise DermsimError(f"{name} is a whole number: it cannot be calibrated")
    sigma = TAG_SIGMA[tag] * widen
    if value > 0 and low >= 0:
        return Prior(name, value, unit, max(low, value * 1e-6), high, tag, sigma, True)
    span = (high - low) if math.isfinite(high - low) else max(abs(value), 1.0)
    return Prior(name, value, unit, low, high, tag, sigma * span / 2.0, False)


def priors_for(names: Sequence[str], widen: float = 1.0) -> list[Prior]:
    """Priors of several cards (in order; duplicates rejected)."""
    if len(set(names)) != len(names):
        raise DermsimError("a calibrated parameter is named twice")
    return [prior_for(n, widen) for n in names]


@dataclass(frozen=True, eq=False)
class GaussianPrior:
    """Multivariate normal prior on θ of the parameters at positions ``index`` of a
    calibration (fitted to the members of a posterior: ``source``)."""

    index: tuple[int, ...]
    mean: np.ndarray  # (k,) on θ
    cov: np.ndarray  # (k, k) on θ
    source: str = ""

    @classmethod
    def fit(cls, index: Sequence[int], theta: np.ndarray, source: str = "") -> GaussianPrior:
        """The normal of the sample ``theta`` (n, k) (n >= 2); a degenerate direction (e.g.
        fewer members than parameters) keeps a tiny variance so the density stays proper."""
        theta = np.asarray(theta, dtype=float)
        if theta.ndim != 2 or theta.shape[0] < 2 or not np.all(np.isfinite(theta)):
            raise DermsimError(f"{source or 'posterior'}: needs at least 2 finite members to "
                               "serve as a prior")
        cov = np.atleast_2d(np.cov(theta, rowvar=False))
        scale = np.maximum(np.diag(cov), 1e-12)
        cov = cov + 1e-9 * np.diag(scale)
        return cls(tuple(int(i) for i in index), theta.mean(axis=0), cov, source)

    @property
    def sigma(self) -> np.ndarray:
        """Marginal standard deviations on θ."""
        return np.sqrt(np.diag(self.cov))

    def log_pdf(self, theta: Sequence[float]) -> float:
        """Log density of the full θ vector's entries at :attr:`index` (up to a constant)."""
        d = np.asarray(theta, dtype=float)[list(self.index)] - self.mean
        return float(-0.5 * d @ np.linalg.solve(self.cov, d))

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """``n`` draws (n, k) on θ (no truncation)."""
        return rng.multivariate_normal(self.mean, self.cov, size=n)
