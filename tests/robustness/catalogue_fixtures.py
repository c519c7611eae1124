"""Fixture files of the catalogue: random bytes and a NetCDF file that is no dermsim result."""

from __future__ import annotations

import random
from pathlib import Path


def garbage_bytes(n: int = 4096, seed: int = 16) -> bytes:
    """``n`` random bytes (seeded)."""
    rnd = random.Random(seed)
    return bytes(rnd.getrandbits(8) for _ in range(n))


def write_empty_nc(path: Path) -> None:
    """A valid NetCDF file with one unrelated variable."""
    import numpy as np
    import xarray as xr

    xr.Dataset({"v": ("x", np.zeros(3))}).to_netcdf(path)


SMALL_RESULT_SCENARIO = {
    "name": "small", "seed": 7, "skin": {"site": "cheek"},
    "device": {"preset": "pen_12", "needle_length_um": 1000.0, "passes": 2},
    "protocol": {"sessions": 1, "follow_up_days": 10.0},
    "grid": {"h_um": 25.0, "width_um": 1000.0},
}


def write_small_result(path: str | Path) -> Path:
    """Simulate a tiny scenario and write its result (a valid input for report/animate)."""
    from dermsim import load_scenario, simulate
    from dermsim.io import write_netcdf

    return write_netcdf(simulate(load_scenario(SMALL_RESULT_SCENARIO)), path)
