"""engine/forms.py through the facade: typed defaults, typed values, rules, pickers, documents,
and deployment refusing a form it cannot read (docs/forms.md)."""

from __future__ import annotations

from typing import Any

import pytest

from engine import DiagramInvalid, Engine, FakeClock, FieldProblem, FormField, FormInvalid, initial_value
from engine.chain import opens
from engine.forms import fields_of
from tests.conftest import DIAGRAMS, EngineWith
from tests.engine import bpmn_builder as b

ALL_FIELDS = DIAGRAMS / "all_fields.bpmn"


def started(engine_with: EngineWith) -> tuple[Engine, str]:
    """An engine with the all-fields diagram, a case started, and its form task's id."""
    engine = engine_with(ALL_FIELDS)
    inst = engine.start("all_fields", {}, actor="clerk")
    return engine, inst.tasks[0].id


def refused(engine: Engine, task_id: str, data: dict[str, Any]) -> dict[str, FieldProblem]:
    with pytest.raises(FormInvalid) as info:
        engine.complete(task_id, data, actor="handler")
    return info.value.problems


def test_unfilled_fields_are_recorded_as_their_typed_defaults(engine_with: EngineWith) -> None:
    engine, tid = started(engine_with)
    inst = engine.complete(tid, {"note": "当面听取"}, actor="handler")
    data = engine_with().instance(inst.id).data  # as stored, read by a second engine
    assert data["days"] == 5 and data["urgent"] is False and data["checked"] is True
    assert data["override"] is False and data["channel"] == "visit" and data["visit_date"] == "2026-03-10"
    # optional fields without a default are null, so a gateway reading them sees a value
    assert data["reason"] is None and data["meeting_date"] is None and data["leader"] is None
    assert [t.element_id for t in inst.tasks] == ["approve"]


def test_submitted_text_is_converted_to_the_field_type(engine_with: EngineWith) -> None:
    engine, tid = started(engine_with)
    inst = engine.complete(tid, {"note": "  两个字 ", "days": "7", "urgent": "true", "checked": "false",
                                 "channel": "letter", "meeting_date": "2026-03-02"}, actor="handler")
    data = engine.instance(inst.id).data
    assert (data["note"], data["days"], data["urgent"], data["checked"], data["channel"]) == \
        ("两个字", 7, True, False, "letter")


@pytest.mark.sqlite_only
@pytest.mark.parametrize(("field", "value", "code"), [
    ("days", "abc", "not_a_number"), ("days", 2.5, "not_a_number"), ("days", True, "not_a_number"),
    ("urgent", "perhaps", "not_a_boolean"), ("meeting_date", "2026-02-30", "not_a_date"),
    ("channel", "email", "not_an_option"), ("days", 31, "max"), ("days", "0", "min"),
    ("note", "x", "minlength"), ("note", "一" * 21, "maxlength"), ("code", "AB-1", "pattern"),
    ("meeting_date", "2026-03-03", "not_future"), ("visit_date", "2026-03-01", "not_past"),
    ("leader", "nobody", "unknown_user"), ("evidence", "0" * 32, "not_a_document"),
    ("photo", "0" * 32, "not_a_document"),
])
def test_each_rule_refuses_naming_the_field(engine_with: EngineWith, field: str, value: Any, code: str) -> None:
    engine, tid = started(engine_with)
    problems = refused(engine, tid, {"note": "两个字", field: value})
    assert list(problems) == [field] and problems[field].code == code
    # Nothing recorded: the last event is still the one that opened the task.
    assert engine.task(tid).state == "ready" and opens(engine.history(engine.task(tid).instance_id)[-1])


@pytest.mark.sqlite_only
def test_every_broken_rule_is_reported_at_once_with_its_limit(engine_with: EngineWith) -> None:
    engine, tid = started(engine_with)
    problems = refused(engine, tid, {"days": 40, "override": True})
    assert {k: (p.code, p.limit) for k, p in problems.items()} == {
        "note": ("required", None), "days": ("max", "30"), "reason": ("required", None)}
    engine.complete(tid, {"note": "两个字", "override": True, "reason": "复核后调整"}, actor="handler")


def test_user_picker_takes_only_active_holders_of_the_role(engine_with: EngineWith) -> None:
    engine, tid = started(engine_with)
    engine.accounts.add_user("li", "leader-pass-1", ["case_leader"])
    engine.accounts.add_user("wang", "leader-pass-2", ["case_leader"])
    engine.accounts.add_user("zhao", "handler-pass-1", ["case_handler"])
    engine.accounts.set_active("wang", False)
    assert [u.username for u in engine.accounts.holders("case_leader")] == ["li"]
    for name in ("wang", "zhao", "Li Ming"):
        assert refused(engine, tid, {"note": "两个字", "leader": name})["leader"].limit == "case_leader"
    inst = engine.complete(tid, {"note": "两个字", "leader": "li"}, actor="handler")
    assert engine.instance(inst.id).data["leader"] == "li"


def test_attachments_are_history_events_and_the_case_documents(engine_with: EngineWith) -> None:
    engine, tid = started(engine_with)
    instance_id = engine.task(tid).instance_id
    att = engine.attachments.add(instance_id, attachment_id="a" * 32, filename="现场.jpg", size=3,
                                 sha256="b" * 64, content_type="image/jpeg", actor="handler",
                                 task_id=tid, field="photo")
    engine.complete(tid, {"note": "两个字", "photo": att.id, "evidence": att.id}, actor="handler")
    event = next(e for e in engine.history(instance_id) if e.type == "attachment_added")
    assert (event.actor, event.task_id, event.detail["sha256"], event.detail["size"]) == ("handler", tid, "b" * 64, 3)
    listed = engine_with().attachments.list(instance_id)
    assert [(a.filename, a.uploaded_by) for a in listed] == [("现场.jpg", "handler")]
    assert engine.instance(instance_id).data["evidence"] == att.id
    assert engine.verify_history(instance_id).ok


def test_a_bounced_task_starts_history_fields_empty(engine_with: EngineWith) -> None:
    engine, tid = started(engine_with)
    inst = engine.complete(tid, {"note": "两个字", "days": 25, "comment": "第一次意见"}, actor="handler")
    again = inst.tasks[0]
    assert again.element_id == "fill_form" and again.id != tid
    form = {f.id: f for f in engine.task(again.id).form}
    data = engine.instance(inst.id).data
    assert initial_value(form["comment"], data) is None and initial_value(form["note"], data) == "两个字"
    assert initial_value(form["days"], data) == 25
    # the comment is not carried over: left empty, it is recorded empty
    inst = engine.complete(again.id, {"days": 3}, actor="handler")
    assert engine.instance(inst.id).data["comment"] is None and inst.tasks[0].element_id == "approve"
    assert engine.task(inst.tasks[0].id).approves == ["note"]


@pytest.mark.sqlite_only
@pytest.mark.parametrize(("attrs", "message"), [
    ('type="boolean" defaultValue="yes"', "defaultValue 'yes' is not a valid boolean"),
    ('type="long" defaultValue="abc"', "defaultValue 'abc' is not a valid long"),
    ('type="date" defaultValue="tomorrow"', "defaultValue 'tomorrow' is not a valid date"),
    ('type="textarea"', "unknown type 'textarea'"),
    ('type="user"', "needs the property role"),
])
def test_deploy_refuses_a_form_it_cannot_read(engine_with: EngineWith, attrs: str, message: str) -> None:
    xml = ALL_FIELDS.read_text().replace('type="string">\n            <camunda:validation>\n'
                                         '              <camunda:constraint name="pattern"',
                                         f'{attrs}>\n            <camunda:validation>\n'
                                         '              <camunda:constraint name="pattern"')
    assert attrs in xml
    with pytest.raises(DiagramInvalid) as info:
        engine_with(xml)
    assert "'code'" in str(info.value) and message in str(info.value)


@pytest.mark.sqlite_only
def test_deploy_refuses_an_unknown_rule_and_an_enum_default_not_listed(engine_with: EngineWith) -> None:
    xml = ALL_FIELDS.read_text().replace('name="not_past"', 'name="later_than"').replace(
        'defaultValue="visit"', 'defaultValue="phone"')
    with pytest.raises(DiagramInvalid) as info:
        engine_with(xml)
    assert "unknown rule 'later_than'" in str(info.value) and "'phone' is not a valid enum" in str(info.value)


def test_metadata_stored_before_rules_had_their_own_key_reads_the_same() -> None:
    old = {"form": [{"id": "days", "label": "天数", "type": "long", "required": True, "default": "3",
                     "properties": {"constraint_max": "30", "help": "h"}}]}
    (f,) = fields_of(old)
    assert f.rules == {"max": "30", "required": ""} and f.properties == {"help": "h"}
    assert initial_value(f, {}) == 3 and initial_value(FormField("b", "b", "boolean", default="false"), {}) is False


def test_a_case_in_error_is_cancelled(engine_with: EngineWith, clock: FakeClock) -> None:
    engine = engine_with(b.script_process("breaks", "x = 1 / divisor"))
    inst = engine.start("breaks", {"divisor": 0}, actor="clerk")
    assert inst.status == "error"
    done = engine.cancel(inst.id, actor="coordinator", reason="录入错误，作废")
    assert done.status == "cancelled" and engine.history(inst.id)[-1].type == "instance_cancelled"


def _form_task(tid: str, fields: str) -> str:
    return (f'<bpmn:userTask id="{tid}" name="{tid}" camunda:candidateGroups="case_handler"><bpmn:extensionElements>'
            f'<camunda:formData>{fields}</camunda:formData></bpmn:extensionElements></bpmn:userTask>')


#: Triage as the original defect had it: an override box, a reason required when it is ticked,
#: a gateway that reads both; then a follow-up visit whose repeat-petition box a gateway reads
#: on a branch that never showed that form.
TRIAGE = b.process("triage", "\n".join([
    '<bpmn:startEvent id="begin"/>',
    _form_task("confirm_triage",
               '<camunda:formField id="risk_override" label="调整研判结果" type="boolean" defaultValue="false"/>'
               '<camunda:formField id="override_reason" label="调整理由" type="string"><camunda:validation>'
               '<camunda:constraint name="required_if" config="risk_override"/></camunda:validation>'
               '</camunda:formField>'),
    '<bpmn:exclusiveGateway id="override_gate" default="f_keep"/>',
    '<bpmn:exclusiveGateway id="repeat_gate" default="f_closed"/>',
    _form_task("re_rate", '<camunda:formField id="note" label="说明" type="string"/>'),
    _form_task("follow_up_visit",
               '<camunda:formField id="repeat_petition" label="同一事项重复信访" type="boolean" '
               'defaultValue="false"/>'),
    '<bpmn:endEvent id="closed"/>', '<bpmn:endEvent id="reopened"/>',
    b.flow("f1", "begin", "confirm_triage"), b.flow("f2", "confirm_triage", "override_gate"),
    b.flow("f_override", "override_gate", "re_rate", "risk_override and bool(override_reason)"),
    b.flow("f_keep", "override_gate", "repeat_gate"), b.flow("f3", "re_rate", "repeat_gate"),
    b.flow("f_reopen", "repeat_gate", "reopened", "repeat_petition"),
    b.flow("f_closed", "repeat_gate", "follow_up_visit"), b.flow("f4", "follow_up_visit", "closed"),
]))


def test_no_form_input_puts_a_case_in_error_gateways_read_defaults(engine_with: EngineWith) -> None:
    engine = engine_with(TRIAGE)
    inst = engine.start("triage", {}, actor="clerk")
    # Nothing typed: the override is its default (false), the reason null, and the later
    # gateway reads the follow-up form's box (not filled yet) as its default: not reopened.
    done = engine.complete(inst.tasks[0].id, {}, actor="handler")
    assert done.status == "running" and done.incident_message is None
    assert [t.element_id for t in done.tasks] == ["follow_up_visit"]
    assert "repeat_petition" not in done.data  # the default is read, not written
    assert engine.complete(done.tasks[0].id, {}, actor="handler").status == "completed"
    # Ticking the override without a reason is refused beside the field; nothing changes.
    second = engine.start("triage", {}, actor="clerk")
    problems = refused(engine, second.tasks[0].id, {"risk_override": "on"})
    assert problems == {"override_reason": FieldProblem("required")}
    assert engine.instance(second.id).status == "running" and engine.task(second.tasks[0].id).state == "ready"
    # Wrong types from an API client are refused naming the field, never stored or run.
    problems = refused(engine, second.tasks[0].id, {"risk_override": "maybe", "override_reason": ["x"]})
    assert set(problems) == {"risk_override", "override_reason"}
    assert engine.instance(second.id).status == "running"
    after = engine.complete(second.tasks[0].id, {"risk_override": True, "override_reason": "信访人提供新证据"},
                            actor="handler")
    assert [t.element_id for t in after.tasks] == ["re_rate"]
