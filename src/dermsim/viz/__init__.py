"""Figures, the HTML report and animations: everything that draws a result.

Nothing here runs a simulation; every function reads an :class:`xarray.Dataset` written by
:func:`dermsim.simulate` (or a sweep / comparison) and returns or saves a figure.

Modules
-------
style           the figure style: fonts, layer colours, session markers, labels from attrs
result          the figures of ``dermsim run`` and ``dermsim compare``
report          ``dermsim report``: one self-contained HTML page of a result
report_figures  the stage figures of the report
animate         ``dermsim animate``: GIF of growth factors and collagen (MP4 with --mp4)
section         cross-sections from the stage outputs (grid, injury field, needles)
signalling      growth-factor and topical-product field snapshots with the layer boundaries
rf              the RF stage's figure: peak-temperature map with the zones, and T(t)
sweep           figures of sweep results: heatmaps, line plots, sensitivity bar charts
validation      figures of the validation cases
explore         ``dermsim explore``: the interactive page (optional extra)
"""

from __future__ import annotations

from dermsim.viz.result import (
    LAYER_COLOURS,
    draw_layers,
    plot_comparison,
    plot_cross_section,
    plot_remodelling,
    plot_result,
    plot_rf,
    plot_signalling,
    scale_bar,
)
from dermsim.viz.section import plot_injury_section

__all__ = [
    "LAYER_COLOURS",
    "draw_layers",
    "plot_comparison",
    "plot_cross_section",
    "plot_injury_section",
    "plot_remodelling",
    "plot_result",
    "plot_rf",
    "plot_signalling",
    "scale_bar",
]
