"""Benchmark: a posterior ensemble of N members vs N plain runs of the same scenario.

An ensemble member differs from the nominal scenario only in remodelling parameters, so the
pipeline reuses the memoised session stages (penetration, RF, growth-factor signalling) and a
member costs one remodelling integration and the result assembly. N plain runs recompute
every stage (the session cache is cleared before each, as N separate ``dermsim run`` calls
would).

Usage::

    python benchmarks/bench_ensemble.py [--members 64] [--plain 64] [--scenario baseline]
                                        [--h-um 10] [--posterior FILE] [--workers 1]

``--plain`` runs fewer plain runs and extrapolates linearly (each plain run is the same work).
Prints both wall times and their ratio (one machine, one run; shared machines are noisy).
"""

from __future__ import annotations

import os

os.environ.setdefault("NUMBA_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse
import platform
import time
import warnings


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--members", type=int, default=64)
    ap.add_argument("--plain", type=int, default=None,
                    help="plain runs actually timed (default: --members)")
    ap.add_argument("--scenario", default="baseline")
    ap.add_argument("--h-um", type=float, default=None, help="override grid.h_um")
    ap.add_argument("--posterior", default=None, help="posterior file (default: shipped)")
    ap.add_argument("--workers", type=int, default=1, help="processes for the members")
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
    print(f"# {platform.processor() or platform.machine()}, scenario {sc.name}, "
          f"h = {sc.grid.h_um:g} um, {args.members} members")

    clear_cache()
    t0 = time.perf_counter()
    dermsim.simulate(sc)  # the nominal run that `dermsim run --ensemble` does first
    t_nominal = time.perf_counter() - t0
    ens = run_ensemble(sc, members, workers=args.workers)
    t_ens = t_nominal + float(ens.attrs["seconds"])

    n_plain = args.plain or args.members
    t0 = time.perf_counter()
    for m in members[:n_plain]:
        clear_cache()
        dermsim.simulate(dermsim.with_overrides(sc, m))
    t_plain = (time.perf_counter() - t0) * args.members / n_plain
    print(f"nominal run                 {t_nominal:8.1f} s")
    print(f"nominal + {args.members}-member ensemble {t_ens:8.1f} s "
          f"({ens.attrs['seconds'] / args.members:.2f} s per member)")
    print(f"{args.members} plain runs              {t_plain:8.1f} s"
          + (f" (extrapolated from {n_plain})" if n_plain != args.members else ""))
    print(f"speed-up                    {t_plain / t_ens:8.1f} x")
    q = ens["collagen_I_change_pct"].values
    print(f"collagen I change, dermis   {q[1]:+.1f} % ({q[0]:.1f} to {q[2]:.1f} %)")


if __name__ == "__main__":
    main()
