"""Tissue water near 100 °C: latent heat, desiccation, impedance roll-off and the generator
that reacts to it; RF defaults per site and needle (public behaviour, coarse grids)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from dermsim.devices import make_device
from dermsim.thermal import (
    KELVIN,
    RFConfig,
    TissueWater,
    conductivity,
    default_rf_config,
    layout_for_tip,
    simulate_rf_pulse,
    solve_potential,
)
from dermsim.tissue import PAPILLARY, RETICULAR, make_grid, site_stack

ROOT = Path(__file__).resolve().parents[2]


def test_vaporisation_conserves_enthalpy_and_pins_temperature() -> None:
    """Heat above T_v goes into latent heat until the water is gone; ρcT + latent is kept."""
    rho_c = np.full((1, 4), 3.7e6)
    water = TissueWater(np.array([[700.0, 700.0, 700.0, 0.0]]), 2.257e6, 100.0 + KELVIN)
    t = np.array([[120.0, 99.0, 100.0 + 1e4, 150.0]]) + KELVIN
    before = float(np.sum(rho_c * t))
    latent = water.vaporise(t, rho_c)
    assert float(np.sum(rho_c * t)) + latent == pytest.approx(before, rel=1e-14)
    assert t[0, 0] == pytest.approx(100.0 + KELVIN)  # wet: pinned, 20 K worth of water gone
    assert water.fraction[0, 0] == pytest.approx(1.0 - 3.7e6 * 20.0 / (700.0 * 2.257e6))
    assert t[0, 1] == 99.0 + KELVIN and water.fraction[0, 1] == 1.0  # below: untouched
    assert water.fraction[0, 2] == 0.0 and t[0, 2] > 150.0 + KELVIN  # dried out, then heats
    assert t[0, 3] == 150.0 + KELVIN  # no water (metal): no phase change
    np.testing.assert_allclose(water.dry_fraction, [[1.0 - water.fraction[0, 0], 0, 1, 0]])


def test_conductivity_follows_temperature_and_water() -> None:
    s37 = np.full((2, 2), 0.22)
    t = np.array([[37.0, 57.0], [100.0, 100.0]])
    w = np.array([[1.0, 1.0], [0.5, 0.0]])
    sig = conductivity(s37, t, 0.015, w, 1e-4)
    np.testing.assert_allclose(sig, 0.22 * np.array([[1.0, 1.3], [1.945 * 0.5, 1.945e-4]]))


def test_desiccated_shell_raises_the_load_impedance() -> None:
    """Drying the tissue next to the exposed tips (one cell thick) raises the tip's impedance
    several-fold: the roll-off the generator reacts to."""
    grid = make_grid(site_stack("back"), h_um=20.0, width_um=2000.0, depth_um=2500.0)
    tip = make_device({"preset": "rf_insulated_49"})
    lay, _ = layout_for_tip(grid.nz, grid.nx, grid.h, tip, 1.5e-3, True)
    sig = grid.property_field("sigma")
    wet = solve_potential(sig, grid.h, lay, use_cache=False)
    shell = lay.sensor_mask()
    dry = solve_potential(np.where(shell, sig * 1e-4, sig), grid.h, lay, use_cache=False)
    assert wet.power_per_m / dry.power_per_m > 3.0


@pytest.fixture(scope="module")
def cheek20():
    return make_grid(site_stack("cheek"), h_um=20.0, width_um=2000.0, depth_um=2500.0)


@pytest.fixture(scope="module")
def power_runs(cheek20):
    """Insulated 49-pin tip, 1.5 mm at 1.4 mm on the cheek, preset defaults, 10-40 W."""
    tip = make_device({"preset": "rf_insulated_49"})
    cfg = default_rf_config("rf_insulated_49")
    return {p: simulate_rf_pulse(cheek20, tip, cfg.replace(power_W=p), depth_um=1400.0)
            for p in (10.0, 25.0, 40.0)}


def test_power_above_10_W_delivers_more_and_coagulates_more(power_runs) -> None:
    """No 100 °C cap: 25 W delivers more energy than 10 W and coagulates ≥ 10 % more; at
    40 W the impedance roll-off ends the pulse early (the tissue limits the dose)."""
    r10, r25, r40 = (power_runs[p] for p in (10.0, 25.0, 40.0))
    e10, e25 = float(r10["energy_per_pin_mJ"]), float(r25["energy_per_pin_mJ"])
    assert e25 > 1.5 * e10
    v10, v25 = (float(r["coag_volume_mm3_per_pin"]) for r in (r10, r25))
    assert v25 >= 1.10 * v10 > 0
    assert int(r40["limiter_acted"]) == 1 and r40.attrs["limiter_cutoffs"] >= 1
    assert float(r40["energy_per_pin_mJ"]) < float(r40["energy_requested_per_pin_mJ"])
    z = r40["load_impedance_ohm"].values
    z = z[np.isfinite(z)]
    assert z.max() > r40.attrs["impedance_cutoff_ratio"] * z.min() * 0.999
    assert float(r40["latent_heat_per_pin_mJ"]) > 0
    # after the cut-off no power flows
    p = r40["power_W"].values
    t = r40["time"].values
    assert np.all(p[t > 100.0] == 0.0)


@pytest.mark.parametrize("power", [5.5, 6.0, 6.5])
def test_zone_depth_in_published_range_at_low_energy(cheek20, power: float) -> None:
    """Manuskiatti et al. 2016: RF thermal zones 100-300 µm deep, growing with energy (insulated
    tip, 11-13 mJ/pin; the per-pin energies of the study are not reported)."""
    tip = make_device({"preset": "rf_insulated_49"})
    ds = simulate_rf_pulse(cheek20, tip, RFConfig(power_W=power), depth_um=1400.0)
    assert 100.0 <= float(ds["coag_depth_extent_um"]) <= 300.0


def test_zone_reaches_pin_depth_at_high_energy(power_runs) -> None:
    """Skin Res Technol 2019 (7x7 insulated 1.5 mm): coagulation reaches the pin depth at high
    energy; here the zone's bottom passes the tip (1.4 mm) at 25 W x 100 ms."""
    assert float(power_runs[25.0]["coag_bottom_um"]) >= 1400.0


def test_insulation_scales_with_needle_length() -> None:
    a = make_device({"preset": "rf_insulated_49", "needle_length_um": 1000.0})
    b = make_device({"preset": "rf_insulated_49", "needle_length_um": 1500.0})
    assert a.insulation_um == pytest.approx(800.0) and b.insulation_um == pytest.approx(1200.0)
    assert a.exposed_length_um == pytest.approx(200.0)
    c = make_device({"preset": "rf_insulated_49", "insulated_length_um": 700.0})
    assert c.insulation_um == 700.0
    # round trip through the scenario's TOML (an unset override is omitted, a set one kept)
    from dermsim.config import load_scenario
    from dermsim.devices import device_to_dict

    assert "insulated_length_um" not in device_to_dict(a)
    assert make_device(device_to_dict(c)) == c
    sc = load_scenario({"device": {"preset": "rf_insulated_49", "needle_length_um": 1000.0}})
    import tomllib

    assert load_scenario(tomllib.loads(sc.to_toml())).device == sc.device
    assert make_device({"preset": "rf_noninsulated_25"}).exposed_length_um == 1500.0
    mono = make_device({"preset": "rf_monopolar_49"})
    assert mono.bipolar is False and RFConfig().bipolar(mono) is False


def test_monopolar_preset_runs(cheek20) -> None:
    tip = make_device({"preset": "rf_monopolar_49", "needle_length_um": 1000.0})
    ds = simulate_rf_pulse(cheek20, tip, default_rf_config("rf_monopolar_49"), depth_um=900.0)
    assert ds.attrs["mode"] == "monopolar"
    assert float(ds["coag_area_mm2_per_pin"]) > 0
    assert float(ds["epidermis_max_omega"]) < 0.53


def test_shipped_rf_scenario_coagulates_dermis() -> None:
    """configs/rf_microneedling.toml: the exposed tips sit in the cheek dermis and the pulse
    coagulates more than 1 % of the dermis (2-D fraction) while sparing the epidermis."""
    import tomllib

    from dermsim.config import load_scenario
    from dermsim.pipeline import build_grid, run_penetration

    table = tomllib.loads((ROOT / "configs" / "rf_microneedling.toml").read_text())
    table.setdefault("grid", {})["h_um"] = 20.0
    sc = load_scenario(table)
    grid, devices = build_grid(sc)
    sp = run_penetration(sc, grid, devices)[0]
    ds = simulate_rf_pulse(grid, sp.device, sc.stage("rf"), depth_um=sp.result.depths_um,
                           pin_x_um=sp.result.positions_um)
    dermis_end = float(np.sum(sc.stack().thickness_um[:4]))
    tips = np.asarray(sp.result.depths_um)
    assert np.all(tips - sp.device.exposed_length_um > 225.0)  # below the papillary dermis
    assert np.mean(tips) < dermis_end
    dermis = np.isin(ds["layer"].values, [PAPILLARY, RETICULAR])
    assert float(ds["coagulated"].values[dermis].mean()) > 0.01
    assert float(ds["epidermis_max_omega"]) < 0.53


def test_profound_preset_spares_epidermis_with_scattered_pins() -> None:
    """Profound-like preset (72 °C x 4 s, contact cooling) with the pins at scattered depths
    (1.7 and 1.9 mm, the penetration stage's shortfall): the temperature control holds the
    electrodes, the zone stays in the deep dermis and fat, the epidermis is spared."""
    tip = make_device({"preset": "rf_profound_5pair"})
    grid = make_grid(site_stack("cheek"), h_um=20.0, width_um=2500.0, depth_um=3000.0)
    ds = simulate_rf_pulse(grid, tip, default_rf_config("rf_profound_5pair"),
                           depth_um=np.array([1700.0, 1900.0]))
    assert float(ds["epidermis_max_omega"]) < 0.53
    assert float(ds["coag_top_um"]) > 200.0 and float(ds["coag_area_mm2_per_pin"]) > 0
    assert float(ds["energy_per_pin_mJ"]) > 100.0  # the 4-s hold is delivered
