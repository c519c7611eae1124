"""Numerical building blocks shared by the stages (no model content, no dermsim imports above).

==================  ===========================================================================
module              owns
==================  ===========================================================================
``faces``           harmonic-mean face coefficients of a cell field (one rule for every stage)
``adi``             :class:`ADISolver` (Peaceman–Rachford ADI, LOD backward-Euler restart steps)
                    and the fused numba step helpers
``reference``       plain numpy/scipy reference implementations used by the tests
``blas``            BLAS thread control next to numba kernels and sparse solves
``kernels``         numba kernels (``cache=True``): ADI sweeps and factors, damage integrals
``arrays``          argument normalisation (cell fields, per-column rows)
==================  ===========================================================================
"""

from dermsim.numerics.adi import (
    ADISolver,
    Scheme,
    StepBoundaryFlux,
    clip_row_stats,
    combine_sources,
    explicit_dt_limit,
    explicit_step,
)
from dermsim.numerics.blas import set_blas_threads, single_threaded_blas
from dermsim.numerics.faces import face_coefficients, harmonic_mean
from dermsim.numerics.reference import (
    SparseReferenceSolver,
    adi_step_reference,
    assemble_operator,
    damage_step_reference,
    explicit_step_reference,
)

__all__ = [
    "ADISolver",
    "Scheme",
    "SparseReferenceSolver",
    "StepBoundaryFlux",
    "adi_step_reference",
    "assemble_operator",
    "clip_row_stats",
    "combine_sources",
    "damage_step_reference",
    "explicit_dt_limit",
    "explicit_step",
    "explicit_step_reference",
    "face_coefficients",
    "harmonic_mean",
    "set_blas_threads",
    "single_threaded_blas",
]
