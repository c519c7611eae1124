"""Patient modifiers: contraindication warnings, the PIH risk index and keloid history."""

from __future__ import annotations

from pathlib import Path

import pytest

import dermsim
from dermsim.cli import main
from dermsim.errors import ConfigError
from dermsim.patient import PatientConfig, patient_warnings, pih_risk_index


def _scenario(base: dict, **patient) -> dict:
    return {**base, "grid": {"h_um": 50.0, "width_um": 1500.0}, "patient": patient}


def test_isotretinoin_warning_in_cli(tmp_path: Path, capsys, small_scenario_dict) -> None:
    import tomli_w

    cfg = tmp_path / "iso.toml"
    cfg.write_text(tomli_w.dumps(_scenario(small_scenario_dict, isotretinoin_months_ago=2)))
    assert main(["run", str(cfg), "-o", str(tmp_path), "--no-figure", "-q"]) == 0
    err = capsys.readouterr().err
    assert "warning" in err and "isotretinoin" in err
    ds = dermsim.open_result(tmp_path / "small.nc")
    assert "isotretinoin" in ds.attrs["patient_warnings"]


@pytest.mark.parametrize("fields, word", [
    ({"isotretinoin_months_ago": 7}, None),
    ({"radiotherapy_months_ago": 3}, "radiotherapy"),
    ({"radiotherapy_months_ago": 13}, None),
    ({"active_infection": True}, "infection"),
    ({"pregnant_or_breastfeeding": True}, "pregnancy"),
    ({"keloid_history": True}, "keloid"),
    ({"phototype": 5}, "hyperpigmentation"),
])
def test_warnings(fields: dict, word: str | None) -> None:
    lines = patient_warnings(PatientConfig(**fields))
    assert (word is None and not lines) or any(word in ln for ln in lines)


def test_invalid_patient_values_are_config_errors(small_scenario_dict) -> None:
    with pytest.raises(ConfigError, match="patient.phototype"):
        dermsim.load_scenario(_scenario(small_scenario_dict, phototype=7))
    with pytest.raises(ConfigError, match="patient.isotretinoin_months_ago"):
        dermsim.load_scenario(_scenario(small_scenario_dict, isotretinoin_months_ago=-1))


def test_pih_index_rises_with_phototype_injury_and_inflammation() -> None:
    by_type = [pih_risk_index(p, 2.0, 800.0) for p in range(1, 7)]
    assert by_type == sorted(by_type) and len(set(by_type)) == 6
    assert pih_risk_index(4, 1.0, 800.0) < pih_risk_index(4, 3.0, 800.0)
    assert pih_risk_index(4, 2.0, 200.0) < pih_risk_index(4, 2.0, 800.0)
    assert pih_risk_index(6, 0.0, 800.0) == 0.0
    assert 0.0 <= pih_risk_index(6, 1e3, 1e6) <= 1.0


def test_phototype_and_keloid_move_the_outputs(small_scenario_dict) -> None:
    """Darker phototype → higher PIH index for the same treatment; keloid history → more
    collagen (the exaggerated fibrotic response); no [patient] table → no index."""
    plain = dermsim.simulate(dermsim.load_scenario(
        {**small_scenario_dict, "grid": {"h_um": 50.0, "width_um": 1500.0}}))
    assert "pih_risk_index" not in plain and "patient_warnings" not in plain.attrs
    light = dermsim.simulate(dermsim.load_scenario(_scenario(small_scenario_dict, phototype=2)))
    dark = dermsim.simulate(dermsim.load_scenario(_scenario(small_scenario_dict, phototype=6)))
    assert 0 < float(light["pih_risk_index"]) < float(dark["pih_risk_index"]) <= 1
    keloid = dermsim.simulate(dermsim.load_scenario(
        _scenario(small_scenario_dict, phototype=2, keloid_history=True)))
    c0 = dermsim.scalar_outcomes(light)["collagen_I_change_pct"]
    c1 = dermsim.scalar_outcomes(keloid)["collagen_I_change_pct"]
    assert c1 > c0 > 0
    assert dermsim.scalar_outcomes(plain)["collagen_I_change_pct"] == pytest.approx(c0)


def test_keloid_effect_is_applied_once_on_rerun(small_scenario_dict) -> None:
    """The stored config keeps the card value; re-running it gives the same result."""
    import tomllib

    keloid = dermsim.simulate(dermsim.load_scenario(
        _scenario(small_scenario_dict, keloid_history=True)))
    table = tomllib.loads(keloid.attrs["config_toml"])
    assert "synthesis_fold_max" not in table.get("remodelling", {})
    again = dermsim.simulate(dermsim.load_scenario(table))
    assert dermsim.scalar_outcomes(again)["collagen_I_change_pct"] == pytest.approx(
        dermsim.scalar_outcomes(keloid)["collagen_I_change_pct"])


def test_report_shows_patient_warnings(tmp_path: Path, small_scenario_dict) -> None:
    from dermsim.viz.report import build_html

    ds = dermsim.simulate(dermsim.load_scenario(
        _scenario(small_scenario_dict, isotretinoin_months_ago=1)))
    html = build_html(ds, validation="skip")
    assert "warning: isotretinoin 1 months ago" in html
