"""Every shipped scenario config loads and validates."""

from __future__ import annotations

from pathlib import Path

import pytest

import dermsim

CONFIGS = sorted(p for p in Path("configs").rglob("*.toml") if "sweeps" not in p.parts)


@pytest.mark.parametrize("path", CONFIGS, ids=str)
def test_config_loads(path):
    s = dermsim.load_scenario(path)
    assert s.name
    assert s.protocol.end_day > 0


def test_example_protocols_present():
    names = {p.stem for p in CONFIGS}
    assert {"baseline", "3x4weeks", "6x2weeks", "4x4weeks_maintenance", "needle_500um",
            "needle_1500um", "needle_2500um", "rf_microneedling"} <= names
