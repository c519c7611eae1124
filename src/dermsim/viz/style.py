"""The figure style of dermsim: fonts, layer and species colours, session markers, labels.

Every figure of the package (``dermsim run``, ``compare``, ``report``, ``animate``) is drawn
inside :func:`context` (or by a function decorated with :func:`styled`) and takes its axis
labels from the Dataset attrs through :func:`label` (the result schema,
:mod:`dermsim.schema`, sets those attrs). Only matplotlib is imported, and only when a figure
is drawn.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from dermsim import schema
from dermsim.schema import pretty_units

F = TypeVar("F", bound=Callable[..., Any])

__all__ = ["LAYER_COLOURS", "RC", "context", "label", "pretty_units", "styled", "use"]

#: Layer colours, top to bottom: stratum corneum (dark keratin brown), viable epidermis
#: (light tan), papillary dermis (light pink), reticular dermis (rose), hypodermis (pale fat
#: yellow). Stratum corneum and hypodermis are far apart in hue and lightness.
LAYER_COLOURS: tuple[str, ...] = ("#8c6239", "#f1d4b3", "#f7b6b0", "#cf6f7a", "#fbeeb0")

#: Display names of the layers.
LAYER_DISPLAY: dict[str, str] = {
    "stratum_corneum": "stratum corneum", "viable_epidermis": "viable epidermis",
    "papillary_dermis": "papillary dermis", "reticular_dermis": "reticular dermis",
    "hypodermis": "hypodermis (fat)"}

#: Display names and colours of the growth factors and the collagens.
SPECIES_DISPLAY: dict[str, str] = {"tgfb1": "TGF-β1", "pdgf": "PDGF", "vegf": "VEGF",
                                   "fgf2": "FGF-2", "egf": "EGF"}
COLLAGEN_I = "#1f5fa8"
COLLAGEN_III = "#e07b1a"
INFLAMMATION = "#c0392b"
FIBROBLASTS = "#2e8b57"
INJURY_RGB = (0.30, 0.02, 0.12)  # dark wine: injured tissue, drawn translucent over layers
SESSION_COLOUR = "0.35"

#: Matplotlib settings shared by every figure.
RC: dict[str, Any] = {
    "font.family": "DejaVu Sans",
    "font.size": 9,
    "axes.titlesize": 10,
    "axes.titleweight": "regular",
    "axes.labelsize": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": False,
    "legend.fontsize": 8,
    "legend.frameon": False,
    "xtick.labelsize": 8,
    "ytick.labelsize": 8,
    "figure.titlesize": 11,
    "image.interpolation": "nearest",
    "savefig.facecolor": "white",
}


@contextmanager
def context() -> Iterator[None]:
    """Draw inside this context to use the dermsim style (settings restored afterwards)."""
    import matplotlib as mpl

    with mpl.rc_context(RC):  # type: ignore[arg-type]
        yield


def use() -> None:
    """Use the dermsim style for every following figure (notebooks, scripts)."""
    import matplotlib as mpl

    mpl.rcParams.update(RC)  # type: ignore[arg-type]


def styled(fn: F) -> F:
    """Decorator: run a figure function inside :func:`context`."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with context():
            return fn(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def label(da: Any, short: bool = False) -> str:
    """Axis label of a DataArray (or schema name) from its attrs: ``"long name [units]"``."""
    return schema.label(da, short=short)


def species_name(name: Any) -> str:
    """``"tgfb1"`` → ``"TGF-β1"``."""
    return SPECIES_DISPLAY.get(str(name), str(name))


def layer_name(name: Any) -> str:
    """``"stratum_corneum"`` → ``"stratum corneum"``."""
    return LAYER_DISPLAY.get(str(name), str(name).replace("_", " "))


def time_label(hours: float) -> str:
    """``1`` → ``"1 h"``, ``72`` → ``"3 d"``, ``0.25`` → ``"15 min"``."""
    if hours < 1:
        return f"{hours * 60:.0f} min"
    if hours < 24:
        return f"{hours:g} h"
    return f"{hours / 24:g} d"


def layer_cmap() -> Any:
    """Listed colour map of the layers (index 0–4)."""
    from matplotlib.colors import ListedColormap

    return ListedColormap(LAYER_COLOURS)


def layer_handles(names: Iterable[Any]) -> list[Any]:
    """Legend patches of the layers."""
    from matplotlib.patches import Patch

    return [Patch(facecolor=c, edgecolor="0.3", lw=0.5, label=layer_name(n))
            for c, n in zip(LAYER_COLOURS, names)]


def layer_bands(ax: Any, ds: Any, z_max: float | None = None, alpha: float = 0.45,
                labels: bool = True) -> None:
    """Shade the layers as horizontal bands behind a depth profile (y = depth, downwards)."""
    names = [str(n) for n in ds["layer_name"].values]
    tops = [float(v) for v in ds["layer_top"].values]
    bottoms = [float(v) for v in ds["layer_bottom"].values]
    bottom_limit = z_max if z_max is not None else bottoms[-1]
    for k, (top, bot) in enumerate(zip(tops, bottoms)):
        if top >= bottom_limit:
            continue
        ax.axhspan(top, min(bot, bottom_limit), color=LAYER_COLOURS[k], alpha=alpha, lw=0,
                   zorder=0)
        if labels and min(bot, bottom_limit) - top > 0.06 * bottom_limit:
            ax.text(0.02, 0.5 * (top + min(bot, bottom_limit)), layer_name(names[k]),
                    transform=ax.get_yaxis_transform(), ha="left", va="center",
                    fontsize=7, color="0.25", zorder=1)


def session_marks(ax: Any, days: Iterable[float], colour: str = SESSION_COLOUR,
                  row: int = 0, label: str | None = "session", lines: bool = True) -> None:
    """Mark session days: a triangle above the plotting area (row ``row`` for several
    scenarios, so that their markers do not overlap) and a faint solid vertical line."""
    from matplotlib.transforms import blended_transform_factory

    trans = blended_transform_factory(ax.transData, ax.transAxes)
    y = 1.02 + 0.045 * row
    for k, d in enumerate(days):
        if lines:
            ax.axvline(d, color=colour, lw=0.6, alpha=0.35, zorder=0)
        ax.plot([d], [y], marker="v", ms=5, color=colour, transform=trans, clip_on=False,
                ls="none", label=label if k == 0 else None)


def injury_rgba(injury: Any, threshold: float = 0.02, max_alpha: float = 0.6) -> Any:
    """RGBA image of an injury field (0–1): dark wine whose opacity grows with the injury, so
    the layers stay visible through lightly injured tissue."""
    import numpy as np

    inj = np.clip(np.nan_to_num(np.asarray(injury, dtype=float)), 0.0, 1.0)
    rgba = np.zeros((*inj.shape, 4))
    rgba[..., :3] = INJURY_RGB
    rgba[..., 3] = np.where(inj >= threshold, max_alpha * inj, 0.0)
    return rgba


def injury_cmap() -> Any:
    """Colour map matching :func:`injury_rgba` (for colour bars)."""
    from matplotlib.colors import LinearSegmentedColormap

    return LinearSegmentedColormap.from_list("dermsim_injury",
                                             [(*INJURY_RGB, 0.0), (*INJURY_RGB, 0.6)])


def change_norm(values: Any) -> tuple[str, Any]:
    """Colour map and norm for a change relative to baseline [%]: sequential from 0 when the
    data are (almost: within 5 % of their range) of one sign, diverging around 0 with the
    data's own limits on each side when they really have both signs."""
    import numpy as np
    from matplotlib.colors import Normalize, TwoSlopeNorm

    v = np.asarray(values, dtype=float)
    lo, hi = float(np.nanmin(v)), float(np.nanmax(v))
    span = max(hi - lo, 1e-12)
    if lo >= -0.05 * span:
        return "Blues", Normalize(0.0, hi if hi > 0 else 1.0)
    if hi <= 0.05 * span:
        return "Reds_r", Normalize(lo, 0.0)
    return "RdBu_r", TwoSlopeNorm(0.0, lo, hi)


def extent(ds: Any) -> tuple[float, float, float, float]:
    """imshow extent of the (z, x) grid of ``ds`` in µm (depth increasing downwards)."""
    x, z = ds["x"].values, ds["z"].values
    hx = float(x[1] - x[0]) if x.size > 1 else 1.0
    hz = float(z[1] - z[0]) if z.size > 1 else 1.0
    return (float(x[0] - hx / 2), float(x[-1] + hx / 2), float(z[-1] + hz / 2),
            float(z[0] - hz / 2))
