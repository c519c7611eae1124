"""The ``dermsim sweep`` subcommand."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from dermsim.errors import DermsimError
from dermsim.io import check_output_dir
from dermsim.sweep.backends import n_local_workers
from dermsim.sweep.parse import load_sweep
from dermsim.sweep.plan import plan_text, workers_text
from dermsim.sweep.run import SweepReport, run_sweep
from dermsim.sweep.spec import SENSITIVITY_KINDS, suggest
from dermsim.sweep.store import SweepStore
from dermsim.sweep.tables import (
    failure_summary,
    finite_outcomes,
    outcomes_csv,
    parse_by,
    top_table,
)
from dermsim.units import format_duration

_SWEEP_DESCRIPTION = """\
Run many scenarios from a sweep spec (TOML: base scenario, [parameters] as lists or
{low, high, scale} ranges, optional [design] kind = lhs|sobol|random|morris|saltelli) and
merge them into DIR/NAME.nc with a dim per parameter (factorial) or a run dim (sampled).
Every run is stored in DIR/NAME.runs/ as it finishes, so an interrupted sweep resumes when
the same command is run again. See docs/sweeps.md."""


def main(argv: Sequence[str]) -> int:
    """``dermsim sweep *argv`` without the top-level parser; returns the exit status (2 and
    one line on stderr for a :class:`~dermsim.errors.DermsimError`, as ``dermsim`` does)."""
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    parser = argparse.ArgumentParser(prog="dermsim")
    add_cli(parser.add_subparsers(dest="command"), "")
    args = parser.parse_args(["sweep", *argv])
    try:
        return int(args.func(args) or 0)
    except DermsimError as exc:
        print(f"dermsim: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("dermsim: interrupted", file=sys.stderr)
        return 130


def run_study(spec_path: str | Path, by: str, argv: Sequence[str],
              summary: Callable[[Path], None] | None = None) -> int:
    """Run a study script's sweep through the CLI (``dermsim sweep SPEC --by BY *argv``) and,
    when it finished, call ``summary(result_path)``; returns the CLI's exit status. Used by
    the scripts in ``experiments/``."""
    argv = list(argv)
    code = main([str(spec_path), "--by", by, *argv])
    spec = load_sweep(spec_path)
    out = next((argv[i + 1] for i, a in enumerate(argv[:-1]) if a in ("-o", "--output")),
               spec.output) or "out/sweeps"
    result = SweepStore(out, spec.name).result_path
    if summary is not None and code == 0 and result.exists() and "--dry-run" not in argv:
        summary(result)
    return code


def add_cli(subparsers: Any, epilog: str) -> None:
    """Register the ``sweep`` subcommand (called by :mod:`dermsim.cli`)."""
    p = subparsers.add_parser("sweep", help="run a parameter sweep (resumable, parallel)",
                              description=_SWEEP_DESCRIPTION, epilog=epilog,
                              formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("spec", metavar="SWEEP.toml", help="sweep spec (see configs/sweeps/)")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--scheduler", metavar="tcp://HOST:PORT",
                   help="run on a dask.distributed cluster (workers must see the output folder)")
    g.add_argument("--dask-local", type=int, metavar="N",
                   help="run on a local dask cluster of N single-threaded worker processes")
    g.add_argument("--serial", action="store_true", help="run one at a time in this process")
    p.add_argument("--workers", type=int, metavar="N",
                   help="local worker processes (default: all cores)")
    p.add_argument("--dry-run", action="store_true",
                   help="print the runs, stored runs and a time estimate from a cost model "
                        "(grid cells x sessions, RF steps); simulates nothing, writes nothing")
    p.add_argument("--probe", action="store_true",
                   help="with --dry-run: also time one run now (this runs one simulation, "
                        "twice if it is short)")
    r = p.add_mutually_exclusive_group()
    r.add_argument("--resume", dest="resume", action="store_true", default=True,
                   help="reuse stored runs of an earlier, interrupted sweep (default)")
    r.add_argument("--restart", dest="resume", action="store_false",
                   help="delete stored runs and start again")
    p.add_argument("--retry-failed", action="store_true", help="rerun stored runs that failed")
    p.add_argument("-o", "--output", metavar="DIR",
                   help="output folder (default: the spec's output, else out/sweeps)")
    p.add_argument("--top", type=int, default=5, metavar="N",
                   help="show the N best runs (default 5; 0: none)")
    p.add_argument("--by", metavar="OUTCOME",
                   help="rank runs by this outcome (min:NAME / max:NAME to force the "
                        "direction; default: the spec's objective; no ranking without one)")
    p.add_argument("--csv", action="store_true",
                   help="also write the outcomes table as DIR/NAME.csv (one row per run)")
    p.add_argument("--no-figure", action="store_true", help="do not draw figures")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar or summary")
    p.set_defaults(func=cmd_sweep)


def cmd_sweep(args: argparse.Namespace) -> int:
    """Handler of ``dermsim sweep``."""
    spec = load_sweep(args.spec)
    if args.by:
        name, _ = parse_by(args.by, None)
        if name not in spec.outcomes:
            raise DermsimError(f"--by {name!r}: not an outcome of this sweep"
                               f"{suggest(name, spec.outcomes)}")
    for flag, value, low in (("--workers", args.workers, 1), ("--dask-local", args.dask_local, 1),
                             ("--top", args.top, 0)):
        if value is not None and value < low:
            raise DermsimError(f"{flag} {value}: allowed >= {low}")
    if args.probe and not args.dry_run:
        raise DermsimError("--probe: only with --dry-run")
    if args.workers is not None and (args.scheduler or args.serial):
        raise DermsimError("--workers applies to local processes (or --dask-local); not with "
                           "--scheduler or --serial")
    if args.scheduler or args.dask_local:
        backend = "dask"
    elif args.serial:
        backend = "serial"
    else:
        backend = "processes"
    if args.dask_local is not None and args.dask_local < 1:
        raise DermsimError(f"--dask-local {args.dask_local}: allowed >= 1")
    out_dir = Path(args.output or spec.output or "out/sweeps")
    check_output_dir(out_dir, "output folder")
    if args.dry_run:
        n_w = (1 if backend == "serial" else args.dask_local if args.dask_local
               else n_local_workers(args.workers) if not args.scheduler else 1)
        print(plan_text(spec, out_dir, n_workers=n_w, backend=backend, resume=args.resume,
                        probe=args.probe))
        if args.scheduler:
            print("  (estimate for one dask worker; divide by the cluster's worker count)")
        return 0
    rep = SweepReport()
    ds = run_sweep(spec, out_dir, backend=backend, workers=args.workers,
                   scheduler=args.scheduler, dask_local=args.dask_local, resume=args.resume,
                   retry_failed=args.retry_failed, progress=not args.quiet, report=rep)
    written = [SweepStore(out_dir, spec.name).result_path]
    if args.csv:
        from dermsim.io import atomic_write_bytes

        written.append(atomic_write_bytes(outcomes_csv(ds).encode(),
                                          out_dir / f"{spec.name}.csv"))
    figures: list[Path] = []
    if not args.no_figure:
        from dermsim.viz.sweep import make_figures  # matplotlib: only when drawing

        figures = make_figures(ds, spec, out_dir)
    if not args.quiet:
        n_ok = int(ds.attrs["n_ok"])
        print(f"dermsim sweep {spec.name}: {ds.attrs['n_runs']} runs ({n_ok} ok, "
              f"{ds.attrs['n_failed']} failed, {ds.attrs['n_invalid']} invalid; "
              f"{rep.n_reused} reused, {rep.n_computed} computed"
              + (f" on {workers_text(rep.backend, rep.n_workers)}" if rep.n_computed else "")
              + f") in {format_duration(rep.wall_s)}")
        if rep.n_damaged:
            print(f"  recomputed {rep.n_damaged} damaged run file"
                  f"{'s' if rep.n_damaged > 1 else ''} (empty, truncated or unreadable)")
        for line in failure_summary(ds):
            print(f"  not ok: {line}")
        _print_tables(ds, spec, args.by or spec.objective, args.top)
        for f in [*written, *figures]:
            print(f"  wrote {f}")
    return 0 if int(ds.attrs["n_ok"]) > 0 else 1



def _print_tables(ds: Any, spec: Any, by: str, top: int) -> None:
    """The best runs by ``by`` (``--by`` or the spec's objective; no ranking without one) and,
    for Morris / Saltelli designs, the sensitivity indices."""
    if top > 0 and by:
        print(top_table(ds, by, top))
    elif top > 0:
        print("  (no ranking: the spec declares no objective; use --by OUTCOME)")
    target = parse_by(by, None)[0] if by else next(iter(finite_outcomes(ds, spec.outcomes)),
                                                     None)
    if spec.design.kind in SENSITIVITY_KINDS and target is not None:
        from dermsim.sweep.sensitivity import indices_table

        with contextlib.suppress(DermsimError):
            print(indices_table(ds, target))
