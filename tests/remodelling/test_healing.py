"""Healing of thermal injury: the denatured-matrix pool is cleared and refilled (Hantash 2009:
coagulated zones replaced by new collagen within about 10 weeks), and epidermal burns set a
re-epithelialisation time that bounds the downtime from below."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

import dermsim.remodelling as rm
from dermsim.remodelling.healing import (
    downtime_with_wounds,
    reepithelialisation_h,
)
from dermsim.remodelling.outcomes import thermal_replacement_day
from dermsim.remodelling.state import iC1, iC3, iEl, iG, iV

Z = np.array([300.0, 500.0, 700.0])
CFG = rm.RemodellingConfig()


def run(co: float, cfg: rm.RemodellingConfig | None = None, t_end: float = 200.0):
    d = rm.synthetic_drive(0.0, Z, 1000.0, coagulated_fraction=co)
    return rm.simulate_remodelling(Z, [d], t_end, cfg, band_thickness_um=200.0)


def total_change(ds, day: float) -> float:
    return float(ds["collagen_total_rel_change"].mean("band").interp(time=day))


def test_coagulation_moves_native_matrix_into_the_denatured_pool():
    y0 = rm.baseline_state(3, CFG)
    d = rm.synthetic_drive(0.0, Z, 1000.0, coagulated_fraction=np.array([0.0, 0.2, 0.5]))
    y = rm.apply_session(y0, d, CFG)
    c0 = y0[:, iC1] + y0[:, iC3]
    np.testing.assert_allclose(y[:, iC1] + y[:, iC3], c0 * (1 - d.coagulated_fraction))
    np.testing.assert_allclose(y[:, iV], d.coagulated_fraction)
    np.testing.assert_allclose(y[:, iEl], 1 - d.coagulated_fraction)
    assert np.all(y[:, iG] == 0.0)
    # a second coagulation only denatures what is still native: V + G stays <= 1
    y2 = rm.apply_session(y, d, CFG)
    assert np.all(y2[:, iV] + y2[:, iG] <= 1.0 + 1e-12)
    np.testing.assert_allclose(y2[2, iV], 0.5 + 0.5 * 0.5)


def test_without_coagulation_the_pools_stay_zero():
    ds = run(0.0, t_end=60.0)
    assert float(abs(ds["denatured_matrix"]).max()) == 0.0
    assert float(abs(ds["matrix_defect"]).max()) == 0.0
    assert math.isnan(thermal_replacement_day(ds))


def test_coagulated_matrix_is_replaced_within_weeks_and_beyond_baseline():
    ds = run(0.2)
    assert total_change(ds, 0.0) == pytest.approx(-0.2, abs=1e-3)
    rep = thermal_replacement_day(ds)
    assert 40.0 <= rep <= 120.0, rep  # single band-only session: ~90 d; pipeline ~60-80 d
    defect = (ds["denatured_matrix"] + ds["matrix_defect"]).mean("band")
    assert float(defect.isel(time=-1)) < 0.01 * float(defect.max())
    # the defect is refilled and the wound response adds collagen on top
    assert total_change(ds, 120.0) > total_change(run(0.0), 120.0) > 0.0


def test_collagen_gain_does_not_fall_with_coagulated_fraction():
    for day in (90.0, 180.0):
        gains = [total_change(run(co), day) for co in (0.0, 0.1, 0.2, 0.4)]
        assert all(b >= a for a, b in itertools.pairwise(gains)), (day, gains)


@pytest.mark.parametrize("name", ["denatured_clearance_half_life_day",
                                  "denatured_clearance_by_mmp", "defect_fill_per_day"])
def test_doubling_a_clearance_or_refill_parameter_moves_the_replacement(name):
    base = thermal_replacement_day(run(0.2))
    doubled = thermal_replacement_day(run(0.2, CFG.replace(**{name: 2 * getattr(CFG, name)})))
    slower = name == "denatured_clearance_half_life_day"
    assert (doubled > base * 1.1) if slower else (doubled < base * 0.9), (base, doubled)


def test_refill_restores_the_pre_treatment_composition():
    """Refill alone (no wound stimulus: no debris, no activation) brings each collagen type and
    elastin back to the pre-treatment content; the extra type III of the wound response comes
    from the activated fibroblasts, not from the refill."""
    p = rm.derived_rates(CFG)
    y = rm.baseline_state(1, CFG)
    y[0, iC1] *= 0.7
    y[0, iC3] *= 0.7
    y[0, iEl] *= 0.7
    y[0, iV] = 0.3
    from scipy.integrate import solve_ivp

    from dermsim.remodelling.rhs import rhs_reference
    z = np.zeros(1)
    sol = solve_ivp(lambda t, yy: rhs_reference(yy.reshape(1, -1), z, z, p).ravel(),
                    (0.0, 400.0), y.ravel(), method="LSODA", rtol=1e-8, atol=1e-12)
    end = sol.y[:, -1]
    y0 = rm.baseline_state(1, CFG)[0]
    assert end[iV] + end[iG] < 1e-3
    for i in (iC1, iC3, iEl):
        assert end[i] == pytest.approx(y0[i], rel=2e-3), i


def test_reepithelialisation_of_microscopic_and_wide_burns():
    # microscopic epidermal necrosis of fractional treatments (~100 um) closes within a day
    # (Laubach et al. 2006)
    assert 0.0 < reepithelialisation_h(0.05, 100.0, CFG) <= 24.0
    assert reepithelialisation_h(0.0, 0.0, CFG) == 0.0
    wide = reepithelialisation_h(0.3, 1000.0, CFG)
    assert wide == pytest.approx(CFG.reepithelialisation_lag_h
                                 + 500.0 / CFG.keratinocyte_migration_um_per_h)
    lag2 = CFG.replace(reepithelialisation_lag_h=2 * CFG.reepithelialisation_lag_h)
    fast = CFG.replace(keratinocyte_migration_um_per_h=2 * CFG.keratinocyte_migration_um_per_h)
    assert reepithelialisation_h(0.3, 1000.0, lag2) > wide > reepithelialisation_h(
        0.3, 1000.0, fast)


def test_downtime_is_the_longer_of_erythema_and_reepithelialisation():
    assert downtime_with_wounds(30.0, 0.0) == 30.0
    assert downtime_with_wounds(30.0, 140.0) == 140.0
    assert math.isnan(downtime_with_wounds(float("nan"), 10.0))


def test_burn_of_a_session_reaches_the_downtime_outcome():
    zl = np.array(["papillary", "reticular", "reticular"])
    d = rm.synthetic_drive(0.0, Z, 1000.0, coagulated_fraction=0.1)
    burned = rm.SessionDrive(d.day, d.band_injury, d.band_bleeding, d.gf_time_day,
                             d.gf_band_ng_ml, d.coagulated_fraction, d.heat_shock_fraction,
                             epidermal_necrosis=0.3, epidermal_lesion_um=2000.0)
    out = [rm.summary_outcomes(rm.simulate_remodelling(Z, [x], 30.0, band_thickness_um=200.0),
                               zl) for x in (d, burned)]
    assert out[0]["reepithelialisation_h"] == 0.0
    assert out[1]["reepithelialisation_h"] == pytest.approx(reepithelialisation_h(0.3, 2000.0))
    assert out[1]["downtime_h"] == out[1]["reepithelialisation_h"] > out[0]["downtime_h"]
    with pytest.raises(ValueError):
        rm.SessionDrive(d.day, d.band_injury, d.band_bleeding, d.gf_time_day, d.gf_band_ng_ml,
                        d.coagulated_fraction, d.heat_shock_fraction, epidermal_necrosis=1.5)
