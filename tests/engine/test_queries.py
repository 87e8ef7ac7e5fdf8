"""engine/queries.py: the inbox counts, held and offered tasks counted in one statement."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import update

from engine import FakeClock, InboxFilter
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


def test_inbox_filters_and_pages_on_its_prebuilt_statements(engine_with: EngineWith, clock: FakeClock) -> None:
    """Every filter, alone and together, and paging: the statements are built once per shape and
    take every value as a parameter, so two reads of one shape with other values differ rightly."""
    engine = engine_with(b.user_tasks_process("one", 1), b.user_tasks_process("two", 1))
    engine.accounts.scrypt_n = 2**4
    engine.accounts.add_user("wang", "long enough 1", ["case_handler"])
    now = clock()
    made = []  # (process, campaign, colour, overdue, held by wang)
    for n in range(8):
        key, campaign, colour = ("one", "2025", "red") if n % 2 else ("two", "2026", "green")
        task_id = engine.start(key, {"campaign_id": campaign, "risk_colour": colour}, actor="clerk").tasks[0].id
        due = now - timedelta(days=1) if n < 3 else now + timedelta(days=10 + n)
        with engine.sessionmaker.begin() as s:
            s.execute(update(HumanTask).where(HumanTask.id == task_id).values(due_at=due))
            s.execute(update(TaskGroup).where(TaskGroup.task_id == task_id).values(due_at=due))
        if n in (1, 4):
            engine.claim(task_id, actor="wang")
        made.append((task_id, key, campaign, colour, n < 3, n in (1, 4)))

    def expected(keep: Any) -> list[str]:
        return sorted(t for t, *facts in made if keep(*facts))

    def shown(flt: InboxFilter, user: str = "wang", groups: tuple[str, ...] = ("case_handler",)) -> list[str]:
        return sorted(i.task_id for i in engine.queries.inbox(user, groups, flt, per_page=50).items)

    assert shown(InboxFilter()) == expected(lambda *_: True)
    assert shown(InboxFilter(process_key="one")) == expected(lambda key, *_: key == "one")
    assert shown(InboxFilter(process_key="two")) == expected(lambda key, *_: key == "two")
    assert shown(InboxFilter(campaign_id="2026")) == expected(lambda _k, campaign, *_: campaign == "2026")
    assert shown(InboxFilter(risk_colour="red", overdue=True)) == expected(
        lambda _k, _c, colour, overdue, _h: colour == "red" and overdue)
    assert shown(InboxFilter(mine_only=True)) == expected(lambda *facts: facts[-1])
    assert shown(InboxFilter(overdue=True, mine_only=True)) == expected(lambda *facts: facts[-1] and facts[-2])
    assert shown(InboxFilter(), user="li") == expected(lambda *facts: not facts[-1])  # offers only
    assert shown(InboxFilter(), user="li", groups=()) == []
    # Paging: the same shape with other page values, most urgent first, no task twice.
    pages = [engine.queries.inbox("wang", ["case_handler"], page=p, per_page=3) for p in (1, 2, 3)]
    assert [len(p.items) for p in pages] == [3, 3, 2] and {p.pages for p in pages} == {3}
    ordered = [i.task_id for p in pages for i in p.items]
    assert sorted(ordered) == expected(lambda *_: True)
    dues = [i.due_at for p in pages for i in p.items]
    assert dues == sorted(dues)
    counts = pages[0].counts
    assert (counts.total, counts.mine, counts.claimable, counts.overdue) == (8, 2, 6, 3)
