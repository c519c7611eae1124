"""The result schema: one table of units, long names, labels and better directions."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from dermsim import metrics, schema


def test_every_outcome_has_units_long_name_and_description():
    assert len(schema.OUTCOME_NAMES) == len(set(schema.OUTCOME_NAMES))
    for q in schema.OUTCOMES:
        assert q.units and q.long_name and q.short and q.description, q.name
        assert q.better in ("higher", "lower", None)
    assert metrics.OUTCOME_NAMES == schema.OUTCOME_NAMES
    assert metrics.OUTCOME_ATTRS["downtime_h"] == ("h", schema.get("downtime_h").long_name)


def test_label_and_units():
    assert schema.label("max_temperature_C") == "maximum RF tissue temperature [°C]"
    assert schema.label("ratio_I_III_end") == "collagen I : III ratio"  # dimensionless
    assert schema.pretty_units("mm3/cm2") == "mm³/cm²"
    assert schema.pretty_units("1 (relative to baseline)") == "relative to baseline"
    da = xr.DataArray(np.zeros(2), dims="z", name="z", attrs={"units": "um",
                                                              "long_name": "depth"})
    assert schema.label(da) == "depth [µm]"  # the DataArray's own attrs win
    bare = xr.DataArray(np.zeros(2), dims="z", name="effective_depth")
    assert schema.label(bare) == "mean effective depth of the needles [µm]"  # schema fills in


def test_better_directions():
    assert schema.better("downtime_h") == "lower"
    assert schema.better("collagen_I_change_pct") == "higher"
    assert schema.better("effective_depth_um") is None
    assert {"downtime_h", "max_temperature_C", "bleeding_fraction"} <= schema.lower_is_better()
    assert "collagen_I_change_pct" not in schema.lower_is_better()


def test_unknown_name_suggests():
    with pytest.raises(KeyError, match="downtime_h"):
        schema.get("downtime")


def test_apply_sets_attrs_and_keeps_others():
    ds = xr.Dataset({"injury": ("z", np.zeros(3), {"flag": 1, "units": "wrong"})})
    schema.apply(ds)
    assert ds["injury"].attrs["units"] == "1" and ds["injury"].attrs["flag"] == 1
    assert ds["injury"].attrs["long_name"] == schema.VARIABLE["injury"].long_name


def test_outcomes_csv_has_units_and_every_outcome():
    text = metrics.outcomes_csv({"a": {"downtime_h": 12.5}, "b": {}})
    lines = text.strip().splitlines()
    assert lines[0] == "outcome,long_name,units,better,a,b"
    assert len(lines) == 1 + len(schema.OUTCOME_NAMES)
    row = next(x for x in lines if x.startswith("downtime_h,"))
    assert row.endswith(",h,lower,12.5,")
