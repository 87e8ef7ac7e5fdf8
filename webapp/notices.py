"""Written notices (生成文书): generated from a case where it stands at the task that needs one,
stored as a case document; and the admin's page that edits their templates (versioned).

A notice is offered on the case page while the case has a ready task of its kind (受理审查 for
受理/不予受理告知书, 告知延期 for 延期告知书, …) and the reader may work that task. It is filled
from the case data and the reader's saved draft of that task (保存草稿), so a decision typed on
the task but not yet submitted (不予受理理由, 答复意见, 复查意见) is in the notice.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from engine import NOTICE_KINDS, InstanceView, NoticeKind, NoticeTemplateInvalid, TaskView
from webapp import access
from webapp.auth import current_user, require
from webapp.cases import load
from webapp.i18n import DISPLAY_ZONE
from webapp.labels import value_names
from webapp.services import engine
from webapp.tasks import attachment_store

bp = Blueprint("notices", __name__)


@dataclass(frozen=True)
class NoticeOffer:
    """A notice the reader may generate now: its kind and the ready task it is for."""

    kind: NoticeKind
    task: TaskView


def offers(instance: InstanceView) -> list[NoticeOffer]:
    """The notices the current user may generate on this case now (the case page's 生成文书
    buttons: a template global, so the case page need not import this module)."""
    user = current_user()
    found: list[NoticeOffer] = []
    if not access.has_any(user.groups, access.GENERATE_NOTICES):
        return found
    for task in instance.tasks:
        if not access.may_work_task(user.username, user.groups, task.assignee, task.candidate_groups):
            continue
        found.extend(NoticeOffer(k, task) for k in NOTICE_KINDS.values() if task.element_id in k.tasks)
    return found


def chinese_date(value: Any) -> str:
    """An ISO date or timestamp as a notice writes it: 2026年11月20日 (Beijing date)."""
    if isinstance(value, datetime):
        moment = value
    else:
        try:
            moment = datetime.fromisoformat(str(value))
        except ValueError:
            return str(value)
    if moment.tzinfo is not None:
        moment = moment.astimezone(DISPLAY_ZONE)
    return f"{moment.year}年{moment.month}月{moment.day}日"


def notice_values(instance: InstanceView, kind: NoticeKind, task: TaskView) -> dict[str, str]:
    """The placeholders' values as people read them: option names and people's names instead
    of stored ids, dates in Chinese, the reader's draft of the task over the case data."""
    data = dict(instance.data)
    draft = engine().task_drafts.get(task.id, actor=current_user().username)
    if draft is not None:
        data.update({k: v for k, v in draft.data.items() if v not in (None, "")})
    names = value_names(engine().diagram_xml(instance.process_key, instance.version))
    values: dict[str, str] = {}
    for key in kind.all_placeholders:
        raw = data.get(key)
        if raw is None or raw == "":
            continue
        if isinstance(raw, str) and raw in names.get(key, {}):
            values[key] = names[key][raw]
        elif key.endswith(("_at", "_on", "_deadline")):
            values[key] = chinese_date(raw)
        else:
            values[key] = str(raw)
    values["case_number"] = instance.business_key or str(instance.id)
    values["today"] = chinese_date(engine().clock())
    return values


@bp.post("/cases/<int:instance_id>/notices/<kind>")
@require(access.GENERATE_NOTICES)
def generate(instance_id: int, kind: str) -> Any:
    """Generate a notice of `kind` for the case, store it as a case document, record it in the
    history, and go back to the task, whose document field now offers it."""
    if kind not in NOTICE_KINDS:
        abort(404)
    instance = load(instance_id)
    offer = next((o for o in offers(instance) if o.kind.id == kind), None)
    if offer is None:
        if any(t.element_id in NOTICE_KINDS[kind].tasks for t in instance.tasks):
            abort(403)
        abort(409, _("This notice cannot be written at the case's current stage."))
    body, version = engine().notices.render(kind, notice_values(instance, offer.kind, offer.task))
    stamp = engine().clock().astimezone(DISPLAY_ZONE).strftime("%Y%m%d%H%M")
    filename = f"{offer.kind.name}_{instance.business_key or instance.id}_{stamp}.docx"
    att = attachment_store().attach_generated(engine(), instance_id, filename, body, actor=current_user().username,
                                              task_id=offer.task.id,
                                              notice={"kind": kind, "template_version": version})
    flash(_("%(name)s generated and kept as a case document: choose it in the task's document field.",
            name=att.filename), "success")
    return redirect(url_for("tasks.show", task_id=offer.task.id))


# -- the admin's template pages -----------------------------------------------------------------


@bp.get("/notices/templates")
@require(access.MANAGE_NOTICE_TEMPLATES)
def templates() -> str:
    """Every kind of notice with the version of its template in use."""
    rows = [(k, engine().notices.current(k.id)) for k in NOTICE_KINDS.values()]
    return render_template("notices/templates.html", rows=rows)


@bp.route("/notices/templates/<kind>", methods=["GET", "POST"])
@require(access.MANAGE_NOTICE_TEMPLATES)
def edit(kind: str) -> Any:
    """Edit a template's text fields, or upload a .docx with the same placeholders; each save
    adds a version and keeps the old ones."""
    if kind not in NOTICE_KINDS:
        abort(404)
    current = engine().notices.current(kind)
    values = {"title": current.title, "body": current.body, "signature": current.signature}
    error = None
    if request.method == "POST":
        upload = request.files.get("docx")
        try:
            if upload is not None and upload.filename:
                name = upload.filename.rsplit("/", 1)[-1]
                if not name.lower().endswith(".docx"):
                    raise NoticeTemplateInvalid(kind, "the file is not a .docx document")
                engine().notices.save(kind, actor=current_user().username, docx=upload.stream.read(),
                                      docx_filename=name)
            else:
                values = {k: request.form.get(k, "") for k in values}
                engine().notices.save(kind, actor=current_user().username, **values)
        except NoticeTemplateInvalid as exc:
            error = template_problem(exc)
        else:
            flash(_("Template saved as a new version."), "success")
            return redirect(url_for("notices.edit", kind=kind))
    return render_template("notices/edit.html", kind=NOTICE_KINDS[kind], values=values, current=current,
                           versions=engine().notices.versions(kind), error=error), 400 if error else 200


@bp.get("/notices/templates/<kind>/<int:version>.docx")
@require(access.MANAGE_NOTICE_TEMPLATES)
def template_docx(kind: str, version: int) -> Response:
    """Download an uploaded .docx version of a template."""
    if kind not in NOTICE_KINDS:
        abort(404)
    body = engine().notices.docx(kind, version)
    if body is None:
        abort(404)
    return send_file(io.BytesIO(body), as_attachment=True, download_name=f"{kind}_v{version}.docx",
                     mimetype="application/vnd.openxmlformats-officedocument.wordprocessingml.document")


def template_problem(exc: NoticeTemplateInvalid) -> str:
    """Why a template was refused, in the reader's language."""
    if exc.names:
        return _("Unknown placeholders: %(names)s. Use only the placeholders listed.",
                 names=", ".join("{{" + n + "}}" for n in exc.names))
    if "docx" in exc.problem:
        return _("The file is not a .docx document.")
    if "large" in exc.problem:
        return _("The file is too large.")
    return _("A title and a body are needed.")
