"""Old import path of the BLAS thread control; the code lives in :mod:`dermsim.numerics.blas`."""

from dermsim.numerics.blas import set_blas_threads, single_threaded_blas  # noqa: F401
