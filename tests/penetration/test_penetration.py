"""Penetration: effective depth against published anchors (Kalluri 2011, Donnelly 2010,
Sasaki 2019), injury rasterisation."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dermsim.devices import DEVICE_PRESETS, make_device
from dermsim.penetration import (
    PenetrationConfig,
    effective_depth_um,
    injury_field,
    insertion_threshold_N,
    penetrate,
    slice_layout,
)
from dermsim.tissue import make_grid, site_stack

CFG = PenetrationConfig()


def _pen(length):
    return make_device({"preset": "pen_12", "needle_length_um": length})


@settings(max_examples=80, deadline=None)
@given(st.floats(50, 5000), st.floats(50, 5000), st.floats(0.001, 3.0))
def test_effective_depth_monotone_and_never_exceeds_nominal(l1, l2, v):
    d1, d2 = effective_depth_um(l1, v, CFG), effective_depth_um(l2, v, CFG)
    assert 0.0 <= d1 <= l1 and 0.0 <= d2 <= l2
    if l1 <= l2:
        assert d1 <= d2 + 1e-9


def test_per_needle_depths_never_exceed_nominal():
    res = penetrate(_pen(1500), site_stack("cheek"), CFG, np.random.default_rng(3))
    assert (res.depths_um <= 1500.0).all() and (res.depths_um > 0).all()


def test_anchor_quasistatic_roller_770um():
    """V7a: a hand-rolled 770 µm needle reaches ≈150 µm (Kalluri 2011), ±30 %."""
    roller = make_device({"preset": "dermaroller_mf8", "needle_length_um": 770.0})
    d = float(effective_depth_um(770.0, roller.insertion_velocity_m_s(), CFG))
    assert abs(d - 150.0) / 150.0 <= 0.30, d


def test_anchor_impact_600um():
    """V7b: impact insertion of 600 µm reaches ≈460 µm (Donnelly 2010), ±30 %."""
    d = float(effective_depth_um(600.0, _pen(600).insertion_velocity_m_s(), CFG))
    assert abs(d - 460.0) / 460.0 <= 0.30, d


def test_anchor_pen_1500um_facial():
    """V7c: a 1.5 mm pen/MN-RF needle in facial skin reaches 1.3-1.5 mm (Sasaki 2019), ±30 %."""
    for preset in ("pen_12", "rf_insulated_49"):
        dev = make_device({"preset": preset, "needle_length_um": 1500.0})
        d = float(effective_depth_um(1500.0, dev.insertion_velocity_m_s(), CFG))
        assert 1300 * 0.7 <= d <= 1500 * 1.3, (preset, d)


def test_short_needle_stays_superficial_on_cheek():
    res = penetrate(_pen(250), site_stack("cheek"), CFG, np.random.default_rng(0))
    stack = site_stack("cheek")
    assert res.deepest_layer in ("viable_epidermis", "papillary_dermis")
    assert res.mean_effective_depth_um < stack.interfaces_um[3]  # above the reticular dermis
    assert (res.depths_um < stack.interfaces_um[3] + 50.0).all()


@pytest.mark.parametrize("length", [1500.0, 2000.0])
def test_long_pen_needles_reach_reticular_dermis(length):
    res = penetrate(_pen(length), site_stack("cheek"), CFG, np.random.default_rng(0))
    assert "reticular_dermis" in res.layers_reached
    assert res.bleeding


def test_roller_reaches_smaller_fraction_than_pen():
    roller = make_device({"preset": "dermaroller_mf8", "needle_length_um": 1500.0})
    stack = site_stack("cheek")
    r = penetrate(roller, stack, CFG, np.random.default_rng(0))
    p = penetrate(_pen(1500), stack, CFG, np.random.default_rng(0))
    assert r.efficiency < 0.5 < p.efficiency
    assert r.mean_effective_depth_um < p.mean_effective_depth_um


def test_insertion_threshold_blocks_blunt_weak_needles():
    blunt = make_device({"preset": "stamp_35", "tip_radius_um": 80.0, "hand_force_N": 1.0})
    assert insertion_threshold_N(blunt, CFG) > blunt.force_per_needle_N()
    res = penetrate(blunt, site_stack("cheek"), CFG, np.random.default_rng(0))
    assert not res.pierces and res.mean_effective_depth_um == 0.0 and not res.bleeding
    sharp = make_device({"preset": "stamp_35"})
    assert 0.02 <= insertion_threshold_N(sharp, CFG) <= 0.04  # Olatunji/Donnelly 0.02-0.03 N


def test_bleeding_only_when_capillaries_reached():
    stack = site_stack("cheek")
    shallow = penetrate(_pen(100), stack, CFG, np.random.default_rng(0))
    deep = penetrate(_pen(1000), stack, CFG, np.random.default_rng(0))
    assert shallow.bleeding_fraction < 0.05 and not shallow.bleeding
    assert deep.bleeding_fraction == 1.0


@settings(max_examples=40, deadline=None)
@given(st.floats(1.0, 2e4), st.floats(500, 8000), st.sampled_from([5.0, 10.0, 20.0]))
def test_slice_spacing_matches_areal_density(density, width, h):
    """A square lattice of density n has spacing 1/√n; the slice keeps it within half a cell
    rounding and at least two needles."""
    n, nx, a = slice_layout(density, width, h)
    lattice = 1e4 / math.sqrt(density)
    assert n >= 2
    assert n * a == pytest.approx(nx * h)
    assert abs(a - lattice) <= h / n + 1e-9


def test_surface_fraction_from_density():
    res = penetrate(_pen(1000), site_stack("cheek"), CFG, np.random.default_rng(0))
    r0 = 0.5 * 250.0 * CFG.channel_radius_ratio
    expected = 1 - math.exp(-res.density_per_cm2 * 1e-8 * math.pi * r0**2)
    assert res.surface_fraction_punctured == pytest.approx(expected)


def test_injury_rasterisation_converges():
    """The injured area changes ≤ 2 % between 10 µm and 5 µm grids."""
    stack = site_stack("cheek")
    dev = _pen(1200)
    res = penetrate(dev, stack, CFG, np.random.default_rng(11), width_um=2000.0, h_um=10.0)
    width = res.slice_nx * 10.0
    areas = {}
    for h in (10.0, 5.0):
        grid = make_grid(stack, h_um=h, width_um=width)
        inj = injury_field(grid, res, dev, CFG)
        assert inj.min() >= 0.0 and inj.max() <= 1.0
        areas[h] = inj.sum() * h * h
    assert abs(areas[10.0] - areas[5.0]) / areas[5.0] <= 0.02


def test_injury_matches_channel_geometry():
    """Injured area in the slice ≈ Σ (channel width + rim) over depth, analytic for a
    cylinder-plus-cone channel."""
    stack = site_stack("cheek")
    dev = make_device({"preset": "pen_12", "needle_length_um": 800.0, "tip_length_um": 10.0})
    cfg = PenetrationConfig(depth_cv=0.0, rim_um=0.0, lateral_jitter=0.0)
    res = penetrate(dev, stack, cfg, np.random.default_rng(0), width_um=2000.0, h_um=5.0)
    grid = make_grid(stack, h_um=5.0, width_um=res.slice_nx * 5.0)
    inj = injury_field(grid, res, dev, cfg)
    d = res.mean_effective_depth_um
    r = 0.5 * dev.needle_diameter_um * cfg.channel_radius_ratio
    expected = len(res.positions_um) * 2 * r * d
    assert inj.sum() * 25.0 == pytest.approx(expected, rel=0.02)


def test_seeded_and_reproducible():
    a = penetrate(_pen(1000), site_stack("cheek"), CFG, np.random.default_rng(5))
    b = penetrate(_pen(1000), site_stack("cheek"), CFG, np.random.default_rng(5))
    c = penetrate(_pen(1000), site_stack("cheek"), CFG, np.random.default_rng(6))
    assert np.array_equal(a.depths_um, b.depths_um)
    assert not np.array_equal(a.depths_um, c.depths_um)


@pytest.mark.parametrize("preset", sorted(DEVICE_PRESETS))
def test_every_preset_penetrates_cheek(preset):
    dev = make_device({"preset": preset})
    res = penetrate(dev, site_stack("cheek"), CFG, np.random.default_rng(0))
    assert res.pierces
    assert res.density_per_cm2 > 0
    assert res.epidermal_injury_mm3_per_cm2 > 0


def test_device_kinematics_match_science_examples():
    mf8 = make_device({"preset": "dermaroller_mf8"})
    assert mf8.punctures_per_cm2_per_pass() == pytest.approx(15.3, abs=0.1)
    pen = make_device({"kind": "pen", "needles": 12, "stroke_frequency_hz": 100,
                       "hand_speed_mm_s": 20, "tip_width_mm": 5})
    assert pen.punctures_per_cm2_per_pass() == pytest.approx(1200.0)
