"""The operation log in the web app: logins and account changes from the client's address, the
page and API for auditors and admins, auditors' reads of personal data, history export, and
the auditor who reads everything and changes nothing."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from engine import Engine, OperationFilter
from tests.conftest import ROOT
from tests.webapp.conftest import PASSWORD, Auth, start_case

ADDRESS = {"REMOTE_ADDR": "10.20.30.40"}


def _entries(engine: Engine, action: str) -> list[Any]:
    return engine.audit.operations(OperationFilter(action=action))


def test_logins_failed_logins_and_logouts_are_logged_with_the_address(app: Flask, web_engine: Engine) -> None:
    client = app.test_client()
    client.post("/login", data={"username": "handler", "password": "wrong"}, environ_base=ADDRESS)
    client.post("/login", data={"username": "handler", "password": PASSWORD}, environ_base=ADDRESS)
    client.post("/logout", environ_base=ADDRESS)
    [failed] = _entries(web_engine, "login_failed")
    [login] = _entries(web_engine, "login")
    [logout] = _entries(web_engine, "logout")
    assert (failed.actor, failed.address, failed.target) == ("handler", "10.20.30.40", "user handler")
    assert (login.actor, login.address) == ("handler", "10.20.30.40")
    assert (logout.actor, logout.address) == ("handler", "10.20.30.40")


def test_an_admins_role_change_names_the_admin_and_the_roles_before_and_after(
        app: Flask, web_engine: Engine) -> None:
    client = app.test_client()
    client.post("/login", data={"username": "admin", "password": PASSWORD}, environ_base=ADDRESS)
    client.post("/users/handler2/groups", data={"groups": ["case_handler", "supervisor"]}, environ_base=ADDRESS)
    [change] = _entries(web_engine, "roles_changed")
    assert (change.actor, change.address, change.target) == ("admin", "10.20.30.40", "user handler2")
    assert change.before == {"groups": ["case_handler"]}
    assert change.after == {"groups": ["case_handler", "supervisor"]}


def test_a_web_intervention_is_logged_with_who_and_where(app: Flask, web_engine: Engine) -> None:
    case = start_case(web_engine)
    client = app.test_client()
    client.post("/login", data={"username": "coordinator", "password": PASSWORD}, environ_base=ADDRESS)
    client.post(f"/cases/{case.id}/cancel", data={"reason": "重复登记"}, environ_base=ADDRESS)
    [cancel] = _entries(web_engine, "cancel")
    assert (cancel.actor, cancel.address, cancel.target) == ("coordinator", "10.20.30.40", f"instance {case.id}")
    assert cancel.after["reason"] == "重复登记"


@pytest.mark.sqlite_only
def test_the_operations_page_is_for_auditors_and_admins_in_chinese(
        client: FlaskClient, auth: Auth, web_engine: Engine) -> None:
    auth.login("handler")
    assert client.get("/audit/operations").status_code == 403
    auth.logout()
    auth.login("auditor")
    page = client.get("/audit/operations")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "操作日志" in text and "<td>登录</td>" in text and "<td>handler</td>" in text
    only_logouts = client.get("/audit/operations?action=logout").get_data(as_text=True)
    assert "<td>退出登录</td>" in only_logouts and "<td>登录</td>" not in only_logouts
    assert client.get("/audit/operations?since=yesterday").status_code == 400
    auth.logout()
    auth.login("admin")
    assert client.get("/audit/operations").status_code == 200


@pytest.mark.sqlite_only
def test_the_operations_api_filters_and_refuses_others(client: FlaskClient, web_engine: Engine) -> None:
    auditor = {"Authorization": f"Bearer {web_engine.accounts.create_token('auditor')}"}
    handler = {"Authorization": f"Bearer {web_engine.accounts.create_token('handler')}"}
    assert client.get("/api/v1/operations", headers=handler).status_code == 403
    created = client.get("/api/v1/operations?action=token_created", headers=auditor).json
    assert [e["target"] for e in created] == ["user handler", "user auditor"]
    assert {"seq", "at", "actor", "address", "action", "target", "before", "after", "hash"} <= set(created[0])
    assert "/operations" in client.get("/api/v1/openapi.json", headers=auditor).json["paths"]


def test_an_auditors_read_of_a_case_is_logged_and_a_coordinators_is_not(
        client: FlaskClient, auth: Auth, web_engine: Engine) -> None:
    case = start_case(web_engine)
    auth.login("coordinator")
    assert client.get(f"/cases/{case.id}").status_code == 200
    assert _entries(web_engine, "personal_data_read") == []
    auth.logout()
    auth.login("auditor")
    assert client.get(f"/cases/{case.id}", environ_base=ADDRESS).status_code == 200
    [read] = _entries(web_engine, "personal_data_read")
    assert (read.actor, read.address, read.target) == ("auditor", "10.20.30.40", f"instance {case.id}")
    token = web_engine.accounts.create_token("auditor")
    client.get(f"/api/v1/instances/{case.id}/history", headers={"Authorization": f"Bearer {token}"})
    assert len(_entries(web_engine, "personal_data_read")) == 2


def test_export_over_the_api_verifies_offline(client: FlaskClient, web_engine: Engine, tmp_path: Path) -> None:
    case = start_case(web_engine)
    other = start_case(web_engine, campaign_id="别的专项")
    token = web_engine.accounts.create_token("auditor")
    headers = {"Authorization": f"Bearer {token}"}
    for fmt in ("jsonl", "csv"):
        resp = client.get(f"/api/v1/instances/{case.id}/history/export?format={fmt}", headers=headers)
        assert resp.status_code == 200 and "attachment" in resp.headers["Content-Disposition"]
        path = tmp_path / f"case.{fmt}"
        path.write_bytes(resp.data)
        done = subprocess.run([sys.executable, str(ROOT / "tools" / "verify_export.py"), str(path)],
                              capture_output=True, text=True, check=False)
        assert done.returncode == 0 and done.stdout.startswith("ok"), done.stdout
    campaign = client.get("/api/v1/campaigns/2025年积案化解/history/export", headers=headers)
    assert f'"instance":{case.id}' in campaign.get_data(as_text=True)
    assert f'"instance":{other.id}' not in campaign.get_data(as_text=True)
    assert len(_entries(web_engine, "export")) == 3
    handler = web_engine.accounts.create_token("handler")
    refused = client.get(f"/api/v1/instances/{case.id}/history/export",
                         headers={"Authorization": f"Bearer {handler}"})
    assert refused.status_code == 403
    assert client.get(f"/api/v1/instances/{case.id}/history/export?format=xml", headers=headers).status_code == 400


# -- the auditor changes nothing ---------------------------------------------------------------

#: Mutating routes an auditor may use: signing in and out, the language, and their own API tokens
#: (an auditor needs one to read over the API); none changes a case, a diagram or another account.
AUDITOR_MAY = {"auth.login", "auth.logout", "i18n.choose", "tokens.create", "tokens.revoke"}


def _url(rule: Any, values: dict[str, Any]) -> str:
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", lambda m: str(values[m.group(1)]), rule.rule)


def test_every_mutating_route_and_api_call_refuses_the_auditor(app: Flask, web_engine: Engine) -> None:
    case = start_case(web_engine)
    values = {"task_id": case.tasks[0].id, "instance_id": case.id, "username": "handler", "token_id": 1,
              "draft_id": 1, "key": "web_petition", "code": "en", "kind": "accept_notice", "version": 1,
              "report_id": 1, "campaign_id": "none", "job_id": 1, "fmt": "xlsx"}
    before_history = len(web_engine.history(case.id))
    before_ops = web_engine.audit.operations(OperationFilter(limit=1000))
    client = app.test_client()
    client.post("/login", data={"username": "auditor", "password": PASSWORD})
    bearer = {"Authorization": f"Bearer {web_engine.accounts.create_token('auditor')}"}
    checked = []
    for rule in app.url_map.iter_rules():
        methods = sorted((rule.methods or set()) - {"GET", "HEAD", "OPTIONS"})
        if not methods or rule.endpoint in AUDITOR_MAY:
            continue
        url = _url(rule, values)
        for method in methods:
            if url.startswith("/api/"):
                resp = client.open(url, method=method, headers=bearer, json={})
            else:
                resp = client.open(url, method=method, data={})
            assert resp.status_code == 403, f"auditor {method} {url} -> {resp.status_code}"
            checked.append(rule.endpoint)
    assert len(checked) >= 35  # every web form post and API call listed by the app
    assert len(web_engine.history(case.id)) == before_history
    after_ops = web_engine.audit.operations(OperationFilter(limit=1000))
    new = {e.action for e in after_ops[: len(after_ops) - len(before_ops)]}
    assert new <= {"login", "token_created"}, new


def test_the_audit_page_exports_the_history_and_logs_the_auditors_reads(
        client: FlaskClient, auth: Auth, web_engine: Engine, tmp_path: Path) -> None:
    """The audit page links the export of its case; the download verifies offline, and both the
    page read and the export are in the operation log."""
    case = start_case(web_engine)
    auth.login("auditor")
    page = client.get(f"/cases/{case.id}/audit", environ_base=ADDRESS).get_data(as_text=True)
    assert "导出本案历史" in page
    link = re.search(r'href="([^"]*/audit/export\?format=csv)"', page)
    assert link, "the audit page links the CSV export"
    reads = _entries(web_engine, "personal_data_read")
    assert [(r.actor, r.target) for r in reads] == [("auditor", f"instance {case.id}")]
    resp = client.get(link.group(1).replace("&amp;", "&"))
    assert resp.status_code == 200 and "attachment" in resp.headers["Content-Disposition"]
    path = tmp_path / "case.csv"
    path.write_bytes(resp.data)
    done = subprocess.run([sys.executable, str(ROOT / "tools" / "verify_export.py"), str(path)],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0 and done.stdout.startswith("ok"), done.stdout
    assert len(_entries(web_engine, "export")) == 1
    assert client.get(f"/cases/{case.id}/audit/export?format=xml").status_code == 400
    auth.logout()
    auth.login("handler")
    assert client.get(f"/cases/{case.id}/audit/export").status_code == 403
