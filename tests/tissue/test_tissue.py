"""Layer stacks, body sites and the finite-volume grid."""

from __future__ import annotations

import numpy as np
import pytest

from dermsim.errors import ConfigError
from dermsim.tissue import (
    HYPODERMIS,
    LAYER_NAMES,
    PAPILLARY,
    SITE_THICKNESS_UM,
    face_coefficients,
    make_grid,
    site_stack,
)


@pytest.mark.parametrize("site", ["cheek", "forehead", "periorbital", "neck", "abdomen", "back"])
def test_site_presets_exist_and_default_grid_reaches_hypodermis(site):
    stack = site_stack(site)
    grid = make_grid(stack)
    assert grid.depth * 1e6 > stack.dermis_bottom_um  # into the hypodermis
    assert (grid.layer[-1] == HYPODERMIS).all()
    assert grid.layer[0, 0] == 0
    if site in ("cheek", "forehead", "periorbital", "neck"):
        # ≥ 3 mm on the face, unless the whole stack is thinner (forehead, eyelid)
        assert grid.depth * 1e6 >= min(3000.0, stack.total_um) - grid.h * 1e6


def test_layer_rows_match_interfaces():
    stack = site_stack("cheek")
    grid = make_grid(stack, h_um=5.0)
    z_um = grid.z * 1e6
    for i in range(len(LAYER_NAMES)):
        top, bottom = stack.interfaces_um[i], stack.interfaces_um[i + 1]
        rows = (z_um > top) & (z_um < bottom)
        assert (grid.layer[rows] == i).all()


def test_property_fields_follow_layers():
    grid = make_grid(site_stack("cheek"))
    k = grid.property_field("k")
    assert k.shape == (grid.nz, grid.nx)
    assert k[grid.layer == PAPILLARY].min() == pytest.approx(0.37)
    sigma = grid.property_field("sigma")
    # dermis conducts far better than the stratum corneum and fat at 1 MHz (Gabriel 1996)
    assert sigma[grid.layer == 3].max() > 5 * sigma[grid.layer == HYPODERMIS].max()
    assert sigma[grid.layer == 0].max() < 0.02
    with pytest.raises(KeyError):
        grid.property_field("colour")


def test_face_coefficients_are_harmonic_and_flux_continuous():
    cell = np.array([[1.0, 3.0], [2.0, 2.0], [0.0, 5.0]])
    fx, fz = face_coefficients(cell)
    assert fx[0, 0] == pytest.approx(2 * 1 * 3 / 4)
    assert fx[0, 1] == pytest.approx(2 * 3 * 1 / 4)  # periodic wrap
    assert fz.shape == (4, 2)
    assert (fz[0] == 0).all() and (fz[-1] == 0).all()
    assert fz[1, 0] == pytest.approx(2 * 1 * 2 / 3)
    assert fz[2, 0] == 0.0  # a zero-conductivity cell blocks the face
    # two half-cells in series: the flux through the face equals the exact series flux
    k1, k2, h = 0.2, 0.45, 1e-5
    _, fz2 = face_coefficients(np.array([[k1], [k2]]))
    series = 1.0 / (h / 2 / k1 + h / 2 / k2)
    assert fz2[1, 0] / h == pytest.approx(series)


def test_custom_stack_and_errors():
    s = site_stack("cheek", {"reticular_dermis": 1200.0})
    assert s.thickness_um[3] == 1200.0
    with pytest.raises(ConfigError, match="did you mean"):
        site_stack("cheek", {"reticular": 1.0})
    with pytest.raises(ConfigError, match="skin.site"):
        site_stack("elbow")
    assert set(SITE_THICKNESS_UM) >= {"cheek", "forehead", "periorbital", "neck", "abdomen",
                                       "back"}


def test_band_weights_average_rows():
    grid = make_grid(site_stack("cheek"), h_um=10.0)
    edges = grid.band_edges(50.0)
    assert edges[0] == pytest.approx(75.0)
    assert edges[-1] == pytest.approx(975.0)
    w = grid.band_weights(edges)
    assert np.allclose(w.sum(axis=1), 1.0)
    profile = grid.z * 1e6  # band mean of z = band midpoint
    mids = 0.5 * (edges[:-1] + edges[1:])
    assert np.allclose(w @ profile, mids, atol=1e-9)
