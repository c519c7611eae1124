"""Validation cases: dermsim against analytic solutions and published measurements.

Each case calls the real stage code through its public API, compares the value it obtains
with a target and reports target, obtained value, tolerance and verdict; ``dermsim validate``
runs them all and ``dermsim validate --write docs/validation.md`` regenerates the validation
page with one figure per case.

Modules
-------
framework    cases, their registry, parameter overrides, the case context and the runner
page         the terminal table and the markdown page
command      the ``dermsim validate`` command
thermal      V1 steady Pennes (analytic), V2 layered slab (analytic), V4 Arrhenius damage
signalling   V6 diffusing, decaying growth-factor bolus (analytic) and the burst mass budget
penetration  V7 effective-depth anchors
remodelling  V8 early kinetics, V9 collagen trajectory, V10 multi-session efficacy,
             V11 barrier and erythema timing
rf           V12 RF coagulation zones
dose         V13 dose-response, V14 diminishing returns, V15 durability (whole pipeline)

The figures are drawn by :mod:`dermsim.viz.validation`. Importing this package registers the
cases in the order above; only the standard library is imported at module level.
"""

from __future__ import annotations

import importlib

from dermsim.validation.command import add_cli, cmd_validate
from dermsim.validation.framework import (
    CASES,
    ERROR,
    FAIL,
    NA,
    PASS,
    Case,
    CaseContext,
    CaseResult,
    StageUnavailable,
    case,
    fmt,
    parameter_overrides,
    run_cases,
)
from dermsim.validation.page import (
    STATUS_MARK,
    format_results,
    status_from_markdown,
    write_markdown,
)

# importing a case module registers its cases (thermal: V1, V2, V4; the rest below)
from dermsim.validation.thermal import JIANG_LAYERS, layered_pennes_exact

#: The case modules, in the order their cases are registered (and run): V1 … V12.
CASE_MODULES = ("thermal", "signalling", "penetration", "remodelling", "rf", "dose")
for _name in CASE_MODULES:
    importlib.import_module(f"dermsim.validation.{_name}")

__all__ = [
    "CASES",
    "CASE_MODULES",
    "ERROR",
    "FAIL",
    "JIANG_LAYERS",
    "NA",
    "PASS",
    "STATUS_MARK",
    "Case",
    "CaseContext",
    "CaseResult",
    "StageUnavailable",
    "add_cli",
    "case",
    "cmd_validate",
    "fmt",
    "format_results",
    "layered_pennes_exact",
    "parameter_overrides",
    "run_cases",
    "status_from_markdown",
    "write_markdown",
]
