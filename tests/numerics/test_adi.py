"""Verification of the implicit diffusion solver (dermsim.numerics.ADISolver and its kernels).

Analytic checks (2-D Gaussian bolus with decay (Crank 1975), steady two-layer slab, decaying
cosine mode), conservation, observed spatial order, and kernel-vs-reference checks.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.sparse.linalg as spla

from dermsim import numerics as S
from dermsim.numerics.kernels import adi as K


def _random_problem(nz: int = 13, nx: int = 19, seed: int = 0) -> dict:
    rng = np.random.default_rng(seed)
    h = 1e-5
    kc = rng.uniform(1e-11, 1e-10, (nz, nx))
    fx, fz = S.face_coefficients(kc)
    return dict(
        h=h,
        kc=kc,
        fx=fx,
        fz=fz,
        cap=rng.uniform(0.5, 2.0, (nz, nx)),
        sink=rng.uniform(0.0, 1e-3, (nz, nx)),
        gt=rng.uniform(0.0, 1e-6, nx),
        gb=rng.uniform(0.0, 1e-6, nx),
        ut=rng.uniform(0.0, 1.0, nx),
        ub=0.3,
        q=rng.uniform(0.0, 1e-3, (nz, nx)),
        u0=rng.uniform(0.0, 1.0, (nz, nx)),
    )


@pytest.mark.parametrize("scheme", ["pr", "be"])
def test_adi_kernel_matches_sparse_reference(scheme: str) -> None:
    p = _random_problem()
    sol = S.ADISolver(p["h"], p["cap"], p["fx"], p["fz"], p["sink"], p["gt"], p["gb"])
    u = p["u0"].copy()
    sol.step(u, 37.0, p["q"], p["ut"], p["ub"], scheme)
    ref = S.adi_step_reference(p["u0"], 37.0, p["h"], p["cap"], p["fx"], p["fz"], p["sink"],
                               p["gt"], p["gb"], p["q"], p["ut"], p["ub"], scheme)
    assert np.max(np.abs(u - ref)) <= 1e-12 * np.max(np.abs(ref))


def test_explicit_kernel_matches_numpy_reference() -> None:
    p = _random_problem(nz=11, nx=17, seed=3)
    dt = 0.5 * S.explicit_dt_limit(p["fx"], p["fz"], p["h"], 1e-3, p["gt"], p["gb"])
    a = np.empty_like(p["u0"])
    b = np.empty_like(p["u0"])
    S.explicit_step(p["u0"], a, p["fx"], p["fz"], dt, p["h"], 1e-3, p["gt"], p["gb"], p["ut"],
                    p["ub"])
    S.explicit_step_reference(p["u0"], b, p["fx"], p["fz"], dt, p["h"], 1e-3, p["gt"], p["gb"],
                              p["ut"], p["ub"])
    assert np.max(np.abs(a - b)) <= 1e-14
    assert np.max(np.abs(a - p["u0"])) > 1e-3  # it did something


def test_sparse_cn_and_adi_agree_on_smooth_problem() -> None:
    """PR-ADI and CN (splu) are both 2nd order in time: they agree to O(dt^2) at small dt."""
    p = _random_problem(nz=16, nx=24, seed=5)
    x = (np.arange(24) + 0.5) / 24
    z = (np.arange(16) + 0.5) / 16
    u0 = 1.0 + np.cos(2 * np.pi * x)[None, :] * np.cos(np.pi * z)[:, None]
    args = (p["h"], p["cap"], p["fx"], p["fz"], p["sink"], p["gt"], p["gb"])
    adi = S.ADISolver(*args)
    ref = S.SparseReferenceSolver(*args)
    ua, ur = u0.copy(), u0.copy()
    for _ in range(40):
        adi.step(ua, 2.0, p["q"], p["ut"], p["ub"], "pr")
        ref.step(ur, 2.0, p["q"], p["ut"], p["ub"], "cn")
    assert np.max(np.abs(ua - ur)) < 1e-4 * np.max(np.abs(ur - u0))


def test_conservation_no_decay_no_flux() -> None:
    p = _random_problem(nz=30, nx=40, seed=1)
    sol = S.ADISolver(p["h"], p["cap"], p["fx"], p["fz"])
    u = np.zeros((30, 40))
    u[5:9, 10:12] = 1.0  # sharp start
    m0 = sol.total(u)
    for i in range(300):  # dt from 10 s growing to 6 h, as in the acute window
        sol.step(u, min(10.0 * 1.05**i, 21600.0), scheme="be" if i < 4 else "pr")
    drift = abs(sol.total(u) - m0) / m0
    assert drift < 1e-10


@pytest.mark.parametrize("scheme", ["pr", "be"])
def test_boundary_inflow_accounting(scheme: str) -> None:
    """Change of the total equals the reported boundary inflow plus the source (no sink)."""
    p = _random_problem(seed=7)
    sol = S.ADISolver(p["h"], p["cap"], p["fx"], p["fz"], 0.0, p["gt"] * 100, p["gb"] * 100)
    u = p["u0"].copy()
    m0 = sol.total(u)
    dt = 50.0
    sol.step(u, dt, p["q"], p["ut"], p["ub"], scheme)
    added = dt * p["q"].sum() * p["h"] ** 2
    lf = sol.last_flux
    assert abs(lf.top) > 1e-6 * m0
    assert sol.total(u) - m0 == pytest.approx(lf.top + lf.bottom + added, rel=1e-10, abs=1e-20)


def test_gaussian_bolus_with_decay_v6_2d() -> None:
    """Bolus diffusion with decay in 2-D (Crank 1975): C = M/(4 pi D t) exp(-r^2/(4 D t) - k t);
    mass M exp(-k t).

    D = 1e-7 cm^2/s = 1e-11 m^2/s, k = ln 2 / 1 h. Started from the exact profile at t0 = 15 min
    (a point cannot be resolved on the grid), run to t0 + 1 h with a BE start then PR-ADI at
    dt = 30 s; homogeneous medium, periodic x, no-flux z, decay as the implicit sink.
    """
    d = 1e-11
    k = math.log(2) / 3600.0
    h = 20e-6
    n = 150  # 3 mm x 3 mm
    t0, t1 = 900.0, 900.0 + 3600.0
    xc = (np.arange(n) + 0.5) * h - n * h / 2
    r2 = xc[:, None] ** 2 + xc[None, :] ** 2
    m = 1.0

    def exact(t: float) -> np.ndarray:
        return m / (4 * np.pi * d * t) * np.exp(-r2 / (4 * d * t) - k * t)

    kc = np.full((n, n), d)
    fx, fz = S.face_coefficients(kc)
    sol = S.ADISolver(h, 1.0, fx, fz, sink=k)
    u = exact(t0)  # bolus released at t = 0 (already decayed by exp(-k t0))
    t = t0
    dt = 30.0
    for i in range(round((t1 - t0) / dt)):
        sol.step(u, dt, scheme="be" if i < 2 else "pr")
        t += dt
    ue = exact(t1)
    mass = sol.total(u)
    mass_exact = m * math.exp(-k * t1)
    assert abs(mass - mass_exact) / mass_exact < 1e-3
    assert np.max(np.abs(u - ue)) / ue.max() < 0.02
    # 1/e radius sqrt(4 D t) = 0.42 mm at 1.25 h (0.38 mm at 1 h, V6)
    assert math.sqrt(4 * d * 3600.0) == pytest.approx(0.38e-3, rel=0.01)


def test_pure_decay_with_sink() -> None:
    """Uniform field with sink k: PR treats decay by the (1 - k dt/4)^2/(1 + k dt/4)^2 rule."""
    n = 8
    fx, fz = S.face_coefficients(np.full((n, n), 1e-11))
    k = 1e-4
    sol = S.ADISolver(1e-5, 1.0, fx, fz, sink=k)
    u = np.ones((n, n))
    for _ in range(100):
        sol.step(u, 10.0)
    assert np.allclose(u, math.exp(-k * 1000.0), rtol=1e-7)
    assert np.ptp(u) < 1e-14


@pytest.mark.parametrize("scheme", ["pr", "be"])
def test_steady_two_layer_slab(scheme: str) -> None:
    """Flux-continuous piecewise-linear steady profile, Dirichlet top/bottom via conductances."""
    nz, nx, h = 40, 6, 10e-6
    k1, k2 = 1e-11, 4e-11
    n1 = 15  # interface at 150 um (a face)
    kc = np.empty((nz, nx))
    kc[:n1] = k1
    kc[n1:] = k2
    fx, fz = S.face_coefficients(kc)
    sol = S.ADISolver(h, 1.0, fx, fz, g_top=k1 / (h / 2), g_bottom=k2 / (h / 2))
    u = np.zeros((nz, nx))
    # PR is only A-stable: stiff modes decay like (1 - x)/(1 + x) -> -1, so sweep dt geometrically
    # (every error mode meets a step with lambda*dt ~ 1); BE is L-stable and takes big steps.
    dts = [min(0.1 * 1.2**i, 1e4) for i in range(120)] if scheme == "pr" else [1e6] * 60
    for dt in dts:
        sol.step(u, dt, u_top=1.0, u_bottom=0.0, scheme=scheme)
    a, length = n1 * h, nz * h
    flux = 1.0 / (a / k1 + (length - a) / k2)
    z = (np.arange(nz) + 0.5) * h
    exact = np.where(z < a, 1.0 - flux * z / k1, flux * (length - z) / k2)
    assert np.max(np.abs(u - exact[:, None])) < 1e-10


def _mode_error(n: int) -> float:
    """Max error of the decaying mode cos(2 pi x/Lx) cos(pi z/Lz) in a homogeneous medium."""
    nz, nx = n, 2 * n
    lz = 1e-3
    h = lz / nz
    d = 1e-10
    kc = np.full((nz, nx), d)
    fx, fz = S.face_coefficients(kc)
    x = (np.arange(nx) + 0.5) * h
    z = (np.arange(nz) + 0.5) * h
    shape = np.cos(2 * np.pi * x / (nx * h))[None, :] * np.cos(np.pi * z / lz)[:, None]
    lam = d * ((2 * np.pi / (nx * h)) ** 2 + (np.pi / lz) ** 2)
    sol = S.ADISolver(h, 1.0, fx, fz)
    u = shape.copy()
    t_end, steps = 0.5 / lam, 400
    for _ in range(steps):
        sol.step(u, t_end / steps)
    return float(np.max(np.abs(u - shape * math.exp(-lam * t_end))))


def test_second_order_spatial_convergence_analytic() -> None:
    errs = [_mode_error(n) for n in (8, 16, 32)]
    orders = [math.log2(errs[i] / errs[i + 1]) for i in range(2)]
    print(f"\nobserved spatial order (analytic cosine mode): errors {errs}, orders {orders}")
    assert all(1.9 < o < 2.2 for o in orders)


def _layered_solution(n: int) -> np.ndarray:
    """Layered, laterally varying K with an aligned interface; smooth initial data; t = 2000 s."""
    nz, nx = n, 2 * n
    lz = 1e-3
    h = lz / nz
    x = (np.arange(nx) + 0.5) * h
    z = (np.arange(nz) + 0.5) * h
    base = np.where(z < 0.25 * lz, 2e-11, 8e-11)[:, None]
    kc = base * (1.0 + 0.5 * np.sin(2 * np.pi * x / (nx * h)))[None, :]
    fx, fz = S.face_coefficients(kc)
    u = 1.0 + np.cos(2 * np.pi * x / (nx * h))[None, :] * np.cos(np.pi * z / lz)[:, None] ** 2
    sol = S.ADISolver(h, 1.0, fx, fz, sink=1e-4)
    for _ in range(200):
        sol.step(u, 10.0)
    return u


def _restrict(u: np.ndarray, f: int) -> np.ndarray:
    nz, nx = u.shape
    return u.reshape(nz // f, f, nx // f, f).mean(axis=(1, 3))


def test_second_order_spatial_convergence_layered() -> None:
    fine = _layered_solution(128)
    errs = []
    for n in (16, 32, 64):
        ref = _restrict(fine, 128 // n)
        errs.append(float(np.max(np.abs(_layered_solution(n) - ref))))
    orders = [math.log2(errs[i] / errs[i + 1]) for i in range(2)]
    print(f"\nobserved spatial order (layered K, vs 128x256 reference): errors {errs}, "
          f"orders {orders}")
    assert orders[-1] > 1.8


def test_pr_with_be_start_vs_explicit_after_sharp_start() -> None:
    """Sharp channel initial data (channels in a two-layer slab): BE start + PR at 15 s."""
    nz, nx, h = 60, 80, 10e-6
    kc = np.full((nz, nx), 3e-11)
    kc[:8] = 1e-11
    kc[:40, 38:42] = 1e-10  # channel
    k = math.log(2) / 3600.0
    u0 = np.zeros((nz, nx))
    u0[:40, 38:42] = 1.0
    fx, fz = S.face_coefficients(kc)
    dte = 0.5 * S.explicit_dt_limit(fx, fz, h, k)
    t_end = 600.0
    ne = math.ceil(t_end / dte)
    dte = t_end / ne
    a, b = u0.copy(), np.empty_like(u0)
    for _ in range(ne):
        S.explicit_step(a, b, fx, fz, dte, h, k)
        a, b = b, a
    ref = a

    def adi(n_be: int, dt: float) -> float:
        sol = S.ADISolver(h, 1.0, fx, fz, sink=k)
        u = u0.copy()
        for i in range(round(t_end / dt)):
            sol.step(u, dt, scheme="be" if i < n_be else "pr")
        return float(np.linalg.norm(u - ref) / np.linalg.norm(ref))

    err_start = adi(2, 15.0)
    err_plain = adi(0, 30.0)
    err_start30 = adi(2, 30.0)
    print(f"\nrel L2 at 10 min: BE-start dt=15 s {err_start:.2e}, dt=30 s {err_start30:.2e}, "
          f"plain PR dt=30 s {err_plain:.2e}")
    assert err_start < 2e-3
    assert err_start30 < 5e-3
    assert err_plain > 3 * err_start30


def test_parameter_values_do_not_recompile() -> None:
    p = _random_problem()
    kernels = (K.factor_x, K.factor_z, K.sweep_x, K.sweep_z, K.explicit_step)

    def run(scale: float) -> None:
        sol = S.ADISolver(p["h"] * scale, p["cap"] * scale, p["fx"] * scale, p["fz"] * scale,
                          p["sink"] * scale, p["gt"] * scale, p["gb"] * scale)
        u = p["u0"].copy()
        sol.step(u, 11.0 * scale, p["q"] * scale, 0.5 * scale, 0.1, "be")
        sol.step(u, 13.0 * scale, None, p["ut"], 0.0, "pr")
        sol.set_boundary(g_top=0.0)
        sol.step(u, 13.0 * scale, p["q"], 1.0, 0.0, "pr")
        out = np.empty_like(u)
        S.explicit_step(u, out, p["fx"] * scale, p["fz"], 0.1 * scale, p["h"], 1e-4 * scale)

    run(1.0)
    counts = [len(kn.signatures) for kn in kernels]
    run(1.7)
    run(0.3)
    assert [len(kn.signatures) for kn in kernels] == counts
    assert all(c == 1 for c in counts)


def test_factor_cache_and_boundary_change() -> None:
    p = _random_problem()
    sol = S.ADISolver(p["h"], 1.0, p["fx"], p["fz"], max_cached=2)
    u = p["u0"].copy()
    sol.step(u, 10.0, scheme="be")
    sol.step(u, 20.0, scheme="pr")  # same tau = 10 s: no new factorisation
    assert sol.n_factorisations == 1
    sol.set_boundary(g_top=1e-6)
    m0 = sol.total(u)
    sol.step(u, 20.0, u_top=0.0, scheme="pr")
    assert sol.total(u) < m0  # outflow through the newly opened top face
    assert sol.last_flux.top < 0


def test_input_validation() -> None:
    p = _random_problem()
    with pytest.raises(ValueError):
        S.ADISolver(p["h"], 0.0, p["fx"], p["fz"])
    sol = S.ADISolver(p["h"], 1.0, p["fx"], p["fz"])
    with pytest.raises(ValueError):
        sol.step(p["u0"].copy(), 1.0, scheme="cn")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        sol.step(np.asfortranarray(p["u0"]), 1.0)


@pytest.mark.parametrize("scheme", ["pr", "be"])
def test_scale_argument_equals_prescaled_input(scheme: str) -> None:
    p = _random_problem(seed=11)
    sol = S.ADISolver(p["h"], p["cap"], p["fx"], p["fz"], p["sink"], p["gt"], p["gb"])
    a = p["u0"].copy()
    b = 0.37 * p["u0"]
    sol.step(a, 25.0, p["q"], p["ut"], p["ub"], scheme, scale=0.37)
    fa = sol.last_flux
    sol.step(b, 25.0, p["q"], p["ut"], p["ub"], scheme)
    assert np.max(np.abs(a - b)) <= 1e-14 * np.max(np.abs(b))
    assert fa.top == pytest.approx(sol.last_flux.top, rel=1e-12)


def test_fused_helpers_match_numpy() -> None:
    rng = np.random.default_rng(2)
    a, b = rng.random((7, 9)), rng.random((7, 9))
    q = np.empty((7, 9))
    assert np.allclose(S.combine_sources(q, a, 2.0, b, -3.0), 2 * a - 3 * b)
    assert np.allclose(S.combine_sources(q, None, 2.0, b, 0.5), 0.5 * b)
    u = rng.normal(size=(7, 9))
    neg = np.minimum(u, 0).sum()
    ref = np.maximum(u, 0)
    rs, rm = np.empty(7), np.empty(7)
    assert S.clip_row_stats(u, rs, rm) == pytest.approx(neg)
    assert np.array_equal(u, ref)
    assert np.allclose(rs, ref.sum(axis=1)) and np.allclose(rm, ref.max(axis=1))


def test_top_conductance_update_equals_fresh_factorisation() -> None:
    """set_boundary(g_top=...) only updates the top pivot (bottom-up z elimination)."""
    p = _random_problem(seed=4)
    sol = S.ADISolver(p["h"], p["cap"], p["fx"], p["fz"], p["sink"], p["gt"], p["gb"])
    u = p["u0"].copy()
    sol.step(u, 40.0, scheme="pr")  # factors cached for tau = 20 s
    sol.step(u, 20.0, scheme="be")  # the BE step (sink all in z) keeps its own factors
    n0 = sol.n_factorisations
    assert n0 == 2
    new_gt = p["gt"] * 50.0
    sol.set_boundary(g_top=new_gt)
    a = p["u0"].copy()
    sol.step(a, 40.0, p["q"], p["ut"], p["ub"], "pr")  # tau = 20 s again
    assert sol.n_factorisations == n0
    fresh = S.ADISolver(p["h"], p["cap"], p["fx"], p["fz"], p["sink"], new_gt, p["gb"])
    b = p["u0"].copy()
    fresh.step(b, 40.0, p["q"], p["ut"], p["ub"], "pr")
    assert np.max(np.abs(a - b)) <= 1e-13 * np.max(np.abs(b))
    a_be, b_be = p["u0"].copy(), p["u0"].copy()
    sol.step(a_be, 20.0, p["q"], p["ut"], p["ub"], "be")
    fresh.step(b_be, 20.0, p["q"], p["ut"], p["ub"], "be")
    assert sol.n_factorisations == n0
    assert np.max(np.abs(a_be - b_be)) <= 1e-13 * np.max(np.abs(b_be))
    sol.set_boundary(g_bottom=p["gb"] * 3.0)  # the bottom face needs a new factorisation
    sol.step(a, 40.0, scheme="pr")
    assert sol.n_factorisations == n0
    ref = S.adi_step_reference(b, 40.0, p["h"], p["cap"], p["fx"], p["fz"], p["sink"], new_gt,
                               p["gb"] * 3.0)
    assert np.max(np.abs(a - ref)) <= 1e-12 * np.max(np.abs(ref))


@pytest.mark.parametrize("h_um", [5.0, 2.5])
def test_line_source_with_restart_steps_is_positive_symmetric_and_exact(h_um: float) -> None:
    """A constant line source (2-D, no perfusion, dermis-like k and rho c, 5 ms steps: two
    backward-Euler restart steps, then Peaceman–Rachford) must only heat, equally along x and
    z, and match the continuous line source dT = q'/(4 pi k) E1(r^2 / (4 alpha t)) at 0.1 s
    (Carslaw & Jaeger 1959, §10.4). A restart step that put part of the source into the
    depth-only sweep left a vertical streak that the PR steps kept ringing."""
    from scipy.special import exp1

    h = h_um * 1e-6
    n = 2 * int(round(500.0 / h_um)) + 1  # +-500 um: the heated region is ~250 um at 0.1 s
    k, rc, q_line, dt, t_end = 0.5, 4.0e6, 1.0, 5e-3, 0.1
    fx, fz = S.face_coefficients(np.full((n, n), k))
    sol = S.ADISolver(h, rc, fx, fz)
    c = n // 2
    q = np.zeros((n, n))
    q[c, c] = q_line / h**2
    u = np.zeros((n, n))
    for s in range(int(round(t_end / dt))):
        sol.step(u, dt, q, scheme="be" if s < 2 else "pr")
    scale = q_line / (4 * math.pi * k)
    assert u.min() >= -1e-12 * scale
    # symmetric about the source, and x <-> z
    np.testing.assert_allclose(u, u[::-1, :], rtol=0, atol=1e-9 * scale)
    np.testing.assert_allclose(u, u[:, ::-1], rtol=0, atol=1e-9 * scale)
    np.testing.assert_allclose(u, u.T, rtol=0, atol=1e-6 * scale)
    alpha = k / rc
    for r_um in (50.0, 100.0, 200.0):
        m = int(round(r_um / h_um))
        exact = scale * exp1((m * h) ** 2 / (4 * alpha * t_end))
        assert u[c + m, c] == pytest.approx(exact, rel=0.02)
        assert u[c, c + m] == pytest.approx(exact, rel=0.02)
    # energy: everything released is in the domain (no-flux faces)
    assert sol.total(u) == pytest.approx(q_line * t_end, rel=1e-10)


@pytest.mark.parametrize("sink", [0.0, 1e-3])
def test_restart_steps_with_point_release_stay_positive_and_symmetric(sink: float) -> None:
    """A point release with the integrating-factor scale of the growth-factor stage (no sink),
    and with a uniform sink (perfusion), stays non-negative and x/z symmetric: exactly without a
    sink, to O(dt S) with one (the restart step takes the sink implicitly in z)."""
    n, h, dt = 81, 10e-6, 15.0
    fx, fz = S.face_coefficients(np.full((n, n), 1e-10))
    sol = S.ADISolver(h, 1.0, fx, fz, sink=sink)
    q = np.zeros((n, n))
    q[n // 2, n // 2] = 1.0
    u = np.zeros((n, n))
    for s in range(12):
        sol.step(u, dt, q, scheme="be" if s < 2 else "pr", scale=math.exp(-1e-4 * dt))
    assert u.min() >= 0.0
    tol = 1e-9 if sink == 0 else 2 * dt * sink
    np.testing.assert_allclose(u, u.T, rtol=0, atol=tol * u.max())


def test_restart_step_keeps_a_laterally_uniform_steady_state() -> None:
    """Heat conduction with perfusion towards a deep Dirichlet face: the steady state (from the
    sparse operator) is a fixed point of the backward-Euler restart step and of PR."""
    nz, nx, h = 40, 6, 20e-6
    k = np.where(np.arange(nz)[:, None] < 5, 0.2, 0.5) * np.ones((nz, nx))
    fx, fz = S.face_coefficients(k)
    sink, cap, q = 2000.0, 4e6, 2000.0 * 310.0
    gt, gb = 10.0, 2 * k[-1] / h
    L, b = S.assemble_operator(h, fx, fz, sink, gt, gb, 298.0, 310.0)
    u0 = spla.spsolve(L.tocsc(), -(b + q))
    sol = S.ADISolver(h, cap, fx, fz, sink, gt, gb)
    u = u0.reshape(nz, nx).copy()
    for scheme in ("be", "be", "pr"):
        sol.step(u, 0.05, np.full((nz, nx), q), 298.0, 310.0, scheme)  # type: ignore[arg-type]
    assert np.max(np.abs(u - u0.reshape(nz, nx))) < 1e-9


def test_face_coefficients_are_the_harmonic_mean_for_real_and_complex_fields() -> None:
    """One rule for every stage: series conductance of two half-cells, 0 next to a
    non-conducting cell, periodic in x; also for complex admittivities (RF potential)."""
    k = np.array([[1.0, 3.0, 0.0], [2.0, 2.0, 4.0]])
    fx, fz = S.face_coefficients(k)
    assert fx[0, 0] == pytest.approx(1.5) and fx[0, 1] == 0.0 and fx[0, 2] == 0.0
    assert fx[1, 2] == pytest.approx(2 * 4 * 2 / 6)  # periodic face between columns 2 and 0
    assert np.array_equal(fz[0], np.zeros(3)) and np.array_equal(fz[-1], np.zeros(3))
    assert fz[1, 0] == pytest.approx(4 / 3) and fz[1, 2] == 0.0
    z = np.array([1.0 + 2.0j, 3.0 - 1.0j])
    w = np.array([2.0 + 0.5j, 0.0 + 0.0j])
    np.testing.assert_allclose(S.harmonic_mean(z, w), [2 * z[0] * w[0] / (z[0] + w[0]), 0.0])
