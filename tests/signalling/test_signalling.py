"""Growth-factor signalling (dermsim.signalling): exactness, conservation, accuracy, outputs."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from scipy.integrate import quad

from dermsim import growth_factors as gf
from dermsim import signalling as sg
from dermsim.errors import ConfigError
from dermsim.numerics.kernels import adi as K
from dermsim.tissue import SkinStack, make_grid, site_stack
from dermsim.viz.signalling import figure_snapshots


@pytest.fixture(scope="module")
def small_session() -> dict:
    """A real session (default pen) on a narrow grid: grid, injury and the session inputs."""
    from dermsim import pipeline
    from dermsim.config import load_scenario

    sc = load_scenario({"grid": {"width_um": 500, "depth_um": 1600}})
    grid, devices = pipeline.build_grid(sc)
    st = pipeline.run_penetration(sc, grid, devices)[0]
    return {"grid": grid, "injury": st.injury, "kw": sg.session_inputs(grid, st.injury, st.result)}


def _uniform_grid() -> tuple:
    """Stack whose stratum corneum (1 um) holds no cell centre: every cell is viable tissue."""
    stack = SkinStack("test", (1.0, 60.0, 150.0, 750.0, 1000.0))
    grid = make_grid(stack, h_um=20.0, width_um=200.0, depth_um=600.0)
    return grid, np.ones((grid.nz, grid.nx))


def _ode_solution(sp: sg.SpeciesParams, t: float) -> float:
    """c(t) of dc/dt = -k c + B f_b(t) + sum A g(t) for a uniform, blood-filled, injured tissue."""
    k = sp.decay
    tau = sp.burst_tau
    b = sp.burst * math.exp(-k * t) * (1.0 - math.exp(-(1 / tau - k) * t)) / (1.0 - k * tau)
    s = 0.0
    for a, shape, peak in sp.pulses:
        th = gf.gamma_theta(shape, peak)
        s += a * quad(lambda x, th=th, shape=shape: math.exp(-k * (t - x))
                      * float(gf.gamma_pdf(np.array([x]), shape, th)[0]), 0.0, t,
                      limit=400, epsabs=0.0, epsrel=1e-13)[0]
    return b + s


def test_uniform_release_and_exact_decay() -> None:
    """Laterally and vertically uniform sources: diffusion is idle and the scheme must reproduce
    the release/decay ODE to rounding at any step size (decay is applied exactly)."""
    grid, inj = _uniform_grid()
    cfg = sg.SignallingConfig(window_day=7.0, topical_concentration_ng_ml=0.0)
    ds = sg.run_acute_window(grid, inj, bleeding=inj, cfg=cfg, snapshot_times_h=())
    for name in sg.SPECIES:
        sp = sg.species_params(cfg, name)
        band = ds["gf_band"].sel(species=name)
        for t_day in (0.01, 0.1, 1.0, 3.0, 7.0):
            i = int(np.argmin(np.abs(ds["time"].values - t_day)))
            t = float(ds["time"].values[i]) * 86400.0
            exact = _ode_solution(sp, t)
            got = band.values[i]
            assert np.allclose(got, exact, rtol=1e-9, atol=1e-12 * exact), (name, t_day)
            assert np.ptp(got) <= 1e-9 * exact


def test_mass_budget_matches_ode_for_the_totals(small_session: dict) -> None:
    """With no-flux boundaries and uniform decay, the total obeys dM/dt = -k M + Q(t) whatever
    the diffusion does: the tissue total must follow that ODE to ~1e-10 (conservation)."""
    g, inj, kw = small_session["grid"], small_session["injury"], small_session["kw"]
    cfg = sg.SignallingConfig(window_day=3.0, topical_concentration_ng_ml=0.0)
    ds = sg.run_acute_window(g, inj, cfg=cfg, snapshot_times_h=(), **kw)
    t = ds["time"].values * 86400.0
    for name in sg.SPECIES:
        sp = sg.species_params(cfg, name)
        d = ds.sel(species=name)
        assert float(d["gf_clipped"][-1]) == 0.0
        rel = d["gf_released"].values
        rem = d["gf_remaining"].values
        # released amount = exact integrals of the release profiles times the source totals
        area = g.h * g.h / g.width * 100.0
        scale = kw["volume_scale"] * kw["overlap_correction"][:, None]
        bleed = np.minimum(kw["bleeding"] * scale, 1.0)
        injv = np.minimum(inj * scale, 1.0) * (g.layer != 0)
        b_tot = bleed.sum() * area * sp.burst
        r_tot = injv.sum() * area
        tau, k = sp.burst_tau, sp.decay
        exp_rel = b_tot * (1 - np.exp(-t / tau))
        m_exact = b_tot * np.exp(-k * t) * (1 - np.exp(-(1 / tau - k) * t)) / (1 - k * tau)
        for a, shape, peak in sp.pulses:
            th = gf.gamma_theta(shape, peak)
            from scipy.special import gammainc

            exp_rel = exp_rel + a * r_tot * gammainc(shape, t / th)
            for i in (5, len(t) // 2, len(t) - 1):
                m_exact[i] += a * r_tot * quad(
                    lambda x, th=th, shape=shape, ti=t[i], k=k: math.exp(-k * (ti - x))
                    * float(gf.gamma_pdf(np.array([x]), shape, th)[0]), 0.0, t[i],
                    limit=400, epsrel=1e-13, epsabs=0.0)[0]
        assert np.allclose(rel, exp_rel, rtol=1e-12)
        for i in (5, len(t) // 2, len(t) - 1):
            assert rem[i] == pytest.approx(m_exact[i], rel=1e-9)
        # budget closes: released = decayed + remaining (+ lost, clipped = 0)
        dec = d["gf_decayed"].values
        assert np.allclose(rel, dec + rem + d["gf_lost"].values, rtol=1e-12, atol=1e-15)
        assert np.all(np.diff(dec) >= -1e-12 * rel[-1])


def test_non_negative_and_reaches_deeper_with_time(small_session: dict) -> None:
    g, inj, kw = small_session["grid"], small_session["injury"], small_session["kw"]
    ds = sg.run_acute_window(g, inj, cfg=sg.SignallingConfig(window_day=1.0,
                                                             topical_product="prp"), **kw)
    assert float(ds["gf_snapshot"].min()) >= 0.0
    assert float(ds["gf_band"].min()) >= 0.0
    assert float(ds["topical_snapshot"].min()) >= 0.0
    # clipping never needed more than a negligible amount
    assert np.all(ds["gf_clipped"].values[:, -1] <= 1e-6 * ds["gf_released"].values[:, -1])
    reach = ds["gf_reach"].values
    assert np.all(reach[:, 10] > 0)


def test_time_accuracy_vs_fine_step_reference(small_session: dict) -> None:
    """Default adaptive steps vs a fine-step reference (dt <= 5 s): <= 1 % at 10 min, 1 h, 6 h
    after the burst, for the fields (relative L2) and the band means (max-norm)."""
    g, inj, kw = small_session["grid"], small_session["injury"], small_session["kw"]
    snaps = (1 / 6, 1.0, 6.0)
    base = sg.SignallingConfig(window_day=0.25, topical_product="prp")
    fine = dataclasses.replace(base, dt_initial_s=0.5, dt_max_h=5 / 3600, steps_per_level=20)
    ref = sg.run_acute_window(g, inj, cfg=fine, snapshot_times_h=snaps, **kw)
    ds = sg.run_acute_window(g, inj, cfg=base, snapshot_times_h=snaps, **kw)
    assert int(ds["gf_steps"][0]) < int(ref["gf_steps"][0]) / 50
    report = []
    for name in sg.SPECIES:
        a = ds["gf_snapshot"].sel(species=name).values.astype(float)
        b = ref["gf_snapshot"].sel(species=name).values.astype(float)
        for i, th in enumerate(snaps):
            e_field = np.linalg.norm(a[i] - b[i]) / np.linalg.norm(b[i])
            ba = ds["gf_band"].sel(species=name).sel(time=th / 24, method="nearest").values
            bb = ref["gf_band"].sel(species=name).sel(time=th / 24, method="nearest").values
            e_band = np.max(np.abs(ba - bb)) / np.max(bb)
            report.append((name, th, e_field, e_band))
            assert e_field <= 0.01 and e_band <= 0.01, (name, th, e_field, e_band)
    a = ds["topical_snapshot"].values.astype(float)
    b = ref["topical_snapshot"].values.astype(float)
    for i, th in enumerate(snaps):
        e_field = np.linalg.norm(a[i] - b[i]) / np.linalg.norm(b[i])
        report.append(("topical", th, e_field, math.nan))
        assert e_field <= 0.01, ("topical", th, e_field)
    print("\n" + "\n".join(f"{n:8s} {t:5.2f} h  field {ef:.2e}  band {eb:.2e}"
                           for n, t, ef, eb in report))


def test_topical_delivery_through_channels_vs_intact(small_session: dict) -> None:
    g, inj, kw = small_session["grid"], small_session["injury"], small_session["kw"]
    cfg = sg.SignallingConfig(window_day=1.0, topical_product="prp")
    ds = sg.run_acute_window(g, inj, cfg=cfg, snapshot_times_h=(1.0,), species=(), **kw)
    expo = ds["topical_exposure"].values
    intact = ds["topical_exposure_intact"].values
    # microneedling opens the viable layers to the product (intact skin: follicles only)
    assert np.all(expo[1:4] > 10 * intact[1:4])
    assert float(ds["topical_entered"][-1]) > 10 * float(ds["topical_entered_intact"][-1])
    # faster channel closure delivers less
    fast_cfg = dataclasses.replace(cfg, channel_closure_half_life_h=0.1)
    fast = sg.run_acute_window(g, inj, cfg=fast_cfg, snapshot_times_h=(), species=(), **kw)
    assert float(fast["topical_entered"][-1]) < float(ds["topical_entered"][-1])
    # the open fraction follows the closure half-life
    phi = ds["channel_open_fraction"].values
    t_h = ds["time_topical"].values * 24
    assert np.allclose(phi, 2.0 ** (-t_h / cfg.channel_closure_half_life_h))


def test_source_strength_scales_with_injury_and_bleeding(small_session: dict) -> None:
    g, inj, kw = small_session["grid"], small_session["injury"], small_session["kw"]
    cfg = sg.SignallingConfig(window_day=0.5, topical_concentration_ng_ml=0.0)
    base = sg.run_acute_window(g, inj, cfg=cfg, snapshot_times_h=(), **kw)
    no_bleed = sg.run_acute_window(g, inj, cfg=cfg, snapshot_times_h=(),
                                   **{**kw, "bleeding": np.zeros_like(inj)})
    half = sg.run_acute_window(g, inj, cfg=cfg, snapshot_times_h=(),
                               **{**kw, "volume_scale": 0.5 * kw["volume_scale"]})
    r = base["gf_released"].values[:, -1]
    assert np.all(no_bleed["gf_released"].values[:, -1] < r)
    assert np.allclose(half["gf_released"].values[:, -1], 0.5 * r, rtol=1e-12)


def test_kinetics_within_the_published_windows(small_session: dict) -> None:
    """Yang 1999, Marikovsky 1993: active TGF-beta peaks within 1 h with a second peak at day
    3-5; PDGF (heparin-binding GF) peaks at day 2-3 and has nearly vanished by day 7."""
    g, inj, kw = small_session["grid"], small_session["injury"], small_session["kw"]
    ds = sg.run_acute_window(g, inj, snapshot_times_h=(), topical=False, **kw)
    t = ds["time"].values
    tg = ds["gf_band"].sel(species="tgfb1").mean("band").values
    pd = ds["gf_band"].sel(species="pdgf").mean("band").values
    assert t[np.argmax(tg)] < 1 / 24
    late = t > 1.0
    assert 3.0 <= t[late][np.argmax(tg[late])] <= 5.0
    assert 2.0 <= t[np.argmax(pd)] <= 3.0
    assert pd[-1] < 0.1 * pd.max()


def test_dataset_structure_units_and_figure(small_session: dict) -> None:
    g, inj, kw = small_session["grid"], small_session["injury"], small_session["kw"]
    cfg = sg.SignallingConfig(window_day=3.5, topical_product="prp")
    ds = sg.run_acute_window(g, inj, cfg=cfg, **kw)
    assert ds["gf_band"].dims == ("species", "time", "band")
    assert ds["gf_snapshot"].dims == ("species", "snapshot_time", "z", "x")
    assert list(ds["snapshot_time"].values) == [1.0, 6.0, 24.0, 72.0]
    assert ds["time"].attrs["units"] == "day"
    assert np.isclose(ds["time"].values[-1], 3.5)
    for name, var in ds.data_vars.items():
        assert "units" in var.attrs and "long_name" in var.attrs, name
    # bands cover the dermis with the configured thickness
    assert np.allclose(ds["band_bottom"] - ds["band_top"], cfg.band_um)
    fig = figure_snapshots(ds)
    assert len(fig.axes) >= 3 * 4
    import matplotlib.pyplot as plt

    plt.close(fig)


def test_time_grid_events_landing_and_caps() -> None:
    cfg = sg.SignallingConfig()
    tg = sg.time_grid(86400.0, cfg, events=(0.0, 3600.0), land=(600.0, 7200.0),
                      caps=[(5000.0, 100.0)])
    times = tg.times
    assert np.all(np.diff(times) > 0)
    assert times[-1] == pytest.approx(86400.0)
    for t in (600.0, 3600.0, 7200.0):
        assert np.min(np.abs(times - t)) < 1e-6
    assert tg.scheme[: cfg.n_be_restart] == ("be",) * cfg.n_be_restart
    i = int(np.argmin(np.abs(tg.t0 - 3600.0)))
    assert tg.scheme[i] == "be" and tg.dt[i] == pytest.approx(cfg.dt_initial_s)
    assert np.all(tg.dt[tg.t0 < 5000.0] <= 100.0 + 1e-9)
    assert tg.dt.max() <= cfg.dt_max_h * 3600 + 1e-6


def test_config_cards_and_validation() -> None:
    from dermsim.parameters import registered_cards

    names = {c.name for c in registered_cards()}
    for f in dataclasses.fields(sg.SignallingConfig):
        if f.name == "topical_product":  # a library name, not a number
            continue
        assert f"signalling.{f.name}" in names
    with pytest.raises(ConfigError):
        sg.SignallingConfig(tgfb1_half_life_h=-1.0).validate()
    grid = make_grid(site_stack("cheek"), h_um=20.0, width_um=200.0, depth_um=600.0)
    with pytest.raises(ValueError):
        sg.run_acute_window(grid, np.zeros((3, 3)))


def test_parameter_values_do_not_recompile(small_session: dict) -> None:
    g, inj, kw = small_session["grid"], small_session["injury"], small_session["kw"]
    kernels = (K.factor_x, K.factor_z, K.sweep_x, K.sweep_z, K.combine_sources,
               K.clip_row_stats)
    cfg = sg.SignallingConfig(window_day=0.1)
    sg.run_acute_window(g, inj, cfg=cfg, snapshot_times_h=(), **kw)
    counts = [len(k.signatures) for k in kernels]
    cfg2 = dataclasses.replace(cfg, tgfb1_D_dermis_um2_s=3.0, pdgf_half_life_h=5.0,
                               channel_closure_half_life_h=2.0, topical_concentration_ng_ml=5.0,
                               gf_channel_outflow=0.5)
    sg.run_acute_window(g, inj, cfg=cfg2, snapshot_times_h=(), **kw)
    assert [len(k.signatures) for k in kernels] == counts
