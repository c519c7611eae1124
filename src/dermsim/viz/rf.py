"""The RF stage's figure: peak-temperature map with the zones and electrodes, and T(t)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    import matplotlib.figure
    import xarray as xr

__all__ = ["figure_rf"]


def figure_rf(ds: xr.Dataset) -> matplotlib.figure.Figure:
    """Peak-temperature map with the Ω = 1 contour, layer lines and electrodes, and T(t) at
    the electrode surface and in the epidermis.

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
    fig.colorbar(im, ax=ax, label="peak temperature [°C]")
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
    ax.set_xlabel("x [µm]")
    ax.set_ylabel("depth [µm]")
    ax.set_title(f"{ds.attrs.get('mode', '')} {ds.attrs.get('frequency_MHz', '')} MHz, "
                 f"{float(ds['energy_per_pin_mJ']):.1f} mJ/pin; Ω=1 cyan, heat shock green")
    t = ds["time"].values
    ax2.plot(t, ds["tip_temperature_C"].values, label="electrode surface (mean)")
    ax2.plot(t, ds["max_temperature_C"].values, label="maximum", lw=0.8)
    ax2.plot(t, ds["epidermis_max_temperature_C"].values, label="epidermis (max)")
    ax2.set_xlabel("time [ms]")
    ax2.set_ylabel("temperature [°C]")
    ax2.legend(fontsize=8)
    ax3 = ax2.twinx()
    ax3.fill_between(t, 0, ds["power_W"].values, step="pre", color="k", alpha=0.1)
    if "power_requested_W" in ds and int(ds.get("limiter_acted", 0)):
        ax3.step(t, ds["power_requested_W"].values, where="pre", color="k", lw=0.6, ls="--")
        ax2.set_title(f"temperature limiter ({ds.attrs.get('limiter', '')}, "
                      f"{ds.attrs.get('max_tissue_temperature_C', 100.0):g} °C) acted for "
                      f"{float(ds['limited_time_ms']):.0f} ms; requested power dashed",
                      fontsize=8)
    ax3.set_ylabel("power [W]")
    return fig
