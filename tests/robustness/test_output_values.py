"""Outputs: concentrations and cell densities are never negative, the topical delivery ratio
is never infinite, and the output checks write nothing."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import xarray as xr
from catalogue import with_

from dermsim import load_scenario, simulate
from dermsim.errors import OutputError
from dermsim.io import check_file_name, check_output_dir, check_output_file
from dermsim.pipeline import NONNEGATIVE_UNITS, NONNEGATIVE_VARS, guard_outputs

ROOT = Path(__file__).resolve().parents[2]


def _nonnegative_vars(ds: xr.Dataset) -> list[str]:
    return [str(k) for k, v in ds.data_vars.items() if v.dtype.kind == "f" and (
        k in NONNEGATIVE_VARS or v.attrs.get("units") in NONNEGATIVE_UNITS)]


def _assert_guarded(ds: xr.Dataset) -> None:
    names = _nonnegative_vars(ds)
    assert {"tgfb_active", "neutrophils", "macrophages", "gf_band"} <= set(names)
    for name in names:
        low = np.nanmin(ds[name].values)
        assert low >= 0.0, f"{name} has {low}"
    if "topical_delivery_ratio" in ds:
        assert not np.isinf(ds["topical_delivery_ratio"].values).any()


@pytest.mark.slow
def test_baseline_outputs_are_nonnegative() -> None:
    _assert_guarded(simulate(load_scenario(ROOT / "configs" / "baseline.toml")))


def test_small_outputs_are_nonnegative_and_topical_ratio_finite() -> None:
    # a coarse grid with a topical product: intact skin delivers nothing to the deep layers
    d = with_("signalling", {"topical_concentration_ng_ml": 1000.0},
              with_("grid.h_um", 25.0))
    ds = simulate(load_scenario(d))
    _assert_guarded(ds)
    assert "topical_delivery_ratio" in ds


def test_guard_clips_undershoot_and_keeps_attrs() -> None:
    ds = xr.Dataset({
        "tgfb_active": ("t", np.array([1.0, -1e-12, 0.5]), {"units": "ng/mL"}),
        "collagen_I_rel_change": ("t", np.array([0.1, -0.2, 0.0]), {"units": "1"}),
        "topical_delivery_ratio": ("l", np.array([2.0, np.inf]), {"units": "1"}),
    })
    out = guard_outputs(ds)
    assert out["tgfb_active"].values.tolist() == [1.0, 0.0, 0.5]
    assert out["tgfb_active"].attrs["units"] == "ng/mL"
    # relative changes may be negative: untouched
    assert out["collagen_I_rel_change"].values[1] == -0.2
    assert np.isnan(out["topical_delivery_ratio"].values[1])
    with pytest.warns(RuntimeWarning, match="neutrophils"):
        guard_outputs(xr.Dataset({"neutrophils": ("t", np.array([10.0, -1.0]),
                                                  {"units": "cells/mm^3"})}))


def test_output_checks_write_nothing(tmp_path: Path) -> None:
    (tmp_path / "f").write_text("x")
    before = sorted(tmp_path.rglob("*"))
    assert check_output_dir(tmp_path / "new" / "deeper") == tmp_path / "new" / "deeper"
    assert check_output_file(tmp_path / "new" / "r.html").name == "r.html"
    for bad in (tmp_path / "f", tmp_path / "f" / "sub", "/sys/x", f"{tmp_path}/a\0b",
                tmp_path / ("L" * 300)):
        with pytest.raises(OutputError):
            check_output_dir(bad)
    with pytest.raises(OutputError, match="folder"):
        check_output_file(tmp_path)
    for name in ("../escaped", "", ".hidden", "a/b", "x" * 201, "a\nb"):
        with pytest.raises(OutputError, match="inside the output folder"):
            check_file_name(name, "--name")
    assert sorted(tmp_path.rglob("*")) == before
