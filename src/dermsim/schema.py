"""The result schema: name, units, long name, short label and direction of every result
variable and scalar outcome.

This table is the single place where a result's metadata is written down. The pipeline sets
the ``units`` and ``long_name`` attrs of the Dataset variables from it; metrics, the CLI
summary, ``compare``, sweeps, the report and the figures read it (or the attrs it set).

Units are stored as plain ASCII strings in the files (``um``, ``degC``, ``mm3/cm2``, ``1``
for dimensionless); :func:`pretty_units` turns them into the symbols shown on figures and in
tables (µm, °C, mm³/cm²).

>>> from dermsim import schema
>>> schema.label("effective_depth_um")
'mean effective needle depth, first session [µm]'
>>> schema.better("downtime_h")
'lower'
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

Better = Literal["higher", "lower"] | None


@dataclass(frozen=True)
class Quantity:
    """One result variable or scalar outcome.

    Attributes
    ----------
    name
        Variable name in the Dataset (or key of :func:`dermsim.metrics.scalar_outcomes`).
    units
        Units as stored in the file (``"1"``: dimensionless).
    long_name
        Descriptive name (the ``long_name`` attr; figure axis labels).
    short
        A short label for narrow table columns and legends.
    better
        ``"higher"`` or ``"lower"`` when one direction is clinically desirable, else None.
    description
        One sentence for tables, the report and the glossary.
    """

    name: str
    units: str
    long_name: str
    short: str
    better: Better = None
    description: str = ""

    @property
    def attrs(self) -> dict[str, str]:
        """The ``units`` and ``long_name`` attrs of the variable."""
        return {"units": self.units, "long_name": self.long_name}

    @property
    def label(self) -> str:
        """``"long name [units]"`` (no brackets for dimensionless quantities)."""
        return pretty_label(self.long_name, self.units)


Q = Quantity

#: The scalar outcomes every result reports (NaN when a stage did not run), in table order.
#: Penetration outcomes are for the first session; changes are relative to the untreated
#: baseline, at the end of the run unless a comparison says otherwise.
OUTCOMES: tuple[Quantity, ...] = (
    Q("effective_depth_um", "um", "mean effective needle depth, first session",
      "effective depth", None,
      "How deep the needles actually reach on average: less than the nominal length because "
      "the skin deforms before it is pierced."),
    Q("bleeding_fraction", "1", "needles reaching the papillary capillaries (pinpoint "
      "bleeding), first session", "bleeding fraction", "lower",
      "Fraction of needles whose tip reaches the capillary loops of the papillary dermis."),
    Q("surface_fraction_punctured", "1", "skin surface punctured, first session",
      "surface punctured", None,
      "Fraction of the skin surface area opened by needle channels in one session."),
    Q("epidermal_injury_mm3_per_cm2", "mm3/cm2", "epidermal injury per skin area, first session",
      "epidermal injury", "lower",
      "Injury-weighted volume of epidermis per cm² of skin (channel plus injured rim)."),
    Q("dermal_injury_mm3_per_cm2", "mm3/cm2", "dermal injury per skin area, first session",
      "dermal injury", None,
      "Injury-weighted volume of dermis per cm² of skin: the stimulus of the wound response."),
    Q("collagen_I_change_pct", "%", "collagen I change, dermis", "collagen I", "higher",
      "Thickness-weighted change of dermal collagen I relative to untreated skin."),
    Q("collagen_I_change_papillary_pct", "%", "collagen I change, papillary dermis",
      "collagen I papillary", "higher",
      "Change of collagen I in the papillary dermis relative to untreated skin."),
    Q("collagen_I_change_reticular_pct", "%", "collagen I change, reticular dermis",
      "collagen I reticular", "higher",
      "Change of collagen I in the reticular dermis relative to untreated skin."),
    Q("collagen_III_change_pct", "%", "collagen III change, dermis", "collagen III", "higher",
      "Thickness-weighted change of dermal collagen III relative to untreated skin."),
    Q("ratio_I_III_end", "1", "collagen I : III ratio", "I:III ratio", "higher",
      "Ratio of collagen I to collagen III in the dermis; it falls after injury (new collagen "
      "III) and recovers as the matrix matures."),
    Q("peak_inflammation", "cells/mm3", "peak inflammation: macrophages above baseline, dermis",
      "peak inflammation", "lower",
      "Highest dermis-mean macrophage density above the resting level after any session."),
    Q("downtime_h", "h", "downtime proxy: visible erythema or open epidermal burn after the "
      "first session", "downtime", "lower",
      "Hours during which the depth-integrated erythema index stays above its visibility "
      "threshold after session 1, or, if longer, until an epidermal burn is re-epithelialised."),
    Q("reepithelialisation_h", "h", "re-epithelialisation of RF epidermal burns after the "
      "first session", "re-epithelialisation", "lower",
      "Hours until the necrotic epidermis (RF damage Ω ≥ 1) around the pins is covered again "
      "from its edges; 0 without an epidermal burn. The downtime is at least this long."),
    Q("matrix_replacement_day", "day", "replacement of the RF-coagulated dermal matrix after "
      "the last session", "matrix replacement", "lower",
      "Days after the last session until the denatured dermal matrix and the space it left "
      "have fallen below 10 % of their post-session amount (cleared and refilled with new "
      "matrix); NaN without coagulation."),
    Q("time_to_plateau_day", "day", "time to 90 % of the collagen I plateau after the last "
      "session", "time to plateau", "lower",
      "Days after the last session until collagen I reaches 90 % of its final gain."),
    Q("dermal_thickness_change_pct", "%", "dermal thickness change (ultrasound read-out)",
      "dermal thickness", "higher",
      "Change of dermal thickness relative to untreated skin, from the share of the new "
      "collagen that adds volume to the dermis (remodelling.dermal_matrix_volume_fraction)."),
    Q("dermal_density_change_pct", "%", "dermal density index change (ultrasound read-out)",
      "dermal density", "higher",
      "Change of echogenic collagen per dermal thickness relative to untreated skin; type III "
      "counts with remodelling.collagen_III_echogenicity. Device echogenicity scales are not "
      "calibrated to it: compare directions and magnitudes."),
    Q("coagulated_fraction", "1", "RF-coagulated (Ω ≥ 1) dermal volume fraction",
      "coagulated fraction", "lower",
      "Mean fraction of the dermis with Arrhenius damage integral Ω ≥ 1 (RF tips only)."),
    Q("max_temperature_C", "degC", "maximum RF tissue temperature", "max temperature", "lower",
      "Highest tissue temperature reached during the RF pulses (RF tips only)."),
)

#: Result Dataset variables and coordinates.
VARIABLES: tuple[Quantity, ...] = (
    # coordinates
    Q("z", "um", "depth below the skin surface", "depth"),
    Q("x", "um", "lateral position", "x"),
    Q("session", "1", "session number", "session"),
    Q("time", "day", "time from protocol start", "time"),
    Q("gf_time", "h", "time after the session", "time after session"),
    Q("snapshot_time", "h", "time of the field snapshot", "snapshot time"),
    Q("topical_time", "h", "time after the session", "time after session"),
    Q("band", "um", "depth of the band centre", "depth"),
    Q("band_top", "um", "top of the band", "band top"),
    Q("band_bottom", "um", "bottom of the band", "band bottom"),
    Q("rf_time", "ms", "time from first pulse on", "time"),
    # tissue
    Q("layer", "1", "skin layer index", "layer"),
    Q("layer_top", "um", "depth of the top of each layer", "layer top"),
    Q("layer_bottom", "um", "depth of the bottom of each layer", "layer bottom"),
    Q("band_thickness", "um", "band thickness", "band thickness"),
    Q("band_layer", "1", "layer index of each band", "band layer"),
    # penetration (per session)
    Q("session_day", "day", "day of the session", "session day"),
    Q("injury", "1", "tissue injury (1 = channel, rim < 1)", "injury"),
    Q("needle_x", "um", "lateral position of each needle in the slice", "needle x"),
    Q("needle_depth", "um", "effective depth of each needle", "needle depth"),
    Q("nominal_length", "um", "nominal needle length", "nominal length"),
    Q("effective_depth", "um", "mean effective depth of the needles", "effective depth"),
    Q("efficiency", "1", "effective depth / nominal length", "efficiency"),
    Q("bleeding_fraction", "1", "fraction of needles reaching papillary capillaries",
      "bleeding fraction", "lower"),
    Q("punctures_per_cm2", "1/cm2", "puncture density", "punctures"),
    Q("in_plane_spacing", "um", "needle spacing in the slice", "spacing"),
    Q("surface_fraction_punctured", "1", "fraction of the skin surface punctured",
      "surface punctured"),
    Q("epidermal_injury", "mm3/cm2", "injury-weighted epidermal volume per skin area",
      "epidermal injury", "lower"),
    Q("dermal_injury", "mm3/cm2", "injury-weighted dermal volume per skin area",
      "dermal injury"),
    Q("deepest_layer", "1", "index of the deepest layer a needle tip reached (-1: none)",
      "deepest layer"),
    Q("layer_reach_fraction", "1", "fraction of the needles whose tip entered each layer",
      "layer reach"),
    Q("injured_area", "um2", "injury-weighted area in the slice", "injured area"),
    Q("pih_risk_index", "1", "relative post-inflammatory hyperpigmentation risk (phototype, "
      "epidermal injury, inflammation)", "PIH risk index", "lower"),
    Q("band_injury", "1", "injured volume fraction per band", "band injury"),
    # growth-factor signalling (acute window)
    Q("gf_band", "ng/mL", "band-mean growth-factor concentration", "band mean"),
    Q("gf_max", "ng/mL", "maximum concentration in the slice", "maximum"),
    Q("gf_reach", "um", "deepest depth where c >= 0.1 ng/mL", "reach"),
    Q("gf_released", "ng/cm2", "cumulative amount released", "released"),
    Q("gf_decayed", "ng/cm2", "cumulative amount decayed", "decayed"),
    Q("gf_remaining", "ng/cm2", "amount in the tissue", "remaining"),
    Q("gf_lost", "ng/cm2", "cumulative amount lost through open channels", "lost"),
    Q("gf_layer_amount", "ng/cm2", "growth factor in each layer", "per layer"),
    Q("gf_snapshot", "ng/mL", "growth-factor concentration", "concentration"),
    Q("topical_layer_amount", "ng/cm2", "topical product in each layer (microneedled skin)",
      "topical per layer"),
    Q("topical_layer_amount_intact", "ng/cm2", "topical product in each layer (intact skin)",
      "topical per layer, intact"),
    Q("topical_band", "ng/mL", "band-mean concentration of the topical product",
      "topical band mean"),
    Q("topical_entered", "ng/cm2", "cumulative topical product entered (microneedled)",
      "topical entered"),
    Q("topical_entered_intact", "ng/cm2", "cumulative topical product entered (intact skin)",
      "topical entered, intact"),
    Q("topical_remaining", "ng/cm2", "topical product in the skin (microneedled)",
      "topical remaining"),
    Q("topical_reach", "um", "deepest depth where the topical product exceeds the reach "
      "threshold", "topical reach"),
    Q("topical_exposure", "ng h/cm2", "time integral of the topical amount per layer",
      "topical exposure"),
    Q("topical_exposure_intact", "ng h/cm2", "same for intact skin", "topical exposure, intact"),
    Q("topical_enhancement", "1", "exposure of the whole skin, microneedled / intact skin",
      "topical enhancement"),
    Q("topical_delivery_ratio", "1", "exposure per layer, microneedled / intact skin",
      "delivery ratio", "higher"),
    Q("topical_snapshot", "ng/mL", "topical product concentration", "topical concentration"),
    # remodelling (per band over the protocol)
    Q("damage", "1", "injured and necrotic debris (volume fraction of band)", "debris"),
    Q("erythema_mediator", "1", "vasoactive mediator level (erythema = R / (1 + R))",
      "erythema mediator"),
    Q("neutrophils", "cells/mm^3", "neutrophil density above baseline", "neutrophils"),
    Q("macrophages", "cells/mm^3", "macrophage density above baseline", "macrophages"),
    Q("tgfb_endogenous", "ng/mL", "cell-secreted active TGF-beta", "TGF-β, cell-secreted"),
    Q("pdgf_endogenous", "ng/mL", "cell-secreted PDGF", "PDGF, cell-secreted"),
    Q("heat_shock", "1", "heat-shock protein (HSP47/HSP70) induction", "heat shock"),
    Q("fibroblasts", "1 (relative to resident density)",
      "fibroblast density relative to resident density", "fibroblasts"),
    Q("activation_early", "1", "early (collagen-III-rich) synthetic activation of fibroblasts",
      "early activation"),
    Q("activation_mature", "1", "mature (collagen-I-rich) synthetic activation of fibroblasts",
      "mature activation"),
    Q("mmp", "1 (excess over baseline activity)", "MMP / collagenase activity above baseline",
      "MMP"),
    Q("collagen_III", "1 (fraction of baseline total collagen)", "collagen type III content",
      "collagen III"),
    Q("collagen_I", "1 (fraction of baseline total collagen)", "collagen type I content",
      "collagen I"),
    Q("tropoelastin", "1 (relative to baseline)", "tropoelastin (new elastin) synthesis",
      "tropoelastin"),
    Q("elastin", "1 (relative to baseline)", "total elastic-fibre elastin", "elastin"),
    Q("collagen_VII", "1 (relative to baseline)",
      "collagen type VII (anchoring fibrils; meaningful at the DEJ band)", "collagen VII"),
    Q("denatured_matrix", "1 (volume fraction)",
      "thermally denatured (coagulated) matrix awaiting clearance", "denatured matrix"),
    Q("matrix_defect", "1 (volume fraction)",
      "cleared space awaiting new matrix (unfilled thermal defect)", "unfilled defect"),
    Q("tgfb1_drive", "ng/mL", "growth-factor drive: total TGF-beta1 (signalling stage)",
      "TGF-β1 drive"),
    Q("pdgf_drive", "ng/mL", "growth-factor drive: PDGF (signalling stage)", "PDGF drive"),
    Q("tgfb_active", "ng/mL", "active TGF-beta (acute active + endogenous)", "active TGF-β"),
    Q("pdgf", "ng/mL", "PDGF (drive + endogenous)", "PDGF"),
    Q("erythema", "1", "erythema (vasodilation) index, 0..1", "erythema"),
    Q("inflammation", "cells/mm^3", "inflammatory cells above baseline", "inflammatory cells"),
    Q("collagen_I_synthesis", "1 (relative to basal)", "gross collagen I synthesis",
      "collagen I synthesis"),
    Q("collagen_III_synthesis", "1 (relative to basal)", "gross collagen III synthesis",
      "collagen III synthesis"),
    Q("collagen_I_deposition", "1/day (fraction of baseline total collagen)",
      "net collagen I deposition (synthesis that matures)", "collagen I deposition"),
    Q("collagen_III_deposition", "1/day (fraction of baseline total collagen)",
      "net collagen III deposition (synthesis that matures)", "collagen III deposition"),
    Q("collagen_I_deposition_untreated", "1/day (fraction of baseline total collagen)",
      "net collagen I deposition of the untreated twin", "collagen I deposition, untreated"),
    Q("collagen_III_deposition_untreated", "1/day (fraction of baseline total collagen)",
      "net collagen III deposition of the untreated twin",
      "collagen III deposition, untreated"),
    Q("collagen_I_untreated_rel_change", "1",
      "collagen I of the untreated twin vs the start (ageing)", "collagen I, untreated twin"),
    Q("collagen_I_change_map", "%", "collagen I change vs untreated twin",
      "collagen I change", "higher"),
    Q("collagen_III_change_map", "%", "collagen III change vs untreated twin",
      "collagen III change", "higher"),
    Q("collagen_VII_change_map", "%", "collagen VII change vs untreated twin",
      "collagen VII change"),
    Q("elastin_change_map", "%", "elastin change vs untreated twin", "elastin change"),
    Q("collagen_I_III_ratio", "1", "collagen I : III ratio", "I:III ratio", "higher"),
    Q("collagen_III_fraction", "1", "collagen III / (I + III)", "collagen III fraction"),
    Q("collagen_I_rel_change", "1", "collagen I change vs the untreated twin (of baseline)",
      "collagen I change", "higher"),
    Q("collagen_III_rel_change", "1", "collagen III change vs the untreated twin (of baseline)",
      "collagen III change", "higher"),
    Q("collagen_total_rel_change", "1", "collagen I+III change vs the untreated twin",
      "collagen I+III change", "higher"),
    Q("elastin_rel_change", "1", "total elastin change vs the untreated twin",
      "elastin change"),
    Q("tropoelastin_rel_change", "1", "tropoelastin change vs the untreated twin",
      "tropoelastin change"),
    Q("collagen_VII_rel_change", "1", "collagen VII change vs the untreated twin",
      "collagen VII change"),
    Q("dermal_thickness_rel_change", "1",
      "dermal thickness change vs the untreated twin (from the collagen change)",
      "dermal thickness change", "higher"),
    Q("dermal_density_rel_change", "1",
      "dermal density index change vs the untreated twin (echogenic collagen per thickness)",
      "dermal density index change", "higher"),
    Q("erythema_index", "um", "depth-integrated erythema index (downtime proxy)",
      "erythema index", "lower"),
    Q("collagen_I_change", "%", "collagen I change vs the untreated twin", "collagen I",
      "higher"),
    Q("collagen_III_change", "%", "collagen III change vs the untreated twin", "collagen III",
      "higher"),
    # RF heating (per session)
    Q("rf_peak_temperature", "degC", "peak temperature", "peak temperature"),
    Q("rf_damage", "1", "Arrhenius damage integral", "damage integral Ω"),
    Q("rf_coagulated", "1", "coagulation zone (omega >= 1)", "coagulated"),
    Q("rf_heat_shock", "1", "heat-shock zone (T_max >= 45 degC, omega < 1)", "heat shock"),
    Q("rf_cem43", "min", "cumulative equivalent minutes at 43 degC", "CEM43"),
    Q("rf_tip_temperature_C", "degC", "mean electrode-surface temperature", "pin surface"),
    Q("rf_epidermis_max_temperature_C", "degC", "maximum epidermis temperature",
      "epidermis (max)"),
    Q("rf_max_temperature_C", "degC", "maximum tissue temperature", "tissue (max)"),
    Q("rf_power_W", "W", "generator power (whole tip)", "power"),
    Q("rf_power_requested_W", "W", "generator power set by the control mode before the "
      "limiter", "power requested"),
    Q("rf_energy_per_pin_mJ", "mJ", "RF energy per pin (delivered)", "energy per pin"),
    Q("rf_energy_requested_per_pin_mJ", "mJ", "RF energy per pin set by the control mode "
      "(before the limiter)", "energy requested per pin"),
    Q("rf_limiter_acted", "1", "1 if the generator's limiter lowered the power or cut the "
      "pulse", "limiter acted"),
    Q("rf_limited_time_ms", "ms", "RF-on time during which the generator's limiter lowered or "
      "cut the power", "limited time"),
    Q("rf_latent_heat_per_pin_mJ", "mJ", "heat spent on vaporising tissue water, per pin",
      "latent heat per pin"),
    Q("rf_epidermis_max_omega", "1", "maximum omega in the epidermis", "epidermis Ω (max)"),
    Q("rf_epidermal_necrosis", "1", "necrotic (omega >= 1) area fraction of the viable "
      "epidermis", "epidermal necrosis", "lower"),
    Q("rf_epidermal_lesion_um", "um", "closing width of the widest necrotic epidermal zone "
      "(across the pin row)", "epidermal lesion width", "lower"),
    *(Q(f"rf_{zone}_{key}", units, f"{zname} zone {what}", f"{zname} {what}")
      for zone, zname in (("coag", "coagulation"), ("heat_shock", "heat-shock"))
      for key, units, what in (
          ("width_um", "um", "width"), ("top_um", "um", "top depth"),
          ("bottom_um", "um", "bottom depth"), ("depth_extent_um", "um", "depth extent"),
          ("area_mm2_per_pin", "mm2", "cross-section area per pin"),
          ("volume_mm3_per_pin", "mm3", "volume per pin"),
          ("column_volume_mm3_per_pin", "mm3", "column volume per pin"))),
)

#: Dataset variables by name.
VARIABLE: dict[str, Quantity] = {q.name: q for q in VARIABLES}
#: Scalar outcomes by name.
OUTCOME: dict[str, Quantity] = {q.name: q for q in OUTCOMES}
#: Every quantity by name; where a per-session variable and a (first-session) outcome share
#: a name (``bleeding_fraction``, ``surface_fraction_punctured``), the outcome.
QUANTITIES: dict[str, Quantity] = {**VARIABLE, **OUTCOME}

#: Names of the scalar outcomes, in table order.
OUTCOME_NAMES: tuple[str, ...] = tuple(q.name for q in OUTCOMES)

_PRETTY = {"um": "µm", "um2": "µm²", "mm2": "mm²", "mm3": "mm³", "mm3/cm2": "mm³/cm²",
           "cells/mm3": "cells/mm³", "cells/mm^3": "cells/mm³", "degC": "°C", "1/cm2": "1/cm²",
           "ng/cm2": "ng/cm²", "ng h/cm2": "ng·h/cm²", "1": ""}


def get(name: str) -> Quantity:
    """The schema entry of ``name`` (KeyError naming the closest match)."""
    try:
        return QUANTITIES[name]
    except KeyError:
        close = difflib.get_close_matches(name, list(QUANTITIES), n=1, cutoff=0.6)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise KeyError(f"{name!r} is not a dermsim result variable or outcome{hint}") from None


def attrs(name: str) -> dict[str, str]:
    """``{"units": ..., "long_name": ...}`` of ``name`` (an outcome where both exist)."""
    return get(name).attrs


def variable_attrs(name: str) -> dict[str, str]:
    """``{"units": ..., "long_name": ...}`` of the Dataset variable ``name``."""
    return VARIABLE[name].attrs


def pretty_units(units: str) -> str:
    """Units as shown to people: ``um`` → ``µm``, ``degC`` → ``°C``, ``1`` → ``""``;
    ``"1 (relative to baseline)"`` → ``"relative to baseline"``."""
    u = str(units).strip()
    if u.startswith("1 (") and u.endswith(")"):
        return u[3:-1]
    return _PRETTY.get(u, u)


def pretty_label(text: str, units: str) -> str:
    """``"text [units]"`` with the units shown as :func:`pretty_units` does (no brackets when
    dimensionless)."""
    u = pretty_units(units)
    redundant = len(u) > 4 and u in text  # "fibroblast density relative to resident density"
    return f"{text} [{u}]" if u and not redundant else text


def label(item: Any, short: bool = False, variable: bool = False) -> str:
    """An axis or table label, ``"long name [units]"``.

    ``item`` is a schema name, or anything with ``attrs`` and ``name`` (an
    :class:`xarray.DataArray`): its own ``long_name`` and ``units`` attrs are used, and the
    schema fills in what they lack. ``short=True`` uses the short label instead of the long
    name; ``variable=True`` picks the Dataset variable where an outcome has the same name.
    """
    if isinstance(item, str):
        q = VARIABLE[item] if variable and item in VARIABLE else get(item)
        return pretty_label(q.short if short else q.long_name, q.units)
    a: Mapping[str, Any] = getattr(item, "attrs", {}) or {}
    name = str(getattr(item, "name", "") or "")
    found = VARIABLE.get(name) or OUTCOME.get(name)
    text = (found.short if (short and found) else a.get("long_name")
            or (found.long_name if found else None) or name.replace("_", " "))
    u = a.get("units", found.units if found else "1")
    return pretty_label(str(text), str(u))


def units(name: str, pretty: bool = True) -> str:
    """Units of ``name`` (shown form by default)."""
    u = get(name).units
    return pretty_units(u) if pretty else u


def better(name: str) -> Better:
    """``"higher"``, ``"lower"`` or None (no direction is better) for ``name``."""
    return get(name).better


def lower_is_better() -> frozenset[str]:
    """Outcomes for which smaller is better."""
    return frozenset(q.name for q in OUTCOMES if q.better == "lower")


def apply(ds: Any) -> Any:
    """Set ``units`` and ``long_name`` of every variable of ``ds`` that the schema lists
    (other attrs are kept). Returns ``ds`` (modified in place)."""
    for name in ds.variables:
        q = VARIABLE.get(str(name))
        if q is not None:
            ds[name].attrs.update(q.attrs)
    return ds
