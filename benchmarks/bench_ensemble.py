"""Benchmark: a posterior ensemble of N members vs N plain runs of the same scenario.

An ensemble member differs from the nominal scenario only in remodelling parameters, so the
session stages (penetration, RF, growth-factor signalling) and their part of the result are
computed once (``dermsim.pipeline.run_sessions``) and a member runs only the remodelling
stage and its outputs (``dermsim.pipeline.finish_run``). N plain runs recompute every stage
(the session cache is cleared before each, as N separate ``dermsim run`` calls would).

The ensemble is timed on one core (members in this process) and on all cores (one worker
process per core, each computing the session stages once; ``--dask ADDRESS`` for a dask
cluster instead). Members run on coarse remodelling columns (``[uncertainty]
member_column_um``, 250 µm) and are corrected by the nominal run's fine-minus-coarse
difference (``--exact`` also times members at the scenario's own columns and prints the
largest difference). Members are integrated one by one: stacking them as extra cells of one
stiff solve was measured slower per member (LSODA's cost per step grows linearly with the
unknowns and the Python overhead it would share is small for a grid of ~1500 cells).

Usage::

    python benchmarks/bench_ensemble.py [--members 64] [--plain 64] [--scenario baseline]
                                        [--h-um 10] [--posterior FILE] [--workers N]
                                        [--dask ADDRESS]

``--plain`` runs fewer plain runs and extrapolates linearly (each plain run is the same work).
``--workers 0`` skips the multi-core ensemble. Prints the machine (cores, load average before
and after), the wall times and their ratios (one machine, one run; shared machines are noisy).
"""

from __future__ import annotations

import os

os.environ.setdefault("NUMBA_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse
import platform
import time
import warnings


def _machine() -> str:
    load = ", ".join(f"{v:.1f}" for v in os.getloadavg())
    return (f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
            f"load average {load}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--members", type=int, default=64)
    ap.add_argument("--plain", type=int, default=None,
                    help="plain runs actually timed (default: --members)")
    ap.add_argument("--scenario", default="baseline")
    ap.add_argument("--h-um", type=float, default=None, help="override grid.h_um")
    ap.add_argument("--posterior", default=None, help="posterior file (default: shipped)")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                    help="processes of the multi-core ensemble (default: all cores; 0: skip)")
    ap.add_argument("--exact", action="store_true",
                    help="also time members at the scenario's own remodelling columns")
    ap.add_argument("--dask", default=None, help="dask scheduler address for the multi-core "
                                                 "ensemble ('local': a local cluster)")
    args = ap.parse_args()

    import dermsim
    from dermsim.calibration.ensemble import run_ensemble
    from dermsim.calibration.posterior import draw_members, open_posterior
    from dermsim.pipeline import clear_cache

    sc = dermsim.load_scenario(args.scenario)
    if args.h_um:
        sc = dermsim.with_overrides(sc, {"grid.h_um": args.h_um})
    members = draw_members(open_posterior(args.posterior), args.members)
    warnings.simplefilter("ignore", RuntimeWarning)
    n = args.members
    print(f"# {_machine()}")
    print(f"# scenario {sc.name}, h = {sc.grid.h_um:g} um, {n} members")

    clear_cache()
    t0 = time.perf_counter()
    dermsim.simulate(sc)  # the nominal run that `dermsim run --ensemble` does first
    t_nominal = time.perf_counter() - t0
    col = sc.stage("uncertainty").member_column_um  # what `dermsim run --ensemble` uses
    ens = run_ensemble(sc, members, column_um=col)
    t_one = t_nominal + float(ens.attrs["seconds"])
    t_exact = None
    if args.exact:
        ex = run_ensemble(sc, members, column_um=None)
        t_exact = t_nominal + float(ex.attrs["seconds"])
    t_all = None
    if args.workers > 1 or args.dask:
        par = run_ensemble(sc, members, workers=max(args.workers, 1), dask=args.dask,
                           column_um=col)
        t_all = t_nominal + float(par.attrs["seconds"])
        workers = f"{par.attrs['workers']} {par.attrs['backend']} workers"

    n_plain = args.plain or n
    t0 = time.perf_counter()
    for m in members[:n_plain]:
        clear_cache()
        dermsim.simulate(dermsim.with_overrides(sc, m))
    t_plain = (time.perf_counter() - t0) * n / n_plain
    print(f"nominal run                          {t_nominal:8.1f} s")
    print(f"# members on {ens.attrs['member_column_um']:g} um remodelling columns, corrected "
          f"by the nominal fine - coarse difference (scenario: "
          f"{sc.stage('remodelling').cell_width_um:g} um)")
    print(f"nominal + {n} members, one core       {t_one:8.1f} s "
          f"({ens.attrs['seconds'] / n:.2f} s per member)")
    if t_exact is not None:
        print(f"nominal + {n} exact members, one core {t_exact:8.1f} s "
              f"({(t_exact - t_nominal) / n:.2f} s per member)")
        for key in ("collagen_I_change_pct", "downtime_h"):
            d = abs(ens[f"member_{key}"].values - ex[f"member_{key}"].values)
            print(f"  {key}: corrected vs exact members, max |difference| {d.max():.3g} "
                  f"(member spread 5-95 %: {ex[key].values[0]:.3g} to {ex[key].values[2]:.3g})")
    if t_all is not None:
        print(f"nominal + {n} members, {workers:<13}{t_all:8.1f} s")
    print(f"{n} plain runs, one core              {t_plain:8.1f} s ({t_plain / n:.2f} s per run"
          + (f", extrapolated from {n_plain})" if n_plain != n else ")"))
    print(f"speed-up, one core                   {t_plain / t_one:8.1f} x")
    if t_all is not None:
        print(f"speed-up, {workers} vs plain runs on one core "
              f"{t_plain / t_all:.1f} x")
    q = ens["collagen_I_change_pct"].values
    print(f"collagen I change, dermis   {q[1]:+.1f} % ({q[0]:.1f} to {q[2]:.1f} %)")
    print(f"# {_machine()}")


if __name__ == "__main__":
    main()
