"""Figures, the HTML report and animations: everything that draws a result.

Nothing here runs a simulation; every function reads an :class:`xarray.Dataset` written by
:func:`dermsim.simulate` (or a sweep / comparison) and returns or saves a figure.

Modules
-------
result     the figure of ``dermsim run``: cross-section, growth factors, collagen time courses
report     ``dermsim report``: one self-contained HTML page of a result
animate    ``dermsim animate``: GIF/MP4 of growth-factor spread and collagen deposition
signalling growth-factor and topical-product field snapshots with the layer boundaries
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

__all__ = [
    "LAYER_COLOURS",
    "draw_layers",
    "plot_comparison",
    "plot_cross_section",
    "plot_remodelling",
    "plot_result",
    "plot_rf",
    "plot_signalling",
    "scale_bar",
]
