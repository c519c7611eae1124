"""The outcomes table of the explorer page: the ``dermsim run`` summary plus topical and RF
delivery, with units, next to the previous run's values."""

from __future__ import annotations

import html
import math
from typing import Any

from dermsim import schema
from dermsim.metrics import summary_rows

#: Style of the table (a stylesheet of the pane's own shadow root, so plain selectors).
CSS = """
table {border-collapse: collapse; font-size: 13px; width: 100%;}
td, th {padding: 2px 8px; border-bottom: 1px solid #ddd;}
td.num {text-align: right; font-variant-numeric: tabular-nums;}
tr.changed td:nth-child(2) {font-weight: bold; color: #1f4e9c;}
"""


def fmt(v: Any) -> str:
    """Numbers to 4 significant digits; other values as text."""
    if isinstance(v, float):
        return "–" if not math.isfinite(v) else f"{v:.4g}"
    return str(v)


def _label(name: str, text: str | None = None) -> str:
    """``"text [units]"`` with the units (and, without ``text``, the name) from the schema."""
    if text is None:
        return schema.label(name, variable=True)
    return schema.pretty_label(text, schema.get(name).units)


def outcome_rows(ds: Any) -> list[tuple[str, Any]]:
    """The outcomes table: the ``dermsim run`` summary plus topical and RF delivery (first
    session); labels and units from :mod:`dermsim.schema`."""
    rows = list(summary_rows(ds))
    if "topical_exposure" in ds and float(ds["topical_exposure"].sum()) > 0:
        names = [str(n) for n in ds["layer_name"].values]
        papillary = names.index("papillary_dermis") if "papillary_dermis" in names else 2
        rows.append((_label("topical_exposure", "topical product exposure, papillary dermis"),
                     float(ds["topical_exposure"].values[papillary])))
        if "topical_exposure_intact" in ds:
            rows.append((_label("topical_exposure_intact", "same through intact skin"),
                         float(ds["topical_exposure_intact"].values[papillary])))
    if "rf_energy_per_pin_mJ" in ds:
        first = ds.isel(session=0)
        for var in ("rf_energy_per_pin_mJ", "rf_coag_width_um", "rf_coag_depth_extent_um",
                    "rf_epidermis_max_omega"):
            if var in first:
                label = _label(var)
                rows.append((label if label.startswith("RF") else f"RF {label}",
                             float(first[var])))
    return rows


def rows_html(rows: list[tuple[str, Any]], previous: dict[str, Any]) -> str:
    """HTML table of outcomes with the previous run's values alongside."""
    out = ["<table><tr><th>outcome [unit]</th><th>this run</th><th>previous</th></tr>"]
    for label, value in rows:
        prev = previous.get(label)
        changed = prev is not None and fmt(prev) != fmt(value)
        cls = " class='changed'" if changed else ""
        out.append(f"<tr{cls}><td>{html.escape(label.strip())}</td>"
                   f"<td class='num'>{html.escape(fmt(value))}</td>"
                   f"<td class='num'>{html.escape(fmt(prev)) if prev is not None else ''}</td>"
                   "</tr>")
    out.append("</table>")
    return "".join(out)
