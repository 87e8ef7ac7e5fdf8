"""Attachments of a case as its history knows them: each upload is an event (who, when, name,
size, sha256); the bytes stay in the web app's upload directory."""

from __future__ import annotations

from collections.abc import Collection, Iterator
from datetime import date, datetime, timedelta, timezone
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from . import history as hist
from .accounts import holds_role
from .clock import Clock
from .forms import FormContext
from .models import Event, Instance
from .rates import CAMPAIGN_PROCESS
from .states import EventType, InstanceStatus
from .transactions import Transactions
from .views import AttachmentView

#: Beijing time, which decides what "today" is for date rules (no daylight saving there).
BEIJING = timezone(timedelta(hours=8))


class Attachments:
    """Record uploads in a case's history and list them back."""

    def __init__(self, tx: Transactions, clock: Clock) -> None:
        self.tx = tx
        self.clock = clock

    def add(self, instance_id: int, *, attachment_id: str, filename: str, size: int, sha256: str,
            content_type: str, actor: str, task_id: str | None = None, field: str | None = None,
            notice: dict[str, Any] | None = None) -> AttachmentView:
        """Write an ATTACHMENT_ADDED event for a stored file and return it as a view. A generated
        notice says so in `notice` (its kind and template version): it is a case document like
        any upload, so the 六有 dossier's document fields can name it."""
        with self.tx.write() as s:
            inst = self.tx.instance(s, instance_id, lock=True)
            writer = hist.EventWriter(s, inst, self.clock())
            detail = {"attachment_id": attachment_id, "filename": filename, "size": size,
                      "sha256": sha256, "content_type": content_type, "field": field}
            if notice is not None:
                detail["notice"] = notice
            event = writer.append(EventType.ATTACHMENT_ADDED, actor, task_id=task_id, detail=detail)
            s.flush()
            return _view(event)

    def list(self, instance_id: int) -> list[AttachmentView]:
        """The case's attachments, oldest first."""
        with self.tx.read() as s:
            return [_view(e) for e in _events(s, instance_id)]


def is_running_campaign(s: Session, campaign_id: str) -> bool:
    """True when a running campaign (a backlog_campaign instance) has this campaign id."""
    return s.scalar(select(Instance.id).where(
        Instance.process_key == CAMPAIGN_PROCESS, Instance.campaign_id == campaign_id,
        Instance.status.in_((InstanceStatus.RUNNING, InstanceStatus.WAITING))).limit(1)) is not None


def form_context(s: Session, instance_id: int, current: dict[str, Any], now: datetime) -> FormContext:
    """What checking a task form of this instance needs, read in the completing transaction
    (the case's documents only when a document field asks)."""
    return FormContext(today=beijing_date(now), holds_role=lambda user, role: holds_role(s, user, role),
                       documents=_CaseDocuments(s, instance_id), current=current,
                       running_campaign=lambda campaign_id: is_running_campaign(s, campaign_id))


class _CaseDocuments(Collection[str]):
    """The attachment ids of a case, read from its history the first time they are asked for."""

    def __init__(self, s: Session, instance_id: int) -> None:
        self._s, self._instance_id = s, instance_id
        self._ids: set[str] | None = None

    def _read(self) -> set[str]:
        if self._ids is None:
            self._ids = {str(e.detail.get("attachment_id")) for e in _events(self._s, self._instance_id)}
        return self._ids

    def __contains__(self, item: object) -> bool:
        return item in self._read()

    def __iter__(self) -> Iterator[str]:
        return iter(self._read())

    def __len__(self) -> int:
        return len(self._read())


def beijing_date(now: datetime) -> date:
    """The calendar date in Beijing at `now`."""
    return hist.utc(now).astimezone(BEIJING).date()


def _events(s: Session, instance_id: int) -> list[Event]:
    q = select(Event).where(Event.instance_id == instance_id, Event.type == EventType.ATTACHMENT_ADDED.value)
    return list(s.scalars(q.order_by(Event.seq)))


def _view(e: Event) -> AttachmentView:
    d = e.detail or {}
    return AttachmentView(id=str(d.get("attachment_id")), instance_id=e.instance_id, filename=str(d.get("filename")),
                          size=int(d.get("size") or 0), sha256=str(d.get("sha256")),
                          content_type=str(d.get("content_type") or ""), uploaded_by=e.actor,
                          uploaded_at=hist.utc(e.at), task_id=e.task_id, field=d.get("field"),
                          notice=(d.get("notice") or {}).get("kind"))
