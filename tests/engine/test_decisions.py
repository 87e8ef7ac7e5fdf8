"""Trying a decision table (engine/decisions.py), as the designer's "test this table" box does."""

from __future__ import annotations

import pytest

from engine import DiagramInvalid
from tests.conftest import PROCESSES, EngineWith

RISK = PROCESSES / "risk_colour.dmn"
CALM = {"escalated_petition": False, "extreme_statement": False, "collective_petition": False,
        "backlog_case": False, "three_cross": False, "three_separation": False, "subject": "other"}


@pytest.mark.sqlite_only
def test_the_risk_table_says_which_rule_hits_and_the_colour(engine_with: EngineWith) -> None:
    designs = engine_with().designs
    repeated = designs.try_decision(RISK.read_bytes(), {**CALM, "repeat_count": 3})
    assert repeated.rule_ids[0] == "rule_1" and repeated.outputs["risk_colour"] == "red"
    calm = designs.try_decision(RISK.read_bytes(), {**CALM, "repeat_count": 0})
    assert calm.outputs["risk_colour"] == "green"
    with pytest.raises(DiagramInvalid):
        designs.try_decision(RISK.read_bytes(), {})  # inputs the table reads are missing
