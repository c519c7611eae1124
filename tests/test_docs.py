"""Documentation stays generated from the parameter cards."""

from __future__ import annotations

from dermsim.docs import main


def test_model_md_parameter_tables_up_to_date():
    assert main(["docs/model.md", "--check"]) == 0, "run: python -m dermsim.docs"


def test_every_card_has_source_unit_and_range():
    from dermsim.docs import load_all_cards
    from dermsim.parameters import registered_cards

    load_all_cards()
    cards = registered_cards()
    assert len(cards) > 30
    for c in cards:
        assert c.source and c.unit and c.description, c.name
        assert c.low <= c.high, c.name
