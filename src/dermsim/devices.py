"""Needle devices: dermaroller, motorized pen, stamp and RF-microneedling tip.

Every device kind is a frozen dataclass implementing the abstract base class :class:`Device`
(puncture density per pass, insertion velocity, force per needle, needle spacing); its fields
are parameter cards. Presets modelled on published devices (Schwarz & Laaff 2011, Hantash et
al. 2009, Harth et al. 2014, …) fill in the values, and any field can be overridden in a
scenario's ``[device]`` table. Devices know their geometry and kinematics but nothing about the
skin grid.

Puncture densities: roller ``N/A = 1 / (p_circ · p_axial)``, pen ``N/A = n · f / (v · w)``
(geometry; Schwarz & Laaff 2011 for the MF8 pitch); needle lengths, diameters and counts are
the ranges of practice reviews (Alster & Graham 2018, Dermatol Surg 44:397 [S]).
"""

from __future__ import annotations

import abc
import dataclasses
import math
from dataclasses import dataclass
from typing import Any, ClassVar

from dermsim.errors import ConfigError
from dermsim.parameters import card, param_field, validate_dataclass

_SRC_NEEDLE = "practitioner ranges 0.1-0.25 mm (Alster & Graham 2018) [S]"

NEEDLE_LENGTH = card("device.needle_length_um", 1500.0, "um", 50.0, 5000.0,
                     "device ranges 0.2-3.5 mm (Alster & Graham 2018 [S]; Secret RF "
                     "0.5-3.5 mm [V])", "S",
                     "nominal needle length (protrusion beyond the device face)")
NEEDLE_DIAMETER = card("device.needle_diameter_um", 250.0, "um", 30.0, 600.0, _SRC_NEEDLE, "S",
                       "needle shaft diameter")
TIP_RADIUS = card("device.tip_radius_um", 4.0, "um", 0.5, 100.0,
                  "Kalluri et al., AAPS J 2011 (steel roller needle) [V]", "V",
                  "radius of curvature of the needle tip")
TIP_LENGTH = card("device.tip_length_um", 300.0, "um", 10.0, 2000.0,
                  "bevel/cone length of 30-33G needles [U]", "U",
                  "length of the conical tip over which the needle widens to its shaft")
PASSES = card("device.passes", 3, "-", 1, 50, "typical practice 2-4 passes [U]", "U",
              "passes over the same skin in one session", integer=True)


@dataclass(frozen=True)
class Device(abc.ABC):
    """Abstract base of every device kind: the needle geometry, the number of passes and the
    kinematics each kind must provide (:meth:`punctures_per_cm2_per_pass`,
    :meth:`insertion_velocity_m_s`, :meth:`force_per_needle_N`, :attr:`needle_tip_spacing_um`).
    """

    kind: ClassVar[str] = "device"
    #: multiplier of ``penetration.depth_cv`` for this kind of device: hand-held needles
    #: scatter fully; a rigid, motor-driven pin array far less (Sasaki 2019: depths close to
    #: nominal [V]; factor [A])
    depth_scatter: ClassVar[float] = 1.0
    needle_length_um: float = param_field(NEEDLE_LENGTH)
    needle_diameter_um: float = param_field(NEEDLE_DIAMETER)
    tip_radius_um: float = param_field(TIP_RADIUS)
    tip_length_um: float = param_field(TIP_LENGTH)
    passes: int = param_field(PASSES)

    def validate(self) -> None:
        """Check every field against its parameter card."""
        validate_dataclass(self, "device")

    @abc.abstractmethod
    def punctures_per_cm2_per_pass(self) -> float:
        """Areal puncture density of one pass [1/cm²]."""

    def punctures_per_cm2(self) -> float:
        """Areal puncture density of a whole session [1/cm²]."""
        return self.punctures_per_cm2_per_pass() * self.passes

    @abc.abstractmethod
    def insertion_velocity_m_s(self) -> float:
        """Needle speed at skin contact [m/s]."""

    @abc.abstractmethod
    def force_per_needle_N(self) -> float:
        """Force available to drive one needle into the skin [N]."""

    @property
    @abc.abstractmethod
    def needle_tip_spacing_um(self) -> float:
        """Distance between neighbouring needles on the device [µm] (bed-of-nails check)."""

    def describe(self) -> dict[str, Any]:
        """Derived kinematics as plain numbers, for tables and JSON."""
        return {
            "kind": self.kind,
            "punctures_per_cm2_per_pass": self.punctures_per_cm2_per_pass(),
            "punctures_per_cm2": self.punctures_per_cm2(),
            "insertion_velocity_m_s": self.insertion_velocity_m_s(),
            "force_per_needle_N": self.force_per_needle_N(),
        }


@dataclass(frozen=True)
class Roller(Device):
    """Dermaroller: needles on a rolling drum (quasi-static insertion).

    Puncture density per pass is one needle per circumferential × axial pitch,
    ``N/A = 1 / (p_circ · p_axial)`` with ``p_circ = π D / n_circ`` and
    ``p_axial = W / n_axial`` (Schwarz & Laaff 2011 MF8: 15.3 cm⁻² per pass [C]).
    """

    kind: ClassVar[str] = "roller"
    needles: int = param_field(card("device.roller.needles", 192, "-", 8, 2000,
                                    "Schwarz & Laaff, PRS 2011 (MF8) [V]", "V",
                                    "needles on the drum", integer=True))
    needle_rows_axial: int = param_field(card("device.roller.needle_rows_axial", 8, "-", 1, 100,
                                              "Schwarz & Laaff 2011 [V]", "V",
                                              "needles along the drum axis", integer=True))
    drum_diameter_mm: float = param_field(card("device.roller.drum_diameter_mm", 20.0, "mm", 5.0,
                                               60.0, "Schwarz & Laaff 2011 [V]", "V",
                                               "drum diameter"))
    drum_width_mm: float = param_field(card("device.roller.drum_width_mm", 20.0, "mm", 5.0, 60.0,
                                            "Schwarz & Laaff 2011 [V]", "V", "drum width"))
    rolling_speed_mm_s: float = param_field(card("device.roller.rolling_speed_mm_s", 20.0, "mm/s",
                                                 1.0, 200.0, "hand rolling, assumption", "A",
                                                 "hand speed while rolling"))
    hand_force_N: float = param_field(card("device.roller.hand_force_N", 7.0, "N", 0.5, 50.0,
                                           "5-10 N hand load on 1-2 engaged rows of 8 needles "
                                           "(Schwarz & Laaff 2011 geometry) [C]", "C",
                                           "force pressing the roller onto the skin"))

    def punctures_per_cm2_per_pass(self) -> float:
        n_circ = self.needles / self.needle_rows_axial
        p_circ_cm = math.pi * self.drum_diameter_mm / n_circ / 10.0
        p_axial_cm = self.drum_width_mm / self.needle_rows_axial / 10.0
        return 1.0 / (p_circ_cm * p_axial_cm)

    def insertion_velocity_m_s(self) -> float:
        # a needle on a rolling drum enters the skin at about the rolling speed
        return self.rolling_speed_mm_s * 1e-3

    def force_per_needle_N(self) -> float:
        # one or two axial rows engaged at a time (drum geometry [C]): take 1.5 rows
        return self.hand_force_N / (1.5 * self.needle_rows_axial)

    @property
    def needle_tip_spacing_um(self) -> float:
        return 1000.0 * self.drum_width_mm / self.needle_rows_axial


@dataclass(frozen=True)
class Pen(Device):
    """Motorized microneedling pen: a cartridge stamping at the stroke frequency while moved.

    Density per pass ``N/A = n · f / (v_scan · w_tip)`` (geometry [C]); the needle
    speed at skin contact is the mean stroke speed ``2 · s · f`` of a stroke of length ``s``.
    """

    kind: ClassVar[str] = "pen"
    needles: int = param_field(card("device.pen.needles", 12, "-", 1, 100,
                                    "cartridges of 11-36 needles (Dermapen 11 [V]; later "
                                    "12-36 [S])", "S",
                                    "needles in the cartridge", integer=True))
    stroke_frequency_hz: float = param_field(card("device.pen.stroke_frequency_hz", 100.0, "Hz",
                                                  10.0, 200.0,
                                                  "Dermapen up to 90 Hz [V]; SkinPen 117 Hz [S]",
                                                  "S", "stroke frequency"))
    stroke_length_mm: float = param_field(card("device.pen.stroke_length_mm", 2.5, "mm", 0.5, 6.0,
                                               "cam travel of pens [U]", "U",
                                               "needle travel per stroke (motor cam)"))
    hand_speed_mm_s: float = param_field(card("device.pen.hand_speed_mm_s", 20.0, "mm/s", 1.0,
                                              200.0, "hand speed ~2 cm/s, assumption", "A",
                                              "speed at which the pen is moved over the skin"))
    tip_width_mm: float = param_field(card("device.pen.tip_width_mm", 5.0, "mm", 1.0, 20.0,
                                           "cartridge face ~0.5 cm, assumption", "A",
                                           "width of the needle cartridge face"))
    drive_force_N: float = param_field(card("device.pen.drive_force_N", 5.0, "N", 0.5, 50.0,
                                            "motor/spring drive force [U]", "U",
                                            "force driving the cartridge into the skin"))

    def punctures_per_cm2_per_pass(self) -> float:
        return (self.needles * self.stroke_frequency_hz
                / (self.hand_speed_mm_s / 10.0 * self.tip_width_mm / 10.0))

    def insertion_velocity_m_s(self) -> float:
        return 2.0 * self.stroke_length_mm * 1e-3 * self.stroke_frequency_hz

    def force_per_needle_N(self) -> float:
        return self.drive_force_N / self.needles

    @property
    def needle_tip_spacing_um(self) -> float:
        return 1000.0 * self.tip_width_mm / max(1.0, math.sqrt(self.needles))


@dataclass(frozen=True)
class Stamp(Device):
    """Stamp: a flat needle array pressed by hand (quasi-static), stamped repeatedly."""

    kind: ClassVar[str] = "stamp"
    needles: int = param_field(card("device.stamp.needles", 35, "-", 1, 1000,
                                    "derma-stamps of 35-140 needles [U]", "U",
                                    "needles in the stamp", integer=True))
    array_area_mm2: float = param_field(card("device.stamp.array_area_mm2", 50.0, "mm2", 1.0,
                                             1000.0, "derma-stamp heads [U]", "U",
                                             "area of the needle array"))
    press_speed_mm_s: float = param_field(card("device.stamp.press_speed_mm_s", 10.0, "mm/s",
                                               1.0, 3000.0,
                                               "hand press [A]; spring applicators 1-3 m/s "
                                               "(Verbaan 2008) [V]", "A",
                                               "needle speed at skin contact"))
    hand_force_N: float = param_field(card("device.stamp.hand_force_N", 10.0, "N", 0.5, 100.0,
                                           "hand load [A]", "A", "force pressing the stamp"))

    def punctures_per_cm2_per_pass(self) -> float:
        return self.needles / (self.array_area_mm2 / 100.0)

    def insertion_velocity_m_s(self) -> float:
        return self.press_speed_mm_s * 1e-3

    def force_per_needle_N(self) -> float:
        return self.hand_force_N / self.needles

    @property
    def needle_tip_spacing_um(self) -> float:
        return 1000.0 * math.sqrt(self.array_area_mm2 / self.needles)


@dataclass(frozen=True)
class RFTip(Device):
    """RF-microneedling tip: a pin array inserted by a motor, delivering RF at the exposed tips.

    Pins are insulated from the device face over ``insulated_fraction`` of the needle length
    (so the exposed tip scales with the set needle length, as the depth setting of a device
    moves the whole pin) and conduct over the rest; ``insulated_length_um``, when given,
    fixes the insulated length instead. A non-insulated pin has ``insulated_fraction = 0``.
    In bipolar mode neighbouring pins have opposite polarity; in monopolar mode
    (``bipolar = false``) every pin is active and the current returns through a pad.
    """

    kind: ClassVar[str] = "rf_tip"
    depth_scatter: ClassVar[float] = 0.33
    pins: int = param_field(card("device.rf.pins", 49, "-", 2, 200,
                                 "7x7 arrays, Skin Res Technol 2019 [V]", "V",
                                 "pins in the tip", integer=True))
    pin_pitch_um: float = param_field(card("device.rf.pin_pitch_um", 1000.0, "um", 200.0, 5000.0,
                                           "7x7 pins on ~1 cm2 tips [U]; Profound 1.25 mm [V]", "U",
                                           "distance between neighbouring pins"))
    insulated_fraction: float = param_field(card(
        "device.rf.insulated_fraction", 0.8, "-", 0.0, 0.95,
        "insulated shafts with conducting tips, Secret RF / Infini [V]; fraction [U] "
        "(1.2 of 1.5 mm)", "U", "fraction of the needle length insulated from the face"))
    insulated_length_um: float | None = None
    bipolar: bool = True
    insertion_speed_mm_s: float = param_field(card("device.rf.insertion_speed_mm_s", 500.0,
                                                   "mm/s", 1.0, 3000.0,
                                                   "motorized insertion [A]; Sasaki 2019: depth "
                                                   "close to nominal [V]", "A",
                                                   "pin speed at skin contact"))
    drive_force_N: float = param_field(card("device.rf.drive_force_N", 20.0, "N", 1.0, 100.0,
                                            "motor drive [U]", "U", "force driving the pins"))

    def validate(self) -> None:
        super().validate()
        ins = self.insulated_length_um
        if ins is not None and not (0.0 <= ins < self.needle_length_um):
            raise ConfigError("device.insulated_length_um", ins,
                              f"[0, {self.needle_length_um:g}) um (less than the needle length, "
                              "so that some of the pin is exposed)")

    @property
    def insulation_um(self) -> float:
        """Insulated length of each pin from the face [µm]."""
        if self.insulated_length_um is not None:
            return self.insulated_length_um
        return self.insulated_fraction * self.needle_length_um

    @property
    def exposed_length_um(self) -> float:
        """Length of the conducting tip of each pin [µm]."""
        return self.needle_length_um - self.insulation_um

    def punctures_per_cm2_per_pass(self) -> float:
        return 1e8 / self.pin_pitch_um**2

    def insertion_velocity_m_s(self) -> float:
        return self.insertion_speed_mm_s * 1e-3

    def force_per_needle_N(self) -> float:
        return self.drive_force_N / self.pins

    @property
    def needle_tip_spacing_um(self) -> float:
        return self.pin_pitch_um


DEVICE_KINDS: dict[str, type[Device]] = {
    "roller": Roller,
    "pen": Pen,
    "stamp": Stamp,
    "rf_tip": RFTip,
}

#: Presets modelled on published devices (sources in each description). Values not listed take
#: card defaults.
DEVICE_PRESETS: dict[str, tuple[str, dict[str, Any], str]] = {
    "dermaroller_mf8": ("roller", {"needles": 192, "needle_rows_axial": 8, "needle_diameter_um":
                                   250.0, "needle_length_um": 1500.0, "passes": 4,
                                   "tip_radius_um": 4.0},
                        "Dermaroller MF8: 192 needles, 8x24, 0.25 mm, drum 2x2 cm "
                        "(Schwarz & Laaff 2011 [V])"),
    "dermaroller_192": ("roller", {"needles": 192, "needle_diameter_um": 100.0,
                                   "needle_length_um": 1000.0, "passes": 15,
                                   "tip_length_um": 150.0},
                        "standard 192-needle roller, 0.1 mm needles; "
                        "15 passes ≈ 250 holes/cm² [S]"),
    "pen_12": ("pen", {"needles": 12, "stroke_frequency_hz": 100.0, "needle_diameter_um": 250.0,
                       "needle_length_um": 1500.0, "passes": 3},
               "motorized pen, 12-needle cartridge, 100 Hz (Dermapen-like [V]/[S])"),
    "dermapen_11": ("pen", {"needles": 11, "stroke_frequency_hz": 90.0,
                            "needle_length_um": 1500.0, "passes": 3},
                    "Dermapen (2012): 11 needles, up to 90 Hz [V]"),
    "pen_36": ("pen", {"needles": 36, "stroke_frequency_hz": 100.0, "needle_length_um": 1000.0,
                       "tip_width_mm": 8.0, "passes": 2},
               "36-needle cartridge pen [S]"),
    "skinpen_14": ("pen", {"needles": 14, "stroke_frequency_hz": 117.0,
                           "needle_length_um": 1500.0, "passes": 3},
                   "SkinPen-like: 14 needles, 7000 rpm ≈ 117 Hz, 0-2.5 mm [S]/[U]"),
    "stamp_35": ("stamp", {"needles": 35, "array_area_mm2": 50.0, "needle_length_um": 1000.0,
                           "passes": 3},
                 "hand derma-stamp, 35 needles [U]"),
    "rf_insulated_49": ("rf_tip", {"pins": 49, "pin_pitch_um": 1000.0, "needle_length_um": 1500.0,
                                   "insulated_fraction": 0.8, "needle_diameter_um": 250.0,
                                   "passes": 1, "bipolar": True},
                        "7x7 insulated 1 MHz bipolar tip, distal 20 % of the pin exposed "
                        "(Infini-like; Skin Res Technol 2019 [V])"),
    "rf_monopolar_49": ("rf_tip", {"pins": 49, "pin_pitch_um": 1000.0, "needle_length_um": 1500.0,
                                   "insulated_fraction": 0.8, "needle_diameter_um": 250.0,
                                   "passes": 1, "bipolar": False},
                        "7x7 insulated monopolar tip: all pins active, return pad on the body "
                        "(monopolar RF microneedling, Weiner 2019 [V])"),
    "rf_noninsulated_25": ("rf_tip", {"pins": 25, "pin_pitch_um": 1500.0,
                                      "needle_length_um": 1500.0, "insulated_fraction": 0.0,
                                      "passes": 1, "bipolar": True},
                           "25 non-insulated gold-plated pins (EndyMed Intensif [V])"),
    "rf_profound_5pair": ("rf_tip", {"pins": 10, "pin_pitch_um": 1250.0,
                                     "needle_length_um": 2000.0, "insulated_fraction": 0.5,
                                     "passes": 1, "bipolar": True},
                          "Profound-like: 5 bipolar pairs, 1.25 mm spacing, tip 2 mm deep, "
                          "temperature-controlled 60-80 °C (Hantash 2009 [V])"),
}


def make_device(spec: dict[str, Any]) -> Device:
    """Build a device from a ``[device]`` table.

    ``spec`` holds either ``preset = NAME`` (see :data:`DEVICE_PRESETS`) or ``kind = KIND``
    (see :data:`DEVICE_KINDS`), plus any field overrides (e.g. ``needle_length_um``).
    """
    from dermsim.parameters import build_dataclass, suggest

    spec = dict(spec)
    preset = spec.pop("preset", None)
    kind = spec.pop("kind", None)
    values: dict[str, Any] = {}
    if preset is not None:
        if preset not in DEVICE_PRESETS:
            raise ConfigError("device.preset", preset, f"one of {sorted(DEVICE_PRESETS)}",
                              suggest(str(preset), DEVICE_PRESETS))
        preset_kind, values, _ = DEVICE_PRESETS[preset]
        if kind is not None and kind != preset_kind:
            raise ConfigError("device.kind", kind, f"{preset_kind!r} (the kind of preset {preset})")
        kind = preset_kind
    if kind is None:
        raise ConfigError("device", spec, "a table with 'preset' or 'kind'")
    if kind not in DEVICE_KINDS:
        raise ConfigError("device.kind", kind, f"one of {sorted(DEVICE_KINDS)}",
                          suggest(str(kind), DEVICE_KINDS))
    device = build_dataclass(DEVICE_KINDS[kind], {**values, **spec}, "device")
    device.validate()
    return device


def device_to_dict(device: Device) -> dict[str, Any]:
    """Plain table of a device (kind + every field that is set), round-trips through
    :func:`make_device`; optional fields left at None are omitted (TOML has no null)."""
    fields = {k: v for k, v in dataclasses.asdict(device).items() if v is not None}
    return {"kind": device.kind, **fields}
