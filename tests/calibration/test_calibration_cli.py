"""``dermsim calibrate`` end to end at a tiny size, its posterior file, and ``dermsim run
--posterior FILE --ensemble N`` with quantile bands."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from dermsim.cli import main

pytest.importorskip("emcee")

PARAMS = "remodelling.synthesis_fold_max,remodelling.erythema_mediator_half_life_h"


@pytest.fixture(scope="module")
def posterior(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("cal") / "post.nc"
    rc = main(["calibrate", "--param", PARAMS, "--walkers", "4", "--steps", "3",
               "--members", "8", "--predictive", "2", "--h-um", "50", "--width-um", "1500",
               "--workers", "2", "-q", "-o", str(out)])
    assert rc == 0
    return out


def test_calibrate_writes_posterior_and_figures(posterior: Path) -> None:
    post = xr.load_dataset(posterior)
    assert list(post["parameter"].values) == PARAMS.split(",")
    assert post.sizes["member"] == 8 and post["chain"].shape == (3, 4, 2)
    assert {"autocorr_time", "predictive", "observed", "prior_value",
            "registry_predictive"} <= set(post.data_vars)
    assert post.sizes["registry_observation"] >= 25  # every observation the model computes
    lo, hi = post["low"].values, post["high"].values
    assert np.all((post["value"].values >= lo) & (post["value"].values <= hi))
    assert "lotfi2013_collagen" in post["observation"].values
    assert posterior.with_suffix(".png").exists()
    assert (posterior.parent / "post_predictive.png").exists()


def test_calibrate_rejects_too_few_walkers(tmp_path: Path, capsys) -> None:
    rc = main(["calibrate", "--param", PARAMS, "--walkers", "2", "--steps", "3", "-q",
               "-o", str(tmp_path / "p.nc")])
    assert rc == 2 and "--walkers must be at least 4" in capsys.readouterr().err


def test_run_with_posterior_ensemble(posterior: Path, tmp_path: Path, capsys,
                                     small_scenario_dict: dict) -> None:
    import tomli_w

    sc = {**small_scenario_dict, "grid": {"h_um": 50.0, "width_um": 1500.0}}
    cfg = tmp_path / "small.toml"
    cfg.write_text(tomli_w.dumps(sc))
    rc = main(["run", str(cfg), "-o", str(tmp_path), "--no-figure", "--ensemble", "4",
               "--posterior", str(posterior)])
    assert rc == 0
    out = capsys.readouterr().out
    assert "4 posterior members" in out and "%" in out and "(" in out
    ens = xr.load_dataset(tmp_path / "small_ensemble.nc")
    assert list(ens["quantile"].values) == [0.05, 0.5, 0.95]
    q = ens["collagen_I_change_pct"].values
    assert q[0] <= q[1] <= q[2]
    course = ens["collagen_I_change"]
    assert course.dims[0] == "quantile" and "time" in course.dims
    assert ens.sizes["member"] == 4


def test_bad_posterior_file_fails_before_the_run(tmp_path: Path, capsys) -> None:
    bad = tmp_path / "bad.nc"
    xr.Dataset({"x": ("a", [1.0])}).to_netcdf(bad)
    rc = main(["run", "baseline", "--posterior", str(bad), "-o", str(tmp_path)])
    assert rc == 2 and "not a dermsim posterior" in capsys.readouterr().err


def test_shipped_posterior_opens_and_names_cards() -> None:
    from dermsim.calibration.posterior import draw_members, open_posterior
    from dermsim.calibration.priors import card_by_name

    post = open_posterior()
    assert post.sizes["member"] >= 16
    for name in post["parameter"].values:
        card_by_name(str(name))
    members = draw_members(post, 16)
    # MCMC draws can repeat (a rejected move keeps the position): most are distinct
    assert len({tuple(m.values()) for m in members}) >= 12


def test_uncertainty_table_runs_the_ensemble(posterior: Path, tmp_path: Path,
                                             small_scenario_dict: dict) -> None:
    import tomli_w

    sc = {**small_scenario_dict, "grid": {"h_um": 50.0, "width_um": 1500.0},
          "uncertainty": {"members": 3, "posterior": str(posterior)}}
    cfg = tmp_path / "small.toml"
    cfg.write_text(tomli_w.dumps(sc))
    assert main(["run", str(cfg), "-o", str(tmp_path), "--no-figure", "-q"]) == 0
    assert xr.load_dataset(tmp_path / "small_ensemble.nc").sizes["member"] == 3
    sc["uncertainty"]["posterior"] = str(tmp_path / "missing.nc")
    cfg.write_text(tomli_w.dumps(sc))
    assert main(["run", str(cfg), "-o", str(tmp_path / "b"), "-q"]) == 2
    assert not (tmp_path / "b" / "small.nc").exists()
