"""The auditor's pages at 1,000 history events: audit page server time, a replay step, the
step panel the page's script loads, and the heatmap of a process version.

    python bench/audit_bench.py [--events 1000] [--requests 20] [--steps 200] [--cases 30]

One petition case walked along the main path (data changes on most steps), then claimed and
given back until it has --events events; --cases more cases walked the main path for the
heatmap. Server times through Flask's test client (no network); SQLite file in a temporary
folder. Targets: audit page < 100 ms, replay step < 20 ms.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from engine import Engine, FakeClock, Settings, replay_events  # noqa: E402
from engine.database import scratch_database  # noqa: E402
from webapp import create_app, demo  # noqa: E402
from webapp.sample_case import MAIN_PATH  # noqa: E402

PASSWORD = "bench password 1"


def walk(engine: Engine, clock: FakeClock, rng: random.Random) -> int:
    """One petition case along the main path (as the demo walks it), hours to days between steps."""
    case = engine.start("petition_case", {"campaign_id": "bench"}, actor="clerk")
    for element, data in MAIN_PATH:
        clock.advance(hours=rng.randint(1, 72))
        if element == "record_reply":
            data = {**data, "reply_delivered_on": clock().date().isoformat()}
        if demo.walk(engine, case.id, [(element, data)]) != 1:
            raise SystemExit(f"the bench case stopped at {element}")
    return case.id


def timed(fn: Callable[[], object], n: int) -> list[float]:
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return times


def report(label: str, times: list[float], target: float) -> None:
    p95 = sorted(times)[max(0, int(len(times) * 0.95) - 1)]
    print(f"{label}: median {statistics.median(times):.1f} ms, p95 {p95:.1f} ms, fastest {min(times):.1f} ms"
          f" over {len(times)} (target < {target:.0f} ms)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--events", type=int, default=1000)
    ap.add_argument("--requests", type=int, default=20)
    ap.add_argument("--steps", type=int, default=200)
    ap.add_argument("--cases", type=int, default=30)
    args = ap.parse_args()
    rng = random.Random(15)
    clock = FakeClock(datetime(2026, 3, 2, tzinfo=UTC))
    with tempfile.TemporaryDirectory() as tmp, scratch_database("sqlite") as url:
        settings = Settings(database_url=url, secret_key="bench", upload_dir=f"{tmp}/up")
        engine = Engine.open(url, settings=settings, clock=clock)
        for name in ("risk_colour.dmn", "petition_case.bpmn"):
            engine.deploy(ROOT / "processes" / name, actor="bench")
        engine.accounts.scrypt_n = 2**4
        demo.ensure_users(engine)
        engine.accounts.set_password("auditor", PASSWORD)
        long = walk(engine, clock, rng)
        task = next(t for t in engine.tasks(instance_id=long) if t.assignee is None)
        member = next(u for u, groups in demo.DEMO_USERS.items() if set(groups) & set(task.candidate_groups))
        while len(engine.history(long)) < args.events:
            engine.claim(task.id, actor=member)
            engine.unclaim(task.id, actor=member)
        history = engine.history(long)
        last = history[-1].seq
        print(f"case {long}: {last} events, {sum(1 for e in history if e.changes)} with data changes")

        steps = [rng.randint(1, last) for _ in range(args.steps)]
        pick = iter(steps * 2)
        report("replay step, from the events in memory (as the page does)",
               timed(lambda: replay_events(long, history, next(pick)), args.steps), 20)
        report("replay step, Engine.replay (reads the events)",
               timed(lambda: engine.replay(long, next(pick)), args.steps), 20)

        app = create_app(settings, engine=engine)
        app.config.update(TESTING=True, WTF_CSRF_ENABLED=False)  # the login form in the test client
        client = app.test_client()
        client.post("/login", data={"username": "auditor", "password": PASSWORD})
        assert client.get(f"/cases/{long}/audit").status_code == 200  # warm: templates, diagram parsed
        report(f"audit page at {last} events, last step",
               timed(lambda: client.get(f"/cases/{long}/audit"), args.requests), 100)
        at = iter(steps)
        report(f"audit page at {last} events, random step",
               timed(lambda: client.get(f"/cases/{long}/audit?step={next(at)}"), args.requests), 100)
        report("step panel (what a key press loads)",
               timed(lambda: client.get(f"/cases/{long}/audit/state?step={next(at)}"), args.requests), 100)

        for _ in range(args.cases):
            walk(engine, clock, rng)
        report(f"heatmap page over {args.cases + 1} cases",
               timed(lambda: client.get("/heatmap/petition_case/v1"), max(3, args.requests // 4)), 1000)
        engine.close()


if __name__ == "__main__":
    main()
