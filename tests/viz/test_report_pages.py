"""``dermsim report`` of comparison tables and sweep results: self-contained pages with their
sections, decodable images and units; files of no known kind are refused in one line."""

from __future__ import annotations

import base64
import io
import re
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

import dermsim
from dermsim import cli, schema
from dermsim.io import result_kind, write_netcdf
from dermsim.sweep import load_sweep, run_sweep
from dermsim.viz import report_compare, report_sweep


def cheap_run(scenario) -> dict:
    """Analytic stand-in for simulate (a sweep's run function); needle length 777 µm fails."""
    length = scenario.device.needle_length_um
    passes = scenario.device.passes
    if length == 777:
        raise ValueError("boom: unlucky needle")
    return {"effective_depth_um": 0.8 * length,
            "collagen_I_change_pct": 2.0 * passes + length / 100.0,
            "downtime_h": 12.0 * passes + length / 50.0,
            "max_temperature_C": 37.0}


def _images(page: str) -> list[bytes]:
    return [base64.b64decode(b) for b in re.findall(r"data:image/png;base64,([A-Za-z0-9+/=]+)",
                                                     page)]


def _check_page(page: str, sections: tuple[str, ...], min_images: int) -> None:
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    assert not re.search(r"(src|href)=['\"]?(https?:)?//", page), "external resource"
    assert "http://" not in page and "https://" not in page
    for s in sections:
        assert f"id='{s}'" in page, s
    assert "id='disclaimer'" in page and "not medical advice" in page
    imgs = _images(page)
    assert len(imgs) >= min_images
    from PIL import Image

    for b in imgs:
        with Image.open(io.BytesIO(b)) as im:
            im.load()
            assert im.format == "PNG" and im.size[0] > 100 and im.size[1] > 50


# ---- comparison --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def compare_path(tmp_path_factory) -> Path:
    """A comparison table as `dermsim compare` writes it (synthetic values, two scenarios)."""
    pen = {"preset": "pen_12", "needle_length_um": 500.0}
    scen = [dermsim.load_scenario({"name": "short_needles", "device": pen}),
            dermsim.load_scenario({"name": "long_needles", "device": {"preset": "pen_12"},
                                   "protocol": {"sessions": 3}})]
    rng = np.random.default_rng(4)
    table = xr.Dataset(coords={"scenario": ("scenario", [s.name for s in scen])})
    for k in schema.OUTCOME_NAMES:
        rf = k in ("max_temperature_C", "coagulated_fraction")  # not simulated: NaN
        vals = np.full(2, np.nan) if rf else rng.uniform(1, 50, 2)
        table[k] = ("scenario", vals, schema.attrs(k))
    table["compared_day"] = ("scenario", np.array([140.0, 168.0]), {"units": "day"})
    table.attrs.update({"compared_at": "56 days after each scenario's last session (the "
                                       "shortest follow-up)",
                        "dermsim_version": dermsim.__version__,
                        "configs_toml": report_compare.CONFIG_SEPARATOR.join(
                            s.to_toml() for s in scen)})
    path = write_netcdf(table, tmp_path_factory.mktemp("cmp") / "compare.nc")
    assert result_kind(dermsim.open_result(path)) == "compare"
    return path


def test_compare_report_page(compare_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "compare.html"
    assert cli.main(["report", str(compare_path), "-o", str(out), "-q"]) == 0
    page = out.read_text(encoding="utf-8")
    _check_page(page, ("scenarios", "outcomes", "figures", "provenance"), 1)
    assert "short_needles" in page and "long_needles" in page
    assert "56 days after each scenario" in page and "day 140" in page and "day 168" in page
    q = schema.get("effective_depth_um")
    assert q.long_name in page and "µm" in page and "mm³/cm²" in page
    assert "<td>higher</td>" in page and "<td>lower</td>" in page
    assert "pen_12" in page and "cheek" in page
    assert f"dermsim {dermsim.__version__}" in page
    assert "[skin]" in page  # the configurations
    assert "max_temperature_C" not in page  # no scenario simulated RF: left out
    assert "id='fig-comparison'" in page


def test_compare_report_without_comparison_day(compare_path: Path, tmp_path: Path) -> None:
    ds = dermsim.open_result(compare_path).drop_vars("compared_day")
    ds.attrs.pop("compared_at")
    ds.attrs["configs_toml"] = ""
    page = report_compare.build_compare_html(ds)
    _check_page(page, ("scenarios", "outcomes", "figures"), 1)
    assert "end of each scenario's course" in page


# ---- sweeps ------------------------------------------------------------------------------------

FACTORIAL = {
    "name": "needles", "objective": "collagen_I_change_pct",
    "outcomes": ["effective_depth_um", "collagen_I_change_pct", "downtime_h",
                 "max_temperature_C"],
    "parameters": {"device.needle_length_um": [500.0, 777.0, 1500.0],
                   "device.passes": [1, 2, 3]},
    "figures": [{"kind": "lines", "outcome": "downtime_h", "x": "device.passes",
                 "hue": "device.needle_length_um"}],
}


@pytest.fixture(scope="module")
def factorial_path(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("sweep")
    run_sweep(load_sweep(FACTORIAL), folder, backend="serial", run_fn=cheap_run, progress=False)
    return folder / "needles.nc"


def test_sweep_report_page(factorial_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "sweep.html"
    assert cli.main(["report", str(factorial_path), "-o", str(out), "-q"]) == 0
    page = out.read_text(encoding="utf-8")
    _check_page(page, ("spec", "parameters", "outcomes", "ranking", "figures", "failed"), 1)
    assert "device.needle_length_um" in page and "device.passes" in page
    assert "500 – 1500" in page  # the parameter's range
    assert "µm" in page and "<td>h</td>" in page
    # summary: effective depth 0.8 * {500, 1500} over the successful runs
    assert "<td class='num'>400</td>" in page and "<td class='num'>1200</td>" in page
    # ranking by the objective, highest collagen first: 1500 µm, 3 passes
    rank = page[page.index("id='ranking'"):page.index("id='figures'")]
    assert "collagen_I_change_pct" in rank and "highest first" in rank
    first = re.search(r"<tr><td>1</td>(.*?)</tr>", rank).group(1)
    assert "1500" in first and ">3<" in first
    # the spec's figure (lines of downtime), not the default heatmap
    assert "against passes" in page or "against device.passes" in page
    failed = page[page.index("id='failed'"):]
    assert "boom: unlucky needle" in failed and "3 of 9 runs" in failed


def test_sweep_report_without_objective_says_so(factorial_path: Path) -> None:
    ds = dermsim.open_result(factorial_path)
    ds.attrs["sweep_spec_toml"] = ds.attrs["sweep_spec_toml"].replace(
        'objective = "collagen_I_change_pct"', "")
    page = report_sweep.build_sweep_html(ds)
    assert "No ranking: the sweep spec declares no" in page
    assert "id='fig-sweep-1'" in page  # the default heatmap of the two parameters


def test_sweep_report_constant_objective_gives_no_ranking(factorial_path: Path) -> None:
    ds = dermsim.open_result(factorial_path)
    ds.attrs["sweep_spec_toml"] = ds.attrs["sweep_spec_toml"].replace(
        '"collagen_I_change_pct"\n', '"max:max_temperature_C"\n', 1)
    if "max:rf_peak" not in ds.attrs["sweep_spec_toml"]:
        ds.attrs["sweep_spec_toml"] += '\nobjective = "max:max_temperature_C"\n'
    page = report_sweep.build_sweep_html(ds)
    rank = page[page.index("id='ranking'"):page.index("id='figures'")]
    assert "in every successful run" in rank


def test_morris_sweep_report_has_sensitivity_bars(tmp_path: Path) -> None:
    pytest.importorskip("SALib")
    spec = load_sweep({"name": "screen", "outcomes": ["effective_depth_um", "downtime_h"],
                       "parameters": {"device.needle_length_um": {"low": 300, "high": 1500},
                                      "device.passes": [1, 2, 3, 4]},
                       "design": {"kind": "morris", "n": 4}})
    ds = run_sweep(spec, tmp_path, backend="serial", run_fn=cheap_run, progress=False)
    assert "run" in ds.dims
    page = report_sweep.build_sweep_html(ds, tmp_path / "screen.nc")
    _check_page(page, ("spec", "parameters", "figures", "failed"), 1)
    assert "sensitivity indices (morris)" in page
    assert "Every run succeeded." in page


# ---- refusals ----------------------------------------------------------------------------------


@pytest.mark.parametrize("content", [b"not a netcdf file\n", b"\x89HDF\r\n\x1a\ngarbage"])
def test_garbage_file_refused_in_one_line(tmp_path: Path, capsys, content: bytes) -> None:
    bad = tmp_path / "garbage.nc"
    bad.write_bytes(content)
    rc = cli.main(["report", str(bad)])
    err = capsys.readouterr().err.strip()
    assert rc != 0 and "\n" not in err and "Traceback" not in err
    assert "dermsim report needs a result written by" in err
    assert not (tmp_path / "garbage.html").exists()


def test_dermsim_file_of_no_known_kind_refused_in_one_line(tmp_path: Path, capsys) -> None:
    ds = xr.Dataset({"a": ("q", np.arange(3.0))}, attrs={"dermsim_version": "0"})
    path = write_netcdf(ds, tmp_path / "other.nc")
    rc = cli.main(["report", str(path)])
    err = capsys.readouterr().err.strip()
    assert rc != 0 and "\n" not in err and "not a dermsim run result" in err
    assert "`dermsim compare`" in err and "`dermsim sweep`" in err
