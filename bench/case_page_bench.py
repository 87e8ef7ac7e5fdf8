"""The case page at 1,000 history events, and the history one petition case leaves behind.

    python bench/case_page_bench.py [--events 1000] [--requests 20]

Prints the server time of GET /cases/<id> (median and fastest wall clock, and median CPU
time, through Flask's test client, no network) for a case with --events events, and the events and bytes of history (the
stored columns of every event row) of one petition case walked from registration to
sign-off along the main path. SQLite file in a temporary folder.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import event, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.petition_walk import WALK_CLOCK, WALK_PATH, prepare, provide_documents  # noqa: E402
from engine import Engine, FakeClock, Settings  # noqa: E402
from engine.database import scratch_database  # noqa: E402
from webapp import create_app  # noqa: E402

PASSWORD = "bench password 1"
EVENT_BYTES = text(
    "SELECT count(*), sum(length(type) + length(coalesce(element_id, '')) + length(coalesce(task_id, ''))"
    " + length(actor) + length(detail) + length(changes) + length(prev_hash) + length(hash) + 3 * 8 + 26)"
    " FROM event WHERE instance_id = :i"
)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--events", type=int, default=1000)
    ap.add_argument("--requests", type=int, default=20)
    ap.add_argument("--profile", action="store_true",
                    help="print the 30 costliest functions (cProfile, cumulative) and the SQL of one request")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp, scratch_database("sqlite") as url:
        settings = Settings(database_url=url, secret_key="bench", upload_dir=f"{tmp}/up")
        engine = Engine.open(url, settings=settings, clock=FakeClock(WALK_CLOCK))
        for name in ("risk_colour.dmn", "petition_case.bpmn"):
            engine.deploy(ROOT / "processes" / name, actor="bench")
        prepare(engine)
        case = engine.start("petition_case", {}, actor="bench")
        for element, data in WALK_PATH:
            task = next(t for t in engine.tasks(instance_id=case.id) if t.element_id == element)
            provide_documents(engine, case.id, task.id, data)
            engine.complete(task.id, data, actor=task.assignee or "bench")
        with engine.sessionmaker() as s:
            count, size = s.execute(EVENT_BYTES, {"i": case.id}).one()
        print(f"one petition case, main path: {count} events, {size / 1000:.1f} KB of history")

        engine.accounts.add_user("auditor", PASSWORD, ["auditor"])
        engine.accounts.add_user("clerk", PASSWORD, ["intake_clerk"])
        long = engine.start("petition_case", {}, actor="bench")
        task = long.tasks[0]
        while len(engine.history(long.id)) < args.events:
            engine.assign(task.id, "clerk", actor="bench")
            engine.unclaim(task.id, actor="clerk")
        events = len(engine.history(long.id))
        app = create_app(settings, engine=engine)
        app.config.update(TESTING=True, WTF_CSRF_ENABLED=False)  # the login form in the test client
        client = app.test_client()
        client.post("/login", data={"username": "auditor", "password": PASSWORD})
        client.get(f"/cases/{long.id}")  # warm: templates compiled, diagram parsed
        times, cpu = [], []
        for _ in range(args.requests):
            t0, c0 = time.perf_counter(), time.process_time()
            assert client.get(f"/cases/{long.id}").status_code == 200
            times.append((time.perf_counter() - t0) * 1000)
            cpu.append((time.process_time() - c0) * 1000)
        if args.profile:
            profile(client, f"/cases/{long.id}", engine)
        print(f"case page at {events} events: median {statistics.median(times):.1f} ms, "
              f"fastest {min(times):.1f} ms over {args.requests} requests (target ≤ 50 ms); "
              f"CPU median {statistics.median(cpu):.1f} ms (moves less on a shared machine)")
        engine.close()


def profile(client: Any, path: str, engine: Engine) -> None:
    """The SQL statements of one request, then where the time of ten requests goes."""
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        statements.append(" ".join(statement.split())[:120])

    bind = engine.sessionmaker.kw["bind"]
    event.listen(bind, "before_cursor_execute", record)
    client.get(path)
    event.remove(bind, "before_cursor_execute", record)
    print(f"{len(statements)} SQL statements in one request:", *statements, sep="\n  ")
    prof = cProfile.Profile()
    prof.enable()
    for _ in range(10):
        client.get(path)
    prof.disable()
    stats = pstats.Stats(prof).sort_stats("cumulative")
    stats.print_stats(30)
    stats.print_callees("render_case")
    stats.sort_stats("tottime").print_stats(25)


if __name__ == "__main__":
    main()
