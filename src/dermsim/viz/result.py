"""Figures from result Datasets (matplotlib only; no simulation here).

Every function takes a Dataset written by :func:`dermsim.simulate` (or opened from NetCDF)
and returns a :class:`matplotlib.figure.Figure`, drawn in the package style
(:mod:`dermsim.viz.style`) with axis labels taken from the Dataset attrs.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import xarray as xr

from dermsim.metrics import comparison_days
from dermsim.schema import pretty_units
from dermsim.viz import style
from dermsim.viz.style import LAYER_COLOURS, label

__all__ = ["LAYER_COLOURS", "draw_layers", "plot_comparison", "plot_cross_section",
           "plot_remodelling", "plot_result", "plot_rf", "plot_signalling", "scale_bar"]


def _plt() -> Any:
    # no matplotlib.use(): pyplot falls back to Agg by itself where there is no display, and
    # forcing a backend here would break notebooks' inline figures
    import matplotlib.pyplot as plt

    return plt


def _new_figure(figsize: tuple[float, float]) -> Any:
    return _plt().figure(figsize=figsize, layout="constrained")


def draw_layers(ax: Any, ds: xr.Dataset, alpha: float = 1.0, labels: bool = True) -> None:
    """Draw the layer stack as coloured bands (x, z in µm; depth increasing downwards)."""
    ext = style.extent(ds)
    ax.imshow(ds["layer"].values, cmap=style.layer_cmap(), vmin=-0.5, vmax=4.5, extent=ext,
              aspect="equal", interpolation="nearest", alpha=alpha)
    for top in ds["layer_top"].values:
        if top > 0:
            ax.axhline(top, color="k", lw=0.4, alpha=0.4)
    if labels:
        ax.figure.legend(handles=style.layer_handles(ds["layer_name"].values),
                         loc="outside right upper", fontsize=7, title="layers",
                         title_fontsize=7, frameon=False)
    ax.set_xlim(ext[0], ext[1])
    ax.set_ylim(ext[2], ext[3])
    ax.set_xlabel(label(ds["x"]))
    ax.set_ylabel(label(ds["z"]))


def scale_bar(ax: Any, length_um: float, text: str | None = None) -> None:
    """A horizontal scale bar in the lower-left corner (data units µm)."""
    x0, x1 = ax.get_xlim()
    z_bottom, z_top = ax.get_ylim()
    xb = x0 + 0.05 * (x1 - x0)
    zb = z_bottom - 0.06 * (z_bottom - z_top)
    ax.plot([xb, xb + length_um], [zb, zb], color="k", lw=3, solid_capstyle="butt")
    ax.text(xb + length_um / 2, zb - 0.015 * (z_bottom - z_top), text or f"{length_um:g} µm",
            ha="center", va="bottom", fontsize=8)


def _nice_length(span: float) -> float:
    raw = span / 5
    mag = 10 ** np.floor(np.log10(raw))
    for m in (1, 2, 5, 10):
        if m * mag >= raw:
            return float(m * mag)
    return float(10 * mag)


def slice_injured_width(ds: xr.Dataset, session: int) -> float:
    """Fraction of the slice width whose viable epidermis is injured (≥ 0.5) in ``session``.

    The slice runs through the centres of one row of needles, so this is much larger than
    the fraction of the skin surface punctured (``surface_fraction_punctured``, 3-D)."""
    inj = ds["injury"].sel(session=session).values
    epi = np.where((ds["layer"].values == 1).any(axis=1))[0]
    row = int(epi[len(epi) // 2]) if epi.size else 0
    return float(np.mean(inj[row] >= 0.5))


@style.styled
def plot_cross_section(ds: xr.Dataset, session: int = 1, ax: Any = None) -> Any:
    """Cross-section of one session: layers, injured tissue (translucent), nominal vs
    effective depth, needle tips, and what the slice shows compared with the whole surface."""
    if ax is None:
        fig, ax = _plt().subplots(figsize=(9, 5), layout="constrained")
    else:
        fig = ax.figure
    draw_layers(ax, ds)
    sel = ds.sel(session=session)
    ax.imshow(style.injury_rgba(sel["injury"].values), extent=style.extent(ds),
              aspect="equal", interpolation="nearest")
    nominal = float(sel["nominal_length"])
    eff = float(sel["effective_depth"])
    from matplotlib import patheffects

    halo = [patheffects.withStroke(linewidth=3, foreground="white", alpha=0.8)]
    ax.axhline(nominal, color="#1f5fa8", ls="--", lw=1.4, path_effects=halo,
               label=f"nominal needle length {nominal:.0f} µm")
    ax.axhline(eff, color="#b2182b", ls="-", lw=1.4, path_effects=halo,
               label=f"mean effective depth {eff:.0f} µm")
    nx_ = sel["needle_x"].values
    nd = sel["needle_depth"].values
    ok = np.isfinite(nx_)
    ax.plot(nx_[ok], nd[ok], "v", color="#c0392b", ms=4, label="needle tips")
    x, z = ds["x"].values, ds["z"].values
    h = float(x[1] - x[0])
    z_show = min(z[-1] + h / 2, max(nominal, float(ds["layer_bottom"].values[3])) + 600.0)
    ax.set_ylim(z_show, z[0] - h / 2)
    ax.set_title(f"{ds.attrs.get('scenario', '')}: session {session} — "
                 f"{ds.attrs.get('device_preset', '')} on {ds.attrs.get('site', '')}, "
                 "slice through one row of needle centres")
    ax.legend(loc="lower right", fontsize=7, framealpha=0.9, frameon=True)
    surf = 100 * float(sel["surface_fraction_punctured"])
    slice_pct = 100 * slice_injured_width(ds, session)
    # below the axes (under the x label), so that it never covers the legends on narrow grids
    ax.annotate(f"this slice cuts every channel through its centre: {slice_pct:.0f} % of its "
                f"width is injured.\nOver the whole skin surface (3-D) {surf:.1f} % is "
                "punctured per session.", xy=(0.0, 0.0), xycoords="axes fraction",
                xytext=(0.0, -38.0), textcoords="offset points", fontsize=7, ha="left",
                va="top", annotation_clip=False,
                bbox={"facecolor": "white", "alpha": 0.85, "edgecolor": "0.7", "pad": 3})
    from matplotlib.cm import ScalarMappable

    sm = ScalarMappable(cmap=style.injury_cmap())
    sm.set_clim(0, 1)
    fig.colorbar(sm, ax=ax, shrink=0.6, label=label(ds["injury"]))
    return fig


@style.styled
def plot_result(ds: xr.Dataset) -> Any:
    """The figure ``dermsim run`` writes: a panel per stage present in the result."""
    panels = ["cross_section"]
    if "rf_peak_temperature" in ds:
        panels.append("rf")
    if "gf_snapshot" in ds:
        panels.append("signalling")
    if "collagen_I_change" in ds:
        panels.append("remodelling")
    heights = {"cross_section": 4.8, "signalling": 3.8, "rf": 4.0, "remodelling": 4.2}
    fig = _new_figure((13, sum(heights[p] for p in panels)))
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


@style.styled
def plot_signalling(ds: xr.Dataset, fig: Any = None) -> Any:
    """Growth-factor snapshots (1 h, 6 h, 1 d, 3 d by default) of the first session, one row
    per species, log colour scale, layer boundaries dashed; depth cropped below the dermis."""
    from matplotlib.colors import LogNorm

    snap = ds["gf_snapshot"]
    species = [str(s) for s in snap["species"].values]
    times = snap["snapshot_time"].values
    if fig is None:
        fig = _new_figure((3 * len(times), 2.6 * len(species)))
    axes = np.atleast_2d(fig.subplots(len(species), len(times), sharex=True, sharey=True))
    z = ds["z"].values
    z_max = min(z[-1], float(ds["layer_bottom"].values[3]) + 500.0)
    for i, sp in enumerate(species):
        data = snap.sel(species=sp).values
        vmax = float(np.nanmax(data)) if np.nanmax(data) > 0 else 1.0
        norm = LogNorm(vmin=vmax * 1e-3, vmax=vmax)
        name = style.species_name(sp)
        im = None
        for j, t in enumerate(times):
            ax = axes[i, j]
            im = ax.imshow(np.clip(data[j], vmax * 1e-3, None), norm=norm, cmap="magma",
                           extent=style.extent(ds), aspect="equal", interpolation="nearest")
            _layer_lines(ax, ds)
            ax.set_ylim(z_max, 0)
            if np.nanmax(data[j]) < vmax * 1e-3:
                ax.text(0.5, 0.5, "< 0.1 % of the peak: cleared\n(later secretion by "
                        "macrophages\nis in the remodelling model)",
                        transform=ax.transAxes, ha="center", va="center", color="w",
                        fontsize=7)
            ax.set_title(f"{name}, {style.time_label(float(t))} after session "
                         f"{int(snap.attrs.get('session', 1))}", fontsize=9)
            if j == 0:
                ax.set_ylabel(label(ds["z"], short=True))
            if i == len(species) - 1:
                ax.set_xlabel(label(ds["x"]))
        fig.colorbar(im, ax=axes[i, :], shrink=0.8,
                     label=f"{name} [{pretty_units(snap.attrs.get('units', 'ng/mL'))}]")
    return fig


def _dermis_mean(ds: xr.Dataset, var: str, mask: Any = None) -> xr.DataArray:
    """Thickness-weighted mean of a band variable (over ``mask`` bands, default all)."""
    w = ds["band_thickness"] if "band_thickness" in ds else xr.ones_like(ds["band"])
    da = ds[var]
    if mask is not None:
        da, w = da.isel(band=mask), w.isel(band=mask)
    return (da * w).sum("band") / w.sum()


@style.styled
def plot_remodelling(ds: xr.Dataset, fig: Any = None) -> Any:
    """Collagen I and III change over the protocol (dermis, papillary, reticular; sessions
    marked with triangles), inflammatory cells and fibroblasts over the whole course with
    units, and the depth profile of the change at the end on an axis that includes zero."""
    if fig is None:
        fig = _new_figure((13, 4.2))
    ax1, ax2, ax3 = fig.subplots(1, 3, width_ratios=[2, 1.4, 1])
    t = ds["time"].values
    layer = ds["band_layer"].values
    for var, colour in (("collagen_I_change", style.COLLAGEN_I),
                        ("collagen_III_change", style.COLLAGEN_III)):
        name = var.replace("_change", "").replace("_", " ")
        ax1.plot(t, _dermis_mean(ds, var), color=colour, lw=2, label=f"{name}, dermis")
        for lay, ls, where in ((2, "-.", "papillary"), (3, (0, (4, 2)), "reticular")):
            m = layer == lay
            if m.any():
                ax1.plot(t, _dermis_mean(ds, var, m), color=colour, ls=ls, lw=0.9,
                         label=f"{name}, {where}")
    days = ds["session_day"].values
    style.session_marks(ax1, days)
    ax1.axhline(0, color="k", lw=0.5)
    units = pretty_units(ds["collagen_I_change"].attrs.get("units", "%"))
    ax1.set(xlabel=label(ds["time"]), ylabel=f"change relative to untreated skin [{units}]",
            xlim=(0, t[-1]))
    ax1.set_title("collagen (▼ sessions)", pad=14)
    ax1.legend(fontsize=7, ncol=2, loc="lower right")
    if "inflammation" in ds:
        infl = ds["inflammation"].max("band")
        ax2.plot(t, infl, color=style.INFLAMMATION, lw=1.2, label="inflammatory cells")
        ax2.set_ylabel(f"inflammatory cells, band maximum "
                       f"[{pretty_units(ds['inflammation'].attrs.get('units', ''))}]",
                       color=style.INFLAMMATION)
    if "fibroblasts" in ds:
        ax2b = ax2.twinx()
        ax2b.spines["right"].set_visible(True)
        ax2b.plot(t, ds["fibroblasts"].max("band"), color=style.FIBROBLASTS, lw=1.2)
        ax2b.set_ylabel("fibroblasts, band maximum\n[× resident density]",
                        color=style.FIBROBLASTS)
        ax2b.set_ylim(bottom=0)
    style.session_marks(ax2, days, label=None)
    ax2.set(xlabel=label(ds["time"]), xlim=(0, t[-1]))
    ax2.set_ylim(bottom=0)
    ax2.set_title("cells over the whole course", pad=14)
    end = ds["collagen_I_change"].isel(time=-1)
    style.layer_bands(ax3, ds, z_max=float(ds["band_bottom"].values[-1]) + 25, labels=True)
    ax3.plot(end, ds["band"], "o-", color=style.COLLAGEN_I, ms=3, label="collagen I")
    ax3.plot(ds["collagen_III_change"].isel(time=-1), ds["band"], "s-", color=style.COLLAGEN_III,
             ms=3, label="collagen III")
    lo = min(0.0, float(np.nanmin(end)), float(ds["collagen_III_change"].isel(time=-1).min()))
    hi = max(float(np.nanmax(end)), float(ds["collagen_III_change"].isel(time=-1).max()), 1.0)
    ax3.set_xlim(lo, hi * 1.08)
    ax3.axvline(0, color="k", lw=0.5)
    ax3.set_ylim(float(ds["band_bottom"].values[-1]) + 25, 0)
    ax3.set(xlabel=f"change at day {t[-1]:.0f} [{units}]", ylabel=label(ds["band"]))
    ax3.set_title("depth profile at the end", pad=14)
    ax3.legend(fontsize=7, loc="lower left")
    return fig


@style.styled
def plot_rf(ds: xr.Dataset, fig: Any = None, session: int | None = None) -> Any:
    """RF heating of one session: peak-temperature map with the Ω = 1 (coagulation) contour
    and layer lines, and temperature vs time: hottest tissue cell (the map's maximum),
    electrode surface and epidermis."""
    if fig is None:
        fig = _new_figure((12, 4))
    ax1, ax2 = fig.subplots(1, 2, width_ratios=[2, 1])
    sel = ds.sel(session=session or int(ds["session"].values[0]))
    x, z = ds["x"].values, ds["z"].values
    im = ax1.imshow(sel["rf_peak_temperature"].values, cmap="inferno", extent=style.extent(ds),
                    aspect="equal", vmin=35)
    if float(sel["rf_damage"].max()) >= 1.0:
        ax1.contour(x, z, sel["rf_damage"].values, levels=[1.0], colors="cyan", linewidths=1)
    _layer_lines(ax1, ds)
    ax1.set_ylim(min(z[-1], float(sel["nominal_length"]) + 800), 0)
    ax1.set(xlabel=label(ds["x"]), ylabel=label(ds["z"]))
    ax1.set_title("peak temperature (cyan: Ω = 1, coagulated)")
    fig.colorbar(im, ax=ax1, label=label(ds["rf_peak_temperature"]))
    t = ds["rf_time"].values
    for var, text, colour in (
            ("rf_max_temperature_C", "hottest tissue cell (map maximum)", "#b2182b"),
            ("rf_tip_temperature_C", "electrode surface (mean)", "#ef8a62"),
            ("rf_epidermis_max_temperature_C", "epidermis (maximum)", "#2166ac")):
        if var in ds:
            ax2.plot(t, sel[var], label=text, color=colour, lw=1.2)
    ax2.axhline(43, color="0.5", ls=":", lw=0.8, label="43 °C (thermal-dose reference)")
    ax2.set(xlabel=label(ds["rf_time"]), ylabel=f"temperature [{pretty_units('degC')}]")
    ax2.set_title("temperature vs time")
    ax2.set_xscale("symlog", linthresh=10)
    ax2.set_xlim(0, float(t[-1]))
    ax2.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=2)
    return fig


#: Panels of the ``dermsim run`` figure beyond the cross-section, by stage.
PANEL_FUNCTIONS: dict[str, Any] = {
    "signalling": plot_signalling,
    "rf": plot_rf,
    "remodelling": plot_remodelling,
}


def _draw_band(axes: Any, ens: xr.Dataset, colour: str, day: float) -> list[float]:
    """Shade a posterior ensemble's 5–95 % band on the comparison axes (time courses of the
    dermis-mean collagen I and III changes; collagen I depth profile at ``day``); returns
    the extent of the profile band."""
    t = ens["time"].values
    for ax, var in ((axes[0], "dermis_collagen_I_change"), (axes[1], "dermis_collagen_III_change")):
        if var in ens:
            q = ens[var].values
            ax.fill_between(t, q[0], q[2], color=colour, alpha=0.2, lw=0)
    if "collagen_I_change" in ens:
        prof = ens["collagen_I_change"].interp(time=day).transpose("quantile", "band").values
        axes[2].fill_betweenx(ens["band"].values, prof[0], prof[2], color=colour, alpha=0.2,
                              lw=0)
        return [float(np.nanmin(prof[0])), float(np.nanmax(prof[2]))]
    return []


@style.styled
def plot_comparison(results: list[xr.Dataset], names: list[str],
                    bands: list[xr.Dataset | None] | None = None) -> Any:
    """Side-by-side comparison: collagen time courses with per-scenario session markers, and
    depth profiles at the common comparison time (:func:`dermsim.metrics.comparison_days`)
    when remodelling
    ran; else effective depth and injury per scenario.

    ``bands``: each scenario's posterior ensemble (quantile Dataset of
    :func:`dermsim.calibration.ensemble.run_ensemble`, or None): its 5–95 % band of the
    dermis-mean collagen courses and of the depth profile is shaded behind the scenario's
    line."""
    plt = _plt()
    has_collagen = all("collagen_I_change" in ds for ds in results)
    if not has_collagen:
        fig, axes = plt.subplots(1, 2, figsize=(10, 4), layout="constrained")
        depth = [float(ds["effective_depth"].isel(session=0)) for ds in results]
        dermal = [float(ds["dermal_injury"].isel(session=0)) for ds in results]
        axes[0].bar(names, depth, color="#c0392b")
        axes[0].set_ylabel(label(results[0]["effective_depth"]))
        axes[1].bar(names, dermal, color="#7b3294")
        axes[1].set_ylabel(label(results[0]["dermal_injury"]))
        for ax in axes:
            ax.tick_params(axis="x", rotation=30)
        fig.suptitle("dermsim compare — research and teaching tool, not medical advice",
                     fontsize=9)
        return fig
    follow, days = comparison_days(results)
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.8), layout="constrained",
                             width_ratios=[1.5, 1.5, 1])
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    units = pretty_units(results[0]["collagen_I_change"].attrs.get("units", "%"))
    extent: list[float] = []  # of the depth-profile bands
    for k, (ds, name) in enumerate(zip(results, names)):
        c = colours[k % len(colours)]
        t = ds["time"].values
        for ax, var in ((axes[0], "collagen_I_change"), (axes[1], "collagen_III_change")):
            ax.plot(t, _dermis_mean(ds, var), color=c, label=name)
            style.session_marks(ax, ds["session_day"].values, colour=c, row=k, label=None,
                                lines=False)
            ax.plot([days[k]], [float(_dermis_mean(ds, var).interp(time=days[k]))], "o",
                    color=c, mfc="white", ms=6)
        prof = ds["collagen_I_change"].interp(time=days[k])
        axes[2].plot(prof.values, ds["band"].values, "o-", ms=3, color=c, label=name)
        ens = bands[k] if bands else None
        if ens is not None:
            extent += _draw_band(axes, ens, c, days[k])
    for ax, text in ((axes[0], "collagen I"), (axes[1], "collagen III")):
        ax.axhline(0, color="k", lw=0.5)
        ax.set(xlabel=label(results[0]["time"]),
               ylabel=f"{text} change, dermis mean [{units}]")
        ax.set_title(f"{text} (▼ sessions, one row per scenario; ○ compared)",
                     pad=8 + 12 * len(results))
    axes[0].legend(fontsize=8, loc="lower right")
    style.layer_bands(axes[2], results[0],
                      z_max=float(results[0]["band_bottom"].values[-1]) + 25)
    lo = min(0.0, *extent, *(float(line.get_xdata().min()) for line in axes[2].lines))
    hi = max(1.0, *extent, *(float(line.get_xdata().max()) for line in axes[2].lines))
    axes[2].set_xlim(lo, hi * 1.08)
    axes[2].axvline(0, color="k", lw=0.5)
    axes[2].set_ylim(float(results[0]["band_bottom"].values[-1]) + 25, 0)
    axes[2].set(xlabel=f"collagen I change [{units}]", ylabel=label(results[0]["band"]))
    axes[2].set_title(f"depth profile {follow:.0f} days after\neach scenario's last session",
                      pad=8 + 12 * len(results))
    axes[2].legend(fontsize=8, loc="lower left", title="scenario", title_fontsize=8)
    t_end = max(float(ds["time"].values[-1]) for ds in results)
    for ax in axes[:2]:
        ax.set_xlim(0, t_end)
    fig.suptitle("dermsim compare — research and teaching tool, not medical advice",
                 fontsize=9)
    return fig
