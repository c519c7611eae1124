"""Scenario loading and validation: every bad field gets one clear line."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dermsim import ConfigError, DermsimError, load_scenario, with_overrides
from dermsim.config import Scenario


def test_baseline_loads():
    s = load_scenario("configs/baseline.toml")
    assert isinstance(s, Scenario)
    assert s.name == "baseline"
    assert s.skin.site == "cheek"
    assert s.device.kind == "pen"
    assert 1000.0 <= s.device.needle_length_um <= 1500.0
    assert s.protocol.sessions == 4 and s.protocol.interval_days == 28.0


def test_round_trip_through_dict_and_toml():
    import tomllib

    s = load_scenario("configs/baseline.toml")
    assert load_scenario(s.to_dict()) == s
    assert load_scenario(tomllib.loads(s.to_toml())) == s


@pytest.mark.parametrize(
    ("table", "field", "fragment"),
    [
        ({"device": {"preset": "pen_12", "needle_length_um": -5}}, "device.needle_length_um",
         "[50, 5000]"),
        ({"device": {"preset": "pen_12", "needle_length_um": 0}}, "device.needle_length_um",
         "[50, 5000]"),
        ({"device": {"preset": "pen_12", "needle_length_um": 6000}}, "device.needle_length_um",
         "[50, 5000]"),
        ({"device": {"preset": "pen_12", "needle_length_um": math.nan}},
         "device.needle_length_um", "NaN"),
        ({"device": {"preset": "pen_99"}}, "device.preset", "one of"),
        ({"skin": {"site": "cheeck"}}, "skin.site", "did you mean 'cheek'"),
        ({"protocol": {"interval_days": 0.5}}, "protocol.interval_days", "[1, 365]"),
        ({"protocol": {"sessions": 0}}, "protocol.sessions", "[1, 50]"),
        ({"protocol": {"sessions": 2.5}}, "protocol.sessions", "whole number"),
        ({"device": {"preset": "pen_12", "needle_lenght_um": 1000}}, "device.needle_lenght_um",
         "did you mean 'needle_length_um'"),
        ({"devices": {}}, "devices", "did you mean 'device'"),
        ({"device": {"preset": "pen_12", "hand_speed_mm_s": 0}}, "device.hand_speed_mm_s",
         "[1, 200]"),
        ({"device": {"preset": "dermaroller_mf8", "needles": 0}}, "device.needles", "[8, 2000]"),
        ({"skin": {"site": "periorbital"}, "device": {"preset": "pen_12",
                                                     "needle_length_um": 2500}},
         "device.needle_length_um", "longer than the skin"),
        ({"grid": {"h_um": -1}}, "grid.h_um", "[1, 50]"),
        ({"seed": "abc"}, "seed", "a number"),
    ],
)
def test_bad_values_name_field_value_and_range(table, field, fragment):
    with pytest.raises(ConfigError) as info:
        load_scenario(table)
    msg = str(info.value)
    assert msg.startswith(field), msg
    assert fragment in msg, msg
    assert "\n" not in msg


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(DermsimError, match="not found"):
        load_scenario(tmp_path / "nope.toml")


def test_invalid_toml_is_a_clear_error(tmp_path):
    p = tmp_path / "bad.toml"
    p.write_text("name = \n")
    with pytest.raises(DermsimError, match="invalid TOML"):
        load_scenario(p)


def test_with_overrides_revalidates():
    s = load_scenario("configs/baseline.toml")
    s2 = with_overrides(s, {"device.needle_length_um": 1500, "protocol.sessions": 6})
    assert s2.device.needle_length_um == 1500 and s2.protocol.sessions == 6
    assert s.device.needle_length_um != 1500  # original untouched (frozen)
    with pytest.raises(ConfigError, match="device.needle_length_um"):
        with_overrides(s, {"device.needle_length_um": -1})
    s3 = with_overrides(s, {"device.preset": "dermaroller_mf8"})
    assert s3.device.kind == "roller"


def test_per_session_overrides_and_maintenance():
    s = load_scenario({
        "protocol": {"sessions": 3, "interval_days": 21, "maintenance_sessions": 1,
                     "maintenance_interval_days": 180,
                     "session": [{"session": 3, "needle_length_um": 500.0}]},
    })
    days = [x.day for x in s.protocol.timeline()]
    assert days == [0.0, 21.0, 42.0, 222.0]
    assert s.protocol.device_for(3, s.device).needle_length_um == 500.0
    assert s.protocol.device_for(2, s.device).needle_length_um == s.device.needle_length_um
    # an invalid session number is named by its entry; everything else by its session number
    with pytest.raises(ConfigError, match=r"protocol.session.session = 5: .*\(entry 1 of"):
        load_scenario({"protocol": {"sessions": 2, "session": [{"session": 5}]}})
    with pytest.raises(ConfigError, match=r"protocol.session\[2\].needle_length_um = -3"):
        load_scenario({"protocol": {"sessions": 2,
                                    "session": [{"session": 2, "needle_length_um": -3}]}})
    with pytest.raises(ConfigError, match=r"protocol.session\[2\].needle_length_um = 4900"):
        load_scenario({"skin": {"site": "periorbital"},
                       "device": {"preset": "pen_12", "needle_length_um": 500.0},
                       "protocol": {"sessions": 2,
                                    "session": [{"session": 2, "needle_length_um": 4900}]}})


@settings(max_examples=60, deadline=None)
@given(st.floats(allow_nan=True, allow_infinity=True))
def test_needle_length_accepted_iff_in_range(value):
    table = {"device": {"preset": "pen_12", "needle_length_um": value}}
    ok = (not math.isnan(value)) and 50.0 <= value <= 5000.0 and value < 4975.0
    if ok:
        assert load_scenario(table).device.needle_length_um == value
    else:
        with pytest.raises(ConfigError):
            load_scenario(table)


@settings(max_examples=40, deadline=None)
@given(st.floats(min_value=-1e3, max_value=1e3, allow_nan=False))
def test_interval_accepted_iff_at_least_a_day(value):
    table = {"protocol": {"interval_days": value}}
    if 1.0 <= value <= 365.0:
        assert load_scenario(table).protocol.interval_days == value
    else:
        with pytest.raises(ConfigError, match="protocol.interval_days"):
            load_scenario(table)
