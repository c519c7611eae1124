"""One writer per sweep: an exclusive lock on the runs folder.

``NAME.runs/.lock`` is locked with ``fcntl.flock`` for as long as a sweep runs. The operating
system releases the lock when the process ends, however it ends (no stale locks after a kill).
A second sweep of the same name in the same output folder stops at once with one line naming
the first (its process id, machine and start time) instead of computing every run twice.
Where ``fcntl`` does not exist (Windows), sweeps are not locked.
"""

from __future__ import annotations

import os
import socket
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from dermsim.errors import DermsimError

#: File descriptors of the locks this process holds (closed in forked workers).
_HELD: set[int] = set()


def close_inherited() -> None:
    """In a forked worker: close the lock files inherited from the parent sweep, so that the
    lock ends with the parent (a killed sweep's workers must not keep the folder locked)."""
    for fd in list(_HELD):
        # point the descriptor at /dev/null instead of closing it: the lock's description is
        # released, and the parent's file object, copied into this process, stays harmless
        null = os.open(os.devnull, os.O_RDONLY)
        try:
            os.dup2(null, fd)
        except OSError:
            pass
        finally:
            os.close(null)
        _HELD.discard(fd)


class SweepLockedError(DermsimError):
    """Another sweep holds the runs folder."""


class SweepLock:
    """Context manager holding the exclusive lock of ``runs_dir`` (created if missing)."""

    def __init__(self, runs_dir: str | Path) -> None:
        self.runs_dir = Path(runs_dir)
        self.path = self.runs_dir / ".lock"
        self._fh: IO[str] | None = None

    def acquire(self) -> None:
        """Take the lock or raise :class:`SweepLockedError` (one line)."""
        try:
            import fcntl
        except ImportError:  # pragma: no cover - not POSIX
            return
        self.runs_dir.mkdir(parents=True, exist_ok=True)
        fh = open(self.path, "a+", encoding="utf-8")
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            fh.seek(0)
            holder = fh.read().strip() or "another process"
            fh.close()
            raise SweepLockedError(
                f"{self.runs_dir} is in use by another sweep ({holder}); wait until it has "
                "finished, or write to another folder with -o") from None
        fh.seek(0)
        fh.truncate()
        fh.write(f"pid {os.getpid()} on {socket.gethostname()} since "
                 f"{datetime.now(UTC).isoformat(timespec='seconds')}")
        fh.flush()
        self._fh = fh
        _HELD.add(fh.fileno())

    def release(self) -> None:
        """Give the lock back (the file stays: removing it could race a new writer)."""
        if self._fh is None:
            return
        import fcntl

        _HELD.discard(self._fh.fileno())
        fcntl.flock(self._fh.fileno(), fcntl.LOCK_UN)
        self._fh.close()
        self._fh = None

    def __enter__(self) -> SweepLock:
        self.acquire()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> Any:
        self.release()
        return None
