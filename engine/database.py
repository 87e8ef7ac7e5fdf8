"""Database connections (SQLite file or PostgreSQL) and schema migration with Alembic."""

from __future__ import annotations

import functools
import json
import os
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine as SqlEngine
from sqlalchemy import create_engine, event, text

MIGRATIONS = Path(__file__).parent / "migrations"
READONLY = "anjie_readonly"
# Any constant will do: it names the advisory lock that serialises migrations.
_PG_MIGRATION_LOCK = 74_211_503


def compact_json(value: Any) -> str:
    """JSON columns as stored: no spaces, and Chinese as UTF-8 rather than \\u escapes (half the
    bytes of history and case data, issue 12); what is read back is the same value."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def connect(url: str) -> SqlEngine:
    """A SQLAlchemy engine for `url`; SQLite gets WAL, a busy timeout and write-locking BEGIN."""
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            # The case files inside are personal data: the folder and the database file are
            # created readable by the owner only (SQLite gives its WAL files the same mode).
            Path(path).parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            if not Path(path).exists():
                os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
        db = create_engine(url, connect_args={"timeout": 60, "check_same_thread": False},
                           json_serializer=compact_json)

        @event.listens_for(db, "connect")
        def _on_connect(dbapi_conn: Any, _record: Any) -> None:
            dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=60000")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        @event.listens_for(db, "begin")
        def _on_begin(conn: Any) -> None:
            # Writers take the write lock at the start, so two writers queue instead of
            # failing on a read-to-write lock upgrade; readers (see `readonly`) do not
            # take it, so WAL lets them read while a writer works.
            if conn.get_execution_options().get(READONLY):
                conn.exec_driver_sql("BEGIN")
            else:
                conn.exec_driver_sql("BEGIN IMMEDIATE")

        return db
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20, json_serializer=compact_json)


def readonly(db: SqlEngine) -> SqlEngine:
    """The same database for read-only sessions: on SQLite they do not take the write lock;
    on PostgreSQL their transactions are READ ONLY (the server refuses any write in them)."""
    options: dict[str, Any] = {READONLY: True}
    if db.dialect.name == "postgresql":
        options["postgresql_readonly"] = True
    return db.execution_options(**options)


@contextmanager
def scratch_database(kind: str, base_url: str | None = None) -> Iterator[str]:
    """An empty database for a test or a benchmark, removed afterwards: a temporary SQLite
    file (kind "sqlite"), or a new schema on the PostgreSQL server at `base_url`."""
    if kind == "sqlite":
        with tempfile.TemporaryDirectory(prefix="anjie-") as tmp:
            yield f"sqlite:///{Path(tmp) / 'anjie.db'}"
        return
    if not base_url:
        raise ValueError("a PostgreSQL scratch database needs the server's URL")
    schema = "scratch_" + uuid.uuid4().hex[:12]
    admin = create_engine(base_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    try:
        sep = "&" if "?" in base_url else "?"
        yield f"{base_url}{sep}options=-csearch_path%3D{schema}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


def alembic_config(db: SqlEngine) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", db.url.render_as_string(hide_password=False).replace("%", "%%"))
    return cfg


@functools.cache
def _newest_revisions() -> frozenset[str]:
    """The heads of engine/migrations (read once per process: the scripts do not change)."""
    return frozenset(ScriptDirectory(str(MIGRATIONS)).get_heads())


def migrate(db: SqlEngine) -> None:
    """Create or upgrade the schema to the newest revision (safe with concurrent starters).

    A database already at the newest revision is left at once: opening an engine (every app
    process, every restart) then costs one SELECT, not Alembic's whole environment.
    """
    with db.connect() as conn:
        if frozenset(MigrationContext.configure(conn).get_current_heads()) == _newest_revisions():
            return
    cfg = alembic_config(db)
    with db.begin() as conn:
        if db.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_MIGRATION_LOCK})
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
