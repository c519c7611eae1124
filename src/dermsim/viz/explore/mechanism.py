"""The "mechanism of action" walk-through: injury → bleeding and platelets → growth factors →
inflammation → fibroblasts → collagen III → collagen I, one sentence and one figure per step,
both taken from the current result (so the numbers follow the controls)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import xarray as xr

from dermsim.viz.explore.figures import (
    depth_limit,
    dermis_mean,
    extent,
    layer_lines,
    layers_background,
    new_figure,
    session_lines,
)


@dataclass(frozen=True)
class Step:
    """One step: a title, a sentence built from the result and a figure of it."""

    title: str
    sentence: Callable[[xr.Dataset], str]
    draw: Callable[[xr.Dataset, Any], None]


def _first(ds: xr.Dataset) -> xr.Dataset:
    return ds.isel(session=0)


def _layer_name(ds: xr.Dataset, index: int) -> str:
    return str(ds["layer_name"].values[index]).replace("_", " ") if index >= 0 else "no layer"


def _peak(series: xr.DataArray) -> tuple[float, float]:
    """(peak value, day of the peak) of a time series."""
    i = int(np.nanargmax(series.values))
    return float(series.values[i]), float(series["time"].values[i])


def _first_window(ds: xr.Dataset, days: float = 28.0) -> xr.Dataset:
    start = float(ds["session_day"].values[0])
    return ds.sel(time=slice(start, start + days))


# -- sentences ------------------------------------------------------------------------------


def _injury_text(ds: xr.Dataset) -> str:
    s = _first(ds)
    text = (f"Each session punches {float(s['punctures_per_cm2']):.0f} channels per cm² that "
            f"reach a mean depth of {float(s['effective_depth']):.0f} µm (nominal "
            f"{float(s['nominal_length']):.0f} µm) into the "
            f"{_layer_name(ds, int(s['deepest_layer']))}, crushing the tissue along each track")
    if "rf_coagulated" in ds:
        text += ", and the RF current coagulates a zone around the exposed pin tips"
    return text + "."


def _bleeding_text(ds: xr.Dataset) -> str:
    frac = float(_first(ds)["bleeding_fraction"])
    return (f"{100 * frac:.0f} % of the needles reach the capillary loops of the papillary "
            "dermis, so blood fills those channels and its platelets degranulate within "
            "minutes, releasing TGF-β1 and PDGF stored in their granules.")


def _gf_text(ds: xr.Dataset) -> str:
    reach = _first(ds)["gf_reach"].sel(species="tgfb1")
    i = int(np.nanargmax(reach.values))
    return ("The growth factors spread from the channels by binding-slowed diffusion and decay "
            f"within hours: TGF-β1 reaches at most {float(reach.values[i]):.0f} µm deep "
            f"({float(reach['gf_time'].values[i]):.1f} h after the session).")


def _inflammation_text(ds: xr.Dataset) -> str:
    peak, day = _peak(_first_window(ds)["inflammation"].max("band"))
    start = float(ds["session_day"].values[0])
    return ("Neutrophils and then macrophages invade the injured depth bands — "
            f"{peak:.0f} cells/mm³ above baseline at the peak, day {day - start:.1f} — clear "
            "the debris and keep secreting growth factors.")


def _fibroblast_text(ds: xr.Dataset) -> str:
    peak, day = _peak(_first_window(ds, 42.0)["fibroblasts"].max("band"))
    start = float(ds["session_day"].values[0])
    return ("The growth factors draw fibroblasts into the wounded bands and activate them; "
            f"their density peaks at {peak:.2f}× the resident density on day {day - start:.0f}.")


def _collagen3_text(ds: xr.Dataset) -> str:
    peak, day = _peak(dermis_mean(ds, "collagen_III_change"))
    return ("Activated fibroblasts first lay down collagen III, a fine provisional matrix: "
            f"dermal collagen III rises by up to {peak:.0f} % (day {day:.0f}).")


def _collagen1_text(ds: xr.Dataset) -> str:
    end = dermis_mean(ds, "collagen_I_change")
    follow = float(ds["time"].values[-1] - ds["session_day"].values[-1])
    return ("Over months the provisional matrix matures and collagen I, the load-bearing "
            f"collagen, takes over: dermal collagen I ends {float(end.values[-1]):+.0f} % "
            f"above untreated skin {follow:.0f} days after the last session.")


# -- figures --------------------------------------------------------------------------------


def _injury_fig(ds: xr.Dataset, fig: Any) -> None:
    ax = fig.subplots()
    layers_background(ax, ds)
    inj = np.ma.masked_less(_first(ds)["injury"].values, 0.02)
    im = ax.imshow(inj, cmap="Greys", vmin=0, vmax=1, extent=extent(ds), aspect="auto",
                   interpolation="nearest")
    if "rf_coagulated" in ds:
        ax.contour(ds["x"].values, ds["z"].values, _first(ds)["rf_coagulated"].values,
                   levels=[0.5], colors="tab:red", linewidths=1)
    ax.set_ylim(depth_limit(ds), 0)
    ax.set(xlabel="x [µm]", ylabel="depth [µm]", title="injury of session 1 (grey: channels)")
    fig.colorbar(im, ax=ax, label="injury [0-1]", shrink=0.85)


def _bleeding_fig(ds: xr.Dataset, fig: Any) -> None:
    ax = fig.subplots()
    layers_background(ax, ds)
    s = _first(ds)
    x, depth = s["needle_x"].values, s["needle_depth"].values
    ok = np.isfinite(x)
    papillary_top = float(ds["layer_top"].values[2])
    bleeds = depth[ok] > papillary_top
    ax.vlines(x[ok], 0, depth[ok], color="0.3", lw=1)
    ax.plot(x[ok][bleeds], depth[ok][bleeds], "o", color="darkred", ms=6, label="bleeds")
    ax.plot(x[ok][~bleeds], depth[ok][~bleeds], "o", color="0.5", ms=5, label="no blood")
    ax.axhline(papillary_top, color="darkred", ls="--", lw=1, label="papillary capillaries")
    ax.set_ylim(depth_limit(ds), 0)
    ax.set(xlabel="x [µm]", ylabel="depth [µm]", title="needle tips of session 1")
    ax.legend(fontsize=7, loc="lower right")


def _gf_fig(ds: xr.Dataset, fig: Any) -> None:
    from matplotlib.colors import LogNorm

    snap = ds["gf_snapshot"].sel(species="tgfb1")
    times = snap["snapshot_time"].values[:2]
    axes = fig.subplots(1, len(times), sharey=True)
    vmax = max(float(snap.max()), 1e-30)
    for ax, t in zip(np.atleast_1d(axes), times):
        im = ax.imshow(np.clip(snap.sel(snapshot_time=t).values, vmax * 1e-3, None),
                       norm=LogNorm(vmax * 1e-3, vmax), cmap="magma", extent=extent(ds),
                       aspect="auto", interpolation="nearest")
        layer_lines(ax, ds)
        ax.set_ylim(depth_limit(ds), 0)
        ax.set(title=f"TGF-β1 at {t:g} h", xlabel="x [µm]")
    np.atleast_1d(axes)[0].set_ylabel("depth [µm]")
    fig.colorbar(im, ax=axes, label="ng/mL", shrink=0.85)


def _cells_fig(ds: xr.Dataset, fig: Any, variables: tuple[tuple[str, str, str], ...],
               ylabel: str, days: float) -> None:
    ax = fig.subplots()
    win = _first_window(ds, days)
    start = float(ds["session_day"].values[0])
    for var, colour, label in variables:
        if var in win:
            ax.plot(win["time"] - start, win[var].max("band"), color=colour, label=label)
    ax.set(xlabel="days after session 1", ylabel=ylabel, title="strongest depth band")
    ax.legend(fontsize=7)


def _inflammation_fig(ds: xr.Dataset, fig: Any) -> None:
    _cells_fig(ds, fig, (("inflammation", "tab:red", "inflammatory cells"),
                         ("neutrophils", "tab:orange", "neutrophils"),
                         ("macrophages", "tab:brown", "macrophages")),
               "cells/mm³ above baseline", 28.0)


def _fibroblast_fig(ds: xr.Dataset, fig: Any) -> None:
    _cells_fig(ds, fig, (("fibroblasts", "tab:green", "fibroblasts"),),
               "relative to resident density", 42.0)


def _collagen_fig(var: str, colour: str, other: str) -> Callable[[xr.Dataset, Any], None]:
    def draw(ds: xr.Dataset, fig: Any) -> None:
        ax = fig.subplots()
        t = ds["time"].values
        ax.plot(t, dermis_mean(ds, other), color="0.7", lw=1,
                label=other.replace("_change", "").replace("_", " "))
        ax.plot(t, dermis_mean(ds, var), color=colour, lw=2,
                label=var.replace("_change", "").replace("_", " "))
        session_lines(ax, ds)
        ax.axhline(0, color="k", lw=0.5)
        ax.set(xlabel="time [day] (dotted: sessions)", ylabel="change vs untreated [%]",
               title="dermis mean")
        ax.legend(fontsize=7)

    return draw


#: The walk-through, in causal order.
STEPS: tuple[Step, ...] = (
    Step("1 · Injury", _injury_text, _injury_fig),
    Step("2 · Bleeding and platelets", _bleeding_text, _bleeding_fig),
    Step("3 · Growth factors", _gf_text, _gf_fig),
    Step("4 · Inflammation", _inflammation_text, _inflammation_fig),
    Step("5 · Fibroblasts", _fibroblast_text, _fibroblast_fig),
    Step("6 · Collagen III", _collagen3_text, _collagen_fig("collagen_III_change", "tab:orange",
                                                            "collagen_I_change")),
    Step("7 · Collagen I", _collagen1_text, _collagen_fig("collagen_I_change", "tab:blue",
                                                          "collagen_III_change")),
)


def step_sentence(ds: xr.Dataset, index: int) -> str:
    """The sentence of step ``index`` for a result (a note if the result lacks the stage)."""
    try:
        return STEPS[index].sentence(ds)
    except (KeyError, ValueError):
        return "This result has no data for this step."


def step_figure(ds: xr.Dataset, index: int) -> Any:
    """The figure of step ``index`` (pyplot-free)."""
    fig = new_figure(7.5, 3.2)
    try:
        STEPS[index].draw(ds, fig)
    except (KeyError, ValueError):
        fig.clear()
        fig.text(0.5, 0.5, "no data for this step in this result", ha="center")
    return fig
