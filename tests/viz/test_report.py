"""HTML report and animations: self-contained page, rendering in headless Chromium, GIF frames.

The Chromium test uses Debian's ``chromium`` package. When it is missing and the tests run as
root with apt available (CI), the session fixture installs it (``apt-get update; apt-get
install -y chromium``); otherwise the test is skipped with the reason.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import numpy as np
import pytest

import dermsim
from dermsim import cli
from dermsim.io import open_result, write_netcdf
from dermsim.viz import animate, report

SCENARIO = {
    "name": "report_small",
    "seed": 11,
    "skin": {"site": "cheek"},
    "device": {"preset": "pen_12", "needle_length_um": 1000.0, "passes": 2},
    "protocol": {"sessions": 2, "interval_days": 28.0, "follow_up_days": 40.0},
    "grid": {"h_um": 20.0, "width_um": 1000.0},
}


@pytest.fixture(scope="module")
def staged_path(tmp_path_factory) -> Path:
    """A small two-session result of the whole pipeline (penetration, signalling, remodelling)."""
    ds = dermsim.simulate(dermsim.load_scenario(SCENARIO))
    for var in ("injury", "gf_snapshot", "gf_band", "collagen_I_change"):
        assert var in ds, f"dermsim.simulate no longer writes {var}"
    return write_netcdf(ds, tmp_path_factory.mktemp("staged") / "staged.nc")


@pytest.fixture(scope="module")
def penetration_only_path(tmp_path_factory) -> Path:
    """A result holding only the penetration stage variables."""
    ds = dermsim.simulate(dermsim.load_scenario({**SCENARIO, "name": "pen_only"}))
    keep = [v for v in ds.data_vars if "session" in ds[v].dims or set(ds[v].dims) <= {
        "z", "x", "layer_index"}]
    keep = [v for v in keep if not v.startswith(("gf_", "rf_", "collagen"))]
    ds = ds[keep]
    ds = ds.drop_dims([d for d in ds.dims if d not in ("z", "x", "layer_index", "session",
                                                       "needle")])
    return write_netcdf(ds, tmp_path_factory.mktemp("pen") / "pen_only.nc")


@pytest.fixture(scope="module")
def rf_path(tmp_path_factory) -> Path:
    """A small RF-microneedling result (RF stage present)."""
    ds = dermsim.simulate(dermsim.load_scenario({
        "name": "rf_small", "seed": 3, "device": {"preset": "rf_insulated_49"},
        "protocol": {"sessions": 1, "follow_up_days": 30.0},
        "grid": {"h_um": 20.0, "width_um": 2000.0}, "rf": {"power_W": 7.0}}))
    assert "rf_peak_temperature" in ds
    return write_netcdf(ds, tmp_path_factory.mktemp("rf") / "rf_small.nc")


# ------------------------------------------------------------------------------------------------
# report
# ------------------------------------------------------------------------------------------------


def _img_sources(page: str) -> list[str]:
    return re.findall(r"<img\s[^>]*src='([^']*)'", page)


def test_report_is_self_contained_with_all_sections(staged_path, tmp_path):
    out = report.write_report(staged_path, tmp_path / "r.html", validation="skip")
    page = out.read_text(encoding="utf-8")
    for section in ("id='scenario'", "id='outcomes'", "id='figures'", "id='model'",
                    "id='validation'", "id='disclaimer'"):
        assert section in page
    assert "not medical advice" in page
    assert "[device]" in page and "pen_12" in page  # the configuration TOML
    srcs = _img_sources(page)
    assert len(srcs) >= 4  # overview, sessions, growth factors, collagen
    assert all(s.startswith("data:image/png;base64,") for s in srcs)
    # no external resources of any kind
    assert not re.search(r"(src|href)\s*=\s*['\"](https?:|//)", page)
    assert "<link" not in page and "@import" not in page
    assert "data-figure-error" not in page
    for fig in ("fig-overview", "fig-sessions", "fig-signalling", "fig-remodelling"):
        assert fig in page
    if "topical_exposure" in open_result(staged_path):
        assert "fig-topical" in page
    # every outcome name is listed
    from dermsim.metrics import OUTCOME_NAMES

    for name in OUTCOME_NAMES:
        assert name in page


def test_report_penetration_only_result(penetration_only_path, tmp_path):
    page = report.build_html(open_result(penetration_only_path), validation="skip")
    assert "not simulated" in page
    assert "fig-overview" in page and "fig-sessions" in page
    assert "fig-remodelling" not in page and "fig-signalling" not in page
    assert "data-figure-error" not in page


def test_report_rf_result_has_rf_figure(rf_path):
    page = report.build_html(open_result(rf_path), validation="skip")
    assert "fig-rf" in page and "data-figure-error" not in page
    assert "max_temperature_C" in page


def test_report_validation_status_runs_fast_cases(monkeypatch, tmp_path):
    """Without a cached page, 'auto' runs the fast cases (their names appear with a status)."""
    monkeypatch.setattr(report, "_find_doc", lambda name, hint=None: None)
    src, rows = report.validation_status("auto")
    assert "run now" in src
    names = {r[0] for r in rows}
    assert {"V1", "V2", "V4", "V7"} <= names
    assert all(status in ("pass", "fail", "n/a", "error") for _, _, status in rows)


def test_report_validation_status_from_cached_page(tmp_path):
    from dermsim.validation import CaseResult, write_markdown

    page = tmp_path / "docs" / "validation.md"
    res = [CaseResult("V1", "t", "r", "tol", "a", "b", "pass"),
           CaseResult("V7", "t", "r", "tol", "a", "b", "fail")]
    write_markdown(res, page)
    src, rows = report.validation_status("cached", tmp_path / "result.nc")
    assert "validation.md" in src
    assert dict((r[0], r[2]) for r in rows) == {"V1": "pass", "V7": "fail"}


# ------------------------------------------------------------------------------------------------
# headless Chromium
# ------------------------------------------------------------------------------------------------




def _chromium_args(chromium: str, profile: Path) -> list[str]:
    return [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
            "--no-first-run", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--disable-extensions", "--hide-scrollbars",
            f"--user-data-dir={profile}"]


def test_report_renders_in_headless_chromium(chromium, staged_path, tmp_path):
    page = report.write_report(staged_path, tmp_path / "report.html", validation="skip")
    n_img = len(_img_sources(page.read_text(encoding="utf-8")))
    assert n_img >= 4
    url = page.resolve().as_uri()
    args = _chromium_args(chromium, tmp_path / "profile")
    dom = subprocess.run([*args, "--virtual-time-budget=10000", "--dump-dom", url],
                         capture_output=True, text=True, timeout=180)
    assert dom.returncode == 0, dom.stderr[-2000:]
    m = re.search(r'data-images-ok="(\d+)/(\d+)"', dom.stdout)
    assert m, "the page's load script did not run (no data-images-ok attribute)"
    ok, total = int(m.group(1)), int(m.group(2))
    assert total == n_img and ok == total, f"{ok} of {total} images decoded"
    shot = tmp_path / "shot.png"
    res = subprocess.run([*args, "--window-size=1200,4000", f"--screenshot={shot}", url],
                         capture_output=True, text=True, timeout=180)
    assert res.returncode == 0 and shot.is_file(), res.stderr[-2000:]
    from PIL import Image

    img = np.asarray(Image.open(shot).convert("RGB"), dtype=float)
    assert img.shape[0] >= 2000 and img.shape[1] >= 1000
    assert img.std() > 20.0  # not blank
    assert (img.mean(axis=2) < 128).mean() > 0.005  # there is dark content (text, figures)
    colourful = (img.max(axis=2) - img.min(axis=2)) > 60
    assert colourful.mean() > 0.01  # coloured figures were painted


# ------------------------------------------------------------------------------------------------
# animations
# ------------------------------------------------------------------------------------------------


def test_animation_frames_cover_growth_factors_and_collagen(staged_path):
    ds = open_result(staged_path)
    frames = animate.build_frames(ds, max_collagen_frames=10)
    phases = [f.phase for f in frames]
    assert phases.count("gf") == ds.sizes["snapshot_time"]
    assert 2 <= phases.count("collagen") <= 10
    assert all(f.label for f in frames)
    assert frames[0].label.startswith("session 1 +")
    assert any("day" in f.label for f in frames if f.phase == "collagen")


def test_animate_writes_gif_with_several_frames(staged_path, tmp_path):
    from PIL import Image

    ds = open_result(staged_path)
    written = animate.animate_result(ds, tmp_path / "a.gif", max_collagen_frames=6, dpi=50)
    assert written[0] == tmp_path / "a.gif"
    with Image.open(written[0]) as im:
        assert im.format == "GIF"
        n = im.n_frames
        first = np.asarray(im.convert("RGB"), dtype=float)
        im.seek(n - 1)
        last = np.asarray(im.convert("RGB"), dtype=float)
    assert n == ds.sizes["snapshot_time"] + len(
        [f for f in animate.build_frames(ds, 6) if f.phase == "collagen"])
    assert n >= 5
    assert first.std() > 10 and np.abs(first - last).mean() > 1.0
    assert not list(tmp_path.glob(".*"))  # no temporary files left


def test_animate_penetration_only_uses_sessions(penetration_only_path, tmp_path):
    from PIL import Image

    ds = open_result(penetration_only_path)
    frames = animate.build_frames(ds)
    assert [f.phase for f in frames] == ["injury"] * ds.sizes["session"]
    out = animate.animate_result(ds, tmp_path / "p.gif", dpi=50)[0]
    with Image.open(out) as im:
        assert im.n_frames == ds.sizes["session"]


@pytest.mark.skipif(not animate.ffmpeg_available(), reason="ffmpeg not installed (MP4 writer)")
def test_animate_mp4_when_ffmpeg_present(staged_path, tmp_path):
    written = animate.animate_result(open_result(staged_path), tmp_path / "m.gif", mp4=True,
                                     max_collagen_frames=4, dpi=50)
    assert [p.suffix for p in written] == [".gif", ".mp4"]
    assert written[1].stat().st_size > 1000


# ------------------------------------------------------------------------------------------------
# command line
# ------------------------------------------------------------------------------------------------


@pytest.fixture
def cli_with_extras(monkeypatch):
    """``dermsim.cli.main`` with the report and animate commands registered."""
    import argparse

    sub = next(a for a in cli.build_parser()._actions
               if isinstance(a, argparse._SubParsersAction))
    missing = [f for name, f in (("report", report.add_cli), ("animate", animate.add_cli))
               if name not in sub.choices]
    monkeypatch.setattr(cli, "EXTRA_COMMANDS", [*cli.EXTRA_COMMANDS, *missing])
    return cli.main


def test_cli_report_and_animate(cli_with_extras, staged_path, tmp_path, capsys):
    main = cli_with_extras
    html = tmp_path / "out.html"
    assert main(["report", str(staged_path), "-o", str(html), "--validation", "skip"]) == 0
    assert html.is_file() and "wrote" in capsys.readouterr().out
    gif = tmp_path / "out.gif"
    assert main(["animate", str(staged_path), "-o", str(gif), "--fps", "4", "--frames", "3"]) == 0
    assert gif.is_file()
    # default output names next to the result
    assert main(["report", str(staged_path), "-q", "--validation", "skip"]) == 0
    assert staged_path.with_suffix(".html").is_file()


@pytest.mark.slow
def test_baseline_config_run_report_animate(cli_with_extras, tmp_path):
    """The issue's acceptance path: the baseline result of a clean clone → report and GIF."""
    main = cli_with_extras
    config = Path(__file__).resolve().parents[2] / "configs" / "baseline.toml"
    assert main(["run", str(config), "-o", str(tmp_path), "-q", "--no-figure"]) == 0
    nc = tmp_path / "baseline.nc"
    assert main(["report", str(nc), "-q"]) == 0
    page = nc.with_suffix(".html").read_text(encoding="utf-8")
    assert "data-figure-error" not in page and len(_img_sources(page)) >= 4
    assert main(["animate", str(nc), "-q", "--frames", "4"]) == 0
    from PIL import Image

    with Image.open(nc.with_suffix(".gif")) as im:
        assert im.n_frames >= 5


def test_cli_report_missing_file_is_one_line_error(cli_with_extras, tmp_path, capsys):
    assert cli_with_extras(["report", str(tmp_path / "nope.nc")]) == 2
    err = capsys.readouterr().err
    assert "not found" in err and "Traceback" not in err


def test_cli_help_mentions_commands(cli_with_extras, capsys):
    for cmd in ("report", "animate"):
        with pytest.raises(SystemExit):
            cli_with_extras([cmd, "--help"])
        assert "not medical advice" in capsys.readouterr().out
