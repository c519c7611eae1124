"""Thermal damage: Arrhenius constant sets, the damage accumulator (Ω, CEM43, peak temperature).

Ω(t) = ∫ A exp(−Ea/(R T)) dt (Henriques & Moritz 1947 constants by default) and the thermal
dose CEM43 = Σ R^(43−T) Δt (Sapareto & Dewey 1984), integrated with the trapezoidal rule in hot
cells only by the numba kernels of :mod:`dermsim.numerics.kernels.damage`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from dermsim.thermal.config import KELVIN

if TYPE_CHECKING:  # pragma: no cover
    from dermsim.thermal.config import RFConfig

__all__ = [
    "ARRHENIUS_SETS",
    "GAS_CONSTANT",
    "ArrheniusConstants",
    "DamageAccumulator",
    "arrhenius_constants",
]

GAS_CONSTANT = 8.314  # J/mol/K, the value used with the Henriques & Moritz constants


@dataclass(frozen=True)
class ArrheniusConstants:
    """A (possibly two-piece) Arrhenius constant set in kernel form.

    Attributes
    ----------
    ln_a_lo, ea_r_lo
        ln of the frequency factor [ln(1/s)] and Ea/R [K] below ``t_switch_k``.
    ln_a_hi, ea_r_hi
        The same at and above ``t_switch_k``.
    t_switch_k
        Switch temperature [K] (``inf`` for a single pair).
    name, source
        Label and citation.
    """

    ln_a_lo: float
    ea_r_lo: float
    ln_a_hi: float
    ea_r_hi: float
    t_switch_k: float
    name: str
    source: str

    @classmethod
    def single(cls, a_per_s: float, ea_j_mol: float, name: str, source: str) -> ArrheniusConstants:
        """One (A, Ea) pair with R = 8.314 J/mol/K."""
        ln_a = math.log(a_per_s)
        ea_r = ea_j_mol / GAS_CONSTANT
        return cls(ln_a, ea_r, ln_a, ea_r, math.inf, name, source)

    def rate(self, t_k: np.ndarray | float) -> np.ndarray:
        """Damage rate dΩ/dt [1/s] at temperature ``t_k`` [K]."""
        t = np.asarray(t_k, dtype=np.float64)
        with np.errstate(over="ignore", under="ignore"):
            return np.where(t < self.t_switch_k, np.exp(self.ln_a_lo - self.ea_r_lo / t),
                            np.exp(self.ln_a_hi - self.ea_r_hi / t))


#: Named constant sets. Henriques & Moritz [S]; Weaver & Stoll 1969 two-piece skin set and the
#: collagen birefringence-loss set are [U] (values as commonly quoted; check before publishing).
ARRHENIUS_SETS: dict[str, ArrheniusConstants] = {
    "henriques": ArrheniusConstants.single(
        3.1e98, 6.28e5, "henriques",
        "Henriques & Moritz 1947, A = 3.1e98 1/s, Ea = 6.28e5 J/mol (via public bioheat "
        "codes) [S]"),
    "weaver_stoll": ArrheniusConstants(
        math.log(2.185e124), 93534.9, math.log(1.823e51), 39109.8, 50.0 + KELVIN,
        "weaver_stoll",
        "Weaver & Stoll 1969: A = 2.185e124 1/s, Ea/R = 93535 K below 50 °C; A = 1.823e51 1/s, "
        "Ea/R = 39110 K above [U]"),
    "collagen_pearce": ArrheniusConstants.single(
        1.606e45, 3.06e5, "collagen_pearce",
        "rat-skin collagen birefringence loss, A = 1.606e45 1/s, Ea = 3.06e5 J/mol "
        "(Pearce et al., as commonly quoted) [U]"),
}


def arrhenius_constants(cfg: RFConfig) -> ArrheniusConstants:
    """The constant set selected by ``cfg.arrhenius``."""
    if cfg.arrhenius == "custom":
        return ArrheniusConstants.single(
            cfg.arrhenius_A_per_s, cfg.arrhenius_Ea_J_mol, "custom",
            "user-defined (rf.arrhenius_A_per_s, rf.arrhenius_Ea_J_mol)")
    return ARRHENIUS_SETS[cfg.arrhenius]


class DamageAccumulator:
    """Arrhenius Ω, CEM43 and peak temperature of every cell, advanced step by step.

    Parameters
    ----------
    t0_k : (nz, nx) array
        Temperature at the start [K] (sets the initial rates and peak temperature).
    constants : ArrheniusConstants
        Damage constants.
    gate_arrhenius_k, gate_cem_k : float
        Rates are evaluated only above these temperatures [K] (see
        :mod:`dermsim.numerics.kernels.damage`).
    use_reference : bool
        Use the numpy reference instead of the numba kernel (tests).

    Attributes
    ----------
    omega : (nz, nx) array
        Damage integral Ω [-].
    cem43_min : (nz, nx) array
        Thermal dose [equivalent minutes at 43 °C].
    tmax_k : (nz, nx) array
        Peak temperature [K].
    """

    def __init__(self, t0_k: np.ndarray, constants: ArrheniusConstants,
                 gate_arrhenius_k: float = 43.0 + KELVIN, gate_cem_k: float = 39.0 + KELVIN,
                 use_reference: bool = False) -> None:
        t0 = np.ascontiguousarray(t0_k, dtype=np.float64)
        self.constants = constants
        self.gate_arrhenius_k = float(gate_arrhenius_k)
        self.gate_cem_k = float(gate_cem_k)
        self.omega = np.zeros(t0.shape)
        self.cem43_min = np.zeros(t0.shape)
        self.tmax_k = t0.copy()
        self._rate = np.zeros(t0.shape)
        self._cem_rate = np.zeros(t0.shape)
        self._row_active = np.zeros(t0.shape[0], np.uint8)
        self.n_hot = 0
        if use_reference:
            from dermsim.numerics.reference import damage_step_reference as fn
        else:
            from dermsim.numerics.kernels.damage import damage_step as fn
        self._fn = fn
        # initial rates (a zero-length step sets rate_prev without adding anything)
        self.update(t0, 0.0)

    def update(self, t_k: np.ndarray, dt: float) -> int:
        """Advance by ``dt`` [s] given the temperature at the end of the step [K]."""
        c = self.constants
        self.n_hot = int(self._fn(t_k, float(dt), self.omega, self._rate, self.cem43_min,
                                  self._cem_rate, self.tmax_k, c.ln_a_lo, c.ea_r_lo, c.ln_a_hi,
                                  c.ea_r_hi, c.t_switch_k, self.gate_arrhenius_k, self.gate_cem_k,
                                  self._row_active))
        return self.n_hot


# ------------------------------------------------------------------------------------------------
# electrodes
