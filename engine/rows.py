"""ORM rows to the plain views the facade returns."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from . import history as hist
from .forms import fields_of
from .models import Deployment, HumanTask, Instance
from .states import TaskState
from .views import Deployment as DeploymentView
from .views import InstanceView, TaskView


def deployment_view(d: Deployment) -> DeploymentView:
    """A deployment row as the facade shows it."""
    return DeploymentView(
        process_key=d.process_key, version=d.version, content_hash=d.content_hash, kind=d.kind,
        name=d.name, deployed_at=hist.utc(d.deployed_at), deployed_by=d.deployed_by, change_note=d.change_note,
    )


def task_view(t: HumanTask, meta: dict[str, Any] | None = None) -> TaskView:
    """A task row as the facade shows it; `meta` (the element's metadata) adds form and help."""
    meta = meta or {}
    return TaskView(
        id=t.id, instance_id=t.instance_id, process_key=t.process_key, element_id=t.element_id,
        name=t.name, lane=t.lane, assignee=t.assignee, candidate_groups=list(t.candidate_groups or []),
        due_at=hist.utc(t.due_at) if t.due_at else None, state=t.state, created_at=hist.utc(t.created_at),
        completed_at=hist.utc(t.completed_at) if t.completed_at else None, completed_by=t.completed_by,
        documentation=meta.get("documentation"),
        form=fields_of(meta), approves=list(meta.get("approves") or []), form_key=meta.get("form_key"),
    )


def instance_view(s: Session, inst: Instance, ready: list[HumanTask] | None = None) -> InstanceView:
    """An instance with its ready human tasks (`ready`, when the caller already holds them)."""
    tasks = ready if ready is not None else s.scalars(
        select(HumanTask)
        .where(HumanTask.instance_id == inst.id, HumanTask.state == TaskState.READY)
        .order_by(HumanTask.created_at)
    )
    return InstanceView(
        id=inst.id, process_key=inst.process_key, version=inst.version, status=inst.status,
        data=dict(inst.data or {}), tasks=[task_view(t) for t in tasks], business_key=inst.business_key,
        started_at=hist.utc(inst.started_at), started_by=inst.started_by,
        ended_at=hist.utc(inst.ended_at) if inst.ended_at else None,
        incident_element=inst.incident_element, incident_message=inst.incident_message,
    )
