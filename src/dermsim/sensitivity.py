"""Global sensitivity of sweep outcomes: Morris elementary effects and Sobol' indices.

Both methods need their own designs, which a sweep spec requests with
``[design] kind = "morris"`` (``n`` trajectories of ``d + 1`` runs on a ``levels``-level grid)
or ``kind = "saltelli"`` (Saltelli's extension of a scrambled Sobol' sequence: ``n (d + 2)`` runs,
or ``n (2d + 2)`` with ``second_order = true``). Designs and indices are computed in the unit
hypercube — each parameter's range (linear or log) or list of choices is mapped to [0, 1] — so
Morris ``mu_star`` is comparable across parameters with different units. Integer parameters are
rounded and choices are picked by equal sub-intervals, which is a (documented) approximation for
both methods.

SALib is an optional dependency (``pip install 'dermsim[sensitivity]'``), imported only here.

References
----------
Morris MD (1991) Technometrics 33:161-174 (elementary effects); Campolongo F, Cariboni J,
Saltelli A (2007) Environ Model Softw 22:1509-1518 (mu_star); Saltelli A (2002) Comput Phys
Commun 145:280-297 and Saltelli A et al. (2010) Comput Phys Commun 181:259-270 (Sobol' index
estimators); Herman J, Usher W (2017) J Open Source Softw 2:97 (SALib).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import xarray as xr

from dermsim.errors import DermsimError


def require_salib() -> Any:
    """The SALib module, or a clear error if it is not installed."""
    try:
        import SALib
    except ImportError:
        raise DermsimError("sensitivity analysis needs SALib: pip install 'dermsim[sensitivity]' "
                           "(or pip install SALib)") from None
    return SALib


def _problem(names: Sequence[str]) -> dict[str, Any]:
    return {"num_vars": len(names), "names": list(names), "bounds": [[0.0, 1.0]] * len(names)}


def sample_unit(kind: str, n: int, d: int, seed: int, *, levels: int = 4,
                second_order: bool = False) -> np.ndarray:
    """A Morris or Saltelli design in the unit hypercube, shape (n_runs, d).

    Parameters
    ----------
    kind
        ``"morris"`` (``n`` trajectories, ``n (d + 1)`` rows) or ``"saltelli"`` (``n`` base
        samples, a power of 2; ``n (d + 2)`` rows, ``n (2 d + 2)`` with ``second_order``).
    seed
        Seed of the design (reproducible).
    """
    require_salib()
    problem = _problem([f"x{i}" for i in range(d)])
    rng_seed = int(seed) % (2**32)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if kind == "morris":
            from SALib.sample import morris

            return np.asarray(morris.sample(problem, n, num_levels=levels, seed=rng_seed))
        if kind == "saltelli":
            from SALib.sample import sobol

            return np.asarray(sobol.sample(problem, n, calc_second_order=second_order,
                                           scramble=True, seed=rng_seed))
    raise DermsimError(f"design kind {kind!r}: allowed 'morris' or 'saltelli'")


def indices(ds: xr.Dataset, outcome: str, *, num_resamples: int = 200,
            conf_level: float = 0.95, seed: int = 0) -> xr.Dataset:
    """Sensitivity indices of one outcome of a Morris or Saltelli sweep.

    Parameters
    ----------
    ds
        Sweep Dataset from :func:`dermsim.sweep.run_sweep` (``design_unit`` and the design
        attrs are used).
    outcome
        Outcome variable name.
    num_resamples, conf_level, seed
        Bootstrap of the confidence intervals.

    Returns
    -------
    xarray.Dataset
        Dim ``parameter`` (dotted keys). Morris: ``mu``, ``mu_star``, ``mu_star_conf``,
        ``sigma`` (in outcome units per unit-hypercube step, i.e. per full parameter range).
        Morris trajectories with a failed run are dropped. Saltelli: ``S1``, ``S1_conf``,
        ``ST``, ``ST_conf`` (and ``S2``, ``S2_conf`` for second order); every run must have
        succeeded.
    """
    require_salib()
    kind = ds.attrs.get("design")
    if kind not in ("morris", "saltelli"):
        raise DermsimError(f"sensitivity indices need a morris or saltelli design; this sweep "
                           f"used {kind!r}")
    if outcome not in ds:
        raise DermsimError(f"{outcome!r} is not an outcome of this sweep")
    names = [str(p) for p in ds["parameter"].values]
    d = len(names)
    x = np.asarray(ds["design_unit"].values, dtype=float)
    y = np.asarray(ds[outcome].values, dtype=float)
    problem = _problem(names)
    units = ds[outcome].attrs.get("units", "")
    out = xr.Dataset(coords={"parameter": names})
    out.attrs.update({"outcome": outcome, "method": kind, "conf_level": conf_level})
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        if kind == "morris":
            from SALib.analyze import morris

            n_traj = len(y) // (d + 1)
            ok = np.isfinite(y.reshape(n_traj, d + 1)).all(axis=1)
            if ok.sum() < 2:
                raise DermsimError(f"Morris indices of {outcome}: fewer than 2 trajectories "
                                   "without a failed (NaN) run")
            keep = np.repeat(ok, d + 1)
            res = morris.analyze(problem, x[keep], y[keep], num_resamples=num_resamples,
                                 conf_level=conf_level,
                                 num_levels=int(ds.attrs.get("design_levels", 4)), seed=seed)
            for k, ln in (("mu", "mean elementary effect"),
                          ("mu_star", "mean absolute elementary effect"),
                          ("mu_star_conf", "confidence half-width of mu_star"),
                          ("sigma", "standard deviation of the elementary effects")):
                out[k] = ("parameter", np.asarray(res[k], dtype=float),
                          {"units": units, "long_name": ln})
            out.attrs["trajectories_used"] = int(ok.sum())
        else:
            from SALib.analyze import sobol

            bad = int((~np.isfinite(y)).sum())
            if bad:
                raise DermsimError(f"Sobol' indices of {outcome} need every run; {bad} of "
                                   f"{len(y)} are NaN (failed runs or a stage that did not run)")
            second = bool(int(ds.attrs.get("design_second_order", 0)))
            res = sobol.analyze(problem, y, calc_second_order=second,
                                num_resamples=num_resamples, conf_level=conf_level, seed=seed)
            for k, ln in (("S1", "first-order Sobol' index"),
                          ("S1_conf", "confidence half-width of S1"),
                          ("ST", "total-order Sobol' index"),
                          ("ST_conf", "confidence half-width of ST")):
                out[k] = ("parameter", np.asarray(res[k], dtype=float),
                          {"units": "1", "long_name": ln})
            if second:
                out = out.assign_coords(parameter2=names)
                for k in ("S2", "S2_conf"):
                    out[k] = (("parameter", "parameter2"), np.asarray(res[k], dtype=float),
                              {"units": "1", "long_name": "second-order Sobol' index"
                               + (" (confidence)" if k.endswith("conf") else "")})
    return out


def indices_table(ds: xr.Dataset, outcome: str) -> str:
    """Text table of :func:`indices` for one outcome, most influential parameter first."""
    ix = indices(ds, outcome)
    if ix.attrs["method"] == "morris":
        cols, key = ("mu_star", "mu_star_conf", "mu", "sigma"), "mu_star"
    else:
        cols, key = ("S1", "S1_conf", "ST", "ST_conf"), "ST"
    order = np.argsort(-np.nan_to_num(ix[key].values, nan=-np.inf))
    names = [str(p) for p in ix["parameter"].values]
    w = max(len(n) for n in names)
    lines = [f"sensitivity of {outcome} ({ix.attrs['method']})",
             "  " + "parameter".ljust(w) + "".join(c.rjust(13) for c in cols)]
    for i in order:
        lines.append("  " + names[i].ljust(w)
                     + "".join(f"{float(ix[c].values[i]):13.4g}" for c in cols))
    return "\n".join(lines)


def plot_sensitivity(ds: xr.Dataset, outcomes: str | Sequence[str]) -> Any:
    """Bar chart of the sensitivity indices, one panel per outcome.

    Morris: ``mu_star`` bars with confidence intervals and ``sigma`` markers (sigma ≫ mu_star
    flags interactions or non-linearity). Saltelli: first-order ``S1`` and total ``ST`` bars
    with confidence intervals.

    Returns
    -------
    matplotlib.figure.Figure
    """
    from dermsim.sweep import _plt

    plt = _plt()
    outs = [outcomes] if isinstance(outcomes, str) else list(outcomes)
    d = ds.sizes["parameter"]
    fig, axes = plt.subplots(1, len(outs), figsize=(4.4 * len(outs) + 1.2, 0.45 * d + 1.8),
                             squeeze=False, layout="constrained")
    for k, (ax, o) in enumerate(zip(axes[0], outs)):
        ix = indices(ds, o)
        names = [str(p) for p in ix["parameter"].values]
        pos = np.arange(len(names))
        if ix.attrs["method"] == "morris":
            ax.barh(pos, ix["mu_star"].values, xerr=ix["mu_star_conf"].values, color="#4c72b0",
                    capsize=2, label="mu*")
            ax.plot(ix["sigma"].values, pos, "D", color="#dd8452", ms=5, label="sigma")
            unit = ds[o].attrs.get("units", "")
            ax.set_xlabel(f"elementary effect [{unit}] per parameter range")
        else:
            ax.barh(pos - 0.2, ix["S1"].values, 0.4, xerr=ix["S1_conf"].values, capsize=2,
                    color="#4c72b0", label="S1 (first order)")
            ax.barh(pos + 0.2, ix["ST"].values, 0.4, xerr=ix["ST_conf"].values, capsize=2,
                    color="#dd8452", label="ST (total)")
            ax.set_xlabel("Sobol' index")
            ax.axvline(0, color="0.3", lw=0.6)
        ax.set_yticks(pos, names if k == 0 else [""] * len(names), fontsize=8)
        ax.invert_yaxis()
        ax.set_title(ds[o].attrs.get("long_name", o), fontsize=9)
        ax.legend(fontsize=7)
        ax.grid(axis="x", alpha=0.3)
    fig.suptitle(f"sensitivity ({ds.attrs.get('design')}), sweep "
                 f"{ds.attrs.get('sweep_name', '')}", fontsize=10)
    return fig
