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
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dermsim.devices import Device, device_to_dict, make_device
from dermsim.errors import ConfigError, DermsimError
from dermsim.parameters import (
    _check_keys,
    build_dataclass,
    card,
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
        _check_keys(table, ("site", "thickness_um"), prefix)
        site = table.get("site", "cheek")
        if site not in SITE_THICKNESS_UM:
            raise ConfigError(f"{prefix}.site", site, f"one of {sorted(SITE_THICKNESS_UM)}",
                              suggest(str(site), SITE_THICKNESS_UM))
        thick = dict(table.get("thickness_um", {}))
        for k, v in thick.items():
            if isinstance(v, bool) or not isinstance(v, (int, float)) or math.isnan(v):
                raise ConfigError(f"{prefix}.thickness_um.{k}", v, "[1, 50000] um")
        cfg = cls(site, {k: float(v) for k, v in thick.items()})
        cfg.stack()  # validates layer names and ranges
        return cfg

    def stack(self) -> SkinStack:
        """The layer stack this config describes."""
        return site_stack(self.site, self.thickness_um)


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
            card("grid.depth_um", 3000.0, "um", 200.0, 50000.0, "numerics choice", "A",
                 "depth extent (default: dermis bottom + 1 mm, >= 3 mm)").check(
                self.depth_um, "grid.depth_um")


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
            d[key] = _plain(dataclasses.asdict(getattr(self, key)))
        for key, cfg in self.stages.items():
            d[key] = _plain(dataclasses.asdict(cfg))
        return d

    def to_toml(self) -> str:
        """The resolved scenario as TOML text (stored in every output's attrs)."""
        import tomli_w

        return tomli_w.dumps(self.to_dict())


def _plain(obj: Any) -> Any:
    if isinstance(obj, Mapping):
        return {k: _plain(v) for k, v in obj.items() if v is not None}
    if isinstance(obj, (list, tuple)):
        return [_plain(v) for v in obj]
    return obj


def load_scenario(source: str | Path | Mapping[str, Any]) -> Scenario:
    """Load and validate a scenario from a TOML path or a plain dict.

    Raises
    ------
    DermsimError
        Missing file or TOML syntax error.
    ConfigError
        Any invalid value or unknown key (one line naming field, value and allowed range).
    """
    if isinstance(source, Mapping):
        table = dict(source)
        default_name = "scenario"
    else:
        path = Path(source)
        if not path.is_file():
            raise DermsimError(f"config file not found: {path}")
        try:
            table = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise DermsimError(f"{path}: invalid TOML: {exc}") from None
        default_name = path.stem
    return _scenario_from_table(table, default_name)


def _scenario_from_table(table: dict[str, Any], default_name: str) -> Scenario:
    top = ("name", "seed", "skin", "device", "protocol", "grid", "penetration", "output",
           *_SECTION_MODULES)
    _check_keys(table, top, "")
    name = table.get("name", default_name)
    if not isinstance(name, str) or not name.strip() or any(c in name for c in "/\\"):
        raise ConfigError("name", name, "a non-empty string without path separators")
    seed = table.get("seed", SEED.value)
    SEED.check(seed, "seed")
    device_table = dict(table.get("device", {"preset": "pen_12"}))
    if not isinstance(table.get("device", {}), Mapping):
        raise ConfigError("device", table["device"], "a TOML table")
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
    stack = scenario.stack()
    if device.needle_length_um >= stack.total_um:
        raise ConfigError("device.needle_length_um", device.needle_length_um,
                          f"less than the {stack.site} skin thickness ({stack.total_um:g} um)",
                          "needle longer than the skin")
    if scenario.grid.depth_um is not None and scenario.grid.depth_um > stack.total_um:
        raise ConfigError("grid.depth_um", scenario.grid.depth_um,
                          f"at most the {stack.site} skin thickness ({stack.total_um:g} um)")
    return scenario


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
