"""Global sensitivity of sweep outcomes: Morris elementary effects and Sobol' indices.

Both methods need their own designs, which a sweep spec requests with
``[design] kind = "morris"`` (``n`` trajectories of ``d + 1`` runs on a ``levels``-level grid)
or ``kind = "saltelli"`` (Saltelli's extension of a scrambled Sobol' sequence: ``n (d + 2)`` runs,
or ``n (2d + 2)`` with ``second_order = true``). Designs and indices are computed in the unit
hypercube — each parameter's range (linear or log) or list of choices is mapped to [0, 1] — so
Morris ``mu_star`` is comparable across parameters with different units. Integer parameters are
rounded and choices are picked by equal sub-intervals, which is a (documented) approximation for
both methods.

SALib is an optional dependency (``pip install 'dermsim[sensitivity]'``), imported only here
and in :mod:`dermsim.sweep.designs` (the Morris and Saltelli designs).

References
----------
Morris MD (1991) Technometrics 33:161-174 (elementary effects); Campolongo F, Cariboni J,
Saltelli A (2007) Environ Model Softw 22:1509-1518 (mu_star); Saltelli A (2002) Comput Phys
Commun 145:280-297 and Saltelli A et al. (2010) Comput Phys Commun 181:259-270 (Sobol' index
estimators); Herman J, Usher W (2017) J Open Source Softw 2:97 (SALib).
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import xarray as xr

from dermsim.errors import DermsimError
from dermsim.sweep.designs import require_salib, unit_problem


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
    x = np.asarray(ds["design_unit"].values, dtype=float)
    y = np.asarray(ds[outcome].values, dtype=float)
    out = xr.Dataset(coords={"parameter": names})
    out.attrs.update({"outcome": outcome, "method": kind, "conf_level": conf_level})
    boot = {"num_resamples": num_resamples, "conf_level": conf_level, "seed": seed}
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        if kind == "morris":
            return _morris(out, ds, outcome, x, y, boot)
        return _sobol(out, ds, outcome, y, boot)


def _morris(out: xr.Dataset, ds: xr.Dataset, outcome: str, x: np.ndarray, y: np.ndarray,
            boot: dict[str, Any]) -> xr.Dataset:
    """Morris ``mu``, ``mu_star`` (with confidence), ``sigma``; trajectories with a NaN run
    are dropped."""
    from SALib.analyze import morris

    names = [str(p) for p in out["parameter"].values]
    d = len(names)
    n_traj = len(y) // (d + 1)
    ok = np.isfinite(y.reshape(n_traj, d + 1)).all(axis=1)
    if ok.sum() < 2:
        raise DermsimError(f"Morris indices of {outcome}: fewer than 2 trajectories "
                           "without a failed (NaN) run")
    keep = np.repeat(ok, d + 1)
    res = morris.analyze(unit_problem(names), x[keep], y[keep],
                         num_levels=int(ds.attrs.get("design_levels", 4)), **boot)
    units = ds[outcome].attrs.get("units", "")
    for k, ln in (("mu", "mean elementary effect"),
                  ("mu_star", "mean absolute elementary effect"),
                  ("mu_star_conf", "confidence half-width of mu_star"),
                  ("sigma", "standard deviation of the elementary effects")):
        out[k] = ("parameter", np.asarray(res[k], dtype=float), {"units": units, "long_name": ln})
    out.attrs["trajectories_used"] = int(ok.sum())
    return out


def _sobol(out: xr.Dataset, ds: xr.Dataset, outcome: str, y: np.ndarray,
           boot: dict[str, Any]) -> xr.Dataset:
    """Sobol' ``S1``, ``ST`` (and ``S2``) with confidence; every run must have a value."""
    from SALib.analyze import sobol

    names = [str(p) for p in out["parameter"].values]
    bad = int((~np.isfinite(y)).sum())
    if bad:
        raise DermsimError(f"Sobol' indices of {outcome} need every run; {bad} of "
                           f"{len(y)} are NaN (failed runs or a stage that did not run)")
    second = bool(int(ds.attrs.get("design_second_order", 0)))
    res = sobol.analyze(unit_problem(names), y, calc_second_order=second, **boot)
    for k, ln in (("S1", "first-order Sobol' index"),
                  ("S1_conf", "confidence half-width of S1"),
                  ("ST", "total-order Sobol' index"),
                  ("ST_conf", "confidence half-width of ST")):
        out[k] = ("parameter", np.asarray(res[k], dtype=float), {"units": "1", "long_name": ln})
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

