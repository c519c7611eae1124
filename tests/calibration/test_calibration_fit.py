"""``dermsim fit``: the data format, and recovery of known parameters from synthetic data."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from dermsim.calibration.fit import parse_data
from dermsim.cli import main
from dermsim.errors import DermsimError

pytest.importorskip("emcee")

HEADER = "output,value,sd,unit,time_day,layer,operator\n"


@pytest.mark.parametrize("row, message", [
    ("collagen_I_change_x,1,1,%,30,dermis,value_at", "not a dermsim result variable"),
    ("collagen_total_rel_change,1,0,%,30,dermis,value_at", "sd > 0"),
    ("collagen_total_rel_change,1,1,%,,dermis,value_at", "needs time_day"),
    ("collagen_total_rel_change,1,1,%,30,epidermis,value_at", "layer"),
    ("collagen_total_rel_change,1,1,%,30,dermis,magic", "cannot be fitted"),
    ("collagen_total_rel_change,abc,1,%,30,dermis,value_at", "not a number"),
])
def test_bad_rows_are_one_line_errors(row: str, message: str) -> None:
    with pytest.raises(DermsimError, match=message) as err:
        parse_data(HEADER + row)
    assert "\n" not in str(err.value) and "line 2" in str(err.value)


def test_format_defaults_and_comments() -> None:
    obs = parse_data("# my study\n" + HEADER + "downtime_h,30,6,h,,,\n"
                     "collagen_total_rel_change,20,4,%,60,papillary,\n")
    assert [o.operator for o in obs] == ["downtime_h", "value_at"]
    assert obs[1].layer == "papillary" and obs[1].time_day == 60


@pytest.mark.slow
def test_fit_recovers_known_parameter(tmp_path: Path, small_scenario_dict: dict) -> None:
    """Synthetic data from synthesis_fold_max = 2.8 (card value 2.0): the fitted 5–95 %
    interval contains the truth and excludes the card value."""
    import tomli_w

    from dermsim.calibration.likelihood import ForwardModel
    from dermsim.config import load_scenario

    sc = {**small_scenario_dict, "protocol": {"sessions": 1, "follow_up_days": 60.0},
          "grid": {"h_um": 50.0, "width_um": 1500.0}}
    cfg = tmp_path / "sc.toml"
    cfg.write_text(tomli_w.dumps(sc))
    truth = 2.8
    template = parse_data(HEADER + "collagen_total_rel_change,1,1,%,30,dermis,\n"
                          "collagen_total_rel_change,1,1,%,60,dermis,\n")
    model = ForwardModel(template, scenario_table=load_scenario(cfg).to_dict()).predict(
        {"remodelling.synthesis_fold_max": truth})
    data = tmp_path / "data.csv"
    data.write_text(HEADER + "".join(f"collagen_total_rel_change,{m:.4f},{0.03 * m:.4f},%,"
                                     f"{t},dermis,\n" for m, t in zip(model, (30, 60))))
    out = tmp_path / "fit.nc"
    rc = main(["fit", str(data), "--scenario", str(cfg), "--param",
               "remodelling.synthesis_fold_max", "--walkers", "4", "--steps", "30",
               "--burn", "10", "--predictive", "2", "-q", "-o", str(out)])
    assert rc == 0
    post = xr.load_dataset(out)
    lo, hi = np.quantile(post["value"].values[:, 0], [0.05, 0.95])
    assert lo <= truth <= hi and not lo <= 2.0 <= hi
    assert out.with_suffix(".png").exists()
    # the fitted posterior is accepted by run --posterior
    rc = main(["run", str(cfg), "--posterior", str(out), "--ensemble", "2", "--no-figure",
               "-q", "-o", str(tmp_path)])
    assert rc == 0 and (tmp_path / "small_ensemble.nc").exists()
