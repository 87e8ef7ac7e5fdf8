"""The audit's speed: replay at 1,000 events, verify-history of 10,000 cases, a checkpoint of
100,000 chains.

    python bench/replay_bench.py [--events 1000] [--cases 10000] [--chains 100000] [--postgres]

1. One case with --events history events (bench/loop_workload.bpmn, one person's task done
   again and again): `Engine.replay` at 50 random steps, median / p90 / slowest (target < 20 ms).
2. verify-history (chains, state digests, operation log) of --cases cases of 10 events each,
   written straight into the tables with the engine's own hashing (engine/chain.py), as
   starting that many cases through the engine would take minutes.
3. `anjie checkpoint` of --chains case chains (instance rows with their heads): signing and
   writing the file included (target < 10 s).

A scratch SQLite file, or with --postgres a scratch schema on ANJIE_TEST_POSTGRES_URL.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert, select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from engine import Engine, FakeClock, Settings  # noqa: E402
from engine.chain import GENESIS, Sealed, data_digest, link_hash, tasks_digest  # noqa: E402
from engine.database import scratch_database  # noqa: E402
from engine.models import Deployment, Event, Instance  # noqa: E402

LOOP = ROOT / "bench" / "loop_workload.bpmn"
START = datetime(2026, 3, 2, tzinfo=UTC)
POSTGRES = os.environ.get("ANJIE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def replay_part(url: str, events: int) -> None:
    engine = Engine.open(url, clock=FakeClock(START))
    engine.deploy(LOOP, actor="bench")
    inst = engine.start("loop_workload", {"done": False}, actor="bench")
    while len(engine.history(inst.id)) < events:
        inst = engine.complete(inst.tasks[0].id, {"done": False}, actor="bench")
    total = len(engine.history(inst.id))
    assert engine.replay(inst.id, total).data == engine.instance(inst.id).data
    steps = random.Random(15).sample(range(1, total + 1), 50)
    times = []
    for step in steps:
        t0 = time.perf_counter()
        engine.replay(inst.id, step)
        times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    print(f"replay at {total} events: median {statistics.median(times):.1f} ms, "
          f"p90 {times[int(len(times) * 0.9)]:.1f} ms, slowest {times[-1]:.1f} ms (target < 20 ms)")
    engine.close()


def _deployment(engine: Engine) -> int:
    engine.deploy(LOOP, actor="bench")
    with engine.sessionmaker() as s:
        return int(s.scalars(select(Deployment.id)).one())


def _instances(engine: Engine, count: int, events_each: int) -> None:
    """`count` finished cases with `events_each` chained format-2 events each."""
    dep = _deployment(engine)
    tasks = tasks_digest([])
    with engine.sessionmaker.begin() as s:
        for first in range(0, count, 2000):
            inst_rows, event_rows = [], []
            for n in range(first, min(first + 2000, count)):
                data = {"case": n, "petitioner": "李某", "result": "已化解"}
                digest = data_digest(data)
                prev = GENESIS
                for seq in range(1, events_each + 1):
                    at = START + timedelta(minutes=seq)
                    sealed = Sealed(2, n + 1, seq, "element_completed", f"step_{seq}", None, "bench", at,
                                    {}, {"result": [None, "已化解"]} if seq == events_each else {}, digest, tasks)
                    h = link_hash(prev, sealed)
                    event_rows.append(dict(instance_id=n + 1, seq=seq, type=sealed.type, element_id=sealed.element_id,
                                           task_id=None, actor="bench", at=at, detail={}, changes=sealed.changes,
                                           format=2, data_digest=digest, tasks_digest=tasks, prev_hash=prev, hash=h))
                    prev = h
                inst_rows.append(dict(id=n + 1, deployment_id=dep, process_key="loop_workload", version=1,
                                      status="completed", data=data, state="", serializer_version=1, revision=1,
                                      started_at=START, started_by="bench", updated_at=START,
                                      last_seq=events_each, last_hash=prev))
            s.execute(insert(Instance), inst_rows)
            if event_rows:
                s.execute(insert(Event), event_rows)


def verify_part(url: str, cases: int) -> None:
    engine = Engine.open(url, clock=FakeClock(START))
    _instances(engine, cases, 10)
    t0 = time.perf_counter()
    report = engine.audit.verify()
    elapsed = time.perf_counter() - t0
    assert report.ok, report.chains.broken[:3]
    print(f"verify-history of {report.chains.checked_instances} cases ({report.chains.checked_events} events): "
          f"{elapsed:.1f} s ({elapsed / cases * 1000:.2f} ms a case)")
    engine.close()


def checkpoint_part(url: str, chains: int, tmp: Path) -> None:
    engine = Engine.open(url, clock=FakeClock(START),
                         settings=Settings(database_url=url, instance_dir=str(tmp)))
    _instances(engine, chains, 0)
    with engine.sessionmaker.begin() as s:  # heads as cases that went on would have them
        s.execute(Instance.__table__.update().values(last_seq=12, last_hash="ab" * 32))
    private, public = engine.audit.keygen(tmp / "bench-key.pem")
    t0 = time.perf_counter()
    made = engine.audit.checkpoint(key=private, directory=tmp / "worm")
    elapsed = time.perf_counter() - t0
    size = Path(str(made.file)).stat().st_size
    print(f"checkpoint of {made.cases} chains: {elapsed:.2f} s, file {size / 1e6:.1f} MB (target < 10 s)")
    engine.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--events", type=int, default=1000)
    ap.add_argument("--cases", type=int, default=10_000)
    ap.add_argument("--chains", type=int, default=100_000)
    ap.add_argument("--postgres", action="store_true")
    args = ap.parse_args()
    kind = "postgresql" if args.postgres else "sqlite"
    print(f"database: {kind}")
    with scratch_database(kind, POSTGRES) as url:
        replay_part(url, args.events)
    with scratch_database(kind, POSTGRES) as url:
        verify_part(url, args.cases)
    with tempfile.TemporaryDirectory() as tmp, scratch_database(kind, POSTGRES) as url:
        checkpoint_part(url, args.chains, Path(tmp))


if __name__ == "__main__":
    main()
