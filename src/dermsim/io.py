"""Reading and writing results: NetCDF written atomically, with provenance attrs."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from dermsim.errors import DermsimError


def _netcdf_safe_attrs(attrs: dict[str, Any]) -> dict[str, Any]:
    """NetCDF attrs must be strings, numbers or 1-D numeric arrays: convert the rest."""
    out: dict[str, Any] = {}
    for k, v in attrs.items():
        if isinstance(v, (bool, np.bool_)):
            out[k] = int(v)
        elif isinstance(v, (str, int, float, np.integer, np.floating)):
            out[k] = v
        elif isinstance(v, (list, tuple)) and all(isinstance(e, str) for e in v):
            out[k] = ", ".join(v)
        elif isinstance(v, (list, tuple, np.ndarray)):
            out[k] = np.asarray(v, dtype=float)
        elif v is None:
            continue
        else:
            out[k] = str(v)
    return out


def shareable_tempfile(path: Path, suffix: str = ".tmp") -> str:
    """A temporary file beside ``path`` with the permissions a normal ``open`` would give
    (``mkstemp`` creates files readable by the owner only)."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=suffix, dir=path.parent)
    os.close(fd)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)
    return tmp


def write_netcdf(ds: xr.Dataset, path: str | Path) -> Path:
    """Write ``ds`` to ``path`` atomically (temporary file in the same folder, then rename).

    Either the complete file appears at ``path`` or nothing does, so an interrupted run never
    leaves a half-written result behind.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    clean = ds.copy()
    clean.attrs = _netcdf_safe_attrs(dict(ds.attrs))
    for name in clean.variables:
        clean[name].attrs = _netcdf_safe_attrs(dict(clean[name].attrs))
        if clean[name].dtype == bool:
            clean[name] = clean[name].astype(np.int8)
    tmp = shareable_tempfile(path)
    try:
        # compress the large fields (injury, snapshots, RF maps): files shrink several-fold
        encoding = {name: {"zlib": True, "complevel": 4} for name, v in clean.data_vars.items()
                    if v.size >= 10_000 and v.dtype.kind in "fiu"}
        clean.to_netcdf(tmp, engine="netcdf4", encoding=encoding)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def atomic_write_bytes(data: bytes, path: str | Path) -> Path:
    """Write ``data`` to ``path`` atomically."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = shareable_tempfile(path)
    try:
        with open(tmp, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def save_figure(fig: Any, path: str | Path, dpi: int = 130) -> Path:
    """Save a matplotlib figure atomically (PNG by the file suffix)."""
    import io as _io

    import matplotlib.pyplot as plt

    buf = _io.BytesIO()
    fig.savefig(buf, dpi=dpi, format=Path(path).suffix.lstrip(".") or "png",
                bbox_inches="tight")
    plt.close(fig)  # the CLI draws one figure per result: free it once written
    return atomic_write_bytes(buf.getvalue(), path)


def open_result(path: str | Path) -> xr.Dataset:
    """Open a dermsim NetCDF file (loads it into memory and closes the file).

    Raises :class:`~dermsim.errors.DermsimError` (one line) when the file is missing or is
    not a NetCDF file.
    """
    path = Path(path)
    if not path.is_file():
        raise DermsimError(f"result file not found: {path}")
    try:
        with xr.open_dataset(path) as ds:
            return ds.load()
    except (OSError, ValueError, TypeError, RuntimeError) as exc:
        raise DermsimError(f"{path} is not a NetCDF file ({type(exc).__name__})") from None


def result_kind(ds: xr.Dataset) -> str:
    """What a dermsim file holds: ``"run"`` (``dermsim run`` / :func:`dermsim.simulate`),
    ``"sweep"``, ``"compare"`` (an outcomes table) or ``"unknown"``."""
    if "sweep_name" in ds.attrs or "run_id" in ds:
        return "sweep"
    if "scenario" in ds.dims:
        return "compare"
    if "session" in ds.dims and "injury" in ds and "layer" in ds:
        return "run"
    return "unknown"


_KIND_TEXT = {"sweep": "a sweep result", "compare": "a comparison table (dermsim compare)",
              "unknown": "not a dermsim run result"}


def open_run_result(path: str | Path, command: str) -> xr.Dataset:
    """Open a result written by ``dermsim run``; a sweep or comparison file or any other
    file stops ``command`` with one line saying what the file is."""
    need = f"dermsim {command} needs a result written by `dermsim run` (NAME.nc)"
    try:
        ds = open_result(path)
    except DermsimError as exc:
        raise DermsimError(f"{exc}; {need}") from None
    kind = result_kind(ds)
    if kind != "run":
        raise DermsimError(f"{path} is {_KIND_TEXT[kind]}; {need}")
    return ds
