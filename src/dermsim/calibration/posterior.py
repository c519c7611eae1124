"""Posterior ensembles as small NetCDF files: write, read, draw members, predictive bands.

A posterior Dataset has dims ``member`` and ``parameter`` (card names): ``value(member,
parameter)`` in card units, the prior of each parameter (``prior_value``, ``prior_sigma``,
``prior_log``, ``low``, ``high``), the chain (``chain(step, walker, parameter)``) and the
observations it was fitted to (``observed``, ``observed_sd``). ``dermsim run --posterior FILE
--ensemble N`` runs its members; the default posterior ships with the package.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from dermsim.calibration.priors import GaussianPrior, Prior
from dermsim.calibration.registry import Observation
from dermsim.errors import DermsimError

__all__ = ["DEFAULT_POSTERIOR", "draw_members", "open_posterior", "posterior_dataset",
           "predictive_band", "prior_from_posterior"]

#: File name of the posterior shipped in ``dermsim/data/posterior/``.
DEFAULT_POSTERIOR = "default.nc"


def posterior_dataset(priors: Sequence[Prior], obs: Sequence[Observation],
                      chain_theta: np.ndarray, log_prob: np.ndarray, burn: int, members: int,
                      rng: np.random.Generator) -> xr.Dataset:
    """Posterior Dataset from an emcee chain on θ (``(steps, walkers, ndim)``)."""
    from dermsim import __version__

    to_val = np.vectorize(lambda p, t: p.to_value(t), otypes=[float])
    names = [p.name for p in priors]
    chain = np.stack([to_val(priors[j], chain_theta[..., j]) for j in range(len(priors))], -1)
    flat = chain[burn:].reshape(-1, len(priors))
    flat_lp = log_prob[burn:].reshape(-1)
    keep = np.isfinite(flat_lp)
    flat, flat_lp = flat[keep], flat_lp[keep]
    if not len(flat):
        raise DermsimError("the calibration found no parameter set the model could run")
    pick = rng.choice(len(flat), size=min(members, len(flat)), replace=False)
    ds = xr.Dataset(coords={"parameter": ("parameter", names),
                            "member": ("member", np.arange(len(pick))),
                            "observation": ("observation", [o.id for o in obs])})
    ds["value"] = (("member", "parameter"), flat[pick],
                   {"long_name": "posterior draws (card units)"})
    ds["log_prob"] = ("member", flat_lp[pick], {"long_name": "log posterior (unnormalised)"})
    ds["chain"] = (("step", "walker", "parameter"), chain, {"long_name": "emcee chain"})
    for key, vals in (("prior_value", [p.value for p in priors]),
                      ("prior_sigma", [p.sigma for p in priors]),
                      ("prior_log", [int(p.log) for p in priors]),
                      ("low", [p.low for p in priors]), ("high", [p.high for p in priors])):
        ds[key] = ("parameter", np.asarray(vals, dtype=float))
    ds["unit"] = ("parameter", np.array([p.unit for p in priors], dtype=object))
    ds["tag"] = ("parameter", np.array([p.tag for p in priors], dtype=object))
    ds["observed"] = ("observation", [o.value for o in obs])
    ds["observed_sd"] = ("observation", [o.sd for o in obs])
    ds["observed_low"] = ("observation", [o.low for o in obs])
    ds["observed_high"] = ("observation", [o.high for o in obs])
    ds["observed_unit"] = ("observation", np.array([o.unit for o in obs], dtype=object))
    ds.attrs.update({"title": "dermsim posterior ensemble", "kind": "dermsim posterior",
                     "dermsim_version": __version__,
                     "created": datetime.now(UTC).isoformat(timespec="seconds"),
                     "sampler": "emcee (affine-invariant ensemble)",
                     "disclaimer": "research tool, not medical advice"})
    return ds


def predictive_band(post: xr.Dataset, forward: Any, n: int) -> xr.Dataset:
    """Add the posterior predictive 5/50/95 % of every observation (``n`` members re-run)."""
    names = [str(p) for p in post["parameter"].values]
    runs = [forward.predict(dict(zip(names, map(float, post["value"].values[m]))))
            for m in range(min(n, post.sizes["member"]))]
    pred = np.nanquantile(np.asarray(runs), [0.05, 0.5, 0.95], axis=0)
    post = post.assign_coords(quantile=("quantile", [0.05, 0.5, 0.95]))
    post["predictive"] = (("quantile", "observation"), pred,
                          {"long_name": "posterior predictive quantiles"})
    return post


def open_posterior(path: str | Path | None = None) -> xr.Dataset:
    """A posterior file (default: the one shipped with dermsim), checked for its layout."""
    try:
        if path is None:
            ref = resources.files("dermsim.data.posterior").joinpath(DEFAULT_POSTERIOR)
            with resources.as_file(ref) as p:
                ds = xr.load_dataset(p)
        else:
            ds = xr.load_dataset(path)
    except (OSError, ValueError) as exc:
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise DermsimError(f"posterior {path or DEFAULT_POSTERIOR}: cannot read: "
                           f"{first}") from None
    if ds.attrs.get("kind") != "dermsim posterior" or "value" not in ds:
        raise DermsimError(f"{path}: not a dermsim posterior (written by dermsim calibrate "
                           "or dermsim fit)")
    return ds


def draw_members(post: xr.Dataset, n: int, seed: int = 0) -> list[dict[str, float]]:
    """``n`` parameter sets from the posterior ensemble (without replacement while it lasts)."""
    m = post.sizes["member"]
    rng = np.random.default_rng(seed)
    idx = rng.permutation(m)[:n] if n <= m else rng.choice(m, size=n, replace=True)
    names = [str(p) for p in post["parameter"].values]
    return [dict(zip(names, map(float, post["value"].values[i]))) for i in idx]


def prior_from_posterior(post: xr.Dataset, priors: Sequence[Prior], source: str = "",
                         ) -> tuple[list[Prior], GaussianPrior]:
    """A posterior's members as the prior of a new calibration of ``priors``' parameters.

    The parameters the posterior holds get a multivariate normal on θ fitted to its members
    (:class:`GaussianPrior`); their :class:`Prior` entries keep the card range and transform
    but take the marginal centre and width (for the summary and figures). Other parameters
    keep their card priors.
    """
    names = [str(p) for p in post["parameter"].values]
    index = [j for j, p in enumerate(priors) if p.name in names]
    where = source or "posterior"
    if not index:
        raise DermsimError(f"{where}: holds none of the fitted parameters (it has "
                           f"{', '.join(names)}); choose them with --param")
    values = post["value"].values
    theta = np.empty((values.shape[0], len(index)))
    for k, j in enumerate(index):
        p = priors[j]
        v = values[:, names.index(p.name)].astype(float)
        if p.log and not np.all(v > 0):
            raise DermsimError(f"{where}: {p.name} has members <= 0 (a log-normal card)")
        theta[:, k] = np.log(v) if p.log else v
    joint = GaussianPrior.fit(index, theta, where)
    out = list(priors)
    for k, j in enumerate(index):
        p = priors[j]
        centre = float(joint.mean[k])
        out[j] = Prior(p.name, p.to_value(centre), p.unit, p.low, p.high, p.tag,
                       float(joint.sigma[k]), p.log)
    return out, joint
