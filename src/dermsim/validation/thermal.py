"""Validation cases of the thermal stage: steady Pennes bioheat (V1, analytic), a layered slab
(V2, analytic) and the Arrhenius damage integral (V4).

Only the standard library is imported at module level; numpy, scipy and the stage modules
are imported when a case runs.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from dermsim.validation.framework import CaseContext, case, fmt

__all__ = ["JIANG_LAYERS", "V1_K", "V1_RHOC_B", "V1_TA", "V1_TS", "V1_WB", "V4_TARGETS",
           "layered_pennes_exact", "march_to_steady", "observed_order", "pennes_column",
           "ramp_damage", "v1_pennes_steady", "v2_layered_slab", "v4_arrhenius"]


def observed_order(errors: list[float], hs: list[float]) -> float:
    """Observed order of convergence from the errors on the last two grid spacings."""
    if len(errors) < 2 or errors[-1] <= 0 or errors[-2] <= 0:
        return float("nan")
    return math.log(errors[-2] / errors[-1]) / math.log(hs[-2] / hs[-1])


# ------------------------------------------------------------------------------------------------
# V1 — Pennes steady state (analytic)
# ------------------------------------------------------------------------------------------------

#: V1 inputs: dermis k and perfusion, blood ρc (Jiang 2002 set [S]), arterial and surface
#: temperature.
V1_K, V1_WB, V1_RHOC_B, V1_TA, V1_TS = 0.45, 0.00125, 1060.0 * 3770.0, 37.0, 34.0


def pennes_column(th: Any, h: float, depth: float) -> tuple[Any, Any, Any, int]:
    """Steady Pennes temperature of the V1 dermis column (``th`` is the thermal stage).

    Returns the cell-centre depths [m], the temperature [°C] of the column, the coefficient
    arrays ``(k, sink, g_top, g_bottom)`` and the number of cells.
    """
    import numpy as np

    k, sink = V1_K, V1_WB * V1_RHOC_B
    nz = int(round(depth / h))
    kk = np.full((nz, 2), k)
    ss = np.full((nz, 2), sink)
    gt = th.robin_conductance(np.inf, kk[0], h)
    gb = th.robin_conductance(np.inf, kk[-1], h)
    t = th.pennes_steady_state(h, kk, ss, V1_TA, gt, V1_TS, gb, V1_TA)
    return (np.arange(nz) + 0.5) * h, t[:, 0], (kk, ss, gt, gb), nz


def march_to_steady(model: Any, t_start: float, steps: int = 100, dt: float = 600.0) -> Any:
    """March a bioheat model from ``t_start`` everywhere with Peaceman–Rachford ADI steps;
    returns the temperature of the first column."""
    import numpy as np

    model.T = np.full(model.T.shape, t_start)
    for _ in range(steps):
        model.step(dt, scheme="pr")
    return model.T[:, 0]


@case("V1", "Pennes 1948, J Appl Physiol 1:93 [V]; analytic solution [C]",
      "|T − T_exact| ≤ 0.01 °C at 1, 2 and 5 mm (grid h = 50 µm); observed order ≥ 1.8 "
      "(h = 100 → 50 → 25 µm); ADI time march reaches the same steady state within 1e-6 °C")
def v1_pennes_steady(ctx: CaseContext) -> tuple[str, str, bool]:
    """Pennes bioheat, 1-D steady state in a semi-infinite dermis (analytic).

    Dermis with k = 0.45 W/m/K, ω_b = 0.00125 1/s, ρ_b c_b = 1060·3770 J/m³/K, arterial
    37 °C, surface held at 34 °C, no metabolic heat. The exact solution is
    T(z) = T_a − (T_a − T_s)·exp(−z/L), L = √(k/(ω_b ρ_b c_b)) = 9.49 mm. dermsim's steady
    Pennes solver (``thermal.pennes_steady_state``, the finite-volume operator shared with
    the ADI solver) is run on a 100 mm deep column (10.5 L; the deep face at 37 °C), on three
    grids, and compared with the exact finite-slab solution (identical to the semi-infinite
    one to 1e-5 °C at these depths). The bioheat model is also marched in time with the
    Peaceman–Rachford ADI solver (``thermal.BioheatModel``, dt = 600 s) from 37 °C everywhere
    until it settles, which must give the same steady state.
    """
    import numpy as np

    th = ctx.require("dermsim.thermal", "pennes_steady_state", "BioheatModel",
                     "robin_conductance")
    k, sink, ta, ts = V1_K, V1_WB * V1_RHOC_B, V1_TA, V1_TS
    L = math.sqrt(k / sink)
    depth = 0.1

    def exact(z: Any) -> Any:
        return ta - (ta - ts) * np.sinh((depth - z) / L) / np.sinh(depth / L)

    hs = [100e-6, 50e-6, 25e-6]
    errs = []
    sols = {}
    for h in hs:
        z, t, extra, nz = pennes_column(th, h, depth)
        errs.append(float(np.max(np.abs(t - exact(z)))))
        sols[h] = (z, t, extra, nz)
    order = observed_order(errs, hs)
    z, t, (kk, ss, gt, gb), nz = sols[50e-6]
    probes = np.array([1e-3, 2e-3, 5e-3])
    t_num = np.interp(probes, z, t)
    t_exact = ta - (ta - ts) * np.exp(-probes / L)
    err = float(np.max(np.abs(t_num - t_exact)))
    model = th.BioheatModel(50e-6, np.full((nz, 2), 1116.0 * 3300.0), kk, ss, ta, gt, ts, gb, ta)
    march = float(np.max(np.abs(march_to_steady(model, ta) - t)))
    ok = [ctx.check("T(1, 2, 5 mm) at h = 50 µm",
                    ", ".join(f"{v:.4f}" for v in t_num) + f" °C, max error {fmt(err)} °C",
                    err <= 0.01),
          ctx.check("observed order (max-norm error vs exact)",
                    f"{order:.2f} (errors {', '.join(fmt(e, 3) for e in errs)} °C)",
                    order >= 1.8),
          ctx.check("ADI time march (100 × 600 s) vs steady solver", f"{fmt(march)} °C",
                    march <= 1e-6)]
    ctx.note(f"L = √(k/(ω_b ρ_b c_b)) = {L * 1e3:.3f} mm")
    if ctx.figures:
        from dermsim.viz.validation import pennes_steady_figure

        ctx.figure(pennes_steady_figure(z, t, probes, t_exact, hs, errs, order, L, ta, ts))
    return ("T(1, 2, 5 mm) = 34.300, 34.570, 35.229 °C; 2nd-order convergence",
            f"{', '.join(f'{v:.3f}' for v in t_num)} °C (max error {fmt(err, 2)} °C); "
            f"order {order:.2f}",
            all(ok))


# ------------------------------------------------------------------------------------------------
# V2 — layered slab (Jiang 2002 set)
# ------------------------------------------------------------------------------------------------

#: Jiang et al. 2002 layer set via the MathWorks skin-burn example [S]:
#: (name, thickness [m], k [W/m/K], perfusion [1/s]).
JIANG_LAYERS = (("epidermis", 80e-6, 0.24, 0.0), ("dermis", 2e-3, 0.45, 0.00125),
                ("subcutis", 10e-3, 0.19, 0.00125), ("inner tissue", 30e-3, 0.5, 0.00125))


def layered_pennes_exact(layers: Any, t_surface: float, t_deep: float, t_arterial: float,
                         rho_c_blood: float) -> Callable[[Any], Any]:
    """Exact steady Pennes temperature in a stack of layers (Dirichlet top and bottom).

    In layer i, T = T_a + A_i e^{−(z−z_i)/L_i} + B_i e^{−(z_{i+1}−z)/L_i} with
    L_i = √(k_i/(ω_i ρ_b c_b)) (linear, T = A_i + B_i (z − z_i), where ω_i = 0); temperature
    and heat flux k dT/dz are continuous at the interfaces. Returns ``T(z)`` [same unit as the
    inputs] for z in metres.
    """
    import numpy as np

    n = len(layers)
    tops = np.concatenate([[0.0], np.cumsum([lay[1] for lay in layers])])
    mat = np.zeros((2 * n, 2 * n))
    rhs = np.zeros(2 * n)

    def basis(i: int, z: float) -> tuple[np.ndarray, np.ndarray, float]:
        """(values, derivatives) of the two basis functions of layer i at z, and offset."""
        _, _, k, w = layers[i]
        z0, z1 = tops[i], tops[i + 1]
        if w > 0:
            L = math.sqrt(k / (w * rho_c_blood))
            e1, e2 = math.exp(-(z - z0) / L), math.exp(-(z1 - z) / L)
            return np.array([e1, e2]), np.array([-e1 / L, e2 / L]), t_arterial
        return np.array([1.0, z - z0]), np.array([0.0, 1.0]), 0.0

    row = 0
    v, _, off = basis(0, 0.0)
    mat[row, 0:2] = v
    rhs[row] = t_surface - off
    row += 1
    for i in range(n - 1):
        z = tops[i + 1]
        va, da, oa = basis(i, z)
        vb, db, ob = basis(i + 1, z)
        mat[row, 2 * i: 2 * i + 2] = va
        mat[row, 2 * i + 2: 2 * i + 4] = -vb
        rhs[row] = ob - oa
        row += 1
        mat[row, 2 * i: 2 * i + 2] = layers[i][2] * da
        mat[row, 2 * i + 2: 2 * i + 4] = -layers[i + 1][2] * db
        row += 1
    v, _, off = basis(n - 1, tops[-1])
    mat[row, 2 * n - 2:] = v
    rhs[row] = t_deep - off
    coef = np.linalg.solve(mat, rhs)

    def temperature(z: Any) -> Any:
        z = np.atleast_1d(np.asarray(z, dtype=float))
        out = np.empty_like(z)
        idx = np.clip(np.searchsorted(tops, z, side="right") - 1, 0, n - 1)
        for j, (zz, i) in enumerate(zip(z, idx)):
            vv, _, oo = basis(int(i), float(zz))
            out[j] = oo + vv @ coef[2 * i: 2 * i + 2]
        return out

    return temperature


@case("V2", "Jiang et al., Burns 2002 layer set via the MathWorks skin-burn example [S]; "
            "analytic solution [C]",
      "max |T − T_exact| ≤ 0.01 °C over the 42.08 mm slab (h = 10 µm, interfaces on faces)")
def v2_layered_slab(ctx: CaseContext) -> tuple[str, str, bool]:
    """Layered slab (epidermis, dermis, subcutis, inner tissue): steady Pennes (analytic).

    Epidermis 80 µm (k 0.24, no perfusion), dermis 2 mm (k 0.45), subcutis 10 mm (k 0.19),
    inner tissue 30 mm (k 0.5; ω_b = 0.00125 1/s below the epidermis), surface 34 °C,
    deep face 37 °C. The exact solution is piecewise exponential (linear in the epidermis)
    with temperature and flux continuous at the interfaces (:func:`layered_pennes_exact`).
    dermsim's steady solver with harmonic-mean interface conductances is run with the layer
    interfaces on cell faces at h = 20 and 10 µm.
    """
    import numpy as np

    th = ctx.require("dermsim.thermal", "pennes_steady_state", "robin_conductance")
    rcb = 1060.0 * 3770.0
    exact = layered_pennes_exact(JIANG_LAYERS, 34.0, 37.0, 37.0, rcb)
    total = sum(lay[1] for lay in JIANG_LAYERS)
    errs: list[float] = []
    hs = [20e-6, 10e-6]
    keep: tuple[Any, Any] = (None, None)
    for h in hs:
        counts = [int(round(lay[1] / h)) for lay in JIANG_LAYERS]
        k = np.concatenate([np.full(c, lay[2]) for c, lay in zip(counts, JIANG_LAYERS)])
        w = np.concatenate([np.full(c, lay[3]) for c, lay in zip(counts, JIANG_LAYERS)])
        kk = np.repeat(k[:, None], 2, axis=1)
        ss = np.repeat((w * rcb)[:, None], 2, axis=1)
        gt = th.robin_conductance(np.inf, kk[0], h)
        gb = th.robin_conductance(np.inf, kk[-1], h)
        t = th.pennes_steady_state(h, kk, ss, 37.0, gt, 34.0, gb, 37.0)[:, 0]
        z = (np.arange(k.size) + 0.5) * h
        errs.append(float(np.max(np.abs(t - exact(z)))))
        keep = (z, t)
    order = observed_order(errs, hs)
    z, t = keep
    tops = np.cumsum([0.0] + [lay[1] for lay in JIANG_LAYERS])
    t_if = exact(tops[1:-1])
    ok = ctx.check("max error at h = 10 µm", f"{fmt(errs[-1])} °C", errs[-1] <= 0.01)
    ctx.note(f"max error at h = 20 µm {fmt(errs[0])} °C; observed order {order:.2f}")
    ctx.note("exact interface temperatures: " + ", ".join(f"{v:.4f}" for v in t_if) + " °C")
    if ctx.figures:
        from dermsim.viz.validation import layered_slab_figure

        ctx.figure(layered_slab_figure(exact, total, z, t, tops))
    return ("piecewise-exponential analytic profile (34 → 37 °C, flux continuous)",
            f"max error {fmt(errs[-1], 2)} °C (h = 10 µm); order {order:.2f}", ok)


# ------------------------------------------------------------------------------------------------
# V4 — Arrhenius damage integral
# ------------------------------------------------------------------------------------------------

#: Isothermal values for the Henriques & Moritz 1947 constants, computed from
#: Ω = t·A·exp(−Ea/(R T)) [C]: T [°C] → (Ω(1 s), time to Ω = 1 [s]).
V4_TARGETS = {60.0: (1.06, 0.947), 65.0: (30.2, 33.1e-3), 70.0: (782.0, 1.28e-3)}


def ramp_damage(th: Any, cfg: Any, consts: Any, n: int, dt: float) -> tuple[float, float]:
    """Ω after a linear 37 → 75 °C ramp over ``n`` steps of ``dt`` with the RF stage's damage
    accumulator, and the same integral by adaptive quadrature (``th`` is the thermal stage)."""
    import numpy as np
    from scipy.integrate import quad

    t0k, t1k = 37.0 + th.KELVIN, 75.0 + th.KELVIN
    ramp = th.DamageAccumulator(np.full((1, 1), t0k), consts, cfg.arrhenius_gate_C + th.KELVIN,
                                cfg.cem43_gate_C + th.KELVIN)
    for i in range(1, n + 1):
        ramp.update(np.full((1, 1), t0k + (t1k - t0k) * i / n), dt)
    ref, _ = quad(lambda s: float(consts.rate(t0k + (t1k - t0k) * s)), 0.0, 1.0, epsabs=0,
                  epsrel=1e-10, limit=200, points=[0.8, 0.9, 0.95])
    return float(ramp.omega[0, 0]), float(ref)


@case("V4", "Henriques & Moritz 1947 constants (A = 3.1e98 1/s, Ea = 6.28e5 J/mol) [S]; "
            "isothermal values computed from the constants [C]",
      "|Ω(1 s) and t(Ω = 1) − target| ≤ 0.5 % (targets rounded to 3 digits); "
      "37 → 75 °C ramp vs quadrature ≤ 0.5 %")
def v4_arrhenius(ctx: CaseContext) -> tuple[str, str, bool]:
    """Arrhenius damage integral Ω at 60, 65 and 70 °C held for 1 s, and a heating ramp.

    The damage accumulator of the RF stage (``thermal.DamageAccumulator``, numba kernel,
    trapezoidal rule in time, 43 °C gate) integrates dΩ/dt = A exp(−Ea/(RT)) with the
    constants selected by the RF configuration (default Henriques & Moritz) at constant
    temperature in 1 ms steps; the time to Ω = 1 is found by linear interpolation in the
    step that crosses 1. A linear 37 → 75 °C ramp over 1 s (1 ms steps) is compared with an
    adaptive-quadrature value of the same integral.
    """
    import numpy as np

    th = ctx.require("dermsim.thermal", "DamageAccumulator", "arrhenius_constants", "RFConfig")
    cfg = ctx.config(th.RFConfig, "rf")
    consts = th.arrhenius_constants(cfg)
    temps = np.array(sorted(V4_TARGETS))
    tk = (temps + th.KELVIN)[None, :]
    acc = th.DamageAccumulator(tk, consts, cfg.arrhenius_gate_C + th.KELVIN,
                               cfg.cem43_gate_C + th.KELVIN)
    dt, n = 1e-3, 1000
    t_cross = np.full(temps.size, np.nan)
    prev = acc.omega[0].copy()
    hist = [prev.copy()]
    for i in range(n):
        acc.update(tk, dt)
        cur = acc.omega[0]
        hit = (prev < 1.0) & (cur >= 1.0) & np.isnan(t_cross)
        t_cross[hit] = (i + (1.0 - prev[hit]) / (cur[hit] - prev[hit])) * dt
        prev = cur.copy()
        hist.append(prev.copy())
    omega1 = acc.omega[0].copy()
    rel = []
    rows = []
    for j, tc in enumerate(temps):
        o_t, t_t = V4_TARGETS[float(tc)]
        r1 = abs(omega1[j] - o_t) / o_t
        r2 = abs(t_cross[j] - t_t) / t_t
        rel += [r1, r2]
        rows.append(f"{tc:g} °C: Ω(1 s) = {fmt(omega1[j])} (target {o_t:g}), "
                    f"t(Ω=1) = {fmt(t_cross[j] * 1e3)} ms (target {t_t * 1e3:g} ms)")
    ok_iso = ctx.check("isothermal (max relative deviation)", f"{max(rel) * 100:.2f} %",
                       max(rel) <= 0.005)
    for r in rows:
        ctx.note(r)
    omega_ramp, ref = ramp_damage(th, cfg, consts, n, dt)
    r_ramp = abs(omega_ramp - ref) / ref
    ok_ramp = ctx.check("37 → 75 °C ramp over 1 s, 1 ms steps",
                        f"Ω = {fmt(omega_ramp)} vs quadrature {fmt(ref)} "
                        f"({r_ramp * 100:.3f} %)", r_ramp <= 0.005)
    ctx.note(f"constants: {consts.source}")
    if ctx.figures:
        from dermsim.viz.validation import arrhenius_figure

        ctx.figure(arrhenius_figure(hist, dt, temps, t_cross, V4_TARGETS, consts.rate,
                                    th.KELVIN))
    return ("Ω(1 s) = 1.06 / 30.2 / 782; t(Ω=1) = 0.947 s / 33.1 ms / 1.28 ms",
            f"Ω(1 s) = {' / '.join(fmt(v, 3) for v in omega1)}; t(Ω=1) = "
            f"{fmt(t_cross[0], 3)} s / {fmt(t_cross[1] * 1e3, 3)} ms / "
            f"{fmt(t_cross[2] * 1e3, 3)} ms; ramp {r_ramp * 100:.2f} %",
            ok_iso and ok_ramp)


