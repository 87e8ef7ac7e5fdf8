"""Inbox and ledger queries with 100,000 open tasks in the database, on SQLite and PostgreSQL.

Fills a scratch database with N cases (one deployment, N instances, one ready human task
each, spread over five groups, a tenth assigned to named people, a third overdue), then
times the queries the web app runs for every inbox and ledger page view. Prints the
median and worst of several runs of each.

Usage: python bench/inbox_bench.py [--tasks 100000] [--postgres-url URL] [--skip-postgres]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from engine import Engine, FakeClock  # noqa: E402
from engine.database import scratch_database  # noqa: E402
from engine.models import Deployment, HumanTask, Instance, TaskGroup  # noqa: E402
from engine.queries import InboxFilter, LedgerFilter  # noqa: E402

NOW = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
GROUPS = ["case_handler", "case_leader", "coordinator", "supervisor", "intake_clerk"]
COLOURS = ["red", "yellow", "green"]
BATCH = 5_000


def fill(engine: Engine, n: int) -> None:
    """N instances with one ready task each, inserted in bulk (no workflow runs)."""
    deployment = engine.deploy(ROOT / "tests" / "engine" / "diagrams" / "simple_review.bpmn", actor="bench")[0]
    with engine.sessionmaker.begin() as s:
        dep_id = s.scalar(select(Deployment.id).where(Deployment.process_key == deployment.process_key))
    for start in range(0, n, BATCH):
        instances: list[dict[str, Any]] = []
        tasks: list[dict[str, Any]] = []
        groups: list[dict[str, Any]] = []
        for i in range(start, min(n, start + BATCH)):
            iid = i + 1
            tid = str(uuid.UUID(int=iid))
            group = GROUPS[i % len(GROUPS)]
            instances.append(dict(
                id=iid, deployment_id=dep_id, process_key="simple_review", version=1,
                business_key=f"XF-{iid:06d}", campaign_id=f"c-{i % 4}", risk_colour=COLOURS[i % 3],
                case_class="ABC"[i % 3], status="running",
                data={"title": f"案件{iid}", "case_leader": f"leader{i % 50}"},
                state="{}", serializer_version=2, revision=1, started_at=NOW, started_by="bench",
                updated_at=NOW, last_seq=0, last_hash="",
            ))
            assignee = f"user{i % 200}" if i % 10 == 0 else None
            due = NOW + timedelta(days=(i % 90) - 30)
            tasks.append(dict(
                id=tid, instance_id=iid, process_key="simple_review", element_id="accept_case", name="受理",
                lane=group, assignee=assignee, candidate_groups=[group],
                due_at=due, state="ready", created_at=NOW,
            ))
            groups.append(dict(task_id=tid, group_name=group, instance_id=iid, due_at=due, open=assignee is None))
        with engine.sessionmaker.begin() as s:
            s.execute(insert(Instance), instances)
            s.execute(insert(HumanTask), tasks)
            s.execute(insert(TaskGroup), groups)
    # Planner statistics as autovacuum would have them after a bulk load like this one.
    with engine.sessionmaker.begin() as s:
        s.execute(text("ANALYZE"))


def timed(fn: Callable[[], Any], runs: int = 7) -> tuple[float, float]:
    fn()  # warm the caches once
    samples = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t0)
    return statistics.median(samples) * 1000, max(samples) * 1000


def run(backend: str, url: str, n: int) -> None:
    engine = Engine.open(url, clock=FakeClock(NOW))
    t0 = time.perf_counter()
    fill(engine, n)
    print(f"{backend}: {n:,} open tasks inserted in {time.perf_counter() - t0:.1f} s")
    q = engine.queries
    cases: list[tuple[str, Callable[[], Any]]] = [
        ("inbox: one handler (own + 1 small group)", lambda: q.inbox("user0", ["intake_clerk"])),
        ("inbox: a group of 20,000", lambda: q.inbox("someone", ["case_handler"])),
        ("inbox: two groups, page 50", lambda: q.inbox("someone", ["case_handler", "supervisor"], page=50)),
        ("inbox: group, overdue only", lambda: q.inbox("someone", ["case_handler"], InboxFilter(overdue=True))),
        ("inbox: group, red, one campaign",
         lambda: q.inbox("someone", ["case_handler"], InboxFilter(risk_colour="red", campaign_id="c-1"))),
        ("ledger: first page", lambda: q.ledger()),
        ("ledger: red + overdue", lambda: q.ledger(LedgerFilter(risk_colour="red", overdue=True))),
        ("engine.tasks(assignee=…)", lambda: engine.tasks(assignee="user10")),
        # Every page's header: the reader's near-due and overdue counts (engine/reminders.py),
        # uncached (the header reuses them for a minute).
        ("reminder counts: a handler (group of 20,000)",
         lambda: engine.reminders.counts("user0", ["case_handler"], fresh=True)),
        ("reminder counts: a case leader", lambda: engine.reminders.counts("leader7", ["case_leader"], fresh=True)),
    ]
    for label, fn in cases:
        median, worst = timed(fn)
        print(f"  {label:<42} median {median:7.1f} ms   worst {worst:7.1f} ms")
    engine.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tasks", type=int, default=100_000)
    ap.add_argument("--postgres-url", default=os.environ.get(
        "ANJIE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"))
    ap.add_argument("--skip-postgres", action="store_true")
    args = ap.parse_args()
    for backend in ["sqlite"] + ([] if args.skip_postgres else ["postgresql"]):
        with scratch_database(backend, args.postgres_url) as url:
            run(backend, url, args.tasks)


if __name__ == "__main__":
    main()
