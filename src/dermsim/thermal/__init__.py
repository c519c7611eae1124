"""RF microneedling: electric potential, Joule heating, Pennes bioheat and thermal damage.

The stage works on the 2-D ``(nz, nx)`` tissue grid (z depth, x lateral, periodic) of
:mod:`dermsim.tissue` and an RF pin array (:class:`dermsim.devices.RFTip`). Modules, in the
order the data flows:

config      parameter cards, :class:`RFConfig` (the ``[rf]`` table), RF presets
electrodes  pins rasterised on the grid (exposed tips, insulated shafts, polarity)
potential   ∇·(σ∇φ) = 0 (AMG or sparse direct, cached; complex σ + iωε0εr), Joule heat
bioheat     Pennes bioheat (Pennes 1948): steady state, ADI stepping, energy ledger
desiccation tissue water at 100 °C: latent heat, desiccation, conductivity σ(T, water)
damage      Arrhenius Ω (Henriques & Moritz 1947), CEM43 (Sapareto & Dewey 1984), peak T
timeline    phases of a delivery, their time steps, the PI temperature controller
recorders   what the stepping loop records (series, snapshots, energy)
pulse       one delivery: electrical model, bioheat model, generator, stepping loop
zones       zone sizes around the pins, volume fractions per depth band
stage       :func:`simulate_rf_pulse`, the stage's entry point (an xarray Dataset)

References: Pennes H.H. (1948) J Appl Physiol 1:93. Henriques F.C., Moritz A.R. (1947) Am J
Pathol 23:531. Sapareto S.A., Dewey W.C. (1984) Int J Radiat Oncol Biol Phys 10:787. Gabriel S.
et al. (1996) Phys Med Biol 41:2271 (σ, εr). Weaver J.A., Stoll A.M. (1969) Aerosp Med 40:24.
Ruge J.W., Stüben K. (1987) Algebraic multigrid, in Multigrid Methods, SIAM. Rannacher R.
(1984) Numer Math 43:309.
"""

from __future__ import annotations

from dermsim.thermal.bioheat import (
    BioheatModel,
    EnergyLedger,
    pennes_steady_state,
    robin_conductance,
)
from dermsim.thermal.config import KELVIN, RF_PRESETS, RFConfig, default_rf_config
from dermsim.thermal.damage import (
    ARRHENIUS_SETS,
    ArrheniusConstants,
    DamageAccumulator,
    arrhenius_constants,
)
from dermsim.thermal.desiccation import TissueWater, conductivity
from dermsim.thermal.electrodes import (
    ELECTRODE,
    INSULATED,
    TISSUE,
    ElectrodeLayout,
    layout_for_tip,
    rasterise_electrodes,
)
from dermsim.thermal.potential import (
    PotentialField,
    PotentialProblem,
    clear_potential_cache,
    solve_potential,
    solve_potential_complex,
)
from dermsim.thermal.pulse import RFResult, run_rf
from dermsim.thermal.stage import simulate_rf_pulse
from dermsim.thermal.timeline import Phase, PIController, phase_steps, timeline
from dermsim.thermal.zones import band_fractions, epidermal_necrosis, zone_metrics

__all__ = [
    "ARRHENIUS_SETS",
    "ELECTRODE",
    "INSULATED",
    "KELVIN",
    "RF_PRESETS",
    "TISSUE",
    "ArrheniusConstants",
    "BioheatModel",
    "DamageAccumulator",
    "ElectrodeLayout",
    "EnergyLedger",
    "PIController",
    "Phase",
    "PotentialField",
    "PotentialProblem",
    "RFConfig",
    "RFResult",
    "TissueWater",
    "arrhenius_constants",
    "band_fractions",
    "clear_potential_cache",
    "conductivity",
    "default_rf_config",
    "epidermal_necrosis",
    "layout_for_tip",
    "pennes_steady_state",
    "phase_steps",
    "rasterise_electrodes",
    "robin_conductance",
    "run_rf",
    "simulate_rf_pulse",
    "solve_potential",
    "solve_potential_complex",
    "timeline",
    "zone_metrics",
]
