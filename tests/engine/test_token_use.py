"""engine/accounts.py, bearer tokens: checked by a read; their use is written once a minute."""

from __future__ import annotations

import sqlite3
from datetime import datetime

import pytest
from sqlalchemy import select

from engine import Engine, FakeClock
from engine.models import ApiToken
from tests.conftest import EngineWith


def _last_used(engine: Engine) -> datetime | None:
    with engine.sessionmaker() as s:
        rows = list(s.scalars(select(ApiToken.last_used_at)))
    assert len(rows) == 1
    return rows[0]


def test_token_use_is_written_at_most_once_a_minute(engine_with: EngineWith, clock: FakeClock) -> None:
    engine = engine_with()
    engine.accounts.scrypt_n = 2**4
    engine.accounts.add_user("wang", "long enough 1", ["case_handler"])
    token = engine.accounts.create_token("wang")
    assert _last_used(engine) is None
    assert engine.accounts.verify_token(token).username == "wang"
    first = _last_used(engine)
    clock.advance(seconds=30)
    assert engine.accounts.verify_token(token).username == "wang"
    assert _last_used(engine) == first
    clock.advance(seconds=31)
    assert engine.accounts.verify_token(token).username == "wang"
    later = _last_used(engine)
    assert first is not None and later is not None and later > first
    assert engine.accounts.verify_token("not a token") is None


@pytest.mark.sqlite_only
def test_a_token_checked_within_the_minute_does_not_wait_for_the_sqlite_write_lock(
    engine_with: EngineWith, db_url: str
) -> None:
    engine = engine_with()
    engine.accounts.scrypt_n = 2**4
    engine.accounts.add_user("wang", "long enough 1", ["case_handler"])
    token = engine.accounts.create_token("wang")
    assert engine.accounts.verify_token(token).username == "wang"  # the use of this minute is written
    holder = sqlite3.connect(db_url.split("///", 1)[1], timeout=0.1, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another process's long write
    try:
        assert engine.accounts.verify_token(token).username == "wang"
    finally:
        holder.execute("ROLLBACK")
        holder.close()
