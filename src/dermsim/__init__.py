"""dermsim: a microneedling simulator from needle to collagen.

Research and teaching tool; not medical advice.

The public API is imported lazily so that ``import dermsim`` (and the CLI's ``--help``)
stays fast:

>>> import dermsim
>>> scenario = dermsim.load_scenario("baseline")         # built-in, or a TOML path
>>> ds = dermsim.simulate(scenario)                      # xarray.Dataset
>>> deeper = dermsim.with_overrides(scenario, {"device.needle_length_um": 1500})
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

_LAZY = {
    "load_scenario": ("dermsim.config", "load_scenario"),
    "with_overrides": ("dermsim.config", "with_overrides"),
    "Scenario": ("dermsim.config", "Scenario"),
    "simulate": ("dermsim.pipeline", "simulate"),
    "penetrate": ("dermsim.penetration", "penetrate"),
    "open_result": ("dermsim.io", "open_result"),
    "write_netcdf": ("dermsim.io", "write_netcdf"),
    "scalar_outcomes": ("dermsim.metrics", "scalar_outcomes"),
    "ConfigError": ("dermsim.errors", "ConfigError"),
    "DermsimError": ("dermsim.errors", "DermsimError"),
}

__all__ = ["__version__", *_LAZY]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        module, attr = _LAZY[name]
        return getattr(importlib.import_module(module), attr)
    raise AttributeError(f"module 'dermsim' has no attribute {name!r}")


def __dir__() -> list[str]:
    """The lazily exported API too (tab completion, ``dir(dermsim)``), and the submodules
    imported so far."""
    from types import ModuleType

    loaded = [k for k, v in globals().items() if k.startswith("__") or isinstance(v, ModuleType)]
    return sorted({*__all__, *loaded})
