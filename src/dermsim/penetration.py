"""Needle penetration: effective depth, puncture pattern, injury field, layers reached.

Model (phenomenological; calibrated to the published depth anchors, validation case V7):

* **Efficiency.** Skin tents before the tip cracks in, so a needle buries only a fraction
  η of its length; η rises with the insertion velocity v from the quasi-static value η_q
  (hand rolling, pressing; Kalluri 2011 [V], Lam 2008 [V]) to the impact value η_i (pens,
  spring applicators; Donnelly 2010 [V], Sasaki 2019 [V], Verbaan 2008 [V])::

      η(v)  = η_q + (η_i − η_q) / (1 + exp(−(v − v50) / w))
      d_eff = clip(η(v) · L − δ_t, 0, L)

  with a tenting offset δ_t at the stratum corneum [U]. Each needle's depth is scattered
  log-normally about d_eff with coefficient of variation ``depth_cv`` (seeded generator; a
  third of it for rigid motor-driven RF pin arrays) and never exceeds the nominal length L.
* **Insertion threshold.** A needle pierces only if its force reaches
  ``F_crit = F0 + κ · π r_tip²`` (linear in tip area, Davis et al. 2004 [V]; F0 and κ [C] so that
  sharp tips need ≈ 0.03 N and 30–80 µm tips 0.4–3 N), raised for needle spacings below 150 µm
  (bed of nails, Olatunji 2013 [V], gain [A]).
* **Channel.** A channel of radius ``ratio · r_needle(z)`` (elastic recovery; Kalluri 2011:
  surface channel ≈ ½ base width [C]) follows the needle's conical tip and shaft down to its
  depth, surrounded by a damaged rim whose injury falls linearly from ``rim_injury`` to 0
  over ``rim_um`` [A].
* **2-D slice of a 3-D array.** A puncture pattern of areal density n (per cm²) is treated as
  a square lattice of spacing ``a = 1/√n``; the simulated x–z slice passes through one lattice
  row, so it holds needles every ``a`` (jittered by ``lateral_jitter · a``, as passes of a pen or
  roller do not land on a perfect lattice) and each slice channel stands for one row of
  channels ``a`` apart in y. Per-area quantities are computed in 3-D (axisymmetric channels
  × n); the slice field shows where the injury is and drives the 2-D transport, whose
  per-unit-length sources are the per-channel amounts divided by ``a``.
* **Bleeding.** A needle bleeds when it cuts enough papillary capillary loops, which rise
  from the subpapillary plexus at the base of the papillary dermis (Braverman 2000): at
  ``capillary_depth_fraction`` of the site's papillary dermis below the dermo-epidermal
  junction [A] — the 'pinpoint bleeding' endpoint of practice (Alster & Graham 2018), reached
  by 0.5 mm needles on the face but not by 0.15 mm ones except on thin eyelid skin. The
  bleeding fraction and the per-area injured volumes are expectations over the per-needle
  depth distribution (64 equal-probability depths), not averages over the few needles that
  fall in the slice; the layers reached are fractions of the needles drawn in the slice.
* **Overlap.** Channels of several passes land at random and overlap: the injured fraction at
  each depth is their expected union ``1 - exp(-n a(z))`` (:func:`_injured_volumes`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from dermsim.devices import Device
from dermsim.parameters import card, param_field, validate_dataclass
from dermsim.tissue import LAYER_NAMES, PAPILLARY, Grid, SkinStack

_UM3_PER_CM2_TO_MM3_PER_CM2 = 1e-9


@dataclass(frozen=True)
class PenetrationConfig:
    """Parameters of the penetration model (``[penetration]`` table)."""

    eta_quasistatic: float = param_field(card(
        "penetration.eta_quasistatic", 0.25, "-", 0.05, 1.0,
        "Kalluri 2011 (20 %, rat) [V]; Lam 2008 (< 50 %) [V]; calibrated to V7a", "C",
        "fraction of the needle length buried at quasi-static insertion"))
    eta_impact: float = param_field(card(
        "penetration.eta_impact", 0.9, "-", 0.3, 1.0,
        "Donnelly 2010 (77 %) [V]; Sasaki 2019 (≈ nominal) [V]", "C",
        "fraction buried at impact insertion (pens, spring applicators)"))
    v50_m_s: float = param_field(card(
        "penetration.v50_m_s", 0.3, "m/s", 0.01, 5.0,
        "between hand speeds and impact 1-3 m/s (Verbaan 2008) [C]", "C",
        "insertion speed at half-way between the two efficiencies"))
    v_width_m_s: float = param_field(card(
        "penetration.v_width_m_s", 0.05, "m/s", 0.005, 2.0,
        "calibrated so a hand roller (≈ 2 cm/s) is quasi-static (V7a) [A]", "A",
        "width of the velocity transition"))
    tenting_offset_um: float = param_field(card(
        "penetration.tenting_offset_um", 20.0, "um", 0.0, 300.0,
        "stratum-corneum tenting before crack initiation, assumption [U]", "U",
        "depth lost to tenting before the tip cracks in"))
    depth_cv: float = param_field(card(
        "penetration.depth_cv", 0.15, "-", 0.0, 0.6,
        "Kalluri 2011 CV ≈ 6 % [V]; OCT studies larger [U]", "U",
        "coefficient of variation of per-needle depth"))
    channel_radius_ratio: float = param_field(card(
        "penetration.channel_radius_ratio", 0.5, "-", 0.1, 1.5,
        "Kalluri 2011: channel Ø ≈ 0.5 × base width [C]", "C",
        "channel radius / needle radius after elastic recovery"))
    rim_um: float = param_field(card(
        "penetration.rim_um", 20.0, "um", 0.0, 200.0, "damaged rim around the channel [A]", "A",
        "thickness of the damaged rim"))
    rim_injury: float = param_field(card(
        "penetration.rim_injury", 0.5, "-", 0.0, 1.0, "[A]", "A",
        "injury at the channel wall, falling linearly to 0 across the rim"))
    capillary_depth_fraction: float = param_field(card(
        "penetration.capillary_depth_fraction", 0.5, "-", 0.0, 1.0,
        "capillary loops rise from the subpapillary plexus at the base of the papillary "
        "dermis into the papillae (Braverman 2000); 0.25 mm needles rarely bleed, 0.5 mm and "
        "longer give pinpoint bleeding on the face (Alster & Graham 2018) [A]", "A",
        "depth below the dermo-epidermal junction at which a needle draws blood, as a "
        "fraction of the papillary dermis"))
    force_offset_N: float = param_field(card(
        "penetration.force_offset_N", 0.022, "N", 0.0, 1.0,
        "sharp tips pierce at 0.02-0.03 N (Olatunji 2013, Donnelly 2010) [V]", "C",
        "F0 of the insertion threshold"))
    force_per_tip_area_Pa: float = param_field(card(
        "penetration.force_per_tip_area_Pa", 1.5e8, "Pa", 0.0, 1e10,
        "Davis 2004: 0.1-3 N linear in tip area for 30-80 um tips [V] -> slope [C]", "C",
        "κ of the insertion threshold"))
    bed_of_nails_spacing_um: float = param_field(card(
        "penetration.bed_of_nails_spacing_um", 150.0, "um", 0.0, 2000.0,
        "spacing matters below ~150 um (Olatunji 2013) [V]", "V",
        "needle spacing below which the threshold rises"))
    bed_of_nails_gain: float = param_field(card(
        "penetration.bed_of_nails_gain", 0.5, "-", 0.0, 10.0, "[A]", "A",
        "relative threshold rise per unit of (spacing_limit/spacing - 1)"))
    lateral_jitter: float = param_field(card(
        "penetration.lateral_jitter", 0.25, "-", 0.0, 0.5,
        "passes do not land on a lattice [A]", "A",
        "lateral scatter of slice needle positions, as a fraction of the spacing"))
    supersample: int = param_field(card(
        "penetration.supersample", 8, "-", 1, 32, "numerics: sub-cell sampling", "A",
        "sub-samples per cell edge when rasterising the injury", integer=True))

    def validate(self) -> None:
        validate_dataclass(self, "penetration")


def buried_fraction(velocity_m_s: float | np.ndarray, cfg: PenetrationConfig) -> np.ndarray:
    """Buried fraction η(v) [-] of the needle length at insertion velocity ``velocity_m_s``
    [m/s], before the tenting offset (the efficiency of a result is ``d_eff / L``)."""
    v = np.asarray(velocity_m_s, dtype=float)
    s = 1.0 / (1.0 + np.exp(-(v - cfg.v50_m_s) / cfg.v_width_m_s))
    return cfg.eta_quasistatic + (cfg.eta_impact - cfg.eta_quasistatic) * s


def effective_depth_um(nominal_um: float | np.ndarray, velocity_m_s: float,
                       cfg: PenetrationConfig) -> np.ndarray:
    """Mean effective depth [µm] of a needle of nominal length ``nominal_um`` [µm].

    ``d = clip(η(v)·L − δ_t, 0, L)``; monotone non-decreasing in ``L`` and never above it.
    """
    L = np.asarray(nominal_um, dtype=float)
    return np.clip(buried_fraction(velocity_m_s, cfg) * L - cfg.tenting_offset_um, 0.0, L)


def bleeding_depth_um(stack: SkinStack, cfg: PenetrationConfig) -> float:
    """Depth [µm] a needle tip must reach to draw blood at this site (module docstring)."""
    top = float(stack.interfaces_um[PAPILLARY])
    return top + cfg.capillary_depth_fraction * float(stack.thickness_um[PAPILLARY])


def insertion_threshold_N(device: Device, cfg: PenetrationConfig) -> float:
    """Force per needle [N] needed to pierce the skin (Davis-type linear law)."""
    r_tip = device.tip_radius_um * 1e-6
    f = cfg.force_offset_N + cfg.force_per_tip_area_Pa * math.pi * r_tip**2
    s = device.needle_tip_spacing_um
    if cfg.bed_of_nails_spacing_um > 0 and s < cfg.bed_of_nails_spacing_um:
        f *= 1.0 + cfg.bed_of_nails_gain * (cfg.bed_of_nails_spacing_um / s - 1.0)
    return f


def slice_layout(density_per_cm2: float, width_um: float, h_um: float,
                 nx: int | None = None, even: bool = False) -> tuple[int, int, float]:
    """Needles in the slice, grid columns and in-plane spacing for an areal density.

    The lattice spacing is ``a = 1/√n``. Without ``nx`` the slice holds ``N ≥ 2`` needles and
    its width is the whole number of cells closest to ``N·a`` with ``N·a ≈ width_um``; with
    ``nx`` (a grid fixed by an earlier session) ``N = max(1, round(nx·h/a))``. The returned
    spacing is the slice width divided by ``N`` (within half a spacing of ``a``). With ``even``
    (bipolar RF tips: pins alternate in polarity, so a periodic slice needs an even count)
    ``N`` is rounded to an even number when the grid is laid out.

    Returns
    -------
    n_needles, nx, spacing_um
    """
    a = 1e4 / math.sqrt(density_per_cm2)
    if nx is None:
        n = max(2, int(round(width_um / a)))
        if even and n % 2:
            n += 1
        nx = max(4, int(round(n * a / h_um)))
    else:
        n = max(1, int(round(nx * h_um / a)))
    return n, nx, nx * h_um / n


def depth_quantiles(mean_um: float, cv: float, nominal_um: float, n: int = 64) -> np.ndarray:
    """``n`` equal-probability depths [µm] of the per-needle depth distribution (log-normal
    with mean ``mean_um`` and coefficient of variation ``cv``, clipped to ``[0, L]``): the
    mid-quantiles, so a mean over them is the expectation to O(1/n²)."""
    from scipy.stats import lognorm

    if mean_um <= 0 or cv <= 0:
        return np.full(n, max(mean_um, 0.0))
    s2 = math.log1p(cv**2)
    q = (np.arange(n) + 0.5) / n
    d = lognorm.ppf(q, math.sqrt(s2), scale=mean_um * math.exp(-s2 / 2))
    return np.clip(d, 0.0, nominal_um)


def channel_radius_um(z_um: np.ndarray, depth_um: float, device: Device,
                      cfg: PenetrationConfig) -> np.ndarray:
    """Channel radius [µm] at depth ``z_um`` for a needle whose tip reached ``depth_um``.

    The needle widens linearly from its tip radius over ``tip_length_um`` to its shaft radius;
    the channel keeps ``channel_radius_ratio`` of it. Zero below the tip.
    """
    R = 0.5 * device.needle_diameter_um
    r_needle = np.clip(R * (depth_um - z_um) / device.tip_length_um, device.tip_radius_um, R)
    return np.where(z_um <= depth_um, cfg.channel_radius_ratio * r_needle, 0.0)


@dataclass
class PenetrationResult:
    """Outcome of one session's needle insertion (grid-free part).

    Lengths in µm, per-area volumes in mm³ per cm² of skin.
    """

    nominal_length_um: float
    velocity_m_s: float
    #: mean effective depth / nominal length (the one efficiency of every output)
    efficiency: float
    #: buried fraction η(v) before the tenting offset
    buried_fraction: float
    mean_effective_depth_um: float
    force_per_needle_N: float
    threshold_N: float
    pierces: bool
    density_per_cm2: float
    spacing_um: float
    slice_nx: int
    positions_um: np.ndarray
    depths_um: np.ndarray
    #: fraction of the drawn needles whose tip entered each layer
    layer_reach_fraction: dict[str, float]
    #: layers entered by at least one drawn needle, and the deepest of them
    layers_reached: list[str]
    deepest_layer: str
    bleeding_depth_um: float
    bleeding_fraction: float
    surface_fraction_punctured: float
    injured_volume_mm3_per_cm2: dict[str, float] = field(default_factory=dict)
    #: depths [µm] of the injury profile below
    profile_depth_um: np.ndarray = field(default_factory=lambda: np.zeros(0))
    #: expected number of (injury-weighted) channel cross-sections covering a point at each
    #: depth, ``n a(z)``: the injured fraction if channels never overlapped
    channel_coverage: np.ndarray = field(default_factory=lambda: np.zeros(0))

    @property
    def injured_fraction(self) -> np.ndarray:
        """Expected injured fraction of the tissue at each :attr:`profile_depth_um`: the union
        of randomly placed channels, ``1 - exp(-n a(z))`` (≤ 1, saturates with passes)."""
        return -np.expm1(-self.channel_coverage)

    @property
    def channel_volume_mm3_per_cm2(self) -> float:
        """Summed volume of the channels per skin area, overlaps counted repeatedly (the
        injured volume would have without overlap) [mm³/cm²]."""
        if self.channel_coverage.size < 2:
            return 0.0
        dz = float(self.profile_depth_um[1] - self.profile_depth_um[0])
        return float(np.sum(self.channel_coverage) * dz * _UM3_PER_CM2_TO_MM3_PER_CM2 * 1e8)

    @property
    def bleeding(self) -> bool:
        """Pinpoint bleeding expected: most needles reach the papillary capillaries."""
        return self.bleeding_fraction >= 0.5

    @property
    def epidermal_injury_mm3_per_cm2(self) -> float:
        v = self.injured_volume_mm3_per_cm2
        return v.get("stratum_corneum", 0.0) + v.get("viable_epidermis", 0.0)

    @property
    def dermal_injury_mm3_per_cm2(self) -> float:
        v = self.injured_volume_mm3_per_cm2
        return v.get("papillary_dermis", 0.0) + v.get("reticular_dermis", 0.0)

    def summary(self) -> dict[str, Any]:
        """Headline numbers as plain Python values (for tables and JSON)."""
        return {
            "nominal_length_um": self.nominal_length_um,
            "effective_depth_um": round(self.mean_effective_depth_um, 1),
            "efficiency": round(self.efficiency, 3),
            "insertion_velocity_m_s": round(self.velocity_m_s, 4),
            "pierces": self.pierces,
            "force_per_needle_N": round(self.force_per_needle_N, 4),
            "threshold_N": round(self.threshold_N, 4),
            "deepest_layer": self.deepest_layer,
            "layers_reached": self.layers_reached,
            "layer_reach_fraction": {k: round(v, 3) for k, v in
                                     self.layer_reach_fraction.items()},
            "bleeding": self.bleeding,
            "bleeding_fraction": round(self.bleeding_fraction, 3),
            "punctures_per_cm2": round(self.density_per_cm2, 1),
            "in_plane_spacing_um": round(self.spacing_um, 1),
            "surface_fraction_punctured": round(self.surface_fraction_punctured, 4),
            "epidermal_injury_mm3_per_cm2": round(self.epidermal_injury_mm3_per_cm2, 5),
            "dermal_injury_mm3_per_cm2": round(self.dermal_injury_mm3_per_cm2, 5),
        }


def _injured_area_um2(r: np.ndarray, cfg: PenetrationConfig) -> np.ndarray:
    """Injury-weighted cross-section [µm²] of an axisymmetric channel of radius r plus rim."""
    w, a = cfg.rim_um, cfg.rim_injury
    inside = r > 0
    return np.where(inside, math.pi * r**2 + 2 * math.pi * a * (r * w / 2 + w**2 / 6), 0.0)


def penetrate(device: Device, stack: SkinStack, cfg: PenetrationConfig,
              rng: np.random.Generator, width_um: float = 4000.0, h_um: float = 10.0,
              nx: int | None = None) -> PenetrationResult:
    """Insert ``device`` into ``stack``: depths, slice positions, layers reached, bleeding.

    Parameters
    ----------
    device, stack, cfg
        Device, layer stack and model parameters.
    rng
        Seeded generator (positions and per-needle scatter).
    width_um, h_um
        Target slice width and cell size [µm] used to lay out the slice needles.
    nx
        Number of grid columns when the grid is already fixed (later sessions).
    """
    L = device.needle_length_um
    v = device.insertion_velocity_m_s()
    eta = float(buried_fraction(v, cfg))
    force = device.force_per_needle_N()
    threshold = insertion_threshold_N(device, cfg)
    pierces = force >= threshold
    mean_d = float(effective_depth_um(L, v, cfg)) if pierces else 0.0
    density = device.punctures_per_cm2()
    n, nx, a = slice_layout(density, width_um, h_um, nx)
    jitter = rng.uniform(-cfg.lateral_jitter, cfg.lateral_jitter, n) * a
    positions = ((np.arange(n) + 0.5) * a + jitter) % (nx * h_um)
    cv = cfg.depth_cv * device.depth_scatter
    if cv > 0 and mean_d > 0:
        s2 = math.log1p(cv**2)
        depths = mean_d * rng.lognormal(-s2 / 2, math.sqrt(s2), n)
    else:
        depths = np.full(n, mean_d)
    depths = np.clip(depths, 0.0, L)
    if not pierces:
        depths = np.zeros(n)
    interfaces = stack.interfaces_um
    # reach per layer: fraction of the drawn needles whose tip entered the layer
    reach = {name: float(np.mean(depths > interfaces[i])) if n else 0.0
             for i, name in enumerate(LAYER_NAMES)}
    reached = [name for name in LAYER_NAMES if reach[name] > 0]
    bleed_depth = bleeding_depth_um(stack, cfg)
    # per-area outcomes are expectations over the depth distribution (not over the few slice
    # needles), so they do not depend on the seed or on how many needles the slice holds
    expected = depth_quantiles(mean_d, cv, L)
    bleeding_fraction = float(np.mean(expected >= bleed_depth)) if pierces else 0.0
    r0 = float(channel_radius_um(np.array(0.0), mean_d, device, cfg)) if mean_d > 0 else 0.0
    surface_fraction = 1.0 - math.exp(-density * 1e-8 * math.pi * r0**2)
    volumes, z, coverage = _injured_volumes(device, stack, cfg, expected, density,
                                            pierces and mean_d > 0)
    return PenetrationResult(
        nominal_length_um=L, velocity_m_s=v, efficiency=mean_d / L, buried_fraction=eta,
        mean_effective_depth_um=mean_d,
        force_per_needle_N=force, threshold_N=threshold, pierces=bool(pierces),
        density_per_cm2=density, spacing_um=a, slice_nx=nx, positions_um=positions,
        depths_um=depths, layer_reach_fraction=reach,
        layers_reached=reached, deepest_layer=reached[-1] if reached else "none",
        bleeding_depth_um=float(bleed_depth), bleeding_fraction=bleeding_fraction,
        surface_fraction_punctured=surface_fraction if pierces else 0.0,
        injured_volume_mm3_per_cm2=volumes, profile_depth_um=z, channel_coverage=coverage,
    )


def _injured_volumes(device: Device, stack: SkinStack, cfg: PenetrationConfig,
                     depths: np.ndarray, density: float, pierces: bool
                     ) -> tuple[dict[str, float], np.ndarray, np.ndarray]:
    """Injured volume per layer [mm³/cm²], with the depth profile of the channel coverage.

    At depth z a channel of a needle reaching d has the injury-weighted cross-section a(z, d);
    averaged over the depth distribution and multiplied by the areal density n it gives the
    coverage ``n a(z)``. Channels placed at random overlap (passes of a pen or roller do not
    land on a lattice), so the expected injured fraction is the union ``1 - exp(-n a(z))``
    (Boolean model of stochastic geometry, Chiu et al. 2013, §3.1) rather than ``n a(z)``,
    which exceeded the tissue available at high doses.
    """
    volumes = {name: 0.0 for name in LAYER_NAMES}
    if not pierces:
        return volumes, np.zeros(0), np.zeros(0)
    edges = np.linspace(0.0, float(depths.max()) + cfg.rim_um, 2001)
    z = 0.5 * (edges[1:] + edges[:-1])  # midpoints of 2000 depth cells
    area = np.mean([_injured_area_um2(channel_radius_um(z, d, device, cfg), cfg)
                    for d in depths], axis=0)
    coverage = density * 1e-8 * area  # n [1/µm²] × a [µm²]
    fraction = -np.expm1(-coverage)
    bounds = stack.interfaces_um
    for i, name in enumerate(LAYER_NAMES):
        # depth of each cell inside the layer [µm] (exact at the interfaces)
        inside = np.clip(np.minimum(edges[1:], bounds[i + 1]) - np.maximum(edges[:-1], bounds[i]),
                         0.0, None)
        # fraction × depth [µm] × 1 cm² (1e8 µm²) → µm³ per cm² → mm³/cm²
        volumes[name] = float(np.sum(fraction * inside)) * 1e8 * _UM3_PER_CM2_TO_MM3_PER_CM2
    return volumes, z, coverage


def injury_field(grid: Grid, result: PenetrationResult, device: Device,
                 cfg: PenetrationConfig) -> np.ndarray:
    """Rasterise the slice channels onto ``grid``: injury 0..1 per cell, shape (nz, nx).

    Each cell value is the mean of ``supersample²`` point samples of the channel-plus-rim
    injury (1 inside a channel, ``rim_injury`` falling linearly to 0 across the rim), so the
    injured area converges under grid refinement. Overlapping channels take the maximum.
    """
    h_um = grid.h * 1e6
    width_um = grid.nx * h_um
    ss = cfg.supersample
    out = np.zeros((grid.nz, grid.nx))
    offs = (np.arange(ss) + 0.5) / ss
    R = 0.5 * device.needle_diameter_um * cfg.channel_radius_ratio
    reach = R + cfg.rim_um
    for x0, d in zip(result.positions_um, result.depths_um):
        if d <= 0:
            continue
        i1 = min(grid.nz, int(math.ceil((d + cfg.rim_um) / h_um)) + 1)
        j0 = int(math.floor((x0 - reach) / h_um)) - 1
        j1 = int(math.ceil((x0 + reach) / h_um)) + 1
        cols = np.arange(j0, j1)
        zs = ((np.arange(i1)[:, None] + offs[None, :]) * h_um).reshape(-1)  # (i1*ss,)
        xs = ((cols[:, None] + offs[None, :]) * h_um).reshape(-1)  # (ncol*ss,)
        dx = np.abs(xs - x0)
        dx = np.minimum(dx, width_um - dx)  # periodic distance
        r = channel_radius_um(zs, d, device, cfg)[:, None]
        r_tip = cfg.channel_radius_ratio * device.tip_radius_um
        above = (zs <= d)[:, None]
        dist = np.where(above, np.maximum(0.0, dx[None, :] - r),
                        np.hypot(np.maximum(0.0, dx[None, :] - r_tip), (zs - d)[:, None]))
        if cfg.rim_um > 0:
            val = np.where(dist <= 0.0, 1.0,
                           cfg.rim_injury * np.clip(1.0 - dist / cfg.rim_um, 0.0, 1.0))
        else:
            val = (dist <= 0.0).astype(float)
        cell = val.reshape(i1, ss, len(cols), ss).mean(axis=(1, 3))
        cols_mod = cols % grid.nx
        np.maximum.at(out, (np.arange(i1)[:, None], cols_mod[None, :]), cell)
    return out
