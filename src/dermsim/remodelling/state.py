"""State table of the remodelling model: variable names, indices, units, scales, baseline.

The state of one tissue compartment is a vector of :data:`N_VAR` variables; a set of
compartments is an array of shape ``(n, N_VAR)`` (interleaved layout).  Healthy skin
(:func:`baseline_state`) is an exact steady state of the right-hand side.
"""

from __future__ import annotations

import numpy as np

from dermsim.remodelling.config import RemodellingConfig

# State layout
# --------------------------------------------------------------------------------------

#: state variable names, in interleaved order (index = column of the (n_band, n_var) state)
VAR_NAMES: tuple[str, ...] = (
    "damage",  # 0  D   injured/necrotic debris, volume fraction [-]
    "erythema_mediator",  # 1  R   vasoactive mediator level [-] (erythema = R/(1+R))
    "neutrophils",  # 2  N   excess neutrophils [cells/mm^3]
    "macrophages",  # 3  M   excess macrophages [cells/mm^3]
    "tgfb_endogenous",  # 4  A   cell-secreted active TGF-beta [ng/mL]
    "pdgf_endogenous",  # 5  P   cell-secreted PDGF [ng/mL]
    "heat_shock",  # 6  H   heat-shock protein induction (HSP47/70) [-]
    "fibroblasts",  # 7  F   fibroblast density / resident density [-]
    "activation_early",  # 8  Xe  early (provisional-matrix, III-rich) synthetic activation [-]
    "activation_mature",  # 9  Xm  mature (I-rich) synthetic activation [-]
    "mmp",  # 10 E   excess MMP/collagenase activity index [-]
    "collagen_III",  # 11 C3  [baseline total collagen]
    "collagen_I",  # 12 C1  [baseline total collagen]
    "tropoelastin",  # 13 T   tropoelastin synthesis/content rel. to baseline [-]
    "elastin",  # 14 El  total elastic-fibre elastin rel. to baseline [-]
    "collagen_VII",  # 15 C7  collagen VII (anchoring fibrils) rel. to baseline [-]
    "denatured_matrix",  # 16 V  thermally denatured matrix not yet cleared, volume fraction
    "matrix_defect",  # 17 G  cleared space not yet refilled with new matrix, volume fraction
)
N_VAR = len(VAR_NAMES)
(
    iD,
    iR,
    iN,
    iM,
    iA,
    iP,
    iH,
    iF,
    iXe,
    iXm,
    iE,
    iC3,
    iC1,
    iT,
    iEl,
    iC7,
    iV,
    iG,
) = range(N_VAR)


UNITS = {
    "damage": "1",
    "erythema_mediator": "1",
    "neutrophils": "cells/mm^3",
    "macrophages": "cells/mm^3",
    "tgfb_endogenous": "ng/mL",
    "pdgf_endogenous": "ng/mL",
    "heat_shock": "1",
    "fibroblasts": "1 (relative to resident density)",
    "activation_early": "1",
    "activation_mature": "1",
    "mmp": "1 (excess over baseline activity)",
    "collagen_III": "1 (fraction of baseline total collagen)",
    "collagen_I": "1 (fraction of baseline total collagen)",
    "tropoelastin": "1 (relative to baseline)",
    "elastin": "1 (relative to baseline)",
    "collagen_VII": "1 (relative to baseline)",
    "denatured_matrix": "1 (volume fraction)",
    "matrix_defect": "1 (volume fraction)",
}
LONG_NAMES = {
    "damage": "injured and necrotic debris (volume fraction of band)",
    "erythema_mediator": "vasoactive mediator level (erythema = R / (1 + R))",
    "neutrophils": "neutrophil density above baseline",
    "macrophages": "macrophage density above baseline",
    "tgfb_endogenous": "cell-secreted active TGF-beta",
    "pdgf_endogenous": "cell-secreted PDGF",
    "heat_shock": "heat-shock protein (HSP47/HSP70) induction",
    "fibroblasts": "fibroblast density relative to resident density",
    "activation_early": "early (collagen-III-rich) synthetic activation of fibroblasts",
    "activation_mature": "mature (collagen-I-rich) synthetic activation of fibroblasts",
    "mmp": "MMP / collagenase activity above baseline",
    "collagen_III": "collagen type III content",
    "collagen_I": "collagen type I content",
    "tropoelastin": "tropoelastin (new elastin) synthesis",
    "elastin": "total elastic-fibre elastin",
    "collagen_VII": "collagen type VII (anchoring fibrils; meaningful at the DEJ band)",
    "denatured_matrix": "thermally denatured (coagulated) matrix awaiting clearance",
    "matrix_defect": "cleared space awaiting new matrix (unfilled thermal defect)",
}
# characteristic magnitudes used to scale absolute tolerances
STATE_SCALE = np.array(
    [0.1, 1.0, 100.0, 100.0, 0.1, 0.1, 0.1, 1.0, 1.0, 1.0, 1.0, 0.15, 0.8, 1.0, 1.0, 1.0,
     0.1, 0.1]
)



def baseline_state(n_band: int, cfg: RemodellingConfig | None = None) -> np.ndarray:
    """Healthy-skin steady state, shape (n_band, N_VAR).

    Parameters
    ----------
    n_band
        Number of depth bands.
    cfg
        Model parameters (defaults if None).

    Returns
    -------
    numpy.ndarray
        Baseline state: no damage, mediators or excess cells; resident fibroblasts
        (F = 1); collagen I and III at their baseline fractions; elastin, tropoelastin and
        collagen VII at 1; no denatured matrix and no unfilled defect.  The right-hand side
        vanishes there by construction.
    """
    cfg = cfg or RemodellingConfig()
    y = np.zeros((int(n_band), N_VAR))
    y[:, iF] = 1.0
    y[:, iC3] = cfg.collagen_III_baseline
    y[:, iC1] = cfg.collagen_I_baseline
    y[:, iT] = 1.0
    y[:, iEl] = 1.0
    y[:, iC7] = 1.0
    return y


