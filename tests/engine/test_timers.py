"""Timers fired by `Engine.fire_due_timers`: catch-up in due order, incidents, cycles, due dates.

Every test moves a FakeClock; nothing sleeps. Each runs on SQLite and on PostgreSQL
(a fresh schema per test).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update

from engine import Engine, FakeClock
from engine.chain import passed
from engine.models import Event, Instance, Timer
from tests.conftest import DIAGRAMS, MONDAY, EngineWith
from tests.engine.element_catalogue import catalogue

START = MONDAY  # where the test clock starts

# start -> set_deadline -> (timer: deadline) -> after_deadline -> end.
# `after_deadline` divides by `divisor`, so divisor=0 makes the step after the timer fail.
DEADLINE_WAIT = b"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="defs_deadline_wait"
  targetNamespace="http://anjie.example/test">
  <bpmn:process id="deadline_wait" isExecutable="true">
    <bpmn:startEvent id="registered"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:scriptTask id="set_deadline">
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
      <bpmn:script>deadline = (add_working_days(now(), days) if working
                  else add_days(now(), days))</bpmn:script>
    </bpmn:scriptTask>
    <bpmn:intermediateCatchEvent id="deadline_reached">
      <bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing>
      <bpmn:timerEventDefinition><bpmn:timeDate>deadline</bpmn:timeDate></bpmn:timerEventDefinition>
    </bpmn:intermediateCatchEvent>
    <bpmn:scriptTask id="after_deadline">
      <bpmn:incoming>f3</bpmn:incoming><bpmn:outgoing>f4</bpmn:outgoing>
      <bpmn:script>outcome = 10 / divisor</bpmn:script>
    </bpmn:scriptTask>
    <bpmn:endEvent id="done"><bpmn:incoming>f4</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="registered" targetRef="set_deadline"/>
    <bpmn:sequenceFlow id="f2" sourceRef="set_deadline" targetRef="deadline_reached"/>
    <bpmn:sequenceFlow id="f3" sourceRef="deadline_reached" targetRef="after_deadline"/>
    <bpmn:sequenceFlow id="f4" sourceRef="after_deadline" targetRef="done"/>
  </bpmn:process>
</bpmn:definitions>
"""


def start_wait(engine: Engine, days: float, *, working: bool = False, divisor: int = 1) -> int:
    inst = engine.start(
        "deadline_wait", {"days": days, "working": working, "divisor": divisor}, actor="clerk"
    )
    return inst.id


def fired_events(engine: Engine) -> list[Event]:
    with engine.sessionmaker() as s:
        return list(s.scalars(select(Event).where(Event.type == "timer_fired").order_by(Event.id)))


def parse(value: str) -> datetime:
    return datetime.fromisoformat(value)


def test_nothing_fires_before_its_due_time(engine_with: EngineWith, clock: FakeClock) -> None:
    engine = engine_with(DEADLINE_WAIT)
    start_wait(engine, 15)
    clock.advance(days=15, seconds=-1)
    assert engine.fire_due_timers() == 0
    assert len(engine.timers()) == 1
    clock.advance(seconds=2)
    assert engine.fire_due_timers() == 1
    assert engine.timers() == []


def test_catch_up_fires_in_due_order_recording_due_and_fired(
    engine_with: EngineWith, clock: FakeClock
) -> None:
    engine = engine_with(DEADLINE_WAIT)
    days = [9, 3, 15, 1, 7]
    ids = {d: start_wait(engine, d) for d in days}
    # Nothing ran for a month: every timer is overdue and fires at the next sweep.
    clock.advance(days=8)
    assert engine.fire_due_timers() == 3
    clock.advance(days=22)
    assert engine.fire_due_timers() == 2
    events = fired_events(engine)
    assert [e.instance_id for e in events] == [ids[d] for d in sorted(days)]
    for e, d in zip(events, sorted(days), strict=True):
        assert parse(e.detail["due_at"]) == START + timedelta(days=d)
        sweep = START + timedelta(days=8 if d <= 8 else 30)
        assert parse(e.detail["fired_at"]) == sweep
    assert {engine.instance(i).status for i in ids.values()} == {"completed"}
    assert engine.fire_due_timers() == 0


def test_failing_step_after_a_timer_leaves_an_incident_and_others_fire(
    engine_with: EngineWith, clock: FakeClock
) -> None:
    engine = engine_with(DEADLINE_WAIT)
    good_before = start_wait(engine, 1)
    bad = start_wait(engine, 2, divisor=0)
    good_after = start_wait(engine, 3)
    clock.advance(days=5)
    assert engine.fire_due_timers() == 3
    failed = engine.instance(bad)
    assert failed.status == "error"
    assert failed.incident_element == "after_deadline"
    assert "division" in (failed.incident_message or "")
    types = [e.type for e in engine.history(bad)]
    assert "timer_fired" in types and types[-1] == "incident_raised"
    assert engine.instance(good_before).status == "completed"
    assert engine.instance(good_after).status == "completed"
    # The incident is recorded once, not again at every sweep.
    clock.advance(minutes=5)
    assert engine.fire_due_timers() == 0
    assert [e.type for e in engine.history(bad)].count("incident_raised") == 1
    assert engine.verify_history().ok


def test_unloadable_instance_becomes_an_incident_and_does_not_block_the_sweep(
    engine_with: EngineWith, clock: FakeClock
) -> None:
    engine = engine_with(DEADLINE_WAIT)
    first = start_wait(engine, 1)
    broken = start_wait(engine, 2)
    last = start_wait(engine, 3)
    with engine.sessionmaker.begin() as s:  # simulate a corrupt saved state
        s.execute(update(Instance).where(Instance.id == broken).values(state="{not json"))
    engine.forget_cached()  # as a restart would: an edit behind the engine's back keeps the revision
    clock.advance(days=4)
    assert engine.fire_due_timers() == 2
    assert engine.instance(first).status == "completed"
    assert engine.instance(last).status == "completed"
    failed = engine.instance(broken)
    assert failed.status == "error"
    assert failed.incident_element == "deadline_reached"
    assert engine.history(broken)[-1].detail["while"] == "firing a timer"
    with engine.sessionmaker() as s:
        assert s.scalars(select(Timer).where(Timer.instance_id == broken)).all() == []
    assert engine.fire_due_timers() == 0
    assert engine.verify_history().ok


def test_timers_lists_waiting_timers_soonest_first(engine_with: EngineWith, clock: FakeClock) -> None:
    engine = engine_with(DEADLINE_WAIT)
    late, soon = start_wait(engine, 20), start_wait(engine, 2)
    timers = engine.timers()
    assert [(t.instance_id, t.element_id) for t in timers] == [
        (soon, "deadline_reached"),
        (late, "deadline_reached"),
    ]
    assert timers[0].due_at == START + timedelta(days=2)
    assert [t.instance_id for t in engine.timers(START + timedelta(days=10))] == [soon]


# A resolve phase with a weekly bulletin: a non-interrupting cycle timer on the phase task.
WEEKLY_BULLETIN = b"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="defs_weekly"
  targetNamespace="http://anjie.example/test">
  <bpmn:process id="weekly_bulletin" isExecutable="true">
    <bpmn:startEvent id="campaign_start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:scriptTask id="plan_resolve_phase">
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
      <bpmn:script>first = add_days(now(), 7)
weekly_bulletin_cycle = "R" + str(weeks) + "/" + first + "/P7D"</bpmn:script>
    </bpmn:scriptTask>
    <bpmn:userTask id="resolve_phase" camunda:candidateGroups="coordinator">
      <bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing></bpmn:userTask>
    <bpmn:boundaryEvent id="weekly_bulletin_timer" attachedToRef="resolve_phase"
      cancelActivity="false">
      <bpmn:outgoing>f4</bpmn:outgoing>
      <bpmn:timerEventDefinition><bpmn:timeCycle>weekly_bulletin_cycle</bpmn:timeCycle></bpmn:timerEventDefinition>
    </bpmn:boundaryEvent>
    <bpmn:userTask id="write_weekly_bulletin" camunda:candidateGroups="supervisor">
      <bpmn:incoming>f4</bpmn:incoming><bpmn:outgoing>f5</bpmn:outgoing></bpmn:userTask>
    <bpmn:endEvent id="bulletin_sent"><bpmn:incoming>f5</bpmn:incoming></bpmn:endEvent>
    <bpmn:endEvent id="phase_closed"><bpmn:incoming>f3</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="campaign_start" targetRef="plan_resolve_phase"/>
    <bpmn:sequenceFlow id="f2" sourceRef="plan_resolve_phase" targetRef="resolve_phase"/>
    <bpmn:sequenceFlow id="f3" sourceRef="resolve_phase" targetRef="phase_closed"/>
    <bpmn:sequenceFlow id="f4" sourceRef="weekly_bulletin_timer" targetRef="write_weekly_bulletin"/>
    <bpmn:sequenceFlow id="f5" sourceRef="write_weekly_bulletin" targetRef="bulletin_sent"/>
  </bpmn:process>
</bpmn:definitions>
"""


def test_weekly_bulletin_comes_due_every_week_and_catches_up_once_per_missed_week(
    engine_with: EngineWith, clock: FakeClock
) -> None:
    engine = engine_with(DEADLINE_WAIT, WEEKLY_BULLETIN)
    inst = engine.start("weekly_bulletin", {"weeks": 4}, actor="coordinator").id

    def bulletins() -> list[str]:
        return [
            t.id for t in engine.tasks(instance_id=inst) if t.element_id == "write_weekly_bulletin"
        ]

    clock.advance(days=7, seconds=1)
    assert engine.fire_due_timers() == 1
    assert len(bulletins()) == 1
    # Nobody logged in and no scheduler ran for three weeks: each missed week fires once.
    clock.advance(days=21)
    assert engine.fire_due_timers() == 3
    assert len(bulletins()) == 4
    fired = [e for e in engine.history(inst) if e.type == "timer_fired"]
    assert [parse(e.detail["due_at"]) for e in fired] == [
        START + timedelta(days=7 * w) for w in (1, 2, 3, 4)
    ]
    assert [parse(e.detail["fired_at"]) for e in fired][1:] == [clock()] * 3
    # Four cycles were asked for; the timer is done.
    clock.advance(days=30)
    assert engine.fire_due_timers() == 0
    assert engine.timers() == []


def test_closing_the_phase_stops_the_weekly_bulletin(engine_with: EngineWith, clock: FakeClock) -> None:
    engine = engine_with(DEADLINE_WAIT, WEEKLY_BULLETIN)
    inst = engine.start("weekly_bulletin", {"weeks": 10}, actor="coordinator").id
    phase = next(t for t in engine.tasks(instance_id=inst) if t.element_id == "resolve_phase")
    assert len(engine.timers()) == 1
    engine.complete(phase.id, {}, actor="coordinator")
    assert engine.timers() == []
    clock.advance(days=70)
    assert engine.fire_due_timers() == 0


def test_human_task_due_dates_sort_the_inbox_and_overdue_tasks_escalate(
    engine_with: EngineWith, clock: FakeClock
) -> None:
    engine = engine_with(DEADLINE_WAIT, DIAGRAMS / "simple_review.bpmn")
    first = engine.start("simple_review", {}, actor="clerk").id  # accept due in 15 days
    clock.advance(days=5)
    second = engine.start("simple_review", {}, actor="clerk").id  # due 5 days later than the first
    clock.advance(days=-4)
    third = engine.start("simple_review", {}, actor="clerk").id  # due in between
    tasks = engine.tasks(candidate_group="coordinator")
    assert [t.instance_id for t in tasks] == [first, third, second]
    assert [t.due_at for t in tasks] == [START + timedelta(days=d) for d in (15, 16, 20)]

    clock.set(START + timedelta(days=17))
    if engine.queries is not None:
        page = engine.queries.inbox("coord", ["coordinator"])
        assert [(i.instance_id, i.overdue) for i in page.items] == [
            (first, True),
            (third, True),
            (second, False),
        ]
        assert page.counts.overdue == 2
    # The diagram escalates an overdue acceptance (boundary timer on the due date).
    assert engine.fire_due_timers() == 2
    escalated = {t.instance_id for t in engine.tasks(candidate_group="supervisor")}
    assert escalated == {first, third}
    # Non-interrupting: the acceptance itself is still open.
    assert {t.instance_id for t in engine.tasks(candidate_group="coordinator")} == {
        first,
        second,
        third,
    }


def test_an_event_based_gateway_with_a_timer_branch_fires_when_nobody_answers(
    engine_with: EngineWith, clock: FakeClock
) -> None:
    engine = engine_with(catalogue()["eventBasedGateway"])
    inst = engine.start("el_eventBasedGateway", actor="clerk")
    assert [(t.element_id, t.due_at) for t in engine.timers()] == [("split", clock() + timedelta(hours=1))]
    clock.advance(minutes=59)
    assert engine.fire_due_timers() == 0
    clock.advance(minutes=1)
    engine.fire_due_timers()
    assert engine.instance(inst.id).status == "completed"
    history = engine.history(inst.id)
    # An end event with no data is listed in the event before it (history format 3: `passed`).
    events = [(e.type.value, e.element_id) for e in history] + [
        ("element_completed", element) for e in history for element in passed(e.detail)]
    # SpiffWorkflow moves the branches' events onto the gateway: the gateway waits and fires.
    assert ("timer_waiting", "split") in events and ("timer_fired", "split") in events
    assert ("element_completed", "finish_late") in events and ("element_completed", "finish") not in events
    assert engine.timers() == []
