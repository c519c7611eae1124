"""The ``dermsim calibrate`` command: sample the posterior of parameter cards against the
literature registry and write it as a small NetCDF ensemble with its figures."""

from __future__ import annotations

import argparse
import math
from pathlib import Path
from typing import Any

__all__ = ["add_cli", "cmd_calibrate", "compare_bands", "predictive_table", "print_posterior",
           "run_ensemble_for"]


def print_posterior(post: Any, command: str = "calibrate") -> None:
    """Posterior summary: median and 5–95 % of every parameter beside its card value, the
    autocorrelation times, and the predictive band of every observation."""
    import numpy as np

    print(f"dermsim {command}: {post.attrs['walkers']} walkers × {post.attrs['steps']} steps "
          f"(burn-in {post.attrs['burn']}), acceptance {post.attrs['acceptance_fraction']:.2f}")
    n_after = post.attrs["steps"] - post.attrs["burn"]
    from_posterior = post.attrs.get("prior", "parameter cards") != "parameter cards"
    if from_posterior:
        print(f"  prior: {post.attrs['prior']}")
    centre = "prior" if from_posterior else "card"
    for j, name in enumerate(post["parameter"].values):
        v = post["value"].values[:, j]
        q = np.quantile(v, [0.05, 0.5, 0.95])
        tau = float(post["autocorr_time"].values[j])
        print(f"  {name:<45} {q[1]:.4g} ({q[0]:.4g}–{q[2]:.4g}) {post['unit'].values[j]}"
              f"   {centre} {post['prior_value'].values[j]:.4g} [{post['tag'].values[j]}]"
              f"   τ {tau:.1f} steps")
    if not post.attrs.get("converged"):
        print(f"  note: chains of {n_after} steps after burn-in are shorter than 50 "
              "autocorrelation times: run more --steps for a converged posterior")
    if "predictive" in post:
        print("  observation                  observed          model 5–95 %        inside")
        for k, oid in enumerate(post["observation"].values):
            y, sd = float(post["observed"].values[k]), float(post["observed_sd"].values[k])
            q = post["predictive"].values[:, k]
            # inside: the observed value ± sd overlaps the model's 5–95 % band
            inside = "yes" if q[0] - sd <= y <= q[2] + sd else "no"
            obs = f"{y:.4g} ± {sd:.2g}" if math.isfinite(y) else "direction"
            unit = post["observed_unit"].values[k]
            print(f"  {oid:<28} {obs:<17} {q[0]:.4g}–{q[2]:.4g} {unit:<6} {inside}")


def predictive_table(post: Any) -> str:
    """Markdown table: observation, observed ± sd, posterior predictive 5–95 %, inside (the
    observed value ± sd overlaps the band)."""
    lines = ["| observation | observed | posterior predictive 5–95 % | inside |",
             "|---|---|---|---|"]
    for k, oid in enumerate(post["observation"].values):
        y, sd = float(post["observed"].values[k]), float(post["observed_sd"].values[k])
        q = post["predictive"].values[:, k]
        unit = post["observed_unit"].values[k]
        inside = "yes" if q[0] - sd <= y <= q[2] + sd else "no"
        lines.append(f"| `{oid}` | {y:.4g} ± {sd:.2g} {unit} | {q[0]:.4g}–{q[2]:.4g} {unit} "
                     f"| {inside} |")
    return "\n".join(lines)


def cmd_calibrate(args: argparse.Namespace) -> int:
    from dermsim.calibration.sampler import DEFAULT_PARAMETERS, calibrate
    from dermsim.io import check_output_file, save_figure, write_netcdf

    out = Path(args.output)
    check_output_file(out, "-o")
    params = [p for item in (args.param or []) for p in item.split(",") if p] \
        or list(DEFAULT_PARAMETERS)
    ids = [i for item in (args.observation or []) for i in item.split(",") if i] or None
    grid = {"h_um": args.h_um, "width_um": args.width_um}
    post = calibrate(params, ids, walkers=args.walkers, steps=args.steps, burn=args.burn,
                     members=args.members, predictive_members=args.predictive, seed=args.seed,
                     grid=grid, progress=not args.quiet, column_um=args.column_um,
                     workers=args.workers)
    import sys

    post.attrs["command"] = "dermsim calibrate " + " ".join(sys.argv[2:])
    written = [write_netcdf(post, out)]
    if not args.no_figure:
        from dermsim.viz.calibration import predictive_figure, prior_posterior_figure

        written.append(save_figure(prior_posterior_figure(post), out.with_suffix(".png")))
        if "predictive" in post:
            written.append(save_figure(predictive_figure(post),
                                       out.with_name(out.stem + "_predictive.png")))
    if not args.quiet:
        print_posterior(post)
        if "registry_predictive" in post:
            from dermsim.calibration.check import registry_table

            print("  registry check (every observation the model computes):")
            print("\n".join("  " + line for line in registry_table(post).splitlines()))
        for p in written:
            print(f"  wrote {p}")
    return 0


def add_cli(subparsers: Any, epilog: str) -> None:
    """Register ``dermsim calibrate`` on an argparse subparsers object."""
    p = subparsers.add_parser(
        "calibrate", help="Bayesian calibration of parameter cards against the literature",
        description="Sample the posterior of parameter cards (priors from their values, "
                    "ranges and evidence tags) given the literature registry (emcee), and "
                    "write FILE (NetCDF posterior ensemble), FILE.png (prior vs posterior) and "
                    "FILE_predictive.png; every checkable registry observation is re-run for "
                    "the predictive check. Shipped posterior: dermsim calibrate --walkers 16 "
                    "--steps 400 --workers 2 (about an hour on 2 cores); CI size: --walkers "
                    "12 --steps 3 --predictive 2.", epilog=epilog)
    p.add_argument("--param", action="append", metavar="CARD",
                   help="a parameter card to calibrate (repeatable or comma-separated; "
                        "default: the remodelling timing, magnitude and erythema cards)")
    p.add_argument("--observation", action="append", metavar="ID",
                   help="registry observation to fit (default: every 'calibration' row the "
                        "parameters inform)")
    p.add_argument("--walkers", type=int, help="emcee walkers (default 2 × parameters + 2)")
    p.add_argument("--steps", type=int, default=200, help="steps per walker (default 200)")
    p.add_argument("--burn", type=int, help="discarded steps (default steps / 3)")
    p.add_argument("--members", type=int, default=64,
                   help="posterior draws kept in the file (default 64)")
    p.add_argument("--predictive", type=int, default=16, metavar="N",
                   help="members re-run for the posterior predictive bands (default 16; 0 off)")
    p.add_argument("--h-um", type=float, default=20.0, help="grid cell of the study runs [um]")
    p.add_argument("--width-um", type=float, default=3000.0, help="slice width [um]")
    p.add_argument("--column-um", type=float, default=250.0, metavar="UM",
                   help="remodelling column width of the study runs [um] (default 250: "
                        "3.4x cheaper than 50, timing observations move < 0.05 day)")
    p.add_argument("--workers", type=int, default=1,
                   help="processes evaluating walkers in parallel (default 1)")
    p.add_argument("--seed", type=int, default=0, help="sampler seed")
    p.add_argument("-o", "--output", default="out/posterior.nc", metavar="FILE",
                   help="posterior file (default out/posterior.nc)")
    p.add_argument("--no-figure", action="store_true", help="do not draw the figures")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress or summary")
    p.set_defaults(func=cmd_calibrate)


#: Members run by ``dermsim run --posterior FILE`` without ``--ensemble``.
DEFAULT_MEMBERS = 16
#: Outcomes printed with their band after ``dermsim run --ensemble``.
BAND_OUTCOMES: tuple[str, ...] = ("collagen_I_change_pct", "collagen_III_change_pct",
                                  "collagen_I_change_papillary_pct", "downtime_h",
                                  "peak_inflammation")


def run_ensemble_for(scenario: Any, n: int | None, posterior: str | None, out_dir: Path,
                     figure: bool, quiet: bool, workers: int | None = None,
                     dask: str | None = None) -> list[Path]:
    """The ensemble part of ``dermsim run``: ``n`` members (default ``[uncertainty]
    members``) of the posterior (default ``[uncertainty] posterior``, else the shipped one)
    run by ``workers`` processes or on the dask cluster ``dask`` (defaults: the
    ``[uncertainty]`` table); writes NAME_ensemble.nc (and .png) and prints the outcome
    bands. No-op when n is 0."""
    import sys

    from dermsim.calibration.ensemble import band_text, run_ensemble
    from dermsim.calibration.posterior import draw_members, open_posterior
    from dermsim.errors import ConfigError
    from dermsim.io import save_figure, write_netcdf

    unc = scenario.stage("uncertainty")
    if n is None:
        n = unc.members or (DEFAULT_MEMBERS if posterior else 0)
    if n == 0:
        return []
    if n < 2:
        raise ConfigError("--ensemble", n, "a whole number >= 2 (or 0 for none)")
    post = open_posterior(posterior or unc.posterior or None)
    members = draw_members(post, n, unc.seed)
    bar = None
    if not quiet and sys.stderr.isatty():
        from tqdm import tqdm

        bar = tqdm(total=n, unit="member", file=sys.stderr, leave=False)
    if workers is not None and workers < 1:
        raise ConfigError("--workers", workers, "a whole number >= 1")
    ens = run_ensemble(scenario, members, workers=workers or unc.workers,
                       dask=dask or unc.dask or None, column_um=unc.member_column_um,
                       progress=(lambda i, _n: bar.update(i - bar.n)) if bar is not None
                       else None)
    if bar is not None:
        bar.close()
    ens.attrs["posterior"] = str(posterior or unc.posterior or "shipped default")
    written = [write_netcdf(ens, out_dir / f"{scenario.name}_ensemble.nc")]
    if figure:
        from dermsim.viz.calibration import ensemble_figure

        written.append(save_figure(ensemble_figure(ens), out_dir / f"{scenario.name}_ensemble.png"))
    if not quiet:
        from dermsim.schema import get

        print(f"dermsim run: {n} posterior members (median and 5–95 %), "
              f"{ens.attrs['seconds']:.1f} s ({ens.attrs['workers']} worker(s), "
              f"{ens.attrs['backend']})")
        for key in BAND_OUTCOMES:
            if key in ens:
                fmt = "{:+.0f}" if key.endswith("_pct") else "{:.3g}"
                name = get(key).label.rsplit(" [", 1)[0]
                print(f"  {name:<40} {band_text(ens, key, fmt)}")
    return written


def compare_bands(scenarios: list[Any], table: Any, n: int | None, posterior: str | None,
                  workers: int | None = None, dask: str | None = None,
                  quiet: bool = True) -> list[Any]:
    """The ensemble part of ``dermsim compare``: for every scenario, ``n`` posterior members
    (default its ``[uncertainty] members``; 0: none), with the collagen outcomes at the
    scenario's comparison day (``table["compared_day"]``).

    Adds ``<outcome>_band(scenario, quantile)`` (0.05/0.5/0.95; NaN for a scenario without
    members) to ``table`` in place and returns each scenario's ensemble Dataset (None
    without members).
    """
    import numpy as np

    from dermsim import schema
    from dermsim.calibration.ensemble import QUANTILES, run_ensemble
    from dermsim.calibration.posterior import draw_members, open_posterior
    from dermsim.errors import ConfigError

    if workers is not None and workers < 1:
        raise ConfigError("--workers", workers, "a whole number >= 1")
    out: list[Any] = []
    for k, sc in enumerate(scenarios):
        unc = sc.stage("uncertainty")
        m = unc.members if n is None else n
        if m == 0:
            out.append(None)
            continue
        if m < 2:
            raise ConfigError("--ensemble", m, "a whole number >= 2 (or 0 for none)")
        post = open_posterior(posterior or unc.posterior or None)
        day = float(table["compared_day"].values[k]) if "compared_day" in table else None
        ens = run_ensemble(sc, draw_members(post, m, unc.seed), workers=workers or unc.workers,
                           dask=dask or unc.dask or None, at_day=day,
                           column_um=unc.member_column_um)
        ens.attrs["posterior"] = str(posterior or unc.posterior or "shipped default")
        out.append(ens)
        if not quiet:
            print(f"dermsim compare: {sc.name}: {m} posterior members, "
                  f"{ens.attrs['seconds']:.1f} s")
    if any(e is not None for e in out):
        table.coords["quantile"] = ("quantile", list(QUANTILES),
                                    {"long_name": "quantile over posterior members"})
        for key in schema.OUTCOME_NAMES:
            if key not in table:
                continue
            q = np.array([e[key].values if e is not None else np.full(3, np.nan)
                          for e in out], dtype=float)
            attrs = dict(table[key].attrs)
            attrs["long_name"] = attrs.get("long_name", key) + " (posterior 5/50/95 %)"
            table[f"{key}_band"] = (("scenario", "quantile"), q, attrs)
        table.attrs["ensemble_members"] = str([0 if e is None else e.attrs["members"]
                                               for e in out])
    return out
