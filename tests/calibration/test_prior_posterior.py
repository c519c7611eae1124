"""A posterior as the prior of a new fit (``dermsim fit --prior-posterior FILE``): the joint
normal fitted to its members, its Bayesian update by data, and one-line errors."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from dermsim.calibration.fit import parse_data
from dermsim.calibration.likelihood import ForwardModel, LogPosterior
from dermsim.calibration.posterior import prior_from_posterior
from dermsim.calibration.priors import priors_for
from dermsim.cli import main

pytest.importorskip("emcee")

HEADER = "output,value,sd,unit,time_day,layer,operator\n"
FOLD = "remodelling.synthesis_fold_max"
ERY = "remodelling.erythema_mediator_half_life_h"


def _posterior(values: dict[str, np.ndarray]) -> xr.Dataset:
    names = list(values)
    v = np.stack([values[n] for n in names], axis=1)
    return xr.Dataset({"value": (("member", "parameter"), v)},
                      coords={"parameter": names, "member": np.arange(v.shape[0])},
                      attrs={"kind": "dermsim posterior"})


def test_joint_normal_fitted_to_the_members() -> None:
    rng = np.random.default_rng(3)
    th = rng.multivariate_normal([math.log(3.0), math.log(6.0)],
                                 [[0.04, 0.03], [0.03, 0.09]], size=400)
    post = _posterior({FOLD: np.exp(th[:, 0]), ERY: np.exp(th[:, 1])})
    priors = priors_for([ERY, FOLD, "remodelling.collagen_half_life_y"])
    new, joint = prior_from_posterior(post, priors, "p.nc")
    assert joint.index == (0, 1)  # order of the calibration, not of the file
    np.testing.assert_allclose(joint.mean, [math.log(6.0), math.log(3.0)], atol=0.04)
    np.testing.assert_allclose(joint.cov, [[0.09, 0.03], [0.03, 0.04]], atol=0.015)
    assert new[1].value == pytest.approx(3.0, rel=0.05)
    assert new[1].sigma == pytest.approx(0.2, rel=0.1)
    assert new[2] == priors[2]  # not in the posterior: its card prior
    lp = LogPosterior(new, ForwardModel([]), joint)
    centre = [joint.mean[0], joint.mean[1], priors[2].centre]
    assert lp.log_prior(centre) == pytest.approx(0.0)
    # correlated: moving both together costs less than moving them against each other
    d = np.array([0.2, 0.2, 0.0])
    assert lp.log_prior(centre + d) > lp.log_prior(centre + d * [1, -1, 0])
    assert lp.log_prior([joint.mean[0], math.log(1e6), priors[2].centre]) == -math.inf


def test_posterior_prior_is_updated_by_the_data(monkeypatch) -> None:
    """Prior N(μ0, σ0²) on θ = ln(fold) from the members, data y = a + bθ ± sd: the sampled
    posterior is the conjugate normal update (narrower than the prior, moved toward the
    data)."""
    from dermsim.calibration.sampler import calibrate

    mu0, s0, a, b, sd = math.log(2.5), 0.25, 0.0, 20.0, 2.0
    rng = np.random.default_rng(0)
    th = mu0 + s0 * rng.standard_normal(2000)
    th = (th - th.mean()) / th.std(ddof=1) * s0 + mu0  # exact moments
    post0 = _posterior({FOLD: np.exp(th)})
    y = a + b * math.log(3.5)  # the data point to a larger fold

    def predict(self, values):
        return np.array([a + b * math.log(values[FOLD])])

    monkeypatch.setattr(ForwardModel, "predict", predict)
    obs = parse_data(HEADER + f"collagen_total_rel_change,{y},{sd},%,30,dermis,\n")
    post = calibrate([FOLD], walkers=16, steps=600, burn=100, members=2000,
                     predictive_members=0, observations=obs, scenario_table={"name": "x"},
                     start="prior", prior=post0, prior_source="p.nc")
    s1 = (1 / s0**2 + b**2 / sd**2) ** -0.5
    mu1 = s1**2 * (mu0 / s0**2 + b * (y - a) / sd**2)
    chain = np.log(post["chain"].values[100:, :, 0].ravel())
    assert chain.mean() == pytest.approx(mu1, abs=0.15 * s1)
    assert chain.std() == pytest.approx(s1, rel=0.2)
    assert chain.std() < 0.6 * s0 and mu0 < chain.mean() < math.log(3.5)
    assert "p.nc" in post.attrs["prior"]
    assert float(post["prior_sigma"].values[0]) == pytest.approx(s0, rel=1e-6)


@pytest.fixture
def small_fit(tmp_path: Path, small_scenario_dict: dict) -> tuple[Path, Path]:
    import tomli_w

    cfg = tmp_path / "sc.toml"
    cfg.write_text(tomli_w.dumps({**small_scenario_dict,
                                  "grid": {"h_um": 50.0, "width_um": 1500.0}}))
    data = tmp_path / "data.csv"
    data.write_text(HEADER + "collagen_total_rel_change,12,3,%,30,dermis,\n")
    return cfg, data


def test_fit_from_a_posterior_file(tmp_path: Path, small_fit, capsys) -> None:
    cfg, data = small_fit
    rng = np.random.default_rng(1)
    prior = tmp_path / "prior.nc"
    _posterior({FOLD: np.exp(math.log(2.5) + 0.2 * rng.standard_normal(32))}).to_netcdf(prior)
    out = tmp_path / "fit.nc"
    rc = main(["fit", str(data), "--scenario", str(cfg), "--prior-posterior", str(prior),
               "--walkers", "4", "--steps", "3", "--predictive", "0", "--no-figure",
               "-o", str(out)])
    assert rc == 0
    post = xr.load_dataset(out)
    assert list(post["parameter"].values) == [FOLD]  # the prior's parameters by default
    assert str(prior) in post.attrs["prior"] and "prior: " in capsys.readouterr().out


@pytest.mark.parametrize("content, message", [
    (None, "cannot read"),
    ("not a netcdf file\nsecond line\n", "cannot read"),
    ("posterior-without-the-parameter", "holds none of the fitted parameters"),
])
def test_bad_prior_posterior_is_one_error_line(tmp_path: Path, small_fit, capsys,
                                               content: str | None, message: str) -> None:
    cfg, data = small_fit
    prior = tmp_path / "prior.nc"
    if content == "posterior-without-the-parameter":
        _posterior({"remodelling.collagen_half_life_y": np.full(4, 15.0)}).to_netcdf(prior)
    elif content is not None:
        prior.write_text(content)
    rc = main(["fit", str(data), "--scenario", str(cfg), "--prior-posterior", str(prior),
               "--param", FOLD, "--walkers", "4", "--steps", "3", "-q",
               "-o", str(tmp_path / "fit.nc")])
    err = capsys.readouterr().err
    assert rc == 2 and message in err and err.count("\n") == 1, err
