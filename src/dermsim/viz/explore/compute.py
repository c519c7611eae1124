"""Running the model for the explorer page: worker processes, a shared result cache.

Every page session sends its scenario (as a plain dict) to a small pool of worker processes;
the worker simulates it and draws the run figures (matplotlib's pyplot is not thread-safe, so
figures that use it are drawn there too). The event loop of the web server therefore never
waits for a simulation, two sessions run on two cores at once, and a scenario asked for twice
(by one session or two) is computed once.
"""

from __future__ import annotations

import asyncio
import concurrent.futures as cf
import io
import multiprocessing
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

#: Cell size of the interactive grid [µm] (the scenario files use 10 µm; the page says which
#: grid it uses).
INTERACTIVE_H_UM = 20.0
#: Lateral cell width of the interactive remodelling grid [µm] (the default is 50 µm): with
#: both coarsenings the default scenario updates in under 3 s on two cores
#: (benchmarks/bench_explore.py); the dermis-mean collagen change moves by under one point.
INTERACTIVE_REMODELLING_CELL_UM = 100.0


def interactive_grid(base: Any, h_um: float = INTERACTIVE_H_UM) -> dict[str, float]:
    """The overrides that put ``base`` on the interactive grid (never finer than its own)."""
    cell = max(INTERACTIVE_REMODELLING_CELL_UM, float(base.stage("remodelling").cell_width_um))
    return {"grid.h_um": max(float(h_um), float(base.grid.h_um)),
            "remodelling.cell_width_um": cell}


#: Resolution of the figures on the page [dots per inch].
PAGE_DPI = 72


@dataclass
class Outcome:
    """What the page shows for one scenario: the result, its figures and timings."""

    toml: str
    ds: Any = None  # xarray.Dataset; None when the run failed
    figures: dict[str, bytes] = field(default_factory=dict)
    error: str | None = None
    seconds: dict[str, float] = field(default_factory=dict)


def png(fig: Any, dpi: int = PAGE_DPI) -> bytes:
    """PNG bytes of a figure (closed afterwards when it belongs to pyplot)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    import matplotlib.pyplot as plt

    plt.close(fig)
    return buf.getvalue()


def _worker_init() -> None:
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    os.environ.setdefault("NUMBA_NUM_THREADS", "1")
    import matplotlib

    matplotlib.use("Agg")


def run_outcome(table: Mapping[str, Any]) -> Outcome:
    """Simulate one scenario and draw its run figures (runs in a worker process).

    A :class:`~dermsim.errors.DermsimError` becomes the outcome's one-line ``error``.
    """
    import dermsim
    from dermsim.errors import DermsimError
    from dermsim.viz import plot_cross_section, plot_remodelling, plot_rf

    t0 = time.perf_counter()
    try:
        scenario = dermsim.load_scenario(table)
        ds = dermsim.simulate(scenario)
    except DermsimError as exc:
        return Outcome(toml="", error=str(exc))
    t1 = time.perf_counter()
    figs = {"cross_section": png(plot_cross_section(ds, int(ds["session"].values[0])))}
    if "collagen_I_change" in ds:
        figs["collagen"] = png(plot_remodelling(ds))
    if "rf_peak_temperature" in ds:
        from dermsim.viz.explore.figures import rf_damage_figure, to_png

        figs["rf"] = png(plot_rf(ds))
        figs["rf_damage"] = to_png(rf_damage_figure(ds), PAGE_DPI)
    t2 = time.perf_counter()
    return Outcome(scenario.to_toml(), ds, figs,
                   seconds={"simulate": t1 - t0, "figures": t2 - t1})


def run_figure(ds: Any) -> bytes:
    """The figure of ``dermsim run`` for a result, as PNG bytes (runs in a worker process)."""
    from dermsim.viz import plot_result

    return png(plot_result(ds), dpi=110)


class Runner:
    """Worker processes with a cache of recent outcomes shared by all sessions.

    Each worker is its own single-process pool, and each page session keeps to one worker
    (:meth:`assign`), so the pipeline's per-session cache inside that worker serves the
    session's next what-if (a protocol change re-runs only the remodelling) while another
    page session computes on another worker at the same time.
    """

    def __init__(self, workers: int = 2, cache_size: int = 24) -> None:
        self.workers = max(1, int(workers))
        self.cache_size = cache_size
        self._cache: OrderedDict[str, cf.Future] = OrderedDict()
        self._lock = threading.Lock()
        self._pools: list[cf.ProcessPoolExecutor | None] = [None] * self.workers
        self._next = 0

    def assign(self) -> int:
        """A worker for a new page session (round robin)."""
        with self._lock:
            w = self._next
            self._next = (self._next + 1) % self.workers
            return w

    def pool(self, worker: int = 0) -> cf.ProcessPoolExecutor:
        w = worker % self.workers
        with self._lock:
            pool = self._pools[w]
            if pool is None:
                ctx = multiprocessing.get_context("spawn")
                pool = cf.ProcessPoolExecutor(1, mp_context=ctx, initializer=_worker_init)
                self._pools[w] = pool
            return pool

    def submit(self, table: Mapping[str, Any], worker: int = 0) -> cf.Future:
        """The (possibly shared, possibly finished) future of one scenario's outcome."""
        import tomli_w

        key = tomli_w.dumps(dict(table))
        with self._lock:
            fut = self._cache.get(key)
            if fut is not None and not (fut.done() and fut.exception() is not None):
                self._cache.move_to_end(key)
                return fut
        try:
            fut = self.pool(worker).submit(run_outcome, dict(table))
        except cf.BrokenExecutor:  # the worker died (e.g. out of memory): start a fresh one
            self._reset(worker)
            fut = self.pool(worker).submit(run_outcome, dict(table))
        with self._lock:
            self._cache[key] = fut
            while len(self._cache) > self.cache_size:
                self._cache.popitem(last=False)
        return fut

    async def outcome(self, table: Mapping[str, Any], worker: int = 0) -> Outcome:
        """Await one scenario's outcome without blocking the event loop."""
        fut = self.submit(table, worker)
        try:
            return await asyncio.wrap_future(fut)
        except cf.BrokenExecutor:
            self._reset(worker)
            return Outcome(toml="", error="the worker process stopped; try again")

    def figure_sync(self, ds: Any, worker: int = 0) -> bytes:
        """The ``dermsim run`` figure of a result (PNG), drawn in a worker."""
        return self.pool(worker).submit(run_figure, ds).result()

    def warm_up(self, table: Mapping[str, Any]) -> None:
        """Start every worker and compute ``table`` in each (kernels loaded from the on-disk
        cache, the scenario's sessions cached), so that the first page opens at once."""
        self.submit(table, 0)
        for w in range(1, self.workers):
            self.pool(w).submit(run_outcome, dict(table))

    def _reset(self, worker: int) -> None:
        with self._lock:
            pool = self._pools[worker % self.workers]
            if pool is not None:
                pool.shutdown(wait=False, cancel_futures=True)
            self._pools[worker % self.workers] = None
            self._cache.clear()

    def shutdown(self) -> None:
        with self._lock:
            for w, pool in enumerate(self._pools):
                if pool is not None:
                    pool.shutdown(wait=False, cancel_futures=True)
                self._pools[w] = None
