"""A clerk records a repeat petition from the case page and the API (webapp/repeat_petitions.py),
on the shipped petition_case: during handling it is counted, on a closed case it reopens it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask.testing import FlaskClient

from engine import Engine, FakeClock
from tests.conftest import EngineWith
from tests.processes.conftest import Driver, live_driver
from tests.processes.test_petition_case import to_closed, to_handling
from tests.webapp.conftest import PASSWORD, ROLE_USERS, Auth


@pytest.fixture
def driver(engine_with: EngineWith, clock: FakeClock) -> Iterator[Driver]:
    """The shipped diagrams on the test database, driven by element id up to where the web takes over."""
    yield from live_driver(engine_with, clock)


@pytest.fixture
def web_engine(driver: Driver) -> Engine:
    """The app's engine is the driver's: the shipped diagrams and one user per role."""
    for name, groups in ROLE_USERS.items():
        driver.engine.accounts.add_user(name, PASSWORD, groups)
    return driver.engine


NOTE = {"repeat_petition_note": "又到县信访局上访"}


def test_clerk_records_a_repeat_petition_from_the_case_page_during_handling(
        client: FlaskClient, auth: Auth, driver: Driver) -> None:
    d = driver
    to_handling(d)
    page = f"/cases/{d.instance_id}"
    auth.login("handler")
    assert 'id="record-repeat"' not in client.get(page).text, "only clerks are offered the form"
    assert client.post(f"{page}/repeat-petitions", data=NOTE).status_code == 403
    auth.logout()
    auth.login("clerk")
    shown = client.get(page).text
    assert 'id="record-repeat"' in shown and 'name="repeat_petition_note"' in shown
    # Without the details: the form comes back with the error, nothing is recorded.
    refused = client.post(f"{page}/repeat-petitions", data={"repeat_petition_on": "2026-03-03"})
    assert refused.status_code == 400 and 'id="error-repeat_petition_note"' in refused.text
    assert 'value="2026-03-03"' in refused.text, "what was typed is kept"
    # A post without the page's CSRF token is refused.
    assert client.post(f"{page}/repeat-petitions", data=NOTE, csrf=False).status_code == 400
    assert d.data()["repeat_count"] == 2
    done = client.post(f"{page}/repeat-petitions", data=NOTE)
    assert done.status_code == 302
    data = d.data()
    assert data["repeat_count"] == 3 and data["backlog_case"] is True
    assert data["repeat_petition_note"] == NOTE["repeat_petition_note"]
    # Handling goes on, and the clerk can record the next one at any time.
    assert {"site_visit", "hear_petitioner", "consult_elders"} <= set(d.ready())
    assert 'id="record-repeat"' in client.get(page).text
    recorded = [e for e in d.engine.history(d.instance_id)
                if e.type == "task_completed" and e.element_id == "record_repeat_during_handling"]
    assert [e.actor for e in recorded] == ["clerk"]


def test_repeat_petition_on_a_closed_case_from_the_page_reopens_it(
        client: FlaskClient, auth: Auth, driver: Driver) -> None:
    d = driver
    to_closed(d)
    d.advance(days=5)
    auth.login("clerk")
    page = f"/cases/{d.instance_id}"
    assert 'id="record-repeat"' in client.get(page).text
    assert client.post(f"{page}/repeat-petitions", data=NOTE).status_code == 302
    data = d.data()
    assert (data["backlog_case"], data["repeat_count"], data["reopened_count"]) == (True, 3, 1)
    assert d.ready() == ["confirm_risk_colour"], "the same case is worked again from triage"
    assert data["case_leader"] == "wang", "一包到底: the reopened case keeps its leader"


def _bearer(engine: Engine, user: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {engine.accounts.create_token(user)}"}


def test_repeat_petition_through_the_api_reopens_a_closed_case(client: FlaskClient, driver: Driver) -> None:
    d = driver
    d.start("petition_case")
    url = f"/api/v1/instances/{d.instance_id}/repeat-petitions"
    clerk, handler = _bearer(d.engine, "clerk"), _bearer(d.engine, "handler")
    early = client.post(url, json={"data": NOTE}, headers=clerk)
    assert early.status_code == 409 and "重复信访" in early.json["message"], "not yet registered"
    d.engine.cancel(d.instance_id, actor="coordinator", reason="重复登记")
    to_closed(d)
    url = f"/api/v1/instances/{d.instance_id}/repeat-petitions"
    assert client.post(url, json={"data": NOTE}).status_code == 401
    assert client.post(url, json={"data": NOTE}, headers=handler).status_code == 403
    missing = client.post(url, json={"data": {}}, headers=clerk)
    assert missing.status_code == 400 and missing.json["field"] == "repeat_petition_note"
    assert d.data()["reopened_count"] == 0
    done = client.post(url, json={"data": {**NOTE, "repeat_petition_on": "2026-03-01"}}, headers=clerk)
    assert done.status_code == 201
    assert done.json["data"]["reopened_count"] == 1 and done.json["data"]["repeat_count"] == 3
    assert [t["element_id"] for t in done.json["tasks"] if t["element_id"] == "confirm_risk_colour"]
    spec = client.get("/api/v1/openapi.json", headers=clerk).json
    assert "post" in spec["paths"]["/instances/{instance_id}/repeat-petitions"]
