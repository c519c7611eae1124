"""Figures from result Datasets (matplotlib only; no simulation here).

Every function takes a Dataset written by :func:`dermsim.simulate` (or opened from NetCDF)
and returns a :class:`matplotlib.figure.Figure`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import xarray as xr

LAYER_COLOURS = ("#d9c27a", "#f2cfa9", "#f4a7a0", "#d9737a", "#f7e7b0")


def _plt() -> Any:
    # no matplotlib.use(): pyplot falls back to Agg by itself where there is no display, and
    # forcing a backend here would break notebooks' inline figures
    import matplotlib.pyplot as plt

    return plt


def draw_layers(ax: Any, ds: xr.Dataset, alpha: float = 1.0, labels: bool = True) -> None:
    """Draw the layer stack as coloured bands (x, z in µm; depth increasing downwards)."""
    from matplotlib.colors import ListedColormap

    x = ds["x"].values
    z = ds["z"].values
    h = float(x[1] - x[0]) if len(x) > 1 else 1.0
    extent = (x[0] - h / 2, x[-1] + h / 2, z[-1] + h / 2, z[0] - h / 2)
    ax.imshow(ds["layer"].values, cmap=ListedColormap(LAYER_COLOURS), vmin=-0.5, vmax=4.5,
              extent=extent, aspect="equal", interpolation="nearest", alpha=alpha)
    names = [str(n) for n in ds["layer_name"].values]
    for top in ds["layer_top"].values:
        if top > 0:
            ax.axhline(top, color="k", lw=0.5, alpha=0.5)
    if labels:
        from matplotlib.patches import Patch

        handles = [Patch(facecolor=c, edgecolor="0.3", label=n.replace("_", " "))
                   for c, n in zip(LAYER_COLOURS, names)]
        ax.figure.legend(handles=handles, loc="outside right upper", fontsize=7,
                         title="layers", title_fontsize=7, frameon=False)
    ax.set_xlim(extent[0], extent[1])
    ax.set_ylim(extent[2], extent[3])
    ax.set_xlabel("x [µm]")
    ax.set_ylabel("depth z [µm]")


def scale_bar(ax: Any, length_um: float, label: str | None = None) -> None:
    """A horizontal scale bar in the lower-left corner (data units µm)."""
    x0, x1 = ax.get_xlim()
    z_bottom, z_top = ax.get_ylim()
    xb = x0 + 0.05 * (x1 - x0)
    zb = z_bottom - 0.06 * (z_bottom - z_top)
    ax.plot([xb, xb + length_um], [zb, zb], color="k", lw=3, solid_capstyle="butt")
    ax.text(xb + length_um / 2, zb - 0.015 * (z_bottom - z_top), label or f"{length_um:g} µm",
            ha="center", va="bottom", fontsize=8)


def _nice_length(span: float) -> float:
    raw = span / 5
    mag = 10 ** np.floor(np.log10(raw))
    for m in (1, 2, 5, 10):
        if m * mag >= raw:
            return float(m * mag)
    return float(10 * mag)


def plot_cross_section(ds: xr.Dataset, session: int = 1, ax: Any = None) -> Any:
    """Cross-section of one session: layers, channels (injury), nominal vs effective depth."""
    plt = _plt()
    if ax is None:
        fig, ax = plt.subplots(figsize=(9, 5))
    else:
        fig = ax.figure
    draw_layers(ax, ds)
    sel = ds.sel(session=session)
    inj = np.ma.masked_less(sel["injury"].values, 0.02)
    x = ds["x"].values
    z = ds["z"].values
    h = float(x[1] - x[0])
    im = ax.imshow(inj, cmap="Greys", vmin=0, vmax=1, alpha=0.85, interpolation="nearest",
                   extent=(x[0] - h / 2, x[-1] + h / 2, z[-1] + h / 2, z[0] - h / 2),
                   aspect="equal")
    nominal = float(sel["nominal_length"])
    eff = float(sel["effective_depth"])
    ax.axhline(nominal, color="tab:blue", ls="--", lw=1.2, label=f"nominal length {nominal:.0f} µm")
    ax.axhline(eff, color="tab:red", ls="-", lw=1.2, label=f"mean effective depth {eff:.0f} µm")
    nx_ = sel["needle_x"].values
    nd = sel["needle_depth"].values
    ok = np.isfinite(nx_)
    ax.plot(nx_[ok], nd[ok], "v", color="tab:red", ms=4, label="needle tips")
    z_show = min(z[-1] + h / 2, max(nominal, float(ds["layer_bottom"].values[3])) + 600.0)
    ax.set_ylim(z_show, z[0] - h / 2)
    scale_bar(ax, _nice_length(x[-1] - x[0]))
    ax.set_title(f"{ds.attrs.get('scenario', '')}: session {session} — "
                 f"{ds.attrs.get('device_preset', '')} on {ds.attrs.get('site', '')}")
    ax.legend(loc="lower right", fontsize=7, framealpha=0.9)
    fig.colorbar(im, ax=ax, shrink=0.6, label="injury [0-1]")
    return fig


def plot_result(ds: xr.Dataset) -> Any:
    """The figure ``dermsim run`` writes: a panel per stage present in the result."""
    plt = _plt()
    panels = ["cross_section"]
    if "rf_peak_temperature" in ds:
        panels.append("rf")
    if "gf_snapshot" in ds:
        panels.append("signalling")
    if "collagen_I_change" in ds:
        panels.append("remodelling")
    heights = {"cross_section": 4.5, "signalling": 5.0, "rf": 4.0, "remodelling": 4.0}
    fig = plt.figure(figsize=(13, sum(heights[p] for p in panels)), layout="constrained")
    subfigs = np.atleast_1d(fig.subfigures(len(panels), 1,
                                           height_ratios=[heights[p] for p in panels]))
    for sf, panel in zip(subfigs, panels):
        if panel == "cross_section":
            plot_cross_section(ds, int(ds["session"].values[0]), sf.subplots())
        else:
            PANEL_FUNCTIONS[panel](ds, sf)
    fig.suptitle("dermsim — research and teaching tool, not medical advice", fontsize=8,
                 color="0.4")
    return fig


def _layer_lines(ax: Any, ds: xr.Dataset, colour: str = "w") -> None:
    for top in ds["layer_top"].values[1:]:
        if top < ds["z"].values[-1]:
            ax.axhline(top, color=colour, lw=0.6, ls="--", alpha=0.8)


def plot_signalling(ds: xr.Dataset, fig: Any = None) -> Any:
    """Growth-factor snapshots (1 h, 6 h, 1 d, 3 d by default) of the first session, one row
    per species, log colour scale, layer boundaries dashed; depth cropped below the dermis."""
    from matplotlib.colors import LogNorm

    plt = _plt()
    snap = ds["gf_snapshot"]
    species = [str(s) for s in snap["species"].values]
    times = snap["snapshot_time"].values
    if fig is None:
        fig = plt.figure(figsize=(3 * len(times), 2.6 * len(species)), layout="constrained")
    axes = np.atleast_2d(fig.subplots(len(species), len(times), sharex=True, sharey=True))
    x, z = ds["x"].values, ds["z"].values
    h = float(x[1] - x[0])
    z_max = min(z[-1], float(ds["layer_bottom"].values[3]) + 500.0)
    labels = {"tgfb1": "TGF-β1", "pdgf": "PDGF"}
    for i, sp in enumerate(species):
        data = snap.sel(species=sp).values
        vmax = float(np.nanmax(data)) if np.nanmax(data) > 0 else 1.0
        norm = LogNorm(vmin=vmax * 1e-3, vmax=vmax)
        for j, t in enumerate(times):
            ax = axes[i, j]
            im = ax.imshow(np.clip(data[j], vmax * 1e-3, None), norm=norm, cmap="magma",
                           extent=(x[0] - h / 2, x[-1] + h / 2, z[-1] + h / 2, z[0] - h / 2),
                           aspect="auto", interpolation="nearest")
            _layer_lines(ax, ds)
            ax.set_ylim(z_max, 0)
            if np.nanmax(data[j]) < vmax * 1e-3:
                ax.text(0.5, 0.5, "< 0.1 % of the peak: cleared\n(later secretion by "
                        "macrophages\nis in the remodelling model)",
                        transform=ax.transAxes, ha="center", va="center", color="w",
                        fontsize=8)
            label = f"{t:g} h" if t < 24 else f"{t / 24:g} d"
            ax.set_title(f"{labels.get(sp, sp)}, {label}", fontsize=9)
            if j == 0:
                ax.set_ylabel("depth [µm]")
            if i == len(species) - 1:
                ax.set_xlabel("x [µm]")
        fig.colorbar(im, ax=axes[i, :], shrink=0.8, label=f"{labels.get(sp, sp)} [ng/mL]")
    return fig


def plot_remodelling(ds: xr.Dataset, fig: Any = None) -> Any:
    """Collagen I and III change (papillary, reticular, dermis mean) and inflammation over the
    protocol, sessions marked; final depth profile of the change."""
    plt = _plt()
    if fig is None:
        fig = plt.figure(figsize=(13, 4), layout="constrained")
    ax1, ax2, ax3 = fig.subplots(1, 3, width_ratios=[2, 1.2, 1])
    t = ds["time"].values
    w = ds["band_thickness"]
    layer = ds["band_layer"].values
    for var, colour in (("collagen_I_change", "tab:blue"), ("collagen_III_change", "tab:orange")):
        mean = (ds[var] * w).sum("band") / w.sum()
        label = var.replace("_change", "").replace("_", " ")
        ax1.plot(t, mean, color=colour, lw=2, label=f"{label}, dermis")
        for lay, ls in ((2, ":"), (3, "--")):
            m = layer == lay
            if m.any():
                sub = (ds[var].isel(band=m) * w.isel(band=m)).sum("band") / w.isel(band=m).sum()
                name = "papillary" if lay == 2 else "reticular"
                ax1.plot(t, sub, color=colour, ls=ls, lw=1, label=f"{label}, {name}")
    for day in ds["session_day"].values:
        for ax in (ax1, ax2):
            ax.axvline(day, color="0.5", lw=0.8, ls=":")
    ax1.axhline(0, color="k", lw=0.5)
    ax1.set(xlabel="time [day]", ylabel="change vs baseline [%]",
            title="collagen (dotted: sessions)")
    ax1.legend(fontsize=7, ncol=2)
    for var, colour, label in (("inflammation", "tab:red", "inflammatory cells"),
                               ("fibroblasts", "tab:green", "fibroblasts")):
        if var in ds:
            series = ds[var].max("band")
            ax2.plot(t, series / max(float(series.max()), 1e-30), color=colour, label=label)
    ax2.set(xlabel="time [day]", ylabel="relative to own peak", title="cells (band maximum)",
            xlim=(0, min(t[-1], float(ds["session_day"].values[0]) + 42)))
    ax2.legend(fontsize=7)
    final = ds["collagen_I_change"].isel(time=-1)
    ax3.plot(final, ds["band"], "o-", color="tab:blue", ms=3, label="collagen I")
    ax3.plot(ds["collagen_III_change"].isel(time=-1), ds["band"], "s-", color="tab:orange",
             ms=3, label="collagen III")
    ax3.invert_yaxis()
    ax3.set(xlabel=f"change at day {t[-1]:.0f} [%]", ylabel="depth [µm]", title="depth profile")
    ax3.legend(fontsize=7)
    return fig


def plot_rf(ds: xr.Dataset, fig: Any = None, session: int | None = None) -> Any:
    """RF heating of one session: peak-temperature map with the Ω = 1 (coagulation) contour
    and layer lines, and temperature vs time at the tip and in the epidermis."""
    plt = _plt()
    if fig is None:
        fig = plt.figure(figsize=(12, 4), layout="constrained")
    ax1, ax2 = fig.subplots(1, 2, width_ratios=[2, 1])
    sel = ds.sel(session=session or int(ds["session"].values[0]))
    x, z = ds["x"].values, ds["z"].values
    h = float(x[1] - x[0])
    extent = (x[0] - h / 2, x[-1] + h / 2, z[-1] + h / 2, z[0] - h / 2)
    im = ax1.imshow(sel["rf_peak_temperature"].values, cmap="inferno", extent=extent,
                    aspect="auto", vmin=35)
    ax1.contour(x, z, sel["rf_damage"].values, levels=[1.0], colors="cyan", linewidths=1)
    _layer_lines(ax1, ds)
    ax1.set_ylim(min(z[-1], float(sel["nominal_length"]) + 800), 0)
    ax1.set(xlabel="x [µm]", ylabel="depth [µm]",
            title="peak temperature (cyan: Ω = 1 coagulation)")
    fig.colorbar(im, ax=ax1, label="peak temperature [°C]")
    t = ds["rf_time"].values
    for var, label in (("rf_tip_temperature_C", "at the pin tip"),
                       ("rf_epidermis_max_temperature_C", "epidermis (max)")):
        if var in ds:
            ax2.plot(t, sel[var], label=label)
    ax2.axhline(43, color="0.5", ls=":", lw=0.8)
    ax2.set(xlabel=f"time [{ds['rf_time'].attrs.get('units', 'ms')}]",
            ylabel="temperature [°C]", title="temperature vs time")
    ax2.set_xscale("symlog", linthresh=10)
    ax2.legend(fontsize=7)
    return fig


#: Panels of the ``dermsim run`` figure beyond the cross-section, by stage.
PANEL_FUNCTIONS: dict[str, Any] = {
    "signalling": plot_signalling,
    "rf": plot_rf,
    "remodelling": plot_remodelling,
}


def _dermis_mean_change(ds: xr.Dataset, var: str) -> xr.DataArray:
    return ds[var].mean("band")


def plot_comparison(results: list[xr.Dataset], names: list[str]) -> Any:
    """Side-by-side comparison: collagen time courses with session markers and depth profiles
    of the final change (when remodelling ran), else effective depth and injury per scenario."""
    plt = _plt()
    has_collagen = all("collagen_I_change" in ds for ds in results)
    if not has_collagen:
        fig, axes = plt.subplots(1, 2, figsize=(10, 4), layout="constrained")
        depth = [float(ds["effective_depth"].isel(session=0)) for ds in results]
        dermal = [float(ds["dermal_injury"].isel(session=0)) for ds in results]
        axes[0].bar(names, depth, color="tab:red")
        axes[0].set_ylabel("mean effective depth [µm]")
        axes[1].bar(names, dermal, color="tab:purple")
        axes[1].set_ylabel("dermal injury [mm³/cm²]")
        for ax in axes:
            ax.tick_params(axis="x", rotation=30)
        return fig
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.5), layout="constrained")
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for k, (ds, name) in enumerate(zip(results, names)):
        c = colours[k % len(colours)]
        t = ds["time"].values
        axes[0].plot(t, _dermis_mean_change(ds, "collagen_I_change"), color=c, label=name)
        axes[1].plot(t, _dermis_mean_change(ds, "collagen_III_change"), color=c, label=name)
        for day in ds["session_day"].values:
            for ax in axes[:2]:
                ax.axvline(day, color=c, lw=0.6, ls=":", alpha=0.7)
        final = ds["collagen_I_change"].isel(time=-1)
        axes[2].plot(final.values, ds["band"].values, color=c, label=name)
    axes[0].set(xlabel="time [day]", ylabel="collagen I change, dermis mean [%]",
                title="collagen I")
    axes[1].set(xlabel="time [day]", ylabel="collagen III change, dermis mean [%]",
                title="collagen III")
    axes[2].set(xlabel="collagen I change at the end [%]", ylabel="depth [µm]",
                title="final depth profile")
    axes[2].invert_yaxis()
    axes[0].legend(fontsize=8)
    fig.suptitle("dermsim compare — dotted lines: sessions (research and teaching tool, "
                 "not medical advice)", fontsize=9)
    return fig
