"""The runs folder of a sweep: one hash-named NetCDF file per run, written atomically; damaged
files detected and recomputed; only this sweep's stale temporary files cleaned."""

from __future__ import annotations

import contextlib
import json
import math
import os
import re
import socket
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from dermsim.errors import DermsimError
from dermsim.sweep.outcomes import outcome_attrs
from dermsim.sweep.spec import STATUS_FAILED, STATUS_INVALID, STATUS_OK

HASH_RE = re.compile(r"[0-9a-f]{24}")

#: ``.HASH.nc.HOST~PID.XXXX.tmp``: a run file being written by the sweep started by PID on HOST.
_TMP_RE = re.compile(r"\.[0-9a-f]{24}\.nc\.(?P<host>[A-Za-z0-9-]+)~(?P<pid>\d+)\..*\.tmp")

#: Temporary files of sweeps on other machines (or of an unknown writer) older than this are
#: taken as stale [s].
FOREIGN_TMP_AGE_S = 24 * 3600.0


def _host() -> str:
    return re.sub(r"[^A-Za-z0-9-]", "-", socket.gethostname())[:40] or "host"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True  # exists, owned by someone else
    return True


class SweepStore:
    """Folder layout of a sweep's results.

    ``DIR/NAME.nc`` is the merged Dataset; ``DIR/NAME.runs/<hash>.nc`` holds one file per run,
    named by :func:`~dermsim.sweep.identity.run_hash`; ``DIR/NAME.runs/spec.toml`` a copy of
    the spec; ``DIR/NAME.runs/.lock`` the writer's lock (:class:`~dermsim.sweep.lock.SweepLock`).
    """

    def __init__(self, out_dir: str | Path, name: str) -> None:
        self.out_dir = Path(out_dir)
        self.result_path = self.out_dir / f"{name}.nc"
        self.runs_dir = self.out_dir / f"{name}.runs"
        #: Tag in the names of the temporary files this sweep's workers write.
        self.temp_tag = f"{_host()}~{os.getpid()}"

    def prepare(self, spec_text: str) -> int:
        """Create the runs folder, remove stale temporary files (:meth:`clean_temporaries`)
        and store the spec. Returns how many temporary files were removed."""
        from dermsim.io import atomic_write_bytes

        self.runs_dir.mkdir(parents=True, exist_ok=True)
        n = self.clean_temporaries()
        if spec_text:
            atomic_write_bytes(spec_text.encode(), self.runs_dir / "spec.toml")
        return n

    def clean_temporaries(self, own: bool = False) -> int:
        """Remove temporary run files left by killed writes.

        ``own=False`` (at the start): files of sweeps whose process is gone (same machine), or,
        for other machines and unnamed writers, older than :data:`FOREIGN_TMP_AGE_S`; never
        those of a live sweep. ``own=True`` (at the end): this sweep's own leftovers (a worker
        killed while writing). Returns how many were removed.
        """
        if not self.runs_dir.is_dir():
            return 0
        host, n = _host(), 0
        for tmp in self.runs_dir.glob(".*.tmp"):
            stale = False
            m = _TMP_RE.fullmatch(tmp.name)
            mine = m is not None and f"{m['host']}~{m['pid']}" == self.temp_tag
            if own:
                stale = mine
            elif m is not None and m["host"] == host:
                stale = not mine and not _alive(int(m["pid"]))
            else:
                with contextlib.suppress(OSError):
                    stale = time.time() - tmp.stat().st_mtime > FOREIGN_TMP_AGE_S
            if stale:
                tmp.unlink(missing_ok=True)
                n += 1
        return n

    def path(self, h: str) -> Path:
        return self.runs_dir / f"{h}.nc"

    def existing(self) -> set[str]:
        """Hashes of the runs whose file exists (not checked: see :meth:`scan`)."""
        if not self.runs_dir.is_dir():
            return set()
        return {p.stem for p in self.runs_dir.glob("*.nc") if HASH_RE.fullmatch(p.stem)}

    def scan(self, hashes: Iterable[str], remove: bool = True) -> tuple[dict[str, int], list[str]]:
        """Check the stored files of ``hashes``: status of each readable run, and the hashes
        of damaged files (empty, truncated, not NetCDF, or of another run), which are deleted
        when ``remove`` so that they are recomputed."""
        status: dict[str, int] = {}
        damaged: list[str] = []
        for h in sorted(set(hashes) & self.existing()):
            st = self.check(h)
            if st is None:
                damaged.append(h)
                if remove:
                    self.path(h).unlink(missing_ok=True)
            else:
                status[h] = st
        return status, damaged

    def check(self, h: str) -> int | None:
        """Status of run file ``h`` if it is complete and consistent, else ``None``."""
        import netCDF4

        try:
            with netCDF4.Dataset(self.path(h)) as nc:
                nc.set_auto_mask(False)
                if str(nc.getncattr("run_hash")) != h:
                    return None
                st = int(nc.getncattr("status"))
                for v in nc.variables.values():  # every value readable: not truncated
                    v[...]
        except Exception:  # HDF/NetCDF errors, missing attributes, truncated data
            return None
        return st if st in (STATUS_OK, STATUS_FAILED, STATUS_INVALID) else None

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
        try:
            return self._read(h, series)
        except OSError as exc:
            raise DermsimError(f"run file {self.path(h)} cannot be read ({exc}); run the sweep "
                               "again to recompute it") from None

    def _read(self, h: str, series: bool) -> dict[str, Any]:
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

    def read_elapsed_by_hash(self, hashes: Iterable[str], limit: int = 200) -> dict[str, float]:
        """Run time [s] of up to ``limit`` successful stored runs among ``hashes``."""
        import netCDF4

        out: dict[str, float] = {}
        for h in sorted(set(hashes) & self.existing())[:limit]:
            with contextlib.suppress(Exception), netCDF4.Dataset(self.path(h)) as nc:
                if int(nc.getncattr("status")) == STATUS_OK:
                    out[h] = float(nc.getncattr("elapsed_s"))
        return out

    def read_elapsed(self, hashes: Iterable[str] | None = None, limit: int = 50) -> list[float]:
        """Run times [s] of up to ``limit`` successful stored runs (of ``hashes`` if given)."""
        import netCDF4

        out = []
        pool = self.existing() if hashes is None else set(hashes) & self.existing()
        for h in sorted(pool)[:limit]:
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
              series: Mapping[str, Any], tmp_tag: str = "") -> None:
    """Write one run's file atomically with netCDF4 directly (no xarray backend machinery in
    the workers). Scalar outcomes are 0-d variables; series keep their dims and coords.

    The temporary file is named ``.HASH.nc.TAG.XXXX.tmp`` where ``TAG`` names the sweep that
    writes it (:attr:`SweepStore.temp_tag`), so that only that sweep's leftovers are cleaned."""
    import tempfile

    import netCDF4
    import numpy as np

    from dermsim import __version__

    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.{tmp_tag + '.' if tmp_tag else ''}",
                               suffix=".tmp", dir=path.parent)
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

