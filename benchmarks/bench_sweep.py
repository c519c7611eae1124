"""Sweep backends: runs per minute serial vs all local cores, and dask overhead per run.

Usage::

    python benchmarks/bench_sweep.py                 # auto: real simulate if a grid gives ~1 s runs
    python benchmarks/bench_sweep.py --mode busy     # calibrated ~1 s single-threaded numpy run
    python benchmarks/bench_sweep.py --mode real --runs 24 --repeat 3

Definitions:

* parallel efficiency = T_serial / (W · T_parallel), walls of the whole ``run_sweep`` call
  (pool start, per-run file writes, merge included); target ≥ 0.80 on 2 cores for runs ≥ 1 s;
* overhead per run (wall) = (W · T_parallel − Σ in-worker run time) / n_runs, also as a
  fraction of the mean run time; target for dask ≤ 10 % for ~1 s runs. The LocalCluster
  start-up and one warm-up run per dask worker (imports, numba cache loads; the forked pool
  workers inherit these from this process) are timed separately and not charged to the runs;
* CPU outside the runs = CPU of this process (dispatch, dask scheduler and nannies, merge) +
  CPU of the worker processes − CPU inside the runs, per run; CPU efficiency = total CPU of the
  serial sweep / total CPU of the parallel sweep (extra work: overheads, and runs slowed by
  sharing caches and memory bandwidth). Unlike the wall figures these hardly depend on other
  load on the machine (a machine busy with other jobs makes every wall figure meaningless).

The script prints the machine, the run function used ("real" = :func:`dermsim.simulate` on the
baseline scenario with the grid refined until a run takes ~1 s, or "busy" = a calibrated numpy
loop), absolute times and the ratios.
"""

from __future__ import annotations

import argparse
import functools
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

# numba's fork-safe threading layer: after the serial measurement (which starts numba's thread
# pool in this process) the process pool can still fork, as in a fresh `dermsim sweep` process
os.environ.setdefault("NUMBA_THREADING_LAYER", "workqueue")

import numpy as np

ROOT = Path(__file__).resolve().parents[1]


def busy_run(scenario, iters: int) -> dict:
    """A deterministic single-threaded numpy workload of ``iters`` steps (~1 s calibrated)."""
    x = np.full(20_000, 0.5 + (scenario.seed % 1000) * 1e-6)
    for _ in range(iters):
        np.sin(x, out=x)
        x *= 1.9
    return {"effective_depth_um": float(x.sum())}


def warm_up(base, run_fn) -> None:
    """One run of a scenario no measurement uses (imports, JIT cache loads), cache cleared."""
    from dermsim import with_overrides
    from dermsim.pipeline import clear_cache
    from dermsim.sweep import limit_threads as _limit_threads
    from dermsim.sweep import simulate_outcomes

    _limit_threads()
    (run_fn or simulate_outcomes)(with_overrides(base, {"seed": 12345}))
    clear_cache()


def calibrate_busy(target_s: float) -> int:
    from dermsim import load_scenario

    sc = load_scenario({})
    n = 200
    while True:
        t0 = time.perf_counter()
        busy_run(sc, n)
        dt = time.perf_counter() - t0
        if dt > 0.1:
            break
        n *= 4
    iters = max(1, int(n * target_s / dt))
    times = []
    for _ in range(3):
        t0 = time.perf_counter()
        busy_run(sc, iters)
        times.append(time.perf_counter() - t0)
    return int(iters * target_s / statistics.median(times))


def time_real(h_um: float, repeat: int = 2) -> float:
    from dermsim import load_scenario, simulate, with_overrides
    from dermsim.sweep import single_thread as _single_thread

    sc = with_overrides(load_scenario(ROOT / "configs" / "baseline.toml"), {"grid.h_um": h_um})
    with _single_thread():
        simulate(sc)  # warm-up (imports, JIT)
        times = []
        for k in range(repeat):  # new seeds: no hits in the pipeline's session-stage cache
            s2 = with_overrides(sc, {"seed": sc.seed + 1 + k})
            t0 = time.perf_counter()
            simulate(s2)
            times.append(time.perf_counter() - t0)
    return min(times)


def pick_real_grid(target_s: float) -> tuple[float, float] | None:
    """The coarsest baseline grid whose run takes >= 0.6 target (and <= 4 target)."""
    for h in (40.0, 30.0, 20.0, 14.0, 10.0):
        t = time_real(h)
        print(f"  real simulate, baseline at h = {h:g} um: {t:.3f} s per run")
        if t >= 0.6 * target_s:
            return (h, t) if t <= 4 * target_s else None
    return None


def self_cpu() -> float:
    """User + system CPU of this process, all threads (scheduler and nannies included) [s]."""
    import resource

    a = resource.getrusage(resource.RUSAGE_SELF)
    return a.ru_utime + a.ru_stime


def machine() -> str:
    cpu = platform.processor() or "?"
    with open("/proc/cpuinfo") as fh:
        for line in fh:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    load = os.getloadavg() if hasattr(os, "getloadavg") else ("?",)
    import dask
    import distributed

    return (f"{cpu}; {len(os.sched_getaffinity(0))} cores available; Python "
            f"{platform.python_version()}, numpy {np.__version__}, dask {dask.__version__}, "
            f"distributed {distributed.__version__}; load average {load[0]:.2f}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--mode", choices=("auto", "real", "busy"), default="auto")
    ap.add_argument("--runs", type=int, default=24)
    ap.add_argument("--target-s", type=float, default=1.0, help="run time to aim for [s]")
    ap.add_argument("--workers", type=int, default=len(os.sched_getaffinity(0)))
    ap.add_argument("--repeat", type=int, default=2, help="measurements per backend (best kept)")
    args = ap.parse_args(argv)

    from dermsim import sweep

    print("bench_sweep:", machine())
    base = {"name": "bench", "seed": 1}
    params = {"device.needle_length_um": [float(v) for v in
                                          np.linspace(800, 1200, args.runs).round(1)]}
    run_fn = None
    mode = args.mode
    if mode in ("auto", "real"):
        picked = pick_real_grid(args.target_s)
        if picked is None and mode == "real":
            print(f"  no baseline grid gives runs of ~{args.target_s:.1f} s; use --mode busy")
            return 1
        if picked is not None:
            h, t = picked
            from dermsim import load_scenario

            base = load_scenario(ROOT / "configs" / "baseline.toml").to_dict()
            base["grid"]["h_um"] = h
            mode = "real"
            desc = (f"real dermsim.simulate, baseline scenario at h = {h:g} um (~{t:.2f} s/run, "
                    "per-run seeds: no session-stage cache hits)")
        else:
            mode = "busy"
    if mode == "busy":
        iters = calibrate_busy(args.target_s)
        run_fn = functools.partial(busy_run, iters=iters)
        desc = (f"busy numpy loop calibrated to {args.target_s:g} s ({iters} steps); "
                "simulate() is not yet that slow on a sensible grid")
    print(f"  run function: {desc}")
    w = args.workers
    rows: dict[str, dict] = {}
    import logging

    import distributed

    from dermsim.pipeline import clear_cache

    with tempfile.TemporaryDirectory() as tmp:
        def go(label: str, spec, worker_cpu0: float = 0.0, **kw) -> None:
            clear_cache()  # no session stages memoised by an earlier measurement
            rep = sweep.SweepReport()
            c0, t0 = self_cpu(), time.perf_counter()
            sweep.run_sweep(spec, Path(tmp) / label, run_fn=run_fn, progress=False,
                            resume=False, report=rep, **kw)
            wall, parent_cpu = time.perf_counter() - t0, self_cpu() - c0
            workers_cpu = rep.worker_cpu_s() - worker_cpu0 if label != "serial" else 0.0
            # CPU spent outside the runs themselves: dispatch, scheduler, pickling, run-file
            # writes, merge (parent + workers); robust to other load on the machine
            over_cpu = parent_cpu + workers_cpu - rep.cpu_s
            print(f"  {label:<14} wall {wall:7.2f} s  runs/min {60 * args.runs / wall:6.1f}  "
                  f"in-run wall {rep.compute_s:7.2f} s  in-run CPU {rep.cpu_s:7.2f} s  "
                  f"CPU outside runs {over_cpu:6.2f} s  (load average {os.getloadavg()[0]:.2f})")
            if label not in rows or wall < rows[label]["wall"]:
                rows[label] = {"wall": wall, "in_run": rep.compute_s, "run_cpu": rep.cpu_s,
                               "over_cpu": over_cpu, "workers": rep.n_workers}

        for r in range(args.repeat):
            spec = sweep.load_sweep({"name": "bench", "base": base, "parameters": params,
                                     "seed": 1000 + r, "outcomes": ["effective_depth_um"]})
            print(f"  repeat {r + 1}/{args.repeat}")
            go("serial", spec, backend="serial")
            go(f"processes({w})", spec, backend="processes", workers=w)
            # a LocalCluster per repeat, closed before the next process-pool measurement (its
            # threads would make the pool use forkserver instead of fork)
            t0 = time.perf_counter()
            with distributed.LocalCluster(n_workers=w, threads_per_worker=1, processes=True,
                                          dashboard_address=None, silence_logs=logging.ERROR,
                                          env=dict(sweep.THREAD_ENV)) as cluster, \
                    distributed.Client(cluster) as client:
                client.wait_for_workers(w)
                # warm the workers like the forked pool workers, which inherit this process's
                # imports and compiled kernels: one run each (imports, numba cache loads)
                client.run(warm_up, spec.base, run_fn)
                startup = time.perf_counter() - t0
                # the workers' start-up and warm-up CPU is not charged to the runs
                cpu0 = sum(client.run(lambda: sum(os.times()[:2])).values())
                print(f"  dask LocalCluster({w} x 1 thread) start-up + warm-up {startup:.2f} s "
                      f"wall, {cpu0:.2f} s worker CPU (not charged)")
                go(f"dask({w})", spec, worker_cpu0=cpu0, backend="dask", scheduler=client)
    print("  (best of the repeats by wall time)")

    n = args.runs
    ser = rows["serial"]
    mean_run, mean_cpu = ser["in_run"] / n, ser["run_cpu"] / n
    print(f"\n  mean run: {mean_run:.3f} s wall, {mean_cpu:.3f} s CPU (serial); {n} runs; W = {w}")
    for label, r in rows.items():
        over_cpu = r["over_cpu"] / n
        line = (f"  {label:<14} CPU outside runs {1e3 * over_cpu:7.1f} ms/run = "
                f"{100 * over_cpu / mean_cpu:5.1f} % of a run")
        if label != "serial":
            cpu_eff = (ser["run_cpu"] + ser["over_cpu"]) / (r["run_cpu"] + r["over_cpu"])
            line += f"; CPU efficiency {cpu_eff:4.2f}"
            eff = ser["wall"] / (r["workers"] * r["wall"])
            over_wall = (r["workers"] * r["wall"] - r["in_run"]) / n
            line += (f"; wall: speed-up {ser['wall'] / r['wall']:4.2f}x, efficiency "
                     f"T_s/(W T_p) {eff:4.2f}, overhead {1e3 * over_wall:6.1f} ms/run = "
                     f"{100 * over_wall / mean_run:4.1f} %, in-run time "
                     f"{r['in_run'] / ser['in_run']:4.2f}x serial")
        print(line)
    p, d = rows[f"processes({w})"], rows[f"dask({w})"]
    eff_p = ser["wall"] / (w * p["wall"])
    d_wall = (w * d["wall"] - d["in_run"]) / n / mean_run
    d_cpu = (d["over_cpu"] - ser["over_cpu"]) / n / mean_cpu
    print(f"\n  target: parallel efficiency >= 0.80 on {w} cores (wall): {eff_p:.3f} "
          f"{'PASS' if eff_p >= 0.8 else 'FAIL'}")
    print(f"  target: dask overhead per run <= 10 %: wall {100 * d_wall:.2f} % "
          f"{'PASS' if d_wall <= 0.10 else 'FAIL'}; CPU beyond serial bookkeeping "
          f"{100 * d_cpu:.1f} % {'PASS' if d_cpu <= 0.10 else 'FAIL'}")
    print("  (wall figures need an otherwise idle machine: compare the load average; CPU "
          "figures do not)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
