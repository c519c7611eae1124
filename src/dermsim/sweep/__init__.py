"""Parameter sweeps: many scenarios → one labelled :class:`xarray.Dataset`.

A sweep spec (TOML) names a base scenario, the parameters to vary by their dotted scenario
keys, and a design::

    name = "sessions_interval"
    base = "../configs/baseline.toml"        # relative to this file (or an inline [base] table)
    outcomes = ["collagen_I_change_pct", "downtime_h"]   # default: every scalar outcome
    objective = "collagen_I_change_pct"      # optional: what the best-runs table ranks by

    [parameters]
    "protocol.sessions" = [1, 2, 3, 4, 6]                 # a list: factorial levels / choices
    "protocol.interval_days" = {low = 14, high = 56, n = 4}   # a range (n points if factorial)
    "device.needle_length_um" = {low = 250, high = 2500, scale = "log"}

    [design]                                  # optional; default factorial (full product)
    kind = "lhs"                              # lhs | sobol | random | morris | saltelli
    n = 64

Each run gets its own seed from ``numpy.random.SeedSequence(seed).spawn(n_runs)`` (or the
base seed for all runs with ``seeds = "common"``), so a result never depends on the backend or
the worker count. Every run is executed single-threaded (numba, OpenMP, BLAS) in every backend,
which makes serial, process and dask results bit-identical.

Backends, one code path: ``serial``; ``processes`` (default: a fork/forkserver process pool on
all cores); ``dask`` (``distributed`` scheduler address or a LocalCluster with one thread per
worker). Runs are sent to workers in batches (guided scheduling: large batches first, single
runs at the end), each worker writes every run's result as a small NetCDF file named by the
hash of the run's inputs and returns only a summary. At the end the run files are merged into
one Dataset (a dim per parameter for factorial designs, a ``run`` dim with parameter coords for
sampled designs) written atomically. A rerun of the same command resumes: runs whose file
exists (and reads back complete) are not recomputed; one sweep at a time writes a runs folder.
A run that raises is recorded (``status``/``error`` variables) and the others go on.

Modules
-------
spec         the validated spec: parameters, design, figures, runs (:class:`SweepSpec`)
parse        TOML / dict → :class:`SweepSpec` (:func:`load_sweep`), one line per problem
designs      factorial products and unit-hypercube samples (LHS, Sobol', random, Morris, Saltelli)
outcomes     units, long names and better direction of the scalar outcomes
identity     the hash of a run's inputs, run function and model source
store        the runs folder: run files, damaged-file checks, stale temporaries
lock         one writer per runs folder
worker       worker side: call the run function, write the run file
backends     serial, process pool and dask backends; one thread per run; batch sizes
run          :func:`run_sweep`: pending runs → backend → progress → merge
merge        run files → one labelled Dataset (:func:`merge_runs`)
cost         cost model of a run (time from grid cells, sessions, RF steps)
plan         the ``--dry-run`` plan and time estimate
tables       best runs, failure summaries, the outcomes table as CSV
sensitivity  Morris and Sobol' indices (SALib)
cli          the ``dermsim sweep`` subcommand

Figures of sweep results are in :mod:`dermsim.viz.sweep`. The modules import only the standard
library at module level (except :mod:`~dermsim.sweep.sensitivity`) so that ``dermsim --help``
stays fast; numpy, xarray, dask and matplotlib are imported where used.
"""

from __future__ import annotations

from dermsim.sweep.backends import THREAD_ENV, batch_size, limit_threads, single_thread
from dermsim.sweep.cli import add_cli, cmd_sweep, run_study
from dermsim.sweep.identity import PRESENTATION_MODULES, model_fingerprint, run_hash
from dermsim.sweep.lock import SweepLock, SweepLockedError
from dermsim.sweep.merge import load_sweep_result, merge_runs
from dermsim.sweep.outcomes import LOWER_IS_BETTER, outcome_attrs
from dermsim.sweep.parse import load_sweep
from dermsim.sweep.plan import plan_text, time_one_run
from dermsim.sweep.run import SweepReport, run_sweep
from dermsim.sweep.spec import (
    DESIGN_KINDS,
    SENSITIVITY_KINDS,
    STATUS_FAILED,
    STATUS_INVALID,
    STATUS_MEANINGS,
    STATUS_OK,
    Design,
    FigureSpec,
    Parameter,
    RunTask,
    SweepSpec,
    SweepSpecError,
)
from dermsim.sweep.store import SweepStore
from dermsim.sweep.tables import best_runs, failure_summary, outcomes_csv, top_table
from dermsim.sweep.worker import RunFunction, simulate_outcomes

__all__ = [
    "DESIGN_KINDS",
    "LOWER_IS_BETTER",
    "PRESENTATION_MODULES",
    "SENSITIVITY_KINDS",
    "STATUS_FAILED",
    "STATUS_INVALID",
    "STATUS_MEANINGS",
    "STATUS_OK",
    "THREAD_ENV",
    "Design",
    "FigureSpec",
    "Parameter",
    "RunFunction",
    "RunTask",
    "SweepLock",
    "SweepLockedError",
    "SweepReport",
    "SweepSpec",
    "SweepSpecError",
    "SweepStore",
    "add_cli",
    "batch_size",
    "best_runs",
    "cmd_sweep",
    "failure_summary",
    "limit_threads",
    "load_sweep",
    "load_sweep_result",
    "merge_runs",
    "model_fingerprint",
    "outcome_attrs",
    "outcomes_csv",
    "plan_text",
    "run_hash",
    "run_study",
    "run_sweep",
    "simulate_outcomes",
    "single_thread",
    "time_one_run",
    "top_table",
]
