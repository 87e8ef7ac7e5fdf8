"""webapp/messages_api.py: POST /api/v1/messages delivers once; 404 when nothing waits, 409 when two do."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from engine import Engine
from tests.engine.test_messages import reply_process


@pytest.fixture
def headers(web_engine: Engine) -> dict[str, str]:
    web_engine.accounts.add_user("portal", "correct horse 1", ["service_worker"])
    return {"Authorization": f"Bearer {web_engine.accounts.create_token('portal')}"}


def test_a_message_over_http_reaches_its_case_once(client: FlaskClient, web_engine: Engine,
                                                   headers: dict[str, str]) -> None:
    web_engine.deploy(reply_process(), actor="designer")
    case = web_engine.start("await_reply", actor="clerk", business_key="XF-3")
    message = {"name": "petitioner_reply", "business_key": "XF-3", "data": {"satisfied": True}}
    first = client.post("/api/v1/messages", json=message, headers=headers)
    assert first.status_code == 200 and first.json["id"] == case.id and first.json["data"]["satisfied"] is True
    again = client.post("/api/v1/messages", json=message, headers=headers)
    assert again.status_code == 404 and again.json["matches"] == 0


@pytest.mark.sqlite_only
def test_two_waiting_cases_answer_409_and_bad_messages_400_or_403(client: FlaskClient, web_engine: Engine,
                                                                 headers: dict[str, str]) -> None:
    web_engine.deploy(reply_process(), actor="designer")
    for key in ("XF-4", "XF-5"):
        web_engine.start("await_reply", actor="clerk", business_key=key)
    both = client.post("/api/v1/messages", json={"name": "petitioner_reply"}, headers=headers)
    assert both.status_code == 409 and both.json["matches"] == 2
    assert client.post("/api/v1/messages", json={"data": {}}, headers=headers).status_code == 400
    handler = {"Authorization": f"Bearer {web_engine.accounts.create_token('handler')}"}
    assert client.post("/api/v1/messages", json={"name": "petitioner_reply"}, headers=handler).status_code == 403
    assert all(web_engine.instance(i).tasks == [] for i in (1, 2))
