"""The JSON API: bearer tokens, each endpoint, access rules, and conformance to its OpenAPI
document (schemathesis checks every operation's responses against the schema)."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings

from engine import Engine
from engine.chain import opens
from tests.webapp.conftest import PROCESS, start_case


@pytest.fixture
def tokens(web_engine: Engine) -> dict[str, str]:
    """A bearer token for every test user."""
    return {name: web_engine.accounts.create_token(name)
            for name in ("clerk", "handler", "handler2", "designer", "auditor", "coordinator")}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.mark.sqlite_only
def test_token_required(client: FlaskClient, auth: Any) -> None:
    resp = client.get("/api/v1/tasks")
    assert resp.status_code == 401 and resp.json["status"] == 401
    assert resp.headers["WWW-Authenticate"].startswith("Bearer")
    auth.login("handler")  # a browser session is not enough for the API
    assert client.get("/api/v1/tasks").status_code == 401
    assert client.get("/api/v1/tasks", headers=bearer("anj_wrong")).status_code == 401


def test_case_lifecycle_over_api(client: FlaskClient, tokens: dict[str, str],
                                 web_engine: Engine) -> None:
    h = bearer(tokens["handler"])
    assert client.get("/api/v1/me", headers=h).json["groups"] == ["case_handler"]
    resp = client.post("/api/v1/instances", headers=bearer(tokens["clerk"]), json={
        "process_key": "web_petition", "business_key": "XF-9",
        "data": {"title": "接口登记", "risk_colour": "yellow"}})
    assert resp.status_code == 201
    instance = resp.json
    assert client.post("/api/v1/instances", headers=h, json={
        "process_key": "web_petition"}).status_code == 403
    inbox = client.get("/api/v1/tasks?colour=yellow", headers=h).json
    assert inbox["counts"]["total"] == 1
    tid = inbox["items"][0]["task_id"]
    task = client.get(f"/api/v1/tasks/{tid}", headers=h).json
    assert [f["id"] for f in task["form"]][:2] == ["visit_date", "visit_notes"]
    assert client.post(f"/api/v1/tasks/{tid}/claim", headers=h).json["assignee"] == "handler"
    assert client.post(f"/api/v1/tasks/{tid}/claim",
                       headers=bearer(tokens["handler2"])).status_code == 403
    resp = client.post(f"/api/v1/tasks/{tid}/complete", headers=h, json={"data": {}})
    assert resp.status_code == 400 and resp.json["field"] == "visit_date"
    resp = client.post(f"/api/v1/tasks/{tid}/complete", headers=h, json={
        "data": {"visit_date": "2025-04-17", "visit_notes": "ok", "petitioner_count": "abc", "handling": "x"}})
    assert resp.status_code == 400 and set(resp.json["fields"]) == {"petitioner_count", "handling"}
    assert resp.json["fields"]["petitioner_count"]["code"] == "not_a_number"
    assert resp.json["fields"]["petitioner_count"]["message"] == "请输入整数。"
    resp = client.post(f"/api/v1/tasks/{tid}/complete", headers=h, json={
        "data": {"visit_date": "2025-04-17", "visit_notes": "ok"}})
    assert resp.status_code == 200 and resp.json["tasks"][0]["element_id"] == "draft_reply"
    resp = client.post(f"/api/v1/tasks/{tid}/complete", headers=h, json={"data": {}})
    assert resp.status_code == 409 and resp.json["completed_by"] == "handler"
    history = client.get(f"/api/v1/instances/{instance['id']}/history", headers=h).json
    assert opens(history[-1])  # the last event opened the next task
    replay = client.get(f"/api/v1/instances/{instance['id']}/replay?step=4", headers=h).json
    assert replay["active"] == ["visit_petitioner"]
    assert client.get(f"/api/v1/instances/{instance['id']}",
                      headers=bearer(tokens["auditor"])).json["business_key"] == "XF-9"


@pytest.mark.sqlite_only
def test_deploy_over_api(client: FlaskClient, tokens: dict[str, str]) -> None:
    source = PROCESS.read_bytes()
    assert client.post("/api/v1/deployments", headers=bearer(tokens["auditor"]),
                       data=source).status_code == 403
    resp = client.post("/api/v1/deployments", headers=bearer(tokens["designer"]), data=source,
                       content_type="application/xml")
    assert resp.status_code == 201 and resp.json[0]["process_key"] == "web_petition"
    resp = client.post("/api/v1/deployments", headers=bearer(tokens["designer"]),
                       data=b"<nope", content_type="application/xml")
    assert resp.status_code == 422 and resp.json["problems"]
    assert client.get("/api/v1/deployments", headers=bearer(tokens["auditor"])).json


@pytest.mark.sqlite_only
def test_auditor_changes_nothing(client: FlaskClient, tokens: dict[str, str],
                                 case: Any) -> None:
    h = bearer(tokens["auditor"])
    tid = case.tasks[0].id
    assert client.get(f"/api/v1/tasks/{tid}", headers=h).status_code == 200
    for action in ("claim", "unclaim", "complete"):
        assert client.post(f"/api/v1/tasks/{tid}/{action}", headers=h,
                           json={"data": {}}).status_code == 403


@pytest.mark.sqlite_only
def test_api_conforms_to_openapi(app: Flask, tokens: dict[str, str], web_engine: Engine) -> None:
    """Every operation, with generated inputs, answers what the OpenAPI document says."""
    case = start_case(web_engine)
    web_engine.claim(case.tasks[0].id, actor="handler")
    spec = app.test_client().get("/api/v1/openapi.json",
                                 headers=bearer(tokens["handler"])).json
    schema = schemathesis.openapi.from_dict(spec)
    schema.app = app
    checked = 0
    for result in schema.get_all_operations():
        operation = result.ok()

        # Derandomized: the same examples every run, so CI is repeatable; more of them to make up.
        @settings(max_examples=30, deadline=None, database=None, derandomize=True,
                  suppress_health_check=list(HealthCheck))
        @given(operation.as_strategy())
        def check(generated: Any) -> None:
            generated.headers = {**(generated.headers or {}), **bearer(tokens["handler"])}
            response = generated.call()
            generated.validate_response(response)

        check()
        checked += 1
    assert checked == len([m for p in spec["paths"].values() for m in p])


def test_a_completion_cannot_write_fields_its_form_does_not_own(client: FlaskClient,
                                                                 tokens: dict[str, str],
                                                                 web_engine: Engine, case: Any) -> None:
    """The attack: a handler's site visit made him case leader and re-coloured the case."""
    h = bearer(tokens["handler"])
    tid = case.tasks[0].id
    client.post(f"/api/v1/tasks/{tid}/claim", headers=h)
    before = web_engine.instance(case.id).data
    resp = client.post(f"/api/v1/tasks/{tid}/complete", headers=h, json={"data": {
        "visit_date": "2025-04-17", "visit_notes": "ok", "case_leader": "handler",
        "risk_colour": "green", "case_class": "C", "campaign_id": "x", "petitioner_names": "某"}})
    assert resp.status_code == 400
    assert resp.json["field"] == "campaign_id"
    for name in ("case_leader", "risk_colour", "case_class", "campaign_id", "petitioner_names"):
        assert name in resp.json["message"]
    assert web_engine.instance(case.id).data == before
    assert web_engine.task(tid).state == "ready"


def test_bad_api_input_answers_4xx_never_500(client: FlaskClient, tokens: dict[str, str],
                                             web_engine: Engine, case: Any) -> None:
    clerk = bearer(tokens["clerk"])
    deep = '{"process_key": "web_petition", "data": {"x": ' + "[" * 100_000 + "]" * 100_000 + "}}"
    resp = client.post("/api/v1/instances", headers=clerk, data=deep, content_type="application/json")
    assert resp.status_code == 400 and "nested" in resp.json["message"]
    resp = client.post("/api/v1/instances", headers=clerk,
                       json={"process_key": "web_petition", "version": 2**70})
    assert resp.status_code == 400
    resp = client.post("/api/v1/instances", headers=clerk,
                       json={"process_key": "web_petition", "data": {"n": 2**70, "title": "t"}})
    assert resp.status_code == 400
    for body in ({"process_key": "web_petition", "business_key": "XF\x00"},
                 {"process_key": "web\x00", "data": {}},
                 {"process_key": "web_petition", "data": {"title": "\x00"}}):
        assert client.post("/api/v1/instances", headers=clerk, json=body).status_code == 400
    assert client.get("/api/v1/tasks/%00", headers=clerk).status_code == 400
    assert client.get("/api/v1/tasks?campaign=%00", headers=clerk).status_code == 400
    assert client.get(f"/api/v1/instances/{case.id}/replay?step={2**70}",
                      headers=bearer(tokens["coordinator"])).status_code == 400
    limit = web_engine.settings.max_api_body_bytes
    resp = client.post("/api/v1/instances", headers=clerk, content_type="application/json",
                       data=b'{"process_key": "' + b"x" * limit + b'"}')
    assert resp.status_code == 413 and resp.json["status"] == 413
    assert web_engine.queries.ledger().total == 1  # nothing was started; the ledger still reads
    assert client.get("/api/v1/tasks", headers=bearer(tokens["handler"])).status_code == 200


def test_a_group_member_cannot_read_a_case_assigned_to_someone_else(
        client: FlaskClient, tokens: dict[str, str], web_engine: Engine, case: Any) -> None:
    web_engine.assign(case.tasks[0].id, "handler2", actor="coordinator")
    for path in ("", "/history", "/replay"):
        url = f"/api/v1/instances/{case.id}{path}"
        assert client.get(url, headers=bearer(tokens["handler"])).status_code == 403, url
        assert client.get(url, headers=bearer(tokens["handler2"])).status_code == 200, url
