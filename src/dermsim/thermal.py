"""RF microneedling: electric potential, Joule heating, Pennes bioheat and thermal damage.

The stage works on the 2-D ``(nz, nx)`` tissue grid (z depth, x lateral, periodic) of
:mod:`dermsim.tissue` and an RF pin array (:class:`dermsim.devices.RFTip`):

1. **Potential** (quasi-static, σ-only): ∇·(σ∇φ) = 0 by conservative 5-point finite volumes with
   harmonic-mean face conductances. Exposed pin segments are Dirichlet cells (bipolar: ±V/2 on
   alternating pins; monopolar: pins at V and the return pad as the deep boundary at 0 V),
   insulated shafts are non-conducting cells, the skin surface is no-flux, x is periodic.
   Solved once per (geometry, σ) with pyamg Ruge–Stüben + CG and cached: φ scales with V, the
   Joule heat with V². Optionally σ(T) = σ37 [1 + α (T - 37 °C)] with re-solves that reuse the
   AMG hierarchy, and optionally the complex conductivity σ + iωε0εr (sparse direct) to
   measure the displacement-current error of the σ-only model (SCIENCE.md §1.3, §6.1).
2. **Joule heat** per cell from the face dissipation G_f |Δφ_f|² (half to each tissue cell of a
   tissue–tissue face, all of it to the tissue cell of an electrode face), so the total equals
   V·I exactly. With V the RMS voltage this is Q = σ |E_rms|² (SCIENCE.md §6.1).
3. **Bioheat** (Pennes 1948): ρc ∂T/∂t = ∇·(k∇T) + ω_b ρ_b c_b (T_a - T) + Q_rf with
   :class:`dermsim.solvers.ADISolver` (Peaceman–Rachford, Joule source inside both half-steps,
   L-stable backward-Euler restart steps at every pulse on/off; PERFORMANCE.md §2). Surface:
   convection to air or a contact-cooling plate (Robin); deep boundary at 37 °C. Initial
   condition: the tissue's steady state without RF. Needle cells are metal (no perfusion, no
   Joule heat).
4. **Damage**: Arrhenius Ω (Henriques & Moritz constants by default), CEM43 and peak
   temperature, integrated with the trapezoidal rule in hot cells only
   (:mod:`dermsim.kernels.damage`); zones: coagulation Ω ≥ 1 and sub-lethal heat shock.
5. **Temperature limiter**: the generator lowers its power so that no cell ends a step above
   ``rf.max_tissue_temperature_C`` (100 °C: desiccation and impedance rise, SCIENCE.md §6.1
   [U]; generators with impedance feedback, Wang et al. porcine FRM study [V]) — exact per
   step because the step is affine in the Joule scale — or, with ``limiter = "cutoff"``, ends
   the sub-pulse when the limit is reached.

2-D ↔ 3-D mapping. The slice is a row of pins of in-plane spacing ``p`` (the tip's pin pitch);
every field is uniform over an out-of-plane depth ``f p`` per pin. By default
(``match_pin_surface = true``) ``f = π d / (2 p)``: the two faces of the slice electrode have
the lateral surface area ``π d`` per length of the real pin, which reproduces the V12 zone
sizes; otherwise ``f = rf.out_of_plane_factor`` (1 = the square lattice cell, as the
penetration stage does for puncture density). A power per unit length ``P'`` [W/m] of one
pin's share of the slice corresponds to ``P_pin = P' f p``, a 2-D area ``A`` to a volume
``A f p``, and volume fractions per depth band are the 2-D area fractions × f. The device power
``P`` [W] is spread evenly over the tip's pins. The needle metal (steel) is represented with
its conductivity and heat capacity scaled so that the slice blade has the real pin's axial
conductance and heat capacity per length.

References
----------
Pennes H.H. (1948) J Appl Physiol 1:93 [V citation]. Henriques F.C., Moritz A.R. (1947) Am J
Pathol 23:531 (constants via public bioheat codes [S]). Sapareto S.A., Dewey W.C. (1984) Int J
Radiat Oncol Biol Phys 10:787 (CEM43). Gabriel S. et al. (1996) Phys Med Biol 41:2271 (σ, εr).
Weaver J.A., Stoll A.M. (1969) Aerosp Med 40:24 [U values]. Ruge J.W., Stüben K. (1987)
Algebraic multigrid, in Multigrid Methods, SIAM. SCIENCE.md §1.2, §1.3, §6; PERFORMANCE.md §2.
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
import time as _time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from dermsim.blas import single_threaded_blas
from dermsim.errors import ConfigError
from dermsim.parameters import card, param_field, validate_dataclass

if TYPE_CHECKING:  # pragma: no cover
    import matplotlib.figure
    import xarray as xr

    from dermsim.devices import RFTip
    from dermsim.tissue import Grid

__all__ = [
    "ARRHENIUS_SETS",
    "RF_PRESETS",
    "ArrheniusConstants",
    "BioheatModel",
    "DamageAccumulator",
    "ElectrodeLayout",
    "PotentialField",
    "PotentialProblem",
    "RFConfig",
    "arrhenius_constants",
    "band_fractions",
    "default_rf_config",
    "figure_rf",
    "layout_for_tip",
    "pennes_steady_state",
    "rasterise_electrodes",
    "robin_conductance",
    "simulate_rf_pulse",
    "solve_potential",
    "solve_potential_complex",
    "zone_metrics",
]

GAS_CONSTANT = 8.314  # J/mol/K, the value used with the Henriques constants (SCIENCE.md App. A)
EPS0 = 8.8541878128e-12  # F/m
KELVIN = 273.15

# ------------------------------------------------------------------------------------------------
# parameter cards
# ------------------------------------------------------------------------------------------------

FREQUENCY = card("rf.frequency_MHz", 1.0, "MHz", 0.4, 2.0,
                 "devices 0.5, 1, 2 MHz (Cho 2024; Wootten 2020) [V]", "V",
                 "RF carrier frequency (sets σ and εr by Gabriel 1996 interpolation)")
POWER = card("rf.power_W", 15.0, "W", 0.1, 100.0,
             "up to 35-50 W (SCIENCE.md §6.3) [U]; 15 W x 100 ms = 31 mJ/pin on 49 pins "
             "(V12 window 10-50 mJ/pin), 60 mJ/pin on 25 pins (range 1-100 mJ/pin) [C]", "U",
             "generator power over the whole tip (maximum power under temperature control)")
VOLTAGE = card("rf.voltage_V", 40.0, "V", 1.0, 500.0, "assumption (RMS)", "A",
               "RMS voltage between neighbouring pins (bipolar) or pins and pad (monopolar)")
CONDUCTION = card("rf.conduction_time_ms", 100.0, "ms", 1.0, 30000.0,
                  "10-1000 ms single pulses; Profound 1-25 s (SCIENCE.md §6.3) [V]/[U]", "U",
                  "total RF-on time (sum of sub-pulses)")
SUB_PULSES = card("rf.sub_pulses", 1, "-", 1, 100,
                  "5000 ms in 10 sub-pulses (Cho et al. CCID 2024) [V]", "V",
                  "number of equal sub-pulses the conduction time is split into", integer=True)
SUB_GAP = card("rf.sub_pulse_gap_ms", 50.0, "ms", 0.0, 5000.0, "assumption", "A",
               "off time between sub-pulses")
SETPOINT = card("rf.setpoint_C", 72.0, "degC", 40.0, 95.0,
                "Profound 60-80 °C, standard 72 °C x 4 s (Hantash 2009) [V]", "V",
                "electrode temperature held by the temperature controller")
CTRL_BAND = card("rf.controller_band_K", 4.0, "K", 0.2, 50.0, "controller tuning", "A",
                 "proportional band of the PI temperature controller (full power at this error)")
CTRL_INT = card("rf.controller_integral_ms", 200.0, "ms", 5.0, 10000.0, "controller tuning", "A",
                "integral time of the PI temperature controller")
AIR_H = card("rf.air_h_W_m2K", 10.0, "W/m2/K", 0.0, 100.0,
             "public bioheat codes (SCIENCE.md §6.1) [S]", "S", "skin-air convection coefficient")
AIR_T = card("rf.air_temperature_C", 25.0, "degC", 0.0, 45.0, "SCIENCE.md §6.1 [S]", "S",
             "air temperature")
CONTACT_H = card("rf.contact_h_W_m2K", 1000.0, "W/m2/K", 50.0, 10000.0,
                 "contact cooling 500-2000 W/m2/K (SCIENCE.md §6.1) [U]", "U",
                 "contact-cooling plate heat-transfer coefficient")
CONTACT_T = card("rf.contact_temperature_C", 10.0, "degC", 0.0, 30.0,
                 "Peltier plate 5-20 °C (SCIENCE.md §6.1) [U]", "U", "cooling plate temperature")
PRECOOL = card("rf.contact_precool_s", 1.0, "s", 0.0, 30.0, "assumption", "A",
               "contact cooling applied before the first pulse (then kept to the end)")
ARTERIAL = card("rf.arterial_temperature_C", 37.0, "degC", 35.0, 39.0, "Pennes 1948 [V]", "V",
                "arterial blood temperature")
DEEP_T = card("rf.deep_temperature_C", 37.0, "degC", 30.0, 39.0, "SCIENCE.md §6.1 [S]", "S",
              "temperature of the deep boundary")
ARR_A = card("rf.arrhenius_A_per_s", 3.1e98, "1/s", 1e20, 1e150,
             "Henriques & Moritz 1947 via public codes (SCIENCE.md §6.1) [S]", "S",
             "Arrhenius frequency factor (used when arrhenius = 'custom')")
ARR_EA = card("rf.arrhenius_Ea_J_mol", 6.28e5, "J/mol", 1e5, 1e6,
              "Henriques & Moritz 1947 via public codes (SCIENCE.md §6.1) [S]", "S",
              "Arrhenius activation energy (used when arrhenius = 'custom')")
ARR_GATE = card("rf.arrhenius_gate_C", 43.0, "degC", 37.0, 50.0,
                "rate 5.5e-6 1/s at 43 °C with Henriques constants [C]", "C",
                "Arrhenius rate is evaluated only above this temperature")
CEM_GATE = card("rf.cem43_gate_C", 39.0, "degC", 37.0, 43.0,
                "CEM43 rate < 0.0039 min/min below 39 °C [C]", "C",
                "CEM43 dose is accumulated only above this temperature")
HEAT_SHOCK = card("rf.heat_shock_C", 45.0, "degC", 40.0, 55.0,
                  "sub-lethal heat shock 45-55 °C; 50 % fibroblast apoptosis at 45 °C x 10 min "
                  "(SCIENCE.md §6.2, PMC2808017) [C]", "C",
                  "peak temperature defining the heat-shock zone (outside the coagulation zone)")
SIGMA_TC = card("rf.sigma_temp_coeff_per_K", 0.0, "1/K", 0.0, 0.05,
                "+1.5-2 %/K (SCIENCE.md §1.3) [U]; 0 switches σ(T) off", "U",
                "relative temperature coefficient of the electrical conductivity")
SIGMA_UPD = card("rf.sigma_update_K", 2.0, "K", 0.1, 20.0, "numerics choice", "A",
                 "re-solve the potential when a cell warmed by this much since the last solve")
COOL_TIME = card("rf.cooling_time_s", 2.0, "s", 0.0, 60.0, "numerics choice", "A",
                 "simulated cooling after the last pulse")
DT_PULSE = card("rf.dt_pulse_ms", 5.0, "ms", 0.1, 20.0,
                "PR-ADI at 5 ms: peak error 0.004 K (PERFORMANCE.md §2) [C]", "C",
                "time step while RF is on")
DT_COOL = card("rf.dt_cooling_max_ms", 50.0, "ms", 1.0, 1000.0,
               "multirate 5/50 ms: area error <= 0.7 % (PERFORMANCE.md §2) [C]", "C",
               "largest time step while RF is off (steps double from dt_pulse)")
RESTART = card("rf.restart_steps", 2, "-", 1, 8, "Rannacher 1984 [V]; PERFORMANCE.md §2", "A",
               "L-stable backward-Euler half-steps after every pulse on/off", integer=True)
OUT_OF_PLANE = card("rf.out_of_plane_factor", 1.0, "-", 0.1, 1.0,
                    "slice mapping: 1 = pin spacing, as for puncture density [A]; "
                    "pi d / (2 p) keeps the pin's electrode surface area [C]", "A",
                    "out-of-plane depth carried by each pin, as a fraction of the pin spacing")
NEEDLE_K = card("rf.needle_k_W_mK", 16.0, "W/m/K", 1.0, 400.0,
                "stainless steel 14-16 W/m/K (AISI 304, handbook value) [S]", "S",
                "thermal conductivity of the needle metal")
NEEDLE_RHO_C = card("rf.needle_rho_c_J_m3K", 3.95e6, "J/m3/K", 1e6, 5e6,
                    "stainless steel 7900 kg/m3 x 500 J/kg/K [S]", "S",
                    "volumetric heat capacity of the needle metal")
MAX_TISSUE_T = card("rf.max_tissue_temperature_C", 100.0, "degC", 50.0, 200.0,
                    "tissue desiccation and impedance rise near 100 °C: treat T -> 100 °C as a "
                    "hard limit (SCIENCE.md §6.1) [U]", "U",
                    "hottest tissue temperature the generator's power limiter allows")
POT_RTOL = card("rf.potential_rtol", 1e-10, "-", 1e-14, 1e-4, "numerics choice", "A",
                "relative residual tolerance of the AMG-CG potential solve")

ARRHENIUS_CHOICES = ("henriques", "weaver_stoll", "collagen_pearce", "custom")
MODES = ("device", "bipolar", "monopolar")
CONTROLS = ("power", "voltage", "temperature")
COOLINGS = ("air", "contact")
POTENTIAL_SOLVERS = ("amg", "splu")
LIMITERS = ("power", "cutoff", "off")


@dataclass(frozen=True)
class RFConfig:
    """Settings of one RF-microneedling delivery (the scenario's ``[rf]`` table).

    Attributes
    ----------
    mode
        ``"device"`` (the tip's ``bipolar`` flag decides), ``"bipolar"`` or ``"monopolar"``.
    frequency_MHz
        Carrier frequency [MHz]; σ and εr of each layer are taken at this frequency.
    control
        ``"power"`` (constant generator power ``power_W``), ``"voltage"`` (constant RMS
        ``voltage_V``) or ``"temperature"`` (PI control of the electrode temperature to
        ``setpoint_C`` with at most ``power_W``).
    conduction_time_ms, sub_pulses, sub_pulse_gap_ms
        Total RF-on time split into equal sub-pulses separated by gaps.
    cooling
        ``"air"`` (convection ``air_h_W_m2K`` to ``air_temperature_C``) or ``"contact"``
        (plate ``contact_h_W_m2K`` at ``contact_temperature_C`` from ``contact_precool_s``
        before the first pulse to the end).
    perfusion_shutdown
        Stop perfusion in cells once Ω ≥ 1 (coagulated vessels; common practice [U]).
    arrhenius
        Damage constants: ``"henriques"`` (default, [S]), ``"weaver_stoll"`` (piecewise, [U]),
        ``"collagen_pearce"`` (collagen birefringence loss, [U]) or ``"custom"``
        (``arrhenius_A_per_s``, ``arrhenius_Ea_J_mol``).
    complex_conductivity
        Solve the potential with σ + iωε0εr (sparse direct; to measure the σ-only error).
    potential_solver
        ``"amg"`` (pyamg Ruge–Stüben + CG) or ``"splu"`` (SuperLU), for the real problem.
    limiter
        What the generator does when the hottest tissue cell would pass
        ``max_tissue_temperature_C`` (desiccation and impedance rise, SCIENCE.md §6.1 [U]):
        ``"power"`` (default) lowers the power of that step so the hottest cell ends it at the
        limit; ``"cutoff"`` does the same for that step and then ends the sub-pulse (impedance
        cut-off); ``"off"`` delivers the set power regardless (peak flagged above 100 °C).
    match_pin_surface
        2-D ↔ 3-D mapping: the out-of-plane depth per pin is ``f p`` with ``f = π d / (2 p)``,
        so the slice electrode has the lateral surface area of the real pin (default, it
        reproduces the V12 zone sizes); ``false`` uses ``out_of_plane_factor``.

    The remaining fields are parameter cards (see ``docs/model.md §8``).
    """

    mode: str = "device"
    frequency_MHz: float = param_field(FREQUENCY)
    control: str = "power"
    power_W: float = param_field(POWER)
    voltage_V: float = param_field(VOLTAGE)
    conduction_time_ms: float = param_field(CONDUCTION)
    sub_pulses: int = param_field(SUB_PULSES)
    sub_pulse_gap_ms: float = param_field(SUB_GAP)
    setpoint_C: float = param_field(SETPOINT)
    controller_band_K: float = param_field(CTRL_BAND)
    controller_integral_ms: float = param_field(CTRL_INT)
    cooling: str = "air"
    air_h_W_m2K: float = param_field(AIR_H)
    air_temperature_C: float = param_field(AIR_T)
    contact_h_W_m2K: float = param_field(CONTACT_H)
    contact_temperature_C: float = param_field(CONTACT_T)
    contact_precool_s: float = param_field(PRECOOL)
    arterial_temperature_C: float = param_field(ARTERIAL)
    deep_temperature_C: float = param_field(DEEP_T)
    perfusion_shutdown: bool = True
    arrhenius: str = "henriques"
    arrhenius_A_per_s: float = param_field(ARR_A)
    arrhenius_Ea_J_mol: float = param_field(ARR_EA)
    arrhenius_gate_C: float = param_field(ARR_GATE)
    cem43_gate_C: float = param_field(CEM_GATE)
    heat_shock_C: float = param_field(HEAT_SHOCK)
    sigma_temp_coeff_per_K: float = param_field(SIGMA_TC)
    sigma_update_K: float = param_field(SIGMA_UPD)
    complex_conductivity: bool = False
    potential_solver: str = "amg"
    potential_rtol: float = param_field(POT_RTOL)
    cooling_time_s: float = param_field(COOL_TIME)
    dt_pulse_ms: float = param_field(DT_PULSE)
    dt_cooling_max_ms: float = param_field(DT_COOL)
    restart_steps: int = param_field(RESTART)
    out_of_plane_factor: float = param_field(OUT_OF_PLANE)
    match_pin_surface: bool = True
    needle_conduction: bool = True
    needle_k_W_mK: float = param_field(NEEDLE_K)
    needle_rho_c_J_m3K: float = param_field(NEEDLE_RHO_C)
    limiter: str = "power"
    max_tissue_temperature_C: float = param_field(MAX_TISSUE_T)

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        """Check every field; raise :class:`~dermsim.errors.ConfigError` on a bad value."""
        for name, allowed in (("mode", MODES), ("control", CONTROLS), ("cooling", COOLINGS),
                              ("arrhenius", ARRHENIUS_CHOICES),
                              ("potential_solver", POTENTIAL_SOLVERS),
                              ("limiter", LIMITERS)):
            value = getattr(self, name)
            if value not in allowed:
                raise ConfigError(f"rf.{name}", value, f"one of {list(allowed)}")
        for name in ("perfusion_shutdown", "complex_conductivity", "match_pin_surface",
                     "needle_conduction"):
            if not isinstance(getattr(self, name), bool):
                raise ConfigError(f"rf.{name}", getattr(self, name), "true or false")
        validate_dataclass(self, "rf")

    def replace(self, **changes: Any) -> RFConfig:
        """A copy with fields changed (validated)."""
        return dataclasses.replace(self, **changes)

    def bipolar(self, tip: RFTip | None = None) -> bool:
        """Whether the delivery is bipolar (``mode`` or, for ``"device"``, the tip's flag)."""
        if self.mode == "device":
            return bool(getattr(tip, "bipolar", True))
        return self.mode == "bipolar"


#: RF settings modelled on SCIENCE.md §2.3/§6.3, paired with the device presets of the same
#: name in :data:`dermsim.devices.DEVICE_PRESETS` (see :func:`default_rf_config`).
RF_PRESETS: dict[str, tuple[RFConfig, str]] = {
    "rf_insulated_49": (
        RFConfig(frequency_MHz=1.0, control="power", power_W=15.0, conduction_time_ms=100.0),
        "49-pin insulated 1 MHz bipolar tip, 15 W x 100 ms ≈ 31 mJ/pin (V12 window 10-50 mJ); "
        "the generic [rf] defaults",
    ),
    "rf_noninsulated_25": (
        RFConfig(frequency_MHz=1.0, control="power", power_W=15.0, conduction_time_ms=100.0),
        "25 non-insulated pins, same generator setting (60 mJ/pin): heats the whole track "
        "incl. the epidermis; the generic [rf] defaults",
    ),
    "rf_profound_5pair": (
        RFConfig(frequency_MHz=1.0, control="temperature", setpoint_C=72.0, power_W=10.0,
                 conduction_time_ms=4000.0, cooling="contact", contact_h_W_m2K=2000.0,
                 contact_temperature_C=5.0, cooling_time_s=4.0, dt_cooling_max_ms=100.0),
        "5 bipolar pairs, electrodes held at 72 °C for 4 s by temperature feedback "
        "(Hantash 2009 [V]) with contact cooling at the strong end of the [U] range "
        "(2000 W/m2K, 5 °C; needed in the slab model to spare the epidermis, "
        "docs/model.md §8 §4)",
    ),
    "rf_subpulsed_10x500": (
        RFConfig(frequency_MHz=1.0, control="power", power_W=10.0, conduction_time_ms=5000.0,
                 sub_pulses=10, sub_pulse_gap_ms=100.0, cooling="contact", cooling_time_s=3.0,
                 dt_cooling_max_ms=50.0),
        "5000 ms in 10 sub-pulses with contact cooling (Cho et al. CCID 2024 [V])",
    ),
}


def default_rf_config(device_preset: str | None = None) -> RFConfig:
    """RF settings a scenario should start from before its ``[rf]`` table is applied.

    Parameters
    ----------
    device_preset : str, optional
        Name of the device preset (``[device] preset``).

    Returns
    -------
    RFConfig
        The paired entry of :data:`RF_PRESETS` if there is one, otherwise ``RFConfig()``.
    """
    if device_preset is not None and device_preset in RF_PRESETS:
        return RF_PRESETS[device_preset][0]
    return RFConfig()


# ------------------------------------------------------------------------------------------------
# Arrhenius constants and damage accumulation
# ------------------------------------------------------------------------------------------------


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
        "Henriques & Moritz 1947, A = 3.1e98 1/s, Ea = 6.28e5 J/mol (SCIENCE.md §6.1) [S]"),
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
        Rates are evaluated only above these temperatures [K] (see :mod:`dermsim.kernels.damage`).
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
            from dermsim.kernels.damage import damage_step_reference as fn
        else:
            from dermsim.kernels.damage import damage_step as fn
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
# ------------------------------------------------------------------------------------------------

TISSUE, ELECTRODE, INSULATED = 0, 1, 2


@dataclass(frozen=True, eq=False)
class ElectrodeLayout:
    """Pins rasterised on the grid.

    Attributes
    ----------
    kind : (nz, nx) int8
        0 tissue, 1 exposed electrode (Dirichlet), 2 insulated shaft (non-conducting).
    pin : (nz, nx) int16
        Index of the pin occupying the cell, -1 in tissue.
    potential : (nz, nx) float64
        Electrode potential per volt of the setting (±0.5 bipolar, 1 monopolar), 0 elsewhere.
    ground_bottom : bool
        Deep boundary is the 0-V return pad (monopolar).
    pin_x_m : (n_pins,) float64
        Pin centres [m].
    polarity : (n_pins,) float64
        Unit potential of each pin.
    depth_m, exposed_length_m, diameter_m, spacing_m : float
        Pin tip depth, exposed length inside tissue, shaft diameter and in-plane spacing [m].
    """

    kind: np.ndarray
    pin: np.ndarray
    potential: np.ndarray
    ground_bottom: bool
    pin_x_m: np.ndarray
    polarity: np.ndarray
    depth_m: float
    exposed_length_m: float
    diameter_m: float
    spacing_m: float

    @property
    def n_pins(self) -> int:
        return int(self.pin_x_m.size)

    def key(self) -> bytes:
        """Digest of the geometry (for caching)."""
        hs = hashlib.sha1()
        hs.update(self.kind.tobytes())
        hs.update(self.potential.tobytes())
        hs.update(bytes([self.ground_bottom]))
        return hs.digest()

    def sensor_mask(self) -> np.ndarray:
        """Tissue cells sharing a face with an exposed electrode cell (electrode surface)."""
        e = self.kind == ELECTRODE
        nb = np.zeros_like(e)
        nb |= np.roll(e, 1, axis=1) | np.roll(e, -1, axis=1)
        nb[1:] |= e[:-1]
        nb[:-1] |= e[1:]
        return nb & (self.kind == TISSUE)


def rasterise_electrodes(
    nz: int,
    nx: int,
    h: float,
    pin_x_m: np.ndarray,
    polarity: np.ndarray,
    depth_m: float | np.ndarray,
    exposed_length_m: float,
    diameter_m: float,
    tip_length_m: float = 0.0,
    ground_bottom: bool = False,
    spacing_m: float | None = None,
) -> ElectrodeLayout:
    """Rasterise pins (vertical, from the surface to their tip depth) onto a periodic grid.

    Parameters
    ----------
    nz, nx, h
        Grid shape and cell size [m].
    pin_x_m, polarity
        Pin centres [m] and unit potentials (±0.5 bipolar, 1 monopolar).
    depth_m
        Depth of the pin tips below the surface [m], one value or one per pin; pins shallower
        than half a cell occupy no cell.
    exposed_length_m
        Conducting length above each tip [m] (the rest, up to the surface, is insulated).
    diameter_m
        Shaft width in the slice [m] (at least one cell).
    tip_length_m
        Length of the conical tip over which the width tapers linearly to zero [m].
    ground_bottom
        Deep boundary at 0 V (monopolar return pad).
    spacing_m
        In-plane pin spacing [m] (default: slice width / number of pins).

    Returns
    -------
    ElectrodeLayout
    """
    pin_x_m = np.atleast_1d(np.asarray(pin_x_m, dtype=np.float64))
    polarity = np.broadcast_to(np.asarray(polarity, dtype=np.float64), pin_x_m.shape).copy()
    depths = np.broadcast_to(np.asarray(depth_m, dtype=np.float64), pin_x_m.shape)
    if np.any(depths > nz * h) or np.any(depths < 0):
        raise ValueError(f"pin depths {depths} m outside the grid depth [0, {nz * h}]")
    x = (np.arange(nx) + 0.5) * h
    z = (np.arange(nz) + 0.5) * h
    width = nx * h
    kind = np.zeros((nz, nx), np.int8)
    pin = np.full((nz, nx), -1, np.int16)
    pot = np.zeros((nz, nx))
    for p, (xp, pol, d) in enumerate(zip(pin_x_m, polarity, depths, strict=True)):
        dx = np.abs((x - xp + 0.5 * width) % width - 0.5 * width)
        jnear = int(np.argmin(dx))
        exposed_top = d - min(exposed_length_m, d)
        for i in np.nonzero(z < d)[0]:
            w = diameter_m
            if tip_length_m > 0:
                w *= min(1.0, (d - z[i]) / tip_length_m)
            cols = np.nonzero(dx <= 0.5 * w)[0]
            if cols.size == 0:
                cols = np.array([jnear])
            exposed = z[i] >= exposed_top
            kind[i, cols] = ELECTRODE if exposed else INSULATED
            pin[i, cols] = p
            if exposed:
                pot[i, cols] = pol
    if spacing_m is None:
        spacing_m = width / max(1, pin_x_m.size)
    dmax = float(depths.max()) if depths.size else 0.0
    return ElectrodeLayout(kind, pin, pot, bool(ground_bottom), pin_x_m, polarity, dmax,
                           float(min(exposed_length_m, dmax)), float(diameter_m),
                           float(spacing_m))


def layout_for_tip(nz: int, nx: int, h: float, tip: RFTip, depth_m: float | np.ndarray,
                   bipolar: bool,
                   pin_x_m: np.ndarray | None = None) -> tuple[ElectrodeLayout, int]:
    """Electrode layout of an RF tip on an ``(nz, nx)`` grid, and the lateral tiling used.

    Pins sit at ``pin_x_m`` (e.g. the penetration stage's puncture positions) or, by default,
    at ``(k + 1/2) W / n`` with ``n = round(W / pitch)`` pins in the slice of width ``W``. A
    bipolar slice needs an even ``n`` for the ± alternation to be periodic; if ``n`` is odd,
    the layout is built on the grid tiled twice laterally (``tiling = 2``; pin k + n is pin k
    shifted by ``W`` with the opposite polarity). Reversing every polarity leaves the Joule
    heat unchanged, so the first ``nx`` columns of the tiled solution are the ``W``-periodic
    solution on the original grid.

    The part of a pin inside the tissue is the distal ``depth``; its exposed length is
    ``min(tip.exposed_length_um, depth)`` at the distal end (insulation measured from the face).
    """
    width = nx * h
    if pin_x_m is None:
        n = max(1, round(width / (tip.pin_pitch_um * 1e-6)))
        xs = (np.arange(n) + 0.5) * width / n
    else:
        xs = np.asarray(pin_x_m, dtype=np.float64) % width
        n = xs.size
    depths = np.broadcast_to(np.asarray(depth_m, dtype=np.float64), (n,))
    tiling = 2 if (bipolar and n % 2 == 1) else 1
    xs_t = np.concatenate([xs + k * width for k in range(tiling)])
    d_t = np.tile(depths, tiling)
    n_t = n * tiling
    pol = np.where(np.arange(n_t) % 2 == 0, 0.5, -0.5) if bipolar else np.ones(n_t)
    layout = rasterise_electrodes(
        nz, nx * tiling, h, xs_t, pol, d_t, tip.exposed_length_um * 1e-6,
        tip.needle_diameter_um * 1e-6, tip.tip_length_um * 1e-6, ground_bottom=not bipolar,
        spacing_m=width / n)
    return layout, tiling


# ------------------------------------------------------------------------------------------------
# potential
# ------------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class PotentialField:
    """Solution of the potential problem for a unit setting (V = 1 V RMS).

    Attributes
    ----------
    phi : (nz, nx) array
        Potential per volt [-] (complex for the complex-conductivity model); NaN in insulated
        cells.
    joule : (nz, nx) array
        Time-averaged Joule heat per V² [W/m³/V²] (0 in electrode and insulated cells).
    power_per_m : float
        Total dissipated power per unit length in y per V² [W/m/V²].
    current_per_m : float
        RMS current leaving the positive electrodes per unit length in y per volt [A/m/V]
        (magnitude for the complex model).
    iterations : int
        Krylov iterations (0 for direct solves).
    setup_s, solve_s : float
        Wall time of the hierarchy/factorisation setup and of the solve [s].
    method : str
        ``"amg"``, ``"splu"`` or ``"complex-splu"``.
    """

    phi: np.ndarray
    joule: np.ndarray
    power_per_m: float
    current_per_m: float
    iterations: int
    setup_s: float
    solve_s: float
    method: str


def _faces(sig: np.ndarray, kind: np.ndarray,
           ground_bottom: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Face conductances G [S per m in y] for x faces (nz, nx), interior z faces (nz-1, nx)
    and the bottom faces (nx,) (to the 0-V pad, monopolar)."""
    t = kind == TISSUE
    e = kind == ELECTRODE
    s = np.where(t, sig, 0.0)

    def pair(a_t, a_e, sa, b_t, b_e, sb):
        ssum = sa + sb
        hm = np.divide(2.0 * sa * sb, ssum, out=np.zeros_like(ssum), where=(a_t & b_t))
        g = np.where(a_t & b_t, hm, 0.0)
        g = np.where(a_t & b_e, 2.0 * sa, g)
        g = np.where(a_e & b_t, 2.0 * sb, g)
        return g

    gx = pair(t, e, s, np.roll(t, -1, 1), np.roll(e, -1, 1), np.roll(s, -1, 1))
    gz = pair(t[:-1], e[:-1], s[:-1], t[1:], e[1:], s[1:])
    gb = 2.0 * s[-1] if ground_bottom else np.zeros(sig.shape[1], dtype=s.dtype)
    return gx, gz, gb


def _assemble(sig: np.ndarray, layout: ElectrodeLayout) -> tuple[sp.csr_matrix, np.ndarray,
                                                                np.ndarray, tuple]:
    """Matrix and right-hand side of the potential problem for unit setting."""
    kind = layout.kind
    nz, nx = kind.shape
    t = (kind == TISSUE).ravel()
    idx = np.full(nz * nx, -1, np.int64)
    idx[t] = np.arange(int(t.sum()))
    n = int(t.sum())
    flat = np.arange(nz * nx).reshape(nz, nx)
    gx, gz, gb = _faces(sig, kind, layout.ground_bottom)
    a_list = [flat.ravel(), flat[:-1].ravel()]
    b_list = [np.roll(flat, -1, 1).ravel(), flat[1:].ravel()]
    g_list = [gx.ravel(), gz.ravel()]
    a = np.concatenate(a_list)
    b = np.concatenate(b_list)
    g = np.concatenate(g_list)
    nzmask = g != 0
    a, b, g = a[nzmask], b[nzmask], g[nzmask]
    ia, ib = idx[a], idx[b]
    pot = layout.potential.ravel()
    diag = np.zeros(n, dtype=g.dtype)
    rhs = np.zeros(n, dtype=g.dtype)
    tt = (ia >= 0) & (ib >= 0)
    te = (ia >= 0) & (ib < 0)
    et = (ia < 0) & (ib >= 0)
    np.add.at(diag, ia[tt], g[tt])
    np.add.at(diag, ib[tt], g[tt])
    np.add.at(diag, ia[te], g[te])
    np.add.at(rhs, ia[te], g[te] * pot[b[te]])
    np.add.at(diag, ib[et], g[et])
    np.add.at(rhs, ib[et], g[et] * pot[a[et]])
    if layout.ground_bottom:
        bottom = flat[-1]
        ok = idx[bottom] >= 0
        np.add.at(diag, idx[bottom[ok]], gb[ok])
    off_r = np.concatenate([ia[tt], ib[tt]])
    off_c = np.concatenate([ib[tt], ia[tt]])
    off_v = -np.concatenate([g[tt], g[tt]])
    mat = sp.csr_matrix((np.concatenate([diag, off_v]),
                         (np.concatenate([np.arange(n), off_r]),
                          np.concatenate([np.arange(n), off_c]))), shape=(n, n))
    return mat, rhs, idx, (a, b, g, gb)


def _joule(phi_full: np.ndarray, layout: ElectrodeLayout,
           faces: tuple) -> tuple[np.ndarray, float, float]:
    """Cell Joule heat per V² [W/m³ without the 1/h² factor applied later], total, current."""
    a, b, g, gb = faces
    kind = layout.kind.ravel()
    nz, nx = layout.kind.shape
    p = phi_full.ravel()
    d = p[a] - p[b]
    diss = (np.real(g) * np.abs(d) ** 2)
    q = np.zeros(nz * nx)
    ta = kind[a] == TISSUE
    tb = kind[b] == TISSUE
    both = ta & tb
    np.add.at(q, a[both], 0.5 * diss[both])
    np.add.at(q, b[both], 0.5 * diss[both])
    np.add.at(q, a[ta & ~tb], diss[ta & ~tb])
    np.add.at(q, b[tb & ~ta], diss[tb & ~ta])
    if layout.ground_bottom:
        bottom = np.arange((nz - 1) * nx, nz * nx)
        ok = kind[bottom] == TISSUE
        q[bottom[ok]] += np.real(gb[ok]) * np.abs(p[bottom[ok]]) ** 2
    # current out of the positive electrodes
    pos = layout.potential.ravel() > 0
    cur = 0.0 + 0.0j
    m1 = pos[a] & tb
    m2 = pos[b] & ta
    cur += np.sum(g[m1] * (p[a[m1]] - p[b[m1]]))
    cur += np.sum(g[m2] * (p[b[m2]] - p[a[m2]]))
    return q.reshape(nz, nx), float(q.sum()), float(abs(cur))


def _no_current(layout: ElectrodeLayout, method: str) -> PotentialField:
    """Field of a layout without exposed electrode cells (no pin reached the tissue)."""
    shape = layout.kind.shape
    phi = np.where(layout.kind == INSULATED, np.nan, 0.0)
    return PotentialField(phi, np.zeros(shape), 0.0, 0.0, 0, 0.0, 0.0, method)


class PotentialProblem:
    """The potential problem for one electrode layout; keeps the AMG hierarchy for re-solves.

    Parameters
    ----------
    sigma : (nz, nx) array
        Conductivity [S/m] (values in electrode/insulated cells are ignored).
    h : float
        Cell size [m] (the 2-D problem does not depend on it except through the Joule density).
    layout : ElectrodeLayout
        Electrodes.
    method : {"amg", "splu"}
        Solver for the real problem.
    rtol : float
        Relative residual tolerance of AMG-CG.
    """

    def __init__(self, sigma: np.ndarray, h: float, layout: ElectrodeLayout,
                 method: str = "amg", rtol: float = 1e-10) -> None:
        if method not in POTENTIAL_SOLVERS:
            raise ValueError(f"method must be one of {POTENTIAL_SOLVERS}")
        self.h = float(h)
        self.layout = layout
        self.method = method
        self.rtol = float(rtol)
        self._ml: Any = None
        self._lu: Any = None
        self._phi_prev: np.ndarray | None = None
        self.sigma0 = np.asarray(sigma, dtype=np.float64)

    def solve(self, sigma: np.ndarray | None = None) -> PotentialField:
        """Solve for the unit setting with conductivity ``sigma`` (default: the initial one).

        The first call builds the AMG hierarchy (or LU factors); later calls with a different
        ``sigma`` (σ(T) coupling) reuse the hierarchy as a CG preconditioner with a warm start.
        """
        with single_threaded_blas():
            return self._solve(sigma)

    def _solve(self, sigma: np.ndarray | None) -> PotentialField:
        sig = self.sigma0 if sigma is None else np.asarray(sigma, dtype=np.float64)
        if not np.any(self.layout.kind == ELECTRODE):
            return _no_current(self.layout, self.method)
        t0 = _time.perf_counter()
        mat, rhs, idx, faces = _assemble(sig, self.layout)
        iters = 0
        if self.method == "splu":
            lu = spla.splu(mat.tocsc(), permc_spec="MMD_AT_PLUS_A")
            t1 = _time.perf_counter()
            x = lu.solve(rhs)
        else:
            import pyamg

            res: list[float] = []
            if self._ml is None:
                self._ml = pyamg.ruge_stuben_solver(mat)
                t1 = _time.perf_counter()
                x = self._ml.solve(rhs, tol=self.rtol, accel="cg", residuals=res, maxiter=500)
            else:
                t1 = _time.perf_counter()
                m = self._ml.aspreconditioner(cycle="V")
                it = [0]

                def count(_xk: np.ndarray) -> None:
                    it[0] += 1

                x, _info = spla.cg(mat, rhs, x0=self._phi_prev, rtol=self.rtol, M=m,
                                  maxiter=500, callback=count)
                res = [0.0] * (it[0] + 1)
            iters = max(0, len(res) - 1)
        t2 = _time.perf_counter()
        self._phi_prev = x
        phi = np.where(self.layout.kind == INSULATED, np.nan, self.layout.potential).ravel()
        t = idx >= 0
        phi[t] = x[idx[t]]
        phi = phi.reshape(self.layout.kind.shape)
        q, ptot, cur = _joule(np.nan_to_num(phi), self.layout, faces)
        return PotentialField(phi, q / self.h**2, ptot, cur, iters, t1 - t0, t2 - t1,
                              self.method)


_POTENTIAL_CACHE: OrderedDict[bytes, PotentialField] = OrderedDict()
_CACHE_SIZE = 8


def _cache_key(*parts: Any) -> bytes:
    hs = hashlib.sha1()
    for p in parts:
        if isinstance(p, np.ndarray):
            hs.update(np.ascontiguousarray(p).tobytes())
        elif isinstance(p, bytes):
            hs.update(p)
        else:
            hs.update(repr(p).encode())
    return hs.digest()


def solve_potential(sigma: np.ndarray, h: float, layout: ElectrodeLayout, method: str = "amg",
                    rtol: float = 1e-10, use_cache: bool = True) -> PotentialField:
    """Unit-setting potential and Joule heat for a layout (cached per geometry and σ).

    Parameters
    ----------
    sigma : (nz, nx) array
        Conductivity [S/m].
    h : float
        Cell size [m].
    layout : ElectrodeLayout
        Electrodes (``potential`` per volt of the setting).
    method : {"amg", "splu"}
        Linear solver.
    rtol : float
        AMG-CG relative tolerance.
    use_cache : bool
        Reuse a previous solution with identical inputs.

    Returns
    -------
    PotentialField
        φ per volt, Joule heat per V² [W/m³/V²], power per length per V² [W/m/V²].
    """
    key = _cache_key(np.asarray(sigma, np.float64), h, layout.key(), method)
    if use_cache and key in _POTENTIAL_CACHE:
        _POTENTIAL_CACHE.move_to_end(key)
        return _POTENTIAL_CACHE[key]
    sol = PotentialProblem(sigma, h, layout, method, rtol).solve()
    if use_cache:
        _POTENTIAL_CACHE[key] = sol
        while len(_POTENTIAL_CACHE) > _CACHE_SIZE:
            _POTENTIAL_CACHE.popitem(last=False)
    return sol


def solve_potential_complex(sigma: np.ndarray, eps_r: np.ndarray, frequency_hz: float, h: float,
                            layout: ElectrodeLayout) -> PotentialField:
    """Potential with the complex conductivity σ* = σ + iωε0εr (sparse direct solve).

    Face conductances are harmonic means of σ* (series impedance of two half-cells). The
    time-averaged Joule heat per face is Re(G*) |Δφ|² with RMS phasors (SCIENCE.md §6.1).

    Parameters
    ----------
    sigma, eps_r : (nz, nx) arrays
        Conductivity [S/m] and relative permittivity [-].
    frequency_hz : float
        Frequency [Hz].
    h : float
        Cell size [m].
    layout : ElectrodeLayout
        Electrodes.
    """
    if not np.any(layout.kind == ELECTRODE):
        return _no_current(layout, "complex-splu")
    sstar = np.asarray(sigma, np.float64) + 1j * 2.0 * np.pi * frequency_hz * EPS0 * np.asarray(
        eps_r, np.float64)
    t0 = _time.perf_counter()
    mat, rhs, idx, faces = _assemble(sstar, layout)
    with single_threaded_blas():
        lu = spla.splu(mat.tocsc(), permc_spec="MMD_AT_PLUS_A")
        t1 = _time.perf_counter()
        x = lu.solve(rhs.astype(complex))
    t2 = _time.perf_counter()
    phi = np.where(layout.kind == INSULATED, np.nan, layout.potential).astype(complex).ravel()
    t = idx >= 0
    phi[t] = x[idx[t]]
    phi = phi.reshape(layout.kind.shape)
    q, ptot, cur = _joule(np.nan_to_num(phi), layout, faces)
    return PotentialField(phi, q / h**2, ptot, cur, 0, t1 - t0, t2 - t1, "complex-splu")


# ------------------------------------------------------------------------------------------------
# bioheat
# ------------------------------------------------------------------------------------------------


def robin_conductance(h_conv: np.ndarray | float, k_cell: np.ndarray, h: float) -> np.ndarray:
    """Conductance [W/m²/K] from a boundary cell centre to an ambient through a film coefficient.

    Series of the half-cell conduction ``k/(h/2)`` and the film ``h_conv``; ``h_conv = inf``
    gives a Dirichlet value on the face, ``0`` no flux.
    """
    k_cell = np.asarray(k_cell, dtype=np.float64)
    hc = np.broadcast_to(np.asarray(h_conv, dtype=np.float64), k_cell.shape)
    half = 2.0 * k_cell / h
    with np.errstate(divide="ignore", invalid="ignore"):
        g = np.where(np.isinf(hc), half, np.where(hc > 0, 1.0 / (1.0 / np.where(hc > 0, hc, 1.0)
                                                                 + 1.0 / half), 0.0))
    return g


def pennes_steady_state(h: float, k: np.ndarray, sink: np.ndarray, t_arterial: float,
                        g_top: np.ndarray | float, t_top: float, g_bottom: np.ndarray | float,
                        t_bottom: float, q: np.ndarray | None = None) -> np.ndarray:
    """Steady Pennes temperature: 0 = ∇·(k∇T) + S (T_a - T) + q with Robin top/bottom faces.

    Same finite-volume discretisation as :class:`dermsim.solvers.ADISolver` (harmonic faces,
    periodic x). A laterally uniform problem is solved as one column (tridiagonal), otherwise
    with pyamg Ruge–Stüben + CG.

    Parameters
    ----------
    h : float
        Cell size [m].
    k : (nz, nx) array
        Thermal conductivity [W/m/K].
    sink : (nz, nx) array
        Perfusion coefficient S = ω_b ρ_b c_b [W/m³/K].
    t_arterial : float
        Arterial temperature (same unit as the result).
    g_top, g_bottom : float or (nx,) array
        Boundary conductances [W/m²/K] (see :func:`robin_conductance`).
    t_top, t_bottom : float
        Ambient temperatures beyond the top and bottom faces.
    q : (nz, nx) array, optional
        Volumetric heat source [W/m³].

    Returns
    -------
    (nz, nx) array
        Temperature.
    """
    from dermsim.solvers import assemble_operator
    from dermsim.tissue import face_coefficients

    k = np.asarray(k, dtype=np.float64)
    sink = np.broadcast_to(np.asarray(sink, dtype=np.float64), k.shape)
    nz, nx = k.shape
    gt = np.broadcast_to(np.asarray(g_top, dtype=np.float64), (nx,))
    gb = np.broadcast_to(np.asarray(g_bottom, dtype=np.float64), (nx,))
    qq = np.zeros(k.shape) if q is None else np.broadcast_to(np.asarray(q, np.float64), k.shape)
    uniform = (np.all(k == k[:, :1]) and np.all(sink == sink[:, :1]) and np.all(gt == gt[0])
               and np.all(gb == gb[0]) and np.all(qq == qq[:, :1]))
    if uniform:
        kc = k[:, :1]
        fx, fz = face_coefficients(kc)
        mat, aff = assemble_operator(h, fx, fz, sink[:, :1], gt[:1], gb[:1], t_top, t_bottom)
        rhs = aff + (sink[:, 0] * t_arterial + qq[:, 0])
        col = spla.spsolve((-mat).tocsc(), rhs)
        return np.ascontiguousarray(np.broadcast_to(col[:, None], (nz, nx)))
    import pyamg

    fx, fz = face_coefficients(k)
    mat, aff = assemble_operator(h, fx, fz, sink, gt, gb, t_top, t_bottom)
    rhs = aff + (sink * t_arterial + qq).ravel()
    a = (-mat).tocsr()
    with single_threaded_blas():
        ml = pyamg.ruge_stuben_solver(a)
        x = ml.solve(rhs, tol=1e-12, accel="cg", maxiter=500)
    return x.reshape(nz, nx)


def _dot(a: np.ndarray, b: np.ndarray) -> float:
    """Sum of the elementwise product without BLAS.

    BLAS dot products wake OpenBLAS worker threads that then spin while the numba ADI sweeps
    run; on 2 cores that made a step 5x slower (benchmarks/bench_rf.py).
    """
    return float(np.einsum("ij,ij->", a, b))


@dataclass
class EnergyLedger:
    """Energy budget per metre in y [J/m] since the start of the RF timeline."""

    joule: float = 0.0
    boundary_in: float = 0.0
    perfusion_out: float = 0.0
    stored_start: float = 0.0
    stored: float = 0.0

    @property
    def residual(self) -> float:
        """stored change - (Joule + boundary inflow - perfusion loss) [J/m]."""
        return (self.stored - self.stored_start) - (self.joule + self.boundary_in
                                                    - self.perfusion_out)


class BioheatModel:
    """Pennes bioheat on the grid, stepped with :class:`dermsim.solvers.ADISolver`.

    Parameters
    ----------
    h : float
        Cell size [m].
    rho_c : (nz, nx) array
        Volumetric heat capacity ρc [J/m³/K].
    k : (nz, nx) array
        Thermal conductivity [W/m/K].
    sink : (nz, nx) array
        Perfusion coefficient S = ω_b ρ_b c_b [W/m³/K].
    t_arterial_k : float
        Arterial temperature [K].
    g_top, t_top_k : float or (nx,) array, float
        Top-face conductance [W/m²/K] and ambient temperature [K].
    g_bottom, t_bottom_k : float or (nx,) array, float
        Bottom-face conductance and temperature.
    damage : DamageAccumulator, optional
        Damage state advanced after every step.
    perfusion_shutdown : bool
        Remove perfusion where Ω ≥ 1. Implemented as an explicit correction
        ``+S (T^n - T_a)`` in coagulated cells so the ADI factors are not rebuilt; the
        perfusion rate S/ρc ≈ 1.4e-3 1/s makes the explicit lag negligible at dt ≤ 1 s.

    Attributes
    ----------
    T : (nz, nx) array
        Temperature [K].
    ledger : EnergyLedger
        Energy budget [J/m].
    """

    def __init__(self, h: float, rho_c: np.ndarray, k: np.ndarray, sink: np.ndarray,
                 t_arterial_k: float, g_top: np.ndarray | float, t_top_k: float,
                 g_bottom: np.ndarray | float, t_bottom_k: float,
                 damage: DamageAccumulator | None = None,
                 perfusion_shutdown: bool = False) -> None:
        from dermsim.solvers import ADISolver
        from dermsim.tissue import face_coefficients

        self.h = float(h)
        self.rho_c = np.ascontiguousarray(rho_c, dtype=np.float64)
        self.k = np.ascontiguousarray(k, dtype=np.float64)
        self.sink = np.ascontiguousarray(np.broadcast_to(sink, self.k.shape), dtype=np.float64)
        self.t_arterial_k = float(t_arterial_k)
        nx = self.k.shape[1]
        self.g_top = np.broadcast_to(np.asarray(g_top, np.float64), (nx,)).copy()
        self.g_bottom = np.broadcast_to(np.asarray(g_bottom, np.float64), (nx,)).copy()
        self.t_top_k = float(t_top_k)
        self.t_bottom_k = float(t_bottom_k)
        fx, fz = face_coefficients(self.k)
        self.solver = ADISolver(self.h, self.rho_c, fx, fz, self.sink, self.g_top, self.g_bottom,
                                max_cached=6)
        self.base_source = self.sink * self.t_arterial_k
        self._sink_total = float(self.sink.sum())
        self.damage = damage
        self.perfusion_shutdown = bool(perfusion_shutdown)
        self.T = np.zeros(self.k.shape)
        self.time = 0.0
        self._ledger = EnergyLedger()
        self._q = np.empty(self.k.shape)
        self._q_key: Any = ("unset",)
        self._qsum_key: Any = None
        self._qsum = 0.0
        self._sink_dot: float | None = None
        self._dead_cache: Any = None
        self._unit_cache: dict[tuple[float, str], tuple[np.ndarray, np.ndarray, float]] = {}

    def set_top(self, g_top: np.ndarray | float, t_top_k: float) -> None:
        """Change the surface condition (e.g. contact cooling plate applied)."""
        nx = self.k.shape[1]
        self.g_top = np.broadcast_to(np.asarray(g_top, np.float64), (nx,)).copy()
        self.t_top_k = float(t_top_k)
        self.solver.set_boundary(g_top=self.g_top)
        self._unit_cache.clear()

    def steady_state(self) -> np.ndarray:
        """Set ``T`` to the steady state without RF and reset the ledger; returns ``T``."""
        self.T = np.ascontiguousarray(pennes_steady_state(
            self.h, self.k, self.sink, self.t_arterial_k, self.g_top, self.t_top_k,
            self.g_bottom, self.t_bottom_k))
        self.reset_ledger()
        return self.T

    def _stored(self) -> float:
        return _dot(self.rho_c, self.T) * self.h * self.h

    def reset_ledger(self) -> None:
        st = self._stored()
        self._ledger = EnergyLedger(stored_start=st, stored=st)
        self._sink_dot = None

    def _dead_sink(self) -> np.ndarray | None:
        """Perfusion coefficient of coagulated cells (Ω ≥ 1), None if none or disabled.

        Recomputed only after a step with cells above the Arrhenius gate (Ω can only cross 1
        there)."""
        if not self.perfusion_shutdown or self.damage is None:
            return None
        if self._dead_cache is None or self.damage.n_hot > 0:
            dead = self.damage.omega >= 1.0
            self._dead_cache = (np.where(dead, self.sink, 0.0) if dead.any() else False)
        return None if self._dead_cache is False else self._dead_cache

    @property
    def ledger(self) -> EnergyLedger:
        """Energy budget since the last :meth:`reset_ledger` (stored heat evaluated now)."""
        self._ledger.stored = self._stored()
        return self._ledger

    def unit_response(self, dt: float, q_rf: np.ndarray,
                      scheme: str = "pr") -> tuple[np.ndarray, float]:
        """Temperature change of one step caused by the Joule source ``q_rf`` alone.

        The step is an affine map of (T, sources, ambient temperatures), so the temperature at
        the end of a step with source ``s q_rf`` is ``T_free + s B`` with ``B`` the step of a
        zero field with source ``q_rf``, zero ambient temperatures and no perfusion offset.
        ``B`` depends only on (dt, scheme, q_rf) and is cached.

        Returns
        -------
        B : (nz, nx) array
            Temperature rise [K] per unit scale.
        flux_b : float
            Boundary inflow of that step [J/m] (negative: heat leaving).
        """
        key = (float(dt), scheme)
        hit = self._unit_cache.get(key)
        if hit is not None and hit[0] is q_rf:
            return hit[1], hit[2]
        b = np.zeros(self.k.shape)
        self.solver.step(b, dt, q_rf, u_top=0.0, u_bottom=0.0, scheme=scheme)
        lf = self.solver.last_flux
        if len(self._unit_cache) >= 8:
            self._unit_cache.pop(next(iter(self._unit_cache)))
        self._unit_cache[key] = (q_rf, b, lf.top + lf.bottom)
        return b, lf.top + lf.bottom

    def step(self, dt: float, q_rf: np.ndarray | None = None, scale: float = 1.0,
             scheme: str = "pr", t_limit_k: float | None = None) -> float:
        """Advance ``T`` by ``dt`` with Joule heat ``scale * q_rf`` [W/m³] inside the step.

        Parameters
        ----------
        dt : float
            Step [s].
        q_rf : (nz, nx) array, optional
            Joule heat per unit scale [W/m³].
        scale : float
            Requested scale of ``q_rf`` (V² for a unit-voltage field).
        scheme : {"pr", "be"}
            Peaceman–Rachford or backward-Euler (restart) step.
        t_limit_k : float, optional
            Power limiter: if the hottest cell would end the step above this temperature [K],
            the scale is lowered to the largest value that keeps every cell at or below it
            (exact, through :meth:`unit_response`; 0 if the limit is already exceeded without
            RF). The energy ledger and the damage integral use the delivered scale.

        Returns
        -------
        float
            The scale delivered (``scale`` unless the limiter acted).
        """
        h2 = self.h * self.h
        led = self._ledger
        q = self._q
        dead = self._dead_sink()
        key = (id(q_rf) if q_rf is not None else None, scale)
        if dead is not None or key != self._q_key:
            np.copyto(q, self.base_source)
            if q_rf is not None and scale != 0.0:
                q += scale * q_rf
            self._q_key = key if dead is None else None
        if self._sink_dot is None:
            self._sink_dot = _dot(self.sink, self.T)
        perf_old = self._sink_dot
        if dead is not None:
            dead_dot = _dot(dead, self.T)
            q += dead * self.T
            q -= dead * self.t_arterial_k
        self.solver.step(self.T, dt, q, u_top=self.t_top_k, u_bottom=self.t_bottom_k,
                         scheme=scheme)
        lf = self.solver.last_flux
        flux = lf.top + lf.bottom
        delivered = scale
        if (t_limit_k is not None and q_rf is not None and scale > 0.0
                and float(self.T.max()) > t_limit_k):
            b, flux_b = self.unit_response(dt, q_rf, scheme)
            free = self.T - scale * b  # the same step without RF
            heated = b > 1e-12 * float(b.max())
            if heated.any():
                delivered = float(np.min((t_limit_k - free[heated]) / b[heated]))
                delivered = min(scale, max(0.0, delivered))
            else:  # pragma: no cover - a source that heats nothing
                delivered = 0.0
            if delivered != scale:
                self.T += (delivered - scale) * b
                flux += (delivered - scale) * flux_b
        if q_rf is not None and delivered != 0.0:
            if self._qsum_key is not q_rf:
                self._qsum_key, self._qsum = q_rf, float(q_rf.sum())
            led.joule += dt * delivered * self._qsum * h2
        led.boundary_in += flux
        # perfusion loss (trapezoid), minus the explicit shutdown correction
        self._sink_dot = _dot(self.sink, self.T)
        perf = 0.5 * dt * h2 * (perf_old + self._sink_dot - 2.0 * self.t_arterial_k
                                * self._sink_total)
        if dead is not None:
            perf -= dt * h2 * (dead_dot - self.t_arterial_k * float(dead.sum()))
        led.perfusion_out += perf
        self.time += dt
        if self.damage is not None:
            self.damage.update(self.T, dt)
        return delivered


# ------------------------------------------------------------------------------------------------
# timeline
# ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Phase:
    """A stretch of the RF timeline: RF on or off, duration [s], and its base step [s]."""

    on: bool
    duration: float
    dt: float
    dt_max: float
    label: str


def timeline(cfg: RFConfig) -> list[Phase]:
    """Phases of a delivery: optional pre-cooling, sub-pulses and gaps, then cooling."""
    dt_on = cfg.dt_pulse_ms * 1e-3
    dt_max = max(dt_on, cfg.dt_cooling_max_ms * 1e-3)
    phases: list[Phase] = []
    if cfg.cooling == "contact" and cfg.contact_precool_s > 0:
        phases.append(Phase(False, cfg.contact_precool_s, dt_on, dt_max, "precool"))
    t_on = cfg.conduction_time_ms * 1e-3 / cfg.sub_pulses
    for i in range(cfg.sub_pulses):
        phases.append(Phase(True, t_on, dt_on, dt_on, f"pulse {i + 1}"))
        if i < cfg.sub_pulses - 1 and cfg.sub_pulse_gap_ms > 0:
            phases.append(Phase(False, cfg.sub_pulse_gap_ms * 1e-3, dt_on, dt_max, f"gap {i + 1}"))
    if cfg.cooling_time_s > 0:
        phases.append(Phase(False, cfg.cooling_time_s, dt_on, dt_max, "cooling"))
    return phases


def phase_steps(ph: Phase, restart_steps: int, growth_every: int = 4) -> list[tuple[float, str]]:
    """(dt, scheme) of each step of a phase: ``restart_steps`` backward-Euler half-steps, then
    Peaceman–Rachford steps at ``ph.dt`` (doubling every ``growth_every`` steps up to
    ``ph.dt_max``), the last ones shortened to end exactly at the phase end."""
    steps: list[tuple[float, str]] = []
    remaining = ph.duration
    eps = 1e-12 * max(1.0, ph.duration)
    be = 0.5 * ph.dt
    if restart_steps * be >= remaining - eps:
        n = restart_steps
        return [(remaining / n, "be")] * n
    for _ in range(restart_steps):
        steps.append((be, "be"))
        remaining -= be
    dt = ph.dt
    count = 0
    while remaining > eps:
        if ph.dt_max <= ph.dt + eps:
            n = max(1, math.ceil(remaining / dt - 1e-9))
            steps.extend([(remaining / n, "pr")] * n)
            break
        if remaining <= dt * (1 + 1e-9):
            steps.append((remaining, "pr"))
            break
        steps.append((dt, "pr"))
        remaining -= dt
        count += 1
        if count % growth_every == 0:
            dt = min(2.0 * dt, ph.dt_max)
    return steps


# ------------------------------------------------------------------------------------------------
# zones and outputs
# ------------------------------------------------------------------------------------------------


def zone_metrics(mask: np.ndarray, h: float, pin_x_m: np.ndarray, spacing_m: float,
                 out_of_plane_m: float | None = None) -> dict[str, float]:
    """Size of a thermal zone around the pins.

    Each pin owns the columns within half a spacing of it. Width is the largest lateral extent
    of the zone in a pin's window (rows taken separately, mean over pins), top/bottom the
    depth range, area the 2-D area per pin; the volume per pin maps the area through the
    out-of-plane spacing (slab, consistent with the power mapping), and the column-equivalent
    volume assumes a body of revolution about the pin axis, Σ π (w_row/2)² h.

    Parameters
    ----------
    mask : (nz, nx) bool
        Zone cells.
    h : float
        Cell size [m].
    pin_x_m : (n,) array
        Pin centres [m].
    spacing_m : float
        Pin spacing [m].
    out_of_plane_m : float, optional
        Out-of-plane depth carried by each pin [m] (default ``spacing_m``).

    Returns
    -------
    dict
        ``width_um``, ``top_um``, ``bottom_um``, ``depth_extent_um``, ``area_mm2_per_pin``,
        ``volume_mm3_per_pin``, ``column_volume_mm3_per_pin``.
    """
    nz, nx = mask.shape
    x = (np.arange(nx) + 0.5) * h
    width = nx * h
    n = max(1, pin_x_m.size)
    widths, cols_vol = [], []
    for xp in pin_x_m:
        d = (x - xp + 0.5 * width) % width - 0.5 * width
        win = np.abs(d) < 0.5 * spacing_m
        sub = mask[:, win]
        if not sub.any():
            widths.append(0.0)
            cols_vol.append(0.0)
            continue
        dw = d[win]
        row_w = np.zeros(nz)
        for i in np.nonzero(sub.any(axis=1))[0]:
            c = dw[sub[i]]
            row_w[i] = c.max() - c.min() + h
        widths.append(float(row_w.max()))
        cols_vol.append(float(np.sum(np.pi * (0.5 * row_w) ** 2) * h))
    rows = np.nonzero(mask.any(axis=1))[0]
    top = float(rows[0] * h) if rows.size else math.nan
    bottom = float((rows[-1] + 1) * h) if rows.size else math.nan
    area = float(mask.sum()) * h * h / n
    return {
        "width_um": float(np.mean(widths)) * 1e6,
        "top_um": top * 1e6,
        "bottom_um": bottom * 1e6,
        "depth_extent_um": (bottom - top) * 1e6 if rows.size else 0.0,
        "area_mm2_per_pin": area * 1e6,
        "volume_mm3_per_pin": area * (spacing_m if out_of_plane_m is None
                                      else out_of_plane_m) * 1e9,
        "column_volume_mm3_per_pin": float(np.mean(cols_vol)) * 1e9,
    }


def band_fractions(ds: xr.Dataset, band_edges_um: np.ndarray) -> dict[str, np.ndarray]:
    """Coagulated and heat-shocked volume fractions per depth band (for remodelling).

    Volume fractions are the 2-D area fractions times the out-of-plane factor f (the
    mapping of the module docstring; ``f = π d / 2p`` by default). Rows partly inside a band
    are weighted by their overlap.

    Parameters
    ----------
    ds : xarray.Dataset
        Output of :func:`simulate_rf_pulse` (needs ``coagulated``, ``heat_shock`` and ``z``).
    band_edges_um : (n_band + 1,) array
        Band edges [µm] from the surface.

    Returns
    -------
    dict
        ``coagulated_fraction`` and ``heat_shock_fraction``, each (n_band,) in 0..1.
    """
    edges = np.asarray(band_edges_um, dtype=np.float64)
    z = ds["z"].values
    h_um = float(z[1] - z[0]) if z.size > 1 else 2.0 * float(z[0])
    top = z - 0.5 * h_um
    bot = z + 0.5 * h_um
    lo = np.maximum(edges[:-1, None], top[None, :])
    hi = np.minimum(edges[1:, None], bot[None, :])
    ov = np.clip(hi - lo, 0.0, None)
    tot = ov.sum(axis=1, keepdims=True)
    w = np.divide(ov, tot, out=np.zeros_like(ov), where=tot > 0)
    factor = float(ds.attrs.get("out_of_plane_depth_um", 1.0)) / float(
        ds.attrs.get("pin_spacing_um", 1.0))
    out = {}
    for name, var in (("coagulated_fraction", "coagulated"), ("heat_shock_fraction",
                                                              "heat_shock")):
        row = ds[var].values.astype(np.float64).mean(axis=1)
        out[name] = np.clip(factor * (w @ row), 0.0, 1.0)
    return out


# ------------------------------------------------------------------------------------------------
# the stage driver
# ------------------------------------------------------------------------------------------------


def _layer_table(grid: Grid, name: str, frequency_mhz: float) -> np.ndarray:
    layers = grid.stack.layers
    if name == "sigma":
        vals = [p.sigma(frequency_mhz) for p in layers]
    elif name == "eps_r":
        vals = [p.eps_r(frequency_mhz) for p in layers]
    else:
        raise KeyError(name)
    return np.asarray(vals, dtype=np.float64)[grid.layer]


@dataclass
class _Controller:
    """PI controller of the normalised power u ∈ [0, 1] on the electrode temperature."""

    setpoint_k: float
    kp: float
    ti: float
    integral: float = 0.0
    u: float = 1.0

    def update(self, t_meas_k: float, dt: float) -> float:
        e = self.setpoint_k - t_meas_k
        u_unsat = self.kp * e + self.integral
        u = min(1.0, max(0.0, u_unsat))
        # conditional integration (anti-windup)
        if (0.0 < u_unsat < 1.0) or (u_unsat >= 1.0 and e < 0) or (u_unsat <= 0.0 and e > 0):
            self.integral += self.kp * e * dt / self.ti
            self.integral = min(1.0, max(-1.0, self.integral))
        self.u = u
        return u


@dataclass
class RFResult:
    """Raw results of :func:`run_rf` (before packing into a Dataset)."""

    time_s: np.ndarray
    series: dict[str, np.ndarray]
    snapshot_time_s: np.ndarray
    snapshots: np.ndarray
    omega: np.ndarray
    cem43_min: np.ndarray
    tmax_k: np.ndarray
    t0_k: np.ndarray
    joule_nominal: np.ndarray
    phi_nominal: np.ndarray
    layout: ElectrodeLayout
    tiling: int
    scalars: dict[str, float]
    ledger: EnergyLedger
    info: dict[str, Any] = field(default_factory=dict)


def run_rf(grid: Grid, tip: RFTip, cfg: RFConfig, depth_um: float | np.ndarray | None = None,
           pin_x_um: np.ndarray | None = None) -> RFResult:
    """Run one RF delivery and return raw arrays (see :func:`simulate_rf_pulse`)."""
    from dermsim.tissue import BLOOD_C, BLOOD_RHO, LAYER_NAMES

    h = grid.h
    nz, nx = grid.nz, grid.nx
    bipolar = cfg.bipolar(tip)
    depth_m = np.asarray(tip.needle_length_um if depth_um is None else depth_um,
                         dtype=np.float64) * 1e-6
    depth_m = np.clip(depth_m, 0.0, (nz - 1) * h)
    layout, tiling = layout_for_tip(nz, nx, h, tip, depth_m, bipolar,
                                    None if pin_x_um is None else np.asarray(pin_x_um) * 1e-6)
    # electrical properties at the RF frequency, tiled if needed
    sigma = np.tile(_layer_table(grid, "sigma", cfg.frequency_MHz), (1, tiling))
    t_pot0 = _time.perf_counter()
    problem = None
    if cfg.complex_conductivity:
        eps_r = np.tile(_layer_table(grid, "eps_r", cfg.frequency_MHz), (1, tiling))
        pot = solve_potential_complex(sigma, eps_r, cfg.frequency_MHz * 1e6, h, layout)
    elif cfg.sigma_temp_coeff_per_K > 0:
        problem = PotentialProblem(sigma, h, layout, cfg.potential_solver, cfg.potential_rtol)
        pot = problem.solve()
    else:
        pot = solve_potential(sigma, h, layout, cfg.potential_solver, cfg.potential_rtol)
    t_pot = _time.perf_counter() - t_pot0
    q_unit = np.ascontiguousarray(pot.joule[:, :nx])
    p_unit = pot.power_per_m / tiling  # W/m per V² on the original slice
    n_slice = layout.n_pins // tiling
    # out-of-plane depth per pin [m]: by default the slice electrode gets the lateral surface
    # area of the real pin (f = π d / 2p), which reproduces the V12 zone sizes; otherwise the
    # card value (1 = the pin spacing, the slab mapping of the penetration stage)
    factor = (min(1.0, max(0.1, math.pi * tip.needle_diameter_um * 1e-6
                           / (2.0 * layout.spacing_m)))
              if cfg.match_pin_surface else cfg.out_of_plane_factor)
    p_y = layout.spacing_m * factor
    # device power P [W] -> power per metre of the slice: P/N pins * n_slice / p_y
    def power_per_m(p_total_w: float) -> float:
        return p_total_w / tip.pins * n_slice / p_y

    # thermal problem
    rho_c = grid.property_field("rho_c")
    k = grid.property_field("k")
    sink = grid.property_field("perfusion") * BLOOD_RHO.value * BLOOD_C.value
    t_art = cfg.arterial_temperature_C + KELVIN
    g_air = robin_conductance(cfg.air_h_W_m2K, k[0], h)
    g_bot = robin_conductance(np.inf, k[-1], h)
    # initial condition: the tissue's steady state without RF, before the pins go in
    t_ss0 = _time.perf_counter()
    t0 = np.ascontiguousarray(pennes_steady_state(h, k, sink, t_art, g_air,
                                                  cfg.air_temperature_C + KELVIN, g_bot,
                                                  cfg.deep_temperature_C + KELVIN))
    t_ss = _time.perf_counter() - t_ss0
    needle_ratio = 0.0
    if cfg.needle_conduction:
        # metal pins: conductivity and heat capacity scaled so that each slice blade (width w,
        # out-of-plane depth p_y) has the axial conductance and heat capacity per length of
        # the real round pin (area π d²/4); no perfusion, no Joule heat in the metal
        metal = layout.kind[:, :nx] != TISSUE
        if metal.any():
            d_m = tip.needle_diameter_um * 1e-6
            w_m = max(1, int(np.max(np.sum(metal, axis=1)) // max(1, n_slice))) * h
            needle_ratio = math.pi * d_m * d_m / (4.0 * w_m * p_y)
            k = np.where(metal, cfg.needle_k_W_mK * needle_ratio, k)
            rho_c = np.where(metal, cfg.needle_rho_c_J_m3K * needle_ratio, rho_c)
            sink = np.where(metal, 0.0, sink)
    model = BioheatModel(h, rho_c, k, sink, t_art, g_air, cfg.air_temperature_C + KELVIN, g_bot,
                         cfg.deep_temperature_C + KELVIN, None, cfg.perfusion_shutdown)
    model.T = t0.copy()
    model.reset_ledger()
    damage = DamageAccumulator(t0, arrhenius_constants(cfg), cfg.arrhenius_gate_C + KELVIN,
                               cfg.cem43_gate_C + KELVIN)
    model.damage = damage
    if cfg.cooling == "contact":
        model.set_top(robin_conductance(cfg.contact_h_W_m2K, k[0], h),
                      cfg.contact_temperature_C + KELVIN)
    sensor = layout.sensor_mask()[:, :nx]
    epi = grid.layer <= LAYER_NAMES.index("viable_epidermis")
    ctrl = _Controller(cfg.setpoint_C + KELVIN, 1.0 / cfg.controller_band_K,
                       cfg.controller_integral_ms * 1e-3)
    p_max_w = cfg.power_W
    phases = timeline(cfg)
    t_pulse_on = sum(p.duration for p in phases if p.label == "precool")
    times = [0.0]
    series: dict[str, list[float]] = {k_: [] for k_ in ("tip", "tmax", "epi", "power", "volt",
                                                         "power_req")}

    def record(p_w: float, v: float, p_req: float) -> None:
        T = model.T
        series["tip"].append(float(T[sensor].mean()) if sensor.any() else math.nan)
        series["tmax"].append(float(T.max()))
        series["epi"].append(float(T[epi].max()))
        series["power"].append(p_w)
        series["volt"].append(v)
        series["power_req"].append(p_req)

    record(0.0, 0.0, 0.0)
    snapshots: list[np.ndarray] = []
    snap_times: list[float] = []
    t_now = -t_pulse_on
    times[0] = t_now
    energy_per_m = 0.0
    energy_req_per_m = 0.0
    limited_s = 0.0
    n_cutoffs = 0
    t_limit = None if cfg.limiter == "off" else cfg.max_tissue_temperature_C + KELVIN
    sig_ref_T = model.T.copy()
    n_resolve = 0
    q_cur, p_cur = q_unit, p_unit
    t_st0 = _time.perf_counter()
    n_steps = 0
    for ph in phases:
        cut = False  # impedance cut-off ended this sub-pulse
        for dt, scheme in phase_steps(ph, cfg.restart_steps):
            scale = 0.0
            if ph.on:
                if problem is not None:
                    dT = np.abs(model.T - sig_ref_T)
                    if float(dT.max()) > cfg.sigma_update_K:
                        tt = np.tile(model.T - KELVIN, (1, tiling))
                        sig_t = sigma * np.clip(1.0 + cfg.sigma_temp_coeff_per_K * (tt - 37.0),
                                                0.1, None)
                        pot_t = problem.solve(sig_t)
                        q_cur = np.ascontiguousarray(pot_t.joule[:, :nx])
                        p_cur = pot_t.power_per_m / tiling
                        sig_ref_T = model.T.copy()
                        n_resolve += 1
                if cfg.control == "voltage":
                    scale = cfg.voltage_V**2
                elif p_cur <= 0.0:
                    scale = 0.0  # no pin in the tissue: nothing delivered
                elif cfg.control == "power":
                    scale = power_per_m(cfg.power_W) / p_cur
                else:
                    t_meas = float(model.T[sensor].mean())
                    u = ctrl.update(t_meas, dt)
                    scale = u * power_per_m(p_max_w) / p_cur
            delivered = model.step(dt, q_cur, 0.0 if cut else scale, scheme, t_limit)
            p_req = scale * p_cur * p_y / n_slice * tip.pins
            p_w = delivered * p_cur * p_y / n_slice * tip.pins
            energy_req_per_m += scale * p_cur * dt
            energy_per_m += delivered * p_cur * dt
            if delivered < scale:
                limited_s += dt
                if cfg.control == "temperature" and scale > 0:
                    # anti-windup: the integrator does not build up behind the limiter
                    ctrl.integral = min(ctrl.integral, ctrl.u * delivered / scale)
                if cfg.limiter == "cutoff" and not cut:
                    cut = True
                    n_cutoffs += 1
            n_steps += 1
            t_now += dt
            times.append(t_now)
            record(p_w, math.sqrt(delivered), p_req)
        if ph.on or ph is phases[-1]:
            snapshots.append(model.T.copy())
            snap_times.append(t_now)
    t_steps = _time.perf_counter() - t_st0
    time_s = np.asarray(times)
    if cfg.control == "voltage":
        v_nom = cfg.voltage_V
    else:
        v_nom = math.sqrt(power_per_m(cfg.power_W) / p_unit) if p_unit > 0 else 0.0
    energy_per_pin = energy_per_m * p_y / n_slice
    p_total_nom = v_nom**2 * p_unit * p_y / n_slice * tip.pins
    scalars = {
        "energy_per_pin_J": energy_per_pin,
        "energy_requested_per_pin_J": energy_req_per_m * p_y / n_slice,
        "limited_time_s": limited_s,
        "cutoffs": float(n_cutoffs),
        "voltage_nominal_V": v_nom,
        "power_per_pin_nominal_W": v_nom**2 * p_unit * p_y / n_slice,
        "potential_wall_s": t_pot,
        "steady_state_wall_s": t_ss,
        "stepping_wall_s": t_steps,
        "steps": float(n_steps),
        "potential_iterations": float(pot.iterations),
        "sigma_resolves": float(n_resolve),
        "load_resistance_ohm": v_nom**2 / p_total_nom if p_total_nom > 0 else math.inf,
    }
    return RFResult(
        time_s=time_s,
        series={k_: np.asarray(v) for k_, v in series.items()},
        snapshot_time_s=np.asarray(snap_times),
        snapshots=np.asarray(snapshots),
        omega=damage.omega, cem43_min=damage.cem43_min, tmax_k=damage.tmax_k, t0_k=t0,
        joule_nominal=q_unit * v_nom**2,
        phi_nominal=np.real(pot.phi[:, :nx]) * v_nom,
        layout=layout, tiling=tiling, scalars=scalars, ledger=model.ledger,
        info={"bipolar": bipolar, "n_pins_slice": n_slice, "spacing_m": layout.spacing_m,
              "out_of_plane_m": p_y, "depth_m": float(np.max(depth_m)),
              "potential": pot, "needle_ratio": needle_ratio},
    )


def simulate_rf_pulse(grid: Grid, tip: RFTip, rf_config: RFConfig | None = None,
                      depth_um: float | np.ndarray | None = None,
                      pin_x_um: np.ndarray | None = None) -> xr.Dataset:
    """Simulate one RF-microneedling delivery on the grid.

    Parameters
    ----------
    grid : dermsim.tissue.Grid
        Tissue grid (properties per cell; σ and εr are taken at ``rf_config.frequency_MHz``).
    tip : dermsim.devices.RFTip
        Pin array (pins, pitch, diameter, conical tip length, insulated length, bipolar flag).
    rf_config : RFConfig, optional
        Delivery settings (defaults if omitted).
    depth_um : float or (n,) array, optional
        Depth reached by the pin tips [µm] (from the penetration stage; one value or one per
        pin of the slice); default the needle length.
    pin_x_um : (n,) array, optional
        Lateral pin positions in the slice [µm] (e.g. the penetration stage's puncture
        positions); default ``n = round(W / pitch)`` evenly spaced pins.

    Returns
    -------
    xarray.Dataset
        Coordinates ``time`` [ms] (every step, 0 = first pulse on), ``snapshot_time`` [ms],
        ``z`` [µm], ``x`` [µm]. Variables: ``temperature_C`` (snapshot_time, z, x) at the end
        of each pulse and of the run, ``peak_temperature_C``, ``omega``, ``cem43_min``,
        ``coagulated``, ``heat_shock``, ``joule_W_m3``, ``potential_V``, ``electrode``,
        ``layer`` (z, x); ``tip_temperature_C``, ``max_temperature_C``,
        ``epidermis_max_temperature_C``, ``power_W``, ``voltage_V`` (time); zone sizes and the
        energy per pin as scalars. Attributes carry the settings and the energy budget.
    """
    import xarray as xr

    cfg = RFConfig() if rf_config is None else rf_config
    res = run_rf(grid, tip, cfg, depth_um, pin_x_um)
    nx = grid.nx
    z_um = grid.z * 1e6
    x_um = grid.x * 1e6
    lay = res.layout
    kind = lay.kind[:, :nx]
    tissue = kind == TISSUE  # needle cells are the channel (mechanical injury), not zone
    coag = (res.omega >= 1.0) & tissue
    hs = (res.omega < 1.0) & tissue & (res.tmax_k >= cfg.heat_shock_C + KELVIN)
    t_peak = float(res.tmax_k.max()) - KELVIN
    pins = lay.pin_x_m[: res.info["n_pins_slice"]]
    zc = zone_metrics(coag, grid.h, pins, res.info["spacing_m"], res.info["out_of_plane_m"])
    zh = zone_metrics(hs | coag, grid.h, pins, res.info["spacing_m"],
                      res.info["out_of_plane_m"])
    epi = grid.layer <= 1
    dv = {
        "temperature_C": (("snapshot_time", "z", "x"), res.snapshots - KELVIN,
                          {"units": "degC", "long_name": "temperature"}),
        "peak_temperature_C": (("z", "x"), res.tmax_k - KELVIN,
                               {"units": "degC", "long_name": "peak temperature"}),
        "initial_temperature_C": (("z", "x"), res.t0_k - KELVIN,
                                  {"units": "degC", "long_name": "steady state before RF"}),
        "omega": (("z", "x"), res.omega.copy(),
                  {"units": "1", "long_name": "Arrhenius damage integral"}),
        "cem43_min": (("z", "x"), res.cem43_min.copy(),
                      {"units": "min", "long_name": "cumulative equivalent minutes at 43 degC"}),
        "coagulated": (("z", "x"), coag.astype(np.int8),
                       {"units": "1", "long_name": "coagulation zone (omega >= 1)"}),
        "heat_shock": (("z", "x"), hs.astype(np.int8),
                       {"units": "1", "long_name": f"heat-shock zone (T_max >= "
                                                  f"{cfg.heat_shock_C:g} degC, omega < 1)"}),
        "joule_W_m3": (("z", "x"), res.joule_nominal,
                       {"units": "W m-3", "long_name": "Joule heat at the nominal setting"}),
        "potential_V": (("z", "x"), res.phi_nominal,
                        {"units": "V", "long_name": "RMS potential at the nominal setting"}),
        "electrode": (("z", "x"), kind.astype(np.int8),
                      {"units": "1", "long_name": "0 tissue, 1 exposed electrode, 2 insulated"}),
        "layer": (("z", "x"), grid.layer.copy(), {"units": "1", "long_name": "layer index"}),
        "tip_temperature_C": (("time",), res.series["tip"] - KELVIN,
                              {"units": "degC", "long_name": "mean electrode-surface "
                                                             "temperature"}),
        "max_temperature_C": (("time",), res.series["tmax"] - KELVIN,
                              {"units": "degC", "long_name": "maximum tissue temperature"}),
        "epidermis_max_temperature_C": (("time",), res.series["epi"] - KELVIN,
                                        {"units": "degC",
                                         "long_name": "maximum epidermis temperature"}),
        "power_W": (("time",), res.series["power"],
                    {"units": "W", "long_name": "generator power (whole tip)"}),
        "voltage_V": (("time",), res.series["volt"],
                      {"units": "V", "long_name": "RMS electrode voltage"}),
        "power_requested_W": (("time",), res.series["power_req"],
                              {"units": "W", "long_name": "generator power set by the control "
                                                          "mode before the limiter"}),
        "energy_per_pin_mJ": ((), res.scalars["energy_per_pin_J"] * 1e3,
                              {"units": "mJ", "long_name": "RF energy per pin (delivered)"}),
        "energy_requested_per_pin_mJ": ((), res.scalars["energy_requested_per_pin_J"] * 1e3,
                                        {"units": "mJ", "long_name": "RF energy per pin set by "
                                         "the control mode (before the limiter)"}),
        "limiter_acted": ((), int(res.scalars["limited_time_s"] > 0),
                          {"units": "1", "long_name": "1 if the temperature limiter lowered "
                           "the power (or cut the pulse)"}),
        "limited_time_ms": ((), res.scalars["limited_time_s"] * 1e3,
                            {"units": "ms", "long_name": "RF-on time during which the "
                             "temperature limiter lowered the power"}),
        "epidermis_max_omega": ((), float(res.omega[epi].max()),
                                {"units": "1", "long_name": "maximum omega in the epidermis"}),
    }
    for prefix, zmet in (("coag", zc), ("heat_shock", zh)):
        for key, val in zmet.items():
            unit = key.rsplit("_", 1)[-1] if key.endswith("um") else key.split("_")[1]
            dv[f"{prefix}_{key}"] = ((), val, {"units": unit,
                                               "long_name": f"{prefix} zone {key}"})
    ds = xr.Dataset(
        {k_: xr.Variable(*v) for k_, v in dv.items()},
        coords={
            "time": ("time", res.time_s * 1e3, {"units": "ms", "long_name": "time from first "
                                                                            "pulse on"}),
            "snapshot_time": ("snapshot_time", res.snapshot_time_s * 1e3,
                              {"units": "ms", "long_name": "snapshot time"}),
            "z": ("z", z_um, {"units": "um", "long_name": "depth below the surface"}),
            "x": ("x", x_um, {"units": "um", "long_name": "lateral position"}),
        },
        attrs={
            "stage": "rf",
            "mode": "bipolar" if res.info["bipolar"] else "monopolar",
            "control": cfg.control,
            "frequency_MHz": cfg.frequency_MHz,
            "conduction_time_ms": cfg.conduction_time_ms,
            "sub_pulses": cfg.sub_pulses,
            "cooling": cfg.cooling,
            "arrhenius": arrhenius_constants(cfg).source,
            "pins": tip.pins,
            "pins_in_slice": res.info["n_pins_slice"],
            "pin_spacing_um": res.info["spacing_m"] * 1e6,
            "out_of_plane_depth_um": res.info["out_of_plane_m"] * 1e6,
            "pin_x_um": pins * 1e6,
            "tip_depth_um": res.info["depth_m"] * 1e6,
            "exposed_length_um": lay.exposed_length_m * 1e6,
            "lateral_tiling": res.tiling,
            "voltage_nominal_V": res.scalars["voltage_nominal_V"],
            "power_per_pin_nominal_W": res.scalars["power_per_pin_nominal_W"],
            "load_resistance_ohm": res.scalars["load_resistance_ohm"],
            "potential_wall_s": res.scalars["potential_wall_s"],
            "steady_state_wall_s": res.scalars["steady_state_wall_s"],
            "stepping_wall_s": res.scalars["stepping_wall_s"],
            "time_steps": int(res.scalars["steps"]),
            "potential_iterations": res.scalars["potential_iterations"],
            "sigma_resolves": res.scalars["sigma_resolves"],
            "energy_joule_J_per_m": res.ledger.joule,
            "energy_boundary_in_J_per_m": res.ledger.boundary_in,
            "energy_perfusion_out_J_per_m": res.ledger.perfusion_out,
            "energy_stored_change_J_per_m": res.ledger.stored - res.ledger.stored_start,
            "energy_residual_J_per_m": res.ledger.residual,
            "heat_shock_C": cfg.heat_shock_C,
            "peak_temperature_max_C": t_peak,
            "needle_conduction": int(cfg.needle_conduction),
            "needle_property_scale": res.info["needle_ratio"],
            "limiter": cfg.limiter,
            "max_tissue_temperature_C": cfg.max_tissue_temperature_C,
            "limiter_cutoffs": int(res.scalars["cutoffs"]),
            "boiling_exceeded": int(t_peak > 100.0 + 1e-6),
            "validity_note": ("peak temperature above 100 degC: tissue desiccation and impedance "
                              "rise are not modelled, results beyond this point are unreliable")
            if t_peak > 100.0 + 1e-6 else "",
            "out_of_plane_factor": res.info["out_of_plane_m"] / res.info["spacing_m"],
            "mapping_2d_3d": ("pin-surface: out-of-plane depth per pin = pi d / 2 (P_pin = P' f p, "
                              "V = A f p, f = pi d / 2p)" if cfg.match_pin_surface else
                              "card: out-of-plane depth per pin = rf.out_of_plane_factor x pin "
                              "spacing (P_pin = P' f p, V = A f p)"),
        },
    )
    return ds


def figure_rf(ds: xr.Dataset) -> matplotlib.figure.Figure:
    """Peak-temperature map with the Ω = 1 contour, layer lines and electrodes, and T(t) at
    the electrode surface and in the epidermis.

    Parameters
    ----------
    ds : xarray.Dataset
        Output of :func:`simulate_rf_pulse`.

    Returns
    -------
    matplotlib.figure.Figure
    """
    from matplotlib.figure import Figure

    fig = Figure(figsize=(11, 4.5), constrained_layout=True)
    ax, ax2 = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.6, 1]})
    x = ds["x"].values
    z = ds["z"].values
    tp = ds["peak_temperature_C"].values
    zmax_show = min(z[-1], float(ds.attrs.get("tip_depth_um", z[-1])) + 800.0)
    rows = z <= zmax_show
    im = ax.pcolormesh(x, z[rows], tp[rows], cmap="inferno", shading="auto",
                       vmin=float(np.nanmin(tp)), vmax=max(float(np.nanmax(tp)), 45.0))
    fig.colorbar(im, ax=ax, label="peak temperature [°C]")
    om = ds["omega"].values[rows]
    if (om >= 1).any():
        ax.contour(x, z[rows], om, levels=[1.0], colors="cyan", linewidths=1.2)
    hs = ds["heat_shock"].values[rows] + ds["coagulated"].values[rows]
    if hs.any():
        ax.contour(x, z[rows], hs, levels=[0.5], colors="lime", linewidths=0.8,
                   linestyles="dashed")
    el = ds["electrode"].values[rows]
    ax.contour(x, z[rows], (el == 1).astype(float), levels=[0.5], colors="white", linewidths=0.8)
    ax.contour(x, z[rows], (el == 2).astype(float), levels=[0.5], colors="grey", linewidths=0.8)
    lay = ds["layer"].values[:, 0]
    for i in np.nonzero(np.diff(lay))[0]:
        zb = 0.5 * (z[i] + z[i + 1])
        if zb <= zmax_show:
            ax.axhline(zb, color="w", lw=0.5, ls=":")
    ax.set_ylim(zmax_show, 0)
    ax.set_xlabel("x [µm]")
    ax.set_ylabel("depth [µm]")
    ax.set_title(f"{ds.attrs.get('mode', '')} {ds.attrs.get('frequency_MHz', '')} MHz, "
                 f"{float(ds['energy_per_pin_mJ']):.1f} mJ/pin; Ω=1 cyan, heat shock green")
    t = ds["time"].values
    ax2.plot(t, ds["tip_temperature_C"].values, label="electrode surface (mean)")
    ax2.plot(t, ds["max_temperature_C"].values, label="maximum", lw=0.8)
    ax2.plot(t, ds["epidermis_max_temperature_C"].values, label="epidermis (max)")
    ax2.set_xlabel("time [ms]")
    ax2.set_ylabel("temperature [°C]")
    ax2.legend(fontsize=8)
    ax3 = ax2.twinx()
    ax3.fill_between(t, 0, ds["power_W"].values, step="pre", color="k", alpha=0.1)
    if "power_requested_W" in ds and int(ds.get("limiter_acted", 0)):
        ax3.step(t, ds["power_requested_W"].values, where="pre", color="k", lw=0.6, ls="--")
        ax2.set_title(f"temperature limiter ({ds.attrs.get('limiter', '')}, "
                      f"{ds.attrs.get('max_tissue_temperature_C', 100.0):g} °C) acted for "
                      f"{float(ds['limited_time_ms']):.0f} ms; requested power dashed",
                      fontsize=8)
    ax3.set_ylabel("power [W]")
    return fig
