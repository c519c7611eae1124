"""Figures of sweep results: heatmaps, line plots and sensitivity bar charts."""

from __future__ import annotations

import math
import re
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dermsim import schema
from dermsim.errors import DermsimError
from dermsim.sweep.sensitivity import indices
from dermsim.sweep.spec import SENSITIVITY_KINDS, FigureSpec, SweepSpec
from dermsim.sweep.tables import finite_outcomes, fmt_value, param_names

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np
    import xarray as xr


def _plt() -> Any:
    # no matplotlib.use(): pyplot falls back to Agg by itself where there is no display, and
    # forcing a backend here would break notebooks' inline figures
    import matplotlib.pyplot as plt

    return plt


def parameter_dim(ds: xr.Dataset, ref: str) -> str:
    """Dataset name of a parameter given its name or dotted key."""
    if ref in ds.coords and "parameter_key" in ds[ref].attrs:
        return ref
    for c in param_names(ds):
        if ds[c].attrs.get("parameter_key") == ref:
            return c
    raise DermsimError(f"{ref!r} is not a swept parameter (parameters: "
                       f"{', '.join(param_names(ds))})")


def unit_text(units: str) -> str:
    """Display form of a units attribute (:func:`dermsim.schema.pretty_units`: ``"um"`` →
    ``"µm"``, ``"degC"`` → ``"°C"``; nothing for dimensionless, also a card's ``"-"``)."""
    return "" if units in ("-", "") else schema.pretty_units(units)


def axis_label(ds: xr.Dataset, name: str, width: int = 0, units: bool = True) -> str:
    """``long_name [units]`` of a variable or coordinate from its attrs (the parenthetical
    remark of a long name left out; wrapped at ``width`` characters if given)."""
    import textwrap

    a = ds[name].attrs
    long_name = re.sub(r"\s*\([^)]*\)\s*$", "", str(a.get("long_name", name))) or name
    unit = unit_text(str(a.get("units", ""))) if units else ""
    text = long_name + (f" [{unit}]" if unit else "")
    return textwrap.fill(text, width) if width else text


def _label(ds: xr.Dataset, name: str) -> str:
    return axis_label(ds, name)


def _reduce(da: xr.DataArray, ds: xr.Dataset, sel: Mapping[str, Any] | None,
            keep: Sequence[str], how: str) -> tuple[xr.DataArray, str]:
    import numpy as np

    if sel:
        da = da.sel({parameter_dim(ds, k): v for k, v in sel.items()})
    single = [d for d in da.dims if d not in keep and da.sizes[d] == 1]
    if single:
        da = da.isel({d: 0 for d in single})
    extra = [d for d in da.dims if d not in keep]
    note = ""
    if extra:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore", RuntimeWarning)
            da = getattr(da, how)(extra, skipna=True)
        note = f"{how} over {', '.join(map(str, extra))}"
    return da, note


def _positions(values: np.ndarray) -> tuple[np.ndarray, list[str] | None]:
    """Plot positions of parameter values: the numbers, or category indices and labels."""
    import numpy as np

    values = np.asarray(values)
    if values.dtype.kind in "UOSb":
        cats, idx = np.unique(values, return_inverse=True)
        return idx.astype(float), [str(c) for c in cats]
    return values, None


def _ticks(values: Any) -> list[str]:
    return [fmt_value(float(v)) if isinstance(v, (float, int)) and not isinstance(v, bool)
            else str(v) for v in (x.item() if hasattr(x, "item") else x for x in values)]


def plot_heatmap(ds: xr.Dataset, outcomes: str | Sequence[str], x: str, y: str, *,
                 sel: Mapping[str, Any] | None = None, reduce: str = "mean",
                 cmap: str = "viridis", annotate: bool | None = None) -> Any:
    """Outcome(s) over two swept parameters: one heatmap panel per outcome.

    Parameters
    ----------
    ds
        A sweep Dataset (:func:`run_sweep`).
    outcomes
        Outcome name or names (one panel each).
    x, y
        Parameters (dataset name or dotted key) on the horizontal / vertical axis.
    sel
        Fixed values of other parameters; any remaining dims are reduced by ``reduce``
        (``"mean"``, ``"max"`` or ``"min"``). For sampled designs the points are scattered
        and coloured by the outcome.
    annotate
        Write the value in each cell (default: when there are ≤ 100 cells).

    Returns
    -------
    matplotlib.figure.Figure
    """
    outs = [outcomes] if isinstance(outcomes, str) else list(outcomes)
    xn, yn = parameter_dim(ds, x), parameter_dim(ds, y)
    fig, axes = _panels(len(outs), 4.6, 0.4, 3.9)
    for ax, o in zip(axes, outs):
        ax.set_title(axis_label(ds, o, 45, units=False), fontsize=9)
        if "run" in ds.dims:
            _scatter_panel(fig, ax, ds, o, xn, yn, cmap)
        else:
            _heatmap_panel(fig, ax, ds, o, xn, yn, cmap, sel, reduce, annotate)
        ax.set_xlabel(_label(ds, xn))
        ax.set_ylabel(_label(ds, yn))
    fig.suptitle(f"sweep {ds.attrs.get('sweep_name', '')}", fontsize=10)
    return fig


def _panels(n: int, width: float, extra: float, height: float) -> tuple[Any, list[Any]]:
    """A figure with ``n`` panels (2 columns for 4, else up to 3); unused axes hidden."""
    plt = _plt()
    ncol = 2 if n == 4 else min(3, n)
    nrow = math.ceil(n / ncol)
    fig, axes = plt.subplots(nrow, ncol, figsize=(width * ncol + extra, height * nrow),
                             squeeze=False, layout="constrained")
    for ax in axes.ravel()[n:]:
        ax.set_visible(False)
    return fig, list(axes.ravel()[:n])


def _colorbar_label(ds: xr.Dataset, o: str) -> str:
    """The panel title names the outcome; the colour bar gives its units."""
    unit = unit_text(str(ds[o].attrs.get("units", "")))
    return f"[{unit}]" if unit else "(dimensionless)"


def _scatter_panel(fig: Any, ax: Any, ds: xr.Dataset, o: str, xn: str, yn: str,
                   cmap: str) -> None:
    """Sampled design: the runs at their parameter values, coloured by the outcome."""
    xs, xlab = _positions(ds[xn].values)
    ys, ylab = _positions(ds[yn].values)
    sc = ax.scatter(xs, ys, c=ds[o].values, cmap=cmap, s=28, edgecolors="0.3", linewidths=0.4)
    if xlab is not None:
        ax.set_xticks(range(len(xlab)), xlab)
    if ylab is not None:
        ax.set_yticks(range(len(ylab)), ylab)
    fig.colorbar(sc, ax=ax, label=_colorbar_label(ds, o))


def _heatmap_panel(fig: Any, ax: Any, ds: xr.Dataset, o: str, xn: str, yn: str, cmap: str,
                   sel: Mapping[str, Any] | None, reduce: str, annotate: bool | None) -> None:
    """Factorial design: one cell per level pair (other dims selected or reduced)."""
    import numpy as np

    da, note = _reduce(ds[o], ds, sel, (xn, yn), reduce)
    da = da.transpose(yn, xn)
    z = np.ma.masked_invalid(da.values.astype(float))
    ny, nx = z.shape
    ax.set_facecolor("0.85")
    if z.count():
        m = ax.pcolormesh(np.arange(nx + 1) - 0.5, np.arange(ny + 1) - 0.5, z, cmap=cmap,
                          shading="flat")
        fig.colorbar(m, ax=ax, label=_colorbar_label(ds, o))
    else:
        ax.text(0.5, 0.5, "no data\n(stage not run or every run failed)", ha="center",
                va="center", transform=ax.transAxes, fontsize=8, color="0.3")
    ax.set_xlim(-0.5, nx - 0.5)
    ax.set_ylim(-0.5, ny - 0.5)
    ax.set_xticks(range(nx), _ticks(da[xn].values), fontsize=8,
                  rotation=30 if da[xn].dtype.kind in "UO" else 0)
    ax.set_yticks(range(ny), _ticks(da[yn].values), fontsize=8)
    if annotate or (annotate is None and nx * ny <= 100 and z.count()):
        _annotate_cells(ax, z)
    if note:
        ax.set_title(f"{axis_label(ds, o, 45, units=False)}\n({note})", fontsize=9)


def _annotate_cells(ax: Any, z: Any) -> None:
    """Write each cell's value (white on dark cells), "n/a" where there is none."""
    import numpy as np

    lo, hi = float(z.min()), float(z.max())
    ny, nx = z.shape
    for i in range(ny):
        for j in range(nx):
            v = z[i, j]
            if np.ma.is_masked(v):
                ax.text(j, i, "n/a", ha="center", va="center", fontsize=7, color="0.4")
                continue
            light = hi > lo and (v - lo) / (hi - lo) < 0.55
            ax.text(j, i, f"{v:.0f}" if 1e3 <= abs(v) < 1e6 else f"{v:.3g}", ha="center",
                    va="center", fontsize=7,
                    color="w" if light else "k")


def plot_lines(ds: xr.Dataset, outcomes: str | Sequence[str], x: str, *, hue: str | None = None,
               sel: Mapping[str, Any] | None = None, reduce: str = "mean") -> Any:
    """Outcome(s) against one swept parameter, one line per value of ``hue``; one panel per
    outcome. Sampled designs are drawn as scatter plots (coloured by ``hue`` if given).

    Returns
    -------
    matplotlib.figure.Figure
    """
    outs = [outcomes] if isinstance(outcomes, str) else list(outcomes)
    xn = parameter_dim(ds, x)
    hn = parameter_dim(ds, hue) if hue else None
    fig, axes = _panels(len(outs), 4.4, 0.6, 3.5)
    for ax, o in zip(axes, outs):
        ax.set_ylabel(axis_label(ds, o, 38), fontsize=9)
        ax.set_xlabel(_label(ds, xn))
        if "run" in ds.dims:
            _scatter_lines_panel(fig, ax, ds, o, xn, hn)
        else:
            _lines_panel(ax, ds, o, xn, hn, sel, reduce)
    fig.suptitle(f"sweep {ds.attrs.get('sweep_name', '')}", fontsize=10)
    return fig


def _scatter_lines_panel(fig: Any, ax: Any, ds: xr.Dataset, o: str, xn: str,
                         hn: str | None) -> None:
    """Sampled design: outcome against ``xn``, coloured by ``hn`` (categories or a scale)."""
    import numpy as np

    xs, xlab = _positions(ds[xn].values)
    if xlab is not None:
        ax.set_xticks(range(len(xlab)), xlab)
    if hn is None:
        ax.scatter(xs, ds[o].values, s=16)
        return
    hv = ds[hn].values
    if hv.dtype.kind in "UOSb":
        for cat in np.unique(hv):
            m = hv == cat
            ax.scatter(xs[m], ds[o].values[m], s=16, label=str(cat))
        ax.legend(title=_label(ds, hn), fontsize=7, title_fontsize=7)
    else:
        sc = ax.scatter(xs, ds[o].values, c=hv, s=16, cmap="viridis")
        fig.colorbar(sc, ax=ax, label=_label(ds, hn))


def _lines_panel(ax: Any, ds: xr.Dataset, o: str, xn: str, hn: str | None,
                 sel: Mapping[str, Any] | None, reduce: str) -> None:
    """Factorial design: one line per level of ``hn`` (other dims selected or reduced)."""
    import numpy as np

    categorical = ds[xn].values.dtype.kind in "UOSb"
    keep = (xn,) if hn is None else (xn, hn)
    da, note = _reduce(ds[o], ds, sel, keep, reduce)
    xs = np.arange(len(da[xn])) if categorical else da[xn].values
    if hn is None:
        ax.plot(xs, da.values, "o-", ms=4)
    else:
        for hv in da[hn].values:
            ax.plot(xs, da.sel({hn: hv}).values, "o-", ms=4, label=f"{_ticks([hv])[0]}")
        ax.legend(title=_label(ds, hn), fontsize=7, title_fontsize=7)
    if categorical:
        ax.set_xticks(list(xs), _ticks(da[xn].values), rotation=30)
    elif ds[xn].attrs.get("scale") == "log":
        ax.set_xscale("log")
    if note:
        ax.set_title(f"({note})", fontsize=9)
    ax.grid(alpha=0.3)


def default_figures(ds: xr.Dataset) -> list[FigureSpec]:
    """The figures drawn when a spec declares none, from the sweep Dataset alone: sensitivity
    bars (Morris/Sobol' designs), a heatmap of the first two parameters (factorial designs) or
    lines of the first outcome against each parameter (sampled designs)."""
    outcomes = [o for o in str(ds.attrs.get("outcomes", "")).split(", ") if o]
    outs = tuple(finite_outcomes(ds, outcomes)[:4])
    keys = [str(ds[c].attrs["parameter_key"]) for c in param_names(ds)]
    if not outs or not keys:
        return []
    if ds.attrs.get("design") in SENSITIVITY_KINDS:
        return [FigureSpec("sensitivity", outs)]
    sampled = "run" in ds.dims
    if not sampled and len(keys) >= 2:
        return [FigureSpec("heatmap", outs, keys[0], keys[1])]
    if sampled:
        return [FigureSpec("lines", outs[:1], k) for k in keys[:4]]
    return [FigureSpec("lines", outs, keys[0])]


def draw_figure_spec(ds: xr.Dataset, f: FigureSpec) -> Any:
    """Draw one figure of a sweep (a :class:`~dermsim.sweep.spec.FigureSpec`); None for a
    sensitivity figure without any finite outcome."""
    if f.kind == "heatmap":
        return plot_heatmap(ds, f.outcomes, f.x, f.y, sel=f.sel)  # type: ignore[arg-type]
    if f.kind == "lines":
        return plot_lines(ds, f.outcomes, f.x, hue=f.hue, sel=f.sel)  # type: ignore[arg-type]
    finite = finite_outcomes(ds, f.outcomes)
    return plot_sensitivity(ds, finite) if finite else None


def make_figures(ds: xr.Dataset, spec: SweepSpec, out_dir: str | Path) -> list[Path]:
    """Draw the spec's ``[[figures]]`` (or :func:`default_figures`) and save them as PNG."""
    from dermsim.io import save_figure

    plt = _plt()
    written: list[Path] = []
    for f in list(spec.figures) or default_figures(ds):
        fig = draw_figure_spec(ds, f)
        if fig is None:
            continue
        name = f.file or _unique(figure_name(spec, f), [p.name for p in written])
        written.append(save_figure(fig, Path(out_dir) / name))
        plt.close(fig)
    return written


def figure_name(spec: SweepSpec, f: FigureSpec) -> str:
    """A file name that says what the figure shows, e.g. ``needle_passes_heatmap_passes_vs_
    needle_length_um.png``, ``protocol_lhs_collagen_I_change_pct_vs_sessions.png``,
    ``morris_screening_sensitivity_morris.png``."""
    def dim(ref: str | None) -> str:
        return spec.parameter(ref).name if ref else ""

    if f.kind == "heatmap":
        what = f"heatmap_{dim(f.y)}_vs_{dim(f.x)}"
    elif f.kind == "lines":
        what = (f.outcomes[0] if len(f.outcomes) == 1 else "outcomes") + f"_vs_{dim(f.x)}"
        what += f"_by_{dim(f.hue)}" if f.hue else ""
    else:
        what = f"sensitivity_{spec.design.kind}"
    return f"{spec.name}_{what}.png"


def _unique(name: str, taken: Sequence[str]) -> str:
    stem, k = name.removesuffix(".png"), 2
    while name in taken:
        name, k = f"{stem}_{k}.png", k + 1
    return name


def plot_sensitivity(ds: xr.Dataset, outcomes: str | Sequence[str]) -> Any:
    """Bar chart of the sensitivity indices, one panel per outcome.

    Morris: ``mu_star`` bars with confidence intervals and ``sigma`` markers (sigma ≫ mu_star
    flags interactions or non-linearity). Saltelli: first-order ``S1`` and total ``ST`` bars
    with confidence intervals.

    Returns
    -------
    matplotlib.figure.Figure
    """
    import textwrap

    import numpy as np

    plt = _plt()
    outs = [outcomes] if isinstance(outcomes, str) else list(outcomes)
    d = ds.sizes["parameter"]
    labels = {str(ds[c].attrs["parameter_key"]): textwrap.fill(axis_label(ds, c), 32)
              for c in param_names(ds)}
    fig, axes = plt.subplots(1, len(outs), figsize=(4.4 * len(outs) + 2.0, 0.6 * d + 1.8),
                             squeeze=False, layout="constrained")
    for k, (ax, o) in enumerate(zip(axes[0], outs)):
        ix = indices(ds, o)
        names = [labels.get(str(p), str(p)) for p in ix["parameter"].values]
        pos = np.arange(len(names))
        if ix.attrs["method"] == "morris":
            ax.barh(pos, ix["mu_star"].values, xerr=ix["mu_star_conf"].values, color="#4c72b0",
                    capsize=2, label="mu*")
            ax.plot(ix["sigma"].values, pos, "D", color="#dd8452", ms=5, label="sigma")
            unit = unit_text(str(ds[o].attrs.get("units", "")))
            ax.set_xlabel("elementary effect per parameter range"
                          + (f" [{unit}]" if unit else ""))
        else:
            ax.barh(pos - 0.2, ix["S1"].values, 0.4, xerr=ix["S1_conf"].values, capsize=2,
                    color="#4c72b0", label="S1 (first order)")
            ax.barh(pos + 0.2, ix["ST"].values, 0.4, xerr=ix["ST_conf"].values, capsize=2,
                    color="#dd8452", label="ST (total)")
            ax.set_xlabel("Sobol' index")
            ax.axvline(0, color="0.3", lw=0.6)
        ax.set_yticks(pos, names if k == 0 else [""] * len(names), fontsize=8)
        ax.invert_yaxis()
        ax.set_title(axis_label(ds, o, 45, units=False), fontsize=9)
        ax.legend(fontsize=7)
        ax.grid(axis="x", alpha=0.3)
    fig.suptitle(f"sensitivity ({ds.attrs.get('design')}), sweep "
                 f"{ds.attrs.get('sweep_name', '')}", fontsize=10)
    return fig

