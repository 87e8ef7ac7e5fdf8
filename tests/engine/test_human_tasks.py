"""engine/human_tasks.py: a task is assigned only to an active user who may work it."""

from __future__ import annotations

import pytest

from engine import AssignmentRefused
from tests.conftest import EngineWith
from tests.engine import bpmn_builder as b


def test_assign_only_to_an_active_member_of_the_tasks_groups(engine_with: EngineWith) -> None:
    engine = engine_with(b.user_tasks_process("p", 1))
    engine.accounts.scrypt_n = 2**4
    for name, groups in {"li": ["case_handler"], "boss": ["coordinator"], "eye": ["auditor", "case_handler"],
                         "gone": ["case_handler"]}.items():
        engine.accounts.add_user(name, "long enough 1", groups)
    engine.accounts.set_active("gone", False)
    task = engine.start("p", actor="clerk").tasks[0]
    for who in ("boss", "eye", "gone", "nobody"):  # himself, an auditor, disabled, unknown
        with pytest.raises(AssignmentRefused) as refused:
            engine.assign(task.id, who, actor="boss")
        assert refused.value.user == who and refused.value.task_id == task.id
    assert engine.task(task.id).assignee is None
    assert [e.type for e in engine.history(task.instance_id)].count("task_assigned") == 0
    assert engine.assign(task.id, "li", actor="boss").assignee == "li"
