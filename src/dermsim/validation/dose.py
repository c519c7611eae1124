"""Validation cases of the remodelling stage as users vary a protocol, end to end through
:func:`dermsim.simulate` on a 20 µm grid: dose-response with passes and needle length (V13),
diminishing returns with the number of sessions (V14) and durability with and without
maintenance (V15).  Gains are dermis means of collagen I, treated minus the untreated twin.

Only the standard library is imported at module level.
"""

from __future__ import annotations

from typing import Any

from dermsim.validation.framework import CaseContext, case

__all__ = ["v13_dose_response", "v14_diminishing_returns", "v15_durability"]

_BASE: dict[str, Any] = {
    "seed": 20261121, "skin": {"site": "cheek"},
    "device": {"preset": "pen_12", "needle_length_um": 1000.0, "passes": 2},
    "protocol": {"sessions": 4, "interval_days": 28.0, "follow_up_days": 182.0},
    "grid": {"h_um": 20.0, "width_um": 3000.0},
}


def _run(ctx: CaseContext, name: str, device: dict[str, Any] | None = None,
         protocol: dict[str, Any] | None = None) -> Any:
    pl = ctx.require("dermsim.pipeline", "simulate")

    def go() -> Any:
        table = {**_BASE, "name": name,
                 "device": {**_BASE["device"], **(device or {})},
                 "protocol": {**_BASE["protocol"], **(protocol or {})}}
        return pl.simulate(ctx.scenario(table))

    return ctx.cached(f"dose:{name}", go)


def _dermis_series(ds: Any) -> Any:
    """Dermis-mean collagen I gain [%] over time."""
    import numpy as np

    from dermsim.remodelling import layer_mean
    from dermsim.tissue import LAYER_NAMES

    names = np.array(LAYER_NAMES)[ds["band_layer"].values]
    lab = np.where(np.isin(names, ["papillary_dermis", "reticular_dermis"]), "dermis", "x")
    return 100 * layer_mean(ds, "collagen_I_rel_change", lab, ["dermis"]).isel(layer=0)


def _gain(ds: Any, t: float | None = None) -> float:
    s = _dermis_series(ds)
    return float(s.isel(time=-1) if t is None else s.interp(time=t))


_ROLLER: dict[str, Any] = {"preset": "dermaroller_mf8", "needle_length_um": 1500.0}


@case("V13", "more injured tissue gives more new collagen: depth of injury (Lima 2013 "
             "injury classes [S]) and dose-response of repeated passes while the channels' "
             "wound-signal zones do not yet overlap (assumption to test)",
      "cheek, 4 monthly sessions, 6 months after: roller 1.5 mm 16 passes ≥ 1.5 × 4 "
      "passes; pen 1.0 mm ≥ 1.20 × 0.25 mm (relative collagen I gain)", fast=False)
def v13_dose_response(ctx: CaseContext) -> tuple[str, str, bool]:
    """Dose-response: collagen I gain with roller passes and with needle length.

    The pen's passes are reported: at its density one pass already covers the dermis with
    wound-signal zones."""
    r4 = _gain(_run(ctx, "r4", {**_ROLLER, "passes": 4}))
    r16 = _gain(_run(ctx, "r16", {**_ROLLER, "passes": 16}))
    g1 = _gain(_run(ctx, "p1", {"passes": 1}))
    g4 = _gain(_run(ctx, "p4", {"passes": 4}))
    g025 = _gain(_run(ctx, "l025", {"passes": 1, "needle_length_um": 250.0}))
    ok = [ctx.check("roller 16 / 4 passes", f"{r16 / r4:.2f} (≥ 1.5)", r16 >= 1.5 * r4 > 0),
          ctx.check("pen 1.0 mm / 0.25 mm", f"{g1 / g025:.2f} (≥ 1.20)",
                    g1 >= 1.20 * g025 > 0)]
    ctx.note(f"pen 1.0 mm, 4 passes / 1 pass: {g4 / g1:.2f} (one pen pass already covers "
             "the dermis with wound-signal zones; more passes add downtime, not collagen)")
    return ("gain rises with passes and depth",
            f"roller 4 passes {r4:+.1f} %, 16 passes {r16:+.1f} %; pen 1 pass {g1:+.1f} %, "
            f"4 passes {g4:+.1f} %, 0.25 mm {g025:+.1f} %", all(ok))


@case("V14", "practice: several sessions needed, results plateau (Harris 2015 review [S]; "
             "El-Domyati 2015 [S])",
      "monthly sessions 1, 3, 6, 12 (gain 6 months after the last): rising, and the "
      "per-session gain from 6 to 12 < half of that from 1 to 3", fast=False)
def v14_diminishing_returns(ctx: CaseContext) -> tuple[str, str, bool]:
    """Diminishing returns with the number of monthly sessions."""
    g = {n: _gain(_run(ctx, f"s{n}", protocol={"sessions": n})) for n in (1, 3, 6, 12)}
    rising = g[1] < g[3] < g[6] < g[12]
    late, early = (g[12] - g[6]) / 6, (g[3] - g[1]) / 2
    ok = [ctx.check("gain rises with sessions", ", ".join(f"{n}: {v:+.1f} %"
                                                          for n, v in g.items()), rising),
          ctx.check("per-session gain 6→12 vs 1→3", f"{late:.2f} vs {early:.2f} points "
                    "(< half)", late < 0.5 * early)]
    return "diminishing returns", f"{late / early:.2f} × the early per-session gain", all(ok)


@case("V15", "ageing loses ~1 %/year of dermal collagen (Shuster 1975 [S]); practice: "
             "maintenance every 6–12 months (El-Domyati 2015 [S])",
      "4 monthly sessions: gain 2 years after the course ≤ 80 % of the gain at 6 months; "
      "with a maintenance session every 6 months, never below 90 % of the running peak "
      "(until 6 months after the last maintenance session)",
      fast=False)
def v15_durability(ctx: CaseContext) -> tuple[str, str, bool]:
    """Durability: the gain fades without maintenance and holds with it."""
    import numpy as np

    end = 84.0
    ds = _run(ctx, "fade", protocol={"follow_up_days": 730.0})
    g6, g24 = _gain(ds, end + 182.0), _gain(ds, end + 730.0)
    dm = _run(ctx, "maint", protocol={"follow_up_days": 730.0, "maintenance_sessions": 4,
                                      "maintenance_interval_days": 182.0})
    last = end + 4 * 182.0  # the last maintenance session (then 2 years without)
    s = _dermis_series(dm).sel(time=slice(end + 60.0, last + 182.0)).values
    hold = float(np.min(s / np.maximum.accumulate(s)))
    ok = [ctx.check("2 years / 6 months after the course", f"{g24 / g6:.2f} (≤ 0.80)",
                    g24 <= 0.80 * g6),
          ctx.check("with maintenance: lowest / running peak", f"{hold:.2f} (≥ 0.90)",
                    hold >= 0.90)]
    return ("gain fades without maintenance, holds with it",
            f"{g6:+.1f} % at 6 months, {g24:+.1f} % at 2 years; maintained ≥ {hold:.0%} of "
            "peak", all(ok))
