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

from dermsim import __version__
from dermsim.config import Scenario
from dermsim.coupling import (
    DRIVE_SNAPSHOT_TIMES_H,
    coupled_signalling_config,
    field_drive,
)
from dermsim.coupling import (
    session_drive as session_drive,  # re-exported for callers of the band drive
)
from dermsim.penetration import PenetrationResult, injury_field, penetrate
from dermsim.protocol import Session
from dermsim.remodelling import SessionDrive
from dermsim.tissue import LAYER_LABELS, LAYER_NAMES, Grid, default_depth_um, make_grid

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
    """The scenario grid and the device of every session.

    The slice width is a whole number of first-session needle spacings (≥ 2) close to
    ``grid.width_um``; the depth defaults to 1 mm below the dermis (≥ 3 mm) and always reaches
    500 µm below the longest needle, within the stack.
    """
    stack = scenario.stack()
    timeline = scenario.protocol.timeline()
    devices = [scenario.protocol.device_for(s.index, scenario.device) for s in timeline]
    g = scenario.grid
    from dermsim.penetration import slice_layout

    bipolar = devices[0].kind == "rf_tip" and getattr(devices[0], "bipolar", False)
    _, nx, _ = slice_layout(devices[0].punctures_per_cm2(), g.width_um, g.h_um, even=bipolar)
    depth = g.depth_um
    if depth is None:
        longest = max(d.needle_length_um for d in devices)
        depth = min(stack.total_um, max(default_depth_um(stack), longest + 500.0))
    rf = scenario.stage("rf") if scenario.is_rf else None
    freq = getattr(rf, "frequency_MHz", 1.0) if rf is not None else 1.0
    grid = make_grid(stack, h_um=g.h_um, width_um=nx * g.h_um, depth_um=depth,
                     frequency_mhz=freq)
    return grid, devices


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
    out = xr.Dataset(coords={"session": ("session", sess, {"long_name": "session number"})})
    out["session_day"] = ("session", [s.session.day for s in stages],
                          {"units": "day", "long_name": "day of the session"})
    out["injury"] = (("session", "z", "x"), np.stack([s.injury for s in stages]).astype(np.float32),
                     {"units": "1", "long_name": "tissue injury (1 = channel, rim < 1)"})
    out["needle_x"] = (("session", "needle"), xs,
                       {"units": "um", "long_name": "lateral position of each needle in the slice"})
    out["needle_depth"] = (("session", "needle"), ds_,
                           {"units": "um", "long_name": "effective depth of each needle"})

    def per_session(attr: str, units: str, long_name: str) -> tuple:
        vals = [getattr(s.result, attr) if not callable(getattr(s.result, attr))
                else getattr(s.result, attr)() for s in stages]
        return ("session", np.asarray(vals, dtype=float), {"units": units, "long_name": long_name})

    out["nominal_length"] = per_session("nominal_length_um", "um", "nominal needle length")
    out["effective_depth"] = per_session("mean_effective_depth_um", "um",
                                         "mean effective penetration depth")
    out["efficiency"] = per_session("efficiency", "1", "effective depth / nominal length")
    out["bleeding_fraction"] = per_session("bleeding_fraction", "1",
                                           "fraction of needles reaching papillary capillaries")
    out["punctures_per_cm2"] = per_session("density_per_cm2", "1/cm2", "puncture density")
    out["in_plane_spacing"] = per_session("spacing_um", "um", "needle spacing in the slice")
    out["surface_fraction_punctured"] = per_session("surface_fraction_punctured", "1",
                                                    "fraction of the skin surface punctured")
    out["epidermal_injury"] = per_session("epidermal_injury_mm3_per_cm2", "mm3/cm2",
                                          "injury-weighted epidermal volume per skin area")
    out["dermal_injury"] = per_session("dermal_injury_mm3_per_cm2", "mm3/cm2",
                                       "injury-weighted dermal volume per skin area")
    deepest = [LAYER_NAMES.index(s.result.deepest_layer) if s.result.deepest_layer in LAYER_NAMES
               else -1 for s in stages]
    out["deepest_layer"] = ("session", np.asarray(deepest, dtype=np.int8),
                            {"long_name": "index of the deepest layer reached (-1: none)",
                             "flag_meanings": " ".join(LAYER_NAMES)})
    h2 = (grid.h * 1e6) ** 2
    out["injured_area"] = ("session", np.array([s.injury.sum() * h2 for s in stages]),
                           {"units": "um2", "long_name": "injury-weighted area in the slice"})
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
    if sp.device.kind == "rf_tip":
        from dermsim import thermal

        if progress:
            progress(f"session {sp.session.index}: RF heating", sp.session.index - 1, n_sessions)
        rf_ds = thermal.simulate_rf_pulse(grid, sp.device, scenario.stage("rf"),
                                          depth_um=sp.result.depths_um,
                                          pin_x_um=sp.result.positions_um)
        fr = thermal.band_fractions(rf_ds, edges)
        coag, shock = fr["coagulated_fraction"], fr["heat_shock_fraction"]
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
                        coag, shock)
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
    for var in first.data_vars:
        if str(var).startswith("topical"):
            v = first[var]
            if "snapshot_time" in v.dims:
                v = v.sel(snapshot_time=list(RESULT_SNAPSHOT_TIMES_H))
            dims = tuple({"time_topical": "topical_time", "layer_name": "layer_index"}.get(d, d)
                         for d in v.dims)
            out[f"{var}"] = (dims, v.values, dict(v.attrs))
    if "time_topical" in first.coords:
        out = out.assign_coords(topical_time=("topical_time", first["time_topical"].values * 24,
                                              {"units": "h",
                                               "long_name": "time after the session"}))
    return out


def _rf_dataset(stages: list[SessionStages]) -> xr.Dataset:
    """RF outputs per session (fields on z, x; traces on the first session's time axis)."""
    rfs = [st.rf for st in stages]
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
    from dataclasses import replace

    from dermsim.remodelling import simulate_remodelling

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
    if progress:
        progress("collagen remodelling", n, n)
    drives = [replace(st.drive, day=sp.session.day) for st, sp in zip(stages, pen)]
    columns = remodelling_columns(scenario, grid)
    days = [sp.session.day for sp in pen]
    end = scenario.protocol.end_day
    remod = simulate_remodelling(ds["band"].values, drives, end,
                                 scenario.stage("remodelling"),
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
            units="%", long_name=f"{var.replace('_', ' ')} change relative to baseline")
    keep = {k: remod.attrs[k] for k in ("session_days", "erythema_threshold_um",
                                        "collagen_I_baseline", "collagen_III_baseline")}
    ds = ds.merge(remod.drop_vars("band"), compat="override", combine_attrs="drop_conflicts")
    ds.attrs.update(keep)
    nb = ds.sizes["band"]
    ds["band_injury"] = (("session", "band"),
                         np.stack([st.drive.band_injury.reshape(nb, -1).mean(axis=1)
                                   for st in stages]),
                         {"units": "1", "long_name": "injured volume fraction per band"})
    ds["band_layer"] = ("band", grid.stack.layer_at(ds["band"].values),
                        {"long_name": "layer index of each band",
                         "flag_meanings": " ".join(LAYER_NAMES)})
    if progress:
        progress("done", n, n)
    return ds


def compare_scenarios(scenarios: list[Scenario], progress: ProgressCallback | None = None,
                      ) -> tuple[list[xr.Dataset], xr.Dataset]:
    """Simulate several scenarios and tabulate their scalar outcomes side by side.

    Returns
    -------
    results
        One result Dataset per scenario (same order).
    table
        Dataset with dim ``scenario`` (names) and one variable per scalar outcome.
    """
    from dermsim.metrics import OUTCOME_ATTRS, OUTCOME_NAMES, scalar_outcomes

    names = [s.name for s in scenarios]
    counts = {n: names.count(n) for n in names}
    seen: dict[str, int] = {}
    for i, n in enumerate(list(names)):
        if counts[n] > 1:  # keep the table unambiguous: suffix repeated names
            seen[n] = seen.get(n, 0) + 1
            names[i] = f"{n}#{seen[n]}"
    results = [simulate(s, progress) for s in scenarios]
    rows = [scalar_outcomes(ds) for ds in results]
    table = xr.Dataset(coords={"scenario": ("scenario", names)})
    for key in OUTCOME_NAMES:
        units, long_name = OUTCOME_ATTRS[key]
        table[key] = ("scenario", np.array([r[key] for r in rows], dtype=float),
                      {"units": units, "long_name": long_name})
    table.attrs.update({"dermsim_version": __version__,
                        "configs_toml": "\n# ----\n".join(s.to_toml() for s in scenarios)})
    return results, table
