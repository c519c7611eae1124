"""The coarse 2-D grid, the paracrine spread, the block solver, ageing and homeostasis."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import scipy.sparse as sp

from dermsim import remodelling as rm
from dermsim.coupling import CouplingWarning, coupled_signalling_config
from dermsim.patient import PatientConfig
from dermsim.remodelling.blocksolve import block_lu
from dermsim.remodelling.field import ParacrineField, coarse_grid, laplacian, lateral_weights
from dermsim.signalling import SignallingConfig

CFG = rm.RemodellingConfig()
Z = np.arange(100.0, 951.0, 50.0)


@pytest.mark.parametrize("nx", [1, 2, 7, 40])
def test_paracrine_spread_is_the_exact_helmholtz_solve_and_conserves(nx):
    p = rm.derived_rates(CFG)
    cg = coarse_grid(Z, np.full(Z.size, 50.0), nx * 50.0, 50.0)
    par = ParacrineField(cg, p)
    rng = np.random.default_rng(0)
    s = rng.random((2, cg.n))
    g = par.spread(s)
    lap = laplacian(cg)
    for k, (d, kk) in enumerate(((p.DA, p.kA), (p.DP, p.kP))):
        dense = np.linalg.inv((sp.identity(cg.n) - d / kk * lap).toarray())
        assert np.allclose(g[k], dense @ s[k], rtol=1e-10, atol=1e-13)
        assert np.allclose(par.diag[k], np.diag(dense), rtol=1e-10)
        w = np.repeat(cg.dz_um, cg.nx)
        assert g[k] @ w == pytest.approx(s[k] @ w, rel=1e-12)  # decay acts on the same amount
        assert g[k].min() >= 0.0


def test_paracrine_range_follows_sqrt_d_over_k():
    """A point source spreads laterally over sqrt(D/k): doubling D widens the profile."""
    cg = coarse_grid(np.array([500.0]), np.array([50.0]), 4000.0, 25.0)
    widths = []
    for d in (5.0, 10.0, 20.0):
        p = rm.derived_rates(CFG, signalling=SignallingConfig(tgfb1_D_dermis_um2_s=d))
        src = np.zeros((2, cg.n))
        src[0, cg.n // 2] = 1.0
        g = ParacrineField(cg, p).spread(src)[0]
        x = cg.x_um - cg.x_um[cg.n // 2]
        widths.append(np.sqrt((g * x**2).sum() / g.sum()))
        ell = np.sqrt(p.DA / p.kA)
        assert widths[-1] == pytest.approx(np.sqrt(2.0) * ell, rel=0.1)
    assert widths[0] < widths[1] < widths[2]


def test_lateral_weights_average_and_partition():
    w = lateral_weights(408, 82)
    assert np.allclose(w.sum(axis=1), 1.0)
    assert np.allclose(w.sum(axis=0) * 408 / 82, 1.0)  # every fine column counted once


def test_block_lu_solves_like_a_dense_solve():
    rng = np.random.default_rng(1)
    blocks = rng.random((30, 16, 16)) + 4 * np.eye(16)
    a = sp.block_diag(list(blocks), format="csc")
    b = rng.random(30 * 16)
    assert np.allclose(block_lu(a, 16).solve(b), np.linalg.solve(a.toarray(), b))


def test_growth_factor_decay_comes_from_the_signalling_stage():
    """One half-life per species: the remodelling decay rates are the signalling ones."""
    a = rm.derived_rates(CFG, signalling=SignallingConfig(tgfb1_half_life_h=2.2,
                                                          pdgf_half_life_h=4.0))
    assert a.kA == pytest.approx(np.log(2) / (2.2 / 24))
    assert a.kP == pytest.approx(np.log(2) / (4.0 / 24))


def test_inactive_late_release_warns_and_is_zero():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        cfg = coupled_signalling_config(SignallingConfig())
    assert cfg.tgfb1_late_ng_ml == 0.0 and cfg.pdgf_late_ng_ml == 0.0
    with pytest.warns(CouplingWarning, match="tgfb1_late_ng_ml"):
        coupled_signalling_config(SignallingConfig(tgfb1_late_ng_ml=100.0))


def test_untreated_twin_loses_one_percent_per_year():
    ds = rm.simulate_remodelling(Z[:2], [], 730.0, CFG, output_times_day=[0, 365, 730])
    loss = ds["collagen_I_untreated_rel_change"].values
    assert loss[0] == pytest.approx(0.0, abs=1e-9)
    assert loss[1] == pytest.approx(np.exp(-0.01) - 1.0, rel=1e-3)
    assert loss[2] == pytest.approx(np.exp(-0.02) - 1.0, rel=1e-3)
    assert float(np.abs(ds["collagen_I_rel_change"]).max()) < 1e-6  # no sessions: no gain


@pytest.mark.parametrize("short", [0.005, 0.02, 0.10])
@pytest.mark.parametrize("ageing", [0.0, 0.01])
def test_homeostasis_returns_to_the_twin_without_overshoot(short, ageing):
    """Collagen started below its set point returns to it monotonically (no overshoot)."""
    cfg = CFG.replace(age_collagen_loss_per_year=ageing)
    y0 = rm.baseline_state(1, cfg)
    y0[:, rm.iC1] *= 1.0 - short
    y0[:, rm.iC3] *= 1.0 - short
    t = np.linspace(0.0, 20 * 365.0, 81)
    ds = rm.simulate_remodelling([500.0], [], t[-1], cfg, output_times_day=t, state0=y0)
    gap = ds["collagen_I_rel_change"].isel(band=0).values  # treated minus twin
    assert gap[0] == pytest.approx(-short, rel=1e-6)
    assert np.all(gap <= 1e-7)  # never above the twin
    assert np.all(np.diff(gap) >= -1e-9)  # monotone return
    assert gap[-1] > -0.5 * short  # and it does return (on the homeostatic time scale)


def _course(age: float, **kw) -> float:
    z = np.array([150.0, 300.0])
    drives = rm.synthetic_protocol([0.0, 28.0, 56.0], z, 1000.0)
    ds = rm.simulate_remodelling(z, drives, 240.0, CFG.replace(**kw), [240.0],
                                 patient=PatientConfig(age_years=age))
    return float(ds["collagen_I_rel_change"].isel(time=-1).mean())


def test_older_patients_gain_less():
    assert _course(70.0) < _course(45.0) < _course(30.0)


def test_gains_fade_without_sessions_and_faster_with_stronger_homeostasis():
    z = np.array([300.0])
    drives = rm.synthetic_protocol([0.0], z, 1000.0)
    t = [180.0, 900.0]
    g = {}
    for kap in (2.0, 8.0):
        ds = rm.simulate_remodelling(z, drives, 900.0, CFG.replace(homeostatic_gain=kap), t)
        v = ds["collagen_I_rel_change"].isel(band=0).values
        g[kap] = v[1] / v[0]
    assert g[8.0] < g[2.0] < 1.0


def test_maps_and_band_means_on_a_2d_grid():
    """On bands x columns, injured columns gain more than distant ones; maps are returned."""
    nz, nx = 4, 12
    z = np.array([150.0, 250.0, 350.0, 450.0])
    one = rm.synthetic_drive(0.0, z, 1000.0)
    inj = np.zeros((nz, nx))
    inj[:, 0] = 0.5
    t = one.gf_time_day
    gf = {k: (v.mean(axis=1)[:, None, None] * (inj > 0)[None]).reshape(t.size, -1) * 4
          for k, v in one.gf_band_ng_ml.items()}
    d = rm.SessionDrive(0.0, inj.ravel(), np.ones(nz * nx), t, gf, np.zeros(nz * nx),
                        np.zeros(nz * nx))
    ds = rm.simulate_remodelling(z, [d], 120.0, CFG, columns=nx, column_width_um=50.0,
                                 map_times_day=[14.0, 120.0])
    m = ds["collagen_I_change_map"].sel(map_time=120.0)
    assert m.dims == ("band", "column")
    prof = m.mean("band").values
    assert prof[0] > prof[3] > prof[6]  # falls off with distance from the channel
    assert prof[6] >= 0.0
    band = ds["collagen_I_rel_change"].isel(time=-1).values * 100
    assert np.allclose(band, m.mean("column").values, rtol=1e-6, atol=1e-9)


def test_wound_zone_coverage_is_the_3d_lattice_coverage():
    """One channel per in-plane spacing a: the slice mean of the zone coverage is the 3-D
    expected number of zones, n·π·ρ² = π ρ² / a², with ρ = channel radius + reach."""
    from dermsim.coupling import wound_zone_coverage

    h, nx, a = 5.0, 400, 1000.0  # 2000 um slice, two channels
    inj = np.zeros((3, nx))
    inj[:2, 100:110] = 1.0  # radius 25 um on the two top rows
    inj[:2, 300:310] = 1.0
    cov = wound_zone_coverage(inj, h, a, 175.0)
    rho = 25.0 + 175.0
    assert cov[0].mean() == pytest.approx(np.pi * rho**2 / a**2, rel=0.05)
    assert np.all(cov[2] == 0.0)  # no channel on this row
    assert np.all(wound_zone_coverage(inj, h, a, 0.0) == 0.0)
    # a longer reach covers more, denser channels (smaller spacing) cover more
    assert wound_zone_coverage(inj, h, a, 300.0)[0].mean() > cov[0].mean()
    assert wound_zone_coverage(inj, h, 0.5 * a, 175.0)[0].mean() > cov[0].mean()


def test_wound_zone_raises_the_damage_jump_but_not_the_cell_kill():
    from dermsim.remodelling import RemodellingConfig, SessionDrive, apply_session, baseline_state
    from dermsim.remodelling.state import iD, iF, iR

    t = np.array([0.0, 1.0])
    gf = {"tgfb1": np.zeros((2, 1)), "pdgf": np.zeros((2, 1))}
    plain = SessionDrive(0.0, [0.1], [0.0], t, gf, [0.0], [0.0])
    zoned = SessionDrive(0.0, [0.1], [0.0], t, gf, [0.0], [0.0], wound_zone=[0.6], flare=[1.0])
    cfg = RemodellingConfig()
    y0 = baseline_state(1, cfg)
    a, b = apply_session(y0, plain, cfg), apply_session(y0, zoned, cfg)
    assert b[0, iD] == pytest.approx(a[0, iD] + cfg.wound_zone_signal * 0.5)
    assert b[0, iF] == pytest.approx(a[0, iF])
    assert b[0, iR] == pytest.approx(a[0, iR] + cfg.erythema_flare_level)
