"""The RF stage's figure: peak-temperature map with the zones and electrodes, and T(t), in the
package style (:mod:`dermsim.viz.style`) with labels from the Dataset attrs."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from dermsim.schema import label, pretty_label
from dermsim.viz import style

if TYPE_CHECKING:  # pragma: no cover
    import matplotlib.figure
    import xarray as xr

__all__ = ["figure_rf"]


@style.styled
def figure_rf(ds: xr.Dataset) -> matplotlib.figure.Figure:
    """Peak-temperature map (true aspect ratio) with the Ω = 1 contour, the heat-shock zone,
    layer lines and electrodes, and T(t) of the hottest tissue cell, the electrode surface and
    the epidermis, with the generator power.

    Parameters
    ----------
    ds : xarray.Dataset
        Output of :func:`dermsim.thermal.simulate_rf_pulse`.

    Returns
    -------
    matplotlib.figure.Figure
    """
    from matplotlib.figure import Figure

    fig = Figure(figsize=(11, 4.5), constrained_layout=True)
    ax, ax2 = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.6, 1]})
    x = ds["x"].values
    z = ds["z"].values
    tp = ds["peak_temperature_C"].values
    zmax_show = min(z[-1], float(ds.attrs.get("tip_depth_um", z[-1])) + 800.0)
    rows = z <= zmax_show
    im = ax.pcolormesh(x, z[rows], tp[rows], cmap="inferno", shading="auto",
                       vmin=float(np.nanmin(tp)), vmax=max(float(np.nanmax(tp)), 45.0))
    ax.set_aspect("equal")
    fig.colorbar(im, ax=ax, label=label(ds["peak_temperature_C"]), shrink=0.8)
    om = ds["omega"].values[rows]
    if (om >= 1).any():
        ax.contour(x, z[rows], om, levels=[1.0], colors="cyan", linewidths=1.2)
    hs = ds["heat_shock"].values[rows] + ds["coagulated"].values[rows]
    if hs.any():
        ax.contour(x, z[rows], hs, levels=[0.5], colors="lime", linewidths=0.8,
                   linestyles="dashed")
    el = ds["electrode"].values[rows]
    ax.contour(x, z[rows], (el == 1).astype(float), levels=[0.5], colors="white", linewidths=0.8)
    ax.contour(x, z[rows], (el == 2).astype(float), levels=[0.5], colors="grey", linewidths=0.8)
    lay = ds["layer"].values[:, 0]
    for i in np.nonzero(np.diff(lay))[0]:
        zb = 0.5 * (z[i] + z[i + 1])
        if zb <= zmax_show:
            ax.axhline(zb, color="w", lw=0.5, ls=":")
    ax.set_ylim(zmax_show, 0)
    ax.set_xlabel(label(ds["x"]))
    ax.set_ylabel(label(ds["z"]))
    ax.set_title(f"peak temperature: {ds.attrs.get('mode', '')} "
                 f"{ds.attrs.get('frequency_MHz', '')} MHz, "
                 f"{float(ds['energy_per_pin_mJ']):.1f} mJ/pin delivered")
    from matplotlib.lines import Line2D

    key = [Line2D([], [], color="cyan", lw=1.2, label="coagulated (Ω ≥ 1)"),
           Line2D([], [], color="lime", lw=0.8, ls="--", label="heat shock"),
           Line2D([], [], color="white", lw=0.8, label="exposed electrode"),
           Line2D([], [], color="grey", lw=0.8, label="insulated shaft")]
    ax.legend(handles=key, loc="lower right", fontsize=7, frameon=True, facecolor="0.15",
              edgecolor="0.4", labelcolor="white", framealpha=0.9)
    t = ds["time"].values
    for var, text, colour in (
            ("max_temperature_C", "hottest tissue cell (map maximum)", "#b2182b"),
            ("tip_temperature_C", "electrode surface (mean)", "#ef8a62"),
            ("epidermis_max_temperature_C", "epidermis (maximum)", "#2166ac")):
        ax2.plot(t, ds[var].values, label=text, color=colour, lw=1.2)
    ax2.set_xlabel(label(ds["time"]))
    ax2.set_ylabel(pretty_label("temperature", ds["max_temperature_C"].attrs.get("units", "degC")))
    ax3 = ax2.twinx()
    ax3.fill_between(t, 0, ds["power_W"].values, step="pre", color="k", alpha=0.1,
                     label="generator power")
    ax3.spines["right"].set_visible(True)
    ax2.set_title("temperature and power vs time")
    if "power_requested_W" in ds and int(ds.get("limiter_acted", 0)):
        ax3.step(t, ds["power_requested_W"].values, where="pre", color="k", lw=0.6, ls="--",
                 label=f"power requested (the limiter lowered it for "
                       f"{float(ds['limited_time_ms']):.0f} ms)")
    ax3.set_ylabel(label(ds["power_W"]))
    # linear over the pulse, logarithmic over the cooling that follows
    on_ms = float(ds.attrs.get("conduction_time_ms", 100.0) or 100.0)
    ax2.set_xscale("symlog", linthresh=on_ms, linscale=1.5)
    ax2.set_xlim(0.0, float(t[-1]))
    lines = ax2.get_legend_handles_labels()
    power = ax3.get_legend_handles_labels()
    ax2.legend(lines[0] + power[0], lines[1] + power[1], loc="upper center",
               bbox_to_anchor=(0.5, -0.18), ncol=2, fontsize=7)
    return fig
