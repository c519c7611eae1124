"""The ``--dry-run`` plan: runs, stored runs and a time estimate."""

from __future__ import annotations

import functools
import math
import time
from pathlib import Path

from dermsim.errors import DermsimError
from dermsim.sweep.backends import single_thread
from dermsim.sweep.spec import SweepSpec
from dermsim.sweep.store import SweepStore, callable_id, run_hash
from dermsim.sweep.worker import RunFunction, one_line, simulate_outcomes


def time_one_run(spec: SweepSpec, run_fn: RunFunction | None = None) -> tuple[float, str]:
    """Wall time [s] of the first valid run (single-threaded, in this process; a second call
    if the first was short, to leave out imports and compilation) and a note."""
    fn = run_fn or functools.partial(simulate_outcomes, time_series=spec.time_series)
    task = next((t for t in spec.tasks() if t.scenario is not None), None)
    if task is None:
        raise DermsimError("no valid run in this sweep to time")
    with single_thread():
        t0 = time.perf_counter()
        try:
            fn(task.scenario)
        except Exception as exc:
            return time.perf_counter() - t0, f"the timed run failed: {one_line(exc)}"
        first = time.perf_counter() - t0
        if first > 10.0:
            return first, "timed now; includes imports and first-call compilation"
        from dermsim.config import with_overrides

        # another seed, so that the pipeline's per-process stage cache does not answer
        again = with_overrides(task.scenario, {"seed": (task.scenario.seed + 1) % 2**53})
        t0 = time.perf_counter()
        fn(again)
        return time.perf_counter() - t0, (f"timed now, second call; the first took {first:.3g} s "
                                          "with imports and compilation")


def plan_text(spec: SweepSpec, out_dir: str | Path | None = None, *, n_workers: int = 1,
              backend: str = "processes", resume: bool = True, run_fn: RunFunction | None = None,
              time_run: bool = True) -> str:
    """The ``--dry-run`` report: runs, invalid combinations, stored runs, time estimate."""
    out = Path(out_dir or spec.output or "out/sweeps")
    store = SweepStore(out, spec.name)
    fn = run_fn or functools.partial(simulate_outcomes, time_series=spec.time_series)
    tasks = spec.tasks()
    fn_id = callable_id(fn)
    hashes = {run_hash(t.scenario, spec.outcomes, spec.time_series, fn_id)
              for t in tasks if t.scenario is not None}
    stored = hashes & store.existing() if resume else set()
    invalid = [t for t in tasks if t.scenario is None]
    pending = len(hashes) - len(stored)
    if spec.sampled:
        shape = f"{spec.design.kind} design, n = {spec.design.n}"
    else:
        shape = " x ".join(str(s) for s in spec.shape) + " factorial"
    lines = [f"sweep {spec.name}: {shape} -> {spec.n_runs} runs",
             f"  base: {spec.base_source}"]
    lines += [f"  {p.describe()}" for p in spec.parameters]
    lines.append(f"  outcomes: {', '.join(spec.outcomes)}")
    if invalid:
        lines.append(f"  invalid combinations (recorded, not run): {len(invalid)}, e.g. "
                     f"{invalid[0].error}")
    lines.append(f"  stored runs reused: {len(stored)}; to run: {pending}"
                 + ("" if resume else " (--restart: stored runs are deleted)"))
    if pending and time_run:
        elapsed = store.read_elapsed() if resume else []
        if elapsed:
            import statistics

            t1, note = statistics.median(elapsed), f"median of {len(elapsed)} stored runs"
        else:
            t1, note = time_one_run(spec, run_fn)
        n_w = max(1, min(n_workers, pending))
        total = math.ceil(pending / n_w) * t1
        lines.append(f"  one run: {fmt_duration(t1)} ({note})")
        lines.append(f"  estimated time: {fmt_duration(total)} on "
                     f"{workers_text(backend, n_w)}")
    lines.append(f"  results: {store.result_path}")
    return "\n".join(lines)


def fmt_duration(s: float) -> str:
    if s < 90:
        return f"{s:.3g} s"
    if s < 5400:
        return f"{s / 60:.1f} min"
    return f"{s / 3600:.1f} h"


def workers_text(backend: str, n: int) -> str:
    if backend == "serial":
        return "1 process (serial)"
    if backend == "dask":
        return f"{n} dask worker{'s' if n > 1 else ''}"
    return f"{n} worker process{'es' if n > 1 else ''}"

