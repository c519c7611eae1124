"""Built-in scenarios shipped inside the package, usable by name from any folder.

``dermsim run baseline`` and ``dermsim.load_scenario("baseline")`` find ``baseline.toml``
here when no file of that name exists; ``dermsim presets`` lists them. They are copies of the
repository's ``configs/baseline.toml``, ``configs/rf_microneedling.toml`` and
``configs/protocols/*.toml`` (a test keeps them identical).
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

__all__ = ["describe", "find", "names"]


def _files() -> dict[str, Path]:
    root = resources.files(__name__)
    return {Path(str(e)).stem: Path(str(e)) for e in root.iterdir()
            if str(e).endswith(".toml")}


def names() -> list[str]:
    """Names of the built-in scenarios, sorted."""
    return sorted(_files())


def find(name: str) -> Path | None:
    """Path of the built-in scenario ``name`` (``"baseline"`` or ``"baseline.toml"``), or None."""
    stem = name[:-5] if name.endswith(".toml") else name
    return _files().get(stem)


def describe(name: str) -> str:
    """First sentence of the leading comment of a built-in scenario (its description)."""
    import re

    path = find(name)
    if path is None:
        raise KeyError(name)
    lines = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.startswith("#"):
            break
        lines.append(line.lstrip("# ").strip())
    text = " ".join(lines)
    # first sentence: a full stop, a space and a capital letter ("et al. 2015" does not end it)
    return re.split(r"(?<=[a-z0-9)]\.)\s(?=[A-Z])", text, maxsplit=1)[0] if text else ""
