"""The dashboard's figures (engine.figures.dashboard_figures) on 100,000 cases: office-wide and
for one campaign of 25,000.

    python bench/dashboard_bench.py [--cases 100000] [--skip-postgres]

Cases are inserted in bulk with the rate columns the recorder copies at save (no workflow runs):
a third closed (one in ten of those by procedure, some reopened), a fifth stopped petitioning,
one open task each with due dates spread around now. Target: < 1 s per dashboard.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import insert, select, text  # noqa: E402

from bench.inbox_bench import timed  # noqa: E402
from engine import Engine, FakeClock, dashboard_figures  # noqa: E402
from engine.database import scratch_database  # noqa: E402
from engine.models import Deployment, HumanTask, Instance  # noqa: E402

NOW = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
SUBJECTS = ["land_acquisition", "demolition", "labour_social_security", "environment", "agriculture"]
BATCH = 5_000


def fill(engine: Engine, n: int) -> None:
    """N cases with their rate columns and one ready task each, inserted in bulk."""
    deployment = engine.deploy(ROOT / "tests" / "engine" / "diagrams" / "hand_case.bpmn", actor="bench")[0]
    with engine.sessionmaker.begin() as s:
        dep_id = s.scalar(select(Deployment.id).where(Deployment.process_key == deployment.process_key))
    for handler in range(20):
        engine.accounts.add_user(f"handler{handler}", "Bench-password-1", ["case_handler"], unit=f"单位{handler % 7}")
    for start in range(0, n, BATCH):
        instances: list[dict[str, Any]] = []
        tasks: list[dict[str, Any]] = []
        for i in range(start, min(n, start + BATCH)):
            iid = i + 1
            started = NOW - timedelta(days=i % 180, hours=i % 24)
            closed = started + timedelta(days=20) if i % 3 == 0 and started + timedelta(days=20) < NOW else None
            instances.append(dict(
                id=iid, deployment_id=dep_id, process_key="hand_case", version=1,
                business_key=f"XF-{iid:06d}", campaign_id=f"c-{i % 4}", risk_colour=("red", "yellow", "green")[i % 3],
                case_class="ABC"[i % 3], status="completed" if closed else "running",
                data={"title": f"案件{iid}", "case_leader": f"leader{i % 50}"},
                state="{}", serializer_version=2, revision=1, started_at=started, started_by="bench",
                updated_at=NOW, last_seq=0, last_hash="", closed_at=closed,
                closed_by_procedure=closed is not None and i % 10 == 0, reopens=1 if i % 97 == 0 else 0,
                reopened_at=NOW - timedelta(days=2) if i % 97 == 0 else None,
                stopped_at=closed if i % 5 == 0 else None, counted=i % 50 != 0, subject=SUBJECTS[i % 5],
                case_leader=f"leader{i % 50}", case_handler=f"handler{i % 20}", final_petitions=0,
            ))
            if closed is None:
                tasks.append(dict(
                    id=str(uuid.UUID(int=iid)), instance_id=iid, process_key="hand_case", element_id="work",
                    name="办理", lane=None, assignee=f"handler{i % 20}", candidate_groups=["case_handler"],
                    due_at=NOW + timedelta(days=(i % 90) - 30), state="ready", created_at=started))
        with engine.sessionmaker.begin() as s:
            s.execute(insert(Instance), instances)
            if tasks:
                s.execute(insert(HumanTask), tasks)
    with engine.sessionmaker.begin() as s:
        s.execute(text("ANALYZE"))


def run(backend: str, url: str, n: int) -> None:
    engine = Engine.open(url, clock=FakeClock(NOW))
    t0 = time.perf_counter()
    fill(engine, n)
    print(f"{backend}: {n:,} cases inserted in {time.perf_counter() - t0:.1f} s")
    for label, campaign in (("office (all cases)", None), ("one campaign (a quarter)", "c-1")):
        median, worst = timed(lambda c=campaign: dashboard_figures(engine, c, NOW))
        print(f"  dashboard_figures, {label:<26} median {median:7.1f} ms   worst {worst:7.1f} ms")
    figures = dashboard_figures(engine, None, NOW)
    print(f"  office: {figures.total:,} counted, closed {figures.rates['closed_rate'].percent}%, "
          f"overdue {figures.overdue_count:,}, {len(figures.weekly)} weeks")
    engine.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cases", type=int, default=100_000)
    ap.add_argument("--postgres-url", default=os.environ.get(
        "ANJIE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"))
    ap.add_argument("--skip-postgres", action="store_true")
    args = ap.parse_args()
    for backend in ["sqlite"] + ([] if args.skip_postgres else ["postgresql"]):
        with scratch_database(backend, args.postgres_url) as url:
            run(backend, url, args.cases)


if __name__ == "__main__":
    main()
