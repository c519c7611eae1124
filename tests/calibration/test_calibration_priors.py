"""Priors from parameter cards: width by evidence tag, truncation to the card range."""

from __future__ import annotations

import math

import numpy as np
import pytest

from dermsim.calibration.priors import TAG_SIGMA, prior_for, priors_for
from dermsim.errors import DermsimError


def test_tag_widths_grow_with_uncertainty() -> None:
    order = [TAG_SIGMA[t] for t in ("V", "C", "S", "U", "A")]
    assert order == sorted(order) and len(set(order)) == 5


def test_lognormal_prior_from_card() -> None:
    from dermsim.calibration.priors import card_by_name

    c = card_by_name("remodelling.synthesis_fold_max")  # range [0, 100], tag S
    p = prior_for("remodelling.synthesis_fold_max")
    v = float(c.value)  # type: ignore[attr-defined]
    assert p.log and p.value == v and p.sigma == TAG_SIGMA[c.tag]  # type: ignore[attr-defined]
    assert p.log_pdf(math.log(v)) == 0.0
    assert p.log_pdf(math.log(2 * v)) < p.log_pdf(math.log(1.5 * v)) < 0.0
    assert p.log_pdf(math.log(200.0)) == -math.inf  # outside the card range
    draws = np.exp(p.sample(np.random.default_rng(1), 2000))
    assert np.all((draws >= p.low) & (draws <= p.high))
    assert abs(np.median(draws) / v - 1) < 0.05


def test_card_at_zero_gets_a_normal_prior() -> None:
    p = prior_for("remodelling.erythema_neutrophil_drive")  # value 0, range [0, 10]
    assert not p.log and p.log_pdf(-0.1) == -math.inf and p.log_pdf(0.0) == 0.0


def test_unknown_card_and_duplicates_are_one_line_errors() -> None:
    with pytest.raises(DermsimError, match="no parameter card"):
        prior_for("remodelling.synthesis_fold_maxx")
    with pytest.raises(DermsimError, match="twice"):
        priors_for(["remodelling.synthesis_fold_max"] * 2)
