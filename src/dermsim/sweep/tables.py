"""Text tables of a sweep result: the best runs and the failures."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from dermsim.errors import DermsimError
from dermsim.sweep.outcomes import LOWER_IS_BETTER
from dermsim.sweep.spec import STATUS_OK, suggest

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np
    import xarray as xr


def parse_by(by: str, ascending: bool | None) -> tuple[str, bool]:
    if ":" in by:
        mode, name = by.split(":", 1)
        if mode not in ("min", "max"):
            raise DermsimError(f"--by {by!r}: use OUTCOME, min:OUTCOME or max:OUTCOME")
        return name, mode == "min"
    return by, (by in LOWER_IS_BETTER) if ascending is None else ascending


def best_runs(ds: xr.Dataset, by: str, n: int = 5, *,
              ascending: bool | None = None) -> list[dict[str, Any]]:
    """The ``n`` best successful runs by outcome ``by``.

    Parameters
    ----------
    by
        An outcome name, optionally prefixed ``min:`` or ``max:``; without a prefix, smaller is
        better for :data:`LOWER_IS_BETTER` outcomes and larger for the others.

    Returns
    -------
    list of dict
        Parameter values (by dataset name) and every outcome of each run, best first.
    """
    import numpy as np

    name, asc = parse_by(by, ascending)
    if name not in ds.data_vars:
        outs = [str(v) for v in ds.data_vars if "long_name" in ds[v].attrs]
        raise DermsimError(f"--by {name!r}: not an outcome of this sweep{suggest(name, outs)}")
    outcomes = [o for o in str(ds.attrs.get("outcomes", "")).split(", ") if o in ds]
    params = param_names(ds)
    flat = _flatten_runs(ds, [*outcomes, "status"], params)
    vals = flat[name]
    ok = (flat["status"] == STATUS_OK) & np.isfinite(vals)
    idx = np.flatnonzero(ok)
    order = idx[np.argsort(vals[idx] if asc else -vals[idx], kind="stable")][:n]
    return [{**{p: _py(flat[p][i]) for p in params}, **{o: float(flat[o][i]) for o in outcomes}}
            for i in order]


def _py(v: Any) -> Any:
    return v.item() if hasattr(v, "item") else v


def param_names(ds: xr.Dataset) -> list[str]:
    return [str(c) for c in ds.coords if "parameter_key" in ds[c].attrs]


def _flatten_runs(ds: xr.Dataset, names: Sequence[str], params: Sequence[str]
                  ) -> dict[str, np.ndarray]:
    import numpy as np

    if "run" in ds.dims:
        return {k: np.asarray(ds[k].values) for k in [*names, *params]}
    dims = list(ds["status"].dims)
    grids = np.meshgrid(*[ds[d].values for d in dims], indexing="ij")
    out: dict[str, np.ndarray] = {str(d): g.ravel() for d, g in zip(dims, grids)}
    for k in names:
        out[k] = ds[k].transpose(*dims).values.ravel()
    return out


def top_table(ds: xr.Dataset, by: str, n: int = 5) -> str:
    """Text table of the ``n`` best runs by ``by`` (see :func:`best_runs`)."""
    import numpy as np

    name, asc = parse_by(by, None)
    rows = best_runs(ds, by, n)
    params = param_names(ds)
    ok = ds[name].values[(ds["status"].values == STATUS_OK) & np.isfinite(ds[name].values)] \
        if name in ds else np.array([])
    if ok.size > 1 and np.ptp(ok) <= 1e-12 * max(1.0, float(np.abs(ok).max())):
        return (f"no ranking: {name} is {fmt_value(float(ok[0]))} in every successful run "
                "(the swept parameters do not change it)")
    outcomes = [o for o in str(ds.attrs.get("outcomes", "")).split(", ") if o in ds]
    shown = [name, *[o for o in outcomes if o != name and np.isfinite(ds[o].values).any()][:3]]
    head = ["#", *params, *shown]
    body = [[str(i + 1), *(fmt_value(r[p]) for p in params), *(fmt_value(r[o]) for o in shown)]
            for i, r in enumerate(rows)]
    widths = [max(len(h), *(len(b[j]) for b in body)) if body else len(h)
              for j, h in enumerate(head)]
    title = (f"best {len(rows)} runs by {name} ({'lowest' if asc else 'highest'} first)"
             if rows else f"no successful run with a finite {name}")
    lines = [title, "  " + "  ".join(h.rjust(w) for h, w in zip(head, widths))]
    lines += ["  " + "  ".join(c.rjust(w) for c, w in zip(b, widths)) for b in body]
    return "\n".join(lines)


def fmt_value(v: Any) -> str:
    if isinstance(v, float):
        return "nan" if math.isnan(v) else f"{v:.4g}"
    return str(v)


def failure_summary(ds: xr.Dataset, limit: int = 3) -> list[str]:
    """The most common error messages of failed/invalid runs, with counts."""
    from collections import Counter

    import numpy as np

    st = ds["status"].values.ravel()
    errs = ds["error"].values.ravel()
    c = Counter(str(e) for e, s in zip(errs, st) if s != STATUS_OK)
    lines = [f"{k} ({v} run{'s' if v > 1 else ''})" for k, v in c.most_common(limit)]
    extra = int(np.sum(st != STATUS_OK)) - sum(v for _, v in c.most_common(limit))
    if extra > 0:
        lines.append(f"... and {extra} more")
    return lines


def finite_outcomes(ds: xr.Dataset, outcomes: Sequence[str]) -> list[str]:
    import numpy as np

    return [o for o in outcomes if o in ds and np.isfinite(ds[o].values).any()]



def outcomes_csv(ds: xr.Dataset) -> str:
    """The outcomes table as CSV text: one row per run with the parameter values, every
    outcome, ``status`` (ok / failed / invalid), ``error`` and ``run_seed``. The header holds
    the names; units are in the NetCDF attrs and in the outcome names (``_um``, ``_pct``...)."""
    import csv
    import io

    import numpy as np

    params = param_names(ds)
    outcomes = [o for o in str(ds.attrs.get("outcomes", "")).split(", ") if o in ds]
    flat = _flatten_runs(ds, [*outcomes, "status", "error", "run_seed"], params)
    meanings = str(ds["status"].attrs.get("flag_meanings", "ok failed invalid")).split()
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["run", *params, *outcomes, "status", "error", "run_seed"])
    for i in range(len(flat["status"])):
        st = int(flat["status"][i])
        w.writerow([i, *(_py(flat[p][i]) for p in params),
                    *("" if not np.isfinite(flat[o][i]) else repr(float(flat[o][i]))
                      for o in outcomes),
                    meanings[st] if 0 <= st < len(meanings) else st, str(flat["error"][i]),
                    int(flat["run_seed"][i])])
    return buf.getvalue()
