"""The catalogue of malformed inputs, each run through the CLI in-process.

Every case must: exit non-zero; print exactly one error line (no traceback) that names the
field, the value and the allowed range where there is one; write nothing; and fail within a
few seconds (before any computing).
"""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from catalogue import CASES, Case
from harness import prepare, snapshot

from dermsim.cli import main
from dermsim.resources import MEMORY_ENV

#: Seconds a case may take to fail (imports are warm after the first case).
TIME_LIMIT_S = 5.0
#: Seconds after which a case is interrupted (a hang).
HANG_S = 60


@contextmanager
def deadline(seconds: float) -> Iterator[None]:
    def _raise(signum: int, frame: object) -> None:
        raise TimeoutError(f"no answer within {seconds:g} s")

    old = signal.signal(signal.SIGALRM, _raise)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def run_case(case: Case, tmp_path: Path, result: Path, capsys: pytest.CaptureFixture[str],
             monkeypatch: pytest.MonkeyPatch) -> tuple[int, str, float, bool]:
    work = tmp_path / "work"
    work.mkdir()
    argv = prepare(case, work, result)
    monkeypatch.chdir(work)  # relative default outputs (out/) would land here
    if "cap" in case.tags:
        monkeypatch.setenv(MEMORY_ENV, "0.5")
    before = snapshot(work)
    capsys.readouterr()
    t0 = time.perf_counter()
    usage = False
    with deadline(HANG_S):
        try:
            rc = main(argv)
        except SystemExit as exc:  # argparse usage errors: a usage line, then the error
            rc = exc.code if isinstance(exc.code, int) else 2
            usage = True
    elapsed = time.perf_counter() - t0
    err = capsys.readouterr().err
    assert snapshot(work) == before, f"{case.id}: files were written"
    return rc, err, elapsed, usage


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_catalogue_case_fails_cleanly(case: Case, tmp_path: Path, small_result: Path,
                                      capsys: pytest.CaptureFixture[str],
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    rc, err, elapsed, usage = run_case(case, tmp_path, small_result, capsys, monkeypatch)
    assert rc != 0, f"{case.id}: accepted"
    assert "Traceback" not in err, err
    errors = [line for line in err.splitlines() if "error:" in line]
    assert len(errors) == 1, err
    line = errors[0]
    if not usage:
        assert err.strip() == line, f"more than one line: {err!r}"
    for fragment in case.expect:
        assert fragment in line, f"{case.id}: {fragment!r} not in {line!r}"
    assert elapsed < TIME_LIMIT_S, f"{case.id}: took {elapsed:.1f} s to fail"


def test_catalogue_size() -> None:
    assert len(CASES) >= 112
    assert len({c.id for c in CASES}) == len(CASES)
