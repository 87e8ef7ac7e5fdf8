"""Inbox, case page, ledger, deployments, users and error pages."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from engine import Engine, FakeClock
from tests.engine import bpmn_builder as b
from tests.webapp.conftest import DIAGRAMS, PASSWORD, Auth, start_case
from webapp.cases import TIMELINE_PAGE


def test_inbox_orders_marks_filters_and_pages(client: FlaskClient, auth: Auth, web_engine: Engine,
                                              clock: FakeClock) -> None:
    late = start_case(web_engine, title="晚到期", risk_colour="green")
    clock.advance(days=2)
    soon = start_case(web_engine, title="早到期", risk_colour="red")
    clock.advance(days=14)  # the first case is now overdue, the second near due
    auth.login("handler")
    page = client.get("/").text
    assert page.index("晚到期") < page.index("早到期")
    assert "超期 1 项" in page and "临期 1 项" in page and "row-overdue" in page
    assert "早到期" not in client.get("/?overdue=1").text
    assert "晚到期" not in client.get("/?colour=red").text
    assert "晚到期" in client.get("/?campaign=2025年积案化解&process=web_petition").text
    assert "暂无待办任务" in client.get("/?mine=1").text
    for _ in range(30):
        start_case(web_engine)
    page = client.get("/?page=2").text
    assert "第 2 页，共 2 页" in page
    assert late.id and soon.id


@pytest.mark.sqlite_only
def test_case_page(client: FlaskClient, auth: Auth, web_engine: Engine, case: Any) -> None:
    tid = case.tasks[0].id
    web_engine.claim(tid, actor="handler")
    web_engine.complete(tid, {"visit_date": "2025-04-17", "visit_notes": "x"}, actor="handler")
    auth.login("coordinator")
    page = client.get(f"/cases/{case.id}").text
    assert "起草答复" in page and "任务办结" in page and "见面听取诉求" in page
    assert '"active": ["draft_reply"]' in page
    assert "visit_petitioner" in page
    xml = client.get(f"/cases/{case.id}/diagram.xml")
    assert xml.mimetype == "text/plain" and b"BPMNDiagram" in xml.data  # see test_security
    assert client.get("/cases/999").status_code == 404


@pytest.mark.sqlite_only
def test_a_process_is_shown_by_its_diagram_name_and_version_not_its_key(
        client: FlaskClient, auth: Auth, web_engine: Engine, case: Any) -> None:
    auth.login("handler")
    pages = {"case": client.get(f"/cases/{case.id}").text, "task": client.get(f"/tasks/{case.tasks[0].id}").text}
    for where, page in pages.items():
        assert "网页测试信访件 · 第1版" in page, where
        assert "web_petition v1" not in page and "web_petition" not in page.split("<main")[1].split("<script")[0], where
    inbox = client.get("/").text
    assert '<option value="web_petition" >网页测试信访件</option>' in inbox
    client.post("/lang/en", data={"next": "/"})
    assert "网页测试信访件 · version 1" in client.get(f"/cases/{case.id}").text


@pytest.mark.sqlite_only
def test_people_are_shown_by_name_not_user_name(client: FlaskClient, auth: Auth, web_engine: Engine,
                                                 case: Any) -> None:
    web_engine.accounts.set_details("leader", display_name="李明", unit="县信访局")
    web_engine.accounts.set_details("handler", display_name="张伟", unit=None)
    web_engine.claim(case.tasks[0].id, actor="handler")
    auth.login("coordinator")
    summary = client.get(f"/cases/{case.id}").text.split('class="summary"')[1].split("</dl>")[0]
    assert "<dt>包案领导</dt><dd>李明</dd>" in summary
    ledger = client.get("/ledger/").text
    assert "<td>李明</td>" in ledger and "<td>leader</td>" not in ledger
    auth.logout()
    auth.login("handler")
    assert "<td>张伟</td>" in client.get("/").text


@pytest.mark.sqlite_only
def test_case_page_top_shows_deadlines_class_leader_and_handler(client: FlaskClient, auth: Auth,
                                                                web_engine: Engine, clock: FakeClock) -> None:
    web_engine.accounts.set_groups("leader", ["case_leader"])
    case = start_case(web_engine, title="积案", case_class="B", case_leader="leader", case_handler="handler",
                      accept_deadline="2026-03-05T09:00:00+08:00", handling_deadline="2026-02-27T09:00:00+08:00",
                      extended_deadline="2026-03-20T09:00:00+08:00", extension_count=1)
    auth.login("coordinator")
    top = client.get(f"/cases/{case.id}").text.split('<dl class="case-top">')[1].split("</dl>")[0]
    for text in ("受理期限", "2026-03-05 · 剩余 3 天", "办理期限", "已超期 3 天", "延期后办理期限",
                 "2026-03-20 · 剩余 18 天", "已延期 1 次", "B", "包案领导",
                 "leader", "承办人", "handler"):
        assert text in top, text


@pytest.mark.sqlite_only
def test_a_case_in_error_is_retried_then_cancelled_from_its_page(client: FlaskClient, auth: Auth,
                                                                 web_engine: Engine) -> None:
    web_engine.deploy(b.script_process("breaks", "x = 1 / divisor"), actor="designer")
    inst = web_engine.start("breaks", {"divisor": 0}, actor="clerk")
    assert inst.status == "error"
    auth.login("admin")
    page = client.get(f"/cases/{inst.id}").text
    assert 'id="retry-top"' in page and 'id="cancel-top"' in page
    assert client.post(f"/cases/{inst.id}/retry").status_code == 302
    assert web_engine.instance(inst.id).status == "error"  # the fault is still there
    assert client.post(f"/cases/{inst.id}/cancel", data={"reason": "录入错误"}).status_code == 302
    assert web_engine.instance(inst.id).status == "cancelled"
    assert web_engine.history(inst.id)[-1].detail == {"reason": "录入错误"}


@pytest.mark.sqlite_only
def test_a_coordinator_retries_a_case_in_error_after_the_fix_from_its_page(
        client: FlaskClient, auth: Auth, web_engine: Engine, clock: FakeClock) -> None:
    # The script fails until its condition holds (the fix: here, the date it waits for).
    web_engine.deploy(b.script_process("later", "assert now() > '2026-04-01'\nok = True"), actor="designer")
    inst = web_engine.start("later", {}, actor="clerk")
    assert inst.status == "error"
    auth.login("coordinator")
    page = client.get(f"/cases/{inst.id}").text
    assert 'id="retry-top"' in page and 'id="cancel-top"' in page and "因错误暂停" in page
    clock.advance(days=40)
    assert client.post(f"/cases/{inst.id}/retry").status_code == 302
    retried = web_engine.instance(inst.id)
    assert retried.status == "running" and retried.data["ok"] is True
    assert 'id="retry-top"' not in client.get(f"/cases/{inst.id}").text
    auth.logout()
    auth.login("handler")  # a handler may neither retry nor cancel
    web_engine.deploy(b.script_process("breaks", "x = 1 / divisor"), actor="designer")
    other = web_engine.start("breaks", {"divisor": 0}, actor="clerk")
    assert other.status == "error"
    assert 'id="retry-top"' not in client.get(f"/cases/{other.id}").text
    assert client.post(f"/cases/{other.id}/retry").status_code == 403


def test_my_cases_lists_the_cases_i_hold_or_held_a_task_of(client: FlaskClient, auth: Auth,
                                                           web_engine: Engine) -> None:
    held = start_case(web_engine, title="我办过的")
    start_case(web_engine, title="别人的")
    web_engine.claim(held.tasks[0].id, actor="handler")
    web_engine.complete(held.tasks[0].id, {"visit_date": "2026-03-02", "visit_notes": "x"}, actor="handler")
    auth.login("handler")
    page = client.get("/my-cases").text
    assert "我办过的" in page and "别人的" not in page and "起草答复" in page and "共 1 件" in page
    auth.logout()
    auth.login("handler2")
    assert "您还没有办理过任何案件" in client.get("/my-cases").text


def test_the_ledger_counts_cases_not_campaigns(client: FlaskClient, auth: Auth, web_engine: Engine) -> None:
    web_engine.deploy(b.user_tasks_process("backlog_campaign", 1), actor="designer")
    web_engine.start("backlog_campaign", {"title": "2026年专项行动"}, actor="coordinator")
    start_case(web_engine, title="一件积案")
    auth.login("coordinator")
    page = client.get("/ledger/").text
    assert "共 1 件" in page and "一件积案" in page and "2026年专项行动" not in page
    assert "办理中" in page


def test_the_ledger_shows_a_signed_off_case_as_closed_not_running(client: FlaskClient, auth: Auth,
                                                                  web_engine: Engine) -> None:
    start_case(web_engine, title="已验收", sign_off_result="accepted")
    start_case(web_engine, title="不受理", accept_decision="not_accepted")
    auth.login("coordinator")
    rows = client.get("/ledger/").text.split("<tbody>")[1].split("</tbody>")[0].split("<tr")[1:]
    (closed,) = [r for r in rows if "已验收" in r]
    assert "已结案（回访中）" in closed and "办理中" not in closed
    assert any("不受理" in r and "不予受理" in r and "办理中" not in r for r in rows)


@pytest.mark.sqlite_only
def test_cancel_case(client: FlaskClient, auth: Auth, web_engine: Engine, case: Any) -> None:
    auth.login("coordinator")
    resp = client.post(f"/cases/{case.id}/cancel", data={"reason": ""})
    assert web_engine.instance(case.id).status == "running"
    resp = client.post(f"/cases/{case.id}/cancel", data={"reason": "重复登记"})
    assert resp.status_code == 302
    assert web_engine.instance(case.id).status == "cancelled"


def test_ledger_filters(client: FlaskClient, auth: Auth, web_engine: Engine,
                        clock: FakeClock) -> None:
    start_case(web_engine, title="土地征收", bk="XF-0001", risk_colour="red", case_class="A",
               petitioner_names="张某、李某")
    start_case(web_engine, title="物业维修", bk="XF-0002", risk_colour="green", case_class="C",
               case_leader="other")
    auth.login("coordinator")
    page = client.get("/ledger/").text
    assert "土地征收" in page and "物业维修" in page and "共 2 件" in page
    assert "物业维修" not in client.get("/ledger/?q=XF-0001").text
    assert "土地征收" not in client.get("/ledger/?q=物业").text
    assert "物业维修" not in client.get("/ledger/?q=李某").text  # the petitioners, as the diagrams name them
    assert "土地征收" not in client.get("/ledger/?colour=green").text
    assert "物业维修" not in client.get("/ledger/?class=A").text
    assert "物业维修" not in client.get("/ledger/?leader=leader").text
    assert "共 2 件" in client.get("/ledger/?phase=visit_petitioner&status=running").text
    assert "共 0 件" in client.get("/ledger/?overdue=1").text
    clock.advance(days=20)
    assert "共 2 件" in client.get("/ledger/?overdue=1").text
    assert "共 0 件" in client.get("/ledger/?campaign=none").text


@pytest.mark.sqlite_only
def test_deploy_page(client: FlaskClient, auth: Auth, web_engine: Engine) -> None:
    auth.login("designer")
    assert "web_petition" in client.get("/deployments/").text
    resp = client.post("/deployments/", data={
        "diagram": (open(DIAGRAMS / "web_petition.bpmn", "rb"), "web_petition.bpmn")})
    assert resp.status_code == 302
    resp = client.post("/deployments/", data={
        "diagram": (__import__("io").BytesIO(b"<bpmn:definitions"), "bad.bpmn")})
    assert resp.status_code == 400 and "发现以下问题" in resp.text
    assert client.post("/deployments/").status_code == 302
    # Each problem is said in Chinese (the engine gives a code and its details).
    reserved = (DIAGRAMS / "web_petition.bpmn").read_text(encoding="utf-8").replace(
        'id="visit_petitioner"', 'id="Start"', 1)
    resp = client.post("/deployments/", data={
        "diagram": (__import__("io").BytesIO(reserved.encode()), "reserved.bpmn")})
    assert resp.status_code == 400 and 'data-code="reserved_id"' in resp.text
    assert "ID“Start”为流程引擎保留，请为该元素改名" in resp.text and "reserved by" not in resp.text


@pytest.mark.sqlite_only
def test_user_admin(app: Flask, client: FlaskClient, auth: Auth, web_engine: Engine) -> None:
    auth.login("admin")
    page = client.get("/users/").text
    assert "handler2" in page and "信访办登记人员" in page and "包案领导" in page and "> intake_clerk<" not in page
    resp = client.post("/users/", data={"username": "wang", "password": "short",
                                        "groups": ["case_handler"]})
    assert resp.status_code == 400 and "密码至少 8 位" in resp.text
    resp = client.post("/users/", data={"username": "wang", "password": "long enough 1",
                                        "groups": ["case_handler", "bogus"]})
    assert resp.status_code == 302
    assert web_engine.accounts.user("wang").groups == ("case_handler",)
    assert client.post("/users/", data={"username": "wang", "password": "long enough 1"}
                       ).status_code == 400
    client.post("/users/wang/groups", data={"groups": ["case_leader"]})
    assert web_engine.accounts.user("wang").groups == ("case_leader",)
    client.post("/users/wang/password", data={"password": "new password 2"})
    web_engine.accounts.verify("wang", "new password 2")
    client.post("/users/wang/active", data={"active": "0"})
    assert not web_engine.accounts.user("wang").is_active
    client.post("/users/admin/active", data={"active": "0"})
    assert web_engine.accounts.user("admin").is_active
    assert client.post("/users/nobody/groups").status_code == 404


@pytest.mark.sqlite_only
def test_an_admin_sets_the_name_and_unit_user_pickers_show(client: FlaskClient, auth: Auth,
                                                           web_engine: Engine) -> None:
    auth.login("admin")
    assert client.post("/users/", data={"username": "zhao", "password": "long enough 1", "unit": "县信访局",
                                        "groups": ["case_leader"]}).status_code == 302
    assert web_engine.accounts.user("zhao").unit == "县信访局"
    assert client.post("/users/zhao/details", data={"display_name": "赵强", "unit": "乡镇信访办"}).status_code == 302
    assert (web_engine.accounts.user("zhao").label, web_engine.accounts.user("zhao").unit) == ("赵强", "乡镇信访办")
    assert 'value="乡镇信访办"' in client.get("/users/").text
    auth.logout()
    auth.login("coordinator")
    assert client.post("/users/zhao/details", data={"unit": "x"}).status_code == 403


@pytest.mark.sqlite_only
def test_error_pages_in_both_languages(client: FlaskClient, auth: Auth) -> None:
    auth.login("handler")
    resp = client.get("/nowhere")
    assert resp.status_code == 404 and "未找到" in resp.text
    assert client.get("/users/").status_code == 403
    assert "无权" in client.get("/users/").text
    client.post("/lang/en", data={"next": "/"})
    assert "Not allowed" in client.get("/users/").text
    resp = client.get("/nowhere", headers={"Accept": "application/json"})
    assert resp.json["status"] == 404


@pytest.mark.sqlite_only
def test_server_error_page(app: Flask, client: FlaskClient, auth: Auth, web_engine: Engine,
                           monkeypatch: Any) -> None:
    app.config["PROPAGATE_EXCEPTIONS"] = False
    auth.login("handler")

    def boom(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(type(web_engine.queries), "inbox", boom)
    resp = client.get("/")
    assert resp.status_code == 500 and "系统出现错误" in resp.text
    assert PASSWORD


@pytest.mark.sqlite_only
def test_case_page_replays_any_step_for_an_auditor(client: FlaskClient, auth: Auth, web_engine: Engine) -> None:
    case = start_case(web_engine)
    task = case.tasks[0]
    web_engine.claim(task.id, actor="handler")
    web_engine.complete(task.id, {"visit_date": "2025-04-17", "handling": "solve", "visit_notes": "听取"},
                    actor="handler")
    history = web_engine.history(case.id)
    first = history[0].seq
    auth.login("auditor")
    now_page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "回放" not in now_page.split("<h2>")[0]
    page = client.get(f"/cases/{case.id}?step={first}").get_data(as_text=True)
    assert f"第 {first} 步" in page and "回到当前" in page and "当时进行中" in page
    assert "当面听取" not in page and "听取" not in page.split("办理经过")[-1]
    assert client.get(f"/cases/{case.id}?step={history[-1].seq + 1}").status_code == 404
    assert client.get(f"/cases/{case.id}?step=0").status_code == 404


@pytest.mark.sqlite_only
def test_case_page_reads_history_once_and_pages_a_long_timeline(
    client: FlaskClient, auth: Auth, web_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    case = start_case(web_engine)
    task = case.tasks[0]
    for _ in range(TIMELINE_PAGE // 2 + 5):  # more timeline entries than one page holds
        web_engine.claim(task.id, actor="handler")
        web_engine.unclaim(task.id, actor="handler")
    reads = []
    timeline_of = web_engine.timeline
    monkeypatch.setattr(web_engine, "timeline", lambda iid, **kw: reads.append(iid) or timeline_of(iid, **kw))
    monkeypatch.setattr(web_engine, "history", lambda *_a: pytest.fail("the page read the whole history"))
    monkeypatch.setattr(web_engine, "replay", lambda *_a: pytest.fail("the page read the history again"))
    auth.login("auditor")
    first = client.get(f"/cases/{case.id}").text
    assert reads == [case.id]
    timeline = first.split('<ol class="timeline">')[1].split("</ol>")[0]
    assert "第 1 页，共 2 页" in first and timeline.count("<li>") == TIMELINE_PAGE
    assert "任务签收" in timeline and "案件登记" not in timeline  # newest first: the start is on page 2
    older = client.get(f"/cases/{case.id}?page=2").text
    assert "第 2 页，共 2 页" in older and f"/cases/{case.id}?page=1" in older
    assert "案件登记" in older.split('<ol class="timeline">')[1].split("</ol>")[0]
    assert client.get(f"/cases/{case.id}?page=99").status_code == 200
