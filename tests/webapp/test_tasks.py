"""The task page: claim, unclaim, assign, form validation, attachments, next task, conflicts."""

from __future__ import annotations

import hashlib
import io
import re
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from engine import Engine
from tests.webapp.conftest import PASSWORD, Auth, start_case

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


ALL_FIELDS = Path(__file__).resolve().parents[1] / "engine" / "diagrams" / "all_fields.bpmn"


@pytest.fixture
def form_task(web_engine: Engine) -> Any:
    """A case of the all-fields diagram, its form task claimed by handler."""
    web_engine.deploy(ALL_FIELDS, actor="designer")
    inst = web_engine.start("all_fields", {}, actor="clerk")
    web_engine.claim(inst.tasks[0].id, actor="handler")
    return inst.tasks[0]


@pytest.mark.sqlite_only
def test_the_form_draws_typed_defaults_pickers_help_and_camera(client: FlaskClient, auth: Auth,
                                                              form_task: Any) -> None:
    auth.login("handler")
    page = client.get(f"/tasks/{form_task.id}").text
    assert re.search(r'id="f-urgent"\s*>', page) and re.search(r'id="f-checked" checked>', page)
    assert 'id="f-days" value="5"' in page and '<option value="visit" selected>' in page
    picker = page.split('id="f-leader"')[1].split("</select>")[0]
    assert '<option value="leader" data-search="leader"' in picker  # without JavaScript: a select
    assert 'value="handler"' not in picker  # only holders of the role
    assert 'accept="image/*" capture="environment"' in page and "两到二十个字" in page


@pytest.mark.sqlite_only
def test_rules_are_shown_beside_their_fields_and_free_text_names_refused(
        client: FlaskClient, auth: Auth, web_engine: Engine, form_task: Any) -> None:
    auth.login("handler")
    resp = client.post(f"/tasks/{form_task.id}/complete", data={
        "note": "两个字", "days": "31", "override": "on", "meeting_date": "2026-03-09", "leader": "李明"})
    assert resp.status_code == 400
    for field_id, text in [("days", "最大允许值为 30"), ("reason", "此项为必填项"),
                           ("meeting_date", "日期不能晚于今天"), ("leader", "请从列表中选择")]:
        assert text in resp.text.split(f'id="error-{field_id}"')[1].split("</p>")[0], field_id
    assert re.search(r'id="f-override" checked>', resp.text)
    assert '<option value="李明" data-typed selected>李明</option>' in resp.text  # what was typed stays
    assert "包案领导" in resp.text.split('id="error-leader"')[1].split("</p>")[0]
    assert web_engine.task(form_task.id).state == "ready"


@pytest.mark.sqlite_only
def test_a_user_picker_lists_active_holders_of_its_role_with_their_unit(
        client: FlaskClient, auth: Auth, web_engine: Engine, form_task: Any) -> None:
    web_engine.accounts.add_user("li", PASSWORD, ["case_leader"], display_name="李明", unit="县信访局")
    web_engine.accounts.add_user("gone", PASSWORD, ["case_leader"], display_name="离职者", unit="县信访局")
    web_engine.accounts.set_active("gone", False)
    auth.login("handler")
    picker = client.get(f"/tasks/{form_task.id}").text.split('id="f-leader"')[1].split("</select>")[0]
    assert '<option value="li" data-search="li 李明 县信访局">李明（县信访局）</option>' in picker
    assert "离职者" not in picker and 'value="gone"' not in picker
    # A disabled holder is refused too, whatever a client sends.
    resp = client.post(f"/tasks/{form_task.id}/complete", data={"note": "两个字", "leader": "gone"})
    assert resp.status_code == 400 and "请从列表中选择一位在岗的包案领导" in resp.text
    resp = client.post(f"/tasks/{form_task.id}/complete", data={"note": "两个字", "leader": "li"})
    assert resp.status_code == 302 and web_engine.instance(form_task.instance_id).data["leader"] == "li"


@pytest.mark.sqlite_only
def test_a_photo_uploads_with_the_form_and_survives_a_refusal(
        client: FlaskClient, auth: Auth, web_engine: Engine, form_task: Any) -> None:
    auth.login("handler")
    resp = client.post(f"/tasks/{form_task.id}/complete", data={
        "note": "x", "photo": (io.BytesIO(b"\xff\xd8\xff\xe0\x00\x10JFIF\x00 photo"), "现场.jpg")})
    assert resp.status_code == 400 and "至少 2 个字" in resp.text
    (att,) = web_engine.attachments.list(form_task.instance_id)
    assert att.filename == "现场.jpg" and att.field == "photo"
    assert f'type="hidden" name="photo" value="{att.id}"' in resp.text  # kept for the next try
    resp = client.post(f"/tasks/{form_task.id}/complete", data={"note": "两个字", "photo": att.id,
                                                                "evidence": att.id})
    assert resp.status_code == 302
    data = web_engine.instance(form_task.instance_id).data
    assert data["photo"] == att.id and data["evidence"] == att.id and data["urgent"] is False


@pytest.mark.sqlite_only
def test_a_bounced_task_says_why_and_the_approval_shows_what_it_approves(
        client: FlaskClient, auth: Auth, web_engine: Engine, form_task: Any) -> None:
    auth.login("handler")
    client.post(f"/tasks/{form_task.id}/complete", data={"note": "拟化解方案", "days": "25", "comment": "初稿"})
    (again,) = web_engine.tasks(instance_id=form_task.instance_id)
    page = client.get(f"/tasks/{again.id}").text
    assert "本任务已被退回" in page and "延期超过二十天，须重新填写" in page
    client.post(f"/tasks/{again.id}/claim")
    page = client.get(f"/tasks/{again.id}").text
    assert "初稿" in page.split("此前填写")[1]
    assert '<textarea name="comment" id="f-comment" rows="4"></textarea>' in page
    assert client.post(f"/tasks/{again.id}/complete", data={"note": "拟化解方案", "days": "10"}).status_code == 302
    (approve,) = web_engine.tasks(instance_id=form_task.instance_id)
    auth.logout()
    auth.login("leader")
    page = client.get(f"/tasks/{approve.id}").text
    assert "本任务已被退回" not in page
    top = page.split('class="approved-content"')[1].split("</div>")[0]
    assert "待审定内容" in top and "拟化解方案" in top
