"""The ``--dry-run`` plan: runs, stored runs and a time estimate."""

from __future__ import annotations

import functools
import time
from pathlib import Path
from typing import Any

from dermsim.errors import DermsimError
from dermsim.sweep import cost
from dermsim.sweep.backends import single_thread
from dermsim.sweep.identity import callable_id, run_hash
from dermsim.sweep.spec import SweepSpec
from dermsim.sweep.store import SweepStore
from dermsim.sweep.worker import RunFunction, one_line, simulate_outcomes
from dermsim.units import format_duration


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
              probe: bool = False) -> str:
    """The ``--dry-run`` report: runs, invalid combinations, stored runs and a time estimate
    from the cost model (:mod:`dermsim.sweep.cost`), calibrated on stored runs when there are
    some. Nothing is simulated unless ``probe`` (then one run is timed now, see
    :func:`time_one_run`); nothing is written."""
    out = Path(out_dir or spec.output or "out/sweeps")
    store = SweepStore(out, spec.name)
    fn = run_fn or functools.partial(simulate_outcomes, time_series=spec.time_series)
    tasks = spec.tasks()
    fn_id = callable_id(fn)
    hashes = {t.index: run_hash(t.scenario, spec.outcomes, spec.time_series, fn_id)
              for t in tasks if t.scenario is not None}
    stored, damaged = store.scan(hashes.values(), remove=False) if resume else ({}, [])
    invalid = [t for t in tasks if t.scenario is None]
    task_of = {h: t for t in tasks if (h := hashes.get(t.index)) is not None}
    todo = {h: t for h, t in task_of.items() if h not in stored}
    lines = [_header(spec), f"  base: {spec.base_source}"]
    lines += [f"  {p.describe()}" for p in spec.parameters]
    lines.append(f"  outcomes: {', '.join(spec.outcomes)}")
    if spec.objective:
        lines.append(f"  objective (best runs): {_objective_text(spec.objective)}")
    if invalid:
        lines.append(f"  invalid combinations (recorded, not run): {len(invalid)}, e.g. "
                     f"{invalid[0].error}")
    lines.append(f"  stored runs reused: {len(stored)}; to run: {len(todo)}"
                 + ("" if resume else " (--restart: stored runs are deleted)"))
    if damaged:
        lines.append(f"  damaged run files (will be recomputed): {len(damaged)}")
    if todo:
        done = {h: task_of[h] for h in stored}
        lines += _estimate_lines(store, todo, done, n_workers, backend, run_fn)
        if probe:
            t1, note = time_one_run(spec, run_fn)
            lines.append(f"  probe: one run took {format_duration(t1)} now ({note})")
    lines.append(f"  results: {store.result_path}")
    return "\n".join(lines)


def _header(spec: SweepSpec) -> str:
    if spec.sampled:
        shape = f"{spec.design.kind} design, n = {spec.design.n}"
    else:
        shape = " x ".join(str(s) for s in spec.shape) + " factorial"
    return f"sweep {spec.name}: {shape} -> {spec.n_runs} runs"


def _objective_text(objective: str) -> str:
    from dermsim.sweep.tables import parse_by

    name, asc = parse_by(objective, None)
    return f"{name} ({'lower' if asc else 'higher'} is better)"


def _estimate_lines(store: SweepStore, todo: dict[str, Any], done: dict[str, Any],
                    n_workers: int, backend: str, run_fn: RunFunction | None) -> list[str]:
    """The cost-model estimate of the runs to do, scaled by stored runs' measured times."""
    if run_fn is not None:
        return ["  estimated time: unknown (a custom run function; the cost model describes "
                "dermsim.simulate)"]
    modelled = {h: cost.run_seconds(cost.features(t.scenario)) for h, t in todo.items()}
    pairs = [(m, cost.run_seconds(cost.features(done[h].scenario)))
             for h, m in store.read_elapsed_by_hash(done).items()]
    factor, n_cal = cost.calibration(pairs)
    run_s = [factor * t for t in modelled.values()]
    n_w = max(1, min(n_workers, len(run_s)))
    total = cost.sweep_seconds(run_s, n_w, 0.0 if backend == "serial" else cost.T_WORKER_START)
    basis = (f"cost model scaled by {factor:.2g} from {n_cal} stored runs" if n_cal else
             "cost model: grid cells x sessions (+ RF steps); nothing was run")
    return [f"  one run: {format_duration(min(run_s))} to {format_duration(max(run_s))} "
            f"(mean {format_duration(sum(run_s) / len(run_s))}; {basis})",
            f"  estimated time: {format_duration(total)} on {workers_text(backend, n_w)} "
            "(single-thread runs on an otherwise idle machine)"]


def workers_text(backend: str, n: int) -> str:
    if backend == "serial":
        return "1 process (serial)"
    if backend == "dask":
        return f"{n} dask worker{'s' if n > 1 else ''}"
    return f"{n} worker process{'es' if n > 1 else ''}"

