"""Reading a sweep spec (TOML file or dict) into a validated :class:`SweepSpec`."""

from __future__ import annotations

import contextlib
import math
import os
import tomllib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from dermsim.errors import DermsimError
from dermsim.sweep.outcomes import better
from dermsim.sweep.params import check_value, dataset_names, flatten, parse_parameters, valid_keys
from dermsim.sweep.spec import (
    DESIGN_KINDS,
    MAX_RUNS,
    MAX_SEED,
    RESERVED_NAMES,
    SENSITIVITY_KINDS,
    Design,
    FigureSpec,
    Parameter,
    SweepSpec,
    SweepSpecError,
    suggest,
)

_TOP_KEYS = ("name", "description", "base", "fixed", "parameters", "design", "outcomes",
             "objective",
             "time_series", "seed", "seeds", "output", "figures")


def _parse_design(table: Any, params: list[Parameter], seed: int, errs: list[str]) -> Design:
    if table is None:
        table = {}
    if not isinstance(table, Mapping):
        errs.append(f"design = {table!r}: allowed a table")
        return Design(seed=seed)
    allowed = ("kind", "n", "seed", "levels", "second_order")
    for k in table:
        if k not in allowed:
            errs.append(f"design.{k}: unknown key{suggest(k, allowed)}")
    kind = table.get("kind", "factorial")
    if kind not in DESIGN_KINDS:
        errs.append(f"design.kind = {kind!r}: allowed one of {list(DESIGN_KINDS)}"
                    f"{suggest(str(kind), DESIGN_KINDS)}")
        return Design(seed=seed)
    n = table.get("n")
    dseed = table.get("seed", seed)
    if not isinstance(dseed, int) or isinstance(dseed, bool) or not 0 <= dseed <= MAX_SEED:
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
    if not isinstance(n, int) or isinstance(n, bool) or not 1 <= n <= MAX_RUNS:
        errs.append(f"design.n = {n!r}: allowed a whole number in [1, {MAX_RUNS}]")
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
                errs.append(f"{where}.{k}: unknown key{suggest(k, allowed)}")
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
                            f"{suggest(str(o), spec_outcomes)}")
        for k in ("x", "y", "hue"):
            if k in f and f[k] not in refs:
                errs.append(f"{where}.{k} = {f[k]!r}: allowed a swept parameter"
                            f"{suggest(str(f[k]), sorted(refs))}")
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
        text, table = _read_toml(path)
        origin, default_name = str(path), path.stem
        bdir = Path(base_dir) if base_dir is not None else path.parent
    return _parse_spec(table, text, bdir, default_name, origin)


def _read_toml(path: Path) -> tuple[str, dict[str, Any]]:
    """Text and table of a sweep TOML; one clear line for a missing file, a folder, bytes
    that are not UTF-8 text, invalid or absurdly nested TOML."""
    if path.is_dir():
        raise DermsimError(f"sweep file {path}: is a folder; give a sweep spec TOML file")
    if not path.is_file():
        raise DermsimError(f"sweep file not found: {path}")
    data = path.read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise DermsimError(f"sweep file {path}: byte 0x{data[exc.start]:02x} on line {line} "
                           f"(position {exc.start}) is not UTF-8 text; a sweep spec is a TOML "
                           "text file (save it as UTF-8)") from None
    if "\x00" in text:
        raise DermsimError(f"sweep file {path}: contains NUL bytes (a binary file?); a sweep "
                           "spec is a TOML text file")
    try:
        return text, tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise DermsimError(f"{path}: invalid TOML: {exc}") from None
    except RecursionError:
        raise DermsimError(f"{path}: invalid TOML: arrays or tables nested too deeply") from None


def _parse_spec(table: dict[str, Any], text: str, base_dir: Path, default_name: str,
                origin: str) -> SweepSpec:
    """Validate every part of the spec table; raise one :class:`SweepSpecError` listing every
    problem."""
    from dermsim.metrics import OUTCOME_NAMES

    errs: list[str] = []
    for k in table:
        if k not in _TOP_KEYS:
            errs.append(f"{k}: unknown key{suggest(k, _TOP_KEYS)}")
    name = _parse_name(table.get("name", default_name), default_name, errs)
    description = table.get("description", "")
    if not isinstance(description, str):
        errs.append(f"description = {description!r}: allowed a string")
        description = ""
    base, base_source = _parse_base(table.get("base"), base_dir, errs)
    base = _apply_fixed(table.get("fixed", {}), base, errs)
    seed, seeds = _parse_seeds(table, base, errs)
    params = parse_parameters(table.get("parameters"), base, errs)
    design = _parse_design(table.get("design"), params, seed, errs)
    outcomes = _parse_outcomes(table.get("outcomes", list(OUTCOME_NAMES)), OUTCOME_NAMES, errs)
    series = _parse_series(table.get("time_series", []), outcomes, errs)
    output = _parse_output(table.get("output"), base_dir, errs)
    objective = _parse_objective(table.get("objective"), outcomes, errs)
    named = dataset_names(params, set(outcomes) | set(series) | RESERVED_NAMES)
    figures = _parse_figures(table.get("figures"), tuple(outcomes), named, design, errs)
    if not errs:
        _check_run_count(named, design, errs)
    if errs:
        raise SweepSpecError(errs, origin)
    if not text:
        import tomli_w

        with contextlib.suppress(Exception):
            text = tomli_w.dumps(table)
    spec = SweepSpec(name=name, base=base, parameters=tuple(named), design=design,
                     outcomes=tuple(outcomes), time_series=tuple(series), seed=int(seed),
                     seeds=seeds, output=output, figures=figures, description=description,
                     base_source=base_source, text=text, source=origin, objective=objective)
    if spec.n_runs < 1:
        raise SweepSpecError(["the design has no runs"], origin)
    return spec


def _parse_objective(value: Any, outcomes: Sequence[str], errs: list[str]) -> str:
    """``objective = "OUTCOME"`` (better direction from the outcome) or ``"min:OUTCOME"`` /
    ``"max:OUTCOME"``: what the best-runs table ranks by."""
    if value is None:
        return ""
    name = value.split(":", 1)[1] if isinstance(value, str) and value[:4] in ("min:", "max:") \
        else value
    if not isinstance(value, str) or name not in outcomes:
        errs.append(f"objective = {value!r}: allowed one of the sweep's outcomes (optionally "
                    f"min:NAME or max:NAME){suggest(str(name), outcomes)}")
        return ""
    if name == value and better(name) is None:
        errs.append(f"objective = {value!r}: neither direction is better for {name}; allowed "
                    f"'min:{name}' or 'max:{name}'")
        return ""
    return value


def _check_run_count(params: Sequence[Parameter], design: Design, errs: list[str]) -> None:
    """Refuse a design with more than :data:`MAX_RUNS` runs, counted from the spec alone."""
    if design.kind == "factorial":
        n = math.prod(p.n_levels for p in params)
        what = " x ".join(str(p.n_levels) for p in params) + " factorial"
    else:
        d, n0 = len(params), int(design.n or 0)
        n = n0 * (d + 1) if design.kind == "morris" else n0 * (
            2 * d + 2 if design.second_order else d + 2) if design.kind == "saltelli" else n0
        what = f"{design.kind} design with n = {n0}"
    if n > MAX_RUNS:
        errs.append(f"the {what} has {n:,} runs: allowed at most {MAX_RUNS:,} (use fewer "
                    "levels, or a sampled design with a smaller n)")


def _parse_name(name: Any, default: str, errs: list[str]) -> str:
    if not isinstance(name, str) or not name.strip() or any(c in name for c in "/\\"):
        errs.append(f"name = {name!r}: allowed a non-empty string without path separators")
        return default
    return name


def _parse_base(entry: Any, base_dir: Path, errs: list[str]) -> tuple[Any, str]:
    """The base scenario: defaults, a scenario TOML relative to the spec, or a table."""
    from dermsim.config import load_scenario

    try:
        if entry is None:
            return load_scenario({}), "dermsim defaults"
        if isinstance(entry, str):
            p = Path(entry)
            p = p if p.is_absolute() else base_dir / p
            return load_scenario(p), os.path.normpath(p)
        if isinstance(entry, Mapping):
            return load_scenario(dict(entry)), "inline [base] table"
        errs.append(f"base = {entry!r}: allowed a path to a scenario TOML or a [base] table")
    except DermsimError as exc:
        errs.append(f"base: {exc}")
    except UnicodeDecodeError as exc:
        errs.append(f"base: {entry}: byte at position {exc.start} is not UTF-8 text; a "
                    "scenario is a TOML text file")
    except (RecursionError, ValueError, TypeError) as exc:
        errs.append(f"base: {entry!r}: not a valid scenario ({type(exc).__name__}: {exc})"[:300])
    return None, ""


def _apply_fixed(fixed: Any, base: Any, errs: list[str]) -> Any:
    """``[fixed]`` overrides of the base for every run, e.g. a coarser sweep grid."""
    if not isinstance(fixed, Mapping):
        errs.append(f"fixed = {fixed!r}: allowed a table of dotted scenario keys = values")
        return base
    if not fixed or base is None:
        return base
    flat_fixed = flatten(fixed)
    valid_fixed = valid_keys(base, sorted({k.split(".", 1)[0] for k in flat_fixed}
                                          & {"signalling", "remodelling", "rf"}))
    ok = True
    for k, v in flat_fixed.items():
        if k not in valid_fixed:
            errs.append(f"fixed.{k}: unknown scenario key{suggest(k, list(valid_fixed))}")
            ok = False
        elif not check_value(base, k, v, f"fixed.{k}", errs):
            ok = False
    if not ok:
        return base
    from dermsim.config import with_overrides

    try:
        return with_overrides(base, flat_fixed)
    except DermsimError as exc:
        errs.append(f"fixed: {exc}")
        return base


def _parse_seeds(table: Mapping[str, Any], base: Any, errs: list[str]) -> tuple[int, str]:
    seed = table.get("seed", base.seed if base is not None else 0)
    if not isinstance(seed, int) or isinstance(seed, bool) or not 0 <= seed <= MAX_SEED:
        errs.append(f"seed = {seed!r}: allowed a whole number in [0, 2**63 - 1]")
        seed = 0
    seeds = table.get("seeds", "per_run")
    if seeds not in ("per_run", "common"):
        errs.append(f"seeds = {seeds!r}: allowed 'per_run' (SeedSequence.spawn) or 'common' "
                    "(the same seed for every run)")
    return seed, seeds


def _parse_outcomes(outcomes: Any, known: Sequence[str], errs: list[str]) -> list[str]:
    if not isinstance(outcomes, list) or not outcomes or not all(
            isinstance(o, str) for o in outcomes):
        errs.append(f"outcomes = {outcomes!r}: allowed a non-empty list of outcome names")
        return []
    for o in outcomes:
        if o not in known:
            errs.append(f"outcomes: {o!r} is not a scalar outcome{suggest(o, known)}")
    if len(set(outcomes)) != len(outcomes):
        errs.append("outcomes: an outcome is listed twice")
    return outcomes


def _parse_series(series: Any, outcomes: Sequence[str], errs: list[str]) -> list[str]:
    if not isinstance(series, list) or not all(isinstance(s, str) for s in series):
        errs.append(f"time_series = {series!r}: allowed a list of result variable names")
        return []
    for s in series:
        if s in outcomes or s in RESERVED_NAMES:
            errs.append(f"time_series: {s!r} clashes with an outcome or a reserved name")
    return series


def _parse_output(output: Any, base_dir: Path, errs: list[str]) -> str | None:
    """The output folder, relative to the sweep file like ``base``."""
    if output is None:
        return None
    if not isinstance(output, str):
        errs.append(f"output = {output!r}: allowed a folder path")
        return None
    return output if Path(output).is_absolute() else os.path.normpath(base_dir / output)
