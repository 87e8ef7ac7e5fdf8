"""Shared fixtures: database URLs (SQLite file and PostgreSQL schema), a fake clock, an engine."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from engine import Engine, FakeClock
from engine.database import scratch_database

ROOT = Path(__file__).resolve().parent.parent
PROCESSES = ROOT / "processes"
DIAGRAMS = Path(__file__).resolve().parent / "engine" / "diagrams"
POSTGRES_URL = os.environ.get(
    "ANJIE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """A fresh database: a SQLite file, or a new PostgreSQL schema dropped afterwards.

    PostgreSQL is not optional: when the server is down these tests fail, not skip.
    """
    with scratch_database(request.param, POSTGRES_URL) as url:
        yield url


@pytest.fixture
def clock() -> FakeClock:
    """A test clock at a fixed Monday morning (UTC); tests move it with `advance`."""
    return FakeClock(datetime(2026, 3, 2, 1, 0, tzinfo=UTC))


@pytest.fixture
def engine(db_url: str, clock: FakeClock) -> Iterator[Engine]:
    """An engine on the fresh database, reading the test clock."""
    eng = Engine.open(db_url, clock=clock)
    try:
        yield eng
    finally:
        eng.close()
