"""Sweep backends: runs per minute serial vs all local cores, and dask overhead per run.

Usage::

    python benchmarks/bench_sweep.py                 # auto: real simulate if a grid gives ~1 s runs
    python benchmarks/bench_sweep.py --mode busy     # calibrated ~1 s single-threaded numpy run
    python benchmarks/bench_sweep.py --mode real --runs 24

Definitions (PERFORMANCE.md §5):

* parallel efficiency = T_serial / (W · T_parallel), walls of the whole ``run_sweep`` call
  (pool start, per-run file writes, merge included); target ≥ 0.80 on 2 cores for runs ≥ 1 s;
* overhead per run = (W · T_parallel − Σ in-worker run time) / n_runs, also as a fraction of the
  mean run time; target for dask ≤ 10 % for ~1 s runs. The LocalCluster start-up is timed
  separately and not charged to the runs (a cluster is started once per sweep).

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

# numba's fork-safe threading layer, so that the process pool forks from this process (which
# ran the serial sweep) and the workers' CPU time is accounted to it (RUSAGE_CHILDREN)
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
    from dermsim.sweep import _single_thread

    sc = with_overrides(load_scenario(ROOT / "configs" / "baseline.toml"), {"grid.h_um": h_um})
    with _single_thread():
        simulate(sc)  # warm-up (imports, JIT)
        times = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            simulate(sc)
            times.append(time.perf_counter() - t0)
    return min(times)


def pick_real_grid(target_s: float) -> tuple[float, float] | None:
    """The coarsest baseline grid whose run takes >= 0.6 target (and <= 4 target)."""
    for h in (20.0, 10.0, 7.0, 5.0, 4.0):
        t = time_real(h)
        print(f"  real simulate, baseline at h = {h:g} um: {t:.3f} s per run")
        if t >= 0.6 * target_s:
            return (h, t) if t <= 4 * target_s else None
    return None


def cpu_seconds() -> float:
    """User + system CPU of this process and of its terminated children [s]."""
    import resource

    a = resource.getrusage(resource.RUSAGE_SELF)
    b = resource.getrusage(resource.RUSAGE_CHILDREN)
    return a.ru_utime + a.ru_stime + b.ru_utime + b.ru_stime


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
            desc = f"real dermsim.simulate, baseline scenario at h = {h:g} um (~{t:.2f} s/run)"
        else:
            mode = "busy"
    if mode == "busy":
        iters = calibrate_busy(args.target_s)
        run_fn = functools.partial(busy_run, iters=iters)
        desc = (f"busy numpy loop calibrated to {args.target_s:g} s ({iters} steps); "
                "simulate() is not yet that slow on a sensible grid")
    print(f"  run function: {desc}")
    spec = sweep.load_sweep({"name": "bench", "base": base, "parameters": params,
                             "outcomes": ["effective_depth_um"]})
    w = args.workers
    rows = {}
    with tempfile.TemporaryDirectory() as tmp:
        def go(label: str, **kw) -> None:
            rep = sweep.SweepReport()
            t0 = time.perf_counter()
            sweep.run_sweep(spec, Path(tmp) / label, run_fn=run_fn, progress=False,
                            resume=False, report=rep, **kw)
            wall = time.perf_counter() - t0
            rows[label] = (wall, rep.compute_s, rep.n_workers)
            print(f"  {label:<22} wall {wall:7.2f} s  in-run {rep.compute_s:7.2f} s  "
                  f"workers {rep.n_workers}  runs/min {60 * args.runs / wall:6.1f}  "
                  f"(load average now {os.getloadavg()[0]:.2f})")

        cpu = {}
        c0 = cpu_seconds()
        go("serial", backend="serial")
        cpu["serial"] = cpu_seconds() - c0
        c0 = cpu_seconds()
        go(f"processes ({w})", backend="processes", workers=w)
        cpu["processes"] = cpu_seconds() - c0
        c0 = cpu_seconds()
        import logging

        import distributed

        def local_cluster():
            return distributed.LocalCluster(n_workers=w, threads_per_worker=1, processes=True,
                                            dashboard_address=None, silence_logs=logging.ERROR,
                                            env=dict(sweep.THREAD_ENV))

        c0 = cpu_seconds()  # CPU of starting and stopping an idle cluster, charged separately
        with local_cluster() as idle, distributed.Client(idle) as cl:
            cl.wait_for_workers(w)
            cl.submit(os.getpid).result()
        cpu["dask_idle"] = cpu_seconds() - c0
        t0 = time.perf_counter()
        cluster = distributed.LocalCluster(n_workers=w, threads_per_worker=1, processes=True,
                                           dashboard_address=None, silence_logs=logging.ERROR,
                                           env=dict(sweep.THREAD_ENV))
        client = distributed.Client(cluster)
        client.wait_for_workers(w)
        startup = time.perf_counter() - t0
        print(f"  dask LocalCluster({w} x 1 thread) start-up {startup:.2f} s (not charged)")
        try:
            go(f"dask ({w})", backend="dask", scheduler=client)
        finally:
            client.close()
            cluster.close()
        # worker CPU is charged to this process when the workers exit; the start-up share is
        # estimated from the parent's CPU during start-up
        cpu["dask"] = cpu_seconds() - c0  # includes cluster start-up and shutdown

    n = args.runs
    ts, cs, _ = rows["serial"]
    mean_run = cs / n
    print(f"\n  mean run time (serial, in-run) {mean_run:.3f} s; {n} runs; W = {w}")
    for label in rows:
        if label == "serial":
            continue
        wall, comp, nw = rows[label]
        eff = ts / (nw * wall)
        over = (nw * wall - comp) / n
        print(f"  {label:<22} speed-up {ts / wall:5.2f}x  efficiency T_s/(W T_p) = {eff:5.2f}  "
              f"overhead/run {1e3 * over:7.1f} ms = {100 * over / mean_run:5.1f} % of a run  "
              f"(in-run time {comp / cs:5.2f}x serial)")
    print("\n  CPU seconds of the whole sweep (this process + its worker processes; robust to "
          "other load on the machine):")
    d_extra = cpu["dask"] - cpu["dask_idle"] - cpu["serial"]
    p_extra = cpu["processes"] - cpu["serial"]
    print(f"    serial {cpu['serial']:.2f} s; processes {cpu['processes']:.2f} s "
          f"({1e3 * p_extra / n:+.1f} ms per run = {100 * p_extra / cpu['serial']:+.1f} %); "
          f"dask {cpu['dask']:.2f} s, of which {cpu['dask_idle']:.2f} s starting/stopping the "
          f"cluster -> {1e3 * d_extra / n:+.1f} ms per run = "
          f"{100 * d_extra / cpu['serial']:+.1f} %")
    wall_p = rows[f"processes ({w})"][0]
    wall_d, comp_d, nw_d = rows[f"dask ({w})"]
    eff_p = ts / (w * wall_p)
    dask_over = (nw_d * wall_d - comp_d) / n / mean_run
    print(f"\n  target: parallel efficiency >= 0.80 on {w} cores: {eff_p:.2f} "
          f"{'PASS' if eff_p >= 0.8 else 'FAIL'}")
    print(f"  target: dask overhead per run <= 10 %: {100 * dask_over:.1f} % "
          f"{'PASS' if dask_over <= 0.10 else 'FAIL'}; dask wall / process wall = "
          f"{wall_d / wall_p:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
