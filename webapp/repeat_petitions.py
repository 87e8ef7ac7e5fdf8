"""Recording a repeat petition (重复信访) against a case at any time, from the case page or the API.

The diagram keeps a standing clerk task for it while the case is worked
(`record_repeat_during_handling`) and after it is closed (`record_repeat_petition`, which
reopens the case as a backlog case); recording one completes whichever of them is ready.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask import abort
from flask_babel import gettext as _

from engine import InstanceView, TaskView
from webapp import access
from webapp.auth import current_user
from webapp.services import engine

#: The standing tasks a repeat petition completes, during handling and after closing.
TASKS = ("record_repeat_during_handling", "record_repeat_petition")


def ready_task(instance_id: int, ready: Iterable[TaskView] | None = None) -> TaskView | None:
    """The case's ready repeat-petition task with its form, or None at a stage that has none.
    `ready`: the case's ready tasks when the caller has them already (the case page's instance)."""
    for task in engine().tasks(instance_id=instance_id) if ready is None else ready:
        if task.element_id in TASKS:
            return engine().task(task.id)
    return None


def may_record(task: TaskView | None) -> bool:
    """The current user may record a repeat petition through this task (the clerks it is offered to)."""
    user = current_user()
    return (task is not None and access.has_any(user.groups, access.RECORD_REPEAT)
            and access.may_work_task(user.username, user.groups, task.assignee, task.candidate_groups))


def record(instance_id: int, data: dict[str, Any]) -> InstanceView:
    """Complete the case's repeat-petition task with `data`: 409 when the case has none ready,
    403 when the current user may not record it; FormInvalid names a refused field."""
    if not access.has_any(current_user().groups, access.RECORD_REPEAT):
        abort(403)
    task = ready_task(instance_id)
    if task is None:
        abort(409, _("No repeat petition can be recorded on this case at its current stage."))
    if not may_record(task):
        abort(403)
    fields = {f.id for f in task.form}
    return engine().complete(task.id, {k: v for k, v in data.items() if k in fields},
                             actor=current_user().username)
