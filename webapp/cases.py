"""The case page (ledger record, current tasks, timeline, diagram), and starting a new case."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _

from engine import FormInvalid, InstanceStatus, InstanceView
from webapp import access, campaigns, forms, operation_log, repeat_petitions
from webapp.auth import current_user, require
from webapp.i18n import DISPLAY_ZONE, format_when
from webapp.labels import data_labels, element_names, person_label, value_names
from webapp.services import diagram_xml, engine, queries
from webapp.tasks import attachment_store, summary

bp = Blueprint("cases", __name__, url_prefix="/cases")
#: Timeline entries on one page of the case page (newest first).
TIMELINE_PAGE = 50


@dataclass(frozen=True)
class TimelinePage:
    """One page of a case's timeline, for the pager."""

    page: int
    pages: int

def may_read(instance: InstanceView) -> bool:
    """The current user may read this case (`access.may_read_case`)."""
    user = current_user()
    if access.has_any(user.groups, access.READ_ALL):
        return True
    return access.may_read_case(user.groups, instance.data.get("case_leader") == user.username
                                or queries().involved(instance.id, user.username, user.groups))


def load(instance_id: int) -> InstanceView:
    """The case, or 403 if the current user may not read it."""
    if not 0 < instance_id < 2**31:
        abort(404)
    instance = engine().instance(instance_id)
    if not may_read(instance):
        abort(403)
    operation_log.note_case_read(instance_id)
    return instance


#: The deadlines the case page puts at the top, in the order people check them.
DEADLINES = ("accept_deadline", "handling_deadline", "extended_deadline", "reply_deadline")


def top_facts(data: dict[str, Any], now: datetime) -> list[tuple[str, str, str]]:
    """(label, value, css class) for the top of the case page: the deadlines with days left or
    overdue, the extension, the class, the leader and the handler, in Chinese."""
    facts: list[tuple[str, str, str]] = []
    labels = {"accept_deadline": _("Acceptance deadline"), "handling_deadline": _("Handling deadline"),
              "extended_deadline": _("Extended deadline"), "reply_deadline": _("Reply deadline")}
    today = now.astimezone(DISPLAY_ZONE).date()
    for key in DEADLINES:
        try:
            due = datetime.fromisoformat(str(data[key]))
        except (KeyError, ValueError):
            continue
        days = (due.astimezone(DISPLAY_ZONE).date() - today).days if due.tzinfo else (due.date() - today).days
        if days < 0:
            note, css = _("%(n)s days overdue", n=-days), "overdue"
        elif days == 0:
            note, css = _("due today"), "near"
        else:
            note, css = _("%(n)s days left", n=days), "near" if days <= 3 else ""
        facts.append((labels[key], f"{format_when(due)[:10]} · {note}", css))
    if data.get("extension_count"):
        facts.append((_("Extension"), _("extended %(n)s times", n=data["extension_count"]), ""))
    if data.get("case_class"):
        facts.append((_("Class"), str(data["case_class"]), ""))
    for key, label in (("case_leader", _("Case leader")), ("case_handler", _("Case handler"))):
        if data.get(key):
            facts.append((label, person_label(str(data[key])), ""))  # the users the page reads once
    return facts


@bp.get("/<int:instance_id>")
def show(instance_id: int) -> str:
    """The case page."""
    return render_case(instance_id)


def render_case(instance_id: int, repeat_values: dict[str, str] | None = None,
                repeat_errors: dict[str, str] | None = None) -> str:
    """Draw the case page; the repeat-petition form with what was typed and its errors, if any."""
    instance = load(instance_id)
    xml = diagram_xml(instance.process_key, instance.version)
    names = element_names(xml)
    # ?step=N replays the case as it stood after history event N (for auditors): the
    # diagram, the data and the timeline are rebuilt from the stored events only.
    step = request.args.get("step", type=int)
    # One read of the history: the page's events in full, the rest without their data.
    timeline = engine().timeline(instance_id, page=request.args.get("page", 1, type=int) or 1,
                                 per_page=TIMELINE_PAGE, named={k for k, v in names.items() if v}, step=step)
    if step is not None and not 1 <= step <= timeline.last_seq:
        abort(404)
    markers = {"completed": timeline.completed, "active": timeline.active, "waiting": timeline.waiting,
               "cancelled": timeline.cancelled}
    data = instance.data if timeline.data is None else timeline.data
    user = current_user()
    labels = data_labels(xml)
    shown, other = summary(data, labels)
    repeat = repeat_petitions.ready_task(instance_id, instance.tasks)
    return render_template(
        "cases/show.html", instance=instance, names=names,
        history=timeline.events, timeline=TimelinePage(timeline.page, timeline.pages),
        step=step, replayed_at=timeline.replayed_at,
        labels=labels, options=value_names(xml),
        markers=markers, attachments=engine().attachments.list(instance_id),
        may_cancel=instance.status in (InstanceStatus.RUNNING, InstanceStatus.ERROR)
        and access.has_any(user.groups, access.CANCEL),
        may_retry=instance.status == InstanceStatus.ERROR and access.has_any(user.groups, access.RETRY),
        summary=shown, other_data=other, facts=top_facts(data, engine().clock()),
        repeat=repeat if step is None and repeat_petitions.may_record(repeat) else None,
        join_campaigns=campaigns.running_campaigns() if step is None and campaigns.may_join(instance) else [],
        repeat_values=repeat_values or (forms.initial_values(repeat.form, {}) if repeat else {}),
        repeat_errors=repeat_errors or {}, widget=forms.widget)


@bp.get("/<int:instance_id>/diagram.xml")
def diagram(instance_id: int) -> Response:
    """The BPMN XML of the case's process version, for bpmn-js: sent as plain text to download,
    so no browser renders it (markup inside a diagram must never run in the app's origin)."""
    instance = load(instance_id)
    return xml_download(diagram_xml(instance.process_key, instance.version), instance.process_key)


def xml_download(xml: bytes, process_key: str) -> Response:
    """A diagram as a plain-text download, never rendered in the app's origin."""
    resp = Response(xml, mimetype="text/plain")
    resp.headers["Content-Disposition"] = f"attachment; filename={process_key}.bpmn"
    resp.headers["X-Content-Type-Options"] = "nosniff"
    return resp


@bp.get("/<int:instance_id>/attachments/<attachment_id>")
def attachment(instance_id: int, attachment_id: str) -> Any:
    """Download one attachment of the case."""
    load(instance_id)
    found = attachment_store().get(instance_id, attachment_id)
    if found is None:
        abort(404)
    att, path = found
    return send_file(path, mimetype=att.content_type, as_attachment=True,
                     download_name=att.filename)


@bp.post("/<int:instance_id>/cancel")
@require(access.CANCEL)
def cancel(instance_id: int) -> Any:
    """Cancel a running case, with a reason."""
    reason = request.form.get("reason", "").strip()
    if not reason:
        flash(_("Give a reason for cancelling."), "error")
        return redirect(url_for("cases.show", instance_id=instance_id))
    engine().cancel(instance_id, actor=current_user().username, reason=reason)
    flash(_("The case was cancelled."), "info")
    return redirect(url_for("cases.show", instance_id=instance_id))


@bp.post("/<int:instance_id>/retry")
@require(access.RETRY)
def retry(instance_id: int) -> Any:
    """Run a case stopped by an incident again."""
    engine().retry(instance_id, actor=current_user().username)
    flash(_("The case was retried."), "info")
    return redirect(url_for("cases.show", instance_id=instance_id))


@bp.post("/<int:instance_id>/repeat-petitions")
@require(access.RECORD_REPEAT)
def repeat_petition(instance_id: int) -> Any:
    """A clerk records a repeat petition against the case (its standing repeat-petition task)."""
    load(instance_id)
    task = repeat_petitions.ready_task(instance_id)
    if task is None:
        flash(_("No repeat petition can be recorded on this case at its current stage."), "error")
        return redirect(url_for("cases.show", instance_id=instance_id))
    data = forms.submitted(task.form, request.form)
    try:
        repeat_petitions.record(instance_id, data)
    except FormInvalid as exc:
        flash(_("Please correct the marked fields."), "error")
        typed = {f.id: str(data.get(f.id) or "") for f in task.form}
        return render_case(instance_id, typed, forms.messages(exc.problems)), 400
    flash(_("Repeat petition recorded."), "success")
    return redirect(url_for("cases.show", instance_id=instance_id))


#: Fields asked for when registering a case; the process's first task asks for the rest.
START_FIELDS = ("title", "petitioner_names", "demand")


@bp.route("/new", methods=["GET", "POST"])
@require(access.START)
def new() -> Any:
    """Register a new case: pick the process, give a title; the first task opens next."""
    deployments = [d for d in engine().deployments() if d.kind == "bpmn"]
    keys = sorted({d.process_key: d.name or d.process_key for d in deployments}.items())
    values = {k: request.form.get(k, "").strip() for k in (*START_FIELDS, "business_key")}
    errors: dict[str, str] = {}
    if request.method == "POST":
        process_key = request.form.get("process_key", "")
        if process_key not in dict(keys):
            errors["process_key"] = _("Choose a process.")
        if not values["title"]:
            errors["title"] = _("This field is required.")
        if not errors:
            data = {k: values[k] for k in START_FIELDS if values[k]}
            user = current_user()
            instance = engine().start(process_key, data, actor=user.username,
                                      business_key=values["business_key"] or None)
            flash(_("Case %(id)s registered.", id=instance.id), "success")
            for task in instance.tasks:
                if access.may_work_task(user.username, user.groups, task.assignee,
                                        task.candidate_groups):
                    return redirect(url_for("tasks.show", task_id=task.id))
            return redirect(url_for("cases.show", instance_id=instance.id))
    status = 400 if errors else 200
    return render_template("cases/new.html", keys=keys, values=values, errors=errors,
                           chosen=request.form.get("process_key", "")), status
