"""Necrosis of the viable epidermis around RF pins (drive of the re-epithelialisation time)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from dermsim.thermal import epidermal_necrosis

H = 10e-6  # m
NX, NZ = 300, 8


def fields(burns: list[tuple[int, int]], pins: list[int]):
    """Omega >= 1 in the viable epidermis (rows 1-3) over columns [a, b); pins (2 columns
    wide) through rows 1-7."""
    omega = np.zeros((NZ, NX))
    epi = np.zeros((NZ, NX), dtype=bool)
    epi[1:4] = True
    for a, b in burns:
        omega[1:4, a:b] = 5.0
    tissue = np.ones((NZ, NX), dtype=bool)
    for p in pins:
        tissue[1:, p:p + 2] = False
        omega[1:, p:p + 2] = 50.0  # the electrode itself is no tissue and does not count
    return omega, epi, tissue


def test_no_burn_no_necrosis():
    om, epi, tis = fields([], [100])
    om[om < 10] = 0.9
    out = epidermal_necrosis(om, epi, tis, H, 1.5e-3)
    assert out == {"epidermal_necrosis": 0.0, "epidermal_lesion_um": 0.0}


def test_burn_around_one_pin_is_a_disc_including_the_pin():
    om, epi, tis = fields([(90, 100), (102, 112)], [100])
    out = epidermal_necrosis(om, epi, tis, H, 1.5e-3)
    w = 22 * H
    assert out["epidermal_lesion_um"] == pytest.approx(w * 1e6)
    assert out["epidermal_necrosis"] == pytest.approx(math.pi * w**2 / 4 / (NX * H * 1.5e-3))


def test_burn_merged_along_the_row_closes_across_one_pin_width():
    om, epi, tis = fields([(40, 100), (102, 160), (162, 200)], [100, 160])
    out = epidermal_necrosis(om, epi, tis, H, 1.5e-3)
    assert out["epidermal_lesion_um"] == pytest.approx(160 * H / 2 * 1e6)
    # a burn that wraps round the periodic edge is one zone
    om, epi, tis = fields([(280, 300), (0, 20)], [])
    assert epidermal_necrosis(om, epi, tis, H, 1.5e-3)["epidermal_lesion_um"] == \
        pytest.approx(40 * H * 1e6)
