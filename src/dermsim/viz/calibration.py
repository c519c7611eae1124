"""Figures of the calibration: prior vs posterior of every parameter, the posterior
predictive band of every observation, and a user's data against the model band
(``dermsim fit``)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from dermsim.viz.style import styled

__all__ = ["ensemble_figure", "fit_figure", "predictive_figure", "prior_posterior_figure"]


def _prior_density(post: Any, j: int, x: np.ndarray) -> np.ndarray:
    mu, s = float(post["prior_value"].values[j]), float(post["prior_sigma"].values[j])
    lo, hi = float(post["low"].values[j]), float(post["high"].values[j])
    inside = (x >= lo) & (x <= hi)
    if post["prior_log"].values[j]:
        xp = np.where(x > 0, x, np.nan)
        z = (np.log(xp) - math.log(mu)) / s
        d = np.exp(-0.5 * z**2) / (xp * s * math.sqrt(2 * math.pi))
    else:
        d = np.exp(-0.5 * ((x - mu) / s) ** 2) / (s * math.sqrt(2 * math.pi))
    return np.where(inside, np.nan_to_num(d), 0.0)


@styled
def prior_posterior_figure(post: Any) -> Any:
    """One panel per calibrated parameter: prior density (line) and posterior histogram of
    the chain after burn-in, the card value dashed."""
    import matplotlib.pyplot as plt

    names = [str(p) for p in post["parameter"].values]
    n = len(names)
    cols = min(3, n)
    rows = math.ceil(n / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 3.0 * rows), squeeze=False)
    burn = int(post.attrs.get("burn", 0))
    chain = post["chain"].values[burn:]
    for j, name in enumerate(names):
        ax = axes[j // cols][j % cols]
        draws = chain[..., j].ravel()
        mu = float(post["prior_value"].values[j])
        lo = min(draws.min(), mu / 4 if post["prior_log"].values[j] else mu - 3)
        hi = max(draws.max(), mu * 4 if post["prior_log"].values[j] else mu + 3)
        lo, hi = max(lo, float(post["low"].values[j])), min(hi, float(post["high"].values[j]))
        x = np.linspace(lo, hi, 300)
        ax.hist(draws, bins=30, density=True, color="C1", alpha=0.6, label="posterior")
        ax.plot(x, _prior_density(post, j, x), color="C0", label="prior")
        ax.axvline(mu, color="k", ls="--", lw=0.8, label="card value")
        tau = post["autocorr_time"].values[j] if "autocorr_time" in post else float("nan")
        ax.set_title(f"{name.split('.', 1)[-1]}\nτ = {tau:.1f} steps", fontsize=9)
        ax.set_xlabel(str(post["unit"].values[j]))
    for k in range(n, rows * cols):
        axes[k // cols][k % cols].set_visible(False)
    axes[0][0].legend(fontsize=8)
    fig.suptitle(f"prior vs posterior ({post.attrs.get('walkers')} walkers × "
                 f"{post.attrs.get('steps')} steps, burn-in {burn})")
    fig.tight_layout()
    return fig


@styled
def predictive_figure(post: Any) -> Any:
    """Observed value ± sd (and target window) vs the posterior predictive 5–95 % band."""
    import matplotlib.pyplot as plt

    ids = [str(o) for o in post["observation"].values]
    fig, axes = plt.subplots(1, len(ids), figsize=(2.2 * len(ids), 3.2), squeeze=False)
    for k, oid in enumerate(ids):
        ax = axes[0][k]
        y, sd = float(post["observed"].values[k]), float(post["observed_sd"].values[k])
        ax.errorbar([0], [y], yerr=[sd] if math.isfinite(sd) else None, fmt="o", color="k",
                    label="observed ± sd")
        if "predictive" in post:
            q = post["predictive"].values[:, k]
            ax.errorbar([1], [q[1]], yerr=[[q[1] - q[0]], [q[2] - q[1]]], fmt="s", color="C1",
                        label="model 5–95 %")
        ax.set_xticks([0, 1], ["data", "model"])
        ax.set_xlim(-0.6, 1.6)
        ax.set_title(oid, fontsize=7)
        ax.set_ylabel(str(post["observed_unit"].values[k]))
    axes[0][0].legend(fontsize=7)
    fig.tight_layout()
    return fig


@styled
def fit_figure(post: Any) -> Any:
    """``dermsim fit``: the user's data against the fitted model band (same layout as
    :func:`predictive_figure`)."""
    return predictive_figure(post)


@styled
def ensemble_figure(ens: Any) -> Any:
    """Dermis-mean collagen I and III change of a posterior ensemble: median and 5–95 %
    band over time, with the session days marked."""
    import matplotlib.pyplot as plt

    from dermsim.viz.style import session_marks

    names = [n for n in ("dermis_collagen_I_change", "dermis_collagen_III_change") if n in ens]
    fig, ax = plt.subplots(figsize=(7.0, 3.6))
    t = ens["time"].values
    for k, name in enumerate(names):
        q = ens[name].values
        lab = name.replace("dermis_", "").replace("_change", "").replace("_", " ")
        ax.fill_between(t, q[0], q[2], color=f"C{k}", alpha=0.25, lw=0,
                        label=f"{lab}: 5–95 %")
        ax.plot(t, q[1], color=f"C{k}", label=f"{lab}: median")
    days = ens.attrs.get("session_days")
    if days is not None:
        session_marks(ax, np.atleast_1d(days))
    ax.axhline(0, color="k", lw=0.5)
    ax.set_xlabel("time [day]")
    ax.set_ylabel("change vs baseline, dermis mean [%]")
    ax.set_title(f"{ens.attrs.get('scenario', '')}: {ens.attrs.get('members')} posterior members")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig
