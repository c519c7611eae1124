"""One RF delivery on the grid: electrical model, bioheat model, generator and the stepping loop.

:func:`run_rf` builds the electrode layout, the Joule heat per V² (:class:`ElectricalModel`),
the Pennes model started from the tissue's steady state without RF (:func:`build_bioheat`),
and steps the timeline while the :class:`Generator` sets the power and recorders
(:mod:`dermsim.thermal.recorders`) keep the series, snapshots and energy.

2-D ↔ 3-D mapping. The slice is a row of pins of in-plane spacing ``p`` (the tip's pin pitch);
every field is uniform over an out-of-plane depth ``f p`` per pin. By default
(``match_pin_surface = true``) ``f = π d / (2 p)``: the two faces of the slice electrode have
the lateral surface area ``π d`` per length of the real pin; otherwise
``f = rf.out_of_plane_factor`` (1 = the square lattice cell, as the penetration stage does for
puncture density). A power per unit length ``P'`` [W/m] of one pin's share of the slice
corresponds to ``P_pin = P' f p``, a 2-D area ``A`` to a volume ``A f p``, and volume
fractions per depth band are the 2-D area fractions × f. The device power ``P`` [W] is spread
evenly over the tip's pins. The needle metal (steel) is represented with its conductivity and
heat capacity scaled so that the slice blade has the real pin's axial conductance and heat
capacity per length.

Generator limiter: the generator lowers its power so that no cell ends a step above
``rf.max_tissue_temperature_C`` — exact per step because the step is affine in the Joule
scale — or, with ``limiter = "cutoff"``, ends the sub-pulse when the limit is reached.
"""

from __future__ import annotations

import math
import time as _time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from dermsim.thermal.bioheat import (
    BioheatModel,
    EnergyLedger,
    pennes_steady_state,
    robin_conductance,
)
from dermsim.thermal.config import KELVIN, RFConfig
from dermsim.thermal.damage import DamageAccumulator, arrhenius_constants
from dermsim.thermal.desiccation import TissueWater, conductivity
from dermsim.thermal.electrodes import TISSUE, ElectrodeLayout, layout_for_tip
from dermsim.thermal.potential import (
    PotentialProblem,
    solve_potential,
    solve_potential_complex,
)
from dermsim.thermal.recorders import (
    EnergyRecorder,
    Recorder,
    SeriesRecorder,
    SliceMapping,
    SnapshotRecorder,
    StepEvent,
)
from dermsim.thermal.timeline import Phase, PIController, phase_steps, timeline

if TYPE_CHECKING:  # pragma: no cover
    from dermsim.devices import RFTip
    from dermsim.tissue import Grid

__all__ = [
    "ElectricalModel",
    "Generator",
    "RFResult",
    "build_bioheat",
    "run_rf",
    "slice_mapping",
    "step_timeline",
]


#: Relative residual of the σ(T, water) re-solves (warm-started; numerics choice: against 1e-7
#: the zone area changes by < 0.1 %, measured on the default scenario grid).
RESOLVE_RTOL = 1e-6


def layer_values(grid: Grid, name: str, frequency_mhz: float) -> np.ndarray:
    """Per-cell electrical property ``"sigma"`` [S/m] or ``"eps_r"`` [-] at a frequency."""
    layers = grid.stack.layers
    if name == "sigma":
        vals = [p.sigma(frequency_mhz) for p in layers]
    elif name == "eps_r":
        vals = [p.eps_r(frequency_mhz) for p in layers]
    else:
        raise KeyError(name)
    return np.asarray(vals, dtype=np.float64)[grid.layer]


class ElectricalModel:
    """Joule heat per V² of the slice, re-solved for σ(T) when the tissue has warmed.

    Parameters
    ----------
    grid : Grid
        Tissue grid.
    cfg : RFConfig
        Delivery settings (frequency, solver, σ(T) coefficient).
    layout : ElectrodeLayout
        Electrodes (on the grid tiled ``tiling`` times laterally).
    tiling : int
        Lateral tiling of the layout.

    Attributes
    ----------
    nominal : PotentialField
        Solution at the initial conductivity.
    q, p : array, float
        Joule heat per V² [W/m³/V²] on the original slice and the slice power per V²
        [W/m/V²] now (after σ(T) re-solves).
    q_unit, p_unit : array, float
        The same at the initial conductivity.
    resolves : int
        Number of σ(T) re-solves.
    solve_s : float
        Wall time of the first solve [s].
    """

    def __init__(self, grid: Grid, cfg: RFConfig, layout: ElectrodeLayout, tiling: int) -> None:
        self.cfg = cfg
        self.nx = grid.nx
        self.tiling = tiling
        self.sigma = np.tile(layer_values(grid, "sigma", cfg.frequency_MHz), (1, tiling))
        self.problem: PotentialProblem | None = None
        t0 = _time.perf_counter()
        if cfg.complex_conductivity:
            eps_r = np.tile(layer_values(grid, "eps_r", cfg.frequency_MHz), (1, tiling))
            pot = solve_potential_complex(self.sigma, eps_r, cfg.frequency_MHz * 1e6, grid.h,
                                          layout)
        elif cfg.sigma_temp_coeff_per_K > 0 or cfg.desiccation:
            self.problem = PotentialProblem(self.sigma, grid.h, layout, cfg.potential_solver,
                                            cfg.potential_rtol)
            pot = self.problem.solve()
        else:
            pot = solve_potential(self.sigma, grid.h, layout, cfg.potential_solver,
                                  cfg.potential_rtol)
        self.solve_s = _time.perf_counter() - t0
        self.nominal = pot
        self.q_unit = np.ascontiguousarray(pot.joule[:, :self.nx])
        self.p_unit = pot.power_per_m / tiling  # W/m per V² on the original slice
        self.q, self.p = self.q_unit, self.p_unit
        self.resolves = 0
        self._ref_sigma: np.ndarray | None = None

    def start(self, t_k: np.ndarray, water: TissueWater | None = None) -> None:
        """Reset the reference to the conductivity of the first solve (σ at 37 °C, wet)."""
        self._ref_sigma = np.ascontiguousarray(self.sigma[:, :self.nx])

    def _sigma_now(self, t_k: np.ndarray, water: TissueWater | None) -> np.ndarray:
        """σ(T, w) on the original slice [S/m]."""
        return conductivity(self.sigma[:, :self.nx], t_k - KELVIN,
                            self.cfg.sigma_temp_coeff_per_K,
                            None if water is None else water.fraction,
                            self.cfg.desiccated_sigma_ratio)

    def update(self, t_k: np.ndarray, water: TissueWater | None = None) -> None:
        """Re-solve with σ(T, w) (:func:`dermsim.thermal.desiccation.conductivity`) when the
        conductivity, weighted by the Joule heat, has changed by more than
        ``rf.sigma_update_rel`` since the last solve (no-op without σ(T) and desiccation).

        The Joule weighting makes the criterion follow what the field sees: a few hot cells at
        an electrode edge that change fast do not force a solve every step, a drying shell
        around the electrodes does."""
        if self.problem is None:
            return
        sig = self._sigma_now(t_k, water)
        if self._ref_sigma is None:
            self._ref_sigma = sig
            return
        q = self.q
        qsum = float(q.sum())
        if qsum <= 0.0:
            return
        change = float(np.einsum("ij,ij->", q, np.abs(sig / self._ref_sigma - 1.0))) / qsum
        if change <= self.cfg.sigma_update_rel:
            return
        pot_t = self.problem.solve(np.tile(sig, (1, self.tiling)), rtol=RESOLVE_RTOL)
        self.q = np.ascontiguousarray(pot_t.joule[:, :self.nx])
        self.p = pot_t.power_per_m / self.tiling
        self._ref_sigma = sig
        self.resolves += 1


def slice_mapping(tip: RFTip, cfg: RFConfig, layout: ElectrodeLayout,
                  tiling: int) -> SliceMapping:
    """The 2-D ↔ 3-D mapping of the module docstring for a tip and layout."""
    n_slice = layout.n_pins // tiling
    # out-of-plane depth per pin [m]: by default the slice electrode gets the lateral surface
    # area of the real pin (f = π d / 2p); otherwise the card value (1 = the pin spacing)
    factor = (min(1.0, max(0.1, math.pi * tip.needle_diameter_um * 1e-6
                           / (2.0 * layout.spacing_m)))
              if cfg.match_pin_surface else cfg.out_of_plane_factor)
    return SliceMapping(tip.pins, n_slice, layout.spacing_m, layout.spacing_m * factor)


def tissue_water(grid: Grid, cfg: RFConfig, layout: ElectrodeLayout) -> TissueWater:
    """Water of every tissue cell (skin layers ``rf.water_content_skin``, hypodermis
    ``rf.water_content_fat``; none in the needles)."""
    from dermsim.tissue import LAYER_NAMES

    content = np.where(grid.layer >= LAYER_NAMES.index("hypodermis"), cfg.water_content_fat,
                       cfg.water_content_skin)
    tissue = layout.kind[:, :grid.nx] == TISSUE
    water = np.where(tissue, content * grid.property_field("rho"), 0.0)
    return TissueWater(water, cfg.latent_heat_J_kg, cfg.vaporisation_temperature_C + KELVIN)


def build_bioheat(grid: Grid, cfg: RFConfig, tip: RFTip, layout: ElectrodeLayout,
                  mapping: SliceMapping) -> tuple[BioheatModel, np.ndarray, float, float]:
    """Pennes model of the slice with the needles in it, at the steady state without RF.

    Returns
    -------
    model : BioheatModel
        With its damage accumulator and the surface condition of ``cfg.cooling``.
    t0 : (nz, nx) array
        Steady state before the pins go in [K].
    steady_state_s : float
        Wall time of the steady-state solve [s].
    needle_ratio : float
        Scale applied to the metal's conductivity and heat capacity (0 without needles).
    """
    from dermsim.tissue import BLOOD_C, BLOOD_RHO

    h = grid.h
    nx = grid.nx
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
            w_m = max(1, int(np.max(np.sum(metal, axis=1)) // max(1, mapping.n_slice))) * h
            needle_ratio = math.pi * d_m * d_m / (4.0 * w_m * mapping.out_of_plane_m)
            k = np.where(metal, cfg.needle_k_W_mK * needle_ratio, k)
            rho_c = np.where(metal, cfg.needle_rho_c_J_m3K * needle_ratio, rho_c)
            sink = np.where(metal, 0.0, sink)
    water = tissue_water(grid, cfg, layout) if cfg.desiccation else None
    model = BioheatModel(h, rho_c, k, sink, t_art, g_air, cfg.air_temperature_C + KELVIN, g_bot,
                         cfg.deep_temperature_C + KELVIN, None, cfg.perfusion_shutdown, water)
    model.T = t0.copy()
    model.reset_ledger()
    model.damage = DamageAccumulator(t0, arrhenius_constants(cfg), cfg.arrhenius_gate_C + KELVIN,
                                     cfg.cem43_gate_C + KELVIN)
    if cfg.cooling == "contact":
        model.set_top(robin_conductance(cfg.contact_h_W_m2K, k[0], h),
                      cfg.contact_temperature_C + KELVIN)
    return model, t0, t_ss, needle_ratio


class Generator:
    """The RF generator: the Joule scale [V²] its control mode asks for in each step.

    ``"voltage"``: constant RMS voltage; ``"power"``: constant device power; ``"temperature"``:
    PI control of the mean electrode-surface temperature with at most ``power_W``. With
    ``limiter = "impedance"`` the generator ends a sub-pulse once the load impedance has risen
    to ``impedance_cutoff_ratio`` times its lowest value in that sub-pulse.
    """

    def __init__(self, cfg: RFConfig, mapping: SliceMapping, sensor: np.ndarray) -> None:
        self.cfg = cfg
        self.mapping = mapping
        self.sensor = sensor
        self.controller = PIController(cfg.setpoint_C + KELVIN, 1.0 / cfg.controller_band_K,
                                       cfg.controller_integral_ms * 1e-3)
        self.t_limit_k = (cfg.max_tissue_temperature_C + KELVIN
                          if cfg.limiter in ("power", "cutoff") else None)
        self._r_min = math.inf

    def start_pulse(self) -> None:
        """A sub-pulse begins: the impedance reference is reset."""
        self._r_min = math.inf

    def impedance_cut(self, electrical: ElectricalModel) -> bool:
        """Whether the impedance roll-off ends the sub-pulse now (``limiter = "impedance"``)."""
        if self.cfg.limiter != "impedance" or electrical.p <= 0.0:
            return False
        r = 1.0 / electrical.p  # load impedance up to the constant of the mapping
        self._r_min = min(self._r_min, r)
        return r > self.cfg.impedance_cutoff_ratio * self._r_min

    def request(self, model: BioheatModel, electrical: ElectricalModel, dt: float) -> float:
        """Joule scale [V²] asked for in a step of ``dt`` [s] starting from ``model.T``."""
        cfg = self.cfg
        if cfg.control == "voltage":
            return cfg.voltage_V**2
        if electrical.p <= 0.0:
            return 0.0  # no pin in the tissue: nothing delivered
        if cfg.control == "power":
            return self.mapping.power_per_m(cfg.power_W) / electrical.p
        t_meas = float(model.T[self.sensor].mean())
        u = self.controller.update(t_meas, dt)
        return u * self.mapping.power_per_m(cfg.power_W) / electrical.p

    def limited(self, requested: float, delivered: float) -> None:
        """The limiter delivered less than asked for in the last step."""
        if self.cfg.control == "temperature" and requested > 0:
            # anti-windup: the integrator does not build up behind the limiter
            ctl = self.controller
            ctl.integral = min(ctl.integral, ctl.u * delivered / requested)

    def nominal_voltage(self, electrical: ElectricalModel) -> float:
        """RMS voltage of the nominal setting at the initial conductivity [V]."""
        if self.cfg.control == "voltage":
            return self.cfg.voltage_V
        p_unit = electrical.p_unit
        return math.sqrt(self.mapping.power_per_m(self.cfg.power_W) / p_unit) if p_unit > 0 \
            else 0.0


def step_timeline(model: BioheatModel, electrical: ElectricalModel, generator: Generator,
                  phases: Sequence[Phase], cfg: RFConfig, recorders: Sequence[Recorder],
                  t_start: float) -> None:
    """Step the bioheat model through the phases, handing every step to the recorders."""
    t_now = t_start
    for rec in recorders:
        rec.start(t_now, model)
    for ph in phases:
        cut = False  # the generator ended this sub-pulse (impedance or temperature cut-off)
        generator.start_pulse()
        for dt, scheme in phase_steps(ph, cfg.restart_steps):
            scale = 0.0
            cut_started = False
            if ph.on:
                electrical.update(model.T, model.water)
                if not cut and generator.impedance_cut(electrical):
                    cut = cut_started = True
                scale = generator.request(model, electrical, dt)
            delivered = model.step(dt, electrical.q, 0.0 if cut else scale, scheme,
                                   generator.t_limit_k)
            if delivered < scale:
                generator.limited(scale, delivered)
                if cfg.limiter == "cutoff" and not cut:
                    cut = cut_started = True
            t_now += dt
            event = StepEvent(t_now, dt, scale, delivered, electrical.p, cut_started)
            for rec in recorders:
                rec.handle(event, model)
        for rec in recorders:
            rec.end_phase(t_now, model, ph.on, ph is phases[-1])


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
    dry_fraction: np.ndarray
    joule_nominal: np.ndarray
    phi_nominal: np.ndarray
    layout: ElectrodeLayout
    tiling: int
    scalars: dict[str, float]
    ledger: EnergyLedger
    info: dict[str, Any] = field(default_factory=dict)


def run_rf(grid: Grid, tip: RFTip, cfg: RFConfig, depth_um: float | np.ndarray | None = None,
           pin_x_um: np.ndarray | None = None) -> RFResult:
    """Run one RF delivery and return raw arrays (see :func:`dermsim.thermal.simulate_rf_pulse`)."""
    from dermsim.tissue import LAYER_NAMES

    h = grid.h
    nz, nx = grid.nz, grid.nx
    bipolar = cfg.bipolar(tip)
    depth_m = np.asarray(tip.needle_length_um if depth_um is None else depth_um,
                         dtype=np.float64) * 1e-6
    depth_m = np.clip(depth_m, 0.0, (nz - 1) * h)
    layout, tiling = layout_for_tip(nz, nx, h, tip, depth_m, bipolar,
                                    None if pin_x_um is None else np.asarray(pin_x_um) * 1e-6)
    electrical = ElectricalModel(grid, cfg, layout, tiling)
    mapping = slice_mapping(tip, cfg, layout, tiling)
    model, t0, t_ss, needle_ratio = build_bioheat(grid, cfg, tip, layout, mapping)
    electrical.start(model.T, model.water)
    sensor = layout.sensor_mask()[:, :nx]
    epi = grid.layer <= LAYER_NAMES.index("viable_epidermis")
    generator = Generator(cfg, mapping, sensor)
    phases = timeline(cfg)
    t_pulse_on = sum(p.duration for p in phases if p.label == "precool")
    series_rec = SeriesRecorder(sensor, epi, mapping)
    snap_rec = SnapshotRecorder()
    energy_rec = EnergyRecorder(mapping)
    t_st0 = _time.perf_counter()
    step_timeline(model, electrical, generator, phases, cfg, (series_rec, snap_rec, energy_rec),
                  -t_pulse_on)
    t_steps = _time.perf_counter() - t_st0
    time_s, series = series_rec.finalise()
    snap_times, snapshots = snap_rec.finalise()
    v_nom = generator.nominal_voltage(electrical)
    p_unit = electrical.p_unit
    p_total_nom = mapping.tip_power_w(v_nom**2 * p_unit)
    pot = electrical.nominal
    scalars = {
        **energy_rec.finalise(),
        "voltage_nominal_V": v_nom,
        "power_per_pin_nominal_W": mapping.per_pin(v_nom**2 * p_unit),
        "potential_wall_s": electrical.solve_s,
        "steady_state_wall_s": t_ss,
        "stepping_wall_s": t_steps,
        "potential_iterations": float(pot.iterations),
        "sigma_resolves": float(electrical.resolves),
        "load_resistance_ohm": v_nom**2 / p_total_nom if p_total_nom > 0 else math.inf,
        "latent_heat_per_pin_J": mapping.per_pin(model.ledger.latent),
    }
    damage = model.damage
    assert damage is not None
    return RFResult(
        time_s=time_s, series=series, snapshot_time_s=snap_times, snapshots=snapshots,
        omega=damage.omega, cem43_min=damage.cem43_min, tmax_k=damage.tmax_k, t0_k=t0,
        dry_fraction=(np.zeros(t0.shape) if model.water is None
                      else model.water.dry_fraction),
        joule_nominal=electrical.q_unit * v_nom**2,
        phi_nominal=np.real(pot.phi[:, :nx]) * v_nom,
        layout=layout, tiling=tiling, scalars=scalars, ledger=model.ledger,
        info={"bipolar": bipolar, "n_pins_slice": mapping.n_slice,
              "spacing_m": layout.spacing_m, "out_of_plane_m": mapping.out_of_plane_m,
              "depth_m": float(np.max(depth_m)), "potential": pot,
              "needle_ratio": needle_ratio},
    )
