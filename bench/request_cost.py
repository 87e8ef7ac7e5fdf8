"""What one API request costs the server: CPU time and SQL statements per request kind.

    python bench/request_cost.py [--cases 30] [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/test]

Runs the peer workload (bench/peer_workload.bpmn: start, then inbox → claim → complete for each
of two tasks) through Flask's test client, in this process and thread, so the CPU time measured
is the server's own work per request (no network, no other client), which moves far less than
wall clock on a shared machine. Prints the median CPU milliseconds and the statements sent per
request kind. SQLite file in a temporary folder unless --database-url names a PostgreSQL server.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from sqlalchemy import event

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from engine import Engine, Settings  # noqa: E402
from engine.database import scratch_database  # noqa: E402
from webapp import create_app  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cases", type=int, default=30)
    ap.add_argument("--database-url", default=None, help="PostgreSQL server (default: a SQLite file)")
    args = ap.parse_args()
    kind = "postgresql" if args.database_url else "sqlite"
    with tempfile.TemporaryDirectory() as tmp, scratch_database(kind, args.database_url) as url:
        settings = Settings(database_url=url, secret_key="bench", upload_dir=f"{tmp}/up")
        engine = Engine.open(url, settings=settings)
        engine.deploy(ROOT / "bench" / "peer_workload.bpmn", actor="designer")
        engine.accounts.scrypt_n = 2**4
        engine.accounts.add_user("bench", "bench password", ["intake_clerk", "case_handler"])
        headers = {"Authorization": f"Bearer {engine.accounts.create_token('bench')}"}
        client = create_app(settings, engine=engine).test_client()
        statements: list[str] = []

        def count(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
            statements.append(statement)

        event.listen(engine.sessionmaker.kw["bind"], "before_cursor_execute", count)
        cpu: dict[str, list[float]] = defaultdict(list)
        sent: dict[str, int] = defaultdict(int)

        def measured(kind: str, method: str, path: str, body: Any = None) -> Any:
            statements.clear()
            start = time.process_time()
            resp = client.open(path, method=method, headers=headers, json=body)
            cpu[kind].append(time.process_time() - start)
            sent[kind] += len(statements)
            assert resp.status_code in (200, 201), (kind, resp.status_code, resp.json)
            return resp.json

        for n in range(args.cases):
            measured("start", "POST", "/api/v1/instances",
                     {"process_key": "peer_workload", "data": {"title": f"压测{n}"}})
            for _ in range(2):
                inbox = measured("inbox", "GET", "/api/v1/tasks?per_page=20")
                item = next(i for i in inbox["items"] if i["assignee"] is None)
                measured("claim", "POST", f"/api/v1/tasks/{item['task_id']}/claim")
                measured("complete", "POST", f"/api/v1/tasks/{item['task_id']}/complete", {"data": {}})
        print(f"{kind}, {args.cases} cases of the peer workload, per request:")
        for kind_, values in cpu.items():
            print(f"  {kind_:<9} CPU median {statistics.median(values) * 1000:6.2f} ms, "
                  f"{sent[kind_] / len(values):4.1f} SQL statements")
        engine.close()


if __name__ == "__main__":
    main()
