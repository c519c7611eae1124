"""Figures of the validation cases (``docs/figures/validation_<case>.png``).

Each function draws one case's figure in the package style (:mod:`dermsim.viz.style`) from
the numbers the case computed (see :mod:`dermsim.validation`) and returns a
:class:`matplotlib.figure.Figure`; nothing here runs a simulation. The case modules call
these only when figures are requested (``dermsim validate --write``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from dermsim.viz import style

__all__ = [
    "V8_CELLS",
    "arrhenius_figure",
    "barrier_erythema_figure",
    "bolus_diffusion_figure",
    "collagen_trajectory_figure",
    "early_kinetics_figure",
    "layered_slab_figure",
    "multisession_figure",
    "new_figure",
    "penetration_anchors_figure",
    "pennes_steady_figure",
    "rf_zones_figure",
]


def new_figure(w: float = 10.0, h: float = 3.8, ncols: int = 2) -> tuple[Figure, Any]:
    """A constrained-layout figure with one row of ``ncols`` axes."""
    fig = Figure(figsize=(w, h), layout="constrained")
    axes = fig.subplots(1, ncols)
    return fig, axes


@style.styled
def pennes_steady_figure(z: Any, t: Any, probes: Any, t_exact: Any, hs: Sequence[float],
                         errs: Sequence[float], order: float, L: float, ta: float,
                         ts: float) -> Figure:
    """V1: steady Pennes profile against the exact one, and grid convergence."""
    fig, (a1, a2) = new_figure()
    zz = np.linspace(0, 0.03, 400)
    a1.plot(zz * 1e3, ta - (ta - ts) * np.exp(-zz / L), "k-", lw=2, label="exact")
    sel = z <= 0.03
    a1.plot(z[sel][::8] * 1e3, t[sel][::8], "o", ms=3, color="tab:red",
            label="dermsim (h = 50 µm)")
    a1.plot(probes * 1e3, t_exact, "s", mfc="none", color="k", ms=8, label="targets")
    a1.set(xlabel="depth [mm]", ylabel="temperature [°C]", title="steady Pennes profile")
    a1.legend(fontsize=8)
    a2.loglog(np.array(hs) * 1e6, errs, "o-", label=f"dermsim (order {order:.2f})")
    ref = errs[0] * (np.array(hs) / hs[0]) ** 2
    a2.loglog(np.array(hs) * 1e6, ref, "k--", label="slope 2")
    a2.set(xlabel="h [µm]", ylabel="max |T − T_exact| [°C]", title="grid convergence")
    a2.legend(fontsize=8)
    return fig


@style.styled
def layered_slab_figure(exact: Callable[[Any], Any], total: float, z: Any, t: Any,
                        tops: Any) -> Figure:
    """V2: layered-slab profile against the exact one, and the error near the surface."""
    fig, (a1, a2) = new_figure()
    zz = np.linspace(0, total, 800)
    a1.plot(zz * 1e3, exact(zz), "k-", lw=2, label="exact")
    a1.plot(z[::60] * 1e3, t[::60], "o", ms=3, color="tab:red", label="dermsim (h = 10 µm)")
    for top in tops[1:-1]:
        a1.axvline(top * 1e3, color="0.6", lw=0.6, ls=":")
    a1.set(xlabel="depth [mm]", ylabel="temperature [°C]", title="Jiang 2002 layered slab")
    a1.legend(fontsize=8)
    near = z <= 3e-3
    a2.plot(z[near] * 1e3, (t - exact(z))[near], color="tab:red")
    for top in tops[1:-1]:
        if top <= 3e-3:
            a2.axvline(top * 1e3, color="0.6", lw=0.6, ls=":")
    a2.set(xlabel="depth [mm]", ylabel="T − T_exact [°C]",
           title="error near the surface (h = 10 µm)")
    return fig


@style.styled
def arrhenius_figure(hist: Any, dt: float, temps: Any, t_cross: Any,
                     targets: Mapping[float, tuple[float, float]],
                     rate: Callable[[Any], Any], kelvin: float) -> Figure:
    """V4: isothermal damage histories and the time to Ω = 1 against temperature."""
    fig, (a1, a2) = new_figure()
    h = np.array(hist)
    tt = np.arange(h.shape[0]) * dt
    for j, tc in enumerate(temps):
        a1.semilogy(tt[1:], h[1:, j], label=f"{tc:g} °C")
        a1.plot([1.0], [targets[float(tc)][0]], "ks", mfc="none")
    a1.axhline(1.0, color="k", lw=0.6, ls="--")
    a1.set(xlabel="time [s]", ylabel="Ω", title="isothermal damage (□ targets)")
    a1.legend(fontsize=8)
    tgrid = np.linspace(40, 80, 200)
    a2.semilogy(tgrid, 1.0 / rate(tgrid + kelvin), "k-", label="1 / rate")
    a2.plot(temps, t_cross, "o", color="tab:red", label="dermsim t(Ω = 1)")
    a2.plot(temps, [targets[float(x)][1] for x in temps], "ks", mfc="none",
            label="targets")
    a2.set(xlabel="temperature [°C]", ylabel="time to Ω = 1 [s]", title="threshold time")
    a2.legend(fontsize=8)
    return fig


@style.styled
def bolus_diffusion_figure(xc: Any, x0: float, start: Any, ref: Any, u: Any, n: int,
                           h: float) -> Figure:
    """V6: profile through the bolus centre, and the error map at 1 h."""
    fig, (a1, a2) = new_figure()
    row = n // 2
    a1.plot((xc - x0) * 1e3, ref[row], "k-", lw=2, label="exact, 1 h")
    a1.plot((xc - x0)[::3] * 1e3, u[row, ::3], "o", ms=3, color="tab:red",
            label="dermsim ADI, 1 h")
    a1.plot((xc - x0) * 1e3, start[row], color="0.6", lw=1, label="start, 15 min")
    a1.set(xlabel="x − x₀ [mm]", ylabel="concentration [per m² per unit release]",
           title="bolus with decay, profile through the centre")
    a1.legend(fontsize=8)
    err = (u - ref) / ref.max() * 100
    lim = float(np.abs(err).max()) or 1.0
    im = a2.imshow(err, cmap="RdBu_r", vmin=-lim, vmax=lim,
                   extent=(0, n * h * 1e3, n * h * 1e3, 0))
    fig.colorbar(im, ax=a2, label="(c − c_exact) / peak [%]")
    a2.set(xlabel="x [mm]", ylabel="z [mm]",
           title=f"error at 1 h (max {lim:.2f} %, tolerance 2 %)")
    return fig


@style.styled
def penetration_anchors_figure(got: Sequence[tuple[str, str, float, float, float]]) -> Figure:
    """V7: effective depth of each device against its anchor and the ±30 % band.

    ``got`` holds (key, label, depth, anchor low, anchor high) per device [µm].
    """
    fig, ax = new_figure(8, 3.6, 1)
    ypos = np.arange(len(got))
    for y, (_, _, d, lo, hi) in zip(ypos, got):
        ax.barh(y, 1.3 * hi - 0.7 * lo, left=0.7 * lo, color="tab:green", alpha=0.2)
        ax.plot([lo, hi], [y, y], "k-", lw=3)
        ax.plot(d, y, "o", color="tab:red", ms=8)
    ax.set_yticks(ypos, [f"({k}) {lab}" for k, lab, *_ in got])
    ax.invert_yaxis()
    ax.set(xlabel="effective depth [µm]",
           title="anchors (black), ±30 % band (green), dermsim (red)")
    return fig


#: Cell populations of the V8 figure: name → (colour, target peak window [days]).
V8_CELLS = {"neutrophils": ("tab:purple", (1, 2)), "macrophages": ("tab:red", (3, 5)),
            "fibroblasts": ("tab:green", (7, 14))}


@style.styled
def early_kinetics_figure(t: Any, a: Any, tp: Any, vp: Any,
                          cells: Mapping[str, tuple[Any, Any]]) -> Figure:
    """V8: growth-factor and cell time courses after one session, with the target windows.

    ``cells`` maps each population of :data:`V8_CELLS` to its (time, value) course.
    """
    fig, (a1, a2) = new_figure()
    m = t <= 16
    a1.plot(t[m], a[m] / a.max(), label="active TGF-β")
    a1.plot(tp[tp <= 16], vp[tp <= 16] / vp.max(), label="PDGF (cell-secreted)")
    a1.axvspan(3, 5, color="tab:blue", alpha=0.1, label="TGF-β 2nd peak window")
    a1.axvspan(2, 3.5, color="tab:orange", alpha=0.1, label="PDGF-like peak window")
    a1.set(xlabel="days after the session", ylabel="relative to peak",
           title="growth factors (injured bands)")
    a1.legend(fontsize=7)
    for var, (col, (lo, hi)) in V8_CELLS.items():
        tt, vv = cells[var]
        base = vv[0]
        rel = (vv - base) / max(float(vv.max() - base), 1e-30)
        mm = tt <= 30
        a2.plot(tt[mm], rel[mm], color=col, label=var)
        a2.axvspan(lo, hi, color=col, alpha=0.08)
    a2.set(xlabel="days after the session", ylabel="excess, relative to peak",
           title="cells (shaded: target peak windows)")
    a2.legend(fontsize=7)
    return fig


@style.styled
def collagen_trajectory_figure(t3: Any, s3: Any, t1s: Any, s1: Any, c1: Any,
                               c3: Any) -> Figure:
    """V9: collagen synthesis in the injured bands and reticular collagen I/III change.

    ``c1`` and ``c3`` are the reticular-dermis relative changes (DataArrays over time).
    """
    fig, (a1, a2) = new_figure()
    m = t3 <= 60
    a1.plot(t3[m], s3[m], color=style.COLLAGEN_III, label="collagen III synthesis")
    a1.plot(t1s[t1s <= 60], s1[t1s <= 60], color=style.COLLAGEN_I, label="collagen I synthesis")
    a1.axvspan(3.5, 10.5, color=style.COLLAGEN_III, alpha=0.1)
    a1.set(xlabel="days after the session", ylabel="synthesis / baseline",
           title="synthesis (injured bands)")
    a1.legend(fontsize=8)
    a2.plot(c1["time"], c1.values * 100, color=style.COLLAGEN_I, label="collagen I change [%]")
    a2.plot(c3["time"], c3.values * 100, color=style.COLLAGEN_III, label="collagen III change [%]")
    a2.axvline(42, color="0.5", ls=":", lw=0.8)
    a2.axhline(0, color="k", lw=0.5)
    a2.set(xlabel="days after the session", ylabel="change vs baseline [%]",
           title="reticular dermis")
    a2.legend(fontsize=8)
    return fig


@style.styled
def multisession_figure(eldomyati: Mapping[str, Any], vals: Mapping[tuple[str, str], float],
                        lotfi: Any, pipeline_lotfi: float | None) -> Figure:
    """V10: El-Domyati papillary collagen I/III courses and the Lotfi total collagen course.

    ``eldomyati`` maps a variable name to its papillary course (DataArray over time);
    ``vals`` holds the checked values by (collagen type, "1 month"/"3 months") [%];
    ``pipeline_lotfi`` is the end-to-end pipeline value [%] (``None`` if not run).
    """
    fig, (a1, a2) = new_figure()
    for (var, s), col in zip(eldomyati.items(), (style.COLLAGEN_I, style.COLLAGEN_III)):
        a1.plot(s["time"], s.values * 100, color=col, label=var.split("_rel")[0].replace("_", " "))
    for d in (0, 14, 28, 42, 56, 70):
        a1.axvline(d, color="0.7", lw=0.6)
    a1.plot([30, 30, 90, 90], [vals[("I", "1 month")], vals[("III", "1 month")],
                               vals[("I", "3 months")], vals[("III", "3 months")]],
            "ks", mfc="none")
    a1.axhline(0, color="k", lw=0.5)
    a1.set(xlabel="day", ylabel="change vs baseline [%]",
           title="El-Domyati 6 × q2w (papillary)")
    a1.legend(fontsize=8)
    a2.plot(lotfi["time"], lotfi.values * 100, color="tab:green", label="total collagen")
    for d in (0, 30, 60, 90, 120):
        a2.axvline(d, color="0.7", lw=0.6)
    a2.errorbar([176], [53.2], yerr=[[26.6], [26.6]], fmt="ks", mfc="none",
                label="Lotfi 2013 ±50 %")
    if pipeline_lotfi is not None:
        a2.plot([176], [pipeline_lotfi], "D", color="tab:purple", label="full pipeline, roller")
    a2.axhline(0, color="k", lw=0.5)
    a2.set(xlabel="day", ylabel="change vs baseline [%]",
           title="Lotfi 5 × monthly (papillary)")
    a2.legend(fontsize=8)
    return fig


@style.styled
def barrier_erythema_figure(ds05: Any, ds15: Any, closure_half_life_h: float) -> Figure:
    """V11: erythema index after 0.5 and 1.5 mm sessions, and channel closure over time."""
    fig, (a1, a2) = new_figure()
    for ds, lab, col in ((ds05, "0.5 mm", "tab:blue"), (ds15, "1.5 mm", "tab:red")):
        m = ds["time"].values <= 5
        a1.plot(ds["time"].values[m] * 24, ds["erythema_index"].values[m], color=col,
                label=lab)
    a1.axhline(float(ds15.attrs["erythema_threshold_um"]), color="k", ls="--", lw=0.8,
               label="threshold")
    a1.axvspan(3, 72, color="tab:green", alpha=0.08, label="3–72 h")
    a1.set(xlabel="hours after the session", ylabel="erythema index [µm]",
           title="erythema (downtime proxy)")
    a1.legend(fontsize=8)
    th_ = np.linspace(0, 6, 200)
    a2.plot(th_, 100 * 2.0 ** (-th_ / closure_half_life_h), color="tab:red",
            label="dermsim open channel surface")
    a2.axvspan(0, 2, color="tab:green", alpha=0.1, label="human barrier ≤ 2 h (Gupta)")
    a2.axvspan(4, 5, color="0.5", alpha=0.15, label="rat barrier 4–5 h (Kalluri)")
    a2.axhline(10, color="k", lw=0.6, ls=":")
    a2.set(xlabel="hours after the session", ylabel="open [% of initial]",
           title="channel closure")
    a2.legend(fontsize=7)
    return fig


def rf_zones_figure(runs: Sequence[tuple[float, float, Any]]) -> Figure:
    """V12: peak temperature, the Ω = 1 contour and the electrodes for each power.

    ``runs`` holds (power [W], energy per pin [mJ], RF pulse Dataset) per panel.
    """
    fig = Figure(figsize=(3.7 * len(runs), 3.8), layout="constrained")
    axes = np.atleast_1d(fig.subplots(1, len(runs)))
    im: Any = None
    for ax, (p, e, ds) in zip(axes, runs, strict=True):
        x, z = ds["x"].values, ds["z"].values
        rows = z <= 2000
        im = ax.pcolormesh(x, z[rows], ds["peak_temperature_C"].values[rows],
                           cmap="inferno", shading="auto", vmin=35, vmax=100)
        om = ds["omega"].values[rows]
        if (om >= 1).any():
            ax.contour(x, z[rows], om, levels=[1.0], colors="cyan", linewidths=1.2)
        el = ds["electrode"].values[rows]
        ax.contour(x, z[rows], (el == 1).astype(float), levels=[0.5], colors="white",
                   linewidths=0.7)
        ax.contour(x, z[rows], (el == 2).astype(float), levels=[0.5], colors="0.6",
                   linewidths=0.7)
        ax.set_ylim(2000, 0)
        ax.set(xlabel="x [µm]", title=f"{p:g} W, {e:.0f} mJ/pin")
    axes[0].set_ylabel("depth [µm]")
    fig.colorbar(im, ax=list(axes), label="peak temperature [°C] (Ω = 1 cyan)")
    return fig
