"""Dermal thickness and density-index read-outs (dermsim.remodelling.clinical)."""

import numpy as np
import pytest
import xarray as xr
from hypothesis import given, settings
from hypothesis import strategies as st

from dermsim.remodelling.clinical import dermal_matrix_courses

C1, C3 = 0.8, 0.15


def _result(d1: float, d3: float, nb: int = 4) -> xr.Dataset:
    """A two-time result whose dermal bands gain d1 / d3 (fractions of the baselines)."""
    r1 = np.array([[0.0] * nb, [d1] * nb])
    r3 = np.array([[0.0] * nb, [d3] * nb])
    return xr.Dataset(
        {"collagen_I_rel_change": (("time", "band"), r1),
         "collagen_III_rel_change": (("time", "band"), r3),
         "band_thickness": ("band", np.full(nb, 50.0))},
        coords={"time": [0.0, 90.0]},
        attrs={"collagen_I_baseline": C1, "collagen_III_baseline": C3})


DERMIS = np.array([False, True, True, True])


def test_no_change_gives_zero():
    out = dermal_matrix_courses(_result(0.0, 0.0), DERMIS, 0.5, 0.5)
    for v in out.values():
        assert np.allclose(v.values, 0.0)


def test_constant_concentration_limit():
    """phi = 1 and r3 = 1: the dermis thickens with its collagen and the density stays."""
    out = dermal_matrix_courses(_result(0.3, 0.3), DERMIS, 1.0, 1.0)
    assert out["dermal_thickness_rel_change"].values[-1] == pytest.approx(0.3)
    assert out["dermal_density_rel_change"].values[-1] == pytest.approx(0.0, abs=1e-12)


def test_interstitial_filling_limit():
    """phi = 0: no thickening; the density index follows the echogenic collagen content."""
    out = dermal_matrix_courses(_result(0.3, 0.6), DERMIS, 0.0, 0.5)
    assert out["dermal_thickness_rel_change"].values[-1] == 0.0
    expect = (0.3 * C1 + 0.5 * 0.6 * C3) / (C1 + 0.5 * C3)
    assert out["dermal_density_rel_change"].values[-1] == pytest.approx(expect)


def test_only_dermal_bands_count():
    ds = _result(0.3, 0.3)
    ds["collagen_I_rel_change"][:, 0] = 5.0  # the epidermal band must not count
    out = dermal_matrix_courses(ds, DERMIS, 1.0, 1.0)
    assert out["dermal_thickness_rel_change"].values[-1] == pytest.approx(0.3)


def test_bad_mask_refused():
    with pytest.raises(ValueError, match="dermis"):
        dermal_matrix_courses(_result(0.1, 0.1), np.zeros(4, bool), 0.5, 0.5)


@settings(max_examples=60, deadline=None)
@given(d1=st.floats(-0.5, 2.0), d3=st.floats(-0.5, 2.0), phi=st.floats(0.0, 1.0),
       r3=st.floats(0.0, 1.0))
def test_thickness_linear_in_phi_and_density_between_limits(d1, d3, phi, r3):
    """Thickness scales with phi; a collagen gain raises the density index by at most the
    gain of the echogenic collagen (phi = 0) and by at least what is left at phi = 1."""
    ds = _result(d1, d3)
    a = dermal_matrix_courses(ds, DERMIS, phi, r3)
    full = dermal_matrix_courses(ds, DERMIS, 1.0, r3)
    assert float(a["dermal_thickness_rel_change"][-1]) == pytest.approx(
        phi * float(full["dermal_thickness_rel_change"][-1]), abs=1e-12)
    zero = dermal_matrix_courses(ds, DERMIS, 0.0, r3)
    lo, hi = sorted([float(zero["dermal_density_rel_change"][-1]),
                     float(full["dermal_density_rel_change"][-1])])
    assert lo - 1e-12 <= float(a["dermal_density_rel_change"][-1]) <= hi + 1e-12


def test_pipeline_reports_thickness_and_density(tmp_path):
    """A run carries the time courses and the two outcomes; a deeper course raises both,
    doubling the volume fraction doubles the thickness change."""
    import dermsim
    from dermsim.metrics import scalar_outcomes

    base = {"grid": {"h_um": 20.0, "width_um": 1500.0},
            "device": {"preset": "pen_12", "needle_length_um": 1000.0},
            "protocol": {"sessions": 1, "follow_up_days": 90.0}}
    ds = dermsim.simulate(dermsim.load_scenario(base))
    assert ds["dermal_thickness_rel_change"].dims == ("time",)
    o = scalar_outcomes(ds)
    assert o["dermal_thickness_change_pct"] > 0 and o["dermal_density_change_pct"] > 0
    ds2 = dermsim.simulate(dermsim.load_scenario(
        {**base, "remodelling": {"dermal_matrix_volume_fraction": 1.0}}))
    o2 = scalar_outcomes(ds2)
    assert o2["dermal_thickness_change_pct"] == pytest.approx(
        2 * o["dermal_thickness_change_pct"], rel=1e-6)
    assert o2["dermal_density_change_pct"] < o["dermal_density_change_pct"]
