"""The memory and step-count guard: estimates match the grid the pipeline builds, and a run
that does not fit is refused before anything is allocated, with one line saying what to
change."""

from __future__ import annotations

from pathlib import Path

import pytest
from catalogue import BASE, with_

from dermsim import pipeline, simulate
from dermsim.cli import main
from dermsim.config import load_scenario
from dermsim.errors import ResourceError
from dermsim.resources import (
    BYTES_FIXED,
    MAX_SIGNALLING_STEPS,
    MEMORY_ENV,
    check_resources,
    estimate,
    grid_shape,
    memory_limit,
    signalling_steps,
)
from dermsim.signalling import SignallingConfig, time_grid

SCENARIOS = {
    "pen": BASE,
    "roller-deep": with_("grid.depth_um", 2500.0,
                         with_("device", {"preset": "dermaroller_mf8",
                                          "needle_length_um": 1500.0})),
    "rf-bipolar": with_("device", {"preset": "rf_insulated_49", "needle_length_um": 1500.0}),
    "overrides": with_("protocol", {"sessions": 2, "follow_up_days": 10.0,
                                    "session": [{"session": 2, "needle_length_um": 2500.0}]}),
    "abdomen": with_("skin.site", "abdomen", with_("grid.h_um", 25.0)),
}


@pytest.mark.parametrize("name", SCENARIOS)
def test_grid_shape_is_the_pipeline_grid(name: str) -> None:
    scenario = load_scenario(SCENARIOS[name])
    grid, _ = pipeline.build_grid(scenario)
    assert grid_shape(scenario) == (grid.nz, grid.nx)


@pytest.mark.parametrize("cfg", [SignallingConfig(),
                                 SignallingConfig(dt_initial_s=1.0, steps_per_level=20),
                                 SignallingConfig(dt_max_h=0.5, window_day=2.0)])
def test_signalling_steps_match_the_step_schedule(cfg: SignallingConfig) -> None:
    # without release caps the estimate is exactly the schedule of the signalling stage
    assert signalling_steps(cfg) == len(time_grid(cfg.window_day * 86400.0, cfg).dt)


def test_estimate_grows_with_resolution_sessions_and_rf() -> None:
    base = estimate(load_scenario(BASE))
    fine = estimate(load_scenario(with_("grid.h_um", 10.0)))
    more = estimate(load_scenario(with_("protocol.sessions", 3)))
    rf = estimate(load_scenario(SCENARIOS["rf-bipolar"]))
    assert fine.memory_bytes > 3 * (base.memory_bytes - BYTES_FIXED)
    assert more.memory_bytes > base.memory_bytes
    assert rf.rf_sessions == 1 and rf.memory_bytes > base.memory_bytes
    assert base.cells == base.nz * base.nx and "GiB" in base.describe()


def test_memory_cap_refuses_before_allocating(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(MEMORY_ENV, "0.5")

    def no_grid(*args: object, **kwargs: object) -> None:
        raise AssertionError("the grid was built before the memory check")

    monkeypatch.setattr(pipeline, "build_grid", no_grid)
    scenario = load_scenario(with_("grid", {"h_um": 2.0, "width_um": 20000.0}))
    with pytest.raises(ResourceError) as exc:
        simulate(scenario)
    msg = str(exc.value)
    assert "\n" not in msg
    for fragment in ("GiB", "grid.h_um", "grid.width_um", MEMORY_ENV):
        assert fragment in msg


def test_available_memory_is_the_default_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(MEMORY_ENV, raising=False)
    limit, source = memory_limit()
    assert 0 < limit < float("inf") and "available" in source
    # the request: 1 um cells over 50 mm need far more than this machine has
    big = load_scenario(with_("grid", {"h_um": 1.0, "width_um": 50000.0}))
    assert estimate(big).memory_bytes > 40 * 2**30
    with pytest.raises(ResourceError, match="needs about"):
        check_resources(big)


@pytest.mark.parametrize("text", ["0", "-1", "nan", "inf", "lots"])
def test_bad_memory_cap_is_a_clear_error(monkeypatch: pytest.MonkeyPatch, text: str) -> None:
    monkeypatch.setenv(MEMORY_ENV, text)
    with pytest.raises(ResourceError, match=MEMORY_ENV):
        check_resources(load_scenario(BASE))


def test_step_bound_names_the_settings() -> None:
    s = load_scenario(with_("signalling", {"dt_initial_s": 0.01, "dt_max_h": 0.0001,
                                           "steps_per_level": 100000}))
    assert estimate(s).signalling_steps > MAX_SIGNALLING_STEPS
    with pytest.raises(ResourceError) as exc:
        check_resources(s)
    for fragment in ("signalling.dt_max_h", "signalling.dt_initial_s",
                     "signalling.steps_per_level"):
        assert fragment in str(exc.value)


def test_cli_max_memory_option(tmp_path, capsys, monkeypatch) -> None:
    import tomli_w

    monkeypatch.delenv(MEMORY_ENV, raising=False)
    cfg = tmp_path / "c.toml"
    cfg.write_text(tomli_w.dumps(BASE))
    rc = main(["run", str(cfg), "-o", str(tmp_path / "out"), "-q", "--max-memory-gb", "0.01"])
    err = capsys.readouterr().err
    assert rc == 2 and "DERMSIM_MAX_MEMORY_GB" in err and err.count("\n") == 1
    assert not (tmp_path / "out").exists()
    rc = main(["run", str(cfg), "-o", str(tmp_path / "out"), "-q", "--max-memory-gb", "-3"])
    assert rc == 2 and "--max-memory-gb" in capsys.readouterr().err


_WARM = """
import json, sys
from dermsim import load_scenario, simulate
simulate(load_scenario(json.loads(sys.argv[1])))  # fills numba's on-disk kernel cache
"""

_MEASURE = """
import json, os, sys, threading, time
import dermsim.coupling, dermsim.pipeline, dermsim.remodelling, dermsim.signalling  # noqa
from dermsim import load_scenario, simulate
page = os.sysconf("SC_PAGE_SIZE")
def rss():
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * page
scenario = load_scenario(json.loads(sys.argv[1]))
before, peak, done = rss(), [0], threading.Event()
def sample():
    while not done.is_set():
        peak[0] = max(peak[0], rss())
        time.sleep(0.002)
t = threading.Thread(target=sample)
t.start()
simulate(scenario)  # kernels come from the cache filled by _WARM: no compiler memory
done.set()
t.join()
print(max(peak[0], rss()) - before)
"""


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/statm").exists(), reason="needs /proc (Linux)")
def test_memory_estimate_bounds_the_measured_peak() -> None:
    import json
    import os
    import subprocess
    import sys

    src = Path(__file__).resolve().parents[2] / "src"
    env = {**os.environ, "PYTHONPATH": str(src)}
    warm = with_("grid.h_um", 40.0, with_("seed", 1))
    table = with_("grid", {"h_um": 10.0, "width_um": 4000.0})
    subprocess.run([sys.executable, "-c", _WARM, json.dumps(warm)], env=env,
                   capture_output=True, check=True, timeout=600)
    p = subprocess.run([sys.executable, "-c", _MEASURE, json.dumps(table)], env=env,
                       capture_output=True, text=True, check=True, timeout=600)
    measured = float(p.stdout.strip().splitlines()[-1])
    # the first run of a process also loads the compiled kernels and lazily imported modules:
    # the fixed part of the estimate covers that
    planned = estimate(load_scenario(table)).memory_bytes
    assert measured <= planned <= 4.0 * measured, (measured, planned)
