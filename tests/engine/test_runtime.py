"""Running instances through the facade: tasks, data checks, traps, concurrency."""

from __future__ import annotations

import math
import multiprocessing
import threading
from collections.abc import Callable
from datetime import timedelta

import pytest

from engine import (
    ConcurrentModification,
    DataInvalid,
    Engine,
    FakeClock,
    InstanceNotRunnable,
    NotAuthorized,
    TaskClaimed,
    TaskNotReady,
)
from tests.conftest import DIAGRAMS, EngineWith
from tests.engine import bpmn_builder as b

SIMPLE = DIAGRAMS / "simple_review.bpmn"


def reopened(engine: Engine, engine_with: EngineWith) -> Engine:
    """Close `engine` and open a new one on the same database: nothing survives but what was saved."""
    engine.close()
    return engine_with()


@pytest.mark.parametrize("save_restore", [False, True])
def test_simple_review_path_with_escalation(
    engine_with: EngineWith, clock: FakeClock, save_restore: bool
) -> None:
    engine = engine_with(SIMPLE)
    inst = engine.start("simple_review", {"handler": "zhang"}, actor="clerk", business_key="XF-2026-001")
    accept = inst.tasks[0]
    assert (accept.element_id, accept.candidate_groups) == ("accept_case", ["coordinator"])
    assert accept.due_at == clock() + timedelta(days=15)
    form = engine.task(accept.id).form
    assert [(f.id, f.required) for f in form] == [("accepted", True), ("comment", False)]
    if save_restore:
        engine = reopened(engine, engine_with)
    clock.advance(days=16)
    assert engine.fire_due_timers() == 1
    assert {t.element_id for t in engine.tasks(instance_id=inst.id)} == {"accept_case", "escalate"}
    if save_restore:
        engine = reopened(engine, engine_with)
    with pytest.raises(DataInvalid) as info:
        engine.complete(accept.id, {"comment": "缺少受理意见"}, actor="coord")
    assert info.value.field == "accepted"
    after = engine.complete(accept.id, {"accepted": True, "comment": "同意"}, actor="coord")
    handle = [t for t in after.tasks if t.element_id == "handle"][0]
    assert handle.assignee == "zhang"
    escalate = [t for t in after.tasks if t.element_id == "escalate"][0]
    if save_restore:
        engine = reopened(engine, engine_with)
    engine.complete(escalate.id, {}, actor="supervisor")
    done = engine.complete(handle.id, {}, actor="zhang")
    assert done.status == "completed" and done.tasks == []
    assert done.data["accepted"] is True and done.data["comment"] == "同意"
    types = [e.type for e in engine.history(inst.id)]
    assert types[0] == "instance_started" and types[-1] == "instance_completed"
    assert "timer_fired" in types
    completed = [e for e in engine.history(inst.id) if e.type == "task_completed"]
    assert [(e.element_id, e.actor) for e in completed] == [
        ("accept_case", "coord"), ("escalate", "supervisor"), ("handle", "zhang")
    ]
    assert completed[0].changes["accepted"] == (None, True)
    assert engine.verify_history().ok


def test_not_accepted_path_ends_and_cancels_the_boundary_timer(engine_with: EngineWith) -> None:
    engine = engine_with(SIMPLE)
    inst = engine.start("simple_review", actor="clerk")
    done = engine.complete(inst.tasks[0].id, {"accepted": False}, actor="coord")
    assert done.status == "completed"
    assert engine.timers() == []
    assert "element_cancelled" in [e.type for e in engine.history(inst.id)]


@pytest.mark.parametrize(
    "bad, field",
    [
        ({1: "x"}, None),
        ({"f": b"bytes"}, "f"),
        ({"f": math.nan}, "f"),
        ({"__builtins__": {}}, "__builtins__"),
        ({"f": "x" * 10_000_001}, None),
        ({"f": {1, 2}}, "f"),
    ],
)
def test_hostile_task_data_is_refused_before_anything_is_stored(
    engine_with: EngineWith, bad: dict, field: str | None
) -> None:
    engine = engine_with()
    engine.deploy(b.user_tasks_process("p", 1), actor="d")
    inst = engine.start("p", actor="clerk")
    before = engine.history(inst.id)
    with pytest.raises(DataInvalid) as info:
        engine.complete(inst.tasks[0].id, bad, actor="handler")
    if field:
        assert info.value.field == field
    assert engine.history(inst.id) == before
    assert engine.instance(inst.id).tasks == inst.tasks


def test_deep_nesting_is_refused_not_crashing(engine_with: EngineWith) -> None:
    engine = engine_with()
    engine.deploy(b.user_tasks_process("p", 1), actor="d")
    deep: dict = {}
    node = deep
    for _ in range(10_000):
        node["x"] = {}
        node = node["x"]
    with pytest.raises(DataInvalid):
        engine.start("p", {"deep": deep}, actor="clerk")
    with pytest.raises(DataInvalid):
        engine.start("p", ["not", "a", "dict"], actor="clerk")  # type: ignore[arg-type]


def test_a_loop_too_deep_for_spiff_goes_to_error_not_completed(engine_with: EngineWith) -> None:
    engine = engine_with()
    engine.deploy(b.loop_process("loop", 600), actor="d")
    inst = engine.start("loop", actor="clerk")
    assert inst.status == "error"
    assert "too deep" in (inst.incident_message or "") or "deeper" in (inst.incident_message or "")
    engine.deploy(b.loop_process("short_loop", 50), actor="d")
    ok = engine.start("short_loop", actor="clerk")
    assert ok.status == "running" and ok.data["n"] == 50


def test_claim_unclaim_assign_and_who_may_complete(engine_with: EngineWith) -> None:
    engine = engine_with()
    engine.deploy(b.user_tasks_process("p", 2), actor="d")
    engine.accounts.scrypt_n = 2**4
    engine.accounts.add_user("li", "long enough 1", ["case_handler"])
    inst = engine.start("p", actor="clerk")
    task = inst.tasks[0]
    assert engine.claim(task.id, actor="wang").assignee == "wang"
    with pytest.raises(TaskClaimed) as info:
        engine.claim(task.id, actor="li")
    assert info.value.assignee == "wang"
    with pytest.raises(TaskClaimed):
        engine.complete(task.id, {}, actor="li")
    with pytest.raises(NotAuthorized):
        engine.unclaim(task.id, actor="li")
    assert engine.unclaim(task.id, actor="wang").assignee is None
    assert engine.assign(task.id, "li", actor="coordinator").assignee == "li"
    assert [t.id for t in engine.tasks(assignee="li")] == [task.id]
    assert [t.id for t in engine.tasks(candidate_group="case_handler")] == [task.id]
    engine.complete(task.id, {}, actor="li")
    with pytest.raises(TaskNotReady) as late:
        engine.complete(task.id, {}, actor="li")
    assert late.value.completed_by == "li"
    types = [e.type for e in engine.history(inst.id)]
    assert ["task_claimed", "task_unclaimed", "task_assigned", "task_completed"] == [
        t for t in types if t.startswith("task_") and t != "task_ready"
    ]


def test_cancel_stops_everything(engine_with: EngineWith) -> None:
    engine = engine_with(SIMPLE)
    inst = engine.start("simple_review", actor="clerk")
    cancelled = engine.cancel(inst.id, actor="coordinator", reason="重复登记")
    assert cancelled.status == "cancelled" and cancelled.tasks == []
    assert engine.timers() == []
    with pytest.raises(InstanceNotRunnable):
        engine.cancel(inst.id, actor="coordinator", reason="again")
    assert engine.history(inst.id)[-1].detail == {"reason": "重复登记"}


def race(n: int, action: Callable[[str], object], lost: tuple[type[Exception], ...]) -> list[str]:
    """Run `action(name)` in n threads released at once; "won" or the name of the error each got."""
    barrier = threading.Barrier(n)
    results: list[str] = []

    def worker(name: str) -> None:
        barrier.wait()
        try:
            action(name)
            results.append("won")
        except lost as exc:
            results.append(type(exc).__name__)

    threads = [threading.Thread(target=worker, args=(f"u{i}",)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def test_two_threads_completing_one_task_exactly_one_counts(engine_with: EngineWith) -> None:
    engine = engine_with()
    engine.deploy(b.user_tasks_process("p", 2), actor="d")
    inst = engine.start("p", actor="clerk")
    task_id = inst.tasks[0].id
    results = race(4, lambda name: engine.complete(task_id, {"by": name}, actor=name),
                   (TaskNotReady, ConcurrentModification))
    assert results.count("won") == 1, results
    history = engine.history(inst.id)
    assert [e.type for e in history].count("task_completed") == 1
    assert [t.element_id for t in engine.instance(inst.id).tasks] == ["task_2"]
    assert engine.verify_history(inst.id).ok


def _complete_in_process(url: str, task_id: str, name: str, start, out) -> None:  # type: ignore[no-untyped-def]
    eng = Engine.open(url)
    start.wait()
    try:
        eng.complete(task_id, {"by": name}, actor=name)
        out.put("won")
    except (TaskNotReady, ConcurrentModification) as exc:
        out.put(type(exc).__name__)
    finally:
        eng.close()


def test_two_processes_completing_one_task_exactly_one_counts(engine_with: EngineWith, db_url: str) -> None:
    engine = engine_with()
    engine.deploy(b.user_tasks_process("p", 2), actor="d")
    inst = engine.start("p", actor="clerk")
    ctx = multiprocessing.get_context("spawn")
    start, out = ctx.Event(), ctx.Queue()
    task_id = inst.tasks[0].id
    procs = [
        ctx.Process(target=_complete_in_process, args=(db_url, task_id, f"p{i}", start, out)) for i in range(3)
    ]
    for p in procs:
        p.start()
    start.set()
    for p in procs:
        p.join(60)
    results = [out.get(timeout=5) for _ in procs]
    assert results.count("won") == 1, results
    assert [e.type for e in engine.history(inst.id)].count("task_completed") == 1


def test_concurrent_claims_one_wins_the_others_get_a_clear_error(engine_with: EngineWith) -> None:
    engine = engine_with()
    engine.deploy(b.user_tasks_process("p", 1), actor="d")
    inst = engine.start("p", actor="clerk")
    task_id = inst.tasks[0].id
    results = race(4, lambda name: engine.claim(task_id, actor=name), (TaskClaimed, ConcurrentModification))
    assert results.count("won") == 1, results
    assert [e.type for e in engine.history(inst.id)].count("task_claimed") == 1
    assert engine.verify_history(inst.id).ok


def test_group_offers_follow_claims_and_completion(engine_with: EngineWith) -> None:
    """A group inbox lists a task only while it is ready and nobody holds it."""
    engine = engine_with()
    engine.deploy(b.user_tasks_process("p", 2), actor="d")
    inst = engine.start("p", actor="clerk")
    task_id = inst.tasks[0].id

    def offered() -> list[str]:
        return [i.task_id for i in engine.queries.inbox("someone", ["case_handler"]).items]

    assert offered() == [task_id]
    engine.claim(task_id, actor="wang")
    assert offered() == []
    assert [i.task_id for i in engine.queries.inbox("wang", ["case_handler"]).items] == [task_id]
    engine.unclaim(task_id, actor="wang")
    assert offered() == [task_id]
    after = engine.complete(task_id, {}, actor="li")
    assert offered() == [after.tasks[0].id]
    engine.cancel(inst.id, actor="coordinator", reason="test")
    assert offered() == []
    page = engine.queries.inbox("someone", ["case_handler"])
    assert (page.counts.total, page.counts.claimable) == (0, 0)


def test_open_tasks_follow_a_deadline_changed_in_another_branch(engine_with: EngineWith, clock: FakeClock) -> None:
    """`work` (due at `deadline`) stays open while a parallel branch extends `deadline`."""
    engine = engine_with()
    doc = b.process("p", "\n".join([
        '<bpmn:startEvent id="begin"/>',
        '<bpmn:scriptTask id="set"><bpmn:script>deadline = add_days(now(), 10)</bpmn:script></bpmn:scriptTask>',
        '<bpmn:parallelGateway id="fork"/>',
        '<bpmn:userTask id="work" camunda:candidateGroups="case_handler" camunda:dueDate="deadline"/>',
        '<bpmn:userTask id="extend" camunda:candidateGroups="leading_group"/>',
        '<bpmn:scriptTask id="grant"><bpmn:script>deadline = add_days(deadline, 30)</bpmn:script></bpmn:scriptTask>',
        '<bpmn:parallelGateway id="join"/>',
        '<bpmn:endEvent id="finish"/>',
        b.flow("f1", "begin", "set"), b.flow("f2", "set", "fork"), b.flow("f3", "fork", "work"),
        b.flow("f4", "fork", "extend"), b.flow("f5", "extend", "grant"), b.flow("f6", "grant", "join"),
        b.flow("f7", "work", "join"), b.flow("f8", "join", "finish"),
    ]))
    engine.deploy(doc, actor="d")
    inst = engine.start("p", actor="clerk")
    work = next(t for t in inst.tasks if t.element_id == "work")
    extend = next(t for t in inst.tasks if t.element_id == "extend")
    assert work.due_at == clock() + timedelta(days=10)
    engine.complete(extend.id, {}, actor="leader")
    moved = next(t for t in engine.tasks(instance_id=inst.id) if t.element_id == "work")
    assert moved.due_at == clock() + timedelta(days=40)
    change = [e for e in engine.history(inst.id) if e.type == "task_due_changed"]
    assert [(e.element_id, e.task_id) for e in change] == [("work", work.id)]
    offered = engine.queries.inbox("someone", ["case_handler"]).items
    assert [(i.task_id, i.due_at) for i in offered] == [(work.id, moved.due_at)]


def test_a_signal_nothing_waits_for_is_recorded_not_kept(engine_with: EngineWith) -> None:
    engine = engine_with()
    doc = b.process("p", "\n".join([
        '<bpmn:startEvent id="begin"/>',
        '<bpmn:intermediateThrowEvent id="shout"><bpmn:signalEventDefinition signalRef="nobody_listens"/>'
        "</bpmn:intermediateThrowEvent>",
        '<bpmn:userTask id="after" camunda:candidateGroups="case_handler"/>',
        '<bpmn:endEvent id="finish"/>',
        b.flow("f1", "begin", "shout"), b.flow("f2", "shout", "after"), b.flow("f3", "after", "finish"),
    ])).replace("<bpmn:process ", '<bpmn:signal id="nobody_listens" name="无人接收"/>\n<bpmn:process ')
    engine.deploy(doc, actor="d")
    inst = engine.start("p", actor="clerk")
    unhandled = [e.detail for e in engine.history(inst.id) if e.type == "event_unhandled"]
    assert unhandled == [{"event": "无人接收"}]
    with engine.read_sessionmaker() as s:
        from engine.models import Instance

        state = s.get(Instance, inst.id).state  # type: ignore[union-attr]
    assert '"bpmn_events":[]' in state


@pytest.mark.sqlite_only
def test_an_incident_in_a_condition_keeps_its_cause(engine_with: EngineWith) -> None:
    doc = b.process("p", "\n".join([
        '<bpmn:startEvent id="begin"/>', '<bpmn:exclusiveGateway id="decide"/>',
        '<bpmn:endEvent id="big"/>', '<bpmn:endEvent id="small"/>', b.flow("f1", "begin", "decide"),
        b.flow("f2", "decide", "big", "x &gt; 1"), b.flow("f3", "decide", "small", "x &lt;= 1"),
    ]))
    inst = engine_with(doc).start("p", actor="clerk")
    assert inst.status == "error" and inst.incident_element == "decide"
    assert "'x > 1'" in (inst.incident_message or "") and "name 'x' is not defined" in (inst.incident_message or "")


def test_a_suspended_case_completes_nothing_fires_nothing_and_resumes_where_it_was(
    engine_with: EngineWith, clock: FakeClock
) -> None:
    engine = engine_with(b.timer_process("wait_a_day", "<bpmn:timeDuration>'P1D'</bpmn:timeDuration>"),
                         b.user_tasks_process("two_steps", 2))
    waiting = engine.start("wait_a_day", actor="clerk")
    working = engine.start("two_steps", actor="clerk")
    [task] = working.tasks
    assert engine.suspend(waiting.id, actor="coord", reason="信访人住院").status == "suspended"
    engine.suspend(working.id, actor="coord", reason="信访人住院")
    with pytest.raises(InstanceNotRunnable):
        engine.complete(task.id, {}, actor="clerk")
    clock.advance(days=2)
    assert engine.fire_due_timers() == 0 and engine.instance(waiting.id).tasks == []
    with pytest.raises(InstanceNotRunnable):
        engine.suspend(waiting.id, actor="coord", reason="again")
    assert engine.resume(waiting.id, actor="coord").status == "waiting"
    assert engine.resume(working.id, actor="coord").status == "running"
    assert engine.fire_due_timers() == 1, "the deadline that passed while suspended fires now"
    assert [t.element_id for t in engine.instance(waiting.id).tasks] == ["after_wait"]
    assert engine.complete(task.id, {}, actor="clerk").tasks[0].element_id == "task_2"
    kinds = [e.type.value for e in engine.history(working.id)]
    assert kinds.index("instance_suspended") < kinds.index("instance_resumed") < kinds.index("task_completed")


@pytest.mark.sqlite_only
def test_a_multi_instance_without_its_input_list_is_an_incident_not_a_crash(engine_with: EngineWith) -> None:
    from tests.engine.element_catalogue import catalogue

    engine = engine_with(catalogue()["parallelMultiInstance"])
    inst = engine.start("el_parallelMultiInstance", actor="clerk")
    assert inst.status == "error" and "TypeError" in (inst.incident_message or "")
