"""End-to-end benchmarks: the whole pipeline on a protocol, and start-up costs.

Prints, for this machine and this run (shared machines are noisy; repeat and compare ratios):

1. ``dermsim --help`` wall time (fresh process) and import of the package.
2. A 4-session, 6-month protocol (baseline config: pen 1.0 mm on the cheek), full pipeline
   (penetration, growth factors, remodelling) on the default grid, warm JIT cache, one
   thread — stage by stage — and the ODE part alone.
3. The same protocol on a ~1000 × 2000 grid (5 µm cells, the whole 4.975 mm cheek stack × 10 mm).

Usage::

    python benchmarks/bench_pipeline.py [--skip-large]

Targets (performance goals of the project): full protocol ≤ 10 s warm on the default grid;
ODE part ≤ 0.5 s; ``dermsim --help`` ≤ 0.3 s.
"""

from __future__ import annotations

import os

os.environ.setdefault("NUMBA_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse
import platform
import subprocess
import sys
import time

import numpy as np


def machine() -> str:
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return (f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
            f"Python {platform.python_version()}, numpy {np.__version__}, load {load:.1f}")


def best_of(n: int, fn) -> float:
    times = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def startup() -> None:
    cmd_help = [sys.executable, "-m", "dermsim.cli", "--help"]
    t_help = best_of(5, lambda: subprocess.run(cmd_help, capture_output=True, check=True))
    t_py = best_of(5, lambda: subprocess.run([sys.executable, "-c", "pass"], check=True))
    print(f"dermsim --help: {t_help:.3f} s (bare interpreter {t_py:.3f} s)")


def protocol(scenario, label: str, repeats: int) -> None:
    import dermsim
    from dermsim import pipeline, remodelling

    stage_time: dict[str, float] = {}
    last = [time.perf_counter(), "setup"]

    def progress(stage: str, i: int, n: int) -> None:
        now = time.perf_counter()
        key = last[1].split(":")[-1].strip()
        stage_time[key] = stage_time.get(key, 0.0) + now - last[0]
        last[0], last[1] = now, stage

    pipeline.clear_cache()
    dermsim.simulate(scenario)  # warm the JIT cache and imports
    walls = []
    for _ in range(repeats):
        pipeline.clear_cache()
        stage_time.clear()
        last[0], last[1] = time.perf_counter(), "setup"
        t = time.perf_counter()
        ds = dermsim.simulate(scenario, progress=progress)
        walls.append(time.perf_counter() - t)
    grid = ds.attrs["grid_shape_zx"]
    print(f"{label}: grid {grid} (z x x), {ds.sizes['session']} sessions, "
          f"{float(ds['time'][-1]):.0f} days: best {min(walls):.2f} s of {repeats} "
          f"(all: {', '.join(f'{w:.2f}' for w in walls)})")
    print("   stages (last run): " + ", ".join(f"{k} {v:.2f} s" for k, v in stage_time.items()))
    drives = [None] * ds.sizes["session"]
    # ODE part alone: re-run the remodelling on the stored drives of this run
    from dataclasses import replace

    st = [pipeline.run_session_stages(scenario, *_grid_and_pen(scenario, k)) for k in
          range(len(drives))]
    drv = [replace(s.drive, day=float(d)) for s, d in zip(st, ds["session_day"].values)]
    t_ode = best_of(3, lambda: remodelling.simulate_remodelling(
        ds["band"].values, drv, scenario.protocol.end_day, scenario.stage("remodelling"),
        band_thickness_um=float(scenario.stage("signalling").band_um)))
    print(f"   ODE part alone ({ds.sizes['band']} bands): {t_ode:.3f} s")


_GRID_CACHE: dict = {}


def _grid_and_pen(scenario, k):
    from dermsim import pipeline

    key = id(scenario)
    if key not in _GRID_CACHE:
        grid, devices = pipeline.build_grid(scenario)
        _GRID_CACHE[key] = (grid, pipeline.run_penetration(scenario, grid, devices))
    grid, pen = _GRID_CACHE[key]
    return grid, pen[k]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--skip-large", action="store_true", help="skip the 1000 x 2000 grid")
    args = ap.parse_args()
    import dermsim

    print(f"machine: {machine()}")
    startup()
    base = dermsim.load_scenario("configs/baseline.toml")
    protocol(base, "baseline protocol, default grid", repeats=3)
    if not args.skip_large:
        large = dermsim.with_overrides(base, {"grid.h_um": 5.0, "grid.width_um": 10000.0,
                                              "grid.depth_um": 4975.0})
        protocol(large, "baseline protocol, 1000 x 2000 grid", repeats=1)


if __name__ == "__main__":
    main()
