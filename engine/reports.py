"""A campaign's reports: the weekly supervision bulletin (每周通报) and the monthly statistics
report (月报), generated from the data when their tasks come due, reviewed and published.

When a write transaction creates a `write_weekly_bulletin` or `write_monthly_report` task (a
campaign timer fired), the report is generated right after that transaction commits, in its
own; should that fail, opening the task generates it (`for_task`). Completing the task
publishes the report in the completing transaction, whoever completes it (page, API or CLI).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from functools import partial
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from .clock import Clock
from .errors import TaskNotFound
from .models import HumanTask, Instance, Report
from .report_figures import RatesFor, rate_table, report_content
from .states import TaskState
from .transactions import Transactions

log = logging.getLogger(__name__)

WEEKLY, MONTHLY = "weekly_bulletin", "monthly_report"
#: The campaign task that brings each kind of report.
REPORT_TASKS: dict[str, str] = {"write_weekly_bulletin": WEEKLY, "write_monthly_report": MONTHLY}
DRAFT, PUBLISHED = "draft", "published"
#: Weeks and months are counted in Beijing time, as the offices count them.
BEIJING = timezone(timedelta(hours=8))
_REPORTS = Report.metadata.tables[Report.__tablename__]


@dataclass(frozen=True)
class ReportView:
    """One report as pages, files and the API show it."""

    id: int
    campaign_instance_id: int
    campaign_id: str | None
    kind: str
    label: str
    task_id: str | None
    period_start: datetime
    period_end: datetime
    generated_at: datetime
    status: str
    remarks: str | None
    published_at: datetime | None
    published_by: str | None
    content: dict[str, Any]


def period_label(kind: str, moment: datetime) -> str:
    """The week or month a report is labelled with: 2026年第15周 (ISO week), 2026年4月."""
    local = moment.astimezone(BEIJING)
    if kind == MONTHLY:
        return f"{local.year}年{local.month}月"
    year, week, _ = local.isocalendar()
    return f"{year}年第{week}周"


class Reports:
    """Generate, list, read and annotate campaign reports."""

    def __init__(self, tx: Transactions, clock: Clock, *, near_due: timedelta,
                 rates_for: RatesFor = rate_table) -> None:
        self.tx = tx
        self.clock = clock
        self.near_due = near_due
        self.rates_for = rates_for

    # -- the engine hook -----------------------------------------------------------------

    def watch(self, session: Session, _context: Any, _instances: Any) -> None:
        """Before each flush: a new report task gets its report after the commit; a report task
        completed now publishes its report in this same flush."""
        for row in session.new:
            if isinstance(row, HumanTask) and row.element_id in REPORT_TASKS:
                Transactions.after_commit(session, partial(self._generate_quietly, row.id))
        done = [row for row in session.dirty if isinstance(row, HumanTask)
                and row.element_id in REPORT_TASKS and row.state == TaskState.COMPLETED]
        for row in done:
            session.connection().execute(
                update(_REPORTS).where(_REPORTS.c.task_id == row.id, _REPORTS.c.status == DRAFT)
                .values(status=PUBLISHED, published_at=row.completed_at, published_by=row.completed_by))

    def _generate_quietly(self, task_id: str) -> None:
        try:
            self.for_task(task_id)
        except Exception:  # noqa: BLE001 - the task stands; opening it generates the report again
            log.exception("report for task %s not generated", task_id)

    # -- reads and writes ----------------------------------------------------------------

    def for_task(self, task_id: str) -> ReportView | None:
        """The report a report task brought, generated now if it was not yet (None for any
        other task)."""
        with self.tx.read() as s:
            found = s.scalars(select(Report).where(Report.task_id == task_id)).first()
            if found is not None:
                return _view(found)
            task = s.get(HumanTask, task_id)
            if task is None:
                raise TaskNotFound(task_id)
            if task.element_id not in REPORT_TASKS:
                return None
        try:
            with self.tx.write() as s:
                found = s.scalars(select(Report).where(Report.task_id == task_id)).first()
                if found is None:
                    found = self._generate(s, task_id)
                return _view(found)
        except IntegrityError:  # generated meanwhile by another request: that one stands
            with self.tx.read() as s:
                return _view(s.scalars(select(Report).where(Report.task_id == task_id)).one())

    def generate(self, campaign_instance_id: int, kind: str, *, task_id: str | None = None) -> ReportView:
        """Generate a report of the campaign now (its task, if any, names the period's end)."""
        with self.tx.write() as s:
            inst = self.tx.instance(s, campaign_instance_id)
            return _view(self._make(s, inst, kind, task_id, self.clock()))

    def _generate(self, s: Session, task_id: str) -> Report:
        task = s.get(HumanTask, task_id)
        if task is None:
            raise TaskNotFound(task_id)
        inst = self.tx.instance(s, task.instance_id)
        return self._make(s, inst, REPORT_TASKS[task.element_id], task_id, self.clock())

    def _make(self, s: Session, inst: Instance, kind: str, task_id: str | None, now: datetime) -> Report:
        previous = s.scalars(select(Report).where(
            Report.campaign_instance_id == inst.id, Report.kind == kind)
            .order_by(Report.generated_at.desc(), Report.id.desc()).limit(1)).first()
        start = _utc(previous.period_end) if previous is not None else _utc(inst.started_at)
        content = report_content(s, inst.campaign_id, now, near_due=self.near_due,
                                 previous=previous.content if previous is not None else None,
                                 monthly=kind == MONTHLY, rates_for=self.rates_for)
        content["campaign_name"] = (inst.data or {}).get("campaign_name")
        # A monthly report is named for the month it is due in (the 20th), a bulletin for its week.
        due = s.scalar(select(HumanTask.due_at).where(HumanTask.id == task_id)) if task_id else None
        label_at = _utc(due) if (kind == MONTHLY and due is not None) else now
        report = Report(campaign_instance_id=inst.id, campaign_id=inst.campaign_id, kind=kind,
                        label=period_label(kind, label_at), task_id=task_id, period_start=start,
                        period_end=now, generated_at=now, content=content, status=DRAFT)
        s.add(report)
        s.flush()
        return report

    def list(self, *, campaign_id: str | None = None, campaign_instance_id: int | None = None,
             kind: str | None = None) -> list[ReportView]:
        """Reports newest first, of one campaign (by its id or its instance) and kind if asked."""
        with self.tx.read() as s:
            q = select(Report).order_by(Report.generated_at.desc(), Report.id.desc())
            if campaign_id is not None:
                q = q.where(Report.campaign_id == campaign_id)
            if campaign_instance_id is not None:
                q = q.where(Report.campaign_instance_id == campaign_instance_id)
            if kind is not None:
                q = q.where(Report.kind == kind)
            return [_view(r) for r in s.scalars(q)]

    def get(self, report_id: int) -> ReportView | None:
        """One report, or None."""
        with self.tx.read() as s:
            found = s.get(Report, report_id)
            return _view(found) if found is not None else None

    def save_remarks(self, report_id: int, remarks: str | None) -> ReportView | None:
        """Keep the reviewer's remarks on a draft report (a published one no longer changes)."""
        with self.tx.write() as s:
            found = s.scalars(self.tx.locked(select(Report).where(Report.id == report_id))).first()
            if found is None:
                return None
            if found.status == DRAFT:
                found.remarks = (remarks or "").strip() or None
            return _view(found)


def task_values(report: ReportView) -> dict[str, Any]:
    """The report task's form values a published report fills in (the document field apart)."""
    content = report.content
    totals = content.get("totals") or {}
    if report.kind == MONTHLY:
        newly = (content.get("progress") or {}).get("newly_resolved") or []
        values: dict[str, Any] = {"monthly_resolved_count": len(newly),
                                  "monthly_overdue_count": int(totals.get("overdue") or 0)}
        if report.remarks:
            values["comment"] = report.remarks
        return values
    named = [c.get("business_key") for c in content.get("named") or []]
    overdue = [c.get("business_key") for g in content.get("overdue_by_leader") or [] for c in g["cases"]]
    progress = (f"{report.label}：共{totals.get('cases', 0)}件，已办结{totals.get('closed', 0)}件，"
                f"已化解{totals.get('resolved', 0)}件，超期{totals.get('overdue', 0)}件，"
                f"临期{totals.get('near_due', 0)}件。")
    if report.remarks:
        progress += "\n" + report.remarks
    return {"bulletin_progress": progress,
            "overdue_cases_named": "、".join(dict.fromkeys(named + overdue)) or None}


def _utc(value: datetime) -> datetime:
    # SQLite hands back naive datetimes; the engine stores UTC.
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def _view(r: Report) -> ReportView:
    return ReportView(id=r.id, campaign_instance_id=r.campaign_instance_id, campaign_id=r.campaign_id,
                      kind=r.kind, label=r.label, task_id=r.task_id, period_start=_utc(r.period_start),
                      period_end=_utc(r.period_end), generated_at=_utc(r.generated_at), status=r.status,
                      remarks=r.remarks, published_at=_utc(r.published_at) if r.published_at else None,
                      published_by=r.published_by, content=dict(r.content or {}))
