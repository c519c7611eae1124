"""The validation framework: cases, their registry, parameter overrides and the runner.

A validation case is a function ``func(ctx) -> (target, obtained, passed)`` registered with
:func:`case`. It calls the real stage APIs (thermal, solvers, penetration, signalling,
remodelling) through the :class:`CaseContext` it receives, compares the value it obtains with
a target and returns both as text with units. A case whose stage is not available in this
installation raises :class:`StageUnavailable` and reports ``n/a`` instead of failing.

Deliberately breaking the model is part of the design: :func:`parameter_overrides` (or
``dermsim validate --set penetration.eta_impact=0.5``) replaces model parameter-card values in
every configuration the cases build, so one can see which validation targets a parameter
controls. The values must still lie inside the card's allowed range — the point is that a
plausible-looking but mis-calibrated value is caught.

Only the standard library is imported at module level (``dermsim --help`` stays fast).
"""

from __future__ import annotations

import contextlib
import dataclasses
import importlib
import textwrap
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "CASES",
    "ERROR",
    "FAIL",
    "NA",
    "PASS",
    "Case",
    "CaseContext",
    "CaseFunction",
    "CaseResult",
    "StageUnavailable",
    "case",
    "clear_used_overrides",
    "fmt",
    "parameter_overrides",
    "run_cases",
    "used_overrides",
]


#: Result status values.
PASS, FAIL, NA, ERROR = "pass", "fail", "n/a", "error"


class StageUnavailable(Exception):
    """Raised inside a case when the stage module or API it needs is not installed."""


CaseFunction = Callable[["CaseContext"], tuple[str, str, bool]]


@dataclass(frozen=True)
class Case:
    """A registered validation case.

    Attributes
    ----------
    name
        Short identifier (``"V1"``, ``"V7"`` …).
    title
        One line saying what is checked.
    reference
        Source(s) of the target, with evidence tags.
    tolerance
        The acceptance criterion in words, with units.
    func
        ``func(ctx) -> (target, obtained, passed)``.
    fast
        Whether the case runs in about a second (used by ``dermsim report``).
    """

    name: str
    title: str
    reference: str
    tolerance: str
    func: CaseFunction
    fast: bool = True

    @property
    def description(self) -> str:
        """The case function's docstring without its first line (method, in prose)."""
        doc = (self.func.__doc__ or "").strip().splitlines()
        return textwrap.dedent("\n".join(doc[1:])).strip()


#: All registered cases, in registration order.
CASES: dict[str, Case] = {}


def case(name: str, reference: str, tolerance_text: str, *, title: str | None = None,
         fast: bool = True) -> Callable[[CaseFunction], CaseFunction]:
    """Register a validation case (decorator).

    Parameters
    ----------
    name
        Case identifier, e.g. ``"V1"``.
    reference
        Source of the target (with evidence tags).
    tolerance_text
        Acceptance criterion in words, with units.
    title
        One-line description (default: first line of the function's docstring).
    fast
        Whether the case is cheap enough for ``dermsim report`` to run it.
    """

    def deco(fn: CaseFunction) -> CaseFunction:
        first = (fn.__doc__ or name).strip().splitlines()[0].rstrip(".")
        CASES[name] = Case(name, title or first, reference, tolerance_text, fn, fast)
        return fn

    return deco


@dataclass
class CaseResult:
    """Outcome of one case.

    ``status`` is ``"pass"``, ``"fail"``, ``"n/a"`` (stage not available) or ``"error"``
    (the case raised); ``notes`` are detail lines (sub-checks) and ``figure`` the case's
    matplotlib figure when figures were requested.
    """

    name: str
    title: str
    reference: str
    tolerance: str
    target: str = ""
    obtained: str = ""
    status: str = NA
    message: str = ""
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)
    figure: Any = field(default=None, repr=False, compare=False)

    @property
    def passed(self) -> bool:
        return self.status == PASS


# ------------------------------------------------------------------------------------------------
# parameter overrides (deliberately broken parameters)
# ------------------------------------------------------------------------------------------------

_OVERRIDES: dict[str, Any] = {}
_USED: set[str] = set()


def used_overrides() -> set[str]:
    """Names of the active overrides that a configuration built by a case has used."""
    return set(_USED)


def clear_used_overrides() -> None:
    """Forget which overrides have been used (before a new :func:`run_cases` call)."""
    _USED.clear()



def _check_override(name: str, value: Any) -> Any:
    from dermsim.docs import load_all_cards
    from dermsim.errors import ConfigError
    from dermsim.parameters import registered_cards

    load_all_cards()
    cards = {c.name: c for c in registered_cards()}
    if name not in cards:
        from dermsim.parameters import suggest

        raise ConfigError(name, value, "the name of a model parameter card (docs/model.md)",
                          suggest(name, cards) or "unknown parameter")
    c = cards[name]
    c.check(value, name)
    return int(value) if c.integer else float(value)


@contextlib.contextmanager
def parameter_overrides(values: Mapping[str, Any]) -> Iterator[None]:
    """Replace parameter-card values in every configuration the cases build.

    Parameters
    ----------
    values
        Card name → value, e.g. ``{"penetration.eta_impact": 0.5}``. Names must be registered
        parameter cards and values inside the card's allowed range
        (:class:`~dermsim.errors.ConfigError` otherwise).

    Examples
    --------
    >>> with parameter_overrides({"penetration.eta_impact": 0.5}):
    ...     results = run_cases(only="V7")          # V7 (impact anchor) now fails
    """
    checked = {k: _check_override(k, v) for k, v in values.items()}
    saved = dict(_OVERRIDES)
    _OVERRIDES.update(checked)
    try:
        yield
    finally:
        _OVERRIDES.clear()
        _OVERRIDES.update(saved)


class CaseContext:
    """What a case receives: configuration builder, figure and note collectors, a cache.

    Parameters
    ----------
    figures
        Whether the case should draw its figure (``--write``).
    cache
        Shared between the cases of one :func:`run_cases` call (simulations used by several
        cases run once).
    """

    def __init__(self, figures: bool = False, cache: dict[Any, Any] | None = None) -> None:
        self.figures = figures
        self.cache = {} if cache is None else cache
        self.notes: list[str] = []
        self.fig: Any = None

    # -- stage access ---------------------------------------------------------------------------
    @staticmethod
    def require(module: str, *names: str) -> Any:
        """Import ``module`` and check it has ``names``; :class:`StageUnavailable` otherwise."""
        try:
            mod = importlib.import_module(module)
        except ImportError as exc:
            raise StageUnavailable(f"{module} is not available ({exc})") from None
        missing = [n for n in names if not hasattr(mod, n)]
        if missing:
            raise StageUnavailable(f"{module} lacks {', '.join(missing)}")
        return mod

    @staticmethod
    def config(cls: type, prefix: str, **fixed: Any) -> Any:
        """Instance of config dataclass ``cls`` with ``fixed`` values, then the active
        parameter overrides whose name is ``prefix.<field>``."""
        fields = {f.name for f in dataclasses.fields(cls)}
        ov = {}
        for key, value in _OVERRIDES.items():
            head, _, tail = key.rpartition(".")
            if head == prefix and tail in fields:
                ov[tail] = value
                _USED.add(key)
        return cls(**{**fixed, **ov})

    @staticmethod
    def device(spec: dict[str, Any]) -> Any:
        """A device from a ``[device]`` table with the active ``device.*`` overrides."""
        from dermsim.devices import make_device

        dev = make_device(spec)
        fields = {f.name for f in dataclasses.fields(dev)}
        ov = {}
        for key, value in _OVERRIDES.items():
            parts = key.split(".")
            family = "rf" if dev.kind == "rf_tip" else dev.kind
            if parts[0] == "device" and parts[-1] in fields and (
                    len(parts) == 2 or parts[1] in (dev.kind, family)):
                ov[parts[-1]] = value
                _USED.add(key)
        if ov:
            dev = dataclasses.replace(dev, **ov)
            dev.validate()
        return dev

    @staticmethod
    def scenario(table: dict[str, Any]) -> Any:
        """A validated :class:`dermsim.config.Scenario` from a plain table, with the active
        overrides of scenario sections (``penetration.*``, ``signalling.*``,
        ``remodelling.*``, ``rf.*``, ``device.*`` of the scenario's device kind) applied."""
        from dermsim.config import load_scenario, with_overrides

        sc = load_scenario(table)
        kind = sc.device.kind
        family = "rf" if kind == "rf_tip" else kind
        ov = {}
        for key, value in _OVERRIDES.items():
            parts = key.split(".")
            if parts[0] in ("penetration", "signalling", "remodelling", "rf") and len(parts) == 2:
                if parts[0] == "rf" and kind != "rf_tip":
                    continue
                ov[key] = value
            elif parts[0] == "device" and (len(parts) == 2 or parts[1] in (kind, family)):
                ov[f"device.{parts[-1]}"] = value
            else:
                continue
            _USED.add(key)
        return with_overrides(sc, ov) if ov else sc

    def cached(self, key: str, fn: Callable[[], Any]) -> Any:
        """``fn()`` computed once per :func:`run_cases` call (and per override set)."""
        k = (key, tuple(sorted(_OVERRIDES.items())))
        if k not in self.cache:
            self.cache[k] = fn()
        return self.cache[k]

    # -- outputs --------------------------------------------------------------------------------
    def note(self, text: str) -> None:
        """Add a detail line (a sub-check and its value) to the case result."""
        self.notes.append(text)

    def check(self, label: str, value_text: str, ok: bool) -> bool:
        """Record a sub-check as a note ``"[ok] label: value"`` and return ``ok``."""
        self.notes.append(f"[{'ok' if ok else 'FAIL'}] {label}: {value_text}")
        return bool(ok)

    def figure(self, fig: Any) -> None:
        """Attach the case's figure (a :class:`matplotlib.figure.Figure`)."""
        self.fig = fig


def _select(only: str | Iterable[str] | None) -> list[Case]:
    if only is None:
        return list(CASES.values())
    names = [only] if isinstance(only, str) else list(only)
    wanted: list[str] = []
    for n in names:
        wanted.extend(p.strip() for p in str(n).split(",") if p.strip())
    lookup = {k.lower(): k for k in CASES}
    out = []
    for n in wanted:
        if n.lower() not in lookup:
            from dermsim.errors import ConfigError

            raise ConfigError("--only", n, f"one of {', '.join(CASES)}")
        c = CASES[lookup[n.lower()]]
        if c not in out:
            out.append(c)
    return out


def run_cases(only: str | Iterable[str] | None = None, figures: bool = False,
              overrides: Mapping[str, Any] | None = None, fast_only: bool = False,
              progress: Callable[[Case], None] | None = None) -> list[CaseResult]:
    """Run validation cases and return their results (in registration order).

    Parameters
    ----------
    only
        A case name (``"V7"``), a comma-separated list or an iterable of names; default all.
    figures
        Draw each case's figure (``CaseResult.figure``).
    overrides
        Parameter-card values to use instead of the defaults (see :func:`parameter_overrides`).
    fast_only
        Run only the cases registered with ``fast=True``.
    progress
        Called with each case before it runs.

    Returns
    -------
    list of CaseResult
    """
    selected = [c for c in _select(only) if c.fast or not fast_only]
    with parameter_overrides(overrides or {}):
        cache: dict[Any, Any] = {}
        results = [_run_one(c, figures, cache, progress) for c in selected]
    return results


def _run_one(c: Case, figures: bool, cache: dict[Any, Any],
             progress: Callable[[Case], None] | None) -> CaseResult:
    if progress:
        progress(c)
    ctx = CaseContext(figures, cache)
    res = CaseResult(c.name, c.title, c.reference, c.tolerance)
    t0 = time.perf_counter()
    try:
        target, obtained, passed = c.func(ctx)
        res.target, res.obtained = str(target), str(obtained)
        res.status = PASS if passed else FAIL
    except StageUnavailable as exc:
        res.status, res.message = NA, str(exc)
    except Exception as exc:  # a case that crashes is reported, not propagated
        import traceback

        res.status = ERROR
        res.message = f"{type(exc).__name__}: {exc}"
        res.notes.append(traceback.format_exc(limit=3).strip().splitlines()[-1])
    res.seconds = time.perf_counter() - t0
    res.notes = ctx.notes + res.notes
    res.figure = ctx.fig
    return res



def fmt(v: float, digits: int = 4) -> str:
    """A number as text with ``digits`` significant digits (scientific when very large or
    small; ``"nan"`` and ``"0"`` as such)."""
    if v != v:  # NaN
        return "nan"
    if v == 0:
        return "0"
    if abs(v) >= 1e5 or abs(v) < 1e-3:
        return f"{v:.{digits - 1}e}"
    return f"{v:.{digits}g}"
