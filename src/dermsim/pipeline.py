"""Orchestration (the `simulate` step): one scenario → one labelled :class:`xarray.Dataset`.

The pipeline runs, for each session of the protocol: penetration (where the needles go and
what they injure), then — when the stage modules are present — RF heating, growth-factor
signalling over the acute window, and collagen remodelling through the interval. This module
holds no physics formulas: it wires the stages together and labels the result.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np
import xarray as xr

from dermsim import __version__, schema
from dermsim.config import Scenario
from dermsim.coupling import (
    DRIVE_SNAPSHOT_TIMES_H,
    coupled_signalling_config,
    field_drive,
)
from dermsim.coupling import (
    session_drive as session_drive,  # re-exported for callers of the band drive
)
from dermsim.patient import apply_patient, patient_outputs
from dermsim.penetration import PenetrationResult, injury_field, penetrate
from dermsim.protocol import Session
from dermsim.remodelling import SessionDrive
from dermsim.remodelling.clinical import dermal_matrix_courses
from dermsim.resources import check_all, check_resources, grid_plan
from dermsim.tissue import LAYER_LABELS, LAYER_NAMES, PAPILLARY, RETICULAR, Grid, make_grid

ProgressCallback = Callable[[str, int, int], None]


@dataclass
class SessionPenetration:
    """Penetration stage of one session on the scenario grid."""

    session: Session
    device: Any
    result: PenetrationResult
    injury: np.ndarray  # (nz, nx) 0..1


def session_rngs(seed: int, n: int) -> list[np.random.Generator]:
    """Independent generators per session from one seed (``SeedSequence.spawn``), so session
    k's randomness does not depend on how many sessions came before it."""
    return [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(n)]


def build_grid(scenario: Scenario) -> tuple[Grid, list[Any]]:
    """The scenario grid and the device of every session (layout: :func:`resources.grid_plan`)."""
    plan = grid_plan(scenario)
    g = scenario.grid
    rf = scenario.stage("rf") if scenario.is_rf else None
    freq = getattr(rf, "frequency_MHz", 1.0) if rf is not None else 1.0
    grid = make_grid(scenario.stack(), h_um=g.h_um, width_um=plan.nx * g.h_um,
                     depth_um=plan.depth_um, frequency_mhz=freq)
    return grid, plan.devices


def run_penetration(scenario: Scenario, grid: Grid, devices: list[Any]) -> list[SessionPenetration]:
    """Penetration stage for every session (seeded per session)."""
    timeline = scenario.protocol.timeline()
    rngs = session_rngs(scenario.seed, len(timeline))
    h_um = grid.h * 1e6
    out = []
    for session, device, rng in zip(timeline, devices, rngs):
        res = penetrate(device, scenario.stack(), scenario.penetration, rng,
                        width_um=grid.width * 1e6, h_um=h_um, nx=grid.nx)
        out.append(SessionPenetration(session, device, res,
                                      injury_field(grid, res, device, scenario.penetration)))
    return out


def base_dataset(scenario: Scenario, grid: Grid) -> xr.Dataset:
    """Coordinates, layer map and provenance attrs shared by every result."""
    z_um = grid.z * 1e6
    x_um = grid.x * 1e6
    ds = xr.Dataset(
        coords={
            "z": ("z", z_um, {"units": "um", "long_name": "depth below the skin surface"}),
            "x": ("x", x_um, {"units": "um", "long_name": "lateral position"}),
            "layer_name": ("layer_index", list(LAYER_NAMES)),
        }
    )
    ds["layer"] = (("z", "x"), grid.layer, {
        "long_name": "skin layer index", "units": "1",
        "flag_values": np.arange(len(LAYER_NAMES), dtype=np.int8),
        "flag_meanings": " ".join(LAYER_NAMES)})
    ds["layer_top"] = ("layer_index", grid.interfaces_m[:-1] * 1e6,
                       {"units": "um", "long_name": "depth of the top of each layer"})
    ds["layer_bottom"] = ("layer_index", grid.interfaces_m[1:] * 1e6,
                          {"units": "um", "long_name": "depth of the bottom of each layer"})
    ds.attrs.update({
        "title": f"dermsim result: {scenario.name}",
        "scenario": scenario.name,
        "config_toml": scenario.to_toml(),
        "dermsim_version": __version__,
        "seed": scenario.seed,
        "site": scenario.skin.site,
        "device_kind": scenario.device.kind,
        "device_preset": scenario.device_preset or "custom",
        "grid_h_um": grid.h * 1e6,
        "grid_shape_zx": f"{grid.nz} x {grid.nx}",
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "disclaimer": "dermsim is a research and teaching tool, not medical advice.",
        "layer_labels": ", ".join(LAYER_LABELS),
    })
    return ds


def penetration_dataset(stages: list[SessionPenetration], grid: Grid) -> xr.Dataset:
    """Per-session penetration outcomes and injury fields as a Dataset (dims session, needle,
    z, x)."""
    n_needle = max(len(s.result.positions_um) for s in stages)
    pad = np.full((len(stages), n_needle), math.nan)
    xs, ds_ = pad.copy(), pad.copy()
    for k, s in enumerate(stages):
        xs[k, : len(s.result.positions_um)] = s.result.positions_um
        ds_[k, : len(s.result.depths_um)] = s.result.depths_um
    sess = [s.session.index for s in stages]
    out = xr.Dataset(coords={"session": ("session", sess, schema.variable_attrs("session"))})
    out["session_day"] = ("session", [s.session.day for s in stages],
                          schema.variable_attrs("session_day"))
    out["injury"] = (("session", "z", "x"), np.stack([s.injury for s in stages]).astype(np.float32),
                     schema.variable_attrs("injury"))
    out["needle_x"] = (("session", "needle"), xs, schema.variable_attrs("needle_x"))
    out["needle_depth"] = (("session", "needle"), ds_, schema.variable_attrs("needle_depth"))

    def per_session(attr: str, name: str) -> tuple:
        vals = [getattr(s.result, attr) if not callable(getattr(s.result, attr))
                else getattr(s.result, attr)() for s in stages]
        return ("session", np.asarray(vals, dtype=float), schema.variable_attrs(name))

    for attr, name in (("nominal_length_um", "nominal_length"),
                       ("mean_effective_depth_um", "effective_depth"),
                       ("efficiency", "efficiency"), ("bleeding_fraction", "bleeding_fraction"),
                       ("density_per_cm2", "punctures_per_cm2"),
                       ("spacing_um", "in_plane_spacing"),
                       ("surface_fraction_punctured", "surface_fraction_punctured"),
                       ("epidermal_injury_mm3_per_cm2", "epidermal_injury"),
                       ("dermal_injury_mm3_per_cm2", "dermal_injury")):
        out[name] = per_session(attr, name)
    deepest = [LAYER_NAMES.index(s.result.deepest_layer) if s.result.deepest_layer in LAYER_NAMES
               else -1 for s in stages]
    out["deepest_layer"] = ("session", np.asarray(deepest, dtype=np.int8),
                            {**schema.variable_attrs("deepest_layer"),
                             "flag_meanings": " ".join(LAYER_NAMES)})
    reach = [[s.result.layer_reach_fraction.get(n, 0.0) for n in LAYER_NAMES] for s in stages]
    out["layer_reach_fraction"] = (("session", "layer_index"), np.asarray(reach, dtype=float),
                                   schema.variable_attrs("layer_reach_fraction"))
    h2 = (grid.h * 1e6) ** 2
    out["injured_area"] = ("session", np.array([s.injury.sum() * h2 for s in stages]),
                           schema.variable_attrs("injured_area"))
    return out


@dataclass
class SessionStages:
    """Outputs of the per-session stages (RF, signalling) and the remodelling drive."""

    rf: xr.Dataset | None
    signalling: xr.Dataset
    drive: SessionDrive  # without its day


#: Per-session stage results, memoised across scenarios within a process so that protocols
#: sharing their first sessions (same skin, device, grid, seed) do not recompute them.
_SESSION_CACHE: dict[str, SessionStages] = {}
_SESSION_CACHE_MAX = 64


def _session_key(scenario: Scenario, grid: Grid, index: int, device: Any) -> str:
    import hashlib
    import json

    from dermsim.devices import device_to_dict

    d = scenario.to_dict()
    for key in ("name", "protocol", "output", "remodelling", "patient"):
        d.pop(key, None)
    d["device"] = device_to_dict(device)
    d["_grid"] = (grid.nx, grid.nz, grid.h)
    d["_session"] = index
    d["_columns"] = remodelling_columns(scenario, grid)
    rem = scenario.stage("remodelling")  # the reaches enter the drive
    d["_reach"] = (rem.wound_signal_reach_um, rem.erythema_flare_reach_um)
    return hashlib.sha256(json.dumps(d, sort_keys=True, default=str).encode()).hexdigest()


def clear_cache() -> None:
    """Forget memoised session stages."""
    _SESSION_CACHE.clear()


#: times of the growth-factor snapshots kept in the result [h]
RESULT_SNAPSHOT_TIMES_H = (1.0, 6.0, 24.0, 72.0)


def remodelling_columns(scenario: Scenario, grid: Grid) -> int:
    """Number of columns of the coarse remodelling grid across the slice."""
    return max(1, round(grid.width * 1e6 / scenario.stage("remodelling").cell_width_um))


def run_session_stages(scenario: Scenario, grid: Grid, sp: SessionPenetration,
                       progress: ProgressCallback | None = None, n_sessions: int = 1,
                       ) -> SessionStages:
    """RF heating (RF tips), growth-factor signalling and the remodelling drive of a session.

    Results are memoised by (scenario without its protocol, grid, session number, device).
    """
    from dermsim import signalling

    key = _session_key(scenario, grid, sp.session.index, sp.device)
    if key in _SESSION_CACHE:
        return _SESSION_CACHE[key]
    injury = sp.injury
    rf_ds = None
    edges = grid.band_edges(scenario.stage("signalling").band_um)
    coag = np.zeros(len(edges) - 1)
    shock = np.zeros(len(edges) - 1)
    burn = None
    if sp.device.kind == "rf_tip":
        from dermsim import thermal

        if progress:
            progress(f"session {sp.session.index}: RF heating", sp.session.index - 1, n_sessions)
        rf_ds = thermal.simulate_rf_pulse(grid, sp.device, scenario.stage("rf"),
                                          depth_um=sp.result.depths_um,
                                          pin_x_um=sp.result.positions_um)
        fr = thermal.band_fractions(rf_ds, edges)
        coag, shock = fr["coagulated_fraction"], fr["heat_shock_fraction"]
        burn = {k: float(rf_ds[k]) for k in ("epidermal_necrosis", "epidermal_lesion_um")}
        # coagulated tissue is injured tissue: it releases damage signals like a channel wall
        injury = np.maximum(injury, rf_ds["coagulated"].values.astype(float))
    if progress:
        progress(f"session {sp.session.index}: growth factors", sp.session.index - 1, n_sessions)
    # 3-D/slice scale factors come from the mechanical channels (penetration's 3-D volume);
    # the coagulated columns add to the releasing tissue but enter remodelling separately
    inputs = signalling.session_inputs(grid, sp.injury, sp.result)
    snaps = sorted(set(DRIVE_SNAPSHOT_TIMES_H) | set(RESULT_SNAPSHOT_TIMES_H))
    sig = signalling.run_acute_window(
        grid, injury, cfg=coupled_signalling_config(scenario.stage("signalling")),
        snapshot_times_h=snaps, **inputs)
    drive = field_drive(grid, sp.injury, inputs, sig, remodelling_columns(scenario, grid),
                        coag, shock, spacing_um=sp.result.spacing_um,
                        reach_um=scenario.stage("remodelling").wound_signal_reach_um,
                        flare_reach_um=scenario.stage("remodelling").erythema_flare_reach_um,
                        burn=burn)
    out = SessionStages(rf_ds, sig, drive)
    if len(_SESSION_CACHE) >= _SESSION_CACHE_MAX:
        _SESSION_CACHE.pop(next(iter(_SESSION_CACHE)))
    _SESSION_CACHE[key] = out
    return out


def _signalling_dataset(stages: list[SessionStages], sessions: list[int]) -> xr.Dataset:
    """Signalling outputs of all sessions on the first session's time axis (dim gf_time [h])."""
    first = stages[0].signalling
    t_day = first["time"].values
    out = xr.Dataset(coords={"gf_time": ("gf_time", t_day * 24.0,
                                         {"units": "h", "long_name": "time after the session"}),
                             "species": first["species"].values,
                             "band": ("band", first["band"].values, first["band"].attrs),
                             "band_top": ("band", first["band_top"].values,
                                          first["band_top"].attrs),
                             "band_bottom": ("band", first["band_bottom"].values,
                                             first["band_bottom"].attrs)})
    per_session = ["gf_band", "gf_max", "gf_reach", "gf_released", "gf_decayed",
                   "gf_remaining", "gf_lost", "gf_layer_amount"]
    for var in per_session:
        arrs = []
        for st in stages:
            v = st.signalling[var]
            if not np.array_equal(st.signalling["time"].values, t_day):
                v = v.interp(time=t_day)
            arrs.append(v.values)
        dims = ("session", *["gf_time" if d == "time" else d for d in first[var].dims])
        if "layer_name" in dims:
            dims = tuple("layer_index" if d == "layer_name" else d for d in dims)
        out[var] = (dims, np.stack(arrs), dict(first[var].attrs))
    keep = first["gf_snapshot"].sel(snapshot_time=list(RESULT_SNAPSHOT_TIMES_H))
    out["gf_snapshot"] = (keep.dims, keep.values, {**keep.attrs, "session": sessions[0]})
    out = out.assign_coords(snapshot_time=keep["snapshot_time"])
    renamed = {"time_topical": "topical_time", "layer_name": "layer_index"}
    for key in first.data_vars:
        name = str(key)
        if name.startswith("topical"):
            v = first[name]
            if "snapshot_time" in v.dims:
                v = v.sel(snapshot_time=list(RESULT_SNAPSHOT_TIMES_H))
            dims = tuple(renamed.get(str(d), str(d)) for d in v.dims)
            out[name] = (dims, v.values, dict(v.attrs))
    if "time_topical" in first.coords:
        out = out.assign_coords(topical_time=("topical_time", first["time_topical"].values * 24,
                                              {"units": "h",
                                               "long_name": "time after the session"}))
    return out


def _rf_dataset(stages: list[SessionStages]) -> xr.Dataset:
    """RF outputs per session (fields on z, x; traces on the first session's time axis)."""
    rfs = [st.rf for st in stages if st.rf is not None]
    first = rfs[0]
    out = xr.Dataset(coords={"rf_time": ("rf_time", first["time"].values, first["time"].attrs)})
    fields = {"peak_temperature_C": "rf_peak_temperature", "omega": "rf_damage",
              "coagulated": "rf_coagulated", "heat_shock": "rf_heat_shock",
              "cem43_min": "rf_cem43"}
    for src, dst in fields.items():
        # float32 keeps the files small; Ω can reach 1e300 in the hottest cells, so cap it
        out[dst] = (("session", "z", "x"),
                    np.stack([np.minimum(r[src].values, 1e30).astype(np.float32) for r in rfs]),
                    dict(first[src].attrs))
    for src in ("tip_temperature_C", "epidermis_max_temperature_C", "max_temperature_C",
                "power_W", "power_requested_W"):
        if src in first:
            arrs = [np.interp(first["time"].values, r["time"].values, r[src].values)
                    for r in rfs]
            out[f"rf_{src}"] = (("session", "rf_time"), np.stack(arrs), dict(first[src].attrs))
    for name in first.data_vars:
        if first[name].ndim == 0:
            out[f"rf_{name}"] = ("session", np.array([float(r[name]) for r in rfs]),
                                 dict(first[name].attrs))
    return out


@dataclass
class SessionRuns:
    """Everything of a run before remodelling: the stage outputs of every session and the
    Dataset they fill (the part that posterior members varying only remodelling parameters
    share)."""

    ds: xr.Dataset
    grid: Grid
    pen: list[SessionPenetration]
    stages: list[SessionStages]


def run_sessions(scenario: Scenario, progress: ProgressCallback | None = None) -> SessionRuns:
    """Penetration, RF heating and signalling of every session (memoised) and their Dataset."""
    check_resources(scenario)  # refuse too-large requests before allocating anything
    grid, devices = build_grid(scenario)
    ds = base_dataset(scenario, grid)
    n = len(devices)
    if progress:
        progress("penetration", 0, n)
    pen = run_penetration(scenario, grid, devices)
    ds = ds.merge(penetration_dataset(pen, grid))
    stages = [run_session_stages(scenario, grid, sp, progress, n) for sp in pen]
    sessions = [sp.session.index for sp in pen]
    ds = ds.merge(_signalling_dataset(stages, sessions))
    if any(st.rf is not None for st in stages):
        ds = ds.merge(_rf_dataset(stages))
    return SessionRuns(ds, grid, pen, stages)


def simulate(scenario: Scenario, progress: ProgressCallback | None = None) -> xr.Dataset:
    """Run the whole pipeline for ``scenario`` and return the labelled result.

    Per session: penetration → RF heating (RF tips) → growth-factor signalling over the acute
    window; then the remodelling ODE through the whole protocol, driven by every session.

    Parameters
    ----------
    scenario
        A validated scenario (:func:`dermsim.load_scenario`).
    progress
        Optional callback ``progress(stage, sessions_done, n_sessions)``.

    Returns
    -------
    xarray.Dataset
        Dims ``z``, ``x`` [µm], ``session``, ``band`` [µm], ``gf_time`` [h], ``time`` [day]
        (and ``rf_time`` [ms] for RF); attrs hold the config as TOML, the dermsim version and
        the seed.
    """
    return finish_run(scenario, run_sessions(scenario, progress), progress)


def shares_sessions(a: Scenario, b: Scenario) -> bool:
    """Whether scenarios ``a`` and ``b`` differ at most in their name and ``remodelling``
    table (so :func:`run_sessions` of one drives :func:`finish_run` of the other)."""
    da, db = a.to_dict(), b.to_dict()
    for d in (da, db):
        d.pop("name", None)
        d.pop("remodelling", None)
    return da == db


def finish_run(scenario: Scenario, runs: SessionRuns,
               progress: ProgressCallback | None = None) -> xr.Dataset:
    """The remodelling stage of ``scenario`` driven by the sessions ``runs`` (of
    :func:`run_sessions`), and the labelled result.

    ``runs`` may come from another scenario that differs from this one only in its
    ``remodelling`` and ``patient`` tables (those stages follow the sessions): the result is
    then the same as :func:`simulate` of this scenario (a posterior ensemble runs its members
    this way).
    """
    from dataclasses import replace

    from dermsim.remodelling import simulate_remodelling

    ds, grid, pen, stages = runs.ds, runs.grid, runs.pen, runs.stages
    n = len(pen)
    if progress:
        progress("collagen remodelling", n, n)
    drives = [replace(st.drive, day=sp.session.day) for st, sp in zip(stages, pen)]
    columns = remodelling_columns(scenario, grid)
    days = [sp.session.day for sp in pen]
    end = scenario.protocol.end_day
    remod = simulate_remodelling(ds["band"].values, drives, end,
                                 apply_patient(scenario).stage("remodelling"),
                                 band_thickness_um=float(scenario.stage("signalling").band_um),
                                 patient=scenario.stage("patient"),
                                 signalling=scenario.stage("signalling"),
                                 columns=columns, column_width_um=grid.width * 1e6 / columns,
                                 map_times_day=sorted({min(days[0] + 14.0, end),
                                                       min(days[-1] + 14.0, end), end}))
    remod = remod.drop_vars([v for v in ("band_top", "band_bottom") if v in remod])
    for var in ("collagen_I", "collagen_III"):
        change = 100.0 * remod[f"{var}_rel_change"]
        remod[f"{var}_change"] = change.assign_attrs(
            units="%", long_name=f"{var.replace('_', ' ')} change vs the untreated twin")
    keep = {k: remod.attrs[k] for k in ("session_days", "erythema_threshold_um",
                                        "collagen_I_baseline", "collagen_III_baseline",
                                        "dermal_matrix_volume_fraction",
                                        "collagen_III_echogenicity")}
    ds = ds.merge(remod.drop_vars("band"), compat="override", combine_attrs="drop_conflicts")
    ds.attrs.update(keep)
    ds.attrs.update({"title": f"dermsim result: {scenario.name}", "scenario": scenario.name,
                     "config_toml": scenario.to_toml()})
    nb = ds.sizes["band"]
    ds["band_injury"] = (("session", "band"),
                         np.stack([st.drive.band_injury.reshape(nb, -1).mean(axis=1)
                                   for st in stages]),
                         {"units": "1", "long_name": "injured volume fraction per band"})
    ds["band_layer"] = ("band", grid.stack.layer_at(ds["band"].values),
                        {"long_name": "layer index of each band",
                         "flag_meanings": " ".join(LAYER_NAMES)})
    ds = ds.assign(dermal_matrix_courses(
        ds, np.isin(ds["band_layer"].values, [PAPILLARY, RETICULAR]),
        ds.attrs["dermal_matrix_volume_fraction"], ds.attrs["collagen_III_echogenicity"]))
    ds = patient_outputs(ds, scenario.stages.get("patient"))
    schema.apply(ds)
    ds = guard_outputs(ds)
    if progress:
        progress("done", n, n)
    return ds


#: Units of quantities that cannot be negative: concentrations, amounts, exposures and cell
#: densities.
NONNEGATIVE_UNITS = frozenset({"ng/mL", "ng/cm2", "ng h/cm2", "cells/mm^3"})
#: Dimensionless state variables that cannot be negative (fractions, indices, densities
#: relative to a resident or baseline value).
NONNEGATIVE_VARS = frozenset({"damage", "erythema_mediator", "heat_shock", "erythema",
                              "erythema_index", "activation_early", "activation_mature",
                              "fibroblasts", "collagen_I", "collagen_III", "elastin",
                              "tropoelastin", "collagen_VII", "collagen_I_synthesis",
                              "collagen_III_synthesis"})
#: Undershoot below zero, relative to the variable's largest magnitude (or absolute, in the
#: variable's unit), that is solver round-off; a larger one is reported (a warning) before it
#: is clipped too.
UNDERSHOOT_RTOL = 1e-6
UNDERSHOOT_ATOL = 1e-9


def guard_outputs(ds: xr.Dataset) -> xr.Dataset:
    """Clip solver undershoot of non-negative outputs to zero and make ratios finite or NaN.

    Concentrations, amounts and cell densities (:data:`NONNEGATIVE_UNITS`) and the state
    variables of :data:`NONNEGATIVE_VARS` are set to ``max(value, 0)``: the ODE and PDE solvers
    leave round-off undershoot of order 1e-8 of the peak where a quantity decays to zero.
    ``topical_delivery_ratio`` is NaN (undefined), not infinite, in layers that intact skin
    does not reach.
    """
    import warnings

    for name, var in ds.data_vars.items():
        if var.dtype.kind != "f":
            continue
        if str(name) in NONNEGATIVE_VARS or var.attrs.get("units") in NONNEGATIVE_UNITS:
            values = var.values
            low = np.nanmin(values) if values.size else 0.0
            if low < 0:
                scale = float(np.nanmax(np.abs(values)))
                if -low > max(UNDERSHOOT_RTOL * scale, UNDERSHOOT_ATOL):
                    warnings.warn(f"{name}: clipped a negative value {low:.3g} (peak "
                                  f"{scale:.3g}) to 0", RuntimeWarning, stacklevel=2)
                ds[name] = var.clip(min=0.0).assign_attrs(var.attrs)
    if "topical_delivery_ratio" in ds:
        r = ds["topical_delivery_ratio"]
        ds["topical_delivery_ratio"] = r.where(np.isfinite(r)).assign_attrs(
            {**r.attrs, "comment": "NaN where intact skin delivers nothing to the layer"})
    return ds


def compare_scenarios(scenarios: list[Scenario], progress: ProgressCallback | None = None,
                      ) -> tuple[list[xr.Dataset], xr.Dataset]:
    """Simulate several scenarios and tabulate their scalar outcomes side by side.

    Returns
    -------
    results
        One result Dataset per scenario (same order).
    table
        Dataset with dim ``scenario`` (names) and one variable per scalar outcome. Collagen
        outcomes are compared at a common time after each scenario's last session (the
        shortest follow-up among them; variable ``compared_day``, attr ``compared_at``).
    """
    from dermsim.metrics import comparison_days, scalar_outcomes

    check_all(scenarios)  # every scenario fits before the first one runs
    names = [s.name for s in scenarios]
    counts = {n: names.count(n) for n in names}
    seen: dict[str, int] = {}
    for i, n in enumerate(list(names)):
        if counts[n] > 1:  # keep the table unambiguous: suffix repeated names
            seen[n] = seen.get(n, 0) + 1
            names[i] = f"{n}#{seen[n]}"
    results = [simulate(s, progress) for s in scenarios]
    has_time = all("time" in ds for ds in results)
    follow, days = comparison_days(results) if has_time else (float("nan"), [])
    at_days: list[float | None] = list(days) if has_time else [None] * len(results)
    rows = [scalar_outcomes(ds, day) for ds, day in zip(results, at_days)]
    table = xr.Dataset(coords={"scenario": ("scenario", names)})
    for key in schema.OUTCOME_NAMES:
        table[key] = ("scenario", np.array([r[key] for r in rows], dtype=float),
                      schema.attrs(key))
    if has_time:
        table["compared_day"] = ("scenario", np.array(days),
                                 {"units": "day", "long_name": "day of the comparison (collagen "
                                  "outcomes), the same time after each last session"})
        table.attrs["compared_at"] = (f"{follow:g} days after each scenario's last session "
                                      "(the shortest follow-up)")
    table.attrs.update({"dermsim_version": __version__,
                        "configs_toml": "\n# ----\n".join(s.to_toml() for s in scenarios)})
    return results, table
