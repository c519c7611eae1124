"""Posterior predictive check of the whole literature registry.

Every registry observation whose operator is computed from a pipeline result (timing,
magnitude, downtime, depth, ultrasound read-outs, …) is re-run for posterior members, fitted
or not, and its 5/50/95 % predictive quantiles are stored in the posterior file on the dim
``registry_observation``. :func:`registry_table` writes the table of docs/validation.md
(observation, observed ± sd, posterior predictive 5–95 %, inside or not) from that file, so the
page's numbers come from the shipped posterior.

An observation counts as **inside** when the predictive 5–95 % band overlaps the observed
value ± its stated sd or, where it is wider, the published window ``[low, high]`` (a bound
such as "still elevated after 6 weeks" is the window [42 d, ∞)); direction-only observations
use the window.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import xarray as xr

from dermsim.calibration.likelihood import ForwardModel
from dermsim.calibration.registry import Observation, load_registry

__all__ = ["MODEL_OPERATORS", "SECTION_END", "SECTION_START", "add_registry_check", "checkable",
           "inside", "posterior_section", "recheck", "registry_observations", "registry_table",
           "write_section"]

#: Operators :func:`dermsim.calibration.operators.apply_operator` computes from a result.
MODEL_OPERATORS = frozenset({
    "effective_depth", "downtime_h", "value_at", "value_after_last", "peak_day",
    "first_peak_h", "second_peak_day", "ratio_to_peak", "rise90_day", "elevated_until_day",
    "maximum", "replacement_day"})


def checkable(obs: Observation) -> bool:
    """Whether the forward model computes ``obs`` from a pipeline result."""
    return obs.operator in MODEL_OPERATORS and obs.output != "-" and bool(obs.device)


def registry_observations() -> list[Observation]:
    """Every checkable registry observation, in registry order."""
    return [o for o in load_registry().values() if checkable(o)]


def inside(q05: float, q95: float, obs: Observation) -> bool:
    """Whether the band ``[q05, q95]`` overlaps the observation's stated uncertainty (value ±
    sd, widened to the published window ``[low, high]``)."""
    if not (math.isfinite(q05) and math.isfinite(q95)):
        return False
    lo, hi = obs.low, obs.high
    if math.isfinite(obs.value):  # value ± sd, or the published window where it is wider
        lo, hi = min(obs.value - obs.sd, lo), max(obs.value + obs.sd, hi)
    return q05 <= hi and q95 >= lo


def add_registry_check(post: xr.Dataset, n: int, grid: Mapping[str, float] | None = None,
                       scenario_overrides: Mapping[str, Any] | None = None,
                       progress: Callable[[int, int], None] | None = None,
                       map_fn: Callable[..., Any] = map) -> xr.Dataset:
    """Add the posterior predictive quantiles of every checkable registry observation.

    Parameters
    ----------
    post
        Posterior Dataset (``value(member, parameter)``).
    n
        Members re-run (the first ``n``).
    grid, scenario_overrides
        As for the calibration runs (:class:`ForwardModel`).
    progress
        Called with (done, total) after each member.
    map_fn
        ``map`` or a process pool's ``imap`` (members run in parallel).
    """
    post = post.drop_vars([v for v in post.variables if str(v).startswith("registry_")],
                          errors="ignore").drop_dims("registry_observation", errors="ignore")
    obs = registry_observations()
    forward = ForwardModel(obs, grid, scenario_overrides)
    names = [str(p) for p in post["parameter"].values]
    m = min(n, post.sizes["member"])
    members = [dict(zip(names, map(float, post["value"].values[k]))) for k in range(m)]
    runs = []
    for k, pred in enumerate(map_fn(forward.predict, members)):
        runs.append(pred)
        if progress is not None:
            progress(k + 1, m)
    q = np.nanquantile(np.asarray(runs), [0.05, 0.5, 0.95], axis=0) if runs else \
        np.full((3, len(obs)), math.nan)
    fitted = set(str(o) for o in post["observation"].values) if "observation" in post.dims \
        else set()
    dim = "registry_observation"
    post = post.assign_coords({dim: (dim, [o.id for o in obs]),
                               "quantile": ("quantile", [0.05, 0.5, 0.95])})
    post["registry_predictive"] = (("quantile", dim), q, {
        "long_name": "posterior predictive quantiles of every checkable registry observation",
        "members": m})
    for key, vals in (("registry_observed", [o.value for o in obs]),
                      ("registry_sd", [o.sd for o in obs]),
                      ("registry_low", [o.low for o in obs]),
                      ("registry_high", [o.high for o in obs])):
        post[key] = (dim, np.asarray(vals, dtype=float))
    post["registry_unit"] = (dim, np.array([o.unit for o in obs], dtype=object))
    post["registry_fitted"] = (dim, np.array([o.id in fitted for o in obs], dtype=np.int8), {
        "long_name": "1 where the observation is in the calibration likelihood"})
    return post


def registry_table(post: xr.Dataset, observations: Sequence[Observation] | None = None) -> str:
    """Markdown table of the registry check stored in ``post`` (see :func:`add_registry_check`).

    Columns: observation, observed (± sd, or the direction window), posterior predictive
    5–95 % (median), fitted in the calibration or not, inside or not.
    """
    reg = {o.id: o for o in (observations or load_registry().values())}
    lines = ["| observation | observed | posterior predictive 5–95 % (median) | fitted | "
             "inside |", "|---|---|---|---|---|"]
    n_in = 0
    ids = [str(i) for i in post["registry_observation"].values]
    for k, oid in enumerate(ids):
        o = reg[oid]
        q = post["registry_predictive"].values[:, k]
        unit = "" if o.unit == "1" else f" {o.unit}"
        if math.isfinite(o.value):
            seen = f"{o.value:.4g} ± {o.sd:.2g}{unit}"
        else:
            seen = f"in [{o.low:g}, {o.high:g}]{unit}"
        band = f"{q[0]:.4g}–{q[2]:.4g} ({q[1]:.4g}){unit}" if np.all(np.isfinite(q)) else \
            "not computed"
        ok = inside(float(q[0]), float(q[2]), o)
        n_in += ok
        fitted = "yes" if int(post["registry_fitted"].values[k]) else "no"
        lines.append(f"| `{oid}` ({o.quantity}) | {seen} | {band} | {fitted} | "
                     f"{'yes' if ok else '**no**'} |")
    members = int(post["registry_predictive"].attrs.get("members", 0))
    lines += ["", f"{n_in} of {len(ids)} observations inside ({members} posterior members)."]
    return "\n".join(lines)


#: Markers of the generated section in docs/uncertainty.md.
SECTION_START = "<!-- shipped-posterior: generated by python -m dermsim.calibration.check -->"
SECTION_END = "<!-- shipped-posterior: end -->"


def posterior_section(post: xr.Dataset) -> str:
    """Markdown description of a posterior file: how it was made, its convergence, each
    parameter's card value and posterior, and the summary of its registry check."""
    a = post.attrs
    after = int(a["steps"]) - int(a["burn"])
    tau = post["autocorr_time"].values.astype(float)
    tmax = float(np.max(tau)) if np.all(np.isfinite(tau)) else math.nan
    tau_text = (f"{after / tmax:.0f} times the longest autocorrelation time ({tmax:.1f} steps)"
                if math.isfinite(tmax) else "too short to estimate autocorrelation times")
    lines = [SECTION_START, "", "```bash", str(a.get("command", "dermsim calibrate")), "```", "",
             f"{a['walkers']} walkers × {a['steps']} steps, burn-in {a['burn']}, acceptance "
             f"fraction {float(a['acceptance_fraction']):.2f}; {after} steps after burn-in are "
             + tau_text + (" — converged by the 50 τ rule." if
                                                 int(a.get("converged", 0)) else
                                                 " — short of the 50 τ rule of a converged "
                                                 "chain."), "",
             "| card | card value [tag] | posterior median (5–95 %) | prior 5–95 % | τ [steps] |",
             "|---|---|---|---|---|"]
    for j, name in enumerate(post["parameter"].values):
        v = post["value"].values[:, j]
        q = np.quantile(v, [0.05, 0.5, 0.95])
        c, s = float(post["prior_value"].values[j]), float(post["prior_sigma"].values[j])
        lo_b, hi_b = float(post["low"].values[j]), float(post["high"].values[j])
        if int(post["prior_log"].values[j]):
            plo, phi = c * math.exp(-1.645 * s), c * math.exp(1.645 * s)
        else:
            plo, phi = c - 1.645 * s, c + 1.645 * s
        plo, phi = max(plo, lo_b), min(phi, hi_b)
        unit = str(post["unit"].values[j])
        lines.append(f"| `{name}` | {c:.4g} [{post['tag'].values[j]}] | {q[1]:.3g} "
                     f"({q[0]:.3g}–{q[2]:.3g}) {unit} | {plo:.3g}–{phi:.3g} | {tau[j]:.1f} |")
    if "registry_predictive" in post:
        n = post.sizes["registry_observation"]
        ok = sum(inside(float(post["registry_predictive"].values[0, k]),
                        float(post["registry_predictive"].values[2, k]), o)
                 for k, o in enumerate(_registry_rows(post)))
        lines += ["", f"Registry check: {ok} of {n} observations the model computes lie inside "
                      "their stated uncertainty under this posterior (table in "
                      "docs/validation.md)."]
    lines += ["", SECTION_END]
    return "\n".join(lines)


def _registry_rows(post: xr.Dataset) -> list[Observation]:
    reg = load_registry()
    return [reg[str(i)] for i in post["registry_observation"].values]


def write_section(path: str, post: xr.Dataset) -> None:
    """Replace the generated section of ``path`` (between the markers) by
    :func:`posterior_section`."""
    from pathlib import Path

    p = Path(path)
    text = p.read_text(encoding="utf-8")
    i, j = text.find(SECTION_START), text.find(SECTION_END)
    if i < 0 or j < 0:
        raise SystemExit(f"{path}: markers of the generated section not found")
    p.write_text(text[:i] + posterior_section(post) + text[j + len(SECTION_END):],
                 encoding="utf-8")


def recheck(path: str, n: int = 16, workers: int = 1) -> None:
    """Re-run the registry check of the posterior file ``path`` on the present model (after a
    model change that leaves the calibrated cards' meaning alone) and rewrite the file."""
    import ast

    from dermsim.calibration.pool import worker_pool
    from dermsim.calibration.posterior import open_posterior
    from dermsim.io import write_netcdf

    post = open_posterior(path)
    grid = ast.literal_eval(str(post.attrs.get("grid", "{}"))) or None
    col = post.attrs.get("remodelling_column_um")
    overrides = {"remodelling.cell_width_um": float(col)} if isinstance(col, float) else {}
    with worker_pool(workers) as pool:
        post = add_registry_check(post, n, grid, overrides,
                                  map_fn=pool.imap if pool is not None else map)
    write_netcdf(post, path)


if __name__ == "__main__":
    # python -m dermsim.calibration.check docs/uncertainty.md   (write the generated section)
    # python -m dermsim.calibration.check --recheck FILE [N] [WORKERS]
    import sys

    from dermsim.calibration.posterior import open_posterior

    if len(sys.argv) > 2 and sys.argv[1] == "--recheck":
        recheck(sys.argv[2], *(int(a) for a in sys.argv[3:5]))
    else:
        write_section(sys.argv[1] if len(sys.argv) > 1 else "docs/uncertainty.md",
                      open_posterior())
