"""Fixtures shared by the figure, report and explorer tests."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest


def _find_chromium() -> str | None:
    for name in ("chromium", "chromium-browser"):
        p = shutil.which(name)
        if p:
            return p
    return "/usr/bin/chromium" if os.path.exists("/usr/bin/chromium") else None


@pytest.fixture(scope="session")
def chromium() -> str:
    """Path of Debian's chromium; installed with apt when missing and running as root."""
    path = _find_chromium()
    if path:
        return path
    if os.name != "posix" or os.geteuid() != 0 or not shutil.which("apt-get"):
        pytest.skip("chromium not installed and cannot install it (needs root and apt-get): "
                    "install Debian's 'chromium' package to run the browser test")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    try:
        subprocess.run(["apt-get", "update"], check=True, capture_output=True, timeout=900,
                       env=env)
        subprocess.run(["apt-get", "install", "-y", "--no-install-recommends", "chromium"],
                       check=True, capture_output=True, timeout=1800, env=env)
    except (subprocess.SubprocessError, OSError) as exc:
        pytest.skip(f"installing chromium with apt-get failed: {exc}")
    path = _find_chromium()
    if not path:
        pytest.skip("apt-get installed chromium but no chromium executable was found")
    return path
