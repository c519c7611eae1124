"""What a sweep is: the validated spec (parameters, design, figures) and its runs."""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from dermsim.errors import DermsimError
from dermsim.sweep.designs import factorial_points, unit_design

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np


#: Design kinds. ``factorial``: full product of the parameter levels; the others sample the
#: unit hypercube (scipy.stats.qmc Latin hypercube / scrambled Sobol', plain random, or the
#: SALib designs for Morris elementary effects and Sobol' indices).
DESIGN_KINDS = ("factorial", "lhs", "sobol", "random", "morris", "saltelli")


SENSITIVITY_KINDS = ("morris", "saltelli")


STATUS_OK, STATUS_FAILED, STATUS_INVALID = 0, 1, 2


STATUS_MEANINGS = "ok failed invalid"


#: Names a sweep Dataset uses itself (not available to parameters or time series).
RESERVED_NAMES = frozenset({"run", "run_seed", "status", "error", "elapsed_s", "run_id",
                            "parameter", "design_unit", "name"})


MAX_SEED = 2**63 - 1

#: Largest number of runs a sweep may have (checked from the spec before anything is built).
MAX_RUNS = 100_000


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


def suggest(name: str, valid: Sequence[str] | set[str]) -> str:
    import difflib

    close = difflib.get_close_matches(str(name), sorted(valid), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


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

    @property
    def n_levels(self) -> int:
        """Number of factorial levels (without building them); 0 for a range without ``n``."""
        return len(self.values) if self.values is not None else int(self.n or 0)

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
    objective: str = ""

    @property
    def sampled(self) -> bool:
        return self.design.sampled

    @property
    def shape(self) -> tuple[int, ...]:
        """Dataset shape: one dim per parameter (factorial) or ``(n_runs,)``."""
        if not self.sampled:
            return tuple(p.n_levels for p in self.parameters)
        return (self.n_runs,)

    @property
    def n_runs(self) -> int:
        if not self.sampled:
            return math.prod(p.n_levels for p in self.parameters)
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
        return unit_design(self.design.kind, int(self.design.n or 0), len(self.parameters),
                           self.design.seed, levels=self.design.levels,
                           second_order=self.design.second_order)

    def points(self) -> list[dict[str, Any]]:
        """Parameter values of every run, in run order (C order over the factorial dims)."""
        if not self.sampled:
            return factorial_points({p.key: p.levels() for p in self.parameters})
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

