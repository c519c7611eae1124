"""The stage figures of the HTML report (``dermsim report``), one function per stage.

Each function takes a result Dataset and returns a :class:`matplotlib.figure.Figure`, or None
when the variables it needs are absent. Figures use the package style
(:mod:`dermsim.viz.style`) and take their axis labels from the Dataset attrs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from dermsim.schema import pretty_units
from dermsim.viz import style
from dermsim.viz.style import label

__all__ = ["FIGURES", "figure_overview", "figure_remodelling", "figure_rf", "figure_sessions",
           "figure_signalling", "figure_topical", "stage_figures"]


def _layer_lines(ax: Any, ds: Any, color: str = "k", alpha: float = 0.5) -> None:
    if "layer_top" not in ds:
        return
    for top in ds["layer_top"].values:
        if top > 0:
            ax.axhline(float(top), color=color, lw=0.6, alpha=alpha, ls="--")


def _sessions_days(ds: Any) -> list[float]:
    if "session_day" in ds:
        return [float(v) for v in ds["session_day"].values]
    return []


def _first(da: Any) -> Any:
    return da.isel(session=0) if "session" in da.dims else da


def _figure(figsize: tuple[float, float]) -> Any:
    from matplotlib.figure import Figure

    return Figure(figsize=figsize, layout="constrained")


def figure_sessions(ds: Any) -> Any:
    """Injury cross-section of every session (small multiples, true aspect ratio, layers
    visible through the translucent injury)."""
    import numpy as np

    if "injury" not in ds or "session" not in ds.dims:
        return None
    sessions = [int(s) for s in ds["session"].values][:8]
    n = len(sessions)
    ncol = min(n, 2)
    nrow = (n + ncol - 1) // ncol
    z = ds["z"].values
    zmax = float(np.nanmax(ds["needle_depth"].values)) + 300 if "needle_depth" in ds else z[-1]
    zmax = min(float(z[-1]), max(zmax, 500.0))
    ext = style.extent(ds)
    width = ext[1] - ext[0]
    panel_h = 5.2 * zmax / width + 0.7
    fig = _figure((11, panel_h * nrow + 0.6))
    axes = np.atleast_1d(fig.subplots(nrow, ncol, squeeze=False)).ravel()
    days = dict(zip([int(s) for s in ds["session"].values], _sessions_days(ds)))
    for ax, s in zip(axes, sessions):
        if "layer" in ds:
            ax.imshow(ds["layer"].values, cmap=style.layer_cmap(), vmin=-0.5, vmax=4.5,
                      extent=ext, aspect="equal", interpolation="nearest")
        ax.imshow(style.injury_rgba(ds["injury"].sel(session=s).values), extent=ext,
                  aspect="equal", interpolation="nearest")
        ax.set_ylim(zmax, 0)
        title = f"session {s}"
        if s in days:
            title += f", day {days[s]:g}"
        ax.set_title(title)
        ax.set_xlabel(label(ds["x"], short=True))
        ax.set_ylabel(label(ds["z"], short=True))
    for ax in axes[n:]:
        ax.set_visible(False)
    if "layer_name" in ds:
        fig.legend(handles=style.layer_handles(ds["layer_name"].values), loc="outside right upper",
                   title="layers")
    from matplotlib.cm import ScalarMappable

    sm = ScalarMappable(cmap=style.injury_cmap())
    sm.set_clim(0, 1)
    fig.colorbar(sm, ax=list(axes[:n]), shrink=0.6, label=label(ds["injury"]))
    return fig


def figure_signalling(ds: Any) -> Any:
    """Growth-factor snapshots after the first session (log colour scale) and band-mean time
    courses on a logarithmic time axis."""
    import numpy as np
    from matplotlib.colors import LogNorm

    has_snap = "gf_snapshot" in ds
    has_band = "gf_band" in ds
    if not (has_snap or has_band):
        return None
    species = [str(s) for s in ds["species"].values] if "species" in ds.coords else []
    if not has_snap:
        fig = _figure((6, 3.5))
        _band_timecourse(fig.subplots(), ds, None)
        return fig
    snap = ds["gf_snapshot"]
    times = snap["snapshot_time"].values
    pick = np.unique(np.linspace(0, times.size - 1, min(4, times.size)).round().astype(int))
    sp = species[:3] if species else [None]
    ncols = pick.size + (1 if has_band else 0)
    z_max = min(float(ds["z"].values[-1]), float(ds["layer_bottom"].values[3]) + 300.0
                if "layer_bottom" in ds else 1800.0)
    fig = _figure((3.1 * ncols, 2.9 * len(sp) + 0.5))
    axes = np.atleast_2d(fig.subplots(len(sp), ncols, squeeze=False))
    units = pretty_units(snap.attrs.get("units", "ng/mL"))
    for r, s in enumerate(sp):
        field = snap.sel(species=s) if s is not None else snap
        name = style.species_name(s) if s is not None else "growth factor"
        vmax = float(field.max()) or 1.0
        norm = LogNorm(vmin=vmax * 1e-3, vmax=vmax)
        im = None
        for c, k in enumerate(pick):
            ax = axes[r, c]
            im = ax.imshow(np.maximum(field.isel(snapshot_time=int(k)).values, vmax * 1e-3),
                           cmap="magma", norm=norm, extent=style.extent(ds), aspect="equal")
            _layer_lines(ax, ds, "w", 0.6)
            ax.set_ylim(z_max, 0)
            x0 = float(ds["x"].values[0])
            ax.set_xlim(x0, min(float(ds["x"].values[-1]), x0 + z_max))  # true aspect
            ax.set_title(f"{name}, {style.time_label(float(times[k]))}")
            if c == 0:
                ax.set_ylabel(label(ds["z"], short=True))
            ax.set_xlabel(label(ds["x"], short=True))
        if im is not None:
            fig.colorbar(im, ax=list(axes[r, : pick.size]), shrink=0.85,
                         label=f"{name} [{units}]")
        if has_band:
            _band_timecourse(axes[r, -1], ds, s)
    return fig


def _band_timecourse(ax: Any, ds: Any, species: Any) -> None:
    import numpy as np

    gb = _first(ds["gf_band"])
    if species is not None and "species" in gb.dims:
        gb = gb.sel(species=species)
    elif "species" in gb.dims:
        gb = gb.isel(species=0)
    t = gb["gf_time"].values if "gf_time" in gb.coords else np.arange(gb.shape[0])
    bands = gb["band"].values if "band" in gb.coords else np.arange(gb.shape[-1])
    sel = np.unique(np.linspace(0, bands.size - 1, min(5, bands.size)).round().astype(int))
    colours = ["#fde725", "#5ec962", "#21918c", "#3b528b", "#440154"]
    for i, b in enumerate(sel):
        ax.plot(t, gb.isel(band=int(b)).values, label=f"{bands[b]:.0f} µm",
                color=colours[i % len(colours)])
    positive = t > 0
    if positive.any():
        ax.set_xscale("log")
        ax.set_xlim(float(t[positive][0]), float(t[-1]))
    tunits = pretty_units(gb["gf_time"].attrs.get("units", "h")) if "gf_time" in gb.coords \
        else "h"
    ax.set_xlabel(f"time after session 1 [{tunits}] (log)")
    ax.set_ylabel(label(gb, short=True))
    name = style.species_name(species) if species is not None else "growth factor"
    ax.set_title(f"{name}, band mean by depth")
    ax.legend(fontsize=6, title="depth", title_fontsize=6)


def _change_map(fig: Any, ax: Any, ds: Any, var: str, title: str) -> None:
    da = ds[var]
    cmap, norm = style.change_norm(da.values)
    im = ax.pcolormesh(da["time"].values, da["band"].values, da.values.T, cmap=cmap, norm=norm,
                       shading="auto")
    fig.colorbar(im, ax=ax, label=label(da))
    ax.set(xlabel=label(ds["time"]), ylabel=label(ds["band"]), title=title)
    ax.invert_yaxis()
    _layer_lines(ax, ds, "k", 0.4)
    for d in _sessions_days(ds):
        ax.axvline(d, color="k", lw=0.6, alpha=0.5)


def figure_remodelling(ds: Any) -> Any:
    """Collagen I and III change by depth and over time, and the cells in their own units."""
    if "collagen_I_change" not in ds:
        return None
    t = ds["time"].values
    fig = _figure((11, 7.4))
    axes = fig.subplots(2, 2)
    _change_map(fig, axes[0, 0], ds, "collagen_I_change", "collagen I by depth")
    ax = axes[0, 1]
    for name, col in (("collagen_I_change", style.COLLAGEN_I),
                      ("collagen_III_change", style.COLLAGEN_III)):
        if name in ds:
            ax.plot(t, ds[name].mean("band").values, color=col,
                    label=name.replace("_change", "").replace("_", " "))
    style.session_marks(ax, _sessions_days(ds))
    ax.axhline(0, color="k", lw=0.5)
    units = pretty_units(ds["collagen_I_change"].attrs.get("units", "%"))
    ax.set(xlabel=label(ds["time"]), ylabel=f"change relative to untreated skin, band mean "
                                            f"[{units}]", xlim=(0, t[-1]))
    ax.set_title("collagen over the protocol (▼ sessions)", pad=14)
    ax.legend()
    if "collagen_III_change" in ds:
        _change_map(fig, axes[1, 0], ds, "collagen_III_change", "collagen III by depth")
    else:
        axes[1, 0].set_visible(False)
    ax = axes[1, 1]
    shown = 0
    for name, colour in (("neutrophils", "#e6550d"), ("macrophages", style.INFLAMMATION)):
        if name in ds and set(ds[name].dims) >= {"time", "band"}:
            ax.plot(t, ds[name].max("band").values, color=colour, label=name)
            ax.set_ylabel(f"cells above baseline, band maximum "
                          f"[{pretty_units(ds[name].attrs.get('units', ''))}]")
            shown += 1
    if "fibroblasts" in ds:
        axf = ax.twinx()
        axf.spines["right"].set_visible(True)
        axf.plot(t, ds["fibroblasts"].max("band").values, color=style.FIBROBLASTS,
                 label="fibroblasts")
        axf.set_ylabel("fibroblasts, band maximum [× resident density]",
                       color=style.FIBROBLASTS)
        shown += 1
    if shown:
        t0 = _sessions_days(ds)[0] if _sessions_days(ds) else float(t[0])
        ax.set_xlim(t0, min(float(t[-1]), t0 + 60))
        ax.set_xlabel(label(ds["time"]))
        ax.set_title("cells, first 60 days")
        ax.legend(loc="upper right")
    else:
        ax.set_visible(False)
    return fig


def figure_rf(ds: Any) -> Any:
    """RF peak temperature of the first session with the Ω = 1 contour, and temperature
    traces (hottest cell, electrode surface, epidermis) when present."""
    import numpy as np

    if "rf_peak_temperature" not in ds:
        return None
    tp = _first(ds["rf_peak_temperature"])
    traces = [v for v in ("rf_max_temperature_C", "rf_tip_temperature_C",
                          "rf_epidermis_max_temperature_C") if v in ds]
    fig = _figure((11, 4.4))
    axes = fig.subplots(1, 2 if traces else 1, squeeze=False, width_ratios=[1.6, 1][
        : 2 if traces else 1]).ravel()
    ax = axes[0]
    im = ax.imshow(tp.values, cmap="inferno", extent=style.extent(ds), aspect="equal",
                   vmin=float(np.nanmin(tp.values)), vmax=max(float(np.nanmax(tp.values)), 45))
    fig.colorbar(im, ax=ax, label=label(ds["rf_peak_temperature"]))
    if "rf_damage" in ds:
        om = _first(ds["rf_damage"])
        if float(om.max()) >= 1.0:
            ax.contour(ds["x"].values, ds["z"].values, om.values, levels=[1.0], colors="cyan",
                       linewidths=1.0)
    _layer_lines(ax, ds, "w", 0.6)
    ax.set_ylim(min(float(ds["z"].values[-1]), 2500.0), 0)
    ax.set(xlabel=label(ds["x"]), ylabel=label(ds["z"]),
           title="RF peak temperature, session 1 (cyan: Ω = 1, coagulated)")
    if traces:
        ax2 = axes[1]
        t = ds["rf_time"].values
        for v in traces:
            ax2.plot(t, _first(ds[v]).values, label=label(ds[v], short=True).split(" [")[0])
        ax2.axhline(43, color="0.5", ls=":", lw=0.8, label="43 °C reference")
        ax2.set(xlabel=label(ds["rf_time"]), ylabel=f"temperature [{pretty_units('degC')}]",
                title="temperature, session 1")
        ax2.set_xscale("symlog", linthresh=10)
        ax2.set_xlim(0, float(t[-1]))
        ax2.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=2)
        if "rf_power_W" in ds:
            ax3 = ax2.twinx()
            ax3.spines["right"].set_visible(True)
            ax3.fill_between(t, 0, _first(ds["rf_power_W"]).values, step="pre", color="k",
                             alpha=0.1)
            ax3.set_ylabel(f"{label(ds['rf_power_W'])} (grey)")
    return fig


def figure_topical(ds: Any) -> Any:
    """Topical product delivered through the channels versus intact skin (first session)."""
    import numpy as np

    if "topical_exposure" not in ds or "topical_exposure_intact" not in ds:
        return None
    names = [style.layer_name(n) for n in ds["layer_name"].values] \
        if "layer_name" in ds else [str(i) for i in range(ds.sizes["layer_index"])]
    fig = _figure((11, 3.8))
    ax1, ax2 = fig.subplots(1, 2)
    y = np.arange(len(names))
    floor = 1e-12
    ax1.barh(y - 0.2, np.maximum(ds["topical_exposure"].values, floor), height=0.4,
             color="#2e8b57", label="microneedled")
    ax1.barh(y + 0.2, np.maximum(ds["topical_exposure_intact"].values, floor), height=0.4,
             color="0.6", label="intact skin")
    ax1.set_xscale("log")
    ax1.set_yticks(y, names)
    ax1.invert_yaxis()
    units = pretty_units(ds["topical_exposure"].attrs.get("units", "ng h/cm2"))
    ax1.set(xlabel=f"exposure [{units}] (log)", title="topical product per layer")
    ax1.legend(loc="lower right")
    if "topical_entered" in ds and "topical_time" in ds.coords:
        t = ds["topical_time"].values
        ax2.plot(t, ds["topical_entered"].values, color="#2e8b57", label="entered (needled)")
        if "topical_remaining" in ds:
            ax2.plot(t, ds["topical_remaining"].values, color="#2e8b57", ls="--",
                     label="in the skin (needled)")
        if "topical_entered_intact" in ds:
            ax2.plot(t, ds["topical_entered_intact"].values, color="0.5",
                     label="entered (intact)")
        tunits = pretty_units(ds["topical_time"].attrs.get("units", "h"))
        ax2.set(xlabel=f"time after session 1 [{tunits}]",
                ylabel=f"amount [{pretty_units(ds['topical_entered'].attrs.get('units', ''))}]",
                title="uptake over time", xlim=(0, min(float(t[-1]), 24.0)))
        ax2.legend()
    else:
        ax2.set_visible(False)
    return fig


def figure_overview(ds: Any) -> Any:
    """The figure written by ``dermsim run`` (:func:`dermsim.viz.plot_result`)."""
    from dermsim import viz
    from dermsim.viz import result

    # a stage panel whose figure function is not registered is left out, not an error
    triggers = {"signalling": "gf_snapshot", "rf": "rf_peak_temperature",
                "remodelling": "collagen_I_change"}
    drop = [var for panel, var in triggers.items()
            if var in ds and panel not in result.PANEL_FUNCTIONS]
    return viz.plot_result(ds.drop_vars(drop) if drop else ds)


#: (key, title, caption, function) of every figure the report tries to draw.
FIGURES: list[tuple[str, str, str, Callable[[Any], Any]]] = [
    ("overview", "Overview", "The figure of <code>dermsim run</code>: a panel per stage present "
     "(cross-section of the first session with layers, channels, nominal and effective depth).",
     figure_overview),
    ("sessions", "Injury in every session", "Tissue injury (1 = open channel, < 1 = injured "
     "rim), drawn translucent over the layers, for each session at true aspect ratio.",
     figure_sessions),
    ("signalling", "Growth factors", "Growth-factor concentration after the first session "
     "(snapshots of part of the slice at true aspect ratio, logarithmic colour scale) and "
     "band-mean time courses by depth (logarithmic time axis).", figure_signalling),
    ("remodelling", "Collagen remodelling", "Collagen I and III change relative to the "
     "untreated baseline over the protocol and by depth (black lines: sessions), and the "
     "inflammatory cells and fibroblasts in their own units.", figure_remodelling),
    ("rf", "RF heating", "Peak temperature of the first RF session with the coagulation "
     "contour (Arrhenius Ω = 1), and temperature traces.", figure_rf),
    ("topical", "Topical product", "A product applied on the skin after the first session: "
     "its exposure per layer through the open channels versus intact skin, and its uptake "
     "over time.", figure_topical),
]


def stage_figures(ds: Any, to_png: Callable[[Any], str]) -> list[tuple[str, str, str,
                                                                     str | None, str]]:
    """Draw every figure whose variables are present, in the package style.

    Returns
    -------
    list of (key, title, caption, ``to_png(figure)`` or None, error text)
    """
    out: list[tuple[str, str, str, str | None, str]] = []
    with style.context():
        for key, title, caption, fn in FIGURES:
            try:
                fig = fn(ds)
            except Exception as exc:  # one broken figure must not lose the report
                out.append((key, title, caption, None, f"{type(exc).__name__}: {exc}"))
                continue
            if fig is not None:
                out.append((key, title, caption, to_png(fig), ""))
    return out
