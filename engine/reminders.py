"""Reminders of near-due and overdue work: listed in the app for whoever holds the task and for
the case's leader, and mailed to them where SMTP is configured, at most once per task and
threshold.

"Holds" means the task is assigned to the person, or, while nobody holds it, is offered to one
of the person's groups. A task is near due within the settings' `near_due_days` of its due
time and overdue after it. The scheduler's scan claims each (task, threshold) by inserting a
`sent_reminder` row: the unique constraint decides which process sends, so several scheduler
processes on one PostgreSQL database send each reminder once. The claim commits before the mail
goes, so a crash between the two loses a mail rather than sending it twice.
"""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Any

from sqlalchemy import and_, case, exists, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from . import history as hist
from .attachments import BEIJING
from .clock import Clock
from .config import Settings
from .models import HumanTask, Instance, SentReminder, TaskGroup, User, UserGroup
from .states import TaskState
from .transactions import Transactions

log = logging.getLogger(__name__)

NEAR_DUE = "near_due"
OVERDUE = "overdue"
#: The thresholds, in the order a task passes them.
THRESHOLDS = (NEAR_DUE, OVERDUE)
#: How long a reader's header counts are reused in one process.
COUNTS_TTL = timedelta(seconds=60)
#: Most reminders one scan sends (the next scan takes the rest).
SCAN_BATCH = 500
_LEADER = Instance.data["case_leader"].as_string()
_TITLE = Instance.data["title"].as_string()


@dataclass(frozen=True)
class ReminderView:
    """One ready task past a threshold, as the person reminded sees it."""

    task_id: str
    instance_id: int
    task_name: str
    due_at: datetime
    threshold: str
    assignee: str | None
    case_leader: str | None
    title: str | None
    business_key: str | None
    #: Why the reader sees it: "holder" (assigned or offered to the reader's group) or "leader".
    role: str


@dataclass(frozen=True)
class ReminderCounts:
    """How many of the reader's reminders are near due and overdue (the header shows them)."""

    near_due: int
    overdue: int


#: Sends one mail: (recipients, subject, text). Raises on failure.
Mailer = Callable[[Sequence[str], str, str], None]


def smtp_mailer(settings: Settings) -> Mailer | None:
    """A mailer over the settings' SMTP server (smtplib, a real SMTP client), or None when no
    server is configured."""
    if not settings.smtp_host:
        return None

    def send(to: Sequence[str], subject: str, text: str) -> None:
        msg = EmailMessage()
        msg["From"], msg["To"], msg["Subject"] = settings.smtp_from, ", ".join(to), subject
        msg.set_content(text)
        with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=settings.smtp_timeout_seconds) as smtp:
            if settings.smtp_starttls:
                smtp.starttls()
            if settings.smtp_user:
                smtp.login(settings.smtp_user, settings.smtp_password)
            smtp.send_message(msg)

    return send


class Reminders:
    """The reader's reminders, their counts, and the scan that mails them."""

    def __init__(self, tx: Transactions, clock: Clock, *, near_due: timedelta, mailer: Mailer | None) -> None:
        self.tx = tx
        self.clock = clock
        self.near_due = near_due
        self.mailer = mailer
        self._counts: dict[tuple[str, tuple[str, ...]], tuple[datetime, ReminderCounts]] = {}

    def for_user(self, username: str, groups: Iterable[str]) -> list[ReminderView]:
        """The reader's near-due and overdue tasks, most overdue first."""
        now = self.clock()
        with self.tx.read() as s:
            rows = s.execute(_due_query(now + self.near_due).where(_seen_by(username, list(groups)))
                             .order_by(HumanTask.due_at, HumanTask.id)).all()
            return [_view(row, now, "leader" if row[0].assignee != username and row[2] == username else "holder")
                    for row in rows]

    def counts(self, username: str, groups: Iterable[str], *, fresh: bool = False) -> ReminderCounts:
        """How many near-due and overdue tasks the reader has. Every page's header shows them,
        so each process keeps a reader's counts for COUNTS_TTL of the engine clock (the
        reminders page reads afresh, `fresh=True`): at 100,000 open tasks the count is the dearest
        read of a page."""
        now = self.clock()
        key = (username, tuple(sorted(groups)))
        cached = self._counts.get(key)
        if cached is not None and not fresh and timedelta(0) <= now - cached[0] < COUNTS_TTL:
            return cached[1]
        counts = self._count(username, list(key[1]), now)
        if len(self._counts) > 10_000:
            self._counts.clear()
        self._counts[key] = (now, counts)
        return counts

    def _count(self, username: str, groups: list[str], now: datetime) -> ReminderCounts:
        with self.tx.read() as s:
            total, overdue = s.execute(
                select(func.count(), func.count(case((HumanTask.due_at < now, HumanTask.id))))
                .select_from(HumanTask).join(Instance, Instance.id == HumanTask.instance_id)
                .where(HumanTask.state == TaskState.READY.value, HumanTask.due_at.is_not(None),
                       HumanTask.due_at < now + self.near_due, _seen_by(username, list(groups)))).one()
        return ReminderCounts(near_due=int(total) - int(overdue), overdue=int(overdue))

    def scan(self) -> int:
        """Mail each ready task's holder and case leader once when it becomes near due and once
        when it becomes overdue; returns how many reminders this call claimed. Without SMTP
        nothing is claimed, so the in-app list is all there is and mail starts once SMTP is set."""
        if self.mailer is None:
            return 0
        now = self.clock()
        with self.tx.read() as s:
            rows = s.execute(_due_query(now + self.near_due).where(~exists().where(
                SentReminder.task_id == HumanTask.id,
                SentReminder.threshold == _threshold_case(now))).order_by(HumanTask.due_at)
                .limit(SCAN_BATCH)).all()
            due = [(_view(r, now, "holder"), self._recipients(s, r[0], r[2])) for r in rows]
        claimed = 0
        for item, recipients in due:
            addresses = [a for _, a in recipients if a]
            if not self._claim(item, [u for u, _ in recipients], now, "sent" if addresses else "no address"):
                continue
            claimed += 1
            if addresses:
                self._send(item, addresses)
        return claimed

    def sent(self, task_id: str | None = None) -> list[dict[str, Any]]:
        """The reminders recorded (per task, threshold, recipients, outcome), oldest first."""
        with self.tx.read() as s:
            q = select(SentReminder).order_by(SentReminder.id)
            if task_id is not None:
                q = q.where(SentReminder.task_id == task_id)
            return [{"task_id": r.task_id, "threshold": r.threshold, "recipients": list(r.recipients),
                     "outcome": r.outcome, "sent_at": hist.utc(r.sent_at)} for r in s.scalars(q)]

    def _claim(self, item: ReminderView, users: list[str], now: datetime, outcome: str) -> bool:
        """Insert the (task, threshold) row; False when another scan claimed it first."""
        try:
            with self.tx.write() as s:
                s.add(SentReminder(task_id=item.task_id, instance_id=item.instance_id, threshold=item.threshold,
                                   recipients=users, sent_at=now, outcome=outcome))
        except IntegrityError:
            return False
        return True

    def _send(self, item: ReminderView, addresses: list[str]) -> None:
        assert self.mailer is not None
        try:
            self.mailer(addresses, *message(item))
        except (OSError, smtplib.SMTPException) as exc:
            log.warning("reminder for task %s (%s) not mailed: %s", item.task_id, item.threshold, exc)
            with self.tx.write() as s:
                row = s.scalar(select(SentReminder).where(SentReminder.task_id == item.task_id,
                                                          SentReminder.threshold == item.threshold))
                if row is not None:
                    row.outcome = f"failed: {exc}"[:400]

    @staticmethod
    def _recipients(s: Session, task: HumanTask, leader: str | None) -> list[tuple[str, str | None]]:
        """(username, e-mail) of the holder(s) and the case leader, active users only."""
        if task.assignee:
            holders = select(User).where(User.username == task.assignee)
        else:
            holders = select(User).join(UserGroup).where(UserGroup.group_name.in_(list(task.candidate_groups or [])))
        names = {u.username: u.email for u in s.scalars(holders.where(User.is_active.is_(True)))}
        if leader:
            for u in s.scalars(select(User).where(User.username == leader, User.is_active.is_(True))):
                names[u.username] = u.email
        return sorted(names.items())


def message(item: ReminderView) -> tuple[str, str]:
    """The subject and text of a reminder mail, in Chinese."""
    what = "已超期" if item.threshold == OVERDUE else "临近期限"
    case = item.title or item.business_key or f"案件 {item.instance_id}"
    due = hist.utc(item.due_at).astimezone(BEIJING)
    subject = f"【案结提醒】{item.task_name}{what}：{case}"
    text = (f"您好：\n\n案件“{case}”（编号 {item.business_key or item.instance_id}）的待办“{item.task_name}”"
            f"{what}，办理期限为 {due:%Y-%m-%d %H:%M}（北京时间）。请登录案结系统及时办理。\n\n"
            "本邮件由系统自动发送，每项待办临期、超期各提醒一次。")
    return subject, text


def _due_query(until: datetime) -> Any:
    return (select(HumanTask, _TITLE, _LEADER, Instance.business_key)
            .join(Instance, Instance.id == HumanTask.instance_id)
            .where(HumanTask.state == TaskState.READY.value, HumanTask.due_at.is_not(None),
                   HumanTask.due_at < until))


def _threshold_case(now: datetime) -> Any:
    return case((HumanTask.due_at < now, OVERDUE), else_=NEAR_DUE)


def _seen_by(username: str, groups: list[str]) -> Any:
    offered = exists().where(TaskGroup.task_id == HumanTask.id, TaskGroup.open.is_(True),
                             TaskGroup.group_name.in_(groups))
    return or_(HumanTask.assignee == username, and_(HumanTask.assignee.is_(None), offered), _LEADER == username)


def _view(row: Any, now: datetime, role: str) -> ReminderView:
    task, title, leader, business_key = row
    due = hist.utc(task.due_at)
    return ReminderView(task_id=task.id, instance_id=task.instance_id, task_name=task.name or task.element_id,
                        due_at=due, threshold=OVERDUE if due < now else NEAR_DUE, assignee=task.assignee,
                        case_leader=leader, title=title, business_key=business_key, role=role)

