""":func:`run_sweep`: send the pending runs to a backend, track progress, merge."""

from __future__ import annotations

import functools
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dermsim.errors import DermsimError
from dermsim.sweep.backends import batch_size, open_backend
from dermsim.sweep.identity import callable_id, run_hash
from dermsim.sweep.lock import SweepLock
from dermsim.sweep.merge import merge_runs
from dermsim.sweep.spec import STATUS_FAILED, STATUS_OK, RunTask, SweepSpec
from dermsim.sweep.store import SweepStore
from dermsim.sweep.worker import RunFunction, run_batch, simulate_outcomes

if TYPE_CHECKING:  # pragma: no cover
    import xarray as xr


class _NullBar:
    def update(self, n: int = 1) -> None:
        pass

    def set_postfix_str(self, s: str) -> None:
        pass

    def close(self) -> None:
        pass

    @staticmethod
    def write(s: str) -> None:
        pass


def _progress_bar(enabled: bool, total: int, initial: int, desc: str) -> Any:
    if not enabled:
        return _NullBar()
    from tqdm.auto import tqdm

    return tqdm(total=total, initial=initial, desc=desc, unit="run", dynamic_ncols=True,
                smoothing=0.1, file=sys.stderr)


@dataclass
class SweepReport:
    """What :func:`run_sweep` did (counts also in the result's attrs).

    ``compute_s`` / ``cpu_s`` sum the wall / CPU time of the computed runs measured inside the
    workers; ``summaries`` hold one dict per computed run (``elapsed_s``, ``cpu_s``, ``pid``,
    ``process_cpu_s`` = the worker's CPU so far, ...).
    """

    n_runs: int = 0
    n_reused: int = 0
    n_computed: int = 0
    n_failed: int = 0
    n_invalid: int = 0
    n_damaged: int = 0
    n_stale_temporaries: int = 0
    wall_s: float = 0.0
    compute_s: float = 0.0
    cpu_s: float = 0.0
    backend: str = ""
    n_workers: int = 1
    workers_pids: set[int] = field(default_factory=set)
    summaries: list[dict[str, Any]] = field(default_factory=list)

    def worker_cpu_s(self) -> float:
        """Total CPU of the worker processes up to their last batch [s] (not for serial)."""
        last: dict[int, float] = {}
        for s in self.summaries:
            last[s["pid"]] = max(last.get(s["pid"], 0.0), s["process_cpu_s"])
        return sum(last.values())


def run_sweep(
    spec: SweepSpec,
    out_dir: str | Path | None = None,
    *,
    backend: str = "processes",
    workers: int | None = None,
    scheduler: Any = None,
    dask_local: int | None = None,
    resume: bool = True,
    retry_failed: bool = False,
    run_fn: RunFunction | None = None,
    progress: bool = True,
    max_batch: int = 16,
    start_method: str | None = None,
    report: SweepReport | None = None,
) -> xr.Dataset:
    """Run every run of ``spec`` (skipping those already stored) and merge the results.

    Parameters
    ----------
    spec
        A spec from :func:`load_sweep`.
    out_dir
        Folder for ``NAME.nc`` and ``NAME.runs/`` (default: the spec's ``output`` or
        ``out/sweeps``).
    backend
        ``"serial"``, ``"processes"`` (default; ``workers`` processes, default all cores) or
        ``"dask"`` (``scheduler`` address or ``distributed.Client``; otherwise a LocalCluster of
        ``dask_local`` single-threaded worker processes).
    resume
        Reuse stored runs whose input hash matches (default). ``False`` deletes them first.
    retry_failed
        Rerun stored runs that failed (by default a failure is kept, as it would repeat).
    run_fn
        ``run_fn(scenario) -> {outcome: float, series: DataArray}``; default
        :func:`simulate_outcomes`. Must be importable by workers (a module-level function or a
        ``functools.partial`` of one).
    progress
        Show a tqdm progress bar with ETA on stderr.
    max_batch
        Largest number of runs sent to a worker in one task (see :func:`batch_size`).
    start_method
        Process-pool start method (default: fork when safe, else forkserver).
    report
        If given, filled with counts and timings.

    Returns
    -------
    xarray.Dataset
        Outcomes over the parameter dims (factorial) or the ``run`` dim (sampled), with
        ``status``, ``error``, ``run_seed``, ``elapsed_s``; also written atomically to
        ``out_dir/NAME.nc``.
    """
    t_start = time.perf_counter()
    rep = report if report is not None else SweepReport()
    store = SweepStore(Path(out_dir or spec.output or "out/sweeps"), spec.name)
    from dermsim.io import check_output_dir

    check_output_dir(store.out_dir, "output folder")
    with SweepLock(store.runs_dir):
        ds = _run_locked(spec, store, rep, run_fn, resume=resume, retry_failed=retry_failed,
                         backend_args=(backend, workers, scheduler, dask_local, start_method),
                         progress=progress, max_batch=max_batch)
    rep.wall_s = time.perf_counter() - t_start
    return ds


def _run_locked(spec: SweepSpec, store: SweepStore, rep: SweepReport, run_fn: RunFunction | None,
                *, resume: bool, retry_failed: bool, backend_args: tuple[Any, ...],
                progress: bool, max_batch: int) -> xr.Dataset:
    """The body of :func:`run_sweep`, run while holding the runs folder's lock."""
    fn = run_fn or functools.partial(simulate_outcomes, time_series=spec.time_series)
    fn_id = callable_id(fn)
    tasks = spec.tasks()
    hashes = {t.index: run_hash(t.scenario, spec.outcomes, spec.time_series, fn_id)
              for t in tasks if t.scenario is not None}
    valid_hashes = set(hashes.values())
    if not resume:
        store.clear()
    rep.n_stale_temporaries = store.prepare(spec.text)
    stored, damaged = store.scan(valid_hashes)
    rep.n_damaged = len(damaged)
    done = set(stored) if not retry_failed else {h for h, st in stored.items()
                                                 if st == STATUS_OK}
    pending = _pending_runs(tasks, hashes, done)
    rep.n_runs = len(tasks)
    rep.n_invalid = sum(t.scenario is None for t in tasks)
    rep.n_reused = len(valid_hashes & done)
    rep.n_computed = 0
    if pending:
        backend, workers, scheduler, dask_local, start_method = backend_args
        be = open_backend(backend, workers, scheduler, dask_local, len(pending), start_method,
                          () if run_fn else ("dermsim.pipeline", "dermsim.metrics"))
        rep.backend, rep.n_workers = be.name, be.n_workers
        batch_fn = functools.partial(run_batch, run_fn=fn,
                                     runs_dir=str(store.runs_dir.resolve()),
                                     outcomes=spec.outcomes, time_series=spec.time_series,
                                     one_thread=be.name != "serial", tmp_tag=store.temp_tag)
        bar = _progress_bar(progress, len(valid_hashes), len(valid_hashes) - len(pending),
                            spec.name)
        try:
            _execute(be, batch_fn, pending, rep, bar, max_batch, store, valid_hashes)
        finally:
            store.clean_temporaries(own=True)
    missing = valid_hashes - store.existing()
    if missing:
        raise DermsimError(f"{len(missing)} run files are missing from {store.runs_dir} after "
                           "the sweep (do the workers share this folder?)")
    ds = merge_runs(spec, tasks, hashes, store, fn_id)
    rep.n_failed = int((ds["status"].values == STATUS_FAILED).sum())
    ds.attrs.update({"n_reused": rep.n_reused, "n_computed": rep.n_computed,
                     "backend": rep.backend or "none (all runs reused)"})
    from dermsim.io import write_netcdf

    write_netcdf(ds, store.result_path)
    return ds


def _pending_runs(tasks: Sequence[RunTask], hashes: Mapping[int, str], done: set[str]
                  ) -> list[tuple[int, str, Any, Mapping[str, Any]]]:
    """Valid runs whose file is not stored yet, in run order, each input hash once."""
    pending, queued = [], set()
    for t in tasks:
        h = hashes.get(t.index)
        if h is not None and h not in done and h not in queued:
            queued.add(h)
            pending.append((t.index, h, t.scenario, t.values))
    return pending


def _execute(be: Any, batch_fn: Callable[[Any], Any], pending: list[Any], rep: SweepReport,
             bar: Any, max_batch: int, store: SweepStore, valid_hashes: set[str]) -> None:
    """Run ``pending`` on backend ``be``; on Ctrl-C say how to resume, then re-raise."""
    cancel = True
    inflight: set[Any] = set()
    try:
        _dispatch(be, batch_fn, list(reversed(pending)), inflight, rep, bar, max_batch)
        cancel = False
    except KeyboardInterrupt:
        bar.close()
        n_now = len(store.existing() & valid_hashes)
        print(f"dermsim sweep: interrupted with {n_now}/{len(valid_hashes)} runs stored in "
              f"{store.runs_dir}; run the same command again to resume", file=sys.stderr)
        raise
    except Exception as exc:
        if type(exc).__name__ == "BrokenProcessPool":
            raise DermsimError(f"a worker process died ({exc}); finished runs are kept in "
                               f"{store.runs_dir}; rerun to resume") from None
        raise
    finally:
        be.close(inflight, cancel=cancel)
        bar.close()


def _dispatch(be: Any, batch_fn: Callable[[Any], Any], queue: list[Any], inflight: set[Any],
              rep: SweepReport, bar: Any, max_batch: int) -> None:
    """Keep every worker busy with one task running and one queued until ``queue`` (popped
    from the end = run order) is empty; record each summary in ``rep``."""
    while queue or inflight:
        while queue and len(inflight) < 2 * be.n_workers:
            mean = rep.compute_s / rep.n_computed if rep.n_computed else None
            size = batch_size(len(queue), be.n_workers, mean, max_batch)
            inflight.add(be.submit(batch_fn, [queue.pop() for _ in range(size)]))
        for f in be.wait(inflight):
            inflight.discard(f)
            summaries = f.result()
            for s in summaries:
                rep.n_computed += 1
                rep.compute_s += s["elapsed_s"]
                rep.cpu_s += s["cpu_s"]
                rep.workers_pids.add(s["pid"])
                rep.summaries.append(s)
                if s["status"] != STATUS_OK:
                    rep.n_failed += 1
            bar.update(len(summaries))
            if rep.n_failed:
                bar.set_postfix_str(f"{rep.n_failed} failed")
