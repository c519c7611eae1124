"""BLAS thread control for dermsim's solver and sweep workers.

On a 2-core machine the idle threads of numpy's OpenBLAS spin next to numba kernels and sparse
solves and slowed BLAS-heavy steps (pyamg's CG dot products) up to 10x
(benchmarks/bench_rf.py). Environment variables cannot change the thread count once numpy is
loaded, so this uses threadpoolctl when installed and otherwise numpy's bundled
scipy-openblas through ctypes; without either it does nothing.
"""

from __future__ import annotations

import contextlib
import functools
import os
from collections.abc import Iterator
from typing import Any


@functools.cache
def _openblas_threads_api() -> tuple[Any, Any] | None:
    """(get, set) of the thread count of numpy's bundled OpenBLAS, via ctypes (None if absent)."""
    try:
        import ctypes
        import glob

        import numpy as np

        libdir = os.path.join(os.path.dirname(os.path.dirname(np.__file__)), "numpy.libs")
        for path in glob.glob(os.path.join(libdir, "libscipy_openblas*.so")):
            lib = ctypes.CDLL(path)
            for suffix in ("64_", ""):
                get = getattr(lib, f"scipy_openblas_get_num_threads{suffix}", None)
                put = getattr(lib, f"scipy_openblas_set_num_threads{suffix}", None)
                if get is not None and put is not None:
                    get.restype = ctypes.c_int
                    put.argtypes = [ctypes.c_int]
                    return get, put
    except OSError:  # pragma: no cover - no bundled library on this platform
        pass
    return None


def set_blas_threads(n: int) -> int | None:
    """Set the BLAS thread count; returns the previous count, or None if it could not be
    changed."""
    try:
        from threadpoolctl import threadpool_info, threadpool_limits

        old = max((i.get("num_threads", 1) for i in threadpool_info()
                   if i.get("user_api") == "blas"), default=None)
        threadpool_limits(limits=n, user_api="blas")
        return old
    except ImportError:
        pass
    api = _openblas_threads_api()
    if api is None:
        return None
    old = int(api[0]())
    api[1](n)
    return old


@contextlib.contextmanager
def single_threaded_blas() -> Iterator[None]:
    """Run the enclosed block with one BLAS thread, restoring the previous count after."""
    old = set_blas_threads(1)
    try:
        yield
    finally:
        if old is not None:
            set_blas_threads(old)
