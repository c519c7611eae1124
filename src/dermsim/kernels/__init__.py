"""Numba kernels: pure functions on arrays, compiled with ``cache=True``.

Physical parameters are always passed as arguments, never captured from globals or closures, so a
parameter sweep never triggers a recompilation. Each kernel module is called only by its one
driver module, which also holds the plain numpy reference implementation used by the tests:

``adi``
    Peaceman–Rachford / LOD backward-Euler sweeps, Thomas factors (cyclic in x, Robin in z) and
    an explicit flux-form stencil; driver :mod:`dermsim.solvers`.
"""
