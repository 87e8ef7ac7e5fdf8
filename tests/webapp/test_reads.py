"""Reads never write: the API's and the pages' GETs open read-only transactions only (no
SQLite write lock, PostgreSQL READ ONLY), and a token's use is written at most once a minute."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import event, text
from sqlalchemy.exc import DBAPIError

from engine import Engine, FakeClock
from engine.database import READONLY
from tests.webapp.conftest import start_case


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@contextmanager
def transactions(engine: Engine) -> Iterator[list[bool]]:
    """Whether each transaction begun on the engine's database within the block was read-only."""
    begun: list[bool] = []

    def on_begin(conn: Any) -> None:
        begun.append(bool(conn.get_execution_options().get(READONLY)))

    bind = engine.sessionmaker.kw["bind"]
    event.listen(bind, "begin", on_begin)
    try:
        yield begun
    finally:
        event.remove(bind, "begin", on_begin)


def _api_reads(case: Any, task_id: str) -> list[str]:
    return ["/api/v1/me", "/api/v1/tasks", "/api/v1/tasks?colour=red&overdue=1", f"/api/v1/tasks/{task_id}",
            f"/api/v1/instances/{case.id}", f"/api/v1/instances/{case.id}/history"]


def test_api_gets_open_no_write_transaction(client: FlaskClient, web_engine: Engine, clock: FakeClock) -> None:
    case = start_case(web_engine)
    task_id = case.tasks[0].id
    token = web_engine.accounts.create_token("coordinator")
    h = bearer(token)
    assert client.get("/api/v1/me", headers=h).status_code == 200  # this minute's use is written
    with transactions(web_engine) as begun:
        for path in _api_reads(case, task_id):
            assert client.get(path, headers=h).status_code == 200, path
    assert begun and not any(ro is False for ro in begun), begun
    clock.advance(seconds=61)  # a minute on: the use is written again, in one write transaction
    with transactions(web_engine) as begun:
        for path in _api_reads(case, task_id):
            assert client.get(path, headers=h).status_code == 200, path
    assert begun.count(False) == 1


def test_pages_open_no_write_transaction(client: FlaskClient, auth: Any, web_engine: Engine) -> None:
    case = start_case(web_engine)
    auth.login("coordinator")
    with transactions(web_engine) as begun:
        for path in ("/", "/my-cases", f"/cases/{case.id}", "/ledger/", "/tokens/"):
            assert client.get(path).status_code == 200, path
    assert begun and not any(ro is False for ro in begun), begun


@pytest.mark.sqlite_only
def test_api_reads_do_not_wait_for_another_writer(client: FlaskClient, web_engine: Engine, db_url: str) -> None:
    """With another process holding SQLite's write lock, every read still answers at once."""
    case = start_case(web_engine)
    h = bearer(web_engine.accounts.create_token("coordinator"))
    assert client.get("/api/v1/me", headers=h).status_code == 200
    holder = sqlite3.connect(db_url.split("///", 1)[1], timeout=0.1, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    statuses: list[int] = []

    def read_all() -> None:
        statuses.extend(client.get(p, headers=h).status_code for p in _api_reads(case, case.tasks[0].id))

    reader = threading.Thread(target=read_all, daemon=True)
    try:
        reader.start()
        reader.join(timeout=20)  # a read that waited for the lock would wait 60 s (busy_timeout)
        assert not reader.is_alive(), "a read waited for the write lock"
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert statuses == [200] * 6


def test_token_use_is_recorded_at_most_once_a_minute_over_the_api(
        client: FlaskClient, web_engine: Engine, clock: FakeClock) -> None:
    token = web_engine.accounts.create_token("handler")

    def last_used() -> Any:
        (view,) = web_engine.accounts.tokens("handler")
        return view.last_used_at

    assert last_used() is None
    assert client.get("/api/v1/tasks", headers=bearer(token)).status_code == 200
    first = last_used()
    assert first is not None
    clock.advance(seconds=59)
    for _ in range(3):
        assert client.get("/api/v1/tasks", headers=bearer(token)).status_code == 200
    assert last_used() == first
    clock.advance(seconds=1)
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 200
    assert last_used() > first


def test_revoked_and_expired_tokens_and_disabled_users_are_refused(
        client: FlaskClient, web_engine: Engine, clock: FakeClock) -> None:
    """The one-statement token check keeps every refusal of the old one."""
    live, revoked = (web_engine.accounts.create_token("handler") for _ in range(2))
    web_engine.accounts.revoke_token(web_engine.accounts.tokens("handler")[0].id)  # the newest
    assert client.get("/api/v1/me", headers=bearer(live)).json["groups"] == ["case_handler"]
    assert client.get("/api/v1/me", headers=bearer(revoked)).status_code == 401
    web_engine.accounts.set_active("handler", False)
    assert client.get("/api/v1/me", headers=bearer(live)).status_code == 401
    web_engine.accounts.set_active("handler", True)
    assert client.get("/api/v1/me", headers=bearer(live)).status_code == 200
    clock.advance(days=91)
    assert client.get("/api/v1/me", headers=bearer(live)).status_code == 401


def test_read_sessions_refuse_writes(web_engine: Engine) -> None:
    """A read session is read-only in the database itself on PostgreSQL; on SQLite it takes no
    write lock (a second writer gets the lock while the read is open)."""
    with web_engine.read_sessionmaker() as s:
        s.execute(text("SELECT count(*) FROM app_user")).scalar()
        if s.bind.dialect.name == "postgresql":
            assert s.execute(text("SHOW transaction_read_only")).scalar() == "on"
            with pytest.raises(DBAPIError):
                s.execute(text("UPDATE app_user SET unit = 'x'"))
        else:
            with web_engine.sessionmaker.begin() as writer:  # would wait if the read held the lock
                writer.execute(text("UPDATE app_user SET unit = NULL WHERE 1 = 0"))
    if web_engine.read_sessionmaker.kw["bind"].dialect.name == "postgresql":
        with web_engine.sessionmaker() as s:  # the connection went back to the pool writable
            assert s.execute(text("SHOW transaction_read_only")).scalar() == "off"
