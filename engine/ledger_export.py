"""The ledger (台账) as a file an office reports upward: every filtered case as one row, streamed.

Rows are read in batches by id (keyset paging, no OFFSET), so 100,000 cases never sit in memory
at once; the .xlsx is written with openpyxl's write-only mode and the CSV is UTF-8 with a BOM,
which is what Excel needs to open Chinese text. Column *labels* are the caller's (the web app
translates them); the engine fixes the columns and their order.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import IO, Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from .clock import aware
from .models import HumanTask, Instance
from .queries import (
    ACCEPT_FIELD,
    LEADER_FIELD,
    NOT_ACCEPTED,
    SIGN_OFF_FIELD,
    SIGNED_OFF,
    LedgerFilter,
    campaign_phases,
    ledger_conditions,
)
from .rates import numerators
from .states import TaskState

#: Case data flags shown in the 标记 column, in this order (the key is also the value written).
FLAG_FIELDS: tuple[str, ...] = ("backlog_case", "three_cross", "three_separation", "collective_petition",
                                "escalated_petition", "repeat_petition", "extreme_statement",
                                "handling_overdue", "named_in_bulletin")
#: The subject that marks a litigation-related matter (涉法涉诉, handled by 诉访分离).
LITIGATION = "litigation"
#: Every column of the export, in order; the caller gives each a label.
COLUMNS: tuple[str, ...] = (
    "business_key", "petitioner_names", "petitioner_count", "subject", "flags", "petition_source", "demand",
    "risk_colour",
    "case_class", "case_leader", "case_handler", "campaign_id", "campaign_phase", "phases",
    "received_at", "accept_deadline", "handling_deadline", "reply_deadline", "next_due_at",
    "days_overdue", "status", "resolved", "petitioning_stopped",
)
#: How many cases one read fetches.
BATCH = 2000
#: The instance columns an export row is made of.
_COLUMNS = (Instance.id, Instance.business_key, Instance.campaign_id, Instance.risk_colour, Instance.case_class,
            Instance.final_petitions, Instance.status, Instance.data)


@dataclass(frozen=True)
class ExportRow:
    """One case of the exported ledger; `values` follows COLUMNS, raw (codes, not labels)."""

    instance_id: int
    values: dict[str, Any] = field(default_factory=dict)


class LedgerExport:
    """Read the filtered ledger for export, in batches, and write it as .xlsx or CSV."""

    def __init__(self, sessions: sessionmaker[Session], clock: Callable[[], datetime]) -> None:
        self._sessions = sessions
        self._clock = clock

    def rows(self, flt: LedgerFilter | None = None, *, batch: int = BATCH) -> Iterator[ExportRow]:
        """Every case matching the filter, newest id first, one batch read at a time."""
        flt = flt or LedgerFilter()
        now = self._clock()
        conditions = ledger_conditions(flt, now)
        held = numerators(now)  # 化解 and 息访 exactly as engine/rates.py counts them
        last: int | None = None
        with self._sessions() as session:
            phases = campaign_phases(session, None, now)
            while True:
                # Columns, not ORM objects: 100,000 rows are read once and thrown away.
                q = (select(*_COLUMNS, held["resolve_rate"].label("resolved"),
                            held["petitioning_stopped_rate"].label("stopped"))
                     .where(*conditions).order_by(Instance.id.desc()).limit(batch))
                if last is not None:
                    q = q.where(Instance.id < last)
                found = session.execute(q).all()
                if not found:
                    return
                last = found[-1].id
                ready = _ready_tasks(session, [row.id for row in found])
                for row in found:
                    yield _row(row, ready.get(row.id, []), phases, now)


def write_xlsx(rows: Iterable[ExportRow], headers: Sequence[str], out: IO[bytes], *,
               render: Callable[[str, Any], Any] | None = None, title: str = "台账") -> int:
    """Write the rows as one .xlsx sheet (write-only mode: rows go to disk as they come); return
    how many. `render(column, value)` turns a raw value into what the cell shows."""
    from openpyxl import Workbook  # imported here: only exports need it

    book = Workbook(write_only=True)
    sheet = book.create_sheet(title)
    sheet.freeze_panes = "A2"
    sheet.append(list(headers))
    count = 0
    for row in rows:
        sheet.append([_cell(c, row.values.get(c), render) for c in COLUMNS])
        count += 1
    book.save(out)
    return count


def write_csv(rows: Iterable[ExportRow], headers: Sequence[str], out: IO[bytes], *,
              render: Callable[[str, Any], Any] | None = None) -> None:
    """Write the rows as CSV, UTF-8 with a BOM (Excel opens Chinese text right)."""
    for chunk in csv_chunks(rows, headers, render=render):
        out.write(chunk)


def csv_chunks(rows: Iterable[ExportRow], headers: Sequence[str], *,
               render: Callable[[str, Any], Any] | None = None, every: int = 500) -> Iterator[bytes]:
    """The CSV as byte chunks (a streamed HTTP response), BOM first."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(headers)
    yield "\ufeff".encode() + buffer.getvalue().encode()
    buffer.seek(0)
    buffer.truncate()
    for n, row in enumerate(rows, 1):
        writer.writerow(["" if v is None else v for v in (_cell(c, row.values.get(c), render) for c in COLUMNS)])
        if n % every == 0:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode()


def _cell(column: str, value: Any, render: Callable[[str, Any], Any] | None) -> Any:
    if render is not None:
        return render(column, value)
    if isinstance(value, list):
        return "、".join(str(v) for v in value)
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)  # Excel has no time zones
    return value


def _ready_tasks(session: Session, ids: list[int]) -> dict[int, list[tuple[str, datetime | None]]]:
    found: dict[int, list[tuple[str, datetime | None]]] = {}
    for instance_id, name, element, due in session.execute(
            select(HumanTask.instance_id, HumanTask.name, HumanTask.element_id, HumanTask.due_at)
            .where(HumanTask.instance_id.in_(ids), HumanTask.state == TaskState.READY)
            .order_by(HumanTask.due_at)):
        found.setdefault(instance_id, []).append((name or element, due))
    return found


def _day(value: Any) -> str | None:
    """A stored date or timestamp as its ISO day (2026-05-01); None for nothing."""
    if not value:
        return None
    return str(value)[:10]


def status_of(inst_status: str, data: dict[str, Any]) -> str:
    """Where a case stands for the ledger: closed (signed off), not accepted, or its instance status."""
    if data.get(SIGN_OFF_FIELD) == SIGNED_OFF:
        return "closed"
    if data.get(ACCEPT_FIELD) == NOT_ACCEPTED:
        return "not_accepted"
    return inst_status


def flags_of(data: dict[str, Any], final_petitions: int) -> list[str]:
    """The flags a case carries (积案, 三跨, 涉法涉诉, 重复信访, 终结后信访 …) as keys."""
    flags = [f for f in FLAG_FIELDS if data.get(f) is True]
    if data.get("subject") == LITIGATION:
        flags.append(LITIGATION)
    if final_petitions:
        flags.append("final_petitions")
    return flags


def _row(inst: Any, ready: list[tuple[str, datetime | None]], phases: dict[str, str],
         now: datetime) -> ExportRow:
    data = inst.data or {}
    dues = [d for d in (aware(due, now) for _, due in ready) if d is not None]
    next_due = min(dues, default=None)
    overdue_days = (now - next_due).days if next_due is not None and next_due < now else 0
    values = {
        "business_key": inst.business_key or str(inst.id),
        "petitioner_names": data.get("petitioner_names"),
        "petitioner_count": data.get("petitioner_count"),
        "subject": data.get("subject"),
        "flags": flags_of(data, inst.final_petitions or 0),
        "petition_source": data.get("petition_source"),
        "demand": data.get("demand"),
        "risk_colour": inst.risk_colour,
        "case_class": inst.case_class,
        "case_leader": data.get(LEADER_FIELD),
        "case_handler": data.get("case_handler"),
        "campaign_id": inst.campaign_id,
        "campaign_phase": phases.get(inst.campaign_id or ""),
        "phases": [name for name, _ in ready],
        "received_at": _day(data.get("received_at")),
        "accept_deadline": _day(data.get("accept_deadline")),
        "handling_deadline": _day(data.get("handling_deadline")),
        "reply_deadline": _day(data.get("reply_deadline")),
        "next_due_at": next_due,
        "days_overdue": overdue_days,
        "status": status_of(inst.status, data),
        "resolved": bool(inst.resolved),
        "petitioning_stopped": bool(inst.stopped),
    }
    return ExportRow(instance_id=inst.id, values=values)
