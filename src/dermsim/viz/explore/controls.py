"""Controls of the explorer page, generated from the parameter cards.

A control is a dotted scenario key (``"device.needle_length_um"``) whose label, unit, range
and help text come from the parameter card of the config field it sets, so a parameter added
to a config dataclass with :func:`dermsim.parameters.param_field` shows up here without page
code. The few settings that are not numbers (body site, device preset, RF on/off, topical
product on/off) are choices whose options come from the preset tables.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from dermsim.parameters import ParamCard

#: Scenario sections whose config fields may carry parameter cards, in page order. A section
#: the scenario does not have (e.g. ``patient`` before the patient table exists) is skipped.
SECTIONS: tuple[str, ...] = ("patient", "device", "protocol", "rf", "signalling",
                             "remodelling", "penetration")

#: The main controls, by dotted key; keys whose field or card does not exist are skipped.
MAIN_KEYS: tuple[str, ...] = (
    "device.needle_length_um",
    "device.passes",
    "protocol.sessions",
    "protocol.interval_days",
    "protocol.follow_up_days",
)
#: Main controls shown only while RF is on.
RF_KEYS: tuple[str, ...] = ("rf.power_W", "rf.conduction_time_ms")
#: Main controls shown only while the topical product is on.
TOPICAL_KEYS: tuple[str, ...] = ("signalling.topical_concentration_ng_ml",
                                 "signalling.topical_contact_h")
#: The card that switches the topical product off at 0.
TOPICAL_SWITCH_KEY = "signalling.topical_concentration_ng_ml"


#: Longest label shown in full next to a widget; longer descriptions go to the tooltip.
LABEL_CHARS = 40
_UNIT_TOKENS = {"um", "um2", "s", "ms", "h", "min", "day", "days", "year", "years", "ng", "ml",
                "w", "c", "k", "hz", "mm", "mm2", "mm3", "n", "mhz", "v", "pa", "cm", "pct", "per"}


def display_unit(unit: str) -> str:
    """Unit as people read it (µm, °C)."""
    return unit.replace("degC", "°C").replace("um", "µm")


def short_name(key: str) -> str:
    """The field name of a dotted key without its unit suffix (``needle_length_um`` →
    ``needle length``)."""
    tokens = key.rsplit(".", 1)[-1].split("_")
    while len(tokens) > 1 and tokens[-1].lower() in _UNIT_TOKENS:
        tokens.pop()
    return " ".join(tokens)


@dataclass(frozen=True)
class Control:
    """One numeric control: the scenario key it sets and the card that describes it."""

    key: str
    card: ParamCard
    value: Any

    @property
    def label(self) -> str:
        """The card's description when it is short, else the field name; unit in brackets."""
        unit = "" if self.card.unit in ("-", "1", "") else f" [{display_unit(self.card.unit)}]"
        text = self.card.description
        if len(text) + len(unit) > LABEL_CHARS:
            text = short_name(self.key)
        return f"{text}{unit}"

    @property
    def help(self) -> str:
        return (f"{self.key} — {self.card.description}. Allowed {self.card.range_text}. "
                f"Source: {self.card.source} (evidence {self.card.tag}).")


def section_config(scenario: Any, section: str) -> Any:
    """The config dataclass of one scenario section, or ``None`` if the scenario has none."""
    obj = getattr(scenario, section, None)
    if dataclasses.is_dataclass(obj):
        return obj
    try:
        obj = scenario.stage(section)
    except (KeyError, AttributeError, ImportError):
        return None
    return obj if dataclasses.is_dataclass(obj) else None


def section_controls(scenario: Any, section: str) -> list[Control]:
    """Every card-backed field of one section, with the scenario's current value."""
    cfg = section_config(scenario, section)
    if cfg is None:
        return []
    out = []
    for f in dataclasses.fields(cfg):
        c = f.metadata.get("card")
        if c is not None and f.init:
            out.append(Control(f"{section}.{f.name}", c, getattr(cfg, f.name)))
    return out


def all_controls(scenario: Any) -> Iterator[Control]:
    """Every card-backed field of every section the scenario has."""
    for section in SECTIONS:
        yield from section_controls(scenario, section)


def find_control(scenario: Any, key: str) -> Control | None:
    """The control of a dotted key, or ``None`` if the scenario has no such card field."""
    section = key.split(".", 1)[0]
    return next((c for c in section_controls(scenario, section) if c.key == key), None)


def main_controls(scenario: Any, keys: tuple[str, ...] = MAIN_KEYS) -> list[Control]:
    """The controls of ``keys`` that exist (plus every field of a ``patient`` section)."""
    out = section_controls(scenario, "patient") if keys is MAIN_KEYS else []
    for key in keys:
        c = find_control(scenario, key)
        if c is not None:
            out.append(c)
    return out


def slider_step(c: ParamCard) -> float:
    """A round step giving about 100-1000 positions over the card's range."""
    if c.integer:
        return 1
    span = c.high - c.low
    step = 10.0 ** math.floor(math.log10(span / 100.0))
    return float(step)


def wants_slider(c: ParamCard) -> bool:
    """Sliders for modest finite ranges; number boxes (bounded) for ranges over decades."""
    if not (math.isfinite(c.low) and math.isfinite(c.high)):
        return False
    if c.integer:
        return c.high - c.low <= 200
    if c.low > 0:
        return c.high / c.low <= 1000
    return c.high <= 1e4


def make_widget(control: Control) -> Any:
    """A Panel widget bounded by the card's range; tagged ``ctl:<key>`` for scripts."""
    import panel as pn

    c = control.card
    common = {"description": control.help, "tags": [f"ctl:{control.key}"],
              "sizing_mode": "stretch_width"}
    value = control.value
    cls: Any
    kw: dict[str, Any]
    if value is None:  # an optional setting left unset (e.g. months since isotretinoin)
        cls, kw = pn.widgets.FloatInput, {
            "start": float(c.low) if math.isfinite(c.low) else None,
            "end": float(c.high) if math.isfinite(c.high) else None}
    elif c.integer:
        if wants_slider(c):
            cls, kw = pn.widgets.IntSlider, {"start": int(c.low), "end": int(c.high), "step": 1}
        else:
            cls, kw = pn.widgets.IntInput, {"start": int(c.low), "end": int(min(c.high, 2**53)),
                                            "step": 1}
        value = int(value)
    elif wants_slider(c):
        step = slider_step(c)
        cls, kw = pn.widgets.FloatSlider, {"start": float(c.low), "end": float(c.high),
                                           "step": step, "format": _format_for(step)}
        value = float(value)
    else:
        cls, kw = pn.widgets.FloatInput, {
            "start": float(c.low) if math.isfinite(c.low) else None,
            "end": float(c.high) if math.isfinite(c.high) else None}
        value = float(value)
    if "description" not in cls.param:
        common.pop("description")
    return widget(cls, control.label, value=value, **kw, **common)


def widget(cls: Any, text: str, **kwargs: Any) -> Any:
    """A widget labelled ``text`` (``label`` in newer Panel, ``name`` in older)."""
    return cls(**({"label": text} if "label" in cls.param else {"name": text}), **kwargs)


def with_help(widget: Any, control: Control) -> Any:
    """The widget with the card's help text as a tooltip icon (for widgets without one)."""
    import panel as pn

    if "description" in widget.param:
        return widget
    return pn.Row(widget, pn.widgets.TooltipIcon(value=control.help, margin=(25, 0, 0, 0)),
                  sizing_mode="stretch_width")


def _format_for(step: float) -> str:
    decimals = max(0, -math.floor(math.log10(step))) if step < 1 else 0
    return f"0.{'0' * decimals}" if decimals else "0"


def watched_parameter(widget: Any) -> str:
    """The widget parameter to watch: ``value_throttled`` for sliders (one update per drag)."""
    return "value_throttled" if "value_throttled" in widget.param else "value"
