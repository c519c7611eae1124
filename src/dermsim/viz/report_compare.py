"""The ``dermsim report`` page of a comparison table (written by ``dermsim compare``).

The table holds one row per scenario and one variable per scalar outcome (dim ``scenario``),
the day of the comparison (``compared_day``, attr ``compared_at``) and the scenarios'
configurations (attr ``configs_toml``). The page shows the scenarios, the outcomes with units
and better direction (:mod:`dermsim.schema`), when the collagen outcomes were compared, a bar
chart per outcome drawn from the table alone, and the provenance. Page machinery:
:mod:`dermsim.viz.page`.
"""

from __future__ import annotations

import textwrap
import tomllib
from pathlib import Path
from typing import Any

from dermsim import schema
from dermsim.viz import style
from dermsim.viz.page import draw_figure, esc, fmt, page_html, table_html

__all__ = ["build_compare_html", "plot_outcome_bars", "scenario_configs", "shown_outcomes"]

#: Separator between the scenarios' TOML in the ``configs_toml`` attr.
CONFIG_SEPARATOR = "\n# ----\n"


def shown_outcomes(table: Any) -> list[str]:
    """The outcomes of the table in schema order, without those no scenario simulated (NaN in
    every row)."""
    import numpy as np

    return [k for k in schema.OUTCOME_NAMES
            if k in table.data_vars and np.isfinite(table[k].values.astype(float)).any()]


def scenario_configs(table: Any) -> list[str]:
    """The TOML text of each scenario (empty strings when the table does not hold them)."""
    n = table.sizes["scenario"]
    parts = str(table.attrs.get("configs_toml", "")).split(CONFIG_SEPARATOR)
    return parts if len(parts) == n else [""] * n


def _scenario_rows(table: Any) -> list[list[Any]]:
    rows = []
    days = table["compared_day"].values if "compared_day" in table else [None] * len(
        table["scenario"])
    for name, text, day in zip(table["scenario"].values, scenario_configs(table), days):
        try:
            cfg = tomllib.loads(text) if text else {}
        except tomllib.TOMLDecodeError:
            cfg = {}
        dev, prot = cfg.get("device", {}), cfg.get("protocol", {})
        needle = dev.get("needle_length_um")
        sessions = prot.get("sessions")
        interval = prot.get("interval_days")
        rows.append([str(name), cfg.get("skin", {}).get("site", "—"),
                     f"{dev.get('preset', '—')} ({dev.get('kind', '—')})",
                     "—" if needle is None else f"{needle:g} µm",
                     "—" if sessions is None else (f"{sessions}" + (
                         f", {interval:g} days apart" if interval and sessions > 1 else "")),
                     "—" if day is None or day != day else f"day {float(day):g}"])
    return rows


def _outcome_table(table: Any, keys: list[str]) -> str:
    names = [str(n) for n in table["scenario"].values]
    head = ("<tr><th>outcome</th><th>units</th><th>better</th>"
            + "".join(f"<th>{esc(n)}</th>" for n in names) + "</tr>")
    rows = []
    for k in keys:
        q = schema.get(k)
        vals = table[k].values.astype(float)
        best = _best_index(vals, q.better)
        cells = "".join(
            f"<td class='num'>{'<strong>' if i == best else ''}{esc(fmt(v))}"
            f"{'</strong>' if i == best else ''}</td>" for i, v in enumerate(vals))
        rows.append(f"<tr><td>{esc(q.long_name)}<br><small><code>{esc(k)}</code></small></td>"
                    f"<td>{esc(schema.pretty_units(q.units) or '—')}</td>"
                    f"<td>{esc(q.better or '—')}</td>{cells}</tr>")
    return "<table>" + head + "".join(rows) + "</table>"


def _best_index(vals: Any, better: str | None) -> int | None:
    """The row with the best finite value, or None (no direction, ties or too few values)."""
    import numpy as np

    ok = np.isfinite(vals)
    if better not in ("higher", "lower") or ok.sum() < 2 or np.ptp(vals[ok]) == 0:
        return None
    masked = np.where(ok, vals, -np.inf if better == "higher" else np.inf)
    return int(np.argmax(masked) if better == "higher" else np.argmin(masked))


@style.styled
def plot_outcome_bars(table: Any, keys: list[str] | None = None, ncols: int = 3) -> Any:
    """A bar chart per outcome of a comparison table (one bar per scenario), titled with the
    outcome's label and units and the better direction.

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt
    import numpy as np

    keys = shown_outcomes(table) if keys is None else keys
    names = [str(n) for n in table["scenario"].values]
    ncols = min(ncols, max(1, len(keys)))
    nrows = max(1, -(-len(keys) // ncols))
    colours = plt.get_cmap("tab10")(np.arange(len(names)) % 10)
    fig, axes = plt.subplots(nrows, ncols, squeeze=False, layout="constrained",
                             figsize=(3.6 * ncols, (0.35 * len(names) + 1.2) * nrows + 0.3))
    pos = np.arange(len(names))
    for i, (ax, k) in enumerate(zip(axes.flat, keys)):
        vals = table[k].values.astype(float)
        ax.barh(pos, np.nan_to_num(vals), color=colours)
        ax.set_yticks(pos, names if i % ncols == 0 else [""] * len(names), fontsize=8)
        ax.invert_yaxis()
        for p, v in zip(pos, vals):
            ax.annotate(fmt(v), (0, p), xytext=(3, 0), textcoords="offset points",
                        va="center", fontsize=7, color="0.15")
        better = schema.better(k)
        ax.set_title(textwrap.fill(schema.label(k), 34)
                     + (f"\n({better} is better)" if better else ""), fontsize=8)
        ax.axvline(0, color="0.3", lw=0.6)
        ax.grid(axis="x", alpha=0.3)
        ax.tick_params(axis="x", labelsize=7)
    for ax in list(axes.flat)[len(keys):]:
        ax.set_visible(False)
    return fig


def build_compare_html(table: Any, source: Path | None = None) -> str:
    """The report page of a comparison table (see the module docstring)."""
    from dermsim import __version__

    keys = shown_outcomes(table)
    names = [str(n) for n in table["scenario"].values]
    version = table.attrs.get("dermsim_version", __version__)
    when = ("<p>Collagen outcomes are compared at "
            f"{esc(table.attrs['compared_at'])}.</p>" if "compared_at" in table.attrs
            else "<p>Outcomes as recorded at the end of each scenario's course.</p>")
    scen = table_html(["scenario", "body site", "device", "needle length", "sessions",
                       "compared at"], _scenario_rows(table))
    outcomes = (when + "<p>Best value in bold where one direction is better (schema of the "
                "outcomes); penetration outcomes are for the first session, changes are "
                "relative to the untreated baseline. Outcomes no scenario simulated are "
                "left out.</p>" + _outcome_table(table, keys))
    figure = (draw_figure("comparison", "Outcomes side by side", "One panel per outcome, one "
                          "bar per scenario (values of the table above).",
                          lambda: plot_outcome_bars(table, keys))
              if keys else "<p>No outcome to draw.</p>")
    configs = "".join(f"<details><summary>Configuration of {esc(n)} (resolved TOML)</summary>"
                      f"<pre>{esc(t)}</pre></details>"
                      for n, t in zip(names, scenario_configs(table)) if t)
    prov = table_html(["item", "value"], [["dermsim version", version],
                                          ["scenarios", ", ".join(names)],
                                          ["result file", str(source or "—")]])
    sections = [("scenarios", "Scenarios", scen),
                ("outcomes", "Outcomes", outcomes),
                ("figures", "Figures", figure),
                ("provenance", "Provenance", prov + configs)]
    return page_html(f"comparison of {len(names)} scenarios",
                     [", ".join(names), f"dermsim {version}"], sections)
