"""Figures of the growth-factor signalling stage: field snapshots with the layer boundaries."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import xarray as xr

from dermsim import schema
from dermsim.growth_factors import SPECIES_LABELS
from dermsim.viz import style

__all__ = ["figure_snapshots"]


@style.styled
def figure_snapshots(ds: xr.Dataset, species: Sequence[str] | None = None,
                     floor_ng_ml: float = 1e-3) -> Any:
    """Snapshots of each species at the snapshot times, with the layer boundaries, at true
    aspect ratio, in the package style (labels from the Dataset attrs).

    Parameters
    ----------
    ds : xarray.Dataset
        Output of :func:`dermsim.signalling.run_acute_window` (or a result holding its variables).
    species : sequence of str, optional
        Rows of the figure (default: all endogenous species, then the topical product).
    floor_ng_ml : float
        Lower end of the logarithmic colour scale [ng/mL].

    Returns
    -------
    matplotlib.figure.Figure
    """
    # no matplotlib.use(): pyplot falls back to Agg by itself where there is no display, and
    # forcing a backend here would break notebooks' inline figures
    import matplotlib.pyplot as plt
    from matplotlib.colors import LogNorm

    rows: list[tuple[str, xr.DataArray]] = []
    names = list(ds["species"].values) if species is None else list(species)
    for s in names:
        if s == "topical" and "topical_snapshot" in ds:
            rows.append((s, ds["topical_snapshot"]))
        elif "gf_snapshot" in ds and s in list(ds["species"].values):
            rows.append((s, ds["gf_snapshot"].sel(species=s)))
    if species is None and "topical_snapshot" in ds:
        rows.append(("topical", ds["topical_snapshot"]))
    ts = ds["snapshot_time"].values
    x = ds["x"].values
    z = ds["z"].values
    hx = float(x[1] - x[0]) if len(x) > 1 else 1.0
    extent = (x[0] - hx / 2, x[-1] + hx / 2, z[-1] + hx / 2, z[0] - hx / 2)
    panel_w = 2.8
    panel_h = min(4.0, max(1.6, panel_w * (extent[2] - extent[3]) / (extent[1] - extent[0])))
    fig, axes = plt.subplots(len(rows), len(ts),
                             figsize=(panel_w * len(ts) + 1.2, panel_h * len(rows) + 0.6),
                             squeeze=False, sharex=True, sharey=True, layout="constrained")
    for r, (s, da) in enumerate(rows):
        vmax = max(float(da.max()), 10 * floor_ng_ml)
        vmin = max(floor_ng_ml, vmax * 1e-4)
        norm = LogNorm(vmin=vmin, vmax=vmax)
        im = None
        for c, t in enumerate(ts):
            ax = axes[r, c]
            im = ax.imshow(np.maximum(da.isel(snapshot_time=c).values, vmin),
                           extent=extent, norm=norm, cmap="magma", aspect="equal",
                           interpolation="nearest")
            for d in ds["interface_depth"].values[1:-1]:
                ax.axhline(d, color="w", lw=0.6, ls="--", alpha=0.8)
            when = style.time_label(float(t)) if t < 48 else f"{t / 24:g} d"
            ax.set_title(f"{SPECIES_LABELS.get(s, s)}, {when}")
            if r == len(rows) - 1:
                ax.set_xlabel(schema.label(ds["x"]) if "x" in ds else schema.label("x"))
            if c == 0:
                ax.set_ylabel(schema.label(ds["z"]) if "z" in ds else schema.label("z"))
        if im is not None:
            fig.colorbar(im, ax=axes[r, :], shrink=0.9, label=schema.label(da))
    return fig
