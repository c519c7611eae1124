"""Devices and treatment protocols: presets, kinematics, the abstract base, timelines."""

from __future__ import annotations

import math

import pytest

from dermsim.devices import (
    DEVICE_KINDS,
    DEVICE_PRESETS,
    Device,
    Pen,
    RFTip,
    Roller,
    Stamp,
    device_to_dict,
    make_device,
)
from dermsim.errors import ConfigError
from dermsim.protocol import ProtocolConfig

# -- devices -------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(DEVICE_PRESETS))
def test_every_preset_builds_validates_and_round_trips(name: str) -> None:
    dev = make_device({"preset": name})
    kind, values, description = DEVICE_PRESETS[name]
    assert dev.kind == kind and isinstance(dev, DEVICE_KINDS[kind]) and isinstance(dev, Device)
    assert description
    for key, value in values.items():
        assert getattr(dev, key) == value
    info = dev.describe()
    for key in ("punctures_per_cm2_per_pass", "punctures_per_cm2", "insertion_velocity_m_s",
                "force_per_needle_N"):
        assert math.isfinite(info[key]) and info[key] > 0
    assert dev.needle_tip_spacing_um > 0
    assert make_device(device_to_dict(dev)) == dev


def test_device_is_an_abstract_base_class() -> None:
    with pytest.raises(TypeError, match="abstract"):
        Device()  # type: ignore[abstract]
    for cls in DEVICE_KINDS.values():
        assert issubclass(cls, Device)
        assert not getattr(cls, "__abstractmethods__", frozenset())

    class Incomplete(Device):
        def punctures_per_cm2_per_pass(self) -> float:
            return 1.0

    with pytest.raises(TypeError):
        Incomplete()  # type: ignore[abstract]


def test_roller_density_matches_the_mf8_pitch() -> None:
    """MF8: 24 needles around a 2 cm drum (2.62 mm) x 8 rows over 2 cm (2.5 mm): 15.3 /cm²."""
    dev = make_device({"preset": "dermaroller_mf8"})
    assert dev.punctures_per_cm2_per_pass() == pytest.approx(1.0 / (2.0 * math.pi / 24 * 0.25))
    assert dev.punctures_per_cm2_per_pass() == pytest.approx(15.28, abs=0.01)
    assert dev.punctures_per_cm2() == pytest.approx(4 * dev.punctures_per_cm2_per_pass())


def test_pen_density_and_stroke_velocity() -> None:
    """12 needles x 100 Hz / (2 cm/s x 0.5 cm) = 1200 /cm² per pass; 2 s f = 0.5 m/s."""
    dev = Pen(needles=12, stroke_frequency_hz=100.0, hand_speed_mm_s=20.0, tip_width_mm=5.0,
              stroke_length_mm=2.5)
    assert dev.punctures_per_cm2_per_pass() == pytest.approx(1200.0)
    assert dev.insertion_velocity_m_s() == pytest.approx(0.5)
    # twice the frequency: twice the density and twice the stroke speed
    fast = Pen(needles=12, stroke_frequency_hz=200.0, hand_speed_mm_s=20.0, tip_width_mm=5.0,
               stroke_length_mm=2.5)
    assert fast.punctures_per_cm2_per_pass() == pytest.approx(2400.0)
    assert fast.insertion_velocity_m_s() == pytest.approx(1.0)
    # moving the pen faster spreads the punctures
    slow_hand = Pen(needles=12, stroke_frequency_hz=100.0, hand_speed_mm_s=10.0, tip_width_mm=5.0)
    assert slow_hand.punctures_per_cm2_per_pass() == pytest.approx(2400.0)
    assert dev.force_per_needle_N() == pytest.approx(dev.drive_force_N / 12)


def test_quasi_static_devices_are_slower_than_pens() -> None:
    pen = make_device({"preset": "pen_12"})
    for other in (make_device({"preset": "dermaroller_mf8"}), make_device({"preset": "stamp_35"})):
        assert other.insertion_velocity_m_s() < 0.1 * pen.insertion_velocity_m_s()


def test_stamp_and_rf_tip_density() -> None:
    stamp = Stamp(needles=35, array_area_mm2=50.0)
    assert stamp.punctures_per_cm2_per_pass() == pytest.approx(70.0)
    assert stamp.needle_tip_spacing_um == pytest.approx(1000.0 * math.sqrt(50.0 / 35))
    tip = RFTip(pins=49, pin_pitch_um=1000.0, needle_length_um=1500.0, insulated_length_um=1200.0)
    assert tip.punctures_per_cm2_per_pass() == pytest.approx(100.0)
    assert tip.exposed_length_um == pytest.approx(300.0)
    assert tip.depth_scatter < Roller.depth_scatter


def test_overrides_and_errors() -> None:
    dev = make_device({"preset": "pen_12", "needle_length_um": 1000.0, "passes": 5})
    assert dev.needle_length_um == 1000.0 and dev.passes == 5
    assert dev.punctures_per_cm2() == pytest.approx(5 * dev.punctures_per_cm2_per_pass())
    with pytest.raises(ConfigError, match="device.preset"):
        make_device({"preset": "pen_99"})
    with pytest.raises(ConfigError, match="device.kind"):
        make_device({"preset": "pen_12", "kind": "roller"})
    with pytest.raises(ConfigError, match="device.kind"):
        make_device({"kind": "laser"})
    with pytest.raises(ConfigError):
        make_device({})
    with pytest.raises(ConfigError, match="insulated_length_um"):
        make_device({"preset": "rf_insulated_49", "insulated_length_um": 1500.0})
    with pytest.raises(ConfigError, match="needle_length_um"):
        make_device({"preset": "pen_12", "needle_length_um": 10.0})


# -- protocol ------------------------------------------------------------------------------------


def test_default_protocol_timeline() -> None:
    p = ProtocolConfig()
    tl = p.timeline()
    assert [s.index for s in tl] == [1, 2, 3, 4]
    assert [s.day for s in tl] == [0.0, 28.0, 56.0, 84.0]
    assert all(s.kind == "treatment" for s in tl)
    assert p.end_day == pytest.approx(84.0 + 182.0)


def test_maintenance_sessions_follow_the_course() -> None:
    p = ProtocolConfig(sessions=3, interval_days=21.0, maintenance_sessions=2,
                       maintenance_interval_days=180.0, follow_up_days=30.0)
    tl = p.timeline()
    assert [(s.index, s.day, s.kind) for s in tl] == [
        (1, 0.0, "treatment"), (2, 21.0, "treatment"), (3, 42.0, "treatment"),
        (4, 222.0, "maintenance"), (5, 402.0, "maintenance")]
    assert p.end_day == pytest.approx(432.0)


def test_per_session_overrides_change_only_that_session() -> None:
    table = {"sessions": 3, "session": [{"session": 2, "needle_length_um": 1000.0},
                                        {"session": 3, "preset": "dermaroller_mf8"}]}
    p = ProtocolConfig.from_table(table, "protocol")
    dev = make_device({"preset": "pen_12"})
    assert p.device_for(1, dev) is dev
    d2 = p.device_for(2, dev)
    assert d2.kind == "pen" and d2.needle_length_um == 1000.0
    assert d2.needles == dev.needles
    assert p.device_for(3, dev).kind == "roller"
    assert p.timeline()[1].device_overrides == {"needle_length_um": 1000.0}
    assert ProtocolConfig.from_table(p.to_dict(), "protocol") == p


def test_bad_overrides_name_the_session() -> None:
    with pytest.raises(ConfigError, match=r"protocol.session.session = 5"):
        ProtocolConfig.from_table({"sessions": 2, "session": [{"session": 5}]}, "protocol")
    p = ProtocolConfig.from_table(
        {"sessions": 2, "session": [{"session": 2, "needle_length_um": -1.0}]}, "protocol")
    with pytest.raises(ConfigError, match=r"protocol.session\[2\].needle_length_um"):
        p.check_devices(make_device({"preset": "pen_12"}), {"preset": "pen_12"})
