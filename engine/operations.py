"""The operation log: one append-only, hash-chained record of what people did to the system.

Logins and failed logins, logouts, API tokens, users and their roles, calendar overrides,
deployments, migrations, manual interventions on cases, exports, and every read of a case's
personal data by an auditor: who, when, from which address, what, before and after. An entry
is written in the transaction of what it records (it is there exactly when the change is),
chained to the entry before it; the database refuses UPDATE and DELETE on the table.

Who and from where: the engine's operations name their actor; the address (and, for account
changes made by an admin, the actor) comes from the origin the web app sets for each request
(`acting_as`), a context variable, so engine signatures stay as they are.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import event as sa_event
from sqlalchemy import insert, select, text
from sqlalchemy.orm import Session

from .chain import GENESIS, canonical, sha256, utc
from .models import Operation

TABLE = _OPS = Operation.metadata.tables[Operation.__tablename__]
SYSTEM = "system"
#: The PostgreSQL advisory lock that queues writers of the one operation chain.
_CHAIN_LOCK = 1515


class Action(StrEnum):
    """What an operation-log entry records."""

    LOGIN = "login"
    LOGIN_FAILED = "login_failed"
    LOGOUT = "logout"
    TOKEN_CREATED = "token_created"
    TOKEN_REVOKED = "token_revoked"
    USER_ADDED = "user_added"
    ROLES_CHANGED = "roles_changed"
    PASSWORD_SET = "password_set"
    USER_ACTIVE_CHANGED = "user_active_changed"
    USER_UNLOCKED = "user_unlocked"
    CALENDAR_OVERRIDE = "calendar_override"
    DEPLOY = "deploy"
    MIGRATE = "migrate"
    ASSIGN = "assign"
    CANCEL = "cancel"
    RETRY = "retry"
    SUSPEND = "suspend"
    RESUME = "resume"
    EXPORT = "export"
    PERSONAL_DATA_READ = "personal_data_read"
    CHECKPOINT = "checkpoint"
    USER_EMAIL_CHANGED = "user_email_changed"
    NOTICE_TEMPLATE_SAVED = "notice_template_saved"


@dataclass(frozen=True)
class Origin:
    """Who is acting and from which client address (the web app's request)."""

    actor: str
    address: str | None = None


_origin: ContextVar[Origin | None] = ContextVar("anjie_operation_origin", default=None)


@contextmanager
def acting_as(actor: str, address: str | None = None) -> Iterator[Origin]:
    """Within the block, operation-log entries name this actor (when the operation names none)
    and this address."""
    origin = Origin(actor, address)
    token = _origin.set(origin)
    try:
        yield origin
    finally:
        _origin.reset(token)


def begin_origin(actor: str, address: str | None = None) -> Token[Origin | None]:
    """Set the origin until `end_origin(token)` (a web request's start and end)."""
    return _origin.set(Origin(actor, address))


def name_actor(actor: str) -> None:
    """Name who is acting once it is known (after the login check), keeping the address."""
    origin = _origin.get()
    _origin.set(Origin(actor, origin.address if origin else None))


def end_origin(token: Token[Origin | None]) -> None:
    _origin.reset(token)


def current_origin() -> Origin | None:
    return _origin.get()


@dataclass(frozen=True)
class OperationView:
    """One operation-log entry as the facade shows it."""

    seq: int
    at: datetime
    actor: str
    address: str | None
    action: str
    target: str | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    hash: str


@dataclass(frozen=True)
class OperationFilter:
    """Which entries to list: every field narrows (None: any)."""

    actor: str | None = None
    action: str | None = None
    target: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    limit: int = 200
    before_seq: int | None = None


@dataclass(frozen=True)
class OperationReport:
    """The operation chain's verification: the first bad entry, if any."""

    ok: bool
    checked: int
    bad_seq: int | None = None
    reason: str | None = None
    head: tuple[int, str] = field(default=(0, GENESIS))


def entry_hash(prev_hash: str, seq: int, at: datetime, actor: str, address: str | None, action: str,
               target: str | None, before: Any, after: Any) -> str:
    body = {"seq": seq, "at": utc(at).strftime("%Y-%m-%dT%H:%M:%S.%fZ"), "actor": actor, "address": address,
            "action": action, "target": target, "before": before, "after": after}
    return sha256(prev_hash + canonical(body))


def head(s: Session) -> tuple[int, str]:
    """The last entry's number and hash (0 and the genesis hash for an empty log)."""
    row = s.execute(select(_OPS.c.seq, _OPS.c.hash).order_by(_OPS.c.seq.desc()).limit(1)).first()
    return (row.seq, row.hash) if row is not None else (0, GENESIS)


_QUEUE = "anjie_operation_queue"
_LISTENING = "anjie_operation_listening"


def append(s: Session, action: Action, *, at: datetime, actor: str | None = None, target: str | None = None,
           before: dict[str, Any] | None = None, after: dict[str, Any] | None = None) -> None:
    """Write one entry in the caller's transaction, chained to the last one.

    The entry is queued and written when the transaction commits (never after a rollback):
    the one chain is locked last and briefly, after every row lock the operation took, so
    two transactions never wait for each other in a circle (a migration of many cases)."""
    origin = current_origin()
    who = actor or (origin.actor if origin else SYSTEM)
    if not s.info.get(_LISTENING):
        s.info[_LISTENING] = True
        sa_event.listen(s, "before_commit", _write_queued)
        sa_event.listen(s, "after_rollback", _forget_queued)
    address = origin.address if origin else None
    s.info.setdefault(_QUEUE, []).append(dict(at=utc(at), actor=who[:200], address=address, action=str(action),
                                              target=target, before=_plain(before), after=_plain(after)))


def _forget_queued(s: Session) -> None:
    s.info.pop(_QUEUE, None)  # what a rolled-back transaction did never happened


def _write_queued(s: Session) -> None:
    queue: list[dict[str, Any]] = s.info.pop(_QUEUE, [])
    if not queue:
        return
    conn = s.connection()
    if conn.dialect.name == "postgresql":
        # One chain for the system: writers queue here until the transaction ends (SQLite
        # already runs one write transaction at a time).
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _CHAIN_LOCK})
    row = conn.execute(select(_OPS.c.seq, _OPS.c.hash).order_by(_OPS.c.seq.desc()).limit(1)).first()
    seq, prev = (row.seq, row.hash) if row is not None else (0, GENESIS)
    for entry in queue:
        seq += 1
        entry.update(seq=seq, prev_hash=prev)
        entry["hash"] = prev = entry_hash(prev, seq, entry["at"], entry["actor"], entry["address"], entry["action"],
                                          entry["target"], entry["before"], entry["after"])
    conn.execute(insert(_OPS), queue)


def _plain(value: dict[str, Any] | None) -> Any:
    return None if value is None else json.loads(canonical(value))


def view(row: Any) -> OperationView:
    return OperationView(seq=row.seq, at=utc(row.at), actor=row.actor, address=row.address, action=row.action,
                         target=row.target, before=row.before, after=row.after, hash=row.hash)


def entries(s: Session, flt: OperationFilter) -> list[OperationView]:
    """Entries matching the filter, newest first."""
    q = select(_OPS)
    if flt.actor:
        q = q.where(_OPS.c.actor == flt.actor)
    if flt.action:
        q = q.where(_OPS.c.action == flt.action)
    if flt.target:
        q = q.where(_OPS.c.target.contains(flt.target, autoescape=True))
    if flt.since:
        q = q.where(_OPS.c.at >= flt.since)
    if flt.until:
        q = q.where(_OPS.c.at < flt.until)
    if flt.before_seq:
        q = q.where(_OPS.c.seq < flt.before_seq)
    q = q.order_by(_OPS.c.seq.desc()).limit(max(1, min(flt.limit, 1000)))
    return [view(row) for row in s.execute(q)]


def verify(s: Session) -> OperationReport:
    """Recompute the whole operation chain; the first entry that does not match."""
    prev, expected, checked = GENESIS, 1, 0
    for row in s.execute(select(_OPS).order_by(_OPS.c.seq)).yield_per(5000):
        checked += 1
        reason = None
        if row.seq != expected:
            reason = f"entry {expected} is missing (found {row.seq})"
        elif row.prev_hash != prev:
            reason = "previous-hash link does not match"
        elif entry_hash(prev, row.seq, row.at, row.actor, row.address, row.action, row.target,
                        row.before, row.after) != row.hash:
            reason = "content does not match its hash (entry edited)"
        if reason:
            return OperationReport(False, checked, expected, reason)
        prev, expected = row.hash, expected + 1
    return OperationReport(True, checked, head=(expected - 1, prev))
