"""The cross-section figure on a narrow grid: the slice-vs-surface note covers no legend."""

from __future__ import annotations

import pytest

import dermsim
from dermsim.viz.result import plot_cross_section


@pytest.mark.parametrize("width_um", [1500.0, 4000.0])
def test_slice_note_overlaps_no_legend(width_um: float) -> None:
    import matplotlib.pyplot as plt

    ds = dermsim.simulate(dermsim.load_scenario({
        "name": "narrow", "seed": 1, "device": {"preset": "pen_12", "needle_length_um": 1000.0},
        "protocol": {"sessions": 1, "follow_up_days": 5.0},
        "grid": {"h_um": 40.0, "width_um": width_um}}))
    fig = plot_cross_section(ds, 1)
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    ax = fig.axes[0]
    notes = [t for t in ax.texts if "this slice cuts every channel" in t.get_text()]
    assert len(notes) == 1
    note = notes[0].get_window_extent(renderer)
    patch = notes[0].get_bbox_patch()
    if patch is not None:
        note = patch.get_window_extent(renderer)
    legends = [ax.get_legend(), *fig.legends]
    assert len([lg for lg in legends if lg is not None]) == 2
    for lg in legends:
        assert not note.overlaps(lg.get_window_extent(renderer)), "note covers a legend"
    assert not note.overlaps(ax.get_window_extent(renderer)), "note covers the section"
    # inside the figure
    fb = fig.bbox
    assert note.x0 >= fb.x0 - 1 and note.y0 >= fb.y0 - 1
    plt.close(fig)
