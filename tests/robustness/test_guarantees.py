"""Guarantees of docs/guarantees.md that no other test covers: atomic writes under failure and
bit-identical results across thread counts."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import xarray as xr
from catalogue import BASE, with_

from dermsim.io import atomic_write_bytes, write_netcdf

SRC = Path(__file__).resolve().parents[2] / "src"


def test_failed_write_leaves_the_old_file_and_no_temporary(tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "r.nc"
    target.write_bytes(b"previous result")

    def broken(self: xr.Dataset, path: str, *args: object, **kwargs: object) -> None:
        Path(path).write_bytes(b"half a file")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(xr.Dataset, "to_netcdf", broken)
    with pytest.raises(OSError):
        write_netcdf(xr.Dataset({"v": ("x", np.arange(3.0))}), target)
    assert target.read_bytes() == b"previous result"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.nc"]


def test_interrupted_write_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import os as _os

    def interrupted(src: str, dst: str) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(_os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        atomic_write_bytes(b"data", tmp_path / "page.html")
    assert list(tmp_path.iterdir()) == []


_RUN = """
import json, sys
import numpy as np
from dermsim import load_scenario, simulate
ds = simulate(load_scenario(json.loads(sys.argv[1])))
out = {k: np.asarray(v.values, dtype=float).tobytes().hex() for k, v in ds.data_vars.items()
       if v.dtype.kind in "fiu"}
print(json.dumps(out))
"""


def _run_with_threads(table: dict, threads: int) -> dict[str, str]:
    n = str(threads)
    env = {**os.environ, "PYTHONPATH": str(SRC), "NUMBA_NUM_THREADS": n, "OMP_NUM_THREADS": n,
           "OPENBLAS_NUM_THREADS": n, "MKL_NUM_THREADS": n}
    p = subprocess.run([sys.executable, "-c", _RUN, json.dumps(table)], env=env,
                       capture_output=True, text=True, check=True, timeout=600)
    return json.loads(p.stdout.strip().splitlines()[-1])


@pytest.mark.slow
@pytest.mark.parametrize("name, table", [
    ("pen", BASE),
    ("rf", with_("device", {"preset": "rf_insulated_49", "needle_length_um": 1500.0},
                 with_("grid.h_um", 25.0))),
])
def test_bit_identical_across_thread_counts(name: str, table: dict) -> None:
    one = _run_with_threads(table, 1)
    two = _run_with_threads(table, 2)
    assert one.keys() == two.keys()
    differ = [k for k in one if one[k] != two[k]]
    assert not differ, f"{name}: {differ} differ between 1 and 2 threads"
