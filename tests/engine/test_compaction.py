"""Long-running instances: the completed part of the task tree is compacted, so a loop runs
on without a depth wall, and history, replay, joins and boundary timers still work."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from engine import FakeClock, persistence, runtime
from engine.chain import opens
from engine.models import Instance
from tests.conftest import EngineWith
from tests.engine import bpmn_builder as b


@pytest.mark.sqlite_only
def test_a_loop_runs_past_a_thousand_iterations_with_history_and_replay(engine_with: EngineWith) -> None:
    engine = engine_with(b.user_loop_process("loop"))
    inst = engine.start("loop", {"done": False}, actor="clerk")
    sizes = []
    for i in range(1, 1101):
        inst = engine.complete(inst.tasks[0].id, {"done": False, "i": i}, actor="handler")
        assert inst.status == "running", (i, inst.incident_message)
        if i % 100 == 0:
            sizes.append(len(engine.workflow(inst.id).tasks))
    # The tree stays shallow: its size at 1,100 iterations is what it was at 100.
    assert max(sizes) <= 3 * (runtime.COMPACT_ABOVE + runtime.KEEP_LEVELS)
    done = engine.complete(inst.tasks[0].id, {"done": True}, actor="handler")
    assert done.status == "completed"
    events = engine.history(inst.id)
    completions = [e for e in events if e.type == "task_completed"]
    assert len(completions) == 1101
    assert engine.verify_history(inst.id).ok
    # Replay reads the events, not the compacted state: iteration 7 is still there.
    seventh = completions[6].seq
    assert engine.replay(inst.id, seventh).data == {"done": False, "i": 7}
    # The task opened again by the seventh completion (format 3 lists it in that event).
    reopened = next(e.seq for e in events if e.seq >= seventh and "again" in opens(e))
    assert engine.replay(inst.id, reopened).active == ["again"]


def test_a_compacted_loop_reloads_and_runs_on_in_another_engine(engine_with: EngineWith) -> None:
    first = engine_with(b.user_loop_process("loop"))
    inst = first.start("loop", {"done": False}, actor="clerk")
    for i in range(120):
        inst = first.complete(inst.tasks[0].id, {"done": False, "i": i}, actor="handler")
    tree = first.workflow(inst.id)
    assert len(tree.tasks) < 120, "compaction dropped the completed trunk"
    assert tree.task_tree.parent is None
    second = engine_with()  # a restart: nothing cached, the state is read back
    inst = second.complete(inst.tasks[0].id, {"done": False, "i": 120}, actor="handler")
    inst = second.complete(inst.tasks[0].id, {"done": True}, actor="handler")
    assert inst.status == "completed"
    assert inst.data == {"done": True, "i": 120}
    assert second.verify_history(inst.id).ok


def test_joins_and_boundary_timers_in_a_compacted_loop(engine_with: EngineWith, clock: FakeClock) -> None:
    engine = engine_with(b.review_loop_process("review"))
    inst = engine.start("review", {"done": False}, actor="clerk")

    def ready() -> list[str]:
        return sorted(t.element_id for t in engine.tasks(instance_id=inst.id))

    def complete(element: str, data: dict[str, object] | None = None) -> None:
        task = next(t for t in engine.tasks(instance_id=inst.id) if t.element_id == element)
        engine.complete(task.id, data, actor="handler")

    for _ in range(25):
        assert ready() == ["check_a", "check_b"]
        complete("check_a")
        assert ready() == ["check_b"], "the join waits for the other branch"
        complete("check_b")
        assert ready() == ["decide"]
        complete("decide", {"done": False})
    assert len(engine.workflow(inst.id).tasks) < 25 * 8, "compaction dropped the completed trunk"
    complete("check_a")
    complete("check_b")
    assert ready() == ["decide"]
    clock.advance(hours=2)
    assert engine.fire_due_timers() == 1
    assert ready() == ["escalated"], "the boundary timer of the current pass still fires"
    complete("escalated")
    assert engine.instance(inst.id).status == "completed"
    assert engine.verify_history(inst.id).ok


def test_a_format_2_state_is_compacted_when_loaded(
    engine_with: EngineWith, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = engine_with(b.user_loop_process("loop"))
    inst = engine.start("loop", {"done": False}, actor="clerk")
    with monkeypatch.context() as m:
        m.setattr(runtime, "COMPACT_ABOVE", 10**6)  # write what format 2 wrote: every task kept
        for _ in range(80):
            inst = engine.complete(inst.tasks[0].id, {"done": False}, actor="handler")
    whole = len(engine.workflow(inst.id).tasks)
    with engine.sessionmaker.begin() as s:
        row = s.get(Instance, inst.id)
        assert row is not None
        row.serializer_version = 2
    later = engine_with()
    assert len(later.workflow(inst.id).tasks) < whole // 2
    inst = later.complete(inst.tasks[0].id, {"done": True}, actor="handler")
    assert inst.status == "completed"
    with later.sessionmaker() as s:
        assert s.scalar(select(Instance.serializer_version).where(Instance.id == inst.id)) == 3
    assert persistence.SERIALIZER_VERSION == 3
