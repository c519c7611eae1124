"""The runs folder: one hash-named NetCDF file per run, resume, the model fingerprint."""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import math
import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dermsim.sweep.outcomes import outcome_attrs
from dermsim.sweep.spec import STATUS_FAILED, STATUS_OK

if TYPE_CHECKING:  # pragma: no cover
    from dermsim.config import Scenario


HASH_RE = re.compile(r"[0-9a-f]{24}")


#: dermsim modules that do not change what a run computes (left out of the model fingerprint,
#: so that editing them does not invalidate stored runs). Any other module counts as model code.
PRESENTATION_MODULES = frozenset({"cli", "viz", "sweep", "sensitivity", "report", "animate",
                                  "docs", "validation", "io", "__main__"})


@functools.cache
def model_fingerprint() -> str:
    """Hash of the dermsim model source (every module except :data:`PRESENTATION_MODULES`),
    so that stored runs are recomputed after the physics changed."""
    import dermsim

    root = Path(dermsim.__file__).resolve().parent
    h = hashlib.sha256()
    for p in sorted(root.rglob("*.py")):
        rel = p.relative_to(root)
        if "__pycache__" in rel.parts or rel.parts[0].removesuffix(".py") in PRESENTATION_MODULES:
            continue
        h.update(str(rel).encode() + b"\0" + p.read_bytes())
    return h.hexdigest()[:16]


def _function_fingerprint(fn: Any) -> str:
    """Hash of the source file of a run function defined outside dermsim ('' otherwise)."""
    import inspect

    while isinstance(fn, functools.partial):
        fn = fn.func
    try:
        path = Path(inspect.getsourcefile(fn) or "").resolve()
    except TypeError:
        return ""
    import dermsim

    if not path.is_file() or Path(dermsim.__file__).resolve().parent in path.parents:
        return ""
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


def callable_id(fn: Any, source: bool = True) -> str:
    """Name of a run function (with partial arguments and, outside dermsim, a source hash)."""
    if isinstance(fn, functools.partial):
        out = (f"{callable_id(fn.func, False)}({', '.join(map(repr, fn.args))}"
               f"{', ' if fn.args and fn.keywords else ''}"
               f"{', '.join(f'{k}={v!r}' for k, v in sorted(fn.keywords.items()))})")
    else:
        out = f"{getattr(fn, '__module__', '?')}.{getattr(fn, '__qualname__', repr(fn))}"
    fp = _function_fingerprint(fn) if source else ""
    return f"{out} [source {fp}]" if fp else out


def run_hash(scenario: Scenario, outcomes: Sequence[str], time_series: Sequence[str],
             fn_id: str) -> str:
    """Identity of one run's inputs: resolved scenario (incl. seed), kept outcomes and series,
    run function (name and, for functions outside dermsim, source file), dermsim version and
    model source (:func:`model_fingerprint`). A run file is reused only if this matches."""
    from dermsim import __version__

    blob = json.dumps({"scenario": scenario.to_dict(), "outcomes": list(outcomes),
                       "time_series": list(time_series), "run_function": fn_id,
                       "dermsim_version": __version__, "model": model_fingerprint()},
                      sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:24]


class SweepStore:
    """Folder layout of a sweep's results.

    ``DIR/NAME.nc`` is the merged Dataset; ``DIR/NAME.runs/<hash>.nc`` holds one file per run,
    named by :func:`run_hash`; ``DIR/NAME.runs/spec.toml`` a copy of the spec.
    """

    def __init__(self, out_dir: str | Path, name: str) -> None:
        self.out_dir = Path(out_dir)
        self.result_path = self.out_dir / f"{name}.nc"
        self.runs_dir = self.out_dir / f"{name}.runs"

    def prepare(self, spec_text: str) -> None:
        from dermsim.io import atomic_write_bytes

        self.runs_dir.mkdir(parents=True, exist_ok=True)
        for tmp in self.runs_dir.glob(".*.tmp"):  # left by a run killed while writing
            tmp.unlink(missing_ok=True)
        if spec_text:
            atomic_write_bytes(spec_text.encode(), self.runs_dir / "spec.toml")

    def path(self, h: str) -> Path:
        return self.runs_dir / f"{h}.nc"

    def existing(self) -> set[str]:
        """Hashes of the runs whose file exists."""
        if not self.runs_dir.is_dir():
            return set()
        return {p.stem for p in self.runs_dir.glob("*.nc") if HASH_RE.fullmatch(p.stem)}

    def clear(self) -> int:
        """Delete this sweep's run files (``--restart``). Returns how many were removed."""
        n = 0
        if self.runs_dir.is_dir():
            for p in self.runs_dir.iterdir():
                if (p.suffix == ".nc" and HASH_RE.fullmatch(p.stem)) or p.name.endswith(".tmp"):
                    p.unlink(missing_ok=True)
                    n += 1
        return n

    def read(self, h: str, series: bool = True) -> dict[str, Any]:
        """One run file as ``{status, error, elapsed_s, outcomes, series}`` (``series``:
        also load the variables with dims, as DataArrays)."""
        import netCDF4

        with netCDF4.Dataset(self.path(h)) as nc:
            nc.set_auto_mask(False)  # NaN stays NaN (not a masked element)
            attrs = {k: nc.getncattr(k) for k in nc.ncattrs()}
            outcomes = {k: float(v[...]) for k, v in nc.variables.items()
                        if not v.dimensions}
            has_series = any(v.dimensions and k not in nc.dimensions
                             for k, v in nc.variables.items())
        out = {
            "status": int(attrs.get("status", STATUS_FAILED)),
            "error": str(attrs.get("error", "")),
            "elapsed_s": float(attrs.get("elapsed_s", math.nan)),
            "outcomes": outcomes,
            "series": {},
        }
        if series and has_series:
            import xarray as xr

            with xr.open_dataset(self.path(h)) as ds:
                out["series"] = {k: v.load() for k, v in ds.data_vars.items() if v.dims}
        return out

    def read_status(self, h: str) -> int:
        import netCDF4

        with netCDF4.Dataset(self.path(h)) as nc:
            return int(nc.getncattr("status"))

    def read_elapsed(self, limit: int = 50) -> list[float]:
        """Run times [s] of up to ``limit`` successful stored runs (for estimates)."""
        import netCDF4

        out = []
        for h in sorted(self.existing())[:limit]:
            with contextlib.suppress(Exception), netCDF4.Dataset(self.path(h)) as nc:
                if int(nc.getncattr("status")) == STATUS_OK:
                    out.append(float(nc.getncattr("elapsed_s")))
        return out


def _nc_attr(v: Any) -> Any:
    import numpy as np

    if isinstance(v, (bool, np.bool_)):
        return int(v)
    if isinstance(v, (str, int, float, np.integer, np.floating)):
        return v
    if isinstance(v, (list, tuple, np.ndarray)) and all(
            isinstance(e, (int, float, np.integer, np.floating)) for e in v):
        return np.asarray(v, dtype=float)
    return str(v)


def write_run(path: Path, task_index: int, h: str, seed: int, values: Mapping[str, Any],
               status: int, error: str, elapsed: float, outcome_values: Mapping[str, float],
               series: Mapping[str, Any]) -> None:
    """Write one run's file atomically with netCDF4 directly (no xarray backend machinery in
    the workers). Scalar outcomes are 0-d variables; series keep their dims and coords."""
    import tempfile

    import netCDF4
    import numpy as np

    from dermsim import __version__

    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        with netCDF4.Dataset(tmp, "w", format="NETCDF4") as nc:
            nc.setncatts({
                "run_index": task_index, "run_hash": h, "seed": str(seed), "status": status,
                "error": error, "elapsed_s": elapsed, "dermsim_version": __version__,
                "parameters_json": json.dumps(dict(values), default=str),
            })
            for o, v in outcome_values.items():
                var = nc.createVariable(o, "f8", (), fill_value=np.nan)
                var[...] = v
                var.setncatts(outcome_attrs(o))
            for name, da in series.items():
                for d in da.dims:
                    if d in nc.dimensions:
                        continue
                    nc.createDimension(d, da.sizes[d])
                    if d in da.coords:
                        c = np.asarray(da[d].values)
                        if c.dtype.kind in "USO":
                            cv = nc.createVariable(d, str, (d,))
                            for i, e in enumerate(c):
                                cv[i] = str(e)
                        else:
                            cv = nc.createVariable(d, c.dtype.str.lstrip("<>=|"), (d,))
                            cv[:] = c
                        cv.setncatts({k: _nc_attr(a) for k, a in da[d].attrs.items()})
                var = nc.createVariable(name, "f8", da.dims, fill_value=np.nan)
                var[...] = np.asarray(da.values, dtype=float)
                var.setncatts({k: _nc_attr(a) for k, a in da.attrs.items()
                               if k not in ("_FillValue",)})
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise

