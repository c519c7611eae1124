"""Numba kernels: pure functions on arrays, compiled with ``cache=True`` (numba only).

Physical parameters are always passed as arguments, never captured from globals or closures, so a
parameter sweep never triggers a recompilation. Plain numpy/scipy references of every kernel are
in :mod:`dermsim.numerics.reference`.

``adi``
    Peaceman–Rachford / LOD backward-Euler sweeps, Thomas factors (cyclic in x, Robin in z) and
    an explicit flux-form stencil; driver :class:`dermsim.numerics.ADISolver`.
``damage``
    Arrhenius damage integral, CEM43 dose and peak temperature per time step (thermal stage).
"""
