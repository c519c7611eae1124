"""Benchmark of the remodelling stage (dermsim.remodelling): bands and the 2-D grid.

Prints the machine, then:

1. one vectorised system (all bands, interleaved layout, analytic banded/sparse Jacobian)
   versus a loop of solve_ivp over the bands, N = 100 bands, 4 sessions over 6 months
   (target: vectorised >= 30x faster);
2. the vectorised system at N = 10 000 bands (target: <= 10 s);
3. the ODE alone for a 4-session, 6-month protocol at N = 40 and N = 100 bands
   (target <= 0.5 s), with solver counters, and ``simulate_remodelling`` (ODE + Dataset);
4. accuracy of the default tolerance against a Radau rtol = 1e-10 reference;
5. the coarse 2-D grid of the baseline protocol (remodelling alone, drives cached);
6. the whole baseline protocol, ``pipeline.simulate`` (target <= 5 s warm).

Usage: ``python benchmarks/bench_remodelling.py [--quick] [--calibrate]``
(``--quick`` loops over 20 bands and extrapolates x5, skips N = 10 000;
``--calibrate`` also prints :func:`dermsim.remodelling.calibration_report`).
"""

from __future__ import annotations

import argparse
import os
import platform
import time

import numpy as np
import scipy

from dermsim import remodelling as rm

SESSIONS = [0.0, 30.0, 60.0, 90.0]
T_END = 180.0


def machine() -> str:
    load = os.getloadavg() if hasattr(os, "getloadavg") else ("?",)
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return (f"{platform.platform()} | {cpu} | {os.cpu_count()} cores | load {load} | "
            f"python {platform.python_version()} numpy {np.__version__} scipy {scipy.__version__}")


def setup(n_band: int) -> tuple[np.ndarray, list[rm.SessionDrive], np.ndarray]:
    z = np.linspace(100.0, 2050.0, n_band)
    drives = rm.synthetic_protocol(SESSIONS, z, 1500.0, band_thickness_um=50.0)
    return z, drives, rm.baseline_state(n_band)


def best(fn, repeat: int) -> tuple[float, float]:
    """Best wall time and best CPU time (process_time) over ``repeat`` runs [s]."""
    wall, cpu = [], []
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return min(wall), min(cpu)


def band_drive(d: rm.SessionDrive, b: int) -> rm.SessionDrive:
    return rm.SessionDrive(
        day=d.day, band_injury=d.band_injury[b:b + 1], band_bleeding=d.band_bleeding[b:b + 1],
        gf_time_day=d.gf_time_day,
        gf_band_ng_ml={k: v[:, b:b + 1] for k, v in d.gf_band_ng_ml.items()},
        coagulated_fraction=d.coagulated_fraction[b:b + 1],
        heat_shock_fraction=d.heat_shock_fraction[b:b + 1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--calibrate", action="store_true")
    args = ap.parse_args()
    print("machine:", machine())
    print(f"protocol: {len(SESSIONS)} sessions at days {SESSIONS}, to day {T_END:g}; "
          f"{rm.N_VAR} variables per band; default {rm.DEFAULT_METHOD}, rtol {rm.DEFAULT_RTOL:g}")
    cfg = rm.RemodellingConfig()
    rm.integrate(*setup(4)[2:], 0.0, T_END, setup(4)[1], cfg)  # warm caches

    # 1. vectorised vs loop, N = 100
    n = 100
    z, drives, y0 = setup(n)
    print(f"\n[1] vectorised vs loop over bands, N = {n}")
    n_loop = 20 if args.quick else n
    per_band = [[band_drive(d, b) for d in drives] for b in range(n_loop)]
    for method, jac in (("LSODA", "analytic"), ("BDF", "analytic"), ("BDF", "sparsity")):
        tv, cv = best(lambda m=method, j=jac: rm.integrate(y0, 0.0, T_END, drives, cfg,
                                                           method=m, jac=j), 3)
        if method == "BDF" and jac == "sparsity":
            print(f"  vectorised {method:5s} jac_sparsity : wall {tv:6.3f} s, cpu {cv:6.3f} s")
            continue
        nl = n_loop if method == "LSODA" else min(n_loop, 20)
        t0, c0 = time.perf_counter(), time.process_time()
        for b in range(nl):
            rm.integrate(y0[b:b + 1], 0.0, T_END, per_band[b], cfg, method=method, jac=jac)
        tl = (time.perf_counter() - t0) * n / nl
        cl = (time.process_time() - c0) * n / nl
        ext = "" if nl == n else f" (extrapolated from {nl} bands)"
        print(f"  {method:5s} {jac:9s}: vectorised wall {tv:6.3f} s / cpu {cv:6.3f} s | loop "
              f"wall {tl:6.2f} s / cpu {cl:6.2f} s{ext} | ratio wall {tl / tv:5.1f}x, cpu "
              f"{cl / cv:5.1f}x (target >= 30x)")

    # 2. N = 10 000
    if not args.quick:
        n = 10_000
        z, drives, y0 = setup(n)
        print(f"\n[2] vectorised, N = {n}")
        for method in ("BDF", "LSODA"):
            st: dict[str, int] = {}
            t0, c0 = time.perf_counter(), time.process_time()
            rm.integrate(y0, 0.0, T_END, drives, cfg, method=method, stats=st)
            print(f"  {method:5s}: wall {time.perf_counter() - t0:7.2f} s, cpu "
                  f"{time.process_time() - c0:7.2f} s  {st}")

    # 3. protocol timing
    print("\n[3] 4-session 6-month protocol, ODE alone (best of 5; target <= 0.5 s)")
    for n in (40, 100):
        z, drives, y0 = setup(n)
        for method in ("LSODA", "BDF"):
            st = {}
            rm.integrate(y0, 0.0, T_END, drives, cfg, method=method, stats=st)
            tb, cb = best(lambda m=method, y=y0, d=drives: rm.integrate(y, 0.0, T_END, d, cfg,
                                                                        method=m), 5)
            print(f"  N = {n:3d} {method:5s}: wall {tb:6.3f} s, cpu {cb:6.3f} s  {st}")
        tb, cb = best(lambda z=z, d=drives: rm.simulate_remodelling(z, d, T_END, cfg), 3)
        print(f"  N = {n:3d} simulate_remodelling (ODE + Dataset, default outputs): wall "
              f"{tb:6.3f} s, cpu {cb:6.3f} s")

    # 4. accuracy of the default tolerance
    n = 40
    z, drives, y0 = setup(n)
    tout = np.array([7.0, 30.0, 90.0, 180.0])
    _, ref = rm.integrate(y0, 0.0, T_END, drives, cfg, tout, method="Radau", rtol=1e-10)
    print("\n[4] error vs Radau rtol=1e-10 (N = 40): max |dC|/C_baseline for collagen I, III")
    for method in ("LSODA", "BDF"):
        for rtol in sorted({1e-4, 1e-5, 1e-6, rm.DEFAULT_RTOL}, reverse=True):
            _, y = rm.integrate(y0, 0.0, T_END, drives, cfg, tout, method=method, rtol=rtol)
            e1 = np.abs(y[..., rm.iC1] - ref[..., rm.iC1]).max() / cfg.collagen_I_baseline
            e3 = np.abs(y[..., rm.iC3] - ref[..., rm.iC3]).max() / cfg.collagen_III_baseline
            print(f"  {method:5s} rtol {rtol:7.0e}: {e1:.1e}, {e3:.1e}")

    # 5. the coarse 2-D grid and the whole baseline protocol
    field(args.quick)

    if args.calibrate:
        print("\n[7] calibration report (synthetic 1.5 mm drive)")
        rep = rm.calibration_report(cfg)
        for k, v in rep.items():
            flag = "ok " if v["ok"] else ("BAD" if v["required"] else "info")
            print(f"  {flag:4s} {k:44s} {v['value']:10.4g}   target {v['target']}")


def field(quick: bool) -> None:
    """[5] the 2-D grid of the baseline (18 bands x 82 columns, 4 sessions + 182 days) with
    the drives of the pipeline (signalling cached), and [6] ``dermsim run
    configs/baseline.toml`` end to end (warm: numba compiled, session cache cleared)."""
    import tracemalloc
    import warnings
    from dataclasses import replace

    from dermsim import load_scenario, pipeline

    warnings.simplefilter("ignore")
    sc = load_scenario("configs/baseline.toml")
    grid, devices = pipeline.build_grid(sc)
    pen = pipeline.run_penetration(sc, grid, devices)
    stages = [pipeline.run_session_stages(sc, grid, sp) for sp in pen]
    drives = [replace(st.drive, day=sp.session.day) for st, sp in zip(stages, pen)]
    z = stages[0].signalling["band"].values
    cols = pipeline.remodelling_columns(sc, grid)

    def run() -> object:
        return rm.simulate_remodelling(
            z, drives, sc.protocol.end_day, sc.stage("remodelling"), band_thickness_um=50.0,
            columns=cols, column_width_um=grid.width * 1e6 / cols,
            signalling=sc.stage("signalling"), patient=sc.stage("patient"))

    run()
    tracemalloc.start()
    tb, cb = best(run, 1 if quick else 3)
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    print(f"\n[5] 2-D remodelling, baseline: {z.size} bands x {cols} columns = "
          f"{z.size * cols} cells x {rm.N_VAR}: wall {tb:6.3f} s, cpu {cb:6.3f} s, "
          f"peak Python memory {peak:.0f} MiB")

    def whole() -> object:
        pipeline.clear_cache()
        return pipeline.simulate(sc)

    whole()
    tb, cb = best(whole, 1 if quick else 3)
    print(f"[6] dermsim run configs/baseline.toml (pipeline.simulate, warm): wall {tb:6.3f} s, "
          f"cpu {cb:6.3f} s (target <= 5 s)")


if __name__ == "__main__":
    main()
