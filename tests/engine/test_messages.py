"""engine/messages.py through Engine.correlate: a message reaches the one receiver waiting for it."""

from __future__ import annotations

import pytest

from engine import Engine, MessageNotCorrelated
from engine.chain import passed
from tests.conftest import EngineWith
from tests.engine import bpmn_builder as b
from tests.engine.element_catalogue import catalogue

MESSAGE = '<bpmn:message id="reply_msg" name="petitioner_reply"/>'


def _with_message(doc: str) -> str:
    return doc.replace("</bpmn:definitions>", f"{MESSAGE}</bpmn:definitions>")


def reply_process(pid: str = "await_reply", catcher: str = "receive") -> str:
    """start → wait for the petitioner's reply (receive task or catch event) → read it → end."""
    waits = (
        '<bpmn:receiveTask id="wait_reply" messageRef="reply_msg"/>' if catcher == "receive" else
        '<bpmn:intermediateCatchEvent id="wait_reply"><bpmn:messageEventDefinition messageRef="reply_msg"/>'
        "</bpmn:intermediateCatchEvent>"
    )
    return _with_message(b.process(pid, "\n".join([
        '<bpmn:startEvent id="begin"/>', waits,
        '<bpmn:userTask id="read_reply" name="阅看答复" camunda:candidateGroups="case_handler"/>',
        '<bpmn:endEvent id="finish"/>', b.flow("f1", "begin", "wait_reply"), b.flow("f2", "wait_reply", "read_reply"),
        b.flow("f3", "read_reply", "finish"),
    ])))


def _kinds(engine: Engine, instance_id: int) -> list[str]:
    return [e.type.value for e in engine.history(instance_id)]


@pytest.mark.parametrize("catcher", ["receive", "catch_event"])
def test_a_message_reaches_the_waiting_instance_exactly_once(engine_with: EngineWith, catcher: str) -> None:
    engine = engine_with(reply_process(catcher=catcher))
    one = engine.start("await_reply", {"petition_id": "XF-1"}, actor="clerk", business_key="XF-1")
    two = engine.start("await_reply", {"petition_id": "XF-2"}, actor="clerk", business_key="XF-2")
    after = engine.correlate("petitioner_reply", business_key="XF-2", data={"satisfied": True}, actor="sms-gateway")
    assert after.id == two.id and after.data["satisfied"] is True
    assert [t.element_id for t in after.tasks] == ["read_reply"]
    assert "message_correlated" in _kinds(engine, two.id) and engine.instance(one.id).tasks == []
    with pytest.raises(MessageNotCorrelated) as again:
        engine.correlate("petitioner_reply", business_key="XF-2", actor="sms-gateway")
    assert again.value.matches == 0 and "no instance" in str(again.value)


@pytest.mark.sqlite_only
def test_correlation_keys_pick_the_instance_and_two_matches_are_refused(engine_with: EngineWith) -> None:
    engine = engine_with(reply_process())
    engine.start("await_reply", {"petition_id": "XF-1"}, actor="clerk")
    two = engine.start("await_reply", {"petition_id": "XF-2"}, actor="clerk")
    with pytest.raises(MessageNotCorrelated) as both:
        engine.correlate("petitioner_reply", data={"satisfied": False}, actor="portal")
    assert both.value.matches == 2
    assert all(engine.instance(i).tasks == [] for i in (1, 2)), "a refused message changes nothing"
    after = engine.correlate("petitioner_reply", correlation={"petition_id": "XF-2"}, actor="portal")
    assert after.id == two.id and [t.element_id for t in after.tasks] == ["read_reply"]
    with pytest.raises(MessageNotCorrelated):
        engine.correlate("no_such_message", actor="portal")


@pytest.mark.sqlite_only
def test_a_message_start_event_starts_an_instance(engine_with: EngineWith) -> None:
    doc = catalogue()["start_message"]
    engine = engine_with(doc)
    started = engine.correlate("msg", business_key="XF-9", data={"source": "portal"}, actor="portal")
    assert started.status == "completed" and started.business_key == "XF-9" and started.data["source"] == "portal"


@pytest.mark.sqlite_only
def test_a_message_boundary_event_interrupts_its_task_and_a_gateway_takes_the_message_branch(
    engine_with: EngineWith,
) -> None:
    docs = catalogue()
    engine = engine_with(docs["boundary_message_interrupting"], docs["eventBasedGateway"])
    boundary = engine.start("el_boundary_message_interrupting", actor="clerk")
    assert [t.element_id for t in boundary.tasks] == ["work"]
    after = engine.correlate("msg", correlation={}, business_key=None, actor="portal", data={"withdrawn": True})
    assert after.id == boundary.id and after.status == "completed" and after.tasks == []
    gateway = engine.start("el_eventBasedGateway", actor="clerk")
    assert engine.correlate("msg", actor="portal").status == "completed"
    history = engine.history(gateway.id)
    # An end event with no data is listed in the event before it (history format 3: `passed`).
    events = [(e.type.value, e.element_id) for e in history] + [
        ("element_completed", element) for e in history for element in passed(e.detail)]
    assert ("element_completed", "finish") in events and ("element_completed", "finish_late") not in events
    assert engine.timers() == [], "the gateway's timer went with it"
