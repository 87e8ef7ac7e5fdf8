"""`Engine.stats`: the auditor's reads over stored history: a case's deadlines and a process
version's heatmap. Read-only; nothing is run."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from .deadlines import CaseDeadlines, case_deadlines
from .heatmap import HeatmapFilter, Heatmaps, HeatmapView
from .history import History
from .human_tasks import HumanTasks
from .views import EventView


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

    def heatmap(self, process_key: str, version: int, flt: HeatmapFilter | None = None) -> HeatmapView:
        """Per element of one process version: instances passed, median and 90th percentile time
        spent; per human task: the overdue share (of a campaign, in a date range)."""
        return self._heatmaps.heatmap(process_key, version, flt)
