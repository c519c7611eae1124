"""Materialise a catalogue case in a scratch folder: config file, fixture files, argv."""

from __future__ import annotations

from pathlib import Path
from typing import Any

LONG_NAME = "L" * 300
NUL = "\x00"


def _write_config(content: Any, path: Path, tmp: Path) -> None:
    if isinstance(content, dict):
        import tomli_w

        text = tomli_w.dumps(content).replace("{file}", str(tmp / "a_file"))
        path.write_text(text, encoding="utf-8")
    elif isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    else:
        path.write_bytes(content)


def prepare(case: Any, tmp: Path, result: Path | None = None) -> list[str]:
    """Write the case's files under ``tmp`` and return its argv with placeholders filled."""
    from catalogue_fixtures import garbage_bytes, write_empty_nc  # type: ignore[import-not-found]

    (tmp / "a_file").write_text("an existing file\n")
    (tmp / "garbage.nc").write_bytes(garbage_bytes())
    (tmp / "empty.nc").write_bytes(b"")
    write_empty_nc(tmp / "empty_result.nc")
    cfg = tmp / "case.toml"
    if case.config is not None:
        _write_config(case.config, cfg, tmp)
    subs = {"{cfg}": str(cfg), "{out}": str(tmp / "out"), "{tmp}": str(tmp),
            "{file}": str(tmp / "a_file"), "{garbage}": str(tmp / "garbage.nc"),
            "{empty}": str(tmp / "empty.nc"), "{empty_nc}": str(tmp / "empty_result.nc"),
            "{long}": LONG_NAME, "{nul}": NUL, "{result}": str(result)}
    argv = []
    for a in case.argv:
        for k, v in subs.items():
            a = a.replace(k, v)
        argv.append(a)
    return argv


def snapshot(tmp: Path) -> set[str]:
    """Every path under ``tmp`` (to check that a failing command wrote nothing)."""
    return {str(p.relative_to(tmp)) for p in tmp.rglob("*")}
