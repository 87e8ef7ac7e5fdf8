"""engine/timeline.py: a page of the timeline and the replay markers agree with the full history."""

from __future__ import annotations

from engine.timeline import shown
from tests.conftest import EngineWith
from tests.engine import bpmn_builder as b


def test_a_page_is_the_history_people_read_newest_first_with_the_replay_of_the_last_step(
    engine_with: EngineWith,
) -> None:
    engine = engine_with(b.user_tasks_process("two", 2))
    inst = engine.start("two", {"title": "征地补偿"}, actor="clerk")
    task = inst.tasks[0]
    for _ in range(4):
        engine.claim(task.id, actor="handler")
        engine.unclaim(task.id, actor="handler")
    inst = engine.complete(task.id, {"reply": "已答复"}, actor="handler")
    history = engine.history(inst.id)
    named = {"task_1", "task_2"}
    people_read = [e for e in reversed(history)
                   if not (e.type.startswith("element_") and e.element_id not in named and not e.changes)]
    assert len(people_read) < len(history), "engine steps through unnamed elements are left out"

    first = engine.timeline(inst.id, page=1, per_page=3, named=named)
    second = engine.timeline(inst.id, page=2, per_page=3, named=named)
    assert first.events == people_read[:3] and second.events == people_read[3:6]
    assert first.pages == -(-len(people_read) // 3) and first.last_seq == history[-1].seq
    replayed = engine.replay(inst.id, history[-1].seq)
    assert (first.completed, first.active, first.waiting, first.cancelled) == (
        replayed.completed, replayed.active, replayed.waiting, replayed.cancelled)
    assert first.data is None and first.replayed_at is None
    assert engine.timeline(inst.id, page=99, per_page=3, named=named).page == first.pages


def test_a_step_replays_data_and_pages_only_what_happened_until_then(engine_with: EngineWith) -> None:
    engine = engine_with(b.user_tasks_process("two", 2))
    inst = engine.start("two", {"title": "征地补偿"}, actor="clerk")
    engine.complete(inst.tasks[0].id, {"reply": "已答复"}, actor="handler")
    history = engine.history(inst.id)
    done = next(e for e in history if e.type == "task_completed")
    at = engine.timeline(inst.id, per_page=100, named={"begin", "task_1", "task_2", "finish"}, step=done.seq)
    assert at.data == engine.replay(inst.id, done.seq).data == {"title": "征地补偿", "reply": "已答复"}
    assert at.replayed_at == done.at and at.step == done.seq
    assert [e.seq for e in at.events] == sorted((e.seq for e in history if e.seq <= done.seq), reverse=True)
    assert at.active == engine.replay(inst.id, done.seq).active


def test_engine_steps_of_unnamed_elements_that_changed_nothing_are_not_shown() -> None:
    class Outline:
        def __init__(self, type_: str, element: str | None, changed: bool, detail: dict[str, object] | None = None,
                     ) -> None:
            self.type, self.element_id, self.changed, self.detail = type_, element, changed, detail or {}

    assert not shown(Outline("element_completed", "gateway_1", False), {"task1"})  # type: ignore[arg-type]
    assert shown(Outline("element_completed", "gateway_1", True), {"task1"})  # type: ignore[arg-type]
    assert shown(Outline("element_completed", "task1", False), {"task1"})  # type: ignore[arg-type]
    assert shown(Outline("task_claimed", "gateway_1", False), set())  # type: ignore[arg-type]
    # A step that opened a person's task is shown (format 3 lists the task in its event).
    opened = {"opened": [["task1", "t-1"]]}
    assert shown(Outline("element_waiting", "gateway_1", False, opened), {"task1"})  # type: ignore[arg-type]
