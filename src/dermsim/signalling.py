"""Growth-factor signalling after a session: the reaction–diffusion stage over the acute window.

After each session the micro-injuries release growth factors, which diffuse through the layers,
bind (an effective, retarded diffusivity) and decay; a topical product, when the scenario names
one, enters from a finite film through the open channels and the intact-skin routes
(:mod:`dermsim.topical`). This module owns the stage:
its parameters (:class:`SignallingConfig`, the ``[signalling]`` table), the inputs it takes from
the penetration stage, and :func:`run_acute_window`, which computes over the acute window
(default 7 days):

* concentration fields c(t, z, x) of TGF-β1 and PDGF (and of the topical product);
* band-averaged concentrations c(t, band) through the dermis (input of the remodelling model);
* the mass budget (released, decayed, remaining, lost through the surface);
* the depth the signal reaches;
* the topical product delivered per layer, versus intact skin.

Model
-----
For each species ``dc/dt = div(D(x) grad c) - k c + q(x, t)`` with the species record of
:mod:`dermsim.growth_factors` (diffusivities, decay, release) and the numerics of
:mod:`dermsim.reaction_diffusion`.

* ``D`` per cell: ``D_dermis * hindrance(layer)`` in intact tissue (the layer factor is the
  tissue table's ``diffusion_hindrance``; effective D of bound growth factors in ECM, Kihara
  et al. 2013 [V], Cumming et al. 2010 [S], assumption [A]), mixed linearly with the
  clot/fibrin value ``clot_diffusion_ratio * D_free`` by the injured fraction of the cell
  (fibrin gel ≈ free solution, Nauman et al. 2007 [V]).
* ``k = ln 2 / t_half``, uniform per species (one tissue value per species; Jin et al. 2011 [V]
  for TGF-β), applied exactly (integrating factor).
* ``q`` = platelet burst from bleeding channels (``B`` = serum-equivalent concentration ×
  blood-filled channel fraction) + sustained release from the injured fraction of viable
  tissue (:mod:`dermsim.growth_factors`).
* Boundaries: periodic in x; no flux at the deep face; at the skin surface no flux except
  through open channels (open fraction ``phi(t) = 2^{-t / t_close}``, Gupta et al. 2011 [V]:
  barrier recovered within 2 h in unoccluded human skin). Growth factors can optionally leave
  through open channels (``gf_channel_outflow``, default 0: the clot plugs the channel).
* Time steps: after every event (session, end of topical contact) L-stable restart steps
  (Rannacher 1984), then Peaceman–Rachford ADI with a doubling step, capped by ``dt_max_h``,
  by ``dt_max_half_lives`` × the shortest half-life while species are released (a large k dt
  over-diffuses the freshly released source within a step), and by the channel closure while a
  topical product is in contact.

2-D slice of a 3-D channel array
--------------------------------
The x–z slice passes through one row of channels spaced ``a`` in y (see
:mod:`dermsim.penetration`). The transported quantity is the y-average of the 3-D field, which
obeys the same 2-D equation with y-averaged coefficients and sources. The injury, bleeding and
open-channel fractions rasterised on the slice are therefore multiplied by ``volume_scale``
(3-D injured volume per skin area over the slice's injured area per width) and
``surface_scale`` (3-D punctured surface fraction over the slice's open-column fraction),
see :func:`slice_scales`. Concentrations are y-averaged tissue concentrations.

References
----------
Yang L. et al. (1999) Am J Pathol 154:105 [V]. Marikovsky M. et al. (1993) PNAS 90:3889 [V].
Weibrich G. et al. (2002) J Craniomaxillofac Surg 30:97 [V]. Nauman J.V. et al. (2007)
Biophys J 92:4444 [V]. Kihara T. et al. (2013) PLoS ONE 8:e82382 [V]. Jin Y.-F. et al. (2011)
BMC Syst Biol 5:60 [V]. Gupta J. et al. (2011) J Control Release 154:148 [V]. Cumming B.D. et
al. (2010) J R Soc Interface 7:19 [S]. Rannacher R. (1984) Numer Math 43:309.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import xarray as xr

from dermsim.growth_factors import (
    DAY,
    HOUR,
    SPECIES,
    SPECIES_LABELS,
    GrowthFactorCards,
    SpeciesParams,
    decay_weight,
    signalling_card,
    species_params,
)
from dermsim.parameters import validate_dataclass
from dermsim.reaction_diffusion import (
    SpeciesRecord,
    TimeGrid,
    diffusivity,
    run_species,
    time_grid,
)
from dermsim.tissue import LAYER_NAMES, SC, Grid
from dermsim.topical import TopicalCards, run_topical, with_product

__all__ = [
    "SPECIES",
    "SPECIES_LABELS",
    "SignallingConfig",
    "SpeciesParams",
    "TimeGrid",
    "bleeding_mask",
    "open_channel_fraction",
    "overlap_correction",
    "run_acute_window",
    "session_inputs",
    "slice_scales",
    "species_params",
    "time_grid",
]


@dataclass(frozen=True)
class SignallingConfig(TopicalCards, GrowthFactorCards):
    """Parameters of the growth-factor signalling stage (``[signalling]`` table).

    The species and channel-transport cards come from
    :class:`dermsim.growth_factors.GrowthFactorCards`, the topical product's from
    :class:`dermsim.topical.TopicalCards`; the output and numerics cards are here.
    Concentrations in ng/mL, diffusivities in µm²/s, times in the unit of the field name.
    Every field is a parameter card (value, allowed range, source, evidence tag).
    """

    # --- outputs --------------------------------------------------------------------------------
    window_day: float = signalling_card(
        "window_day", 7.0, "day", 0.05, 28.0,
        "acute phase (inflammation 7-14 days, Liebl & Kloth 2012) [A]", "A",
        "length of the acute window simulated after each session")
    band_um: float = signalling_card(
        "band_um", 50.0, "um", 5.0, 500.0, "resolution of the remodelling model [A]", "A",
        "thickness of the depth bands through the dermis")
    reach_threshold_ng_ml: float = signalling_card(
        "reach_threshold_ng_ml", 0.1, "ng/mL", 1e-6, 100.0,
        "TGF-beta receptor affinity ~ pM (0.1 ng/mL ~ 4 pM) [U]", "U",
        "concentration defining the depth the signal reaches")
    # --- numerics -------------------------------------------------------------------------------
    dt_initial_s: float = signalling_card(
        "dt_initial_s", 15.0, "s", 0.01, 600.0,
        "numerics choice: ADI + LOD-BE start accurate at 15-30 s after a burst (fine-step "
        "reference tests)", "A",
        "first step after each event")
    dt_max_h: float = signalling_card(
        "dt_max_h", 6.0, "h", 1e-4, 48.0, "accuracy vs fine-step reference (tests) [A]", "A",
        "largest time step")
    steps_per_level: int = signalling_card(
        "steps_per_level", 6, "-", 1, 100000, "accuracy vs fine-step reference (tests) [A]", "A",
        "steps taken at each dt before doubling it", integer=True)
    n_be_restart: int = signalling_card(
        "n_be_restart", 2, "-", 0, 20, "Rannacher 1984", "A",
        "L-stable backward-Euler steps after each event", integer=True)
    steps_per_closure_half_life: float = signalling_card(
        "steps_per_closure_half_life", 128.0, "-", 1.0, 1000.0,
        "accuracy of the topical uptake vs fine-step reference (tests) [A]", "A",
        "time steps per channel-closure half-life while a topical product is in contact")
    dt_max_half_lives: float = signalling_card(
        "dt_max_half_lives", 1.0, "-", 0.01, 1000.0,
        "accuracy of source-decay-diffusion balance vs fine-step reference (tests) [A]", "A",
        "largest step of a released species, in units of its half-life")
    stop_threshold: float = signalling_card(
        "stop_threshold", 1e-6, "-", 0.0, 0.1, "numerics [A]", "A",
        "relative level below which a species without remaining release stops stepping")

    def validate(self) -> None:
        validate_dataclass(self, "signalling")
        with_product(self)  # an unknown product name is a ConfigError


# ------------------------------------------------------------------------------------------------
# inputs from the penetration stage
# ------------------------------------------------------------------------------------------------


def open_channel_fraction(injury: np.ndarray, threshold: float = 0.5) -> np.ndarray:
    """Open fraction of each surface column: 1 where the top cell is mostly channel, else 0.

    Parameters
    ----------
    injury : (nz, nx) array, 0..1
        Injury field (1 = channel).
    threshold : float
        Injury of the top cell above which the column counts as an open channel.

    Returns
    -------
    (nx,) array of 0/1 floats.
    """
    return (np.asarray(injury)[0] >= threshold).astype(np.float64)


def bleeding_mask(grid: Grid, injury: np.ndarray, bleeding_depth_um: float,
                  core: float = 0.5) -> np.ndarray:
    """Blood-filled fraction of each cell: the injured cells of channels that cut capillaries.

    A column bleeds when its channel (injury >= ``core``) reaches ``bleeding_depth_um``
    (capillary loops below the dermo-epidermal junction, :mod:`dermsim.penetration`); blood
    then fills that channel up to the surface, weighted by the injury of each cell.

    Returns
    -------
    (nz, nx) array, 0..1.
    """
    inj = np.asarray(injury, dtype=np.float64)
    z_um = grid.z * 1e6
    deep = np.where(inj >= core, z_um[:, None] + 0.5 * grid.h * 1e6, 0.0).max(axis=0)
    bleeds = deep >= bleeding_depth_um
    return np.where(bleeds[None, :], inj, 0.0)


def slice_scales(grid: Grid, injury: np.ndarray, injured_volume_mm3_per_cm2: float,
                 surface_fraction: float, open_fraction: np.ndarray | None = None
                 ) -> tuple[float, float]:
    """3-D to slice scale factors for volumes and open surface (module docstring).

    Parameters
    ----------
    grid, injury
        The slice grid and its injury field.
    injured_volume_mm3_per_cm2 : float
        Injury-weighted volume per skin area of the 3-D channel array (all layers), summed
        over the channels (overlaps are corrected per row, :func:`session_inputs`).
    surface_fraction : float
        Punctured fraction of the skin surface in 3-D.
    open_fraction : (nx,) array, optional
        Open fraction per surface column of the slice (default :func:`open_channel_fraction`).

    Returns
    -------
    volume_scale, surface_scale : float
    """
    inj = np.asarray(injury, dtype=np.float64)
    slice_mm3_per_cm2 = float(inj.sum()) * grid.h * grid.h / grid.width * 1e3 * 100.0
    vs = injured_volume_mm3_per_cm2 / slice_mm3_per_cm2 if slice_mm3_per_cm2 > 0 else 1.0
    op = open_channel_fraction(inj) if open_fraction is None else np.asarray(open_fraction)
    m = float(np.mean(op))
    ss = surface_fraction / m if m > 0 else 1.0
    return float(vs), float(ss)


def session_inputs(grid: Grid, injury: np.ndarray, result: Any) -> dict[str, Any]:
    """Keyword arguments of :func:`run_acute_window` from a penetration result.

    ``result`` is a :class:`dermsim.penetration.PenetrationResult` (bleeding depth, summed 3-D
    channel volume, punctured surface fraction). The slice's channels are scaled to the summed
    3-D channel volume (``volume_scale``) and, row by row, by the union over the sum of
    randomly placed overlapping channels (:func:`overlap_correction`), so that the injured
    fraction of a row is the expected 3-D injured fraction (≤ 1).
    """
    open_f = open_channel_fraction(injury)
    vol = result.channel_volume_mm3_per_cm2
    vs, ss = slice_scales(grid, injury, vol, result.surface_fraction_punctured, open_f)
    return {
        "bleeding": bleeding_mask(grid, injury, result.bleeding_depth_um),
        "open_channels": open_f,
        "volume_scale": vs,
        "surface_scale": ss,
        "overlap_correction": overlap_correction(injury, vs),
    }


def overlap_correction(injury: np.ndarray, volume_scale: float) -> np.ndarray:
    """Union over sum of overlapping channels for each row of the slice.

    A row whose slice injury has mean ``m`` stands, after the 3-D scaling, for a summed channel
    coverage ``x = volume_scale · m``. Channels placed at random overlap, so the expected
    injured fraction is the union ``1 - exp(-x)`` (Boolean model, Chiu et al. 2013), and the
    factor returned is ``(1 - exp(-x)) / x`` (1 where ``x = 0``; ≈ 1 - x/2 for small doses).

    Returns
    -------
    (nz,) array in (0, 1].
    """
    x = volume_scale * np.asarray(injury, dtype=np.float64).mean(axis=1)
    out = np.ones_like(x)
    np.divide(-np.expm1(-x), x, out=out, where=x > 1e-12)
    return out


# ------------------------------------------------------------------------------------------------
# driver
# ------------------------------------------------------------------------------------------------


def run_acute_window(
    grid: Grid,
    injury: np.ndarray,
    bleeding: np.ndarray | None = None,
    open_channels: np.ndarray | None = None,
    cfg: SignallingConfig | None = None,
    *,
    volume_scale: float = 1.0,
    surface_scale: float = 1.0,
    overlap_correction: np.ndarray | None = None,
    snapshot_times_h: Sequence[float] = (1.0, 6.0, 24.0, 72.0),
    species: Sequence[str] = SPECIES,
    topical: bool | None = None,
) -> xr.Dataset:
    """Growth-factor reaction–diffusion over the acute window after one session.

    Parameters
    ----------
    grid : Grid
        Tissue grid (:func:`dermsim.tissue.make_grid`), arrays (nz, nx).
    injury : (nz, nx) array, 0..1
        Mechanical (and thermal) injury of the session.
    bleeding : (nz, nx) array, 0..1, optional
        Blood-filled fraction of each cell (:func:`bleeding_mask`); default: no bleeding.
    open_channels : (nx,) array, 0..1, optional
        Open fraction of each surface column at t = 0 (:func:`open_channel_fraction`);
        default derived from ``injury``.
    cfg : SignallingConfig, optional
        Parameters (defaults if omitted).
    volume_scale, surface_scale : float
        3-D to slice scale factors (:func:`slice_scales`, :func:`session_inputs`).
    overlap_correction : (nz,) array, optional
        Factor per row turning summed channel volume into injured volume where channels
        overlap (:func:`overlap_correction`); default 1.
    snapshot_times_h : sequence of float
        Times of the field snapshots [h].
    species : sequence of str
        Endogenous species to run (subset of :data:`SPECIES`).
    topical : bool, optional
        Run the topical product (default: when the scenario names one, i.e.
        ``topical_product`` or ``topical_concentration_ng_ml > 0``; none by default).

    Returns
    -------
    xarray.Dataset
        Coordinates ``species``, ``time`` [day], ``band`` [µm, band centre], ``z``, ``x`` [µm],
        ``snapshot_time`` [h], ``layer_name``; variables ``gf_band`` (species, time, band)
        [ng/mL], ``gf_max``, ``gf_reach`` [µm], ``gf_released``, ``gf_decayed``,
        ``gf_remaining``, ``gf_lost``, ``gf_clipped`` [ng/cm²], ``gf_layer_amount``
        (species, time, layer_name) [ng/cm²], ``gf_snapshot`` (species, snapshot_time, z, x)
        [ng/mL]; with the topical product also ``topical_*`` on ``time_topical`` [day]
        (per-layer amounts with and without channels, delivered amount, exposure) and
        ``topical_snapshot``.

    Notes
    -----
    Units: concentrations are y-averaged tissue concentrations [ng/mL]; amounts are per skin
    area [ng/cm²]. See the module docstring for model, numerics and sources.
    """
    cfg = SignallingConfig() if cfg is None else cfg
    cfg.validate()
    cfg = with_product(cfg)
    inj, bl, op = _session_fields(grid, injury, bleeding, open_channels)
    if not (volume_scale > 0 and surface_scale > 0):
        raise ValueError("volume_scale and surface_scale must be > 0")
    unknown = [s for s in species if s not in SPECIES]
    if unknown:
        raise ValueError(f"unknown species {unknown}; known: {SPECIES}")
    with_topical = cfg.topical_concentration_ng_ml > 0 if topical is None else bool(topical)

    h = grid.h
    t_end = cfg.window_day * DAY
    snaps = sorted({float(t) * HOUR for t in snapshot_times_h if 0 <= t * HOUR <= t_end})
    layer = grid.layer
    row_layer = grid.layer_fraction_by_row()
    hind = grid.layer_value_table("diffusion_hindrance")
    row_scale: float | np.ndarray = volume_scale
    if overlap_correction is not None:
        corr = np.asarray(overlap_correction, dtype=np.float64)
        if corr.shape != (grid.nz,) or np.any(corr < 0) or np.any(corr > 1):
            raise ValueError(f"overlap_correction must be ({grid.nz},) values in [0, 1]")
        row_scale = volume_scale * corr[:, None]
    inj_eff = np.minimum(inj * row_scale, 1.0)
    viable = (layer != SC).astype(np.float64)
    release_field = inj_eff * viable
    burst_base = np.minimum(bl * row_scale, 1.0)
    edges = grid.band_edges(cfg.band_um)
    band_w = grid.band_weights(edges)

    runs: dict[str, SpeciesRecord] = {}
    g_open = np.minimum(op * surface_scale, 1.0)
    t_close = cfg.channel_closure_half_life_h * HOUR

    def phi(t0: float, dt: float) -> float:
        """Open fraction averaged over the step (exact for the exponential closure)."""
        lam = math.log(2) / t_close
        return math.exp(-lam * t0) * decay_weight(dt, lam)

    # one time grid for all endogenous species (common output times)
    caps = [c for name in species for c in _decay_cap(species_params(cfg, name), cfg, t_end)]
    tg = time_grid(t_end, cfg, (0.0,), snaps, caps=caps)
    for name in species:
        sp = species_params(cfg, name)
        D = diffusivity(layer, hind, inj_eff, sp, cfg.clot_diffusion_ratio)
        gtop = None
        if cfg.gf_channel_outflow > 0:
            g_ch = cfg.gf_channel_outflow * 2.0 * cfg.clot_diffusion_ratio * sp.D_free / h

            def gtop(t0: float, dt: float, g_ch: float = g_ch) -> np.ndarray:
                return g_ch * phi(t0, dt) * g_open

        runs[name] = run_species(
            sp, h, grid.width, D, burst_base * sp.burst if sp.burst > 0 else None,
            release_field if sp.pulses else None, tg, band_w, row_layer, snaps,
            cfg.reach_threshold_ng_ml, cfg.stop_threshold, gtop)

    ds = _dataset(grid, edges, tg, snaps, runs, species, cfg)
    attrs: dict[str, Any] = {}
    if with_topical:
        top = run_topical(grid, cfg, inj_eff, g_open, phi, t_end, snaps, band_w, row_layer, hind)
        attrs = dict(top.attrs)
        ds = ds.merge(top)
    ds.attrs.update(attrs)
    ds.attrs.update({
        "signalling_volume_scale": float(volume_scale),
        "signalling_surface_scale": float(surface_scale),
        "signalling_steps": int(len(tg.dt)),
        "signalling_wall_s": float(sum(r.wall_s for r in runs.values())),
    })
    return ds


def _session_fields(grid: Grid, injury: np.ndarray, bleeding: np.ndarray | None,
                    open_channels: np.ndarray | None
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Checked injury, bleeding and open-channel fields, clipped to [0, 1]."""
    inj = np.clip(np.asarray(injury, dtype=np.float64), 0.0, 1.0)
    if inj.shape != (grid.nz, grid.nx):
        raise ValueError(f"injury must have shape {(grid.nz, grid.nx)}, got {inj.shape}")
    bl = np.zeros_like(inj) if bleeding is None else np.clip(np.asarray(bleeding, float), 0, 1)
    if bl.shape != inj.shape:
        raise ValueError("bleeding must have the shape of injury")
    op = open_channel_fraction(inj) if open_channels is None else np.clip(
        np.asarray(open_channels, float), 0, 1)
    if op.shape != (grid.nx,):
        raise ValueError(f"open_channels must have shape ({grid.nx},)")
    return inj, bl, op


def _decay_cap(sp: SpeciesParams, cfg: SignallingConfig, t_end: float
               ) -> list[tuple[float, float]]:
    """Step cap ``dt_max_half_lives * t_half`` while the species is being released."""
    if sp.decay <= 0 or not (sp.pulses or sp.burst > 0):
        return []
    return [(t_end, cfg.dt_max_half_lives * math.log(2) / sp.decay)]


def _dataset(grid: Grid, edges: np.ndarray, tg: TimeGrid, snaps: list[float],
             runs: dict[str, SpeciesRecord], species: Sequence[str],
             cfg: SignallingConfig) -> xr.Dataset:
    centres = 0.5 * (edges[1:] + edges[:-1])
    coords = {
        "species": ("species", list(species), {"long_name": "growth factor"}),
        "time": ("time", tg.times / DAY, {"units": "day", "long_name": "time after the session"}),
        "band": ("band", centres, {"units": "um", "long_name": "depth of the band centre"}),
        "band_top": ("band", edges[:-1], {"units": "um", "long_name": "top of the band"}),
        "band_bottom": ("band", edges[1:], {"units": "um", "long_name": "bottom of the band"}),
        "snapshot_time": ("snapshot_time", np.array(snaps) / HOUR,
                          {"units": "h", "long_name": "time of the field snapshot"}),
        "z": ("z", grid.z * 1e6, {"units": "um", "long_name": "depth below the skin surface"}),
        "x": ("x", grid.x * 1e6, {"units": "um", "long_name": "lateral position"}),
        "layer_name": ("layer_name", list(LAYER_NAMES)),
        "interface_depth": ("interface", grid.interfaces_m * 1e6,
                            {"units": "um", "long_name": "top of each layer and bottom of the "
                             "stack"}),
    }
    ds = xr.Dataset(coords=coords)
    r = [runs[s] for s in species]
    if not r:
        return ds

    def stack(attr: str) -> np.ndarray:
        return np.stack([getattr(x, attr) for x in r])

    ds["gf_band"] = (("species", "time", "band"), stack("band"), {
        "units": "ng/mL", "long_name": "band-mean growth-factor concentration"})
    ds["gf_max"] = (("species", "time"), stack("cmax"), {
        "units": "ng/mL", "long_name": "maximum concentration in the slice"})
    ds["gf_reach"] = (("species", "time"), stack("reach_um"), {
        "units": "um", "long_name": f"deepest depth where c >= {cfg.reach_threshold_ng_ml:g} "
        "ng/mL"})
    released, lost, remaining = stack("released"), stack("lost"), stack("remaining")
    clipped = stack("clipped")
    decayed = released - lost - remaining - clipped
    for key, val, ln in (("released", released, "cumulative amount released"),
                         ("decayed", decayed, "cumulative amount decayed"),
                         ("remaining", remaining, "amount in the tissue"),
                         ("lost", lost, "cumulative amount lost through open channels"),
                         ("clipped", clipped, "cumulative negative undershoot set to zero")):
        ds[f"gf_{key}"] = (("species", "time"), val, {"units": "ng/cm2", "long_name": ln})
    ds["gf_layer_amount"] = (("species", "time", "layer_name"), stack("layer_amount"), {
        "units": "ng/cm2", "long_name": "growth factor in each layer"})
    if snaps:
        ds["gf_snapshot"] = (("species", "snapshot_time", "z", "x"),
                             np.stack([x.snapshots for x in r]), {
                                 "units": "ng/mL", "long_name": "growth-factor concentration"})
    ds["gf_steps"] = ("species", np.array([x.n_steps for x in r]), {
        "units": "1", "long_name": "time steps taken"})
    ds["gf_stopped_at"] = ("species", np.array([x.stopped_at for x in r]) / DAY, {
        "units": "day", "long_name": "time the species fell below the stop threshold"})
    return ds
