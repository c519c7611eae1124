"""The ``[uncertainty]`` table of a scenario: run a posterior ensemble with every run.

    [uncertainty]
    members = 16          # posterior members (0: no ensemble)
    posterior = ""        # posterior NetCDF file (default: the one shipped with dermsim)
    workers = 1           # local processes running the members
    dask = ""             # dask scheduler address ("local": a local cluster; "": no dask)
    seed = 0              # which members are drawn

``dermsim run CONFIG --ensemble N``, ``--posterior FILE``, ``--workers N`` and ``--dask
ADDRESS`` override the table; the ensemble itself is run by
:mod:`dermsim.calibration.ensemble`.
"""

from __future__ import annotations

from dataclasses import dataclass

from dermsim.parameters import card, param_field

__all__ = ["UncertaintyConfig"]


@dataclass(frozen=True)
class UncertaintyConfig:
    """Posterior ensemble settings of a scenario (TOML table ``[uncertainty]``)."""

    members: int = param_field(card(
        "uncertainty.members", 0, "-", 0, 4096, "user choice", "A",
        "posterior members run with the scenario (quantiles 0.05/0.5/0.95; 0: none)",
        integer=True))
    posterior: str = ""
    workers: int = param_field(card(
        "uncertainty.workers", 1, "-", 1, 1024, "user choice", "A",
        "local processes running the members (1: in this process)", integer=True))
    dask: str = ""
    seed: int = param_field(card(
        "uncertainty.seed", 0, "-", 0, 2**31 - 1, "user choice", "A",
        "seed of the draw of posterior members", integer=True))
    member_column_um: float = param_field(card(
        "uncertainty.member_column_um", 250.0, "um", 0.0, 500.0,
        "numerics choice: members on coarse remodelling columns, corrected by the nominal "
        "run's fine-minus-coarse difference (control variate; tests/calibration)", "A",
        "remodelling column width of the ensemble members (0: the scenario's own; used only "
        "when coarser than the scenario's)"))
