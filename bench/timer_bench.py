"""Timer benchmark: firing 1,000 due timers beside 0 and 1,000,000 waiting ones; scheduler lag.

Run: python bench/timer_bench.py [--database-url URL ...] [--future 1000000] [--interval 5]
Without --database-url it runs on a temporary SQLite file and on a fresh schema of the
test PostgreSQL (ANJIE_TEST_POSTGRES_URL), which is dropped afterwards.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select, text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from engine import Engine, FakeClock  # noqa: E402
from engine.clock import system_clock  # noqa: E402
from engine.database import scratch_database  # noqa: E402
from engine.models import Event, Timer  # noqa: E402
from engine.timers import start_scheduler  # noqa: E402

# start -> timer at `deadline` (given as data) -> end: the cheapest instance with one timer.
DIAGRAM = b"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="defs_bench"
  targetNamespace="http://anjie.example/bench">
  <bpmn:process id="timer_bench" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:intermediateCatchEvent id="deadline_reached">
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
      <bpmn:timerEventDefinition><bpmn:timeDate>deadline</bpmn:timeDate></bpmn:timerEventDefinition>
    </bpmn:intermediateCatchEvent>
    <bpmn:endEvent id="end"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="deadline_reached"/>
    <bpmn:sequenceFlow id="f2" sourceRef="deadline_reached" targetRef="end"/>
  </bpmn:process>
</bpmn:definitions>
"""
PAST = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)


@contextmanager
def fresh_database(url: str | None, dialect: str) -> Iterator[str]:
    """A URL to an empty database (a temp SQLite file or a new PostgreSQL schema)."""
    if url:
        yield url
        return
    base = os.environ.get("ANJIE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
    with scratch_database(dialect, base) as scratch:
        yield scratch


def start_instances(engine: Engine, n: int, due: datetime) -> None:
    for _ in range(n):
        engine.start("timer_bench", {"deadline": due.isoformat()}, actor="bench")


def insert_future_timers(engine: Engine, n: int, per_instance: int = 10) -> float:
    """Bulk-insert `n` waiting timers due years ahead (`per_instance` to a case), with plain SQL.

    Returns the seconds taken. The holder instances are bare rows: they are never loaded,
    because none of their timers comes due.
    """
    t0 = time.perf_counter()
    db = engine.sessionmaker.kw["bind"]
    holders = max(1, n // per_instance)
    pg = db.dialect.name == "postgresql"
    series = (
        "generate_series(1, :m) AS g(i)"
        if pg
        else "(WITH RECURSIVE g(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM g WHERE i < :m) " "SELECT i FROM g)"
    )
    with db.begin() as conn:
        first = (conn.execute(text("SELECT COALESCE(MAX(id), 0) FROM instance")).scalar() or 0) + 1
        insert_instances = (
            "INSERT INTO instance (id, deployment_id, process_key, version, status, data, state, "
            "serializer_version, revision, started_at, started_by, updated_at, last_seq, last_hash) "
            "SELECT :first + i - 1, 1, 'timer_bench', 1, 'waiting', '{}', '', 0, 1, "
            ":at, 'bench', :at, 0, '' FROM " + series
        )
        at = PAST if pg else PAST.strftime("%Y-%m-%d %H:%M:%S.%f")
        conn.execute(text(insert_instances), {"first": first, "m": holders, "at": at})
        if pg:
            conn.execute(
                text(
                    "INSERT INTO timer (id, instance_id, element_id, due_at) "
                    "SELECT 'future-' || g, :first + g % :m, 'future', "
                    "TIMESTAMPTZ '2030-01-01 00:00:00+00' + g * INTERVAL '1 second' "
                    "FROM generate_series(1, :n) AS g"
                ),
                {"first": first, "m": holders, "n": n},
            )
            conn.execute(
                text("SELECT setval(pg_get_serial_sequence('instance', 'id'), " "(SELECT MAX(id) FROM instance))")
            )
            conn.execute(text("ANALYZE"))
        else:
            conn.execute(
                text(
                    "WITH RECURSIVE g(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM g WHERE i < :n) "
                    "INSERT INTO timer (id, instance_id, element_id, due_at) "
                    "SELECT 'future-' || i, :first + i % :m, 'future', "
                    "strftime('%Y-%m-%d %H:%M:%f', '2030-01-01', '+' || i || ' seconds') FROM g"
                ),
                {"first": first, "m": holders, "n": n},
            )
            conn.execute(text("ANALYZE"))
    return time.perf_counter() - t0


def time_firing(engine: Engine, clock: FakeClock, n: int) -> tuple[float, int]:
    """Start `n` instances whose timers are due, then time one fire_due_timers sweep."""
    start_instances(engine, n, clock() + timedelta(days=1))
    clock.advance(days=2)
    t0 = time.perf_counter()
    fired = engine.fire_due_timers()
    return time.perf_counter() - t0, fired


def measure_lag(url: str, n: int, interval: float, spread: float) -> dict[str, float]:
    """Timers due over the next `spread` seconds under a running scheduler (machine clock)."""
    engine = Engine.open(url, clock=system_clock)
    try:
        base = system_clock() + timedelta(seconds=2)
        for i in range(n):
            due = base + timedelta(seconds=spread * i / n)
            engine.start("timer_bench", {"deadline": due.isoformat()}, actor="bench")
        with engine.sessionmaker() as s:
            lag_timers = select(Timer).where(Timer.element_id == "deadline_reached")
            due_of = {t.id: t.due_at for t in s.scalars(lag_timers)}
        gone_at: dict[str, datetime] = {}
        scheduler = start_scheduler(engine, interval)
        try:
            deadline = time.monotonic() + spread + interval * 3 + 30
            while len(gone_at) < len(due_of) and time.monotonic() < deadline:
                with engine.sessionmaker() as s:
                    pending = [t for t in due_of if t not in gone_at]
                    left = set(s.scalars(select(Timer.id).where(Timer.id.in_(pending))))
                now = system_clock()
                for tid in due_of:
                    if tid not in left and tid not in gone_at:
                        gone_at[tid] = now
                time.sleep(0.05)
        finally:
            scheduler.shutdown()
        observed = [(gone_at[t] - _utc(due_of[t])).total_seconds() for t in gone_at]
        with engine.sessionmaker() as s:
            fired = s.scalars(select(Event).where(Event.type == "timer_fired", Event.actor == "engine"))
            recorded = [
                (_parse(e.detail["fired_at"]) - _parse(e.detail["due_at"])).total_seconds()
                for e in fired
                if e.detail.get("due_at", "") >= base.isoformat()[:19]
            ]
        return {
            "timers": float(len(due_of)),
            "fired": float(len(gone_at)),
            "observed_mean": statistics.mean(observed),
            "observed_p95": sorted(observed)[int(len(observed) * 0.95) - 1],
            "observed_max": max(observed),
            "recorded_max": max(recorded) if recorded else float("nan"),
        }
    finally:
        engine.close()


def _parse(value: str) -> datetime:
    return datetime.fromisoformat(value)


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def run(url: str, label: str, args: argparse.Namespace) -> None:
    print(f"== {label}")
    clock = FakeClock(PAST)
    engine = Engine.open(url, clock=clock)
    try:
        engine.deploy(DIAGRAM, actor="bench")
        seconds, fired = time_firing(engine, clock, args.due)
        print(
            f"fire {fired} due timers, 0 other waiting timers:        {seconds:7.2f} s "
            f"({seconds / max(fired, 1) * 1000:.1f} ms per timer)"
        )
        took = insert_future_timers(engine, args.future)
        with engine.sessionmaker() as s:
            waiting = s.scalar(select(func.count()).select_from(Timer))
        print(f"bulk-inserted {args.future:,} future timers in {took:.1f} s ({waiting:,} waiting)")
        seconds, fired = time_firing(engine, clock, args.due)
        print(
            f"fire {fired} due timers, {waiting:,} other waiting timers: {seconds:7.2f} s "
            f"({seconds / max(fired, 1) * 1000:.1f} ms per timer)"
        )
        t0 = time.perf_counter()
        listed = engine.timers(clock())
        print(
            f"engine.timers(due_before=now) with {waiting:,} waiting: "
            f"{(time.perf_counter() - t0) * 1000:.0f} ms ({len(listed)} due)"
        )
    finally:
        engine.close()
    lag = measure_lag(url, args.lag_timers, args.interval, args.spread)
    print(
        f"scheduler lag (sweep every {args.interval:g} s, {lag['fired']:.0f}/{lag['timers']:.0f} "
        f"timers due over {args.spread:g} s, {args.future:,} future timers in the table): "
        f"mean {lag['observed_mean']:.2f} s, p95 {lag['observed_p95']:.2f} s, "
        f"max {lag['observed_max']:.2f} s (due -> committed); "
        f"max recorded fired_at - due_at {lag['recorded_max']:.2f} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", action="append", default=[])
    parser.add_argument("--due", type=int, default=1000)
    parser.add_argument("--future", type=int, default=1_000_000)
    parser.add_argument("--interval", type=float, default=5.0)
    parser.add_argument("--lag-timers", type=int, default=200)
    parser.add_argument("--spread", type=float, default=20.0, help="seconds over which lag timers come due")
    args = parser.parse_args()
    if args.database_url:
        for url in args.database_url:
            run(url, url.split("://")[0], args)
        return
    for dialect in ("sqlite", "postgresql"):
        with fresh_database(None, dialect) as url:
            run(url, dialect, args)


if __name__ == "__main__":
    main()
