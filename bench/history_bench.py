"""The history one petition case leaves behind: events and bytes per case, by history format.

    python bench/history_bench.py [--pg postgresql+psycopg://127.0.0.1:5432/test] [--cases 3]

Walks --cases petition cases from registration to sign-off along the main path (bench/petition_walk.py)
once per history format the engine can write, and prints per case:
- events: the event rows;
- columns: the sum of the stored columns' lengths of those rows (text and JSON as stored, 8 bytes
  per integer and timestamp column, digests as stored), the figure earlier benches printed;
- table: what the event table and its indexes take on disk, measured: on PostgreSQL
  pg_relation_size of the table, its indexes and its TOAST table after the walk minus before
  (VACUUMed; 8 KB pages, so use enough cases), on SQLite dbstat's bytes of the event table and
  its indexes (pages used, not free).
Nothing else is timed here; bench/engine_bench.py owns the speed figures.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from sqlalchemy import text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.petition_walk import WALK_CLOCK, WALK_PATH, prepare, provide_documents  # noqa: E402
from engine import (  # noqa: E402
    Engine,
    FakeClock,
    Settings,
    chain,  # noqa: E402
)
from engine.database import scratch_database  # noqa: E402

#: The columns of an event row that hold text or bytes (each counted by its stored length).
VARIABLE = ("type", "element_id", "task_id", "actor", "CAST(detail AS TEXT)", "CAST(changes AS TEXT)", "prev_hash",
            "hash", "data_digest", "tasks_digest", "digest", "seal")


def column_bytes(dialect: str) -> str:
    """SQL: event rows, and the bytes of their columns (UTF-8 bytes of text, 8 per number and time)."""
    size = "octet_length({})" if dialect == "postgresql" else "length(CAST({} AS BLOB))"
    return ("SELECT count(*), sum(" + " + ".join(f"coalesce({size.format(c)}, 0)" for c in VARIABLE)
            + " + 5 * 8) FROM event")


def table_bytes(engine: Engine) -> int:
    """The event table and its indexes on disk (see the module docstring)."""
    with engine.sessionmaker() as s:
        if s.bind.dialect.name == "postgresql":
            # The main fork of the table, its indexes and its TOAST table (not the free-space
            # and visibility maps: their size does not grow with the cases).
            return int(s.execute(text(
                "SELECT sum(pg_relation_size(c.oid)) FROM pg_class c WHERE c.oid = 'event'::regclass"
                " OR c.oid IN (SELECT indexrelid FROM pg_index WHERE indrelid IN ('event'::regclass,"
                " (SELECT reltoastrelid FROM pg_class WHERE oid = 'event'::regclass)))"
                " OR c.oid = (SELECT reltoastrelid FROM pg_class WHERE oid = 'event'::regclass)")).scalar() or 0)
        return int(s.execute(text(
            "SELECT coalesce(sum(pgsize - unused), 0) FROM dbstat"
            " WHERE name = 'event' OR name IN (SELECT name FROM sqlite_master WHERE tbl_name = 'event'"
            " AND type = 'index')")).scalar() or 0)


def vacuum(engine: Engine) -> None:
    """PostgreSQL: VACUUM the event table (SQLite: dbstat counts the bytes used, not free space)."""
    bind = engine.sessionmaker.kw["bind"]
    if bind.dialect.name == "postgresql":
        with bind.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM event")


def walk(url: str, fmt: int, cases: int) -> tuple[float, float, float]:
    """events, column bytes and table bytes per case of `cases` petition cases written in `fmt`."""
    written = chain.FORMAT
    chain.FORMAT = fmt
    try:
        with tempfile.TemporaryDirectory() as tmp:
            settings = Settings(database_url=url, secret_key="bench", upload_dir=f"{tmp}/up")
            engine = Engine.open(url, settings=settings, clock=FakeClock(WALK_CLOCK))
            for name in ("risk_colour.dmn", "petition_case.bpmn"):
                engine.deploy(ROOT / "processes" / name, actor="bench")
            prepare(engine)
            vacuum(engine)
            before = table_bytes(engine)
            for _ in range(cases):
                case = engine.start("petition_case", {}, actor="bench")
                for element, data in WALK_PATH:
                    task = next(t for t in engine.tasks(instance_id=case.id) if t.element_id == element)
                    provide_documents(engine, case.id, task.id, data)
                    engine.complete(task.id, data, actor=task.assignee or "bench")
            assert engine.verify_history().ok
            vacuum(engine)
            on_disk = table_bytes(engine) - before
            with engine.sessionmaker() as s:
                count, size = s.execute(text(column_bytes(s.bind.dialect.name))).one()
            engine.close()
    finally:
        chain.FORMAT = written
    return count / cases, size / cases, on_disk / cases


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pg", default="postgresql+psycopg://127.0.0.1:5432/test")
    ap.add_argument("--cases", type=int, default=10)
    ap.add_argument("--formats", default=",".join(str(f) for f in chain.WRITABLE))
    args = ap.parse_args()
    print(f"{'database':<12}{'format':>7}{'events/case':>13}{'column KB/case':>16}{'table KB/case':>15}")
    for kind in ("sqlite", "postgresql"):
        for fmt in (int(f) for f in args.formats.split(",")):
            with scratch_database(kind, args.pg) as url:
                events, columns, on_disk = walk(url, fmt, args.cases)
            print(f"{kind:<12}{fmt:>7}{events:>13.1f}{columns / 1000:>16.1f}{on_disk / 1000:>15.1f}")
    print("target: ≤ 20 KB of history per petition case (issue 12)")


if __name__ == "__main__":
    main()
