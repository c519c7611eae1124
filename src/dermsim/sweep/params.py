"""Parsing the ``[parameters]`` of a sweep spec: lists of values and ``{low, high}`` ranges,
each value checked against the scenario's parameter cards."""

from __future__ import annotations

import contextlib
import math
from collections.abc import Mapping, Sequence
from typing import Any

from dermsim.errors import DermsimError
from dermsim.sweep.spec import MAX_RUNS, Parameter, suggest


def flatten(d: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in d.items():
        key = f"{prefix}.{k}" if prefix else str(k)
        if isinstance(v, Mapping) and v:
            out.update(flatten(v, key))
        else:
            out[key] = v
    return out


def valid_keys(base: Any, stages: Sequence[str] = ("signalling", "remodelling", "rf")
                ) -> dict[str, Any]:
    """Every dotted key a scenario accepts, with the base value (``None`` if unset).

    Stage sections are imported only for the ``stages`` named (they load heavy modules)."""
    import dataclasses

    from dermsim.config import plain
    from dermsim.parameters import registered_cards
    from dermsim.tissue import LAYER_NAMES

    keys: dict[str, Any] = {c.name: None for c in registered_cards() if "." in c.name}
    keys.update({"grid.depth_um": None, "device.preset": None, "seed": base.seed})
    keys.update({f"skin.thickness_um.{n}": None for n in LAYER_NAMES})
    for stage in stages:
        with contextlib.suppress(Exception):
            cfg = base.stage(stage)
            if cfg is not None:
                keys.update(flatten(plain(dataclasses.asdict(cfg)), stage))
    keys.update(flatten(base.to_dict()))
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


def is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def check_value(base: Any, key: str, value: Any, where: str, errs: list[str]) -> bool:
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


#: Long names of scenario keys that have no parameter card.
_NAMES = {"skin.site": "body site", "device.preset": "device preset",
          "device.kind": "device kind"}


def _describe(key: str, base_value: Any, cards: Mapping[str, Any]) -> tuple[bool, str, str]:
    """Whether ``key`` is a whole number, its unit and its long name (from its card)."""
    if key == "seed":
        return True, "1", "seed of the run's random generator"
    c = cards.get(key)
    if c is not None:
        return bool(c.integer), c.unit, c.description
    name = _NAMES.get(key, key.rsplit(".", 1)[-1].replace("_", " "))
    return isinstance(base_value, int) and not isinstance(base_value, bool), "", name


def parse_parameter(key: str, spec: Any, base: Any, valid: dict[str, Any] | None,
                    cards: Mapping[str, Any], errs: list[str]) -> Parameter | None:
    """One ``[parameters]`` entry: a list of values or a range table. Problems are appended
    to ``errs`` (one line each) and ``None`` is returned."""
    where = f"parameters.{key}"
    if valid is not None and key not in valid:
        errs.append(f"{where}: unknown scenario key{suggest(key, list(valid))}")
        return None
    integer, unit, long_name = _describe(key, valid.get(key) if valid else None, cards)
    n_err = len(errs)
    if isinstance(spec, Mapping) and "values" in spec:
        extra = sorted(set(spec) - {"values"})
        if extra:
            errs.append(f"{where}.{extra[0]}: not allowed with values")
        spec = spec["values"]
    if isinstance(spec, list):
        values = _parse_values(where, key, spec, base, integer, errs)
        if values is None or len(errs) > n_err:
            return None
        return Parameter(key, key, values=values, integer=integer, unit=unit,
                         long_name=long_name)
    if isinstance(spec, Mapping):
        return _parse_range(where, key, spec, base, integer, unit, long_name, errs)
    errs.append(f"{where} = {spec!r}: allowed a list of values or a range table "
                "{low, high, scale, n} (fixed values belong in the base scenario)")
    return None


def _parse_values(where: str, key: str, spec: list[Any], base: Any, integer: bool,
                  errs: list[str]) -> tuple[Any, ...] | None:
    """A list of factorial levels / choices: one type, no NaN, no duplicates, each value valid
    in the base scenario."""
    n_err = len(errs)
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
            check_value(base, key, v, f"{where}[{i}]", errs)
    return None if len(errs) > n_err else tuple(spec)


def _range_bounds(where: str, spec: Mapping[str, Any], errs: list[str]) -> None:
    """Keys, types and finiteness of a range table."""
    for k in spec:
        if k not in _RANGE_KEYS:
            errs.append(f"{where}.{k}: unknown key{suggest(k, _RANGE_KEYS)} "
                        "(allowed: low, high, scale, n)")
    for nm in ("low", "high"):
        v = spec.get(nm)
        if v is None:
            errs.append(f"{where}.{nm}: missing (a range needs low and high)")
        elif not is_number(v) or math.isnan(v) or math.isinf(v):
            errs.append(f"{where}.{nm} = {v!r}: allowed a finite number")
    scale = spec.get("scale", "linear")
    if scale not in ("linear", "log"):
        errs.append(f"{where}.scale = {scale!r}: allowed 'linear' or 'log'"
                    f"{suggest(str(scale), ['linear', 'log'])}")
    n = spec.get("n")
    if n is not None and (not isinstance(n, int) or isinstance(n, bool)
                          or not 2 <= n <= MAX_RUNS):
        errs.append(f"{where}.n = {n!r}: allowed a whole number in [2, {MAX_RUNS}]")


def _parse_range(where: str, key: str, spec: Mapping[str, Any], base: Any, integer: bool,
                 unit: str, long_name: str, errs: list[str]) -> Parameter | None:
    """A ``{low, high, scale, n}`` range: ordered, positive on a log scale, both ends valid in
    the base scenario, ``n`` distinct whole numbers for integer fields."""
    n_err = len(errs)
    _range_bounds(where, spec, errs)
    if len(errs) > n_err:
        return None
    lo, hi, scale, n = spec["low"], spec["high"], spec.get("scale", "linear"), spec.get("n")
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
            check_value(base, key, int(v) if integer else float(v), f"{where}.{nm}", errs)
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


def parse_parameters(table: Any, base: Any, errs: list[str]) -> list[Parameter]:
    """The ``[parameters]`` table (dotted keys or nested tables) → parameters in order."""
    from dermsim.parameters import registered_cards

    if not isinstance(table, Mapping) or not table:
        errs.append("parameters: missing (a table with at least one parameter, e.g. "
                    "\"protocol.sessions\" = [2, 4, 6])")
        return []
    flat = _flatten_parameters(table)
    stages = sorted({k.split(".", 1)[0] for k, _ in flat} & {"signalling", "remodelling", "rf"})
    valid = valid_keys(base, stages) if base is not None else None
    cards = {c.name: c for c in registered_cards()}
    params: list[Parameter] = []
    seen: set[str] = set()
    for key, spec in flat:
        if key in seen:
            errs.append(f"parameters.{key}: given twice")
            continue
        seen.add(key)
        p = parse_parameter(key, spec, base, valid, cards, errs)
        if p is not None:
            params.append(p)
    return params


def dataset_names(params: Sequence[Parameter], taken: set[str]) -> list[Parameter]:
    """The parameters with their Dataset names: the last part of the key, or the whole key
    with ``_`` for ``.`` where that is ambiguous or taken."""
    short = [p.key.rsplit(".", 1)[-1] for p in params]
    return [Parameter(p.key, s if short.count(s) == 1 and s not in taken
                      else p.key.replace(".", "_"), p.values, p.low, p.high, p.scale, p.n,
                      p.integer, p.unit, p.long_name)
            for p, s in zip(params, short)]
