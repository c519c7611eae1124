"""Command-line interface: a thin layer over the Python API.

Heavy libraries (numba, scipy, xarray, matplotlib) are imported inside the commands so that
``dermsim --help`` answers at once.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

DISCLAIMER = ("dermsim is a research and teaching tool. It is not medical advice and must not "
              "be used to plan treatment of patients.")


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.4g}"
    if isinstance(v, (list, tuple)):
        return ", ".join(str(e) for e in v)
    return str(v)


def print_table(rows: Sequence[tuple[str, Any]], title: str | None = None) -> None:
    """Two-column text table."""
    if title:
        print(title)
    width = max((len(k) for k, _ in rows), default=0)
    for k, v in rows:
        print(f"  {k:<{width}}  {_fmt(v)}")


class _Progress:
    """Progress bar over the sessions, labelled with the current stage (stderr, terminal
    only; ``-q`` or a pipe silences it)."""

    def __init__(self, quiet: bool) -> None:
        self.enabled = not quiet and sys.stderr.isatty()
        self.bar: Any = None

    def __call__(self, stage: str, done: int, n: int) -> None:
        if not self.enabled:
            return
        if self.bar is None:
            from tqdm import tqdm

            self.bar = tqdm(total=n, unit="session", file=sys.stderr, leave=False,
                            bar_format="{l_bar}{bar}| {n_fmt}/{total_fmt} sessions "
                                       "[{elapsed}<{remaining}]")
        self.bar.set_description_str(stage[:34].ljust(34))
        self.bar.update(done - self.bar.n)
        if stage == "done":
            self.bar.close()
            self.bar = None


def cmd_run(args: argparse.Namespace) -> int:
    from dermsim.config import load_scenario
    from dermsim.io import check_file_name, check_output_dir, save_figure, write_netcdf
    from dermsim.metrics import summary_rows
    from dermsim.pipeline import simulate
    from dermsim.resources import check_resources

    scenario = load_scenario(args.config)
    out_dir = check_output_dir(args.output or scenario.output.directory,
                               "-o" if args.output else "output.directory")
    check_file_name(scenario.name, "name")
    estimate = check_resources(scenario)
    progress = _Progress(args.quiet)
    if progress.enabled:
        print(f"dermsim run: {scenario.name}: {estimate.describe()}", file=sys.stderr)
    if args.ensemble is not None and args.ensemble != 0 and args.ensemble < 2:
        from dermsim.errors import ConfigError

        raise ConfigError("--ensemble", args.ensemble, "a whole number >= 2 (or 0 for none)")
    posterior = args.posterior or getattr(scenario.stages.get("uncertainty"), "posterior", "")
    if posterior:
        from dermsim.calibration.posterior import open_posterior

        open_posterior(posterior)  # a bad file fails before the run
    from dermsim.patient import patient_warnings

    for line in patient_warnings(scenario.stages.get("patient")):
        print(f"dermsim: warning: {line}", file=sys.stderr)
    ds = simulate(scenario, progress=progress)
    nc = write_netcdf(ds, out_dir / f"{scenario.name}.nc")
    written = [nc]
    if scenario.output.figure and not args.no_figure:
        from dermsim.viz import plot_result

        written.append(save_figure(plot_result(ds), out_dir / f"{scenario.name}.png"))
    if args.csv:
        from dermsim.io import atomic_write_bytes
        from dermsim.metrics import outcomes_csv, scalar_outcomes

        text = outcomes_csv({scenario.name: scalar_outcomes(ds)})
        written.append(atomic_write_bytes(text.encode("utf-8"), args.csv))
    if not args.quiet:
        print_table(summary_rows(ds), f"dermsim run: {scenario.name}")
        for p in written:
            print(f"  wrote {p}")
    if args.ensemble or args.posterior or "uncertainty" in scenario.stages:
        from dermsim.calibration.command import run_ensemble_for

        for p in run_ensemble_for(scenario, args.ensemble, args.posterior, out_dir,
                                  scenario.output.figure and not args.no_figure, args.quiet,
                                  workers=args.workers, dask=args.dask):
            if not args.quiet:
                print(f"  wrote {p}")
    return 0


def cmd_presets(args: argparse.Namespace) -> int:
    from dermsim import scenarios
    from dermsim.devices import DEVICE_PRESETS, make_device
    from dermsim.tissue import LAYER_NAMES, SITE_SOURCES, SITE_THICKNESS_UM

    if args.json:
        print(json.dumps({
            "sites": {k: dict(zip(LAYER_NAMES, v)) for k, v in SITE_THICKNESS_UM.items()},
            "devices": {k: {"kind": kind, **vals, "description": desc}
                        for k, (kind, vals, desc) in DEVICE_PRESETS.items()},
            "scenarios": {k: scenarios.describe(k) for k in scenarios.names()},
        }, indent=2))
        return 0
    print("Built-in scenarios (dermsim run NAME, dermsim.load_scenario(\"NAME\"))")
    for k in scenarios.names():
        print(f"  {k:<22} {scenarios.describe(k)}")
    print()
    print("Body sites (layer thicknesses in um: SC, epidermis, papillary, reticular, hypodermis)")
    for k, v in SITE_THICKNESS_UM.items():
        print(f"  {k:<12} {' / '.join(f'{t:g}' for t in v)}   [{SITE_SOURCES[k]}]")
    print("\nDevices")
    for k, (kind, _, desc) in DEVICE_PRESETS.items():
        d = make_device({"preset": k})
        print(f"  {k:<20} {kind:<7} L={d.needle_length_um:g} um, "
              f"{d.punctures_per_cm2():.0f} punctures/cm2 per session — {desc}")
    return 0


def cmd_penetration(args: argparse.Namespace) -> int:
    import numpy as np

    from dermsim.devices import make_device
    from dermsim.errors import ConfigError
    from dermsim.parameters import build_dataclass
    from dermsim.penetration import PenetrationConfig, penetrate
    from dermsim.tissue import site_stack

    if args.seed < 0:
        raise ConfigError("--seed", args.seed, "a whole number >= 0")
    spec: dict[str, Any] = {"preset": args.device}
    if args.needle_length_um is not None:
        spec["needle_length_um"] = args.needle_length_um
    if args.passes is not None:
        spec["passes"] = args.passes
    device = make_device(spec)
    stack = site_stack(args.site)
    if device.needle_length_um >= stack.total_um:
        raise ConfigError("needle_length_um", device.needle_length_um,
                          f"less than the {args.site} skin thickness ({stack.total_um:g} um)")
    res = penetrate(device, stack, build_dataclass(PenetrationConfig, {}, "penetration"),
                    np.random.default_rng(args.seed))
    summary = {"device": args.device, "site": args.site,
               "passes": getattr(device, "passes", 1), **res.summary()}
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        rows = [(k, v) for k, v in summary.items() if not isinstance(v, dict)]
        for key, value in summary.items():
            if isinstance(value, dict):  # one row per entry, e.g. the reach of each layer
                rows += [(f"{key}: {k.replace('_', ' ')}", v) for k, v in value.items()]
        print_table(rows, "dermsim penetration")
    return 0


def cmd_compare(args: argparse.Namespace) -> int:
    from dermsim.config import load_scenario
    from dermsim.io import check_file_name, check_output_dir, save_figure, write_netcdf
    from dermsim.pipeline import compare_scenarios
    from dermsim.resources import check_all
    from dermsim.viz import plot_comparison

    out_dir = check_output_dir(args.output or "out", "-o")
    check_file_name(args.name, "--name")
    scenarios = [load_scenario(p) for p in args.configs]
    check_all(scenarios)
    if args.ensemble is not None and args.ensemble != 0 and args.ensemble < 2:
        from dermsim.errors import ConfigError

        raise ConfigError("--ensemble", args.ensemble, "a whole number >= 2 (or 0 for none)")
    if args.posterior:
        from dermsim.calibration.posterior import open_posterior

        open_posterior(args.posterior)  # a bad file fails before the runs
    results, table = compare_scenarios(scenarios, progress=_Progress(args.quiet))
    names = [str(n) for n in table["scenario"].values]
    bands = None
    if args.ensemble or args.posterior or any(s.stages.get("uncertainty") for s in scenarios):
        from dermsim.calibration.command import compare_bands

        n = args.ensemble if args.ensemble is not None else (16 if args.posterior else None)
        bands = compare_bands(scenarios, table, n, args.posterior, args.workers, args.dask,
                              args.quiet)
    written = [write_netcdf(table, out_dir / f"{args.name}.nc")]
    if not args.no_figure:
        written.append(save_figure(plot_comparison(results, names, bands),
                                   out_dir / f"{args.name}.png"))
    if args.csv:
        from dermsim.io import atomic_write_bytes
        from dermsim.metrics import outcomes_csv

        cols = {n: {str(k): float(table[k].values[i]) for k in table.data_vars}
                for i, n in enumerate(names)}
        written.append(atomic_write_bytes(outcomes_csv(cols).encode("utf-8"), args.csv))
    if not args.quiet:
        print_compare(table, names)
        for p in written:
            print(f"  wrote {p}")
    return 0


def print_compare(table: Any, names: list[str]) -> None:
    """The outcomes table of ``dermsim compare``: labels and units from the result schema,
    and the time at which collagen outcomes are compared."""
    from dermsim import schema

    print("dermsim compare")
    if "compared_at" in table.attrs:
        days = ", ".join(f"{n}: day {d:g}" for n, d in zip(names, table["compared_day"].values))
        print(f"  collagen outcomes at {table.attrs['compared_at']} ({days})")
    keys = [str(k) for k in schema.OUTCOME_NAMES if k in table.data_vars
            and not all(v != v for v in table[k].values)]  # every scenario NaN: not run
    labels = {k: schema.label(k) for k in keys}
    width = max(len(lab) for lab in labels.values())
    col = max(12, *(len(n) for n in names))
    bands = {k: table[f"{k}_band"].values for k in keys if f"{k}_band" in table.data_vars}
    if bands:
        print("  posterior members: median (5–95 %); nominal run where a scenario has none")

    def cell(k: str, i: int) -> str:
        q = bands[k][i] if k in bands else None
        if q is None or q[1] != q[1] or f"{q[0]:.3g}" == f"{q[2]:.3g}":
            return f"{table[k].values[i]:.4g}"  # no members, or no spread
        return f"{q[1]:.3g} ({q[0]:.3g}–{q[2]:.3g})"

    rows = {k: [cell(k, i) for i in range(len(names))] for k in keys}
    col = max(col, *(len(c) for r in rows.values() for c in r)) if rows else col
    print(f"  {'outcome':<{width}}  " + "  ".join(f"{n:>{col}}" for n in names))
    for k in keys:
        print(f"  {labels[k]:<{width}}  " + "  ".join(f"{c:>{col}}" for c in rows[k]))


def _add_ensemble_options(p: argparse.ArgumentParser, command: str) -> None:
    what = ("also run N posterior members and write NAME_ensemble.nc with the quantiles "
            "0.05/0.5/0.95 of every outcome and time course" if command == "run" else
            "also run N posterior members of every scenario: outcomes as median (5–95 %%) and "
            "bands in the figure (default: each scenario's [uncertainty] members)")
    p.add_argument("--ensemble", type=int, metavar="N", help=what)
    p.add_argument("--posterior", metavar="FILE",
                   help="posterior of `dermsim calibrate` or `dermsim fit` for the ensemble "
                        "(default: the one shipped with dermsim; with no --ensemble: 16 members)")
    p.add_argument("--workers", type=int, metavar="N",
                   help="local processes running the ensemble members (default: [uncertainty] "
                        "workers, 1)")
    p.add_argument("--dask", metavar="ADDRESS",
                   help="run the ensemble members on a dask cluster (scheduler address, or "
                        "'local' for a local cluster of --workers processes)")


def _add_common(p: argparse.ArgumentParser) -> None:
    p.add_argument("-q", "--quiet", action="store_true", help="no progress or summary output")
    p.add_argument("--max-memory-gb", type=float, metavar="GB",
                   help="refuse scenarios estimated to need more memory than this (default: "
                        "90%% of the available memory; env DERMSIM_MAX_MEMORY_GB)")


def _check_positive(value: Any, option: str, integer: bool = False) -> None:
    import math

    from dermsim.errors import ConfigError

    if value is None:
        return
    if not (isinstance(value, (int, float)) and math.isfinite(value) and value > 0):
        raise ConfigError(option, value, "a whole number >= 1" if integer else "a number > 0")


def preflight(args: argparse.Namespace) -> None:
    """Check options and output destinations before any work, so that a bad option fails at
    once with one line instead of after the computation."""
    import os

    from dermsim.io import check_output_file

    command = args.command
    if getattr(args, "max_memory_gb", None) is not None:
        _check_positive(args.max_memory_gb, "--max-memory-gb")
        from dermsim.resources import MEMORY_ENV

        os.environ[MEMORY_ENV] = repr(float(args.max_memory_gb))
    if command in ("report", "animate"):
        suffix = ".html" if command == "report" else ".gif"
        if args.output is None:
            try:
                default = Path(args.result).with_suffix(suffix)
            except ValueError:
                from dermsim.errors import DermsimError

                raise DermsimError(f"result {args.result!r:.80}: not a file name") from None
        check_output_file(args.output or default, "-o")
    if command in ("run", "compare") and getattr(args, "workers", None) is not None:
        _check_positive(args.workers, "--workers", integer=True)
    if command == "animate":
        _check_positive(args.fps, "--fps")
        _check_positive(args.frames, "--frames", integer=True)
    if command == "validate" and getattr(args, "write", None):
        check_output_file(args.write, "--write")
    if command in ("run", "compare") and getattr(args, "csv", None):
        check_output_file(args.csv, "--csv")


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    epilog = f"Disclaimer: {DISCLAIMER}"
    parser = argparse.ArgumentParser(
        prog="dermsim",
        description="Simulate microneedling from needle to collagen: layered skin, needle "
                    "penetration, growth-factor signalling, collagen remodelling, RF heating.",
        epilog=epilog)
    from dermsim import __version__

    parser.add_argument("--version", action="version", version=f"dermsim {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("run", help="run one scenario: write NAME.nc and NAME.png",
                       description="Run the whole pipeline for one scenario TOML and write "
                                   "DIR/NAME.nc (NetCDF) and DIR/NAME.png.", epilog=epilog)
    p.add_argument("config", help="scenario TOML file (e.g. configs/baseline.toml) or the name "
                                  "of a built-in scenario (e.g. baseline; see dermsim presets)")
    p.add_argument("-o", "--output", metavar="DIR", help="output folder (default: out/)")
    p.add_argument("--no-figure", action="store_true", help="do not draw the figure")
    p.add_argument("--csv", metavar="FILE", help="also write the outcomes as CSV (with units)")
    _add_ensemble_options(p, "run")
    _add_common(p)
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("presets", help="list body-site and device presets", epilog=epilog)
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=cmd_presets)

    p = sub.add_parser("penetration", help="effective depth and layers reached for one device",
                       description="Penetration model only: nominal vs effective depth, layers "
                                   "reached, pinpoint bleeding.", epilog=epilog)
    p.add_argument("--device", required=True, help="device preset (see `dermsim presets`)")
    p.add_argument("--needle-length-um", type=float, help="nominal needle length [um]")
    p.add_argument("--passes", type=int, help="passes over the skin per session (default: the "
                                             "preset's; `dermsim run` uses the scenario's)")
    p.add_argument("--site", default="cheek", help="body-site preset (default: cheek)")
    p.add_argument("--seed", type=int, default=0, help="seed for the per-needle scatter")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=cmd_penetration)

    p = sub.add_parser("compare", help="run several scenarios and compare them side by side",
                       description="Run each scenario and write DIR/NAME.nc (outcomes table, "
                                   "dim scenario) and DIR/NAME.png (time courses with session "
                                   "markers and depth profiles). Collagen outcomes are compared "
                                   "at the same time after each scenario's last session (the "
                                   "shortest follow-up).", epilog=epilog)
    p.add_argument("configs", nargs="+", help="scenario TOML files or built-in scenario names")
    p.add_argument("-o", "--output", metavar="DIR", help="output folder (default: out/)")
    p.add_argument("--name", default="compare", help="base name of the outputs")
    p.add_argument("--no-figure", action="store_true", help="do not draw the figure")
    p.add_argument("--csv", metavar="FILE", help="also write the outcomes table as CSV "
                                                 "(one column per scenario, with units)")
    _add_ensemble_options(p, "compare")
    _add_common(p)
    p.set_defaults(func=cmd_compare)

    words = list(sys.argv[1:] if argv is None else argv)
    requested = next((w for w in words if not w.startswith("-")), None)
    for register in [*_stage_commands(requested), *EXTRA_COMMANDS]:
        register(sub, epilog)
    return parser


#: Commands owned by other modules: name → (module with ``add_cli``, one-line help). Only the
#: module of the command being run is imported, so ``dermsim --help`` stays fast.
STAGE_COMMANDS: dict[str, tuple[str, str]] = {
    "sweep": ("dermsim.sweep.cli", "run a parameter sweep (resumable, parallel)"),
    "validate": ("dermsim.validation.command", "run the validation cases (analytic, literature)"),
    "report": ("dermsim.viz.report", "HTML page of a run, comparison or sweep result"),
    "animate": ("dermsim.viz.animate", "GIF of growth factors and collagen (MP4 with --mp4)"),
    "explore": ("dermsim.viz.explore", "interactive web page: change the treatment, see outcomes"),
    "calibrate": ("dermsim.calibration.command",
                  "Bayesian calibration of parameter cards against the literature"),
    "fit": ("dermsim.calibration.fit_command", "fit parameters to your own measurements (CSV)"),
}


def _stage_commands(requested: str | None) -> list[Any]:
    """Registration functions for :data:`STAGE_COMMANDS`: the real one for the requested
    command, a help-only placeholder for the others."""
    import importlib

    out = []
    for name, (module, help_text) in STAGE_COMMANDS.items():
        if name == requested:
            out.append(importlib.import_module(module).add_cli)
        else:
            out.append(lambda sub, epilog, n=name, h=help_text: sub.add_parser(n, help=h))
    return out


#: Further ``register(subparsers, epilog)`` functions (plug-ins, tests).
EXTRA_COMMANDS: list[Any] = []


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``dermsim`` console script. Returns the exit status."""
    import os

    # dermsim's hot loops are numba kernels; idle OpenBLAS threads spinning next to them slow
    # the sparse solves several-fold on small machines (measured by the RF stage), so keep
    # BLAS single-threaded unless the user chose otherwise
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    parser = build_parser(argv)
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return 2
    from dermsim.errors import DermsimError
    from dermsim.resources import MEMORY_ENV

    cap = os.environ.get(MEMORY_ENV)  # --max-memory-gb sets it for this command only
    try:
        preflight(args)
        return int(args.func(args) or 0)
    except DermsimError as exc:
        print(f"dermsim: error: {exc}", file=sys.stderr)
        return 2
    except MemoryError:
        print("dermsim: error: out of memory; coarsen grid.h_um, narrow grid.width_um or "
              "run fewer sessions", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("dermsim: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # output piped into e.g. `head`
        return 0
    finally:
        if cap is None:
            os.environ.pop(MEMORY_ENV, None)
        else:
            os.environ[MEMORY_ENV] = cap


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
