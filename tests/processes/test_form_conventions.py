"""The shipped diagrams follow docs/forms.md: reasons required when ticked, approval tasks name what
they approve, repeated remarks keep their history, people are picked from users who hold the role."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from tests.conftest import PROCESSES
from tests.processes.conftest import SHIPPED

NS = {"bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL", "camunda": "http://camunda.org/schema/1.0/bpmn"}
PETITION = etree.parse(str(PROCESSES / "petition_case.bpmn"))


def field(task: str, field_id: str) -> etree._Element:
    found = PETITION.xpath(f'//bpmn:userTask[@id="{task}"]//camunda:formField[@id="{field_id}"]', namespaces=NS)
    assert len(found) == 1, (task, field_id)
    return found[0]


@pytest.mark.sqlite_only
@pytest.mark.parametrize(("task", "reason", "tick"), [
    ("confirm_risk_colour", "override_reason", "risk_override"),
    ("follow_up_visit", "repeat_petition_note", "repeat_petition"),
    ("leader_follow_up_visit", "repeat_petition_note", "repeat_petition"),
])
def test_a_reason_is_required_when_its_box_is_ticked(task: str, reason: str, tick: str) -> None:
    rules = field(task, reason).xpath("camunda:validation/camunda:constraint[@name='required_if']/@config",
                                      namespaces=NS)
    assert rules == [tick]


@pytest.mark.sqlite_only
@pytest.mark.parametrize(("task", "keys"), [
    ("approve_case_plan", "handling_class,case_plan"), ("approve_reply", "reply_text"),
    ("approve_extension", "extension_reason,extension_days"),
    ("decide_procedural_closure", "reply_text,not_closed_count")])
def test_approval_tasks_show_what_they_approve(task: str, keys: str) -> None:
    value = PETITION.xpath(f'//bpmn:userTask[@id="{task}"]/bpmn:extensionElements/camunda:properties'
                           '/camunda:property[@name="approves"]/@value', namespaces=NS)
    assert value == [keys]


@pytest.mark.sqlite_only
@pytest.mark.parametrize("diagram", [p for p in SHIPPED if p.suffix == ".bpmn"], ids=lambda p: p.name)
def test_remarks_keep_their_history(diagram: Path) -> None:
    tree = etree.parse(str(diagram))
    remarks = tree.xpath('//camunda:formField[@id="comment"]', namespaces=NS)
    assert remarks
    plain = [r.getparent().getparent().getparent().get("id") for r in remarks
             if not r.xpath('camunda:properties/camunda:property[@id="history"][@value="true"]', namespaces=NS)]
    assert plain == []


@pytest.mark.sqlite_only
@pytest.mark.parametrize(("task", "field_id", "role"), [
    ("assign_case_leader", "case_leader", "case_leader"), ("assign_case_leader", "case_handler", "case_handler"),
    ("reassign_case_leader", "case_leader", "case_leader")])
def test_people_are_picked_from_users_holding_the_role(task: str, field_id: str, role: str) -> None:
    f = field(task, field_id)
    assert f.get("type") == "user"
    assert f.xpath('camunda:properties/camunda:property[@id="role"]/@value', namespaces=NS) == [role]
