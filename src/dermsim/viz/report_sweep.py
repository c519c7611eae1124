"""The ``dermsim report`` page of a sweep result (written by ``dermsim sweep``).

Everything comes from the sweep Dataset: the spec (attrs ``sweep_spec_toml``, ``design``,
``base_scenario_toml``), the parameters and their ranges (coordinates with a
``parameter_key`` attr), a summary of every outcome (min, median, max of the successful runs,
with units and better direction), the ranking by the spec's ``objective`` when it declares
one, the sweep figures (:mod:`dermsim.viz.sweep`: the spec's ``[[figures]]`` or the defaults,
sensitivity bars for Morris/Sobol' designs) and the failed runs with their error. Page
machinery: :mod:`dermsim.viz.page`.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from dermsim import schema
from dermsim.viz.page import draw_figure, esc, fmt, page_html, table_html

__all__ = ["build_sweep_html", "outcome_summary", "spec_table", "sweep_figure_specs"]

#: Most failed runs listed one by one (the rest are counted).
MAX_FAILED_ROWS = 50
#: Runs shown in the ranking.
TOP_N = 10


def spec_table(ds: Any) -> dict[str, Any]:
    """The sweep spec as stored in the result (parsed ``sweep_spec_toml``; empty if absent or
    unreadable)."""
    try:
        return tomllib.loads(str(ds.attrs.get("sweep_spec_toml", "")))
    except tomllib.TOMLDecodeError:
        return {}


def _outcomes(ds: Any) -> list[str]:
    listed = [o for o in str(ds.attrs.get("outcomes", "")).split(", ") if o in ds]
    return listed or [o for o in schema.OUTCOME_NAMES if o in ds.data_vars]


def _units(ds: Any, name: str) -> str:
    u = ds[name].attrs.get("units")
    if u is None and name in schema.QUANTITIES:
        u = schema.get(name).units
    return schema.pretty_units(str(u or "1")) or "—"


def _name(ds: Any, name: str) -> str:
    """The long name of an outcome or parameter (its units are shown beside it)."""
    return str(ds[name].attrs.get("long_name") or name)


def _better(name: str) -> str:
    return (schema.better(name) or "—") if name in schema.QUANTITIES else "—"


def _ok(ds: Any) -> Any:
    """Mask of the successful runs (every run where the file records no status)."""
    import numpy as np

    from dermsim.sweep.spec import STATUS_OK

    if "status" not in ds:
        return np.ones(ds[_outcomes(ds)[0]].shape if _outcomes(ds) else (0,), dtype=bool)
    return ds["status"].values == STATUS_OK


def outcome_summary(ds: Any) -> list[list[Any]]:
    """Rows (outcome, units, better, runs with a value, min, median, max) over the successful
    runs."""
    import numpy as np

    ok = _ok(ds)
    rows = []
    for o in _outcomes(ds):
        v = ds[o].values.astype(float)[ok]
        v = v[np.isfinite(v)]
        stats = [float(v.min()), float(np.median(v)), float(v.max())] if v.size else [
            float("nan")] * 3
        rows.append([_name(ds, o), _units(ds, o), _better(o), int(v.size), *stats])
    return rows


def _parameter_rows(ds: Any) -> list[list[Any]]:
    import numpy as np

    from dermsim.sweep.tables import param_names

    rows = []
    for c in param_names(ds):
        a = ds[c].attrs
        vals = np.unique(ds[c].values)
        if vals.dtype.kind in "fiu":
            rng = f"{fmt(vals.min())} – {fmt(vals.max())}"
        else:
            rng = ", ".join(str(v) for v in vals[:8]) + (" …" if vals.size > 8 else "")
        rows.append([a.get("parameter_key", c), a.get("long_name", c),
                     schema.pretty_units(str(a.get("units", "1"))) or "—", rng, int(vals.size),
                     a.get("scale", "—")])
    return rows


def _spec_section(ds: Any, source: Path | None) -> str:
    a = ds.attrs
    design = str(a.get("design", "—"))
    if a.get("design_n"):
        design += f", n = {a['design_n']}"
    rows = [["sweep", a.get("sweep_name", "—")], ["description", a.get("description") or "—"],
            ["design", design], ["design seed", a.get("design_seed", "—")],
            ["seeds", a.get("seeds", "—")], ["base scenario", a.get("base_source", "—")],
            ["runs", f"{a.get('n_runs', '—')} ({a.get('n_ok', '—')} ok, "
                     f"{a.get('n_failed', '—')} failed, {a.get('n_invalid', '—')} invalid)"],
            ["objective", spec_table(ds).get("objective") or "none declared"],
            ["dermsim version", a.get("dermsim_version", "—")],
            ["created", a.get("created", "—")], ["result file", str(source or "—")]]
    parts = [table_html(["item", "value"], rows)]
    for key, what in (("sweep_spec_toml", "Sweep spec (TOML, as given)"),
                      ("base_scenario_toml", "Base scenario (resolved TOML)")):
        if a.get(key):
            parts.append(f"<details><summary>{esc(what)}</summary><pre>{esc(a[key])}</pre>"
                         "</details>")
    return "".join(parts)


def _ranking_section(ds: Any) -> str:
    import numpy as np

    from dermsim.errors import DermsimError
    from dermsim.sweep.tables import best_runs, param_names, parse_by

    objective = spec_table(ds).get("objective")
    if not objective:
        return ("<p>No ranking: the sweep spec declares no <code>objective</code> (rank on the "
                "command line with <code>dermsim sweep … --by OUTCOME</code>).</p>")
    try:
        name, asc = parse_by(str(objective), None)
        rows = best_runs(ds, str(objective), TOP_N)
    except DermsimError as exc:
        return f"<p class='warn'>No ranking: {esc(exc)}</p>"
    v = ds[name].values.astype(float)[_ok(ds)]
    v = v[np.isfinite(v)]
    if v.size > 1 and np.ptp(v) <= 1e-12 * max(1.0, float(np.abs(v).max())):
        return (f"<p>No ranking: {esc(schema.label(ds[name]))} is {esc(fmt(v[0]))} in every "
                "successful run (the swept parameters do not change it).</p>")
    if not rows:
        return f"<p>No successful run with a finite {esc(name)}.</p>"
    params = param_names(ds)
    others = [o for o in _outcomes(ds) if o != name and np.isfinite(ds[o].values).any()][:3]
    head = ["#", *(schema.label(ds[p]) for p in params),
            *(schema.label(ds[o]) for o in [name, *others])]
    body = [[i + 1, *(r[p] for p in params), *(r[o] for o in [name, *others])]
            for i, r in enumerate(rows)]
    return (f"<p>The {len(rows)} best successful runs by the spec's objective "
            f"<code>{esc(objective)}</code> ({'lowest' if asc else 'highest'} first).</p>"
            + table_html(head, body, [False] + [True] * (len(head) - 1)))


def sweep_figure_specs(ds: Any) -> list[Any]:
    """The figures of the sweep: the spec's ``[[figures]]`` when the stored spec can be
    rebuilt (its base replaced by the stored resolved base scenario), else
    :func:`dermsim.viz.sweep.default_figures`."""
    from dermsim.viz.sweep import default_figures

    table = spec_table(ds)
    if table.get("figures") and ds.attrs.get("base_scenario_toml"):
        from dermsim.sweep import load_sweep

        try:
            base = tomllib.loads(str(ds.attrs["base_scenario_toml"]))
            table = {**table, "base": base, "fixed": {}}
            table.pop("output", None)
            return list(load_sweep(table).figures)
        except Exception:  # an old or hand-written spec: fall back to the defaults
            pass
    return default_figures(ds)


def _figures_section(ds: Any) -> str:
    from dermsim.viz.sweep import draw_figure_spec, parameter_dim

    specs = sweep_figure_specs(ds)
    if not specs:
        return "<p>No figure: no outcome has a value in any run.</p>"
    parts = []
    for i, f in enumerate(specs):
        outs = "; ".join(_name(ds, o) for o in f.outcomes)
        x, y, hue = (_name(ds, parameter_dim(ds, r)) if r else "" for r in (f.x, f.y, f.hue))
        what = {"heatmap": f"{outs} over {x} × {y}",
                "lines": f"{outs} against {x}" + (f", one line per {hue}" if hue else ""),
                "sensitivity": f"sensitivity indices ({ds.attrs.get('design')}) of "
                               f"{outs}"}[f.kind]
        parts.append(draw_figure(f"sweep-{i + 1}", f"{f.kind.capitalize()}", esc(what),
                                 lambda f=f: _required(draw_figure_spec(ds, f))))
    return "".join(parts)


def _required(fig: Any) -> Any:
    if fig is None:
        raise ValueError("no outcome of the figure has a finite value")
    return fig


def _failed_section(ds: Any) -> str:
    import numpy as np

    from dermsim.sweep.tables import param_names

    if "status" not in ds or "error" not in ds:
        return "<p>This file records no run status.</p>"
    params = param_names(ds)
    dims = list(ds["status"].dims)
    flat = ds[["status", "error"]]
    if dims != ["run"]:  # factorial: one row per grid point
        flat = flat.stack(flat_run=dims)
    status = flat["status"].values.astype(int)
    meanings = str(ds["status"].attrs.get("flag_meanings", "ok failed invalid")).split()
    bad = np.flatnonzero(status != 0)
    if not bad.size:
        return "<p>Every run succeeded.</p>"
    rows = [[int(i), *(flat[p].values[i] for p in params),
             meanings[status[i]] if 0 <= status[i] < len(meanings) else status[i],
             str(flat["error"].values[i])] for i in bad[:MAX_FAILED_ROWS]]
    more = (f"<p>… and {bad.size - MAX_FAILED_ROWS} more.</p>"
            if bad.size > MAX_FAILED_ROWS else "")
    return (f"<p>{bad.size} of {status.size} runs did not succeed.</p>"
            + table_html(["run", *(schema.label(ds[p]) for p in params), "status", "error"],
                         rows) + more)


def build_sweep_html(ds: Any, source: Path | None = None) -> str:
    """The report page of a sweep result (see the module docstring)."""
    name = str(ds.attrs.get("sweep_name", "sweep"))
    summary = table_html(["outcome", "units", "better", "runs with a value", "min", "median",
                          "max"], outcome_summary(ds), [False] * 3 + [True] * 4)
    params = table_html(["key", "parameter", "units", "range", "values", "scale"],
                        _parameter_rows(ds), [False, False, False, False, True, False])
    sections = [("spec", "Sweep spec", _spec_section(ds, source)),
                ("parameters", "Parameters", params),
                ("outcomes", "Outcomes (successful runs)", summary),
                ("ranking", "Ranking", _ranking_section(ds)),
                ("figures", "Figures", _figures_section(ds)),
                ("failed", "Failed runs", _failed_section(ds))]
    meta = [f"{ds.attrs.get('design', '')} design",
            f"{ds.attrs.get('n_runs', '')} runs", f"dermsim {ds.attrs.get('dermsim_version', '')}"]
    return page_html(f"sweep {name}", meta, sections)
