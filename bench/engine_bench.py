"""Engine.complete against raw SpiffWorkflow on the shipped petition case, SQLite and PostgreSQL.

Both sides walk the same 16 human tasks of processes/petition_case.bpmn per case, from
registration to sign-off, persisting after every completion in its own transaction:

- engine: `Engine.complete` (restricted scripts, task and timer indexes, hash-chained history);
- raw:    SELECT the workflow JSON → deserialize → run the task → do_engine_steps →
          serialize → UPDATE, with SpiffWorkflow's own serializer and plain-eval scripts.

Usage: python bench/engine_bench.py [--cases 20] [--postgres-url URL] [--skip-postgres]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine, TaskDataEnvironment  # noqa: E402
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer  # noqa: E402
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow  # noqa: E402
from SpiffWorkflow.camunda.parser.CamundaParser import CamundaParser  # noqa: E402
from SpiffWorkflow.camunda.serializer import DEFAULT_CONFIG  # noqa: E402
from SpiffWorkflow.util.task import TaskState  # noqa: E402

from engine import Engine, FakeClock  # noqa: E402
from engine.database import scratch_database  # noqa: E402
from engine.scripting import HELPERS  # noqa: E402
from webapp.sample_case import MAIN_PATH  # noqa: E402

PROCESSES = ROOT / "processes"
PATH = MAIN_PATH


def bench_engine(url: str, cases: int) -> dict[str, float]:
    clock = FakeClock(__import__("datetime").datetime(2026, 3, 2, tzinfo=__import__("datetime").timezone.utc))
    engine = Engine.open(url, clock=clock)
    for name in ("risk_colour.dmn", "petition_case.bpmn"):
        engine.deploy(PROCESSES / name, actor="bench")
    ids = [engine.start("petition_case", {}, actor="bench").id for _ in range(cases)]
    latencies: list[float] = []
    start = time.perf_counter()
    for element, data in PATH:
        for iid in ids:
            task = next(t for t in engine.tasks(instance_id=iid) if t.element_id == element)
            t0 = time.perf_counter()
            engine.complete(task.id, data, actor=task.assignee or "bench")
            latencies.append(time.perf_counter() - t0)
    elapsed = time.perf_counter() - start
    with engine.sessionmaker() as s:
        size = s.execute(text("SELECT avg(length(state)) FROM instance")).scalar()
    assert engine.verify_history().ok
    engine.close()
    return {"per_sec": len(latencies) / elapsed, "p50_ms": statistics.median(latencies) * 1000,
            "state_bytes": float(size or 0)}


def bench_raw(url: str, cases: int) -> dict[str, float]:
    parser = CamundaParser()
    parser.add_dmn_file(str(PROCESSES / "risk_colour.dmn"))
    parser.add_bpmn_file(str(PROCESSES / "petition_case.bpmn"))
    spec = parser.get_spec("petition_case")
    subs = parser.get_subprocess_specs("petition_case")
    serializer = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(DEFAULT_CONFIG))
    script_engine = PythonScriptEngine(environment=TaskDataEnvironment(dict(HELPERS)))
    db = create_engine(url)
    with db.begin() as conn:
        conn.execute(text("CREATE TABLE raw_workflow (id INTEGER PRIMARY KEY, state TEXT NOT NULL)"))
        for i in range(cases):
            wf = BpmnWorkflow(spec, subs, script_engine=script_engine)
            wf.do_engine_steps()
            conn.execute(text("INSERT INTO raw_workflow (id, state) VALUES (:i, :s)"),
                         {"i": i, "s": serializer.serialize_json(wf)})
    latencies: list[float] = []
    start = time.perf_counter()
    for element, data in PATH:
        for i in range(cases):
            t0 = time.perf_counter()
            with db.begin() as conn:
                state = conn.execute(text("SELECT state FROM raw_workflow WHERE id = :i"), {"i": i}).scalar_one()
                wf = serializer.deserialize_json(state)
                wf.script_engine = script_engine
                task = next(t for t in wf.get_tasks(state=TaskState.READY)
                            if getattr(t.task_spec, "bpmn_id", None) == element)
                task.data.update(data)
                task.run()
                wf.do_engine_steps()
                conn.execute(text("UPDATE raw_workflow SET state = :s WHERE id = :i"),
                             {"i": i, "s": serializer.serialize_json(wf)})
            latencies.append(time.perf_counter() - t0)
    elapsed = time.perf_counter() - start
    with db.connect() as conn:
        size = conn.execute(text("SELECT avg(length(state)) FROM raw_workflow")).scalar()
    db.dispose()
    return {"per_sec": len(latencies) / elapsed, "p50_ms": statistics.median(latencies) * 1000,
            "state_bytes": float(size or 0)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cases", type=int, default=20)
    ap.add_argument("--postgres-url", default=os.environ.get(
        "ANJIE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"))
    ap.add_argument("--skip-postgres", action="store_true")
    args = ap.parse_args()
    print(f"petition_case, {args.cases} cases × {len(PATH)} task completions each, one transaction per completion")
    print(f"{'backend':<11}{'side':<8}{'completions/s':>15}{'p50 ms':>9}{'state bytes':>13}")
    backends = ["sqlite"] + ([] if args.skip_postgres else ["postgresql"])
    for backend in backends:
        results = {}
        for side, fn in (("raw", bench_raw), ("engine", bench_engine)):
            with scratch_database(backend, args.postgres_url) as url:
                results[side] = fn(url, args.cases)
            r = results[side]
            print(f"{backend:<11}{side:<8}{r['per_sec']:>15.1f}{r['p50_ms']:>9.1f}{r['state_bytes']:>13.0f}")
        ratio = results["raw"]["per_sec"] / results["engine"]["per_sec"]
        print(f"{backend:<11}engine time per completion / raw time: {ratio:.2f}× "
              "(below 1.0: the engine is faster; target ≤ 1.5)")


if __name__ == "__main__":
    main()
