"""Validation cases: every case passes, and deliberately broken parameters make cases fail."""

from __future__ import annotations

import argparse

import numpy as np
import pytest

from dermsim import cli, validation
from dermsim.errors import ConfigError
from dermsim.validation import CASES, parameter_overrides, run_cases

EXPECTED = ("V1", "V2", "V4", "V6", "V7", "V8", "V9", "V10", "V11", "V12", "V13", "V14",
            "V15")


@pytest.fixture(scope="module")
def all_results():
    return {r.name: r for r in run_cases()}


def test_every_science_case_is_registered():
    assert tuple(CASES) == EXPECTED


@pytest.mark.parametrize("name", EXPECTED)
def test_case_passes(all_results, name):
    r = all_results[name]
    assert r.status == "pass", (r.status, r.message, r.obtained, r.notes)
    assert r.target and r.obtained and r.tolerance and r.reference
    assert any(n.startswith("[ok]") for n in r.notes)


def test_broken_penetration_parameter_fails_v7():
    """A mis-calibrated but allowed impact efficiency moves the 600 µm pen off its anchor."""
    with parameter_overrides({"penetration.eta_impact": 0.5}):
        (r,) = run_cases("V7")
    assert r.status == "fail"
    assert any(n.startswith("[FAIL] (b)") for n in r.notes)
    # the override is gone afterwards
    assert run_cases("V7")[0].status == "pass"


def test_broken_parameter_via_run_cases_argument():
    res = run_cases(["V7"], overrides={"penetration.eta_quasistatic": 0.6})
    assert res[0].status == "fail"
    assert any(n.startswith("[FAIL] (a)") for n in res[0].notes)


@pytest.mark.filterwarnings("ignore:Matrix is exactly singular")
def test_zero_diffusivity_breaks_the_analytic_cases(monkeypatch):
    """A solver that ignores conduction (all face coefficients zero) fails V1, V2 and V6."""
    import dermsim.tissue as tissue

    real = tissue.face_coefficients

    def zero_faces(cell):
        fx, fz = real(cell)
        return np.zeros_like(fx), np.zeros_like(fz)

    monkeypatch.setattr(tissue, "face_coefficients", zero_faces)
    res = {r.name: r.status for r in run_cases(["V1", "V2", "V6"])}
    assert res == {"V1": "fail", "V2": "fail", "V6": "fail"}


def test_broken_remodelling_parameter_fails_a_case():
    """Collagen I at its allowed maximum baseline share breaks the 80:15 baseline check."""
    from dermsim.parameters import registered_cards

    cards = {c.name: c for c in registered_cards()}
    card = cards["remodelling.collagen_I_baseline"]
    value = card.low if abs(card.low - card.value) > 0.05 else card.high
    res = run_cases("V9", overrides={"remodelling.collagen_I_baseline": value})
    assert res[0].status in ("fail", "error")


def test_override_names_and_ranges_are_checked():
    with pytest.raises(ConfigError, match="parameter card"):
        with parameter_overrides({"penetration.eta_impakt": 0.5}):
            pass
    with pytest.raises(ConfigError, match="eta_impact"):
        with parameter_overrides({"penetration.eta_impact": 5.0}):
            pass


def test_unavailable_stage_reports_na():
    @validation.case("VX", "none", "none")
    def vx(ctx):
        """A case needing a stage that does not exist."""
        ctx.require("dermsim.no_such_stage")
        return "", "", True

    try:
        (r,) = run_cases("VX")
        assert r.status == "n/a" and "no_such_stage" in r.message
    finally:
        CASES.pop("VX")


def test_crashing_case_reports_error():
    @validation.case("VY", "none", "none")
    def vy(ctx):
        """A case that raises."""
        raise RuntimeError("boom")

    try:
        (r,) = run_cases("VY")
        assert r.status == "error" and "boom" in r.message
    finally:
        CASES.pop("VY")


def test_only_selects_and_rejects_unknown_names():
    assert [r.name for r in run_cases("v1, V2")] == ["V1", "V2"]
    with pytest.raises(ConfigError, match="--only"):
        run_cases("V99")


def test_layered_exact_solution_is_continuous():
    t = validation.layered_pennes_exact(validation.JIANG_LAYERS, 34.0, 37.0, 37.0, 1060 * 3770)
    tops = np.cumsum([0.0] + [lay[1] for lay in validation.JIANG_LAYERS])
    assert t(0.0)[0] == pytest.approx(34.0)
    assert t(tops[-1])[0] == pytest.approx(37.0)
    eps = 1e-9
    for z in tops[1:-1]:
        assert t(z - eps)[0] == pytest.approx(t(z + eps)[0], abs=1e-6)


def test_markdown_page_with_figures(tmp_path):
    res = run_cases(["V1", "V7"], figures=True)
    page = validation.write_markdown(res, tmp_path / "docs" / "validation.md")
    text = page.read_text(encoding="utf-8")
    assert "| case | what is checked | target | obtained | tolerance | result |" in text
    for name in ("V1", "V7"):
        png = tmp_path / "docs" / "figures" / f"validation_{name}.png"
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert f"(figures/validation_{name}.png)" in text
    assert validation.status_from_markdown(page) == {"V1": "pass", "V7": "pass"}


@pytest.fixture
def cli_main(monkeypatch):
    sub = next(a for a in cli.build_parser()._actions
               if isinstance(a, argparse._SubParsersAction))
    if "validate" not in sub.choices:
        monkeypatch.setattr(cli, "EXTRA_COMMANDS", [*cli.EXTRA_COMMANDS, validation.add_cli])
    return cli.main


def test_cli_prints_target_obtained_tolerance(cli_main, capsys):
    assert cli_main(["validate", "--only", "V1,V7"]) == 0
    out = capsys.readouterr().out
    for word in ("target", "obtained", "tolerance", "PASS", "2 of 2 validation cases pass"):
        assert word in out


def test_cli_broken_parameter_exits_1(cli_main, capsys):
    assert cli_main(["validate", "--only", "V7", "--set", "penetration.eta_impact=0.5"]) == 1
    out = capsys.readouterr().out
    assert "FAIL" in out and "0 of 1" in out


def test_cli_rejects_bad_set_and_partial_write(cli_main, capsys):
    assert cli_main(["validate", "--set", "nonsense"]) == 2
    assert cli_main(["validate", "--only", "V1", "--write", "x.md"]) == 2
    err = capsys.readouterr().err
    assert "NAME=VALUE" in err and "--write" in err


def test_import_is_light():
    """Importing the validation package (and so ``dermsim validate --help``) loads neither
    numpy nor matplotlib."""
    import subprocess
    import sys

    code = ("import sys, dermsim.validation; "
            "print(any(m in sys.modules for m in ('numpy', 'matplotlib')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"


def test_format_results_counts_statuses():
    res = [validation.CaseResult("A", "a", "r", "t", status="pass"),
           validation.CaseResult("B", "b", "r", "t", status="fail"),
           validation.CaseResult("C", "c", "r", "t", status="n/a", message="no stage")]
    text = validation.format_results(res)
    assert text.splitlines()[-1] == "1 of 3 validation cases pass (1 fail, 1 n/a)"
    assert "reason     no stage" in text


@pytest.mark.parametrize("name", ["V2", "V4", "V6", "V11"])
def test_each_case_draws_its_figure(name):
    (r,) = run_cases(name, figures=True)
    assert r.figure is not None and len(r.figure.axes) >= 2


def test_v7_anchor_labels_are_unique():
    (r,) = run_cases("V7")
    labels = [n.split("]", 1)[1].split(")", 1)[0].strip() + ")" for n in r.notes
              if n.startswith("[")]
    assert labels == ["(a)", "(b)", "(c)", "(d)"]
    assert "(d)" in r.obtained
