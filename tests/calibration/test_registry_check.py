"""Posterior predictive check of the whole registry (dermsim.calibration.check)."""

import math
from pathlib import Path

import numpy as np
import pytest

from dermsim.calibration.check import (
    MODEL_OPERATORS,
    add_registry_check,
    checkable,
    inside,
    registry_observations,
    registry_table,
)
from dermsim.calibration.posterior import open_posterior
from dermsim.calibration.registry import OPERATORS, load_registry

DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_model_operators_are_registry_operators():
    assert MODEL_OPERATORS <= set(OPERATORS)


def test_every_mapped_observation_is_checked():
    """Rows with a model output and a model-side operator all enter the check."""
    ids = {o.id for o in registry_observations()}
    for o in load_registry().values():
        if o.operator in MODEL_OPERATORS and o.output != "-" and o.device:
            assert o.id in ids
    assert len(ids) >= 25


def test_inside_uses_the_stated_uncertainty_or_window():
    o = load_registry()["wound_neutrophil_peak"]          # 1.5 ± 0.5 day
    assert inside(1.9, 2.5, o) and inside(0.5, 1.1, o)
    assert not inside(2.1, 3.0, o) and not inside(math.nan, 2.0, o)
    d = load_registry()["eldomyati2015_I_3mo"]            # direction: [0, inf]
    assert inside(2.0, 8.0, d) and not inside(-5.0, -1.0, d)


def test_check_adds_quantiles_and_table(tmp_path):
    """Two members of the shipped posterior on a few observations: quantiles ordered, table
    rows for each, fitted flags from the posterior's observations."""
    post = open_posterior()
    import dermsim.calibration.check as chk

    few = [o for o in registry_observations()
           if o.id in ("wound_neutrophil_peak", "donnelly2010_depth")]
    orig = chk.registry_observations
    chk.registry_observations = lambda: few
    try:
        out = add_registry_check(post, 2, {"h_um": 20.0, "width_um": 1500.0},
                                 {"remodelling.cell_width_um": 250.0})
    finally:
        chk.registry_observations = orig
    q = out["registry_predictive"].values
    assert q.shape == (3, 2) and np.all(q[0] <= q[1]) and np.all(q[1] <= q[2])
    table = registry_table(out)
    assert "`wound_neutrophil_peak`" in table and "`donnelly2010_depth`" in table
    assert "of 2 observations inside" in table


def test_validation_page_carries_the_shipped_check():
    """docs/validation.md shows the registry check of the posterior that ships."""
    post = open_posterior()
    if "registry_predictive" not in post:
        pytest.skip("the shipped posterior has no registry check")
    page = (DOCS / "validation.md").read_text(encoding="utf-8")
    assert registry_table(post) in page


def test_checkable_needs_a_device():
    o = load_registry()["xue2015_I_III_ratio"]
    assert not checkable(o)


def test_uncertainty_page_describes_the_shipped_posterior():
    """docs/uncertainty.md's generated section matches the posterior that ships (rerun
    `python -m dermsim.calibration.check docs/uncertainty.md` after a new calibration)."""
    from dermsim.calibration.check import posterior_section

    page = (DOCS / "uncertainty.md").read_text(encoding="utf-8")
    assert posterior_section(open_posterior()) in page


def test_column_and_workers_are_checked():
    from dermsim.calibration.sampler import calibrate
    from dermsim.errors import DermsimError

    with pytest.raises(DermsimError, match="--column-um"):
        calibrate(["remodelling.synthesis_fold_max"], walkers=4, steps=2, column_um=5.0)
    with pytest.raises(DermsimError, match="--workers"):
        calibrate(["remodelling.synthesis_fold_max"], walkers=4, steps=2, workers=0)
