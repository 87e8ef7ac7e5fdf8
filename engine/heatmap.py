"""The heatmap of a process version: how many instances passed each element, how long they
stayed there (median and 90th percentile), and how often each human task ran late.

Read from the history events and the task index alone; nothing is run or loaded.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Text, and_, case, cast, or_, select
from sqlalchemy.orm import Session, sessionmaker

from .chain import FOLDED_KEYS, passed
from .chain import opened as opened_tasks
from .history import utc
from .models import Event, HumanTask, Instance
from .states import EventType, TaskState

#: Events that begin a visit of an element (a task offered, a sub-process started, a wait set).
BEGINS = frozenset({EventType.TASK_READY, EventType.ELEMENT_STARTED, EventType.TIMER_WAITING,
                    EventType.ELEMENT_WAITING})
#: Events that end a visit: done, fired, or withdrawn. An element that ends with no begin event
#: (a gateway, a script) is passed through in no time.
ENDS = frozenset({EventType.TASK_COMPLETED, EventType.ELEMENT_COMPLETED, EventType.TIMER_FIRED,
                  EventType.TASK_CANCELLED, EventType.ELEMENT_CANCELLED})


@dataclass(frozen=True)
class HeatmapFilter:
    """Which visits count: of cases of one campaign (专项行动), begun in [since, until). All optional."""

    campaign_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None

    def admits(self, at: datetime) -> bool:
        """True when a visit begun at `at` lies in the date range."""
        return (self.since is None or at >= utc(self.since)) and (self.until is None or at < utc(self.until))


@dataclass(frozen=True)
class ElementHeat:
    """One element of the diagram: the instances that reached it, its visits (a loop counts each
    time), and the time spent there by the visits that ended, in seconds."""

    element_id: str
    instances: int
    visits: int
    open_visits: int
    median_seconds: float | None
    p90_seconds: float | None


@dataclass(frozen=True)
class TaskOverdue:
    """One human task: of its visits with a due date, how many were done late or are overdue now."""

    element_id: str
    with_due: int
    overdue: int

    @property
    def share(self) -> float:
        """The overdue share, 0.0 to 1.0 (0.0 when no visit had a due date)."""
        return self.overdue / self.with_due if self.with_due else 0.0


@dataclass(frozen=True)
class HeatmapView:
    """The heatmap of one process version under one filter, elements busiest first."""

    process_key: str
    version: int
    instances: int
    elements: list[ElementHeat]
    overdue: list[TaskOverdue]
    campaigns: list[str]


def percentile(values: list[float], fraction: float) -> float | None:
    """The `fraction` percentile of `values` with linear interpolation (None when empty)."""
    if not values:
        return None
    ordered = sorted(values)
    rank = fraction * (len(ordered) - 1)
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def element_heat(rows: Iterable[Any], flt: HeatmapFilter) -> tuple[list[ElementHeat], int]:
    """Visits per element from event rows (instance_id, seq, type, element_id, task_id, at, and
    optionally detail) in history order, and how many instances had one; a visit counts when it
    began in the filter's date range. The elements a format-3 event lists as `passed` were
    each passed through in no time, at the event's time; the tasks it lists as `opened` began
    a visit then."""
    begun: dict[tuple[int, str], tuple[str, datetime]] = {}
    spent: dict[str, list[float]] = {}
    opened: dict[str, int] = {}
    reached: dict[str, set[int]] = {}
    for row in rows:
        type_ = EventType.from_stored(row.type)
        at = utc(row.at)
        detail = _decoded(getattr(row, "detail", None))
        if flt.admits(at):
            for element in passed(detail):
                spent.setdefault(element, []).append(0.0)
                reached.setdefault(element, set()).add(row.instance_id)
        for element, tid in opened_tasks(detail):
            begun.setdefault((row.instance_id, tid), (element, at))
        if row.element_id is None:
            continue
        key = (row.instance_id, row.task_id or f"{row.element_id}:{row.seq}")
        if type_ in BEGINS:
            if key not in begun:
                begun[key] = (row.element_id, at)
            continue
        if type_ not in ENDS:
            continue
        element, start = begun.pop(key, (row.element_id, at))
        if flt.admits(start):
            spent.setdefault(element, []).append((at - start).total_seconds())
            reached.setdefault(element, set()).add(row.instance_id)
    for (instance_id, _task), (element, start) in begun.items():
        if flt.admits(start):
            opened[element] = opened.get(element, 0) + 1
            reached.setdefault(element, set()).add(instance_id)
    heat = [ElementHeat(element, len(reached[element]), len(spent.get(element, [])) + opened.get(element, 0),
                        opened.get(element, 0), percentile(spent.get(element, []), 0.5),
                        percentile(spent.get(element, []), 0.9))
            for element in reached]
    instances = set().union(*reached.values()) if reached else set()
    return sorted(heat, key=lambda h: (-h.instances, h.element_id)), len(instances)


def _decoded(detail: Any) -> Any:
    """An event's detail as read: decoded by the driver, JSON text, or absent."""
    return json.loads(detail) if isinstance(detail, str) and detail else detail


def task_overdue(rows: Iterable[Any], flt: HeatmapFilter, now: datetime) -> list[TaskOverdue]:
    """Overdue share per task element from task rows (element_id, due_at, state, created_at,
    completed_at): late when completed after its due time, or still ready past it."""
    counts: dict[str, list[int]] = {}
    for row in rows:
        if not flt.admits(utc(row.created_at)):
            continue
        tally = counts.setdefault(row.element_id, [0, 0])
        if row.due_at is None or row.state == TaskState.CANCELLED:
            continue
        due = utc(row.due_at)
        tally[0] += 1
        done = utc(row.completed_at) if row.completed_at is not None else None
        if (done is not None and done > due) or (row.state == TaskState.READY and now > due):
            tally[1] += 1
    return sorted((TaskOverdue(e, c[0], c[1]) for e, c in counts.items()),
                  key=lambda t: (-t.share, t.element_id))


class Heatmaps:
    """Heatmaps of process versions over the stored history (read-only sessions)."""

    def __init__(self, reads: sessionmaker[Session], clock: Callable[[], datetime]) -> None:
        self._reads = reads
        self._clock = clock

    def heatmap(self, process_key: str, version: int, flt: HeatmapFilter | None = None) -> HeatmapView:
        """Instances passed, median and 90th percentile time per element, and the overdue
        share per task, of one process version's cases (of a campaign, in a date range)."""
        flt = flt or HeatmapFilter()
        where = [Instance.process_key == process_key, Instance.version == version]
        if flt.campaign_id:
            where.append(Instance.campaign_id == flt.campaign_id)
        with self._reads() as s:
            # The detail text of format-3 events that list passed elements, null for the others.
            detail = cast(Event.detail, Text)
            folded = and_(Event.format >= 3, or_(*(detail.like(f"%{key}%") for key in FOLDED_KEYS)))
            events = s.execute(
                select(Event.instance_id, Event.seq, Event.type, Event.element_id, Event.task_id, Event.at,
                       case((folded, detail), else_=None).label("detail"))
                .join(Instance, Instance.id == Event.instance_id)
                .where(*where, or_(and_(Event.element_id.is_not(None),
                                        Event.type.in_([str(t) for t in BEGINS | ENDS])), folded))
                .order_by(Event.instance_id, Event.seq))
            elements, instances = element_heat(events, flt)
            tasks = s.execute(
                select(HumanTask.element_id, HumanTask.due_at, HumanTask.state, HumanTask.created_at,
                       HumanTask.completed_at)
                .join(Instance, Instance.id == HumanTask.instance_id).where(*where))
            overdue = task_overdue(tasks, flt, utc(self._clock()))
            campaigns = s.scalars(
                select(Instance.campaign_id).distinct()
                .where(Instance.process_key == process_key, Instance.version == version,
                       Instance.campaign_id.is_not(None)).order_by(Instance.campaign_id))
            return HeatmapView(process_key, version, instances, elements, overdue, [c for c in campaigns if c])
