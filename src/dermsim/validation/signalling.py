"""Validation cases of the growth-factor transport: a diffusing, decaying bolus against the
2-D heat kernel (V6, analytic), with the signalling stage's platelet-burst mass budget.

Only the standard library is imported at module level; numpy and the stage modules are
imported when the case runs.
"""

from __future__ import annotations

import math
from typing import Any

from dermsim.validation.framework import CaseContext, StageUnavailable, case

__all__ = ["v6_bolus_diffusion"]


# ------------------------------------------------------------------------------------------------
# V6 — bolus diffusion with decay (analytic)
# ------------------------------------------------------------------------------------------------


@case("V6", "2-D heat kernel with first-order decay (analytic); D = 1e-7 cm²/s inside the "
            "effective ECM range (Cumming 2010 [S], Kihara 2013 [V]), t½ = 1 h near the 15 1/day "
            "decay of Jin 2011 [C]",
      "mass vs M·e^{−kt} ≤ 0.1 %; max |c − c_exact| ≤ 2 % of the peak; 1/e radius within 2 %")
def v6_bolus_diffusion(ctx: CaseContext) -> tuple[str, str, bool]:
    """Growth-factor bolus: 2-D diffusion with first-order decay (analytic).

    An instantaneous point release M spreads as c(r, t) = M/(4πDt)·exp(−r²/(4Dt) − kt) with
    D = 1e-7 cm²/s and k = ln 2 / 1 h: half the mass is left at 1 h and the 1/e radius is
    √(4Dt) = 0.38 mm. The implicit solver used by the signalling stage
    (``solvers.ADISolver``; Peaceman–Rachford, decay as an implicit sink, no-flux top and
    bottom faces, periodic sides) starts from the exact field at 15 min on a 3.2 × 3.2 mm
    grid (h = 20 µm) and runs to 1 h in 30-s steps. When the signalling stage defines the
    growth-factor transport, its diffusivity is not used here: this case checks the solver
    the stage is built on against the analytic solution.
    """
    import numpy as np

    sv = ctx.require("dermsim.numerics", "ADISolver")
    from dermsim.tissue import face_coefficients

    D = 1e-7 * 1e-4  # cm²/s -> m²/s
    k = math.log(2.0) / 3600.0
    h, n = 20e-6, 160
    xc = (np.arange(n) + 0.5) * h
    x0 = z0 = n * h / 2
    r2 = (xc[None, :] - x0) ** 2 + (xc[:, None] - z0) ** 2
    mass = 1.0  # per metre in y

    def exact(t: float) -> Any:
        return mass / (4 * math.pi * D * t) * np.exp(-r2 / (4 * D * t) - k * t)

    t0, t1, dt = 900.0, 3600.0, 30.0
    fx, fz = face_coefficients(np.full((n, n), D))
    solver = sv.ADISolver(h, 1.0, fx, fz, k, 0.0, 0.0)
    u = np.ascontiguousarray(exact(t0))
    m0 = solver.total(u)
    steps = int(round((t1 - t0) / dt))
    for _ in range(steps):
        solver.step(u, dt, scheme="pr")
    ref = exact(t1)
    m1 = solver.total(u)
    mass_err = abs(m1 / (m0 * math.exp(-k * (t1 - t0))) - 1.0)
    prof_err = float(np.max(np.abs(u - ref)) / ref.max())
    r_e = math.sqrt(float((u * r2).sum() / u.sum()))  # 2-D Gaussian: <r²> = 4 D t
    r_exact = math.sqrt(4 * D * t1)
    r_err = abs(r_e / r_exact - 1.0)
    ok = [ctx.check("mass at 1 h vs m(15 min)·e^{−k·45 min}", f"{mass_err * 100:.4f} %",
                    mass_err <= 1e-3),
          ctx.check("max profile error / peak", f"{prof_err * 100:.3f} %", prof_err <= 0.02),
          ctx.check("1/e radius √⟨r²⟩", f"{r_e * 1e3:.4f} mm (exact {r_exact * 1e3:.4f} mm)",
                    r_err <= 0.02)]
    frac = m1 / (m0 * math.exp(k * t0))
    ctx.note(f"mass left at 1 h relative to the released mass: {frac:.4f} (exact 0.5)")
    budget = _signalling_burst_budget(ctx)
    if budget is not None:
        ok.append(ctx.check("signalling stage: platelet burst, amount in tissue vs analytic "
                            "(1, 3, 6, 12 h)", f"max {budget * 100:.2e} % (≤ 0.1 %)",
                            budget <= 1e-3))
    if ctx.figures:
        from dermsim.viz.validation import bolus_diffusion_figure

        ctx.figure(bolus_diffusion_figure(xc, x0, exact(t0), ref, u, n, h))
    return ("mass = ½ M at 1 h; 1/e radius 0.38 mm; profile = analytic",
            f"mass error {mass_err * 100:.3f} %, profile error {prof_err * 100:.2f} %, "
            f"radius {r_e * 1e3:.3f} mm",
            all(ok))


def _signalling_burst_budget(ctx: CaseContext) -> float | None:
    """Max relative error of the signalling stage's tissue amount after a platelet burst.

    A burst released as M (1 − e^{−t/τ}) and decaying at rate k leaves
    M k_b/(k_b − k) (e^{−kt} − e^{−k_b t}) in the tissue (k_b = 1/τ, no outflow). The stage
    (``signalling.run_acute_window``, integrating-factor decay inside the ADI steps) is run
    with only the burst on a small cheek grid; ``None`` if the stage is not available.
    """
    import numpy as np

    try:
        sg = ctx.require("dermsim.signalling", "run_acute_window", "SignallingConfig",
                         "species_params")
    except StageUnavailable:
        ctx.note("signalling stage not available: its mass budget was not checked")
        return None
    from dermsim.tissue import make_grid, site_stack

    grid = make_grid(site_stack("cheek"), h_um=20.0, width_um=1000.0, depth_um=2000.0)
    inj = np.zeros((grid.nz, grid.nx))
    inj[:50, grid.nx // 2 - 1: grid.nx // 2 + 1] = 1.0
    cfg = ctx.config(sg.SignallingConfig, "signalling", tgfb1_early_ng_ml=0.0,
                     tgfb1_late_ng_ml=0.0, pdgf_early_ng_ml=0.0, pdgf_late_ng_ml=0.0,
                     topical_concentration_ng_ml=0.0, gf_channel_outflow=0.0)
    probes_h = (1.0, 3.0, 6.0, 12.0)
    ds = sg.run_acute_window(grid, inj, inj.copy(), cfg=cfg, snapshot_times_h=probes_h)
    worst, n = 0.0, 0
    for s in ds["species"].values:
        p = sg.species_params(cfg, str(s))
        t = ds["time"].values * 86400.0
        kb, kd = 1.0 / p.burst_tau, p.decay
        rel = ds["gf_released"].sel(species=s).values
        m_tot = rel[-1]
        if m_tot <= 0:
            continue
        for th in probes_h:
            tt = th * 3600.0
            i = int(np.argmin(np.abs(t - tt)))
            if abs(t[i] - tt) > 1.0 or t[i] > float(ds["gf_stopped_at"].sel(species=s)) * 86400:
                continue
            exact = m_tot * kb / (kb - kd) * (math.exp(-kd * t[i]) - math.exp(-kb * t[i]))
            got = float(ds["gf_remaining"].sel(species=s).values[i])
            worst = max(worst, abs(got - exact) / exact)
            n += 1
    if n == 0:
        raise RuntimeError("signalling output has none of the probe times")
    ctx.note(f"signalling burst budget compared at {n} (species, time) points")
    return worst

