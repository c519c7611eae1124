"""Old import path of the numba kernels; they live in :mod:`dermsim.numerics.kernels`."""
