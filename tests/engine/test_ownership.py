"""engine/ownership.py: a completion writes only the fields its task owns (docs/forms.md)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from engine import Engine, FieldsNotOwned
from engine.models import Deployment
from tests.conftest import EngineWith
from tests.engine.bpmn_builder import flow, process


def _field(fid: str) -> str:
    return f'<camunda:formField id="{fid}" label="{fid}" type="string"/>'


def _form(*fields: str) -> str:
    return ("<bpmn:extensionElements><camunda:formData>" + "".join(_field(f) for f in fields)
            + "</camunda:formData></bpmn:extensionElements>")


OWNED = process("owned", "\n".join([
    '<bpmn:extensionElements><camunda:properties>'
    '<camunda:property name="computed" value="risk_colour, handle_deadline"/>'
    '</camunda:properties></bpmn:extensionElements>',
    '<bpmn:startEvent id="begin"/>',
    '<bpmn:scriptTask id="classify"><bpmn:script>risk_colour = "red"</bpmn:script></bpmn:scriptTask>',
    f'<bpmn:userTask id="assign_leader" camunda:candidateGroups="coordinator">{_form("case_leader")}</bpmn:userTask>',
    f'<bpmn:userTask id="site_visit" camunda:candidateGroups="case_handler">{_form("visit_notes")}</bpmn:userTask>',
    '<bpmn:manualTask id="call_back" camunda:candidateGroups="case_handler"/>',
    '<bpmn:endEvent id="finish"/>',
    flow("f1", "begin", "classify"), flow("f2", "classify", "assign_leader"),
    flow("f3", "assign_leader", "site_visit"), flow("f4", "site_visit", "call_back"),
    flow("f5", "call_back", "finish"),
]))


def _at_site_visit(engine: Engine) -> tuple[int, str]:
    inst = engine.start("owned", {"title": "张某"}, actor="clerk")
    inst = engine.complete(inst.tasks[0].id, {"case_leader": "leader"}, actor="coordinator")
    return inst.id, inst.tasks[0].id


def test_a_task_with_a_form_writes_only_its_own_fields(engine_with: EngineWith) -> None:
    engine = engine_with(OWNED)
    iid, task_id = _at_site_visit(engine)
    before, events = engine.instance(iid).data, len(engine.history(iid))
    with pytest.raises(FieldsNotOwned) as refused:
        engine.complete(task_id, {"visit_notes": "见面", "case_leader": "handler",
                                  "risk_colour": "green", "petitioner_names": "王某"}, actor="handler")
    assert refused.value.fields == ["case_leader", "petitioner_names", "risk_colour"]
    assert "case_leader" in str(refused.value)
    # Refused means nothing changed: same data, task still ready, no event written.
    assert engine.instance(iid).data == before and len(engine.history(iid)) == events
    assert engine.task(task_id).state == "ready"
    after = engine.complete(task_id, {"visit_notes": "见面"}, actor="handler")
    assert after.data["case_leader"] == "leader" and after.data["visit_notes"] == "见面"


def test_a_form_less_task_writes_only_fields_no_form_declares_and_never_computed_ones(
        engine_with: EngineWith) -> None:
    engine = engine_with(OWNED)
    iid, task_id = _at_site_visit(engine)
    call_back = engine.complete(task_id, {"visit_notes": "见面"}, actor="handler").tasks[0].id
    for stolen in ({"case_leader": "handler"}, {"visit_notes": "改写"}, {"handle_deadline": "2099-01-01"}):
        with pytest.raises(FieldsNotOwned):
            engine.complete(call_back, stolen, actor="handler")
    done = engine.complete(call_back, {"call_result": "已回电"}, actor="handler")
    assert done.status == "completed" and done.data["call_result"] == "已回电"
    assert done.data["case_leader"] == "leader" and done.data["risk_colour"] == "red"


@pytest.mark.sqlite_only
def test_computed_fields_are_declared_once_per_process(engine_with: EngineWith) -> None:
    engine = engine_with(OWNED)
    with engine.sessionmaker() as s:
        elements = s.scalar(select(Deployment.elements))
    assert elements["owned"]["computed"] == ["risk_colour", "handle_deadline"]
