"""The ``dermsim fit`` command: fit parameter cards to a user's measurements (CSV, format in
:mod:`dermsim.calibration.fit`) with a scenario, and write a posterior that
``dermsim run --posterior FILE`` accepts. ``--prior-posterior FILE`` starts from an earlier
posterior (e.g. the shipped one) instead of the card priors, so the fit updates it."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

__all__ = ["add_cli", "cmd_fit"]


def cmd_fit(args: argparse.Namespace) -> int:
    from dermsim.calibration.command import print_posterior
    from dermsim.calibration.fit import read_data
    from dermsim.calibration.sampler import DEFAULT_PARAMETERS, calibrate
    from dermsim.config import load_scenario
    from dermsim.errors import DermsimError
    from dermsim.io import check_output_file, save_figure, write_netcdf

    out = Path(args.output)
    check_output_file(out, "-o")
    data = read_data(args.data)
    scenario = load_scenario(args.scenario)
    end = scenario.protocol.end_day
    last = scenario.protocol.timeline()[-1].day
    for o in data:
        t = o.time_day + (last if o.operator == "value_after_last" else 0.0)
        if t == t and t > end:
            raise DermsimError(f"{o.id}: day {t:g} is after the end of the scenario (day "
                               f"{end:g}); lengthen protocol.follow_up_days")
    table = scenario.to_dict()
    prior, source = None, ""
    if args.prior_posterior:
        from dermsim.calibration.posterior import open_posterior

        shipped = args.prior_posterior == "shipped"
        prior = open_posterior(None if shipped else args.prior_posterior)
        source = "the shipped posterior" if shipped else str(args.prior_posterior)
    params = [p for item in (args.param or []) for p in item.split(",") if p] \
        or ([str(p) for p in prior["parameter"].values] if prior is not None
            else list(DEFAULT_PARAMETERS))
    post = calibrate(params, walkers=args.walkers, steps=args.steps, burn=args.burn,
                     members=args.members, predictive_members=args.predictive, seed=args.seed,
                     progress=not args.quiet, observations=data, scenario_table=table,
                     start="prior", prior=prior, prior_source=source,
                     column_um=None)  # the user's scenario as written
    post.attrs["fitted_to"] = str(args.data)
    post.attrs["scenario_toml"] = scenario.to_toml()
    written = [write_netcdf(post, out)]
    if not args.no_figure:
        from dermsim.viz.calibration import fit_figure, prior_posterior_figure

        written.append(save_figure(fit_figure(post), out.with_suffix(".png")))
        written.append(save_figure(prior_posterior_figure(post),
                                   out.with_name(out.stem + "_parameters.png")))
    if not args.quiet:
        print_posterior(post, "fit")
        for p in written:
            print(f"  wrote {p}")
    return 0


def add_cli(subparsers: Any, epilog: str) -> None:
    """Register ``dermsim fit`` on an argparse subparsers object."""
    p = subparsers.add_parser(
        "fit", help="fit parameters to your own measurements (CSV)",
        description="Fit parameter cards to measurements in DATA.csv (columns output, value, "
                    "sd, unit, time_day, layer, operator; see docs/uncertainty.md) simulated "
                    "with the scenario, and write FILE (posterior: use it with `dermsim run "
                    "--posterior FILE`), FILE.png (data vs model band) and "
                    "FILE_parameters.png.", epilog=epilog)
    p.add_argument("data", help="CSV of measurements")
    p.add_argument("--scenario", required=True, help="scenario TOML or built-in name")
    p.add_argument("--param", action="append", metavar="CARD",
                   help="parameter card to fit (repeatable or comma-separated; default: the "
                        "remodelling cards of dermsim calibrate, or the parameters of "
                        "--prior-posterior)")
    p.add_argument("--prior-posterior", metavar="FILE",
                   help="start from a posterior (of dermsim calibrate or fit; 'shipped': the "
                        "one shipped with dermsim): a multivariate normal fitted to its "
                        "members is the prior of the parameters it holds, so your data update "
                        "it (default: priors from the parameter cards)")
    p.add_argument("--walkers", type=int, help="emcee walkers (default 2 × parameters + 2)")
    p.add_argument("--steps", type=int, default=200, help="steps per walker (default 200)")
    p.add_argument("--burn", type=int, help="discarded steps (default steps / 3)")
    p.add_argument("--members", type=int, default=64, help="posterior draws kept")
    p.add_argument("--predictive", type=int, default=16, metavar="N",
                   help="members re-run for the model band (default 16)")
    p.add_argument("--seed", type=int, default=0, help="sampler seed")
    p.add_argument("-o", "--output", default="out/fit.nc", metavar="FILE",
                   help="posterior file (default out/fit.nc)")
    p.add_argument("--no-figure", action="store_true", help="do not draw the figures")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress or summary")
    p.set_defaults(func=cmd_fit)
