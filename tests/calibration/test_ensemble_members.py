"""Posterior ensemble members: the shared-session path gives the same result as a plain run
of the member's scenario; quantiles ignore NaNs like numpy's; members run on the sweep
backends."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import dermsim
from dermsim.calibration.ensemble import member_summary, quantiles, run_ensemble, run_members
from dermsim.pipeline import shares_sessions

MEMBER = {"remodelling.synthesis_fold_max": 3.1, "remodelling.collagen_half_life_y": 12.0,
          "remodelling.erythema_mediator_half_life_h": 6.0}


@pytest.fixture(scope="module")
def scenario():
    return dermsim.load_scenario({
        "name": "small", "seed": 7, "skin": {"site": "cheek"},
        "device": {"preset": "pen_12", "needle_length_um": 1000.0, "passes": 2},
        "protocol": {"sessions": 2, "interval_days": 14.0, "follow_up_days": 30.0},
        "grid": {"h_um": 50.0, "width_um": 1500.0}})


def _plain(sc, member):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return member_summary(dermsim.simulate(dermsim.with_overrides(sc, member)))


def test_member_equals_plain_run(scenario) -> None:
    """A member that shares the session stages is the plain run of its scenario."""
    assert shares_sessions(scenario, dermsim.with_overrides(scenario, MEMBER))
    nominal, member = run_members(scenario.to_dict(), [{}, MEMBER])
    ref = _plain(scenario, MEMBER)
    assert set(member["courses"]) == set(ref["courses"])
    for name, (_dims, values, _attrs) in ref["courses"].items():
        np.testing.assert_allclose(member["courses"][name][1], values, rtol=1e-6, atol=1e-9,
                                   err_msg=name)
    for key, v in ref["outcomes"].items():
        assert member["outcomes"][key] == pytest.approx(v, rel=1e-6, nan_ok=True), key
    # and the parameters matter: the member is not the nominal run
    assert member["outcomes"]["collagen_I_change_pct"] != \
        pytest.approx(nominal["outcomes"]["collagen_I_change_pct"], rel=1e-3)


def test_member_outside_remodelling_is_a_plain_run(scenario) -> None:
    other = {"penetration.eta_quasistatic": 0.3}
    assert not shares_sessions(scenario, dermsim.with_overrides(scenario, other))
    (member,) = run_members(scenario.to_dict(), [other])
    ref = _plain(scenario, other)
    assert member["outcomes"]["effective_depth_um"] == ref["outcomes"]["effective_depth_um"]


def test_quantiles_match_numpy_with_nans() -> None:
    rng = np.random.default_rng(1)
    a = rng.normal(size=(17, 5, 4))
    a[rng.random(a.shape) < 0.2] = np.nan
    a[:, 0, 0] = np.nan  # a column without any value
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        ref = np.nanquantile(a, [0.05, 0.5, 0.95], axis=0)
    np.testing.assert_allclose(quantiles(a), ref, equal_nan=True)
    b = rng.normal(size=(9, 3))
    np.testing.assert_allclose(quantiles(b), np.quantile(b, [0.05, 0.5, 0.95], axis=0))


def test_ensemble_on_dask_equals_serial(scenario) -> None:
    pytest.importorskip("distributed")
    members = [MEMBER, {"remodelling.synthesis_fold_max": 2.0}, {}]
    serial = run_ensemble(scenario, members)
    dask = run_ensemble(scenario, members, workers=2, dask="local")
    assert dask.attrs["backend"] == "dask" and serial.attrs["backend"] == "serial"
    for name in ("collagen_I_change_pct", "dermis_collagen_I_change", "member_downtime_h"):
        np.testing.assert_array_equal(serial[name].values, dask[name].values)


def test_compare_prints_and_writes_bands(tmp_path, capsys) -> None:
    """``dermsim compare --ensemble N``: outcomes as ``median (5–95 %)``, band variables in
    the table, a scenario's ``[uncertainty] members`` used without the option."""
    import tomli_w
    import xarray as xr

    from dermsim.cli import main

    base = {"name": "small", "seed": 7, "skin": {"site": "cheek"},
            "device": {"preset": "pen_12", "needle_length_um": 1000.0, "passes": 2},
            "protocol": {"sessions": 1, "follow_up_days": 30.0},
            "grid": {"h_um": 50.0, "width_um": 1500.0}}
    a, b = tmp_path / "a.toml", tmp_path / "b.toml"
    a.write_text(tomli_w.dumps(base))
    b.write_text(tomli_w.dumps({**base, "name": "deep", "uncertainty": {"members": 3},
                                "device": {**base["device"], "needle_length_um": 1500.0}}))
    assert main(["compare", str(a), str(b), "--ensemble", "3", "-o", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    line = next(ln for ln in out.splitlines() if ln.strip().startswith("collagen I change, dermis"))
    assert line.count("(") == 2 and line.count("–") == 2
    table = xr.load_dataset(tmp_path / "compare.nc")
    q = table["collagen_I_change_pct_band"].values
    assert q.shape == (2, 3) and np.all(q[:, 0] < q[:, 1]) and np.all(q[:, 1] < q[:, 2])
    assert (tmp_path / "compare.png").exists()
    # without --ensemble: only the scenario with an [uncertainty] table gets a band
    assert main(["compare", str(a), str(b), "--no-figure", "-q", "-o", str(tmp_path),
                 "--name", "table"]) == 0
    q = xr.load_dataset(tmp_path / "table.nc")["collagen_I_change_pct_band"].values
    assert np.all(np.isnan(q[0])) and np.all(np.isfinite(q[1]))


@pytest.mark.parametrize("command", ["run", "compare"])
def test_bad_workers_fail_before_any_run(command: str, capsys) -> None:
    from dermsim.cli import main

    rc = main([command, "baseline", "--ensemble", "4", "--workers", "0"])
    err = capsys.readouterr().err
    assert rc == 2 and "--workers" in err and err.count("\n") == 1


def test_coarse_members_corrected_to_the_fine_resolution(scenario) -> None:
    """Members on 250 µm remodelling columns + (fine - coarse nominal) match members run at
    the scenario's 50 µm columns: collagen outcomes within 0.3 points, far inside the spread
    the parameters cause."""
    members = [MEMBER, {"remodelling.synthesis_fold_max": 1.8,
                        "remodelling.collagen_half_life_y": 25.0}]
    exact = run_ensemble(scenario, members, column_um=None)
    fast = run_ensemble(scenario, members, column_um=250.0)
    assert fast.attrs["member_column_um"] == 250.0
    assert exact.attrs["member_column_um"] == 50.0
    for key in ("collagen_I_change_pct", "collagen_III_change_pct",
                "dermal_thickness_change_pct"):
        a, b = exact[f"member_{key}"].values, fast[f"member_{key}"].values
        assert np.all(np.abs(a - b) <= 0.3), (key, a, b)
        assert abs(a[0] - a[1]) > 10 * np.max(np.abs(a - b)), key
    # non-negative courses stay non-negative after the correction
    assert float(fast["fibroblasts"].min()) >= 0.0
