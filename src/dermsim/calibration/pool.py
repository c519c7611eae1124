"""Process pools for the calibration: walkers and predictive members in parallel."""

from __future__ import annotations

from typing import Any

__all__ = ["NoPool", "worker_pool"]


class NoPool:
    """Context manager standing in for a pool when one process is asked for."""

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


def worker_pool(workers: int) -> Any:
    """A process pool of ``workers`` (or no pool for one)."""
    if workers == 1:
        return NoPool()
    import multiprocessing

    return multiprocessing.get_context("fork").Pool(workers)
