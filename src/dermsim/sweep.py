"""Parameter sweeps: many scenarios → one labelled :class:`xarray.Dataset`.

A sweep spec (TOML) names a base scenario, the parameters to vary by their dotted scenario
keys, and a design::

    name = "sessions_interval"
    base = "../configs/baseline.toml"        # relative to this file (or an inline [base] table)
    outcomes = ["collagen_I_change_pct", "downtime_h"]   # default: every scalar outcome

    [parameters]
    "protocol.sessions" = [1, 2, 3, 4, 6]                 # a list: factorial levels / choices
    "protocol.interval_days" = {low = 14, high = 56, n = 4}   # a range (n points if factorial)
    "device.needle_length_um" = {low = 250, high = 2500, scale = "log"}

    [design]                                  # optional; default factorial (full product)
    kind = "lhs"                              # lhs | sobol | random | morris | saltelli
    n = 64

Each run gets its own seed from ``numpy.random.SeedSequence(seed).spawn(n_runs)`` (or the
base seed for all runs with ``seeds = "common"``), so a result never depends on the backend or
the worker count. Every run is executed single-threaded (numba, OpenMP, BLAS) in every backend,
which makes serial, process and dask results bit-identical.

Backends, one code path: ``serial``; ``processes`` (default: a fork/forkserver process pool on
all cores); ``dask`` (``distributed`` scheduler address or a LocalCluster with one thread per
worker). Runs are sent to workers in batches (guided scheduling: large batches first, single
runs at the end), each worker writes every run's result as a small NetCDF file named by the
hash of the run's inputs and returns only a summary. At the end the run files are merged into
one Dataset (a dim per parameter for factorial designs, a ``run`` dim with parameter coords for
sampled designs) written atomically. A rerun of the same command resumes: runs whose file
exists are not recomputed. A run that raises is recorded (``status``/``error`` variables) and
the others go on.

The module imports only the standard library at module level so that ``dermsim --help`` stays
fast; numpy, xarray, dask and matplotlib are imported where used.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import hashlib
import itertools
import json
import math
import os
import re
import signal
import sys
import threading
import time
import tomllib
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dermsim.blas import set_blas_threads
from dermsim.errors import DermsimError

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np
    import xarray as xr

    from dermsim.config import Scenario

#: Design kinds. ``factorial``: full product of the parameter levels; the others sample the
#: unit hypercube (scipy.stats.qmc Latin hypercube / scrambled Sobol', plain random, or the
#: SALib designs for Morris elementary effects and Sobol' indices).
DESIGN_KINDS = ("factorial", "lhs", "sobol", "random", "morris", "saltelli")
SENSITIVITY_KINDS = ("morris", "saltelli")

STATUS_OK, STATUS_FAILED, STATUS_INVALID = 0, 1, 2
STATUS_MEANINGS = "ok failed invalid"

#: Environment that keeps a worker process on one thread (set before numba/BLAS load).
THREAD_ENV = {"NUMBA_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
              "MKL_NUM_THREADS": "1"}

#: Outcomes for which smaller is better (``--by`` sorts ascending for these).
LOWER_IS_BETTER = frozenset({
    "bleeding_fraction", "epidermal_injury_mm3_per_cm2", "peak_inflammation", "downtime_h",
    "time_to_plateau_day", "coagulated_fraction", "max_temperature_C",
})

_UNIT_SUFFIXES = (("_mm3_per_cm2", "mm3/cm2"), ("_pct", "%"), ("_um", "um"), ("_day", "day"),
                  ("_h", "h"), ("_C", "degC"), ("_fraction", "1"), ("_s", "s"))

_TOP_KEYS = ("name", "description", "base", "fixed", "parameters", "design", "outcomes",
             "time_series", "seed", "seeds", "output", "figures")
_RESERVED = frozenset({"run", "run_seed", "status", "error", "elapsed_s", "run_id", "parameter",
                       "design_unit", "name"})
_HASH_RE = re.compile(r"[0-9a-f]{24}")
_MAX_SEED = 2**63 - 1


class SweepSpecError(DermsimError):
    """An invalid sweep spec. ``errors`` holds one line per problem."""

    def __init__(self, errors: Sequence[str], source: str = "sweep spec") -> None:
        self.errors = list(errors)
        if len(self.errors) == 1:
            msg = f"{source}: {self.errors[0]}"
        else:
            msg = f"{len(self.errors)} errors in {source}:\n" + "\n".join(
                f"  {e}" for e in self.errors)
        super().__init__(msg)


def _suggest(name: str, valid: Sequence[str] | set[str]) -> str:
    import difflib

    close = difflib.get_close_matches(str(name), sorted(valid), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def outcome_attrs(name: str) -> dict[str, str]:
    """``units`` and ``long_name`` of a scalar outcome (``dermsim.metrics.OUTCOME_ATTRS``, or
    from its name if not tabulated)."""
    from dermsim.metrics import OUTCOME_ATTRS

    if name in OUTCOME_ATTRS:
        units, long_name = OUTCOME_ATTRS[name]
    else:
        units = next((u for s, u in _UNIT_SUFFIXES if name.endswith(s)), "1")
        long_name = name.replace("_", " ")
    return {"units": units, "long_name": long_name}


# --------------------------------------------------------------------------------------------
# spec
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Parameter:
    """One swept scenario parameter.

    Attributes
    ----------
    key
        Dotted scenario key, e.g. ``"device.needle_length_um"``.
    name
        Name of its dimension / coordinate in the sweep Dataset (last part of the key unless
        that is ambiguous).
    values
        Explicit values (factorial levels, or choices sampled uniformly in sampled designs);
        ``None`` for a range.
    low, high, scale, n
        A range ``[low, high]`` on a ``"linear"`` or ``"log"`` scale; ``n`` points when used in
        a factorial design.
    integer
        Whether the scenario field is a whole number (sampled values are rounded).
    unit, long_name
        From the parameter card, when there is one.
    """

    key: str
    name: str
    values: tuple[Any, ...] | None = None
    low: float | None = None
    high: float | None = None
    scale: str = "linear"
    n: int | None = None
    integer: bool = False
    unit: str = ""
    long_name: str = ""

    @property
    def categorical(self) -> bool:
        """Whether the values are not numbers (e.g. a body site)."""
        return self.values is not None and any(
            isinstance(v, (str, bool)) for v in self.values)

    def levels(self) -> tuple[Any, ...]:
        """Factorial levels: the explicit values, or ``n`` points spanning the range."""
        if self.values is not None:
            return self.values
        import numpy as np

        assert self.low is not None and self.high is not None and self.n is not None
        space = np.geomspace if self.scale == "log" else np.linspace
        pts = space(self.low, self.high, self.n)
        if self.integer:
            return tuple(int(round(float(p))) for p in pts)
        return tuple(float(p) for p in pts)

    def from_unit(self, u: np.ndarray) -> list[Any]:
        """Map unit-hypercube coordinates ``u`` in [0, 1] to parameter values.

        Choices are picked with equal probability; integer ranges are uniform over the whole
        numbers in ``[low, high]`` (linear) or rounded (log).
        """
        import numpy as np

        u = np.clip(np.asarray(u, dtype=float), 0.0, 1.0)
        if self.values is not None:
            k = len(self.values)
            idx = np.minimum((u * k).astype(int), k - 1)
            return [self.values[i] for i in idx]
        lo, hi = float(self.low), float(self.high)  # type: ignore[arg-type]
        if self.scale == "log":
            v = np.exp(np.log(lo) + u * (np.log(hi) - np.log(lo)))
            if self.integer:
                return [int(x) for x in np.clip(np.round(v), lo, hi)]
            return [float(x) for x in np.clip(v, lo, hi)]
        if self.integer:
            return [int(x) for x in np.clip(np.floor(lo + u * (hi - lo + 1.0)), lo, hi)]
        return [float(x) for x in lo + u * (hi - lo)]

    def describe(self) -> str:
        """Short text for plans and logs."""
        if self.values is not None:
            return f"{self.key} in {list(self.values)}"
        n = f", n = {self.n}" if self.n else ""
        return f"{self.key} in [{self.low:g}, {self.high:g}] ({self.scale}{n})"


@dataclass(frozen=True)
class Design:
    """How the parameter space is explored (see :data:`DESIGN_KINDS`)."""

    kind: str = "factorial"
    n: int | None = None
    seed: int = 0
    levels: int = 4
    second_order: bool = False

    @property
    def sampled(self) -> bool:
        return self.kind != "factorial"


@dataclass(frozen=True)
class FigureSpec:
    """A figure drawn after the sweep: ``heatmap`` (x, y), ``lines`` (x, hue) or
    ``sensitivity``."""

    kind: str
    outcomes: tuple[str, ...]
    x: str | None = None
    y: str | None = None
    hue: str | None = None
    sel: Mapping[str, Any] = field(default_factory=dict)
    file: str | None = None


@dataclass(frozen=True)
class RunTask:
    """One run of a sweep: its parameter values, seed and (validated) scenario.

    ``scenario`` is ``None`` and ``error`` says why when the combination of values is not a
    valid scenario (e.g. a needle longer than the skin at that body site).
    """

    index: int
    values: Mapping[str, Any]
    seed: int
    scenario: Any = None
    error: str = ""


@dataclass(frozen=True)
class SweepSpec:
    """A validated sweep spec (see the module docstring for the TOML layout)."""

    name: str
    base: Any
    parameters: tuple[Parameter, ...]
    design: Design = field(default_factory=Design)
    outcomes: tuple[str, ...] = ()
    time_series: tuple[str, ...] = ()
    seed: int = 0
    seeds: str = "per_run"
    output: str | None = None
    figures: tuple[FigureSpec, ...] = ()
    description: str = ""
    base_source: str = ""
    text: str = ""
    source: str = "sweep spec"

    @property
    def sampled(self) -> bool:
        return self.design.sampled

    @property
    def shape(self) -> tuple[int, ...]:
        """Dataset shape: one dim per parameter (factorial) or ``(n_runs,)``."""
        if not self.sampled:
            return tuple(len(p.levels()) for p in self.parameters)
        return (self.n_runs,)

    @property
    def n_runs(self) -> int:
        if not self.sampled:
            return math.prod(len(p.levels()) for p in self.parameters)
        n, d = int(self.design.n or 0), len(self.parameters)
        if self.design.kind == "morris":
            return n * (d + 1)
        if self.design.kind == "saltelli":
            return n * (2 * d + 2 if self.design.second_order else d + 2)
        return n

    def parameter(self, ref: str) -> Parameter:
        """A parameter by dotted key or dataset name."""
        for p in self.parameters:
            if ref in (p.key, p.name):
                return p
        raise DermsimError(f"{ref!r} is not a parameter of sweep {self.name!r} "
                           f"(parameters: {', '.join(p.key for p in self.parameters)})")

    def unit_design(self) -> np.ndarray | None:
        """The sampled design in the unit hypercube, shape (n_runs, n_parameters)."""
        u = self._unit_design
        return None if u is None else u.copy()

    @functools.cached_property
    def _unit_design(self) -> np.ndarray | None:
        if not self.sampled:
            return None
        import numpy as np

        d, n, kind = len(self.parameters), int(self.design.n or 0), self.design.kind
        if kind in SENSITIVITY_KINDS:
            from dermsim.sensitivity import sample_unit

            return sample_unit(kind, n, d, self.design.seed, levels=self.design.levels,
                               second_order=self.design.second_order)
        from scipy.stats import qmc

        if kind == "lhs":
            return qmc.LatinHypercube(d=d, rng=self.design.seed).random(n)
        if kind == "sobol":
            return qmc.Sobol(d=d, scramble=True, rng=self.design.seed).random_base2(
                int(round(math.log2(n))))
        return np.random.default_rng(self.design.seed).random((n, d))

    def points(self) -> list[dict[str, Any]]:
        """Parameter values of every run, in run order (C order over the factorial dims)."""
        if not self.sampled:
            keys = [p.key for p in self.parameters]
            return [dict(zip(keys, combo))
                    for combo in itertools.product(*(p.levels() for p in self.parameters))]
        u = self.unit_design()
        assert u is not None
        cols = [p.from_unit(u[:, j]) for j, p in enumerate(self.parameters)]
        return [{p.key: cols[j][i] for j, p in enumerate(self.parameters)}
                for i in range(u.shape[0])]

    def run_seeds(self) -> list[int]:
        """Seed of every run: spawned from ``seed`` per run, or ``seed`` for all runs."""
        n = self.n_runs
        if self.seeds == "common":
            return [self.seed] * n
        import numpy as np

        # 53-bit seeds: the scenario's integer check goes through float, exact below 2**53
        return [int(s.generate_state(1, dtype=np.uint64)[0] >> np.uint64(11))
                for s in np.random.SeedSequence(self.seed).spawn(n)]

    def tasks(self) -> list[RunTask]:
        """Every run with its validated scenario (invalid combinations carry their error)."""
        from dermsim.config import with_overrides

        swept_seed = any(p.key == "seed" for p in self.parameters)
        out = []
        for i, (values, seed) in enumerate(zip(self.points(), self.run_seeds())):
            over = dict(sorted(values.items(),
                               key=lambda kv: kv[0] not in ("device.preset", "device.kind")))
            if not swept_seed:
                over["seed"] = seed
            else:
                seed = int(values["seed"])
            try:
                out.append(RunTask(i, values, seed, with_overrides(self.base, over)))
            except DermsimError as exc:
                out.append(RunTask(i, values, seed, None, f"invalid combination: {exc}"))
        return out


def _flatten(d: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in d.items():
        key = f"{prefix}.{k}" if prefix else str(k)
        if isinstance(v, Mapping) and v:
            out.update(_flatten(v, key))
        else:
            out[key] = v
    return out


def _valid_keys(base: Any, stages: Sequence[str] = ("signalling", "remodelling", "rf")
                ) -> dict[str, Any]:
    """Every dotted key a scenario accepts, with the base value (``None`` if unset).

    Stage sections are imported only for the ``stages`` named (they load heavy modules)."""
    import dataclasses

    from dermsim.config import _plain
    from dermsim.parameters import registered_cards
    from dermsim.tissue import LAYER_NAMES

    keys: dict[str, Any] = {c.name: None for c in registered_cards() if "." in c.name}
    keys.update({"grid.depth_um": None, "device.preset": None, "seed": base.seed})
    keys.update({f"skin.thickness_um.{n}": None for n in LAYER_NAMES})
    for stage in stages:
        with contextlib.suppress(Exception):
            cfg = base.stage(stage)
            if cfg is not None:
                keys.update(_flatten(_plain(dataclasses.asdict(cfg)), stage))
    keys.update(_flatten(base.to_dict()))
    keys.pop("name", None)
    return keys


_RANGE_KEYS = ("low", "high", "scale", "n", "values")


def _flatten_parameters(table: Mapping[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    """Quoted dotted keys (``"device.needle_length_um" = [...]``) and nested tables
    (``[parameters.device]``) both name parameters; a table with low/high/values is a range."""
    out: list[tuple[str, Any]] = []
    for k, v in table.items():
        key = f"{prefix}.{k}" if prefix else str(k)
        if isinstance(v, Mapping) and v and not any(r in v for r in _RANGE_KEYS):
            out.extend(_flatten_parameters(v, key))
        else:
            out.append((key, v))
    return out


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _check_value(base: Any, key: str, value: Any, where: str, errs: list[str]) -> bool:
    from dermsim.config import with_overrides
    from dermsim.errors import ConfigError

    try:
        with_overrides(base, {key: value})
    except ConfigError as exc:
        if exc.field == key:
            hint = str(exc).split(": allowed ", 1)[-1]
            errs.append(f"{where} = {value!r}: allowed {hint}")
        else:
            errs.append(f"{where} = {value!r}: {exc}")
        return False
    except DermsimError as exc:
        errs.append(f"{where} = {value!r}: {exc}")
        return False
    return True


def _parse_parameter(key: str, spec: Any, base: Any, valid: dict[str, Any] | None,
                     cards: dict[str, Any], errs: list[str]) -> Parameter | None:
    where = f"parameters.{key}"
    if valid is not None and key not in valid:
        errs.append(f"{where}: unknown scenario key{_suggest(key, list(valid))}")
        return None
    c = cards.get(key)
    base_value = valid.get(key) if valid else None
    integer = bool(c.integer) if c is not None else (
        isinstance(base_value, int) and not isinstance(base_value, bool))
    unit = c.unit if c is not None else ""
    long_name = c.description if c is not None else key
    if key == "seed":
        integer, unit, long_name = True, "1", "seed of the run's random generator"
    n_err = len(errs)
    if isinstance(spec, Mapping) and "values" in spec:
        extra = sorted(set(spec) - {"values"})
        if extra:
            errs.append(f"{where}.{extra[0]}: not allowed with values")
        spec = spec["values"]
    if isinstance(spec, list):
        if not spec:
            errs.append(f"{where} = []: allowed a non-empty list of values")
            return None
        for i, v in enumerate(spec):
            if isinstance(v, float) and math.isnan(v):
                errs.append(f"{where}[{i}] = nan: allowed a number (NaN is not allowed)")
            elif not isinstance(v, (str, int, float, bool)):
                errs.append(f"{where}[{i}] = {v!r}: allowed a number, string or boolean")
        if len(errs) > n_err:
            return None
        kinds = {"str" if isinstance(v, str) else "bool" if isinstance(v, bool) else "num"
                 for v in spec}
        if len(kinds) > 1:
            errs.append(f"{where} = {spec!r}: allowed values of one type (numbers, strings "
                        "or booleans)")
            return None
        seen: set[Any] = set()
        for i, v in enumerate(spec):
            if v in seen:
                errs.append(f"{where}[{i}] = {v!r}: duplicate value")
            seen.add(v)
        if integer and kinds == {"num"}:
            for i, v in enumerate(spec):
                if float(v) != int(v):
                    errs.append(f"{where}[{i}] = {v!r}: allowed a whole number")
            spec = [int(v) for v in spec]
        if len(errs) > n_err:
            return None
        if base is not None:
            for i, v in enumerate(spec):
                _check_value(base, key, v, f"{where}[{i}]", errs)
        if len(errs) > n_err:
            return None
        return Parameter(key, key, values=tuple(spec), integer=integer, unit=unit,
                         long_name=long_name)
    if isinstance(spec, Mapping):
        for k in spec:
            if k not in _RANGE_KEYS:
                errs.append(f"{where}.{k}: unknown key{_suggest(k, _RANGE_KEYS)} "
                            "(allowed: low, high, scale, n)")
        lo, hi = spec.get("low"), spec.get("high")
        for nm, v in (("low", lo), ("high", hi)):
            if v is None:
                errs.append(f"{where}.{nm}: missing (a range needs low and high)")
            elif not _is_number(v) or math.isnan(v) or math.isinf(v):
                errs.append(f"{where}.{nm} = {v!r}: allowed a finite number")
        scale = spec.get("scale", "linear")
        if scale not in ("linear", "log"):
            errs.append(f"{where}.scale = {scale!r}: allowed 'linear' or 'log'"
                        f"{_suggest(str(scale), ['linear', 'log'])}")
        n = spec.get("n")
        if n is not None and (not isinstance(n, int) or isinstance(n, bool) or n < 2):
            errs.append(f"{where}.n = {n!r}: allowed a whole number >= 2")
        if len(errs) > n_err:
            return None
        if lo >= hi:
            errs.append(f"{where}: low = {lo!r} >= high = {hi!r}: allowed low < high")
        elif scale == "log" and lo <= 0:
            errs.append(f"{where}.low = {lo!r}: allowed > 0 on a log scale")
        if integer:
            for nm, v in (("low", lo), ("high", hi)):
                if float(v) != int(v):
                    errs.append(f"{where}.{nm} = {v!r}: allowed a whole number")
        if len(errs) > n_err:
            return None
        if base is not None:
            for nm, v in (("low", lo), ("high", hi)):
                _check_value(base, key, int(v) if integer else float(v), f"{where}.{nm}", errs)
        if len(errs) > n_err:
            return None
        if integer and n is not None and n > int(hi) - int(lo) + 1:
            errs.append(f"{where}.n = {n}: allowed at most {int(hi) - int(lo) + 1} whole "
                        f"numbers in [{lo}, {hi}]")
            return None
        p = Parameter(key, key, None, float(lo), float(hi), scale, n, integer, unit, long_name)
        if n is not None and len(set(p.levels())) < n:
            errs.append(f"{where}: {n} points round to duplicate whole numbers; use fewer "
                        "points or a list")
            return None
        return p
    errs.append(f"{where} = {spec!r}: allowed a list of values or a range table "
                "{low, high, scale, n} (fixed values belong in the base scenario)")
    return None


def _parse_design(table: Any, params: list[Parameter], seed: int, errs: list[str]) -> Design:
    if table is None:
        table = {}
    if not isinstance(table, Mapping):
        errs.append(f"design = {table!r}: allowed a table")
        return Design(seed=seed)
    allowed = ("kind", "n", "seed", "levels", "second_order")
    for k in table:
        if k not in allowed:
            errs.append(f"design.{k}: unknown key{_suggest(k, allowed)}")
    kind = table.get("kind", "factorial")
    if kind not in DESIGN_KINDS:
        errs.append(f"design.kind = {kind!r}: allowed one of {list(DESIGN_KINDS)}"
                    f"{_suggest(str(kind), DESIGN_KINDS)}")
        return Design(seed=seed)
    n = table.get("n")
    dseed = table.get("seed", seed)
    if not isinstance(dseed, int) or isinstance(dseed, bool) or not 0 <= dseed <= _MAX_SEED:
        errs.append(f"design.seed = {dseed!r}: allowed a whole number in [0, 2**63 - 1]")
        dseed = seed
    levels = table.get("levels", 4)
    second = table.get("second_order", False)
    if kind == "factorial":
        for k in ("n", "levels", "second_order"):
            if k in table:
                errs.append(f"design.{k}: only for sampled designs (kind = lhs, sobol, random, "
                            "morris, saltelli)")
        for p in params:
            if p.values is None and p.n is None:
                errs.append(f"parameters.{p.key}: a range needs n points in a factorial design "
                            "(or a [design] with kind = lhs, sobol, random, morris or saltelli)")
        return Design("factorial", None, dseed)
    if n is None:
        what = "trajectories" if kind == "morris" else "samples"
        errs.append(f"design.n: missing (number of {what})")
        return Design(kind, None, dseed)
    if not isinstance(n, int) or isinstance(n, bool) or n < 1:
        errs.append(f"design.n = {n!r}: allowed a whole number >= 1")
        return Design(kind, None, dseed)
    if kind in ("sobol", "saltelli") and n & (n - 1):
        lo = 1 << (n.bit_length() - 1)
        errs.append(f"design.n = {n}: allowed a power of 2 for {kind} (e.g. {lo} or {2 * lo})")
    if kind == "morris" and n < 2:
        errs.append(f"design.n = {n}: allowed >= 2 trajectories for morris")
    if kind == "morris" and (not isinstance(levels, int) or isinstance(levels, bool)
                             or levels < 2):
        errs.append(f"design.levels = {levels!r}: allowed a whole number >= 2 (even, e.g. 4)")
    elif "levels" in table and kind != "morris":
        errs.append("design.levels: only for kind = morris")
    if "second_order" in table and (kind != "saltelli" or not isinstance(second, bool)):
        errs.append(f"design.second_order = {second!r}: allowed true/false, for kind = saltelli")
    for p in params:
        if p.n is not None:
            errs.append(f"parameters.{p.key}.n: only for factorial designs (a sampled design "
                        "draws its own points)")
    return Design(kind, n, dseed, int(levels) if isinstance(levels, int) else 4, bool(second))


def _parse_figures(value: Any, spec_outcomes: tuple[str, ...], params: list[Parameter],
                   design: Design, errs: list[str]) -> tuple[FigureSpec, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        errs.append("figures: allowed an array of tables [[figures]]")
        return ()
    refs = {p.key for p in params} | {p.name for p in params}
    out = []
    for i, f in enumerate(value):
        where = f"figures[{i}]"
        if not isinstance(f, Mapping):
            errs.append(f"{where}: allowed a table")
            continue
        allowed = ("kind", "outcome", "outcomes", "x", "y", "hue", "sel", "file")
        for k in f:
            if k not in allowed:
                errs.append(f"{where}.{k}: unknown key{_suggest(k, allowed)}")
        kind = f.get("kind")
        if kind not in ("heatmap", "lines", "sensitivity"):
            errs.append(f"{where}.kind = {kind!r}: allowed 'heatmap', 'lines' or 'sensitivity'")
            continue
        outs = f.get("outcomes", [f["outcome"]] if "outcome" in f else list(spec_outcomes[:1]))
        if isinstance(outs, str):
            outs = [outs]
        for o in outs:
            if o not in spec_outcomes:
                errs.append(f"{where}.outcome = {o!r}: allowed one of the sweep's outcomes"
                            f"{_suggest(str(o), spec_outcomes)}")
        for k in ("x", "y", "hue"):
            if k in f and f[k] not in refs:
                errs.append(f"{where}.{k} = {f[k]!r}: allowed a swept parameter"
                            f"{_suggest(str(f[k]), sorted(refs))}")
        sel = f.get("sel", {})
        if not isinstance(sel, Mapping) or any(k not in refs for k in sel):
            errs.append(f"{where}.sel = {sel!r}: allowed a table of swept parameter = value")
            sel = {}
        if kind == "heatmap" and not ("x" in f and "y" in f):
            errs.append(f"{where}: a heatmap needs x and y")
        if kind == "lines" and "x" not in f:
            errs.append(f"{where}: a lines figure needs x")
        if kind == "sensitivity" and design.kind not in SENSITIVITY_KINDS:
            errs.append(f"{where}: a sensitivity figure needs design.kind = morris or saltelli")
        file = f.get("file")
        if file is not None and (not isinstance(file, str) or "/" in file or "\\" in file):
            errs.append(f"{where}.file = {file!r}: allowed a file name without folders")
        out.append(FigureSpec(kind, tuple(outs), f.get("x"), f.get("y"), f.get("hue"),
                              dict(sel), file))
    return tuple(out)


def load_sweep(source: str | Path | Mapping[str, Any],
               base_dir: str | Path | None = None) -> SweepSpec:
    """Load and validate a sweep spec from a TOML file or a plain dict.

    Parameters
    ----------
    source
        Path of a sweep TOML, or the parsed table.
    base_dir
        Folder that a relative ``base = "..."`` path is resolved against (default: the sweep
        file's folder, or the current folder for a dict).

    Raises
    ------
    SweepSpecError
        Every problem found, one line each (unknown parameter keys with a suggestion, empty
        lists, ``low >= high``, NaN, values outside a parameter's allowed range, ...).
    DermsimError
        Missing file or TOML syntax error.
    """
    if isinstance(source, Mapping):
        table = dict(source)
        origin, default_name, text = "sweep spec", "sweep", ""
        bdir = Path(base_dir) if base_dir is not None else Path.cwd()
    else:
        path = Path(source)
        if not path.is_file():
            raise DermsimError(f"sweep file not found: {path}")
        text = path.read_text(encoding="utf-8")
        try:
            table = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise DermsimError(f"{path}: invalid TOML: {exc}") from None
        origin, default_name = str(path), path.stem
        bdir = Path(base_dir) if base_dir is not None else path.parent
    return _parse_spec(table, text, bdir, default_name, origin)


def _parse_spec(table: dict[str, Any], text: str, base_dir: Path, default_name: str,
                origin: str) -> SweepSpec:
    from dermsim.config import load_scenario
    from dermsim.metrics import OUTCOME_NAMES
    from dermsim.parameters import registered_cards

    errs: list[str] = []
    for k in table:
        if k not in _TOP_KEYS:
            errs.append(f"{k}: unknown key{_suggest(k, _TOP_KEYS)}")
    name = table.get("name", default_name)
    if not isinstance(name, str) or not name.strip() or any(c in name for c in "/\\"):
        errs.append(f"name = {name!r}: allowed a non-empty string without path separators")
        name = default_name
    description = table.get("description", "")
    if not isinstance(description, str):
        errs.append(f"description = {description!r}: allowed a string")
        description = ""
    # base scenario
    base, base_source = None, ""
    entry = table.get("base")
    try:
        if entry is None:
            base, base_source = load_scenario({}), "dermsim defaults"
        elif isinstance(entry, str):
            p = Path(entry)
            p = p if p.is_absolute() else base_dir / p
            base, base_source = load_scenario(p), os.path.normpath(p)
        elif isinstance(entry, Mapping):
            base, base_source = load_scenario(dict(entry)), "inline [base] table"
        else:
            errs.append(f"base = {entry!r}: allowed a path to a scenario TOML or a [base] table")
    except DermsimError as exc:
        errs.append(f"base: {exc}")
    # fixed overrides of the base, e.g. a coarser sweep grid: [fixed] "grid.h_um" = 20
    fixed = table.get("fixed", {})
    if not isinstance(fixed, Mapping):
        errs.append(f"fixed = {fixed!r}: allowed a table of dotted scenario keys = values")
    elif fixed and base is not None:
        flat_fixed = _flatten(fixed)
        valid_fixed = _valid_keys(base, sorted({k.split(".", 1)[0] for k in flat_fixed}
                                               & {"signalling", "remodelling", "rf"}))
        ok = True
        for k, v in flat_fixed.items():
            if k not in valid_fixed:
                errs.append(f"fixed.{k}: unknown scenario key{_suggest(k, list(valid_fixed))}")
                ok = False
            elif not _check_value(base, k, v, f"fixed.{k}", errs):
                ok = False
        if ok:
            from dermsim.config import with_overrides

            try:
                base = with_overrides(base, flat_fixed)
            except DermsimError as exc:
                errs.append(f"fixed: {exc}")
    # seeds
    seed = table.get("seed", base.seed if base is not None else 0)
    if not isinstance(seed, int) or isinstance(seed, bool) or not 0 <= seed <= _MAX_SEED:
        errs.append(f"seed = {seed!r}: allowed a whole number in [0, 2**63 - 1]")
        seed = 0
    seeds = table.get("seeds", "per_run")
    if seeds not in ("per_run", "common"):
        errs.append(f"seeds = {seeds!r}: allowed 'per_run' (SeedSequence.spawn) or 'common' "
                    "(the same seed for every run)")
    # parameters
    ptable = table.get("parameters")
    params: list[Parameter] = []
    if not isinstance(ptable, Mapping) or not ptable:
        errs.append("parameters: missing (a table with at least one parameter, e.g. "
                    "\"protocol.sessions\" = [2, 4, 6])")
    else:
        flat = _flatten_parameters(ptable)
        stages = sorted({k.split(".", 1)[0] for k, _ in flat}
                        & {"signalling", "remodelling", "rf"})
        valid = _valid_keys(base, stages) if base is not None else None
        cards = {c.name: c for c in registered_cards()}
        seen: set[str] = set()
        for key, spec in flat:
            if key in seen:
                errs.append(f"parameters.{key}: given twice")
                continue
            seen.add(key)
            p = _parse_parameter(key, spec, base, valid, cards, errs)
            if p is not None:
                params.append(p)
    design = _parse_design(table.get("design"), params, seed, errs)
    # outcomes and time series
    outcomes = table.get("outcomes", list(OUTCOME_NAMES))
    if not isinstance(outcomes, list) or not outcomes or not all(
            isinstance(o, str) for o in outcomes):
        errs.append(f"outcomes = {outcomes!r}: allowed a non-empty list of outcome names")
        outcomes = []
    for o in outcomes:
        if o not in OUTCOME_NAMES:
            errs.append(f"outcomes: {o!r} is not a scalar outcome{_suggest(o, OUTCOME_NAMES)}")
    if len(set(outcomes)) != len(outcomes):
        errs.append("outcomes: an outcome is listed twice")
    series = table.get("time_series", [])
    if not isinstance(series, list) or not all(isinstance(s, str) for s in series):
        errs.append(f"time_series = {series!r}: allowed a list of result variable names")
        series = []
    for s in series:
        if s in outcomes or s in _RESERVED:
            errs.append(f"time_series: {s!r} clashes with an outcome or a reserved name")
    output = table.get("output")
    if output is not None and not isinstance(output, str):
        errs.append(f"output = {output!r}: allowed a folder path")
        output = None
    elif output is not None and not Path(output).is_absolute():
        output = os.path.normpath(base_dir / output)  # relative to the sweep file, like base
    # dataset names of the parameters
    taken = set(outcomes) | set(series) | _RESERVED
    short = [p.key.rsplit(".", 1)[-1] for p in params]
    named = []
    for p, s in zip(params, short):
        nm = s if short.count(s) == 1 and s not in taken else p.key.replace(".", "_")
        named.append(Parameter(p.key, nm, p.values, p.low, p.high, p.scale, p.n, p.integer,
                               p.unit, p.long_name))
    figures = _parse_figures(table.get("figures"), tuple(outcomes), named, design, errs)
    if errs:
        raise SweepSpecError(errs, origin)
    if not text:
        import tomli_w

        with contextlib.suppress(Exception):
            text = tomli_w.dumps(table)
    spec = SweepSpec(name=name, base=base, parameters=tuple(named), design=design,
                     outcomes=tuple(outcomes), time_series=tuple(series), seed=int(seed),
                     seeds=seeds, output=output, figures=figures, description=description,
                     base_source=base_source, text=text, source=origin)
    if spec.n_runs < 1:
        raise SweepSpecError(["the design has no runs"], origin)
    return spec


# --------------------------------------------------------------------------------------------
# running
# --------------------------------------------------------------------------------------------

RunFunction = Callable[[Any], Mapping[str, Any]]


def simulate_outcomes(scenario: Scenario, time_series: Sequence[str] = ()) -> dict[str, Any]:
    """The default run function: :func:`dermsim.simulate` → scalar outcomes (+ series).

    Parameters
    ----------
    scenario
        One run's scenario.
    time_series
        Names of result variables to keep (e.g. a collagen time course); they must not have
        the spatial dims ``z``/``x``.

    Returns
    -------
    dict
        Outcome name → float (:func:`dermsim.metrics.scalar_outcomes`), series name →
        :class:`xarray.DataArray`.
    """
    from dermsim.metrics import scalar_outcomes
    from dermsim.pipeline import simulate

    ds = simulate(scenario)
    out: dict[str, Any] = dict(scalar_outcomes(ds))
    for name in time_series:
        if name not in ds:
            raise KeyError(f"time series {name!r} is not in the result (variables: "
                           f"{', '.join(sorted(map(str, ds.data_vars)))})")
        da = ds[name]
        if {"z", "x"} & set(da.dims):
            raise ValueError(f"time series {name!r} has spatial dims {da.dims}; keep only "
                             "variables without z/x")
        out[name] = da
    return out


def _callable_id(fn: Any, source: bool = True) -> str:
    """Name of a run function (with partial arguments and, outside dermsim, a source hash)."""
    if isinstance(fn, functools.partial):
        out = (f"{_callable_id(fn.func, False)}({', '.join(map(repr, fn.args))}"
               f"{', ' if fn.args and fn.keywords else ''}"
               f"{', '.join(f'{k}={v!r}' for k, v in sorted(fn.keywords.items()))})")
    else:
        out = f"{getattr(fn, '__module__', '?')}.{getattr(fn, '__qualname__', repr(fn))}"
    fp = _function_fingerprint(fn) if source else ""
    return f"{out} [source {fp}]" if fp else out


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


def _one_line(exc: BaseException) -> str:
    msg = f"{type(exc).__name__}: {exc}".replace("\r", " ").replace("\n", " | ")
    return msg if len(msg) <= 500 else msg[:497] + "..."


def _limit_threads() -> None:
    """Keep this process on one thread for numba/OpenMP/BLAS (results then do not depend on
    the thread count, and workers do not oversubscribe the cores)."""
    os.environ.update(THREAD_ENV)
    numba = sys.modules.get("numba")
    if numba is not None:
        with contextlib.suppress(Exception):
            if numba.get_num_threads() != 1:
                numba.set_num_threads(1)
    if "numpy" in sys.modules:
        with contextlib.suppress(Exception):
            set_blas_threads(1)


@contextlib.contextmanager
def _single_thread() -> Iterator[None]:
    """One numba and one BLAS thread in this (parent) process for the duration; restored
    afterwards."""
    import numba

    old = numba.get_num_threads()
    numba.set_num_threads(1)
    old_blas = set_blas_threads(1)
    try:
        yield
    finally:
        numba.set_num_threads(old)
        if old_blas is not None:
            set_blas_threads(old_blas)


def _init_worker() -> None:
    """Process-pool initializer: one thread per worker; Ctrl-C is handled by the parent; the
    worker exits by itself if its parent dies (e.g. the sweep was killed with SIGKILL)."""
    os.environ.update(THREAD_ENV)
    with contextlib.suppress(ValueError):
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    ppid = os.getppid()

    def watch() -> None:
        while True:
            time.sleep(1.0)
            if os.getppid() != ppid:
                os._exit(3)

    threading.Thread(target=watch, name="dermsim-parent-watch", daemon=True).start()


class SweepStore:
    """Folder layout of a sweep's results.

    ``DIR/NAME.nc`` is the merged Dataset; ``DIR/NAME.runs/<hash>.nc`` holds one file per run,
    named by :func:`run_hash`; ``DIR/NAME.runs/spec.toml`` a copy of the spec.
    """

    def __init__(self, out_dir: str | Path, name: str) -> None:
        self.out_dir = Path(out_dir)
        self.result_path = self.out_dir / f"{name}.nc"
        self.runs_dir = self.out_dir / f"{name}.runs"

    def prepare(self, spec_text: str) -> None:
        from dermsim.io import atomic_write_bytes

        self.runs_dir.mkdir(parents=True, exist_ok=True)
        for tmp in self.runs_dir.glob(".*.tmp"):  # left by a run killed while writing
            tmp.unlink(missing_ok=True)
        if spec_text:
            atomic_write_bytes(spec_text.encode(), self.runs_dir / "spec.toml")

    def path(self, h: str) -> Path:
        return self.runs_dir / f"{h}.nc"

    def existing(self) -> set[str]:
        """Hashes of the runs whose file exists."""
        if not self.runs_dir.is_dir():
            return set()
        return {p.stem for p in self.runs_dir.glob("*.nc") if _HASH_RE.fullmatch(p.stem)}

    def clear(self) -> int:
        """Delete this sweep's run files (``--restart``). Returns how many were removed."""
        n = 0
        if self.runs_dir.is_dir():
            for p in self.runs_dir.iterdir():
                if (p.suffix == ".nc" and _HASH_RE.fullmatch(p.stem)) or p.name.endswith(".tmp"):
                    p.unlink(missing_ok=True)
                    n += 1
        return n

    def read(self, h: str, series: bool = True) -> dict[str, Any]:
        """One run file as ``{status, error, elapsed_s, outcomes, series}`` (``series``:
        also load the variables with dims, as DataArrays)."""
        import netCDF4

        with netCDF4.Dataset(self.path(h)) as nc:
            nc.set_auto_mask(False)  # NaN stays NaN (not a masked element)
            attrs = {k: nc.getncattr(k) for k in nc.ncattrs()}
            outcomes = {k: float(v[...]) for k, v in nc.variables.items()
                        if not v.dimensions}
            has_series = any(v.dimensions and k not in nc.dimensions
                             for k, v in nc.variables.items())
        out = {
            "status": int(attrs.get("status", STATUS_FAILED)),
            "error": str(attrs.get("error", "")),
            "elapsed_s": float(attrs.get("elapsed_s", math.nan)),
            "outcomes": outcomes,
            "series": {},
        }
        if series and has_series:
            import xarray as xr

            with xr.open_dataset(self.path(h)) as ds:
                out["series"] = {k: v.load() for k, v in ds.data_vars.items() if v.dims}
        return out

    def read_status(self, h: str) -> int:
        import netCDF4

        with netCDF4.Dataset(self.path(h)) as nc:
            return int(nc.getncattr("status"))

    def read_elapsed(self, limit: int = 50) -> list[float]:
        """Run times [s] of up to ``limit`` successful stored runs (for estimates)."""
        import netCDF4

        out = []
        for h in sorted(self.existing())[:limit]:
            with contextlib.suppress(Exception), netCDF4.Dataset(self.path(h)) as nc:
                if int(nc.getncattr("status")) == STATUS_OK:
                    out.append(float(nc.getncattr("elapsed_s")))
        return out


def _split_result(result: Mapping[str, Any], outcomes: Sequence[str],
                  time_series: Sequence[str]) -> tuple[dict[str, float], dict[str, Any]]:
    import xarray as xr

    if not isinstance(result, Mapping):
        raise TypeError(f"the run function returned {type(result).__name__}, not a mapping "
                        "of outcome name -> value")
    values = {}
    for o in outcomes:
        v = result.get(o, math.nan)
        try:
            values[o] = float(v)
        except (TypeError, ValueError):
            raise TypeError(f"outcome {o!r} is not a number: {v!r}") from None
    series = {}
    for s in time_series:
        if s not in result:
            raise KeyError(f"time series {s!r} missing from the run result")
        da = result[s]
        if not isinstance(da, xr.DataArray):
            raise TypeError(f"time series {s!r} is {type(da).__name__}, not an xarray "
                            "DataArray")
        da = da.reset_coords(drop=True).rename(s)
        if da.dtype.kind not in "iufb":
            raise TypeError(f"time series {s!r} has dtype {da.dtype}, not numbers")
        for d in da.dims:
            if d in da.coords and da[d].dtype.kind not in "iufUSO":
                raise TypeError(f"time series {s!r}: coordinate {d!r} has dtype "
                                f"{da[d].dtype}; use numbers (e.g. days) or strings")
            for other in series.values():
                if d in other.dims and (other.sizes[d] != da.sizes[d] or (
                        d in other.coords and d in da.coords
                        and not other[d].equals(da[d]))):
                    raise ValueError(f"time series {s!r}: dim {d!r} differs from another "
                                     "series of the same run")
        series[s] = da
    return values, series


def _nc_attr(v: Any) -> Any:
    import numpy as np

    if isinstance(v, (bool, np.bool_)):
        return int(v)
    if isinstance(v, (str, int, float, np.integer, np.floating)):
        return v
    if isinstance(v, (list, tuple, np.ndarray)) and all(
            isinstance(e, (int, float, np.integer, np.floating)) for e in v):
        return np.asarray(v, dtype=float)
    return str(v)


def _write_run(path: Path, task_index: int, h: str, seed: int, values: Mapping[str, Any],
               status: int, error: str, elapsed: float, outcome_values: Mapping[str, float],
               series: Mapping[str, Any]) -> None:
    """Write one run's file atomically with netCDF4 directly (no xarray backend machinery in
    the workers). Scalar outcomes are 0-d variables; series keep their dims and coords."""
    import tempfile

    import netCDF4
    import numpy as np

    from dermsim import __version__

    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        with netCDF4.Dataset(tmp, "w", format="NETCDF4") as nc:
            nc.setncatts({
                "run_index": task_index, "run_hash": h, "seed": str(seed), "status": status,
                "error": error, "elapsed_s": elapsed, "dermsim_version": __version__,
                "parameters_json": json.dumps(dict(values), default=str),
            })
            for o, v in outcome_values.items():
                var = nc.createVariable(o, "f8", (), fill_value=np.nan)
                var[...] = v
                var.setncatts(outcome_attrs(o))
            for name, da in series.items():
                for d in da.dims:
                    if d in nc.dimensions:
                        continue
                    nc.createDimension(d, da.sizes[d])
                    if d in da.coords:
                        c = np.asarray(da[d].values)
                        if c.dtype.kind in "USO":
                            cv = nc.createVariable(d, str, (d,))
                            for i, e in enumerate(c):
                                cv[i] = str(e)
                        else:
                            cv = nc.createVariable(d, c.dtype.str.lstrip("<>=|"), (d,))
                            cv[:] = c
                        cv.setncatts({k: _nc_attr(a) for k, a in da[d].attrs.items()})
                var = nc.createVariable(name, "f8", da.dims, fill_value=np.nan)
                var[...] = np.asarray(da.values, dtype=float)
                var.setncatts({k: _nc_attr(a) for k, a in da.attrs.items()
                               if k not in ("_FillValue",)})
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _run_batch(batch: Sequence[tuple[int, str, Any, Mapping[str, Any]]], *, run_fn: RunFunction,
               runs_dir: str, outcomes: Sequence[str], time_series: Sequence[str],
               limit_threads: bool = True) -> list[dict[str, Any]]:
    """Worker side: run a batch, write each run's file, return small summaries."""
    if limit_threads:
        _limit_threads()
    out = []
    for index, h, scenario, values in batch:
        t0, c0 = time.perf_counter(), time.process_time()
        status, error, ovals, series = STATUS_OK, "", {o: math.nan for o in outcomes}, {}
        try:
            ovals, series = _split_result(run_fn(scenario), outcomes, time_series)
        except Exception as exc:
            status, error = STATUS_FAILED, _one_line(exc)
        elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
        _write_run(Path(runs_dir) / f"{h}.nc", index, h, scenario.seed, values, status, error,
                   elapsed, ovals, series)
        out.append({"index": index, "hash": h, "status": status, "error": error,
                    "elapsed_s": elapsed, "cpu_s": cpu, "outcomes": ovals, "pid": os.getpid()})
    t = os.times()
    for s in out:  # CPU of this worker process so far (imports, runs, file writes, ...)
        s["process_cpu_s"] = t.user + t.system
    return out


def batch_size(remaining: int, n_workers: int, mean_run_s: float | None, max_batch: int = 16,
               target_s: float = 1.0, factor: int = 4) -> int:
    """Runs in the next task (adaptive guided scheduling).

    At most ``remaining / (factor · workers)`` so that the batches shrink as the work runs out
    and the tail stays balanced; at most ``target_s / mean run time`` so that a task lasts about
    ``target_s`` (long runs go one by one: per-run progress, no batching needed; short runs are
    grouped to amortise the few-ms dispatch overhead); 1 until a run time is known.
    """
    if mean_run_s is None or remaining <= 0:
        return 1
    guided = math.ceil(remaining / (factor * max(1, n_workers)))
    by_time = int(target_s / max(mean_run_s, 1e-6))
    return max(1, min(max_batch, guided, by_time))


def _default_start_method() -> str:
    """``fork`` (cheapest) unless this process already runs threads (numba's pool, dask,
    ...), in which case forking could deadlock and ``forkserver`` is used."""
    import multiprocessing as mp

    methods = mp.get_all_start_methods()
    busy = threading.active_count() > 1
    par = sys.modules.get("numba.np.ufunc.parallel")
    if par is not None and getattr(par, "_is_initialized", False):
        try:  # GNU OpenMP aborts a forked child; numba's workqueue and TBB layers do not
            busy = busy or sys.modules["numba"].threading_layer() not in ("workqueue", "tbb")
        except Exception:
            busy = True
    if "fork" in methods and sys.platform.startswith("linux") and not busy:
        return "fork"
    return "forkserver" if "forkserver" in methods else "spawn"


class _Done:
    """An already computed result with the interface of a future."""

    def __init__(self, value: Any) -> None:
        self._value = value

    def result(self) -> Any:
        return self._value


class _SerialBackend:
    name = "serial"

    def __init__(self) -> None:
        self.n_workers = 1

    def submit(self, fn: Callable[[Any], Any], batch: Any) -> Any:
        with _single_thread():
            return _Done(fn(batch))

    def wait(self, futures: set[Any]) -> set[Any]:
        return set(futures)

    def close(self, futures: set[Any], cancel: bool = False) -> None:
        pass


class _ProcessBackend:
    name = "processes"

    def __init__(self, workers: int, start_method: str | None = None,
                 preload: Sequence[str] = ()) -> None:
        import concurrent.futures as cf
        import importlib
        import multiprocessing as mp

        method = start_method or _default_start_method()
        ctx = mp.get_context(method)
        # modules every worker needs: imported once here (fork: the workers inherit them) or in
        # the fork server, instead of once per worker
        modules = ["netCDF4", *preload]
        if method == "forkserver":
            ctx.set_forkserver_preload(modules)
        elif method == "fork":
            for m in modules:
                importlib.import_module(m)
        self.start_method = method
        self.n_workers = workers
        self._cf = cf
        self.pool = cf.ProcessPoolExecutor(max_workers=workers, mp_context=ctx,
                                           initializer=_init_worker)
        self.pool.submit(os.getpid).result()  # start the workers now (before any bar thread)

    def submit(self, fn: Callable[[Any], Any], batch: Any) -> Any:
        return self.pool.submit(fn, batch)

    def wait(self, futures: set[Any]) -> set[Any]:
        return self._cf.wait(futures, return_when=self._cf.FIRST_COMPLETED).done

    def close(self, futures: set[Any], cancel: bool = False) -> None:
        if cancel:
            for f in futures:
                f.cancel()
            procs = list(getattr(self.pool, "_processes", {}).values())
            self.pool.shutdown(wait=False, cancel_futures=True)
            for p in procs:  # the pool's own workers, started by this sweep
                with contextlib.suppress(Exception):
                    p.terminate()
            for p in procs:
                with contextlib.suppress(Exception):
                    p.join(5)
        else:
            self.pool.shutdown(wait=True)


class _DaskBackend:
    name = "dask"

    def __init__(self, scheduler: Any = None, n_local: int | None = None) -> None:
        try:
            import distributed
        except ImportError:
            raise DermsimError("the dask backend needs dask.distributed: "
                               "pip install 'dermsim[dask]'") from None
        import logging

        self._distributed = distributed
        self.cluster = None
        self._own_client = True
        if scheduler is not None and not isinstance(scheduler, str):
            self.client = scheduler  # an existing distributed.Client
            self._own_client = False
        elif scheduler is not None:
            try:
                self.client = distributed.Client(scheduler, timeout="20s")
            except (OSError, TimeoutError) as exc:
                raise DermsimError(f"cannot connect to the dask scheduler {scheduler}: "
                                   f"{exc}") from None
        else:
            self.cluster = distributed.LocalCluster(
                n_workers=n_local or os.cpu_count() or 1, threads_per_worker=1, processes=True,
                dashboard_address=None, silence_logs=logging.ERROR, env=dict(THREAD_ENV))
            self.client = distributed.Client(self.cluster)
        workers = self.client.nthreads()
        if not workers:
            self.client.wait_for_workers(1, timeout=60)
            workers = self.client.nthreads()
        self.n_workers = max(1, sum(workers.values()))

    def submit(self, fn: Callable[[Any], Any], batch: Any) -> Any:
        return self.client.submit(fn, batch, pure=False)

    def wait(self, futures: set[Any]) -> set[Any]:
        return set(self._distributed.wait(list(futures), return_when="FIRST_COMPLETED").done)

    def close(self, futures: set[Any], cancel: bool = False) -> None:
        with contextlib.suppress(Exception):
            if cancel and futures:
                self.client.cancel(list(futures))
        if self._own_client:
            with contextlib.suppress(Exception):
                self.client.close()
        if self.cluster is not None:
            with contextlib.suppress(Exception):
                self.cluster.close()


def _n_local_workers(workers: int | None) -> int:
    if workers is not None:
        if workers < 1:
            raise DermsimError(f"--workers {workers}: allowed >= 1")
        return workers
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def _open_backend(backend: str, workers: int | None, scheduler: Any, dask_local: int | None,
                  n_pending: int, start_method: str | None, preload: Sequence[str] = ()) -> Any:
    if backend == "serial":
        return _SerialBackend()
    if backend == "processes":
        n = min(_n_local_workers(workers), max(1, n_pending))
        return _ProcessBackend(n, start_method, preload)
    if backend == "dask":
        return _DaskBackend(scheduler, dask_local or workers)
    raise DermsimError(f"backend = {backend!r}: allowed 'serial', 'processes' or 'dask'")


class _NullBar:
    def update(self, n: int = 1) -> None:
        pass

    def set_postfix_str(self, s: str) -> None:
        pass

    def close(self) -> None:
        pass

    @staticmethod
    def write(s: str) -> None:
        pass


def _progress_bar(enabled: bool, total: int, initial: int, desc: str) -> Any:
    if not enabled:
        return _NullBar()
    from tqdm.auto import tqdm

    return tqdm(total=total, initial=initial, desc=desc, unit="run", dynamic_ncols=True,
                smoothing=0.1, file=sys.stderr)


@dataclass
class SweepReport:
    """What :func:`run_sweep` did (counts also in the result's attrs).

    ``compute_s`` / ``cpu_s`` sum the wall / CPU time of the computed runs measured inside the
    workers; ``summaries`` hold one dict per computed run (``elapsed_s``, ``cpu_s``, ``pid``,
    ``process_cpu_s`` = the worker's CPU so far, ...).
    """

    n_runs: int = 0
    n_reused: int = 0
    n_computed: int = 0
    n_failed: int = 0
    n_invalid: int = 0
    wall_s: float = 0.0
    compute_s: float = 0.0
    cpu_s: float = 0.0
    backend: str = ""
    n_workers: int = 1
    workers_pids: set[int] = field(default_factory=set)
    summaries: list[dict[str, Any]] = field(default_factory=list)

    def worker_cpu_s(self) -> float:
        """Total CPU of the worker processes up to their last batch [s] (not for serial)."""
        last: dict[int, float] = {}
        for s in self.summaries:
            last[s["pid"]] = max(last.get(s["pid"], 0.0), s["process_cpu_s"])
        return sum(last.values())


def run_sweep(
    spec: SweepSpec,
    out_dir: str | Path | None = None,
    *,
    backend: str = "processes",
    workers: int | None = None,
    scheduler: Any = None,
    dask_local: int | None = None,
    resume: bool = True,
    retry_failed: bool = False,
    run_fn: RunFunction | None = None,
    progress: bool = True,
    max_batch: int = 16,
    start_method: str | None = None,
    report: SweepReport | None = None,
) -> xr.Dataset:
    """Run every run of ``spec`` (skipping those already stored) and merge the results.

    Parameters
    ----------
    spec
        A spec from :func:`load_sweep`.
    out_dir
        Folder for ``NAME.nc`` and ``NAME.runs/`` (default: the spec's ``output`` or
        ``out/sweeps``).
    backend
        ``"serial"``, ``"processes"`` (default; ``workers`` processes, default all cores) or
        ``"dask"`` (``scheduler`` address or ``distributed.Client``; otherwise a LocalCluster of
        ``dask_local`` single-threaded worker processes).
    resume
        Reuse stored runs whose input hash matches (default). ``False`` deletes them first.
    retry_failed
        Rerun stored runs that failed (by default a failure is kept, as it would repeat).
    run_fn
        ``run_fn(scenario) -> {outcome: float, series: DataArray}``; default
        :func:`simulate_outcomes`. Must be importable by workers (a module-level function or a
        ``functools.partial`` of one).
    progress
        Show a tqdm progress bar with ETA on stderr.
    max_batch
        Largest number of runs sent to a worker in one task (see :func:`batch_size`).
    start_method
        Process-pool start method (default: fork when safe, else forkserver).
    report
        If given, filled with counts and timings.

    Returns
    -------
    xarray.Dataset
        Outcomes over the parameter dims (factorial) or the ``run`` dim (sampled), with
        ``status``, ``error``, ``run_seed``, ``elapsed_s``; also written atomically to
        ``out_dir/NAME.nc``.
    """
    t_start = time.perf_counter()
    rep = report if report is not None else SweepReport()
    out = Path(out_dir or spec.output or "out/sweeps")
    store = SweepStore(out, spec.name)
    fn = run_fn or functools.partial(simulate_outcomes, time_series=spec.time_series)
    fn_id = _callable_id(fn)
    tasks = spec.tasks()
    hashes = {t.index: run_hash(t.scenario, spec.outcomes, spec.time_series, fn_id)
              for t in tasks if t.scenario is not None}
    if not resume:
        store.clear()
    store.prepare(spec.text)
    done = store.existing()
    if retry_failed:
        done = {h for h in done if store.read_status(h) == STATUS_OK}
    pending, queued = [], set()
    for t in tasks:
        h = hashes.get(t.index)
        if h is not None and h not in done and h not in queued:
            queued.add(h)
            pending.append((t.index, h, t.scenario, t.values))
    valid_hashes = set(hashes.values())
    rep.n_runs = len(tasks)
    rep.n_invalid = sum(t.scenario is None for t in tasks)
    rep.n_reused = len(valid_hashes & done)
    rep.n_computed = 0
    bar = None
    if pending:
        be = _open_backend(backend, workers, scheduler, dask_local, len(pending), start_method,
                           () if run_fn else ("dermsim.pipeline", "dermsim.metrics"))
        rep.backend, rep.n_workers = be.name, be.n_workers
        batch_fn = functools.partial(_run_batch, run_fn=fn,
                                     runs_dir=str(store.runs_dir.resolve()),
                                     outcomes=spec.outcomes, time_series=spec.time_series,
                                     limit_threads=be.name != "serial")
        bar = _progress_bar(progress, len(valid_hashes), len(valid_hashes) - len(pending),
                            spec.name)
        queue = list(reversed(pending))  # pop() from the end = run order
        inflight: set[Any] = set()
        cancel = True
        try:
            while queue or inflight:
                # keep every worker busy with one task running and one queued
                while queue and len(inflight) < 2 * be.n_workers:
                    mean = rep.compute_s / rep.n_computed if rep.n_computed else None
                    size = batch_size(len(queue), be.n_workers, mean, max_batch)
                    inflight.add(be.submit(batch_fn, [queue.pop() for _ in range(size)]))
                for f in be.wait(inflight):
                    inflight.discard(f)
                    summaries = f.result()
                    for s in summaries:
                        rep.n_computed += 1
                        rep.compute_s += s["elapsed_s"]
                        rep.cpu_s += s["cpu_s"]
                        rep.workers_pids.add(s["pid"])
                        rep.summaries.append(s)
                        if s["status"] != STATUS_OK:
                            rep.n_failed += 1
                    bar.update(len(summaries))
                    if rep.n_failed:
                        bar.set_postfix_str(f"{rep.n_failed} failed")
            cancel = False
        except KeyboardInterrupt:
            bar.close()
            n_now = len(store.existing() & valid_hashes)
            print(f"dermsim sweep: interrupted with {n_now}/{len(valid_hashes)} runs stored in "
                  f"{store.runs_dir}; run the same command again to resume", file=sys.stderr)
            raise
        except Exception as exc:
            if type(exc).__name__ == "BrokenProcessPool":
                raise DermsimError(f"a worker process died ({exc}); finished runs are kept in "
                                   f"{store.runs_dir}; rerun to resume") from None
            raise
        finally:
            be.close(inflight, cancel=cancel)
            bar.close()
    missing = valid_hashes - store.existing()
    if missing:
        raise DermsimError(f"{len(missing)} run files are missing from {store.runs_dir} after "
                           "the sweep (do the workers share this folder?)")
    ds = merge_runs(spec, tasks, hashes, store, fn_id)
    rep.n_failed = int((ds["status"].values == STATUS_FAILED).sum())
    rep.wall_s = time.perf_counter() - t_start
    ds.attrs.update({"n_reused": rep.n_reused, "n_computed": rep.n_computed,
                     "backend": rep.backend or "none (all runs reused)"})
    from dermsim.io import write_netcdf

    write_netcdf(ds, store.result_path)
    return ds


def merge_runs(spec: SweepSpec, tasks: Sequence[RunTask], hashes: Mapping[int, str],
               store: SweepStore, fn_id: str = "") -> xr.Dataset:
    """Merge the stored run files of ``tasks`` into the sweep Dataset."""
    from datetime import UTC, datetime

    import numpy as np
    import xarray as xr

    from dermsim import __version__

    n = len(tasks)
    status = np.full(n, STATUS_INVALID, dtype=np.int8)
    error = np.full(n, "", dtype=object)
    elapsed = np.full(n, np.nan)
    seeds = np.array([t.seed for t in tasks], dtype=np.int64)
    run_id = np.full(n, "", dtype=object)
    outs = {o: np.full(n, np.nan) for o in spec.outcomes}
    series: dict[str, list[Any]] = {s: [None] * n for s in spec.time_series}
    cache: dict[str, dict[str, Any]] = {}
    for i, t in enumerate(tasks):
        if t.scenario is None:
            error[i] = t.error
            continue
        h = hashes[t.index]
        if h not in cache:
            cache[h] = store.read(h, series=bool(spec.time_series))
        r = cache[h]
        status[i], error[i], elapsed[i], run_id[i] = r["status"], r["error"], r["elapsed_s"], h
        for o in spec.outcomes:
            outs[o][i] = r["outcomes"].get(o, np.nan)
        for s in spec.time_series:
            series[s][i] = r["series"].get(s)

    if spec.sampled:
        dims: tuple[str, ...] = ("run",)
        shape: tuple[int, ...] = (n,)
        coords: dict[str, Any] = {"run": ("run", np.arange(n), {"long_name": "run number"})}
        for p in spec.parameters:
            coords[p.name] = ("run", np.asarray([t.values[p.key] for t in tasks]),
                              _param_attrs(p))
        u = spec.unit_design()
        coords["parameter"] = ("parameter", [p.key for p in spec.parameters],
                               {"long_name": "dotted scenario key of each swept parameter"})
    else:
        dims = tuple(p.name for p in spec.parameters)
        shape = spec.shape
        coords = {p.name: (p.name, np.asarray(p.levels()), _param_attrs(p))
                  for p in spec.parameters}
        u = None

    def var(a: np.ndarray, attrs: dict[str, Any]) -> tuple:
        return (dims, a.reshape(shape), attrs)

    ds = xr.Dataset(coords=coords)
    for o in spec.outcomes:
        ds[o] = var(outs[o], outcome_attrs(o))
    ds["status"] = var(status, {"long_name": "run status", "flag_values": np.arange(3,
                       dtype=np.int8), "flag_meanings": STATUS_MEANINGS})
    ds["error"] = var(error.astype(str), {"long_name": "error message of a failed or "
                                          "invalid run (empty if ok)"})
    ds["run_seed"] = var(seeds, {"long_name": "seed of the run's random generator"})
    ds["elapsed_s"] = var(elapsed, {"units": "s", "long_name": "wall time of the run"})
    ds["run_id"] = var(run_id.astype(str), {"long_name": "hash of the run's inputs (run file "
                                            "name in NAME.runs/)"})
    if u is not None:
        ds["design_unit"] = (("run", "parameter"), u, {"long_name": "design point in the "
                             "unit hypercube (input of the sensitivity analysis)"})
    for s, arrs in series.items():
        present = [a for a in arrs if a is not None]
        if not present:
            continue
        aligned = list(xr.align(*present, join="outer"))
        tmpl = xr.full_like(aligned[0], np.nan, dtype=float)
        it = iter(aligned)
        full = [next(it) if a is not None else tmpl for a in arrs]
        stacked = np.stack([a.values.astype(float) for a in full])
        inner = aligned[0]
        ds[s] = (dims + inner.dims, stacked.reshape(shape + inner.shape), dict(inner.attrs))
        for d in inner.dims:
            if d in inner.coords:
                ds = ds.assign_coords({d: inner[d]})
    ds.attrs.update({
        "title": f"dermsim sweep: {spec.name}",
        "sweep_name": spec.name,
        "description": spec.description,
        "design": spec.design.kind,
        "design_n": spec.design.n or 0,
        "design_seed": spec.design.seed,
        "design_levels": spec.design.levels,
        "design_second_order": int(spec.design.second_order),
        "parameter_keys": ", ".join(p.key for p in spec.parameters),
        "outcomes": ", ".join(spec.outcomes),
        "sweep_spec_toml": spec.text,
        "base_scenario_toml": spec.base.to_toml(),
        "base_source": spec.base_source,
        "base_seed": spec.seed,
        "seeds": spec.seeds,
        "run_function": fn_id,
        "n_runs": n,
        "n_ok": int((status == STATUS_OK).sum()),
        "n_failed": int((status == STATUS_FAILED).sum()),
        "n_invalid": int((status == STATUS_INVALID).sum()),
        "dermsim_version": __version__,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "disclaimer": "dermsim is a research and teaching tool, not medical advice.",
    })
    return ds


def _param_attrs(p: Parameter) -> dict[str, Any]:
    a = {"parameter_key": p.key, "long_name": p.long_name or p.key, "scale": p.scale}
    if p.unit and p.unit != "-":
        a["units"] = p.unit
    return a


def load_sweep_result(path: str | Path) -> xr.Dataset:
    """Open a merged sweep Dataset written by :func:`run_sweep`."""
    from dermsim.io import open_result

    return open_result(path)


# --------------------------------------------------------------------------------------------
# estimates and tables
# --------------------------------------------------------------------------------------------


def time_one_run(spec: SweepSpec, run_fn: RunFunction | None = None) -> tuple[float, str]:
    """Wall time [s] of the first valid run (single-threaded, in this process; a second call
    if the first was short, to leave out imports and compilation) and a note."""
    fn = run_fn or functools.partial(simulate_outcomes, time_series=spec.time_series)
    task = next((t for t in spec.tasks() if t.scenario is not None), None)
    if task is None:
        raise DermsimError("no valid run in this sweep to time")
    with _single_thread():
        t0 = time.perf_counter()
        try:
            fn(task.scenario)
        except Exception as exc:
            return time.perf_counter() - t0, f"the timed run failed: {_one_line(exc)}"
        first = time.perf_counter() - t0
        if first > 10.0:
            return first, "timed now; includes imports and first-call compilation"
        from dermsim.config import with_overrides

        # another seed, so that the pipeline's per-process stage cache does not answer
        again = with_overrides(task.scenario, {"seed": (task.scenario.seed + 1) % 2**53})
        t0 = time.perf_counter()
        fn(again)
        return time.perf_counter() - t0, (f"timed now, second call; the first took {first:.3g} s "
                                          "with imports and compilation")


def plan_text(spec: SweepSpec, out_dir: str | Path | None = None, *, n_workers: int = 1,
              backend: str = "processes", resume: bool = True, run_fn: RunFunction | None = None,
              time_run: bool = True) -> str:
    """The ``--dry-run`` report: runs, invalid combinations, stored runs, time estimate."""
    out = Path(out_dir or spec.output or "out/sweeps")
    store = SweepStore(out, spec.name)
    fn = run_fn or functools.partial(simulate_outcomes, time_series=spec.time_series)
    tasks = spec.tasks()
    fn_id = _callable_id(fn)
    hashes = {run_hash(t.scenario, spec.outcomes, spec.time_series, fn_id)
              for t in tasks if t.scenario is not None}
    stored = hashes & store.existing() if resume else set()
    invalid = [t for t in tasks if t.scenario is None]
    pending = len(hashes) - len(stored)
    if spec.sampled:
        shape = f"{spec.design.kind} design, n = {spec.design.n}"
    else:
        shape = " x ".join(str(s) for s in spec.shape) + " factorial"
    lines = [f"sweep {spec.name}: {shape} -> {spec.n_runs} runs",
             f"  base: {spec.base_source}"]
    lines += [f"  {p.describe()}" for p in spec.parameters]
    lines.append(f"  outcomes: {', '.join(spec.outcomes)}")
    if invalid:
        lines.append(f"  invalid combinations (recorded, not run): {len(invalid)}, e.g. "
                     f"{invalid[0].error}")
    lines.append(f"  stored runs reused: {len(stored)}; to run: {pending}"
                 + ("" if resume else " (--restart: stored runs are deleted)"))
    if pending and time_run:
        elapsed = store.read_elapsed() if resume else []
        if elapsed:
            import statistics

            t1, note = statistics.median(elapsed), f"median of {len(elapsed)} stored runs"
        else:
            t1, note = time_one_run(spec, run_fn)
        n_w = max(1, min(n_workers, pending))
        total = math.ceil(pending / n_w) * t1
        lines.append(f"  one run: {_fmt_duration(t1)} ({note})")
        lines.append(f"  estimated time: {_fmt_duration(total)} on "
                     f"{_workers_text(backend, n_w)}")
    lines.append(f"  results: {store.result_path}")
    return "\n".join(lines)


def _fmt_duration(s: float) -> str:
    if s < 90:
        return f"{s:.3g} s"
    if s < 5400:
        return f"{s / 60:.1f} min"
    return f"{s / 3600:.1f} h"


def _parse_by(by: str, ascending: bool | None) -> tuple[str, bool]:
    if ":" in by:
        mode, name = by.split(":", 1)
        if mode not in ("min", "max"):
            raise DermsimError(f"--by {by!r}: use OUTCOME, min:OUTCOME or max:OUTCOME")
        return name, mode == "min"
    return by, (by in LOWER_IS_BETTER) if ascending is None else ascending


def best_runs(ds: xr.Dataset, by: str, n: int = 5, *,
              ascending: bool | None = None) -> list[dict[str, Any]]:
    """The ``n`` best successful runs by outcome ``by``.

    Parameters
    ----------
    by
        An outcome name, optionally prefixed ``min:`` or ``max:``; without a prefix, smaller is
        better for :data:`LOWER_IS_BETTER` outcomes and larger for the others.

    Returns
    -------
    list of dict
        Parameter values (by dataset name) and every outcome of each run, best first.
    """
    import numpy as np

    name, asc = _parse_by(by, ascending)
    if name not in ds.data_vars:
        outs = [v for v in ds.data_vars if "long_name" in ds[v].attrs]
        raise DermsimError(f"--by {name!r}: not an outcome of this sweep{_suggest(name, outs)}")
    outcomes = [o for o in str(ds.attrs.get("outcomes", "")).split(", ") if o in ds]
    params = _param_names(ds)
    flat = _flatten_runs(ds, [*outcomes, "status"], params)
    vals = flat[name]
    ok = (flat["status"] == STATUS_OK) & np.isfinite(vals)
    idx = np.flatnonzero(ok)
    order = idx[np.argsort(vals[idx] if asc else -vals[idx], kind="stable")][:n]
    return [{**{p: _py(flat[p][i]) for p in params}, **{o: float(flat[o][i]) for o in outcomes}}
            for i in order]


def _py(v: Any) -> Any:
    return v.item() if hasattr(v, "item") else v


def _param_names(ds: xr.Dataset) -> list[str]:
    return [str(c) for c in ds.coords if "parameter_key" in ds[c].attrs]


def _flatten_runs(ds: xr.Dataset, names: Sequence[str], params: Sequence[str]
                  ) -> dict[str, np.ndarray]:
    import numpy as np

    if "run" in ds.dims:
        return {k: np.asarray(ds[k].values) for k in [*names, *params]}
    dims = list(ds["status"].dims)
    grids = np.meshgrid(*[ds[d].values for d in dims], indexing="ij")
    out = {d: g.ravel() for d, g in zip(dims, grids)}
    for k in names:
        out[k] = ds[k].transpose(*dims).values.ravel()
    return out


def top_table(ds: xr.Dataset, by: str, n: int = 5) -> str:
    """Text table of the ``n`` best runs by ``by`` (see :func:`best_runs`)."""
    name, asc = _parse_by(by, None)
    rows = best_runs(ds, by, n)
    params = _param_names(ds)
    outcomes = [o for o in str(ds.attrs.get("outcomes", "")).split(", ") if o in ds]
    import numpy as np

    shown = [name, *[o for o in outcomes if o != name and np.isfinite(ds[o].values).any()][:3]]
    head = ["#", *params, *shown]
    body = [[str(i + 1), *(_fmt(r[p]) for p in params), *(_fmt(r[o]) for o in shown)]
            for i, r in enumerate(rows)]
    widths = [max(len(h), *(len(b[j]) for b in body)) if body else len(h)
              for j, h in enumerate(head)]
    title = (f"best {len(rows)} runs by {name} ({'lowest' if asc else 'highest'} first)"
             if rows else f"no successful run with a finite {name}")
    lines = [title, "  " + "  ".join(h.rjust(w) for h, w in zip(head, widths))]
    lines += ["  " + "  ".join(c.rjust(w) for c, w in zip(b, widths)) for b in body]
    return "\n".join(lines)


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return "nan" if math.isnan(v) else f"{v:.4g}"
    return str(v)


def failure_summary(ds: xr.Dataset, limit: int = 3) -> list[str]:
    """The most common error messages of failed/invalid runs, with counts."""
    from collections import Counter

    import numpy as np

    st = ds["status"].values.ravel()
    errs = ds["error"].values.ravel()
    c = Counter(str(e) for e, s in zip(errs, st) if s != STATUS_OK)
    lines = [f"{k} ({v} run{'s' if v > 1 else ''})" for k, v in c.most_common(limit)]
    extra = int(np.sum(st != STATUS_OK)) - sum(v for _, v in c.most_common(limit))
    if extra > 0:
        lines.append(f"... and {extra} more")
    return lines


# --------------------------------------------------------------------------------------------
# figures
# --------------------------------------------------------------------------------------------


def _plt() -> Any:
    # no matplotlib.use(): pyplot falls back to Agg by itself where there is no display, and
    # forcing a backend here would break notebooks' inline figures
    import matplotlib.pyplot as plt

    return plt


def _dim(ds: xr.Dataset, ref: str) -> str:
    """Dataset name of a parameter given its name or dotted key."""
    if ref in ds.coords and "parameter_key" in ds[ref].attrs:
        return ref
    for c in _param_names(ds):
        if ds[c].attrs.get("parameter_key") == ref:
            return c
    raise DermsimError(f"{ref!r} is not a swept parameter (parameters: "
                       f"{', '.join(_param_names(ds))})")


def _label(ds: xr.Dataset, name: str) -> str:
    a = ds[name].attrs
    unit = a.get("units", "")
    return f"{a.get('parameter_key', name)}" + (f" [{unit}]" if unit and unit != "1" else "")


def _reduce(da: xr.DataArray, ds: xr.Dataset, sel: Mapping[str, Any] | None,
            keep: Sequence[str], how: str) -> tuple[xr.DataArray, str]:
    import numpy as np

    if sel:
        da = da.sel({_dim(ds, k): v for k, v in sel.items()})
    single = [d for d in da.dims if d not in keep and da.sizes[d] == 1]
    if single:
        da = da.isel({d: 0 for d in single})
    extra = [d for d in da.dims if d not in keep]
    note = ""
    if extra:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore", RuntimeWarning)
            da = getattr(da, how)(extra, skipna=True)
        note = f"{how} over {', '.join(map(str, extra))}"
    return da, note


def _positions(values: np.ndarray) -> tuple[np.ndarray, list[str] | None]:
    """Plot positions of parameter values: the numbers, or category indices and labels."""
    import numpy as np

    values = np.asarray(values)
    if values.dtype.kind in "UOSb":
        cats, idx = np.unique(values, return_inverse=True)
        return idx.astype(float), [str(c) for c in cats]
    return values, None


def _ticks(values: np.ndarray) -> list[str]:
    return [_fmt(float(v)) if isinstance(v, (float, int)) and not isinstance(v, bool)
            else str(v) for v in (x.item() if hasattr(x, "item") else x for x in values)]


def plot_heatmap(ds: xr.Dataset, outcomes: str | Sequence[str], x: str, y: str, *,
                 sel: Mapping[str, Any] | None = None, reduce: str = "mean",
                 cmap: str = "viridis", annotate: bool | None = None) -> Any:
    """Outcome(s) over two swept parameters: one heatmap panel per outcome.

    Parameters
    ----------
    ds
        A sweep Dataset (:func:`run_sweep`).
    outcomes
        Outcome name or names (one panel each).
    x, y
        Parameters (dataset name or dotted key) on the horizontal / vertical axis.
    sel
        Fixed values of other parameters; any remaining dims are reduced by ``reduce``
        (``"mean"``, ``"max"`` or ``"min"``). For sampled designs the points are scattered
        and coloured by the outcome.
    annotate
        Write the value in each cell (default: when there are ≤ 100 cells).

    Returns
    -------
    matplotlib.figure.Figure
    """
    import numpy as np

    plt = _plt()
    outs = [outcomes] if isinstance(outcomes, str) else list(outcomes)
    xn, yn = _dim(ds, x), _dim(ds, y)
    ncol = 2 if len(outs) == 4 else min(3, len(outs))
    nrow = math.ceil(len(outs) / ncol)
    fig, axes = plt.subplots(nrow, ncol, figsize=(4.6 * ncol + 0.4, 3.9 * nrow), squeeze=False,
                             layout="constrained")
    for ax in axes.ravel()[len(outs):]:
        ax.set_visible(False)
    for ax, o in zip(axes.ravel(), outs):
        attrs = ds[o].attrs
        unit = attrs.get("units", "")
        ax.set_title(attrs.get("long_name", o), fontsize=9)
        if "run" in ds.dims:
            xs, xlab = _positions(ds[xn].values)
            ys, ylab = _positions(ds[yn].values)
            sc = ax.scatter(xs, ys, c=ds[o].values, cmap=cmap, s=28, edgecolors="0.3",
                            linewidths=0.4)
            if xlab is not None:
                ax.set_xticks(range(len(xlab)), xlab)
            if ylab is not None:
                ax.set_yticks(range(len(ylab)), ylab)
            ax.set_xlabel(_label(ds, xn))
            ax.set_ylabel(_label(ds, yn))
            fig.colorbar(sc, ax=ax, label=f"{o} [{unit}]")
            continue
        da, note = _reduce(ds[o], ds, sel, (xn, yn), reduce)
        da = da.transpose(yn, xn)
        z = np.ma.masked_invalid(da.values.astype(float))
        ny, nx = z.shape
        ax.set_facecolor("0.85")
        if z.count():
            m = ax.pcolormesh(np.arange(nx + 1) - 0.5, np.arange(ny + 1) - 0.5, z, cmap=cmap,
                              shading="flat")
            fig.colorbar(m, ax=ax, label=f"{o} [{unit}]")
        else:
            ax.text(0.5, 0.5, "no data\n(stage not run or every run failed)", ha="center",
                    va="center", transform=ax.transAxes, fontsize=8, color="0.3")
        ax.set_xlim(-0.5, nx - 0.5)
        ax.set_ylim(-0.5, ny - 0.5)
        ax.set_xticks(range(nx), _ticks(da[xn].values), fontsize=8,
                      rotation=30 if da[xn].dtype.kind in "UO" else 0)
        ax.set_yticks(range(ny), _ticks(da[yn].values), fontsize=8)
        ax.set_xlabel(_label(ds, xn))
        ax.set_ylabel(_label(ds, yn))
        if annotate or (annotate is None and nx * ny <= 100 and z.count()):
            lo, hi = float(z.min()), float(z.max())
            for i in range(ny):
                for j in range(nx):
                    v = z[i, j]
                    if np.ma.is_masked(v):
                        ax.text(j, i, "n/a", ha="center", va="center", fontsize=7, color="0.4")
                        continue
                    light = hi > lo and (v - lo) / (hi - lo) < 0.55
                    ax.text(j, i, f"{v:.3g}", ha="center", va="center", fontsize=7,
                            color="w" if light else "k")
        if note:
            ax.set_title(f"{attrs.get('long_name', o)}\n({note})", fontsize=9)
    fig.suptitle(f"sweep {ds.attrs.get('sweep_name', '')}", fontsize=10)
    return fig


def plot_lines(ds: xr.Dataset, outcomes: str | Sequence[str], x: str, *, hue: str | None = None,
               sel: Mapping[str, Any] | None = None, reduce: str = "mean") -> Any:
    """Outcome(s) against one swept parameter, one line per value of ``hue``; one panel per
    outcome. Sampled designs are drawn as scatter plots (coloured by ``hue`` if given).

    Returns
    -------
    matplotlib.figure.Figure
    """
    import numpy as np

    plt = _plt()
    outs = [outcomes] if isinstance(outcomes, str) else list(outcomes)
    xn = _dim(ds, x)
    hn = _dim(ds, hue) if hue else None
    ncol = 2 if len(outs) == 4 else min(3, len(outs))
    nrow = math.ceil(len(outs) / ncol)
    fig, axes = plt.subplots(nrow, ncol, figsize=(4.4 * ncol + 0.6, 3.5 * nrow), squeeze=False,
                             layout="constrained")
    for ax in axes.ravel()[len(outs):]:
        ax.set_visible(False)
    for ax, o in zip(axes.ravel(), outs):
        attrs = ds[o].attrs
        ax.set_ylabel(f"{o} [{attrs.get('units', '')}]")
        ax.set_xlabel(_label(ds, xn))
        ax.set_title(attrs.get("long_name", o), fontsize=9)
        xv = ds[xn].values
        categorical = xv.dtype.kind in "UOSb"
        if "run" in ds.dims:
            xs, xlab = _positions(xv)
            if xlab is not None:
                ax.set_xticks(range(len(xlab)), xlab)
            if hn is None:
                ax.scatter(xs, ds[o].values, s=16)
                continue
            hv = ds[hn].values
            if hv.dtype.kind in "UOSb":
                for cat in np.unique(hv):
                    m = hv == cat
                    ax.scatter(xs[m], ds[o].values[m], s=16, label=str(cat))
                ax.legend(title=_label(ds, hn), fontsize=7, title_fontsize=7)
            else:
                sc = ax.scatter(xs, ds[o].values, c=hv, s=16, cmap="viridis")
                fig.colorbar(sc, ax=ax, label=_label(ds, hn))
            continue
        keep = (xn,) if hn is None else (xn, hn)
        da, note = _reduce(ds[o], ds, sel, keep, reduce)
        xs = np.arange(len(da[xn])) if categorical else da[xn].values
        if hn is None:
            ax.plot(xs, da.values, "o-", ms=4)
        else:
            for hv in da[hn].values:
                ax.plot(xs, da.sel({hn: hv}).values, "o-", ms=4, label=f"{_ticks([hv])[0]}")
            ax.legend(title=_label(ds, hn), fontsize=7, title_fontsize=7)
        if categorical:
            ax.set_xticks(list(xs), _ticks(da[xn].values), rotation=30)
        elif ds[xn].attrs.get("scale") == "log":
            ax.set_xscale("log")
        if note:
            ax.set_title(f"{attrs.get('long_name', o)}\n({note})", fontsize=9)
        ax.grid(alpha=0.3)
    fig.suptitle(f"sweep {ds.attrs.get('sweep_name', '')}", fontsize=10)
    return fig


def _finite_outcomes(ds: xr.Dataset, outcomes: Sequence[str]) -> list[str]:
    import numpy as np

    return [o for o in outcomes if o in ds and np.isfinite(ds[o].values).any()]


def make_figures(ds: xr.Dataset, spec: SweepSpec, out_dir: str | Path) -> list[Path]:
    """Draw the spec's ``[[figures]]`` (or default figures) and save them as PNG."""
    from dermsim.io import save_figure

    plt = _plt()
    figs = list(spec.figures)
    if not figs:
        outs = tuple(_finite_outcomes(ds, spec.outcomes)[:4])
        ps = spec.parameters
        if not outs:
            return []
        if spec.design.kind in SENSITIVITY_KINDS:
            figs = [FigureSpec("sensitivity", outs)]
        elif not spec.sampled and len(ps) >= 2:
            figs = [FigureSpec("heatmap", outs, ps[0].key, ps[1].key)]
        else:
            figs = [FigureSpec("lines", outs[:1], p.key) for p in ps[:4]] if spec.sampled \
                else [FigureSpec("lines", outs, ps[0].key)]
    written = []
    for i, f in enumerate(figs):
        if f.kind == "heatmap":
            fig = plot_heatmap(ds, f.outcomes, f.x, f.y, sel=f.sel)  # type: ignore[arg-type]
        elif f.kind == "lines":
            fig = plot_lines(ds, f.outcomes, f.x, hue=f.hue, sel=f.sel)  # type: ignore[arg-type]
        else:
            from dermsim.sensitivity import plot_sensitivity

            outs = _finite_outcomes(ds, f.outcomes)
            if not outs:
                continue
            fig = plot_sensitivity(ds, outs)
        name = f.file or f"{spec.name}_{f.kind}{'' if len(figs) == 1 else f'_{i + 1}'}.png"
        written.append(save_figure(fig, Path(out_dir) / name))
        plt.close(fig)
    return written


# --------------------------------------------------------------------------------------------
# command line
# --------------------------------------------------------------------------------------------

_SWEEP_DESCRIPTION = """\
Run many scenarios from a sweep spec (TOML: base scenario, [parameters] as lists or
{low, high, scale} ranges, optional [design] kind = lhs|sobol|random|morris|saltelli) and
merge them into DIR/NAME.nc with a dim per parameter (factorial) or a run dim (sampled).
Every run is stored in DIR/NAME.runs/ as it finishes, so an interrupted sweep resumes when
the same command is run again. See docs/sweeps.md."""


def run_study(spec_path: str | Path, by: str, argv: Sequence[str],
              summary: Callable[[Path], None] | None = None) -> int:
    """Run a study script's sweep through the CLI (``dermsim sweep SPEC --by BY *argv``) and,
    when it finished, call ``summary(result_path)``; returns the CLI's exit status. Used by
    the scripts in ``experiments/``."""
    from dermsim.cli import main as dermsim_main

    argv = list(argv)
    code = dermsim_main(["sweep", str(spec_path), "--by", by, *argv])
    spec = load_sweep(spec_path)
    out = next((argv[i + 1] for i, a in enumerate(argv[:-1]) if a in ("-o", "--output")),
               spec.output)
    result = SweepStore(out, spec.name).result_path
    if summary is not None and code == 0 and result.exists() and "--dry-run" not in argv:
        summary(result)
    return code


def add_cli(subparsers: Any, epilog: str) -> None:
    """Register the ``sweep`` subcommand (called by :mod:`dermsim.cli`)."""
    p = subparsers.add_parser("sweep", help="run a parameter sweep (resumable, parallel)",
                              description=_SWEEP_DESCRIPTION, epilog=epilog,
                              formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("spec", metavar="SWEEP.toml", help="sweep spec (see configs/sweeps/)")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--scheduler", metavar="tcp://HOST:PORT",
                   help="run on a dask.distributed cluster (workers must see the output folder)")
    g.add_argument("--dask-local", type=int, metavar="N",
                   help="run on a local dask cluster of N single-threaded worker processes")
    g.add_argument("--serial", action="store_true", help="run one at a time in this process")
    p.add_argument("--workers", type=int, metavar="N",
                   help="local worker processes (default: all cores)")
    p.add_argument("--dry-run", action="store_true",
                   help="print the number of runs and an estimated time, run nothing")
    r = p.add_mutually_exclusive_group()
    r.add_argument("--resume", dest="resume", action="store_true", default=True,
                   help="reuse stored runs of an earlier, interrupted sweep (default)")
    r.add_argument("--restart", dest="resume", action="store_false",
                   help="delete stored runs and start again")
    p.add_argument("--retry-failed", action="store_true", help="rerun stored runs that failed")
    p.add_argument("-o", "--output", metavar="DIR",
                   help="output folder (default: the spec's output, else out/sweeps)")
    p.add_argument("--top", type=int, default=5, metavar="N",
                   help="show the N best runs (default 5; 0: none)")
    p.add_argument("--by", metavar="OUTCOME",
                   help="rank runs by this outcome (min:NAME / max:NAME to force the "
                        "direction; default: the first outcome with values)")
    p.add_argument("--no-figure", action="store_true", help="do not draw figures")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar or summary")
    p.set_defaults(func=cmd_sweep)


def _workers_text(backend: str, n: int) -> str:
    if backend == "serial":
        return "1 process (serial)"
    if backend == "dask":
        return f"{n} dask worker{'s' if n > 1 else ''}"
    return f"{n} worker process{'es' if n > 1 else ''}"


def cmd_sweep(args: argparse.Namespace) -> int:
    """Handler of ``dermsim sweep``."""
    spec = load_sweep(args.spec)
    if args.by:
        name, _ = _parse_by(args.by, None)
        if name not in spec.outcomes:
            raise DermsimError(f"--by {name!r}: not an outcome of this sweep"
                               f"{_suggest(name, spec.outcomes)}")
    if args.workers is not None and (args.scheduler or args.serial):
        raise DermsimError("--workers applies to local processes (or --dask-local); not with "
                           "--scheduler or --serial")
    if args.scheduler or args.dask_local:
        backend = "dask"
    elif args.serial:
        backend = "serial"
    else:
        backend = "processes"
    if args.dask_local is not None and args.dask_local < 1:
        raise DermsimError(f"--dask-local {args.dask_local}: allowed >= 1")
    out_dir = Path(args.output or spec.output or "out/sweeps")
    if args.dry_run:
        n_w = (1 if backend == "serial" else args.dask_local if args.dask_local
               else _n_local_workers(args.workers) if not args.scheduler else 1)
        print(plan_text(spec, out_dir, n_workers=n_w, backend=backend, resume=args.resume))
        if args.scheduler:
            print("  (estimate for one dask worker; divide by the cluster's worker count)")
        return 0
    rep = SweepReport()
    ds = run_sweep(spec, out_dir, backend=backend, workers=args.workers,
                   scheduler=args.scheduler, dask_local=args.dask_local, resume=args.resume,
                   retry_failed=args.retry_failed, progress=not args.quiet, report=rep)
    figures = [] if args.no_figure else make_figures(ds, spec, out_dir)
    if not args.quiet:
        n_ok = int(ds.attrs["n_ok"])
        print(f"dermsim sweep {spec.name}: {ds.attrs['n_runs']} runs ({n_ok} ok, "
              f"{ds.attrs['n_failed']} failed, {ds.attrs['n_invalid']} invalid; "
              f"{rep.n_reused} reused, {rep.n_computed} computed"
              + (f" on {_workers_text(rep.backend, rep.n_workers)}" if rep.n_computed else "")
              + f") in {_fmt_duration(rep.wall_s)}")
        for line in failure_summary(ds):
            print(f"  not ok: {line}")
        by = args.by or next(iter(_finite_outcomes(ds, spec.outcomes)), None)
        if args.top > 0 and by is not None:
            print(top_table(ds, by, args.top))
        if spec.design.kind in SENSITIVITY_KINDS and by is not None:
            from dermsim.sensitivity import indices_table

            with contextlib.suppress(DermsimError):
                print(indices_table(ds, _parse_by(by, None)[0]))
        print(f"  wrote {SweepStore(out_dir, spec.name).result_path}")
        for f in figures:
            print(f"  wrote {f}")
    return 0 if int(ds.attrs["n_ok"]) > 0 else 1
