"""`Engine.stats`: the auditor's reads over stored history: a case's deadlines and a process
version's heatmap. Read-only; nothing is run."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from .deadlines import CaseDeadlines, case_deadlines
from .heatmap import HeatmapFilter, Heatmaps, HeatmapView
from .history import History, replay_events, to_view
from .human_tasks import HumanTasks
from .models import Event
from .views import EventView, ReplayView

_EVENTS = Event.metadata.tables[Event.__tablename__]


@dataclass(frozen=True)
class StepView:
    """One step of a case's history as the audit page's step panel shows it: the replay after
    it, its own event, and how many steps there are."""

    replay: ReplayView
    event: EventView
    last: int


class Stats:
    """Deadlines of a case and heatmaps of process versions, for auditors and inspection teams."""

    def __init__(self, history: History, tasks: HumanTasks, heatmaps: Heatmaps,
                 clock: Callable[[], datetime]) -> None:
        self._history, self._tasks, self._heatmaps, self._clock = history, tasks, heatmaps, clock

    def deadlines(self, instance_id: int, events: Sequence[EventView] | None = None) -> CaseDeadlines:
        """Each task's due and done times (and by whom), each timer's due and fire times, and the
        statutory clocks; `events` are the case's history if the caller has read it already."""
        history = self._history.events(instance_id) if events is None else events
        tasks = self._tasks.list(instance_id=instance_id, assignee=None, candidate_group=None, state=None)
        return case_deadlines(history, tasks, self._clock())

    def step(self, instance_id: int, step: int) -> StepView | None:
        """The replay after `step`, read from the events up to it only; None outside the history."""
        tx = self._history.tx
        with tx.read() as s:
            last = tx.instance(s, instance_id).last_seq
            if not 1 <= step <= last:
                return None
            rows = list(s.execute(select(_EVENTS).where(_EVENTS.c.instance_id == instance_id,
                                                        _EVENTS.c.seq <= step).order_by(_EVENTS.c.seq)))
        return StepView(replay_events(instance_id, rows, step), to_view(rows[-1]), last)

    def heatmap(self, process_key: str, version: int, flt: HeatmapFilter | None = None) -> HeatmapView:
        """Per element of one process version: instances passed, median and 90th percentile time
        spent; per human task: the overdue share (of a campaign, in a date range)."""
        return self._heatmaps.heatmap(process_key, version, flt)
