"""HTTP benchmark: N cases started and every task completed over the JSON API by several
concurrent clients, beside the engine facade doing the same work in-process, in one run.

    python bench/http_bench.py --instances 100 --clients 4
    python bench/http_bench.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/test

Prints task completions per second and p50/p95 latency per request kind. The server runs on a
loopback port in this process (threaded werkzeug); traffic goes to 127.0.0.1 only. A PostgreSQL
run uses a fresh schema that is dropped at the end.

With --url the same clients drive a server that is already running (gunicorn, or another
product's API shaped like ours) on bench/peer_workload.bpmn, two person's tasks per case:

    anjie deploy bench/peer_workload.bpmn
    anjie user add bench -g intake_clerk -g case_handler      # then: anjie token create bench
    gunicorn -w 1 -k gthread --threads 4 -b 127.0.0.1:8000 'webapp.wsgi:app'
    python bench/http_bench.py --url http://127.0.0.1:8000 --token TOKEN --instances 100

With --gunicorn it starts gunicorn itself (webapp/gunicorn_conf.py) on a fresh database for
each workers x threads shape and drives it the same way, then prints a table:

    python bench/http_bench.py --gunicorn 1x1,1x4,2x4,4x4 --instances 100
    python bench/http_bench.py --gunicorn 1x4,2x4 --database-url postgresql+psycopg://postgres@127.0.0.1:5432/test

With --peer it first asks the package index whether the peer product (spiff-arena's backend,
`spiffworkflow-backend`) can be installed here, and says so; the comparison run needs that
server up and shaped like our API (or an adapter), which this script does not provide.
"""

from __future__ import annotations

import argparse
import http.client
import json
import logging
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from werkzeug.serving import make_server

from engine import Engine, Settings
from engine.database import scratch_database
from webapp import create_app

DIAGRAM = Path(__file__).resolve().parent.parent / "tests" / "webapp" / "diagrams" / \
    "web_petition.bpmn"
FORMS = {
    "visit_petitioner": {"visit_date": "2025-04-17", "visit_notes": "当面听取"},
    "draft_reply": {"reply_text": "答复意见"},
    "approve_reply": {"approved": True},
}


class Timings:
    """Latencies per request kind, thread-safe."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.samples: dict[str, list[float]] = defaultdict(list)

    def add(self, kind: str, seconds: float) -> None:
        with self.lock:
            self.samples[kind].append(seconds)

    def percentiles(self, kind: str) -> tuple[float, float]:
        """p50 and p95 of one request kind, in milliseconds."""
        values = sorted(self.samples[kind])
        p95 = values[min(len(values) - 1, int(len(values) * 0.95))]
        return statistics.median(values) * 1000, p95 * 1000

    def report(self, title: str, completions: int, wall: float) -> float:
        """Print completions/s and p50/p95 per request kind; returns completions/s."""
        print(f"\n{title}: {completions} task completions in {wall:.2f} s = "
              f"{completions / wall:.1f} completions/s")
        for kind, values in sorted(self.samples.items()):
            p50, p95 = self.percentiles(kind)
            print(f"  {kind:<10} n={len(values):<6} p50={p50:7.1f} ms  p95={p95:7.1f} ms")
        return completions / wall


class Client:
    """One API client on its own keep-alive connection."""

    def __init__(self, port: int, token: str, timings: Timings, host: str = "127.0.0.1") -> None:
        self.conn = http.client.HTTPConnection(host, port, timeout=60)
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        self.timings = timings

    def call(self, kind: str, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        start = time.perf_counter()
        self.conn.request(method, "/api/v1" + path,
                          body=None if body is None else json.dumps(body), headers=self.headers)
        resp = self.conn.getresponse()
        data = resp.read()
        self.timings.add(kind, time.perf_counter() - start)
        return resp.status, json.loads(data) if data else None


def work(port: int, tokens: list[str], timings: Timings, counter: list[int],
         lock: threading.Lock, deadline: float, host: str = "127.0.0.1") -> None:
    """Claim and complete tasks (as a handler, then as a leader) until none are left."""
    clients = [Client(port, t, timings, host) for t in tokens]
    # Each worker starts at its own place in the shared inbox, as colleagues pick different
    # cases: otherwise every client races for the first item and most claims are lost.
    offset = random.randrange(20)
    idle = 0
    while time.monotonic() < deadline and idle < 2:
        did = False
        for client in clients:
            status, inbox = client.call("inbox", "GET", "/tasks?per_page=20")
            items = (inbox or {}).get("items", [])
            for item in items[offset % max(len(items), 1):] + items[:offset % max(len(items), 1)]:
                if item["assignee"] is None:
                    status, _ = client.call("claim", "POST", f"/tasks/{item['task_id']}/claim")
                    if status != 200:
                        continue
                status, _ = client.call("complete", "POST",
                                        f"/tasks/{item['task_id']}/complete",
                                        {"data": FORMS.get(item["element_id"], {})})
                if status == 200:
                    did = True
                    with lock:
                        counter[0] += 1
                    break
        idle = 0 if did else idle + 1


@contextmanager
def fresh_url(url: str | None) -> Iterator[str]:
    """A new PostgreSQL schema on the server at `url`, or a temporary SQLite file."""
    with scratch_database("postgresql" if url else "sqlite", url) as scratch:
        yield scratch


def drive(url: str, token: str, instances: int, clients: int, max_seconds: float) -> tuple[float, Timings]:
    """Start `instances` peer workload cases on a running server and work them off; returns
    completions/s and the timings."""
    where = urlsplit(url)
    host, port = where.hostname or "127.0.0.1", where.port or 80
    timings = Timings()
    starter = Client(port, token, timings, host)
    begin = time.perf_counter()
    for n in range(instances):
        status, body = starter.call("start", "POST", "/instances",
                                    {"process_key": "peer_workload", "data": {"title": f"压测{n}"}})
        if status not in (200, 201):
            raise SystemExit(f"starting a case failed: HTTP {status} {body}")
    counter, lock = [0], threading.Lock()
    deadline = time.monotonic() + max_seconds
    threads = [threading.Thread(target=work, args=(port, [token], timings, counter, lock, deadline, host))
               for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return timings.report(f"HTTP API at {url}", counter[0], time.perf_counter() - begin), timings


PEER_WORKLOAD = Path(__file__).resolve().parent / "peer_workload.bpmn"


def gunicorn_grid(shapes: list[str], database_url: str | None, instances: int, clients: int,
                  max_seconds: float) -> None:
    """For each WORKERSxTHREADS shape: a fresh database, gunicorn started on it with that many
    gthread workers and threads, driven with `drive` (peer workload), then stopped; a table at the end."""
    rows = []
    for shape in shapes:
        workers, threads = (int(x) for x in shape.lower().split("x"))
        with tempfile.TemporaryDirectory() as tmp, fresh_url(database_url) as url:
            settings = Settings(database_url=url, secret_key="bench", upload_dir=f"{tmp}/up")
            engine = Engine.open(url, settings=settings)
            engine.deploy(PEER_WORKLOAD, actor="designer")
            engine.accounts.scrypt_n = 2**4
            engine.accounts.add_user("bench", "bench password", ["intake_clerk", "case_handler"])
            token = engine.accounts.create_token("bench")
            engine.close()
            with socket.socket() as probe:
                probe.bind(("127.0.0.1", 0))
                port = probe.getsockname()[1]
            env = {**os.environ, "ANJIE_DATABASE_URL": url, "ANJIE_SECRET_KEY": "bench",
                   "ANJIE_UPLOAD_DIR": f"{tmp}/up", "ANJIE_INSTANCE_DIR": tmp,
                   "ANJIE_WEB_WORKERS": str(workers), "ANJIE_WEB_THREADS": str(threads)}
            server = subprocess.Popen(
                [str(Path(sys.executable).with_name("gunicorn")), "-c", "python:webapp.gunicorn_conf",
                 "-b", f"127.0.0.1:{port}", "--log-level", "warning", "webapp.wsgi:app"],
                env=env, cwd=Path(__file__).resolve().parent.parent)
            try:
                _wait_for(port)
                print(f"\n== gunicorn {workers} worker(s) x {threads} thread(s), {engine_kind(url)}")
                rate, timings = drive(f"http://127.0.0.1:{port}", token, instances, clients, max_seconds)
                rows.append((workers, threads, rate, timings))
            finally:
                server.terminate()
                server.wait(timeout=30)
    print(f"\n{'workers x threads':<18} {'completions/s':>13} {'inbox p50':>10} {'complete p50':>13} "
          f"{'complete p95':>13}")
    for workers, threads, rate, timings in rows:
        print(f"{workers} x {threads:<14} {rate:13.1f} {timings.percentiles('inbox')[0]:8.1f} ms"
              f" {timings.percentiles('complete')[0]:10.1f} ms {timings.percentiles('complete')[1]:10.1f} ms")


def engine_kind(url: str) -> str:
    return "PostgreSQL" if url.startswith("postgresql") else "SQLite"


def _wait_for(port: int, seconds: float = 60) -> None:
    """Until the server on `port` answers (gunicorn imports the app in every worker first)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/api/v1/openapi.json")
            if conn.getresponse().status in (200, 401):
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"gunicorn did not answer on port {port} within {seconds:.0f} s")


PEER_PACKAGE = "spiffworkflow-backend"


def check_peer() -> bool:
    """Whether the peer's backend can be fetched from the package index; prints what pip said."""
    with tempfile.TemporaryDirectory() as tmp:
        done = subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", tmp, PEER_PACKAGE],
                              capture_output=True, text=True, timeout=120)
    if done.returncode == 0:
        print(f"peer: {PEER_PACKAGE} can be installed here; run it and point --url at it")
        return True
    reason = (done.stderr.strip().splitlines() or ["no output"])[-1]
    print(f"peer: {PEER_PACKAGE} cannot be installed from this machine's package index ({reason}); "
          "no peer figures in this run")
    return False


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default=None,
                        help="drive this running server with bench/peer_workload.bpmn (needs --token)")
    parser.add_argument("--token", default=None, help="bearer token of a clerk and handler (with --url)")
    parser.add_argument("--instances", type=int, default=50)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--database-url", default=None,
                        help="PostgreSQL URL (default: a SQLite file in a temp folder)")
    parser.add_argument("--max-seconds", type=float, default=300)
    parser.add_argument("--peer", action="store_true", help=f"check whether {PEER_PACKAGE} installs here first")
    parser.add_argument("--gunicorn", default=None, metavar="WxT,...",
                        help="start gunicorn on a fresh database per shape (e.g. 1x4,2x4,4x2) and drive it")
    args = parser.parse_args()
    if args.peer:
        check_peer()
    if args.gunicorn:
        gunicorn_grid(args.gunicorn.split(","), args.database_url, args.instances, args.clients, args.max_seconds)
        return
    if args.url:
        if not args.token:
            parser.error("--url needs --token")
        drive(args.url, args.token, args.instances, args.clients, args.max_seconds)
        return
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no per-request log lines

    with tempfile.TemporaryDirectory() as tmp:
        with fresh_url(args.database_url) as url:
            settings = Settings(database_url=url, secret_key="bench", upload_dir=f"{tmp}/up")
            engine = Engine.open(url, settings=settings)
            engine.deploy(DIAGRAM, actor="designer")
            for name, groups in (("clerk", ["intake_clerk"]), ("leader", ["case_leader"])):
                engine.accounts.add_user(name, "bench password", groups)
            handlers = [f"handler{i}" for i in range(args.clients)]
            for name in handlers:
                engine.accounts.add_user(name, "bench password", ["case_handler"])
            app = create_app(settings, engine=engine)
            server = make_server("127.0.0.1", 0, app, threaded=True)
            threading.Thread(target=server.serve_forever, daemon=True).start()
            port = server.server_port
            dialect = engine.sessionmaker.kw["bind"].dialect.name
            print(f"database: {dialect}; {args.instances} cases, {args.clients} clients, 3 tasks per case")

            timings = Timings()
            clerk = Client(port, engine.accounts.create_token("clerk"), timings)
            leader_token = engine.accounts.create_token("leader")
            begin = time.perf_counter()
            for n in range(args.instances):
                clerk.call("start", "POST", "/instances", {
                    "process_key": "web_petition", "data": {"title": f"压测{n}"}})
            counter, lock = [0], threading.Lock()
            deadline = time.monotonic() + args.max_seconds
            threads = [threading.Thread(target=work, args=(
                port, [engine.accounts.create_token(h), leader_token], timings, counter, lock,
                deadline)) for h in handlers]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            timings.report("HTTP API", counter[0], time.perf_counter() - begin)
            server.shutdown()

            # The same work through the facade, in-process, one caller.
            local = Timings()
            begin = time.perf_counter()
            done = 0
            for n in range(args.instances):
                start = time.perf_counter()
                instance = engine.start("web_petition", {"title": f"直连{n}"}, actor="clerk")
                local.add("start", time.perf_counter() - start)
                while instance.tasks:
                    task = instance.tasks[0]
                    start = time.perf_counter()
                    engine.claim(task.id, actor="handler0")
                    local.add("claim", time.perf_counter() - start)
                    start = time.perf_counter()
                    instance = engine.complete(task.id, FORMS[task.element_id], actor="handler0")
                    local.add("complete", time.perf_counter() - start)
                    done += 1
            local.report("engine facade in-process", done, time.perf_counter() - begin)
            engine.close()


if __name__ == "__main__":
    main()
