"""A campaign report as files: .xlsx (one sheet per table) and .docx (python-docx), with the
same sections as the page: totals, overdue and near-due cases by leader, cases named for
supervision, progress since the previous report, the 统计表 and, monthly, every case."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from flask import send_file
from flask_babel import gettext as _
from flask_babel import lazy_gettext
from werkzeug.wrappers import Response

from engine import MONTHLY, STATISTICS_COLUMNS, ReportView
from webapp.i18n import format_when
from webapp.labels import person_label
from webapp.ledger_files import COLOURS

KINDS = {"weekly_bulletin": lazy_gettext("Weekly supervision bulletin"),
         "monthly_report": lazy_gettext("Monthly statistics report")}
CATEGORY_LABELS = {"organisation_personnel": lazy_gettext("Organisation and personnel"),
                   "livelihood": lazy_gettext("Livelihood"), "legacy": lazy_gettext("Other legacy matters"),
                   "total": lazy_gettext("Total")}
STATISTICS_HEADERS = {"cases": lazy_gettext("Cases screened"), "closed": lazy_gettext("Closed"),
                      "resolved": lazy_gettext("Resolved"),
                      "petitioning_stopped": lazy_gettext("Stopped petitioning"),
                      "resolving": lazy_gettext("Being resolved"), "overdue": lazy_gettext("Overdue"),
                      "resolve_rate": lazy_gettext("Resolve rate (%)")}
TOTAL_LABELS = {"cases": lazy_gettext("Cases"), "closed": lazy_gettext("Closed"),
                "resolved": lazy_gettext("Resolved"), "petitioning_stopped": lazy_gettext("Stopped petitioning"),
                "overdue": lazy_gettext("Overdue"), "near_due": lazy_gettext("Due soon"),
                "named": lazy_gettext("Named for supervision")}
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

Table = tuple[str, list[str], list[list[Any]]]


def title(report: ReportView) -> str:
    """"2026年信访积案化解专项行动 · 纪委每周通报 · 2026年第15周"."""
    name = report.content.get("campaign_name") or report.campaign_id or ""
    return " · ".join(p for p in (name, str(KINDS.get(report.kind, report.kind)), report.label) if p)


def tables(report: ReportView) -> Iterator[Table]:
    """Each section of the report as (heading, header row, rows), in reading order."""
    c = report.content
    totals = c.get("totals") or {}
    yield _("Totals"), [str(TOTAL_LABELS[k]) for k in TOTAL_LABELS], [[totals.get(k) for k in TOTAL_LABELS]]
    case_head = [_("Case number"), _("Petitioner"), _("Case leader"), _("Current step"), _("Deadline"), _("Days")]
    for key, heading in (("overdue_by_leader", _("Overdue cases by case leader")),
                         ("near_due_by_leader", _("Cases due soon by case leader"))):
        rows = [[x["business_key"], x.get("petitioner_names"), person_label(g["leader"]) or _("No leader yet"),
                 x["task"], format_when(datetime.fromisoformat(x["due_at"])), x["days"]]
                for g in c.get(key) or [] for x in g["cases"]]
        yield heading, case_head, rows
    brief = [_("Case number"), _("Petitioner"), _("Case leader"), _("Risk colour"), _("Class")]

    def briefs(items: list[dict[str, Any]]) -> list[list[Any]]:
        return [[x["business_key"], x.get("petitioner_names"), person_label(x.get("leader")),
                 str(COLOURS.get(str(x.get("risk_colour")), x.get("risk_colour") or "")), x.get("case_class")]
                for x in items]

    yield _("Cases named for supervision"), brief, briefs(c.get("named") or [])
    progress = c.get("progress") or {}
    yield (_("Progress since the previous report"), [_("Figure"), _("Before"), _("Now"), _("Change")],
           [[str(TOTAL_LABELS.get(k, k)), v["before"], v["now"], v["change"]]
            for k, v in (progress.get("counts") or {}).items()])
    yield _("Closed since the previous report"), brief, briefs(progress.get("newly_closed") or [])
    yield _("Resolved since the previous report"), brief, briefs(progress.get("newly_resolved") or [])
    yield (_("Statistics table (统计表)"),
           [_("Kind of problem")] + [str(STATISTICS_HEADERS[k]) for k in STATISTICS_COLUMNS],
           [[str(CATEGORY_LABELS.get(r["category"], r["category"]))] + [r.get(k) for k in STATISTICS_COLUMNS]
            for r in c.get("statistics") or []])
    rates = c.get("rates") or {}
    if rates:
        yield (_("Rates"), [_("Rate"), _("Numerator"), _("Denominator"), _("Value")],
               [[r.get("label", name), r.get("numerator"), r.get("denominator"), r.get("value")]
                for name, r in rates.items()])
    if report.kind == MONTHLY:
        yield (_("Every case of the campaign (dynamic management)"),
               [_("Case number"), _("Petitioner"), _("Case leader"), _("Case handler"), _("Measures"),
                _("Time limit"), _("Handling situation")],
               [[x["business_key"], x.get("petitioner_names"), person_label(x.get("leader")),
                 person_label(x.get("handler")), x.get("handling_class"), x.get("handling_deadline"),
                 x.get("situation") or x.get("status")] for x in c.get("cases") or []])


def to_xlsx(report: ReportView) -> bytes:
    """The report as a workbook: the title and remarks first, then one block per section."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet(report.label[:31])
    sheet.append([title(report)])
    sheet.append([_("Generated at"), format_when(report.generated_at)])
    if report.remarks:
        sheet.append([_("Remarks"), report.remarks])
    for heading, head, rows in tables(report):
        sheet.append([])
        sheet.append([heading])
        sheet.append(head)
        for row in rows or [[_("None")]]:
            sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def to_docx(report: ReportView) -> bytes:
    """The report as a Word document, as the office prints and files it."""
    from docx import Document

    doc = Document()
    doc.add_heading(title(report), level=1)
    doc.add_paragraph(_("Generated at %(when)s from the case data.", when=format_when(report.generated_at)))
    if report.remarks:
        doc.add_heading(_("Remarks"), level=2)
        doc.add_paragraph(report.remarks)
    for heading, head, rows in tables(report):
        doc.add_heading(heading, level=2)
        if not rows:
            doc.add_paragraph(_("None"))
            continue
        table = doc.add_table(rows=1, cols=len(head))
        table.style = "Table Grid"
        for cell, text in zip(table.rows[0].cells, head, strict=True):
            cell.text = str(text)
        for row in rows:
            cells = table.add_row().cells
            for cell, value in zip(cells, row, strict=True):
                cell.text = "" if value is None else str(value)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def download(report: ReportView, fmt: str) -> Response | None:
    """The report as a file to download (.xlsx or .docx); None for any other format."""
    if fmt == "xlsx":
        body, mimetype = to_xlsx(report), XLSX
    elif fmt == "docx":
        body, mimetype = to_docx(report), DOCX
    else:
        return None
    return send_file(io.BytesIO(body), mimetype=mimetype, as_attachment=True,
                     download_name=f"{report.kind}-{report.id}.{fmt}")
