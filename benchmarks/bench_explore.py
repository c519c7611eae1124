"""Benchmark of ``dermsim explore``: the server-side update after one control change.

For the default scenario (the built-in baseline on the page's 20 µm interactive grid) it
changes one control at a time — needle length, passes, sessions, interval, follow-up, body
site, device preset, topical product — and times what the page does for each change:

* ``model``   :func:`dermsim.simulate` of the edited scenario (session stages of unchanged
  sessions come from the pipeline's cache, as on the page);
* ``figures`` the run figures the worker draws (cross-section, collagen time courses);
* ``page``    what the page process draws itself (outcomes table, growth-factor frame of
  the open tab; the mechanism step figure is timed apart, it is drawn only while its tab is
  open);
* ``pool``    the same change sent through the page's worker pool (includes moving the result
  between processes), end to end.

Usage::

    python benchmarks/bench_explore.py [--repeats 1] [--no-pool]

Target: every change updates within 3 s on 2 cores. Shared machines are noisy: the load
average is printed with the numbers, and the CPU time of each update (one thread: numba and
BLAS are single-threaded here) is printed next to its wall time as the idle-machine estimate.
"""

from __future__ import annotations

import os

os.environ.setdefault("NUMBA_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse
import asyncio
import platform
import statistics
import time

import numpy as np

#: One control change per entry, applied to the default scenario.
CHANGES: list[tuple[str, object]] = [
    ("device.needle_length_um", 1500.0),
    ("device.passes", 3),
    ("protocol.sessions", 5),
    ("protocol.interval_days", 42.0),
    ("protocol.follow_up_days", 365.0),
    ("skin.site", "forehead"),
    ("device.preset", "dermaroller_mf8"),
    ("signalling.topical_concentration_ng_ml", 0.0),
]


def machine() -> str:
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return (f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
            f"Python {platform.python_version()}, numpy {np.__version__}, load {load:.1f}")


def in_process(repeats: int) -> list[float]:
    import matplotlib

    matplotlib.use("Agg")
    import dermsim
    from dermsim.viz.explore import DEFAULT_SCENARIO
    from dermsim.viz.explore.compute import INTERACTIVE_H_UM, interactive_grid, run_outcome
    from dermsim.viz.explore.figures import gf_frame, to_png
    from dermsim.viz.explore.mechanism import step_figure
    from dermsim.viz.explore.outcomes import outcome_rows, rows_html

    default = dermsim.load_scenario(DEFAULT_SCENARIO)
    base = dermsim.with_overrides(default, interactive_grid(default, INTERACTIVE_H_UM))
    out = run_outcome(base.to_dict())  # warm-up: JIT cache, fonts, the base's sessions
    print(f"default scenario on the interactive grid: {base.grid.h_um:g} um cells, "
          f"grid {out.ds.sizes['z']} x {out.ds.sizes['x']}, {base.protocol.sessions} sessions")
    print(f"{'control change':<48} {'model':>7} {'figures':>8} {'page':>6} {'total':>7} "
          f"{'CPU':>6}")
    totals, steps, cpus = [], [], []
    for _ in range(repeats):
        for key, value in CHANGES:
            scenario = dermsim.with_overrides(base, {key: value})
            t0, c0 = time.perf_counter(), time.process_time()
            out = run_outcome(scenario.to_dict())
            t1 = time.perf_counter()
            rows_html(outcome_rows(out.ds), {})
            to_png(gf_frame(out.ds, 1.0))
            t2, c2 = time.perf_counter(), time.process_time()
            cpus.append(c2 - c0)
            to_png(step_figure(out.ds, 0))
            steps.append(time.perf_counter() - t2)
            total = t2 - t0
            totals.append(total)
            print(f"{key + ' = ' + str(value):<48} {out.seconds['simulate']:7.2f} "
                  f"{out.seconds['figures']:8.2f} {t2 - t1:6.2f} {total:7.2f} {c2 - c0:6.2f}")
    print(f"in-process update: median {statistics.median(totals):.2f} s, "
          f"max {max(totals):.2f} s over {len(totals)} changes; CPU time of the update "
          f"(≈ wall time on an idle core) median {statistics.median(cpus):.2f} s, "
          f"max {max(cpus):.2f} s")
    print(f"mechanism step figure (drawn only while its tab is open): median "
          f"{statistics.median(steps):.2f} s")
    return totals


def through_pool() -> list[float]:
    import dermsim
    from dermsim.viz.explore import DEFAULT_SCENARIO
    from dermsim.viz.explore.compute import INTERACTIVE_H_UM, Runner, interactive_grid

    default = dermsim.load_scenario(DEFAULT_SCENARIO)
    base = dermsim.with_overrides(default, interactive_grid(default, INTERACTIVE_H_UM))
    runner = Runner(workers=2)
    try:
        t = time.perf_counter()
        runner.warm_up(base.to_dict())
        asyncio.run(runner.outcome(base.to_dict()))
        print(f"\nworker pool (2 processes) started and warmed in "
              f"{time.perf_counter() - t:.1f} s; one page session keeps to worker 0")
        totals = []
        for key, value in CHANGES:
            table = dermsim.with_overrides(base, {key: value}).to_dict()
            t0 = time.perf_counter()
            asyncio.run(runner.outcome(table))
            totals.append(time.perf_counter() - t0)
            print(f"  {key + ' = ' + str(value):<46} {totals[-1]:6.2f} s")
        print(f"through the pool: median {statistics.median(totals):.2f} s, "
              f"max {max(totals):.2f} s")
        return totals
    finally:
        runner.shutdown()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--repeats", type=int, default=1)
    p.add_argument("--no-pool", action="store_true", help="skip the worker-pool timing")
    args = p.parse_args()
    print(machine())
    in_process(args.repeats)
    if not args.no_pool:
        through_pool()


if __name__ == "__main__":
    main()
