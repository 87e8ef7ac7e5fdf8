"""Cases built by hand for the ledger export and report tests: a one-task process started with the
case data a registered, triaged case carries (its task due when the data says)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from engine import Engine, FakeClock
from tests.conftest import EngineWith
from tests.processes.conftest import Driver
from tests.processes.test_backlog_campaign import START, publish_and_investigate

#: start → 化解 (a task due at `work_due`) → end: the case data is what the test gives.
CASE_BPMN = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="defs_ledger_case" targetNamespace="http://anjie.test">
  <bpmn:process id="ledger_case" name="台账案件" isExecutable="true">
    <bpmn:startEvent id="registered" />
    <bpmn:sequenceFlow id="f1" sourceRef="registered" targetRef="resolve_case" />
    <bpmn:userTask id="resolve_case" name="化解" camunda:candidateGroups="case_handler" camunda:dueDate="work_due" />
    <bpmn:sequenceFlow id="f2" sourceRef="resolve_case" targetRef="closed" />
    <bpmn:endEvent id="closed" />
  </bpmn:process>
</bpmn:definitions>
"""


def add_case(engine: Engine, key: str, *, due_in_days: float, **data: Any) -> int:
    """Start one case with business key `key`, its task due `due_in_days` from the clock."""
    now: datetime = engine.clock()
    values: dict[str, Any] = dict(
        petitioner_names="张某", petitioner_count=1, subject="land_acquisition", demand="补偿",
        campaign_id="c-2026", backlog_case=True, risk_colour="yellow", case_class="B", case_leader="wang",
        case_handler="li",
        received_at="2026-02-20", handling_deadline="2026-04-20T18:00:00+08:00",
        work_due=(now + timedelta(days=due_in_days)).isoformat())
    values.update(data)
    return engine.start("ledger_case", values, actor="clerk", business_key=key).id


def campaign_in_resolve_phase(engine_with: EngineWith, clock: FakeClock) -> Driver:
    """The four-phase campaign c-2026 with its cases assigned: the resolve phase (1 Apr–31 May) runs."""
    d = Driver(engine_with, clock, save_restore=False)
    d.engine.deploy(CASE_BPMN, actor="designer")
    d.start("backlog_campaign", START)
    publish_and_investigate(d, 14)
    d.advance(days=16)  # 1 April
    d.complete("assign_ledger_cases", assigned_case_count=4, assignment_letter_ref="doc:a", assigned_to="liu")
    return d
