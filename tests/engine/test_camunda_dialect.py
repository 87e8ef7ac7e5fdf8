"""Camunda's expression languages at deploy (engine/juel.py, engine/camunda_dialect.py): each JUEL
and FEEL construct translated and evaluated, what is beyond the subset refused at deploy with the
element and the reason, and Camunda Modeler files (7 and 8) deployed and run as drawn."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from engine import DiagramInvalid, FakeClock
from engine.clock import using_clock
from engine.juel import Untranslatable, translate_feel, translate_juel
from engine.scripting import RestrictedEnvironment
from tests.conftest import DIAGRAMS, MONDAY, EngineWith

DATA = {"x": 5, "a": "甲", "b": False, "s": "", "items": [], "person": {"name": "李四", "age": 40}}


def _value(expression: str, data: dict[str, Any] | None = None) -> Any:
    with using_clock(FakeClock(MONDAY)):
        return RestrictedEnvironment().evaluate(expression, dict(DATA if data is None else data))


@pytest.mark.parametrize(("juel", "expected"), [
    ("${x}", 5),
    ("#{x}", 5),
    ("${a == '甲'}", True),
    ("${a eq \"乙\"}", False),
    ("${x > 3 && !b}", True),
    ("${x gt 3 and not b}", True),
    ("${x < 3 || b}", False),
    ("${x le 5}", True),
    ("${x != 5}", False),
    ("${empty s}", True),
    ("${empty items}", True),
    ("${empty a}", False),
    ("${not empty a}", True),
    ("${person.name}", "李四"),
    ("${person['age'] >= 18}", True),
    ("${'text'}", "text"),
    ("${42}", 42),
    ("${2.5}", 2.5),
    ("${true}", True),
    ("${false}", False),
    ("${null}", None),
    ("${x * 2 + 1}", 11),
    ("${x mod 2 == 1}", True),
    ("${x > 3 ? 'big' : 'small'}", "big"),
    ("demo", "demo"),
    ("案件 ${x} 号", "案件 5 号"),
])
def test_each_juel_construct_translates_to_the_same_value(juel: str, expected: Any) -> None:
    assert _value(translate_juel(juel)) == expected


@pytest.mark.parametrize(("juel", "delta"), [
    ("${dateTime().plusDays(2).toDate()}", timedelta(days=2)),
    ("${dateTime().plusWeeks(1).toDate()}", timedelta(weeks=1)),
    ("${dateTime().plusHours(4).toDate()}", timedelta(hours=4)),
    ("${dateTime().plusMinutes(30)}", timedelta(minutes=30)),
])
def test_camunda_date_helpers_count_from_the_engine_clock(juel: str, delta: timedelta) -> None:
    from engine.scripting import parse_datetime

    assert parse_datetime(_value(translate_juel(juel))) == MONDAY + delta


@pytest.mark.parametrize(("feel", "expected"), [
    ("=x", 5),
    ("=x > 3", True),
    ("=a = \"甲\" and not(b)", True),
    ("=x != 5 or b", False),
    ("=person.name", "李四"),
    ("sales", "sales"),
])
def test_simple_feel_translates_like_juel(feel: str, expected: Any) -> None:
    assert _value(translate_feel(feel)) == expected


@pytest.mark.parametrize(("text", "reason"), [
    ("${orderService.check(order)}", "JUEL method calls are not supported"),
    ("${execution.getVariable('x')}", "JUEL method calls are not supported"),
    ("${dateTime().withDayOfMonth(1)}", "JUEL method calls are not supported"),
    ("${x >}", "the expression ends too early"),
])
def test_juel_beyond_the_subset_is_refused_with_the_reason(text: str, reason: str) -> None:
    with pytest.raises(Untranslatable, match=reason):
        translate_juel(text)


def test_feel_function_calls_are_refused() -> None:
    with pytest.raises(Untranslatable, match="FEEL function calls are not supported"):
        translate_feel("=count(items) > 1")


def _leave(**replace: str) -> str:
    text = (DIAGRAMS / "camunda_modeler_leave.bpmn").read_text(encoding="utf-8")
    for old, new in replace.items():
        assert old in text, old
        text = text.replace(old, new)
    return text


def test_camunda_modeler_file_runs_as_drawn(engine_with: EngineWith, clock: FakeClock) -> None:
    """A fixed assignee is that user; JUEL due date and conditions run; a formKey-only task
    (no fields) opens with its form key and completes through the API's data."""
    engine = engine_with(DIAGRAMS / "camunda_modeler_leave.bpmn")
    inst = engine.start("leave_request", {}, actor="clerk")
    [review] = engine.tasks(instance_id=inst.id)
    assert review.assignee == "demo"
    assert [t.id for t in engine.tasks(assignee="demo")] == [review.id]
    assert review.due_at == MONDAY + timedelta(days=2)
    engine.complete(review.id, {"days": 5, "approved": True}, actor="demo")
    [listed] = engine.tasks(instance_id=inst.id)
    hr = engine.task(listed.id)
    assert (hr.element_id, hr.form, hr.form_key) == ("Activity_hr", [], "embedded:app:forms/hr-check.html")
    assert hr.candidate_groups == ["hr"] and hr.assignee is None
    done = engine.complete(hr.id, {"hr_note": "同意"}, actor="hr_clerk")
    assert done.status == "completed" and done.data["hr_note"] == "同意"

    short = engine.start("leave_request", {}, actor="clerk")
    [review] = engine.tasks(instance_id=short.id)
    # The drawn default (days = 1) is left as it is: the short branch (#{… le 3}) ends the case.
    assert engine.complete(review.id, {"days": 1, "approved": True}, actor="demo").status == "completed"


@pytest.mark.sqlite_only
def test_camunda_modeler_file_with_unsupported_parts_is_refused_naming_each(engine_with: EngineWith) -> None:
    engine = engine_with()
    bad = _leave(**{
        'camunda:assignee="demo"': 'camunda:assignee="${userService.pick(execution)}"',
        "${approved &amp;&amp; days &gt; 3}": "${approved.booleanValue()}",
        'camunda:candidateGroups="hr"': 'camunda:candidateGroups="${group}" camunda:candidateUsers="demo,mary"',
        '<bpmn:sequenceFlow id="Flow_hr_done"': '<bpmn:scriptTask id="Script_g" scriptFormat="groovy">'
        '<bpmn:script>println "hi"</bpmn:script></bpmn:scriptTask><bpmn:sequenceFlow id="Flow_hr_done"',
    })
    with pytest.raises(DiagramInvalid) as refused:
        engine.deploy(bad, actor="designer")
    found = {(p.element_id, p.message.split(": ")[-1]) for p in refused.value.problems}
    assert ("Activity_review", "JUEL method calls are not supported") in found
    assert ("Flow_long", "JUEL method calls are not supported") in found
    assert any(e == "Activity_hr" and "expressions in candidateGroups are not supported" in m for e, m in found)
    assert any(e == "Script_g" and m.startswith("script language groovy is not supported") for e, m in found)
    assert any(p.element_id == "Activity_hr" and "candidateUsers 'demo,mary' is not supported" in p.message
               for p in refused.value.problems)
    assert engine.deployments() == []


def test_juel_timer_and_called_element(engine_with: EngineWith, clock: FakeClock) -> None:
    """A timer written as ${…} waits as long as its data says, though nobody acts; a call activity
    with calledElement="${'leave_request'}" calls that process, deployed in another file."""
    engine = engine_with(DIAGRAMS / "camunda_modeler_leave.bpmn", DIAGRAMS / "camunda_modeler_call.bpmn")
    inst = engine.start("leave_after_wait", {"wait": "PT3H"}, actor="clerk")
    [timer] = engine.timers()
    assert (timer.instance_id, timer.due_at) == (inst.id, MONDAY + timedelta(hours=3))
    clock.set(MONDAY + timedelta(hours=3))
    assert engine.fire_due_timers() == 1
    [review] = engine.tasks(instance_id=inst.id)
    assert (review.element_id, review.assignee) == ("Activity_review", "demo")


def test_zeebe_file_runs_with_feel(engine_with: EngineWith) -> None:
    """Camunda 8: a FEEL condition picks the branch, a FEEL assignee names the user from the data,
    a linked form (formId) is the task's form key."""
    engine = engine_with(DIAGRAMS / "zeebe_order.bpmn")
    small = engine.start("order_check", {"amount": 50, "region": "north"}, actor="clerk")
    assert engine.instance(small.id).status == "completed"
    big = engine.start("order_check", {"amount": 5000, "region": "north", "owner": {"name": "wang"}}, actor="clerk")
    [listed] = engine.tasks(instance_id=big.id)
    task = engine.task(listed.id)
    assert (task.assignee, task.candidate_groups, task.form_key) == ("wang", ["sales"], "approve-order")
    assert engine.complete(task.id, {}, actor="wang").status == "completed"


@pytest.mark.parametrize(("inputs", "dish"), [
    ({"season": "Fall", "guestCount": 4}, "Spareribs"),     # "Fall" and <= 8
    ({"season": "Winter", "guestCount": 6}, "Stew"),        # "Winter","Spring" and [5..8]
    ({"season": "Spring", "guestCount": 9}, "Roastbeef"),   # not("Summer") and > 8
    ({"season": "Summer", "guestCount": 10}, "Salad"),      # - and -
])
def test_camunda_decision_table_feel_unary_tests(engine_with: EngineWith, inputs: dict[str, Any],
                                                 dish: str) -> None:
    """A Camunda Modeler DMN (FEEL): lists, ranges, not(…) and comparisons decide as Camunda would,
    in the designer's test box and in a business rule task of a running case."""
    engine = engine_with(DIAGRAMS / "camunda_dish.dmn", DIAGRAMS / "camunda_dish.bpmn")
    tried = engine.designs.try_decision((DIAGRAMS / "camunda_dish.dmn").read_bytes(), inputs)
    assert tried.outputs == {"desiredDish": dish}
    done = engine.start("dinner", dict(inputs), actor="clerk")
    # As SpiffWorkflow does, the outputs join the case data under their own names.
    assert done.status == "completed" and done.data["desiredDish"] == dish


@pytest.mark.parametrize(("cell", "python"), [
    ('"Fall"', "(? == 'Fall')"),
    ('"Winter","Spring"', "((? == 'Winter') or (? == 'Spring'))"),
    ("[5..8]", "(? >= 5 and ? <= 8)"),
    ("]5..8[", "(? > 5 and ? < 8)"),
    ("<= 8", "(? <= 8)"),
    ('not("Summer", "Fall")', "not (((? == 'Summer') or (? == 'Fall')))"),
    ("true", "(? == True)"),
])
def test_each_feel_unary_test_form(cell: str, python: str) -> None:
    from engine.camunda_dialect import unary_tests

    assert unary_tests(cell) == python


def test_spiffworkflow_example_style_file_runs(engine_with: EngineWith) -> None:
    """SpiffWorkflow's own dialect (spiffworkflow: extensions, Python scripts and conditions)."""
    engine = engine_with(DIAGRAMS / "spiff_style_order.bpmn")
    small = engine.start("spiff_order", {"product": "widget", "quantity": 2}, actor="clerk")
    assert small.status == "completed" and small.data["price"] == 20
    big = engine.start("spiff_order", {"product": "gadget", "quantity": 10}, actor="clerk")
    [task] = engine.tasks(instance_id=big.id)
    assert task.element_id == "Activity_approve"
    assert engine.complete(task.id, {}, actor="clerk").status == "completed"


def test_omg_style_file_runs_and_its_timer_fires_when_nobody_acts(engine_with: EngineWith, clock: FakeClock) -> None:
    """An interchange-style file: default namespace, ISO-8859-1, no isExecutable, a bare
    ISO 8601 duration; the reminder comes after two days though nobody has reviewed."""
    # Sent as the other tool wrote it: declared ISO-8859-1 (the stored copy is formatted, in UTF-8).
    stored = (DIAGRAMS / "omg_parallel_timer.bpmn").read_bytes()
    latin = stored.replace(b'encoding="UTF-8"', b'encoding="ISO-8859-1"', 1)
    assert latin.startswith(b'<?xml version="1.0" encoding="ISO-8859-1"?>')
    engine = engine_with(latin)
    inst = engine.start("omg_review", {}, actor="clerk")
    [timer] = engine.timers()
    assert timer.due_at == MONDAY + timedelta(hours=48)
    clock.set(MONDAY + timedelta(hours=48))
    assert engine.fire_due_timers() == 1
    assert sorted(t.element_id for t in engine.tasks(instance_id=inst.id)) == ["remind", "review"]
    for task in engine.tasks(instance_id=inst.id):
        engine.complete(task.id, {}, actor="clerk")
    assert engine.instance(inst.id).status == "completed"
