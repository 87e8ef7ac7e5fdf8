"""Deadlines of one case as an auditor checks them: each task's due time against when it was
done and by whom, each timer's due time against when it fired, and the statutory clocks
(the case data's `*_deadline` fields) with every change made to them.

Who completed a task and when is read from the hash-chained history; the due time of a task
from the task index (the only place it is kept), its later moves from the history.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .history import utc
from .states import EventType
from .views import EventView, TaskView

#: Case data fields that hold a statutory clock end with this.
CLOCK_SUFFIX = "_deadline"


def parse_when(value: Any) -> datetime | None:
    """An ISO date or date-time from case data or an event's detail, in UTC (None if not one)."""
    if not value:
        return None
    try:
        return utc(datetime.fromisoformat(str(value)))
    except ValueError:
        return None


def late_by(due: datetime | None, done: datetime | None, now: datetime) -> float | None:
    """Seconds past `due` when done after it, or still open after it now (None when in time)."""
    if due is None:
        return None
    seconds = ((done or now) - due).total_seconds()
    return seconds if seconds > 0 else None


@dataclass(frozen=True)
class TaskDeadline:
    """One human task: opened, due, and done (or withdrawn) by whom; `late_seconds` when late."""

    task_id: str
    element_id: str
    name: str | None
    state: str
    opened_at: datetime
    due_at: datetime | None
    done_at: datetime | None
    done_by: str | None
    late_seconds: float | None
    #: History steps that moved the due time (TASK_DUE_CHANGED).
    due_moves: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class TimerDeadline:
    """One timer of the case: set at, due at, and fired at (None while waiting or if withdrawn)."""

    element_id: str
    set_step: int | None
    due_at: datetime | None
    fired_at: datetime | None
    fired_step: int | None
    state: str  # waiting, fired, withdrawn


@dataclass(frozen=True)
class ClockChange:
    """A history step that set or moved a statutory clock."""

    step: int
    at: datetime
    actor: str
    before: Any
    after: Any


@dataclass(frozen=True)
class StatutoryClock:
    """A statutory time limit of the case (a `*_deadline` data field) as it stands, and its changes."""

    key: str
    due_at: datetime | None
    changes: list[ClockChange]


@dataclass(frozen=True)
class CaseDeadlines:
    """Every deadline of one case, for the audit page."""

    tasks: list[TaskDeadline]
    timers: list[TimerDeadline]
    clocks: list[StatutoryClock]


def _timers(events: Sequence[EventView]) -> list[TimerDeadline]:
    timers: dict[str, dict[str, Any]] = {}
    for e in events:
        key = e.task_id or f"{e.element_id}:{e.seq}"
        if e.type == EventType.TIMER_WAITING:
            timers.setdefault(key, {"element_id": e.element_id or "", "set_step": e.seq, "fired_at": None,
                                    "fired_step": None, "state": "waiting",
                                    "due_at": parse_when(e.detail.get("due_at"))})
        elif e.type == EventType.TIMER_FIRED:
            timer = timers.setdefault(key, {"element_id": e.element_id or "", "set_step": None})
            timer.update(due_at=parse_when(e.detail.get("due_at")) or timer.get("due_at"),
                         fired_at=parse_when(e.detail.get("fired_at")) or e.at, fired_step=e.seq, state="fired")
        elif key in timers and timers[key]["state"] == "waiting" and e.type in (
                EventType.ELEMENT_CANCELLED, EventType.ELEMENT_COMPLETED, EventType.TASK_CANCELLED):
            timers[key]["state"] = "withdrawn"
        elif e.type in (EventType.INSTANCE_CANCELLED, EventType.INSTANCE_COMPLETED):
            for timer in timers.values():
                if timer["state"] == "waiting":
                    timer["state"] = "withdrawn"
    return [TimerDeadline(**t) for t in timers.values()]


def _clocks(events: Sequence[EventView]) -> list[StatutoryClock]:
    changes: dict[str, list[ClockChange]] = {}
    for e in events:
        for key, (before, after) in e.changes.items():
            if key.endswith(CLOCK_SUFFIX) and before != after:
                changes.setdefault(key, []).append(ClockChange(e.seq, e.at, e.actor, before, after))
    return [StatutoryClock(key, parse_when(moves[-1].after), moves) for key, moves in changes.items()]


def case_deadlines(events: Sequence[EventView], tasks: Sequence[TaskView], now: datetime) -> CaseDeadlines:
    """The deadlines of a case from its history and its task rows (of every state), at `now`."""
    done: dict[str, EventView] = {}
    moves: dict[str, list[int]] = {}
    withdrawn: dict[str, EventView] = {}
    for e in events:
        if e.task_id is None:
            continue
        if e.type == EventType.TASK_COMPLETED:
            done[e.task_id] = e
        elif e.type == EventType.TASK_CANCELLED:
            withdrawn[e.task_id] = e
        elif e.type == EventType.TASK_DUE_CHANGED:
            moves.setdefault(e.task_id, []).append(e.seq)
    rows = []
    for t in sorted(tasks, key=lambda t: utc(t.created_at)):
        finished = done.get(t.id) or withdrawn.get(t.id)
        done_at = finished.at if finished else (utc(t.completed_at) if t.completed_at else None)
        done_by = done[t.id].actor if t.id in done else None
        due = utc(t.due_at) if t.due_at else None
        late = None if t.id in withdrawn else late_by(due, done_at, utc(now))
        rows.append(TaskDeadline(t.id, t.element_id, t.name, t.state, utc(t.created_at), due, done_at,
                                 done_by, late, moves.get(t.id, [])))
    return CaseDeadlines(rows, _timers(events), _clocks(events))
