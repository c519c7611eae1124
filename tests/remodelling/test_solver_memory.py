"""The stiff solver does not leak memory between integrations.

scipy 1.17.0-1.17.1 leak LSODA's work arrays on every ``solve_ivp`` call (about 8 bytes ×
36 per unknown of a banded system); a calibration or an ensemble runs thousands of
integrations, so such a leak exhausts the machine (pyproject.toml excludes those versions).
"""

import gc
import sys
from pathlib import Path

import numpy as np
import pytest
from scipy.integrate import solve_ivp

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                reason="resident memory read from /proc")


def _rss_mb() -> float:
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    import os

    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def test_lsoda_does_not_leak_its_work_arrays():
    y0 = np.ones(40_000)

    def f(t, y):
        return -y

    for _ in range(3):  # warm up allocator pools
        solve_ivp(f, (0.0, 1.0), y0, method="LSODA", t_eval=[1.0])
    gc.collect()
    before = _rss_mb()
    for _ in range(20):
        solve_ivp(f, (0.0, 1.0), y0, method="LSODA", t_eval=[1.0])
    gc.collect()
    # a leak of the work arrays would add 20 × ~7 MB
    assert _rss_mb() - before < 40.0
