"""A task's form saved as a draft from the task page and the API, shown when the task is
reopened; a formKey-only task (no fields) opens with the note that its form is external."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from engine import Engine
from tests.conftest import DIAGRAMS
from tests.webapp.conftest import Auth, start_case


@pytest.mark.sqlite_only
def test_draft_from_the_task_page_is_shown_when_reopened(client: FlaskClient, auth: Auth,
                                                         web_engine: Engine) -> None:
    case = start_case(web_engine)
    tid = case.tasks[0].id
    auth.login("handler")
    assert client.post(f"/tasks/{tid}/claim").status_code == 302
    # Only the notes typed; the required date left empty: a draft keeps it, nothing is checked.
    resp = client.post(f"/tasks/{tid}/draft", data={"visit_notes": "约好周三见面", "visit_date": ""})
    assert resp.status_code == 302 and resp.location == f"/tasks/{tid}"
    page = client.get(f"/tasks/{tid}").text
    assert 'id="draft-note"' in page and "约好周三见面" in page
    assert web_engine.task(tid).state == "ready" and "visit_notes" not in web_engine.instance(case.id).data
    # Another handler does not see it (and may not save one on a task held by someone else).
    auth.logout()
    auth.login("handler2")
    assert "约好周三见面" not in client.get(f"/tasks/{tid}").text
    assert client.post(f"/tasks/{tid}/draft", data={"visit_notes": "x"}).status_code in (403, 409)


@pytest.mark.sqlite_only
def test_draft_over_the_api(client: FlaskClient, web_engine: Engine) -> None:
    case = start_case(web_engine)
    tid = case.tasks[0].id
    web_engine.claim(tid, actor="handler")
    headers = {"Authorization": f"Bearer {web_engine.accounts.create_token('handler')}"}
    url = f"/api/v1/tasks/{tid}/draft"
    assert client.get(url, headers=headers).status_code == 404
    saved = client.put(url, json={"data": {"visit_notes": "电话约见"}}, headers=headers)
    assert saved.status_code == 200 and saved.json["data"] == {"visit_notes": "电话约见"}
    assert client.get(url, headers=headers).json["owner"] == "handler"
    refused = client.put(url, json={"data": {"risk_colour": "green"}}, headers=headers)
    assert refused.status_code == 400 and "risk_colour" in refused.json["message"]
    assert client.put(url, json={"data": "x"}, headers=headers).status_code == 400
    assert client.delete(url, headers=headers).status_code == 204
    assert client.get(url, headers=headers).status_code == 404


@pytest.mark.sqlite_only
def test_form_key_task_opens_with_a_note_and_completes_over_the_api(client: FlaskClient, auth: Auth,
                                                                     web_engine: Engine) -> None:
    web_engine.deploy(DIAGRAMS / "camunda_modeler_leave.bpmn", actor="designer")
    web_engine.accounts.add_user("hr_clerk", "correct horse 1", ["hr"])
    inst = web_engine.start("leave_request", {}, actor="clerk")
    web_engine.complete(inst.tasks[0].id, {"days": 5, "approved": True}, actor="demo")
    [task] = web_engine.tasks(instance_id=inst.id)
    web_engine.claim(task.id, actor="hr_clerk")
    auth.login("hr_clerk")
    page = client.get(f"/tasks/{task.id}").text
    assert 'id="external-form"' in page and "embedded:app:forms/hr-check.html" in page
    headers = {"Authorization": f"Bearer {web_engine.accounts.create_token('hr_clerk')}"}
    assert client.get(f"/api/v1/tasks/{task.id}", headers=headers).json["form_key"] == \
        "embedded:app:forms/hr-check.html"
    done = client.post(f"/api/v1/tasks/{task.id}/complete", json={"data": {"hr_note": "同意"}}, headers=headers)
    assert done.status_code == 200 and done.json["status"] == "completed" and done.json["data"]["hr_note"] == "同意"
