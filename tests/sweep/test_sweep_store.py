"""The runs folder under faults: damaged run files, a second writer, stale temporary files,
bad output folders."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from test_sweep import BASE, MARKERS_ENV, cheap_run

from dermsim.errors import DermsimError
from dermsim.sweep import (
    SweepLock,
    SweepLockedError,
    SweepReport,
    SweepStore,
    load_sweep,
    run_sweep,
)


def _spec(**extra):
    return load_sweep({"name": "store", "base": BASE,
                       "outcomes": ["effective_depth_um", "downtime_h"],
                       "parameters": {"device.needle_length_um": [400, 600, 777, 900]},
                       **extra})


def _damage(path: Path, how: str) -> None:
    data = path.read_bytes()
    if how == "truncated":
        path.write_bytes(data[: len(data) // 2])
    elif how == "empty":
        path.write_bytes(b"")
    else:  # garbage: random bytes of the same length
        path.write_bytes(np.random.default_rng(0).bytes(len(data)))


@pytest.mark.parametrize("retry_failed", [False, True])
def test_damaged_run_files_are_recomputed(tmp_path, monkeypatch, retry_failed):
    spec = _spec()
    ref = run_sweep(spec, tmp_path / "ref", backend="serial", run_fn=cheap_run, progress=False)
    out = tmp_path / "out"
    ds = run_sweep(spec, out, backend="serial", run_fn=cheap_run, progress=False)
    store = SweepStore(out, spec.name)
    ids = [str(h) for h in ds["run_id"].values]
    ok_ids = [h for h, st in zip(ids, ds["status"].values) if st == 0]
    for h, how in zip(ok_ids, ("truncated", "empty", "garbage")):
        _damage(store.path(h), how)
    markers = tmp_path / "markers"
    markers.mkdir()
    monkeypatch.setenv(MARKERS_ENV, str(markers))
    rep = SweepReport()
    again = run_sweep(spec, out, backend="serial", run_fn=cheap_run, progress=False,
                      report=rep, retry_failed=retry_failed)
    assert rep.n_damaged == 3
    # the three damaged runs are recomputed (and, with --retry-failed, the failed 777 um run)
    assert rep.n_computed == 3 + retry_failed
    assert len(list(markers.iterdir())) == 3  # the failing run raises before its marker
    for v in spec.outcomes:
        np.testing.assert_array_equal(again[v].values, ref[v].values)
    assert all(store.check(h) is not None for h in ids)


def test_damaged_file_is_not_counted_by_the_dry_run(tmp_path):
    spec = _spec()
    out = tmp_path / "out"
    ds = run_sweep(spec, out, backend="serial", run_fn=cheap_run, progress=False)
    store = SweepStore(out, spec.name)
    store.path(str(ds["run_id"].values[0])).write_bytes(b"not a netcdf file")
    status, damaged = store.scan(ds["run_id"].values.astype(str), remove=False)
    assert len(status) == 3 and len(damaged) == 1
    assert store.path(damaged[0]).exists()  # a dry run only looks


def test_second_writer_is_refused_with_one_line(tmp_path, capsys):
    from dermsim import cli

    spec = _spec()
    store = SweepStore(tmp_path, spec.name)
    with SweepLock(store.runs_dir):
        with pytest.raises(SweepLockedError, match="in use by another sweep"):
            run_sweep(spec, tmp_path, backend="serial", run_fn=cheap_run, progress=False)
        f = tmp_path / "s.toml"
        f.write_text('name = "store"\nbase = {seed = 1, protocol = {follow_up_days = 10.0}, '
                     'grid = {h_um = 50.0, width_um = 600.0}}\n'
                     'outcomes = ["effective_depth_um"]\n'
                     '[parameters]\n"device.needle_length_um" = [500]\n')
        t0 = time.perf_counter()
        assert cli.main(["sweep", str(f), "-o", str(tmp_path), "--serial"]) == 2
        assert time.perf_counter() - t0 < 10
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and "in use by another sweep" in err[0] and "pid" in err[0]
        assert not list(store.runs_dir.glob("*.nc"))  # nothing computed
    # released: the sweep runs
    ds = run_sweep(spec, tmp_path, backend="serial", run_fn=cheap_run, progress=False)
    assert int(ds.attrs["n_ok"]) == 3


def test_lock_is_released_when_the_holder_is_killed(tmp_path):
    runs = tmp_path / "x.runs"
    code = (f"import time; from dermsim.sweep import SweepLock; l = SweepLock({str(runs)!r}); "
            "l.acquire(); print('locked', flush=True); time.sleep(60)")
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "locked"
        with pytest.raises(SweepLockedError, match=f"pid {proc.pid}"):
            SweepLock(runs).acquire()
    finally:
        proc.kill()
        proc.wait(10)
    with SweepLock(runs):  # the OS released the dead holder's lock
        pass


def _dead_pid() -> int:
    p = subprocess.Popen([sys.executable, "-c", "pass"])
    p.wait()
    return p.pid


def test_only_stale_temporaries_are_cleaned(tmp_path):
    store = SweepStore(tmp_path, "t")
    store.runs_dir.mkdir()
    host = store.temp_tag.split("~")[0]
    h = "0" * 24
    names = {
        "dead": f".{h}.nc.{host}~{_dead_pid()}.abc.tmp",  # killed sweep on this machine
        "live": f".{h}.nc.{host}~{os.getppid()}.abc.tmp",  # a live sweep: never touched
        "mine": f".{h}.nc.{store.temp_tag}.abc.tmp",  # this sweep's own, in flight
        "foreign_new": f".{h}.nc.otherhost~12.abc.tmp",  # another machine, recent
        "foreign_old": f".{h}.nc.otherhost~13.abc.tmp",  # another machine, 2 days old
        "untagged_old": f".{h}.nc.k3j4.tmp",  # an older writer without a tag
    }
    for n in names.values():
        (store.runs_dir / n).write_bytes(b"partial")
    old = time.time() - 2 * 24 * 3600
    for k in ("foreign_old", "untagged_old"):
        os.utime(store.runs_dir / names[k], (old, old))
    assert store.clean_temporaries() == 3
    left = {p.name for p in store.runs_dir.iterdir()}
    assert left == {names["live"], names["mine"], names["foreign_new"]}
    assert store.clean_temporaries(own=True) == 1  # at the end of the sweep: its own leftovers
    assert {p.name for p in store.runs_dir.iterdir()} == {names["live"], names["foreign_new"]}


def test_a_starting_sweep_keeps_a_live_sweeps_temporaries(tmp_path):
    spec = _spec()
    store = SweepStore(tmp_path, spec.name)
    store.runs_dir.mkdir(parents=True)
    live = store.runs_dir / f".{'1' * 24}.nc.{store.temp_tag.split('~')[0]}~{os.getppid()}.x.tmp"
    live.write_bytes(b"being written")
    run_sweep(spec, tmp_path, backend="serial", run_fn=cheap_run, progress=False)
    assert live.exists()


@pytest.mark.parametrize("make", ["file", "below_file"])
def test_output_folder_that_is_a_file(tmp_path, make, capsys):
    from dermsim import cli

    f = tmp_path / "taken"
    f.write_text("x")
    out = f if make == "file" else f / "sub"
    with pytest.raises(DermsimError, match="is a file, not a folder"):
        run_sweep(_spec(), out, backend="serial", run_fn=cheap_run, progress=False)
    spec = tmp_path / "s.toml"
    spec.write_text('[parameters]\n"device.needle_length_um" = [500]\n')
    t0 = time.perf_counter()
    assert cli.main(["sweep", str(spec), "-o", str(out)]) == 2
    assert time.perf_counter() - t0 < 10
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "is a file, not a folder" in err[0] and "Traceback" not in err[0]
