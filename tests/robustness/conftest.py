"""Fixtures of the robustness tests: the catalogue's helper modules on sys.path and a small
valid result shared by the session."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))


@pytest.fixture(scope="session")
def small_result(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from catalogue_fixtures import write_small_result

    return write_small_result(tmp_path_factory.mktemp("result") / "small.nc")
