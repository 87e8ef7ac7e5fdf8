"""Migration (engine/migration.py): diff two versions, check and move running instances."""

from __future__ import annotations

from datetime import timedelta

import pytest

from engine import Engine, EventType, FakeClock, InstanceStatus, MigrationObstacle, MigrationRefused
from tests.conftest import EngineWith
from tests.engine.bpmn_builder import flow, process

KEY = "review_path"


def review(*, extra_step: bool = False, first_name: str = "受理", second: str = "answer",
           reminder: str = "P5D") -> str:
    """begin → accept (a reminder timer on it) → [check_facts] → answer → finish.

    The reminder is a non-interrupting boundary timer that opens `chase_up` for the supervisor.
    """
    steps = ["accept", "check_facts", second] if extra_step else ["accept", second]
    parts = ['<bpmn:startEvent id="begin"/>']
    prev = "begin"
    for i, step in enumerate(steps):
        name = first_name if step == "accept" else step
        parts.append(f'<bpmn:userTask id="{step}" name="{name}" camunda:candidateGroups="case_handler"/>')
        parts.append(flow(f"f{i}", prev, step))
        prev = step
    parts += [
        '<bpmn:endEvent id="finish"/>', flow("f_end", prev, "finish"),
        '<bpmn:boundaryEvent id="reminder" attachedToRef="accept" cancelActivity="false">'
        f'<bpmn:timerEventDefinition><bpmn:timeDuration>"{reminder}"</bpmn:timeDuration>'
        "</bpmn:timerEventDefinition></bpmn:boundaryEvent>",
        '<bpmn:userTask id="chase_up" name="督办" camunda:candidateGroups="supervisor"/>',
        '<bpmn:endEvent id="chased"/>',
        flow("f_r1", "reminder", "chase_up"), flow("f_r2", "chase_up", "chased"),
    ]
    return process(KEY, "\n".join(parts))


def complete_ready(engine: Engine, instance_id: int, element_id: str) -> None:
    """Complete the one ready task of `element_id` as a handler would."""
    [task] = [t for t in engine.tasks(instance_id=instance_id) if t.element_id == element_id]
    engine.complete(task.id, {}, actor="handler")


def test_diff_names_added_removed_and_changed_elements(engine_with: EngineWith) -> None:
    engine = engine_with(review(), review(extra_step=True, first_name="登记受理", second="reply"))
    diff = engine.diff(KEY, 1, 2)
    assert [e.element_id for e in diff.added] == ["check_facts", "reply"]
    assert [e.element_id for e in diff.removed] == ["answer"]
    changed = {e.element_id: e.changes for e in diff.changed}
    assert "name" in changed["accept"] and "flow" in changed["accept"]
    assert diff.added[1].type == "userTask" and diff.removed[0].name == "answer"


def test_a_migrated_instance_completes_on_the_new_version(engine_with: EngineWith, clock: FakeClock) -> None:
    engine = engine_with(review())
    old = engine.start(KEY, {"petitioner": "张三"}, actor="clerk")
    [before] = engine.tasks(instance_id=old.id)
    engine.claim(before.id, actor="handler")
    engine.deploy(review(extra_step=True), actor="designer")
    new = engine.start(KEY, actor="clerk")
    assert new.version == 2

    check = engine.can_migrate(old.id, 2)
    assert check.ok and (check.from_version, check.to_version) == (1, 2)
    clock.advance(hours=2)
    moved = engine.migrate(old.id, 2, actor="designer")

    assert moved.version == 2 and moved.status == InstanceStatus.RUNNING
    # The index was rebuilt from the moved workflow: the same task, still held by its holder.
    [after] = engine.tasks(instance_id=old.id)
    assert (after.element_id, after.assignee) == ("accept", "handler")
    complete_ready(engine, old.id, "accept")
    complete_ready(engine, old.id, "check_facts")  # only version 2 has this step
    complete_ready(engine, old.id, "answer")
    assert engine.instance(old.id).status == InstanceStatus.COMPLETED

    events = engine.history(old.id)
    [migrated] = [e for e in events if e.type == EventType.INSTANCE_MIGRATED]
    assert migrated.actor == "designer" and migrated.detail == {"from_version": 1, "to_version": 2}
    assert migrated.at == clock()
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    assert engine.verify_history(old.id).ok


def test_timers_keep_their_due_time_and_still_fire_when_nobody_acts(
    engine_with: EngineWith, clock: FakeClock
) -> None:
    engine = engine_with(review())
    started = clock()
    inst = engine.start(KEY, actor="clerk")
    [timer] = engine.timers()
    assert timer.due_at == started + timedelta(days=5)
    clock.advance(days=3)
    engine.deploy(review(extra_step=True), actor="designer")
    engine.migrate(inst.id, 2, actor="designer")
    assert [(t.instance_id, t.element_id, t.due_at) for t in engine.timers()] == [
        (inst.id, "reminder", started + timedelta(days=5))]

    clock.advance(days=2, minutes=1)
    assert engine.fire_due_timers() == 1
    assert {t.element_id for t in engine.tasks(instance_id=inst.id)} == {"accept", "chase_up"}
    complete_ready(engine, inst.id, "accept")
    assert {t.element_id for t in engine.tasks(instance_id=inst.id)} == {"check_facts", "chase_up"}
    assert engine.verify_history(inst.id).ok


def test_an_instance_at_a_removed_or_changed_element_cannot_move(engine_with: EngineWith) -> None:
    engine = engine_with(review(), review(second="reply"), review(first_name="登记受理"))
    inst = engine.start(KEY, actor="clerk", version=1)
    complete_ready(engine, inst.id, "accept")  # now at "answer"

    removed = engine.can_migrate(inst.id, 2)
    assert not removed.ok
    assert [(p.reason, p.element_id) for p in removed.problems] == [(MigrationObstacle.ELEMENT_REMOVED, "answer")]
    history = len(engine.history(inst.id))
    with pytest.raises(MigrationRefused) as refused:
        engine.migrate(inst.id, 2, actor="designer")
    assert refused.value.instance_id == inst.id and refused.value.problems == removed.problems
    assert engine.instance(inst.id).version == 1 and len(engine.history(inst.id)) == history
    # Renaming a step the case has already left is no obstacle.
    assert engine.can_migrate(inst.id, 3).ok

    waiting = engine.start(KEY, actor="clerk", version=1)  # at "accept", which version 3 renames
    changed = engine.can_migrate(waiting.id, 3)
    assert [(p.reason, p.element_id) for p in changed.problems] == [(MigrationObstacle.ELEMENT_CHANGED, "accept")]
    assert engine.can_migrate(waiting.id, 1).problems[0].reason == MigrationObstacle.SAME_VERSION


@pytest.mark.sqlite_only
def test_a_changed_timer_refuses_the_move_and_an_ended_instance_has_nothing_to_move(
    engine_with: EngineWith,
) -> None:
    engine = engine_with(review(), review(reminder="P3D"))
    inst = engine.start(KEY, actor="clerk", version=1)
    [problem] = engine.can_migrate(inst.id, 2).problems
    assert (problem.reason, problem.element_id) == (MigrationObstacle.ELEMENT_CHANGED, "reminder")
    engine.cancel(inst.id, actor="coordinator", reason="test")
    assert engine.can_migrate(inst.id, 2).problems[0].reason == MigrationObstacle.ENDED


@pytest.mark.sqlite_only
def test_migrate_many_moves_those_that_can_and_leaves_the_others(engine_with: EngineWith) -> None:
    engine = engine_with(review(), review(extra_step=True, first_name="登记受理"))
    waiting = engine.start(KEY, actor="clerk", version=1)  # at "accept", which version 2 renames
    moving = engine.start(KEY, actor="clerk", version=1)
    complete_ready(engine, moving.id, "accept")
    checks = engine.migrate_many([waiting.id, moving.id], 2, actor="designer")
    assert [(c.instance_id, c.ok) for c in checks] == [(waiting.id, False), (moving.id, True)]
    assert (engine.instance(waiting.id).version, engine.instance(moving.id).version) == (1, 2)
    assert engine.verify_history().ok


def _indexes(engine: Engine, instance_id: int) -> tuple[list[tuple[object, ...]], ...]:
    """The task, offer and timer rows of an instance, without the ids that differ per instance."""
    from sqlalchemy import select

    from engine.models import HumanTask, TaskGroup, Timer

    with engine.read_sessionmaker() as s:
        tasks = sorted((t.element_id, t.state, t.assignee, t.due_at, tuple(t.candidate_groups or []))
                       for t in s.scalars(select(HumanTask).where(HumanTask.instance_id == instance_id)))
        offers = sorted((g.group_name, g.open, g.due_at) for g in s.scalars(
            select(TaskGroup).where(TaskGroup.instance_id == instance_id)))
        timers = sorted((t.element_id, t.due_at)
                        for t in s.scalars(select(Timer).where(Timer.instance_id == instance_id)))
    return tasks, offers, timers


def test_a_bulk_move_leaves_the_same_indexes_as_one_move_at_a_time(engine_with: EngineWith, clock: FakeClock) -> None:
    """migrate_many writes the indexes of a chunk in bulk: the task, offer and timer rows are those
    one `migrate` per instance leaves; each instance has its one instance_migrated event."""
    engine = engine_with(review())
    at_accept = [engine.start(KEY, actor="clerk").id for _ in range(2)]
    at_answer = [engine.start(KEY, actor="clerk").id for _ in range(2)]
    clock.advance(days=1)
    for instance_id in at_answer:
        complete_ready(engine, instance_id, "accept")
    engine.deploy(review(extra_step=True), actor="designer")
    engine.migrate(at_accept[0], 2, actor="designer")
    engine.migrate(at_answer[0], 2, actor="designer")
    checks = engine.migrate_many([at_accept[1], at_answer[1]], 2, actor="designer")
    assert all(c.ok for c in checks)
    # Each move's event seals the task rows the bulk write left (verify-history compares them).
    assert engine.verify_history().ok
    assert _indexes(engine, at_accept[0]) == _indexes(engine, at_accept[1])
    assert _indexes(engine, at_answer[0]) == _indexes(engine, at_answer[1])
    for instance_id in at_accept + at_answer:
        moved = [e for e in engine.history(instance_id) if e.type == EventType.INSTANCE_MIGRATED]
        assert [(e.detail["from_version"], e.detail["to_version"]) for e in moved] == [(1, 2)]
    # The bulk-moved case then runs on version 2 to its end (the new step included).
    for element in ("accept", "check_facts", "answer"):
        complete_ready(engine, at_accept[1], element)
    assert engine.instance(at_accept[1]).status == InstanceStatus.COMPLETED
    assert engine.verify_history().ok


@pytest.mark.parametrize("bulk", [False, True])
def test_a_case_waiting_for_a_worker_is_still_fetched_after_the_move(engine_with: EngineWith, bulk: bool) -> None:
    """The external-task index follows the moved workflow (its task ids change), one by one and in bulk."""
    from tests.engine.bpmn_builder import flow as b_flow
    from tests.engine.test_external_tasks import notify_process

    engine = engine_with(notify_process())
    inst = engine.start("notify_petitioner", {"phone": "13800000000"}, actor="clerk")
    changed = notify_process().replace(
        b_flow("f3", "follow_up_visit", "finish"),
        '<bpmn:userTask id="close_file" name="归档" camunda:candidateGroups="case_handler"/>'
        + b_flow("f3", "follow_up_visit", "close_file") + b_flow("f4", "close_file", "finish"))
    engine.deploy(changed, actor="designer")
    if bulk:
        assert engine.migrate_many([inst.id], 2, actor="designer")[0].ok
    else:
        engine.migrate(inst.id, 2, actor="designer")
    [task] = engine.fetch_and_lock("w1", ["sms"])
    assert task.instance_id == inst.id
    engine.complete_external(task.id, worker_id="w1")
    for element in ("follow_up_visit", "close_file"):
        complete_ready(engine, inst.id, element)
    assert engine.instance(inst.id).status == InstanceStatus.COMPLETED
