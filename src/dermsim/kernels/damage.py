"""Old import path of the damage kernel; see :mod:`dermsim.numerics.kernels.damage`."""

from dermsim.numerics.kernels.damage import damage_step  # noqa: F401
from dermsim.numerics.reference import damage_step_reference  # noqa: F401
