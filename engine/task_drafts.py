"""Task drafts: a form saved without completing the task, kept per task and user.

A draft holds what a person has typed so far; it is shown again when that person reopens the
task, and nothing of it reaches the case until the task is completed. A draft writes only the
fields the task owns (its form's, or for a form-less task the fields no form declares), as a
completion would; required fields may still be empty. Drafts of a task that is no longer ready
are not shown, and are deleted when the task is completed.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import bindparam, delete, select
from sqlalchemy.orm import Session

from . import history as hist
from .clock import Clock
from .deployments import Deployments
from .errors import DataInvalid, FieldsNotOwned, TaskClaimed, TaskNotFound, TaskNotReady
from .models import HumanTask, Instance, TaskDraft
from .ownership import refused_fields
from .states import TaskState
from .transactions import Transactions
from .views import TaskDraftView

MAX_DRAFT_BYTES = 200_000


class TaskDrafts:
    """Save, read and discard one person's draft of one ready task."""

    def __init__(self, tx: Transactions, deployments: Deployments, clock: Clock) -> None:
        self.tx = tx
        self.deployments = deployments
        self.clock = clock

    def save(self, task_id: str, data: dict[str, Any], *, actor: str) -> TaskDraftView:
        """Keep `data` as `actor`'s draft of the task (replacing an earlier one)."""
        if not isinstance(data, dict):
            raise DataInvalid("a draft is an object of field values")
        try:
            size = len(json.dumps(data, ensure_ascii=False).encode("utf-8"))
        except (TypeError, ValueError):
            raise DataInvalid("a draft holds only text, numbers, true/false and lists") from None
        if size > MAX_DRAFT_BYTES:
            raise DataInvalid(f"the draft is {size} bytes; the limit is {MAX_DRAFT_BYTES}")
        with self.tx.write() as s:
            task = self._ready(s, task_id)
            if task.assignee and task.assignee != actor:
                raise TaskClaimed(task_id, task.assignee)
            inst = s.get(Instance, task.instance_id)
            assert inst is not None
            refused = refused_fields(self.deployments.elements(s, inst.deployment_id), task.element_id, data)
            if refused:
                raise FieldsNotOwned(task.element_id, refused)
            row = s.scalars(select(TaskDraft).where(TaskDraft.task_id == task_id, TaskDraft.owner == actor)).first()
            now = self.clock()
            if row is None:
                row = TaskDraft(task_id=task_id, instance_id=task.instance_id, element_id=task.element_id,
                                owner=actor, data=dict(data), saved_at=now)
                s.add(row)
            else:
                row.data, row.saved_at = dict(data), now
            s.flush()
            return _view(row)

    def get(self, task_id: str, *, actor: str) -> TaskDraftView | None:
        """`actor`'s draft of a ready task, if they saved one."""
        with self.tx.read() as s:
            task = s.get(HumanTask, task_id)
            if task is None:
                raise TaskNotFound(task_id)
            if task.state != TaskState.READY:
                return None
            row = s.scalars(select(TaskDraft).where(TaskDraft.task_id == task_id, TaskDraft.owner == actor)).first()
            return _view(row) if row is not None else None

    def discard(self, task_id: str, *, actor: str) -> bool:
        """Delete `actor`'s draft of the task; False when there was none."""
        with self.tx.write() as s:
            gone = s.execute(delete(TaskDraft).where(TaskDraft.task_id == task_id, TaskDraft.owner == actor))
            return bool(getattr(gone, "rowcount", 0))

    @staticmethod
    def _ready(s: Session, task_id: str) -> HumanTask:
        task = s.get(HumanTask, task_id)
        if task is None:
            raise TaskNotFound(task_id)
        if task.state != TaskState.READY:
            raise TaskNotReady(task_id, task.state, completed_by=task.completed_by,
                               completed_at=hist.utc(task.completed_at) if task.completed_at else None)
        return task


_DRAFTS = TaskDraft.metadata.tables[TaskDraft.__tablename__]
# Built once and run on the connection: every completion runs it (Core, not an ORM delete,
# which costs more than the statement itself; no draft is loaded in a completion's session).
_DROP = delete(_DRAFTS).where(_DRAFTS.c.task_id == bindparam("tid"))


def drop_drafts(s: Session, task_id: str) -> None:
    """Delete every draft of a task (it was completed: what was typed is in the case now)."""
    s.connection().execute(_DROP, {"tid": task_id})


def _view(row: TaskDraft) -> TaskDraftView:
    return TaskDraftView(task_id=row.task_id, owner=row.owner, data=dict(row.data or {}),
                         saved_at=hist.utc(row.saved_at))
