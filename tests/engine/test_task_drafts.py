"""engine/task_drafts.py: a task's form kept per task and user without completing it."""

from __future__ import annotations

import pytest

from engine import FieldsNotOwned, TaskClaimed, TaskNotReady
from tests.conftest import DIAGRAMS, EngineWith


def test_draft_per_task_and_user_kept_until_completion(engine_with: EngineWith) -> None:
    engine = engine_with(DIAGRAMS / "camunda_modeler_leave.bpmn")
    inst = engine.start("leave_request", {}, actor="clerk")
    [task] = engine.tasks(instance_id=inst.id)
    assert engine.task_drafts.get(task.id, actor="demo") is None
    # Required fields may be empty in a draft; it is replaced, not added to.
    engine.task_drafts.save(task.id, {"days": "4"}, actor="demo")
    saved = engine.task_drafts.save(task.id, {"days": "6", "approved": True}, actor="demo")
    assert engine.task_drafts.get(task.id, actor="demo") == saved
    assert saved.data == {"days": "6", "approved": True} and saved.owner == "demo"
    # Nothing of it reached the case.
    assert "days" not in engine.instance(inst.id).data
    with pytest.raises(FieldsNotOwned):
        engine.task_drafts.save(task.id, {"salary": 1}, actor="demo")
    with pytest.raises(TaskClaimed):
        engine.task_drafts.save(task.id, {"days": "1"}, actor="someone_else")
    engine.complete(task.id, {"days": 6, "approved": True}, actor="demo")
    assert engine.task_drafts.get(task.id, actor="demo") is None
    with pytest.raises(TaskNotReady):
        engine.task_drafts.save(task.id, {"days": "1"}, actor="demo")
    assert engine.task_drafts.discard(task.id, actor="demo") is False, "completion dropped the draft"
