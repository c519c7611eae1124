"""Design points: factorial products and samples of the unit hypercube."""

from __future__ import annotations

import itertools
import math
import warnings
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from dermsim.errors import DermsimError

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np


def require_salib() -> Any:
    """The SALib module, or a clear error if it is not installed."""
    try:
        import SALib
    except ImportError:
        raise DermsimError("sensitivity analysis needs SALib: pip install 'dermsim[sensitivity]' "
                           "(or pip install SALib)") from None
    return SALib


def unit_problem(names: Sequence[str]) -> dict[str, Any]:
    """SALib problem of ``names`` on the unit hypercube."""
    return {"num_vars": len(names), "names": list(names), "bounds": [[0.0, 1.0]] * len(names)}


def sample_unit(kind: str, n: int, d: int, seed: int, *, levels: int = 4,
                second_order: bool = False) -> np.ndarray:
    """A Morris or Saltelli design in the unit hypercube, shape (n_runs, d).

    Parameters
    ----------
    kind
        ``"morris"`` (``n`` trajectories, ``n (d + 1)`` rows) or ``"saltelli"`` (``n`` base
        samples, a power of 2; ``n (d + 2)`` rows, ``n (2 d + 2)`` with ``second_order``).
    seed
        Seed of the design (reproducible).
    """
    import numpy as np

    require_salib()
    problem = unit_problem([f"x{i}" for i in range(d)])
    rng_seed = int(seed) % (2**32)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if kind == "morris":
            from SALib.sample import morris

            return np.asarray(morris.sample(problem, n, num_levels=levels, seed=rng_seed))
        if kind == "saltelli":
            from SALib.sample import sobol

            return np.asarray(sobol.sample(problem, n, calc_second_order=second_order,
                                           scramble=True, seed=rng_seed))
    raise DermsimError(f"design kind {kind!r}: allowed 'morris' or 'saltelli'")


def factorial_points(levels: Mapping[str, Sequence[Any]]) -> list[dict[str, Any]]:
    """Every combination of the levels, in C order over the keys (the last varies fastest)."""
    keys = list(levels)
    return [dict(zip(keys, combo)) for combo in itertools.product(*levels.values())]


def unit_design(kind: str, n: int, d: int, seed: int, *, levels: int = 4,
                second_order: bool = False) -> np.ndarray:
    """A sampled design in the unit hypercube, shape (n_runs, d).

    ``lhs``: Latin hypercube (``scipy.stats.qmc.LatinHypercube``); ``sobol``: scrambled Sobol'
    sequence of ``n`` (a power of 2) points; ``random``: independent uniform points;
    ``morris`` / ``saltelli``: :func:`sample_unit` (SALib).
    """
    import numpy as np

    if kind in ("morris", "saltelli"):
        return sample_unit(kind, n, d, seed, levels=levels, second_order=second_order)
    from scipy.stats import qmc

    if kind == "lhs":
        return qmc.LatinHypercube(d=d, rng=seed).random(n)
    if kind == "sobol":
        return qmc.Sobol(d=d, scramble=True, rng=seed).random_base2(int(round(math.log2(n))))
    return np.random.default_rng(seed).random((n, d))
