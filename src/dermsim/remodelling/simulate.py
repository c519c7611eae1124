"""A remodelling run through a protocol, labelled as an :class:`xarray.Dataset`.

:func:`simulate_remodelling` integrates the model on depth bands, or on the coarse 2-D grid
of bands by columns (``columns > 1``), alongside an untreated twin of the same age, and
reports band means over time (every gain as treated minus untreated), maps of the matrix
change at chosen times and the depth-integrated erythema index.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from typing import Any

import numpy as np
import xarray as xr

from dermsim.patient import PatientConfig
from dermsim.remodelling.config import RemodellingConfig
from dermsim.remodelling.drive import GrowthFactorDrive, SessionDrive, band_widths_um
from dermsim.remodelling.field import ParacrineField, coarse_grid
from dermsim.remodelling.healing import session_reepithelialisation_h
from dermsim.remodelling.integrate import (
    DEFAULT_METHOD,
    DEFAULT_RTOL,
    default_output_times,
    integrate,
)
from dermsim.remodelling.rates import derived_rates
from dermsim.remodelling.rhs import collagen_deposition, collagen_synthesis
from dermsim.remodelling.state import (
    LONG_NAMES,
    N_VAR,
    UNITS,
    VAR_NAMES,
    baseline_state,
    iA,
    iC1,
    iC3,
    iC7,
    iEl,
    iM,
    iN,
    iP,
    iR,
    iT,
)
from dermsim.signalling import SignallingConfig

__all__ = ["MAP_VARIABLES", "simulate_remodelling"]

#: matrix variables mapped on the 2-D grid at the map times (state index, output name)
MAP_VARIABLES = (
    (iC1, "collagen_I"), (iC3, "collagen_III"), (iC7, "collagen_VII"), (iEl, "elastin"),
)
#: per-cell quantities averaged over columns besides the state (erythema, synthesis, deposition)
_EXTRA = ("erythema", "collagen_I_synthesis", "collagen_III_synthesis",
          "collagen_I_deposition", "collagen_III_deposition")


class _BandMeans:
    """Reducer of 2-D output states to band means (and maps at the map times)."""

    def __init__(self, nz: int, nx: int, p: Any, map_times: np.ndarray) -> None:
        self.nz, self.nx, self.p = nz, nx, p
        self.map_times = map_times
        self.maps: dict[float, np.ndarray] = {}

    def __call__(self, times: np.ndarray, Y: np.ndarray) -> np.ndarray:
        k = Y.shape[0]
        a = np.exp(-self.p.dAge * times)[:, None]
        R = Y[..., iR]
        J1r, J3r = collagen_synthesis(Y, self.p, a)
        d1, d3 = collagen_deposition(Y, self.p, a)
        full = np.concatenate([Y, np.stack([R / (1.0 + R), J1r, J3r, d1, d3], axis=-1)], -1)
        for j, t in enumerate(times):
            for tm in self.map_times:
                if abs(t - tm) < 1e-9:
                    self.maps[float(tm)] = Y[j][:, [i for i, _ in MAP_VARIABLES]].reshape(
                        self.nz, self.nx, -1).copy()
        return full.reshape(k, self.nz, self.nx, -1).mean(axis=2)


def simulate_remodelling(
    band_z_um: np.ndarray | Sequence[float],
    drives: Sequence[SessionDrive],
    t_end_day: float,
    cfg: RemodellingConfig | None = None,
    output_times_day: np.ndarray | Sequence[float] | None = None,
    *,
    t0_day: float = 0.0,
    state0: np.ndarray | None = None,
    band_thickness_um: float | None = None,
    rtol: float = DEFAULT_RTOL,
    atol: float | None = None,
    method: str = DEFAULT_METHOD,
    jac: str = "analytic",
    patient: PatientConfig | None = None,
    signalling: SignallingConfig | None = None,
    columns: int = 1,
    column_width_um: float | None = None,
    map_times_day: Sequence[float] | None = None,
    paracrine: bool = True,
) -> xr.Dataset:
    """Run the remodelling model through a protocol and return an xarray Dataset.

    Parameters
    ----------
    band_z_um
        (n_band,) band centre depths [um].
    drives
        One :class:`SessionDrive` per session, with one entry per cell: ``n_band`` (one
        column) or ``n_band * columns`` (row-major: band, then column).
    t_end_day
        End of the simulation [day].
    cfg
        Model parameters (defaults if None).
    output_times_day
        Output times [day]; default :func:`default_output_times` (daily, plus 30-min to
        3-h samples during the 5 days after each session).
    t0_day, state0
        Start time [day] and (n_cell, N_VAR) start state (default: healthy baseline).
        The untreated twin always starts from the healthy baseline.
    band_thickness_um
        Band thickness [um] (default from the spacing of ``band_z_um``).
    rtol, atol, method, jac
        Solver settings, see :func:`~dermsim.remodelling.integrate.integrate`.
    patient, signalling
        Patient (age) and signalling parameters (growth-factor decay and diffusivity).
    columns, column_width_um
        Number of columns of the coarse grid (x periodic) and their width [um] (default
        ``remodelling.cell_width_um``).
    map_times_day
        Times of the maps of the matrix change [day] (default: the end of the run).
    paracrine
        Spread the cell-secreted growth factors between cells (default True).

    Returns
    -------
    xarray.Dataset
        Dims ``time`` [day] and ``band`` [um]: every state variable as a band mean; derived
        ``tgfb_active``, ``pdgf``, ``inflammation``, ``erythema``, gross
        ``collagen_I_synthesis``/``collagen_III_synthesis`` (relative to basal), net
        ``collagen_I_deposition``/``collagen_III_deposition`` [per day], ratio and type III
        fraction; the changes ``*_rel_change`` (collagen I, III, total; elastin,
        tropoelastin, collagen VII) as treated minus the untreated twin, relative to the
        start; the twin's own change ``collagen_I_untreated_rel_change`` (time);
        ``erythema_index`` [um]; and maps ``*_change_map`` (map_time, band, column).
        Attr ``reepithelialisation_h``: the re-epithelialisation time of every session's
        epidermal burn (0 without one) [h].
    """
    cfg = cfg or RemodellingConfig()
    patient = patient or PatientConfig()
    signalling = signalling or SignallingConfig()
    p = derived_rates(cfg, patient, signalling)
    z = np.atleast_1d(np.asarray(band_z_um, dtype=float))
    nz, nx = z.size, int(columns)
    n = nz * nx
    dz = band_widths_um(z, band_thickness_um)
    cw = float(column_width_um if column_width_um is not None else cfg.cell_width_um)
    cg = coarse_grid(z, dz, nx * cw, cw)
    y0 = baseline_state(n, cfg) if state0 is None else np.asarray(state0, dtype=float)
    session_days = sorted(d.day for d in drives)
    if output_times_day is None:
        out_t = default_output_times(session_days, t0_day, t_end_day)
    else:
        out_t = np.asarray(output_times_day, dtype=float)
    maps_t = np.atleast_1d(np.asarray(
        [t_end_day] if map_times_day is None else map_times_day, dtype=float))
    maps_t = maps_t[(maps_t >= t0_day) & (maps_t <= t_end_day)]
    out_t = np.union1d(out_t, maps_t)
    reducer = _BandMeans(nz, nx, p, maps_t)
    par = ParacrineField(cg, p) if paracrine else None
    times, Yb = integrate(
        y0, t0_day, t_end_day, drives, cfg, out_t, rtol=rtol, atol=atol, method=method,
        jac=jac, patient=patient, signalling=signalling, paracrine=par, reduce=reducer)
    # the untreated twin: same age, no sessions (one compartment: it stays uniform)
    _, Ytw = integrate(baseline_state(1, cfg), t0_day, t_end_day, [], cfg, out_t, rtol=rtol,
                       atol=atol, patient=patient, signalling=signalling,
                       reduce=_BandMeans(1, 1, p, np.zeros(0)))
    Ytw = Ytw[:, 0]
    exo = GrowthFactorDrive(list(drives), n)
    cT = np.empty((times.size, nz))
    cP = np.empty((times.size, nz))
    for k, t in enumerate(times):
        a_, b_ = exo(float(t))
        cT[k] = a_.reshape(nz, nx).mean(axis=1)
        cP[k] = b_.reshape(nz, nx).mean(axis=1)
    ds = _dataset(times, z, dz, Yb, Ytw, cT, cP, cfg, p)
    cols = cg.x_um
    bases = {"collagen_I": cfg.collagen_I_baseline, "collagen_III": cfg.collagen_III_baseline}
    for k, (i_var, name) in enumerate(MAP_VARIABLES):
        base = bases.get(name, 1.0)
        tw = np.interp(maps_t, times, Ytw[:, i_var])
        arr = np.stack([reducer.maps[float(t)][:, :, k] for t in maps_t]) if maps_t.size else (
            np.zeros((0, nz, nx)))
        ds[f"{name}_change_map"] = xr.Variable(
            ("map_time", "band", "column"), 100.0 * (arr - tw[:, None, None]) / base,
            {"units": "%", "long_name": f"{name.replace('_', ' ')} change vs untreated twin"})
    ds = ds.assign_coords(
        map_time=("map_time", maps_t, {"units": "day", "long_name": "time of the maps"}),
        column=("column", cols, {"units": "um", "long_name": "lateral centre of the column"}))
    ordered = sorted(drives, key=lambda d: d.day)
    ds.attrs.update({
        "session_days": np.asarray(session_days, dtype=float), "rtol": rtol, "method": method,
        "reepithelialisation_h": session_reepithelialisation_h(
            [d.epidermal_necrosis for d in ordered], [d.epidermal_lesion_um for d in ordered],
            cfg),
        "columns": nx, "column_width_um": cw, "age_years": patient.age_years})
    return ds


def _dataset(times: np.ndarray, z: np.ndarray, dz: np.ndarray, Yb: np.ndarray,
             Ytw: np.ndarray, cT: np.ndarray, cP: np.ndarray, cfg: RemodellingConfig,
             p: Any) -> xr.Dataset:
    """Band-mean variables (Yb: (time, band, N_VAR + extras); Ytw: the twin's (time, ...))."""
    dims = ("time", "band")
    data: dict[str, Any] = {}
    for i, name in enumerate(VAR_NAMES):
        data[name] = xr.Variable(dims, Yb[:, :, i],
                                 {"units": UNITS[name], "long_name": LONG_NAMES[name]})
    ex = {nm: Yb[:, :, N_VAR + j] for j, nm in enumerate(_EXTRA)}
    C1, C3 = Yb[:, :, iC1], Yb[:, :, iC3]
    C10, C30 = cfg.collagen_I_baseline, cfg.collagen_III_baseline
    tw = {i: Ytw[:, i][:, None] for i in (iC1, iC3, iEl, iT, iC7)}
    per_day = "1/day (fraction of baseline total collagen)"
    extra = {
        "tgfb1_drive": (cT, "ng/mL", "growth-factor drive: total TGF-beta1 (signalling stage)"),
        "pdgf_drive": (cP, "ng/mL", "growth-factor drive: PDGF (signalling stage)"),
        "tgfb_active": (p.fa1 * cT + Yb[:, :, iA], "ng/mL",
                        "active TGF-beta (acute active + endogenous)"),
        "pdgf": (cP + Yb[:, :, iP], "ng/mL", "PDGF (drive + endogenous)"),
        "erythema": (ex["erythema"], "1", "erythema (vasodilation) index, 0..1"),
        "inflammation": (Yb[:, :, iN] + Yb[:, :, iM], "cells/mm^3",
                         "inflammatory cells above baseline"),
        "collagen_I_synthesis": (ex["collagen_I_synthesis"], "1 (relative to basal)",
                                 "gross collagen I synthesis"),
        "collagen_III_synthesis": (ex["collagen_III_synthesis"], "1 (relative to basal)",
                                   "gross collagen III synthesis"),
        "collagen_I_deposition": (ex["collagen_I_deposition"], per_day,
                                  "net collagen I deposition (synthesis that matures)"),
        "collagen_III_deposition": (ex["collagen_III_deposition"], per_day,
                                    "net collagen III deposition (synthesis that matures)"),
        "collagen_I_III_ratio": (C1 / C3, "1", "collagen I : III ratio"),
        "collagen_III_fraction": (C3 / (C1 + C3), "1", "collagen III / (I + III)"),
        "collagen_I_rel_change": ((C1 - tw[iC1]) / C10, "1",
                                  "collagen I change vs the untreated twin (of baseline)"),
        "collagen_III_rel_change": ((C3 - tw[iC3]) / C30, "1",
                                    "collagen III change vs the untreated twin (of baseline)"),
        "collagen_total_rel_change": ((C1 + C3 - tw[iC1] - tw[iC3]) / (C10 + C30), "1",
                                      "collagen I+III change vs the untreated twin"),
        "elastin_rel_change": (Yb[:, :, iEl] - tw[iEl], "1",
                               "total elastin change vs the untreated twin"),
        "tropoelastin_rel_change": (Yb[:, :, iT] - tw[iT], "1",
                                    "tropoelastin change vs the untreated twin"),
        "collagen_VII_rel_change": (Yb[:, :, iC7] - tw[iC7], "1",
                                    "collagen VII change vs the untreated twin"),
    }
    for name, (arr, unit, ln) in extra.items():
        data[name] = xr.Variable(dims, arr, {"units": unit, "long_name": ln})
    data["erythema_index"] = xr.Variable(
        ("time",), ex["erythema"] @ dz,
        {"units": "um", "long_name": "depth-integrated erythema index (downtime proxy)"})
    data["band_thickness"] = xr.Variable(("band",), dz,
                                         {"units": "um", "long_name": "band thickness"})
    data["collagen_I_untreated_rel_change"] = xr.Variable(
        ("time",), Ytw[:, iC1] / C10 - 1.0,
        {"units": "1", "long_name": "collagen I of the untreated twin vs the start (ageing)"})
    data["collagen_I_deposition_untreated"] = xr.Variable(
        ("time",), Ytw[:, N_VAR + 3], {"units": per_day, "long_name":
                                       "net collagen I deposition of the untreated twin"})
    data["collagen_III_deposition_untreated"] = xr.Variable(
        ("time",), Ytw[:, N_VAR + 4], {"units": per_day, "long_name":
                                       "net collagen III deposition of the untreated twin"})
    cfg_json = json.dumps({f.name: getattr(cfg, f.name) for f in dataclasses.fields(cfg)})
    return xr.Dataset(
        data,
        coords={
            "time": ("time", times, {"units": "day", "long_name": "time from protocol start"}),
            "band": ("band", z, {"units": "um", "long_name": "band centre depth"}),
        },
        attrs={
            "model": "dermsim remodelling (cells and matrix on depth bands x columns)",
            "erythema_threshold_um": cfg.erythema_threshold_um,
            "dermal_matrix_volume_fraction": cfg.dermal_matrix_volume_fraction,
            "collagen_III_echogenicity": cfg.collagen_III_echogenicity,
            "collagen_I_baseline": C10,
            "collagen_III_baseline": C30,
            "remodelling_config": cfg_json,
        },
    )


