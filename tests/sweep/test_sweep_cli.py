"""``dermsim sweep`` as a user meets it: the dry run, the ranking, CSV export, figure labels and
file names, and bad input (one line naming the field, no traceback, nothing written)."""

from __future__ import annotations

import csv
import time
from pathlib import Path

import pytest
import tomli_w
from test_sweep import BASE, cheap_run

from dermsim import cli, schema
from dermsim.errors import DermsimError
from dermsim.sweep import cost, load_sweep, run_sweep
from dermsim.viz import sweep as viz_sweep

CONFIGS = Path(__file__).resolve().parents[2] / "configs"


def _write_spec(tmp_path: Path, body: str, base: dict | None = None) -> Path:
    (tmp_path / "base.toml").write_text(tomli_w.dumps(base or BASE))
    f = tmp_path / "mini.toml"
    f.write_text('base = "base.toml"\n' + body)
    return f


MINI = ('outcomes = ["effective_depth_um", "dermal_injury_mm3_per_cm2", "downtime_h"]\n'
        '{objective}[parameters]\n"device.needle_length_um" = [500, 1000]\n'
        '"skin.site" = ["cheek", "forehead"]\n')


def _one_line_error(capsys, code: int, *needles: str) -> str:
    out = capsys.readouterr()
    lines = out.err.strip().splitlines()
    assert code == 2, out
    assert len(lines) == 1 and lines[0].startswith("dermsim: error:"), out.err
    assert "Traceback" not in out.err
    for n in needles:
        assert n in lines[0], (n, lines[0])
    return lines[0]


# ---- dry run ------------------------------------------------------------------------------

def test_dry_run_simulates_nothing_and_writes_nothing(tmp_path, capsys, monkeypatch):
    import dermsim.pipeline

    def forbidden(*a, **k):
        raise AssertionError("the dry run simulated")

    monkeypatch.setattr(dermsim.pipeline, "simulate", forbidden)
    f = _write_spec(tmp_path, MINI.format(objective=""))
    out = tmp_path / "out"
    assert cli.main(["sweep", str(f), "--dry-run", "-o", str(out), "--workers", "2"]) == 0
    text = capsys.readouterr().out
    assert "4 runs" in text and "to run: 4" in text and "nothing was run" in text
    assert "estimated time" in text and "2 worker processes" in text
    assert not out.exists()


def test_cost_model_grows_with_grid_sessions_and_rf():
    base = load_sweep(CONFIGS / "sweeps" / "needle_passes.toml").tasks()[0].scenario
    from dermsim.config import with_overrides

    f0 = cost.features(base)
    fine = cost.features(with_overrides(base, {"grid.h_um": 10.0}))
    more = cost.features(with_overrides(base, {"protocol.sessions": 8}))
    assert fine["cells"] > 3 * f0["cells"] and more["sessions"] == 2 * f0["sessions"]
    assert cost.run_seconds(fine) > 2 * cost.run_seconds(f0)
    assert cost.run_seconds(more) > 1.5 * cost.run_seconds(f0)
    rf = load_sweep(CONFIGS / "sweeps" / "rf_energy.toml").tasks()
    short, long = cost.features(rf[0].scenario), cost.features(rf[3].scenario)  # 50 vs 400 ms
    assert short["rf_sessions"] == 3 and long["rf_steps"] > short["rf_steps"]
    assert cost.run_seconds(long) > cost.run_seconds(short)
    # longest-first on the least loaded worker; workers start once
    assert cost.sweep_seconds([4.0, 1.0, 1.0, 1.0, 1.0], 2, 0.0) == 4.0
    assert cost.sweep_seconds([1.0] * 4, 8, 1.5) == 2.5


def test_dry_run_calibrates_on_stored_runs(tmp_path, capsys):
    f = _write_spec(tmp_path, MINI.format(objective=""))
    out = tmp_path / "out"
    spec = load_sweep(f)
    small = load_sweep({**{"base": str(tmp_path / "base.toml")},
                        "name": spec.name, "outcomes": list(spec.outcomes),
                        "parameters": {"device.needle_length_um": [500],
                                       "skin.site": ["cheek", "forehead"]}})
    run_sweep(small, out, backend="serial", progress=False)
    assert cli.main(["sweep", str(f), "--dry-run", "-o", str(out), "--serial"]) == 0
    text = capsys.readouterr().out
    assert "stored runs reused: 2; to run: 2" in text
    assert "from 2 stored runs" in text


# ---- ranking, CSV, figures ----------------------------------------------------------------

@pytest.mark.parametrize("objective,expect", [
    ("", "no ranking: the spec declares no objective"),
    ('objective = "min:dermal_injury_mm3_per_cm2"\n',
     "best 2 runs by dermal_injury_mm3_per_cm2 (lowest first)"),
])
def test_ranking_by_declared_objective_and_csv(tmp_path, capsys, objective, expect):
    f = _write_spec(tmp_path, MINI.format(objective=objective))
    out = tmp_path / "out"
    assert cli.main(["sweep", str(f), "--serial", "-o", str(out), "--top", "2", "--csv",
                     "--no-figure"]) == 0
    text = capsys.readouterr().out
    assert expect in text
    rows = list(csv.DictReader((out / "mini.csv").open()))
    assert len(rows) == 4 and rows[0].keys() >= {"needle_length_um", "site",
                                                  "effective_depth_um", "status", "error"}
    assert {r["status"] for r in rows} == {"ok"} and f"wrote {out / 'mini.csv'}" in text
    assert float(rows[0]["effective_depth_um"]) > 0


def test_objective_without_a_better_direction_needs_min_or_max():
    with pytest.raises(DermsimError, match="neither direction is better for effective_depth_um"):
        load_sweep({"base": BASE, "outcomes": ["effective_depth_um"],
                    "objective": "effective_depth_um",
                    "parameters": {"protocol.sessions": [1, 2]}})
    spec = load_sweep({"base": BASE, "outcomes": ["effective_depth_um"],
                       "objective": "max:effective_depth_um",
                       "parameters": {"protocol.sessions": [1, 2]}})
    assert spec.objective == "max:effective_depth_um"


def test_constant_objective_prints_no_ranking(tmp_path):
    spec = load_sweep({"base": BASE, "outcomes": ["bleeding_fraction", "downtime_h"],
                       "objective": "bleeding_fraction",
                       "parameters": {"protocol.sessions": [1, 2, 3]}})
    ds = run_sweep(spec, tmp_path, backend="serial", run_fn=cheap_run, progress=False)
    from dermsim.sweep import top_table

    assert top_table(ds, "bleeding_fraction", 3).startswith(
        "no ranking: bleeding_fraction is 1 in every successful run")


def test_figure_labels_and_file_names(tmp_path):
    spec = load_sweep({"base": BASE, "name": "fig",
                       "outcomes": ["effective_depth_um", "downtime_h"],
                       "parameters": {"device.needle_length_um": [500, 1000],
                                      "skin.site": ["cheek", "neck"]}})
    ds = run_sweep(spec, tmp_path, backend="serial", run_fn=cheap_run, progress=False)
    fig = viz_sweep.plot_heatmap(ds, ["effective_depth_um"], "device.needle_length_um",
                                 "skin.site")
    ax, cbar = fig.axes[0], fig.axes[1]
    assert ax.get_xlabel() == "nominal needle length [µm]"
    assert ax.get_ylabel() == "body site"
    assert ax.get_title() == "mean effective needle depth, first session"
    assert cbar.get_ylabel() == "[µm]"
    fig = viz_sweep.plot_lines(ds, "downtime_h", "needle_length_um", hue="site")
    assert fig.axes[0].get_ylabel().replace("\n", " ") == \
        f"{schema.get('downtime_h').long_name} [h]"
    for a in fig.axes:
        assert "." not in a.get_xlabel() and "degC" not in a.get_ylabel()
    names = [p.name for p in viz_sweep.make_figures(ds, spec, tmp_path)]
    assert names == ["fig_heatmap_site_vs_needle_length_um.png"]


# ---- bad input ----------------------------------------------------------------------------

def test_huge_factorial_is_refused_before_anything_is_built(tmp_path, capsys):
    f = _write_spec(tmp_path, '[parameters]\n'
                              '"device.needle_length_um" = {low = 300, high = 1500, n = 1000}\n'
                              '"protocol.interval_days" = {low = 14, high = 56, n = 1000}\n'
                              '"penetration.depth_cv" = {low = 0.05, high = 0.3, n = 1000}\n')
    t0 = time.perf_counter()
    code = cli.main(["sweep", str(f), "--dry-run"])
    assert time.perf_counter() - t0 < 10
    _one_line_error(capsys, code, "1000 x 1000 x 1000 factorial", "1,000,000,000 runs",
                    "at most 100,000")
    big_n = _write_spec(tmp_path, '[parameters]\n'
                                  '"device.needle_length_um" = {low = 300, high = 1500, '
                                  'n = 1000000000}\n')
    _one_line_error(capsys, cli.main(["sweep", str(big_n), "--dry-run"]),
                    "needle_length_um.n = 1000000000", "allowed a whole number in [2, 100000]")


@pytest.mark.parametrize("content,needles", [
    (b'name = "caf\xe9"\n', ("byte 0xe9 on line 1 (position 11) is not UTF-8 text",)),
    (bytes(range(256)) * 4, ("not UTF-8 text",)),
    (b"\x00\x01\x02binary", ("NUL bytes",)),
    (b"x = " + b"[" * 5000 + b"]" * 5000 + b"\n", ("invalid TOML",)),
    (b'objective = "colagen_I_change_pct"\n[parameters]\n"protocol.sessions" = [1, 2]\n',
     ("objective = 'colagen_I_change_pct'", "did you mean 'collagen_I_change_pct'")),
])
def test_bad_spec_bytes_give_one_line(tmp_path, capsys, content, needles):
    f = tmp_path / "bad.toml"
    f.write_bytes(content)
    out = tmp_path / "out"
    _one_line_error(capsys, cli.main(["sweep", str(f), "-o", str(out)]), *needles)
    assert not out.exists()


@pytest.mark.parametrize("argv,needle", [
    (["--workers", "0"], "--workers 0: allowed >= 1"),
    (["--top", "-1"], "--top -1: allowed >= 0"),
    (["--probe"], "--probe: only with --dry-run"),
    (["--by", "nope"], "--by 'nope': not an outcome"),
])
def test_bad_options_give_one_line(tmp_path, capsys, argv, needle):
    f = _write_spec(tmp_path, MINI.format(objective=""))
    _one_line_error(capsys, cli.main(["sweep", str(f), "-o", str(tmp_path / "o"), *argv]),
                    needle)


def test_spec_path_is_a_folder(tmp_path, capsys):
    _one_line_error(capsys, cli.main(["sweep", str(tmp_path)]), "is a folder")


def test_bad_base_scenario_bytes(tmp_path):
    (tmp_path / "base.toml").write_bytes(b"seed = 1\nname = '\xff'\n")
    with pytest.raises(DermsimError, match="base"):
        load_sweep({"base": str(tmp_path / "base.toml"),
                    "parameters": {"protocol.sessions": [1, 2]}})
