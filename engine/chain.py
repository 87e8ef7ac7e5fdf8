"""What the history hash chain covers, per format, and the digests of a case's state.

Format 1 hashed an event's own content. Format 2 also seals, with every event, a digest of the
instance's data and one of its open (ready) human tasks as they stood when the event was
written, so an edit of `instance.data` or of the task table behind the product's back no
longer matches the last event. Format 3 hashes what format 2 does but stores less (issue 12):
- the previous hash is not stored: it is the hash of the event before, in sequence order
  (`prev_hash` holds "");
- the hash is stored as 32 bytes (`digest`; `hash` holds ""), and the state digests as 64
  bytes (`seal`) on the last event of each batch only: every event of a batch sealed the same
  state, so the others hash them as null;
- a data change from nothing is stored as `[after]` rather than `[null, after]` (`pair`);
- engine steps that pass through an element with no data (gateways, none events;
  `PASS_THROUGH`) are no rows of their own but listed, in order, in the `passed` detail of the
  event before them in their batch, and the person's tasks a step opened in its `opened`
  detail ([element, task id] each) instead of one `task_ready` row each.
Stored events keep the format they were written in; each format has one function that reads a
stored row into the current shape (`Sealed`), as SpiffWorkflow's serializer has one upgrade
function per version.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

GENESIS = "0" * 64
#: The format new events are written in.
FORMAT = 3
#: The formats the engine can write (bench/history_bench.py compares them).
WRITABLE = (2, 3)
#: Element kinds whose no-data completion a format-3 event folds into `passed` (engine/recorder.py).
PASS_THROUGH = frozenset({"startEvent", "endEvent", "exclusiveGateway", "parallelGateway", "inclusiveGateway",
                          "eventBasedGateway", "intermediateThrowEvent", "boundaryEvent"})
#: What a format-3 event stores in place of the previous hash (implied by sequence order).
IMPLIED = ""


def utc(value: datetime) -> datetime:
    """The same instant, aware and in UTC (SQLite hands back naive UTC)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def canonical(value: Any) -> str:
    """The one text form of a JSON value that is hashed: sorted keys, no spaces, UTF-8."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def data_digest(data: dict[str, Any] | None) -> str:
    """Digest of an instance's data (its JSON round-trip, as the database gives it back)."""
    return sha256(canonical(json.loads(canonical(data or {}))))


@dataclass(frozen=True)
class OpenTask:
    """What the chain covers of one ready human task: who may work it and by when."""

    id: str
    element_id: str
    assignee: str | None
    candidate_groups: tuple[str, ...]
    due_at: datetime | None

    def plain(self) -> list[Any]:
        due = utc(self.due_at).strftime("%Y-%m-%dT%H:%M:%S.%fZ") if self.due_at else None
        return [self.id, self.element_id, self.assignee, sorted(self.candidate_groups), due]


def tasks_digest(tasks: Iterable[OpenTask]) -> str:
    """Digest of an instance's open tasks, in task id order."""
    return sha256(canonical([t.plain() for t in sorted(tasks, key=lambda t: t.id)]))


@dataclass(frozen=True)
class Sealed:
    """An event as the chain covers it, whatever format it was stored in."""

    format: int
    instance_id: int
    seq: int
    type: str
    element_id: str | None
    task_id: str | None
    actor: str
    at: datetime
    detail: dict[str, Any]
    changes: dict[str, Any]
    data_digest: str | None = None
    tasks_digest: str | None = None


def from_format_1(row: Any) -> Sealed:
    """A format-1 event: its own content only (no state digests)."""
    return Sealed(1, row.instance_id, row.seq, row.type, row.element_id, row.task_id, row.actor, row.at,
                  dict(row.detail or {}), dict(row.changes or {}))


def from_format_2(row: Any) -> Sealed:
    """A format-2 event: its content and the digests of the instance's data and open tasks."""
    return Sealed(2, row.instance_id, row.seq, row.type, row.element_id, row.task_id, row.actor, row.at,
                  dict(row.detail or {}), dict(row.changes or {}), row.data_digest, row.tasks_digest)


def from_format_3(row: Any) -> Sealed:
    """A format-3 event: as format 2; the digests (hex, from the 64 bytes of `seal`) are null
    but on the last event of a batch."""
    seal = bytes(row.seal) if row.seal is not None else None
    data, tasks = (seal[:32].hex(), seal[32:].hex()) if seal is not None else (None, None)
    return Sealed(3, row.instance_id, row.seq, row.type, row.element_id, row.task_id, row.actor, row.at,
                  dict(row.detail or {}), dict(row.changes or {}), data, tasks)


UPGRADES: dict[int, Callable[[Any], Sealed]] = {1: from_format_1, 2: from_format_2, 3: from_format_3}


def opened(detail: Any) -> list[tuple[str, str]]:
    """The person's tasks (element, task id) a format-3 event's steps opened after it."""
    found = (detail or {}).get("opened") if isinstance(detail, dict) else None
    return [(str(e), str(t)) for e, t in found] if isinstance(found, list) else []


def opens(event: Any) -> list[str]:
    """The elements whose person's task opened with this event (an event, its view, or its
    exported record): its own `task_ready`, or the tasks a format-3 event lists as `opened`."""
    fields = event if isinstance(event, dict) else vars(event) if hasattr(event, "__dict__") else event._mapping
    own = [str(fields.get("element_id") or fields.get("element"))] if str(fields.get("type")) == "task_ready" else []
    return own + [element for element, _tid in opened(fields.get("detail"))]


#: What a folded step leaves in its carrier's detail text (a reader decodes only such details).
FOLDED_KEYS = ('"passed"', '"opened"')


def folds(detail_text: str | None) -> bool:
    """Whether an event's detail, as JSON text, lists folded steps."""
    return bool(detail_text) and any(k in detail_text for k in FOLDED_KEYS)  # type: ignore[operator]


def stored_changes(fmt: int, changes: dict[str, Any]) -> dict[str, Any]:
    """Data changes as an event of format `fmt` stores them (format 3: `[after]` when before is null)."""
    if fmt < 3:
        return changes
    return {k: [v[1]] if v[0] is None else v for k, v in changes.items()}


def pair(value: Any) -> tuple[Any, Any]:
    """One stored data change as (before, after), whatever format stored it."""
    return (None, value[0]) if len(value) == 1 else (value[0], value[1])


def hash_of(row: Any) -> str:
    """A stored event's hash in hex, whatever format it was stored in."""
    if (getattr(row, "format", None) or 1) >= 3:
        return bytes(row.digest).hex() if row.digest is not None else ""
    return str(row.hash)


def stored_hash(fmt: int, digest: str, data: str | None, tasks: str | None) -> dict[str, Any]:
    """The hash and state digest columns of an event of format `fmt` (digests None: not sealing)."""
    if fmt < 3:
        return {"hash": digest, "data_digest": data, "tasks_digest": tasks, "digest": None, "seal": None}
    seal = bytes.fromhex(data) + bytes.fromhex(tasks) if data is not None and tasks is not None else None
    return {"hash": IMPLIED, "data_digest": None, "tasks_digest": None, "digest": bytes.fromhex(digest),
            "seal": seal}


def stray_columns(row: Any) -> bool:
    """Whether a format-3 event holds values in the columns its format leaves empty (an edit)."""
    return (getattr(row, "format", None) or 1) >= 3 and (
        row.prev_hash != IMPLIED or row.hash != IMPLIED or row.data_digest is not None
        or row.tasks_digest is not None)


def stored_prev_hash(fmt: int, prev_hash: str) -> str:
    """What an event of format `fmt` stores as its previous hash."""
    return IMPLIED if fmt >= 3 else prev_hash


def passed(detail: Any) -> list[str]:
    """The elements a format-3 event's steps passed through after it (empty for older formats)."""
    found = (detail or {}).get("passed") if isinstance(detail, dict) else None
    return [str(e) for e in found] if isinstance(found, list) else []


def sealed(row: Any) -> Sealed:
    """A stored event row (ORM object or plain row) read by the function of its format."""
    fmt = getattr(row, "format", None) or 1
    try:
        return UPGRADES[fmt](row)
    except KeyError:
        raise ValueError(f"event {row.instance_id}/{row.seq} has unknown history format {fmt}") from None


def link_hash(prev_hash: str, event: Sealed) -> str:
    """sha256 over the previous hash and this event's content in a canonical form; format 2
    adds the format number and the two state digests to what format 1 hashed; format 3 hashes
    as format 2 (the previous hash is hashed, though not stored)."""
    body: dict[str, Any] = {
        "instance": event.instance_id,
        "seq": event.seq,
        "type": event.type,
        "element": event.element_id,
        "task": event.task_id,
        "actor": event.actor,
        "at": utc(event.at).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "detail": event.detail,
        "changes": event.changes,
    }
    if event.format >= 2:
        body.update(format=event.format, data=event.data_digest, tasks=event.tasks_digest)
    return sha256(prev_hash + canonical(body))
