"""Shared fixtures: a fresh database per test (SQLite and PostgreSQL), the test clock, and
`engine_with`, the one way a test opens an engine.

A test marked `sqlite_only` runs on SQLite alone. Web tests of pages, access rules, forms,
sign-in and API shape carry it: what they check does not depend on the database.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from engine import Engine, FakeClock, Settings
from engine.database import scratch_database

ROOT = Path(__file__).resolve().parent.parent
PROCESSES = ROOT / "processes"
DIAGRAMS = Path(__file__).resolve().parent / "engine" / "diagrams"
# The only place the tests read where PostgreSQL is.
POSTGRES_URL = os.environ.get(
    "ANJIE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
#: Where the test clock starts: Monday 2 March 2026, 09:00 in Beijing.
MONDAY = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)

#: `engine_with(*diagrams, clock=None, settings=None, db=None) -> Engine`
EngineWith = Callable[..., Engine]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "sqlite_only: run on SQLite only (the test checks nothing the database decides)"
    )


@pytest.hookimpl(tryfirst=True)
def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Give a `sqlite_only` test the SQLite `db_url` alone."""
    if "db_url" not in metafunc.fixturenames or not metafunc.definition.get_closest_marker("sqlite_only"):
        return
    # A parametrize mark added here is applied instead of the fixture's own two params.
    metafunc.definition.add_marker(pytest.mark.parametrize("db_url", ["sqlite"], indirect=True))


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """A fresh database: a SQLite file, or a new PostgreSQL schema dropped afterwards.

    PostgreSQL is not optional: when the server is down these tests fail, not skip.
    """
    with scratch_database(request.param, POSTGRES_URL) as url:
        yield url


@pytest.fixture
def clock() -> FakeClock:
    """The test clock at Monday 2 March 2026, 09:00 in Beijing; tests move it with `advance` or `set`."""
    return FakeClock(MONDAY)


@pytest.fixture
def engine_with(db_url: str, clock: FakeClock) -> Iterator[EngineWith]:
    """Open engines on the test's fresh database; every one is closed after the test.

    `engine_with(*diagrams, clock=None, settings=None, db=None)` returns an open `Engine`:

    - `diagrams`: what `Engine.deploy` takes (a path in processes/ or in a test diagrams
      folder, or BPMN text), deployed in the order given, by "designer";
    - `clock`: the engine's clock, the `clock` fixture unless given;
    - `settings`: passed on to `Engine.open` (default: the ANJIE_* environment);
    - `db`: the database URL, the test's `db_url` unless given.

    Calling it again opens a second engine on the same database, as another process or a
    restart would.
    """
    opened: list[Engine] = []
    test_clock = clock

    def open_engine(
        *diagrams: Path | str | bytes,
        clock: FakeClock | None = None,
        settings: Settings | None = None,
        db: str | None = None,
    ) -> Engine:
        engine = Engine.open(db or db_url, clock=test_clock if clock is None else clock, settings=settings)
        opened.append(engine)
        for diagram in diagrams:
            engine.deploy(diagram, actor="designer")
        return engine

    yield open_engine
    for engine in opened:
        engine.close()
