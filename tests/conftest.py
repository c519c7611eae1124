"""Shared test fixtures."""

from __future__ import annotations

import os

import matplotlib
import pytest
from hypothesis import settings

matplotlib.use("Agg")
os.environ.setdefault("MPLBACKEND", "Agg")

# CI runs the property tests with a fixed example sequence (reproducible, never flaky);
# locally hypothesis explores new examples each run
settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")


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
