"""Topical products: none by default, Potts–Guy intact-skin permeability, finite enhancement."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from dermsim import signalling as sg
from dermsim.errors import ConfigError
from dermsim.topical import TOPICAL_PRODUCTS, potts_guy_kp_cm_h


@pytest.fixture(scope="module")
def sessions() -> dict:
    """The default session (pen, 1 mm, cheek) on a narrow slice at three grid spacings."""
    from dermsim import pipeline
    from dermsim.config import load_scenario

    out = {}
    for h in (10.0, 20.0, 40.0):
        sc = load_scenario({"grid": {"width_um": 1000, "h_um": h}})
        grid, devices = pipeline.build_grid(sc)
        st = pipeline.run_penetration(sc, grid, devices)[0]
        out[h] = (grid, st.injury, sg.session_inputs(grid, st.injury, st.result))
    return out


def test_potts_guy_correlation() -> None:
    """log kp = -2.7 + 0.71 log Kow - 0.0061 MW (Potts & Guy 1992): lipophilic small molecules
    cross intact skin fastest."""
    assert potts_guy_kp_cm_h(0.0, 0.0) == pytest.approx(10**-2.7)
    assert math.log10(potts_guy_kp_cm_h(209.25, 1.24)) == pytest.approx(
        -2.7 + 0.71 * 1.24 - 0.0061 * 209.25)
    assert potts_guy_kp_cm_h(300.0, 1.0) < potts_guy_kp_cm_h(200.0, 1.0)
    assert potts_guy_kp_cm_h(200.0, 2.0) > potts_guy_kp_cm_h(200.0, 1.0)
    for p in TOPICAL_PRODUCTS.values():
        if p.log_kow is not None:
            assert p.kp_intact_cm_h == pytest.approx(potts_guy_kp_cm_h(p.mw_da, p.log_kow))
        assert p.source and p.concentration_ng_ml > 0


def test_no_topical_product_unless_the_scenario_names_one(sessions: dict) -> None:
    grid, inj, kw = sessions[20.0]
    ds = sg.run_acute_window(grid, inj, cfg=sg.SignallingConfig(window_day=0.2),
                             snapshot_times_h=(), **kw)
    assert not any(str(v).startswith("topical") for v in ds.data_vars)
    named = sg.run_acute_window(grid, inj, snapshot_times_h=(), species=(), **kw,
                                cfg=sg.SignallingConfig(window_day=0.2,
                                                        topical_product="minoxidil_5pct"))
    assert float(named["topical_entered"][-1]) > 0
    with pytest.raises(ConfigError, match="topical_product"):
        sg.SignallingConfig(topical_product="snake_oil").validate()


def test_enhancement_finite_on_every_grid_and_ordered_by_permeability(sessions: dict) -> None:
    """Microneedled over intact-skin exposure: finite and >= 1 for every library product on
    every grid (layers a coarse grid does not resolve are NaN, never inf), independent of the
    grid within 10 %, within 1-1000x for the small lipophilic drugs, and larger the less the
    intact skin lets the product through."""
    enh: dict[str, list[float]] = {}
    for (grid, inj, kw), name in itertools.product(sessions.values(), TOPICAL_PRODUCTS):
        cfg = sg.SignallingConfig(window_day=1.0, topical_product=name)
        ds = sg.run_acute_window(grid, inj, cfg=cfg, snapshot_times_h=(), species=(), **kw)
        ratio = ds["topical_delivery_ratio"].values
        assert not np.any(np.isinf(ratio))
        assert np.all(ratio[~np.isnan(ratio)] >= 1.0)
        assert np.all(np.isfinite(ratio[1:]))  # the viable layers are always resolved
        e = float(ds["topical_enhancement"])
        assert math.isfinite(e) and e >= 1.0
        enh.setdefault(name, []).append(e)
    for name, values in enh.items():
        assert max(values) / min(values) < 1.1, (name, values)
    for name in ("minoxidil_5pct", "niacinamide_5pct"):
        assert 1.0 <= enh[name][0] <= 1000.0, (name, enh[name])
    by_kp = sorted(TOPICAL_PRODUCTS, key=lambda n: TOPICAL_PRODUCTS[n].kp_intact_cm_h)
    mean = [np.mean(enh[n]) for n in by_kp]
    assert all(b < a for a, b in itertools.pairwise(mean)), dict(zip(by_kp, mean))
