"""processes/risk_colour.dmn: every rule reachable at triage, giving its documented colour and class."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.conftest import PROCESSES, EngineWith
from tests.processes.conftest import SHIPPED
from tests.processes.test_petition_case import REGISTER

PLAIN = {**REGISTER, "backlog_case": False, "repeat_count": 0, "subject": "other"}
HARD = {"three_cross": True}
#: rule id -> (what the registration says beyond a plain fresh matter, colour, class)
RULES: dict[str, tuple[dict[str, Any], str, str]] = {
    "rule_1": ({"repeat_count": 3}, "red", "C"),
    "rule_2": ({"escalated_petition": True, "subject": "demolition"}, "red", "C"),
    "rule_3": ({"escalated_petition": True}, "red", "B"),
    "rule_4": ({"extreme_statement": True, "three_separation": True}, "red", "C"),
    "rule_5": ({"extreme_statement": True}, "red", "B"),
    "rule_6": ({"collective_petition": True, "repeat_count": 1, **HARD}, "red", "C"),
    "rule_7": ({"collective_petition": True, "repeat_count": 2}, "red", "B"),
    "rule_8": ({"collective_petition": True, "subject": "land_acquisition"}, "yellow", "C"),
    "rule_9": ({"collective_petition": True}, "yellow", "B"),
    "rule_10": ({"repeat_count": 2, "subject": "enterprise_restructuring"}, "yellow", "C"),
    "rule_11": ({"repeat_count": 1}, "yellow", "B"),
    "rule_12": ({"backlog_case": True, "three_separation": True}, "yellow", "C"),
    "rule_13": ({"backlog_case": True}, "yellow", "B"),
    "rule_14": (HARD, "green", "C"),
    "rule_15": ({}, "green", "B"),
}


def test_every_rule_of_the_table_has_a_test() -> None:
    table = (PROCESSES / "risk_colour.dmn").read_text(encoding="utf-8")
    assert re.findall(r'<rule id="(\w+)"', table) == list(RULES)


@pytest.mark.sqlite_only
@pytest.mark.parametrize("rule", list(RULES))
def test_rule_gives_its_colour_and_class(rule: str, engine_with: EngineWith) -> None:
    flags, colour, case_class = RULES[rule]
    engine = engine_with(*SHIPPED)
    case = engine.start("petition_case", {}, actor="clerk")
    steps = (("register_petition", {**PLAIN, **flags}), ("check_acceptance", {"accept_decision": "accepted"}))
    for element, data in steps:
        task = next(t for t in engine.tasks(instance_id=case.id) if t.element_id == element)
        engine.complete(task.id, data, actor="clerk")
    data = engine.instance(case.id).data
    assert (data["risk_colour"], data["case_class"]) == (colour, case_class)
