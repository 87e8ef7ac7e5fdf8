"""The access matrix: every route × every role, as the issue's access rules say."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from engine import Engine
from tests.webapp.conftest import PASSWORD, ROLE_USERS, start_case

pytestmark = pytest.mark.sqlite_only  # who may do what: nothing the database decides

ROLES = list(ROLE_USERS)
ALL = set(ROLES)
READ_ALL = {"coordinator", "supervisor", "auditor", "admin"}
SEE_DEPLOYMENTS = {"designer", "auditor", "coordinator", "admin"}


Route = tuple[str, str, dict[str, Any], set[str]]


def routes(case: Any, task_id: str, other_task: str, other_case: int) -> list[Route]:
    """(method, url, form, roles allowed). Allowed means not 403 (and not a login redirect).

    Cases follow `access.may_read_case`: the READ_ALL roles, the named case leader, and who holds,
    held or may claim one of its tasks."""
    cid = case.id
    return [
        ("GET", "/", {}, ALL),
        ("GET", "/ledger/", {}, READ_ALL | {"clerk", "leader"}),
        ("GET", "/ledger/import/", {}, {"clerk", "coordinator"}),
        ("GET", "/ledger/import/template.xlsx", {}, {"clerk", "coordinator"}),
        ("POST", "/ledger/import/", {}, {"clerk", "coordinator"}),
        ("POST", "/ledger/import/run", {}, {"clerk", "coordinator"}),
        ("GET", "/ledger/import/jobs/1", {}, {"clerk", "coordinator"}),
        ("GET", "/ledger/import/jobs/1.json", {}, {"clerk", "coordinator"}),
        ("GET", "/ledger/export.xlsx", {}, READ_ALL | {"clerk", "leader"}),
        ("GET", "/ledger/export.csv?colour=red", {}, READ_ALL | {"clerk", "leader"}),
        # campaign reports: the readers of every case; publishing also needs the report's task
        # (tests/webapp/test_reports.py)
        ("GET", "/reports/", {}, READ_ALL),
        ("GET", "/reports/999", {}, READ_ALL),
        ("GET", "/reports/999.docx", {}, READ_ALL),
        ("POST", "/reports/999/publish", {}, {"supervisor", "coordinator"}),
        ("GET", "/my-cases", {}, ALL),
        ("GET", "/deployments/", {}, {"designer", "auditor", "coordinator", "admin"}),
        ("POST", "/deployments/", {}, {"designer"}),
        ("GET", "/deployments/web_petition/v1/forms", {}, {"designer", "auditor", "coordinator", "admin"}),
        ("GET", "/deployments/web_petition/v1/forms/visit_petitioner", {},
         {"designer", "auditor", "coordinator", "admin"}),
        ("GET", "/designer/", {}, SEE_DEPLOYMENTS),
        ("GET", "/designer/processes/web_petition", {}, SEE_DEPLOYMENTS),
        ("GET", "/designer/processes/web_petition/1.xml", {}, SEE_DEPLOYMENTS),
        ("GET", "/designer/processes/web_petition/diff?from=1&to=1", {}, SEE_DEPLOYMENTS),
        ("GET", "/designer/edit?key=web_petition", {}, SEE_DEPLOYMENTS),
        ("GET", "/designer/template.bpmn", {}, {"designer"}),
        ("GET", "/designer/drafts/1.xml", {}, {"designer"}),
        ("POST", "/designer/drafts", {}, {"designer"}),
        ("POST", "/designer/drafts/1/delete", {}, {"designer"}),
        ("POST", "/designer/upload", {}, {"designer"}),
        ("POST", "/designer/check", {}, {"designer"}),
        ("POST", "/designer/deploy", {}, {"designer"}),
        ("POST", "/designer/decisions/test", {}, {"designer"}),
        ("GET", "/designer/processes/web_petition/running?version=1", {}, {"designer"}),
        ("POST", "/designer/processes/web_petition/migrate", {}, {"designer"}),
        ("GET", "/users/", {}, {"admin"}),
        ("GET", "/audit/operations", {}, {"auditor", "admin"}),
        ("POST", "/users/", {"username": "new", "password": "long enough 1"}, {"admin"}),
        ("POST", "/users/handler2/groups", {"groups": "case_handler"}, {"admin"}),
        ("POST", "/users/handler2/details", {"unit": "县信访局"}, {"admin"}),
        ("POST", "/users/handler2/password", {"password": "another one 1"}, {"admin"}),
        ("POST", "/users/handler2/active", {"active": "1"}, {"admin"}),
        ("GET", "/cases/new", {}, {"clerk", "coordinator"}),
        ("POST", "/cases/new", {"process_key": "web_petition", "title": "t"},
         {"clerk", "coordinator"}),
        ("GET", f"/cases/{cid}", {}, READ_ALL | {"handler", "handler2", "leader"}),
        ("GET", f"/cases/{cid}/diagram.xml", {}, READ_ALL | {"handler", "handler2", "leader"}),
        ("POST", f"/cases/{cid}/cancel", {"reason": ""}, {"coordinator", "admin"}),
        ("POST", f"/cases/{cid}/retry", {}, {"coordinator", "designer", "admin"}),
        # only clerks who may read the case, which web_petition offers none of them
        # (tests/webapp/test_repeat_petitions.py shows the clerk recording one on petition_case)
        ("POST", f"/cases/{cid}/repeat-petitions", {}, set()),
        ("GET", f"/tasks/{task_id}", {}, READ_ALL | {"handler", "handler2"}),
        ("POST", f"/tasks/{task_id}/claim", {}, {"handler", "handler2"}),
        ("POST", f"/tasks/{task_id}/complete", {}, {"handler", "handler2"}),
        ("POST", f"/tasks/{task_id}/attachments", {}, {"handler", "handler2"}),
        ("POST", f"/tasks/{task_id}/draft", {}, {"handler", "handler2"}),
        ("POST", f"/tasks/{task_id}/assign", {"username": "handler"}, {"coordinator"}),
        # a task held by handler2: only handler2 works it, and of the case handlers only
        # handler2 reads its case (petitioner names, demands, ID-card copies)
        ("GET", f"/tasks/{other_task}", {}, READ_ALL | {"handler2"}),
        ("GET", f"/cases/{other_case}", {}, READ_ALL | {"handler2", "leader"}),
        ("GET", f"/cases/{other_case}/diagram.xml", {}, READ_ALL | {"handler2", "leader"}),
        ("GET", f"/cases/{other_case}/attachments/{'0' * 32}", {}, READ_ALL | {"handler2", "leader"}),
        ("POST", f"/tasks/{other_task}/complete", {}, {"handler2"}),
        ("POST", f"/tasks/{other_task}/unclaim", {}, {"handler2"}),
        # the auditor's pages: the readers of every case (admins among them), never the involved
        ("GET", f"/cases/{cid}/audit", {}, READ_ALL),
        ("GET", f"/cases/{cid}/audit/state?step=1", {}, READ_ALL),
        ("GET", f"/cases/{cid}/audit/diagram.xml", {}, READ_ALL),
        ("GET", f"/cases/{cid}/audit/export?format=csv", {}, READ_ALL),
        ("GET", "/heatmap/", {}, READ_ALL),
        ("GET", "/heatmap/web_petition/v1", {}, READ_ALL),
        ("GET", "/heatmap/web_petition/v1/diagram.xml", {}, READ_ALL),
        # everyone manages their own API tokens (someone else's token is 404, not 403)
        ("GET", "/tokens/", {}, ALL),
        ("POST", "/tokens/", {}, ALL),
        ("POST", "/tokens/999/revoke", {}, ALL),
        # reminders: everyone's own; notices: generated by who works a notice's task (web_petition
        # has none: 409), templates edited by admins
        ("GET", "/reminders/", {}, ALL),
        ("POST", f"/cases/{cid}/notices/accept_notice", {}, {"coordinator", "handler", "handler2"}),
        ("GET", "/notices/templates", {}, {"admin"}),
        ("GET", "/notices/templates/accept_notice", {}, {"admin"}),
        ("POST", "/notices/templates/accept_notice", {"title": "受理告知书", "body": "{{demand}}"}, {"admin"}),
        ("GET", "/notices/templates/accept_notice/1.docx", {}, {"admin"}),
        # campaigns and dashboards: read by the readers of every case and case leaders; started and
        # joined by the coordinator
        ("GET", "/campaigns/", {}, READ_ALL | {"leader"}),
        ("GET", "/campaigns/new", {}, {"coordinator"}),
        ("POST", "/campaigns/new", {}, {"coordinator"}),
        ("GET", "/campaigns/no-such-campaign", {}, READ_ALL | {"leader"}),
        ("POST", "/campaigns/join", {"instance_id": str(cid), "campaign_id": "none"}, {"coordinator"}),
        ("GET", "/dashboard/", {}, READ_ALL | {"leader"}),
        ("GET", "/dashboard/no-such-campaign", {}, READ_ALL | {"leader"}),
    ]


World = tuple[Any, str, str, int]


@pytest.fixture
def world(web_engine: Engine) -> World:
    """Two cases: one waiting unclaimed for case handlers, one held by handler2."""
    case = start_case(web_engine)
    other = start_case(web_engine, title="另一件")
    web_engine.claim(other.tasks[0].id, actor="handler2")
    return case, case.tasks[0].id, other.tasks[0].id, other.id


@pytest.mark.parametrize("role", ROLES)
def test_matrix(app: Flask, world: World, role: str) -> None:
    for method, url, form, allowed in routes(*world):
        client = app.test_client()
        client.post("/login", data={"username": role, "password": PASSWORD})
        resp = client.open(url, method=method, data=form)
        where = f"{role} {method} {url} -> {resp.status_code}"
        if role in allowed:
            assert resp.status_code != 403, where
            assert "/login" not in (resp.location or ""), where
        else:
            assert resp.status_code == 403, where


def test_every_page_needs_login(app: Flask, world: World) -> None:
    client = app.test_client()
    for method, url, form, _allowed in routes(*world):
        resp = client.open(url, method=method, data=form)
        assert resp.status_code == 302 and "/login" in resp.location, (method, url)
    assert client.get("/login").status_code == 200
    with client.get("/static/app.css") as resp:
        assert resp.status_code == 200


def test_every_route_is_in_the_matrix(app: Flask) -> None:
    """A new route must be added to the matrix above (or to the API tests)."""
    covered = {
        "auth.login", "auth.logout", "i18n.choose", "static", "inbox.index", "inbox.my_cases", "ledger.index",
        "deployments.index", "deployments.deploy", "deployments.forms", "deployments.form", "users.index", "users.add",
        "users.set_groups", "users.set_details", "users.set_password", "users.set_active", "cases.new", "cases.show",
        "cases.diagram", "cases.cancel", "cases.retry", "cases.repeat_petition", "cases.attachment", "tasks.show",
        "tasks.claim", "tasks.complete", "tasks.upload", "tasks.assign", "tasks.unclaim", "tasks.save_draft",
        "tokens.index", "tokens.create", "tokens.revoke",
        "designer.index", "designer.versions", "designer.source", "designer.diff", "designer.edit",
        "designer.template", "designer.draft_source", "designer.save_draft", "designer.delete_draft",
        "designer.upload", "designer.check", "designer.deploy", "designer.test_decision",
        "designer.running", "designer.migrate", "operation_log.operations",
        "case_audit.show", "case_audit.state", "case_audit.diagram", "case_audit.export",
        "heatmap.index", "heatmap.show",
        "heatmap.diagram",
        "ledger_import.index", "ledger_import.template", "ledger_import.upload", "ledger_import.run",
        "ledger_import.job", "ledger_import.job_status",
        "reminders.index", "notices.generate", "notices.templates", "notices.edit", "notices.template_docx",
        "ledger.export", "reports.index", "reports.show", "reports.download",
        "reports.publish",
        "campaigns.index", "campaigns.new", "campaigns.show", "campaigns.join", "dashboard.office",
        "dashboard.campaign",
    }
    # The JSON APIs have their own tests (test_api.py, test_external_api.py, test_messages_api.py,
    # test_designer_api.py, test_report_api.py).
    endpoints = {r.endpoint for r in app.url_map.iter_rules()
                 if not r.endpoint.startswith(("api.", "external_api.", "messages_api.", "instance_api.",
                                               "designer_api.", "report_api."))}
    assert endpoints == covered
