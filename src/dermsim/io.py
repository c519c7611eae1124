"""Reading and writing results: NetCDF written atomically, with provenance attrs.

Output destinations are checked before any computing starts (:func:`check_output_dir`,
:func:`check_output_file`, :func:`check_file_name`), so a bad ``-o`` fails in a fraction of a
second with one line instead of after the whole simulation.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from dermsim.errors import DermsimError, OutputError

#: Longest file or folder name most file systems accept [bytes] (NAME_MAX on Linux and macOS).
NAME_MAX = 255
#: Longest base name dermsim gives an output (suffixes and temporary-file prefixes are added).
MAX_BASE_NAME = 200


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


def _describe(path: str | Path) -> str:
    text = str(path)
    return text if len(text) <= 120 else text[:60] + "..." + text[-40:]


def _check_path_text(path: str | Path, what: str) -> Path:
    text = str(path)
    if not text:
        raise OutputError(f"{what}: empty path")
    if "\0" in text:
        raise OutputError(f"{what} {text!r}: contains a NUL character")
    for part in Path(text).parts:
        if len(part.encode("utf-8", "surrogateescape")) > NAME_MAX:
            raise OutputError(f"{what} {_describe(text)}: a name in it is too long "
                              f"({len(part)} characters; allowed at most {NAME_MAX} bytes)")
    return Path(text)


def _first_existing(path: Path) -> Path:
    """``path`` or its nearest existing ancestor; an existing non-folder on the way is an
    error (nothing can be created below a file)."""
    probe = path
    while True:
        try:
            exists = probe.exists()
        except OSError as exc:
            raise OutputError(f"cannot use {_describe(probe)}: {exc.strerror or exc}") from None
        if exists:
            return probe
        if probe.parent == probe:
            return probe
        probe = probe.parent


def _check_writable_dir(folder: Path, what: str, target: Path) -> None:
    if not os.access(folder, os.W_OK | os.X_OK):
        raise OutputError(f"{what} {_describe(target)}: folder {_describe(folder)} is not "
                          "writable; choose another output folder")
    try:  # access() says yes to root on read-only or virtual file systems: try for real
        fd, tmp = tempfile.mkstemp(prefix=".dermsim-write-check.", dir=folder)
        os.close(fd)
        os.unlink(tmp)
    except OSError as exc:
        raise OutputError(f"{what} {_describe(target)}: cannot write in {_describe(folder)} "
                          f"({exc.strerror or exc}); choose another output folder") from None


def check_output_dir(path: str | Path, what: str = "output folder") -> Path:
    """Check, without creating anything, that ``path`` is or can become a writable folder.

    Raises :class:`~dermsim.errors.OutputError` (one line) if the path has a NUL character or
    an over-long name, is an existing file, lies below a file, or its nearest existing folder
    is not writable.
    """
    target = _check_path_text(path, what)
    _check_dir(target, what, target)
    return target


def _check_dir(folder: Path, what: str, shown: Path) -> None:
    base = _first_existing(folder)
    if not base.is_dir():
        where = "is" if base == shown else f"lies below {_describe(base)}, which is"
        raise OutputError(f"{what} {_describe(shown)} {where} a file, not a folder")
    _check_writable_dir(base, what, shown)


def check_output_file(path: str | Path, what: str = "output file") -> Path:
    """Check, without creating anything, that a file can be written at ``path`` (not an
    existing folder; its folder exists or can be created and is writable)."""
    target = _check_path_text(path, what)
    if target.is_dir():
        raise OutputError(f"{what} {_describe(target)} is a folder; give a file name")
    _check_dir(target.parent, what, target)
    return target


def check_file_name(name: Any, what: str = "name") -> str:
    """A base name for output files inside an output folder: no path separators, no leading
    dot, no control characters, at most :data:`MAX_BASE_NAME` characters."""
    if (not isinstance(name, str) or not name.strip() or len(name) > MAX_BASE_NAME
            or any(c in name for c in "/\\") or name.startswith(".")
            or any(ord(c) < 32 or ord(c) == 127 for c in name)):
        raise OutputError(f"{what} = {name!r:.80}: allowed a file name of 1 to {MAX_BASE_NAME} "
                          "characters without path separators, control characters or a "
                          "leading dot (outputs stay inside the output folder)")
    return name


def open_result(path: str | Path) -> xr.Dataset:
    """Open a dermsim result (loads it into memory and closes the file).

    Raises :class:`~dermsim.errors.DermsimError` if the file is missing, a folder, not a
    NetCDF file, or a NetCDF file that dermsim did not write.
    """
    text = str(path)
    if "\0" in text:
        raise DermsimError(f"result path {text!r}: contains a NUL character")
    path = Path(path)
    try:
        if path.is_dir():
            raise DermsimError(f"result {_describe(path)} is a folder, not a NetCDF file")
        if not path.is_file():
            raise DermsimError(f"result file not found: {_describe(path)}")
    except OSError as exc:
        raise DermsimError(f"result {_describe(path)}: {exc.strerror or exc}") from None
    try:
        with xr.open_dataset(path) as ds:
            loaded = ds.load()
    except (OSError, ValueError, RuntimeError, KeyError, TypeError) as exc:
        reason = " ".join(str(exc).split())[:120]
        raise DermsimError(f"result {_describe(path)}: not a NetCDF file dermsim can read "
                           f"({type(exc).__name__}: {reason})") from None
    if "dermsim_version" not in loaded.attrs:
        raise DermsimError(f"result {_describe(path)}: not a dermsim result (a NetCDF file "
                           "without dermsim's provenance attributes)")
    return loaded


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
    return open_result_of_kind(path, command)[0]


_NEEDS = {"run": "`dermsim run` (NAME.nc)", "compare": "`dermsim compare` (NAME.nc)",
          "sweep": "`dermsim sweep` (NAME.nc)"}


def open_result_of_kind(path: str | Path, command: str,
                        kinds: tuple[str, ...] = ("run",)) -> tuple[xr.Dataset, str]:
    """Open a dermsim file of one of ``kinds`` (see :func:`result_kind`) and say which; any
    other file stops ``command`` with one line saying what the file is."""
    written = [_NEEDS[k] for k in kinds]
    by = written[0] if len(written) == 1 else ", ".join(written[:-1]) + " or " + written[-1]
    need = f"dermsim {command} needs a result written by {by}"
    try:
        ds = open_result(path)
    except DermsimError as exc:
        raise DermsimError(f"{exc}; {need}") from None
    kind = result_kind(ds)
    if kind not in kinds:
        raise DermsimError(f"{path} is {_KIND_TEXT.get(kind, 'a ' + kind + ' result')}; {need}")
    return ds, kind
