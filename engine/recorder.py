"""Writing down what a run did: history events, the human-task, offer and timer indexes, the instance row.

An operation runs a workflow (engine/runtime.py) and hands the `Outcome` here, inside the
operation's transaction, so state, indexes and history change together or not at all. The
recorder evaluates nothing: assignees, due dates and data changes come in the outcome.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState as SpiffState
from sqlalchemy import bindparam, delete, inspect, select, update
from sqlalchemy.orm import Session

from . import history as hist
from . import persistence
from .case_columns import copy_case_columns
from .chain import PASS_THROUGH
from .expressions import Expressions
from .models import HumanTask, Instance, TaskGroup, Timer
from .runtime import (
    Change,
    Outcome,
    all_tasks,
    compact,
    element_id,
    fired_by_timer,
    ready_human_tasks,
    timer_due,
    waiting_timers,
    waits_on_timer,
)
from .states import SYSTEM_ACTOR, EventType, InstanceStatus, TaskState

_OFFERS = TaskGroup.metadata.tables[TaskGroup.__tablename__]
_MISSING = object()


# Built once: every operation runs them.
_READY_OF = select(HumanTask).where(HumanTask.instance_id == bindparam("iid"), HumanTask.state == TaskState.READY)
_TIMERS_OF = select(Timer).where(Timer.instance_id == bindparam("iid"))

_OFFERS_FOLLOW = (
    update(_OFFERS).where(_OFFERS.c.task_id == bindparam("tid"))
    .values(open=bindparam("is_open"), due_at=bindparam("due"))
)


def sync_offers(session: Session, _context: Any, _instances: Any) -> None:
    """Before each flush: a changed task's group offers follow it. An offer is open while
    the task is ready and nobody holds it, and carries the task's due date; one place keeps
    this copy true for every writer (completion, claim, cancel, due-date change)."""
    changed = []
    for row in session.dirty:
        if not isinstance(row, HumanTask):
            continue
        attrs = inspect(row).attrs
        if not any(attrs[name].history.has_changes() for name in ("state", "assignee", "due_at")):
            continue
        changed.append({"tid": row.id, "is_open": row.state == TaskState.READY and row.assignee is None,
                        "due": row.due_at})
    if changed:
        # One Core statement for them all, on the flush's connection: no autoflush from inside the flush.
        session.connection().execute(_OFFERS_FOLLOW, changed)


def record(
    s: Session, inst: Instance, workflow: BpmnWorkflow, outcome: Outcome, writer: hist.EventWriter, actor: str,
    elements: dict[str, Any], ready: dict[str, HumanTask] | None = None, *, new: bool = False,
) -> list[HumanTask]:
    """Write down an outcome: events, task rows, timer rows, instance status, data and state.

    `ready` is the instance's ready task rows when the caller already read them in this
    transaction (a completion does, to find its task); otherwise they are read here.
    Returns the instance's ready task rows afterwards (oldest first), for the returned view.
    `new`: the instance row is not written yet, so it has no task or timer rows; nothing is
    flushed here (the caller writes the rows of many new instances in one flush).
    """
    now = writer.at
    # Read the indexes before anything changes, so no autoflush writes the instance twice.
    if new:
        existing, timer_rows = dict(ready or {}), {}
    else:
        existing = dict(ready) if ready is not None else {t.id: t for t in s.scalars(_READY_OF, {"iid": inst.id})}
        timer_rows = {t.id: t for t in s.scalars(_TIMERS_OF, {"iid": inst.id})}
    for change in outcome.changes:
        _record_change(s, inst, change, elements.get(change.element_id, {}), existing, writer, actor, now)
    for name in outcome.unhandled:
        writer.append(EventType.EVENT_UNHANDLED, SYSTEM_ACTOR, detail={"event": name})
    for tid, due_at in outcome.due_dates.items():
        row = existing.get(tid)
        old = hist.utc(row.due_at) if row is not None and row.due_at else None
        if row is None or due_at == old:
            continue
        row.due_at = due_at
        writer.append(EventType.TASK_DUE_CHANGED, SYSTEM_ACTOR, element_id=row.element_id, task_id=tid,
                      detail={"from": old.isoformat() if old else None, "to": due_at.isoformat()})
    _sync_timers(s, inst, timer_rows, outcome, writer, now)
    incident = outcome.incident
    if incident is not None:
        writer.append(EventType.INCIDENT_RAISED, SYSTEM_ACTOR, element_id=incident.element_id,
                      detail={"message": incident.message})
        inst.status = InstanceStatus.ERROR
        inst.incident_element = incident.element_id
        inst.incident_message = incident.message
    elif outcome.completed:
        writer.append(EventType.INSTANCE_COMPLETED, SYSTEM_ACTOR)
        inst.status = InstanceStatus.COMPLETED
        inst.ended_at = now
    else:
        inst.status = InstanceStatus.RUNNING if existing else InstanceStatus.WAITING
        inst.incident_element = inst.incident_message = None
    _store(inst, workflow, outcome.data, now)
    if new:
        return sorted(existing.values(), key=lambda row: hist.utc(row.created_at))
    # The open tasks this flush leaves are the rows in hand: the events are sealed with them
    # without reading the task table again (history.EventWriter.open_tasks).
    writer.open_tasks = lambda: [row for row in existing.values() if row.state == TaskState.READY]
    try:
        s.flush()
    finally:
        writer.open_tasks = None
    return sorted(existing.values(), key=lambda row: hist.utc(row.created_at))


def _record_change(
    s: Session, inst: Instance, change: Change, meta: dict[str, Any], existing: dict[str, HumanTask],
    writer: hist.EventWriter, actor: str, now: datetime,
) -> None:
    task, ident, after, tid = change.task, change.element_id, change.after, str(change.task.id)
    if after == SpiffState.COMPLETED:
        if change.human:
            row = existing.pop(tid, None)
            if row is not None:
                row.state, row.completed_at, row.completed_by = TaskState.COMPLETED, now, actor
            writer.append(EventType.TASK_COMPLETED, actor, element_id=ident, task_id=tid, changes=change.delta)
        elif fired_by_timer(task):
            due = timer_due(task)
            writer.append(
                EventType.TIMER_FIRED, SYSTEM_ACTOR, element_id=ident, task_id=tid, changes=change.delta,
                detail={"due_at": due.isoformat() if due else None, "fired_at": now.isoformat()},
            )
        elif change.delta or meta.get("type") not in PASS_THROUGH or not writer.fold(ident):
            writer.append(EventType.ELEMENT_COMPLETED, SYSTEM_ACTOR, element_id=ident, task_id=tid,
                          changes=change.delta, detail={"type": meta.get("type"), "by": actor})
    elif after == SpiffState.READY and change.human:
        if tid not in existing:
            existing[tid] = _open_task(s, inst, tid, ident, meta, task.task_spec.bpmn_name,
                                       change.assignee, change.due_at, now)
            if not writer.fold_opened(ident, tid):
                writer.append(EventType.TASK_READY, SYSTEM_ACTOR, element_id=ident, task_id=tid)
    elif after == SpiffState.WAITING:
        kind = EventType.TIMER_WAITING if waits_on_timer(task) else EventType.ELEMENT_WAITING
        due = timer_due(task)
        writer.append(kind, SYSTEM_ACTOR, element_id=ident, task_id=tid,
                      detail={"due_at": due.isoformat() if due else None})
    elif after == SpiffState.STARTED:
        writer.append(EventType.ELEMENT_STARTED, SYSTEM_ACTOR, element_id=ident, task_id=tid)
    elif after == SpiffState.CANCELLED and change.before in (SpiffState.READY, SpiffState.WAITING, SpiffState.STARTED):
        if change.human:
            row = existing.pop(tid, None)
            if row is not None:
                row.state, row.completed_at = TaskState.CANCELLED, now
            writer.append(EventType.TASK_CANCELLED, SYSTEM_ACTOR, element_id=ident, task_id=tid)
        else:
            writer.append(EventType.ELEMENT_CANCELLED, SYSTEM_ACTOR, element_id=ident, task_id=tid)


def _open_task(
    s: Session, inst: Instance, tid: str, ident: str, meta: dict[str, Any], spec_name: str | None,
    assignee: str | None, due_at: datetime | None, now: datetime,
) -> HumanTask:
    groups = list(meta.get("candidate_groups") or [])
    row = HumanTask(
        id=tid, instance_id=inst.id, process_key=inst.process_key, element_id=ident,
        name=meta.get("name") or spec_name, lane=meta.get("lane"),
        assignee=assignee, candidate_groups=groups, due_at=due_at, state=TaskState.READY, created_at=now,
    )
    s.add(row)
    # The unit of work inserts the task before its groups (foreign key order).
    _add_offers(s, inst, row)
    return row


def _add_offers(s: Session, inst: Instance, row: HumanTask) -> None:
    """One offer per candidate group of a ready task, open while nobody holds it."""
    s.add_all(
        TaskGroup(task_id=row.id, group_name=group, instance_id=inst.id, due_at=row.due_at,
                  open=row.assignee is None)
        for group in row.candidate_groups or []
    )


def restore_timers(s: Session, inst: Instance, workflow: BpmnWorkflow) -> None:
    """The instance's timer rows, made again from the timers its workflow waits on."""
    s.execute(delete(Timer).where(Timer.instance_id == inst.id))
    s.add_all(Timer(id=tid, instance_id=inst.id, element_id=ident, due_at=due)
              for tid, (ident, due) in waiting_timers(workflow).items())


def _sync_timers(
    s: Session, inst: Instance, rows: dict[str, Timer], outcome: Outcome, writer: hist.EventWriter, now: datetime,
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
            writer.append(EventType.TIMER_FIRED, SYSTEM_ACTOR, element_id=row.element_id, task_id=tid,
                          detail={"due_at": (old_due + period * n).isoformat(), "fired_at": now.isoformat(),
                                  # The last period's firing: the timer waits no more (replay says so).
                                  "cycle": True, "last": new is None and n == fired - 1})
        if new is None:
            s.delete(row)
        elif hist.utc(new[1]) != old_due:
            row.due_at = new[1]
    for tid, (ident, due) in outcome.timers.items():
        if tid not in rows:
            s.add(Timer(id=tid, instance_id=inst.id, element_id=ident, due_at=due))


def _count(value: Any) -> int:
    """A counter of the case data as the ledger column stores it (0 when absent or not a count)."""
    return value if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**31 else 0


def _store(inst: Instance, workflow: BpmnWorkflow, data: dict[str, Any], now: datetime) -> None:
    """The instance row: its data, the ledger columns read from the data, the workflow state."""
    copy_case_columns(inst, data, now, before=inst.data)
    inst.data = data
    inst.campaign_id = _str_or_none(data.get("campaign_id"))
    inst.risk_colour = _str_or_none(data.get("risk_colour"))
    inst.case_class = _str_or_none(data.get("case_class"))
    inst.final_petitions = _count(data.get("final_petition_count"))
    compact(workflow)
    inst.state = persistence.dump_state(workflow)
    inst.serializer_version = persistence.SERIALIZER_VERSION
    inst.updated_at = now


def rebuild_indexes(
    s: Session, inst: Instance, workflow: BpmnWorkflow, elements: dict[str, Any], expressions: Expressions,
    now: datetime,
) -> None:
    """Make the task, offer and timer indexes of an instance say what its workflow says.

    For repair (an index lost or damaged) and for moving an instance to another version:
    every ready person's task gets a ready row with its offers (an existing row keeps its
    holder and due date), ready rows of tasks the workflow no longer has ready are closed as
    the workflow left them, and the timer rows are the workflow's waiting timers. History
    is not touched: no event is written, none is changed.
    """
    data = dict(inst.data or {})
    tasks = {str(t.id): t for t in all_tasks(workflow)}
    ready = {str(t.id): t for t in ready_human_tasks(workflow, elements)}
    rows = {t.id: t for t in s.scalars(select(HumanTask).where(HumanTask.instance_id == inst.id))}
    for tid, stale in rows.items():
        if stale.state == TaskState.READY and tid not in ready:
            spiff = tasks.get(tid)
            done = spiff is not None and spiff.state == SpiffState.COMPLETED
            stale.state = TaskState.COMPLETED if done else TaskState.CANCELLED
            stale.completed_at = stale.completed_at or now
    s.flush()
    s.execute(delete(TaskGroup).where(TaskGroup.instance_id == inst.id))
    for tid, task in ready.items():
        ident = element_id(task) or ""
        meta = elements.get(ident, {})
        row = rows.get(tid)
        if row is None:
            _open_task(s, inst, tid, ident, meta, task.task_spec.bpmn_name,
                       expressions.assignee(task, meta, data), expressions.due_at(task, meta, data), now)
            continue
        row.state = TaskState.READY
        row.completed_at = row.completed_by = None
        _add_offers(s, inst, row)
    restore_timers(s, inst, workflow)
    s.flush()


def _str_or_none(value: Any) -> str | None:
    return None if value is None else str(value)
