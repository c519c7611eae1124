"""Sensitivity analysis of sweep results (dermsim.sweep.sensitivity, dermsim.sweep.designs).

The indices are checked on analytic functions with known indices, built directly as sweep
Datasets (no simulation): a linear function (Morris mu* = |coefficient|, sigma = 0) and the
Ishigami function (Sobol' S1 and ST known in closed form; Ishigami & Homma 1990, Saltelli et
al. 2010).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import xarray as xr

from dermsim.errors import DermsimError
from dermsim.sweep.designs import sample_unit, unit_design
from dermsim.sweep.sensitivity import indices, indices_table

pytest.importorskip("SALib")


def _dataset(kind: str, x: np.ndarray, y: np.ndarray, *, levels: int = 4,
             second_order: bool = False) -> xr.Dataset:
    names = [f"p.x{i}" for i in range(x.shape[1])]
    ds = xr.Dataset(
        {"y": ("run", y, {"units": "1", "long_name": "test outcome"}),
         "design_unit": (("run", "parameter"), x)},
        coords={"run": np.arange(len(y)), "parameter": names})
    ds.attrs.update({"design": kind, "design_levels": levels,
                     "design_second_order": int(second_order), "sweep_name": "t"})
    return ds


@pytest.mark.parametrize("kind,n,d,second,rows", [
    ("morris", 6, 3, False, 6 * 4),
    ("saltelli", 16, 3, False, 16 * 5),
    ("saltelli", 16, 2, True, 16 * 6),
])
def test_designs_shape_range_and_seed(kind, n, d, second, rows):
    u = sample_unit(kind, n, d, seed=5, second_order=second)
    assert u.shape == (rows, d)
    assert (u >= 0).all() and (u <= 1).all()
    np.testing.assert_array_equal(u, sample_unit(kind, n, d, seed=5, second_order=second))
    assert not np.array_equal(u, sample_unit(kind, n, d, seed=6, second_order=second))


@pytest.mark.parametrize("kind,n", [("lhs", 10), ("sobol", 8), ("random", 5)])
def test_unit_design_sampled_kinds(kind, n):
    u = unit_design(kind, n, 3, seed=1)
    assert u.shape == (n, 3) and (u >= 0).all() and (u < 1).all()
    np.testing.assert_array_equal(u, unit_design(kind, n, 3, seed=1))


def test_morris_linear_function_and_failed_trajectory():
    x = sample_unit("morris", 12, 3, seed=3)
    y = 2.0 * x[:, 0] - 0.5 * x[:, 1]
    ix = indices(_dataset("morris", x, y), "y")
    np.testing.assert_allclose(ix["mu_star"].values, [2.0, 0.5, 0.0], atol=1e-9)
    np.testing.assert_allclose(ix["mu"].values, [2.0, -0.5, 0.0], atol=1e-9)
    np.testing.assert_allclose(ix["sigma"].values, 0.0, atol=1e-9)
    assert ix.attrs["trajectories_used"] == 12
    y_nan = y.copy()
    y_nan[5] = np.nan  # a failed run removes its trajectory (the 2nd of 4 runs each)
    ix = indices(_dataset("morris", x, y_nan), "y")
    assert ix.attrs["trajectories_used"] == 11
    np.testing.assert_allclose(ix["mu_star"].values, [2.0, 0.5, 0.0], atol=1e-9)
    table = indices_table(_dataset("morris", x, y), "y").splitlines()
    assert table[0] == "sensitivity of y (morris)"
    assert [ln.split()[0] for ln in table[2:]] == ["p.x0", "p.x1", "p.x2"]  # by mu*


def test_sobol_indices_of_the_ishigami_function():
    a, b = 7.0, 0.1
    x = sample_unit("saltelli", 1024, 3, seed=1)
    z = -math.pi + 2 * math.pi * x
    y = np.sin(z[:, 0]) + a * np.sin(z[:, 1]) ** 2 + b * z[:, 2] ** 4 * np.sin(z[:, 0])
    var = a**2 / 8 + b * math.pi**4 / 5 + b**2 * math.pi**8 / 18 + 0.5
    v1 = 0.5 * (1 + b * math.pi**4 / 5) ** 2
    v2 = a**2 / 8
    v13 = b**2 * math.pi**8 * (1 / 18 - 1 / 50)
    s1 = [v1 / var, v2 / var, 0.0]
    st = [(v1 + v13) / var, v2 / var, v13 / var]
    ix = indices(_dataset("saltelli", x, y), "y")
    np.testing.assert_allclose(ix["S1"].values, s1, atol=0.06)
    np.testing.assert_allclose(ix["ST"].values, st, atol=0.06)
    assert (ix["S1_conf"].values > 0).all()
    table = indices_table(_dataset("saltelli", x, y), "y").splitlines()
    assert [ln.split()[0] for ln in table[2:]] == ["p.x0", "p.x1", "p.x2"]  # by ST


def test_second_order_indices():
    x = sample_unit("saltelli", 512, 2, seed=2, second_order=True)
    y = x[:, 0] * x[:, 1]  # pure interaction on top of two main effects
    ix = indices(_dataset("saltelli", x, y, second_order=True), "y")
    assert ix["S2"].dims == ("parameter", "parameter2")
    assert ix["S2"].values[0, 1] > 0.0


def test_errors_are_clear():
    x = sample_unit("saltelli", 8, 2, seed=0)
    y = x.sum(axis=1)
    with pytest.raises(DermsimError, match="morris or saltelli"):
        indices(_dataset("lhs", x, y), "y")
    with pytest.raises(DermsimError, match="not an outcome"):
        indices(_dataset("saltelli", x, y), "nope")
    y[3] = np.nan
    with pytest.raises(DermsimError, match="1 of 32 are NaN"):
        indices(_dataset("saltelli", x, y), "y")
    xm = sample_unit("morris", 3, 2, seed=0)
    ym = xm.sum(axis=1)
    ym[[0, 3]] = np.nan  # two of three trajectories fail
    with pytest.raises(DermsimError, match="fewer than 2 trajectories"):
        indices(_dataset("morris", xm, ym), "y")
