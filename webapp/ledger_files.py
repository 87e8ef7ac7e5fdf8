"""The ledger (台账) as the office sends it upward: .xlsx or CSV with Chinese headers, the
ledger page's filters kept; shared by the page's buttons and the API."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from datetime import datetime
from typing import IO, Any

from flask import Response, stream_with_context
from flask_babel import gettext as _
from flask_babel import lazy_gettext

from engine import EXPORT_COLUMNS, LedgerFilter, csv_chunks, write_xlsx
from webapp.i18n import format_when
from webapp.labels import option_names, person_label, status_label
from webapp.services import engine

#: The header of each exported column, as the office reads it.
HEADERS: dict[str, Any] = {
    "business_key": lazy_gettext("Case number"),
    "petitioner_names": lazy_gettext("Petitioner"),
    "petitioner_count": lazy_gettext("Number of petitioners"),
    "subject": lazy_gettext("Subject of the matter"),
    "flags": lazy_gettext("Flags"),
    "petition_source": lazy_gettext("Source of the petition"),
    "demand": lazy_gettext("Demand"),
    "risk_colour": lazy_gettext("Risk colour"),
    "case_class": lazy_gettext("Class"),
    "case_leader": lazy_gettext("Case leader"),
    "case_handler": lazy_gettext("Case handler"),
    "campaign_id": lazy_gettext("Campaign"),
    "campaign_phase": lazy_gettext("Campaign phase"),
    "phases": lazy_gettext("Current steps"),
    "received_at": lazy_gettext("Received on"),
    "accept_deadline": lazy_gettext("Acceptance deadline"),
    "handling_deadline": lazy_gettext("Handling deadline"),
    "reply_deadline": lazy_gettext("Reply deadline"),
    "next_due_at": lazy_gettext("Next deadline"),
    "days_overdue": lazy_gettext("Days overdue"),
    "status": lazy_gettext("Status"),
    "resolved": lazy_gettext("Resolved (化解)"),
    "petitioning_stopped": lazy_gettext("Petitioning stopped (息访)"),
}
#: The flags of the 标记 column (engine.ledger_export.flags_of), as the office names them.
FLAG_LABELS: dict[str, Any] = {
    "backlog_case": lazy_gettext("Backlog case"),
    "three_cross": lazy_gettext("Three-cross"),
    "three_separation": lazy_gettext("Three-separation"),
    "collective_petition": lazy_gettext("Collective petition"),
    "escalated_petition": lazy_gettext("Escalated petition"),
    "repeat_petition": lazy_gettext("Repeat petition"),
    "extreme_statement": lazy_gettext("Extreme statements"),
    "handling_overdue": lazy_gettext("Handling overdue"),
    "named_in_bulletin": lazy_gettext("Named in the bulletin"),
    "litigation": lazy_gettext("Litigation-related"),
    "final_petitions": lazy_gettext("Petitioned after finality"),
}
COLOURS = {"red": lazy_gettext("Red"), "yellow": lazy_gettext("Yellow"), "green": lazy_gettext("Green")}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def headers() -> list[str]:
    """The header row in the user's language, in the engine's column order."""
    return [str(HEADERS[c]) for c in EXPORT_COLUMNS]


def renderer() -> Any:
    """`render(column, value)`: a raw export value as the cell shows it (labels, names, 是/否)."""
    subjects: dict[str, str] = {}
    sources: dict[str, str] = {}
    for key in sorted({k for k, _v in engine().process_names()}):
        try:
            names = option_names(engine().diagram_xml(key))
            subjects.update(names.get("subject", {}))
            sources.update(names.get("petition_source", {}))
        except Exception:  # noqa: BLE001 - a decision table or unreadable diagram names no subjects
            continue
    yes, no = _("Yes"), _("No")
    stages = {"closed": _("Closed (follow-up visits)"), "not_accepted": _("Not accepted")}

    def render(column: str, value: Any) -> Any:
        if value is None or value == "":
            return None
        if column == "subject":
            return subjects.get(value, value)
        if column == "petition_source":
            return sources.get(value, value)
        if column == "flags":
            return "、".join(str(FLAG_LABELS.get(f, f)) for f in value)
        if column == "risk_colour":
            return str(COLOURS.get(value, value))
        if column in ("case_leader", "case_handler"):
            return person_label(value)
        if column == "phases":
            return "、".join(value)
        if column == "status":
            return stages.get(value) or status_label(value)
        if isinstance(value, bool):
            return yes if value else no
        if isinstance(value, datetime):
            return format_when(value)
        return value

    return render


def export_response(flt: LedgerFilter, fmt: str) -> Response:
    """The filtered ledger as a download: .xlsx (written to a temporary file in write-only mode)
    or CSV (streamed)."""
    rows = engine().ledger_export.rows(flt)
    stamp = engine().clock().strftime("%Y%m%d")
    if fmt == "csv":
        body = stream_with_context(csv_chunks(rows, headers(), render=renderer()))
        response = Response(body, mimetype="text/csv; charset=utf-8")
        response.headers["Content-Disposition"] = f'attachment; filename="ledger-{stamp}.csv"'
        return response
    out = tempfile.TemporaryFile()
    try:
        write_xlsx(rows, headers(), out, render=renderer(), title=_("Ledger"))
    except BaseException:
        out.close()
        raise
    out.seek(0)
    response = Response(_read_and_close(out), mimetype=XLSX)
    response.headers["Content-Disposition"] = f'attachment; filename="ledger-{stamp}.xlsx"'
    return response


def _read_and_close(out: IO[bytes]) -> Iterator[bytes]:
    try:
        while chunk := out.read(1 << 16):
            yield chunk
    finally:
        out.close()
