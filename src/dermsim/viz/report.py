"""One self-contained HTML report of a dermsim result.

``dermsim report RESULT.nc [-o out.html]`` writes a single HTML file with no external
resources (no network, no external CSS or JavaScript; figures are embedded as base64 PNG):

* the scenario (site, device, protocol and the complete configuration TOML),
* the scalar outcomes (:func:`dermsim.metrics.scalar_outcomes`) and a per-session table,
* figures: the ``dermsim run`` figure (:func:`dermsim.viz.plot_result`) and one figure per
  stage present in the result (sessions' injury, growth factors, collagen, RF heating),
* a summary of the model's assumptions (from ``docs/model.md`` when it can be found),
* the validation status (read from ``docs/validation.md`` or computed by running the fast
  validation cases),
* the disclaimer: dermsim is a research and teaching tool, not medical advice.

Sections and figures appear only when the result holds the variables they need, so a result
of a partial pipeline (e.g. penetration only) still gives a complete page. The file is written
atomically.

Only the standard library is imported at module level.
"""

from __future__ import annotations

import base64
import html
import io
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = ["OUTCOME_LABELS", "add_cli", "build_html", "stage_figures", "write_report"]

DISCLAIMER = ("dermsim is a research and teaching tool. It is not medical advice and must not "
              "be used to plan the treatment of patients.")

#: Human labels of the scalar outcomes (dermsim.metrics.OUTCOME_NAMES); units in brackets.
OUTCOME_LABELS: dict[str, str] = {
    "effective_depth_um": "mean effective needle depth [µm]",
    "bleeding_fraction": "needles reaching the papillary capillaries (pinpoint bleeding) [-]",
    "surface_fraction_punctured": "skin surface punctured per session [-]",
    "epidermal_injury_mm3_per_cm2": "epidermal injury per session [mm³/cm²]",
    "dermal_injury_mm3_per_cm2": "dermal injury per session [mm³/cm²]",
    "collagen_I_change_pct": "collagen I change at the end, dermis [%]",
    "collagen_I_change_papillary_pct": "collagen I change, papillary dermis [%]",
    "collagen_I_change_reticular_pct": "collagen I change, reticular dermis [%]",
    "collagen_III_change_pct": "collagen III change at the end, dermis [%]",
    "ratio_I_III_end": "collagen I : III ratio at the end [-]",
    "peak_inflammation": "peak inflammation (cells above baseline) [cells/mm³]",
    "downtime_h": "downtime proxy: erythema after the first session [h]",
    "time_to_plateau_day": "time to 90 % of the collagen I plateau after the last session [day]",
    "coagulated_fraction": "RF coagulated (Ω ≥ 1) dermal volume fraction [-]",
    "max_temperature_C": "maximum RF tissue temperature [°C]",
}

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;
margin:0 auto;max-width:1100px;padding:0 1.2em 3em;color:#1d2430;line-height:1.45}
h1{font-size:1.6em;margin:.8em 0 .2em}h2{border-bottom:2px solid #d9737a;padding-bottom:.15em;
margin-top:1.8em}h3{margin-bottom:.3em}.meta{color:#555;margin:.2em 0 1em}
.disclaimer{background:#fff4e5;border-left:5px solid #e8a33d;padding:.6em 1em;margin:1em 0}
table{border-collapse:collapse;margin:.6em 0;font-size:.93em}th,td{border:1px solid #ccd;
padding:.3em .6em;text-align:left;vertical-align:top}th{background:#f1f2f6}
td.num{text-align:right;font-variant-numeric:tabular-nums}tr.absent td{color:#999}
figure{margin:1.2em 0;padding:.5em;border:1px solid #e3e3ea;border-radius:4px}
figure img{max-width:100%;height:auto;display:block;margin:0 auto}
figcaption{color:#444;font-size:.92em;margin-top:.4em}
pre{background:#f6f7f9;padding:.8em;overflow-x:auto;font-size:.85em;border-radius:4px}
nav ul{columns:2;list-style:square}.pass{color:#1a7f37;font-weight:600}
.fail,.error{color:#c62828;font-weight:600}.na{color:#888}.warn{color:#b26a00}
footer{margin-top:3em;color:#666;font-size:.88em;border-top:1px solid #ddd;padding-top:.6em}
"""

_SCRIPT = """
window.addEventListener("load", function () {
  var imgs = document.images, ok = 0;
  for (var i = 0; i < imgs.length; i++) {
    if (imgs[i].complete && imgs[i].naturalWidth > 0) { ok++; }
  }
  document.body.setAttribute("data-images-ok", ok + "/" + imgs.length);
});
"""

_ASSUMPTIONS = (
    "The skin is a 2-D slice (depth × lateral, periodic laterally) through one row of a "
    "needle array; per-area quantities map the slice to 3-D with the array's spacing.",
    "Five homogeneous layers (stratum corneum, viable epidermis, papillary and reticular "
    "dermis, hypodermis) with body-site thicknesses and layer-wise physical properties.",
    "Penetration is phenomenological: the buried fraction of the needle rises from the "
    "quasi-static to the impact value with insertion speed, calibrated to measured depths "
    "(validation case V7), not derived from fracture mechanics.",
    "Growth factors (when simulated) obey linear reaction–diffusion with first-order decay; "
    "effective tissue diffusivities and half-lives are the least certain inputs.",
    "Collagen remodelling is an ODE per depth band (well mixed, no exchange between bands); "
    "its parameters are priors calibrated to timing and magnitude targets (V8–V10), "
    "not fits to patient data.",
    "RF heating (RF tips) uses a quasi-static σ-only potential, Pennes bioheat and Arrhenius "
    "damage (Henriques–Moritz constants); desiccation above 100 °C is not modelled.",
    "Outcomes are relative changes versus the untreated baseline of one average skin; there "
    "is no patient variability, no healing disorder and no adverse-event model.",
)


# ------------------------------------------------------------------------------------------------
# helpers
# ------------------------------------------------------------------------------------------------


def _esc(x: Any) -> str:
    return html.escape(str(x), quote=True)


def _fmt(v: Any) -> str:
    if isinstance(v, str):
        return v
    try:
        f = float(v)
    except (TypeError, ValueError):
        return str(v)
    if f != f:
        return "—"
    if f == 0:
        return "0"
    if abs(f) >= 1e5 or abs(f) < 1e-3:
        return f"{f:.3e}"
    return f"{f:.4g}"


def _png_base64(fig: Any, dpi: int = 100) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight")
    try:
        import matplotlib.pyplot as plt

        plt.close(fig)
    except Exception:  # a Figure not managed by pyplot
        pass
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _import_stage_modules() -> None:
    """Import the stage modules so that their figure panels and outcome functions register."""
    import importlib

    for m in ("dermsim.signalling", "dermsim.remodelling", "dermsim.thermal", "dermsim.sweep"):
        try:
            importlib.import_module(m)
        except ImportError:
            continue


def _layer_lines(ax: Any, ds: Any, color: str = "k", alpha: float = 0.5) -> None:
    if "layer_top" not in ds:
        return
    for top in ds["layer_top"].values:
        if top > 0:
            ax.axhline(float(top), color=color, lw=0.6, alpha=alpha)


def _extent(ds: Any) -> tuple[float, float, float, float]:
    x, z = ds["x"].values, ds["z"].values
    hx = float(x[1] - x[0]) if x.size > 1 else 1.0
    hz = float(z[1] - z[0]) if z.size > 1 else 1.0
    return (float(x[0] - hx / 2), float(x[-1] + hx / 2), float(z[-1] + hz / 2),
            float(z[0] - hz / 2))


def _sessions_days(ds: Any) -> list[float]:
    if "session_day" in ds:
        return [float(v) for v in ds["session_day"].values]
    return []


# ------------------------------------------------------------------------------------------------
# stage figures (each returns a Figure or None when its variables are absent)
# ------------------------------------------------------------------------------------------------


def figure_sessions(ds: Any) -> Any:
    """Injury cross-section of every session (small multiples)."""
    import numpy as np
    from matplotlib.figure import Figure

    if "injury" not in ds or "session" not in ds.dims:
        return None
    sessions = [int(s) for s in ds["session"].values][:8]
    n = len(sessions)
    ncol = min(n, 4)
    nrow = (n + ncol - 1) // ncol
    fig = Figure(figsize=(3.2 * ncol, 2.7 * nrow + 0.4), layout="constrained")
    axes = np.atleast_1d(fig.subplots(nrow, ncol, squeeze=False)).ravel()
    days = dict(zip([int(s) for s in ds["session"].values], _sessions_days(ds)))
    z = ds["z"].values
    zmax = float(np.nanmax(ds["needle_depth"].values)) + 300 if "needle_depth" in ds else z[-1]
    zmax = min(float(z[-1]), max(zmax, 500.0))
    im = None
    for ax, s in zip(axes, sessions):
        inj = ds["injury"].sel(session=s).values
        im = ax.imshow(inj, cmap="magma_r", vmin=0, vmax=1, extent=_extent(ds), aspect="auto",
                       interpolation="nearest")
        _layer_lines(ax, ds, "tab:blue")
        ax.set_ylim(zmax, 0)
        title = f"session {s}"
        if s in days:
            title += f", day {days[s]:g}"
        ax.set_title(title, fontsize=9)
        ax.set_xlabel("x [µm]", fontsize=8)
        ax.tick_params(labelsize=7)
    for ax in axes[n:]:
        ax.set_visible(False)
    axes[0].set_ylabel("depth [µm]", fontsize=8)
    if im is not None:
        fig.colorbar(im, ax=list(axes[:n]), shrink=0.8, label="injury [0–1]")
    return fig


def figure_signalling(ds: Any) -> Any:
    """Growth-factor snapshots after the first session and band-mean time courses."""
    import numpy as np
    from matplotlib.figure import Figure

    has_snap = "gf_snapshot" in ds
    has_band = "gf_band" in ds
    if not (has_snap or has_band):
        return None
    species = [str(s) for s in ds["species"].values] if "species" in ds.coords else []
    if has_snap:
        snap = ds["gf_snapshot"]
        times = snap["snapshot_time"].values
        pick = np.unique(np.linspace(0, times.size - 1, min(4, times.size)).round().astype(int))
        sp = species[: 3] if species else [None]
        ncols = pick.size + (1 if has_band else 0)
        fig = Figure(figsize=(3.0 * ncols, 2.6 * len(sp) + 0.5), layout="constrained")
        axes = np.atleast_2d(fig.subplots(len(sp), ncols, squeeze=False))
        from matplotlib.colors import LogNorm

        for r, s in enumerate(sp):
            field = snap.sel(species=s) if s is not None else snap
            vmax = float(field.max()) or 1.0
            norm = LogNorm(vmin=vmax * 1e-3, vmax=vmax)
            im = None
            for c, k in enumerate(pick):
                ax = axes[r, c]
                im = ax.imshow(np.maximum(field.isel(snapshot_time=int(k)).values, norm.vmin),
                               cmap="viridis", norm=norm, extent=_extent(ds), aspect="auto")
                _layer_lines(ax, ds, "w", 0.6)
                ax.set_ylim(min(float(ds["z"].values[-1]), 1800.0), 0)
                ax.set_title(f"{s or ''} {times[k]:g} h", fontsize=9)
                ax.tick_params(labelsize=7)
                if c == 0:
                    ax.set_ylabel("depth [µm]", fontsize=8)
            if im is not None:
                fig.colorbar(im, ax=list(axes[r, : pick.size]), shrink=0.85, label="ng/mL")
            if has_band:
                _band_timecourse(axes[r, -1], ds, s)
        return fig
    fig = Figure(figsize=(6, 3.5), layout="constrained")
    ax = fig.subplots()
    _band_timecourse(ax, ds, None)
    return fig


def _band_timecourse(ax: Any, ds: Any, species: Any) -> None:
    import numpy as np

    gb = ds["gf_band"]
    if "session" in gb.dims:
        gb = gb.isel(session=0)
    if species is not None and "species" in gb.dims:
        gb = gb.sel(species=species)
    elif "species" in gb.dims:
        gb = gb.isel(species=0)
    t = gb["gf_time"].values if "gf_time" in gb.coords else np.arange(gb.shape[0])
    bands = gb["band"].values if "band" in gb.coords else np.arange(gb.shape[-1])
    sel = np.unique(np.linspace(0, bands.size - 1, min(5, bands.size)).round().astype(int))
    for b in sel:
        ax.plot(t, gb.isel(band=int(b)).values, label=f"{bands[b]:.0f} µm")
    ax.set_xlabel("time after session 1 [h]", fontsize=8)
    ax.set_ylabel("band mean [ng/mL]", fontsize=8)
    ax.set_title(f"{species or 'growth factor'} by depth", fontsize=9)
    ax.legend(fontsize=6)
    ax.tick_params(labelsize=7)


def figure_remodelling(ds: Any) -> Any:
    """Collagen change over time and depth, and time courses of the other band variables."""
    import numpy as np
    from matplotlib.figure import Figure

    if "collagen_I_change" not in ds:
        return None
    c1 = ds["collagen_I_change"]
    t = c1["time"].values
    band = c1["band"].values
    fig = Figure(figsize=(11, 7.2), layout="constrained")
    axes = fig.subplots(2, 2)
    vmax = float(np.nanmax(np.abs(c1.values))) or 1.0
    im = axes[0, 0].pcolormesh(t, band, c1.values.T, cmap="RdBu_r", vmin=-vmax, vmax=vmax,
                               shading="auto")
    fig.colorbar(im, ax=axes[0, 0], label="collagen I change [%]")
    axes[0, 0].set(xlabel="day", ylabel="depth [µm]", title="collagen I change by depth")
    axes[0, 0].invert_yaxis()
    _layer_lines(axes[0, 0], ds, "k", 0.4)
    ax = axes[0, 1]
    for name, col in (("collagen_I_change", "tab:blue"), ("collagen_III_change", "tab:orange")):
        if name in ds:
            ax.plot(t, ds[name].mean("band").values, color=col,
                    label=name.replace("_change", "").replace("_", " "))
    for d in _sessions_days(ds):
        ax.axvline(d, color="0.6", lw=0.7, ls=":")
    ax.axhline(0, color="k", lw=0.5)
    ax.set(xlabel="day", ylabel="change vs baseline [%] (band mean)",
           title="collagen over the protocol (dotted: sessions)")
    ax.legend(fontsize=8)
    ax = axes[1, 0]
    if "collagen_III_change" in ds:
        c3 = ds["collagen_III_change"]
        v3 = float(np.nanmax(np.abs(c3.values))) or 1.0
        im = ax.pcolormesh(t, band, c3.values.T, cmap="PuOr_r", vmin=-v3, vmax=v3,
                           shading="auto")
        fig.colorbar(im, ax=ax, label="collagen III change [%]")
        ax.set(xlabel="day", ylabel="depth [µm]", title="collagen III change by depth")
        ax.invert_yaxis()
        _layer_lines(ax, ds, "k", 0.4)
    else:
        ax.set_visible(False)
    ax = axes[1, 1]
    shown = 0
    for name in ("macrophages", "neutrophils", "fibroblasts", "tgfb_active", "inflammation"):
        if name in ds and set(ds[name].dims) >= {"time", "band"}:
            v = ds[name].max("band").values
            rng = float(np.nanmax(v) - np.nanmin(v))
            if rng > 0:
                ax.plot(t, (v - np.nanmin(v)) / rng, label=name.replace("_", " "))
                shown += 1
    if shown:
        ax.set(xlabel="day", ylabel="relative to its peak (max over depth)",
               title="cells and signals")
        ax.set_xlim(t[0], min(t[-1], t[0] + 60))
        ax.legend(fontsize=8)
    else:
        ax.set_visible(False)
    return fig


def figure_rf(ds: Any) -> Any:
    """RF peak temperature of the first session with the Ω = 1 contour, and temperature
    traces when present."""
    import numpy as np
    from matplotlib.figure import Figure

    if "rf_peak_temperature" not in ds:
        return None
    tp = ds["rf_peak_temperature"]
    if "session" in tp.dims:
        tp = tp.isel(session=0)
    traces = [v for v in ds.data_vars if v.startswith("rf_") and "rf_time" in ds[v].dims
              and "temperature" in v]
    fig = Figure(figsize=(11, 4.2), layout="constrained")
    axes = fig.subplots(1, 2 if traces else 1, squeeze=False).ravel()
    ax = axes[0]
    im = ax.imshow(tp.values, cmap="inferno", extent=_extent(ds), aspect="auto",
                   vmin=float(np.nanmin(tp.values)), vmax=max(float(np.nanmax(tp.values)), 45))
    fig.colorbar(im, ax=ax, label="peak temperature [°C]")
    if "rf_damage" in ds:
        om = ds["rf_damage"]
        if "session" in om.dims:
            om = om.isel(session=0)
        if float(om.max()) >= 1.0:
            ax.contour(ds["x"].values, ds["z"].values, om.values, levels=[1.0], colors="cyan",
                       linewidths=1.0)
    _layer_lines(ax, ds, "w", 0.6)
    ax.set_ylim(min(float(ds["z"].values[-1]), 2500.0), 0)
    ax.set(xlabel="x [µm]", ylabel="depth [µm]", title="RF peak temperature, session 1 "
                                                       "(cyan: Ω = 1)")
    if traces:
        ax2 = axes[1]
        for v in traces:
            da = ds[v]
            if "session" in da.dims:
                da = da.isel(session=0)
            ax2.plot(ds["rf_time"].values, da.values,
                     label=v.replace("rf_", "").replace("_temperature_C", "").replace("_", " "))
        ax2.set(xlabel=f"time [{ds['rf_time'].attrs.get('units', 'ms')}]",
                ylabel="temperature [°C]", title="temperature traces, session 1")
        ax2.legend(fontsize=8)
        if "rf_power_W" in ds:
            pw = ds["rf_power_W"]
            if "session" in pw.dims:
                pw = pw.isel(session=0)
            ax3 = ax2.twinx()
            ax3.fill_between(ds["rf_time"].values, 0, pw.values, step="pre", color="k",
                             alpha=0.1)
            ax3.set_ylabel("generator power [W]")
    return fig


def figure_topical(ds: Any) -> Any:
    """Topical product delivered through the channels versus intact skin (first session)."""
    import numpy as np
    from matplotlib.figure import Figure

    if "topical_exposure" not in ds or "topical_exposure_intact" not in ds:
        return None
    names = [str(n).replace("_", " ") for n in ds["layer_name"].values] \
        if "layer_name" in ds else [str(i) for i in range(ds.sizes["layer_index"])]
    fig = Figure(figsize=(11, 3.8), layout="constrained")
    ax1, ax2 = fig.subplots(1, 2)
    y = np.arange(len(names))
    floor = 1e-12
    ax1.barh(y - 0.2, np.maximum(ds["topical_exposure"].values, floor), height=0.4,
             color="tab:green", label="microneedled")
    ax1.barh(y + 0.2, np.maximum(ds["topical_exposure_intact"].values, floor), height=0.4,
             color="0.6", label="intact skin")
    ax1.set_xscale("log")
    ax1.set_yticks(y, names)
    ax1.invert_yaxis()
    ax1.set(xlabel="exposure [ng·h/cm²] (log)", title="topical product per layer")
    ax1.legend(fontsize=8, loc="lower right", framealpha=0.9)
    if "topical_entered" in ds and "topical_time" in ds.coords:
        t = ds["topical_time"].values
        ax2.plot(t, ds["topical_entered"].values, color="tab:green", label="entered (needled)")
        if "topical_remaining" in ds:
            ax2.plot(t, ds["topical_remaining"].values, color="tab:green", ls="--",
                     label="in the skin (needled)")
        if "topical_entered_intact" in ds:
            ax2.plot(t, ds["topical_entered_intact"].values, color="0.5",
                     label="entered (intact)")
        ax2.set(xlabel=f"time after session 1 [{ds['topical_time'].attrs.get('units', 'h')}]",
                ylabel="ng/cm²", title="uptake over time", xlim=(0, min(float(t[-1]), 24.0)))
        ax2.legend(fontsize=8)
    else:
        ax2.set_visible(False)
    return fig


def figure_overview(ds: Any) -> Any:
    """The figure written by ``dermsim run`` (:func:`dermsim.viz.plot_result`)."""
    from dermsim import viz

    # a stage panel whose figure function is not registered is left out, not an error
    triggers = {"signalling": "gf_snapshot", "rf": "rf_peak_temperature",
                "remodelling": "collagen_I_change"}
    registered = getattr(viz, "PANEL_FUNCTIONS", {})
    drop = [var for panel, var in triggers.items() if var in ds and panel not in registered]
    return viz.plot_result(ds.drop_vars(drop) if drop else ds)


#: (key, title, caption, function) of every figure the report tries to draw.
FIGURES: list[tuple[str, str, str, Callable[[Any], Any]]] = [
    ("overview", "Overview", "The figure of <code>dermsim run</code>: a panel per stage present "
     "(cross-section of the first session with layers, channels, nominal and effective depth).",
     figure_overview),
    ("sessions", "Injury in every session", "Tissue injury (1 = open channel, < 1 = damaged "
     "rim) of each session; blue lines are the layer boundaries.", figure_sessions),
    ("signalling", "Growth factors", "Growth-factor concentration after the first session "
     "(snapshots) and band-mean time courses by depth.", figure_signalling),
    ("remodelling", "Collagen remodelling", "Collagen I and III change relative to the "
     "untreated baseline over the protocol and by depth, and the inflammatory and fibroblast "
     "response.", figure_remodelling),
    ("rf", "RF heating", "Peak temperature of the first RF session with the coagulation "
     "contour (Arrhenius Ω = 1).", figure_rf),
    ("topical", "Topical product", "A product applied on the skin after the first session: "
     "its exposure per layer through the open channels versus intact skin, and its uptake "
     "over time.", figure_topical),
]


def stage_figures(ds: Any) -> list[tuple[str, str, str, str | None, str]]:
    """Draw every figure whose variables are present.

    Returns
    -------
    list of (key, title, caption, base64 PNG or None, error text)
    """
    _import_stage_modules()
    out = []
    for key, title, caption, fn in FIGURES:
        try:
            fig = fn(ds)
        except Exception as exc:  # one broken figure must not lose the report
            out.append((key, title, caption, None, f"{type(exc).__name__}: {exc}"))
            continue
        if fig is not None:
            out.append((key, title, caption, _png_base64(fig), ""))
    return out


# ------------------------------------------------------------------------------------------------
# sections
# ------------------------------------------------------------------------------------------------


def _find_doc(name: str, hint: Path | None = None) -> Path | None:
    candidates = []
    if hint is not None:
        candidates += [hint.parent / "docs" / name, hint.parent.parent / "docs" / name]
    candidates += [Path.cwd() / "docs" / name, Path(__file__).resolve().parents[2] / "docs" / name]
    for c in candidates:
        if c.is_file():
            return c
    return None


def _strip_md(text: str) -> str:
    text = re.sub(r"`([^`]*)`", r"\1", text)
    text = re.sub(r"\*\*([^*]*)\*\*", r"\1", text)
    text = re.sub(r"\*([^*]*)\*", r"\1", text)
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
    return " ".join(text.split())


def model_summary(model_md: Path | None, max_chars: int = 420) -> list[tuple[str, str]]:
    """(section heading, opening prose) of every ``## `` section of docs/model.md.

    The opening prose is the first paragraph that is not a list, table or code block, cut at
    a sentence end near ``max_chars``; a closing sentence that only introduces a table or list
    (ends with a colon) is dropped.
    """
    if model_md is None:
        return []
    sections: list[tuple[str, list[str]]] = []
    for line in model_md.read_text(encoding="utf-8").splitlines():
        if line.startswith("## "):
            sections.append((line[3:].strip(), []))
        elif sections and not line.startswith("#"):
            sections[-1][1].append(line)
    out = []
    for head, lines in sections:
        if "parameter" in head.lower():
            continue
        paras, cur, in_code = [], [], False
        for ln in [*lines, ""]:
            st = ln.strip()
            if st.startswith("```"):
                in_code = not in_code
                continue
            if in_code or st.startswith(("|", "<!", ">")) or (ln.startswith("    ") and not cur):
                st = ""
            if st:
                cur.append(st)
            elif cur:
                paras.append(cur)
                cur = []
        prose = next((p for p in paras if not p[0].startswith(("-", "*", "1."))), None)
        if prose is None and paras:  # only a list: join its items
            prose = [" ".join(x.lstrip("-* ") for x in paras[0])]
        if not prose:
            continue
        text = _strip_md(" ".join(prose))
        sentences = re.split(r"(?<=[.!?:])\s+", text)
        kept: list[str] = []
        for sent in sentences:
            if kept and len(" ".join(kept)) + len(sent) > max_chars:
                break
            kept.append(sent)
        while len(kept) > 1 and kept[-1].endswith(":"):
            kept.pop()
        summary = " ".join(kept).rstrip(":")
        out.append((_strip_md(head), summary))
    return out


def validation_status(mode: str, hint: Path | None = None) -> tuple[str, list[tuple[str, str,
                                                                                   str]]]:
    """Validation status for the report.

    Parameters
    ----------
    mode
        ``"auto"`` (the cached page if found, else run the fast cases), ``"cached"``,
        ``"run"`` (run every case) or ``"skip"``.

    Returns
    -------
    (source text, rows of (case, title, status))
    """
    from dermsim import validation as val

    if mode == "skip":
        return "not included (--validation skip)", []
    if mode in ("auto", "cached"):
        page = _find_doc("validation.md", hint)
        status = val.status_from_markdown(page) if page else None
        if status:
            rows = [(k, val.CASES[k].title if k in val.CASES else "", v)
                    for k, v in status.items()]
            return (f"recorded in {page.name} (regenerate with <code>dermsim validate "
                    f"--write</code>)", rows)
        if mode == "cached":
            return "no docs/validation.md found", []
    results = val.run_cases(fast_only=(mode == "auto"))
    rows = [(r.name, r.title, r.status) for r in results]
    which = "fast cases" if mode == "auto" else "all cases"
    return f"run now ({which}; <code>dermsim validate</code> runs them all)", rows


def _scenario_rows(ds: Any) -> list[tuple[str, str]]:
    a = ds.attrs
    rows = [("scenario", a.get("scenario", "")), ("body site", a.get("site", "")),
            ("device", f"{a.get('device_preset', '')} ({a.get('device_kind', '')})")]
    if "session" in ds.dims:
        days = _sessions_days(ds)
        rows.append(("sessions", f"{ds.sizes['session']}"
                     + (f" on days {', '.join(f'{d:g}' for d in days)}" if days else "")))
    if "nominal_length" in ds:
        rows.append(("nominal needle length", f"{float(ds['nominal_length'].values[0]):g} µm"))
    for key, label in (("grid_h_um", "grid cell size [µm]"), ("grid_shape_zx", "grid (z × x)"),
                       ("seed", "seed"), ("dermsim_version", "dermsim version"),
                       ("created", "result created")):
        if key in a:
            rows.append((label, str(a[key])))
    return rows


def _session_table(ds: Any) -> str:
    cols = [("nominal_length", "nominal length [µm]"), ("effective_depth", "effective depth [µm]"),
            ("bleeding_fraction", "bleeding fraction"), ("punctures_per_cm2", "punctures/cm²"),
            ("epidermal_injury", "epidermal injury [mm³/cm²]"),
            ("dermal_injury", "dermal injury [mm³/cm²]")]
    cols = [(v, lab) for v, lab in cols if v in ds and ds[v].dims == ("session",)]
    if "session" not in ds.dims or not cols:
        return ""
    days = _sessions_days(ds)
    head = "<tr><th>session</th>" + ("<th>day</th>" if days else "") + "".join(
        f"<th>{_esc(lab)}</th>" for _, lab in cols) + "</tr>"
    body = []
    for i, s in enumerate(ds["session"].values):
        cells = [f"<td>{int(s)}</td>"]
        if days:
            cells.append(f"<td class='num'>{days[i]:g}</td>")
        cells += [f"<td class='num'>{_fmt(ds[v].values[i])}</td>" for v, _ in cols]
        body.append("<tr>" + "".join(cells) + "</tr>")
    return "<h3>Per session</h3><table>" + head + "".join(body) + "</table>"


def _outcome_table(outcomes: dict[str, float]) -> str:
    rows = []
    for name, value in outcomes.items():
        label = OUTCOME_LABELS.get(name, name.replace("_", " "))
        absent = value != value
        cls = " class='absent'" if absent else ""
        shown = "not simulated" if absent else _fmt(value)
        rows.append(f"<tr{cls}><td>{_esc(label)}</td><td><code>{_esc(name)}</code></td>"
                    f"<td class='num'>{_esc(shown)}</td></tr>")
    return ("<table><tr><th>outcome</th><th>name</th><th>value</th></tr>" + "".join(rows)
            + "</table>")


def build_html(ds: Any, validation: str = "auto", source: Path | None = None) -> str:
    """The report page as one HTML string (see the module docstring).

    Parameters
    ----------
    ds
        A dermsim result (:func:`dermsim.io.open_result`).
    validation
        ``"auto"``, ``"cached"``, ``"run"`` or ``"skip"`` (see :func:`validation_status`).
    source
        Path of the result file (shown, and used to look for ``docs/`` next to it).
    """
    from datetime import UTC, datetime

    from dermsim import __version__
    from dermsim.metrics import scalar_outcomes

    _import_stage_modules()
    a = ds.attrs
    name = a.get("scenario", "result")
    parts: list[str] = []
    add = parts.append
    add("<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>")
    add("<meta name='viewport' content='width=device-width, initial-scale=1'>")
    add(f"<title>dermsim report: {_esc(name)}</title><style>{_CSS}</style></head><body>")
    add(f"<header><h1>dermsim report — {_esc(name)}</h1>")
    meta = " · ".join(_esc(x) for x in (a.get("site", ""), a.get("device_preset", ""),
                                          f"dermsim {a.get('dermsim_version', __version__)}") if x)
    add(f"<p class='meta'>{meta}</p>")
    add(f"<div class='disclaimer' id='disclaimer'><strong>Disclaimer.</strong> {_esc(DISCLAIMER)}"
        "</div></header>")
    sections = [("scenario", "Scenario"), ("outcomes", "Outcomes"), ("figures", "Figures"),
                ("model", "Model assumptions"), ("validation", "Validation status"),
                ("disclaimer-end", "Disclaimer")]
    add("<nav><ul>" + "".join(f"<li><a href='#{k}'>{_esc(t)}</a></li>" for k, t in sections)
        + "</ul></nav>")

    # scenario
    add("<section id='scenario'><h2>Scenario</h2><table>")
    for k, v in _scenario_rows(ds):
        add(f"<tr><th>{_esc(k)}</th><td>{_esc(v)}</td></tr>")
    add("</table>")
    if source is not None:
        add(f"<p>Result file: <code>{_esc(source)}</code></p>")
    if a.get("config_toml"):
        add("<details><summary>Configuration (resolved TOML, as stored in the result)"
            f"</summary><pre>{_esc(a['config_toml'])}</pre></details>")
    add("</section>")

    # outcomes
    add("<section id='outcomes'><h2>Outcomes</h2>")
    try:
        outcomes = scalar_outcomes(ds)
        add("<p>Scalar outcomes (<code>dermsim.metrics.scalar_outcomes</code>); penetration "
            "outcomes are for the first session, changes are relative to the untreated "
            "baseline. “not simulated” marks outcomes of stages absent from this result.</p>")
        add(_outcome_table(outcomes))
    except Exception as exc:
        add(f"<p class='warn'>Outcomes could not be computed: {_esc(exc)}</p>")
    add(_session_table(ds))
    add("</section>")

    # figures
    add("<section id='figures'><h2>Figures</h2>")
    for key, title, caption, b64, err in stage_figures(ds):
        if b64 is None:
            add(f"<p class='warn' data-figure-error='{_esc(key)}'>Figure “{_esc(title)}” could "
                f"not be drawn: {_esc(err)}</p>")
            continue
        add(f"<figure id='fig-{_esc(key)}'><img src='data:image/png;base64,{b64}' "
            f"alt='{_esc(title)}'><figcaption><strong>{_esc(title)}.</strong> {caption}"
            "</figcaption></figure>")
    add("</section>")

    # model assumptions
    add("<section id='model'><h2>Model assumptions</h2><ul>")
    for item in _ASSUMPTIONS:
        add(f"<li>{_esc(item)}</li>")
    add("</ul>")
    model_md = _find_doc("model.md", source)
    summary = model_summary(model_md)
    if summary:
        add(f"<h3>From {_esc(model_md.name)}</h3><p>Every equation, assumption and parameter "
            "with its source is documented in <code>docs/model.md</code> of the dermsim "
            "repository. Its sections:</p><dl>")
        for head, para in summary:
            add(f"<dt><strong>{_esc(head)}</strong></dt><dd>{_esc(para)}</dd>")
        add("</dl>")
    else:
        add("<p>The full model description is <code>docs/model.md</code> in the dermsim "
            "repository.</p>")
    add("</section>")

    # validation
    add("<section id='validation'><h2>Validation status</h2>")
    try:
        src, rows = validation_status(validation, source)
        add(f"<p>Source: {src}.</p>")
        if rows:
            add("<table><tr><th>case</th><th>what is checked</th><th>status</th></tr>")
            for case, title, status in rows:
                cls = {"pass": "pass", "fail": "fail", "error": "error"}.get(status, "na")
                add(f"<tr><td>{_esc(case)}</td><td>{_esc(title)}</td>"
                    f"<td class='{cls}'>{_esc(status)}</td></tr>")
            add("</table>")
            n_pass = sum(s == "pass" for _, _, s in rows)
            add(f"<p>{n_pass} of {len(rows)} cases pass.</p>")
    except Exception as exc:
        add(f"<p class='warn'>Validation status unavailable: {_esc(exc)}</p>")
    add("</section>")

    add(f"<section id='disclaimer-end'><h2>Disclaimer</h2><p>{_esc(DISCLAIMER)} Results are "
        "model outputs for an average skin under stated assumptions; they are not predictions "
        "for any individual.</p></section>")
    now = datetime.now(UTC).isoformat(timespec="seconds")
    add(f"<footer>Generated by dermsim {_esc(__version__)} (<code>dermsim report</code>) on "
        f"{_esc(now)}. Self-contained page: no network access, figures embedded.</footer>")
    add(f"<script>{_SCRIPT}</script></body></html>")
    return "\n".join(parts)


def write_report(result: str | Path, output: str | Path | None = None,
                 validation: str = "auto") -> Path:
    """Write the HTML report of a result file atomically; returns the path written.

    Parameters
    ----------
    result
        A result NetCDF written by ``dermsim run`` / :func:`dermsim.io.write_netcdf`.
    output
        HTML path (default: the result path with suffix ``.html``).
    validation
        See :func:`validation_status`.
    """
    from dermsim.io import atomic_write_bytes, open_result

    result = Path(result)
    ds = open_result(result)
    out = Path(output) if output is not None else result.with_suffix(".html")
    return atomic_write_bytes(build_html(ds, validation, result).encode("utf-8"), out)


def cmd_report(args: Any) -> int:
    """``dermsim report RESULT.nc [-o out.html]``."""
    path = write_report(args.result, args.output, args.validation)
    if not args.quiet:
        print(f"wrote {path}")
    return 0


def add_cli(subparsers: Any, epilog: str) -> None:
    """Register ``dermsim report`` on an argparse subparsers object."""
    p = subparsers.add_parser(
        "report", help="one self-contained HTML page of a result",
        description="Write one self-contained HTML page (figures embedded, no network) with "
                    "the scenario, outcomes table, figures, model assumptions, validation "
                    "status and the disclaimer.", epilog=epilog)
    p.add_argument("result", help="result NetCDF written by `dermsim run`")
    p.add_argument("-o", "--output", metavar="HTML",
                   help="output file (default: RESULT with suffix .html)")
    p.add_argument("--validation", choices=("auto", "cached", "run", "skip"), default="auto",
                   help="validation status: from docs/validation.md if found, else run the fast "
                        "cases (auto, default); cached; run all cases; skip")
    p.add_argument("-q", "--quiet", action="store_true", help="print nothing")
    p.set_defaults(func=cmd_report)
