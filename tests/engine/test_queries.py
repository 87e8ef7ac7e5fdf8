"""engine/queries.py: the inbox counts, held and offered tasks counted in one statement."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from engine import FakeClock
from engine.models import HumanTask, TaskGroup
from tests.conftest import EngineWith
from tests.engine import bpmn_builder as b


def test_inbox_counts_held_and_offered_tasks_with_their_deadlines(engine_with: EngineWith, clock: FakeClock) -> None:
    engine = engine_with(b.user_tasks_process("one", 1))
    engine.accounts.scrypt_n = 2**4
    engine.accounts.add_user("wang", "long enough 1", ["case_handler"])
    tasks = [engine.start("one", {}, actor="clerk").tasks[0].id for _ in range(5)]
    now = clock()
    # Two held by wang (one overdue), three offered (one overdue, one due tomorrow, one without a date).
    dues = [now - timedelta(days=1), now + timedelta(days=30), now - timedelta(hours=1), now + timedelta(days=1), None]
    with engine.sessionmaker.begin() as s:
        for task_id, due in zip(tasks, dues, strict=True):
            s.execute(update(HumanTask).where(HumanTask.id == task_id).values(due_at=due))
            s.execute(update(TaskGroup).where(TaskGroup.task_id == task_id).values(due_at=due))
    engine.claim(tasks[0], actor="wang")
    engine.claim(tasks[1], actor="wang")
    counts = engine.queries.inbox("wang", ["case_handler"]).counts
    assert (counts.total, counts.mine, counts.claimable, counts.overdue, counts.near_due) == (5, 2, 3, 2, 1)
    mine = engine.queries.inbox("wang", []).counts  # no groups: the held ones alone
    assert (mine.total, mine.mine, mine.claimable, mine.overdue) == (2, 2, 0, 1)
