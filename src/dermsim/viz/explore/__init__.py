"""``dermsim explore``: an interactive web page that runs the model for quick what-ifs and
teaching (Panel/HoloViz; optional extra ``explore``).

Modules
-------
controls   widgets generated from the parameter cards (label, unit, range, help, source)
compute    worker processes that simulate and draw; a result cache shared by all sessions
figures    the small pyplot-free figures the page draws itself
mechanism  the "mechanism of action" walk-through, one sentence and figure per step
outcomes   the outcomes table (units, previous run alongside)
page       one page session: controls → scenario → run → views, downloads, errors

Only :func:`add_cli` is imported by ``dermsim --help``; Panel is imported when the page is
served.
"""

from __future__ import annotations

import argparse
import signal
from pathlib import Path
from typing import Any

#: The built-in scenario the page starts from (``configs/baseline.toml``): a motorized pen at
#: 1.0 mm on the cheek, 4 sessions 4 weeks apart, 6 months of follow-up.
DEFAULT_SCENARIO = "baseline"

LOCAL_ADDRESSES = ("127.0.0.1", "localhost", "::1")


def load_base(source: str | Path | None) -> Any:
    """The page's base scenario: a TOML file or built-in scenario name, default
    :data:`DEFAULT_SCENARIO`."""
    import dermsim

    return dermsim.load_scenario(DEFAULT_SCENARIO if source is None else source)


def make_app(base: Any, runner: Any, grid_h_um: float | None = None) -> Any:
    """A function building one page per browser session (for :func:`panel.serve`)."""
    import panel as pn

    from dermsim.viz.explore.compute import INTERACTIVE_H_UM
    from dermsim.viz.explore.page import ExplorePage

    def app() -> Any:
        page = ExplorePage(base, runner, grid_h_um or INTERACTIVE_H_UM)
        pn.state.onload(page.compute)
        return page.layout

    return app


def serve(source: str | Path | None = None, port: int = 5006, address: str = "127.0.0.1",
          show: bool = True, workers: int = 2, grid_h_um: float | None = None) -> None:
    """Serve the page until interrupted (localhost only unless ``address`` says otherwise).

    Parameters
    ----------
    source
        Scenario TOML or built-in scenario name the page starts from (default
        :data:`DEFAULT_SCENARIO`); the page can switch to the other built-in scenarios.
    port, address
        Where the server listens.
    show
        Open the page in the default browser.
    workers
        Worker processes running simulations (sessions beyond that queue).
    grid_h_um
        Cell size of the interactive grid [µm] (default 20; never finer than the scenario's).
    """
    try:
        import panel as pn
    except ImportError:  # pragma: no cover - depends on the environment
        from dermsim.errors import DermsimError

        raise DermsimError("dermsim explore needs Panel: pip install 'dermsim[explore]'"
                           ) from None
    import dermsim
    from dermsim.viz.explore.compute import INTERACTIVE_H_UM, Runner

    base = load_base(source)
    runner = Runner(workers)
    h = max(float(grid_h_um or INTERACTIVE_H_UM), float(base.grid.h_um))
    runner.warm_up(dermsim.with_overrides(base, {"grid.h_um": h}).to_dict())
    origins = [f"{host}:{port}" for host in ("localhost", "127.0.0.1")]
    if address not in LOCAL_ADDRESSES:
        import sys

        origins.append(f"{address}:{port}")
        print(f"dermsim explore: listening on {address}: anyone who can reach it can run "
              "simulations on this computer", file=sys.stderr)
    def stop(signum: int, frame: Any) -> None:
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)  # stop the worker processes with the server
    try:
        pn.serve({"/": make_app(base, runner, h)}, port=port, address=address, show=show,
                 websocket_origin=origins, title="dermsim explore", threaded=False,
                 verbose=True)
    finally:
        runner.shutdown()


def cmd_explore(args: argparse.Namespace) -> int:
    serve(args.scenario, port=args.port, address=args.address, show=not args.no_browser,
          workers=args.workers, grid_h_um=args.grid_h_um)
    return 0


def add_cli(subparsers: Any, epilog: str) -> None:
    """Register ``dermsim explore`` on an argparse subparsers object."""
    p = subparsers.add_parser(
        "explore", help="interactive web page: change the treatment, see the outcomes",
        description="Start a local web server with an interactive page that runs the model: "
                    "controls from the parameter cards, cross-section, growth factors, collagen "
                    "time courses, RF maps, outcomes table, a mechanism-of-action walk-through "
                    "and downloads (scenario TOML, NetCDF, figure). Needs the 'explore' extra "
                    "(Panel). Listens on localhost only unless --address says otherwise.",
        epilog=epilog)
    p.add_argument("scenario", nargs="?",
                   help="scenario TOML or built-in scenario name to start from (default: "
                        "baseline; see `dermsim presets`)")
    p.add_argument("--port", type=int, default=5006, help="port (default: 5006)")
    p.add_argument("--address", default="127.0.0.1",
                   help="address to listen on (default: 127.0.0.1, this computer only)")
    p.add_argument("--no-browser", action="store_true", help="do not open a browser")
    p.add_argument("--workers", type=int, default=2,
                   help="worker processes running simulations (default: 2)")
    p.add_argument("--grid-h-um", type=float, default=None,
                   help="cell size of the interactive grid in um (default: 20)")
    p.set_defaults(func=cmd_explore)
