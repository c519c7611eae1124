"""Old import path of the diffusion solver; the code lives in :mod:`dermsim.numerics`."""

from dermsim.numerics import (  # noqa: F401
    ADISolver,
    SparseReferenceSolver,
    StepBoundaryFlux,
    adi_step_reference,
    assemble_operator,
    clip_row_stats,
    combine_sources,
    explicit_dt_limit,
    explicit_step,
    explicit_step_reference,
)
from dermsim.numerics import face_coefficients as harmonic_faces  # noqa: F401
