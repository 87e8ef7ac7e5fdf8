"""Transactions: one write transaction per operation, read-only sessions, and the one row-lock helper.

Writers of one instance queue on its row. On PostgreSQL that is `SELECT … FOR UPDATE`; on
SQLite every write transaction starts with BEGIN IMMEDIATE (engine/database.py), which already
serialises writers, so no row lock is taken there.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from sqlalchemy import Select, bindparam, event, select
from sqlalchemy.orm import Session, sessionmaker

from .database import readonly
from .errors import InstanceNotFound
from .models import HumanTask, Instance

T = TypeVar("T", bound=tuple[Any, ...])
# Built once: every completion runs it, and a prebuilt statement skips construction and
# cache-key work in SQLAlchemy.
_OWNER = select(Instance).where(
    Instance.id == select(HumanTask.instance_id).where(HumanTask.id == bindparam("task_id")).scalar_subquery())
_OWNER_LOCKED = _OWNER.with_for_update()
_AFTER_COMMIT = "anjie_after_commit"


class Transactions:
    """Opens the engine's sessions: `write()` for one operation, `read()` for queries."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessionmaker = sessions
        self.bind = sessions.kw["bind"]
        # Read-only work (task lists, history, inbox queries) never waits for SQLite's write lock.
        self.read_sessionmaker: sessionmaker[Session] = sessionmaker(bind=readonly(self.bind), expire_on_commit=False)
        self.dialect: str = self.bind.dialect.name
        self._listeners: list[tuple[str, Any]] = []

    def on_flush(self, listener: Any) -> None:
        """Run `listener(session, context, instances)` before every flush of a write session."""
        self._listen("before_flush", listener)

    def after_flush(self, listener: Any) -> None:
        """Run `listener(session, context)` after every flush of a write session."""
        self._listen("after_flush", listener)

    def _listen(self, name: str, listener: Any) -> None:
        event.listen(self.sessionmaker, name, listener)
        self._listeners.append((name, listener))

    @contextmanager
    def write(self) -> Iterator[Session]:
        """One write transaction: committed when the block ends, rolled back when it raises.

        What `after_commit` registered runs once the commit succeeded, never after a rollback.
        """
        session = self.sessionmaker()
        try:
            with session.begin():
                yield session
            for callback in session.info.pop(_AFTER_COMMIT, []):
                callback()
        finally:
            session.close()

    @staticmethod
    def after_commit(s: Session, callback: Callable[[], Any]) -> None:
        """Run `callback` after the write transaction of `s` has committed."""
        s.info.setdefault(_AFTER_COMMIT, []).append(callback)

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A read-only session; nothing it does is ever committed."""
        session = self.read_sessionmaker()
        try:
            yield session
        finally:
            session.rollback()
            session.close()

    def locked(self, query: Select[T], *, skip_locked: bool = False) -> Select[T]:
        """`query` with a row lock where the database needs one (PostgreSQL), else unchanged."""
        if self.dialect == "postgresql":
            return query.with_for_update(skip_locked=skip_locked)
        return query

    def instance(self, s: Session, instance_id: int, *, lock: bool = False) -> Instance:
        """The instance row (locked for writing when `lock`); InstanceNotFound when missing."""
        if lock:
            inst = s.scalars(self.locked(select(Instance).where(Instance.id == instance_id))).first()
        else:
            inst = s.get(Instance, instance_id)
        if inst is None:
            raise InstanceNotFound(instance_id)
        return inst

    def instance_of_task(self, s: Session, task_id: str) -> Instance | None:
        """The locked instance row that owns a human task (locked first, so the task is read after it)."""
        query = _OWNER_LOCKED if self.dialect == "postgresql" else _OWNER
        return s.scalars(query, {"task_id": task_id}).first()

    def dispose(self) -> None:
        """Release the database connections and the flush listeners.

        SQLAlchemy keeps a sessionmaker's listeners in a registry keyed weakly by its session
        class, but the listeners (bound methods of the engine's parts) lead back to that class:
        left registered, a closed engine, its spec and workflow caches never die.
        """
        for name, listener in self._listeners:
            event.remove(self.sessionmaker, name, listener)
        self._listeners.clear()
        self.bind.dispose()
