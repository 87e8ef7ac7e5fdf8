"""The JSON API for the ledger export and campaign reports (bearer tokens, as for the rest of
/api/v1): the filtered ledger as .xlsx or CSV, and reports listed, read and downloaded."""

from __future__ import annotations

import dataclasses
from typing import Any

from flask import Blueprint, abort, jsonify, request
from werkzeug.wrappers import Response

from engine import ReportView
from webapp import access, ledger, ledger_files, report_files
from webapp.api import authenticate, plain
from webapp.auth import current_user
from webapp.reports import READ_REPORTS
from webapp.services import engine

bp = Blueprint("report_api", __name__, url_prefix="/api/v1")
bp.before_request(authenticate)


def _allowed(roles: frozenset[str]) -> None:
    if not access.has_any(current_user().groups, roles):
        abort(403)


@bp.get("/ledger/export")
def export_ledger() -> Response:
    """The ledger with the page's filters (q, campaign, colour, class, phase, leader, status,
    overdue, final) as .xlsx (format=xlsx, the default) or CSV."""
    _allowed(access.LEDGER)
    fmt = request.args.get("format", "xlsx")
    if fmt not in ("xlsx", "csv"):
        abort(400)
    return ledger_files.export_response(ledger.ledger_filter(), fmt)


def summary(report: ReportView) -> dict[str, Any]:
    """A report without its tables, for lists."""
    fields = {f.name: getattr(report, f.name) for f in dataclasses.fields(report) if f.name != "content"}
    found: dict[str, Any] = plain(fields)
    return found | {"totals": report.content.get("totals") or {}}


@bp.get("/reports")
def reports() -> Response:
    """Reports newest first, by campaign (campaign=…) and kind (weekly_bulletin, monthly_report)."""
    _allowed(READ_REPORTS)
    kind = request.args.get("kind") or None
    if kind is not None and kind not in report_files.KINDS:
        abort(400)
    found = engine().reports.list(campaign_id=request.args.get("campaign") or None, kind=kind)
    return jsonify([summary(r) for r in found])


def _report(report_id: int) -> ReportView:
    _allowed(READ_REPORTS)
    report = engine().reports.get(report_id)
    if report is None:
        abort(404)
    return report


@bp.get("/reports/<int:report_id>")
def report(report_id: int) -> Response:
    """One report with everything it says."""
    return jsonify(plain(_report(report_id)))


@bp.get("/reports/<int:report_id>/download")
def download(report_id: int) -> Response:
    """The report as .docx (format=docx, the default) or .xlsx."""
    response = report_files.download(_report(report_id), request.args.get("format", "docx"))
    if response is None:
        abort(400)
    return response
