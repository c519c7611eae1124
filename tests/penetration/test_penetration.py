"""Penetration: effective depth against published anchors (Kalluri 2011, Donnelly 2010,
Sasaki 2019), injury rasterisation."""

from __future__ import annotations

import itertools
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
    # most tips end in the papillary dermis; the deepest drawn tip may just enter the reticular
    assert res.layer_reach_fraction["papillary_dermis"] == 1.0
    assert res.layer_reach_fraction["reticular_dermis"] < 0.5
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


def test_device_kinematics_match_published_examples():
    mf8 = make_device({"preset": "dermaroller_mf8"})
    assert mf8.punctures_per_cm2_per_pass() == pytest.approx(15.3, abs=0.1)
    pen = make_device({"kind": "pen", "needles": 12, "stroke_frequency_hz": 100,
                       "hand_speed_mm_s": 20, "tip_width_mm": 5})
    assert pen.punctures_per_cm2_per_pass() == pytest.approx(1200.0)


def _passes(n, length=1000.0, site="cheek", seed=1):
    dev = make_device({"preset": "pen_12", "needle_length_um": length, "passes": n})
    return dev, penetrate(dev, site_stack(site), CFG, np.random.default_rng(seed))


def test_injured_fraction_never_exceeds_one_and_saturates_with_passes():
    """Overlapping channels: the injured volume is the expected union of randomly placed
    channels, so the injured fraction stays <= 1 at every depth and the dermal injured volume
    saturates towards the dermis the needles span (pen_12, 1 mm, 1-50 passes)."""
    stack = site_stack("cheek")
    top = stack.interfaces_um[2]  # dermo-epidermal junction
    vols, fracs = [], []
    for n in (1, 3, 10, 30, 50):
        _, res = _passes(n)
        assert res.injured_fraction.max() <= 1.0
        assert res.injured_fraction.min() >= 0.0
        deepest = float(res.profile_depth_um[-1])
        dermis_above = (min(deepest, stack.dermis_bottom_um) - top) * 0.1  # mm³/cm²
        vols.append(res.dermal_injury_mm3_per_cm2)
        fracs.append(vols[-1] / dermis_above)
        # each layer: injured volume <= layer volume (thickness x 1 cm²)
        for i, name in enumerate(("stratum_corneum", "viable_epidermis", "papillary_dermis",
                                  "reticular_dermis")):
            thick = stack.interfaces_um[i + 1] - stack.interfaces_um[i]
            assert res.injured_volume_mm3_per_cm2[name] <= thick * 0.1 * (1 + 1e-9)
    assert all(f <= 1.0 for f in fracs)
    assert all(b > a for a, b in itertools.pairwise(vols))  # more passes, more injury
    per_pass = np.diff(vols) / np.diff([1, 3, 10, 30, 50])
    assert all(b < a for a, b in itertools.pairwise(per_pass))  # diminishing returns
    assert vols[-1] < 0.2 * 50 * vols[0]  # far below linear growth
    assert fracs[-1] > 0.8  # nearly all of the spanned dermis injured at 50 passes


def test_small_doses_unchanged_to_first_order():
    """Where channels rarely overlap (coverage n a << 1) the union equals the summed channel
    volume to first order: 1 - exp(-x) = x (1 - x/2 + ...)."""
    dev = make_device({"preset": "stamp_35", "passes": 1})
    res = penetrate(dev, site_stack("cheek"), CFG, np.random.default_rng(0))
    x = float(res.channel_coverage.max())
    assert 0 < x < 0.05
    total = sum(res.injured_volume_mm3_per_cm2.values())
    assert total == pytest.approx(res.channel_volume_mm3_per_cm2, rel=0.6 * x)
    assert total < res.channel_volume_mm3_per_cm2


def test_overlap_correction_of_the_slice_rows():
    """(1 - exp(-x)) / x per row: 1 without injury, 1 - x/2 for small x, 1/x when saturated."""
    from dermsim.signalling import overlap_correction

    inj = np.zeros((4, 10))
    inj[1, :1] = 1.0  # row mean 0.1
    inj[2, :] = 1.0
    c = overlap_correction(inj, 0.1)
    assert c[0] == 1.0 and c[3] == 1.0
    assert c[1] == pytest.approx(1 - 0.01 / 2, rel=1e-4)
    c = overlap_correction(inj, 50.0)
    assert c[2] == pytest.approx(1 / 50.0)
    assert np.all((c > 0) & (c <= 1))


def test_slice_injury_passed_on_is_the_3d_injured_fraction():
    """The injury the later stages receive (slice rows x volume scale x overlap correction)
    stays <= 1 without clipping, also at 50 passes, and matches the 3-D injured volume."""
    from dermsim.signalling import session_inputs

    stack = site_stack("cheek")
    for n in (3, 50):
        dev, res = _passes(n)
        grid = make_grid(stack, h_um=10.0, width_um=res.slice_nx * 10.0, depth_um=1500.0)
        inj = injury_field(grid, res, dev, CFG)
        kw = session_inputs(grid, inj, res)
        rows = kw["volume_scale"] * kw["overlap_correction"] * inj.mean(axis=1)
        assert rows.max() <= 1.0 + 1e-9, (n, rows.max())
        vol = rows.sum() * 10.0 * 0.1  # mm³/cm²
        assert vol == pytest.approx(sum(res.injured_volume_mm3_per_cm2.values()), rel=0.15)


def test_one_efficiency_in_every_output():
    """efficiency == effective depth / nominal length in the result, its summary and the
    pipeline's penetration outputs (the buried fraction before the tenting offset is kept
    apart as ``buried_fraction``)."""
    from dermsim import pipeline
    from dermsim.config import load_scenario

    res = penetrate(_pen(1000), site_stack("cheek"), CFG, np.random.default_rng(0))
    assert res.efficiency == pytest.approx(res.mean_effective_depth_um / 1000.0, rel=1e-12)
    assert res.buried_fraction * 1000.0 - CFG.tenting_offset_um == pytest.approx(
        res.mean_effective_depth_um)
    s = res.summary()
    assert s["efficiency"] == pytest.approx(s["effective_depth_um"] / s["nominal_length_um"],
                                            abs=1e-3)
    sc = load_scenario({"grid": {"width_um": 500, "h_um": 20.0},
                        "protocol": {"sessions": 1}})
    grid, devices = pipeline.build_grid(sc)
    ds = pipeline.penetration_dataset(pipeline.run_penetration(sc, grid, devices), grid)
    np.testing.assert_allclose(ds["efficiency"], ds["effective_depth"] / ds["nominal_length"],
                               rtol=1e-12)


def test_layer_reach_follows_the_drawn_tips():
    """Deepest layer and per-layer reach are fractions of the drawn needles: a 700 µm pen on
    eyelid skin (dermis ends at 650 µm) has a mean depth in the reticular dermis but some tips
    in the hypodermis, and the result says so."""
    stack = site_stack("periorbital")
    res = penetrate(_pen(700), stack, CFG, np.random.default_rng(2), width_um=4000.0)
    tips = res.depths_um
    assert res.mean_effective_depth_um < stack.dermis_bottom_um < tips.max()
    assert res.deepest_layer == "hypodermis"
    frac = res.layer_reach_fraction
    for i, name in enumerate(("stratum_corneum", "viable_epidermis", "papillary_dermis",
                              "reticular_dermis", "hypodermis")):
        assert frac[name] == pytest.approx(np.mean(tips > stack.interfaces_um[i]))
    assert 0.0 < frac["hypodermis"] < 0.5 and frac["reticular_dermis"] == 1.0
    assert res.layers_reached == [n for n, f in frac.items() if f > 0]
    assert res.summary()["layer_reach_fraction"]["hypodermis"] == round(frac["hypodermis"], 3)


def test_trunk_epidermis_within_the_published_range():
    """Epidermis 77-267 µm across body sites including back and abdomen (Oltulu 2018)."""
    for site in ("back", "abdomen"):
        t = site_stack(site).thickness_um
        assert 77.0 <= t[1] <= 267.0 and 77.0 <= t[0] + t[1] <= 267.0


def test_bleeding_endpoint_follows_the_site_anatomy():
    """Pinpoint bleeding needs the papillary capillaries: 150 µm pen needles bleed only on thin
    eyelid skin, 500 µm needles everywhere, and longer needles never bleed less."""
    sites = ("cheek", "forehead", "periorbital", "neck", "abdomen", "back")
    for site in sites:
        stack = site_stack(site)
        fr = [penetrate(_pen(L), stack, CFG, np.random.default_rng(0)).bleeding_fraction
              for L in (100.0, 150.0, 250.0, 500.0, 1000.0)]
        assert all(b >= a for a, b in itertools.pairwise(fr)), (site, fr)
        assert fr[3] == 1.0, site
        assert (fr[1] >= 0.5) == (site == "periorbital"), (site, fr)
        # deeper papillary capillaries on the trunk: the same needle bleeds less there
    cheek = penetrate(_pen(250), site_stack("cheek"), CFG, np.random.default_rng(0))
    back = penetrate(_pen(250), site_stack("back"), CFG, np.random.default_rng(0))
    assert back.bleeding_fraction < cheek.bleeding_fraction
    assert back.bleeding_depth_um > cheek.bleeding_depth_um
