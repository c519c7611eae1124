"""Session drives of the remodelling model.

A :class:`SessionDrive` carries what one session does to the tissue (injury, bleeding, RF
coagulation and heat shock) and the growth-factor exposure over its acute window;
:func:`apply_session` applies its instantaneous effect to the state and
:class:`GrowthFactorDrive` interpolates the growth-factor exposure of the active sessions.
:func:`synthetic_drive` builds a drive from the needle geometry alone (no transport PDE).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from dermsim.remodelling.config import RemodellingConfig
from dermsim.remodelling.rates import derived_rates
from dermsim.remodelling.state import iC1, iC3, iC7, iD, iEl, iF, iG, iH, iR, iV

REQUIRED_SPECIES = ("tgfb1", "pdgf")


@dataclass(frozen=True, eq=False)
class SessionDrive:
    """One session's drive of the band ODE (built by :mod:`dermsim.pipeline`).

    Parameters
    ----------
    day
        Session time from protocol start [day].
    band_injury
        (n_band,) mechanically injured volume fraction, 0..1.
    band_bleeding
        (n_band,) fraction of the band's channels that cut capillaries, 0..1.
    gf_time_day
        (n_t,) time after the session [day], starts at 0, strictly increasing.
    gf_band_ng_ml
        species -> (n_t, n_band) band-mean concentration [ng/mL]; at least ``"tgfb1"``
        (total platelet/tissue-released TGF-beta1) and ``"pdgf"``. Other species are
        accepted and ignored by this model. Beyond ``gf_time_day[-1]`` the concentration
        is taken as zero.
    coagulated_fraction
        (n_band,) RF Arrhenius Omega >= 1 volume fraction (0 if mechanical).
    heat_shock_fraction
        (n_band,) sub-lethally heat-shocked volume fraction.
    wound_zone
        (n_band,) fraction of the compartment within the wound-signalling reach of a channel
        (includes the injured volume), 0..1; None: the injured volume only.
    flare
        (n_band,) fraction of the compartment inside the axon-reflex flare around a channel,
        0..1; None: no flare.
    epidermal_necrosis
        Area fraction of the viable epidermis with RF damage Omega >= 1 (0 if none).
    epidermal_lesion_um
        Closing width of the widest necrotic epidermal zone [um] (0 if none).
    """

    day: float
    band_injury: np.ndarray
    band_bleeding: np.ndarray
    gf_time_day: np.ndarray
    gf_band_ng_ml: dict[str, np.ndarray]
    coagulated_fraction: np.ndarray
    heat_shock_fraction: np.ndarray
    wound_zone: np.ndarray | None = None
    flare: np.ndarray | None = None
    epidermal_necrosis: float = 0.0
    epidermal_lesion_um: float = 0.0

    def __post_init__(self) -> None:
        inj = np.atleast_1d(np.asarray(self.band_injury, dtype=float))
        n = inj.shape[0]

        def vec(name: str, v: Any) -> np.ndarray:
            a = np.broadcast_to(np.asarray(v, dtype=float), (n,)).copy()
            if not np.all(np.isfinite(a)) or a.min() < 0.0 or a.max() > 1.0:
                raise ValueError(f"SessionDrive.{name} must be within [0, 1]")
            return a

        object.__setattr__(self, "day", float(self.day))
        nec, les = float(self.epidermal_necrosis), float(self.epidermal_lesion_um)
        if not (0.0 <= nec <= 1.0) or not (math.isfinite(les) and les >= 0.0):
            raise ValueError("SessionDrive.epidermal_necrosis must be within [0, 1] and "
                             "epidermal_lesion_um >= 0")
        object.__setattr__(self, "epidermal_necrosis", nec)
        object.__setattr__(self, "epidermal_lesion_um", les)
        object.__setattr__(self, "band_injury", vec("band_injury", inj))
        object.__setattr__(self, "band_bleeding", vec("band_bleeding", self.band_bleeding))
        object.__setattr__(
            self, "coagulated_fraction", vec("coagulated_fraction", self.coagulated_fraction)
        )
        object.__setattr__(
            self, "heat_shock_fraction", vec("heat_shock_fraction", self.heat_shock_fraction)
        )
        zone = vec("band_injury", inj) if self.wound_zone is None else vec(
            "wound_zone", self.wound_zone)
        object.__setattr__(self, "wound_zone", np.maximum(zone, self.band_injury))
        object.__setattr__(self, "flare", vec("flare", 0.0 if self.flare is None else self.flare))
        t = np.asarray(self.gf_time_day, dtype=float)
        if t.ndim != 1 or t.size < 2 or t[0] != 0.0 or np.any(np.diff(t) <= 0):
            raise ValueError("SessionDrive.gf_time_day must be 1-D, start at 0, increase")
        object.__setattr__(self, "gf_time_day", t)
        gf = {}
        for sp_name, c in self.gf_band_ng_ml.items():
            a = np.asarray(c, dtype=float)
            if a.shape != (t.size, n):
                raise ValueError(
                    f"SessionDrive.gf_band_ng_ml[{sp_name!r}] has shape {a.shape}, "
                    f"expected {(t.size, n)}"
                )
            if not np.all(np.isfinite(a)) or a.min() < 0.0:
                raise ValueError(f"SessionDrive.gf_band_ng_ml[{sp_name!r}] must be >= 0")
            gf[sp_name] = a
        for s in REQUIRED_SPECIES:
            if s not in gf:
                raise ValueError(f"SessionDrive.gf_band_ng_ml lacks species {s!r}")
        object.__setattr__(self, "gf_band_ng_ml", gf)

    @property
    def n_band(self) -> int:
        return int(self.band_injury.shape[0])

    @property
    def window_end_day(self) -> float:
        """Absolute time at which the growth-factor drive ends [day]."""
        return self.day + float(self.gf_time_day[-1])


def band_widths_um(
    band_z_um: np.ndarray, band_thickness_um: float | None = None
) -> np.ndarray:
    """Thickness of each band [um]: given, or from the spacing of the band centres."""
    z = np.asarray(band_z_um, dtype=float)
    if z.size == 1:
        return np.full(1, 50.0 if band_thickness_um is None else float(band_thickness_um))
    if band_thickness_um is not None:
        return np.full(z.size, float(band_thickness_um))
    edges = np.empty(z.size + 1)
    edges[1:-1] = 0.5 * (z[1:] + z[:-1])
    edges[0] = z[0] - (edges[1] - z[0])
    edges[-1] = z[-1] + (z[-1] - edges[-2])
    return np.diff(edges)


def synthetic_drive(
    day: float,
    band_z_um: np.ndarray,
    needle_depth_um: float,
    *,
    density_per_cm2: float = 200.0,
    needle_diameter_um: float = 250.0,
    injury_radius_factor: float = 1.0,
    channel_radius_factor: float = 0.5,
    tip_length_um: float = 150.0,
    capillary_depth_um: float = 100.0,
    serum_tgfb1_ng_ml: float = 30.0,
    serum_pdgf_ng_ml: float = 20.0,
    tgfb1_half_life_h: float = 1.1,
    pdgf_half_life_h: float = 2.0,
    release_time_min: float = 5.0,
    window_day: float = 2.0,
    n_t: int = 80,
    coagulated_fraction: float | np.ndarray = 0.0,
    heat_shock_fraction: float | np.ndarray = 0.0,
    band_thickness_um: float | None = None,
) -> SessionDrive:
    """A synthetic but physically motivated :class:`SessionDrive` for one session.

    Geometry: needles of diameter ``needle_diameter_um`` puncture the skin at
    ``density_per_cm2`` to depth ``needle_depth_um``, with a conical tip of length
    ``tip_length_um``.  The injured (crushed/torn) radius is ``injury_radius_factor`` times
    the needle radius; the residual open channel has ``channel_radius_factor`` times the
    needle radius (Kalluri et al. 2011: 0.5 [C]).  The band injury fraction is the
    band-averaged area fraction ``density * pi * r(z)^2`` (r tapering linearly to zero over
    the tip).  Channels bleed below ``capillary_depth_um`` (papillary capillary loops).

    Growth factors: bleeding channels fill with blood that clots and releases serum-level
    growth factors (TGF-beta1 ~30 ng/mL, PDGF ~20 ng/mL, computed from Weibrich 2002 [C]); the band
    mean is the serum level times the channel volume fraction times the bleeding fraction,
    released with time constant ``release_time_min`` (platelet degranulation) and decaying
    with the tissue half-lives (TGF-beta1 1.1 h, Jin 2011 [V]; PDGF 2 h [U]):
    ``c(t) = c0 (1 - exp(-t/tau_r)) exp(-k t)``.  Diffusive exchange between bands is
    neglected (the signalling PDE replaces this helper when wired in).

    Parameters
    ----------
    day
        Session time [day].
    band_z_um
        (n_band,) band centre depths from the skin surface [um].
    needle_depth_um
        Effective penetration depth [um].
    density_per_cm2
        Punctures per cm^2 over the whole session (all passes).
    needle_diameter_um, injury_radius_factor, channel_radius_factor, tip_length_um
        Needle and channel geometry [um, -].
    capillary_depth_um
        Depth below which channels cut capillaries [um].
    serum_tgfb1_ng_ml, serum_pdgf_ng_ml
        Growth-factor concentration in clotted blood [ng/mL].
    tgfb1_half_life_h, pdgf_half_life_h, release_time_min
        Tissue half-lives [h] and platelet release time constant [min].
    window_day, n_t
        Length of the acute window [day] and number of (geometrically spaced) samples.
    coagulated_fraction, heat_shock_fraction
        RF volume fractions per band (scalar or (n_band,)).
    band_thickness_um
        Band thickness [um]; default from the spacing of ``band_z_um``.

    Returns
    -------
    SessionDrive
    """
    z = np.atleast_1d(np.asarray(band_z_um, dtype=float))
    dz = band_widths_um(z, band_thickness_um)
    r_n = 0.5 * needle_diameter_um * 1e-3  # mm
    dens_mm2 = density_per_cm2 / 100.0
    # band-averaged r(z)^2 profile by sub-sampling each band
    sub = (np.arange(16) + 0.5) / 16.0
    zz = (z - 0.5 * dz)[:, None] + dz[:, None] * sub[None, :]
    taper = np.clip((needle_depth_um - zz) / max(tip_length_um, 1e-9), 0.0, 1.0)
    shape2 = (taper**2).mean(axis=1)  # band-mean of (r(z)/r_n)^2
    injury = np.clip(dens_mm2 * math.pi * (injury_radius_factor * r_n) ** 2 * shape2, 0, 1)
    channel = np.clip(dens_mm2 * math.pi * (channel_radius_factor * r_n) ** 2 * shape2, 0, 1)
    below = np.clip((zz - capillary_depth_um) / 1.0, 0.0, 1.0)
    reached = zz < needle_depth_um
    bleeding = (below * reached).mean(axis=1) / np.maximum(reached.mean(axis=1), 1e-12)
    bleeding = np.where(reached.any(axis=1), bleeding, 0.0)
    t = np.concatenate([[0.0], np.geomspace(1e-4, window_day, n_t - 1)])
    tau_r = release_time_min / 1440.0
    rise = 1.0 - np.exp(-t / tau_r)
    blood = channel * bleeding
    kT = math.log(2.0) / (tgfb1_half_life_h / 24.0)
    kP = math.log(2.0) / (pdgf_half_life_h / 24.0)
    tgfb = serum_tgfb1_ng_ml * blood[None, :] * (rise * np.exp(-kT * t))[:, None]
    pdgf = serum_pdgf_ng_ml * blood[None, :] * (rise * np.exp(-kP * t))[:, None]
    n = z.size
    return SessionDrive(
        day=day,
        band_injury=injury,
        band_bleeding=bleeding,
        gf_time_day=t,
        gf_band_ng_ml={"tgfb1": tgfb, "pdgf": pdgf},
        coagulated_fraction=np.broadcast_to(np.asarray(coagulated_fraction, float), (n,)),
        heat_shock_fraction=np.broadcast_to(np.asarray(heat_shock_fraction, float), (n,)),
    )


def synthetic_protocol(
    session_days: Sequence[float], band_z_um: np.ndarray, needle_depth_um: float, **kw: Any
) -> list[SessionDrive]:
    """:func:`synthetic_drive` for every session day (same settings each session)."""
    return [synthetic_drive(d, band_z_um, needle_depth_um, **kw) for d in session_days]


# --------------------------------------------------------------------------------------

class GrowthFactorDrive:
    """Sum of the piecewise-linear growth-factor drives active in one segment."""

    def __init__(self, drives: Sequence[SessionDrive], n_band: int) -> None:
        self.items = [
            (d.day + d.gf_time_day, d.gf_band_ng_ml["tgfb1"], d.gf_band_ng_ml["pdgf"])
            for d in drives
        ]
        self.zero = np.zeros(n_band)

    def __call__(self, t: float) -> tuple[np.ndarray, np.ndarray]:
        if not self.items:
            return self.zero, self.zero
        cT = self.zero
        cP = self.zero
        for tt, gT, gP in self.items:
            if t < tt[0] or t > tt[-1]:
                continue
            i = int(np.searchsorted(tt, t, side="right")) - 1
            i = min(max(i, 0), tt.size - 2)
            w = (t - tt[i]) / (tt[i + 1] - tt[i])
            w = min(max(w, 0.0), 1.0)
            cT = cT + (1.0 - w) * gT[i] + w * gT[i + 1]
            cP = cP + (1.0 - w) * gP[i] + w * gP[i + 1]
        return cT, cP



def apply_session(state: np.ndarray, drive: SessionDrive, cfg: RemodellingConfig) -> np.ndarray:
    """Instantaneous effect of a session on the band state (returns a new array).

    Damage jumps by ``s * (1 + w_clot * bleeding) + w_coag * coagulated``, where the wound
    signal ``s = injury + w_zone * (zone - injury)`` adds to the injured volume the tissue
    within the wound-signalling reach of a channel (``drive.wound_zone``) at the relative
    weight ``remodelling.wound_zone_signal``; fibroblasts in the injured and coagulated volume
    die; the erythema mediator jumps by the injured dose over ``remodelling.erythema_dose_half_sat``
    plus ``remodelling.erythema_flare_level`` times the fraction of the compartment inside a
    flare (``drive.flare``); the native matrix (collagen I/III, elastin, collagen VII) of the
    coagulated volume is denatured: it leaves the native pools and the coagulated share of the
    still-native volume, ``coagulated * (1 - V - G)``, joins the denatured-matrix pool ``V``,
    which is later cleared (into the unfilled defect ``G``) and refilled with new matrix
    (:func:`~dermsim.remodelling.rhs.rhs_reference`); the
    heat-shock induction jumps by the heat-shocked fraction.
    """
    p = derived_rates(cfg)
    y = np.array(state, dtype=float, copy=True)
    if y.shape[0] != drive.n_band:
        raise ValueError(f"drive has {drive.n_band} bands, state has {y.shape[0]}")
    inj, bl = drive.band_injury, drive.band_bleeding
    co, hs = drive.coagulated_fraction, drive.heat_shock_fraction
    zone = inj if drive.wound_zone is None else drive.wound_zone
    signal = inj + p.w_zone * np.maximum(zone - inj, 0.0)
    y[:, iD] += signal * (1.0 + p.w_clot * bl) + p.w_coag * co
    flare = 0.0 if drive.flare is None else drive.flare
    y[:, iR] += (inj * (1.0 + p.w_clot * bl) + p.w_coag * co) / p.KRD + p.Rflare * flare
    kill = np.clip(p.kill * inj + co, 0.0, 1.0)
    y[:, iF] *= 1.0 - kill
    for i in (iC3, iC1, iEl, iC7):
        y[:, i] *= 1.0 - co
    y[:, iV] += co * np.clip(1.0 - y[:, iV] - y[:, iG], 0.0, 1.0)
    y[:, iH] += hs
    return y

