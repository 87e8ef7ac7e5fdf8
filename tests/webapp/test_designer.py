"""The designer area (webapp/designer.py): who may see and edit, drafts, check, deploy, diff, bulk move."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from flask.testing import FlaskClient

from engine import Engine
from tests.conftest import PROCESSES
from tests.webapp.conftest import PROCESS, start_case


@pytest.mark.sqlite_only
def test_designers_edit_auditors_read_others_are_refused(client: FlaskClient, auth: Any) -> None:
    auth.login("handler")
    assert client.get("/designer/").status_code == 403
    auth.logout()
    auth.login("auditor")
    page = client.get("/designer/edit?key=web_petition").get_data(as_text=True)
    assert "只读" in page and 'id="designer-deploy"' not in page
    assert client.post("/designer/check", json={"xml": "<x/>"}).status_code == 403
    auth.logout()
    auth.login("designer")
    index = client.get("/designer/").get_data(as_text=True)
    assert "从模板新建流程" in index and "web_petition" in index
    page = client.get("/designer/edit?key=web_petition&version=1").get_data(as_text=True)
    assert 'id="designer-deploy"' in page and "<script>" not in page  # all JavaScript in static files
    assert client.get("/designer/processes/web_petition/1.xml").data == PROCESS.read_bytes()


@pytest.mark.sqlite_only
def test_check_names_elements_and_a_bad_draft_is_kept_but_not_deployed(
    client: FlaskClient, auth: Any, web_engine: Engine
) -> None:
    auth.login("designer")
    broken = PROCESS.read_text(encoding="utf-8").replace('camunda:dueDate="visit_deadline"',
                                                          'camunda:dueDate="visit_deadline +"')
    check = client.post("/designer/check", json={"xml": broken}).json
    assert not check["ok"] and check["problems"][0]["element_id"] == "visit_petitioner"
    assert check["problems"][0]["code"] == "task_expression" and check["problems"][0]["params"]["attr"] == "dueDate"
    assert check["problems"][0]["message"].startswith("camunda:dueDate 不是有效的表达式")
    saved = client.post("/designer/drafts", json={"xml": broken, "name": "web.bpmn",
                                                 "process_key": "web_petition", "base_version": 1})
    assert saved.status_code == 200 and web_engine.designs.drafts("designer")[0].id == saved.json["id"]
    refused = client.post("/designer/deploy", json={"xml": broken, "note": "坏的"})
    assert refused.status_code == 422 and refused.json["problems"]
    assert [v.version for v in web_engine.designs.versions("web_petition")] == [1]
    renamed = PROCESS.read_text(encoding="utf-8").replace('name="起草答复"', 'name="起草书面答复"')
    done = client.post("/designer/deploy", json={"xml": renamed, "note": "改名"}).json
    assert done["deployed"][0]["version"] == 2
    versions = client.get("/designer/processes/web_petition").get_data(as_text=True)
    assert "改名" in versions and 'id="bulk-migrate"' in versions
    diff = client.get("/designer/processes/web_petition/diff?from=1&to=2").get_data(as_text=True)
    assert "draft_reply" in diff and "修改" in diff


@pytest.mark.sqlite_only
@pytest.mark.parametrize("content", [b"plain text", b"<html/>", b'<!DOCTYPE x [<!ENTITY e "x">]><x/>'])
def test_an_upload_that_is_not_a_safe_diagram_is_refused_in_chinese(
    client: FlaskClient, auth: Any, web_engine: Engine, content: bytes
) -> None:
    auth.login("designer")
    resp = client.post("/designer/upload", data={"diagram": (io.BytesIO(content), "x.bpmn")},
                       content_type="multipart/form-data", follow_redirects=True)
    assert "这不是 BPMN 或 DMN 流程图，未保存任何内容。" in resp.get_data(as_text=True)
    assert web_engine.designs.drafts("designer") == []


@pytest.mark.sqlite_only
def test_bulk_move_batches_and_the_dmn_test_box(client: FlaskClient, auth: Any, web_engine: Engine) -> None:
    cases = [start_case(web_engine).id for _ in range(3)]
    web_engine.deploy(PROCESS.read_bytes().replace('name="起草答复"'.encode(), 'name="起草书面答复"'.encode()),
                      actor="designer")
    auth.login("designer")
    assert client.get("/designer/processes/web_petition/running?version=1").json == cases
    moved = client.post("/designer/processes/web_petition/migrate",
                        json={"from_version": 1, "to_version": 2, "instance_ids": cases[:2]}).json
    assert moved == {"moved": cases[:2], "refused": []}
    result = client.post("/designer/decisions/test", json={
        "xml": (PROCESSES / "risk_colour.dmn").read_text(encoding="utf-8"),
        "inputs": {"escalated_petition": False, "extreme_statement": False, "collective_petition": False,
                   "repeat_count": 4, "backlog_case": False, "three_cross": False,
                   "three_separation": False, "subject": "other"}}).json
    assert result["outputs"]["risk_colour"] == "red"


@pytest.mark.sqlite_only
def test_a_diagram_upload_too_large_is_refused_in_chinese_and_nothing_is_stored(
    client: FlaskClient, auth: Any, web_engine: Engine
) -> None:
    auth.login("designer")
    from werkzeug.test import EnvironBuilder

    big = b'<?xml version="1.0"?><x>' + b" " * 5_000_000 + b"</x>"
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
    assert token is not None
    # Built here so that the request body werkzeug spools to a temporary file is closed after.
    builder = EnvironBuilder(path="/designer/upload", method="POST",
                             data={"diagram": (io.BytesIO(big), "big.bpmn"), "csrf_token": token.group(1)})
    environ = builder.get_environ()
    try:
        resp = client.open(environ)
    finally:
        environ["wsgi.input"].close()
        builder.close()
    # Refused before it is read: the body is past the request limit.
    assert resp.status_code == 413 and "文件超过允许的大小。" in resp.get_data(as_text=True)
    assert web_engine.designs.drafts("designer") == []
