"""engine/deadlines.py: a case's task due and done times, timer firings and statutory clocks,
as the audit page shows them (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta

from engine import FakeClock
from tests.conftest import DIAGRAMS, EngineWith

SIMPLE = DIAGRAMS / "simple_review.bpmn"


def test_a_case_nobody_works_shows_the_timer_fired_and_the_task_overdue(engine_with: EngineWith,
                                                                         clock: FakeClock) -> None:
    engine = engine_with(SIMPLE)
    started = clock()
    iid = engine.start("simple_review", {"handler": "zhang"}, actor="clerk").id
    clock.advance(days=16)
    engine.fire_due_timers()
    found = engine.stats.deadlines(iid)
    accept = next(t for t in found.tasks if t.element_id == "accept_case")
    assert accept.state == "ready" and accept.done_at is None and accept.done_by is None
    assert accept.due_at == started + timedelta(days=15)
    assert accept.late_seconds == timedelta(days=1).total_seconds()  # overdue now, by a day
    (timer,) = found.timers
    assert (timer.element_id, timer.state) == ("accept_overdue", "fired")
    assert timer.due_at == started + timedelta(days=15) and timer.fired_at == started + timedelta(days=16)
    (limit,) = found.clocks
    assert limit.key == "accept_deadline" and limit.due_at == started + timedelta(days=15)
    assert [(c.before, c.actor) for c in limit.changes] == [(None, "engine")]


def test_late_and_timely_completions_say_by_whom_and_how_late(engine_with: EngineWith, clock: FakeClock) -> None:
    engine = engine_with(SIMPLE)
    iid = engine.start("simple_review", {"handler": "zhang"}, actor="clerk").id
    clock.advance(days=17)
    engine.fire_due_timers()
    accept = next(t for t in engine.tasks(instance_id=iid) if t.element_id == "accept_case")
    engine.complete(accept.id, {"accepted": True}, actor="coord")
    clock.advance(days=1)
    handle = next(t for t in engine.tasks(instance_id=iid) if t.element_id == "handle")
    engine.complete(handle.id, {}, actor="zhang")
    clock.advance(days=30)  # later reads do not make finished tasks later
    found = {t.element_id: t for t in engine.stats.deadlines(iid).tasks}
    assert found["accept_case"].done_by == "coord"
    assert found["accept_case"].late_seconds == timedelta(days=2).total_seconds()
    assert found["handle"].done_by == "zhang" and found["handle"].late_seconds is None  # no due time
    assert found["escalate"].state == "ready"


def test_a_timer_withdrawn_when_the_task_is_done_in_time(engine_with: EngineWith, clock: FakeClock) -> None:
    engine = engine_with(SIMPLE)
    iid = engine.start("simple_review", {"handler": "zhang"}, actor="clerk").id
    clock.advance(days=3)
    accept = engine.instance(iid).tasks[0]
    engine.complete(accept.id, {"accepted": True}, actor="coord")
    found = engine.stats.deadlines(iid)
    assert [(t.element_id, t.state, t.fired_at) for t in found.timers] == [("accept_overdue", "withdrawn", None)]
    task = next(t for t in found.tasks if t.element_id == "accept_case")
    assert task.late_seconds is None and task.done_at == clock()
