"""Report and animation outputs tell the truth: they refuse files that are not run results
in one line, validate their options, write files with the usual permissions, and the report
holds no code locations or unexpanded template text."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

import dermsim
from dermsim.io import open_result, write_netcdf
from dermsim.viz import animate, report

REPO = Path(__file__).resolve().parents[2]

SCENARIO = {
    "name": "outputs_small",
    "seed": 5,
    "skin": {"site": "cheek"},
    "device": {"preset": "pen_12", "needle_length_um": 1000.0, "passes": 2},
    "protocol": {"sessions": 2, "interval_days": 14.0, "follow_up_days": 20.0},
    "grid": {"h_um": 25.0, "width_um": 1000.0},
}


@pytest.fixture(scope="module")
def result_path(tmp_path_factory) -> Path:
    ds = dermsim.simulate(dermsim.load_scenario(SCENARIO))
    return write_netcdf(ds, tmp_path_factory.mktemp("res") / "small.nc")


@pytest.fixture(scope="module")
def other_files(tmp_path_factory) -> dict[str, Path]:
    """A sweep-like and a compare-like NetCDF file (what `dermsim sweep/compare` write)."""
    d = tmp_path_factory.mktemp("other")
    sweep = xr.Dataset({"effective_depth_um": ("needle_length_um", [400.0, 900.0]),
                        "run_id": ("needle_length_um", ["a", "b"])},
                       coords={"needle_length_um": [500, 1000]},
                       attrs={"sweep_name": "s", "dermsim_version": dermsim.__version__})
    table = xr.Dataset({"downtime_h": ("scenario", [1.0, 2.0])},
                       coords={"scenario": ["a", "b"]},
                       attrs={"configs_toml": "", "dermsim_version": dermsim.__version__})
    return {"sweep": write_netcdf(sweep, d / "sweep.nc"),
            "compare": write_netcdf(table, d / "compare.nc"), "readme": REPO / "README.md"}


def _cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    return subprocess.run([sys.executable, "-m", "dermsim.cli", *args], capture_output=True,
                          text=True, cwd=cwd, timeout=600, env=env)


def _one_line_error(r: subprocess.CompletedProcess, *words: str) -> None:
    assert r.returncode == 2, r.stderr
    err = r.stderr.strip()
    assert "Traceback" not in err and err.count("\n") == 0, err
    assert err.startswith("dermsim: error:")
    for w in words:
        assert w in err, err


@pytest.mark.parametrize("command,kind,word", [
    ("report", "readme", "not a NetCDF"), ("animate", "readme", "not a NetCDF"),
    ("animate", "sweep", "sweep result"), ("animate", "compare", "comparison table")])
def test_report_and_animate_refuse_non_results_in_one_line(command, kind, word, other_files,
                                                           tmp_path):
    r = _cli(command, str(other_files[kind]), "-o", str(tmp_path / f"x.{command}"))
    _one_line_error(r, word, "dermsim run")
    assert not list(tmp_path.iterdir())  # nothing written


@pytest.mark.parametrize("kind", ["sweep", "compare"])
def test_report_takes_sweep_and_compare_files(kind, other_files, tmp_path):
    """Even a minimal sweep or comparison file gives a page (the full pages are tested in
    test_report_pages.py)."""
    r = _cli("report", str(other_files[kind]), "-o", str(tmp_path / "x.html"), "-q")
    assert r.returncode == 0, r.stderr
    assert "</html>" in (tmp_path / "x.html").read_text(encoding="utf-8")


def test_animate_rejects_unknown_species_and_bad_fps(result_path, tmp_path):
    _one_line_error(_cli("animate", str(result_path), "-o", str(tmp_path / "a.gif"),
                         "--species", "foo"), "'foo'", "tgfb1")
    for fps in ("0", "-2", "nan"):
        _one_line_error(_cli("animate", str(result_path), "-o", str(tmp_path / "a.gif"),
                             "--fps", fps), "--fps")
    assert not list(tmp_path.iterdir())


def test_animate_species_is_used_and_gif_mode_matches_other_outputs(result_path, tmp_path):
    old = os.umask(0o022)
    try:
        gif = animate.animate_result(open_result(result_path), tmp_path / "a.gif",
                                     species="pdgf", max_collagen_frames=2, dpi=40)[0]
        nc = write_netcdf(xr.Dataset({"a": ("x", [1.0])}), tmp_path / "b.nc")
    finally:
        os.umask(old)
    assert gif.stat().st_mode & 0o777 == 0o644 == nc.stat().st_mode & 0o777
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_animation_collagen_frames_are_depth_profiles(result_path):
    """Collagen is one value per depth band: its frames draw lines, not an image."""
    ds = open_result(result_path)
    frames = animate.build_frames(ds, max_collagen_frames=2)
    fig, draw = animate._make_drawer(ds, frames, None)
    k = next(i for i, f in enumerate(frames) if f.phase == "collagen")
    draw(k)
    ax_map = fig.axes[0]
    assert not ax_map.images and len(ax_map.lines) >= 2
    lo, hi = ax_map.get_xlim()
    assert lo <= 0 < hi and abs(lo) < hi  # not a symmetric scale around 0 for gains


def test_report_page_has_no_code_locations_or_template_text(result_path, tmp_path):
    page = report.write_report(result_path, tmp_path / "r.html",
                               validation="skip").read_text()
    model = page[page.index("<section id='model'>"):page.index("<section id='validation'>")]
    for bad in ("sessions` ×", "Sessions sessions", "interval_days", "src/dermsim", ".py",
                "tests/test_", "Owner", "SCIENCE.md", "helper"):
        assert bad not in model, bad
    for bad in ("Owner", "SCIENCE.md", "device ()", "No variable named"):
        assert bad not in page, bad
    assert "The model in brief" in page
    assert "<th>units</th>" in page and "mm³/cm²" in page  # outcome units from the schema
    assert "days after the last session" in page


def test_report_figures_use_attrs_labels_and_true_aspect(result_path):
    from dermsim.viz import report_figures

    ds = open_result(result_path)
    fig = report_figures.figure_sessions(ds)
    ax = fig.axes[0]
    assert ax.get_xlabel() == "x [µm]" and ax.get_ylabel() == "depth [µm]"
    assert ax.get_aspect() == 1.0
    fig = report_figures.figure_signalling(ds)
    titles = [a.get_title() for a in fig.axes]
    assert any(t.startswith("TGF-β1, ") for t in titles)
    assert not any("tgfb1" in t for t in titles)
    fig = report_figures.figure_remodelling(ds)
    mesh = fig.axes[0].collections[0]
    lo, hi = mesh.norm.vmin, mesh.norm.vmax
    assert lo >= 0 or abs(lo) < 0.5 * hi  # no ±max symmetric scale for mostly positive data


def test_run_figure_style_layers_and_labels(result_path):
    from matplotlib.colors import to_rgb

    from dermsim.viz import plot_result, style

    sc, hypo = (np.array(to_rgb(c)) for c in (style.LAYER_COLOURS[0], style.LAYER_COLOURS[4]))
    assert np.abs(sc - hypo).sum() > 0.6  # stratum corneum and hypodermis far apart
    ds = open_result(result_path)
    fig = plot_result(ds)
    labels = {a.get_xlabel() for a in fig.axes} | {a.get_ylabel() for a in fig.axes}
    assert "depth below the skin surface [µm]" in labels
    assert "time from protocol start [day]" in labels
    texts = " ".join(t.get_text() for a in fig.axes for t in a.texts)
    assert "% is punctured per session" in texts  # the slice says what it shows
    remod = next(a for a in fig.axes if a.get_title().startswith("depth profile"))
    assert remod.get_xlim()[0] <= 0  # the depth-profile axis includes zero
    cells = next(a for a in fig.axes if a.get_title().startswith("cells"))
    assert cells.get_xlim()[1] == pytest.approx(float(ds["time"].values[-1]))
