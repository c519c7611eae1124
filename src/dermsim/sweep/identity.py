"""Identity of a run: the hash of its inputs, the run function and the model source.

A run file is reused only if this hash matches, so editing the physics recomputes stored runs
while editing figures or the command line does not.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from dermsim.config import Scenario


#: dermsim modules that do not change what a run computes (left out of the model fingerprint,
#: so that editing them does not invalidate stored runs). Any other module counts as model code.
PRESENTATION_MODULES = frozenset({"cli", "viz", "sweep", "sensitivity", "report", "animate",
                                  "docs", "validation", "io", "__main__"})


@functools.cache
def model_fingerprint() -> str:
    """Hash of the dermsim model source (every module except :data:`PRESENTATION_MODULES`),
    so that stored runs are recomputed after the physics changed."""
    import dermsim

    root = Path(dermsim.__file__).resolve().parent
    h = hashlib.sha256()
    for p in sorted(root.rglob("*.py")):
        rel = p.relative_to(root)
        if "__pycache__" in rel.parts or rel.parts[0].removesuffix(".py") in PRESENTATION_MODULES:
            continue
        h.update(str(rel).encode() + b"\0" + p.read_bytes())
    return h.hexdigest()[:16]


def _function_fingerprint(fn: Any) -> str:
    """Hash of the source file of a run function defined outside dermsim ('' otherwise)."""
    import inspect

    while isinstance(fn, functools.partial):
        fn = fn.func
    try:
        path = Path(inspect.getsourcefile(fn) or "").resolve()
    except TypeError:
        return ""
    import dermsim

    if not path.is_file() or Path(dermsim.__file__).resolve().parent in path.parents:
        return ""
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


def callable_id(fn: Any, source: bool = True) -> str:
    """Name of a run function (with partial arguments and, outside dermsim, a source hash)."""
    if isinstance(fn, functools.partial):
        out = (f"{callable_id(fn.func, False)}({', '.join(map(repr, fn.args))}"
               f"{', ' if fn.args and fn.keywords else ''}"
               f"{', '.join(f'{k}={v!r}' for k, v in sorted(fn.keywords.items()))})")
    else:
        out = f"{getattr(fn, '__module__', '?')}.{getattr(fn, '__qualname__', repr(fn))}"
    fp = _function_fingerprint(fn) if source else ""
    return f"{out} [source {fp}]" if fp else out


def run_hash(scenario: Scenario, outcomes: Sequence[str], time_series: Sequence[str],
             fn_id: str) -> str:
    """Identity of one run's inputs: resolved scenario (incl. seed), kept outcomes and series,
    run function (name and, for functions outside dermsim, source file), dermsim version and
    model source (:func:`model_fingerprint`). A run file is reused only if this matches."""
    from dermsim import __version__

    blob = json.dumps({"scenario": scenario.to_dict(), "outcomes": list(outcomes),
                       "time_series": list(time_series), "run_function": fn_id,
                       "dermsim_version": __version__, "model": model_fingerprint()},
                      sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:24]
