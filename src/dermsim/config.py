"""Scenario configuration: TOML → frozen dataclasses, with validation.

A scenario TOML has top-level ``name`` and ``seed`` and one table per pipeline stage::

    name = "baseline"
    seed = 20261121
    [skin]        site = "cheek"                       # body-site preset (+ thickness_um table)
    [device]      preset = "pen_12"; needle_length_um = 1500
    [protocol]    sessions = 4; interval_days = 28
    [grid]        h_um = 10
    [penetration] ...   [signalling] ...   [remodelling] ...   [rf] ...   [output] ...

Every value is checked against its parameter card; a bad value raises
:class:`~dermsim.errors.ConfigError` whose one-line message names the field, the value and the
allowed range, and an unknown key is rejected with the closest valid name suggested.
"""

from __future__ import annotations

import dataclasses
import math
import sys
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dermsim.devices import Device, device_to_dict, make_device
from dermsim.errors import ConfigError, DermsimError
from dermsim.parameters import (
    build_dataclass,
    card,
    check_keys,
    param_field,
    suggest,
    validate_dataclass,
)
from dermsim.penetration import PenetrationConfig
from dermsim.protocol import ProtocolConfig
from dermsim.tissue import SITE_THICKNESS_UM, SkinStack, site_stack

SEED = card("seed", 20261121, "-", 0, 2**63 - 1, "user choice", "A",
            "seed of the random generator (puncture positions, per-needle scatter)", integer=True)


@dataclass(frozen=True)
class SkinConfig:
    """Body site and optional layer-thickness overrides (µm), e.g. ``thickness_um = {...}``."""

    site: str = "cheek"
    thickness_um: Mapping[str, float] = field(default_factory=dict)

    @classmethod
    def from_table(cls, table: Mapping[str, Any], prefix: str) -> SkinConfig:
        table = _table(table, prefix)
        check_keys(table, ("site", "thickness_um"), prefix)
        site = table.get("site", "cheek")
        if not isinstance(site, str) or site not in SITE_THICKNESS_UM:
            raise ConfigError(f"{prefix}.site", site, f"one of {sorted(SITE_THICKNESS_UM)}",
                              suggest(str(site), SITE_THICKNESS_UM))
        thick = dict(_table(table.get("thickness_um", {}), f"{prefix}.thickness_um"))
        for k, v in thick.items():
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
                raise ConfigError(f"{prefix}.thickness_um.{k}", v, "a number in [1, 50000] um")
        cfg = cls(site, {k: float(v) for k, v in thick.items()})
        cfg.stack()  # validates layer names and ranges
        return cfg

    def stack(self) -> SkinStack:
        """The layer stack this config describes."""
        return site_stack(self.site, self.thickness_um)


#: Depth extent of the grid; optional (the default depends on the layer stack), so its card
#: is registered here, at import, like every other card.
GRID_DEPTH = card("grid.depth_um", 3000.0, "um", 200.0, 50000.0, "numerics choice", "A",
                  "depth extent (default: dermis bottom + 1 mm, >= 3 mm)")


@dataclass(frozen=True)
class GridConfig:
    """Finite-volume grid. ``width_um`` is rounded to a whole number of in-plane needle
    spacings (≥ 2); ``depth_um`` defaults to 1 mm into the hypodermis, at least 3 mm."""

    h_um: float = param_field(card("grid.h_um", 10.0, "um", 1.0, 50.0, "numerics choice", "A",
                                   "cell size in x and z"))
    width_um: float = param_field(card("grid.width_um", 4000.0, "um", 200.0, 50000.0,
                                       "numerics choice", "A", "target lateral extent"))
    depth_um: float | None = None

    def validate(self) -> None:
        validate_dataclass(self, "grid")
        if self.depth_um is not None:
            GRID_DEPTH.check(self.depth_um, "grid.depth_um")


@dataclass(frozen=True)
class OutputConfig:
    """Where and what to write."""

    directory: str = "out"
    figure: bool = True


#: Optional stage sections, filled in as the stage modules define their config dataclasses.
_SECTION_MODULES = {
    "signalling": ("dermsim.signalling", "SignallingConfig"),
    "remodelling": ("dermsim.remodelling", "RemodellingConfig"),
    "rf": ("dermsim.thermal", "RFConfig"),
    "patient": ("dermsim.patient", "PatientConfig"),
    "uncertainty": ("dermsim.uncertainty", "UncertaintyConfig"),
}


def _section_class(name: str) -> type | None:
    import importlib

    module, cls = _SECTION_MODULES[name]
    try:
        return getattr(importlib.import_module(module), cls)
    except (ImportError, AttributeError):
        return None


@dataclass(frozen=True)
class Scenario:
    """A complete, validated simulation scenario (see module docstring for the TOML layout)."""

    name: str = "scenario"
    seed: int = param_field(SEED)
    skin: SkinConfig = field(default_factory=SkinConfig)
    device: Device = field(default_factory=lambda: make_device({"preset": "pen_12"}))
    protocol: ProtocolConfig = field(default_factory=ProtocolConfig)
    grid: GridConfig = field(default_factory=GridConfig)
    penetration: PenetrationConfig = field(default_factory=PenetrationConfig)
    output: OutputConfig = field(default_factory=OutputConfig)
    stages: Mapping[str, Any] = field(default_factory=dict)
    device_preset: str | None = None

    def stage(self, name: str) -> Any:
        """Config of an optional stage (``signalling``, ``remodelling``, ``rf``), defaults if
        the scenario did not set it, ``None`` if the stage is not available."""
        if name in self.stages:
            return self.stages[name]
        if name == "rf":
            from dermsim.thermal import default_rf_config

            return default_rf_config(self.device_preset)
        cls = _section_class(name)
        return cls() if cls is not None else None

    @property
    def is_rf(self) -> bool:
        return self.device.kind == "rf_tip"

    def stack(self) -> SkinStack:
        return self.skin.stack()

    def to_dict(self) -> dict[str, Any]:
        """Fully resolved plain-dict form; ``load_scenario(s.to_dict()) == s``."""
        d: dict[str, Any] = {"name": self.name, "seed": self.seed,
                             "skin": {"site": self.skin.site}}
        if self.skin.thickness_um:
            d["skin"]["thickness_um"] = dict(self.skin.thickness_um)
        dev = device_to_dict(self.device)
        if self.device_preset:
            dev = {"preset": self.device_preset, **dev}
        d["device"] = dev
        d["protocol"] = self.protocol.to_dict()
        for key in ("grid", "penetration", "output"):
            d[key] = plain(dataclasses.asdict(getattr(self, key)))
        for key, cfg in self.stages.items():
            d[key] = plain(dataclasses.asdict(cfg))
        return d

    def to_toml(self) -> str:
        """The resolved scenario as TOML text (stored in every output's attrs)."""
        import tomli_w

        return tomli_w.dumps(self.to_dict())


def plain(obj: Any) -> Any:
    """Plain dicts/lists of a dataclass dict, without None values (for TOML and keys)."""
    """Plain dicts/lists of a dataclass dict, without None values (for TOML and keys)."""
    if isinstance(obj, Mapping):
        return {k: plain(v) for k, v in obj.items() if v is not None}
    if isinstance(obj, (list, tuple)):
        return [plain(v) for v in obj]
    return obj


#: Largest config file read [bytes] and deepest nesting of tables and arrays accepted.
MAX_CONFIG_BYTES = 1 << 20
MAX_NESTING = 16
#: Longest scenario name (it becomes a file name, with a suffix).
MAX_NAME_CHARS = 200


def read_toml(path: str | Path, what: str = "config file") -> dict[str, Any]:
    """Read a TOML file into a table, turning every way it can be unreadable into one
    :class:`~dermsim.errors.DermsimError` line (missing, a folder, not UTF-8, too large,
    nested too deep, invalid TOML)."""
    text = str(path)
    if "\0" in text:
        raise DermsimError(f"{what} path contains a NUL character: {text!r}")
    path = Path(path)
    try:
        if path.is_dir():
            raise DermsimError(f"{what} {path} is a folder, not a file")
        if not path.is_file():
            raise DermsimError(f"{what} not found: {path}")
        size = path.stat().st_size
        if size > MAX_CONFIG_BYTES:
            raise DermsimError(f"{what} {path} is {size} bytes: allowed at most "
                               f"{MAX_CONFIG_BYTES} bytes")
        data = path.read_bytes()
    except OSError as exc:
        raise DermsimError(f"{what} {_short_path(path)}: cannot read: "
                           f"{exc.strerror or exc}") from None
    try:
        body = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DermsimError(f"{what} {path}: not UTF-8 text (byte 0x{data[exc.start]:02x} at "
                           f"offset {exc.start}); save it as UTF-8") from None
    limit = sys.getrecursionlimit()
    try:
        # the TOML parser recurses once per nesting level: give it room for a few thousand,
        # so that the nesting check below can name the field that is nested too deep
        sys.setrecursionlimit(max(limit, 20_000))
        table = tomllib.loads(body)
    except tomllib.TOMLDecodeError as exc:
        raise DermsimError(f"{path}: invalid TOML: {exc}") from None
    except RecursionError:
        raise DermsimError(f"{path}: invalid TOML: arrays or tables nested too deep "
                           f"(allowed at most {MAX_NESTING} levels)") from None
    finally:
        sys.setrecursionlimit(limit)
    check_nesting(table)
    return table


def _short_path(path: Path) -> str:
    text = str(path)
    return text if len(text) <= 120 else text[:60] + "..." + text[-40:]


def check_nesting(table: Mapping[str, Any], limit: int = MAX_NESTING) -> None:
    """Reject tables and arrays nested deeper than ``limit`` levels, and keys that are not
    strings (without recursion, so any depth is safe)."""
    stack: list[tuple[str, Any, int]] = [("", table, 0)]
    while stack:
        where, node, depth = stack.pop()
        if depth > limit:
            raise ConfigError(where or "config", node,
                              f"tables and arrays nested at most {limit} levels")
        if isinstance(node, Mapping):
            for k, v in node.items():
                if not isinstance(k, str):
                    raise ConfigError(f"{where}.{k!r}" if where else repr(k), v,
                                      "keys that are strings")
                if isinstance(v, (Mapping, list, tuple)):
                    stack.append((f"{where}.{k}" if where else k, v, depth + 1))
        else:
            for i, v in enumerate(node):
                if isinstance(v, (Mapping, list, tuple)):
                    stack.append((f"{where}[{i}]", v, depth + 1))


def load_scenario(source: str | Path | Mapping[str, Any]) -> Scenario:
    """Load and validate a scenario from a TOML path, the name of a built-in scenario
    (``"baseline"``; see ``dermsim presets``) or a plain dict.

    Raises
    ------
    DermsimError
        Unreadable file (missing, a folder, not UTF-8, too large) or TOML syntax error.
    ConfigError
        Any invalid value or unknown key (one line naming field, value and allowed range).
    """
    if isinstance(source, Mapping):
        check_nesting(source)
        table = dict(source)
        default_name = "scenario"
    elif isinstance(source, (str, Path)):
        path = _builtin_or_path(source)
        table = read_toml(path)
        default_name = path.stem
    else:
        raise DermsimError(f"a scenario is a TOML path or a table, not {type(source).__name__}")
    return _scenario_from_table(table, default_name)


def _builtin_or_path(source: str | Path) -> Path:
    """The file a scenario argument names: an existing path, or the built-in scenario of that
    name (``"baseline"``) when no such file exists in the working folder."""
    path = Path(source)
    text = str(source)
    if "\0" in text or len(text) > 255 or path.parent != Path(".") or path.suffix:
        return path  # read_toml reports what is wrong with it
    try:
        if path.exists():
            return path
    except OSError:
        return path
    from dermsim import scenarios  # package data; imported only when needed

    builtin = scenarios.find(text)
    if builtin is None:
        raise DermsimError(f"config file not found: {path} (built-in scenarios: "
                           f"{', '.join(scenarios.names())})")
    return builtin


def _table(value: Any, where: str) -> Mapping[str, Any]:
    """``value`` if it is a table, else a :class:`ConfigError` naming ``where``."""
    if not isinstance(value, Mapping):
        raise ConfigError(where, value, "a TOML table")
    return value


def check_name(name: Any, field: str = "name") -> str:
    """A scenario name usable as a file name: a non-empty string without path separators,
    control characters or a leading dot, at most :data:`MAX_NAME_CHARS` characters."""
    allowed = (f"a non-empty string of at most {MAX_NAME_CHARS} characters without path "
               "separators, control characters or a leading dot")
    if (not isinstance(name, str) or not name.strip() or len(name) > MAX_NAME_CHARS
            or any(c in name for c in "/\\") or name.startswith(".")
            or any(ord(c) < 32 or ord(c) == 127 for c in name)):
        raise ConfigError(field, name, allowed)
    return name


def _scenario_from_table(table: dict[str, Any], default_name: str) -> Scenario:
    top = ("name", "seed", "skin", "device", "protocol", "grid", "penetration", "output",
           *_SECTION_MODULES)
    check_keys(table, top, "")
    name = check_name(table.get("name", default_name))
    seed = table.get("seed", SEED.value)
    SEED.check(seed, "seed")
    for key in top[3:]:
        if key in table:
            _table(table[key], key)
    device_table = dict(table.get("device", {"preset": "pen_12"}))
    for key in ("preset", "kind"):
        if key in device_table and not isinstance(device_table[key], str):
            raise ConfigError(f"device.{key}", device_table[key], "a string")
    _check_session_tables(table.get("protocol", {}))
    device = make_device(device_table)
    stages = {}
    for key in _SECTION_MODULES:
        if key in table:
            cls = _section_class(key)
            if cls is None:
                raise ConfigError(key, "...", "a stage available in this dermsim version")
            parsed = build_dataclass(cls, table[key], key)
            if key == "rf":
                # RF settings start from those paired with the device preset (e.g. the
                # temperature-controlled, contact-cooled Profound-like tip)
                from dermsim.thermal import default_rf_config

                parsed = dataclasses.replace(default_rf_config(device_table.get("preset")),
                                             **{k: getattr(parsed, k) for k in table[key]})
            stages[key] = parsed
    scenario = Scenario(
        name=name,
        seed=int(seed),
        skin=SkinConfig.from_table(table.get("skin", {}), "skin"),
        device=device,
        protocol=ProtocolConfig.from_table(table.get("protocol", {}), "protocol"),
        grid=build_dataclass(GridConfig, table.get("grid", {}), "grid"),
        penetration=build_dataclass(PenetrationConfig, table.get("penetration", {}),
                                    "penetration"),
        output=build_dataclass(OutputConfig, table.get("output", {}), "output"),
        stages=stages,
        device_preset=device_table.get("preset"),
    )
    scenario.protocol.check_devices(device, device_table)
    _check_geometry(scenario)
    _check_numerics(scenario)
    return scenario


def _check_session_tables(protocol: Any) -> None:
    """``[[protocol.session]]`` entries are tables whose ``preset``/``kind`` are strings (the
    values themselves are checked when the session's device is built)."""
    if not isinstance(protocol, Mapping) or "session" not in protocol:
        return
    entries = protocol["session"]
    if not isinstance(entries, list):
        raise ConfigError("protocol.session", entries, "an array of tables ([[protocol.session]])")
    for i, entry in enumerate(entries):
        if not isinstance(entry, Mapping):
            raise ConfigError("protocol.session", entry,
                              "an array of tables ([[protocol.session]])",
                              f"entry {i + 1} is not a table")
        for key in ("preset", "kind"):
            if key in entry and not isinstance(entry[key], str):
                raise ConfigError(f"protocol.session.{key}", entry[key], "a string",
                                  f"entry {i + 1} of [[protocol.session]]")


def _check_geometry(scenario: Scenario) -> None:
    """Needles shorter than the skin in every session, the grid deeper than the longest
    needle and within the stack, and ``[rf]`` settings only with an RF device."""
    stack = scenario.stack()
    device = scenario.device
    within = f"less than the {stack.site} skin thickness ({stack.total_um:g} um)"
    if device.needle_length_um >= stack.total_um:
        raise ConfigError("device.needle_length_um", device.needle_length_um, within,
                          "needle longer than the skin")
    timeline = scenario.protocol.timeline()
    devices = [scenario.protocol.device_for(s.index, device) for s in timeline]
    for s, dev in zip(timeline, devices):
        if dev.needle_length_um >= stack.total_um:
            raise ConfigError(f"protocol.session[{s.index}].needle_length_um",
                              dev.needle_length_um, within, "needle longer than the skin")
    depth = scenario.grid.depth_um
    if depth is not None:
        longest = max(d.needle_length_um for d in devices)
        if depth > stack.total_um or depth <= longest:
            raise ConfigError("grid.depth_um", depth,
                              f"deeper than the longest needle ({longest:g} um) and at most the "
                              f"{stack.site} skin thickness ({stack.total_um:g} um)")
    if "rf" in scenario.stages and not any(d.kind == "rf_tip" for d in devices):
        raise ConfigError("rf", "{...}", "only with an RF device (device kind 'rf_tip')",
                          f"the device is a {device.kind}: remove the [rf] table or choose "
                          "an rf_ preset")


#: Smallest follow-up after the last session that is not zero [day]: shorter horizons leave
#: the remodelling ODE solver a span below its step-size resolution.
MIN_FOLLOW_UP_DAYS = 1e-3


def _check_numerics(scenario: Scenario) -> None:
    """Combinations of allowed values that the solvers cannot handle."""
    follow_up = scenario.protocol.follow_up_days
    if 0.0 < follow_up < MIN_FOLLOW_UP_DAYS:
        raise ConfigError("protocol.follow_up_days", follow_up,
                          f"0 or [{MIN_FOLLOW_UP_DAYS:g}, 3650] day")
    cv = scenario.penetration.depth_cv
    if 0.0 < cv < MIN_DEPTH_CV:
        raise ConfigError("penetration.depth_cv", cv, f"0 or [{MIN_DEPTH_CV:g}, 0.6]",
                          "0 turns the scatter off")


#: Smallest non-zero per-needle depth scatter: below it the lognormal depth sampling
#: underflows (a zero coefficient of variation is handled exactly).
MIN_DEPTH_CV = 1e-6


def with_overrides(scenario: Scenario, overrides: Mapping[str, Any]) -> Scenario:
    """A new scenario with dotted keys replaced, re-validated.

    Examples
    --------
    >>> s2 = with_overrides(s, {"device.needle_length_um": 1000, "protocol.sessions": 6})
    """
    d = scenario.to_dict()
    for dotted, value in overrides.items():
        parts = dotted.split(".")
        node = d
        for p in parts[:-1]:
            nxt = node.setdefault(p, {})
            if not isinstance(nxt, dict):
                raise ConfigError(dotted, value, "a key inside a table")
            node = nxt
        node[parts[-1]] = value
        if parts[0] == "device" and parts[-1] in ("preset", "kind"):
            # a new device preset replaces the old device's fields
            d["device"] = {parts[-1]: value}
    return _scenario_from_table(d, scenario.name)
