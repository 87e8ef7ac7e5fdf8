"""webapp/external_api.py: workers fetch, lock, complete and fail service tasks over HTTP, and the
example worker (anjie/worker.py) sends the petitioner an SMS through a stub gateway."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from anjie.worker import HttpClient, Job, Worker
from engine import Engine, FakeClock
from tests.engine.test_external_tasks import notify_process


class StubSmsGateway:
    """Stands in for the county's SMS service: records what it was asked to send, or fails."""

    def __init__(self, failures: int = 0) -> None:
        self.sent: list[tuple[str, str]] = []
        self.failures = failures

    def send(self, phone: str, text: str) -> str:
        if self.failures:
            self.failures -= 1
            raise ConnectionError("SMS gateway unreachable")
        self.sent.append((phone, text))
        return f"msg-{len(self.sent)}"


def sms_handler(gateway: StubSmsGateway) -> Any:
    def handle(job: Job) -> dict[str, Any]:
        receipt = gateway.send(job.data["phone"], f"您的信访事项{job.data['business_key']}已受理。")
        return {"sms_receipt": receipt}
    return handle


@pytest.fixture
def worker_token(web_engine: Engine) -> str:
    web_engine.accounts.add_user("sms_gateway", "correct horse 1", ["service_worker"])
    return web_engine.accounts.create_token("sms_gateway")


def _http(client: FlaskClient, token: str) -> HttpClient:
    def post(path: str, body: dict[str, Any]) -> Any:
        resp = client.post(f"/api/v1{path}", json=body, headers={"Authorization": f"Bearer {token}"})
        assert resp.status_code == 200, resp.json
        return resp.json
    return HttpClient(post=post)


def test_the_sms_worker_sends_over_http_and_the_case_moves_on(
    client: FlaskClient, web_engine: Engine, worker_token: str, clock: FakeClock
) -> None:
    web_engine.deploy(notify_process(), actor="designer")
    inst = web_engine.start("notify_petitioner", {"phone": "13800000000", "business_key": "XF-7"}, actor="clerk")
    gateway = StubSmsGateway(failures=1)
    worker = Worker(_http(client, worker_token), "sms-1", {"sms": sms_handler(gateway)}, retry_in_seconds=60)
    assert worker.run_once() == 0 and gateway.sent == []  # the gateway was down: reported, not lost
    assert worker.run_once() == 0, "the back-off is waited out"
    clock.advance(seconds=60)
    assert worker.run_once() == 1
    assert gateway.sent == [("13800000000", "您的信访事项XF-7已受理。")]
    after = web_engine.instance(inst.id)
    assert after.data["sms_receipt"] == "msg-1" and [t.element_id for t in after.tasks] == ["follow_up_visit"]
    failed = [e.detail for e in web_engine.history(inst.id) if e.type.value == "external_task_failed"]
    assert failed == [{"message": "ConnectionError: SMS gateway unreachable", "retries": 2,
                       "retry_at": failed[0]["retry_at"]}]


@pytest.mark.sqlite_only
def test_only_service_workers_may_work_external_tasks_and_errors_are_clear(
    client: FlaskClient, web_engine: Engine, worker_token: str
) -> None:
    web_engine.deploy(notify_process(), actor="designer")
    web_engine.start("notify_petitioner", actor="clerk")
    headers = {"Authorization": f"Bearer {worker_token}"}
    handler = {"Authorization": f"Bearer {web_engine.accounts.create_token('handler')}"}
    fetch = {"worker_id": "w1", "topics": ["sms"], "lock_seconds": 30}
    assert client.post("/api/v1/external-tasks/fetch-and-lock", json=fetch).status_code == 401
    assert client.post("/api/v1/external-tasks/fetch-and-lock", json=fetch, headers=handler).status_code == 403
    assert client.post("/api/v1/external-tasks/fetch-and-lock", json={"worker_id": "w1"},
                       headers=headers).status_code == 400
    [task] = client.post("/api/v1/external-tasks/fetch-and-lock", json=fetch, headers=headers).json
    other = client.post(f"/api/v1/external-tasks/{task['id']}/complete", json={"worker_id": "w2"}, headers=headers)
    assert other.status_code == 409 and "w1" in other.json["message"]
    longer = client.post(f"/api/v1/external-tasks/{task['id']}/extend-lock", json={"worker_id": "w1", "seconds": 90},
                         headers=headers)
    assert longer.status_code == 200 and longer.json["locked_until"] > task["locked_until"]
    missing = client.post("/api/v1/external-tasks/nope/complete", json={"worker_id": "w1"}, headers=headers)
    assert missing.status_code == 404
    done = client.post(f"/api/v1/external-tasks/{task['id']}/complete", json={"worker_id": "w1", "data": {"ok": 1}},
                       headers=headers)
    assert done.status_code == 200 and done.json["data"]["ok"] == 1
