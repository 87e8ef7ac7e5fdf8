"""The task page: case summary, instructions and the task's form; claim, unclaim, complete."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from engine import (
    DataInvalid,
    EventType,
    EventView,
    FormInvalid,
    InstanceView,
    TaskDraftView,
    TaskNotReady,
    TaskState,
    TaskView,
    UserView,
)
from webapp import access, forms, reports
from webapp.attachments import AttachmentRefused, AttachmentStore
from webapp.auth import current_user
from webapp.labels import data_labels, return_reasons, value_names
from webapp.services import accounts, diagram_xml, engine, settings

bp = Blueprint("tasks", __name__, url_prefix="/tasks")


def attachment_store() -> AttachmentStore:
    """Where uploaded files go: the upload directory, outside the web root."""
    return AttachmentStore(Path(settings().upload_dir), settings().max_upload_bytes)


def may_work(task: TaskView) -> bool:
    """The current user may claim or complete this ready task."""
    user = current_user()
    return task.state == TaskState.READY and access.may_work_task(
        user.username, user.groups, task.assignee, task.candidate_groups)


def may_see(task: TaskView) -> bool:
    """The current user may look at this task."""
    user = current_user()
    return (may_work(task) or access.has_any(user.groups, access.READ_ALL)
            or user.username in (task.assignee, task.completed_by))


def load(task_id: str, *, work: bool) -> TaskView:
    """The task, or 403 if the current user may not see it (work=False) or work it."""
    task = engine().task(task_id)
    if task.state == TaskState.READY and work and not may_work(task):
        abort(403)
    user = current_user()
    if work and task.state != TaskState.READY and "auditor" not in user.groups and (
            user.username == task.assignee or set(user.groups) & set(task.candidate_groups)):
        # It could have been this user's: say who completed it first, and when (409).
        raise TaskNotReady(task.id, task.state, completed_by=task.completed_by,
                           completed_at=task.completed_at)
    if not may_see(task):
        abort(403)
    return task


Pairs = list[tuple[str, Any]]


def summary(data: dict[str, Any], labels: dict[str, str]) -> tuple[Pairs, Pairs]:
    """The plain (non-nested) case data beside a task or case: the fields people know by a
    label first, then the rest (dates the diagram computed, counters) for whoever wants them."""
    plain = [(k, v) for k, v in sorted(data.items())
             if isinstance(v, str | int | float | bool) and not k.startswith("_")]
    return [(k, v) for k, v in plain if k in labels], [(k, v) for k, v in plain if k not in labels]


@bp.get("/<task_id>")
def show(task_id: str) -> str:
    """The task with its form (if the user may work it) or read-only."""
    task = load(task_id, work=False)
    instance = engine().instance(task.instance_id)
    values = forms.initial_values(task.form, instance.data)
    draft = engine().task_drafts.get(task_id, actor=current_user().username) if may_work(task) else None
    if draft is not None:
        values.update({k: "on" if v is True else "" if v in (None, False) else str(v) for k, v in draft.data.items()})
    return render_page(task, instance, values, {}, draft=draft)


def render_page(task: TaskView, instance: InstanceView, values: dict[str, str],
                errors: dict[str, str], status: int = 200, draft: TaskDraftView | None = None) -> Any:
    """Draw the task page with the given field values and errors."""
    user = current_user()
    xml = diagram_xml(instance.process_key, instance.version)
    labels = data_labels(xml)
    approved = [(k, instance.data[k]) for k in task.approves if instance.data.get(k) not in (None, "")]
    shown, other = summary({k: v for k, v in instance.data.items() if k not in task.approves}, labels)
    history = engine().history(instance.id)
    page = render_template(
        "tasks/show.html", task=task, instance=instance, values=values, errors=errors,
        widget=forms.widget, may_work=may_work(task), summary=shown, other_data=other,
        may_assign=task.state == TaskState.READY and access.has_any(user.groups, access.COORDINATE),
        attachments=engine().attachments.list(instance.id), fields=task.form,
        choices=choices(task, instance), earlier=earlier_answers(task, history),
        bounce=bounce(task, history, xml), approved=approved,
        labels=labels, options=value_names(xml), draft=draft,
        report_review=reports.for_task_page(task.id, task.element_id))
    return page, status


def choices(task: TaskView, instance: InstanceView) -> dict[str, list[tuple[str, ...]]]:
    """What user pickers offer (the active holders of the field's role: user name, name and
    unit as people read them, the words a search matches), what document fields offer (the
    case's attachments: id, file name) and what campaign fields offer (running campaigns: id, name)."""
    found: dict[str, list[tuple[str, ...]]] = {}
    for f in task.form:
        if f.type == "user":
            found[f.id] = [person(u) for u in accounts().holders(f.properties.get("role", ""))]
        elif forms.widget(f) == "document":
            found[f.id] = [(a.id, a.filename) for a in engine().attachments.list(instance.id)]
        elif f.type == "campaign":
            found[f.id] = [(c.campaign_id, c.name) for c in engine().campaigns.find()]
    return found


def person(user: UserView) -> tuple[str, str, str]:
    """One choice of a user picker: the user name it records, "name（unit）", and what a search matches."""
    label = _("%(name)s (%(unit)s)", name=user.label, unit=user.unit) if user.unit else user.label
    return user.username, label, " ".join(filter(None, (user.username, user.display_name, user.unit)))


def earlier_answers(task: TaskView, history: list[EventView]) -> dict[str, list[tuple[Any, str, Any]]]:
    """For `history` fields: what earlier passes through this task answered (when, who, what)."""
    keep = {f.id for f in task.form if f.properties.get("history") == "true"}
    found: dict[str, list[tuple[Any, str, Any]]] = {}
    for e in history:
        if e.type != EventType.TASK_COMPLETED or e.element_id != task.element_id or e.task_id == task.id:
            continue
        for key in keep & set(e.changes):
            if e.changes[key][1] not in (None, ""):
                found.setdefault(key, []).append((e.at, e.actor, e.changes[key][1]))
    return found


def bounce(task: TaskView, history: list[EventView], xml: bytes) -> tuple[EventView, list[str]] | None:
    """When a gate sent this task straight back (its own completion is the last thing anyone
    did, no timer fired since): that completion, and the names of the gateway flows that lead
    back to it (the reasons the diagram gives). A planned second pass is not a bounce."""
    if task.state != TaskState.READY:
        return None
    acts = [e for e in history if e.type in (EventType.TASK_COMPLETED, EventType.TIMER_FIRED)]
    last = acts[-1] if acts else None
    if last is None or last.type != EventType.TASK_COMPLETED or last.element_id != task.element_id:
        return None
    return last, return_reasons(xml, task.element_id)


@bp.post("/<task_id>/claim")
def claim(task_id: str) -> Response:
    """Take an unassigned task offered to one of my groups."""
    task = load(task_id, work=True)
    if task.assignee is None:
        engine().claim(task_id, actor=current_user().username)
        flash(_("The task is now yours."), "success")
    return redirect(url_for("tasks.show", task_id=task_id))


@bp.post("/<task_id>/unclaim")
def unclaim(task_id: str) -> Response:
    """Give a task I hold back to its groups."""
    task = load(task_id, work=True)
    if task.assignee != current_user().username:
        abort(403)
    engine().unclaim(task_id, actor=current_user().username)
    flash(_("The task is back in the group inbox."), "info")
    return redirect(url_for("inbox.index"))


@bp.post("/<task_id>/assign")
def assign(task_id: str) -> Response:
    """A coordinator hands a task to a named user."""
    if not access.has_any(current_user().groups, access.COORDINATE):
        abort(403)
    username = request.form.get("username", "").strip()
    if not username:
        abort(400)
    accounts().user(username)  # 404 for an unknown user
    engine().assign(task_id, username, actor=current_user().username)
    flash(_("Task assigned to %(name)s.", name=username), "success")
    return redirect(url_for("tasks.show", task_id=task_id))


@bp.post("/<task_id>/complete")
def complete(task_id: str) -> Any:
    """Store the form's uploads, then complete the task with what the user entered; on a
    refusal show the form again as it was filled, each problem beside its field."""
    user = current_user()
    task = load(task_id, work=True)
    data = forms.submitted(task.form, request.form)
    errors: dict[str, str] = {}
    for f in task.form:
        upload = request.files.get(f.id)
        if f.type != "file" or upload is None or not upload.filename:
            continue
        try:
            data[f.id] = attachment_store().attach(engine(), task.instance_id, upload, actor=user.username,
                                                   task_id=task.id, field=f.id).id
        except AttachmentRefused as exc:
            errors[f.id] = str(exc)
    values = {f.id: "on" if data.get(f.id) is True else str(data.get(f.id) or "") for f in task.form}
    if not errors:
        try:
            instance = engine().complete(task_id, data, actor=user.username)
        except FormInvalid as exc:
            errors = forms.messages(exc.problems)
        except DataInvalid as exc:
            errors = {exc.field if exc.field in values else "_form": str(exc)}
    if errors:
        flash(_("Please correct the marked fields."), "error")
        return render_page(task, engine().instance(task.instance_id), values, errors, 400)
    flash(_("Task completed: %(name)s.", name=task.name or task.element_id), "success")
    for nxt in instance.tasks:
        if nxt.state == TaskState.READY and access.may_work_task(
                user.username, user.groups, nxt.assignee, nxt.candidate_groups):
            return redirect(url_for("tasks.show", task_id=nxt.id))
    return redirect(url_for("inbox.index"))


@bp.post("/<task_id>/draft")
def save_draft(task_id: str) -> Response:
    """Keep what the user typed as their draft of the task, without completing it: nothing is
    checked but the fields' ownership, and the task shows it again when reopened."""
    task = load(task_id, work=True)
    if not may_work(task):
        abort(403)
    data: dict[str, Any] = {}
    for f in task.form:
        if f.type == "file":
            continue
        if forms.widget(f) == "checkbox":
            data[f.id] = f.id in request.form
        elif f.id in request.form:
            data[f.id] = request.form.get(f.id, "")
    engine().task_drafts.save(task_id, data, actor=current_user().username)
    flash(_("Draft saved. It is shown when you open this task again; nothing was sent."), "success")
    return redirect(url_for("tasks.show", task_id=task_id))


@bp.post("/<task_id>/attachments")
def upload(task_id: str) -> Response:
    """Attach a document to the case of a task I may work."""
    user = current_user()
    task = load(task_id, work=True)
    if not may_work(task):
        abort(403)
    upload_file = request.files.get("file")
    if upload_file is None or not upload_file.filename:
        flash(_("Choose a file first."), "error")
    else:
        try:
            attachment_store().attach(engine(), task.instance_id, upload_file, actor=user.username,
                                      task_id=task.id)
            flash(_("File attached."), "success")
        except AttachmentRefused as exc:
            flash(str(exc), "error")
    return redirect(url_for("tasks.show", task_id=task_id))
