"""Small figures the explorer page draws itself (growth-factor frames, mechanism steps).

They use matplotlib's object-oriented API (:class:`matplotlib.figure.Figure`, no pyplot), so
page sessions can draw them in threads side by side.
"""

from __future__ import annotations

import io
from typing import Any

import numpy as np
import xarray as xr

from dermsim.viz import LAYER_COLOURS

SPECIES_LABELS = {"tgfb1": "TGF-β1", "pdgf": "PDGF"}


def new_figure(width: float = 7.0, height: float = 3.2) -> Any:
    """A pyplot-free figure with constrained layout."""
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), layout="constrained")


def to_png(fig: Any, dpi: int = 72) -> bytes:
    """PNG bytes of a pyplot-free figure."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()


def time_label(hours: float) -> str:
    """``"6 h"`` below a day, ``"3 d"`` from a day on."""
    return f"{hours:g} h" if hours < 24 else f"{hours / 24:g} d"


def extent(ds: xr.Dataset) -> tuple[float, float, float, float]:
    x, z = ds["x"].values, ds["z"].values
    h = float(x[1] - x[0]) if len(x) > 1 else 1.0
    return (x[0] - h / 2, x[-1] + h / 2, z[-1] + h / 2, z[0] - h / 2)


def depth_limit(ds: xr.Dataset) -> float:
    """Depth shown in the maps: 0.5 mm below the dermis."""
    return float(min(ds["z"].values[-1], float(ds["layer_bottom"].values[3]) + 500.0))


def layer_lines(ax: Any, ds: xr.Dataset, colour: str = "w") -> None:
    for top in ds["layer_top"].values[1:]:
        if top < ds["z"].values[-1]:
            ax.axhline(top, color=colour, lw=0.6, ls="--", alpha=0.8)


def gf_frame(ds: xr.Dataset, time_h: float) -> Any:
    """Growth factors of the first session at one snapshot time: a map per species (log
    scale over two decades, common to every time so frames compare) and the band-mean depth
    profiles."""
    from matplotlib.colors import LogNorm

    snap = ds["gf_snapshot"]
    species = [str(s) for s in snap["species"].values]
    fig = new_figure(10.0, 3.4)
    axes = fig.subplots(1, len(species) + 1, width_ratios=[1.3] * len(species) + [1])
    t = float(snap["snapshot_time"].sel(snapshot_time=time_h, method="nearest"))
    for ax, sp in zip(axes, species):
        data = snap.sel(species=sp)
        vmax = float(data.max()) if float(data.max()) > 0 else 1.0
        frame = data.sel(snapshot_time=t).values
        im = ax.imshow(np.clip(frame, vmax * 1e-2, None), norm=LogNorm(vmax * 1e-2, vmax),
                       cmap="magma", extent=extent(ds), aspect="auto", interpolation="nearest")
        layer_lines(ax, ds)
        ax.set_ylim(depth_limit(ds), 0)
        ax.set(title=f"{SPECIES_LABELS.get(sp, sp)} at {time_label(t)}", xlabel="x [µm]",
               ylabel="depth [µm]")
        fig.colorbar(im, ax=ax, label="ng/mL", shrink=0.85)
    ax = axes[-1]
    band = ds["gf_band"].isel(session=0).sel(gf_time=t, method="nearest")
    for sp, colour in zip(species, ("tab:purple", "tab:green")):
        ax.plot(band.sel(species=sp).values, ds["band"].values, "o-", ms=3, color=colour,
                label=SPECIES_LABELS.get(sp, sp))
    ax.invert_yaxis()
    ax.set_xlim(left=0)
    ax.set(xlabel="band mean [ng/mL]", ylabel="depth [µm]", title="depth profile")
    ax.legend(fontsize=7)
    return fig


def dermis_mean(ds: xr.Dataset, var: str) -> xr.DataArray:
    """Thickness-weighted mean of a (time, band) variable over the dermis bands."""
    w = ds["band_thickness"]
    return (ds[var] * w).sum("band") / w.sum()


def session_lines(ax: Any, ds: xr.Dataset) -> None:
    for day in ds["session_day"].values:
        ax.axvline(day, color="0.5", lw=0.8, ls=":")


def layers_background(ax: Any, ds: xr.Dataset) -> None:
    """The layer stack as pale bands (depth downwards)."""
    from matplotlib.colors import ListedColormap

    ax.imshow(ds["layer"].values, cmap=ListedColormap(LAYER_COLOURS), vmin=-0.5, vmax=4.5,
              extent=extent(ds), aspect="auto", interpolation="nearest", alpha=0.6)


def rf_damage_figure(ds: xr.Dataset) -> Any:
    """RF damage of session 1: log10 of the Arrhenius integral Ω (Ω ≥ 1: coagulated) and the
    CEM43 thermal dose, layer lines dashed."""
    from matplotlib.colors import LogNorm

    s = ds.isel(session=0)
    fig = new_figure(10.0, 3.2)
    ax1, ax2 = fig.subplots(1, 2)
    omega = np.log10(np.maximum(s["rf_damage"].values, 1e-6))
    im = ax1.imshow(omega, cmap="viridis", vmin=-6, vmax=max(1.0, float(omega.max())),
                    extent=extent(ds), aspect="auto", interpolation="nearest")
    ax1.contour(ds["x"].values, ds["z"].values, s["rf_damage"].values, levels=[1.0],
                colors="w", linewidths=1)
    fig.colorbar(im, ax=ax1, label="log10 Ω", shrink=0.85)
    cem = np.maximum(s["rf_cem43"].values, 1e-3)
    im2 = ax2.imshow(cem, cmap="inferno", norm=LogNorm(1e-3, max(1.0, float(cem.max()))),
                     extent=extent(ds), aspect="auto", interpolation="nearest")
    fig.colorbar(im2, ax=ax2, label="CEM43 [min]", shrink=0.85)
    zmax = min(float(ds["z"].values[-1]), float(s["nominal_length"]) + 800.0)
    for ax, title in ((ax1, "Arrhenius damage (white: Ω = 1, coagulated)"),
                      (ax2, "thermal dose CEM43")):
        layer_lines(ax, ds)
        ax.set_ylim(zmax, 0)
        ax.set(xlabel="x [µm]", ylabel="depth [µm]", title=title)
    return fig
