"""Campaign reports: the list per campaign, one report on screen (printable), its .xlsx and
.docx, and review on the task page: remarks, then publish (which completes the task)."""

from __future__ import annotations

import io
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.datastructures import FileStorage
from werkzeug.wrappers import Response

from engine import PUBLISHED, ReportView, TaskState, task_values
from webapp import access, report_files, tasks
from webapp.auth import current_user, require
from webapp.ledger_files import COLOURS
from webapp.services import engine

bp = Blueprint("reports", __name__, url_prefix="/reports")

#: Who reads every report of every campaign (the readers of every case).
READ_REPORTS = access.READ_ALL
#: Who publishes: the bulletin's supervisor, the monthly report's coordinator (and only whoever may
#: work the report's task); auditors and admins read reports but never publish one.
PUBLISH_REPORTS = frozenset({"supervisor", "coordinator"})
#: The document field of each report task that the published .docx fills.
DOCUMENT_FIELDS = {"weekly_bulletin": "bulletin_ref", "monthly_report": "monthly_report_ref"}
MAX_REMARKS = 4000


def load(report_id: int) -> ReportView:
    """The report, or 404."""
    report = engine().reports.get(report_id)
    if report is None:
        abort(404)
    return report


@bp.get("/")
@require(READ_REPORTS)
def index() -> str:
    """Every report, newest first, by campaign if asked (?campaign=…)."""
    campaign = request.args.get("campaign") or None
    reports = engine().reports.list(campaign_id=campaign)
    campaigns = sorted({r.campaign_id for r in engine().reports.list() if r.campaign_id})
    return render_template("reports/index.html", reports=reports, campaign=campaign, campaigns=campaigns,
                           kinds=report_files.KINDS)


@bp.get("/<int:report_id>")
@require(READ_REPORTS)
def show(report_id: int) -> str:
    """One report on screen; printing it gives the report alone (print CSS)."""
    report = load(report_id)
    return render_template("reports/show.html", report=report, **context(report))


def context(report: ReportView) -> dict[str, Any]:
    """What the report body template needs (also drawn on the task page)."""
    return {"report_tables": list(report_files.tables(report)), "report_title": report_files.title(report),
            "colours": COLOURS, "published": report.status == PUBLISHED}


@bp.get("/<int:report_id>.<fmt>")
@require(READ_REPORTS)
def download(report_id: int, fmt: str) -> Response:
    """The report as .xlsx or .docx."""
    response = report_files.download(load(report_id), fmt)
    if response is None:
        abort(404)
    return response


def for_task_page(task_id: str, element_id: str) -> dict[str, Any] | None:
    """The report a report task brought, with its body context, for the task page (None for
    other tasks)."""
    if element_id not in ("write_weekly_bulletin", "write_monthly_report"):
        return None
    report = engine().reports.for_task(task_id)
    return {"report": report, **context(report)} if report is not None else None


@bp.post("/<int:report_id>/publish")
@require(PUBLISH_REPORTS)
def publish(report_id: int) -> Response:
    """Keep the reviewer's remarks and publish: the .docx becomes the task's document, the
    figures fill its form, and the task completes (only whoever may work the task)."""
    report = load(report_id)
    if report.task_id is None or report.status == PUBLISHED:
        abort(409)
    task = tasks.load(report.task_id, work=True)
    if task.state != TaskState.READY or not tasks.may_work(task):
        abort(403)
    remarks = (request.form.get("remarks") or "").strip()
    if len(remarks) > MAX_REMARKS:
        abort(400)
    user = current_user()
    report = engine().reports.save_remarks(report.id, remarks) or report
    if request.form.get("action") == "save":
        flash(_("Remarks saved."), "success")
        return redirect(url_for("tasks.show", task_id=task.id))
    upload = FileStorage(io.BytesIO(report_files.to_docx(report)), filename=f"{report.label}.docx")
    attachment = tasks.attachment_store().attach(engine(), task.instance_id, upload, actor=user.username,
                                                 task_id=task.id, field=DOCUMENT_FIELDS[report.kind])
    values = task_values(report) | {DOCUMENT_FIELDS[report.kind]: attachment.id}
    engine().complete(task.id, values, actor=user.username)
    flash(_("Published: %(label)s.", label=report.label), "success")
    return redirect(url_for("reports.show", report_id=report.id))

