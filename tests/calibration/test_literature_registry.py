"""The literature data registry: its content, its validation, and that the validation cases
and the calibration read their targets from it."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from dermsim.calibration import registry
from dermsim.errors import DermsimError

ROOT = Path(__file__).resolve().parents[2]


def test_registry_size_and_sources() -> None:
    reg = registry.load_registry()
    assert len(reg) >= 25
    assert len({o.citation_key for o in reg.values()}) >= 10
    for o in reg.values():
        assert o.unit and o.species and o.method and o.citation
        assert o.operator in registry.OPERATORS
        if math.isfinite(o.value):
            assert o.sd > 0 and o.sd_basis


def test_every_citation_key_is_in_references() -> None:
    refs = (ROOT / "docs" / "references.md").read_text(encoding="utf-8")
    for o in registry.load_registry().values():
        assert f"**{o.citation_key}**" in refs, o.citation_key


def _text() -> str:
    from importlib import resources

    return resources.files("dermsim.data.literature").joinpath(
        "observations.csv").read_text(encoding="utf-8")


@pytest.mark.parametrize("edit, message", [
    (lambda t: t.replace("152.5,9.6", "15x,9.6"), "not a number"),
    (lambda t: t.replace(",effective_depth_um,effective_depth,", ",nonsense,effective_depth,", 1),
     "not a dermsim result variable"),
    (lambda t: t.replace(",effective_depth,,,", ",magic,,,", 1), "unknown operator"),
    (lambda t: t.replace("152.5,9.6", "152.5,0"), "sd > 0"),
    (lambda t: t.replace("id,quantity", "ident,quantity"), "header"),
    (lambda t: t + t.splitlines()[1] + "\n", "appears twice"),
])
def test_malformed_registry_gives_one_line_error(edit, message) -> None:
    with pytest.raises(DermsimError, match=message) as err:
        registry.parse_registry(edit(_text()))
    assert "\n" not in str(err.value)


def test_unknown_id_suggests() -> None:
    with pytest.raises(DermsimError, match="did you mean 'lotfi2013_collagen'"):
        registry.observation("lotfi2013_colagen")


def test_calibration_targets_come_from_the_registry() -> None:
    targets = registry.calibration_targets()
    assert len(targets) >= 5
    reg = registry.load_registry()
    for o in targets:
        assert reg[o.id] is o and "calibration" in o.use and math.isfinite(o.value)


def test_validation_cases_read_their_targets_from_the_registry() -> None:
    """Every observation whose ``use`` names a literature case (V7–V12) is read by that case,
    and every case with literature targets reads at least one."""
    from dermsim.validation import run_cases

    registry.READ_IDS.clear()
    run_cases(only=["V7", "V8", "V9", "V11"], figures=False)
    expected = {o.id for o in registry.load_registry().values()
                if any(u.startswith(("V7", "V8", "V9", "V11")) for u in o.use)}
    assert expected <= registry.READ_IDS, expected - registry.READ_IDS


@pytest.mark.slow
def test_slow_cases_read_their_targets_from_the_registry() -> None:
    import inspect

    from dermsim.validation import remodelling, rf

    # V10 and V12 are minutes long: check their source reads the registry ids instead
    src = inspect.getsource(remodelling.v10_multisession) + inspect.getsource(rf.v12_rf_zones)
    for o in registry.load_registry().values():
        if any(u.startswith(("V10", "V12")) for u in o.use):
            key = "eldomyati2015_" if o.id.startswith("eldomyati") else o.id
            assert key in src, o.id
