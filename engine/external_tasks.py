"""External tasks: service tasks that outside workers fetch by topic, lock, complete or fail.

A service task waits (SpiffWorkflow leaves it STARTED) until a worker completes it. Its topic
is `camunda:topic` (Camunda 7's `camunda:type="external"`), `zeebe:taskDefinition type` (Camunda
8), else the element id, so that a service task drawn with a Java class or expression still has
a topic a worker can take. The index row lives while the task waits; every step is an event.

Locks: a worker holds a task until `locked_until`; a worker that dies simply lets the lock run
out and the task is fetched again. A reported failure with retries left frees the task after
its back-off; with none left the instance gets an incident, which `Engine.retry` clears.
Writers lock the instance row first and the task row after it, as every other writer does.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from uuid import UUID

from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState as SpiffState
from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from . import history as hist
from .clock import Clock
from .data import validate_data
from .errors import DataInvalid, ExternalTaskNotFound, ExternalTaskNotLocked, InstanceNotRunnable
from .models import ExternalTask, Instance, Timer
from .rows import instance_view
from .runtime import all_tasks, element_id
from .states import EventType, InstanceStatus
from .transactions import Transactions
from .views import ExternalTaskView, InstanceView

if TYPE_CHECKING:
    from .instances import Instances

MAX_LOCK_SECONDS = 24 * 3600


def sync_external_tasks(s: Session, inst: Instance, workflow: BpmnWorkflow, elements: dict[str, Any],
                        now: datetime) -> None:
    """Make the instance's external-task rows say which service tasks wait (after every run)."""
    if not any("topic" in meta for meta in elements.values()):
        return  # a process without external tasks never has rows to read or write
    rows = {r.id: r for r in s.scalars(select(ExternalTask).where(ExternalTask.instance_id == inst.id))}
    waiting: set[str] = set()
    for task in all_tasks(workflow):
        ident = element_id(task)
        topic = elements.get(ident or "", {}).get("topic")
        if topic is None or task.state != SpiffState.STARTED:
            continue
        tid = str(task.id)
        waiting.add(tid)
        if tid not in rows:
            data = {k: v for k, v in task.data.items() if not k.startswith("_") and k != "data_objects"}
            s.add(ExternalTask(id=tid, instance_id=inst.id, element_id=ident, topic=topic, data=data, created_at=now))
    gone = [tid for tid in rows if tid not in waiting]
    if gone:
        s.execute(delete(ExternalTask).where(ExternalTask.id.in_(gone)))


def reset_failed(s: Session, inst: Instance) -> None:
    """An incident from used-up retries is being retried: its tasks may be fetched again (one retry)."""
    s.execute(update(ExternalTask).where(ExternalTask.instance_id == inst.id, ExternalTask.retries == 0)
              .values(retries=1, not_before=None, worker_id=None, locked_until=None))


def _view(row: ExternalTask) -> ExternalTaskView:
    return ExternalTaskView(
        id=row.id, instance_id=row.instance_id, element_id=row.element_id, topic=row.topic,
        data=dict(row.data or {}), retries=row.retries,
        locked_until=hist.utc(row.locked_until) if row.locked_until else None,
        worker_id=row.worker_id, error_message=row.error_message,
    )


class ExternalTasks:
    """Fetch-and-lock, complete, fail and extend the external tasks of every instance."""

    def __init__(self, tx: Transactions, instances: Instances, clock: Clock) -> None:
        self.tx = tx
        self.instances = instances
        self.clock = clock

    def waiting(self, *, topic: str | None = None, instance_id: int | None = None) -> list[ExternalTaskView]:
        """Waiting external tasks, oldest first (locked or not)."""
        with self.tx.read() as s:
            q = select(ExternalTask).order_by(ExternalTask.created_at, ExternalTask.id)
            if topic is not None:
                q = q.where(ExternalTask.topic == topic)
            if instance_id is not None:
                q = q.where(ExternalTask.instance_id == instance_id)
            return [_view(r) for r in s.scalars(q)]

    def fetch_and_lock(self, worker_id: str, topics: Iterable[str], *, max_tasks: int = 10,
                       lock_seconds: int = 60) -> list[ExternalTaskView]:
        """Lock up to `max_tasks` free tasks of `topics` for `worker_id` for `lock_seconds`.

        Free: never locked, or its lock ran out, and past its back-off, in an instance that runs.
        Two workers asking at once never get the same task.
        """
        topics = list(topics)
        _check_seconds(lock_seconds)
        now = self.clock()
        found: list[ExternalTaskView] = []
        with self.tx.write() as s:
            candidates = s.execute(
                _free(select(ExternalTask.id, ExternalTask.instance_id), topics, now)
                .order_by(ExternalTask.created_at, ExternalTask.id).limit(max_tasks * 4)
            ).all()
            for task_id, instance_id in candidates:
                if len(found) >= max_tasks:
                    break
                inst = self.tx.instance(s, instance_id, lock=True)
                if not InstanceStatus(inst.status).is_active:
                    continue
                row = s.scalars(self.tx.locked(
                    _free(select(ExternalTask), topics, now).where(ExternalTask.id == task_id), skip_locked=True
                )).first()
                if row is None:
                    continue  # another worker took it first
                previous = row.worker_id if row.locked_until is not None else None
                row.worker_id, row.locked_until = worker_id, now + timedelta(seconds=lock_seconds)
                writer = hist.EventWriter(s, inst, now)
                writer.append(EventType.EXTERNAL_TASK_LOCKED, worker_id, element_id=row.element_id, task_id=row.id,
                              detail={"topic": row.topic, "locked_until": row.locked_until.isoformat(),
                                      "lock_expired_for": previous})
                inst.updated_at = now
                found.append(_view(row))
        return found

    def complete(self, task_id: str, *, worker_id: str, data: dict[str, Any] | None = None) -> InstanceView:
        """The worker that holds the task completes it with output data; the instance runs on."""
        data = dict(validate_data(data, self.instances.settings.max_data_bytes))
        with self.tx.write() as s:
            inst, row = self._held(s, task_id, worker_id)
            workflow = self.instances.load(s, inst)
            task = workflow.get_task_from_id(UUID(task_id))
            if task is None or task.state != SpiffState.STARTED:
                raise ExternalTaskNotFound(task_id)
            writer = hist.EventWriter(s, inst, self.clock())
            writer.append(EventType.EXTERNAL_TASK_COMPLETED, worker_id, element_id=row.element_id, task_id=task_id,
                          detail={"topic": row.topic})
            run = self.instances.run(s, inst, workflow)
            self.instances.record(s, inst, run, run.finish(task, data), writer, worker_id)
            return instance_view(s, inst)

    def fail(self, task_id: str, *, worker_id: str, message: str, retries: int,
             retry_in_seconds: int = 0) -> ExternalTaskView:
        """The worker could not do the task: with `retries` left it is free again after
        `retry_in_seconds`; with none left the instance gets an incident (retry it to go on)."""
        _check_seconds(retry_in_seconds, allow_zero=True)
        with self.tx.write() as s:
            inst, row = self._held(s, task_id, worker_id)
            now = self.clock()
            row.retries, row.error_message = max(0, int(retries)), str(message)[:2000]
            row.worker_id, row.locked_until = None, None
            row.not_before = now + timedelta(seconds=retry_in_seconds) if retry_in_seconds else None
            writer = hist.EventWriter(s, inst, now)
            writer.append(EventType.EXTERNAL_TASK_FAILED, worker_id, element_id=row.element_id, task_id=task_id,
                          detail={"message": row.error_message, "retries": row.retries,
                                  "retry_at": row.not_before.isoformat() if row.not_before else None})
            if row.retries == 0:
                incident = f"external task {row.topic!r} failed and has no retries left: {row.error_message}"
                writer.append(EventType.INCIDENT_RAISED, worker_id, element_id=row.element_id, task_id=task_id,
                              detail={"message": incident})
                inst.status, inst.incident_element, inst.incident_message = (
                    InstanceStatus.ERROR, row.element_id, incident,
                )
                # As for any incident: no timer fires while it stands; retry sets them again.
                s.execute(delete(Timer).where(Timer.instance_id == inst.id))
            inst.updated_at = now
            return _view(row)

    def extend_lock(self, task_id: str, *, worker_id: str, seconds: int) -> ExternalTaskView:
        """The worker that holds the task needs `seconds` more from now."""
        _check_seconds(seconds)
        with self.tx.write() as s:
            inst, row = self._held(s, task_id, worker_id)
            now = self.clock()
            row.locked_until = now + timedelta(seconds=seconds)
            writer = hist.EventWriter(s, inst, now)
            writer.append(EventType.EXTERNAL_TASK_LOCK_EXTENDED, worker_id, element_id=row.element_id,
                          task_id=task_id, detail={"locked_until": row.locked_until.isoformat()})
            inst.updated_at = now
            return _view(row)

    def _held(self, s: Session, task_id: str, worker_id: str) -> tuple[Instance, ExternalTask]:
        """The instance (locked) and the task row, when `worker_id` holds an unexpired lock on it."""
        owner = select(ExternalTask.instance_id).where(ExternalTask.id == task_id).scalar_subquery()
        inst = s.scalars(self.tx.locked(select(Instance).where(Instance.id == owner))).first()
        row = s.get(ExternalTask, task_id) if inst is not None else None
        if inst is None or row is None:
            raise ExternalTaskNotFound(task_id)
        if not InstanceStatus(inst.status).is_active:
            raise InstanceNotRunnable(inst.id, inst.status, "work an external task of")
        locked_until = hist.utc(row.locked_until) if row.locked_until else None
        if row.worker_id != worker_id or locked_until is None or locked_until <= self.clock():
            holder = row.worker_id if locked_until is not None and locked_until > self.clock() else None
            raise ExternalTaskNotLocked(task_id, worker_id, holder)
        return inst, row


def _free(q: Any, topics: list[str], now: datetime) -> Any:
    """Only tasks of `topics` nobody holds, past their back-off, with retries left."""
    return q.where(
        ExternalTask.topic.in_(topics),
        or_(ExternalTask.locked_until.is_(None), ExternalTask.locked_until <= now),
        or_(ExternalTask.not_before.is_(None), ExternalTask.not_before <= now),
        or_(ExternalTask.retries.is_(None), ExternalTask.retries > 0),
    )


def _check_seconds(seconds: int, *, allow_zero: bool = False) -> None:
    if not isinstance(seconds, int) or isinstance(seconds, bool) or seconds < (0 if allow_zero else 1):
        raise DataInvalid(f"must be a whole number of seconds{'' if allow_zero else ' above 0'}", "seconds")
    if seconds > MAX_LOCK_SECONDS:
        raise DataInvalid(f"must be at most {MAX_LOCK_SECONDS} seconds", "seconds")
