"""Healing of thermal injury: replacement of the RF-coagulated matrix and re-epithelialisation
of epidermal burns, with the downtime they set.

The coagulated (denatured) matrix of a session enters the remodelling state as the pool
``denatured_matrix`` and leaves it through the unfilled defect ``matrix_defect`` as new matrix
fills it (:func:`dermsim.remodelling.rhs.rhs_reference`); :func:`matrix_replacement_day` reads
how long that takes from a run.  Epidermal necrosis of a session (RF damage ``Omega >= 1`` in
the viable epidermis, handed over by the thermal stage in the :class:`SessionDrive`) closes from
its edge: :func:`reepithelialisation_h`.  :func:`downtime_with_wounds` combines the erythema
downtime with the re-epithelialisation time.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import xarray as xr

from dermsim.remodelling.config import RemodellingConfig

__all__ = ["downtime_with_wounds", "matrix_replacement_day", "reepithelialisation_h",
           "session_reepithelialisation_h"]


def reepithelialisation_h(necrotic_fraction: float, lesion_um: float,
                          cfg: RemodellingConfig | None = None) -> float:
    """Hours until a necrotic epidermal zone of width ``lesion_um`` is covered again [h].

    Keratinocytes at the edge of the zone start to migrate after
    ``remodelling.reepithelialisation_lag_h`` and advance under the crust at
    ``remodelling.keratinocyte_migration_um_per_h`` from all sides, so a zone of width ``w``
    (a disc of diameter ``w`` around a pin, or a strip) closes after
    ``t = lag + (w / 2) / v``.  Returns 0 without necrosis.
    """
    cfg = cfg or RemodellingConfig()
    if necrotic_fraction <= 0.0 or lesion_um <= 0.0:
        return 0.0
    return cfg.reepithelialisation_lag_h + 0.5 * lesion_um / cfg.keratinocyte_migration_um_per_h


def session_reepithelialisation_h(necrosis: Sequence[float], lesion_um: Sequence[float],
                                  cfg: RemodellingConfig | None = None) -> np.ndarray:
    """:func:`reepithelialisation_h` of every session (one value per session) [h]."""
    return np.array([reepithelialisation_h(float(n), float(w), cfg)
                     for n, w in zip(necrosis, lesion_um)], dtype=float)


def downtime_with_wounds(erythema_h: float, reepithelialisation: float) -> float:
    """Downtime [h]: the longer of the erythema downtime and the re-epithelialisation time of
    an epidermal burn (an open or crusted wound is visible until it is covered). NaN in one
    of them (not resolved within the run) makes the downtime NaN."""
    if math.isnan(erythema_h) or math.isnan(reepithelialisation):
        return float("nan")
    return max(float(erythema_h), float(reepithelialisation))


def matrix_replacement_day(series: xr.DataArray, session_days: Sequence[float] | np.ndarray,
                           fraction: float = 0.1) -> float:
    """Days after the last session until the unreplaced thermal defect has fallen below
    ``fraction`` of its value just after that session [day].

    ``series`` (dim ``time``) is the unreplaced defect (denatured matrix plus cleared space
    not yet refilled) of a layer; the crossing is interpolated linearly.  NaN when the last
    session left no defect (no coagulation) or when the defect is still above the threshold at
    the end of the run.
    """
    t = series["time"].values.astype(float)
    v = series.values.astype(float)
    days = np.asarray(session_days, dtype=float)
    if days.size == 0:
        return float("nan")
    t0 = float(days[-1])
    m = t >= t0 - 1e-12
    t, v = t[m], v[m]
    if t.size < 2 or not v[0] > 1e-12:
        return float("nan")
    thr = fraction * v[0]
    below = np.flatnonzero(v < thr)
    if below.size == 0:
        return float("nan")
    k = int(below[0])
    tc = t[k - 1] + (v[k - 1] - thr) / (v[k - 1] - v[k]) * (t[k] - t[k - 1])
    return float(tc - t0)
