"""Property test: generated configuration tables either load or fail with a dermsim error.

The CI run draws a few hundred tables; the full run draws 3,000::

    DERMSIM_PROPERTY_EXAMPLES=3000 PYTHONPATH=src python -m pytest -q \\
        tests/robustness/test_properties.py

Every table is the small valid scenario with one to four keys replaced by arbitrary values
(wrong types, non-finite and huge numbers, strings with control characters, nested arrays and
tables), whole sections replaced, or unknown keys added. ``load_scenario`` must return a
scenario or raise :class:`dermsim.errors.DermsimError`; a loaded scenario must pass the resource
estimate or be refused with a dermsim error, and must round-trip through ``to_dict``.
"""

from __future__ import annotations

import copy
import os
from typing import Any

from catalogue import BASE
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dermsim.config import load_scenario
from dermsim.errors import DermsimError
from dermsim.parameters import registered_cards
from dermsim.resources import estimate

EXAMPLES = int(os.environ.get("DERMSIM_PROPERTY_EXAMPLES", "300"))

import dermsim.remodelling  # noqa: E402  (registers the stage cards)
import dermsim.signalling  # noqa: E402
import dermsim.thermal  # noqa: E402,F401

_CARD_KEYS = sorted({c.name for c in registered_cards()
                     if c.name.split(".")[0] in ("grid", "protocol", "penetration",
                                                "signalling", "remodelling", "rf", "device",
                                                "seed")})
_STRUCT_KEYS = ["name", "seed", "skin", "skin.site", "skin.thickness_um",
                "skin.thickness_um.reticular_dermis", "skin.thickness_um.hypodermis",
                "device", "device.preset", "device.kind", "device.passes", "protocol",
                "protocol.session", "grid", "grid.depth_um", "penetration", "signalling",
                "remodelling", "rf", "output", "output.directory", "output.figure"]
_KEYS = sorted(set(_STRUCT_KEYS) | {k.replace("device.roller.", "device.")
                                    .replace("device.pen.", "device.")
                                    .replace("device.stamp.", "device.")
                                    .replace("device.rf_tip.", "device.") for k in _CARD_KEYS})

_scalars = st.one_of(
    st.none(), st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0, 1, -1, 0.5, 1e-300, 1e300, 2**63, 1e-200]),
    st.text(max_size=20),
    st.sampled_from(["cheek", "pen_12", "rf_insulated_49", "dermaroller_mf8", "roller",
                     "rf_tip", "", "\x00", "../x", "caf\xe9"]),
)
_values = st.recursive(
    _scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=3),
                            st.dictionaries(st.text(max_size=8), inner, max_size=3),
                            st.lists(st.fixed_dictionaries({"session": st.integers(-2, 6)},
                                                           optional={"needle_length_um": inner,
                                                                     "preset": inner}),
                                     max_size=3)),
    max_leaves=8)


def _set(d: dict[str, Any], path: str, value: Any) -> None:
    keys = path.split(".")
    node = d
    for k in keys[:-1]:
        nxt = node.get(k)
        if not isinstance(nxt, dict):
            nxt = {}
            node[k] = nxt
        node = nxt
    node[keys[-1]] = value


@st.composite
def config_tables(draw: st.DrawFn) -> dict[str, Any]:
    d = copy.deepcopy(BASE)
    for _ in range(draw(st.integers(1, 4))):
        path = draw(st.one_of(st.sampled_from(_KEYS),
                              st.text(min_size=1, max_size=12).filter(lambda s: "." not in s)))
        value = draw(st.one_of(_values, st.sampled_from(["keep"])))
        if value == "keep":
            continue
        _set(d, path, value)
    return d


@settings(max_examples=EXAMPLES, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(config_tables())
def test_generated_configs_load_or_fail_with_dermsim_error(table: dict[str, Any]) -> None:
    try:
        scenario = load_scenario(table)
    except DermsimError as exc:
        assert "\n" not in str(exc)
        return
    try:
        estimate(scenario)
    except DermsimError:
        return
    assert load_scenario(scenario.to_dict()) == scenario
