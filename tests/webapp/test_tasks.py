"""The task page: claim, unclaim, assign, form validation, attachments, next task, conflicts."""

from __future__ import annotations

import hashlib
import io
from typing import Any

import pytest
from flask.testing import FlaskClient

from engine import Engine
from tests.webapp.conftest import Auth, start_case

VISIT = {"visit_date": "2025-04-17", "visit_notes": "当面听取诉求", "petitioner_count": "2",
         "handling": "solve"}


@pytest.mark.sqlite_only
def test_claim_validate_complete_and_open_next(client: FlaskClient, auth: Auth, web_engine: Engine,
                                               case: Any) -> None:
    auth.login("handler")
    tid = case.tasks[0].id
    page = client.get(f"/tasks/{tid}").text
    assert "见面听取诉求" in page and "与信访人当面见面一次" in page and 'id="claim"' in page
    assert client.post(f"/tasks/{tid}/claim").status_code == 302
    page = client.get(f"/tasks/{tid}").text
    assert "见面日期" in page and "解决到位" in page
    # a missing required field: error beside it, the entered values kept
    resp = client.post(f"/tasks/{tid}/complete", data={**VISIT, "visit_date": ""})
    assert resp.status_code == 400
    assert 'id="error-visit_date"' in resp.text and "此项为必填项" in resp.text
    assert "当面听取诉求" in resp.text
    resp = client.post(f"/tasks/{tid}/complete", data={**VISIT, "petitioner_count": "两"})
    assert resp.status_code == 400 and "请输入整数" in resp.text
    resp = client.post(f"/tasks/{tid}/complete", data=VISIT)
    assert resp.status_code == 302
    nxt = web_engine.tasks(instance_id=case.id)[0]
    assert nxt.element_id == "draft_reply" and resp.location == f"/tasks/{nxt.id}"
    data = web_engine.instance(case.id).data
    assert data["visit_date"] == "2025-04-17" and data["petitioner_count"] == 2


@pytest.mark.sqlite_only
def test_file_field_and_attachments(client: FlaskClient, auth: Auth, web_engine: Engine,
                                    case: Any) -> None:
    web_engine.claim(case.tasks[0].id, actor="handler")
    web_engine.complete(case.tasks[0].id, {"visit_date": "2025-04-17", "visit_notes": "x"},
                    actor="handler")
    tid = web_engine.tasks(instance_id=case.id)[0].id
    auth.login("handler")
    client.post(f"/tasks/{tid}/claim")
    resp = client.post(f"/tasks/{tid}/complete", data={
        "reply_text": "答复", "reply_file": (io.BytesIO(b"x"), "reply.exe")})
    assert resp.status_code == 400 and "只接受以下文件类型" in resp.text
    resp = client.post(f"/tasks/{tid}/attachments",
                       data={"file": (io.BytesIO(b"%PDF-1.4 big" * 30_000), "big.pdf")})
    assert "MB" in client.get(resp.location).text  # too large, refused with a message
    resp = client.post(f"/tasks/{tid}/complete", data={
        "reply_text": "答复", "reply_file": (io.BytesIO(b"%PDF-1.4"), "答复书.pdf")})
    assert resp.status_code == 302
    attachment_id = web_engine.instance(case.id).data["reply_file"]
    event = next(e for e in web_engine.history(case.id) if e.type == "attachment_added")
    assert (event.actor, event.detail["attachment_id"], event.detail["filename"], event.detail["size"]) == \
        ("handler", attachment_id, "答复书.pdf", 8)
    assert event.detail["sha256"] == hashlib.sha256(b"%PDF-1.4").hexdigest()
    # the leader downloads it from the case page
    auth.logout()
    auth.login("leader")
    page = client.get(f"/cases/{case.id}").text
    assert "答复书.pdf" in page
    with client.get(f"/cases/{case.id}/attachments/{attachment_id}") as resp:
        assert resp.status_code == 200 and resp.data == b"%PDF-1.4"
    assert client.get(f"/cases/{case.id}/attachments/../../etc").status_code == 404


def test_completed_by_someone_else_first(client: FlaskClient, auth: Auth, web_engine: Engine,
                                         case: Any) -> None:
    tid = case.tasks[0].id
    auth.login("handler")
    client.get(f"/tasks/{tid}")
    web_engine.claim(tid, actor="handler2")
    web_engine.complete(tid, {"visit_date": "2025-04-17", "visit_notes": "x"}, actor="handler2")
    resp = client.post(f"/tasks/{tid}/complete", data=VISIT)
    assert resp.status_code == 409
    assert "handler2" in resp.text and "先行办结" in resp.text


def test_unclaim_and_assign(client: FlaskClient, auth: Auth, web_engine: Engine, case: Any) -> None:
    tid = case.tasks[0].id
    auth.login("handler")
    client.post(f"/tasks/{tid}/claim")
    assert web_engine.task(tid).assignee == "handler"
    client.post(f"/tasks/{tid}/unclaim")
    assert web_engine.task(tid).assignee is None
    auth.logout()
    auth.login("coordinator")
    client.post(f"/tasks/{tid}/assign", data={"username": "handler2"})
    assert web_engine.task(tid).assignee == "handler2"
    assert client.post(f"/tasks/{tid}/assign", data={"username": "nobody"}).status_code == 404


@pytest.mark.sqlite_only
def test_read_only_views(client: FlaskClient, auth: Auth, case: Any) -> None:
    auth.login("auditor")
    page = client.get(f"/tasks/{case.tasks[0].id}").text
    assert "您可以查看此任务，但无权办理" in page
    assert client.get("/tasks/no-such-task").status_code == 404


def test_start_case_opens_first_task_or_case(client: FlaskClient, auth: Auth,
                                             web_engine: Engine) -> None:
    auth.login("clerk")
    assert "web_petition" in client.get("/cases/new").text or "网页测试信访件" in \
        client.get("/cases/new").text
    resp = client.post("/cases/new", data={"process_key": "web_petition", "title": ""})
    assert resp.status_code == 400 and "此项为必填项" in resp.text
    resp = client.post("/cases/new", data={"process_key": "web_petition", "title": "新案",
                                           "business_key": "XF-1", "petitioner_names": "王某"})
    assert resp.status_code == 302
    assert web_engine.instance(1).data["petitioner_names"] == "王某"
    started = start_case(web_engine)  # web_engine keeps working alongside
    assert started.id == 2
