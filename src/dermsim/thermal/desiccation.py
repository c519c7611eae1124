"""Tissue water near 100 °C: vaporisation (latent heat) and the conductivity it takes away.

Enthalpy method by operator splitting (as in RF-ablation models, e.g. Abraham & Sparrow 2007):
after each heat-conduction step, a cell above the vaporisation temperature T_v that still holds
water returns its excess sensible heat ρc (T − T_v) to T_v and spends it on vaporising water,
up to its latent capacity m_w L (water mass per volume × latent heat). Only a dry cell heats
above T_v. The electrical conductivity carries the water left,
σ = σ37 [1 + α (T − 37 °C)] max(w, r_dry), with w the fraction of the initial water and
r_dry the conductivity ratio of desiccated tissue (Haemmerich et al. 2003). A desiccated shell
around an electrode carries the whole current of that electrode in series, so it raises the
load impedance: the impedance roll-off that RF generators react to (Goldberg et al. 2000).
"""

from __future__ import annotations

import numpy as np

__all__ = ["TissueWater", "conductivity"]


class TissueWater:
    """Water left in every cell and the latent heat it still absorbs.

    Parameters
    ----------
    water_kg_m3 : (nz, nx) array
        Initial water mass per volume [kg/m³] (0 in metal cells).
    latent_heat_J_kg : float
        Latent heat of vaporisation [J/kg].
    t_vap_k : float
        Vaporisation temperature [K].

    Attributes
    ----------
    fraction : (nz, nx) array
        Water left as a fraction of the initial water (1 where there was none).
    latent_J_m3 : float
        Latent heat absorbed so far, summed over cells [J/m³ · cells]; times h² gives J/m.
    """

    def __init__(self, water_kg_m3: np.ndarray, latent_heat_J_kg: float,
                 t_vap_k: float) -> None:
        self.capacity = np.ascontiguousarray(water_kg_m3, dtype=np.float64) * latent_heat_J_kg
        self.wet = self.capacity > 0
        self.fraction = np.ones(self.capacity.shape)
        self.t_vap_k = float(t_vap_k)
        self.latent_J_m3 = 0.0
        self.vaporising = 0

    def vaporise(self, t_k: np.ndarray, rho_c: np.ndarray) -> float:
        """Move the heat above ``t_vap_k`` of wet cells into vaporisation (in place).

        Returns
        -------
        float
            Latent heat taken up in this call, summed over cells [J/m³ · cells].
        """
        hot = t_k > self.t_vap_k
        if not hot.any():
            self.vaporising = 0
            return 0.0
        hot &= self.wet & (self.fraction > 0.0)
        self.vaporising = int(hot.sum())
        if not self.vaporising:
            return 0.0
        rc = rho_c[hot]
        excess = rc * (t_k[hot] - self.t_vap_k)
        cap = self.capacity[hot]
        used = np.minimum(excess, self.fraction[hot] * cap)
        t_k[hot] -= used / rc
        self.fraction[hot] = np.maximum(0.0, self.fraction[hot] - used / cap)
        total = float(used.sum())
        self.latent_J_m3 += total
        return total

    @property
    def dry_fraction(self) -> np.ndarray:
        """Fraction of the initial water vaporised, per cell (0 where there was none)."""
        return np.where(self.wet, 1.0 - self.fraction, 0.0)


def conductivity(sigma37: np.ndarray, t_c: np.ndarray, alpha_per_k: float,
                 water_fraction: np.ndarray | None, dry_ratio: float) -> np.ndarray:
    """σ(T, w) = σ37 max(0.1, 1 + α (T − 37 °C)) max(w, r_dry) [S/m]."""
    sig = sigma37 * np.clip(1.0 + alpha_per_k * (t_c - 37.0), 0.1, None)
    if water_fraction is not None:
        sig = sig * np.maximum(water_fraction, dry_ratio)
    return sig
