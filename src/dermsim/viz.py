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
    import matplotlib

    if matplotlib.get_backend().lower() not in ("agg", "module://matplotlib_inline.backend_inline"):
        matplotlib.use("Agg", force=False)
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
    if "gf_snapshot" in ds:
        panels.append("signalling")
    if "rf_peak_temperature" in ds:
        panels.append("rf")
    if "collagen_I_change" in ds:
        panels.append("remodelling")
    fig = plt.figure(figsize=(11, 4.2 * len(panels)), layout="constrained")
    subfigs = np.atleast_1d(fig.subfigures(len(panels), 1))
    for sf, panel in zip(subfigs, panels):
        if panel == "cross_section":
            plot_cross_section(ds, int(ds["session"].values[0]), sf.subplots())
        else:
            PANEL_FUNCTIONS[panel](ds, sf)
    fig.suptitle("dermsim — research and teaching tool, not medical advice", fontsize=8,
                 color="0.4")
    return fig


#: Extra panels registered by the stage figure functions (signalling, rf, remodelling).
PANEL_FUNCTIONS: dict[str, Any] = {}


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
