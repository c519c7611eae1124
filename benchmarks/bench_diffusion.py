"""Benchmarks of the diffusion kernels and of the growth-factor acute window (one thread).

Prints, for this machine and this run (shared machines are noisy: compare ratios measured in the
same run, and repeat):

1. STREAM-triad bandwidth (numba, one thread) and the derived bound for a 24-byte cell update.
2. Explicit variable-D 5-point step: numba kernel vs the vectorised numpy reference (precomputed
   face coefficients, in place), Mcell/s and fraction of the triad bound.
3. ADI step (Peaceman–Rachford, cyclic x / Robin z) vs explicit step; factor rebuild cost.
4. The 7-day acute window (TGF-β1, PDGF, topical product + intact-skin comparison) on the default
   scenario grid and on a 1000 x 2000 grid, warm JIT cache.

Usage::

    python benchmarks/bench_diffusion.py [--quick]

Targets (performance goals): numba/numpy >= 4x; >= 50 % of the one-thread triad bound;
7-day window on the default grid <= 2 s warm.
"""

from __future__ import annotations

import os

os.environ.setdefault("NUMBA_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse
import platform
import time
from collections.abc import Callable

import numba
import numpy as np
from numba import njit

from dermsim import numerics as S


def best(f: Callable[[], object], repeat: int = 7, number: int = 1) -> tuple[float, float]:
    """Best and median time per call [s]."""
    ts = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        for _ in range(number):
            f()
        ts.append((time.perf_counter() - t0) / number)
    return min(ts), float(np.median(ts))


def machine() -> str:
    cpu = platform.processor() or "?"
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    load = os.getloadavg() if hasattr(os, "getloadavg") else (float("nan"),) * 3
    return (f"{cpu}; {os.cpu_count()} logical CPUs; load avg {load[0]:.2f} {load[1]:.2f} "
            f"{load[2]:.2f}\nPython {platform.python_version()}, numpy {np.__version__}, "
            f"numba {numba.__version__} (threads {numba.config.NUMBA_NUM_THREADS})")


@njit(cache=True)
def _triad(a: np.ndarray, b: np.ndarray, c: np.ndarray, s: float) -> None:
    for i in range(a.size):
        a[i] = b[i] + s * c[i]


def triad_bandwidth(n_bytes: int) -> float:
    """STREAM triad bandwidth [B/s] on three arrays of ``n_bytes`` each (24 B per element)."""
    n = n_bytes // 8
    a = np.empty(n)
    b = np.random.default_rng(0).random(n)
    c = np.random.default_rng(1).random(n)
    _triad(a, b, c, 3.0)
    t, _ = best(lambda: _triad(a, b, c, 3.0), repeat=7)
    return 24.0 * n / t


def layered_problem(nz: int, nx: int, h: float) -> tuple[np.ndarray, ...]:
    """Epidermis/dermis diffusivities with 30-um channels (two-layer slab with sharp channels)."""
    z = (np.arange(nz) + 0.5) * h
    kc = np.where(z < 75e-6, 1e-11, 3e-11)[:, None] * np.ones((1, nx))
    x = (np.arange(nx) + 0.5) * h
    chan = (np.abs((x % 500e-6) - 250e-6) < 15e-6)[None, :] & (z < 1e-3)[:, None]
    kc[chan] = 1e-10
    fx, fz = S.face_coefficients(kc)
    return kc, fx, fz


def bench_kernels(nz: int, nx: int, bound_cells: float) -> None:
    h = 5e-6
    _, fx, fz = layered_problem(nz, nx, h)
    rng = np.random.default_rng(0)
    u = rng.random((nz, nx))
    out = np.empty_like(u)
    dt = 0.5 * S.explicit_dt_limit(fx, fz, h, 1e-4)
    S.explicit_step(u, out, fx, fz, dt, h, 1e-4)
    te, te_med = best(lambda: S.explicit_step(u, out, fx, fz, dt, h, 1e-4), repeat=15)
    work = (np.empty((nz, nx)), np.empty((nz + 1, nx)))
    tn, _ = best(lambda: S.explicit_step_reference(u, out, fx, fz, dt, h, 1e-4, work=work),
                 repeat=7)
    cells = nz * nx
    print(f"  explicit step  numba {te * 1e3:7.2f} ms (median {te_med * 1e3:.2f})  "
          f"{cells / te / 1e6:6.0f} Mcell/s = {cells / te / bound_cells:5.1%} of the triad bound")
    print(f"                 numpy {tn * 1e3:7.2f} ms  {cells / tn / 1e6:6.0f} Mcell/s   "
          f"numba/numpy = {tn / te:.1f}x")
    sol = S.ADISolver(h, 1.0, fx, fz)
    q = rng.random((nz, nx)) * 1e-3
    sol.step(u, 30.0, q)
    ta, _ = best(lambda: sol.step(u, 30.0, q), repeat=9)
    ta0, _ = best(lambda: sol.step(u, 30.0), repeat=9)

    def rebuild() -> None:
        sol._xf.clear()
        sol._zf.clear()
        sol._factors(15.0)

    tf, _ = best(rebuild, repeat=7)
    print(f"  ADI step (PR)  {ta0 * 1e3:7.2f} ms, with source {ta * 1e3:.2f} ms  "
          f"= {ta0 / te:.1f}x / {ta / te:.1f}x an explicit step;  factor rebuild "
          f"{tf * 1e3:.2f} ms = {tf / ta0:.2f} ADI steps")
    lim = S.explicit_dt_limit(fx, fz, h)
    print(f"  explicit stability limit {lim:.3g} s: one ADI step at 30 s replaces "
          f"{30 / lim:.0f} explicit steps ({30 / lim * te / ta0:.0f}x less work)")


def acute_window(overrides: dict, repeat: int) -> None:
    from dermsim import pipeline
    from dermsim import signalling as sg
    from dermsim.config import load_scenario

    sc = load_scenario(overrides)
    grid, devices = pipeline.build_grid(sc)
    st = pipeline.run_penetration(sc, grid, devices)[0]
    kw = sg.session_inputs(grid, st.injury, st.result)
    sg.run_acute_window(grid, st.injury, cfg=sg.SignallingConfig(window_day=0.05), **kw)  # JIT
    walls = []
    ds = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        ds = sg.run_acute_window(grid, st.injury, **kw)
        walls.append(time.perf_counter() - t0)
    assert ds is not None
    steps = [int(x) for x in ds["gf_steps"].values]
    print(f"  grid {grid.nz} x {grid.nx} (h = {grid.h * 1e6:g} um, {grid.nz * grid.nx / 1e6:.2f} "
          f"Mcells), device {sc.device_preset}: 7-day window best {min(walls):.2f} s "
          f"(runs: {', '.join(f'{w:.2f}' for w in walls)})")
    print(f"    steps: growth factors {steps} (common time grid), topical "
          f"{ds.attrs.get('topical_steps')} + intact-skin column; "
          f"snapshots {list(ds['snapshot_time'].values)} h")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="skip the 1000 x 2000 acute window")
    args = ap.parse_args()
    print("machine:", machine())
    bw_dram = triad_bandwidth(256 * 2**20)
    bw_grid = triad_bandwidth(16 * 2**20)
    print(f"STREAM triad, numba, 1 thread: {bw_dram / 1e9:.1f} GB/s (3 x 256 MiB), "
          f"{bw_grid / 1e9:.1f} GB/s (3 x 16 MiB) -> bound {bw_dram / 24 / 1e6:.0f} / "
          f"{bw_grid / 24 / 1e6:.0f} Mcell/s at 24 B/cell")
    for nz, nx in ((1000, 2000), (400, 800)):
        print(f"kernels at {nz} x {nx} (bound from the 256 MiB triad):")
        bench_kernels(nz, nx, bw_dram / 24)
    print("7-day acute window (warm JIT cache, one thread):")
    acute_window({}, repeat=3)
    if not args.quick:
        acute_window({"grid": {"h_um": 5.0, "width_um": 9950.0, "depth_um": 4975.0}},
                     repeat=1)


if __name__ == "__main__":
    main()
