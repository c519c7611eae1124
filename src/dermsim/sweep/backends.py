"""Where runs execute: serial, a local process pool or dask, one thread per run."""

from __future__ import annotations

import contextlib
import math
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from dermsim.errors import DermsimError
from dermsim.numerics.blas import set_blas_threads
from dermsim.sweep.lock import close_inherited

#: Environment that keeps a worker process on one thread (set before numba/BLAS load).
THREAD_ENV = {"NUMBA_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
              "MKL_NUM_THREADS": "1"}


def limit_threads() -> None:
    """Keep this process on one thread for numba/OpenMP/BLAS (results then do not depend on
    the thread count, and workers do not oversubscribe the cores)."""
    os.environ.update(THREAD_ENV)
    numba = sys.modules.get("numba")
    if numba is not None:
        with contextlib.suppress(Exception):
            if numba.get_num_threads() != 1:
                numba.set_num_threads(1)
    if "numpy" in sys.modules:
        with contextlib.suppress(Exception):
            set_blas_threads(1)


@contextlib.contextmanager
def single_thread() -> Iterator[None]:
    """One numba and one BLAS thread in this (parent) process for the duration; restored
    afterwards."""
    import numba

    old = numba.get_num_threads()
    numba.set_num_threads(1)
    old_blas = set_blas_threads(1)
    try:
        yield
    finally:
        numba.set_num_threads(old)
        if old_blas is not None:
            set_blas_threads(old_blas)


def _init_worker() -> None:
    """Process-pool initializer: one thread per worker; Ctrl-C is handled by the parent; the
    worker exits by itself if its parent dies (e.g. the sweep was killed with SIGKILL)."""
    close_inherited()
    os.environ.update(THREAD_ENV)
    with contextlib.suppress(ValueError):
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    ppid = os.getppid()

    def watch() -> None:
        while True:
            time.sleep(1.0)
            if os.getppid() != ppid:
                os._exit(3)

    threading.Thread(target=watch, name="dermsim-parent-watch", daemon=True).start()


def batch_size(remaining: int, n_workers: int, mean_run_s: float | None, max_batch: int = 16,
               target_s: float = 1.0, factor: int = 4) -> int:
    """Runs in the next task (adaptive guided scheduling).

    At most ``remaining / (factor · workers)`` so that the batches shrink as the work runs out
    and the tail stays balanced; at most ``target_s / mean run time`` so that a task lasts about
    ``target_s`` (long runs go one by one: per-run progress, no batching needed; short runs are
    grouped to amortise the few-ms dispatch overhead); 1 until a run time is known.
    """
    if mean_run_s is None or remaining <= 0:
        return 1
    guided = math.ceil(remaining / (factor * max(1, n_workers)))
    by_time = int(target_s / max(mean_run_s, 1e-6))
    return max(1, min(max_batch, guided, by_time))


def _default_start_method() -> str:
    """``fork`` (cheapest) unless this process already runs threads (numba's pool, dask,
    ...), in which case forking could deadlock and ``forkserver`` is used."""
    import multiprocessing as mp

    methods = mp.get_all_start_methods()
    busy = threading.active_count() > 1
    par = sys.modules.get("numba.np.ufunc.parallel")
    if par is not None and getattr(par, "_is_initialized", False):
        try:  # GNU OpenMP aborts a forked child; numba's workqueue and TBB layers do not
            busy = busy or sys.modules["numba"].threading_layer() not in ("workqueue", "tbb")
        except Exception:
            busy = True
    if "fork" in methods and sys.platform.startswith("linux") and not busy:
        return "fork"
    return "forkserver" if "forkserver" in methods else "spawn"


class _Done:
    """An already computed result with the interface of a future."""

    def __init__(self, value: Any) -> None:
        self._value = value

    def result(self) -> Any:
        return self._value


class _SerialBackend:
    name = "serial"

    def __init__(self) -> None:
        self.n_workers = 1

    def submit(self, fn: Callable[[Any], Any], batch: Any) -> Any:
        with single_thread():
            return _Done(fn(batch))

    def wait(self, futures: set[Any]) -> set[Any]:
        return set(futures)

    def close(self, futures: set[Any], cancel: bool = False) -> None:
        pass


class _ProcessBackend:
    name = "processes"

    def __init__(self, workers: int, start_method: str | None = None,
                 preload: Sequence[str] = ()) -> None:
        import concurrent.futures as cf
        import importlib
        import multiprocessing as mp

        method = start_method or _default_start_method()
        ctx = mp.get_context(method)
        # modules every worker needs: imported once here (fork: the workers inherit them) or in
        # the fork server, instead of once per worker
        modules = ["netCDF4", *preload]
        if method == "forkserver":
            ctx.set_forkserver_preload(modules)
        elif method == "fork":
            for m in modules:
                importlib.import_module(m)
        self.start_method = method
        self.n_workers = workers
        self._cf = cf
        self.pool = cf.ProcessPoolExecutor(max_workers=workers, mp_context=ctx,
                                           initializer=_init_worker)
        self.pool.submit(os.getpid).result()  # start the workers now (before any bar thread)

    def submit(self, fn: Callable[[Any], Any], batch: Any) -> Any:
        return self.pool.submit(fn, batch)

    def wait(self, futures: set[Any]) -> set[Any]:
        return self._cf.wait(futures, return_when=self._cf.FIRST_COMPLETED).done

    def close(self, futures: set[Any], cancel: bool = False) -> None:
        if cancel:
            for f in futures:
                f.cancel()
            procs = list(getattr(self.pool, "_processes", {}).values())
            self.pool.shutdown(wait=False, cancel_futures=True)
            for p in procs:  # the pool's own workers, started by this sweep
                with contextlib.suppress(Exception):
                    p.terminate()
            for p in procs:
                with contextlib.suppress(Exception):
                    p.join(5)
        else:
            self.pool.shutdown(wait=True)


class _DaskBackend:
    name = "dask"

    def __init__(self, scheduler: Any = None, n_local: int | None = None) -> None:
        try:
            import distributed
        except ImportError:
            raise DermsimError("the dask backend needs dask.distributed: "
                               "pip install 'dermsim[dask]'") from None
        import logging

        self._distributed = distributed
        self.cluster = None
        self._own_client = True
        if scheduler is not None and not isinstance(scheduler, str):
            self.client = scheduler  # an existing distributed.Client
            self._own_client = False
        elif scheduler is not None:
            try:
                self.client = distributed.Client(scheduler, timeout="20s")
            except (OSError, TimeoutError) as exc:
                raise DermsimError(f"cannot connect to the dask scheduler {scheduler}: "
                                   f"{exc}") from None
        else:
            self.cluster = distributed.LocalCluster(
                n_workers=n_local or os.cpu_count() or 1, threads_per_worker=1, processes=True,
                dashboard_address=None, silence_logs=logging.ERROR, env=dict(THREAD_ENV))
            self.client = distributed.Client(self.cluster)
        workers = self.client.nthreads()
        if not workers:
            self.client.wait_for_workers(1, timeout=60)
            workers = self.client.nthreads()
        self.n_workers = max(1, sum(workers.values()))

    def submit(self, fn: Callable[[Any], Any], batch: Any) -> Any:
        return self.client.submit(fn, batch, pure=False)

    def wait(self, futures: set[Any]) -> set[Any]:
        return set(self._distributed.wait(list(futures), return_when="FIRST_COMPLETED").done)

    def close(self, futures: set[Any], cancel: bool = False) -> None:
        with contextlib.suppress(Exception):
            if cancel and futures:
                self.client.cancel(list(futures))
        if self._own_client:
            with contextlib.suppress(Exception):
                self.client.close()
        if self.cluster is not None:
            with contextlib.suppress(Exception):
                self.cluster.close()


def n_local_workers(workers: int | None) -> int:
    if workers is not None:
        if workers < 1:
            raise DermsimError(f"--workers {workers}: allowed >= 1")
        return workers
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def open_backend(backend: str, workers: int | None, scheduler: Any, dask_local: int | None,
                  n_pending: int, start_method: str | None, preload: Sequence[str] = ()) -> Any:
    if backend == "serial":
        return _SerialBackend()
    if backend == "processes":
        n = min(n_local_workers(workers), max(1, n_pending))
        return _ProcessBackend(n, start_method, preload)
    if backend == "dask":
        return _DaskBackend(scheduler, dask_local or workers)
    raise DermsimError(f"backend = {backend!r}: allowed 'serial', 'processes' or 'dask'")

