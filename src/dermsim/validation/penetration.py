"""Validation case of the penetration stage: effective depths against the published anchors
(V7: hand roller, impact insertion, 1.5 mm pen and RF tip).

Only the standard library is imported at module level; numpy and the stage modules are
imported when the case runs.
"""

from __future__ import annotations

from dermsim.validation.framework import CaseContext, case

__all__ = ["v7_penetration"]


# ------------------------------------------------------------------------------------------------
# V7 — penetration anchors
# ------------------------------------------------------------------------------------------------


@case("V7", "Kalluri 2011 (rat, 770 µm roller → ≈150 µm) [V]; Donnelly 2010 (600 µm impact "
            "→ ≈460 µm, OCT) [V]; Sasaki 2019 (1.5 mm MN/MN-RF ≈ nominal) [V]",
      "each effective depth within ±30 % of its anchor (calibration, not physics)")
def v7_penetration(ctx: CaseContext) -> tuple[str, str, bool]:
    """Penetration depth anchors: hand roller, impact insertion, 1.5 mm pen and RF tip.

    The penetration stage (``penetration.penetrate``) inserts (a) a Dermaroller MF8 with
    770 µm needles at hand-rolling speed, (b) a motorized pen with 600 µm needles and
    (c) a 1.5 mm pen and (d) a 1.5 mm insulated RF tip, into cheek skin, and reports the mean
    effective depth of the session's needles.
    """
    import numpy as np

    pen = ctx.require("dermsim.penetration", "penetrate", "PenetrationConfig")
    from dermsim.tissue import site_stack

    cfg = ctx.config(pen.PenetrationConfig, "penetration")
    stack = site_stack("cheek")
    from dermsim.calibration.registry import target as registry_target

    rows = []
    for key, label, preset, obs_id in (
            ("a", "roller 770 µm (quasi-static)", "dermaroller_mf8", "kalluri2011_depth"),
            ("b", "pen 600 µm (impact)", "pen_12", "donnelly2010_depth"),
            ("c", "pen 1.5 mm (face)", "pen_12", "sasaki2019_depth_mn"),
            ("d", "RF tip 1.5 mm (face)", "rf_insulated_49", "sasaki2019_depth_rf")):
        obs = registry_target(obs_id)
        rows.append((key, label, {"preset": preset, "needle_length_um": obs.needle_um},
                     obs.low, obs.high))
    ok_all, got = True, []
    for key, label, spec, lo, hi in rows:
        dev = ctx.device(spec)
        res = pen.penetrate(dev, stack, cfg, np.random.default_rng(0))
        d = res.mean_effective_depth_um
        ok = 0.7 * lo <= d <= 1.3 * hi
        target = f"{lo:g} µm" if lo == hi else f"{lo:g}–{hi:g} µm"
        ctx.check(f"({key}) {label}", f"{d:.0f} µm (anchor {target}; allowed "
                                      f"{0.7 * lo:.0f}–{1.3 * hi:.0f} µm)", ok)
        ok_all &= ok
        got.append((key, label, d, lo, hi))
    if ctx.figures:
        from dermsim.viz.validation import penetration_anchors_figure

        ctx.figure(penetration_anchors_figure(got))
    return ("(a) 150 µm; (b) 460 µm; (c), (d) 1300–1500 µm",
            "; ".join(f"({k}) {d:.0f} µm" for k, _, d, *_ in got), ok_all)

