"""The ``dermsim validate`` command: argument parsing and the command itself."""

from __future__ import annotations

import sys
from typing import Any

from dermsim.validation.framework import (
    CASES,
    Case,
    clear_used_overrides,
    run_cases,
    used_overrides,
)
from dermsim.validation.page import format_results, write_markdown

__all__ = ["add_cli", "cmd_validate"]


def _parse_set(items: list[str] | None) -> dict[str, float]:
    from dermsim.errors import ConfigError

    out: dict[str, float] = {}
    for item in items or []:
        name, sep, value = item.partition("=")
        if not sep:
            raise ConfigError("--set", item, "NAME=VALUE, e.g. penetration.eta_impact=0.5")
        try:
            out[name.strip()] = float(value)
        except ValueError:
            raise ConfigError(name.strip(), value, "a number") from None
    return out


def cmd_validate(args: Any) -> int:
    """``dermsim validate``: run the cases, print the table, optionally write the page."""
    from dermsim.errors import DermsimError

    overrides = _parse_set(args.set)
    if args.list:
        for c in CASES.values():
            print(f"{c.name:<4} {c.title}")
        return 0
    if args.write and (args.only or overrides):
        raise DermsimError("--write regenerates the whole page: use it without --only/--set")
    show = sys.stderr.isatty() and not args.quiet

    def progress(c: Case) -> None:
        if show:
            print(f"\r  running {c.name:<4} {c.title[:60]:<60}", end="", file=sys.stderr,
                  flush=True)

    clear_used_overrides()
    results = run_cases(args.only, figures=bool(args.write), overrides=overrides,
                        progress=progress)
    if show:
        print("\r" + " " * 80 + "\r", end="", file=sys.stderr)
    unused = sorted(set(overrides) - used_overrides())
    if not args.quiet:
        print(format_results(results, details=not args.brief))
        for name in unused:
            print(f"note: {name} is not used by the selected cases", file=sys.stderr)
    if args.write:
        page = write_markdown(results, args.write)
        if not args.quiet:
            print(f"wrote {page}")
    return 0 if all(r.passed for r in results) else 1


def add_cli(subparsers: Any, epilog: str) -> None:
    """Register ``dermsim validate`` on an argparse subparsers object."""
    p = subparsers.add_parser(
        "validate", help="run the validation cases (analytic and literature targets)",
        description="Run every validation case (analytic bioheat, Arrhenius "
                    "and diffusion solutions, penetration anchors, remodelling timing and "
                    "magnitudes, barrier/erythema timing, RF zones) and print target, "
                    "obtained value, tolerance and pass/fail. Exit status 1 if any case does "
                    "not pass.", epilog=epilog)
    p.add_argument("--only", metavar="NAME", action="append",
                   help="run only this case (repeatable or comma-separated, e.g. V1,V7)")
    p.add_argument("--write", metavar="PATH", nargs="?", const="docs/validation.md",
                   help="regenerate the validation page with its figures "
                        "(default docs/validation.md; figures in docs/figures/)")
    p.add_argument("--set", metavar="NAME=VALUE", action="append",
                   help="use another value for a model parameter card (e.g. "
                        "penetration.eta_impact=0.5) to see which cases it breaks")
    p.add_argument("--list", action="store_true", help="list the cases and exit")
    p.add_argument("--brief", action="store_true", help="omit the sub-check lines")
    p.add_argument("-q", "--quiet", action="store_true", help="print nothing; exit status only")
    p.set_defaults(func=cmd_validate)
