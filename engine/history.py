"""Append-only history: hash-chained events, chain verification, and replay from events."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Row, insert, select
from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session

from .models import Event, Instance
from .states import EventType
from .transactions import Transactions
from .views import BrokenLink, ChainReport, EventView, ReplayView

GENESIS = "0" * 64
_EVENTS = Event.metadata.tables[Event.__tablename__]


def utc(value: datetime) -> datetime:
    """The same instant, aware and in UTC (SQLite hands back naive UTC)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


def event_hash(prev_hash: str, instance_id: int, seq: int, type_: str, element_id: str | None,
               task_id: str | None, actor: str, at: datetime, detail: dict[str, Any],
               changes: dict[str, Any]) -> str:
    """sha256 over the previous hash and this event's content, in a canonical form."""
    body = _canonical(
        {
            "instance": instance_id,
            "seq": seq,
            "type": type_,
            "element": element_id,
            "task": task_id,
            "actor": actor,
            "at": utc(at).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "detail": detail,
            "changes": changes,
        }
    )
    return hashlib.sha256((prev_hash + body).encode("utf-8")).hexdigest()


def jsonable(value: Any) -> Any:
    """A JSON round-trip of `value`, so what is hashed is what the database gives back."""
    return json.loads(_canonical(value))


class EventWriter:
    """Appends events to one instance's chain inside the caller's transaction.

    The events of an operation go to the database in one batch (one executemany), before the
    session's next flush or its commit, whichever comes first: same transaction, same order.
    """

    def __init__(self, session: Session, instance: Instance, at: datetime) -> None:
        self.session = session
        self.instance = instance
        self.at = utc(at)
        self.written: list[Event] = []
        self._pending: list[dict[str, Any]] = []
        sa_event.listen(session, "before_flush", self._insert_pending)
        sa_event.listen(session, "before_commit", self._insert_pending)

    def _insert_pending(self, session: Session, *_flush: Any) -> None:
        if not self._pending:
            return
        rows, self._pending = self._pending, []
        # Core, on the flush's connection: no autoflush from inside the flush.
        session.connection().execute(insert(_EVENTS), rows)

    def append(self, type_: EventType, actor: str, *, element_id: str | None = None,
               task_id: str | None = None, detail: dict[str, Any] | None = None,
               changes: dict[str, Any] | None = None, at: datetime | None = None) -> Event:
        inst = self.instance
        seq = inst.last_seq + 1
        prev = inst.last_hash or GENESIS
        when = utc(at) if at is not None else self.at
        detail_j = jsonable(detail or {})
        changes_j = jsonable(changes or {})
        digest = event_hash(prev, inst.id, seq, type_, element_id, task_id, actor, when, detail_j, changes_j)
        values = dict(
            instance_id=inst.id, seq=seq, type=str(type_), element_id=element_id, task_id=task_id,
            actor=actor, at=when, detail=detail_j, changes=changes_j, prev_hash=prev, hash=digest,
        )
        self._pending.append(values)
        inst.last_seq = seq
        inst.last_hash = digest
        written = Event(**values)
        self.written.append(written)
        return written


def to_view(event: Event | Row[Any]) -> EventView:
    """An event as the facade shows it, its type under today's name (`EventType.from_stored`)."""
    return EventView(
        seq=event.seq,
        type=EventType.from_stored(event.type),
        element_id=event.element_id,
        actor=event.actor,
        at=utc(event.at),
        changes={k: (v[0], v[1]) for k, v in (event.changes or {}).items()},
        hash=event.hash,
        task_id=event.task_id,
        detail=dict(event.detail or {}),
    )


def events_of(session: Session, instance_id: int) -> list[Event]:
    """Every stored event of an instance, in order."""
    return list(session.scalars(select(Event).where(Event.instance_id == instance_id).order_by(Event.seq)))


def verify_chain(session: Session, instance_ids: list[int]) -> ChainReport:
    """Recompute every hash of the given instances' chains; report the first bad link of each."""
    broken: list[BrokenLink] = []
    checked = 0
    for instance_id in instance_ids:
        prev = GENESIS
        expected_seq = 1
        for event in events_of(session, instance_id):
            checked += 1
            reason = None
            if event.seq != expected_seq:
                reason = f"event {expected_seq} is missing (found {event.seq})"
            elif event.prev_hash != prev:
                reason = "previous-hash link does not match"
            else:
                digest = event_hash(prev, instance_id, event.seq, event.type, event.element_id,
                                    event.task_id, event.actor, event.at, event.detail or {},
                                    event.changes or {})
                if digest != event.hash:
                    reason = "content does not match its hash (edited)"
            if reason:
                broken.append(BrokenLink(instance_id, expected_seq if event.seq != expected_seq else event.seq, reason))
                break
            prev = event.hash
            expected_seq += 1
        else:
            inst = session.get(Instance, instance_id)
            if inst is not None and inst.last_seq != expected_seq - 1:
                broken.append(BrokenLink(instance_id, expected_seq, "events at the end were deleted"))
    return ChainReport(ok=not broken, checked_instances=len(instance_ids), checked_events=checked, broken=broken)


# What each event type says about the element instance (Spiff task) it names.
_STATE_OF = {
    EventType.TASK_READY: "active",
    EventType.ELEMENT_STARTED: "active",
    EventType.TIMER_WAITING: "waiting",
    EventType.TASK_COMPLETED: "completed",
    EventType.ELEMENT_COMPLETED: "completed",
    EventType.TIMER_FIRED: "completed",
    EventType.ELEMENT_CANCELLED: "cancelled",
    EventType.TASK_CANCELLED: "cancelled",
}
_ENDS = (EventType.INSTANCE_CANCELLED, EventType.INSTANCE_COMPLETED)


def replay_events(instance_id: int, events: Sequence[Event | EventView | Row[Any]], step: int) -> ReplayView:
    """The instance after event `step`, from the events alone (no scripts are run): stored
    rows, or the views `Engine.history` returned (a page that has them need not read again)."""
    task_state: dict[str, tuple[str, str]] = {}
    data: dict[str, Any] = {}
    for event in events:
        if event.seq > step:
            break
        for key, (_before, after) in (event.changes or {}).items():
            if after is None and (event.detail or {}).get("deleted") and key in (event.detail or {}).get("deleted", []):
                data.pop(key, None)
            else:
                data[key] = after
        type_ = EventType.from_stored(event.type)
        state = _STATE_OF.get(type_) if isinstance(type_, EventType) else None
        if type_ == EventType.TIMER_FIRED and (event.detail or {}).get("cycle"):
            # A cycle timer fired one period and waits for the next; after its last period it
            # waits no more, and completes with an event of its own.
            state = None if (event.detail or {}).get("last") else "waiting"
            if state is None:
                task_state.pop(event.task_id or "", None)
        if state and event.element_id:
            key = event.task_id or f"{event.element_id}:{event.seq}"
            task_state[key] = (event.element_id, state)
        if type_ in _ENDS:
            for key, (element, st) in list(task_state.items()):
                if st in ("active", "waiting"):
                    task_state[key] = (element, "cancelled")
    by_state: dict[str, list[str]] = {"completed": [], "active": [], "waiting": [], "cancelled": []}
    for element, state in task_state.values():
        if element not in by_state[state]:
            by_state[state].append(element)
    return ReplayView(
        instance_id=instance_id,
        step=step,
        completed=by_state["completed"],
        active=by_state["active"],
        waiting=by_state["waiting"],
        cancelled=[e for e in by_state["cancelled"] if e not in by_state["completed"]],
        data=data,
    )


class History:
    """Reads of the append-only history: events, chain verification, replay."""

    def __init__(self, tx: Transactions) -> None:
        self.tx = tx

    def events(self, instance_id: int) -> list[EventView]:
        """Every event of an instance, in order."""
        with self.tx.read() as s:
            self.tx.instance(s, instance_id)
            # Plain rows, not ORM objects: a long history is read at the speed of the driver.
            rows = s.execute(select(_EVENTS).where(_EVENTS.c.instance_id == instance_id).order_by(_EVENTS.c.seq))
            return [to_view(row) for row in rows]

    def verify(self, instance_id: int | None = None) -> ChainReport:
        """Check the hash chains (of one instance, or all); `.ok` is True when intact."""
        with self.tx.read() as s:
            if instance_id is not None:
                ids = [instance_id]
            else:
                ids = list(s.scalars(select(Instance.id).order_by(Instance.id)))
            return verify_chain(s, ids)

    def replay(self, instance_id: int, step: int) -> ReplayView:
        """The instance as it stood after event `step`, rebuilt from stored history only."""
        with self.tx.read() as s:
            self.tx.instance(s, instance_id)
            # Plain rows up to the step only: a step of a long history is not slower than its start.
            rows = s.execute(select(_EVENTS).where(_EVENTS.c.instance_id == instance_id, _EVENTS.c.seq <= step)
                             .order_by(_EVENTS.c.seq))
            return replay_events(instance_id, list(rows), step)
