"""webapp/instance_api.py and the task filters of GET /api/v1/tasks: what a portal uses every day."""

from __future__ import annotations

from flask.testing import FlaskClient

from engine import Engine
from tests.webapp.conftest import start_case


def _bearer(engine: Engine, user: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {engine.accounts.create_token(user)}"}


def test_suspend_resume_cancel_and_task_lists_over_http(client: FlaskClient, web_engine: Engine) -> None:
    coordinator, handler = _bearer(web_engine, "coordinator"), _bearer(web_engine, "handler")
    case = start_case(web_engine)
    by_case = client.get(f"/api/v1/tasks?instance_id={case.id}", headers=coordinator)
    assert by_case.status_code == 200 and [t["id"] for t in by_case.json] == [t.id for t in case.tasks]
    group = case.tasks[0].candidate_groups[0]
    by_group = client.get(f"/api/v1/tasks?candidate_group={group}", headers=coordinator)
    assert [t["id"] for t in by_group.json] == [t.id for t in case.tasks]
    assert client.get("/api/v1/tasks?instance_id=x", headers=coordinator).status_code == 400
    url = f"/api/v1/instances/{case.id}"
    assert client.post(f"{url}/suspend", json={"reason": "住院"}, headers=handler).status_code == 403
    assert client.post(f"{url}/suspend", json={}, headers=coordinator).status_code == 400
    paused = client.post(f"{url}/suspend", json={"reason": "住院"}, headers=coordinator)
    assert paused.status_code == 200 and paused.json["status"] == "suspended"
    assert client.post(f"{url}/suspend", json={"reason": "住院"}, headers=coordinator).status_code == 409
    assert client.post(f"{url}/resume", headers=coordinator).json["status"] == "running"
    assert client.post(f"{url}/retry", headers=coordinator).status_code == 409, "only a case in error is retried"
    done = client.post(f"{url}/cancel", json={"reason": "重复登记"}, headers=coordinator)
    assert done.status_code == 200 and done.json["status"] == "cancelled"


def test_the_data_a_completed_task_recorded(client: FlaskClient, web_engine: Engine) -> None:
    case = start_case(web_engine)
    task = case.tasks[0]
    web_engine.claim(task.id, actor="handler")
    headers = _bearer(web_engine, "handler")
    assert client.get(f"/api/v1/tasks/{task.id}/data", headers=headers).status_code == 409
    filled = {f.id: f.default or ("2026-03-02" if f.type == "date" else "已核实")
              for f in web_engine.task(task.id).form if f.required}
    web_engine.complete(task.id, filled, actor="handler")
    data = client.get(f"/api/v1/tasks/{task.id}/data", headers=_bearer(web_engine, "coordinator"))
    assert data.status_code == 200 and data.json["completed_by"] == "handler"
    assert all(data.json["data"][k] == v for k, v in filled.items())
