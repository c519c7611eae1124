"""RF stage settings: the parameter cards, :class:`RFConfig`, the RF presets and their defaults.

Every number of the RF stage that a user may change is a card here (value, unit, range,
source, evidence tag); :class:`RFConfig` is the scenario's ``[rf]`` table and
:data:`RF_PRESETS` pairs RF settings with the device presets of the same name.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from dermsim.errors import ConfigError
from dermsim.parameters import card, param_field, validate_dataclass

if TYPE_CHECKING:  # pragma: no cover
    from dermsim.devices import RFTip

__all__ = [
    "KELVIN",
    "RF_PRESETS",
    "RFConfig",
    "default_rf_config",
]

KELVIN = 273.15

# ------------------------------------------------------------------------------------------------
# parameter cards
# ------------------------------------------------------------------------------------------------

FREQUENCY = card("rf.frequency_MHz", 1.0, "MHz", 0.4, 2.0,
                 "devices 0.5, 1, 2 MHz (Cho 2024; Wootten 2020) [V]", "V",
                 "RF carrier frequency (sets σ and εr by Gabriel 1996 interpolation)")
POWER = card("rf.power_W", 15.0, "W", 0.1, 100.0,
             "Profound 35 W max (Hantash et al. 2009), others up to ~50 W [U]; "
             "15 W x 100 ms = 31 mJ/pin on 49 pins "
             "(V12 window 10-50 mJ/pin), 60 mJ/pin on 25 pins (range 1-100 mJ/pin) [C]", "U",
             "generator power over the whole tip (maximum power under temperature control)")
VOLTAGE = card("rf.voltage_V", 40.0, "V", 1.0, 500.0, "assumption (RMS)", "A",
               "RMS voltage between neighbouring pins (bipolar) or pins and pad (monopolar)")
CONDUCTION = card("rf.conduction_time_ms", 100.0, "ms", 1.0, 30000.0,
                  "10-1000 ms single pulses (Cho et al. 2024); Profound 1-25 s "
                  "(Hantash et al. 2009) [V]/[U]", "U",
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
             "value of public bioheat codes after Jiang et al. 2002 [S]", "S",
             "skin-air convection coefficient")
AIR_T = card("rf.air_temperature_C", 25.0, "degC", 0.0, 45.0,
             "room air, as in Jiang et al. 2002 [S]", "S",
             "air temperature")
CONTACT_H = card("rf.contact_h_W_m2K", 1000.0, "W/m2/K", 50.0, 10000.0,
                 "contact cooling 500-2000 W/m2/K (assumption) [U]", "U",
                 "contact-cooling plate heat-transfer coefficient")
CONTACT_T = card("rf.contact_temperature_C", 10.0, "degC", 0.0, 30.0,
                 "Peltier plate 5-20 °C (assumption) [U]", "U", "cooling plate temperature")
PRECOOL = card("rf.contact_precool_s", 1.0, "s", 0.0, 30.0, "assumption", "A",
               "contact cooling applied before the first pulse (then kept to the end)")
ARTERIAL = card("rf.arterial_temperature_C", 37.0, "degC", 35.0, 39.0, "Pennes 1948 [V]", "V",
                "arterial blood temperature")
DEEP_T = card("rf.deep_temperature_C", 37.0, "degC", 30.0, 39.0,
              "core temperature, Jiang et al. 2002 [S]", "S",
              "temperature of the deep boundary")
ARR_A = card("rf.arrhenius_A_per_s", 3.1e98, "1/s", 1e20, 1e150,
             "Henriques & Moritz 1947 via public bioheat codes [S]", "S",
             "Arrhenius frequency factor (used when arrhenius = 'custom')")
ARR_EA = card("rf.arrhenius_Ea_J_mol", 6.28e5, "J/mol", 1e5, 1e6,
              "Henriques & Moritz 1947 via public bioheat codes [S]", "S",
              "Arrhenius activation energy (used when arrhenius = 'custom')")
ARR_GATE = card("rf.arrhenius_gate_C", 43.0, "degC", 37.0, 50.0,
                "rate 5.5e-6 1/s at 43 °C with Henriques constants [C]", "C",
                "Arrhenius rate is evaluated only above this temperature")
CEM_GATE = card("rf.cem43_gate_C", 39.0, "degC", 37.0, 43.0,
                "CEM43 rate < 0.0039 min/min below 39 °C [C]", "C",
                "CEM43 dose is accumulated only above this temperature")
HEAT_SHOCK = card("rf.heat_shock_C", 45.0, "degC", 40.0, 55.0,
                  "sub-lethal heat shock 45-55 °C; 50 % fibroblast apoptosis at 45 °C x 10 min "
                  "(heat-treated dermal fibroblasts, PMC2808017) [C]", "C",
                  "peak temperature defining the heat-shock zone (outside the coagulation zone)")
SIGMA_TC = card("rf.sigma_temp_coeff_per_K", 0.015, "1/K", 0.0, 0.05,
                "+1.5-2 %/K for tissue electrolytes (Duck 1990) [U]; 0 switches σ(T) off", "U",
                "relative temperature coefficient of the electrical conductivity")
SIGMA_UPD = card("rf.sigma_update_rel", 0.05, "-", 0.001, 0.5, "numerics choice", "A",
                 "re-solve the potential when the conductivity, weighted by the Joule heat, "
                 "has changed by this fraction since the last solve")
COOL_TIME = card("rf.cooling_time_s", 2.0, "s", 0.0, 60.0, "numerics choice", "A",
                 "simulated cooling after the last pulse")
DT_PULSE = card("rf.dt_pulse_ms", 5.0, "ms", 0.1, 20.0,
                "numerics choice: PR-ADI at 5 ms, peak error 0.004 K "
                "(benchmarks/bench_rf.py) [C]", "C",
                "time step while RF is on")
DT_COOL = card("rf.dt_cooling_max_ms", 50.0, "ms", 1.0, 1000.0,
               "numerics choice: multirate 5/50 ms, area error <= 0.7 % "
               "(benchmarks/bench_rf.py) [C]", "C",
               "largest time step while RF is off (steps double from dt_pulse)")
RESTART = card("rf.restart_steps", 2, "-", 1, 8, "Rannacher 1984 [V]; numerics choice", "A",
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
                    "tissue water boils near 100 °C (assumption) [A]", "A",
                    "hottest tissue temperature the temperature limiter allows "
                    "(limiter = 'power' or 'cutoff' only)")
WATER_SKIN = card("rf.water_content_skin", 0.65, "kg/kg", 0.3, 0.8,
                  "skin 60-72 % water (Duck 1990) [U]", "U",
                  "water mass fraction of epidermis and dermis (latent heat, desiccation)")
WATER_FAT = card("rf.water_content_fat", 0.20, "kg/kg", 0.05, 0.5,
                 "adipose tissue 10-30 % water (Duck 1990) [U]", "U",
                 "water mass fraction of the hypodermis")
LATENT = card("rf.latent_heat_J_kg", 2.257e6, "J/kg", 2.0e6, 2.5e6,
              "latent heat of vaporisation of water at 100 °C, steam tables (Wagner & Pruss "
              "2002) [V]", "V", "latent heat of vaporisation of tissue water")
T_VAP = card("rf.vaporisation_temperature_C", 100.0, "degC", 95.0, 120.0,
             "boiling point of water at 1 atm; RF-ablation models vaporise tissue water at "
             "99-100 °C (Abraham & Sparrow 2007) [S]", "S",
             "temperature at which tissue water vaporises (enthalpy method)")
DRY_SIGMA = card("rf.desiccated_sigma_ratio", 1e-4, "-", 1e-6, 0.1,
                 "conductivity of desiccated tissue: reduced 1e4-fold in RF-ablation models "
                 "(Haemmerich et al. 2003) [U]", "U",
                 "conductivity of fully desiccated tissue relative to hydrated tissue")
Z_CUT = card("rf.impedance_cutoff_ratio", 1.5, "-", 1.05, 20.0,
             "generators stop at impedance roll-off after desiccation (Goldberg et al. 2000; "
             "ratio assumption) [A]", "A",
             "end the sub-pulse when the load impedance exceeds this multiple of its lowest "
             "value in the sub-pulse (limiter = 'impedance')")
POT_RTOL = card("rf.potential_rtol", 1e-10, "-", 1e-14, 1e-4, "numerics choice", "A",
                "relative residual tolerance of the AMG-CG potential solve")

ARRHENIUS_CHOICES = ("henriques", "weaver_stoll", "collagen_pearce", "custom")
MODES = ("device", "bipolar", "monopolar")
CONTROLS = ("power", "voltage", "temperature")
COOLINGS = ("air", "contact")
POTENTIAL_SOLVERS = ("amg", "splu")
LIMITERS = ("impedance", "power", "cutoff", "off")


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
        What ends or lowers the delivery before the control mode's setting is reached:
        ``"impedance"`` (default) ends the sub-pulse when the load impedance rises to
        ``impedance_cutoff_ratio`` times its lowest value in that sub-pulse (tissue water
        vaporised at the electrodes, the impedance roll-off that generators react to);
        ``"power"`` lowers the power of a step so the hottest cell ends it at
        ``max_tissue_temperature_C``; ``"cutoff"`` does the same for that step and then ends
        the sub-pulse; ``"off"`` delivers the setting regardless.
    desiccation
        Tissue water vaporises at ``vaporisation_temperature_C`` (latent heat, enthalpy
        method) and the conductivity falls with the water left (down to
        ``desiccated_sigma_ratio``); ``false`` leaves the tissue water in place.
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
    sigma_update_rel: float = param_field(SIGMA_UPD)
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
    limiter: str = "impedance"
    max_tissue_temperature_C: float = param_field(MAX_TISSUE_T)
    impedance_cutoff_ratio: float = param_field(Z_CUT)
    desiccation: bool = True
    water_content_skin: float = param_field(WATER_SKIN)
    water_content_fat: float = param_field(WATER_FAT)
    latent_heat_J_kg: float = param_field(LATENT)
    vaporisation_temperature_C: float = param_field(T_VAP)
    desiccated_sigma_ratio: float = param_field(DRY_SIGMA)

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
                     "needle_conduction", "desiccation"):
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


#: RF settings modelled on published devices (Hantash et al. 2009; Cho et al. 2024), paired
#: with the device presets of the same name in :data:`dermsim.devices.DEVICE_PRESETS`
#: (see :func:`default_rf_config`).
RF_PRESETS: dict[str, tuple[RFConfig, str]] = {
    "rf_insulated_49": (
        RFConfig(frequency_MHz=1.0, control="power", power_W=15.0, conduction_time_ms=100.0),
        "49-pin insulated 1 MHz bipolar tip, 15 W x 100 ms ≈ 31 mJ/pin; constant power, the "
        "sub-pulse ends at the impedance roll-off (load impedance 1.5 x its lowest value); "
        "the generic [rf] defaults",
    ),
    "rf_monopolar_49": (
        RFConfig(frequency_MHz=1.0, control="power", power_W=25.0, conduction_time_ms=100.0),
        "49-pin insulated monopolar tip, 25 W x 100 ms ≈ 51 mJ/pin (the current spreads to the "
        "return pad, so it needs more power than the bipolar tip for a zone); constant power, "
        "impedance cut-off",
    ),
    "rf_noninsulated_25": (
        RFConfig(frequency_MHz=1.0, control="power", power_W=15.0, conduction_time_ms=100.0),
        "25 non-insulated pins, same generator setting (60 mJ/pin): heats the whole track "
        "incl. the epidermis; constant power, impedance cut-off; the generic [rf] defaults",
    ),
    "rf_profound_5pair": (
        RFConfig(frequency_MHz=1.0, control="temperature", setpoint_C=72.0, power_W=10.0,
                 conduction_time_ms=4000.0, cooling="contact", contact_h_W_m2K=2000.0,
                 contact_temperature_C=5.0, cooling_time_s=4.0, dt_cooling_max_ms=100.0,
                 limiter="off"),
        "5 bipolar pairs, electrodes held at 72 °C for 4 s by temperature feedback "
        "(Hantash 2009 [V]; the temperature control is the cut-off: it lowers the power before "
        "the electrode surface dries, so no impedance cut-off) with contact cooling at the "
        "strong end of the [U] range "
        "(2000 W/m2K, 5 °C; needed in the slab model to spare the epidermis, "
        "docs/model.md §8)",
    ),
    "rf_subpulsed_10x500": (
        RFConfig(frequency_MHz=1.0, control="power", power_W=10.0, conduction_time_ms=5000.0,
                 sub_pulses=10, sub_pulse_gap_ms=100.0, cooling="contact", cooling_time_s=3.0,
                 dt_cooling_max_ms=50.0),
        "5000 ms in 10 sub-pulses with contact cooling (Cho et al. CCID 2024 [V]); impedance "
        "cut-off per sub-pulse",
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
