"""The RF stage's public entry point: :func:`simulate_rf_pulse` runs one delivery
(:func:`dermsim.thermal.pulse.run_rf`) and packs fields, time series, zone sizes, the energy
budget and the settings into an :class:`xarray.Dataset`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from dermsim.thermal.config import KELVIN, RFConfig
from dermsim.thermal.damage import arrhenius_constants
from dermsim.thermal.electrodes import TISSUE
from dermsim.thermal.pulse import RFResult, run_rf
from dermsim.thermal.zones import epidermal_necrosis, zone_metrics
from dermsim.tissue import EPIDERMIS

if TYPE_CHECKING:  # pragma: no cover
    import xarray as xr

    from dermsim.devices import RFTip
    from dermsim.tissue import Grid

__all__ = ["simulate_rf_pulse"]

_Vars = dict[str, tuple[Any, ...]]


def _field_vars(res: RFResult, grid: Grid, cfg: RFConfig, coag: np.ndarray,
                hs: np.ndarray) -> _Vars:
    """(z, x) and (snapshot_time, z, x) variables."""
    kind = res.layout.kind[:, :grid.nx]
    return {
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
        "desiccated_fraction": (("z", "x"), res.dry_fraction.copy(),
                                {"units": "1", "long_name": "fraction of the tissue water "
                                                            "vaporised"}),
    }


def _series_vars(res: RFResult) -> _Vars:
    """(time,) variables."""
    s = res.series
    return {
        "tip_temperature_C": (("time",), s["tip"] - KELVIN,
                              {"units": "degC", "long_name": "mean electrode-surface "
                                                             "temperature"}),
        "max_temperature_C": (("time",), s["tmax"] - KELVIN,
                              {"units": "degC", "long_name": "maximum tissue temperature"}),
        "epidermis_max_temperature_C": (("time",), s["epi"] - KELVIN,
                                        {"units": "degC",
                                         "long_name": "maximum epidermis temperature"}),
        "power_W": (("time",), s["power"],
                    {"units": "W", "long_name": "generator power (whole tip)"}),
        "voltage_V": (("time",), s["volt"],
                      {"units": "V", "long_name": "RMS electrode voltage"}),
        "power_requested_W": (("time",), s["power_req"],
                              {"units": "W", "long_name": "generator power set by the control "
                                                          "mode before the limiter"}),
        "load_impedance_ohm": (("time",), s["impedance"],
                               {"units": "ohm", "long_name": "load impedance of the whole tip "
                                                             "(all pins in parallel)"}),
    }


def _scalar_vars(res: RFResult, epi: np.ndarray, zones: dict[str, dict[str, float]]) -> _Vars:
    """Energy, limiter and zone-size scalars."""
    sc = res.scalars
    dv: _Vars = {
        "energy_per_pin_mJ": ((), sc["energy_per_pin_J"] * 1e3,
                              {"units": "mJ", "long_name": "RF energy per pin (delivered)"}),
        "energy_requested_per_pin_mJ": ((), sc["energy_requested_per_pin_J"] * 1e3,
                                        {"units": "mJ", "long_name": "RF energy per pin set by "
                                         "the control mode (before the limiter)"}),
        "limiter_acted": ((), int(sc["limited_time_s"] > 0),
                          {"units": "1", "long_name": "1 if the generator's limiter lowered "
                           "the power or cut the pulse"}),
        "limited_time_ms": ((), sc["limited_time_s"] * 1e3,
                            {"units": "ms", "long_name": "RF-on time during which the "
                             "generator's limiter lowered or cut the power"}),
        "latent_heat_per_pin_mJ": ((), sc["latent_heat_per_pin_J"] * 1e3,
                                   {"units": "mJ", "long_name": "heat spent on vaporising "
                                    "tissue water, per pin"}),
        "epidermis_max_omega": ((), float(res.omega[epi].max()),
                                {"units": "1", "long_name": "maximum omega in the epidermis"}),
    }
    for prefix, zmet in zones.items():
        for key, val in zmet.items():
            unit = key.rsplit("_", 1)[-1] if key.endswith("um") else key.split("_")[1]
            dv[f"{prefix}_{key}"] = ((), val, {"units": unit,
                                               "long_name": f"{prefix} zone {key}"})
    return dv


def _burn_vars(burn: dict[str, float]) -> _Vars:
    """Necrosis of the viable epidermis (:func:`epidermal_necrosis`)."""
    return {
        "epidermal_necrosis": ((), burn["epidermal_necrosis"],
                               {"units": "1", "long_name": "necrotic (omega >= 1) area "
                                "fraction of the viable epidermis"}),
        "epidermal_lesion_um": ((), burn["epidermal_lesion_um"],
                                {"units": "um", "long_name": "closing width of the widest "
                                 "necrotic epidermal zone (across the pin row)"}),
    }


def _attrs(res: RFResult, tip: RFTip, cfg: RFConfig, pins: np.ndarray,
           t_peak: float) -> dict[str, Any]:
    """Settings, wall times and the energy budget."""
    sc = res.scalars
    info = res.info
    led = res.ledger
    return {
        "stage": "rf",
        "mode": "bipolar" if info["bipolar"] else "monopolar",
        "control": cfg.control,
        "frequency_MHz": cfg.frequency_MHz,
        "conduction_time_ms": cfg.conduction_time_ms,
        "sub_pulses": cfg.sub_pulses,
        "cooling": cfg.cooling,
        "arrhenius": arrhenius_constants(cfg).source,
        "pins": tip.pins,
        "pins_in_slice": info["n_pins_slice"],
        "pin_spacing_um": info["spacing_m"] * 1e6,
        "out_of_plane_depth_um": info["out_of_plane_m"] * 1e6,
        "pin_x_um": pins * 1e6,
        "tip_depth_um": info["depth_m"] * 1e6,
        "exposed_length_um": res.layout.exposed_length_m * 1e6,
        "lateral_tiling": res.tiling,
        "voltage_nominal_V": sc["voltage_nominal_V"],
        "power_per_pin_nominal_W": sc["power_per_pin_nominal_W"],
        "load_resistance_ohm": sc["load_resistance_ohm"],
        "potential_wall_s": sc["potential_wall_s"],
        "steady_state_wall_s": sc["steady_state_wall_s"],
        "stepping_wall_s": sc["stepping_wall_s"],
        "time_steps": int(sc["steps"]),
        "potential_iterations": sc["potential_iterations"],
        "sigma_resolves": sc["sigma_resolves"],
        "energy_joule_J_per_m": led.joule,
        "energy_boundary_in_J_per_m": led.boundary_in,
        "energy_perfusion_out_J_per_m": led.perfusion_out,
        "energy_stored_change_J_per_m": led.stored - led.stored_start,
        "energy_residual_J_per_m": led.residual,
        "heat_shock_C": cfg.heat_shock_C,
        "peak_temperature_max_C": t_peak,
        "needle_conduction": int(cfg.needle_conduction),
        "needle_property_scale": info["needle_ratio"],
        "limiter": cfg.limiter,
        "max_tissue_temperature_C": cfg.max_tissue_temperature_C,
        "limiter_cutoffs": int(sc["cutoffs"]),
        "boiling_exceeded": int(t_peak > cfg.vaporisation_temperature_C + 1e-6),
        "desiccation": int(cfg.desiccation),
        "impedance_cutoff_ratio": cfg.impedance_cutoff_ratio,
        "energy_latent_J_per_m": led.latent,
        "validity_note": _validity_note(cfg, t_peak),
        "out_of_plane_factor": info["out_of_plane_m"] / info["spacing_m"],
        "mapping_2d_3d": ("pin-surface: out-of-plane depth per pin = pi d / 2 (P_pin = P' f p, "
                          "V = A f p, f = pi d / 2p)" if cfg.match_pin_surface else
                          "card: out-of-plane depth per pin = rf.out_of_plane_factor x pin "
                          "spacing (P_pin = P' f p, V = A f p)"),
    }


def _validity_note(cfg: RFConfig, t_peak: float) -> str:
    """Warn where the peak temperature left the range the model describes."""
    if not cfg.desiccation and t_peak > cfg.vaporisation_temperature_C + 1e-6:
        return ("peak temperature above the vaporisation temperature with desiccation off: "
                "latent heat and the impedance rise are not modelled")
    if t_peak > 200.0:
        return ("peak temperature above 200 degC in desiccated tissue: carbonisation is not "
                "modelled")
    return ""


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
    kind = res.layout.kind[:, :grid.nx]
    tissue = kind == TISSUE  # needle cells are the channel (mechanical injury), not zone
    coag = (res.omega >= 1.0) & tissue
    hs = (res.omega < 1.0) & tissue & (res.tmax_k >= cfg.heat_shock_C + KELVIN)
    t_peak = float(res.tmax_k.max()) - KELVIN
    pins = res.layout.pin_x_m[: res.info["n_pins_slice"]]
    zones = {
        "coag": zone_metrics(coag, grid.h, pins, res.info["spacing_m"],
                             res.info["out_of_plane_m"]),
        "heat_shock": zone_metrics(hs | coag, grid.h, pins, res.info["spacing_m"],
                                   res.info["out_of_plane_m"]),
    }
    epi = grid.layer <= 1
    burn = epidermal_necrosis(res.omega, grid.layer == EPIDERMIS, tissue, grid.h,
                              res.info["spacing_m"])
    dv = {**_field_vars(res, grid, cfg, coag, hs), **_series_vars(res),
          **_scalar_vars(res, epi, zones), **_burn_vars(burn)}
    return xr.Dataset(
        {k_: xr.Variable(*v) for k_, v in dv.items()},
        coords={
            "time": ("time", res.time_s * 1e3, {"units": "ms", "long_name": "time from first "
                                                                            "pulse on"}),
            "snapshot_time": ("snapshot_time", res.snapshot_time_s * 1e3,
                              {"units": "ms", "long_name": "snapshot time"}),
            "z": ("z", grid.z * 1e6, {"units": "um", "long_name": "depth below the surface"}),
            "x": ("x", grid.x * 1e6, {"units": "um", "long_name": "lateral position"}),
        },
        attrs=_attrs(res, tip, cfg, pins, t_peak),
    )
