"""Benchmark of the RF stage against its performance targets.

Measures, on the default scenario grid of the 49-pin insulated tip and on the 400 x 800
reference grid (h = 10 µm, 8 × 4 mm):

1. one RF pulse end to end (potential solve + steady state + 100 ms at 5 ms + 2 s of cooling
   + damage + Dataset), after the numba cache is warm, with the potential cache cleared
   (target: <= 3 s on the default grid) and with the potential cached;
2. the potential solve: pyamg Ruge–Stüben + CG vs SuperLU (MMD_AT_PLUS_A), setup + solve;
3. the accuracy of the default step (5 ms) against a 0.5-ms reference: peak temperature and
   coagulated area (T4: <= 0.05 K and <= 1 %).

Usage::

    python benchmarks/bench_rf.py            # default + 400x800
    python benchmarks/bench_rf.py --large    # also 1000 x 2000 (h = 5 µm) potential solves
    python benchmarks/bench_rf.py --quick    # default scenario grid only

Prints absolute times, ratios and the machine.
"""

from __future__ import annotations

import argparse
import os
import platform
import time

import numpy as np


def machine() -> str:
    import numba

    try:
        with open("/proc/cpuinfo") as fh:
            model = next((ln.split(":", 1)[1].strip() for ln in fh if ln.startswith("model name")),
                         platform.processor())
    except OSError:
        model = platform.processor()
    return (f"{model}; {os.cpu_count()} cpus; numba threads {numba.get_num_threads()}; "
            f"python {platform.python_version()}; numpy {np.__version__}")


def best_of(fn, n: int = 3) -> tuple[float, object]:
    best, out = np.inf, None
    for _ in range(n):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def bench_pulse(label: str, grid, tip, cfg, repeats: int = 3) -> None:
    from dermsim import thermal

    def cold() -> object:
        thermal.clear_potential_cache()
        return thermal.simulate_rf_pulse(grid, tip, cfg)

    t_cold, ds = best_of(cold, repeats)
    t_warm, _ = best_of(lambda: thermal.simulate_rf_pulse(grid, tip, cfg), repeats)
    a = ds.attrs
    print(f"\n[{label}] grid {grid.nz} x {grid.nx} (h = {grid.h * 1e6:g} um), "
          f"{a['time_steps']} steps, {float(ds['energy_per_pin_mJ']):.1f} of "
          f"{float(ds['energy_requested_per_pin_mJ']):.1f} mJ/pin delivered, peak "
          f"{a['peak_temperature_max_C']:.1f} degC, limiter {a['limiter']} acted for "
          f"{float(ds['limited_time_ms']):.0f} ms, {a['sigma_resolves']:.0f} potential re-solves")
    print(f"  one pulse, potential solved : {t_cold:6.3f} s   (target <= 3 s)")
    print(f"  one pulse, potential cached : {t_warm:6.3f} s")
    print(f"  breakdown (last run): steady state {a['steady_state_wall_s']:.3f} s, "
          f"stepping+damage {a['stepping_wall_s']:.3f} s "
          f"({1e3 * a['stepping_wall_s'] / max(1, a['time_steps']):.2f} ms/step)")


def bench_potential(label: str, grid, tip) -> None:
    from dermsim.thermal import layout_for_tip, solve_potential

    lay, _ = layout_for_tip(grid.nz, grid.nx, grid.h, tip, tip.needle_length_um * 1e-6, True)
    sig = grid.property_field("sigma")
    res = {}
    for method in ("amg", "splu"):
        t, sol = best_of(lambda m=method: solve_potential(sig, grid.h, lay, m, rtol=1e-8,
                                                          use_cache=False), 2)
        res[method] = (t, sol)
    (ta, a), (ts, s) = res["amg"], res["splu"]
    print(f"  potential {label} ({grid.nz * grid.nx / 1e6:.2f} M cells): "
          f"AMG-CG setup {a.setup_s:.3f} + solve {a.solve_s:.3f} s ({a.iterations} it), "
          f"total {ta:.3f} s | splu factor {s.setup_s:.3f} + solve {s.solve_s:.3f} s, "
          f"total {ts:.3f} s | splu/AMG = {ts / ta:.1f}x | "
          f"power rel. diff {abs(a.power_per_m / s.power_per_m - 1):.1e}")


def bench_accuracy(grid, tip, cfg) -> None:
    from dermsim.thermal import simulate_rf_pulse

    ref = simulate_rf_pulse(grid, tip, cfg.replace(dt_pulse_ms=0.5, dt_cooling_max_ms=5.0))
    run = simulate_rf_pulse(grid, tip, cfg)
    dpk = float(run["max_temperature_C"].max() - ref["max_temperature_C"].max())
    a_ref = float(ref["coag_area_mm2_per_pin"])
    da = (float(run["coag_area_mm2_per_pin"]) / a_ref - 1.0) if a_ref > 0 else float("nan")
    de = float(run["energy_per_pin_mJ"]) / float(ref["energy_per_pin_mJ"]) - 1.0
    print(f"  accuracy of dt = {cfg.dt_pulse_ms:g} ms / {cfg.dt_cooling_max_ms:g} ms vs "
          f"0.5 / 5 ms ({cfg.power_W:g} W, limiter {cfg.limiter}, "
          f"limited {float(run['limited_time_ms']):.0f} ms): peak T {dpk:+.4f} K, coagulated "
          f"area {100 * da:+.2f} %, delivered energy {100 * de:+.2f} % "
          f"(targets <= 0.05 K, <= 1 %)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--large", action="store_true", help="also 1000 x 2000 potential solves")
    ap.add_argument("--quick", action="store_true",
                    help="default scenario grid only (no 400 x 800 grid, no Profound preset)")
    args = ap.parse_args()

    from dermsim.config import load_scenario
    from dermsim.pipeline import build_grid
    from dermsim.thermal import RFConfig, simulate_rf_pulse
    from dermsim.tissue import make_grid, site_stack

    print("machine:", machine())
    scen = load_scenario({"device": {"preset": "rf_insulated_49"}})
    grid, devices = build_grid(scen)
    tip = devices[0]
    cfg = RFConfig()
    # warm the numba cache and imports (not timed)
    t0 = time.perf_counter()
    simulate_rf_pulse(make_grid(site_stack("cheek"), width_um=500.0, depth_um=3000.0), tip, cfg)
    print(f"warm-up (imports + JIT cache load or compile): {time.perf_counter() - t0:.2f} s")

    bench_pulse("default scenario grid", grid, tip, cfg)
    bench_pulse("default scenario grid, constant properties (no sigma(T), no desiccation)",
                grid, tip, cfg.replace(sigma_temp_coeff_per_K=0.0, desiccation=False,
                                       limiter="power"))
    bench_pulse("default scenario grid, no needle conduction", grid, tip,
                cfg.replace(needle_conduction=False))
    bench_potential("default", grid, tip)
    bench_accuracy(grid, tip, cfg)
    bench_accuracy(grid, tip, cfg.replace(power_W=8.0))
    if args.quick:
        return

    ref_grid = make_grid(site_stack("cheek"), h_um=10.0, width_um=8000.0, depth_um=4000.0)
    bench_pulse("reference grid 400 x 800", ref_grid, tip, cfg, repeats=2)
    bench_potential("400x800", ref_grid, tip)

    from dermsim.devices import make_device
    from dermsim.thermal import default_rf_config

    prof = make_device({"preset": "rf_profound_5pair"})
    pscen = load_scenario({"device": {"preset": "rf_profound_5pair"}})
    pgrid, _ = build_grid(pscen)
    bench_pulse("Profound-like preset (72 degC x 4 s, contact cooling)", pgrid, prof,
                default_rf_config("rf_profound_5pair"), repeats=1)

    if args.large:
        big = make_grid(site_stack("cheek"), h_um=5.0, width_um=10000.0, depth_um=5000.0)
        bench_potential("1000x2000", big, tip)


if __name__ == "__main__":
    main()
