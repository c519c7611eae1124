"""Shared test fixtures."""

from __future__ import annotations

import os

import matplotlib
import pytest

matplotlib.use("Agg")
os.environ.setdefault("MPLBACKEND", "Agg")


@pytest.fixture
def small_scenario_dict() -> dict:
    """A cheap scenario (coarse grid, one session) for pipeline tests."""
    return {
        "name": "small",
        "seed": 7,
        "skin": {"site": "cheek"},
        "device": {"preset": "pen_12", "needle_length_um": 1000.0, "passes": 2},
        "protocol": {"sessions": 1, "follow_up_days": 30.0},
        "grid": {"h_um": 20.0, "width_um": 1000.0},
    }
