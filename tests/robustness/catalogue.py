"""The catalogue of malformed inputs: bad configs, bad paths and bad command-line arguments.

Every case is data: a command line (with placeholders) and, for config cases, the config file's
content (a table serialised to TOML, or raw text/bytes for inputs that are not valid TOML).
``expect`` lists fragments the one-line error message must contain: the field, the value and
the allowed range where there is one.

Placeholders in ``argv``: ``{cfg}`` the case's config file, ``{out}`` an output folder that
does not exist yet, ``{tmp}`` the case's scratch folder, ``{file}`` an existing regular file,
``{result}`` a small valid result, ``{garbage}`` a file of random bytes, ``{empty}`` an empty
file, ``{empty_nc}`` a NetCDF file without dermsim's attributes, ``{long}`` a 300-character
file name, ``{nul}`` a name with a NUL character.

Run ``python tests/robustness/catalogue.py [--src SRC]`` to classify every case by running the
real ``dermsim`` command in a subprocess (clean error / traceback / hang / accepted).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

#: A cheap valid scenario (coarse grid, one session); config cases change one thing in it.
BASE: dict[str, Any] = {
    "name": "case",
    "seed": 7,
    "skin": {"site": "cheek"},
    "device": {"preset": "pen_12", "needle_length_um": 1000.0, "passes": 2},
    "protocol": {"sessions": 1, "follow_up_days": 30.0},
    "grid": {"h_um": 20.0, "width_um": 1000.0},
}

RUN = ("run", "{cfg}", "-o", "{out}", "-q")
INF = float("inf")
NAN = float("nan")


@dataclass(frozen=True)
class Case:
    """One malformed input."""

    id: str
    category: str
    argv: tuple[str, ...] = RUN
    config: Any = None  # dict (TOML table), str or bytes (raw file), or None (no config file)
    expect: tuple[str, ...] = ()
    tags: frozenset[str] = field(default_factory=frozenset)


def with_(path: str, value: Any, base: dict[str, Any] | None = None) -> dict[str, Any]:
    """``BASE`` with the dotted key ``path`` set to ``value`` (``...`` removes it)."""
    d = copy.deepcopy(BASE if base is None else base)
    keys = path.split(".")
    node = d
    for k in keys[:-1]:
        if not isinstance(node.get(k), dict):
            node[k] = {}
        node = node[k]
    if value is ...:
        node.pop(keys[-1], None)
    else:
        node[keys[-1]] = value
    return d


def _deep_array(n: int) -> str:
    return "[" * n + "1" + "]" * n


def _deep_inline(n: int) -> str:
    return "{a = " * n + "1" + "}" * n


def _garbage(n: int = 2048, seed: int = 16) -> bytes:
    import random

    rnd = random.Random(seed)
    return bytes(rnd.getrandbits(8) for _ in range(n))


def _toml_text(d: dict[str, Any], extra: str = "") -> str:
    import tomli_w

    return tomli_w.dumps(d) + extra


C: list[Case] = []


def add(id: str, category: str, config: Any = None, expect: tuple[str, ...] = (),
        argv: tuple[str, ...] = RUN, tags: tuple[str, ...] = ()) -> None:
    C.append(Case(id, category, argv, config, expect, frozenset(tags)))


# -- 1. wrong types --------------------------------------------------------------------------
add("device-str", "type", with_("device", "pen_12"), ("device", "pen_12", "table"))
add("skin-int", "type", with_("skin", 5), ("skin", "5", "table"))
add("skin-thickness-int", "type", with_("skin.thickness_um", 5), ("skin.thickness_um", "5"))
add("protocol-session-ints", "type", with_("protocol.session", [1, 2]),
    ("protocol.session", "table"))
add("skin-site-list", "type", with_("skin.site", ["cheek"]), ("skin.site", "cheek"))
add("device-preset-list", "type", with_("device.preset", ["pen_12"]), ("device.preset",))
add("device-kind-int", "type", {**BASE, "device": {"kind": 5}}, ("device.kind", "5"))
add("needle-length-str", "type", with_("device.needle_length_um", "1000"),
    ("device.needle_length_um", "1000", "[50, 5000]"))
add("passes-float", "type", with_("device.passes", 2.5), ("device.passes", "2.5", "whole"))
add("passes-bool", "type", with_("device.passes", True), ("device.passes", "True"))
add("sessions-str", "type", with_("protocol.sessions", "4"), ("protocol.sessions", "4", "[1, 50]"))
add("sessions-float", "type", with_("protocol.sessions", 2.5), ("protocol.sessions", "2.5"))
add("protocol-int", "type", with_("protocol", 5), ("protocol", "5", "table"))
add("grid-list", "type", with_("grid", [1, 2]), ("grid", "table"))
add("grid-h-str", "type", with_("grid.h_um", "10"), ("grid.h_um", "10", "[1, 50]"))
add("grid-depth-str", "type", with_("grid.depth_um", "x"), ("grid.depth_um", "x"))
add("penetration-str", "type", with_("penetration", "x"), ("penetration", "table"))
add("depth-cv-list", "type", with_("penetration.depth_cv", [0.1]), ("penetration.depth_cv",))
add("signalling-int", "type", with_("signalling", 3), ("signalling", "3", "table"))
add("remodelling-str", "type", with_("remodelling", "x"), ("remodelling", "table"))
add("rf-int", "type", with_("rf", 1), ("rf", "1"))
add("figure-str", "type", with_("output.figure", "yes"), ("output.figure", "yes", "true or false"))
add("directory-int", "type", with_("output.directory", 5), ("output.directory", "5"))
add("name-int", "type", with_("name", 5), ("name", "5"))
add("name-empty", "type", with_("name", ""), ("name",))
add("name-slash", "type", with_("name", "a/b"), ("name", "a/b"))
add("name-nul", "type", with_("name", "a\x00b"), ("name",))
add("name-long", "type", with_("name", "n" * 300), ("name", "characters"))
add("seed-str", "type", with_("seed", "1"), ("seed", "1"))
add("seed-float", "type", with_("seed", 1.5), ("seed", "1.5", "whole"))
add("seed-negative", "type", with_("seed", -1), ("seed", "-1", "[0,"))
add("seed-bool", "type", with_("seed", True), ("seed", "True"))
add("thickness-str", "type", with_("skin.thickness_um", {"reticular_dermis": "x"}),
    ("skin.thickness_um.reticular_dermis", "x"))
add("thickness-unknown-layer", "type", with_("skin.thickness_um", {"dermis": 100.0}),
    ("dermis",))
add("thickness-list", "type", with_("skin.thickness_um", {"reticular_dermis": [1]}),
    ("skin.thickness_um.reticular_dermis",))
add("site-int", "type", with_("skin.site", 5), ("skin.site", "5"))
add("site-typo", "type", with_("skin.site", "chek"), ("skin.site", "chek", "cheek"))
add("override-session-str", "type", with_("protocol.session", [{"session": "1"}]),
    ("protocol.session", "session", "1"))
add("override-value-str", "type",
    with_("protocol.session", [{"session": 1, "needle_length_um": "x"}]),
    ("protocol.session", "needle_length_um", "x"))
add("override-entry-int", "type", with_("protocol.session", [5]), ("protocol.session", "5"))
add("override-session-range", "type", with_("protocol.session", [{"session": 9}]),
    ("protocol.session", "9", "[1, 1]"))
add("override-unknown-key", "type", with_("protocol.session", [{"session": 1, "bogus": 3}]),
    ("bogus",))
add("session-overrides-key", "type", with_("protocol.session_overrides", {}),
    ("protocol.session_overrides",))
add("unknown-top-key", "type", with_("foo", 1), ("foo",))
add("needle-typo", "type", with_("device.needle_lenght_um", 1000.0),
    ("device.needle_lenght_um", "needle_length_um"))
add("device-empty", "type", with_("device", {}), ("device", "preset"))
add("preset-unknown", "type", with_("device.preset", "pen_99"), ("device.preset", "pen_99"))
add("kind-unknown", "type", {**BASE, "device": {"kind": "laser"}}, ("device.kind", "laser"))
add("preset-kind-mismatch", "type", with_("device.kind", "roller"), ("device.kind", "roller"))

# -- 2. non-finite and huge numbers ----------------------------------------------------------
add("seed-inf", "number", with_("seed", INF), ("seed", "inf"))
add("seed-nan", "number", with_("seed", NAN), ("seed", "nan"))
add("seed-1e300", "number", with_("seed", 1e300), ("seed", "1e+300"))
add("seed-bigint", "number", "seed = 99999999999999999999\n" + _toml_text(with_("seed", ...)),
    ("seed", "99999999999999999999"))
add("sessions-inf", "number", with_("protocol.sessions", INF), ("protocol.sessions", "inf"))
add("sessions-nan", "number", with_("protocol.sessions", NAN), ("protocol.sessions", "nan"))
add("sessions-huge", "number", with_("protocol.sessions", 1e300), ("protocol.sessions", "1e+300"))
add("interval-inf", "number", with_("protocol.interval_days", INF), ("protocol.interval_days",))
add("follow-up-nan", "number", with_("protocol.follow_up_days", NAN),
    ("protocol.follow_up_days", "nan"))
add("follow-up-neg-inf", "number", with_("protocol.follow_up_days", -INF),
    ("protocol.follow_up_days", "-inf"))
add("h-nan", "number", with_("grid.h_um", NAN), ("grid.h_um", "nan"))
add("h-inf", "number", with_("grid.h_um", INF), ("grid.h_um", "inf", "[1, 50]"))
add("width-huge", "number", with_("grid.width_um", 1e308), ("grid.width_um", "[200, 50000]"))
add("depth-nan", "number", with_("grid.depth_um", NAN), ("grid.depth_um", "nan"))
add("needle-inf", "number", with_("device.needle_length_um", INF), ("device.needle_length_um",))
add("needle-negative", "number", with_("device.needle_length_um", -5.0),
    ("device.needle_length_um", "-5", "[50, 5000]"))
add("needle-zero", "number", with_("device.needle_length_um", 0.0),
    ("device.needle_length_um", "[50, 5000]"))
add("passes-huge", "number", with_("device.passes", 1e300), ("device.passes",))
add("depth-cv-nan", "number", with_("penetration.depth_cv", NAN), ("penetration.depth_cv",))
add("band-inf", "number", with_("signalling.band_um", INF), ("signalling.band_um", "inf"))
add("window-neg", "number", with_("signalling.window_day", -1.0), ("signalling.window_day",))
add("thickness-inf", "number", with_("skin.thickness_um", {"reticular_dermis": INF}),
    ("skin.thickness_um.reticular_dermis", "inf"))
add("thickness-neg", "number", with_("skin.thickness_um", {"reticular_dermis": -1.0}),
    ("reticular_dermis", "-1"))
add("thickness-nan", "number", with_("skin.thickness_um", {"epidermis": NAN}),
    ("skin.thickness_um.epidermis", "nan"))

# -- 2. nesting, encodings, garbage ------------------------------------------------------------
_base_text = _toml_text(with_("name", ...))
add("deep-array", "encoding", f"name = {_deep_array(1000)}\n" + _base_text, ("name",))
add("deep-inline-table", "encoding", _base_text.replace("[skin]", f"foo = {_deep_inline(1000)}"
                                                        "\n[skin]", 1), ("foo",))
add("deep-table-header", "encoding",
    _base_text + "[" + ".".join(["a"] * 1000) + "]\nx = 1\n", ("a",))
add("deep-array-in-table", "encoding",
    _base_text.replace("[grid]", f"[grid]\nh_um = {_deep_array(800)}", 1).replace(
        "h_um = 20.0\n", "", 1), ("grid.h_um",))
add("latin1-comment", "encoding", b"# caf\xe9\n" + _base_text.encode(), ("UTF-8",))
add("latin1-value", "encoding", b'name = "caf\xe9"\n' + _base_text.encode(), ("UTF-8",))
add("binary-garbage", "encoding", _garbage(), ("UTF-8",))
add("nul-bytes", "encoding", _base_text.encode() + b"\x00\x00\x00", ("TOML",))
add("utf16", "encoding", _base_text.encode("utf-16"), ("UTF-8",))
add("toml-syntax", "encoding", "name = \n", ("TOML",))
add("toml-duplicate", "encoding", "seed = 1\n" + _toml_text(BASE), ("TOML",))
add("huge-string", "encoding", with_("name", "x" * 1_000_000), ("name",))

# -- config paths ------------------------------------------------------------------------------
add("config-dir", "path", None, ("folder",), argv=("run", "{tmp}", "-o", "{out}", "-q"))
add("config-missing", "path", None, ("not found",),
    argv=("run", "{tmp}/missing.toml", "-o", "{out}", "-q"))
add("config-nul", "path", None, ("NUL",), argv=("run", "{tmp}/a{nul}.toml", "-o", "{out}", "-q"),
    tags=("in-process",))
add("config-long", "path", None, ("too long",),
    argv=("run", "{tmp}/{long}.toml", "-o", "{out}", "-q"))
add("config-is-garbage-nc", "path", None, ("UTF-8",),
    argv=("run", "{garbage}", "-o", "{out}", "-q"))

# -- 3. output destinations --------------------------------------------------------------------
add("run-out-sys", "output", BASE, ("/sys/x",), argv=("run", "{cfg}", "-o", "/sys/x", "-q"))
add("run-out-file", "output", BASE, ("not a folder",), argv=("run", "{cfg}", "-o", "{file}", "-q"))
add("run-out-nul", "output", BASE, ("NUL",), argv=("run", "{cfg}", "-o", "{tmp}/o{nul}", "-q"),
    tags=("in-process",))
add("run-out-long", "output", BASE, ("too long",),
    argv=("run", "{cfg}", "-o", "{tmp}/{long}", "-q"))
add("run-out-under-file", "output", BASE, ("not a folder",),
    argv=("run", "{cfg}", "-o", "{file}/sub", "-q"))
add("run-config-out-dir-file", "output", with_("output.directory", "{file}"), ("not a folder",),
    argv=("run", "{cfg}", "-q"))
add("run-csv-sys", "output", BASE, ("--csv", "/sys/x.csv"),
    argv=("run", "{cfg}", "-o", "{out}", "--csv", "/sys/x.csv", "-q"))
add("run-csv-dir", "output", BASE, ("--csv", "folder"),
    argv=("run", "{cfg}", "-o", "{out}", "--csv", "{tmp}", "-q"))
add("compare-csv-under-file", "output", BASE, ("--csv", "not a folder"),
    argv=("compare", "{cfg}", "-o", "{out}", "--csv", "{file}/t.csv", "-q"))
add("compare-out-sys", "output", BASE, ("/sys/x",),
    argv=("compare", "{cfg}", "-o", "/sys/x", "-q"))
add("compare-out-file", "output", BASE, ("not a folder",),
    argv=("compare", "{cfg}", "-o", "{file}", "-q"))
add("compare-name-escape", "output", BASE, ("--name", "../escaped"),
    argv=("compare", "{cfg}", "-o", "{out}", "--name", "../escaped", "-q"))
add("compare-name-abs", "output", BASE, ("--name",),
    argv=("compare", "{cfg}", "-o", "{out}", "--name", "/tmp/abs", "-q"))
add("compare-name-empty", "output", BASE, ("--name",),
    argv=("compare", "{cfg}", "-o", "{out}", "--name", "", "-q"))
add("compare-name-long", "output", BASE, ("--name",),
    argv=("compare", "{cfg}", "-o", "{out}", "--name", "{long}", "-q"))
add("compare-missing-config", "output", BASE, ("not found",),
    argv=("compare", "{cfg}", "{tmp}/missing.toml", "-o", "{out}", "-q"))
add("validate-write-sys", "output", None, ("/sys/x.md",),
    argv=("validate", "--write", "/sys/x.md", "-q"))
add("validate-write-dir", "output", None, ("folder",), argv=("validate", "--write", "{tmp}", "-q"))
add("report-out-sys", "output", None, ("/sys/x.html",),
    argv=("report", "{garbage}", "-o", "/sys/x.html", "-q"))
add("report-out-under-file", "output", None, ("not a folder",),
    argv=("report", "{garbage}", "-o", "{file}/r.html", "-q"))
add("animate-out-sys", "output", None, ("/sys/x.gif",),
    argv=("animate", "{garbage}", "-o", "/sys/x.gif", "-q"))
add("animate-out-dir", "output", None, ("folder",),
    argv=("animate", "{garbage}", "-o", "{tmp}", "-q"))

# -- 4. command-line arguments -----------------------------------------------------------------
add("penetration-seed-neg", "cli", None, ("--seed", "-1"),
    argv=("penetration", "--device", "pen_12", "--seed=-1"))
add("penetration-preset", "cli", None, ("device.preset", "pen_99"),
    argv=("penetration", "--device", "pen_99"))
add("penetration-length-nan", "cli", None, ("needle_length_um", "nan"),
    argv=("penetration", "--device", "pen_12", "--needle-length-um", "nan"))
add("penetration-length-inf", "cli", None, ("needle_length_um", "inf"),
    argv=("penetration", "--device", "pen_12", "--needle-length-um", "inf"))
add("penetration-site", "cli", None, ("site", "nowhere"),
    argv=("penetration", "--device", "pen_12", "--site", "nowhere"))
add("penetration-seed-str", "cli", None, ("--seed",),
    argv=("penetration", "--device", "pen_12", "--seed", "abc"))
add("report-garbage", "cli", None, ("NetCDF",), argv=("report", "{garbage}", "-q"))
add("report-empty-file", "cli", None, ("NetCDF",), argv=("report", "{empty}", "-q"))
add("report-empty-nc", "cli", None, ("dermsim result",), argv=("report", "{empty_nc}", "-q"))
add("report-missing", "cli", None, ("not found",), argv=("report", "{tmp}/missing.nc", "-q"))
add("report-dir", "cli", None, ("folder",), argv=("report", "{tmp}", "-q"))
add("animate-fps-zero", "cli", None, ("--fps", "0"),
    argv=("animate", "{result}", "--fps", "0", "-q"))
add("animate-fps-neg", "cli", None, ("--fps", "-1"),
    argv=("animate", "{result}", "--fps=-1", "-q"))
add("animate-fps-nan", "cli", None, ("--fps", "nan"),
    argv=("animate", "{result}", "--fps", "nan", "-q"))
add("animate-frames-zero", "cli", None, ("--frames", "0"),
    argv=("animate", "{result}", "--frames", "0", "-q"))
add("animate-garbage", "cli", None, ("NetCDF",), argv=("animate", "{garbage}", "-q"))
add("animate-empty-nc", "cli", None, ("dermsim result",), argv=("animate", "{empty_nc}", "-q"))
add("run-no-config", "cli", None, ("config",), argv=("run",))
add("run-unknown-flag", "cli", BASE, ("--bogus",), argv=("run", "{cfg}", "--bogus"))
add("unknown-command", "cli", None, ("frobnicate",), argv=("frobnicate",))

# -- 5. requests too big for the machine -------------------------------------------------------
add("memory-wide-fine", "resources", with_("grid", {"h_um": 1.0, "width_um": 50000.0}),
    ("memory", "grid.h_um"))
add("memory-deep-stack", "resources",
    with_("grid", {"h_um": 1.0, "width_um": 50000.0},
          with_("skin.thickness_um", {"hypodermis": 40000.0})), ("memory", "grid.h_um"))
add("memory-cap", "resources", with_("grid", {"h_um": 2.0, "width_um": 20000.0}),
    ("memory", "DERMSIM_MAX_MEMORY_GB"), tags=("cap",))

# -- 6. allowed values that hang or crash ------------------------------------------------------
add("signalling-tiny-steps", "numerics",
    with_("signalling", {"dt_initial_s": 0.01, "dt_max_h": 0.0001, "steps_per_level": 100000}),
    ("signalling", "steps"))
add("follow-up-tiny", "numerics", with_("protocol.follow_up_days", 1e-300),
    ("protocol.follow_up_days", "1e-300"))
add("depth-cv-tiny-roller", "numerics",
    with_("penetration.depth_cv", 1e-200,
          with_("device", {"preset": "dermaroller_mf8", "needle_length_um": 1000.0})),
    ("penetration.depth_cv", "1e-200"))

# -- 7. accepted nonsense ----------------------------------------------------------------------
add("override-needle-too-long", "nonsense",
    with_("protocol", {"sessions": 2, "follow_up_days": 30.0,
                       "session": [{"session": 2, "needle_length_um": 4900.0}]},
          with_("skin.site", "periorbital",
                with_("device.needle_length_um", 500.0))),
    ("protocol.session[2].needle_length_um", "4900"))
add("rf-with-pen", "nonsense", with_("rf", {"frequency_MHz": 1.0}), ("rf", "rf_tip"))
add("needle-longer-than-skin", "nonsense",
    with_("device.needle_length_um", 2400.0, with_("skin.site", "periorbital")),
    ("device.needle_length_um", "2400"))
add("depth-below-needle", "nonsense", with_("grid.depth_um", 300.0),
    ("grid.depth_um", "300"))

CASES: list[Case] = C


if __name__ == "__main__":  # pragma: no cover - measurement tool
    import argparse
    import json
    import os
    import subprocess
    import sys
    import tempfile
    import time
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).parent))
    from harness import prepare  # type: ignore[import-not-found]

    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--src", default=str(Path(__file__).parents[2] / "src"))
    ap.add_argument("--timeout", type=float, default=60.0)
    ap.add_argument("--only")
    ap.add_argument("--json")
    a = ap.parse_args()
    env = {**os.environ, "PYTHONPATH": a.src}
    result_dir = Path(tempfile.mkdtemp(prefix="dermsim-catalogue-"))
    result = result_dir / "small.nc"
    subprocess.run([sys.executable, "-c", "import sys; from catalogue_fixtures import "
                    "write_small_result; write_small_result(sys.argv[1])", str(result)],
                   env={**env, "PYTHONPATH": f"{a.src}:{Path(__file__).parent}"}, check=True)
    counts: dict[str, int] = {}
    rows = []
    for case in CASES:
        if a.only and a.only not in case.id:
            continue
        if "in-process" in case.tags:
            verdict, line, dt = "skipped (argv with NUL)", "", 0.0
        else:
            with tempfile.TemporaryDirectory() as tmp:
                argv = prepare(case, Path(tmp), result)
                t0 = time.perf_counter()
                try:
                    case_env = {**env, "DERMSIM_MAX_MEMORY_GB": "0.5"} if "cap" in case.tags \
                        else env
                    p = subprocess.run(
                        [sys.executable, "-c", "import sys; from dermsim.cli import main; "
                         "sys.exit(main(sys.argv[1:]))", *argv],
                        env=case_env, capture_output=True, text=True, timeout=a.timeout,
                        preexec_fn=lambda: __import__("resource").setrlimit(
                            __import__("resource").RLIMIT_AS, (8 << 30, 8 << 30)))
                    dt = time.perf_counter() - t0
                    err = p.stderr
                    if "Traceback" in err:
                        verdict = "traceback"
                        line = err.strip().splitlines()[-1]
                    elif p.returncode in (-9, 137) or "MemoryError" in err:
                        verdict = "hang/oom"
                        line = err.strip()[-200:]
                    elif p.returncode == 0:
                        verdict = "accepted"
                        line = p.stdout.strip()[-200:]
                    else:
                        verdict = "clean"
                        line = (err.strip().splitlines() or [""])[-1]
                except subprocess.TimeoutExpired:
                    verdict, line, dt = "hang/oom", f"timeout {a.timeout:g} s", a.timeout
        counts[verdict] = counts.get(verdict, 0) + 1
        rows.append({"id": case.id, "verdict": verdict, "seconds": round(dt, 2), "line": line})
        print(f"{case.id:<28} {verdict:<10} {dt:6.1f}s  {line[:150]}", flush=True)
    print(json.dumps(counts), f"of {len(rows)}")
    if a.json:
        Path(a.json).write_text(json.dumps(rows, indent=1))
