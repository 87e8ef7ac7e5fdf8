"""Human tasks: list them from the task index, claim, give back, assign and complete them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NoReturn
from uuid import UUID

from SpiffWorkflow.util.task import TaskState as SpiffState
from sqlalchemy import bindparam, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from . import history as hist
from . import operations
from .attachments import form_context
from .clock import Clock
from .data import validate_data
from .errors import (
    AssignmentRefused,
    ConcurrentModification,
    InstanceNotRunnable,
    NotAuthorized,
    TaskClaimed,
    TaskNotFound,
    TaskNotReady,
)
from .forms import accept, fields_of
from .instances import Instances
from .models import HumanTask, Instance, TaskGroup, User
from .operations import Action
from .ownership import check_owned
from .rows import instance_view, task_view
from .states import EventType, InstanceStatus, TaskState
from .task_drafts import drop_drafts
from .transactions import Transactions
from .views import InstanceView, TaskView

# Built once: every completion runs it.
_READY_OF = select(HumanTask).where(HumanTask.instance_id == bindparam("iid"), HumanTask.state == TaskState.READY)


class HumanTasks:
    """People's tasks. Of two concurrent changes to one task exactly one counts."""

    def __init__(self, tx: Transactions, instances: Instances, clock: Clock) -> None:
        self.tx = tx
        self.instances = instances
        self.clock = clock

    def list(self, *, instance_id: int | None, assignee: str | None, candidate_group: str | None,
             state: str | None) -> list[TaskView]:
        """Human tasks from the indexed task table (workflows are not loaded)."""
        with self.tx.read() as s:
            q = select(HumanTask)
            if state:
                q = q.where(HumanTask.state == state)
            if instance_id is not None:
                q = q.where(HumanTask.instance_id == instance_id)
            if assignee is not None:
                q = q.where(HumanTask.assignee == assignee)
            if candidate_group is not None:
                q = q.join(TaskGroup, TaskGroup.task_id == HumanTask.id).where(TaskGroup.group_name == candidate_group)
            q = q.order_by(HumanTask.due_at.is_(None), HumanTask.due_at, HumanTask.created_at)
            return [task_view(t) for t in s.scalars(q)]

    def view(self, task_id: str) -> TaskView:
        """One human task with its form and documentation."""
        with self.tx.read() as s:
            row = s.get(HumanTask, task_id)
            if row is None:
                raise TaskNotFound(task_id)
            inst = self.tx.instance(s, row.instance_id)
            meta = self.instances.deployments.elements(s, inst.deployment_id).get(row.element_id, {})
            return task_view(row, meta)

    def claim(self, task_id: str, *, actor: str) -> TaskView:
        """Take a ready task for yourself; refused when someone else holds it."""
        def change(row: HumanTask) -> dict[str, Any]:
            if row.assignee and row.assignee != actor:
                raise TaskClaimed(task_id, row.assignee)
            row.assignee = actor
            return {"assignee": actor}

        return self._change(task_id, actor, EventType.TASK_CLAIMED, change)

    def unclaim(self, task_id: str, *, actor: str) -> TaskView:
        """Give a task you hold back to its candidate groups."""
        def change(row: HumanTask) -> dict[str, Any]:
            if row.assignee != actor:
                raise NotAuthorized(actor, "unclaim a task held by " + (row.assignee or "nobody"), task_id)
            row.assignee = None
            return {"previous": actor}

        return self._change(task_id, actor, EventType.TASK_UNCLAIMED, change)

    def assign(self, task_id: str, user: str, *, actor: str) -> TaskView:
        """Give a task to `user` (a coordinator's action); AssignmentRefused unless the user is
        active and may work the task: a member of one of its candidate groups (or its lane),
        and no auditor."""
        def change(row: HumanTask) -> dict[str, Any]:
            self._check_assignable(row, user)
            previous = row.assignee
            row.assignee = user
            return {"assignee": user, "previous": previous}

        return self._change(task_id, actor, EventType.TASK_ASSIGNED, change, Action.ASSIGN)

    def complete(self, task_id: str, data: dict[str, Any] | None, *, actor: str) -> InstanceView:
        """Complete a ready human task with form data and run the instance to its next wait.

        Of two concurrent completions exactly one counts; the other raises TaskNotReady
        (naming who completed it) or ConcurrentModification.
        """
        data = dict(validate_data(data, self.instances.settings.max_data_bytes))
        try:
            with self.tx.write() as s:
                inst, ready = self._locked_instance_ready(s, task_id)
                row = ready[task_id]
                if row.assignee and row.assignee != actor:
                    raise TaskClaimed(task_id, row.assignee)
                if not InstanceStatus(inst.status).is_active:
                    raise InstanceNotRunnable(inst.id, inst.status, "complete a task of")
                workflow = self.instances.load(s, inst)
                task = workflow.get_task_from_id(UUID(task_id))
                if task is None or task.state != SpiffState.READY:
                    raise TaskNotReady(task_id, "not ready")
                meta = self.instances.deployments.elements(s, inst.deployment_id).get(row.element_id, {})
                check_owned(self.instances.deployments.elements(s, inst.deployment_id), row.element_id, data)
                data = accept(fields_of(meta), data, form_context(s, inst.id, task.data, self.clock()))
                writer = hist.EventWriter(s, inst, self.clock())
                run = self.instances.run(s, inst, workflow)
                ready_after = self.instances.record(s, inst, run, run.complete(task, data), writer, actor,
                                                    ready=ready)
                drop_drafts(s, task_id)
                return instance_view(s, inst, ready_after)
        except (StaleDataError, IntegrityError) as exc:
            self._lost_race(task_id, exc)

    def _check_assignable(self, row: HumanTask, username: str) -> None:
        with self.tx.read() as s:
            user = s.scalar(select(User).where(User.username == username))
            if user is None or not user.is_active:
                raise AssignmentRefused(row.id, username, "no active user has this name")
            groups = {g.group_name for g in user.groups}
            may_work = set(row.candidate_groups or []) | ({row.lane} if row.lane else set())
            if "auditor" in groups or not groups & may_work:
                raise AssignmentRefused(row.id, username, "the user is in none of the task's groups "
                                        f"({', '.join(sorted(may_work)) or 'none'})")

    def _change(self, task_id: str, actor: str, type_: EventType,
                change: Callable[[HumanTask], dict[str, Any]], operation: Action | None = None) -> TaskView:
        try:
            with self.tx.write() as s:
                row, inst = self._locked_ready(s, task_id)
                detail = change(row)
                writer = hist.EventWriter(s, inst, self.clock())
                writer.append(type_, actor, element_id=row.element_id, task_id=task_id, detail=detail)
                if operation is not None:
                    operations.append(s, operation, at=writer.at, actor=actor,
                                      target=f"instance {inst.id} task {task_id}",
                                      before={"assignee": detail.get("previous")},
                                      after={"assignee": detail.get("assignee")})
                inst.updated_at = writer.at
                s.flush()
                return task_view(row)
        except (StaleDataError, IntegrityError) as exc:
            self._lost_race(task_id, exc)

    def _locked_ready(self, s: Session, task_id: str) -> tuple[HumanTask, Instance]:
        """The task and its instance, the instance row locked first, the task read after it."""
        inst = self.tx.instance_of_task(s, task_id)
        if inst is None:
            raise TaskNotFound(task_id)
        row = s.get(HumanTask, task_id)
        if row is None:
            raise TaskNotFound(task_id)
        if row.state != TaskState.READY:
            raise _not_ready(row)
        return row, inst

    def _locked_instance_ready(self, s: Session, task_id: str) -> tuple[Instance, dict[str, HumanTask]]:
        """The task's instance (its row locked first) and all its ready tasks, read after it in one
        query: the completion needs the task, the recorder needs the rest (no second read)."""
        inst = self.tx.instance_of_task(s, task_id)
        if inst is None:
            raise TaskNotFound(task_id)
        ready = {t.id: t for t in s.scalars(_READY_OF, {"iid": inst.id})}
        if task_id not in ready:
            row = s.get(HumanTask, task_id)
            if row is None or row.state == TaskState.READY:  # gone, or of another instance (a move)
                raise TaskNotFound(task_id)
            raise _not_ready(row)
        return inst, ready

    def _lost_race(self, task_id: str, exc: Exception) -> NoReturn:
        """Another writer changed the task first: say who completed it, or that it changed."""
        with self.tx.read() as s:
            row = s.get(HumanTask, task_id)
            if row is not None and row.state != TaskState.READY:
                raise _not_ready(row) from None
            raise ConcurrentModification(row.instance_id if row else 0, task_id) from None


def _not_ready(row: HumanTask) -> TaskNotReady:
    return TaskNotReady(row.id, row.state, completed_by=row.completed_by,
                        completed_at=hist.utc(row.completed_at) if row.completed_at else None)
