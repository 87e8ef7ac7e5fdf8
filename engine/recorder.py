"""Writing down what a run did: history events, the human-task and timer indexes, the instance row.

The service runs a workflow (engine/runtime.py) and hands the outcome here, inside the
operation's transaction, so state, indexes and history change together or not at all.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import inspect, select, update
from sqlalchemy.orm import Session

from . import history as hist
from . import persistence
from .clock import Clock, using_clock
from .errors import DataInvalid
from .models import Deployment, HumanTask, Instance, TaskGroup, Timer
from .runtime import Incident, Outcome, Run, timer_due
from .scripting import ScriptFailed, parse_datetime

SYSTEM_ACTOR = "engine"
_TIMER_DEFS = ("TimeDateEventDefinition", "DurationTimerEventDefinition", "CycleTimerEventDefinition")


def is_timer(task: Task) -> bool:
    """True for a timer event (date, duration or cycle)."""
    definition = getattr(task.task_spec, "event_definition", None)
    return type(definition).__name__ in _TIMER_DEFS


@lru_cache(maxsize=1024)
def expression_names(expression: str) -> frozenset[str]:
    """The data names an expression reads (so a due date is recomputed only when they change)."""
    try:
        tree = ast.parse(expression.strip(), mode="eval")
    except SyntaxError:
        return frozenset()
    return frozenset(node.id for node in ast.walk(tree) if isinstance(node, ast.Name))


_OFFERS = TaskGroup.metadata.tables[TaskGroup.__tablename__]


def sync_offers(session: Session, _context: Any, _instances: Any) -> None:
    """Before each flush: a changed task's group offers follow it. An offer is open while
    the task is ready and nobody holds it, and carries the task's due date; one place keeps
    this copy true for every writer (completion, claim, cancel, due-date change)."""
    for row in session.dirty:
        if not isinstance(row, HumanTask):
            continue
        attrs = inspect(row).attrs
        if not any(attrs[name].history.has_changes() for name in ("state", "assignee", "due_at")):
            continue
        # Core statement on the flush's connection: no autoflush from inside the flush.
        session.connection().execute(
            update(_OFFERS)
            .where(_OFFERS.c.task_id == row.id)
            .values(open=row.state == "ready" and row.assignee is None, due_at=row.due_at)
        )


class Recorder:
    """Persists a run's outcome: events, task rows, timer rows, instance data and state."""

    def __init__(self, script_engine: PythonScriptEngine, clock: Clock) -> None:
        self._script_engine = script_engine
        self.clock = clock
        self._elements: dict[int, dict[str, Any]] = {}

    def elements(self, s: Session, deployment_id: int) -> dict[str, Any]:
        """The element metadata of a deployment (read once per version: it never changes)."""
        found = self._elements.get(deployment_id)
        if found is None:
            stored = s.scalar(select(Deployment.elements).where(Deployment.id == deployment_id))
            found = self._elements[deployment_id] = dict(stored or {})
        return found

    def advance(
        self,
        s: Session,
        inst: Instance,
        run: Run,
        writer: hist.EventWriter,
        actor: str,
        action: Callable[[], None],
        *,
        completing: str | None = None,
        form_data: dict[str, Any] | None = None,
    ) -> None:
        incident: Incident | None = None
        try:
            action()
        except Incident as exc:
            incident = exc
        try:
            outcome = run.outcome()
        except Incident as exc:
            incident = incident or exc
            outcome = Outcome()
        self.persist(s, inst, run.workflow, outcome, writer, actor, completing, form_data, incident)

    def persist(
        self,
        s: Session,
        inst: Instance,
        workflow: BpmnWorkflow,
        outcome: Outcome,
        writer: hist.EventWriter,
        actor: str,
        completing: str | None,
        form_data: dict[str, Any] | None,
        incident: Incident | None,
    ) -> None:
        now = writer.at
        elements = self.elements(s, inst.deployment_id)
        data = dict(inst.data or {})
        # Read the indexes before anything changes, so no autoflush writes the instance twice.
        ready_rows = select(HumanTask).where(HumanTask.instance_id == inst.id, HumanTask.state == "ready")
        existing = {t.id: t for t in s.scalars(ready_rows)}
        timer_rows = {t.id: t for t in s.scalars(select(Timer).where(Timer.instance_id == inst.id))}
        opened_now: set[str] = set()
        for change in outcome.changes:
            task, ident, after = change.task, change.element_id, change.after
            meta = elements.get(ident, {})
            tid = str(task.id)
            human = meta.get("type") in ("userTask", "manualTask") or bool(task.task_spec.manual)
            if after == TaskState.COMPLETED:
                delta = data_delta(task, data)
                if human and tid == completing:
                    # What the person entered is recorded even where it equals earlier data.
                    for key, value in (form_data or {}).items():
                        delta.setdefault(key, [data.get(key), value])
                for key, (_before, value) in delta.items():
                    data[key] = value
                if human:
                    row = existing.pop(tid, None)
                    if row is not None:
                        row.state, row.completed_at, row.completed_by = "completed", now, actor
                    writer.append("task_completed", actor, element_id=ident, task_id=tid, changes=delta)
                elif is_timer(task):
                    due = timer_due(task)
                    writer.append(
                        "timer_fired", SYSTEM_ACTOR, element_id=ident, task_id=tid, changes=delta,
                        detail={"due_at": due.isoformat() if due else None, "fired_at": now.isoformat()},
                    )
                else:
                    writer.append("element_completed", SYSTEM_ACTOR, element_id=ident, task_id=tid,
                                  changes=delta, detail={"type": meta.get("type"), "by": actor})
            elif after == TaskState.READY and human:
                if tid not in existing:
                    existing[tid] = self._open_human_task(s, inst, task, ident, meta, now, data)
                    opened_now.add(tid)
                    writer.append("task_ready", SYSTEM_ACTOR, element_id=ident, task_id=tid)
            elif after == TaskState.WAITING:
                kind = "timer_waiting" if is_timer(task) else "element_waiting"
                due = timer_due(task)
                writer.append(kind, SYSTEM_ACTOR, element_id=ident, task_id=tid,
                              detail={"due_at": due.isoformat() if due else None})
            elif after == TaskState.STARTED:
                writer.append("element_started", SYSTEM_ACTOR, element_id=ident, task_id=tid)
            elif after == TaskState.CANCELLED and change.before in (
                TaskState.READY, TaskState.WAITING, TaskState.STARTED
            ):
                if human:
                    row = existing.pop(tid, None)
                    if row is not None:
                        row.state, row.completed_at = "cancelled", now
                    writer.append("task_cancelled", SYSTEM_ACTOR, element_id=ident, task_id=tid)
                else:
                    writer.append("element_cancelled", SYSTEM_ACTOR, element_id=ident, task_id=tid)
        for name in outcome.unhandled:
            writer.append("event_unhandled", SYSTEM_ACTOR, detail={"event": name})
        changed = {key for key, value in data.items() if (inst.data or {}).get(key, _MISSING) != value}
        if changed and incident is None:
            opened_before = {tid: row for tid, row in existing.items() if tid not in opened_now}
            self._refresh_due_dates(s, workflow, opened_before, elements, changed, data, writer)
        self._sync_timers(s, inst, timer_rows, outcome if incident is None else Outcome(), writer, now)
        if incident is not None:
            writer.append("error", SYSTEM_ACTOR, element_id=incident.element_id,
                          detail={"message": incident.message})
            inst.status = "error"
            inst.incident_element = incident.element_id
            inst.incident_message = incident.message
        elif outcome.completed:
            writer.append("instance_completed", SYSTEM_ACTOR)
            inst.status = "completed"
            inst.ended_at = now
        else:
            inst.status = "running" if existing else "waiting"
            inst.incident_element = inst.incident_message = None
        inst.data = data
        inst.campaign_id = _str_or_none(data.get("campaign_id"))
        inst.risk_colour = _str_or_none(data.get("risk_colour"))
        # The triage decision (risk_colour.dmn) names the class `case_class`.
        inst.risk_class = _str_or_none(data.get("case_class", data.get("risk_class")))
        inst.state = persistence.dump_state(workflow)
        inst.serializer_version = persistence.SERIALIZER_VERSION
        inst.updated_at = now
        s.flush()

    def _open_human_task(
        self, s: Session, inst: Instance, task: Task, ident: str, meta: dict[str, Any], now: datetime,
        case_data: dict[str, Any],
    ) -> HumanTask:
        tid = str(task.id)
        assignee = self._evaluate_meta(task, meta.get("assignee"), case_data)
        due_at = self._due_at(task, meta.get("due_date"), case_data)
        groups = list(meta.get("candidate_groups") or [])
        row = HumanTask(
            id=tid, instance_id=inst.id, process_key=inst.process_key, element_id=ident,
            name=meta.get("name") or task.task_spec.bpmn_name,
            lane=meta.get("lane"),
            assignee=str(assignee) if assignee else None, candidate_groups=groups,
            due_at=due_at, state="ready", created_at=now,
        )
        s.add(row)
        # The unit of work inserts the task before its groups (foreign key order).
        s.add_all(
            TaskGroup(task_id=tid, group_name=group, instance_id=inst.id, due_at=due_at, open=row.assignee is None)
            for group in groups
        )
        return row

    def _evaluate_meta(self, task: Task, expression: str | None, case_data: dict[str, Any]) -> Any:
        # The case data wins over the task's own copy: a value changed in a parallel branch
        # (an extended deadline, say) is newer there than in this branch's copy.
        if not expression:
            return None
        try:
            with using_clock(self.clock):
                return self._script_engine.environment.evaluate(expression, {**task.data, **case_data})
        except (ScriptFailed, NameError, TypeError, ValueError, KeyError):
            return None

    def _due_at(self, task: Task, expression: str | None, case_data: dict[str, Any]) -> datetime | None:
        due = self._evaluate_meta(task, expression, case_data)
        if not due:
            return None
        try:
            return parse_datetime(due)
        except (TypeError, ValueError):
            return None

    def _refresh_due_dates(
        self, s: Session, workflow: BpmnWorkflow, open_rows: dict[str, HumanTask], elements: dict[str, Any],
        changed: set[str], data: dict[str, Any], writer: hist.EventWriter,
    ) -> None:
        """Open tasks whose due-date expression reads data that just changed get the new date
        (e.g. an approved extension moves the handling tasks' deadline)."""
        for tid, row in open_rows.items():
            expression = elements.get(row.element_id, {}).get("due_date")
            if not expression or not (expression_names(expression) & changed):
                continue
            task = workflow.get_task_from_id(UUID(tid))
            if task is None:
                continue
            due_at = self._due_at(task, expression, data)
            old = hist.utc(row.due_at) if row.due_at else None
            if due_at is None or due_at == old:
                continue
            row.due_at = due_at
            writer.append("task_due_changed", SYSTEM_ACTOR, element_id=row.element_id, task_id=tid,
                          detail={"from": old.isoformat() if old else None, "to": due_at.isoformat()})

    def _sync_timers(
        self, s: Session, inst: Instance, rows: dict[str, Timer], outcome: Outcome, writer: hist.EventWriter,
        now: datetime,
    ) -> None:
        # Issue 4: a cycle timer stays waiting and starts one new branch per firing. Count
        # those branches so that every firing is recorded once, the last cycle's too (its
        # timer row goes away) and two cycles fired in one step.
        spawned: dict[str, int] = {}
        for change in outcome.changes:
            parent = change.task.parent
            if change.before is None and parent is not None and str(parent.id) in rows:
                spawned[str(parent.id)] = spawned.get(str(parent.id), 0) + 1
        for tid, row in rows.items():
            new = outcome.timers.get(tid)
            old_due = hist.utc(row.due_at)
            fired = spawned.get(tid, 0)
            period = (hist.utc(new[1]) - old_due) / fired if fired and new is not None else timedelta(0)
            for n in range(fired):
                writer.append("timer_fired", SYSTEM_ACTOR, element_id=row.element_id, task_id=tid,
                              detail={"due_at": (old_due + period * n).isoformat(), "fired_at": now.isoformat(),
                                      "cycle": True})
            if new is None:
                s.delete(row)
            elif hist.utc(new[1]) != old_due:
                row.due_at = new[1]
        for tid, (ident, due) in outcome.timers.items():
            if tid not in rows:
                s.add(Timer(id=tid, instance_id=inst.id, element_id=ident, due_at=due))


def _str_or_none(value: Any) -> str | None:
    return None if value is None else str(value)


def data_delta(task: Task, current: dict[str, Any]) -> dict[str, list[Any]]:
    """What this task itself changed in the case data (not what it inherited)."""
    parent = task.parent.data if task.parent is not None else {}
    delta: dict[str, list[Any]] = {}
    for key, value in task.data.items():
        if key.startswith("_") or key == "data_objects":
            continue
        if parent.get(key, _MISSING) != value and current.get(key, _MISSING) != value:
            delta[key] = [current.get(key), value]
    return delta


_MISSING = object()


def check_required(meta: dict[str, Any], data: dict[str, Any]) -> None:
    for f in meta.get("form") or []:
        if f.get("required") and data.get(f["id"]) in (None, "", []):
            raise DataInvalid("required", field=f["id"])


