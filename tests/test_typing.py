"""The package type-checks: mypy (configured in pyproject.toml) is clean on ``src/dermsim``."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_mypy_clean() -> None:
    proc = subprocess.run([sys.executable, "-m", "mypy", "--no-error-summary"], cwd=ROOT,
                          capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, "mypy reports:\n" + proc.stdout[-6000:] + proc.stderr[-2000:]
