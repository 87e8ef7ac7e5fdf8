"""The ledger at office scale: 100,000 cases exported to .xlsx, the dashboard figures, an import.

Fills a scratch database with N petition cases in bulk (instance rows with realistic case data
and the rate columns, one ready task each; no workflow runs), then
- exports the whole ledger to .xlsx (openpyxl write-only) in a fresh child process, so its peak
  RSS is the export's alone (target < 30 s, < 500 MB);
- times the dashboard figures of one campaign and of the office (engine/figures.py; target < 1 s);
- imports 10,000 rows with `bench/ledger_import.py: bench_import` (target < 60 s).

Usage: python bench/ledger_bench.py [--cases 100000] [--postgres-url URL] [--skip-postgres] [--skip-sqlite]
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.inbox_bench import timed  # noqa: E402
from bench.ledger_import import bench_import  # noqa: E402
from engine import Engine, FakeClock, LedgerFilter, dashboard_figures, write_xlsx  # noqa: E402
from engine.database import scratch_database  # noqa: E402
from engine.models import Deployment, HumanTask, Instance, TaskGroup  # noqa: E402

NOW = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
SUBJECTS = ["land_acquisition", "demolition", "labour_social_security", "environment", "education_health",
            "property_management", "agriculture", "organisation_personnel", "enterprise_restructuring", "other"]
STEPS = [("hear_petitioner", "听取信访人诉求"), ("write_inquiry_report", "撰写调查报告"),
         ("draft_case_plan", "制定一案一策方案"), ("solve_demand", "解决诉求"), ("draft_reply", "拟写答复意见")]
SURNAMES = "王李张刘陈杨赵黄周吴"
BATCH = 5_000


def case_data(i: int) -> dict[str, Any]:
    """The data a registered, triaged, assigned petition case carries."""
    received = NOW - timedelta(days=30 + i % 300)
    closed = i % 5 == 0
    return {
        "title": f"{SUBJECTS[i % 10]}问题 {i}", "received_at": received.date().isoformat(),
        "petition_source": ("visit", "letter", "phone", "online")[i % 4],
        "petitioner_names": "、".join(f"{SURNAMES[(i + k) % 10]}某{k}" for k in range(1 + (i % 7 == 0) * 4)),
        "petitioner_count": 5 if i % 7 == 0 else 1, "demand": "要求解决征地补偿、安置及社保待遇问题" * 2,
        "subject": SUBJECTS[i % 10], "backlog_case": True, "three_cross": i % 11 == 0,
        "three_separation": i % 13 == 0, "collective_petition": i % 7 == 0, "escalated_petition": i % 17 == 0,
        "extreme_statement": False, "repeat_count": i % 4, "campaign_id": f"c-{i % 4}",
        "risk_colour": ("red", "yellow", "green")[i % 3], "case_class": "ABC"[i % 3],
        "case_leader": f"leader{i % 50}", "case_handler": f"handler{i % 400}", "working_team": "工作专班",
        "resolution_plan": "化解方案（初步）" * 3, "stability_measures": "稳控措施", "handling_class": "solve",
        "accept_deadline": (received + timedelta(days=15)).isoformat(),
        "handling_deadline": (received + timedelta(days=75)).isoformat(),
        "reply_deadline": (received + timedelta(days=80)).isoformat(),
        **({"case_closed_at": (NOW - timedelta(days=i % 20)).isoformat(), "sign_off_result": "accepted",
            "petitioning_stopped": i % 10 == 0} if closed else {}),
    }


def fill(engine: Engine, n: int) -> None:
    """N cases, one ready task each, inserted in bulk with the columns the recorder would copy."""
    for name in ("risk_colour.dmn", "petition_case.bpmn"):
        engine.deploy(ROOT / "processes" / name, actor="bench")
    with engine.sessionmaker.begin() as s:
        dep_id = s.scalar(select(Deployment.id).where(Deployment.process_key == "petition_case"))
    for start in range(0, n, BATCH):
        instances, tasks, offers = [], [], []
        for i in range(start, min(n, start + BATCH)):
            iid, data = i + 1, case_data(i)
            closed_at = datetime.fromisoformat(data["case_closed_at"]) if "case_closed_at" in data else None
            instances.append(dict(
                id=iid, deployment_id=dep_id, process_key="petition_case", version=1,
                business_key=f"XF-2026-{iid:06d}", campaign_id=data["campaign_id"],
                risk_colour=data["risk_colour"], case_class=data["case_class"], final_petitions=0,
                status="running", data=data, state="{}", serializer_version=2, revision=1,
                started_at=NOW - timedelta(days=i % 300), started_by="bench", updated_at=NOW,
                last_seq=0, last_hash="", closed_at=closed_at, closed_by_procedure=False, reopens=0,
                stopped_at=closed_at if data.get("petitioning_stopped") else None, counted=True,
                subject=data["subject"], case_leader=data["case_leader"], case_handler=data["case_handler"]))
            element, name = STEPS[i % len(STEPS)]
            tid, due = str(uuid.UUID(int=iid)), NOW + timedelta(days=(i % 60) - 20)
            tasks.append(dict(id=tid, instance_id=iid, process_key="petition_case", element_id=element,
                              name=name, lane="case_handler", assignee=data["case_handler"],
                              candidate_groups=["case_handler"], due_at=due, state="ready", created_at=NOW))
            offers.append(dict(task_id=tid, group_name="case_handler", instance_id=iid, due_at=due, open=False))
        with engine.sessionmaker.begin() as s:
            s.execute(insert(Instance), instances)
            s.execute(insert(HumanTask), tasks)
            s.execute(insert(TaskGroup), offers)
    with engine.sessionmaker.begin() as s:
        if s.bind.dialect.name == "postgresql":
            # The rows carry their own ids: move the sequence past them, so cases the engine starts
            # afterwards (the import) get new ones.
            s.execute(text("SELECT setval(pg_get_serial_sequence('instance', 'id'), (SELECT max(id) FROM instance))"))
        s.execute(text("ANALYZE"))


def export_child(url: str, out: str) -> None:
    """In the child process: export the whole ledger to `out`; print rows, seconds, peak RSS."""
    engine = Engine.open(url, clock=FakeClock(NOW))
    t0, cpu = time.perf_counter(), time.process_time()
    with open(out, "wb") as fh:
        # Rendered as the web app renders them (text, numbers, 是/否), not as raw datetimes.
        rows = write_xlsx(engine.ledger_export.rows(LedgerFilter()), [f"c{k}" for k in range(21)], fh,
                          render=plain_cell)
    seconds, cpu = time.perf_counter() - t0, time.process_time() - cpu
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{rows} {seconds:.2f} {cpu:.2f} {peak_mb:.0f}")


def plain_cell(_column: str, value: Any) -> Any:
    """A cell as the web app writes it: lists joined, times as text, flags as 是/否."""
    if isinstance(value, list):
        return "、".join(value)
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    return value


def run(backend: str, url: str, n: int) -> None:
    engine = Engine.open(url, clock=FakeClock(NOW))
    t0 = time.perf_counter()
    fill(engine, n)
    print(f"{backend}: {n:,} cases inserted in {time.perf_counter() - t0:.1f} s "
          f"(load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "ledger.xlsx")
        child = subprocess.run([sys.executable, __file__, "--export-child", url, out],
                               capture_output=True, text=True, check=True)
        rows, seconds, cpu, peak = child.stdout.split()
        print(f"  ledger export to .xlsx: {int(rows):,} rows in {float(seconds):.1f} s ({float(cpu):.1f} s CPU), "
              f"peak RSS {peak} MB (child process), file {os.path.getsize(out) / 1e6:.1f} MB "
              f"[targets < 30 s, < 500 MB]")
    dashboard(engine)
    import_rows(engine)
    engine.close()


def dashboard(engine: Engine) -> None:
    """The dashboard's figures (engine/figures.py), for one campaign and for the office."""
    for label, campaign in (("one campaign", "c-1"), ("the office", None)):
        median, _worst = timed(lambda c=campaign: dashboard_figures(engine, c, NOW))
        print(f"  dashboard figures, {label}: median {median:.0f} ms [target < 1 s]")


def import_rows(engine: Engine) -> None:
    """The import of 10,000 rows (bench/ledger_import.py)."""
    print("  import of 10,000 rows [target < 60 s]:")
    for line in bench_import(engine, 10_000, start=10_000_000).lines():
        print(f"    {line}")


def main() -> None:
    if len(sys.argv) == 4 and sys.argv[1] == "--export-child":
        export_child(sys.argv[2], sys.argv[3])
        return
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cases", type=int, default=100_000)
    ap.add_argument("--postgres-url", default=os.environ.get(
        "ANJIE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"))
    ap.add_argument("--skip-postgres", action="store_true")
    ap.add_argument("--skip-sqlite", action="store_true")
    args = ap.parse_args()
    backends = ([] if args.skip_sqlite else ["sqlite"]) + ([] if args.skip_postgres else ["postgresql"])
    for backend in backends:
        with scratch_database(backend, args.postgres_url) as url:
            run(backend, url, args.cases)


if __name__ == "__main__":
    main()
