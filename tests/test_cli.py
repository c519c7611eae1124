"""The command line: run, presets, penetration, and bad input handled without tracebacks."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
import xarray as xr

from dermsim.cli import main


def _run_cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "dermsim.cli", *args], capture_output=True,
                          text=True, cwd=cwd, timeout=600)


def test_help_mentions_disclaimer(capsys):
    with pytest.raises(SystemExit) as info:
        main(["--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    assert "not medical advice" in out
    for cmd in ("run", "presets", "penetration"):
        with pytest.raises(SystemExit):
            main([cmd, "--help"])
        assert "not medical advice" in capsys.readouterr().out


def test_presets_lists_sites_and_devices(capsys):
    assert main(["presets"]) == 0
    out = capsys.readouterr().out
    for word in ("cheek", "forehead", "periorbital", "neck", "abdomen", "back", "pen_12",
                 "dermaroller_mf8", "stamp_35", "rf_insulated_49"):
        assert word in out
    assert main(["presets", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert "cheek" in data["sites"] and "pen_12" in data["devices"]


def test_penetration_json(capsys):
    assert main(["penetration", "--device", "pen_12", "--needle-length-um", "1500",
                 "--site", "cheek", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["nominal_length_um"] == 1500.0
    assert 0 < data["effective_depth_um"] <= 1500.0
    assert "reticular_dermis" in data["layers_reached"]
    assert data["bleeding"] is True


def test_run_writes_netcdf_and_png(tmp_path, small_scenario_dict):
    import tomli_w

    cfg = tmp_path / "small.toml"
    cfg.write_text(tomli_w.dumps(small_scenario_dict))
    out = tmp_path / "out"
    r = _run_cli("run", str(cfg), "-o", str(out))
    assert r.returncode == 0, r.stderr
    assert "effective depth" in r.stdout
    nc, png = out / "small.nc", out / "small.png"
    assert nc.is_file() and png.is_file() and png.stat().st_size > 10_000
    with xr.open_dataset(nc) as ds:
        assert ds["z"].attrs["units"] == "um" and ds["x"].attrs["units"] == "um"
        assert "long_name" in ds["injury"].attrs
        assert "needle_length_um" in ds.attrs["config_toml"]
        assert ds.attrs["dermsim_version"]
        assert int(ds.attrs["seed"]) == 7
    assert not list(out.glob(".*tmp"))  # no temporary files left behind


BAD_INPUTS = [
    ("needle_length_um = -5.0", "device.needle_length_um"),
    ("needle_length_um = 0.0", "device.needle_length_um"),
    ("needle_length_um = 6000.0", "device.needle_length_um"),
    ("needle_length_um = nan", "device.needle_length_um"),
    ('preset = "pen_99"', "device.preset"),
    ("passes = 0", "device.passes"),
    ("needles = 0", "device.needles"),
    ("colour = 3", "device.colour"),
]


@pytest.mark.parametrize(("line", "field"), BAD_INPUTS)
def test_bad_input_one_line_no_traceback_nothing_written(tmp_path, line, field, capsys):
    key = line.split("=")[0].strip()
    body = "[device]\n"
    if key != "preset":
        body += 'preset = "pen_12"\n'
    body += line + "\n"
    cfg = tmp_path / "bad.toml"
    cfg.write_text(body)
    out = tmp_path / "out"
    code = main(["run", str(cfg), "-o", str(out)])
    err = capsys.readouterr().err
    assert code != 0
    assert "Traceback" not in err
    lines = [x for x in err.strip().splitlines() if x]
    assert len(lines) == 1 and field in lines[0], err
    assert not out.exists() or not any(out.iterdir())


def test_missing_file_and_unknown_site(tmp_path, capsys):
    assert main(["run", str(tmp_path / "missing.toml")]) != 0
    assert "not found" in capsys.readouterr().err
    assert main(["penetration", "--device", "pen_12", "--site", "cheeck"]) != 0
    err = capsys.readouterr().err
    assert "did you mean 'cheek'" in err and "Traceback" not in err
    assert main(["penetration", "--device", "pen_12", "--site", "periorbital",
                 "--needle-length-um", "2500"]) != 0
    assert "skin thickness" in capsys.readouterr().err


def test_subprocess_error_exit_code(tmp_path):
    cfg = tmp_path / "bad.toml"
    cfg.write_text('[skin]\nsite = "moon"\n')
    r = _run_cli("run", str(cfg), "-o", str(tmp_path / "o"))
    assert r.returncode == 2
    assert r.stderr.strip().count("\n") == 0 and "skin.site" in r.stderr
    assert not (tmp_path / "o").exists()


def test_compare_rf_vs_mechanical(tmp_path, small_scenario_dict, capsys):
    import tomli_w

    mech = tmp_path / "mech.toml"
    mech.write_text(tomli_w.dumps(small_scenario_dict))
    rf = dict(small_scenario_dict, name="rf",
              device={"preset": "rf_insulated_49", "needle_length_um": 1000.0,
                      "insulated_length_um": 700.0})
    rf_path = tmp_path / "rf.toml"
    rf_path.write_text(tomli_w.dumps(rf))
    out = tmp_path / "cmp"
    assert main(["compare", str(mech), str(rf_path), "-o", str(out), "--name", "c"]) == 0
    text = capsys.readouterr().out
    assert "collagen I change, dermis [%]" in text
    assert "maximum RF tissue temperature [°C]" in text
    with xr.open_dataset(out / "c.nc") as table:
        assert list(table["scenario"].values) == ["small", "rf"]
        assert np.isnan(table["max_temperature_C"].values[0])
        assert table["max_temperature_C"].values[1] > 40.0
    assert (out / "c.png").stat().st_size > 10_000


# ------------------------------------------------------------------------------------------------
# outputs that tell the truth: built-in scenarios, units, common comparison time, CSV
# ------------------------------------------------------------------------------------------------


def test_penetration_passes_matches_run(capsys):
    assert main(["penetration", "--device", "pen_12", "--passes", "2", "--json"]) == 0
    two = json.loads(capsys.readouterr().out)
    assert two["passes"] == 2 and two["punctures_per_cm2"] == 2400.0  # as `dermsim run`
    assert main(["penetration", "--device", "pen_12", "--passes", "3", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["punctures_per_cm2"] == 3600.0
    r = _run_cli("penetration", "--device", "pen_12", "--passes", "0")
    assert r.returncode == 2 and r.stderr.strip().count("\n") == 0
    assert "passes" in r.stderr and "Traceback" not in r.stderr


def test_presets_lists_builtin_scenarios(capsys):
    from dermsim import scenarios

    assert {"baseline", "rf_microneedling", "6x2weeks"} <= set(scenarios.names())
    assert main(["presets"]) == 0
    out = capsys.readouterr().out
    assert "Built-in scenarios" in out and "baseline" in out and "rf_microneedling" in out
    assert main(["presets", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["scenarios"]["baseline"].startswith("Baseline")


def test_builtin_scenarios_by_name_from_any_folder(tmp_path, monkeypatch):
    import dermsim

    monkeypatch.chdir(tmp_path)
    assert dermsim.load_scenario("baseline").name == "baseline"
    assert dermsim.load_scenario("rf_microneedling").is_rf
    r = _run_cli("run", "no_such_scenario", "-o", str(tmp_path / "o"), cwd=tmp_path)
    assert r.returncode == 2 and r.stderr.strip().count("\n") == 0
    assert "built-in scenarios: " in r.stderr and "baseline" in r.stderr
    assert not (tmp_path / "o").exists()


def test_builtin_scenarios_are_the_repository_configs():
    from pathlib import Path

    from dermsim import scenarios

    repo = Path(__file__).resolve().parents[1] / "configs"
    for name in scenarios.names():
        src = next(p for p in (repo / f"{name}.toml", repo / "protocols" / f"{name}.toml")
                   if p.is_file())
        assert scenarios.find(name).read_text() == src.read_text(), name


def test_scenarios_are_package_data():
    import tomllib
    from pathlib import Path

    cfg = tomllib.loads((Path(__file__).resolve().parents[1] / "pyproject.toml").read_text())
    assert "*.toml" in cfg["tool"]["setuptools"]["package-data"]["dermsim.scenarios"]


def test_compare_units_common_time_and_csv(tmp_path, small_scenario_dict, capsys):
    import csv

    import tomli_w

    short = tmp_path / "short.toml"
    short.write_text(tomli_w.dumps(small_scenario_dict))
    long_ = dict(small_scenario_dict, name="long",
                 protocol={"sessions": 2, "interval_days": 14.0, "follow_up_days": 60.0})
    long_path = tmp_path / "long.toml"
    long_path.write_text(tomli_w.dumps(long_))
    out = tmp_path / "cmp"
    assert main(["compare", str(short), str(long_path), "-o", str(out), "--name", "c",
                 "--no-figure", "--csv", str(tmp_path / "c.csv")]) == 0
    text = capsys.readouterr().out
    assert "collagen I change, dermis [%]" in text and "downtime" in text and "[h]" in text
    assert "collagen_I_change_pct" not in text  # labels, not raw keys
    assert "30 days after each scenario's last session" in text
    assert "small: day 30" in text and "long: day 44" in text
    with xr.open_dataset(out / "c.nc") as table:
        assert list(table["compared_day"].values) == [30.0, 44.0]
        assert table["collagen_I_change_pct"].attrs["units"] == "%"
    rows = list(csv.DictReader((tmp_path / "c.csv").open()))
    by = {r["outcome"]: r for r in rows}
    assert by["downtime_h"]["units"] == "h" and by["downtime_h"]["better"] == "lower"
    assert float(by["collagen_I_change_pct"]["long"]) > 0
    assert by["max_temperature_C"]["small"] == ""  # not simulated


def test_run_csv(tmp_path, small_scenario_dict):
    import csv

    import tomli_w

    cfg = tmp_path / "small.toml"
    cfg.write_text(tomli_w.dumps(small_scenario_dict))
    r = _run_cli("run", str(cfg), "-o", str(tmp_path / "o"), "--no-figure", "--csv",
                 str(tmp_path / "o" / "small.csv"))
    assert r.returncode == 0, r.stderr
    assert "[µm]" in r.stdout and "collagen values at" in r.stdout
    rows = list(csv.DictReader((tmp_path / "o" / "small.csv").open()))
    assert rows[0]["outcome"] == "effective_depth_um" and rows[0]["units"] == "um"
    assert 0 < float(rows[0]["small"]) < 1000
    assert (tmp_path / "o" / "small.csv").stat().st_mode & 0o777 == \
        (tmp_path / "o" / "small.nc").stat().st_mode & 0o777


def _readme() -> str:
    from pathlib import Path

    return (Path(__file__).resolve().parents[1] / "README.md").read_text()


def test_readme_python_snippet_runs_from_any_folder(tmp_path, monkeypatch):
    import re

    import dermsim.pipeline

    code = re.search(r"```python\n(.*?)```", _readme(), re.S).group(1)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(dermsim.pipeline, "simulate", lambda scenario: xr.Dataset())
    namespace: dict = {}
    exec(compile(code, "README.md", "exec"), namespace)
    assert namespace["scenario"].name == "baseline"
    assert namespace["deeper"].device.needle_length_um == 1500


def test_dir_lists_lazy_api():
    import dermsim

    names = dir(dermsim)
    for name in ("load_scenario", "simulate", "with_overrides", "open_result", "Scenario"):
        assert name in names
    assert "Any" not in names and "annotations" not in names


def test_readme_says_animate_writes_mp4_only_with_flag():
    text = _readme()
    row = next(line for line in text.splitlines() if line.startswith("| `dermsim animate"))
    assert "--mp4" in row
