"""Collagen remodelling after micro-injury: cells, mediators and matrix per tissue compartment.

Each compartment (a cell of a coarse 2-D grid: depth bands by lateral columns, or a whole
depth band) carries 18 state variables (damage, erythema
mediators, neutrophils, macrophages, endogenous active TGF-beta and PDGF, heat-shock protein
induction, fibroblasts, early and mature synthetic activation, MMP activity, collagen III,
collagen I, tropoelastin, elastin, collagen VII, thermally denatured matrix and the cleared
thermal defect awaiting new matrix).  Compartments are coupled to the rest of
dermsim through the :class:`SessionDrive` of each session (growth-factor concentrations from
the signalling stage, injury and bleeding from penetration, coagulated and heat-shocked
fractions from RF).

Healthy skin is an exact steady state: all production terms are derived from the baseline so
that the right-hand side vanishes there.  The protocol is integrated with
:func:`scipy.integrate.solve_ivp` as one system, restarted at every session and at the end of
every growth-factor window.

Modules: :mod:`~dermsim.remodelling.config` (parameter cards), :mod:`~.rates` (derived rate
constants), :mod:`~.state` (state table, baseline), :mod:`~.drive` (session drives),
:mod:`~.rhs` (right-hand side), :mod:`~.jacobian` (analytic Jacobian, sparsity),
:mod:`~.field` (coarse 2-D grid, paracrine spread), :mod:`~.blocksolve` (block LU),
:mod:`~.integrate` (time integration), :mod:`~.simulate` (a run as a Dataset, untreated twin),
:mod:`~.outcomes` (derived outcomes), :mod:`~.healing` (replacement of RF-coagulated matrix,
re-epithelialisation of epidermal burns, downtime), :mod:`~.calibration` (calibration check).

Time is in days, depth in micrometres (edges of the package), concentrations in ng/mL, cell
densities in cells/mm^3; collagen I and III in units of the baseline total dermal collagen
(baseline 0.80 and 0.15), all other matrix quantities relative to their baseline (1).
Equations, parameters and their sources: ``docs/model.md`` (collagen remodelling chapter).

References (evidence tags V/C/S/U/A as on the parameter cards): Jin et al. 2011 BMC Syst Biol
5:60 [V]; Yang et al. 1999 Am J Pathol 154:105 [V]; Adler et al. 2020 [S]; Babraj et al.
2005 Am J Physiol Endocrinol Metab 289:E864 [V]; Shapiro et al. 1991 J Clin Invest 87:1828
[V]; Wahl et al. 1987 PNAS 84:5788 [V]; El-Domyati et al. 2015 [V]; Lotfi et al. 2013 [V].
"""

from __future__ import annotations

from dermsim.remodelling.calibration import (
    CAL_BAND_Z_UM,
    calibration_report,
    default_band_layers,
)
from dermsim.remodelling.config import RemodellingConfig
from dermsim.remodelling.drive import (
    REQUIRED_SPECIES,
    GrowthFactorDrive,
    SessionDrive,
    apply_session,
    synthetic_drive,
    synthetic_protocol,
)
from dermsim.remodelling.field import CoarseGrid, ParacrineField, coarse_grid
from dermsim.remodelling.healing import (
    downtime_with_wounds,
    matrix_replacement_day,
    reepithelialisation_h,
)
from dermsim.remodelling.integrate import (
    DEFAULT_ATOL_FACTOR,
    DEFAULT_METHOD,
    DEFAULT_RTOL,
    default_output_times,
    integrate,
)
from dermsim.remodelling.jacobian import jac_sparsity
from dermsim.remodelling.outcomes import (
    collagen_change,
    downtime_h,
    layer_mean,
    peak_inflammation,
    ratio_I_III,
    summary_outcomes,
    time_to_plateau_day,
)
from dermsim.remodelling.rates import Rates, derived_rates
from dermsim.remodelling.simulate import MAP_VARIABLES, simulate_remodelling
from dermsim.remodelling.state import (
    N_VAR,
    STATE_SCALE,
    VAR_NAMES,
    baseline_state,
    iC1,
    iC3,
    iE,
    iF,
    iM,
    iN,
)

__all__ = [
    "CAL_BAND_Z_UM",
    "DEFAULT_ATOL_FACTOR",
    "DEFAULT_METHOD",
    "DEFAULT_RTOL",
    "MAP_VARIABLES",
    "N_VAR",
    "REQUIRED_SPECIES",
    "STATE_SCALE",
    "VAR_NAMES",
    "CoarseGrid",
    "GrowthFactorDrive",
    "ParacrineField",
    "Rates",
    "RemodellingConfig",
    "SessionDrive",
    "apply_session",
    "baseline_state",
    "calibration_report",
    "coarse_grid",
    "collagen_change",
    "default_band_layers",
    "default_output_times",
    "derived_rates",
    "downtime_h",
    "downtime_with_wounds",
    "iC1",
    "iC3",
    "iE",
    "iF",
    "iM",
    "iN",
    "integrate",
    "jac_sparsity",
    "layer_mean",
    "matrix_replacement_day",
    "peak_inflammation",
    "ratio_I_III",
    "reepithelialisation_h",
    "simulate_remodelling",
    "summary_outcomes",
    "synthetic_drive",
    "synthetic_protocol",
    "time_to_plateau_day",
]
