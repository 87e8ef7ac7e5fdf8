"""A small external-task worker: fetch service tasks by topic, run a handler, report the result.

Talks to an `Engine` in the same process (`EngineClient`) or to the JSON API of a running
Anjie (`HttpClient`, a bearer token of an account with the service_worker role):

    client = HttpClient("https://anjie.example/api/v1", token)
    worker = Worker(client, "sms-gateway-1", {"sms": send_sms})
    worker.run(interval=5)

A handler takes the task (`Job`) and returns the output data to store on the case. When it
raises, the failure is reported with one retry fewer (`retries` the first time) after a
back-off of `retry_in_seconds`; with none left the case gets an incident a coordinator retries.
"""

from __future__ import annotations

import json
import time
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from engine import Engine


@dataclass(frozen=True)
class Job:
    """One locked external task as a worker sees it."""

    id: str
    topic: str
    instance_id: int
    element_id: str
    data: dict[str, Any]
    retries: int | None


Handler = Callable[[Job], Mapping[str, Any] | None]


class Client(Protocol):
    """What a worker needs of Anjie."""

    def fetch_and_lock(self, worker_id: str, topics: list[str], max_tasks: int, lock_seconds: int) -> list[Job]: ...

    def complete(self, job: Job, worker_id: str, data: dict[str, Any]) -> None: ...

    def fail(self, job: Job, worker_id: str, message: str, retries: int, retry_in_seconds: int) -> None: ...


def _job(value: Mapping[str, Any]) -> Job:
    return Job(id=str(value["id"]), topic=str(value["topic"]), instance_id=int(value["instance_id"]),
               element_id=str(value["element_id"]), data=dict(value.get("data") or {}),
               retries=value.get("retries"))


class EngineClient:
    """A worker inside the Anjie process itself (or a test)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def fetch_and_lock(self, worker_id: str, topics: list[str], max_tasks: int, lock_seconds: int) -> list[Job]:
        found = self.engine.fetch_and_lock(worker_id, topics, max_tasks=max_tasks, lock_seconds=lock_seconds)
        return [_job(vars(t)) for t in found]

    def complete(self, job: Job, worker_id: str, data: dict[str, Any]) -> None:
        self.engine.complete_external(job.id, worker_id=worker_id, data=data)

    def fail(self, job: Job, worker_id: str, message: str, retries: int, retry_in_seconds: int) -> None:
        self.engine.fail_external(job.id, worker_id=worker_id, message=message, retries=retries,
                                  retry_in_seconds=retry_in_seconds)


Post = Callable[[str, dict[str, Any]], Any]


class HttpClient:
    """A worker in another process, over /api/v1/external-tasks with a bearer token.

    `post(path, body) -> parsed JSON` may be given instead (tests use Flask's test client).
    """

    def __init__(self, base_url: str = "", token: str = "", *, post: Post | None = None, timeout: float = 30) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.timeout = timeout
        self._post = post or self._urllib_post

    def _urllib_post(self, path: str, body: dict[str, Any]) -> Any:
        request = urllib.request.Request(
            f"{self.base_url}{path}", data=json.dumps(body).encode("utf-8"), method="POST",
            headers={"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310 - the configured URL
            return json.loads(response.read().decode("utf-8"))

    def fetch_and_lock(self, worker_id: str, topics: list[str], max_tasks: int, lock_seconds: int) -> list[Job]:
        found = self._post("/external-tasks/fetch-and-lock", {
            "worker_id": worker_id, "topics": topics, "max_tasks": max_tasks, "lock_seconds": lock_seconds})
        return [_job(t) for t in found]

    def complete(self, job: Job, worker_id: str, data: dict[str, Any]) -> None:
        self._post(f"/external-tasks/{job.id}/complete", {"worker_id": worker_id, "data": data})

    def fail(self, job: Job, worker_id: str, message: str, retries: int, retry_in_seconds: int) -> None:
        self._post(f"/external-tasks/{job.id}/failure", {
            "worker_id": worker_id, "message": message, "retries": retries, "retry_in_seconds": retry_in_seconds})


class Worker:
    """Fetches tasks of its handlers' topics and reports each one done or failed."""

    def __init__(self, client: Client, worker_id: str, handlers: Mapping[str, Handler], *, lock_seconds: int = 60,
                 max_tasks: int = 10, retries: int = 3, retry_in_seconds: int = 60) -> None:
        self.client = client
        self.worker_id = worker_id
        self.handlers = dict(handlers)
        self.lock_seconds = lock_seconds
        self.max_tasks = max_tasks
        self.retries = retries
        self.retry_in_seconds = retry_in_seconds

    def run_once(self) -> int:
        """Fetch once and work every task fetched; how many were done (not failed)."""
        jobs = self.client.fetch_and_lock(self.worker_id, sorted(self.handlers), self.max_tasks, self.lock_seconds)
        done = 0
        for job in jobs:
            try:
                output = dict(self.handlers[job.topic](job) or {})
            except Exception as exc:  # noqa: BLE001 - any handler failure is reported, not raised
                left = (self.retries if job.retries is None else job.retries) - 1
                self.client.fail(job, self.worker_id, f"{type(exc).__name__}: {exc}", max(0, left),
                                 self.retry_in_seconds)
                continue
            self.client.complete(job, self.worker_id, output)
            done += 1
        return done

    def run(self, *, interval: float = 5.0, stop: Callable[[], bool] = lambda: False) -> None:
        """Work until `stop()` says so, fetching every `interval` seconds when idle."""
        while not stop():
            if not self.run_once():
                time.sleep(interval)
