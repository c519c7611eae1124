"""The forward model of the calibration: observation operators and which observations the
chosen parameters inform."""

from __future__ import annotations

import numpy as np

from dermsim.calibration.likelihood import ForwardModel, LogPosterior, informative
from dermsim.calibration.priors import priors_for
from dermsim.calibration.registry import observation


def test_depth_observations_need_penetration_parameters() -> None:
    obs = observation("kalluri2011_depth")
    assert not informative(obs, ["remodelling.synthesis_fold_max"])
    assert informative(obs, ["penetration.eta_quasistatic"])
    assert not informative(observation("lotfi2013_epidermis"), ["penetration.eta_impact"])


def test_effective_depth_operator_follows_the_card() -> None:
    """A roller's depth scales with the quasi-static insertion efficiency (penetration-only
    forward run), and the likelihood prefers the value that fits Kalluri 2011."""
    obs = [observation("kalluri2011_depth")]
    fm = ForwardModel(obs)
    shallow = fm.predict({"penetration.eta_quasistatic": 0.15})[0]
    deep = fm.predict({"penetration.eta_quasistatic": 0.4})[0]
    assert 0 < shallow < deep
    lp = LogPosterior(priors_for(["penetration.eta_quasistatic"]), fm)
    near = lp([np.log(0.25)])
    far = lp([np.log(0.6)])
    assert np.isfinite(near) and near > far


def test_shipped_posterior_band_is_not_degenerate(tmp_path, small_scenario_dict) -> None:
    import tomli_w
    import xarray as xr

    from dermsim.cli import main

    sc = {**small_scenario_dict, "grid": {"h_um": 50.0, "width_um": 1500.0}}
    cfg = tmp_path / "small.toml"
    cfg.write_text(tomli_w.dumps(sc))
    assert main(["run", str(cfg), "--ensemble", "6", "--no-figure", "-q",
                 "-o", str(tmp_path)]) == 0
    q = xr.load_dataset(tmp_path / "small_ensemble.nc")["collagen_I_change_pct"].values
    assert q[0] < q[1] < q[2] and q[2] - q[0] > 0.05 * abs(q[1])


def test_ensemble_in_processes_equals_serial(small_scenario_dict) -> None:
    import dermsim
    from dermsim.calibration.ensemble import run_ensemble
    from dermsim.calibration.posterior import draw_members, open_posterior

    sc = dermsim.load_scenario({**small_scenario_dict,
                                "grid": {"h_um": 50.0, "width_um": 1500.0}})
    members = draw_members(open_posterior(), 4)
    serial = run_ensemble(sc, members)
    pooled = run_ensemble(sc, members, workers=2)
    for name in ("collagen_I_change_pct", "collagen_I_change", "dermis_collagen_I_change",
                 "member_downtime_h"):
        np.testing.assert_array_equal(serial[name].values, pooled[name].values)
