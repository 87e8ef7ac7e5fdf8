"""Append-only history: hash-chained events, chain verification, and replay from events."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import Row, Text, insert, select, type_coerce
from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

from . import chain
from .chain import (
    GENESIS,
    OpenTask,
    Sealed,
    canonical,
    data_digest,
    folds,
    hash_of,
    link_hash,
    opened,
    pair,
    passed,
    sealed,
    stored_changes,
    stored_hash,
    stored_prev_hash,
    stray_columns,
    tasks_digest,
    utc,
)
from .models import Event, HumanTask, Instance
from .states import EventType, TaskState
from .transactions import Transactions
from .views import BrokenLink, ChainReport, EventView, ReplayView

__all__ = ["GENESIS", "EventWriter", "History", "event_hash", "jsonable", "utc", "verify_chain"]

_EVENTS = Event.metadata.tables[Event.__tablename__]
_TASKS = HumanTask.metadata.tables[HumanTask.__tablename__]
#: The event table, for Core reads elsewhere (engine/timeline.py): rows, not ORM objects.
EVENT_TABLE = _EVENTS


def event_hash(prev_hash: str, instance_id: int, seq: int, type_: str, element_id: str | None,
               task_id: str | None, actor: str, at: datetime, detail: dict[str, Any],
               changes: dict[str, Any]) -> str:
    """The format-1 hash: sha256 over the previous hash and this event's own content."""
    return link_hash(prev_hash, Sealed(1, instance_id, seq, type_, element_id, task_id, actor, at, detail, changes))


def jsonable(value: Any) -> Any:
    """A JSON round-trip of `value`, so what is hashed is what the database gives back."""
    return json.loads(canonical(value))


def _open(row: Any) -> OpenTask:
    return OpenTask(row.id, row.element_id, row.assignee, tuple(row.candidate_groups or ()), row.due_at)


def _open_tasks_now(session: Session, instance_id: int) -> list[OpenTask]:
    """The instance's ready tasks as this transaction leaves them, flushed or not: the stored
    rows, each replaced by its object in the session, with the session's new and deleted rows."""
    cols = (_TASKS.c.id, _TASKS.c.element_id, _TASKS.c.assignee, _TASKS.c.candidate_groups, _TASKS.c.due_at,
            _TASKS.c.state)
    rows: dict[str, Any] = {}
    for row in session.connection().execute(select(*cols).where(_TASKS.c.instance_id == instance_id)):
        rows[row.id] = session.identity_map.get(identity_key(HumanTask, row.id)) or row
    for obj in session.new:
        if isinstance(obj, HumanTask) and obj.instance_id == instance_id:
            rows[obj.id] = obj
    for obj in session.deleted:
        if isinstance(obj, HumanTask):
            rows.pop(obj.id, None)
    return [_open(row) for row in rows.values() if row.state == TaskState.READY]


class EventWriter:
    """Appends events to one instance's chain inside the caller's transaction.

    The events of an operation go to the database in one batch (one executemany), before the
    session's next flush or its commit, whichever comes first: same transaction, same order.
    The batch is sealed right before that insert: each of its events is hashed with the digests
    of the instance's data and open tasks as the transaction leaves them (format 2 stores them
    on every event, format 3 on the batch's last one, the others hashing them as null).
    """

    def __init__(self, session: Session, instance: Instance, at: datetime, *, listen: bool = True) -> None:
        self.session = session
        self.instance = instance
        self.at = utc(at)
        self.written: list[Event] = []
        self._pending: list[dict[str, Any]] = []
        #: Set by a caller that holds the instance's open task rows as the next flush leaves
        #: them (the recorder): the batch is sealed with those, the task table is not read.
        self.open_tasks: Callable[[], Iterable[Any]] | None = None
        #: Without listening, the caller seals each batch (`seal`) and inserts the rows itself,
        #: after its instance row is written (an import writes a hundred cases in one flush).
        self.listening = listen
        if listen:
            sa_event.listen(session, "before_flush", self._insert_pending)
            sa_event.listen(session, "before_commit", self._insert_pending)

    def _insert_pending(self, session: Session, *_flush: Any) -> None:
        rows = self.seal()
        if rows:
            # Core, on the flush's connection: no autoflush from inside the flush.
            session.connection().execute(insert(_EVENTS), rows)

    def seal(self) -> list[dict[str, Any]]:
        """Hash the queued batch with the instance's data and open tasks as they stand now, and
        hand back its rows for the event table (the instance row's `last_hash` moves on)."""
        if not self._pending:
            return []
        session = self.session
        rows, self._pending = self._pending, []
        inst = self.instance
        data = data_digest(inst.data)
        held = self.open_tasks
        tasks = tasks_digest(_open(row) for row in held()) if held is not None else tasks_digest(
            _open_tasks_now(session, inst.id))
        prev = inst.last_hash or GENESIS
        last = len(rows) - 1
        for n, (values, written) in enumerate(zip(rows, self.written[len(self.written) - len(rows):], strict=True)):
            fmt = values["format"]
            d, t = (data, tasks) if n == last or fmt < 3 else (None, None)
            digest = link_hash(prev, Sealed(fmt, values["instance_id"], values["seq"], values["type"],
                                            values["element_id"], values["task_id"], values["actor"], values["at"],
                                            values["detail"], values["changes"], d, t))
            values.update(prev_hash=stored_prev_hash(fmt, prev), **stored_hash(fmt, digest, d, t))
            prev = digest
            for key in _SEALING:
                setattr(written, key, values[key])
        inst.last_hash = prev
        return rows

    def append(self, type_: EventType, actor: str, *, element_id: str | None = None,
               task_id: str | None = None, detail: dict[str, Any] | None = None,
               changes: dict[str, Any] | None = None, at: datetime | None = None) -> Event:
        """Queue an event; its hash is known once the batch is sealed (at the next flush or commit)."""
        inst = self.instance
        seq = inst.last_seq + 1
        when = utc(at) if at is not None else self.at
        values = dict(
            instance_id=inst.id, seq=seq, type=str(type_), element_id=element_id, task_id=task_id,
            actor=actor, at=when, detail=jsonable(detail or {}),
            changes=jsonable(stored_changes(chain.FORMAT, changes or {})), format=chain.FORMAT,
        )
        self._pending.append(values)
        inst.last_seq = seq
        written = Event(**values)
        self.written.append(written)
        return written

    def close(self) -> None:
        """Write what is queued now and stop listening to the session: an operation that writes
        many instances in one transaction (an import batch) closes each case's writer when done."""
        if not self.listening:
            if self._pending:
                raise RuntimeError("a writer that does not listen is sealed by its caller (seal)")
            return
        self._insert_pending(self.session)
        sa_event.remove(self.session, "before_flush", self._insert_pending)
        sa_event.remove(self.session, "before_commit", self._insert_pending)
        self.listening = False


    def fold(self, element_id: str) -> bool:
        """Record a no-data pass through `element_id` in the `passed` list of the event before it
        in this batch (format 3); False when there is none to carry it (append an event instead)."""
        return self._carry("passed", element_id)

    def fold_opened(self, element_id: str, task_id: str) -> bool:
        """Record that a person's task opened in the `opened` list of the event before it in this
        batch (format 3); False when there is none to carry it (append `task_ready` instead)."""
        return self._carry("opened", [element_id, task_id])

    def _carry(self, key: str, item: Any) -> bool:
        if not self._pending or self._pending[-1]["format"] < 3:
            return False
        detail = self._pending[-1]["detail"]
        detail[key] = [*detail.get(key, []), item]
        self.written[-1].detail = detail
        return True


#: The columns sealing writes (the rest are known when an event is queued).
_SEALING = ("prev_hash", "hash", "data_digest", "tasks_digest", "digest", "seal")


def to_view(event: Event | Row[Any]) -> EventView:
    """An event as the facade shows it, its type under today's name (`EventType.from_stored`)."""
    return EventView(
        seq=event.seq,
        type=EventType.from_stored(event.type),
        element_id=event.element_id,
        actor=event.actor,
        at=utc(event.at),
        changes={k: pair(v) for k, v in (event.changes or {}).items()},
        hash=hash_of(event),
        task_id=event.task_id,
        detail=dict(event.detail or {}),
    )


def events_of(session: Session, instance_id: int) -> list[Event]:
    """Every stored event of an instance, in order."""
    return list(session.scalars(select(Event).where(Event.instance_id == instance_id).order_by(Event.seq)))


#: Cases verified together: one read of their instance rows, open tasks and events.
_VERIFY_BATCH = 500
_INSTANCES = Instance.metadata.tables[Instance.__tablename__]


def verify_chain(session: Session, instance_ids: list[int]) -> ChainReport:
    """Recompute every hash of the given instances' chains; report the first bad link of each,
    and, where the last event seals the instance's state (format 2), whether the instance's
    data and open task rows are still what it sealed."""
    broken: list[BrokenLink] = []
    checked = 0
    for first in range(0, len(instance_ids), _VERIFY_BATCH):
        batch = instance_ids[first:first + _VERIFY_BATCH]
        rows = {r.id: r for r in session.execute(
            select(_INSTANCES.c.id, _INSTANCES.c.data, _INSTANCES.c.last_seq, _INSTANCES.c.last_hash)
            .where(_INSTANCES.c.id.in_(batch)))}
        tasks: dict[int, list[OpenTask]] = {}
        for t in session.execute(select(_TASKS).where(_TASKS.c.instance_id.in_(batch),
                                                      _TASKS.c.state == TaskState.READY)):
            tasks.setdefault(t.instance_id, []).append(_open(t))
        events: dict[int, list[Any]] = {}
        for e in session.execute(select(_EVENTS).where(_EVENTS.c.instance_id.in_(batch))
                                 .order_by(_EVENTS.c.instance_id, _EVENTS.c.seq)):
            events.setdefault(e.instance_id, []).append(e)
        for instance_id in batch:
            chain = events.get(instance_id, [])
            checked += len(chain)
            link = chain_break(instance_id, chain)
            inst = rows.get(instance_id)
            if link is None and inst is not None:
                link = state_break(inst, chain[-1] if chain else None, tasks.get(instance_id, []))
            if link is not None:
                broken.append(link)
    return ChainReport(ok=not broken, checked_instances=len(instance_ids), checked_events=checked, broken=broken)


def chain_break(instance_id: int, events: Sequence[Any]) -> BrokenLink | None:
    """The first event of a chain whose link or content does not match, or None."""
    prev = GENESIS
    for expected_seq, event in enumerate(events, start=1):
        if event.seq != expected_seq:
            return BrokenLink(instance_id, expected_seq, f"event {expected_seq} is missing (found {event.seq})")
        if event.prev_hash != stored_prev_hash(event.format or 1, prev):
            return BrokenLink(instance_id, event.seq, "previous-hash link does not match")
        digest = hash_of(event)
        if stray_columns(event) or link_hash(prev, sealed(event)) != digest:
            return BrokenLink(instance_id, event.seq, "content does not match its hash (event edited)")
        prev = digest
    return None


def state_break(inst: Any, last: Any | None, open_tasks: list[OpenTask]) -> BrokenLink | None:
    """Whether the instance row and its open task rows still say what its last event sealed."""
    seq = last.seq if last is not None else 0
    if inst.last_seq != seq or (last is not None and inst.last_hash != hash_of(last)):
        return BrokenLink(inst.id, seq + 1, "events at the end were deleted")
    if last is None or sealed(last).format < 2:
        return None
    seal = sealed(last)
    if seal.data_digest is None or seal.tasks_digest is None:
        return BrokenLink(inst.id, seq, f"event {seq} should seal the instance's state and does not (event edited)")
    if data_digest(inst.data) != seal.data_digest:
        return BrokenLink(inst.id, seq, f"instance data differs from what event {seq} sealed (instance.data edited)")
    if tasks_digest(open_tasks) != seal.tasks_digest:
        return BrokenLink(inst.id, seq, f"open tasks differ from what event {seq} sealed (task table edited)")
    return None


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


class Replayable(Protocol):
    """What replay reads of an event: a stored row, an `EventView`, or an outline without data."""

    @property
    def seq(self) -> int: ...
    @property
    def type(self) -> str: ...
    @property
    def element_id(self) -> str | None: ...
    @property
    def task_id(self) -> str | None: ...
    @property
    def changes(self) -> Any: ...
    @property
    def detail(self) -> Any: ...


def replay_events(instance_id: int, events: Sequence[Replayable | Event | Row[Any]], step: int) -> ReplayView:
    """The instance after event `step`, from the events alone (no scripts are run): stored
    rows, or the views `Engine.history` returned (a page that has them need not read again)."""
    task_state: dict[str, tuple[str, str]] = {}
    data: dict[str, Any] = {}
    for event in events:
        if event.seq > step:
            break
        for key, change in (event.changes or {}).items():
            after = pair(change)[1]
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
        for n, element in enumerate(passed(event.detail)):
            task_state[f"{element}:{event.seq}:{n}"] = (element, "completed")
        for element, tid in opened(event.detail):
            task_state[tid] = (element, "active")
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
            # Plain rows up to the step only, their JSON read as text and decoded only when not
            # empty (most events change no data): JSON decoding was most of a replay's time.
            rows = s.execute(select(_EVENTS.c.seq, _EVENTS.c.type, _EVENTS.c.element_id, _EVENTS.c.task_id,
                                    type_coerce(_EVENTS.c.detail, Text), type_coerce(_EVENTS.c.changes, Text))
                             .where(_EVENTS.c.instance_id == instance_id, _EVENTS.c.seq <= step)
                             .order_by(_EVENTS.c.seq))
            steps = []
            for seq, type_, element, task, detail, changes in rows:
                delta = _decoded(changes)
                # The detail matters only to name a field deleted (an after of None),
                # and to tell a cycle timer's last firing (replay: it waits no more).
                wanted = (EventType.from_stored(type_) == EventType.TIMER_FIRED
                          or any(pair(v)[1] is None for v in delta.values()) or _passes(detail))
                steps.append(_Step(seq, type_, element, task, _decoded(detail) if wanted else {}, delta))
            return replay_events(instance_id, steps, step)


@dataclass(frozen=True)
class _Step:
    """What replay reads of one event."""

    seq: int
    type: str
    element_id: str | None
    task_id: str | None
    detail: dict[str, Any]
    changes: dict[str, Any]


def _passes(detail: Any) -> bool:
    """Whether an event's detail (text, or decoded by the driver) lists folded steps."""
    return bool(passed(detail) or opened(detail)) if isinstance(detail, dict) else folds(detail)


def _decoded(value: Any) -> dict[str, Any]:
    if isinstance(value, dict):
        return value  # the driver decoded it already (psycopg)
    if not value or value in ("{}", "null"):
        return {}
    decoded = json.loads(value)
    return decoded if isinstance(decoded, dict) else {}
