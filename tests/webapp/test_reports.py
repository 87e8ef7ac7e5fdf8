"""webapp/reports.py: a weekly bulletin reviewed and published from its task page (CSRF on),
listed per campaign, printed and downloaded as .docx and .xlsx."""

from __future__ import annotations

import io

import pytest
from docx import Document
from flask.testing import FlaskClient
from openpyxl import load_workbook

from engine import PUBLISHED, FakeClock
from tests.conftest import EngineWith
from tests.engine.ledger_cases import add_case, campaign_in_resolve_phase
from tests.processes.conftest import Driver
from tests.webapp.conftest import Auth


def bulletin_due(engine_with: EngineWith, clock: FakeClock) -> Driver:
    """Campaign c-2026 a week into its resolve phase: two late cases, one bulletin task ready."""
    d = campaign_in_resolve_phase(engine_with, clock)
    add_case(d.engine, "W-1", due_in_days=2, case_leader="leader", risk_colour="red")
    add_case(d.engine, "W-2", due_in_days=30)
    d.advance(days=7)
    return d


def test_the_supervisor_reviews_and_publishes_the_bulletin(client: FlaskClient, auth: Auth,
                                                          engine_with: EngineWith, clock: FakeClock) -> None:
    d = bulletin_due(engine_with, clock)
    task = d.task("write_weekly_bulletin")
    [report] = d.engine.reports.list(campaign_id="c-2026")
    auth.login("supervisor")
    client.post(f"/tasks/{task.id}/claim")
    page = client.get(f"/tasks/{task.id}").text
    assert 'id="report-review"' in page and "超期案件（按包案领导）" in page and "W-1" in page

    assert client.post(f"/reports/{report.id}/publish", data={"remarks": "x"}, csrf=False).status_code == 400
    saved = client.post(f"/reports/{report.id}/publish", data={"remarks": "请王某本周内办结。", "action": "save"})
    assert saved.status_code == 302 and d.engine.reports.get(report.id).status == "draft"
    done = client.post(f"/reports/{report.id}/publish", data={"remarks": "请王某本周内办结。", "action": "publish"})
    assert done.status_code == 302 and done.headers["Location"].endswith(f"/reports/{report.id}")

    published = d.engine.reports.get(report.id)
    assert (published.status, published.published_by, published.remarks) == (PUBLISHED, "supervisor",
                                                                              "请王某本周内办结。")
    data = d.engine.instance(d.instance_id).data
    assert "超期1件" in data["bulletin_progress"] and data["overdue_cases_named"] == "W-1"
    [doc] = [a for a in d.engine.attachments.list(d.instance_id) if a.id == data["bulletin_ref"]]
    assert doc.filename == f"{report.label}.docx", "the Word file is the task's document"
    assert client.post(f"/reports/{report.id}/publish", data={"remarks": "again"}).status_code == 409

    listed = client.get("/reports/?campaign=c-2026").text
    assert report.label in listed and "已发布" in listed
    word = Document(io.BytesIO(client.get(f"/reports/{report.id}.docx").data))
    text = "\n".join(p.text for p in word.paragraphs)
    assert "纪委每周通报" in text and "请王某本周内办结。" in text
    cells = {c.text for t in word.tables for r in t.rows for c in r.cells}
    assert "W-1" in cells and "信访积案排查化解情况统计表" in text
    sheet = load_workbook(io.BytesIO(client.get(f"/reports/{report.id}.xlsx").data), read_only=True).active
    assert "W-1" in {v for row in sheet.iter_rows(values_only=True) for v in row}


@pytest.mark.sqlite_only
def test_reports_need_a_reading_role_and_publishing_the_tasks_holder(
        client: FlaskClient, auth: Auth, engine_with: EngineWith, clock: FakeClock) -> None:
    d = bulletin_due(engine_with, clock)
    [report] = d.engine.reports.list(campaign_id="c-2026")
    auth.login("handler")
    assert client.get("/reports/").status_code == 403
    assert client.get(f"/reports/{report.id}").status_code == 403
    auth.logout()
    auth.login("coordinator")  # reads every report, but the bulletin is the supervisor's
    assert client.get(f"/reports/{report.id}").status_code == 200
    assert client.post(f"/reports/{report.id}/publish", data={"remarks": "x"}).status_code == 403
    assert d.engine.reports.get(report.id).status == "draft"
