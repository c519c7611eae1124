"""Topical products: none by default; intact skin as lipid + pore + follicular routes; a finite
film; delivery enhancement bounded, grid- and step-converged, and ordered as published."""

from __future__ import annotations

import dataclasses
import itertools
import math

import numpy as np
import pytest

from dermsim import signalling as sg
from dermsim.errors import ConfigError
from dermsim.tissue import SITE_THICKNESS_UM
from dermsim.topical import (
    FOLLICLE_AREA_FRACTION,
    TOPICAL_PRODUCTS,
    follicle_kp_cm_h,
    intact_pathways,
    pore_kp_cm_h,
    potts_guy_kp_cm_h,
    renkin_hindrance,
    stokes_radius_nm,
)

#: Grid spacings of the convergence study [µm]: coarse, default, fine.
GRIDS_UM = (20.0, 10.0, 5.0)
#: Largest relative spread of the whole-skin enhancement over the grids (measured <= 0.5 %).
GRID_TOL = 0.02

SMALL = ("minoxidil_5pct", "niacinamide_5pct", "ascorbic_acid_10pct")
LARGE = ("palmitoyl_pentapeptide", "hyaluronic_acid_fragments", "prp")


def _session(table: dict) -> tuple:
    from dermsim import pipeline
    from dermsim.config import load_scenario

    sc = load_scenario(table)
    grid, devices = pipeline.build_grid(sc)
    st = pipeline.run_penetration(sc, grid, devices)[0]
    return grid, st.injury, sg.session_inputs(grid, st.injury, st.result)


def _narrow(h: float = 20.0, **device: float) -> dict:
    return {"grid": {"width_um": 1000, "h_um": h},
            "device": {"preset": "pen_12", **device}}


@pytest.fixture(scope="module")
def sessions() -> dict:
    """The default session (pen, 1.5 mm, cheek) on a narrow slice at three grid spacings."""
    return {h: _session(_narrow(h)) for h in GRIDS_UM}


def _run(session: tuple, name: str, **cards: float):
    grid, inj, kw = session
    cfg = sg.SignallingConfig(window_day=cards.pop("window_day", 1.0), topical_product=name,
                              **cards)
    return sg.run_acute_window(grid, inj, cfg=cfg, snapshot_times_h=(), species=(), **kw)


def _check_bounded(ds, label: str) -> float:
    """Whole-skin and per-layer ratios finite and within 1-1000 (all layers resolved)."""
    ratio = ds["topical_delivery_ratio"].values
    assert np.all(np.isfinite(ratio)), (label, ratio)
    assert np.all((ratio >= 1.0) & (ratio <= 1000.0)), (label, ratio)
    e = float(ds["topical_enhancement"])
    assert math.isfinite(e) and 1.0 <= e <= 1000.0, (label, e)
    return e


def test_potts_guy_correlation() -> None:
    """log kp = -2.7 + 0.71 log Kow - 0.0061 MW (Potts & Guy 1992): lipophilic small molecules
    cross the lipids fastest; macromolecules have no lipid route."""
    assert potts_guy_kp_cm_h(0.0, 0.0) == pytest.approx(10**-2.7)
    assert math.log10(potts_guy_kp_cm_h(209.25, 1.24)) == pytest.approx(
        -2.7 + 0.71 * 1.24 - 0.0061 * 209.25)
    assert potts_guy_kp_cm_h(300.0, 1.0) < potts_guy_kp_cm_h(200.0, 1.0)
    assert potts_guy_kp_cm_h(200.0, 2.0) > potts_guy_kp_cm_h(200.0, 1.0)
    for p in TOPICAL_PRODUCTS.values():
        if p.log_kow is not None:
            assert p.kp_intact_cm_h == pytest.approx(potts_guy_kp_cm_h(p.mw_da, p.log_kow))
        else:
            assert p.kp_intact_cm_h == 0.0 and p.mw_da > 750
        assert p.source and p.concentration_ng_ml > 0


def test_pore_and_follicle_routes() -> None:
    """Renkin hindrance 1 -> 0 as the solute fills the pore; a protein is too large for the
    1.5-2.5 nm pores but crosses by the follicles; the routes add up and scale as stated."""
    assert renkin_hindrance(0.0) == 1.0 and renkin_hindrance(1.0) == 0.0
    lam = np.linspace(0, 1, 21)
    h = [renkin_hindrance(x) for x in lam]
    assert all(b < a for a, b in itertools.pairwise(h))
    # Stokes-Einstein: water-like small solute ~0.5 nm, a 25 kDa growth factor ~3 nm
    assert 0.3 < stokes_radius_nm(600.0) < 0.6
    assert 2.5 < stokes_radius_nm(100.0) < 3.5
    assert pore_kp_cm_h(100.0, 2e-6, 2.0, 15.0) == 0.0
    assert pore_kp_cm_h(600.0, 4e-6, 2.0, 15.0) == pytest.approx(
        2 * pore_kp_cm_h(600.0, 2e-6, 2.0, 15.0))
    assert pore_kp_cm_h(600.0, 2e-6, 2.0, 30.0) == pytest.approx(
        0.5 * pore_kp_cm_h(600.0, 2e-6, 2.0, 15.0))
    assert follicle_kp_cm_h(100.0, 0.01, 0.01, 75.0) == pytest.approx(
        0.01 * 0.01 * 100e-8 / 75e-4 * 3600)
    assert set(SITE_THICKNESS_UM) <= set(FOLLICLE_AREA_FRACTION)
    # follicles dominate for macromolecules; blocking them closes intact skin to a protein
    grid = _session(_narrow(20.0))[0]
    prp = sg.SignallingConfig(topical_product="prp")
    from dermsim.topical import with_product

    pw = intact_pathways(grid, with_product(prp))
    assert pw.lipid == 0.0 and pw.pore == 0.0 and pw.follicle > 0
    assert pw.total == pytest.approx(pw.lipid + pw.pore + pw.follicle)
    blocked = intact_pathways(grid, with_product(dataclasses.replace(
        prp, topical_follicle_scale=0.0)))
    assert blocked.total == 0.0
    # a small hydrophilic solute crosses more by the pores and follicles than by the lipids
    asc = intact_pathways(grid, with_product(sg.SignallingConfig(
        topical_product="ascorbic_acid_10pct")))
    assert asc.pore + asc.follicle > asc.lipid > 0


def test_no_topical_product_unless_the_scenario_names_one(sessions: dict) -> None:
    grid, inj, kw = sessions[20.0]
    ds = sg.run_acute_window(grid, inj, cfg=sg.SignallingConfig(window_day=0.2),
                             snapshot_times_h=(), **kw)
    assert not any(str(v).startswith("topical") for v in ds.data_vars)
    assert not any(str(k).startswith("topical") for k in ds.attrs)
    named = _run(sessions[20.0], "minoxidil_5pct", window_day=0.2)
    assert float(named["topical_entered"][-1]) > 0
    with pytest.raises(ConfigError, match="topical_product"):
        sg.SignallingConfig(topical_product="snake_oil").validate()


def test_ratio_bounded_and_grid_converged(sessions: dict) -> None:
    """Every library product on the coarse (20 µm), default (10 µm) and fine (5 µm) grid:
    whole-skin and per-layer ratios finite and within 1-1000x, and the whole-skin enhancement
    independent of the grid within GRID_TOL."""
    enh: dict[str, list[float]] = {}
    for (h, session), name in itertools.product(sessions.items(), TOPICAL_PRODUCTS):
        ds = _run(session, name)
        enh.setdefault(name, []).append(_check_bounded(ds, f"{name} h={h}"))
    for name, values in enh.items():
        assert max(values) / min(values) - 1.0 < GRID_TOL, (name, values)


def test_ratio_bounded_on_the_default_scenario_grid() -> None:
    """The default scenario grid (4 mm wide, h = 10 µm) over the default 7-day window."""
    session = _session({})
    for name in TOPICAL_PRODUCTS:
        _check_bounded(_run(session, name, window_day=7.0), name)


def test_time_step_converged(sessions: dict) -> None:
    """The finite film is solved with each step: 8x more steps change the ratio < 1 %."""
    for name in ("minoxidil_5pct", "prp"):
        a = float(_run(sessions[10.0], name)["topical_enhancement"])
        b = float(_run(sessions[10.0], name, steps_per_closure_half_life=1000.0)
                  ["topical_enhancement"])
        assert abs(a / b - 1.0) < 0.01, (name, a, b)


def test_finite_dose_limits_channel_delivery(sessions: dict) -> None:
    """Channels cannot deliver more than the film holds; an infinite dose inflates the channel
    route, and the dose is not a no-op."""
    ds = _run(sessions[20.0], "ascorbic_acid_10pct")
    applied = ds.attrs["topical_applied_ng_cm2"]
    assert applied == pytest.approx(1e8 * 5e-3)
    net = float(ds["topical_entered"][-1]) - float(ds["topical_remaining"][0])
    assert net <= applied * (1 + 1e-9)
    assert float(ds["topical_remaining"].max()) <= applied * (1 + 1e-9)
    e = float(ds["topical_enhancement"])
    infinite = _run(sessions[20.0], "ascorbic_acid_10pct", topical_dose_ul_cm2=0.0)
    assert "topical_applied_ng_cm2" not in infinite.attrs
    assert float(infinite["topical_enhancement"]) > 2 * e
    more = _run(sessions[20.0], "ascorbic_acid_10pct", topical_dose_ul_cm2=10.0)
    assert float(more["topical_enhancement"]) > 1.2 * e


def test_ratio_rises_with_needle_length_and_density() -> None:
    """More and deeper channels (more channel surface and volume) deliver more of the film."""
    for name in ("ascorbic_acid_10pct", "prp"):
        by_length = [float(_run(_session(_narrow(needle_length_um=L)), name)
                           ["topical_enhancement"]) for L in (250.0, 500.0, 1500.0)]
        assert all(b > a for a, b in itertools.pairwise(by_length)), (name, by_length)
        by_passes = [float(_run(_session(_narrow(passes=p)), name)["topical_enhancement"])
                     for p in (1, 3, 6)]
        assert all(b > a for a, b in itertools.pairwise(by_passes)), (name, by_passes)


def test_large_and_hydrophilic_molecules_gain_most(sessions: dict) -> None:
    """Microneedles help large and hydrophilic molecules most: every macromolecule/peptide
    gains more than every small molecule, and hydrophilic ascorbic acid more than lipophilic
    minoxidil; a site with fewer follicles (abdomen) gains more for a protein."""
    enh = {name: float(_run(sessions[20.0], name)["topical_enhancement"])
           for name in TOPICAL_PRODUCTS}
    assert min(enh[n] for n in LARGE) > max(enh[n] for n in SMALL), enh
    assert enh["ascorbic_acid_10pct"] > enh["niacinamide_5pct"] > enh["minoxidil_5pct"], enh
    abdomen = _session({**_narrow(20.0), "skin": {"site": "abdomen"}})
    assert float(_run(abdomen, "prp")["topical_enhancement"]) > 2 * enh["prp"]
    half = float(_run(sessions[20.0], "prp", topical_follicle_scale=0.5)["topical_enhancement"])
    assert half == pytest.approx(2 * enh["prp"], rel=0.1)
