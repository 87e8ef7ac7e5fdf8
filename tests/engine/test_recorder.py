"""engine/recorder.py: rebuilding an instance's task, offer and timer indexes from its workflow."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import delete, select, update

from engine import Engine, FakeClock
from engine.models import HumanTask, TaskGroup, Timer

from ..conftest import EngineWith

SIMPLE = Path(__file__).parent / "diagrams" / "simple_review.bpmn"


def _indexes(engine: Engine, instance_id: int) -> dict[str, Any]:
    with engine.read_sessionmaker() as s:
        tasks = {(t.id, t.element_id, t.state, t.assignee, t.due_at) for t in s.scalars(
            select(HumanTask).where(HumanTask.instance_id == instance_id))}
        offers = {(o.task_id, o.group_name, o.open, o.due_at) for o in s.scalars(
            select(TaskGroup).where(TaskGroup.instance_id == instance_id))}
        timers = {(t.id, t.element_id, t.due_at) for t in s.scalars(
            select(Timer).where(Timer.instance_id == instance_id))}
    return {"tasks": tasks, "offers": offers, "timers": timers}


def test_lost_indexes_are_rebuilt_as_they_were(engine_with: EngineWith) -> None:
    engine = engine_with(SIMPLE)
    inst = engine.start("simple_review", {"handler": "zhang"}, actor="clerk")
    before = _indexes(engine, inst.id)
    assert before["tasks"] and before["offers"] and before["timers"]
    with engine.sessionmaker.begin() as s:
        s.execute(delete(TaskGroup).where(TaskGroup.instance_id == inst.id))
        s.execute(delete(Timer).where(Timer.instance_id == inst.id))
        s.execute(delete(HumanTask).where(HumanTask.instance_id == inst.id))
    assert _indexes(engine, inst.id) == {"tasks": set(), "offers": set(), "timers": set()}
    after = engine.rebuild_indexes(inst.id)
    assert _indexes(engine, inst.id) == before
    assert [t.element_id for t in after.tasks] == ["accept_case"]
    assert engine.verify_history(inst.id).ok


def test_a_stale_ready_row_is_closed_and_a_held_task_keeps_its_holder(engine_with: EngineWith,
                                                                      clock: FakeClock) -> None:
    engine = engine_with(SIMPLE)
    inst = engine.start("simple_review", {"handler": "zhang"}, actor="clerk")
    accept = inst.tasks[0].id
    engine.claim(accept, actor="coord")
    done = engine.complete(accept, {"accepted": True}, actor="coord")
    handle = done.tasks[0].id
    events_before = len(engine.history(inst.id))
    with engine.sessionmaker.begin() as s:
        # Damage: the completed task shows as ready again, the open task lost its offers' state.
        s.execute(update(HumanTask).where(HumanTask.id == accept).values(state="ready"))
        s.execute(update(TaskGroup).where(TaskGroup.instance_id == inst.id).values(open=False))
    engine.rebuild_indexes(inst.id)
    with engine.read_sessionmaker() as s:
        assert s.get(HumanTask, accept).state == "completed"  # type: ignore[union-attr]
        row = s.get(HumanTask, handle)
        assert row is not None and row.state == "ready" and row.assignee == "zhang"
    assert [t.id for t in engine.tasks(instance_id=inst.id)] == [handle]
    assert len(engine.history(inst.id)) == events_before, "repair writes no event"


def test_a_completion_reads_the_task_table_once(engine_with: EngineWith) -> None:
    """The task, the instance's other ready tasks and the open tasks its events seal are one
    read of the task table (issue 12: no second read of what the transaction already holds)."""
    from sqlalchemy import event

    engine = engine_with(SIMPLE)
    inst = engine.start("simple_review", {"handler": "zhang"}, actor="clerk")
    task = inst.tasks[0]
    engine.claim(task.id, actor="zhang")
    statements: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        statements.append(" ".join(statement.split()))

    bind = engine.sessionmaker.kw["bind"]
    event.listen(bind, "before_cursor_execute", seen)
    try:
        after = engine.complete(task.id, {"accepted": True}, actor="zhang")
    finally:
        event.remove(bind, "before_cursor_execute", seen)
    reads = [s for s in statements if s.startswith("SELECT") and "FROM human_task " in s + " "
             and not s.startswith("SELECT instance.")]
    assert len(reads) == 1, reads
    assert after.status in ("running", "waiting", "completed")
    assert engine.verify_history(inst.id).ok
