"""Cross-sections drawn straight from the stage outputs: a :class:`~dermsim.tissue.Grid`, an
injury field and a penetration result (for stage-by-stage work, e.g. the notebooks), in the
package style and at true aspect ratio (1 µm across = 1 µm down).

For a result Dataset of :func:`dermsim.simulate` use
:func:`dermsim.viz.plot_cross_section`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from dermsim import schema
from dermsim.viz import style

if TYPE_CHECKING:  # pragma: no cover
    from dermsim.penetration import PenetrationResult
    from dermsim.tissue import Grid

__all__ = ["plot_injury_section"]

#: Colour of the RF coagulation zone (dark cyan: visible on every layer colour).
COAGULATION = "#00838f"


@style.styled
def plot_injury_section(grid: Grid, injury: np.ndarray | None = None,
                        penetration: PenetrationResult | None = None, ax: Any = None,
                        z_max_um: float | None = None, coagulated: np.ndarray | None = None,
                        title: str | None = None, legend: bool = True) -> Any:
    """The layers of ``grid`` with the injured tissue drawn translucent over them.

    Parameters
    ----------
    grid
        The finite-volume grid (its layer index per cell).
    injury
        (nz, nx) injury field 0–1 (:func:`dermsim.penetration.injury_field`), or None.
    penetration
        The :class:`~dermsim.penetration.PenetrationResult` of the slice: adds the needle
        tips, the nominal needle length and the mean effective depth.
    ax
        Axes to draw into (default: a new figure).
    z_max_um
        Deepest depth shown [µm] (default: 600 µm below the deeper of the nominal needle
        length and the bottom of the reticular dermis, or the whole grid).
    coagulated
        (nz, nx) boolean RF coagulation zone (Ω ≥ 1), drawn dark cyan.
    title
        Axes title.
    legend
        Add the layer legend (outside the axes) and the legend of the lines.

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt

    width_um, depth_um = grid.width * 1e6, grid.depth * 1e6
    deepest = float(grid.interfaces_m[4] * 1e6)
    if penetration is not None:
        deepest = max(deepest, float(penetration.nominal_length_um))
    z_show = min(depth_um, z_max_um if z_max_um is not None else deepest + 600.0)
    if ax is None:  # size the figure to the section's true aspect ratio, plus the legend
        height = 4.8
        panel = min(10.0, height * width_um / z_show)
        _, ax = plt.subplots(figsize=(panel + (2.6 if legend else 0.8), height),
                             layout="constrained")
    ext = (0.0, width_um, depth_um, 0.0)
    ax.imshow(grid.layer, cmap=style.layer_cmap(), vmin=-0.5, vmax=4.5, extent=ext,
              aspect="equal", interpolation="nearest")
    for top in grid.interfaces_m[1:-1] * 1e6:
        ax.axhline(top, color="k", lw=0.4, alpha=0.4)
    if injury is not None:
        ax.imshow(style.injury_rgba(injury), extent=ext, aspect="equal",
                  interpolation="nearest")
    x_um, z_um = grid.x * 1e6, grid.z * 1e6
    if coagulated is not None and np.any(coagulated):
        coag = np.asarray(coagulated, dtype=float)
        ax.contourf(x_um, z_um, coag, levels=[0.5, 1.5], colors=[COAGULATION], alpha=0.35)
        ax.contour(x_um, z_um, coag, levels=[0.5], colors=[COAGULATION], linewidths=1.2)
        ax.fill_between([], [], color=COAGULATION, alpha=0.5, label="RF coagulation (Ω ≥ 1)")
    if penetration is not None:
        nominal = float(penetration.nominal_length_um)
        ax.axhline(nominal, color=style.COLLAGEN_I, ls="--", lw=1.2,
                   label=f"nominal needle length {nominal:.0f} µm")
        ax.axhline(penetration.mean_effective_depth_um, color="#b2182b", lw=1.2,
                   label=f"mean effective depth {penetration.mean_effective_depth_um:.0f} µm")
        ax.plot(penetration.positions_um, penetration.depths_um, "v", color="#c0392b", ms=4,
                label="needle tips")
    ax.set_xlim(0.0, width_um)
    ax.set_ylim(z_show, 0.0)
    ax.set_xlabel(schema.label("x"))
    ax.set_ylabel(schema.label("z"))
    if title:
        ax.set_title(title)
    if legend:
        ax.figure.legend(handles=style.layer_handles(grid.layer_names), loc="outside right upper",
                         title="layers", title_fontsize=7, fontsize=7)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(loc="lower right", fontsize=7, frameon=True, framealpha=0.9)
    return ax.figure
