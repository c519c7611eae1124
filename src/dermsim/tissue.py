"""Layered skin: layer properties, body-site presets and the finite-volume grid.

The skin is five layers stacked in depth (stratum corneum, viable epidermis, papillary
dermis, reticular dermis, hypodermis). Each layer carries thermal, electrical, transport and
mechanical properties; a body site sets the layer thicknesses. A :class:`Grid` rasterises a
stack onto a uniform 2-D finite-volume grid: ``x`` lateral (periodic), ``z`` depth from the
skin surface (positive downwards). Arrays are shaped ``(nz, nx)`` with ``x`` contiguous.

Sources (full references in docs/references.md; evidence tags [V] verified, [S] secondary,
[U] unverified, [C] computed, [A] assumption): thicknesses Sandby-Møller 2003 [V], Meng 2022 [V],
Chopra 2015 [V], Iyengar 2018 [V], Oltulu 2018 [V], Xu 2017 [V], composed into site stacks [C];
thermal properties Jiang et al. 2002 [S] and Ye & De 2016 [V]; electrical properties Gabriel
et al. 1996 4-Cole-Cole [V/C]; mechanical moduli Geerligs 2011 [V] and priors [U].
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from dermsim.errors import ConfigError
from dermsim.numerics.faces import face_coefficients as face_coefficients  # re-exported
from dermsim.parameters import card

LAYER_NAMES: tuple[str, ...] = (
    "stratum_corneum",
    "viable_epidermis",
    "papillary_dermis",
    "reticular_dermis",
    "hypodermis",
)
LAYER_LABELS: tuple[str, ...] = (
    "stratum corneum",
    "viable epidermis",
    "papillary dermis",
    "reticular dermis",
    "hypodermis",
)
SC, EPIDERMIS, PAPILLARY, RETICULAR, HYPODERMIS = range(5)

#: Frequencies [MHz] at which the Gabriel et al. 1996 four-Cole-Cole conductivities and
#: permittivities are tabulated here (0.4 and 1 MHz as published [V], 0.5 and 2 MHz computed
#: from the model parameters [C]).
_FREQS_MHZ = np.array([0.4, 0.5, 1.0, 2.0])
_SIGMA_DRY = np.array([0.0030, 0.0044, 0.0132, 0.0371])  # "dry skin" (SC) [V/C]
_SIGMA_WET = np.array([0.1635, 0.178, 0.2214, 0.2665])  # "wet skin" [V/C]
_SIGMA_FAT = np.array([0.0248, 0.0248, 0.0251, 0.0255])  # fat [V/C]
_EPS_DRY = np.array([1076.0, 1062.0, 991.0, 858.0])
_EPS_WET = np.array([4515.0, 3610.0, 1833.0, 949.0])
_EPS_FAT = np.array([38.0, 35.0, 27.0, 23.0])
GABRIEL_SOURCE = "Gabriel et al., Phys Med Biol 1996;41:2271 (four-Cole-Cole model)"


@dataclass(frozen=True)
class LayerProperties:
    """Physical properties of one skin layer (SI units).

    Attributes
    ----------
    name
        Layer key, one of :data:`LAYER_NAMES`.
    rho
        Density [kg/m³].
    c
        Specific heat capacity [J/kg/K].
    k
        Thermal conductivity [W/m/K].
    perfusion
        Blood perfusion rate ω_b [1/s] (volumetric blood flow per tissue volume).
    sigma_table, eps_r_table
        Conductivity [S/m] and relative permittivity at :data:`_FREQS_MHZ` (0.4, 0.5, 1, 2 MHz).
    E_modulus
        Small-strain Young's modulus [Pa] (indentation normal to the surface).
    diffusion_hindrance
        Effective-to-reference diffusivity ratio for macromolecules (ECM density, binding) [-];
        multiplies each species' dermal effective diffusivity in signalling.
    """

    name: str
    rho: float
    c: float
    k: float
    perfusion: float
    sigma_table: tuple[float, ...]
    eps_r_table: tuple[float, ...]
    E_modulus: float
    diffusion_hindrance: float
    source: str

    def sigma(self, frequency_mhz: float) -> float:
        """Electrical conductivity [S/m] at ``frequency_mhz`` (log-log interpolation)."""
        return float(_loglog(frequency_mhz, _FREQS_MHZ, np.asarray(self.sigma_table)))

    def eps_r(self, frequency_mhz: float) -> float:
        """Relative permittivity [-] at ``frequency_mhz`` (log-log interpolation)."""
        return float(_loglog(frequency_mhz, _FREQS_MHZ, np.asarray(self.eps_r_table)))


def _loglog(x: float, xs: np.ndarray, ys: np.ndarray) -> float:
    return float(np.exp(np.interp(np.log(x), np.log(xs), np.log(ys))))


#: Default layer properties (sources per layer below; docs/model.md §2).
DEFAULT_LAYERS: dict[str, LayerProperties] = {
    "stratum_corneum": LayerProperties(
        "stratum_corneum", 1500.0, 3600.0, 0.235, 0.0,
        tuple(_SIGMA_DRY), tuple(_EPS_DRY), 1.5e6, 0.1,
        "rho 1500 kg/m3 dry SC (secondary summary of a 1988 water-vapour study) [S]; c, k "
        "Cetingul & Herman 2010 [U]; sigma Gabriel dry skin [V/C]; "
        "E Geerligs 2011 [V]; hindrance [A]",
    ),
    "viable_epidermis": LayerProperties(
        "viable_epidermis", 1150.0, 3590.0, 0.21, 0.0,
        tuple(_SIGMA_WET), tuple(_EPS_WET), 1.5e6, 0.5,
        "rho, k Ye & De 2016 [V]; c Jiang 2002 [S]; sigma Gabriel wet skin [V/C]; "
        "E Geerligs 2011 [V]; hindrance [A]",
    ),
    "papillary_dermis": LayerProperties(
        "papillary_dermis", 1116.0, 3300.0, 0.37, 0.00125,
        tuple(_SIGMA_WET), tuple(_EPS_WET), 3.0e4, 1.0,
        "rho Ye & De [V]; c Jiang [S]; k porcine 0.37 Ye & De [V]; perfusion Jiang [S]; "
        "sigma Gabriel wet skin [V/C]; E Hendriks 2006 [U]",
    ),
    "reticular_dermis": LayerProperties(
        "reticular_dermis", 1116.0, 3300.0, 0.45, 0.00125,
        tuple(_SIGMA_WET), tuple(_EPS_WET), 8.0e4, 0.7,
        "rho Ye & De [V]; c, k, perfusion Jiang 2002 [S]; sigma Gabriel wet skin [V/C]; "
        "E Hendriks 2006 [U]; hindrance (denser ECM) [A]",
    ),
    "hypodermis": LayerProperties(
        "hypodermis", 971.0, 2500.0, 0.19, 0.0005,
        tuple(_SIGMA_FAT), tuple(_EPS_FAT), 1.0e4, 1.0,
        "rho Ye & De [V]; c, k Jiang 2002 [S]; perfusion [U]; sigma Gabriel fat [V/C]; E [U]",
    ),
}

#: Blood properties for Pennes bioheat (Jiang et al. 2002 [S]).
BLOOD_RHO = card("tissue.blood_rho", 1060.0, "kg/m3", 1000.0, 1100.0,
                 "Jiang et al., Burns 2002 [S]", "S", "blood density")
BLOOD_C = card("tissue.blood_c", 3770.0, "J/kg/K", 3000.0, 4200.0,
               "Jiang et al., Burns 2002 [S]", "S", "blood specific heat")

#: Body-site stacks: layer thicknesses in µm, composed from the measurements in
#: :data:`SITE_SOURCES` [C].
SITE_THICKNESS_UM: dict[str, tuple[float, float, float, float, float]] = {
    "cheek": (15.0, 60.0, 150.0, 750.0, 4000.0),
    "forehead": (15.0, 60.0, 150.0, 700.0, 2000.0),
    "periorbital": (10.0, 40.0, 100.0, 500.0, 1000.0),
    "neck": (12.0, 60.0, 150.0, 830.0, 3000.0),
    "abdomen": (15.0, 85.0, 200.0, 2000.0, 15000.0),
    "back": (11.0, 90.0, 200.0, 3000.0, 10000.0),
}
SITE_SOURCES: dict[str, str] = {
    "cheek": "zygoma dermis 0.87-1.14 mm Meng 2022 [V]; epidermis Chopra 2015 [V]; "
    "hypodermis Iyengar 2018 [V]; split papillary/reticular [U]",
    "forehead": "dermis 0.86 mm (F) Meng 2022 [V]; hypodermis ~2 mm Iyengar 2018 [V]",
    "periorbital": "eyelid dermis 0.58-0.67 mm Meng 2022 [V]; hypodermis [U]",
    "neck": "neck dermis 0.98 mm Meng 2022 [V]; hypodermis [U]",
    "abdomen": "epidermis 77-267 um across six body sites incl. abdomen and back, histology "
    "(Oltulu 2018) [V]; viable epidermis 85 um inside it and above the buttock 81.5 um "
    "(Sandby-Moller 2003) [C]; SC buttock 14.9 um (Sandby-Moller 2003) [V]; dermis ~2 mm "
    "(Oltulu 2018 range 2.1-5.9 mm) [U]; total epidermis 100 um as the pooled 99.75 um of "
    "Xu 2017 [C]; hypodermis BMI-dependent [U]",
    "back": "epidermis 77-267 um across six body sites incl. back (Oltulu 2018) [V]; viable "
    "epidermis 90 um inside it and above the shoulder 70.3 um (Sandby-Moller 2003) [C]; SC "
    "shoulder 11.0 um (Sandby-Moller 2003) [V]; dermis ~3 mm (Oltulu 2018 range 2.1-5.9 mm) "
    "[U]; hypodermis [U]",
}


@dataclass(frozen=True)
class SkinStack:
    """A layer stack: thicknesses and properties of the five layers at one site.

    Attributes
    ----------
    site
        Site name (preset key or ``"custom"``).
    thickness_um
        Layer thicknesses [µm], ordered as :data:`LAYER_NAMES`.
    layers
        Layer properties, ordered as :data:`LAYER_NAMES`.
    """

    site: str
    thickness_um: tuple[float, ...]
    layers: tuple[LayerProperties, ...] = field(
        default_factory=lambda: tuple(DEFAULT_LAYERS[n] for n in LAYER_NAMES)
    )

    def __post_init__(self) -> None:
        if len(self.thickness_um) != len(LAYER_NAMES):
            raise ConfigError("skin.thickness_um", self.thickness_um, "five layer thicknesses")
        for name, t in zip(LAYER_NAMES, self.thickness_um):
            if not np.isfinite(t) or not (1.0 <= t <= 50_000.0):
                raise ConfigError(f"skin.thickness_um.{name}", t, "[1, 50000] um")

    @property
    def interfaces_um(self) -> np.ndarray:
        """Depth of the top of each layer and the bottom of the stack [µm], shape (6,)."""
        return np.concatenate([[0.0], np.cumsum(self.thickness_um)])

    @property
    def total_um(self) -> float:
        """Total thickness of the stack [µm]."""
        return float(np.sum(self.thickness_um))

    @property
    def dermis_bottom_um(self) -> float:
        """Depth of the dermis–hypodermis junction [µm]."""
        return float(self.interfaces_um[HYPODERMIS])

    def layer_at(self, depth_um: float | np.ndarray) -> np.ndarray:
        """Layer index at ``depth_um`` (depths beyond the stack map to the hypodermis)."""
        idx = np.searchsorted(self.interfaces_um[1:-1], np.asarray(depth_um), side="right")
        return idx.astype(np.int8)


def site_stack(site: str, thickness_overrides_um: Mapping[str, float] | None = None) -> SkinStack:
    """The layer stack of a body-site preset, optionally with layer thicknesses changed.

    Parameters
    ----------
    site
        One of :data:`SITE_THICKNESS_UM` (``cheek``, ``forehead``, ``periorbital``, ``neck``,
        ``abdomen``, ``back``).
    thickness_overrides_um
        Mapping layer name → thickness [µm] replacing the preset value (user-defined stacks).
    """
    from dermsim.parameters import suggest

    if site not in SITE_THICKNESS_UM:
        raise ConfigError("skin.site", site, f"one of {sorted(SITE_THICKNESS_UM)}",
                          suggest(site, SITE_THICKNESS_UM))
    t = dict(zip(LAYER_NAMES, SITE_THICKNESS_UM[site]))
    for key, value in (thickness_overrides_um or {}).items():
        if key not in t:
            raise ConfigError(f"skin.thickness_um.{key}", value, f"a layer in {LAYER_NAMES}",
                              suggest(key, LAYER_NAMES))
        t[key] = value
    name = site if not thickness_overrides_um else f"{site} (custom thicknesses)"
    return SkinStack(name, tuple(float(t[n]) for n in LAYER_NAMES))


@dataclass(frozen=True, eq=False)
class Grid:
    """Uniform 2-D finite-volume grid of a layer stack.

    Attributes
    ----------
    stack
        The layer stack rasterised.
    h
        Cell size in x and z [m].
    nx, nz
        Number of cells laterally and in depth.
    frequency_mhz
        Frequency at which electrical properties are evaluated [MHz].
    layer
        Layer index per cell, shape (nz, nx), int8.
    """

    stack: SkinStack
    h: float
    nx: int
    nz: int
    frequency_mhz: float = 1.0
    layer: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        zc_um = self.z * 1e6
        column = self.stack.layer_at(zc_um)
        object.__setattr__(self, "layer", np.ascontiguousarray(
            np.broadcast_to(column[:, None], (self.nz, self.nx))).astype(np.int8))

    @property
    def x(self) -> np.ndarray:
        """Lateral cell centres [m], shape (nx,)."""
        return (np.arange(self.nx) + 0.5) * self.h

    @property
    def z(self) -> np.ndarray:
        """Depth of cell centres below the surface [m], shape (nz,)."""
        return (np.arange(self.nz) + 0.5) * self.h

    @property
    def width(self) -> float:
        """Lateral extent [m]."""
        return self.nx * self.h

    @property
    def depth(self) -> float:
        """Depth extent [m]."""
        return self.nz * self.h

    @property
    def layer_names(self) -> tuple[str, ...]:
        return LAYER_NAMES

    @property
    def interfaces_m(self) -> np.ndarray:
        """Top of each layer and bottom of the stack [m], shape (6,)."""
        return self.stack.interfaces_um * 1e-6

    def layer_value_table(self, name: str) -> np.ndarray:
        """Per-layer value of property ``name`` (see :meth:`property_field`), shape (5,)."""
        f = self.frequency_mhz
        getters = {
            "k": lambda p: p.k,
            "rho": lambda p: p.rho,
            "c": lambda p: p.c,
            "rho_c": lambda p: p.rho * p.c,
            "perfusion": lambda p: p.perfusion,
            "sigma": lambda p: p.sigma(f),
            "eps_r": lambda p: p.eps_r(f),
            "E_modulus": lambda p: p.E_modulus,
            "diffusion_hindrance": lambda p: p.diffusion_hindrance,
        }
        if name not in getters:
            raise KeyError(f"unknown tissue property {name!r}; known: {sorted(getters)}")
        return np.array([getters[name](p) for p in self.stack.layers], dtype=np.float64)

    def property_field(self, name: str) -> np.ndarray:
        """Per-cell property field, shape (nz, nx), float64.

        ``name`` is one of ``k`` [W/m/K], ``rho`` [kg/m³], ``c`` [J/kg/K], ``rho_c`` [J/m³/K],
        ``perfusion`` [1/s], ``sigma`` [S/m], ``eps_r`` [-], ``E_modulus`` [Pa],
        ``diffusion_hindrance`` [-].
        """
        return self.layer_value_table(name)[self.layer]

    def layer_fraction_by_row(self) -> np.ndarray:
        """Layer index of each row (the stack is laterally uniform), shape (nz,)."""
        return self.layer[:, 0].copy()

    def band_edges(self, band_um: float, top_um: float | None = None,
                   bottom_um: float | None = None) -> np.ndarray:
        """Edges [µm] of depth bands of thickness ``band_um`` through the dermis.

        By default the bands run from the dermo-epidermal junction to the dermis bottom (or
        the grid bottom if shallower); the last band is trimmed to end there.
        """
        top = self.stack.interfaces_um[PAPILLARY] if top_um is None else top_um
        bottom = min(self.stack.dermis_bottom_um, self.depth * 1e6) if bottom_um is None \
            else bottom_um
        edges = np.arange(top, bottom, band_um)
        return np.append(edges, bottom) if bottom - edges[-1] > 1e-9 else edges

    def band_weights(self, edges_um: np.ndarray) -> np.ndarray:
        """Row weights for band averages: ``w[b, i]`` is the fraction of row ``i`` in band ``b``
        divided by the band's thickness in rows, so ``w @ row_mean`` gives band means."""
        top = np.arange(self.nz) * self.h * 1e6
        bot = top + self.h * 1e6
        lo = np.maximum(edges_um[:-1, None], top[None, :])
        hi = np.minimum(edges_um[1:, None], bot[None, :])
        overlap = np.clip(hi - lo, 0.0, None)
        return overlap / overlap.sum(axis=1, keepdims=True)


def make_grid(stack: SkinStack, h_um: float = 10.0, width_um: float = 4000.0,
              depth_um: float | None = None, frequency_mhz: float = 1.0) -> Grid:
    """Build a :class:`Grid` for ``stack``.

    Parameters
    ----------
    stack
        Layer stack.
    h_um
        Cell size [µm].
    width_um
        Lateral extent [µm]; rounded to a whole number of cells.
    depth_um
        Depth extent [µm]. Default: 1 mm into the hypodermis and at least 3 mm, capped at the
        total stack thickness.
    frequency_mhz
        Frequency for electrical properties [MHz].
    """
    if depth_um is None:
        depth_um = default_depth_um(stack)
    if depth_um > stack.total_um + 1e-9:
        raise ConfigError("grid.depth_um", depth_um, f"(0, {stack.total_um:g}] um "
                          f"(the {stack.site} stack is {stack.total_um:g} um thick)")
    nx = max(4, int(round(width_um / h_um)))
    nz = max(4, int(round(depth_um / h_um)))
    return Grid(stack, h_um * 1e-6, nx, nz, frequency_mhz)


def default_depth_um(stack: SkinStack) -> float:
    """Default grid depth [µm]: dermis bottom + 1 mm, at least 3 mm, at most the stack."""
    return float(min(stack.total_um, max(3000.0, stack.dermis_bottom_um + 1000.0)))
